//! osu! against a mock of its documented endpoints: the exact requests we send and what
//! we make of osu!'s responses.

use mockito::Server;
use portcullis::{
    ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_osu::{Osu, OsuCountry, OsuUser, Ruleset};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "31337";
const CLIENT_SECRET: &str = "Yq8hK2s3cr3tcl13ntPqZ0aWnBvXy4mD6tRf9LgE";
const REDIRECT: &str = "http://localhost:3000/login/osu/callback";
const CODE: &str = "def50200a3b4c1e5f0e2d8c7b6a59483726150f4e3d2c1b0a9f8e7d6c5b4a3928170";

const TOKEN_PATH: &str = "/oauth/token";
const USER_PATH: &str = "/api/v2/me";

const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzMTMzNyJ9.c2lnbmF0dXJl";

/// The documented token response (`expires_in` 86400, a refresh token, `Bearer`).
const TOKEN_RESPONSE: &str = r#"{
  "token_type": "Bearer",
  "expires_in": 86400,
  "access_token": "eyJ0eXAiOiJKV1QiLCJhbGciOiJSUzI1NiJ9.eyJhdWQiOiIzMTMzNyJ9.c2lnbmF0dXJl",
  "refresh_token": "def502004a8c1f7e6d5c4b3a2918f7e6d5c4b3a29180f7e6d5c4b3a2918"
}"#;

/// Get Own Data, shaped like the documented User object for the authenticated user
/// (statistics and other parts we do not type included).
const USER: &str = r##"{
  "avatar_url": "https://a.ppy.sh/2?1519081077.png",
  "country_code": "AU",
  "default_group": "default",
  "id": 2,
  "is_active": true,
  "is_bot": false,
  "is_deleted": false,
  "is_online": false,
  "is_supporter": true,
  "last_visit": "2024-05-01T08:10:00+00:00",
  "pm_friends_only": false,
  "profile_colour": "#3366FF",
  "username": "peppy",
  "cover_url": "https://assets.ppy.sh/user-profile-covers/2/baba245ef60834b769694178f8f6d4f6166c5188c740de084656ad2b80f1eea7.jpeg",
  "discord": null,
  "has_supported": true,
  "interests": null,
  "join_date": "2007-08-28T03:09:12+00:00",
  "kudosu": {"total": 0, "available": 0},
  "location": null,
  "max_blocks": 100,
  "max_friends": 500,
  "occupation": null,
  "playmode": "osu",
  "playstyle": ["mouse", "keyboard"],
  "post_count": 1120,
  "profile_order": ["me", "recent_activity", "top_ranks", "medals", "historical", "beatmaps", "kudosu"],
  "title": null,
  "title_url": null,
  "twitter": "ppy",
  "website": "https://ppy.sh",
  "country": {"code": "AU", "name": "Australia"},
  "cover": {"custom_url": null, "url": "https://assets.ppy.sh/user-profile-covers/2/baba.jpeg", "id": null},
  "is_restricted": false,
  "previous_usernames": [],
  "session_verified": true,
  "statistics": {"level": {"current": 60, "progress": 55}, "pp": 100, "global_rank": 2000,
                 "hit_accuracy": 90.5, "play_count": 1000, "rank": {"country": 30000}},
  "statistics_rulesets": {"osu": {"pp": 100}, "taiko": {"pp": 0}, "fruits": {"pp": 0}, "mania": {"pp": 0}},
  "support_level": 3
}"##;

/// osu! takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Osu, MemoryAdapter<String>>;

fn client(server: &Server, osu: Osu, config: ClientConfig) -> Client {
    expect::client(osu, config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn user(json: &str) -> OsuUser {
    serde_json::from_str(json).unwrap()
}

/// The code exchange as osu! documents it: id and secret in the form body, no PKCE.
async fn mock_token(
    server: &mut Server,
    form: &[(&str, &str)],
    status: usize,
    body: &str,
) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, form)
        .reply(status, JSON, body)
        .await
}

fn code_exchange() -> Vec<(&'static str, &'static str)> {
    vec![
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ]
}

