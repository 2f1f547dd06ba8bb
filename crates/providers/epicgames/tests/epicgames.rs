//! Epic Games against a mock of its documented endpoints: the exact requests we send and
//! what we make of Epic's responses.

use mockito::Server;
use portcullis::{
    AccessToken, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderUser, RefreshToken, Url,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

use portcullis_epicgames::{EpicGames, EpicGamesUser};

const CLIENT_ID: &str = "xyza7891TydzdNolyGQJYa9b6n6rLMJl";
const CLIENT_SECRET: &str = "Eh+FLGJ5GrvCNwmTEp9Hrqdwn2gGnLJxTkcDtKCVqDLeL";
const REDIRECT: &str = "http://localhost:3000/login/epicgames/callback";
const CODE: &str = "0e2a1c3f5b7d4e6f8a9b0c1d2e3f4a5b";
const ACCOUNT_ID: &str = "4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91";
const ACCESS_TOKEN: &str = "eg1~eyJraWQiOiJ0RkMyVUloRnBUTV9FYTNxY09kX01xUVQxY0JCbTlrRkxTRGZlSmhzUkc4IiwiYWxnIjoiUlMyNTYifQ.payload.signature";
const REFRESH_TOKEN: &str = "eg1~eyJraWQiOiJ0RkMyVUloRnBUTV9FYTNxY09kX01xUVQxY0JCbTlrRkxTRGZlSmhzUkc4IiwiYWxnIjoiUlMyNTYifQ.refresh.signature";

const TOKEN_PATH: &str = "/epic/oauth/v2/token";
const REVOKE_PATH: &str = "/epic/oauth/v2/revoke";
const ACCOUNTS_PATH: &str = "/epic/id/v2/accounts";

/// Epic documents HTTP Basic client authentication for its token endpoint.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response of the web server flow: the standard fields plus Epic's
/// `expires_at`, `refresh_expires`, `refresh_expires_at`, `account_id`, `client_id`
/// and `application_id`.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "eg1~eyJraWQiOiJ0RkMyVUloRnBUTV9FYTNxY09kX01xUVQxY0JCbTlrRkxTRGZlSmhzUkc4IiwiYWxnIjoiUlMyNTYifQ.payload.signature",
  "token_type": "bearer",
  "expires_in": 7200,
  "expires_at": "2024-05-01T14:00:00.000Z",
  "refresh_token": "eg1~eyJraWQiOiJ0RkMyVUloRnBUTV9FYTNxY09kX01xUVQxY0JCbTlrRkxTRGZlSmhzUkc4IiwiYWxnIjoiUlMyNTYifQ.refresh.signature",
  "refresh_expires": 28800,
  "refresh_expires_at": "2024-05-01T20:00:00.000Z",
  "account_id": "4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91",
  "client_id": "xyza7891TydzdNolyGQJYa9b6n6rLMJl",
  "application_id": "fghi4567FNFBKFz3E4TROb0bmPS8h1GW",
  "scope": "basic_profile",
  "acr": "urn:epic:loa:aal1",
  "auth_time": "2024-05-01T12:00:00.000Z"
}"#;

/// The Accounts API's answer for one account id: an array.
const ACCOUNTS: &str = r#"[
  {
    "accountId": "4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91",
    "displayName": "Jinx",
    "preferredLanguage": "en",
    "linkedAccounts": [
      {"identityProviderId": "psn", "displayName": "jinx_psn"}
    ]
  }
]"#;

type Client = OAuthClient<EpicGames, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> Client {
    expect::client(EpicGames::new(), config(), server)
}

fn user(json: &str) -> EpicGamesUser {
    serde_json::from_str(json).unwrap()
}

async fn mock_token(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(status, JSON, body)
        .await
}

async fn mock_accounts(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(
        server,
        "GET",
        ACCOUNTS_PATH,
        &[("accountId", ACCOUNT_ID)],
        ACCESS_TOKEN,
    )
    .reply(status, JSON, body)
    .await
}

