//! Micro benchmark: verifying a sign-in's ID token with the issuer's keys already cached,
//! beside bare `openidconnect` doing the same, in one Criterion group.
//!
//! | group | `portcullis` | `baseline` |
//! |---|---|---|
//! | `id_token_verification` | `IdTokenVerifier::verify` with a loaded `Jwks` | `CoreIdToken::from_str` + `claims()` with a `CoreIdTokenVerifier` over the same keys |
//!
//! Both verify the same RS256 token (Google-shaped claims, with `nonce`, `at_hash`,
//! `email_verified`) against the same two-key set: the signature, `iss`, `aud`, `exp`,
//! `iat` and `nonce`. Portcullis also checks the header, every standard claim's type
//! and `at_hash`, and picks the key by `kid`, type and `use`; `openidconnect` parses
//! the standard claims into its typed struct. Portcullis' `verify` is async (it may
//! fetch the key set), so its side runs on a current-thread runtime's `block_on`.
//!
//! ```text
//! cargo bench -p portcullis-oidc --bench id_token
//! ```
//!
//! See `docs/performance.md`; `cargo xtask bench` runs this and reports the ratio.

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::time::{Duration, SystemTime};

use criterion::{Criterion, criterion_group, criterion_main};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKeySet};
use openidconnect::{ClientId, IssuerUrl, Nonce};
use portcullis::HttpClient;
use portcullis_oidc::{Algorithm, IdTokenChecks, IdTokenVerifier, Jwks};
use portcullis_testkit::jwt::{Signer, jwks, unix};
use serde_json::json;

const CLIENT_ID: &str = "1234987819200.apps.googleusercontent.com";
const NONCE: &str = "n-0S6_WzA2Mj";
const ACCESS_TOKEN: &str = "ya29.a0AfB_byC-bench-access-token";

fn id_token_verification(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a runtime");
    let signer = Signer::rsa_1();
    let key_set = jwks(&[&signer, &Signer::rsa_2()]);

    // The issuer serves its keys once; the benchmark runs on the cached set.
    let mut server = runtime.block_on(mockito::Server::new_async());
    let keys_mock = runtime.block_on(
        server
            .mock("GET", "/oauth2/v3/certs")
            .with_header("content-type", "application/json")
            .with_body(&key_set)
            .expect(1)
            .create_async(),
    );
    let issuer = server.url();
    let http = HttpClient::new();
    let verifier = IdTokenVerifier::new(
        &issuer,
        Jwks::new(
            format!("{issuer}/oauth2/v3/certs")
                .parse()
                .expect("a valid URL"),
        ),
    )
    .algorithms([Algorithm::Rs256]);
    runtime
        .block_on(verifier.jwks().load(&http, "google"))
        .expect("the key set loads");

    let now = unix(SystemTime::now());
    let token = signer.sign(&json!({
        "iss": issuer,
        "azp": CLIENT_ID,
        "aud": CLIENT_ID,
        "sub": "110169484474386276334",
        "email": "jane@example.com",
        "email_verified": true,
        "at_hash": signer.at_hash(ACCESS_TOKEN),
        "nonce": NONCE,
        "name": "Jane Doe",
        "picture": "https://lh3.googleusercontent.com/a/photo",
        "given_name": "Jane",
        "family_name": "Doe",
        "iat": now,
        // Valid for the whole run, however long the measurement is made.
        "exp": now + 24 * 3600,
    }));
    let checks = IdTokenChecks::new(CLIENT_ID)
        .nonce(NONCE)
        .access_token(ACCESS_TOKEN);

    let bare = CoreIdTokenVerifier::new_public_client(
        ClientId::new(CLIENT_ID.to_owned()),
        IssuerUrl::new(issuer.clone()).expect("a valid issuer"),
        serde_json::from_str::<CoreJsonWebKeySet>(&key_set).expect("a key set"),
    );
    let nonce = Nonce::new(NONCE.to_owned());
    let verify_bare = |token: &str| -> Result<String, String> {
        let token: CoreIdToken = token.parse().map_err(|e| format!("{e}"))?;
        let claims = token.claims(&bare, &nonce).map_err(|e| format!("{e}"))?;
        Ok(claims.subject().to_string())
    };

    // Both sides accept the token before anything is timed.
    let verified = runtime
        .block_on(verifier.verify(&http, "google", &token, &checks))
        .expect("Portcullis accepts the token");
    assert_eq!(verified.subject(), "110169484474386276334");
    assert_eq!(
        verify_bare(&token).expect("openidconnect accepts the token"),
        "110169484474386276334"
    );

    let mut group = c.benchmark_group("id_token_verification");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            black_box(
                runtime
                    .block_on(verifier.verify(&http, "google", black_box(&token), &checks))
                    .expect("verified"),
            )
        });
    });
    group.bench_function("baseline", |b| {
        b.iter(|| black_box(verify_bare(black_box(&token)).expect("verified")));
    });
    group.finish();
    // The key set was fetched once, for the warm-up load, never while timing.
    runtime.block_on(keys_mock.assert_async());
}

criterion_group! {
    name = id_token;
    // Short enough for `cargo xtask bench` on a busy 2-core machine; the command line
    // (`-- --measurement-time 10`) overrides it.
    config = Criterion::default()
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = id_token_verification
}
criterion_main!(id_token);
