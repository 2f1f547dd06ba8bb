//! Auth0 against a mock tenant: the exact requests, ID tokens signed here and verified
//! with the tenant's key set, and what comes out of Auth0's claims.

use mockito::{Mock, Server};
use portcullis::{
    AccessToken, AuthorizationUrl, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Provider, ProviderUser, RefreshToken, Url,
};
use portcullis_auth0::{Auth0, Auth0User};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, jwks, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CLIENT_ID: &str = "yBXn0ZqK3FWpXr9hT4Ve2mLcJ8sAd1Qo";
const CLIENT_SECRET: &str = "s3cr3t-Auth0-client-secret";
const REDIRECT: &str = "http://localhost:3000/login/auth0/callback";
const CODE: &str = "hTi1RKb4yLk3PqQ9";
const ACCESS_TOKEN: &str = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIn0..opaque-access-token";
const REFRESH_TOKEN: &str = "v1.MdZ3rV0S4Gv8yqYk2n1QxO8cJpL6eTbH";
const SUB: &str = "google-oauth2|110169484474386276334";

/// The client id and secret go in the form body (`client_secret_post`).
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Auth0, MemoryAdapter<String>>;

/// A client for the mock tenant at `server`, as `Auth0::new` builds it.
fn client(server: &Server) -> Client {
    OAuthClient::new(
        Auth0::new(&server.url()).unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::new(),
    )
    .unwrap()
}

/// The issuer of the mock tenant: its URL with Auth0's trailing slash.
fn issuer(server: &Server) -> String {
    format!("{}/", server.url())
}

/// The claims of an ID token Auth0 issues for a Google-connection user, scopes
/// `openid profile email`.
fn claims(server: &Server, nonce: &str, signer: &Signer) -> Value {
    let now = now();
    json!({
        "given_name": "Jane",
        "family_name": "Doe",
        "nickname": "jane.doe",
        "name": "Jane Doe",
        "picture": "https://lh3.googleusercontent.com/a/ACg8ocJ0Fq3hXyZ=s96-c",
        "locale": "en",
        "updated_at": "2024-05-02T09:13:48.321Z",
        "email": "jane.doe@example.com",
        "email_verified": true,
        "iss": issuer(server),
        "aud": CLIENT_ID,
        "iat": now,
        "exp": now + 36000,
        "sub": SUB,
        "sid": "b4Jx0v3u7yQ2Wf6nZc1R",
        "nonce": nonce,
        "at_hash": signer.at_hash(ACCESS_TOKEN),
        "https://app.example/roles": ["admin"],
    })
}

async fn mock_jwks(server: &mut Server, expect: usize) -> Mock {
    server
        .mock("GET", "/.well-known/jwks.json")
        .match_header("accept", "application/json")
        .with_header("content-type", "application/json; charset=utf-8")
        .with_body(jwks(&[&Signer::rsa_1()]))
        .expect(expect)
        .create_async()
        .await
}

/// The token endpoint, expecting exactly the code exchange of `auth`.
async fn mock_token(server: &mut Server, auth: &AuthorizationUrl, body: &Value) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, "/oauth/token", CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

fn token_response(id_token: &str) -> Value {
    json!({
        "access_token": ACCESS_TOKEN,
        "id_token": id_token,
        "refresh_token": REFRESH_TOKEN,
        "scope": "openid profile email offline_access",
        "expires_in": 86400,
        "token_type": "Bearer",
    })
}

