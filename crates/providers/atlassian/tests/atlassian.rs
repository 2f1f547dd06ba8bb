//! Atlassian against a mock of its documented endpoints: the exact requests we send and
//! what we make of Atlassian's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_atlassian::{Atlassian, AtlassianUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "Zl8NPSqoQpT3EPQzOfEGv4jPbAE5V7NW";
const CLIENT_SECRET: &str = "ATOAc0nf1d3nt1al-s3cr3t-9a8b7c6d5e4f";
const REDIRECT: &str = "http://localhost:3000/login/atlassian/callback";
const CODE: &str = "eyJhbGciOiJIUzI1NiJ9.the-code";

const TOKEN_PATH: &str = "/oauth/token";
const USER_PATH: &str = "/me";

const ACCESS_TOKEN: &str = "eyJraWQiOiJhdXRoLmF0bGFzc2lhbi5jb20tQUNDRVNTIiwiYWxnIjoiUlMyNTYifQ.at";

/// The token response as documented, with `offline_access` granted.
const TOKEN_RESPONSE: &str = r#"{"access_token":"eyJraWQiOiJhdXRoLmF0bGFzc2lhbi5jb20tQUNDRVNTIiwiYWxnIjoiUlMyNTYifQ.at","expires_in":3600,"token_type":"Bearer","refresh_token":"eyJraWQiOiI1MWE2YjE2MjRlMTQ5ZDFiYTdhM2VmZjciLCJhbGciOiJIUzI1NiJ9.rt","scope":"read:me offline_access"}"#;

/// `GET /me` as in Atlassian's FAQ example.
const USER: &str = r#"{
  "account_type": "atlassian",
  "account_id": "112233aa-bb11-cc22-33dd-445566abcabc",
  "email": "mia@example.com",
  "name": "Mia Krystof",
  "picture": "https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/112233aa-bb11-cc22-33dd-445566abcabc/1234abcd-9876-54aa-33aa-1234dfsade9487ds",
  "account_status": "active",
  "nickname": "mkrystof",
  "zoneinfo": "Australia/Sydney",
  "locale": "en-US",
  "extended_profile": {
    "job_title": "Designer",
    "organization": "mia@example.com",
    "department": "Design team",
    "location": "Sydney"
  }
}"#;

/// Atlassian takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The content type Atlassian's API answers with.
const API_JSON: &str = "application/json;charset=UTF-8";

fn client(server: &Server) -> OAuthClient<Atlassian, MemoryAdapter<String>> {
    expect::client(Atlassian::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("offline_access")
}

/// The code exchange: client id and secret in the form body, no PKCE verifier.
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
        .reply(status, API_JSON, body)
        .await
}

fn user(json: &str) -> AtlassianUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_atlassians_docs() {
    let info = Atlassian::INFO;
    assert_eq!(info.id, "atlassian");
    let endpoints = Atlassian::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://auth.atlassian.com/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://auth.atlassian.com/oauth/token"
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.atlassian.com/me")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["read:me"]);
    assert_eq!(info.user_id_field, "account_id");
    assert_eq!(info.pkce, portcullis::Pkce::None);
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
}

