//! 42 against a mock of its documented endpoints: the exact requests we send and what
//! we make of 42's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce, Provider,
    ProviderUser, Url,
};
use portcullis_fortytwo::{FortyTwo, FortyTwoUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "u-s4t2ud-0f3b7c0e5a1d2c3b4a59687766554433221100ffeeddccbbaa998877665544";
const CLIENT_SECRET: &str =
    "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";
const REDIRECT: &str = "http://localhost:3000/login/fortytwo/callback";
const CODE: &str = "d1f5e8a3b2c4f6e7d8c9b0a1f2e3d4c5b6a7f8e9d0c1b2a3f4e5d6c7b8a9f0e1";

const TOKEN_PATH: &str = "/oauth/token";
const USER_PATH: &str = "/v2/me";

const ACCESS_TOKEN: &str = "42804d1f2e2ef7d7ea3f6bd8e20c5a0fb3f9b9e8b2d4d2a3e1f0c9b8a7d6e5f4";

/// The token response as the Web Application Flow guide shows it: lowercase `bearer`,
/// two hours, and Doorkeeper's `created_at`.
const TOKEN_RESPONSE: &str = r#"{"access_token":"42804d1f2e2ef7d7ea3f6bd8e20c5a0fb3f9b9e8b2d4d2a3e1f0c9b8a7d6e5f4","token_type":"bearer","expires_in":7200,"scope":"public","created_at":1443451918}"#;

/// `GET /v2/me`, shaped like the documented example of the users endpoint (with fewer
/// list entries), `null`s as 42 sends blank fields.
const USER: &str = r#"{
  "id": 2,
  "email": "andre@42.fr",
  "login": "andre",
  "first_name": "André",
  "last_name": "Aubin",
  "usual_full_name": "Juliette Aubin",
  "usual_first_name": "Juliette",
  "url": "https://api.intra.42.fr/v2/users/andre",
  "phone": "hidden",
  "displayname": "André Aubin",
  "kind": "admin",
  "image": {
    "link": "https://cdn.intra.42.fr/users/1234567890/andre.jpg",
    "versions": {
      "large": "https://cdn.intra.42.fr/users/1234567890/large_andre.jpg",
      "medium": "https://cdn.intra.42.fr/users/1234567890/medium_andre.jpg",
      "small": "https://cdn.intra.42.fr/users/1234567890/small_andre.jpg",
      "micro": "https://cdn.intra.42.fr/users/1234567890/micro_andre.jpg"
    }
  },
  "staff?": false,
  "correction_point": 4,
  "pool_month": "july",
  "pool_year": "2016",
  "location": null,
  "wallet": 0,
  "anonymize_date": "2021-02-20T00:00:00.000+03:00",
  "data_erasure_date": null,
  "created_at": "2017-11-22T13:41:00.825Z",
  "updated_at": "2017-11-22T13:41:26.243Z",
  "alumnized_at": null,
  "alumni?": false,
  "active?": true,
  "groups": [],
  "cursus_users": [
    {"grade": null, "level": 0.0, "skills": [], "blackholed_at": null, "id": 2,
     "begin_at": "2017-05-14T21:37:50.172Z", "end_at": null, "cursus_id": 1,
     "has_coalition": true, "created_at": "2017-11-22T13:41:00.825Z",
     "updated_at": "2017-11-22T13:41:26.243Z",
     "user": {"id": 2, "login": "andre", "url": "https://api.intra.42.fr/v2/users/andre"},
     "cursus": {"id": 1, "created_at": "2017-11-22T13:41:00.750Z", "name": "Piscine C",
                "slug": "piscine-c"}}
  ],
  "projects_users": [],
  "languages_users": [{"id": 2, "language_id": 3, "user_id": 2, "position": 1,
                       "created_at": "2017-11-22T13:41:03.638Z"}],
  "achievements": [],
  "titles": [],
  "titles_users": [],
  "partnerships": [],
  "patroned": [],
  "patroning": [],
  "expertises_users": [],
  "roles": [],
  "campus": [
    {"id": 1, "name": "Cluj", "time_zone": "Europe/Bucharest",
     "language": {"id": 3, "name": "Romanian", "identifier": "ro",
                  "created_at": "2017-11-22T13:40:59.468Z",
                  "updated_at": "2017-11-22T13:41:26.139Z"},
     "users_count": 28, "vogsphere_id": 1}
  ],
  "campus_users": [{"id": 2, "user_id": 2, "campus_id": 1, "is_primary": true}]
}"#;

/// 42 confidential clients send the id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<FortyTwo, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> Client {
    expect::client(FortyTwo::new(), config(), server)
}

/// The code exchange exactly as the guide documents it: no PKCE, credentials in the
/// form, the redirect URI again.
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

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_42s_docs() {
    let info = FortyTwo::INFO;
    assert_eq!(info.id, "fortytwo");
    let endpoints = FortyTwo::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://api.intra.42.fr/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.intra.42.fr/oauth/token"
    );
    assert_eq!(endpoints.revocation, None);
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.intra.42.fr/v2/me")
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(info.default_scopes, ["public"]);
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "id");
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let client =
        OAuthClient::new(FortyTwo::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = client.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://api.intra.42.fr"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let expected = [
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "public"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.code_verifier(), None, "42 documents no PKCE");
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "fortytwo");
}

