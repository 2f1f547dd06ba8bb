//! A hostile provider: a raw TCP server on `127.0.0.1` that misbehaves in the ways a
//! well-behaved HTTP library never would — an HTML error page, a body cut short, a body
//! that drips in slower than any timeout, a reset connection, a port nobody listens on,
//! a listener that never accepts, a redirect to another host — and the **fault matrix**
//! that runs every such [`Fault`] against one [`Phase`] of the flow and checks what the
//! client makes of it.
//!
//! A phase of the flow is a [`Trigger`]: the phase, how it judges responses
//! ([`Judged`]), and a function that makes one request of that phase against a
//! [`Target`] (the hostile server's URL and the [`HttpClient`] to use). The matrix,
//! [`run_fault_matrix`], runs the trigger once per fault and asserts, for each:
//!
//! * the typed error: [`Error::Request`] with the trigger's [`Phase`], the expected
//!   [`RequestErrorKind`], retryability and `Retry-After` ([`expected`] says which);
//! * that the call returned within four times the configured timeout;
//! * that it did not panic;
//! * that nothing was written to the user store ([`Outcome::stored_users`]);
//! * for a redirect, that the other host was never contacted.
//!
//! Phases served by other crates (discovery and JWKS in `portcullis-oidc`) add rows by
//! writing a `Trigger` in their own tests and calling [`run_fault_matrix`]:
//!
//! ```no_run
//! use portcullis::Phase;
//! use portcullis_testkit::hostile::{Judged, Outcome, Target, Trigger, run_fault_matrix};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() {
//! const DISCOVERY: Trigger = Trigger {
//!     phase: Phase::Discovery,
//!     judged: Judged::Json,
//!     never_retryable: false,
//!     run: |target: Target| {
//!         Box::pin(async move {
//!             let url = format!("{}/.well-known/openid-configuration", target.url);
//!             let result = target
//!                 .http
//!                 .get_json::<serde_json::Value>("test", Phase::Discovery, url.parse().unwrap())
//!                 .await
//!                 .map(drop);
//!             Outcome { result, stored_users: 0 }
//!         })
//!     },
//! };
//! run_fault_matrix(&DISCOVERY, std::time::Duration::from_millis(300)).await;
//! # }
//! ```
//!
//! [`HostileServer::start_with`] serves any other script (an echo of the request, for
//! example), one raw [`Reply`] per request.

use std::fmt;
use std::future::Future;
use std::io;
use std::net::{Ipv4Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use portcullis::{Error, HttpClient, Phase, RequestErrorKind};
use tokio::net::{TcpListener, TcpSocket, TcpStream};
use tokio::task::JoinHandle;

/// The `Retry-After` (seconds) sent with [`Fault::RateLimited`] and
/// [`Fault::Unavailable`].
pub const RETRY_AFTER_SECS: u64 = 7;

/// The size of [`Fault::HugeBody`] and [`Fault::HugeChunkedBody`]: 10 MiB.
pub const HUGE_BODY_BYTES: usize = 10 * 1024 * 1024;

/// How long a connection of the hostile server may live: it stops by itself.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(20);

/// The largest request the server reads.
const MAX_REQUEST_BYTES: usize = 1024 * 1024;

/// One way a provider can misbehave.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Fault {
    /// `500` with an HTML error page.
    Html500,
    /// `502` with an empty body and no `Content-Type`.
    Empty502,
    /// `429` with `Retry-After: 7`.
    RateLimited,
    /// `503` with `Retry-After: 7` and an HTML maintenance page.
    Unavailable,
    /// `200` `application/json` whose body is not JSON.
    InvalidJson,
    /// `200` with valid JSON of the wrong shape: every field a token response, a user,
    /// discovery metadata or a key set needs has the wrong type.
    WrongShape,
    /// `200` announcing a 512-byte body, sending 20 bytes of it and closing.
    TruncatedBody,
    /// `200` with a 10 MiB body and its `Content-Length`.
    HugeBody,
    /// `200` with a 10 MiB chunked body: no `Content-Length` to refuse it by.
    HugeChunkedBody,
    /// `200` whose body arrives one byte every 50 ms: slower than any sane timeout.
    Drip,
    /// The connection is reset (TCP RST) once the request was read.
    Reset,
    /// Nobody listens on the port: the connection is refused.
    Refused,
    /// A listener whose accept queue is full: the connection is never established.
    Unaccepted,
    /// `302` to another host, which counts every connection it gets.
    RedirectElsewhere,
    /// `200` with an OAuth error object, `{"error":"invalid_request",…}`.
    OAuthErrorWith200,
}

