//! ID tokens: what the core does with one is carry it from the token response to
//! `Tokens::id_token` verbatim and keep it out of `Debug`. Any string as the `id_token`
//! of a token response must come back unchanged and leave `Debug` as it was.
//!
//! Decoding and verifying the JWT belongs to `portcullis-oidc`; fuzzing its decoder is
//! pending there (see README.md).

#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;

thread_local! {
    static HARNESS: harness::Harness = harness::Harness::new();
}

fn body(id_token: &str) -> Vec<u8> {
    serde_json::json!({"access_token": "AT-id-token", "token_type": "Bearer", "id_token": id_token})
        .to_string()
        .into_bytes()
}

fuzz_target!(|id_token: &str| {
    HARNESS.with(|h| {
        let tokens = h
            .exchange(200, Some("application/json"), &body(id_token))
            .expect("a valid token response with any ID token");
        assert_eq!(tokens.id_token().map(|t| t.secret()), Some(id_token));
        let reference = h
            .exchange(200, Some("application/json"), &body("reference"))
            .unwrap();
        // `Debug` does not depend on the ID token at all.
        assert_eq!(format!("{tokens:?}"), format!("{reference:?}"));
        assert_eq!(
            format!("{:?}", tokens.id_token()),
            format!("{:?}", reference.id_token())
        );
    });
});
