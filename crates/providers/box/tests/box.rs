//! Box against a mock of its documented endpoints: the exact requests we send and what
//! we make of Box's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    AccessToken, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderUser, RefreshToken, Url,
};
use portcullis_box::BoxUser;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

/// The provider, by path: `Box` alone is `std`'s.
type BoxProvider = portcullis_box::BoxCom;

const CLIENT_ID: &str = "ly1nj6n11vionaie65emwzk575hnnmrk";
const CLIENT_SECRET: &str = "hOzsTeFlT6ko0dme22uGbQal04SBPYc1";
const REDIRECT: &str = "http://localhost:3000/login/box/callback";
const CODE: &str = "n22JPxrh18m4Y0wIZPIqYZK7VRrsMTWW";

const TOKEN_PATH: &str = "/oauth2/token";
const REVOKE_PATH: &str = "/oauth2/revoke";
const USER_PATH: &str = "/2.0/users/me";

const ACCESS_TOKEN: &str = "c3FIOG9vSGV4VHz8QzNFaW1EOWRWSWxlaU1IYVN4Dw4aKQ";
const REFRESH_TOKEN: &str = "J7rxTiWOHMoSC1isKZKBZWizoRXjkQzig5C6jFgCVJ9bUnsUfGMinKBDLZWP9BgR";

/// The access token response as documented.
const TOKEN_RESPONSE: &str = r#"{"access_token":"c3FIOG9vSGV4VHz8QzNFaW1EOWRWSWxlaU1IYVN4Dw4aKQ","expires_in":3600,"restricted_to":[],"refresh_token":"J7rxTiWOHMoSC1isKZKBZWizoRXjkQzig5C6jFgCVJ9bUnsUfGMinKBDLZWP9BgR","token_type":"bearer"}"#;

/// `GET /2.0/users/me` as documented (the full user representation).
const USER: &str = r#"{
  "id": "11446498",
  "type": "user",
  "name": "Aaron Levie",
  "login": "ceo@example.com",
  "created_at": "2012-12-12T10:53:43-08:00",
  "modified_at": "2012-12-12T10:53:43-08:00",
  "language": "en",
  "timezone": "Africa/Bujumbura",
  "space_amount": 11345156112,
  "space_used": 1237009912,
  "max_upload_size": 2147483648,
  "status": "active",
  "job_title": "CEO",
  "phone": "6509241374",
  "address": "900 Jefferson Ave, Redwood City, CA 94063",
  "avatar_url": "https://www.box.com/api/avatar/large/181216415",
  "notification_email": {"email": "notifications@example.com", "is_confirmed": true},
  "role": "admin",
  "tracking_codes": [{"type": "tracking_code", "name": "department", "value": "Sales"}],
  "can_see_managed_users": true,
  "is_sync_enabled": true,
  "is_external_collab_restricted": true,
  "is_exempt_from_device_limits": true,
  "is_exempt_from_login_verification": true,
  "enterprise": {"id": "11446498", "type": "enterprise", "name": "Acme Inc."},
  "my_tags": ["important"],
  "hostname": "https://example.app.box.com/",
  "is_platform_access_only": true,
  "external_app_user_id": "my-user-1234"
}"#;

/// Box takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

