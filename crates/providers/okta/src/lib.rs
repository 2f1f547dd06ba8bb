//! Sign in with Okta for [Portcullis](portcullis): an Okta org's authorization server
//! or one of its custom authorization servers, with the ID token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_okta::{AuthorizationServer, Okta};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let okta = OAuthClient::new(
//!     // The org authorization server; `AuthorizationServer::Default` for the custom one
//!     // named "default" (API Access Management).
//!     Okta::new("dev-12345678.okta.com", AuthorizationServer::Org)?,
//!     ClientConfig::new("0oa1b2c3d4e5f6g7h8i9", "client-secret")
//!         .redirect_uri("https://app.example/login/okta/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = okta.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Lucia has no Okta provider; the id is `okta`. One Okta org per provider value: name
//!   a second org with [`OAuthClient::with_id`](portcullis::OAuthClient::with_id) so its
//!   users' keys never mix with the first's.
//! * [`Okta::new`] takes the org's domain (`dev-12345678.okta.com`, `acme.okta.com`, a
//!   custom domain) and the [`AuthorizationServer`]:
//!   * the **org authorization server** ([`AuthorizationServer::Org`]): endpoints under
//!     `https://{domain}/oauth2/v1/`, issuer `https://{domain}`;
//!   * a **custom authorization server** ([`AuthorizationServer::Default`] or
//!     [`AuthorizationServer::Custom`] with its id): endpoints under
//!     `https://{domain}/oauth2/{id}/v1/`, issuer `https://{domain}/oauth2/{id}`.
//!
//!   Each has its own keys and issuer (Okta: "you can't mix tokens between different
//!   authorization servers"), so a token from the other one fails with
//!   [`IdTokenError::Issuer`](portcullis::IdTokenError::Issuer).
//! * Scopes `openid profile email` always; add `offline_access` for a refresh token
//!   (and allow the Refresh Token grant on the app), `groups` for the groups claim.
//! * PKCE (S256; Okta's discovery documents list only `S256`) and a `nonce`. The client
//!   authenticates with HTTP Basic (`client_secret_basic`, Okta's default for web apps);
//!   a public client ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends
//!   only its `client_id` and the PKCE verifier.
//! * The ID token is verified: RS256 (the only algorithm Okta lists) with the
//!   authorization server's keys (`…/v1/keys`), `iss`, `aud`, `exp`, `iat`, `nonce`,
//!   `at_hash`.
//! * Then `…/v1/userinfo` is fetched with the access token and merged in (its `sub` must
//!   be the token's, else
//!   [`IdTokenError::SubjectMismatch`](portcullis::IdTokenError::SubjectMismatch)): an
//!   ID token issued beside an access token may carry fewer profile claims than the
//!   scopes grant; userinfo has them all.
//! * The provider user id is `sub`, the Okta user id (`00u…`), the same for the org
//!   and custom authorization servers of one org. `email_verified` is Okta's claim,
//!   true only when Okta says `true`.
//! * No `iss` check on the callback: Okta's discovery documents do not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * Refresh ([`Refresh`]) with a refresh token from `offline_access`; the refresh
//!   request sends no `scope`, which keeps the originally granted ones (RFC 6749 §6). An
//!   ID token in a refresh response is verified as a sign-in's, without the `nonce`.
//! * Revocation ([`Revoke`]) at `…/v1/revoke` (RFC 7009, access and refresh tokens).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Which of the org's authorization servers signs users in.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum AuthorizationServer {
    /// The org authorization server, which every Okta org has: issuer
    /// `https://{domain}`, endpoints `https://{domain}/oauth2/v1/…`. Enough for signing
    /// users in.
    Org,
    /// The custom authorization server named `default`, which orgs with API Access
    /// Management (and developer orgs) have: issuer `https://{domain}/oauth2/default`.
    Default,
    /// A custom authorization server by id (`aus8aus76q8iphupD0h7`): issuer
    /// `https://{domain}/oauth2/{id}`.
    Custom(String),
}

impl AuthorizationServer {
    /// The path prefix of its endpoints and issuer: empty for the org server,
    /// `oauth2/{id}` for a custom one.
    fn path(&self) -> Option<&str> {
        match self {
            AuthorizationServer::Org => None,
            AuthorizationServer::Default => Some("default"),
            AuthorizationServer::Custom(id) => Some(id),
        }
    }
}

/// The Okta provider for one org and authorization server, with the verifier of its ID
/// tokens and its key set cache (shared by clones).
#[derive(Debug, Clone)]
pub struct Okta {
    /// `https://{domain}/oauth2/v1/` or `https://{domain}/oauth2/{id}/v1/`.
    endpoint_base: Url,
    server: AuthorizationServer,
    verifier: IdTokenVerifier,
}

