//! [`Oidc`]: the generic OpenID Connect provider.

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use portcullis::{
    ClientAuth, Endpoints, Error, HttpClient, IdToken, Pkce, Provider, ProviderInfo, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use serde_json::{Map, Value};

use crate::algorithm::Algorithm;
use crate::clock::Clock;
use crate::jwks::Jwks;
use crate::metadata::OidcMetadata;
use crate::user::OidcUser;
use crate::verifier::IdTokenVerifier;

/// Any OpenID provider, configured from its issuer's metadata: Keycloak, Authentik,
/// Zitadel, Okta, Auth0, Dex, `oidc-provider`, …
///
/// Make one with [`Oidc::discover`] (or [`Oidc::from_metadata`]) at start-up, hand it to
/// [`OAuthClient::new`](portcullis::OAuthClient::new), and name it with
/// [`OAuthClient::with_id`](portcullis::OAuthClient::with_id) so users of different
/// issuers never share keys. Clones share the key set cache.
///
/// Every sign-in uses the authorization code flow with PKCE (S256) and a `nonce`; the ID
/// token is verified ([`IdTokenVerifier`]), then the userinfo response is fetched (when
/// the issuer has the endpoint) and merged into its claims, and the [`OidcUser`] comes
/// out.
#[derive(Clone)]
pub struct Oidc {
    inner: Arc<Inner>,
}

struct Inner {
    metadata: OidcMetadata,
    verifier: IdTokenVerifier,
    client_auth: ClientAuth,
    userinfo: bool,
}

/// How an [`Oidc`] provider verifies and authenticates; every field has a default.
///
/// ```
/// use std::time::Duration;
/// use portcullis::ClientAuth;
/// use portcullis_oidc::{Algorithm, OidcOptions};
///
/// let options = OidcOptions::new()
///     .client_auth(ClientAuth::RequestBody)
///     .algorithms([Algorithm::Rs256, Algorithm::Es256])
///     .leeway(Duration::from_secs(30));
/// ```
#[derive(Clone)]
#[must_use]
pub struct OidcOptions {
    client_auth: Option<ClientAuth>,
    algorithms: Option<Vec<Algorithm>>,
    leeway: Duration,
    clock: Clock,
    jwks_min_refresh_interval: Duration,
    jwks_max_age: Duration,
    hmac_secret: Option<String>,
    trusted_audiences: Vec<String>,
    userinfo: bool,
}

impl Default for OidcOptions {
    fn default() -> Self {
        OidcOptions {
            client_auth: None,
            algorithms: None,
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
            jwks_min_refresh_interval: Jwks::DEFAULT_MIN_REFRESH_INTERVAL,
            jwks_max_age: Jwks::DEFAULT_MAX_AGE,
            hmac_secret: None,
            trusted_audiences: Vec::new(),
            userinfo: true,
        }
    }
}

impl fmt::Debug for OidcOptions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("OidcOptions")
            .field("client_auth", &self.client_auth)
            .field("algorithms", &self.algorithms)
            .field("leeway", &self.leeway)
            .field("jwks_min_refresh_interval", &self.jwks_min_refresh_interval)
            .field("jwks_max_age", &self.jwks_max_age)
            .field(
                "hmac_secret",
                &self.hmac_secret.as_ref().map(|_| "[redacted]"),
            )
            .field("trusted_audiences", &self.trusted_audiences)
            .field("userinfo", &self.userinfo)
            .finish_non_exhaustive()
    }
}

impl OidcOptions {
    /// The defaults.
    pub fn new() -> Self {
        Self::default()
    }

    /// How the client authenticates at the token and revocation endpoints:
    /// `client_secret_basic` ([`ClientAuth::Basic`]) or `client_secret_post`
    /// ([`ClientAuth::RequestBody`]). A public client
    /// ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only its
    /// `client_id` whatever this says; [`ClientAuth::None`] also refuses a configuration
    /// with a secret.
    ///
    /// Default: `client_secret_basic` when the issuer accepts it (or lists no methods),
    /// else `client_secret_post` when it accepts that.
    pub fn client_auth(mut self, client_auth: ClientAuth) -> Self {
        self.client_auth = Some(client_auth);
        self
    }

