//! Sign in with Kakao for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_kakao::Kakao;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let kakao = OAuthClient::new(
//!     Kakao::new(),
//!     // The REST API key is the client id; the client secret is under [Security].
//!     ClientConfig::new("rest-api-key", "client-secret")
//!         .redirect_uri("https://app.example/login/kakao/callback".parse()?)
//!         .scopes(["profile_nickname", "account_email"]),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = kakao.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Scopes are **comma-separated** (`scope=profile_nickname,account_email`), as
//!   Kakao's "Request authorization code" documents. No default scope: Kakao sends the
//!   user's `id` whatever was consented to; the consent items the app set up in Kakao
//!   Developers are asked for anyway. Add scopes to ask for optional consent items;
//!   Lucia offered no way to.
//! * The user is `GET https://kapi.kakao.com/v2/user/me?secure_resource=true`: with
//!   `secure_resource`, Kakao serves the profile image URLs over HTTPS (its default is
//!   HTTP). Lucia sent no parameter.
//! * The provider user id is the numeric service user id `id` (a 64-bit integer), as a
//!   decimal string — Lucia's `id.toString()`.
//! * The email is nested: `kakao_account.email`, with the `account_email` consent item.
//!   `email_verified` is true only when `kakao_account.is_email_verified` **and**
//!   `kakao_account.is_email_valid` are both true: Kakao marks an address invalid once
//!   it has been taken over by another Kakao Account.
//! * PKCE (S256): Kakao's SDK references document the `code_verifier` of the token
//!   request (`issueAccessToken(code, codeVerifier)`). Lucia and Arctic send none.
//! * The token request sends `redirect_uri`, which Kakao's docs list as required;
//!   Lucia left it out. The client secret goes in the form body, as Kakao documents;
//!   an app with the client secret turned off uses
//!   [`ClientConfig::public`](portcullis::ClientConfig::public).
//! * Refresh ([`Refresh`]): Kakao returns a new refresh token only when the old one has
//!   less than a month left; otherwise the refreshed tokens keep the one passed in.
//!   `refresh_token_expires_in` is in
//!   [`Tokens::refresh_token_expires_at`](portcullis::Tokens::refresh_token_expires_at).
//! * No revocation: Kakao's logout and unlink APIs are bearer-authenticated calls to
//!   `kapi.kakao.com`, not RFC 7009, so [`Revoke`](portcullis::Revoke) is not
//!   implemented.
//! * OpenID Connect: adding the `openid` scope makes Kakao issue an ID token (kept in
//!   [`Tokens::id_token`](portcullis::Tokens::id_token), not verified) and the core
//!   send a `nonce`; the user still comes from `/v2/user/me`.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Kakao provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Kakao {}

impl Kakao {
    /// Kakao Login.
    pub fn new() -> Self {
        Kakao::default()
    }
}

impl Provider for Kakao {
    type User = KakaoUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "kakao",
        name: "Kakao",
        authorization_url: "https://kauth.kakao.com/oauth/authorize",
        token_url: "https://kauth.kakao.com/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://kapi.kakao.com/v2/user/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: ",",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "`kakao_account.is_email_verified` and `kakao_account.is_email_valid`, both true (the `account_email` consent item)",
        docs_url: "https://developers.kakao.com/docs/latest/en/kakaologin/rest-api",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<KakaoUser, Error> {
        request
            .get(request.userinfo_url()?.clone())
            .query(&[("secure_resource", "true")])
            .send()
            .await
    }
}

impl Refresh for Kakao {}

/// A Kakao user: the response of
/// [Retrieve user information](https://developers.kakao.com/docs/latest/en/kakaologin/rest-api#req-user-info),
/// `GET /v2/user/me`.
///
/// What is in [`KakaoUser::kakao_account`] depends on the consent items the user agreed
/// to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KakaoUser {
    /// The service user id, a 64-bit integer: stable for this app. The provider user id,
    /// as a decimal string.
    pub id: i64,
    /// Whether the user is fully signed up to the app (only for apps that use manual
    /// sign-up).
    #[serde(default)]
    pub has_signed_up: Option<bool>,
    /// When the user connected to the app (ISO 8601, UTC).
    #[serde(default)]
    pub connected_at: Option<String>,
    /// When the user signed up through Kakao Sync simple sign-up (ISO 8601, UTC).
    #[serde(default)]
    pub synched_at: Option<String>,
    /// The app's user properties, as Kakao sent them (`nickname`, `profile_image`, and
    /// custom ones).
    #[serde(default)]
    pub properties: serde_json::Map<String, serde_json::Value>,
    /// The Kakao Account information the user consented to share.
    #[serde(default)]
    pub kakao_account: Option<KakaoAccount>,
    /// Information for Kakao's partners.
    #[serde(default)]
    pub for_partner: Option<KakaoPartner>,
}

