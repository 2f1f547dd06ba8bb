//! Dribbble against a mock of its documented endpoints: the exact requests we send and
//! what we make of Dribbble's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce,
    Provider, ProviderUser, Url,
};
use portcullis_dribbble::{Dribbble, DribbbleUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

/// Dribbble's client ids and secrets are 64 hex digits.
const CLIENT_ID: &str = "3f1c2b9a8d7e6f5a4b3c2d1e0f9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a";
const CLIENT_SECRET: &str = "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b";
const REDIRECT: &str = "http://localhost:3000/login/dribbble/callback";
const CODE: &str = "9892aebf4d2b1c0e8f7a6b5c4d3e2f1a0b9c8d7e6f5a4b3c2d1e0f9a8b7c6d5e";
/// The access token of Dribbble's documented example.
const ACCESS_TOKEN: &str = "29ed478ab86c07f1c069b1af76088f7431396b7c4a2523d06911345da82224a0";

const TOKEN_PATH: &str = "/oauth/token";
const USER_PATH: &str = "/v2/user";

/// Dribbble takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response as Dribbble documents it: no expiry, no refresh token.
const TOKEN_RESPONSE: &str = r#"{
  "access_token" : "29ed478ab86c07f1c069b1af76088f7431396b7c4a2523d06911345da82224a0",
  "token_type" : "bearer",
  "scope" : "public upload"
}"#;

/// The authenticated user, shaped like Dribbble's documented example.
const USER: &str = r#"{
  "id" : 1,
  "name" : "Dan Cederholm",
  "login" : "simplebits",
  "html_url" : "https://dribbble.com/simplebits",
  "avatar_url" : "https://d13yacurqjgara.cloudfront.net/users/1/avatars/normal/dc.jpg?1371679243",
  "bio" : "Co-founder &amp; designer of <a href=\"https://dribbble.com/dribbble\">@Dribbble</a>. Principal of SimpleBits. Aspiring clawhammer banjoist.",
  "location" : "Salem, MA",
  "links" : {
    "web" : "http://simplebits.com",
    "twitter" : "https://twitter.com/simplebits"
  },
  "can_upload_shot" : true,
  "pro" : true,
  "followers_count" : 29262,
  "created_at" : "2009-07-08T02:51:22Z",
  "type" : "Player",
  "teams" : [
    {
      "id" : 39,
      "name" : "Dribbble",
      "login" : "dribbble",
      "html_url" : "https://dribbble.com/dribbble",
      "avatar_url" : "https://d13yacurqjgara.cloudfront.net/users/39/avatars/normal/apple-flat-precomposed.png?1388527574",
      "bio" : "Show and tell for designers. This is Dribbble on Dribbble.",
      "location" : "Salem, MA",
      "links" : {
        "web" : "http://dribbble.com",
        "twitter" : "https://twitter.com/dribbble"
      },
      "type" : "Team",
      "created_at" : "2009-11-18T21:43:29Z",
      "updated_at" : "2014-02-21T20:44:08Z"
    }
  ]
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("upload")
}

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Dribbble, MemoryAdapter<String>> {
    expect::client(Dribbble::new(), config, server)
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

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, "application/json; charset=utf-8", body)
        .await
}

