//! Keycloak against a mock realm on 127.0.0.1, with ID tokens signed here: the exact
//! requests, the callback's `iss`, roles, and every way a token is refused.

use mockito::{Mock, Server};
use portcullis::{
    AccessToken, AuthorizationUrl, CallbackError, CallbackParams, ClientConfig, Error,
    IdTokenError, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, ProviderSession,
    RefreshToken, USER_AGENT,
};
use portcullis_keycloak::{Keycloak, KeycloakRoleType, KeycloakUser};
use portcullis_oidc::Algorithm;
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CLIENT_ID: &str = "portal";
const CLIENT_SECRET: &str = "hJ5sZ8kQ2mW9xR4tY7uI0oP3aS6dF1gL";
const REDIRECT: &str = "http://localhost:3000/login/keycloak/callback";
const CODE: &str =
    "4c2f0e8b-6b3a-4d51-9a5c-2e7f1d3b9c0a.7d1e5f2a-3c4b-4e6d-8f9a-0b1c2d3e4f5a.portal";
const ACCESS_TOKEN: &str =
    "eyJhbGciOiJSUzI1NiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJ2V3pYLXRoZS1hY2Nlc3MtdG9rZW4";
const REFRESH_TOKEN: &str = "eyJhbGciOiJIUzUxMiIsInR5cCIgOiAiSldUIiwia2lkIiA6ICJyZWZyZXNo";
const SUB: &str = "f81d4fae-7dec-11d0-a765-00a0c91e6bf6";
const SESSION: &str = "5b0c3d1e-2f4a-4b6c-8d9e-0a1b2c3d4e5f";
const KID: &str = "vWzX3tq0Y8mJ1nK5pR7sT9uV2wX4yZ6aB8cD0eF2gH4";
const CERTS: &str = "/realms/acme/protocol/openid-connect/certs";
const TOKEN: &str = "/realms/acme/protocol/openid-connect/token";
const USERINFO: &str = "/realms/acme/protocol/openid-connect/userinfo";
const REVOKE: &str = "/realms/acme/protocol/openid-connect/revoke";

/// A confidential Keycloak client authenticates with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

type Client = OAuthClient<Keycloak, MemoryAdapter<String>>;

fn realm(server: &Server) -> String {
    format!("{}/realms/acme", server.url())
}

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

fn client(keycloak: Keycloak) -> Client {
    OAuthClient::new(keycloak, config(), MemoryAdapter::new()).unwrap()
}

