//! Gitea against a mock of its documented endpoints: the exact requests we send and
//! what we make of Gitea's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, Endpoints, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderUser, RefreshToken, Url,
};
use portcullis_gitea::{Gitea, GiteaUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "c9c5b3a4-5e0d-4b2f-9f1e-2b7a8d6c4e31";
const CLIENT_SECRET: &str = "gto_7hwz2ckmq4u3y5ouvxjy2bq4e6ttvaz3pmx2t3ldaqhn5k2srcaa";
const REDIRECT: &str = "http://localhost:3000/login/gitea/callback";
const CODE: &str = "gta_5mlzfc4yq7wplwcqjbu3bgqg7rt3e6xbfnt6xhkuwxyxhtkbo2ma";

const TOKEN_PATH: &str = "/login/oauth/access_token";
const USER_PATH: &str = "/api/v1/user";
const EMAILS_PATH: &str = "/api/v1/user/emails";

const ACCESS_TOKEN: &str = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJnbnQiOjIsInR0IjowLCJleHAiOjE1NTUxNzk5MTIsImlhdCI6MTU1NTE3NjMxMn0.0-iFsAwBtxuckA0sNZ6QpBQmywVPz129u75vOM7wPJecw5wqGyBkmstfJHAjEOqrAf_V5Z-1QYeCh_Cz4RiKug";
const REFRESH_TOKEN: &str = "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJnbnQiOjIsInR0IjoxLCJjbnQiOjEsImV4cCI6MTU1NzgwNDMxMiwiaWF0IjoxNTU1MTc2MzEyfQ.S_HZQBy4q9r5SEzNGNIoFClT43HPNDbUdHH-GYNYYdkRfft6XptJBkUQscZsGxOW975Yk6RbgtGvq1nkEcklOw";

/// A confidential client sends its id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response of Gitea's OAuth2 provider documentation.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJnbnQiOjIsInR0IjowLCJleHAiOjE1NTUxNzk5MTIsImlhdCI6MTU1NTE3NjMxMn0.0-iFsAwBtxuckA0sNZ6QpBQmywVPz129u75vOM7wPJecw5wqGyBkmstfJHAjEOqrAf_V5Z-1QYeCh_Cz4RiKug",
  "token_type": "bearer",
  "expires_in": 3600,
  "refresh_token": "eyJhbGciOiJIUzUxMiIsInR5cCI6IkpXVCJ9.eyJnbnQiOjIsInR0IjoxLCJjbnQiOjEsImV4cCI6MTU1NzgwNDMxMiwiaWF0IjoxNTU1MTc2MzEyfQ.S_HZQBy4q9r5SEzNGNIoFClT43HPNDbUdHH-GYNYYdkRfft6XptJBkUQscZsGxOW975Yk6RbgtGvq1nkEcklOw"
}"#;

/// `GET /api/v1/user`: every member of the API's `User` object, as Gitea serialises it
/// (with the `username` copy of `login` it adds for compatibility).
const USER: &str = r#"{
  "id": 42,
  "login": "ada",
  "login_name": "",
  "source_id": 0,
  "full_name": "Ada Lovelace",
  "email": "ada@example.com",
  "avatar_url": "https://gitea.com/avatars/6b2d3c3f5a6e0c4e8b9d4f1a2c3b4d5e",
  "html_url": "https://gitea.com/ada",
  "language": "en-US",
  "is_admin": false,
  "last_login": "2024-05-02T09:14:27Z",
  "created": "2019-03-11T17:02:45Z",
  "restricted": false,
  "active": true,
  "prohibit_login": false,
  "location": "London",
  "website": "https://ada.example.com",
  "description": "Analytical engines",
  "visibility": "public",
  "followers_count": 12,
  "following_count": 3,
  "starred_repos_count": 7,
  "username": "ada"
}"#;

