//! The one HTTP client every provider request goes through, and how its responses are
//! judged.
//!
//! Safe defaults live here, once: redirects are never followed (a token endpoint that
//! redirects is an SSRF vector), every request has a connect and a total timeout, bodies
//! are capped, every request carries `User-Agent: portcullis/<version>` and
//! `Accept: application/json`, and each request is traced in a `tracing` span with the
//! provider, phase, method, host and path, status and duration — never the query string,
//! a header or a body, which may hold secrets.

use std::time::{Duration, Instant};

use bytes::Bytes;
use reqwest::header::{self, HeaderMap, HeaderValue};
use reqwest::{Method, StatusCode};
use serde::de::DeserializeOwned;
use tracing::Instrument;
use url::Url;

use crate::error::{Error, OAuthErrorResponse, Phase, RequestError, RequestErrorKind};

/// The default `User-Agent`; set another with [`HttpClientBuilder::user_agent`]. GitHub
/// and Reddit refuse requests without one.
pub const USER_AGENT: &str = concat!("portcullis/", env!("CARGO_PKG_VERSION"));

/// Checked once, at compile time, instead of on every request.
const APPLICATION_JSON: HeaderValue = HeaderValue::from_static("application/json");

/// The HTTP client shared by all providers.
///
/// Cheap to clone (it shares one connection pool); build one per app and hand it to
/// every [`OAuthClient`](crate::OAuthClient) with
/// [`with_http_client`](crate::OAuthClient::with_http_client).
///
/// ```
/// use std::time::Duration;
/// use portcullis::HttpClient;
///
/// let http = HttpClient::builder()
///     .timeout(Duration::from_secs(10))
///     .max_body_bytes(512 * 1024)
///     .build()?;
/// # Ok::<(), portcullis::Error>(())
/// ```
#[derive(Clone, Debug)]
pub struct HttpClient {
    inner: reqwest::Client,
    max_body_bytes: usize,
    user_agent: HeaderValue,
}

impl HttpClient {
    /// Default connect timeout: 5 seconds.
    pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
    /// Default total timeout per request, body included: 15 seconds.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(15);
    /// Default response body limit: 1 MiB. Real token and user responses are a few KiB.
    pub const DEFAULT_MAX_BODY_BYTES: usize = 1024 * 1024;

    /// A client with the default timeouts, body limit and `User-Agent`.
    ///
    /// # Panics
    ///
    /// Only if the TLS backend cannot be initialised, as [`reqwest::Client::new`] does.
    /// Use [`HttpClient::builder`] to get that as an error instead.
    pub fn new() -> Self {
        Self::builder()
            .build()
            .expect("the default HTTP client configuration is valid")
    }

    /// Starts configuring a client.
    pub fn builder() -> HttpClientBuilder {
        HttpClientBuilder {
            connect_timeout: Self::DEFAULT_CONNECT_TIMEOUT,
            timeout: Self::DEFAULT_TIMEOUT,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            user_agent: USER_AGENT.to_owned(),
        }
    }

    /// Wraps a `reqwest::Client` the app built itself (proxies, custom roots, …).
    ///
    /// Build it with `redirect(reqwest::redirect::Policy::none())` and with timeouts:
    /// Portcullis cannot change them afterwards. The body limit and the `User-Agent`
    /// still come from Portcullis: set them with
    /// [`with_max_body_bytes`](Self::with_max_body_bytes) and
    /// [`with_user_agent`](Self::with_user_agent).
    pub fn from_reqwest(client: reqwest::Client) -> Self {
        HttpClient {
            inner: client,
            max_body_bytes: Self::DEFAULT_MAX_BODY_BYTES,
            user_agent: HeaderValue::from_static(USER_AGENT),
        }
    }

    /// The same client with another response body limit.
    #[must_use]
    pub fn with_max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The same client with another `User-Agent`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `user_agent` is not a valid header value.
    pub fn with_user_agent(mut self, user_agent: &str) -> Result<Self, Error> {
        self.user_agent = HeaderValue::from_str(user_agent)
            .map_err(|_| Error::Config(format!("invalid User-Agent `{user_agent}`")))?;
        Ok(self)
    }

