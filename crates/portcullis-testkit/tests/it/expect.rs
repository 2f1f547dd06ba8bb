//! `expect`'s mocks match only the exact request, and its assertions only the error they
//! name: every provider crate's tests lean on both, so a matcher that let anything
//! through would make them all pass for nothing.

use std::panic::{AssertUnwindSafe, catch_unwind};

use mockito::Server;
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, Phase, RefreshToken, USER_AGENT,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{TestProvider, basic_auth};

const FORM: &str = "application/x-www-form-urlencoded";

/// Sends a request by hand and returns the status mockito answered: 501 when no mock
/// matched.
async fn status_of(request: reqwest::RequestBuilder) -> u16 {
    request.send().await.unwrap().status().as_u16()
}

fn post(server: &Server, path: &str, body: &str) -> reqwest::RequestBuilder {
    reqwest::Client::new()
        .post(format!("{}{path}", server.url()))
        .header("content-type", FORM)
        .header("accept", JSON)
        .header("user-agent", USER_AGENT)
        .body(body.to_owned())
}

#[tokio::test]
async fn token_request_matches_only_the_exact_form_and_credentials() {
    let mut server = Server::new_async().await;
    let body = Credentials::Body {
        id: "app",
        secret: "s3cret",
    };
    let form = [("grant_type", "refresh_token"), ("refresh_token", "r1")];
    let mock = expect::token_request(&mut server, "/token", body, &form)
        .reply(200, JSON, "{}")
        .await;
    let exact = "grant_type=refresh_token&refresh_token=r1&client_id=app&client_secret=s3cret";
    for (wrong, request) in [
        (
            "a field missing",
            post(
                &server,
                "/token",
                "grant_type=refresh_token&client_id=app&client_secret=s3cret",
            ),
        ),
        (
            "a field extra",
            post(&server, "/token", &format!("{exact}&scope=x")),
        ),
        (
            "a field repeated",
            post(&server, "/token", &format!("{exact}&refresh_token=r1")),
        ),
        (
            "no secret",
            post(
                &server,
                "/token",
                "grant_type=refresh_token&refresh_token=r1&client_id=app",
            ),
        ),
        (
            "Basic as well",
            post(&server, "/token", exact).header("authorization", basic_auth("app", "s3cret")),
        ),
        ("another path", post(&server, "/other", exact)),
        ("a query", post(&server, "/token?x=1", exact)),
        (
            "another user agent",
            post(&server, "/token", exact).header("user-agent", "curl/8"),
        ),
    ] {
        assert_eq!(status_of(request).await, 501, "{wrong}");
    }
    assert_eq!(status_of(post(&server, "/token", exact)).await, 200);
    mock.assert_async().await;

    // Basic: the credentials are the header, and not in the form.
    let basic = Credentials::Basic {
        id: "app",
        secret: "s3cret",
    };
    let mock = expect::token_request(&mut server, "/basic", basic, &form)
        .reply(200, JSON, "{}")
        .await;
    let fields = "grant_type=refresh_token&refresh_token=r1";
    assert_eq!(
        status_of(post(&server, "/basic", fields)).await,
        501,
        "no header"
    );
    let with_header =
        || post(&server, "/basic", fields).header("authorization", basic_auth("app", "s3cret"));
    assert_eq!(status_of(with_header()).await, 200);
    mock.assert_async().await;

    // Public: `client_id` alone.
    let public = Credentials::Public { id: "spa" };
    let mock = expect::token_request(&mut server, "/public", public, &form)
        .reply(200, JSON, "{}")
        .await;
    assert_eq!(
        status_of(post(&server, "/public", fields)).await,
        501,
        "no id"
    );
    assert_eq!(
        status_of(post(&server, "/public", &format!("{fields}&client_id=spa"))).await,
        200
    );
    mock.assert_async().await;
}

