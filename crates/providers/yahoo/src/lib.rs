//! Sign in with Yahoo for [Portcullis](portcullis): Yahoo's OpenID Connect, with the ID
//! token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_yahoo::Yahoo;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let yahoo = OAuthClient::new(
//!     Yahoo::new(),
//!     // The Client ID (Consumer Key) and Client Secret (Consumer Secret) of the app.
//!     ClientConfig::new("dj0yJmk9…consumer-key", "consumer-secret")
//!         .redirect_uri("https://app.example/login/yahoo/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = yahoo.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Yahoo's OpenID Connect (authorization code flow), at the endpoints of Yahoo's
//!   discovery document: `https://api.login.yahoo.com/oauth2/request_auth` and
//!   `…/oauth2/get_token`. Lucia has no Yahoo provider; the id is `yahoo`.
//! * Scopes `openid profile email` by default (Yahoo's discovery document lists
//!   `openid`, `profile` and `email`): `openid` alone gives only `sub`. The app's Yahoo
//!   registration must grant the OpenID Connect permissions asked for.
//! * No PKCE: Yahoo's guides document no `code_challenge`, and its discovery document
//!   advertises no `code_challenge_methods_supported`. The sign-in is bound to the
//!   browser by `state` and to the ID token by the `nonce` the core sends with `openid`.
//! * The client authenticates with HTTP Basic (`client_secret_basic`), as in Yahoo's
//!   token requests (its discovery document lists `client_secret_post` too). A redirect
//!   URI is required, at the authorization request and the code exchange.
//! * The ID token is verified first: its signature with a key of Yahoo's key set
//!   `https://api.login.yahoo.com/openid/v1/certs` (fetched once, cached in the provider
//!   value and shared by every sign-in and clone), by ES256 — the algorithm Yahoo's
//!   documentation shows — or RS256, the other one its discovery document lists, and no
//!   other (never HMAC, never `none`); `iss`, which Yahoo says must equal
//!   `https://api.login.yahoo.com` exactly; `aud` (the client id); `exp` and `iat`; the
//!   sign-in's `nonce`; `at_hash` when present. Each failure is an [`IdTokenError`]; a
//!   token response without an ID token fails with `IdTokenError::Missing`.
//! * The user then comes from Yahoo's UserInfo endpoint
//!   `https://api.login.yahoo.com/openid/v1/userinfo` (a `GET` with the access token as
//!   bearer, the method Yahoo recommends), and its `sub` must be the ID token's
//!   (`IdTokenError::SubjectMismatch` otherwise). The provider user id is `sub`, "the
//!   unique user identifier", never the email or `preferred_username`.
//! * The token response also carries `xoauth_yahoo_guid`, "the GUID of the Yahoo user"
//!   in Yahoo's OAuth 2.0 guide: it is left in
//!   [`Tokens::extra`](portcullis::Tokens::extra) and keys nothing (`sub` does).
//! * `email_verified` in the profile is Yahoo's `email_verified` claim (listed in its
//!   discovery document's `claims_supported`, absent from its sample UserInfo
//!   response), and only true when Yahoo says `true`.
//! * A token without the sign-in's `nonce` proves nothing, so
//!   [`OAuthClient::fetch_user`](portcullis::OAuthClient::fetch_user), which has no nonce,
//!   fails with an [`IdTokenError`]. To read the profile again later, call the UserInfo
//!   endpoint with a stored access token.
//! * No `iss` check on the callback: Yahoo's discovery document does not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * UserInfo errors are RFC 6750 errors in the `WWW-Authenticate` header with no body
//!   (Yahoo: `401` for an expired token, `429` when the client sends too much): they
//!   come back as an unexpected `401`/`429` response, not an OAuth error object.
//! * Refresh ([`Refresh`]) with the refresh token of the code exchange. An ID token in a
//!   refresh response is verified as a sign-in's, without the `nonce`, before the tokens
//!   are returned; when Yahoo sends no new refresh token, the one passed in is kept.
//!   **Known gap:** Yahoo's own refresh examples add `redirect_uri` to the form; the core
//!   sends the RFC 6749 §6 request (`grant_type`, `refresh_token`, client
//!   authentication) and has no way for a provider to add a field to it.
//! * No [`Revoke`](portcullis::Revoke): Yahoo's guides document no revocation request.
//!   Users withdraw an app's access in their Yahoo account settings.

#![forbid(unsafe_code)]

use std::time::Duration;

