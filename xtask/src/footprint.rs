//! `cargo xtask footprint`: what depending on Portcullis costs an app to build.
//!
//! Two pairs of tiny apps in a temporary directory, each pair doing the same sign-in —
//! one app on Portcullis (path dependencies to this workspace), one by hand:
//!
//! * GitHub: `portcullis` + `portcullis-github` against `oauth2` + `reqwest`;
//! * OpenID Connect: `portcullis` + `portcullis-oidc` against `openidconnect` (with its
//!   default `reqwest` client), each discovering the issuer and verifying the ID token.
//!
//! Each app is built cold (`cargo build --offline`, dev profile) in its own target
//! directory, with this workspace's `Cargo.lock` so both get the same versions. Reports
//! the crates compiled and the build time of each, and the ratios; `--write` records
//! them in `docs/performance.md`.
//!
//! Offline: the registry cache must already hold every crate (it does wherever the
//! workspace has been built). CI does not run this.

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The ratio both numbers must stay under.
const TARGET: f64 = 1.15;

const PORTCULLIS_MANIFEST: &str = r#"[package]
name = "footprint-portcullis"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
portcullis = { path = "{root}/crates/portcullis" }
portcullis-github = { path = "{root}/crates/providers/github" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
"#;

const PORTCULLIS_MAIN: &str = r#"//! Sign in with GitHub through Portcullis.
use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
use portcullis_github::GitHub;

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let github = OAuthClient::new(
        GitHub::new(),
        ClientConfig::new("client-id", "client-secret")
            .redirect_uri("http://localhost:3000/login/github/callback".parse()?)
            .scope("user:email"),
        MemoryAdapter::<String>::new(),
    )?;
    let auth = github.authorization_url();
    println!("{}", auth.url);
    if let Some(code) = std::env::args().nth(1) {
        let pending = auth.pending;
        let session = github
            .validate_code(&code, pending.code_verifier(), pending.nonce())
            .await?;
        println!("{:?} {:?}", session.provider_user.login, session.existing_user);
    }
    Ok(())
}
"#;

const BASELINE_MANIFEST: &str = r#"[package]
name = "footprint-baseline"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
oauth2 = "5"
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls", "json"] }
serde = { version = "1", features = ["derive"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
"#;

const BASELINE_MAIN: &str = r#"//! Sign in with GitHub with oauth2 + reqwest by hand.
use std::collections::HashMap;

use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse, TokenUrl,
};

#[derive(Debug, serde::Deserialize)]
#[allow(dead_code)]
struct GitHubUser {
    id: u64,
    login: String,
    name: Option<String>,
    email: Option<String>,
    avatar_url: Option<String>,
}

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let client = BasicClient::new(ClientId::new("client-id".to_owned()))
        .set_client_secret(ClientSecret::new("client-secret".to_owned()))
        .set_auth_uri(AuthUrl::new("https://github.com/login/oauth/authorize".to_owned())?)
        .set_token_uri(TokenUrl::new("https://github.com/login/oauth/access_token".to_owned())?)
        .set_redirect_uri(RedirectUrl::new("http://localhost:3000/login/github/callback".to_owned())?)
        .set_auth_type(AuthType::RequestBody);
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("app/0.1")
        .build()?;
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state) = client
        .authorize_url(CsrfToken::new_random)
        .add_scope(Scope::new("user:email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    println!("{url}");
    if let Some(code) = std::env::args().nth(1) {
        let token = client
            .exchange_code(AuthorizationCode::new(code))
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await?;
        let user: GitHubUser = http
            .get("https://api.github.com/user")
            .bearer_auth(token.access_token().secret())
            .header("accept", "application/vnd.github+json")
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let users: HashMap<(String, String), u64> = HashMap::new();
        println!("{:?} {:?}", user.login, users.get(&("github".to_owned(), user.id.to_string())));
    }
    Ok(())
}
"#;

const OIDC_MANIFEST: &str = r#"[package]
name = "footprint-portcullis-oidc"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
portcullis = { path = "{root}/crates/portcullis" }
portcullis-oidc = { path = "{root}/crates/portcullis-oidc" }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
"#;

const OIDC_MAIN: &str = r#"//! Sign in with an OpenID Connect issuer through Portcullis.
use portcullis::{ClientConfig, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider};
use portcullis_oidc::{Oidc, OidcOptions};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::args().nth(1).unwrap_or("https://accounts.google.com".to_owned());
    let http = HttpClient::new();
    let oidc = Oidc::discover(&issuer, &http, OidcOptions::new()).await?;
    let client = OAuthClient::new(
        oidc,
        ClientConfig::new("client-id", "client-secret")
            .redirect_uri("http://localhost:3000/login/oidc/callback".parse()?)
            .scope("email"),
        MemoryAdapter::<String>::new(),
    )?
    .with_http_client(http);
    let auth = client.authorization_url();
    println!("{}", auth.url);
    if let Some(code) = std::env::args().nth(2) {
        let pending = auth.pending;
        let session = client
            .validate_code(&code, pending.code_verifier(), pending.nonce())
            .await?;
        println!("{:?} {:?}", session.provider_user.sub, session.existing_user);
    }
    Ok(())
}
"#;