    /// The response body limit in bytes.
    pub fn max_body_bytes(&self) -> usize {
        self.max_body_bytes
    }

    /// The `User-Agent` sent with every request.
    pub fn user_agent(&self) -> &str {
        self.user_agent.to_str().unwrap_or(USER_AGENT)
    }

    /// Sends one request, reads its body within the limits and judges the response with
    /// `judge`, in the request's tracing span.
    ///
    /// Not an `async fn`, and the future it returns is one `async fn` deep: rustc keeps
    /// each `async fn`'s moved-from arguments in its future, so a request passed down
    /// through nested `async fn`s, or a future passed into one, is stored again at each
    /// level. Built this way, the future `oauth2` boxes for a token request
    /// ([`Oauth2Http`]) is about 700 bytes instead of 2.4 KB, and a sign-in's future
    /// shrinks by as much (`docs/performance.md`).
    fn execute<'a, T: Send, E: From<RequestError>>(
        &'a self,
        provider: &'a str,
        phase: Phase,
        request: Result<reqwest::Request, RequestError>,
        judge: fn(Response<'a>) -> Result<T, RequestError>,
    ) -> impl Future<Output = Result<T, E>> + Send {
        let mut span = tracing::Span::none();
        let sent = request.map(|mut request| {
            let headers = request.headers_mut();
            headers.entry(header::ACCEPT).or_insert(APPLICATION_JSON);
            headers
                .entry(header::USER_AGENT)
                .or_insert(self.user_agent.clone());
            let url = request.url();
            span = tracing::debug_span!(
                "portcullis.request",
                provider,
                phase = phase.as_str(),
                method = %request.method(),
                host = url.host_str().unwrap_or_default(),
                path = url.path(),
                status = tracing::field::Empty,
                duration_ms = tracing::field::Empty,
            );
            let secrets = Secrets::of(&request);
            (self.inner.execute(request), secrets)
        });
        self.read(provider, phase, sent, judge, span.clone())
            .instrument(span)
    }

    /// The body of [`HttpClient::execute`]: waits for the response, reads its body,
    /// refusing one over the limit as soon as it is known to be, and judges it.
    async fn read<'a, T: Send, E: From<RequestError>>(
        &self,
        provider: &'a str,
        phase: Phase,
        sent: Result<
            (
                impl Future<Output = Result<reqwest::Response, reqwest::Error>>,
                Secrets,
            ),
            RequestError,
        >,
        judge: fn(Response<'a>) -> Result<T, RequestError>,
        span: tracing::Span,
    ) -> Result<T, E> {
        let (pending, secrets) = sent?;
        let started = Instant::now();
        let fail = |kind| RequestError::new(provider, phase, kind);
        let read = async {
            let mut response = pending.await.map_err(|e| fail(transport_kind(e)))?;
            span.record("status", response.status().as_u16());
            let limit = self.max_body_bytes;
            if response
                .content_length()
                .is_some_and(|len| len > limit as u64)
            {
                return Err(fail(RequestErrorKind::BodyTooLarge { limit }));
            }
            let headers = std::mem::take(response.headers_mut());
            let mut body = Chunks::default();
            while let Some(chunk) = response
                .chunk()
                .await
                .map_err(|e| fail(transport_kind(e)))?
            {
                if body.len() + chunk.len() > limit {
                    return Err(fail(RequestErrorKind::BodyTooLarge { limit }));
                }
                body.push(chunk);
            }
            Ok((response.status(), headers, body.into_bytes()))
        };
        let result = read.await;
        span.record("duration_ms", started.elapsed().as_millis() as u64);
        let (status, headers, body) = result.inspect_err(|error| {
            tracing::debug!(%error, "request failed");
        })?;
        let judged = judge(Response {
            provider,
            phase,
            status,
            headers,
            body,
            secrets,
        });
        match &judged {
            Ok(_) => tracing::debug!("provider answered"),
            Err(error) => tracing::debug!(%error, "provider refused"),
        }
        Ok(judged?)
    }

