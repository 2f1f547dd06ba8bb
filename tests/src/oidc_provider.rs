//! A real OpenID provider for end-to-end tests: `oidc-provider` (pinned in
//! `tests/oidc-provider/package.json`) run by `tests/oidc-provider/server.mjs` on
//! 127.0.0.1, on a free port, stopped on drop.
//!
//! The first start installs the pinned packages with `npm ci` when `node_modules` is
//! missing. When Node.js is not installed, [`OidcProvider::start`] returns `Ok(None)`
//! and the caller skips its test — unless `PORTCULLIS_REQUIRE_NODE=1` is set (CI sets
//! it), which makes the absence an error.

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use url::Url;

/// Set to `1` to make a missing Node.js an error instead of a skip.
pub const REQUIRE_ENV: &str = "PORTCULLIS_REQUIRE_NODE";

/// The redirect URI every test client is registered with. Nothing listens there: the
/// [`Browser`] stops at the redirect and hands back its URL.
pub const REDIRECT_URI: &str = "http://127.0.0.1:3000/callback";

/// Where a logout may send the user back to (registered for every client).
pub const POST_LOGOUT_REDIRECT_URI: &str = "http://127.0.0.1:3000/signed-out";

/// A client registered with the test server.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct TestClient {
    /// The client id.
    pub id: &'static str,
    /// The client secret; `None` for the public client.
    pub secret: Option<&'static str>,
    /// Its registered `token_endpoint_auth_method`. The server refuses any other.
    pub auth_method: &'static str,
}

/// Authenticates with `client_secret_basic`.
pub const BASIC_CLIENT: TestClient = TestClient {
    id: "basic-client",
    secret: Some("basic-client-secret"),
    auth_method: "client_secret_basic",
};

/// Authenticates with `client_secret_post`.
pub const POST_CLIENT: TestClient = TestClient {
    id: "post-client",
    secret: Some("post-client-secret"),
    auth_method: "client_secret_post",
};

/// A public client (`none`): PKCE only.
pub const PUBLIC_CLIENT: TestClient = TestClient {
    id: "public-client",
    secret: None,
    auth_method: "none",
};

/// How long the server may take to print its issuer line (it takes ~0.3 s).
const START_TIMEOUT: Duration = Duration::from_secs(60);

/// A running `oidc-provider`, killed on drop.
#[derive(Debug)]
pub struct OidcProvider {
    child: Child,
    issuer: String,
    stderr: Arc<Mutex<String>>,
}

