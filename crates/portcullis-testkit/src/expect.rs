//! The requests a provider's endpoints must receive, as `mockito` mocks, and the typed
//! errors a failed sign-in must come back as: what every provider crate's tests check,
//! written once.
//!
//! A mock built here matches only the exact request: method, path, the headers every
//! Portcullis request carries (`Accept`, `User-Agent`), the client's authentication and
//! every form field or query parameter. Anything else gets mockito's 501, which fails
//! the test. Answer it with [`Reply::reply`]. A provider's own headers can be required
//! with `mockito`'s `match_header` before that; header matchers add up, so one of the
//! headers set here (`Accept`, `User-Agent`) cannot be changed that way: a provider that
//! sends its own builds that mock by hand. `match_query`, `match_body` and
//! `match_request` replace what was set before.
//!
//! ```
//! use portcullis_testkit::expect::{self, Credentials, Reply};
//!
//! # async fn f() {
//! let mut server = mockito::Server::new_async().await;
//! let token = expect::token_request(
//!     &mut server,
//!     "/oauth2/token",
//!     Credentials::Basic { id: "client", secret: "secret" },
//!     &[("grant_type", "authorization_code"), ("code", "the-code")],
//! )
//! .reply(200, expect::JSON, r#"{"access_token":"t","token_type":"bearer"}"#)
//! .await;
//! let me = expect::api_request(&mut server, "GET", "/user", &[], "t")
//!     .reply(200, expect::JSON, r#"{"id":1}"#)
//!     .await;
//! // … sign in against `server`, then:
//! # let _ = (token, me);
//! # }
//! ```

use std::future::Future;

use mockito::{Matcher, Mock, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, Phase, Provider, RequestError,
    RequestErrorKind, USER_AGENT,
};

use crate::{basic_auth, form_is, query_is};

/// `application/json`, the content type most providers answer with.
pub const JSON: &str = "application/json";

/// How the client authenticates in an expected token or revocation request.
#[derive(Debug, Clone, Copy)]
pub enum Credentials<'a> {
    /// `client_secret_basic`: `Authorization: Basic …`; neither id nor secret in the form.
    Basic {
        /// The client id.
        id: &'a str,
        /// The client secret.
        secret: &'a str,
    },
    /// `client_secret_post`: no `Authorization` header; `client_id` and `client_secret`
    /// in the form.
    Body {
        /// The client id.
        id: &'a str,
        /// The client secret.
        secret: &'a str,
    },
    /// A public client: no `Authorization` header, and only `client_id` in the form.
    Public {
        /// The client id.
        id: &'a str,
    },
}

/// A `POST` of a form to `path` (a token or revocation endpoint), expected once: the
/// form is exactly `fields` plus what `credentials` adds, sent with
/// `Content-Type: application/x-www-form-urlencoded`, `Accept: application/json` and
/// Portcullis's `User-Agent`.
pub fn token_request(
    server: &mut Server,
    path: &str,
    credentials: Credentials<'_>,
    fields: &[(&str, &str)],
) -> Mock {
    let mut form = fields.to_vec();
    let authorization = match credentials {
        Credentials::Basic { id, secret } => Matcher::Exact(basic_auth(id, secret)),
        Credentials::Body { id, secret } => {
            form.extend([("client_id", id), ("client_secret", secret)]);
            Matcher::Missing
        }
        Credentials::Public { id } => {
            form.push(("client_id", id));
            Matcher::Missing
        }
    };
    server
        .mock("POST", path)
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("accept", JSON)
        .match_header("user-agent", USER_AGENT)
        .match_header("authorization", authorization)
        .match_request(form_is(&form))
        .expect(1)
}

/// A request to a provider's API with `access_token` as a bearer token, expected once:
/// `method` to `path` with exactly the parameters `query` (none when it is empty),
/// `Authorization: Bearer …`, `Accept: application/json` and Portcullis's `User-Agent`.
pub fn api_request(
    server: &mut Server,
    method: &str,
    path: &str,
    query: &[(&str, &str)],
    access_token: &str,
) -> Mock {
    server
        .mock(method, path)
        .match_query(Matcher::Any)
        .match_request(query_is(query))
        .match_header("authorization", format!("Bearer {access_token}").as_str())
        .match_header("accept", JSON)
        .match_header("user-agent", USER_AGENT)
        .expect(1)
}

