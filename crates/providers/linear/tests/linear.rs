//! Linear against a mock of its documented endpoints: the exact requests we send and
//! what we make of Linear's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    AccessToken, ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Pkce, Provider, ProviderUser, RefreshToken, RequestErrorKind, Url,
};
use portcullis_linear::{Linear, LinearUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::json;

const CLIENT_ID: &str = "5f2d9c1e8a7b4c3d9e0f1a2b3c4d5e6f";
const CLIENT_SECRET: &str = "c7e1a9b3d5f74e2a8b6c0d9e1f3a5b7c";
const REDIRECT: &str = "http://localhost:3000/login/linear/callback";
/// A code as in Linear's documented callback.
const CODE: &str = "9a5190f637d8b1ad0ca92ab3ec4c0d033ad6c862";
const ACCESS_TOKEN: &str =
    "lin_oauth_8f2c3e4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d";
const REFRESH_TOKEN: &str =
    "lin_refresh_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f";

const TOKEN_PATH: &str = "/oauth/token";
const REVOKE_PATH: &str = "/oauth/revoke";
const GRAPHQL_PATH: &str = "/graphql";

/// Linear takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The query the user request must send, written out: a change to it shows here.
const VIEWER_QUERY: &str = "query Viewer { viewer { id name displayName email avatarUrl active admin guest url timezone createdAt organization { id name urlKey } } }";

/// The token response as Linear documents it, for `read,write`: 24 hours, a refresh
/// token, the scopes space-separated.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "lin_oauth_8f2c3e4d5a6b7c8d9e0f1a2b3c4d5e6f7a8b9c0d1e2f3a4b5c6d7e8f9a0b1c2d",
  "token_type": "Bearer",
  "expires_in": 86399,
  "scope": "read write",
  "refresh_token": "lin_refresh_0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5d6e7f8a9b0c1d2e3f4a5b6c7d8e9f"
}"#;

/// The answer to the viewer query.
const VIEWER: &str = r#"{
  "data": {
    "viewer": {
      "id": "3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21",
      "name": "Ada Lovelace",
      "displayName": "ada",
      "email": "ada@acme.example",
      "avatarUrl": "https://public.linear.app/3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21/avatar.png",
      "active": true,
      "admin": false,
      "guest": false,
      "url": "https://linear.app/acme/profiles/ada",
      "timezone": "Europe/London",
      "createdAt": "2023-04-12T09:30:00.000Z",
      "organization": {
        "id": "0f6e2d1c-9b8a-4c7d-8e6f-5a4b3c2d1e0f",
        "name": "Acme",
        "urlKey": "acme"
      }
    }
  }
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("write")
}

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Linear, MemoryAdapter<String>> {
    expect::client(Linear::new(), config, server)
}

/// The code exchange's form, with the PKCE verifier.
fn code_form(verifier: &str) -> [(&'static str, &str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ]
}

async fn mock_token(
    server: &mut Server,
    verifier: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &code_form(verifier))
        .reply(status, JSON, body)
        .await
}

/// The viewer query: a POST of exactly `{"query": …}` as JSON, with the bearer token.
async fn mock_viewer(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "POST", GRAPHQL_PATH, &[], ACCESS_TOKEN)
        .match_header("content-type", "application/json")
        .match_body(Matcher::Json(json!({ "query": VIEWER_QUERY })))
        .reply(status, JSON, body)
        .await
}

