//! Sign in with [Mastodon](https://joinmastodon.org) for [Portcullis](portcullis): one
//! client per Mastodon server ("instance"), each with the app registered there.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_mastodon::Mastodon;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The client id and secret that `POST /api/v1/apps` on mastodon.social returned
//! // (registered with `scopes=profile` and this redirect URI).
//! let mastodon_social = OAuthClient::new(
//!     Mastodon::new("mastodon.social")?,
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/mastodon/mastodon.social/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = mastodon_social.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback. The user's key
//! // will be `mastodon:{account id}@mastodon.social`.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * One instance per [`Mastodon`]: [`Mastodon::new`] takes its domain
//!   (`mastodon.social`; `https://` optional, `http://` only for `localhost` and
//!   loopback addresses). Mastodon runs at the root of its domain, so a path is
//!   refused. The endpoints are `{instance}/oauth/authorize`, `{instance}/oauth/token`,
//!   `{instance}/oauth/revoke` and `{instance}/api/v1/accounts/verify_credentials`.
//! * The app is registered on each instance (`POST /api/v1/apps`, with `redirect_uris`
//!   and `scopes`), which returns that instance's `client_id` and `client_secret`: one
//!   [`OAuthClient`](portcullis::OAuthClient) per instance. The scopes asked at
//!   sign-in must be a subset of the registered ones, and the redirect URI one of the
//!   registered `redirect_uris`. **Known gap:** registering is the app's job (and
//!   storing each instance's credentials); this crate does not call `/api/v1/apps`,
//!   and the core offers provider crates no request but the token, revocation and
//!   bearer-token API calls (and unauthenticated `GET`s).
//! * **The key names the instance**: account ids are numbered per instance, so the
//!   provider user id is `{id}@{instance}` — the account's `id`, then the instance's
//!   host (lowercase, IDNA-encoded, a `:port` only when it is not the default), e.g.
//!   `mastodon:109302378423837652@mastodon.social`. The same `id` on two instances is
//!   two identities, whatever provider id the clients use. The instance is the one the
//!   client was built for ([`MastodonUser::instance`]), never one the server's answer
//!   names (`url`, `uri`, `acct`): a server cannot claim another's accounts.
//! * Keep the instance with the pending sign-in — a redirect URI per instance, as in the
//!   example, or [`OAuthClient::with_id`](portcullis::OAuthClient::with_id) per
//!   instance: Mastodon sends no `iss` (RFC 9207) in the callback, and the pending
//!   authorization records only the provider id, so the app's routing is what sends a
//!   code back to the instance it came from.
//! * Scope `profile` always: it gives access to `GET /api/v1/accounts/verify_credentials`
//!   and nothing else (Mastodon 4.3 and later), as Mastodon recommends for signing in.
//!   Add more with [`ClientConfig::scope`](portcullis::ClientConfig::scope). **Known
//!   gap:** instances older than 4.3 do not know `profile` and refuse the authorization
//!   (`invalid_scope`); they need `read:accounts`, which cannot be asked instead: the
//!   core's `ProviderInfo::default_scopes` is one constant per provider type, and an
//!   app's scopes are added to it, never replace it.
//! * PKCE (S256) for every sign-in: Mastodon supports it since 4.3, S256 only.
//! * Client authentication with `client_id` and `client_secret` in the form body, as
//!   Mastodon documents its token and revocation endpoints (its server metadata lists
//!   HTTP Basic too). A redirect URI is required.
//! * No refresh: Mastodon issues no refresh token and its access tokens do not expire
//!   (the token response has no `expires_in`); they last until the user or the app
//!   revokes them.
//! * Revocation ([`Revoke`]) at `/oauth/revoke` (RFC 7009), with `client_id` and
//!   `client_secret` in the form; it answers `{}`. Revoking a token the app does not own
//!   is a `403` `unauthorized_client`.
//! * The user is `GET /api/v1/accounts/verify_credentials`, the account with its
//!   `source` and `role` ([`MastodonUser`]). Its errors are `{"error": "…"}` objects
//!   whose `error` is a sentence (`"Your login is missing a confirmed e-mail address"`,
//!   `403`): they come back as
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth) with that
//!   sentence as the code.
//! * The `id` is a string ("cast from an integer, but not guaranteed to be a number"),
//!   kept as the server sends it. The role's `permissions` bit set is a string of
//!   digits too ([`MastodonRole::permission_bits`] reads it).
//! * No email: the account (`verify_credentials`) does not carry the account's
//!   address, so the profile has no email and `email_verified` is always false. (An
//!   account must have confirmed its address to use the API at all, but the address is
//!   not given.)
//! * The profile's name is `display_name`, or the `username` when it is empty; the
//!   username is `username` (without the domain); the avatar is `avatar`.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Revoke, Url,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Mastodon provider for one instance.
#[derive(Debug, Clone)]
pub struct Mastodon {
    /// `https://{instance}/`.
    base: Url,
    /// The instance's host (and port), as keys name it.
    instance: String,
}