    /// The algorithms ID tokens may be signed with.
    ///
    /// Default: those the issuer lists in `id_token_signing_alg_values_supported` that
    /// sign with the issuer's own key (HMAC and `none` excluded), or `RS256` when it
    /// lists none. HMAC algorithms need [`hmac_secret`](Self::hmac_secret).
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = Some(algorithms.into_iter().collect());
        self
    }

    /// The allowed clock skew for `exp` and `iat`. Default:
    /// [`IdTokenVerifier::DEFAULT_LEEWAY`] (60 s).
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for ID-token times and the key set refresh limit. Default: the system
    /// clock.
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The least time between two key set fetches caused by ID tokens naming an unknown
    /// key. Default: [`Jwks::DEFAULT_MIN_REFRESH_INTERVAL`] (30 s).
    pub fn jwks_min_refresh_interval(mut self, interval: Duration) -> Self {
        self.jwks_min_refresh_interval = interval;
        self
    }

    /// How old the cached key set may get before it is fetched again, so that keys the
    /// issuer withdrew stop being trusted. Default: [`Jwks::DEFAULT_MAX_AGE`] (a day).
    pub fn jwks_max_age(mut self, max_age: Duration) -> Self {
        self.jwks_max_age = max_age;
        self
    }

    /// The client secret, for issuers that sign ID tokens with HMAC keyed by it; allow
    /// the `HS*` algorithm with [`algorithms`](Self::algorithms) too.
    pub fn hmac_secret(mut self, secret: impl Into<String>) -> Self {
        self.hmac_secret = Some(secret.into());
        self
    }

    /// Accepts `audience` beside the client id in an ID token's `aud`; see
    /// [`IdTokenVerifier::trust_audience`].
    pub fn trust_audience(mut self, audience: impl Into<String>) -> Self {
        self.trusted_audiences.push(audience.into());
        self
    }

    /// Whether to fetch the userinfo endpoint after verifying the ID token and merge its
    /// claims in. Default: true (when the issuer has the endpoint).
    pub fn userinfo(mut self, fetch: bool) -> Self {
        self.userinfo = fetch;
        self
    }
}

impl Oidc {
    /// Discovers the issuer (`{issuer}/.well-known/openid-configuration`) and builds the
    /// provider from its metadata; the key set is fetched on the first sign-in.
    ///
    /// `issuer` must be exactly the issuer identifier the provider uses in its tokens,
    /// trailing slash or not.
    ///
    /// # Errors
    ///
    /// As [`OidcMetadata::discover`] and [`Oidc::from_metadata`].
    pub async fn discover(
        issuer: &str,
        http: &HttpClient,
        options: OidcOptions,
    ) -> Result<Oidc, Error> {
        let metadata = OidcMetadata::discover(issuer, http).await?;
        Oidc::from_metadata(metadata, options)
    }

    /// The provider from known metadata, without network.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when no algorithm is allowed: the issuer lists only algorithms
    /// this crate does not verify, or [`OidcOptions::algorithms`] is empty or has an
    /// HMAC algorithm without [`OidcOptions::hmac_secret`].
    pub fn from_metadata(metadata: OidcMetadata, options: OidcOptions) -> Result<Oidc, Error> {
        let algorithms = match options.algorithms {
            Some(algorithms) => {
                if let Some(hmac) = algorithms.iter().find(|a| a.is_symmetric())
                    && options.hmac_secret.is_none()
                {
                    return Err(Error::Config(format!(
                        "{hmac} ID tokens are keyed with the client secret: set OidcOptions::hmac_secret"
                    )));
                }
                algorithms
            }
            None if metadata.id_token_signing_alg_values_supported.is_empty() => {
                vec![Algorithm::Rs256]
            }
            None => metadata
                .id_token_signing_alg_values_supported
                .iter()
                .filter_map(|name| Algorithm::from_name(name))
                .filter(|a| !a.is_symmetric())
                .collect(),
        };
        if algorithms.is_empty() {
            return Err(Error::Config(format!(
                "no allowed ID-token algorithm for `{}` (it lists {:?}): set OidcOptions::algorithms",
                metadata.issuer, metadata.id_token_signing_alg_values_supported
            )));
        }
        let client_auth = options.client_auth.unwrap_or_else(|| {
            match &metadata.token_endpoint_auth_methods_supported {
                Some(methods)
                    if !methods.iter().any(|m| m == "client_secret_basic")
                        && methods.iter().any(|m| m == "client_secret_post") =>
                {
                    ClientAuth::RequestBody
                }
                _ => ClientAuth::Basic,
            }
        });
        let jwks = Jwks::new(metadata.jwks_uri.clone())
            .with_min_refresh_interval(options.jwks_min_refresh_interval)
            .with_max_age(options.jwks_max_age)
            .with_clock(options.clock.clone());
        let mut verifier = IdTokenVerifier::new(metadata.issuer.clone(), jwks)
            .algorithms(algorithms)
            .leeway(options.leeway)
            .clock(options.clock);
        if let Some(secret) = options.hmac_secret {
            verifier = verifier.hmac_secret(secret);
        }
        for audience in options.trusted_audiences {
            verifier = verifier.trust_audience(audience);
        }
        Ok(Oidc {
            inner: Arc::new(Inner {
                metadata,
                verifier,
                client_auth,
                userinfo: options.userinfo,
            }),
        })
    }