impl Fault {
    /// Every fault, in the order the matrix runs them.
    pub const ALL: [Fault; 15] = [
        Fault::Html500,
        Fault::Empty502,
        Fault::RateLimited,
        Fault::Unavailable,
        Fault::InvalidJson,
        Fault::WrongShape,
        Fault::TruncatedBody,
        Fault::HugeBody,
        Fault::HugeChunkedBody,
        Fault::Drip,
        Fault::Reset,
        Fault::Refused,
        Fault::Unaccepted,
        Fault::RedirectElsewhere,
        Fault::OAuthErrorWith200,
    ];

    /// The reply this fault sends to every request; `None` for the faults that act on
    /// the connection itself ([`Fault::Refused`], [`Fault::Unaccepted`]).
    fn reply(self, elsewhere: &str) -> Option<Reply> {
        let reply = match self {
            Fault::Html500 => Reply::Raw(response(
                500,
                &[("content-type", "text/html; charset=utf-8")],
                b"<!doctype html><html><body><h1>500 Internal Server Error</h1></body></html>",
            )),
            Fault::Empty502 => Reply::Raw(response(502, &[], b"")),
            Fault::RateLimited => Reply::Raw(response(
                429,
                &[
                    ("content-type", "text/plain"),
                    ("retry-after", &RETRY_AFTER_SECS.to_string()),
                ],
                b"slow down",
            )),
            Fault::Unavailable => Reply::Raw(response(
                503,
                &[
                    ("content-type", "text/html"),
                    ("retry-after", &RETRY_AFTER_SECS.to_string()),
                ],
                b"<html><body>Down for maintenance</body></html>",
            )),
            Fault::InvalidJson => Reply::Raw(response(
                200,
                &[("content-type", "application/json")],
                b"{not json at all",
            )),
            Fault::WrongShape => Reply::Raw(response(
                200,
                &[("content-type", "application/json")],
                br#"{"access_token":["not","a","string"],"token_type":7,"id":{"not":"a string"},"sub":[],"issuer":false,"keys":"none"}"#,
            )),
            Fault::TruncatedBody => Reply::Raw(
                b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 512\r\n\r\n{\"access_token\":\"tru"
                    .to_vec(),
            ),
            Fault::HugeBody => {
                let mut raw = head(
                    200,
                    &[
                        ("content-type", "application/json"),
                        ("content-length", &HUGE_BODY_BYTES.to_string()),
                    ],
                );
                raw.resize(raw.len() + HUGE_BODY_BYTES, b' ');
                Reply::Raw(raw)
            }
            Fault::HugeChunkedBody => {
                let mut raw = head(
                    200,
                    &[
                        ("content-type", "application/json"),
                        ("transfer-encoding", "chunked"),
                    ],
                );
                let chunk = 64 * 1024;
                for _ in 0..HUGE_BODY_BYTES / chunk {
                    raw.extend_from_slice(format!("{chunk:x}\r\n").as_bytes());
                    raw.resize(raw.len() + chunk, b' ');
                    raw.extend_from_slice(b"\r\n");
                }
                raw.extend_from_slice(b"0\r\n\r\n");
                Reply::Raw(raw)
            }
            Fault::Drip => Reply::Drip {
                head: [
                    head(
                        200,
                        &[
                            ("content-type", "application/json"),
                            ("content-length", "4096"),
                        ],
                    ),
                    b"{".to_vec(),
                ]
                .concat(),
                every: Duration::from_millis(50),
                count: 200,
            },
            Fault::Reset => Reply::Reset,
            Fault::RedirectElsewhere => Reply::Raw(response(
                302,
                &[
                    ("location", &format!("{elsewhere}/followed")),
                    ("content-type", "text/plain"),
                ],
                b"moved",
            )),
            Fault::OAuthErrorWith200 => Reply::Raw(response(
                200,
                &[("content-type", "application/json")],
                br#"{"error":"invalid_request","error_description":"<b>refused</b>"}"#,
            )),
            Fault::Refused | Fault::Unaccepted => return None,
        };
        Some(reply)
    }
}

impl fmt::Display for Fault {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::Debug::fmt(self, f)
    }
}

