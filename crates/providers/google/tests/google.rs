//! Google against a mock of its documented endpoints, with ID tokens signed here: the
//! exact requests we send, what we make of Google's responses, and every way an ID token
//! is refused.

use std::time::{Duration, SystemTime};

use mockito::{Matcher, Server};
use portcullis::{
    AccessToken, CallbackError, CallbackParams, ClientConfig, Error, IdTokenError, MemoryAdapter,
    OAuthClient, OAuthProvider, Phase, Provider, ProviderUser, RefreshToken, USER_AGENT, Url,
};
use portcullis_google::{AccessType, Google, GoogleUser};
use portcullis_oidc::{Clock, Jwks};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const REDIRECT: &str = "http://localhost:3000/login/google/callback";
const CLIENT_ID: &str = "407408718192-5u0sb1qlm2tvj3jvg0e6f7pe3e8mj1mk.apps.googleusercontent.com";
const CLIENT_SECRET: &str = "GOCSPX-s3cr3t-client";
const CALENDAR: &str = "https://www.googleapis.com/auth/calendar.readonly";
const ACCESS_TOKEN: &str = "ya29.a0AfB_byC9Xk2vQ7mN3pR8sT1uV4wY6zA0bD5eF2gH9jK";
const REFRESH_TOKEN: &str = "1//0gFbZxQ3yT5rL2CgYIARAAGBASNwF-L9IrW7nXvB8";

/// The `kid` of the test key, shaped like Google's.
const KID: &str = "6719678351a5faedc2e70274bbea62da2a8c4a12";
const SUB: &str = "110169484474386276334";
/// A nonce for `validate_code` calls made without an authorization URL.
const NONCE: &str = "n-0S6_WzA2Mj";

/// Google takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The claims of an ID token as Google issues it for `openid email profile`.
fn id_claims(nonce: &str) -> Value {
    let now = now();
    json!({
        "iss": "https://accounts.google.com",
        "azp": CLIENT_ID,
        "aud": CLIENT_ID,
        "sub": SUB,
        "hd": "example.com",
        "email": "jane.doe@example.com",
        "email_verified": true,
        "at_hash": Signer::rs256(KID).at_hash(ACCESS_TOKEN),
        "nonce": nonce,
        "name": "Jane Doe",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocJ0Fq3hXyZ=s96-c",
        "given_name": "Jane",
        "family_name": "Doe",
        "iat": now,
        "exp": now + 3599,
    })
}

/// A token response as Google sends it for `openid email profile` with offline access,
/// with an ID token for `nonce`.
fn tokens_offline(nonce: &str) -> String {
    json!({
        "access_token": ACCESS_TOKEN,
        "expires_in": 3599,
        "refresh_token": REFRESH_TOKEN,
        "scope": "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email",
        "token_type": "Bearer",
        "id_token": Signer::rs256(KID).sign(&id_claims(nonce)),
    })
    .to_string()
}

/// The same without offline access: no refresh token; the ID token has `claims`.
fn tokens_online_with(claims: &Value) -> String {
    json!({
        "access_token": ACCESS_TOKEN,
        "expires_in": 3599,
        "scope": "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email",
        "token_type": "Bearer",
        "id_token": Signer::rs256(KID).sign(claims),
    })
    .to_string()
}

fn tokens_online(nonce: &str) -> String {
    tokens_online_with(&id_claims(nonce))
}

/// UserInfo for a Google Workspace account, scopes `openid email profile`.
const USER: &str = r#"{
  "sub": "110169484474386276334",
  "name": "Jane Doe",
  "given_name": "Jane",
  "family_name": "Doe",
  "picture": "https://lh3.googleusercontent.com/a/ACg8ocJ0Fq3hXyZ=s96-c",
  "email": "jane.doe@example.com",
  "email_verified": true,
  "locale": "en",
  "hd": "example.com"
}"#;

type Client = OAuthClient<Google, MemoryAdapter<String>>;

/// `google` pointed at the mock: endpoints rebased, key set at the mock's `/oauth2/v3/certs`.
fn client(server: &Server, google: Google, config: ClientConfig) -> Client {
    let google = google.jwks(Jwks::new(
        format!("{}/oauth2/v3/certs", server.url()).parse().unwrap(),
    ));
    expect::client(google, config, server)
}

