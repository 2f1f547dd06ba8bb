//! Sign in with Roblox for [Portcullis](portcullis): Roblox's OAuth 2.0 with OpenID
//! Connect, the ID token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_roblox::Roblox;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let roblox = OAuthClient::new(
//!     Roblox::new(),
//!     ClientConfig::new("7290610391231237934964", "RBX-client-secret")
//!         .redirect_uri("https://app.example/login/roblox/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = roblox.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Roblox's OAuth 2.0 authorization code flow (Open Cloud), which Roblox still calls a
//!   beta that "might be subject to change". Lucia has no Roblox provider; the id is
//!   `roblox`. Only users with a 13+ account can authorize an app.
//! * Scopes `openid profile` by default: `openid` for the ID token, `profile` for the
//!   names, profile URL and avatar (without it, userinfo has `sub` only). The app's
//!   scopes are added; each must be one the app was given on the Creator Dashboard.
//! * PKCE (S256), which Roblox recommends for all clients and requires for public ones; a
//!   `nonce` with `openid`. The authorization code lives one minute and is single-use.
//! * The client id and secret go in the form body, as in every request Roblox documents
//!   (its token endpoints accept HTTP Basic too). A public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only its
//!   `client_id` and the PKCE verifier.
//! * The ID token is verified first: its ES256 signature — the only algorithm Roblox's
//!   discovery document lists; RS256, HMAC or `none` are refused — with a key of Roblox's
//!   key set `https://apis.roblox.com/oauth/v1/certs` (fetched once, cached in the
//!   provider value and shared by every sign-in and clone); `iss`, which is
//!   `https://apis.roblox.com/oauth/` **with** its trailing slash and compared exactly;
//!   `aud` (the client id); `exp` and `iat`; the sign-in's `nonce`; `at_hash` when
//!   present (Roblox's tokens carry none). Each failure is an [`IdTokenError`]; a token
//!   response without an ID token fails with `IdTokenError::Missing`.
//! * The user then comes from `https://apis.roblox.com/oauth/v1/userinfo`, and its `sub`
//!   must be the ID token's (`IdTokenError::SubjectMismatch` otherwise): userinfo also
//!   has the avatar (`picture`), which the ID token lacks.
//! * The provider user id is `sub`, the Roblox user id (digits, as a string). Roblox:
//!   users can change their username and display name, so never key on them.
//! * `picture` is `null` while the avatar headshot is not generated yet or is moderated:
//!   it reads as no avatar.
//! * No email: Roblox's userinfo documents no email claim (its discovery document lists
//!   `email` and `email_verified`, but warns that not all of them are available to
//!   third-party apps), so `email_verified` is always false.
//! * A token without the sign-in's `nonce` proves nothing, so
//!   [`OAuthClient::fetch_user`](portcullis::OAuthClient::fetch_user), which has no nonce,
//!   fails with an [`IdTokenError`]. To read the profile again later, call the userinfo
//!   endpoint with a stored access token (it lives 15 minutes).
//! * No `iss` check on the callback: Roblox's discovery document does not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * Refresh ([`Refresh`]): a refresh token lives 90 days and is single-use, so every
//!   refresh returns a new one, which replaces the old in storage. The refresh also
//!   returns a new ID token, verified as a sign-in's (without the `nonce`) before the
//!   tokens are returned.
//! * Revocation ([`Revoke`]) at `https://apis.roblox.com/oauth/v1/token/revoke`: revoking
//!   the refresh token ends the whole authorization session. Roblox documents it for
//!   refresh tokens only; the request is RFC 7009's, so it carries
//!   `token_type_hint=refresh_token` beside the `token` Roblox lists.

#![forbid(unsafe_code)]

use std::time::Duration;

use portcullis::{
    ClientAuth, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks};
use serde::{Deserialize, Serialize};

/// Roblox's issuer identifier, trailing slash included: what the ID token's `iss` must
/// be, exactly.
pub const ISSUER: &str = "https://apis.roblox.com/oauth/";

