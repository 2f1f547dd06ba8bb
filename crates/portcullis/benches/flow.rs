//! Micro benchmarks: each step of a sign-in through Portcullis, beside the bare code it
//! wraps, in the same Criterion group so the two are measured in the same run.
//!
//! | group | `portcullis` | `baseline` |
//! |---|---|---|
//! | `authorization_url` | `OAuthClient::authorization_url` (GitHub, two scopes, PKCE) | `oauth2`'s `authorize_url` with the same scopes and a fresh S256 PKCE challenge |
//! | `callback_params` | `CallbackParams::from_query` | `url::form_urlencoded::parse` into a struct of the same fields |
//! | `token_exchange` | `OAuthClient::exchange_code` | `oauth2`'s `exchange_code().request_async()` on a `reqwest::Client` |
//!
//! Both sides of `token_exchange` talk to the same in-process HTTP/1.1 server on
//! 127.0.0.1 over a kept-alive connection, on one current-thread runtime, so the
//! difference between them is what Portcullis adds: the response checks, the lenient
//! token parsing, the body cap, the tracing span.
//!
//! ID-token verification is benchmarked with the OpenID Connect crate, not here.
//!
//! ```text
//! cargo bench -p portcullis --bench flow
//! ```
//!
//! See `docs/performance.md`; `cargo xtask bench` runs this and reports the ratios.

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::net::SocketAddr;
use std::time::Duration;

use criterion::{Criterion, criterion_group, criterion_main};
use oauth2::basic::BasicClient;
use oauth2::{
    AuthType, AuthUrl, AuthorizationCode, ClientId, ClientSecret, CsrfToken, PkceCodeChallenge,
    PkceCodeVerifier, RedirectUrl, Scope, TokenResponse, TokenUrl,
};
use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Provider};
use portcullis_github::GitHub;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;

const CLIENT_ID: &str = "Iv1.8a61f9b3a7aba766";
const CLIENT_SECRET: &str = "1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b";
const REDIRECT_URI: &str = "https://app.example/login/github/callback";
const SCOPES: [&str; 2] = ["read:user", "user:email"];
const CODE: &str = "e72e16c7e42f292c6912";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// What a GitHub App's token endpoint answers (expiring user tokens).
const TOKEN_RESPONSE: &str = r#"{"access_token":"ghu_16C7e42F292c6912E7710c838347Ae178B4a","expires_in":28800,"refresh_token":"ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498","refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}"#;

/// A Google callback: `state` and `code` percent-encoded, plus parameters nobody reads.
const CALLBACK_QUERY: &str = "state=Zk9xQ2VtT2ZxS3dVb0J0Q3R4c1NfNmFqUmxZcFhwQWQ&code=4%2F0AVG7fiQx6Hk3NlTTkU8mBr9xDq3Yq1xQKmlVx2R3z9eJdPqU7ZcW8h0sT1fLkM5bN2vXcA&scope=email+openid+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email&authuser=0&prompt=consent";

fn github_client(token_base: Option<&str>) -> OAuthClient<GitHub, MemoryAdapter<String>> {
    let mut config = ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT_URI.parse().expect("a valid URL"));
    for scope in SCOPES {
        config = config.scope(scope);
    }
    let client = OAuthClient::new(GitHub::new(), config, MemoryAdapter::new())
        .expect("a valid configuration");
    match token_base {
        Some(base) => {
            let endpoints = GitHub::new()
                .endpoints()
                .rebased(base)
                .expect("a valid base URL");
            client.with_endpoints(endpoints)
        }
        None => client,
    }
}

/// The same registration as bare `oauth2`, with GitHub's endpoints (or `token_base`'s).
fn bare_client(
    token_base: Option<&str>,
) -> oauth2::basic::BasicClient<
    oauth2::EndpointSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointNotSet,
    oauth2::EndpointSet,
> {
    let endpoints = GitHub::new().endpoints();
    let token_url = match token_base {
        Some(base) => endpoints.rebased(base).expect("a valid base URL").token,
        None => endpoints.token,
    };
    BasicClient::new(ClientId::new(CLIENT_ID.to_owned()))
        .set_client_secret(ClientSecret::new(CLIENT_SECRET.to_owned()))
        .set_auth_uri(AuthUrl::from_url(endpoints.authorization))
        .set_token_uri(TokenUrl::from_url(token_url))
        .set_redirect_uri(RedirectUrl::new(REDIRECT_URI.to_owned()).expect("a valid URL"))
        .set_auth_type(AuthType::RequestBody)
}

fn authorization_url(c: &mut Criterion) {
    let portcullis = github_client(None);
    let bare = bare_client(None);
    let mut group = c.benchmark_group("authorization_url");
    group.bench_function("portcullis", |b| {
        b.iter(|| black_box(portcullis.authorization_url()));
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            // What an app keeps: the URL, the state and the verifier.
            let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
            let (url, state) = bare
                .authorize_url(CsrfToken::new_random)
                .add_scopes(SCOPES.iter().map(|s| Scope::new((*s).to_owned())))
                .set_pkce_challenge(challenge)
                .url();
            black_box((url, state, verifier))
        });
    });
    group.finish();
}

