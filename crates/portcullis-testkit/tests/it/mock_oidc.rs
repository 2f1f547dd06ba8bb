//! The mock's OpenID Connect mode, driven through the real OpenID Connect provider
//! (`portcullis_oidc::Oidc`: discovery, ID-token verification, the JWKS cache) where a
//! relying party would talk to it, and by hand (a reqwest client that follows no
//! redirects) where a browser would.

use std::time::{Duration, Instant};

use portcullis::{
    CallbackError, CallbackParams, ClientAuth, ClientConfig, Error, HttpClient, IdTokenError,
    MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderSession, RequestErrorKind,
    Url,
};
use portcullis_oidc::{
    Algorithm, IdTokenChecks, IdTokenVerifier, Jwks, Oidc, OidcOptions, OidcUser,
};
use portcullis_testkit::mock::{Approval, Fault, ID_TOKEN_LIFETIME_SECS, MockProvider, MockUser};
use portcullis_testkit::{TestProvider, TestUser, query_of};
use serde_json::{Value, json};

type Client = OAuthClient<Oidc, MemoryAdapter<String>>;

const REDIRECT: &str = "http://app.test/login/mock/callback";
const SECRET: &str = "s3cr:et +/&=%";

fn ada() -> MockUser {
    MockUser::new("u1")
        .name("Ada Lovelace")
        .email("ada@example.com", true)
}

async fn oidc_mock() -> MockProvider {
    MockProvider::builder()
        .oidc(true)
        .client("app", Some(SECRET))
        .client("spa", None)
        .user(ada())
        .user(MockUser::new("u2").email("grace@example.com", false))
        .start()
        .await
        .unwrap()
}

/// An HTTP client whose requests time out after a second.
fn impatient() -> HttpClient {
    HttpClient::builder()
        .timeout(Duration::from_secs(1))
        .build()
        .unwrap()
}

async fn discover(mock: &MockProvider, options: OidcOptions) -> Oidc {
    Oidc::discover(&mock.url(), &HttpClient::new(), options)
        .await
        .unwrap()
}

fn confidential() -> ClientConfig {
    ClientConfig::new("app", SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["profile", "email"])
}

fn client(oidc: &Oidc, config: ClientConfig) -> Client {
    OAuthClient::new(oidc.clone(), config, MemoryAdapter::new())
        .unwrap()
        .with_id("mock")
}

fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

