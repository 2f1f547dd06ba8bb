//! The parameters of the provider's redirect back to the app, parsed strictly.

use std::fmt;

use serde::Deserialize;

use crate::error::CallbackError;

/// The largest callback query accepted. Real callbacks are a few hundred bytes; Apple's
/// `form_post` with a `user` JSON stays well under this.
const MAX_QUERY_BYTES: usize = 16 * 1024;
/// The largest single parameter accepted.
const MAX_PARAM_BYTES: usize = 4 * 1024;

/// The parameters the provider sent to the redirect URI: `code` and `state`, or `error`
/// and its description, and `iss` (RFC 9207) when the provider sends it.
///
/// Parse it from the request with [`CallbackParams::from_query`] (GET callbacks) or from
/// the form body of a `form_post` callback the same way. Unknown parameters are ignored;
/// a known parameter given twice, or an oversized one, is an error rather than a guess.
///
/// ```
/// use portcullis::CallbackParams;
///
/// let params = CallbackParams::from_query("code=abc&state=xyz")?;
/// assert_eq!(params.state(), Some("xyz"));
/// # Ok::<(), portcullis::CallbackError>(())
/// ```
#[derive(Clone, Default, PartialEq, Eq)]
pub struct CallbackParams {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    error_uri: Option<String>,
    iss: Option<String>,
    /// The provider's own parameters (Apple's `user`), first occurrence of each.
    extra: Vec<(String, String)>,
}

/// How many parameters beyond the standard ones a callback may carry.
const MAX_EXTRA_PARAMS: usize = 16;

impl CallbackParams {
    /// Parses an `application/x-www-form-urlencoded` string: the callback URL's query
    /// (without the `?`) or a `form_post` body.
    ///
    /// # Errors
    ///
    /// [`CallbackError::DuplicateParameter`] when `code`, `state`, `error`,
    /// `error_description`, `error_uri` or `iss` appears twice;
    /// [`CallbackError::TooLong`] when the input or a parameter is oversized.
    pub fn from_query(query: &str) -> Result<Self, CallbackError> {
        if query.len() > MAX_QUERY_BYTES {
            return Err(CallbackError::TooLong("query"));
        }
        Self::from_pairs(url::form_urlencoded::parse(query.as_bytes()))
    }

    /// Builds from already-decoded name/value pairs, with the same checks as
    /// [`CallbackParams::from_query`].
    ///
    /// # Errors
    ///
    /// As [`CallbackParams::from_query`].
    pub fn from_pairs<K, V>(pairs: impl IntoIterator<Item = (K, V)>) -> Result<Self, CallbackError>
    where
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut params = CallbackParams::default();
        let mut total = 0usize;
        for (name, value) in pairs {
            total += name.as_ref().len() + value.as_ref().len();
            if total > MAX_QUERY_BYTES {
                return Err(CallbackError::TooLong("query"));
            }
            let (slot, name) = match name.as_ref() {
                "code" => (&mut params.code, "code"),
                "state" => (&mut params.state, "state"),
                "error" => (&mut params.error, "error"),
                "error_description" => (&mut params.error_description, "error_description"),
                "error_uri" => (&mut params.error_uri, "error_uri"),
                "iss" => (&mut params.iss, "iss"),
                other => {
                    let value = value.as_ref();
                    if value.len() > MAX_PARAM_BYTES {
                        return Err(CallbackError::TooLong("parameter"));
                    }
                    // Not ours to judge: keep the first, as the standard ones are.
                    if params.extra.iter().any(|(name, _)| name == other) {
                        continue;
                    }
                    if params.extra.len() == MAX_EXTRA_PARAMS {
                        return Err(CallbackError::TooLong("query"));
                    }
                    params.extra.push((other.to_owned(), value.to_owned()));
                    continue;
                }
            };
            let value = value.as_ref();
            if value.len() > MAX_PARAM_BYTES {
                return Err(CallbackError::TooLong(name));
            }
            if slot.is_some() {
                return Err(CallbackError::DuplicateParameter(name));
            }
            *slot = Some(value.to_owned());
        }
        Ok(params)
    }

    /// A callback carrying `code` and `state`, as a provider sends on success.
    pub fn new(code: impl Into<String>, state: impl Into<String>) -> Self {
        CallbackParams {
            code: Some(code.into()),
            state: Some(state.into()),
            ..Self::default()
        }
    }

    /// The authorization code.
    pub fn code(&self) -> Option<&str> {
        self.code.as_deref()
    }

    /// The `state` echoed by the provider.
    pub fn state(&self) -> Option<&str> {
        self.state.as_deref()
    }

    /// The issuer the provider named (RFC 9207).
    pub fn iss(&self) -> Option<&str> {
        self.iss.as_deref()
    }

    /// A parameter particular to the provider (Apple's `user`), if the callback has it.
    /// The standard ones have their own accessors.
    pub fn extra(&self, name: &str) -> Option<&str> {
        self.extra
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, value)| value.as_str())
    }

    /// The provider's error, if it sent one instead of a code.
    pub fn error(&self) -> Option<CallbackError> {
        self.error.as_ref().map(|error| CallbackError::Provider {
            error: error.clone(),
            description: self.error_description.clone(),
            uri: self.error_uri.clone(),
        })
    }
}

