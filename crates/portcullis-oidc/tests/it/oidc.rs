//! The generic provider against a mock issuer: discovery, the exact requests of a
//! sign-in with each client authentication method, userinfo, refresh, revocation and
//! logout.

use crate::common::{CLIENT_ID, CLIENT_SECRET, MockIssuer, REDIRECT, claims};
use mockito::Matcher;
use portcullis::{
    CallbackError, CallbackParams, ClientAuth, ClientConfig, Error, HttpClient, IdTokenError,
    MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider, RefreshToken, RequestErrorKind,
    USER_AGENT,
};
use portcullis_oidc::{Algorithm, LogoutRequest, Oidc, OidcMetadata, OidcOptions, OidcUser};
use portcullis_testkit::jwt::{Signer, id_token_error, jwks, tamper, unix};
use portcullis_testkit::{basic_auth, callback_for, form_is, query_of, s256_challenge};
use serde_json::{Value, json};
use std::time::SystemTime;

const ACCESS_TOKEN: &str = "SlAV32hkKG";

type Client = OAuthClient<Oidc, MemoryAdapter<String>>;

/// The callback a server advertising RFC 9207 sends: `code`, `state` and `iss`.
fn with_iss(auth: &portcullis::AuthorizationUrl, code: &str, issuer: &str) -> CallbackParams {
    let state = callback_for(auth, code)
        .state()
        .unwrap_or_default()
        .to_owned();
    CallbackParams::from_pairs([("code", code), ("state", state.as_str()), ("iss", issuer)])
        .unwrap()
}

async fn discover(issuer: &mut MockIssuer, document: &Value, options: OidcOptions) -> Oidc {
    let mock = issuer.mock_discovery(document).await;
    let oidc = Oidc::discover(&issuer.issuer(), &HttpClient::new(), options)
        .await
        .unwrap();
    mock.assert_async().await;
    oidc
}

fn client(oidc: Oidc, config: ClientConfig) -> Client {
    OAuthClient::new(oidc, config, MemoryAdapter::new()).unwrap()
}

fn confidential() -> ClientConfig {
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET)
        .redirect_uri(REDIRECT.parse().unwrap())
        .scopes(["profile", "email"])
}

/// The token endpoint, expecting exactly `form` and `authorization` (or no header).
async fn mock_token(
    issuer: &mut MockIssuer,
    authorization: Option<String>,
    form: &[(&str, &str)],
    body: &Value,
) -> mockito::Mock {
    issuer
        .server
        .mock("POST", "/token")
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_header("accept", "application/json")
        .match_header("user-agent", USER_AGENT)
        .match_header(
            "authorization",
            authorization.map_or(Matcher::Missing, Matcher::Exact),
        )
        .match_request(form_is(form))
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
        .expect(1)
        .create_async()
        .await
}

async fn mock_userinfo(issuer: &mut MockIssuer, body: &Value) -> mockito::Mock {
    issuer
        .server
        .mock("GET", "/me")
        .match_header("authorization", format!("Bearer {ACCESS_TOKEN}").as_str())
        .match_header("user-agent", USER_AGENT)
        .with_header("content-type", "application/json; charset=utf-8")
        .with_body(body.to_string())
        .expect(1)
        .create_async()
        .await
}

/// A token response like `oidc-provider`'s with `conformIdTokenClaims`: the ID token has
/// only `sub` and protocol claims, bound to the access token with `at_hash`.
fn token_response(issuer: &MockIssuer, signer: &Signer, nonce: &str) -> Value {
    let mut id_claims = claims(&issuer.issuer(), nonce);
    id_claims["at_hash"] = json!(signer.at_hash(ACCESS_TOKEN));
    json!({
        "access_token": ACCESS_TOKEN,
        "expires_in": 3600,
        "id_token": signer.sign(&id_claims),
        "refresh_token": "8xLOxBtZp8",
        "scope": "openid profile email",
        "token_type": "Bearer",
    })
}

fn userinfo() -> Value {
    json!({
        "sub": "248289761001",
        "name": "Jane Doe",
        "given_name": "Jane",
        "family_name": "Doe",
        "preferred_username": "j.doe",
        "email": "janedoe@example.com",
        "email_verified": true,
        "picture": "http://example.com/janedoe/me.jpg",
    })
}