/// Where Roblox publishes the keys its ID tokens are signed with (its discovery
/// document's `jwks_uri`).
pub const JWKS_URL: &str = "https://apis.roblox.com/oauth/v1/certs";

/// The Roblox provider.
///
/// Holds Roblox's key set ([`Jwks`]), fetched on the first sign-in and shared by every
/// clone.
#[derive(Debug, Clone)]
pub struct Roblox {
    jwks: Jwks,
    leeway: Duration,
    clock: Clock,
}

impl Default for Roblox {
    fn default() -> Self {
        Roblox {
            jwks: Jwks::new(Url::parse(JWKS_URL).expect("a valid URL")),
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        }
    }
}

impl Roblox {
    /// Roblox, with its key set at [`JWKS_URL`].
    pub fn new() -> Self {
        Roblox::default()
    }

    /// Uses this key set cache: one shared with another Roblox client, or one at another
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

    /// The verifier of Roblox's ID tokens, sharing this provider's key set cache.
    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(ISSUER, self.jwks.clone())
            .algorithms([Algorithm::Es256])
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }
}

impl Provider for Roblox {
    type User = RobloxUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "roblox",
        name: "Roblox",
        authorization_url: "https://apis.roblox.com/oauth/v1/authorize",
        token_url: "https://apis.roblox.com/oauth/v1/token",
        revocation_url: Some("https://apis.roblox.com/oauth/v1/token/revoke"),
        userinfo_url: Some("https://apis.roblox.com/oauth/v1/userinfo"),
        issuer: None,
        default_scopes: &["openid", "profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "never: Roblox's userinfo documents no email for third-party apps",
        docs_url: "https://create.roblox.com/docs/cloud/auth/oauth2-reference",
    };

    /// Verifies the ID token, then fetches the user from userinfo: the same `sub`.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<RobloxUser, Error> {
        let verified = self.verifier().verify_user_request(&request).await?;
        let user: RobloxUser = request.get(request.userinfo_url()?.clone()).send().await?;
        if user.sub != verified.subject() {
            return Err(IdTokenError::SubjectMismatch.into());
        }
        Ok(user)
    }
}

/// Refresh tokens are single-use: each refresh returns a new one. Its new ID token is
/// verified as a sign-in's, without the `nonce`.
impl Refresh for Roblox {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

/// `POST v1/token/revoke` with the refresh token: ends the authorization session.
impl Revoke for Roblox {}

/// A Roblox user: the claims of the
/// [userinfo endpoint](https://create.roblox.com/docs/cloud/auth/oauth2-reference#get-v1userinfo).
///
/// Only `sub` comes with `openid` alone; the other claims need `profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RobloxUser {
    /// The Roblox user id (`1516563360`), as a string. The provider user id.
    pub sub: String,
    /// The Roblox display name. The user can change it.
    #[serde(default)]
    pub name: Option<String>,
    /// The Roblox display name, again (Roblox sends it as both `name` and `nickname`).
    #[serde(default)]
    pub nickname: Option<String>,
    /// The Roblox username. The user can change it: never key on it.
    #[serde(default)]
    pub preferred_username: Option<String>,
    /// When the Roblox account was created, in seconds since the epoch.
    #[serde(default)]
    pub created_at: Option<u64>,
    /// The URL of the Roblox profile page
    /// (`https://www.roblox.com/users/1516563360/profile`).
    #[serde(default)]
    pub profile: Option<String>,
    /// The URL of the avatar headshot image; `None` (Roblox sends `null`) while the
    /// headshot is not generated yet or has been moderated.
    #[serde(default)]
    pub picture: Option<String>,
}

impl ProviderUser for RobloxUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let display_name = [&self.name, &self.nickname]
            .into_iter()
            .flatten()
            .find(|name| !name.is_empty());
        Profile::new(self.provider_user_id())
            .with_name(display_name.cloned())
            .with_username(self.preferred_username.clone())
            .with_avatar_url(self.picture.clone())
    }
}
