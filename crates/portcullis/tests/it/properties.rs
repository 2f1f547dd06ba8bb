//! Properties of the parsers that take what a provider (or whoever forged a request)
//! sends: the callback query, the token response, the ID token it carries. The same
//! inputs as the `cargo fuzz` targets in `fuzz/`, run by `proptest` on every
//! `cargo test` (`PROPTEST_CASES` sets how many cases).
//!
//! Token-response parsing is internal, so these properties go through the public path:
//! `exchange_code` against a local token endpoint that answers with the generated
//! status, `Content-Type` and body.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use portcullis::{
    CallbackError, CallbackParams, ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient,
    Provider, RequestErrorKind, Tokens,
};
use portcullis_testkit::TestProvider;
use portcullis_testkit::hostile::{HostileServer, Reply, response};
use proptest::prelude::*;
use proptest::test_runner::{Config, TestCaseError, TestRunner};
use serde_json::{Value, json};

const KNOWN: [&str; 6] = [
    "code",
    "state",
    "error",
    "error_description",
    "error_uri",
    "iss",
];

fn runner() -> TestRunner {
    TestRunner::new(Config {
        failure_persistence: None,
        ..Config::default()
    })
}

/// Any text, control characters and the query's own `&`, `=`, `%`, `+` included.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<String>(),
        "[&=%+ a-zA-Z0-9;#?/\\x00-\\x1f]{0,40}",
        "(%[0-9a-fA-F]{2}|%|[a-z]){0,20}",
    ]
}

/// A parameter name that Portcullis does not read.
fn unknown_name() -> impl Strategy<Value = String> {
    "[a-z_]{1,16}".prop_filter("a known parameter", |n| !KNOWN.contains(&n.as_str()))
}

/// What an app can read of parsed callback parameters.
fn public(
    params: &CallbackParams,
) -> (
    Option<&str>,
    Option<&str>,
    Option<&str>,
    Option<CallbackError>,
) {
    (params.code(), params.state(), params.iss(), params.error())
}

fn encode(pairs: &[(String, String)]) -> String {
    url::form_urlencoded::Serializer::new(String::new())
        .extend_pairs(pairs)
        .finish()
}

#[test]
fn arbitrary_callback_queries_never_panic_and_stay_within_limits() {
    let raw_pairs = prop::collection::vec(
        (
            prop_oneof![
                prop::sample::select(&KNOWN[..]).prop_map(str::to_owned),
                text()
            ],
            text(),
        ),
        0..8,
    )
    .prop_map(|pairs| {
        pairs
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("&")
    });
    let query = prop_oneof![text(), raw_pairs];
    runner()
        .run(&query, |query| {
            let Ok(params) = CallbackParams::from_query(&query) else {
                return Ok(());
            };
            prop_assert!(query.len() <= 16 * 1024);
            let mut values: Vec<String> = [params.code(), params.state(), params.iss()]
                .into_iter()
                .flatten()
                .map(str::to_owned)
                .collect();
            if let Some(CallbackError::Provider {
                error,
                description,
                uri,
            }) = params.error()
            {
                values.extend([Some(error), description, uri].into_iter().flatten());
            }
            for value in values {
                prop_assert!(value.len() <= 4096);
            }
            // What was parsed, encoded again, parses to the same.
            let mut again = Vec::new();
            for (name, value) in [
                ("code", params.code()),
                ("state", params.state()),
                ("iss", params.iss()),
            ] {
                if let Some(value) = value {
                    again.push((name.to_owned(), value.to_owned()));
                }
            }
            if let Some(CallbackError::Provider {
                error,
                description,
                uri,
            }) = params.error()
            {
                again.push(("error".to_owned(), error));
                again.extend(description.map(|d| ("error_description".to_owned(), d)));
                again.extend(uri.map(|u| ("error_uri".to_owned(), u)));
            }
            let reparsed = CallbackParams::from_query(&encode(&again))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(public(&reparsed), public(&params));
            Ok(())
        })
        .unwrap();
}

#[test]
fn known_callback_parameters_round_trip() {
    let known = prop::collection::vec(prop::option::of(text()), 6);
    let unknown = prop::collection::vec((unknown_name(), text()), 0..5);
    let input = (known, unknown).prop_flat_map(|(known, unknown)| {
        let mut pairs: Vec<(String, String)> = KNOWN
            .iter()
            .zip(&known)
            .filter_map(|(name, value)| value.clone().map(|v| ((*name).to_owned(), v)))
            .collect();
        pairs.extend(unknown);
        (Just(known), Just(pairs).prop_shuffle())
    });
    runner()
        .run(&input, |(known, pairs)| {
            let params = CallbackParams::from_query(&encode(&pairs))
                .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(params.code(), known[0].as_deref());
            prop_assert_eq!(params.state(), known[1].as_deref());
            prop_assert_eq!(params.iss(), known[5].as_deref());
            let expected = known[2].clone().map(|error| CallbackError::Provider {
                error,
                description: known[3].clone(),
                uri: known[4].clone(),
            });
            prop_assert_eq!(params.error(), expected);
            // The same pairs, already decoded.
            prop_assert_eq!(CallbackParams::from_pairs(pairs), Ok(params));
            Ok(())
        })
        .unwrap();
}

