//! Sign in with Atlassian for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_atlassian::Atlassian;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let atlassian = OAuthClient::new(
//!     Atlassian::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/atlassian/callback".parse()?)
//!         .scope("offline_access"), // for a refresh token
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = atlassian.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Atlassian's OAuth 2.0 authorization code grants ("3LO") at `auth.atlassian.com`,
//!   with the two parameters Atlassian's authorization URL documents as required:
//!   `audience=api.atlassian.com` and `prompt=consent`, sent after the standard ones, as
//!   Lucia did. An app can replace either with
//!   [`ClientConfig::authorization_param`](portcullis::ClientConfig::authorization_param).
//! * Scope `read:me` always (the User Identity API, for `/me`); the app adds the product
//!   scopes it needs (`read:jira-work`, …) and `offline_access` for a refresh token.
//! * No PKCE: Atlassian's 3LO documentation describes none, so none is sent (as Lucia and
//!   Arctic).
//! * The token request is `POST https://auth.atlassian.com/oauth/token` with `client_id`
//!   and `client_secret` in the body. Atlassian's examples send that body as JSON; this
//!   crate sends the standard form-encoded body of RFC 6749, as Lucia, Arctic and
//!   django-allauth do against the same endpoint (Atlassian's authorization server is
//!   built on Auth0, which takes both). Lucia 3.0–3.5.2 used the wrong token URL
//!   `https://auth.atlassian.com/token`; 3.5.3 fixed it to `/oauth/token`, used here.
//! * A redirect URI is required: Atlassian documents `redirect_uri` as required and it
//!   must match the app's callback URL in the developer console.
//! * The user comes from `GET https://api.atlassian.com/me`. The provider user id is
//!   `account_id`, which identifies the account across all Atlassian products — never
//!   the email or the nickname, which users can change.
//! * `email_verified` is always false: the documented `/me` response carries no
//!   verification flag. (Some third-party clients read an undocumented `email_verified`
//!   field; Atlassian does not document it, so it is not trusted here.) Depending on the
//!   user's profile visibility settings the email can also be empty; an empty email is
//!   treated as none.
//! * Refresh ([`Refresh`]) with `offline_access`: Atlassian rotates refresh tokens —
//!   each refresh returns a new one and disables the one used — so always store the
//!   refresh token from [`OAuthClient::refresh`](portcullis::OAuthClient::refresh).
//! * No revocation: Atlassian documents no token revocation endpoint for 3LO apps, so
//!   [`Revoke`](portcullis::Revoke) is not implemented (neither Lucia nor Arctic has it).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The `audience` Atlassian's authorization URL requires.
const AUDIENCE: &str = "api.atlassian.com";

/// The Atlassian provider (Jira, Confluence and the other Atlassian Cloud products).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Atlassian {}

impl Atlassian {
    /// Atlassian Cloud (`auth.atlassian.com`).
    pub fn new() -> Self {
        Atlassian::default()
    }
}

impl Provider for Atlassian {
    type User = AtlassianUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "atlassian",
        name: "Atlassian",
        authorization_url: "https://auth.atlassian.com/authorize",
        token_url: "https://auth.atlassian.com/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://api.atlassian.com/me"),
        issuer: None,
        default_scopes: &["read:me"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "account_id",
        email_verified_source: "never: Atlassian's documented `/me` response has no verification flag",
        docs_url: "https://developer.atlassian.com/cloud/oauth/getting-started/implementing-oauth-3lo/",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        vec![
            ("audience", AUDIENCE.to_owned()),
            ("prompt", "consent".to_owned()),
        ]
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<AtlassianUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Atlassian {}

/// An Atlassian account: the public profile from the User Identity API,
/// [`GET https://api.atlassian.com/me`](https://developer.atlassian.com/cloud/oauth/getting-started/faq/)
/// (scope `read:me`).
///
/// Which fields are filled depends on the user's profile visibility settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AtlassianUser {
    /// The account id, unique across all Atlassian products and stable for the life of
    /// the account (e.g. `112233aa-bb11-cc22-33dd-445566abcabc` or `557058:…`). The
    /// provider user id.
    pub account_id: String,
    /// The kind of account: `atlassian`, `app` or `customer`.
    #[serde(default)]
    pub account_type: Option<String>,
    /// The account status: `active`, `inactive` or `closed`.
    #[serde(default)]
    pub account_status: Option<String>,
    /// The email address, subject to the user's profile visibility settings. Atlassian
    /// says nothing about whether it is verified.
    #[serde(default)]
    pub email: Option<String>,
    /// The full name.
    #[serde(default)]
    pub name: Option<String>,
    /// The URL of the profile picture.
    #[serde(default)]
    pub picture: Option<String>,
    /// The nickname (public name). Users can change it; never key on it.
    #[serde(default)]
    pub nickname: Option<String>,
    /// The time zone, as an IANA name (`Australia/Sydney`).
    #[serde(default)]
    pub zoneinfo: Option<String>,
    /// The locale (`en-US`).
    #[serde(default)]
    pub locale: Option<String>,
    /// Job title, organization, department and location, where the user filled them in
    /// and made them visible.
    #[serde(default)]
    pub extended_profile: Option<AtlassianExtendedProfile>,
}

/// The `extended_profile` of an [`AtlassianUser`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AtlassianExtendedProfile {
    /// The job title.
    #[serde(default)]
    pub job_title: Option<String>,
    /// The organization.
    #[serde(default)]
    pub organization: Option<String>,
    /// The department.
    #[serde(default)]
    pub department: Option<String>,
    /// The location.
    #[serde(default)]
    pub location: Option<String>,
}

impl ProviderUser for AtlassianUser {
    fn provider_user_id(&self) -> String {
        self.account_id.clone()
    }

    fn profile(&self) -> Profile {
        let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(non_empty(&self.name).or_else(|| non_empty(&self.nickname)))
            .with_username(non_empty(&self.nickname))
            // Atlassian documents no verification flag for this address.
            .with_email(non_empty(&self.email), false)
            .with_avatar_url(non_empty(&self.picture))
    }
}
