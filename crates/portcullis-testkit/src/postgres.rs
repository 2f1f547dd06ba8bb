//! A throwaway Postgres server for tests: `initdb` and `pg_ctl` in a temporary
//! directory, on a free port on 127.0.0.1, stopped and deleted on drop.
//!
//! When the server binaries are absent, [`TempPostgres::start`] returns `Ok(None)` and
//! the caller skips its test — unless `PORTCULLIS_REQUIRE_POSTGRES=1` is set (CI sets
//! it), which turns the absence into an error.

use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};

/// A running throwaway Postgres cluster.
#[derive(Debug)]
pub struct TempPostgres {
    bin: PathBuf,
    dir: PathBuf,
    port: u16,
    run_as: Option<String>,
}

/// Set to `1` to make a missing Postgres an error instead of a skip.
pub const REQUIRE_ENV: &str = "PORTCULLIS_REQUIRE_POSTGRES";

impl TempPostgres {
    /// Starts a cluster, or returns `Ok(None)` when Postgres is not installed.
    ///
    /// Run as root (CI), the server runs as the `postgres` user, since Postgres refuses
    /// to run as root.
    ///
    /// # Errors
    ///
    /// When the binaries exist but the cluster cannot be created or started, or when
    /// they are missing and [`REQUIRE_ENV`] is set.
    pub fn start() -> Result<Option<TempPostgres>, String> {
        let Some(bin) = find_bin_dir() else {
            if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
                return Err(format!(
                    "{REQUIRE_ENV}=1 but no Postgres server binaries (initdb, pg_ctl) were found"
                ));
            }
            return Ok(None);
        };
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let dir = std::env::temp_dir().join(format!(
            "portcullis-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
        let run_as = is_root().then(|| "postgres".to_owned());
        if let Some(user) = &run_as {
            run(Command::new("chown").arg("-R").arg(user).arg(&dir))?;
        }
        let port = free_port()?;
        let pg = TempPostgres {
            bin,
            dir,
            port,
            run_as,
        };
        let data = pg.dir.join("data");
        pg.command("initdb")
            .arg("-D")
            .arg(&data)
            .args(["-U", "postgres", "--auth=trust", "-E", "UTF8", "--no-sync"])
            .status_ok()?;
        pg.command("pg_ctl")
            .arg("-D")
            .arg(&data)
            .arg("-l")
            .arg(pg.dir.join("server.log"))
            .arg("-o")
            .arg(format!(
                "-p {port} -k {} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200",
                pg.dir.display()
            ))
            .args(["-w", "-t", "60", "start"])
            .status_ok()
            .map_err(|e| format!("{e}\n{}", pg.log()))?;
        Ok(Some(pg))
    }

    /// The URL of database `postgres` as superuser `postgres`.
    pub fn url(&self) -> String {
        self.database_url("postgres")
    }

    /// The URL of another database on this server (create it first).
    pub fn database_url(&self, database: &str) -> String {
        format!("postgres://postgres@127.0.0.1:{}/{database}", self.port)
    }

    /// Creates an empty database and returns its URL.
    ///
    /// # Errors
    ///
    /// When `createdb` fails.
    pub fn create_database(&self, name: &str) -> Result<String, String> {
        self.command("createdb")
            .args([
                "-h",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-U",
                "postgres",
                name,
            ])
            .status_ok()?;
        Ok(self.database_url(name))
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("server.log")).unwrap_or_default()
    }

    fn command(&self, program: &str) -> Command {
        let path = self.bin.join(program);
        match &self.run_as {
            Some(user) => {
                let mut command = Command::new("runuser");
                command.args(["-u", user, "--"]).arg(path);
                command
            }
            None => Command::new(path),
        }
    }
}

impl Drop for TempPostgres {
    fn drop(&mut self) {
        let _ = self
            .command("pg_ctl")
            .arg("-D")
            .arg(self.dir.join("data"))
            .args(["-m", "immediate", "-w", "stop"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

trait StatusOk {
    fn status_ok(&mut self) -> Result<(), String>;
}

impl StatusOk for Command {
    fn status_ok(&mut self) -> Result<(), String> {
        run(self)
    }
}

fn run(command: &mut Command) -> Result<(), String> {
    let output = command
        .output()
        .map_err(|e| format!("cannot run {command:?}: {e}"))?;
    if output.status.success() {
        Ok(())
    } else {
        Err(format!(
            "{command:?} failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ))
    }
}

/// Where `initdb` and `pg_ctl` are: on `PATH`, or in Debian's versioned directory.
fn find_bin_dir() -> Option<PathBuf> {
    let has_tools = |dir: &Path| dir.join("initdb").is_file() && dir.join("pg_ctl").is_file();
    if let Some(path) = std::env::var_os("PATH") {
        for dir in std::env::split_paths(&path) {
            if has_tools(&dir) {
                // Follow a symlinked initdb to the directory with the other tools.
                return std::fs::canonicalize(dir.join("initdb"))
                    .ok()
                    .and_then(|p| p.parent().map(Path::to_path_buf))
                    .filter(|real| has_tools(real) && real.join("createdb").is_file())
                    .or(Some(dir));
            }
        }
    }
    let mut versions: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .flatten()
        .map(|e| e.path().join("bin"))
        .filter(|dir| has_tools(dir))
        .collect();
    versions.sort();
    versions.pop()
}

fn is_root() -> bool {
    Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| String::from_utf8_lossy(&o.stdout).trim() == "0")
}

fn free_port() -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("no free port: {e}"))?;
    listener
        .local_addr()
        .map(|a| a.port())
        .map_err(|e| format!("no free port: {e}"))
}
