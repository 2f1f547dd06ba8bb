//! Microsoft Entra ID against a mock of its documented endpoints, with ID tokens signed
//! here: the exact requests, the multi-tenant issuer, and every way a token is refused.

use std::time::{Duration, SystemTime};

use mockito::{Mock, Server};
use portcullis::{
    AuthorizationUrl, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient, OAuthProvider,
    Phase, Provider, RefreshToken, USER_AGENT, Url,
};
use portcullis_azure_ad::{AzureAd, AzureAdUser, CONSUMER_TENANT_ID, Tenant};
use portcullis_oidc::{Clock, Jwks};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, now, tamper};
use portcullis_testkit::{callback_for, query_of, s256_challenge};
use serde_json::{Value, json};

const CLIENT_ID: &str = "6731de76-14a6-49ae-97bc-6eba6914391e";
const CLIENT_SECRET: &str = "qWgdYAmab0YSkuL1qKv5bPX~qbG.tvFaQd3kI-Z1";
const REDIRECT: &str = "http://localhost:3000/login/azure_ad/callback";
const CODE: &str = "0.AXoAv4j5cvGGr0GRqy180BHbR-the-code";
const ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6IkFRQUJBQUFBQUFEQ29NcGpKWHJ4VHE5Vkc5dGU";
const REFRESH_TOKEN: &str = "0.AXoAv4j5cvGGr0GRqy180BHbR2YXMaYUrklvl7zguAnpFLEbAAA.AgABAAEA-rt";
/// Contoso's tenant.
const TENANT: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
/// Another organization's tenant.
const FABRIKAM: &str = "d7a2c1b4-3e5f-4a69-8b7c-0e1f2a3b4c5d";
const SUB: &str = "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ";
const KID: &str = "nOo3ZDrODXEK1jKWhXslHR_KXEg";

type Client = OAuthClient<AzureAd, MemoryAdapter<String>>;

/// Entra ID takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// The content type Entra ID answers with.
const ENTRA_JSON: &str = "application/json; charset=utf-8";

fn config() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}

/// `azure` pointed at the mock: its endpoints rebased, its key set at the mock's path of
/// the tenant's key set (which `expect::client` does not move).
fn client(server: &Server, azure: AzureAd) -> Client {
    let keys = azure.key_set().url().path().to_owned();
    let azure = azure.jwks(Jwks::new(
        format!("{}{keys}", server.url()).parse().unwrap(),
    ));
    let endpoints = azure.endpoints().rebased(&server.url()).unwrap();
    OAuthClient::new(azure, config(), MemoryAdapter::new())
        .unwrap()
        .with_endpoints(endpoints)
}

fn azure(tenant: Tenant) -> AzureAd {
    AzureAd::new(tenant).unwrap()
}

/// The key set as Entra ID publishes it: no `alg`, plus `x5t` and `issuer`.
async fn mock_keys(server: &mut Server, path: &str, signer: &Signer, times: usize) -> Mock {
    let mut jwk = signer.jwk();
    let jwk_object = jwk.as_object_mut().unwrap();
    jwk_object.remove("alg");
    jwk_object.insert("x5t".to_owned(), json!(KID));
    jwk_object.insert(
        "issuer".to_owned(),
        json!("https://login.microsoftonline.com/{tenantid}/v2.0"),
    );
    server
        .mock("GET", path)
        .match_header("accept", "application/json")
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", ENTRA_JSON)
        .with_body(json!({ "keys": [jwk] }).to_string())
        .expect(times)
        .create_async()
        .await
}

/// ID token claims as Entra ID issues them (v2.0) for a user of `tid`.
fn id_claims(tid: &str, nonce: &str) -> Value {
    let now = now();
    json!({
        "aud": CLIENT_ID,
        "iss": format!("https://login.microsoftonline.com/{tid}/v2.0"),
        "iat": now,
        "nbf": now,
        "exp": now + 3600,
        "aio": "AWQAm/8TAAAAv6b7Lq9mDzGk2zjEZnOaPO0dkXGdS2h7r0L6u1F8",
        "email": "MeganB@contoso.com",
        "name": "Megan Bowen",
        "nonce": nonce,
        "oid": "00000000-0000-0000-66f3-3332eca7ea81",
        "preferred_username": "meganb@contoso.com",
        "rh": "0.AXoAv4j5cvGGr0GRqy180BHbR2YXMaYUrklvl7zguAnpFLEbAAA.",
        "roles": ["Reports.Reader"],
        "sid": "00a9f5e2-4b8c-0fa7-2f35-4a9d7e1c2b3a",
        "sub": SUB,
        "tid": tid,
        "uti": "fqiBqXLPj0eQa82S-IYFAA",
        "ver": "2.0",
        "xms_edov": true,
    })
}

