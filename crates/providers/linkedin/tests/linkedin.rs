//! LinkedIn against a mock of its documented endpoints: the exact requests we send and
//! what we make of LinkedIn's responses.

use std::time::Duration;

use mockito::{Matcher, Server};
use portcullis::{
    ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderUser,
    RefreshToken, Url,
};
use portcullis_linkedin::{LinkedIn, LinkedInLocale, LinkedInUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};

const CLIENT_ID: &str = "86yxs8w3wtrjlq";
const CLIENT_SECRET: &str = "WPL_AP1.s3cr3t-client.Fq8Ycw==";
const REDIRECT: &str = "http://localhost:3000/login/linkedin/callback";
const CODE: &str = "AQTQmah11lalyH65DAIivsjsAQV5P-1VTVVebnLl_SCiyMXoIjDmJ4s6rO1VBGP5Hx2542KaR_eNawkrWiCiAGxIaV-TCK-mkxDISDak08tdaBzgUYfnTJL1fHRoDWCcC2L6LXBCR_z2XHzeWSuqTkR1_jO8CeV9E_WshsJBgE-PWElyvsmfuEXLQbCLfj8CHasuLafFpGb0glO4d7M";

const TOKEN_PATH: &str = "/oauth/v2/accessToken";
const USER_PATH: &str = "/v2/userinfo";

const ACCESS_TOKEN: &str = "AQUvlL_DYEzvT2wz1QJiEPeLioeA";

/// The token response for `openid profile email`: LinkedIn lists the granted scopes
/// comma-separated and adds the ID token.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
  "expires_in": 5183999,
  "scope": "email,openid,profile",
  "token_type": "Bearer",
  "id_token": "eyJ6aXAiOiJERUYiLCJraWQiOiJkOTI5NjY4YS1iYWI1LTQ0NTQtYTI2Yi0yOGZmZjAxMmRiOTQiLCJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJodHRwczovL3d3dy5saW5rZWRpbi5jb20iLCJzdWIiOiI3ODJiYnRhUSJ9.c2lnbmF0dXJl"
}"#;

/// The same for a partner app with programmatic refresh tokens.
const TOKEN_RESPONSE_WITH_REFRESH: &str = r#"{
  "access_token": "AQUvlL_DYEzvT2wz1QJiEPeLioeA",
  "expires_in": 5183999,
  "refresh_token": "AQWAft_WjYZKwuWXLC5hQlghgTam",
  "refresh_token_expires_in": 31535999,
  "scope": "email,openid,profile",
  "token_type": "Bearer",
  "id_token": "eyJ6aXAiOiJERUYiLCJhbGciOiJSUzI1NiJ9.eyJzdWIiOiI3ODJiYnRhUSJ9.c2lnbmF0dXJl"
}"#;

/// The documented UserInfo response.
const USER: &str = r#"{
  "sub": "782bbtaQ",
  "name": "John Doe",
  "given_name": "John",
  "family_name": "Doe",
  "picture": "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/",
  "locale": "en-US",
  "email": "doe@email.com",
  "email_verified": true
}"#;

/// LinkedIn takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

fn client(server: &Server) -> OAuthClient<LinkedIn, MemoryAdapter<String>> {
    expect::client(LinkedIn::new(), config(), server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn user(json: &str) -> LinkedInUser {
    serde_json::from_str(json).unwrap()
}

/// The code exchange as LinkedIn documents it: no PKCE, id and secret in the body.
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
        .match_body(Matcher::Exact(String::new()))
        .reply(status, JSON, body)
        .await
}

#[test]
fn endpoints_are_those_linkedin_documents() {
    let endpoints = LinkedIn::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.linkedin.com/oauth/v2/authorization"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://www.linkedin.com/oauth/v2/accessToken"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.linkedin.com/v2/userinfo")
    );
    assert_eq!(endpoints.revocation, None, "LinkedIn documents none");
    assert_eq!(endpoints.issuer, None, "no RFC 9207 `iss` documented");
    let info = LinkedIn::INFO;
    assert_eq!(info.id, "linkedin", "Lucia's provider id");
    assert_eq!(info.user_id_field, "sub");
    assert_eq!(info.default_scopes, ["openid", "profile", "email"]);
}

