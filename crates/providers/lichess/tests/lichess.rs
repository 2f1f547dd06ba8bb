//! Lichess against a mock of its documented endpoints: the exact requests we send and
//! what we make of Lichess's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientAuth, ClientConfig, Endpoints, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Provider, Url,
};
use portcullis_lichess::{Lichess, LichessUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const CLIENT_ID: &str = "app.example";
const REDIRECT: &str = "http://localhost:3000/login/lichess/callback";
const CODE: &str = "liu_iS1uOZg99Htmo58ex2jKgYziUfzsnAl0";
const ACCESS_TOKEN: &str = "lio_pJ0W6N6kPZB3hK3zC8wQyXvIh1Vkq7bR";

const TOKEN_PATH: &str = "/api/token";
const ACCOUNT_PATH: &str = "/api/account";
const EMAIL_PATH: &str = "/api/account/email";

/// The token response as documented: `token_type`, `access_token`, `expires_in`.
const TOKEN_RESPONSE: &str = r#"{"token_type":"Bearer","access_token":"lio_pJ0W6N6kPZB3hK3zC8wQyXvIh1Vkq7bR","expires_in":31536000}"#;

/// `GET /api/account`: the documented example.
const ACCOUNT: &str = r#"{
  "id": "bobby",
  "username": "Bobby",
  "perfs": {
    "bullet": {"games": 33, "rating": 1666, "rd": 58, "prog": -30},
    "blitz": {"games": 2, "rating": 1737, "rd": 51, "prog": -35},
    "classical": {"games": 15, "rating": 1746, "rd": 117, "prog": 4, "prov": true},
    "puzzle": {"games": 4, "rating": 1701, "rd": 83, "prog": 1}
  },
  "patron": true,
  "patronColor": 1,
  "createdAt": 1763283606001,
  "profile": {
    "flag": "OM",
    "location": "Bobby City",
    "bio": "The categories of bourgeois economy consist of such like forms.",
    "fideRating": 1725,
    "uscfRating": 1660,
    "links": "https://en.wikipedia.org/wiki/Voltaire\nhttps://en.wikipedia.org/wiki/Nelson_Mandela"
  },
  "seenAt": 1763412484673,
  "playTime": {"total": 10095, "tv": 0},
  "url": "https://lichess.org/@/Bobby",
  "count": {"all": 3182, "rated": 2545, "draw": 520, "loss": 1323, "win": 1339,
            "bookmark": 0, "playing": 0, "import": 0, "me": 0},
  "kid": true,
  "followable": true,
  "following": false,
  "blocking": false
}"#;

/// `GET /api/account/email`: the documented example.
const EMAIL: &str = r#"{"email":"bobby@localhost"}"#;

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Lichess, MemoryAdapter<String>> {
    expect::client(Lichess::new(), config, server)
}

/// The configuration Lichess calls for: a public client, no secret.
fn config() -> ClientConfig {
    ClientConfig::public(CLIENT_ID)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("email:read")
}

/// The code exchange exactly as documented — and nothing secret: no `client_secret`,
/// no `Authorization` header.
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
    let credentials = Credentials::Public { id: CLIENT_ID };
    expect::token_request(server, TOKEN_PATH, credentials, &form)
        .reply(status, JSON, body)
        .await
}

async fn mock_api(server: &mut Server, path: &str, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", path, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_lichess_docs() {
    let info = Lichess::INFO;
    assert_eq!(info.id, "lichess");
    assert_eq!(info.user_id_field, "id");
    assert!(info.default_scopes.is_empty());
    assert_eq!(info.revocation_url, None);
    assert!(info.email_verified_source.starts_with("never:"));
    assert_eq!(Lichess::new().endpoints(), Endpoints::from_info(&info));
    let endpoints = Lichess::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://lichess.org/oauth"
    );
    assert_eq!(endpoints.token.as_str(), "https://lichess.org/api/token");
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://lichess.org/api/account")
    );
}

