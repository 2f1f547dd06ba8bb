//! The fake provider: GitHub's token and user endpoints answered with canned JSON by a
//! bare hyper HTTP/1.1 server on 127.0.0.1, counting the TCP connections it accepts
//! and the requests it serves.

use std::convert::Infallible;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use http_body_util::{BodyExt, Full};
use hyper::body::{Bytes, Incoming};
use hyper::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue};
use hyper::service::service_fn;
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::TokioIo;
use tokio::net::TcpListener;

/// GitHub's token endpoint path (`Endpoints::rebased` keeps the path).
const TOKEN_PATH: &str = "/login/oauth/access_token";
/// GitHub's user endpoint path.
const USER_PATH: &str = "/user";

/// An OAuth app's token response. The scope grants no email access, so the GitHub
/// provider makes exactly the two requests the baseline makes: token, then `/user`.
const TOKEN_RESPONSE: &str = r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","token_type":"bearer","scope":"read:user"}"#;

/// `GET /user` as GitHub documents it.
const USER_RESPONSE: &str = r#"{"login":"octocat","id":1,"node_id":"MDQ6VXNlcjE=","avatar_url":"https://github.com/images/error/octocat_happy.gif","gravatar_id":"","url":"https://api.github.com/users/octocat","html_url":"https://github.com/octocat","followers_url":"https://api.github.com/users/octocat/followers","following_url":"https://api.github.com/users/octocat/following{/other_user}","gists_url":"https://api.github.com/users/octocat/gists{/gist_id}","starred_url":"https://api.github.com/users/octocat/starred{/owner}{/repo}","subscriptions_url":"https://api.github.com/users/octocat/subscriptions","organizations_url":"https://api.github.com/users/octocat/orgs","repos_url":"https://api.github.com/users/octocat/repos","events_url":"https://api.github.com/users/octocat/events{/privacy}","received_events_url":"https://api.github.com/users/octocat/received_events","type":"User","site_admin":false,"name":"monalisa octocat","company":"GitHub","blog":"https://github.com/blog","location":"San Francisco","email":"octocat@github.com","hireable":false,"bio":"There once was...","twitter_username":"monatheoctocat","public_repos":2,"public_gists":1,"followers":20,"following":0,"created_at":"2008-01-14T04:33:35Z","updated_at":"2008-01-14T04:33:35Z"}"#;

/// What the fake provider has seen since it started.
#[derive(Debug, Default)]
pub(crate) struct Counters {
    connections: AtomicU64,
    open: AtomicU64,
    peak_open: AtomicU64,
    requests: AtomicU64,
}

impl Counters {
    /// TCP connections accepted.
    pub(crate) fn connections(&self) -> u64 {
        self.connections.load(Ordering::SeqCst)
    }

    /// The most connections open at once since the last call, then resets to the
    /// connections open now.
    pub(crate) fn take_peak_open(&self) -> u64 {
        self.peak_open
            .swap(self.open.load(Ordering::SeqCst), Ordering::SeqCst)
    }

    /// Requests answered (any path).
    pub(crate) fn requests(&self) -> u64 {
        self.requests.load(Ordering::SeqCst)
    }
}

/// A running fake provider.
pub(crate) struct FakeProvider {
    /// `http://127.0.0.1:<port>`.
    pub(crate) url: String,
    /// Its counters, shared with the server thread.
    pub(crate) counters: Arc<Counters>,
}

impl FakeProvider {
    /// Starts the server on its own thread, with its own current-thread runtime, so it
    /// never shares a scheduler with the client being measured.
    pub(crate) fn start(port: u16) -> io::Result<FakeProvider> {
        let listener = std::net::TcpListener::bind(("127.0.0.1", port))?;
        listener.set_nonblocking(true)?;
        let url = format!("http://{}", listener.local_addr()?);
        let counters = Arc::new(Counters::default());
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()?;
        let shared = Arc::clone(&counters);
        std::thread::Builder::new()
            .name("fake-provider".to_owned())
            .spawn(move || {
                runtime.block_on(async move {
                    match TcpListener::from_std(listener) {
                        Ok(listener) => serve(listener, shared).await,
                        Err(e) => eprintln!("portcullis-bench: fake provider: {e}"),
                    }
                });
            })?;
        Ok(FakeProvider { url, counters })
    }
}

async fn serve(listener: TcpListener, counters: Arc<Counters>) {
    loop {
        let stream = match listener.accept().await {
            Ok((stream, _)) => stream,
            Err(e) => {
                // Out of file descriptors, most likely: back off instead of spinning.
                eprintln!("portcullis-bench: accept failed: {e}");
                tokio::time::sleep(std::time::Duration::from_millis(10)).await;
                continue;
            }
        };
        counters.connections.fetch_add(1, Ordering::SeqCst);
        let open = counters.open.fetch_add(1, Ordering::SeqCst) + 1;
        counters.peak_open.fetch_max(open, Ordering::SeqCst);
        let _ = stream.set_nodelay(true);
        let counters = Arc::clone(&counters);
        tokio::spawn(async move {
            let shared = Arc::clone(&counters);
            let service = service_fn(move |request| {
                shared.requests.fetch_add(1, Ordering::SeqCst);
                respond(request)
            });
            // Keep-alive is hyper's default; a client closing its end is no error here.
            let _ = hyper::server::conn::http1::Builder::new()
                .serve_connection(TokioIo::new(stream), service)
                .await;
            counters.open.fetch_sub(1, Ordering::SeqCst);
        });
    }
}

async fn respond(request: Request<Incoming>) -> Result<Response<Full<Bytes>>, Infallible> {
    let (parts, body) = request.into_parts();
    // Read the body as a real token endpoint would (and so the connection can be reused).
    let _ = body.collect().await;
    let (status, json) = match (&parts.method, parts.uri.path()) {
        (&Method::POST, TOKEN_PATH) => (StatusCode::OK, TOKEN_RESPONSE),
        (&Method::GET, USER_PATH) => (StatusCode::OK, USER_RESPONSE),
        _ => (StatusCode::NOT_FOUND, r#"{"message":"Not Found"}"#),
    };
    let mut response = Response::new(Full::new(Bytes::from_static(json.as_bytes())));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/json; charset=utf-8"),
    );
    headers.insert(CACHE_CONTROL, HeaderValue::from_static("no-store"));
    Ok(response)
}
