//! `portcullis-oidc`'s `IdTokenVerifier::verify` on arbitrary strings: no panic, every
//! failure an `Error::IdToken` (or a key-set request error), and the token never in the
//! message.
//!
//! The verifier allows every algorithm (HMAC with a secret, so the symmetric path runs
//! without keys) and fetches its key set, an empty one, from a local server.

#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::{Error, HttpClient, Phase};
use portcullis_oidc::{Algorithm, IdTokenChecks, IdTokenVerifier, Jwks};
use portcullis_testkit::hostile::{HostileServer, Reply, response};

const ISSUER: &str = "https://issuer.fuzz.test";
const CLIENT_ID: &str = "fuzz-client";

struct Harness {
    runtime: tokio::runtime::Runtime,
    _server: HostileServer,
    http: HttpClient,
    verifier: IdTokenVerifier,
}

thread_local! {
    static HARNESS: Harness = {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let server = runtime
            .block_on(HostileServer::start_with(|_| {
                Reply::Raw(response(200, &[("content-type", "application/json")], br#"{"keys":[]}"#))
            }))
            .unwrap();
        let jwks = Jwks::new(format!("{}/jwks", server.url()).parse().unwrap())
            .with_min_refresh_interval(std::time::Duration::from_secs(3600));
        let verifier = IdTokenVerifier::new(ISSUER, jwks)
            .algorithms([
                Algorithm::Rs256,
                Algorithm::Rs384,
                Algorithm::Rs512,
                Algorithm::Ps256,
                Algorithm::Es256,
                Algorithm::Es384,
                Algorithm::Hs256,
                Algorithm::Hs384,
                Algorithm::Hs512,
            ])
            .hmac_secret("fuzz-hmac-secret-0123456789abcdef");
        Harness { runtime, _server: server, http: HttpClient::new(), verifier }
    };
}

fuzz_target!(|token: &str| {
    HARNESS.with(|h| {
        let checks = IdTokenChecks::new(CLIENT_ID).nonce("fuzz-nonce");
        let result = h
            .runtime
            .block_on(h.verifier.verify(&h.http, "fuzz", token, &checks));
        match result {
            Ok(verified) => assert_eq!(verified.issuer(), ISSUER),
            Err(Error::IdToken(error)) => {
                // Only a JWT-shaped input can be "the token": the fuzzer learns the
                // messages' own words and feeds them back.
                if token.matches('.').count() >= 2 && token.len() >= 16 {
                    assert!(!format!("{error} {error:?}").contains(token), "{error:?}");
                }
            }
            Err(Error::Request(request)) => assert_eq!(request.phase(), Phase::Jwks),
            Err(other) => panic!("not an ID-token error: {other:?}"),
        }
    });
});
