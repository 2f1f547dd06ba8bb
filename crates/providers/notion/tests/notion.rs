//! Notion against a mock of its documented endpoints: the exact requests we send and
//! what we make of Notion's responses — including that no user request is made.

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce,
    Provider, ProviderUser, RefreshToken, RequestErrorKind,
};
use portcullis_notion::{Notion, NotionUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

/// A public integration's OAuth client id (Notion's documented example) and secret.
const CLIENT_ID: &str = "463558a3-725e-4f37-b6d3-0889894f68de";
const CLIENT_SECRET: &str = "secret_Jq0CbHZ1Eu1sR0bNdPS9VDq4lWyKc6HyZ5cHu7mB1xw";
const REDIRECT: &str = "http://localhost:3000/login/notion/callback";
/// The temporary code of Notion's documented token request.
const CODE: &str = "e202e8c9-0990-40af-855f-ff8f872b1ec6";
const ACCESS_TOKEN: &str = "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";
/// The refresh token of Notion's authorization guide.
const REFRESH_TOKEN: &str = "nrt_4991090011501Ejc6Xn4sHguI7jZIN449mKe9PRhpMfNK";

const TOKEN_PATH: &str = "/v1/oauth/token";

/// Notion's OAuth endpoints take HTTP Basic, the only client authentication it documents.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The code exchange's form: no PKCE, the redirect URI repeated.
const CODE_FORM: [(&str, &str); 3] = [
    ("grant_type", "authorization_code"),
    ("code", CODE),
    ("redirect_uri", REDIRECT),
];

/// The user of Notion's user reference, as the token response's `owner.user` (a person,
/// with the capability to read email addresses).
const OWNER_USER: &str = r#"{
      "object": "user",
      "id": "e79a0b74-3aba-4149-9f74-0bb5791a6ee6",
      "name": "Avocado Lovelace",
      "avatar_url": "https://secure.notion-static.com/e6a352a8-8381-44d0-a1dc-9ed80e62b53d.jpg",
      "type": "person",
      "person": {"email": "avo@example.org"}
    }"#;

/// The token response as Notion's reference documents it, with `owner` as given.
fn tokens_with(owner: &str) -> String {
    format!(
        r#"{{
  "access_token": "{ACCESS_TOKEN}",
  "token_type": "bearer",
  "refresh_token": "{REFRESH_TOKEN}",
  "bot_id": "b3414d65-1224-4ed7-9e2b-cc9d8773d601",
  "workspace_name": "Avocado's Notion",
  "workspace_icon": "https://website.domain/images/image.png",
  "workspace_id": "4f9d2a3e-35f6-4d6b-a3d5-5e0a6c1c2b7d",
  "owner": {owner},
  "duplicated_template_id": null,
  "request_id": "2c5bd0f1-2d31-4f8c-8cb5-7e0e5f7f1a32"
}}"#
    )
}

