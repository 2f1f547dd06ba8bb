//! Sign in with Linear for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_linear::Linear;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let linear = OAuthClient::new(
//!     // Show the consent screen every time, so that users can pick another workspace.
//!     Linear::new().prompt_consent(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/linear/callback".parse()?)
//!         .scope("write"), // on top of the default `read`
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = linear.authorization_url();
//! // Redirect to `auth.url` (scope `read,write`), keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `read` always: Linear's default, which its docs say is always present; the
//!   app's scopes are added to it (`write`, `issues:create`, `comments:create`,
//!   `timeSchedule:write`, `admin`). Scopes are **comma-separated** (`read,write`), as
//!   Linear documents.
//! * PKCE (S256): Linear supports it (`plain` or `S256`); Arctic sent none. A public
//!   client ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends only
//!   `client_id` and the PKCE verifier, which Linear allows for PKCE (the secret is then
//!   optional, for the code exchange and for refresh).
//! * Client authentication with `client_id` and `client_secret` in the form body, the
//!   only way Linear documents for the code exchange (a refresh also takes HTTP Basic).
//! * A redirect URI is required: Linear requires `redirect_uri` on the authorization
//!   URL and the same one in the token request.
//! * The token response's `scope` is space-separated (`"read write"`) although the
//!   request's is comma-separated, and an array of strings for applications created
//!   before 1 December 2023: both are read into
//!   [`Tokens::scopes`](portcullis::Tokens::scopes).
//! * Access tokens last 24 hours (`expires_in: 86399`) and come with a refresh token:
//!   Linear moved every application to refresh tokens on 1 April 2026.
//! * Refresh ([`Refresh`]): Linear returns a new refresh token with every refresh; keep
//!   the newest. Linear lets a client replay a refresh for 30 minutes to get a new
//!   refresh token it did not receive.
//! * Revocation ([`Revoke`]) at `https://api.linear.app/oauth/revoke`, with the token in
//!   the `token` form field and its `token_type_hint` (`access_token` or
//!   `refresh_token`), the way Linear asks new integrations to revoke. The client id
//!   and secret go in the form too, as RFC 7009 §2.1 expects of a confidential client;
//!   Linear's docs name no client authentication for this endpoint. Linear answers 400
//!   for a token it cannot revoke (already revoked, say) and 401 for one it cannot
//!   authenticate with. Arctic had neither refresh nor revocation for Linear.
//! * The user comes from Linear's GraphQL API: a **`POST`** to
//!   `https://api.linear.app/graphql` with a JSON body querying `viewer`, the
//!   authenticated user (its id, names, email, avatar, status and workspace). No REST
//!   user endpoint exists.
//! * The provider user id is the viewer's `id`, a UUID — never the email or the
//!   `displayName`. A Linear user belongs to one workspace (organization): the same
//!   person in two workspaces is two users with two ids, and signs in as the user of the
//!   workspace they authorized. [`Linear::prompt_consent`] lets them pick another.
//! * `email_verified` is always false: Linear's `User` has no verification flag, and
//!   its docs say nothing of verifying addresses.
//! * Token errors are RFC 6749 error objects (`{"error": "invalid_grant",
//!   "error_description": "…"}`) and come back as
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth).
//! * GraphQL errors: an answer with a non-2xx status (Linear's
//!   `{"errors": [{"message": "Authentication required, not authenticated", …}]}` for a
//!   refused token comes with a 4xx) comes back as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with an excerpt holding the message. Errors sent with HTTP 200 and `"data": null`
//!   fail the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   naming `data`. Known gap: the GraphQL message is then not kept, because a provider
//!   crate cannot build a request error of its own.
//! * `actor=app` is not offered: with it the token acts as the application (an app user
//!   of its own, for agents and service accounts), not as the person signing in.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Method, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Revoke, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The GraphQL query for the signed-in user: every field of [`LinearUser`].
const VIEWER_QUERY: &str = "query Viewer { viewer { id name displayName email avatarUrl active admin guest url timezone createdAt organization { id name urlKey } } }";

/// The Linear provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Linear {
    prompt_consent: bool,
}