impl Okta {
    /// The org at `domain` (`dev-12345678.okta.com`, `acme.okta.com`, or the org's
    /// custom domain; `https://` optional) and its authorization server `server`.
    ///
    /// `http://` is accepted for `localhost` and loopback addresses only (a local test
    /// server).
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `domain` is not a host name (a path, a query, another
    /// scheme), or a custom authorization server id is empty or has characters other
    /// than letters, digits, `-` and `_`.
    pub fn new(domain: &str, server: AuthorizationServer) -> Result<Okta, Error> {
        let base = base_url(domain)?;
        let (issuer, endpoint_base) = match server.path() {
            None => (
                base.as_str().trim_end_matches('/').to_owned(),
                join(&base, "oauth2/v1/"),
            ),
            Some(id) => {
                if id.is_empty()
                    || !id
                        .chars()
                        .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
                {
                    return Err(Error::Config(format!(
                        "invalid Okta authorization server id `{id}`"
                    )));
                }
                (
                    format!("{}oauth2/{id}", base.as_str()),
                    join(&base, &format!("oauth2/{id}/v1/")),
                )
            }
        };
        let jwks = Jwks::new(join(&endpoint_base, "keys"));
        let verifier = IdTokenVerifier::new(issuer, jwks).algorithms([Algorithm::Rs256]);
        Ok(Okta {
            endpoint_base,
            server,
            verifier,
        })
    }

    /// The authorization server in use.
    pub fn authorization_server(&self) -> &AuthorizationServer {
        &self.server
    }

    /// The issuer ID tokens must name: `https://{domain}` or
    /// `https://{domain}/oauth2/{id}`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }

    /// The ID-token verifier, with the authorization server's key set cache: to warm the
    /// cache at start-up (`verifier().jwks().load(…)`).
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.verifier
    }
}

/// `domain` as `https://host[:port]/`.
fn base_url(domain: &str) -> Result<Url, Error> {
    portcullis::domain_base_url(domain, "Okta domain")
}

/// `base` joined with a relative `path` (`base` ends with `/`).
fn join(base: &Url, path: &str) -> Url {
    base.join(path)
        .unwrap_or_else(|e| unreachable!("`{path}` is a valid relative path: {e}"))
}

impl Provider for Okta {
    type User = OktaUser;

    /// The URLs depend on the org and authorization server: `{domain}` is the org's,
    /// `/{server}` is absent for the org authorization server.
    const INFO: ProviderInfo = ProviderInfo {
        id: "okta",
        name: "Okta",
        authorization_url: "https://{domain}/oauth2/{server}/v1/authorize",
        token_url: "https://{domain}/oauth2/{server}/v1/token",
        revocation_url: Some("https://{domain}/oauth2/{server}/v1/revoke"),
        userinfo_url: Some("https://{domain}/oauth2/{server}/v1/userinfo"),
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim (verified ID token merged with userinfo; scope `email`), true only when Okta says true",
        docs_url: "https://developer.okta.com/docs/concepts/auth-servers/",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: join(&self.endpoint_base, "authorize"),
            token: join(&self.endpoint_base, "token"),
            revocation: Some(join(&self.endpoint_base, "revoke")),
            userinfo: Some(join(&self.endpoint_base, "userinfo")),
            issuer: None,
            issuer_required: false,
        }
    }

    /// Verifies the ID token, fetches userinfo and merges it in.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<OktaUser, Error> {
        let mut user: OktaUser = self
            .verifier
            .verify_user_request_with_userinfo(&request)
            .await?;
        claims::remove_token_claims(&mut user.claims);
        // Okta's version of its token format.
        user.claims.remove("ver");
        Ok(user)
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Okta {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier.verify_refreshed(&refreshed).await.map(drop)
    }
}

/// `…/v1/revoke`, RFC 7009: access and refresh tokens.
impl Revoke for Okta {}

/// An Okta user: the verified ID token's claims merged with the userinfo response. Which
/// are present depends on the scopes (`profile`, `email`, `phone`, `address`, `groups`)
/// and on the user's Okta profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OktaUser {
    /// The Okta user id (`00uid4BxXw6I6TV4m0g3`): stable, unique in the org. The
    /// provider user id.
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
    /// The nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The Okta username (`login`), often an email address. Administrators can change
    /// it: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The profile page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The web page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The primary email address.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Okta verified `email`: a boolean or `"true"`/`"false"`; anything else
    /// fails the sign-in.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// The birthday, `YYYY-MM-DD`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// The time zone, e.g. `America/Los_Angeles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// The locale, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The phone number (scope `phone`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// When the profile last changed, in seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated_at: Option<u64>,
    /// The groups the user belongs to, when the `groups` scope and a groups claim are
    /// configured.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<String>>,
    /// Every other claim about the user: `address`, `idp` (the identity provider that
    /// authenticated the user), `amr`, `auth_time`, custom claims. The token's own claims
    /// (`iss`, `aud`, `exp`, `nonce`, `ver`, …) are left out.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl OktaUser {
    /// The email, only if Okta says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

impl ProviderUser for OktaUser {
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
        for (domain, base) in [
            ("dev-12345678.okta.com", "https://dev-12345678.okta.com/"),
            ("https://login.example.com/", "https://login.example.com/"),
            ("http://127.0.0.1:8080", "http://127.0.0.1:8080/"),
        ] {
            assert_eq!(base_url(domain).unwrap().as_str(), base, "{domain}");
        }
        for domain in [
            "",
            "http://dev-12345678.okta.com",
            "https://dev-12345678.okta.com/oauth2/default",
            "https://dev-12345678.okta.com?x=1",
        ] {
            assert!(
                matches!(base_url(domain), Err(Error::Config(_))),
                "{domain}"
            );
        }
    }

    #[test]
    fn authorization_server_ids_are_path_segments() {
        for id in ["", "a/b", "../keys", "aus 1", "aus?x"] {
            assert!(
                matches!(
                    Okta::new(
                        "dev-12345678.okta.com",
                        AuthorizationServer::Custom(id.to_owned())
                    ),
                    Err(Error::Config(_))
                ),
                "{id:?}"
            );
        }
    }
}
