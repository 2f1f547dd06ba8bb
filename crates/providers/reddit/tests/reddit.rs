//! Reddit against a mock of its documented endpoints: the exact requests we send and
//! what we make of Reddit's responses.

use mockito::{Matcher, Server};
use portcullis::{
    AccessToken, ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Provider, ProviderUser, RefreshToken, USER_AGENT, Url,
};
use portcullis_reddit::{Reddit, RedditUser, TokenDuration};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::{basic_auth, callback_for, form_is, query_of};

const CLIENT_ID: &str = "p-jcoLKBynTLew";
const CLIENT_SECRET: &str = "gko_LXELoV07ZBNUXrvWZfzE3aI";
const REDIRECT: &str = "http://localhost:3000/login/reddit/callback";
const CODE: &str = "Xq3ZGcW9kO0b8dbvLYQ1lZ7u_7tMkA";

const TOKEN_PATH: &str = "/api/v1/access_token";
const REVOKE_PATH: &str = "/api/v1/revoke_token";
const ME_PATH: &str = "/api/v1/me";

/// The content type of Reddit's JSON answers.
const REDDIT_JSON: &str = "application/json; charset=UTF-8";

/// Reddit authenticates every app with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

const ACCESS_TOKEN: &str = "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyIn0.c2ln";

/// The token response for a permanent grant: the documented fields, `bearer` in lower
/// case as Reddit sends it.
const TOKEN_PERMANENT: &str = r#"{"access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyIn0.c2ln", "token_type": "bearer", "expires_in": 86400, "refresh_token": "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw", "scope": "identity"}"#;

/// The same for a temporary grant: no refresh token.
const TOKEN_TEMPORARY: &str = r#"{"access_token": "eyJhbGciOiJSUzI1NiIsImtpZCI6IlNIQTI1NjpzS3dsMnlsV0VtMjVmcXhwTU40cWY4MXE2OWFFdWFyMnpLMUdhVGxjdWNZIiwidHlwIjoiSldUIn0.eyJzdWIiOiJ1c2VyIn0.c2ln", "token_type": "bearer", "expires_in": 86400, "scope": "identity"}"#;

/// `/api/v1/me` with `identity`, as Reddit sends it with `raw_json=1` (trimmed of most
/// preference fields).
const ME: &str = r#"{
  "is_employee": false, "seen_layout_switch": true, "has_visited_new_profile": false,
  "pref_no_profanity": true, "has_external_account": false, "pref_geopopular": "",
  "pref_show_trending": true,
  "subreddit": {"default_set": true, "user_is_contributor": false, "banner_img": "", "display_name": "u_spez",
                "icon_img": "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo1c0c0f2c-0d2b-4d5a-ae5c-2b50a3d1a5a5-headshot.png?width=256&height=256&crop=256:256,smart&s=8c1f5c2a4cc5c6d4e0a1c2b3d4e5f60718293a4b",
                "title": "spez", "name": "t5_3k30p", "url": "/user/spez/", "subreddit_type": "user"},
  "pref_show_presence": true,
  "snoovatar_img": "",
  "snoovatar_size": null,
  "gold_expiration": null,
  "has_gold_subscription": false,
  "is_sponsor": false,
  "num_friends": 0,
  "can_edit_name": false,
  "verified": true,
  "coins": 0,
  "id": "1w72",
  "over_18": true,
  "is_gold": true,
  "is_mod": true,
  "awarder_karma": 0,
  "suspension_expiration_utc": null,
  "has_verified_email": true,
  "is_suspended": false,
  "icon_img": "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo1c0c0f2c-0d2b-4d5a-ae5c-2b50a3d1a5a5-headshot.png?width=256&height=256&crop=256:256,smart&s=8c1f5c2a4cc5c6d4e0a1c2b3d4e5f60718293a4b",
  "has_mod_mail": false,
  "awardee_karma": 0,
  "hide_from_robots": false,
  "link_karma": 178923,
  "total_karma": 935441,
  "inbox_count": 0,
  "has_mail": false,
  "name": "spez",
  "created": 1118030400.0,
  "gold_creddits": 0,
  "created_utc": 1118030400.0,
  "in_beta": false,
  "comment_karma": 756518,
  "accept_followers": true,
  "has_subscribed": true
}"#;

