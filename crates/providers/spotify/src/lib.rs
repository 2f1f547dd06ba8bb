//! Sign in with Spotify for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_spotify::Spotify;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let spotify = OAuthClient::new(
//!     Spotify::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/spotify/callback".parse()?)
//!         .scope("user-read-email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = spotify.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The provider user id is `account_id`, **not** `id`. Spotify's
//!   [Spotify URIs and IDs](https://developer.spotify.com/documentation/web-api/concepts/spotify-uris-ids)
//!   page says not to use the user `id` for account linking and to use the account id,
//!   which "is guaranteed to never change" (added to `GET /v1/me` in May 2026). Lucia
//!   keyed on `id`, so keys stored by Lucia (`spotify:<id>`) do not match: find such a
//!   user with [`SpotifyUser::legacy_key`] and re-link them once, as the crate's tests
//!   show.
//! * PKCE (S256) on every sign-in: Spotify supports S256 challenges. Lucia sent none. A
//!   confidential client sends the verifier with HTTP Basic client authentication; a
//!   public client ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends
//!   `client_id` and the verifier, Spotify's "Authorization Code with PKCE" flow.
//! * HTTP Basic client authentication, as Spotify documents for its token endpoint
//!   (Lucia 2.1–2.2 sent the header without the `Basic ` prefix).
//! * A redirect URI is required: Spotify checks it at the token exchange.
//! * No default scope: `GET /v1/me` identifies the user without one. Add
//!   `user-read-email` for `email`, `user-read-private` for `country`, `product` and
//!   `explicit_content`.
//! * The email is **never** verified: Spotify documents it as "unverified; there is no
//!   proof that it actually belongs to the user".
//! * Refresh ([`Refresh`]): Spotify may answer a refresh with a new refresh token (always
//!   keep the newest) or without one (the old one stays valid and is kept).
//! * No revocation: Spotify documents no token revocation endpoint; users remove apps in
//!   their account settings.
//! * [`Spotify::show_dialog`] sends `show_dialog` (Lucia 2.x required it; 3.x dropped
//!   it).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Key, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Spotify provider.
#[derive(Debug, Clone, Default)]
pub struct Spotify {
    show_dialog: Option<bool>,
}

impl Spotify {
    /// Spotify, with no `show_dialog` sent (Spotify's default, `false`).
    pub fn new() -> Self {
        Spotify::default()
    }

    /// Sends `show_dialog` with every authorization request: `true` makes Spotify ask the
    /// user to approve the app again even if they already did (e.g. to switch
    /// accounts); `false` is Spotify's default.
    #[must_use]
    pub fn show_dialog(mut self, show: bool) -> Self {
        self.show_dialog = Some(show);
        self
    }
}

impl Provider for Spotify {
    type User = SpotifyUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "spotify",
        name: "Spotify",
        authorization_url: "https://accounts.spotify.com/authorize",
        token_url: "https://accounts.spotify.com/api/token",
        revocation_url: None,
        userinfo_url: Some("https://api.spotify.com/v1/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "account_id",
        email_verified_source: "never: Spotify documents `email` as unverified (\"there is no proof that it actually belongs to the user\")",
        docs_url: "https://developer.spotify.com/documentation/web-api/tutorials/code-flow",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        self.show_dialog
            .map(|show| ("show_dialog", show.to_string()))
            .into_iter()
            .collect()
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<SpotifyUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Spotify {}

/// A Spotify user: the
/// [current user's profile](https://developer.spotify.com/documentation/web-api/reference/get-current-users-profile)
/// from `GET /v1/me`.
///
/// `email` needs the `user-read-email` scope; `country`, `product` and
/// `explicit_content` need `user-read-private`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpotifyUser {
    /// The account id: public, immutable and pseudonymous, the identifier Spotify
    /// recommends for account linking. The provider user id.
    pub account_id: String,
    /// The Spotify user id (e.g. `wizzler`), the end of the user's Spotify URI. Spotify
    /// says not to link accounts on it; Lucia's keys used it (see `legacy_key`).
    pub id: String,
    /// The name displayed on the profile; `None` if not available.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The email address as entered by the user at sign-up (`user-read-email`).
    /// Unverified: Spotify gives no proof that it belongs to the user.
    #[serde(default)]
    pub email: Option<String>,
    /// The country of the account, an ISO 3166-1 alpha-2 code (`user-read-private`).
    #[serde(default)]
    pub country: Option<String>,
    /// The subscription level: `premium`, `free`, … (`open` counts as `free`)
    /// (`user-read-private`).
    #[serde(default)]
    pub product: Option<String>,
    /// The explicit content settings (`user-read-private`).
    #[serde(default)]
    pub explicit_content: Option<SpotifyExplicitContent>,
    /// Known external URLs for the user (`spotify`: the profile page).
    #[serde(default)]
    pub external_urls: Option<SpotifyExternalUrls>,
    /// The user's followers.
    #[serde(default)]
    pub followers: Option<SpotifyFollowers>,
    /// The Web API endpoint for this user.
    #[serde(default)]
    pub href: Option<String>,
    /// The profile images, possibly none.
    #[serde(default)]
    pub images: Vec<SpotifyImage>,
    /// The object type: `user`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The Spotify URI of the user (`spotify:user:…`).
    #[serde(default)]
    pub uri: Option<String>,
}

impl SpotifyUser {
    /// The key Lucia (and Portcullis before Spotify's account ids) stored for this user:
    /// `spotify:<id>`. Look it up when a sign-in finds no user by the account id, then
    /// link the new key to that user.
    pub fn legacy_key(&self) -> Key {
        Key::new(Spotify::INFO.id, self.id.clone())
    }
}

/// A user's explicit content settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpotifyExplicitContent {
    /// Whether explicit content should not be played.
    #[serde(default)]
    pub filter_enabled: Option<bool>,
    /// Whether the setting is locked and cannot be changed by the user.
    #[serde(default)]
    pub filter_locked: Option<bool>,
}

/// Known external URLs of a Spotify object.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpotifyExternalUrls {
    /// The Spotify URL (`https://open.spotify.com/user/…`).
    #[serde(default)]
    pub spotify: Option<String>,
}

/// Information about a user's followers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpotifyFollowers {
    /// Always `None`: the Web API does not yet list followers.
    #[serde(default)]
    pub href: Option<String>,
    /// The total number of followers.
    #[serde(default)]
    pub total: Option<u64>,
}

/// A profile image.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SpotifyImage {
    /// The image URL (temporary: Spotify may change it).
    pub url: String,
    /// The height in pixels, if known.
    #[serde(default)]
    pub height: Option<u32>,
    /// The width in pixels, if known.
    #[serde(default)]
    pub width: Option<u32>,
}

impl ProviderUser for SpotifyUser {
    fn provider_user_id(&self) -> String {
        self.account_id.clone()
    }

    fn profile(&self) -> Profile {
        // The largest image, or the first when sizes are unknown.
        let avatar = self
            .images
            .iter()
            .rev()
            .max_by_key(|i| u64::from(i.width.unwrap_or(0)) * u64::from(i.height.unwrap_or(0)))
            .map(|i| i.url.clone());
        Profile::new(self.provider_user_id())
            .with_name(
                self.display_name
                    .clone()
                    .filter(|name| !name.trim().is_empty()),
            )
            .with_email(self.email.clone(), false)
            .with_avatar_url(avatar)
    }
}
