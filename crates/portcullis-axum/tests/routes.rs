//! The sign-in routes, driven like a browser would: the redirect and its cookie, the
//! callback, and every way it can go wrong.

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use http_body_util::BodyExt;
use mockito::{Server, ServerGuard};
use portcullis::{
    AnyUser, ClientConfig, Error, MemoryAdapter, OAuthClient, Provider, ProviderSession,
};
use portcullis_axum::{Key, SignIn, SignInFailure, SignInHandler, pending_cookie_name};
use portcullis_testkit::TestProvider;
use tower::ServiceExt;

type Store = MemoryAdapter<String>;

/// Creates users on first sign-in and answers with who signed in.
struct App;

#[async_trait]
impl SignInHandler<Store> for App {
    async fn signed_in(
        &self,
        session: ProviderSession<AnyUser, Store>,
        request: &Parts,
    ) -> Response {
        let user = match session.existing_user.clone() {
            Some(user) => user,
            None => session.create_user("new".into()).await.unwrap(),
        };
        let app_cookie = request
            .headers
            .get(header::COOKIE)
            .and_then(|c| c.to_str().ok())
            .is_some_and(|c| c.contains("app_session=1"));
        format!(
            "signed in as user {} via {} (app cookie seen: {app_cookie})",
            user.id,
            session.key()
        )
        .into_response()
    }
}

/// Answers failures with the error code, to check the typed error reaches the app.
struct Strict;

#[async_trait]
impl SignInHandler<Store> for Strict {
    async fn signed_in(&self, _: ProviderSession<AnyUser, Store>, _: &Parts) -> Response {
        StatusCode::OK.into_response()
    }
    async fn failed(&self, failure: SignInFailure, _: &Parts) -> Response {
        (StatusCode::IM_A_TEAPOT, failure.error().code()).into_response()
    }
}

struct Setup {
    server: ServerGuard,
    store: Store,
    key: Key,
}

async fn setup() -> Setup {
    Setup {
        server: Server::new_async().await,
        store: MemoryAdapter::new(),
        key: Key::generate(),
    }
}

impl Setup {
    fn router(&self, handler: impl SignInHandler<Store>, form_post: bool) -> Router {
        let client = OAuthClient::new(
            TestProvider,
            ClientConfig::new("cid", "secret")
                .redirect_uri("http://app.test/login/test/callback".parse().unwrap()),
            self.store.clone(),
        )
        .unwrap()
        .with_endpoints(
            TestProvider
                .endpoints()
                .rebased(&self.server.url())
                .unwrap(),
        )
        .into_dyn();
        let sign_in = SignIn::new(self.key.clone(), handler);
        let sign_in = if form_post {
            sign_in.form_post_provider(client)
        } else {
            sign_in.provider(client)
        };
        sign_in.into_router()
    }