/// Google's key set, expected to be fetched `times` times.
async fn mock_certs(server: &mut Server, times: usize) -> mockito::Mock {
    let mut jwk = Signer::rs256(KID).jwk();
    jwk["use"] = json!("sig");
    server
        .mock("GET", "/oauth2/v3/certs")
        .match_header("accept", "application/json")
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", "application/json; charset=UTF-8")
        .with_body(json!({ "keys": [jwk] }).to_string())
        .expect(times)
        .create_async()
        .await
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// The expected code exchange, for each test to answer as it needs.
fn code_exchange(server: &mut Server, verifier: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", "4/0AQSTgQE-the-code"),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, "/token", CREDENTIALS, &form)
}

async fn mock_token(server: &mut Server, verifier: &str, body: String) -> mockito::Mock {
    code_exchange(server, verifier)
        .reply(200, "application/json; charset=utf-8", body)
        .await
}

async fn mock_userinfo(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", "/v1/userinfo", &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, "application/json; charset=UTF-8", body)
        .await
}

fn callback(auth: &portcullis::AuthorizationUrl) -> CallbackParams {
    callback_for(auth, "4/0AQSTgQE-the-code")
}

#[test]
fn endpoints_are_those_of_the_discovery_document() {
    let endpoints = Google::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://accounts.google.com/o/oauth2/v2/auth"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://oauth2.googleapis.com/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://oauth2.googleapis.com/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://openidconnect.googleapis.com/v1/userinfo")
    );
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some("https://accounts.google.com")
    );
    assert_eq!(
        Google::new()
            .endpoints()
            .rebased("http://127.0.0.1:1")
            .unwrap()
            .issuer,
        endpoints.issuer,
        "rebasing keeps the issuer checked on callbacks"
    );
    assert_eq!(
        Google::new().key_set().url().as_str(),
        "https://www.googleapis.com/oauth2/v3/certs"
    );
    assert_eq!(portcullis_google::ISSUER, "https://accounts.google.com");
}