/// `GET /api/v1/user/emails`: the API's `Email` objects.
const EMAILS: &str = r#"[
  {"email": "ada@example.com", "verified": true, "primary": true, "user_id": 42, "username": "ada"},
  {"email": "ada@work.example", "verified": false, "primary": false, "user_id": 42, "username": "ada"}
]"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Gitea, MemoryAdapter<String>> {
    expect::client(Gitea::new(), config, server)
}

/// The code exchange as Gitea documents it: every parameter in the form body.
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
        .reply(200, "application/json;charset=utf-8", TOKEN_RESPONSE)
        .await
}

async fn mock_api(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[], ACCESS_TOKEN)
        .reply(status, "application/json;charset=utf-8", body)
        .await
}

/// Answers the token request however it is sent: for tests about what comes after.
async fn any_token(server: &mut Server) {
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
}

#[test]
fn provider_facts_match_giteas_docs() {
    let info = Gitea::INFO;
    assert_eq!(info.id, "gitea");
    assert_eq!(info.user_id_field, "id");
    assert_eq!(info.default_scopes, ["read:user"]);
    assert_eq!(info.pkce, portcullis::Pkce::S256);
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.issuer, None);
    assert_eq!(info.revocation_url, None, "Gitea has no RFC 7009 endpoint");
    assert_eq!(
        info.docs_url,
        "https://docs.gitea.com/development/oauth2-provider"
    );
    let endpoints = Gitea::new().endpoints();
    assert_eq!(endpoints, Endpoints::from_info(&info));
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://gitea.com/login/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://gitea.com/login/oauth/access_token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://gitea.com/api/v1/user")
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let gitea = OAuthClient::new(
        Gitea::new(),
        config().scope("read:repository"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = gitea.authorization_url();
    assert_eq!(auth.url.origin().ascii_serialization(), "https://gitea.com");
    assert_eq!(auth.url.path(), "/login/oauth/authorize");

    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let challenge = s256_challenge(auth.pending.code_verifier().unwrap());
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "read:user read:repository"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "gitea");
    assert_eq!(auth.pending.nonce(), None);

    let plain = OAuthClient::new(Gitea::new(), config(), MemoryAdapter::<String>::new())
        .unwrap()
        .authorization_url();
    assert_eq!(
        query_of(&plain.url).get("scope").map(String::as_str),
        Some("read:user"),
        "read:user is always asked"
    );
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    let auth = gitea.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, TOKEN_PATH, CREDENTIALS, &verifier).await;
    let user = mock_api(&mut server, USER_PATH, 200, USER).await;
    let emails = mock_api(&mut server, EMAILS_PATH, 200, EMAILS).await;

    let session = gitea
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    emails.assert_async().await;

    assert_eq!(
        session.provider_user_id, "42",
        "the numeric id, as a string"
    );
    assert_eq!(session.key().to_string(), "gitea:42");
    let gt: &GiteaUser = &session.provider_user;
    assert_eq!(gt.id, 42);
    assert_eq!(gt.login, "ada");
    assert_eq!(gt.login_name.as_deref(), Some(""));
    assert_eq!(gt.source_id, Some(0));
    assert_eq!(gt.active, Some(true));
    assert_eq!(gt.visibility.as_deref(), Some("public"));
    assert_eq!(gt.created.as_deref(), Some("2019-03-11T17:02:45Z"));
    assert_eq!(gt.starred_repos_count, Some(7));
    assert_eq!(gt.emails.len(), 2);
    assert!(gt.emails[0].primary && gt.emails[0].verified);
    assert_eq!(gt.emails[1].email, "ada@work.example");
    assert_eq!(gt.emails[1].user_id, Some(42));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(3600)));

    let profile = session.profile();
    assert_eq!(profile.id, "42");
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(profile.username.as_deref(), Some("ada"));
    assert_eq!(profile.email.as_deref(), Some("ada@example.com"));
    assert!(profile.email_verified, "the primary address is verified");
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://gitea.com/avatars/6b2d3c3f5a6e0c4e8b9d4f1a2c3b4d5e")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("ada".to_owned()).await.unwrap();
    assert_eq!(gitea.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = gitea.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, CREDENTIALS, &verifier).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(&mut server, EMAILS_PATH, 200, EMAILS).await;
    let session = gitea
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(gitea.adapter().user_count(), 1);
}