/// GETs an authorization URL and returns where the mock redirected the browser.
async fn redirected_to(url: &Url) -> Url {
    let response = browser().get(url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 303, "{response:?}");
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

fn callback(location: &Url) -> CallbackParams {
    assert!(location.as_str().starts_with(REDIRECT), "{location}");
    CallbackParams::from_query(location.query().unwrap()).unwrap()
}

/// A whole sign-in, the browser's part by hand.
async fn sign_in(
    client: &Client,
) -> Result<ProviderSession<OidcUser, MemoryAdapter<String>>, Error> {
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    client
        .validate_callback(&callback(&location), &auth.pending)
        .await
}

fn request_error(err: &Error) -> (Phase, &RequestErrorKind) {
    match err {
        Error::Request(e) => (e.phase(), e.kind()),
        other => panic!("expected a request error, got {other:?}"),
    }
}

async fn get_json(url: &str) -> (reqwest::header::HeaderMap, Value) {
    let response = browser().get(url).send().await.unwrap();
    assert_eq!(response.status(), 200, "{response:?}");
    let headers = response.headers().clone();
    (
        headers,
        serde_json::from_str(&response.text().await.unwrap()).unwrap(),
    )
}

#[tokio::test]
async fn a_whole_openid_connect_sign_in_through_discovery() {
    let mock = oidc_mock().await;
    assert!(mock.is_oidc());
    let url = mock.url();
    let oidc = discover(&mock, OidcOptions::new()).await;

    // What the relying party learnt from the discovery document.
    assert_eq!(oidc.issuer(), url);
    let endpoints = oidc.endpoints();
    assert_eq!(endpoints.authorization.as_str(), format!("{url}/authorize"));
    assert_eq!(endpoints.token.as_str(), format!("{url}/token"));
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some(format!("{url}/userinfo").as_str())
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some(format!("{url}/revoke").as_str())
    );
    assert_eq!(endpoints.issuer.as_deref(), Some(url.as_str()));
    assert!(endpoints.issuer_required, "RFC 9207 is advertised");
    assert_eq!(oidc.client_auth(), ClientAuth::Basic);
    assert_eq!(oidc.verifier().allowed_algorithms(), [Algorithm::Rs256]);
    assert_eq!(oidc.verifier().jwks().url().as_str(), format!("{url}/jwks"));

    let client = client(&oidc, confidential());
    let auth = client.authorization_url();
    let nonce = auth
        .pending
        .nonce()
        .expect("an OpenID request has a nonce")
        .to_owned();
    let location = redirected_to(&auth.url).await;
    let query = query_of(&location);
    assert_eq!(query.get("iss"), Some(&url), "RFC 9207: the issuer");
    assert_eq!(
        query.get("state").map(String::as_str),
        Some(auth.pending.state())
    );
    assert!(query.contains_key("code"));

    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    let user = &session.provider_user;
    assert_eq!(user.sub, "u1");
    assert_eq!(session.provider_user_id, "u1");
    assert_eq!(user.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(user.verified_email(), Some("ada@example.com"));
    assert_eq!(session.profile().verified_email(), Some("ada@example.com"));
    assert_eq!(session.profile().name.as_deref(), Some("Ada Lovelace"));
    // The verified ID token's protocol claims stay in the user's claims.
    assert_eq!(user.issuer(), Some(url.as_str()));
    assert_eq!(user.claims["aud"], "app");
    assert_eq!(user.claims["nonce"], nonce.as_str());
    assert!(user.claims["at_hash"].is_string(), "{:?}", user.claims);
    let iat = user.claims["iat"].as_u64().unwrap();
    assert_eq!(
        user.claims["exp"].as_u64().unwrap() - iat,
        ID_TOKEN_LIFETIME_SECS
    );
    assert!(user.claims["auth_time"].as_u64().unwrap() <= iat);

    let tokens = &session.tokens;
    assert!(tokens.id_token().is_some());
    assert!(tokens.refresh_token().is_some());
    let scopes = tokens.scopes().unwrap();
    for scope in ["openid", "profile", "email"] {
        assert!(scopes.iter().any(|s| s == scope), "{scopes:?}");
    }

    assert_eq!(mock.requests(Phase::Discovery), 1);
    assert_eq!(mock.requests(Phase::Jwks), 1);
    assert_eq!(mock.requests(Phase::TokenExchange), 1);
    assert_eq!(mock.requests(Phase::UserInfo), 1);
}

#[tokio::test]
async fn every_client_authentication_and_login_hint() {
    let mock = oidc_mock().await;
    let oidc = discover(&mock, OidcOptions::new()).await;
    let post = Oidc::from_metadata(
        oidc.metadata().clone(),
        OidcOptions::new().client_auth(ClientAuth::RequestBody),
    )
    .unwrap();
    let public = client(
        &oidc,
        ClientConfig::public("spa").redirect_uri(REDIRECT.parse().unwrap()),
    );
    for client in [
        client(&oidc, confidential()),
        client(&post, confidential()),
        public,
    ] {
        let session = sign_in(&client).await.unwrap();
        assert_eq!(session.provider_user.sub, "u1");
    }
    // The key set was fetched once, by the first sign-in; `post` has its own cache.
    assert_eq!(mock.requests(Phase::Jwks), 2);

    let grace = client(
        &oidc,
        confidential().authorization_param("login_hint", "u2"),
    );
    let session = sign_in(&grace).await.unwrap();
    let user = &session.provider_user;
    assert_eq!(user.sub, "u2");
    assert_eq!(user.name, None, "u2 has no name");
    assert_eq!(user.email.as_deref(), Some("grace@example.com"));
    assert_eq!(user.email_verified, Some(false));
    assert_eq!(user.verified_email(), None);
    assert!(!session.profile().email_verified);
}

#[tokio::test]
async fn the_discovery_document_and_the_key_set() {
    let mock = oidc_mock().await;
    let url = mock.url();
    let (headers, document) = get_json(&format!("{url}/.well-known/openid-configuration")).await;
    assert_eq!(headers["content-type"], "application/json");
    assert_eq!(document["issuer"], url.as_str());
    for (field, path) in [
        ("authorization_endpoint", "/authorize"),
        ("token_endpoint", "/token"),
        ("userinfo_endpoint", "/userinfo"),
        ("revocation_endpoint", "/revoke"),
        ("jwks_uri", "/jwks"),
    ] {
        assert_eq!(document[field], format!("{url}{path}"), "{field}");
    }
    assert_eq!(
        document["id_token_signing_alg_values_supported"],
        json!(["RS256"])
    );
    assert_eq!(
        document["code_challenge_methods_supported"],
        json!(["S256"])
    );
    assert_eq!(
        document["token_endpoint_auth_methods_supported"],
        json!(["client_secret_basic", "client_secret_post", "none"])
    );
    assert_eq!(
        document["authorization_response_iss_parameter_supported"],
        true
    );
    assert_eq!(document["response_types_supported"], json!(["code"]));
    let listed = |field: &str, value: &str| {
        document[field]
            .as_array()
            .unwrap()
            .iter()
            .any(|v| v == value)
    };
    for scope in ["openid", "profile", "email"] {
        assert!(listed("scopes_supported", scope), "{scope}");
    }
    for claim in [
        "sub",
        "iss",
        "aud",
        "nonce",
        "name",
        "email",
        "email_verified",
    ] {
        assert!(listed("claims_supported", claim), "{claim}");
    }

    let (headers, jwks) = get_json(&format!("{url}/jwks")).await;
    assert_eq!(headers["content-type"], "application/jwk-set+json");
    let keys = jwks["keys"].as_array().unwrap();
    assert_eq!(keys.len(), 1, "{jwks}");
    assert_eq!(keys[0]["kty"], "RSA");
    assert_eq!(keys[0]["use"], "sig");
    assert_eq!(keys[0]["alg"], "RS256");
    assert_eq!(keys[0]["kid"], "mock-key-1");
    assert_eq!(mock.key_id().as_deref(), Some("mock-key-1"));
    assert!(
        keys[0]["n"].as_str().unwrap().len() >= 342,
        "a 2048-bit modulus"
    );
    assert_eq!(keys[0]["e"], "AQAB");
    assert!(keys[0].get("d").is_none(), "never the private key");
    assert_eq!(mock.requests(Phase::Discovery), 1);
    assert_eq!(mock.requests(Phase::Jwks), 1);

    // Without OpenID Connect mode neither exists.
    let plain = MockProvider::builder().start().await.unwrap();
    assert!(!plain.is_oidc());
    assert_eq!(plain.key_id(), None);
    for path in ["/.well-known/openid-configuration", "/jwks"] {
        let response = browser()
            .get(format!("{}{path}", plain.url()))
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), 404, "{path}");
    }
    assert_eq!(plain.requests(Phase::Discovery), 0);
    assert_eq!(plain.requests(Phase::Jwks), 0);
}

