//! Sign in with Apple against a mock of its documented endpoints: the client secret we
//! mint (checked with the public half of a test key), its renewal, the exact requests we
//! send, the `form_post` callback with and without the first sign-in's `user` JSON, and
//! every way an ID token is refused.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use mockito::{Matcher, Server};
use p256::ecdsa::signature::Verifier;
use p256::ecdsa::{Signature, VerifyingKey};
use p256::pkcs8::DecodePublicKey;
use portcullis::{
    CallbackError, CallbackParams, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Pkce, Provider, ProviderUser, RefreshToken, USER_AGENT, Url,
};
use portcullis_apple::{Apple, AppleUser, RealUserStatus, ResponseMode};
use portcullis_oidc::{Clock, Jwks};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, tamper};
use portcullis_testkit::query_of;
use serde_json::{Value, json};

const TEAM_ID: &str = "DEF123GHIJ";
const KEY_ID: &str = "ABC123DEFG";
/// The Services ID.
const CLIENT_ID: &str = "com.example.web";
const REDIRECT: &str = "https://app.example/login/apple/callback";
const CODE: &str = "c7a1b2c3d4e5f60718293a4b5c6d7e8f9.0.mrsw.Xk2vQ7mN3pR8sT1uV4wY6z";
const ACCESS_TOKEN: &str = "a0f2c7e9b1d34e5f8a6b7c8d9e0f1a2b3.0.mrsw.aBcDeFgHiJkLmNoPqRsTuV";
const REFRESH_TOKEN: &str = "r4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f90.0.mrsw.QwErTyUiOpAsDfGhJkLzXc";
const SUB: &str = "001234.5f2f3a9e8c7b4d6e9a1b2c3d4e5f6a7b.1234";
/// The `kid` of the test RSA key, shaped like Apple's.
const KID: &str = "W6WcOKB";
const NONCE: &str = "n-0S6_WzA2Mj";
/// The test clock's start: ID tokens and client secrets are issued then.
const T0: u64 = 1_700_000_000;

/// **Test-only** Sign in with Apple key (PKCS#8 PEM, P-256), generated once with
/// `openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256` for these tests and
/// published with them: it signs nothing but test client secrets.
const TEST_P8: &str = "-----BEGIN PRIVATE KEY-----
MIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQgAbcoydL7DV4LJ1ld
4vOOIoxI7fEdjnc1CVO3euzowNehRANCAAQt1tb6c2dWr8upIsW4ZpJUlcjmubgk
vuXFw29D793jCcfmpuDAqqK0HZQ4XSHLN6TB30CC2+B8+e5lfrZOOMgO
-----END PRIVATE KEY-----
";
/// The public half of [`TEST_P8`] (`openssl pkey -pubout`).
const TEST_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAELdbW+nNnVq/LqSLFuGaSVJXI5rm4
JL7lxcNvQ+/d4wnH5qbgwKqitB2UOF0hyzekwd9AgtvgfPnuZX62TjjIDg==
-----END PUBLIC KEY-----
";
/// The public half of another test-only P-256 key: no secret of ours verifies with it.
const OTHER_PUBLIC: &str = "-----BEGIN PUBLIC KEY-----
MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAESg5fkyMPvoQqGGy3/YkYlzlK5+Z5
uPPY9kqTd2T9XLNu0Nsjf4W0/Ee7cxqKaZYEinYeqCCa7TGZ7RpUqC7ZKA==
-----END PUBLIC KEY-----
";
/// A test-only P-384 key: not what Sign in with Apple uses.
const TEST_P384: &str = "-----BEGIN PRIVATE KEY-----
MIG2AgEAMBAGByqGSM49AgEGBSuBBAAiBIGeMIGbAgEBBDDXCTF4f1O2F+U+QZnk
w1k0UQnXbihV1QeKhpYi4QevxCwcW6ZVG+TumABIGj71GM+hZANiAASPOPunx7Ot
BjCTQlOIgcAiuByAbbYkHuXNukHhbViqFaCmlFaprSrQq2FF0x5KCOYYJ/vymaw0
v67i8yFwpZrQWW/r7TDvCTLOEFmEhfxCe7GzhSISTcgMEsKFfhdEO8I=
-----END PRIVATE KEY-----
";
/// A line of [`TEST_P8`]'s body: must never show in a `Debug` or an error.
const KEY_MATERIAL: &str = "4vOOIoxI7fEdjnc1CVO3euzowNehRANCAAQt1tb6c2dWr8upIsW4ZpJUlcjmubgk";

