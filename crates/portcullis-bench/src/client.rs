//! The two sign-in implementations under test, and the load driver that runs one of
//! them in the measured child process.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, EndpointNotSet, EndpointSet,
    PkceCodeVerifier, TokenResponse, TokenUrl,
};
use portcullis::{
    ClientConfig, HttpClient, Key, MemoryAdapter, OAuthClient, OAuthProvider, Profile, Provider,
    UserAdapter,
};
use portcullis_github::GitHub;
use reqwest::header::ACCEPT;
use serde::{Deserialize, Serialize};

const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
const CLIENT_SECRET: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";
/// The GitHub user the fake provider returns, already a user of the app.
const GITHUB_USER_ID: &str = "1";

/// Which implementation a run measures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Implementation {
    /// `portcullis-github`'s `validate_code` with the in-memory store.
    Portcullis,
    /// Hand-written `oauth2` 5 + `reqwest` 0.12 doing the same.
    Baseline,
}

impl Implementation {
    /// Both, in the order runs alternate.
    pub(crate) const ALL: [Implementation; 2] =
        [Implementation::Portcullis, Implementation::Baseline];

    /// The command-line name.
    pub(crate) fn name(self) -> &'static str {
        match self {
            Implementation::Portcullis => "portcullis",
            Implementation::Baseline => "baseline",
        }
    }

    /// What the results table calls it.
    pub(crate) fn label(self) -> &'static str {
        match self {
            Implementation::Portcullis => "Portcullis (`portcullis-github`)",
            Implementation::Baseline => "`oauth2` + `reqwest` by hand",
        }
    }

    /// Parses [`Implementation::name`].
    pub(crate) fn parse(name: &str) -> Option<Implementation> {
        Implementation::ALL.into_iter().find(|i| i.name() == name)
    }
}

/// One implementation, set up against the fake provider at `base`.
// One per process, behind an `Arc`: boxing a variant would only add an indirection to
// one side of the comparison.
#[allow(clippy::large_enum_variant)]
enum Login {
    Portcullis(OAuthClient<GitHub, MemoryAdapter<String>>),
    Baseline(Baseline),
}

impl Login {
    async fn new(implementation: Implementation, base: &str) -> Result<Login, String> {
        let endpoints = GitHub::new()
            .endpoints()
            .rebased(base)
            .map_err(|e| e.to_string())?;
        Ok(match implementation {
            Implementation::Portcullis => {
                let store = MemoryAdapter::<String>::new();
                store
                    .create_user(
                        &Key::new("github", GITHUB_USER_ID),
                        &Profile::new(GITHUB_USER_ID),
                        "octocat".to_owned(),
                    )
                    .await
                    .map_err(|e| e.to_string())?;
                let client = OAuthClient::new(
                    GitHub::new(),
                    ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
                    store,
                )
                .map_err(|e| e.to_string())?
                .with_endpoints(endpoints);
                Login::Portcullis(client)
            }
            Implementation::Baseline => {
                let oauth = BasicClient::new(ClientId::new(CLIENT_ID.to_owned()))
                    .set_client_secret(ClientSecret::new(CLIENT_SECRET.to_owned()))
                    .set_auth_uri(AuthUrl::from_url(endpoints.authorization))
                    .set_token_uri(TokenUrl::from_url(endpoints.token))
                    .set_auth_type(AuthType::RequestBody);
                // What `oauth2`'s documentation asks for (no redirects), with the same
                // timeouts Portcullis uses.
                let http = reqwest::Client::builder()
                    .redirect(reqwest::redirect::Policy::none())
                    .connect_timeout(HttpClient::DEFAULT_CONNECT_TIMEOUT)
                    .timeout(HttpClient::DEFAULT_TIMEOUT)
                    .user_agent("baseline/0.1")
                    .build()
                    .map_err(|e| e.to_string())?;
                let users = HashMap::from([(
                    ("github".to_owned(), GITHUB_USER_ID.to_owned()),
                    AppUser {
                        id: 1,
                        name: "octocat".to_owned(),
                    },
                )]);
                Login::Baseline(Baseline {
                    oauth,
                    http,
                    user_url: endpoints.userinfo.ok_or("GitHub has a user endpoint")?,
                    users: Mutex::new(users),
                })
            }
        })
    }