async fn mock_certs(server: &mut Server, times: usize) -> Mock {
    server
        .mock("GET", CERTS)
        .match_header("accept", "application/json")
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", "application/json")
        .with_body(json!({ "keys": [Signer::rs256(KID).jwk()] }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// ID token claims as Keycloak issues them, roles mapped into the token.
fn id_claims(issuer: &str, nonce: &str) -> Value {
    let now = now();
    json!({
        "exp": now + 300,
        "iat": now,
        "auth_time": now - 2,
        "jti": "0f3c2b1a-9e8d-4c7b-a6f5-e4d3c2b1a0f9",
        "iss": issuer,
        "aud": CLIENT_ID,
        "sub": SUB,
        "typ": "ID",
        "azp": CLIENT_ID,
        "nonce": nonce,
        "sid": SESSION,
        "at_hash": Signer::rs256(KID).at_hash(ACCESS_TOKEN),
        "acr": "1",
        "email_verified": true,
        "realm_access": {"roles": ["default-roles-acme", "offline_access", "uma_authorization", "admin"]},
        "resource_access": {
            "portal": {"roles": ["editor"]},
            "account": {"roles": ["manage-account", "view-profile"]}
        },
        "name": "Jane Doe",
        "preferred_username": "jane",
        "given_name": "Jane",
        "family_name": "Doe",
        "email": "jane.doe@example.com",
    })
}

fn userinfo() -> Value {
    json!({
        "sub": SUB,
        "email_verified": true,
        "name": "Jane Doe",
        "preferred_username": "jane",
        "given_name": "Jane",
        "family_name": "Doe",
        "email": "jane.doe@example.com",
    })
}

fn token_response(id_token: &str) -> Value {
    json!({
        "access_token": ACCESS_TOKEN,
        "expires_in": 300,
        "refresh_expires_in": 1800,
        "refresh_token": REFRESH_TOKEN,
        "token_type": "Bearer",
        "id_token": id_token,
        "not-before-policy": 0,
        "session_state": SESSION,
        "scope": "openid profile email",
    })
}

/// The token endpoint, expecting exactly the code exchange of `auth` with Basic auth.
async fn mock_token(server: &mut Server, auth: &AuthorizationUrl, body: &Value) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN, CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

async fn mock_userinfo(server: &mut Server, body: &Value, times: usize) -> Mock {
    expect::api_request(server, "GET", USERINFO, &[], ACCESS_TOKEN)
        .expect(times)
        .reply(200, JSON, body.to_string())
        .await
}

/// What Keycloak appends to the redirect URI: `state`, `session_state`, `iss`, `code`.
fn keycloak_callback(auth: &AuthorizationUrl, iss: Option<&str>) -> CallbackParams {
    let state = callback_for(auth, CODE).state().unwrap().to_owned();
    let mut pairs = vec![("state", state.as_str()), ("session_state", SESSION)];
    if let Some(iss) = iss {
        pairs.push(("iss", iss));
    }
    pairs.push(("code", CODE));
    CallbackParams::from_pairs(pairs).unwrap()
}

/// A sign-in whose ID token has `claims` (the sign-in's nonce unless `keep_nonce`).
async fn sign_in_with(
    server: &mut Server,
    keycloak: &Client,
    mut claims: Value,
    keep_nonce: bool,
) -> Result<ProviderSession<KeycloakUser, MemoryAdapter<String>>, Error> {
    let auth = keycloak.authorization_url();
    if !keep_nonce {
        claims["nonce"] = json!(auth.pending.nonce().unwrap());
    }
    let token = mock_token(
        server,
        &auth,
        &token_response(&Signer::rs256(KID).sign(&claims)),
    )
    .await;
    let result = keycloak
        .validate_callback(
            &keycloak_callback(&auth, Some(&realm(server))),
            &auth.pending,
        )
        .await;
    token.assert_async().await;
    result
}

#[test]
fn endpoints_come_from_the_realm_url() {
    let keycloak = Keycloak::new("https://id.example.com", "acme").unwrap();
    assert_eq!(keycloak.realm_url(), "https://id.example.com/realms/acme");
    let endpoints = keycloak.endpoints();
    let base = "https://id.example.com/realms/acme/protocol/openid-connect";
    assert_eq!(endpoints.authorization.as_str(), format!("{base}/auth"));
    assert_eq!(endpoints.token.as_str(), format!("{base}/token"));
    assert_eq!(
        endpoints.userinfo.unwrap().as_str(),
        format!("{base}/userinfo")
    );
    assert_eq!(
        endpoints.revocation.unwrap().as_str(),
        format!("{base}/revoke")
    );
    assert_eq!(keycloak.key_set().url().as_str(), format!("{base}/certs"));
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some("https://id.example.com/realms/acme")
    );
    assert!(endpoints.issuer_required, "Keycloak sends `iss` (RFC 9207)");
    assert!(
        !keycloak
            .require_callback_iss(false)
            .endpoints()
            .issuer_required,
        "unless turned off"
    );

    // The same realm, however it is written; a context path is kept.
    for (server, realm, expected) in [
        (
            "https://id.example.com/",
            "acme",
            "https://id.example.com/realms/acme",
        ),
        (
            "https://id.example.com/auth",
            "acme",
            "https://id.example.com/auth/realms/acme",
        ),
        (
            "https://id.example.com/auth/",
            "acme",
            "https://id.example.com/auth/realms/acme",
        ),
        (
            "http://localhost:8080",
            "my realm",
            "http://localhost:8080/realms/my%20realm",
        ),
    ] {
        assert_eq!(Keycloak::new(server, realm).unwrap().realm_url(), expected);
    }
    for realm_url in [
        "https://id.example.com/auth/realms/acme",
        "https://id.example.com/auth/realms/acme/",
    ] {
        assert_eq!(
            Keycloak::from_realm_url(realm_url).unwrap().realm_url(),
            "https://id.example.com/auth/realms/acme"
        );
    }

    for (server, realm) in [
        ("id.example.com", "acme"),
        ("ftp://id.example.com", "acme"),
        ("https://id.example.com?x=1", "acme"),
        ("https://id.example.com#top", "acme"),
        ("https://id.example.com", ""),
    ] {
        let err = Keycloak::new(server, realm).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{server} {realm}: {err:?}");
    }
    assert!(matches!(
        Keycloak::from_realm_url("https://id.example.com/realms/acme?x"),
        Err(Error::Config(_))
    ));
}

#[test]
fn authorization_url_has_every_parameter() {
    let keycloak = OAuthClient::new(
        Keycloak::new("https://id.example.com", "acme").unwrap(),
        config().scope("email"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = keycloak.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next().unwrap(),
        "https://id.example.com/realms/acme/protocol/openid-connect/auth"
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
            ("scope", "openid profile email"),
        ]
    );
    assert_eq!(auth.pending.provider(), "keycloak");

    // A redirect URI is required.
    let err = OAuthClient::new(
        Keycloak::new("https://id.example.com", "acme").unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)));
}