#[test]
fn authorization_url_has_every_parameter() {
    let google = OAuthClient::new(
        Google::new().access_type(AccessType::Offline),
        config().scope(CALENDAR),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = google.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://accounts.google.com"
    );
    assert_eq!(auth.url.path(), "/o/oauth2/v2/auth");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert!(state.len() >= 22, "state has at least 128 bits");
    let verifier = auth.pending.code_verifier().unwrap();
    assert_eq!(
        challenge,
        s256_challenge(verifier),
        "S256 challenge of the kept verifier"
    );
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce(), "nonce is kept");
    assert!(nonce.len() >= 22, "nonce has at least 128 bits");
    assert_ne!(nonce, state);

    let scope = format!("openid email profile {CALENDAR}");
    let expected: Vec<(&str, &str)> = vec![
        ("access_type", "offline"),
        ("client_id", CLIENT_ID),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", &scope),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "google");

    let again = google.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.nonce(), auth.pending.nonce(), "fresh nonce");
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn access_type_is_sent_only_when_chosen() {
    let url = |google: Google, config: ClientConfig| {
        let client = OAuthClient::new(google, config, MemoryAdapter::<String>::new()).unwrap();
        query_of(&client.authorization_url().url)
    };

    // Google's documented default is `online`: nothing to send.
    let default = url(Google::new(), config());
    assert!(!default.contains_key("access_type"), "{default:?}");
    assert!(!default.contains_key("prompt"));
    assert_eq!(default["scope"], "openid email profile");

    let online = url(Google::new().access_type(AccessType::Online), config());
    assert_eq!(online["access_type"], "online");

    // A refresh token again on a later sign-in: offline plus the app's `prompt=consent`.
    let consent = url(
        Google::new().access_type(AccessType::Offline),
        config().authorization_param("prompt", "consent"),
    );
    assert_eq!(consent["access_type"], "offline");
    assert_eq!(consent["prompt"], "consent");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Google::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let google = client(
        &server,
        Google::new().access_type(AccessType::Offline),
        config(),
    );
    let certs = mock_certs(&mut server, 1).await;
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(
        &mut server,
        &verifier,
        tokens_offline(auth.pending.nonce().unwrap()),
    )
    .await;
    let user = mock_userinfo(&mut server, 200, USER).await;

    let session = google
        .validate_callback(&callback(&auth), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, "110169484474386276334");
    assert_eq!(session.key().to_string(), "google:110169484474386276334");
    let typed = &session.provider_user;
    assert_eq!(typed.sub, "110169484474386276334");
    assert_eq!(typed.given_name.as_deref(), Some("Jane"));
    assert_eq!(typed.family_name.as_deref(), Some("Doe"));
    assert_eq!(typed.email_verified, Some(true));
    assert_eq!(typed.locale.as_deref(), Some("en"));
    assert_eq!(typed.hd.as_deref(), Some("example.com"));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3599);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(tokens.has_scope("openid"));
    assert!(tokens.has_scope("https://www.googleapis.com/auth/userinfo.email"));
    assert!(
        tokens
            .id_token()
            .unwrap()
            .secret()
            .starts_with("eyJhbGciOiJSUzI1NiIs"),
        "the ID token is kept"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "110169484474386276334");
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.username, None, "Google has no usernames");
    assert_eq!(profile.email.as_deref(), Some("jane.doe@example.com"));
    assert!(profile.email_verified);
    assert_eq!(profile.verified_email(), Some("jane.doe@example.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://lh3.googleusercontent.com/a/ACg8ocJ0Fq3hXyZ=s96-c")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("jane".to_owned()).await.unwrap();
    assert_eq!(google.adapter().user_count(), 1);

    // The same identity signs in again (no refresh token this time: not first consent);
    // Google's keys are cached.
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        tokens_online(auth.pending.nonce().unwrap()),
    )
    .await;
    mock_userinfo(&mut server, 200, USER).await;
    let session = google
        .validate_callback(&callback(&auth), &auth.pending)
        .await
        .unwrap();
    assert!(session.tokens.refresh_token().is_none());
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(google.adapter().user_count(), 1);
    certs.assert_async().await;
}

#[tokio::test]
async fn unverified_email_is_not_verified() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    mock_certs(&mut server, 1).await;
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let mut claims = id_claims(auth.pending.nonce().unwrap());
    claims["sub"] = json!("104729846590216743921");
    claims["email"] = json!("sam.roe@example.org");
    claims["email_verified"] = json!(false);
    claims.as_object_mut().unwrap().remove("hd");
    mock_token(&mut server, &verifier, tokens_online_with(&claims)).await;
    mock_userinfo(
        &mut server,
        200,
        r#"{"sub":"104729846590216743921","name":"Sam Roe","given_name":"Sam","family_name":"Roe",
            "picture":"https://lh3.googleusercontent.com/a/default-user=s96-c",
            "email":"sam.roe@example.org","email_verified":false}"#,
    )
    .await;

    let session = google
        .validate_callback(&callback(&auth), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.email_verified, Some(false));
    assert_eq!(session.provider_user.hd, None, "a personal account");
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("sam.roe@example.org"));
    assert!(!profile.email_verified);
    assert_eq!(profile.verified_email(), None);
}

