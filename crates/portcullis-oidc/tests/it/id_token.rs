//! ID-token verification (OpenID Connect Core 1.0 §3.1.3.7) with tokens signed here, and
//! the shared key set cache: each failure comes back as its own `IdTokenError`.

use std::time::{Duration, SystemTime};

use crate::common::{CLIENT_ID, ManualClock, MockIssuer, claims};
use portcullis::{Error, HttpClient, IdTokenError, Phase};
use portcullis_oidc::{Algorithm, IdTokenChecks, IdTokenVerifier, Jwks};
use portcullis_testkit::jwt::{self, Signer, base64url, jwks, unix};
use serde_json::{Value, json};

const NONCE: &str = "n-0S6_WzA2Mj";

fn verifier(issuer: &MockIssuer) -> IdTokenVerifier {
    IdTokenVerifier::new(
        issuer.issuer(),
        Jwks::new(issuer.url("/jwks").parse().unwrap()),
    )
    .algorithms([Algorithm::Rs256, Algorithm::EdDsa, Algorithm::Es256])
}

fn checks() -> IdTokenChecks<'static> {
    IdTokenChecks::new(CLIENT_ID).nonce(NONCE)
}

async fn verify(
    verifier: &IdTokenVerifier,
    token: &str,
    checks: &IdTokenChecks<'_>,
) -> Result<portcullis_oidc::VerifiedIdToken, Error> {
    verifier
        .verify(&HttpClient::new(), "oidc", token, checks)
        .await
}

/// The `IdTokenError` inside `result` (see `jwt::id_token_error`); also checks that no
/// message repeats the token.
fn id_token_error<T: std::fmt::Debug>(result: Result<T, Error>, token: &str) -> IdTokenError {
    let e = jwt::id_token_error(result);
    let error = Error::IdToken(e.clone());
    for text in [error.to_string(), format!("{error:?}")] {
        for part in token.split('.').filter(|p| p.len() > 8) {
            assert!(
                !text.contains(part),
                "the message repeats the token: {text}"
            );
        }
    }
    e
}

#[tokio::test]
async fn a_valid_token_verifies_and_its_claims_are_readable() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let jwks_mock = issuer
        .mock_jwks(
            jwks(&[&signer, &Signer::ed25519(), &Signer::es256(1, "ec-1")]),
            1,
        )
        .await;
    let verifier = verifier(&issuer);
    assert!(!verifier.jwks().is_loaded(), "fetched on first use");

    let mut payload = claims(&issuer.issuer(), NONCE);
    payload["email"] = json!("jane@example.com");
    payload["groups"] = json!(["admins"]);
    let token = signer.sign(&payload);
    let verified = verify(&verifier, &token, &checks()).await.unwrap();
    assert_eq!(verified.subject(), "248289761001");
    assert_eq!(verified.issuer(), issuer.issuer());
    assert_eq!(verified.audiences(), [CLIENT_ID]);
    assert_eq!(verified.algorithm(), Algorithm::Rs256);
    assert_eq!(verified.key_id(), Some("rsa-1"));
    assert_eq!(
        unix(verified.expires_at()),
        payload["exp"].as_u64().unwrap()
    );
    assert_eq!(verified.claim("groups"), Some(&json!(["admins"])));

    #[derive(serde::Deserialize)]
    struct Typed {
        email: String,
        groups: Vec<String>,
    }
    let typed: Typed = verified.deserialize().unwrap();
    assert_eq!(
        (typed.email.as_str(), typed.groups.len()),
        ("jane@example.com", 1)
    );

    // A second token: the cached keys, no second request.
    let ed = Signer::ed25519().sign(&claims(&issuer.issuer(), NONCE));
    let verified = verify(&verifier, &ed, &checks()).await.unwrap();
    assert_eq!(verified.algorithm(), Algorithm::EdDsa);
    let ec = Signer::es256(1, "ec-1");
    let mut payload = claims(&issuer.issuer(), NONCE);
    payload["at_hash"] = json!(ec.at_hash("an-access-token"));
    let checks = checks().access_token("an-access-token");
    let verified = verify(&verifier, &ec.sign(&payload), &checks)
        .await
        .unwrap();
    assert_eq!(verified.algorithm(), Algorithm::Es256);
    // Another P-256 key under the same `kid` is not the issuer's.
    let forged = Signer::es256(2, "ec-1").sign(&payload);
    assert!(verify(&verifier, &forged, &checks).await.is_err());
    jwks_mock.assert_async().await;
    assert!(verifier.jwks().is_loaded());
}

