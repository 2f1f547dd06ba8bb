//! AniList against a mock of its documented endpoints: the exact requests we send and
//! what we make of AniList's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce,
    Provider, ProviderUser, Url,
};
use portcullis_anilist::{AniList, AniListUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};
use serde_json::json;

/// AniList's client ids are small integers.
const CLIENT_ID: &str = "21843";
const CLIENT_SECRET: &str = "kX3bQ9zL2mN7pR4tV8wY1aC6dF0gH5jK9lM2nP4q";
const REDIRECT: &str = "http://localhost:3000/login/anilist/callback";
const CODE: &str = "def50200a1b2c3d4e5f60718293a4b5c6d7e8f90a1b2c3d4e5f6071829";
/// A JWT, as AniList's access tokens are.
const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImp0aSI6ImFiYyJ9.eyJhdWQiOiIyMTg0MyIsInN1YiI6IjU0MzIxIn0.c2lnbmF0dXJl";

const TOKEN_PATH: &str = "/api/v2/oauth/token";
const GRAPHQL_PATH: &str = "/";

/// AniList takes the client id and secret in the token request's body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The query the user request must send, written out: a change to it shows here.
const VIEWER_QUERY: &str = "query Viewer { Viewer { id name about avatar { large medium } bannerImage siteUrl createdAt updatedAt } }";

/// The token response: a JWT valid for one year, no refresh token.
const TOKEN_RESPONSE: &str = r#"{
  "token_type": "Bearer",
  "expires_in": 31536000,
  "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiIsImp0aSI6ImFiYyJ9.eyJhdWQiOiIyMTg0MyIsInN1YiI6IjU0MzIxIn0.c2lnbmF0dXJl"
}"#;

/// The answer to the `Viewer` query, shaped like AniList's `User`.
const VIEWER: &str = r#"{
  "data": {
    "Viewer": {
      "id": 54321,
      "name": "AdaL",
      "about": "Watching *everything* twice.",
      "avatar": {
        "large": "https://s4.anilist.co/file/anilistcdn/user/avatar/large/b54321-AbCdEfGh.png",
        "medium": "https://s4.anilist.co/file/anilistcdn/user/avatar/medium/b54321-AbCdEfGh.png"
      },
      "bannerImage": "https://s4.anilist.co/file/anilistcdn/user/banner/b54321-IjKlMnOp.jpg",
      "siteUrl": "https://anilist.co/user/54321",
      "createdAt": 1589385600,
      "updatedAt": 1717171717
    }
  }
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> OAuthClient<AniList, MemoryAdapter<String>> {
    expect::client(AniList::new(), config(), server)
}

/// The code exchange's form: no PKCE verifier.
const CODE_FORM: [(&str, &str); 3] = [
    ("grant_type", "authorization_code"),
    ("code", CODE),
    ("redirect_uri", REDIRECT),
];

