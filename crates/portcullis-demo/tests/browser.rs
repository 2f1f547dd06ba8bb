//! The demo, used as a person would: headless Chromium driven through ChromeDriver.
//!
//! Sign in with the local test provider and land on the profile page; sign out; cancel
//! at the provider and see the friendly page. Skipped (with a message) when Chromium or
//! ChromeDriver is not installed, unless `PORTCULLIS_REQUIRE_BROWSER=1` — as in CI —
//! makes that a failure.

use std::net::TcpListener as StdListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::{ClientBuilder, Locator};
use portcullis_demo::{Config, build};

const REQUIRE_ENV: &str = "PORTCULLIS_REQUIRE_BROWSER";

fn find(candidates: &[&str]) -> Option<PathBuf> {
    candidates.iter().map(PathBuf::from).find(|p| p.is_file())
}

/// ChromeDriver on a free port, killed on drop.
struct Driver {
    child: Child,
    url: String,
    profile: PathBuf,
}

impl Driver {
    fn start(chromedriver: &Path) -> Driver {
        let port = StdListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(chromedriver)
            .arg(format!("--port={port}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start chromedriver");
        let profile =
            std::env::temp_dir().join(format!("portcullis-chromium-{}", std::process::id()));
        Driver {
            child,
            url: format!("http://127.0.0.1:{port}"),
            profile,
        }
    }

    async fn wait_ready(&self) {
        for _ in 0..100 {
            if tokio::net::TcpStream::connect(self.url.trim_start_matches("http://"))
                .await
                .is_ok()
            {
                return;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("chromedriver did not start");
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.profile);
    }
}

/// Waits until the browser has navigated to `path` (a click does not wait).
async fn wait_for_path(
    browser: &fantoccini::Client,
    path: &str,
) -> Result<(), fantoccini::error::CmdError> {
    for _ in 0..100 {
        if browser.current_url().await?.path() == path {
            return Ok(());
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("the browser never reached {path}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sign_in_sign_out_and_cancel_in_a_real_browser() {
    let (Some(chromium), Some(chromedriver)) = (
        find(&["/usr/bin/chromium", "/usr/bin/chromium-browser"]),
        find(&["/usr/bin/chromedriver", "/usr/lib/chromium/chromedriver"]),
    ) else {
        if std::env::var(REQUIRE_ENV).is_ok_and(|v| v == "1") {
            panic!("{REQUIRE_ENV}=1 but Chromium or ChromeDriver is not installed");
        }
        eprintln!(
            "SKIPPED sign_in_sign_out_and_cancel_in_a_real_browser: Chromium/ChromeDriver not installed"
        );
        return;
    };

    // The demo on a free port, with a fresh SQLite file.
    let dir = std::env::temp_dir().join(format!("portcullis-demo-browser-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let config = Config {
        addr,
        public_url: None,
        database_url: format!("sqlite://{}/demo.db", dir.display()),
        providers: Vec::new(),
    };
    let demo = build(&config).await.unwrap();
    let router = demo.router.clone();
    tokio::spawn(async move { axum::serve(listener, router).await });
    let base = format!("http://{addr}");

    let driver = Driver::start(&chromedriver);
    driver.wait_ready().await;
    let mut capabilities = serde_json::Map::new();
    capabilities.insert(
        "goog:chromeOptions".to_owned(),
        serde_json::json!({
            "binary": chromium,
            "args": [
                "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
                "--disable-quic", "--no-first-run", "--disable-background-networking",
                "--disable-component-update", "--disable-sync",
                format!("--user-data-dir={}", driver.profile.display()),
            ],
        }),
    );
    let browser = ClientBuilder::new(hyper_util::client::legacy::connect::HttpConnector::new())
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("connect to chromedriver");

    let result = async {
        // Sign in with the local test provider and approve.
        browser.goto(&base).await?;
        browser
            .find(Locator::Id("sign-in-local"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Id("approve"))
            .await?
            .click()
            .await?;
        let name = browser
            .wait()
            .for_element(Locator::Id("user-name"))
            .await?
            .text()
            .await?;
        assert_eq!(name, "Ada Lovelace");
        assert_eq!(browser.current_url().await?.path(), "/profile");
        let email = browser
            .find(Locator::Id("user-email"))
            .await?
            .text()
            .await?;
        assert!(
            email.contains("ada@example.com (verified by the provider)"),
            "{email}"
        );
        let identities = browser
            .find(Locator::Id("identities"))
            .await?
            .text()
            .await?;
        assert_eq!(identities.trim(), "local:ada");

        // Sign out: back on the sign-in page.
        browser.find(Locator::Id("sign-out")).await?.click().await?;
        browser
            .wait()
            .for_element(Locator::Id("sign-in-local"))
            .await?;
        assert_eq!(browser.current_url().await?.path(), "/");

        // Sign in again, but cancel at the provider: the friendly page.
        browser
            .find(Locator::Id("sign-in-local"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Id("cancel"))
            .await?
            .click()
            .await?;
        wait_for_path(&browser, "/login/local/callback").await?;
        let heading = browser
            .wait()
            .for_element(Locator::Css("h1"))
            .await?
            .text()
            .await?;
        assert_eq!(heading, "Sign-in cancelled");
        let page = browser.find(Locator::Css("body")).await?.text().await?;
        assert!(page.contains("You cancelled signing in"), "{page}");

        // Signing in again finds the same user, not a new one.
        browser.goto(&base).await?;
        browser
            .wait()
            .for_element(Locator::Id("sign-in-local"))
            .await?
            .click()
            .await?;
        browser
            .wait()
            .for_element(Locator::Id("approve"))
            .await?
            .click()
            .await?;
        let id = browser
            .wait()
            .for_element(Locator::Id("user-id"))
            .await?
            .text()
            .await?;
        assert_eq!(id, "1");
        Ok::<(), fantoccini::error::CmdError>(())
    }
    .await;
    if result.is_err() {
        let _ = browser.screenshot().await.map(|png| {
            let path = dir.with_extension("failure.png");
            let _ = std::fs::write(&path, png);
            eprintln!("screenshot of the failure: {}", path.display());
        });
    }
    let _ = browser.close().await;
    drop(driver);
    let _ = std::fs::remove_dir_all(&dir);
    result.expect("the browser flow");
}