    /// One sign-in after the callback: code exchange, user fetch, store lookup. Returns
    /// the app user's id.
    async fn login(&self, code: &str) -> Result<u64, String> {
        match self {
            Login::Portcullis(client) => {
                let session = client
                    .validate_code(code, Some(VERIFIER), None)
                    .await
                    .map_err(|e| e.to_string())?;
                session
                    .existing_user
                    .map(|user| user.id)
                    .ok_or_else(|| "the user was not found".to_owned())
            }
            Login::Baseline(baseline) => baseline.login(code).await,
        }
    }
}

type BareClient =
    BasicClient<EndpointSet, EndpointNotSet, EndpointNotSet, EndpointNotSet, EndpointSet>;

/// The hand-written sign-in: what an app on `oauth2` and `reqwest` alone would write.
struct Baseline {
    oauth: BareClient,
    http: reqwest::Client,
    user_url: reqwest::Url,
    users: Mutex<HashMap<(String, String), AppUser>>,
}

#[derive(Debug, Clone)]
struct AppUser {
    id: u64,
    #[allow(dead_code)]
    name: String,
}

/// GitHub's user with the fields `portcullis_github::GitHubUser` has, so both sides
/// produce the same typed user. (Parsing these 22 fields instead of the 5 an app might
/// pick costs the baseline 3.5% more instructions: see `docs/performance.md`.)
#[derive(Debug, Deserialize)]
#[allow(dead_code)]
struct GitHubUser {
    id: u64,
    node_id: Option<String>,
    login: String,
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
    html_url: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    #[serde(default)]
    site_admin: bool,
    company: Option<String>,
    blog: Option<String>,
    location: Option<String>,
    bio: Option<String>,
    twitter_username: Option<String>,
    public_repos: Option<u64>,
    followers: Option<u64>,
    following: Option<u64>,
    created_at: Option<String>,
    updated_at: Option<String>,
    two_factor_authentication: Option<bool>,
}

impl Baseline {
    async fn login(&self, code: &str) -> Result<u64, String> {
        let token = self
            .oauth
            .exchange_code(AuthorizationCode::new(code.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(VERIFIER.to_owned()))
            .request_async(&self.http)
            .await
            .map_err(|e| e.to_string())?;
        let response = self
            .http
            .get(self.user_url.clone())
            .bearer_auth(token.access_token().secret())
            .header(ACCEPT, "application/vnd.github+json")
            .header("x-github-api-version", "2022-11-28")
            .send()
            .await
            .and_then(reqwest::Response::error_for_status)
            .map_err(|e| e.to_string())?;
        let body = response.bytes().await.map_err(|e| e.to_string())?;
        let user: GitHubUser = serde_json::from_slice(&body).map_err(|e| e.to_string())?;
        let key = ("github".to_owned(), user.id.to_string());
        let users = self.users.lock().unwrap_or_else(PoisonError::into_inner);
        users
            .get(&key)
            .cloned()
            .map(|user| user.id)
            .ok_or_else(|| "the user was not found".to_owned())
    }
}

/// What one measured run reports to the parent, as one JSON line on stdout.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct RunReport {
    /// Timed sign-ins.
    pub(crate) logins: usize,
    /// Sign-ins made before timing started, to open the connections.
    pub(crate) warmup: usize,
    /// Failed sign-ins (timed ones).
    pub(crate) errors: usize,
    /// The first failure, if any.
    pub(crate) first_error: Option<String>,
    /// Wall time of the timed sign-ins.
    pub(crate) elapsed_secs: f64,
    /// Median sign-in latency.
    pub(crate) p50_us: f64,
    /// 99th percentile sign-in latency.
    pub(crate) p99_us: f64,
    /// CPU time of every thread of the process during the timed sign-ins.
    pub(crate) cpu_secs: f64,
    /// Peak resident memory of the whole process (`VmHWM`).
    pub(crate) peak_rss_kib: u64,
}