/// What the server does with one request, once it has read it.
#[derive(Debug, Clone)]
pub enum Reply {
    /// Writes these bytes (a whole HTTP response, or part of one) and closes.
    Raw(Vec<u8>),
    /// Writes `head`, then one space every `every`, `count` times, then closes.
    Drip {
        /// The bytes written at once: the status line, headers, the start of a body.
        head: Vec<u8>,
        /// The pause between two bytes.
        every: Duration,
        /// How many bytes to drip before giving up.
        count: usize,
    },
    /// Resets the connection (TCP RST) without answering.
    Reset,
}

/// An HTTP/1.1 response with `Content-Length` and `Connection: close`.
pub fn response(status: u16, headers: &[(&str, &str)], body: &[u8]) -> Vec<u8> {
    let mut headers = headers.to_vec();
    let length = body.len().to_string();
    headers.push(("content-length", &length));
    let mut raw = head(status, &headers);
    raw.extend_from_slice(body);
    raw
}

fn head(status: u16, headers: &[(&str, &str)]) -> Vec<u8> {
    let mut raw = format!("HTTP/1.1 {status} Hostile\r\nconnection: close\r\n");
    for (name, value) in headers {
        raw.push_str(&format!("{name}: {value}\r\n"));
    }
    raw.push_str("\r\n");
    raw.into_bytes()
}

type Responder = dyn Fn(&[u8]) -> Reply + Send + Sync + 'static;

/// A hostile server on `127.0.0.1`. It stops when dropped; each connection also ends by
/// itself after at most 20 seconds.
pub struct HostileServer {
    url: String,
    connections: Arc<AtomicUsize>,
    elsewhere: Option<Box<HostileServer>>,
    tasks: Vec<JoinHandle<()>>,
    /// Connections held open to fill an accept queue ([`Fault::Unaccepted`]).
    held: Vec<TcpStream>,
    /// A listener that is never accepted from ([`Fault::Unaccepted`]).
    idle: Option<TcpListener>,
}

impl fmt::Debug for HostileServer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("HostileServer")
            .field("url", &self.url)
            .field("connections", &self.connections())
            .finish_non_exhaustive()
    }
}

impl HostileServer {
    /// A server that answers every request, at any path, with `fault`.
    ///
    /// # Errors
    ///
    /// If no local port can be bound, or (for [`Fault::Unaccepted`]) the system
    /// accepts connections beyond a full accept queue.
    pub async fn start(fault: Fault) -> io::Result<HostileServer> {
        match fault {
            Fault::Refused => {
                let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
                let addr = listener.local_addr()?;
                drop(listener);
                Ok(HostileServer::idle(addr))
            }
            Fault::Unaccepted => HostileServer::unaccepted().await,
            Fault::RedirectElsewhere => {
                let elsewhere = HostileServer::start_with(|_| {
                    Reply::Raw(response(
                        200,
                        &[("content-type", "application/json")],
                        br#"{"access_token":"followed","token_type":"Bearer","id":"followed"}"#,
                    ))
                })
                .await?;
                let reply = fault.reply(elsewhere.url()).expect("a reply");
                let mut server = HostileServer::start_with(move |_| reply.clone()).await?;
                server.elsewhere = Some(Box::new(elsewhere));
                Ok(server)
            }
            _ => {
                let reply = fault.reply("").expect("a reply");
                HostileServer::start_with(move |_| reply.clone()).await
            }
        }
    }

