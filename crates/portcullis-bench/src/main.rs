//! The full-login load benchmark: N sign-ins at concurrency C through Portcullis
//! (`portcullis-github`'s `validate_code` with the in-memory store) and through a
//! hand-written `oauth2` 5 + `reqwest` 0.12 baseline making the same two requests and
//! the same map lookup, against a fake GitHub on 127.0.0.1.
//!
//! Run it with `cargo xtask bench` (which builds it in release mode and also runs the
//! Criterion micro benchmarks), or directly:
//!
//! ```text
//! cargo run --release -p portcullis-bench -- --help
//! ```
//!
//! Each run is a child process (`portcullis-bench client …`) so its peak memory is its
//! own; the fake provider lives in the parent and counts the TCP connections each run
//! opens. Runs of the two implementations alternate, and every result is reported as a
//! ratio against the baseline measured in the same invocation, because absolute numbers
//! on a shared machine are noisy. See `docs/performance.md`.

#![forbid(unsafe_code)]

mod client;
mod report;
mod server;

use std::io::Write;
use std::process::{Command, ExitCode, Stdio};

use client::{Implementation, RunReport};
use server::FakeProvider;

const USAGE: &str = "\
usage: portcullis-bench [OPTIONS]
       portcullis-bench serve [--port PORT]

Sign-ins through Portcullis and through hand-written oauth2 + reqwest against a fake
GitHub on 127.0.0.1; prints sign-ins/s, p50/p99 latency, TCP connections opened, peak
memory and client CPU per sign-in for both, and the ratios.

options:
  --logins N           timed sign-ins per run (default 5000)
  --concurrency LIST   comma-separated concurrencies (default 1,16,256)
  --repeats R          back-to-back pairs of runs (one of each implementation) per
                       concurrency; which goes first alternates (default 5)
  --threads T          client runtime worker threads (default: CPUs - 1, at least 1)
  --criterion DIR      also report the Criterion results in DIR (target/criterion)
  --markdown           print the results as Markdown on stdout (docs/performance.md)

serve                  run only the fake provider, for profiling a client by hand

internal:
  client --impl portcullis|baseline --url URL --logins N --concurrency C --threads T
                       one measured run; prints its report as one JSON line";

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("client") => client_main(&args[1..]),
        Some("serve") => serve_main(&args[1..]),
        Some("help" | "--help" | "-h") => {
            eprintln!("{USAGE}");
            return ExitCode::SUCCESS;
        }
        _ => bench_main(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("portcullis-bench: {message}");
            ExitCode::FAILURE
        }
    }
}

/// Options of the benchmark proper.
struct Options {
    logins: usize,
    concurrency: Vec<usize>,
    repeats: usize,
    threads: usize,
    criterion: Option<std::path::PathBuf>,
    markdown: bool,
}

fn default_threads() -> usize {
    // One core is left to the fake provider, so the client's speed is what is measured.
    std::thread::available_parallelism()
        .map_or(1, |n| n.get().saturating_sub(1))
        .max(1)
}

fn parse_options(args: &[String]) -> Result<Options, String> {
    let mut options = Options {
        logins: 5_000,
        concurrency: vec![1, 16, 256],
        repeats: 5,
        threads: default_threads(),
        criterion: None,
        markdown: false,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let mut value = || {
            args.next()
                .ok_or_else(|| format!("{arg} needs a value\n\n{USAGE}"))
        };
        match arg.as_str() {
            "--logins" => options.logins = number(value()?)?,
            "--repeats" => options.repeats = number(value()?)?,
            "--threads" => options.threads = number(value()?)?,
            "--concurrency" => {
                options.concurrency = value()?.split(',').map(number).collect::<Result<_, _>>()?;
            }
            "--criterion" => options.criterion = Some(value()?.into()),
            "--markdown" => options.markdown = true,
            other => return Err(format!("unknown option `{other}`\n\n{USAGE}")),
        }
    }
    if options.logins == 0 || options.repeats == 0 || options.threads == 0 {
        return Err("--logins, --repeats and --threads must be at least 1".to_owned());
    }
    if options.concurrency.contains(&0) {
        return Err("a concurrency must be at least 1".to_owned());
    }
    Ok(options)
}

fn number(text: &str) -> Result<usize, String> {
    text.trim()
        .parse()
        .map_err(|_| format!("`{text}` is not a number"))
}

/// One measured run of one implementation, with what the fake provider saw.
#[derive(Debug, Clone)]
pub(crate) struct Run {
    /// What the child reported.
    pub(crate) report: RunReport,
    /// TCP connections the fake provider accepted during the run (warm-up included).
    pub(crate) connections: u64,
    /// The most connections open at once during the run.
    pub(crate) peak_open: u64,
    /// Requests it answered per sign-in (warm-up included).
    pub(crate) requests_per_login: f64,
}

