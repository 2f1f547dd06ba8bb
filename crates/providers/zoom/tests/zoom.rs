//! Zoom against a mock of its documented endpoints: the exact requests we send and
//! what we make of Zoom's responses.

use std::time::Duration;

use mockito::Server;
use portcullis::{
    AccessToken, ClientConfig, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderUser, RefreshToken, Url,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use portcullis_zoom::{Zoom, ZoomUser};

const CLIENT_ID: &str = "qPGgSFkxQn6wzLDkQcWJrg";
const CLIENT_SECRET: &str = "Y7bD2kqLm9vT4xRw8sZp1nHc6fJe3uAg";
const REDIRECT: &str = "http://localhost:3000/login/zoom/callback";
const CODE: &str = "obBEe8ewaL_KdyNjniT4KPd8ffDWt9fGB";

const TOKEN_PATH: &str = "/oauth/token";
const REVOKE_PATH: &str = "/oauth/revoke";
const USER_PATH: &str = "/v2/users/me";

const ACCESS_TOKEN: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCIsImtpZCI6IjxLSUQ-In0.eyJ2ZXIiOjksImF1aWQiOiI8QVVJRD4iLCJjb2RlIjoiPENvZGU-IiwiaXNzIjoiem06Y2lkOjxDbGllbnRfSUQ-In0.F9o_w7_lde4Jlmk_yspIlDc-6QGmVrCbe_6El";
const REFRESH_TOKEN: &str = "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCIsImtpZCI6IjxLSUQ-In0.eyJ2ZXIiOjksInRva2VuVHlwZSI6InJlZnJlc2hfdG9rZW4ifQ.DwuqOzywRrQO2a6yp0K_6V-hR";

/// A Zoom General app authenticates with HTTP Basic, as Zoom documents.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The user authorization token response as Zoom documents it: a lower-case `bearer`
/// type, an hour minus a second, the scopes the app was granted.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCIsImtpZCI6IjxLSUQ-In0.eyJ2ZXIiOjksImF1aWQiOiI8QVVJRD4iLCJjb2RlIjoiPENvZGU-IiwiaXNzIjoiem06Y2lkOjxDbGllbnRfSUQ-In0.F9o_w7_lde4Jlmk_yspIlDc-6QGmVrCbe_6El",
  "token_type": "bearer",
  "refresh_token": "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIiwidiI6IjIuMCIsImtpZCI6IjxLSUQ-In0.eyJ2ZXIiOjksInRva2VuVHlwZSI6InJlZnJlc2hfdG9rZW4ifQ.DwuqOzywRrQO2a6yp0K_6V-hR",
  "expires_in": 3599,
  "scope": "user:read:user"
}"#;

/// `GET /v2/users/me`, shaped like the example of Zoom's `Get a user` reference.
const USER: &str = r#"{
  "id": "KDcuGIm1QgePTO8WbOqwIQ",
  "created_at": "2019-06-01T07:58:03Z",
  "dept": "Developers",
  "email": "jchill@example.com",
  "first_name": "Jill",
  "last_client_version": "5.9.6.4993(mac)",
  "last_login_time": "2019-06-01T07:58:03Z",
  "last_name": "Chill",
  "pmi": 3542471135,
  "role_name": "Admin",
  "timezone": "Asia/Shanghai",
  "type": 1,
  "use_pmi": false,
  "display_name": "Jill Chill",
  "account_id": "q6gBJVO5TzexKYTb_I2rpg",
  "account_number": 10009239,
  "cms_user_id": "KDcuGIm1QgePTO8WbOqwIQ",
  "company": "Jill",
  "user_created_at": "2019-06-01T07:58:03Z",
  "custom_attributes": [{"key": "cbf_cywdkexrtqc73f97gd4w6g", "name": "A1", "value": "1"}],
  "employee_unique_id": "HqDyI037Qjili1kNsSIrIg",
  "group_ids": ["RSMaSp8sTEGK0_oamiA2_w"],
  "im_group_ids": ["t-_-d56CSWG-7BF15LLrOw"],
  "jid": "jchill@example.com",
  "job_title": "API Developer",
  "cost_center": "cost center",
  "language": "en-US",
  "location": "Paris",
  "login_types": [101],
  "manager": "thill@example.com",
  "personal_meeting_url": "https://zoom.us/j/3542471135",
  "phone_numbers": [{"code": "+1", "country": "US", "label": "Mobile", "number": "800000000", "verified": true}],
  "pic_url": "https://us04web.zoom.us/p/v2/a1b2c3d4e5f6/abcd-1234.png",
  "plan_united_type": "1",
  "pronouns": "she/her",
  "pronouns_option": 1,
  "role_id": "0",
  "status": "active",
  "vanity_url": "https://zoom.us/my/jchill",
  "verified": 1,
  "cluster": "us04",
  "zoom_one_type": 64
}"#;

