//! Tumblr against a mock of its documented endpoints: the exact requests we send and
//! what we make of Tumblr's responses.

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Pkce, Provider,
    ProviderUser, RefreshToken,
};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of};
use portcullis_tumblr::{Tumblr, TumblrUser};

const CLIENT_ID: &str = "PyezS3Q4Smivb24d9SzZGYSuhIaMfAkE0a3w4e5t6y7u8i9o";
const CLIENT_SECRET: &str = "Zq1w2e3r4t5y6u7i8o9p0aSdFgHjKlZxCvBnM1q2w3e4r5t6y7";
const REDIRECT: &str = "http://localhost:3000/login/tumblr/callback";
const CODE: &str = "5e8b1a9c2d7f4e3a6b0c9d8e7f6a5b4c3d2e1f0a";
const ACCESS_TOKEN: &str = "nZ8kQ2xR7vW1mT4pL9sD3fG6hJ0aB5cE8uY2iO7";
const REFRESH_TOKEN: &str = "rT3yU8iO1pA6sD9fG2hJ5kL0zX4cV7bN1mQ8wE3rT6yU9";
const TOKEN_PATH: &str = "/v2/oauth2/token";
const USER_PATH: &str = "/v2/user/info";

/// Tumblr takes the consumer key and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response of Tumblr's docs, `"id_token": false` included.
const TOKENS: &str = r#"{
    "access_token": "nZ8kQ2xR7vW1mT4pL9sD3fG6hJ0aB5cE8uY2iO7",
    "expires_in": 2520,
    "id_token": false,
    "refresh_token": "rT3yU8iO1pA6sD9fG2hJ5kL0zX4cV7bN1mQ8wE3rT6yU9",
    "scope": "basic offline_access",
    "token_type": "bearer"
}"#;

/// `GET /v2/user/info` as documented, with each blog's `uuid` (documented under "Blog
/// Unique Identifiers" as present wherever a blog is) and `type`.
const USER: &str = r#"{
    "meta": {"status": 200, "msg": "OK"},
    "response": {
        "user": {
            "following": 263,
            "default_post_format": "html",
            "name": "derekg",
            "likes": 606,
            "blogs": [
                {
                    "name": "derekg",
                    "title": "Derek Gottfrid",
                    "url": "https://derekg.org/",
                    "tweet": "auto",
                    "primary": true,
                    "followers": 33004929,
                    "type": "public",
                    "uuid": "t:0aY0xL2Fi1OFJg4YxpmegQ"
                },
                {
                    "name": "ihatehipstrz",
                    "title": "I Hate Hipstrz",
                    "url": "https://ihatehipstrz.tumblr.com/",
                    "tweet": "N",
                    "primary": false,
                    "followers": 1,
                    "type": "public",
                    "uuid": "t:WX5xItRbCiJH_GJDsIdhAQ"
                }
            ]
        }
    }
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scope("offline_access")
}

fn client(server: &Server, config: ClientConfig) -> OAuthClient<Tumblr, MemoryAdapter<String>> {
    expect::client(Tumblr::new(), config, server)
}

const CODE_FORM: [(&str, &str); 3] = [
    ("grant_type", "authorization_code"),
    ("code", CODE),
    ("redirect_uri", REDIRECT),
];

async fn mock_token(server: &mut Server, body: &str) -> mockito::Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .reply(200, JSON, body)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .reply(status, JSON, body)
        .await
}

#[test]
fn provider_facts_match_the_docs() {
    let info = Tumblr::INFO;
    assert_eq!(info.id, "tumblr");
    assert_eq!(
        info.authorization_url,
        "https://www.tumblr.com/oauth2/authorize"
    );
    assert_eq!(info.token_url, "https://api.tumblr.com/v2/oauth2/token");
    assert_eq!(info.revocation_url, None);
    assert_eq!(
        info.userinfo_url,
        Some("https://api.tumblr.com/v2/user/info")
    );
    assert_eq!(info.issuer, None);
    assert_eq!(info.default_scopes, ["basic"]);
    assert_eq!(info.scope_delimiter, " ");
    assert_eq!(info.pkce, Pkce::None);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(!info.requires_redirect_uri);
    assert!(info.email_verified_source.starts_with("never"));
}

