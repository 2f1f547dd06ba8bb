//! Roblox against a mock of its documented endpoints, with ID tokens signed here as
//! Roblox signs them (ES256): the exact requests we send, what we make of Roblox's
//! responses, and every way an ID token is refused.

use std::time::{Duration, SystemTime};

use mockito::{Matcher, Mock, Server};
use portcullis::{
    AccessToken, ClientAuth, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Pkce, Provider, ProviderSession, ProviderUser, RefreshToken, USER_AGENT,
    Url,
};
use portcullis_oidc::{Clock, Jwks};
use portcullis_roblox::{Roblox, RobloxUser};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

/// The client id of Roblox's sample PKCE authorization URL.
const CLIENT_ID: &str = "7290610391231237934964";
const CLIENT_SECRET: &str = "RBX-CR9xQk3tPzW8nLm2vB7yHj4sDf6gA1St12L";
const REDIRECT: &str = "http://localhost:3000/login/roblox/callback";
const CODE: &str =
    "10c45PNuquKnFJ6pUcy5-fHkghEM6lSegm-7hj9mVEprub1dSDuStuKK_EAUXY7AHTD63xcnmvxSLthp";
const ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiIsImtpZCI6IlBOeHhpb2JFNE8zbGhQUUlUZG9QQ3FCTE81amh3aXZFS1pHOWhfTGJNOWMiLCJ0eXAiOiJKV1QifQ.access";
const REFRESH_TOKEN: &str = "Ujfstayclfdlbm-first-BGydlsnU";
/// A refresh token is single-use: a refresh returns this one instead.
const ROTATED_REFRESH_TOKEN: &str = "Ujfstayclfdlbm-second-BGydlsnU";
/// The `kid` of Roblox's sample ID token header.
const KID: &str = "CVX552-syhxcUFuno6KRrkQxPuymya4PVYhuglwxg78";
/// The `sub` of Roblox's userinfo sample.
const SUB: &str = "1516563360";
/// A nonce for `validate_code` calls made without an authorization URL.
const NONCE: &str = "n-0S6_WzA2Mj";
const VERIFIER: &str = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk";

/// Every request Roblox documents sends the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// Roblox's userinfo sample "with profile scope", as documented.
const USER: &str = r#"{
  "sub": "1516563360",
  "name": "exampleuser",
  "nickname": "exampleuser",
  "preferred_username": "exampleuser",
  "created_at": 1584682495,
  "profile": "https://www.roblox.com/users/1516563360/profile",
  "picture": "https://tr.rbxcdn.com/03dc2a9abe7b1aacaaf93ea46d5c0646/150/150/AvatarHeadshot/Png"
}"#;

/// The `at_hash` of `access_token`, for the ES256 key the ID tokens are signed with.
fn at_hash(access_token: &str) -> String {
    Signer::es256(1, KID).at_hash(access_token)
}

/// The claims of an ID token shaped like Roblox's sample (`openid profile`), for the
/// sign-in with `nonce`. Roblox's carries no `at_hash`.
fn id_claims(nonce: &str) -> Value {
    let now = now();
    json!({
        "sub": SUB,
        "name": "exampleuser",
        "nickname": "exampleuser",
        "preferred_username": "exampleuser",
        "created_at": 1584682495,
        "profile": "https://www.roblox.com/users/1516563360/profile",
        "nonce": nonce,
        "jti": "ID.ymwvcMGi9X8k926ojwR9",
        "nbf": now,
        "exp": now + 3600,
        "iat": now,
        "iss": "https://apis.roblox.com/oauth/",
        "aud": CLIENT_ID,
    })
}

/// A token response shaped like Roblox's sample, carrying `id_token`.
fn tokens_signed(id_token: &str) -> String {
    json!({
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "token_type": "Bearer",
        "expires_in": 899,
        "id_token": id_token,
        "scope": "openid profile",
    })
    .to_string()
}

fn tokens(nonce: &str) -> String {
    tokens_signed(&Signer::es256(1, KID).sign(&id_claims(nonce)))
}

type Client = OAuthClient<Roblox, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// `roblox` with `config`, pointed at the mock: endpoints rebased, key set at the mock's
/// `/oauth/v1/certs`.
fn client_with(server: &Server, roblox: Roblox, config: ClientConfig) -> Client {
    let roblox = roblox.jwks(Jwks::new(
        format!("{}/oauth/v1/certs", server.url()).parse().unwrap(),
    ));
    expect::client(roblox, config, server)
}