/// A token response as Entra ID sends it, with this ID token.
fn token_response(id_token: &str) -> Value {
    json!({
        "token_type": "Bearer",
        "scope": "email openid profile https://graph.microsoft.com/User.Read",
        "expires_in": 4493,
        "ext_expires_in": 4493,
        "access_token": ACCESS_TOKEN,
        "id_token": id_token,
    })
}

/// The token endpoint of `tenant`, expecting exactly the code exchange of `auth`.
async fn mock_token(
    server: &mut Server,
    tenant: &str,
    auth: &AuthorizationUrl,
    body: &Value,
) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    let path = format!("/{tenant}/oauth2/v2.0/token");
    expect::token_request(server, &path, CREDENTIALS, &form)
        .reply(200, ENTRA_JSON, body.to_string())
        .await
}

/// Signs in through `azure` (tenant path `tenant`) with an ID token of `claims` (its
/// nonce set to the sign-in's unless `keep_nonce`).
async fn sign_in_with(
    server: &mut Server,
    entra: &Client,
    tenant: &str,
    mut claims: Value,
    keep_nonce: bool,
) -> Result<portcullis::ProviderSession<AzureAdUser, MemoryAdapter<String>>, Error> {
    let auth = entra.authorization_url();
    if !keep_nonce {
        claims["nonce"] = json!(auth.pending.nonce().unwrap());
    }
    let token = mock_token(
        server,
        tenant,
        &auth,
        &token_response(&Signer::rs256(KID).sign(&claims)),
    )
    .await;
    let result = entra
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await;
    token.assert_async().await;
    result
}

#[test]
fn endpoints_and_key_sets_follow_the_tenant() {
    for (tenant, path) in [
        (Tenant::Common, "common"),
        (Tenant::Organizations, "organizations"),
        (Tenant::Consumers, "consumers"),
        (Tenant::Id(TENANT.to_owned()), TENANT),
    ] {
        let azure = azure(tenant);
        let endpoints = azure.endpoints();
        assert_eq!(
            endpoints.authorization.as_str(),
            format!("https://login.microsoftonline.com/{path}/oauth2/v2.0/authorize")
        );
        assert_eq!(
            endpoints.token.as_str(),
            format!("https://login.microsoftonline.com/{path}/oauth2/v2.0/token")
        );
        assert_eq!(
            azure.key_set().url().as_str(),
            format!("https://login.microsoftonline.com/{path}/discovery/v2.0/keys")
        );
        assert_eq!(
            endpoints.revocation, None,
            "Entra ID has no RFC 7009 endpoint"
        );
        assert_eq!(endpoints.userinfo, None, "the user comes from the ID token");
        assert_eq!(
            endpoints.issuer, None,
            "Entra ID sends no `iss` on callbacks"
        );
        assert!(!endpoints.issuer_required);
    }
    assert_eq!(
        AzureAd::endpoints(&azure(Tenant::Common)),
        portcullis::Endpoints::from_info(&AzureAd::INFO),
        "INFO holds the `common` endpoints"
    );

    // A tenant ID in capitals is the same tenant; a domain or a typo is no tenant ID.
    let upper = azure(Tenant::Id(TENANT.to_uppercase()));
    assert_eq!(upper.tenant(), &Tenant::Id(TENANT.to_owned()));
    for bad in [
        "contoso.onmicrosoft.com",
        "72f988bf-86f1-41af-91ab-2d7cd011db4",
        "",
    ] {
        let err = AzureAd::new(Tenant::Id(bad.to_owned())).unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad}: {err:?}");
    }
}

#[test]
fn authorization_url_has_every_parameter() {
    let entra = OAuthClient::new(
        azure(Tenant::Organizations),
        config().scope("offline_access"),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    let auth = entra.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next().unwrap(),
        "https://login.microsoftonline.com/organizations/oauth2/v2.0/authorize"
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
    assert_eq!(
        Some(nonce.as_str()),
        auth.pending.nonce(),
        "the nonce is kept"
    );
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
            ("scope", "openid profile email offline_access"),
        ]
    );
    assert_eq!(auth.pending.provider(), "azure_ad");
}

