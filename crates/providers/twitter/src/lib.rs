//! Sign in with X (formerly Twitter) for [Portcullis](portcullis), through X's OAuth 2.0
//! Authorization Code Flow with PKCE.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_twitter::Twitter;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let twitter = OAuthClient::new(
//!     Twitter::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/twitter/callback".parse()?)
//!         // A refresh token too.
//!         .scope("offline.access"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = twitter.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The provider id stays Lucia's `twitter`, so keys carry over.
//! * The endpoints are the ones X documents today: `https://x.com/i/oauth2/authorize`,
//!   `https://api.x.com/2/oauth2/token`, `https://api.x.com/2/oauth2/revoke` and
//!   `https://api.x.com/2/users/me`. Lucia used the older `twitter.com` and
//!   `api.twitter.com` hosts.
//! * PKCE (S256) on every sign-in, which X requires.
//! * A confidential client authenticates with HTTP Basic, as X documents (Lucia 2.2 sent
//!   the header without the `Basic ` prefix); a public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends `client_id` in
//!   the body.
//! * Scopes `tweet.read users.read` always: X requires both for `GET /2/users/me`.
//!   Add `offline.access` for a refresh token — without it X issues none.
//! * A redirect URI is required, matched exactly by X.
//! * The user is `data` of `GET /2/users/me`, asked for `created_at`, `description`,
//!   `location`, `profile_image_url`, `protected`, `url`, `verified` and
//!   `verified_type`. Lucia asked for the default fields only (`id`, `name`,
//!   `username`). A response without `data` fails the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse).
//! * The provider user id is `data.id`, a number sent as a string — never `username`,
//!   which users can change.
//! * The email: when the token grants `users.email`, `confirmed_email` is requested too
//!   and becomes the profile's email. X's API reference does not say how it was
//!   confirmed, so the profile never marks it verified.
//! * Refresh ([`Refresh`]) with `offline.access`; store the refresh token each refresh
//!   returns (the one passed in is kept only when X sends none).
//! * Revocation ([`Revoke`]) of access and refresh tokens at
//!   `https://api.x.com/2/oauth2/revoke`, with the same client authentication as the
//!   token endpoint.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The user fields asked for besides the defaults (`id`, `name`, `username`).
const USER_FIELDS: &str =
    "created_at,description,location,profile_image_url,protected,url,verified,verified_type";

/// The scope that lets the token read `confirmed_email`.
const EMAIL_SCOPE: &str = "users.email";

/// The X (Twitter) provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Twitter {}

impl Twitter {
    /// X, with its documented endpoints.
    pub fn new() -> Self {
        Twitter::default()
    }
}

impl Provider for Twitter {
    type User = TwitterUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "twitter",
        name: "X (Twitter)",
        authorization_url: "https://x.com/i/oauth2/authorize",
        token_url: "https://api.x.com/2/oauth2/token",
        revocation_url: Some("https://api.x.com/2/oauth2/revoke"),
        userinfo_url: Some("https://api.x.com/2/users/me"),
        issuer: None,
        default_scopes: &["tweet.read", "users.read"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "data.id",
        email_verified_source: "never: X does not document its `confirmed_email` (scope `users.email`) as verified",
        docs_url: "https://docs.x.com/fundamentals/authentication/oauth-2-0/user-access-token",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TwitterUser, Error> {
        let fields = if request.tokens().has_scope(EMAIL_SCOPE) {
            format!("{USER_FIELDS},confirmed_email")
        } else {
            USER_FIELDS.to_owned()
        };
        let me: Me = request
            .get(request.userinfo_url()?.clone())
            .query(&[("user.fields", fields.as_str())])
            .send()
            .await?;
        Ok(me.data)
    }
}

impl Refresh for Twitter {}

impl Revoke for Twitter {}

/// `GET /2/users/me`'s envelope: `{"data": user}`.
#[derive(Deserialize)]
struct Me {
    data: TwitterUser,
}

/// An X user: `data` of
/// [`GET /2/users/me`](https://docs.x.com/x-api/users/get-my-user), with the fields this
/// crate asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TwitterUser {
    /// The user's id, a number sent as a string: stable for the life of the account.
    pub id: String,
    /// The display name shown on the profile.
    pub name: String,
    /// The handle (screen name), without `@`. Users can change it; never key on it.
    pub username: String,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The profile description (bio), if the user wrote one.
    #[serde(default)]
    pub description: Option<String>,
    /// The free-form location of the profile; not necessarily a real place.
    #[serde(default)]
    pub location: Option<String>,
    /// The URL of the profile image.
    #[serde(default)]
    pub profile_image_url: Option<String>,
    /// Whether the user protects their posts (makes them private).
    #[serde(default)]
    pub protected: Option<bool>,
    /// The URL in the profile (often a `t.co` link).
    #[serde(default)]
    pub url: Option<String>,
    /// Whether the user is a verified X user.
    #[serde(default)]
    pub verified: Option<bool>,
    /// The verification type: `blue`, `business`, `government` or `none`.
    #[serde(default)]
    pub verified_type: Option<String>,
    /// The account's email, asked for only when the token grants `users.email`. X does
    /// not document it as verified.
    #[serde(default)]
    pub confirmed_email: Option<String>,
}

impl ProviderUser for TwitterUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(Some(self.name.clone()).filter(|name| !name.trim().is_empty()))
            .with_username(Some(self.username.clone()))
            .with_email(self.confirmed_email.clone(), false)
            .with_avatar_url(self.profile_image_url.clone())
    }
}
