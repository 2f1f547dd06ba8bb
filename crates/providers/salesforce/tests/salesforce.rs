//! Salesforce against a mock My Domain: the exact requests, ID tokens signed here and
//! verified with the domain's keys, userinfo merged in, `user_id` as the id.

use mockito::{Mock, Server};
use portcullis::{
    AccessToken, AuthorizationUrl, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient,
    OAuthProvider, Phase, Provider, ProviderSession, ProviderUser, RefreshToken, Url,
};
use portcullis_salesforce::{Salesforce, SalesforceDomain, SalesforceUser};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, jwks, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CLIENT_ID: &str =
    "3MVG9A2kN3Bn17hs8MIaQx1voVGy662rXlC37svtmLmt6wO_iik8Hnk3DlcYjKRvzVNGWLFlGRH1ryHwS217h";
const CLIENT_SECRET: &str = "B2F1C9A3E4D5F60718293A4B5C6D7E8F90A1B2C3D4E5F6071829";
const REDIRECT: &str = "http://localhost:3000/login/salesforce/callback";
const CODE: &str = "aPrxYXyxzkuBzbiaGfqTpDJP3xK6gvs5wjVAq6IjUu6BJg1EzYHXyUAYWu_q6m2zh.Lq7g==";
const ACCESS_TOKEN: &str = "00Dxx0000001gPL!AR8AQJXg5oj8jXSgxJfA0lBog.39AsX.LVpxezPwuX5VAIrrbbHMuol7GQxnMeYMN7cj8EoWr78nt1u44zU31IbYNNJguseu";
const REFRESH_TOKEN: &str =
    "5Aep861KIwKdekr90KlxVVUI47zdR6dX_VeBWZBS.SiQYYAy5LuEE_ZUmZsdFAgNlBtBUzO6Bm7wdVgI8Z3yo_q";
const USER_ID: &str = "005xx000001Sv6AAAS";
const ORG_ID: &str = "00Dxx0000001gPLEAY";
const SUB: &str = "https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000001Sv6AAAS";
const TOKEN_PATH: &str = "/services/oauth2/token";
/// The content type Salesforce answers with, without a space before `charset`.
const SALESFORCE_JSON: &str = "application/json;charset=UTF-8";

/// Salesforce takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// A client for the mock server as a My Domain.
fn client(server: &Server) -> OAuthClient<Salesforce, MemoryAdapter<String>> {
    expect::client(
        Salesforce::new(SalesforceDomain::MyDomain(server.url())).unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        server,
    )
}

fn claims(server: &Server, nonce: &str, signer: &Signer) -> Value {
    let now = now();
    json!({
        "at_hash": signer.at_hash(ACCESS_TOKEN),
        "sub": SUB,
        "aud": CLIENT_ID,
        "iss": server.url(),
        "exp": now + 300,
        "iat": now,
        "nonce": nonce,
        "name": "Jane Doe",
        "preferred_username": "jdoe@acme.com",
        "email": "jane.doe@acme.com",
        "email_verified": true,
    })
}

/// Salesforce's OpenID Connect userinfo for scopes `openid id profile email`.
fn userinfo(server: &Server) -> Value {
    let host = server.url();
    json!({
        "sub": SUB,
        "user_id": USER_ID,
        "organization_id": ORG_ID,
        "preferred_username": "jdoe@acme.com",
        "nickname": "jdoe",
        "name": "Jane Doe",
        "email": "jane.doe@acme.com",
        "email_verified": true,
        "given_name": "Jane",
        "family_name": "Doe",
        "zoneinfo": "America/Los_Angeles",
        "photos": {
            "picture": "https://acme.file.force.com/profilephoto/729xx0000008Oz7/F",
            "thumbnail": "https://acme.file.force.com/profilephoto/729xx0000008Oz7/T"
        },
        "profile": format!("{host}/{USER_ID}"),
        "picture": "https://acme.file.force.com/profilephoto/729xx0000008Oz7/F",
        "address": {"country": "US"},
        "is_salesforce_integration_user": false,
        "urls": {
            "rest": format!("{host}/services/data/v{{version}}/"),
            "sobjects": format!("{host}/services/data/v{{version}}/sobjects/"),
        },
        "active": true,
        "user_type": "STANDARD",
        "language": "en_US",
        "locale": "en_US",
        "utcOffset": -28800000,
        "updated_at": "2024-04-02T18:05:33Z",
        "is_app_installed": true,
    })
}

