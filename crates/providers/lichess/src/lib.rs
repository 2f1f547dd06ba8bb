//! Sign in with Lichess for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_lichess::Lichess;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let lichess = OAuthClient::new(
//!     Lichess::new(),
//!     // Lichess has no client registration and no secret: the client id is any name
//!     // that identifies the app.
//!     ClientConfig::public("app.example")
//!         .redirect_uri("https://app.example/login/lichess/callback".parse()?)
//!         .scope("email:read"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = lichess.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * A public client: Lichess has no app registration and no client secret. The
//!   `client_id` is any string that identifies the app; build the configuration with
//!   [`ClientConfig::public`](portcullis::ClientConfig::public), and nothing secret is
//!   sent anywhere. A configuration with a secret is refused
//!   ([`ClientAuth::None`]): Lichess would receive it for
//!   nothing.
//! * PKCE (S256) is required by Lichess and always sent. The authorization endpoint is
//!   `https://lichess.org/oauth` (no `/authorize`), the token endpoint
//!   `https://lichess.org/api/token`; the token request carries `grant_type`, `code`,
//!   `code_verifier`, `redirect_uri` and `client_id`, exactly as documented.
//! * No default scope: identifying the user needs none. Add `email:read` for the email.
//! * The user is `GET https://lichess.org/api/account`; the provider user id is `id`,
//!   the lowercase username (Lichess usernames cannot be changed except for letter
//!   case, so `id` is stable), as in Lucia.
//! * The email comes from `GET /api/account/email`, which needs the `email:read`
//!   scope. Lichess's token response does not list the granted scopes, so the request
//!   is always made; a 401 or 403 answer means the token may not read the email, and
//!   the email is then `None`. Any other failure fails the sign-in. Lucia never fetched
//!   the email.
//! * **`email_verified` is always false**: Lichess documents no verification flag for
//!   the address, so Portcullis gives no guarantee that it belongs to the user.
//! * No refresh: Lichess access tokens are long-lived (about a year) and come without a
//!   refresh token. No revocation: Lichess revokes with `DELETE /api/token`
//!   (bearer-authenticated), not RFC 7009, so [`Revoke`](portcullis::Revoke) is not
//!   implemented.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, RequestErrorKind,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The scope that lets a token read the account's email.
const EMAIL_SCOPE: &str = "email:read";

/// The Lichess provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Lichess {}

impl Lichess {
    /// lichess.org.
    pub fn new() -> Self {
        Lichess::default()
    }
}

