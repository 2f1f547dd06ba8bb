//! The start of a sign-in: [`AuthorizationUrl`] and the [`PendingAuthorization`] the
//! app keeps until the callback.

use std::fmt;

use serde::{Deserialize, Serialize};
use subtle::ConstantTimeEq;
use url::Url;

/// Where to send the user, and what to keep until they come back.
///
/// Redirect the user to `url`; keep `pending` (in an encrypted, HttpOnly cookie or the
/// server-side session) and hand it to
/// [`OAuthProvider::validate_callback`](crate::OAuthProvider::validate_callback).
#[derive(Clone)]
pub struct AuthorizationUrl {
    /// The provider's authorization URL with every parameter set.
    pub url: Url,
    /// What the callback will be checked against.
    pub pending: PendingAuthorization,
}

impl fmt::Debug for AuthorizationUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The per-sign-in values stay out of logs, like in `PendingAuthorization`.
        let mut url = self.url.clone();
        let pairs: Vec<(String, String)> = self
            .url
            .query_pairs()
            .map(|(k, v)| {
                let v = match k.as_ref() {
                    "state" | "nonce" | "code_challenge" => "[redacted]".to_owned(),
                    _ => v.into_owned(),
                };
                (k.into_owned(), v)
            })
            .collect();
        url.query_pairs_mut().clear().extend_pairs(pairs);
        f.debug_struct("AuthorizationUrl")
            .field("url", &url.as_str())
            .field("pending", &self.pending)
            .finish()
    }
}

/// What an app keeps between the redirect to the provider and the callback: the
/// provider id, the `state`, the PKCE `code_verifier` (PKCE providers) and the `nonce`
/// (OpenID Connect requests).
///
/// It is `Serialize`/`Deserialize` so it can travel in an encrypted cookie. It holds
/// secrets: never put it in a cookie that is only signed, and `Debug` redacts them.
#[derive(Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct PendingAuthorization {
    provider: String,
    state: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    code_verifier: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    nonce: Option<String>,
}

impl PendingAuthorization {
    pub(crate) fn new(
        provider: &str,
        state: String,
        code_verifier: Option<String>,
        nonce: Option<String>,
    ) -> Self {
        PendingAuthorization {
            provider: provider.to_owned(),
            state,
            code_verifier,
            nonce,
        }
    }

    /// The id of the provider the sign-in was started with.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The `state` sent to the provider.
    pub fn state(&self) -> &str {
        &self.state
    }

    /// The PKCE code verifier, for providers that use PKCE.
    pub fn code_verifier(&self) -> Option<&str> {
        self.code_verifier.as_deref()
    }

    /// The OpenID Connect `nonce`, when `openid` was requested.
    pub fn nonce(&self) -> Option<&str> {
        self.nonce.as_deref()
    }

    /// Compares a callback's `state` with ours in constant time.
    pub(crate) fn state_matches(&self, state: &str) -> bool {
        self.state.as_bytes().ct_eq(state.as_bytes()).into()
    }
}

impl fmt::Debug for PendingAuthorization {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { "[redacted]" } else { "None" };
        f.debug_struct("PendingAuthorization")
            .field("provider", &self.provider)
            .field("state", &"[redacted]")
            .field("code_verifier", &redacted(self.code_verifier.is_some()))
            .field("nonce", &redacted(self.nonce.is_some()))
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn state_comparison_is_exact() {
        let p = PendingAuthorization::new("x", "abc".into(), None, None);
        assert!(p.state_matches("abc"));
        assert!(!p.state_matches("abd"));
        assert!(!p.state_matches("ab"));
        assert!(!p.state_matches(""));
    }

    #[test]
    fn debug_redacts_and_serde_round_trips() {
        let p = PendingAuthorization::new(
            "x",
            "STATE-SECRET".into(),
            Some("VERIFIER-SECRET".into()),
            Some("NONCE-SECRET".into()),
        );
        let debug = format!("{p:?}");
        for secret in ["STATE-SECRET", "VERIFIER-SECRET", "NONCE-SECRET"] {
            assert!(!debug.contains(secret), "{debug}");
        }
        let json = serde_json::to_string(&p).unwrap();
        assert_eq!(
            serde_json::from_str::<PendingAuthorization>(&json).unwrap(),
            p
        );
    }
}
