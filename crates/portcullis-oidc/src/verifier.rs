//! [`IdTokenVerifier`]: ID-token validation per OpenID Connect Core 1.0 §3.1.3.7, on
//! top of `openidconnect`'s JWS verification, with a shared [`Jwks`] cache.

use std::fmt;
use std::time::{Duration, SystemTime};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use openidconnect::core::{CoreIdToken, CoreIdTokenVerifier, CoreJsonWebKey};
use openidconnect::{
    AccessToken, AccessTokenHash, Audience, ClaimsVerificationError, ClientId, ClientSecret,
    IssuerUrl, JsonWebKey, JsonWebKeySet, Nonce, NonceVerifier, SignatureVerificationError,
};
use portcullis::{Error, HttpClient, IdTokenError, UserRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::clock::Clock;
use crate::jwks::Jwks;

/// Marks the `iat` check's failure, which `openidconnect` reports as an expiry.
const ISSUED_IN_FUTURE: &str = "portcullis-oidc: iat in the future";

/// Verifies ID tokens for one issuer (OpenID Connect Core 1.0 §3.1.3.7).
///
/// Holds the issuer, its [`Jwks`] cache, the algorithm allow-list, the allowed clock
/// skew and the clock. Cheap to clone; clones share the key cache. [`Oidc`](crate::Oidc)
/// holds one; a provider crate with its own [`Provider`](portcullis::Provider) (Apple,
/// Azure AD, …) holds one too and calls [`verify_user_request`](Self::verify_user_request)
/// in its `fetch_user`, then reads its typed claims with
/// [`VerifiedIdToken::deserialize`].
///
/// What [`verify`](Self::verify) checks, in this order, each failure an
/// [`IdTokenError`]:
///
/// 1. a compact JWS (three parts, a JSON header and payload) — else `Malformed`; an
///    encrypted token (JWE) is refused;
/// 2. the header's `alg` is on the allow-list — else `Algorithm` (`none` never is);
/// 3. `iss`, `sub`, `aud`, `exp` and `iat` are present with their types — else `Claim`;
/// 4. `iss` is the issuer, exactly — else `Issuer`;
/// 5. `aud` contains the client id, every other audience is trusted
///    ([`trust_audience`](Self::trust_audience)), and `azp`, required with several
///    audiences, is the client id — else `Audience`;
/// 6. the signature, with the issuer's key chosen by `kid` and by the key's type, `use`
///    and `alg` — never by the header alone — else `Signature`; when no key matches,
///    the key set is fetched again (rate-limited) and the token checked once more, else
///    `UnknownKey`. HMAC algorithms use the client secret
///    ([`hmac_secret`](Self::hmac_secret)) and must be allowed explicitly;
/// 7. `exp` has not passed and `iat` is not in the future, give or take the
///    [`leeway`](Self::leeway) — else `Expired`, `IssuedInFuture`;
/// 8. `nonce` is the one sent with the authorization request — else `Nonce`;
/// 9. `at_hash`, when present and the access token is known, matches it — else
///    `Claim { claim: "at_hash" }`.
///
/// No message ever contains the token.
#[derive(Clone)]
pub struct IdTokenVerifier {
    issuer: String,
    jwks: Jwks,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    clock: Clock,
    hmac_secret: Option<ClientSecret>,
    trusted_audiences: Vec<String>,
}

/// What an ID token is checked against besides the issuer: the client it must be meant
/// for, the `nonce` of the sign-in, and the access token issued with it (for `at_hash`).
#[derive(Clone, Copy)]
pub struct IdTokenChecks<'a> {
    client_id: &'a str,
    nonce: Option<&'a str>,
    access_token: Option<&'a str>,
}

impl<'a> IdTokenChecks<'a> {
    /// Checks for a token meant for `client_id`, with no `nonce` check: add
    /// [`nonce`](Self::nonce) for every token from a sign-in.
    pub fn new(client_id: &'a str) -> Self {
        IdTokenChecks {
            client_id,
            nonce: None,
            access_token: None,
        }
    }

    /// The `nonce` sent with the authorization request: the token must carry it.
    #[must_use]
    pub fn nonce(mut self, nonce: &'a str) -> Self {
        self.nonce = Some(nonce);
        self
    }