fn client(server: &Server) -> Client {
    client_with(server, Roblox::new(), config())
}

/// Roblox's key set (the EC key, and `others`), expected to be fetched `times` times.
async fn mock_certs(server: &mut Server, others: &[Value], times: usize) -> Mock {
    let mut keys = vec![Signer::es256(1, KID).jwk()];
    keys.extend_from_slice(others);
    server
        .mock("GET", "/oauth/v1/certs")
        .match_header("accept", JSON)
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", JSON)
        .with_body(json!({ "keys": keys }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// The expected code exchange with `verifier`, for each test to answer as it needs.
fn code_exchange(server: &mut Server, verifier: &str, credentials: Credentials<'_>) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", verifier),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, "/oauth/v1/token", credentials, &form)
}

async fn mock_userinfo(server: &mut Server, body: &str, times: usize) -> Mock {
    expect::api_request(server, "GET", "/oauth/v1/userinfo", &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .expect(times)
        .reply(200, JSON, body)
        .await
}

/// A whole sign-in whose token response carries the ID token `sign` makes for the
/// sign-in's nonce, with userinfo answering `user` and expected `userinfo_calls` times.
async fn sign_in_with(
    server: &mut Server,
    roblox: &Client,
    sign: impl FnOnce(&str) -> String,
    user: &str,
    userinfo_calls: usize,
) -> Result<ProviderSession<RobloxUser, MemoryAdapter<String>>, Error> {
    let auth = roblox.authorization_url();
    let token = code_exchange(server, auth.pending.code_verifier().unwrap(), CREDENTIALS)
        .reply(
            200,
            JSON,
            tokens_signed(&sign(auth.pending.nonce().unwrap())),
        )
        .await;
    let userinfo = mock_userinfo(server, user, userinfo_calls).await;
    let result = roblox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await;
    token.assert_async().await;
    userinfo.assert_async().await;
    token.remove_async().await;
    userinfo.remove_async().await;
    result
}

/// A sign-in whose ID token has the claims of `edit`, signed with Roblox's key.
async fn sign_in_edited(
    server: &mut Server,
    roblox: &Client,
    edit: impl FnOnce(&mut Value),
    userinfo_calls: usize,
) -> Result<ProviderSession<RobloxUser, MemoryAdapter<String>>, Error> {
    let sign = |nonce: &str| {
        let mut claims = id_claims(nonce);
        edit(&mut claims);
        Signer::es256(1, KID).sign(&claims)
    };
    sign_in_with(server, roblox, sign, USER, userinfo_calls).await
}

#[test]
fn the_facts_are_those_of_robloxs_documentation() {
    let info = <Roblox as Provider>::INFO;
    assert_eq!(info.id, "roblox");
    assert_eq!(info.name, "Roblox");
    assert_eq!(info.default_scopes, ["openid", "profile"]);
    assert_eq!(info.pkce, Pkce::S256);
    assert_eq!(info.client_auth, ClientAuth::RequestBody);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "sub");
    assert!(info.email_verified_source.starts_with("never"));
    assert_eq!(
        info.docs_url,
        "https://create.roblox.com/docs/cloud/auth/oauth2-reference"
    );

    // The discovery document's endpoints.
    let endpoints = Roblox::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://apis.roblox.com/oauth/v1/authorize"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://apis.roblox.com/oauth/v1/token"
    );
    assert_eq!(
        endpoints.revocation.as_ref().map(Url::as_str),
        Some("https://apis.roblox.com/oauth/v1/token/revoke")
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://apis.roblox.com/oauth/v1/userinfo")
    );
    assert_eq!(
        endpoints.issuer, None,
        "Roblox does not advertise `iss` on callbacks"
    );
    assert_eq!(
        Roblox::new().key_set().url().as_str(),
        "https://apis.roblox.com/oauth/v1/certs"
    );
    assert_eq!(portcullis_roblox::ISSUER, "https://apis.roblox.com/oauth/");
    assert_eq!(
        portcullis_roblox::JWKS_URL,
        Roblox::new().key_set().url().as_str()
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let roblox = OAuthClient::new(
        Roblox::new(),
        config().scope("universe-messaging-service:publish"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = roblox.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://apis.roblox.com"
    );
    assert_eq!(auth.url.path(), "/oauth/v1/authorize");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let nonce = query.remove("nonce").unwrap();
    let challenge = query.remove("code_challenge").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce(), "nonce is kept");
    assert_ne!(nonce, state);
    assert_eq!(
        challenge,
        s256_challenge(auth.pending.code_verifier().unwrap()),
        "S256 challenge of the kept verifier"
    );
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
            ("scope", "openid profile universe-messaging-service:publish"),
        ]
    );
    assert_eq!(auth.pending.provider(), "roblox");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Roblox::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_and_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let certs = mock_certs(&mut server, &[], 1).await;

    let auth = roblox.authorization_url();
    let token = code_exchange(
        &mut server,
        auth.pending.code_verifier().unwrap(),
        CREDENTIALS,
    )
    .reply(200, JSON, tokens(auth.pending.nonce().unwrap()))
    .await;
    let user = mock_userinfo(&mut server, USER, 1).await;
    let session = roblox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), "roblox:1516563360");
    let typed = &session.provider_user;
    assert_eq!(typed.nickname.as_deref(), Some("exampleuser"));
    assert_eq!(typed.created_at, Some(1584682495));
    assert_eq!(
        typed.profile.as_deref(),
        Some("https://www.roblox.com/users/1516563360/profile")
    );

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 899);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(tokens.has_scope("profile"));
    assert!(tokens.id_token().is_some(), "the ID token is kept");

    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("exampleuser"));
    assert_eq!(profile.username.as_deref(), Some("exampleuser"));
    assert_eq!(profile.email, None, "Roblox gives apps no email");
    assert!(!profile.email_verified);
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://tr.rbxcdn.com/03dc2a9abe7b1aacaaf93ea46d5c0646/150/150/AvatarHeadshot/Png")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("example".to_owned()).await.unwrap();
    assert_eq!(roblox.adapter().user_count(), 1);

    // The same identity signs in again; Roblox's keys are cached.
    let again = sign_in_edited(&mut server, &roblox, |_| {}, 1)
        .await
        .unwrap();
    assert_eq!(again.existing_user, Some(created.clone()));
    assert_eq!(
        again.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(roblox.adapter().user_count(), 1);
    certs.assert_async().await;
}