/// The ID token and userinfo of an OpenID grant, checked piece by piece with a plain
/// OAuth client and the verifier on its own.
#[tokio::test]
async fn id_tokens_verify_on_their_own_and_refresh_brings_a_new_one() {
    let mock = oidc_mock().await;
    let url = mock.url();
    let client: OAuthClient<TestProvider, MemoryAdapter<String>> = OAuthClient::new(
        TestProvider,
        ClientConfig::new("app", SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scopes(["openid"]),
        MemoryAdapter::new(),
    )
    .unwrap()
    .with_endpoints(mock.endpoints());
    let auth = client.authorization_url();
    let nonce = auth.pending.nonce().unwrap().to_owned();
    let location = redirected_to(&auth.url).await;
    let query = query_of(&location);
    assert_eq!(query.get("iss"), Some(&url), "an OpenID request");
    let tokens = client
        .exchange_code(&query["code"], auth.pending.code_verifier())
        .await
        .unwrap();
    let id_token = tokens.id_token().expect("an ID token").secret().to_owned();
    let access_token = tokens.access_token().secret().to_owned();

    let http = HttpClient::new();
    let verifier = IdTokenVerifier::new(
        url.clone(),
        Jwks::new(format!("{url}/jwks").parse().unwrap()),
    );
    let checks = IdTokenChecks::new("app")
        .nonce(&nonce)
        .access_token(&access_token);
    let verified = verifier
        .verify(&http, "mock", &id_token, &checks)
        .await
        .unwrap();
    assert_eq!(verified.issuer(), url);
    assert_eq!(verified.subject(), "u1");
    assert_eq!(verified.audiences(), ["app".to_owned()]);
    assert_eq!(verified.algorithm(), Algorithm::Rs256);
    assert_eq!(verified.key_id(), Some("mock-key-1"));
    assert_eq!(verified.claim("name"), Some(&json!("Ada Lovelace")));
    assert_eq!(verified.claim("email"), Some(&json!("ada@example.com")));
    assert_eq!(verified.claim("email_verified"), Some(&json!(true)));
    assert_eq!(verified.claim("nonce"), Some(&json!(nonce)));
    let lifetime = verified
        .expires_at()
        .duration_since(verified.issued_at())
        .unwrap();
    assert_eq!(lifetime, Duration::from_secs(ID_TOKEN_LIFETIME_SECS));

    // The token is bound to its sign-in and its access token.
    let err = verifier
        .verify(
            &http,
            "mock",
            &id_token,
            &IdTokenChecks::new("app").nonce("another"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::Nonce)),
        "{err:?}"
    );
    let err = verifier
        .verify(
            &http,
            "mock",
            &id_token,
            &IdTokenChecks::new("app").access_token("at_other"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::IdToken(IdTokenError::Claim { claim }) if claim == "at_hash"),
        "{err:?}"
    );
    let err = verifier
        .verify(&http, "mock", &id_token, &IdTokenChecks::new("spa"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::Audience)),
        "{err:?}"
    );

    // Userinfo answers the OpenID claims for this grant.
    let response = browser()
        .get(format!("{url}/userinfo"))
        .bearer_auth(&access_token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let userinfo: Value = serde_json::from_str(&response.text().await.unwrap()).unwrap();
    assert_eq!(
        userinfo,
        json!({
            "sub": "u1",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "email_verified": true,
        })
    );

    // A refresh brings a new ID token for the same user and client, without a nonce,
    // from the original authentication.
    let refreshed = client
        .refresh(tokens.refresh_token().unwrap())
        .await
        .unwrap();
    let new_token = refreshed
        .id_token()
        .expect("a new ID token")
        .secret()
        .to_owned();
    assert_ne!(new_token, id_token);
    let checks = IdTokenChecks::new("app").access_token(refreshed.access_token().secret());
    let again = verifier
        .verify(&http, "mock", &new_token, &checks)
        .await
        .unwrap();
    assert_eq!(again.subject(), "u1");
    assert_eq!(again.claim("nonce"), None);
    assert_eq!(again.claim("auth_time"), verified.claim("auth_time"));
    assert_eq!(
        mock.requests(Phase::Jwks),
        1,
        "the verifier cached the keys"
    );
}