impl Linear {
    /// Linear (`linear.app`), without `prompt=consent`.
    pub fn new() -> Self {
        Linear::default()
    }

    /// Sends `prompt=consent` with every authorization request: Linear then shows its
    /// consent screen even to users who already granted every scope, which lets them
    /// connect another of their workspaces.
    #[must_use]
    pub fn prompt_consent(mut self) -> Self {
        self.prompt_consent = true;
        self
    }
}

impl Provider for Linear {
    type User = LinearUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "linear",
        name: "Linear",
        authorization_url: "https://linear.app/oauth/authorize",
        token_url: "https://api.linear.app/oauth/token",
        revocation_url: Some("https://api.linear.app/oauth/revoke"),
        userinfo_url: Some("https://api.linear.app/graphql"),
        issuer: None,
        default_scopes: &["read"],
        scope_delimiter: ",",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "viewer.id",
        email_verified_source: "never: Linear's `User` has no verification flag",
        docs_url: "https://linear.app/developers/oauth-2-0-authentication",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        if self.prompt_consent {
            vec![("prompt", "consent".to_owned())]
        } else {
            Vec::new()
        }
    }

    /// `viewer` from Linear's GraphQL API.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<LinearUser, Error> {
        let query = serde_json::json!({ "query": VIEWER_QUERY });
        let response: ViewerResponse = request
            .request(Method::POST, request.userinfo_url()?.clone())
            .json_body(&query)
            .send()
            .await?;
        Ok(response.data.viewer)
    }
}

impl Refresh for Linear {}

impl Revoke for Linear {}

/// The GraphQL response to [`VIEWER_QUERY`]. Without `data` (GraphQL errors sent with
/// HTTP 200) it does not parse, naming `data`.
#[derive(Deserialize)]
struct ViewerResponse {
    data: ViewerData,
}

#[derive(Deserialize)]
struct ViewerData {
    viewer: LinearUser,
}

/// A Linear user: the `User` object of [Linear's GraphQL
/// API](https://linear.app/developers/graphql) (a user with access to the resources of
/// one organization), as its `viewer` query returns the authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LinearUser {
    /// The unique identifier of the user, a UUID. The provider user id; one per
    /// workspace the person belongs to.
    pub id: String,
    /// The user's full name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's display (nick) name, unique within the organization; users can change
    /// it.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The user's email address. Linear says nothing of its verification.
    #[serde(default)]
    pub email: Option<String>,
    /// A URL of the user's avatar image, if they set one.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// Whether the user account is active, or disabled (suspended).
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether the user is an administrator of the organization.
    #[serde(default)]
    pub admin: Option<bool>,
    /// Whether the user is a guest in the workspace, limited to some of its teams.
    #[serde(default)]
    pub guest: Option<bool>,
    /// The URL of the user's profile.
    #[serde(default)]
    pub url: Option<String>,
    /// The user's local time zone (`Europe/London`).
    #[serde(default)]
    pub timezone: Option<String>,
    /// When the user was created (ISO 8601, e.g. `2023-04-12T09:30:00.000Z`).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The organization (workspace) the user belongs to.
    #[serde(default)]
    pub organization: Option<LinearOrganization>,
}

/// The `organization` of a [`LinearUser`]: the workspace the user belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct LinearOrganization {
    /// The organization's unique identifier, a UUID.
    pub id: String,
    /// The organization's name.
    #[serde(default)]
    pub name: Option<String>,
    /// The organization's unique URL key (`acme` in `https://linear.app/acme`).
    #[serde(default)]
    pub url_key: Option<String>,
}

impl ProviderUser for LinearUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let display_name = Profile::non_blank(self.display_name.as_deref());
        Profile::new(self.provider_user_id())
            .with_name(
                Profile::non_blank(self.name.as_deref())
                    .or(display_name)
                    .map(str::to_owned),
            )
            .with_username(display_name.map(str::to_owned))
            // Linear's user has no verification flag: never verified.
            .with_email(self.email.clone(), false)
            .with_avatar_url(self.avatar_url.clone())
    }
}