#[tokio::test]
async fn sign_in_verifies_the_token_merges_userinfo_and_reads_roles() {
    let mut server = Server::new_async().await;
    let realm_url = realm(&server);
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let certs = mock_certs(&mut server, 1).await;
    let info = mock_userinfo(&mut server, &userinfo(), 1).await;

    let session = sign_in_with(&mut server, &keycloak, id_claims(&realm_url, ""), false)
        .await
        .unwrap();
    certs.assert_async().await;
    info.assert_async().await;

    let user = &session.provider_user;
    assert_eq!(user.sub, SUB);
    assert_eq!(user.preferred_username.as_deref(), Some("jane"));
    assert_eq!(user.email_verified, Some(true));
    assert_eq!(user.claims["sid"], SESSION);
    assert_eq!(user.claims["iss"], realm(&server));
    assert!(user.has_realm_role("admin"));
    assert!(!user.has_realm_role("editor"));
    assert!(user.has_client_role("portal", "editor"));
    assert!(!user.has_client_role("account", "editor"));
    let roles: Vec<_> = user
        .roles()
        .into_iter()
        .map(|r| (r.role_type, r.client, r.role))
        .collect();
    let realm_role = |role: &str| (KeycloakRoleType::Realm, None, role.to_owned());
    let client_role = |client: &str, role: &str| {
        (
            KeycloakRoleType::Resource,
            Some(client.to_owned()),
            role.to_owned(),
        )
    };
    assert_eq!(
        roles,
        [
            realm_role("default-roles-acme"),
            realm_role("offline_access"),
            realm_role("uma_authorization"),
            realm_role("admin"),
            client_role("account", "manage-account"),
            client_role("account", "view-profile"),
            client_role("portal", "editor"),
        ]
    );

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), format!("keycloak:{SUB}"));
    let profile = session.profile();
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.username.as_deref(), Some("jane"));
    assert_eq!(profile.verified_email(), Some("jane.doe@example.com"));

    let tokens = &session.tokens;
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 300);

    let round_trip: KeycloakUser =
        serde_json::from_value(serde_json::to_value(user).unwrap()).unwrap();
    assert_eq!(&round_trip, user);
}

#[tokio::test]
async fn userinfo_wins_and_roles_may_come_from_it() {
    let mut server = Server::new_async().await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    mock_certs(&mut server, 1).await;

    // The default mappers: no roles in the ID token; here "Add to userinfo" is on, and
    // the user changed their name since the token's session began.
    let mut claims = id_claims(&realm(&server), "");
    let object = claims.as_object_mut().unwrap();
    object.remove("realm_access");
    object.remove("resource_access");
    let mut info = userinfo();
    info["name"] = json!("Jane Roe");
    info["family_name"] = json!("Roe");
    info["realm_access"] = json!({"roles": ["auditor"]});
    mock_userinfo(&mut server, &info, 1).await;

    let session = sign_in_with(&mut server, &keycloak, claims, false)
        .await
        .unwrap();
    assert_eq!(session.profile().name.as_deref(), Some("Jane Roe"));
    assert!(session.provider_user.has_realm_role("auditor"));
    assert!(session.provider_user.resource_access.is_empty());

    // Neither token nor userinfo has roles: none, rather than the access token's.
    server.reset();
    mock_certs(&mut server, 1).await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let mut claims = id_claims(&realm(&server), "");
    let object = claims.as_object_mut().unwrap();
    object.remove("realm_access");
    object.remove("resource_access");
    mock_userinfo(&mut server, &userinfo(), 1).await;
    let session = sign_in_with(&mut server, &keycloak, claims, false)
        .await
        .unwrap();
    assert!(session.provider_user.roles().is_empty());
}

