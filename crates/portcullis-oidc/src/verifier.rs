//! [`IdTokenVerifier`]: ID-token validation per OpenID Connect Core 1.0 §3.1.3.7, on
//! top of `openidconnect`'s JWS signature verification, with a shared [`Jwks`] cache.

use std::fmt;
use std::sync::Arc;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJsonWebKey, CoreJsonWebKeySet, CoreJwsSigningAlgorithm};
use openidconnect::{
    AccessToken, AccessTokenHash, ClientSecret, JsonWebKey, JsonWebKeyAlgorithm, JsonWebKeyUse,
    JsonWebTokenType, JwsSigningAlgorithm, Nonce, NonceVerifier, SignatureVerificationError,
};
use portcullis::{Error, HttpClient, IdTokenError, Refreshed, UserRequest};
use serde::de::DeserializeOwned;
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::claims;
use crate::clock::Clock;
use crate::jwks::Jwks;

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
/// 1. a compact JWS (three parts, a JSON header and payload, a base64url signature)
///    without `cty` or `crit` headers and with a `typ`, if any, of `JWT` or `JOSE` — else
///    `Malformed`; an encrypted token (JWE) is refused;
/// 2. the header's `alg` is on the allow-list — else `Algorithm` (`none` never is);
/// 3. `iss`, `sub`, `aud`, `exp` and `iat` are present with their types, and every
///    other standard claim present has its standard type (`email_verified` a boolean or
///    `"true"`/`"false"`, `auth_time` a time, `amr` a list of strings, …) — else `Claim`
///    naming it;
/// 4. `iss` is the issuer or one of its [aliases](Self::issuer_alias), exactly, as
///    strings — or, with [`issuer_from_claim`](Self::issuer_from_claim), the issuer
///    chosen by the token's claim — else `Issuer`;
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
/// Steps 1–5 read the token before its signature is checked, and refuse it without a
/// request; a token is accepted only once every step passed. No message ever contains
/// the token.
#[derive(Clone)]
pub struct IdTokenVerifier {
    issuer: String,
    issuer_aliases: Vec<String>,
    issuer_from_claim: Option<IssuerFromClaim>,
    jwks: Jwks,
    algorithms: Vec<Algorithm>,
    leeway: Duration,
    clock: Clock,
    hmac_secret: Option<ClientSecret>,
    trusted_audiences: Vec<String>,
}

/// Maps a claim's value to the issuer a token with that value must have.
type IssuerFn = dyn Fn(&str) -> Result<String, IdTokenError> + Send + Sync;

/// The issuer a token must have, chosen by one of its claims.
#[derive(Clone)]
struct IssuerFromClaim {
    claim: String,
    issuer: Arc<IssuerFn>,
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

/// Claims that describe the token or the authentication rather than the user: userinfo
/// never replaces them.
fn is_protocol_claim(name: &str) -> bool {
    claims::TOKEN_CLAIMS.contains(&name) || ["sub", "auth_time", "acr", "amr"].contains(&name)
}

impl VerifiedIdToken {
    /// The subject (`sub`): the user's stable id at the issuer.
    pub fn subject(&self) -> &str {
        &self.subject
    }

    /// The issuer (`iss`), as the token spells it: the verifier's issuer or one of its
    /// aliases.
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

    /// The claims as `T`: a provider crate's typed claims. The helpers of
    /// [`claims`](crate::claims) read the shapes issuers really send.
    ///
    /// # Errors
    ///
    /// [`IdTokenError::Claim`] naming the first claim that does not fit `T` (never its
    /// value).
    pub fn deserialize<T: DeserializeOwned>(&self) -> Result<T, Error> {
        claims::from_map(self.claims.clone())
    }

    /// The claims, owned.
    pub fn into_claims(self) -> Map<String, Value> {
        self.claims
    }

