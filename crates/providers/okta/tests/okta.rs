//! Okta against a mock org: the exact requests, ID tokens signed here and verified with
//! the authorization server's key set, userinfo merged in.

use mockito::{Matcher, Mock, Server};
use portcullis::{
    AccessToken, AuthorizationUrl, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Provider, ProviderSession, ProviderUser, RefreshToken, Url,
};
use portcullis_okta::{AuthorizationServer, Okta, OktaUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, jwks, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CLIENT_ID: &str = "0oa1b2c3d4e5f6g7h8i9";
const CLIENT_SECRET: &str = "s3cr3t~okta/client+secret";
const REDIRECT: &str = "http://localhost:3000/login/okta/callback";
const CODE: &str = "Mb0Xc2Qn7uEo1WfKzYdA";
const ACCESS_TOKEN: &str = "eyJraWQiOiJEUjFp.okta-access-token.c2ln";
const REFRESH_TOKEN: &str = "Xq3Vw2aFvJ8kY7tR1pLm0nBzC6dE5gH4";
const SUB: &str = "00uid4BxXw6I6TV4m0g3";
const PREFIX: &str = "/oauth2/default/v1";

/// Okta authenticates the client with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// A client for the `default` authorization server of the mock org at `server`.
fn client(server: &Server) -> OAuthClient<Okta, MemoryAdapter<String>> {
    expect::client(
        Okta::new(&server.url(), AuthorizationServer::Default).unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        server,
    )
}

fn issuer(server: &Server) -> String {
    format!("{}/oauth2/default", server.url())
}

/// An ID token as Okta issues it beside an access token: few profile claims.
fn claims(server: &Server, nonce: &str, signer: &Signer) -> Value {
    let now = now();
    json!({
        "sub": SUB,
        "name": "Jane Doe",
        "email": "jane.doe@example.com",
        "ver": 1,
        "iss": issuer(server),
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 3600,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR",
        "amr": ["pwd"],
        "idp": "00ok1u7AsAkrwdZL3z0g3",
        "nonce": nonce,
        "preferred_username": "jane.doe@example.com",
        "auth_time": now - 10,
        "at_hash": signer.at_hash(ACCESS_TOKEN),
    })
}

/// Okta's userinfo for scopes `openid profile email groups`.
fn userinfo() -> Value {
    json!({
        "sub": SUB,
        "name": "Jane Doe",
        "locale": "en-US",
        "email": "jane.doe@example.com",
        "preferred_username": "jane.doe@example.com",
        "given_name": "Jane",
        "family_name": "Doe",
        "zoneinfo": "America/Los_Angeles",
        "updated_at": 1714641228,
        "email_verified": true,
        "groups": ["Everyone", "Engineering"],
    })
}

async fn mock_jwks(server: &mut Server, expect: usize) -> Mock {
    server
        .mock("GET", format!("{PREFIX}/keys").as_str())
        .match_header("accept", JSON)
        .with_header("content-type", JSON)
        .with_body(jwks(&[&Signer::rsa_1()]))
        .expect(expect)
        .create_async()
        .await
}

async fn mock_token(server: &mut Server, auth: &AuthorizationUrl, id_token: &str) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    let body = json!({
        "token_type": "Bearer",
        "expires_in": 3600,
        "access_token": ACCESS_TOKEN,
        "scope": "openid profile email offline_access groups",
        "refresh_token": REFRESH_TOKEN,
        "id_token": id_token,
    });
    expect::token_request(server, &format!("{PREFIX}/token"), CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

async fn mock_userinfo(server: &mut Server, body: &Value, expect: usize) -> Mock {
    expect::api_request(
        server,
        "GET",
        &format!("{PREFIX}/userinfo"),
        &[],
        ACCESS_TOKEN,
    )
    .expect(expect)
    .reply(200, JSON, body.to_string())
    .await
}

/// A whole sign-in whose ID token has [`claims`] changed by `edit`, signed by `signer`.
async fn sign_in_with(
    server: &mut Server,
    signer: &Signer,
    edit: impl FnOnce(&mut Value),
) -> Result<ProviderSession<OktaUser, MemoryAdapter<String>>, Error> {
    let okta = client(server);
    let auth = okta.authorization_url();
    let mut claims = claims(server, auth.pending.nonce().unwrap(), signer);
    edit(&mut claims);
    let _token = mock_token(server, &auth, &signer.sign(&claims)).await;
    okta.validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

#[test]
fn org_and_custom_authorization_servers_have_their_own_urls_and_issuers() {
    let org = Okta::new("dev-12345678.okta.com", AuthorizationServer::Org).unwrap();
    let e = org.endpoints();
    assert_eq!(
        e.authorization.as_str(),
        "https://dev-12345678.okta.com/oauth2/v1/authorize"
    );
    assert_eq!(
        e.token.as_str(),
        "https://dev-12345678.okta.com/oauth2/v1/token"
    );
    assert_eq!(
        e.userinfo.as_ref().map(Url::as_str),
        Some("https://dev-12345678.okta.com/oauth2/v1/userinfo")
    );
    assert_eq!(
        e.revocation.as_ref().map(Url::as_str),
        Some("https://dev-12345678.okta.com/oauth2/v1/revoke")
    );
    assert_eq!(e.issuer, None);
    assert_eq!(org.issuer(), "https://dev-12345678.okta.com");
    assert_eq!(
        org.verifier().jwks().url().as_str(),
        "https://dev-12345678.okta.com/oauth2/v1/keys"
    );

    let default = Okta::new(
        "https://dev-12345678.okta.com/",
        AuthorizationServer::Default,
    )
    .unwrap();
    assert_eq!(
        default.endpoints().token.as_str(),
        "https://dev-12345678.okta.com/oauth2/default/v1/token"
    );
    assert_eq!(
        default.issuer(),
        "https://dev-12345678.okta.com/oauth2/default"
    );

    let custom = Okta::new(
        "acme.okta.com",
        AuthorizationServer::Custom("aus8aus76q8iphupD0h7".to_owned()),
    )
    .unwrap();
    assert_eq!(
        custom.endpoints().authorization.as_str(),
        "https://acme.okta.com/oauth2/aus8aus76q8iphupD0h7/v1/authorize"
    );
    assert_eq!(
        custom.issuer(),
        "https://acme.okta.com/oauth2/aus8aus76q8iphupD0h7"
    );
    assert_eq!(
        custom.verifier().jwks().url().as_str(),
        "https://acme.okta.com/oauth2/aus8aus76q8iphupD0h7/v1/keys"
    );
    assert_eq!(
        custom.authorization_server(),
        &AuthorizationServer::Custom("aus8aus76q8iphupD0h7".to_owned())
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let okta = OAuthClient::new(
        Okta::new("dev-12345678.okta.com", AuthorizationServer::Org).unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scopes(["offline_access", "groups"]),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = okta.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://dev-12345678.okta.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/v1/authorize");
    assert_eq!(auth.url.query_pairs().count(), query_of(&auth.url).len());
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    assert_eq!(
        query.remove("code_challenge").unwrap(),
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    assert_eq!(query.remove("nonce").as_deref(), auth.pending.nonce());
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("client_id", CLIENT_ID),
            ("code_challenge_method", "S256"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access groups"),
        ]
    );
    assert_eq!(auth.pending.provider(), "okta");
}

#[tokio::test]
async fn sign_in_verifies_the_id_token_and_merges_userinfo() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let userinfo = mock_userinfo(&mut server, &userinfo(), 1).await;
    let okta = client(&server);
    let auth = okta.authorization_url();
    let signer = Signer::rsa_1();
    let id_token = signer.sign(&claims(&server, auth.pending.nonce().unwrap(), &signer));
    let token = mock_token(&mut server, &auth, &id_token).await;

    let session = okta
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    jwks.assert_async().await;
    userinfo.assert_async().await;

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), format!("okta:{SUB}"));
    let user = &session.provider_user;
    // From userinfo only.
    assert_eq!(user.given_name.as_deref(), Some("Jane"));
    assert_eq!(user.zoneinfo.as_deref(), Some("America/Los_Angeles"));
    assert_eq!(user.updated_at, Some(1714641228));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(
        user.groups.as_deref(),
        Some(&["Everyone".to_owned(), "Engineering".to_owned()][..])
    );
    // From the ID token only.
    assert_eq!(user.claims["idp"], json!("00ok1u7AsAkrwdZL3z0g3"));
    assert_eq!(user.claims["amr"], json!(["pwd"]));
    for token_claim in ["iss", "aud", "exp", "nonce", "jti", "ver", "at_hash"] {
        assert!(!user.claims.contains_key(token_claim), "{token_claim}");
    }

    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.username.as_deref(), Some("jane.doe@example.com"));
    assert_eq!(profile.verified_email(), Some("jane.doe@example.com"));
    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
}

#[tokio::test]
async fn userinfo_for_another_subject_fails() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let mut other = userinfo();
    other["sub"] = json!("00u1nt3rl0p3r");
    let _userinfo = mock_userinfo(&mut server, &other, 1).await;
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_1(), |_| {}).await);
    assert_eq!(e, IdTokenError::SubjectMismatch);
}