#[test]
fn a_known_callback_parameter_twice_is_always_refused() {
    let input = (
        prop::sample::select(&KNOWN[..]),
        text(),
        text(),
        prop::collection::vec((unknown_name(), text()), 0..4),
    )
        .prop_flat_map(|(name, a, b, mut others)| {
            others.push((name.to_owned(), a));
            others.push((name.to_owned(), b));
            (Just(name), Just(others).prop_shuffle())
        });
    runner()
        .run(&input, |(name, pairs)| {
            prop_assert_eq!(
                CallbackParams::from_query(&encode(&pairs)),
                Err(CallbackError::DuplicateParameter(name))
            );
            Ok(())
        })
        .unwrap();
}

/// A token endpoint that answers with whatever the current case sets, and a client
/// pointed at it.
struct TokenEndpoint {
    runtime: tokio::runtime::Runtime,
    next: Arc<Mutex<Vec<u8>>>,
    _server: HostileServer,
    client: OAuthClient<TestProvider, MemoryAdapter<()>>,
}

impl TokenEndpoint {
    fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let next = Arc::new(Mutex::new(Vec::new()));
        let answer = next.clone();
        let server = runtime
            .block_on(HostileServer::start_with(move |_| {
                Reply::Raw(answer.lock().unwrap().clone())
            }))
            .unwrap();
        let client = OAuthClient::new(
            TestProvider,
            ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
            MemoryAdapter::new(),
        )
        .unwrap()
        .with_endpoints(TestProvider.endpoints().rebased(server.url()).unwrap())
        .with_http_client(
            HttpClient::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        );
        TokenEndpoint {
            runtime,
            next,
            _server: server,
            client,
        }
    }

    /// Exchanges a code against an endpoint answering `status`, `content_type`, `body`.
    fn exchange(
        &self,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Tokens, Error> {
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        *self.next.lock().unwrap() = response(status, &headers, body);
        self.runtime
            .block_on(self.client.exchange_code("the-code", Some("the-verifier")))
    }
}

/// A value of any JSON type, for fields that should be of one.
fn any_json() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>()
            .prop_map(|f| serde_json::Number::from_f64(f).map_or(Value::Null, Value::Number)),
        text().prop_map(Value::from),
        prop::collection::vec(text().prop_map(Value::from), 0..3).prop_map(Value::from),
    ]
}

/// A token response as a real or sloppy or broken provider might send it, holding
/// `secret` as its access token (or not).
fn token_object(secret: String) -> BoxedStrategy<Value> {
    let access_token = prop_oneof![
        4 => Just(Value::from(secret)),
        1 => any_json(),
    ];
    let token_type = prop_oneof![
        prop::sample::select(vec!["Bearer", "bearer", "BEARER", "mac", "DPoP", "N_A"])
            .prop_map(Value::from),
        any_json(),
    ];
    let expires_in = prop_oneof![
        any::<u32>().prop_map(Value::from),
        any::<u32>().prop_map(|n| Value::from(format!(" {n} "))),
        any_json(),
    ];
    let scope = prop_oneof![
        prop::collection::vec("[a-z:._]{1,10}", 0..4).prop_map(|s| Value::from(s.join(" "))),
        prop::collection::vec("[a-z:._]{1,10}", 0..4).prop_map(|s| Value::from(s.join(","))),
        prop::collection::vec("[a-z:._]{1,10}", 0..4).prop_map(Value::from),
        any_json(),
    ];
    (
        prop::option::of(access_token),
        prop::option::of(token_type),
        prop::option::of(expires_in),
        prop::option::of(scope),
        prop::option::of(any_json()),
        prop::option::of(any_json()),
        prop::option::of(prop_oneof![text().prop_map(Value::from), any_json()]),
        prop::option::of((unknown_name(), any_json())),
    )
        .prop_map(
            |(access_token, token_type, expires_in, scope, refresh, id, error, extra)| {
                let mut object = serde_json::Map::new();
                for (name, value) in [
                    ("access_token", access_token),
                    ("token_type", token_type),
                    ("expires_in", expires_in),
                    ("scope", scope),
                    ("refresh_token", refresh),
                    ("id_token", id),
                    ("error", error),
                ] {
                    if let Some(value) = value {
                        object.insert(name.to_owned(), value);
                    }
                }
                if let Some((name, value)) = extra {
                    object.insert(name, value);
                }
                Value::Object(object)
            },
        )
        .boxed()
}

