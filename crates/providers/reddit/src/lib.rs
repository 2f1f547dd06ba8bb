//! Sign in with Reddit for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_reddit::{Reddit, TokenDuration};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // Reddit's API rules ask for a User-Agent naming the app, its version and its author.
//! let http = HttpClient::builder()
//!     .user_agent("web:com.example.myapp:v1.2.3 (by /u/example)")
//!     .build()?;
//! let reddit = OAuthClient::new(
//!     // A refresh token too: `duration=permanent`.
//!     Reddit::new().duration(TokenDuration::Permanent),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/reddit/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?
//! .with_http_client(http);
//! let auth = reddit.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `identity` by default: `/api/v1/me` needs it. Lucia sent no scope, so the
//!   app had to add it.
//! * `duration` is always sent: [`TokenDuration::Temporary`] by default (an access token
//!   and nothing else), [`TokenDuration::Permanent`] with
//!   [`Reddit::duration`] for a refresh token. Lucia always asked for `permanent` — and
//!   then threw the refresh token away.
//! * Client authentication with HTTP Basic, which Reddit requires at the token and
//!   revocation endpoints; the form body carries `grant_type`, `code` and `redirect_uri`
//!   only. Lucia 2.1–2.2 sent the Basic credentials without the `Basic ` prefix, and 3.x
//!   also put `client_id` in the body.
//! * "Installed app" clients have no secret, but Reddit still wants Basic credentials
//!   with an empty password: configure them with `ClientConfig::new(client_id, "")`, not
//!   [`ClientConfig::public`](portcullis::ClientConfig::public) (which sends no
//!   `Authorization` header).
//! * No PKCE: Reddit's OAuth2 documentation describes none.
//! * A redirect URI is required and must match the app's registered one exactly, at the
//!   authorization request and the code exchange.
//! * Reddit answers a bad code with HTTP 200 and `{"error": "invalid_grant"}`; it comes
//!   back as [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth).
//! * The user comes from `GET https://oauth.reddit.com/api/v1/me` with `raw_json=1`, so
//!   Reddit does not HTML-escape `&`, `<` and `>` in the response (it does by default,
//!   for legacy reasons, which breaks `icon_img` URLs). Lucia sent no `raw_json`.
//! * The provider user id is the account's base-36 `id` without the `t2_` prefix, as in
//!   Lucia.
//! * No email: Reddit never gives the address to apps (`has_verified_email` says
//!   whether the account has a verified one, not what it is), so the profile has no
//!   email and `email_verified` is always false.
//! * User-Agent: Reddit's API rules ask every client for a unique, descriptive
//!   User-Agent (`<platform>:<app ID>:<version> (by /u/<reddit username>)`) and throttle
//!   generic ones. The default `portcullis/<version>` is sent unless the app builds an
//!   [`HttpClient`](portcullis::HttpClient) with its own, as above; it applies to the
//!   token, user and revocation requests alike.
//! * Refresh ([`Refresh`]) with [`TokenDuration::Permanent`]; Reddit keeps the refresh
//!   token, which the refreshed tokens carry on.
//! * Revocation ([`Revoke`]) at `https://www.reddit.com/api/v1/revoke_token`: RFC 7009,
//!   HTTP Basic, `token` and `token_type_hint`.
//! * Reddit documents no RFC 9207 `iss` on the callback: nothing to check.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// How long Reddit's grant lasts: the `duration` authorization parameter.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenDuration {
    /// `duration=temporary`: an access token only (valid for `expires_in` seconds), no
    /// refresh token. Reddit's default when the parameter is absent.
    #[default]
    Temporary,
    /// `duration=permanent`: a refresh token too, valid until the user or the app
    /// revokes it.
    Permanent,
}

impl TokenDuration {
    /// The parameter value: `temporary` or `permanent`.
    pub fn as_str(self) -> &'static str {
        match self {
            TokenDuration::Temporary => "temporary",
            TokenDuration::Permanent => "permanent",
        }
    }
}

/// The Reddit provider.
#[derive(Debug, Clone, Default)]
pub struct Reddit {
    duration: TokenDuration,
}

impl Reddit {
    /// reddit.com, asking for a temporary grant (no refresh token).
    pub fn new() -> Self {
        Reddit::default()
    }

    /// The `duration` sent with every authorization request (default
    /// [`TokenDuration::Temporary`]). [`TokenDuration::Permanent`] makes Reddit issue a
    /// refresh token.
    #[must_use]
    pub fn duration(mut self, duration: TokenDuration) -> Self {
        self.duration = duration;
        self
    }
}

impl Provider for Reddit {
    type User = RedditUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "reddit",
        name: "Reddit",
        authorization_url: "https://www.reddit.com/api/v1/authorize",
        token_url: "https://www.reddit.com/api/v1/access_token",
        revocation_url: Some("https://www.reddit.com/api/v1/revoke_token"),
        userinfo_url: Some("https://oauth.reddit.com/api/v1/me"),
        issuer: None,
        default_scopes: &["identity"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "never: Reddit gives apps no email address",
        docs_url: "https://github.com/reddit-archive/reddit/wiki/OAuth2",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        vec![("duration", self.duration.as_str().to_owned())]
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<RedditUser, Error> {
        request
            .get(request.userinfo_url()?.clone())
            .query(&[("raw_json", "1")])
            .send()
            .await
    }
}

impl Refresh for Reddit {}

impl Revoke for Reddit {}

/// A Reddit account: [`GET /api/v1/me`](https://www.reddit.com/dev/api#GET_api_v1_me)
/// with the `identity` scope.
///
/// Reddit sends many more preference and subscription fields; they are not typed here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct RedditUser {
    /// The account id in base 36 (`1w72`), without the `t2_` prefix: the provider user
    /// id.
    pub id: String,
    /// The username (`spez`), shown as `u/spez`.
    pub name: String,
    /// The avatar URL.
    #[serde(default)]
    pub icon_img: Option<String>,
    /// The Snoovatar (avatar builder) image URL; empty when the user has none.
    #[serde(default)]
    pub snoovatar_img: Option<String>,
    /// When the account was created (Unix time, seconds, UTC).
    #[serde(default)]
    pub created_utc: Option<f64>,
    /// Karma from posts.
    #[serde(default)]
    pub link_karma: Option<i64>,
    /// Karma from comments.
    #[serde(default)]
    pub comment_karma: Option<i64>,
    /// All karma together.
    #[serde(default)]
    pub total_karma: Option<i64>,
    /// Whether the account has a verified email address. The address itself is never
    /// given to apps.
    #[serde(default)]
    pub has_verified_email: Option<bool>,
    /// Whether the account is verified.
    #[serde(default)]
    pub verified: Option<bool>,
    /// Whether the user has Reddit Premium.
    #[serde(default)]
    pub is_gold: Option<bool>,
    /// Whether the user moderates a subreddit.
    #[serde(default)]
    pub is_mod: Option<bool>,
    /// Whether the user is a Reddit employee.
    #[serde(default)]
    pub is_employee: Option<bool>,
    /// Whether the account is suspended.
    #[serde(default)]
    pub is_suspended: Option<bool>,
    /// Whether the user opted in to adult content.
    #[serde(default)]
    pub over_18: Option<bool>,
}

impl ProviderUser for RedditUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let avatar = [&self.icon_img, &self.snoovatar_img]
            .into_iter()
            .flatten()
            .find(|url| !url.is_empty())
            .cloned();
        Profile::new(self.provider_user_id())
            .with_name(Some(self.name.clone()))
            .with_username(Some(self.name.clone()))
            .with_email(None, false)
            .with_avatar_url(avatar)
    }
}
