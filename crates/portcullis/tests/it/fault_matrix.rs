//! The fault matrix: every phase of the flow against every way a provider can misbehave
//! ([`Fault`]: HTML 500, empty 502, 429 and 503 with `Retry-After`, invalid JSON, JSON
//! of the wrong shape, a truncated body, 10 MiB bodies with and without a length, a body
//! that drips slower than the timeout, a reset, a refused and an unaccepted connection,
//! a redirect to another host, an OAuth error sent with 200).
//!
//! Each row asserts the typed error (`RequestErrorKind` and `Phase`), retryability and
//! `Retry-After`, that the call returned within 4 × the configured timeout, that it did
//! not panic, and that nothing reached the user store — the sign-in phases run
//! `validate_callback` end to end and, like an app, create the user on success. The
//! matrix itself lives in `portcullis_testkit::hostile`, so that the OpenID Connect crate
//! adds its discovery and JWKS rows by writing a `Trigger` and calling
//! `run_fault_matrix`, as below.

use std::time::{Duration, Instant};

use portcullis::{
    AccessToken, ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Provider, RefreshToken, RequestErrorKind,
};
use portcullis_testkit::hostile::{
    Fault, HostileServer, Judged, Outcome, Target, Trigger, run_fault_matrix, run_row,
};
use portcullis_testkit::{TestProvider, callback_for};

/// Short, so the whole matrix stays fast; the bound each row is held to is 4 × this.
const TIMEOUT: Duration = Duration::from_millis(300);

type Client = OAuthClient<TestProvider, MemoryAdapter<String>>;

/// A client whose endpoints all point at `base`, with the target's HTTP client.
fn client(base: &str, http: HttpClient, store: MemoryAdapter<String>) -> Client {
    OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
        store,
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(base).unwrap())
    .with_http_client(http)
}

/// A well-behaved provider for the steps before the faulty one.
async fn good_provider() -> mockito::ServerGuard {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at-good","token_type":"Bearer","expires_in":3600}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1","name":"Ada"}"#)
        .create_async()
        .await;
    server
}

/// A whole sign-in, as an app runs it: authorization URL, callback, `validate_callback`,
/// and `create_user` on success. `faulty` says which endpoint is the hostile server.
async fn sign_in(target: Target, faulty: Phase) -> Outcome {
    let good = good_provider().await;
    let store = MemoryAdapter::new();
    let mut endpoints = TestProvider.endpoints().rebased(&good.url()).unwrap();
    let hostile = TestProvider.endpoints().rebased(&target.url).unwrap();
    match faulty {
        Phase::TokenExchange => endpoints.token = hostile.token,
        Phase::UserInfo => endpoints.userinfo = hostile.userinfo,
        other => unreachable!("{other:?} is not a sign-in phase"),
    }
    let client = client(&good.url(), target.http, store.clone()).with_endpoints(endpoints);
    let auth = client.authorization_url();
    let result = match client
        .validate_callback(&callback_for(&auth, "the-code"), &auth.pending)
        .await
    {
        Ok(session) => session.create_user("Ada".into()).await.map(drop),
        Err(error) => Err(error),
    };
    Outcome {
        result,
        stored_users: store.user_count(),
    }
}

const TOKEN_EXCHANGE: Trigger = Trigger {
    phase: Phase::TokenExchange,
    judged: Judged::TokenEndpoint,
    never_retryable: true,
    run: |target| Box::pin(sign_in(target, Phase::TokenExchange)),
};

const USER_INFO: Trigger = Trigger {
    phase: Phase::UserInfo,
    judged: Judged::Json,
    never_retryable: true,
    run: |target| Box::pin(sign_in(target, Phase::UserInfo)),
};

const REFRESH: Trigger = Trigger {
    phase: Phase::Refresh,
    judged: Judged::TokenEndpoint,
    never_retryable: false,
    run: |target| {
        Box::pin(async move {
            let store = MemoryAdapter::new();
            let client = client(&target.url, target.http, store.clone());
            let result = client
                .refresh(&RefreshToken::new("rt-old".into()))
                .await
                .map(drop);
            Outcome {
                result,
                stored_users: store.user_count(),
            }
        })
    },
};

const REVOKE: Trigger = Trigger {
    phase: Phase::Revoke,
    judged: Judged::Revocation,
    never_retryable: false,
    run: |target| {
        Box::pin(async move {
            let store = MemoryAdapter::new();
            let client = client(&target.url, target.http, store.clone());
            let result = client.revoke(AccessToken::new("at-old".into())).await;
            Outcome {
                result,
                stored_users: store.user_count(),
            }
        })
    },
};

// Discovery and JWKS rows: `portcullis-oidc`'s tests write their own `Trigger` (phase
// `Phase::Discovery` / `Phase::Jwks`, `Judged::Json`) and call `run_fault_matrix`.

#[tokio::test]
async fn token_exchange_faults() {
    run_fault_matrix(&TOKEN_EXCHANGE, TIMEOUT).await;
}

#[tokio::test]
async fn user_info_faults() {
    run_fault_matrix(&USER_INFO, TIMEOUT).await;
}

#[tokio::test]
async fn refresh_faults() {
    run_fault_matrix(&REFRESH, TIMEOUT).await;
}

#[tokio::test]
async fn revoke_faults() {
    run_fault_matrix(&REVOKE, TIMEOUT).await;
}

/// The connect timeout applies on its own: with a long total timeout, a connection that
/// is never established still fails within a few connect timeouts.
#[tokio::test]
async fn the_connect_timeout_applies_on_its_own() {
    let server = HostileServer::start(Fault::Unaccepted).await.unwrap();
    let http = HttpClient::builder()
        .connect_timeout(TIMEOUT)
        .timeout(Duration::from_secs(30))
        .build()
        .unwrap();
    let client = client(server.url(), http, MemoryAdapter::new());
    let started = Instant::now();
    let err = client
        .refresh(&RefreshToken::new("rt-old".into()))
        .await
        .unwrap_err();
    assert!(started.elapsed() < TIMEOUT * 4, "{:?}", started.elapsed());
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    assert!(
        matches!(request.kind(), RequestErrorKind::Timeout),
        "{err:?}"
    );
    assert!(err.is_retryable(), "nothing reached the provider");
}

/// The matrix catches a client that gets it wrong: a trigger that ignores the faulty
/// server and succeeds is reported, row by row.
#[tokio::test]
async fn the_matrix_reports_a_wrong_outcome() {
    const IGNORES_THE_SERVER: Trigger = Trigger {
        phase: Phase::Refresh,
        judged: Judged::TokenEndpoint,
        never_retryable: false,
        run: |_| {
            Box::pin(async {
                Outcome {
                    result: Ok(()),
                    stored_users: 1,
                }
            })
        },
    };
    let why = run_row(&IGNORES_THE_SERVER, Fault::Html500, TIMEOUT)
        .await
        .unwrap_err();
    assert!(why.contains("got success"), "{why}");
    assert!(why.contains("1 user(s) stored"), "{why}");
}
