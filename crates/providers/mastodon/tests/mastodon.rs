//! Mastodon against a mock of its documented endpoints: the exact requests we send and
//! what we make of Mastodon's responses.

use mockito::Server;
use portcullis::{
    AccessToken, ClientConfig, Endpoints, Error, MemoryAdapter, OAuthClient, OAuthProvider, Phase,
    Provider, ProviderUser, Url,
};
use portcullis_mastodon::{Mastodon, MastodonUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::{callback_for, query_of, s256_challenge};

const INSTANCE: &str = "mastodon.social";
const CLIENT_ID: &str = "TWhM-tNSuncnqN7DBJmoyeLnk6K3iJJ71KKXxgL1hPM";
const CLIENT_SECRET: &str = "ZEaFUFmF0umgBX1qKJDjaU99Q31lDkOU8NutzTOoliw";
const REDIRECT: &str = "http://localhost:3000/login/mastodon/mastodon.social/callback";
const CODE: &str = "qDFUEaYrRK5c-HNmTCJbAzazwLRInJ7VHFat0wcMgCU";

const TOKEN_PATH: &str = "/oauth/token";
const REVOKE_PATH: &str = "/oauth/revoke";
const USER_PATH: &str = "/api/v1/accounts/verify_credentials";

const ACCESS_TOKEN: &str = "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0";

/// The id and secret from `POST /api/v1/apps` go in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The token response of Mastodon's `POST /oauth/token` documentation.
const TOKEN_RESPONSE: &str = r#"{
  "access_token": "ZA-Yj3aBD8U8Cm7lKUp-lm9O9BmDgdhHzDeqsY8tlL0",
  "token_type": "Bearer",
  "scope": "read write follow push",
  "created_at": 1573979017
}"#;

/// `GET /api/v1/accounts/verify_credentials` as documented (the bio and fields
/// shortened), with the `role` of the `CredentialAccount` entity's example.
const USER: &str = r#"{
  "id": "14715",
  "username": "trwnh",
  "acct": "trwnh",
  "display_name": "infinite love ⴳ",
  "locked": false,
  "bot": false,
  "created_at": "2016-11-24T10:02:12.085Z",
  "note": "<p>i have approximate knowledge of many things. perpetual student. (nb/ace/they)</p>",
  "url": "https://mastodon.social/@trwnh",
  "avatar": "https://files.mastodon.social/accounts/avatars/000/014/715/original/34aa222f4ae2e0a9.png",
  "avatar_static": "https://files.mastodon.social/accounts/avatars/000/014/715/original/34aa222f4ae2e0a9.png",
  "header": "https://files.mastodon.social/accounts/headers/000/014/715/original/5c6fc24edb3bb873.jpg",
  "header_static": "https://files.mastodon.social/accounts/headers/000/014/715/original/5c6fc24edb3bb873.jpg",
  "followers_count": 821,
  "following_count": 178,
  "statuses_count": 33120,
  "last_status_at": "2019-11-24T15:49:42.251Z",
  "source": {
    "privacy": "public",
    "sensitive": false,
    "language": "",
    "note": "i have approximate knowledge of many things. perpetual student. (nb/ace/they)",
    "fields": [
      {"name": "Website", "value": "https://trwnh.com", "verified_at": "2019-08-29T04:14:55.571+00:00"},
      {"name": "Fan of:", "value": "Punk-rock and post-hardcore", "verified_at": null}
    ],
    "follow_requests_count": 0
  },
  "emojis": [
    {
      "shortcode": "fatyoshi",
      "url": "https://files.mastodon.social/custom_emojis/images/000/023/920/original/e57ecb623faa0dc9.png",
      "static_url": "https://files.mastodon.social/custom_emojis/images/000/023/920/static/e57ecb623faa0dc9.png",
      "visible_in_picker": true
    }
  ],
  "fields": [
    {
      "name": "Website",
      "value": "<a href=\"https://trwnh.com\" rel=\"me nofollow noopener noreferrer\" target=\"_blank\"><span class=\"invisible\">https://</span><span class=\"\">trwnh.com</span><span class=\"invisible\"></span></a>",
      "verified_at": "2019-08-29T04:14:55.571+00:00"
    },
    {"name": "Fan of:", "value": "Punk-rock and post-hardcore", "verified_at": null}
  ],
  "role": {
    "id": "-99",
    "name": "",
    "permissions": "65536",
    "color": "",
    "highlighted": false
  }
}"#;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn mastodon() -> Mastodon {
    Mastodon::new(INSTANCE).unwrap()
}