type Client = OAuthClient<Zoom, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(server: &Server) -> Client {
    expect::client(Zoom::new(), config(), server)
}

fn user(json: &str) -> ZoomUser {
    serde_json::from_str(json).unwrap()
}

/// The code exchange as Zoom documents it: HTTP Basic, the code, the redirect URI and
/// the PKCE verifier.
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

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, "application/json;charset=UTF-8", body)
        .await
}

#[test]
fn provider_facts_match_zooms_docs() {
    let info = Zoom::INFO;
    assert_eq!(info.id, "zoom");
    assert_eq!(info.name, "Zoom");
    let endpoints = Zoom::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://zoom.us/oauth/authorize"
    );
    assert_eq!(endpoints.token.as_str(), "https://zoom.us/oauth/token");
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://zoom.us/oauth/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.zoom.us/v2/users/me")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(
        info.default_scopes.is_empty(),
        "Zoom grants the scopes set on the app"
    );
    assert_eq!(info.pkce, portcullis::Pkce::S256);
    assert_eq!(info.client_auth, portcullis::ClientAuth::Basic);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "id");
    assert_eq!(
        info.docs_url,
        "https://developers.zoom.us/docs/integrations/oauth/"
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let zoom = OAuthClient::new(Zoom::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = zoom.authorization_url();
    assert_eq!(auth.url.origin().ascii_serialization(), "https://zoom.us");
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
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no scope: Zoom grants the scopes selected on the app"
    );
    assert_eq!(auth.pending.provider(), "zoom");
    assert_eq!(auth.pending.nonce(), None);

    let again = zoom.authorization_url();
    assert_ne!(again.pending.state(), auth.pending.state());
    assert_ne!(again.pending.code_verifier(), auth.pending.code_verifier());
}

#[test]
fn scopes_the_app_adds_are_sent_space_separated_and_a_redirect_uri_is_required() {
    let zoom = OAuthClient::new(
        Zoom::new(),
        config()
            .scope("user:read:user")
            .scope("meeting:read:meeting"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let query = query_of(&zoom.authorization_url().url);
    assert_eq!(
        query.get("scope").map(String::as_str),
        Some("user:read:user meeting:read:meeting")
    );

    let err = OAuthClient::new(
        Zoom::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "KDcuGIm1QgePTO8WbOqwIQ");
    assert_eq!(session.key().to_string(), "zoom:KDcuGIm1QgePTO8WbOqwIQ");
    let zoom_user = &session.provider_user;
    assert_eq!(zoom_user.first_name.as_deref(), Some("Jill"));
    assert_eq!(zoom_user.last_name.as_deref(), Some("Chill"));
    assert_eq!(zoom_user.verified, Some(1));
    assert_eq!(zoom_user.plan_type, Some(1));
    assert_eq!(zoom_user.status.as_deref(), Some("active"));
    assert_eq!(
        zoom_user.account_id.as_deref(),
        Some("q6gBJVO5TzexKYTb_I2rpg")
    );
    assert_eq!(zoom_user.account_number, Some(10009239));
    assert_eq!(zoom_user.pmi, Some(3542471135));
    assert_eq!(zoom_user.login_types.as_deref(), Some(&[101][..]));
    assert_eq!(zoom_user.cluster.as_deref(), Some("us04"));
    assert_eq!(zoom_user.zoom_one_type, Some(64));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3599)));
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(tokens.scopes().unwrap(), ["user:read:user"]);

    let profile = session.profile();
    assert_eq!(profile.id, "KDcuGIm1QgePTO8WbOqwIQ");
    assert_eq!(profile.name.as_deref(), Some("Jill Chill"));
    assert_eq!(profile.username, None, "Zoom users have no username");
    assert_eq!(profile.email.as_deref(), Some("jchill@example.com"));
    assert!(profile.email_verified, "`verified: 1`");
    assert_eq!(profile.verified_email(), Some("jchill@example.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://us04web.zoom.us/p/v2/a1b2c3d4e5f6/abcd-1234.png")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("jill".to_owned()).await.unwrap();
    assert_eq!(zoom.adapter().user_count(), 1);

    // The same identity signs in again: found, not created twice.
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(&mut server, 200, USER).await;
    let session = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(zoom.adapter().user_count(), 1);
}

