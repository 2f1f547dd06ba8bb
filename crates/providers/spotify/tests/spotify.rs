//! Spotify against a mock of its documented endpoints: the exact requests we send and
//! what we make of Spotify's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, ProviderUser,
    RefreshToken, UserAdapter,
};
use portcullis_spotify::{Spotify, SpotifyUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const REDIRECT: &str = "http://127.0.0.1:3000/login/spotify/callback";
const CLIENT_ID: &str = "5fe01282e44241328a84e7c5cc169165";
const CLIENT_SECRET: &str = "a7d2c8b1e9f04e6f9c3b2a1d0e8f7c6b";
const CODE: &str = "AQDzZk2wHGrV8rQp9cN1s-the-code";
const ACCESS_TOKEN: &str = "BQBLuPRYBQ5CiG9mFvBqvw3LgsSWMp6Fc0-SCGkVrzD0XHnx8Nvq";
const REFRESH_TOKEN: &str = "AQCwQ7rQ5k6tJ8u_PqLr9sd3-rt";
const TOKEN_PATH: &str = "/api/token";

/// A confidential client authenticates with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// A public client (PKCE only) sends just its id, in the form.
const PUBLIC: Credentials<'_> = Credentials::Public { id: CLIENT_ID };

/// The token response of Spotify's code flow guide, for `user-read-email user-read-private`.
const TOKENS: &str = r#"{
  "access_token": "BQBLuPRYBQ5CiG9mFvBqvw3LgsSWMp6Fc0-SCGkVrzD0XHnx8Nvq",
  "token_type": "Bearer",
  "scope": "user-read-email user-read-private",
  "expires_in": 3600,
  "refresh_token": "AQCwQ7rQ5k6tJ8u_PqLr9sd3-rt"
}"#;

/// `GET /v1/me` as documented, with `user-read-email` and `user-read-private`.
const USER: &str = r#"{
  "account_id": "aB3dE5fG7h",
  "country": "SE",
  "display_name": "JM Wizzler",
  "email": "email@example.com",
  "explicit_content": {"filter_enabled": false, "filter_locked": false},
  "external_urls": {"spotify": "https://open.spotify.com/user/wizzler"},
  "followers": {"href": null, "total": 3829},
  "href": "https://api.spotify.com/v1/users/wizzler",
  "id": "wizzler",
  "images": [
    {"url": "https://i.scdn.co/image/ab67757000003b82_small", "height": 64, "width": 64},
    {"url": "https://i.scdn.co/image/ab6775700000ee85_large", "height": 300, "width": 300}
  ],
  "product": "premium",
  "type": "user",
  "uri": "spotify:user:wizzler"
}"#;

fn client(
    server: &Server,
    spotify: Spotify,
    config: ClientConfig,
) -> OAuthClient<Spotify, MemoryAdapter<String>> {
    expect::client(spotify, config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["user-read-email", "user-read-private"])
}

/// The code exchange's form, for the verifier `verifier`.
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

async fn mock_me(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", "/v1/me", &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, "application/json; charset=utf-8", body)
        .await
}

#[test]
fn authorization_url_has_every_parameter() {
    let spotify = OAuthClient::new(
        Spotify::new().show_dialog(true),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = spotify.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://accounts.spotify.com"
    );
    assert_eq!(auth.url.path(), "/authorize");
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
        ("scope", "user-read-email user-read-private"),
        ("show_dialog", "true"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "spotify");
    assert_eq!(auth.pending.nonce(), None, "Spotify is not OpenID Connect");

    let again = spotify.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn no_default_scope_no_show_dialog_and_a_redirect_uri_is_required() {
    let spotify = OAuthClient::new(
        Spotify::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&spotify.authorization_url().url);
    assert!(!query.contains_key("scope"), "{query:?}");
    assert!(!query.contains_key("show_dialog"), "{query:?}");

    let not_shown = OAuthClient::new(
        Spotify::new().show_dialog(false),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        query_of(&not_shown.authorization_url().url)["show_dialog"],
        "false"
    );

    let err = OAuthClient::new(
        Spotify::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, TOKENS).await;
    let me = mock_me(&mut server, 200, USER).await;

    let session = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "aB3dE5fG7h");
    assert_eq!(session.key().to_string(), "spotify:aB3dE5fG7h");
    let user = &session.provider_user;
    assert_eq!(user.id, "wizzler");
    assert_eq!(user.country.as_deref(), Some("SE"));
    assert_eq!(user.product.as_deref(), Some("premium"));
    assert_eq!(user.followers.as_ref().unwrap().total, Some(3829));
    assert_eq!(
        user.explicit_content.as_ref().unwrap().filter_enabled,
        Some(false)
    );
    assert_eq!(
        user.external_urls.as_ref().unwrap().spotify.as_deref(),
        Some("https://open.spotify.com/user/wizzler")
    );
    assert_eq!(user.kind.as_deref(), Some("user"));
    assert_eq!(user.images.len(), 2);

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(
        tokens.scopes().unwrap(),
        ["user-read-email", "user-read-private"]
    );

    let profile = session.profile();
    assert_eq!(profile.id, "aB3dE5fG7h");
    assert_eq!(profile.name.as_deref(), Some("JM Wizzler"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email.as_deref(), Some("email@example.com"));
    assert!(
        !profile.email_verified,
        "Spotify documents the email as unverified"
    );
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://i.scdn.co/image/ab6775700000ee85_large"),
        "the largest image"
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("wizzler".to_owned()).await.unwrap();
    assert_eq!(spotify.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_me(&mut server, 200, USER).await;
    let session = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(spotify.adapter().user_count(), 1);
}

#[tokio::test]
async fn users_stored_under_lucias_key_are_found_by_the_legacy_key() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    // A user Lucia created: keyed on the Spotify user id.
    let store = spotify.adapter().clone();
    let lucia_user = store
        .create_user(
            &portcullis::Key::new("spotify", "wizzler"),
            &portcullis::Profile::new("wizzler"),
            "from lucia".to_owned(),
        )
        .await
        .unwrap();

    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_me(&mut server, 200, USER).await;
    let session = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert!(
        session.existing_user.is_none(),
        "the account id is a new key"
    );

    // The migration step: find the user by the old key, link the new one.
    let legacy = session.provider_user.legacy_key();
    assert_eq!(legacy.to_string(), "spotify:wizzler");
    let found = store.user_by_key(&legacy).await.unwrap().unwrap();
    assert_eq!(found, lucia_user);
    session
        .link_to(&MemoryAdapter::<String>::user_id(&found))
        .await
        .unwrap();

    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, TOKENS).await;
    mock_me(&mut server, 200, USER).await;
    let session = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(lucia_user));
    assert_eq!(store.user_count(), 1);
}