const OPENIDCONNECT_MANIFEST: &str = r#"[package]
name = "footprint-openidconnect"
version = "0.0.0"
edition = "2024"
publish = false

[dependencies]
openidconnect = "4"
reqwest = { version = "0.12", default-features = false, features = ["rustls-tls"] }
tokio = { version = "1", features = ["macros", "rt-multi-thread"] }

[workspace]
"#;

const OPENIDCONNECT_MAIN: &str = r#"//! Sign in with an OpenID Connect issuer with openidconnect by hand.
use std::collections::HashMap;

use openidconnect::core::{CoreAuthenticationFlow, CoreClient, CoreProviderMetadata};
use openidconnect::{
    AuthorizationCode, ClientId, ClientSecret, CsrfToken, IssuerUrl, Nonce, PkceCodeChallenge,
    RedirectUrl, Scope, TokenResponse,
};

#[tokio::main]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let issuer = std::env::args().nth(1).unwrap_or("https://accounts.google.com".to_owned());
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .user_agent("app/0.1")
        .build()?;
    let metadata = CoreProviderMetadata::discover_async(IssuerUrl::new(issuer)?, &http).await?;
    let client = CoreClient::from_provider_metadata(
        metadata,
        ClientId::new("client-id".to_owned()),
        Some(ClientSecret::new("client-secret".to_owned())),
    )
    .set_redirect_uri(RedirectUrl::new("http://localhost:3000/login/oidc/callback".to_owned())?);
    let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
    let (url, _state, nonce) = client
        .authorize_url(
            CoreAuthenticationFlow::AuthorizationCode,
            CsrfToken::new_random,
            Nonce::new_random,
        )
        .add_scope(Scope::new("email".to_owned()))
        .set_pkce_challenge(challenge)
        .url();
    println!("{url}");
    if let Some(code) = std::env::args().nth(2) {
        let token = client
            .exchange_code(AuthorizationCode::new(code))?
            .set_pkce_verifier(verifier)
            .request_async(&http)
            .await?;
        let id_token = token.id_token().ok_or("the issuer sent no ID token")?;
        let claims = id_token.claims(&client.id_token_verifier(), &nonce)?;
        let users: HashMap<(String, String), u64> = HashMap::new();
        let key = ("oidc".to_owned(), claims.subject().to_string());
        println!("{:?} {:?}", claims.email(), users.get(&key));
    }
    Ok(())
}
"#;

/// One app: its directory under the temporary one, what the report calls it, its
/// sources (`{root}` in the manifest is this workspace).
struct App {
    dir: &'static str,
    label: &'static str,
    manifest: &'static str,
    main: &'static str,
}

/// Two apps doing the same sign-in: one on Portcullis, one by hand.
struct Pair {
    name: &'static str,
    portcullis: App,
    baseline: App,
}

