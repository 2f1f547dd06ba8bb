//! GitLab against a mock of its documented endpoints: the exact requests we send and
//! what we make of GitLab's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    AccessToken, ClientConfig, Endpoints, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Provider, RefreshToken, Url,
};
use portcullis_gitlab::{GitLab, GitLabUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "a5c4e4f9c8e1b5d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9";
const CLIENT_SECRET: &str =
    "gloas-3b2c8f0e9d7a6c5b4a3f2e1d0c9b8a7f6e5d4c3b2a1f0e9d8c7b6a5f4e3d2c1b";
const REDIRECT: &str = "http://localhost:3000/login/gitlab/callback";
const CODE: &str = "1234567890abcdef1234567890abcdef1234567890abcdef";

const TOKEN_PATH: &str = "/oauth/token";
const REVOKE_PATH: &str = "/oauth/revoke";
const USER_PATH: &str = "/api/v4/user";

const ACCESS_TOKEN: &str = "de6780bc506a0446309bd9362820ba8aed28aa506c71eedbe1c5c4f9dd350e54";
const REFRESH_TOKEN: &str = "8257e65c97202ed1726cf9571600918f3bffb2544b26e00a61df9897668c33a1";

/// A confidential client sends its id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response as GitLab's OAuth 2.0 API documents it.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "de6780bc506a0446309bd9362820ba8aed28aa506c71eedbe1c5c4f9dd350e54",
  "token_type": "bearer",
  "expires_in": 7200,
  "refresh_token": "8257e65c97202ed1726cf9571600918f3bffb2544b26e00a61df9897668c33a1",
  "created_at": 1607635748
}"#;

/// `GET /api/v4/user` "as a regular user", as documented.
const USER: &str = r#"{
  "id": 1,
  "username": "john_smith",
  "email": "john@example.com",
  "name": "John Smith",
  "state": "active",
  "locked": false,
  "avatar_url": "http://localhost:3000/uploads/user/avatar/1/index.jpg",
  "web_url": "http://localhost:3000/john_smith",
  "created_at": "2012-05-23T08:00:58Z",
  "bio": "",
  "location": null,
  "public_email": "john@example.com",
  "linkedin": "",
  "twitter": "",
  "discord": "",
  "github": "",
  "website_url": "",
  "organization": "",
  "job_title": "",
  "pronouns": "he/him",
  "bot": false,
  "work_information": null,
  "followers": 0,
  "following": 0,
  "local_time": "3:38 PM",
  "last_sign_in_at": "2012-06-01T11:41:01Z",
  "confirmed_at": "2012-05-23T09:05:22Z",
  "theme_id": 1,
  "last_activity_on": "2012-05-23",
  "color_scheme_id": 2,
  "projects_limit": 100,
  "current_sign_in_at": "2012-06-02T06:36:55Z",
  "identities": [
    {"provider": "github", "extern_uid": "2435223452345"},
    {"provider": "bitbucket", "extern_uid": "john_smith"},
    {"provider": "google_oauth2", "extern_uid": "8776128412476123468721346"}
  ],
  "can_create_group": true,
  "can_create_project": true,
  "two_factor_enabled": true,
  "external": false,
  "private_profile": false,
  "commit_email": "admin@example.com"
}"#;

fn client(server: &Server, config: ClientConfig) -> OAuthClient<GitLab, MemoryAdapter<String>> {
    expect::client(GitLab::new(), config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// The code exchange as GitLab documents it: every parameter in the form body.
async fn mock_token(
    server: &mut Server,
    path: &str,
    credentials: Credentials<'_>,
    verifier: &str,
) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, path, credentials, &form)
        .reply(200, "application/json; charset=utf-8", TOKEN_RESPONSE)
        .await
}

