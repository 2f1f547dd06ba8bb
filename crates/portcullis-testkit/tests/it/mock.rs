//! The mock authorization server, driven through the real `OAuthClient` where a client
//! would talk to it, and by hand (a reqwest client that follows no redirects) where a
//! browser would.

use std::time::{Duration, Instant};

use portcullis::{
    CallbackError, CallbackParams, ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Provider, RefreshToken, RequestErrorKind, Url,
};
use portcullis_testkit::mock::{Approval, Fault, MockProvider, MockUser};
use portcullis_testkit::{TestProvider, TestUser, basic_auth, query_of};

type Client = OAuthClient<TestProvider, MemoryAdapter<String>>;

const REDIRECT: &str = "http://app.test/callback";
/// A secret with every character Basic credentials must form-encode.
const SECRET: &str = "s3cr:et +/&=%";

fn ada() -> MockUser {
    MockUser::new("u1")
        .name("Ada Lovelace")
        .email("ada@example.com", true)
}

async fn mock(approval: Approval) -> MockProvider {
    MockProvider::builder()
        .client("app", Some(SECRET))
        .client("spa", None)
        .user(ada())
        .user(MockUser::new("u2").name("Grace Hopper"))
        .approval(approval)
        .start()
        .await
        .unwrap()
}

fn client_with(mock: &MockProvider, config: ClientConfig) -> Client {
    OAuthClient::new(TestProvider, config, MemoryAdapter::new())
        .unwrap()
        .with_endpoints(TestProvider.endpoints().rebased(&mock.url()).unwrap())
}

/// The confidential client: TestProvider authenticates with HTTP Basic.
fn confidential(mock: &MockProvider) -> Client {
    client_with(
        mock,
        ClientConfig::new("app", SECRET).redirect_uri(REDIRECT.parse().unwrap()),
    )
}

fn public(mock: &MockProvider) -> Client {
    client_with(
        mock,
        ClientConfig::public("spa").redirect_uri(REDIRECT.parse().unwrap()),
    )
}

/// What a browser uses: no redirects followed, so each 303 can be checked.
fn browser() -> reqwest::Client {
    reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap()
}

fn redirect_of(response: &reqwest::Response) -> Url {
    assert_eq!(response.status(), 303, "{response:?}");
    Url::parse(response.headers()["location"].to_str().unwrap()).unwrap()
}

/// GETs an authorization URL and returns where the mock redirected the browser.
async fn redirected_to(url: &Url) -> Url {
    redirect_of(&browser().get(url.clone()).send().await.unwrap())
}

fn callback(location: &Url) -> CallbackParams {
    assert_eq!(
        &location.as_str()[..REDIRECT.len()],
        REDIRECT,
        "back to the app"
    );
    CallbackParams::from_query(location.query().unwrap()).unwrap()
}

/// Runs an authorization request and returns the code and the PKCE verifier.
async fn code_for(client: &Client) -> (String, Option<String>) {
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let code = query_of(&location).remove("code").expect("a code");
    (code, auth.pending.code_verifier().map(str::to_owned))
}

async fn json_of(response: reqwest::Response) -> serde_json::Value {
    serde_json::from_str(&response.text().await.unwrap()).unwrap()
}

fn kind(err: &Error) -> &RequestErrorKind {
    match err {
        Error::Request(e) => e.kind(),
        other => panic!("expected a request error, got {other:?}"),
    }
}

/// The status and `error` code of an OAuth error response.
fn oauth(err: &Error) -> (u16, &str) {
    match kind(err) {
        RequestErrorKind::OAuth { status, response } => (*status, response.error.as_str()),
        other => panic!("expected an OAuth error response, got {other:?}"),
    }
}

#[tokio::test]
async fn a_whole_sign_in_through_oauth_client() {
    let mock = mock(Approval::Auto).await;
    let client = confidential(&mock);
    assert!(mock.url().starts_with("http://127.0.0.1:"));
    assert_eq!(client.endpoints(), &mock.endpoints());

    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let query = query_of(&location);
    assert_eq!(
        query.get("state").map(String::as_str),
        Some(auth.pending.state())
    );
    assert!(query.contains_key("code"), "{location}");
    assert!(
        !query.contains_key("iss"),
        "no iss: TestProvider's issuer is not the mock"
    );

    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user, TestUser::from(ada()));
    assert_eq!(session.provider_user_id, "u1");
    assert_eq!(session.profile().verified_email(), Some("ada@example.com"));
    assert!(session.existing_user.is_none());
    let tokens = &session.tokens;
    assert!(tokens.access_token().secret().starts_with("at_"));
    assert!(tokens.refresh_token().is_some());
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(tokens.scopes(), Some(&["profile".to_owned()][..]));

    assert_eq!(mock.requests(Phase::TokenExchange), 1);
    assert_eq!(mock.requests(Phase::UserInfo), 1);
    assert_eq!(mock.requests(Phase::Refresh), 0);
    assert_eq!(mock.requests(Phase::Revoke), 0);
    assert_eq!(mock.requests(Phase::Discovery), 0);
}

