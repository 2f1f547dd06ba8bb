//! Hostile and sloppy providers: every failure is a typed error, in bounded time, with no
//! secret in it — and the tolerances real providers need still parse.

use std::time::{Duration, Instant};

use mockito::Server;
use portcullis::{
    ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient, Phase, Provider, RefreshToken,
    RequestErrorKind,
};
use portcullis_testkit::TestProvider;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

type Client = OAuthClient<TestProvider, MemoryAdapter<()>>;

const TIMEOUT: Duration = Duration::from_millis(500);

fn client(base: &str) -> Client {
    OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "csecret-value")
            .redirect_uri("http://app.test/cb".parse().unwrap()),
        MemoryAdapter::new(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(base).unwrap())
    .with_http_client(
        HttpClient::builder()
            .timeout(TIMEOUT)
            .connect_timeout(TIMEOUT)
            .max_body_bytes(64 * 1024)
            .build()
            .unwrap(),
    )
}

fn request_kind(err: &Error) -> &RequestErrorKind {
    match err {
        Error::Request(e) => e.kind(),
        other => panic!("expected a request error, got {other:?}"),
    }
}

/// Asserts no secret made it into the error's text or debug form.
fn assert_clean(err: &Error) {
    let text = format!("{err} {err:?}");
    for secret in ["csecret-value", "the-code", "SECRET-TOKEN", "old-refresh"] {
        assert!(!text.contains(secret), "{secret} leaked into {text}");
    }
}

async fn token_answers(
    status: usize,
    content_type: &str,
    body: impl AsRef<[u8]>,
) -> (mockito::ServerGuard, Client) {
    let mut server = Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_status(status)
        .with_header("content-type", content_type)
        .with_body(body)
        .create_async()
        .await;
    let client = client(&server.url());
    (server, client)
}

/// A raw TCP server that runs `serve` on each connection.
async fn raw_server<F, Fut>(serve: F) -> String
where
    F: Fn(tokio::net::TcpStream) -> Fut + Send + 'static,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        while let Ok((stream, _)) = listener.accept().await {
            tokio::spawn(serve(stream));
        }
    });
    format!("http://{addr}")
}

async fn read_request(stream: &mut tokio::net::TcpStream) {
    let mut buf = [0u8; 4096];
    let _ = stream.read(&mut buf).await;
}

#[tokio::test]
async fn html_500_is_unexpected_with_an_excerpt() {
    let (_s, client) = token_answers(500, "text/html", "<h1>Internal Server Error</h1>").await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::UnexpectedResponse { status: 500, excerpt, .. } if excerpt.contains("Internal Server Error")),
        "{err:?}"
    );
    assert!(!err.is_retryable());
    assert_clean(&err);
}