fn user(json: &str) -> DribbbleUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_dribbbles_docs() {
    let info = Dribbble::INFO;
    assert_eq!(info.id, "dribbble");
    assert_eq!(info.name, "Dribbble");
    let endpoints = Dribbble::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://dribbble.com/oauth/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://dribbble.com/oauth/token");
    assert_eq!(
        endpoints.revocation, None,
        "Dribbble documents no revocation"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.dribbble.com/v2/user")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["public"]);
    assert_eq!(info.scope_delimiter, " ");
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(!info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "id");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(info.docs_url, "https://developer.dribbble.com/v2/oauth/");
}

#[test]
fn authorization_url_has_every_parameter() {
    let dribbble =
        OAuthClient::new(Dribbble::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = dribbble.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://dribbble.com"
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
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "public upload"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "dribbble");
    assert_eq!(auth.pending.code_verifier(), None, "no PKCE");
    assert_eq!(auth.pending.nonce(), None);
}

#[test]
fn a_public_client_is_refused_without_pkce() {
    let err = OAuthClient::new(
        Dribbble::new(),
        ClientConfig::public(CLIENT_ID),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    let auth = dribbble.authorization_url();
    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = dribbble
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.key().to_string(), "dribbble:1");
    let user = &session.provider_user;
    assert_eq!(user.id, 1);
    assert_eq!(
        user.html_url.as_deref(),
        Some("https://dribbble.com/simplebits")
    );
    assert_eq!(user.location.as_deref(), Some("Salem, MA"));
    let links = user.links.as_ref().unwrap();
    assert_eq!(links.web.as_deref(), Some("http://simplebits.com"));
    assert_eq!(
        links.twitter.as_deref(),
        Some("https://twitter.com/simplebits")
    );
    assert_eq!(user.can_upload_shot, Some(true));
    assert_eq!(user.pro, Some(true));
    assert_eq!(user.followers_count, Some(29_262));
    assert_eq!(user.created_at.as_deref(), Some("2009-07-08T02:51:22Z"));
    assert_eq!(user.kind.as_deref(), Some("Player"));
    let teams = user.teams.as_ref().unwrap();
    assert_eq!(teams.len(), 1);
    assert_eq!(teams[0].id, 39);
    assert_eq!(teams[0].login.as_deref(), Some("dribbble"));
    assert_eq!(teams[0].kind.as_deref(), Some("Team"));
    assert_eq!(teams[0].updated_at.as_deref(), Some("2014-02-21T20:44:08Z"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in(), None, "Dribbble's tokens do not expire");
    assert!(tokens.refresh_token().is_none());
    assert_eq!(tokens.scopes().unwrap(), ["public", "upload"]);

    let profile = session.profile();
    assert_eq!(profile.id, "1");
    assert_eq!(profile.name.as_deref(), Some("Dan Cederholm"));
    assert_eq!(profile.username.as_deref(), Some("simplebits"));
    assert_eq!(profile.email, None, "Dribbble's user has no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://d13yacurqjgara.cloudfront.net/users/1/avatars/normal/dc.jpg?1371679243")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("dan".to_owned()).await.unwrap();
    assert_eq!(dribbble.adapter().user_count(), 1);

    // The same user signs in again with another login: found by id, not created twice.
    let auth = dribbble.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        &USER.replace(r#""login" : "simplebits""#, r#""login" : "dan""#),
    )
    .await;
    let session = dribbble
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(session.profile().username.as_deref(), Some("dan"));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(dribbble.adapter().user_count(), 1);
}

#[tokio::test]
async fn without_a_redirect_uri_none_is_sent() {
    // Dribbble then redirects to the application's registered callback URL.
    let mut server = Server::new_async().await;
    let dribbble = client(&server, ClientConfig::new(CLIENT_ID, CLIENT_SECRET));
    let auth = dribbble.authorization_url();
    let query = query_of(&auth.url);
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
    assert_eq!(query["scope"], "public", "only the default scope");

    let token = expect::token_request(
        &mut server,
        TOKEN_PATH,
        CREDENTIALS,
        &[("grant_type", "authorization_code"), ("code", CODE)],
    )
    .reply(200, JSON, TOKEN_RESPONSE)
    .await;
    mock_user(&mut server, 200, USER).await;
    dribbble
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    let auth = dribbble.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = dribbble
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(dribbble.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_wrong_client_secret_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    mock_token(
        &mut server,
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}"#,
    )
    .await;
    let err = dribbble.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 401, "invalid_client", None);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>Dribbble - Over capacity</title></head><body></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = dribbble.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html; charset=utf-8",
        "Over capacity",
    );
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn a_user_of_the_wrong_shape_names_the_field() {
    for (body, field) in [
        (r#"{"name":"Dan Cederholm","login":"simplebits"}"#, "id"),
        // The id is a number: a string there is not Dribbble's user.
        (r#"{"id":"1","login":"simplebits"}"#, "id"),
        (r#"{"id":1,"links":"http://simplebits.com"}"#, "links"),
        (r#"{"id":1,"teams":[{"name":"Dribbble"}]}"#, "teams[0].id"),
    ] {
        let mut server = Server::new_async().await;
        let dribbble = client(&server, config());
        mock_token(&mut server, 200, TOKEN_RESPONSE).await;
        mock_user(&mut server, 200, body).await;
        let err = dribbble.validate_code(CODE, None, None).await.unwrap_err();
        expect::assert_invalid_response(&err, Phase::UserInfo, Some(field));
        assert!(!err.is_retryable(), "the code is spent");
    }
}

#[tokio::test]
async fn a_refused_token_on_the_api_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // Dribbble's API errors are `{"message": …}` objects, not OAuth errors.
    mock_user(&mut server, 401, r#"{"message":"Bad credentials."}"#).await;
    let err = dribbble.validate_code(CODE, None, None).await.unwrap_err();
    let request = expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        "application/json; charset=utf-8",
        "Bad credentials.",
    );
    assert_eq!(request.oauth_error(), None);
    assert!(!format!("{err} {err:?}").contains(ACCESS_TOKEN));
}

#[test]
fn a_sparse_user_keeps_what_there_is() {
    // A new account, as the v2 API returns it: no links, no location, no teams.
    let fresh = user(
        r#"{"avatar_url":"https://cdn.dribbble.com/assets/avatar-default.gif","bio":"",
            "can_upload_shot":true,"created_at":"2015-07-06T00:30:50.187-04:00",
            "followers_count":0,"html_url":"https://dribbble.com/P36348","id":894092,
            "links":{},"location":null,"login":"P36348","name":"","pro":false,
            "type":"User","teams":[]}"#,
    );
    let profile = fresh.profile();
    assert_eq!(profile.id, "894092");
    assert_eq!(
        profile.name.as_deref(),
        Some("P36348"),
        "the login stands in"
    );
    assert_eq!(profile.username.as_deref(), Some("P36348"));
    assert_eq!(
        fresh.links,
        Some(serde_json::from_str("{}").unwrap()),
        "no web, no twitter"
    );
    assert_eq!(fresh.teams, Some(Vec::new()));

    let bare = user(r#"{"id":894092}"#);
    let profile = bare.profile();
    assert_eq!(profile.name, None);
    assert_eq!(profile.username, None);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    assert_eq!(original.provider_user_id(), "1");
    let json = serde_json::to_value(&original).unwrap();
    let documented: serde_json::Value = serde_json::from_str(USER).unwrap();
    assert_eq!(json, documented, "Dribbble's field names kept");
    let back: DribbbleUser = serde_json::from_value(json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let dribbble = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    let me = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&dribbble).await;
    token.assert_async().await;
    me.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let dribbble =
        OAuthClient::new(Dribbble::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&dribbble, CLIENT_SECRET);
}