#[tokio::test]
async fn plain_oauth_requests_are_answered_as_without_oidc_mode() {
    let mock = oidc_mock().await;
    let client: OAuthClient<TestProvider, MemoryAdapter<String>> = OAuthClient::new(
        TestProvider,
        ClientConfig::new("app", SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::new(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(&mock.url()).unwrap());
    let auth = client.authorization_url();
    assert_eq!(auth.pending.nonce(), None);
    let location = redirected_to(&auth.url).await;
    assert!(!query_of(&location).contains_key("iss"), "{location}");
    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user, TestUser::from(ada()));
    assert!(session.tokens.id_token().is_none());
    assert_eq!(mock.requests(Phase::Jwks), 0);
}

#[tokio::test]
async fn a_denied_openid_request_carries_iss_too() {
    let mock = oidc_mock().await;
    mock.set_approval(Approval::Deny);
    let oidc = discover(&mock, OidcOptions::new()).await;
    let client = client(&oidc, confidential());
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let query = query_of(&location);
    assert_eq!(
        query.get("error").map(String::as_str),
        Some("access_denied")
    );
    assert_eq!(query.get("iss"), Some(&mock.url()));
    let err = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::Callback(e @ CallbackError::Provider { .. }) if e.is_access_denied()),
        "{err:?}"
    );
}

