//! Sign in with osu! for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_osu::Osu;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let osu = OAuthClient::new(
//!     Osu::new(),
//!     ClientConfig::new("12345", "client-secret")
//!         .redirect_uri("https://app.example/login/osu/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = osu.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `identify` ("allows reading of the public profile of the user (`/me`)"), which
//!   osu! documents as the default and always implicitly granted for the authorization
//!   code grant; it is sent anyway, as Lucia did. Add `public`, `friends.read`, … with
//!   [`ClientConfig::scope`](portcullis::ClientConfig::scope).
//! * The user comes from `GET /api/v2/me` ("Get Own Data"), which answers with the
//!   user's statistics for their **own default ruleset** (`playmode`). Lucia called
//!   `/api/v2/me/osu`, fixing osu!standard for everyone; [`Osu::ruleset`] asks for one
//!   ruleset explicitly.
//! * The provider user id is the numeric `id` as a decimal string (as in Lucia) — never
//!   `username`, which users can change and osu! then lists in `previous_usernames`.
//! * No email: osu! gives none to OAuth clients, so the profile has no email and
//!   `email_verified` is always false.
//! * Restricted users can authorize like anyone else; osu! documents `is_restricted`
//!   ([`OsuUser::is_restricted`]) for apps that want to keep them out.
//! * The client id (a number) and secret go in the form body, as osu! documents the
//!   token request.
//! * No PKCE: osu!'s documentation describes none.
//! * The redirect URI may be left out: osu! then uses the application's registered
//!   callback URL. When set, it must match that URL exactly.
//! * Refresh ([`Refresh`]): osu! issues a refresh token with every authorization code
//!   exchange and a new one with every refresh.
//! * No [`Revoke`](portcullis::Revoke): osu! revokes a token with
//!   `DELETE /api/v2/oauth/tokens/current`, authenticated by the token itself — not an
//!   RFC 7009 revocation endpoint.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// One of osu!'s four rulesets (game modes), as the API names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Ruleset {
    /// `osu`: osu!standard.
    Osu,
    /// `taiko`: osu!taiko.
    Taiko,
    /// `fruits`: osu!catch.
    Fruits,
    /// `mania`: osu!mania.
    Mania,
}

impl Ruleset {
    /// The name the API uses: `osu`, `taiko`, `fruits` or `mania`.
    pub fn as_str(self) -> &'static str {
        match self {
            Ruleset::Osu => "osu",
            Ruleset::Taiko => "taiko",
            Ruleset::Fruits => "fruits",
            Ruleset::Mania => "mania",
        }
    }
}

/// The osu! provider.
#[derive(Debug, Clone, Default)]
pub struct Osu {
    ruleset: Option<Ruleset>,
}

impl Osu {
    /// osu.ppy.sh, with the user's statistics for their own default ruleset.
    pub fn new() -> Self {
        Osu::default()
    }

    /// Fetches the user with the statistics of `ruleset` (`GET /api/v2/me/{ruleset}`)
    /// instead of the user's default one. Lucia always asked for [`Ruleset::Osu`].
    ///
    /// The user and its id are the same whichever ruleset is asked for.
    #[must_use]
    pub fn ruleset(mut self, ruleset: Ruleset) -> Self {
        self.ruleset = Some(ruleset);
        self
    }
}