#[tokio::test]
async fn a_work_account_signs_in_through_common_with_its_tenants_issuer() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    let keys = mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;

    let mut claims = id_claims(TENANT, "");
    claims["at_hash"] = json!(Signer::rs256(KID).at_hash(ACCESS_TOKEN));
    let session = sign_in_with(&mut server, &entra, "common", claims, false)
        .await
        .unwrap();
    keys.assert_async().await;

    let user = &session.provider_user;
    assert_eq!(user.sub, SUB);
    assert_eq!(user.tid, TENANT);
    assert!(!user.is_personal_account());
    assert_eq!(
        user.oid.as_deref(),
        Some("00000000-0000-0000-66f3-3332eca7ea81")
    );
    assert_eq!(
        user.preferred_username.as_deref(),
        Some("meganb@contoso.com")
    );
    assert_eq!(user.roles, ["Reports.Reader"]);
    assert_eq!(user.xms_edov, Some(true));
    assert_eq!(user.claims["ver"], "2.0");
    assert_eq!(
        user.claims["iss"],
        format!("https://login.microsoftonline.com/{TENANT}/v2.0")
    );
    assert!(
        !user.claims.contains_key("tid"),
        "typed claims are not repeated"
    );

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), format!("azure_ad:{SUB}"));
    let profile = session.profile();
    assert_eq!(profile.id, SUB);
    assert_eq!(profile.name.as_deref(), Some("Megan Bowen"));
    assert_eq!(profile.username.as_deref(), Some("meganb@contoso.com"));
    assert_eq!(profile.verified_email(), Some("MeganB@contoso.com"));
    assert_eq!(profile.avatar_url, None);

    let tokens = &session.tokens;
    assert_eq!(tokens.access_token().secret(), ACCESS_TOKEN);
    assert_eq!(tokens.expires_in(), Some(Duration::from_secs(4493)));
    assert!(
        tokens.refresh_token().is_none(),
        "no offline_access, no refresh token"
    );

    let round_trip: AzureAdUser =
        serde_json::from_value(serde_json::to_value(user).unwrap()).unwrap();
    assert_eq!(&round_trip, user);

    // A second sign-in, another tenant: the cached keys, the other tenant's issuer.
    let session = sign_in_with(
        &mut server,
        &entra,
        "common",
        id_claims(FABRIKAM, ""),
        false,
    )
    .await
    .unwrap();
    assert_eq!(session.provider_user.tid, FABRIKAM);
    keys.assert_async().await;
}

#[tokio::test]
async fn a_personal_account_signs_in_through_common_and_consumers_but_not_organizations() {
    let mut server = Server::new_async().await;
    let signer = Signer::rs256(KID);
    let mut personal = id_claims(CONSUMER_TENANT_ID, "");
    personal["email"] = json!("megan@outlook.com");
    personal["preferred_username"] = json!("megan@outlook.com");
    personal.as_object_mut().unwrap().remove("xms_edov");

    for (tenant, path) in [(Tenant::Common, "common"), (Tenant::Consumers, "consumers")] {
        let entra = client(&server, azure(tenant));
        mock_keys(
            &mut server,
            &format!("/{path}/discovery/v2.0/keys"),
            &signer,
            1,
        )
        .await;
        let session = sign_in_with(&mut server, &entra, path, personal.clone(), false)
            .await
            .unwrap();
        assert!(session.provider_user.is_personal_account());
        assert_eq!(
            session.profile().email.as_deref(),
            Some("megan@outlook.com")
        );
        assert!(
            !session.profile().email_verified,
            "no xms_edov, no verified email"
        );
    }

    let entra = client(&server, azure(Tenant::Organizations));
    let keys = mock_keys(
        &mut server,
        "/organizations/discovery/v2.0/keys",
        &signer,
        0,
    )
    .await;
    let err =
        id_token_error(sign_in_with(&mut server, &entra, "organizations", personal, false).await);
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected:
                "https://login.microsoftonline.com/{tenantid}/v2.0 of a work or school tenant"
                    .to_owned(),
            found: format!("https://login.microsoftonline.com/{CONSUMER_TENANT_ID}/v2.0"),
        }
    );
    keys.assert_async().await;

    // And `consumers` takes no work account.
    let entra = client(&server, azure(Tenant::Consumers));
    let err = id_token_error(
        sign_in_with(
            &mut server,
            &entra,
            "consumers",
            id_claims(TENANT, ""),
            false,
        )
        .await,
    );
    assert!(matches!(err, IdTokenError::Issuer { .. }), "{err:?}");
}

