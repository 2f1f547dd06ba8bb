//! No secret in any `Debug`, `Display`, error message or `tracing` output.
//!
//! Builds every public type that holds a secret — `ClientConfig` and `OAuthClient` with
//! a client secret, `Tokens` with access, refresh and ID tokens, `AuthorizationUrl` and
//! `PendingAuthorization` with state, PKCE verifier and nonce, `CallbackParams` with a
//! code, a `ProviderSession` — and the errors of failing requests that carried secrets,
//! against a provider that echoes the whole request back in its error, and runs it all
//! under a `tracing` subscriber that records every field of every span and event at
//! every level. None of the secret strings may appear anywhere.

use std::fmt::{self, Write as _};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use portcullis::{
    AccessToken, ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider,
    Provider, ProviderInfo, Refresh, RefreshToken, Revoke, Tokens, UserRequest,
};
use portcullis_testkit::hostile::{HostileServer, Reply, response};
use portcullis_testkit::{TestProvider, TestUser};
use tracing::field::{Field, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Metadata, Subscriber};

const CLIENT_SECRET: &str = "cs-CLIENT-SECRET-1111";
const CODE: &str = "code-AUTHZ-CODE-2222";
const ACCESS_TOKEN: &str = "at-ACCESS-TOKEN-3333";
const REFRESH_TOKEN: &str = "rt-REFRESH-TOKEN-4444";
const ID_TOKEN: &str = "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJJRC1UT0tFTi01NTU1In0.c2ln";
const EXTRA_SECRET: &str = "x-EXTRA-SECRET-6666";
const ROTATED_ACCESS_TOKEN: &str = "at-ROTATED-ACCESS-7777";
const ROTATED_REFRESH_TOKEN: &str = "rt-ROTATED-REFRESH-8888";

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

impl Capture {
    fn write(&self, header: fmt::Arguments<'_>, visit: impl FnOnce(&mut Fields<'_>)) {
        let mut text = self.text.lock().unwrap();
        let _ = write!(text, "{header}");
        visit(&mut Fields(&mut text));
        text.push('\n');
    }

    fn text(&self) -> String {
        self.text.lock().unwrap().clone()
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
        let meta = span.metadata();
        self.write(
            format_args!("span {} {} {}", meta.level(), meta.target(), meta.name()),
            |fields| span.record(fields),
        );
        Id::from_u64(self.next_id.fetch_add(1, Ordering::Relaxed) + 1)
    }
    fn record(&self, _: &Id, values: &Record<'_>) {
        self.write(format_args!("record"), |fields| values.record(fields));
    }
    fn record_follows_from(&self, _: &Id, _: &Id) {}
    fn event(&self, event: &Event<'_>) {
        let meta = event.metadata();
        self.write(
            format_args!("event {} {}", meta.level(), meta.target()),
            |fields| event.record(fields),
        );
    }
    fn enter(&self, _: &Id) {}
    fn exit(&self, _: &Id) {}
}

/// `TestProvider`, but sending the client secret in the form body
/// (`client_secret_post`), where a provider that echoes the body would show it.
#[derive(Debug, Clone, Default)]
struct BodyAuth;

impl Provider for BodyAuth {
    type User = TestUser;
    const INFO: ProviderInfo = ProviderInfo {
        id: "bodyauth",
        client_auth: ClientAuth::RequestBody,
        ..TestProvider::INFO
    };
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TestUser, Error> {
        TestProvider.fetch_user(request).await
    }
}
impl Refresh for BodyAuth {}
impl Revoke for BodyAuth {}

fn config() -> ClientConfig {
    ClientConfig::new("cid", CLIENT_SECRET)
        .redirect_uri("http://app.test/cb".parse().unwrap())
        .scope("openid")
}

fn client<P: Provider + Default>(base: &str) -> OAuthClient<P, MemoryAdapter<String>> {
    OAuthClient::new(P::default(), config(), MemoryAdapter::new())
        .unwrap()
        .with_endpoints(TestProvider.endpoints().rebased(base).unwrap())
}