#[tokio::test]
async fn malformed_tokens_are_refused_before_any_request() {
    let mut issuer = MockIssuer::start().await;
    let jwks_mock = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 0).await;
    let verifier = verifier(&issuer);
    let good = Signer::rsa_1().sign(&claims(&issuer.issuer(), NONCE));
    let parts: Vec<&str> = good.split('.').collect();

    for token in [
        "".to_owned(),
        "not-a-jwt".to_owned(),
        format!("{}.{}", parts[0], parts[1]),
        format!("{}.{}.{}.x.y", parts[0], parts[1], parts[2]),
        format!("!!!.{}.{}", parts[1], parts[2]),
        format!("{}.bm90IGpzb24.{}", parts[0], parts[2]),
    ] {
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert!(matches!(e, IdTokenError::Malformed(_)), "{token}: {e:?}");
    }
    jwks_mock.assert_async().await;
}

#[tokio::test]
async fn algorithms_outside_the_allow_list_are_refused_whatever_the_header_says() {
    let mut issuer = MockIssuer::start().await;
    let rsa = Signer::rsa_1();
    let _jwks = issuer.mock_jwks(jwks(&[&rsa]), 0).await;
    let verifier = verifier(&issuer);
    let payload = claims(&issuer.issuer(), NONCE);

    // `none`: an unsigned token.
    let good = rsa.sign(&payload);
    let unsigned = format!(
        "{}.{}.",
        base64_url(&json!({"alg": "none"})),
        good.split('.').nth(1).unwrap()
    );
    let e = id_token_error(verify(&verifier, &unsigned, &checks()).await, &unsigned);
    assert_eq!(e, IdTokenError::Algorithm("none".to_owned()));

    // Algorithm confusion: HS256 keyed with the issuer's public RSA key, which an
    // attacker knows. HMAC is not allowed here, so the header's word changes nothing.
    let public_key = rsa.jwk()["n"].as_str().unwrap().to_owned();
    let forged = Signer::hmac(&public_key).sign(&payload);
    let e = id_token_error(verify(&verifier, &forged, &checks()).await, &forged);
    assert_eq!(e, IdTokenError::Algorithm("HS256".to_owned()));

    // RS384 with a genuine key, but only RS256 and EdDSA are allowed.
    let rs384 = Signer::rsa_1().with_alg("RS384").sign(&payload);
    let e = id_token_error(verify(&verifier, &rs384, &checks()).await, &rs384);
    assert_eq!(e, IdTokenError::Algorithm("RS384".to_owned()));

    // An algorithm nobody knows.
    let odd = rsa.sign_with_header(&json!({"alg": "XS999", "kid": "rsa-1"}), &payload);
    let e = id_token_error(verify(&verifier, &odd, &checks()).await, &odd);
    assert_eq!(e, IdTokenError::Algorithm("XS999".to_owned()));
}

fn base64_url(value: &Value) -> String {
    base64url(value.to_string().as_bytes())
}

#[tokio::test]
async fn a_tampered_token_or_a_wrong_key_fails_the_signature() {
    let mut issuer = MockIssuer::start().await;
    let (rsa_1, rsa_2) = (Signer::rsa_1(), Signer::rsa_2());
    let _jwks = issuer.mock_jwks(jwks(&[&rsa_1, &rsa_2]), 1).await;
    let verifier = verifier(&issuer);
    let payload = claims(&issuer.issuer(), NONCE);

    // Another subject, the original signature.
    let token = rsa_1.sign(&payload);
    let mut tampered_claims = payload.clone();
    tampered_claims["sub"] = json!("someone-else");
    let tampered = jwt::tamper(&token, &tampered_claims);
    let e = id_token_error(verify(&verifier, &tampered, &checks()).await, &tampered);
    assert_eq!(e, IdTokenError::Signature);

    // Signed by key 2 but claiming to be key 1.
    let impostor = Signer::rsa_2().with_kid(Some("rsa-1")).sign(&payload);
    let e = id_token_error(verify(&verifier, &impostor, &checks()).await, &impostor);
    assert_eq!(e, IdTokenError::Signature);

    // Both genuine tokens still pass.
    verify(&verifier, &token, &checks()).await.unwrap();
    verify(&verifier, &rsa_2.sign(&payload), &checks())
        .await
        .unwrap();
}

