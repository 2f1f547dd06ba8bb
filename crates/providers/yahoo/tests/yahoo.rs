//! Yahoo against a mock of its documented endpoints, with ID tokens signed here as Yahoo
//! signs them (ES256): the exact requests we send, what we make of Yahoo's responses, and
//! every way an ID token is refused.

use std::time::{Duration, SystemTime};

use mockito::{Matcher, Mock, Server};
use portcullis::{
    ClientAuth, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient, OAuthProvider,
    Phase, Pkce, Provider, ProviderSession, ProviderUser, RefreshToken, USER_AGENT, Url,
};
use portcullis_oidc::{Clock, Jwks};
use portcullis_testkit::expect::{self, Credentials, JSON, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of};
use portcullis_yahoo::{Yahoo, YahooUser};
use serde_json::{Value, json};

/// A Consumer Key as Yahoo issues them (the one of Yahoo's sample authorization URL).
const CLIENT_ID: &str =
    "dj0yJmk9ak5IZ2x5WmNsaHp6JmQ9WVdrOVNqQkJUMnRYTjJrbWNHbzlNQS0tJnM9Y29uc3VtZXJzZWNyZXQmeD1hYQ--";
const CLIENT_SECRET: &str = "5b39ec891e64d8dbbfab96dc137da73e0c5d8a41";
const REDIRECT: &str = "http://localhost:3000/login/yahoo/callback";
const CODE: &str = "ncnq7m7";
/// The access and refresh tokens of Yahoo's sample token response.
const ACCESS_TOKEN: &str = "Jzxbkqqcvjqik2IMxGFEE1cuaos--";
const REFRESH_TOKEN: &str = "AOiRUlJn_qOmByVGTmUpwcMKW3XDcipToOoHx2wRoyLgJC_RFlA-";
/// The `kid` of Yahoo's sample ID token header.
const KID: &str = "87350ad9ce04550819b62079b193a42055a36b71";
/// The `sub` of Yahoo's sample UserInfo response.
const SUB: &str = "FSVIDUW3D7FSVIDUW3D72F2F";
/// The `xoauth_yahoo_guid` of Yahoo's sample token response.
const GUID: &str = "JT4FACLQZI2OCE";
/// A nonce for `validate_code` calls made without an authorization URL.
const NONCE: &str = "n-0S6_WzA2Mj";

/// Yahoo's token requests authenticate with HTTP Basic.
const CREDENTIALS: Credentials<'_> = Credentials::Basic {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// Yahoo's UserInfo sample response, as documented (without its `# user identifier`
/// comment, which is no JSON): no `email_verified`.
const USER: &str = r#"{
 "sub": "FSVIDUW3D7FSVIDUW3D72F2F",
 "name": "Jane Doe",
 "given_name": "Jane",
 "family_name": "Doe",
 "preferred_username": "j.doe",
 "email": "janedoe@example.com",
 "picture": "http://example.com/janedoe/me.jpg"
}"#;

/// The `at_hash` of `access_token`, for the ES256 key the ID tokens are signed with.
fn at_hash(access_token: &str) -> String {
    Signer::es256(1, KID).at_hash(access_token)
}

/// The claims of an ID token as Yahoo documents them, for the sign-in with `nonce`.
fn id_claims(nonce: &str) -> Value {
    let now = now();
    json!({
        "iss": "https://api.login.yahoo.com",
        "sub": SUB,
        "aud": CLIENT_ID,
        "exp": now + 3600,
        "iat": now,
        "auth_time": now - 5,
        "nonce": nonce,
        "at_hash": at_hash(ACCESS_TOKEN),
    })
}

/// A token response shaped like Yahoo's sample, with an ID token of `claims`.
fn tokens_with(claims: &Value) -> String {
    tokens_signed(&Signer::es256(1, KID).sign(claims))
}

fn tokens_signed(id_token: &str) -> String {
    json!({
        "access_token": ACCESS_TOKEN,
        "token_type": "bearer",
        "expires_in": 3600,
        "refresh_token": REFRESH_TOKEN,
        "xoauth_yahoo_guid": GUID,
        "id_token": id_token,
    })
    .to_string()
}

