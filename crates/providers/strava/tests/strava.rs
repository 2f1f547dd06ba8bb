//! Strava against a mock of its documented endpoints: the exact requests we send and
//! what we make of Strava's responses — including that no user request is made.

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken,
};
use portcullis_strava::{ApprovalPrompt, Strava, StravaUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const REDIRECT: &str = "http://127.0.0.1:3000/login/strava/callback";
const CLIENT_ID: &str = "131977";
const CLIENT_SECRET: &str = "9f1c2d3e4b5a69788796a5b4c3d2e1f0a9b8c7d6";
const CODE: &str = "b55003496d87a9f0b694ca1680cd5690d27d9d28";
const ACCESS_TOKEN: &str = "a4b945687g6f0e3d2c1b0a9f8e7d6c5b4a3f2e1d";
const REFRESH_TOKEN: &str = "e5n567567d4c3b2a1f0e9d8c7b6a5f4e3d2c1b0a";

const TOKEN_PATH: &str = "/oauth/token";

/// Strava takes the client id and secret in the form body, its only documented way.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The code exchange's form: no PKCE.
const CODE_FORM: [(&str, &str); 3] = [
    ("grant_type", "authorization_code"),
    ("code", CODE),
    ("redirect_uri", REDIRECT),
];

/// The content type of Strava's JSON answers.
const STRAVA_JSON: &str = "application/json; charset=utf-8";

/// The summary athlete Strava puts in the token response.
const ATHLETE: &str = r#"{
    "id": 134815,
    "username": "jmarie",
    "resource_state": 2,
    "firstname": "Joan",
    "lastname": "Marie",
    "bio": "Rides before work.",
    "city": "Twickenham",
    "state": "England",
    "country": "United Kingdom",
    "sex": "F",
    "premium": true,
    "summit": true,
    "created_at": "2012-05-30T16:07:02Z",
    "updated_at": "2024-01-14T21:47:48Z",
    "badge_type_id": 1,
    "weight": 61.5,
    "profile_medium": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/medium.jpg",
    "profile": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/large.jpg",
    "friend": null,
    "follower": null
}"#;

/// The token response as Strava documents it: tokens, `expires_at`, and the athlete.
fn tokens_with(athlete: &str) -> String {
    format!(
        r#"{{
  "token_type": "Bearer",
  "expires_at": 1568775134,
  "expires_in": 21600,
  "refresh_token": "{REFRESH_TOKEN}",
  "access_token": "{ACCESS_TOKEN}",
  "athlete": {athlete}
}}"#
    )
}

