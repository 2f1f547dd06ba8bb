//! Sign in with Google for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_google::{AccessType, Google};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let google = OAuthClient::new(
//!     // Offline access: Google issues a refresh token (on first consent, see below).
//!     Google::new().access_type(AccessType::Offline),
//!     ClientConfig::new("client-id.apps.googleusercontent.com", "client-secret")
//!         .redirect_uri("https://app.example/login/google/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = google.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * OpenID Connect scopes `openid email profile` by default; the app's scopes (e.g.
//!   `https://www.googleapis.com/auth/calendar.readonly`) are added to them. Lucia asked
//!   for `https://www.googleapis.com/auth/userinfo.profile` only, so it got no email
//!   unless the app added the scope.
//! * PKCE (S256): Google's discovery document lists `S256` in
//!   `code_challenge_methods_supported`. Lucia sent none.
//! * The client secret goes in the form body (`client_secret_post`), as in Google's token
//!   request examples.
//! * The ID token is verified first; Google always issues one, as `openid` is always
//!   requested (Lucia requested no `openid` and read no token). Checked: the RS256
//!   signature with a key of Google's key set `https://www.googleapis.com/oauth2/v3/certs`
//!   (fetched once, cached in the provider value and shared by every sign-in and clone),
//!   the issuer `https://accounts.google.com` (or [`LEGACY_ISSUER`], see below), `aud`
//!   (the client id) and `azp`, `exp` and
//!   `iat`, the sign-in's `nonce` (kept in the
//!   [`PendingAuthorization`](portcullis::PendingAuthorization)), and `at_hash`. Each
//!   failure is an [`IdTokenError`]; a token response without an ID token fails with
//!   `IdTokenError::Missing`.
//! * The user then comes from the UserInfo endpoint that Google's
//!   [discovery document](https://accounts.google.com/.well-known/openid-configuration)
//!   names, `https://openidconnect.googleapis.com/v1/userinfo` (Lucia used the older
//!   `https://www.googleapis.com/oauth2/v3/userinfo`), and its `sub` must be the ID token's
//!   (`IdTokenError::SubjectMismatch` otherwise). The provider user id is `sub`, never the
//!   email: a Google Account's address can change.
//! * `email_verified` in the profile is Google's `email_verified` claim, and only true when
//!   Google says `true`.
//! * Google documents that `iss` may also be `accounts.google.com`, without the scheme
//!   ([`LEGACY_ISSUER`]), for legacy implementations: both spellings are accepted
//!   ([`IdTokenVerifier::issuer_alias`]), compared exactly as strings, and no other. The
//!   issuer of Google's discovery document, and of the endpoints used here, is
//!   `https://accounts.google.com`.
//! * A token without the sign-in's `nonce` proves nothing, so
//!   [`OAuthClient::fetch_user`](portcullis::OAuthClient::fetch_user), which has no nonce,
//!   fails with an [`IdTokenError`]. To read the profile again later, call the UserInfo
//!   endpoint with a stored access token.
//! * The callback's `iss` parameter (RFC 9207; Google's discovery document has
//!   `authorization_response_iss_parameter_supported`) is checked against
//!   `https://accounts.google.com`.
//! * Refresh ([`Refresh`]): Google returns a refresh token only with
//!   [`AccessType::Offline`], and only the first time the user consents. To get a new one
//!   on a later sign-in, add `prompt=consent`:
//!   `ClientConfig::authorization_param("prompt", "consent")` (it shows the consent
//!   screen every time, so only when needed). Google does not rotate refresh tokens: the
//!   tokens from [`OAuthClient::refresh`](portcullis::OAuthClient::refresh) keep the one
//!   passed in. An ID token in a refresh response is verified as a sign-in's, without
//!   the `nonce`, before the tokens are returned.
//! * Revocation ([`Revoke`]) at `https://oauth2.googleapis.com/revoke`. Revoking a refresh
//!   token (or an access token that has one) ends the whole grant.

#![forbid(unsafe_code)]

use std::time::Duration;

use portcullis::{
    ClientAuth, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};

/// Google's issuer identifier: what the ID token's `iss` must be (or [`LEGACY_ISSUER`]).
pub const ISSUER: &str = "https://accounts.google.com";

/// The other spelling of [`ISSUER`] that Google documents for ID tokens' `iss`, without
/// the scheme: accepted too.
pub const LEGACY_ISSUER: &str = "accounts.google.com";

/// Where Google publishes the keys its ID tokens are signed with (its discovery
/// document's `jwks_uri`).
pub const JWKS_URL: &str = "https://www.googleapis.com/oauth2/v3/certs";

