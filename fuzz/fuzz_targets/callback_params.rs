//! `CallbackParams::from_query` and `from_pairs` on arbitrary input: no panic, the size
//! limits hold, and what was parsed round-trips through encoding.

#![no_main]

use libfuzzer_sys::fuzz_target;
use portcullis::{CallbackError, CallbackParams};

/// What an app can read of parsed parameters.
fn public(
    p: &CallbackParams,
) -> (
    Option<&str>,
    Option<&str>,
    Option<&str>,
    Option<CallbackError>,
) {
    (p.code(), p.state(), p.iss(), p.error())
}

fuzz_target!(|data: &[u8]| {
    let query = String::from_utf8_lossy(data);
    if let Ok(params) = CallbackParams::from_query(&query) {
        assert!(query.len() <= 16 * 1024);
        let mut again = Vec::new();
        for (name, value) in [
            ("code", params.code()),
            ("state", params.state()),
            ("iss", params.iss()),
        ] {
            if let Some(value) = value {
                assert!(value.len() <= 4 * 1024);
                again.push((name, value.to_owned()));
            }
        }
        if let Some(CallbackError::Provider {
            error,
            description,
            uri,
        }) = params.error()
        {
            again.push(("error", error));
            again.extend(description.map(|d| ("error_description", d)));
            again.extend(uri.map(|u| ("error_uri", u)));
        }
        // Decoded pairs: re-encoding may outgrow the query limit (`€` is 9 bytes encoded).
        let reparsed = CallbackParams::from_pairs(again.iter().map(|(k, v)| (*k, v.as_str())))
            .expect("what parsed once parses again");
        assert_eq!(public(&reparsed), public(&params));
        // And encoded, when that fits.
        let encoded = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(&again)
            .finish();
        if encoded.len() <= 16 * 1024 {
            let reparsed = CallbackParams::from_query(&encoded).expect("encoded, it parses too");
            assert_eq!(public(&reparsed), public(&params));
        }
        let _ = format!("{params:?}");
    }
    // The same text as already-decoded pairs (what axum's `Query` hands over).
    let pairs = query
        .split('&')
        .map(|pair| pair.split_once('=').unwrap_or((pair, "")));
    if let Err(error) = CallbackParams::from_pairs(pairs) {
        let _ = error.to_string();
    }
});