/// A whole sign-in whose ID token has [`claims`] (with the sign-in's nonce) changed by
/// `edit`, signed by `signer`.
async fn sign_in_with(
    server: &mut Server,
    signer: &Signer,
    edit: impl FnOnce(&mut Value),
) -> Result<portcullis::ProviderSession<Auth0User, MemoryAdapter<String>>, Error> {
    let auth0 = client(server);
    let auth = auth0.authorization_url();
    let mut claims = claims(server, auth.pending.nonce().unwrap(), signer);
    edit(&mut claims);
    let _token = mock_token(server, &auth, &token_response(&signer.sign(&claims))).await;
    auth0
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

#[test]
fn endpoints_and_issuer_follow_the_domain() {
    let auth0 = Auth0::new("dev-abc123.us.auth0.com").unwrap();
    let endpoints = auth0.endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://dev-abc123.us.auth0.com/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://dev-abc123.us.auth0.com/oauth/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://dev-abc123.us.auth0.com/oauth/revoke")
    );
    assert_eq!(endpoints.userinfo, None, "the user comes from the ID token");
    assert_eq!(endpoints.issuer, None, "Auth0 does not advertise RFC 9207");
    assert!(!endpoints.issuer_required);
    assert_eq!(auth0.issuer(), "https://dev-abc123.us.auth0.com/");
    assert_eq!(
        auth0.verifier().jwks().url().as_str(),
        "https://dev-abc123.us.auth0.com/.well-known/jwks.json"
    );

    // A custom domain, written as a URL: the same shape.
    let custom = Auth0::new("https://login.example.com/").unwrap();
    assert_eq!(custom.issuer(), "https://login.example.com/");
    assert_eq!(
        custom.endpoints().token.as_str(),
        "https://login.example.com/oauth/token"
    );

    assert!(matches!(
        Auth0::new("dev-abc123.us.auth0.com/authorize"),
        Err(Error::Config(_))
    ));
}

#[test]
fn authorization_url_has_every_parameter() {
    let auth0 = OAuthClient::new(
        Auth0::new("dev-abc123.us.auth0.com").unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scope("offline_access")
            .authorization_param("connection", "google-oauth2"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = auth0.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://dev-abc123.us.auth0.com"
    );
    assert_eq!(auth.url.path(), "/authorize");
    assert_eq!(auth.url.query_pairs().count(), query_of(&auth.url).len());

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce());
    assert!(nonce.len() >= 22 && nonce != state);
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("client_id", CLIENT_ID),
            ("code_challenge_method", "S256"),
            ("connection", "google-oauth2"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email offline_access"),
        ]
    );
    assert_eq!(auth.pending.provider(), "auth0");
}

#[tokio::test]
async fn sign_in_verifies_the_id_token_and_reads_the_user_from_it() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let auth0 = client(&server);
    let auth = auth0.authorization_url();
    let signer = Signer::rsa_1();
    let claims = claims(&server, auth.pending.nonce().unwrap(), &signer);
    let token = mock_token(&mut server, &auth, &token_response(&signer.sign(&claims))).await;
    let userinfo = server
        .mock("GET", "/userinfo")
        .expect(0)
        .create_async()
        .await;

    let session = auth0
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    jwks.assert_async().await;
    userinfo.assert_async().await;

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(
        session.key().to_string(),
        "auth0:google-oauth2|110169484474386276334"
    );
    let user = &session.provider_user;
    assert_eq!(user.sub, SUB);
    assert_eq!(user.nickname.as_deref(), Some("jane.doe"));
    assert_eq!(user.given_name.as_deref(), Some("Jane"));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.updated_at.as_deref(), Some("2024-05-02T09:13:48.321Z"));
    assert_eq!(user.connection_strategy(), Some("google-oauth2"));
    assert_eq!(user.claims["https://app.example/roles"], json!(["admin"]));
    for token_claim in ["iss", "aud", "exp", "iat", "nonce", "sid", "at_hash"] {
        assert!(
            !user.claims.contains_key(token_claim),
            "{token_claim} is about the token, not the user"
        );
    }

    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.verified_email(), Some("jane.doe@example.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://lh3.googleusercontent.com/a/ACg8ocJ0Fq3hXyZ=s96-c")
    );
    assert_eq!(profile.username, None);

    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert!(session.existing_user.is_none());
    let created = session.create_user("jane".to_owned()).await.unwrap();

    // A second sign-in: the cached keys, the same identity.
    let auth = auth0.authorization_url();
    let claims = self::claims(&server, auth.pending.nonce().unwrap(), &signer);
    mock_token(&mut server, &auth, &token_response(&signer.sign(&claims))).await;
    let again = auth0
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    assert_eq!(again.existing_user, Some(created));
    jwks.assert_async().await;
}

#[tokio::test]
async fn an_id_token_for_another_client_fails() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["aud"] = json!("another-application")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Audience);
}