#[tokio::test]
async fn a_public_client_sends_only_its_id_and_the_verifier() {
    let mut server = Server::new_async().await;
    let roblox = client_with(
        &server,
        Roblox::new(),
        ClientConfig::public(CLIENT_ID).redirect_uri(REDIRECT.parse().unwrap()),
    );
    mock_certs(&mut server, &[], 1).await;
    let auth = roblox.authorization_url();
    let token = code_exchange(
        &mut server,
        auth.pending.code_verifier().unwrap(),
        Credentials::Public { id: CLIENT_ID },
    )
    .reply(200, JSON, tokens(auth.pending.nonce().unwrap()))
    .await;
    mock_userinfo(&mut server, USER, 1).await;
    let session = roblox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(session.provider_user_id, SUB);
}

#[tokio::test]
async fn a_null_picture_or_openid_alone_is_a_thinner_profile() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    mock_certs(&mut server, &[], 1).await;

    // Roblox: `picture` "can be null if the avatar headshot image hasn't yet been
    // generated or has been moderated".
    let mut moderated: Value = serde_json::from_str(USER).unwrap();
    moderated["picture"] = Value::Null;
    let sign = |nonce: &str| Signer::es256(1, KID).sign(&id_claims(nonce));
    let session = sign_in_with(&mut server, &roblox, sign, &moderated.to_string(), 1)
        .await
        .unwrap();
    assert_eq!(session.provider_user.picture, None);
    assert_eq!(session.profile().avatar_url, None);
    assert_eq!(session.profile().name.as_deref(), Some("exampleuser"));

    // Roblox's sample "without profile scope": `sub` alone.
    let session = sign_in_with(&mut server, &roblox, sign, r#"{"sub": "1516563360"}"#, 1)
        .await
        .unwrap();
    assert_eq!(session.provider_user_id, SUB);
    let profile = session.profile();
    assert_eq!(
        (profile.name, profile.username, profile.avatar_url),
        (None, None, None)
    );
}