type Client = OAuthClient<Reddit, MemoryAdapter<String>>;

fn client(server: &Server, reddit: Reddit, config: ClientConfig) -> Client {
    expect::client(reddit, config, server)
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn user(json: &str) -> RedditUser {
    serde_json::from_str(json).unwrap()
}

/// A `Content-Length` header that matches the body: Reddit refuses requests without
/// one.
fn has_content_length(request: &mockito::Request) -> bool {
    let body = request.body().map(Vec::len).unwrap_or_default();
    request
        .header("content-length")
        .first()
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<usize>().ok())
        == Some(body)
        && body > 0
}

/// The code exchange as Reddit documents it: HTTP Basic, and only `grant_type`, `code`
/// and `redirect_uri` in the body.
///
/// Built by hand: `expect::token_request` fixes Portcullis's `User-Agent` where Reddit
/// asks for the app's own, and its form check cannot be combined with the
/// `Content-Length` one.
async fn mock_token(
    server: &mut Server,
    authorization: &str,
    user_agent: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    let form = form_is(&[
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ]);
    server
        .mock("POST", TOKEN_PATH)
        .match_query(Matcher::Missing)
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("accept", "application/json")
        .match_header("user-agent", user_agent)
        .match_header("authorization", authorization)
        .match_request(move |request| form(request) && has_content_length(request))
        .with_status(status)
        .with_header("content-type", REDDIT_JSON)
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

/// Built by hand: `expect::api_request` fixes Portcullis's `User-Agent` where Reddit
/// asks for the app's own.
async fn mock_me(
    server: &mut Server,
    user_agent: &str,
    status: usize,
    body: &str,
) -> mockito::Mock {
    server
        .mock("GET", ME_PATH)
        .match_query(Matcher::Exact("raw_json=1".to_owned()))
        .match_header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str())
        .match_header("accept", "application/json")
        .match_header("user-agent", user_agent)
        .with_status(status)
        .with_header("content-type", REDDIT_JSON)
        .with_body(body)
        .expect(1)
        .create_async()
        .await
}

fn basic() -> String {
    basic_auth(CLIENT_ID, CLIENT_SECRET)
}

#[test]
fn endpoints_are_those_reddit_documents() {
    let endpoints = Reddit::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://www.reddit.com/api/v1/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://www.reddit.com/api/v1/access_token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://www.reddit.com/api/v1/revoke_token")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://oauth.reddit.com/api/v1/me"),
        "the API lives on oauth.reddit.com"
    );
    assert_eq!(endpoints.issuer, None);
    assert_eq!(Reddit::INFO.id, "reddit", "Lucia's provider id");
    assert_eq!(Reddit::INFO.default_scopes, ["identity"]);
}