/// A form-encoded version of a JSON object (strings as they are, the rest as JSON).
fn as_form(object: &Value) -> Vec<u8> {
    let mut form = url::form_urlencoded::Serializer::new(String::new());
    for (name, value) in object.as_object().into_iter().flatten() {
        match value {
            Value::String(s) => form.append_pair(name, s),
            other => form.append_pair(name, &other.to_string()),
        };
    }
    form.finish().into_bytes()
}

#[test]
fn arbitrary_token_responses_never_panic_and_never_leak_the_access_token() {
    let endpoint = TokenEndpoint::new();
    let body = "AT-[A-Za-z0-9]{12,24}".prop_flat_map(|secret| {
        let object = token_object(secret.clone());
        let body = prop_oneof![
            2 => object.clone().prop_map(|o| o.to_string().into_bytes()),
            1 => object.clone().prop_map(|o| as_form(&o)),
            // Cut short anywhere.
            1 => (object, any::<prop::sample::Index>()).prop_map(|(o, cut)| {
                let bytes = o.to_string().into_bytes();
                let at = cut.index(bytes.len() + 1);
                bytes[..at].to_vec()
            }),
            1 => prop::collection::vec(any::<u8>(), 0..200),
        ];
        (Just(secret), body)
    });
    let input = (
        prop::sample::select(vec![200u16, 201, 204, 400, 401, 500]),
        prop::option::of(prop::sample::select(vec![
            "application/json",
            "application/json; charset=utf-8",
            "application/x-www-form-urlencoded",
            "text/html",
            "text/plain",
        ])),
        body,
    );
    runner()
        .run(&input, |(status, content_type, (secret, body))| {
            let result = endpoint.exchange(status, content_type, &body);
            let success = (200..300).contains(&status);
            match result {
                Ok(tokens) => {
                    prop_assert!(success, "a {} was taken for tokens", status);
                    prop_assert!(!tokens.access_token().secret().is_empty());
                    prop_assert_eq!(tokens.token_type(), "Bearer");
                    let debug = format!("{tokens:?}");
                    prop_assert!(!debug.contains(tokens.access_token().secret()), "{}", debug);
                }
                Err(error) => {
                    let Error::Request(request) = &error else {
                        return Err(TestCaseError::fail(format!("{error:?}")));
                    };
                    prop_assert_eq!(request.phase(), portcullis::Phase::TokenExchange);
                    prop_assert!(!error.is_retryable());
                    // A successful answer's body is never shown: the access token in
                    // it stays out of every message.
                    if success {
                        let shown = format!("{error} {error:?}");
                        prop_assert!(!shown.contains(&secret), "{}", shown);
                    }
                }
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn the_tolerated_token_response_shapes_parse_to_the_same_tokens() {
    let endpoint = TokenEndpoint::new();
    let scopes = prop::collection::vec("[a-z][a-z:._]{0,9}", 1..4);
    let input = (
        "AT-[A-Za-z0-9]{12,24}",
        // A missing `token_type` is Bearer (LinkedIn), and its case does not matter
        // (GitHub sends `bearer`).
        prop::option::of("[bB][eE][aA][rR][eE][rR]"),
        // `expires_in` as a number or a string (Azure AD v1).
        prop::option::of((any::<u32>(), any::<bool>())),
        // Scopes space- or comma-separated (GitHub) or as an array (Twitch).
        prop::option::of((scopes, 0..3usize)),
        // JSON, or a form body (GitHub without `Accept: application/json`).
        any::<bool>(),
    );
    runner()
        .run(&input, |(secret, token_type, expires_in, scopes, form)| {
            let mut object = json!({ "access_token": secret });
            if let Some(token_type) = &token_type {
                object["token_type"] = json!(token_type);
            }
            if let Some((n, as_string)) = expires_in {
                object["expires_in"] = if as_string || form {
                    json!(n.to_string())
                } else {
                    json!(n)
                };
            }
            if let Some((scopes, form_of)) = &scopes {
                object["scope"] = match (form_of, form) {
                    (0, _) => json!(scopes.join(" ")),
                    (1, _) | (2, true) => json!(scopes.join(",")),
                    _ => json!(scopes),
                };
            }
            let (content_type, body) = if form {
                ("application/x-www-form-urlencoded", as_form(&object))
            } else {
                ("application/json", object.to_string().into_bytes())
            };
            let tokens = endpoint
                .exchange(200, Some(content_type), &body)
                .map_err(|e| TestCaseError::fail(format!("{object}: {e:?}")))?;
            prop_assert_eq!(tokens.access_token().secret(), &secret);
            prop_assert_eq!(tokens.token_type(), "Bearer");
            prop_assert_eq!(
                tokens.expires_in(),
                expires_in.map(|(n, _)| Duration::from_secs(n.into()))
            );
            prop_assert_eq!(
                tokens.scopes().map(<[String]>::to_vec),
                scopes.map(|(s, _)| s)
            );
            Ok(())
        })
        .unwrap();
}

#[test]
fn what_matters_is_strict() {
    let endpoint = TokenEndpoint::new();
    let input = (
        prop_oneof![
            // No access token, or an empty one.
            Just(None),
            Just(Some(String::new())),
            "AT-[A-Za-z0-9]{12,24}".prop_map(Some),
        ],
        // Any token type but Bearer.
        "[A-Za-z_-]{1,12}".prop_filter("Bearer", |t| !t.eq_ignore_ascii_case("bearer")),
    );
    runner()
        .run(&input, |(access_token, token_type)| {
            let mut object = json!({ "token_type": token_type });
            if let Some(access_token) = &access_token {
                object["access_token"] = json!(access_token);
            }
            let error = endpoint
                .exchange(200, Some("application/json"), object.to_string().as_bytes())
                .err()
                .ok_or_else(|| TestCaseError::fail(format!("{object} was accepted")))?;
            let Error::Request(request) = &error else {
                return Err(TestCaseError::fail(format!("{error:?}")));
            };
            let field = match request.kind() {
                RequestErrorKind::InvalidResponse { field, .. } => field.clone(),
                other => return Err(TestCaseError::fail(format!("{other:?}"))),
            };
            let expected = if access_token.as_deref().is_some_and(|t| !t.is_empty()) {
                "token_type"
            } else {
                "access_token"
            };
            prop_assert_eq!(field.as_deref(), Some(expected));
            if let Some(access_token) = access_token.filter(|t| !t.is_empty()) {
                let shown = format!("{error} {error:?}");
                prop_assert!(!shown.contains(&access_token), "{}", shown);
            }
            Ok(())
        })
        .unwrap();
}

#[test]
fn id_tokens_are_carried_verbatim_and_never_shown() {
    let endpoint = TokenEndpoint::new();
    // JWT-shaped or not: the core carries the ID token, the OpenID Connect crate reads it.
    let id_token = prop_oneof![
        "[A-Za-z0-9_-]{8,40}\\.[A-Za-z0-9_-]{8,80}\\.[A-Za-z0-9_-]{0,40}",
        "idt-\\PC{4,60}",
    ];
    runner()
        .run(&id_token, |id_token| {
            let body = json!({"access_token": "AT-id-token-case", "token_type": "Bearer", "id_token": id_token});
            let tokens = endpoint
                .exchange(200, Some("application/json"), body.to_string().as_bytes())
                .map_err(|e| TestCaseError::fail(format!("{e:?}")))?;
            prop_assert_eq!(tokens.id_token().map(|t| t.secret()), Some(id_token.as_str()));
            let debug = format!("{tokens:?} {:?}", tokens.id_token());
            prop_assert!(!debug.contains(&id_token), "{}", debug);
            Ok(())
        })
        .unwrap();
}

#[test]
fn arbitrary_authorization_codes_never_panic_and_never_show() {
    // The code comes from the callback: whoever sends it chooses it. The provider here
    // echoes the whole request in its error, as an OAuth error and as an error page.
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let page = Arc::new(Mutex::new(false));
    let as_page = page.clone();
    let server = runtime
        .block_on(HostileServer::start_with(move |request| {
            let echo = String::from_utf8_lossy(request).into_owned();
            Reply::Raw(if *as_page.lock().unwrap() {
                response(500, &[("content-type", "text/plain")], echo.as_bytes())
            } else {
                response(
                    400,
                    &[("content-type", "application/json")],
                    json!({"error": "invalid_grant", "error_description": echo})
                        .to_string()
                        .as_bytes(),
                )
            })
        }))
        .unwrap();
    let client = OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
        MemoryAdapter::<()>::new(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(server.url()).unwrap());
    // A distinctive start, so that no fixed text of a message can contain the code.
    let input = ("C0DE-\\PC{3,80}", any::<bool>());
    runner()
        .run(&input, |(code, as_error_page)| {
            *page.lock().unwrap() = as_error_page;
            let params = CallbackParams::from_query(&encode(&[
                ("code".to_owned(), code.clone()),
                ("state".to_owned(), "s".to_owned()),
            ]))
            .map_err(|e| TestCaseError::fail(format!("{e}")))?;
            prop_assert_eq!(params.code(), Some(code.as_str()));
            let error = runtime
                .block_on(client.exchange_code(&code, Some("a-verifier-of-some-length")))
                .err()
                .ok_or_else(|| TestCaseError::fail("the provider refused"))?;
            let shown = format!("{error} {error:?}");
            prop_assert!(!shown.contains(&code), "{}", shown);
            Ok(())
        })
        .unwrap();
}