fn user(json: &str) -> LinearUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_linears_docs() {
    let info = Linear::INFO;
    assert_eq!(info.id, "linear");
    assert_eq!(info.name, "Linear");
    let endpoints = Linear::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://linear.app/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.linear.app/oauth/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://api.linear.app/oauth/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.linear.app/graphql")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["read"]);
    assert_eq!(info.scope_delimiter, ",");
    assert_eq!(info.pkce, Pkce::S256);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "viewer.id");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(
        info.docs_url,
        "https://linear.app/developers/oauth-2-0-authentication"
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let linear = OAuthClient::new(
        Linear::new().prompt_consent(),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = linear.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://linear.app"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

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
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("prompt", "consent"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "read,write"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "linear");
    assert_eq!(auth.pending.nonce(), None);
}

#[test]
fn by_default_only_read_is_asked_and_consent_is_not_forced() {
    let linear = OAuthClient::new(
        Linear::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&linear.authorization_url().url);
    assert_eq!(query["scope"], "read");
    assert!(!query.contains_key("prompt"), "{query:?}");
    assert!(!query.contains_key("actor"), "{query:?}");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Linear::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    let auth = linear.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let viewer = mock_viewer(&mut server, 200, VIEWER).await;

    let session = linear
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    viewer.assert_async().await;

    assert_eq!(
        session.key().to_string(),
        "linear:3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21"
    );
    let user = &session.provider_user;
    assert_eq!(user.active, Some(true));
    assert_eq!(user.admin, Some(false));
    assert_eq!(user.guest, Some(false));
    assert_eq!(
        user.url.as_deref(),
        Some("https://linear.app/acme/profiles/ada")
    );
    assert_eq!(user.timezone.as_deref(), Some("Europe/London"));
    assert_eq!(user.created_at.as_deref(), Some("2023-04-12T09:30:00.000Z"));
    let organization = user.organization.as_ref().unwrap();
    assert_eq!(organization.id, "0f6e2d1c-9b8a-4c7d-8e6f-5a4b3c2d1e0f");
    assert_eq!(organization.name.as_deref(), Some("Acme"));
    assert_eq!(organization.url_key.as_deref(), Some("acme"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(86_399)));
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(
        tokens.scopes().unwrap(),
        ["read", "write"],
        "space-separated in the response, comma-separated in the request"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21");
    assert_eq!(profile.name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(profile.username.as_deref(), Some("ada"));
    assert_eq!(profile.email.as_deref(), Some("ada@acme.example"));
    assert!(!profile.email_verified, "Linear never says it verified it");
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://public.linear.app/3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21/avatar.png")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("ada".to_owned()).await.unwrap();
    assert_eq!(linear.adapter().user_count(), 1);

    // The same user signs in again: found, not created twice.
    let auth = linear.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_viewer(&mut server, 200, VIEWER).await;
    let session = linear
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(linear.adapter().user_count(), 1);
}

#[tokio::test]
async fn the_viewer_is_queried_with_a_post_never_a_get() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    mock_token(&mut server, "verifier", 200, TOKEN_RESPONSE).await;
    let get = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let post = mock_viewer(&mut server, 200, VIEWER).await;
    linear
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap();
    get.assert_async().await;
    post.assert_async().await;
}

#[tokio::test]
async fn an_application_from_before_december_2023_gets_its_scopes_as_an_array() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    mock_token(
        &mut server,
        "verifier",
        200,
        &TOKEN_RESPONSE.replace(r#""scope": "read write""#, r#""scope": ["read", "write"]"#),
    )
    .await;
    mock_viewer(&mut server, 200, VIEWER).await;
    let session = linear
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap();
    assert_eq!(session.tokens.scopes().unwrap(), ["read", "write"]);
    assert!(session.tokens.has_scope("write"));
}

#[tokio::test]
async fn a_public_client_sends_its_id_and_the_verifier_only() {
    let mut server = Server::new_async().await;
    let linear = client(
        &server,
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = linear.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let public = Credentials::Public { id: CLIENT_ID };
    let token = expect::token_request(&mut server, TOKEN_PATH, public, &code_form(&verifier))
        .reply(200, JSON, TOKEN_RESPONSE)
        .await;
    mock_viewer(&mut server, 200, VIEWER).await;
    linear
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;

    // A token from a PKCE sign-in refreshes with the client id alone.
    let refresh = expect::token_request(
        &mut server,
        TOKEN_PATH,
        public,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN),
        ],
    )
    .reply(200, JSON, TOKEN_RESPONSE)
    .await;
    linear
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
}

#[tokio::test]
async fn refresh_sends_the_documented_form_and_keeps_the_new_refresh_token() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"lin_oauth_1f2e3d4c5b6a79880f1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6978",
                "token_type":"Bearer","expires_in":86399,"scope":"read write",
                "refresh_token":"lin_refresh_9f8e7d6c5b4a39281f0e9d8c7b6a59483f2e1d0c9b8a79685f4e3d2c1b0a9f8e"}"#,
        )
        .await;
    let tokens = linear
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "lin_oauth_1f2e3d4c5b6a79880f1e2d3c4b5a69788f7e6d5c4b3a29180f1e2d3c4b5a6978"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "lin_refresh_9f8e7d6c5b4a39281f0e9d8c7b6a59483f2e1d0c9b8a79685f4e3d2c1b0a9f8e",
        "Linear rotates the refresh token: the new one is kept"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(86_399)));
}

#[tokio::test]
async fn revoke_posts_the_token_with_its_type() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());

    let refresh = expect::token_request(
        &mut server,
        REVOKE_PATH,
        CREDENTIALS,
        &[
            ("token", REFRESH_TOKEN),
            ("token_type_hint", "refresh_token"),
        ],
    )
    .reply_empty(200)
    .await;
    linear
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;

    let access = expect::token_request(
        &mut server,
        REVOKE_PATH,
        CREDENTIALS,
        &[("token", ACCESS_TOKEN), ("token_type_hint", "access_token")],
    )
    .reply_empty(200)
    .await;
    linear
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    access.assert_async().await;
}