    /// The issuer's metadata.
    pub fn metadata(&self) -> &OidcMetadata {
        &self.inner.metadata
    }

    /// The issuer identifier.
    pub fn issuer(&self) -> &str {
        &self.inner.metadata.issuer
    }

    /// The ID-token verifier, with the shared key set cache.
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.inner.verifier
    }

    /// The RP-initiated logout URL (OpenID Connect RP-Initiated Logout 1.0): where to
    /// send the user to end their session at the issuer too.
    ///
    /// ```
    /// # use portcullis_oidc::{LogoutRequest, Oidc, OidcMetadata, OidcOptions};
    /// # let mut metadata = OidcMetadata::new("https://id.example.com",
    /// #     "https://id.example.com/auth".parse()?, "https://id.example.com/token".parse()?,
    /// #     "https://id.example.com/jwks".parse()?);
    /// # metadata.end_session_endpoint = Some("https://id.example.com/logout".parse()?);
    /// # let oidc = Oidc::from_metadata(metadata, OidcOptions::new())?;
    /// let url = oidc.logout_url(
    ///     &LogoutRequest::new()
    ///         .client_id("my-app")
    ///         .post_logout_redirect_uri("https://app.example/signed-out".parse()?)
    ///         .state("xyz"),
    /// )?;
    /// assert_eq!(
    ///     url.as_str(),
    ///     "https://id.example.com/logout?client_id=my-app\
    ///      &post_logout_redirect_uri=https%3A%2F%2Fapp.example%2Fsigned-out&state=xyz"
    /// );
    /// # Ok::<(), Box<dyn std::error::Error>>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the issuer advertises no `end_session_endpoint`.
    pub fn logout_url(&self, request: &LogoutRequest) -> Result<Url, Error> {
        let mut url = self
            .inner
            .metadata
            .end_session_endpoint
            .clone()
            .ok_or_else(|| {
                Error::Config(format!(
                    "`{}` advertises no end_session_endpoint",
                    self.inner.metadata.issuer
                ))
            })?;
        {
            let mut query = url.query_pairs_mut();
            if let Some(hint) = &request.id_token_hint {
                query.append_pair("id_token_hint", hint.secret());
            }
            if let Some(client_id) = &request.client_id {
                query.append_pair("client_id", client_id);
            }
            if let Some(hint) = &request.logout_hint {
                query.append_pair("logout_hint", hint);
            }
            if let Some(uri) = &request.post_logout_redirect_uri {
                query.append_pair("post_logout_redirect_uri", uri.as_str());
            }
            if let Some(state) = &request.state {
                query.append_pair("state", state);
            }
            if let Some(locales) = &request.ui_locales {
                query.append_pair("ui_locales", locales);
            }
        }
        Ok(url)
    }
}

impl Provider for Oidc {
    type User = OidcUser;