/// Answers an expected request and puts the mock in place.
pub trait Reply {
    /// Answers with `status`, `Content-Type: content_type` and `body`.
    fn reply(
        self,
        status: usize,
        content_type: &str,
        body: impl AsRef<[u8]>,
    ) -> impl Future<Output = Mock> + Send;

    /// Answers with `status`, no `Content-Type` and no body (a revocation's `200`).
    fn reply_empty(self, status: usize) -> impl Future<Output = Mock> + Send;
}

impl Reply for Mock {
    fn reply(
        self,
        status: usize,
        content_type: &str,
        body: impl AsRef<[u8]>,
    ) -> impl Future<Output = Mock> + Send {
        self.with_status(status)
            .with_header("content-type", content_type)
            .with_body(body)
            .create_async()
    }

    fn reply_empty(self, status: usize) -> impl Future<Output = Mock> + Send {
        self.with_status(status).create_async()
    }
}

/// A client of `provider` with `config` and an in-memory store, whose endpoints are
/// the provider's own moved to `server` (same paths, the mock's origin).
///
/// # Panics
///
/// If the configuration is refused or the endpoints cannot be rebased.
pub fn client<P: Provider + Clone>(
    provider: P,
    config: ClientConfig,
    server: &Server,
) -> OAuthClient<P, MemoryAdapter<String>> {
    let endpoints = provider
        .endpoints()
        .rebased(&server.url())
        .expect("the endpoints rebase onto the mock");
    OAuthClient::new(provider, config, MemoryAdapter::new())
        .expect("a valid configuration")
        .with_endpoints(endpoints)
}

/// Asserts that `err` is the provider's OAuth error `code` (with `description`, when
/// given) answered with HTTP `status` in `phase`, and returns the request error for
/// further checks. In a sign-in (code exchange, user request) it must not be
/// retryable: the code is spent.
///
/// # Panics
///
/// When `err` is anything else.
pub fn assert_oauth_error<'e>(
    err: &'e Error,
    phase: Phase,
    status: u16,
    code: &str,
    description: Option<&str>,
) -> &'e RequestError {
    let request = request_error(err, phase);
    assert!(
        matches!(request.kind(), RequestErrorKind::OAuth { status: s, .. } if *s == status),
        "{request:?}"
    );
    let oauth = request.oauth_error().expect("an OAuth error");
    assert_eq!(oauth.error, code, "{request:?}");
    if let Some(description) = description {
        assert_eq!(
            oauth.description.as_deref(),
            Some(description),
            "{request:?}"
        );
    }
    assert_eq!(err.code(), "FAILED_REQUEST");
    if matches!(phase, Phase::TokenExchange | Phase::UserInfo) {
        assert!(!err.is_retryable(), "a code exchange is never retried");
    }
    request
}

/// Asserts that `err` is an unexpected (non-OAuth, non-JSON) answer in `phase` with
/// HTTP `status` and `content_type`, whose excerpt contains `excerpt`, and returns the
/// request error.
///
/// # Panics
///
/// When `err` is anything else.
pub fn assert_unexpected_response<'e>(
    err: &'e Error,
    phase: Phase,
    status: u16,
    content_type: &str,
    excerpt: &str,
) -> &'e RequestError {
    let request = request_error(err, phase);
    match request.kind() {
        RequestErrorKind::UnexpectedResponse {
            status: s,
            content_type: c,
            excerpt: e,
        } => {
            assert_eq!(*s, status, "{request:?}");
            assert_eq!(c.as_deref(), Some(content_type), "{request:?}");
            assert!(e.contains(excerpt), "{e}");
        }
        other => panic!("not an unexpected response: {other:?}"),
    }
    request
}

/// Asserts that `err` is a response in `phase` that did not parse, because of `field`
/// (`None`: not because of one field, e.g. truncated JSON), and returns the request
/// error.
///
/// # Panics
///
/// When `err` is anything else.
pub fn assert_invalid_response<'e>(
    err: &'e Error,
    phase: Phase,
    field: Option<&str>,
) -> &'e RequestError {
    let request = request_error(err, phase);
    assert!(
        matches!(request.kind(), RequestErrorKind::InvalidResponse { field: f, .. } if f.as_deref() == field),
        "{request:?}"
    );
    request
}

/// The request error inside `err`, which must have failed in `phase`.
fn request_error(err: &Error, phase: Phase) -> &RequestError {
    let Error::Request(request) = err else {
        panic!("not a request error: {err:?}")
    };
    assert_eq!(request.phase(), phase, "{request:?}");
    request
}
