//! Project automation, run as `cargo xtask <task>` (see `.cargo/config.toml`).
//!
//! * `cargo xtask test` — everything CI checks: formatting, clippy with warnings as
//!   errors, every test (unit, integration, doctests), warning-free docs, and
//!   `cargo xtask check`.
//! * `cargo xtask docs` — writes `docs/providers/` from the provider crates.
//! * `cargo xtask check` — fails when `docs/` is stale, when `docs/reference/api.md`
//!   disagrees with the core's public API, or when a provider crate is not registered.
//! * `cargo xtask new-provider <id>` — scaffolds and registers a provider crate.
//! * `cargo xtask bench [--write]` — the micro and load benchmarks against their
//!   baselines; `--write` records them in `docs/performance.md`.
//! * `cargo xtask footprint [--write]` — cold builds of apps on Portcullis against the
//!   same apps on `oauth2` + `reqwest` and on `openidconnect`; `--write` records them in
//!   `docs/performance.md`.

mod api;
mod bench;
mod docs;
mod footprint;
mod providers;
mod scaffold;
mod source;

use std::collections::BTreeMap;
use std::env;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

fn main() -> ExitCode {
    let args: Vec<String> = env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("test") => test(),
        Some("docs") => write_docs(&project_root()),
        Some("check") => check(&project_root()).map_err(|problems| problems.join("\n")),
        Some("new-provider") => match args.get(1) {
            Some(id) => new_provider(&project_root(), id),
            None => Err(format!("new-provider needs an id\n\n{USAGE}")),
        },
        Some("bench") => bench::run(&project_root(), &args[1..]),
        Some("footprint") => footprint::run(&project_root(), &args[1..]),
        Some("help" | "--help" | "-h") | None => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        Some(other) => Err(format!("unknown task `{other}`\n\n{USAGE}")),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("xtask: {message}");
            ExitCode::FAILURE
        }
    }
}

const USAGE: &str = "\
usage: cargo xtask <task>

tasks:
  test              fmt check, clippy -D warnings, all tests incl. doctests, cargo doc
                    without warnings, and `check`
  docs              write docs/providers/ from the provider crates
  check             fail when docs/ is stale, docs/reference/api.md disagrees with the
                    core's public API, or a provider crate is not registered
  new-provider ID   scaffold crates/providers/ID and register it
  bench [--write] [--load-only] [-- OPTIONS]
                    Criterion micro benchmarks, then the full-login load benchmark
                    (release mode; OPTIONS go to portcullis-bench, see its --help);
                    --write records the results in docs/performance.md
  footprint [--write] [--rounds N] [--keep]
                    cold-build apps on portcullis + portcullis-github / portcullis-oidc
                    and the same on oauth2 + reqwest / openidconnect (offline), compare
                    crates compiled and build time;
                    --write records the results in docs/performance.md";

/// The one test command: what a contributor runs before pushing and what CI runs.
fn test() -> Result<(), String> {
    let root = project_root();
    run(&root, "cargo", &["fmt", "--all", "--check"], &[])?;
    // One feature set for every step, so nothing is compiled twice: the Postgres store
    // is built and tested alongside SQLite.
    let features = ["--features", "portcullis-sqlx/postgres"];
    let clippy = [
        &["clippy", "--workspace", "--all-targets"][..],
        &features,
        &["--", "-D", "warnings"],
    ]
    .concat();
    run(&root, "cargo", &clippy, &[])?;
    let tests = [&["test", "--workspace", "--no-fail-fast"][..], &features].concat();
    run(&root, "cargo", &tests, &[])?;
    // The benchmarks do not run here (`cargo xtask bench`), but they must build: every
    // bench target, in the test profile, reusing what the tests just compiled.
    let benches = [
        &["test", "--workspace", "--bench", "*", "--no-run"][..],
        &features,
    ]
    .concat();
    run(&root, "cargo", &benches, &[])?;
    let doc = [&["doc", "--workspace", "--no-deps"][..], &features].concat();
    run(&root, "cargo", &doc, &[("RUSTDOCFLAGS", "-D warnings")])?;
    check(&root).map_err(|problems| problems.join("\n"))?;
    eprintln!("xtask: all checks passed");
    for skipped in skipped_suites() {
        eprintln!("xtask: SKIPPED {skipped}");
    }
    Ok(())
}

/// Test suites that skip themselves when a peer is not installed, and why.
fn skipped_suites() -> Vec<String> {
    let on_path = |tool: &str| {
        env::var_os("PATH")
            .is_some_and(|path| env::split_paths(&path).any(|dir| dir.join(tool).is_file()))
    };
    let mut skipped = Vec::new();
    let postgres = on_path("initdb")
        || fs::read_dir("/usr/lib/postgresql").is_ok_and(|versions| {
            versions
                .flatten()
                .any(|v| v.path().join("bin/initdb").is_file())
        });
    if !postgres {
        skipped.push(
            "the Postgres store tests: no Postgres server binaries (initdb, pg_ctl) found; \
             install Debian's `postgresql` package to run them"
                .to_owned(),
        );
    }
    skipped
}