impl Mastodon {
    /// The Mastodon instance at `domain`: `mastodon.social`, `https://mastodon.social`
    /// or `https://mastodon.social/` (`https://` is assumed). `http://` is accepted for
    /// `localhost` and loopback addresses only, for a local development server.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `domain` is not an instance's domain: another scheme,
    /// `http` to a remote host, a path (Mastodon runs at the root of its domain), a
    /// query, a fragment or credentials.
    pub fn new(domain: &str) -> Result<Mastodon, Error> {
        let base = portcullis::domain_base_url(domain, "Mastodon instance")?;
        let invalid =
            |why: &str| Error::Config(format!("invalid Mastodon instance `{domain}`: {why}"));
        let host = base
            .host_str()
            .map(|host| host.trim_end_matches('.'))
            .filter(|host| !host.is_empty())
            .ok_or_else(|| invalid("no host"))?;
        let instance = match base.port() {
            Some(port) => format!("{host}:{port}"),
            None => host.to_owned(),
        };
        Ok(Mastodon { base, instance })
    }

    /// The instance as keys name it: its host, lowercase and IDNA-encoded, with
    /// `:port` when the port is not the scheme's default (`mastodon.social`).
    pub fn instance(&self) -> &str {
        &self.instance
    }

    /// The instance's base URL (`https://mastodon.social/`).
    pub fn base_url(&self) -> &Url {
        &self.base
    }

    fn endpoint(&self, path: &str) -> Url {
        self.base
            .join(path)
            .unwrap_or_else(|e| unreachable!("`{path}` is a valid relative path: {e}"))
    }
}

impl Provider for Mastodon {
    type User = MastodonUser;

    /// The URLs depend on the instance: `{instance}` is its domain, set with
    /// [`Mastodon::new`].
    const INFO: ProviderInfo = ProviderInfo {
        id: "mastodon",
        name: "Mastodon",
        authorization_url: "https://{instance}/oauth/authorize",
        token_url: "https://{instance}/oauth/token",
        revocation_url: Some("https://{instance}/oauth/revoke"),
        userinfo_url: Some("https://{instance}/api/v1/accounts/verify_credentials"),
        issuer: None,
        default_scopes: &["profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id@{instance}",
        email_verified_source: "never: `verify_credentials` does not give the account's email address",
        docs_url: "https://docs.joinmastodon.org/methods/oauth/",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: self.endpoint("oauth/authorize"),
            token: self.endpoint("oauth/token"),
            revocation: Some(self.endpoint("oauth/revoke")),
            userinfo: Some(self.endpoint("api/v1/accounts/verify_credentials")),
            issuer: None,
            issuer_required: false,
        }
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<MastodonUser, Error> {
        let mut user: MastodonUser = request.get(request.userinfo_url()?.clone()).send().await?;
        // The instance this client was built for, even if the answer named one.
        user.instance.clone_from(&self.instance);
        Ok(user)
    }
}

impl Revoke for Mastodon {}

/// A Mastodon account: the `CredentialAccount` of
/// [`GET /api/v1/accounts/verify_credentials`](https://docs.joinmastodon.org/methods/accounts/#verify_credentials)
/// (an [`Account`](https://docs.joinmastodon.org/entities/Account/) with `source` and
/// `role`), and the instance it belongs to.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MastodonUser {
    /// The instance the account belongs to, as [`Mastodon::instance`] names it
    /// (`mastodon.social`). Not Mastodon's: set by this crate from the client's
    /// configuration, never from the server's answer.
    #[serde(default)]
    pub instance: String,
    /// The account id: unique and stable on its instance only. A string, "cast from an
    /// integer, but not guaranteed to be a number". With [`instance`](Self::instance),
    /// the provider user id (`{id}@{instance}`).
    pub id: String,
    /// The username, without the domain. Never key on it.
    pub username: String,
    /// The WebFinger account name: the `username` for the instance's own accounts.
    #[serde(default)]
    pub acct: Option<String>,
    /// The profile page URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The ActivityPub actor id (Mastodon 4.2 and later).
    #[serde(default)]
    pub uri: Option<String>,
    /// The display name; empty when unset.
    #[serde(default)]
    pub display_name: Option<String>,
    /// The bio, as HTML.
    #[serde(default)]
    pub note: Option<String>,
    /// The avatar image URL.
    #[serde(default)]
    pub avatar: Option<String>,
    /// A static version of the avatar (differs from `avatar` when that is animated).
    #[serde(default)]
    pub avatar_static: Option<String>,
    /// The header image URL (ends in `/headers/original/missing.png` when unset).
    #[serde(default)]
    pub header: Option<String>,
    /// A static version of the header.
    #[serde(default)]
    pub header_static: Option<String>,
    /// Whether the account approves follow requests manually.
    #[serde(default)]
    pub locked: Option<bool>,
    /// The profile's name-value metadata, values as HTML.
    #[serde(default)]
    pub fields: Vec<MastodonField>,
    /// Whether the account may perform automated actions (a bot).
    #[serde(default)]
    pub bot: Option<bool>,
    /// Whether the account represents a group actor.
    #[serde(default)]
    pub group: Option<bool>,
    /// Whether the account opted into discovery features such as the profile directory.
    #[serde(default)]
    pub discoverable: Option<bool>,
    /// Whether the account opted out of search engine indexing.
    #[serde(default)]
    pub noindex: Option<bool>,
    /// Whether the account's public posts may be searched by anyone (Mastodon 4.2 and
    /// later).
    #[serde(default)]
    pub indexable: Option<bool>,
    /// Whether the account hides its follows and followers.
    #[serde(default)]
    pub hide_collections: Option<bool>,
    /// Whether the account is suspended (only sent when it is).
    #[serde(default)]
    pub suspended: Option<bool>,
    /// Whether the account is silenced (only sent when it is).
    #[serde(default)]
    pub limited: Option<bool>,
    /// Whether the account is a memorial.
    #[serde(default)]
    pub memorial: Option<bool>,
    /// When the account was created (ISO 8601, midnight since Mastodon 3.4).
    #[serde(default)]
    pub created_at: Option<String>,
    /// The date of the latest post; `None` without posts.
    #[serde(default)]
    pub last_status_at: Option<String>,
    /// How many posts the account has.
    #[serde(default)]
    pub statuses_count: Option<i64>,
    /// How many followers the account reports.
    #[serde(default)]
    pub followers_count: Option<i64>,
    /// How many accounts it reports following.
    #[serde(default)]
    pub following_count: Option<i64>,
    /// The plain-text sources of the profile and posting defaults, only given for the
    /// signed-in account.
    #[serde(default)]
    pub source: Option<MastodonSource>,
    /// The role assigned to the account on its instance (Mastodon 4.0 and later).
    #[serde(default)]
    pub role: Option<MastodonRole>,
}

