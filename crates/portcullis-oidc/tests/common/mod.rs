//! Shared by the test binaries: keys that sign ID tokens the way an issuer does, a mock
//! issuer, and a clock the tests move by hand.

// Each test binary uses part of this module.
#![allow(dead_code, unreachable_pub)]

pub mod keys;

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mockito::{Mock, Server, ServerGuard};
use openidconnect::core::{
    CoreEdDsaPrivateSigningKey, CoreHmacKey, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{AccessToken, AccessTokenHash, JsonWebKeyId, PrivateSigningKey};
use portcullis_oidc::Clock;
use serde_json::{Value, json};

pub const CLIENT_ID: &str = "portcullis-test-client";
pub const CLIENT_SECRET: &str = "s3cr3t-client";
pub const REDIRECT: &str = "http://localhost:3000/login/oidc/callback";

/// A key that signs tokens, with the algorithm and `kid` it signs them with.
pub struct Signer {
    key: Box<dyn PrivateSigningKey<VerificationKey = CoreJsonWebKey> + Send + Sync>,
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
}

impl Signer {
    pub fn rsa_1() -> Self {
        Self::rsa(keys::RSA_1, "rsa-1")
    }

    pub fn rsa_2() -> Self {
        Self::rsa(keys::RSA_2, "rsa-2")
    }

    fn rsa(pem: &str, kid: &str) -> Self {
        Signer {
            key: Box::new(
                CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned())))
                    .unwrap(),
            ),
            alg: CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            kid: Some(kid.to_owned()),
        }
    }

    pub fn ed25519() -> Self {
        Signer {
            key: Box::new(
                CoreEdDsaPrivateSigningKey::from_ed25519_pem(
                    keys::ED25519,
                    Some(JsonWebKeyId::new("ed-1".to_owned())),
                )
                .unwrap(),
            ),
            alg: CoreJwsSigningAlgorithm::EdDsa,
            kid: Some("ed-1".to_owned()),
        }
    }

    pub fn hmac(secret: &str) -> Self {
        Signer {
            key: Box::new(CoreHmacKey::new(secret.as_bytes())),
            alg: CoreJwsSigningAlgorithm::HmacSha256,
            kid: None,
        }
    }

    /// The same key, signing with another algorithm.
    pub fn with_alg(mut self, alg: CoreJwsSigningAlgorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The same key, naming another `kid` (or none) in its tokens' headers.
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(str::to_owned);
        self
    }

    /// The public key as the issuer's JWKS lists it.
    pub fn jwk(&self) -> Value {
        serde_json::to_value(self.key.as_verification_key()).unwrap()
    }

    /// A JWS with exactly this header and payload.
    pub fn sign_raw(&self, header: &Value, payload: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(payload.to_string())
        );
        let signature = self.key.sign(&self.alg, input.as_bytes()).unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// The header this signer puts on its tokens.
    pub fn header(&self) -> Value {
        let mut header = json!({"alg": serde_json::to_value(&self.alg).unwrap(), "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        header
    }

    /// An ID token with these claims.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_raw(&self.header(), claims)
    }

    /// The `at_hash` of `access_token` for this signer's algorithm.
    pub fn at_hash(&self, access_token: &str) -> String {
        AccessTokenHash::from_token(
            &AccessToken::new(access_token.to_owned()),
            &self.alg,
            &self.key.as_verification_key(),
        )
        .unwrap()
        .to_string()
    }
}

/// A JWKS document with these signers' public keys.
pub fn jwks(signers: &[&Signer]) -> String {
    json!({"keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>()}).to_string()
}

pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH).unwrap().as_secs()
}

/// Valid claims for `issuer`: audience [`CLIENT_ID`], issued now, valid ten minutes.
pub fn claims(issuer: &str, nonce: &str) -> Value {
    let now = unix(SystemTime::now());
    json!({
        "iss": issuer,
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "exp": now + 600,
        "iat": now,
        "nonce": nonce,
        "auth_time": now - 5,
    })
}

/// A mock issuer on 127.0.0.1: its issuer identifier is the server's URL.
pub struct MockIssuer {
    pub server: ServerGuard,
}

impl MockIssuer {
    pub async fn start() -> Self {
        MockIssuer {
            server: Server::new_async().await,
        }
    }

    pub fn issuer(&self) -> String {
        self.server.url()
    }

    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A discovery document shaped like a real issuer's, with every endpoint on this
    /// server.
    pub fn discovery_document(&self) -> Value {
        let issuer = self.issuer();
        json!({
            "issuer": issuer,
            "authorization_endpoint": format!("{issuer}/auth"),
            "token_endpoint": format!("{issuer}/token"),
            "userinfo_endpoint": format!("{issuer}/me"),
            "jwks_uri": format!("{issuer}/jwks"),
            "revocation_endpoint": format!("{issuer}/token/revocation"),
            "end_session_endpoint": format!("{issuer}/session/end"),
            "scopes_supported": ["openid", "offline_access", "profile", "email"],
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256", "EdDSA", "HS256", "none"],
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "code_challenge_methods_supported": ["S256"],
            "authorization_response_iss_parameter_supported": true,
            "claims_supported": ["sub", "email", "email_verified", "name"],
        })
    }

    pub async fn mock_discovery(&mut self, document: &Value) -> Mock {
        self.server
            .mock("GET", "/.well-known/openid-configuration")
            .match_header("accept", "application/json")
            .with_header("content-type", "application/json; charset=utf-8")
            .with_body(document.to_string())
            .expect(1)
            .create_async()
            .await
    }

    /// The JWKS, expected to be fetched `times` times.
    pub async fn mock_jwks(&mut self, body: String, times: usize) -> Mock {
        self.server
            .mock("GET", "/jwks")
            .match_header("accept", "application/json")
            .with_header("content-type", "application/jwk-set+json; charset=utf-8")
            .with_body(body)
            .expect(times)
            .create_async()
            .await
    }
}

/// A clock the test moves by hand.
#[derive(Clone)]
pub struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    pub fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(SystemTime::now())))
    }

    pub fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    pub fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    }
}