fn bench_main(args: &[String]) -> Result<(), String> {
    let options = parse_options(args)?;
    let machine = report::Machine::read();
    let provider =
        FakeProvider::start(0).map_err(|e| format!("cannot start the fake provider: {e}"))?;
    eprintln!(
        "portcullis-bench: fake provider at {}; {} sign-ins per run, {} pairs of runs per concurrency, client on {} thread(s)",
        provider.url, options.logins, options.repeats, options.threads
    );
    let mut results = Vec::new();
    for &concurrency in &options.concurrency {
        let mut runs: Vec<(Implementation, Run)> = Vec::new();
        for repeat in 0..options.repeats {
            // Alternate which goes first, so drift in the machine's load hits both.
            let mut order = Implementation::ALL;
            if repeat % 2 == 1 {
                order.reverse();
            }
            for implementation in order {
                let run = measure(&provider, &options, implementation, concurrency)?;
                eprintln!(
                    "  c={concurrency:<4} {:<10} {:>9.0} sign-ins/s  p50 {:>8.0} µs  p99 {:>8.0} µs  {:>4} connections ({:>3} at once)  {:>6} KiB peak  {:>5.0} µs CPU/sign-in",
                    implementation.name(),
                    run.report.throughput(),
                    run.report.p50_us,
                    run.report.p99_us,
                    run.connections,
                    run.peak_open,
                    run.report.peak_rss_kib,
                    run.report.cpu_us_per_login(),
                );
                runs.push((implementation, run));
            }
        }
        results.push(report::LoadResult::from_runs(concurrency, &runs));
    }
    let micro = match &options.criterion {
        Some(dir) => report::read_criterion(dir)?,
        None => Vec::new(),
    };
    let report = report::Report {
        machine,
        logins: options.logins,
        repeats: options.repeats,
        threads: options.threads,
        micro,
        load: results,
    };
    eprintln!("\n{}", report.text());
    if options.markdown {
        let mut stdout = std::io::stdout().lock();
        stdout
            .write_all(report.markdown().as_bytes())
            .map_err(|e| e.to_string())?;
    }
    Ok(())
}

/// Runs one implementation in a child process against `provider`.
fn measure(
    provider: &FakeProvider,
    options: &Options,
    implementation: Implementation,
    concurrency: usize,
) -> Result<Run, String> {
    let exe = std::env::current_exe().map_err(|e| e.to_string())?;
    let connections = provider.counters.connections();
    let requests = provider.counters.requests();
    provider.counters.take_peak_open();
    let output = Command::new(exe)
        .args(["client", "--impl", implementation.name(), "--url"])
        .arg(&provider.url)
        .args(["--logins", &options.logins.to_string()])
        .args(["--concurrency", &concurrency.to_string()])
        .args(["--threads", &options.threads.to_string()])
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot start a measured run: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "the {} run at concurrency {concurrency} failed ({})",
            implementation.name(),
            output.status
        ));
    }
    let report: RunReport = serde_json::from_slice(&output.stdout)
        .map_err(|e| format!("unreadable report from a measured run: {e}"))?;
    if report.errors > 0 {
        return Err(format!(
            "{} of {} {} sign-ins failed at concurrency {concurrency}: {}",
            report.errors,
            report.logins,
            implementation.name(),
            report.first_error.as_deref().unwrap_or("?")
        ));
    }
    let peak_open = provider.counters.take_peak_open();
    let connections = provider.counters.connections() - connections;
    let requests = provider.counters.requests() - requests;
    let requests_per_login = requests as f64 / (report.logins + report.warmup) as f64;
    Ok(Run {
        report,
        connections,
        peak_open,
        requests_per_login,
    })
}

/// `portcullis-bench client …`: one measured run, its report on stdout.
fn client_main(args: &[String]) -> Result<(), String> {
    let mut implementation = None;
    let mut url = None;
    let mut logins = 0;
    let mut concurrency = 1;
    let mut threads = 1;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = args.next().ok_or_else(|| format!("{arg} needs a value"))?;
        match arg.as_str() {
            "--impl" => {
                implementation = Some(
                    Implementation::parse(value)
                        .ok_or_else(|| format!("unknown implementation `{value}`"))?,
                );
            }
            "--url" => url = Some(value.clone()),
            "--logins" => logins = number(value)?,
            "--concurrency" => concurrency = number(value)?,
            "--threads" => threads = number(value)?,
            other => return Err(format!("unknown option `{other}`")),
        }
    }
    let implementation = implementation.ok_or("client needs --impl")?;
    let url = url.ok_or("client needs --url")?;
    let report = client::run(implementation, &url, logins, concurrency, threads.max(1))?;
    let line = serde_json::to_string(&report).map_err(|e| e.to_string())?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{line}").map_err(|e| e.to_string())
}

/// `portcullis-bench serve`: the fake provider alone, until interrupted.
fn serve_main(args: &[String]) -> Result<(), String> {
    let port = match args {
        [] => 0,
        [flag, port] if flag == "--port" => {
            u16::try_from(number(port)?).map_err(|_| format!("`{port}` is not a port"))?
        }
        _ => {
            return Err(format!(
                "usage: portcullis-bench serve [--port PORT]\n\n{USAGE}"
            ));
        }
    };
    let provider =
        FakeProvider::start(port).map_err(|e| format!("cannot start the fake provider: {e}"))?;
    eprintln!(
        "portcullis-bench: fake GitHub at {} (token: /login/oauth/access_token, user: /user); Ctrl-C to stop",
        provider.url
    );
    loop {
        std::thread::sleep(std::time::Duration::from_secs(10));
        eprintln!(
            "portcullis-bench: {} connections, {} requests",
            provider.counters.connections(),
            provider.counters.requests()
        );
    }
}
