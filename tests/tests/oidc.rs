//! `portcullis-oidc` end to end against a real, certified OpenID provider
//! (`oidc-provider`, see `tests/oidc-provider/`): discovery, authorization through its
//! login and consent pages, the code exchange with PKCE and each client authentication
//! method, ID-token verification, userinfo, refresh, revocation, key rotation — and the
//! failures, each with its typed error.
//!
//! Skipped with a message when Node.js is not installed, unless
//! `PORTCULLIS_REQUIRE_NODE=1`.

use std::time::{Duration, SystemTime};

use portcullis::{
    CallbackParams, ClientConfig, Error, HttpClient, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, ProviderSession, RequestErrorKind,
};
use portcullis_e2e::oidc_provider::{
    BASIC_CLIENT, Browser, OidcProvider, POST_CLIENT, POST_LOGOUT_REDIRECT_URI, PUBLIC_CLIENT,
    REDIRECT_URI, TestClient,
};
use portcullis_oidc::{
    Clock, IdTokenChecks, LogoutRequest, Oidc, OidcOptions, OidcUser, VerifiedIdToken,
};
use url::Url;

type Client = OAuthClient<Oidc, MemoryAdapter<String>>;
type Session = ProviderSession<OidcUser, MemoryAdapter<String>>;

/// Starts the provider, or says (once per run, past the test harness's output capture)
/// why the tests are skipped and returns `None`.
fn start(test: &str) -> Option<OidcProvider> {
    static SKIP_NOTICE: std::sync::Once = std::sync::Once::new();
    match OidcProvider::start() {
        Ok(Some(server)) => Some(server),
        Ok(None) => {
            SKIP_NOTICE.call_once(|| {
                use std::io::Write;
                let _ = writeln!(
                    std::io::stderr(),
                    "SKIPPED the oidc-provider end-to-end tests: Node.js (with npm) is not \
                     installed, so the real OpenID provider cannot run. Install Node.js 20+ to \
                     run them; PORTCULLIS_REQUIRE_NODE=1 (set by CI) makes this a failure."
                );
            });
            eprintln!("SKIPPED {test}: Node.js is not installed");
            None
        }
        Err(e) => panic!("{test}: cannot start oidc-provider: {e}"),
    }
}

async fn discover(op: &OidcProvider, options: OidcOptions) -> Oidc {
    Oidc::discover(op.issuer(), &HttpClient::new(), options)
        .await
        .unwrap_or_else(|e| panic!("discovery failed: {e}\n{}", op.logs()))
}

fn config(client: TestClient) -> ClientConfig {
    let config = match client.secret {
        Some(secret) => ClientConfig::new(client.id, secret),
        None => ClientConfig::public(client.id),
    };
    config
        .redirect_uri(REDIRECT_URI.parse().unwrap())
        .scopes(["profile", "email"])
}

fn client(oidc: Oidc, config: ClientConfig, store: &MemoryAdapter<String>) -> Client {
    OAuthClient::new(oidc, config, store.clone())
        .unwrap()
        .with_id("e2e")
}

/// What the provider redirected back with, and the pending authorization it belongs to.
struct Callback {
    params: CallbackParams,
    pending: portcullis::PendingAuthorization,
    url: Url,
}

/// Starts a sign-in and walks the provider's pages in a fresh browser as `login`.
async fn authorize(op: &OidcProvider, client: &Client, login: &str) -> Callback {
    let auth = client.authorization_url();
    let url = Browser::new()
        .authorize(&auth.url, login)
        .await
        .unwrap_or_else(|e| panic!("authorization failed: {e}\n{}", op.logs()));
    let params = CallbackParams::from_query(url.query().unwrap_or_default()).unwrap();
    Callback {
        params,
        pending: auth.pending,
        url,
    }
}

async fn sign_in(op: &OidcProvider, client: &Client, login: &str) -> Session {
    let callback = authorize(op, client, login).await;
    client
        .validate_callback(&callback.params, &callback.pending)
        .await
        .unwrap_or_else(|e| panic!("sign-in failed: {e:?}\n{}", op.logs()))
}