fn user_owner(user: &str) -> String {
    format!(r#"{{"type": "user", "user": {user}}}"#)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> OAuthClient<Notion, MemoryAdapter<String>> {
    expect::client(Notion::new(), config(), server)
}

async fn mock_token(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .match_query(Matcher::Missing)
        .reply(status, JSON, body)
        .await
}

/// Notion needs no user request (`GET /v1/users/me` would be one): any GET fails the
/// test, as does any request no other mock expects (mockito answers it with a 501).
async fn no_user_request(server: &mut Server) -> mockito::Mock {
    server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await
}

#[test]
fn provider_facts_match_notions_docs() {
    let info = Notion::INFO;
    assert_eq!(info.id, "notion");
    assert_eq!(info.name, "Notion");
    let endpoints = Notion::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://api.notion.com/v1/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.notion.com/v1/oauth/token"
    );
    assert_eq!(endpoints.revocation, None, "no RFC 7009 revocation");
    assert_eq!(
        endpoints.userinfo, None,
        "the user is in the token response"
    );
    assert_eq!(endpoints.issuer, None);
    assert!(info.default_scopes.is_empty(), "Notion has no scopes");
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, ClientAuth::Basic);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "owner.user.id");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(
        info.docs_url,
        "https://developers.notion.com/guides/get-started/authorization"
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let notion = OAuthClient::new(Notion::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = notion.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://api.notion.com"
    );
    assert_eq!(auth.url.path(), "/v1/oauth/authorize");
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
        ("owner", "user"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no scope, no PKCE"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "notion");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Notion::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_reads_the_owner_from_the_token_response_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    let auth = notion.authorization_url();
    let token = mock_token(&mut server, 200, &tokens_with(&user_owner(OWNER_USER))).await;
    let none = no_user_request(&mut server).await;

    let session = notion
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    none.assert_async().await;

    assert_eq!(
        session.key().to_string(),
        "notion:e79a0b74-3aba-4149-9f74-0bb5791a6ee6"
    );
    let user = &session.provider_user;
    assert_eq!(user.object.as_deref(), Some("user"));
    assert_eq!(user.kind.as_deref(), Some("person"));
    assert_eq!(user.email(), Some("avo@example.org"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(tokens.expires_in(), None, "Notion sends no lifetime");
    assert_eq!(tokens.scopes(), None, "Notion has no scopes");
    assert_eq!(
        tokens.extra()["workspace_id"],
        "4f9d2a3e-35f6-4d6b-a3d5-5e0a6c1c2b7d"
    );
    assert_eq!(tokens.extra()["workspace_name"], "Avocado's Notion");
    assert_eq!(
        tokens.extra()["bot_id"],
        "b3414d65-1224-4ed7-9e2b-cc9d8773d601"
    );
    assert!(tokens.extra()["duplicated_template_id"].is_null());

    let profile = session.profile();
    assert_eq!(profile.id, "e79a0b74-3aba-4149-9f74-0bb5791a6ee6");
    assert_eq!(profile.name.as_deref(), Some("Avocado Lovelace"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email.as_deref(), Some("avo@example.org"));
    assert!(!profile.email_verified, "Notion never says it verified it");
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://secure.notion-static.com/e6a352a8-8381-44d0-a1dc-9ed80e62b53d.jpg")
    );

    // The sign-in's tokens keep `owner`: fetching the user again reads it, no request.
    assert_eq!(&notion.fetch_user(&session.tokens).await.unwrap(), user);

    assert!(session.existing_user.is_none());
    let created = session.create_user("avocado".to_owned()).await.unwrap();
    assert_eq!(notion.adapter().user_count(), 1);

    // The same person authorizes again (another workspace, a new bot): found, not
    // created twice.
    let auth = notion.authorization_url();
    mock_token(&mut server, 200, &tokens_with(&user_owner(OWNER_USER))).await;
    let session = notion
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(notion.adapter().user_count(), 1);
    none.assert_async().await;
}

#[tokio::test]
async fn a_partial_owner_user_signs_in_with_an_empty_profile() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    // Notion documents `owner.user` as a person or as a partial user: object and id.
    mock_token(
        &mut server,
        200,
        &tokens_with(&user_owner(
            r#"{"object": "user", "id": "5389a034-eb5c-47b5-8a9e-f79c99ef166c"}"#,
        )),
    )
    .await;
    let session = notion.validate_code(CODE, None, None).await.unwrap();
    assert_eq!(
        session.key().to_string(),
        "notion:5389a034-eb5c-47b5-8a9e-f79c99ef166c"
    );
    let profile = session.profile();
    assert_eq!(profile.name, None);
    assert_eq!(profile.email, None);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn without_the_email_capability_there_is_no_email() {
    let user: NotionUser = serde_json::from_str(
        r#"{"object": "user", "id": "d40e767c-d7af-4b18-a86d-55c61f1e39a4",
            "name": "  ", "avatar_url": null, "type": "person", "person": {}}"#,
    )
    .unwrap();
    assert_eq!(user.email(), None);
    let profile = user.profile();
    assert_eq!(profile.id, "d40e767c-d7af-4b18-a86d-55c61f1e39a4");
    assert_eq!(profile.name, None, "a blank name is no name");
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn the_user_round_trips_through_serde_and_needs_an_id() {
    let user: NotionUser = serde_json::from_str(OWNER_USER).unwrap();
    assert_eq!(
        user.provider_user_id(),
        "e79a0b74-3aba-4149-9f74-0bb5791a6ee6"
    );
    let back: NotionUser = serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(back, user);

    let err =
        serde_json::from_str::<NotionUser>(r#"{"object": "user", "name": "Avocado"}"#).unwrap_err();
    assert!(err.to_string().contains("`id`"), "{err}");
}

#[tokio::test]
async fn a_null_refresh_token_is_no_refresh_token() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    // Notion's reference types `refresh_token` as a string or null.
    let body = tokens_with(&user_owner(OWNER_USER)).replace(
        &format!(r#""refresh_token": "{REFRESH_TOKEN}""#),
        r#""refresh_token": null"#,
    );
    assert!(body.contains(r#""refresh_token": null"#));
    mock_token(&mut server, 200, &body).await;
    let session = notion.validate_code(CODE, None, None).await.unwrap();
    assert!(session.tokens.refresh_token().is_none());
    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
}

/// The sign-in's error, checked to be a token-exchange `InvalidResponse` naming `field`.
fn assert_invalid_field(err: &Error, field: &str) {
    assert_eq!(err.code(), "FAILED_REQUEST");
    assert!(!err.is_retryable(), "a code exchange is never retried");
    let request = expect::assert_invalid_response(err, Phase::TokenExchange, Some(field));
    assert_eq!(request.provider(), "notion");
    assert!(err.to_string().contains(field), "{err}");
}

#[tokio::test]
async fn a_workspace_level_token_has_no_user_and_is_refused() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    mock_token(
        &mut server,
        200,
        &tokens_with(r#"{"type": "workspace", "workspace": true}"#),
    )
    .await;
    let none = no_user_request(&mut server).await;
    let err = notion.validate_code(CODE, None, None).await.unwrap_err();
    none.assert_async().await;
    assert_invalid_field(&err, "owner");
    assert_eq!(notion.adapter().user_count(), 0);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(ACCESS_TOKEN), "{text}");
    assert!(!text.contains(REFRESH_TOKEN), "{text}");
}

#[tokio::test]
async fn an_owner_of_the_wrong_shape_names_the_field() {
    for (owner, field) in [
        (
            user_owner(r#"{"object": "user", "id": 42, "type": "person"}"#),
            "owner.user.id",
        ),
        (
            user_owner(r#"{"object": "user", "id": "e79a0b74", "person": {"email": 7}}"#),
            "owner.user.person.email",
        ),
        ("null".to_owned(), "owner"),
    ] {
        let mut server = Server::new_async().await;
        let notion = client(&server);
        mock_token(&mut server, 200, &tokens_with(&owner)).await;
        let err = notion.validate_code(CODE, None, None).await.unwrap_err();
        assert_invalid_field(&err, field);
    }
    // A token response without `owner` at all.
    let mut server = Server::new_async().await;
    let notion = client(&server);
    mock_token(
        &mut server,
        200,
        &format!(r#"{{"access_token": "{ACCESS_TOKEN}", "token_type": "bearer"}}"#),
    )
    .await;
    let err = notion.validate_code(CODE, None, None).await.unwrap_err();
    assert_invalid_field(&err, "owner");
}

#[tokio::test]
async fn refresh_sends_basic_auth_and_keeps_the_new_refresh_token() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    // Notion answers a refresh like a code exchange: new tokens, `owner` included.
    let refreshed = tokens_with(&user_owner(OWNER_USER))
        .replace(
            ACCESS_TOKEN,
            "ntn_48d1c7b0e2a94f6b8c3d5e7f9a1b2c4d6e8f0a2b4c6d8e0f",
        )
        .replace(
            REFRESH_TOKEN,
            "nrt_5102201122612Fkd7Yo5tIhvJ8kAJO550nLf0QSiqNgOL",
        );
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, refreshed)
        .await;
    let tokens = notion
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "ntn_48d1c7b0e2a94f6b8c3d5e7f9a1b2c4d6e8f0a2b4c6d8e0f"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "nrt_5102201122612Fkd7Yo5tIhvJ8kAJO550nLf0QSiqNgOL",
        "Notion rotates the refresh token: the new one is kept"
    );

    let none = no_user_request(&mut server).await;
    let user = notion.fetch_user(&tokens).await.unwrap();
    none.assert_async().await;
    assert_eq!(user.id, "e79a0b74-3aba-4149-9f74-0bb5791a6ee6");
}

#[tokio::test]
async fn notions_documented_error_object_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    let auth = notion.authorization_url();
    // The `error_oauth_400` of Notion's reference: its API error object, no `error`.
    mock_token(
        &mut server,
        400,
        r#"{"object":"error","status":400,"code":"invalid_grant","message":"Invalid code: this code has been revoked.","request_id":"2c5bd0f1-2d31-4f8c-8cb5-7e0e5f7f1a32"}"#,
    )
    .await;
    let none = no_user_request(&mut server).await;
    let err = notion
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    none.assert_async().await;
    assert_eq!(err.code(), "FAILED_REQUEST");
    assert!(!err.is_retryable());
    let request = expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        400,
        JSON,
        "\"code\":\"invalid_grant\",\"message\":\"Invalid code: this code has been revoked.\"",
    );
    assert_eq!(request.oauth_error(), None, "no RFC 6749 `error` member");
    assert_eq!(notion.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_missing_version_error_names_the_header() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    // Notion's reference requires `Notion-Version` on its OAuth endpoints, which the core
    // does not send: should Notion enforce it, the sign-in fails saying so.
    mock_token(
        &mut server,
        400,
        r#"{"object":"error","status":400,"code":"missing_version","message":"Notion-Version header failed validation: Notion-Version header should be defined, instead was `undefined`."}"#,
    )
    .await;
    let err = notion.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        400,
        JSON,
        "Notion-Version header failed validation",
    );
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    let auth = notion.authorization_url();
    // The RFC 6749 §5.2 form of the same error, which Notion's status codes cite.
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid code: this code has been revoked.","request_id":"2c5bd0f1-2d31-4f8c-8cb5-7e0e5f7f1a32"}"#,
    )
    .await;
    let none = no_user_request(&mut server).await;
    let err = notion
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    none.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Invalid code: this code has been revoked."),
    );
    assert_eq!(notion.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_refused_refresh_token_fails_the_refresh() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    expect::token_request(
        &mut server,
        TOKEN_PATH,
        CREDENTIALS,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", REFRESH_TOKEN),
        ],
    )
    .reply(
        400,
        JSON,
        r#"{"object":"error","status":400,"code":"invalid_grant","message":"Invalid refresh token."}"#,
    )
    .await;
    let err = notion
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::Refresh, 400, JSON, "invalid_grant");
    assert!(!err.is_retryable(), "a 400 is not retried");
    assert!(!format!("{err} {err:?}").contains(REFRESH_TOKEN));
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(502)
        .with_header("content-type", "text/html")
        .with_body("<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = notion.validate_code(CODE, None, None).await.unwrap_err();
    let request = expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        502,
        "text/html",
        "502 Bad Gateway",
    );
    assert!(matches!(
        request.kind(),
        RequestErrorKind::UnexpectedResponse { status: 502, .. }
    ));
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let notion = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&notion).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let notion = OAuthClient::new(Notion::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&notion, CLIENT_SECRET);
}