    /// `oauth2`'s request as a reqwest request.
    fn oauth2_request(
        &self,
        provider: &str,
        phase: Phase,
        request: oauth2::HttpRequest,
    ) -> Result<reqwest::Request, RequestError> {
        let (parts, body) = request.into_parts();
        let url = Url::parse(&parts.uri.to_string()).map_err(|e| {
            RequestError::new(
                provider,
                phase,
                RequestErrorKind::Transport(format!("invalid endpoint URL: {e}").into()),
            )
        })?;
        let mut request = reqwest::Request::new(parts.method, url);
        *request.headers_mut() = parts.headers;
        *request.body_mut() = Some(body.into());
        Ok(request)
    }

    /// A token, refresh or revocation request built by hand (not through `oauth2`),
    /// judged the way `oauth2`'s are ([`Response::into_oauth2`]).
    pub(crate) fn execute_token_request<'a>(
        &'a self,
        provider: &'a str,
        phase: Phase,
        request: Result<reqwest::Request, RequestError>,
    ) -> impl Future<Output = Result<oauth2::HttpResponse, Error>> + Send + 'a {
        self.execute(provider, phase, request, Response::into_oauth2)
    }

    /// This client as an `oauth2`/`openidconnect` HTTP client, for one provider and
    /// phase: the same limits and tracing, and every error shape turned into a
    /// [`RequestError`] before the crate sees the response.
    pub fn for_oauth2<'a>(&'a self, provider: &'a str, phase: Phase) -> Oauth2Http<'a> {
        Oauth2Http {
            http: self,
            provider,
            phase,
        }
    }

    /// A GET of a JSON document that needs no token — discovery metadata, a key set —
    /// through this client's limits and tracing.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with `phase`, as for every request.
    pub fn get_json<'a, T: DeserializeOwned + Send + 'a>(
        &'a self,
        provider: &'a str,
        phase: Phase,
        url: Url,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'a {
        let request = self.inner.get(url).build().map_err(|e| {
            RequestError::new(
                provider,
                phase,
                RequestErrorKind::Transport(Box::new(e.without_url())),
            )
        });
        self.execute(provider, phase, request, Response::json)
    }

    pub(crate) fn request(&self, method: Method, url: Url) -> reqwest::RequestBuilder {
        self.inner.request(method, url)
    }
}

impl Default for HttpClient {
    fn default() -> Self {
        Self::new()
    }
}

/// [`HttpClient`] as an `oauth2` HTTP client, tagged with the provider and phase. Made
/// by [`HttpClient::for_oauth2`].
#[derive(Debug, Clone, Copy)]
pub struct Oauth2Http<'a> {
    http: &'a HttpClient,
    provider: &'a str,
    phase: Phase,
}

impl<'c> oauth2::AsyncHttpClient<'c> for Oauth2Http<'_> {
    type Error = RequestError;
    type Future = std::pin::Pin<
        Box<
            dyn std::future::Future<Output = Result<oauth2::HttpResponse, RequestError>>
                + Send
                + 'c,
        >,
    >;

    fn call(&'c self, request: oauth2::HttpRequest) -> Self::Future {
        let request = self.http.oauth2_request(self.provider, self.phase, request);
        Box::pin(
            self.http
                .execute(self.provider, self.phase, request, Response::into_oauth2),
        )
    }
}

/// Configures an [`HttpClient`].
#[derive(Debug, Clone)]
#[must_use]
pub struct HttpClientBuilder {
    connect_timeout: Duration,
    timeout: Duration,
    max_body_bytes: usize,
    user_agent: String,
}

impl HttpClientBuilder {
    /// How long to wait for a connection. Default: 5 seconds.
    pub fn connect_timeout(mut self, timeout: Duration) -> Self {
        self.connect_timeout = timeout;
        self
    }