fn client(server: &Server) -> OAuthClient<Mastodon, MemoryAdapter<String>> {
    expect::client(mastodon(), config(), server)
}

/// The code exchange as Mastodon documents it, with the PKCE verifier of 4.3.
async fn mock_token(server: &mut Server, verifier: &str) -> mockito::Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, "application/json; charset=utf-8", TOKEN_RESPONSE)
        .await
}

async fn mock_user(server: &mut Server, status: usize, body: &str) -> mockito::Mock {
    expect::api_request(server, "GET", USER_PATH, &[], ACCESS_TOKEN)
        .reply(status, "application/json; charset=utf-8", body)
        .await
}

/// Answers the token request however it is sent: for tests about what comes after.
async fn any_token(server: &mut Server) {
    server
        .mock("POST", TOKEN_PATH)
        .with_header("content-type", JSON)
        .with_body(TOKEN_RESPONSE)
        .create_async()
        .await;
}

#[test]
fn provider_facts_match_mastodons_docs() {
    let info = Mastodon::INFO;
    assert_eq!(info.id, "mastodon");
    assert_eq!(info.default_scopes, ["profile"]);
    assert_eq!(info.pkce, portcullis::Pkce::S256);
    assert_eq!(info.client_auth, portcullis::ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.issuer, None, "Mastodon sends no `iss` in the callback");
    assert_eq!(info.user_id_field, "id@{instance}");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(
        info.docs_url,
        "https://docs.joinmastodon.org/methods/oauth/"
    );
    // `INFO` shows the endpoints on a placeholder host; they still parse.
    let placeholder = Endpoints::from_info(&info);
    assert_eq!(placeholder.authorization.host_str(), Some("{instance}"));

    let endpoints = mastodon().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://mastodon.social/oauth/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://mastodon.social/oauth/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://mastodon.social/oauth/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://mastodon.social/api/v1/accounts/verify_credentials")
    );
    assert_eq!(endpoints.issuer, None);
    assert!(!endpoints.issuer_required);
}

#[test]
fn an_instance_is_a_domain() {
    for (domain, base, instance) in [
        (
            "mastodon.social",
            "https://mastodon.social/",
            "mastodon.social",
        ),
        (
            " https://Mastodon.Social/ ",
            "https://mastodon.social/",
            "mastodon.social",
        ),
        (
            "mastodon.social.",
            "https://mastodon.social./",
            "mastodon.social",
        ),
        (
            "https://mastodon.social:443",
            "https://mastodon.social/",
            "mastodon.social",
        ),
        (
            "social.example:8443",
            "https://social.example:8443/",
            "social.example:8443",
        ),
        (
            "mastodon.ünicode.example",
            "https://mastodon.xn--nicode-2ya.example/",
            "mastodon.xn--nicode-2ya.example",
        ),
        (
            "http://localhost:3000",
            "http://localhost:3000/",
            "localhost:3000",
        ),
        (
            "http://127.0.0.1:3000",
            "http://127.0.0.1:3000/",
            "127.0.0.1:3000",
        ),
        ("http://[::1]:3000", "http://[::1]:3000/", "[::1]:3000"),
    ] {
        let m = Mastodon::new(domain).unwrap_or_else(|e| panic!("{domain}: {e}"));
        assert_eq!(m.base_url().as_str(), base, "{domain}");
        assert_eq!(m.instance(), instance, "{domain}");
    }
    for domain in [
        "",
        "https://",
        "http://mastodon.social",
        "ftp://mastodon.social",
        "https://mastodon.social/@trwnh",
        "https://example.com/mastodon",
        "https://mastodon.social/?x=1",
        "https://mastodon.social/#top",
        "https://user:pass@mastodon.social",
    ] {
        assert!(
            matches!(Mastodon::new(domain), Err(Error::Config(_))),
            "{domain:?} is refused"
        );
    }
}

