//! Sign in with Dropbox for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_dropbox::{Dropbox, TokenAccessType};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let dropbox = OAuthClient::new(
//!     // Offline access: Dropbox issues a refresh token.
//!     Dropbox::new().token_access_type(TokenAccessType::Offline),
//!     ClientConfig::new("app-key", "app-secret")
//!         .redirect_uri("https://app.example/login/dropbox/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = dropbox.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `account_info.read` always (the scope `users/get_current_account` needs); the
//!   app adds the scopes it uses (`files.content.read`, …). Without a `scope` parameter
//!   Dropbox would ask for every scope the app has in the App Console.
//! * `token_access_type` is always sent, `online` unless the app chooses
//!   [`TokenAccessType::Offline`] (as Lucia did): `online` gets a short-lived access
//!   token only, `offline` a refresh token too. The deprecated `legacy` long-lived
//!   tokens are not offered.
//! * PKCE (S256): Dropbox supports it (`code_challenge`, `code_challenge_method`) and
//!   recommends it. Lucia sent none. A public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only the app key
//!   and the verifier.
//! * Client authentication with HTTP Basic (app key and secret), as the examples in
//!   Dropbox's OAuth guide do (`curl -u <APP_KEY>:<APP_SECRET>`). Lucia sent them as form
//!   fields instead.
//! * A redirect URI is required here: without one Dropbox shows the code to the user to
//!   copy by hand instead of redirecting back, which a sign-in cannot use.
//! * Tokens come from `https://api.dropboxapi.com/oauth2/token` (Lucia ≤ 3.5.0 used the
//!   older `https://www.dropbox.com/oauth2/token`).
//! * The user comes from `users/get_current_account`, an RPC endpoint: a **`POST`** to
//!   `https://api.dropboxapi.com/2/users/get_current_account` with no body (Dropbox
//!   rejects a `GET`; Lucia ≤ 3.5.0 sent one).
//! * The provider user id is `account_id` (`dbid:…`), Dropbox's unique, stable id for
//!   the user — never the email, which can change.
//! * `email_verified` is Dropbox's `email_verified`; Dropbox itself warns that even a
//!   verified address may since have been lost by the user.
//! * Refresh ([`Refresh`]) with [`TokenAccessType::Offline`]. Dropbox does not rotate
//!   refresh tokens: the tokens from
//!   [`OAuthClient::refresh`](portcullis::OAuthClient::refresh) keep the one passed in.
//! * No [`Revoke`](portcullis::Revoke): Dropbox revokes with `POST /2/auth/token/revoke`,
//!   authenticated by the access token itself with no parameters — not RFC 7009 (Arctic
//!   calls that endpoint; it cannot go through the RFC 7009 revocation here). Call it
//!   with the app's own HTTP client to sign a user out of Dropbox.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Method, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// Whether Dropbox should issue a refresh token: the `token_access_type` authorization
/// parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenAccessType {
    /// `token_access_type=online`: a short-lived access token only, for use while the
    /// user is at the app. The default.
    #[default]
    Online,
    /// `token_access_type=offline`: a short-lived access token and a long-lived refresh
    /// token.
    Offline,
}

impl TokenAccessType {
    /// The parameter value: `online` or `offline`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenAccessType::Online => "online",
            TokenAccessType::Offline => "offline",
        }
    }
}

/// The Dropbox provider.
#[derive(Debug, Clone, Default)]
pub struct Dropbox {
    token_access_type: TokenAccessType,
}

impl Dropbox {
    /// Dropbox, with `token_access_type=online`.
    pub fn new() -> Self {
        Dropbox::default()
    }

    /// The `token_access_type` sent with every authorization request. Default:
    /// [`TokenAccessType::Online`]; [`TokenAccessType::Offline`] makes Dropbox issue a
    /// refresh token.
    #[must_use]
    pub fn token_access_type(mut self, token_access_type: TokenAccessType) -> Self {
        self.token_access_type = token_access_type;
        self
    }
}