#[tokio::test]
async fn api_request_matches_only_the_exact_query_and_bearer_token() {
    let mut server = Server::new_async().await;
    let mock = expect::api_request(&mut server, "GET", "/me", &[("fields", "id,name")], "t1")
        .reply(200, JSON, "{}")
        .await;
    let base = server.url();
    let get = |path_and_query: &str| {
        reqwest::Client::new()
            .get(format!("{base}{path_and_query}"))
            .header("accept", JSON)
            .header("user-agent", USER_AGENT)
            .bearer_auth("t1")
    };
    for (wrong, request) in [
        ("no query", get("/me")),
        ("another value", get("/me?fields=id")),
        ("a parameter extra", get("/me?fields=id%2Cname&x=1")),
        (
            "another token",
            get("/me?fields=id%2Cname").bearer_auth("t2"),
        ),
        (
            "another accept",
            get("/me?fields=id%2Cname").header("accept", "text/html"),
        ),
    ] {
        assert_eq!(status_of(request).await, 501, "{wrong}");
    }
    // However the query is encoded.
    assert_eq!(status_of(get("/me?fields=id,name")).await, 200);
    mock.assert_async().await;

    let mock = expect::api_request(&mut server, "GET", "/plain", &[], "t1")
        .reply(200, JSON, "{}")
        .await;
    assert_eq!(
        status_of(get("/plain?x=1")).await,
        501,
        "an empty query means none"
    );
    assert_eq!(status_of(get("/plain")).await, 200);
    mock.assert_async().await;
}

/// Runs `check` and says whether it panicked.
fn panics(check: impl FnOnce()) -> bool {
    catch_unwind(AssertUnwindSafe(check)).is_err()
}

/// Answers the next refresh with `status`, `content_type` and `body`.
async fn answer_refresh(server: &mut Server, status: usize, content_type: &str, body: &str) {
    let credentials = Credentials::Basic {
        id: "app",
        secret: "s3cret",
    };
    let form = [("grant_type", "refresh_token"), ("refresh_token", "r1")];
    expect::token_request(server, "/token", credentials, &form)
        .reply(status, content_type, body)
        .await;
}

/// The error of a refresh the mock refuses.
async fn refresh_error(client: &OAuthClient<TestProvider, MemoryAdapter<String>>) -> Error {
    client
        .refresh(&RefreshToken::new("r1".to_owned()))
        .await
        .unwrap_err()
}

#[tokio::test]
async fn the_assertions_hold_only_for_the_error_they_name() {
    let mut server = Server::new_async().await;
    let config =
        ClientConfig::new("app", "s3cret").redirect_uri("http://app.test/cb".parse().unwrap());
    let client = expect::client(TestProvider, config, &server);

    let oauth = r#"{"error":"invalid_grant","error_description":"expired"}"#;
    answer_refresh(&mut server, 400, JSON, oauth).await;
    let err = refresh_error(&client).await;
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "invalid_grant", Some("expired"));
    for wrong in [
        (Phase::TokenExchange, 400, "invalid_grant", None),
        (Phase::Refresh, 401, "invalid_grant", None),
        (Phase::Refresh, 400, "invalid_client", None),
        (Phase::Refresh, 400, "invalid_grant", Some("other")),
    ] {
        let (phase, status, code, description) = wrong;
        assert!(
            panics(|| {
                expect::assert_oauth_error(&err, phase, status, code, description);
            }),
            "{wrong:?}"
        );
    }
    assert!(panics(|| {
        expect::assert_invalid_response(&err, Phase::Refresh, None);
    }));

    answer_refresh(&mut server, 502, "text/html", "<h1>down</h1>").await;
    let err = refresh_error(&client).await;
    expect::assert_unexpected_response(&err, Phase::Refresh, 502, "text/html", "down");
    for wrong in [
        (500, "text/html", "down"),
        (502, JSON, "down"),
        (502, "text/html", "up"),
    ] {
        let (status, content_type, excerpt) = wrong;
        assert!(
            panics(|| {
                expect::assert_unexpected_response(
                    &err,
                    Phase::Refresh,
                    status,
                    content_type,
                    excerpt,
                );
            }),
            "{wrong:?}"
        );
    }

    let wrong_type = r#"{"access_token":7,"token_type":"bearer"}"#;
    answer_refresh(&mut server, 200, JSON, wrong_type).await;
    let err = refresh_error(&client).await;
    expect::assert_invalid_response(&err, Phase::Refresh, Some("access_token"));
    for wrong in [None, Some("token_type")] {
        assert!(
            panics(|| {
                expect::assert_invalid_response(&err, Phase::Refresh, wrong);
            }),
            "{wrong:?}"
        );
    }

    answer_refresh(&mut server, 200, JSON, r#"{"access_token":"#).await;
    let err = refresh_error(&client).await;
    expect::assert_invalid_response(&err, Phase::Refresh, None);
}