/// A clock the test moves by hand, in seconds since the epoch.
#[derive(Clone)]
struct TestClock(Arc<AtomicU64>);

impl TestClock {
    fn at(secs: u64) -> Self {
        TestClock(Arc::new(AtomicU64::new(secs)))
    }

    fn set(&self, secs: u64) {
        self.0.store(secs, Ordering::SeqCst);
    }

    fn clock(&self) -> Clock {
        let secs = self.0.clone();
        Clock::from_fn(move || UNIX_EPOCH + Duration::from_secs(secs.load(Ordering::SeqCst)))
    }
}

fn apple(clock: &TestClock) -> Apple {
    Apple::new(TEAM_ID, KEY_ID, TEST_P8)
        .unwrap()
        .clock(clock.clock())
}

fn secret_of(apple: &Apple, client_id: &str) -> String {
    apple
        .client_secret(client_id)
        .unwrap()
        .expect("Apple mints a secret")
        .secret()
        .clone()
}

fn decode_json(part: &str) -> Value {
    serde_json::from_slice(&URL_SAFE_NO_PAD.decode(part).unwrap()).unwrap()
}

/// Checks a client secret as Apple would — an ES256 JWS whose signature verifies with
/// [`TEST_PUBLIC`] (and not with another key), header `{"alg":"ES256","kid":KEY_ID}` —
/// and returns its claims.
fn verified_claims(secret: &str) -> Value {
    let parts: Vec<&str> = secret.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS");
    let raw_header = URL_SAFE_NO_PAD.decode(parts[0]).unwrap();
    assert_eq!(
        String::from_utf8(raw_header).unwrap(),
        r#"{"alg":"ES256","kid":"ABC123DEFG"}"#,
        "exactly alg and kid, no typ"
    );
    let signature = URL_SAFE_NO_PAD.decode(parts[2]).unwrap();
    assert_eq!(signature.len(), 64, "JWS r ‖ s, not DER");
    let signature = Signature::from_slice(&signature).unwrap();
    let input = format!("{}.{}", parts[0], parts[1]);
    VerifyingKey::from_public_key_pem(TEST_PUBLIC)
        .unwrap()
        .verify(input.as_bytes(), &signature)
        .expect("signed with the team's key");
    assert!(
        VerifyingKey::from_public_key_pem(OTHER_PUBLIC)
            .unwrap()
            .verify(input.as_bytes(), &signature)
            .is_err(),
        "another key does not verify it"
    );
    decode_json(parts[1])
}

fn expected_claims(client_id: &str, iat: u64, lifetime: u64) -> Value {
    json!({
        "iss": TEAM_ID,
        "iat": iat,
        "exp": iat + lifetime,
        "aud": "https://appleid.apple.com",
        "sub": client_id,
    })
}

#[test]
fn endpoints_and_facts_are_apples() {
    let apple = Apple::new(TEAM_ID, KEY_ID, TEST_P8).unwrap();
    let endpoints = apple.endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://appleid.apple.com/auth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://appleid.apple.com/auth/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://appleid.apple.com/auth/revoke")
    );
    assert_eq!(endpoints.userinfo, None, "the ID token is the profile");
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some("https://appleid.apple.com")
    );
    assert_eq!(
        apple.key_set().url().as_str(),
        "https://appleid.apple.com/auth/keys"
    );
    assert_eq!(apple.verifier().issuer(), "https://appleid.apple.com");
    assert_eq!(
        apple.verifier().allowed_algorithms(),
        [portcullis_oidc::Algorithm::Rs256]
    );
    assert_eq!(Apple::INFO.id, "apple", "Lucia's id: keys carry over");
    assert_eq!(Apple::INFO.pkce, Pkce::None);
    assert_eq!(apple.client_auth(), portcullis::ClientAuth::RequestBody);
    assert_eq!(Apple::INFO.default_scopes, ["openid"]);
    assert_eq!(apple.team_id(), TEAM_ID);
    assert_eq!(apple.key_id(), KEY_ID);
    assert_eq!(apple.secret_lifetime(), Duration::from_secs(3600));
    assert!(apple.is_form_post(), "form_post by default");
}