/// Every provider's docs, read from its crate.
fn provider_docs(root: &Path) -> Result<Vec<docs::ProviderDoc>, String> {
    providers::all()
        .into_iter()
        .map(|reg| docs::ProviderDoc::read(root, reg))
        .collect()
}

fn write_docs(root: &Path) -> Result<(), String> {
    for (path, contents) in docs::render_all(&provider_docs(root)?) {
        if docs::ensure_file_contents(root, &path, &contents, false)? {
            eprintln!("xtask: updated {path}");
        }
    }
    Ok(())
}

/// Everything `cargo xtask check` verifies; every problem found, not just the first.
fn check(root: &Path) -> Result<(), Vec<String>> {
    let mut problems = check_registry(root);
    match provider_docs(root) {
        Ok(docs) => {
            let files = docs::render_all(&docs);
            for (path, contents) in &files {
                if let Err(e) = docs::ensure_file_contents(root, path, contents, true) {
                    problems.push(e);
                }
            }
            // Generated files nobody generates any more.
            if let Ok(entries) = fs::read_dir(root.join("docs/providers")) {
                for entry in entries.flatten() {
                    let path = format!("docs/providers/{}", entry.file_name().to_string_lossy());
                    if !files.iter().any(|(p, _)| *p == path) {
                        problems.push(format!(
                            "{path} is not generated from any provider: delete it or run `cargo xtask docs`"
                        ));
                    }
                }
            }
        }
        Err(e) => problems.push(e),
    }
    match api::read_api(&root.join("crates/portcullis/src")) {
        Ok(api) => match fs::read_to_string(root.join("docs/reference/api.md")) {
            Ok(reference) => problems.extend(api::check(&api, &reference)),
            Err(e) => problems.push(format!("cannot read docs/reference/api.md: {e}")),
        },
        Err(e) => problems.push(e),
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

/// Every directory under `crates/providers/` is registered, and ids are unique.
fn check_registry(root: &Path) -> Vec<String> {
    let mut problems = Vec::new();
    let registered = providers::all();
    let mut by_id: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for reg in &registered {
        by_id.entry(reg.info.id).or_default().push(reg.package);
    }
    for (id, packages) in by_id.iter().filter(|(_, p)| p.len() > 1) {
        problems.push(format!(
            "provider id `{id}` is used by {}: ids must be unique",
            packages.join(" and ")
        ));
    }
    match fs::read_dir(root.join("crates/providers")) {
        Ok(entries) => {
            for entry in entries.flatten() {
                let dir = entry.file_name().to_string_lossy().into_owned();
                if entry.path().join("Cargo.toml").exists()
                    && !registered.iter().any(|r| r.dir == dir)
                {
                    problems.push(format!(
                        "crates/providers/{dir} is not registered in xtask/src/providers.rs: \
                         add it there (and to xtask/Cargo.toml), as `cargo xtask new-provider` does"
                    ));
                }
            }
        }
        Err(e) => problems.push(format!("cannot list crates/providers: {e}")),
    }
    problems
}

fn new_provider(root: &Path, id: &str) -> Result<(), String> {
    for path in scaffold::new_provider(root, id)? {
        eprintln!("xtask: wrote {path}");
    }
    eprintln!(
        "xtask: next: fill in crates/providers/{id} from the provider's official docs, \
         then `cargo test -p portcullis-{}` and `cargo xtask docs`",
        id.replace('_', "-")
    );
    Ok(())
}

fn run(dir: &Path, program: &str, args: &[&str], envs: &[(&str, &str)]) -> Result<(), String> {
    eprintln!("xtask: $ {program} {}", args.join(" "));
    let status = Command::new(program)
        .args(args)
        .envs(envs.iter().copied())
        .current_dir(dir)
        .status()
        .map_err(|e| format!("cannot run `{program}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{program} {}` failed ({status})", args.join(" ")))
    }
}

/// The workspace root: the parent of this crate's directory.
fn project_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(Path::to_path_buf)
        .unwrap_or_else(|| PathBuf::from("."))
}

#[cfg(test)]
mod tests {
    /// `cargo test` fails on stale docs, an API reference that disagrees with the code,
    /// or an unregistered provider — not only `cargo xtask check`.
    #[test]
    fn docs_and_api_reference_are_current() {
        if let Err(problems) = super::check(&super::project_root()) {
            panic!("cargo xtask check failed:\n{}", problems.join("\n"));
        }
    }
}
