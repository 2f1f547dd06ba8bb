//! Sign in with Twitch for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_twitch::Twitch;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let twitch = OAuthClient::new(
//!     Twitch::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/twitch/callback".parse()?)
//!         .scope("user:read:email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = twitch.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The authorization code grant flow of `id.twitch.tv`, with `client_id` and
//!   `client_secret` in the form body: the only client authentication Twitch documents
//!   (Arctic notes that Twitch does not support HTTP Basic), as Lucia 2.x/3.x sent it.
//! * No PKCE: Twitch documents none for its authorization code grant flow.
//! * A redirect URI is required: Twitch checks it at the token exchange.
//! * No default scope: `Get Users` identifies the user without one. Add
//!   `user:read:email` (as above) for the email.
//! * The user is `data[0]` of `GET https://api.twitch.tv/helix/users`, called with the
//!   `Client-Id` header Twitch requires next to the bearer token. An empty `data` fails
//!   the sign-in with [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse).
//! * The provider user id is `id` — never `login`, which users can change.
//! * The profile's email is verified whenever it is present: Twitch documents the
//!   `email` of `Get Users` as "the user's verified email address".
//! * Twitch lists the granted scopes as a JSON array; [`Tokens::scopes`](portcullis::Tokens::scopes)
//!   reads it.
//! * Refresh ([`Refresh`]): Twitch may rotate the refresh token, so keep the newest.
//! * Revocation ([`Revoke`]) at `https://id.twitch.tv/oauth2/revoke`: a form POST of
//!   `token` and `client_id`, as Twitch documents (the client secret is sent too, like
//!   at the token endpoint). Twitch documents it for access tokens.
//! * [`Twitch::force_verify`] sends `force_verify` (Lucia 1.x/2.x always sent `false`;
//!   3.x dropped it).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Deserializer, Serialize};

/// The Twitch provider.
#[derive(Debug, Clone, Default)]
pub struct Twitch {
    force_verify: Option<bool>,
}

impl Twitch {
    /// Twitch, with no `force_verify` sent (Twitch's default, `false`).
    pub fn new() -> Self {
        Twitch::default()
    }

    /// Sends `force_verify` with every authorization request: `true` makes Twitch ask
    /// the user to authorize the app again even if they already did (e.g. to switch
    /// accounts); `false` is Twitch's default.
    #[must_use]
    pub fn force_verify(mut self, force: bool) -> Self {
        self.force_verify = Some(force);
        self
    }
}

impl Provider for Twitch {
    type User = TwitchUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "twitch",
        name: "Twitch",
        authorization_url: "https://id.twitch.tv/oauth2/authorize",
        token_url: "https://id.twitch.tv/oauth2/token",
        revocation_url: Some("https://id.twitch.tv/oauth2/revoke"),
        userinfo_url: Some("https://api.twitch.tv/helix/users"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "data[0].id",
        email_verified_source: "the presence of `email` in `Get Users` (the `user:read:email` scope): Twitch documents it as the user's verified email address",
        docs_url: "https://dev.twitch.tv/docs/authentication/getting-tokens-oauth/#authorization-code-grant-flow",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        self.force_verify
            .map(|force| ("force_verify", force.to_string()))
            .into_iter()
            .collect()
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TwitchUser, Error> {
        let users: Users = request
            .get(request.userinfo_url()?.clone())
            .header("client-id", request.client_id())
            .send()
            .await?;
        Ok(users.data)
    }
}

impl Refresh for Twitch {}

impl Revoke for Twitch {}

/// `Get Users`' envelope: `{"data": [user]}`.
#[derive(Deserialize)]
struct Users {
    #[serde(deserialize_with = "first_user")]
    data: TwitchUser,
}

/// The first user of `data`; an empty list is an invalid response.
fn first_user<'de, D: Deserializer<'de>>(d: D) -> Result<TwitchUser, D::Error> {
    Vec::<TwitchUser>::deserialize(d)?
        .into_iter()
        .next()
        .ok_or_else(|| serde::de::Error::invalid_length(0, &"the signed-in user"))
}

/// A Twitch user: `data[0]` of
/// [`Get Users`](https://dev.twitch.tv/docs/api/reference/#get-users) called with the
/// user's access token.
///
/// `email` comes only with the `user:read:email` scope.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TwitchUser {
    /// The user's id, a number sent as a string: stable for the life of the account.
    pub id: String,
    /// The login name (lowercase). Users can change it; never key on it.
    pub login: String,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The type of user: `admin`, `global_mod`, `staff`, or empty for a normal user.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The broadcaster type: `affiliate`, `partner`, or empty for a normal broadcaster.
    #[serde(default)]
    pub broadcaster_type: Option<String>,
    /// The channel description.
    #[serde(default)]
    pub description: Option<String>,
    /// The URL of the profile image.
    #[serde(default)]
    pub profile_image_url: Option<String>,
    /// The URL of the channel's offline image.
    #[serde(default)]
    pub offline_image_url: Option<String>,
    /// The number of channel views. Deprecated by Twitch; may be absent or stale.
    #[serde(default)]
    pub view_count: Option<u64>,
    /// The user's verified email address (`user:read:email` scope).
    #[serde(default)]
    pub email: Option<String>,
    /// When the account was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
}

impl ProviderUser for TwitchUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let email = self.email.clone().filter(|e| !e.is_empty());
        Profile::new(self.provider_user_id())
            .with_name(
                self.display_name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .or_else(|| Some(self.login.clone())),
            )
            .with_username(Some(self.login.clone()))
            // Twitch only returns the verified address.
            .with_email(email, true)
            .with_avatar_url(self.profile_image_url.clone().filter(|u| !u.is_empty()))
    }
}