#[tokio::test]
async fn each_claim_check_has_its_own_error() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let _jwks = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let verifier = verifier(&issuer);
    let iss = issuer.issuer();
    let now = unix(SystemTime::now());

    let cases: Vec<(&str, Value, IdTokenError)> = vec![
        (
            "another issuer",
            json!({"iss": "https://evil.example"}),
            IdTokenError::Issuer {
                expected: iss.clone(),
                found: "https://evil.example".to_owned(),
            },
        ),
        (
            "the issuer with a trailing slash",
            json!({"iss": format!("{iss}/")}),
            IdTokenError::Issuer {
                expected: iss.clone(),
                found: format!("{iss}/"),
            },
        ),
        (
            "another audience",
            json!({"aud": "other-client"}),
            IdTokenError::Audience,
        ),
        (
            "an untrusted extra audience",
            json!({"aud": [CLIENT_ID, "other-client"], "azp": CLIENT_ID}),
            IdTokenError::Audience,
        ),
        (
            "azp naming another client",
            json!({"azp": "other-client"}),
            IdTokenError::Audience,
        ),
        (
            "expired beyond the leeway",
            json!({"exp": now - 61, "iat": now - 600}),
            IdTokenError::Expired,
        ),
        (
            "issued in the future beyond the leeway",
            json!({"iat": now + 120}),
            IdTokenError::IssuedInFuture,
        ),
        (
            "another nonce",
            json!({"nonce": "replayed"}),
            IdTokenError::Nonce,
        ),
        ("no nonce", json!({"nonce": null}), IdTokenError::Nonce),
        ("no sub", json!({"sub": null}), claim("sub")),
        ("an empty sub", json!({"sub": ""}), claim("sub")),
        ("no exp", json!({"exp": null}), claim("exp")),
        ("exp as a string", json!({"exp": "tomorrow"}), claim("exp")),
        ("no iat", json!({"iat": null}), claim("iat")),
        ("no aud", json!({"aud": null}), claim("aud")),
        ("no iss", json!({"iss": null}), claim("iss")),
    ];
    for (case, changes, expected) in cases {
        let token = signer.sign(&with(claims(&iss, NONCE), &changes));
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert_eq!(e, expected, "{case}");
    }

    // Within the leeway, expiry and issue time pass; the leeway is configurable.
    let skewed = signer.sign(&with(
        claims(&iss, NONCE),
        &json!({"exp": now - 30, "iat": now + 30}),
    ));
    verify(&verifier, &skewed, &checks()).await.unwrap();
    let strict = verifier.clone().leeway(Duration::ZERO);
    let e = id_token_error(verify(&strict, &skewed, &checks()).await, &skewed);
    assert_eq!(e, IdTokenError::Expired);
}

fn claim(name: &str) -> IdTokenError {
    IdTokenError::Claim {
        claim: name.to_owned(),
    }
}

/// `claims` with `changes` applied; a `null` change removes the claim.
fn with(mut claims: Value, changes: &Value) -> Value {
    for (name, value) in changes.as_object().unwrap() {
        if value.is_null() {
            claims.as_object_mut().unwrap().remove(name);
        } else {
            claims[name] = value.clone();
        }
    }
    claims
}

#[tokio::test]
async fn several_audiences_need_trust_and_azp() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let _jwks = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let verifier = verifier(&issuer).trust_audience("api.example");
    let iss = issuer.issuer();

    let both = json!({"aud": [CLIENT_ID, "api.example"], "azp": CLIENT_ID});
    let token = signer.sign(&with(claims(&iss, NONCE), &both));
    let verified = verify(&verifier, &token, &checks()).await.unwrap();
    assert_eq!(verified.audiences(), [CLIENT_ID, "api.example"]);

    let no_azp = signer.sign(&with(
        claims(&iss, NONCE),
        &json!({"aud": [CLIENT_ID, "api.example"]}),
    ));
    let e = id_token_error(verify(&verifier, &no_azp, &checks()).await, &no_azp);
    assert_eq!(
        e,
        IdTokenError::Audience,
        "azp is required with several audiences"
    );

    let without_us = signer.sign(&with(
        claims(&iss, NONCE),
        &json!({"aud": ["api.example"], "azp": CLIENT_ID}),
    ));
    let e = id_token_error(verify(&verifier, &without_us, &checks()).await, &without_us);
    assert_eq!(e, IdTokenError::Audience, "the client must be an audience");
}