#[test]
fn authorization_url_has_every_parameter() {
    let reddit = OAuthClient::new(
        Reddit::new(),
        config().scope("read"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = reddit.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://www.reddit.com"
    );
    assert_eq!(auth.url.path(), "/api/v1/authorize");
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
        ("client_id", CLIENT_ID),
        ("duration", "temporary"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "identity read"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected,
        "no PKCE, no nonce"
    );
    assert_eq!(auth.pending.code_verifier(), None);
    assert_eq!(auth.pending.nonce(), None);
    assert_eq!(auth.pending.provider(), "reddit");
}

#[test]
fn duration_is_temporary_unless_permanent_is_asked_for() {
    let duration = |reddit: Reddit, config: ClientConfig| {
        let client = OAuthClient::new(reddit, config, MemoryAdapter::<String>::new()).unwrap();
        query_of(&client.authorization_url().url)["duration"].clone()
    };
    assert_eq!(duration(Reddit::new(), config()), "temporary");
    assert_eq!(
        duration(Reddit::new().duration(TokenDuration::Temporary), config()),
        "temporary"
    );
    assert_eq!(
        duration(Reddit::new().duration(TokenDuration::Permanent), config()),
        "permanent"
    );
    // The app's own parameter wins, and is sent once.
    let client = OAuthClient::new(
        Reddit::new(),
        config().authorization_param("duration", "permanent"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let url = client.authorization_url().url;
    assert_eq!(
        url.query_pairs().filter(|(k, _)| k == "duration").count(),
        1
    );
    assert_eq!(query_of(&url)["duration"], "permanent");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Reddit::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let reddit = client(
        &server,
        Reddit::new().duration(TokenDuration::Permanent),
        config(),
    );
    let auth = reddit.authorization_url();
    assert_eq!(query_of(&auth.url)["duration"], "permanent");

    let token = mock_token(&mut server, &basic(), USER_AGENT, 200, TOKEN_PERMANENT).await;
    let me = mock_me(&mut server, USER_AGENT, 200, ME).await;

    let session = reddit
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "1w72");
    assert_eq!(session.key().to_string(), "reddit:1w72");
    let typed = &session.provider_user;
    assert_eq!(typed.name, "spez");
    assert_eq!(typed.created_utc, Some(1_118_030_400.0));
    assert_eq!(typed.total_karma, Some(935_441));
    assert_eq!(typed.has_verified_email, Some(true));
    assert_eq!(typed.is_mod, Some(true));

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.scopes().unwrap(), ["identity"]);
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw",
        "kept, unlike in Lucia"
    );

    let profile = session.profile();
    assert_eq!(profile.id, "1w72");
    assert_eq!(profile.name.as_deref(), Some("spez"));
    assert_eq!(profile.username.as_deref(), Some("spez"));
    assert_eq!(profile.email, None, "Reddit gives apps no email");
    assert!(!profile.email_verified, "has_verified_email is no address");
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://styles.redditmedia.com/t5_3k30p/styles/profileIcon_snoo1c0c0f2c-0d2b-4d5a-ae5c-2b50a3d1a5a5-headshot.png?width=256&height=256&crop=256:256,smart&s=8c1f5c2a4cc5c6d4e0a1c2b3d4e5f60718293a4b"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("spez".to_owned()).await.unwrap();
    assert_eq!(reddit.adapter().user_count(), 1);

    let auth = reddit.authorization_url();
    mock_token(&mut server, &basic(), USER_AGENT, 200, TOKEN_PERMANENT).await;
    mock_me(&mut server, USER_AGENT, 200, ME).await;
    let session = reddit
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(reddit.adapter().user_count(), 1);
}

#[tokio::test]
async fn a_temporary_grant_has_no_refresh_token() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    mock_token(&mut server, &basic(), USER_AGENT, 200, TOKEN_TEMPORARY).await;
    mock_me(&mut server, USER_AGENT, 200, ME).await;
    let session = reddit.validate_code(CODE, None, None).await.unwrap();
    assert!(session.tokens.refresh_token().is_none());
    assert_eq!(session.tokens.expires_in().unwrap().as_secs(), 86400);
}

#[tokio::test]
async fn the_apps_user_agent_reaches_every_request() {
    const APP_AGENT: &str = "web:com.example.myapp:v1.2.3 (by /u/example)";
    let mut server = Server::new_async().await;
    let http = HttpClient::builder().user_agent(APP_AGENT).build().unwrap();
    let reddit = client(&server, Reddit::new(), config()).with_http_client(http);
    let token = mock_token(&mut server, &basic(), APP_AGENT, 200, TOKEN_TEMPORARY).await;
    let me = mock_me(&mut server, APP_AGENT, 200, ME).await;
    reddit.validate_code(CODE, None, None).await.unwrap();
    token.assert_async().await;
    me.assert_async().await;

    let revoke = server
        .mock("POST", REVOKE_PATH)
        .match_header("user-agent", APP_AGENT)
        .with_status(204)
        .expect(1)
        .create_async()
        .await;
    reddit
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;
}