fn client(server: &Server) -> OAuthClient<Strava, MemoryAdapter<String>> {
    expect::client(Strava::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("activity:read_all")
}

async fn mock_token(server: &mut Server, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .match_query(Matcher::Missing)
        .reply(200, STRAVA_JSON, body)
        .await
}

/// Strava needs no user request: any GET fails the test.
async fn no_user_request(server: &mut Server) -> mockito::Mock {
    server
        .mock("GET", Matcher::Any)
        .expect(0)
        .create_async()
        .await
}

#[test]
fn authorization_url_has_every_parameter() {
    let strava = OAuthClient::new(
        Strava::new().approval_prompt(ApprovalPrompt::Force),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = strava.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.strava.com"
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
    let expected: Vec<(&str, &str)> = vec![
        ("approval_prompt", "force"),
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        // Comma-separated, the default `read` first and the app's scope added.
        ("scope", "read,activity:read_all"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no PKCE, no nonce"
    );
    assert_eq!(auth.pending.code_verifier(), None, "Strava has no PKCE");
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "strava");

    let again = strava.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
}

#[test]
fn scopes_are_comma_joined_added_to_read_and_never_repeated() {
    let only_read = OAuthClient::new(
        Strava::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&only_read.authorization_url().url);
    assert_eq!(query["scope"], "read", "the default scope");
    assert!(!query.contains_key("approval_prompt"), "{query:?}");

    let several = OAuthClient::new(
        Strava::new().approval_prompt(ApprovalPrompt::Auto),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scopes(["read", "profile:read_all", "activity:read"]),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&several.authorization_url().url);
    assert_eq!(query["scope"], "read,profile:read_all,activity:read");
    assert_eq!(query["approval_prompt"], "auto");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Strava::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[test]
fn info_has_no_user_endpoint_and_no_revocation() {
    let info = Strava::INFO;
    assert_eq!(info.id, "strava");
    assert_eq!(info.scope_delimiter, ",");
    assert_eq!(info.userinfo_url, None);
    assert_eq!(info.revocation_url, None);
    let endpoints = Strava::new().endpoints();
    assert_eq!(
        endpoints.token.as_str(),
        "https://www.strava.com/oauth/token"
    );
    assert_eq!(endpoints.userinfo, None);
    assert_eq!(endpoints.revocation, None);
}

#[tokio::test]
async fn sign_in_takes_the_athlete_from_the_token_response() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    let auth = strava.authorization_url();

    let token = mock_token(&mut server, &tokens_with(ATHLETE)).await;
    let none = no_user_request(&mut server).await;

    let session = strava
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    none.assert_async().await;

    assert_eq!(session.provider_user_id, "134815");
    assert_eq!(session.key().to_string(), "strava:134815");
    let user = &session.provider_user;
    assert_eq!(user.id, 134_815);
    assert_eq!(user.provider_user_id(), "134815");
    assert_eq!(user.username.as_deref(), Some("jmarie"));
    assert_eq!(user.resource_state, Some(2));
    assert_eq!(user.city.as_deref(), Some("Twickenham"));
    assert_eq!(user.country.as_deref(), Some("United Kingdom"));
    assert_eq!(user.sex.as_deref(), Some("F"));
    assert_eq!(user.summit, Some(true));
    assert_eq!(user.badge_type_id, Some(1));
    assert_eq!(user.weight, Some(61.5));
    assert_eq!(user.created_at.as_deref(), Some("2012-05-30T16:07:02Z"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 21600);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(
        tokens.scopes(),
        None,
        "Strava's token response has no scope"
    );
    assert_eq!(tokens.extra()["expires_at"], 1_568_775_134);
    assert_eq!(tokens.extra()["athlete"]["id"], 134_815);

    let profile = session.profile();
    assert_eq!(profile.id, "134815");
    assert_eq!(profile.name.as_deref(), Some("Joan Marie"));
    assert_eq!(profile.username.as_deref(), Some("jmarie"));
    assert_eq!(profile.email, None, "Strava's athlete has no email");
    assert!(!profile.email_verified);
    assert_eq!(profile.verified_email(), None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://dgalywyr863hv.cloudfront.net/pictures/athletes/134815/large.jpg"),
        "the 124x124 picture"
    );

    // The sign-in's tokens keep the athlete: fetching the user again reads it, still
    // without a request.
    let again = strava.fetch_user(&session.tokens).await.unwrap();
    assert_eq!(&again, user);
    none.assert_async().await;

    assert!(session.existing_user.is_none());
    let created = session.create_user("Joan".to_owned()).await.unwrap();
    assert_eq!(strava.adapter().user_count(), 1);

    // The same athlete signs in again: found, not created twice.
    let auth = strava.authorization_url();
    mock_token(&mut server, &tokens_with(ATHLETE)).await;
    let session = strava
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(strava.adapter().user_count(), 1);
    none.assert_async().await;
}

#[tokio::test]
async fn a_sparse_athlete_without_a_photo_signs_in() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    // A new athlete: no username, no location, Strava's relative placeholder pictures.
    mock_token(
        &mut server,
        &tokens_with(
            r#"{"id": 47690079, "username": null, "resource_state": 2, "firstname": "Alex",
                "lastname": "Wilson", "bio": null, "city": null, "state": null, "country": null,
                "sex": "M", "premium": false, "summit": false,
                "created_at": "2019-10-24T16:08:24Z", "updated_at": "2019-10-24T16:08:25Z",
                "badge_type_id": 0, "weight": null,
                "profile_medium": "avatar/athlete/medium.png",
                "profile": "avatar/athlete/large.png", "friend": null, "follower": null}"#,
        ),
    )
    .await;
    let none = no_user_request(&mut server).await;

    let session = strava.validate_code(CODE, None, None).await.unwrap();
    none.assert_async().await;
    assert_eq!(session.key().to_string(), "strava:47690079");
    let user = &session.provider_user;
    assert_eq!(user.username, None);
    assert_eq!(user.city, None);
    assert_eq!(user.weight, None);
    assert_eq!(user.profile.as_deref(), Some("avatar/athlete/large.png"));
    let profile = session.profile();
    assert_eq!(profile.name.as_deref(), Some("Alex Wilson"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.avatar_url, None, "the placeholder is not a URL");
}

#[test]
fn profile_picture_falls_back_to_the_medium_one_and_names_are_trimmed() {
    let user: StravaUser = serde_json::from_str(
        r#"{"id": 7, "firstname": "  ", "lastname": "Solo", "username": " ",
            "profile": "avatar/athlete/large.png",
            "profile_medium": "https://dgalywyr863hv.cloudfront.net/pictures/athletes/7/medium.jpg"}"#,
    )
    .unwrap();
    let profile = user.profile();
    assert_eq!(profile.id, "7");
    assert_eq!(profile.name.as_deref(), Some("Solo"));
    assert_eq!(profile.username, None);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://dgalywyr863hv.cloudfront.net/pictures/athletes/7/medium.jpg")
    );

    // Only an id: a user, with an empty profile.
    let bare: StravaUser = serde_json::from_str(r#"{"id": 8}"#).unwrap();
    let profile = bare.profile();
    assert_eq!(profile.id, "8");
    assert_eq!(profile.name, None);
    assert_eq!(profile.avatar_url, None);
    assert_eq!(profile.email, None);
}

#[test]
fn the_athlete_round_trips_and_needs_an_id() {
    let user: StravaUser = serde_json::from_str(ATHLETE).unwrap();
    let round_trip: StravaUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);

    let err = serde_json::from_str::<StravaUser>(r#"{"firstname":"Joan"}"#).unwrap_err();
    assert!(err.to_string().contains("`id`"), "{err}");
}

/// The sign-in's error, checked to be a token-exchange `InvalidResponse` naming `field`.
fn assert_invalid_field(err: &Error, field: &str) {
    assert_eq!(err.code(), "FAILED_REQUEST");
    assert!(!err.is_retryable(), "a code exchange is never retried");
    let request = expect::assert_invalid_response(err, Phase::TokenExchange, Some(field));
    assert_eq!(request.provider(), "strava");
    assert!(err.to_string().contains(field), "{err}");
}

#[tokio::test]
async fn a_token_response_without_athlete_is_an_invalid_response() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    let token = mock_token(
        &mut server,
        &format!(
            r#"{{"token_type":"Bearer","expires_at":1568775134,"expires_in":21600,
                "refresh_token":"{REFRESH_TOKEN}","access_token":"{ACCESS_TOKEN}"}}"#
        ),
    )
    .await;
    let none = no_user_request(&mut server).await;

    let err = strava.validate_code(CODE, None, None).await.unwrap_err();
    token.assert_async().await;
    none.assert_async().await;
    assert_invalid_field(&err, "athlete");
    assert_eq!(strava.adapter().user_count(), 0);
    let text = format!("{err} {err:?}");
    assert!(!text.contains(ACCESS_TOKEN), "{text}");
    assert!(!text.contains(REFRESH_TOKEN), "{text}");
}