#[test]
fn authorization_url_has_every_parameter() {
    let client = OAuthClient::new(
        mastodon(),
        config().scope("read:lists"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = client.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://mastodon.social"
    );
    assert_eq!(auth.url.path(), "/oauth/authorize");

    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let challenge = s256_challenge(auth.pending.code_verifier().unwrap());
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
        ("scope", "profile read:lists"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "mastodon");
    assert_eq!(auth.pending.nonce(), None);

    let plain = OAuthClient::new(mastodon(), config(), MemoryAdapter::<String>::new())
        .unwrap()
        .authorization_url();
    assert_eq!(
        query_of(&plain.url).get("scope").map(String::as_str),
        Some("profile"),
        "profile is always asked, so Mastodon's default `read` never applies"
    );
}

#[tokio::test]
async fn sign_in_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();

    let token = mock_token(&mut server, &verifier).await;
    let me = mock_user(&mut server, 200, USER).await;

    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;

    assert_eq!(session.provider_user_id, "14715@mastodon.social");
    assert_eq!(session.key().to_string(), "mastodon:14715@mastodon.social");
    let user: &MastodonUser = &session.provider_user;
    assert_eq!(user.instance, "mastodon.social");
    assert_eq!(user.id, "14715");
    assert_eq!(user.username, "trwnh");
    assert_eq!(user.acct.as_deref(), Some("trwnh"));
    assert_eq!(user.url.as_deref(), Some("https://mastodon.social/@trwnh"));
    assert_eq!(user.uri, None, "not in the documented example");
    assert_eq!(user.locked, Some(false));
    assert_eq!(user.statuses_count, Some(33120));
    assert_eq!(user.fields.len(), 2);
    assert_eq!(user.fields[0].name, "Website");
    assert_eq!(
        user.fields[0].verified_at.as_deref(),
        Some("2019-08-29T04:14:55.571+00:00")
    );
    assert_eq!(user.fields[1].verified_at, None);
    let source = user.source.as_ref().unwrap();
    assert_eq!(source.privacy.as_deref(), Some("public"));
    assert_eq!(source.fields[0].value, "https://trwnh.com");
    assert_eq!(source.follow_requests_count, Some(0));
    let role = user.role.as_ref().unwrap();
    assert_eq!(role.id.as_deref(), Some("-99"));

    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    assert!(
        session.tokens.refresh_token().is_none(),
        "Mastodon issues no refresh token"
    );
    assert_eq!(
        session.tokens.expires_in(),
        None,
        "its tokens do not expire"
    );
    assert_eq!(session.tokens.extra()["created_at"], 1_573_979_017);

    let profile = session.profile();
    assert_eq!(profile.id, "14715@mastodon.social");
    assert_eq!(profile.name.as_deref(), Some("infinite love ⴳ"));
    assert_eq!(profile.username.as_deref(), Some("trwnh"));
    assert_eq!(profile.email, None, "verify_credentials gives no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some(
            "https://files.mastodon.social/accounts/avatars/000/014/715/original/34aa222f4ae2e0a9.png"
        )
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("trwnh".to_owned()).await.unwrap();
    assert_eq!(client.adapter().user_count(), 1);

    // The same account signs in again: found, not created twice.
    let auth = client.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    mock_token(&mut server, &verifier).await;
    mock_user(&mut server, 200, USER).await;
    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(created.clone()));
    assert_eq!(
        session.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(client.adapter().user_count(), 1);
}

#[tokio::test]
async fn the_same_account_id_on_two_instances_is_two_identities() {
    let mut social = Server::new_async().await;
    let mut other = Server::new_async().await;
    let store = MemoryAdapter::<String>::new();
    let on = |instance: &str, server: &Server| {
        let provider = Mastodon::new(instance).unwrap();
        let endpoints = provider.endpoints().rebased(&server.url()).unwrap();
        OAuthClient::new(provider, config(), store.clone())
            .unwrap()
            .with_endpoints(endpoints)
    };
    let social_client = on("mastodon.social", &social);
    let other_client = on("fosstodon.org", &other);

    any_token(&mut social).await;
    mock_user(&mut social, 200, USER).await;
    let session = social_client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap();
    let first = session.create_user("trwnh".to_owned()).await.unwrap();

    // Account 14715 of another instance is someone else.
    any_token(&mut other).await;
    mock_user(&mut other, 200, USER).await;
    let session = other_client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap();
    assert_eq!(session.key().to_string(), "mastodon:14715@fosstodon.org");
    assert!(session.existing_user.is_none());
    let second = session.create_user("namesake".to_owned()).await.unwrap();
    assert_ne!(first, second);
    assert_eq!(store.user_count(), 2);
}

#[tokio::test]
async fn an_instance_cannot_claim_another_instances_account() {
    let mut server = Server::new_async().await;
    let evil = expect::client(Mastodon::new("evil.example").unwrap(), config(), &server);
    any_token(&mut server).await;
    // An answer naming mastodon.social everywhere it can.
    let claim = USER.replacen('{', r#"{"instance": "mastodon.social","#, 1);
    mock_user(&mut server, 200, &claim).await;
    let session = evil.validate_code(CODE, Some("v"), None).await.unwrap();
    assert_eq!(session.key().to_string(), "mastodon:14715@evil.example");
    assert_eq!(session.provider_user.instance, "evil.example");
}

#[tokio::test]
async fn revoke_posts_the_token_with_the_client_credentials_in_the_body() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let revoke = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(200, "application/json; charset=utf-8", "{}")
        .await;
    client
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;
}

