//! Twitch against a mock of its documented endpoints: the exact requests we send and
//! what we make of Twitch's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};
use portcullis_twitch::{Twitch, TwitchUser};

const REDIRECT: &str = "http://localhost:3000/login/twitch/callback";
const CLIENT_ID: &str = "hof5gwx0su6owfnys0nyan9c87zr6t";
const CLIENT_SECRET: &str = "41vpdji4e9gif29md0ouet6fktd2";
const CODE: &str = "gulfwdmys5lsm6qyz4xiz9q32l10";
const ACCESS_TOKEN: &str = "rfx2uswqe8l4g1mkagrvg5tv0ks3";
const REFRESH_TOKEN: &str = "5b93chm6hdve3mycz05zfzatkfdenfspp1h1ar2xxdalen01";

/// Twitch takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The code exchange's form, besides the client's credentials.
const CODE_EXCHANGE: [(&str, &str); 3] = [
    ("grant_type", "authorization_code"),
    ("code", CODE),
    ("redirect_uri", REDIRECT),
];

/// The token response of Twitch's authorization code grant flow: scopes as an array.
const TOKENS: &str = r#"{
  "access_token": "rfx2uswqe8l4g1mkagrvg5tv0ks3",
  "expires_in": 14124,
  "refresh_token": "5b93chm6hdve3mycz05zfzatkfdenfspp1h1ar2xxdalen01",
  "scope": ["user:read:email"],
  "token_type": "bearer"
}"#;

/// `GET /helix/users` as documented, with `user:read:email`.
const USERS: &str = r#"{
  "data": [
    {
      "id": "141981764",
      "login": "twitchdev",
      "display_name": "TwitchDev",
      "type": "",
      "broadcaster_type": "partner",
      "description": "Supporting third-party developers building Twitch integrations from chatbots to game integrations.",
      "profile_image_url": "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-d0c0-4576-b179-38bd5ce1d6af-profile_image-300x300.png",
      "offline_image_url": "https://static-cdn.jtvnw.net/jtv_user_pictures/3f13ab61-ec78-4fe6-8481-8682cb3b0ac2-channel_offline_image-1920x1080.png",
      "view_count": 5980557,
      "email": "not-real@email.com",
      "created_at": "2016-12-14T20:32:28Z"
    }
  ]
}"#;

type Client = OAuthClient<Twitch, MemoryAdapter<String>>;

fn client(server: &Server, twitch: Twitch, config: ClientConfig) -> Client {
    expect::client(twitch, config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("user:read:email")
}

async fn mock_token(server: &mut Server, body: &str) -> mockito::Mock {
    expect::token_request(server, "/oauth2/token", CREDENTIALS, &CODE_EXCHANGE)
        .reply(200, JSON, body)
        .await
}

async fn mock_users(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", "/helix/users", &[], ACCESS_TOKEN)
        .match_header("client-id", CLIENT_ID)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, "application/json; charset=utf-8", body)
        .await
}