/// The session's ID token, verified again (as the provider did during sign-in).
async fn id_token_of(
    oidc: &Oidc,
    session: &Session,
    client_id: &str,
    nonce: &str,
) -> Result<VerifiedIdToken, Error> {
    let token = session.tokens.id_token().expect("an ID token");
    oidc.verifier()
        .verify(
            &HttpClient::new(),
            "e2e",
            token.secret(),
            &IdTokenChecks::new(client_id).nonce(nonce),
        )
        .await
}

fn id_token_error<T: std::fmt::Debug>(result: Result<T, Error>) -> IdTokenError {
    match result {
        Err(Error::IdToken(e)) => e,
        other => panic!("expected an ID-token error, got {other:?}"),
    }
}

fn oauth_error<T: std::fmt::Debug>(result: Result<T, Error>, phase: Phase) -> String {
    match result {
        Err(Error::Request(e)) => {
            assert_eq!(e.phase(), phase, "{e}");
            match e.kind() {
                RequestErrorKind::OAuth { response, .. } => response.error.clone(),
                other => panic!("expected an OAuth error response, got {other:?}"),
            }
        }
        other => panic!("expected a request error, got {other:?}"),
    }
}

/// Basic, post and public clients each sign in end to end; the server refuses any
/// other client authentication than the registered one, so each method is the one sent.
#[tokio::test]
async fn sign_in_with_each_client_authentication_method() {
    let Some(op) = start("sign_in_with_each_client_authentication_method") else {
        return;
    };
    // Discovery picks client_secret_basic, which oidc-provider lists first; the post
    // client says so explicitly.
    for (test_client, options) in [
        (BASIC_CLIENT, OidcOptions::new()),
        (
            POST_CLIENT,
            OidcOptions::new().client_auth(portcullis::ClientAuth::RequestBody),
        ),
        (PUBLIC_CLIENT, OidcOptions::new()),
    ] {
        let oidc = discover(&op, options).await;
        let store = MemoryAdapter::<String>::new();
        let idp = client(oidc.clone(), config(test_client), &store);

        let callback = authorize(&op, &idp, "alice").await;
        assert_eq!(
            callback.params.iss(),
            Some(op.issuer()),
            "RFC 9207 iss in the callback: {}",
            callback.url
        );
        let session = idp
            .validate_callback(&callback.params, &callback.pending)
            .await
            .unwrap_or_else(|e| panic!("{}: {e:?}\n{}", test_client.auth_method, op.logs()));

        let user = &session.provider_user;
        assert_eq!(session.key().to_string(), "e2e:alice");
        assert_eq!(user.sub, "alice");
        assert_eq!(user.issuer(), Some(op.issuer()));
        assert_eq!(user.preferred_username.as_deref(), Some("alice"));
        let profile = session.profile();
        assert_eq!(profile.name.as_deref(), Some("Test User alice"));
        assert_eq!(profile.verified_email(), Some("alice@example.com"));
        assert!(session.existing_user.is_none());
        assert!(
            session
                .tokens
                .scopes()
                .unwrap()
                .iter()
                .any(|s| s == "email")
        );

        // conformIdTokenClaims: the ID token itself has no email; it came from userinfo.
        let token = id_token_of(
            &oidc,
            &session,
            test_client.id,
            callback.pending.nonce().unwrap(),
        )
        .await
        .unwrap();
        assert_eq!(token.subject(), "alice");
        assert_eq!(token.audiences(), [test_client.id]);
        assert!(token.claim("email").is_none(), "{:?}", token.claims());
        assert!(token.claim("name").is_none(), "{:?}", token.claims());

        // The second sign-in finds the user the first one created.
        let created = session
            .create_user("alice's attributes".into())
            .await
            .unwrap();
        let again = sign_in(&op, &idp, "alice").await;
        assert_eq!(again.existing_user.map(|u| u.id), Some(created.id));
    }
}