#[tokio::test]
async fn at_hash_binds_the_access_token() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let _jwks = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let verifier = verifier(&issuer);
    let mut payload = claims(&issuer.issuer(), NONCE);
    payload["at_hash"] = json!(signer.at_hash("the-access-token"));
    let token = signer.sign(&payload);

    verify(
        &verifier,
        &token,
        &checks().access_token("the-access-token"),
    )
    .await
    .unwrap();
    let e = id_token_error(
        verify(
            &verifier,
            &token,
            &checks().access_token("another-access-token"),
        )
        .await,
        &token,
    );
    assert_eq!(e, claim("at_hash"));
}

#[tokio::test]
async fn hmac_tokens_need_the_secret_and_an_explicit_allowance() {
    let issuer = MockIssuer::start().await;
    let token = Signer::hmac("the-client-secret").sign(&claims(&issuer.issuer(), NONCE));
    let jwks = Jwks::new(issuer.url("/jwks").parse().unwrap());

    let allowed = IdTokenVerifier::new(issuer.issuer(), jwks.clone())
        .algorithms([Algorithm::Hs256])
        .hmac_secret("the-client-secret");
    verify(&allowed, &token, &checks()).await.unwrap();

    let wrong_secret = allowed.clone().hmac_secret("another-secret");
    let e = id_token_error(verify(&wrong_secret, &token, &checks()).await, &token);
    assert_eq!(e, IdTokenError::Signature);

    let no_secret = IdTokenVerifier::new(issuer.issuer(), jwks).algorithms([Algorithm::Hs256]);
    let e = id_token_error(verify(&no_secret, &token, &checks()).await, &token);
    assert_eq!(e, IdTokenError::Algorithm("HS256".to_owned()));
}

#[tokio::test]
async fn an_unknown_kid_refreshes_the_key_set_once_then_verifies() {
    let mut issuer = MockIssuer::start().await;
    let (old, new) = (Signer::rsa_1(), Signer::rsa_2());
    let verifier = verifier(&issuer);
    let payload = claims(&issuer.issuer(), NONCE);

    let before = issuer.mock_jwks(jwks(&[&old]), 1).await;
    verify(&verifier, &old.sign(&payload), &checks())
        .await
        .unwrap();
    before.assert_async().await;
    before.remove_async().await;

    // The issuer rotates: the new key is published, tokens carry its kid.
    let after = issuer.mock_jwks(jwks(&[&new, &old]), 1).await;
    let rotated = new.sign(&payload);
    let verified = verify(&verifier, &rotated, &checks()).await.unwrap();
    assert_eq!(verified.key_id(), Some("rsa-2"));
    verify(&verifier, &rotated, &checks()).await.unwrap();
    verify(&verifier, &old.sign(&payload), &checks())
        .await
        .unwrap();
    after.assert_async().await;
}

#[tokio::test]
async fn refreshes_for_unknown_keys_are_rate_limited() {
    let mut issuer = MockIssuer::start().await;
    let clock = ManualClock::new();
    let verifier = IdTokenVerifier::new(
        issuer.issuer(),
        Jwks::new(issuer.url("/jwks").parse().unwrap())
            .with_min_refresh_interval(Duration::from_secs(30))
            .with_clock(clock.clock()),
    );
    let stranger = Signer::rsa_2().sign(&claims(&issuer.issuer(), NONCE));
    let known = Signer::rsa_1().sign(&claims(&issuer.issuer(), NONCE));

    // Three fetches in all: the first load, the first refresh, and one more refresh
    // once 30 s have passed since it.
    let jwks_mock = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 3).await;
    for _ in 0..5 {
        let e = id_token_error(verify(&verifier, &stranger, &checks()).await, &stranger);
        assert_eq!(e, IdTokenError::UnknownKey);
    }
    clock.advance(Duration::from_secs(29));
    let e = id_token_error(verify(&verifier, &stranger, &checks()).await, &stranger);
    assert_eq!(e, IdTokenError::UnknownKey);
    verify(&verifier, &known, &checks()).await.unwrap();

    clock.advance(Duration::from_secs(1));
    for _ in 0..5 {
        let e = id_token_error(verify(&verifier, &stranger, &checks()).await, &stranger);
        assert_eq!(e, IdTokenError::UnknownKey);
    }
    jwks_mock.assert_async().await;
}