    /// How long a whole request may take, reading the body included. Default: 15 seconds.
    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }

    /// The largest response body accepted. Default: 1 MiB.
    pub fn max_body_bytes(mut self, limit: usize) -> Self {
        self.max_body_bytes = limit;
        self
    }

    /// The `User-Agent` header. Default: `portcullis/<version>`. Reddit asks for one
    /// naming your app.
    pub fn user_agent(mut self, user_agent: impl Into<String>) -> Self {
        self.user_agent = user_agent.into();
        self
    }

    /// Builds the client.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] if the TLS backend cannot be initialised or the user agent is
    /// not a valid header value.
    pub fn build(self) -> Result<HttpClient, Error> {
        let inner = reqwest::Client::builder()
            .redirect(reqwest::redirect::Policy::none())
            .connect_timeout(self.connect_timeout)
            .timeout(self.timeout)
            .build()
            .map_err(|e| Error::Config(format!("cannot build the HTTP client: {e}")))?;
        HttpClient::from_reqwest(inner)
            .with_max_body_bytes(self.max_body_bytes)
            .with_user_agent(&self.user_agent)
    }
}

fn transport_kind(error: reqwest::Error) -> RequestErrorKind {
    // reqwest's message can include the URL, and a URL can hold a token in its query.
    let error = error.without_url();
    if error.is_timeout() {
        RequestErrorKind::Timeout
    } else if error.is_connect() {
        RequestErrorKind::Connect(Box::new(error))
    } else {
        RequestErrorKind::Transport(Box::new(error))
    }
}

/// A response read in full, not yet judged.
#[derive(Debug)]
pub(crate) struct Response<'a> {
    provider: &'a str,
    phase: Phase,
    status: StatusCode,
    headers: HeaderMap,
    body: Bytes,
    /// The credentials the request carried, scrubbed from every error made of this.
    secrets: Secrets,
}

/// What a response body is, by its `Content-Type`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Media {
    /// `application/json`, `text/json`, `*/*+json`, or no `Content-Type` at all.
    Json,
    /// `application/x-www-form-urlencoded`.
    Form,
    /// Anything else.
    Other,
}

/// A body read chunk by chunk. Most bodies arrive in one chunk, which is kept as hyper
/// read it, without a copy.
#[derive(Default)]
enum Chunks {
    #[default]
    Empty,
    One(Bytes),
    Joined(Vec<u8>),
}

impl Chunks {
    fn len(&self) -> usize {
        match self {
            Chunks::Empty => 0,
            Chunks::One(chunk) => chunk.len(),
            Chunks::Joined(body) => body.len(),
        }
    }

    fn push(&mut self, chunk: Bytes) {
        *self = match std::mem::take(self) {
            Chunks::Empty => Chunks::One(chunk),
            Chunks::One(first) => Chunks::Joined([&first[..], &chunk[..]].concat()),
            Chunks::Joined(mut body) => {
                body.extend_from_slice(&chunk);
                Chunks::Joined(body)
            }
        };
    }

    fn into_bytes(self) -> Bytes {
        match self {
            Chunks::Empty => Bytes::new(),
            Chunks::One(chunk) => chunk,
            Chunks::Joined(body) => body.into(),
        }
    }
}