/// `offline_access` with `prompt=consent` gives a refresh token; it refreshes, with a
/// new ID token that verifies, until it is revoked, then fails with `invalid_grant`.
#[tokio::test]
async fn refresh_then_revoke() {
    let Some(op) = start("refresh_then_revoke") else {
        return;
    };
    for test_client in [BASIC_CLIENT, POST_CLIENT, PUBLIC_CLIENT] {
        let options = match test_client.auth_method {
            "client_secret_post" => {
                OidcOptions::new().client_auth(portcullis::ClientAuth::RequestBody)
            }
            _ => OidcOptions::new(),
        };
        let oidc = discover(&op, options).await;
        let config = config(test_client)
            .scope("offline_access")
            .authorization_param("prompt", "consent");
        let idp = client(oidc, config, &MemoryAdapter::new());
        let session = sign_in(&op, &idp, "bob").await;
        let refresh_token = session
            .tokens
            .refresh_token()
            .expect("a refresh token with offline_access and prompt=consent")
            .clone();

        let refreshed = idp
            .refresh(&refresh_token)
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", test_client.auth_method, op.logs()));
        assert_ne!(
            refreshed.access_token().secret(),
            session.tokens.access_token().secret()
        );
        // An ID token, which `refresh` verified before returning it. oidc-provider's
        // keeps the sign-in's `nonce` (OpenID Connect Core 1.0 §12.2 allows it), so
        // the check must not require a refreshed token to have none.
        assert!(refreshed.id_token().is_some(), "a refreshed ID token");
        // Public clients get a new refresh token each time (rotation).
        let refresh_token = refreshed.refresh_token().unwrap().clone();

        idp.revoke(refresh_token.clone())
            .await
            .unwrap_or_else(|e| panic!("{}: {e}\n{}", test_client.auth_method, op.logs()));
        let error = oauth_error(idp.refresh(&refresh_token).await, Phase::Refresh);
        assert_eq!(error, "invalid_grant", "{}", test_client.auth_method);
    }
}

/// The ID token of a real sign-in must carry the nonce of that sign-in.
#[tokio::test]
async fn a_wrong_nonce_is_refused() {
    let Some(op) = start("a_wrong_nonce_is_refused") else {
        return;
    };
    let idp = client(
        discover(&op, OidcOptions::new()).await,
        config(BASIC_CLIENT),
        &MemoryAdapter::new(),
    );
    let callback = authorize(&op, &idp, "carol").await;
    let result = idp
        .validate_code(
            callback.params.code().unwrap(),
            callback.pending.code_verifier(),
            Some("a-nonce-from-another-sign-in"),
        )
        .await;
    assert_eq!(id_token_error(result), IdTokenError::Nonce);
}

/// A real token, tampered with or checked for another client, fails; verified "later"
/// than its `exp` (a clock two hours ahead), it has expired.
#[tokio::test]
async fn tampered_foreign_and_expired_tokens_are_refused() {
    let Some(op) = start("tampered_foreign_and_expired_tokens_are_refused") else {
        return;
    };
    let oidc = discover(&op, OidcOptions::new()).await;
    let idp = client(oidc.clone(), config(BASIC_CLIENT), &MemoryAdapter::new());
    let callback = authorize(&op, &idp, "dave").await;
    let nonce = callback.pending.nonce().unwrap().to_owned();
    let session = idp
        .validate_callback(&callback.params, &callback.pending)
        .await
        .unwrap();
    let genuine = session.tokens.id_token().unwrap().secret().to_owned();
    let http = HttpClient::new();
    let checks = IdTokenChecks::new(BASIC_CLIENT.id).nonce(&nonce);
    oidc.verifier()
        .verify(&http, "e2e", &genuine, &checks)
        .await
        .unwrap();

    // Tampered: another subject in the payload, the original signature.
    let parts: Vec<&str> = genuine.split('.').collect();
    let payload = decode(parts[1]).replace("\"sub\":\"dave\"", "\"sub\":\"mallory\"");
    assert!(payload.contains("mallory"));
    let tampered = format!("{}.{}.{}", parts[0], encode(&payload), parts[2]);
    let result = oidc
        .verifier()
        .verify(&http, "e2e", &tampered, &checks)
        .await;
    assert_eq!(id_token_error(result), IdTokenError::Signature);

    // Meant for the basic client, presented to the post client.
    let result = oidc
        .verifier()
        .verify(
            &http,
            "e2e",
            &genuine,
            &IdTokenChecks::new(POST_CLIENT.id).nonce(&nonce),
        )
        .await;
    assert_eq!(id_token_error(result), IdTokenError::Audience);

    // Expired: the ID token lives one hour at oidc-provider.
    let later = Clock::from_fn(|| SystemTime::now() + Duration::from_secs(2 * 3600));
    let result = oidc
        .verifier()
        .clone()
        .clock(later.clone())
        .verify(&http, "e2e", &genuine, &checks)
        .await;
    assert_eq!(id_token_error(result), IdTokenError::Expired);

    // The same through a whole sign-in with a provider whose clock is ahead.
    let late = client(
        discover(&op, OidcOptions::new().clock(later)).await,
        config(BASIC_CLIENT),
        &MemoryAdapter::new(),
    );
    let callback = authorize(&op, &late, "dave").await;
    let result = late
        .validate_callback(&callback.params, &callback.pending)
        .await;
    assert_eq!(id_token_error(result), IdTokenError::Expired);
}