impl fmt::Debug for CallbackParams {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The code is a credential until it is exchanged; the state is redacted as in
        // `PendingAuthorization`, which holds the same value.
        f.debug_struct("CallbackParams")
            .field("code", &self.code.as_ref().map(|_| "[redacted]"))
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("error", &self.error)
            .field("error_description", &self.error_description)
            .field("error_uri", &self.error_uri)
            .field("iss", &self.iss)
            // Values are the provider's own and may be personal data: names only.
            .field(
                "extra",
                &self.extra.iter().map(|(name, _)| name).collect::<Vec<_>>(),
            )
            .finish()
    }
}

impl<'de> Deserialize<'de> for CallbackParams {
    /// Deserializes from a sequence of name/value pairs — what `serde_urlencoded` (and so
    /// axum's `Query` and `Form`) produces — with the same duplicate and size checks.
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let pairs = Vec::<(String, String)>::deserialize(deserializer)?;
        CallbackParams::from_pairs(pairs).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_success_and_error_callbacks() {
        let p = CallbackParams::from_query("code=c%2B1&state=s&extra=1").unwrap();
        assert_eq!(p.code(), Some("c+1"));
        assert_eq!(p.state(), Some("s"));
        assert!(p.error().is_none());

        let p = CallbackParams::from_query(
            "error=access_denied&error_description=The+user+denied+%3Cb%3Eaccess%3C%2Fb%3E&state=s",
        )
        .unwrap();
        let err = p.error().unwrap();
        assert!(err.is_access_denied());
        assert_eq!(
            err,
            CallbackError::Provider {
                error: "access_denied".into(),
                description: Some("The user denied <b>access</b>".into()),
                uri: None
            }
        );
    }

    #[test]
    fn rejects_duplicates_and_oversized_input() {
        assert_eq!(
            CallbackParams::from_query("code=a&state=s&code=b"),
            Err(CallbackError::DuplicateParameter("code"))
        );
        assert_eq!(
            CallbackParams::from_query("state=a&state=b"),
            Err(CallbackError::DuplicateParameter("state"))
        );
        let long = format!("code={}", "a".repeat(MAX_PARAM_BYTES + 1));
        assert_eq!(
            CallbackParams::from_query(&long),
            Err(CallbackError::TooLong("code"))
        );
        let huge = format!("x={}", "a".repeat(MAX_QUERY_BYTES));
        assert_eq!(
            CallbackParams::from_query(&huge),
            Err(CallbackError::TooLong("query"))
        );
    }

    #[test]
    fn provider_parameters_are_kept_bounded_and_unique() {
        let p = CallbackParams::from_query(
            "code=c&state=s&user=%7B%22name%22%3A%7B%22firstName%22%3A%22Ada%22%7D%7D",
        )
        .unwrap();
        assert_eq!(p.extra("user"), Some(r#"{"name":{"firstName":"Ada"}}"#));
        assert_eq!(
            p.extra("code"),
            None,
            "standard parameters have their own accessors"
        );
        assert!(
            !format!("{p:?}").contains("Ada"),
            "values stay out of Debug"
        );
        let repeated = CallbackParams::from_query("code=c&user=a&user=b").unwrap();
        assert_eq!(repeated.extra("user"), Some("a"), "the first one counts");
        let many: String = (0..=MAX_EXTRA_PARAMS).map(|i| format!("p{i}=x&")).collect();
        assert_eq!(
            CallbackParams::from_query(&many),
            Err(CallbackError::TooLong("query"))
        );
    }

    #[test]
    fn debug_hides_the_code() {
        let p = CallbackParams::new("SECRET-CODE", "s");
        assert!(!format!("{p:?}").contains("SECRET-CODE"));
    }

    #[test]
    fn deserializes_from_pairs_with_the_same_checks() {
        let p: CallbackParams = serde_json::from_str(r#"[["code","c"],["state","s"]]"#).unwrap();
        assert_eq!(p, CallbackParams::new("c", "s"));
        let err =
            serde_json::from_str::<CallbackParams>(r#"[["state","a"],["state","b"]]"#).unwrap_err();
        assert!(err.to_string().contains("more than once"), "{err}");
    }
}