#[tokio::test]
async fn the_first_user_signs_in_unless_login_hint_names_another() {
    let mock = mock(Approval::Auto).await;
    let client = client_with(
        &mock,
        ClientConfig::new("app", SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .authorization_param("login_hint", "u2"),
    );
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.id, "u2");
    assert_eq!(session.provider_user.name.as_deref(), Some("Grace Hopper"));
    assert_eq!(session.provider_user.email, None);

    // Without any configured user, a default one signs in.
    let bare = MockProvider::builder()
        .client("app", Some(SECRET))
        .start()
        .await
        .unwrap();
    let client = confidential(&bare);
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.id, "mock-user");
}

#[tokio::test]
async fn a_public_client_signs_in_with_pkce_and_no_secret() {
    let mock = mock(Approval::Auto).await;
    let client = public(&mock);
    let auth = client.authorization_url();
    assert!(query_of(&auth.url).contains_key("code_challenge"));
    let location = redirected_to(&auth.url).await;
    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.id, "u1");

    // A public client's secret is refused, like a confidential client without one.
    let (code, verifier) = code_for(&client).await;
    let err = client_with(
        &mock,
        ClientConfig::new("spa", "made-up").redirect_uri(REDIRECT.parse().unwrap()),
    )
    .exchange_code(&code, verifier.as_deref())
    .await
    .unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_client"));
    let (code, verifier) = code_for(&confidential(&mock)).await;
    let err = client_with(
        &mock,
        ClientConfig::public("app").redirect_uri(REDIRECT.parse().unwrap()),
    )
    .exchange_code(&code, verifier.as_deref())
    .await
    .unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_client"));
}