    /// The access token issued with the ID token: its `at_hash`, if any, must match.
    #[must_use]
    pub fn access_token(mut self, access_token: &'a str) -> Self {
        self.access_token = Some(access_token);
        self
    }
}

impl fmt::Debug for IdTokenChecks<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let redacted = |present: bool| if present { "[redacted]" } else { "None" };
        f.debug_struct("IdTokenChecks")
            .field("client_id", &self.client_id)
            .field("nonce", &redacted(self.nonce.is_some()))
            .field("access_token", &redacted(self.access_token.is_some()))
            .finish()
    }
}

/// An ID token that passed every check of [`IdTokenVerifier::verify`]: its claims.
#[derive(Clone)]
pub struct VerifiedIdToken {
    claims: Map<String, Value>,
    subject: String,
    issuer: String,
    audiences: Vec<String>,
    expires_at: SystemTime,
    issued_at: SystemTime,
    algorithm: Algorithm,
    key_id: Option<String>,
}

/// Claims that describe the token rather than the user: userinfo never replaces them.
const PROTOCOL_CLAIMS: &[&str] = &[
    "sub",
    "iss",
    "aud",
    "exp",
    "iat",
    "nbf",
    "jti",
    "nonce",
    "azp",
    "auth_time",
    "acr",
    "amr",
    "at_hash",
    "c_hash",
    "sid",
];

impl VerifiedIdToken {
    /// The subject (`sub`): the user's stable id at the issuer.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer (`iss`).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The audiences (`aud`), the client id among them.
    pub fn audiences(&self) -> &[String] {
        &self.audiences
    }

    /// When the token expires (`exp`).
    pub fn expires_at(&self) -> SystemTime {
        self.expires_at
    }

    /// When the token was issued (`iat`).
    pub fn issued_at(&self) -> SystemTime {
        self.issued_at
    }

    /// The algorithm it was signed with.
    pub fn algorithm(&self) -> Algorithm {
        self.algorithm
    }

    /// The `kid` of the key it was signed with, if the header named one.
    pub fn key_id(&self) -> Option<&str> {
        self.key_id.as_deref()
    }

    /// Every claim of the token.
    pub fn claims(&self) -> &Map<String, Value> {
        &self.claims
    }

    /// One claim, if present.
    pub fn claim(&self, name: &str) -> Option<&Value> {
        self.claims.get(name)
    }

    /// The claims as `T`: a provider crate's typed claims.
    ///
    /// # Errors
    ///
    /// [`IdTokenError::Claim`] naming the first claim that does not fit `T`.
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        claims_as(Value::Object(self.claims.clone()))
    }

    /// The claims, owned.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// Merges a userinfo response into the token's claims (OpenID Connect Core 1.0
    /// §5.3.2): the userinfo's `sub` must be the token's, then its claims replace the
    /// token's of the same name — except the claims about the token itself (`iss`,
    /// `aud`, `exp`, `nonce`, …), which stay the token's.
    ///
    /// Issuers that follow the spec closely (`oidc-provider`'s `conformIdTokenClaims`)
    /// put only `sub` and protocol claims in the ID token when an access token is issued
    /// too; profile and email then come from userinfo.
    ///
    /// # Errors
    ///
    /// [`IdTokenError::SubjectMismatch`] when the userinfo's `sub` is missing or differs.
    pub fn merge_userinfo(self, userinfo: Map<String, Value>) -> Result<Map<String, Value>, Error> {
        match userinfo.get("sub") {
            Some(Value::String(sub)) if *sub == self.subject => {}
            _ => return Err(IdTokenError::SubjectMismatch.into()),
        }
        let mut claims = self.claims;
        for (name, value) in userinfo {
            if !PROTOCOL_CLAIMS.contains(&name.as_str()) {
                claims.insert(name, value);
            }
        }
        Ok(claims)
    }
}