const PAIRS: [Pair; 2] = [
    Pair {
        name: "GitHub",
        portcullis: App {
            dir: "portcullis",
            label: "`portcullis` + `portcullis-github`",
            manifest: PORTCULLIS_MANIFEST,
            main: PORTCULLIS_MAIN,
        },
        baseline: App {
            dir: "baseline",
            label: "`oauth2` + `reqwest` by hand",
            manifest: BASELINE_MANIFEST,
            main: BASELINE_MAIN,
        },
    },
    Pair {
        name: "OpenID Connect",
        portcullis: App {
            dir: "portcullis-oidc",
            label: "`portcullis` + `portcullis-oidc`",
            manifest: OIDC_MANIFEST,
            main: OIDC_MAIN,
        },
        baseline: App {
            dir: "openidconnect",
            label: "`openidconnect` (+ `reqwest`) by hand",
            manifest: OPENIDCONNECT_MANIFEST,
            main: OPENIDCONNECT_MAIN,
        },
    },
];

/// Every build of both apps of a pair.
struct PairBuilds {
    pair: &'static Pair,
    portcullis: Vec<Build>,
    baseline: Vec<Build>,
}

/// One cold build.
#[derive(Debug, Clone)]
struct Build {
    crates: BTreeSet<String>,
    time: Duration,
}

#[derive(Debug)]
struct Options {
    write: bool,
    keep: bool,
    rounds: usize,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        write: false,
        keep: false,
        // Two, Portcullis first then baseline first: the first build of a run also warms
        // the page cache for the sources both share.
        rounds: 2,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => options.write = true,
            "--keep" => options.keep = true,
            "--rounds" => {
                options.rounds = args
                    .next()
                    .and_then(|n| n.parse().ok())
                    .filter(|n| *n > 0)
                    .ok_or("footprint: --rounds needs a positive number")?;
            }
            other => return Err(format!("footprint: unknown option `{other}`")),
        }
    }
    Ok(options)
}

/// Builds every app cold and reports; with `--write`, records it in
/// `docs/performance.md`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let dir = std::env::temp_dir().join(format!("portcullis-footprint-{}", std::process::id()));
    // Before the builds: the load average the builds start under, not their own.
    let when = format!("{} UTC on {}", utc_now(), machine());
    let result = measure(root, &dir, options.rounds);
    if options.keep {
        eprintln!("xtask: kept the apps in {}", dir.display());
    } else {
        let _ = std::fs::remove_dir_all(&dir);
    }
    let report = render(&when, &result?, options.rounds);
    eprintln!("{report}");
    if options.write {
        crate::bench::write_section(root, "footprint", &report)?;
        eprintln!(
            "xtask: wrote the results to {}",
            crate::bench::PERFORMANCE_MD
        );
    }
    Ok(())
}

/// Writes every app under `dir` and builds each `rounds` times, each pair alternating
/// (ABBA…) so that a change in the machine's load hits both of a pair alike.
fn measure(root: &Path, dir: &Path, rounds: usize) -> Result<Vec<PairBuilds>, String> {
    let root_text = root.display().to_string().replace('\\', "/");
    let lock = std::fs::read(root.join("Cargo.lock"))
        .map_err(|e| format!("cannot read Cargo.lock: {e}"))?;
    for app in PAIRS.iter().flat_map(|p| [&p.portcullis, &p.baseline]) {
        let app_dir = dir.join(app.dir);
        let write = |path: PathBuf, contents: &[u8]| {
            std::fs::create_dir_all(path.parent().unwrap_or(dir))
                .and_then(|()| std::fs::write(&path, contents))
                .map_err(|e| format!("cannot write {}: {e}", path.display()))
        };
        let manifest = app.manifest.replace("{root}", &root_text);
        write(app_dir.join("Cargo.toml"), manifest.as_bytes())?;
        write(app_dir.join("src/main.rs"), app.main.as_bytes())?;
        // The workspace's versions, so neither app is built against newer ones.
        write(app_dir.join("Cargo.lock"), &lock)?;
    }
    let mut results: Vec<PairBuilds> = PAIRS
        .iter()
        .map(|pair| PairBuilds {
            pair,
            portcullis: Vec::new(),
            baseline: Vec::new(),
        })
        .collect();
    for round in 0..rounds {
        for result in &mut results {
            let portcullis_first = round % 2 == 0;
            for portcullis in [portcullis_first, !portcullis_first] {
                let app = if portcullis {
                    &result.pair.portcullis
                } else {
                    &result.pair.baseline
                };
                let build = cold_build(&dir.join(app.dir))?;
                eprintln!(
                    "xtask: {:<16} {} crates compiled in {:.1} s",
                    app.dir,
                    build.crates.len(),
                    build.time.as_secs_f64()
                );
                if portcullis {
                    result.portcullis.push(build);
                } else {
                    result.baseline.push(build);
                }
            }
        }
    }
    Ok(results)
}