#[tokio::test]
async fn empty_502() {
    let (_s, client) = token_answers(502, "text/plain", "").await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert!(
        matches!(
            request_kind(&err),
            RequestErrorKind::UnexpectedResponse { status: 502, .. }
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn rate_limited_refresh_is_retryable_after_the_given_time() {
    let mut server = Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_status(429)
        .with_header("retry-after", "30")
        .with_body("slow down")
        .create_async()
        .await;
    let client = client(&server.url());
    let err = client
        .refresh(&RefreshToken::new("old-refresh".into()))
        .await
        .unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    let Error::Request(request) = &err else {
        unreachable!()
    };
    assert_eq!(request.phase(), Phase::Refresh);
    assert_clean(&err);
}

#[tokio::test]
async fn invalid_truncated_and_wrongly_shaped_json() {
    for (body, expect) in [
        ("{not json", "not valid JSON"),
        (
            r#"{"access_token":"SECRET-TOKEN","token_ty"#,
            "truncated JSON",
        ),
        (
            r#"{"access_token":42,"token_type":"Bearer"}"#,
            "access_token",
        ),
        (r#"["access_token"]"#, "wrong type"),
    ] {
        let (_s, client) = token_answers(200, "application/json", body).await;
        let err = client.exchange_code("the-code", None).await.unwrap_err();
        assert!(
            matches!(request_kind(&err), RequestErrorKind::InvalidResponse { .. }),
            "{body}: {err:?}"
        );
        assert!(err.to_string().contains(expect), "{body}: {err}");
        assert_clean(&err);
    }
}

/// GitHub answers a bad code with its error object and HTTP 200.
#[tokio::test]
async fn oauth_error_sent_with_200_github() {
    let (_s, client) = token_answers(
        200,
        "application/json; charset=utf-8",
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.","error_uri":"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}"#,
    )
    .await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        request.oauth_error().unwrap().error,
        "bad_verification_code"
    );
    assert!(matches!(
        request.kind(),
        RequestErrorKind::OAuth { status: 200, .. }
    ));
    assert!(!err.is_retryable());
}

/// GitHub's token endpoint answers form-encoded unless asked for JSON ("By default, the
/// response takes the following form: access_token=…&scope=repo%2Cgist&token_type=bearer").
#[tokio::test]
async fn form_encoded_success_github_without_accept() {
    let (_s, client) = token_answers(
        200,
        "application/x-www-form-urlencoded; charset=utf-8",
        "access_token=SECRET-TOKEN&scope=repo%2Cgist&token_type=bearer",
    )
    .await;
    let tokens = client.exchange_code("the-code", None).await.unwrap();
    assert_eq!(tokens.access_token().secret(), "SECRET-TOKEN");
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.scopes().unwrap(), ["repo", "gist"]);
}

#[tokio::test]
async fn success_as_form_body_and_with_201() {
    let (_s, client) = token_answers(
        200,
        "application/x-www-form-urlencoded",
        "access_token=SECRET-TOKEN&token_type=bearer&expires_in=3600&scope=a%20b",
    )
    .await;
    let tokens = client.exchange_code("the-code", None).await.unwrap();
    assert_eq!(tokens.access_token().secret(), "SECRET-TOKEN");
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(tokens.scopes().unwrap(), ["a", "b"]);

    let (_s, client) = token_answers(
        201,
        "application/json",
        r#"{"access_token":"x","token_type":"Bearer"}"#,
    )
    .await;
    assert!(client.exchange_code("the-code", None).await.is_ok());
}

#[tokio::test]
async fn successful_html_is_unexpected_without_the_body() {
    let (_s, client) =
        token_answers(200, "text/html", "<html>access_token=SECRET-TOKEN</html>").await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::UnexpectedResponse { status: 200, excerpt, .. } if excerpt.is_empty()),
        "{err:?}"
    );
    assert_clean(&err);
}

#[tokio::test]
async fn huge_bodies_are_cut_off() {
    let big = vec![b' '; 10 * 1024 * 1024];
    let (_s, big_client) = token_answers(200, "application/json", &big).await;
    let err = big_client
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            request_kind(&err),
            RequestErrorKind::BodyTooLarge { limit: 65536 }
        ),
        "{err:?}"
    );

    // Without a Content-Length the limit still holds while streaming.
    let base = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ntransfer-encoding: chunked\r\n\r\n")
            .await;
        let chunk = format!("{:x}\r\n{}\r\n", 16 * 1024, " ".repeat(16 * 1024));
        for _ in 0..64 {
            if stream.write_all(chunk.as_bytes()).await.is_err() {
                return;
            }
        }
        let _ = stream.write_all(b"0\r\n\r\n").await;
    })
    .await;
    let err = client(&base)
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::BodyTooLarge { .. }),
        "{err:?}"
    );
}