#[tokio::test]
async fn an_unverified_primary_address_is_not_verified() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    any_token(&mut server).await;
    mock_api(
        &mut server,
        USER_PATH,
        200,
        r#"{"id": 7, "login": "newbie", "full_name": "", "email": "newbie@example.com",
            "avatar_url": "", "active": false}"#,
    )
    .await;
    // Only another address is verified: the primary one still is not.
    mock_api(
        &mut server,
        EMAILS_PATH,
        200,
        r#"[{"email": "newbie@example.com", "verified": false, "primary": true, "user_id": 7, "username": "newbie"},
            {"email": "old@example.com", "verified": true, "primary": false, "user_id": 7, "username": "newbie"}]"#,
    )
    .await;
    let user = gitea.validate_code(CODE, Some("v"), None).await.unwrap();
    let profile = user.profile();
    assert_eq!(profile.email.as_deref(), Some("newbie@example.com"));
    assert!(!profile.email_verified);
    assert_eq!(
        profile.name.as_deref(),
        Some("newbie"),
        "an empty full name falls back to the login"
    );
    assert_eq!(profile.avatar_url, None, "an empty avatar URL is no avatar");
}

#[tokio::test]
async fn a_verified_address_that_is_not_the_users_email_does_not_count() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    any_token(&mut server).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    // A list whose primary entry names another address than the user object.
    mock_api(
        &mut server,
        EMAILS_PATH,
        200,
        r#"[{"email": "someone@example.com", "verified": true, "primary": true}]"#,
    )
    .await;
    let profile = gitea
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap()
        .profile();
    assert_eq!(profile.email.as_deref(), Some("ada@example.com"));
    assert!(!profile.email_verified);
}

#[test]
fn a_server_base_url_moves_every_endpoint() {
    for base in [
        "https://codeberg.org",
        "https://codeberg.org/",
        "https://codeberg.org/?ignored=1",
    ] {
        let endpoints = Gitea::new().base_url(base.parse().unwrap()).endpoints();
        assert_eq!(
            endpoints.authorization.as_str(),
            "https://codeberg.org/login/oauth/authorize",
            "{base}"
        );
        assert_eq!(
            endpoints.token.as_str(),
            "https://codeberg.org/login/oauth/access_token"
        );
        assert_eq!(
            endpoints.userinfo.as_ref().map(Url::as_str),
            Some("https://codeberg.org/api/v1/user")
        );
        assert_eq!(endpoints.revocation, None);
        assert_eq!(endpoints.issuer, None);
    }

    // A path prefix (Gitea behind a reverse proxy at /git) is kept, without a doubled
    // slash.
    let endpoints = Gitea::new()
        .base_url("https://example.com:8443/git/".parse().unwrap())
        .endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://example.com:8443/git/login/oauth/authorize"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://example.com:8443/git/api/v1/user")
    );
}

#[tokio::test]
async fn a_self_hosted_sign_in_goes_to_the_server() {
    let mut server = Server::new_async().await;
    let gitea = expect::client(
        Gitea::new().base_url("https://example.com/git".parse().unwrap()),
        config(),
        &server,
    );
    let auth = gitea.authorization_url();
    assert_eq!(auth.url.path(), "/git/login/oauth/authorize");
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(
        &mut server,
        "/git/login/oauth/access_token",
        CREDENTIALS,
        &verifier,
    )
    .await;
    let user = mock_api(&mut server, "/git/api/v1/user", 200, USER).await;
    let emails = mock_api(&mut server, "/git/api/v1/user/emails", 200, EMAILS).await;
    let session = gitea
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    emails.assert_async().await;
    assert_eq!(session.key().to_string(), "gitea:42");
}