#[tokio::test]
async fn key_rotation_is_picked_up_by_the_jwks_cache() {
    let mock = oidc_mock().await;
    let oidc = discover(&mock, OidcOptions::new()).await;
    let client = client(&oidc, confidential());

    let first = sign_in(&client).await.unwrap();
    let old_token = first.tokens.id_token().unwrap().secret().to_owned();
    sign_in(&client).await.unwrap();
    assert_eq!(mock.requests(Phase::Jwks), 1, "cached");

    mock.rotate_keys();
    assert_eq!(mock.key_id().as_deref(), Some("mock-key-2"));
    // The next token names a key the cache does not hold: the set is fetched again.
    let session = sign_in(&client).await.unwrap();
    assert_eq!(session.provider_user.sub, "u1");
    assert_eq!(mock.requests(Phase::Jwks), 2);
    sign_in(&client).await.unwrap();
    assert_eq!(mock.requests(Phase::Jwks), 2, "cached again");

    // The old key is retired: a token it signed no longer verifies, and the cache does
    // not fetch the set again so soon for it.
    let err = oidc
        .verifier()
        .verify(
            &HttpClient::new(),
            "mock",
            &old_token,
            &IdTokenChecks::new("app"),
        )
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::UnknownKey)),
        "{err:?}"
    );
    assert_eq!(mock.requests(Phase::Jwks), 2);

    // Rotating past the last embedded key starts again from the first, under a new kid.
    let fresh = Oidc::from_metadata(
        oidc.metadata().clone(),
        OidcOptions::new().jwks_min_refresh_interval(Duration::ZERO),
    )
    .unwrap();
    let client = self::client(&fresh, confidential());
    for generation in 3..=5 {
        mock.rotate_keys();
        assert_eq!(mock.key_id(), Some(format!("mock-key-{generation}")));
        sign_in(&client).await.unwrap();
    }
}