#[tokio::test]
async fn a_public_client_must_use_pkce_and_a_confidential_one_may_not() {
    let mock = mock(Approval::Auto).await;
    let without_pkce = |client_id: &str| {
        let mut url = Url::parse(&format!("{}/authorize", mock.url())).unwrap();
        url.query_pairs_mut()
            .append_pair("response_type", "code")
            .append_pair("client_id", client_id)
            .append_pair("redirect_uri", REDIRECT)
            .append_pair("state", "st");
        url
    };
    let response = browser().get(without_pkce("spa")).send().await.unwrap();
    assert_eq!(response.status(), 400);
    assert!(response.text().await.unwrap().contains("PKCE is required"));

    // The confidential client: a code without PKCE, exchanged without a verifier.
    let location = redirected_to(&without_pkce("app")).await;
    let code = query_of(&location).remove("code").unwrap();
    let tokens = confidential(&mock)
        .exchange_code(&code, None)
        .await
        .unwrap();
    assert!(tokens.access_token().secret().starts_with("at_"));

    // A verifier for a code issued without a challenge is a downgrade: refused.
    let location = redirected_to(&without_pkce("app")).await;
    let code = query_of(&location).remove("code").unwrap();
    let err = confidential(&mock)
        .exchange_code(&code, Some(&"v".repeat(43)))
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn a_wrong_client_secret_is_invalid_client() {
    let mock = mock(Approval::Auto).await;
    let (code, verifier) = code_for(&confidential(&mock)).await;
    let wrong = client_with(
        &mock,
        ClientConfig::new("app", "not-the-secret").redirect_uri(REDIRECT.parse().unwrap()),
    );
    let err = wrong
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_client"));
    assert_eq!(mock.requests(Phase::TokenExchange), 1);

    // Authentication failed before the code was looked at: it still works.
    let tokens = confidential(&mock)
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    assert!(tokens.refresh_token().is_some());

    // An unknown client at the token endpoint.
    let err = client_with(
        &mock,
        ClientConfig::new("nobody", SECRET).redirect_uri(REDIRECT.parse().unwrap()),
    )
    .exchange_code(&code, verifier.as_deref())
    .await
    .unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_client"));
}

#[tokio::test]
async fn client_secret_post_and_the_token_endpoints_own_checks() {
    let mock = mock(Approval::Auto).await;
    let (code, verifier) = code_for(&confidential(&mock)).await;
    let verifier = verifier.unwrap();
    let token_url = format!("{}/token", mock.url());
    let http = browser();
    let post = |form: Vec<(&'static str, String)>, basic: bool| {
        let mut request = http.post(&token_url).form(&form);
        if basic {
            request = request.header("authorization", basic_auth("app", SECRET));
        }
        request.send()
    };
    let exchange = |extra: &[(&'static str, &str)]| {
        let mut form = vec![
            ("grant_type", "authorization_code".to_owned()),
            ("code", code.clone()),
            ("redirect_uri", REDIRECT.to_owned()),
            ("code_verifier", verifier.clone()),
        ];
        form.extend(extra.iter().map(|(k, v)| (*k, (*v).to_owned())));
        form
    };
    async fn error_of(response: reqwest::Response) -> (u16, String) {
        let status = response.status().as_u16();
        let body = json_of(response).await;
        (status, body["error"].as_str().unwrap().to_owned())
    }

    // Two authentication methods at once.
    let response = post(exchange(&[("client_secret", SECRET)]), true)
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    // No authentication at all.
    let response = post(exchange(&[]), false).await.unwrap();
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    // Basic credentials that are not base64.
    let response = http
        .post(&token_url)
        .header("authorization", "Basic %%%")
        .form(&exchange(&[]))
        .send()
        .await
        .unwrap();
    assert_eq!(
        response.headers()["www-authenticate"],
        "Basic realm=\"mock\""
    );
    assert_eq!(error_of(response).await, (401, "invalid_client".into()));
    // A JSON body.
    let response = http
        .post(&token_url)
        .header("authorization", basic_auth("app", SECRET))
        .header("content-type", "application/json")
        .body(r#"{"grant_type":"authorization_code"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    // A repeated parameter.
    let mut twice = exchange(&[]);
    twice.push(("code", "other".into()));
    let response = post(twice, true).await.unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));
    // Grants the mock does not issue, and none at all.
    let response = post(vec![("grant_type", "password".into())], true)
        .await
        .unwrap();
    assert_eq!(
        error_of(response).await,
        (400, "unsupported_grant_type".into())
    );
    let response = post(vec![("code", code.clone())], true).await.unwrap();
    assert_eq!(error_of(response).await, (400, "invalid_request".into()));

    // client_secret_post: the code was untouched by all of the above.
    let response = post(
        exchange(&[("client_id", "app"), ("client_secret", SECRET)]),
        false,
    )
    .await
    .unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers()["cache-control"], "no-store");
    let body = json_of(response).await;
    assert_eq!(body["token_type"], "Bearer");
    assert_eq!(body["expires_in"], 3600);
    assert!(body["access_token"].as_str().unwrap().starts_with("at_"));
    assert!(body["refresh_token"].as_str().unwrap().starts_with("rt_"));
    assert_eq!(mock.requests(Phase::TokenExchange), 8);
}