#[test]
fn authorization_url_has_every_parameter() {
    let linkedin = OAuthClient::new(
        LinkedIn::new(),
        config().scope("w_member_social"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = linkedin.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.linkedin.com"
    );
    assert_eq!(auth.url.path(), "/oauth/v2/authorization");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce(), "nonce is kept");
    assert_ne!(nonce, state);
    let expected: Vec<(&str, &str)> = vec![
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "openid profile email w_member_social"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no code_challenge: LinkedIn has PKCE for approved native apps only"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.provider(), "linkedin");

    let again = linkedin.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.nonce(), auth.pending.nonce(), "fresh nonce");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        LinkedIn::new(),
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
    let linkedin = client(&server);
    let auth = linkedin.authorization_url();

    let token = mock_token(&mut server, 200, TOKEN_RESPONSE_WITH_REFRESH).await;
    let userinfo = mock_user(&mut server, 200, USER).await;

    let session = linkedin
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    userinfo.assert_async().await;

    assert_eq!(session.provider_user_id, "782bbtaQ");
    assert_eq!(session.key().to_string(), "linkedin:782bbtaQ");
    let typed = &session.provider_user;
    assert_eq!(typed.sub, "782bbtaQ");
    assert_eq!(typed.given_name.as_deref(), Some("John"));
    assert_eq!(typed.family_name.as_deref(), Some("Doe"));
    assert_eq!(typed.locale, Some(LinkedInLocale::Tag("en-US".to_owned())));
    assert_eq!(typed.email_verified, Some(true));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(5_183_999)));
    assert_eq!(
        tokens.scopes().unwrap(),
        ["email", "openid", "profile"],
        "LinkedIn's comma-separated scope list"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "AQWAft_WjYZKwuWXLC5hQlghgTam"
    );
    assert!(tokens.refresh_token_expires_at().is_some());
    assert!(
        tokens
            .id_token()
            .unwrap()
            .secret()
            .starts_with("eyJ6aXAiOiJERUYi"),
        "the ID token is kept"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "782bbtaQ");
    assert_eq!(profile.name.as_deref(), Some("John Doe"));
    assert_eq!(profile.username, None, "LinkedIn gives no username");
    assert_eq!(profile.email.as_deref(), Some("doe@email.com"));
    assert!(profile.email_verified);
    assert_eq!(profile.verified_email(), Some("doe@email.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://media.licdn-ei.com/dms/image/C5F03AQHqK8v7tB1HCQ/profile-displayphoto-shrink_100_100/0/"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("john".to_owned()).await.unwrap();
    assert_eq!(linkedin.adapter().user_count(), 1);

    // The same member signs in again: found, not created twice.
    let auth = linkedin.authorization_url();
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = linkedin
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert!(
        session.tokens.refresh_token().is_none(),
        "not a partner app"
    );
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(linkedin.adapter().user_count(), 1);
}

#[test]
fn locale_is_read_in_both_forms_linkedin_sends() {
    let documented = user(USER);
    assert_eq!(
        documented
            .locale
            .as_ref()
            .unwrap()
            .language_tag()
            .as_deref(),
        Some("en-US")
    );

    // The object form the API has sent (and Lucia typed).
    let object =
        user(r#"{"sub":"782bbtaQ","name":"John Doe","locale":{"country":"US","language":"en"}}"#);
    assert_eq!(
        object.locale,
        Some(LinkedInLocale::Parts {
            country: Some("US".to_owned()),
            language: Some("en".to_owned()),
        })
    );
    assert_eq!(
        object.locale.as_ref().unwrap().language_tag().as_deref(),
        Some("en-US")
    );

    let underscore = user(r#"{"sub":"782bbtaQ","locale":"de_DE"}"#);
    assert_eq!(
        underscore.locale.unwrap().language_tag().as_deref(),
        Some("de-DE")
    );

    // Both forms survive a round trip unchanged.
    for original in [documented, object] {
        let back: LinkedInUser =
            serde_json::from_str(&serde_json::to_string(&original).unwrap()).unwrap();
        assert_eq!(back, original);
    }
}

#[test]
fn email_is_verified_only_when_linkedin_says_so() {
    let unverified = user(
        r#"{"sub":"782bbtaQ","name":"John Doe","email":"doe@email.com","email_verified":false}"#,
    );
    assert!(!unverified.profile().email_verified);
    assert_eq!(unverified.profile().verified_email(), None);

    let unsaid = user(r#"{"sub":"782bbtaQ","email":"doe@email.com"}"#);
    assert!(!unsaid.profile().email_verified, "absent is not true");

    // Without the `email` scope: no address, nothing verified.
    let no_email = user(r#"{"sub":"782bbtaQ","email_verified":true}"#);
    assert_eq!(no_email.profile().email, None);
    assert!(!no_email.profile().email_verified);

    // A member without `name` is named from the parts; one without any has no name.
    let parts = user(r#"{"sub":"782bbtaQ","given_name":"John","family_name":"Doe"}"#);
    assert_eq!(parts.profile().name.as_deref(), Some("John Doe"));
    assert_eq!(user(r#"{"sub":"782bbtaQ"}"#).profile().name, None);
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_the_secret_in_the_body() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "AQWAft_WjYZKwuWXLC5hQlghgTam"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        // LinkedIn's refresh response as its programmatic-refresh docs show it: no
        // `token_type`, the same refresh token with its remaining lifetime.
        .reply(
            200,
            JSON,
            r#"{"access_token":"AQXNnd2kXITHELmWblJigsTMdfgha","expires_in":5183999,
                "refresh_token":"AQWAft_WjYZKwuWXLC5hQlghgTam","refresh_token_expires_in":26438399,
                "scope":"email,openid,profile"}"#,
        )
        .await;
    let tokens = linkedin
        .refresh(&RefreshToken::new(
            "AQWAft_WjYZKwuWXLC5hQlghgTam".to_owned(),
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "AQXNnd2kXITHELmWblJigsTMdfgha"
    );
    assert_eq!(tokens.token_type(), "Bearer", "absent means Bearer");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "AQWAft_WjYZKwuWXLC5hQlghgTam"
    );
    assert!(tokens.refresh_token_expires_at().is_some());
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    let auth = linkedin.authorization_url();
    mock_token(
        &mut server,
        400,
        r#"{"error":"invalid_request","error_description":"Unable to retrieve access token: appid/redirect uri/code verifier does not match authorization code. Or authorization code expired. Or external member binding exists"}"#,
    )
    .await;
    let userinfo = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = linkedin
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    userinfo.assert_async().await;
    let request =
        expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_request", None);
    let oauth = request.oauth_error().unwrap();
    assert!(
        oauth
            .description
            .as_deref()
            .unwrap()
            .starts_with("Unable to retrieve access token")
    );
    assert_eq!(linkedin.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>LinkedIn</title></head><body>Something went wrong</body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = linkedin.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=utf-8",
        "Something went wrong",
    );
    assert!(!err.is_retryable(), "never for a code exchange");
}

#[tokio::test]
async fn invalid_userinfo_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    // `sub` is the one claim that must be there.
    mock_user(
        &mut server,
        200,
        r#"{"name":"John Doe","email":"doe@email.com"}"#,
    )
    .await;
    let err = linkedin.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("sub"));
    assert!(
        err.to_string().contains("linkedin user request failed"),
        "{err}"
    );

    // Truncated JSON is reported as such.
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, r#"{"sub":"782bb"#).await;
    let err = linkedin.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
}

#[tokio::test]
async fn expired_token_at_userinfo_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    mock_token(&mut server, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        401,
        r#"{"error":"invalid_token","error_description":"The access token is invalid or has expired"}"#,
    )
    .await;
    let err = linkedin.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::UserInfo,
        401,
        "invalid_token",
        Some("The access token is invalid or has expired"),
    );
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let linkedin = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&linkedin).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let linkedin =
        OAuthClient::new(LinkedIn::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&linkedin, CLIENT_SECRET);
}