impl Response<'_> {
    fn fail(&self, kind: RequestErrorKind) -> RequestError {
        self.secrets.values().iter().fold(
            RequestError::new(self.provider, self.phase, kind),
            |e, s| e.redact(s),
        )
    }

    fn content_type(&self) -> Option<&str> {
        self.headers
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
    }

    /// What the `Content-Type` says the body is.
    fn media(&self) -> Media {
        let Some(value) = self.headers.get(header::CONTENT_TYPE) else {
            // Some providers omit the header on JSON bodies.
            return Media::Json;
        };
        let essence = value.as_bytes().split(|&b| b == b';').next();
        let essence = essence.unwrap_or_default().trim_ascii();
        let is = |media_type: &str| essence.eq_ignore_ascii_case(media_type.as_bytes());
        if is("application/json")
            || is("text/json")
            || essence.len() > 5 && essence[essence.len() - 5..].eq_ignore_ascii_case(b"+json")
        {
            Media::Json
        } else if is("application/x-www-form-urlencoded") {
            Media::Form
        } else {
            Media::Other
        }
    }

    fn retry_after(&self) -> Option<Duration> {
        if !matches!(self.status.as_u16(), 429 | 503) {
            return None;
        }
        let value = self.headers.get(header::RETRY_AFTER)?.to_str().ok()?;
        value.trim().parse().ok().map(Duration::from_secs)
    }

    /// The error for a non-success response: an OAuth error object when the body is one
    /// (RFC 6749 §5.2 — also used by userinfo endpoints per RFC 6750 §3), otherwise an
    /// unexpected response with a short excerpt.
    fn error_response(&self) -> RequestError {
        let retry_after = self.retry_after();
        let oauth = serde_json::from_slice::<ErrorProbe>(&self.body)
            .ok()
            .and_then(ErrorProbe::into_response);
        let kind = match oauth {
            Some(response) => RequestErrorKind::OAuth {
                status: self.status.as_u16(),
                response,
            },
            None => RequestErrorKind::UnexpectedResponse {
                status: self.status.as_u16(),
                content_type: self.content_type().map(str::to_owned),
                excerpt: excerpt(&self.body),
            },
        };
        self.fail(kind).with_retry_after(retry_after)
    }

    /// A successful answer that is not the JSON we asked for. The body is left out: it
    /// may be a token response in another format.
    fn wrong_content_type(&self) -> RequestError {
        self.fail(RequestErrorKind::UnexpectedResponse {
            status: self.status.as_u16(),
            content_type: self.content_type().map(str::to_owned),
            excerpt: String::new(),
        })
    }

    /// Judges a token-endpoint response and hands `oauth2` a clean 200 JSON body.
    ///
    /// Tolerates what real providers send: an OAuth error with HTTP 200 (GitHub), any
    /// 2xx for success, an `application/x-www-form-urlencoded` body (GitHub without an
    /// `Accept` header, some older servers), a missing `Content-Type`.
    pub(crate) fn into_oauth2(mut self) -> Result<oauth2::HttpResponse, RequestError> {
        if !self.status.is_success() {
            return Err(self.error_response());
        }
        let body = if self.phase == Phase::Revoke {
            // RFC 7009 §2.2: the body of a successful revocation is ignored — unless it
            // is an OAuth error object (probed below), which no successful one is.
            Vec::new()
        } else {
            match self.media() {
                Media::Json => std::mem::take(&mut self.body).into(),
                Media::Form => form_to_json(&self.body),
                Media::Other => return Err(self.wrong_content_type()),
            }
        };
        let probed: &[u8] = if self.phase == Phase::Revoke {
            &self.body
        } else {
            &body
        };
        // Only a body naming an `error` member can be an error object: skip the second
        // parse for every ordinary token response. (A token response without
        // `access_token` fails to parse anyway.)
        if memchr::memmem::find(probed, b"\"error\"").is_some()
            && let Ok(probe) = serde_json::from_slice::<ErrorProbe>(probed)
            && probe.access_token.is_none()
            && let Some(response) = probe.into_response()
        {
            return Err(self.fail(RequestErrorKind::OAuth {
                status: self.status.as_u16(),
                response,
            }));
        }
        // Status 200 and no headers: `oauth2` then parses the body as JSON, which it is
        // by now (a form body was converted above). Without a `Content-Type` header it
        // checks none, and no header map is allocated per response.
        Ok(oauth2::HttpResponse::new(body))
    }

    /// Judges an API response and parses its JSON body.
    pub(crate) fn json<T: DeserializeOwned>(self) -> Result<T, RequestError> {
        if !self.status.is_success() {
            return Err(self.error_response());
        }
        if self.media() != Media::Json {
            return Err(self.wrong_content_type());
        }
        parse_json(&self.body).map_err(|kind| self.fail(kind))
    }
}

/// The credentials a request carries: the `Authorization` header's credentials (a bearer
/// token; Basic credentials, and the client secret inside them) and the secret fields of
/// a form body (code, PKCE verifier, refresh token, revoked token, client secret).
/// Providers echo them in their errors — Kakao echoes the code, others the request — so
/// they are scrubbed from every error a response turns into, before anything formats it
/// ([`RequestError::redact`] also catches their form-encoded and cut-off forms).
///
/// Only the raw header and body are kept per request (cheap copies); the credentials
/// are picked out of them when an error is made, which is rare.
struct Secrets {
    authorization: Option<HeaderValue>,
    body: Option<Vec<u8>>,
}

