//! Sign in with Coinbase for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_coinbase::Coinbase;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let coinbase = OAuthClient::new(
//!     Coinbase::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/coinbase/callback".parse()?)
//!         .scopes(["wallet:user:email", "offline_access"]),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = coinbase.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Coinbase App OAuth2 at `login.coinbase.com` (`/oauth2/auth`, `/oauth2/token`,
//!   `/oauth2/revoke`), the endpoints Coinbase moved to on March 27, 2024; the older
//!   `www.coinbase.com/oauth/authorize` and `api.coinbase.com/oauth/token` are not used.
//!   Coinbase currently limits the creation of new OAuth clients to approved partners.
//! * The user is `data` of `GET https://api.coinbase.com/v2/user` ("Show Current
//!   User"): every v2 API response wraps its resource in a `{"data": …}` envelope, which
//!   is unwrapped here. An answer without `data`, or whose `data` has no `id`, is an
//!   invalid response naming the field (`data`, `data.id`).
//! * The provider user id is the user resource's `id`, a UUID
//!   (`9da7a204-544e-5fd1-9a12-61176c5d4cd8`), never the `username`.
//! * Default scope `wallet:user:read`: Coinbase's current "available APIs" list gives it
//!   as the scope of `GET /v2/user` (its older users page says public data needs none), so
//!   it is asked for to make the sign-in work under either reading. It also brings
//!   `time_zone`, `native_currency`, `bitcoin_unit`, `country` and `created_at`. Add
//!   `wallet:user:email` for `email`.
//! * Scopes are joined with spaces: Coinbase's reference calls the parameter "comma
//!   separated", but its own example authorization URL and the `login.coinbase.com`
//!   server take space-separated scopes (`scope=wallet:accounts:read+offline_access`).
//! * The email is **never** verified: Coinbase does not say whether `email` is.
//! * PKCE (S256) on every sign-in: Coinbase supports S256 (and `plain`, which is never
//!   used) and recommends PKCE.
//! * `client_id` and `client_secret` in the form body, as Coinbase documents for the
//!   token endpoint, where the secret is required: Coinbase documents no public clients.
//! * A redirect URI is required: the token endpoint requires `redirect_uri`.
//! * Refresh ([`Refresh`]) needs the `offline_access` scope at sign-in. Access tokens
//!   last one hour; a refresh token lasts 1.5 years and **can be exchanged only once**:
//!   every refresh answers a new one, which must replace the old.
//! * Revocation ([`Revoke`]) at `https://login.coinbase.com/oauth2/revoke`, sent as RFC
//!   7009 (`token`, `token_type_hint`) with the client's credentials in the body, like
//!   the token endpoint. Coinbase's older guide says an answer
//!   is `200 OK` "for both successful and unsuccessful requests", so a success does not
//!   prove the token was live.
//! * No `CB-VERSION` header is sent: Coinbase's OAuth2 guides do not ask for one.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Coinbase provider ("Sign in with Coinbase", the Coinbase App OAuth2 API).
#[derive(Debug, Clone, Default)]
pub struct Coinbase;

impl Coinbase {
    /// The provider with Coinbase's endpoints.
    pub fn new() -> Self {
        Coinbase
    }
}

impl Provider for Coinbase {
    type User = CoinbaseUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "coinbase",
        name: "Coinbase",
        authorization_url: "https://login.coinbase.com/oauth2/auth",
        token_url: "https://login.coinbase.com/oauth2/token",
        revocation_url: Some("https://login.coinbase.com/oauth2/revoke"),
        userinfo_url: Some("https://api.coinbase.com/v2/user"),
        issuer: None,
        default_scopes: &["wallet:user:read"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "data.id",
        email_verified_source: "never: Coinbase does not document whether `email` (scope `wallet:user:email`) is verified",
        docs_url: "https://docs.cdp.coinbase.com/coinbase-app/oauth2-integration/reference",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<CoinbaseUser, Error> {
        let user: Data = request.get(request.userinfo_url()?.clone()).send().await?;
        Ok(user.data)
    }
}

impl Refresh for Coinbase {}

impl Revoke for Coinbase {}

/// The v2 API's envelope: `{"data": user}`.
#[derive(Deserialize)]
struct Data {
    data: CoinbaseUser,
}

/// A Coinbase user: `data` of
/// [`GET /v2/user`](https://docs.cdp.coinbase.com/coinbase-app/oauth2-integration/available-apis)
/// ("Show Current User").
///
/// The public fields come with any scope; `time_zone`, `native_currency`,
/// `bitcoin_unit`, `country` and `created_at` with `wallet:user:read`; `email` with
/// `wallet:user:email`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CoinbaseUser {
    /// The user's resource id, a UUID. The provider user id.
    pub id: String,
    /// The user's public name.
    #[serde(default)]
    pub name: Option<String>,
    /// The user's public username (changeable, not an identifier).
    #[serde(default)]
    pub username: Option<String>,
    /// The location on the user's public profile.
    #[serde(default)]
    pub profile_location: Option<String>,
    /// The bio on the user's public profile.
    #[serde(default)]
    pub profile_bio: Option<String>,
    /// The user's public profile URL, if they have one.
    #[serde(default)]
    pub profile_url: Option<String>,
    /// The user's avatar URL.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// The resource type, always `user`.
    #[serde(default)]
    pub resource: Option<String>,
    /// The resource's API path (`/v2/user`).
    #[serde(default)]
    pub resource_path: Option<String>,
    /// The user's time zone, e.g. `Pacific Time (US & Canada)` (`wallet:user:read`).
    #[serde(default)]
    pub time_zone: Option<String>,
    /// The user's native currency, e.g. `USD` (`wallet:user:read`).
    #[serde(default)]
    pub native_currency: Option<String>,
    /// The bitcoin unit the user displays amounts in, e.g. `bits` (`wallet:user:read`).
    #[serde(default)]
    pub bitcoin_unit: Option<String>,
    /// The user's country (`wallet:user:read`).
    #[serde(default)]
    pub country: Option<CoinbaseCountry>,
    /// When the account was created, an ISO 8601 timestamp (`wallet:user:read`).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The user's email address (`wallet:user:email`); Coinbase does not say whether it
    /// is verified.
    #[serde(default)]
    pub email: Option<String>,
}

/// A user's country.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CoinbaseCountry {
    /// The ISO 3166-1 alpha-2 code, e.g. `US`.
    #[serde(default)]
    pub code: Option<String>,
    /// The country's name, e.g. `United States`.
    #[serde(default)]
    pub name: Option<String>,
}

impl ProviderUser for CoinbaseUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.clone())
            .with_username(self.username.clone())
            .with_email(self.email.clone(), false)
            .with_avatar_url(self.avatar_url.clone())
    }
}
