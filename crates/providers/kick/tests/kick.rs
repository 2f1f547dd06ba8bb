//! Kick against a mock of its documented endpoints: the exact requests we send and
//! what we make of Kick's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_kick::{Kick, KickUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "01JNQ8WZ3K5V7Y9B2D4F6H8J0M";
const CLIENT_SECRET: &str = "a3f9c1e7b5d2084f6e1a9c3b7d5f2e8a0c4b6d8f1e3a5c7b9d0f2e4a6c8b1d3f";
const REDIRECT: &str = "http://localhost:3000/login/kick/callback";
const CODE: &str = "ZMQ1OGRJZTKTMJG0NY0ZZTC1LWE4NWUTMDQ2ZGIYNWE5N2U4";

const TOKEN_PATH: &str = "/oauth/token";
const USERS_PATH: &str = "/public/v1/users";

const ACCESS_TOKEN: &str = "NDG2ZDI1ZGUTNJG4NY0ZNZQ5LWI3YTGTNZE0OTY4ZJM5NTM3";
const REFRESH_TOKEN: &str = "NWNKMJKXNMMTODG0ZC01NWQ4LTK3OTETZWM4MZMXNZM1ZDYY";

/// Kick takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response with the fields of Kick's documented example, filled in.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "NDG2ZDI1ZGUTNJG4NY0ZNZQ5LWI3YTGTNZE0OTY4ZJM5NTM3",
  "token_type": "Bearer",
  "refresh_token": "NWNKMJKXNMMTODG0ZC01NWQ4LTK3OTETZWM4MZMXNZM1ZDYY",
  "expires_in": 7200,
  "scope": "user:read"
}"#;

/// `GET /public/v1/users` without `id`, shaped like Kick's documented response.
const USERS: &str = r#"{
  "data": [
    {
      "email": "scorfly@example.com",
      "name": "Scorfly",
      "profile_picture": "https://files.kick.com/images/user/721956/profile_image/conversion/44a9f1fb-0498-47b5-820e-ef9399fd23d4-fullsize.webp",
      "user_id": 721956
    }
  ],
  "message": "OK"
}"#;

type Client = OAuthClient<Kick, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> Client {
    expect::client(Kick::new(), config(), server)
}

/// The code exchange exactly as Kick documents it: the code, the client id and secret,
/// the redirect URI, the grant type and the PKCE verifier, form-encoded.
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

async fn mock_users(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    // No `id` parameter: Kick then answers with the user the token belongs to.
    expect::api_request(server, "GET", USERS_PATH, &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, JSON, body)
        .await
}

/// Signs in against the mock with `users` as the `Get Users` answer.
async fn sign_in_with(server: &mut Server, kick: &Client, users: &str) -> Result<KickUser, Error> {
    let auth = kick.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_users(server, 200, users).await;
    kick.validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .map(|session| session.provider_user)
}

