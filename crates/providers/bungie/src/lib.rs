//! Sign in with Bungie.net for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_bungie::Bungie;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The client id, client secret and API key of one application at
//! // https://www.bungie.net/en/Application.
//! let bungie = OAuthClient::new(
//!     Bungie::new("the-api-key"),
//!     ClientConfig::new("12345", "client-secret")
//!         .redirect_uri("https://app.example/login/bungie/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = bungie.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Bungie.net's subset of OAuth 2.0, the authorization code grant:
//!   `https://www.bungie.net/en/oauth/authorize` and
//!   `https://www.bungie.net/platform/app/oauth/token/` (trailing slash included).
//! * **No `scope` parameter**: an application's scope is set once in Bungie's
//!   application portal, and Bungie's docs say the parameter must be omitted from
//!   authorization and token requests. No default scope is sent; do not add any with
//!   [`ClientConfig::scope`](portcullis::ClientConfig::scope).
//! * **The API key.** Every Bungie.net API call needs the application's API key in an
//!   `X-API-Key` header, so [`Bungie::new`] takes it. It is kept out of `Debug` output.
//!   It is not sent to the OAuth endpoints, which do not need it.
//! * Confidential clients authenticate with HTTP Basic, as Bungie documents. No PKCE:
//!   Bungie documents none. Bungie also has public clients (no secret, no refresh
//!   token), but without PKCE nothing would bind their code to the sign-in, so
//!   Portcullis refuses a [public](portcullis::ClientConfig::public) configuration:
//!   register the application as *Confidential*.
//! * The redirect URI is the one registered in the portal; a configured one is sent
//!   and must match it exactly. None is required.
//! * The user comes from
//!   `GET https://www.bungie.net/Platform/User/GetMembershipsForCurrentUser/`: the
//!   Bungie.net account (`bungieNetUser`) and its linked Destiny memberships.
//! * **Errors in the envelope.** Bungie.net API responses are wrapped in
//!   `{"Response": …, "ErrorCode": 1, "ErrorStatus": "Success", …}`; a failure may come
//!   with HTTP 200 and another `ErrorCode`. Any `ErrorCode` but `1` (`Success`) fails
//!   the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   naming `ErrorCode` (known gap: the core has no error kind carrying an API's own
//!   error code, so Bungie's `ErrorStatus` is not in the error).
//! * The provider user id is `bungieNetUser.membershipId`, the Bungie.net membership
//!   id — never a display name. It is an int64 Bungie sends as a JSON string; a number
//!   is accepted too. The token response names the same id as `membership_id`
//!   (in [`Tokens::extra`](portcullis::Tokens::extra)).
//! * The email is **never** known: Bungie.net's user object has no email.
//! * Refresh ([`Refresh`]) for confidential clients, with HTTP Basic. The token
//!   response's non-standard `refresh_expires_in` (the refresh token's lifetime, 90
//!   days) is in [`Tokens::extra`](portcullis::Tokens::extra); keep the newest refresh
//!   token. No [`Revoke`](portcullis::Revoke): Bungie documents no revocation endpoint.

#![forbid(unsafe_code)]

use std::fmt;

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Deserializer, Serialize};
use serde_json::Value;

/// Where Bungie.net serves profile pictures (`profilePicturePath` is relative to it).
const SITE: &str = "https://www.bungie.net";

/// The header Bungie.net's API reads the application's API key from.
const API_KEY_HEADER: &str = "x-api-key";

/// The Bungie.net provider, with the application's API key.
#[derive(Clone)]
pub struct Bungie {
    api_key: String,
}

impl Bungie {
    /// Bungie.net, calling its API with `api_key`: the API key of the same application
    /// as the client id and secret (Bungie links the three).
    pub fn new(api_key: impl Into<String>) -> Self {
        Bungie {
            api_key: api_key.into(),
        }
    }
}

impl fmt::Debug for Bungie {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Bungie")
            .field("api_key", &"[redacted]")
            .finish()
    }
}