#[test]
fn email_verified_is_read_leniently_but_never_guessed() {
    let parse = |json: &str| serde_json::from_str::<GoogleUser>(json);

    for (claim, expected) in [
        (r#""email_verified":true"#, Some(true)),
        (r#""email_verified":"true""#, Some(true)),
        (r#""email_verified":"TRUE""#, Some(true)),
        (r#""email_verified":false"#, Some(false)),
        (r#""email_verified":"false""#, Some(false)),
        (r#""email_verified":null"#, None),
    ] {
        let user = parse(&format!(r#"{{"sub":"1","email":"a@example.com",{claim}}}"#)).unwrap();
        assert_eq!(user.email_verified, expected, "{claim}");
        assert_eq!(
            user.profile().email_verified,
            expected == Some(true),
            "{claim}"
        );
    }

    // Without the `email` scope: only `sub` (and the profile claims).
    let user = parse(r#"{"sub":"1","name":"N"}"#).unwrap();
    assert_eq!(user.email_verified, None);
    assert_eq!(user.profile().email, None);
    assert!(!user.profile().email_verified);

    // A claim without an address verifies nothing.
    let user = parse(r#"{"sub":"1","email_verified":true}"#).unwrap();
    assert!(!user.profile().email_verified);

    for bad in [r#""yes""#, "1", r#""""#] {
        let json = format!(r#"{{"sub":"1","email":"a@example.com","email_verified":{bad}}}"#);
        assert!(parse(&json).is_err(), "{bad} is not a verdict");
    }

    let user = parse(USER).unwrap();
    let round_trip: GoogleUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);
}

/// The access token of a refresh response.
const REFRESHED_ACCESS_TOKEN: &str = "ya29.a0AfB_byD-refreshed";

/// The claims of the ID token of a refresh: a sign-in's, without `nonce` (OpenID
/// Connect Core 1.0 §12.2), with the `at_hash` of the new access token.
fn refreshed_claims() -> Value {
    let mut claims = id_claims("");
    claims.as_object_mut().unwrap().remove("nonce");
    claims["at_hash"] = json!(Signer::rs256(KID).at_hash(REFRESHED_ACCESS_TOKEN));
    claims
}

/// The token endpoint answering the next refresh, once, with a new access token and
/// `id_token`.
async fn answer_refresh(server: &mut Server, id_token: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let body = json!({
        "access_token": REFRESHED_ACCESS_TOKEN,
        "expires_in": 3599,
        "scope": "openid https://www.googleapis.com/auth/userinfo.profile https://www.googleapis.com/auth/userinfo.email",
        "token_type": "Bearer",
        "id_token": id_token,
    });
    expect::token_request(server, "/token", CREDENTIALS, &form)
        .reply(200, "application/json; charset=utf-8", body.to_string())
        .await
}

#[tokio::test]
async fn refresh_keeps_the_refresh_token_google_does_not_rotate() {
    let mut server = Server::new_async().await;
    let google = client(
        &server,
        Google::new().access_type(AccessType::Offline),
        config(),
    );
    let certs = mock_certs(&mut server, 1).await;
    let mock = answer_refresh(&mut server, &Signer::rs256(KID).sign(&refreshed_claims())).await;

    let tokens = google
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    certs.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "ya29.a0AfB_byD-refreshed");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3599);
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN,
        "the old refresh token stays usable"
    );
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let google = client(
        &server,
        Google::new().access_type(AccessType::Offline),
        config(),
    );
    let certs = mock_certs(&mut server, 1).await;
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());
    let refresh = || google.refresh(&refresh_token);

    let id_token = Signer::rs256(KID).sign(&refreshed_claims());
    let mock = answer_refresh(&mut server, &id_token).await;
    let tokens = refresh().await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_client = refreshed_claims();
    other_client["aud"] = json!("1234987819200.apps.googleusercontent.com");
    other_client["azp"] = json!("1234987819200.apps.googleusercontent.com");
    let mut other_issuer = refreshed_claims();
    other_issuer["iss"] = json!("https://accounts.evil.example");
    let mut old_access_token = refreshed_claims();
    old_access_token["at_hash"] = json!(Signer::rs256(KID).at_hash(ACCESS_TOKEN));
    let mut someone_else = refreshed_claims();
    someone_else["sub"] = json!("104729846590216743921");
    someone_else["email"] = json!("sam.roe@example.org");
    for (forged, expected) in [
        (
            Signer::rs256(KID).sign(&other_client),
            IdTokenError::Audience,
        ),
        (
            Signer::rs256(KID).sign(&other_issuer),
            IdTokenError::Issuer {
                expected: "https://accounts.google.com".to_owned(),
                found: "https://accounts.evil.example".to_owned(),
            },
        ),
        (
            Signer::rs256(KID).sign(&old_access_token),
            IdTokenError::Claim {
                claim: "at_hash".to_owned(),
            },
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
    ] {
        let mock = answer_refresh(&mut server, &forged).await;
        assert_eq!(id_token_error(refresh().await), expected);
        mock.assert_async().await;
    }
    // Google's keys are cached.
    certs.assert_async().await;
}

#[tokio::test]
async fn revoke_sends_the_token_and_reports_google_errors() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let ok = expect::token_request(&mut server, "/revoke", CREDENTIALS, &form)
        .reply(200, "application/json; charset=utf-8", "{}")
        .await;
    google
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    ok.assert_async().await;

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let expired = expect::token_request(&mut server, "/revoke", CREDENTIALS, &form)
        .reply(
            400,
            "application/json; charset=utf-8",
            r#"{"error":"invalid_token","error_description":"Token expired or revoked"}"#,
        )
        .await;
    let err = google
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expired.assert_async().await;
    let request = expect::assert_oauth_error(
        &err,
        Phase::Revoke,
        400,
        "invalid_token",
        Some("Token expired or revoked"),
    );
    assert_eq!(request.provider(), "google");
    assert!(!err.is_retryable());
    assert!(!err.to_string().contains(ACCESS_TOKEN), "{err}");
}

#[tokio::test]
async fn invalid_grant_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = code_exchange(&mut server, &verifier)
        .reply(
            400,
            "application/json; charset=utf-8",
            r#"{"error":"invalid_grant","error_description":"Bad Request"}"#,
        )
        .await;
    let user = server
        .mock("GET", "/v1/userinfo")
        .expect(0)
        .create_async()
        .await;

    let err = google
        .validate_callback(&callback(&auth), &auth.pending)
        .await
        .unwrap_err();
    token.assert_async().await;
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Bad Request"),
    );
    assert_eq!(google.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    server
        .mock("POST", "/token")
        .with_status(500)
        .with_header("content-type", "text/html; charset=UTF-8")
        .with_body(
            "<!DOCTYPE html>\n<html lang=en>\n  <meta charset=utf-8>\n  <title>Error 500 (Server Error)!!1</title>\n  <p><b>500.</b> <ins>That’s an error.</ins>\n  <p>There was an error. Please try again later. <ins>That’s all we know.</ins>",
        )
        .expect(1)
        .create_async()
        .await;
    let err = google
        .validate_code("4/0AQSTgQE-the-code", Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=UTF-8",
        "Error 500 (Server Error)",
    );
    assert!(
        !err.is_retryable(),
        "never for a code exchange, even on a 500"
    );
}

#[tokio::test]
async fn invalid_userinfo_json_names_the_problem() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    mock_certs(&mut server, 1).await;
    server
        .mock("POST", "/token")
        .with_header("content-type", JSON)
        .with_body(tokens_online(NONCE))
        .create_async()
        .await;

    mock_userinfo(
        &mut server,
        200,
        r#"{"sub":"110169484474386276334","name":"#,
    )
    .await;
    let err = google
        .validate_code("4/0AQSTgQE-the-code", Some("v"), Some(NONCE))
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("google user request failed"),
        "{err}"
    );

    // No `sub`: no identity, whatever else is there.
    // The keys are cached: no second fetch.
    server.reset();
    server
        .mock("POST", "/token")
        .with_header("content-type", JSON)
        .with_body(tokens_online(NONCE))
        .create_async()
        .await;
    mock_userinfo(
        &mut server,
        200,
        r#"{"email":"jane.doe@example.com","email_verified":true}"#,
    )
    .await;
    let err = google
        .validate_code("4/0AQSTgQE-the-code", Some("v"), Some(NONCE))
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("sub"));
    assert_eq!(google.adapter().user_count(), 0);
}

#[tokio::test]
async fn callback_from_another_issuer_sends_nothing() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    let token = server.mock("POST", "/token").expect(0).create_async().await;
    let auth = google.authorization_url();

    let forged = CallbackParams::from_query(&format!(
        "state={}&code=4%2F0AQSTgQE-the-code&scope=email+profile+openid&iss=https%3A%2F%2Fevil.example",
        auth.pending.state()
    ))
    .unwrap();
    let err = google
        .validate_callback(&forged, &auth.pending)
        .await
        .unwrap_err();
    match &err {
        Error::Callback(CallbackError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, "https://accounts.google.com");
            assert_eq!(found, "https://evil.example");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "ISSUER_MISMATCH");
    token.assert_async().await;
}

#[tokio::test]
async fn callback_with_googles_issuer_signs_in() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    mock_certs(&mut server, 1).await;
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(
        &mut server,
        &verifier,
        tokens_online(auth.pending.nonce().unwrap()),
    )
    .await;
    let user = mock_userinfo(&mut server, 200, USER).await;

    // What Google appends to the redirect URI.
    let params = CallbackParams::from_query(&format!(
        "state={}&iss=https%3A%2F%2Faccounts.google.com&code=4%2F0AQSTgQE-the-code\
         &scope=email+profile+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.email+openid+https%3A%2F%2Fwww.googleapis.com%2Fauth%2Fuserinfo.profile\
         &authuser=0&hd=example.com&prompt=none",
        auth.pending.state()
    ))
    .unwrap();
    let session = google
        .validate_callback(&params, &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;
    assert_eq!(session.key().to_string(), "google:110169484474386276334");
}

#[test]
fn debug_output_holds_no_secret() {
    let google = OAuthClient::new(Google::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&google, CLIENT_SECRET);
}

/// A sign-in whose ID token has `claims` (with the sign-in's nonce unless `keep_nonce`),
/// and the UserInfo endpoint expected `userinfo_calls` times.
async fn sign_in_with(
    server: &mut Server,
    google: &Client,
    mut claims: Value,
    keep_nonce: bool,
    userinfo_calls: usize,
) -> Result<portcullis::ProviderSession<GoogleUser, MemoryAdapter<String>>, Error> {
    let auth = google.authorization_url();
    if !keep_nonce {
        claims["nonce"] = json!(auth.pending.nonce().unwrap());
    }
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = mock_token(server, &verifier, tokens_online_with(&claims)).await;
    let user = mock_userinfo_times(server, USER, userinfo_calls).await;
    let result = google
        .validate_callback(&callback(&auth), &auth.pending)
        .await;
    token.assert_async().await;
    user.assert_async().await;
    user.remove_async().await;
    result
}

async fn mock_userinfo_times(server: &mut Server, body: &str, times: usize) -> mockito::Mock {
    expect::api_request(server, "GET", "/v1/userinfo", &[], ACCESS_TOKEN)
        .expect(times)
        .reply(200, "application/json; charset=UTF-8", body)
        .await
}

#[tokio::test]
async fn a_token_for_another_client_issuer_or_sign_in_is_refused_before_userinfo() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    let certs = mock_certs(&mut server, 1).await;

    let mut other_client = id_claims("");
    other_client["aud"] = json!("1234987819200.apps.googleusercontent.com");
    other_client["azp"] = json!("1234987819200.apps.googleusercontent.com");
    let err = id_token_error(sign_in_with(&mut server, &google, other_client, false, 0).await);
    assert_eq!(err, IdTokenError::Audience);

    // Another client that had itself added to `aud`: `azp` gives it away.
    let mut other_party = id_claims("");
    other_party["azp"] = json!("1234987819200.apps.googleusercontent.com");
    let err = id_token_error(sign_in_with(&mut server, &google, other_party, false, 0).await);
    assert_eq!(err, IdTokenError::Audience);

    let mut other_issuer = id_claims("");
    other_issuer["iss"] = json!("https://accounts.evil.example");
    let err = id_token_error(sign_in_with(&mut server, &google, other_issuer, false, 0).await);
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: "https://accounts.google.com".to_owned(),
            found: "https://accounts.evil.example".to_owned(),
        }
    );

    let err = id_token_error(
        sign_in_with(&mut server, &google, id_claims("another-sign-in"), true, 0).await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    let mut other_access_token = id_claims("");
    other_access_token["at_hash"] = json!(Signer::rs256(KID).at_hash("ya29.another-token"));
    let err =
        id_token_error(sign_in_with(&mut server, &google, other_access_token, false, 0).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );

    // Signed claims with another `sub` pasted in.
    let auth = google.authorization_url();
    let mut claims = id_claims(auth.pending.nonce().unwrap());
    let signed = Signer::rs256(KID).sign(&claims);
    claims["sub"] = json!("104729846590216743921");
    let forged = tamper(&signed, &claims);
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let body = json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer",
                      "scope": "openid", "id_token": forged});
    mock_token(&mut server, &verifier, body.to_string()).await;
    let err = id_token_error(
        google
            .validate_callback(&callback(&auth), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Signature);

    certs.assert_async().await;
    assert_eq!(google.adapter().user_count(), 0);
}