impl Provider for Lichess {
    type User = LichessUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "lichess",
        name: "Lichess",
        authorization_url: "https://lichess.org/oauth",
        token_url: "https://lichess.org/api/token",
        revocation_url: None,
        userinfo_url: Some("https://lichess.org/api/account"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        // Public clients only: `client_id` in the form body, no secret.
        client_auth: ClientAuth::None,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "never: Lichess gives no such guarantee (`/api/account/email` has no verification flag)",
        docs_url: "https://lichess.org/api#tag/OAuth",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<LichessUser, Error> {
        let account_url = request.userinfo_url()?;
        let mut user: LichessUser = request.get(account_url.clone()).send().await?;

        // Lichess lists no scopes in its token response; if a token ever does, trust it.
        let may_read_email = request
            .tokens()
            .scopes()
            .is_none_or(|scopes| scopes.iter().any(|s| s == EMAIL_SCOPE));
        if may_read_email {
            let mut email_url = account_url.clone();
            email_url.set_path(&format!(
                "{}/email",
                account_url.path().trim_end_matches('/')
            ));
            user.email = match request.get(email_url).send::<AccountEmail>().await {
                Ok(account) => Some(account.email).filter(|e| !e.is_empty()),
                // The token lacks `email:read`.
                Err(Error::Request(e)) if is_forbidden(e.kind()) => None,
                Err(e) => return Err(e),
            };
        }
        Ok(user)
    }
}

fn is_forbidden(kind: &RequestErrorKind) -> bool {
    matches!(
        kind,
        RequestErrorKind::OAuth {
            status: 401 | 403,
            ..
        } | RequestErrorKind::UnexpectedResponse {
            status: 401 | 403,
            ..
        }
    )
}

/// `GET /api/account/email`.
#[derive(Deserialize)]
struct AccountEmail {
    email: String,
}

/// A Lichess user: [`GET /api/account`](https://lichess.org/api#tag/Account/operation/accountMe),
/// plus the address from [`GET /api/account/email`](https://lichess.org/api#tag/Account/operation/accountEmail)
/// when the token may read it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LichessUser {
    /// The user id: the username in lower case. Stable (a username's letters never
    /// change, only their case). The provider user id.
    pub id: String,
    /// The username, with its capitalisation.
    pub username: String,
    /// The chess title (`GM`, `IM`, `FM`, …, `LM`, or `BOT`), for titled players and bots.
    #[serde(default)]
    pub title: Option<String>,
    /// The flair (an emoji-like badge), e.g. `nature.water-wave`.
    #[serde(default)]
    pub flair: Option<String>,
    /// When the account was created, in milliseconds since the Unix epoch.
    #[serde(default, rename = "createdAt")]
    pub created_at: Option<u64>,
    /// When the user was last seen, in milliseconds since the Unix epoch.
    #[serde(default, rename = "seenAt")]
    pub seen_at: Option<u64>,
    /// Present and true when the account is closed.
    #[serde(default)]
    pub disabled: Option<bool>,
    /// Present and true when the account is marked for violating the terms of service.
    #[serde(default, rename = "tosViolation")]
    pub tos_violation: Option<bool>,
    /// Whether the user is a Lichess patron.
    #[serde(default)]
    pub patron: Option<bool>,
    /// Whether Lichess verified the account (a verified badge, not the email).
    #[serde(default)]
    pub verified: Option<bool>,
    /// Whether kid mode is on.
    #[serde(default)]
    pub kid: Option<bool>,
    /// The profile the user filled in.
    #[serde(default)]
    pub profile: Option<LichessProfile>,
    /// Time spent playing.
    #[serde(default, rename = "playTime")]
    pub play_time: Option<LichessPlayTime>,
    /// Ratings per variant and speed (`bullet`, `blitz`, `puzzle`, …), as Lichess sent
    /// them.
    #[serde(default)]
    pub perfs: serde_json::Map<String, serde_json::Value>,
    /// Game counts (`all`, `rated`, `win`, …), as Lichess sent them.
    #[serde(default)]
    pub count: serde_json::Map<String, serde_json::Value>,
    /// The profile page URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The URL of the game being played, if any.
    #[serde(default)]
    pub playing: Option<String>,
    /// Whether the user is streaming.
    #[serde(default)]
    pub streaming: Option<bool>,
    /// The user's streaming channels, as Lichess sent them.
    #[serde(default)]
    pub streamer: Option<serde_json::Value>,
    /// The address from `/api/account/email`; `None` when the token may not read it
    /// (no `email:read`). Never verified as far as Lichess says.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
}

/// The profile a Lichess user filled in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LichessProfile {
    /// The country or region flag code (`OM`, `_earth`, …).
    #[serde(default)]
    pub flag: Option<String>,
    /// The location.
    #[serde(default)]
    pub location: Option<String>,
    /// The biography.
    #[serde(default)]
    pub bio: Option<String>,
    /// The real name.
    #[serde(default, rename = "realName")]
    pub real_name: Option<String>,
    /// The FIDE rating, if the user set it.
    #[serde(default, rename = "fideRating")]
    pub fide_rating: Option<u32>,
    /// The USCF rating, if the user set it.
    #[serde(default, rename = "uscfRating")]
    pub uscf_rating: Option<u32>,
    /// The ECF rating, if the user set it.
    #[serde(default, rename = "ecfRating")]
    pub ecf_rating: Option<u32>,
    /// The CFC rating, if the user set it.
    #[serde(default, rename = "cfcRating")]
    pub cfc_rating: Option<u32>,
    /// The RCF rating, if the user set it.
    #[serde(default, rename = "rcfRating")]
    pub rcf_rating: Option<u32>,
    /// The DSB rating, if the user set it.
    #[serde(default, rename = "dsbRating")]
    pub dsb_rating: Option<u32>,
    /// The user's links, one per line.
    #[serde(default)]
    pub links: Option<String>,
}

/// Time a Lichess user spent playing, in seconds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct LichessPlayTime {
    /// Total playing time.
    #[serde(default)]
    pub total: Option<u64>,
    /// Time on Lichess TV.
    #[serde(default)]
    pub tv: Option<u64>,
}

impl ProviderUser for LichessUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let real_name = self
            .profile
            .as_ref()
            .and_then(|p| p.real_name.clone())
            .filter(|name| !name.trim().is_empty());
        Profile::new(self.provider_user_id())
            .with_name(real_name.or_else(|| Some(self.username.clone())))
            .with_username(Some(self.username.clone()))
            // Lichess documents no verification flag for the address.
            .with_email(self.email.clone(), false)
    }
}
