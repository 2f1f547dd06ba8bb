//! The results: the machine they were taken on, the load runs, Criterion's micro
//! benchmarks, and their rendering as text (terminal) and Markdown
//! (`docs/performance.md`).

use std::fmt::Write as _;
use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::Run;
use crate::client::Implementation;

/// The load benchmark's target: Portcullis' throughput over the baseline's.
const THROUGHPUT_TARGET: f64 = 0.95;
/// The micro benchmarks' target: Portcullis' time over the baseline's.
const MICRO_TARGET: f64 = 1.2;
/// The Criterion groups of `crates/portcullis/benches/flow.rs` and
/// `crates/portcullis-oidc/benches/id_token.rs`, and what they compare.
const MICRO_GROUPS: [(&str, &str, &str); 4] = [
    (
        "authorization_url",
        "`authorization_url()`",
        "`oauth2` `authorize_url` + S256 PKCE",
    ),
    (
        "callback_params",
        "`CallbackParams::from_query`",
        "`url::form_urlencoded::parse` into a struct",
    ),
    (
        "token_exchange",
        "`OAuthClient::exchange_code`",
        "`oauth2` `exchange_code().request_async()`",
    ),
    (
        "id_token_verification",
        "`IdTokenVerifier::verify`, keys cached",
        "`openidconnect` `CoreIdToken::claims`",
    ),
];

/// Where and when the results were taken.
pub(crate) struct Machine {
    date: String,
    cpu: String,
    cpus: usize,
    memory_gib: f64,
    kernel: String,
    rustc: String,
    load_average: String,
}

impl Machine {
    /// Reads the machine's description from `/proc` and `rustc -V`.
    pub(crate) fn read() -> Machine {
        let proc = |path: &str| std::fs::read_to_string(path).unwrap_or_default();
        let cpu = proc("/proc/cpuinfo")
            .lines()
            .find_map(|line| line.strip_prefix("model name"))
            .and_then(|rest| rest.split_once(':'))
            .map(|(_, name)| name.split_whitespace().collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|| "unknown CPU".to_owned());
        let memory_kib: f64 = proc("/proc/meminfo")
            .lines()
            .find_map(|line| line.strip_prefix("MemTotal:"))
            .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
            .unwrap_or(0.0);
        let rustc = std::process::Command::new(std::env::var("RUSTC").unwrap_or("rustc".into()))
            .arg("-V")
            .output()
            .ok()
            .and_then(|o| String::from_utf8(o.stdout).ok())
            .map(|v| v.trim().to_owned())
            .unwrap_or_else(|| "rustc (unknown version)".to_owned());
        Machine {
            date: utc_now(),
            cpu,
            cpus: std::thread::available_parallelism().map_or(1, |n| n.get()),
            memory_gib: memory_kib / (1024.0 * 1024.0),
            kernel: proc("/proc/sys/kernel/osrelease").trim().to_owned(),
            rustc,
            load_average: proc("/proc/loadavg")
                .split_whitespace()
                .next()
                .unwrap_or("?")
                .to_owned(),
        }
    }

    fn describe(&self) -> String {
        format!(
            "{} UTC on {} ({} logical CPUs, {:.0} GiB), Linux {}, {}; 1-minute load average at the start: {}",
            self.date,
            self.cpu,
            self.cpus,
            self.memory_gib,
            self.kernel,
            self.rustc,
            self.load_average
        )
    }
}

/// One Criterion group: the medians of both sides, in nanoseconds.
pub(crate) struct MicroResult {
    group: &'static str,
    portcullis: &'static str,
    baseline: &'static str,
    portcullis_ns: f64,
    baseline_ns: f64,
}

impl MicroResult {
    fn ratio(&self) -> f64 {
        self.portcullis_ns / self.baseline_ns
    }
}

/// Reads the medians of the last micro benchmark runs (`cargo bench -p portcullis --bench
/// flow`, `cargo bench -p portcullis-oidc --bench id_token`) from Criterion's output
/// directory.
pub(crate) fn read_criterion(dir: &Path) -> Result<Vec<MicroResult>, String> {
    let median = |group: &str, function: &str| -> Result<f64, String> {
        let path = dir.join(group).join(function).join("new/estimates.json");
        let text = std::fs::read_to_string(&path)
            .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
        let json: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| format!("cannot parse {}: {e}", path.display()))?;
        json["median"]["point_estimate"]
            .as_f64()
            .ok_or_else(|| format!("{} has no median", path.display()))
    };
    MICRO_GROUPS
        .iter()
        .map(|&(group, portcullis, baseline)| {
            Ok(MicroResult {
                group,
                portcullis,
                baseline,
                portcullis_ns: median(group, "portcullis")?,
                baseline_ns: median(group, "baseline")?,
            })
        })
        .collect()
}