#[tokio::test]
async fn a_wrong_or_missing_pkce_verifier_is_invalid_grant() {
    let mock = mock(Approval::Auto).await;
    let client = confidential(&mock);

    let (code, _) = code_for(&client).await;
    let wrong = "w".repeat(43);
    let err = client.exchange_code(&code, Some(&wrong)).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));

    let (code, _) = code_for(&client).await;
    let err = client.exchange_code(&code, None).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));

    // A failed exchange spends the code: the right verifier no longer helps.
    let (code, verifier) = code_for(&client).await;
    client.exchange_code(&code, Some(&wrong)).await.unwrap_err();
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn a_replayed_code_is_invalid_grant_and_revokes_its_tokens() {
    let mock = mock(Approval::Auto).await;
    let client = confidential(&mock);
    let (code, verifier) = code_for(&client).await;
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    assert_eq!(client.fetch_user(&tokens).await.unwrap().id, "u1");

    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
    assert!(
        !err.to_string().contains(&code),
        "the code is redacted: {err}"
    );

    let err = client.fetch_user(&tokens).await.unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_token"));
    let err = client
        .refresh(tokens.refresh_token().unwrap())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn a_code_expires() {
    let mock = MockProvider::builder()
        .client("app", Some(SECRET))
        .code_lifetime(Duration::from_millis(200))
        .start()
        .await
        .unwrap();
    let client = confidential(&mock);
    let (code, verifier) = code_for(&client).await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn the_redirect_uri_must_be_the_authorization_requests() {
    let mock = mock(Approval::Auto).await;
    let (code, verifier) = code_for(&confidential(&mock)).await;
    let elsewhere = client_with(
        &mock,
        ClientConfig::new("app", SECRET).redirect_uri("http://app.test/other".parse().unwrap()),
    );
    let err = elsewhere
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn invalid_authorization_requests_get_an_error_page_and_no_redirect() {
    let mock = mock(Approval::Auto).await;
    let challenge = portcullis_testkit::s256_challenge(&"v".repeat(43));
    let valid: Vec<(&str, &str)> = vec![
        ("response_type", "code"),
        ("client_id", "app"),
        ("redirect_uri", REDIRECT),
        ("state", "st"),
        ("code_challenge", &challenge),
        ("code_challenge_method", "S256"),
    ];
    let with = |name: &str, value: Option<&str>| {
        let mut url = Url::parse(&format!("{}/authorize", mock.url())).unwrap();
        {
            let mut query = url.query_pairs_mut();
            for (n, v) in &valid {
                if *n != name {
                    query.append_pair(n, v);
                }
            }
            if let Some(value) = value {
                query.append_pair(name, value);
            }
        }
        url
    };
    // The valid request itself is approved.
    let ok = redirected_to(&with("state", Some("st"))).await;
    assert!(query_of(&ok).contains_key("code"));
    let mut twice = with("state", Some("st"));
    twice.query_pairs_mut().append_pair("state", "again");

    let cases = [
        (with("response_type", None), "no `response_type`"),
        (
            with("response_type", Some("token")),
            "unsupported_response_type",
        ),
        (with("client_id", None), "no `client_id`"),
        (with("client_id", Some("nobody")), "No client `nobody`"),
        (with("redirect_uri", None), "no `redirect_uri`"),
        (
            with("redirect_uri", Some("/relative")),
            "not an absolute URL",
        ),
        (
            with("redirect_uri", Some("javascript:alert(1)")),
            "http or https",
        ),
        (
            with("redirect_uri", Some("http://app.test/cb#frag")),
            "fragment",
        ),
        (with("state", None), "no `state`"),
        // An empty value counts as absent (RFC 6749 §3.1).
        (with("state", Some("")), "no `state`"),
        (
            with("code_challenge_method", Some("plain")),
            "Only the S256",
        ),
        (with("code_challenge_method", None), "Only the S256"),
        (with("code_challenge", None), "no `code_challenge`"),
        (with("code_challenge", Some("short")), "not a base64url"),
        (with("login_hint", Some("u9")), "No user `u9`"),
        (twice, "more than once"),
    ];
    for (url, expected) in cases {
        let response = browser().get(url.clone()).send().await.unwrap();
        assert_eq!(response.status(), 400, "{url}");
        assert!(response.headers().get("location").is_none(), "{url}");
        assert_eq!(
            response.headers()["content-type"],
            "text/html; charset=utf-8"
        );
        let body = response.text().await.unwrap();
        assert!(
            body.contains(&page_text(expected)),
            "{url}: expected `{expected}` in\n{body}"
        );
    }
}

/// `text` as the page shows it: HTML-escaped, `spans` as code.
fn page_text(text: &str) -> String {
    let escaped = text.replace('&', "&amp;").replace('<', "&lt;");
    let mut out = String::new();
    for (i, part) in escaped.split('`').enumerate() {
        if i > 0 {
            out.push_str(if i % 2 == 1 { "<code>" } else { "</code>" });
        }
        out.push_str(part);
    }
    out
}

#[tokio::test]
async fn refresh_rotates_and_revoke_ends_access() {
    let mock = mock(Approval::Auto).await;
    let client = confidential(&mock);
    let (code, verifier) = code_for(&client).await;
    let first = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    let first_refresh = first.refresh_token().unwrap().clone();

    let second = client.refresh(&first_refresh).await.unwrap();
    assert_ne!(
        second.access_token().secret(),
        first.access_token().secret()
    );
    let second_refresh = second.refresh_token().unwrap().clone();
    assert_ne!(second_refresh.secret(), first_refresh.secret(), "rotated");
    assert_eq!(client.fetch_user(&second).await.unwrap().id, "u1");
    assert_eq!(mock.requests(Phase::Refresh), 1);
    assert_eq!(mock.requests(Phase::TokenExchange), 1);

    // The rotated-out refresh token is spent.
    let err = client.refresh(&first_refresh).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));

    // Revoking an access token ends it, and only it.
    client.revoke(second.access_token().clone()).await.unwrap();
    let err = client.fetch_user(&second).await.unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_token"));
    assert_eq!(client.fetch_user(&first).await.unwrap().id, "u1");

    // Revoking the refresh token ends the whole grant.
    client.revoke(second_refresh.clone()).await.unwrap();
    let err = client.refresh(&second_refresh).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
    let err = client.fetch_user(&first).await.unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_token"));

    // Unknown and already revoked tokens: success all the same (RFC 7009 §2.2).
    client
        .revoke(RefreshToken::new("rt_never-issued".into()))
        .await
        .unwrap();
    client.revoke(second_refresh).await.unwrap();
    assert_eq!(mock.requests(Phase::Revoke), 4);

    // Revocation authenticates the client like the token endpoint.
    let (code, verifier) = code_for(&client).await;
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    let wrong = client_with(
        &mock,
        ClientConfig::new("app", "not-the-secret").redirect_uri(REDIRECT.parse().unwrap()),
    );
    let err = wrong
        .revoke(tokens.access_token().clone())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_client"));
    assert_eq!(client.fetch_user(&tokens).await.unwrap().id, "u1");
}

#[tokio::test]
async fn a_client_cannot_use_or_revoke_another_clients_tokens() {
    let mock = mock(Approval::Auto).await;
    let app = confidential(&mock);
    let spa = public(&mock);
    let (code, verifier) = code_for(&app).await;
    let tokens = app.exchange_code(&code, verifier.as_deref()).await.unwrap();

    let err = spa
        .refresh(tokens.refresh_token().unwrap())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
    let err = spa.revoke(tokens.access_token().clone()).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "unauthorized_client"));
    assert_eq!(app.fetch_user(&tokens).await.unwrap().id, "u1");

    // Nor exchange its code.
    let (code, verifier) = code_for(&app).await;
    let err = spa
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
}

