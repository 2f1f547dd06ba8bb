//! Sign in with Zoom for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_zoom::Zoom;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let zoom = OAuthClient::new(
//!     Zoom::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/zoom/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = zoom.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The user authorization ("authorization code") flow of a Zoom **General app** (user-
//!   or admin-managed), at `https://zoom.us/oauth/authorize` and
//!   `https://zoom.us/oauth/token`. Server-to-Server apps have no sign-in and are not
//!   for this crate.
//! * No default scope: Zoom grants the scopes selected on the app's *Scopes* page in the
//!   Marketplace. Select the one `Get a user` needs (`user:read:user` on apps with
//!   granular scopes, `user:read` on apps with classic scopes), or the user request
//!   fails with Zoom's API error.
//! * PKCE (S256) on every sign-in: Zoom documents PKCE for the user authorization flow.
//! * HTTP Basic client authentication (`Authorization: Basic base64(client_id:secret)`),
//!   as Zoom documents for its token, refresh and revocation requests. Zoom's *public
//!   client OAuth* (a separate public client id, no secret, for native apps) works with
//!   [`ClientConfig::public`](portcullis::ClientConfig::public): `client_id` and the
//!   PKCE verifier, no `Authorization` header.
//! * A redirect URI is required: it must match the app's OAuth redirect URL or allow
//!   list, and Zoom checks it again at the token exchange (error 4709 when it differs).
//! * The user is `GET https://api.zoom.us/v2/users/me` (`Get a user` with the `me`
//!   keyword), typed as [`ZoomUser`].
//! * The provider user id is `id` (`KDcuGIm1QgePTO8WbOqwIQ`) — never the email, which
//!   can change.
//! * The profile's email is verified only when `verified` is `1`. Zoom's Users API
//!   documents that integer as "whether the user's email address for the Zoom account is
//!   verified" (`1`: a verified user email, `0`: not verified); `Get a user` words it
//!   as "whether the user is verified". Anything but `1`, or no `verified` at all, is
//!   unverified.
//! * Token errors come as `{"reason": "Invalid authorization code", "error":
//!   "invalid_grant"}`: a typed
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth) with the `error`
//!   code. Zoom's `reason` is not RFC 6749's `error_description`, so the error carries
//!   no description.
//! * API errors are Zoom's own `{"code": 124, "message": "Invalid access token."}`: a
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   whose excerpt holds the message.
//! * Refresh ([`Refresh`]): access tokens last an hour. Zoom rotates the refresh token
//!   on every refresh and the old one stops working, so always keep the newest.
//! * Revocation ([`Revoke`]) at `https://zoom.us/oauth/revoke`: a form POST of `token`
//!   with HTTP Basic, answered `{"status": "success"}`. Zoom's staff say on its
//!   developer forum that revoking also uninstalls the app for that user (a
//!   deauthorization event follows).
//! * Zoom for Government (`zoomgov.com`) is not configured here: point
//!   [`OAuthClient::with_endpoints`](portcullis::OAuthClient::with_endpoints) at its
//!   endpoints.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Zoom provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Zoom {}

impl Zoom {
    /// zoom.us.
    pub fn new() -> Self {
        Zoom::default()
    }
}