async fn mock_user(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_gitlabs_docs() {
    let info = GitLab::INFO;
    assert_eq!(info.id, "gitlab");
    assert_eq!(info.user_id_field, "id");
    assert_eq!(info.default_scopes, ["read_user"]);
    assert_eq!(info.issuer, None);
    assert_eq!(GitLab::new().endpoints(), Endpoints::from_info(&info));
    let endpoints = GitLab::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://gitlab.com/oauth/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://gitlab.com/oauth/token");
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://gitlab.com/oauth/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://gitlab.com/api/v4/user")
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let gitlab = OAuthClient::new(
        GitLab::new(),
        config().scope("openid"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = gitlab.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://gitlab.com"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce(), "`openid` asked");
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "read_user openid"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "gitlab");

    let plain = OAuthClient::new(GitLab::new(), config(), MemoryAdapter::<String>::new())
        .unwrap()
        .authorization_url();
    assert_eq!(
        query_of(&plain.url).get("scope").map(String::as_str),
        Some("read_user"),
        "read_user is always asked"
    );
    assert_eq!(plain.pending.nonce(), None);
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    let auth = gitlab.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, TOKEN_PATH, CREDENTIALS, &verifier).await;
    let user = mock_user(&mut server, USER_PATH, 200, USER).await;

    let session = gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, "1", "the numeric id, as a string");
    assert_eq!(session.key().to_string(), "gitlab:1");
    let gl: &GitLabUser = &session.provider_user;
    assert_eq!(gl.id, 1);
    assert_eq!(gl.username, "john_smith");
    assert_eq!(gl.state.as_deref(), Some("active"));
    assert_eq!(gl.two_factor_enabled, Some(true));
    assert_eq!(gl.bot, Some(false));
    assert_eq!(gl.commit_email.as_deref(), Some("admin@example.com"));
    assert_eq!(gl.identities.len(), 3);
    assert_eq!(gl.identities[0].provider, "github");
    assert_eq!(gl.identities[0].extern_uid, "2435223452345");

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(7200)));
    assert_eq!(session.tokens.extra()["created_at"], 1_607_635_748);

    let profile = session.profile();
    assert_eq!(profile.id, "1");
    assert_eq!(profile.name.as_deref(), Some("John Smith"));
    assert_eq!(profile.username.as_deref(), Some("john_smith"));
    assert_eq!(profile.email.as_deref(), Some("john@example.com"));
    assert!(profile.email_verified, "`confirmed_at` is set");
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("http://localhost:3000/uploads/user/avatar/1/index.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("john".to_owned()).await.unwrap();
    assert_eq!(gitlab.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = gitlab.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, CREDENTIALS, &verifier).await;
    mock_user(&mut server, USER_PATH, 200, USER).await;
    let session = gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(gitlab.adapter().user_count(), 1);
}

#[tokio::test]
async fn an_unconfirmed_email_is_not_verified() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    let auth = gitlab.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, CREDENTIALS, &verifier).await;
    mock_user(
        &mut server,
        USER_PATH,
        200,
        r#"{"id": 4213, "username": "new_user", "name": "", "state": "active",
            "email": "new@example.com", "public_email": "", "confirmed_at": null,
            "avatar_url": null, "identities": []}"#,
    )
    .await;
    let session = gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.key().to_string(), "gitlab:4213");
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("new@example.com"));
    assert!(!profile.email_verified, "no `confirmed_at`");
    assert_eq!(
        profile.name.as_deref(),
        Some("new_user"),
        "an empty name falls back to the username"
    );
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn self_managed_base_url_moves_every_endpoint() {
    for base in [
        "https://gitlab.example.com",
        "https://gitlab.example.com/",
        "https://gitlab.example.com/?ignored=1",
    ] {
        let endpoints = GitLab::new().base_url(base.parse().unwrap()).endpoints();
        assert_eq!(
            endpoints.authorization.as_str(),
            "https://gitlab.example.com/oauth/authorize",
            "{base}"
        );
        assert_eq!(
            endpoints.token.as_str(),
            "https://gitlab.example.com/oauth/token"
        );
        assert_eq!(
            endpoints.revocation.as_ref().map(Url::as_str),
            Some("https://gitlab.example.com/oauth/revoke")
        );
        assert_eq!(
            endpoints.userinfo.as_ref().map(Url::as_str),
            Some("https://gitlab.example.com/api/v4/user")
        );
        assert_eq!(endpoints.issuer, None);
    }

    // A path prefix is kept, without a doubled slash.
    let endpoints = GitLab::new()
        .base_url("https://example.com:8443/gitlab/".parse().unwrap())
        .endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://example.com:8443/gitlab/oauth/authorize"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://example.com:8443/gitlab/api/v4/user")
    );

    let auth = OAuthClient::new(
        GitLab::new().base_url("https://gitlab.example.com".parse().unwrap()),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap()
    .authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://gitlab.example.com"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");
}

