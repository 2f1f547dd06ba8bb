//! Sign in with LINE for [Portcullis](portcullis): LINE Login v2.1 (OpenID Connect),
//! with the ID token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_line::Line;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let channel_secret = "channel-secret";
//! let line = OAuthClient::new(
//!     // The channel secret signs LINE's ID tokens for web login: the provider needs it
//!     // too, to verify them.
//!     Line::new(channel_secret),
//!     ClientConfig::new("1234567890", channel_secret)
//!         .redirect_uri("https://app.example/login/line/callback".parse()?)
//!         .scope("email"), // once the channel has the email permission
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = line.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * LINE Login v2.1: authorization at `https://access.line.me/oauth2/v2.1/authorize`,
//!   tokens at `https://api.line.me/oauth2/v2.1/token`, the profile at
//!   `https://api.line.me/v2/profile` (as Lucia). The client id is the channel id, the
//!   client secret the channel secret, sent in the form body.
//! * Scopes `openid profile` always (Lucia's). `email` only when the app adds it: LINE
//!   refuses it until the channel's email permission is approved in the LINE Developers
//!   Console.
//! * PKCE (S256), which LINE documents and recommends for web apps (Lucia sent none),
//!   and a `nonce`.
//! * **The ID token is verified** (Lucia decoded it unverified for the email). LINE signs
//!   web-login tokens with **HS256 keyed with the channel secret**, so [`Line::new`]
//!   takes the channel secret (the same as in
//!   [`ClientConfig`](portcullis::ClientConfig): the provider cannot read the client's
//!   configuration). Tokens from LINE's SDKs and LIFF are ES256, checked with LINE's
//!   keys at `https://api.line.me/oauth2/v2.1/certs`; anything else is refused. `iss` must
//!   be `https://access.line.me`, `aud` the channel id, and `exp`, `iat`, `nonce` hold.
//! * The user is the profile endpoint's answer (`userId`, `displayName`, `pictureUrl`,
//!   `statusMessage`) plus `email` and `amr` from the verified ID token. The profile's
//!   `userId` must be the token's `sub`, else
//!   [`IdTokenError::SubjectMismatch`].
//! * The provider user id is `userId` (= `sub`, `U` and 32 hex digits), as Lucia: keys
//!   carry over. It is per provider (the set of channels of one LINE developer account
//!   provider), not global.
//! * `email_verified` is always false: LINE documents no verification claim for the
//!   email it returns.
//! * No `iss` check on the callback: LINE does not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * Refresh ([`Refresh`]) at the token endpoint (`grant_type=refresh_token`, channel id
//!   and secret in the body); an ID token in a refresh response is verified as a
//!   sign-in's, without the `nonce`. No [`Revoke`](portcullis::Revoke): LINE's
//!   `https://api.line.me/oauth2/v2.1/revoke` takes the token as `access_token`, not
//!   RFC 7009's `token`.

#![forbid(unsafe_code)]

use std::fmt;

use portcullis::{
    ClientAuth, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, UserRequest,
};
use portcullis_oidc::{Algorithm, IdTokenVerifier, Jwks};
use serde::{Deserialize, Serialize};

/// LINE's issuer identifier.
const ISSUER: &str = "https://access.line.me";
/// Where LINE publishes the keys of its ES256 ID tokens.
const JWKS_URL: &str = "https://api.line.me/oauth2/v2.1/certs";

/// The LINE Login provider, with the verifier of LINE's ID tokens: the channel secret
/// for web-login tokens (HS256) and LINE's key set cache for SDK tokens (ES256, shared
/// by clones).
#[derive(Clone)]
pub struct Line {
    channel_secret: String,
    verifier: IdTokenVerifier,
}

impl Line {
    /// LINE Login for the channel whose channel secret is `channel_secret`: the key of
    /// the HS256 ID tokens LINE issues to web apps.
    pub fn new(channel_secret: impl Into<String>) -> Self {
        let jwks = Jwks::new(
            JWKS_URL
                .parse()
                .unwrap_or_else(|e| unreachable!("{JWKS_URL} is a URL: {e}")),
        );
        Line::with_jwks(channel_secret.into(), jwks)
    }

