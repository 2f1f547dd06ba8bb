//! X (Twitter) against a mock of its documented endpoints: the exact requests we send
//! and what we make of X's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, RefreshToken,
    RequestErrorKind, Url,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use portcullis_twitter::{Twitter, TwitterUser};

const REDIRECT: &str = "https://www.example.com/login/twitter/callback";
const CLIENT_ID: &str = "rG9n6402A3dbUJKzXTNX4oWHJ";
const CLIENT_SECRET: &str = "WTNrQS14bUhpMl83aU5adTd2NWM6MTpjaQ-RoKx3x58JA8Sm9JIt2fmAjq3q5GX";
const CODE: &str =
    "VGNibzFWSWREZm01bjN1N3dicWlNUG1oa2xRRVNNdmVHelJGY2hPWGxNd2dxOjE2MjIxNjA4MjU4MjU6MToxOmFjOjE";
const ACCESS_TOKEN: &str =
    "Q0Mzb0VhZ0V5dmNXSTEyNER2MFNfVW50RzdXdTN6STFxQlVkTGhTc1lCdlBiOjE2MjIxNDc3NDM5MTQ6MToxOmF0OjE";
const REFRESH_TOKEN: &str =
    "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOnJ0OjE";

const TOKEN_PATH: &str = "/2/oauth2/token";
const REVOKE_PATH: &str = "/2/oauth2/revoke";

/// A confidential client authenticates with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};
/// A public client sends only its id, in the form.
const PUBLIC: Credentials<'_> = Credentials::Public { id: CLIENT_ID };

/// The fields every user request asks for.
const FIELDS: &str =
    "created_at,description,location,profile_image_url,protected,url,verified,verified_type";

/// X's token response for `tweet.read users.read offline.access`.
const TOKENS: &str = r#"{
  "token_type": "bearer",
  "expires_in": 7200,
  "access_token": "Q0Mzb0VhZ0V5dmNXSTEyNER2MFNfVW50RzdXdTN6STFxQlVkTGhTc1lCdlBiOjE2MjIxNDc3NDM5MTQ6MToxOmF0OjE",
  "scope": "tweet.read users.read offline.access",
  "refresh_token": "bWRWa3gzdnk3WHRGU1o0bmRRcTJ5VUxWX1lZTDdJSUtmaWcxbTVxdEFXcW5tOjE2MjIxNDc3NDM5MTQ6MToxOnJ0OjE"
}"#;