#[test]
fn the_user_reads_as_documented_and_round_trips() {
    let parse = |json: &str| serde_json::from_str::<RobloxUser>(json);
    let user = parse(USER).unwrap();
    assert_eq!(user.sub, SUB);
    assert_eq!(user.name.as_deref(), Some("exampleuser"));
    assert_eq!(user.preferred_username.as_deref(), Some("exampleuser"));
    let round_trip: RobloxUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);

    // The display name is sent twice; either will do.
    let user = parse(r#"{"sub":"1","nickname":"Builderman"}"#).unwrap();
    assert_eq!(user.profile().name.as_deref(), Some("Builderman"));
    let user = parse(r#"{"sub":"1","name":"","nickname":"Builderman"}"#).unwrap();
    assert_eq!(user.profile().name.as_deref(), Some("Builderman"));
}

#[tokio::test]
async fn only_es256_tokens_are_accepted() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    // An RSA key in the set changes nothing: Roblox lists ES256 alone.
    let mut rsa = Signer::rs256(KID).jwk();
    rsa["use"] = json!("sig");
    let certs = mock_certs(&mut server, &[rsa], 0).await;

    for (signer, alg) in [
        (Signer::rs256(KID), "RS256"),
        (Signer::hmac(CLIENT_SECRET), "HS256"),
        (Signer::ed25519(), "EdDSA"),
    ] {
        let sign = |nonce: &str| signer.sign(&id_claims(nonce));
        let err = id_token_error(sign_in_with(&mut server, &roblox, sign, USER, 0).await);
        assert_eq!(err, IdTokenError::Algorithm(alg.to_owned()));
    }
    certs.assert_async().await;
    assert_eq!(roblox.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_token_for_another_client_issuer_or_sign_in_is_refused_before_userinfo() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let certs = mock_certs(&mut server, &[], 1).await;

    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &roblox,
            |c| c["aud"] = json!("840974200211308101"),
            0,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Audience);

    // The issuer ends with a slash; without it, or anywhere else, it is another.
    for iss in [
        "https://apis.roblox.com/oauth",
        "https://apis.roblox.com/",
        "https://apis.roblox.com",
        "https://apis.roblox.com.evil.example/oauth/",
    ] {
        let err = id_token_error(
            sign_in_edited(&mut server, &roblox, |c| c["iss"] = json!(iss), 0).await,
        );
        assert_eq!(
            err,
            IdTokenError::Issuer {
                expected: "https://apis.roblox.com/oauth/".to_owned(),
                found: iss.to_owned(),
            }
        );
    }

    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &roblox,
            |c| c["nonce"] = json!("another-sign-in"),
            0,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    // Roblox's tokens carry no `at_hash`; one that does must match the access token.
    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &roblox,
            |c| c["at_hash"] = json!(at_hash("another-access-token")),
            0,
        )
        .await,
    );
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );

    let forged = |nonce: &str| {
        let signed = Signer::es256(1, KID).sign(&id_claims(nonce));
        let mut claims = id_claims(nonce);
        claims["sub"] = json!("156");
        tamper(&signed, &claims)
    };
    let err = id_token_error(sign_in_with(&mut server, &roblox, forged, USER, 0).await);
    assert_eq!(err, IdTokenError::Signature);
    let impostor = |nonce: &str| Signer::es256(2, KID).sign(&id_claims(nonce));
    let err = id_token_error(sign_in_with(&mut server, &roblox, impostor, USER, 0).await);
    assert_eq!(err, IdTokenError::Signature);

    certs.assert_async().await;
    assert_eq!(roblox.adapter().user_count(), 0);
}