#[tokio::test]
async fn userinfo_needs_a_valid_bearer_token() {
    let mock = mock(Approval::Auto).await;
    let url = format!("{}/userinfo", mock.url());
    for authorization in [None, Some("Bearer at_made-up"), Some("Basic YTpi")] {
        let mut request = browser().get(&url);
        if let Some(value) = authorization {
            request = request.header("authorization", value);
        }
        let response = request.send().await.unwrap();
        assert_eq!(response.status(), 401, "{authorization:?}");
        assert!(
            response.headers()["www-authenticate"]
                .to_str()
                .unwrap()
                .starts_with("Bearer ")
        );
        let body = json_of(response).await;
        assert_eq!(body["error"], "invalid_token");
    }
    assert_eq!(mock.requests(Phase::UserInfo), 3);

    // The served JSON has TestUser's shape exactly.
    let client = confidential(&mock);
    let (code, verifier) = code_for(&client).await;
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    let response = browser()
        .get(&url)
        .header(
            "authorization",
            format!("bearer {}", tokens.access_token().secret()),
        )
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), 200);
    let body = json_of(response).await;
    assert_eq!(
        body,
        serde_json::json!({
            "id": "u1",
            "name": "Ada Lovelace",
            "email": "ada@example.com",
            "email_verified": true,
        })
    );
}

#[tokio::test]
async fn deny_redirects_with_access_denied() {
    let mock = mock(Approval::Deny).await;
    let client = confidential(&mock);
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let query = query_of(&location);
    assert_eq!(
        query.get("state").map(String::as_str),
        Some(auth.pending.state())
    );
    assert!(!query.contains_key("code"));

    let err = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .err()
        .unwrap();
    match &err {
        Error::Callback(
            e @ CallbackError::Provider {
                error, description, ..
            },
        ) => {
            assert_eq!(error, "access_denied");
            assert!(description.is_some());
            assert!(e.is_access_denied());
        }
        other => panic!("expected the provider's error, got {other:?}"),
    }
    assert_eq!(err.code(), "PROVIDER_ERROR");
    assert_eq!(mock.requests(Phase::TokenExchange), 0);

    // The approval mode can change while the server runs.
    mock.set_approval(Approval::Auto);
    let location = redirected_to(&auth.url).await;
    assert!(query_of(&location).contains_key("code"));
}

