//! Sign in with Yandex (Yandex ID) for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_yandex::Yandex;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let yandex = OAuthClient::new(
//!     Yandex::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/yandex/callback".parse()?)
//!         .scope("login:info")
//!         .scope("login:email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = yandex.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Endpoints: `https://oauth.yandex.com/authorize` and `https://oauth.yandex.com/token`
//!   (Yandex ID documents the same paths on `oauth.yandex.ru`; set them with
//!   [`OAuthClient::with_endpoints`](portcullis::OAuthClient::with_endpoints) to use
//!   those).
//! * No default scope: Yandex grants the permissions ticked when the app was registered
//!   at Yandex OAuth, and `scope` only narrows them. The user id comes with any token;
//!   add `login:info` (name, login, gender), `login:email` and `login:avatar`, as above,
//!   for the rest.
//! * PKCE (S256): Yandex ID documents `code_challenge`, `code_challenge_method` and
//!   `code_verifier` for the confirmation-code flow.
//! * Client authentication with HTTP Basic, which Yandex documents next to
//!   `client_id`/`client_secret` in the form (and which it prefers: with the header, the
//!   form fields are ignored).
//! * No redirect URI is required: Yandex documents `redirect_uri` as optional and uses
//!   the app's registered Redirect URI without one. Configure one to choose among
//!   several.
//! * The user comes from `GET https://login.yandex.ru/info?format=json` (Yandex ID API).
//! * **Known gap**: Yandex documents the user request with `Authorization: OAuth <token>`;
//!   the core sends every API call with `Authorization: Bearer <token>` and has no way to
//!   choose the scheme. Its token response says `"token_type": "bearer"`, and Bearer is
//!   what generic OAuth clients send to this endpoint, but Yandex's documentation does not
//!   promise it.
//! * The provider user id is `id` ("unique Yandex user ID", a decimal string) — never
//!   `login`, the username, nor `psuid`, which is only stable per app developer.
//! * The email is **never** verified: `default_email` and `emails` come without any
//!   statement about confirmation.
//! * The avatar follows Yandex's documented URL
//!   `https://avatars.yandex.net/get-yapic/<default_avatar_id>/islands-200`, and only
//!   when `is_avatar_empty` is not true: [`YandexUser::avatar_url`].
//! * Yandex sends `sex` as `"male"`, `"female"` or `null`, `birthday` as `YYYY-MM-DD` or
//!   `null`, and `default_phone.id` as a number: all kept as sent.
//! * Refresh ([`Refresh`]) with `grant_type=refresh_token`. Yandex may answer with the
//!   same access token when the old one still has long to live.
//! * No revocation ([`Revoke`](portcullis::Revoke) is not implemented): Yandex's
//!   `POST /revoke_token` takes `access_token` and only revokes tokens issued for a
//!   `device_id` — it is not RFC 7009 token revocation.
//! * Token errors are RFC 6749 error objects (`{"error":"invalid_grant",
//!   "error_description":"Code has expired"}`, HTTP 400).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// Where Yandex serves avatars.
const AVATARS: &str = "https://avatars.yandex.net/get-yapic";

/// The Yandex provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Yandex {}

impl Yandex {
    /// Yandex ID at `oauth.yandex.com`.
    pub fn new() -> Self {
        Yandex::default()
    }
}

impl Provider for Yandex {
    type User = YandexUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "yandex",
        name: "Yandex",
        authorization_url: "https://oauth.yandex.com/authorize",
        token_url: "https://oauth.yandex.com/token",
        revocation_url: None,
        userinfo_url: Some("https://login.yandex.ru/info"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: false,
        user_id_field: "id",
        email_verified_source: "never: Yandex ID does not say whether `default_email` is confirmed",
        docs_url: "https://yandex.com/dev/id/doc/en/codes/code-url",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<YandexUser, Error> {
        request
            .get(request.userinfo_url()?.clone())
            .query(&[("format", "json")])
            .send()
            .await
    }
}

impl Refresh for Yandex {}

/// The user's default phone number (`login:default_phone`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct YandexPhone {
    /// The phone number's id.
    pub id: u64,
    /// The number, in international format (`+79037659418`).
    pub number: String,
}

/// A Yandex user, as the Yandex ID API's
/// [`GET https://login.yandex.ru/info`](https://yandex.com/dev/id/doc/en/user-information)
/// returns it. Which fields come depends on the app's permissions.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct YandexUser {
    /// The unique Yandex user id (a decimal string): the provider user id.
    pub id: String,
    /// The Yandex username. Users cannot change it, but it is not the key.
    pub login: String,
    /// The id of the OAuth app the token was issued to.
    #[serde(default)]
    pub client_id: Option<String>,
    /// The user's id for the app developer: the same for every app of one developer.
    #[serde(default)]
    pub psuid: Option<String>,
    /// The OpenID identities the user had at Yandex (for migrating from Yandex OpenID).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub openid_identities: Option<Vec<String>>,
    /// The login the user had if the account was created through a social network.
    #[serde(default)]
    pub old_social_login: Option<String>,
    /// The default email address for contacting the user (`login:email`). Yandex does
    /// not say whether it is confirmed.
    #[serde(default)]
    pub default_email: Option<String>,
    /// The user's email addresses (`login:email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<String>>,
    /// The id of the profile picture (`login:avatar`). See [`YandexUser::avatar_url`].
    #[serde(default)]
    pub default_avatar_id: Option<String>,
    /// Whether the user has the default (empty) profile picture (`login:avatar`).
    #[serde(default)]
    pub is_avatar_empty: Option<bool>,
    /// The date of birth, `YYYY-MM-DD` (`login:birthday`); the year may be `0000`.
    #[serde(default)]
    pub birthday: Option<String>,
    /// The first name (`login:info`).
    #[serde(default)]
    pub first_name: Option<String>,
    /// The last name (`login:info`).
    #[serde(default)]
    pub last_name: Option<String>,
    /// The display name (`login:info`).
    #[serde(default)]
    pub display_name: Option<String>,
    /// The first and last name (`login:info`).
    #[serde(default)]
    pub real_name: Option<String>,
    /// `"male"`, `"female"` or `None` (`login:info`).
    #[serde(default)]
    pub sex: Option<String>,
    /// The default phone number (`login:default_phone`).
    #[serde(default)]
    pub default_phone: Option<YandexPhone>,
}

impl YandexUser {
    /// The profile picture at 200×200 (`islands-200`), or `None` when the user has none
    /// or the id could not come from Yandex (only letters, digits, `/`, `-` and `_`).
    pub fn avatar_url(&self) -> Option<String> {
        if self.is_avatar_empty == Some(true) {
            return None;
        }
        let id = self.default_avatar_id.as_deref()?;
        let plausible = !id.is_empty()
            && !id.contains("..")
            && id
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'/' | b'-' | b'_'));
        plausible.then(|| format!("{AVATARS}/{id}/islands-200"))
    }
}

impl ProviderUser for YandexUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let non_empty = |s: &Option<String>| s.clone().filter(|s| !s.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(
                non_empty(&self.real_name)
                    .or_else(|| non_empty(&self.display_name))
                    .or_else(|| Some(self.login.clone())),
            )
            .with_username(Some(self.login.clone()))
            .with_email(self.default_email.clone(), false)
            .with_avatar_url(self.avatar_url())
    }
}