/// `kakao_account`: the Kakao Account information. Each value comes with its consent
/// item; each `*_needs_agreement` says whether the user could still be asked for it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KakaoAccount {
    /// Whether consent to the profile is required.
    #[serde(default)]
    pub profile_needs_agreement: Option<bool>,
    /// Whether consent to the nickname is required.
    #[serde(default)]
    pub profile_nickname_needs_agreement: Option<bool>,
    /// Whether consent to the profile image is required.
    #[serde(default)]
    pub profile_image_needs_agreement: Option<bool>,
    /// The profile (`profile_nickname`, `profile_image` consent items).
    #[serde(default)]
    pub profile: Option<KakaoProfile>,
    /// Whether consent to the name is required.
    #[serde(default)]
    pub name_needs_agreement: Option<bool>,
    /// The name (`name` consent item).
    #[serde(default)]
    pub name: Option<String>,
    /// Whether consent to the email is required.
    #[serde(default)]
    pub email_needs_agreement: Option<bool>,
    /// Whether the email is valid: `false` once the address is used by another Kakao
    /// Account.
    #[serde(default)]
    pub is_email_valid: Option<bool>,
    /// Whether Kakao verified the email.
    #[serde(default)]
    pub is_email_verified: Option<bool>,
    /// The Kakao Account's representative email (`account_email` consent item).
    #[serde(default)]
    pub email: Option<String>,
    /// Whether consent to the age range is required.
    #[serde(default)]
    pub age_range_needs_agreement: Option<bool>,
    /// The age range (`1-9`, `10-14`, …, `90-`).
    #[serde(default)]
    pub age_range: Option<String>,
    /// Whether consent to the birth year is required.
    #[serde(default)]
    pub birthyear_needs_agreement: Option<bool>,
    /// The birth year (`YYYY`).
    #[serde(default)]
    pub birthyear: Option<String>,
    /// Whether consent to the birthday is required.
    #[serde(default)]
    pub birthday_needs_agreement: Option<bool>,
    /// The birthday (`MMDD`).
    #[serde(default)]
    pub birthday: Option<String>,
    /// `SOLAR` or `LUNAR`.
    #[serde(default)]
    pub birthday_type: Option<String>,
    /// Whether a lunar birthday is in a leap month.
    #[serde(default)]
    pub is_leap_month: Option<bool>,
    /// Whether consent to the gender is required.
    #[serde(default)]
    pub gender_needs_agreement: Option<bool>,
    /// `female` or `male`.
    #[serde(default)]
    pub gender: Option<String>,
    /// Whether consent to the phone number is required.
    #[serde(default)]
    pub phone_number_needs_agreement: Option<bool>,
    /// The phone number (`+82 00-0000-0000`).
    #[serde(default)]
    pub phone_number: Option<String>,
    /// Whether consent to the connecting information (CI) is required.
    #[serde(default)]
    pub ci_needs_agreement: Option<bool>,
    /// The connecting information (CI), for identity verification in Korea.
    #[serde(default)]
    pub ci: Option<String>,
    /// When the CI was issued (ISO 8601, UTC).
    #[serde(default)]
    pub ci_authenticated_at: Option<String>,
}

/// `kakao_account.profile`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KakaoProfile {
    /// The nickname.
    #[serde(default)]
    pub nickname: Option<String>,
    /// The profile image's thumbnail URL (110×110 or 100×100).
    #[serde(default)]
    pub thumbnail_image_url: Option<String>,
    /// The profile image's URL (640×640 or 480×480).
    #[serde(default)]
    pub profile_image_url: Option<String>,
    /// Whether the profile image is Kakao's default one.
    #[serde(default)]
    pub is_default_image: Option<bool>,
    /// Whether the nickname is a default one Kakao assigned.
    #[serde(default)]
    pub is_default_nickname: Option<bool>,
}

/// `for_partner`: information for Kakao's partner apps.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KakaoPartner {
    /// The user's UUID for Kakao Talk messaging.
    #[serde(default)]
    pub uuid: Option<String>,
}

impl KakaoUser {
    /// The email, with whether Kakao says it is both verified and still valid.
    pub fn email(&self) -> Option<(&str, bool)> {
        let account = self.kakao_account.as_ref()?;
        let email = account.email.as_deref().filter(|e| !e.is_empty())?;
        let verified =
            account.is_email_verified == Some(true) && account.is_email_valid == Some(true);
        Some((email, verified))
    }
}

impl ProviderUser for KakaoUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let account = self.kakao_account.as_ref();
        let profile = account.and_then(|a| a.profile.as_ref());
        let name = profile
            .and_then(|p| p.nickname.clone())
            .or_else(|| account.and_then(|a| a.name.clone()))
            .or_else(|| {
                self.properties
                    .get("nickname")
                    .and_then(|n| n.as_str())
                    .map(str::to_owned)
            })
            .filter(|n| !n.trim().is_empty());
        let avatar = profile
            .filter(|p| p.is_default_image != Some(true))
            .and_then(|p| p.profile_image_url.clone());
        let (email, verified) = match self.email() {
            Some((email, verified)) => (Some(email.to_owned()), verified),
            None => (None, false),
        };
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_email(email, verified)
            .with_avatar_url(avatar)
    }
}