/// A verifier whose key cache runs on `clock`, fetched again after an hour.
fn verifier_aging(issuer: &MockIssuer, clock: &ManualClock) -> IdTokenVerifier {
    IdTokenVerifier::new(
        issuer.issuer(),
        Jwks::new(issuer.url("/jwks").parse().unwrap())
            .with_min_refresh_interval(Duration::from_secs(30))
            .with_max_age(Duration::from_secs(3600))
            .with_clock(clock.clock()),
    )
}

#[tokio::test]
async fn a_key_the_issuer_withdrew_stops_verifying_once_the_set_is_old() {
    let mut issuer = MockIssuer::start().await;
    let clock = ManualClock::new();
    let verifier = verifier_aging(&issuer, &clock);
    let (withdrawn, kept) = (Signer::rsa_1(), Signer::rsa_2());
    let old_token = withdrawn.sign(&claims(&issuer.issuer(), NONCE));
    let new_token = kept.sign(&claims(&issuer.issuer(), NONCE));

    let before = issuer.mock_jwks(jwks(&[&withdrawn, &kept]), 1).await;
    verify(&verifier, &old_token, &checks()).await.unwrap();
    clock.advance(Duration::from_secs(3599));
    verify(&verifier, &old_token, &checks()).await.unwrap();
    before.assert_async().await;
    before.remove_async().await;

    // The issuer withdraws a key. Once the cached set is an hour old it is fetched
    // again, once: the withdrawn key's tokens are refused without a second request.
    let after = issuer.mock_jwks(jwks(&[&kept]), 1).await;
    clock.advance(Duration::from_secs(1));
    let e = id_token_error(verify(&verifier, &old_token, &checks()).await, &old_token);
    assert_eq!(e, IdTokenError::UnknownKey);
    verify(&verifier, &new_token, &checks()).await.unwrap();
    let e = id_token_error(verify(&verifier, &old_token, &checks()).await, &old_token);
    assert_eq!(e, IdTokenError::UnknownKey);
    after.assert_async().await;
}

#[tokio::test]
async fn an_old_set_stays_in_use_while_the_issuer_cannot_serve_a_new_one() {
    let mut issuer = MockIssuer::start().await;
    let clock = ManualClock::new();
    let verifier = verifier_aging(&issuer, &clock);
    let token = Signer::rsa_1().sign(&claims(&issuer.issuer(), NONCE));

    let first = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 1).await;
    verify(&verifier, &token, &checks()).await.unwrap();
    first.assert_async().await;
    first.remove_async().await;

    // Down when the set gets old: the cached keys keep sign-ins working, and the fetch
    // is tried again only after the minimum refresh interval, not on every sign-in.
    let down = issuer
        .server
        .mock("GET", "/jwks")
        .with_status(503)
        .with_body("maintenance")
        .expect(2)
        .create_async()
        .await;
    clock.advance(Duration::from_secs(3600));
    for _ in 0..3 {
        verify(&verifier, &token, &checks()).await.unwrap();
    }
    clock.advance(Duration::from_secs(30));
    for _ in 0..3 {
        verify(&verifier, &token, &checks()).await.unwrap();
    }
    down.assert_async().await;
    down.remove_async().await;

    // Back up: the next attempt replaces the set, which is fresh for another hour.
    let back = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 1).await;
    clock.advance(Duration::from_secs(30));
    for _ in 0..3 {
        verify(&verifier, &token, &checks()).await.unwrap();
    }
    clock.advance(Duration::from_secs(3599));
    verify(&verifier, &token, &checks()).await.unwrap();
    back.assert_async().await;
}

