//! The fault matrix's OpenID Connect rows: discovery and the key set (JWKS) against
//! every way an issuer can misbehave — HTML 500, empty 502, 429/503 with `Retry-After`,
//! invalid or wrongly shaped JSON, truncated and 10 MiB bodies, a body that drips slower
//! than the timeout, a reset, a refused and an unaccepted connection, a redirect to
//! another host, an OAuth error sent with 200. Each row asserts the typed error and its
//! phase, retryability and `Retry-After`, and that the call returned in bounded time
//! (the runner and the faults are `portcullis_testkit::hostile`'s, shared with the
//! core's rows for the token exchange, user fetch, refresh and revocation).

use std::time::Duration;

use portcullis::Phase;
use portcullis_oidc::{Jwks, OidcMetadata};
use portcullis_testkit::hostile::{Judged, Outcome, Trigger, run_fault_matrix};

/// Short, so the whole matrix stays fast; each row is held to 4 × this.
const TIMEOUT: Duration = Duration::from_millis(300);

const DISCOVERY: Trigger = Trigger {
    phase: Phase::Discovery,
    judged: Judged::Json,
    never_retryable: false,
    run: |target| {
        Box::pin(async move {
            let result = OidcMetadata::discover(&target.url, &target.http)
                .await
                .map(drop);
            Outcome {
                result,
                stored_users: 0,
            }
        })
    },
};

const JWKS: Trigger = Trigger {
    phase: Phase::Jwks,
    judged: Judged::Json,
    never_retryable: false,
    run: |target| {
        Box::pin(async move {
            let url = format!("{}/jwks", target.url).parse().expect("a URL");
            let result = Jwks::new(url).load(&target.http, "oidc").await;
            Outcome {
                result,
                stored_users: 0,
            }
        })
    },
};

#[tokio::test]
async fn discovery_faults() {
    run_fault_matrix(&DISCOVERY, TIMEOUT).await;
}

#[tokio::test]
async fn jwks_faults() {
    run_fault_matrix(&JWKS, TIMEOUT).await;
}
