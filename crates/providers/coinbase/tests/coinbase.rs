//! Coinbase against a mock of its documented endpoints: the exact requests we send and
//! what we make of Coinbase's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce, Provider,
    ProviderUser, RefreshToken,
};
use portcullis_coinbase::{Coinbase, CoinbaseUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e6f";
const CLIENT_SECRET: &str = "9f8e7d6c5b4a39281706f5e4d3c2b1a0";
const REDIRECT: &str = "http://localhost:3000/login/coinbase/callback";
const CODE: &str = "ory_ac_k9Xv2Qw7the-code";
const ACCESS_TOKEN: &str = "ory_at_abd90df5f27a7b170cd775abf89d632b350b7c1c9d53e08b";
const REFRESH_TOKEN: &str = "ory_rt_41ac625d21f07c5508a2266f95f694fdfe68c9a388187e8";
const TOKEN_PATH: &str = "/oauth2/token";
const USER_PATH: &str = "/v2/user";

/// `ClientAuth::RequestBody`: Coinbase takes the id and secret in the form.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response as Coinbase's reference lists it (with `offline_access`).
const TOKENS: &str = r#"{
  "access_token": "ory_at_abd90df5f27a7b170cd775abf89d632b350b7c1c9d53e08b",
  "token_type": "bearer",
  "expires_in": 3600,
  "refresh_token": "ory_rt_41ac625d21f07c5508a2266f95f694fdfe68c9a388187e8",
  "scope": "wallet:user:read wallet:user:email offline_access"
}"#;

/// `GET /v2/user` with `wallet:user:read` and `wallet:user:email`: the documented user
/// resource inside the v2 `data` envelope.
const USER: &str = r#"{
  "data": {
    "id": "9da7a204-544e-5fd1-9a12-61176c5d4cd8",
    "name": "User One",
    "username": "user1",
    "profile_location": null,
    "profile_bio": null,
    "profile_url": "https://coinbase.com/user1",
    "avatar_url": "https://images.coinbase.com/avatar?h=vR%2FY8igBoPwuwGren5JMwvDNGpURAY%2F0nRIOgH%2FY2Qh%2BQ6nomR3qusA%2Bh6o2%0Af9rH&s=128",
    "resource": "user",
    "resource_path": "/v2/user",
    "time_zone": "Pacific Time (US & Canada)",
    "native_currency": "USD",
    "bitcoin_unit": "bits",
    "country": {"code": "US", "name": "United States"},
    "created_at": "2015-01-31T20:49:02Z",
    "email": "user1@example.com"
  }
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["wallet:user:email", "offline_access"])
}

fn client(server: &Server) -> OAuthClient<Coinbase, MemoryAdapter<String>> {
    expect::client(Coinbase::new(), config(), server)
}

fn code_form(verifier: &str) -> [(&str, &str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ]
}

async fn mock_token(server: &mut Server, verifier: &str, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &code_form(verifier))
        .reply(200, JSON, body)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, "application/json; charset=utf-8", body)
        .await
}

#[test]
fn provider_facts_match_the_docs() {
    let info = Coinbase::INFO;
    assert_eq!(info.id, "coinbase");
    assert_eq!(
        info.authorization_url,
        "https://login.coinbase.com/oauth2/auth"
    );
    assert_eq!(info.token_url, "https://login.coinbase.com/oauth2/token");
    assert_eq!(
        info.revocation_url,
        Some("https://login.coinbase.com/oauth2/revoke")
    );
    assert_eq!(info.userinfo_url, Some("https://api.coinbase.com/v2/user"));
    assert_eq!(info.issuer, None);
    assert_eq!(info.default_scopes, ["wallet:user:read"]);
    assert_eq!(info.scope_delimiter, " ");
    assert_eq!(info.pkce, Pkce::S256);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "data.id");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let coinbase =
        OAuthClient::new(Coinbase::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = coinbase.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://login.coinbase.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/auth");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let challenge = s256_challenge(auth.pending.code_verifier().unwrap());
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "wallet:user:read wallet:user:email offline_access"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "coinbase");
    assert_eq!(auth.pending.nonce(), None, "Coinbase is not OpenID Connect");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Coinbase::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, portcullis::Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_creates_and_finds_the_user() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let auth = coinbase.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(&mut server, &verifier, TOKENS).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = coinbase
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(
        session.key().to_string(),
        "coinbase:9da7a204-544e-5fd1-9a12-61176c5d4cd8"
    );
    let user = &session.provider_user;
    assert_eq!(user.resource.as_deref(), Some("user"));
    assert_eq!(user.native_currency.as_deref(), Some("USD"));
    assert_eq!(
        user.country.as_ref().and_then(|c| c.code.as_deref()),
        Some("US")
    );
    assert_eq!(user.created_at.as_deref(), Some("2015-01-31T20:49:02Z"));
    assert_eq!(user.profile_location, None);

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);

    let profile = session.profile();
    assert_eq!(profile.id, "9da7a204-544e-5fd1-9a12-61176c5d4cd8");
    assert_eq!(profile.name.as_deref(), Some("User One"));
    assert_eq!(profile.username.as_deref(), Some("user1"));
    assert_eq!(profile.email.as_deref(), Some("user1@example.com"));
    assert!(
        !profile.email_verified,
        "Coinbase does not say the email is verified"
    );
    assert!(
        profile
            .avatar_url
            .unwrap()
            .starts_with("https://images.coinbase.com/avatar")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("user1".to_owned()).await.unwrap();
    assert_eq!(coinbase.adapter().user_count(), 1);

    let auth = coinbase.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_user(&mut server, 200, USER).await;
    let session = coinbase
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created));
    assert_eq!(coinbase.adapter().user_count(), 1);
}

