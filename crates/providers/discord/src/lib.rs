//! Sign in with Discord for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_discord::Discord;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let discord = OAuthClient::new(
//!     Discord::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/discord/callback".parse()?)
//!         .scope("email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = discord.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `identify` always; add `email` (as above) to get the address and whether
//!   Discord verified it.
//! * PKCE (S256): Discord advertises `S256` in its authorization server metadata and
//!   documents PKCE for public clients. Lucia sends none.
//! * Client authentication with HTTP Basic, as every example in Discord's OAuth2 docs
//!   does (`auth=(CLIENT_ID, CLIENT_SECRET)`); Lucia puts `client_secret` in the form
//!   body, which Discord also accepts. A public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only
//!   `client_id` and the PKCE verifier.
//! * A redirect URI is required: Discord checks it at the token exchange.
//! * The callback's `iss` is checked against `https://discord.com` when Discord sends it
//!   (RFC 9207; Discord's metadata sets `authorization_response_iss_parameter_supported`).
//! * The user comes from `GET /api/v10/users/@me`. The version is pinned: without one,
//!   Discord routes to its default version, which its docs mark deprecated. Lucia calls
//!   the unversioned `/api/users/@me`. The OAuth2 endpoints are the unversioned ones
//!   from Discord's URL table.
//! * The provider user id is the snowflake `id` — never `username`, which users can
//!   change and others can then take.
//! * The profile's email is verified only when the user object says `verified: true`.
//! * The avatar URL follows Discord's CDN rules, with the default avatar when the user
//!   has none: [`DiscordUser::avatar_url`].
//! * Refresh (Discord rotates the refresh token) and revocation (RFC 7009; revoking one
//!   token revokes every token of that authorization).
//! * A 429 from the API keeps Discord's `Retry-After`:
//!   [`RequestError::retry_after`](portcullis::RequestError::retry_after).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// Discord's CDN, where avatars live.
const CDN: &str = "https://cdn.discordapp.com";

/// The Discord provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Discord {}

impl Discord {
    /// discord.com.
    pub fn new() -> Self {
        Discord::default()
    }
}

impl Provider for Discord {
    type User = DiscordUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "discord",
        name: "Discord",
        authorization_url: "https://discord.com/oauth2/authorize",
        token_url: "https://discord.com/api/oauth2/token",
        revocation_url: Some("https://discord.com/api/oauth2/token/revoke"),
        userinfo_url: Some("https://discord.com/api/v10/users/@me"),
        issuer: Some("https://discord.com"),
        default_scopes: &["identify"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "`verified` of the user object (with the `email` scope)",
        docs_url: "https://discord.com/developers/docs/topics/oauth2",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<DiscordUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Discord {}

impl Revoke for Discord {}

/// A Discord user: the [user object](https://discord.com/developers/docs/resources/user#user-object)
/// from [`GET /users/@me`](https://discord.com/developers/docs/resources/user#get-current-user).
///
/// `verified` and `email` come only with the `email` scope; the rest with `identify`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DiscordUser {
    /// The user's id, a snowflake (a 64-bit integer sent as a string): stable for the
    /// life of the account.
    pub id: String,
    /// The username. Not unique across Discord for legacy users, and users can change
    /// it; never key on it.
    pub username: String,
    /// The legacy Discord-tag (`"1337"` in `Nelly#1337`); `"0"` for users migrated to
    /// unique usernames.
    pub discriminator: String,
    /// The display name, if the user set one.
    #[serde(default)]
    pub global_name: Option<String>,
    /// The avatar hash; `None` when the user has the default avatar. See
    /// [`DiscordUser::avatar_url`].
    #[serde(default)]
    pub avatar: Option<String>,
    /// Whether the user belongs to an OAuth2 application (a bot).
    #[serde(default)]
    pub bot: Option<bool>,
    /// Whether the user is an official Discord System user.
    #[serde(default)]
    pub system: Option<bool>,
    /// Whether the user has two-factor authentication on.
    #[serde(default)]
    pub mfa_enabled: Option<bool>,
    /// The profile banner hash.
    #[serde(default)]
    pub banner: Option<String>,
    /// The banner colour as an integer (`0xRRGGBB`).
    #[serde(default)]
    pub accent_color: Option<u32>,
    /// The user's chosen language (`en-US`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Whether Discord verified `email` (`email` scope).
    #[serde(default)]
    pub verified: Option<bool>,
    /// The email address (`email` scope); `None` without the scope or for accounts
    /// without one (e.g. signed up by phone).
    #[serde(default)]
    pub email: Option<String>,
    /// The account's [user flags](https://discord.com/developers/docs/resources/user#user-object-user-flags).
    #[serde(default)]
    pub flags: Option<u64>,
    /// The Nitro subscription: 0 none, 1 Nitro Classic, 2 Nitro, 3 Nitro Basic.
    #[serde(default)]
    pub premium_type: Option<u32>,
    /// The public [user flags](https://discord.com/developers/docs/resources/user#user-object-user-flags).
    #[serde(default)]
    pub public_flags: Option<u64>,
    /// The avatar decoration (`{"asset": …, "sku_id": …}`), as Discord sent it: kept as
    /// raw JSON because it is cosmetic and its shape has changed before (it replaced
    /// `avatar_decoration`).
    #[serde(default)]
    pub avatar_decoration_data: Option<serde_json::Value>,
    /// The user's collectibles (nameplate), as Discord sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub collectibles: Option<serde_json::Value>,
    /// The user's primary guild and its server tag, as Discord sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_guild: Option<serde_json::Value>,
}

impl DiscordUser {
    /// The avatar's URL on Discord's CDN: `avatars/{id}/{hash}.png` (`.gif` for animated
    /// hashes, which start with `a_`), or the default avatar `embed/avatars/{index}.png`
    /// when the user has none — index `(id >> 22) % 6` for users on unique usernames
    /// (discriminator `"0"`), `discriminator % 5` for legacy users.
    ///
    /// A value that could not come from Discord (a non-numeric id, a hash with other
    /// characters than letters, digits and `_`) is never put into the URL.
    pub fn avatar_url(&self) -> String {
        let id_is_snowflake = !self.id.is_empty() && self.id.bytes().all(|b| b.is_ascii_digit());
        match self.avatar.as_deref() {
            Some(hash)
                if id_is_snowflake
                    && !hash.is_empty()
                    && hash.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') =>
            {
                let extension = if hash.starts_with("a_") { "gif" } else { "png" };
                format!("{CDN}/avatars/{}/{hash}.{extension}", self.id)
            }
            _ => format!("{CDN}/embed/avatars/{}.png", self.default_avatar_index()),
        }
    }

    /// The index of the default avatar (0–5), per Discord's rules.
    fn default_avatar_index(&self) -> u64 {
        match self.discriminator.parse::<u64>() {
            Ok(legacy) if legacy != 0 => legacy % 5,
            _ => self.id.parse::<u64>().map_or(0, |id| (id >> 22) % 6),
        }
    }
}

impl ProviderUser for DiscordUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(
                self.global_name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .or_else(|| Some(self.username.clone())),
            )
            .with_username(Some(self.username.clone()))
            .with_email(self.email.clone(), self.verified == Some(true))
            .with_avatar_url(Some(self.avatar_url()))
    }
}