/// `GET /2/users/me` with the fields this crate asks for.
const ME: &str = r#"{
  "data": {
    "created_at": "2013-12-14T04:35:55.000Z",
    "description": "The voice of the #TwitterDev team and your official source for updates, news, and events, related to the #TwitterAPI.",
    "id": "2244994945",
    "location": "127.0.0.1",
    "name": "Developers",
    "profile_image_url": "https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg",
    "protected": false,
    "url": "https://t.co/3ZX3TNiZCY",
    "username": "XDevelopers",
    "verified": true,
    "verified_type": "business"
  }
}"#;

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Twitter, MemoryAdapter<String>> {
    expect::client(Twitter::new(), config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("offline.access")
}

/// The code exchange's form, with the PKCE verifier X requires.
fn code_form(verifier: &str) -> [(&'static str, &str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ]
}

async fn mock_token(server: &mut Server, verifier: &str, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &code_form(verifier))
        .reply(200, "application/json;charset=UTF-8", body)
        .await
}

async fn mock_me(server: &mut Server, fields: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(
        server,
        "GET",
        "/2/users/me",
        &[("user.fields", fields)],
        ACCESS_TOKEN,
    )
    .match_body(Matcher::Exact(String::new()))
    .reply(status, "application/json; charset=utf-8", body)
    .await
}

#[test]
fn authorization_url_has_every_parameter() {
    let twitter =
        OAuthClient::new(Twitter::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = twitter.authorization_url();
    assert_eq!(auth.url.origin().ascii_serialization(), "https://x.com");
    assert_eq!(auth.url.path(), "/i/oauth2/authorize");
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
    assert!(
        state.len() <= 500,
        "X accepts a state of up to 500 characters"
    );
    let verifier = auth.pending.code_verifier().unwrap();
    assert_eq!(
        challenge,
        s256_challenge(verifier),
        "S256 challenge of the kept verifier"
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "tweet.read users.read offline.access"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "twitter");
    assert_eq!(auth.pending.nonce(), None);

    let again = twitter.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn endpoints_are_x_ones_and_a_redirect_uri_is_required() {
    let endpoints = Twitter::new().endpoints();
    assert_eq!(endpoints.token.as_str(), "https://api.x.com/2/oauth2/token");
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://api.x.com/2/oauth2/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.x.com/2/users/me")
    );
    assert_eq!(endpoints.issuer, None);

    // Without app scopes: the two X requires for /2/users/me.
    let twitter = OAuthClient::new(
        Twitter::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        query_of(&twitter.authorization_url().url)["scope"],
        "tweet.read users.read"
    );

    let err = OAuthClient::new(
        Twitter::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    let auth = twitter.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, TOKENS).await;
    let me = mock_me(&mut server, FIELDS, 200, ME).await;

    let session = twitter
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "2244994945");
    assert_eq!(session.key().to_string(), "twitter:2244994945");
    let user = &session.provider_user;
    assert_eq!(user.username, "XDevelopers");
    assert_eq!(user.verified, Some(true));
    assert_eq!(user.verified_type.as_deref(), Some("business"));
    assert_eq!(user.protected, Some(false));
    assert_eq!(user.created_at.as_deref(), Some("2013-12-14T04:35:55.000Z"));
    assert_eq!(user.confirmed_email, None);

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 7200);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(tokens.has_scope("offline.access"));

    let profile = session.profile();
    assert_eq!(profile.id, "2244994945");
    assert_eq!(profile.name.as_deref(), Some("Developers"));
    assert_eq!(profile.username.as_deref(), Some("XDevelopers"));
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://pbs.twimg.com/profile_images/1683325380441128960/yRsRRjGO_normal.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("xdevelopers".to_owned()).await.unwrap();
    assert_eq!(twitter.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = twitter.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_me(&mut server, FIELDS, 200, ME).await;
    let session = twitter
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(twitter.adapter().user_count(), 1);
}

#[tokio::test]
async fn with_users_email_the_confirmed_email_is_asked_for_but_not_verified() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config().scope("users.email"));
    let auth = twitter.authorization_url();
    assert_eq!(
        query_of(&auth.url)["scope"],
        "tweet.read users.read offline.access users.email"
    );
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        r#"{"token_type":"bearer","expires_in":7200,
            "access_token":"Q0Mzb0VhZ0V5dmNXSTEyNER2MFNfVW50RzdXdTN6STFxQlVkTGhTc1lCdlBiOjE2MjIxNDc3NDM5MTQ6MToxOmF0OjE",
            "scope":"tweet.read users.read users.email"}"#,
    )
    .await;
    let me = mock_me(
        &mut server,
        &format!("{FIELDS},confirmed_email"),
        200,
        r#"{"data":{"id":"2244994945","name":"Developers","username":"XDevelopers",
            "confirmed_email":"devs@example.com"}}"#,
    )
    .await;
    let session = twitter
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    me.assert_async().await;
    assert_eq!(
        session.provider_user.confirmed_email.as_deref(),
        Some("devs@example.com")
    );
    assert!(
        session.tokens.refresh_token().is_none(),
        "no offline.access granted, no refresh token"
    );
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("devs@example.com"));
    assert!(
        !profile.email_verified,
        "X does not document it as verified"
    );
    assert_eq!(profile.verified_email(), None);
    assert_eq!(profile.avatar_url, None);
}

#[tokio::test]
async fn public_client_sends_its_id_in_the_body() {
    let mut server = Server::new_async().await;
    let config = ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap());
    let twitter = client(&server, config);
    let auth = twitter.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = expect::token_request(&mut server, TOKEN_PATH, PUBLIC, &code_form(&verifier))
        .reply(200, JSON, TOKENS)
        .await;
    mock_me(&mut server, FIELDS, 200, ME).await;
    let session = twitter
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "twitter:2244994945");
}

