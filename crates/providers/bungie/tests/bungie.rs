//! Bungie.net against a mock of its documented endpoints: the exact requests we send
//! and what we make of Bungie's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientAuth, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce,
    Provider, ProviderUser, RefreshToken, RequestErrorKind, Url,
};
use portcullis_bungie::{Bungie, BungieUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "33107";
const CLIENT_SECRET: &str = "TqlCb4VTZc89.7NKgBp9eFgjNbXw2hQe5rLm0sKdUyA";
const API_KEY: &str = "a0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5";
const REDIRECT: &str = "https://localhost:3000/login/bungie/callback";
const CODE: &str = "8c66f9e519b7ec8498c8b4cd2ab10e57";

const TOKEN_PATH: &str = "/platform/app/oauth/token/";
const USER_PATH: &str = "/Platform/User/GetMembershipsForCurrentUser/";

const ACCESS_TOKEN: &str = "CKWgAxKGAgAgqDKy8LzEfT+q1Zr/uZx3tBwQYKIlMyGL2qMq5j3Y6h9nBQ3HPE";
const REFRESH_TOKEN: &str = "CKWgAxKGAgAgUyQJgPsSdXlKbqZo4L3aXYkVSm0L0u1C6fFUz9i+0g7PqQjT4E";

/// A confidential client's token response as Bungie documents it, with its
/// non-standard `refresh_expires_in` and `membership_id`.
const TOKEN_RESPONSE: &str = r#"{"access_token":"CKWgAxKGAgAgqDKy8LzEfT+q1Zr/uZx3tBwQYKIlMyGL2qMq5j3Y6h9nBQ3HPE","token_type":"Bearer","expires_in":3600,"refresh_token":"CKWgAxKGAgAgUyQJgPsSdXlKbqZo4L3aXYkVSm0L0u1C6fFUz9i+0g7PqQjT4E","refresh_expires_in":7776000,"membership_id":"16836679"}"#;

/// `GetMembershipsForCurrentUser` in Bungie's envelope: int64s as strings, as Bungie
/// sends them.
const USER: &str = r#"{
  "Response": {
    "destinyMemberships": [
      {
        "LastSeenDisplayName": "joshmcsquash",
        "LastSeenDisplayNameType": 3,
        "iconPath": "/img/theme/bungienet/icons/steamLogo.png",
        "crossSaveOverride": 0,
        "applicableMembershipTypes": [3],
        "isPublic": true,
        "membershipType": 3,
        "membershipId": "4611686018470749805",
        "displayName": "joshmcsquash",
        "bungieGlobalDisplayName": "joshmcsquash",
        "bungieGlobalDisplayNameCode": 4521
      }
    ],
    "bungieNetUser": {
      "membershipId": "16836679",
      "uniqueName": "16836679",
      "displayName": "joshmcsquash",
      "profilePicture": 70651,
      "profileTheme": 1103,
      "userTitle": 0,
      "successMessageFlags": "0",
      "isDeleted": false,
      "about": "",
      "firstAccess": "2017-10-27T14:03:38.514Z",
      "lastUpdate": "2019-10-03T17:54:14.372Z",
      "showActivity": true,
      "locale": "en",
      "localeInheritDefault": false,
      "showGroupMessaging": true,
      "profilePicturePath": "/img/profile/avatars/cc21.jpg",
      "profileThemeName": "d2_03",
      "userTitleDisplay": "Newbie",
      "statusText": "",
      "statusDate": "0001-01-01T00:00:00Z",
      "steamDisplayName": "joshmcsquash",
      "cachedBungieGlobalDisplayName": "joshmcsquash",
      "cachedBungieGlobalDisplayNameCode": 4521
    },
    "marathonMembershipId": null
  },
  "ErrorCode": 1,
  "ThrottleSeconds": 0,
  "ErrorStatus": "Success",
  "Message": "Ok",
  "MessageData": {}
}"#;

/// Confidential Bungie clients authenticate with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Bungie, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
}

fn client(server: &Server, config: ClientConfig) -> Client {
    expect::client(Bungie::new(API_KEY), config, server)
}