    /// A server that reads each request (head and `Content-Length` body) and answers
    /// with what `responder` makes of the raw request bytes.
    ///
    /// # Errors
    ///
    /// If no local port can be bound.
    pub async fn start_with(
        responder: impl Fn(&[u8]) -> Reply + Send + Sync + 'static,
    ) -> io::Result<HostileServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let connections = Arc::new(AtomicUsize::new(0));
        let responder: Arc<Responder> = Arc::new(responder);
        let counter = connections.clone();
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                counter.fetch_add(1, Ordering::SeqCst);
                let responder = responder.clone();
                tokio::spawn(async move {
                    let _ =
                        tokio::time::timeout(CONNECTION_LIFETIME, serve(stream, &*responder)).await;
                });
            }
        });
        Ok(HostileServer {
            url: format!("http://{addr}"),
            connections,
            elsewhere: None,
            tasks: vec![task],
            held: Vec::new(),
            idle: None,
        })
    }

    fn idle(addr: SocketAddr) -> HostileServer {
        HostileServer {
            url: format!("http://{addr}"),
            connections: Arc::new(AtomicUsize::new(0)),
            elsewhere: None,
            tasks: Vec::new(),
            held: Vec::new(),
            idle: None,
        }
    }

    /// A listener with a backlog of zero, its accept queue filled by connections held
    /// here: the kernel drops further connection attempts, which then hang until the
    /// client's connect timeout.
    async fn unaccepted() -> io::Result<HostileServer> {
        let socket = TcpSocket::new_v4()?;
        socket.bind((Ipv4Addr::LOCALHOST, 0).into())?;
        let listener = socket.listen(0)?;
        let addr = listener.local_addr()?;
        let mut server = HostileServer::idle(addr);
        for _ in 0..16 {
            match tokio::time::timeout(Duration::from_millis(150), TcpStream::connect(addr)).await {
                Ok(Ok(stream)) => server.held.push(stream),
                Ok(Err(e)) => return Err(e),
                // A connection attempt hangs: the queue is full.
                Err(_) => {
                    server.idle = Some(listener);
                    return Ok(server);
                }
            }
        }
        Err(io::Error::other(
            "the accept queue never filled: this system accepts every connection",
        ))
    }

    /// The base URL, `http://127.0.0.1:<port>`, without a trailing slash.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// How many connections the server accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// For [`Fault::RedirectElsewhere`]: how many connections the host it redirects to
    /// got. A client that follows redirects makes this non-zero.
    pub fn redirect_target_connections(&self) -> usize {
        self.elsewhere.as_ref().map_or(0, |e| e.connections())
    }
}

impl Drop for HostileServer {
    fn drop(&mut self) {
        for task in &self.tasks {
            task.abort();
        }
        self.held.clear();
        self.idle = None;
    }
}

