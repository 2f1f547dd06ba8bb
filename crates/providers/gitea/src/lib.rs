//! Sign in with [Gitea](https://about.gitea.com) — gitea.com, a self-hosted Gitea, or a
//! Forgejo server such as Codeberg, which share its OAuth2 provider and API — for
//! [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_gitea::Gitea;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let gitea = OAuthClient::new(
//!     // gitea.com; for your own server, Forgejo or Codeberg:
//!     // Gitea::new().base_url("https://codeberg.org".parse()?)
//!     Gitea::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/gitea/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = gitea.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * gitea.com by default; any other server with [`Gitea::base_url`]:
//!   `{base}/login/oauth/authorize`, `{base}/login/oauth/access_token` and the API at
//!   `{base}/api/v1`. Forgejo (and Codeberg, which runs it) serves the same endpoints
//!   and API. A path prefix (Gitea under `/git`, with `ROOT_URL` saying so) is kept and
//!   a trailing slash does not double up.
//! * Users are numbered per server: `gitea:1` on two servers would be one identity. An
//!   app that signs in with more than one gives each client its own id with
//!   [`OAuthClient::with_id`](portcullis::OAuthClient::with_id) (`codeberg`, `forgejo`,
//!   …).
//! * Scope `read:user` always: it is what `GET /api/v1/user` and
//!   `GET /api/v1/user/emails` need. Since Gitea 1.23 OAuth2 tokens honour the
//!   granular scopes of personal access tokens, and a token asked only for
//!   `read:user` can read the user and nothing else; older servers (and only-OIDC
//!   scopes) grant full access to the account whatever is asked. Gitea remembers the
//!   scopes a user approved: when the app later asks for other ones, the authorization
//!   fails and the user has to authorize the app anew.
//! * PKCE (S256) for every sign-in: Gitea supports it for confidential and public
//!   clients and checks the verifier whenever a challenge was sent. A public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public), the "confidential
//!   client" box unticked) sends only `client_id` and the verifier, as Gitea's PKCE
//!   example does.
//! * Client authentication with `client_id` and `client_secret` in the form body, as in
//!   Gitea's example (it accepts HTTP Basic too). A redirect URI is required and must be
//!   the authorization request's.
//! * Gitea answers an unknown, used or expired code with `unauthorized_client`
//!   ("client is not authorized"), not `invalid_grant`; a wrong PKCE verifier is
//!   `unauthorized_client` too ("failed PKCE code challenge"). Both come back as
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth).
//! * The provider user id is the numeric `id`, as a decimal string — never `login`,
//!   which users (and administrators) can rename.
//! * The user is `GET /api/v1/user`, then `GET /api/v1/user/emails` for the addresses:
//!   `email_verified` is the `verified` flag of the primary address, as the server
//!   reports it (an instance without `REGISTER_EMAIL_CONFIRM` activates addresses
//!   unchecked). A failed email request fails the sign-in.
//! * API errors are Gitea's own `{"message": …, "url": …}` objects (a token without
//!   `read:user` gets a `403`), not OAuth errors: they come back as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with the message in the excerpt.
//! * Refresh ([`Refresh`]): access tokens last an hour (`ACCESS_TOKEN_EXPIRATION_TIME`),
//!   refresh tokens 730 hours. Every refresh returns a new refresh token; on a server
//!   with `INVALIDATE_REFRESH_TOKENS` on (off by default in Gitea) the old one is then
//!   refused (`unauthorized_client`, "token was already used"), so always keep the
//!   newest.
//! * No revocation: Gitea has no RFC 7009 endpoint. A user revokes the app's grant in
//!   the settings, which ends every token issued under it.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Url, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Gitea provider: gitea.com, or another Gitea or Forgejo server with
/// [`Gitea::base_url`].
#[derive(Debug, Clone, Default)]
pub struct Gitea {
    base: Option<Url>,
}

impl Gitea {
    /// gitea.com.
    pub fn new() -> Self {
        Gitea::default()
    }

    /// The Gitea or Forgejo server at `base` (its `ROOT_URL`), e.g.
    /// `https://git.example.com`, `https://codeberg.org` or `https://example.com/git`:
    /// sign-in at `{base}/login/oauth/…`, the user at `{base}/api/v1/user`.
    #[must_use]
    pub fn base_url(mut self, base: Url) -> Self {
        self.base = Some(base);
        self
    }
}

