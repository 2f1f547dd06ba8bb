//! Token responses of any status, `Content-Type` and body: no panic, no 4xx/5xx taken
//! for tokens, only Bearer tokens accepted, and a successful answer's access token never
//! in an error message.
//!
//! The first byte picks the status and `Content-Type`; the rest is the body, with every
//! `$AT` replaced by a distinctive access token.

#![no_main]

mod harness;

use libfuzzer_sys::fuzz_target;
use portcullis::{Error, Phase};

const SECRET: &str = "AT-fuzz-Zq8xK2vN7pW4rT6y";
const STATUSES: [u16; 6] = [200, 201, 204, 400, 401, 500];
const CONTENT_TYPES: [Option<&str>; 5] = [
    Some("application/json"),
    Some("application/x-www-form-urlencoded"),
    Some("text/html"),
    Some("application/json; charset=utf-8"),
    None,
];

thread_local! {
    static HARNESS: harness::Harness = harness::Harness::new();
}

/// The body's `access_token`, read as the client reads it (JSON, or a form).
fn access_token(body: &[u8], form: bool) -> Option<String> {
    if form {
        url::form_urlencoded::parse(body)
            .find(|(k, _)| k == "access_token")
            .map(|(_, v)| v.into_owned())
    } else {
        let value: serde_json::Value = serde_json::from_slice(body).ok()?;
        value.get("access_token")?.as_str().map(str::to_owned)
    }
}

fuzz_target!(|data: &[u8]| {
    let Some((&selector, body)) = data.split_first() else {
        return;
    };
    let status = STATUSES[usize::from(selector) % STATUSES.len()];
    let content_type = CONTENT_TYPES[usize::from(selector / 8) % CONTENT_TYPES.len()];
    let body = String::from_utf8_lossy(body).replace("$AT", SECRET);
    let result = HARNESS.with(|h| h.exchange(status, content_type, body.as_bytes()));
    let success = (200..300).contains(&status);
    match result {
        Ok(tokens) => {
            assert!(success, "HTTP {status} taken for tokens");
            assert!(!tokens.access_token().secret().is_empty());
            assert_eq!(tokens.token_type(), "Bearer");
        }
        Err(error) => {
            let Error::Request(request) = &error else {
                panic!("not a request error: {error:?}");
            };
            assert_eq!(request.phase(), Phase::TokenExchange);
            assert!(!error.is_retryable());
            let form = content_type == Some("application/x-www-form-urlencoded");
            if success && access_token(body.as_bytes(), form).as_deref() == Some(SECRET) {
                let shown = format!("{error} {error:?}");
                assert!(!shown.contains(SECRET), "the access token leaked: {shown}");
            }
        }
    }
});