impl Provider for Zoom {
    type User = ZoomUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "zoom",
        name: "Zoom",
        authorization_url: "https://zoom.us/oauth/authorize",
        token_url: "https://zoom.us/oauth/token",
        revocation_url: Some("https://zoom.us/oauth/revoke"),
        userinfo_url: Some("https://api.zoom.us/v2/users/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "`verified` of `Get a user` equal to `1`: Zoom's Users API documents it as whether the user's email address for the Zoom account is verified",
        docs_url: "https://developers.zoom.us/docs/integrations/oauth/",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<ZoomUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Zoom {}

impl Revoke for Zoom {}

/// A Zoom user: [`Get a user`](https://developers.zoom.us/docs/api/users/#tag/users/GET/users/{userId})
/// called as `GET /v2/users/me` with the user's access token.
///
/// Every field but `id` is optional: Zoom leaves fields out by plan, account settings
/// and login type.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct ZoomUser {
    /// The user's id (`KDcuGIm1QgePTO8WbOqwIQ`): stable for the life of the account.
    pub id: String,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The display name (`Jill Chill`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The email address. It can change; never key on it.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the email address is verified: `1` verified, `0` not.
    #[serde(default)]
    pub verified: Option<u32>,
    /// The plan type: `1` Basic, `2` Licensed, `4` no Meetings license, `99` none.
    #[serde(default, rename = "type")]
    pub plan_type: Option<u32>,
    /// The account status: `pending`, `active` or `inactive`.
    #[serde(default)]
    pub status: Option<String>,
    /// The id of the Zoom account the user belongs to.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The number of the Zoom account the user belongs to.
    #[serde(default)]
    pub account_number: Option<u64>,
    /// The data-center cluster of the user (`us04`).
    #[serde(default)]
    pub cluster: Option<String>,
    /// The id of the user's role (`0`).
    #[serde(default)]
    pub role_id: Option<String>,
    /// The name of the user's role (`Admin`).
    #[serde(default)]
    pub role_name: Option<String>,
    /// How the user signs in to Zoom: `0` Facebook, `1` Google, `24` Apple, `27`
    /// Microsoft, `97` mobile device, `98` RingCentral, `99` API user, `100` work email,
    /// `101` single sign-on (SSO).
    #[serde(default)]
    pub login_types: Option<Vec<u32>>,
    /// The URL of the profile picture.
    #[serde(default)]
    pub pic_url: Option<String>,
    /// The Personal Meeting ID (PMI).
    #[serde(default)]
    pub pmi: Option<u64>,
    /// Whether instant meetings use the PMI.
    #[serde(default)]
    pub use_pmi: Option<bool>,
    /// The personal meeting URL.
    #[serde(default)]
    pub personal_meeting_url: Option<String>,
    /// The personal meeting room URL, if the user has one.
    #[serde(default)]
    pub vanity_url: Option<String>,
    /// The time zone (`Asia/Shanghai`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// The default language of the Zoom web portal (`en-US`).
    #[serde(default)]
    pub language: Option<String>,
    /// The department.
    #[serde(default)]
    pub dept: Option<String>,
    /// The job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// The company.
    #[serde(default)]
    pub company: Option<String>,
    /// The location (`Paris`).
    #[serde(default)]
    pub location: Option<String>,
    /// The user's Jabber id.
    #[serde(default)]
    pub jid: Option<String>,
    /// The ids of the web groups the user belongs to.
    #[serde(default)]
    pub group_ids: Option<Vec<String>>,
    /// The ids of the IM directory groups the user belongs to.
    #[serde(default)]
    pub im_group_ids: Option<Vec<String>>,
    /// The employee's unique id; only with SAML single sign-on (login type `101`).
    #[serde(default)]
    pub employee_unique_id: Option<String>,
    /// When the user's latest login type was created (RFC 3339).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the user was created (RFC 3339).
    #[serde(default)]
    pub user_created_at: Option<String>,
    /// When the user last signed in (RFC 3339).
    #[serde(default)]
    pub last_login_time: Option<String>,
    /// The client version of the user's last sign-in (`5.9.6.4993(mac)`).
    #[serde(default)]
    pub last_client_version: Option<String>,
    /// The user's Zoom Workplace (Zoom One) plan option.
    #[serde(default)]
    pub zoom_one_type: Option<u64>,
}

impl ZoomUser {
    /// The name to show: `display_name`, else the first and last names joined.
    pub fn full_name(&self) -> Option<String> {
        let non_blank = |s: &Option<String>| {
            s.as_deref()
                .map(str::trim)
                .filter(|s| !s.is_empty())
                .map(str::to_owned)
        };
        non_blank(&self.display_name).or_else(|| {
            let parts: Vec<String> = [non_blank(&self.first_name), non_blank(&self.last_name)]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        })
    }
}

impl ProviderUser for ZoomUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let email = self.email.clone().filter(|e| !e.is_empty());
        Profile::new(self.provider_user_id())
            .with_name(self.full_name())
            .with_email(email, self.verified == Some(1))
            .with_avatar_url(self.pic_url.clone().filter(|u| !u.is_empty()))
    }
}