async fn sign_in(
    epic: &Client,
) -> Result<portcullis::ProviderSession<EpicGamesUser, MemoryAdapter<String>>, Error> {
    let auth = epic.authorization_url();
    epic.validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

#[test]
fn provider_facts_match_epics_docs() {
    let info = EpicGames::INFO;
    assert_eq!(info.id, "epicgames");
    assert_eq!(info.name, "Epic Games");
    let endpoints = EpicGames::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.epicgames.com/id/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.epicgames.dev/epic/oauth/v2/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://api.epicgames.dev/epic/oauth/v2/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.epicgames.dev/epic/id/v2/accounts")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["basic_profile"]);
    assert_eq!(info.pkce, portcullis::Pkce::None);
    assert_eq!(info.client_auth, portcullis::ClientAuth::Basic);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "accountId");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let epic =
        OAuthClient::new(EpicGames::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = epic.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.epicgames.com"
    );
    assert_eq!(auth.url.path(), "/id/authorize");
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let expected = [
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "basic_profile"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.code_verifier(), None, "Epic documents no PKCE");
    assert_eq!(auth.pending.provider(), "epicgames");
}

#[test]
fn app_scopes_are_added_and_public_clients_or_no_redirect_uri_are_refused() {
    let epic = OAuthClient::new(
        EpicGames::new(),
        config().scope("friends_list").scope("presence"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        query_of(&epic.authorization_url().url)
            .get("scope")
            .map(String::as_str),
        Some("basic_profile friends_list presence")
    );

    let no_redirect = OAuthClient::new(
        EpicGames::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert_eq!(no_redirect.code(), "INVALID_CONFIG");

    // No PKCE: a client without a secret would be bound to nothing.
    let public = OAuthClient::new(
        EpicGames::new(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert_eq!(public.code(), "INVALID_CONFIG");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let accounts = mock_accounts(&mut server, 200, ACCOUNTS).await;

    let session = sign_in(&epic).await.unwrap();
    token.assert_async().await;
    accounts.assert_async().await;

    assert_eq!(session.provider_user_id, ACCOUNT_ID);
    assert_eq!(
        session.key().to_string(),
        "epicgames:4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91"
    );
    let jinx = &session.provider_user;
    assert_eq!(jinx.display_name.as_deref(), Some("Jinx"));
    assert_eq!(jinx.preferred_language.as_deref(), Some("en"));
    let linked = &jinx.linked_accounts.as_ref().unwrap()[0];
    assert_eq!(linked.identity_provider_id, "psn");
    assert_eq!(linked.display_name.as_deref(), Some("jinx_psn"));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(session.tokens.scopes().unwrap(), ["basic_profile"]);
    assert_eq!(session.tokens.extra()["refresh_expires"], 28800);
    assert_eq!(session.tokens.extra()["account_id"], ACCOUNT_ID);

    let profile = session.profile();
    assert_eq!(profile.id, ACCOUNT_ID);
    assert_eq!(profile.name.as_deref(), Some("Jinx"));
    assert_eq!(profile.username.as_deref(), Some("Jinx"));
    assert_eq!(profile.email, None, "Epic shares no email");
    assert!(!profile.email_verified);

    assert!(session.existing_user.is_none());
    let created = session.create_user("jinx".to_owned()).await.unwrap();
    assert_eq!(epic.adapter().user_count(), 1);

    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_accounts(&mut server, 200, ACCOUNTS).await;
    let session = sign_in(&epic).await.unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(epic.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_token_response_without_account_id_is_an_invalid_response() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    let without: serde_json::Value = {
        let mut v: serde_json::Value = serde_json::from_str(TOKEN_RESPONSE).unwrap();
        v.as_object_mut().unwrap().remove("account_id");
        v
    };
    mock_token(&mut server, 200, &without.to_string()).await;
    let accounts = server
        .mock("GET", ACCOUNTS_PATH)
        .match_query(mockito::Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let err = sign_in(&epic).await.unwrap_err();
    accounts.assert_async().await;
    expect::assert_invalid_response(&err, Phase::TokenExchange, Some("account_id"));
    assert_eq!(epic.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_accounts_answer_without_exactly_one_account_is_refused() {
    for body in [
        "[]",
        &format!("[{a},{a}]", a = &ACCOUNTS[1..ACCOUNTS.len() - 1]),
    ] {
        let mut server = Server::new_async().await;
        let epic = client(&server);
        mock_token(&mut server, 200, TOKEN_RESPONSE).await;
        mock_accounts(&mut server, 200, body).await;
        let err = sign_in(&epic).await.unwrap_err();
        expect::assert_invalid_response(&err, Phase::UserInfo, None);
        assert_eq!(epic.adapter().user_count(), 0);
    }
}

#[tokio::test]
async fn an_account_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // An object, not the documented array.
    mock_accounts(
        &mut server,
        200,
        r#"{"accountId":"4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91","displayName":"Jinx"}"#,
    )
    .await;
    let err = sign_in(&epic).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);

    let mut server = Server::new_async().await;
    let epic = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_accounts(
        &mut server,
        200,
        r#"[{"accountId":42,"displayName":"Jinx"}]"#,
    )
    .await;
    let err = sign_in(&epic).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("[0].accountId"));
}

#[test]
fn an_account_without_a_display_name_falls_back_to_a_linked_one() {
    let console = user(
        r#"{"accountId":"4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91",
            "linkedAccounts":[{"identityProviderId":"xbl","displayName":"JinxXbox"}]}"#,
    );
    let profile = console.profile();
    assert_eq!(profile.name.as_deref(), Some("JinxXbox"));
    assert_eq!(profile.username, None, "not an Epic display name");

    let bare = user(r#"{"accountId":"4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91"}"#);
    assert_eq!(bare.profile().name, None);
    assert_eq!(bare.provider_user_id(), ACCOUNT_ID);
}

#[test]
fn the_key_is_the_account_id_never_the_display_name() {
    let a = user(&ACCOUNTS[1..ACCOUNTS.len() - 1]);
    let b = user(r#"{"accountId":"4b6e1c0a1f6c4a6f9c2a0d8e3b5f7a91","displayName":"Renamed"}"#);
    assert_eq!(a.provider_user_id(), b.provider_user_id());
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(&ACCOUNTS[1..ACCOUNTS.len() - 1]);
    let json = serde_json::to_value(&original).unwrap();
    assert_eq!(json["accountId"], ACCOUNT_ID, "Epic's field names are kept");
    let back: EpicGamesUser = serde_json::from_value(json).unwrap();
    assert_eq!(back, original);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, TOKEN_RESPONSE.replace(".payload.", ".renewed."))
        .await;
    let tokens = epic
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert!(tokens.access_token().secret().contains(".renewed."));
}

#[tokio::test]
async fn revoke_sends_an_rfc_7009_request() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let mock = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    epic.revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let mock = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    epic.revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    mock_token(
        &mut server,
        400,
        r#"{"errorCode":"errors.com.epicgames.oauth.invalid_grant","errorMessage":"Sorry the authorization code you supplied was not found. It is possible that it was no longer valid","error":"invalid_grant","error_description":"Sorry the authorization code you supplied was not found. It is possible that it was no longer valid"}"#,
    )
    .await;
    let accounts = server
        .mock("GET", ACCOUNTS_PATH)
        .match_query(mockito::Matcher::Any)
        .expect(0)
        .create_async()
        .await;
    let err = sign_in(&epic).await.unwrap_err();
    accounts.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(epic.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html")
        .with_body("<html><body><h1>503 Service Temporarily Unavailable</h1></body></html>")
        .create_async()
        .await;
    let err = sign_in(&epic).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html",
        "Service Temporarily Unavailable",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let epic = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&epic).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let epic =
        OAuthClient::new(EpicGames::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&epic, CLIENT_SECRET);
}