#[test]
fn the_client_secret_is_an_es256_jwt_signed_with_the_team_key() {
    let clock = TestClock::at(T0);
    let apple = apple(&clock);
    let secret = secret_of(&apple, CLIENT_ID);
    assert_eq!(
        verified_claims(&secret),
        expected_claims(CLIENT_ID, T0, 3600)
    );
    let raw_claims = URL_SAFE_NO_PAD
        .decode(secret.split('.').nth(1).unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(raw_claims).unwrap(),
        format!(
            r#"{{"iss":"{TEAM_ID}","iat":{T0},"exp":{},"aud":"https://appleid.apple.com","sub":"{CLIENT_ID}"}}"#,
            T0 + 3600
        )
    );

    // A forged payload under the same signature does not verify.
    let parts: Vec<&str> = secret.split('.').collect();
    let forged = format!(
        "{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(expected_claims("com.attacker.web", T0, 3600).to_string())
    );
    let signature = Signature::from_slice(&URL_SAFE_NO_PAD.decode(parts[2]).unwrap()).unwrap();
    assert!(
        VerifyingKey::from_public_key_pem(TEST_PUBLIC)
            .unwrap()
            .verify(forged.as_bytes(), &signature)
            .is_err()
    );

    // Up to Apple's six months.
    let long = apple
        .clone()
        .client_secret_lifetime(Duration::from_secs(15_777_000))
        .unwrap();
    assert_eq!(
        verified_claims(&secret_of(&long, CLIENT_ID)),
        expected_claims(CLIENT_ID, T0, 15_777_000)
    );
    for refused in [0, 59, 15_777_001, 31_536_000] {
        let err = apple
            .clone()
            .client_secret_lifetime(Duration::from_secs(refused))
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{refused}: {err:?}");
    }
}

#[test]
fn the_client_secret_is_reused_then_renewed_before_it_expires() {
    let clock = TestClock::at(T0);
    let apple = apple(&clock);
    let first = secret_of(&apple, CLIENT_ID);

    // Reused while more than a quarter of its hour is left — by clones too.
    clock.set(T0 + 2699);
    assert_eq!(secret_of(&apple, CLIENT_ID), first);
    assert_eq!(
        secret_of(&apple.clone(), CLIENT_ID),
        first,
        "clones share it"
    );

    // Renewed 15 minutes before it expires: never sent about to expire.
    clock.set(T0 + 2700);
    let second = secret_of(&apple, CLIENT_ID);
    assert_ne!(second, first);
    assert_eq!(
        verified_claims(&second),
        expected_claims(CLIENT_ID, T0 + 2700, 3600)
    );
    assert_eq!(secret_of(&apple, CLIENT_ID), second);

    // Long after it expired: a fresh one.
    clock.set(T0 + 86_400);
    assert_eq!(
        verified_claims(&secret_of(&apple, CLIENT_ID)),
        expected_claims(CLIENT_ID, T0 + 86_400, 3600)
    );

    // A clock that went backwards never sends a secret issued in the future.
    clock.set(T0 + 86_000);
    assert_eq!(
        verified_claims(&secret_of(&apple, CLIENT_ID)),
        expected_claims(CLIENT_ID, T0 + 86_000, 3600)
    );

    // Another client id (a second Services ID) is another subject.
    assert_eq!(
        verified_claims(&secret_of(&apple, "com.example.other")),
        expected_claims("com.example.other", T0 + 86_000, 3600)
    );
    assert_eq!(
        verified_claims(&secret_of(&apple, CLIENT_ID))["sub"],
        CLIENT_ID
    );

    // A day-long secret is renewed after 18 hours.
    let daily = apple
        .client_secret_lifetime(Duration::from_secs(86_400))
        .unwrap();
    clock.set(T0);
    let day = secret_of(&daily, CLIENT_ID);
    clock.set(T0 + 64_799);
    assert_eq!(secret_of(&daily, CLIENT_ID), day);
    clock.set(T0 + 64_800);
    assert_eq!(
        verified_claims(&secret_of(&daily, CLIENT_ID)),
        expected_claims(CLIENT_ID, T0 + 64_800, 86_400)
    );
}

