//! Shared by the test modules: a mock issuer, the claims of its tokens, and a clock the
//! tests move by hand. Tokens are signed with `portcullis_testkit::jwt`.

use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use mockito::{Mock, Server, ServerGuard};
use portcullis_oidc::Clock;
use portcullis_testkit::jwt::unix;
use serde_json::{Value, json};

pub(crate) const CLIENT_ID: &str = "portcullis-test-client";
pub(crate) const CLIENT_SECRET: &str = "s3cr3t-client";
pub(crate) const REDIRECT: &str = "http://localhost:3000/login/oidc/callback";

/// Valid claims for `issuer`: audience [`CLIENT_ID`], issued now, valid ten minutes.
pub(crate) fn claims(issuer: &str, nonce: &str) -> Value {
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
pub(crate) struct MockIssuer {
    pub server: ServerGuard,
}

impl MockIssuer {
    pub(crate) async fn start() -> Self {
        MockIssuer {
            server: Server::new_async().await,
        }
    }

    pub(crate) fn issuer(&self) -> String {
        self.server.url()
    }

    pub(crate) fn url(&self, path: &str) -> String {
        format!("{}{path}", self.server.url())
    }

    /// A discovery document shaped like a real issuer's, with every endpoint on this
    /// server.
    pub(crate) fn discovery_document(&self) -> Value {
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

    pub(crate) async fn mock_discovery(&mut self, document: &Value) -> Mock {
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
    pub(crate) async fn mock_jwks(&mut self, body: String, times: usize) -> Mock {
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
pub(crate) struct ManualClock(Arc<Mutex<SystemTime>>);

impl ManualClock {
    pub(crate) fn new() -> Self {
        ManualClock(Arc::new(Mutex::new(SystemTime::now())))
    }

    pub(crate) fn advance(&self, by: Duration) {
        *self.0.lock().unwrap() += by;
    }

    pub(crate) fn clock(&self) -> Clock {
        let now = self.0.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    }
}
