//! Sign in with Bitbucket for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_bitbucket::Bitbucket;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let bitbucket = OAuthClient::new(
//!     Bitbucket::new(),
//!     ClientConfig::new("consumer-key", "consumer-secret")
//!         .redirect_uri("https://app.example/login/bitbucket/callback".parse()?)
//!         .scope("email"), // for the confirmed primary address
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = bitbucket.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Bitbucket Cloud's OAuth 2.0 authorization code grant
//!   (`https://bitbucket.org/site/oauth2/…`). The client is an OAuth *consumer* of a
//!   workspace; its permissions must include what the app asks for (`account`, and
//!   `email` for the address).
//! * Scope `account` always (for `GET /2.0/user`), as Lucia; add `email` for the
//!   addresses. Lucia fixed the scope to `account` and never fetched an email.
//! * Client authentication with HTTP Basic, as every example in Bitbucket's OAuth docs
//!   does (`curl -u "client_id:secret"`). Lucia also repeated `client_id` in the body;
//!   Basic alone is what the docs show.
//! * No PKCE: Bitbucket Cloud documents none (only Bitbucket Data Center has it).
//! * The redirect URI is optional: without one, Bitbucket redirects to the consumer's
//!   callback URL; with one, it must extend that URL.
//! * The user comes from `GET https://api.bitbucket.org/2.0/user`. The provider user id
//!   is `uuid` **with its braces** (`{c788b2da-…}`), exactly as Lucia stored it — never
//!   the username or nickname, which users can change.
//! * The email comes from `GET /2.0/user/emails`, which lists confirmed and unconfirmed
//!   addresses: the profile's email is the primary address, verified only when Bitbucket
//!   says `is_confirmed: true`. The list is fetched when the token grants `email` (or
//!   lists no scopes at all — then a 403 just means no email permission) and skipped when
//!   the granted scopes leave `email` out. Only the first page (Bitbucket's default page
//!   size) is read.
//! * Bitbucket's token response names the granted scopes `scopes`, not `scope`; it is
//!   read from [`Tokens::extra`](portcullis::Tokens::extra).
//! * Refresh ([`Refresh`]): Bitbucket's access tokens are short-lived and come with a
//!   refresh token (`grant_type=refresh_token`, HTTP Basic, as documented).
//! * No revocation: Bitbucket Cloud documents no revocation endpoint, so
//!   [`Revoke`](portcullis::Revoke) is not implemented.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    RequestErrorKind, Tokens, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Bitbucket Cloud provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Bitbucket {}

impl Bitbucket {
    /// Bitbucket Cloud (bitbucket.org).
    pub fn new() -> Self {
        Bitbucket::default()
    }
}

