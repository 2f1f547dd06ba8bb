//! Kakao against a mock of its documented endpoints: the exact requests we send and
//! what we make of Kakao's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Endpoints, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderUser, RefreshToken, Url,
};
use portcullis_kakao::{Kakao, KakaoUser};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const REST_API_KEY: &str = "9c4b1f0e2d8a7c6b5a4f3e2d1c0b9a8f";
const CLIENT_SECRET: &str = "Qm3vT8kPz1xY7nRw4sLd9gHc2jFb6aE0";
const REDIRECT: &str = "http://localhost:3000/login/kakao/callback";
const CODE: &str = "q3ZX8b2xE5m1kR9vT4nW7yP0sL6dJ2hF8gC1aB5zY3xV9uT7";

const TOKEN_PATH: &str = "/oauth/token";
const USER_PATH: &str = "/v2/user/me";

/// The content type of Kakao's JSON answers.
const KAKAO_JSON: &str = "application/json;charset=UTF-8";

/// Kakao takes the REST API key and the client secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: REST_API_KEY,
    secret: CLIENT_SECRET,
};

const ACCESS_TOKEN: &str = "IhvO2jmaTwssGkJh739xghhibuU4VgOR-R_fc0joCiolTgAAAYa3CDav";
const REFRESH_TOKEN: &str = "vtH8T2J7yePI-pBkX6zq99fykMNzcponAAAAAgoXEC8AAAGV1kYOoi2N1GIgzv2p";

/// The token response as "Request token" documents it.
const TOKEN_RESPONSE: &str = r#"{
  "token_type": "bearer",
  "access_token": "IhvO2jmaTwssGkJh739xghhibuU4VgOR-R_fc0joCiolTgAAAYa3CDav",
  "expires_in": 21599,
  "refresh_token": "vtH8T2J7yePI-pBkX6zq99fykMNzcponAAAAAgoXEC8AAAGV1kYOoi2N1GIgzv2p",
  "refresh_token_expires_in": 5183999,
  "scope": "account_email profile_image profile_nickname"
}"#;

/// `GET /v2/user/me` with the nickname, profile image and email consent items, shaped
/// like the documented sample.
const USER: &str = r#"{
  "id": 3456789012,
  "connected_at": "2024-04-11T01:45:28Z",
  "properties": {
    "nickname": "홍길동",
    "profile_image": "https://k.kakaocdn.net/dn/abc/img_640x640.jpg",
    "thumbnail_image": "https://k.kakaocdn.net/dn/abc/img_110x110.jpg"
  },
  "kakao_account": {
    "profile_nickname_needs_agreement": false,
    "profile_image_needs_agreement": false,
    "profile": {
      "nickname": "홍길동",
      "thumbnail_image_url": "https://k.kakaocdn.net/dn/abc/img_110x110.jpg",
      "profile_image_url": "https://k.kakaocdn.net/dn/abc/img_640x640.jpg",
      "is_default_image": false,
      "is_default_nickname": false
    },
    "has_email": true,
    "email_needs_agreement": false,
    "is_email_valid": true,
    "is_email_verified": true,
    "email": "sample@kakao.com"
  }
}"#;

type Client = OAuthClient<Kakao, MemoryAdapter<String>>;

fn client(server: &Server, config: ClientConfig) -> Client {
    expect::client(Kakao::new(), config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(REST_API_KEY, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["profile_nickname", "profile_image", "account_email"])
}

fn user(json: &str) -> KakaoUser {
    serde_json::from_str(json).unwrap()
}

/// The code exchange as Kakao documents it: every parameter in the form body, with the
/// redirect URI (which Lucia left out) and the PKCE verifier.
async fn mock_token(server: &mut Server, verifier: &str, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, KAKAO_JSON, body)
        .await
}

/// The user request: the bearer token, and only `secure_resource=true` in the query.
async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(
        server,
        "GET",
        USER_PATH,
        &[("secure_resource", "true")],
        ACCESS_TOKEN,
    )
    .reply(status, KAKAO_JSON, body)
    .await
}