#[test]
fn authorization_url_has_every_parameter() {
    let atlassian =
        OAuthClient::new(Atlassian::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = atlassian.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://auth.atlassian.com"
    );
    assert_eq!(auth.url.path(), "/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("audience", "api.atlassian.com"),
        ("client_id", CLIENT_ID),
        ("prompt", "consent"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "read:me offline_access"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no code_challenge: Atlassian documents no PKCE"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.provider(), "atlassian");
    assert_eq!(auth.pending.nonce(), None);

    let again = atlassian.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
}

#[test]
fn audience_and_prompt_follow_the_standard_parameters_and_the_app_may_replace_them() {
    let atlassian = OAuthClient::new(
        Atlassian::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .authorization_param("prompt", "none"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = atlassian.authorization_url();
    let names: Vec<String> = auth
        .url
        .query_pairs()
        .map(|(k, _)| k.into_owned())
        .collect();
    let audience = names.iter().position(|n| n == "audience").unwrap();
    let state = names.iter().position(|n| n == "state").unwrap();
    assert!(
        audience > state,
        "extras after the standard ones: {names:?}"
    );
    assert_eq!(
        names.iter().filter(|n| *n == "prompt").count(),
        1,
        "the app's prompt replaces ours: {names:?}"
    );
    let query = query_of(&auth.url);
    assert_eq!(query["prompt"], "none");
    assert_eq!(query["audience"], "api.atlassian.com");
    assert_eq!(query["scope"], "read:me", "read:me alone by default");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Atlassian::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    let auth = atlassian.authorization_url();

    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = atlassian
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(
        session.provider_user_id,
        "112233aa-bb11-cc22-33dd-445566abcabc"
    );
    assert_eq!(
        session.key().to_string(),
        "atlassian:112233aa-bb11-cc22-33dd-445566abcabc"
    );
    let atlassian_user = &session.provider_user;
    assert_eq!(atlassian_user.account_type.as_deref(), Some("atlassian"));
    assert_eq!(atlassian_user.account_status.as_deref(), Some("active"));
    assert_eq!(atlassian_user.zoneinfo.as_deref(), Some("Australia/Sydney"));
    assert_eq!(atlassian_user.locale.as_deref(), Some("en-US"));
    let extended = atlassian_user.extended_profile.as_ref().unwrap();
    assert_eq!(extended.job_title.as_deref(), Some("Designer"));
    assert_eq!(extended.department.as_deref(), Some("Design team"));
    assert_eq!(extended.location.as_deref(), Some("Sydney"));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(3600)));
    assert!(session.tokens.refresh_token().is_some());
    assert_eq!(
        session.tokens.scopes().unwrap(),
        ["read:me", "offline_access"]
    );

    let profile = session.profile();
    assert_eq!(profile.id, "112233aa-bb11-cc22-33dd-445566abcabc");
    assert_eq!(profile.name.as_deref(), Some("Mia Krystof"));
    assert_eq!(profile.username.as_deref(), Some("mkrystof"));
    assert_eq!(profile.email.as_deref(), Some("mia@example.com"));
    assert!(
        !profile.email_verified,
        "Atlassian documents no verification flag"
    );
    assert_eq!(profile.verified_email(), None);
    assert!(
        profile
            .avatar_url
            .as_deref()
            .unwrap()
            .starts_with("https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("mia".to_owned()).await.unwrap();
    assert_eq!(atlassian.adapter().user_count(), 1);

    // The same account signs in again: found, not created twice.
    let auth = atlassian.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = atlassian
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(atlassian.adapter().user_count(), 1);
}

#[test]
fn an_email_hidden_by_profile_visibility_is_no_email() {
    let hidden = user(
        r#"{"account_type":"atlassian","account_id":"557058:f58131cb-b67d-43c7-b30d-6b58d40bd077",
            "email":"","name":"Mia Krystof","picture":"https://avatar-management--avatars.us-west-2.prod.public.atl-paas.net/default.png",
            "account_status":"active","nickname":"mkrystof"}"#,
    );
    let profile = hidden.profile();
    assert_eq!(profile.id, "557058:f58131cb-b67d-43c7-b30d-6b58d40bd077");
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);

    // Only the id is required; a nickname stands in for a missing name.
    let minimal = user(r#"{"account_id":"5b10ac8d82e05b22cc7d4ef5","nickname":"mk"}"#);
    assert_eq!(minimal.profile().name.as_deref(), Some("mk"));
    assert_eq!(minimal.extended_profile, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    let json = serde_json::to_string(&original).unwrap();
    let back: AtlassianUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_rotated_token() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "eyJ.old-refresh-token"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"eyJ.new-access-token","refresh_token":"eyJ.new-refresh-token",
                "expires_in":3600,"scope":"read:me offline_access","token_type":"Bearer"}"#,
        )
        .await;
    let tokens = atlassian
        .refresh(&RefreshToken::new("eyJ.old-refresh-token".to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "eyJ.new-access-token");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "eyJ.new-refresh-token",
        "Atlassian rotates refresh tokens: the old one is disabled"
    );
}

#[tokio::test]
async fn reused_refresh_token_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(403)
        .with_header("content-type", "application/json")
        .with_body(
            r#"{"error":"invalid_grant","error_description":"Unknown or invalid refresh token."}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let err = atlassian
        .refresh(&RefreshToken::new("eyJ.used".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 403, "invalid_grant", None);
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    let auth = atlassian.authorization_url();
    mock_token(
        &mut server,
        403,
        r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = atlassian
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        403,
        "invalid_grant",
        Some("Invalid authorization code"),
    );
    assert_eq!(atlassian.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><body><h1>Something went wrong</h1><p>Atlassian is having trouble</p></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = atlassian.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "Something went wrong",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        r#"{"account_type":"atlassian","name":"Mia"}"#,
    )
    .await;
    let err = atlassian.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("account_id"));
    assert!(
        err.to_string().contains("atlassian user request failed"),
        "{err}"
    );

    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, r#"{"account_id":"112233aa-"#).await;
    let err = atlassian.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let atlassian = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&atlassian).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let atlassian =
        OAuthClient::new(Atlassian::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&atlassian, CLIENT_SECRET);
}
