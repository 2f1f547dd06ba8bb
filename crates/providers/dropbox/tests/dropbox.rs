//! Dropbox against a mock of its documented endpoints: the exact requests we send and
//! what we make of Dropbox's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_dropbox::{Dropbox, DropboxUser, TokenAccessType};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const APP_KEY: &str = "s2m9x0a7vq4ohgd";
const APP_SECRET: &str = "k3zq8w1y5e7r9tb";
const REDIRECT: &str = "http://localhost:3000/login/dropbox/callback";
const CODE: &str = "mDd1YyW2u0kAAAAAAAAAIkL5gF8qXk3Nl0w5yZ7tB9c";

const TOKEN_PATH: &str = "/oauth2/token";
const USER_PATH: &str = "/2/users/get_current_account";

const ACCESS_TOKEN: &str = "sl.AbX9y6Fe3AuH5o66-gmJpR032jwAwQPIVVzWXZNkdzcYT02akC2de219dZi6gxYPVnYPrpvISRSf9lxKWJzYLjtMPH-d9fo_0gXex7X37VIvpty4-G8f4-WX45AcEPfRnJJDwzv-";

/// A confidential app authenticates with HTTP Basic: app key and secret.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: APP_KEY,
    secret: APP_SECRET,
};

/// The token response as documented, for `token_access_type=offline`.
const TOKEN_RESPONSE: &str = r#"{"access_token":"sl.AbX9y6Fe3AuH5o66-gmJpR032jwAwQPIVVzWXZNkdzcYT02akC2de219dZi6gxYPVnYPrpvISRSf9lxKWJzYLjtMPH-d9fo_0gXex7X37VIvpty4-G8f4-WX45AcEPfRnJJDwzv-","expires_in":14400,"token_type":"bearer","scope":"account_info.read files.content.read","refresh_token":"nBiM85CZALsAAAAAAAAAAQXHBoNpNutK4ngsXHsqW4iGz9tisb3JyjGqikMJIYbd","account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","uid":"12345"}"#;

/// `users/get_current_account` as documented (a work account on a team).
const USER: &str = r#"{
  "account_id": "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc",
  "account_type": {".tag": "business"},
  "country": "US",
  "disabled": false,
  "email": "franz@dropbox.com",
  "email_verified": true,
  "is_paired": false,
  "locale": "en",
  "name": {
    "abbreviated_name": "FF",
    "display_name": "Franz Ferdinand (Personal)",
    "familiar_name": "Franz",
    "given_name": "Franz",
    "surname": "Ferdinand"
  },
  "profile_photo_url": "https://dl-web.dropbox.com/account_photo/get/dbaphid%3AAAHWGmIXV3sUuOmBfTz0wPsiqHUpBWvv3ZA?vers=1556069330102&size=128x128",
  "referral_link": "https://db.tt/ZITNuhtI",
  "root_info": {".tag": "team", "home_namespace_id": "3235641", "home_path": "/Franz Ferdinand", "root_namespace_id": "3235641"},
  "team": {
    "id": "dbtid:AAFdgehTzw7WlXhZJsbGCLePe8RvQGYDr-I",
    "name": "Acme, Inc.",
    "office_addin_policy": {".tag": "disabled"},
    "sharing_policies": {
      "default_link_expiration_days_policy": {".tag": "none"},
      "enforce_link_password_policy": {".tag": "optional"},
      "group_creation_policy": {".tag": "admins_only"},
      "shared_folder_join_policy": {".tag": "from_anyone"},
      "shared_folder_link_restriction_policy": {".tag": "anyone"},
      "shared_folder_member_policy": {".tag": "team"},
      "shared_link_create_policy": {".tag": "team_only"},
      "shared_link_default_permissions_policy": {".tag": "default"}
    },
    "top_level_content_policy": {".tag": "admin_only"}
  },
  "team_member_id": "dbmid:AAHhy7WsR0x-u4ZCqiDl5Fz5zvuL3kmspwU"
}"#;

fn client(
    server: &Server,
    dropbox: Dropbox,
    config: ClientConfig,
) -> OAuthClient<Dropbox, MemoryAdapter<String>> {
    expect::client(dropbox, config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(APP_KEY, APP_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("files.content.read")
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

/// The code exchange as Dropbox's guide shows it: HTTP Basic, plus the PKCE verifier.
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

/// `users/get_current_account`: a POST with the bearer token and no body at all.
async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "POST", USER_PATH, &[], ACCESS_TOKEN)
        .match_header("content-type", Matcher::Missing)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, JSON, body)
        .await
}

