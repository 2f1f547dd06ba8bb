//! Discord against a mock of its documented endpoints: the exact requests we send and
//! what we make of Discord's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    AccessToken, CallbackError, CallbackParams, ClientConfig, Error, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Provider, ProviderUser, RefreshToken, RequestErrorKind, Url,
};
use portcullis_discord::{Discord, DiscordUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "332269999912132097";
const CLIENT_SECRET: &str = "937it3ow87i4ery69876wqire";
const REDIRECT: &str = "http://localhost:3000/login/discord/callback";

const TOKEN_PATH: &str = "/api/oauth2/token";
const REVOKE_PATH: &str = "/api/oauth2/token/revoke";
const USER_PATH: &str = "/api/v10/users/@me";

const ACCESS_TOKEN: &str = "6qrZcUqja7812RVdnEKjpzOL4CvHBFG";

/// The token response as documented ("Access Token Response"), with the `email` scope.
const TOKEN_RESPONSE: &str = r#"{"access_token":"6qrZcUqja7812RVdnEKjpzOL4CvHBFG","token_type":"Bearer","expires_in":604800,"refresh_token":"D43f5y0ahjqew82jZ4NViEr2YafMKhue","scope":"identify email"}"#;

/// `GET /users/@me` with `identify email` for a user on unique usernames, shaped like
/// the documented example user plus fields the live API sends and we do not model.
const USER: &str = r##"{
  "id": "80351110224678912",
  "username": "nelly",
  "avatar": "8342729096ea3675442027381ff50dfe",
  "discriminator": "0",
  "public_flags": 64,
  "flags": 64,
  "banner": "06c16474723fe537c283b8efa61a30c8",
  "accent_color": 16711680,
  "global_name": "Nelly",
  "avatar_decoration_data": {"sku_id": "1144058844004233369", "asset": "a_fed43ab12698df65902ba06727e20c0e"},
  "collectibles": {"nameplate": {"sku_id": "2247558840304243311", "asset": "nameplates/nameplates/twilight/", "label": "", "palette": "cobalt"}},
  "banner_color": "#ff0000",
  "clan": null,
  "primary_guild": {"identity_guild_id": "1234647491267808778", "identity_enabled": true, "tag": "DISC", "badge": "7d1734ae5a615e82bc7a4033b98fade8"},
  "mfa_enabled": true,
  "locale": "en-US",
  "premium_type": 1,
  "email": "nelly@discord.com",
  "verified": true
}"##;

/// The same account with no avatar, no display name and an email Discord has not
/// verified.
const UNVERIFIED_USER: &str = r#"{
  "id": "80351110224678912", "username": "nelly", "avatar": null, "discriminator": "0",
  "public_flags": 0, "flags": 0, "banner": null, "accent_color": null, "global_name": null,
  "avatar_decoration_data": null, "mfa_enabled": false, "locale": "en-GB",
  "premium_type": 0, "email": "nelly@example.com", "verified": false
}"#;

/// A confidential Discord app authenticates with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Discord, MemoryAdapter<String>>;