async fn mock_user(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

#[test]
fn endpoints_are_those_osu_documents() {
    let endpoints = Osu::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://osu.ppy.sh/oauth/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://osu.ppy.sh/oauth/token");
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://osu.ppy.sh/api/v2/me"),
        "Get Own Data for the user's own default ruleset"
    );
    assert_eq!(
        endpoints.revocation, None,
        "osu! revokes with DELETE, not RFC 7009"
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(Osu::INFO.id, "osu", "Lucia's provider id");
    assert_eq!(Osu::INFO.user_id_field, "id");
}

#[test]
fn a_ruleset_picks_the_user_endpoint() {
    for (ruleset, path) in [
        (Ruleset::Osu, "/api/v2/me/osu"),
        (Ruleset::Taiko, "/api/v2/me/taiko"),
        (Ruleset::Fruits, "/api/v2/me/fruits"),
        (Ruleset::Mania, "/api/v2/me/mania"),
    ] {
        let endpoints = Osu::new().ruleset(ruleset).endpoints();
        assert_eq!(
            endpoints.userinfo.as_ref().map(Url::path),
            Some(path),
            "{ruleset:?}"
        );
        assert_eq!(endpoints.userinfo.unwrap().host_str(), Some("osu.ppy.sh"));
        assert_eq!(
            endpoints.token.as_str(),
            "https://osu.ppy.sh/oauth/token",
            "only the user endpoint changes"
        );
    }
}

#[test]
fn authorization_url_has_every_parameter() {
    let osu = OAuthClient::new(
        Osu::new(),
        config().scope("public"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = osu.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://osu.ppy.sh"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "identify public"),
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
    assert_eq!(auth.pending.provider(), "osu");
    assert_ne!(
        osu.authorization_url().pending.state(),
        auth.pending.state()
    );
}

#[tokio::test]
async fn redirect_uri_may_be_left_to_the_registered_callback() {
    let mut server = Server::new_async().await;
    let osu = client(
        &server,
        Osu::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
    );
    let auth = osu.authorization_url();
    let query = query_of(&auth.url);
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
    assert_eq!(query["scope"], "identify");

    // Nor is one sent at the code exchange.
    let token = mock_token(
        &mut server,
        &[("grant_type", "authorization_code"), ("code", CODE)],
        200,
        TOKEN_RESPONSE,
    )
    .await;
    mock_user(&mut server, USER_PATH, 200, USER).await;
    let session = osu
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "osu:2");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    let auth = osu.authorization_url();

    let token = mock_token(&mut server, &code_exchange(), 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, USER_PATH, 200, USER).await;

    let session = osu
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "2", "the numeric id, as a string");
    assert_eq!(session.key().to_string(), "osu:2");
    let typed = &session.provider_user;
    assert_eq!(typed.id, 2);
    assert_eq!(typed.username, "peppy");
    assert_eq!(typed.playmode, Some(Ruleset::Osu));
    assert_eq!(
        typed.playstyle.as_deref(),
        Some(&["mouse".to_owned(), "keyboard".to_owned()][..])
    );
    assert_eq!(typed.is_restricted, Some(false));
    assert_eq!(typed.session_verified, Some(true));
    assert_eq!(typed.post_count, Some(1120));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 86400);
    assert!(tokens.refresh_token().is_some());

    let profile = session.profile();
    assert_eq!(profile.id, "2");
    assert_eq!(profile.name.as_deref(), Some("peppy"));
    assert_eq!(profile.username.as_deref(), Some("peppy"));
    assert_eq!(profile.email, None, "osu! gives no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://a.ppy.sh/2?1519081077.png")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("peppy".to_owned()).await.unwrap();
    assert_eq!(osu.adapter().user_count(), 1);

    // Signed in again after a rename: the same user, found by id.
    let auth = osu.authorization_url();
    mock_token(&mut server, &code_exchange(), 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        USER_PATH,
        200,
        &USER
            .replace(r#""username": "peppy""#, r#""username": "peppy2""#)
            .replace(
                r#""previous_usernames": []"#,
                r#""previous_usernames": ["peppy"]"#,
            ),
    )
    .await;
    let session = osu
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.username, "peppy2");
    assert_eq!(
        session.provider_user.previous_usernames.as_deref(),
        Some(&["peppy".to_owned()][..])
    );
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(osu.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_chosen_ruleset_is_asked_for() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new().ruleset(Ruleset::Mania), config());
    mock_token(&mut server, &code_exchange(), 200, TOKEN_RESPONSE).await;
    let default = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let mania = mock_user(
        &mut server,
        "/api/v2/me/mania",
        200,
        &USER.replace(r#""playmode": "osu""#, r#""playmode": "mania""#),
    )
    .await;
    let session = osu.validate_code(CODE, None, None).await.unwrap();
    mania.assert_async().await;
    default.assert_async().await;
    assert_eq!(session.provider_user.playmode, Some(Ruleset::Mania));
    assert_eq!(
        session.key().to_string(),
        "osu:2",
        "the same id whatever the ruleset"
    );
}

#[test]
fn restricted_users_are_visible_to_the_app() {
    let restricted = user(
        r#"{"id":10000001,"username":"cheater","avatar_url":"https://a.ppy.sh/","country_code":"XX",
            "default_group":"default","is_active":false,"is_bot":false,"is_deleted":false,
            "is_online":false,"is_supporter":false,"last_visit":null,"pm_friends_only":false,
            "profile_colour":null,"is_restricted":true,"country":{"code":"XX","name":"Unknown"}}"#,
    );
    assert_eq!(restricted.is_restricted, Some(true));
    assert_eq!(restricted.last_visit, None, "hidden online presence");
    assert_eq!(
        restricted.country,
        Some(serde_json::from_str::<OsuCountry>(r#"{"code":"XX","name":"Unknown"}"#).unwrap())
    );
    assert_eq!(restricted.provider_user_id(), "10000001");

    // Only `id` and `username` are required; the rest is optional.
    let minimal = user(r#"{"id":18446744073709551615,"username":"max"}"#);
    assert_eq!(minimal.provider_user_id(), "18446744073709551615");
    assert_eq!(minimal.profile().avatar_url, None);

    let back: OsuUser = serde_json::from_str(&serde_json::to_string(&user(USER)).unwrap()).unwrap();
    assert_eq!(back, user(USER));
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_new_token() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    let mock = mock_token(
        &mut server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "def502004a8c1f7e"),
        ],
        200,
        r#"{"token_type":"Bearer","expires_in":86400,"access_token":"eyJ0eXAiOiJKV1Qi.bmV3.c2ln",
            "refresh_token":"def50200f1e2d3c4"}"#,
    )
    .await;
    let tokens = osu
        .refresh(&RefreshToken::new("def502004a8c1f7e".to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "eyJ0eXAiOiJKV1Qi.bmV3.c2ln");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "def50200f1e2d3c4",
        "osu! issues a new refresh token with every refresh"
    );
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    let auth = osu.authorization_url();
    // osu!'s OAuth server adds `hint` and `message` to the RFC 6749 error.
    mock_token(
        &mut server,
        &code_exchange(),
        400,
        r#"{"error":"invalid_grant","error_description":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client.","hint":"Authorization code has been revoked","message":"The provided authorization grant (e.g., authorization code, resource owner credentials) or refresh token is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = osu
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    let request =
        expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert!(
        request
            .oauth_error()
            .unwrap()
            .description
            .as_deref()
            .unwrap()
            .starts_with("The provided authorization grant")
    );
    assert_eq!(osu.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=UTF-8")
        .with_body("<!DOCTYPE html><html><head><title>osu!</title></head><body><h1>Something broke.</h1></body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = osu.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=UTF-8",
        "Something broke.",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_field() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    mock_token(&mut server, &code_exchange(), 200, TOKEN_RESPONSE).await;
    // An id that is not the documented number.
    mock_user(
        &mut server,
        USER_PATH,
        200,
        r#"{"id":"2","username":"peppy"}"#,
    )
    .await;
    let err = osu.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert!(err.to_string().contains("osu user request failed"), "{err}");
}

#[tokio::test]
async fn a_missing_scope_at_the_api_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    mock_token(&mut server, &code_exchange(), 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, USER_PATH, 401, r#"{"authentication":"basic"}"#).await;
    let err = osu.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, JSON, "authentication");
}

#[tokio::test]
async fn forged_or_denied_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let osu = client(&server, Osu::new(), config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&osu).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let osu = OAuthClient::new(Osu::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&osu, CLIENT_SECRET);
}
