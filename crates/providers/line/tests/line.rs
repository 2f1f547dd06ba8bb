//! LINE Login against a mock of its endpoints: the exact requests, web-login ID tokens
//! signed here with the channel secret (HS256) and verified, and the profile.

use mockito::{Mock, Server};
use portcullis::{
    ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider,
    ProviderSession, ProviderUser, RefreshToken, Url,
};
use portcullis_line::{Line, LineUser};
use portcullis_oidc::Jwks;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CHANNEL_ID: &str = "1234567890";
const CHANNEL_SECRET: &str = "0a1b2c3d4e5f60718293a4b5c6d7e8f9";
const REDIRECT: &str = "http://localhost:3000/login/line/callback";
const CODE: &str = "abcd1234efgh5678";
const ACCESS_TOKEN: &str = "bNl4YEFPI/hjFWhTqexp4MuEw5YPs";
const REFRESH_TOKEN: &str = "Aa1FdeggRhTnPNNpxr8p";
const USER_ID: &str = "U4af4980629a1b2c3d4e5f60718293a4b";
const TOKEN_PATH: &str = "/oauth2/v2.1/token";

/// LINE takes the channel id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CHANNEL_ID,
    secret: CHANNEL_SECRET,
};

/// LINE pointed at the mock server: its endpoints and (for ES256 tokens) its key set.
fn client(server: &Server) -> OAuthClient<Line, MemoryAdapter<String>> {
    let keys = format!("{}/oauth2/v2.1/certs", server.url());
    expect::client(
        Line::new(CHANNEL_SECRET).jwks(Jwks::new(keys.parse().unwrap())),
        ClientConfig::new(CHANNEL_ID, CHANNEL_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        server,
    )
}

/// The ID token payload of LINE's documentation, scopes `openid profile email`.
fn claims(nonce: &str) -> Value {
    let now = now();
    json!({
        "iss": "https://access.line.me",
        "sub": USER_ID,
        "aud": CHANNEL_ID,
        "exp": now + 3600,
        "iat": now,
        "nonce": nonce,
        "amr": ["pwd"],
        "name": "Taro Line",
        "picture": "https://profile.line-scdn.net/0h8pWWElvzZ19qLk3ywQYYCFZraTIdAGEXEkkoPUUdMWcRHiAOVkkqP0V9aG5ATCEbUEB5O0x4OmdE",
        "email": "taro.line@example.com",
    })
}

fn profile() -> Value {
    json!({
        "userId": USER_ID,
        "displayName": "Taro Line",
        "pictureUrl": "https://profile.line-scdn.net/0h8pWWElvzZ19qLk3ywQYYCFZraTIdAGEXEkkoPUUdMWcRHiAOVkkqP0V9aG5ATCEbUEB5O0x4OmdE",
        "statusMessage": "Hello, LINE!",
    })
}

async fn mock_token(server: &mut Server, verifier: &str, id_token: &str) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    let body = json!({
        "access_token": ACCESS_TOKEN,
        "expires_in": 2592000,
        "id_token": id_token,
        "refresh_token": REFRESH_TOKEN,
        "scope": "profile openid email",
        "token_type": "Bearer",
    });
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

async fn mock_profile(server: &mut Server, body: &Value, expect: usize) -> Mock {
    expect::api_request(server, "GET", "/v2/profile", &[], ACCESS_TOKEN)
        .expect(expect)
        .reply(200, JSON, body.to_string())
        .await
}

async fn mock_jwks_unused(server: &mut Server) -> Mock {
    server
        .mock("GET", "/oauth2/v2.1/certs")
        .expect(0)
        .create_async()
        .await
}

/// A whole sign-in whose ID token has [`claims`] changed by `edit`, signed by `signer`.
async fn sign_in_with(
    server: &mut Server,
    signer: &Signer,
    edit: impl FnOnce(&mut Value),
) -> Result<ProviderSession<LineUser, MemoryAdapter<String>>, Error> {
    let line = client(server);
    let auth = line.authorization_url();
    let mut claims = claims(auth.pending.nonce().unwrap());
    edit(&mut claims);
    let _token = mock_token(
        server,
        auth.pending.code_verifier().unwrap(),
        &signer.sign(&claims),
    )
    .await;
    line.validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

#[test]
fn endpoints_are_line_login_v2_1() {
    let line = Line::new(CHANNEL_SECRET);
    let e = line.endpoints();
    assert_eq!(
        e.authorization.as_str(),
        "https://access.line.me/oauth2/v2.1/authorize"
    );
    assert_eq!(e.token.as_str(), "https://api.line.me/oauth2/v2.1/token");
    assert_eq!(
        e.userinfo.as_ref().map(Url::as_str),
        Some("https://api.line.me/v2/profile")
    );
    assert_eq!(e.revocation, None);
    assert_eq!(e.issuer, None);
    assert_eq!(line.verifier().issuer(), "https://access.line.me");
    assert_eq!(
        line.verifier().jwks().url().as_str(),
        "https://api.line.me/oauth2/v2.1/certs"
    );
    let debug = format!("{line:?}");
    assert!(!debug.contains(CHANNEL_SECRET), "{debug}");
}

#[test]
fn authorization_url_has_every_parameter() {
    let line = OAuthClient::new(
        Line::new(CHANNEL_SECRET),
        ClientConfig::new(CHANNEL_ID, CHANNEL_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scope("email"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = line.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next(),
        Some("https://access.line.me/oauth2/v2.1/authorize")
    );
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    assert_eq!(query.remove("nonce").as_deref(), auth.pending.nonce());
    assert_eq!(
        query.remove("code_challenge").unwrap(),
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("client_id", CHANNEL_ID),
            ("code_challenge_method", "S256"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email"),
        ]
    );
    assert_eq!(auth.pending.provider(), "line");
}

#[tokio::test]
async fn sign_in_verifies_the_hs256_id_token_and_reads_the_profile() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks_unused(&mut server).await;
    let profile = mock_profile(&mut server, &profile(), 1).await;
    let line = client(&server);
    let auth = line.authorization_url();
    let id_token = Signer::hmac(CHANNEL_SECRET).sign(&claims(auth.pending.nonce().unwrap()));
    let token = mock_token(
        &mut server,
        auth.pending.code_verifier().unwrap(),
        &id_token,
    )
    .await;

    let session = line
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    profile.assert_async().await;
    jwks.assert_async().await;

    assert_eq!(session.provider_user_id, USER_ID);
    assert_eq!(session.key().to_string(), format!("line:{USER_ID}"));
    let user = &session.provider_user;
    assert_eq!(user.provider_user_id(), USER_ID);
    assert_eq!(user.display_name, "Taro Line");
    assert_eq!(user.status_message.as_deref(), Some("Hello, LINE!"));
    assert_eq!(user.email.as_deref(), Some("taro.line@example.com"));
    assert_eq!(user.amr.as_deref(), Some(&["pwd".to_owned()][..]));

    let p = session.profile();
    assert_eq!(p.name.as_deref(), Some("Taro Line"));
    assert_eq!(p.email.as_deref(), Some("taro.line@example.com"));
    assert!(!p.email_verified, "LINE does not say the email is verified");
    assert_eq!(p.verified_email(), None);
    assert!(
        p.avatar_url
            .unwrap()
            .starts_with("https://profile.line-scdn.net/")
    );

    // Lucia's field names, so stored users read back.
    let stored = serde_json::to_value(user).unwrap();
    assert_eq!(stored["userId"], json!(USER_ID));
    assert_eq!(stored["displayName"], json!("Taro Line"));
    let back: LineUser = serde_json::from_value(stored).unwrap();
    assert_eq!(&back, user);
}

#[tokio::test]
async fn a_user_without_picture_status_or_email() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks_unused(&mut server).await;
    mock_profile(
        &mut server,
        &json!({"userId": USER_ID, "displayName": "Taro Line"}),
        1,
    )
    .await;
    let session = sign_in_with(&mut server, &Signer::hmac(CHANNEL_SECRET), |c| {
        c.as_object_mut().unwrap().remove("email");
    })
    .await
    .unwrap();
    assert_eq!(session.provider_user.picture_url, None);
    assert_eq!(session.provider_user.status_message, None);
    assert_eq!(session.profile().email, None);
}

#[tokio::test]
async fn wrong_audience_issuer_nonce_and_secret_each_fail() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks_unused(&mut server).await;
    let profile = mock_profile(&mut server, &profile(), 0).await;
    let hs256 = Signer::hmac(CHANNEL_SECRET);

    let e =
        id_token_error(sign_in_with(&mut server, &hs256, |c| c["aud"] = json!("9876543210")).await);
    assert_eq!(e, IdTokenError::Audience);

    let e = id_token_error(
        sign_in_with(&mut server, &hs256, |c| {
            c["iss"] = json!("https://access.line.me/")
        })
        .await,
    );
    assert!(matches!(e, IdTokenError::Issuer { .. }), "{e:?}");

    let e = id_token_error(
        sign_in_with(&mut server, &hs256, |c| c["nonce"] = json!("0987654asdf")).await,
    );
    assert_eq!(e, IdTokenError::Nonce);

    let e =
        id_token_error(sign_in_with(&mut server, &hs256, |c| c["exp"] = json!(now() - 600)).await);
    assert_eq!(e, IdTokenError::Expired);

    // Signed with another channel's secret.
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::hmac("another-channel-secret"), |_| {}).await,
    );
    assert_eq!(e, IdTokenError::Signature);

    // RS256 is no algorithm of LINE's: refused before any key is fetched.
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_1(), |_| {}).await);
    assert_eq!(e, IdTokenError::Algorithm("RS256".to_owned()));
    profile.assert_async().await;
}