fn tokens(nonce: &str) -> String {
    tokens_with(&id_claims(nonce))
}

type Client = OAuthClient<Yahoo, MemoryAdapter<String>>;

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// `yahoo` pointed at the mock: endpoints rebased, key set at the mock's
/// `/openid/v1/certs`.
fn client(server: &Server, yahoo: Yahoo) -> Client {
    let yahoo = yahoo.jwks(Jwks::new(
        format!("{}/openid/v1/certs", server.url()).parse().unwrap(),
    ));
    expect::client(yahoo, config(), server)
}

/// Yahoo's key set (the EC key, and `others`), expected to be fetched `times` times.
async fn mock_certs(server: &mut Server, others: &[Value], times: usize) -> Mock {
    let mut keys = vec![Signer::es256(1, KID).jwk()];
    keys.extend_from_slice(others);
    server
        .mock("GET", "/openid/v1/certs")
        .match_header("accept", JSON)
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", JSON)
        .with_body(json!({ "keys": keys }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// The expected code exchange, for each test to answer as it needs: no `code_verifier`,
/// Yahoo takes no PKCE.
fn code_exchange(server: &mut Server) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, "/oauth2/get_token", CREDENTIALS, &form)
}

async fn mock_token(server: &mut Server, body: String) -> Mock {
    code_exchange(server).reply(200, JSON, body).await
}

async fn mock_userinfo(server: &mut Server, body: &str, times: usize) -> Mock {
    expect::api_request(server, "GET", "/openid/v1/userinfo", &[], ACCESS_TOKEN)
        .match_body(Matcher::Exact(String::new()))
        .expect(times)
        .reply(200, JSON, body)
        .await
}

/// A whole sign-in whose token response carries `id_token` (signed for the sign-in's
/// nonce by `sign`), with UserInfo answering `user` and expected `userinfo_calls` times.
async fn sign_in_with(
    server: &mut Server,
    yahoo: &Client,
    sign: impl FnOnce(&str) -> String,
    user: &str,
    userinfo_calls: usize,
) -> Result<ProviderSession<YahooUser, MemoryAdapter<String>>, Error> {
    let auth = yahoo.authorization_url();
    let token = mock_token(server, tokens_signed(&sign(auth.pending.nonce().unwrap()))).await;
    let userinfo = mock_userinfo(server, user, userinfo_calls).await;
    let result = yahoo
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await;
    token.assert_async().await;
    userinfo.assert_async().await;
    token.remove_async().await;
    userinfo.remove_async().await;
    result
}

/// A sign-in whose ID token has the claims of `edit`, signed with Yahoo's key.
async fn sign_in_edited(
    server: &mut Server,
    yahoo: &Client,
    edit: impl FnOnce(&mut Value),
    userinfo_calls: usize,
) -> Result<ProviderSession<YahooUser, MemoryAdapter<String>>, Error> {
    let sign = |nonce: &str| {
        let mut claims = id_claims(nonce);
        edit(&mut claims);
        Signer::es256(1, KID).sign(&claims)
    };
    sign_in_with(server, yahoo, sign, USER, userinfo_calls).await
}

#[test]
fn the_facts_are_those_of_yahoos_documentation() {
    let info = <Yahoo as Provider>::INFO;
    assert_eq!(info.id, "yahoo");
    assert_eq!(info.name, "Yahoo");
    assert_eq!(info.default_scopes, ["openid", "profile", "email"]);
    assert_eq!(info.pkce, Pkce::None, "Yahoo documents no code_challenge");
    assert_eq!(info.client_auth, ClientAuth::Basic);
    assert!(info.requires_redirect_uri);
    assert_eq!(info.user_id_field, "sub");
    assert!(info.email_verified_source.contains("email_verified"));
    assert_eq!(
        info.docs_url,
        "https://developer.yahoo.com/oauth2/guide/openid_connect/getting_started.html"
    );

    let endpoints = Yahoo::new().endpoints();
    assert_eq!(
        endpoints.authorization.as_str(),
        "https://api.login.yahoo.com/oauth2/request_auth"
    );
    assert_eq!(
        endpoints.token.as_str(),
        "https://api.login.yahoo.com/oauth2/get_token"
    );
    assert_eq!(
        endpoints.userinfo.as_ref().map(Url::as_str),
        Some("https://api.login.yahoo.com/openid/v1/userinfo")
    );
    assert_eq!(endpoints.revocation, None, "Yahoo documents no revocation");
    assert_eq!(
        endpoints.issuer, None,
        "Yahoo does not advertise `iss` on callbacks"
    );
    assert!(!endpoints.issuer_required);
    assert_eq!(
        Yahoo::new().key_set().url().as_str(),
        "https://api.login.yahoo.com/openid/v1/certs"
    );
    assert_eq!(portcullis_yahoo::ISSUER, "https://api.login.yahoo.com");
    assert_eq!(
        portcullis_yahoo::JWKS_URL,
        Yahoo::new().key_set().url().as_str()
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let yahoo = OAuthClient::new(
        Yahoo::new(),
        config().scope("mail-r"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = yahoo.authorization_url();
    assert_eq!(
        auth.url.origin().ascii_serialization(),
        "https://api.login.yahoo.com"
    );
    assert_eq!(auth.url.path(), "/oauth2/request_auth");
    assert_eq!(
        auth.url.query_pairs().count(),
        query_of(&auth.url).len(),
        "no parameter sent twice: {}",
        auth.url
    );

    let mut query = query_of(&auth.url);
    let state = query.remove("state").unwrap();
    let nonce = query.remove("nonce").unwrap();
    assert_eq!(state, auth.pending.state());
    assert_eq!(Some(nonce.as_str()), auth.pending.nonce(), "nonce is kept");
    assert!(nonce.len() >= 22, "nonce has at least 128 bits");
    assert_ne!(nonce, state);
    assert_eq!(auth.pending.code_verifier(), None, "no PKCE");
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        [
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email mail-r"),
        ]
    );
    assert_eq!(auth.pending.provider(), "yahoo");
}

#[test]
fn a_redirect_uri_is_required() {
    let err = OAuthClient::new(
        Yahoo::new(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET),
        MemoryAdapter::<String>::new(),
    )
    .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_and_creates_then_finds_the_user() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 1).await;

    let auth = yahoo.authorization_url();
    let token = mock_token(&mut server, tokens(auth.pending.nonce().unwrap())).await;
    let user = mock_userinfo(&mut server, USER, 1).await;
    let session = yahoo
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    user.assert_async().await;

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), format!("yahoo:{SUB}"));
    let typed = &session.provider_user;
    assert_eq!(typed.given_name.as_deref(), Some("Jane"));
    assert_eq!(typed.family_name.as_deref(), Some("Doe"));
    assert_eq!(typed.preferred_username.as_deref(), Some("j.doe"));
    assert_eq!(typed.email_verified, None, "Yahoo's sample has none");

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    // Yahoo sends `bearer`; the scheme is case-insensitive (RFC 6750 §4).
    assert_eq!(tokens.token_type(), "Bearer");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(tokens.id_token().is_some(), "the ID token is kept");

    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.username.as_deref(), Some("j.doe"));
    assert_eq!(profile.email.as_deref(), Some("janedoe@example.com"));
    assert!(
        !profile.email_verified,
        "Yahoo's sample does not say the email is verified"
    );
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("http://example.com/janedoe/me.jpg")
    );

    assert!(session.existing_user.is_none());
    let created = session.create_user("jane".to_owned()).await.unwrap();
    assert_eq!(yahoo.adapter().user_count(), 1);

    // The same identity signs in again; Yahoo's keys are cached.
    let again = sign_in_edited(&mut server, &yahoo, |_| {}, 1)
        .await
        .unwrap();
    assert_eq!(again.existing_user, Some(created.clone()));
    assert_eq!(
        again.create_user("again".to_owned()).await.unwrap(),
        created
    );
    assert_eq!(yahoo.adapter().user_count(), 1);
    certs.assert_async().await;
}