fn decode(part: &str) -> String {
    use base64_engine::*;
    String::from_utf8(decode_url_safe(part)).unwrap()
}

fn encode(text: &str) -> String {
    base64_engine::encode_url_safe(text.as_bytes())
}

/// base64url without padding, written out here: the test needs it to tamper with a
/// token and the crate under test should not be the one doing it.
mod base64_engine {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";

    pub(super) fn encode_url_safe(input: &[u8]) -> String {
        let mut out = String::new();
        for chunk in input.chunks(3) {
            let b = [
                chunk[0],
                *chunk.get(1).unwrap_or(&0),
                *chunk.get(2).unwrap_or(&0),
            ];
            let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
            for i in 0..=chunk.len() {
                out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
            }
        }
        out
    }

    pub(super) fn decode_url_safe(input: &str) -> Vec<u8> {
        let values: Vec<u32> = input
            .bytes()
            .map(|c| ALPHABET.iter().position(|&a| a == c).expect("base64url") as u32)
            .collect();
        let mut out = Vec::new();
        for chunk in values.chunks(4) {
            let n = chunk
                .iter()
                .enumerate()
                .fold(0u32, |n, (i, v)| n | (v << (18 - 6 * i)));
            for i in 0..chunk.len().saturating_sub(1) {
                out.push((n >> (16 - 8 * i)) as u8);
            }
        }
        out
    }

    #[test]
    fn round_trips() {
        for text in [
            "",
            "f",
            "fo",
            "foo",
            "foob",
            "fooba",
            "foobar",
            "{\"sub\":\"x\"}",
        ] {
            assert_eq!(
                decode_url_safe(&encode_url_safe(text.as_bytes())),
                text.as_bytes()
            );
        }
        assert_eq!(encode_url_safe(b"foobar"), "Zm9vYmFy");
        assert_eq!(encode_url_safe(b"\xfb\xff"), "-_8");
    }
}

/// A code is single-use: the second exchange fails with `invalid_grant`.
#[tokio::test]
async fn a_replayed_code_is_refused() {
    let Some(op) = start("a_replayed_code_is_refused") else {
        return;
    };
    let idp = client(
        discover(&op, OidcOptions::new()).await,
        config(BASIC_CLIENT),
        &MemoryAdapter::new(),
    );
    let callback = authorize(&op, &idp, "erin").await;
    idp.validate_callback(&callback.params, &callback.pending)
        .await
        .unwrap();
    let replay = idp
        .validate_callback(&callback.params, &callback.pending)
        .await;
    let error = oauth_error(replay, Phase::TokenExchange);
    assert_eq!(error, "invalid_grant");
}