#[tokio::test]
async fn self_managed_sign_in_goes_to_the_instance() {
    let mut server = Server::new_async().await;
    let gitlab = expect::client(
        GitLab::new().base_url("https://example.com/gitlab".parse().unwrap()),
        config(),
        &server,
    );
    let auth = gitlab.authorization_url();
    assert_eq!(auth.url.path(), "/gitlab/oauth/authorize");
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(&mut server, "/gitlab/oauth/token", CREDENTIALS, &verifier).await;
    let user = mock_user(&mut server, "/gitlab/api/v4/user", 200, USER).await;
    let session = gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    assert_eq!(session.key().to_string(), "gitlab:1");
}

#[tokio::test]
async fn a_public_client_sends_no_secret() {
    let mut server = Server::new_async().await;
    let gitlab = client(
        &server,
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = gitlab.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // GitLab's PKCE example: client_id, code, grant_type, redirect_uri, code_verifier.
    let public = Credentials::Public { id: CLIENT_ID };
    let token = mock_token(&mut server, TOKEN_PATH, public, &verifier).await;
    mock_user(&mut server, USER_PATH, 200, USER).await;
    gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_rotated_token() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            "application/json; charset=utf-8",
            r#"{"access_token":"c97d1fe52119f38c7f67f0a14db68d60caa35ddc86fd12401718b649dcfa9c68",
                "token_type":"bearer","expires_in":7200,
                "refresh_token":"803c1fd487fec35562c205dac93e9d8e08f9d3652a24079d704df3039df1158f",
                "created_at":1628711391}"#,
        )
        .await;
    let tokens = gitlab
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "c97d1fe52119f38c7f67f0a14db68d60caa35ddc86fd12401718b649dcfa9c68"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "803c1fd487fec35562c205dac93e9d8e08f9d3652a24079d704df3039df1158f",
        "GitLab invalidates the old refresh token: keep the new one"
    );
}

#[tokio::test]
async fn revoke_posts_the_token_with_the_client_credentials_in_the_body() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let refresh = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, "{}")
        .await;
    gitlab
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let access = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, "{}")
        .await;
    gitlab
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    access.assert_async().await;
}

#[tokio::test]
async fn invalid_grant_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    let auth = gitlab.authorization_url();
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", "application/json; charset=utf-8")
        .with_body(
            r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let user = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = gitlab
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(gitlab.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>We're sorry, but something went wrong (500)</title></head><body></body></html>")
        .create_async()
        .await;
    let err = gitlab
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "something went wrong",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    // An id that is not a number is not what GitLab documents.
    mock_user(
        &mut server,
        USER_PATH,
        200,
        r#"{"id":"1","username":"john_smith"}"#,
    )
    .await;
    let err = gitlab
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert!(
        err.to_string().contains("gitlab user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn a_token_without_read_user_is_a_typed_failure() {
    let mut server = Server::new_async().await;
    let gitlab = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    mock_user(
        &mut server,
        USER_PATH,
        403,
        r#"{"error":"insufficient_scope","error_description":"The request requires higher privileges than provided by the access token.","scope":"api read_user read_api"}"#,
    )
    .await;
    let err = gitlab
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::UserInfo, 403, "insufficient_scope", None);
}

#[test]
fn debug_output_holds_no_secret() {
    let client = OAuthClient::new(GitLab::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}