#[tokio::test]
async fn installed_apps_send_basic_credentials_with_an_empty_secret() {
    let mut server = Server::new_async().await;
    let reddit = client(
        &server,
        Reddit::new(),
        ClientConfig::new(CLIENT_ID, "").redirect_uri(REDIRECT.parse().unwrap()),
    );
    let token = mock_token(
        &mut server,
        &basic_auth(CLIENT_ID, ""),
        USER_AGENT,
        200,
        TOKEN_TEMPORARY,
    )
    .await;
    mock_me(&mut server, USER_AGENT, 200, ME).await;
    let session = reddit.validate_code(CODE, None, None).await.unwrap();
    token.assert_async().await;
    assert_eq!(session.key().to_string(), "reddit:1w72");
}

#[tokio::test]
async fn invalid_code_with_http_200_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    let auth = reddit.authorization_url();
    // What Reddit's token endpoint answers for a used or unknown code.
    mock_token(
        &mut server,
        &basic(),
        USER_AGENT,
        200,
        r#"{"error": "invalid_grant"}"#,
    )
    .await;
    let me = server
        .mock("GET", ME_PATH)
        .match_query(Matcher::Any)
        .expect(0)
        .create_async()
        .await;

    let err = reddit
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    me.assert_async().await;
    expect::assert_oauth_error(&err, Phase::TokenExchange, 200, "invalid_grant", None);
    assert_eq!(reddit.adapter().user_count(), 0);
}

#[tokio::test]
async fn wrong_client_credentials_are_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(401)
        .with_header("www-authenticate", r#"Basic realm="reddit""#)
        .with_header("content-type", REDDIT_JSON)
        .with_body(r#"{"message": "Unauthorized", "error": 401}"#)
        .expect(1)
        .create_async()
        .await;
    let err = reddit.validate_code(CODE, None, None).await.unwrap_err();
    // `error` is a number here, not an RFC 6749 error code.
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        401,
        REDDIT_JSON,
        "Unauthorized",
    );
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    server
        .mock("POST", TOKEN_PATH)
        .with_status(500)
        .with_header("content-type", "text/html; charset=UTF-8")
        .with_body("<!doctype html><html><head><title>reddit broke!</title></head><body>all of our servers are busy right now</body></html>")
        .expect(1)
        .create_async()
        .await;
    let err = reddit.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        500,
        "text/html; charset=UTF-8",
        "reddit broke!",
    );
    assert!(!err.is_retryable());
}

#[tokio::test]
async fn invalid_user_json_names_the_field() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    mock_token(&mut server, &basic(), USER_AGENT, 200, TOKEN_TEMPORARY).await;
    mock_me(
        &mut server,
        USER_AGENT,
        200,
        r#"{"id": "1w72", "created_utc": 1118030400.0}"#,
    )
    .await;
    let err = reddit.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("name"));
    assert!(
        err.to_string().contains("reddit user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn rate_limited_user_request_keeps_retry_after() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    mock_token(&mut server, &basic(), USER_AGENT, 200, TOKEN_TEMPORARY).await;
    let limited = expect::api_request(
        &mut server,
        "GET",
        ME_PATH,
        &[("raw_json", "1")],
        ACCESS_TOKEN,
    )
    .with_header("x-ratelimit-remaining", "0")
    .with_header("x-ratelimit-reset", "42")
    .with_header("retry-after", "42")
    .expect(2)
    .reply(
        429,
        REDDIT_JSON,
        r#"{"message": "Too Many Requests", "error": 429}"#,
    )
    .await;
    let err = reddit.validate_code(CODE, None, None).await.unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        429,
        REDDIT_JSON,
        "Too Many Requests",
    );
    assert_eq!(err.retry_after().unwrap().as_secs(), 42);
    assert!(
        !err.is_retryable(),
        "the code is spent: the sign-in starts over"
    );

    // The user request alone, with tokens the app kept, may be tried again.
    let tokens = portcullis::Tokens::new(AccessToken::new(ACCESS_TOKEN.to_owned()));
    let err = reddit.fetch_user(&tokens).await.unwrap_err();
    assert!(err.is_retryable(), "{err:?}");
    assert_eq!(err.retry_after().unwrap().as_secs(), 42);
    limited.assert_async().await;
}