impl Provider for Bitbucket {
    type User = BitbucketUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "bitbucket",
        name: "Bitbucket",
        authorization_url: "https://bitbucket.org/site/oauth2/authorize",
        token_url: "https://bitbucket.org/site/oauth2/access_token",
        revocation_url: None,
        userinfo_url: Some("https://api.bitbucket.org/2.0/user"),
        issuer: None,
        default_scopes: &["account"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: false,
        user_id_field: "uuid",
        email_verified_source: "`is_confirmed` of the primary address from `/2.0/user/emails` (needs the `email` scope)",
        docs_url: "https://developer.atlassian.com/cloud/bitbucket/oauth-2/",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<BitbucketUser, Error> {
        let user_url = request.userinfo_url()?;
        let mut user: BitbucketUser = request.get(user_url.clone()).send().await?;

        let granted = granted_scopes(request.tokens());
        let may_read_emails = granted
            .as_ref()
            .is_none_or(|scopes| scopes.iter().any(|s| s == "email"));
        if may_read_emails {
            let mut emails_url = user_url.clone();
            emails_url.set_path(&format!("{}/emails", user_url.path().trim_end_matches('/')));
            user.emails = match request.get(emails_url).send::<EmailPage>().await {
                Ok(page) => Some(page.values),
                // Scopes unknown and no email permission: the token cannot see them.
                Err(Error::Request(e))
                    if granted.is_none()
                        && matches!(
                            e.kind(),
                            RequestErrorKind::UnexpectedResponse { status: 403, .. }
                                | RequestErrorKind::OAuth { status: 403, .. }
                        ) =>
                {
                    None
                }
                Err(e) => return Err(e),
            };
        }
        Ok(user)
    }
}

impl Refresh for Bitbucket {}

/// The scopes the token response lists: Bitbucket's `scopes` field (kept in
/// [`Tokens::extra`]), or a standard `scope`; `None` when neither is there.
fn granted_scopes(tokens: &Tokens) -> Option<Vec<String>> {
    if let Some(scopes) = tokens.scopes() {
        return Some(scopes.to_vec());
    }
    let listed = tokens.extra().get("scopes")?.as_str()?;
    Some(
        listed
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
    )
}

/// A page of `/2.0/user/emails`.
#[derive(Deserialize)]
struct EmailPage {
    #[serde(default)]
    values: Vec<BitbucketEmail>,
}

/// A Bitbucket user: [`GET /2.0/user`](https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/#api-user-get),
/// plus the addresses from `/2.0/user/emails` when the token may read them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BitbucketUser {
    /// The user's UUID, with braces (`{c788b2da-b7a2-404c-9e26-d3f077557007}`): stable for
    /// the life of the account. The provider user id.
    pub uuid: String,
    /// The Atlassian account id behind this Bitbucket user.
    #[serde(default)]
    pub account_id: Option<String>,
    /// The object type, `user`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The display name.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The nickname. Users can change it; never key on it.
    #[serde(default)]
    pub nickname: Option<String>,
    /// The username, where Bitbucket still sends it. Users can change it; never key on
    /// it.
    #[serde(default)]
    pub username: Option<String>,
    /// The account status (`active`).
    #[serde(default)]
    pub account_status: Option<String>,
    /// When the account was created (ISO 8601).
    #[serde(default)]
    pub created_on: Option<String>,
    /// Whether the user is Bitbucket staff.
    #[serde(default)]
    pub is_staff: Option<bool>,
    /// Whether two-step verification is on (`null` when not shared).
    #[serde(default)]
    pub has_2fa_enabled: Option<bool>,
    /// The location field of the profile.
    #[serde(default)]
    pub location: Option<String>,
    /// The website field of the profile.
    #[serde(default)]
    pub website: Option<String>,
    /// Links to the avatar, the profile page and API resources.
    #[serde(default)]
    pub links: BitbucketLinks,
    /// The user's addresses from `/2.0/user/emails`; `None` when they were not fetched
    /// (no `email` scope) or the token may not read them.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub emails: Option<Vec<BitbucketEmail>>,
}

/// The `links` of a [`BitbucketUser`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BitbucketLinks {
    /// The avatar image.
    #[serde(default)]
    pub avatar: Option<BitbucketLink>,
    /// The profile page on bitbucket.org.
    #[serde(default)]
    pub html: Option<BitbucketLink>,
    /// The user resource in the API.
    #[serde(default, rename = "self")]
    pub self_link: Option<BitbucketLink>,
}

/// One link of a Bitbucket resource.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BitbucketLink {
    /// The URL; Bitbucket may send an empty link object (`{}`).
    #[serde(default)]
    pub href: Option<String>,
    /// The link's name, when Bitbucket gives one.
    #[serde(default)]
    pub name: Option<String>,
}

/// One address from [`GET /2.0/user/emails`](https://developer.atlassian.com/cloud/bitbucket/rest/api-group-users/#api-user-emails-get).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct BitbucketEmail {
    /// The address.
    pub email: String,
    /// Whether it is the primary address.
    #[serde(default)]
    pub is_primary: bool,
    /// Whether the user confirmed it.
    #[serde(default)]
    pub is_confirmed: bool,
    /// The object type, `email`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
}

impl BitbucketUser {
    /// The primary address from `/2.0/user/emails`, confirmed or not.
    pub fn primary_email(&self) -> Option<&BitbucketEmail> {
        self.emails.as_ref()?.iter().find(|e| e.is_primary)
    }

    /// The avatar URL, if Bitbucket gave one.
    pub fn avatar_url(&self) -> Option<&str> {
        self.links.avatar.as_ref()?.href.as_deref()
    }
}

impl ProviderUser for BitbucketUser {
    fn provider_user_id(&self) -> String {
        self.uuid.clone()
    }

    fn profile(&self) -> Profile {
        let (email, verified) = match self.primary_email() {
            Some(primary) => (Some(primary.email.clone()), primary.is_confirmed),
            None => (None, false),
        };
        let username = self.username.clone().or_else(|| self.nickname.clone());
        Profile::new(self.provider_user_id())
            .with_name(self.display_name.clone().or_else(|| username.clone()))
            .with_username(username)
            .with_email(email, verified)
            .with_avatar_url(self.avatar_url().map(str::to_owned))
    }
}