#[test]
fn extra_scopes_are_space_separated() {
    let client = OAuthClient::new(
        FortyTwo::new(),
        config().scope("projects").scope("profile"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = client.authorization_url();
    assert_eq!(
        query_of(&auth.url).get("scope").map(String::as_str),
        Some("public projects profile")
    );
}

#[test]
fn a_redirect_uri_and_a_secret_are_required() {
    let err = OAuthClient::new(
        FortyTwo::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");

    // No PKCE: a public client would be bound to nothing.
    let err = OAuthClient::new(
        FortyTwo::new(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_creates_and_finds_the_user() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    let token = mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "2");
    assert_eq!(session.key().to_string(), "fortytwo:2");
    let user = &session.provider_user;
    assert_eq!(user.login, "andre");
    assert_eq!(user.kind.as_deref(), Some("admin"));
    assert_eq!(user.staff, Some(false));
    assert_eq!(user.active, Some(true));
    assert_eq!(user.alumni, Some(false));
    assert_eq!(user.pool_year.as_deref(), Some("2016"));
    assert_eq!(user.location, None, "42 sends blank fields as null");
    assert_eq!(user.campus.as_ref().unwrap()[0]["name"], "Cluj");
    assert_eq!(
        user.cursus_users.as_ref().unwrap()[0]["cursus"]["slug"],
        "piscine-c"
    );
    assert_eq!(
        user.image.as_ref().unwrap().versions.as_ref().unwrap()["small"],
        "https://cdn.intra.42.fr/users/1234567890/small_andre.jpg"
    );

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(session.tokens.expires_in(), Some(Duration::from_secs(7200)));
    assert_eq!(session.tokens.scopes().unwrap(), ["public"]);
    assert!(session.tokens.refresh_token().is_none());

    let profile = session.profile();
    assert_eq!(profile.id, "2");
    assert_eq!(profile.name.as_deref(), Some("Juliette Aubin"));
    assert_eq!(profile.username.as_deref(), Some("andre"));
    assert_eq!(profile.email.as_deref(), Some("andre@42.fr"));
    assert!(
        !profile.email_verified,
        "42 never says the email is verified"
    );
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://cdn.intra.42.fr/users/1234567890/andre.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("andre".to_owned()).await.unwrap();
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
async fn the_token_responses_created_at_is_kept() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    // Doorkeeper's lowercase `bearer` is accepted and spelled the standard way.
    assert_eq!(session.tokens.token_type(), "Bearer");
    assert_eq!(session.tokens.extra()["created_at"], 1_443_451_918);
}

#[test]
fn a_user_without_usual_name_or_picture_falls_back() {
    let user: FortyTwoUser = serde_json::from_str(
        r#"{"id":91234,"login":"norminet","email":"norminet@student.42.fr",
            "usual_full_name":null,"displayname":"Norminet Cat","image":{"link":null,
            "versions":{"large":null,"medium":null,"small":null,"micro":null}}}"#,
    )
    .unwrap();
    let profile = user.profile();
    assert_eq!(profile.id, "91234");
    assert_eq!(profile.name.as_deref(), Some("Norminet Cat"));
    assert_eq!(profile.avatar_url, None);

    let bare: FortyTwoUser =
        serde_json::from_str(r#"{"id":7,"login":"zaz","email":null}"#).unwrap();
    assert_eq!(bare.profile().name.as_deref(), Some("zaz"));
    assert_eq!(bare.profile().email, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let user: FortyTwoUser = serde_json::from_str(USER).unwrap();
    let json = serde_json::to_string(&user).unwrap();
    assert!(json.contains(r#""staff?":false"#), "{json}");
    let again: FortyTwoUser = serde_json::from_str(&json).unwrap();
    assert_eq!(again, user);
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    // Doorkeeper's answer to a spent or unknown code.
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_grant","error_description":"The provided authorization grant is invalid, expired, revoked, does not match the redirection URI used in the authorization request, or was issued to another client."}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_wrong_secret_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    mock_token(
        &mut server,
        401,
        r#"{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}"#,
    )
    .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 401, "invalid_client", None);
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(
            500,
            "text/html; charset=utf-8",
            "<!DOCTYPE html><html><body><h1>We're sorry, but something went wrong.</h1></body></html>",
        )
        .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        500,
        "text/html; charset=utf-8",
        "something went wrong",
    );
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn rate_limited_user_request_keeps_retry_after() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    expect::api_request(&mut server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .with_header("retry-after", "1")
        .reply(429, "text/plain", "Retry later\n")
        .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    let request =
        expect::assert_unexpected_response(&err, Phase::UserInfo, 429, "text/plain", "Retry later");
    assert_eq!(request.retry_after(), Some(Duration::from_secs(1)));
}

#[tokio::test]
async fn user_json_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // The id is a JSON number in 42's API, not a string.
    mock_user(&mut server, 200, r#"{"id":"2","login":"andre"}"#).await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&client).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let client =
        OAuthClient::new(FortyTwo::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}