#[tokio::test]
async fn the_issuer_must_be_the_template_filled_with_the_tokens_own_tid() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;

    // `tid` says Contoso, `iss` says Fabrikam: whichever the attacker controls, no.
    let mut claims = id_claims(TENANT, "");
    claims["iss"] = json!(format!("https://login.microsoftonline.com/{FABRIKAM}/v2.0"));
    let err = id_token_error(sign_in_with(&mut server, &entra, "common", claims, false).await);
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            found: format!("https://login.microsoftonline.com/{FABRIKAM}/v2.0"),
        }
    );

    // The template itself, another host, the v1.0 issuer: all refused.
    for iss in [
        "https://login.microsoftonline.com/{tenantid}/v2.0".to_owned(),
        format!("https://evil.example/{TENANT}/v2.0"),
        format!("https://sts.windows.net/{TENANT}/"),
    ] {
        let mut claims = id_claims(TENANT, "");
        claims["iss"] = json!(iss);
        let err = id_token_error(sign_in_with(&mut server, &entra, "common", claims, false).await);
        assert!(matches!(err, IdTokenError::Issuer { .. }), "{iss}: {err:?}");
    }

    // No `tid`, or one that is not a GUID: nothing to fill the template with.
    for tid in [Value::Null, json!("contoso.onmicrosoft.com"), json!(7)] {
        let mut claims = id_claims(TENANT, "");
        if tid.is_null() {
            claims.as_object_mut().unwrap().remove("tid");
        } else {
            claims["tid"] = tid.clone();
        }
        let err = id_token_error(sign_in_with(&mut server, &entra, "common", claims, false).await);
        assert_eq!(
            err,
            IdTokenError::Claim {
                claim: "tid".to_owned()
            },
            "{tid}"
        );
    }
}

#[tokio::test]
async fn one_tenant_accepts_only_its_own_tokens() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Id(TENANT.to_owned())));
    mock_keys(
        &mut server,
        &format!("/{TENANT}/discovery/v2.0/keys"),
        &Signer::rs256(KID),
        1,
    )
    .await;

    let session = sign_in_with(&mut server, &entra, TENANT, id_claims(TENANT, ""), false)
        .await
        .unwrap();
    assert_eq!(session.provider_user.tid, TENANT);

    let err = id_token_error(
        sign_in_with(&mut server, &entra, TENANT, id_claims(FABRIKAM, ""), false).await,
    );
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: format!("https://login.microsoftonline.com/{TENANT}/v2.0"),
            found: format!("https://login.microsoftonline.com/{FABRIKAM}/v2.0"),
        }
    );
}

#[tokio::test]
async fn allowed_tenants_restrict_a_multi_tenant_app() {
    let mut server = Server::new_async().await;
    let entra = client(
        &server,
        azure(Tenant::Common)
            .allowed_tenants([TENANT.to_uppercase(), CONSUMER_TENANT_ID.to_owned()]),
    );
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;

    for tid in [TENANT, CONSUMER_TENANT_ID] {
        let session = sign_in_with(&mut server, &entra, "common", id_claims(tid, ""), false)
            .await
            .unwrap();
        assert_eq!(session.provider_user.tid, tid);
    }
    let err = id_token_error(
        sign_in_with(
            &mut server,
            &entra,
            "common",
            id_claims(FABRIKAM, ""),
            false,
        )
        .await,
    );
    assert_eq!(
        err,
        IdTokenError::Issuer {
            expected: format!(
                "https://login.microsoftonline.com/{{tenantid}}/v2.0 with {{tenantid}} one of [{TENANT}, {CONSUMER_TENANT_ID}]"
            ),
            found: format!("https://login.microsoftonline.com/{FABRIKAM}/v2.0"),
        }
    );
    assert_eq!(entra.adapter().user_count(), 0);
}