/// `cargo build --offline` in a fresh target directory; the crates cargo says it
/// compiles, and the wall time.
fn cold_build(app_dir: &Path) -> Result<Build, String> {
    let target = app_dir.join("target");
    let _ = std::fs::remove_dir_all(&target);
    eprintln!("xtask: $ cargo build --offline  (in {})", app_dir.display());
    let started = Instant::now();
    let output = Command::new("cargo")
        .args(["build", "--offline", "--color", "never"])
        .current_dir(app_dir)
        .env("CARGO_TARGET_DIR", &target)
        .env_remove("RUSTC_WRAPPER")
        .env_remove("CARGO_BUILD_RUSTC_WRAPPER")
        .stdin(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    let time = started.elapsed();
    let stderr = String::from_utf8_lossy(&output.stderr);
    if !output.status.success() {
        return Err(format!(
            "building {} failed ({}):\n{stderr}",
            app_dir.display(),
            output.status
        ));
    }
    Ok(Build {
        crates: compiled_crates(&stderr),
        time,
    })
}

/// `name vX.Y.Z` of every `Compiling …` line.
fn compiled_crates(cargo_output: &str) -> BTreeSet<String> {
    cargo_output
        .lines()
        .filter_map(|line| line.trim_start().strip_prefix("Compiling "))
        .map(|rest| {
            // `serde v1.0.229` or `portcullis v0.1.0 (/path)`.
            rest.split_whitespace()
                .take(2)
                .collect::<Vec<_>>()
                .join(" ")
        })
        .collect()
}

fn mean_secs(builds: &[Build]) -> f64 {
    builds.iter().map(|b| b.time.as_secs_f64()).sum::<f64>() / builds.len().max(1) as f64
}

fn verdict(ratio: f64) -> &'static str {
    if ratio <= TARGET { "met" } else { "**missed**" }
}

/// The footprint section of `docs/performance.md`.
fn render(when: &str, results: &[PairBuilds], rounds: usize) -> String {
    let mut out = String::new();
    let _ = writeln!(
        out,
        "Measured {when}: cold `cargo build --offline` (dev profile), each app in its own \
         target directory, {rounds} round(s) alternating; the time is the mean. Target: both \
         ratios ≤ {TARGET}×.\n"
    );
    for result in results {
        render_pair(&mut out, result);
    }
    out.truncate(out.trim_end().len());
    out.push('\n');
    out
}

