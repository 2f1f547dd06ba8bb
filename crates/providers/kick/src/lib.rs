//! Sign in with Kick for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_kick::Kick;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kick = OAuthClient::new(
//!     Kick::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/kick/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = kick.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Kick's OAuth 2.1 authorization code grant ("User Access Token"), on its OAuth
//!   server `id.kick.com` (`/oauth/authorize`, `/oauth/token`); the API is on another
//!   host, `api.kick.com`.
//! * Scope `user:read` always ("View user information in Kick including username,
//!   streamer ID, etc."): Kick requires a `scope` and `Get Users` needs this one. The
//!   app's scopes (`channel:read`, `chat:write`, …) are added to it, space-separated.
//! * PKCE (S256) on every sign-in: Kick requires `code_challenge` with
//!   `code_challenge_method=S256`, and `code_verifier` at the token endpoint. Kick also
//!   requires `state`, which every sign-in sends.
//! * `client_id` and `client_secret` in the form body, the client authentication Kick
//!   documents (both required: Kick documents no public clients).
//! * A redirect URI is required, at the authorization and token endpoints.
//! * The user is `data[0]` of `GET https://api.kick.com/public/v1/users` called with no
//!   `id` — "the currently authorised user". An empty `data` fails the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   naming `data`.
//! * The provider user id is the numeric `user_id`, as a decimal string — never `name`,
//!   the username, which users can change.
//! * The email is **never** verified: `Get Users` returns `email` without saying whether
//!   Kick verified it.
//! * Kick's documented OAuth errors are `{"error": "Invalid request"}`: a typed
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth) whose code is that
//!   sentence, not one of RFC 6749's codes.
//! * Kick's documented token responses show every field as a string
//!   (`"expires_in": ""`); a numeric string `expires_in` is read as seconds.
//! * Refresh ([`Refresh`]) with `client_id` and `client_secret` in the form body: Kick
//!   refreshes "both access and refresh codes", so always keep the newest refresh
//!   token.
//! * No [`Revoke`](portcullis::Revoke): Kick revokes with `POST /oauth/revoke` taking
//!   `token` and `token_hint_type` (sic) in the **query string**, not RFC 7009's form
//!   body, which is all the core's revocation sends (and a token in a URL ends up in
//!   access logs). Call that endpoint with the app's own HTTP client to revoke a token.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Deserializer, Serialize};

/// The Kick provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Kick {}

impl Kick {
    /// kick.com.
    pub fn new() -> Self {
        Kick::default()
    }
}

impl Provider for Kick {
    type User = KickUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "kick",
        name: "Kick",
        authorization_url: "https://id.kick.com/oauth/authorize",
        token_url: "https://id.kick.com/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://api.kick.com/public/v1/users"),
        issuer: None,
        default_scopes: &["user:read"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "data[0].user_id",
        email_verified_source: "never: Kick's `Get Users` returns `email` without saying whether it was verified",
        docs_url: "https://docs.kick.com/getting-started/generating-tokens-oauth2-flow",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<KickUser, Error> {
        let users: Users = request.get(request.userinfo_url()?.clone()).send().await?;
        Ok(users.data)
    }
}

impl Refresh for Kick {}

/// `Get Users`' envelope: `{"data": [user], "message": "OK"}`.
#[derive(Deserialize)]
struct Users {
    #[serde(deserialize_with = "first_user")]
    data: KickUser,
}

/// The first user of `data`; an empty list is an invalid response.
fn first_user<'de, D: Deserializer<'de>>(d: D) -> Result<KickUser, D::Error> {
    Vec::<KickUser>::deserialize(d)?
        .into_iter()
        .next()
        .ok_or_else(|| serde::de::Error::invalid_length(0, &"the signed-in user"))
}

/// A Kick user: `data[0]` of [`Get Users`](https://docs.kick.com/apis/users) called
/// with the user's access token (scope `user:read`) and no `id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KickUser {
    /// The user's id, a number: stable for the life of the account.
    pub user_id: u64,
    /// The username. Users can change it; never key on it.
    pub name: String,
    /// The email address. Kick does not say whether it verified it.
    #[serde(default)]
    pub email: Option<String>,
    /// The URL of the profile picture.
    #[serde(default)]
    pub profile_picture: Option<String>,
}

impl ProviderUser for KickUser {
    fn provider_user_id(&self) -> String {
        self.user_id.to_string()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(Some(self.name.clone()))
            .with_username(Some(self.name.clone()))
            // Kick does not say whether the address was verified.
            .with_email(self.email.clone().filter(|e| !e.is_empty()), false)
            .with_avatar_url(self.profile_picture.clone().filter(|u| !u.is_empty()))
    }
}