#[tokio::test]
async fn the_public_user_without_scoped_fields_parses() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let auth = coinbase.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_user(
        &mut server,
        200,
        r#"{"data":{"id":"9da7a204-544e-5fd1-9a12-61176c5d4cd8","name":"User One",
            "username":"user1","profile_location":null,"profile_bio":null,
            "profile_url":"https://coinbase.com/user1","avatar_url":"https://images.coinbase.com/avatar?s=128",
            "resource":"user","resource_path":"/v2/user"}}"#,
    )
    .await;
    let session = coinbase
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    let profile = session.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(session.provider_user.time_zone, None);
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let auth = coinbase.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &code_form(&verifier))
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, or revoked."}"#,
        )
        .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = coinbase
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("The provided authorization grant is invalid, expired, or revoked."),
    );
    assert_eq!(coinbase.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html")
        .with_body("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        .create_async()
        .await;
    let err = coinbase
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html",
        "Service Temporarily Unavailable",
    );
}

#[tokio::test]
async fn a_user_outside_the_data_envelope_names_the_field() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKENS)
        .create_async()
        .await;
    // The bare resource, as the users page prints it, is not what the API answers.
    mock_user(
        &mut server,
        200,
        r#"{"id":"9da7a204-544e-5fd1-9a12-61176c5d4cd8","resource":"user"}"#,
    )
    .await;
    let err = coinbase
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
}

#[tokio::test]
async fn a_user_without_an_id_names_the_field() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKENS)
        .create_async()
        .await;
    mock_user(&mut server, 200, r#"{"data":{"id":42,"name":"User One"}}"#).await;
    let err = coinbase
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data.id"));
}

#[tokio::test]
async fn an_expired_token_at_the_user_endpoint_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKENS)
        .create_async()
        .await;
    // The v2 API's own error list, not an OAuth error object.
    mock_user(
        &mut server,
        401,
        r#"{"errors":[{"id":"expired_token","message":"The access token expired"}]}"#,
    )
    .await;
    let err = coinbase
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        "application/json; charset=utf-8",
        "The access token expired",
    );
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_new_single_use_token() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"ory_at_new","token_type":"bearer","expires_in":3600,
                "refresh_token":"ory_rt_new","scope":"wallet:user:read offline_access"}"#,
        )
        .await;
    let tokens = coinbase
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "ory_at_new");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "ory_rt_new",
        "a Coinbase refresh token is exchanged only once"
    );
}

#[tokio::test]
async fn a_spent_refresh_token_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(401, JSON, r#"{"error":"invalid_grant"}"#)
        .await;
    let err = coinbase
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 401, "invalid_grant", None);
}

#[tokio::test]
async fn revoke_posts_the_token_with_the_client_credentials() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let mock = expect::token_request(&mut server, "/oauth2/revoke", CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    coinbase
        .revoke(portcullis::AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let coinbase = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    portcullis_testkit::assert_forged_callbacks_refused(&coinbase).await;
    token.assert_async().await;
    me.assert_async().await;
}

#[test]
fn the_user_round_trips_through_serde() {
    let user: CoinbaseUser = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(USER).unwrap()["data"].clone(),
    )
    .unwrap();
    assert_eq!(
        user.provider_user_id(),
        "9da7a204-544e-5fd1-9a12-61176c5d4cd8"
    );
    let round_trip: CoinbaseUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);
}

#[test]
fn debug_output_holds_no_secret() {
    let coinbase =
        OAuthClient::new(Coinbase::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&coinbase, CLIENT_SECRET);
}