async fn mock_jwks(server: &mut Server, expect: usize) -> Mock {
    server
        .mock("GET", "/id/keys")
        .match_header("accept", "application/json")
        .with_header("content-type", SALESFORCE_JSON)
        .with_body(jwks(&[&Signer::rsa_1()]))
        .expect(expect)
        .create_async()
        .await
}

async fn mock_token(server: &mut Server, auth: &AuthorizationUrl, id_token: &str) -> Mock {
    let body = json!({
        "access_token": ACCESS_TOKEN,
        "refresh_token": REFRESH_TOKEN,
        "signature": "CMJ4l+CCaPQiKjoOEwEig9H4wqhpuLSk4J2urAe+fVg=",
        "scope": "refresh_token openid id profile email",
        "id_token": id_token,
        "instance_url": server.url(),
        "id": SUB,
        "token_type": "Bearer",
        "issued_at": "1714641228000",
    });
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, SALESFORCE_JSON, body.to_string())
        .await
}

async fn mock_userinfo(server: &mut Server, body: &Value, expect: usize) -> Mock {
    expect::api_request(
        server,
        "GET",
        "/services/oauth2/userinfo",
        &[],
        ACCESS_TOKEN,
    )
    .expect(expect)
    .reply(200, SALESFORCE_JSON, body.to_string())
    .await
}

