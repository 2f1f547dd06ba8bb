//! OpenID Connect mode: the signing key and its rotation, the discovery document, the
//! key set, ID tokens, and the userinfo claims of OpenID grants.

use std::time::{SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};

use super::{ID_TOKEN_LIFETIME_SECS, MockUser};
use crate::jwt::Signer;

/// The scopes the discovery document lists. Any other scope is accepted too, and none
/// changes which claims are served.
const SCOPES: &[&str] = &["openid", "profile", "email", "offline_access"];

/// The claims the ID tokens and the userinfo responses carry.
const CLAIMS: &[&str] = &[
    "iss",
    "sub",
    "aud",
    "exp",
    "iat",
    "auth_time",
    "nonce",
    "at_hash",
    "name",
    "email",
    "email_verified",
];

/// Whether a space-separated scope asks for OpenID Connect.
pub(super) fn is_openid(scope: Option<&str>) -> bool {
    scope.is_some_and(|scope| scope.split(' ').any(|s| s == "openid"))
}

/// What OpenID Connect mode adds to the server's state.
pub(super) struct Oidc {
    /// The issuer identifier: the server's URL, exactly.
    pub(super) issuer: String,
    key: SigningKey,
}

/// The key ID tokens are signed with, and the only one the key set publishes.
struct SigningKey {
    /// 1 at start, bumped by every rotation; names the key (`kid`).
    generation: u64,
    signer: Signer,
}

impl SigningKey {
    /// The test RSA keys in turn, under a new `kid` each time round.
    fn at(generation: u64) -> Self {
        let number = (generation - 1) % Signer::RSA_KEYS as u64 + 1;
        SigningKey {
            generation,
            signer: Signer::rsa_key(number as usize, format!("mock-key-{generation}")),
        }
    }
}

impl Oidc {
    pub(super) fn new(issuer: String) -> Self {
        Oidc {
            issuer,
            key: SigningKey::at(1),
        }
    }

    /// The `kid` of the current key.
    pub(super) fn key_id(&self) -> String {
        format!("mock-key-{}", self.key.generation)
    }

    /// Retires the current key and signs with the next one from now on.
    pub(super) fn rotate(&mut self) {
        self.key = SigningKey::at(self.key.generation + 1);
    }

    /// The discovery document (OpenID Connect Discovery 1.0 §3), every endpoint on this
    /// server.
    pub(super) fn discovery_document(&self) -> Value {
        let issuer = &self.issuer;
        let auth_methods = ["client_secret_basic", "client_secret_post", "none"];
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/authorize"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/userinfo"),
            "jwks_uri": format!("{issuer}/jwks"),
            "revocation_endpoint": format!("{issuer}/revoke"),
            "scopes_supported": SCOPES,
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "token_endpoint_auth_methods_supported": auth_methods,
            "revocation_endpoint_auth_methods_supported": auth_methods,
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "claims_supported": CLAIMS,
            "claims_parameter_supported": false,
            "request_parameter_supported": false,
            "request_uri_parameter_supported": false,
        })
    }

    /// The key set (RFC 7517 §5): the current key's public half.
    pub(super) fn jwks(&self) -> Value {
        let mut jwk = self.key.signer.jwk();
        jwk["alg"] = json!("RS256");
        json!({ "keys": [jwk] })
    }

    /// An RS256-signed ID token for `user`, meant for `client_id` (`aud`, a string),
    /// bound to `access_token` with `at_hash`; with `nonce` when the authorization
    /// request sent one (never for a refresh). `auth_time` is when the user approved, in
    /// UNIX seconds.
    pub(super) fn id_token(
        &self,
        user: &MockUser,
        client_id: &str,
        nonce: Option<&str>,
        auth_time: u64,
        access_token: &str,
    ) -> Result<String, String> {
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_err(|e| e.to_string())?
            .as_secs();
        let mut claims = json!({
            "iss": self.issuer,
            "sub": user.id,
            "aud": client_id,
            "exp": now + ID_TOKEN_LIFETIME_SECS,
            "iat": now,
            "auth_time": auth_time,
            "at_hash": self.key.signer.at_hash(access_token),
        });
        if let Some(nonce) = nonce {
            claims["nonce"] = json!(nonce);
        }
        if let Value::Object(profile) = user_claims(user) {
            claims
                .as_object_mut()
                .expect("an object")
                .extend(profile.into_iter().filter(|(name, _)| name != "sub"));
        }
        // A compact JWS (RFC 7515 §7.1) of exactly the claims above (`aud` a string, as
        // most issuers send one audience), RS256 under the current `kid`.
        Ok(self.key.signer.sign(&claims))
    }
}

/// The user's standard claims (OpenID Connect Core 1.0 §5.1) as userinfo serves them:
/// `sub`, and `name`, `email` and `email_verified` when the user has them.
pub(super) fn user_claims(user: &MockUser) -> Value {
    let mut claims = json!({ "sub": user.id });
    if let Some(name) = &user.name {
        claims["name"] = json!(name);
    }
    if let Some(email) = &user.email {
        claims["email"] = json!(email);
        claims["email_verified"] = json!(user.email_verified);
    }
    claims
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_embedded_key_is_used_in_turn_and_they_differ() {
        let keys: Vec<Value> = (1..=Signer::RSA_KEYS as u64)
            .map(|generation| {
                let mut oidc = Oidc::new("http://127.0.0.1:1".to_owned());
                for _ in 1..generation {
                    oidc.rotate();
                }
                oidc.jwks()["keys"][0]["n"].clone()
            })
            .collect();
        for (i, a) in keys.iter().enumerate() {
            assert!(a.as_str().is_some_and(|n| n.len() > 300), "{a}");
            for b in &keys[i + 1..] {
                assert_ne!(a, b);
            }
        }
    }

    #[test]
    fn rotation_names_a_new_key_and_cycles_through_the_embedded_ones() {
        let mut oidc = Oidc::new("http://127.0.0.1:1".to_owned());
        let first = oidc.jwks();
        assert_eq!(first["keys"][0]["kid"], "mock-key-1");
        assert_eq!(first["keys"][0]["alg"], "RS256");
        assert_eq!(first["keys"][0]["use"], "sig");
        assert_eq!(first["keys"][0]["kty"], "RSA");
        for _ in 0..Signer::RSA_KEYS {
            oidc.rotate();
        }
        let again = oidc.jwks();
        assert_eq!(again["keys"][0]["kid"], "mock-key-4");
        assert_eq!(oidc.key_id(), "mock-key-4");
        assert_eq!(again["keys"][0]["n"], first["keys"][0]["n"]);
    }

    #[test]
    fn user_claims_leave_out_what_the_user_lacks() {
        assert_eq!(user_claims(&MockUser::new("u")), json!({"sub": "u"}));
        assert_eq!(
            user_claims(&MockUser::new("u").name("N").email("e@x.test", false)),
            json!({"sub": "u", "name": "N", "email": "e@x.test", "email_verified": false})
        );
    }

    #[test]
    fn openid_is_a_whole_scope() {
        assert!(is_openid(Some("openid")));
        assert!(is_openid(Some("profile openid email")));
        assert!(!is_openid(Some("openidx profile")));
        assert!(!is_openid(None));
    }
}