/// The code exchange as Bungie documents it: no scope, no PKCE, Basic client
/// authentication, and no redirect URI unless one is configured.
async fn mock_token(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    let form = [("grant_type", "authorization_code"), ("code", CODE)];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(status, JSON, body)
        .await
}

/// The user request: bearer token and the application's API key.
async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .match_header("x-api-key", API_KEY)
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_bungies_docs() {
    let info = Bungie::INFO;
    assert_eq!(info.id, "bungie");
    let endpoints = Bungie::new(API_KEY).endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.bungie.net/en/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://www.bungie.net/platform/app/oauth/token/"
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://www.bungie.net/Platform/User/GetMembershipsForCurrentUser/")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(info.default_scopes.is_empty(), "Bungie forbids `scope`");
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, ClientAuth::Basic);
    assert!(!info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "Response.bungieNetUser.membershipId");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter_and_no_scope() {
    let client = OAuthClient::new(
        Bungie::new(API_KEY),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = client.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.bungie.net"
    );
    assert_eq!(auth.url.path(), "/en/oauth/authorize");
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let expected = [("client_id", CLIENT_ID), ("response_type", "code")];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(
        auth.pending.code_verifier(),
        None,
        "Bungie documents no PKCE"
    );
    assert_eq!(auth.pending.provider(), "bungie");
}

#[test]
fn a_configured_redirect_uri_is_sent() {
    let client = OAuthClient::new(
        Bungie::new(API_KEY),
        config().redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = client.authorization_url();
    assert_eq!(
        query_of(&auth.url).get("redirect_uri").map(String::as_str),
        Some(REDIRECT)
    );
}

#[test]
fn a_public_client_is_refused_without_pkce() {
    let err = OAuthClient::new(
        Bungie::new(API_KEY),
        ClientConfig::public(CLIENT_ID),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_creates_and_finds_the_user() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "16836679");
    assert_eq!(session.key().to_string(), "bungie:16836679");
    let user = &session.provider_user;
    assert_eq!(
        user.bungie_net_user.unique_name.as_deref(),
        Some("16836679")
    );
    assert_eq!(user.bungie_net_user.locale.as_deref(), Some("en"));
    assert_eq!(user.bungie_net_user.is_deleted, Some(false));
    assert_eq!(user.destiny_memberships.len(), 1);
    assert_eq!(
        user.destiny_memberships[0]["membershipId"],
        "4611686018470749805"
    );
    assert_eq!(user.primary_membership_id, None);

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(3600)));
    assert_eq!(session.tokens.extra()["refresh_expires_in"], 7_776_000);
    assert_eq!(
        session.tokens.extra()["membership_id"],
        session.provider_user_id.as_str(),
        "the token response names the same Bungie.net membership"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "16836679");
    assert_eq!(profile.name.as_deref(), Some("joshmcsquash"));
    assert_eq!(profile.username.as_deref(), Some("joshmcsquash#4521"));
    assert_eq!(profile.email, None, "Bungie.net users have no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://www.bungie.net/img/profile/avatars/cc21.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("josh".to_owned()).await.unwrap();
    assert_eq!(client.adapter().user_count(), 1);

    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created));
    assert_eq!(client.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_configured_redirect_uri_goes_to_the_token_request_too() {
    let mut server = Server::new_async().await;
    let client = client(&server, config().redirect_uri(REDIRECT.parse().unwrap()));
    let auth = client.authorization_url();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    let token = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, TOKEN_RESPONSE)
        .await;
    mock_user(&mut server, 200, USER).await;
    client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn the_user_request_carries_this_clients_api_key() {
    // The mock demands `API_KEY`: a client with another key gets mockito's 501 for an
    // unmatched request, so the sign-in passing above means the header was sent.
    let mut server = Server::new_async().await;
    let client = expect::client(Bungie::new("another-key-entirely"), config(), &server);
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    let Error::Request(request) = &err else {
        panic!("{err:?}")
    };
    assert_eq!(request.phase(), Phase::UserInfo);
    assert!(
        matches!(
            request.kind(),
            RequestErrorKind::UnexpectedResponse { status: 501, .. }
        ),
        "{request:?}"
    );
}

#[tokio::test]
async fn an_error_code_in_a_200_envelope_fails_the_sign_in() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        r#"{"ErrorCode":99,"ThrottleSeconds":0,"ErrorStatus":"WebAuthRequired","Message":"Please sign-in to continue.","MessageData":{}}"#,
    )
    .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("ErrorCode"));
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_bad_api_key_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        401,
        r#"{"ErrorCode":2101,"ThrottleSeconds":0,"ErrorStatus":"ApiInvalidOrExpiredKey","Message":"Invalid API key.","MessageData":{}}"#,
    )
    .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, JSON, "ApiInvalidOrExpiredKey");
}

