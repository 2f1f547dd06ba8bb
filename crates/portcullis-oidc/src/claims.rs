//! Reading claims into a provider crate's own user type: serde helpers for the shapes
//! issuers really send, the claims that describe the token rather than the user, and the
//! display name the standard claims make.
//!
//! ```
//! use portcullis_oidc::claims;
//! use serde::Deserialize;
//! use serde_json::{Map, Value};
//!
//! #[derive(Deserialize)]
//! struct AcmeUser {
//!     sub: String,
//!     /// `true`, `"true"`, `false`, `"false"` (Cognito and others send strings).
//!     #[serde(default, deserialize_with = "claims::lenient_bool")]
//!     email_verified: Option<bool>,
//!     /// Seconds, or a date string where the standard has seconds (Auth0, Salesforce).
//!     #[serde(default, deserialize_with = "claims::string_or_number")]
//!     updated_at: Option<String>,
//!     #[serde(flatten)]
//!     claims: Map<String, Value>,
//! }
//!
//! let mut user: AcmeUser = serde_json::from_value(serde_json::json!({
//!     "sub": "u1", "email_verified": "true", "updated_at": 1700000000,
//!     "iss": "https://id.example.com", "nonce": "n", "groups": ["admins"],
//! }))?;
//! claims::remove_token_claims(&mut user.claims);
//! assert_eq!(user.email_verified, Some(true));
//! assert_eq!(user.updated_at.as_deref(), Some("1700000000"));
//! assert_eq!(user.claims.keys().collect::<Vec<_>>(), ["groups"]);
//! assert_eq!(
//!     claims::full_name(None, Some("Jane"), Some("Doe")).as_deref(),
//!     Some("Jane Doe")
//! );
//! # Ok::<(), serde_json::Error>(())
//! ```
//!
//! Typed claims of a verified token come from [`VerifiedIdToken::deserialize`] or, merged
//! with a userinfo response, [`VerifiedIdToken::merge_userinfo_as`]: both name the claim
//! that does not fit (never its value) in an
//! [`IdTokenError::Claim`].
//!
//! [`VerifiedIdToken::deserialize`]: crate::VerifiedIdToken::deserialize
//! [`VerifiedIdToken::merge_userinfo_as`]: crate::VerifiedIdToken::merge_userinfo_as

use portcullis::{Error, IdTokenError};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Deserializer};
use serde_json::{Map, Value};

/// Claims about the token rather than the user (JWT and OpenID Connect Core 1.0 §2):
/// what [`remove_token_claims`] takes out of a user's other claims. `auth_time`, `acr` and
/// `amr`, which say how the user signed in, are not among them.
pub const TOKEN_CLAIMS: &[&str] = &[
    "iss", "aud", "exp", "iat", "nbf", "jti", "nonce", "azp", "at_hash", "c_hash", "sid",
];

/// Removes the [`TOKEN_CLAIMS`] from `claims`: for the "every other claim" map of a user
/// type, which should hold claims about the user only.
pub fn remove_token_claims(claims: &mut Map<String, Value>) {
    claims.retain(|name, _| !TOKEN_CLAIMS.contains(&name.as_str()));
}