impl fmt::Debug for VerifiedIdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerifiedIdToken")
            .field("subject", &self.subject)
            .field("issuer", &self.issuer)
            .field("audiences", &self.audiences)
            .field("expires_at", &self.expires_at)
            .field("algorithm", &self.algorithm)
            .field("key_id", &self.key_id)
            .field("claims", &self.claims.keys().collect::<Vec<_>>())
            .finish()
    }
}

/// Deserializes claims into `T`, naming the offending claim but never its value.
pub(crate) fn claims_as<T: DeserializeOwned>(claims: Value) -> Result<T, Error> {
    serde_path_to_error::deserialize(claims).map_err(|e| {
        let path = e.path().to_string();
        let message = e.inner().to_string();
        let claim = match message
            .strip_prefix("missing field `")
            .and_then(|rest| rest.split('`').next())
        {
            Some(missing) => missing.to_owned(),
            None if path == "." => "(claims)".to_owned(),
            None => path,
        };
        IdTokenError::Claim { claim }.into()
    })
}

/// The token's header and payload, read before any verification.
struct Unverified {
    algorithm: Algorithm,
    key_id: Option<String>,
    claims: Map<String, Value>,
    subject: String,
    issuer: String,
    audiences: Vec<String>,
}

/// Why one verification attempt failed: a key to look for, or a verdict.
enum Failure {
    NoMatchingKey,
    Invalid(IdTokenError),
}

impl From<IdTokenError> for Failure {
    fn from(error: IdTokenError) -> Self {
        Failure::Invalid(error)
    }
}

impl IdTokenVerifier {
    /// The default allowed clock skew: 60 seconds.
    pub const DEFAULT_LEEWAY: Duration = Duration::from_secs(60);

    /// A verifier for tokens from `issuer` signed with a key of `jwks`, allowing `RS256`
    /// only (the OpenID Connect default) with the default leeway and the system clock.
    pub fn new(issuer: impl Into<String>, jwks: Jwks) -> Self {
        IdTokenVerifier {
            issuer: issuer.into(),
            jwks,
            algorithms: vec![Algorithm::Rs256],
            leeway: Self::DEFAULT_LEEWAY,
            clock: Clock::system(),
            hmac_secret: None,
            trusted_audiences: Vec::new(),
        }
    }