#[tokio::test]
async fn discovery_reads_the_issuers_document() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;

    assert_eq!(oidc.issuer(), issuer.issuer());
    let endpoints = oidc.endpoints();
    assert_eq!(endpoints.authorization.as_str(), issuer.url("/auth"));
    assert_eq!(endpoints.token.as_str(), issuer.url("/token"));
    assert_eq!(endpoints.userinfo.unwrap().as_str(), issuer.url("/me"));
    assert_eq!(
        endpoints.revocation.unwrap().as_str(),
        issuer.url("/token/revocation")
    );
    assert_eq!(
        endpoints.issuer.as_deref(),
        Some(issuer.issuer().as_str()),
        "iss is checked: the issuer advertises RFC 9207"
    );
    assert!(
        endpoints.issuer_required,
        "and a callback without iss is refused"
    );
    assert_eq!(oidc.client_auth(), ClientAuth::Basic);
    assert_eq!(
        oidc.verifier().allowed_algorithms(),
        [Algorithm::Rs256, Algorithm::EdDsa],
        "the advertised algorithms, without HS256 and none"
    );
    assert_eq!(oidc.verifier().jwks().url().as_str(), issuer.url("/jwks"));
    assert_eq!(oidc.metadata().other["claims_supported"][0], "sub");
}

#[tokio::test]
async fn discovery_follows_what_the_issuer_advertises() {
    let mut issuer = MockIssuer::start().await;
    let mut document = issuer.discovery_document();
    let doc = document.as_object_mut().unwrap();
    doc.remove("authorization_response_iss_parameter_supported");
    doc.remove("revocation_endpoint");
    doc.remove("id_token_signing_alg_values_supported");
    doc["token_endpoint_auth_methods_supported"] = json!(["client_secret_post"]);
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;

    let endpoints = oidc.endpoints();
    assert_eq!(endpoints.issuer, None, "no RFC 9207: no iss check");
    assert!(!endpoints.issuer_required);
    assert_eq!(endpoints.revocation, None);
    assert_eq!(oidc.client_auth(), ClientAuth::RequestBody);
    assert_eq!(oidc.verifier().allowed_algorithms(), [Algorithm::Rs256]);

    // The app's choice wins.
    let explicit = Oidc::from_metadata(
        oidc.metadata().clone(),
        OidcOptions::new()
            .client_auth(ClientAuth::Basic)
            .algorithms([Algorithm::Es256]),
    )
    .unwrap();
    assert_eq!(explicit.client_auth(), ClientAuth::Basic);
    assert_eq!(explicit.verifier().allowed_algorithms(), [Algorithm::Es256]);
}

#[tokio::test]
async fn discovery_refuses_a_document_naming_another_issuer() {
    let mut issuer = MockIssuer::start().await;
    for named in [
        "https://evil.example".to_owned(),
        format!("{}/", issuer.issuer()),
    ] {
        let mut document = issuer.discovery_document();
        document["issuer"] = json!(named);
        let mock = issuer.mock_discovery(&document).await;
        let err = Oidc::discover(&issuer.issuer(), &HttpClient::new(), OidcOptions::new())
            .await
            .unwrap_err();
        mock.assert_async().await;
        mock.remove_async().await;
        assert!(
            matches!(&err, Error::Config(m) if m.contains(&named)),
            "{err}"
        );
    }

    // The issuer as given, trailing slash included, is what must match.
    let slashed = format!("{}/", issuer.issuer());
    let mut document = issuer.discovery_document();
    document["issuer"] = json!(slashed);
    let _mock = issuer.mock_discovery(&document).await;
    let oidc = Oidc::discover(&slashed, &HttpClient::new(), OidcOptions::new())
        .await
        .unwrap();
    assert_eq!(oidc.issuer(), slashed);
}

