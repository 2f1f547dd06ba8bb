//! Bitbucket against a mock of its documented endpoints: the exact requests we send and
//! what we make of Bitbucket's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_bitbucket::{Bitbucket, BitbucketUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "cNhY6bUe8KjZ2qrVfM";
const CLIENT_SECRET: &str = "pW4x9s3QzN7rT2yL8vB6mK1jH5gF0dSa";
const REDIRECT: &str = "http://localhost:3000/login/bitbucket/callback";
const CODE: &str = "W8Yp6mQ2xVfL3kZt9n";

const TOKEN_PATH: &str = "/site/oauth2/access_token";
const USER_PATH: &str = "/2.0/user";
const EMAILS_PATH: &str = "/2.0/user/emails";

const ACCESS_TOKEN: &str = "ATCTT3xFfGN0kq7Ly9d2Wp1mYbZ4vR8sNcHe6uJt";

/// The token response Bitbucket sends, with the granted scopes in `scopes`.
const TOKEN_RESPONSE: &str = r#"{"access_token":"ATCTT3xFfGN0kq7Ly9d2Wp1mYbZ4vR8sNcHe6uJt","scopes":"account email","expires_in":7200,"refresh_token":"Qm3vXkP8yT2nR6wL9sZd","token_type":"bearer","state":"authorization_code"}"#;

/// `GET /2.0/user` as documented for the current user.
const USER: &str = r#"{
  "display_name": "tutorials account",
  "links": {
    "self": {"href": "https://api.bitbucket.org/2.0/users/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D"},
    "avatar": {"href": "https://secure.gravatar.com/avatar/0c2ee3f8b1d54a1f1e0d3d3c1f5a6b7c?d=https%3A%2F%2Favatar-management--avatars.us-west-2.prod.public.atl-paas.net%2Finitials%2FTA-3.png"},
    "repositories": {"href": "https://api.bitbucket.org/2.0/repositories/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D"},
    "snippets": {"href": "https://api.bitbucket.org/2.0/snippets/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D"},
    "html": {"href": "https://bitbucket.org/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D/"},
    "hooks": {"href": "https://api.bitbucket.org/2.0/workspaces/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D/hooks"}
  },
  "created_on": "2011-12-20T16:34:07.132459+00:00",
  "type": "user",
  "uuid": "{c788b2da-b7a2-404c-9e26-d3f077557007}",
  "has_2fa_enabled": null,
  "username": "tutorials",
  "is_staff": false,
  "account_id": "557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443",
  "nickname": "tutorials",
  "account_status": "active",
  "location": "Santa Monica, CA",
  "website": "https://tutorials.bitbucket.org/"
}"#;

/// `GET /2.0/user/emails`: a paginated list, primary and confirmed first here.
const EMAILS: &str = r#"{
  "pagelen": 10,
  "values": [
    {"is_primary": false, "is_confirmed": false, "type": "email", "email": "old@example.com",
     "links": {"self": {"href": "https://api.bitbucket.org/2.0/user/emails/old@example.com"}}},
    {"is_primary": true, "is_confirmed": true, "type": "email", "email": "tutorials@bitbucket.org",
     "links": {"self": {"href": "https://api.bitbucket.org/2.0/user/emails/tutorials@bitbucket.org"}}}
  ],
  "page": 1,
  "size": 2
}"#;

/// Bitbucket takes the client id and secret as HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The content type Bitbucket's API answers with.
const API_JSON: &str = "application/json; charset=utf-8";

fn client(server: &Server) -> OAuthClient<Bitbucket, MemoryAdapter<String>> {
    expect::client(Bitbucket::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("email")
}

/// The code exchange as Bitbucket documents it: HTTP Basic, no PKCE.
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

async fn mock_api(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[], ACCESS_TOKEN)
        .reply(status, API_JSON, body)
        .await
}

fn user(json: &str) -> BitbucketUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_bitbuckets_docs() {
    let info = Bitbucket::INFO;
    assert_eq!(info.id, "bitbucket");
    let endpoints = Bitbucket::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://bitbucket.org/site/oauth2/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://bitbucket.org/site/oauth2/access_token"
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.bitbucket.org/2.0/user")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["account"]);
    assert_eq!(info.user_id_field, "uuid");
    assert_eq!(info.client_auth, portcullis::ClientAuth::Basic);
    assert_eq!(info.pkce, portcullis::Pkce::None);
}