/// A body that arrives in several chunks, each read on its own, is joined whole — also
/// when the `"error"` an OAuth error object is recognised by is cut in two.
#[tokio::test]
async fn a_body_in_several_chunks_is_joined() {
    async fn serve_in_chunks(parts: &'static [&'static str]) -> Client {
        let base = raw_server(move |mut stream| async move {
            read_request(&mut stream).await;
            let head = "HTTP/1.1 200 OK\r\ncontent-type: Application/JSON ; charset=UTF-8\r\n\
                        transfer-encoding: chunked\r\n\r\n";
            let _ = stream.write_all(head.as_bytes()).await;
            for part in parts {
                let chunk = format!("{:x}\r\n{part}\r\n", part.len());
                let _ = stream.write_all(chunk.as_bytes()).await;
                let _ = stream.flush().await;
                tokio::time::sleep(Duration::from_millis(20)).await;
            }
            let _ = stream.write_all(b"0\r\n\r\n").await;
        })
        .await;
        client(&base)
    }

    let tokens = serve_in_chunks(&[
        r#"{"access_token":"SECRET-"#,
        r#"TOKEN","token_type":"bearer","#,
        r#""scope":"a b"}"#,
    ])
    .await
    .exchange_code("the-code", None)
    .await
    .unwrap();
    assert_eq!(tokens.access_token().secret(), "SECRET-TOKEN");
    assert_eq!(tokens.scopes().unwrap(), ["a", "b"]);

    let err = serve_in_chunks(&[r#"{"err"#, r#"or":"bad_verification_code"}"#])
        .await
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(
        request.oauth_error().unwrap().error,
        "bad_verification_code"
    );
}

#[tokio::test]
async fn a_silent_server_times_out_in_bounded_time() {
    let base = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        tokio::time::sleep(Duration::from_secs(30)).await;
    })
    .await;
    let started = Instant::now();
    let err = client(&base)
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::Timeout),
        "{err:?}"
    );
    assert!(started.elapsed() < TIMEOUT * 4, "{:?}", started.elapsed());
}

#[tokio::test]
async fn a_body_that_drips_slower_than_the_timeout() {
    let base = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        let _ = stream
            .write_all(b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: 1000\r\n\r\n{")
            .await;
        for _ in 0..100 {
            tokio::time::sleep(Duration::from_millis(100)).await;
            if stream.write_all(b" ").await.is_err() {
                return;
            }
        }
    })
    .await;
    let started = Instant::now();
    let err = client(&base)
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::Timeout),
        "{err:?}"
    );
    assert!(started.elapsed() < TIMEOUT * 4, "{:?}", started.elapsed());
}

#[tokio::test]
async fn connection_reset_and_refused() {
    let base = raw_server(|mut stream| async move {
        read_request(&mut stream).await;
        // Close with a half-written response.
        let _ = stream.write_all(b"HTTP/1.1 200 OK\r\ncontent-le").await;
    })
    .await;
    let err = client(&base)
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::Transport(_)),
        "{err:?}"
    );
    assert_clean(&err);

    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    let client = client(&format!("http://{addr}"));
    let err = client
        .refresh(&RefreshToken::new("old-refresh".into()))
        .await
        .unwrap_err();
    assert!(
        matches!(request_kind(&err), RequestErrorKind::Connect(_)),
        "{err:?}"
    );
    assert!(err.is_retryable(), "a refused refresh may be retried");
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert!(!err.is_retryable(), "a code exchange never is");
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let mut elsewhere = Server::new_async().await;
    let followed = elsewhere
        .mock("POST", "/token")
        .expect(0)
        .create_async()
        .await;
    let mut server = Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_status(302)
        .with_header("location", &format!("{}/token", elsewhere.url()))
        .create_async()
        .await;
    let err = client(&server.url())
        .exchange_code("the-code", None)
        .await
        .unwrap_err();
    assert!(
        matches!(
            request_kind(&err),
            RequestErrorKind::UnexpectedResponse { status: 302, .. }
        ),
        "{err:?}"
    );
    followed.assert_async().await;
}

#[tokio::test]
async fn revoke_accepts_an_empty_200_and_reports_errors() {
    let mut server = Server::new_async().await;
    let ok = server
        .mock("POST", "/revoke")
        .match_request(portcullis_testkit::form_is(&[
            ("token", "SECRET-TOKEN"),
            ("token_type_hint", "access_token"),
        ]))
        .with_status(200)
        .expect(1)
        .create_async()
        .await;
    let client = client(&server.url());
    client
        .revoke(portcullis::AccessToken::new("SECRET-TOKEN".into()))
        .await
        .unwrap();
    ok.assert_async().await;

    server
        .mock("POST", "/revoke")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"unsupported_token_type"}"#)
        .create_async()
        .await;
    let err = client
        .revoke(portcullis::AccessToken::new("other-token".into()))
        .await
        .unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(request.phase(), Phase::Revoke);
    assert_eq!(
        request.oauth_error().unwrap().error,
        "unsupported_token_type"
    );
    assert_clean(&err);
}

