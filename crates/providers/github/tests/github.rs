//! GitHub against a mock of its documented endpoints: the exact requests we send and
//! what we make of GitHub's responses.

use mockito::Server;
use portcullis::{
    ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, RefreshToken, USER_AGENT, Url,
};
use portcullis_github::GitHub;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const REDIRECT: &str = "http://localhost:3000/login/github/callback";
const TOKEN_PATH: &str = "/login/oauth/access_token";
/// The content type GitHub answers with.
const GITHUB_JSON: &str = "application/json; charset=utf-8";

/// GitHub takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: "Iv1.8a61f9b3a7aba766",
    secret: "s3cr3t-client",
};

/// `GET /user` as documented, for the authenticated user.
const USER: &str = r#"{
  "login": "octocat", "id": 583231, "node_id": "MDQ6VXNlcjU4MzIzMQ==",
  "avatar_url": "https://avatars.githubusercontent.com/u/583231?v=4", "gravatar_id": "",
  "url": "https://api.github.com/users/octocat", "html_url": "https://github.com/octocat",
  "type": "User", "site_admin": false, "name": "The Octocat", "company": "@github",
  "blog": "https://github.blog", "location": "San Francisco", "email": "octocat@github.com",
  "hireable": null, "bio": null, "twitter_username": null, "public_repos": 8,
  "public_gists": 8, "followers": 20000, "following": 9,
  "created_at": "2011-01-25T18:44:36Z", "updated_at": "2024-01-22T12:00:00Z",
  "private_gists": 0, "total_private_repos": 0, "owned_private_repos": 0,
  "disk_usage": 0, "collaborators": 0, "two_factor_authentication": true,
  "plan": {"name": "free", "space": 976562499, "private_repos": 10000, "collaborators": 0}
}"#;

/// `GET /user/emails` as documented.
const EMAILS: &str = r#"[
  {"email": "octocat@github.com", "verified": true, "primary": false, "visibility": "public"},
  {"email": "octocat@users.noreply.github.com", "verified": true, "primary": true, "visibility": null},
  {"email": "old@example.com", "verified": false, "primary": false, "visibility": null}
]"#;

fn client(server: &Server, config: ClientConfig) -> OAuthClient<GitHub, MemoryAdapter<String>> {
    expect::client(GitHub::new(), config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new("Iv1.8a61f9b3a7aba766", "s3cr3t-client")
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("user:email")
}

async fn mock_token(server: &mut Server, verifier: &str, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "the-code"),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, GITHUB_JSON, body)
        .await
}