/// The shortest value scrubbed as a credential.
const MIN_SECRET_LEN: usize = 8;

/// The form fields whose values are credentials.
const SECRET_FIELDS: &[&str] = &[
    "code",
    "code_verifier",
    "client_secret",
    "client_assertion",
    "refresh_token",
    "token",
];

impl Secrets {
    fn of(request: &reqwest::Request) -> Self {
        Secrets {
            authorization: request.headers().get(header::AUTHORIZATION).cloned(),
            body: request
                .body()
                .and_then(reqwest::Body::as_bytes)
                .map(<[u8]>::to_vec),
        }
    }

    /// The credentials, longest first.
    fn values(&self) -> Vec<String> {
        let mut secrets = Vec::new();
        let authorization = self.authorization.as_ref().and_then(|v| v.to_str().ok());
        if let Some((scheme, credentials)) = authorization.and_then(|a| a.split_once(' ')) {
            let credentials = credentials.trim();
            secrets.push(credentials.to_owned());
            // RFC 6749 §2.3.1: base64 of the form-urlencoded `id:secret`.
            if scheme.eq_ignore_ascii_case("basic")
                && let Some(decoded) = base64_decode(credentials)
                && let Some((_, secret)) = String::from_utf8_lossy(&decoded).split_once(':')
            {
                secrets.extend(
                    url::form_urlencoded::parse(secret.as_bytes()).map(|(k, _)| k.into_owned()),
                );
            }
        }
        if let Some(body) = &self.body {
            for (name, value) in url::form_urlencoded::parse(body) {
                if SECRET_FIELDS.contains(&name.as_ref()) {
                    secrets.push(value.into_owned());
                }
            }
        }
        // No credential a provider issues is this short; scrubbing shorter values would
        // only garble messages (a test's PKCE verifier `v` in "Server Error").
        secrets.retain(|s| s.len() >= MIN_SECRET_LEN);
        // Longest first, so that no shorter secret leaves part of a longer one.
        secrets.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        secrets.dedup();
        secrets
    }
}

impl std::fmt::Debug for Secrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Secrets([redacted])")
    }
}

/// Standard or URL-safe base64, padded or not; `None` if it is neither.
fn base64_decode(text: &str) -> Option<Vec<u8>> {
    let mut bits = 0u32;
    let mut count = 0u32;
    let mut out = Vec::with_capacity(text.len() * 3 / 4);
    for c in text.trim_end_matches('=').bytes() {
        let value = match c {
            b'A'..=b'Z' => c - b'A',
            b'a'..=b'z' => c - b'a' + 26,
            b'0'..=b'9' => c - b'0' + 52,
            b'+' | b'-' => 62,
            b'/' | b'_' => 63,
            _ => return None,
        };
        bits = (bits << 6) | u32::from(value);
        count += 6;
        if count >= 8 {
            count -= 8;
            out.push((bits >> count) as u8);
            bits &= (1 << count) - 1;
        }
    }
    Some(out)
}

/// The fields that tell an OAuth error object from a token response.
#[derive(serde::Deserialize)]
struct ErrorProbe {
    error: Option<serde_json::Value>,
    // Values, not strings: a provider sending a number here still sent an OAuth error.
    error_description: Option<serde_json::Value>,
    error_uri: Option<serde_json::Value>,
    // Only whether it is there: not a copy of the token.
    access_token: Option<serde::de::IgnoredAny>,
}

fn text(value: Option<serde_json::Value>) -> Option<String> {
    match value? {
        serde_json::Value::String(s) => Some(s),
        serde_json::Value::Null => None,
        other => Some(other.to_string()),
    }
}