#[tokio::test]
async fn the_user_agent_is_the_apps_choice() {
    let mut server = Server::new_async().await;
    let token = server
        .mock("POST", "/token")
        .match_header("user-agent", "acme-app/1.2 (+https://acme.example)")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"x","token_type":"Bearer"}"#)
        .expect(1)
        .create_async()
        .await;
    let http = HttpClient::builder()
        .user_agent("acme-app/1.2 (+https://acme.example)")
        .build()
        .unwrap();
    assert_eq!(http.user_agent(), "acme-app/1.2 (+https://acme.example)");
    client(&server.url())
        .with_http_client(http)
        .exchange_code("the-code", None)
        .await
        .unwrap();
    token.assert_async().await;
    assert!(HttpClient::new().with_user_agent("bad\nvalue").is_err());
}

#[tokio::test]
async fn a_failure_after_the_code_was_spent_is_not_retryable() {
    let mut server = Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"x","token_type":"Bearer"}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_status(503)
        .with_body("try later")
        .create_async()
        .await;
    let client = client(&server.url());
    // On its own, a 503 from the user endpoint may be retried…
    let tokens = client.exchange_code("the-code", None).await.unwrap();
    assert!(client.fetch_user(&tokens).await.unwrap_err().is_retryable());
    // …but not the sign-in that already spent its code.
    let err = portcullis::OAuthProvider::validate_code(&client, "the-code", None, None)
        .await
        .unwrap_err();
    assert!(matches!(
        request_kind(&err),
        RequestErrorKind::UnexpectedResponse { status: 503, .. }
    ));
    assert!(!err.is_retryable(), "{err:?}");
}

#[tokio::test]
async fn graph_api_errors_are_oauth_errors() {
    let (_s, client) = token_answers(
        400,
        "application/json",
        r#"{"error":{"message":"Error validating verification code.","type":"OAuthException","code":100,"fbtrace_id":"A1"}}"#,
    )
    .await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    let oauth = request.oauth_error().expect("an OAuth error");
    assert_eq!(oauth.error, "OAuthException");
    assert_eq!(
        oauth.description.as_deref(),
        Some("Error validating verification code.")
    );
}

#[tokio::test]
async fn a_provider_echoing_the_code_does_not_leak_it() {
    // Kakao: "authorization code not found for code=…".
    let (_s, client) = token_answers(
        400,
        "application/json",
        r#"{"error":"invalid_grant","error_description":"authorization code not found for code=the-code","error_code":"KOE320"}"#,
    )
    .await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert_clean(&err);
    assert!(err.to_string().contains("code=[redacted]"), "{err}");

    let (_s, client) = token_answers(500, "text/plain", "no such code: the-code").await;
    let err = client.exchange_code("the-code", None).await.unwrap_err();
    assert_clean(&err);
}

#[tokio::test]
async fn an_echoed_code_cut_by_the_excerpt_or_encoded_is_still_hidden() {
    let code = "a-long-authorization-code-0123456789";
    let body = format!("{}{code}", "x".repeat(180));
    let (_s, client) = token_answers(500, "text/plain", body).await;
    let err = client.exchange_code(code, None).await.unwrap_err();
    let text = format!("{err} {err:?}");
    assert!(!text.contains(&code[..8]), "{text}");

    let (_s, client) = token_answers(
        400,
        "application/json",
        r#"{"error":"invalid_grant","error_description":"bad code a%2Bb%2Fc","error_uri":42}"#,
    )
    .await;
    let err = client.exchange_code("a+b/c", None).await.unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    let oauth = request
        .oauth_error()
        .expect("an OAuth error despite a numeric error_uri");
    assert_eq!(oauth.description.as_deref(), Some("bad code [redacted]"));
    assert_eq!(oauth.uri.as_deref(), Some("42"));
}
