//! Sign in with LinkedIn for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_linkedin::LinkedIn;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let linkedin = OAuthClient::new(
//!     LinkedIn::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/linkedin/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = linkedin.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * "Sign In with LinkedIn using OpenID Connect", the only sign-in product LinkedIn
//!   offers since "Sign In with LinkedIn" (`r_liteprofile`) was deprecated on 1 August
//!   2023.
//!   The app needs that product enabled in LinkedIn's Developer Portal.
//! * Scopes `openid profile email` by default. Lucia 3.2+ asked for `profile openid`
//!   only (2.2–3.1 even forgot `openid`, so its userinfo call failed), and got no email
//!   unless the app added `email`.
//! * The user comes from the UserInfo endpoint `https://api.linkedin.com/v2/userinfo`.
//!   The provider user id is `sub`, as in Lucia 2.2+. Keys written by Lucia **1.x**
//!   (`linkedin:<member id>` from the retired `/v2/me`) do not match `sub`: those users
//!   must be linked again (for example by verified email).
//! * `email_verified` in the profile is LinkedIn's `email_verified` claim, and only true
//!   when LinkedIn says `true`. LinkedIn notes that the product "does not verify user
//!   identities": a verified email is all it vouches for.
//! * `locale` is typed as either form: the language tag LinkedIn's documentation shows
//!   (`"en-US"`), or the `{"country": "US", "language": "en"}` object the API has sent
//!   and Lucia typed ([`LinkedInLocale`]).
//! * No PKCE: LinkedIn supports it only for native apps it enables case by case, with
//!   loopback redirect URIs; web apps authenticate with the client secret.
//! * The client id and secret go in the form body, as LinkedIn documents the token
//!   request (HTTP Basic is not among its documented options).
//! * A redirect URI is required, at the authorization request and the code exchange.
//! * Because `openid` is requested, the core sends a `nonce` and keeps it in the
//!   [`PendingAuthorization`](portcullis::PendingAuthorization), but **the ID token is
//!   not verified yet** (signature, `aud`, `nonce`): it is kept in
//!   [`Tokens::id_token`](portcullis::Tokens::id_token) and nothing here reads it.
//! * LinkedIn documents no RFC 9207 `iss` on the callback: nothing to check.
//! * Refresh ([`Refresh`]): LinkedIn issues refresh tokens only to approved partners
//!   ("programmatic refresh tokens"); others re-run the sign-in when the 60-day access
//!   token expires. [`Tokens::refresh_token_expires_at`](portcullis::Tokens::refresh_token_expires_at)
//!   reads LinkedIn's `refresh_token_expires_in`.
//! * No [`Revoke`](portcullis::Revoke): LinkedIn documents token introspection but no
//!   revocation endpoint.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The LinkedIn provider ("Sign In with LinkedIn using OpenID Connect").
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct LinkedIn {}

impl LinkedIn {
    /// linkedin.com.
    pub fn new() -> Self {
        LinkedIn::default()
    }
}

impl Provider for LinkedIn {
    type User = LinkedInUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "linkedin",
        name: "LinkedIn",
        authorization_url: "https://www.linkedin.com/oauth/v2/authorization",
        token_url: "https://www.linkedin.com/oauth/v2/accessToken",
        revocation_url: None,
        userinfo_url: Some("https://api.linkedin.com/v2/userinfo"),
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim of the UserInfo response (the `email` scope, requested by default)",
        docs_url: "https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<LinkedInUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for LinkedIn {}

/// A LinkedIn member: the claims of the UserInfo endpoint, as
/// [documented](https://learn.microsoft.com/en-us/linkedin/consumer/integrations/self-serve/sign-in-with-linkedin-v2).
///
/// `sub` comes with `openid`; the names, `picture` and `locale` with `profile`; `email`
/// and `email_verified` with `email`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LinkedInUser {
    /// The member's identifier for this app (OpenID `sub`): the provider user id.
    pub sub: String,
    /// The full name, in a displayable form.
    #[serde(default)]
    pub name: Option<String>,
    /// The first name.
    #[serde(default)]
    pub given_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub family_name: Option<String>,
    /// The URL of the profile picture; absent when the member has none.
    #[serde(default)]
    pub picture: Option<String>,
    /// The member's locale, in either of the forms LinkedIn sends.
    #[serde(default)]
    pub locale: Option<LinkedInLocale>,
    /// The primary email address. It can change: never key on it.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether LinkedIn verified `email`.
    #[serde(default)]
    pub email_verified: Option<bool>,
}

/// The `locale` claim: a language tag as LinkedIn's documentation shows it, or the
/// country/language object the API has sent.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
#[non_exhaustive]
pub enum LinkedInLocale {
    /// A language tag, e.g. `en-US` (or `en_US`).
    Tag(String),
    /// The locale as an object, e.g. `{"country": "US", "language": "en"}`.
    Parts {
        /// The ISO 3166 country code, e.g. `US`.
        #[serde(default)]
        country: Option<String>,
        /// The ISO 639 language code, e.g. `en`.
        #[serde(default)]
        language: Option<String>,
    },
}

impl LinkedInLocale {
    /// The locale as a BCP 47 language tag (`en-US`), whichever form LinkedIn sent.
    pub fn language_tag(&self) -> Option<String> {
        match self {
            LinkedInLocale::Tag(tag) => Some(tag.replace('_', "-")).filter(|t| !t.is_empty()),
            LinkedInLocale::Parts { country, language } => match (language, country) {
                (Some(language), Some(country)) => Some(format!("{language}-{country}")),
                (Some(language), None) => Some(language.clone()),
                _ => None,
            },
        }
    }
}

impl ProviderUser for LinkedInUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let joined = [self.given_name.as_deref(), self.family_name.as_deref()]
            .into_iter()
            .flatten()
            .filter(|part| !part.trim().is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        let name = self
            .name
            .clone()
            .filter(|name| !name.trim().is_empty())
            .or_else(|| Some(joined).filter(|name| !name.is_empty()));
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}