#[tokio::test]
async fn both_documented_issuers_sign_in_and_no_other_spelling() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    let certs = mock_certs(&mut server, 1).await;
    assert_eq!(portcullis_google::LEGACY_ISSUER, "accounts.google.com");
    // Google documents `iss` as `https://accounts.google.com` or, for legacy
    // implementations, `accounts.google.com`: both are Google's.
    for iss in ["https://accounts.google.com", "accounts.google.com"] {
        let mut claims = id_claims("");
        claims["iss"] = json!(iss);
        let session = sign_in_with(&mut server, &google, claims, false, 1)
            .await
            .unwrap();
        assert_eq!(session.provider_user.sub, SUB, "{iss}");
    }
    // Other spellings are other issuers, named against Google's.
    for iss in [
        "http://accounts.google.com",
        "accounts.google.com/",
        "https://accounts.google.com/",
        "ACCOUNTS.GOOGLE.COM",
        "accounts.google.com.evil.example",
    ] {
        let mut claims = id_claims("");
        claims["iss"] = json!(iss);
        let err = id_token_error(sign_in_with(&mut server, &google, claims, false, 0).await);
        assert_eq!(
            err,
            IdTokenError::Issuer {
                expected: "https://accounts.google.com".to_owned(),
                found: iss.to_owned(),
            }
        );
    }
    certs.assert_async().await;
}

