//! Sign in with 42 (the 42 school network's intranet) for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_fortytwo::FortyTwo;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let fortytwo = OAuthClient::new(
//!     FortyTwo::new(),
//!     ClientConfig::new("client-uid", "client-secret")
//!         .redirect_uri("https://app.example/login/fortytwo/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = fortytwo.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The Web Application Flow (authorization code) of the 42 API v2:
//!   `https://api.intra.42.fr/oauth/authorize` and `https://api.intra.42.fr/oauth/token`.
//! * Scope `public` always: the scope of a 42 application's public data, enough for
//!   `GET /v2/me`. 42 documents the scopes as space-separated; add `projects`,
//!   `profile`, `elearning`, `tig` or `forum` with
//!   [`ClientConfig::scope`](portcullis::ClientConfig::scope) if the application is
//!   allowed them.
//! * No PKCE: 42's guide documents none. `client_id` and `client_secret` in the form
//!   body, as the guide's token request shows (Arctic sends them the same way). 42 has
//!   confidential clients only: a public client is refused.
//! * A redirect URI is required: the guide marks `redirect_uri` required at the
//!   authorization and token endpoints. The guide also lists `state` at the token
//!   endpoint; Portcullis checks `state` on the callback and does not send it again
//!   (the 42 server, Doorkeeper, ignores it there).
//! * Tokens last two hours (`expires_in: 7200`); the token response carries a
//!   non-standard `created_at` (UNIX seconds), kept in
//!   [`Tokens::extra`](portcullis::Tokens::extra). 42 sends `token_type` as lowercase
//!   `bearer`, which is accepted.
//! * The user comes from `GET https://api.intra.42.fr/v2/me` with the token as bearer.
//! * The provider user id is the numeric `id`, as a decimal string — never `login`.
//! * The email is **never** verified: `/v2/me` returns `email` (usually the address
//!   the school issued, `login@student.42….`) without saying whether it was verified.
//! * Field names as 42 sends them, `staff?`, `alumni?` and `active?` included; 42
//!   sends blank fields as `null`, which read as `None`.
//! * No [`Refresh`](portcullis::Refresh) and no [`Revoke`](portcullis::Revoke): 42's
//!   guide documents neither a refresh grant nor a revocation endpoint.
//! * A 429 (42 limits each application's request rate) keeps its `Retry-After`:
//!   [`RequestError::retry_after`](portcullis::RequestError::retry_after).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, UserRequest,
};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// The 42 provider (`api.intra.42.fr`).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct FortyTwo {}

impl FortyTwo {
    /// 42's intranet API, `api.intra.42.fr`.
    pub fn new() -> Self {
        FortyTwo::default()
    }
}

impl Provider for FortyTwo {
    type User = FortyTwoUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "fortytwo",
        name: "42",
        authorization_url: "https://api.intra.42.fr/oauth/authorize",
        token_url: "https://api.intra.42.fr/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://api.intra.42.fr/v2/me"),
        issuer: None,
        default_scopes: &["public"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "never: `/v2/me` returns `email` without saying whether 42 verified it",
        docs_url: "https://api.intra.42.fr/apidoc/guides/web_application_flow",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<FortyTwoUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

/// A 42 user: the user object of
/// [`GET /v2/me`](https://api.intra.42.fr/apidoc/2.0/users/me.html), the resource owner
/// of the access token.
///
/// 42 sends blank fields as `null`; they are `None` here.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FortyTwoUser {
    /// The user's numeric id: stable for the life of the account.
    pub id: u64,
    /// The login (`norminet`). Unique, but never key on it: it names the person in the
    /// intranet, not the account.
    pub login: String,
    /// The email address, usually the one the school issued. 42 does not say whether it
    /// was verified.
    #[serde(default)]
    pub email: Option<String>,
    /// The legal first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The legal last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The full name with the user's usual first name, if they set one.
    #[serde(default)]
    pub usual_full_name: Option<String>,
    /// The first name the user goes by, if they set one.
    #[serde(default)]
    pub usual_first_name: Option<String>,
    /// The display name.
    #[serde(default)]
    pub displayname: Option<String>,
    /// The user's API URL (`https://api.intra.42.fr/v2/users/{login}`).
    #[serde(default)]
    pub url: Option<String>,
    /// The phone number, or `"hidden"`.
    #[serde(default)]
    pub phone: Option<String>,
    /// The kind of account: `student`, `external`, `admin`.
    #[serde(default)]
    pub kind: Option<String>,
    /// The profile picture.
    #[serde(default)]
    pub image: Option<FortyTwoImage>,
    /// Whether the user is staff (`staff?`).
    #[serde(default, rename = "staff?")]
    pub staff: Option<bool>,
    /// The user's evaluation points.
    #[serde(default)]
    pub correction_point: Option<i64>,
    /// The month of the user's piscine (`july`).
    #[serde(default)]
    pub pool_month: Option<String>,
    /// The year of the user's piscine (`"2016"`, a string).
    #[serde(default)]
    pub pool_year: Option<String>,
    /// The workstation the user is logged in at, if any.
    #[serde(default)]
    pub location: Option<String>,
    /// The user's wallet (intranet currency).
    #[serde(default)]
    pub wallet: Option<i64>,
    /// When the account's data will be anonymized (ISO 8601).
    #[serde(default)]
    pub anonymize_date: Option<String>,
    /// When the account's data will be erased (ISO 8601).
    #[serde(default)]
    pub data_erasure_date: Option<String>,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the account was last updated (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// When the user became an alumnus (ISO 8601).
    #[serde(default)]
    pub alumnized_at: Option<String>,
    /// Whether the user is an alumnus (`alumni?`).
    #[serde(default, rename = "alumni?")]
    pub alumni: Option<bool>,
    /// Whether the account is active (`active?`).
    #[serde(default, rename = "active?")]
    pub active: Option<bool>,
    /// The user's cursus (curricula), levels and skills, as 42 sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cursus_users: Option<Value>,
    /// The campuses the user belongs to, as 42 sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub campus: Option<Value>,
}

/// A 42 profile picture: its URL and resized versions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FortyTwoImage {
    /// The picture's URL; `None` when the user has none.
    #[serde(default)]
    pub link: Option<String>,
    /// URLs of resized versions (`large`, `medium`, `small`, `micro`), as 42 sent them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub versions: Option<Value>,
}

impl ProviderUser for FortyTwoUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let non_blank = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(
                non_blank(&self.usual_full_name)
                    .or_else(|| non_blank(&self.displayname))
                    .or_else(|| Some(self.login.clone())),
            )
            .with_username(Some(self.login.clone()))
            // 42 never says the address was verified.
            .with_email(non_blank(&self.email), false)
            .with_avatar_url(self.image.as_ref().and_then(|i| non_blank(&i.link)))
    }
}