impl Provider for Gitea {
    type User = GiteaUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "gitea",
        name: "Gitea",
        authorization_url: "https://gitea.com/login/oauth/authorize",
        token_url: "https://gitea.com/login/oauth/access_token",
        revocation_url: None,
        userinfo_url: Some("https://gitea.com/api/v1/user"),
        issuer: None,
        default_scopes: &["read:user"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "`verified` of the primary address in `GET /api/v1/user/emails`, as the server reports it",
        docs_url: "https://docs.gitea.com/development/oauth2-provider",
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
            authorization: join("/login/oauth/authorize"),
            token: join("/login/oauth/access_token"),
            revocation: None,
            userinfo: Some(join("/api/v1/user")),
            issuer: None,
            issuer_required: false,
        }
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<GiteaUser, Error> {
        let user_url = request.userinfo_url()?;
        let mut user: GiteaUser = request.get(user_url.clone()).send().await?;
        let mut emails_url = user_url.clone();
        emails_url.set_path(&format!("{}/emails", user_url.path().trim_end_matches('/')));
        user.emails = request.get(emails_url).send().await?;
        Ok(user)
    }
}

impl Refresh for Gitea {}

/// A Gitea user: [`GET /api/v1/user`](https://gitea.com/api/swagger#/user/userGetCurrent)
/// (the `User` object of Gitea's API), plus the addresses of `GET /api/v1/user/emails`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GiteaUser {
    /// The user's numeric id on this server: stable for the life of the account. The
    /// provider user id, as a decimal string.
    pub id: i64,
    /// The username. Users and administrators can rename it; never key on it.
    pub login: String,
    /// The name the user signs in with at an external authentication source (LDAP, …);
    /// empty for local accounts.
    #[serde(default)]
    pub login_name: Option<String>,
    /// The id of the user's authentication source; `0` for local accounts.
    #[serde(default)]
    pub source_id: Option<i64>,
    /// The full name; empty when unset.
    #[serde(default)]
    pub full_name: Option<String>,
    /// The primary email address (the real one: the user is reading their own account).
    #[serde(default)]
    pub email: Option<String>,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The profile page URL.
    #[serde(default)]
    pub html_url: Option<String>,
    /// The user's locale (`en-US`).
    #[serde(default)]
    pub language: Option<String>,
    /// Whether the user is a server administrator.
    #[serde(default)]
    pub is_admin: Option<bool>,
    /// When the user last signed in (RFC 3339).
    #[serde(default)]
    pub last_login: Option<String>,
    /// When the account was created (RFC 3339).
    #[serde(default)]
    pub created: Option<String>,
    /// Whether the user is restricted (sees only what they are explicitly given).
    #[serde(default)]
    pub restricted: Option<bool>,
    /// Whether the account is activated.
    #[serde(default)]
    pub active: Option<bool>,
    /// Whether an administrator prohibited the user from signing in.
    #[serde(default)]
    pub prohibit_login: Option<bool>,
    /// The location field of the profile.
    #[serde(default)]
    pub location: Option<String>,
    /// The website field of the profile.
    #[serde(default)]
    pub website: Option<String>,
    /// The profile's description.
    #[serde(default)]
    pub description: Option<String>,
    /// The profile's visibility: `public`, `limited` or `private`.
    #[serde(default)]
    pub visibility: Option<String>,
    /// How many users follow this one.
    #[serde(default)]
    pub followers_count: Option<i64>,
    /// How many users this one follows.
    #[serde(default)]
    pub following_count: Option<i64>,
    /// How many repositories the user starred.
    #[serde(default)]
    pub starred_repos_count: Option<i64>,
    /// The user's addresses, from `GET /api/v1/user/emails` (not part of the user
    /// object).
    #[serde(default)]
    pub emails: Vec<GiteaEmail>,
}

/// An email address of a Gitea user, as `GET /api/v1/user/emails` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct GiteaEmail {
    /// The address.
    pub email: String,
    /// Whether the address is activated (confirmed, where the server asks for it).
    pub verified: bool,
    /// Whether this is the primary address, the user's `email`.
    pub primary: bool,
    /// The owner's id.
    #[serde(default)]
    pub user_id: Option<i64>,
    /// The owner's username.
    #[serde(default)]
    pub username: Option<String>,
}

impl GiteaUser {
    /// The primary address, if Gitea lists it as verified.
    fn verified_primary(&self, email: &str) -> bool {
        self.emails
            .iter()
            .any(|e| e.primary && e.verified && e.email.eq_ignore_ascii_case(email))
    }
}

impl ProviderUser for GiteaUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let email = self.email.clone().filter(|e| !e.is_empty());
        let verified = email.as_deref().is_some_and(|e| self.verified_primary(e));
        Profile::new(self.provider_user_id())
            .with_name(
                self.full_name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .or_else(|| Some(self.login.clone())),
            )
            .with_username(Some(self.login.clone()))
            .with_email(email, verified)
            .with_avatar_url(self.avatar_url.clone().filter(|url| !url.is_empty()))
    }
}
