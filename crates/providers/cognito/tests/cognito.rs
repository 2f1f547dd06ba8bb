//! Amazon Cognito against a mock of a user pool's domain, with ID tokens signed here: the
//! exact requests, the verified user, the migration from Lucia's keys, and every way a
//! token is refused.

use mockito::{Mock, Server};
use portcullis::{
    AccessToken, AuthorizationUrl, ClientConfig, Error, IdTokenError, Key, MemoryAdapter,
    OAuthClient, OAuthProvider, Phase, Profile, Provider, ProviderSession, RefreshToken,
    UserAdapter,
};
use portcullis_cognito::{Cognito, CognitoDomain, CognitoUser};
use portcullis_oidc::Jwks;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const POOL: &str = "eu-west-1_AbCdEf123";
const ISSUER: &str = "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_AbCdEf123";
const CLIENT_ID: &str = "1example23456789";
const CLIENT_SECRET: &str = "1exampleclientsecret2345678901234567890abcdefghij";
const REDIRECT: &str = "http://localhost:3000/login/cognito/callback";
const CODE: &str = "AUTHORIZATION_CODE_3f5e1c2a-9b8d-4e7f-a6c5-b4d3e2f1a0b9";
const ACCESS_TOKEN: &str = "eyJra1example.eyJzdWIiOiJhY2Nlc3MifQ.access";
const REFRESH_TOKEN: &str = "eyJj3example.refresh.token";
const SUB: &str = "a1b2c3d4-5e6f-4a7b-8c9d-0e1f2a3b4c5d";
const KID: &str = "abcdefghijklmnopqrsexample=";

const TOKEN_PATH: &str = "/oauth2/token";
const REVOKE_PATH: &str = "/oauth2/revoke";

/// An app client with a secret authenticates with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Cognito, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// The user pool through a "custom domain" on the mock, its key set on the mock too.
fn cognito(server: &Server) -> Cognito {
    Cognito::new(POOL, CognitoDomain::Custom(server.url().parse().unwrap()))
        .unwrap()
        .jwks(Jwks::new(
            format!("{}/{POOL}/.well-known/jwks.json", server.url())
                .parse()
                .unwrap(),
        ))
}

fn client(server: &Server) -> Client {
    OAuthClient::new(cognito(server), config(), MemoryAdapter::new()).unwrap()
}