    /// Merges a userinfo response into the token's claims (OpenID Connect Core 1.0
    /// §5.3.2): the userinfo's `sub` must be the token's, then its claims replace the
    /// token's of the same name — except the claims about the token itself (`iss`,
    /// `aud`, `exp`, `nonce`, …) and the authentication (`auth_time`, `acr`, `amr`),
    /// which stay the token's.
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
            if !is_protocol_claim(&name) {
                claims.insert(name, value);
            }
        }
        Ok(claims)
    }

    /// [`merge_userinfo`](Self::merge_userinfo), then the merged claims as `T`: the user
    /// of a provider crate whose issuer splits the claims between the ID token and
    /// userinfo.
    ///
    /// ```
    /// # use portcullis::{Error, UserRequest};
    /// # use portcullis_oidc::IdTokenVerifier;
    /// # use serde_json::{Map, Value};
    /// # #[derive(serde::Deserialize)] struct AcmeUser { sub: String }
    /// # async fn fetch_user(verifier: &IdTokenVerifier, request: UserRequest<'_>) -> Result<AcmeUser, Error> {
    /// let verified = verifier.verify_user_request(&request).await?;
    /// let userinfo: Map<String, Value> = request.get(request.userinfo_url()?.clone()).send().await?;
    /// verified.merge_userinfo_as(userinfo)
    /// # }
    /// ```
    ///
    /// # Errors
    ///
    /// [`IdTokenError::SubjectMismatch`] as [`merge_userinfo`](Self::merge_userinfo);
    /// [`IdTokenError::Claim`] naming the first merged claim that does not fit `T`.
    pub fn merge_userinfo_as<T: DeserializeOwned>(
        self,
        userinfo: Map<String, Value>,
    ) -> Result<T, Error> {
        claims::from_map(self.merge_userinfo(userinfo)?)
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

/// The token, read before any verification.
struct Unverified {
    algorithm: Algorithm,
    key_id: Option<String>,
    /// `header.payload`: what the signature covers.
    signing_input: String,
    signature: Vec<u8>,
    claims: Map<String, Value>,
    subject: String,
    issuer: String,
    audiences: Vec<String>,
    expires_at: SystemTime,
    issued_at: SystemTime,
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

/// The verdict of a last attempt: no matching key is then an unknown key.
fn verdict(result: Result<VerifiedIdToken, Failure>) -> Result<VerifiedIdToken, Error> {
    match result {
        Ok(verified) => Ok(verified),
        Err(Failure::Invalid(e)) => Err(e.into()),
        Err(Failure::NoMatchingKey) => Err(IdTokenError::UnknownKey.into()),
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
            issuer_aliases: Vec::new(),
            issuer_from_claim: None,
            jwks,
            algorithms: vec![Algorithm::Rs256],
            leeway: Self::DEFAULT_LEEWAY,
            clock: Clock::system(),
            hmac_secret: None,
            trusted_audiences: Vec::new(),
        }
    }

    /// Accepts `alias` too as the token's `iss`: another spelling of the same issuer that
    /// the issuer documents, such as Google's `accounts.google.com` beside
    /// `https://accounts.google.com`. Compared exactly, as a string: neither the issuer
    /// nor its aliases are read as URLs. Errors keep naming the issuer given to
    /// [`new`](Self::new).
    ///
    /// ```
    /// use portcullis_oidc::{IdTokenVerifier, Jwks};
    ///
    /// let google = IdTokenVerifier::new(
    ///     "https://accounts.google.com",
    ///     Jwks::new("https://www.googleapis.com/oauth2/v3/certs".parse()?),
    /// )
    /// .issuer_alias("accounts.google.com");
    /// assert_eq!(google.issuer_aliases(), ["accounts.google.com"]);
    /// # Ok::<(), url::ParseError>(())
    /// ```
    #[must_use]
    pub fn issuer_alias(mut self, alias: impl Into<String>) -> Self {
        self.issuer_aliases.push(alias.into());
        self
    }

    /// Chooses the issuer a token must have from its claim `claim`, for issuers whose
    /// identifier depends on the user: Microsoft Entra ID's
    /// `https://login.microsoftonline.com/{tid}/v2.0`, filled with the tenant of the
    /// token's `tid`. Replaces the issuer given to [`new`](Self::new) (which then only
    /// names the issuer, a template for instance, in [`issuer`](Self::issuer)) and its
    /// aliases.
    ///
    /// The claim must be a non-empty string, else [`IdTokenError::Claim`] naming it.
    /// `issuer` maps its value to the issuer the token's `iss` must then be, exactly, or
    /// refuses it with its own error (a tenant that may not sign in:
    /// [`IdTokenError::Issuer`]; a value of the wrong shape: [`IdTokenError::Claim`]).
    ///
    /// This is safe with an unverified claim. The claim is read before the signature is
    /// checked, only to pick the issuer to compare `iss` with, so a token whose tenant
    /// is refused costs no key set request; but a token is *accepted* only once its
    /// signature — which covers the claim and `iss` alike — verifies with the issuer's
    /// key. The claim of a [`VerifiedIdToken`] is thus the one the issuer signed, and
    /// its `iss` is `issuer(claim)`. `issuer` must be a pure function of the value and
    /// must not act on it otherwise: when it is called, the value is not verified yet.
    ///
    /// ```
    /// use portcullis::IdTokenError;
    /// use portcullis_oidc::{IdTokenVerifier, Jwks};
    ///
    /// let entra = IdTokenVerifier::new(
    ///     "https://login.microsoftonline.com/{tenantid}/v2.0",
    ///     Jwks::new("https://login.microsoftonline.com/common/discovery/v2.0/keys".parse()?),
    /// )
    /// .issuer_from_claim("tid", |tid| {
    ///     if tid.len() == 36 && tid.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
    ///         Ok(format!("https://login.microsoftonline.com/{tid}/v2.0"))
    ///     } else {
    ///         Err(IdTokenError::Claim { claim: "tid".to_owned() })
    ///     }
    /// });
    /// assert_eq!(entra.issuer(), "https://login.microsoftonline.com/{tenantid}/v2.0");
    /// # Ok::<(), url::ParseError>(())
    /// ```
    #[must_use]
    pub fn issuer_from_claim<F>(mut self, claim: impl Into<String>, issuer: F) -> Self
    where
        F: Fn(&str) -> Result<String, IdTokenError> + Send + Sync + 'static,
    {
        self.issuer_from_claim = Some(IssuerFromClaim {
            claim: claim.into(),
            issuer: Arc::new(issuer),
        });
        self
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

    /// The issuer tokens must come from; with
    /// [`issuer_from_claim`](Self::issuer_from_claim), what names it (a template).
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The other spellings of the issuer accepted in `iss`.
    pub fn issuer_aliases(&self) -> &[String] {
        &self.issuer_aliases
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

    /// Verifies the ID token a refresh returned, from what
    /// [`Refresh::check_refreshed`](portcullis::Refresh::check_refreshed) receives:
    /// every check of a sign-in's token but the `nonce`, which a refreshed token does not
    /// carry (OpenID Connect Core 1.0 §12.2). `None` when the refresh returned no ID
    /// token, which is usual.
    ///
    /// ```no_run
    /// use portcullis::{Error, Refresh, Refreshed};
    /// # use portcullis::{Provider, ProviderInfo, UserRequest};
    /// # use portcullis_oidc::{IdTokenVerifier, OidcUser};
    /// # struct Acme { verifier: IdTokenVerifier }
    /// # impl Provider for Acme {
    /// #     type User = OidcUser;
    /// #     const INFO: ProviderInfo = portcullis_oidc::Oidc::INFO;
    /// #     async fn fetch_user(&self, _: UserRequest<'_>) -> Result<OidcUser, Error> { todo!() }
    /// # }
    ///
    /// impl Refresh for Acme {
    ///     async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
    ///         self.verifier.verify_refreshed(&refreshed).await.map(drop)
    ///     }
    /// }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`verify`](Self::verify).
    pub async fn verify_refreshed(
        &self,
        refreshed: &Refreshed<'_>,
    ) -> Result<Option<VerifiedIdToken>, Error> {
        let tokens = refreshed.tokens();
        let Some(id_token) = tokens.id_token() else {
            return Ok(None);
        };
        let checks =
            IdTokenChecks::new(refreshed.client_id()).access_token(tokens.access_token().secret());
        self.verify(
            refreshed.http(),
            refreshed.provider_id(),
            id_token.secret(),
            &checks,
        )
        .await
        .map(Some)
    }

    /// Verifies the ID token of a sign-in as [`verify_user_request`](Self::verify_user_request),
    /// then fetches the userinfo endpoint with the access token and reads the token's
    /// claims merged with its answer as `T`
    /// ([`VerifiedIdToken::merge_userinfo_as`]): the whole `fetch_user` of a provider
    /// whose issuer splits the user's claims between the two (Keycloak, Okta,
    /// Salesforce). Userinfo is not requested unless the token verifies.
    ///
    /// # Errors
    ///
    /// As [`verify_user_request`](Self::verify_user_request); then [`Error::Config`] when
    /// the provider has no userinfo endpoint, [`Error::Request`] when userinfo fails,
    /// [`IdTokenError::SubjectMismatch`] when its `sub` is not the token's, and
    /// [`IdTokenError::Claim`] naming the first merged claim that does not fit `T`.
    pub async fn verify_user_request_with_userinfo<T: DeserializeOwned>(
        &self,
        request: &UserRequest<'_>,
    ) -> Result<T, Error> {
        let verified = self.verify_user_request(request).await?;
        let userinfo: Map<String, Value> =
            request.get(request.userinfo_url()?.clone()).send().await?;
        verified.merge_userinfo_as(userinfo)
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
        if unverified.algorithm.is_symmetric() {
            return verdict(self.check(&unverified, checks, &CoreJsonWebKeySet::new(Vec::new())));
        }
        let keys = self.jwks.current(http, provider).await?;
        match self.check(&unverified, checks, &keys.keys) {
            Err(Failure::NoMatchingKey) => {}
            attempt => return verdict(attempt),
        }
        let Some(fresh) = self.jwks.refresh(http, provider, &keys).await? else {
            return Err(IdTokenError::UnknownKey.into());
        };
        verdict(self.check(&unverified, checks, &fresh.keys))
    }

    /// Steps 1–5: structure, algorithm, claims and their types, issuer, audience.
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
        check_header(&header)?;
        let signature = URL_SAFE_NO_PAD
            .decode(parts[2])
            .map_err(|_| malformed("the signature is not base64url"))?;

        let string = |name: &str| match payload.get(name) {
            Some(Value::String(s)) if !s.is_empty() => Ok(s.clone()),
            _ => Err(claim(name)),
        };
        let issuer = string("iss")?;
        let subject = string("sub")?;
        let audiences = match payload.get("aud") {
            Some(Value::String(aud)) => vec![aud.clone()],
            Some(Value::Array(list)) if !list.is_empty() => list
                .iter()
                .map(|a| a.as_str().map(str::to_owned))
                .collect::<Option<Vec<_>>>()
                .ok_or_else(|| claim("aud"))?,
            _ => return Err(claim("aud")),
        };
        let time = |name: &str| {
            payload
                .get(name)
                .and_then(seconds)
                .ok_or_else(|| claim(name))
        };
        let expires_at = time("exp")?;
        let issued_at = time("iat")?;
        check_claim_types(&payload)?;

        let expected = match &self.issuer_from_claim {
            Some(rule) => (rule.issuer)(&string(&rule.claim)?)?,
            None if issuer == self.issuer || self.issuer_aliases.contains(&issuer) => {
                issuer.clone()
            }
            None => self.issuer.clone(),
        };
        if issuer != expected {
            return Err(IdTokenError::Issuer {
                expected,
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
            signing_input: format!("{}.{}", parts[0], parts[1]),
            signature,
            claims: payload,
            subject,
            issuer,
            audiences,
            expires_at,
            issued_at,
        })
    }

    /// Steps 6–9 with one key set: signature, time, nonce, `at_hash`.
    fn check(
        &self,
        unverified: &Unverified,
        checks: &IdTokenChecks<'_>,
        keys: &CoreJsonWebKeySet,
    ) -> Result<VerifiedIdToken, Failure> {
        let alg = unverified.algorithm.to_core();
        let secret_key;
        let key = if unverified.algorithm.is_symmetric() {
            let secret = self
                .hmac_secret
                .as_ref()
                .ok_or_else(|| IdTokenError::Algorithm(unverified.algorithm.to_string()))?;
            secret_key = CoreJsonWebKey::new_symmetric(secret.secret().as_bytes().to_vec());
            &secret_key
        } else {
            signing_key(keys, unverified.key_id.as_deref(), &alg)?
        };
        key.verify_signature(
            &alg,
            unverified.signing_input.as_bytes(),
            &unverified.signature,
        )
        .map_err(|e| match e {
            SignatureVerificationError::InvalidKey(_) => IdTokenError::UnknownKey,
            SignatureVerificationError::DisallowedAlg(_)
            | SignatureVerificationError::UnsupportedAlg(_) => {
                IdTokenError::Algorithm(unverified.algorithm.to_string())
            }
            _ => IdTokenError::Signature,
        })?;

        // `exp` passes while now − leeway < exp; `iat` while iat ≤ now + leeway.
        let now = self.clock.now();
        if unverified.expires_at <= now.checked_sub(self.leeway).unwrap_or(now) {
            return Err(IdTokenError::Expired.into());
        }
        if unverified.issued_at > now.checked_add(self.leeway).unwrap_or(now) {
            return Err(IdTokenError::IssuedInFuture.into());
        }

        if let Some(expected) = checks.nonce {
            let found = unverified
                .claims
                .get("nonce")
                .and_then(Value::as_str)
                .map(|nonce| Nonce::new(nonce.to_owned()));
            // A comparison of hashes, in constant time for the nonce's length.
            (&Nonce::new(expected.to_owned()))
                .verify(found.as_ref())
                .map_err(|_| IdTokenError::Nonce)?;
        }

        if let (Some(access_token), Some(at_hash)) = (
            checks.access_token,
            unverified.claims.get("at_hash").and_then(Value::as_str),
        ) {
            let computed =
                AccessTokenHash::from_token(&AccessToken::new(access_token.to_owned()), &alg, key);
            if computed.ok() != Some(AccessTokenHash::new(at_hash.to_owned())) {
                return Err(claim("at_hash").into());
            }
        }

        Ok(VerifiedIdToken {
            claims: unverified.claims.clone(),
            subject: unverified.subject.clone(),
            issuer: unverified.issuer.clone(),
            audiences: unverified.audiences.clone(),
            expires_at: unverified.expires_at,
            issued_at: unverified.issued_at,
            algorithm: unverified.algorithm,
            key_id: unverified.key_id.clone(),
        })
    }
}

impl fmt::Debug for IdTokenVerifier {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("IdTokenVerifier")
            .field("issuer", &self.issuer)
            .field("issuer_aliases", &self.issuer_aliases)
            .field(
                "issuer_from_claim",
                &self.issuer_from_claim.as_ref().map(|rule| &rule.claim),
            )
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

fn claim(name: &str) -> IdTokenError {
    IdTokenError::Claim {
        claim: name.to_owned(),
    }
}

/// The JOSE header parameters a verifier must understand (RFC 7515 §4.1): `typ`, if
/// any, says JWT; no `cty` (a nested token), no `crit` (extensions it does not know).
fn check_header(header: &Map<String, Value>) -> Result<(), IdTokenError> {
    match header.get("typ") {
        None => {}
        Some(Value::String(typ)) => {
            let known = JsonWebTokenType::new(typ.clone())
                .normalize()
                .is_ok_and(|t| *t == "application/jwt" || *t == "application/jose");
            if !known {
                return Err(IdTokenError::Malformed(format!(
                    "unsupported token type `{}`",
                    printable(typ)
                )));
            }
        }
        Some(_) => {
            return Err(IdTokenError::Malformed(
                "the header's `typ` is not a string".to_owned(),
            ));
        }
    }
    if header.contains_key("cty") {
        return Err(IdTokenError::Malformed(
            "nested or content-typed tokens (`cty`) are not supported".to_owned(),
        ));
    }
    if header.contains_key("crit") {
        return Err(IdTokenError::Malformed(
            "critical header parameters (`crit`) are not supported".to_owned(),
        ));
    }
    Ok(())
}

/// The issuer's key for a token signed with `alg` naming `kid`, chosen as OpenID Connect
/// Core 1.0 §10.1 says: the key with that `kid` (any key when the token names none) whose
/// type fits the algorithm, whose `use`, if any, is signing and whose `alg`, if any, is
/// the token's. One key must fit: none is a key to look for, several are ambiguous.
fn signing_key<'k>(
    keys: &'k CoreJsonWebKeySet,
    kid: Option<&str>,
    alg: &CoreJwsSigningAlgorithm,
) -> Result<&'k CoreJsonWebKey, Failure> {
    let fits = |key: &&CoreJsonWebKey| {
        kid.is_none_or(|kid| key.key_id().is_some_and(|id| id.as_str() == kid))
            && key.key_use().is_none_or(JsonWebKeyUse::allows_signature)
            && alg.key_type().as_ref() == Some(key.key_type())
            && match key.signing_alg() {
                JsonWebKeyAlgorithm::Unspecified => true,
                JsonWebKeyAlgorithm::Algorithm(key_alg) => key_alg == alg,
                JsonWebKeyAlgorithm::Unsupported => false,
            }
    };
    let mut candidates = keys.keys().iter().filter(fits);
    match (candidates.next(), candidates.next()) {
        (None, _) => Err(Failure::NoMatchingKey),
        (Some(key), None) => Ok(key),
        (Some(_), Some(_)) => Err(IdTokenError::Malformed(match kid {
            None => "the token names no `kid` and the issuer has several keys for its algorithm"
                .to_owned(),
            Some(_) => {
                "the issuer has several keys with the token's `kid` for its algorithm".to_owned()
            }
        })
        .into()),
    }
}

/// A NumericDate (RFC 7519 §2): seconds since the epoch, whole or not, as a time.
fn seconds(value: &Value) -> Option<SystemTime> {
    let Value::Number(number) = value else {
        return None;
    };
    if let Some(secs) = number.as_u64() {
        return UNIX_EPOCH.checked_add(Duration::from_secs(secs));
    }
    if let Some(secs) = number.as_i64() {
        return UNIX_EPOCH.checked_sub(Duration::from_secs(secs.unsigned_abs()));
    }
    let secs = number.as_f64()?;
    let offset = Duration::try_from_secs_f64(secs.abs()).ok()?;
    if secs >= 0.0 {
        UNIX_EPOCH.checked_add(offset)
    } else {
        UNIX_EPOCH.checked_sub(offset)
    }
}

/// The fields of the `address` claim (OpenID Connect Core 1.0 §5.1.1), all strings.
const ADDRESS_FIELDS: &[&str] = &[
    "formatted",
    "street_address",
    "locality",
    "region",
    "postal_code",
    "country",
];

/// Step 3: the other standard claims (OpenID Connect Core 1.0 §2 and §5.1) have their
/// types, localized variants (`name#ja-Kana-JP`, §5.2) included; `null` stands for an
/// absent claim. A claim of another type is `Claim` naming it, never showing its value.
fn check_claim_types(payload: &Map<String, Value>) -> Result<(), IdTokenError> {
    for (name, value) in payload {
        let base = name.split_once('#').map_or(name.as_str(), |(base, _)| base);
        let fits = value.is_null()
            || match base {
                "name" | "given_name" | "family_name" | "middle_name" | "nickname" | "profile"
                | "picture" | "website" => value.is_string(),
                // Only the claims above have localized variants.
                _ if base.len() != name.len() => true,
                "nonce" | "acr" | "at_hash" | "c_hash" | "preferred_username" | "email"
                | "gender" | "birthdate" | "birthday" | "zoneinfo" | "locale" | "phone_number" => {
                    value.is_string()
                }
                "email_verified" | "phone_number_verified" => claims::is_lenient_bool(value),
                // Seconds, or an RFC 3339 date where issuers send one (Auth0's
                // `updated_at`).
                "auth_time" | "updated_at" => match value {
                    Value::String(date) => chrono::DateTime::parse_from_rfc3339(date).is_ok(),
                    number => seconds(number).is_some(),
                },
                "amr" => value
                    .as_array()
                    .is_some_and(|methods| methods.iter().all(Value::is_string)),
                "address" => value.as_object().is_some_and(|address| {
                    ADDRESS_FIELDS.iter().all(|field| {
                        address
                            .get(*field)
                            .is_none_or(|v| v.is_null() || v.is_string())
                    })
                }),
                _ => true,
            };
        if !fits {
            return Err(claim(name));
        }
    }
    Ok(())
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

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn types(claims: Value) -> Result<(), IdTokenError> {
        check_claim_types(claims.as_object().unwrap())
    }

    #[test]
    fn standard_claims_of_another_type_are_named() {
        types(json!({
            "name": "Jane", "name#ja-Kana-JP": "ジェーン", "email": "j@example.com",
            "email_verified": "true", "phone_number_verified": false, "auth_time": 1_700_000_000,
            "updated_at": "2024-05-02T09:13:48.321Z", "amr": ["pwd", "mfa"],
            "address": {"country": "FR", "extra": 1}, "picture": null, "custom": {"any": 1},
            "x#y": 2,
        }))
        .unwrap();
        for (name, value) in [
            ("email_verified", json!("yes")),
            ("phone_number_verified", json!(1)),
            ("email", json!(["j@example.com"])),
            ("name#fr", json!(7)),
            ("auth_time", json!("yesterday")),
            ("updated_at", json!(true)),
            ("amr", json!("pwd")),
            ("amr", json!(["pwd", 1])),
            ("address", json!("1 rue de la Paix")),
            ("address", json!({"country": 33})),
            ("nonce", json!(42)),
            ("at_hash", json!({})),
        ] {
            assert_eq!(
                types(json!({ name: value })),
                Err(claim(name)),
                "{name}: {value}"
            );
        }
    }

    #[test]
    fn numeric_dates_whole_or_not() {
        assert_eq!(
            seconds(&json!(1_700_000_000)),
            Some(UNIX_EPOCH + Duration::from_secs(1_700_000_000))
        );
        assert_eq!(
            seconds(&json!(1.5)),
            Some(UNIX_EPOCH + Duration::from_millis(1500))
        );
        assert_eq!(
            seconds(&json!(-1)),
            UNIX_EPOCH.checked_sub(Duration::from_secs(1))
        );
        assert_eq!(seconds(&json!("1700000000")), None);
        assert_eq!(seconds(&json!(1e300)), None);
    }

    #[test]
    fn headers_that_change_the_meaning_are_refused() {
        let header = |value: Value| check_header(value.as_object().unwrap());
        for ok in [
            json!({"alg": "RS256"}),
            json!({"alg": "RS256", "typ": "JWT"}),
            json!({"alg": "RS256", "typ": "jwt"}),
            json!({"alg": "RS256", "typ": "application/jose"}),
        ] {
            header(ok.clone()).unwrap_or_else(|e| panic!("{ok}: {e:?}"));
        }
        for bad in [
            json!({"typ": "at+jwt"}),
            json!({"typ": 1}),
            json!({"cty": "JWT"}),
            json!({"crit": ["exp"]}),
        ] {
            assert!(
                matches!(header(bad.clone()), Err(IdTokenError::Malformed(_))),
                "{bad}"
            );
        }
    }
}