impl ErrorProbe {
    /// RFC 6749's `{"error":"…"}`, or the Graph API's (Facebook, Instagram)
    /// `{"error":{"type":"OAuthException","message":"…","code":100}}`.
    fn into_response(self) -> Option<OAuthErrorResponse> {
        match self.error? {
            serde_json::Value::String(error) if !error.is_empty() => Some(OAuthErrorResponse {
                error,
                description: text(self.error_description),
                uri: text(self.error_uri),
            }),
            serde_json::Value::Object(graph) => {
                // Both `type` and `message`: other APIs (Bitbucket) nest a bare
                // `{"message"}` that is no OAuth error.
                let message = graph.get("message")?.as_str()?.to_owned();
                let error = graph
                    .get("type")?
                    .as_str()
                    .filter(|t| !t.is_empty())?
                    .to_owned();
                Some(OAuthErrorResponse {
                    error,
                    description: Some(message),
                    uri: None,
                })
            }
            _ => None,
        }
    }
}

/// Parses JSON, reporting where and how it failed but never the offending value (a
/// token response holds secrets).
pub(crate) fn parse_json<T: DeserializeOwned>(body: &[u8]) -> Result<T, RequestErrorKind> {
    // Plain serde_json first: `serde_path_to_error` allocates for every key it passes,
    // which made it the largest CPU cost of a sign-in's own code (docs/performance.md).
    // Only a body that fails is parsed again, to say where.
    serde_json::from_slice(body).or_else(|_| {
        let deserializer = &mut serde_json::Deserializer::from_slice(body);
        serde_path_to_error::deserialize(deserializer).map_err(|e| invalid_response(&e))
    })
}

/// Describes a `serde_path_to_error` failure without echoing any value.
pub(crate) fn invalid_response(
    error: &serde_path_to_error::Error<serde_json::Error>,
) -> RequestErrorKind {
    let inner = error.inner();
    let path = error.path().to_string();
    let (field, reason) = match inner.classify() {
        serde_json::error::Category::Data => {
            let message = inner.to_string();
            // serde's "missing field `x`" names the field, not a value: safe to keep.
            match message
                .strip_prefix("missing field `")
                .and_then(|rest| rest.split('`').next())
            {
                Some(missing) => {
                    let field = if path == "." {
                        missing.to_owned()
                    } else {
                        format!("{path}.{missing}")
                    };
                    (Some(field), "missing field".to_owned())
                }
                None => (Some(path), "wrong type or value".to_owned()),
            }
        }
        serde_json::error::Category::Syntax => (
            None,
            format!(
                "not valid JSON (line {}, column {})",
                inner.line(),
                inner.column()
            ),
        ),
        serde_json::error::Category::Eof => (None, "truncated JSON".to_owned()),
        serde_json::error::Category::Io => (None, "could not read the body".to_owned()),
    };
    RequestErrorKind::InvalidResponse {
        field: field.filter(|f| f != "."),
        reason,
    }
}

/// `a=1&b=x` → `{"a":"1","b":"x"}`; numbers stay strings, which the token parser accepts.
fn form_to_json(body: &[u8]) -> Vec<u8> {
    let map: serde_json::Map<String, serde_json::Value> = url::form_urlencoded::parse(body)
        .map(|(k, v)| (k.into_owned(), serde_json::Value::String(v.into_owned())))
        .collect();
    serde_json::to_vec(&map).unwrap_or_default()
}

/// The first 200 characters of a body, printable characters only.
fn excerpt(body: &[u8]) -> String {
    String::from_utf8_lossy(body)
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .take(200)
        .collect::<String>()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ")
}

/// A request to a provider's API, built by a provider crate in
/// [`Provider::fetch_user`](crate::Provider::fetch_user).
///
/// It carries the access token as a bearer token, goes through the shared
/// [`HttpClient`], and turns every failure into a typed [`Error`].
#[derive(Debug)]
#[must_use]
pub struct ApiRequest<'a> {
    http: &'a HttpClient,
    provider: &'a str,
    builder: reqwest::RequestBuilder,
}

impl<'a> ApiRequest<'a> {
    pub(crate) fn new(
        http: &'a HttpClient,
        provider: &'a str,
        method: Method,
        url: Url,
        bearer: &str,
    ) -> Self {
        let builder = http.request(method, url).bearer_auth(bearer);
        ApiRequest {
            http,
            provider,
            builder,
        }
    }

