//! Sign in with Epic Games (Epic Account Services) for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_epicgames::EpicGames;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let epic = OAuthClient::new(
//!     EpicGames::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/epicgames/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = epic.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The "Web Server Applications" flow of Epic's Auth Web APIs: the user signs in at
//!   `https://www.epicgames.com/id/authorize`, the code is exchanged at
//!   `https://api.epicgames.dev/epic/oauth/v2/token`.
//! * Scope `basic_profile` always: the sign-in needs the account's display name, which
//!   the Accounts API returns only with it. Add `friends_list`, `presence`, `country`
//!   as the app's EAS application allows (Epic's scopes are space-separated).
//! * Client authentication with HTTP Basic, the only one Epic documents for its token
//!   endpoint. A client id and secret of an EAS client are needed: no public clients.
//! * No PKCE: Epic documents none for the web server flow.
//! * A redirect URI is required: it must be one of the EAS application's registered
//!   redirect URLs.
//! * The token response names the signed-in account as `account_id` (with `client_id`,
//!   `application_id`, `expires_at`, `refresh_expires`, `refresh_expires_at`, kept in
//!   [`Tokens::extra`](portcullis::Tokens::extra)). The user is then that account from
//!   `GET https://api.epicgames.dev/epic/id/v2/accounts?accountId=<account_id>`, whose
//!   answer is a JSON **array**: anything but exactly one account fails the sign-in
//!   with [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse).
//!   A token response without `account_id` fails it the same way in
//!   [`Phase::TokenExchange`](portcullis::Phase::TokenExchange), naming `account_id`.
//! * The provider user id is the account's `accountId` (32 hex digits) — never
//!   `displayName`, which users can change.
//! * The email is **never** known, let alone verified: Epic Account Services share no
//!   email address with applications.
//! * `displayName` may be missing, for accounts created through a console or another
//!   identity provider that never chose one; their `linkedAccounts` carry the display
//!   names at those providers, and the profile name falls back to the first of them.
//! * Refresh ([`Refresh`]): access tokens last about two hours; the refresh token's own
//!   lifetime comes as `refresh_expires` (seconds) and `refresh_expires_at`.
//! * Revocation ([`Revoke`]) at `https://api.epicgames.dev/epic/oauth/v2/revoke`, which
//!   Epic documents as RFC 7009 token revocation, with HTTP Basic client authentication.
//! * **Known gap**: the core lets a provider crate fail a user request only through
//!   parsing, so the Accounts API's answer is not compared with the token response's
//!   `account_id` (Epic returns the account asked for); the key is the `accountId` the
//!   Accounts API returned.
//! * Not covered: the `openid` scope (ID tokens) and EOS deployments (`deployment_id`,
//!   which only game clients need).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh, Revoke,
    UserRequest,
};
use serde::{Deserialize, Deserializer, Serialize};

/// The Epic Games provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct EpicGames {}

impl EpicGames {
    /// Epic Account Services at `www.epicgames.com` and `api.epicgames.dev`.
    pub fn new() -> Self {
        EpicGames::default()
    }
}

impl Provider for EpicGames {
    type User = EpicGamesUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "epicgames",
        name: "Epic Games",
        authorization_url: "https://www.epicgames.com/id/authorize",
        token_url: "https://api.epicgames.dev/epic/oauth/v2/token",
        revocation_url: Some("https://api.epicgames.dev/epic/oauth/v2/revoke"),
        userinfo_url: Some("https://api.epicgames.dev/epic/id/v2/accounts"),
        issuer: None,
        default_scopes: &["basic_profile"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "accountId",
        email_verified_source: "never: Epic Account Services share no email address",
        docs_url: "https://dev.epicgames.com/docs/web-api-ref/authentication",
    };

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<EpicGamesUser, Error> {
        let account_id: String = request.token_response_field("account_id")?;
        let Accounts(user) = request
            .get(request.userinfo_url()?.clone())
            .query(&[("accountId", &account_id)])
            .send()
            .await?;
        Ok(user)
    }
}

impl Refresh for EpicGames {}

impl Revoke for EpicGames {}

/// The Accounts API's answer for one account id: an array that must hold exactly it.
#[derive(Deserialize)]
#[serde(transparent)]
struct Accounts(#[serde(deserialize_with = "the_only_account")] EpicGamesUser);

fn the_only_account<'de, D: Deserializer<'de>>(d: D) -> Result<EpicGamesUser, D::Error> {
    let mut accounts = Vec::<EpicGamesUser>::deserialize(d)?;
    if accounts.len() != 1 {
        return Err(serde::de::Error::invalid_length(
            accounts.len(),
            &"exactly the signed-in account",
        ));
    }
    Ok(accounts.remove(0))
}

/// An account at another identity provider linked to the Epic account.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EpicGamesLinkedAccount {
    /// The identity provider (`psn`, `xbl`, `nintendo`, `steam`, …).
    pub identity_provider_id: String,
    /// The display name at that provider.
    #[serde(default)]
    pub display_name: Option<String>,
}

/// An Epic Games account, as Epic Account Services' Accounts Web API
/// (`GET /epic/id/v2/accounts`) returns it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct EpicGamesUser {
    /// The Epic account id (32 hex digits): the provider user id, the same as the token
    /// response's `account_id`.
    pub account_id: String,
    /// The display name. Users can change it; `None` for accounts without one.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The account's preferred language (`en`).
    #[serde(default)]
    pub preferred_language: Option<String>,
    /// The accounts at other identity providers linked to this one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub linked_accounts: Option<Vec<EpicGamesLinkedAccount>>,
}

impl ProviderUser for EpicGamesUser {
    fn provider_user_id(&self) -> String {
        self.account_id.clone()
    }

    fn profile(&self) -> Profile {
        let own = self
            .display_name
            .clone()
            .filter(|name| !name.trim().is_empty());
        let linked = || {
            self.linked_accounts
                .iter()
                .flatten()
                .find_map(|linked| linked.display_name.clone())
                .filter(|name| !name.trim().is_empty())
        };
        Profile::new(self.provider_user_id())
            .with_name(own.clone().or_else(linked))
            .with_username(own)
            .with_email(None, false)
    }
}