#[tokio::test]
async fn discovery_faults() {
    let mock = oidc_mock().await;
    let http = impatient();
    let url = mock.url();
    let discover = || Oidc::discover(&url, &http, OidcOptions::new());

    mock.fail_next(
        Phase::Discovery,
        Fault::Status(503, "<html><body>Service Unavailable</body></html>"),
    );
    mock.fail_next(Phase::Discovery, Fault::Body("{\"issuer\": 42}".into()));
    mock.fail_next(
        Phase::Discovery,
        Fault::OAuthError("temporarily_unavailable"),
    );
    mock.fail_next(Phase::Discovery, Fault::Delay(Duration::from_secs(3)));
    mock.fail_next(Phase::Discovery, Fault::Delay(Duration::from_millis(100)));

    let err = discover().await.unwrap_err();
    match request_error(&err) {
        (
            Phase::Discovery,
            RequestErrorKind::UnexpectedResponse {
                status: 503,
                content_type,
                excerpt,
            },
        ) => {
            assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
            assert!(excerpt.contains("Service Unavailable"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());

    let err = discover().await.unwrap_err();
    assert!(
        matches!(
            request_error(&err),
            (Phase::Discovery, RequestErrorKind::InvalidResponse { .. })
        ),
        "{err:?}"
    );

    let err = discover().await.unwrap_err();
    match request_error(&err) {
        (Phase::Discovery, RequestErrorKind::OAuth { status, response }) => {
            assert_eq!(*status, 400);
            assert_eq!(response.error, "temporarily_unavailable");
        }
        other => panic!("{other:?}"),
    }

    let started = Instant::now();
    let err = discover().await.unwrap_err();
    assert!(
        matches!(
            request_error(&err),
            (Phase::Discovery, RequestErrorKind::Timeout)
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));

    // A short delay, then the document.
    let started = Instant::now();
    let oidc = discover().await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(oidc.issuer(), mock.url());
    assert_eq!(mock.requests(Phase::Discovery), 5);
    assert_eq!(
        mock.requests(Phase::Jwks),
        0,
        "a fault for one phase leaves the others alone"
    );
}

#[tokio::test]
async fn jwks_faults() {
    let mock = oidc_mock().await;
    let oidc = discover(&mock, OidcOptions::new()).await;
    let client = client(&oidc, confidential()).with_http_client(impatient());

    mock.fail_next(Phase::Jwks, Fault::Status(500, "{\"message\":\"boom\"}"));
    mock.fail_next(Phase::Jwks, Fault::Body("not json".into()));
    mock.fail_next(Phase::Jwks, Fault::Body("{\"keys\": 1}".into()));
    mock.fail_next(Phase::Jwks, Fault::Delay(Duration::from_secs(3)));

    let err = sign_in(&client).await.err().unwrap();
    match request_error(&err) {
        (
            Phase::Jwks,
            RequestErrorKind::UnexpectedResponse {
                status: 500,
                content_type,
                ..
            },
        ) => assert_eq!(content_type.as_deref(), Some("application/json")),
        other => panic!("{other:?}"),
    }
    // The code was spent before the keys were needed: a sign-in is never retryable.
    assert!(!err.is_retryable());
    for _ in 0..2 {
        let err = sign_in(&client).await.err().unwrap();
        assert!(
            matches!(
                request_error(&err),
                (Phase::Jwks, RequestErrorKind::InvalidResponse { .. })
            ),
            "{err:?}"
        );
    }
    let started = Instant::now();
    let err = sign_in(&client).await.err().unwrap();
    assert!(
        matches!(
            request_error(&err),
            (Phase::Jwks, RequestErrorKind::Timeout)
        ),
        "{err:?}"
    );
    assert!(started.elapsed() < Duration::from_secs(3));
    assert!(!oidc.verifier().jwks().is_loaded(), "no keys were cached");

    // The faults are used up: the next sign-in fetches the keys and succeeds.
    let session = sign_in(&client).await.unwrap();
    assert_eq!(session.provider_user.sub, "u1");
    assert!(oidc.verifier().jwks().is_loaded());
    assert_eq!(mock.requests(Phase::Jwks), 5);
    assert_eq!(mock.requests(Phase::TokenExchange), 5);
    assert_eq!(mock.requests(Phase::Discovery), 1);
}

#[tokio::test]
#[should_panic(expected = "serves no key set (JWKS) request endpoint")]
async fn jwks_faults_need_oidc_mode() {
    let mock = MockProvider::builder().start().await.unwrap();
    mock.fail_next(Phase::Jwks, Fault::Status(500, ""));
}

#[tokio::test]
#[should_panic(expected = "rotate_keys needs OpenID Connect mode")]
async fn rotation_needs_oidc_mode() {
    let mock = MockProvider::builder().oidc(false).start().await.unwrap();
    mock.rotate_keys();
}