    /// The algorithms a token may be signed with. An empty list allows none.
    ///
    /// HMAC algorithms also need [`hmac_secret`](Self::hmac_secret); without it, tokens
    /// signed with them are refused ([`IdTokenError::Algorithm`]).
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms.into_iter().collect();
        self
    }

    /// How far `exp` and `iat` may be off, to absorb clock skew between the issuer and
    /// this server.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for `exp` and `iat`.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The client secret, the key of HMAC-signed tokens (`HS256`, …) for issuers that
    /// use them (LINE). Allow the algorithm too.
    #[must_use]
    pub fn hmac_secret(mut self, secret: impl Into<String>) -> Self {
        self.hmac_secret = Some(ClientSecret::new(secret.into()));
        self
    }

    /// Accepts `audience` beside the client id in a token's `aud` (OpenID Connect Core
    /// 1.0 §3.1.3.7 step 3: other audiences must be trusted). The client id must still
    /// be among them, and `azp` must name it.
    #[must_use]
    pub fn trust_audience(mut self, audience: impl Into<String>) -> Self {
        self.trusted_audiences.push(audience.into());
        self
    }

    /// The issuer tokens must come from.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key set cache.
    pub fn jwks(&self) -> &Jwks {
        &self.jwks
    }

    /// The allowed algorithms.
    pub fn allowed_algorithms(&self) -> &[Algorithm] {
        &self.algorithms
    }

    /// The allowed clock skew.
    pub fn allowed_leeway(&self) -> Duration {
        self.leeway
    }

    /// Verifies the ID token of a sign-in, from what
    /// [`Provider::fetch_user`](portcullis::Provider::fetch_user) receives: the token
    /// response's `id_token`, the client id, the sign-in's `nonce`, the access token
    /// (for `at_hash`), and the shared HTTP client for the key set.
    ///
    /// # Errors
    ///
    /// [`IdTokenError::Missing`] when the token response has no ID token;
    /// [`IdTokenError::Nonce`] when the request carries no nonce (an ID token that is not
    /// bound to this sign-in proves nothing); otherwise as [`verify`](Self::verify).
    pub async fn verify_user_request(
        &self,
        request: &UserRequest<'_>,
    ) -> Result<VerifiedIdToken, Error> {
        let tokens = request.tokens();
        let id_token = tokens.id_token().ok_or(IdTokenError::Missing)?;
        let nonce = request.nonce().ok_or(IdTokenError::Nonce)?;
        let checks = IdTokenChecks::new(request.client_id())
            .nonce(nonce)
            .access_token(tokens.access_token().secret());
        self.verify(
            request.http(),
            request.provider_id(),
            id_token.secret(),
            &checks,
        )
        .await
    }

    /// Verifies `id_token` (see the [type's documentation](Self) for every check),
    /// fetching the issuer's keys through `http` when needed; `provider` names the
    /// provider in request errors.
    ///
    /// # Errors
    ///
    /// [`Error::IdToken`] for a token that fails a check; [`Error::Request`] with
    /// [`Phase::Jwks`](portcullis::Phase::Jwks) when the key set cannot be fetched.
    pub async fn verify(
        &self,
        http: &HttpClient,
        provider: &str,
        id_token: &str,
        checks: &IdTokenChecks<'_>,
    ) -> Result<VerifiedIdToken, Error> {
        let unverified = self.read(id_token, checks)?;
        // The claims were read above; what fails here is a standard claim of the wrong
        // type, which openidconnect reports with the value: say less.
        let token: CoreIdToken = id_token.parse().map_err(|_| {
            IdTokenError::Malformed("a claim does not have its standard type".to_owned())
        })?;
        if unverified.algorithm.is_symmetric() {
            return match self.check(&token, &unverified, checks, JsonWebKeySet::default()) {
                Ok(verified) => Ok(verified),
                Err(Failure::Invalid(e)) => Err(e.into()),
                Err(Failure::NoMatchingKey) => Err(IdTokenError::UnknownKey.into()),
            };
        }
        let keys = self.jwks.current(http, provider).await?;
        match self.check(&token, &unverified, checks, (*keys.keys).clone()) {
            Ok(verified) => return Ok(verified),
            Err(Failure::Invalid(e)) => return Err(e.into()),
            Err(Failure::NoMatchingKey) => {}
        }
        let Some(fresh) = self.jwks.refresh(http, provider, &keys).await? else {
            return Err(IdTokenError::UnknownKey.into());
        };
        match self.check(&token, &unverified, checks, (*fresh.keys).clone()) {
            Ok(verified) => Ok(verified),
            Err(Failure::Invalid(e)) => Err(e.into()),
            Err(Failure::NoMatchingKey) => Err(IdTokenError::UnknownKey.into()),
        }
    }

    /// Steps 1–5: structure, algorithm, required claims, issuer, audience.
    fn read(&self, id_token: &str, checks: &IdTokenChecks<'_>) -> Result<Unverified, IdTokenError> {
        let malformed = |why: &str| IdTokenError::Malformed(why.to_owned());
        let parts: Vec<&str> = id_token.split('.').collect();
        match parts.len() {
            3 => {}
            5 => return Err(malformed("encrypted ID tokens (JWE) are not supported")),
            n => {
                return Err(IdTokenError::Malformed(format!(
                    "a signed JWT has 3 dot-separated parts, this one {n}"
                )));
            }
        }
        let json = |part: &str, what: &str| -> Result<Map<String, Value>, IdTokenError> {
            let bytes = URL_SAFE_NO_PAD
                .decode(part)
                .map_err(|_| IdTokenError::Malformed(format!("the {what} is not base64url")))?;
            match serde_json::from_slice(&bytes) {
                Ok(Value::Object(map)) => Ok(map),
                _ => Err(IdTokenError::Malformed(format!(
                    "the {what} is not a JSON object"
                ))),
            }
        };
        let header = json(parts[0], "header")?;
        let payload = json(parts[1], "payload")?;

        let alg = header
            .get("alg")
            .and_then(Value::as_str)
            .ok_or_else(|| malformed("the header has no `alg`"))?;
        let algorithm = Algorithm::from_name(alg)
            .filter(|a| self.algorithms.contains(a))
            .ok_or_else(|| IdTokenError::Algorithm(printable(alg)))?;
        let key_id = match header.get("kid") {
            None => None,
            Some(Value::String(kid)) => Some(kid.clone()),
            Some(_) => return Err(malformed("the header's `kid` is not a string")),
        };

        let string = |name: &str| match payload.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(IdTokenError::Claim {
                claim: name.to_owned(),
            }),
        };
        let issuer = string("iss")?;
        let subject = string("sub")?;
        let audiences = match payload.get("aud") {
            Some(Value::String(aud)) => vec![aud.clone()],
            Some(Value::Array(list)) if !list.is_empty() => list
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| IdTokenError::Claim {
                    claim: "aud".to_owned(),
                })?,
            _ => {
                return Err(IdTokenError::Claim {
                    claim: "aud".to_owned(),
                });
            }
        };
        for time in ["exp", "iat"] {
            if !payload.get(time).is_some_and(Value::is_number) {
                return Err(IdTokenError::Claim {
                    claim: time.to_owned(),
                });
            }
        }

        if issuer != self.issuer {
            return Err(IdTokenError::Issuer {
                expected: self.issuer.clone(),
                found: printable(&issuer),
            });
        }
        if !audiences.iter().any(|a| a == checks.client_id)
            || audiences
                .iter()
                .any(|a| a != checks.client_id && !self.trusted_audiences.contains(a))
        {
            return Err(IdTokenError::Audience);
        }
        match payload.get("azp") {
            None if audiences.len() > 1 => return Err(IdTokenError::Audience),
            None => {}
            Some(Value::String(azp)) if azp == checks.client_id => {}
            Some(_) => return Err(IdTokenError::Audience),
        }

        Ok(Unverified {
            algorithm,
            key_id,
            claims: payload,
            subject,
            issuer,
            audiences,
        })
    }

    /// Steps 6–9 with one key set: signature, time, nonce, `at_hash`.
    fn check(
        &self,
        token: &CoreIdToken,
        unverified: &Unverified,
        checks: &IdTokenChecks<'_>,
        keys: JsonWebKeySet<CoreJsonWebKey>,
    ) -> Result<VerifiedIdToken, Failure> {
        let client_id = ClientId::new(checks.client_id.to_owned());
        let issuer = IssuerUrl::new(self.issuer.clone())
            .map_err(|_| IdTokenError::Malformed("the issuer is not a URL".to_owned()))?;
        let verifier = match (&self.hmac_secret, unverified.algorithm.is_symmetric()) {
            (Some(secret), true) => CoreIdTokenVerifier::new_confidential_client(
                client_id,
                secret.clone(),
                issuer,
                keys,
            ),
            (None, true) => {
                return Err(IdTokenError::Algorithm(unverified.algorithm.to_string()).into());
            }
            (_, false) => CoreIdTokenVerifier::new_public_client(client_id, issuer, keys),
        };
        let trusted = self.trusted_audiences.clone();
        let (clock, leeway) = (self.clock.clone(), self.leeway);
        let (iat_clock, iat_leeway) = (self.clock.clone(), self.leeway);
        let verifier = verifier
            .set_allowed_algs(self.algorithms.iter().map(|a| a.to_core()))
            .set_other_audience_verifier_fn(move |aud: &Audience| {
                trusted.iter().any(|t| **aud == *t)
            })
            // `exp` passes while now − leeway < exp.
            .set_time_fn(move || {
                let now = clock.now();
                DateTime::<Utc>::from(now.checked_sub(leeway).unwrap_or(now))
            })
            .set_issue_time_verifier_fn(move |iat| {
                let now = iat_clock.now();
                let latest = DateTime::<Utc>::from(now.checked_add(iat_leeway).unwrap_or(now));
                if iat > latest {
                    Err(ISSUED_IN_FUTURE.to_owned())
                } else {
                    Ok(())
                }
            });
        let expected_nonce = checks.nonce.map(|n| Nonce::new(n.to_owned()));
        let nonce_check = |found: Option<&Nonce>| match &expected_nonce {
            Some(expected) => expected.verify(found),
            None => Ok(()),
        };
        let claims = token
            .claims(&verifier, nonce_check)
            .map_err(|e| self.failure(e, unverified))?;

        if let (Some(access_token), Some(at_hash)) =
            (checks.access_token, claims.access_token_hash())
        {
            let alg = unverified.algorithm.to_core();
            let access_token = AccessToken::new(access_token.to_owned());
            let computed = match &self.hmac_secret {
                Some(secret) if unverified.algorithm.is_symmetric() => {
                    let key = CoreJsonWebKey::new_symmetric(secret.secret().as_bytes().to_vec());
                    AccessTokenHash::from_token(&access_token, &alg, &key)
                }
                _ => {
                    let key = token
                        .signing_key(&verifier)
                        .map_err(|_| IdTokenError::UnknownKey)?;
                    AccessTokenHash::from_token(&access_token, &alg, key)
                }
            };
            if computed.ok().as_ref() != Some(at_hash) {
                return Err(IdTokenError::Claim {
                    claim: "at_hash".to_owned(),
                }
                .into());
            }
        }

        Ok(VerifiedIdToken {
            claims: unverified.claims.clone(),
            subject: unverified.subject.clone(),
            issuer: unverified.issuer.clone(),
            audiences: unverified.audiences.clone(),
            expires_at: claims.expiration().into(),
            issued_at: claims.issue_time().into(),
            algorithm: unverified.algorithm,
            key_id: unverified.key_id.clone(),
        })
    }

    fn failure(&self, error: ClaimsVerificationError, unverified: &Unverified) -> Failure {
        use ClaimsVerificationError as C;
        use SignatureVerificationError as S;
        let error = match error {
            C::SignatureVerification(S::NoMatchingKey) => return Failure::NoMatchingKey,
            C::SignatureVerification(S::CryptoError(_) | S::Other(_)) => IdTokenError::Signature,
            C::SignatureVerification(S::InvalidKey(_)) => IdTokenError::UnknownKey,
            C::SignatureVerification(S::AmbiguousKeyId(_)) => IdTokenError::Malformed(
                "the token names no `kid` and the issuer has several keys for its algorithm"
                    .to_owned(),
            ),
            C::SignatureVerification(S::NoSignature) => IdTokenError::Algorithm("none".to_owned()),
            C::SignatureVerification(S::DisallowedAlg(_) | S::UnsupportedAlg(_)) => {
                IdTokenError::Algorithm(unverified.algorithm.to_string())
            }
            C::Expired(reason) if reason == ISSUED_IN_FUTURE => IdTokenError::IssuedInFuture,
            C::Expired(_) => IdTokenError::Expired,
            C::InvalidAudience(_) => IdTokenError::Audience,
            C::InvalidIssuer(_) => IdTokenError::Issuer {
                expected: self.issuer.clone(),
                found: printable(&unverified.issuer),
            },
            C::InvalidNonce(_) => IdTokenError::Nonce,
            C::InvalidSubject(_) => IdTokenError::Claim {
                claim: "sub".to_owned(),
            },
            C::InvalidAuthContext(_) => IdTokenError::Claim {
                claim: "acr".to_owned(),
            },
            C::InvalidAuthTime(_) => IdTokenError::Claim {
                claim: "auth_time".to_owned(),
            },
            // `typ`, `cty` and `crit` headers it does not support; messages name the
            // header value only.
            C::Unsupported(reason) | C::Other(reason) => IdTokenError::Malformed(reason),
            // `ClaimsVerificationError` is non-exhaustive.
            _ => IdTokenError::Signature,
        };
        Failure::Invalid(error)
    }
}

impl fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenVerifier")
            .field("issuer", &self.issuer)
            .field("jwks", &self.jwks)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("trusted_audiences", &self.trusted_audiences)
            .finish_non_exhaustive()
    }
}

/// An attacker-chosen string fit for an error message: short, printable.
fn printable(value: &str) -> String {
    let mut out: String = value
        .chars()
        .map(|c| if c.is_control() { '?' } else { c })
        .take(100)
        .collect();
    if value.chars().count() > 100 {
        out.push('…');
    }
    out
}