#[tokio::test]
async fn the_issuer_needs_auth0_s_trailing_slash() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 0).await;
    let without_slash = server.url();
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["iss"] = json!(without_slash)
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
            c["iss"] = json!("https://another-tenant.us.auth0.com/")
        })
        .await,
    );
    assert!(matches!(e, IdTokenError::Issuer { .. }), "{e:?}");
}

#[tokio::test]
async fn a_token_from_another_sign_in_fails_on_its_nonce() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["nonce"] = json!("a-nonce-of-another-sign-in")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Nonce);

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c.as_object_mut().unwrap().remove("nonce");
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Nonce, "a missing nonce fails too");
}

#[tokio::test]
async fn signature_key_algorithm_and_time_are_checked() {
    let mut server = Server::new_async().await;
    // Fetched once, then once more for the unknown key.
    let _jwks = mock_jwks(&mut server, 2).await;

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["exp"] = json!(now() - 3600)
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Expired);

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["at_hash"] = json!("bm90IHRoZSBhY2Nlc3MgdG9rZW4")
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );

    // A key the tenant does not publish.
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_2(), |_| {}).await);
    assert_eq!(e, IdTokenError::UnknownKey);

    // HS256 keyed with the client secret: a legacy Auth0 setting, refused.
    let e = id_token_error(sign_in_with(&mut server, &Signer::hmac(CLIENT_SECRET), |_| {}).await);
    assert_eq!(e, IdTokenError::Algorithm("HS256".to_owned()));

    // The tenant's key with PS256: allowed (Auth0 lists it).
    let pss = Signer::rsa_1().with_alg("PS256");
    let session = sign_in_with(&mut server, &pss, |_| {}).await.unwrap();
    assert_eq!(session.provider_user_id, SUB);
}

#[tokio::test]
async fn no_id_token_or_no_nonce_is_refused() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 0).await;
    let auth0 = client(&server);
    let auth = auth0.authorization_url();
    let mut body = token_response("x");
    body.as_object_mut().unwrap().remove("id_token");
    mock_token(&mut server, &auth, &body).await;
    let e = id_token_error(
        auth0
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await,
    );
    assert_eq!(e, IdTokenError::Missing);

    // `validate_code` without the sign-in's nonce: the ID token proves nothing.
    let auth = auth0.authorization_url();
    let signer = Signer::rsa_1();
    let claims = claims(&server, auth.pending.nonce().unwrap(), &signer);
    mock_token(&mut server, &auth, &token_response(&signer.sign(&claims))).await;
    let e = id_token_error(
        auth0
            .validate_code(CODE, auth.pending.code_verifier(), None)
            .await,
    );
    assert_eq!(e, IdTokenError::Nonce);
}

#[tokio::test]
async fn the_whole_sub_is_the_id_where_lucia_s_split_collides() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let mut ids = Vec::new();
    let mut lucia_ids = Vec::new();
    for sub in [
        "google-oauth2|123",
        "github|123",
        "samlp|acme|jdoe",
        "samlp|acme|asmith",
        "auth0|64b1f0c2e1",
    ] {
        let session = sign_in_with(&mut server, &Signer::rsa_1(), |c| c["sub"] = json!(sub))
            .await
            .unwrap();
        assert_eq!(session.key().to_string(), format!("auth0:{sub}"));
        ids.push(session.provider_user_id.clone());
        lucia_ids.push(
            session
                .provider_user
                .lucia_provider_user_id()
                .map(str::to_owned),
        );
    }
    let distinct: std::collections::BTreeSet<_> = ids.iter().collect();
    assert_eq!(distinct.len(), ids.len(), "every identity has its own key");
    // What Lucia stored: two users share `123`, every `acme` user is `acme`.
    assert_eq!(lucia_ids[0], lucia_ids[1]);
    assert_eq!(lucia_ids[2].as_deref(), Some("acme"));
    assert_eq!(lucia_ids[2], lucia_ids[3]);
    assert_eq!(lucia_ids[4].as_deref(), Some("64b1f0c2e1"));
}