#[tokio::test]
async fn the_guid_of_the_token_response_is_kept_but_keys_nothing() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    mock_certs(&mut server, &[], 1).await;
    let session = sign_in_edited(&mut server, &yahoo, |_| {}, 1)
        .await
        .unwrap();
    assert_eq!(session.tokens.extra()["xoauth_yahoo_guid"], json!(GUID));
    assert_eq!(
        session.provider_user_id, SUB,
        "keyed on `sub`, not the GUID"
    );
}

#[tokio::test]
async fn an_rs256_token_signed_with_a_key_of_yahoos_set_signs_in_too() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let rsa = Signer::rs256("2c9bb5b4d6e3ef3a3fb8f7c9f56c3d0a9cf27f2b");
    let mut rsa_jwk = rsa.jwk();
    rsa_jwk["use"] = json!("sig");
    mock_certs(&mut server, &[rsa_jwk], 1).await;
    // Yahoo's discovery document lists RS256 beside ES256.
    let sign = |nonce: &str| rsa.sign(&id_claims(nonce));
    let session = sign_in_with(&mut server, &yahoo, sign, USER, 1)
        .await
        .unwrap();
    assert_eq!(session.provider_user_id, SUB);
}

#[tokio::test]
async fn other_algorithms_are_refused_before_any_key_is_fetched() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 0).await;

    // HS256 keyed with the client secret: Yahoo does not sign that way.
    let hmac = |nonce: &str| Signer::hmac(CLIENT_SECRET).sign(&id_claims(nonce));
    let err = id_token_error(sign_in_with(&mut server, &yahoo, hmac, USER, 0).await);
    assert_eq!(err, IdTokenError::Algorithm("HS256".to_owned()));

    let eddsa = |nonce: &str| Signer::ed25519().sign(&id_claims(nonce));
    let err = id_token_error(sign_in_with(&mut server, &yahoo, eddsa, USER, 0).await);
    assert_eq!(err, IdTokenError::Algorithm("EdDSA".to_owned()));

    certs.assert_async().await;
    assert_eq!(yahoo.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_token_for_another_client_issuer_or_sign_in_is_refused_before_userinfo() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 1).await;

    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &yahoo,
            |c| c["aud"] = json!("dj0yJmk9T3RoZXJBcHA--"),
            0,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Audience);

    // Yahoo: `iss` must equal `https://api.login.yahoo.com`; no other spelling.
    for iss in [
        "https://login.yahoo.com",
        "https://api.login.yahoo.com/",
        "api.login.yahoo.com",
        "https://api.login.yahoo.co.jp",
    ] {
        let err =
            id_token_error(sign_in_edited(&mut server, &yahoo, |c| c["iss"] = json!(iss), 0).await);
        assert_eq!(
            err,
            IdTokenError::Issuer {
                expected: "https://api.login.yahoo.com".to_owned(),
                found: iss.to_owned(),
            }
        );
    }

    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &yahoo,
            |c| c["nonce"] = json!("another-sign-in"),
            0,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::Nonce);

    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &yahoo,
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

    // Signed claims with another `sub` pasted in, and a signature by a key Yahoo never
    // published under Yahoo's `kid`.
    let forged = |nonce: &str| {
        let signed = Signer::es256(1, KID).sign(&id_claims(nonce));
        let mut claims = id_claims(nonce);
        claims["sub"] = json!("ZZQ2CDX4N5Q3L4GTQ5LJ2H3ABC");
        tamper(&signed, &claims)
    };
    let err = id_token_error(sign_in_with(&mut server, &yahoo, forged, USER, 0).await);
    assert_eq!(err, IdTokenError::Signature);
    let impostor = |nonce: &str| Signer::es256(2, KID).sign(&id_claims(nonce));
    let err = id_token_error(sign_in_with(&mut server, &yahoo, impostor, USER, 0).await);
    assert_eq!(err, IdTokenError::Signature);

    certs.assert_async().await;
    assert_eq!(yahoo.adapter().user_count(), 0);
}