#[test]
fn a_configured_secret_is_refused() {
    assert_eq!(Lichess::INFO.client_auth, ClientAuth::None);
    let err = OAuthClient::new(
        Lichess::new(),
        ClientConfig::new(CLIENT_ID, "a-secret-lichess-never-asked-for")
            .redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    let message = err.to_string();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
    assert!(message.contains("ClientConfig::public"), "{message}");
    assert!(!message.contains("a-secret"), "{message}");
}

#[test]
fn authorization_url_has_every_parameter_and_no_secret() {
    let lichess =
        OAuthClient::new(Lichess::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = lichess.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://lichess.org"
    );
    assert_eq!(auth.url.path(), "/oauth", "no /authorize");

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap()),
        "PKCE S256 is required"
    );
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "email:read"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "lichess");

    let bare = OAuthClient::new(
        Lichess::new(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap()
    .authorization_url();
    assert!(
        !query_of(&bare.url).contains_key("scope"),
        "no default scope"
    );
}

#[tokio::test]
async fn a_public_client_signs_in_with_no_secret_anywhere() {
    let mut server = Server::new_async().await;
    let lichess = client(&server, config());
    let auth = lichess.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let account = mock_api(&mut server, ACCOUNT_PATH, 200, ACCOUNT).await;
    let email = mock_api(&mut server, EMAIL_PATH, 200, EMAIL).await;

    let session = lichess
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    account.assert_async().await;
    email.assert_async().await;

    assert_eq!(session.provider_user_id, "bobby");
    assert_eq!(session.key().to_string(), "lichess:bobby");
    let user: &LichessUser = &session.provider_user;
    assert_eq!(user.username, "Bobby");
    assert_eq!(user.patron, Some(true));
    assert_eq!(user.kid, Some(true));
    assert_eq!(user.created_at, Some(1_763_283_606_001));
    assert_eq!(user.seen_at, Some(1_763_412_484_673));
    assert_eq!(user.play_time.as_ref().unwrap().total, Some(10095));
    let profile_fields = user.profile.as_ref().unwrap();
    assert_eq!(profile_fields.flag.as_deref(), Some("OM"));
    assert_eq!(profile_fields.fide_rating, Some(1725));
    assert_eq!(profile_fields.real_name, None);
    assert_eq!(user.perfs["blitz"]["rating"], 1737);
    assert_eq!(user.count["all"], 3182);
    assert_eq!(user.title, None);
    assert_eq!(user.email.as_deref(), Some("bobby@localhost"));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(
        session.tokens.expires_in(),
        Some(Duration::from_secs(31_536_000))
    );
    assert!(session.tokens.refresh_token().is_none());

    let profile = session.profile();
    assert_eq!(profile.id, "bobby");
    assert_eq!(profile.name.as_deref(), Some("Bobby"));
    assert_eq!(profile.username.as_deref(), Some("Bobby"));
    assert_eq!(profile.email.as_deref(), Some("bobby@localhost"));
    assert!(!profile.email_verified, "Lichess documents no verification");
    assert_eq!(profile.avatar_url, None);

    assert!(session.existing_user.is_none());
    let created = session.create_user("bobby".to_owned()).await.unwrap();
    assert_eq!(lichess.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = lichess.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, ACCOUNT_PATH, 200, ACCOUNT).await;
    mock_api(&mut server, EMAIL_PATH, 200, EMAIL).await;
    let session = lichess
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(lichess.adapter().user_count(), 1);
}

#[tokio::test]
async fn without_email_read_the_email_is_none() {
    let mut server = Server::new_async().await;
    let lichess = client(
        &server,
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    let auth = lichess.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, ACCOUNT_PATH, 200, ACCOUNT).await;
    // The token may not read the email: Lichess refuses.
    let email = mock_api(
        &mut server,
        EMAIL_PATH,
        403,
        r#"{"error":"Missing scope: email:read"}"#,
    )
    .await;

    let session = lichess
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    email.assert_async().await;
    assert_eq!(session.provider_user.email, None);
    assert_eq!(session.profile().email, None);
    assert_eq!(session.key().to_string(), "lichess:bobby");
    // The email, when absent, is not serialised as `null`.
    let json = serde_json::to_value(&session.provider_user).unwrap();
    assert!(json.get("email").is_none(), "{json}");
}

#[tokio::test]
async fn a_failing_email_request_fails_the_sign_in() {
    let mut server = Server::new_async().await;
    let lichess = client(&server, config());
    let auth = lichess.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_api(&mut server, ACCOUNT_PATH, 200, ACCOUNT).await;
    mock_api(
        &mut server,
        EMAIL_PATH,
        429,
        r#"{"error":"Too many requests. Try again later."}"#,
    )
    .await;
    let err = lichess
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::UserInfo,
        429,
        "Too many requests. Try again later.",
        None,
    );
    assert_eq!(lichess.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_pkce_mismatch_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let lichess = client(&server, config());
    let auth = lichess.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // The documented OAuthError example.
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"error":"invalid_grant","error_description":"hash of code_verifier does not match code_challenge"}"#,
    )
    .await;
    let account = server
        .mock("GET", ACCOUNT_PATH)
        .expect(0)
        .create_async()
        .await;
    let err = lichess
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    account.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("hash of code_verifier does not match code_challenge"),
    );
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let lichess = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body(
            "<!DOCTYPE html><html><body><h1>Something went wrong on this page</h1></body></html>",
        )
        .create_async()
        .await;
    let err = lichess
        .validate_code(CODE, Some("v"), None)
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
async fn invalid_account_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let lichess = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
    mock_api(
        &mut server,
        ACCOUNT_PATH,
        200,
        r#"{"id":"bobby","username":"#,
    )
    .await;
    let email = server
        .mock("GET", EMAIL_PATH)
        .expect(0)
        .create_async()
        .await;
    let err = lichess
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    email.assert_async().await;
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("lichess user request failed"),
        "{err}"
    );
}

#[test]
fn titled_players_and_real_names() {
    let user: LichessUser = serde_json::from_str(
        r#"{"id":"georges","username":"Georges","title":"NM","flair":"nature.water-wave",
            "disabled":false,"tosViolation":false,"verified":true,
            "profile":{"realName":"Georges Abitbol","links":""},"streaming":false}"#,
    )
    .unwrap();
    assert_eq!(user.title.as_deref(), Some("NM"));
    assert_eq!(user.tos_violation, Some(false));
    assert_eq!(user.verified, Some(true));
    assert!(user.perfs.is_empty());
    let profile = portcullis::ProviderUser::profile(&user);
    assert_eq!(profile.name.as_deref(), Some("Georges Abitbol"));
    assert_eq!(profile.username.as_deref(), Some("Georges"));
    assert_eq!(profile.email, None);
}