#[tokio::test]
async fn userinfo_for_another_user_is_refused() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    mock_certs(&mut server, &[], 1).await;
    // USER is 1516563360.
    let err =
        id_token_error(sign_in_edited(&mut server, &roblox, |c| c["sub"] = json!("156"), 1).await);
    assert_eq!(err, IdTokenError::SubjectMismatch);
    assert_eq!(roblox.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_token_is_checked_against_the_clock_given() {
    let mut server = Server::new_async().await;
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let roblox = client_with(
        &server,
        Roblox::new().clock(Clock::from_fn(move || later)),
        config(),
    );
    mock_certs(&mut server, &[], 1).await;
    let err = id_token_error(sign_in_edited(&mut server, &roblox, |_| {}, 0).await);
    assert_eq!(
        err,
        IdTokenError::Expired,
        "valid an hour, checked two later"
    );

    let roblox = client_with(
        &server,
        Roblox::new()
            .clock(Clock::from_fn(move || later))
            .leeway(Duration::from_secs(3 * 3600)),
        config(),
    );
    mock_certs(&mut server, &[], 1).await;
    sign_in_edited(&mut server, &roblox, |_| {}, 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn no_id_token_or_no_nonce_is_no_sign_in() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let certs = mock_certs(&mut server, &[], 0).await;
    let user = mock_userinfo(&mut server, USER, 0).await;

    // The scope is always `openid`: a response without an ID token is refused.
    let auth = roblox.authorization_url();
    let body = json!({"access_token": ACCESS_TOKEN, "refresh_token": REFRESH_TOKEN,
                      "token_type": "Bearer", "expires_in": 899, "scope": "openid profile"});
    code_exchange(
        &mut server,
        auth.pending.code_verifier().unwrap(),
        CREDENTIALS,
    )
    .reply(200, JSON, body.to_string())
    .await;
    let err = id_token_error(
        roblox
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Missing);
    certs.assert_async().await;
    user.assert_async().await;

    // Without the sign-in's nonce, the ID token proves nothing.
    server.reset();
    let certs = mock_certs(&mut server, &[], 0).await;
    let user = mock_userinfo(&mut server, USER, 0).await;
    server
        .mock("POST", "/oauth/v1/token")
        .with_header("content-type", JSON)
        .with_body(tokens(NONCE))
        .create_async()
        .await;
    let err = id_token_error(roblox.validate_code(CODE, Some(VERIFIER), None).await);
    assert_eq!(err, IdTokenError::Nonce);

    // Nor from stored tokens, which have no nonce to check.
    let tokens = roblox.exchange_code(CODE, Some(VERIFIER)).await.unwrap();
    let err = id_token_error(roblox.fetch_user(&tokens).await);
    assert_eq!(err, IdTokenError::Nonce);
    certs.assert_async().await;
    user.assert_async().await;
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let auth = roblox.authorization_url();
    let token = code_exchange(
        &mut server,
        auth.pending.code_verifier().unwrap(),
        CREDENTIALS,
    )
    .reply(
        400,
        JSON,
        r#"{"error":"invalid_grant","error_description":"Authorization code is invalid."}"#,
    )
    .await;
    let user = mock_userinfo(&mut server, USER, 0).await;
    let err = roblox
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    token.assert_async().await;
    user.assert_async().await;
    expect::assert_oauth_error(
        &err,
        Phase::TokenExchange,
        400,
        "invalid_grant",
        Some("Authorization code is invalid."),
    );
    assert_eq!(roblox.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    code_exchange(&mut server, VERIFIER, CREDENTIALS)
        .reply(
            502,
            "text/html",
            "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center></body></html>",
        )
        .await;
    let err = roblox
        .validate_code(CODE, Some(VERIFIER), Some(NONCE))
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        502,
        "text/html",
        "502 Bad Gateway",
    );
    assert!(!err.is_retryable(), "never for a code exchange");
}

#[tokio::test]
async fn userinfo_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    mock_certs(&mut server, &[], 1).await;
    let sign = |nonce: &str| Signer::es256(1, KID).sign(&id_claims(nonce));

    let err = sign_in_with(
        &mut server,
        &roblox,
        sign,
        r#"{"name":"exampleuser","preferred_username":"exampleuser"}"#,
        1,
    )
    .await
    .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("sub"));

    // The user id is a string of digits, never a number.
    let err = sign_in_with(&mut server, &roblox, sign, r#"{"sub":1516563360}"#, 1)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("sub"));

    let err = sign_in_with(
        &mut server,
        &roblox,
        sign,
        r#"{"sub":"1516563360","created_at":"2020-03-20T05:34:55Z"}"#,
        1,
    )
    .await
    .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("created_at"));
    assert!(
        err.to_string().contains("roblox user request failed"),
        "{err}"
    );
    assert_eq!(roblox.adapter().user_count(), 0);
}

/// The access token of a refresh response.
const REFRESHED_ACCESS_TOKEN: &str = "eyJhbGciOiJFUzI1NiJ9.refreshed";

/// The claims of the ID token of a refresh: a sign-in's, without `nonce` (OpenID
/// Connect Core 1.0 §12.2).
fn refreshed_claims() -> Value {
    let mut claims = id_claims("");
    claims.as_object_mut().unwrap().remove("nonce");
    claims
}