/// The request id in an approval page's form.
fn request_id(page: &str) -> String {
    let start = page.find("name=\"request_id\" value=\"").unwrap() + 25;
    let end = start + page[start..].find('"').unwrap();
    page[start..end].to_owned()
}

async fn decide(mock: &MockProvider, request_id: &str, decision: &str) -> reqwest::Response {
    browser()
        .post(format!("{}/authorize/decision", mock.url()))
        .form(&[("request_id", request_id), ("decision", decision)])
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn the_approval_page_approves_and_cancels() {
    let mock = mock(Approval::Page).await;
    let client = confidential(&mock);

    let auth = client.authorization_url();
    let response = browser().get(auth.url.clone()).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(
        response.headers()["content-type"],
        "text/html; charset=utf-8"
    );
    assert!(
        response.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("default-src 'none'")
    );
    let page = response.text().await.unwrap();
    assert!(
        page.contains("Sign in to the local test provider as Ada Lovelace?"),
        "{page}"
    );
    assert!(page.contains("<form method=\"post\" action=\"/authorize/decision\">"));
    assert!(page.contains("value=\"approve\" class=\"primary\" autofocus>Approve</button>"));
    assert!(page.contains("value=\"cancel\">Cancel</button>"));
    assert!(page.contains("<code>app</code>"), "names the client");
    assert!(
        page.contains("<code>http://app.test</code>"),
        "names where it goes"
    );
    // Nothing is issued until the user decides.
    let id = request_id(&page);
    assert!(id.starts_with("req_"));

    let location = redirect_of(&decide(&mock, &id, "approve").await);
    let session = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.id, "u1");

    // The request id is one-time.
    let again = decide(&mock, &id, "approve").await;
    assert_eq!(again.status(), 400);
    assert!(again.headers().get("location").is_none());
    assert!(again.text().await.unwrap().contains("already answered"));

    // Cancel: back to the app with access_denied.
    let auth = client.authorization_url();
    let page = browser()
        .get(auth.url.clone())
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let location = redirect_of(&decide(&mock, &request_id(&page), "cancel").await);
    assert_eq!(
        query_of(&location).get("state").map(String::as_str),
        Some(auth.pending.state())
    );
    let err = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .err()
        .unwrap();
    assert!(
        matches!(&err, Error::Callback(e) if e.is_access_denied()),
        "{err:?}"
    );

    // Neither an unknown id nor an unknown decision redirects anywhere.
    let page = browser().get(auth.url.clone()).send().await.unwrap();
    let id = request_id(&page.text().await.unwrap());
    assert_eq!(decide(&mock, "req_made-up", "approve").await.status(), 400);
    assert_eq!(decide(&mock, &id, "maybe").await.status(), 400);
    // A refused decision leaves the request open.
    assert_eq!(decide(&mock, &id, "approve").await.status(), 303);
}

#[tokio::test]
async fn the_approval_page_escapes_what_it_shows() {
    let mock = MockProvider::builder()
        .client("<i>app</i>", Some("s"))
        .user(MockUser::new("u").name("<script>alert('name')</script>"))
        .approval(Approval::Page)
        .start()
        .await
        .unwrap();
    let mut url = Url::parse(&format!("{}/authorize", mock.url())).unwrap();
    url.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", "<i>app</i>")
        .append_pair("redirect_uri", "http://app.test/\"><b>x</b>")
        .append_pair("state", "st")
        .append_pair("scope", "profile \"><img src=x onerror=alert(1)>");
    let page = browser()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    for raw in ["<script>", "<img", "<i>", "<b>"] {
        assert!(!page.contains(raw), "`{raw}` unescaped in\n{page}");
    }
    assert!(page.contains("as &lt;script&gt;alert(&#39;name&#39;)&lt;/script&gt;?"));
    assert!(page.contains("&quot;&gt;&lt;img src=x onerror=alert(1)&gt;"));
    assert!(page.contains("<code>&lt;i&gt;app&lt;/i&gt;</code>"));

    // The error page escapes too.
    let mut url = Url::parse(&format!("{}/authorize", mock.url())).unwrap();
    url.query_pairs_mut()
        .append_pair("client_id", "<script>x</script>");
    let page = browser()
        .get(url)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(!page.contains("<script>"), "{page}");
    assert!(page.contains("No client <code>&lt;script&gt;x&lt;/script&gt;</code>"));
}

