//! Facebook against a mock of its documented endpoints: the exact requests we send and
//! what we make of Facebook's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, Endpoints, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, Url,
};
use portcullis_facebook::{DEFAULT_API_VERSION, Facebook, FacebookUser};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const APP_ID: &str = "1204638797018457";
const APP_SECRET: &str = "8f3a5e2b9c1d4f6a7b8c9d0e1f2a3b4c";
const REDIRECT: &str = "http://localhost:3000/login/facebook/callback";
const CODE: &str = "AQBx-hBsDxqXtDVRKTOGrjBbAQQ2Yq3Z0iHnRMbpBE1Y";
const ACCESS_TOKEN: &str = "EAAQ4ZCjZBvZCcUBO7ZBZCjS0xZAt7qWZBgPZBv3ZAZCyHZCZB";

const TOKEN_PATH: &str = "/v27.0/oauth/access_token";
const USER_PATH: &str = "/v27.0/me";
const DEFAULT_FIELDS: &str = "id,name,first_name,last_name,email,picture";

/// The app secret goes in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: APP_ID,
    secret: APP_SECRET,
};

/// The content type of the Graph API's JSON answers.
const GRAPH_JSON: &str = "application/json; charset=UTF-8";

/// The token response as the manual login flow guide documents it.
const TOKEN_RESPONSE: &str = r#"{"access_token":"EAAQ4ZCjZBvZCcUBO7ZBZCjS0xZAt7qWZBgPZBv3ZAZCyHZCZB","token_type":"bearer","expires_in":5183944}"#;

/// `GET /me?fields=id,name,first_name,last_name,email,picture` with the `email`
/// permission, shaped like the Graph API's User node.
const USER: &str = r#"{
  "id": "10158842170542361",
  "name": "Mary Ann Smith",
  "first_name": "Mary",
  "last_name": "Smith",
  "email": "mary.smith@example.com",
  "picture": {
    "data": {
      "height": 50,
      "is_silhouette": false,
      "url": "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158842170542361&height=50&width=50&ext=1767225600&hash=AbYw3nQ",
      "width": 50
    }
  }
}"#;

fn client(server: &Server) -> OAuthClient<Facebook, MemoryAdapter<String>> {
    expect::client(Facebook::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(APP_ID, APP_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("email")
}

/// The code exchange: a form POST with the secret in the body and the PKCE verifier.
async fn mock_token(server: &mut Server, path: &str, verifier: &str, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, path, CREDENTIALS, &form)
        .reply(200, GRAPH_JSON, body)
        .await
}

/// The user request: a bearer token in the header, only `fields` in the query.
async fn mock_user(
    server: &mut Server,
    path: &str,
    fields: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[("fields", fields)], ACCESS_TOKEN)
        .reply(status, GRAPH_JSON, body)
        .await
}

#[test]
fn provider_facts_match_facebooks_docs() {
    let info = Facebook::INFO;
    assert_eq!(info.id, "facebook");
    assert_eq!(info.user_id_field, "id");
    assert!(info.default_scopes.is_empty());
    assert_eq!(info.revocation_url, None);
    assert_eq!(info.issuer, None);
    assert!(info.email_verified_source.starts_with("never:"));
    assert_eq!(DEFAULT_API_VERSION, "v27.0");
    assert!(info.token_url.contains(DEFAULT_API_VERSION));
    // The default endpoints are the ones `ProviderInfo` documents.
    assert_eq!(Facebook::new().endpoints(), Endpoints::from_info(&info));
    let endpoints = Facebook::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.facebook.com/v27.0/dialog/oauth"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://graph.facebook.com/v27.0/oauth/access_token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://graph.facebook.com/v27.0/me")
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let facebook =
        OAuthClient::new(Facebook::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = facebook.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.facebook.com"
    );
    assert_eq!(auth.url.path(), "/v27.0/dialog/oauth");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap()),
        "S256 challenge of the kept verifier"
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", APP_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "facebook");
    assert_eq!(auth.pending.nonce(), None, "no `openid` scope, no nonce");
}