async fn serve(stream: TcpStream, responder: &Responder) {
    let Ok(request) = read_request(&stream).await else {
        return;
    };
    match responder(&request) {
        Reply::Raw(bytes) => {
            let _ = write_all(&stream, &bytes).await;
            // Let the client read what was sent before the socket closes.
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
        Reply::Drip { head, every, count } => {
            if write_all(&stream, &head).await.is_err() {
                return;
            }
            for _ in 0..count {
                tokio::time::sleep(every).await;
                if write_all(&stream, b" ").await.is_err() {
                    return;
                }
            }
        }
        Reply::Reset => {
            // SO_LINGER 0: closing sends RST instead of FIN. It does not block here.
            #[allow(deprecated)]
            let _ = stream.set_linger(Some(Duration::ZERO));
            drop(stream);
        }
    }
}

/// Reads the request head and its `Content-Length` body.
async fn read_request(stream: &TcpStream) -> io::Result<Vec<u8>> {
    let mut request = Vec::new();
    let mut chunk = [0u8; 8192];
    loop {
        if let Some(end) = find(&request, b"\r\n\r\n") {
            let body = content_length(&request[..end]);
            if request.len() >= end + 4 + body {
                return Ok(request);
            }
        }
        if request.len() > MAX_REQUEST_BYTES {
            return Ok(request);
        }
        stream.readable().await?;
        match stream.try_read(&mut chunk) {
            Ok(0) => return Ok(request),
            Ok(n) => request.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
}

async fn write_all(stream: &TcpStream, mut bytes: &[u8]) -> io::Result<()> {
    while !bytes.is_empty() {
        stream.writable().await?;
        match stream.try_write(bytes) {
            Ok(n) => bytes = &bytes[n..],
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

fn content_length(head: &[u8]) -> usize {
    String::from_utf8_lossy(head)
        .lines()
        .filter_map(|line| line.split_once(':'))
        .find(|(name, _)| name.trim().eq_ignore_ascii_case("content-length"))
        .and_then(|(_, value)| value.trim().parse().ok())
        .unwrap_or(0)
}

/// Where a [`Trigger`] sends its request, and with which client.
#[derive(Debug, Clone)]
pub struct Target {
    /// The hostile server's base URL: point the phase's endpoint here.
    pub url: String,
    /// The client to send it with: the configured timeouts, the default body limit.
    pub http: HttpClient,
}

/// What a [`Trigger`] ended with.
#[derive(Debug)]
pub struct Outcome {
    /// The call's result.
    pub result: Result<(), Error>,
    /// How many users the store holds afterwards. A sign-in trigger acts like an app:
    /// on success it creates the user.
    pub stored_users: usize,
}

/// The future a [`Trigger`] runs.
pub type TriggerFuture = Pin<Box<dyn Future<Output = Outcome> + Send + 'static>>;

/// One phase of the flow, as the fault matrix drives it.
#[derive(Debug, Clone, Copy)]
pub struct Trigger {
    /// The phase the errors must name.
    pub phase: Phase,
    /// How that phase judges a response.
    pub judged: Judged,
    /// True when the phase is part of a sign-in, whose failures are never retryable
    /// (the authorization code is spent).
    pub never_retryable: bool,
    /// Makes one request of this phase against the target.
    pub run: fn(Target) -> TriggerFuture,
}

/// How a phase judges a response, which decides what a fault turns into.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Judged {
    /// A token endpoint (code exchange, refresh): OAuth errors with any status, JSON or
    /// form bodies.
    TokenEndpoint,
    /// A JSON API (user info, discovery, JWKS): the body must parse into the expected
    /// type; an error object sent with 200 is a body of the wrong shape.
    Json,
    /// A revocation endpoint (RFC 7009): a successful answer's body is ignored, unless it
    /// is an OAuth error object.
    Revocation,
}

/// What a fault must turn into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expected {
    /// The call succeeds (a revocation whose 200 body is ignored).
    Success,
    /// The call fails with a request error.
    Failure {
        /// The error's kind.
        kind: ExpectedKind,
        /// [`Error::is_retryable`].
        retryable: bool,
        /// [`Error::retry_after`].
        retry_after: Option<Duration>,
    },
}

/// The [`RequestErrorKind`] a fault must turn into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExpectedKind {
    /// [`RequestErrorKind::UnexpectedResponse`] with this status.
    Unexpected(u16),
    /// [`RequestErrorKind::InvalidResponse`].
    Invalid,
    /// [`RequestErrorKind::BodyTooLarge`] with the default limit.
    BodyTooLarge,
    /// [`RequestErrorKind::Timeout`].
    Timeout,
    /// [`RequestErrorKind::Connect`].
    Connect,
    /// [`RequestErrorKind::Transport`].
    Transport,
    /// [`RequestErrorKind::OAuth`] with this status and error code.
    OAuth(u16, &'static str),
}

impl ExpectedKind {
    /// Whether `kind` is this one.
    pub fn matches(&self, kind: &RequestErrorKind) -> bool {
        match (self, kind) {
            (ExpectedKind::Unexpected(s), RequestErrorKind::UnexpectedResponse { status, .. }) => {
                s == status
            }
            (ExpectedKind::Invalid, RequestErrorKind::InvalidResponse { .. })
            | (ExpectedKind::Timeout, RequestErrorKind::Timeout)
            | (ExpectedKind::Connect, RequestErrorKind::Connect(_))
            | (ExpectedKind::Transport, RequestErrorKind::Transport(_)) => true,
            (ExpectedKind::BodyTooLarge, RequestErrorKind::BodyTooLarge { limit }) => {
                *limit == HttpClient::DEFAULT_MAX_BODY_BYTES
            }
            (ExpectedKind::OAuth(s, code), RequestErrorKind::OAuth { status, response }) => {
                s == status && response.error == *code
            }
            _ => false,
        }
    }
}

/// What `fault` must turn into in a phase judged as `judged`.
pub fn expected(fault: Fault, judged: Judged, never_retryable: bool) -> Expected {
    let retry_after = Some(Duration::from_secs(RETRY_AFTER_SECS));
    let (kind, retryable, retry_after) = match fault {
        Fault::Html500 => (ExpectedKind::Unexpected(500), true, None),
        Fault::Empty502 => (ExpectedKind::Unexpected(502), true, None),
        Fault::RateLimited => (ExpectedKind::Unexpected(429), true, retry_after),
        Fault::Unavailable => (ExpectedKind::Unexpected(503), true, retry_after),
        // RFC 7009 §2.2: the body of a successful revocation is ignored.
        Fault::InvalidJson | Fault::WrongShape if judged == Judged::Revocation => {
            return Expected::Success;
        }
        Fault::InvalidJson | Fault::WrongShape => (ExpectedKind::Invalid, false, None),
        Fault::TruncatedBody | Fault::Reset => (ExpectedKind::Transport, false, None),
        Fault::HugeBody | Fault::HugeChunkedBody => (ExpectedKind::BodyTooLarge, false, None),
        // A connect timeout is a timeout too.
        Fault::Drip | Fault::Unaccepted => (ExpectedKind::Timeout, true, None),
        Fault::Refused => (ExpectedKind::Connect, true, None),
        Fault::RedirectElsewhere => (ExpectedKind::Unexpected(302), false, None),
        Fault::OAuthErrorWith200 if judged == Judged::Json => (ExpectedKind::Invalid, false, None),
        Fault::OAuthErrorWith200 => (ExpectedKind::OAuth(200, "invalid_request"), false, None),
    };
    Expected::Failure {
        kind,
        retryable: retryable && !never_retryable,
        retry_after,
    }
}

/// Runs `trigger` against every [`Fault`] with `timeout` as both the connect and the
/// total timeout, and panics with the list of every row that went wrong.
///
/// Each row must return within four times `timeout`; a row still running after twenty
/// times `timeout` is abandoned and reported.
pub async fn run_fault_matrix(trigger: &Trigger, timeout: Duration) {
    let mut failures = Vec::new();
    for fault in Fault::ALL {
        if let Err(why) = run_row(trigger, fault, timeout).await {
            failures.push(format!("{} × {fault}: {why}", trigger.phase.as_str()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} fault-matrix rows failed:\n  {}",
        failures.len(),
        Fault::ALL.len(),
        failures.join("\n  ")
    );
}

/// Runs one row of the matrix: `trigger` against `fault`.
///
/// # Errors
///
/// What went wrong, in words.
pub async fn run_row(trigger: &Trigger, fault: Fault, timeout: Duration) -> Result<(), String> {
    let server = HostileServer::start(fault)
        .await
        .map_err(|e| format!("cannot start the hostile server: {e}"))?;
    let http = HttpClient::builder()
        .timeout(timeout)
        .connect_timeout(timeout)
        .build()
        .map_err(|e| format!("cannot build the client: {e}"))?;
    let target = Target {
        url: server.url().to_owned(),
        http,
    };
    let started = Instant::now();
    let task = tokio::spawn((trigger.run)(target));
    let outcome = match tokio::time::timeout(timeout * 20, task).await {
        Err(_) => return Err(format!("still running after {:?}", timeout * 20)),
        Ok(Err(join)) if join.is_panic() => return Err("panicked".to_owned()),
        Ok(Err(join)) => return Err(format!("the task failed: {join}")),
        Ok(Ok(outcome)) => outcome,
    };
    let elapsed = started.elapsed();

    let mut problems = Vec::new();
    if elapsed > timeout * 4 {
        problems.push(format!("took {elapsed:?}, more than 4 × {timeout:?}"));
    }
    if outcome.stored_users != 0 {
        problems.push(format!("{} user(s) stored", outcome.stored_users));
    }
    if server.redirect_target_connections() != 0 {
        problems.push("the redirect was followed".to_owned());
    }
    match (
        expected(fault, trigger.judged, trigger.never_retryable),
        &outcome.result,
    ) {
        (Expected::Success, Ok(())) => {}
        (Expected::Success, Err(e)) => problems.push(format!("expected success, got {e:?}")),
        (Expected::Failure { kind, .. }, Ok(())) => {
            problems.push(format!("expected {kind:?}, got success"));
        }
        (
            Expected::Failure {
                kind,
                retryable,
                retry_after,
            },
            Err(error),
        ) => {
            // Formatting must not panic either.
            let _ = format!("{error} {error:?}");
            match error {
                Error::Request(request) => {
                    if request.phase() != trigger.phase {
                        problems.push(format!("phase {:?}", request.phase()));
                    }
                    if !kind.matches(request.kind()) {
                        problems.push(format!("expected {kind:?}, got {:?}", request.kind()));
                    }
                }
                other => problems.push(format!("expected a request error, got {other:?}")),
            }
            if error.code() != "FAILED_REQUEST" {
                problems.push(format!("code {}", error.code()));
            }
            if error.is_retryable() != retryable {
                problems.push(format!(
                    "is_retryable() is {}, expected {retryable}",
                    error.is_retryable()
                ));
            }
            if error.retry_after() != retry_after {
                problems.push(format!(
                    "retry_after() is {:?}, expected {retry_after:?}",
                    error.retry_after()
                ));
            }
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_content_length() {
        assert_eq!(
            content_length(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 12"),
            12
        );
        assert_eq!(content_length(b"GET / HTTP/1.1\r\nhost: x"), 0);
    }

    #[test]
    fn responses_carry_their_length() {
        let raw = response(418, &[("content-type", "text/plain")], b"teapot");
        let text = String::from_utf8(raw).unwrap();
        assert!(text.starts_with("HTTP/1.1 418 "), "{text}");
        assert!(text.contains("content-length: 6\r\n"), "{text}");
        assert!(text.ends_with("\r\n\r\nteapot"), "{text}");
    }

    #[test]
    fn every_fault_is_in_the_matrix_once() {
        let distinct: std::collections::HashSet<Fault> = Fault::ALL.into_iter().collect();
        assert_eq!(distinct.len(), Fault::ALL.len());
    }

    #[test]
    fn sign_in_faults_are_never_retryable() {
        for fault in Fault::ALL {
            if let Expected::Failure { retryable, .. } =
                expected(fault, Judged::TokenEndpoint, true)
            {
                assert!(!retryable, "{fault}");
            }
        }
    }
}