#[test]
fn a_numeric_membership_id_is_read_as_its_decimal_string() {
    let user: BungieUser = serde_json::from_str(
        r#"{"bungieNetUser":{"membershipId":16836679,"displayName":"josh"},"destinyMemberships":[]}"#,
    )
    .unwrap();
    assert_eq!(user.provider_user_id(), "16836679");
    let json = serde_json::to_string(&user).unwrap();
    assert!(json.contains(r#""membershipId":"16836679""#), "{json}");
}

#[test]
fn odd_pictures_and_partial_bungie_names_stay_out_of_the_profile() {
    let user: BungieUser = serde_json::from_str(
        r#"{"bungieNetUser":{"membershipId":"7","displayName":"",
            "cachedBungieGlobalDisplayName":"Guardian",
            "profilePicturePath":"//evil.example/x.png"}}"#,
    )
    .unwrap();
    let profile = user.profile();
    assert_eq!(
        profile.name.as_deref(),
        Some("Guardian"),
        "blank display name"
    );
    assert_eq!(profile.username, None, "no code: no Bungie Name");
    assert_eq!(profile.avatar_url, None);
    assert_eq!(user.bungie_net_user.profile_picture_url(), None);
}

#[test]
fn the_user_round_trips_through_serde() {
    #[derive(serde::Deserialize)]
    struct Envelope {
        #[serde(rename = "Response")]
        response: BungieUser,
    }
    let user = serde_json::from_str::<Envelope>(USER).unwrap().response;
    let json = serde_json::to_string(&user).unwrap();
    let again: BungieUser = serde_json::from_str(&json).unwrap();
    assert_eq!(again, user);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"CKWgAxKGAgAgNewAccessTokenValue0123456789abcdefABCDEF","token_type":"Bearer","expires_in":3600,"refresh_token":"CKWgAxKGAgAgNewRefreshTokenValue0123456789abcdefABCD","refresh_expires_in":7776000,"membership_id":"16836679"}"#,
        )
        .await;
    let tokens = client
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "CKWgAxKGAgAgNewAccessTokenValue0123456789abcdefABCDEF"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "CKWgAxKGAgAgNewRefreshTokenValue0123456789abcdefABCD",
        "keep the newest refresh token"
    );
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"AuthorizationCodeInvalid"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("AuthorizationCodeInvalid"),
    );
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .match_header("x-api-key", API_KEY)
        .reply(
            503,
            "text/html",
            "<html><body><h1>Bungie.net is down for maintenance</h1></body></html>",
        )
        .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        503,
        "text/html",
        "down for maintenance",
    );
}

#[tokio::test]
async fn user_json_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        r#"{"Response":{"bungieNetUser":{"membershipId":"josh"},"destinyMemberships":[]},"ErrorCode":1,"ErrorStatus":"Success"}"#,
    )
    .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(
        &err,
        Phase::UserInfo,
        Some("Response.bungieNetUser.membershipId"),
    );
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let client = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&client).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret_nor_the_api_key() {
    let client = OAuthClient::new(
        Bungie::new(API_KEY),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
    portcullis_testkit::assert_debug_hides_secrets(&client, API_KEY);
    assert!(!format!("{:?}", Bungie::new(API_KEY)).contains(API_KEY));
}