    fn with_jwks(channel_secret: String, jwks: Jwks) -> Self {
        Line {
            verifier: IdTokenVerifier::new(ISSUER, jwks)
                .algorithms([Algorithm::Hs256, Algorithm::Es256])
                .hmac_secret(channel_secret.clone()),
            channel_secret,
        }
    }

    /// Uses another key set cache for ES256 tokens: LINE's keys through a proxy, a
    /// pre-warmed cache, or a mock in tests. Keeps the channel secret.
    #[must_use]
    pub fn jwks(self, jwks: Jwks) -> Self {
        Line::with_jwks(self.channel_secret, jwks)
    }

    /// The ID-token verifier that sign-ins and refreshes use, with LINE's key set cache
    /// (to warm it at start-up, for instance).
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.verifier
    }
}

impl fmt::Debug for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The verifier's `Debug` redacts the channel secret too.
        f.debug_struct("Line")
            .field("channel_secret", &"[redacted]")
            .field("verifier", &self.verifier)
            .finish()
    }
}

impl Provider for Line {
    type User = LineUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "line",
        name: "LINE",
        authorization_url: "https://access.line.me/oauth2/v2.1/authorize",
        token_url: "https://api.line.me/oauth2/v2.1/token",
        revocation_url: None,
        userinfo_url: Some("https://api.line.me/v2/profile"),
        issuer: None,
        default_scopes: &["openid", "profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "userId",
        email_verified_source: "never: LINE documents no verification claim for the email of its ID tokens",
        docs_url: "https://developers.line.biz/en/docs/line-login/integrate-line-login/",
    };

    /// Verifies the ID token, fetches the profile and checks it is the token's user.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<LineUser, Error> {
        let token = self.verifier.verify_user_request(&request).await?;
        let claims: IdTokenClaims = token.deserialize()?;
        let profile: LineProfile = request.get(request.userinfo_url()?.clone()).send().await?;
        if profile.user_id != token.subject() {
            return Err(IdTokenError::SubjectMismatch.into());
        }
        Ok(LineUser {
            user_id: profile.user_id,
            display_name: profile.display_name,
            picture_url: profile.picture_url,
            status_message: profile.status_message,
            email: claims.email,
            amr: claims.amr,
        })
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Line {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier.verify_refreshed(&refreshed).await.map(drop)
    }
}

/// What the ID token adds to the profile.
#[derive(Deserialize)]
struct IdTokenClaims {
    #[serde(default)]
    email: Option<String>,
    #[serde(default)]
    amr: Option<Vec<String>>,
}

/// `GET https://api.line.me/v2/profile`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LineProfile {
    user_id: String,
    display_name: String,
    #[serde(default)]
    picture_url: Option<String>,
    #[serde(default)]
    status_message: Option<String>,
}

/// A LINE user: the profile endpoint's answer and the verified ID token's `email` and
/// `amr`, with Lucia's field names.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LineUser {
    /// The user id (`U` and 32 hex digits), the ID token's `sub`: stable, but different
    /// for each LINE developer account provider. The provider user id.
    pub user_id: String,
    /// The display name the user chose in LINE.
    pub display_name: String,
    /// The profile picture URL; absent when the user has none. Append `/large` or
    /// `/small` for other sizes.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture_url: Option<String>,
    /// The user's status message; absent when empty.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub status_message: Option<String>,
    /// The email address from the ID token: only with the `email` scope and the
    /// channel's email permission, and only if the user agreed. LINE does not say it is
    /// verified.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// How the user authenticated (the ID token's `amr`): `pwd`, `lineautologin`,
    /// `lineqr`, `linesso`, `mfa`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub amr: Option<Vec<String>>,
}

impl ProviderUser for LineUser {
    fn provider_user_id(&self) -> String {
        self.user_id.clone()
    }

    /// The display name as name; the email, never verified.
    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(Some(self.display_name.clone()).filter(|n| !n.is_empty()))
            .with_email(self.email.clone(), false)
            .with_avatar_url(self.picture_url.clone())
    }
}