impl OidcProvider {
    /// The directory with `package.json`, `package-lock.json` and `server.mjs`.
    pub fn dir() -> PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("oidc-provider")
    }

    /// Starts a server, or returns `Ok(None)` when Node.js (or npm, needed for the
    /// first install) is not installed and [`REQUIRE_ENV`] is not `1`.
    ///
    /// # Errors
    ///
    /// When the packages cannot be installed or the server does not start, or when Node.js
    /// is missing and [`REQUIRE_ENV`] is `1`.
    pub fn start() -> Result<Option<OidcProvider>, String> {
        let dir = Self::dir();
        let missing = if !runs("node") {
            Some("node")
        } else if !is_installed(&dir)? && !runs("npm") {
            Some("npm")
        } else {
            None
        };
        if let Some(tool) = missing {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                return Err(format!(
                    "{REQUIRE_ENV}=1 but `{tool}` is not installed: the end-to-end tests need \
                     Node.js 20 or newer with npm"
                ));
            }
            return Ok(None);
        }
        install(&dir)?;
        Self::spawn(&dir).map(Some)
    }

    fn spawn(dir: &Path) -> Result<OidcProvider, String> {
        let mut child = Command::new("node")
            .arg("server.mjs")
            .args(["--port", "0", "--redirect-uri", REDIRECT_URI])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| format!("cannot start `node server.mjs`: {e}"))?;

        let stderr = Arc::new(Mutex::new(String::new()));
        if let Some(mut pipe) = child.stderr.take() {
            let sink = stderr.clone();
            std::thread::spawn(move || {
                let mut buffer = [0u8; 4096];
                while let Ok(n) = pipe.read(&mut buffer) {
                    if n == 0 {
                        break;
                    }
                    let text = String::from_utf8_lossy(&buffer[..n]).into_owned();
                    sink.lock()
                        .unwrap_or_else(|p| p.into_inner())
                        .push_str(&text);
                }
            });
        }
        let stdout = child.stdout.take().ok_or("no stdout pipe")?;
        let (lines, first_line) = mpsc::channel();
        std::thread::spawn(move || {
            let mut stdout = BufReader::new(stdout).lines();
            let _ = lines.send(stdout.next());
            // Keep draining, so the server never blocks on a full pipe.
            for _ in stdout {}
        });

        let mut server = OidcProvider {
            child,
            issuer: String::new(),
            stderr,
        };
        match first_line.recv_timeout(START_TIMEOUT) {
            Ok(Some(Ok(line))) if line.starts_with("http://127.0.0.1:") => {
                server.issuer = line.trim().to_owned();
                Ok(server)
            }
            Ok(Some(Ok(line))) => Err(format!(
                "the server printed `{line}` instead of its issuer URL\n{}",
                server.logs()
            )),
            Ok(_) => Err(format!(
                "the server exited before listening\n{}",
                server.logs()
            )),
            Err(_) => Err(format!(
                "the server printed no issuer URL within {START_TIMEOUT:?}\n{}",
                server.logs()
            )),
        }
    }

    /// The issuer identifier, `http://127.0.0.1:<port>`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// What the server wrote to stderr so far (oidc-provider's warnings, errors).
    pub fn logs(&self) -> String {
        self.stderr
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .clone()
    }

    /// Rotates the signing key: from now on ID tokens carry a new `kid`, and the JWKS
    /// lists only the new key. Returns the new `kid`. Sessions and grants do not survive
    /// it: sign in again.
    ///
    /// # Errors
    ///
    /// When the server does not answer.
    pub async fn rotate_keys(&self) -> Result<String, String> {
        let response = reqwest::Client::new()
            .post(format!("{}/__test/rotate-keys", self.issuer))
            .send()
            .await
            .map_err(|e| format!("rotate-keys: {e}"))?;
        if !response.status().is_success() {
            return Err(format!("rotate-keys answered {}", response.status()));
        }
        response
            .text()
            .await
            .map_err(|e| format!("rotate-keys: {e}"))
    }
}

impl Drop for OidcProvider {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Whether `tool --version` runs.
fn runs(tool: &str) -> bool {
    Command::new(tool)
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success())
}

/// The pinned `oidc-provider` version from `package.json`.
fn pinned_version(dir: &Path) -> Result<String, String> {
    let manifest = read_json(&dir.join("package.json"))?;
    manifest["dependencies"]["oidc-provider"]
        .as_str()
        .map(str::to_owned)
        .ok_or_else(|| "package.json pins no oidc-provider version".to_owned())
}

fn read_json(path: &Path) -> Result<serde_json::Value, String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

/// Whether `node_modules` holds a complete install of the pinned version (npm writes
/// `node_modules/.package-lock.json` last).
fn is_installed(dir: &Path) -> Result<bool, String> {
    let modules = dir.join("node_modules");
    if !modules.join(".package-lock.json").is_file() {
        return Ok(false);
    }
    let installed = match read_json(&modules.join("oidc-provider/package.json")) {
        Ok(manifest) => manifest["version"].as_str().map(str::to_owned),
        Err(_) => None,
    };
    Ok(installed.as_deref() == Some(pinned_version(dir)?.as_str()))
}

/// Runs `npm ci` when `node_modules` is missing or holds another version.
///
/// It installs into a staging directory and renames the result into place, so test
/// processes running at the same time never see a half-written `node_modules`.
fn install(dir: &Path) -> Result<(), String> {
    static INSTALL: Mutex<()> = Mutex::new(());
    static COUNTER: AtomicUsize = AtomicUsize::new(0);
    let _one_at_a_time = INSTALL.lock().unwrap_or_else(|p| p.into_inner());
    if is_installed(dir)? {
        return Ok(());
    }
    let staging = dir.join(format!(
        ".install-{}-{}",
        std::process::id(),
        COUNTER.fetch_add(1, Ordering::Relaxed)
    ));
    let result = (|| {
        std::fs::create_dir_all(&staging)
            .map_err(|e| format!("cannot create {}: {e}", staging.display()))?;
        for file in ["package.json", "package-lock.json"] {
            std::fs::copy(dir.join(file), staging.join(file))
                .map_err(|e| format!("cannot copy {file}: {e}"))?;
        }
        let output = Command::new("npm")
            .args(["ci", "--no-audit", "--no-fund", "--loglevel=error"])
            .current_dir(&staging)
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run `npm ci`: {e}"))?;
        if !output.status.success() {
            return Err(format!(
                "`npm ci` in {} failed ({}):\n{}{}",
                dir.display(),
                output.status,
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr)
            ));
        }
        let target = dir.join("node_modules");
        if target.exists() && !is_installed(dir)? {
            // Another version: move it aside, then out of the way.
            let old = staging.join("old_node_modules");
            std::fs::rename(&target, &old)
                .map_err(|e| format!("cannot move the old node_modules aside: {e}"))?;
        }
        match std::fs::rename(staging.join("node_modules"), &target) {
            Ok(()) => Ok(()),
            // Another process finished first.
            Err(_) if is_installed(dir)? => Ok(()),
            Err(e) => Err(format!("cannot move node_modules into place: {e}")),
        }
    })();
    let _ = std::fs::remove_dir_all(&staging);
    result
}