/// The issuer rotates its key: the cached key set does not know the new `kid`, is
/// fetched again, and the sign-in succeeds. A second rotation right after finds the
/// refresh rate-limited (`UnknownKey`) until the interval has passed.
#[tokio::test]
async fn key_rotation_refreshes_the_cached_key_set() {
    let Some(op) = start("key_rotation_refreshes_the_cached_key_set") else {
        return;
    };
    let now = std::sync::Arc::new(std::sync::Mutex::new(SystemTime::now()));
    let clock = {
        let now = now.clone();
        Clock::from_fn(move || *now.lock().unwrap())
    };
    let oidc = discover(
        &op,
        OidcOptions::new()
            .clock(clock)
            .jwks_min_refresh_interval(Duration::from_secs(60)),
    )
    .await;
    let idp = client(oidc.clone(), config(BASIC_CLIENT), &MemoryAdapter::new());
    let kid = |callback: &Callback, session: &Session| {
        let oidc = oidc.clone();
        let nonce = callback.pending.nonce().unwrap().to_owned();
        let session_token = session.tokens.id_token().unwrap().clone();
        async move {
            oidc.verifier()
                .verify(
                    &HttpClient::new(),
                    "e2e",
                    session_token.secret(),
                    &IdTokenChecks::new(BASIC_CLIENT.id).nonce(&nonce),
                )
                .await
                .unwrap()
                .key_id()
                .map(str::to_owned)
        }
    };

    let callback = authorize(&op, &idp, "frank").await;
    let session = idp
        .validate_callback(&callback.params, &callback.pending)
        .await
        .unwrap();
    assert_eq!(kid(&callback, &session).await.as_deref(), Some("key-1"));

    // Rotation: the new kid is unknown to the cache, which fetches the set again.
    assert_eq!(op.rotate_keys().await.unwrap(), "key-2");
    let callback = authorize(&op, &idp, "frank").await;
    let session = idp
        .validate_callback(&callback.params, &callback.pending)
        .await
        .unwrap_or_else(|e| panic!("after rotation: {e:?}\n{}", op.logs()));
    assert_eq!(kid(&callback, &session).await.as_deref(), Some("key-2"));

    // Another rotation within the minute: no second refresh yet.
    assert_eq!(op.rotate_keys().await.unwrap(), "key-3");
    let callback = authorize(&op, &idp, "frank").await;
    let result = idp
        .validate_callback(&callback.params, &callback.pending)
        .await;
    assert_eq!(id_token_error(result), IdTokenError::UnknownKey);

    // A minute later, it refreshes and the sign-in succeeds.
    *now.lock().unwrap() += Duration::from_secs(60);
    let session = sign_in(&op, &idp, "frank").await;
    assert_eq!(session.provider_user.sub, "frank");
}

/// The logout URL is accepted by the provider's end-session endpoint.
#[tokio::test]
async fn the_logout_url_is_accepted() {
    let Some(op) = start("the_logout_url_is_accepted") else {
        return;
    };
    let oidc = discover(&op, OidcOptions::new()).await;
    let idp = client(oidc.clone(), config(BASIC_CLIENT), &MemoryAdapter::new());
    let session = sign_in(&op, &idp, "grace").await;
    let url = oidc
        .logout_url(
            &LogoutRequest::new()
                .id_token_hint(session.tokens.id_token().unwrap())
                .post_logout_redirect_uri(POST_LOGOUT_REDIRECT_URI.parse().unwrap())
                .state("bye"),
        )
        .unwrap();
    // oidc-provider validates id_token_hint (signature, audience) and the registered
    // post-logout URI before it renders its confirmation page; a bad one is a 400.
    let response = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
        .get(url)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let page = response.text().await.unwrap();
    assert_eq!(status, 200, "{page}");
    assert!(page.contains("logout"), "{page}");

    let mut foreign = LogoutRequest::new()
        .id_token_hint(session.tokens.id_token().unwrap())
        .post_logout_redirect_uri("http://127.0.0.1:3000/not-registered".parse().unwrap());
    foreign = foreign.state("bye");
    let response = reqwest::get(oidc.logout_url(&foreign).unwrap())
        .await
        .unwrap();
    assert_eq!(response.status(), 400);
}
