//! Test helpers for Portcullis: what provider crates' tests and apps' own login tests
//! need to check the exact requests a provider receives.
//!
//! * [`form_is`], [`query_is`] — `mockito` matchers for a form body or a query with
//!   exactly these fields;
//! * [`basic_auth`] — the `Authorization` header value for client_secret_basic;
//! * [`callback_for`] — the callback a provider would send for an authorization URL;
//! * [`query_of`] — a URL's query as a sorted map, to assert every parameter;
//! * [`s256_challenge`] — the PKCE challenge a verifier must produce;
//! * [`assert_debug_hides_secrets`], [`assert_forged_callbacks_refused`] — the checks every
//!   provider crate runs on its client;
//! * [`expect`] — the exact requests a provider's endpoints must receive, as `mockito`
//!   mocks, a client pointed at the mock, and the typed errors a failed request must be;
//! * [`TestProvider`] — a minimal provider for testing the core and apps' own flows;
//! * [`MockProvider`] — an in-process OAuth 2.0 authorization server for
//!   [`TestProvider`], to sign in without the internet from tests or a browser
//!   ([`mock`]);
//! * [`jwt`] — ID tokens signed as an issuer signs them: a [`jwt::Signer`] over the
//!   embedded test keys, the key set it publishes, forgeries, and the `IdTokenError` of
//!   a sign-in that must fail;
//! * [`hostile`] — a raw TCP server that misbehaves (drips, resets, redirects, …) and
//!   the fault matrix that runs every such fault against a phase of the flow;
//! * [`store::behaves_like_a_store`] — the behaviour suite every `UserAdapter` passes;
//! * [`postgres::TempPostgres`] — a throwaway Postgres server for tests.

#![forbid(unsafe_code)]

pub mod expect;
pub mod hostile;
pub mod jwt;
pub mod mock;
pub mod postgres;
pub mod store;

pub use mock::MockProvider;

use std::collections::BTreeMap;

use portcullis::{
    AuthorizationUrl, CallbackParams, ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo,
    ProviderUser, Refresh, Revoke, Url, UserRequest,
};
use serde::{Deserialize, Serialize};

/// A minimal provider: PKCE S256, HTTP Basic client auth, refresh and revoke, and a
/// user fetched as JSON from the userinfo endpoint. Point it at a mock server with
/// [`OAuthClient::with_endpoints`](portcullis::OAuthClient::with_endpoints).
#[derive(Debug, Clone, Default)]
pub struct TestProvider;

impl Provider for TestProvider {
    type User = TestUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "test",
        name: "Test provider",
        authorization_url: "https://auth.test.invalid/authorize",
        token_url: "https://auth.test.invalid/token",
        revocation_url: Some("https://auth.test.invalid/revoke"),
        userinfo_url: Some("https://auth.test.invalid/userinfo"),
        issuer: Some("https://auth.test.invalid"),
        default_scopes: &["profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "the `email_verified` field",
        docs_url: "https://auth.test.invalid/docs",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TestUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for TestProvider {}
impl Revoke for TestProvider {}

/// The user [`TestProvider`] serves.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TestUser {
    /// The provider user id.
    pub id: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The email.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email is verified.
    #[serde(default)]
    pub email_verified: bool,
}

impl ProviderUser for TestUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.id.clone())
            .with_name(self.name.clone())
            .with_email(self.email.clone(), self.email_verified)
    }
}

/// The query parameters of `url`, sorted by name. Repeated names keep the last value.
pub fn query_of(url: &Url) -> BTreeMap<String, String> {
    url.query_pairs().into_owned().collect()
}

/// Parses an `application/x-www-form-urlencoded` body into a sorted list of pairs.
pub fn form_fields(body: &[u8]) -> Vec<(String, String)> {
    let mut fields: Vec<(String, String)> =
        url::form_urlencoded::parse(body).into_owned().collect();
    fields.sort();
    fields
}

/// A `mockito` request matcher: the form body has exactly `expected` fields — no field
/// missing, none extra, none repeated.
///
/// On mismatch it prints both lists to stderr, so the failing test shows why mockito
/// answered 501.
///
/// ```
/// # async fn f(server: &mut mockito::Server) {
/// server.mock("POST", "/token")
///     .match_request(portcullis_testkit::form_is(&[("grant_type", "authorization_code"), ("code", "c")]))
///     .create_async().await;
/// # }
/// ```
pub fn form_is(
    expected: &[(&str, &str)],
) -> impl Fn(&mockito::Request) -> bool + Send + Sync + 'static {
    exactly("form body", expected, |request| {
        form_fields(request.body().map(Vec::as_slice).unwrap_or_default())
    })
}

/// A `mockito` request matcher: the query has exactly `expected` parameters, however
/// they are encoded — none missing, none extra, none repeated. Use it with
/// `.match_query(mockito::Matcher::Any)`, which lets every query reach it.
pub fn query_is(
    expected: &[(&str, &str)],
) -> impl Fn(&mockito::Request) -> bool + Send + Sync + 'static {
    exactly("query", expected, |request| {
        let query = request
            .path_and_query()
            .split_once('?')
            .map_or("", |(_, q)| q);
        form_fields(query.as_bytes())
    })
}

