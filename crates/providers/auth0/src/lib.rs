//! Sign in with Auth0 for [Portcullis](portcullis): an Auth0 tenant (or its custom
//! domain) as OpenID provider, with the ID token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_auth0::Auth0;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let auth0 = OAuthClient::new(
//!     // The tenant's domain (or its custom domain), as the dashboard shows it.
//!     Auth0::new("dev-abc123.us.auth0.com")?,
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/auth0/callback".parse()?)
//!         .scope("offline_access"), // a refresh token too
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = auth0.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * One tenant per provider value: [`Auth0::new`] takes the tenant's domain
//!   (`dev-abc123.us.auth0.com`) or a custom domain (`login.example.com`), with or
//!   without `https://`. Endpoints are `https://{domain}/authorize`, `/oauth/token`,
//!   `/oauth/revoke`; the keys `https://{domain}/.well-known/jwks.json`; the issuer
//!   `https://{domain}/`, **with** the trailing slash, as Auth0's discovery document and
//!   ID tokens have it. Lucia prefixed `https://` only in the authorization URL, so a
//!   bare domain broke its token request.
//! * Scopes `openid profile email` always (Lucia: `openid profile`, so no email unless
//!   the app asked); add `offline_access` for a refresh token.
//! * PKCE (S256, listed in Auth0's discovery document; Lucia sent none) and a `nonce`.
//!   The client secret goes in the form body (`client_secret_post`), as Lucia did;
//!   Auth0 accepts Basic too.
//! * **The ID token is verified** (Lucia never looked at it): RS256 or PS256 with the
//!   tenant's keys, `iss` exactly `https://{domain}/`, `aud` the client id, `exp`,
//!   `iat`, `nonce`, `at_hash`. Tokens signed with HS256 (a legacy application setting)
//!   are refused: switch the application to RS256 in the Auth0 dashboard. Each failure
//!   is a typed [`IdTokenError`](portcullis::IdTokenError).
//! * The user is read from the verified ID token, not from `/userinfo` as Lucia did:
//!   the token carries the same claims for the requested scopes, and Auth0 rate-limits
//!   `/userinfo` per user (its support articles recommend the ID token instead).
//!   Custom claims added by Actions (`https://example.com/roles`) are in
//!   [`Auth0User::claims`].
//! * **The provider user id is the whole `sub`** (`auth0|64b1…`, `google-oauth2|1101…`,
//!   `samlp|acme|jdoe`): Auth0 guarantees it unique within the tenant. Lucia stored
//!   `sub.split("|")[1]`, which collides between connections (`google-oauth2|123` and
//!   `github|123` both gave `123`), gives the *connection name* for enterprise
//!   connections (`samlp|acme|jdoe` gave `acme`, one key for every user of that
//!   connection) and `undefined` for a `sub` without `|`. Keys therefore do not carry
//!   over: a Lucia key `auth0:abc` is `auth0:auth0|abc` here. To migrate, re-key each
//!   stored identity from the tenant's user list (Management API `GET /api/v2/users`,
//!   `user_id` is the `sub`); or, on a sign-in that finds no user, look up the legacy
//!   key [`Auth0User::lucia_provider_user_id`] and move it — only where it cannot have
//!   collided (one connection, two-part ids).
//! * `email_verified` is Auth0's `email_verified` claim, true only when Auth0 says
//!   `true` (a boolean or the string `"true"`): for database connections Auth0's own
//!   verification email, for social and enterprise connections what the upstream
//!   identity provider reported.
//! * No `iss` check on the callback: Auth0 does not advertise
//!   `authorization_response_iss_parameter_supported`. The ID token's `iss` is checked.
//! * Refresh ([`Refresh`]) with `offline_access` (and "Allow Offline Access" on the
//!   API); with rotation on, Auth0 returns a new refresh token each time. An ID token in
//!   a refresh response is verified as a sign-in's, without the `nonce`.
//! * Revocation ([`Revoke`]) at `/oauth/revoke`: Auth0 revokes **refresh tokens** only
//!   (access tokens are not revocable there).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The Auth0 provider for one tenant: its domain, and the verifier of its ID tokens with
/// the tenant's key set cache (shared by clones).
#[derive(Debug, Clone)]
pub struct Auth0 {
    base: Url,
    verifier: IdTokenVerifier,
}

impl Auth0 {
    /// The tenant at `domain`: the domain from the application's settings
    /// (`dev-abc123.us.auth0.com`, `acme.eu.auth0.com`) or a custom domain
    /// (`login.example.com`), with or without `https://`. Use a custom domain if users
    /// sign in through it: Auth0 then issues ID tokens with it as issuer.
    ///
    /// `http://` is accepted for `localhost` and loopback addresses only (a local test
    /// server).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `domain` is not a host name (a path, a query, another
    /// scheme).
    pub fn new(domain: &str) -> Result<Auth0, Error> {
        let base = base_url(domain)?;
        let jwks = Jwks::new(join(&base, ".well-known/jwks.json"));
        // Auth0 lists HS256, RS256 and PS256; HS256 is keyed with the client secret, a
        // legacy setting, and is not accepted.
        let verifier = IdTokenVerifier::new(base.as_str(), jwks)
            .algorithms([Algorithm::Rs256, Algorithm::Ps256]);
        Ok(Auth0 { base, verifier })
    }

    /// The issuer ID tokens must name: `https://{domain}/`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }

    /// The ID-token verifier, with the tenant's key set cache: to warm the cache at
    /// start-up (`verifier().jwks().load(…)`).
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.verifier
    }
}

