//! Patreon against a mock of its documented endpoints: the exact requests we send and
//! what we make of Patreon's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_patreon::{Patreon, PatreonUser, USER_FIELDS};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "mE3vK9pQ2rT7wX1yZ5aB8cD4fG6hJ0kLnP2sU4vW6xY8zA1bC3dE5fG7hJ9kL0m";
const CLIENT_SECRET: &str = "s3cr3t-Q1w2E3r4T5y6U7i8O9p0AsDfGhJkLzXcVbNm";
const REDIRECT: &str = "http://localhost:3000/login/patreon/callback";
const CODE: &str = "Rk9vQmFyQmF6UXV4";

const TOKEN_PATH: &str = "/api/oauth2/token";
const IDENTITY_PATH: &str = "/api/oauth2/v2/identity";

const ACCESS_TOKEN: &str = "Nz0SJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9xyz";

/// The token response as documented, for `identity identity[email]`.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "Nz0SJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9xyz",
  "refresh_token": "p5DSHJq6bGJ3ZwFkRXd0NmVnR2xyb3c",
  "expires_in": 2678400,
  "scope": "identity identity[email]",
  "token_type": "Bearer",
  "version": "0.0.1"
}"#;

/// The identity document with the `identity[email]` scope, shaped like the documented
/// sample response for the fields we ask for.
const IDENTITY: &str = r#"{
  "data": {
    "attributes": {
      "about": "A Patreon Platform User",
      "created": "2018-04-01T00:36:26+00:00",
      "email": "platform@patreon.com",
      "first_name": "Platform",
      "full_name": "Platform Team",
      "hide_pledges": false,
      "image_url": "https://c8.patreon.com/3/200/12345",
      "is_email_verified": true,
      "last_name": "Team",
      "thumb_url": "https://c8.patreon.com/3/100/12345",
      "url": "https://www.patreon.com/platform",
      "vanity": "platform"
    },
    "id": "12345",
    "type": "user"
  },
  "links": {"self": "https://www.patreon.com/api/oauth2/v2/user/12345"}
}"#;

/// Patreon takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

