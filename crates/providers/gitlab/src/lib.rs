//! Sign in with GitLab (gitlab.com or a self-managed instance) for
//! [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_gitlab::GitLab;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let gitlab = OAuthClient::new(
//!     // gitlab.com; for a self-managed instance:
//!     // GitLab::new().base_url("https://gitlab.example.com".parse()?)
//!     GitLab::new(),
//!     ClientConfig::new("application-id", "secret")
//!         .redirect_uri("https://app.example/login/gitlab/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = gitlab.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * gitlab.com by default; a self-managed instance (or GitLab Dedicated) with
//!   [`GitLab::base_url`]: `{base}/oauth/authorize`, `{base}/oauth/token`,
//!   `{base}/oauth/revoke` and `{base}/api/v4/user`. A path prefix (GitLab under
//!   `/gitlab`) is kept and a trailing slash does not double up; Lucia concatenated
//!   strings, so `https://gitlab.example.com/` gave `//oauth/authorize`.
//! * Scope `read_user` always: it is what `GET /api/v4/user` needs. Add more with
//!   [`ClientConfig::scope`](portcullis::ClientConfig::scope).
//! * PKCE (S256), which GitLab documents and recommends for every app. Lucia and Arctic
//!   send none. A public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only
//!   `client_id` and the verifier, as GitLab's PKCE example does.
//! * Client authentication with `client_id` and `client_secret` in the form body, as in
//!   every GitLab example (Lucia does the same; Arctic uses HTTP Basic, which GitLab's
//!   Doorkeeper also accepts). A redirect URI is required and must match the
//!   authorization request's.
//! * The provider user id is the numeric `id`, as a decimal string (as Lucia's
//!   `id.toString()`) — never `username`, which users can change.
//! * `email_verified` is true when `/api/v4/user` has a `confirmed_at` next to the
//!   primary `email`: GitLab sets it when the user confirms the address, and keeps a
//!   changed address pending until it is confirmed. Lucia reported no verification. It
//!   is what the instance says: on a self-managed instance where an administrator
//!   turned email confirmation off or created the user with `skip_confirmation`, GitLab
//!   reports the account as confirmed.
//! * Refresh ([`Refresh`]): GitLab access tokens expire after two hours; a refresh
//!   returns new access **and** refresh tokens and invalidates the old ones. GitLab's
//!   example also sends `redirect_uri` when refreshing; it is not required and not sent.
//! * Revocation ([`Revoke`]) at `/oauth/revoke` (RFC 7009, `client_id` and
//!   `client_secret` in the body).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Revoke, Url, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The GitLab provider: gitlab.com, or a self-managed instance with
/// [`GitLab::base_url`].
#[derive(Debug, Clone, Default)]
pub struct GitLab {
    base: Option<Url>,
}

impl GitLab {
    /// gitlab.com.
    pub fn new() -> Self {
        GitLab::default()
    }

    /// A self-managed GitLab (or GitLab Dedicated) at `base`, e.g.
    /// `https://gitlab.example.com` or `https://example.com/gitlab`: sign-in at
    /// `{base}/oauth/…`, the user at `{base}/api/v4/user`.
    #[must_use]
    pub fn base_url(mut self, base: Url) -> Self {
        self.base = Some(base);
        self
    }
}

impl Provider for GitLab {
    type User = GitLabUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "gitlab",
        name: "GitLab",
        authorization_url: "https://gitlab.com/oauth/authorize",
        token_url: "https://gitlab.com/oauth/token",
        revocation_url: Some("https://gitlab.com/oauth/revoke"),
        userinfo_url: Some("https://gitlab.com/api/v4/user"),
        issuer: None,
        default_scopes: &["read_user"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "`confirmed_at` of `/api/v4/user`: set once the user confirmed the primary email address (as the instance reports it)",
        docs_url: "https://docs.gitlab.com/api/oauth2/",
    };