#[test]
fn no_default_scope_and_a_redirect_uri_is_required() {
    let facebook = OAuthClient::new(
        Facebook::new(),
        ClientConfig::new(APP_ID, APP_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = facebook.authorization_url();
    assert!(!query_of(&auth.url).contains_key("scope"), "{}", auth.url);

    let err = OAuthClient::new(
        Facebook::new(),
        ClientConfig::new(APP_ID, APP_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    let auth = facebook.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, TOKEN_PATH, &verifier, TOKEN_RESPONSE).await;
    let user = mock_user(&mut server, USER_PATH, DEFAULT_FIELDS, 200, USER).await;

    let session = facebook
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, "10158842170542361");
    assert_eq!(session.key().to_string(), "facebook:10158842170542361");
    let fb: &FacebookUser = &session.provider_user;
    assert_eq!(fb.first_name.as_deref(), Some("Mary"));
    assert_eq!(fb.last_name.as_deref(), Some("Smith"));
    assert_eq!(fb.middle_name, None);
    let picture = &fb.picture.as_ref().unwrap().data;
    assert_eq!(picture.width, Some(50));
    assert_eq!(picture.is_silhouette, Some(false));
    assert!(fb.extra.is_empty(), "{:?}", fb.extra);

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(5_183_944))
    );
    assert!(
        session.tokens.refresh_token().is_none(),
        "Facebook has no refresh tokens"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "10158842170542361");
    assert_eq!(profile.name.as_deref(), Some("Mary Ann Smith"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email.as_deref(), Some("mary.smith@example.com"));
    assert!(
        !profile.email_verified,
        "Facebook says nothing about verification"
    );
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://platform-lookaside.fbsbx.com/platform/profilepic/?asid=10158842170542361&height=50&width=50&ext=1767225600&hash=AbYw3nQ"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("mary".to_owned()).await.unwrap();
    assert_eq!(facebook.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = facebook.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, &verifier, TOKEN_RESPONSE).await;
    mock_user(&mut server, USER_PATH, DEFAULT_FIELDS, 200, USER).await;
    let session = facebook
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(facebook.adapter().user_count(), 1);
}

#[tokio::test]
async fn without_the_email_permission_there_is_no_email() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    let auth = facebook.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, &verifier, TOKEN_RESPONSE).await;
    // The user declined `email` (or registered with a phone number): Facebook simply
    // leaves the field out, and has only the default silhouette as picture.
    mock_user(
        &mut server,
        USER_PATH,
        DEFAULT_FIELDS,
        200,
        r#"{"id":"10158842170542361","name":"Mary Ann Smith","first_name":"Mary","last_name":"Smith",
            "picture":{"data":{"height":50,"is_silhouette":true,"url":"https://scontent.xx.fbcdn.net/silhouette.png","width":50}}}"#,
    )
    .await;
    let session = facebook
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.email, None);
    let profile = session.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(
        session
            .provider_user
            .picture
            .as_ref()
            .unwrap()
            .data
            .is_silhouette,
        Some(true)
    );
}

#[tokio::test]
async fn api_version_changes_every_endpoint() {
    let facebook = Facebook::new().api_version("v25.0");
    let endpoints = facebook.endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.facebook.com/v25.0/dialog/oauth"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://graph.facebook.com/v25.0/oauth/access_token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://graph.facebook.com/v25.0/me")
    );
    assert_eq!(endpoints.revocation, None);

    let authorize = OAuthClient::new(
        Facebook::new().api_version("v25.0"),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap()
    .authorization_url();
    assert_eq!(authorize.url.path(), "/v25.0/dialog/oauth");

    // A whole sign-in goes to the chosen version.
    let mut server = Server::new_async().await;
    let client = expect::client(facebook, config(), &server);
    let auth = client.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(
        &mut server,
        "/v25.0/oauth/access_token",
        &verifier,
        TOKEN_RESPONSE,
    )
    .await;
    let user = mock_user(&mut server, "/v25.0/me", DEFAULT_FIELDS, 200, USER).await;
    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    assert_eq!(session.key().to_string(), "facebook:10158842170542361");
}

