//! `cargo run -p portcullis-demo`: the demo on http://127.0.0.1:3000, SQLite in
//! `portcullis-demo.db`, and a local test provider so sign-in works offline.

#![forbid(unsafe_code)]
#![allow(clippy::print_stdout)]

use portcullis_demo::{Config, build};

#[tokio::main]
async fn main() {
    let config = match Config::from_env(std::env::args().skip(1)) {
        Ok(config) => config,
        Err(message) => {
            eprintln!("{message}");
            std::process::exit(2);
        }
    };
    let demo = match build(&config).await {
        Ok(demo) => demo,
        Err(e) => {
            eprintln!("portcullis-demo: {e}");
            std::process::exit(1);
        }
    };
    let listener = match tokio::net::TcpListener::bind(config.addr).await {
        Ok(listener) => listener,
        Err(e) => {
            eprintln!("portcullis-demo: cannot listen on {}: {e}", config.addr);
            std::process::exit(1);
        }
    };
    println!(
        "Portcullis demo on http://{}  (store: {})",
        config.addr, config.database_url
    );
    println!("Local test provider on {}", demo.local_provider.url());
    let shutdown = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    if let Err(e) = axum::serve(listener, demo.router)
        .with_graceful_shutdown(shutdown)
        .await
    {
        eprintln!("portcullis-demo: {e}");
        std::process::exit(1);
    }
}