fn user(json: &str) -> DropboxUser {
    serde_json::from_str(json).unwrap()
}

#[test]
fn provider_facts_match_dropboxs_docs() {
    let info = Dropbox::INFO;
    assert_eq!(info.id, "dropbox");
    let endpoints = Dropbox::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.dropbox.com/oauth2/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.dropboxapi.com/oauth2/token"
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.dropboxapi.com/2/users/get_current_account")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["account_info.read"]);
    assert_eq!(info.user_id_field, "account_id");
    assert_eq!(info.client_auth, portcullis::ClientAuth::Basic);
    assert_eq!(info.pkce, portcullis::Pkce::S256);
}

#[test]
fn authorization_url_has_every_parameter() {
    let dropbox = OAuthClient::new(
        Dropbox::new().token_access_type(TokenAccessType::Offline),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = dropbox.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.dropbox.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/authorize");

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
        ("client_id", APP_KEY),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "account_info.read files.content.read"),
        ("token_access_type", "offline"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "dropbox");
    assert_eq!(auth.pending.nonce(), None);

    let again = dropbox.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn token_access_type_is_online_unless_offline_is_chosen() {
    let url = |dropbox: Dropbox, config: ClientConfig| {
        let client = OAuthClient::new(dropbox, config, MemoryAdapter::<String>::new()).unwrap();
        query_of(&client.authorization_url().url)
    };
    let default = url(
        Dropbox::new(),
        ClientConfig::new(APP_KEY, APP_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
    );
    assert_eq!(default["token_access_type"], "online");
    assert_eq!(default["scope"], "account_info.read");
    let offline = url(
        Dropbox::new().token_access_type(TokenAccessType::Offline),
        config(),
    );
    assert_eq!(offline["token_access_type"], "offline");
    assert_eq!(TokenAccessType::default(), TokenAccessType::Online);
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Dropbox::new(),
        ClientConfig::new(APP_KEY, APP_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let dropbox = client(
        &server,
        Dropbox::new().token_access_type(TokenAccessType::Offline),
        config(),
    );
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let account = mock_user(&mut server, 200, USER).await;

    let session = dropbox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    account.assert_async().await;

    assert_eq!(
        session.provider_user_id,
        "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"
    );
    assert_eq!(
        session.key().to_string(),
        "dropbox:dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"
    );
    let dropbox_user = &session.provider_user;
    assert_eq!(dropbox_user.name.given_name.as_deref(), Some("Franz"));
    assert_eq!(dropbox_user.name.surname.as_deref(), Some("Ferdinand"));
    assert_eq!(dropbox_user.name.abbreviated_name.as_deref(), Some("FF"));
    assert_eq!(dropbox_user.account_type.as_ref().unwrap().tag, "business");
    assert_eq!(dropbox_user.root_info.as_ref().unwrap().tag, "team");
    assert_eq!(
        dropbox_user
            .root_info
            .as_ref()
            .unwrap()
            .home_path
            .as_deref(),
        Some("/Franz Ferdinand")
    );
    assert_eq!(
        dropbox_user.team.as_ref().unwrap().name.as_deref(),
        Some("Acme, Inc.")
    );
    assert_eq!(dropbox_user.country.as_deref(), Some("US"));
    assert!(!dropbox_user.disabled);

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(14_400))
    );
    assert!(session.tokens.refresh_token().is_some());
    assert_eq!(
        session.tokens.scopes().unwrap(),
        ["account_info.read", "files.content.read"]
    );
    assert_eq!(
        session.tokens.extra()["account_id"],
        "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc");
    assert_eq!(profile.name.as_deref(), Some("Franz Ferdinand (Personal)"));
    assert_eq!(profile.email.as_deref(), Some("franz@dropbox.com"));
    assert!(profile.email_verified, "`email_verified: true`");
    assert!(
        profile
            .avatar_url
            .as_deref()
            .unwrap()
            .starts_with("https://dl-web.dropbox.com/account_photo/get/")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("franz".to_owned()).await.unwrap();
    assert_eq!(dropbox.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = dropbox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(dropbox.adapter().user_count(), 1);
}

#[tokio::test]
async fn the_account_is_fetched_with_a_post_never_a_get() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let get = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let post = mock_user(&mut server, 200, USER).await;
    dropbox
        .validate_code(CODE, Some(&verifier), None)
        .await
        .unwrap();
    get.assert_async().await;
    post.assert_async().await;
}

#[test]
fn an_unverified_email_is_not_verified() {
    // A personal basic account without a photo or a team.
    let personal = user(
        r#"{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","account_type":{".tag":"basic"},
            "disabled":false,"email":"franz@example.com","email_verified":false,"is_paired":false,
            "locale":"en","name":{"abbreviated_name":"FF","display_name":"Franz Ferdinand",
            "familiar_name":"Franz","given_name":"Franz","surname":"Ferdinand"},
            "referral_link":"https://db.tt/ZITNuhtI",
            "root_info":{".tag":"user","home_namespace_id":"3235641","root_namespace_id":"3235641"}}"#,
    );
    let profile = personal.profile();
    assert_eq!(profile.email.as_deref(), Some("franz@example.com"));
    assert!(!profile.email_verified);
    assert_eq!(profile.verified_email(), None);
    assert_eq!(profile.avatar_url, None);
    assert_eq!(personal.team, None);
    assert_eq!(personal.root_info.as_ref().unwrap().home_path, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    let json = serde_json::to_string(&original).unwrap();
    let back: DropboxUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn a_public_client_sends_the_app_key_and_verifier_without_basic_auth() {
    let mut server = Server::new_async().await;
    let dropbox = client(
        &server,
        Dropbox::new(),
        ClientConfig::public(APP_KEY).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let public = Credentials::Public { id: APP_KEY };
    let token = expect::token_request(&mut server, TOKEN_PATH, public, &code_form(&verifier))
        .reply(
            200,
            JSON,
            r#"{"access_token":"sl.AbX9y6Fe3AuH5o66-gmJpR032jwAwQPIVVzWXZNkdzcYT02akC2de219dZi6gxYPVnYPrpvISRSf9lxKWJzYLjtMPH-d9fo_0gXex7X37VIvpty4-G8f4-WX45AcEPfRnJJDwzv-",
                "expires_in":14400,"token_type":"bearer","scope":"account_info.read",
                "account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","uid":"12345"}"#,
        )
        .await;
    mock_user(&mut server, 200, USER).await;
    let session = dropbox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert!(session.tokens.refresh_token().is_none(), "online access");
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_refresh_token() {
    let mut server = Server::new_async().await;
    let dropbox = client(
        &server,
        Dropbox::new().token_access_type(TokenAccessType::Offline),
        config(),
    );
    let form = [
        ("grant_type", "refresh_token"),
        (
            "refresh_token",
            "nBiM85CZALsAAAAAAAAAAQXHBoNpNutK4ngsXHsqW4iGz9tisb3JyjGqikMJIYbd",
        ),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"sl.u.AFresh-token","expires_in":14400,"token_type":"bearer"}"#,
        )
        .await;
    let tokens = dropbox
        .refresh(&RefreshToken::new(
            "nBiM85CZALsAAAAAAAAAAQXHBoNpNutK4ngsXHsqW4iGz9tisb3JyjGqikMJIYbd".to_owned(),
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "sl.u.AFresh-token");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "nBiM85CZALsAAAAAAAAAAQXHBoNpNutK4ngsXHsqW4iGz9tisb3JyjGqikMJIYbd",
        "Dropbox does not rotate refresh tokens: the old one is kept"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(14_400)));
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error": "invalid_grant", "error_description": "code doesn't exist or has expired"}"#,
    )
    .await;
    let account = server
        .mock("POST", USER_PATH)
        .expect(0)
        .create_async()
        .await;

    let err = dropbox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    account.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("code doesn't exist or has expired"),
    );
    assert_eq!(dropbox.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>Dropbox - 500</title></head><body>Error (5xx)</body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = dropbox
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "Dropbox - 500",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        r#"{"account_id":"dbid:AAH4f99T0taONIb-OurWxbNQ6ywGRopQngc","email":"franz@dropbox.com"}"#,
    )
    .await;
    let err = dropbox
        .validate_code(CODE, Some(&verifier), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("name"));
    assert!(
        err.to_string().contains("dropbox user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_expired_access_token_on_the_account_call_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    let auth = dropbox.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    // Dropbox's API errors put an object, not a string, in `error`.
    mock_user(
        &mut server,
        401,
        r#"{"error_summary": "expired_access_token/..", "error": {".tag": "expired_access_token"}}"#,
    )
    .await;
    let err = dropbox
        .validate_code(CODE, Some(&verifier), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, JSON, "expired_access_token");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let dropbox = client(&server, Dropbox::new(), config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&dropbox).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let dropbox =
        OAuthClient::new(Dropbox::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&dropbox, APP_SECRET);
}