fn client(server: &Server, config: ClientConfig) -> Client {
    expect::client(Discord::new(), config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("email")
}

fn user(json: &str) -> DiscordUser {
    serde_json::from_str(json).unwrap()
}

/// The code exchange exactly as Discord documents it, with HTTP Basic client
/// authentication and the PKCE verifier.
async fn mock_token(
    server: &mut Server,
    verifier: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee"),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(status, JSON, body)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

/// Starts a sign-in and returns the callback Discord would send, with `iss` as Discord
/// sends it (RFC 9207).
fn sign_in(discord: &Client) -> (portcullis::AuthorizationUrl, CallbackParams, String) {
    let auth = discord.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let callback = CallbackParams::from_query(&format!(
        "code=NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee&state={}&iss=https%3A%2F%2Fdiscord.com",
        auth.pending.state()
    ))
    .unwrap();
    (auth, callback, verifier)
}

#[test]
fn provider_facts_match_discords_docs() {
    let info = Discord::INFO;
    assert_eq!(info.id, "discord");
    let endpoints = Discord::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://discord.com/oauth2/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://discord.com/api/oauth2/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://discord.com/api/oauth2/token/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://discord.com/api/v10/users/@me")
    );
    assert_eq!(endpoints.issuer.as_deref(), Some("https://discord.com"));
    assert_eq!(info.default_scopes, ["identify"]);
    assert_eq!(info.user_id_field, "id");
}

#[test]
fn authorization_url_has_every_parameter() {
    let discord =
        OAuthClient::new(Discord::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = discord.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://discord.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/authorize");

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
        ("scope", "identify email"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "discord");
    assert_eq!(
        auth.pending.nonce(),
        None,
        "no nonce: Discord sign-in is not OpenID Connect"
    );

    let again = discord.authorization_url();
    assert_ne!(
        again.pending.state(),
        auth.pending.state(),
        "fresh state per sign-in"
    );
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn identify_is_the_default_scope_and_a_redirect_uri_is_required() {
    let discord = OAuthClient::new(
        Discord::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = discord.authorization_url();
    assert_eq!(
        query_of(&auth.url).get("scope").map(String::as_str),
        Some("identify")
    );

    let err = OAuthClient::new(
        Discord::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert_eq!(err.code(), "INVALID_CONFIG");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let (auth, callback, verifier) = sign_in(&discord);

    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let user = mock_user(&mut server, 200, USER).await;

    let session = discord
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, "80351110224678912");
    assert_eq!(session.key().to_string(), "discord:80351110224678912");
    let discord_user = &session.provider_user;
    assert_eq!(discord_user.username, "nelly");
    assert_eq!(discord_user.discriminator, "0");
    assert_eq!(discord_user.global_name.as_deref(), Some("Nelly"));
    assert_eq!(discord_user.mfa_enabled, Some(true));
    assert_eq!(discord_user.accent_color, Some(0xFF0000));
    assert_eq!(discord_user.locale.as_deref(), Some("en-US"));
    assert_eq!(discord_user.premium_type, Some(1));
    assert_eq!(discord_user.public_flags, Some(64));
    assert_eq!(discord_user.bot, None);
    assert_eq!(
        discord_user.avatar_decoration_data.as_ref().unwrap()["sku_id"],
        "1144058844004233369"
    );
    assert_eq!(discord_user.primary_guild.as_ref().unwrap()["tag"], "DISC");

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        "D43f5y0ahjqew82jZ4NViEr2YafMKhue"
    );
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(604_800))
    );
    assert_eq!(session.tokens.scopes().unwrap(), ["identify", "email"]);

    let profile = session.profile();
    assert_eq!(profile.id, "80351110224678912");
    assert_eq!(profile.name.as_deref(), Some("Nelly"));
    assert_eq!(profile.username.as_deref(), Some("nelly"));
    assert_eq!(profile.email.as_deref(), Some("nelly@discord.com"));
    assert!(
        profile.email_verified,
        "`verified: true` in the user object"
    );
    assert_eq!(profile.verified_email(), Some("nelly@discord.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://cdn.discordapp.com/avatars/80351110224678912/8342729096ea3675442027381ff50dfe.png"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("nelly".to_owned()).await.unwrap();
    assert_eq!(discord.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let (auth, callback, verifier) = sign_in(&discord);
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = discord
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(discord.adapter().user_count(), 1);
}

#[tokio::test]
async fn unverified_email_and_no_avatar() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let auth = discord.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, UNVERIFIED_USER).await;

    let session = discord
        .validate_callback(
            &callback_for(&auth, "NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee"),
            &auth.pending,
        )
        .await
        .unwrap();
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("nelly@example.com"));
    assert!(!profile.email_verified, "`verified: false`");
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.name.as_deref(),
        Some("nelly"),
        "no display name: the username"
    );
    // Unique username (discriminator "0"): index (80351110224678912 >> 22) % 6
    // = 19157197529 % 6 = 5.
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://cdn.discordapp.com/embed/avatars/5.png")
    );
}