#[tokio::test]
async fn the_callback_must_name_the_realm_as_issuer() {
    let mut server = Server::new_async().await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let token = server.mock("POST", TOKEN).expect(0).create_async().await;

    let auth = keycloak.authorization_url();
    let err = keycloak
        .validate_callback(&keycloak_callback(&auth, None), &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::Callback(CallbackError::MissingIssuer)),
        "{err:?}"
    );

    let other_realm = format!("{}/realms/other", server.url());
    let err = keycloak
        .validate_callback(&keycloak_callback(&auth, Some(&other_realm)), &auth.pending)
        .await
        .unwrap_err();
    match err {
        Error::Callback(CallbackError::IssuerMismatch { expected, found }) => {
            assert_eq!(expected, realm(&server));
            assert_eq!(found, other_realm);
        }
        other => panic!("{other:?}"),
    }
    token.assert_async().await;

    // A client with "Exclude Issuer From Authentication Response" on.
    let keycloak = client(
        Keycloak::new(&server.url(), "acme")
            .unwrap()
            .require_callback_iss(false),
    );
    mock_certs(&mut server, 1).await;
    mock_userinfo(&mut server, &userinfo(), 1).await;
    let auth = keycloak.authorization_url();
    let mut claims = id_claims(&realm(&server), auth.pending.nonce().unwrap());
    claims["nonce"] = json!(auth.pending.nonce().unwrap());
    mock_token(
        &mut server,
        &auth,
        &token_response(&Signer::rs256(KID).sign(&claims)),
    )
    .await;
    let session = keycloak
        .validate_callback(&keycloak_callback(&auth, None), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.sub, SUB);
}