#[tokio::test(flavor = "current_thread")]
async fn concurrent_sign_ins_share_one_fetch() {
    let mut issuer = MockIssuer::start().await;
    // No rate limit: only the single-flight logic keeps this to one fetch per round.
    let verifier = IdTokenVerifier::new(
        issuer.issuer(),
        Jwks::new(issuer.url("/jwks").parse().unwrap()).with_min_refresh_interval(Duration::ZERO),
    );
    let stranger = Signer::rsa_2().sign(&claims(&issuer.issuer(), NONCE));

    // The first load, then one refresh for all ten unknown-key failures.
    let jwks_mock = issuer.mock_jwks(jwks(&[&Signer::rsa_1()]), 2).await;
    let http = HttpClient::new();
    let mut tasks = tokio::task::JoinSet::new();
    for _ in 0..10 {
        let (verifier, http, token) = (verifier.clone(), http.clone(), stranger.clone());
        tasks.spawn(async move {
            verifier
                .verify(
                    &http,
                    "oidc",
                    &token,
                    &IdTokenChecks::new(CLIENT_ID).nonce(NONCE),
                )
                .await
        });
    }
    while let Some(result) = tasks.join_next().await {
        let e = id_token_error(result.unwrap(), &stranger);
        assert_eq!(e, IdTokenError::UnknownKey);
    }
    jwks_mock.assert_async().await;
}

#[tokio::test]
async fn key_set_failures_are_request_errors() {
    let mut issuer = MockIssuer::start().await;
    let _jwks = issuer
        .server
        .mock("GET", "/jwks")
        .with_status(503)
        .with_body("busy")
        .expect(1)
        .create_async()
        .await;
    let verifier = verifier(&issuer);
    let token = Signer::rsa_1().sign(&claims(&issuer.issuer(), NONCE));
    match verify(&verifier, &token, &checks()).await {
        Err(Error::Request(e)) => {
            assert_eq!(e.phase(), Phase::Jwks);
            assert!(e.is_retryable());
        }
        other => panic!("{other:?}"),
    }
    assert!(!verifier.jwks().is_loaded());
}

#[tokio::test]
async fn issuer_aliases_are_other_spellings_compared_as_strings() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let _jwks = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let iss = issuer.issuer();
    // A scheme-less spelling, as Google documents `accounts.google.com`: not a URL.
    let alias = iss.trim_start_matches("http://").to_owned();
    let verifier = verifier(&issuer).issuer_alias(alias.clone());
    assert_eq!(verifier.issuer_aliases(), std::slice::from_ref(&alias));

    for spelling in [iss.clone(), alias.clone()] {
        let token = signer.sign(&with(claims(&iss, NONCE), &json!({"iss": spelling})));
        let verified = verify(&verifier, &token, &checks()).await.unwrap();
        assert_eq!(verified.issuer(), spelling, "the token's own spelling");
    }

    // Anything else is still another issuer, named against the issuer itself.
    for other in [
        format!("{alias}/"),
        format!("https://{alias}"),
        format!(" {alias}"),
        "accounts.google.com".to_owned(),
    ] {
        let token = signer.sign(&with(claims(&iss, NONCE), &json!({"iss": other})));
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert_eq!(
            e,
            IdTokenError::Issuer {
                expected: iss.clone(),
                found: other.clone()
            },
            "{other}"
        );
    }

    // Without the alias, the scheme-less spelling is refused as another issuer.
    let token = signer.sign(&with(claims(&iss, NONCE), &json!({"iss": alias})));
    let e = id_token_error(
        verify(&self::verifier(&issuer), &token, &checks()).await,
        &token,
    );
    assert_eq!(
        e,
        IdTokenError::Issuer {
            expected: iss.clone(),
            found: alias
        }
    );
}

/// A verifier whose issuer is `{iss}/tenants/{tenant}`, the tenant from the `tenant`
/// claim; tenant `blocked` may not sign in, and a tenant is lowercase letters.
fn tenant_verifier(issuer: &MockIssuer) -> IdTokenVerifier {
    let base = issuer.issuer();
    verifier(issuer).issuer_from_claim("tenant", move |tenant| {
        if !tenant.bytes().all(|b| b.is_ascii_lowercase()) {
            return Err(IdTokenError::Claim {
                claim: "tenant".to_owned(),
            });
        }
        if tenant == "blocked" {
            return Err(IdTokenError::Issuer {
                expected: format!("{base}/tenants/{{tenant}} but not blocked"),
                found: format!("{base}/tenants/{tenant}"),
            });
        }
        Ok(format!("{base}/tenants/{tenant}"))
    })
}

