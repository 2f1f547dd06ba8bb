//! Yandex against a mock of its documented endpoints: the exact requests we send and
//! what we make of Yandex's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

use portcullis_yandex::{Yandex, YandexUser};

const CLIENT_ID: &str = "4760187d81bc4b7799476b42b5103713";
const CLIENT_SECRET: &str = "c1ecbe6bd1c54a5c9fdeba5a07e1a37a";
const REDIRECT: &str = "http://localhost:3000/login/yandex/callback";
const CODE: &str = "4723845";
const ACCESS_TOKEN: &str = "AQAAAACy1C6ZAAAAfa6vDLuItEy8pg-iIpnDxIs";
const REFRESH_TOKEN: &str = "1:GN686QVt0mmakDd9:A4pYuW9LGk0_UnlrMIWklkAuJkUWbq27loFekJVmSYrdfzdePBy7:A-2dHOmBxiXgajnD-kYOwQ";

const TOKEN_PATH: &str = "/token";
const USER_PATH: &str = "/info";
const USER_QUERY: &[(&str, &str)] = &[("format", "json")];

/// Yandex prefers HTTP Basic: with the header, form credentials are ignored.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response as Yandex documents it.
const TOKEN_RESPONSE: &str = r#"{
  "token_type": "bearer",
  "access_token": "AQAAAACy1C6ZAAAAfa6vDLuItEy8pg-iIpnDxIs",
  "expires_in": 124234123534,
  "refresh_token": "1:GN686QVt0mmakDd9:A4pYuW9LGk0_UnlrMIWklkAuJkUWbq27loFekJVmSYrdfzdePBy7:A-2dHOmBxiXgajnD-kYOwQ",
  "scope": "login:info login:email login:avatar"
}"#;

/// The Yandex ID API's documented sample response, with every permission.
const USER: &str = r#"{
  "first_name": "Иван",
  "last_name": "Иванов",
  "display_name": "ivan",
  "emails": ["ivan@yandex.ru"],
  "default_email": "ivan@yandex.ru",
  "default_phone": {"id": 12345678, "number": "+79037659418"},
  "real_name": "Иван Иванов",
  "is_avatar_empty": false,
  "birthday": "1987-03-12",
  "default_avatar_id": "131652443",
  "login": "ivan",
  "old_social_login": "uid-mmzxrnry",
  "sex": "male",
  "id": "1000034426",
  "client_id": "4760187d81bc4b7799476b42b5103713",
  "psuid": "1.AAceCw.tbHgw5DtJ9_zeqPrk-Ba2w.qPWSRC5v2t2IaksPJgnge"
}"#;

/// What a token without any Yandex ID API permission gets: the documented minimum.
const BARE_USER: &str = r#"{
  "login": "vasya",
  "id": "1000034426",
  "client_id": "4760187d81bc4b7799476b42b5103713",
  "openid_identities": ["http://openid.yandex.ru/vasya/", "http://vasya.ya.ru/"],
  "psuid": "1.AAceCw.tbHgw5DtJ9_zeqPrk-Ba2w.qPWSRC5v2t2IaksPJgnge"
}"#;

type Client = OAuthClient<Yandex, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("login:info")
        .scope("login:email")
}

fn client(server: &Server) -> Client {
    expect::client(Yandex::new(), config(), server)
}

fn user(json: &str) -> YandexUser {
    serde_json::from_str(json).unwrap()
}