/// Whether Google should issue a refresh token: the `access_type` authorization parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum AccessType {
    /// `access_type=online`: an access token only, for use while the user is at the app.
    /// Google's default when the parameter is absent.
    Online,
    /// `access_type=offline`: a refresh token too, on the user's first consent.
    Offline,
}

impl AccessType {
    /// The parameter value: `online` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            AccessType::Online => "online",
            AccessType::Offline => "offline",
        }
    }
}

/// The Google provider.
///
/// By default no `access_type` is sent: Google documents `online` as the default value,
/// so leaving it out means online access with the shortest URL. Lucia always sent
/// `access_type=online` unless told otherwise, which Google treats the same way.
///
/// Holds Google's key set ([`Jwks`]), fetched on the first sign-in and shared by every
/// clone.
#[derive(Debug, Clone)]
pub struct Google {
    access_type: Option<AccessType>,
    jwks: Jwks,
    leeway: Duration,
    clock: Clock,
}

impl Default for Google {
    fn default() -> Self {
        Google {
            access_type: None,
            jwks: Jwks::new(Url::parse(JWKS_URL).expect("a valid URL")),
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        }
    }
}

impl Google {
    /// Google, with no `access_type` sent (Google's default, online).
    pub fn new() -> Self {
        Google::default()
    }

    /// Sends `access_type` with every authorization request.
    ///
    /// [`AccessType::Offline`] makes Google issue a refresh token — but only on the
    /// user's first consent to this app. Apps that need one again (say, after losing
    /// it) add `prompt=consent` with
    /// [`ClientConfig::authorization_param`](portcullis::ClientConfig::authorization_param).
    #[must_use]
    pub fn access_type(mut self, access_type: AccessType) -> Self {
        self.access_type = Some(access_type);
        self
    }

    /// Uses this key set cache: one shared with another Google client, or one at another
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

    /// The verifier of Google's ID tokens, sharing this provider's key set cache.
    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(ISSUER, self.jwks.clone())
            .issuer_alias(LEGACY_ISSUER)
            .algorithms([Algorithm::Rs256])
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }
}

impl Provider for Google {
    type User = GoogleUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "google",
        name: "Google",
        authorization_url: "https://accounts.google.com/o/oauth2/v2/auth",
        token_url: "https://oauth2.googleapis.com/token",
        revocation_url: Some("https://oauth2.googleapis.com/revoke"),
        userinfo_url: Some("https://openidconnect.googleapis.com/v1/userinfo"),
        issuer: Some("https://accounts.google.com"),
        default_scopes: &["openid", "email", "profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim of the UserInfo response (the `email` scope, requested by default)",
        docs_url: "https://developers.google.com/identity/protocols/oauth2/web-server",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        self.access_type
            .map(|access_type| ("access_type", access_type.as_str().to_owned()))
            .into_iter()
            .collect()
    }

    /// Verifies the ID token, then fetches the user from UserInfo: the same `sub`.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<GoogleUser, Error> {
        let verified = self.verifier().verify_user_request(&request).await?;
        let user: GoogleUser = request.get(request.userinfo_url()?.clone()).send().await?;
        if user.sub != verified.subject() {
            return Err(IdTokenError::SubjectMismatch.into());
        }
        Ok(user)
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Google {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

impl Revoke for Google {}

/// A Google user: the claims of the
/// [UserInfo endpoint](https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation).
///
/// Which claims are present depends on the granted scopes: `email` and `email_verified`
/// need `email`; the names, `picture` and `locale` need `profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GoogleUser {
    /// The user's identifier, unique among all Google Accounts and never reused (at most
    /// 255 ASCII characters, case-sensitive). The provider user id.
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
    /// The URL of the profile picture.
    #[serde(default)]
    pub picture: Option<String>,
    /// The email address. It can change over time and is not unique over time: never key
    /// on it.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether Google verified `email`. Accepted as a boolean or as the string `"true"` /
    /// `"false"`; any other value fails the sign-in rather than being guessed at.
    #[serde(default, deserialize_with = "claims::lenient_bool")]
    pub email_verified: Option<bool>,
    /// The user's locale, as a BCP 47 language tag (e.g. `en`). Google may omit it.
    #[serde(default)]
    pub locale: Option<String>,
    /// The hosted domain: the Google Workspace or Cloud organization the account belongs
    /// to; absent for personal accounts. Check it (not the email's domain) to restrict
    /// sign-in to an organization.
    #[serde(default)]
    pub hd: Option<String>,
}

impl ProviderUser for GoogleUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.clone())
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}
