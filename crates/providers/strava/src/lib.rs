//! Sign in with Strava for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_strava::Strava;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let strava = OAuthClient::new(
//!     Strava::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/strava/callback".parse()?)
//!         .scope("activity:read_all"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = strava.authorization_url();
//! // Redirect to `auth.url` (scope `read,activity:read_all`), keep `auth.pending` until
//! // the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * **No user request**: Strava returns the signed-in athlete (a summary athlete) as
//!   `athlete` in the token response, and that is the user. No `GET /api/v3/athlete` is
//!   made. A token response without `athlete`, or with one that is not shaped like a
//!   [`StravaUser`], fails the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   in [`Phase::TokenExchange`](portcullis::Phase::TokenExchange), naming the field
//!   (`athlete`, `athlete.id`, …). Lucia read `athlete.id` unchecked.
//! * The provider user id is the athlete's numeric `id`, as a decimal string (Lucia's
//!   `athlete.id.toString()`), so keys stored by Lucia (`strava:<id>`) carry over.
//! * Scopes are **comma-separated** (`read,activity:read_all`), as Strava documents.
//!   Lucia joined them with spaces.
//! * The default scope is `read` (public profile data), and the app's scopes are
//!   **added** to it, as for every other provider. Lucia **replaced** `read` with the
//!   app's scopes when it set any.
//! * Strava lets the user untick requested scopes. Its token response carries no
//!   `scope`, so [`Tokens::scopes`](portcullis::Tokens::scopes) is `None`: the scopes the
//!   user accepted come as the callback's `scope` query parameter, which the app reads
//!   from the callback request itself.
//! * A redirect URI is required: Strava's authorization endpoint requires `redirect_uri`
//!   (within the app's registered callback domain; `localhost` and `127.0.0.1` are
//!   allowed). Lucia left it optional and did not send it to the token endpoint;
//!   Portcullis sends it there too, as RFC 6749 §4.1.3 asks of a client that sent one
//!   with the authorization request (as generic clients such as `passport-oauth2` do
//!   with Strava). Strava documents only `client_id`, `client_secret`, `code` and
//!   `grant_type` for the exchange.
//! * `client_id` and `client_secret` in the form body, the only client authentication
//!   Strava documents, as Lucia sent them.
//! * No PKCE: Strava documents none.
//! * The email is never known, let alone verified: Strava removed `email` from the
//!   athlete in January 2019, so [`Profile::email`](portcullis::Profile) is always
//!   `None` and `email_verified` always false.
//! * The profile's avatar is `profile` (124×124), else `profile_medium` (62×62), and
//!   only when it is an absolute URL: athletes without a photo get the relative
//!   placeholder `avatar/athlete/large.png`, which is left out.
//! * Refresh ([`Refresh`]): access tokens last six hours. Strava may answer a refresh
//!   with a new refresh token and then invalidates the old one at once, so always keep
//!   the newest. Lucia had no refresh.
//! * The athlete comes only with the code exchange. The tokens of a sign-in keep it in
//!   [`Tokens::extra`](portcullis::Tokens::extra) (with `expires_at`), so
//!   [`OAuthClient::fetch_user`](portcullis::OAuthClient::fetch_user) works on them; a
//!   refresh response has no athlete, so `fetch_user` on refreshed tokens fails with the
//!   same `InvalidResponse` naming `athlete`. Call `GET /api/v3/athlete` for a fresh
//!   profile.
//! * No revocation ([`Revoke`](portcullis::Revoke) is not implemented): Strava's
//!   `POST https://www.strava.com/oauth/deauthorize` takes an `access_token` parameter
//!   and removes the app for the athlete altogether — it is not RFC 7009 token
//!   revocation.
//! * Strava reports token errors as its API "fault" objects
//!   (`{"message":"Bad Request","errors":[{"resource":"AuthorizationCode","field":"code","code":"invalid"}]}`),
//!   not RFC 6749 error objects: they surface as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with the status and an excerpt of the body.
//! * [`Strava::approval_prompt`] sends `approval_prompt` (`auto`, Strava's default, or
//!   `force` to show the authorization page even to athletes who already authorized the
//!   app). Lucia had no such option.
//! * Mobile apps use `https://www.strava.com/oauth/mobile/authorize` instead: set it with
//!   [`OAuthClient::with_endpoints`](portcullis::OAuthClient::with_endpoints).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Strava provider.
#[derive(Debug, Clone, Default)]
pub struct Strava {
    approval_prompt: Option<ApprovalPrompt>,
}

impl Strava {
    /// Strava, with no `approval_prompt` sent (Strava's default, `auto`).
    pub fn new() -> Self {
        Strava::default()
    }

    /// Sends `approval_prompt` with every authorization request:
    /// [`ApprovalPrompt::Force`] always shows the authorization page, even to athletes
    /// who already authorized the app; [`ApprovalPrompt::Auto`] is Strava's default.
    #[must_use]
    pub fn approval_prompt(mut self, prompt: ApprovalPrompt) -> Self {
        self.approval_prompt = Some(prompt);
        self
    }
}

/// Strava's `approval_prompt` authorization parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ApprovalPrompt {
    /// `auto`: ask only athletes who have not authorized the app yet (Strava's default).
    Auto,
    /// `force`: always show the authorization page.
    Force,
}