#[tokio::test]
async fn userinfo_for_another_user_is_refused() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    mock_certs(&mut server, 1).await;
    let mut claims = id_claims("");
    claims["sub"] = json!("104729846590216743921");
    // USER is 110169484474386276334.
    let err = id_token_error(sign_in_with(&mut server, &google, claims, false, 1).await);
    assert_eq!(err, IdTokenError::SubjectMismatch);
    assert_eq!(google.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_token_is_checked_against_the_clock_given() {
    let mut server = Server::new_async().await;
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let google = client(
        &server,
        Google::new().clock(Clock::from_fn(move || later)),
        config(),
    );
    mock_certs(&mut server, 1).await;
    let err = id_token_error(sign_in_with(&mut server, &google, id_claims(""), false, 0).await);
    assert_eq!(
        err,
        IdTokenError::Expired,
        "valid an hour, checked two hours later"
    );

    // A generous leeway lets the same token through.
    let google = client(
        &server,
        Google::new()
            .clock(Clock::from_fn(move || later))
            .leeway(Duration::from_secs(3 * 3600)),
        config(),
    );
    mock_certs(&mut server, 1).await;
    sign_in_with(&mut server, &google, id_claims(""), false, 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn no_id_token_or_no_nonce_is_no_sign_in() {
    let mut server = Server::new_async().await;
    let google = client(&server, Google::new(), config());
    let certs = mock_certs(&mut server, 0).await;
    let user = mock_userinfo_times(&mut server, USER, 0).await;

    // `openid` is always requested: a response without an ID token is refused.
    let auth = google.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let body = json!({"access_token": ACCESS_TOKEN, "expires_in": 3599, "token_type": "Bearer",
                      "scope": "openid"});
    mock_token(&mut server, &verifier, body.to_string()).await;
    let err = id_token_error(
        google
            .validate_callback(&callback(&auth), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Missing);

    // Without the sign-in's nonce, the ID token proves nothing.
    server
        .mock("POST", "/token")
        .with_header("content-type", JSON)
        .with_body(tokens_online(NONCE))
        .create_async()
        .await;
    let err = id_token_error(
        google
            .validate_code("4/0AQSTgQE-the-code", Some("v"), None)
            .await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    // Nor from stored tokens, which have no nonce to check.
    let tokens = google
        .exchange_code("4/0AQSTgQE-the-code", Some("v"))
        .await
        .unwrap();
    let err = id_token_error(google.fetch_user(&tokens).await);
    assert_eq!(err, IdTokenError::Nonce);

    certs.assert_async().await;
    user.assert_async().await;
}