/// The callback's fields, parsed the plain way: last value wins, no limits.
#[derive(Default)]
struct BareCallback {
    code: Option<String>,
    state: Option<String>,
    error: Option<String>,
    error_description: Option<String>,
    error_uri: Option<String>,
    iss: Option<String>,
}

fn bare_callback(query: &str) -> BareCallback {
    let mut params = BareCallback::default();
    for (name, value) in url::form_urlencoded::parse(query.as_bytes()) {
        let slot = match name.as_ref() {
            "code" => &mut params.code,
            "state" => &mut params.state,
            "error" => &mut params.error,
            "error_description" => &mut params.error_description,
            "error_uri" => &mut params.error_uri,
            "iss" => &mut params.iss,
            _ => continue,
        };
        *slot = Some(value.into_owned());
    }
    params
}

fn callback_params(c: &mut Criterion) {
    let mut group = c.benchmark_group("callback_params");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            black_box(portcullis::CallbackParams::from_query(black_box(
                CALLBACK_QUERY,
            )))
        });
    });
    group.bench_function("baseline", |b| {
        b.iter(|| {
            let params = bare_callback(black_box(CALLBACK_QUERY));
            black_box((
                params.code,
                params.state,
                params.error,
                params.error_description,
                params.error_uri,
                params.iss,
            ))
        });
    });
    group.finish();
}

/// A minimal HTTP/1.1 server answering every request with [`TOKEN_RESPONSE`], keeping
/// connections alive. Runs on the caller's runtime.
async fn token_server() -> SocketAddr {
    let listener = TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind 127.0.0.1");
    let addr = listener.local_addr().expect("a local address");
    let response = format!(
        "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncache-control: no-store\r\ncontent-length: {}\r\n\r\n{TOKEN_RESPONSE}",
        TOKEN_RESPONSE.len()
    );
    tokio::spawn(async move {
        loop {
            let Ok((stream, _)) = listener.accept().await else {
                continue;
            };
            let _ = stream.set_nodelay(true);
            let response = response.clone();
            tokio::spawn(async move {
                let (read, mut write) = stream.into_split();
                let mut read = BufReader::new(read);
                let mut line = String::new();
                let mut body = Vec::new();
                loop {
                    // Headers up to the blank line, then `content-length` bytes of body.
                    let mut content_length = 0usize;
                    loop {
                        line.clear();
                        match read.read_line(&mut line).await {
                            Ok(0) | Err(_) => return,
                            Ok(_) => {}
                        }
                        if line == "\r\n" {
                            break;
                        }
                        if let Some((name, value)) = line.split_once(':')
                            && name.eq_ignore_ascii_case("content-length")
                        {
                            content_length = value.trim().parse().unwrap_or(0);
                        }
                    }
                    body.resize(content_length, 0);
                    if read.read_exact(&mut body).await.is_err()
                        || write.write_all(response.as_bytes()).await.is_err()
                    {
                        return;
                    }
                }
            });
        }
    });
    addr
}

fn token_exchange(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let addr = runtime.block_on(token_server());
    let base = format!("http://{addr}");

    let portcullis = github_client(Some(&base));
    let bare = bare_client(Some(&base));
    // What `oauth2`'s documentation asks for, with Portcullis' default timeouts.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .connect_timeout(portcullis::HttpClient::DEFAULT_CONNECT_TIMEOUT)
        .timeout(portcullis::HttpClient::DEFAULT_TIMEOUT)
        .build()
        .expect("a reqwest client");

    // Both answer correctly before anything is timed.
    let tokens = runtime
        .block_on(portcullis.exchange_code(CODE, Some(VERIFIER)))
        .expect("Portcullis exchanges the code");
    assert!(tokens.access_token().secret().starts_with("ghu_"));
    assert!(tokens.refresh_token().is_some());
    let bare_exchange = || async {
        bare.exchange_code(AuthorizationCode::new(CODE.to_owned()))
            .set_pkce_verifier(PkceCodeVerifier::new(VERIFIER.to_owned()))
            .request_async(&http)
            .await
    };
    let response = runtime
        .block_on(bare_exchange())
        .expect("oauth2 exchanges the code");
    assert!(response.refresh_token().is_some());

    let mut group = c.benchmark_group("token_exchange");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(portcullis.exchange_code(CODE, Some(VERIFIER)))
                    .expect("tokens"),
            )
        });
    });
    group.bench_function("baseline", |b| {
        b.iter(|| black_box(runtime.block_on(bare_exchange()).expect("tokens")));
    });
    group.finish();
}

criterion_group! {
    name = flow;
    // Short enough for `cargo xtask bench` on a busy 2-core machine; the command line
    // (`-- --measurement-time 10`) overrides it.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = authorization_url, callback_params, token_exchange
}
criterion_main!(flow);