#[tokio::test]
async fn a_token_for_another_app_or_sign_in_or_forged_is_refused() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;

    let mut other_app = id_claims(TENANT, "");
    other_app["aud"] = json!("b1e6a4f0-55d2-4c8e-9d1a-7f3e2c1b0a99");
    let err = id_token_error(sign_in_with(&mut server, &entra, "common", other_app, false).await);
    assert_eq!(err, IdTokenError::Audience);

    let other_sign_in = id_claims(TENANT, "a-nonce-of-another-sign-in");
    let err =
        id_token_error(sign_in_with(&mut server, &entra, "common", other_sign_in, true).await);
    assert_eq!(err, IdTokenError::Nonce);

    let mut expired = id_claims(TENANT, "");
    expired["iat"] = json!(now() - 7200);
    expired["exp"] = json!(now() - 3600);
    let err = id_token_error(sign_in_with(&mut server, &entra, "common", expired, false).await);
    assert_eq!(err, IdTokenError::Expired);

    let mut wrong_hash = id_claims(TENANT, "");
    wrong_hash["at_hash"] = json!(Signer::rs256(KID).at_hash("another access token"));
    let err = id_token_error(sign_in_with(&mut server, &entra, "common", wrong_hash, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );

    // Signed claims with another `sub` pasted in: the signature no longer matches.
    let auth = entra.authorization_url();
    let mut claims = id_claims(TENANT, auth.pending.nonce().unwrap());
    let signed = Signer::rs256(KID).sign(&claims);
    claims["sub"] = json!("AAAAAAAAAAAAAAAAAAAAAsomebody-else");
    mock_token(
        &mut server,
        "common",
        &auth,
        &token_response(&tamper(&signed, &claims)),
    )
    .await;
    let err = id_token_error(
        entra
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Signature);
    assert_eq!(entra.adapter().user_count(), 0);
}

#[tokio::test]
async fn the_token_is_checked_against_the_clock_given() {
    let mut server = Server::new_async().await;
    let later = SystemTime::now() + Duration::from_secs(3 * 3600);
    let entra = client(
        &server,
        azure(Tenant::Common).clock(Clock::from_fn(move || later)),
    );
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;
    let err = id_token_error(
        sign_in_with(&mut server, &entra, "common", id_claims(TENANT, ""), false).await,
    );
    assert_eq!(
        err,
        IdTokenError::Expired,
        "valid an hour, checked three hours later"
    );
}

#[tokio::test]
async fn no_id_token_or_no_nonce_is_no_sign_in() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    let keys = mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        0,
    )
    .await;

    // `openid` is always requested, so Entra ID always issues an ID token.
    let auth = entra.authorization_url();
    let mut body = token_response("");
    body.as_object_mut().unwrap().remove("id_token");
    mock_token(&mut server, "common", &auth, &body).await;
    let err = id_token_error(
        entra
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await,
    );
    assert_eq!(err, IdTokenError::Missing);

    // `validate_code` without the sign-in's nonce: the token proves nothing.
    server
        .mock("POST", "/common/oauth2/v2.0/token")
        .with_header("content-type", "application/json")
        .with_body(token_response(&Signer::rs256(KID).sign(&id_claims(TENANT, "n"))).to_string())
        .create_async()
        .await;
    let err = id_token_error(entra.validate_code(CODE, Some("verifier"), None).await);
    assert_eq!(err, IdTokenError::Nonce);
    keys.assert_async().await;
}

#[tokio::test]
async fn email_is_verified_only_by_xms_edov() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;

    for (xms_edov, verified) in [
        (Some(json!(true)), true),
        (Some(json!("true")), true),
        (Some(json!("True")), true),
        (Some(json!(false)), false),
        (Some(json!("false")), false),
        (None, false),
    ] {
        let mut claims = id_claims(TENANT, "");
        match &xms_edov {
            Some(value) => claims["xms_edov"] = value.clone(),
            None => {
                claims.as_object_mut().unwrap().remove("xms_edov");
            }
        }
        // Entra ID never sends `email_verified`; one that shows up is not read.
        claims["email_verified"] = json!(true);
        let session = sign_in_with(&mut server, &entra, "common", claims, false)
            .await
            .unwrap();
        assert_eq!(session.profile().email_verified, verified, "{xms_edov:?}");
        assert_eq!(
            session.profile().verified_email().is_some(),
            verified,
            "{xms_edov:?}"
        );
    }

    // A value that is no verdict fails the sign-in rather than being guessed at.
    let mut claims = id_claims(TENANT, "");
    claims["xms_edov"] = json!("yes");
    let err = id_token_error(sign_in_with(&mut server, &entra, "common", claims, false).await);
    assert_eq!(
        err,
        IdTokenError::Claim {
            claim: "xms_edov".to_owned()
        }
    );
}