#[test]
fn the_p8_key_is_read_as_apps_store_it_and_never_shown() {
    let clock = TestClock::at(T0);
    let escaped = TEST_P8.trim().replace('\n', "\\n");
    let crlf = TEST_P8.replace('\n', "\r\n");
    let indented = TEST_P8
        .lines()
        .map(|line| format!("    {line}"))
        .collect::<Vec<_>>()
        .join("\n");
    let body_only: String = TEST_P8
        .lines()
        .filter(|line| !line.starts_with("-----"))
        .collect();
    for p8 in [&escaped, &crlf, &indented, &body_only] {
        let apple = Apple::new(TEAM_ID, KEY_ID, p8)
            .unwrap_or_else(|e| panic!("{p8:?}: {e}"))
            .clock(clock.clock());
        assert_eq!(
            verified_claims(&secret_of(&apple, CLIENT_ID)),
            expected_claims(CLIENT_ID, T0, 3600)
        );
    }

    let damaged = TEST_P8.replace("4vOOIoxI7", "4vOOIoxI8");
    for bad in [
        TEST_P384,
        "",
        "not a key",
        damaged.as_str(),
        "-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEIAG3KMnS+w1eCydZXeLzjiKMSO3xHY53NQlTt3rs6MDXoAoGCCqGSM49\n-----END EC PRIVATE KEY-----",
    ] {
        let err = Apple::new(TEAM_ID, KEY_ID, bad).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{err:?}");
        let shown = format!("{err} {err:?}");
        assert!(shown.contains("PKCS#8"), "{shown}");
        assert!(!shown.contains("4vOOIoxI"), "{shown}");
        assert!(!shown.contains("MHcCAQEEIAG3"), "{shown}");
    }

    for (team, key) in [
        ("DEF123GHI", KEY_ID),
        ("com.example.web", KEY_ID),
        (" DEF123GHIJ", KEY_ID),
        (TEAM_ID, "ABC123DEFGH"),
        (TEAM_ID, ""),
        (TEAM_ID, "ABC123DEF!"),
    ] {
        let err = Apple::new(team, key, TEST_P8).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{team} {key}: {err:?}");
    }
}

type Client = OAuthClient<Apple, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::public(CLIENT_ID)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["name", "email"])
}

/// `apple` pointed at the mock: endpoints rebased, key set at the mock's `/auth/keys`.
fn client(server: &Server, apple: Apple) -> Client {
    let apple = apple.jwks(Jwks::new(
        format!("{}/auth/keys", server.url()).parse().unwrap(),
    ));
    let endpoints = apple.endpoints().rebased(&server.url()).unwrap();
    OAuthClient::new(apple, config(), MemoryAdapter::new())
        .unwrap()
        .with_endpoints(endpoints)
}