async fn mock_jwks(server: &mut Server, times: usize) -> Mock {
    server
        .mock("GET", format!("/{POOL}/.well-known/jwks.json").as_str())
        .match_header("accept", "application/json")
        .with_header("content-type", "application/json")
        .with_body(json!({ "keys": [Signer::rs256(KID).jwk()] }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// ID token claims as Cognito issues them (the example of AWS's ID token page).
fn id_claims(nonce: &str) -> Value {
    let now = now();
    json!({
        "sub": SUB,
        "cognito:groups": ["test-group-a", "test-group-b"],
        "email_verified": true,
        "cognito:preferred_role": "arn:aws:iam::111122223333:role/my-test-role",
        "iss": ISSUER,
        "cognito:username": "my-test-user",
        "middle_name": "Jane",
        "nonce": nonce,
        "origin_jti": "7a3b2c1d-0e9f-4a8b-b7c6-d5e4f3a2b1c0",
        "cognito:roles": ["arn:aws:iam::111122223333:role/my-test-role"],
        "aud": CLIENT_ID,
        "event_id": "64f513be-32db-42b0-b78e-b02127b4f463",
        "token_use": "id",
        "auth_time": now - 3,
        "name": "John Doe",
        "exp": now + 3600,
        "iat": now,
        "jti": "9e8d7c6b-5a4f-4e3d-2c1b-0a9f8e7d6c5b",
        "email": "my-test-user@example.com",
        "custom:tenant": "acme",
        "at_hash": Signer::rs256(KID).at_hash(ACCESS_TOKEN),
    })
}

fn token_response(id_token: &str) -> Value {
    json!({
        "access_token": ACCESS_TOKEN,
        "id_token": id_token,
        "refresh_token": REFRESH_TOKEN,
        "token_type": "Bearer",
        "expires_in": 3600,
    })
}

/// The code exchange's form, with the PKCE verifier of `auth`.
fn code_form(auth: &AuthorizationUrl) -> [(&'static str, &str); 4] {
    [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ]
}

async fn mock_token(server: &mut Server, auth: &AuthorizationUrl, body: &Value) -> Mock {
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &code_form(auth))
        .reply(200, "application/json;charset=UTF-8", body.to_string())
        .await
}

/// A sign-in whose ID token has `claims` (the sign-in's nonce unless `keep_nonce`).
async fn sign_in_with(
    server: &mut Server,
    cognito: &Client,
    mut claims: Value,
    keep_nonce: bool,
) -> Result<ProviderSession<CognitoUser, MemoryAdapter<String>>, Error> {
    let auth = cognito.authorization_url();
    if !keep_nonce {
        claims["nonce"] = json!(auth.pending.nonce().unwrap());
    }
    let token = mock_token(
        server,
        &auth,
        &token_response(&Signer::rs256(KID).sign(&claims)),
    )
    .await;
    let result = cognito
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await;
    token.assert_async().await;
    result
}

#[test]
fn endpoints_come_from_the_domain_and_the_issuer_from_the_pool() {
    let cognito = Cognito::new(POOL, CognitoDomain::Prefix("acme".to_owned())).unwrap();
    let endpoints = cognito.endpoints();
    let base = "https://acme.auth.eu-west-1.amazoncognito.com/oauth2";
    assert_eq!(
        endpoints.authorization.as_str(),
        format!("{base}/authorize")
    );
    assert_eq!(endpoints.token.as_str(), format!("{base}/token"));
    assert_eq!(
        endpoints.revocation.unwrap().as_str(),
        format!("{base}/revoke")
    );
    assert_eq!(endpoints.userinfo, None, "the user comes from the ID token");
    assert_eq!(
        endpoints.issuer, None,
        "Cognito sends no `iss` on callbacks"
    );
    assert_eq!(cognito.issuer(), ISSUER);
    assert_eq!(cognito.user_pool_id(), POOL);
    assert_eq!(
        cognito.key_set().url().as_str(),
        format!("{ISSUER}/.well-known/jwks.json")
    );

    // A custom domain moves the endpoints, not the issuer.
    for domain in ["https://auth.example.com", "https://auth.example.com/"] {
        let custom = Cognito::new(POOL, CognitoDomain::Custom(domain.parse().unwrap())).unwrap();
        assert_eq!(
            custom.endpoints().token.as_str(),
            "https://auth.example.com/oauth2/token"
        );
        assert_eq!(custom.issuer(), ISSUER);
    }

    for pool in [
        "",
        "eu-west-1",
        "eu-west-1_",
        "_AbCdEf123",
        "EU-WEST-1_AbC",
        "eu-west-1_Ab/Cd",
    ] {
        let err = Cognito::new(pool, CognitoDomain::Prefix("acme".to_owned())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{pool}: {err:?}");
    }
    for prefix in ["", "Acme", "acme.example", "acme/x"] {
        let err = Cognito::new(POOL, CognitoDomain::Prefix(prefix.to_owned())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{prefix}: {err:?}");
    }
    for custom in ["ftp://auth.example.com", "https://auth.example.com/?x=1"] {
        let err = Cognito::new(POOL, CognitoDomain::Custom(custom.parse().unwrap())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{custom}: {err:?}");
    }
}

#[test]
fn authorization_url_has_every_parameter() {
    let cognito = OAuthClient::new(
        Cognito::new(POOL, CognitoDomain::Prefix("acme".to_owned())).unwrap(),
        config().scopes(["email", "profile"]),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = cognito.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next().unwrap(),
        "https://acme.auth.eu-west-1.amazoncognito.com/oauth2/authorize"
    );
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
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid email profile"),
        ]
    );
    assert_eq!(auth.pending.provider(), "cognito");
}

#[tokio::test]
async fn sign_in_reads_the_user_from_the_verified_id_token() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    let jwks = mock_jwks(&mut server, 1).await;
    let userinfo = server
        .mock("GET", "/oauth2/userInfo")
        .expect(0)
        .create_async()
        .await;

    let session = sign_in_with(&mut server, &cognito, id_claims(""), false)
        .await
        .unwrap();
    jwks.assert_async().await;
    userinfo.assert_async().await;

    let user = &session.provider_user;
    assert_eq!(user.sub, SUB);
    assert_eq!(user.username.as_deref(), Some("my-test-user"));
    assert_eq!(user.groups, ["test-group-a", "test-group-b"]);
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.custom_attribute("tenant"), Some("acme"));
    assert_eq!(user.custom_attribute("missing"), None);
    assert_eq!(user.claims["token_use"], "id");
    assert_eq!(user.claims["middle_name"], "Jane");
    assert!(
        !user.claims.contains_key("cognito:username"),
        "typed claims are not repeated"
    );

    assert_eq!(session.provider_user_id, SUB, "sub, not cognito:username");
    assert_eq!(session.key().to_string(), format!("cognito:{SUB}"));
    let profile = session.profile();
    assert_eq!(profile.name.as_deref(), Some("John Doe"));
    assert_eq!(profile.username.as_deref(), Some("my-test-user"));
    assert_eq!(profile.verified_email(), Some("my-test-user@example.com"));

    assert_eq!(
        session.tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN
    );
    assert_eq!(
        session.tokens.id_token().map(|t| t.secret().len() > 100),
        Some(true)
    );

    let round_trip: CognitoUser =
        serde_json::from_value(serde_json::to_value(user).unwrap()).unwrap();
    assert_eq!(&round_trip, user);
}

#[tokio::test]
async fn users_stored_under_lucias_key_are_found_by_the_legacy_key() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    mock_jwks(&mut server, 1).await;
    let store = cognito.adapter().clone();
    // A user Lucia created: keyed on `cognito:username`.
    let lucia_user = store
        .create_user(
            &Key::new("cognito", "my-test-user"),
            &Profile::new("my-test-user"),
            "from lucia".to_owned(),
        )
        .await
        .unwrap();

    let session = sign_in_with(&mut server, &cognito, id_claims(""), false)
        .await
        .unwrap();
    assert!(session.existing_user.is_none(), "the sub is a new key");
    let legacy = session.provider_user.legacy_key().unwrap();
    assert_eq!(legacy.to_string(), "cognito:my-test-user");
    let found = store.user_by_key(&legacy).await.unwrap().unwrap();
    assert_eq!(found, lucia_user);
    session
        .link_to(&MemoryAdapter::<String>::user_id(&found))
        .await
        .unwrap();

    let session = sign_in_with(&mut server, &cognito, id_claims(""), false)
        .await
        .unwrap();
    assert_eq!(session.existing_user, Some(lucia_user));
    assert_eq!(store.user_count(), 1);
}

#[tokio::test]
async fn email_verified_is_cognitos_verdict_as_boolean_or_string() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    mock_jwks(&mut server, 1).await;
    for (value, verified) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
        (json!("false"), false),
        (Value::Null, false),
    ] {
        let mut claims = id_claims("");
        claims["email_verified"] = value.clone();
        let session = sign_in_with(&mut server, &cognito, claims, false)
            .await
            .unwrap();
        assert_eq!(session.profile().email_verified, verified, "{value}");
    }
    // Anything else is no verdict: the token's standard claim has the wrong type, and
    // the error names it.
    let mut claims = id_claims("");
    claims["email_verified"] = json!("yes");
    let err = id_token_error(sign_in_with(&mut server, &cognito, claims, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "email_verified".to_owned()
        }
    );

    // An email-or-phone pool: the username is the sub, no username to show.
    let mut claims = id_claims("");
    claims["cognito:username"] = json!(SUB);
    let session = sign_in_with(&mut server, &cognito, claims, false)
        .await
        .unwrap();
    assert_eq!(session.profile().username, None);
}