#[tokio::test]
async fn an_issuer_chosen_by_a_claim_is_compared_then_signed() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let verifier = tenant_verifier(&issuer);
    let base = issuer.issuer();
    let for_tenant = |tenant: &str| {
        with(
            claims(&format!("{base}/tenants/{tenant}"), NONCE),
            &json!({"tenant": tenant}),
        )
    };

    let acme = signer.sign(&for_tenant("acme"));
    let verified = verify(&verifier, &acme, &checks()).await.unwrap();
    assert_eq!(verified.issuer(), format!("{base}/tenants/acme"));
    assert_eq!(verified.claim("tenant"), Some(&json!("acme")));

    // `iss` of another tenant than the claim's; the verifier's own issuer: refused.
    for iss in [format!("{base}/tenants/other"), base.clone()] {
        let token = signer.sign(&with(for_tenant("acme"), &json!({"iss": iss})));
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert_eq!(
            e,
            IdTokenError::Issuer {
                expected: format!("{base}/tenants/acme"),
                found: iss.clone()
            },
            "{iss}"
        );
    }

    // The claim missing, empty, not a string, or refused by the function.
    for (tenant, expected) in [
        (Value::Null, claim("tenant")),
        (json!(""), claim("tenant")),
        (json!(7), claim("tenant")),
        (json!("ACME"), claim("tenant")),
        (
            json!("blocked"),
            IdTokenError::Issuer {
                expected: format!("{base}/tenants/{{tenant}} but not blocked"),
                found: format!("{base}/tenants/blocked"),
            },
        ),
    ] {
        let token = signer.sign(&with(for_tenant("x"), &json!({"tenant": tenant})));
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert_eq!(e, expected, "{tenant}");
    }

    // Another tenant and its issuer pasted into a signed token: the claim picked the
    // issuer, but the signature does not cover them.
    let forged = jwt::tamper(&acme, &for_tenant("evil"));
    let e = id_token_error(verify(&verifier, &forged, &checks()).await, &forged);
    assert_eq!(e, IdTokenError::Signature);
    jwks_mock.assert_async().await;
}

#[tokio::test]
async fn a_refused_claim_costs_no_key_set_request() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 0).await;
    let verifier = tenant_verifier(&issuer);
    let token = signer.sign(&with(
        claims(&format!("{}/tenants/blocked", issuer.issuer()), NONCE),
        &json!({"tenant": "blocked"}),
    ));
    let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
    assert!(matches!(e, IdTokenError::Issuer { .. }), "{e:?}");

    // Nor does a standard claim of the wrong type: it is named, not called malformed.
    let verifier = self::verifier(&issuer);
    for (name, value) in [
        ("email_verified", json!("yes")),
        ("phone_number_verified", json!(0)),
        ("auth_time", json!("just now")),
        ("name", json!({"first": "Jane"})),
        ("nonce", json!(["n-0S6_WzA2Mj"])),
    ] {
        let mut payload = claims(&issuer.issuer(), NONCE);
        payload[name] = value.clone();
        let token = signer.sign(&payload);
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert_eq!(e, claim(name), "{name}: {value}");
    }
    jwks_mock.assert_async().await;
}

#[tokio::test]
async fn headers_a_verifier_cannot_honour_are_refused_before_any_request() {
    let mut issuer = MockIssuer::start().await;
    let signer = Signer::rsa_1();
    let jwks_mock = issuer.mock_jwks(jwks(&[&signer]), 1).await;
    let verifier = verifier(&issuer);
    let payload = claims(&issuer.issuer(), NONCE);
    for header in [
        json!({"alg": "RS256", "kid": "rsa-1", "typ": "at+jwt"}),
        json!({"alg": "RS256", "kid": "rsa-1", "cty": "JWT"}),
        json!({"alg": "RS256", "kid": "rsa-1", "crit": ["exp"], "exp": 1}),
    ] {
        let token = signer.sign_with_header(&header, &payload);
        let e = id_token_error(verify(&verifier, &token, &checks()).await, &token);
        assert!(matches!(e, IdTokenError::Malformed(_)), "{header}: {e:?}");
    }
    // Without `typ`, or with the media type spelled out, the token verifies.
    for header in [
        json!({"alg": "RS256", "kid": "rsa-1"}),
        json!({"alg": "RS256", "kid": "rsa-1", "typ": "application/jwt"}),
    ] {
        let token = signer.sign_with_header(&header, &payload);
        verify(&verifier, &token, &checks()).await.unwrap();
    }
    jwks_mock.assert_async().await;
}