/// Apple's key set, expected to be fetched `times` times.
async fn mock_keys(server: &mut Server, times: usize) -> mockito::Mock {
    let mut jwk = Signer::rs256(KID).jwk();
    jwk["alg"] = json!("RS256");
    server
        .mock("GET", "/auth/keys")
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", "application/json;charset=UTF-8")
        .with_body(json!({ "keys": [jwk] }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// The claims of an ID token as Apple issues it for the web with `name email`: Apple
/// sends `email_verified` and `is_private_email` as strings.
fn id_claims(nonce: &str) -> Value {
    json!({
        "iss": "https://appleid.apple.com",
        "aud": CLIENT_ID,
        "exp": T0 + 86_400,
        "iat": T0,
        "sub": SUB,
        "nonce": nonce,
        "at_hash": Signer::rs256(KID).at_hash(ACCESS_TOKEN),
        "email": "k7m2p9x4qz@privaterelay.appleid.com",
        "email_verified": "true",
        "is_private_email": "true",
        "auth_time": T0 - 2,
        "nonce_supported": true,
    })
}

fn tokens_with(claims: &Value) -> String {
    json!({
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in": 3600,
        "refresh_token": REFRESH_TOKEN,
        "id_token": Signer::rs256(KID).sign(claims),
    })
    .to_string()
}

/// The content type Apple answers with.
const APPLE_JSON: &str = "application/json;charset=UTF-8";

/// A form `POST` to `path` with exactly `form`, the client id and a `client_secret` that
/// is the one the provider mints now, verified with the test key's public half.
fn form_with_secret(
    server: &mut Server,
    path: &str,
    form: &[(&str, &str)],
    apple: &Apple,
) -> mockito::Mock {
    let minted = secret_of(apple, CLIENT_ID);
    assert_eq!(verified_claims(&minted)["sub"], CLIENT_ID);
    let credentials = Credentials::Body {
        id: CLIENT_ID,
        secret: &minted,
    };
    expect::token_request(server, path, credentials, form)
}

async fn mock_token(server: &mut Server, apple: &Apple, body: String) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    form_with_secret(server, "/auth/token", &form, apple)
        .reply(200, APPLE_JSON, body)
        .await
}

/// The body Apple's `form_post` sends: `state`, `code`, and `user` when given.
fn form_post(state: &str, user: Option<&str>) -> String {
    let mut url = Url::parse("https://app.example/login/apple/callback").unwrap();
    {
        let mut pairs = url.query_pairs_mut();
        pairs.append_pair("state", state);
        pairs.append_pair("code", CODE);
        if let Some(user) = user {
            pairs.append_pair("user", user);
        }
    }
    url.query().unwrap().to_owned()
}

const FIRST_LOGIN_USER: &str = r#"{"name":{"firstName":"Jane","lastName":"Appleseed"},"email":"k7m2p9x4qz@privaterelay.appleid.com"}"#;

#[test]
fn the_authorization_url_asks_for_a_form_post_with_a_nonce() {
    let apple = OAuthClient::new(
        Apple::new(TEAM_ID, KEY_ID, TEST_P8).unwrap(),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = apple.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://appleid.apple.com"
    );
    assert_eq!(auth.url.path(), "/auth/authorize");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter twice: {}",
        auth.url
    );
    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(
        Some(nonce.as_str()),
        auth.pending.nonce(),
        "the nonce is kept"
    );
    assert!(nonce.len() >= 22 && state.len() >= 22);
    assert_eq!(auth.pending.code_verifier(), None, "no PKCE");
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_mode", "form_post"),
            ("response_type", "code"),
            ("scope", "openid name email"),
        ]
    );
    assert!(
        auth.url.as_str().contains("scope=openid+name+email")
            || auth.url.as_str().contains("scope=openid%20name%20email"),
        "{}",
        auth.url
    );
    assert_eq!(auth.pending.provider(), "apple");

    // Without name and email, a GET callback may be chosen.
    let query_mode = OAuthClient::new(
        Apple::new(TEAM_ID, KEY_ID, TEST_P8)
            .unwrap()
            .response_mode(ResponseMode::Query),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&query_mode.authorization_url().url);
    assert_eq!(query["response_mode"], "query");
    assert_eq!(query["scope"], "openid");
    assert!(query.contains_key("nonce"));
}

