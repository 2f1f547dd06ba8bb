//! Sign in with GitHub for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_github::GitHub;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let github = OAuthClient::new(
//!     GitHub::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/github/callback".parse()?)
//!         .scope("user:email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = github.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * PKCE (S256): GitHub supports and recommends it since July 2025 for OAuth apps and
//!   GitHub Apps. Lucia and Arctic predate that and send none.
//! * GitHub answers token errors with HTTP 200 (`{"error":"bad_verification_code"}`);
//!   they come back as [`RequestErrorKind::OAuth`].
//! * The provider user id is the numeric `id` as a string — never `login`, which users
//!   can change and others can then take.
//! * The email: `/user/emails` is fetched when the token grants `user:email` or `user`,
//!   and — because GitHub App tokens list no scopes — when it lists none (a 403 or 404
//!   then just means no email permission). The profile's email is the primary
//!   **verified** address; without `/user/emails` it is the public email, unverified.
//! * Refresh: GitHub Apps with expiring user tokens get a refresh token.
//! * GitHub Enterprise Server: [`GitHub::enterprise`].

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    RequestErrorKind, Url, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The version of GitHub's REST API this crate is written against.
const API_VERSION: &str = "2022-11-28";

/// The GitHub provider. [`GitHub::new`] for github.com, [`GitHub::enterprise`] for
/// GitHub Enterprise Server.
#[derive(Debug, Clone, Default)]
pub struct GitHub {
    enterprise: Option<Url>,
}

impl GitHub {
    /// github.com.
    pub fn new() -> Self {
        GitHub::default()
    }

    /// A GitHub Enterprise Server at `base` (e.g. `https://github.example.com`): sign-in
    /// at `{base}/login/oauth/…`, the API at `{base}/api/v3`.
    ///
    /// Its users' keys still say `github`: an app that also signs in with github.com
    /// gives this client another id with
    /// [`OAuthClient::with_id`](portcullis::OAuthClient::with_id), or user 1 on both
    /// servers would be one identity.
    pub fn enterprise(base: Url) -> Self {
        GitHub {
            enterprise: Some(base),
        }
    }
}

impl Provider for GitHub {
    type User = GitHubUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "github",
        name: "GitHub",
        authorization_url: "https://github.com/login/oauth/authorize",
        token_url: "https://github.com/login/oauth/access_token",
        revocation_url: None,
        userinfo_url: Some("https://api.github.com/user"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: false,
        user_id_field: "id",
        email_verified_source: "`verified` of the primary address from `/user/emails` (needs the `user:email` scope, or the email permission for GitHub Apps)",
        docs_url: "https://docs.github.com/en/apps/oauth-apps/building-oauth-apps/authorizing-oauth-apps",
    };

    fn endpoints(&self) -> Endpoints {
        let Some(base) = &self.enterprise else {
            return Endpoints::from_info(&Self::INFO);
        };
        let join = |path: &str| {
            let mut url = base.clone();
            url.set_path(&format!("{}{path}", base.path().trim_end_matches('/')));
            url
        };
        Endpoints {
            authorization: join("/login/oauth/authorize"),
            token: join("/login/oauth/access_token"),
            revocation: None,
            userinfo: Some(join("/api/v3/user")),
            issuer: None,
            issuer_required: false,
        }
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<GitHubUser, Error> {
        let user_url = request.userinfo_url()?;
        let mut user: GitHubUser = github_api(&request, user_url.clone()).send().await?;

        let tokens = request.tokens();
        let scopes = tokens.scopes().unwrap_or_default();
        let granted = tokens.has_scope("user:email") || tokens.has_scope("user");
        if granted || scopes.is_empty() {
            let mut emails_url = user_url.clone();
            emails_url.set_path(&format!("{}/emails", user_url.path()));
            user.emails = match github_api(&request, emails_url).send().await {
                Ok(emails) => Some(emails),
                // No email permission: the token simply cannot see them.
                Err(Error::Request(e))
                    if !granted
                        && matches!(
                            e.kind(),
                            RequestErrorKind::UnexpectedResponse {
                                status: 403 | 404,
                                ..
                            }
                        ) =>
                {
                    None
                }
                Err(e) => return Err(e),
            };
        }
        Ok(user)
    }
}

impl Refresh for GitHub {}

fn github_api<'a>(request: &UserRequest<'a>, url: Url) -> portcullis::ApiRequest<'a> {
    request
        .get(url)
        .header("accept", "application/vnd.github+json")
        .header("x-github-api-version", API_VERSION)
}

/// A GitHub user: [`GET /user`](https://docs.github.com/en/rest/users/users#get-the-authenticated-user),
/// plus the addresses from `/user/emails` when the token may read them.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitHubUser {
    /// The user's numeric id: stable for the life of the account.
    pub id: u64,
    /// The global node id (GraphQL).
    #[serde(default)]
    pub node_id: Option<String>,
    /// The username. Users can change it; never key on it.
    pub login: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
    /// The public email, if the user set one. Not necessarily verified.
    #[serde(default)]
    pub email: Option<String>,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The profile page URL.
    #[serde(default)]
    pub html_url: Option<String>,
    /// `User`, `Organization` or `Bot`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// Whether the user is a GitHub staff administrator.
    #[serde(default)]
    pub site_admin: bool,
    /// The company field of the profile.
    #[serde(default)]
    pub company: Option<String>,
    /// The blog or website field of the profile.
    #[serde(default)]
    pub blog: Option<String>,
    /// The location field of the profile.
    #[serde(default)]
    pub location: Option<String>,
    /// The biography.
    #[serde(default)]
    pub bio: Option<String>,
    /// The X/Twitter username.
    #[serde(default)]
    pub twitter_username: Option<String>,
    /// Number of public repositories.
    #[serde(default)]
    pub public_repos: Option<u64>,
    /// Number of followers.
    #[serde(default)]
    pub followers: Option<u64>,
    /// Number of users followed.
    #[serde(default)]
    pub following: Option<u64>,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the profile was last updated (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// Whether two-factor authentication is on (only visible to the user's own token).
    #[serde(default)]
    pub two_factor_authentication: Option<bool>,
    /// The user's addresses from `/user/emails`; `None` when the token may not read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<GitHubEmail>>,
}

/// One address from [`GET /user/emails`](https://docs.github.com/en/rest/users/emails#list-email-addresses-for-the-authenticated-user).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GitHubEmail {
    /// The address.
    pub email: String,
    /// Whether GitHub verified it.
    pub verified: bool,
    /// Whether it is the primary address.
    pub primary: bool,
    /// `public`, `private`, or absent.
    #[serde(default)]
    pub visibility: Option<String>,
}

impl GitHubUser {
    /// The primary address, if GitHub verified it.
    pub fn primary_verified_email(&self) -> Option<&GitHubEmail> {
        self.emails
            .as_ref()?
            .iter()
            .find(|e| e.primary && e.verified)
    }
}

impl ProviderUser for GitHubUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let (email, verified) = match self.primary_verified_email() {
            Some(primary) => (Some(primary.email.clone()), true),
            None => {
                // The public address counts as verified only if /user/emails says so.
                let verified = self.email.as_ref().is_some_and(|public| {
                    self.emails
                        .iter()
                        .flatten()
                        .any(|e| e.verified && e.email.eq_ignore_ascii_case(public))
                });
                (self.email.clone(), verified)
            }
        };
        Profile::new(self.provider_user_id())
            .with_name(self.name.clone().or_else(|| Some(self.login.clone())))
            .with_username(Some(self.login.clone()))
            .with_email(email, verified)
            .with_avatar_url(self.avatar_url.clone())
    }
}