/// `domain` as `https://host[:port]/`.
fn base_url(domain: &str) -> Result<Url, Error> {
    portcullis::domain_base_url(domain, "Auth0 domain")
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(path);
    url
}

impl Provider for Auth0 {
    type User = Auth0User;

    /// The URLs depend on the tenant: `{domain}` is the one given to [`Auth0::new`].
    const INFO: ProviderInfo = ProviderInfo {
        id: "auth0",
        name: "Auth0",
        authorization_url: "https://{domain}/authorize",
        token_url: "https://{domain}/oauth/token",
        revocation_url: Some("https://{domain}/oauth/revoke"),
        userinfo_url: None,
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the verified ID token's `email_verified` claim (scope `email`): Auth0's verification email for database connections, the upstream identity provider's word for social and enterprise connections",
        docs_url: "https://auth0.com/docs/api/authentication",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: join(&self.base, "authorize"),
            token: join(&self.base, "oauth/token"),
            revocation: Some(join(&self.base, "oauth/revoke")),
            userinfo: None,
            issuer: None,
            issuer_required: false,
        }
    }

    /// Verifies the ID token and reads the user from its claims.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<Auth0User, Error> {
        let token = self.verifier.verify_user_request(&request).await?;
        let mut user: Auth0User = token.deserialize()?;
        claims::remove_token_claims(&mut user.claims);
        Ok(user)
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Auth0 {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier.verify_refreshed(&refreshed).await.map(drop)
    }
}

/// `/oauth/revoke`: refresh tokens only.
impl Revoke for Auth0 {}

/// An Auth0 user: the claims of the verified ID token. Which are present depends on the
/// scopes (`profile`: the names, `nickname`, `picture`, `updated_at`; `email`: `email`,
/// `email_verified`) and on the connection the user signed in with.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Auth0User {
    /// The user's id in the tenant, `{connection strategy}|{id at the identity provider}`
    /// (`auth0|64b1f0c2e1`, `google-oauth2|110169484474386276334`), or with the
    /// connection name in the middle for enterprise connections (`samlp|acme|jdoe`).
    /// Unique within the tenant and stable: the provider user id, whole.
    pub sub: String,
    /// The full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// The nickname: by default the local part of the email, or the username of a
    /// database connection with usernames.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The username, when the connection has one and a rule or Action adds it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The profile page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The picture URL (Gravatar by default).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The web page or blog URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The email address, as of the sign-in. Not unique across connections: never key
    /// on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Auth0 (or the upstream identity provider) verified `email`. A boolean or
    /// the strings `"true"`/`"false"`; anything else fails the sign-in.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// The birthday, `YYYY-MM-DD` or `YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// The time zone, e.g. `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// The locale, e.g. `en`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the phone number is verified; a boolean or `"true"`/`"false"`.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// When the profile last changed. Auth0 sends an ISO 8601 date string
    /// (`2024-05-02T09:13:48.321Z`) where the standard has seconds; a number is kept as
    /// its decimal string.
    #[serde(
        default,
        deserialize_with = "claims::string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
    /// The organization (`org_…`) the user signed in to, when the application uses
    /// Auth0 Organizations. An app that sends `organization` must check this claim
    /// itself.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_id: Option<String>,
    /// The organization's name (lowercase), when the tenant adds it to ID tokens.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org_name: Option<String>,
    /// Every other claim about the user: custom claims from Actions
    /// (`https://example.com/roles`), `auth_time`, `amr`, … The token's own claims
    /// (`iss`, `aud`, `exp`, `nonce`, …) are left out.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl Auth0User {
    /// The strategy of the connection that created the user: the part of `sub` before
    /// the first `|` (`auth0`, `google-oauth2`, `samlp`, …).
    pub fn connection_strategy(&self) -> Option<&str> {
        self.sub.split_once('|').map(|(strategy, _)| strategy)
    }

    /// What Lucia's Auth0 provider stored as provider user id, `sub.split("|")[1]`: for
    /// migrating Lucia keys only (see the crate documentation), never as an id. `None`
    /// when `sub` has no `|` (Lucia stored `undefined`).
    ///
    /// It is ambiguous: `google-oauth2|123` and `github|123` both give `123`, and
    /// every user of the enterprise connection `samlp|acme|…` gives `acme`.
    pub fn lucia_provider_user_id(&self) -> Option<&str> {
        self.sub.split('|').nth(1)
    }

    /// The email, only if Auth0 says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

impl ProviderUser for Auth0User {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let name = claims::full_name(
            self.name.as_deref(),
            self.given_name.as_deref(),
            self.family_name.as_deref(),
        );
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_username(self.preferred_username.clone())
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn domains_become_https_base_urls() {
        // The rules (and all their cases) are `portcullis::domain_base_url`'s: here,
        // that an Auth0 domain follows them and is named so in errors.
        for (domain, base) in [
            (
                "dev-abc123.us.auth0.com",
                "https://dev-abc123.us.auth0.com/",
            ),
            ("https://login.example.com/", "https://login.example.com/"),
            ("http://localhost:3001", "http://localhost:3001/"),
        ] {
            assert_eq!(base_url(domain).unwrap().as_str(), base, "{domain}");
        }
        for domain in [
            "http://dev-abc123.us.auth0.com",
            "dev-abc123.us.auth0.com/authorize",
        ] {
            let err = base_url(domain).unwrap_err();
            assert!(
                matches!(&err, Error::Config(message) if message.starts_with(&format!("invalid Auth0 domain `{domain}`: "))),
                "{domain} is no Auth0 domain: {err:?}"
            );
        }
    }
}