#[test]
fn email_verified_is_auth0_s_word_as_a_boolean_or_a_string() {
    let user = |extra: Value| {
        let mut claims = json!({"sub": "auth0|1", "email": "a@example.com"});
        claims
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        serde_json::from_value::<Auth0User>(claims)
    };
    for (value, verified) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
        (json!("false"), false),
        (Value::Null, false),
    ] {
        let u = user(json!({"email_verified": value})).unwrap();
        assert_eq!(u.profile().email_verified, verified, "{value}");
        assert_eq!(u.verified_email().is_some(), verified);
    }
    assert!(!user(json!({})).unwrap().profile().email_verified);
    assert!(user(json!({"email_verified": "yes"})).is_err());

    // `updated_at` as Auth0's date string or the standard's seconds.
    let u = user(json!({"updated_at": 1714641228})).unwrap();
    assert_eq!(u.updated_at.as_deref(), Some("1714641228"));
    // No `name`: the given and family names.
    let u = user(json!({"given_name": "Jane", "family_name": "Doe"})).unwrap();
    assert_eq!(u.profile().name.as_deref(), Some("Jane Doe"));
    let round_trip: Auth0User = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
    assert_eq!(round_trip, u);
}

#[tokio::test]
async fn an_unverified_email_stays_unverified() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let session = sign_in_with(&mut server, &Signer::rsa_1(), |c| {
        c["sub"] = json!("auth0|64b1f0c2e1");
        c["email_verified"] = json!(false);
    })
    .await
    .unwrap();
    let profile = session.profile();
    assert_eq!(profile.email.as_deref(), Some("jane.doe@example.com"));
    assert!(!profile.email_verified);
    assert_eq!(profile.verified_email(), None);
}

#[tokio::test]
async fn a_refused_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let auth0 = client(&server);
    let auth = auth0.authorization_url();
    server
        .mock("POST", "/oauth/token")
        .with_status(403)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_grant","error_description":"Invalid authorization code"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = auth0
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 403, "invalid_grant", None);
}

#[tokio::test]
async fn refresh_and_revoke_send_exactly_what_auth0_documents() {
    let mut server = Server::new_async().await;
    let auth0 = client(&server);

    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = expect::token_request(&mut server, "/oauth/token", CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            json!({"access_token": "new-access-token", "expires_in": 86400,
                   "scope": "openid profile email offline_access", "token_type": "Bearer"})
            .to_string(),
        )
        .await;
    let tokens = auth0
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "new-access-token");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN,
        "without rotation the refresh token stays"
    );

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let revoke = expect::token_request(&mut server, "/oauth/revoke", CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    auth0
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;

    // Access tokens are not revocable at Auth0: its error comes back typed.
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    expect::token_request(&mut server, "/oauth/revoke", CREDENTIALS, &form)
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_request","error_description":"The token is not a refresh token"}"#,
        )
        .await;
    let err = auth0
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 400, "invalid_request", None);
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let auth0 = client(&server);
    let signer = Signer::rsa_1();
    // A refreshed ID token has no nonce (OpenID Connect Core 1.0 §12.2); its `at_hash`
    // is the new access token's.
    let mut fresh = claims(&server, "unused", &signer);
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash("new-access-token"));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_with = async |server: &mut Server, id_token: &str| {
        let body = json!({"access_token": "new-access-token", "id_token": id_token,
                          "expires_in": 86400, "token_type": "Bearer"});
        let mock = expect::token_request(server, "/oauth/token", CREDENTIALS, &form)
            .reply(200, JSON, body.to_string())
            .await;
        let result = auth0
            .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await;
        mock.assert_async().await;
        result
    };

    let id_token = signer.sign(&fresh);
    let tokens = refresh_with(&mut server, &id_token).await.unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    let mut other_client = fresh.clone();
    other_client["aud"] = json!("another-application");
    let e = id_token_error(refresh_with(&mut server, &signer.sign(&other_client)).await);
    assert_eq!(e, IdTokenError::Audience);

    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("auth0|someone-else");
    someone_else["email"] = json!("mallory@example.com");
    let e = id_token_error(refresh_with(&mut server, &tamper(&id_token, &someone_else)).await);
    assert_eq!(e, IdTokenError::Signature);
    jwks.assert_async().await;
}