async fn mock_token(
    server: &mut Server,
    verifier: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(status, JSON, body)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, USER_QUERY, ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_yandex_docs() {
    let info = Yandex::INFO;
    assert_eq!(info.id, "yandex");
    let endpoints = Yandex::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://oauth.yandex.com/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://oauth.yandex.com/token");
    assert_eq!(endpoints.revocation, None, "revoke_token is not RFC 7009");
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://login.yandex.ru/info")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(info.default_scopes.is_empty());
    assert_eq!(info.pkce, portcullis::Pkce::S256);
    assert_eq!(info.client_auth, portcullis::ClientAuth::Basic);
    assert!(!info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "id");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let yandex = OAuthClient::new(Yandex::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = yandex.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://oauth.yandex.com"
    );
    assert_eq!(auth.url.path(), "/authorize");
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let challenge = s256_challenge(auth.pending.code_verifier().unwrap());
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "login:info login:email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "yandex");
    assert_eq!(auth.pending.nonce(), None);
}

#[test]
fn without_scopes_or_redirect_uri_yandex_uses_the_registered_ones() {
    let yandex = OAuthClient::new(
        Yandex::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&yandex.authorization_url().url);
    assert!(!query.contains_key("scope"), "{query:?}");
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
    assert_eq!(query.get("response_type").map(String::as_str), Some("code"));
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "1000034426");
    assert_eq!(session.key().to_string(), "yandex:1000034426");
    let ivan = &session.provider_user;
    assert_eq!(ivan.login, "ivan");
    assert_eq!(ivan.sex.as_deref(), Some("male"));
    assert_eq!(ivan.birthday.as_deref(), Some("1987-03-12"));
    assert_eq!(ivan.default_phone.as_ref().unwrap().id, 12_345_678);
    assert_eq!(ivan.default_phone.as_ref().unwrap().number, "+79037659418");
    assert_eq!(
        ivan.emails.as_deref(),
        Some(&["ivan@yandex.ru".to_owned()][..])
    );
    assert_eq!(
        ivan.psuid.as_deref(),
        Some("1.AAceCw.tbHgw5DtJ9_zeqPrk-Ba2w.qPWSRC5v2t2IaksPJgnge")
    );

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(124_234_123_534))
    );
    assert_eq!(
        session.tokens.scopes().unwrap(),
        ["login:info", "login:email", "login:avatar"]
    );

    let profile = session.profile();
    assert_eq!(profile.id, "1000034426");
    assert_eq!(profile.name.as_deref(), Some("Иван Иванов"));
    assert_eq!(profile.username.as_deref(), Some("ivan"));
    assert_eq!(profile.email.as_deref(), Some("ivan@yandex.ru"));
    assert!(!profile.email_verified, "Yandex never says");
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://avatars.yandex.net/get-yapic/131652443/islands-200")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("ivan".to_owned()).await.unwrap();
    assert_eq!(yandex.adapter().user_count(), 1);

    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(yandex.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_token_without_yandex_id_permissions_still_identifies_the_user() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, BARE_USER).await;
    let session = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.key().to_string(), "yandex:1000034426");
    let profile = session.profile();
    assert_eq!(
        profile.name.as_deref(),
        Some("vasya"),
        "the login, lacking names"
    );
    assert_eq!(profile.email, None);
    assert_eq!(profile.avatar_url, None);
    assert_eq!(
        session
            .provider_user
            .openid_identities
            .as_ref()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn the_id_is_the_key_never_the_login_or_psuid() {
    let a = user(USER);
    let mut json: serde_json::Value = serde_json::from_str(USER).unwrap();
    json["login"] = "someone-else".into();
    json["psuid"] = "2.other".into();
    let b: YandexUser = serde_json::from_value(json).unwrap();
    assert_eq!(a.provider_user_id(), b.provider_user_id());
}

#[test]
fn an_empty_avatar_or_an_odd_id_gives_no_avatar_url() {
    let mut json: serde_json::Value = serde_json::from_str(USER).unwrap();
    json["is_avatar_empty"] = true.into();
    assert_eq!(
        serde_json::from_value::<YandexUser>(json.clone())
            .unwrap()
            .avatar_url(),
        None
    );

    json["is_avatar_empty"] = false.into();
    json["default_avatar_id"] = "31804/BYkogAC6AoB17bN1HKRFAyKiM4-1".into();
    assert_eq!(
        serde_json::from_value::<YandexUser>(json.clone())
            .unwrap()
            .avatar_url()
            .as_deref(),
        Some("https://avatars.yandex.net/get-yapic/31804/BYkogAC6AoB17bN1HKRFAyKiM4-1/islands-200")
    );

    for odd in ["../../x", "a?b=c", ""] {
        json["default_avatar_id"] = odd.into();
        let odd_user: YandexUser = serde_json::from_value(json.clone()).unwrap();
        assert_eq!(odd_user.avatar_url(), None, "{odd}");
    }
}

#[test]
fn null_gender_birthday_and_blank_names_are_accepted() {
    let sparse = user(
        r#"{"id":"1000034426","login":"ivan","sex":null,"birthday":null,
            "real_name":" ","display_name":"Vanya","default_email":null}"#,
    );
    assert_eq!(sparse.sex, None);
    assert_eq!(sparse.birthday, None);
    let profile = sparse.profile();
    assert_eq!(
        profile.name.as_deref(),
        Some("Vanya"),
        "a blank real name is skipped"
    );
    assert_eq!(profile.email, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    for json in [USER, BARE_USER] {
        let original = user(json);
        let back: YandexUser =
            serde_json::from_str(&serde_json::to_string(&original).unwrap()).unwrap();
        assert_eq!(back, original);
    }
}

#[tokio::test]
async fn refresh_sends_the_documented_form() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"token_type":"bearer","access_token":"AQAAAACy1C6ZAAAAnewtoken","expires_in":31536000,
                "refresh_token":"1:newrefresh:token","scope":"login:info login:email"}"#,
        )
        .await;
    let tokens = yandex
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "AQAAAACy1C6ZAAAAnewtoken");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "1:newrefresh:token"
    );
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error_description": "Code has expired", "error": "invalid_grant"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Code has expired"),
    );
    assert_eq!(yandex.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, USER_QUERY, ACCESS_TOKEN)
        .reply(
            502,
            "text/html; charset=utf-8",
            "<html><body><h1>502 Bad Gateway</h1></body></html>",
        )
        .await;
    let err = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        502,
        "text/html; charset=utf-8",
        "502 Bad Gateway",
    );
    assert!(!err.is_retryable(), "the code is spent");
}

#[tokio::test]
async fn user_json_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    // A numeric id is not the documented decimal string.
    mock_user(&mut server, 200, r#"{"id":1000034426,"login":"ivan"}"#).await;
    let err = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert_eq!(yandex.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_expired_token_at_the_user_endpoint_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let auth = yandex.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, USER_QUERY, ACCESS_TOKEN)
        .reply(401, "text/plain", "401 Unauthorized")
        .await;
    let err = yandex
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, "text/plain", "Unauthorized");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let yandex = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&yandex).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let yandex = OAuthClient::new(Yandex::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&yandex, CLIENT_SECRET);
}