#[tokio::test]
async fn a_public_client_sends_no_secret() {
    let mut server = Server::new_async().await;
    let gitea = client(
        &server,
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = gitea.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // Gitea's PKCE example: client_id, code, grant_type, redirect_uri, code_verifier.
    let public = Credentials::Public { id: CLIENT_ID };
    let token = mock_token(&mut server, TOKEN_PATH, public, &verifier).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(&mut server, EMAILS_PATH, 200, EMAILS).await;
    gitea
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_rotated_token() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"eyJhbGciOiJSUzI1NiJ9.eyJnbnQiOjIsInR0IjowfQ.bmV3LWFjY2Vzcw",
                "token_type":"bearer","expires_in":3600,
                "refresh_token":"eyJhbGciOiJSUzI1NiJ9.eyJnbnQiOjIsInR0IjoxLCJjbnQiOjJ9.bmV3LXJlZnJlc2g"}"#,
        )
        .await;
    let tokens = gitea
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "eyJhbGciOiJSUzI1NiJ9.eyJnbnQiOjIsInR0IjowfQ.bmV3LWFjY2Vzcw"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "eyJhbGciOiJSUzI1NiJ9.eyJnbnQiOjIsInR0IjoxLCJjbnQiOjJ9.bmV3LXJlZnJlc2g",
        "every refresh rotates the refresh token: keep the new one"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3600)));
}

#[tokio::test]
async fn a_reused_refresh_token_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    // `INVALIDATE_REFRESH_TOKENS` on: a refresh token that was already used.
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            400,
            JSON,
            r#"{"error":"unauthorized_client","error_description":"token was already used"}"#,
        )
        .await;
    let err = gitea
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Refresh,
        400,
        "unauthorized_client",
        Some("token was already used"),
    );
}

#[tokio::test]
async fn an_invalid_code_is_gitea_s_unauthorized_client() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    let auth = gitea.authorization_url();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            400,
            JSON,
            r#"{"error":"unauthorized_client","error_description":"client is not authorized"}"#,
        )
        .await;
    let user = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = gitea
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "unauthorized_client",
        Some("client is not authorized"),
    );
    assert_eq!(gitea.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(502)
        .with_header("content-type", "text/html")
        .with_body("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
        .create_async()
        .await;
    let err = gitea
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        502,
        "text/html",
        "502 Bad Gateway",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_field() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    any_token(&mut server).await;
    // An id that is not a number is not what Gitea documents.
    mock_api(&mut server, USER_PATH, 200, r#"{"id":"42","login":"ada"}"#).await;
    let err = gitea
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert!(
        err.to_string().contains("gitea user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn invalid_emails_json_names_the_field() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    any_token(&mut server).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    mock_api(
        &mut server,
        EMAILS_PATH,
        200,
        r#"[{"email":"ada@example.com","verified":"yes","primary":true}]"#,
    )
    .await;
    let err = gitea
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("[0].verified"));
}

#[tokio::test]
async fn an_api_error_is_an_unexpected_response_and_fails_the_sign_in() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    any_token(&mut server).await;
    mock_api(&mut server, USER_PATH, 200, USER).await;
    // Gitea's API errors are `{"message", "url"}`, not OAuth error objects.
    mock_api(
        &mut server,
        EMAILS_PATH,
        403,
        r#"{"message":"token does not have at least one of required scope(s): [read:user]","url":"https://gitea.com/api/swagger"}"#,
    )
    .await;
    let err = gitea
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        403,
        "application/json;charset=utf-8",
        "required scope(s): [read:user]",
    );
    assert!(!err.is_retryable(), "the code is spent");
    assert_eq!(gitea.adapter().user_count(), 0);
}

#[test]
fn the_user_round_trips_through_serde() {
    let mut user: GiteaUser = serde_json::from_str(USER).unwrap();
    user.emails = serde_json::from_str(EMAILS).unwrap();
    let json = serde_json::to_string(&user).unwrap();
    let back: GiteaUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, user);
    assert!(back.profile().email_verified, "the emails are kept");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let gitea = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&gitea).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let client = OAuthClient::new(Gitea::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}