#[test]
fn provider_facts_match_kicks_docs() {
    let info = Kick::INFO;
    assert_eq!(info.id, "kick");
    assert_eq!(info.name, "Kick");
    let endpoints = Kick::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://id.kick.com/oauth/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://id.kick.com/oauth/token");
    assert_eq!(
        endpoints.revocation, None,
        "Kick's revocation takes the token in the query string, not RFC 7009's form"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.kick.com/public/v1/users")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["user:read"]);
    assert_eq!(info.pkce, portcullis::Pkce::S256);
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "data[0].user_id");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let kick = OAuthClient::new(
        Kick::new(),
        config().scope("channel:read"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = kick.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://id.kick.com"
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
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap()),
        "S256 challenge of the kept verifier"
    );
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "user:read channel:read"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "kick");
    assert_eq!(auth.pending.nonce(), None);

    let again = kick.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn user_read_is_always_requested_and_a_redirect_uri_is_required() {
    let kick = OAuthClient::new(Kick::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    assert_eq!(
        query_of(&kick.authorization_url().url)
            .get("scope")
            .map(String::as_str),
        Some("user:read"),
        "Kick requires a scope, and `Get Users` needs this one"
    );

    let err = OAuthClient::new(
        Kick::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let auth = kick.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let users = mock_users(&mut server, 200, USERS).await;

    let session = kick
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    users.assert_async().await;

    assert_eq!(session.provider_user_id, "721956");
    assert_eq!(session.key().to_string(), "kick:721956");
    let kick_user = &session.provider_user;
    assert_eq!(kick_user.user_id, 721956);
    assert_eq!(kick_user.name, "Scorfly");

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(7200)));
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(tokens.scopes().unwrap(), ["user:read"]);

    let profile = session.profile();
    assert_eq!(profile.id, "721956");
    assert_eq!(profile.name.as_deref(), Some("Scorfly"));
    assert_eq!(profile.username.as_deref(), Some("Scorfly"));
    assert_eq!(profile.email.as_deref(), Some("scorfly@example.com"));
    assert!(
        !profile.email_verified,
        "Kick does not say whether it verified the email"
    );
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://files.kick.com/images/user/721956/profile_image/conversion/44a9f1fb-0498-47b5-820e-ef9399fd23d4-fullsize.webp"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("scorfly".to_owned()).await.unwrap();
    assert_eq!(kick.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = kick.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_users(&mut server, 200, USERS).await;
    let session = kick
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(kick.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_renamed_user_keeps_their_key() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let first = sign_in_with(&mut server, &kick, USERS).await.unwrap();
    let renamed = sign_in_with(
        &mut server,
        &kick,
        r#"{"data":[{"email":"scorfly@example.com","name":"ScorflyTV","profile_picture":"","user_id":721956}],"message":"OK"}"#,
    )
    .await
    .unwrap();
    assert_eq!(renamed.provider_user_id(), first.provider_user_id());
    assert_eq!(renamed.profile().username.as_deref(), Some("ScorflyTV"));
    assert_eq!(
        renamed.profile().avatar_url,
        None,
        "an empty picture URL is no avatar"
    );
}

#[tokio::test]
async fn an_empty_data_array_is_an_invalid_response() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let err = sign_in_with(&mut server, &kick, r#"{"data":[],"message":"OK"}"#)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data"));
    assert_eq!(kick.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_user_is_the_first_entry_of_data() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let user = sign_in_with(
        &mut server,
        &kick,
        r#"{"data":[{"name":"Scorfly","user_id":721956},
                    {"name":"Other","user_id":4377088,"email":"other@example.com"}],"message":"OK"}"#,
    )
    .await
    .unwrap();
    assert_eq!(user.provider_user_id(), "721956");
    assert_eq!(user.email, None, "absent fields are None");
    assert_eq!(user.profile().email, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let user: KickUser = serde_json::from_value(
        serde_json::from_str::<serde_json::Value>(USERS).unwrap()["data"][0].clone(),
    )
    .unwrap();
    let back: KickUser = serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(back, user);
}

#[tokio::test]
async fn user_json_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    // `user_id` is a number in Kick's reference, not a string.
    let err = sign_in_with(
        &mut server,
        &kick,
        r#"{"data":[{"email":"scorfly@example.com","name":"Scorfly","profile_picture":"","user_id":"721956"}],"message":"OK"}"#,
    )
    .await
    .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("data[0].user_id"));
    assert!(
        err.to_string().contains("kick user request failed"),
        "{err}"
    );
    assert_eq!(kick.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error_with_kicks_error_sentence() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let auth = kick.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // The 400 of Kick's token endpoint as documented: a sentence as the error code.
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error":"Invalid request"}"#,
    )
    .await;
    let users = server
        .mock("GET", USERS_PATH)
        .expect(0)
        .create_async()
        .await;

    let err = kick
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    users.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "Invalid request", None);
    assert_eq!(kick.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_numeric_string_expires_in_is_read_as_seconds() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let auth = kick.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // Kick's documented example shows every token field as a string.
    mock_token(
        &mut server,
        &verifier,
        200,
        r#"{"access_token":"NDG2ZDI1ZGUTNJG4NY0ZNZQ5LWI3YTGTNZE0OTY4ZJM5NTM3","token_type":"Bearer",
            "refresh_token":"NWNKMJKXNMMTODG0ZC01NWQ4LTK3OTETZWM4MZMXNZM1ZDYY","expires_in":"7200",
            "scope":"user:read"}"#,
    )
    .await;
    mock_users(&mut server, 200, USERS).await;
    let session = kick
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(7200)));
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(403)
        .with_header("content-type", "text/html; charset=UTF-8")
        .with_body(
            "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body></body></html>",
        )
        .expect(1)
        .create_async()
        .await;
    let err = kick
        .validate_code(CODE, Some("a-verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        403,
        "text/html; charset=UTF-8",
        "Just a moment...",
    );
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_the_secret_in_the_body() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"OTBIMZLKZDETNTU3ZC0ZMJK0LTK5NGITYJU1YTG5NZVKNGE4","token_type":"Bearer",
                "refresh_token":"YJA3NZA1OWITZGFLMC0ZNDQ1LWE4MTUTNJDHYZVKNDK2NTC5","expires_in":7200,
                "scope":"user:read"}"#,
        )
        .await;
    let tokens = kick
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "OTBIMZLKZDETNTU3ZC0ZMJK0LTK5NGITYJU1YTG5NZVKNGE4"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "YJA3NZA1OWITZGFLMC0ZNDQ1LWE4MTUTNJDHYZVKNDK2NTC5",
        "Kick refreshes the refresh token too: keep the new one"
    );
}

#[tokio::test]
async fn a_failed_refresh_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"Invalid request"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = kick
        .refresh(&RefreshToken::new("spent".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "Invalid request", None);
    assert!(!err.is_retryable(), "the user must sign in again");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let kick = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&kick).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let kick = OAuthClient::new(Kick::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&kick, CLIENT_SECRET);
}