#[tokio::test]
async fn first_sign_in_posts_the_name_and_later_ones_do_not() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let keys = mock_keys(&mut server, 1).await;

    // First sign-in: Apple POSTs code, state and the `user` JSON.
    let auth = apple.authorization_url();
    let token = mock_token(
        &mut server,
        apple.provider(),
        tokens_with(&id_claims(auth.pending.nonce().unwrap())),
    )
    .await;
    let body = form_post(auth.pending.state(), Some(FIRST_LOGIN_USER));
    let callback = CallbackParams::from_query(&body).unwrap();
    let session = apple
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;

    assert_eq!(session.key().to_string(), format!("apple:{SUB}"));
    let user = &session.provider_user;
    assert_eq!(user.sub, SUB);
    let name = user.name.as_ref().expect("the first sign-in's name");
    assert_eq!(name.first_name.as_deref(), Some("Jane"));
    assert_eq!(name.last_name.as_deref(), Some("Appleseed"));
    assert_eq!(
        user.email.as_deref(),
        Some("k7m2p9x4qz@privaterelay.appleid.com")
    );
    assert_eq!(user.email_verified, Some(true), "\"true\" is true");
    assert_eq!(user.is_private_email, Some(true));
    assert!(user.has_private_email());
    assert_eq!(user.nonce_supported, Some(true));
    assert_eq!(user.real_user_status, None, "not sent to the web");

    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("Jane Appleseed"));
    assert_eq!(
        profile.verified_email(),
        Some("k7m2p9x4qz@privaterelay.appleid.com")
    );
    assert_eq!(profile.avatar_url, None);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    let created = session
        .create_user("Jane Appleseed".to_owned())
        .await
        .unwrap();

    // The typed user survives a round trip (an erased provider stores it as JSON).
    let json = serde_json::to_value(user).unwrap();
    assert_eq!(json["name"]["first_name"], "Jane");
    assert_eq!(serde_json::from_value::<AppleUser>(json).unwrap(), *user);

    // Second sign-in: no `user` parameter, the same identity; the keys are cached.
    let auth = apple.authorization_url();
    mock_token(
        &mut server,
        apple.provider(),
        tokens_with(&id_claims(auth.pending.nonce().unwrap())),
    )
    .await;
    let callback = CallbackParams::from_query(&form_post(auth.pending.state(), None)).unwrap();
    let session = apple
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.name, None);
    assert_eq!(session.profile().name, None);
    assert_eq!(session.existing_user, Some(created));
    keys.assert_async().await;
}

#[tokio::test]
async fn a_user_parameter_that_is_not_apples_json_is_ignored() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    mock_keys(&mut server, 1).await;
    for user in [
        "not json",
        r#"{"name":"Jane Appleseed"}"#,
        r#"{"name":{"firstName":["Jane"]}}"#,
    ] {
        let auth = apple.authorization_url();
        mock_token(
            &mut server,
            apple.provider(),
            tokens_with(&id_claims(auth.pending.nonce().unwrap())),
        )
        .await;
        let callback =
            CallbackParams::from_query(&form_post(auth.pending.state(), Some(user))).unwrap();
        let session = apple
            .validate_callback(&callback, &auth.pending)
            .await
            .unwrap_or_else(|e| panic!("{user}: {e}"));
        assert_eq!(session.provider_user.name, None, "{user}");
        assert_eq!(session.provider_user.sub, SUB);
    }

    // `validate_code` has no callback, hence no name.
    mock_token(
        &mut server,
        apple.provider(),
        tokens_with(&id_claims(NONCE)),
    )
    .await;
    let session = apple.validate_code(CODE, None, Some(NONCE)).await.unwrap();
    assert_eq!(session.provider_user.name, None);
}

#[tokio::test]
async fn cancelling_is_a_provider_error_and_nothing_is_exchanged() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let nothing = server
        .mock("POST", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let auth = apple.authorization_url();
    let body = format!(
        "error=user_cancelled_authorize&state={}",
        auth.pending.state()
    );
    let err = apple
        .validate_callback(&CallbackParams::from_query(&body).unwrap(), &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Callback(CallbackError::Provider { error, .. }) if error == "user_cancelled_authorize"),
        "{err:?}"
    );
    nothing.assert_async().await;
}

/// Signs in with `validate_code` and an ID token of `claims`; the error, if any.
async fn sign_in_with(claims: &Value) -> Result<AppleUser, Error> {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    mock_keys(&mut server, 1).await;
    mock_token(&mut server, apple.provider(), tokens_with(claims)).await;
    apple
        .validate_code(CODE, None, Some(NONCE))
        .await
        .map(|session| session.provider_user)
}