use portcullis::{
    ClientAuth, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};

/// Yahoo's issuer identifier: what the ID token's `iss` must be, exactly.
pub const ISSUER: &str = "https://api.login.yahoo.com";

/// Where Yahoo publishes the keys its ID tokens are signed with (its discovery
/// document's `jwks_uri`).
pub const JWKS_URL: &str = "https://api.login.yahoo.com/openid/v1/certs";

/// The Yahoo provider.
///
/// Holds Yahoo's key set ([`Jwks`]), fetched on the first sign-in and shared by every
/// clone.
#[derive(Debug, Clone)]
pub struct Yahoo {
    jwks: Jwks,
    leeway: Duration,
    clock: Clock,
}

impl Default for Yahoo {
    fn default() -> Self {
        Yahoo {
            jwks: Jwks::new(Url::parse(JWKS_URL).expect("a valid URL")),
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        }
    }
}

impl Yahoo {
    /// Yahoo, with its key set at [`JWKS_URL`].
    pub fn new() -> Self {
        Yahoo::default()
    }

    /// Uses this key set cache: one shared with another Yahoo client, or one at another
    /// URL (a mock in tests). Default: [`JWKS_URL`].
    #[must_use]
    pub fn jwks(mut self, jwks: Jwks) -> Self {
        self.jwks = jwks;
        self
    }

    /// The clock skew allowed on the ID token's `exp` and `iat`. Default: 60 seconds.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock the ID token's times are checked against. Default: the system clock.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The key set cache.
    pub fn key_set(&self) -> &Jwks {
        &self.jwks
    }

    /// The verifier of Yahoo's ID tokens, sharing this provider's key set cache.
    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(ISSUER, self.jwks.clone())
            .algorithms([Algorithm::Es256, Algorithm::Rs256])
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }
}

impl Provider for Yahoo {
    type User = YahooUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "yahoo",
        name: "Yahoo",
        authorization_url: "https://api.login.yahoo.com/oauth2/request_auth",
        token_url: "https://api.login.yahoo.com/oauth2/get_token",
        revocation_url: None,
        userinfo_url: Some("https://api.login.yahoo.com/openid/v1/userinfo"),
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim of the UserInfo response (the `email` scope, requested by default), true only when Yahoo sends `true`",
        docs_url: "https://developer.yahoo.com/oauth2/guide/openid_connect/getting_started.html",
    };

    /// Verifies the ID token, then fetches the user from UserInfo: the same `sub`.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<YahooUser, Error> {
        let verified = self.verifier().verify_user_request(&request).await?;
        let user: YahooUser = request.get(request.userinfo_url()?.clone()).send().await?;
        if user.sub != verified.subject() {
            return Err(IdTokenError::SubjectMismatch.into());
        }
        Ok(user)
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Yahoo {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

/// A Yahoo user: the claims of the
/// [UserInfo endpoint](https://developer.yahoo.com/oauth2/guide/get-user-inf/Get-User-Info-API.html).
///
/// Which claims are present depends on the granted scopes: the names, `picture` and
/// `locale` need `profile`; `email` and `email_verified` need `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct YahooUser {
    /// The unique user identifier (e.g. `FSVIDUW3D7FSVIDUW3D72F2F`). The provider user
    /// id.
    pub sub: String,
    /// The full name, in a displayable form.
    #[serde(default)]
    pub name: Option<String>,
    /// The given (first) name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// The family name (surname).
    #[serde(default)]
    pub family_name: Option<String>,
    /// The user's preferred username (e.g. `j.doe`). It can change: never key on it.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// The email address. It can change: never key on it.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether Yahoo verified `email`. Accepted as a boolean or as the string `"true"` /
    /// `"false"`; any other value fails the sign-in rather than being guessed at.
    #[serde(default, deserialize_with = "claims::lenient_bool")]
    pub email_verified: Option<bool>,
    /// The URL of the profile picture.
    #[serde(default)]
    pub picture: Option<String>,
    /// The user's locale (e.g. `en-US`).
    #[serde(default)]
    pub locale: Option<String>,
    /// The birthday, as Yahoo gives it (OpenID Connect: `YYYY-MM-DD`, or `YYYY` alone).
    #[serde(default)]
    pub birthdate: Option<String>,
}

impl ProviderUser for YahooUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let name = claims::full_name(
            self.name.as_deref(),
            self.given_name.as_deref(),
            self.family_name.as_deref(),
        );
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_username(self.preferred_username.clone())
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}