#[tokio::test]
async fn a_response_without_data_is_an_invalid_response() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKENS)
        .create_async()
        .await;
    // X reports some failures with HTTP 200 and an `errors` array instead of `data`.
    mock_me(
        &mut server,
        FIELDS,
        200,
        r#"{"errors":[{"detail":"Could not find user.","title":"Not Found Error",
            "type":"https://api.twitter.com/2/problems/resource-not-found"}]}"#,
    )
    .await;
    let err = twitter
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    let request = expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
    assert!(
        matches!(request.kind(), RequestErrorKind::InvalidResponse { reason, .. } if reason == "missing field"),
        "{request:?}"
    );
    assert_eq!(twitter.adapter().user_count(), 0);
}

#[test]
fn the_user_is_the_inner_object() {
    let data = serde_json::from_str::<serde_json::Value>(ME).unwrap()["data"].clone();
    let user: TwitterUser = serde_json::from_value(data).unwrap();
    assert_eq!(user.id, "2244994945");
    let round_trip: TwitterUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);
    // `id`, `name` and `username` are X's default fields: always present.
    assert!(serde_json::from_str::<TwitterUser>(r#"{"id":"1","name":"N"}"#).is_err());
}

#[tokio::test]
async fn token_error_is_a_typed_oauth_error() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    let auth = twitter.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &code_form(&verifier))
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_request","error_description":"Value passed for the authorization code was invalid."}"#,
        )
        .await;
    let me = server
        .mock("GET", "/2/users/me")
        .match_query(Matcher::Any)
        .expect(0)
        .create_async()
        .await;

    let err = twitter
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_request",
        Some("Value passed for the authorization code was invalid."),
    );
    assert_eq!(twitter.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html;charset=utf-8")
        .with_body("<html><body><h1>Over capacity</h1><p>Too many requests.</p></body></html>")
        .create_async()
        .await;
    let err = twitter
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html;charset=utf-8",
        "Over capacity",
    );
    assert!(!err.is_retryable(), "never for a code exchange");
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKENS)
        .create_async()
        .await;
    mock_me(
        &mut server,
        FIELDS,
        200,
        r#"{"data":{"id":"2244994945","name":"#,
    )
    .await;
    let err = twitter
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("twitter user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_unauthorized_problem_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", "application/json")
        .with_body(TOKENS)
        .create_async()
        .await;
    server
        .mock("GET", "/2/users/me")
        .match_query(Matcher::Any)
        .with_status(401)
        .with_header("content-type", "application/problem+json")
        .with_body(
            r#"{"title":"Unauthorized","type":"about:blank","status":401,"detail":"Unauthorized"}"#,
        )
        .create_async()
        .await;
    let err = twitter
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        "application/problem+json",
        "Unauthorized",
    );
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"token_type":"bearer","expires_in":7200,"access_token":"bmV3LWFjY2Vzcy10b2tlbjox",
                "scope":"tweet.read users.read offline.access","refresh_token":"bmV3LXJlZnJlc2gtdG9rZW46MQ"}"#,
        )
        .await;
    let tokens = twitter
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "bmV3LWFjY2Vzcy10b2tlbjox");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "bmV3LXJlZnJlc2gtdG9rZW46MQ",
        "the refresh token X returned replaces the old one"
    );
}

#[tokio::test]
async fn public_client_refresh_sends_its_id() {
    let mut server = Server::new_async().await;
    let config = ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap());
    let twitter = client(&server, config);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, PUBLIC, &form)
        .reply(200, JSON, TOKENS)
        .await;
    twitter
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn revoke_posts_the_token_with_basic_auth() {
    let mut server = Server::new_async().await;
    let twitter = client(&server, config());
    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let mock = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, r#"{"revoked":true}"#)
        .await;
    twitter
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn public_client_revoke_sends_its_id() {
    let mut server = Server::new_async().await;
    let config = ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap());
    let twitter = client(&server, config);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let mock = expect::token_request(&mut server, REVOKE_PATH, PUBLIC, &form)
        .reply(200, JSON, r#"{"revoked":true}"#)
        .await;
    twitter
        .revoke(portcullis::AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let twitter =
        OAuthClient::new(Twitter::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&twitter, CLIENT_SECRET);
}