impl ApprovalPrompt {
    /// The parameter's value: `auto` or `force`.
    pub fn as_str(self) -> &'static str {
        match self {
            ApprovalPrompt::Auto => "auto",
            ApprovalPrompt::Force => "force",
        }
    }
}

impl Provider for Strava {
    type User = StravaUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "strava",
        name: "Strava",
        authorization_url: "https://www.strava.com/oauth/authorize",
        token_url: "https://www.strava.com/oauth/token",
        revocation_url: None,
        userinfo_url: None,
        issuer: None,
        default_scopes: &["read"],
        scope_delimiter: ",",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "athlete.id",
        email_verified_source: "never: Strava's athlete has no email (removed from the API in January 2019)",
        docs_url: "https://developers.strava.com/docs/authentication/",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        self.approval_prompt
            .map(|prompt| ("approval_prompt", prompt.as_str().to_owned()))
            .into_iter()
            .collect()
    }

    /// The `athlete` of the token response; no request is made.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<StravaUser, Error> {
        request.token_response_field("athlete")
    }
}

impl Refresh for Strava {}

/// A Strava athlete: the
/// [summary athlete](https://developers.strava.com/docs/reference/#api-models-SummaryAthlete)
/// Strava returns as `athlete` in the token response.
///
/// Fields other than `id` may be missing or `null`; which are filled depends on the
/// athlete's privacy settings and the scopes granted (`profile:read_all` for profiles
/// visible only to followers or to the athlete).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct StravaUser {
    /// The athlete's unique numeric id. The provider user id (as a decimal string).
    pub id: u64,
    /// The athlete's username (the custom part of the profile URL), often `null`. Not
    /// in Strava's summary athlete model, but sent in the token response.
    #[serde(default)]
    pub username: Option<String>,
    /// The level of detail: 1 `meta`, 2 `summary`, 3 `detail`.
    #[serde(default)]
    pub resource_state: Option<u8>,
    /// The athlete's first name.
    #[serde(default)]
    pub firstname: Option<String>,
    /// The athlete's last name.
    #[serde(default)]
    pub lastname: Option<String>,
    /// The athlete's profile bio. Not in Strava's summary athlete model, but sent in the
    /// token response.
    #[serde(default)]
    pub bio: Option<String>,
    /// The athlete's city.
    #[serde(default)]
    pub city: Option<String>,
    /// The athlete's state or geographical region.
    #[serde(default)]
    pub state: Option<String>,
    /// The athlete's country (a name, e.g. `United Kingdom`).
    #[serde(default)]
    pub country: Option<String>,
    /// The athlete's sex: `M`, `F` or `None`.
    #[serde(default)]
    pub sex: Option<String>,
    /// Deprecated by Strava in favour of `summit`: whether the athlete has any Summit
    /// subscription.
    #[serde(default)]
    pub premium: Option<bool>,
    /// Whether the athlete has any Summit (subscription).
    #[serde(default)]
    pub summit: Option<bool>,
    /// When the athlete was created (ISO 8601, e.g. `2014-11-01T10:48:26Z`).
    #[serde(default)]
    pub created_at: Option<String>,
    /// When the athlete was last updated (ISO 8601).
    #[serde(default)]
    pub updated_at: Option<String>,
    /// The athlete's badge type (subscription badge). Not in Strava's summary athlete
    /// model, but sent in the token response.
    #[serde(default)]
    pub badge_type_id: Option<u32>,
    /// The athlete's weight in kilograms, if shared. Not in Strava's summary athlete
    /// model, but sent in the token response.
    #[serde(default)]
    pub weight: Option<f64>,
    /// URL of the 62×62 pixel profile picture; the relative placeholder
    /// `avatar/athlete/medium.png` when the athlete has none.
    #[serde(default)]
    pub profile_medium: Option<String>,
    /// URL of the 124×124 pixel profile picture; the relative placeholder
    /// `avatar/athlete/large.png` when the athlete has none.
    #[serde(default)]
    pub profile: Option<String>,
}

impl StravaUser {
    /// The athlete's full name: first and last name, when either is set.
    pub fn full_name(&self) -> Option<String> {
        let name = [self.firstname.as_deref(), self.lastname.as_deref()]
            .into_iter()
            .flatten()
            .map(str::trim)
            .filter(|part| !part.is_empty())
            .collect::<Vec<_>>()
            .join(" ");
        (!name.is_empty()).then_some(name)
    }

    /// The profile picture: `profile`, else `profile_medium`, only when it is an absolute
    /// URL (not Strava's relative placeholder for athletes without a photo).
    pub fn avatar_url(&self) -> Option<&str> {
        [self.profile.as_deref(), self.profile_medium.as_deref()]
            .into_iter()
            .flatten()
            .find(|url| url.starts_with("https://") || url.starts_with("http://"))
    }
}

impl ProviderUser for StravaUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.full_name())
            .with_username(
                self.username
                    .clone()
                    .filter(|username| !username.trim().is_empty()),
            )
            .with_email(None, false)
            .with_avatar_url(self.avatar_url().map(str::to_owned))
    }
}