/// The token endpoint answering the next refresh, once: the documented request, and a
/// new set of tokens (access, refresh, ID) as Roblox describes it.
async fn answer_refresh(server: &mut Server, id_token: &str) -> Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let body = json!({
        "access_token": REFRESHED_ACCESS_TOKEN,
        "refresh_token": ROTATED_REFRESH_TOKEN,
        "token_type": "Bearer",
        "expires_in": 899,
        "id_token": id_token,
        "scope": "openid profile",
    });
    expect::token_request(server, "/oauth/v1/token", CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

#[tokio::test]
async fn refresh_sends_the_exact_request_and_returns_the_next_refresh_token() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let certs = mock_certs(&mut server, &[], 1).await;
    let mock = answer_refresh(
        &mut server,
        &Signer::es256(1, KID).sign(&refreshed_claims()),
    )
    .await;
    let tokens = roblox
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    certs.assert_async().await;
    assert_eq!(tokens.access_token().secret(), REFRESHED_ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 899);
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        ROTATED_REFRESH_TOKEN,
        "the one passed in is spent"
    );

    // Spent: Roblox refuses it a second time.
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let spent = expect::token_request(&mut server, "/oauth/v1/token", CREDENTIALS, &form)
        .reply(400, JSON, r#"{"error":"invalid_grant"}"#)
        .await;
    let err = roblox
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    spent.assert_async().await;
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "invalid_grant", None);
    assert!(!err.to_string().contains(REFRESH_TOKEN), "{err}");
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let certs = mock_certs(&mut server, &[], 1).await;
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());
    let refresh = || roblox.refresh(&refresh_token);

    let id_token = Signer::es256(1, KID).sign(&refreshed_claims());
    let mock = answer_refresh(&mut server, &id_token).await;
    let tokens = refresh().await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_client = refreshed_claims();
    other_client["aud"] = json!("840974200211308101");
    let mut other_issuer = refreshed_claims();
    other_issuer["iss"] = json!("https://apis.roblox.com/oauth");
    let mut old_access_token = refreshed_claims();
    old_access_token["at_hash"] = json!(at_hash(ACCESS_TOKEN));
    let mut someone_else = refreshed_claims();
    someone_else["sub"] = json!("156");
    for (forged, expected) in [
        (
            Signer::es256(1, KID).sign(&other_client),
            IdTokenError::Audience,
        ),
        (
            Signer::es256(1, KID).sign(&other_issuer),
            IdTokenError::Issuer {
                expected: "https://apis.roblox.com/oauth/".to_owned(),
                found: "https://apis.roblox.com/oauth".to_owned(),
            },
        ),
        (
            Signer::es256(1, KID).sign(&old_access_token),
            IdTokenError::Claim {
                claim: "at_hash".to_owned(),
            },
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
        (
            Signer::rs256(KID).sign(&refreshed_claims()),
            IdTokenError::Algorithm("RS256".to_owned()),
        ),
    ] {
        let mock = answer_refresh(&mut server, &forged).await;
        assert_eq!(id_token_error(refresh().await), expected);
        mock.assert_async().await;
    }
    // Roblox's keys are cached.
    certs.assert_async().await;
}

#[tokio::test]
async fn revoke_sends_the_refresh_token_and_reports_roblox_errors() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);

    let form = [
        ("token", REFRESH_TOKEN),
        ("token_type_hint", "refresh_token"),
    ];
    // Roblox: "200 OK with an empty response".
    let ok = expect::token_request(&mut server, "/oauth/v1/token/revoke", CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    roblox
        .revoke(RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    ok.assert_async().await;

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let refused = expect::token_request(&mut server, "/oauth/v1/token/revoke", CREDENTIALS, &form)
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_request","error_description":"Invalid token."}"#,
        )
        .await;
    let err = roblox
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap_err();
    refused.assert_async().await;
    let request = expect::assert_oauth_error(
        &err,
        Phase::Revoke,
        400,
        "invalid_request",
        Some("Invalid token."),
    );
    assert_eq!(request.provider(), "roblox");
    assert!(!err.to_string().contains(ACCESS_TOKEN), "{err}");
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let roblox = client(&server);
    let token = server
        .mock("POST", "/oauth/v1/token")
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&roblox).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let roblox = OAuthClient::new(Roblox::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&roblox, CLIENT_SECRET);
}