#[tokio::test]
async fn an_athlete_with_a_string_id_names_the_field() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    mock_token(
        &mut server,
        &tokens_with(r#"{"id": "134815", "firstname": "Joan", "lastname": "Marie"}"#),
    )
    .await;
    let none = no_user_request(&mut server).await;
    let err = strava.validate_code(CODE, None, None).await.unwrap_err();
    none.assert_async().await;
    assert_invalid_field(&err, "athlete.id");
}

#[tokio::test]
async fn a_null_athlete_or_one_without_an_id_is_refused() {
    for (athlete, field) in [
        ("null", "athlete"),
        (r#""134815""#, "athlete"),
        (r#"{"firstname": "Joan"}"#, "athlete"),
        (r#"{"id": 134815, "firstname": 42}"#, "athlete.firstname"),
    ] {
        let mut server = Server::new_async().await;
        let strava = client(&server);
        mock_token(&mut server, &tokens_with(athlete)).await;
        let err = strava.validate_code(CODE, None, None).await.unwrap_err();
        assert_invalid_field(&err, field);
    }
}

#[tokio::test]
async fn stravas_fault_on_a_spent_code_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .reply(
            400,
            STRAVA_JSON,
            r#"{"message":"Bad Request","errors":[{"resource":"AuthorizationCode","field":"code","code":"invalid"}]}"#,
        )
        .await;
    let none = no_user_request(&mut server).await;

    let err = strava.validate_code(CODE, None, None).await.unwrap_err();
    none.assert_async().await;
    assert_eq!(err.code(), "FAILED_REQUEST");
    assert!(!err.is_retryable());
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        400,
        STRAVA_JSON,
        "AuthorizationCode",
    );
    assert_eq!(strava.adapter().user_count(), 0);
}

#[tokio::test]
async fn token_error_is_a_typed_oauth_error() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    let auth = strava.authorization_url();
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"Authorization code is invalid"}"#,
        )
        .await;
    let none = no_user_request(&mut server).await;

    let err = strava
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    none.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Authorization code is invalid"),
    );
    assert_eq!(strava.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body(
            "<!DOCTYPE html><html><body><h1>Strava is temporarily unavailable</h1></body></html>",
        )
        .create_async()
        .await;
    let err = strava.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "temporarily unavailable",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_token_json_names_the_problem() {
    // Strava has no user endpoint: the JSON that can be broken is the token response.
    let mut server = Server::new_async().await;
    let strava = client(&server);
    mock_token(
        &mut server,
        &format!(r#"{{"token_type":"Bearer","access_token":"{ACCESS_TOKEN}","athlete":{{"id":"#),
    )
    .await;
    let err = strava.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::TokenExchange, None);
    assert!(!err.to_string().contains(ACCESS_TOKEN), "{err}");
}

#[tokio::test]
async fn refresh_sends_the_documented_form_and_keeps_the_new_refresh_token() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        // Strava's documented refresh response: no athlete, a new refresh token.
        .reply(
            200,
            STRAVA_JSON,
            r#"{"token_type":"Bearer","access_token":"a9b723d1c0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5",
                "expires_at":1568775134,"expires_in":20566,
                "refresh_token":"b5c569d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2"}"#,
        )
        .await;
    let tokens = strava
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "a9b723d1c0e9f8a7b6c5d4e3f2a1b0c9d8e7f6a5"
    );
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 20566);
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "b5c569d8e7f6a5b4c3d2e1f0a9b8c7d6e5f4a3b2",
        "Strava invalidates the old refresh token: the new one is kept"
    );

    // A refresh response carries no athlete: the user cannot be read from it.
    let none = no_user_request(&mut server).await;
    let err = strava.fetch_user(&tokens).await.unwrap_err();
    none.assert_async().await;
    expect::assert_invalid_response(&err, Phase::TokenExchange, Some("athlete"));
}

#[tokio::test]
async fn a_failed_refresh_reports_stravas_fault() {
    let mut server = Server::new_async().await;
    let strava = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", STRAVA_JSON)
        .with_body(r#"{"message":"Bad Request","errors":[{"resource":"RefreshToken","field":"refresh_token","code":"invalid"}]}"#)
        .expect(1)
        .create_async()
        .await;
    let err = strava
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::Refresh, 400, STRAVA_JSON, "RefreshToken");
    assert!(!err.is_retryable(), "a 400 is not retried");
}

#[test]
fn debug_output_holds_no_secret() {
    let strava = OAuthClient::new(Strava::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&strava, CLIENT_SECRET);
}