impl Provider for Osu {
    type User = OsuUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "osu",
        name: "osu!",
        authorization_url: "https://osu.ppy.sh/oauth/authorize",
        token_url: "https://osu.ppy.sh/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://osu.ppy.sh/api/v2/me"),
        issuer: None,
        default_scopes: &["identify"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: false,
        user_id_field: "id",
        email_verified_source: "never: osu! gives no email address to OAuth clients",
        docs_url: "https://osu.ppy.sh/docs/index.html#authentication",
    };

    fn endpoints(&self) -> Endpoints {
        let mut endpoints = Endpoints::from_info(&Self::INFO);
        if let (Some(ruleset), Some(userinfo)) = (self.ruleset, endpoints.userinfo.as_mut()) {
            let path = format!("{}/{}", userinfo.path(), ruleset.as_str());
            userinfo.set_path(&path);
        }
        endpoints
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<OsuUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Osu {}

/// An osu! user: the [User](https://osu.ppy.sh/docs/index.html#user) object from
/// [Get Own Data](https://osu.ppy.sh/docs/index.html#get-own-data) (`GET /api/v2/me`).
///
/// Statistics, badges, rank history and the other large parts of the response are not
/// typed here.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OsuUser {
    /// The user's numeric id: unique and stable. The provider user id.
    pub id: u64,
    /// The display name. Users can change it; never key on it.
    pub username: String,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The two-letter code of the user's country.
    #[serde(default)]
    pub country_code: Option<String>,
    /// The user's country, code and name.
    #[serde(default)]
    pub country: Option<OsuCountry>,
    /// The identifier of the user's default group (e.g. `default`).
    #[serde(default)]
    pub default_group: Option<String>,
    /// Whether the account has been active in the last months.
    #[serde(default)]
    pub is_active: Option<bool>,
    /// Whether this is a bot account.
    #[serde(default)]
    pub is_bot: Option<bool>,
    /// Whether the account is deleted.
    #[serde(default)]
    pub is_deleted: Option<bool>,
    /// Whether the user is online now (on lazer or the website).
    #[serde(default)]
    pub is_online: Option<bool>,
    /// Whether the user has supporter status.
    #[serde(default)]
    pub is_supporter: Option<bool>,
    /// Whether the user is restricted: osu! lets restricted users authorize, and
    /// includes this for the authenticated user only.
    #[serde(default)]
    pub is_restricted: Option<bool>,
    /// When the user was last seen (ISO 8601); `None` if they hide their online status.
    #[serde(default)]
    pub last_visit: Option<String>,
    /// Whether the user accepts private messages from friends only.
    #[serde(default)]
    pub pm_friends_only: Option<bool>,
    /// The username highlight colour (`#3366FF`), if any.
    #[serde(default)]
    pub profile_colour: Option<String>,
    /// The profile cover image URL (deprecated by osu! in favour of `cover.url`).
    #[serde(default)]
    pub cover_url: Option<String>,
    /// The Discord tag on the profile.
    #[serde(default)]
    pub discord: Option<String>,
    /// Whether the user has ever been a supporter.
    #[serde(default)]
    pub has_supported: Option<bool>,
    /// The interests field of the profile.
    #[serde(default)]
    pub interests: Option<String>,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub join_date: Option<String>,
    /// The location field of the profile.
    #[serde(default)]
    pub location: Option<String>,
    /// The occupation field of the profile.
    #[serde(default)]
    pub occupation: Option<String>,
    /// The user's default ruleset.
    #[serde(default)]
    pub playmode: Option<Ruleset>,
    /// The devices the user plays with (`mouse`, `keyboard`, `tablet`, `touch`).
    #[serde(default)]
    pub playstyle: Option<Vec<String>>,
    /// The number of forum posts.
    #[serde(default)]
    pub post_count: Option<u64>,
    /// The user-specific title.
    #[serde(default)]
    pub title: Option<String>,
    /// The X/Twitter username on the profile.
    #[serde(default)]
    pub twitter: Option<String>,
    /// The website on the profile.
    #[serde(default)]
    pub website: Option<String>,
    /// The user's former usernames.
    #[serde(default)]
    pub previous_usernames: Option<Vec<String>>,
    /// Whether the current session is verified (Get Own Data only).
    #[serde(default)]
    pub session_verified: Option<bool>,
}

/// A country, as the osu! API describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OsuCountry {
    /// The two-letter country code (`AU`).
    pub code: String,
    /// The country's name (`Australia`).
    pub name: String,
}

impl ProviderUser for OsuUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(Some(self.username.clone()))
            .with_username(Some(self.username.clone()))
            .with_email(None, false)
            .with_avatar_url(self.avatar_url.clone())
    }
}