#[tokio::test]
async fn wrong_audience_issuer_and_nonce_each_fail_before_userinfo() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let userinfo = mock_userinfo(&mut server, &userinfo(), 0).await;

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["aud"] = json!("0oaANOTHERAPP")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Audience);

    // A token of the org authorization server, for a client of the `default` one.
    let org_issuer = server.url();
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["iss"] = json!(org_issuer)
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Issuer {
            expected: issuer(&server),
            found: server.url()
        }
    );

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["nonce"] = json!("another-sign-in")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Nonce);

    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_2(), |_| {}).await);
    assert_eq!(e, IdTokenError::UnknownKey);
    userinfo.assert_async().await;
}

#[tokio::test]
async fn a_userinfo_failure_is_a_user_request_error() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    server
        .mock("GET", format!("{PREFIX}/userinfo").as_str())
        .with_status(401)
        .with_header(
            "www-authenticate",
            r#"Bearer authorization_uri="http://localhost/oauth2/default/v1/authorize", realm="http://localhost", scope="openid", error="invalid_token", error_description="The access token is invalid.""#,
        )
        .with_header("content-type", JSON)
        .with_body(
            r#"{"error":"invalid_token","error_description":"The access token is invalid."}"#,
        )
        .create_async()
        .await;
    let err = sign_in_with(&mut server, &Signer::rsa_1(), |_| {})
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::UserInfo,
        401,
        "invalid_token",
        Some("The access token is invalid."),
    );
    assert!(!err.to_string().contains(ACCESS_TOKEN));
}