#[test]
fn authorization_url_has_every_parameter() {
    let bitbucket =
        OAuthClient::new(Bitbucket::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = bitbucket.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://bitbucket.org"
    );
    assert_eq!(auth.url.path(), "/site/oauth2/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "account email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no PKCE: Bitbucket Cloud documents none"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.provider(), "bitbucket");
}

#[test]
fn the_redirect_uri_is_optional() {
    let bitbucket = OAuthClient::new(
        Bitbucket::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&bitbucket.authorization_url().url);
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
    assert_eq!(query["scope"], "account", "account alone by default");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    let auth = bitbucket.authorization_url();

    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_api(&mut server, USER_PATH, 200, USER).await;
    let emails = mock_api(&mut server, EMAILS_PATH, 200, EMAILS).await;

    let session = bitbucket
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;
    emails.assert_async().await;

    assert_eq!(
        session.provider_user_id,
        "{c788b2da-b7a2-404c-9e26-d3f077557007}"
    );
    assert_eq!(
        session.key().to_string(),
        "bitbucket:{c788b2da-b7a2-404c-9e26-d3f077557007}",
        "the uuid with its braces, as Lucia stored it"
    );
    let bitbucket_user = &session.provider_user;
    assert_eq!(
        bitbucket_user.account_id.as_deref(),
        Some("557058:c0b72ad0-1cb5-4018-9cdc-0cde8492c443")
    );
    assert_eq!(bitbucket_user.kind.as_deref(), Some("user"));
    assert_eq!(bitbucket_user.is_staff, Some(false));
    assert_eq!(bitbucket_user.has_2fa_enabled, None);
    assert_eq!(bitbucket_user.location.as_deref(), Some("Santa Monica, CA"));
    assert_eq!(
        bitbucket_user.links.html.as_ref().unwrap().href.as_deref(),
        Some("https://bitbucket.org/%7Bc788b2da-b7a2-404c-9e26-d3f077557007%7D/")
    );
    assert_eq!(bitbucket_user.emails.as_ref().unwrap().len(), 2);

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(7200)));
    assert_eq!(session.tokens.extra()["scopes"], "account email");

    let profile = session.profile();
    assert_eq!(profile.id, "{c788b2da-b7a2-404c-9e26-d3f077557007}");
    assert_eq!(profile.name.as_deref(), Some("tutorials account"));
    assert_eq!(profile.username.as_deref(), Some("tutorials"));
    assert_eq!(profile.email.as_deref(), Some("tutorials@bitbucket.org"));
    assert!(profile.email_verified, "primary and `is_confirmed: true`");
    assert!(
        profile
            .avatar_url
            .as_deref()
            .unwrap()
            .starts_with("https://secure.gravatar.com/avatar/")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("tutorials".to_owned()).await.unwrap();
    assert_eq!(bitbucket.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = bitbucket.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(&mut server, EMAILS_PATH, 200, EMAILS).await;
    let session = bitbucket
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(bitbucket.adapter().user_count(), 1);
}

#[tokio::test]
async fn an_unconfirmed_primary_address_is_not_verified() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(
        &mut server,
        EMAILS_PATH,
        200,
        r#"{"pagelen":10,"values":[
            {"is_primary":true,"is_confirmed":false,"type":"email","email":"new@example.com","links":{}},
            {"is_primary":false,"is_confirmed":true,"type":"email","email":"tutorials@bitbucket.org","links":{}}
        ],"page":1,"size":2}"#,
    )
    .await;
    let session = bitbucket.validate_code(CODE, None, None).await.unwrap();
    let profile = session.profile();
    assert_eq!(
        profile.email.as_deref(),
        Some("new@example.com"),
        "the primary address, even when unconfirmed"
    );
    assert!(!profile.email_verified, "`is_confirmed: false`");
    assert_eq!(profile.verified_email(), None);
}