#[tokio::test]
async fn the_name_falls_back_to_the_optional_name_claims() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;
    let mut claims = id_claims(TENANT, "");
    let object = claims.as_object_mut().unwrap();
    for name in ["name", "preferred_username", "email", "oid", "roles"] {
        object.remove(name);
    }
    object.insert("given_name".to_owned(), json!("Megan"));
    object.insert("family_name".to_owned(), json!("Bowen"));
    let session = sign_in_with(&mut server, &entra, "common", claims, false)
        .await
        .unwrap();
    let profile = session.profile();
    assert_eq!(profile.name.as_deref(), Some("Megan Bowen"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.email, None);
    assert!(
        !profile.email_verified,
        "xms_edov without an address verifies nothing"
    );
    assert!(session.provider_user.roles.is_empty());
}

/// The access token of a refresh response.
const REFRESHED_ACCESS_TOKEN: &str = "eyJ0eXAiOiJKV1QiLCJub25jZSI6-refreshed";

/// The claims of the ID token of a refresh for a user of `tid`: a sign-in's, without
/// `nonce` (OpenID Connect Core 1.0 §12.2), with the `at_hash` of the new access token.
fn refreshed_claims(tid: &str) -> Value {
    let mut claims = id_claims(tid, "");
    claims.as_object_mut().unwrap().remove("nonce");
    claims["at_hash"] = json!(Signer::rs256(KID).at_hash(REFRESHED_ACCESS_TOKEN));
    claims
}

/// The `common` token endpoint answering the next refresh, once, with a new access
/// token, a rotated refresh token and `id_token`.
async fn answer_refresh(server: &mut Server, id_token: &str) -> Mock {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", REFRESH_TOKEN),
    ];
    let path = "/common/oauth2/v2.0/token";
    let body = json!({
        "token_type": "Bearer",
        "scope": "email openid profile offline_access https://graph.microsoft.com/User.Read",
        "expires_in": 3599,
        "ext_expires_in": 3599,
        "access_token": REFRESHED_ACCESS_TOKEN,
        "refresh_token": "0.AXoAv4j5cvGGr0GRqy180BHbR-rotated",
        "id_token": id_token,
    });
    expect::token_request(server, path, CREDENTIALS, &form)
        .reply(200, ENTRA_JSON, body.to_string())
        .await
}

#[tokio::test]
async fn refresh_sends_the_secret_in_the_body_and_takes_the_new_refresh_token() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    let keys = mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;
    let mock = answer_refresh(
        &mut server,
        &Signer::rs256(KID).sign(&refreshed_claims(TENANT)),
    )
    .await;
    let tokens = entra
        .refresh(&RefreshToken::new(REFRESH_TOKEN.to_owned()))
        .await
        .unwrap();
    mock.assert_async().await;
    keys.assert_async().await;
    assert_eq!(
        tokens.access_token().secret(),
        "eyJ0eXAiOiJKV1QiLCJub25jZSI6-refreshed"
    );
    assert_eq!(
        tokens.refresh_token().unwrap().secret(),
        "0.AXoAv4j5cvGGr0GRqy180BHbR-rotated",
        "Entra ID rotates refresh tokens: the new one is kept"
    );
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common).allowed_tenants([TENANT]));
    let keys = mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        1,
    )
    .await;
    let refresh_token = RefreshToken::new(REFRESH_TOKEN.to_owned());

    let id_token = Signer::rs256(KID).sign(&refreshed_claims(TENANT));
    let mock = answer_refresh(&mut server, &id_token).await;
    let tokens = entra.refresh(&refresh_token).await.unwrap();
    mock.assert_async().await;
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each would fail a sign-in, and fails the refresh: no tokens are returned. The
    // tenant policy holds too: a token of a tenant not allowed to sign in is refused.
    let mut other_app = refreshed_claims(TENANT);
    other_app["aud"] = json!("b1e6a4f0-55d2-4c8e-9d1a-7f3e2c1b0a99");
    let mut old_access_token = refreshed_claims(TENANT);
    old_access_token["at_hash"] = json!(Signer::rs256(KID).at_hash(ACCESS_TOKEN));
    let mut someone_else = refreshed_claims(TENANT);
    someone_else["sub"] = json!("AAAAAAAAAAAAAAAAAAAAAsomebody-else");
    someone_else["oid"] = json!("00000000-0000-0000-1234-56789abcdef0");
    for (forged, expected) in [
        (Signer::rs256(KID).sign(&other_app), IdTokenError::Audience),
        (
            Signer::rs256(KID).sign(&old_access_token),
            IdTokenError::Claim {
                claim: "at_hash".to_owned(),
            },
        ),
        (
            Signer::rs256(KID).sign(&refreshed_claims(FABRIKAM)),
            IdTokenError::Issuer {
                expected: format!(
                    "https://login.microsoftonline.com/{{tenantid}}/v2.0 with {{tenantid}} one of [{TENANT}]"
                ),
                found: format!("https://login.microsoftonline.com/{FABRIKAM}/v2.0"),
            },
        ),
        (tamper(&id_token, &someone_else), IdTokenError::Signature),
    ] {
        let mock = answer_refresh(&mut server, &forged).await;
        assert_eq!(
            id_token_error(entra.refresh(&refresh_token).await),
            expected
        );
        mock.assert_async().await;
    }
    // The tenant's keys are cached.
    keys.assert_async().await;
}