#[test]
fn default_avatar_of_a_legacy_user_follows_the_discriminator() {
    // Same id as above, legacy tag Nelly#1337: index 1337 % 5 = 2, not the id rule's 5.
    let legacy = user(
        r#"{"id":"80351110224678912","username":"Nelly","discriminator":"1337",
            "global_name":null,"avatar":null,"public_flags":0}"#,
    );
    assert_eq!(
        legacy.avatar_url(),
        "https://cdn.discordapp.com/embed/avatars/2.png"
    );
    assert_eq!(legacy.profile().avatar_url, Some(legacy.avatar_url()));

    // Another migrated user: (268473310986240001 >> 22) % 6 = 64009025332 % 6 = 4.
    let migrated = user(
        r#"{"id":"268473310986240001","username":"discord","discriminator":"0",
            "global_name":"Discord","avatar":null}"#,
    );
    assert_eq!(
        migrated.avatar_url(),
        "https://cdn.discordapp.com/embed/avatars/4.png"
    );
}

#[test]
fn animated_avatars_are_gifs_and_odd_values_stay_out_of_the_url() {
    let animated = user(
        r#"{"id":"80351110224678912","username":"nelly","discriminator":"0",
            "global_name":null,"avatar":"a_1269e74af4df7417b13759eae50c83dc"}"#,
    );
    assert_eq!(
        animated.avatar_url(),
        "https://cdn.discordapp.com/avatars/80351110224678912/a_1269e74af4df7417b13759eae50c83dc.gif"
    );

    let odd = user(
        r#"{"id":"80351110224678912","username":"nelly","discriminator":"0",
            "global_name":null,"avatar":"../../x?y=z"}"#,
    );
    assert_eq!(
        odd.avatar_url(),
        "https://cdn.discordapp.com/embed/avatars/5.png"
    );
}

#[test]
fn without_the_email_scope_there_is_no_email() {
    // `identify` only: neither `email` nor `verified` is sent.
    let identify_only = user(
        r#"{"id":"80351110224678912","username":"nelly","discriminator":"0",
            "global_name":"Nelly","avatar":null,"mfa_enabled":false,"locale":"en-US"}"#,
    );
    let profile = identify_only.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);

    // An account without an email (signed up by phone) still says `verified`.
    let phone_only = user(
        r#"{"id":"80351110224678912","username":"nelly","discriminator":"0",
            "global_name":"Nelly","avatar":null,"email":null,"verified":true}"#,
    );
    let profile = phone_only.profile();
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified, "no email, nothing verified");

    // An email without `verified` is not taken as verified.
    let unsaid = user(
        r#"{"id":"80351110224678912","username":"nelly","discriminator":"0",
            "global_name":"Nelly","avatar":null,"email":"nelly@discord.com"}"#,
    );
    let profile = unsaid.profile();
    assert_eq!(profile.email.as_deref(), Some("nelly@discord.com"));
    assert!(!profile.email_verified, "verified only on `verified: true`");
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    let json = serde_json::to_string(&original).unwrap();
    let back: DiscordUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn public_client_sends_client_id_and_verifier_without_basic_auth() {
    let mut server = Server::new_async().await;
    let discord = client(
        &server,
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = discord.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee"),
        ("code_verifier", &verifier),
        ("redirect_uri", REDIRECT),
    ];
    let token = expect::token_request(
        &mut server,
        TOKEN_PATH,
        Credentials::Public { id: CLIENT_ID },
        &form,
    )
    .reply(200, JSON, TOKEN_RESPONSE)
    .await;
    mock_user(&mut server, 200, USER).await;
    let session = discord
        .validate_callback(
            &callback_for(&auth, "NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee"),
            &auth.pending,
        )
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "discord:80351110224678912");
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_gets_a_rotated_token() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "D43f5y0ahjqew82jZ4NViEr2YafMKhue"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"8aRgRJDDNtZMvrGSOPDaEe0LTtCKWd","token_type":"Bearer","expires_in":604800,
                "refresh_token":"xYVHZSBNRDLC3zgM7aRvTmyF2bDUVr","scope":"identify email"}"#,
        )
        .await;
    let tokens = discord
        .refresh(&RefreshToken::new(
            "D43f5y0ahjqew82jZ4NViEr2YafMKhue".to_owned(),
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "8aRgRJDDNtZMvrGSOPDaEe0LTtCKWd"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "xYVHZSBNRDLC3zgM7aRvTmyF2bDUVr",
        "Discord rotates the refresh token: keep the new one"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(604_800)));
}