async fn sign_in_with(
    server: &mut Server,
    signer: &Signer,
    edit: impl FnOnce(&mut Value),
) -> Result<ProviderSession<SalesforceUser, MemoryAdapter<String>>, Error> {
    let salesforce = client(server);
    let auth = salesforce.authorization_url();
    let mut claims = claims(server, auth.pending.nonce().unwrap(), signer);
    edit(&mut claims);
    let _token = mock_token(server, &auth, &signer.sign(&claims)).await;
    salesforce
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

#[test]
fn each_domain_has_its_endpoints_keys_and_issuer() {
    for (domain, host) in [
        (SalesforceDomain::Production, "https://login.salesforce.com"),
        (SalesforceDomain::Sandbox, "https://test.salesforce.com"),
        (
            SalesforceDomain::MyDomain("acme.my.salesforce.com".to_owned()),
            "https://acme.my.salesforce.com",
        ),
        (
            SalesforceDomain::MyDomain("https://acme--uat.sandbox.my.salesforce.com/".to_owned()),
            "https://acme--uat.sandbox.my.salesforce.com",
        ),
    ] {
        let salesforce = Salesforce::new(domain.clone()).unwrap();
        let e = salesforce.endpoints();
        assert_eq!(
            e.authorization.as_str(),
            format!("{host}/services/oauth2/authorize")
        );
        assert_eq!(e.token.as_str(), format!("{host}/services/oauth2/token"));
        assert_eq!(
            e.userinfo.as_ref().map(Url::as_str),
            Some(format!("{host}/services/oauth2/userinfo").as_str())
        );
        assert_eq!(
            e.revocation.as_ref().map(Url::as_str),
            Some(format!("{host}/services/oauth2/revoke").as_str())
        );
        assert_eq!(e.issuer, None);
        assert_eq!(salesforce.issuer(), host);
        assert_eq!(
            salesforce.verifier().jwks().url().as_str(),
            format!("{host}/id/keys")
        );
        assert_eq!(salesforce.domain(), &domain);
    }
    // Production is what `ProviderInfo` documents.
    let production = Salesforce::new(SalesforceDomain::Production).unwrap();
    assert_eq!(
        production.endpoints().token.as_str(),
        Salesforce::INFO.token_url
    );
}

#[test]
fn authorization_url_has_every_parameter() {
    let salesforce = OAuthClient::new(
        Salesforce::new(SalesforceDomain::Sandbox).unwrap(),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
            .redirect_uri(REDIRECT.parse().unwrap())
            .scope("refresh_token"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = salesforce.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next(),
        Some("https://test.salesforce.com/services/oauth2/authorize")
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
            ("client_id", CLIENT_ID),
            ("code_challenge_method", "S256"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid id profile email refresh_token"),
        ]
    );
    assert_eq!(auth.pending.provider(), "salesforce");
}

#[tokio::test]
async fn sign_in_verifies_the_id_token_merges_userinfo_and_keys_on_user_id() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let body = userinfo(&server);
    let userinfo = mock_userinfo(&mut server, &body, 1).await;
    let salesforce = client(&server);
    let auth = salesforce.authorization_url();
    let signer = Signer::rsa_1();
    let id_token = signer.sign(&claims(&server, auth.pending.nonce().unwrap(), &signer));
    let token = mock_token(&mut server, &auth, &id_token).await;

    let session = salesforce
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    jwks.assert_async().await;
    userinfo.assert_async().await;

    assert_eq!(session.provider_user_id, USER_ID, "Lucia's `user_id`");
    assert_eq!(session.key().to_string(), "salesforce:005xx000001Sv6AAAS");
    let user = &session.provider_user;
    assert_eq!(user.provider_user_id(), USER_ID);
    assert_eq!(user.sub, SUB);
    assert_eq!(user.organization_id, ORG_ID);
    assert_eq!(user.utc_offset, Some(-28800000));
    assert_eq!(user.updated_at.as_deref(), Some("2024-04-02T18:05:33Z"));
    assert_eq!(user.user_type.as_deref(), Some("STANDARD"));
    assert_eq!(
        user.photos.as_ref().and_then(|p| p.thumbnail.as_deref()),
        Some("https://acme.file.force.com/profilephoto/729xx0000008Oz7/T")
    );
    assert!(user.urls.as_ref().unwrap().contains_key("rest"));
    assert_eq!(user.claims["address"], json!({"country": "US"}));
    assert_eq!(user.claims["is_app_installed"], json!(true));
    for token_claim in ["iss", "aud", "exp", "iat", "nonce", "at_hash"] {
        assert!(!user.claims.contains_key(token_claim), "{token_claim}");
    }

    let profile = session.profile();
    assert_eq!(profile.id, USER_ID);
    assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
    assert_eq!(profile.username.as_deref(), Some("jdoe@acme.com"));
    assert_eq!(profile.verified_email(), Some("jane.doe@acme.com"));
    assert_eq!(
        session.tokens.extra()["instance_url"],
        json!(server.url()),
        "Salesforce's extra token fields are kept"
    );
}

#[tokio::test]
async fn wrong_audience_issuer_and_nonce_each_fail_before_userinfo() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let body = userinfo(&server);
    let userinfo = mock_userinfo(&mut server, &body, 0).await;

    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["aud"] = json!("3MVG9another-connected-app")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Audience);

    // A token of the production login domain, for a client of the My Domain.
    let e = id_token_error(
        sign_in_with(&mut server, &Signer::rsa_1(), |c| {
            c["iss"] = json!("https://login.salesforce.com")
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Issuer {
            expected: server.url(),
            found: "https://login.salesforce.com".to_owned()
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
async fn userinfo_must_be_the_token_s_user_and_have_a_user_id() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;
    let mut other = userinfo(&server);
    other["sub"] = json!("https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000009ZZZZAAA");
    mock_userinfo(&mut server, &other, 1).await;
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_1(), |_| {}).await);
    assert_eq!(e, IdTokenError::SubjectMismatch);

    let mut no_user_id = userinfo(&server);
    no_user_id.as_object_mut().unwrap().remove("user_id");
    mock_userinfo(&mut server, &no_user_id, 1).await;
    let e = id_token_error(sign_in_with(&mut server, &Signer::rsa_1(), |_| {}).await);
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "user_id".to_owned()
        }
    );
}