#[tokio::test]
async fn userinfo_for_another_user_is_refused() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    mock_certs(&mut server, &[], 1).await;
    // USER is FSVIDUW3D7FSVIDUW3D72F2F.
    let err = id_token_error(
        sign_in_edited(
            &mut server,
            &yahoo,
            |c| c["sub"] = json!("ZZQ2CDX4N5Q3L4GTQ5LJ2H3ABC"),
            1,
        )
        .await,
    );
    assert_eq!(err, IdTokenError::SubjectMismatch);
    assert_eq!(yahoo.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_token_is_checked_against_the_clock_given() {
    let mut server = Server::new_async().await;
    let later = SystemTime::now() + Duration::from_secs(2 * 3600);
    let yahoo = client(&server, Yahoo::new().clock(Clock::from_fn(move || later)));
    mock_certs(&mut server, &[], 1).await;
    let err = id_token_error(sign_in_edited(&mut server, &yahoo, |_| {}, 0).await);
    assert_eq!(
        err,
        IdTokenError::Expired,
        "valid an hour, checked two later"
    );

    let yahoo = client(
        &server,
        Yahoo::new()
            .clock(Clock::from_fn(move || later))
            .leeway(Duration::from_secs(3 * 3600)),
    );
    mock_certs(&mut server, &[], 1).await;
    sign_in_edited(&mut server, &yahoo, |_| {}, 1)
        .await
        .unwrap();
}

#[tokio::test]
async fn no_id_token_or_no_nonce_is_no_sign_in() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 0).await;
    let user = mock_userinfo(&mut server, USER, 0).await;

    // `openid` is always requested: a response without an ID token is refused.
    let auth = yahoo.authorization_url();
    let body = json!({"access_token": ACCESS_TOKEN, "token_type": "bearer", "expires_in": 3600,
                      "refresh_token": REFRESH_TOKEN, "xoauth_yahoo_guid": GUID});
    mock_token(&mut server, body.to_string()).await;
    let err = id_token_error(
        yahoo
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Missing);
    certs.assert_async().await;
    user.assert_async().await;

    // Without the sign-in's nonce, the ID token proves nothing.
    server.reset();
    let certs_again = mock_certs(&mut server, &[], 0).await;
    let user_again = mock_userinfo(&mut server, USER, 0).await;
    server
        .mock("POST", "/oauth2/get_token")
        .with_header("content-type", JSON)
        .with_body(tokens(NONCE))
        .create_async()
        .await;
    let err = id_token_error(yahoo.validate_code(CODE, None, None).await);
    assert_eq!(err, IdTokenError::Nonce);

    // Nor from stored tokens, which have no nonce to check.
    let tokens = yahoo.exchange_code(CODE, None).await.unwrap();
    let err = id_token_error(yahoo.fetch_user(&tokens).await);
    assert_eq!(err, IdTokenError::Nonce);

    certs_again.assert_async().await;
    user_again.assert_async().await;
}

