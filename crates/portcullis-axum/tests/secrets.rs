//! The sign-in routes show no secret: not the cookie `Key`, not the client secret, not
//! the pending sign-in's state, PKCE verifier or nonce, not the authorization code — in
//! `Debug`, in any response, or in `tracing` output at any level, over a whole sign-in
//! and a failed one against a provider that echoes requests.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::http::request::Parts;
use axum::http::{HeaderMap, Request, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum_extra::extract::cookie::PrivateCookieJar;
use http_body_util::BodyExt;
use portcullis::{
    AnyUser, ClientConfig, MemoryAdapter, OAuthClient, PendingAuthorization, Provider,
    ProviderSession,
};
use portcullis_axum::{Key, SignIn, SignInHandler, pending_cookie_name};
use portcullis_testkit::TestProvider;
use portcullis_testkit::hostile::{HostileServer, Reply, response};
use tower::ServiceExt;
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

type Store = MemoryAdapter<String>;

/// The cookie key's master secret (64 bytes).
const MASTER: &[u8; 64] = b"portcullis-axum-MASTER-KEY-SECRET-0123456789-abcdefghijklmnopqrs";
const CLIENT_SECRET: &str = "cs-AXUM-CLIENT-SECRET-1111";
const CODE: &str = "code-AXUM-AUTHZ-CODE-2222";

/// A `tracing` subscriber that writes every field of every span and event, at every
/// level, into one string.
#[derive(Clone, Default)]
struct Capture {
    text: Arc<Mutex<String>>,
    next_id: Arc<AtomicU64>,
}

struct Fields<'a>(&'a mut String);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        let _ = write!(self.0, " {}={value:?}", field.name());
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        Interest::always()
    }
    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }
    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }
    fn new_span(&self, span: &Attributes<'_>) -> Id {
        let mut text = self.text.lock().unwrap();
        let _ = write!(text, "span {}", span.metadata().name());
        span.record(&mut Fields(&mut text));
        text.push('\n');
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        let mut text = self.text.lock().unwrap();
        values.record(&mut Fields(&mut text));
        text.push('\n');
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let mut text = self.text.lock().unwrap();
        let _ = write!(
            text,
            "event {} {}",
            event.metadata().level(),
            event.metadata().target()
        );
        event.record(&mut Fields(&mut text));
        text.push('\n');
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

struct App;

#[async_trait]
impl SignInHandler<Store> for App {
    async fn signed_in(&self, session: ProviderSession<AnyUser, Store>, _: &Parts) -> Response {
        format!("signed in via {}", session.key()).into_response()
    }
}

fn router(base: &str, key: &Key) -> Router {
    let client = OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", CLIENT_SECRET)
            .redirect_uri("http://app.test/login/test/callback".parse().unwrap())
            .scope("openid"),
        Store::new(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(base).unwrap())
    .into_dyn();
    SignIn::new(key.clone(), App).provider(client).into_router()
}

/// Everything a response shows: status, every header, the body.
async fn send(router: &Router, request: Request<Body>) -> (StatusCode, HeaderMap, String) {
    let response = router.clone().oneshot(request).await.unwrap();
    let (parts, body) = response.into_parts();
    let body = body.collect().await.unwrap().to_bytes();
    (
        parts.status,
        parts.headers,
        String::from_utf8_lossy(&body).into_owned(),
    )
}

fn shown(headers: &HeaderMap, body: &str) -> String {
    let mut text = String::new();
    for (name, value) in headers {
        let _ = writeln!(
            text,
            "{name}: {}",
            String::from_utf8_lossy(value.as_bytes())
        );
    }
    text + body
}

/// Starts a sign-in: the pending cookie (`name=value`) and what it holds, read back
/// with the key as the routes do.
async fn start(router: &Router, key: &Key) -> (String, PendingAuthorization, String) {
    let (status, headers, body) = send(
        router,
        Request::get("/login/test").body(Body::empty()).unwrap(),
    )
    .await;
    assert_eq!(status, StatusCode::SEE_OTHER, "{body}");
    let set_cookie = headers[header::SET_COOKIE].to_str().unwrap();
    let cookie = set_cookie.split(';').next().unwrap().to_owned();
    let mut cookie_header = HeaderMap::new();
    cookie_header.insert(header::COOKIE, cookie.parse().unwrap());
    let jar = PrivateCookieJar::from_headers(&cookie_header, key.clone());
    let pending: PendingAuthorization =
        serde_json::from_str(jar.get(&pending_cookie_name("test")).unwrap().value()).unwrap();
    // The redirect itself carries the state and the nonce (that is the protocol), and
    // the PKCE challenge — never the verifier.
    let location = headers[header::LOCATION].to_str().unwrap().to_owned();
    let mut without_location = headers.clone();
    without_location.remove(header::LOCATION);
    (cookie, pending, shown(&without_location, &body) + &location)
}

/// The redirect to the provider without the values the protocol puts in it.
fn in_the_protocol(redirect: &str, pending: &PendingAuthorization) -> String {
    redirect
        .replace(pending.state(), "[state]")
        .replace(pending.nonce().unwrap_or("[state]"), "[nonce]")
}

#[tokio::test]
async fn the_routes_show_no_secret() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    let key = Key::from(MASTER);
    let master = String::from_utf8_lossy(MASTER).into_owned();
    let master_hex: String = MASTER.iter().map(|b| format!("{b:02x}")).collect();
    assert!(!format!("{key:?}").contains(&master));
    assert!(!format!("{key:?}").contains(&master_hex));
    let basic = portcullis_testkit::basic_auth("cid", CLIENT_SECRET)
        .trim_start_matches("Basic ")
        .to_owned();
    let mut secrets = vec![
        master,
        master_hex,
        CLIENT_SECRET.to_owned(),
        CODE.to_owned(),
        basic,
    ];
    let mut responses = String::new();

    // A whole sign-in.
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at-AXUM-ACCESS-3333","token_type":"Bearer"}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1"}"#)
        .create_async()
        .await;
    secrets.push("at-AXUM-ACCESS-3333".to_owned());
    let good = router(&server.url(), &key);
    let (cookie, pending, redirect) = start(&good, &key).await;
    let verifier = pending.code_verifier().unwrap().to_owned();
    let nonce = pending.nonce().unwrap().to_owned();
    assert!(!redirect.contains(&verifier), "{redirect}");
    responses += &in_the_protocol(&redirect, &pending);
    let callback = format!("/login/test/callback?code={CODE}&state={}", pending.state());
    let request = Request::get(&callback)
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&good, request).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    responses += &shown(&headers, &body);
    let mut per_sign_in = vec![pending.state().to_owned(), verifier, nonce];

    // A failed sign-in against a provider that echoes the token request — client
    // credentials, code and verifier — in its error.
    let echo = HostileServer::start_with(|request| {
        Reply::Raw(response(
            400,
            &[("content-type", "application/json")],
            serde_json::json!({
                "error": "invalid_grant",
                "error_description": String::from_utf8_lossy(request),
            })
            .to_string()
            .as_bytes(),
        ))
    })
    .await
    .unwrap();
    let echoing = router(echo.url(), &key);
    let (cookie, pending, redirect) = start(&echoing, &key).await;
    responses += &in_the_protocol(&redirect, &pending);
    let callback = format!("/login/test/callback?code={CODE}&state={}", pending.state());
    let request = Request::get(&callback)
        .header(header::COOKIE, &cookie)
        .body(Body::empty())
        .unwrap();
    let (status, headers, body) = send(&echoing, request).await;
    assert_eq!(status, StatusCode::BAD_GATEWAY, "{body}");
    assert_eq!(echo.connections(), 1, "the echo was asked");
    responses += &shown(&headers, &body);
    per_sign_in.extend([
        pending.state().to_owned(),
        pending.code_verifier().unwrap().to_owned(),
        pending.nonce().unwrap().to_owned(),
    ]);
    secrets.extend(per_sign_in);

    drop(_guard);
    let traced = capture.text.lock().unwrap().clone();
    assert!(
        traced.contains("sign-in failed") && traced.contains("invalid_grant"),
        "the failure was traced, with the provider's answer: {traced}"
    );
    for secret in &secrets {
        assert!(
            !traced.contains(secret.as_str()),
            "traced `{secret}`:\n{traced}"
        );
        assert!(
            !responses.contains(secret.as_str()),
            "answered `{secret}`:\n{responses}"
        );
    }
}