/// A matcher comparing the sorted pairs `actual` reads from a request with `expected`,
/// printing both to stderr on mismatch.
fn exactly(
    what: &'static str,
    expected: &[(&str, &str)],
    actual: impl Fn(&mockito::Request) -> Vec<(String, String)> + Send + Sync + 'static,
) -> impl Fn(&mockito::Request) -> bool + Send + Sync + 'static {
    let mut expected: Vec<(String, String)> = expected
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    expected.sort();
    move |request| {
        let actual = actual(request);
        let matches = actual == expected;
        if !matches {
            eprintln!("{what} mismatch:\n  expected {expected:?}\n  actual   {actual:?}");
        }
        matches
    }
}

/// The `Authorization` header for HTTP Basic client authentication (RFC 6749 §2.3.1:
/// id and secret form-urlencoded, joined by `:`, base64-encoded).
pub fn basic_auth(client_id: &str, client_secret: &str) -> String {
    let encode = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
    format!(
        "Basic {}",
        base64(format!("{}:{}", encode(client_id), encode(client_secret)).as_bytes())
    )
}

/// The callback a provider sends after the user approved: `code` plus the `state` from
/// the authorization URL.
///
/// # Panics
///
/// If the URL has no `state` parameter.
pub fn callback_for(authorization: &AuthorizationUrl, code: &str) -> CallbackParams {
    let state = query_of(&authorization.url)
        .remove("state")
        .expect("the authorization URL has a state");
    CallbackParams::new(code, state)
}

/// Asserts that neither a client's `Debug` nor the `Debug` of an authorization it starts
/// shows `client_secret` or any per-sign-in secret: the `state`, the PKCE verifier and
/// challenge, the nonce. Every provider crate's tests call it on their client.
///
/// # Panics
///
/// When a secret shows, with the offending output.
pub fn assert_debug_hides_secrets<C>(client: &C, client_secret: &str)
where
    C: portcullis::OAuthProvider + std::fmt::Debug,
{
    let auth = client.authorization_url();
    let debug = format!("{client:?} {auth:?}");
    let query = query_of(&auth.url);
    let mut secrets = vec![client_secret, auth.pending.state()];
    secrets.extend(auth.pending.code_verifier());
    secrets.extend(auth.pending.nonce());
    secrets.extend(query.get("code_challenge").map(String::as_str));
    for secret in secrets {
        assert!(!debug.contains(secret), "a secret shows in {debug}");
    }
}

/// Asserts that a client refuses, with the right typed error, the callbacks that must
/// never reach the token endpoint: a forged `state`, a user's cancellation
/// (`error=access_denied`), and a callback without `code`. The caller checks that its
/// mock token endpoint saw no request.
///
/// # Panics
///
/// When a callback is accepted or fails with another error.
pub async fn assert_forged_callbacks_refused<C: portcullis::OAuthProvider>(client: &C) {
    use portcullis::{CallbackError, Error};
    let auth = client.authorization_url();
    let state = auth.pending.state();
    let cases = [
        (
            CallbackParams::new("the-code", "not-the-state"),
            "STATE_MISMATCH",
        ),
        (
            CallbackParams::from_query(&format!(
                "error=access_denied&error_description=The+user+declined&state={state}"
            ))
            .expect("a valid query"),
            "PROVIDER_ERROR",
        ),
        (
            CallbackParams::from_query(&format!("state={state}")).expect("a valid query"),
            "INVALID_CALLBACK",
        ),
    ];
    for (callback, code) in cases {
        let err = match client.validate_callback(&callback, &auth.pending).await {
            Ok(_) => panic!("{callback:?} was accepted"),
            Err(err) => err,
        };
        assert_eq!(err.code(), code, "{err:?}");
        assert!(!err.is_retryable(), "{err:?}");
        match (&err, code) {
            (Error::Callback(CallbackError::StateMismatch), "STATE_MISMATCH") => {}
            (Error::Callback(e), "PROVIDER_ERROR") if e.is_access_denied() => {}
            (Error::Callback(CallbackError::MissingCode), "INVALID_CALLBACK") => {}
            _ => panic!("{callback:?}: unexpected {err:?}"),
        }
    }
}

/// The PKCE S256 challenge of `verifier` (RFC 7636 §4.2): base64url(SHA-256(verifier))
/// without padding.
pub fn s256_challenge(verifier: &str) -> String {
    use sha2::Digest;
    jwt::base64url(&sha2::Sha256::digest(verifier.as_bytes()))
}

/// The standard base64 alphabet (RFC 4648 §4).
const STANDARD_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
/// The URL- and filename-safe alphabet (RFC 4648 §5).
const URL_SAFE_ALPHABET: &[u8; 64] =
    b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

/// Standard base64 with padding, for the Basic header.
fn base64(input: &[u8]) -> String {
    base64_encode(input, STANDARD_ALPHABET, true)
}

/// Base64 (RFC 4648) with `alphabet`, padded with `=` or not: written out here so tests
/// check what the code under test encodes against an encoder that is not its own.
fn base64_encode(input: &[u8], alphabet: &[u8; 64], pad: bool) -> String {
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            chunk.get(1).copied().unwrap_or(0),
            chunk.get(2).copied().unwrap_or(0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(char::from(alphabet[(n >> (18 - 6 * i)) as usize & 63]));
            } else if pad {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(input.as_bytes()), output);
        }
    }

    #[test]
    fn s256_matches_rfc_7636_appendix_b() {
        assert_eq!(
            s256_challenge("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"),
            "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
        );
    }

    #[test]
    fn basic_auth_form_encodes_first() {
        assert_eq!(
            basic_auth("id", "s e:c"),
            format!("Basic {}", base64(b"id:s+e%3Ac"))
        );
    }
}