#[tokio::test]
async fn token_errors_are_oauth_errors_and_no_keys_are_fetched() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    let keys = mock_keys(
        &mut server,
        "/common/discovery/v2.0/keys",
        &Signer::rs256(KID),
        0,
    )
    .await;
    let auth = entra.authorization_url();
    server
        .mock("POST", "/common/oauth2/v2.0/token")
        .with_status(400)
        .with_header("content-type", ENTRA_JSON)
        .with_body(
            json!({
                "error": "invalid_grant",
                "error_description": "AADSTS70008: The provided authorization code or refresh token has expired due to inactivity. Send a new interactive authorization request for this user and resource.\r\nTrace ID: 0000aaaa-11bb-cccc-dd22-eeeeee333333\r\nCorrelation ID: aaaa0000-bb11-2222-33cc-444444dddddd\r\nTimestamp: 2026-01-09 02:02:12Z",
                "error_codes": [70008],
                "timestamp": "2026-01-09 02:02:12Z",
                "trace_id": "0000aaaa-11bb-cccc-dd22-eeeeee333333",
                "correlation_id": "aaaa0000-bb11-2222-33cc-444444dddddd"
            })
            .to_string(),
        )
        .expect(1)
        .create_async()
        .await;
    let err = entra
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    let request =
        expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert!(
        request
            .oauth_error()
            .unwrap()
            .description
            .as_deref()
            .unwrap()
            .starts_with("AADSTS70008")
    );
    keys.assert_async().await;
}

#[tokio::test]
async fn an_unreachable_key_set_is_a_jwks_request_error() {
    let mut server = Server::new_async().await;
    let entra = client(&server, azure(Tenant::Common));
    server
        .mock("GET", "/common/discovery/v2.0/keys")
        .with_status(503)
        .with_header("content-type", "text/html")
        .with_body("<html>Service Unavailable</html>")
        .create_async()
        .await;
    let err = sign_in_with(&mut server, &entra, "common", id_claims(TENANT, ""), false)
        .await
        .unwrap_err();
    expect::assert_unexpected_response(&err, Phase::Jwks, 503, "text/html", "Service Unavailable");
    assert!(!err.is_retryable(), "the code is spent");
}

#[test]
fn debug_output_holds_no_secret() {
    let entra = OAuthClient::new(
        azure(Tenant::Common),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&entra, CLIENT_SECRET);
}

#[test]
fn the_issuer_template_and_consumer_tenant_are_microsofts() {
    assert_eq!(
        portcullis_azure_ad::ISSUER_TEMPLATE,
        "https://login.microsoftonline.com/{tenantid}/v2.0"
    );
    assert_eq!(CONSUMER_TENANT_ID, "9188040d-6c67-4c5b-b112-36a304b66dad");
    let _: Url = AzureAd::INFO.docs_url.parse().unwrap();
}