#[tokio::test]
async fn discovery_failures_are_typed() {
    let mut issuer = MockIssuer::start().await;
    let mut document = issuer.discovery_document();
    document.as_object_mut().unwrap().remove("jwks_uri");
    let _mock = issuer.mock_discovery(&document).await;
    match Oidc::discover(&issuer.issuer(), &HttpClient::new(), OidcOptions::new()).await {
        Err(Error::Request(e)) => {
            assert_eq!(e.phase(), Phase::Discovery);
            assert!(
                matches!(e.kind(), RequestErrorKind::InvalidResponse { field: Some(f), .. } if f == "jwks_uri"),
                "{e}"
            );
        }
        other => panic!("{other:?}"),
    }

    for bad in [
        "ftp://id.example",
        "https://id.example?tenant=1",
        "not a url",
    ] {
        let err = Oidc::discover(bad, &HttpClient::new(), OidcOptions::new())
            .await
            .unwrap_err();
        assert!(matches!(err, Error::Config(_)), "{bad}: {err}");
    }

    let only_hmac = {
        let mut m = OidcMetadata::new(
            "https://id.example",
            "https://id.example/a".parse().unwrap(),
            "https://id.example/t".parse().unwrap(),
            "https://id.example/j".parse().unwrap(),
        );
        m.id_token_signing_alg_values_supported = vec!["HS256".into()];
        m
    };
    let err = Oidc::from_metadata(only_hmac.clone(), OidcOptions::new()).unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err}");
    let err = Oidc::from_metadata(
        only_hmac.clone(),
        OidcOptions::new().algorithms([Algorithm::Hs256]),
    )
    .unwrap_err();
    assert!(
        matches!(&err, Error::Config(m) if m.contains("hmac_secret")),
        "{err}"
    );
    Oidc::from_metadata(
        only_hmac,
        OidcOptions::new()
            .algorithms([Algorithm::Hs256])
            .hmac_secret(CLIENT_SECRET),
    )
    .unwrap();
}

#[tokio::test]
async fn the_authorization_url_has_pkce_nonce_and_openid() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let auth = client(oidc, confidential()).authorization_url();

    assert_eq!(
        auth.url.as_str().split('?').next().unwrap(),
        issuer.url("/auth")
    );
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").unwrap(), auth.pending.state());
    assert_eq!(query.remove("nonce").as_deref(), auth.pending.nonce());
    assert_eq!(
        query.remove("code_challenge").unwrap(),
        s256_challenge(auth.pending.code_verifier().unwrap())
    );
    let rest: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        rest,
        [
            ("client_id", CLIENT_ID),
            ("code_challenge_method", "S256"),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email"),
        ]
    );
    assert_eq!(auth.pending.provider(), "oidc");
}

/// A whole sign-in with each client authentication method: the exact token request,
/// the key set fetched once, the ID token verified, userinfo merged in.
#[tokio::test]
async fn sign_in_with_each_client_authentication_method() {
    /// Which method, the client, what it is told, and what the token request carries:
    /// the `Authorization` header and the client fields of the form.
    type Case = (
        &'static str,
        ClientConfig,
        ClientAuth,
        Option<String>,
        &'static [(&'static str, &'static str)],
    );
    let cases: [Case; 3] = [
        (
            "client_secret_basic",
            confidential(),
            ClientAuth::Basic,
            Some(basic_auth(CLIENT_ID, CLIENT_SECRET)),
            &[],
        ),
        (
            "client_secret_post",
            confidential(),
            ClientAuth::RequestBody,
            None,
            &[("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
        ),
        (
            "none (public client)",
            ClientConfig::public(CLIENT_ID)
                .redirect_uri(REDIRECT.parse().unwrap())
                .scopes(["profile", "email"]),
            ClientAuth::Basic,
            None,
            &[("client_id", CLIENT_ID)],
        ),
    ];
    for (method, config, client_auth, authorization, auth_fields) in cases {
        let mut issuer = MockIssuer::start().await;
        let document = issuer.discovery_document();
        let oidc = discover(
            &mut issuer,
            &document,
            OidcOptions::new().client_auth(client_auth),
        )
        .await;
        let idp = client(oidc, config).with_id("acme");
        let auth = idp.authorization_url();
        let verifier = auth.pending.code_verifier().unwrap().to_owned();
        let signer = Signer::rsa_1();

        let mut form = vec![
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("code_verifier", verifier.as_str()),
            ("redirect_uri", REDIRECT),
        ];
        form.extend_from_slice(auth_fields);
        let body = token_response(&issuer, &signer, auth.pending.nonce().unwrap());
        let token = mock_token(&mut issuer, authorization, &form, &body).await;
        let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 1).await;
        let me = mock_userinfo(&mut issuer, &userinfo()).await;

        let params = CallbackParams::from_query(&format!(
            "code=the-code&state={}&iss={}",
            auth.pending.state(),
            issuer.issuer()
        ))
        .unwrap();
        let session = idp.validate_callback(&params, &auth.pending).await.unwrap();
        token.assert_async().await;
        jwks_mock.assert_async().await;
        me.assert_async().await;

        let user: &OidcUser = &session.provider_user;
        assert_eq!(session.key().to_string(), "acme:248289761001", "{method}");
        assert_eq!(user.sub, "248289761001");
        assert_eq!(
            user.issuer(),
            Some(issuer.issuer().as_str()),
            "from the ID token"
        );
        assert_eq!(
            user.preferred_username.as_deref(),
            Some("j.doe"),
            "from userinfo"
        );
        assert!(user.claims.contains_key("auth_time"));
        let profile = session.profile();
        assert_eq!(profile.name.as_deref(), Some("Jane Doe"));
        assert_eq!(profile.verified_email(), Some("janedoe@example.com"));
        assert_eq!(
            profile.avatar_url.as_deref(),
            Some("http://example.com/janedoe/me.jpg")
        );
        assert!(session.existing_user.is_none());
        assert_eq!(
            session.tokens.refresh_token().unwrap().secret(),
            "8xLOxBtZp8"
        );
    }
}

/// Sign-in up to the token response, then `check` the outcome.
async fn sign_in_with(
    body: impl FnOnce(&MockIssuer, &str) -> Value,
    userinfo_body: Option<Value>,
    options: OidcOptions,
) -> Result<portcullis::ProviderSession<OidcUser, MemoryAdapter<String>>, Error> {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, options).await;
    let idp = client(oidc, confidential());
    let auth = idp.authorization_url();
    let signer = Signer::rsa_1();
    let _token = issuer
        .server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(body(&issuer, auth.pending.nonce().unwrap()).to_string())
        .expect(1)
        .create_async()
        .await;
    let _jwks = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let me = match &userinfo_body {
        Some(body) => mock_userinfo(&mut issuer, body).await,
        None => {
            issuer
                .server
                .mock("GET", "/me")
                .expect(0)
                .create_async()
                .await
        }
    };
    let result = idp
        .validate_callback(
            &with_iss(&auth, "the-code", &issuer.issuer()),
            &auth.pending,
        )
        .await;
    me.assert_async().await;
    result
}