/// A user agent that signs in at the test server through its login and consent pages
/// (oidc-provider's `devInteractions`): a cookie jar, no redirects followed.
#[derive(Debug, Clone)]
pub struct Browser {
    http: reqwest::Client,
}

impl Default for Browser {
    fn default() -> Self {
        Browser::new()
    }
}

impl Browser {
    /// A browser with an empty cookie jar.
    ///
    /// # Panics
    ///
    /// If the HTTP client cannot be built.
    pub fn new() -> Self {
        let http = reqwest::Client::builder()
            .cookie_store(true)
            .redirect(reqwest::redirect::Policy::none())
            .timeout(Duration::from_secs(30))
            .build()
            .expect("a plain HTTP client builds");
        Browser { http }
    }

    /// Follows `authorization_url`, signs in as `login` (any login is a user; the
    /// password is not checked) and grants consent; returns the URL the server
    /// redirects back to — [`REDIRECT_URI`] with `code`, `state` and `iss`, or with
    /// `error`.
    ///
    /// # Errors
    ///
    /// When a page is not what devInteractions serves, or the flow does not reach the
    /// redirect URI within 20 steps.
    pub async fn authorize(&self, authorization_url: &Url, login: &str) -> Result<Url, String> {
        let fail = |what: &str, e: reqwest::Error| format!("{what}: {}", e.without_url());
        let mut url = authorization_url.clone();
        let mut response = self
            .http
            .get(url.clone())
            .send()
            .await
            .map_err(|e| fail("authorization request", e))?;
        for _ in 0..20 {
            let status = response.status();
            if status.is_redirection() {
                let location = response
                    .headers()
                    .get(reqwest::header::LOCATION)
                    .and_then(|v| v.to_str().ok())
                    .ok_or_else(|| format!("{status} without a Location from {}", url.path()))?;
                url = url
                    .join(location)
                    .map_err(|e| format!("bad Location `{location}`: {e}"))?;
                if url.as_str().starts_with(REDIRECT_URI) {
                    return Ok(url);
                }
                response = self
                    .http
                    .get(url.clone())
                    .send()
                    .await
                    .map_err(|e| fail("following a redirect", e))?;
                continue;
            }
            let page = response
                .text()
                .await
                .map_err(|e| fail("reading a page", e))?;
            if status != reqwest::StatusCode::OK || !url.path().starts_with("/interaction/") {
                return Err(format!(
                    "unexpected {status} at {}: {}",
                    url.path(),
                    page.chars().take(500).collect::<String>()
                ));
            }
            let form: Vec<(&str, &str)> = if page.contains(r#"name="prompt" value="login""#) {
                vec![("prompt", "login"), ("login", login), ("password", "any")]
            } else if page.contains(r#"name="prompt" value="consent""#) {
                vec![("prompt", "consent")]
            } else {
                return Err(format!(
                    "neither a login nor a consent page at {}: {}",
                    url.path(),
                    page.chars().take(500).collect::<String>()
                ));
            };
            let body = url::form_urlencoded::Serializer::new(String::new())
                .extend_pairs(form)
                .finish();
            response = self
                .http
                .post(url.clone())
                .header(
                    reqwest::header::CONTENT_TYPE,
                    "application/x-www-form-urlencoded",
                )
                .body(body)
                .send()
                .await
                .map_err(|e| fail("submitting a form", e))?;
        }
        Err(format!(
            "no redirect to {REDIRECT_URI} after 20 steps (last: {})",
            url.path()
        ))
    }
}