/// Hand-built rather than `expect::api_request`: GitHub's REST API is asked for its own
/// media type, not `application/json`, and mockito needs every `accept` matcher to hold.
async fn mock_api(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    server
        .mock("GET", path)
        .match_header(
            "authorization",
            "Bearer gho_16C7e42F292c6912E7710c838347Ae178B4a",
        )
        .match_header("accept", "application/vnd.github+json")
        .match_header("x-github-api-version", "2022-11-28")
        .match_header("user-agent", USER_AGENT)
        .with_status(status)
        .with_header("content-type", GITHUB_JSON)
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

#[test]
fn authorization_url_has_every_parameter() {
    let github = OAuthClient::new(GitHub::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = github.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://github.com"
    );
    assert_eq!(auth.url.path(), "/login/oauth/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let verifier = auth.pending.code_verifier().unwrap();
    assert_eq!(
        challenge,
        portcullis_testkit::s256_challenge(verifier),
        "S256 challenge of the kept verifier"
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", "Iv1.8a61f9b3a7aba766"),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "user:email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "github");
    assert_eq!(
        auth.pending.nonce(),
        None,
        "no nonce: GitHub is not OpenID Connect"
    );

    let again = github.authorization_url();
    assert_ne!(
        again.pending.state(),
        auth.pending.state(),
        "fresh state per sign-in"
    );
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn redirect_uri_is_optional_and_enterprise_endpoints_follow_the_host() {
    let github = OAuthClient::new(
        GitHub::enterprise("https://github.example.com/".parse().unwrap()),
        ClientConfig::new("id", "secret"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = github.authorization_url();
    assert!(!query_of(&auth.url).contains_key("redirect_uri"));
    assert!(
        !query_of(&auth.url).contains_key("scope"),
        "no default scope"
    );
    assert_eq!(
        github.endpoints().authorization.as_str(),
        "https://github.example.com/login/oauth/authorize"
    );
    assert_eq!(
        github.endpoints().token.as_str(),
        "https://github.example.com/login/oauth/access_token"
    );
    assert_eq!(
        github.endpoints().userinfo.as_ref().map(Url::as_str),
        Some("https://github.example.com/api/v3/user")
    );
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let auth = github.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(
        &mut server,
        &verifier,
        r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"user:email","token_type":"bearer"}"#,
    )
    .await;
    let user = mock_api(&mut server, "/user", 200, USER).await;
    let emails = mock_api(&mut server, "/user/emails", 200, EMAILS).await;

    let session = github
        .validate_callback(&callback_for(&auth, "the-code"), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    emails.assert_async().await;

    assert_eq!(session.provider_user_id, "583231");
    assert_eq!(session.key().to_string(), "github:583231");
    assert_eq!(session.provider_user.login, "octocat");
    assert_eq!(session.provider_user.company.as_deref(), Some("@github"));
    assert_eq!(session.provider_user.two_factor_authentication, Some(true));
    assert_eq!(session.tokens.scopes().unwrap(), ["user:email"]);
    assert_eq!(
        session.tokens.expires_in(),
        None,
        "OAuth app tokens do not expire"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "583231");
    assert_eq!(profile.name.as_deref(), Some("The Octocat"));
    assert_eq!(profile.username.as_deref(), Some("octocat"));
    assert_eq!(
        profile.email.as_deref(),
        Some("octocat@users.noreply.github.com")
    );
    assert!(
        profile.email_verified,
        "primary and verified in /user/emails"
    );
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://avatars.githubusercontent.com/u/583231?v=4")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("octocat".to_owned()).await.unwrap();
    assert_eq!(github.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = github.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"user:email","token_type":"bearer"}"#,
    )
    .await;
    mock_api(&mut server, "/user", 200, USER).await;
    mock_api(&mut server, "/user/emails", 200, EMAILS).await;
    let session = github
        .validate_callback(&callback_for(&auth, "the-code"), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(github.adapter().user_count(), 1);
}

#[tokio::test]
async fn without_email_scope_the_public_email_is_unverified() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let auth = github.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"read:user","token_type":"bearer"}"#,
    )
    .await;
    mock_api(&mut server, "/user", 200, USER).await;
    let emails = server
        .mock("GET", "/user/emails")
        .expect(0)
        .create_async()
        .await;

    let session = github
        .validate_code("the-code", Some(&verifier), None)
        .await
        .unwrap();
    emails.assert_async().await;
    assert_eq!(session.provider_user.emails, None);
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("octocat@github.com"));
    assert!(!profile.email_verified);
}

#[tokio::test]
async fn github_app_token_without_email_permission() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let auth = github.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // A GitHub App user token: expiring, refreshable, no scopes.
    mock_token(
        &mut server,
        &verifier,
        r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","expires_in":28800,
            "refresh_token":"ghr_1B4a2e77838347a7E420ce178F2E7c6912E169246c34E1ccbF66C46812d16D5B1A9Dc86A1498",
            "refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}"#,
    )
    .await;
    mock_api(&mut server, "/user", 200, USER).await;
    mock_api(
        &mut server,
        "/user/emails",
        403,
        r#"{"message":"Resource not accessible by integration","documentation_url":"https://docs.github.com/rest/users/emails","status":"403"}"#,
    )
    .await;

    let session = github
        .validate_code("the-code", Some(&verifier), None)
        .await
        .unwrap();
    assert_eq!(session.provider_user.emails, None);
    assert!(!session.profile().email_verified);
    assert_eq!(session.tokens.expires_in().unwrap().as_secs(), 28800);
    assert!(session.tokens.refresh_token().is_some());
    assert!(session.tokens.refresh_token_expires_at().is_some());
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "ghr_old"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"ghu_new","expires_in":28800,"refresh_token":"ghr_new",
                "refresh_token_expires_in":15811200,"scope":"","token_type":"bearer"}"#,
        )
        .await;
    let tokens = github
        .refresh(&RefreshToken::new("ghr_old".to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "ghu_new");
    assert_eq!(tokens.refresh_token().unwrap().secret(), "ghr_new");
}

#[tokio::test]
async fn error_with_http_200_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let auth = github.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        r#"{"error":"bad_verification_code","error_description":"The code passed is incorrect or expired.",
            "error_uri":"https://docs.github.com/apps/managing-oauth-apps/troubleshooting-oauth-app-access-token-request-errors/#bad-verification-code"}"#,
    )
    .await;
    let user = server.mock("GET", "/user").expect(0).create_async().await;

    let err = github
        .validate_callback(&callback_for(&auth, "the-code"), &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        200,
        "bad_verification_code",
        Some("The code passed is incorrect or expired."),
    );
    assert_eq!(github.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html")
        .with_body("<html><body><h1>Unicorn!</h1>\n<p>GitHub is having trouble</p></body></html>")
        .create_async()
        .await;
    let err = github
        .validate_code("the-code", Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::TokenExchange, 500, "text/html", "Unicorn!");
    assert!(
        !err.is_retryable(),
        "never for a code exchange, even on a 500"
    );
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(r#"{"access_token":"gho_16C7e42F292c6912E7710c838347Ae178B4a","scope":"","token_type":"bearer"}"#)
        .create_async()
        .await;
    mock_api(&mut server, "/user", 200, r#"{"login":"octocat","id":"#).await;
    let err = github
        .validate_code("the-code", Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("github user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let github = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&github).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let github = OAuthClient::new(GitHub::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&github, "s3cr3t-client");
}