#[tokio::test]
async fn userinfo_for_another_subject_is_refused() {
    let mut other = userinfo();
    other["sub"] = json!("someone-else");
    let err = sign_in_with(
        |issuer, nonce| token_response(issuer, &Signer::rsa_1(), nonce),
        Some(other),
        OidcOptions::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::SubjectMismatch)),
        "{err:?}"
    );

    let mut anonymous = userinfo();
    anonymous.as_object_mut().unwrap().remove("sub");
    let err = sign_in_with(
        |issuer, nonce| token_response(issuer, &Signer::rsa_1(), nonce),
        Some(anonymous),
        OidcOptions::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::SubjectMismatch)),
        "{err:?}"
    );
}

#[tokio::test]
async fn userinfo_wins_over_the_id_token_except_for_protocol_claims() {
    let token_with_profile = |issuer: &MockIssuer, nonce: &str| {
        let signer = Signer::rsa_1();
        let mut id = claims(&issuer.issuer(), nonce);
        id["email"] = json!("old@example.com");
        id["email_verified"] = json!(true);
        id["name"] = json!("Old Name");
        json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": signer.sign(&id)})
    };
    let ui = json!({
        "sub": "248289761001", "email": "new@example.com", "email_verified": "false",
        "iss": "https://evil.example", "nonce": "x",
    });
    let session = sign_in_with(token_with_profile, Some(ui), OidcOptions::new())
        .await
        .unwrap();
    let user = &session.provider_user;
    assert_eq!(user.email.as_deref(), Some("new@example.com"));
    assert_eq!(user.email_verified, Some(false), "\"false\" as a string");
    assert_eq!(
        user.name.as_deref(),
        Some("Old Name"),
        "kept from the ID token"
    );
    assert_ne!(user.issuer(), Some("https://evil.example"));
    assert_eq!(session.profile().verified_email(), None);

    // Without userinfo, the ID token's claims alone.
    let session = sign_in_with(token_with_profile, None, OidcOptions::new().userinfo(false))
        .await
        .unwrap();
    assert_eq!(session.profile().verified_email(), Some("old@example.com"));
}

#[tokio::test]
async fn a_token_response_without_id_token_or_a_sign_in_without_nonce_is_refused() {
    let err = sign_in_with(
        |_, _| json!({"access_token": ACCESS_TOKEN, "token_type": "Bearer"}),
        None,
        OidcOptions::new(),
    )
    .await
    .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::Missing)),
        "{err:?}"
    );

    // `validate_code` without the nonce: nothing binds the ID token to this sign-in.
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let idp = client(oidc, confidential());
    let body = token_response(&issuer, &Signer::rsa_1(), "n");
    let _token = issuer
        .server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(body.to_string())
        .create_async()
        .await;
    let _jwks = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 1).await;
    let err = idp
        .validate_code("the-code", Some("v"), None)
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::Nonce)),
        "{err:?}"
    );
    let err = idp
        .validate_code("the-code", Some("v"), Some("m"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, Error::IdToken(IdTokenError::Nonce)),
        "{err:?}"
    );
}