/// Every text a value can show: `Display` (when it has one), `Debug`, alternate `Debug`,
/// and the `Display` of every error in its `source()` chain.
fn texts_of_error(error: &Error) -> String {
    let mut text = format!("{error}\n{error:?}\n{error:#?}\n");
    let mut source = std::error::Error::source(error);
    while let Some(inner) = source {
        let _ = writeln!(text, "{inner}\n{inner:?}");
        source = inner.source();
    }
    text
}

fn assert_hidden(what: &str, text: &str, secrets: &[String]) {
    for secret in secrets {
        assert!(
            !text.contains(secret.as_str()),
            "{what} shows the secret `{secret}`:\n{text}"
        );
    }
}

/// A provider that echoes the whole request — headers (Basic credentials, bearer token)
/// and form body (code, verifier, refresh token, client secret) — back in its errors:
/// as an OAuth error description with 400, as a 500 body (kept as an excerpt), and as
/// an OAuth error sent with 200.
async fn echoing_provider(status: u16) -> HostileServer {
    HostileServer::start_with(move |request| {
        let echo = String::from_utf8_lossy(request).into_owned();
        Reply::Raw(match status {
            500 => response(500, &[("content-type", "text/plain")], echo.as_bytes()),
            _ => response(
                status,
                &[("content-type", "application/json")],
                serde_json::json!({"error": "invalid_request", "error_description": echo})
                    .to_string()
                    .as_bytes(),
            ),
        })
    })
    .await
    .unwrap()
}

/// The `Authorization: Basic` credentials for `cid` and the client secret: as good as
/// the secret itself.
fn basic_credentials() -> String {
    portcullis_testkit::basic_auth("cid", CLIENT_SECRET)
        .trim_start_matches("Basic ")
        .to_owned()
}

/// Failing requests of every phase, each carrying secrets, against an echoing provider.
async fn failing_requests<P: Provider + Refresh + Revoke + Default>(
    status: u16,
    verifier: &str,
) -> Vec<Error> {
    let echo = echoing_provider(status).await;
    let client = client::<P>(echo.url());
    let mut errors = vec![
        client
            .exchange_code(CODE, Some(verifier))
            .await
            .unwrap_err(),
        client
            .validate_code(CODE, Some(verifier), Some("nonce-value"))
            .await
            .unwrap_err(),
        client
            .refresh(&RefreshToken::new(REFRESH_TOKEN.into()))
            .await
            .unwrap_err(),
        client
            .revoke(RefreshToken::new(REFRESH_TOKEN.into()))
            .await
            .unwrap_err(),
        client
            .revoke(AccessToken::new(ACCESS_TOKEN.into()))
            .await
            .unwrap_err(),
        client
            .fetch_user(&Tokens::new(AccessToken::new(ACCESS_TOKEN.into())))
            .await
            .unwrap_err(),
    ];
    // The failing requests did reach the provider: the echo is real.
    assert!(echo.connections() >= errors.len());
    // A failed sign-in through the whole callback path too.
    let auth = client.authorization_url();
    let callback = portcullis_testkit::callback_for(&auth, CODE);
    errors.push(
        client
            .validate_callback(&callback, &auth.pending)
            .await
            .unwrap_err(),
    );
    errors
}