#[test]
fn avatar_and_email_follow_what_reddit_sends() {
    // No uploaded icon: the Snoovatar is used; with neither, no avatar.
    let snoovatar = user(
        r#"{"id":"abc12","name":"someone","icon_img":"","snoovatar_img":"https://i.redd.it/snoovatar/avatars/abc.png"}"#,
    );
    assert_eq!(
        snoovatar.profile().avatar_url.as_deref(),
        Some("https://i.redd.it/snoovatar/avatars/abc.png")
    );
    let none = user(r#"{"id":"abc12","name":"someone","icon_img":"","snoovatar_img":""}"#);
    assert_eq!(none.profile().avatar_url, None);

    // A verified email on the account still gives the app no address.
    let verified = user(r#"{"id":"abc12","name":"someone","has_verified_email":true}"#);
    assert_eq!(verified.profile().email, None);
    assert!(!verified.profile().email_verified);

    let back: RedditUser =
        serde_json::from_str(&serde_json::to_string(&user(ME)).unwrap()).unwrap();
    assert_eq!(back, user(ME));
}

#[tokio::test]
async fn refresh_sends_the_refresh_grant_with_basic_auth() {
    let mut server = Server::new_async().await;
    let reddit = client(
        &server,
        Reddit::new().duration(TokenDuration::Permanent),
        config(),
    );
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw"),
    ];
    let mock = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        // Reddit's refresh response carries no refresh token.
        .reply(
            200,
            REDDIT_JSON,
            r#"{"access_token": "eyJhbGciOiJSUzI1NiJ9.bmV3.c2ln", "token_type": "bearer", "expires_in": 86400, "scope": "identity"}"#,
        )
        .await;
    let tokens = reddit
        .refresh(&RefreshToken::new(
            "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw".to_owned(),
        ))
        .await
        .unwrap();
    mock.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "eyJhbGciOiJSUzI1NiJ9.bmV3.c2ln"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw",
        "the refresh token stays valid and is kept"
    );
}

#[tokio::test]
async fn revoke_posts_the_token_with_basic_auth() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    let form = [
        ("token", "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw"),
        ("token_type_hint", "refresh_token"),
    ];
    let refresh = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(204)
        .await;
    reddit
        .revoke(RefreshToken::new(
            "14785672-1rk0xFWd1jI9ZLVv6bHs3tEx2SHUQw".to_owned(),
        ))
        .await
        .unwrap();
    refresh.assert_async().await;

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let access = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(204)
        .await;
    reddit
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    access.assert_async().await;
}

#[tokio::test]
async fn revoking_another_apps_token_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    server
        .mock("POST", REVOKE_PATH)
        .with_status(400)
        .with_header("content-type", REDDIT_JSON)
        .with_body(r#"{"error": "unauthorized_client"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = reddit
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 400, "unauthorized_client", None);
}

#[tokio::test]
async fn forged_or_denied_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let reddit = client(&server, Reddit::new(), config());
    let token = server
        .mock("POST", TOKEN_PATH)
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&reddit).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let reddit = OAuthClient::new(Reddit::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&reddit, CLIENT_SECRET);
}