#[tokio::test]
async fn public_client_sends_its_id_and_the_verifier_without_basic_auth() {
    let mut server = Server::new_async().await;
    let config = ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap());
    let spotify = client(&server, Spotify::new(), config);
    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = expect::token_request(&mut server, TOKEN_PATH, PUBLIC, &code_form(&verifier))
        .reply(
            200,
            JSON,
            r#"{"access_token":"BQBLuPRYBQ5CiG9mFvBqvw3LgsSWMp6Fc0-SCGkVrzD0XHnx8Nvq","token_type":"Bearer",
                "scope":"","expires_in":3600,"refresh_token":"AQCwQ7rQ5k6tJ8u_PqLr9sd3-rt"}"#,
        )
        .await;
    // Without scopes: the profile without email, country or product.
    mock_me(
        &mut server,
        200,
        r#"{"account_id":"Zy9xW8vU7t","display_name":null,"external_urls":{"spotify":"https://open.spotify.com/user/31l77fd87g3x"},
            "followers":{"href":null,"total":0},"href":"https://api.spotify.com/v1/users/31l77fd87g3x",
            "id":"31l77fd87g3x","images":[],"type":"user","uri":"spotify:user:31l77fd87g3x"}"#,
    )
    .await;

    let session = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "spotify:Zy9xW8vU7t");
    assert_eq!(session.provider_user.email, None);
    assert_eq!(session.provider_user.country, None);
    let profile = session.profile();
    assert_eq!(profile.name, None);
    assert_eq!(profile.email, None);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn a_user_without_an_account_id_is_refused() {
    // `account_id` is the key: a profile without one cannot sign in under a guessed key.
    let err = serde_json::from_str::<SpotifyUser>(
        r#"{"id":"wizzler","display_name":"JM Wizzler","type":"user"}"#,
    )
    .unwrap_err();
    assert!(err.to_string().contains("account_id"), "{err}");

    let user: SpotifyUser = serde_json::from_str(USER).unwrap();
    assert_eq!(user.provider_user_id(), "aB3dE5fG7h");
    let round_trip: SpotifyUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        // Spotify's refresh response may leave out the refresh token.
        .reply(
            200,
            JSON,
            r#"{"access_token":"BQBnewaccesstoken","token_type":"Bearer",
                "scope":"user-read-email user-read-private","expires_in":3600}"#,
        )
        .await;
    let tokens = spotify
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "BQBnewaccesstoken");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN,
        "the old refresh token stays valid and is kept"
    );
}

#[tokio::test]
async fn public_client_refresh_sends_its_id_and_keeps_a_rotated_token() {
    let mut server = Server::new_async().await;
    let config = ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap());
    let spotify = client(&server, Spotify::new(), config);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    expect::token_request(&mut server, TOKEN_PATH, PUBLIC, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"BQBnewaccesstoken","token_type":"Bearer","scope":"",
                "expires_in":3600,"refresh_token":"AQDrotated"}"#,
        )
        .await;
    let tokens = spotify
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    assert_eq!(tokens.refresh_token().unwrap().secret(), "AQDrotated");
}

#[tokio::test]
async fn token_error_is_a_typed_oauth_error() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    let auth = spotify.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &code_form(&verifier))
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#,
        )
        .await;
    let me = server.mock("GET", "/v1/me").expect(0).create_async().await;

    let err = spotify
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Invalid authorization code"),
    );
    assert_eq!(spotify.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><body><h1>Oops! Something went wrong</h1></body></html>")
        .create_async()
        .await;
    let err = spotify
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "Something went wrong",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKENS)
        .create_async()
        .await;
    mock_me(&mut server, 200, r#"{"account_id":"aB3dE5fG7h","id":"#).await;
    let err = spotify
        .validate_code(CODE, Some("verifier"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("spotify user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_expired_token_at_the_user_endpoint_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let spotify = client(&server, Spotify::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKENS)
        .create_async()
        .await;
    // The Web API's own error object, not an OAuth one.
    mock_me(
        &mut server,
        401,
        r#"{"error":{"status":401,"message":"The access token expired"}}"#,
    )
    .await;
    let err = spotify
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

#[test]
fn debug_output_holds_no_secret() {
    let spotify =
        OAuthClient::new(Spotify::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&spotify, CLIENT_SECRET);
}
