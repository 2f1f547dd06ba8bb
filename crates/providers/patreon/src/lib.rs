//! Sign in with Patreon for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_patreon::Patreon;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let patreon = OAuthClient::new(
//!     Patreon::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/patreon/callback".parse()?)
//!         .scope("identity[email]"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = patreon.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scope `identity` always: without a `scope` parameter Patreon falls back to its
//!   APIv1 defaults (`users pledges-to-me my-campaign`). Add `identity[email]` (as above)
//!   to get the email address; `identity.memberships`, `campaigns`, … for more.
//! * The user comes from APIv2's `GET /api/oauth2/v2/identity`. APIv2 returns only the
//!   attributes asked for, so the request names them in `fields[user]`: Lucia's list
//!   (`about`, `email`, `full_name`, `hide_pledges`, `image_url`, `is_email_verified`,
//!   `url`) plus `created`, `first_name`, `last_name`, `thumb_url` and `vanity`. Lucia's
//!   type declared `created` without asking for it, so it was always missing.
//! * The response is a JSON:API document; [`PatreonUser`] is its `data` resource
//!   (`id`, `type`, `attributes`), the shape Lucia returned.
//! * The provider user id is `data.id`, as in Lucia — never the email or `vanity`.
//! * `email_verified` in the profile is the user's `is_email_verified` attribute ("`true`
//!   if the user has confirmed their email"). Patreon sends `email` only with the
//!   `identity[email]` scope.
//! * The client id and secret go in the form body at
//!   `https://www.patreon.com/api/oauth2/token`. Patreon's docs (and its Python library)
//!   put the token request parameters in the query string of the `POST`; Lucia 2.x/3.x
//!   and Arctic send them as a form body, as RFC 6749 (§2.3.1, §4.1.3) asks, which keeps
//!   the secret and the code out of URLs and server logs. Lucia 1.x used the query.
//! * No PKCE: Patreon's documentation describes none.
//! * A redirect URI is required: it must be one registered for the client.
//! * Refresh ([`Refresh`]): Patreon returns a new refresh token with each refresh; tokens
//!   last about a month.
//! * No revocation: Patreon documents no revocation endpoint.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The user attributes requested from the identity endpoint (`fields[user]`).
pub const USER_FIELDS: &str = "about,created,email,first_name,full_name,hide_pledges,image_url,is_email_verified,last_name,thumb_url,url,vanity";

/// The Patreon provider (APIv2).
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Patreon {}

impl Patreon {
    /// patreon.com.
    pub fn new() -> Self {
        Patreon::default()
    }
}

impl Provider for Patreon {
    type User = PatreonUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "patreon",
        name: "Patreon",
        authorization_url: "https://www.patreon.com/oauth2/authorize",
        token_url: "https://www.patreon.com/api/oauth2/token",
        revocation_url: None,
        userinfo_url: Some("https://www.patreon.com/api/oauth2/v2/identity"),
        issuer: None,
        default_scopes: &["identity"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "data.id",
        email_verified_source: "the user's `is_email_verified` attribute (the address itself needs the `identity[email]` scope)",
        docs_url: "https://docs.patreon.com/#oauth",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<PatreonUser, Error> {
        let identity: Identity = request
            .get(request.userinfo_url()?.clone())
            .query(&[("fields[user]", USER_FIELDS)])
            .send()
            .await?;
        Ok(identity.data)
    }
}

impl Refresh for Patreon {}

/// The identity endpoint's JSON:API document.
#[derive(Deserialize)]
struct Identity {
    data: PatreonUser,
}

/// A Patreon user: the `data` resource of
/// [`GET /api/oauth2/v2/identity`](https://docs.patreon.com/#get-api-oauth2-v2-identity),
/// a [User](https://docs.patreon.com/#user-v2) in JSON:API form.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatreonUser {
    /// The user's id (a numeric string): the provider user id.
    pub id: String,
    /// The JSON:API resource type, `user`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The user's attributes, those named in [`USER_FIELDS`].
    #[serde(default)]
    pub attributes: PatreonUserAttributes,
}

/// The attributes of a Patreon [User](https://docs.patreon.com/#user-v2).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct PatreonUserAttributes {
    /// The "about" text of the user's profile.
    #[serde(default)]
    pub about: Option<String>,
    /// When the account was created (ISO 8601, UTC).
    #[serde(default)]
    pub created: Option<String>,
    /// The email address; only with the `identity[email]` scope.
    #[serde(default)]
    pub email: Option<String>,
    /// Whether the user confirmed their email.
    #[serde(default)]
    pub is_email_verified: Option<bool>,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The first and last name combined.
    #[serde(default)]
    pub full_name: Option<String>,
    /// Whether the user keeps private which creators they pledge to.
    #[serde(default)]
    pub hide_pledges: Option<bool>,
    /// The profile picture URL, 400px wide.
    #[serde(default)]
    pub image_url: Option<String>,
    /// The profile picture URL, 100x100px.
    #[serde(default)]
    pub thumb_url: Option<String>,
    /// The URL of the user's creator or patron profile.
    #[serde(default)]
    pub url: Option<String>,
    /// The public "username" (`patreon.com/<vanity>`); creators only, deprecated by
    /// Patreon in favour of the campaign's vanity.
    #[serde(default)]
    pub vanity: Option<String>,
}

impl ProviderUser for PatreonUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let attributes = &self.attributes;
        let non_empty = |value: &Option<String>| value.clone().filter(|v| !v.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(non_empty(&attributes.full_name))
            .with_username(non_empty(&attributes.vanity))
            .with_email(
                non_empty(&attributes.email),
                attributes.is_email_verified == Some(true),
            )
            .with_avatar_url(non_empty(&attributes.image_url))
    }
}