async fn mock_token(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
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

fn user(json: &str) -> AniListUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_anilists_docs() {
    let info = AniList::INFO;
    assert_eq!(info.id, "anilist");
    assert_eq!(info.name, "AniList");
    let endpoints = AniList::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://anilist.co/api/v2/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://anilist.co/api/v2/oauth/token"
    );
    assert_eq!(
        endpoints.revocation, None,
        "AniList documents no revocation"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://graphql.anilist.co/")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(info.default_scopes.is_empty(), "AniList has no scopes");
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "Viewer.id");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(
        info.docs_url,
        "https://docs.anilist.co/guide/auth/authorization-code"
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let anilist =
        OAuthClient::new(AniList::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = anilist.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://anilist.co"
    );
    assert_eq!(auth.url.path(), "/api/v2/oauth/authorize");
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
    // No scope and no PKCE: AniList documents neither.
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "anilist");
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.nonce(), None);
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        AniList::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn a_public_client_is_refused_without_pkce() {
    // AniList's code exchange needs the secret; its secretless flow is the implicit grant.
    let err = OAuthClient::new(
        AniList::new(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    let auth = anilist.authorization_url();
    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let viewer = mock_viewer(&mut server, 200, VIEWER).await;

    let session = anilist
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    viewer.assert_async().await;

    assert_eq!(session.key().to_string(), "anilist:54321");
    let user = &session.provider_user;
    assert_eq!(user.id, 54321);
    assert_eq!(user.name, "AdaL");
    assert_eq!(user.about.as_deref(), Some("Watching *everything* twice."));
    assert_eq!(
        user.banner_image.as_deref(),
        Some("https://s4.anilist.co/file/anilistcdn/user/banner/b54321-IjKlMnOp.jpg")
    );
    assert_eq!(
        user.site_url.as_deref(),
        Some("https://anilist.co/user/54321")
    );
    assert_eq!(user.created_at, Some(1_589_385_600));
    assert_eq!(user.updated_at, Some(1_717_171_717));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        tokens.expires_in(),
        Some(Duration::from_secs(31_536_000)),
        "one year"
    );
    assert!(
        tokens.refresh_token().is_none(),
        "AniList has no refresh tokens"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "54321");
    assert_eq!(profile.name.as_deref(), Some("AdaL"));
    assert_eq!(profile.username.as_deref(), Some("AdaL"));
    assert_eq!(profile.email, None, "AniList's user has no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://s4.anilist.co/file/anilistcdn/user/avatar/large/b54321-AbCdEfGh.png")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("ada".to_owned()).await.unwrap();
    assert_eq!(anilist.adapter().user_count(), 1);

    // The same user signs in again, renamed: found by id, not created twice.
    let auth = anilist.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_viewer(
        &mut server,
        200,
        &VIEWER.replace("\"AdaL\"", "\"AdaLovelace\""),
    )
    .await;
    let session = anilist
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(session.profile().username.as_deref(), Some("AdaLovelace"));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(anilist.adapter().user_count(), 1);
}

#[tokio::test]
async fn the_viewer_is_queried_with_a_post_never_a_get() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let get = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let post = mock_viewer(&mut server, 200, VIEWER).await;
    anilist.validate_code(CODE, None, None).await.unwrap();
    get.assert_async().await;
    post.assert_async().await;
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    let auth = anilist.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.","hint":"Authorization code has expired","message":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
    )
    .await;
    let viewer = server
        .mock("POST", GRAPHQL_PATH)
        .expect(0)
        .create_async()
        .await;
    let err = anilist
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    viewer.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(anilist.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    mock_token(
        &mut server,
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed","message":"Client authentication failed"}"#,
    )
    .await;
    let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        401,
        "invalid_client",
        Some("Client authentication failed"),
    );
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(502)
        .with_header("content-type", "text/html; charset=UTF-8")
        .with_body("<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        502,
        "text/html; charset=UTF-8",
        "502 Bad Gateway",
    );
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn a_viewer_of_the_wrong_shape_names_the_field() {
    for (body, field) in [
        (r#"{"data":{"Viewer":{"name":"AdaL"}}}"#, "data.Viewer.id"),
        (
            r#"{"data":{"Viewer":{"id":"54321","name":"AdaL"}}}"#,
            "data.Viewer.id",
        ),
        (r#"{"data":{"Viewer":{"id":54321}}}"#, "data.Viewer.name"),
        (
            r#"{"data":{"Viewer":{"id":54321,"name":"AdaL","avatar":"https://s4.anilist.co/a.png"}}}"#,
            "data.Viewer.avatar",
        ),
        // The field is `Viewer`, capitalised, as AniList's root query names it.
        (
            r#"{"data":{"viewer":{"id":54321,"name":"AdaL"}}}"#,
            "data.Viewer",
        ),
    ] {
        let mut server = Server::new_async().await;
        let anilist = client(&server);
        mock_token(&mut server, 200, TOKEN_RESPONSE).await;
        mock_viewer(&mut server, 200, body).await;
        let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
        expect::assert_invalid_response(&err, Phase::UserInfo, Some(field));
        assert!(!err.is_retryable(), "the code is spent");
    }
}

#[tokio::test]
async fn graphql_errors_with_http_200_name_the_missing_data() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_viewer(
        &mut server,
        200,
        r#"{"data":null,"errors":[{"message":"Internal Server Error","status":500,"locations":[{"line":1,"column":16}]}]}"#,
    )
    .await;
    let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
    assert_eq!(anilist.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_refused_token_on_the_api_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_viewer(
        &mut server,
        400,
        r#"{"data":null,"errors":[{"message":"Invalid token","status":400,"locations":[{"line":1,"column":16}]}]}"#,
    )
    .await;
    let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
    let request =
        expect::assert_unexpected_response(&err, Phase::UserInfo, 400, JSON, "Invalid token");
    assert_eq!(request.oauth_error(), None, "`errors` is no OAuth error");
    assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_rate_limit_keeps_retry_after() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // AniList's documented 429: Retry-After, X-RateLimit-* and a GraphQL error.
    expect::api_request(&mut server, "POST", GRAPHQL_PATH, &[], ACCESS_TOKEN)
        .match_body(Matcher::Json(json!({ "query": VIEWER_QUERY })))
        .with_header("retry-after", "30")
        .with_header("x-ratelimit-limit", "90")
        .with_header("x-ratelimit-remaining", "0")
        .with_header("x-ratelimit-reset", "1502035959")
        .reply(
            429,
            JSON,
            r#"{"data":null,"errors":[{"message":"Too Many Requests.","status":429}]}"#,
        )
        .await;
    let err = anilist.validate_code(CODE, None, None).await.unwrap_err();
    let request =
        expect::assert_unexpected_response(&err, Phase::UserInfo, 429, JSON, "Too Many Requests.");
    assert_eq!(request.retry_after(), Some(Duration::from_secs(30)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(30)));
    assert!(!err.is_retryable(), "the sign-in spent its code");
}

#[test]
fn a_sparse_user_keeps_what_there_is() {
    // An account from before 2020 (no `createdAt`), no avatar, no bio.
    let bare = user(
        r#"{"id":7,"name":"old_timer","about":null,"avatar":null,"bannerImage":null,
            "siteUrl":"https://anilist.co/user/7","createdAt":null,"updatedAt":1500000000}"#,
    );
    let profile = bare.profile();
    assert_eq!(profile.id, "7");
    assert_eq!(profile.username.as_deref(), Some("old_timer"));
    assert_eq!(profile.avatar_url, None);
    assert_eq!(bare.created_at, None);

    // Only the medium avatar: it stands in for the large one.
    let medium = user(
        r#"{"id":7,"name":"old_timer","avatar":{"large":"","medium":"https://s4.anilist.co/m.png"}}"#,
    );
    assert_eq!(
        medium.profile().avatar_url.as_deref(),
        Some("https://s4.anilist.co/m.png")
    );
}

#[test]
fn the_user_round_trips_through_serde() {
    let value: serde_json::Value = serde_json::from_str(VIEWER).unwrap();
    let original: AniListUser = serde_json::from_value(value["data"]["Viewer"].clone()).unwrap();
    assert_eq!(original.provider_user_id(), "54321");
    let json = serde_json::to_value(&original).unwrap();
    assert_eq!(json, value["data"]["Viewer"], "AniList's field names kept");
    let back: AniListUser = serde_json::from_value(json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let anilist = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&anilist).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let anilist =
        OAuthClient::new(AniList::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&anilist, CLIENT_SECRET);
}