#[tokio::test]
async fn the_id_token_is_verified() {
    sign_in_with(&id_claims(NONCE)).await.unwrap();

    let mut claims = id_claims(NONCE);
    claims["aud"] = json!("com.example.other");
    assert_eq!(
        id_token_error(sign_in_with(&claims).await),
        IdTokenError::Audience
    );

    let mut claims = id_claims(NONCE);
    claims["iss"] = json!("https://appleid.apple.com/");
    assert!(matches!(
        id_token_error(sign_in_with(&claims).await),
        IdTokenError::Issuer { expected, .. } if expected == "https://appleid.apple.com"
    ));

    assert_eq!(
        id_token_error(sign_in_with(&id_claims("another-nonce")).await),
        IdTokenError::Nonce
    );
    let mut claims = id_claims(NONCE);
    claims.as_object_mut().unwrap().remove("nonce");
    assert_eq!(
        id_token_error(sign_in_with(&claims).await),
        IdTokenError::Nonce
    );

    let mut claims = id_claims(NONCE);
    claims["exp"] = json!(T0 - 3600);
    assert_eq!(
        id_token_error(sign_in_with(&claims).await),
        IdTokenError::Expired
    );

    // A forgery: the payload changed under Apple's signature.
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    mock_keys(&mut server, 1).await;
    let signed = Signer::rs256(KID).sign(&id_claims(NONCE));
    let mut other = id_claims(NONCE);
    other["sub"] = json!("001234.attacker.1234");
    let forged = json!({
        "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600,
        "id_token": tamper(&signed, &other),
    });
    mock_token(&mut server, apple.provider(), forged.to_string()).await;
    assert_eq!(
        id_token_error(apple.validate_code(CODE, None, Some(NONCE)).await),
        IdTokenError::Signature
    );

    // No ID token at all.
    let mut server = Server::new_async().await;
    let apple = client(&server, self::apple(&clock));
    let none = json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600});
    mock_token(&mut server, apple.provider(), none.to_string()).await;
    assert_eq!(
        id_token_error(apple.validate_code(CODE, None, Some(NONCE)).await),
        IdTokenError::Missing
    );
}

#[tokio::test]
async fn email_verified_and_is_private_email_as_booleans_or_strings() {
    for (verified, private, expected_verified, expected_private) in [
        (json!("true"), json!("false"), Some(true), Some(false)),
        (json!(true), json!(false), Some(true), Some(false)),
        (json!("false"), json!(true), Some(false), Some(true)),
        (json!(false), json!("TRUE"), Some(false), Some(true)),
        (Value::Null, Value::Null, None, None),
    ] {
        let mut claims = id_claims(NONCE);
        claims["email"] = json!("jane@example.com");
        claims["email_verified"] = verified.clone();
        claims["is_private_email"] = private.clone();
        let user = sign_in_with(&claims).await.unwrap();
        assert_eq!(user.email_verified, expected_verified, "{verified}");
        assert_eq!(user.is_private_email, expected_private, "{private}");
        let profile = user.profile();
        assert_eq!(profile.email.as_deref(), Some("jane@example.com"));
        assert_eq!(
            profile.email_verified,
            expected_verified == Some(true),
            "verified only when Apple says true: {verified}"
        );
        assert_eq!(user.verified_email().is_some(), profile.email_verified);
    }

    // Without the email scope: no email, and nothing verified.
    let mut claims = id_claims(NONCE);
    for claim in ["email", "email_verified", "is_private_email"] {
        claims.as_object_mut().unwrap().remove(claim);
    }
    claims["real_user_status"] = json!(2);
    let user = sign_in_with(&claims).await.unwrap();
    assert_eq!(user.email, None);
    assert!(!user.profile().email_verified);
    assert_eq!(user.real_user_status, Some(RealUserStatus::LikelyReal));

    // Anything but a boolean verdict fails rather than being guessed at.
    for claim in ["email_verified", "is_private_email"] {
        let mut claims = id_claims(NONCE);
        claims[claim] = json!("yes");
        assert_eq!(
            id_token_error(sign_in_with(&claims).await),
            IdTokenError::Claim {
                claim: claim.to_owned()
            }
        );
    }
}

