//! Forged and malformed callbacks: every one is a typed error, none is retryable, and
//! none makes a request to the provider or writes to the store.

use mockito::{Server, ServerGuard};
use portcullis::{
    CallbackError, CallbackParams, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider,
    Provider,
};
use portcullis_testkit::{TestProvider, callback_for};

type Client = OAuthClient<TestProvider, MemoryAdapter<String>>;

/// `TestProvider`'s issuer.
const ISSUER: &str = "https://auth.test.invalid";

fn client(server: &ServerGuard, store: MemoryAdapter<String>) -> Client {
    OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
        store,
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(&server.url()).unwrap())
}

/// Whether a callback error is the one a case expects.
type IsExpected = fn(&CallbackError) -> bool;

/// A callback's parameters, the error it must get, and that error's code.
type Case<'a> = (Vec<(&'a str, &'a str)>, IsExpected, &'static str);

fn query(pairs: &[(&str, &str)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[tokio::test]
async fn forged_callbacks_are_refused_before_any_request() {
    let mut server = Server::new_async().await;
    let token = server.mock("POST", "/token").expect(0).create_async().await;
    let store = MemoryAdapter::new();
    let client = client(&server, store.clone());
    let auth = client.authorization_url();
    let state = auth.pending.state().to_owned();
    let doubled = format!("{state}{state}");
    let other = client.authorization_url();
    let markup = "<script>alert(1)</script>";

    let cases: Vec<Case<'_>> = vec![
        (
            // The provider's error comes first, even with a forged state.
            vec![
                ("error", "access_denied"),
                ("error_description", markup),
                ("state", "forged"),
            ],
            |e| {
                e.is_access_denied()
                    && matches!(e, CallbackError::Provider { description: Some(d), .. } if d == "<script>alert(1)</script>")
            },
            "PROVIDER_ERROR",
        ),
        (
            vec![("error", "server_error")],
            |e| matches!(e, CallbackError::Provider { error, .. } if error == "server_error"),
            "PROVIDER_ERROR",
        ),
        (
            vec![("code", "c")],
            |e| matches!(e, CallbackError::MissingState),
            "STATE_MISMATCH",
        ),
        (
            vec![("code", "c"), ("state", "")],
            |e| matches!(e, CallbackError::StateMismatch),
            "STATE_MISMATCH",
        ),
        (
            vec![("code", "c"), ("state", "forged")],
            |e| matches!(e, CallbackError::StateMismatch),
            "STATE_MISMATCH",
        ),
        (
            // The state of another sign-in of the same browser.
            vec![("code", "c"), ("state", other.pending.state())],
            |e| matches!(e, CallbackError::StateMismatch),
            "STATE_MISMATCH",
        ),
        (
            vec![("code", "c"), ("state", &state[..state.len() - 1])],
            |e| matches!(e, CallbackError::StateMismatch),
            "STATE_MISMATCH",
        ),
        (
            vec![("code", "c"), ("state", &doubled)],
            |e| matches!(e, CallbackError::StateMismatch),
            "STATE_MISMATCH",
        ),
        (
            // Mix-up: the response names another authorization server.
            vec![
                ("code", "c"),
                ("state", &state),
                ("iss", "https://evil.example"),
            ],
            |e| {
                matches!(e, CallbackError::IssuerMismatch { expected, found }
                    if expected == ISSUER && found == "https://evil.example")
            },
            "ISSUER_MISMATCH",
        ),
        (
            // Issuers are compared exactly (RFC 9207 §2.4): no normalisation.
            vec![
                ("code", "c"),
                ("state", &state),
                ("iss", "https://auth.test.invalid/"),
            ],
            |e| matches!(e, CallbackError::IssuerMismatch { .. }),
            "ISSUER_MISMATCH",
        ),
        (
            vec![("code", "c"), ("state", &state), ("iss", "")],
            |e| matches!(e, CallbackError::IssuerMismatch { .. }),
            "ISSUER_MISMATCH",
        ),
        (
            vec![("state", &state)],
            |e| matches!(e, CallbackError::MissingCode),
            "INVALID_CALLBACK",
        ),
    ];
    for (pairs, is_expected, code) in cases {
        let params = CallbackParams::from_query(&query(&pairs)).unwrap();
        let err = client
            .validate_callback(&params, &auth.pending)
            .await
            .unwrap_err();
        let Error::Callback(callback) = &err else {
            panic!("{pairs:?}: {err:?}")
        };
        assert!(is_expected(callback), "{pairs:?}: {callback:?}");
        assert_eq!(err.code(), code, "{pairs:?}");
        assert!(!err.is_retryable(), "{pairs:?}");
    }
    token.assert_async().await;
    assert_eq!(store.user_count(), 0);
}

#[tokio::test]
async fn a_matching_or_absent_issuer_is_accepted() {
    let mut server = Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
        .expect(2)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1"}"#)
        .create_async()
        .await;
    let client = client(&server, MemoryAdapter::new());
    let auth = client.authorization_url();
    let with_iss = CallbackParams::from_query(&query(&[
        ("code", "c"),
        ("state", auth.pending.state()),
        ("iss", ISSUER),
    ]))
    .unwrap();
    assert!(
        client
            .validate_callback(&with_iss, &auth.pending)
            .await
            .is_ok()
    );
    let without = callback_for(&auth, "c");
    assert!(
        client
            .validate_callback(&without, &auth.pending)
            .await
            .is_ok()
    );
}

#[test]
fn malformed_callbacks_are_typed_errors() {
    let known = [
        "code",
        "state",
        "error",
        "error_description",
        "error_uri",
        "iss",
    ];
    for name in known {
        // Twice, even with the same value, and even when one is percent-encoded.
        for query in [
            format!("{name}=a&{name}=b"),
            format!("{name}=a&{name}=a"),
            format!("{name}=a&x=1&{}=b", name.replacen('e', "%65", 1)),
        ] {
            let err = CallbackParams::from_query(&query).unwrap_err();
            assert_eq!(err, CallbackError::DuplicateParameter(name), "{query}");
            assert_eq!(Error::from(err).code(), "INVALID_CALLBACK");
        }
        // At the limit is fine, one byte over is not.
        let at_limit = format!("{name}={}", "a".repeat(4096));
        assert!(CallbackParams::from_query(&at_limit).is_ok(), "{name}");
        let over = format!("{name}={}", "a".repeat(4097));
        assert_eq!(
            CallbackParams::from_query(&over),
            Err(CallbackError::TooLong(name))
        );
    }
    // Unknown parameters are kept for the provider (first occurrence), repeated or not,
    // and change nothing of the standard ones.
    let p = CallbackParams::from_query("code=c&state=s&scope=a&scope=b&session_state=x").unwrap();
    assert_eq!(
        (p.code(), p.state(), p.error()),
        (Some("c"), Some("s"), None)
    );
    assert_eq!(p.extra("scope"), Some("a"));
    assert_eq!(p.extra("session_state"), Some("x"));
    // A query of many small parameters is as limited as one large one.
    let many = vec![("x", "a".repeat(1000)); 17];
    assert_eq!(
        CallbackParams::from_pairs(many),
        Err(CallbackError::TooLong("query"))
    );
    // Broken percent-encoding and invalid UTF-8 do not panic; they decode lossily.
    let p = CallbackParams::from_query("code=%zz%ff%&state=%E2%82").unwrap();
    assert_eq!(p.code(), Some("%zz\u{fffd}%"));
    assert_eq!(p.state(), Some("\u{fffd}"));
    // Errors say what, never echo the value.
    let err = CallbackParams::from_query(&format!("code={}", "SECRET".repeat(1000))).unwrap_err();
    assert!(!err.to_string().contains("SECRET"), "{err}");
}

#[test]
fn a_provider_error_keeps_its_text_verbatim_for_the_app_to_escape() {
    let p = CallbackParams::from_query(
        "error=access_denied&error_description=%3Cb%3Eno%3C%2Fb%3E&error_uri=javascript%3Aalert(1)",
    )
    .unwrap();
    let err = p.error().unwrap();
    assert_eq!(
        err,
        CallbackError::Provider {
            error: "access_denied".into(),
            description: Some("<b>no</b>".into()),
            uri: Some("javascript:alert(1)".into()),
        }
    );
    // The core's message is for logs, not HTML: it says what the provider said.
    assert_eq!(
        err.to_string(),
        "the provider returned an error: access_denied (<b>no</b>)"
    );
}