#[tokio::test]
async fn the_callbacks_iss_must_be_the_issuer() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let idp = client(oidc, confidential());
    let auth = idp.authorization_url();
    let token = issuer
        .server
        .mock("POST", "/token")
        .expect(0)
        .create_async()
        .await;
    let params = CallbackParams::from_query(&format!(
        "code=c&state={}&iss=https%3A%2F%2Fevil.example",
        auth.pending.state()
    ))
    .unwrap();
    let err = idp
        .validate_callback(&params, &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(&err, Error::Callback(CallbackError::IssuerMismatch { expected, found })
            if *expected == issuer.issuer() && found == "https://evil.example"),
        "{err:?}"
    );
    token.assert_async().await;
}

#[tokio::test]
async fn refresh_and_revoke_send_the_exact_requests() {
    for (client_auth, authorization, auth_fields) in [
        (
            ClientAuth::Basic,
            Some(basic_auth(CLIENT_ID, CLIENT_SECRET)),
            vec![],
        ),
        (
            ClientAuth::RequestBody,
            None,
            vec![("client_id", CLIENT_ID), ("client_secret", CLIENT_SECRET)],
        ),
    ] {
        let mut issuer = MockIssuer::start().await;
        let document = issuer.discovery_document();
        let oidc = discover(
            &mut issuer,
            &document,
            OidcOptions::new().client_auth(client_auth),
        )
        .await;
        let idp = client(oidc, confidential());

        let mut form = vec![
            ("grant_type", "refresh_token"),
            ("refresh_token", "8xLOxBtZp8"),
        ];
        form.extend(auth_fields.iter().copied());
        let refresh = mock_token(
            &mut issuer,
            authorization.clone(),
            &form,
            &json!({"access_token": "new-at", "token_type": "Bearer", "expires_in": 3600}),
        )
        .await;
        let tokens = idp
            .refresh(&RefreshToken::new("8xLOxBtZp8".to_owned()))
            .await
            .unwrap();
        refresh.assert_async().await;
        assert_eq!(tokens.access_token().secret(), "new-at");
        assert_eq!(tokens.refresh_token().unwrap().secret(), "8xLOxBtZp8");

        let mut form = vec![
            ("token", "8xLOxBtZp8"),
            ("token_type_hint", "refresh_token"),
        ];
        form.extend(auth_fields.iter().copied());
        let revoke = issuer
            .server
            .mock("POST", "/token/revocation")
            .match_header("content-type", "application/x-www-form-urlencoded")
            .match_header(
                "authorization",
                authorization.map_or(Matcher::Missing, Matcher::Exact),
            )
            .match_request(form_is(&form))
            .with_status(200)
            .expect(1)
            .create_async()
            .await;
        idp.revoke(RefreshToken::new("8xLOxBtZp8".to_owned()))
            .await
            .unwrap();
        revoke.assert_async().await;
    }
}