#[tokio::test]
async fn revoke_posts_the_token_to_the_revocation_url() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());

    let form = [
        ("token", "D43f5y0ahjqew82jZ4NViEr2YafMKhue"),
        ("token_type_hint", "refresh_token"),
    ];
    let refresh = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, "{}")
        .await;
    discord
        .revoke(RefreshToken::new(
            "D43f5y0ahjqew82jZ4NViEr2YafMKhue".to_owned(),
        ))
        .await
        .unwrap();
    refresh.assert_async().await;

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let access = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, "{}")
        .await;
    discord
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    access.assert_async().await;
}

#[tokio::test]
async fn revoke_with_a_wrong_secret_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    server
        .mock("POST", REVOKE_PATH)
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_client"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = discord
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 401, "invalid_client", None);
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let (auth, callback, verifier) = sign_in(&discord);
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error":"invalid_grant","error_description":"Invalid \"code\" in request."}"#,
    )
    .await;
    let user = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = discord
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap_err();
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some(r#"Invalid "code" in request."#),
    );
    assert_eq!(discord.adapter().user_count(), 0);
}

#[tokio::test]
async fn rate_limited_user_request_keeps_retry_after() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let (auth, callback, verifier) = sign_in(&discord);
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .with_header("retry-after", "5")
        .with_header("x-ratelimit-scope", "user")
        .reply(
            429,
            JSON,
            r#"{"message":"You are being rate limited.","retry_after":5.0,"global":false}"#,
        )
        .await;

    let err = discord
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap_err();
    let request = expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        429,
        JSON,
        "You are being rate limited.",
    );
    assert_eq!(request.retry_after(), Some(Duration::from_secs(5)));
    assert_eq!(err.retry_after(), Some(Duration::from_secs(5)));
    assert!(
        !err.is_retryable(),
        "the sign-in spent its code: start a new one, after Retry-After"
    );
    assert!(
        err.to_string().contains("discord user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn bad_gateway_with_empty_body_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(502)
        .expect(1)
        .create_async()
        .await;
    let err = discord
        .validate_code("NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee", Some("verifier"), None)
        .await
        .unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    match request.kind() {
        RequestErrorKind::UnexpectedResponse {
            status, excerpt, ..
        } => {
            assert_eq!(*status, 502);
            assert!(excerpt.is_empty(), "{excerpt}");
        }
        other => panic!("{other:?}"),
    }
    assert!(
        !err.is_retryable(),
        "never for a code exchange, even on a 502"
    );
}

#[tokio::test]
async fn invalid_user_json_names_the_field() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let (auth, callback, verifier) = sign_in(&discord);
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    // A numeric id is not the documented snowflake string.
    mock_user(
        &mut server,
        200,
        r#"{"id":80351110224678912,"username":"nelly","discriminator":"0","global_name":null,"avatar":null}"#,
    )
    .await;
    let err = discord
        .validate_callback(&callback, &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
}

#[tokio::test]
async fn forged_mixed_up_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let discord = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&discord).await;

    // The right state, but the response names another authorization server: Discord
    // advertises RFC 9207, so its issuer is checked.
    let auth = discord.authorization_url();
    let other_issuer = CallbackParams::from_query(&format!(
        "code=NhhvTDYsFcdgNLnnLijcl7Ku7bEEeee&state={}&iss=https%3A%2F%2Fevil.example",
        auth.pending.state()
    ))
    .unwrap();
    let err = discord
        .validate_callback(&other_issuer, &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Callback(CallbackError::IssuerMismatch { .. })),
        "{err:?}"
    );
    assert_eq!(err.code(), "ISSUER_MISMATCH");
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let discord =
        OAuthClient::new(Discord::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&discord, CLIENT_SECRET);
}
