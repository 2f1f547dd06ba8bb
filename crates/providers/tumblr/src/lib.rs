//! Sign in with Tumblr for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_tumblr::Tumblr;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let tumblr = OAuthClient::new(
//!     Tumblr::new(),
//!     ClientConfig::new("oauth-consumer-key", "oauth-consumer-secret")
//!         .redirect_uri("https://app.example/login/tumblr/callback".parse()?)
//!         .scope("offline_access"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = tumblr.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Tumblr's OAuth 2.0 API (not its OAuth 1.0a one): the client id is the app's "OAuth
//!   consumer key", the secret its "OAuth consumer secret". The app must have an OAuth2
//!   redirect URL registered for OAuth 2.0 to be available to it.
//! * **No user id**: `GET https://api.tumblr.com/v2/user/info` documents no identifier
//!   for the account. Its `name` is the user's short name, which is the primary blog's
//!   name and can be renamed, so it is not used. The provider user id is the `uuid` of
//!   the user's **primary blog** (`t:…`), which Tumblr documents as "a stable,
//!   persistent identifier for a blog" that does not change when the blog's name or
//!   domain does ("under exceptional circumstances" it can, and "your own blog's unique
//!   identifier will only be changed with your knowing"). A user whose `blogs` has no
//!   `primary: true` blog with a `uuid` is an invalid response naming `response.user`.
//! * The user is `response.user` of Tumblr's `{"meta": …, "response": …}` envelope.
//!   Errors of the API (e.g. `401` for an expired token) come in the same envelope, not
//!   as OAuth errors: they are unexpected responses.
//! * Default scope `basic` (read): `scope` is required by the authorization endpoint.
//!   `write` adds posting; `offline_access` a refresh token. Scopes are space-delimited.
//! * The email is **never** known: `/v2/user/info` returns none, so
//!   [`Profile::email`](portcullis::Profile) is always `None` and `email_verified`
//!   always false. The profile's username is `name`, its name the primary blog's
//!   `title`; there is no avatar URL in the response.
//! * `client_id` and `client_secret` in the form body, as Tumblr documents for
//!   `/v2/oauth2/token` (Arctic used HTTP Basic instead).
//! * No PKCE: Tumblr documents none.
//! * A redirect URI is optional: Tumblr needs one only when the app registered several,
//!   and then requires the same one at the token endpoint, where Portcullis sends it
//!   whenever it sent it to the authorization endpoint.
//! * Refresh ([`Refresh`]) needs the `offline_access` scope. Access tokens last about 42
//!   minutes (`expires_in: 2520`); each refresh answers a new refresh token, which
//!   replaces the old one.
//! * No revocation: Tumblr documents no revocation endpoint.
//! * Tumblr requires a consistent `User-Agent` on every API request; Portcullis always
//!   sends its own.
//! * Tumblr's token response carries `"id_token": false` (no OpenID Connect): read as no
//!   ID token.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Tumblr provider (OAuth 2.0).
#[derive(Debug, Clone, Default)]
pub struct Tumblr;

impl Tumblr {
    /// The provider with Tumblr's endpoints.
    pub fn new() -> Self {
        Tumblr
    }
}

impl Provider for Tumblr {
    type User = TumblrUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "tumblr",
        name: "Tumblr",
        authorization_url: "https://www.tumblr.com/oauth2/authorize",
        token_url: "https://api.tumblr.com/v2/oauth2/token",
        revocation_url: None,
        userinfo_url: Some("https://api.tumblr.com/v2/user/info"),
        issuer: None,
        default_scopes: &["basic"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: false,
        user_id_field: "response.user.blogs[primary].uuid",
        email_verified_source: "never: Tumblr's `/v2/user/info` returns no email address",
        docs_url: "https://www.tumblr.com/docs/en/api/v2#oauth2-authorization",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TumblrUser, Error> {
        let envelope: Envelope = request.get(request.userinfo_url()?.clone()).send().await?;
        Ok(envelope.response.user)
    }
}

impl Refresh for Tumblr {}

/// Tumblr's response envelope: `{"meta": {"status", "msg"}, "response": {"user": …}}`.
#[derive(Deserialize)]
struct Envelope {
    response: UserResponse,
}

#[derive(Deserialize)]
struct UserResponse {
    user: TumblrUser,
}

/// A Tumblr user: `response.user` of
/// [`GET /v2/user/info`](https://www.tumblr.com/docs/en/api/v2#userinfo--get-a-users-information).
///
/// Parsing fails unless one of `blogs` is the primary blog and has a `uuid`: that uuid
/// is the provider user id.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(try_from = "RawUser")]
#[non_exhaustive]
pub struct TumblrUser {
    /// The user's Tumblr short name (their primary blog's name; renamable, not an id).
    pub name: String,
    /// The number of blogs the user is following.
    #[serde(default)]
    pub following: Option<u64>,
    /// The default posting format: `html`, `markdown` or `raw`.
    #[serde(default)]
    pub default_post_format: Option<String>,
    /// The total count of the user's likes.
    #[serde(default)]
    pub likes: Option<u64>,
    /// The blogs the user has permission to post to, the primary one among them.
    pub blogs: Vec<TumblrBlog>,
}

/// The shape of `/v2/user/info`'s user, before the primary blog is checked.
#[derive(Deserialize)]
struct RawUser {
    name: String,
    #[serde(default)]
    following: Option<u64>,
    #[serde(default)]
    default_post_format: Option<String>,
    #[serde(default)]
    likes: Option<u64>,
    blogs: Vec<TumblrBlog>,
}

impl TryFrom<RawUser> for TumblrUser {
    type Error = &'static str;

    fn try_from(raw: RawUser) -> Result<Self, Self::Error> {
        let user = TumblrUser {
            name: raw.name,
            following: raw.following,
            default_post_format: raw.default_post_format,
            likes: raw.likes,
            blogs: raw.blogs,
        };
        match user.primary_blog().and_then(|blog| blog.uuid.as_ref()) {
            Some(_) => Ok(user),
            None => Err("no primary blog with a `uuid` in `blogs`"),
        }
    }
}

impl TumblrUser {
    /// The user's primary blog: the first of `blogs` with `primary: true`.
    pub fn primary_blog(&self) -> Option<&TumblrBlog> {
        self.blogs.iter().find(|blog| blog.primary == Some(true))
    }
}

/// A blog the user can post to, as `/v2/user/info` lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct TumblrBlog {
    /// The blog's short name (renamable).
    pub name: String,
    /// The blog's unique identifier (`t:…`), stable across renames and domain changes.
    #[serde(default)]
    pub uuid: Option<String>,
    /// The blog's URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The blog's title.
    #[serde(default)]
    pub title: Option<String>,
    /// Whether this is the user's primary blog.
    #[serde(default)]
    pub primary: Option<bool>,
    /// The total count of the blog's followers.
    #[serde(default)]
    pub followers: Option<u64>,
    /// Whether posts are tweeted: `auto`, `Y` or `N`.
    #[serde(default)]
    pub tweet: Option<String>,
    /// Whether the blog is `public` or `private`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl ProviderUser for TumblrUser {
    /// The primary blog's `uuid`, which parsing guarantees; empty only for a user whose
    /// `blogs` the app changed after parsing.
    fn provider_user_id(&self) -> String {
        self.primary_blog()
            .and_then(|blog| blog.uuid.clone())
            .unwrap_or_default()
    }

    fn profile(&self) -> Profile {
        let title = self
            .primary_blog()
            .and_then(|blog| blog.title.clone())
            .filter(|title| !title.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(title)
            .with_username(Some(self.name.clone()))
    }
}