#[tokio::test]
async fn without_the_email_scope_the_emails_are_not_fetched() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    mock_token(
        &mut server,
        200,
        r#"{"access_token":"ATCTT3xFfGN0kq7Ly9d2Wp1mYbZ4vR8sNcHe6uJt","scopes":"account","expires_in":7200,"refresh_token":"Qm3vXkP8yT2nR6wL9sZd","token_type":"bearer","state":"authorization_code"}"#,
    )
    .await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    let emails = server
        .mock("GET", EMAILS_PATH)
        .expect(0)
        .create_async()
        .await;
    let session = bitbucket.validate_code(CODE, None, None).await.unwrap();
    emails.assert_async().await;
    assert_eq!(session.provider_user.emails, None);
    let profile = session.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
}

#[tokio::test]
async fn with_no_scopes_listed_a_403_from_emails_means_no_permission() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    mock_token(
        &mut server,
        200,
        r#"{"access_token":"ATCTT3xFfGN0kq7Ly9d2Wp1mYbZ4vR8sNcHe6uJt","expires_in":7200,"token_type":"bearer"}"#,
    )
    .await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    let emails = mock_api(
        &mut server,
        EMAILS_PATH,
        403,
        r#"{"type":"error","error":{"message":"Your credentials lack one or more required privilege scopes.","detail":{"granted":["account"],"required":["email"]}}}"#,
    )
    .await;
    let session = bitbucket.validate_code(CODE, None, None).await.unwrap();
    emails.assert_async().await;
    assert_eq!(session.provider_user.emails, None);
    assert_eq!(session.profile().email, None);
}

#[tokio::test]
async fn with_the_email_scope_granted_a_failing_emails_call_fails_the_sign_in() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(
        &mut server,
        EMAILS_PATH,
        403,
        r#"{"type":"error","error":{"message":"Access denied"}}"#,
    )
    .await;
    let err = bitbucket.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 403, API_JSON, "Access denied");
    assert_eq!(bitbucket.adapter().user_count(), 0);
}

#[test]
fn an_empty_avatar_link_and_a_missing_username_are_handled() {
    let minimal = user(
        r#"{"type":"user","uuid":"{d301aafa-d676-4ee0-88be-962be7417567}","display_name":"Erik van Zijst",
            "nickname":"evzijst","links":{"avatar":{}}}"#,
    );
    assert_eq!(minimal.avatar_url(), None);
    let profile = minimal.profile();
    assert_eq!(profile.username.as_deref(), Some("evzijst"));
    assert_eq!(profile.avatar_url, None);
    assert_eq!(profile.email, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let mut original = user(USER);
    let page: serde_json::Value = serde_json::from_str(EMAILS).unwrap();
    original.emails = Some(serde_json::from_value(page["values"].clone()).unwrap());
    let json = serde_json::to_string(&original).unwrap();
    let back: BitbucketUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "Qm3vXkP8yT2nR6wL9sZd"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"ATCTT9newaccesstoken","scopes":"account email","expires_in":7200,
                "refresh_token":"Qm3vXkP8yT2nR6wL9sZd","token_type":"bearer","state":"refresh_token"}"#,
        )
        .await;
    let tokens = bitbucket
        .refresh(&RefreshToken::new("Qm3vXkP8yT2nR6wL9sZd".to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "ATCTT9newaccesstoken");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "Qm3vXkP8yT2nR6wL9sZd"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(7200)));
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    let auth = bitbucket.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error_description": "The specified code is not valid.", "error": "invalid_grant"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = bitbucket
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("The specified code is not valid."),
    );
    assert_eq!(bitbucket.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html")
        .with_body("<html><head><title>Bitbucket | Internal server error</title></head><body>Something went wrong</body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = bitbucket.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html",
        "Internal server error",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_api(
        &mut server,
        USER_PATH,
        200,
        r#"{"type":"user","uuid":"{c788"#,
    )
    .await;
    let emails = server
        .mock("GET", EMAILS_PATH)
        .expect(0)
        .create_async()
        .await;
    let err = bitbucket.validate_code(CODE, None, None).await.unwrap_err();
    emails.assert_async().await;
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("bitbucket user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let bitbucket = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&bitbucket).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let bitbucket =
        OAuthClient::new(Bitbucket::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&bitbucket, CLIENT_SECRET);
}
