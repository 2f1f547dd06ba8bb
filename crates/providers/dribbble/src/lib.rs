//! Sign in with Dribbble for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_dribbble::Dribbble;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dribbble = OAuthClient::new(
//!     Dribbble::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/dribbble/callback".parse()?)
//!         .scope("upload"), // on top of the default `public`, to publish shots
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = dribbble.authorization_url();
//! // Redirect to `auth.url` (scope `public upload`), keep `auth.pending` until the
//! // callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `public` always: read-only access to public information, enough for
//!   `GET /user`, and Dribbble's default when no scope is given. The app's scopes are
//!   added to it (`upload`), space-separated. A user who already granted the
//!   application is not shown the authorization page again: Dribbble completes the flow
//!   with the scopes of their last authorization.
//! * No PKCE: Dribbble's OAuth documentation does not mention it. Without PKCE a
//!   public client ([`ClientConfig::public`](portcullis::ClientConfig::public)) is
//!   refused: Dribbble's code exchange requires the client secret.
//! * Client authentication with `client_id` and `client_secret` in the form body, the
//!   parameters Dribbble documents for `POST https://dribbble.com/oauth/token`.
//! * A redirect URI is optional: without one, Dribbble redirects to the callback URL
//!   registered for the application. One that is set must have the registered callback
//!   URL's host and port, and a path under its path; it is sent with the authorization
//!   request and again with the code exchange.
//! * The token response is `access_token`, `token_type` (`bearer`) and `scope`, with no
//!   expiry and no refresh token: Dribbble documents neither refresh nor revocation
//!   (users revoke an application's access in their Dribbble settings).
//! * The user comes from `GET https://api.dribbble.com/v2/user`, the authenticated
//!   user.
//! * The provider user id is the user's `id`, an integer — never `login`, the username
//!   in the profile URL, which users can change.
//! * `email_verified` is always false, and the profile has no email: Dribbble's user
//!   object has no email.
//! * Token errors are RFC 6749 error objects (`{"error": "invalid_grant",
//!   "error_description": "…"}`) and come back as
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth). API errors are
//!   `{"message": "…"}` objects, which come back as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with an excerpt holding the message.
//! * `bio` is HTML (`Co-founder &amp; designer of <a href="…">@Dribbble</a>`), as
//!   Dribbble sends it: escape or sanitise it before display.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Dribbble provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Dribbble {}

impl Dribbble {
    /// Dribbble (`dribbble.com`).
    pub fn new() -> Self {
        Dribbble::default()
    }
}

impl Provider for Dribbble {
    type User = DribbbleUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "dribbble",
        name: "Dribbble",
        authorization_url: "https://dribbble.com/oauth/authorize",
        token_url: "https://dribbble.com/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://api.dribbble.com/v2/user"),
        issuer: None,
        default_scopes: &["public"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: false,
        user_id_field: "id",
        email_verified_source: "never: Dribbble's user object has no email",
        docs_url: "https://developer.dribbble.com/v2/oauth/",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<DribbbleUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

/// A Dribbble user, from [`GET /v2/user`](https://developer.dribbble.com/v2/user/):
/// the authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DribbbleUser {
    /// The user's id, an integer: stable for the life of the account.
    pub id: u64,
    /// The user's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The username, as in the profile URL (`simplebits`); users can change it.
    #[serde(default)]
    pub login: Option<String>,
    /// The URL of the user's Dribbble profile.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The URL of the user's avatar.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The user's bio, as HTML.
    #[serde(default)]
    pub bio: Option<String>,
    /// Where the user is (`Salem, MA`).
    #[serde(default)]
    pub location: Option<String>,
    /// The user's links (website, Twitter).
    #[serde(default)]
    pub links: Option<DribbbleLinks>,
    /// Whether the user can upload shots.
    #[serde(default)]
    pub can_upload_shot: Option<bool>,
    /// Whether the user has a Pro account.
    #[serde(default)]
    pub pro: Option<bool>,
    /// How many users follow this user.
    #[serde(default)]
    pub followers_count: Option<u64>,
    /// When the account was created (ISO 8601, `2009-07-08T02:51:22Z`).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The kind of account (`Player`, `User`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The teams the user belongs to.
    #[serde(default)]
    pub teams: Option<Vec<DribbbleTeam>>,
}

/// The `links` of a [`DribbbleUser`] or [`DribbbleTeam`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DribbbleLinks {
    /// A website.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub web: Option<String>,
    /// A Twitter profile URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub twitter: Option<String>,
}

/// A team in [`DribbbleUser::teams`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DribbbleTeam {
    /// The team's id, an integer.
    pub id: u64,
    /// The team's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The team's username, as in its profile URL.
    #[serde(default)]
    pub login: Option<String>,
    /// The URL of the team's Dribbble profile.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The URL of the team's avatar.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The team's bio, as HTML.
    #[serde(default)]
    pub bio: Option<String>,
    /// Where the team is.
    #[serde(default)]
    pub location: Option<String>,
    /// The team's links.
    #[serde(default)]
    pub links: Option<DribbbleLinks>,
    /// The kind of account (`Team`).
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// When the team was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the team was last updated (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
}

impl ProviderUser for DribbbleUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let login = Profile::non_blank(self.login.as_deref());
        Profile::new(self.provider_user_id())
            .with_name(
                Profile::non_blank(self.name.as_deref())
                    .or(login)
                    .map(str::to_owned),
            )
            .with_username(login.map(str::to_owned))
            .with_avatar_url(self.avatar_url.clone())
    }
}