#[tokio::test]
async fn a_token_linear_cannot_revoke_is_an_error() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    // "400 - unable to revoke token (e.g. token was already revoked)".
    expect::token_request(
        &mut server,
        REVOKE_PATH,
        CREDENTIALS,
        &[("token", ACCESS_TOKEN), ("token_type_hint", "access_token")],
    )
    .reply_empty(400)
    .await;
    let err = linear
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    let Error::Request(request) = &err else {
        panic!("not a request error: {err:?}")
    };
    assert_eq!(request.phase(), Phase::Revoke);
    assert!(
        matches!(
            request.kind(),
            RequestErrorKind::UnexpectedResponse { status: 400, .. }
        ),
        "{request:?}"
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    let auth = linear.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
    )
    .await;
    let viewer = server
        .mock("POST", GRAPHQL_PATH)
        .expect(0)
        .create_async()
        .await;
    let err = linear
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    viewer.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(linear.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>Linear is down for maintenance</title></head><body></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = linear
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html; charset=utf-8",
        "down for maintenance",
    );
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn a_viewer_of_the_wrong_shape_names_the_field() {
    for (body, field) in [
        (
            r#"{"data":{"viewer":{"name":"Ada Lovelace","email":"ada@acme.example"}}}"#,
            "data.viewer.id",
        ),
        (
            r#"{"data":{"viewer":{"id":42,"name":"Ada Lovelace"}}}"#,
            "data.viewer.id",
        ),
        (
            r#"{"data":{"viewer":{"id":"3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21","organization":{"name":"Acme"}}}}"#,
            "data.viewer.organization.id",
        ),
    ] {
        let mut server = Server::new_async().await;
        let linear = client(&server, config());
        mock_token(&mut server, "verifier", 200, TOKEN_RESPONSE).await;
        mock_viewer(&mut server, 200, body).await;
        let err = linear
            .validate_code(CODE, Some("verifier"), None)
            .await
            .unwrap_err();
        expect::assert_invalid_response(&err, Phase::UserInfo, Some(field));
        assert!(!err.is_retryable(), "the code is spent");
    }
}

#[tokio::test]
async fn graphql_errors_with_http_200_name_the_missing_data() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    mock_token(&mut server, "verifier", 200, TOKEN_RESPONSE).await;
    mock_viewer(
        &mut server,
        200,
        r#"{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR","userPresentableMessage":"You need to authenticate to access this operation."}}],"data":null}"#,
    )
    .await;
    let err = linear
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
    assert_eq!(linear.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_refused_token_on_the_api_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    mock_token(&mut server, "verifier", 200, TOKEN_RESPONSE).await;
    mock_viewer(
        &mut server,
        401,
        r#"{"errors":[{"message":"Authentication required, not authenticated","extensions":{"type":"authentication error","code":"AUTHENTICATION_ERROR"}}]}"#,
    )
    .await;
    let err = linear
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    let request = expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        JSON,
        "Authentication required, not authenticated",
    );
    assert_eq!(request.oauth_error(), None, "`errors` is no OAuth error");
    assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
}

#[test]
fn a_sparse_user_keeps_what_there_is() {
    // Only the id: a user with an empty profile.
    let bare = user(r#"{"id":"3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21"}"#);
    let profile = bare.profile();
    assert_eq!(profile.id, "3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21");
    assert_eq!(profile.name, None);
    assert_eq!(profile.username, None);
    assert_eq!(profile.email, None);
    assert_eq!(profile.avatar_url, None);
    assert_eq!(bare.organization, None);

    // No full name: the display name stands in; no avatar set.
    let nick = user(
        r#"{"id":"3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21","name":" ","displayName":"ada",
            "email":"ada@acme.example","avatarUrl":null,"timezone":null}"#,
    );
    let profile = nick.profile();
    assert_eq!(profile.name.as_deref(), Some("ada"));
    assert_eq!(profile.username.as_deref(), Some("ada"));
    assert_eq!(profile.email.as_deref(), Some("ada@acme.example"));
    assert!(!profile.email_verified);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let value: serde_json::Value = serde_json::from_str(VIEWER).unwrap();
    let original: LinearUser = serde_json::from_value(value["data"]["viewer"].clone()).unwrap();
    assert_eq!(
        original.provider_user_id(),
        "3b4f5c4e-2a8d-4b52-9f0e-8f3c1e7d9a21"
    );
    let json = serde_json::to_value(&original).unwrap();
    assert_eq!(json, value["data"]["viewer"], "Linear's field names kept");
    let back: LinearUser = serde_json::from_value(json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let linear = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&linear).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let linear = OAuthClient::new(Linear::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&linear, CLIENT_SECRET);
}