#[test]
fn authorization_url_has_every_parameter() {
    let tumblr = OAuthClient::new(Tumblr::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = tumblr.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.tumblr.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/authorize");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let expected = [
        ("client_id", CLIENT_ID),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "basic offline_access"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.code_verifier(), None, "Tumblr has no PKCE");
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "tumblr");
}

#[tokio::test]
async fn without_a_redirect_uri_none_is_sent_anywhere() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, ClientConfig::new(CLIENT_ID, CLIENT_SECRET));
    let auth = tumblr.authorization_url();
    let query = query_of(&auth.url);
    assert!(!query.contains_key("redirect_uri"), "{query:?}");
    assert_eq!(query.get("scope").map(String::as_str), Some("basic"));

    let form = [("grant_type", "authorization_code"), ("code", CODE)];
    let token = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, TOKENS)
        .await;
    mock_user(&mut server, 200, USER).await;
    tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_then_creates_and_finds_the_user() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    let auth = tumblr.authorization_url();
    let token = mock_token(&mut server, TOKENS).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.key().to_string(), "tumblr:t:0aY0xL2Fi1OFJg4YxpmegQ");
    let user = &session.provider_user;
    assert_eq!(user.name, "derekg");
    assert_eq!(user.following, Some(263));
    assert_eq!(user.likes, Some(606));
    assert_eq!(user.blogs.len(), 2);
    assert_eq!(user.primary_blog().unwrap().followers, Some(33004929));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 2520);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(
        tokens.id_token().is_none(),
        "`\"id_token\": false` is no ID token"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "t:0aY0xL2Fi1OFJg4YxpmegQ");
    assert_eq!(profile.name.as_deref(), Some("Derek Gottfrid"));
    assert_eq!(profile.username.as_deref(), Some("derekg"));
    assert_eq!(profile.email, None);
    assert!(!profile.email_verified);

    assert!(session.existing_user.is_none());
    let created = session.create_user("derekg".to_owned()).await.unwrap();
    assert_eq!(tumblr.adapter().user_count(), 1);

    let auth = tumblr.authorization_url();
    mock_token(&mut server, TOKENS).await;
    mock_user(&mut server, 200, USER).await;
    let session = tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created));
    assert_eq!(tumblr.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_renamed_blog_is_still_the_same_user() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    let auth = tumblr.authorization_url();
    mock_token(&mut server, TOKENS).await;
    mock_user(&mut server, 200, USER).await;
    let session = tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    let created = session.create_user("derekg".to_owned()).await.unwrap();

    // The user renamed their primary blog, and so their short name: the uuid stays.
    let renamed = USER.replace("\"derekg\"", "\"derek-renamed\"");
    let auth = tumblr.authorization_url();
    mock_token(&mut server, TOKENS).await;
    mock_user(&mut server, 200, &renamed).await;
    let session = tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.name, "derek-renamed");
    assert_eq!(session.existing_user, Some(created));
}

#[tokio::test]
async fn the_primary_blog_need_not_come_first() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    mock_token(&mut server, TOKENS).await;
    mock_user(
        &mut server,
        200,
        r#"{"meta":{"status":200,"msg":"OK"},"response":{"user":{"name":"derekg","blogs":[
            {"name":"side","primary":false,"uuid":"t:side"},
            {"name":"derekg","primary":true,"uuid":"t:main"}]}}}"#,
    )
    .await;
    let session = tumblr.validate_code(CODE, None, None).await.unwrap();
    assert_eq!(session.provider_user_id, "t:main");
    assert_eq!(
        session.profile().name,
        None,
        "the primary blog has no title"
    );
}

