//! Sign in with Box for [Portcullis](portcullis).
//!
//! The provider type is [`BoxCom`], after box.com: a type named `Box` would shadow
//! `std`'s `Box` wherever it is imported.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let box_client = OAuthClient::new(
//!     portcullis_box::BoxCom::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/box/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = box_client.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Box's OAuth 2.0 authorization code flow: authorization at
//!   `https://account.box.com/api/oauth2/authorize`, tokens at
//!   `https://api.box.com/oauth2/token`, `client_id` and `client_secret` in the form body
//!   as Box's examples show.
//! * No scope is sent by default: Box then grants the scopes configured for the app in
//!   its developer console. An app can narrow them with
//!   [`ClientConfig::scope`](portcullis::ClientConfig::scope) (`root_readonly`, …).
//!   Lucia had no scope option at all.
//! * No PKCE: Box documents none.
//! * The redirect URI is optional, as Box documents: without one Box uses the app's
//!   configured redirect URI; it is needed when the app has several.
//! * The user comes from `GET https://api.box.com/2.0/users/me`. The provider user id is
//!   Box's `id` (a numeric string) — never `login`, the email address, which can change.
//! * `email_verified` is always false: Box documents `login` as "the primary email
//!   address of this user" with no verification flag. (`notification_email` has an
//!   `is_confirmed` flag, but it is a different, alternate address.)
//! * Refresh ([`Refresh`]): Box refresh tokens are single-use — every refresh returns a
//!   new one, which [`OAuthClient::refresh`](portcullis::OAuthClient::refresh) passes
//!   on. Lucia dropped Box's refresh token and expiry.
//! * Revocation ([`Revoke`]) at `https://api.box.com/oauth2/revoke`: a form `POST` of
//!   `token` with `client_id` and `client_secret` (RFC 7009-style), for an access or a
//!   refresh token.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Box provider (box.com).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct BoxCom {}

impl BoxCom {
    /// box.com.
    pub fn new() -> Self {
        BoxCom::default()
    }
}

impl Provider for BoxCom {
    type User = BoxUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "box",
        name: "Box",
        authorization_url: "https://account.box.com/api/oauth2/authorize",
        token_url: "https://api.box.com/oauth2/token",
        revocation_url: Some("https://api.box.com/oauth2/revoke"),
        userinfo_url: Some("https://api.box.com/2.0/users/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: false,
        user_id_field: "id",
        email_verified_source: "never: Box documents `login` as the primary email address with no verification flag",
        docs_url: "https://developer.box.com/guides/authentication/oauth2/without-sdk/",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<BoxUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for BoxCom {}

impl Revoke for BoxCom {}

/// A Box user: the [user object](https://developer.box.com/reference/resources/user/)
/// from [`GET /2.0/users/me`](https://developer.box.com/reference/get-users-me/).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BoxUser {
    /// The user's id (a numeric string, e.g. `"11446498"`): stable for the life of the
    /// account. The provider user id.
    pub id: String,
    /// The object type, always `user`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The primary email address, which users sign in with. Box gives no verification
    /// flag for it, and it can change: never key on it.
    #[serde(default)]
    pub login: Option<String>,
    /// When the user object was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the user object was last modified (ISO 8601).
    #[serde(default)]
    pub modified_at: Option<String>,
    /// The language, in Box's modified ISO 639-1 format (`en`).
    #[serde(default)]
    pub language: Option<String>,
    /// The time zone (`Africa/Bujumbura`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// The total available space in bytes.
    #[serde(default)]
    pub space_amount: Option<u64>,
    /// The space in use, in bytes.
    #[serde(default)]
    pub space_used: Option<u64>,
    /// The largest file the user may upload, in bytes.
    #[serde(default)]
    pub max_upload_size: Option<u64>,
    /// The account status: `active`, `inactive`, `cannot_delete_edit` or
    /// `cannot_delete_edit_upload`.
    #[serde(default)]
    pub status: Option<String>,
    /// The job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// The phone number.
    #[serde(default)]
    pub phone: Option<String>,
    /// The postal address.
    #[serde(default)]
    pub address: Option<String>,
    /// The URL of the avatar image.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// An alternate address notifications go to once confirmed. Not the sign-in email.
    #[serde(default)]
    pub notification_email: Option<BoxNotificationEmail>,
    /// The user's role in the enterprise: `admin`, `coadmin` or `user` (full user
    /// representation).
    #[serde(default)]
    pub role: Option<String>,
    /// The enterprise the user belongs to, for enterprise accounts (full user
    /// representation).
    #[serde(default)]
    pub enterprise: Option<BoxEnterprise>,
    /// The user's Box domain (`https://example.app.box.com/`) (full user representation).
    #[serde(default)]
    pub hostname: Option<String>,
}

/// The `notification_email` of a [`BoxUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BoxNotificationEmail {
    /// The address notifications are sent to.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the user confirmed this address.
    #[serde(default)]
    pub is_confirmed: Option<bool>,
}

/// The `enterprise` of a [`BoxUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BoxEnterprise {
    /// The enterprise id.
    pub id: String,
    /// The object type, `enterprise`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The enterprise name.
    #[serde(default)]
    pub name: Option<String>,
}

impl ProviderUser for BoxUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.clone())
            // Box documents no verification flag for `login`.
            .with_email(self.login.clone().filter(|l| !l.is_empty()), false)
            .with_avatar_url(self.avatar_url.clone())
    }
}