    /// Adds a header, e.g. GitHub's `X-GitHub-Api-Version` or Twitch's `Client-Id`.
    #[inline]
    pub fn header(mut self, name: &'static str, value: &str) -> Self {
        self.builder = self.builder.header(name, value);
        self
    }

    /// Adds query parameters.
    #[inline]
    pub fn query(mut self, pairs: &[(&str, &str)]) -> Self {
        self.builder = self.builder.query(pairs);
        self
    }

    /// Sends a JSON body (Dropbox's user request is a POST).
    pub fn json_body(mut self, body: &serde_json::Value) -> Self {
        self.builder = self
            .builder
            .header(header::CONTENT_TYPE, "application/json")
            .body(body.to_string());
        self
    }

    /// Sends the request and parses the JSON response into `T`.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::UserInfo`] for every failure: transport,
    /// non-2xx status, wrong content type, a body too large or not shaped like `T`.
    pub fn send<T: DeserializeOwned + Send + 'a>(
        self,
    ) -> impl Future<Output = Result<T, Error>> + Send + 'a {
        let request = self.builder.build().map_err(|e| {
            RequestError::new(
                self.provider,
                Phase::UserInfo,
                RequestErrorKind::Transport(Box::new(e.without_url())),
            )
        });
        self.http
            .execute(self.provider, Phase::UserInfo, request, Response::json)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn form_bodies_become_json_objects() {
        let json = form_to_json(b"access_token=at&scope=a%2Cb&token_type=bearer");
        let value: serde_json::Value = serde_json::from_slice(&json).unwrap();
        assert_eq!(
            value,
            serde_json::json!({"access_token": "at", "scope": "a,b", "token_type": "bearer"})
        );
    }

    #[test]
    fn base64_decodes_rfc_4648_vectors() {
        for (output, input) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_decode(input).unwrap(), output.as_bytes());
        }
        assert_eq!(base64_decode("not base64!"), None);
    }

    #[test]
    fn a_request_s_credentials_are_its_secrets() {
        let http = HttpClient::new();
        let request = http
            .request(Method::POST, "https://p.example/token".parse().unwrap())
            .basic_auth("client", Some("client%2Bsecret"))
            .body("grant_type=refresh_token&refresh_token=refresh+token&code_verifier=v&scope=a")
            .build()
            .unwrap();
        let secrets = Secrets::of(&request).values();
        for secret in [
            "client+secret",
            "refresh token",
            "Y2xpZW50OmNsaWVudCUyQnNlY3JldA==",
        ] {
            assert!(secrets.iter().any(|s| s == secret), "{secret}: {secrets:?}");
        }
        // Not credentials: other fields, and values too short to be one.
        for not_secret in ["a", "v", "refresh_token", "grant_type"] {
            assert!(!secrets.iter().any(|s| s == not_secret), "{secrets:?}");
        }
    }

    #[test]
    fn excerpts_are_short_and_printable() {
        let body = format!("<html>\n\t<body>{}</body>", "x".repeat(500));
        let e = excerpt(body.as_bytes());
        assert!(e.starts_with("<html> <body>xxx"));
        assert!(e.chars().count() <= 200);
        assert!(!e.contains('\n'));
    }

    #[test]
    fn parse_errors_name_the_field_but_not_the_value() {
        #[derive(Debug, serde::Deserialize)]
        #[allow(dead_code)]
        struct T {
            id: u64,
            name: String,
        }
        let err = parse_json::<T>(br#"{"id":"secret-value","name":"n"}"#).unwrap_err();
        let message = err.to_string();
        assert!(message.contains("`id`"), "{message}");
        assert!(!message.contains("secret-value"), "{message}");

        let err = parse_json::<T>(br#"{"id":1}"#).unwrap_err();
        assert!(
            matches!(&err, RequestErrorKind::InvalidResponse { field: Some(f), .. } if f == "name"),
            "{err:?}"
        );

        let err = parse_json::<T>(br#"{"id":1,"na"#).unwrap_err();
        assert_eq!(err.to_string(), "invalid response: truncated JSON");
    }
}