#[test]
fn the_email_is_verified_only_when_verified_is_one() {
    let unverified = user(
        r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"jchill@example.com","verified":0,
            "first_name":"Jill","last_name":"Chill"}"#,
    );
    let profile = unverified.profile();
    assert_eq!(profile.email.as_deref(), Some("jchill@example.com"));
    assert!(!profile.email_verified, "`verified: 0`");
    assert_eq!(profile.verified_email(), None);

    let unsaid = user(r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"jchill@example.com"}"#);
    assert!(
        !unsaid.profile().email_verified,
        "no `verified`: not verified"
    );

    let no_email = user(r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"","verified":1}"#);
    let profile = no_email.profile();
    assert_eq!(profile.email, None, "an empty email is no email");
    assert!(!profile.email_verified, "no email, nothing verified");
}

#[test]
fn the_name_falls_back_to_first_and_last_name_and_an_empty_picture_is_no_avatar() {
    let no_display_name = user(
        r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","first_name":"Jill","last_name":"Chill",
            "display_name":" ","pic_url":""}"#,
    );
    let profile = no_display_name.profile();
    assert_eq!(profile.name.as_deref(), Some("Jill Chill"));
    assert_eq!(profile.avatar_url, None);

    let first_only = user(r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","first_name":"Jill","last_name":""}"#);
    assert_eq!(first_only.profile().name.as_deref(), Some("Jill"));

    let nameless = user(r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ"}"#);
    let profile = nameless.profile();
    assert_eq!(profile.name, None);
    assert_eq!(profile.email, None);
    assert_eq!(profile.avatar_url, None);
}

#[test]
fn the_user_round_trips_through_serde() {
    let original = user(USER);
    let json = serde_json::to_string(&original).unwrap();
    let back: ZoomUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, original);
    assert_eq!(back.provider_user_id(), "KDcuGIm1QgePTO8WbOqwIQ");
}

#[tokio::test]
async fn a_public_client_sends_its_client_id_and_the_verifier_without_basic_auth() {
    let mut server = Server::new_async().await;
    // Zoom's public client OAuth: a separate public client id, no secret.
    let zoom = expect::client(
        Zoom::new(),
        ClientConfig::public("ZpUbLiCcLiEnTiD0001").redirect_uri(REDIRECT.parse().unwrap()),
        &server,
    );
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier.as_str()),
        ("redirect_uri", REDIRECT),
    ];
    let token = expect::token_request(
        &mut server,
        TOKEN_PATH,
        Credentials::Public {
            id: "ZpUbLiCcLiEnTiD0001",
        },
        &form,
    )
    .reply(200, JSON, TOKEN_RESPONSE)
    .await;
    mock_user(&mut server, 200, USER).await;
    let session = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "zoom:KDcuGIm1QgePTO8WbOqwIQ");
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error_and_zooms_reason_is_no_description() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    // Zoom's own error shape: `reason`, not `error_description`.
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"reason":"Invalid authorization code","error":"invalid_grant"}"#,
    )
    .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;

    let err = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    let request =
        expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(request.oauth_error().unwrap().description, None);
    assert_eq!(zoom.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_redirect_uri_mismatch_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(
        &mut server,
        &verifier,
        400,
        r#"{"reason":"Redirect URI mismatch.","error":"invalid_request"}"#,
    )
    .await;
    let err = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_request", None);
}