fn client(server: &Server) -> OAuthClient<BoxProvider, MemoryAdapter<String>> {
    expect::client(BoxProvider::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// The code exchange as Box documents it: id and secret in the form body, no PKCE.
async fn mock_token(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(status, JSON, body)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

fn user(json: &str) -> BoxUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_boxs_docs() {
    let info = BoxProvider::INFO;
    assert_eq!(info.id, "box");
    let endpoints = BoxProvider::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://account.box.com/api/oauth2/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://api.box.com/oauth2/token");
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://api.box.com/oauth2/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.box.com/2.0/users/me")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(info.default_scopes.is_empty());
    assert_eq!(info.user_id_field, "id");
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
    assert_eq!(info.pkce, portcullis::Pkce::None);
}

#[test]
fn authorization_url_has_every_parameter() {
    let box_client =
        OAuthClient::new(BoxProvider::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = box_client.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://account.box.com"
    );
    assert_eq!(auth.url.path(), "/api/oauth2/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no scope (the app's configured scopes apply) and no PKCE"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.provider(), "box");
}

#[test]
fn scopes_and_the_redirect_uri_are_the_apps_choice() {
    let box_client = OAuthClient::new(
        BoxProvider::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).scopes(["root_readonly", "manage_groups"]),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&box_client.authorization_url().url);
    assert_eq!(query["scope"], "root_readonly manage_groups");
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    let auth = box_client.authorization_url();

    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = box_client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "11446498");
    assert_eq!(session.key().to_string(), "box:11446498");
    let box_user = &session.provider_user;
    assert_eq!(box_user.kind.as_deref(), Some("user"));
    assert_eq!(box_user.space_amount, Some(11_345_156_112));
    assert_eq!(box_user.max_upload_size, Some(2_147_483_648));
    assert_eq!(box_user.status.as_deref(), Some("active"));
    assert_eq!(box_user.role.as_deref(), Some("admin"));
    assert_eq!(
        box_user.enterprise.as_ref().unwrap().name.as_deref(),
        Some("Acme Inc.")
    );
    let notification = box_user.notification_email.as_ref().unwrap();
    assert_eq!(
        notification.email.as_deref(),
        Some("notifications@example.com")
    );
    assert_eq!(notification.is_confirmed, Some(true));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(
        session.tokens.extra()["restricted_to"],
        serde_json::json!([])
    );

    let profile = session.profile();
    assert_eq!(profile.id, "11446498");
    assert_eq!(profile.name.as_deref(), Some("Aaron Levie"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email.as_deref(), Some("ceo@example.com"));
    assert!(
        !profile.email_verified,
        "Box gives no verification flag for `login`"
    );
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://www.box.com/api/avatar/large/181216415")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("aaron".to_owned()).await.unwrap();
    assert_eq!(box_client.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = box_client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = box_client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(box_client.adapter().user_count(), 1);
}

#[test]
fn a_confirmed_notification_email_does_not_verify_the_login() {
    // The standard (not full) representation, with a confirmed notification address —
    // even one equal to `login` says nothing about `login` itself.
    let standard = user(
        r#"{"id":"33957883","type":"user","name":"Jane Doe","login":"jane@example.com",
            "notification_email":{"email":"jane@example.com","is_confirmed":true}}"#,
    );
    let profile = standard.profile();
    assert_eq!(profile.email.as_deref(), Some("jane@example.com"));
    assert!(!profile.email_verified);
    assert_eq!(standard.role, None);

    let no_login = user(r#"{"id":"1","type":"user","login":""}"#);
    assert_eq!(no_login.profile().email, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    let json = serde_json::to_string(&original).unwrap();
    let back: BoxUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_new_single_use_token() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"T9cE5asGnuyYCCqIZFoWjFHvNbvVqHjl","expires_in":3600,"restricted_to":[],
                "refresh_token":"hKv0CZ9mZdRzvRdTDxuAOX9wPaQlHcRdlOi1clpp1hsBJcLi7GT7E5h0hXYL4mnA","token_type":"bearer"}"#,
        )
        .await;
    let tokens = box_client
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "T9cE5asGnuyYCCqIZFoWjFHvNbvVqHjl"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "hKv0CZ9mZdRzvRdTDxuAOX9wPaQlHcRdlOi1clpp1hsBJcLi7GT7E5h0hXYL4mnA",
        "Box refresh tokens are single-use: keep the new one"
    );
}

#[tokio::test]
async fn revoke_posts_the_token_with_the_client_credentials_in_the_body() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let access = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    box_client
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    access.assert_async().await;

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let refresh = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    box_client
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
}

#[tokio::test]
async fn revoke_with_a_wrong_secret_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    server
        .mock("POST", REVOKE_PATH)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_client","error_description":"The client credentials are invalid"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = box_client
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 400, "invalid_client", None);
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    let auth = box_client.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"Auth code doesn't exist or is invalid for the client"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = box_client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Auth code doesn't exist or is invalid for the client"),
    );
    assert_eq!(box_client.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html")
        .with_body("<html><body><h1>Box is temporarily unavailable</h1></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = box_client
        .validate_code(CODE, None, None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html",
        "temporarily unavailable",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // A numeric id is not the documented string.
    mock_user(
        &mut server,
        200,
        r#"{"id":11446498,"type":"user","name":"Aaron Levie"}"#,
    )
    .await;
    let err = box_client
        .validate_code(CODE, None, None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert!(err.to_string().contains("box user request failed"), "{err}");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let box_client = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&box_client).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let box_client =
        OAuthClient::new(BoxProvider::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&box_client, CLIENT_SECRET);
}