#[test]
fn email_verified_is_salesforce_s_word() {
    let user = |verified: Value| {
        serde_json::from_value::<SalesforceUser>(json!({
            "sub": SUB, "user_id": USER_ID, "organization_id": ORG_ID,
            "email": "jane.doe@acme.com", "email_verified": verified,
            "photos": {"picture": "https://acme.file.force.com/profilephoto/F"},
        }))
    };
    for (value, verified) in [
        (json!(true), true),
        (json!("true"), true),
        (json!(false), false),
        (Value::Null, false),
    ] {
        let u = user(value.clone()).unwrap();
        assert_eq!(u.profile().email_verified, verified, "{value}");
        assert_eq!(u.verified_email().is_some(), verified);
    }
    assert!(user(json!("unknown")).is_err());
    // No `picture`: the photo.
    let u = user(json!(true)).unwrap();
    assert_eq!(
        u.profile().avatar_url.as_deref(),
        Some("https://acme.file.force.com/profilephoto/F")
    );
    let back: SalesforceUser = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
    assert_eq!(back, u);
}

#[tokio::test]
async fn refresh_keeps_the_refresh_token_and_revoke_is_rfc_7009() {
    let mut server = Server::new_async().await;
    let salesforce = client(&server);
    let body = json!({"access_token": "00Dxx0000001gPL!fresh", "signature": "c2ln",
                      "scope": "refresh_token openid id profile email", "instance_url": server.url(),
                      "id": SUB, "token_type": "Bearer", "issued_at": "1714644828000"});
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, SALESFORCE_JSON, body.to_string())
        .await;
    let tokens = salesforce
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "00Dxx0000001gPL!fresh");
    assert_eq!(tokens.refresh_token().unwrap().secret(), REFRESH_TOKEN);

    let form = [("token", ACCESS_TOKEN), ("token_type_hint", "access_token")];
    let revoke = expect::token_request(&mut server, "/services/oauth2/revoke", CREDENTIALS, &form)
        .reply_empty(200)
        .await;
    salesforce
        .revoke(AccessToken::new(ACCESS_TOKEN.to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;

    server
        .mock("POST", TOKEN_PATH)
        .with_status(400)
        .with_header("content-type", SALESFORCE_JSON)
        .with_body(
            r#"{"error":"invalid_grant","error_description":"expired access/refresh token"}"#,
        )
        .create_async()
        .await;
    let err = salesforce
        .refresh(&RefreshToken::new("expired".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(
        &err,
        Phase::Refresh,
        400,
        "invalid_grant",
        Some("expired access/refresh token"),
    );
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let salesforce = client(&server);
    let signer = Signer::rsa_1();
    let access_token = "00Dxx0000001gPL!fresh";
    // A refreshed ID token has no nonce (OpenID Connect Core 1.0 §12.2); its `at_hash`
    // is the new access token's.
    let mut fresh = claims(&server, "unused", &signer);
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash(access_token));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let refresh_with = async |server: &mut Server, id_token: &str| {
        let body = json!({"access_token": access_token, "signature": "c2ln",
                          "scope": "refresh_token openid id profile email", "id_token": id_token,
                          "instance_url": server.url(), "id": SUB, "token_type": "Bearer",
                          "issued_at": "1714644828000"});
        let mock = expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
            .reply(200, SALESFORCE_JSON, body.to_string())
            .await;
        let result = salesforce
            .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
            .await;
        mock.assert_async().await;
        result
    };

    let id_token = signer.sign(&fresh);
    let tokens = refresh_with(&mut server, &id_token).await.unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    let mut other_app = fresh.clone();
    other_app["aud"] = json!("3MVG9another-connected-app");
    let e = id_token_error(refresh_with(&mut server, &signer.sign(&other_app)).await);
    assert_eq!(e, IdTokenError::Audience);

    let mut someone_else = fresh.clone();
    someone_else["sub"] =
        json!("https://login.salesforce.com/id/00Dxx0000001gPLEAY/005xx000009ZZZZAAA");
    someone_else["preferred_username"] = json!("mallory@acme.com");
    someone_else["email"] = json!("mallory@acme.com");
    let e = id_token_error(refresh_with(&mut server, &tamper(&id_token, &someone_else)).await);
    assert_eq!(e, IdTokenError::Signature);
    jwks.assert_async().await;
}