#[tokio::test]
async fn no_secret_in_debug_display_errors_or_traces() {
    let capture = Capture::default();
    let _guard = tracing::subscriber::set_default(capture.clone());
    // Everything that must stay hidden; the per-sign-in values are added as they come.
    let mut secrets: Vec<String> = [
        CLIENT_SECRET,
        CODE,
        ACCESS_TOKEN,
        REFRESH_TOKEN,
        ID_TOKEN,
        EXTRA_SECRET,
        ROTATED_ACCESS_TOKEN,
        ROTATED_REFRESH_TOKEN,
    ]
    .map(str::to_owned)
    .to_vec();
    secrets.push(basic_credentials());
    let mut shown = String::new();

    // The configuration and the client.
    let config = config();
    let _ = writeln!(shown, "{config:?}");

    // A whole sign-in, a refresh and a revocation against a provider that works.
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::Regex(
            "grant_type=authorization_code".into(),
        ))
        .with_header("content-type", "application/json")
        .with_body(
            serde_json::json!({
                "access_token": ACCESS_TOKEN, "token_type": "Bearer", "expires_in": 3600,
                "refresh_token": REFRESH_TOKEN, "id_token": ID_TOKEN, "scope": "openid profile",
                "session_secret": EXTRA_SECRET,
            })
            .to_string(),
        )
        .create_async()
        .await;
    server
        .mock("POST", "/token")
        .match_body(mockito::Matcher::Regex("grant_type=refresh_token".into()))
        .with_header("content-type", "application/json")
        .with_body(
            serde_json::json!({
                "access_token": ROTATED_ACCESS_TOKEN, "token_type": "Bearer",
                "refresh_token": ROTATED_REFRESH_TOKEN,
            })
            .to_string(),
        )
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1","name":"Ada"}"#)
        .create_async()
        .await;
    server
        .mock("POST", "/revoke")
        .with_status(200)
        .create_async()
        .await;
    let client = client::<TestProvider>(&server.url());
    let _ = writeln!(shown, "{client:?}");
    let auth = client.authorization_url();
    let pending = auth.pending.clone();
    secrets.push(pending.state().to_owned());
    let verifier = pending.code_verifier().expect("PKCE").to_owned();
    secrets.push(verifier.clone());
    secrets.push(pending.nonce().expect("openid was requested").to_owned());
    let _ = writeln!(shown, "{auth:?}\n{auth:#?}\n{pending:?}");

    let callback = portcullis_testkit::callback_for(&auth, CODE);
    let _ = writeln!(shown, "{callback:?}");
    let session = client.validate_callback(&callback, &pending).await.unwrap();
    let _ = writeln!(shown, "{session:?}\n{session:#?}");
    let tokens = session.tokens.clone();
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.id_token().unwrap().secret(), ID_TOKEN);
    let _ = writeln!(shown, "{tokens:?}\n{tokens:#?}");
    let _ = writeln!(
        shown,
        "{:?} {:?} {:?}",
        tokens.access_token(),
        tokens.refresh_token(),
        tokens.id_token()
    );
    let user = session.create_user("Ada".into()).await.unwrap();
    let _ = writeln!(shown, "{user:?}");
    let refreshed = client
        .refresh(tokens.refresh_token().unwrap())
        .await
        .unwrap();
    assert_eq!(refreshed.access_token().secret(), ROTATED_ACCESS_TOKEN);
    let _ = writeln!(shown, "{refreshed:?}");
    client
        .revoke(refreshed.refresh_token().unwrap().clone())
        .await
        .unwrap();

    // Failing requests that carried secrets, with every way of echoing them, for both
    // client authentications (Basic header and form body).
    let mut errors = Vec::new();
    for status in [400, 500, 200] {
        errors.extend(failing_requests::<TestProvider>(status, &verifier).await);
        errors.extend(failing_requests::<BodyAuth>(status, &verifier).await);
    }
    // The echoes are real: some error shows the echoed request, minus the secrets.
    let all_errors: String = errors.iter().map(texts_of_error).collect();
    assert!(all_errors.contains("[redacted]"), "{all_errors}");
    assert!(all_errors.contains("POST /token"), "{all_errors}");
    for error in &errors {
        assert_hidden("an error", &texts_of_error(error), &secrets);
    }

    drop(_guard);
    let traced = capture.text();
    assert!(
        [
            "portcullis.request",
            "token_exchange",
            "user_info",
            "refresh",
            "revoke"
        ]
        .iter()
        .all(|seen| traced.contains(seen)),
        "the subscriber saw every request: {traced}"
    );
    // Each span records the answer's status and the duration, and ends with an event
    // saying how the answer was judged.
    for recorded in [
        "record status=200",
        "record duration_ms=",
        "provider answered",
        "provider refused",
    ] {
        assert!(traced.contains(recorded), "{recorded}: {traced}");
    }
    assert_hidden("Debug output", &shown, &secrets);
    assert_hidden("tracing output", &traced, &secrets);
}
