//! Sign in with Notion for [Portcullis](portcullis): the authorization flow of a Notion
//! *public* integration (connection).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_notion::Notion;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let notion = OAuthClient::new(
//!     Notion::new(),
//!     // The OAuth client id and secret from the integration's Configuration tab.
//!     ClientConfig::new("463558a3-725e-4f37-b6d3-0889894f68de", "client-secret")
//!         .redirect_uri("https://app.example/login/notion/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = notion.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Only *public* integrations have an OAuth flow: an internal integration has a
//!   static token and no client id or secret.
//! * The authorization URL is `https://api.notion.com/v1/oauth/authorize` with
//!   `owner=user`, which Notion requires (always sent), and no `scope`: what an
//!   integration may do is set by its capabilities in the integration's settings, and
//!   which pages it may see by the page picker the user goes through. Scopes an app adds
//!   with [`ClientConfig::scope`](portcullis::ClientConfig::scope) are sent anyway;
//!   Notion documents no `scope` parameter.
//! * No PKCE: Notion's authorization flow documents none. Client authentication is HTTP
//!   Basic (`client_id:client_secret`), the only one Notion documents for
//!   `POST https://api.notion.com/v1/oauth/token`.
//! * A redirect URI is required: Notion's authorization URL takes it, and the token
//!   request must then repeat it (Notion requires `redirect_uri` in the token request
//!   when the authorization URL had one).
//! * Known gap, the token request's format: Notion's reference documents
//!   `POST /v1/oauth/token` with a JSON body and a required `Notion-Version` header.
//!   Portcullis sends RFC 6749's `application/x-www-form-urlencoded` body and no
//!   `Notion-Version` header, as Arctic and Auth.js do with Notion: the core neither
//!   sends JSON token requests nor adds headers to them.
//! * **No user request**: Notion returns the user who authorized the integration as
//!   `owner.user` in the token response (`{"type": "user", "user": {…}}`), a Notion
//!   user object, and that is the user. `GET /v1/users/me` would return the
//!   integration's bot, with the same user nested in `bot.owner.user`, and needs a
//!   `Notion-Version` header. Notion documents `owner.user` as either a person (`name`,
//!   `avatar_url`, `person.email`) or a partial user (`object` and `id` only), which
//!   signs in with an empty profile. A token response without `owner.user` (a
//!   workspace-level token, `{"type": "workspace", "workspace": true}`) or with one that
//!   is not shaped like a [`NotionUser`] fails the sign-in with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   in [`Phase::TokenExchange`](portcullis::Phase::TokenExchange), naming the field
//!   (`owner`, `owner.user.id`, …).
//! * The provider user id is the user object's `id`, a UUID, never the name or email.
//! * `email_verified` is always false: Notion's user object has no verification flag.
//!   `person.email` is there only when the integration has the capability to read user
//!   information including email addresses; without it the profile has no email.
//! * The rest of the token response stays in
//!   [`Tokens::extra`](portcullis::Tokens::extra): `bot_id` (the id of this
//!   authorization's bot), `workspace_id`, `workspace_name`, `workspace_icon`,
//!   `duplicated_template_id` (the page duplicated from the integration's template, if
//!   any) and `request_id`.
//! * No `expires_in`, no `scope`: Notion documents no lifetime for the access token, so
//!   [`Tokens::expires_in`](portcullis::Tokens::expires_in) is `None`. A
//!   `"refresh_token": null` is read as no refresh token.
//! * Refresh ([`Refresh`]): `grant_type=refresh_token` at the same token endpoint, with
//!   HTTP Basic. Notion returns a new access token **and a new refresh token**: keep
//!   the newest. The refresh response has the shape of the code exchange's, `owner`
//!   included, so [`OAuthClient::fetch_user`](portcullis::OAuthClient::fetch_user)
//!   works on refreshed tokens too.
//! * Known gap, token errors: Notion documents the errors of its OAuth endpoints as its
//!   API error object, `{"object": "error", "status": 400, "code": "invalid_grant",
//!   "message": "Invalid code: this code has been revoked."}`, with no RFC 6749 `error`
//!   member. The core reads only RFC 6749 error objects (and the Graph API's), so these
//!   come back as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with the status and an excerpt of the body (which holds `code` and `message`), not
//!   as [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth). An RFC 6749
//!   error object, which some clients read from this endpoint, is typed as usual.
//! * Known gap, no revocation ([`Revoke`](portcullis::Revoke) is not implemented):
//!   Notion's `POST https://api.notion.com/v1/oauth/revoke` is documented with a JSON
//!   body (`{"token": "…"}`), HTTP Basic and a `Notion-Version` header, while the core's
//!   RFC 7009 revocation sends a form body and no such header, neither of which Notion
//!   documents for that endpoint. Call it with the app's own HTTP client to revoke a
//!   token.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Notion provider: a public integration's authorization flow.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct Notion {}

impl Notion {
    /// Notion (`api.notion.com`).
    pub fn new() -> Self {
        Notion::default()
    }
}

impl Provider for Notion {
    type User = NotionUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "notion",
        name: "Notion",
        authorization_url: "https://api.notion.com/v1/oauth/authorize",
        token_url: "https://api.notion.com/v1/oauth/token",
        revocation_url: None,
        userinfo_url: None,
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "owner.user.id",
        email_verified_source: "never: Notion's user object has no verification flag (`person.email` only, with the capability to read email addresses)",
        docs_url: "https://developers.notion.com/guides/get-started/authorization",
    };

    /// `owner=user`, which Notion's authorization URL requires.
    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        vec![("owner", "user".to_owned())]
    }

    /// The `owner.user` of the token response; no request is made.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<NotionUser, Error> {
        request
            .token_response_field::<Owner>("owner")
            .map(|owner| owner.user)
    }
}

impl Refresh for Notion {}

/// The token response's `owner` of a user-level token: `{"type": "user", "user": {…}}`.
#[derive(Deserialize)]
struct Owner {
    user: NotionUser,
}

/// A Notion user: the [user object](https://developers.notion.com/reference/user) of
/// the person who authorized the integration, as the token response's `owner.user`.
///
/// Only `object` and `id` are always present; the rest depends on the integration's
/// capabilities.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotionUser {
    /// Always `user`.
    #[serde(default)]
    pub object: Option<String>,
    /// The unique identifier of the user, a UUID. The provider user id.
    pub id: String,
    /// The type of user: `person` (the owner of a user-level token is one) or `bot`.
    #[serde(default, rename = "type")]
    pub kind: Option<String>,
    /// The user's name, as displayed in Notion.
    #[serde(default)]
    pub name: Option<String>,
    /// The URL of the avatar the user chose.
    #[serde(default)]
    pub avatar_url: Option<String>,
    /// What only people have: their email address.
    #[serde(default)]
    pub person: Option<NotionPerson>,
}

/// The `person` of a [`NotionUser`].
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct NotionPerson {
    /// The person's email address; present only when the integration has the capability
    /// to read user information including email addresses. Notion says nothing of its
    /// verification.
    #[serde(default)]
    pub email: Option<String>,
}

impl NotionUser {
    /// The email address, when Notion shared it.
    pub fn email(&self) -> Option<&str> {
        self.person.as_ref()?.email.as_deref()
    }
}

impl ProviderUser for NotionUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.clone())
            // Notion's user object has no verification flag: never verified.
            .with_email(self.email().map(str::to_owned), false)
            .with_avatar_url(self.avatar_url.clone())
    }
}