#[tokio::test]
async fn a_token_of_another_realm_client_or_sign_in_is_refused_before_userinfo() {
    let mut server = Server::new_async().await;
    let realm_url = realm(&server);
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    mock_certs(&mut server, 1).await;
    let info = mock_userinfo(&mut server, &userinfo(), 0).await;

    let other_realm = format!("{}/realms/other", server.url());
    let err = id_token_error(
        sign_in_with(&mut server, &keycloak, id_claims(&other_realm, ""), false).await,
    );
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: realm(&server),
            found: other_realm,
        }
    );

    let mut other_client = id_claims(&realm(&server), "");
    other_client["aud"] = json!("billing");
    other_client["azp"] = json!("billing");
    let err = id_token_error(sign_in_with(&mut server, &keycloak, other_client, false).await);
    assert_eq!(err, IdTokenError::Audience);

    let err = id_token_error(
        sign_in_with(
            &mut server,
            &keycloak,
            id_claims(&realm_url, "nonce-of-another-sign-in"),
            true,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    let mut wrong_hash = id_claims(&realm(&server), "");
    wrong_hash["at_hash"] = json!(Signer::rs256(KID).at_hash("another-access-token"));
    let err = id_token_error(sign_in_with(&mut server, &keycloak, wrong_hash, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );
    info.assert_async().await;
    assert_eq!(keycloak.adapter().user_count(), 0);
}

#[tokio::test]
async fn only_the_configured_algorithms_are_accepted() {
    let mut server = Server::new_async().await;
    let realm_url = realm(&server);
    // A realm switched to ES256: an RS256 token is refused before any key is fetched.
    let keycloak = client(
        Keycloak::new(&server.url(), "acme")
            .unwrap()
            .algorithms([Algorithm::Es256]),
    );
    let certs = mock_certs(&mut server, 0).await;
    let err = id_token_error(
        sign_in_with(&mut server, &keycloak, id_claims(&realm_url, ""), false).await,
    );
    assert_eq!(err, IdTokenError::Algorithm("RS256".to_owned()));
    certs.assert_async().await;

    // HMAC is never accepted, even when asked for.
    let keycloak = client(
        Keycloak::new(&server.url(), "acme")
            .unwrap()
            .algorithms([Algorithm::Hs256, Algorithm::Rs256]),
    );
    let auth = keycloak.authorization_url();
    let claims = id_claims(&realm(&server), auth.pending.nonce().unwrap());
    let hs256 =
        Signer::rs256(KID).sign_with_header(&json!({"alg": "HS256", "typ": "JWT"}), &claims);
    mock_token(&mut server, &auth, &token_response(&hs256)).await;
    let err = id_token_error(
        keycloak
            .validate_callback(
                &keycloak_callback(&auth, Some(&realm(&server))),
                &auth.pending,
            )
            .await,
    );
    assert_eq!(err, IdTokenError::Algorithm("HS256".to_owned()));
}

#[tokio::test]
async fn userinfo_for_another_user_is_refused() {
    let mut server = Server::new_async().await;
    let realm_url = realm(&server);
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    mock_certs(&mut server, 1).await;
    let mut info = userinfo();
    info["sub"] = json!("0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b");
    mock_userinfo(&mut server, &info, 1).await;
    let err = id_token_error(
        sign_in_with(&mut server, &keycloak, id_claims(&realm_url, ""), false).await,
    );
    assert_eq!(err, IdTokenError::SubjectMismatch);
}

#[tokio::test]
async fn email_verified_is_keycloaks_verdict() {
    let mut server = Server::new_async().await;
    let realm_url = realm(&server);
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    mock_certs(&mut server, 1).await;
    for (value, verified) in [
        (json!(false), false),
        (json!("true"), true),
        (Value::Null, false),
    ] {
        let mut info = userinfo();
        info["email_verified"] = value.clone();
        let mut claims = id_claims(&realm(&server), "");
        claims["email_verified"] = value.clone();
        let info_mock = mock_userinfo(&mut server, &info, 1).await;
        let session = sign_in_with(&mut server, &keycloak, claims, false)
            .await
            .unwrap();
        info_mock.remove_async().await;
        assert_eq!(session.profile().email_verified, verified, "{value}");
    }

    let mut info = userinfo();
    info["email_verified"] = json!("yes");
    mock_userinfo(&mut server, &info, 1).await;
    let err = id_token_error(
        sign_in_with(&mut server, &keycloak, id_claims(&realm_url, ""), false).await,
    );
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "email_verified".to_owned()
        }
    );
}