/// Both implementations at one concurrency.
///
/// Runs come in back-to-back pairs, one of each implementation, so both runs of a pair
/// saw about the same machine; the throughput and CPU ratios reported are the medians of
/// the pairs' ratios, which a burst of load from elsewhere moves far less than a ratio
/// of separate medians. The detail rows show the median run of each implementation by
/// throughput.
pub(crate) struct LoadResult {
    concurrency: usize,
    portcullis: Run,
    baseline: Run,
    /// Portcullis' throughput over the baseline's, per pair, in run order.
    throughput_ratios: Vec<f64>,
    /// Portcullis' client CPU per sign-in over the baseline's, per pair.
    cpu_ratios: Vec<f64>,
}

impl LoadResult {
    /// Pairs the runs (in the order they ran) and picks the median run of each
    /// implementation.
    pub(crate) fn from_runs(concurrency: usize, runs: &[(Implementation, Run)]) -> LoadResult {
        let median_run = |implementation: Implementation| {
            let mut of: Vec<&Run> = runs
                .iter()
                .filter(|(i, _)| *i == implementation)
                .map(|(_, run)| run)
                .collect();
            of.sort_by(|a, b| a.report.throughput().total_cmp(&b.report.throughput()));
            of[of.len() / 2].clone()
        };
        let mut throughput_ratios = Vec::new();
        let mut cpu_ratios = Vec::new();
        for pair in runs.chunks_exact(2) {
            let (p, b) = match pair {
                [
                    (Implementation::Portcullis, p),
                    (Implementation::Baseline, b),
                ]
                | [
                    (Implementation::Baseline, b),
                    (Implementation::Portcullis, p),
                ] => (p, b),
                _ => continue,
            };
            throughput_ratios.push(p.report.throughput() / b.report.throughput());
            cpu_ratios.push(p.report.cpu_us_per_login() / b.report.cpu_us_per_login());
        }
        LoadResult {
            concurrency,
            portcullis: median_run(Implementation::Portcullis),
            baseline: median_run(Implementation::Baseline),
            throughput_ratios,
            cpu_ratios,
        }
    }

    fn throughput_ratio(&self) -> f64 {
        median(&self.throughput_ratios)
    }

    fn cpu_ratio(&self) -> f64 {
        median(&self.cpu_ratios)
    }

    fn throughput_met(&self) -> bool {
        self.throughput_ratio() >= THROUGHPUT_TARGET
    }

    fn connections_met(&self) -> bool {
        self.portcullis.connections <= self.concurrency as u64
    }
}

/// Everything one `portcullis-bench` invocation measured.
pub(crate) struct Report {
    pub(crate) machine: Machine,
    pub(crate) logins: usize,
    pub(crate) repeats: usize,
    pub(crate) threads: usize,
    pub(crate) micro: Vec<MicroResult>,
    pub(crate) load: Vec<LoadResult>,
}