impl Provider for Dropbox {
    type User = DropboxUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "dropbox",
        name: "Dropbox",
        authorization_url: "https://www.dropbox.com/oauth2/authorize",
        token_url: "https://api.dropboxapi.com/oauth2/token",
        revocation_url: None,
        userinfo_url: Some("https://api.dropboxapi.com/2/users/get_current_account"),
        issuer: None,
        default_scopes: &["account_info.read"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "account_id",
        email_verified_source: "`email_verified` of the account from `users/get_current_account`",
        docs_url: "https://developers.dropbox.com/oauth-guide",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        vec![(
            "token_access_type",
            self.token_access_type.as_str().to_owned(),
        )]
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<DropboxUser, Error> {
        // An RPC endpoint without arguments: POST, no body.
        request
            .request(Method::POST, request.userinfo_url()?.clone())
            .send()
            .await
    }
}

impl Refresh for Dropbox {}

/// A Dropbox account: the `FullAccount` from
/// [`users/get_current_account`](https://www.dropbox.com/developers/documentation/http/documentation#users-get_current_account).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropboxUser {
    /// The user's unique Dropbox id (`dbid:…`). The provider user id.
    pub account_id: String,
    /// The user's name, in its several forms.
    pub name: DropboxName,
    /// The email address. Rely on it only when `email_verified` is true — and even then
    /// the user may since have lost access to it, as Dropbox warns.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the user verified `email`.
    #[serde(default)]
    pub email_verified: bool,
    /// Whether the account has been disabled.
    #[serde(default)]
    pub disabled: bool,
    /// The language the user chose, as an IETF language tag (`en`).
    #[serde(default)]
    pub locale: Option<String>,
    /// The user's referral link.
    #[serde(default)]
    pub referral_link: Option<String>,
    /// Whether the user has a personal and a work account linked.
    #[serde(default)]
    pub is_paired: bool,
    /// The account type: `basic`, `pro` or `business`.
    #[serde(default)]
    pub account_type: Option<DropboxTag>,
    /// The root namespace of the account (`user` or `team`).
    #[serde(default)]
    pub root_info: Option<DropboxRootInfo>,
    /// The URL of the profile photo, if the user set one.
    #[serde(default)]
    pub profile_photo_url: Option<String>,
    /// The user's country, as an ISO 3166-2 code (`US`), if known.
    #[serde(default)]
    pub country: Option<String>,
    /// The team the user belongs to, for work accounts.
    #[serde(default)]
    pub team: Option<DropboxTeam>,
    /// The user's id as a member of `team`, for work accounts.
    #[serde(default)]
    pub team_member_id: Option<String>,
}

/// The `name` of a [`DropboxUser`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropboxName {
    /// The first name (`Franz`).
    #[serde(default)]
    pub given_name: Option<String>,
    /// The last name (`Ferdinand`).
    #[serde(default)]
    pub surname: Option<String>,
    /// The locale-dependent name used informally (`Franz`).
    #[serde(default)]
    pub familiar_name: Option<String>,
    /// The full name to display (`Franz Ferdinand (Personal)`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// An abbreviated form, e.g. initials (`FF`).
    #[serde(default)]
    pub abbreviated_name: Option<String>,
}

/// A Dropbox union value such as `{".tag": "basic"}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropboxTag {
    /// The variant (`basic`, `pro`, `business`).
    #[serde(rename = ".tag")]
    pub tag: String,
}

/// The `root_info` of a [`DropboxUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropboxRootInfo {
    /// `user` for a personal root, `team` for a team space.
    #[serde(rename = ".tag")]
    pub tag: String,
    /// The namespace id of the user's root folder.
    #[serde(default)]
    pub root_namespace_id: Option<String>,
    /// The namespace id of the user's home folder.
    #[serde(default)]
    pub home_namespace_id: Option<String>,
    /// The path of the user's home folder in the team space (`team` roots only).
    #[serde(default)]
    pub home_path: Option<String>,
}

/// The `team` of a [`DropboxUser`]: its id and name (Dropbox also sends the team's
/// sharing and content policies, which are left out here).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct DropboxTeam {
    /// The team's unique id (`dbtid:…`).
    pub id: String,
    /// The team's name.
    #[serde(default)]
    pub name: Option<String>,
}

impl ProviderUser for DropboxUser {
    fn provider_user_id(&self) -> String {
        self.account_id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.display_name.clone())
            .with_email(
                self.email.clone().filter(|e| !e.is_empty()),
                self.email_verified,
            )
            .with_avatar_url(self.profile_photo_url.clone())
    }
}