fn client(server: &Server) -> OAuthClient<Patreon, MemoryAdapter<String>> {
    expect::client(Patreon::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("identity[email]")
}

fn user(json: &str) -> PatreonUser {
    serde_json::from_str(json).unwrap()
}

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

async fn mock_identity(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(
        server,
        "GET",
        IDENTITY_PATH,
        &[("fields[user]", USER_FIELDS)],
        ACCESS_TOKEN,
    )
    .reply(status, "application/vnd.api+json", body)
    .await
}

#[test]
fn endpoints_are_those_patreon_documents() {
    let endpoints = Patreon::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.patreon.com/oauth2/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://www.patreon.com/api/oauth2/token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://www.patreon.com/api/oauth2/v2/identity")
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(endpoints.issuer, None);
    assert_eq!(Patreon::INFO.id, "patreon", "Lucia's provider id");
    assert_eq!(Patreon::INFO.user_id_field, "data.id");
}

#[test]
fn authorization_url_has_every_parameter() {
    let patreon =
        OAuthClient::new(Patreon::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = patreon.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.patreon.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "identity identity[email]"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no PKCE, no nonce"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "patreon");
}

#[test]
fn identity_is_always_requested_and_a_redirect_uri_is_required() {
    let patreon = OAuthClient::new(
        Patreon::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        query_of(&patreon.authorization_url().url)["scope"],
        "identity",
        "never left out: Patreon would fall back to its APIv1 scopes"
    );

    let err = OAuthClient::new(
        Patreon::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    let auth = patreon.authorization_url();

    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let identity = mock_identity(&mut server, 200, IDENTITY).await;

    let session = patreon
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    identity.assert_async().await;

    assert_eq!(session.provider_user_id, "12345");
    assert_eq!(session.key().to_string(), "patreon:12345");
    let typed = &session.provider_user;
    assert_eq!(typed.id, "12345");
    assert_eq!(typed.kind.as_deref(), Some("user"));
    assert_eq!(
        typed.attributes.created.as_deref(),
        Some("2018-04-01T00:36:26+00:00"),
        "asked for, unlike in Lucia"
    );
    assert_eq!(typed.attributes.first_name.as_deref(), Some("Platform"));
    assert_eq!(typed.attributes.hide_pledges, Some(false));
    assert_eq!(
        typed.attributes.thumb_url.as_deref(),
        Some("https://c8.patreon.com/3/100/12345")
    );

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 2_678_400);
    assert!(tokens.has_scope("identity[email]"));
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "p5DSHJq6bGJ3ZwFkRXd0NmVnR2xyb3c"
    );
    assert_eq!(tokens.extra()["version"], "0.0.1");

    let profile = session.profile();
    assert_eq!(profile.id, "12345");
    assert_eq!(profile.name.as_deref(), Some("Platform Team"));
    assert_eq!(profile.username.as_deref(), Some("platform"));
    assert_eq!(profile.email.as_deref(), Some("platform@patreon.com"));
    assert!(profile.email_verified, "is_email_verified: true");
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://c8.patreon.com/3/200/12345")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("platform".to_owned()).await.unwrap();
    assert_eq!(patreon.adapter().user_count(), 1);

    let auth = patreon.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_identity(&mut server, 200, IDENTITY).await;
    let session = patreon
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(patreon.adapter().user_count(), 1);
}

#[test]
fn the_fields_asked_for_are_lucias_and_the_documented_rest() {
    let fields: Vec<&str> = USER_FIELDS.split(',').collect();
    for lucia in [
        "about",
        "email",
        "full_name",
        "hide_pledges",
        "image_url",
        "is_email_verified",
        "url",
    ] {
        assert!(fields.contains(&lucia), "{lucia}");
    }
    for added in ["created", "first_name", "last_name", "thumb_url", "vanity"] {
        assert!(fields.contains(&added), "{added}");
    }
    assert_eq!(fields.len(), 12, "no field twice, none undocumented");
}

#[test]
fn email_is_verified_only_when_patreon_says_so() {
    // Without `identity[email]`: no address; `is_email_verified` alone verifies nothing.
    let no_email = user(
        r#"{"id":"12345","type":"user","attributes":{"full_name":"Platform Team",
            "is_email_verified":true,"image_url":"https://c8.patreon.com/3/200/12345"}}"#,
    );
    assert_eq!(no_email.profile().email, None);
    assert!(!no_email.profile().email_verified);

    let unconfirmed = user(
        r#"{"id":"12345","type":"user","attributes":{"email":"platform@patreon.com",
            "is_email_verified":false}}"#,
    );
    assert_eq!(
        unconfirmed.profile().email.as_deref(),
        Some("platform@patreon.com")
    );
    assert!(!unconfirmed.profile().email_verified);
    assert_eq!(unconfirmed.profile().verified_email(), None);

    // A patron, not a creator: no vanity, empty about.
    let patron = user(
        r#"{"id":"67890","type":"user","attributes":{"about":null,"full_name":"Jo","vanity":null}}"#,
    );
    assert_eq!(patron.profile().username, None);
    assert_eq!(patron.profile().name.as_deref(), Some("Jo"));

    // Without the attributes object at all, the id still identifies the user.
    let bare = user(r#"{"id":"67890","type":"user"}"#);
    assert_eq!(bare.provider_user_id(), "67890");

    let back: PatreonUser = serde_json::from_str(
        &serde_json::to_string(&user(
            r#"{"id":"1","type":"user","attributes":{"full_name":"A"}}"#,
        ))
        .unwrap(),
    )
    .unwrap();
    assert_eq!(back.attributes.full_name.as_deref(), Some("A"));
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "p5DSHJq6bGJ3ZwFkRXd0NmVnR2xyb3c"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"bmV3LWFjY2Vzcy10b2tlbg","refresh_token":"bmV3LXJlZnJlc2gtdG9rZW4",
                "expires_in":2678400,"scope":"identity identity[email]","token_type":"Bearer","version":"0.0.1"}"#,
        )
        .await;
    let tokens = patreon
        .refresh(&RefreshToken::new(
            "p5DSHJq6bGJ3ZwFkRXd0NmVnR2xyb3c".to_owned(),
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "bmV3LWFjY2Vzcy10b2tlbg");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "bmV3LXJlZnJlc2gtdG9rZW4"
    );
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    let auth = patreon.authorization_url();
    mock_token(&mut server, 400, r#"{"error":"invalid_grant"}"#).await;
    let identity = server
        .mock("GET", IDENTITY_PATH)
        .match_query(Matcher::Any)
        .expect(0)
        .create_async()
        .await;

    let err = patreon
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    identity.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(patreon.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html")
        .with_body("<html><head><title>Patreon</title></head><body><h1>Internal Server Error</h1></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = patreon.validate_code(CODE, None, None).await.unwrap_err();
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
async fn invalid_identity_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // A JSON:API id is a string; a number is not what Patreon documents.
    mock_identity(
        &mut server,
        200,
        r#"{"data":{"attributes":{},"id":12345,"type":"user"}}"#,
    )
    .await;
    let err = patreon.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data.id"));
    assert!(
        err.to_string().contains("patreon user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn api_errors_are_unexpected_responses() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // Patreon's JSON:API error document for a bad token.
    mock_identity(
        &mut server,
        401,
        r#"{"errors":[{"code":1,"code_name":"Unauthorized","detail":"The server could not verify that you are authorized to access the URL requested.","id":"87716a1a-18c4-466c-a416-dfed51bb6417","status":"401","title":"Unauthorized"}]}"#,
    )
    .await;
    let err = patreon.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        "application/vnd.api+json",
        "Unauthorized",
    );
}

#[tokio::test]
async fn forged_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let patreon = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&patreon).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let patreon =
        OAuthClient::new(Patreon::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&patreon, CLIENT_SECRET);
}