impl Report {
    /// A plain-text summary for the terminal.
    pub(crate) fn text(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "{}", self.machine.describe());
        for m in &self.micro {
            let _ = writeln!(
                out,
                "micro {:<18} portcullis {:>10}  baseline {:>10}  ratio {:.2}x ({})",
                m.group,
                time(m.portcullis_ns),
                time(m.baseline_ns),
                m.ratio(),
                verdict(m.ratio() <= MICRO_TARGET)
            );
        }
        for l in &self.load {
            let _ = writeln!(
                out,
                "load c={:<4} throughput ratio {:.3}x ({}; pairs {}), p50 {:.2}x, p99 {:.2}x, connections {} vs {} ({}), peak memory {:.2}x, CPU/sign-in {:.2}x",
                l.concurrency,
                l.throughput_ratio(),
                verdict(l.throughput_met()),
                list(&l.throughput_ratios, 2),
                l.portcullis.report.p50_us / l.baseline.report.p50_us,
                l.portcullis.report.p99_us / l.baseline.report.p99_us,
                l.portcullis.connections,
                l.baseline.connections,
                verdict(l.connections_met()),
                l.portcullis.report.peak_rss_kib as f64 / l.baseline.report.peak_rss_kib as f64,
                l.cpu_ratio(),
            );
        }
        out
    }

    /// The results section of `docs/performance.md`.
    pub(crate) fn markdown(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(out, "Measured {}.\n", self.machine.describe());
        if !self.micro.is_empty() {
            let _ = writeln!(
                out,
                "#### Micro benchmarks\n\n\
                 Medians of Criterion's samples; target: Portcullis ≤ {MICRO_TARGET}× the baseline's time.\n\n\
                 | group | Portcullis | time | baseline | time | ratio | target |\n\
                 |---|---|---:|---|---:|---:|---|"
            );
            for m in &self.micro {
                let _ = writeln!(
                    out,
                    "| `{}` | {} | {} | {} | {} | **{:.2}×** | {} |",
                    m.group,
                    m.portcullis,
                    time(m.portcullis_ns),
                    m.baseline,
                    time(m.baseline_ns),
                    m.ratio(),
                    verdict(m.ratio() <= MICRO_TARGET)
                );
            }
            out.push('\n');
        }
        if !self.load.is_empty() {
            let _ = writeln!(
                out,
                "#### Full login under load\n\n\
                 {} timed sign-ins per run after a warm-up of one sign-in per concurrent task; {} \
                 back-to-back pairs of runs per concurrency (one run of each implementation; which \
                 goes first alternates). The rows show the median run of each implementation by \
                 throughput; the ratio row shows the **median of the pairs' ratios** for throughput \
                 and CPU, and the ratios of the rows above for the rest. Client runtime: {} worker \
                 thread(s); fake provider: one thread. Targets: throughput ≥ {THROUGHPUT_TARGET}× the \
                 baseline's, TCP connections ≤ the concurrency.\n\n\
                 | concurrency | implementation | sign-ins/s | p50 | p99 | TCP connections | requests per sign-in | peak RSS | client CPU per sign-in |\n\
                 |---:|---|---:|---:|---:|---:|---:|---:|---:|",
                self.logins, self.repeats, self.threads
            );
            for l in &self.load {
                for (implementation, run) in [
                    (Implementation::Portcullis, &l.portcullis),
                    (Implementation::Baseline, &l.baseline),
                ] {
                    let r = &run.report;
                    let _ = writeln!(
                        out,
                        "| {} | {} | {:.0} | {} | {} | {} | {:.2} | {:.1} MiB | {:.0} µs |",
                        l.concurrency,
                        implementation.label(),
                        r.throughput(),
                        time(r.p50_us * 1e3),
                        time(r.p99_us * 1e3),
                        run.connections,
                        run.requests_per_login,
                        r.peak_rss_kib as f64 / 1024.0,
                        r.cpu_us_per_login(),
                    );
                }
                let p = &l.portcullis.report;
                let b = &l.baseline.report;
                let _ = writeln!(
                    out,
                    "| {} | **ratio** | **{:.3}×** {} | {:.2}× | {:.2}× | {} | | {:.2}× | {:.2}× |",
                    l.concurrency,
                    l.throughput_ratio(),
                    verdict(l.throughput_met()),
                    p.p50_us / b.p50_us,
                    p.p99_us / b.p99_us,
                    verdict(l.connections_met()),
                    p.peak_rss_kib as f64 / b.peak_rss_kib as f64,
                    l.cpu_ratio(),
                );
            }
            let _ = writeln!(
                out,
                "\nThroughput ratio of each pair, in run order (how much the machine moved):\n"
            );
            for l in &self.load {
                let _ = writeln!(
                    out,
                    "* concurrency {}: {}",
                    l.concurrency,
                    list(&l.throughput_ratios, 3)
                );
            }
        }
        out
    }
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    match sorted.len() {
        0 => f64::NAN,
        n if n % 2 == 1 => sorted[n / 2],
        n => (sorted[n / 2 - 1] + sorted[n / 2]) / 2.0,
    }
}

fn list(values: &[f64], decimals: usize) -> String {
    values
        .iter()
        .map(|v| format!("{v:.decimals$}"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn verdict(met: bool) -> &'static str {
    if met { "met" } else { "**missed**" }
}

/// A duration in nanoseconds, in a readable unit.
fn time(ns: f64) -> String {
    if ns < 1e3 {
        format!("{ns:.0} ns")
    } else if ns < 1e6 {
        format!("{:.2} µs", ns / 1e3)
    } else {
        format!("{:.2} ms", ns / 1e6)
    }
}

/// Now, as `YYYY-MM-DD HH:MM`.
fn utc_now() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_read_well() {
        assert_eq!(time(612.4), "612 ns");
        assert_eq!(time(1_534.0), "1.53 µs");
        assert_eq!(time(2_500_000.0), "2.50 ms");
    }

    #[test]
    fn medians_of_odd_and_even_counts() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 2.0, 3.0]), 2.5);
        assert!(median(&[]).is_nan());
    }

    #[test]
    fn dates_are_civil() {
        let now = utc_now();
        assert_eq!(now.len(), "2026-11-27 13:45".len(), "{now}");
        assert!(now.starts_with("20"), "{now}");
    }
}