/// A serde `deserialize_with` helper for an `Option<bool>` claim that issuers send as a
/// boolean or as a string: `true`, `false`, `"true"`, `"false"` (any case), or `null`
/// (`None`). Anything else is an error, so a value that is no verdict (`"yes"`) fails
/// rather than being guessed at. Use it with `#[serde(default)]` for claims that may be
/// absent.
///
/// ```
/// #[derive(serde::Deserialize)]
/// struct User {
///     #[serde(default, deserialize_with = "portcullis_oidc::claims::lenient_bool")]
///     email_verified: Option<bool>,
/// }
///
/// let user: User = serde_json::from_str(r#"{"email_verified": "True"}"#)?;
/// assert_eq!(user.email_verified, Some(true));
/// assert!(serde_json::from_str::<User>(r#"{"email_verified": "yes"}"#).is_err());
/// # Ok::<(), serde_json::Error>(())
/// ```
///
/// # Errors
///
/// A deserialization error for any other value.
pub fn lenient_bool<'de, D: Deserializer<'de>>(d: D) -> Result<Option<bool>, D::Error> {
    match Option::<BoolOrString>::deserialize(d)? {
        None => Ok(None),
        Some(BoolOrString::Bool(b)) => Ok(Some(b)),
        Some(BoolOrString::String(s)) => bool_from_str(&s)
            .map(Some)
            .ok_or_else(|| serde::de::Error::custom("expected a boolean or \"true\"/\"false\"")),
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum BoolOrString {
    Bool(bool),
    String(String),
}

/// `"true"` or `"false"`, any case.
fn bool_from_str(s: &str) -> Option<bool> {
    if s.eq_ignore_ascii_case("true") {
        Some(true)
    } else if s.eq_ignore_ascii_case("false") {
        Some(false)
    } else {
        None
    }
}

/// Whether `value` is what [`lenient_bool`] reads: a boolean, `"true"`/`"false"` in any
/// case, or `null`.
pub(crate) fn is_lenient_bool(value: &Value) -> bool {
    match value {
        Value::Null | Value::Bool(_) => true,
        Value::String(s) => bool_from_str(s).is_some(),
        _ => false,
    }
}

/// A serde `deserialize_with` helper for an `Option<String>` claim that issuers send as a
/// string or as a number: a number is kept as its decimal string, `null` is `None`. For
/// `updated_at`, which the standard has in seconds and Auth0 and Salesforce send as an
/// ISO 8601 date.
///
/// # Errors
///
/// A deserialization error for anything but a string, a number or `null`.
pub fn string_or_number<'de, D: Deserializer<'de>>(d: D) -> Result<Option<String>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum StringOrNumber {
        String(String),
        Number(serde_json::Number),
    }
    Ok(match Option::<StringOrNumber>::deserialize(d)? {
        None => None,
        Some(StringOrNumber::String(s)) => Some(s),
        Some(StringOrNumber::Number(n)) => Some(n.to_string()),
    })
}

/// The name to show for a user: `name` when the issuer sends a non-empty one, else the
/// non-empty ones of `given_name` and `family_name` joined by a space, else `None`.
pub fn full_name(
    name: Option<&str>,
    given_name: Option<&str>,
    family_name: Option<&str>,
) -> Option<String> {
    if let Some(name) = name.filter(|name| !name.is_empty()) {
        return Some(name.to_owned());
    }
    let parts: Vec<&str> = [given_name, family_name]
        .into_iter()
        .flatten()
        .filter(|part| !part.is_empty())
        .collect();
    (!parts.is_empty()).then(|| parts.join(" "))
}

/// Deserializes claims into `T`, naming the offending claim but never its value.
pub(crate) fn from_map<T: DeserializeOwned>(claims: Map<String, Value>) -> Result<T, Error> {
    serde_path_to_error::deserialize(Value::Object(claims)).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let claim = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(missing) => missing.to_owned(),
            None if path == "." => "(claims)".to_owned(),
            None => path,
        };
        IdTokenError::Claim { claim }.into()
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[derive(Debug, Deserialize)]
    struct Flags {
        #[serde(default, deserialize_with = "lenient_bool")]
        flag: Option<bool>,
        #[serde(default, deserialize_with = "string_or_number")]
        updated_at: Option<String>,
    }

    #[test]
    fn booleans_as_booleans_or_strings_and_nothing_else() {
        for (value, expected) in [
            (json!(true), Some(true)),
            (json!("true"), Some(true)),
            (json!("TRUE"), Some(true)),
            (json!(false), Some(false)),
            (json!("False"), Some(false)),
            (Value::Null, None),
        ] {
            let flags: Flags = serde_json::from_value(json!({ "flag": value })).unwrap();
            assert_eq!(flags.flag, expected, "{value}");
            assert!(is_lenient_bool(&value), "{value}");
        }
        let flags: Flags = serde_json::from_value(json!({})).unwrap();
        assert_eq!(flags.flag, None);
        for value in [json!("yes"), json!(1), json!(""), json!(["true"])] {
            assert!(
                serde_json::from_value::<Flags>(json!({ "flag": value })).is_err(),
                "{value}"
            );
            assert!(!is_lenient_bool(&value), "{value}");
        }
    }

    #[test]
    fn strings_or_numbers_become_strings() {
        for (value, expected) in [
            (
                json!("2024-05-02T09:13:48.321Z"),
                Some("2024-05-02T09:13:48.321Z"),
            ),
            (json!(1_714_641_228), Some("1714641228")),
            (json!(1.5), Some("1.5")),
            (Value::Null, None),
        ] {
            let flags: Flags = serde_json::from_value(json!({ "updated_at": value })).unwrap();
            assert_eq!(flags.updated_at.as_deref(), expected, "{value}");
        }
        assert!(serde_json::from_value::<Flags>(json!({"updated_at": true})).is_err());
    }

    #[test]
    fn the_full_name_falls_back_to_the_non_empty_name_parts() {
        assert_eq!(
            full_name(Some("Jane Doe"), Some("J"), Some("D")).as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            full_name(None, Some("Jane"), Some("Doe")).as_deref(),
            Some("Jane Doe")
        );
        assert_eq!(
            full_name(Some(""), Some(""), Some("Doe")).as_deref(),
            Some("Doe")
        );
        assert_eq!(full_name(None, Some("Jane"), None).as_deref(), Some("Jane"));
        assert_eq!(full_name(Some(""), Some(""), Some("")), None);
        assert_eq!(full_name(None, None, None), None);
    }

    #[test]
    fn token_claims_are_removed_and_the_rest_kept() {
        let mut claims = json!({
            "iss": "i", "aud": "a", "exp": 1, "iat": 1, "nbf": 1, "jti": "j", "nonce": "n",
            "azp": "a", "at_hash": "h", "c_hash": "c", "sid": "s",
            "auth_time": 1, "acr": "0", "amr": ["pwd"], "groups": ["g"], "sub": "u",
        })
        .as_object()
        .unwrap()
        .clone();
        remove_token_claims(&mut claims);
        let mut kept: Vec<&str> = claims.keys().map(String::as_str).collect();
        kept.sort_unstable();
        assert_eq!(kept, ["acr", "amr", "auth_time", "groups", "sub"]);
    }

    #[test]
    fn a_claim_that_does_not_fit_is_named_but_not_shown() {
        #[derive(Debug, Deserialize)]
        struct User {
            #[allow(dead_code)]
            sub: String,
            #[allow(dead_code)]
            #[serde(default)]
            groups: Vec<String>,
        }
        let claims = |value: Value| value.as_object().unwrap().clone();
        let err = from_map::<User>(claims(json!({"sub": "u", "groups": "s3cr3t"}))).unwrap_err();
        assert!(
            matches!(&err, Error::IdToken(IdTokenError::Claim { claim }) if claim == "groups"),
            "{err:?}"
        );
        assert!(!format!("{err} {err:?}").contains("s3cr3t"));
        let err = from_map::<User>(claims(json!({}))).unwrap_err();
        assert!(
            matches!(&err, Error::IdToken(IdTokenError::Claim { claim }) if claim == "sub"),
            "{err:?}"
        );
    }
}