#[tokio::test]
async fn an_api_error_is_an_unexpected_response_with_zooms_message() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    // Zoom's API error shape, here for a token without the scope `Get a user` needs.
    mock_user(
        &mut server,
        400,
        r#"{"code":4711,"message":"Invalid access token, does not contain scopes:[user:read:user]."}"#,
    )
    .await;
    let err = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        400,
        "application/json;charset=UTF-8",
        "does not contain scopes:[user:read:user]",
    );
    assert!(!err.is_retryable());
    assert!(
        err.to_string().contains("zoom user request failed"),
        "{err}"
    );
    assert_eq!(zoom.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html")
        .with_body("<html><head><title>503 Service Temporarily Unavailable</title></head></html>")
        .expect(1)
        .create_async()
        .await;
    let err = zoom
        .validate_code(CODE, Some("a-verifier"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html",
        "503 Service Temporarily Unavailable",
    );
    assert!(!err.is_retryable(), "a code exchange is never retried");
}

#[tokio::test]
async fn user_json_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    // The PMI is a number in Zoom's reference, not a string.
    mock_user(
        &mut server,
        200,
        r#"{"id":"KDcuGIm1QgePTO8WbOqwIQ","email":"jchill@example.com","pmi":"3542471135"}"#,
    )
    .await;
    let err = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("pmi"));
    assert_eq!(zoom.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_user_without_an_id_is_refused() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let auth = zoom.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier, 200, TOKEN_RESPONSE).await;
    mock_user(
        &mut server,
        200,
        r#"{"email":"jchill@example.com","status":"pending","verified":1}"#,
    )
    .await;
    let err = zoom
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth_and_gets_a_rotated_token() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJ2ZXIiOjl9.bmV3LWFjY2Vzcy10b2tlbg",
                "token_type":"bearer",
                "refresh_token":"eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJ2ZXIiOjl9.bmV3LXJlZnJlc2gtdG9rZW4",
                "expires_in":3599,"scope":"user:read:user"}"#,
        )
        .await;
    let tokens = zoom
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJ2ZXIiOjl9.bmV3LWFjY2Vzcy10b2tlbg"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "eyJzdiI6IjAwMDAwMSIsImFsZyI6IkhTNTEyIn0.eyJ2ZXIiOjl9.bmV3LXJlZnJlc2gtdG9rZW4",
        "Zoom rotates the refresh token: keep the new one"
    );
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(3599)));
}

#[tokio::test]
async fn a_spent_refresh_token_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"reason":"Invalid Token!","error":"invalid_request"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = zoom
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "invalid_request", None);
    assert!(!err.is_retryable(), "the user must sign in again");
}

#[tokio::test]
async fn revoke_posts_the_token_with_basic_auth() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let mock = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, r#"{"status":"success"}"#)
        .await;
    zoom.revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let mock = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, JSON, r#"{"status":"success"}"#)
        .await;
    zoom.revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
}

#[tokio::test]
async fn a_failed_revocation_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    server
        .mock("POST", REVOKE_PATH)
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"reason":"Invalid client_id or client_secret","error":"invalid_client"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = zoom
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 401, "invalid_client", None);
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let zoom = client(&server);
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&zoom).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let zoom = OAuthClient::new(Zoom::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&zoom, CLIENT_SECRET);
}