#[tokio::test]
async fn a_token_of_another_pool_client_or_sign_in_is_refused() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    mock_jwks(&mut server, 1).await;

    let mut other_pool = id_claims("");
    other_pool["iss"] = json!("https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_ZyXwVu987");
    let err = id_token_error(sign_in_with(&mut server, &cognito, other_pool, false).await);
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: ISSUER.to_owned(),
            found: "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_ZyXwVu987".to_owned(),
        }
    );

    let mut other_client = id_claims("");
    other_client["aud"] = json!("7otherclient890");
    let err = id_token_error(sign_in_with(&mut server, &cognito, other_client, false).await);
    assert_eq!(err, IdTokenError::Audience);

    let err = id_token_error(
        sign_in_with(
            &mut server,
            &cognito,
            id_claims("nonce-of-another-sign-in"),
            true,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    // An access token of the pool in the `id_token` field: `client_id`, no `aud`.
    let mut access = id_claims("");
    let object = access.as_object_mut().unwrap();
    object.remove("aud");
    object.insert("client_id".to_owned(), json!(CLIENT_ID));
    object.insert("token_use".to_owned(), json!("access"));
    let err = id_token_error(sign_in_with(&mut server, &cognito, access, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "aud".to_owned()
        }
    );

    // A token meant for this client that says it is not an ID token.
    let mut not_id = id_claims("");
    not_id["token_use"] = json!("access");
    let err = id_token_error(sign_in_with(&mut server, &cognito, not_id, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "token_use".to_owned()
        }
    );
    assert_eq!(cognito.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_public_app_client_sends_its_id() {
    let mut server = Server::new_async().await;
    let cognito = OAuthClient::new(
        cognito(&server),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    mock_jwks(&mut server, 1).await;
    let auth = cognito.authorization_url();
    let public = Credentials::Public { id: CLIENT_ID };
    let token = expect::token_request(&mut server, TOKEN_PATH, public, &code_form(&auth))
        .reply(
            200,
            JSON,
            token_response(&Signer::rs256(KID).sign(&id_claims(auth.pending.nonce().unwrap())))
                .to_string(),
        )
        .await;
    cognito
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
}

/// The access token of a refresh response.
const REFRESHED_ACCESS_TOKEN: &str = "eyJra1example.refreshed";

/// The claims of the ID token of a refresh: a sign-in's, without `nonce` (OpenID
/// Connect Core 1.0 §12.2), with the `at_hash` of the new access token.
fn refreshed_claims() -> Value {
    let mut claims = id_claims("");
    claims.as_object_mut().unwrap().remove("nonce");
    claims["at_hash"] = json!(Signer::rs256(KID).at_hash(REFRESHED_ACCESS_TOKEN));
    claims
}

/// The token endpoint answering the next refresh, once, as Cognito does: a new access
/// token and `id_token`, no refresh token.
async fn answer_refresh(server: &mut Server, id_token: &str) -> Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let body = json!({
        "access_token": REFRESHED_ACCESS_TOKEN,
        "id_token": id_token,
        "token_type": "Bearer",
        "expires_in": 3600,
    });
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

#[tokio::test]
async fn refresh_keeps_the_refresh_token_and_revoke_takes_it() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    let jwks = mock_jwks(&mut server, 1).await;
    let refresh = answer_refresh(&mut server, &Signer::rs256(KID).sign(&refreshed_claims())).await;
    let tokens = cognito
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    jwks.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "eyJra1example.refreshed");
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        REFRESH_TOKEN,
        "Cognito sends no new refresh token: the old one is kept"
    );

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let revoke = expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    cognito
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;

    // Cognito revokes refresh tokens only.
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    expect::token_request(&mut server, REVOKE_PATH, CREDENTIALS, &form)
        .reply(400, JSON, r#"{"error":"unsupported_token_type"}"#)
        .await;
    let err = cognito
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Revoke, 400, "unsupported_token_type", None);
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    let jwks = mock_jwks(&mut server, 1).await;
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());

    let id_token = Signer::rs256(KID).sign(&refreshed_claims());
    let mock = answer_refresh(&mut server, &id_token).await;
    let tokens = cognito.refresh(&refresh_token).await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_client = refreshed_claims();
    other_client["aud"] = json!("7otherclient890");
    let mut old_access_token = refreshed_claims();
    old_access_token["at_hash"] = json!(Signer::rs256(KID).at_hash(ACCESS_TOKEN));
    let mut not_id = refreshed_claims();
    not_id["token_use"] = json!("access");
    let mut someone_else = refreshed_claims();
    someone_else["sub"] = json!("f0e1d2c3-b4a5-4968-8776-655443322110");
    someone_else["cognito:username"] = json!("someone-else");
    someone_else["cognito:groups"] = json!(["admins"]);
    for (forged, expected) in [
        (
            Signer::rs256(KID).sign(&other_client),
            IdTokenError::Audience,
        ),
        (
            Signer::rs256(KID).sign(&old_access_token),
            IdTokenError::Claim {
                claim: "at_hash".to_owned(),
            },
        ),
        (
            Signer::rs256(KID).sign(&not_id),
            IdTokenError::Claim {
                claim: "token_use".to_owned(),
            },
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
    ] {
        let mock = answer_refresh(&mut server, &forged).await;
        assert_eq!(
            id_token_error(cognito.refresh(&refresh_token).await),
            expected
        );
        mock.assert_async().await;
    }
    // The pool's keys are cached.
    jwks.assert_async().await;
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let cognito = client(&server);
    let jwks = mock_jwks(&mut server, 0).await;
    let auth = cognito.authorization_url();
    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", "application/json;charset=UTF-8")
        .with_body(r#"{"error":"invalid_grant"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = cognito
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    jwks.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let cognito = OAuthClient::new(
        Cognito::new(POOL, CognitoDomain::Prefix("acme".to_owned())).unwrap(),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&cognito, CLIENT_SECRET);
}

#[test]
fn the_documented_endpoint_shapes_are_urls() {
    // `INFO` shows a prefix domain's endpoints with placeholders; they still parse.
    let endpoints = portcullis::Endpoints::from_info(&Cognito::INFO);
    assert_eq!(endpoints.token.path(), "/oauth2/token");
    assert_eq!(Cognito::INFO.id, "cognito");
    assert_eq!(Cognito::INFO.user_id_field, "sub");
}