#[tokio::test]
async fn a_public_client_sends_its_id_instead_of_basic_auth() {
    let mut server = Server::new_async().await;
    let keycloak = OAuthClient::new(
        Keycloak::new(&server.url(), "acme").unwrap(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    mock_certs(&mut server, 1).await;
    mock_userinfo(&mut server, &userinfo(), 1).await;
    let auth = keycloak.authorization_url();
    let claims = id_claims(&realm(&server), auth.pending.nonce().unwrap());
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    let token = expect::token_request(
        &mut server,
        TOKEN,
        Credentials::Public { id: CLIENT_ID },
        &form,
    )
    .reply(
        200,
        JSON,
        token_response(&Signer::rs256(KID).sign(&claims)).to_string(),
    )
    .await;
    keycloak
        .validate_callback(
            &keycloak_callback(&auth, Some(&realm(&server))),
            &auth.pending,
        )
        .await
        .unwrap();
    token.assert_async().await;
}

#[tokio::test]
async fn refresh_and_revoke_authenticate_with_basic() {
    let mut server = Server::new_async().await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let certs = mock_certs(&mut server, 1).await;
    // Keycloak's refreshed ID token keeps the sign-in's nonce, which is not checked
    // again; its `at_hash` is the new access token's.
    let mut refreshed = id_claims(&realm(&server), "nonce-of-the-sign-in");
    refreshed["at_hash"] = json!(Signer::rs256(KID).at_hash("eyJhbGciOiJSUzI1NiJ9.refreshed"));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = expect::token_request(&mut server, TOKEN, CREDENTIALS, &form)
        .reply(
            200,
            JSON,
            json!({
                "access_token": "eyJhbGciOiJSUzI1NiJ9.refreshed",
                "expires_in": 300,
                "refresh_expires_in": 1800,
                "refresh_token": "eyJhbGciOiJIUzUxMiJ9.rotated",
                "token_type": "Bearer",
                "id_token": Signer::rs256(KID).sign(&refreshed),
                "not-before-policy": 0,
                "session_state": SESSION,
                "scope": "openid profile email"
            })
            .to_string(),
        )
        .await;
    let tokens = keycloak
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    certs.assert_async().await;
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "eyJhbGciOiJIUzUxMiJ9.rotated"
    );

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    let revoke = expect::token_request(&mut server, REVOKE, CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    keycloak
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;

    // Keycloak's answer to a token of an unknown client.
    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    expect::token_request(&mut server, REVOKE, CREDENTIALS, &form)
        .reply(
            401,
            JSON,
            r#"{"error":"unauthorized_client","error_description":"Unauthorized client for token"}"#,
        )
        .await;
    let err = keycloak
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Revoke,
        401,
        "unauthorized_client",
        Some("Unauthorized client for token"),
    );
}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let info = mock_userinfo(&mut server, &userinfo(), 0).await;
    let auth = keycloak.authorization_url();
    server
        .mock("POST", TOKEN)
        .with_status(400)
        .with_header("content-type", "application/json")
        .with_body(r#"{"error":"invalid_grant","error_description":"Code not valid"}"#)
        .expect(1)
        .create_async()
        .await;
    let err = keycloak
        .validate_callback(
            &keycloak_callback(&auth, Some(&realm(&server))),
            &auth.pending,
        )
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Code not valid"),
    );
    info.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let keycloak = client(Keycloak::new("https://id.example.com", "acme").unwrap());
    portcullis_testkit::assert_debug_hides_secrets(&keycloak, CLIENT_SECRET);
}

#[test]
fn the_documented_endpoint_shapes_are_urls() {
    // `INFO` shows the realm endpoints on a placeholder host; they still parse.
    let endpoints = portcullis::Endpoints::from_info(&Keycloak::INFO);
    assert_eq!(endpoints.authorization.host_str(), Some("keycloak.invalid"));
    assert_eq!(Keycloak::INFO.id, "keycloak");
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let keycloak = client(Keycloak::new(&server.url(), "acme").unwrap());
    let certs = mock_certs(&mut server, 1).await;
    let signer = Signer::rs256(KID);
    let access_token = "eyJhbGciOiJSUzI1NiJ9.refreshed";
    // OpenID Connect Core 1.0 §12.2 lets a refreshed ID token go without a nonce; its
    // `at_hash` is the new access token's.
    let mut fresh = id_claims(&realm(&server), "");
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash(access_token));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_with = async |server: &mut Server, id_token: &str| {
        let mut body = token_response(id_token);
        body["access_token"] = json!(access_token);
        let mock = expect::token_request(server, TOKEN, CREDENTIALS, &form)
            .reply(200, JSON, body.to_string())
            .await;
        let result = keycloak
            .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await;
        mock.assert_async().await;
        result
    };

    let id_token = signer.sign(&fresh);
    let tokens = refresh_with(&mut server, &id_token).await.unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    let mut other_client = fresh.clone();
    other_client["aud"] = json!("billing");
    other_client["azp"] = json!("billing");
    let err = id_token_error(refresh_with(&mut server, &signer.sign(&other_client)).await);
    assert_eq!(err, IdTokenError::Audience);

    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("0e9d8c7b-6a5f-4e3d-2c1b-0a9f8e7d6c5b");
    someone_else["preferred_username"] = json!("mallory");
    someone_else["realm_access"] = json!({"roles": ["admin"]});
    let err = id_token_error(refresh_with(&mut server, &tamper(&id_token, &someone_else)).await);
    assert_eq!(err, IdTokenError::Signature);
    certs.assert_async().await;
}