#[tokio::test]
async fn an_email_is_verified_only_when_yahoo_says_so() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    mock_certs(&mut server, &[], 1).await;
    let mut verified: Value = serde_json::from_str(USER).unwrap();
    verified["email_verified"] = json!(true);
    let sign = |nonce: &str| Signer::es256(1, KID).sign(&id_claims(nonce));
    let session = sign_in_with(&mut server, &yahoo, sign, &verified.to_string(), 1)
        .await
        .unwrap();
    assert_eq!(session.provider_user.email_verified, Some(true));
    assert_eq!(
        session.profile().verified_email(),
        Some("janedoe@example.com")
    );

    let parse = |json: &str| serde_json::from_str::<YahooUser>(json);
    for (claim, expected) in [
        (r#""email_verified":true"#, Some(true)),
        (r#""email_verified":"true""#, Some(true)),
        (r#""email_verified":false"#, Some(false)),
        (r#""email_verified":"false""#, Some(false)),
        (r#""email_verified":null"#, None),
    ] {
        let user = parse(&format!(r#"{{"sub":"1","email":"a@yahoo.com",{claim}}}"#)).unwrap();
        assert_eq!(user.email_verified, expected, "{claim}");
        assert_eq!(
            user.profile().email_verified,
            expected == Some(true),
            "{claim}"
        );
    }
    for bad in [r#""yes""#, "1", r#""""#] {
        let json = format!(r#"{{"sub":"1","email":"a@yahoo.com","email_verified":{bad}}}"#);
        assert!(parse(&json).is_err(), "{bad} is not a verdict");
    }
    // A verdict without an address verifies nothing.
    let user = parse(r#"{"sub":"1","email_verified":true}"#).unwrap();
    assert!(!user.profile().email_verified);

    // Without `profile` and `email`: `sub` alone, no name from nowhere.
    let user = parse(r#"{"sub":"1"}"#).unwrap();
    assert_eq!(user.profile().name, None);
    let user = parse(r#"{"sub":"1","given_name":"Jane","family_name":"Doe"}"#).unwrap();
    assert_eq!(user.profile().name.as_deref(), Some("Jane Doe"));

    let user = parse(USER).unwrap();
    let round_trip: YahooUser =
        serde_json::from_str(&serde_json::to_string(&user).unwrap()).unwrap();
    assert_eq!(round_trip, user);
}

#[tokio::test]
async fn invalid_code_is_an_oauth_error() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let auth = yahoo.authorization_url();
    let token = code_exchange(&mut server)
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"invalid code"}"#,
        )
        .await;
    let user = mock_userinfo(&mut server, USER, 0).await;
    let err = yahoo
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
        Some("invalid code"),
    );
    assert_eq!(yahoo.adapter().user_count(), 0);
}

#[tokio::test]
async fn html_error_page_is_an_unexpected_response() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    code_exchange(&mut server)
        .reply(
            503,
            "text/html; charset=utf-8",
            "<!doctype html><html><head><title>Yahoo</title></head><body>Will be right back...</body></html>",
        )
        .await;
    let err = yahoo
        .validate_code(CODE, None, Some(NONCE))
        .await
        .unwrap_err();
    expect::assert_unexpected_response(
        &err,
        Phase::TokenExchange,
        503,
        "text/html; charset=utf-8",
        "Will be right back",
    );
    assert!(!err.is_retryable(), "never for a code exchange");
}

#[tokio::test]
async fn userinfo_errors_in_www_authenticate_are_unexpected_responses() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    mock_certs(&mut server, &[], 1).await;
    mock_token(&mut server, tokens(NONCE)).await;
    // Yahoo's documented error: RFC 6750 in the header, no body.
    let userinfo =
        expect::api_request(&mut server, "GET", "/openid/v1/userinfo", &[], ACCESS_TOKEN)
            .with_status(401)
            .with_header(
                "www-authenticate",
                r#"error="invalid_token", error_description="The Access Token expired""#,
            )
            .create_async()
            .await;
    let err = yahoo
        .validate_code(CODE, None, Some(NONCE))
        .await
        .unwrap_err();
    userinfo.assert_async().await;
    match &err {
        Error::Request(request) => {
            assert_eq!(request.phase(), Phase::UserInfo);
            assert!(
                matches!(
                    request.kind(),
                    portcullis::RequestErrorKind::UnexpectedResponse { status: 401, .. }
                ),
                "{request:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert!(!err.is_retryable(), "the code is spent");
    assert_eq!(yahoo.adapter().user_count(), 0);
}

#[tokio::test]
async fn userinfo_of_the_wrong_shape_names_the_field() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    mock_certs(&mut server, &[], 1).await;

    // No `sub`: no identity, whatever else is there.
    let user = r#"{"name":"Jane Doe","email":"janedoe@example.com"}"#;
    let sign = |nonce: &str| Signer::es256(1, KID).sign(&id_claims(nonce));
    let err = sign_in_with(&mut server, &yahoo, sign, user, 1)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("sub"));

    let user =
        r#"{"sub":"FSVIDUW3D7FSVIDUW3D72F2F","picture":{"url":"http://example.com/me.jpg"}}"#;
    let err = sign_in_with(&mut server, &yahoo, sign, user, 1)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, Some("picture"));

    let err = sign_in_with(&mut server, &yahoo, sign, r#"{"sub":"FSVID"#, 1)
        .await
        .unwrap_err();
    expect::assert_invalid_response(&err, Phase::UserInfo, None);
    assert!(
        err.to_string().contains("yahoo user request failed"),
        "{err}"
    );
    assert_eq!(yahoo.adapter().user_count(), 0);
}

/// The access token of a refresh response.
const REFRESHED_ACCESS_TOKEN: &str = "Kzxbkqqcvjqik2IMxGFEE1cuaos-refreshed";

/// The claims of the ID token of a refresh: a sign-in's, without `nonce` (OpenID
/// Connect Core 1.0 §12.2), with the `at_hash` of the new access token.
fn refreshed_claims() -> Value {
    let mut claims = id_claims("");
    claims.as_object_mut().unwrap().remove("nonce");
    claims["at_hash"] = json!(at_hash(REFRESHED_ACCESS_TOKEN));
    claims
}

/// The token endpoint answering the next refresh, once, with a new access token and
/// `id_token` if any.
async fn answer_refresh(server: &mut Server, id_token: Option<&str>) -> Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let mut body = json!({
        "access_token": REFRESHED_ACCESS_TOKEN,
        "token_type": "bearer",
        "expires_in": 3600,
        "refresh_token": REFRESH_TOKEN,
        "xoauth_yahoo_guid": GUID,
    });
    if let Some(id_token) = id_token {
        body["id_token"] = json!(id_token);
    }
    expect::token_request(server, "/oauth2/get_token", CREDENTIALS, &form)
        .reply(200, JSON, body.to_string())
        .await
}

#[tokio::test]
async fn refresh_sends_the_exact_request() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 0).await;
    let mock = answer_refresh(&mut server, None).await;
    let tokens = yahoo
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    certs.assert_async().await;
    assert_eq!(tokens.access_token().secret(), REFRESHED_ACCESS_TOKEN);
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 3600);
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);
    assert!(tokens.id_token().is_none());

    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let expired = expect::token_request(&mut server, "/oauth2/get_token", CREDENTIALS, &form)
        .reply(
            400,
            JSON,
            r#"{"error":"invalid_grant","error_description":"refresh token is invalid"}"#,
        )
        .await;
    let err = yahoo
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap_err();
    expired.assert_async().await;
    expect::assert_oauth_error(&err, Phase::Refresh, 400, "invalid_grant", None);
    assert!(!err.to_string().contains(REFRESH_TOKEN), "{err}");
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let certs = mock_certs(&mut server, &[], 1).await;
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());
    let refresh = || yahoo.refresh(&refresh_token);

    let id_token = Signer::es256(1, KID).sign(&refreshed_claims());
    let mock = answer_refresh(&mut server, Some(&id_token)).await;
    let tokens = refresh().await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned.
    let mut other_client = refreshed_claims();
    other_client["aud"] = json!("dj0yJmk9T3RoZXJBcHA--");
    let mut other_issuer = refreshed_claims();
    other_issuer["iss"] = json!("https://login.yahoo.com");
    let mut old_access_token = refreshed_claims();
    old_access_token["at_hash"] = json!(at_hash(ACCESS_TOKEN));
    let mut someone_else = refreshed_claims();
    someone_else["sub"] = json!("ZZQ2CDX4N5Q3L4GTQ5LJ2H3ABC");
    for (forged, expected) in [
        (
            Signer::es256(1, KID).sign(&other_client),
            IdTokenError::Audience,
        ),
        (
            Signer::es256(1, KID).sign(&other_issuer),
            IdTokenError::Issuer {
                expected: "https://api.login.yahoo.com".to_owned(),
                found: "https://login.yahoo.com".to_owned(),
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
            Signer::hmac(CLIENT_SECRET).sign(&refreshed_claims()),
            IdTokenError::Algorithm("HS256".to_owned()),
        ),
    ] {
        let mock = answer_refresh(&mut server, Some(&forged)).await;
        assert_eq!(id_token_error(refresh().await), expected);
        mock.assert_async().await;
    }
    // Yahoo's keys are cached.
    certs.assert_async().await;
}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {
    let mut server = Server::new_async().await;
    let yahoo = client(&server, Yahoo::new());
    let token = server
        .mock("POST", "/oauth2/get_token")
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&yahoo).await;
    token.assert_async().await;
}

#[test]
fn debug_output_holds_no_secret() {
    let yahoo = OAuthClient::new(Yahoo::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&yahoo, CLIENT_SECRET);
}