/// A name-value pair of a Mastodon profile.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MastodonField {
    /// The key.
    pub name: String,
    /// The value (HTML in the account, plain text in its `source`).
    pub value: String,
    /// When the instance verified the link in `value` (ISO 8601); `None` if it did not.
    #[serde(default)]
    pub verified_at: Option<String>,
}

/// The `source` of a Mastodon account: plain-text profile and posting defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MastodonSource {
    /// The bio, in plain text.
    #[serde(default)]
    pub note: Option<String>,
    /// The profile's name-value metadata, in plain text.
    #[serde(default)]
    pub fields: Vec<MastodonField>,
    /// The default visibility of new posts: `public`, `unlisted`, `private` or `direct`.
    #[serde(default)]
    pub privacy: Option<String>,
    /// Whether new posts are marked sensitive by default.
    #[serde(default)]
    pub sensitive: Option<bool>,
    /// The default posting language (ISO 639-1), or empty.
    #[serde(default)]
    pub language: Option<String>,
    /// How many follow requests are pending.
    #[serde(default)]
    pub follow_requests_count: Option<i64>,
}

/// The role of a Mastodon account on its instance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct MastodonRole {
    /// The role's id, a string (`"-99"` for the default role).
    #[serde(default)]
    pub id: Option<String>,
    /// The role's name; empty for the default role.
    #[serde(default)]
    pub name: Option<String>,
    /// The role's permissions: a bit set, written as a string of decimal digits
    /// (`"65536"`); read it with [`MastodonRole::permission_bits`].
    #[serde(default)]
    pub permissions: Option<String>,
    /// The role's colour (`#ff3838`), or empty.
    #[serde(default)]
    pub color: Option<String>,
    /// Whether the role is shown on the account's profile.
    #[serde(default)]
    pub highlighted: Option<bool>,
}

impl MastodonRole {
    /// The permission bit set, parsed from its decimal string (`"65536"` is `1 << 16`);
    /// `None` when it is missing or not a number.
    pub fn permission_bits(&self) -> Option<u64> {
        self.permissions.as_deref()?.trim().parse().ok()
    }
}

impl ProviderUser for MastodonUser {
    fn provider_user_id(&self) -> String {
        format!("{}@{}", self.id, self.instance)
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(
                self.display_name
                    .clone()
                    .filter(|name| !name.trim().is_empty())
                    .or_else(|| Some(self.username.clone())),
            )
            .with_username(Some(self.username.clone()))
            .with_avatar_url(self.avatar.clone().filter(|url| !url.is_empty()))
    }
}