#[test]
fn authorization_url_has_every_parameter() {
    let twitch = OAuthClient::new(
        Twitch::new().force_verify(true),
        config().scope("channel:read:polls"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = twitch.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://id.twitch.tv"
    );
    assert_eq!(auth.url.path(), "/oauth2/authorize");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("force_verify", "true"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "user:read:email channel:read:polls"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no PKCE: Twitch documents none"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.provider(), "twitch");
    assert_eq!(auth.pending.nonce(), None);

    let again = twitch.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
}

#[test]
fn defaults_send_no_scope_and_no_force_verify() {
    let twitch = OAuthClient::new(
        Twitch::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&twitch.authorization_url().url);
    assert!(!query.contains_key("scope"), "{query:?}");
    assert!(!query.contains_key("force_verify"), "{query:?}");

    let not_forced = OAuthClient::new(
        Twitch::new().force_verify(false),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        query_of(&not_forced.authorization_url().url)["force_verify"],
        "false"
    );

    let endpoints = Twitch::new().endpoints();
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://id.twitch.tv/oauth2/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.twitch.tv/helix/users")
    );
    assert_eq!(endpoints.issuer, None);

    let err = OAuthClient::new(
        Twitch::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    let auth = twitch.authorization_url();

    let token = mock_token(&mut server, TOKENS).await;
    let users = mock_users(&mut server, 200, USERS).await;

    let session = twitch
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    users.assert_async().await;

    assert_eq!(session.provider_user_id, "141981764");
    assert_eq!(session.key().to_string(), "twitch:141981764");
    let user = &session.provider_user;
    assert_eq!(user.login, "twitchdev");
    assert_eq!(user.broadcaster_type.as_deref(), Some("partner"));
    assert_eq!(user.kind.as_deref(), Some(""));
    assert_eq!(user.view_count, Some(5980557));
    assert_eq!(user.created_at.as_deref(), Some("2016-12-14T20:32:28Z"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 14124);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(
        tokens.scopes().unwrap(),
        ["user:read:email"],
        "Twitch's scope array"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "141981764");
    assert_eq!(profile.name.as_deref(), Some("TwitchDev"));
    assert_eq!(profile.username.as_deref(), Some("twitchdev"));
    assert_eq!(profile.email.as_deref(), Some("not-real@email.com"));
    assert!(
        profile.email_verified,
        "Twitch returns only verified emails"
    );
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://static-cdn.jtvnw.net/jtv_user_pictures/8a6381c7-d0c0-4576-b179-38bd5ce1d6af-profile_image-300x300.png"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("twitchdev".to_owned()).await.unwrap();
    assert_eq!(twitch.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = twitch.authorization_url();
    mock_token(&mut server, TOKENS).await;
    mock_users(&mut server, 200, USERS).await;
    let session = twitch
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(twitch.adapter().user_count(), 1);
}

#[tokio::test]
async fn without_the_email_scope_there_is_no_email() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    mock_token(
        &mut server,
        r#"{"access_token":"rfx2uswqe8l4g1mkagrvg5tv0ks3","expires_in":14124,
            "refresh_token":"5b93chm6hdve3mycz05zfzatkfdenfspp1h1ar2xxdalen01","scope":[],"token_type":"bearer"}"#,
    )
    .await;
    mock_users(
        &mut server,
        200,
        r#"{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev","type":"",
            "broadcaster_type":"partner","description":"","profile_image_url":"","offline_image_url":"",
            "view_count":0,"created_at":"2016-12-14T20:32:28Z"}]}"#,
    )
    .await;
    let session = twitch.validate_code(CODE, None, None).await.unwrap();
    assert!(session.tokens.scopes().unwrap().is_empty());
    assert_eq!(session.provider_user.email, None);
    let profile = session.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified, "no email, nothing verified");
    assert_eq!(profile.avatar_url, None, "an empty URL is no avatar");
}

#[tokio::test]
async fn the_user_request_carries_the_client_id_header() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    mock_token(&mut server, TOKENS).await;
    // Twitch refuses a Helix call without `Client-Id`: this mock only answers when the
    // header holds this client's id.
    let users = server
        .mock("GET", "/helix/users")
        .match_header("client-id", Matcher::Missing)
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"Unauthorized","status":401,"message":"Client ID is missing"}"#)
        .expect(0)
        .create_async()
        .await;
    mock_users(&mut server, 200, USERS).await;
    twitch.validate_code(CODE, None, None).await.unwrap();
    users.assert_async().await;
}