    /// The endpoints and issuer come from the metadata, not from here: these URLs are
    /// placeholders that never resolve (`.invalid`).
    const INFO: ProviderInfo = ProviderInfo {
        id: crate::PROVIDER_ID,
        name: "OpenID Connect",
        authorization_url: "https://issuer.invalid/authorize",
        token_url: "https://issuer.invalid/token",
        revocation_url: None,
        userinfo_url: None,
        issuer: None,
        default_scopes: &["openid"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim (ID token merged with userinfo), true only when the issuer says true",
        docs_url: "https://openid.net/specs/openid-connect-core-1_0.html",
    };

    /// From the metadata; `issuer` is set and required (so the callback's `iss` must be
    /// present and match, RFC 9207) only when the issuer advertises
    /// `authorization_response_iss_parameter_supported`.
    fn endpoints(&self) -> Endpoints {
        let metadata = &self.inner.metadata;
        Endpoints {
            authorization: metadata.authorization_endpoint.clone(),
            token: metadata.token_endpoint.clone(),
            revocation: metadata.revocation_endpoint.clone(),
            userinfo: metadata.userinfo_endpoint.clone(),
            issuer: metadata
                .authorization_response_iss_parameter_supported
                .then(|| metadata.issuer.clone()),
            issuer_required: metadata.authorization_response_iss_parameter_supported,
        }
    }

    fn client_auth(&self) -> ClientAuth {
        self.inner.client_auth
    }

    /// Verifies the ID token, fetches userinfo (when the endpoints have one and
    /// [`OidcOptions::userinfo`] is on) and merges it in.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<OidcUser, Error> {
        let verified = self.inner.verifier.verify_user_request(&request).await?;
        let claims = match (&request.endpoints().userinfo, self.inner.userinfo) {
            (Some(url), true) => {
                let userinfo: Map<String, Value> = request.get(url.clone()).send().await?;
                verified.merge_userinfo(userinfo)?
            }
            _ => verified.into_claims(),
        };
        OidcUser::from_claims(claims)
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Oidc {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.inner
            .verifier
            .verify_refreshed(&refreshed)
            .await
            .map(drop)
    }
}

/// Revocation (RFC 7009) at the metadata's `revocation_endpoint`;
/// [`OAuthClient::revoke`](portcullis::OAuthClient::revoke) fails with
/// [`Error::Config`] when the issuer advertises none.
impl Revoke for Oidc {}

impl fmt::Debug for Oidc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Oidc")
            .field("issuer", &self.inner.metadata.issuer)
            .field("client_auth", &self.inner.client_auth)
            .field("verifier", &self.inner.verifier)
            .field("userinfo", &self.inner.userinfo)
            .finish_non_exhaustive()
    }
}

/// The parameters of an RP-initiated logout request; see [`Oidc::logout_url`].
#[derive(Clone, Default)]
#[must_use]
pub struct LogoutRequest {
    id_token_hint: Option<IdToken>,
    client_id: Option<String>,
    logout_hint: Option<String>,
    post_logout_redirect_uri: Option<Url>,
    state: Option<String>,
    ui_locales: Option<String>,
}

impl LogoutRequest {
    /// A request with no parameters.
    pub fn new() -> Self {
        Self::default()
    }

    /// `id_token_hint`: the ID token of the session to end (recommended; issuers use it
    /// to find the session and the client).
    pub fn id_token_hint(mut self, id_token: &IdToken) -> Self {
        self.id_token_hint = Some(id_token.clone());
        self
    }

    /// `client_id`: the client asking, needed with `post_logout_redirect_uri` when no
    /// `id_token_hint` is sent.
    pub fn client_id(mut self, client_id: impl Into<String>) -> Self {
        self.client_id = Some(client_id.into());
        self
    }

    /// `logout_hint`: which user to sign out, as the issuer understands it.
    pub fn logout_hint(mut self, hint: impl Into<String>) -> Self {
        self.logout_hint = Some(hint.into());
        self
    }

    /// `post_logout_redirect_uri`: where the issuer sends the user back; must be
    /// registered with it.
    pub fn post_logout_redirect_uri(mut self, uri: Url) -> Self {
        self.post_logout_redirect_uri = Some(uri);
        self
    }

    /// `state`: passed back to `post_logout_redirect_uri`.
    pub fn state(mut self, state: impl Into<String>) -> Self {
        self.state = Some(state.into());
        self
    }

    /// `ui_locales`: the preferred languages of the logout page, space-separated.
    pub fn ui_locales(mut self, locales: impl Into<String>) -> Self {
        self.ui_locales = Some(locales.into());
        self
    }
}

impl fmt::Debug for LogoutRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("LogoutRequest")
            .field("id_token_hint", &self.id_token_hint)
            .field("client_id", &self.client_id)
            .field("logout_hint", &self.logout_hint)
            .field("post_logout_redirect_uri", &self.post_logout_redirect_uri)
            .field("state", &self.state.as_ref().map(|_| "[redacted]"))
            .field("ui_locales", &self.ui_locales)
            .finish()
    }
}