    async fn provider_works(&mut self) {
        self.server
            .mock("POST", "/token")
            .with_header("content-type", "application/json")
            .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
            .create_async()
            .await;
        self.server
            .mock("GET", "/userinfo")
            .with_header("content-type", "application/json")
            .with_body(r#"{"id":"u1","name":"<b>Ada</b>"}"#)
            .create_async()
            .await;
    }
}

async fn send(router: &Router, request: Request<Body>) -> (StatusCode, Vec<String>, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let status = response.status();
    let cookies = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .collect();
    let location = response
        .headers()
        .get(header::LOCATION)
        .map(|v| v.to_str().unwrap().to_owned());
    let body = response.into_body().collect().await.unwrap().to_bytes();
    let body = location.unwrap_or_else(|| String::from_utf8_lossy(&body).into_owned());
    (status, cookies, body)
}

fn get(uri: &str, cookie: Option<&str>) -> Request<Body> {
    let mut request = Request::get(uri);
    if let Some(cookie) = cookie {
        request = request.header(header::COOKIE, cookie);
    }
    request.body(Body::empty()).unwrap()
}

/// `GET /login/test`: the redirect's `state` and the `name=value` of the pending cookie.
async fn start(router: &Router) -> (String, String, String) {
    let (status, cookies, location) = send(router, get("/login/test", None)).await;
    assert_eq!(status, StatusCode::SEE_OTHER);
    let url = portcullis::Url::parse(&location).unwrap();
    let state = url
        .query_pairs()
        .find(|(k, _)| k == "state")
        .unwrap()
        .1
        .into_owned();
    let cookie = cookies[0].split(';').next().unwrap().to_owned();
    (state, cookie, cookies[0].clone())
}

#[tokio::test]
async fn login_redirects_with_an_encrypted_one_shot_cookie() {
    let setup = setup().await;
    let router = setup.router(App, false);
    let (state, cookie, attributes) = start(&router).await;

    assert!(cookie.starts_with(&format!("{}=", pending_cookie_name("test"))));
    for attribute in [
        "HttpOnly",
        "Secure",
        "SameSite=Lax",
        "Path=/login/test",
        "Max-Age=600",
    ] {
        assert!(
            attributes.contains(attribute),
            "{attribute} missing: {attributes}"
        );
    }
    // Encrypted: neither the state nor the verifier can be read from it.
    assert!(!cookie.contains(&state), "{cookie}");
    assert!(!cookie.contains("code_verifier"), "{cookie}");
}

#[tokio::test]
async fn callback_signs_in_and_clears_the_cookie() {
    let mut setup = setup().await;
    setup.provider_works().await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;

    let (status, cookies, body) = send(
        &router,
        get(
            &format!("/login/test/callback?code=c&state={state}"),
            Some(&format!("{cookie}; app_session=1")),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(
        body,
        "signed in as user 1 via test:u1 (app cookie seen: true)"
    );
    let cleared = cookies
        .iter()
        .find(|c| c.starts_with(&pending_cookie_name("test")))
        .expect("the pending cookie is cleared");
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(setup.store.user_count(), 1);

    // With the same cookie, a callback carrying another state is refused.
    let (status, _, _) = send(
        &router,
        get("/login/test/callback?code=c&state=forged", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn forged_missing_and_foreign_state_get_400() {
    let setup = setup().await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;

    let (status, _, body) = send(
        &router,
        get("/login/test/callback?code=c&state=forged", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert!(body.contains("could not be verified"), "{body}");

    // No cookie at all: expired or started in another browser.
    let (status, _, body) = send(
        &router,
        get(&format!("/login/test/callback?code=c&state={state}"), None),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains("expired"), "{body}");

    // A cookie encrypted with another key is no cookie.
    let other = Setup {
        key: Key::generate(),
        ..setup
    }
    .router(App, false);
    let (other_state, other_cookie, _) = start(&other).await;
    let (status, _, _) = send(
        &router,
        get(
            &format!("/login/test/callback?code=c&state={other_state}"),
            Some(&other_cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);

    // Duplicated parameters are refused before anything else.
    let (status, _, _) = send(
        &router,
        get(
            &format!("/login/test/callback?code=c&state={state}&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn cancelling_shows_a_friendly_page_with_nothing_unescaped() {
    let setup = setup().await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;
    let (status, cookies, body) = send(
        &router,
        get(
            &format!("/login/test/callback?error=access_denied&error_description=%3Cscript%3Ealert(1)%3C%2Fscript%3E&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert!(
        body.contains("You cancelled signing in with Test provider"),
        "{body}"
    );
    assert!(!body.contains("<script>"), "{body}");
    assert!(
        cookies.iter().any(|c| c.contains("Max-Age=0")),
        "cleared even on failure"
    );

    // Another provider error shows what it said, escaped.
    let (status, _, body) = send(
        &router,
        get(
            &format!("/login/test/callback?error=server_error&error_description=%3Cb%3Edown%3C%2Fb%3E&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("&lt;b&gt;down&lt;/b&gt;"), "{body}");
}

#[tokio::test]
async fn a_provider_outage_is_502_and_the_app_can_take_over() {
    let mut setup = setup().await;
    setup
        .server
        .mock("POST", "/token")
        .with_status(503)
        .with_body("<html>maintenance</html>")
        .create_async()
        .await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;
    let (status, _, body) = send(
        &router,
        get(
            &format!("/login/test/callback?code=c&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(body.contains("Test provider is not answering"), "{body}");
    assert!(
        !body.contains("maintenance"),
        "the provider's page is not echoed"
    );

    let strict = setup.router(Strict, false);
    let (state, cookie, _) = start(&strict).await;
    let (status, _, body) = send(
        &strict,
        get(
            &format!("/login/test/callback?code=c&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::IM_A_TEAPOT);
    assert_eq!(body, "FAILED_REQUEST");
    assert_eq!(setup.store.user_count(), 0);
}

#[tokio::test]
async fn form_post_callbacks_use_a_cross_site_cookie_and_post() {
    let mut setup = setup().await;
    setup.provider_works().await;
    let router = setup.router(App, true);
    let (state, cookie, attributes) = start(&router).await;
    assert!(attributes.contains("SameSite=None"), "{attributes}");
    assert!(attributes.contains("Secure"), "{attributes}");

    let request = Request::post("/login/test/callback")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("code=c&state={state}")))
        .unwrap();
    let (status, _, body) = send(&router, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("signed in as user 1"), "{body}");

    let huge = Request::post("/login/test/callback")
        .header(header::COOKIE, &cookie)
        .body(Body::from("x=".to_owned() + &"a".repeat(64 * 1024)))
        .unwrap();
    assert_eq!(send(&router, huge).await.0, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn unknown_providers_are_404() {
    let setup = setup().await;
    let router = setup.router(App, false);
    let (status, _, body) = send(&router, get("/login/%3Cx%3E", None)).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert!(body.contains("&lt;x&gt;"), "{body}");
    assert_eq!(
        send(&router, get("/login/nope/callback?code=c&state=s", None))
            .await
            .0,
        StatusCode::NOT_FOUND
    );
}

#[test]
fn failure_statuses() {
    let status = |error: Error| SignInFailure::new("Test provider", error).status();
    assert_eq!(
        status(Error::Config("x".into())),
        StatusCode::INTERNAL_SERVER_ERROR
    );
    assert_eq!(status(Error::EmailNotVerified), StatusCode::FORBIDDEN);
    assert_eq!(
        status(portcullis::CallbackError::StateMismatch.into()),
        StatusCode::BAD_REQUEST
    );
}

/// Answers failures with the typed error — its code, and the request error's phase and
/// kind — to check exactly what the app is handed.
struct Typed;

#[async_trait]
impl SignInHandler<Store> for Typed {
    async fn signed_in(&self, session: ProviderSession<AnyUser, Store>, _: &Parts) -> Response {
        format!("signed in via {}", session.key()).into_response()
    }
    async fn failed(&self, failure: SignInFailure, _: &Parts) -> Response {
        let error = failure.error();
        let detail = match error {
            Error::Request(e) => format!("{:?} {:?}", e.phase(), e.kind()),
            other => format!("{other:?}"),
        };
        (failure.status(), format!("{} {detail}", error.code())).into_response()
    }
}

/// Sends a request and returns the whole response: status, headers and body.
async fn respond(
    router: &Router,
    request: Request<Body>,
) -> (StatusCode, header::HeaderMap, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

#[tokio::test]
async fn a_replayed_callback_signs_no_one_in() {
    let mut setup = setup().await;
    // The provider takes the code once, as real ones do, and refuses it afterwards.
    let code = mockito::Matcher::UrlEncoded("code".into(), "single-use".into());
    let first = setup
        .server
        .mock("POST", "/token")
        .match_body(code.clone())
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
        .expect(1)
        .create_async()
        .await;
    let spent = setup
        .server
        .mock("POST", "/token")
        .match_body(code)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_grant","error_description":"The code was already used."}"#)
        .expect(2)
        .create_async()
        .await;
    let userinfo = setup
        .server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1"}"#)
        .expect(1)
        .create_async()
        .await;
    let app = setup.router(App, false);
    let (state, cookie, _) = start(&app).await;
    let callback = format!("/login/test/callback?code=single-use&state={state}");
    let (status, cookies, body) = send(&app, get(&callback, Some(&cookie))).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body.starts_with("signed in as user 1"), "{body}");
    assert!(cookies.iter().any(|c| c.contains("Max-Age=0")));

    // The browser dropped the cookie; whoever kept the request replays it, cookie and
    // all. The state still matches, so the code goes to the provider, which refuses it.
    let typed = setup.router(Typed, false);
    let (status, _, body) = send(&typed, get(&callback, Some(&cookie))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert!(
        body.starts_with("FAILED_REQUEST TokenExchange OAuth { status: 400"),
        "{body}"
    );
    assert!(body.contains(r#"error: "invalid_grant""#), "{body}");
    // The default page says so without signing anyone in.
    let (status, _, body) = send(&app, get(&callback, Some(&cookie))).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY);
    assert!(!body.contains("signed in"), "{body}");

    first.assert_async().await;
    spent.assert_async().await;
    userinfo.assert_async().await;
    assert_eq!(setup.store.user_count(), 1);
}

#[tokio::test]
async fn forged_and_malformed_callbacks_are_refused_before_the_provider_is_asked() {
    let mut setup = setup().await;
    let token = setup
        .server
        .mock("POST", "/token")
        .expect(0)
        .create_async()
        .await;
    let router = setup.router(Typed, false);
    let (state, cookie, _) = start(&router).await;
    let long = "a".repeat(5000);
    let huge = "x".repeat(17 * 1024);
    for (query, code, detail) in [
        (format!("state={state}"), "INVALID_CALLBACK", "MissingCode"),
        ("code=c".to_owned(), "STATE_MISMATCH", "MissingState"),
        (String::new(), "STATE_MISMATCH", "MissingState"),
        (
            "code=c&state=".to_owned(),
            "STATE_MISMATCH",
            "StateMismatch",
        ),
        (
            format!("code=c&state={state}x"),
            "STATE_MISMATCH",
            "StateMismatch",
        ),
        (
            format!("code=c&state={}", &state[1..]),
            "STATE_MISMATCH",
            "StateMismatch",
        ),
        (
            format!("code=c&code=d&state={state}"),
            "INVALID_CALLBACK",
            r#"DuplicateParameter("code")"#,
        ),
        (
            format!("code=c&state={state}&st%61te={state}"),
            "INVALID_CALLBACK",
            r#"DuplicateParameter("state")"#,
        ),
        (
            format!("code=c&state={state}&iss=a&iss=b"),
            "INVALID_CALLBACK",
            r#"DuplicateParameter("iss")"#,
        ),
        (
            format!("code={long}&state={state}"),
            "INVALID_CALLBACK",
            r#"TooLong("code")"#,
        ),
        (
            format!("code=c&state={state}&padding={huge}"),
            "INVALID_CALLBACK",
            r#"TooLong("query")"#,
        ),
        (
            format!("code=c&state={state}&iss=https%3A%2F%2Fevil.example"),
            "ISSUER_MISMATCH",
            r#"found: "https://evil.example""#,
        ),
        (
            // An issuer that merely starts like the right one is another issuer.
            format!("code=c&state={state}&iss=https%3A%2F%2Fauth.test.invalid.evil.example"),
            "ISSUER_MISMATCH",
            "IssuerMismatch",
        ),
    ] {
        let (status, cookies, body) = send(
            &router,
            get(&format!("/login/test/callback?{query}"), Some(&cookie)),
        )
        .await;
        let shown = &query[..query.len().min(80)];
        assert_eq!(status, StatusCode::BAD_REQUEST, "{shown}: {body}");
        assert!(
            body.starts_with(code) && body.contains(detail),
            "{shown}: {body}"
        );
        assert!(
            cookies.iter().any(|c| c.contains("Max-Age=0")),
            "{shown}: the pending sign-in is used up"
        );
    }

    // The same checks on a `form_post` callback.
    let form = setup.router(Typed, true);
    let (state, cookie, _) = start(&form).await;
    let request = Request::post("/login/test/callback")
        .header(header::COOKIE, &cookie)
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!("code=c&state={state}&code=d")))
        .unwrap();
    let (status, _, body) = send(&form, request).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert!(body.contains(r#"DuplicateParameter("code")"#), "{body}");

    token.assert_async().await;
    assert_eq!(setup.store.user_count(), 0);
}

/// Markup in every place a provider (or whoever forged the callback) controls.
const MARKUP: &str = r#""><script>alert(1)</script><img src=x onerror=alert(2)>"#;

fn encoded(text: &str) -> String {
    portcullis::Url::parse("http://x.test")
        .unwrap()
        .query_pairs_mut()
        .append_pair("v", text)
        .finish()
        .query()
        .unwrap()
        .trim_start_matches("v=")
        .to_owned()
}

fn assert_nothing_unescaped(what: &str, headers: &header::HeaderMap, body: &str) {
    assert_eq!(
        headers[header::CONTENT_TYPE],
        "text/html; charset=utf-8",
        "{what}"
    );
    let lower = body.to_ascii_lowercase();
    for raw in ["<script", "<img", "javascript:", MARKUP] {
        assert!(!lower.contains(&raw.to_ascii_lowercase()), "{what}: {body}");
    }
}

#[tokio::test]
async fn nothing_the_provider_sent_is_echoed_unescaped() {
    let mut setup = setup().await;
    setup
        .server
        .mock("POST", "/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(
            serde_json::json!({"error": MARKUP, "error_description": MARKUP, "error_uri": MARKUP})
                .to_string(),
        )
        .create_async()
        .await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;
    let m = encoded(MARKUP);
    let js = encoded(&format!("javascript:{MARKUP}"));
    for (what, query, status) in [
        (
            "a provider error",
            format!("error={m}&error_description={m}&error_uri={js}&state={state}"),
            StatusCode::BAD_GATEWAY,
        ),
        (
            "a cancellation",
            format!("error=access_denied&error_description={m}&error_uri={js}"),
            StatusCode::FORBIDDEN,
        ),
        (
            "a forged state",
            format!("code={m}&state={m}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "a foreign issuer",
            format!("code=c&state={state}&iss={m}"),
            StatusCode::BAD_REQUEST,
        ),
        (
            "an OAuth error from the token endpoint",
            format!("code={m}&state={state}"),
            StatusCode::BAD_GATEWAY,
        ),
    ] {
        let (got, headers, body) = respond(
            &router,
            get(&format!("/login/test/callback?{query}"), Some(&cookie)),
        )
        .await;
        assert_eq!(got, status, "{what}: {body}");
        assert_nothing_unescaped(what, &headers, &body);
    }
    // The provider's words are shown, escaped, where the page shows them.
    let (_, _, body) = respond(
        &router,
        get(
            &format!("/login/test/callback?error={m}&error_description={m}"),
            None,
        ),
    )
    .await;
    assert!(
        body.contains("&lt;script&gt;alert(1)&lt;/script&gt;"),
        "{body}"
    );
    assert_eq!(setup.store.user_count(), 0);
}

#[tokio::test]
async fn callback_answers_keep_the_code_out_of_referers() {
    let mut setup = setup().await;
    setup.provider_works().await;
    let router = setup.router(App, false);
    let (state, cookie, _) = start(&router).await;
    let (status, headers, _) = respond(
        &router,
        get(
            &format!("/login/test/callback?code=c&state={state}"),
            Some(&cookie),
        ),
    )
    .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
    let (status, headers, _) = respond(
        &router,
        get("/login/test/callback?code=c&state=forged", Some(&cookie)),
    )
    .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(headers[header::REFERRER_POLICY], "no-referrer");
}

#[tokio::test]
async fn login_is_no_open_redirector() {
    let setup = setup().await;
    let router = setup.router(App, false);
    let authorize = format!("{}/authorize?", setup.server.url());
    for query in [
        "redirect_uri=https%3A%2F%2Fevil.example%2Fcb",
        "redirect_to=https%3A%2F%2Fevil.example&next=https%3A%2F%2Fevil.example",
        "state=attacker-chosen&code_challenge=attacker-chosen",
    ] {
        let (status, _, location) = send(&router, get(&format!("/login/test?{query}"), None)).await;
        assert_eq!(status, StatusCode::SEE_OTHER);
        assert!(location.starts_with(&authorize), "{query}: {location}");
        assert!(!location.contains("evil.example"), "{query}: {location}");
        assert!(!location.contains("attacker-chosen"), "{query}: {location}");
        assert!(
            location.contains("redirect_uri=http%3A%2F%2Fapp.test%2Flogin%2Ftest%2Fcallback"),
            "{location}"
        );
    }
}