/// A client whose requests time out after a second.
fn impatient(mock: &MockProvider) -> Client {
    confidential(mock).with_http_client(
        HttpClient::builder()
            .timeout(Duration::from_secs(1))
            .build()
            .unwrap(),
    )
}

#[tokio::test]
async fn token_exchange_faults() {
    let mock = mock(Approval::Auto).await;
    let client = impatient(&mock);

    mock.fail_next(
        Phase::TokenExchange,
        Fault::Status(500, "<html><body>Internal Server Error</body></html>"),
    );
    let (code, verifier) = code_for(&client).await;
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    match kind(&err) {
        RequestErrorKind::UnexpectedResponse {
            status,
            content_type,
            excerpt,
        } => {
            assert_eq!(*status, 500);
            assert_eq!(content_type.as_deref(), Some("text/html; charset=utf-8"));
            assert!(excerpt.contains("Internal Server Error"), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    // The fault was consumed, and the request was not processed: the code still works.
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    assert!(tokens.refresh_token().is_some());

    mock.fail_next(
        Phase::TokenExchange,
        Fault::Body("{\"access_token\":".into()),
    );
    let (code, verifier) = code_for(&client).await;
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert!(
        matches!(kind(&err), RequestErrorKind::InvalidResponse { .. }),
        "{err:?}"
    );

    mock.fail_next(
        Phase::TokenExchange,
        Fault::OAuthError("temporarily_unavailable"),
    );
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "temporarily_unavailable"));
    assert!(!err.is_retryable(), "a code exchange never is");

    mock.fail_next(Phase::TokenExchange, Fault::Delay(Duration::from_secs(3)));
    let started = Instant::now();
    let err = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap_err();
    assert!(matches!(kind(&err), RequestErrorKind::Timeout), "{err:?}");
    assert!(started.elapsed() < Duration::from_secs(3));
    assert_eq!(mock.requests(Phase::TokenExchange), 5);
}

#[tokio::test]
async fn userinfo_faults() {
    let mock = mock(Approval::Auto).await;
    let client = impatient(&mock);
    let (code, verifier) = code_for(&client).await;
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();

    // Faults queue, and each request takes the oldest.
    mock.fail_next(Phase::UserInfo, Fault::Status(503, "upstream unavailable"));
    mock.fail_next(Phase::UserInfo, Fault::Body("[1, 2".into()));
    mock.fail_next(Phase::UserInfo, Fault::OAuthError("invalid_token"));
    mock.fail_next(Phase::UserInfo, Fault::Delay(Duration::from_secs(3)));
    mock.fail_next(Phase::UserInfo, Fault::Delay(Duration::from_millis(100)));

    let err = client.fetch_user(&tokens).await.unwrap_err();
    match kind(&err) {
        RequestErrorKind::UnexpectedResponse {
            status,
            content_type,
            ..
        } => {
            assert_eq!(*status, 503);
            assert_eq!(content_type.as_deref(), Some("text/plain; charset=utf-8"));
        }
        other => panic!("{other:?}"),
    }
    assert!(err.is_retryable());
    let err = client.fetch_user(&tokens).await.unwrap_err();
    assert!(
        matches!(kind(&err), RequestErrorKind::InvalidResponse { .. }),
        "{err:?}"
    );
    let err = client.fetch_user(&tokens).await.unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_token"));
    let err = client.fetch_user(&tokens).await.unwrap_err();
    assert!(matches!(kind(&err), RequestErrorKind::Timeout), "{err:?}");
    // A short delay, then a normal answer.
    let started = Instant::now();
    assert_eq!(client.fetch_user(&tokens).await.unwrap().id, "u1");
    assert!(started.elapsed() >= Duration::from_millis(100));
    assert_eq!(mock.requests(Phase::UserInfo), 5);

    // In a whole sign-in, a userinfo failure comes after the code was spent.
    mock.fail_next(Phase::UserInfo, Fault::Status(503, "upstream unavailable"));
    let auth = client.authorization_url();
    let location = redirected_to(&auth.url).await;
    let err = client
        .validate_callback(&callback(&location), &auth.pending)
        .await
        .err()
        .unwrap();
    assert!(matches!(
        kind(&err),
        RequestErrorKind::UnexpectedResponse { status: 503, .. }
    ));
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn refresh_and_revoke_faults() {
    let mock = mock(Approval::Auto).await;
    let client = impatient(&mock);
    let (code, verifier) = code_for(&client).await;
    let tokens = client
        .exchange_code(&code, verifier.as_deref())
        .await
        .unwrap();
    let refresh_token = tokens.refresh_token().unwrap().clone();

    // A fault for one phase leaves the others alone.
    mock.fail_next(Phase::Refresh, Fault::OAuthError("invalid_grant"));
    mock.fail_next(Phase::Revoke, Fault::Status(500, "{\"message\":\"boom\"}"));
    assert_eq!(client.fetch_user(&tokens).await.unwrap().id, "u1");

    let err = client.refresh(&refresh_token).await.unwrap_err();
    assert_eq!(oauth(&err), (400, "invalid_grant"));
    mock.fail_next(
        Phase::Refresh,
        Fault::Status(502, "<html>Bad Gateway</html>"),
    );
    let err = client.refresh(&refresh_token).await.unwrap_err();
    assert!(matches!(
        kind(&err),
        RequestErrorKind::UnexpectedResponse { status: 502, .. }
    ));
    assert!(err.is_retryable());
    mock.fail_next(Phase::Refresh, Fault::Body("not json".into()));
    let err = client.refresh(&refresh_token).await.unwrap_err();
    assert!(
        matches!(kind(&err), RequestErrorKind::InvalidResponse { .. }),
        "{err:?}"
    );
    mock.fail_next(Phase::Refresh, Fault::Delay(Duration::from_secs(3)));
    let err = client.refresh(&refresh_token).await.unwrap_err();
    assert!(matches!(kind(&err), RequestErrorKind::Timeout), "{err:?}");
    assert_eq!(mock.requests(Phase::Refresh), 4);
    assert_eq!(mock.requests(Phase::TokenExchange), 1);

    let err = client
        .revoke(tokens.access_token().clone())
        .await
        .unwrap_err();
    match kind(&err) {
        RequestErrorKind::UnexpectedResponse {
            status,
            content_type,
            ..
        } => {
            assert_eq!(*status, 500);
            assert_eq!(content_type.as_deref(), Some("application/json"));
        }
        other => panic!("{other:?}"),
    }
    mock.fail_next(Phase::Revoke, Fault::OAuthError("unsupported_token_type"));
    let err = client
        .revoke(tokens.access_token().clone())
        .await
        .unwrap_err();
    assert_eq!(oauth(&err), (400, "unsupported_token_type"));
    // A garbage body on a revocation is ignored by the client — and nothing was revoked.
    mock.fail_next(Phase::Revoke, Fault::Body("garbage".into()));
    client.revoke(tokens.access_token().clone()).await.unwrap();
    assert_eq!(client.fetch_user(&tokens).await.unwrap().id, "u1");
    // A short delay, then the token is revoked.
    mock.fail_next(Phase::Revoke, Fault::Delay(Duration::from_millis(100)));
    let started = Instant::now();
    client.revoke(tokens.access_token().clone()).await.unwrap();
    assert!(started.elapsed() >= Duration::from_millis(100));
    let err = client.fetch_user(&tokens).await.unwrap_err();
    assert_eq!(oauth(&err), (401, "invalid_token"));
    assert_eq!(mock.requests(Phase::Revoke), 4);
}

#[tokio::test]
#[should_panic(expected = "serves no discovery endpoint")]
async fn faults_for_phases_the_mock_does_not_serve_are_refused() {
    let mock = mock(Approval::Auto).await;
    mock.fail_next(Phase::Discovery, Fault::Status(500, ""));
}

#[tokio::test]
async fn the_server_stops_when_dropped() {
    let mock = mock(Approval::Auto).await;
    let addr = mock.addr();
    // A kept-alive connection from a client's pool.
    let http = browser();
    let url = format!("{}/userinfo", mock.url());
    assert_eq!(http.get(&url).send().await.unwrap().status(), 401);
    drop(mock);
    let mut stopped = false;
    for _ in 0..100 {
        if tokio::net::TcpStream::connect(addr).await.is_err()
            && http.get(&url).send().await.is_err()
        {
            stopped = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert!(stopped, "still serving on {addr}");
}