#[tokio::test]
async fn revoking_a_token_the_app_does_not_own_is_a_typed_error() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(
            403,
            JSON,
            r#"{"error":"unauthorized_client","error_description":"You are not authorized to revoke this token"}"#,
        )
        .await;
    let err = client
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Revoke,
        403,
        "unauthorized_client",
        Some("You are not authorized to revoke this token"),
    );
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            400,
            JSON,
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
async fn wrong_client_credentials_are_an_oauth_error() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(401)
        .with_header("content-type", JSON)
        .with_body(
            r#"{"error":"invalid_client","error_description":"Client authentication failed due to unknown client, no client authentication included, or unsupported authentication method."}"#,
        )
        .create_async()
        .await;
    let err = client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 401, "invalid_client", None);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    server
        .mock("POST", TOKEN_PATH)
        .with_status(503)
        .with_header("content-type", "text/html; charset=utf-8")
        .with_body("<!DOCTYPE html><html><head><title>We're sorry, but something went wrong</title></head><body></body></html>")
        .create_async()
        .await;
    let err = client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html; charset=utf-8",
        "something went wrong",
    );
}

#[tokio::test]
async fn invalid_user_json_names_the_field() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    any_token(&mut server).await;
    // A numeric id is not what Mastodon documents: ids are strings.
    mock_user(&mut server, 200, r#"{"id":14715,"username":"trwnh"}"#).await;
    let err = client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("id"));
    assert!(
        err.to_string().contains("mastodon user request failed"),
        "{err}"
    );
}

#[tokio::test]
async fn an_account_without_a_confirmed_email_is_a_typed_failure() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    any_token(&mut server).await;
    // Mastodon's API errors are `{"error": "<a sentence>"}`.
    mock_user(
        &mut server,
        403,
        r#"{"error":"Your login is missing a confirmed e-mail address"}"#,
    )
    .await;
    let err = client
        .validate_code(CODE, Some("v"), None)
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::UserInfo,
        403,
        "Your login is missing a confirmed e-mail address",
        None,
    );
    assert_eq!(client.adapter().user_count(), 0);
}

#[tokio::test]
async fn an_empty_display_name_falls_back_to_the_username() {
    let mut server = Server::new_async().await;
    let client = client(&server);
    any_token(&mut server).await;
    mock_user(
        &mut server,
        200,
        r#"{"id":"109302378423837652","username":"quiet","acct":"quiet","display_name":"",
            "avatar":"","uri":"https://mastodon.social/users/quiet","fields":[],"emojis":[]}"#,
    )
    .await;
    let session = client.validate_code(CODE, Some("v"), None).await.unwrap();
    let profile = session.profile();
    assert_eq!(profile.id, "109302378423837652@mastodon.social");
    assert_eq!(profile.name.as_deref(), Some("quiet"));
    assert_eq!(profile.avatar_url, None, "an empty avatar URL is no avatar");
    assert_eq!(
        session.provider_user.uri.as_deref(),
        Some("https://mastodon.social/users/quiet")
    );
    assert_eq!(session.provider_user.source, None);
}

#[test]
fn role_permissions_are_a_string_of_digits() {
    let user: MastodonUser = serde_json::from_str(USER).unwrap();
    let role = user.role.unwrap();
    assert_eq!(role.permissions.as_deref(), Some("65536"));
    assert_eq!(role.permission_bits(), Some(1 << 16));

    let odd: MastodonUser =
        serde_json::from_str(r#"{"id":"1","username":"a","role":{"permissions":"all"}}"#).unwrap();
    assert_eq!(odd.role.unwrap().permission_bits(), None);
}

#[test]
fn the_user_round_trips_through_serde_with_its_instance() {
    let mut user: MastodonUser = serde_json::from_str(USER).unwrap();
    assert_eq!(user.instance, "", "Mastodon's answer names no instance");
    user.instance = INSTANCE.to_owned();
    let json = serde_json::to_string(&user).unwrap();
    let back: MastodonUser = serde_json::from_str(&json).unwrap();
    assert_eq!(back, user);
    assert_eq!(back.provider_user_id(), "14715@mastodon.social");
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
    let client = OAuthClient::new(mastodon(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}
