//! `OAuthClient::fresh_access_token`: an access token that is still good, refreshed once
//! for every caller sharing the tokens when it is about to expire.

use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use mockito::{Mock, Server};
use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, Phase, Tokens};
use portcullis_testkit::TestProvider;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use serde_json::json;
use tokio::sync::Mutex;

const MARGIN: Duration = Duration::from_secs(60);

type Client = OAuthClient<TestProvider, MemoryAdapter<String>>;

fn client(server: &Server) -> Client {
    let config =
        ClientConfig::new("app", "s3cret").redirect_uri("http://app.test/cb".parse().unwrap());
    expect::client(TestProvider, config, server)
}

/// Tokens as the app stored them: received now, the access token good for `expires_in`
/// seconds, with `refresh_token` if any.
fn stored(expires_in: Option<u64>, refresh_token: Option<&str>) -> Mutex<Tokens> {
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let mut tokens = json!({"access_token": "old-at", "token_type": "Bearer", "received_at": now});
    if let Some(expires_in) = expires_in {
        tokens["expires_in"] = json!(expires_in);
    }
    if let Some(refresh_token) = refresh_token {
        tokens["refresh_token"] = json!(refresh_token);
    }
    Mutex::new(serde_json::from_value(tokens).unwrap())
}

/// The token endpoint, expecting `times` refreshes with `refresh_token`.
async fn refreshes(
    server: &mut Server,
    refresh_token: &str,
    times: usize,
    status: usize,
    body: &str,
) -> Mock {
    let credentials = Credentials::Basic {
        id: "app",
        secret: "s3cret",
    };
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", refresh_token),
    ];
    expect::token_request(server, "/token", credentials, &form)
        .expect(times)
        .reply(status, JSON, body)
        .await
}

const ROTATED: &str =
    r#"{"access_token":"new-at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt-2"}"#;

#[tokio::test]
async fn a_token_good_beyond_the_margin_is_returned_without_a_request() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let none = refreshes(&mut server, "rt-1", 0, 200, ROTATED).await;
    let tokens = stored(Some(3600), Some("rt-1"));
    let access_token = client.fresh_access_token(&tokens, MARGIN).await.unwrap();
    assert_eq!(access_token.secret(), "old-at");
    none.assert_async().await;
}

#[tokio::test]
async fn an_expiring_token_is_refreshed_once_for_every_caller() {
    let mut server = Server::new_async().await;
    let client = Arc::new(client(&server));
    // Expires within the margin: refreshed, and the rotated refresh token kept.
    let once = refreshes(&mut server, "rt-1", 1, 200, ROTATED).await;
    let tokens = Arc::new(stored(Some(30), Some("rt-1")));
    let callers: Vec<_> = (0..8)
        .map(|_| {
            let (client, tokens) = (client.clone(), tokens.clone());
            tokio::spawn(async move { client.fresh_access_token(&tokens, MARGIN).await })
        })
        .collect();
    for caller in callers {
        assert_eq!(caller.await.unwrap().unwrap().secret(), "new-at");
    }
    once.assert_async().await;
    let tokens = tokens.lock().await;
    assert_eq!(tokens.access_token().secret(), "new-at");
    assert_eq!(tokens.refresh_token().unwrap().secret(), "rt-2");
}

#[tokio::test]
async fn tokens_that_cannot_be_refreshed_or_have_no_expiry_are_returned_as_they_are() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let none = refreshes(&mut server, "rt-1", 0, 200, ROTATED).await;
    // Expired, but nothing to refresh with: only the provider can say it is refused.
    let expired = stored(Some(0), None);
    let access_token = client.fresh_access_token(&expired, MARGIN).await.unwrap();
    assert_eq!(access_token.secret(), "old-at");
    // No expiry given: nothing says it is expiring.
    let unknown = stored(None, Some("rt-1"));
    let access_token = client.fresh_access_token(&unknown, MARGIN).await.unwrap();
    assert_eq!(access_token.secret(), "old-at");
    none.assert_async().await;
}

#[tokio::test]
async fn a_failed_refresh_leaves_the_tokens_and_the_next_caller_tries_again() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let tokens = stored(Some(10), Some("rt-1"));

    let refused = refreshes(
        &mut server,
        "rt-1",
        1,
        503,
        r#"{"error":"temporarily_unavailable"}"#,
    )
    .await;
    let err = client
        .fresh_access_token(&tokens, MARGIN)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 503, "temporarily_unavailable", None);
    assert!(err.is_retryable(), "{err:?}");
    refused.assert_async().await;
    assert_eq!(tokens.lock().await.access_token().secret(), "old-at");
    refused.remove_async().await;

    let once = refreshes(&mut server, "rt-1", 1, 200, ROTATED).await;
    let access_token = client.fresh_access_token(&tokens, MARGIN).await.unwrap();
    assert_eq!(access_token.secret(), "new-at");
    once.assert_async().await;
}