#[tokio::test]
async fn an_empty_data_array_is_an_invalid_response() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    mock_token(&mut server, TOKENS).await;
    mock_users(&mut server, 200, r#"{"data":[]}"#).await;
    let err = twitch.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
    assert_eq!(twitch.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_user_is_the_first_entry_of_data() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    mock_token(&mut server, TOKENS).await;
    mock_users(
        &mut server,
        200,
        r#"{"data":[{"id":"141981764","login":"twitchdev","display_name":"TwitchDev"},
                    {"id":"12826","login":"twitch","display_name":"Twitch"}]}"#,
    )
    .await;
    let session = twitch.validate_code(CODE, None, None).await.unwrap();
    assert_eq!(session.provider_user.provider_user_id(), "141981764");
    assert_eq!(session.provider_user.kind, None, "absent fields are None");

    let round_trip: TwitchUser =
        serde_json::from_str(&serde_json::to_string(&session.provider_user).unwrap()).unwrap();
    assert_eq!(round_trip, session.provider_user);
}

#[tokio::test]
async fn token_error_is_a_typed_oauth_error() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    let auth = twitch.authorization_url();
    expect::token_request(&mut server, "/oauth2/token", CREDENTIALS, &CODE_EXCHANGE)
        // The shape of Twitch's documented token endpoint failures.
        .reply(
            400,
            JSON,
            r#"{"error":"Bad Request","status":400,"message":"Invalid authorization code"}"#,
        )
        .await;
    let users = server
        .mock("GET", "/helix/users")
        .expect(0)
        .create_async()
        .await;

    let err = twitch
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    users.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "Bad Request", None);
    assert_eq!(twitch.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_status_and_message_error_is_an_unexpected_response_with_the_message() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    server
        .mock("POST", "/oauth2/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":400,"message":"Invalid authorization code"}"#)
        .create_async()
        .await;
    let err = twitch.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        400,
        JSON,
        "Invalid authorization code",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    server
        .mock("POST", "/oauth2/token")
        .with_status(500)
        .with_header("content-type", "text/html")
        .with_body("<html><body><h1>500 Internal Server Error</h1></body></html>")
        .create_async()
        .await;
    let err = twitch.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html",
        "Internal Server Error",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    mock_token(&mut server, TOKENS).await;
    mock_users(&mut server, 200, r#"{"data":[{"id":"141981764","login":"#).await;
    let err = twitch.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("twitch user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_the_secret_in_the_body() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, "/oauth2/token", CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"1ssjqsqfy6bads1ws7m03gras79zfr",
                "refresh_token":"eyJfMzUtNDU0OC4MWYwLTQ5MDY5ODY4NGNlMSJ9%asdfasdf=",
                "scope":["user:read:email"],"token_type":"bearer"}"#,
        )
        .await;
    let tokens = twitch
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "1ssjqsqfy6bads1ws7m03gras79zfr"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "eyJfMzUtNDU0OC4MWYwLTQ5MDY5ODY4NGNlMSJ9%asdfasdf=",
        "the rotated refresh token"
    );
}

#[tokio::test]
async fn a_failed_refresh_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    server
        .mock("POST", "/oauth2/token")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"Bad Request","status":400,"message":"Invalid refresh token"}"#)
        .create_async()
        .await;
    let err = twitch
        .refresh(&RefreshToken::new("expired".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "Bad Request", None);
    assert!(!err.is_retryable(), "the user must sign in again");
}

#[tokio::test]
async fn revoke_posts_the_token_and_client_id() {
    let mut server = Server::new_async().await;
    let twitch = client(&server, Twitch::new(), config());
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let mock = expect::token_request(&mut server, "/oauth2/revoke", CREDENTIALS, &form)
        // Twitch answers a successful revocation with 200 and no body.
        .reply_empty(200)
        .await;
    twitch
        .revoke(portcullis::AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;

    server
        .mock("POST", "/oauth2/revoke")
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"status":400,"message":"Invalid token"}"#)
        .create_async()
        .await;
    let err = twitch
        .revoke(portcullis::AccessToken::new("already-revoked".to_owned()))
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::Revoke, 400, JSON, "Invalid token");
}

#[test]
fn debug_output_holds_no_secret() {
    let twitch = OAuthClient::new(Twitch::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&twitch, CLIENT_SECRET);
}