impl RunReport {
    /// Sign-ins per second.
    pub(crate) fn throughput(&self) -> f64 {
        self.logins as f64 / self.elapsed_secs
    }

    /// Client CPU time per sign-in, in microseconds.
    pub(crate) fn cpu_us_per_login(&self) -> f64 {
        self.cpu_secs * 1e6 / self.logins as f64
    }
}

/// Runs `logins` sign-ins, `concurrency` at a time, and reports on them. This is the
/// body of the measured child process.
pub(crate) fn run(
    implementation: Implementation,
    base: &str,
    logins: usize,
    concurrency: usize,
    threads: usize,
) -> Result<RunReport, String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(threads)
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    runtime.block_on(async {
        let login = Arc::new(Login::new(implementation, base).await?);
        // Opens the connections and checks that sign-ins work before timing anything.
        let warmup = concurrency.min(logins);
        let (_, errors, first_error) = drive(&login, warmup, concurrency).await;
        if let Some(error) = first_error {
            return Err(format!("{errors} warm-up sign-ins failed: {error}"));
        }
        let cpu_before = cpu_time();
        let started = Instant::now();
        let (mut latencies, errors, first_error) = drive(&login, logins, concurrency).await;
        let elapsed = started.elapsed();
        let cpu_secs = cpu_time().saturating_sub(cpu_before).as_secs_f64();
        latencies.sort_unstable();
        Ok(RunReport {
            logins,
            warmup,
            errors,
            first_error,
            elapsed_secs: elapsed.as_secs_f64(),
            p50_us: percentile(&latencies, 0.50),
            p99_us: percentile(&latencies, 0.99),
            cpu_secs,
            peak_rss_kib: peak_rss_kib(),
        })
    })
}

/// `count` sign-ins on `concurrency` tasks. Returns every latency, the number of
/// failures and the first failure.
async fn drive(
    login: &Arc<Login>,
    count: usize,
    concurrency: usize,
) -> (Vec<Duration>, usize, Option<String>) {
    let next = Arc::new(AtomicUsize::new(0));
    let tasks: Vec<_> = (0..concurrency.max(1))
        .map(|_| {
            let login = Arc::clone(login);
            let next = Arc::clone(&next);
            tokio::spawn(async move {
                let mut latencies = Vec::with_capacity(count / concurrency.max(1) + 1);
                let mut errors = 0;
                let mut first_error = None;
                loop {
                    let i = next.fetch_add(1, Ordering::Relaxed);
                    if i >= count {
                        break;
                    }
                    let code = format!("code-{i:08}");
                    let started = Instant::now();
                    let result = login.login(&code).await;
                    latencies.push(started.elapsed());
                    if let Err(error) = result {
                        errors += 1;
                        first_error.get_or_insert(error);
                    }
                }
                (latencies, errors, first_error)
            })
        })
        .collect();
    let mut latencies = Vec::with_capacity(count);
    let mut errors = 0;
    let mut first_error = None;
    for task in tasks {
        match task.await {
            Ok((l, e, f)) => {
                latencies.extend(l);
                errors += e;
                if first_error.is_none() {
                    first_error = f;
                }
            }
            Err(e) => {
                errors += 1;
                first_error.get_or_insert(e.to_string());
            }
        }
    }
    (latencies, errors, first_error)
}

/// The `q` quantile of sorted latencies, in microseconds.
fn percentile(sorted: &[Duration], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() as f64 * q).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[index].as_secs_f64() * 1e6
}

/// CPU time so far of every live thread of this process, from
/// `/proc/self/task/*/schedstat` (nanoseconds on CPU). The runtime's threads all live
/// until the report is taken.
fn cpu_time() -> Duration {
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Duration::ZERO;
    };
    let nanos: u64 = tasks
        .flatten()
        .filter_map(|task| std::fs::read_to_string(task.path().join("schedstat")).ok())
        .filter_map(|stat| stat.split_whitespace().next()?.parse::<u64>().ok())
        .sum();
    Duration::from_nanos(nanos)
}

/// The process's peak resident set size (`VmHWM` in `/proc/self/status`), in KiB.
fn peak_rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix("VmHWM:"))
                .and_then(|value| value.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