#[test]
fn provider_facts_match_kakaos_docs() {
    let info = Kakao::INFO;
    assert_eq!(info.id, "kakao");
    assert_eq!(info.user_id_field, "id");
    assert_eq!(info.scope_delimiter, ",");
    assert!(info.default_scopes.is_empty());
    assert_eq!(info.revocation_url, None);
    assert_eq!(Kakao::new().endpoints(), Endpoints::from_info(&info));
    let endpoints = Kakao::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://kauth.kakao.com/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://kauth.kakao.com/oauth/token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://kapi.kakao.com/v2/user/me")
    );
}

#[test]
fn authorization_url_has_every_parameter_and_comma_separated_scopes() {
    let kakao = OAuthClient::new(Kakao::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = kakao.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://kauth.kakao.com"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");
    assert!(
        auth.url
            .query()
            .unwrap()
            .contains("scope=profile_nickname%2Cprofile_image%2Caccount_email"),
        "{}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", REST_API_KEY),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "profile_nickname,profile_image,account_email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "kakao");
    assert_eq!(auth.pending.nonce(), None);
}

#[test]
fn no_scope_by_default_and_openid_gets_a_nonce() {
    let kakao = OAuthClient::new(
        Kakao::new(),
        ClientConfig::new(REST_API_KEY, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = kakao.authorization_url();
    assert!(!query_of(&auth.url).contains_key("scope"), "{}", auth.url);

    let oidc = OAuthClient::new(
        Kakao::new(),
        ClientConfig::new(REST_API_KEY, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scopes(["openid", "account_email"]),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = oidc.authorization_url();
    let query = query_of(&auth.url);
    assert_eq!(query["scope"], "openid,account_email");
    assert_eq!(Some(query["nonce"].as_str()), auth.pending.nonce());

    let err = OAuthClient::new(
        Kakao::new(),
        ClientConfig::new(REST_API_KEY, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());
    let auth = kakao.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, TOKEN_RESPONSE).await;
    let user = mock_user(&mut server, 200, USER).await;

    let session = kakao
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, "3456789012");
    assert_eq!(session.key().to_string(), "kakao:3456789012");
    let account = session.provider_user.kakao_account.as_ref().unwrap();
    assert_eq!(account.email.as_deref(), Some("sample@kakao.com"));
    assert_eq!(
        account.profile.as_ref().unwrap().is_default_nickname,
        Some(false)
    );
    assert_eq!(session.provider_user.properties["nickname"], "홍길동");
    assert_eq!(
        session.provider_user.connected_at.as_deref(),
        Some("2024-04-11T01:45:28Z")
    );

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(21599))
    );
    assert!(session.tokens.refresh_token_expires_at().is_some());
    assert_eq!(
        session.tokens.scopes().unwrap(),
        ["account_email", "profile_image", "profile_nickname"]
    );

    let profile = session.profile();
    assert_eq!(profile.id, "3456789012");
    assert_eq!(profile.name.as_deref(), Some("홍길동"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email.as_deref(), Some("sample@kakao.com"));
    assert!(profile.email_verified, "verified and valid");
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://k.kakaocdn.net/dn/abc/img_640x640.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("hong".to_owned()).await.unwrap();
    assert_eq!(kakao.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = kakao.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = kakao
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(kakao.adapter().user_count(), 1);
}

#[test]
fn the_nested_email_is_verified_only_when_verified_and_valid() {
    let with = |valid: &str, verified: &str| {
        user(&format!(
            r#"{{"id": 1, "kakao_account": {{"email_needs_agreement": false,
                 "is_email_valid": {valid}, "is_email_verified": {verified},
                 "email": "sample@kakao.com"}}}}"#
        ))
    };
    let profile = with("true", "true").profile();
    assert_eq!(profile.verified_email(), Some("sample@kakao.com"));

    let profile = with("true", "false").profile();
    assert_eq!(profile.email.as_deref(), Some("sample@kakao.com"));
    assert!(!profile.email_verified, "not verified");

    let profile = with("false", "true").profile();
    assert_eq!(profile.email.as_deref(), Some("sample@kakao.com"));
    assert!(
        !profile.email_verified,
        "taken over by another Kakao Account"
    );

    // No consent to the email: Kakao only says it could be asked for.
    let profile = user(
        r#"{"id": 1, "kakao_account": {"email_needs_agreement": true, "profile_needs_agreement": true}}"#,
    )
    .profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);
    assert_eq!(profile.name, None);

    // No `kakao_account` at all, an email at the top level is not Kakao's shape.
    let bare = user(r#"{"id": 1, "email": "top@level.example"}"#);
    assert_eq!(bare.email(), None);
    assert_eq!(bare.profile().email, None);
}