/// One pair's table and the crates only one of its apps compiles.
fn render_pair(out: &mut String, result: &PairBuilds) {
    let PairBuilds {
        pair,
        portcullis,
        baseline,
    } = result;
    let crates = |builds: &[Build]| builds.first().map_or(0, |b| b.crates.len());
    let times = |builds: &[Build]| {
        builds
            .iter()
            .map(|b| format!("{:.1} s", b.time.as_secs_f64()))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let (p_crates, b_crates) = (crates(portcullis), crates(baseline));
    let (p_time, b_time) = (mean_secs(portcullis), mean_secs(baseline));
    let crate_ratio = p_crates as f64 / b_crates.max(1) as f64;
    let time_ratio = p_time / b_time.max(f64::MIN_POSITIVE);
    let _ = writeln!(
        out,
        "**{} app**\n\n\
         | app | crates compiled | build time |\n|---|---:|---:|\n\
         | {} | {p_crates} | {p_time:.1} s ({}) |\n\
         | {} | {b_crates} | {b_time:.1} s ({}) |\n\
         | **ratio** | **{crate_ratio:.2}×** {} | **{time_ratio:.2}×** {} |\n",
        pair.name,
        pair.portcullis.label,
        times(portcullis),
        pair.baseline.label,
        times(baseline),
        verdict(crate_ratio),
        verdict(time_ratio),
    );
    if let (Some(p), Some(b)) = (portcullis.first(), baseline.first()) {
        let only = |a: &BTreeSet<String>, b: &BTreeSet<String>| {
            let list: Vec<String> = a.difference(b).map(|c| format!("`{c}`")).collect();
            if list.is_empty() {
                "none".to_owned()
            } else {
                list.join(", ")
            }
        };
        let _ = writeln!(
            out,
            "Compiled only for the Portcullis app: {}.\n\nCompiled only for the hand-written app: {}.\n",
            only(&p.crates, &b.crates),
            only(&b.crates, &p.crates)
        );
    }
}

/// Now, as `YYYY-MM-DD HH:MM` (UTC).
fn utc_now() -> String {
    let secs = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let (days, rest) = (secs / 86_400, secs % 86_400);
    // Howard Hinnant's civil_from_days.
    let z = days as i64 + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02} {:02}:{:02}",
        rest / 3600,
        rest % 3600 / 60
    )
}

/// The CPU and its count, from `/proc`.
fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|info| {
            info.lines()
                .find_map(|line| line.strip_prefix("model name"))
                .and_then(|rest| rest.split_once(':'))
                .map(|(_, name)| name.split_whitespace().collect::<Vec<_>>().join(" "))
        })
        .unwrap_or_else(|| "an unknown CPU".to_owned());
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get());
    let load = std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".to_owned());
    format!("{cpu} ({cpus} logical CPUs; 1-minute load average at the start: {load})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn compiling_lines_name_the_crates() {
        let out = "   Compiling serde v1.0.229\n   Compiling portcullis v0.1.0 (/w/crates/portcullis)\n    Finished `dev` profile\n   Compiling serde v1.0.229\n";
        let crates = compiled_crates(out);
        assert_eq!(
            crates.into_iter().collect::<Vec<_>>(),
            ["portcullis v0.1.0", "serde v1.0.229"]
        );
    }

    #[test]
    fn the_report_has_ratios_and_the_difference_for_each_pair() {
        let build = |names: &[&str], secs| Build {
            crates: names.iter().map(|n| (*n).to_owned()).collect(),
            time: Duration::from_secs(secs),
        };
        let report = render(
            "now",
            &[
                PairBuilds {
                    pair: &PAIRS[0],
                    portcullis: vec![build(&["a v1", "b v1", "p v0"], 22)],
                    baseline: vec![build(&["a v1", "b v1"], 20)],
                },
                PairBuilds {
                    pair: &PAIRS[1],
                    portcullis: vec![build(&["a v1", "o v0"], 10)],
                    baseline: vec![build(&["a v1", "c v4"], 10)],
                },
            ],
            1,
        );
        let (github, oidc) = report.split_once("**OpenID Connect app**").expect(&report);
        assert!(github.contains("**GitHub app**"), "{report}");
        assert!(github.contains("**1.50×** **missed**"), "{report}");
        assert!(github.contains("**1.10×** met"), "{report}");
        assert!(
            github.contains("only for the Portcullis app: `p v0`"),
            "{report}"
        );
        assert!(oidc.contains("**1.00×** met | **1.00×** met"), "{report}");
        assert!(
            oidc.contains("only for the hand-written app: `c v4`"),
            "{report}"
        );
    }
}