#[test]
#[should_panic(expected = "a Graph API version looks like `v27.0`")]
fn a_malformed_api_version_is_refused() {
    let _ = Facebook::new().api_version("27.0/../../evil");
}

#[tokio::test]
async fn extra_fields_are_requested_and_kept() {
    let mut server = Server::new_async().await;
    let facebook = expect::client(
        Facebook::new().fields(["birthday", "link", "email"]),
        config().scope("user_birthday").scope("user_link"),
        &server,
    );
    let auth = facebook.authorization_url();
    assert_eq!(
        query_of(&auth.url).get("scope").map(String::as_str),
        Some("email user_birthday user_link")
    );
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, TOKEN_PATH, &verifier, TOKEN_RESPONSE).await;
    let user = mock_user(
        &mut server,
        USER_PATH,
        "id,name,first_name,last_name,email,picture,birthday,link",
        200,
        r#"{"id":"10158842170542361","name":"Mary Ann Smith","email":"mary.smith@example.com",
            "birthday":"08/15/1990","link":"https://www.facebook.com/app_scoped_user_id/YXNpZADpBWEc/"}"#,
    )
    .await;
    let session = facebook
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    user.assert_async().await;
    let extra = &session.provider_user.extra;
    assert_eq!(extra["birthday"], "08/15/1990");
    assert_eq!(
        extra["link"],
        "https://www.facebook.com/app_scoped_user_id/YXNpZADpBWEc/"
    );
    assert_eq!(extra.len(), 2, "{extra:?}");
    assert_eq!(session.provider_user.picture, None);
    assert_eq!(session.profile().avatar_url, None);
}

#[tokio::test]
async fn graph_api_token_errors_are_typed_failures() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    let auth = facebook.authorization_url();
    // Facebook's error shape is the Graph API's, not RFC 6749's: `error` is an object.
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", GRAPH_JSON)
        .with_header("www-authenticate", "OAuth \"Facebook Platform\" \"invalid_code\" \"This authorization code has been used.\"")
        .with_body(
            r#"{"error":{"message":"This authorization code has been used.","type":"OAuthException","code":100,"error_subcode":36009,"fbtrace_id":"AZ7t3mWq8Rk"}}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let user = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = facebook
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "OAuthException",
        Some("This authorization code has been used."),
    );
    assert_eq!(facebook.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><body><h1>Sorry, something went wrong.</h1></body></html>")
        .create_async()
        .await;
    let err = facebook
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
    assert!(!err.is_retryable(), "never for a code exchange");
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    mock_user(
        &mut server,
        USER_PATH,
        DEFAULT_FIELDS,
        200,
        r#"{"id":"10158842170542361","name":"#,
    )
    .await;
    let err = facebook
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("facebook user request failed"),
        "{err}"
    );

    // A numeric id is not what the Graph API documents either.
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    mock_user(&mut server, USER_PATH, DEFAULT_FIELDS, 200, r#"{"id":42}"#).await;
    let err = facebook
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
}

#[tokio::test]
async fn an_expired_token_at_the_user_request_is_a_typed_failure() {
    let mut server = Server::new_async().await;
    let facebook = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    mock_user(
        &mut server,
        USER_PATH,
        DEFAULT_FIELDS,
        401,
        r#"{"error":{"message":"Error validating access token: Session has expired.","type":"OAuthException","code":190,"error_subcode":463,"fbtrace_id":"A1b2C3"}}"#,
    )
    .await;
    let err = facebook
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::UserInfo,
        401,
        "OAuthException",
        Some("Error validating access token: Session has expired."),
    );
}

#[test]
fn debug_output_holds_no_secret() {
    let client =
        OAuthClient::new(Facebook::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, APP_SECRET);
}