#[tokio::test]
async fn a_claim_of_the_wrong_type_is_named() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let mut bad = userinfo();
    bad["email_verified"] = json!("pending");
    let _userinfo = mock_userinfo(&mut server, &bad, 1).await;
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_1(), |_| {}).await);
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "email_verified".to_owned()
        }
    );

    // As strings, Okta's booleans still count.
    let mut strings = userinfo();
    strings["email_verified"] = json!("true");
    mock_userinfo(&mut server, &strings, 1).await;
    let session = sign_in_with(&mut server, &Signer::rsa_1(), |_| {})
        .await
        .unwrap();
    assert!(session.profile().email_verified);
}

#[test]
fn an_unverified_email_is_not_verified() {
    let mut claims = userinfo();
    claims["email_verified"] = json!(false);
    let user: OktaUser = serde_json::from_value(claims).unwrap();
    assert!(!user.profile().email_verified);
    assert_eq!(user.verified_email(), None);
    let back: OktaUser = serde_json::from_value(serde_json::to_value(&user).unwrap()).unwrap();
    assert_eq!(back, user);
}

#[tokio::test]
async fn refresh_and_revoke_authenticate_with_basic() {
    let mut server = Server::new_async().await;
    let okta = client(&server);
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh =
        expect::token_request(&mut server, &format!("{PREFIX}/token"), CREDENTIALS, &form)
            .reply(
                200,
                JSON,
                json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "fresh",
                   "scope": "openid profile email offline_access", "refresh_token": "rotated"})
                .to_string(),
            )
            .await;
    let tokens = okta
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "fresh");
    assert_eq!(tokens.refresh_token().unwrap().secret(), "rotated");

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let revoke =
        expect::token_request(&mut server, &format!("{PREFIX}/revoke"), CREDENTIALS, &form)
            .reply_empty(200)
            .await;
    okta.revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;

    server
        .mock("POST", format!("{PREFIX}/token").as_str())
        .match_header("authorization", Matcher::Any)
        .with_status(400)
        .with_header("content-type", JSON)
        .with_body(r#"{"error":"invalid_grant","error_description":"The refresh token is invalid or expired."}"#)
        .create_async()
        .await;
    let err = okta
        .refresh(&RefreshToken::new("expired".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Refresh,
        400,
        "invalid_grant",
        Some("The refresh token is invalid or expired."),
    );
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let okta = client(&server);
    let signer = Signer::rsa_1();
    // A refreshed ID token has no nonce (OpenID Connect Core 1.0 §12.2); its `at_hash`
    // is the new access token's.
    let mut fresh = claims(&server, "unused", &signer);
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash("fresh"));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_with = async |server: &mut Server, id_token: &str| {
        let body = json!({"token_type": "Bearer", "expires_in": 3600, "access_token": "fresh",
                          "scope": "openid profile email offline_access", "id_token": id_token});
        let mock = expect::token_request(server, &format!("{PREFIX}/token"), CREDENTIALS, &form)
            .reply(200, JSON, body.to_string())
            .await;
        let result = okta
            .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await;
        mock.assert_async().await;
        result
    };

    let id_token = signer.sign(&fresh);
    let tokens = refresh_with(&mut server, &id_token).await.unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    let mut other_client = fresh.clone();
    other_client["aud"] = json!("0oaANOTHERAPP");
    let e = id_token_error(refresh_with(&mut server, &signer.sign(&other_client)).await);
    assert_eq!(e, IdTokenError::Audience);

    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("00u1nt3rl0p3r");
    someone_else["email"] = json!("mallory@example.com");
    someone_else["preferred_username"] = json!("mallory@example.com");
    let e = id_token_error(refresh_with(&mut server, &tamper(&id_token, &someone_else)).await);
    assert_eq!(e, IdTokenError::Signature);
    jwks.assert_async().await;
}