    fn endpoints(&self) -> Endpoints {
        let Some(base) = &self.base else {
            return Endpoints::from_info(&Self::INFO);
        };
        let join = |path: &str| {
            let mut url = base.clone();
            url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
            url.set_query(None);
            url.set_fragment(None);
            url
        };
        Endpoints {
            authorization: join("/oauth/authorize"),
            token: join("/oauth/token"),
            revocation: Some(join("/oauth/revoke")),
            userinfo: Some(join("/api/v4/user")),
            issuer: None,
            issuer_required: false,
        }
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<GitLabUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for GitLab {}

impl Revoke for GitLab {}

/// A GitLab user: [`GET /api/v4/user`](https://docs.gitlab.com/api/users/#get-the-current-user)
/// as a regular user sees it (the `read_user` scope).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitLabUser {
    /// The user's numeric id: stable for the life of the account. The provider user id,
    /// as a decimal string.
    pub id: u64,
    /// The username. Users can change it; never key on it.
    pub username: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// `active`, `blocked`, `deactivated`, …
    #[serde(default)]
    pub state: Option<String>,
    /// Whether the account is locked after too many failed sign-ins.
    #[serde(default)]
    pub locked: Option<bool>,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The profile page URL.
    #[serde(default)]
    pub web_url: Option<String>,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The primary email address.
    #[serde(default)]
    pub email: Option<String>,
    /// When the user confirmed their email address (ISO 8601); `None` while unconfirmed.
    #[serde(default)]
    pub confirmed_at: Option<String>,
    /// The email shown on the public profile, if the user chose one.
    #[serde(default)]
    pub public_email: Option<String>,
    /// The email used for web-based Git operations.
    #[serde(default)]
    pub commit_email: Option<String>,
    /// The biography.
    #[serde(default)]
    pub bio: Option<String>,
    /// The location field of the profile.
    #[serde(default)]
    pub location: Option<String>,
    /// The website field of the profile.
    #[serde(default)]
    pub website_url: Option<String>,
    /// The organization field of the profile.
    #[serde(default)]
    pub organization: Option<String>,
    /// The job title field of the profile.
    #[serde(default)]
    pub job_title: Option<String>,
    /// The pronouns field of the profile.
    #[serde(default)]
    pub pronouns: Option<String>,
    /// Whether this is a bot user (project or group access token, service account).
    #[serde(default)]
    pub bot: Option<bool>,
    /// Whether this is an external user (limited access on the instance).
    #[serde(default)]
    pub external: Option<bool>,
    /// Whether the profile is private.
    #[serde(default)]
    pub private_profile: Option<bool>,
    /// Whether two-factor authentication is on.
    #[serde(default)]
    pub two_factor_enabled: Option<bool>,
    /// Whether the user is an instance administrator (only sent to administrators).
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// When the user last signed in (ISO 8601).
    #[serde(default)]
    pub last_sign_in_at: Option<String>,
    /// When the current session signed in (ISO 8601).
    #[serde(default)]
    pub current_sign_in_at: Option<String>,
    /// The last day the user was active (`YYYY-MM-DD`).
    #[serde(default)]
    pub last_activity_on: Option<String>,
    /// The external identities (GitHub, Google, SAML, …) linked to the account.
    #[serde(default)]
    pub identities: Vec<GitLabIdentity>,
}

/// An external identity linked to a GitLab account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitLabIdentity {
    /// The identity provider (`github`, `google_oauth2`, `group_saml`, …).
    pub provider: String,
    /// The user's id at that provider.
    pub extern_uid: String,
}

impl ProviderUser for GitLabUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let (email, verified) = match self.email.as_ref().filter(|e| !e.is_empty()) {
            Some(email) => (Some(email.clone()), self.confirmed_at.is_some()),
            // Without the primary address, the public one — unverified as far as we know.
            None => (self.public_email.clone().filter(|e| !e.is_empty()), false),
        };
        Profile::new(self.provider_user_id())
            .with_name(
                self.name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .or_else(|| Some(self.username.clone())),
            )
            .with_username(Some(self.username.clone()))
            .with_email(email, verified)
            .with_avatar_url(self.avatar_url.clone())
    }
}