/// The token endpoint answers the next refresh with a new access token and `id_token`.
async fn answer_refresh(issuer: &mut MockIssuer, id_token: &str) {
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "8xLOxBtZp8"),
    ];
    let body = json!({"access_token": "new-at", "token_type": "Bearer", "id_token": id_token});
    let authorization = Some(basic_auth(CLIENT_ID, CLIENT_SECRET));
    mock_token(issuer, authorization, &form, &body).await;
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified_before_it_is_returned() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let idp = client(oidc, confidential());
    let signer = Signer::rsa_1();
    let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    // A refreshed token carries no nonce (OpenID Connect Core 1.0 §12.2), but its
    // `at_hash` must match the new access token.
    let mut fresh = claims(&issuer.issuer(), "unused");
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash("new-at"));

    let id_token = signer.sign(&fresh);
    answer_refresh(&mut issuer, &id_token).await;
    let tokens = idp
        .refresh(&RefreshToken::new("8xLOxBtZp8".to_owned()))
        .await
        .unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    // Each of these would be refused in a sign-in, and is refused here: the refresh
    // fails and returns no tokens.
    let mut other_audience = fresh.clone();
    other_audience["aud"] = json!("another-client");
    let mut other_access_token = fresh.clone();
    other_access_token["at_hash"] = json!(signer.at_hash("old-at"));
    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("someone-else");
    let mut expired = fresh.clone();
    expired["exp"] = json!(unix(SystemTime::now()) - 3600);
    for (id_token, refused) in [
        (signer.sign(&other_audience), "aud"),
        (signer.sign(&other_access_token), "at_hash"),
        (signer.sign(&expired), "exp"),
        (tamper(&id_token, &someone_else), "signature"),
        (Signer::rsa_2().sign(&fresh), "key"),
    ] {
        answer_refresh(&mut issuer, &id_token).await;
        let result = idp
            .refresh(&RefreshToken::new("8xLOxBtZp8".to_owned()))
            .await;
        let error = id_token_error(result);
        let expected = match refused {
            "aud" => matches!(error, IdTokenError::Audience),
            "at_hash" => matches!(&error, IdTokenError::Claim { claim, .. } if claim == "at_hash"),
            "exp" => matches!(error, IdTokenError::Expired),
            "signature" => matches!(error, IdTokenError::Signature),
            _ => matches!(error, IdTokenError::UnknownKey | IdTokenError::Signature),
        };
        assert!(expected, "{refused}: {error:?}");
    }
    drop(jwks_mock);
}

#[tokio::test]
async fn revoke_without_an_advertised_endpoint_is_a_configuration_error() {
    let mut issuer = MockIssuer::start().await;
    let mut document = issuer.discovery_document();
    document
        .as_object_mut()
        .unwrap()
        .remove("revocation_endpoint");
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let err = client(oidc, confidential())
        .revoke(RefreshToken::new("rt".to_owned()))
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn the_logout_url_carries_every_parameter() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let id_token = portcullis::IdToken::new("eyJ.hint.sig".to_owned());
    let url = oidc
        .logout_url(
            &LogoutRequest::new()
                .id_token_hint(&id_token)
                .client_id(CLIENT_ID)
                .post_logout_redirect_uri("http://localhost:3000/signed-out".parse().unwrap())
                .state("af0ifjsldkj")
                .ui_locales("fr en"),
        )
        .unwrap();
    assert_eq!(
        url.as_str().split('?').next().unwrap(),
        issuer.url("/session/end")
    );
    let query: Vec<(String, String)> = query_of(&url).into_iter().collect();
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    assert_eq!(
        query,
        [
            ("client_id", CLIENT_ID),
            ("id_token_hint", "eyJ.hint.sig"),
            (
                "post_logout_redirect_uri",
                "http://localhost:3000/signed-out"
            ),
            ("state", "af0ifjsldkj"),
            ("ui_locales", "fr en"),
        ]
    );
    let debug = format!(
        "{:?}",
        LogoutRequest::new()
            .id_token_hint(&id_token)
            .state("af0ifjsldkj")
    );
    assert!(
        !debug.contains("eyJ.hint.sig") && !debug.contains("af0ifjsldkj"),
        "{debug}"
    );

    let mut without = oidc.metadata().clone();
    without.end_session_endpoint = None;
    let err = Oidc::from_metadata(without, OidcOptions::new())
        .unwrap()
        .logout_url(&LogoutRequest::new())
        .unwrap_err();
    assert!(matches!(err, Error::Config(_)), "{err:?}");
}

#[tokio::test]
async fn clones_share_the_key_set_cache() {
    let mut issuer = MockIssuer::start().await;
    let document = issuer.discovery_document();
    let oidc = discover(&mut issuer, &document, OidcOptions::new()).await;
    let signer = Signer::rsa_1();
    let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let _me = issuer
        .server
        .mock("GET", "/me")
        .with_header("content-type", "application/json")
        .with_body(userinfo().to_string())
        .create_async()
        .await;
    // Two clients of one issuer (say, two apps in one process), built from clones.
    for idp in [
        client(oidc.clone(), confidential()),
        client(oidc.clone(), confidential()),
    ] {
        let auth = idp.authorization_url();
        let body = token_response(&issuer, &signer, auth.pending.nonce().unwrap());
        let token = issuer
            .server
            .mock("POST", "/token")
            .with_header("content-type", "application/json")
            .with_body(body.to_string())
            .expect(1)
            .create_async()
            .await;
        idp.validate_callback(&with_iss(&auth, "c", &issuer.issuer()), &auth.pending)
            .await
            .unwrap();
        token.remove_async().await;
    }
    jwks_mock.assert_async().await;
}