#[tokio::test]
async fn refresh_sends_the_minted_secret_and_keeps_the_refresh_token() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = form_with_secret(&mut server, "/auth/token", &form, apple.provider())
        // Apple returns no new refresh token.
        .reply(
            200,
            APPLE_JSON,
            json!({"access_token": "a-fresh-access-token", "token_type": "Bearer", "expires_in": 3600})
                .to_string(),
        )
        .await;
    let tokens = apple
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "a-fresh-access-token");
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    const FRESH: &str = "a-fresh-access-token";
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let keys = mock_keys(&mut server, 1).await;
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());
    // A refreshed token carries no nonce (OpenID Connect Core 1.0 §12.2).
    let mut fresh = id_claims("");
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(Signer::rs256(KID).at_hash(FRESH));
    let body = |id_token: &str| {
        json!({"access_token": FRESH, "token_type": "Bearer", "expires_in": 3600,
               "id_token": id_token})
        .to_string()
    };

    let id_token = Signer::rs256(KID).sign(&fresh);
    let mock = form_with_secret(&mut server, "/auth/token", &form, apple.provider())
        .reply(200, APPLE_JSON, body(&id_token))
        .await;
    let tokens = apple.refresh(&refresh_token).await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_client = fresh.clone();
    other_client["aud"] = json!("com.example.other");
    let mut old_access_token = fresh.clone();
    old_access_token["at_hash"] = json!(Signer::rs256(KID).at_hash(ACCESS_TOKEN));
    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("001234.attacker.1234");
    someone_else["email"] = json!("attacker@example.com");
    for (forged, expected) in [
        (
            Signer::rs256(KID).sign(&other_client),
            IdTokenError::Audience,
        ),
        (
            Signer::rs256(KID).sign(&old_access_token),
            IdTokenError::Claim {
                claim: "at_hash".to_owned(),
            },
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
    ] {
        let mock = form_with_secret(&mut server, "/auth/token", &form, apple.provider())
            .reply(200, APPLE_JSON, body(&forged))
            .await;
        assert_eq!(
            id_token_error(apple.refresh(&refresh_token).await),
            expected
        );
        mock.assert_async().await;
    }
    // Apple's keys are cached.
    keys.assert_async().await;
}

#[tokio::test]
async fn revoke_sends_the_token_and_the_minted_secret_in_the_body() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let revoke = form_with_secret(&mut server, "/auth/revoke", &form, apple.provider())
        .reply_empty(200)
        .await;
    apple
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;
}

#[tokio::test]
async fn neither_the_key_nor_a_minted_secret_is_ever_shown() {
    let mut server = Server::new_async().await;
    let clock = TestClock::at(T0);
    let apple = client(&server, apple(&clock));
    let secret = secret_of(apple.provider(), CLIENT_ID);
    let signature = secret.rsplit('.').next().unwrap().to_owned();

    // Apple answering `invalid_client` and echoing the whole request back.
    for path in ["/auth/token", "/auth/revoke"] {
        server
            .mock("POST", path)
            .with_status(400)
            .with_header("content-type", "application/json")
            .with_body_from_request(|request| {
                let echo = String::from_utf8_lossy(request.body().unwrap()).into_owned();
                json!({"error": "invalid_client", "error_description": echo})
                    .to_string()
                    .into_bytes()
            })
            .create_async()
            .await;
    }
    let errors = [
        apple
            .validate_code(CODE, None, Some(NONCE))
            .await
            .map(drop)
            .unwrap_err(),
        apple
            .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await
            .map(drop)
            .unwrap_err(),
        apple
            .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await
            .unwrap_err(),
    ];
    let mut shown = String::new();
    for (err, phase) in errors
        .iter()
        .zip([Phase::TokenExchange, Phase::Refresh, Phase::Revoke])
    {
        expect::assert_oauth_error(err, phase, 400, "invalid_client", None);
        shown.push_str(&format!("{err} {err:?}\n"));
    }
    shown.push_str(&format!("{apple:?}\n{:?}\n", apple.provider()));
    shown.push_str(&format!(
        "{:?}\n",
        apple.provider().client_secret(CLIENT_ID)
    ));
    assert!(shown.contains("[redacted]"), "{shown}");
    assert!(
        shown.contains(KEY_ID) && shown.contains(TEAM_ID),
        "ids are no secret"
    );
    for secret_part in [
        secret.as_str(),
        signature.as_str(),
        KEY_MATERIAL,
        "MIGHAgEAMBMG",
    ] {
        assert!(
            !shown.contains(secret_part),
            "`{secret_part}` shown in:\n{shown}"
        );
    }
}