impl Provider for Bungie {
    type User = BungieUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "bungie",
        name: "Bungie.net",
        authorization_url: "https://www.bungie.net/en/oauth/authorize",
        token_url: "https://www.bungie.net/platform/app/oauth/token/",
        revocation_url: None,
        userinfo_url: Some("https://www.bungie.net/Platform/User/GetMembershipsForCurrentUser/"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: false,
        user_id_field: "Response.bungieNetUser.membershipId",
        email_verified_source: "never: Bungie.net's user object has no email",
        docs_url: "https://github.com/Bungie-net/api/wiki/OAuth-Documentation",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<BungieUser, Error> {
        let envelope: Envelope = request
            .get(request.userinfo_url()?.clone())
            .header(API_KEY_HEADER, &self.api_key)
            .send()
            .await?;
        Ok(envelope.response)
    }
}

impl Refresh for Bungie {}

/// Bungie.net's response envelope; `ErrorCode` is read first (field order does not
/// matter to serde), and anything but `1` is refused.
#[derive(Deserialize)]
struct Envelope {
    #[serde(rename = "ErrorCode", deserialize_with = "success")]
    _error_code: (),
    #[serde(rename = "Response")]
    response: BungieUser,
}

/// `ErrorCode` 1 (`PlatformErrorCodes.Success`); any other value is an error.
fn success<'de, D: Deserializer<'de>>(d: D) -> Result<(), D::Error> {
    match i64::deserialize(d)? {
        1 => Ok(()),
        other => Err(serde::de::Error::invalid_value(
            serde::de::Unexpected::Signed(other),
            &"1 (Success)",
        )),
    }
}

/// An int64 id, which Bungie.net sends as a JSON string; a number is accepted too.
fn int64_id<'de, D: Deserializer<'de>>(d: D) -> Result<String, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Id {
        Text(String),
        Number(u64),
    }
    match Id::deserialize(d)? {
        Id::Number(n) => Ok(n.to_string()),
        Id::Text(s) if !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()) => Ok(s),
        Id::Text(_) => Err(serde::de::Error::custom("not an int64 id")),
    }
}

/// A Bungie.net user: the `Response` (a
/// [`User.UserMembershipData`](https://bungie-net.github.io/multi/schema_User-UserMembershipData.html))
/// of [`User.GetMembershipsForCurrentUser`](https://bungie-net.github.io/multi/operation_get_User-GetMembershipsForCurrentUser.html).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BungieUser {
    /// The Bungie.net account.
    pub bungie_net_user: BungieNetUser,
    /// The Destiny memberships (platform accounts) visible and linked to this account,
    /// as Bungie sent them (`GroupsV2.GroupUserInfoCard` objects).
    #[serde(default)]
    pub destiny_memberships: Vec<Value>,
    /// The membership id of the account that is primary in the user's cross save
    /// relationship; `None` without one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub primary_membership_id: Option<String>,
}

/// A Bungie.net account: `User.GeneralUser`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct BungieNetUser {
    /// The Bungie.net membership id, an int64 kept as its decimal string: stable for
    /// the life of the account.
    #[serde(deserialize_with = "int64_id")]
    pub membership_id: String,
    /// The account's unique name (often the membership id itself).
    #[serde(default)]
    pub unique_name: Option<String>,
    /// The display name. Users can change it; never key on it.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The Bungie Name without its code (`Guardian` of `Guardian#1234`).
    #[serde(default)]
    pub cached_bungie_global_display_name: Option<String>,
    /// The Bungie Name's four-digit code (`1234` of `Guardian#1234`).
    #[serde(default)]
    pub cached_bungie_global_display_name_code: Option<u16>,
    /// The profile picture's path on `www.bungie.net` (`/img/profile/avatars/cc21.jpg`).
    #[serde(default)]
    pub profile_picture_path: Option<String>,
    /// The user's locale (`en`).
    #[serde(default)]
    pub locale: Option<String>,
    /// The "about" text of the profile.
    #[serde(default)]
    pub about: Option<String>,
    /// Whether the account is deleted.
    #[serde(default)]
    pub is_deleted: Option<bool>,
    /// When the user first used Bungie.net (ISO 8601).
    #[serde(default)]
    pub first_access: Option<String>,
    /// When the account was last updated (ISO 8601).
    #[serde(default)]
    pub last_update: Option<String>,
}

impl BungieNetUser {
    /// The Bungie Name, `name#1234`, when Bungie sent both parts.
    pub fn bungie_name(&self) -> Option<String> {
        let name = self
            .cached_bungie_global_display_name
            .as_deref()
            .filter(|n| !n.trim().is_empty())?;
        let code = self.cached_bungie_global_display_name_code?;
        Some(format!("{name}#{code:04}"))
    }

    /// The profile picture's URL, when its path is a path on `www.bungie.net`.
    pub fn profile_picture_url(&self) -> Option<String> {
        self.profile_picture_path
            .as_deref()
            .filter(|p| p.starts_with('/') && !p.starts_with("//"))
            .map(|p| format!("{SITE}{p}"))
    }
}

impl ProviderUser for BungieUser {
    fn provider_user_id(&self) -> String {
        self.bungie_net_user.membership_id.clone()
    }

    fn profile(&self) -> Profile {
        let user = &self.bungie_net_user;
        Profile::new(self.provider_user_id())
            .with_name(
                user.display_name
                    .clone()
                    .filter(|n| !n.trim().is_empty())
                    .or_else(|| user.cached_bungie_global_display_name.clone()),
            )
            .with_username(user.bungie_name())
            .with_avatar_url(user.profile_picture_url())
    }
}