#[tokio::test]
async fn a_user_without_a_primary_blog_uuid_names_the_user() {
    for blogs in [
        r#"[{"name":"derekg","primary":false,"uuid":"t:0aY0xL2Fi1OFJg4YxpmegQ"}]"#,
        r#"[{"name":"derekg","primary":true}]"#,
        r#"[]"#,
    ] {
        let mut server = Server::new_async().await;
        let tumblr = client(&server, config());
        mock_token(&mut server, TOKENS).await;
        let body = format!(
            r#"{{"meta":{{"status":200,"msg":"OK"}},"response":{{"user":{{"name":"derekg","blogs":{blogs}}}}}}}"#
        );
        mock_user(&mut server, 200, &body).await;
        let err = tumblr.validate_code(CODE, None, None).await.unwrap_err();
        expect::assert_invalid_response(&err, Phase::UserInfo, Some("response.user"));
        assert_eq!(tumblr.adapter().user_count(), 0);
    }
}

#[tokio::test]
async fn a_user_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    mock_token(&mut server, TOKENS).await;
    // The user outside the envelope.
    mock_user(
        &mut server,
        200,
        r#"{"user":{"name":"derekg","blogs":[{"name":"derekg","primary":true,"uuid":"t:x"}]}}"#,
    )
    .await;
    let err = tumblr.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("response"));
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    let auth = tumblr.authorization_url();
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &CODE_FORM)
        .reply(
            401,
            JSON,
            r#"{"error":"invalid_grant","error_description":"Invalid grant"}"#,
        )
        .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    let err = tumblr
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        401,
        "invalid_grant",
        Some("Invalid grant"),
    );
    assert_eq!(tumblr.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(502)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><body><h1>Bad Gateway</h1></body></html>")
        .create_async()
        .await;
    let err = tumblr.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        502,
        "text/html; charset=utf-8",
        "Bad Gateway",
    );
}

#[tokio::test]
async fn an_api_error_in_the_envelope_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    mock_token(&mut server, TOKENS).await;
    mock_user(
        &mut server,
        401,
        r#"{"meta":{"status":401,"msg":"Unauthorized"},"response":[],
            "errors":[{"title":"Unauthorized","code":1016,"detail":"Unable to authorize"}]}"#,
    )
    .await;
    let err = tumblr.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(&err, Phase::UserInfo, 401, JSON, "Unable to authorize");
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_and_keeps_the_new_refresh_token() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            r#"{"access_token":"newaccesstoken","expires_in":2520,"refresh_token":"newrefreshtoken",
                "scope":"basic offline_access","token_type":"bearer"}"#,
        )
        .await;
    let tokens = tumblr
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "newaccesstoken");
    assert_eq!(tokens.refresh_token().unwrap().secret(), "newrefreshtoken");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let tumblr = client(&server, config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    let me = server.mock("GET", USER_PATH).expect(0).create_async().await;
    portcullis_testkit::assert_forged_callbacks_refused(&tumblr).await;
    token.assert_async().await;
    me.assert_async().await;
}

#[test]
fn the_user_round_trips_through_serde_and_checks_the_primary_blog() {
    let value: serde_json::Value = serde_json::from_str(USER).unwrap();
    let user: TumblrUser = serde_json::from_value(value["response"]["user"].clone()).unwrap();
    assert_eq!(user.provider_user_id(), "t:0aY0xL2Fi1OFJg4YxpmegQ");
    let round_trip: TumblrUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);

    let err = serde_json::from_str::<TumblrUser>(r#"{"name":"derekg","blogs":[]}"#).unwrap_err();
    assert!(err.to_string().contains("primary blog"), "{err}");
}

#[test]
fn debug_output_holds_no_secret() {
    let tumblr = OAuthClient::new(Tumblr::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&tumblr, CLIENT_SECRET);
}
