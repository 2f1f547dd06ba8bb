//! `cargo xtask bench`: the Criterion micro benchmarks (of the core and of
//! `portcullis-oidc`), then the full-login load benchmark (`crates/portcullis-bench`, in
//! release mode); `--write` records the results in `docs/performance.md`.
//!
//! The heavy parts (tokio, reqwest, hyper) live in `portcullis-bench`: the xtask only
//! runs cargo and edits a Markdown section, so it keeps no heavy dependency.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

/// The file the results go to, relative to the workspace root.
pub(crate) const PERFORMANCE_MD: &str = "docs/performance.md";

/// What `cargo xtask bench` was asked to do.
#[derive(Debug, Default, PartialEq, Eq)]
struct Options {
    write: bool,
    load_only: bool,
    /// Passed on to `portcullis-bench` (after `--`).
    passthrough: Vec<String>,
}

fn parse(args: &[String]) -> Result<Options, String> {
    let mut options = Options::default();
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--write" => options.write = true,
            "--load-only" => options.load_only = true,
            "--" => options.passthrough.extend(args.by_ref().cloned()),
            other => return Err(format!("bench: unknown option `{other}`")),
        }
    }
    if options.write && options.load_only {
        return Err(
            "bench: --write records a whole run: drop --load-only (the micro benchmarks \
             take about half a minute)"
                .to_owned(),
        );
    }
    Ok(options)
}

/// Runs the benchmarks; with `--write`, records them in `docs/performance.md`.
pub(crate) fn run(root: &Path, args: &[String]) -> Result<(), String> {
    let options = parse(args)?;
    let mut bench_args: Vec<String> = Vec::new();
    if !options.load_only {
        for (package, bench) in [("portcullis", "flow"), ("portcullis-oidc", "id_token")] {
            crate::run(
                root,
                "cargo",
                &["bench", "-p", package, "--bench", bench],
                &[],
            )?;
        }
        bench_args.push("--criterion".to_owned());
        bench_args.push(criterion_dir(root).display().to_string());
    }
    if options.write {
        bench_args.push("--markdown".to_owned());
    }
    bench_args.extend(options.passthrough.iter().cloned());

    let mut cargo_args = vec![
        "run",
        "--release",
        "--quiet",
        "-p",
        "portcullis-bench",
        "--",
    ];
    cargo_args.extend(bench_args.iter().map(String::as_str));
    eprintln!("xtask: $ cargo {}", cargo_args.join(" "));
    let output = Command::new("cargo")
        .args(&cargo_args)
        .current_dir(root)
        .stdin(Stdio::null())
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("cannot run cargo: {e}"))?;
    if !output.status.success() {
        return Err(format!("the load benchmark failed ({})", output.status));
    }
    if options.write {
        let markdown = String::from_utf8(output.stdout)
            .map_err(|_| "the load benchmark printed something that is not UTF-8".to_owned())?;
        write_section(root, "bench", &markdown)?;
        eprintln!("xtask: wrote the results to {PERFORMANCE_MD}");
    }
    Ok(())
}

/// Where Criterion keeps its results: `$CRITERION_HOME`, or `criterion/` in cargo's
/// target directory.
fn criterion_dir(root: &Path) -> PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return PathBuf::from(home);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .map(|dir| {
            if dir.is_absolute() {
                dir
            } else {
                root.join(dir)
            }
        })
        .unwrap_or_else(|| root.join("target"));
    target.join("criterion")
}

/// Replaces the generated section `name` of `docs/performance.md`: the lines between
/// `<!-- results: NAME … -->` and `<!-- end results: NAME -->`.
pub(crate) fn write_section(root: &Path, name: &str, contents: &str) -> Result<(), String> {
    let path = root.join(PERFORMANCE_MD);
    let text =
        std::fs::read_to_string(&path).map_err(|e| format!("cannot read {PERFORMANCE_MD}: {e}"))?;
    let updated = replace_section(&text, name, contents)?;
    std::fs::write(&path, updated).map_err(|e| format!("cannot write {PERFORMANCE_MD}: {e}"))
}

fn replace_section(text: &str, name: &str, contents: &str) -> Result<String, String> {
    let start_marker = format!("<!-- results: {name} ");
    let end_marker = format!("<!-- end results: {name} -->");
    let missing = || {
        format!(
            "{PERFORMANCE_MD} has no `{start_marker}… -->` … `{end_marker}` section to write into"
        )
    };
    let start = text.find(&start_marker).ok_or_else(missing)?;
    let body_start = start + text[start..].find('\n').ok_or_else(missing)? + 1;
    let end = body_start + text[body_start..].find(&end_marker).ok_or_else(missing)?;
    let contents = contents.trim_end();
    Ok(format!(
        "{}\n{contents}\n\n{}",
        text[..body_start].trim_end(),
        &text[end..]
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn strings(args: &[&str]) -> Vec<String> {
        args.iter().map(|s| (*s).to_owned()).collect()
    }

    #[test]
    fn options_pass_the_rest_on() {
        let options = parse(&strings(&["--write", "--", "--logins", "100"])).unwrap();
        assert!(options.write);
        assert_eq!(options.passthrough, ["--logins", "100"]);
        assert!(parse(&strings(&["--write", "--load-only"])).is_err());
        assert!(parse(&strings(&["--nope"])).is_err());
    }

    #[test]
    fn sections_are_replaced_between_their_markers() {
        let doc = "# P\n\n<!-- results: bench (written by x) -->\nold\nlines\n<!-- end results: bench -->\n\nafter\n";
        let new = replace_section(doc, "bench", "new\n").unwrap();
        assert_eq!(
            new,
            "# P\n\n<!-- results: bench (written by x) -->\nnew\n\n<!-- end results: bench -->\n\nafter\n"
        );
        // Idempotent, and other sections are left alone.
        assert_eq!(replace_section(&new, "bench", "new").unwrap(), new);
        assert!(replace_section(doc, "footprint", "x").is_err());
    }

    #[test]
    fn the_performance_page_has_both_sections() {
        let text = std::fs::read_to_string(crate::project_root().join(PERFORMANCE_MD)).unwrap();
        for name in ["bench", "footprint"] {
            replace_section(&text, name, "x").unwrap();
        }
    }
}