#[test]
fn default_profile_images_are_not_avatars_and_ids_are_decimal() {
    let kakao_user = user(
        r#"{"id": 9223372036854775807, "kakao_account": {"profile": {"nickname": "",
            "profile_image_url": "https://k.kakaocdn.net/dn/default_profile.jpg",
            "is_default_image": true}, "name": "홍길동"}}"#,
    );
    assert_eq!(kakao_user.provider_user_id(), "9223372036854775807");
    let profile = kakao_user.profile();
    assert_eq!(profile.avatar_url, None, "Kakao's default image");
    assert_eq!(profile.name, None, "an empty nickname is no name");

    let kakao_user = user(r#"{"id": 42, "kakao_account": {"name": "홍길동"}}"#);
    assert_eq!(kakao_user.profile().name.as_deref(), Some("홍길동"));
    let kakao_user = user(r#"{"id": 42, "properties": {"nickname": "길동"}}"#);
    assert_eq!(kakao_user.profile().name.as_deref(), Some("길동"));
}

async fn mock_refresh(server: &mut Server, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, KAKAO_JSON, body)
        .await
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());

    // More than a month left on the refresh token: Kakao sends no new one.
    let mock = mock_refresh(
        &mut server,
        r#"{"token_type":"bearer","access_token":"new-access-token","expires_in":21599}"#,
    )
    .await;
    let tokens = kakao
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "new-access-token");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN,
        "the old refresh token stays valid"
    );
    mock.remove_async().await;

    // Less than a month left: a new refresh token, with its lifetime.
    let mock = mock_refresh(
        &mut server,
        r#"{"token_type":"bearer","access_token":"newer-access-token","expires_in":21599,
            "refresh_token":"rotated-refresh-token","refresh_token_expires_in":5183999}"#,
    )
    .await;
    let tokens = kakao
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "rotated-refresh-token"
    );
    assert!(tokens.refresh_token_expires_at().is_some());
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());
    let auth = kakao.authorization_url();
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", KAKAO_JSON)
        .with_body(
            r#"{"error":"invalid_grant","error_description":"authorization code not found for code=q3ZX8b2xE5m1kR9vT4nW7yP0sL6dJ2hF8gC1aB5zY3xV9uT7","error_code":"KOE320"}"#,
        )
        .expect(1)
        .create_async()
        .await;
    let user = server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let err = kakao
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    let request =
        expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert!(
        request
            .oauth_error()
            .unwrap()
            .description
            .as_deref()
            .unwrap()
            .starts_with("authorization code not found"),
        "{request:?}"
    );
    assert_eq!(kakao.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html;charset=UTF-8")
        .with_body("<html><body><h1>Kakao 서비스 점검 중입니다</h1></body></html>")
        .create_async()
        .await;
    let err = kakao
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html;charset=UTF-8",
        "서비스 점검",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());
    mock_token(&mut server, "v", TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, r#"{"id":3456789012,"kakao_account":{"#).await;
    let err = kakao
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("kakao user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_invalid_token_at_the_user_request_is_a_typed_failure() {
    let mut server = Server::new_async().await;
    let kakao = client(&server, config());
    mock_token(&mut server, "v", TOKEN_RESPONSE).await;
    // Kakao's API errors are `{msg, code}`, not RFC 6749's.
    mock_user(
        &mut server,
        401,
        r#"{"msg":"this access token does not exist","code":-401}"#,
    )
    .await;
    let err = kakao
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, KAKAO_JSON, "does not exist");
}

#[test]
fn debug_output_holds_no_secret() {
    let client = OAuthClient::new(Kakao::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}