#[tokio::test]
async fn a_profile_of_another_user_fails() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks_unused(&mut server).await;
    let mut other = profile();
    other["userId"] = json!("U0000000000000000000000000000000f");
    mock_profile(&mut server, &other, 1).await;
    let e = id_token_error(sign_in_with(&mut server, &Signer::hmac(CHANNEL_SECRET), |_| {}).await);
    assert_eq!(e, IdTokenError::SubjectMismatch);
}

#[tokio::test]
async fn a_profile_error_is_a_user_request_error() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks_unused(&mut server).await;
    server
        .mock("GET", "/v2/profile")
        .with_status(401)
        .with_header("content-type", "application/json")
        .with_body(r#"{"message":"The access token expired"}"#)
        .create_async()
        .await;
    let err = sign_in_with(&mut server, &Signer::hmac(CHANNEL_SECRET), |_| {})
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::UserInfo,
        401,
        JSON,
        "The access token expired",
    );
}

#[tokio::test]
async fn refresh_sends_the_channel_credentials_in_the_body() {
    let mut server = Server::new_async().await;
    let line = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            json!({"token_type": "Bearer", "scope": "profile openid", "access_token": "fresh",
                   "expires_in": 2592000, "refresh_token": "8iFFRdyxNVNLWYeteMMJ"})
            .to_string(),
        )
        .await;
    let tokens = line
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "fresh");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "8iFFRdyxNVNLWYeteMMJ"
    );

    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_grant","error_description":"invalid refresh token"}"#)
        .create_async()
        .await;
    let err = line
        .refresh(&RefreshToken::new("expired".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Refresh,
        400,
        "invalid_grant",
        Some("invalid refresh token"),
    );
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks_unused(&mut server).await;
    let line = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());
    let answer = |server: &mut Server, id_token: &str| {
        let body = json!({"token_type": "Bearer", "scope": "profile openid email",
                          "access_token": "fresh", "expires_in": 2592000,
                          "refresh_token": "8iFFRdyxNVNLWYeteMMJ", "id_token": id_token});
        expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form).reply(
            200,
            JSON,
            body.to_string(),
        )
    };
    // A refreshed token carries no nonce (OpenID Connect Core 1.0 §12.2).
    let mut fresh = claims("");
    fresh.as_object_mut().unwrap().remove("nonce");

    let id_token = Signer::hmac(CHANNEL_SECRET).sign(&fresh);
    let mock = answer(&mut server, &id_token).await;
    let tokens = line.refresh(&refresh_token).await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_channel = fresh.clone();
    other_channel["aud"] = json!("9876543210");
    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("U0000000000000000000000000000000f");
    someone_else["email"] = json!("someone.else@example.com");
    for (forged, expected) in [
        (
            Signer::hmac(CHANNEL_SECRET).sign(&other_channel),
            IdTokenError::Audience,
        ),
        (
            Signer::hmac("another-channel-secret").sign(&fresh),
            IdTokenError::Signature,
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
    ] {
        let mock = answer(&mut server, &forged).await;
        assert_eq!(id_token_error(line.refresh(&refresh_token).await), expected);
        mock.assert_async().await;
    }
    // HS256 tokens are checked with the channel secret: LINE's keys are never fetched.
    jwks.assert_async().await;
}
