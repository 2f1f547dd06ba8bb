//! Sign in with [Keycloak](https://www.keycloak.org) for [Portcullis](portcullis): one
//! realm of a Keycloak server, with the ID token verified and the user's roles read.
//!
//! ```no_run
//! use portcullis::{CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_keycloak::Keycloak;
//!
//! # async fn run(query: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let keycloak = OAuthClient::new(
//!     // The realm `acme` of the server at https://id.example.com.
//!     Keycloak::new("https://id.example.com", "acme")?,
//!     ClientConfig::new("portal", "client-secret")
//!         .redirect_uri("https://app.example/login/keycloak/callback".parse()?)
//!         .scope("email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//!
//! // GET /login/keycloak: redirect to `auth.url`, keep `auth.pending` (encrypted cookie).
//! let auth = keycloak.authorization_url();
//!
//! // GET /login/keycloak/callback?state=…&session_state=…&iss=…&code=…
//! let session = keycloak.validate_callback(&CallbackParams::from_query(query)?, &auth.pending).await?;
//! let is_admin = session.provider_user.roles().iter().any(|r| r.role == "admin");
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * One realm: [`Keycloak::new`] takes the server URL and the realm name (Lucia's
//!   `domain` and `realm`), [`Keycloak::from_realm_url`] the realm URL
//!   `{server}/realms/{realm}`, which is the realm's issuer. A path in the server URL is
//!   kept — `https://id.example.com/auth` for the `/auth` context of Keycloak 16 and
//!   older — where Lucia dropped it. `http` is accepted for a local server.
//! * The endpoints are those the realm's discovery document lists, under
//!   `{realm URL}/protocol/openid-connect/`: `auth`, `token`, `userinfo`, `revoke`, and
//!   the key set `certs`. They are built from the realm URL, without a request at
//!   start-up.
//! * The ID token is verified: RS256 by default (the realm's default signature
//!   algorithm; set others with [`Keycloak::algorithms`]) with the realm's keys, the
//!   issuer (the realm URL, exactly), `aud` and `azp`, `exp` and `iat`, the sign-in's
//!   `nonce`, `at_hash`. Lucia verified nothing.
//! * The callback's `iss` (RFC 9207) must be the realm URL: Keycloak adds it to every
//!   authorization response and says so in its discovery document. For a client with
//!   "Exclude Issuer From Authentication Response" on, or an old Keycloak without RFC
//!   9207, turn [`Keycloak::require_callback_iss`] off (an `iss` that is present is
//!   still checked).
//! * The user ([`KeycloakUser`]) is the verified ID token's claims merged with the
//!   userinfo response (userinfo wins; its `sub` must be the token's), which must be JSON:
//!   leave the client's "User info signed response algorithm" unset. The provider user id
//!   is `sub`, as in Lucia, so keys carry over.
//! * Roles: Lucia decoded the access token, unverified, for `keycloakRoles`. Here roles
//!   come only from verified claims: `realm_access.roles` and
//!   `resource_access.{client}.roles` of the ID token or the userinfo response, read by
//!   [`KeycloakUser::roles`] in Lucia's shape. Keycloak puts them in the access token
//!   only by default: turn on "Add to ID token" (or "Add to userinfo") on the `realm
//!   roles` and `client roles` mappers of the realm's `roles` client scope, or the list
//!   is empty.
//! * `email_verified` is Keycloak's `email_verified` claim, true only when Keycloak says
//!   `true` (a boolean, or the string `"true"`).
//! * Scopes `openid profile` (Lucia's) plus the app's; Keycloak adds the client's default
//!   client scopes (`email`, `roles`, … unless changed) whatever is asked.
//! * PKCE (S256) and HTTP Basic client authentication (`client_secret_basic`), as Lucia;
//!   a public client ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends
//!   its `client_id` instead. A redirect URI is required (Lucia made it optional;
//!   OpenID Connect requires it).
//! * Refresh ([`Refresh`]); Keycloak returns a new refresh token each time (keep the
//!   newest), and a new ID token, verified as a sign-in's without the `nonce`.
//!   Revocation ([`Revoke`]) of a refresh or access token at the realm's `revoke`
//!   endpoint (RFC 7009).

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The Keycloak provider: one realm.
///
/// Holds the realm's key set ([`Jwks`]), fetched on the first sign-in and shared by every
/// clone.
#[derive(Clone)]
pub struct Keycloak {
    realm_url: Url,
    jwks: Jwks,
    algorithms: Vec<Algorithm>,
    require_callback_iss: bool,
    leeway: Duration,
    clock: Clock,
}

impl Keycloak {
    /// The realm `realm` of the Keycloak server at `server_url`
    /// (`https://id.example.com`, or `https://id.example.com/auth` for the `/auth`
    /// context path of Keycloak 16 and older): the realm URL
    /// `{server_url}/realms/{realm}`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `server_url` is not an `http(s)` URL without query and
    /// fragment, or `realm` is empty.
    pub fn new(server_url: &str, realm: &str) -> Result<Keycloak, Error> {
        let mut url = base_url(server_url)?;
        if realm.is_empty() {
            return Err(Error::Config("the Keycloak realm name is empty".to_owned()));
        }
        url.path_segments_mut()
            .map_err(|()| Error::Config(format!("invalid Keycloak server URL `{server_url}`")))?
            .pop_if_empty()
            .push("realms")
            .push(realm);
        Ok(Self::with_realm_url(url))
    }

    /// The realm at `realm_url` (`https://id.example.com/realms/acme`): its issuer, as
    /// the realm's discovery document names it. A trailing `/` is removed.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `realm_url` is not an `http(s)` URL without query and
    /// fragment.
    pub fn from_realm_url(realm_url: &str) -> Result<Keycloak, Error> {
        let mut url = base_url(realm_url)?;
        if let Ok(mut segments) = url.path_segments_mut() {
            segments.pop_if_empty();
        }
        Ok(Self::with_realm_url(url))
    }

    fn with_realm_url(realm_url: Url) -> Keycloak {
        let jwks = Jwks::new(endpoint(&realm_url, &["certs"]));
        Keycloak {
            realm_url,
            jwks,
            algorithms: vec![Algorithm::Rs256],
            require_callback_iss: true,
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        }
    }

    /// The algorithms ID tokens may be signed with: the realm's (or the client's) "ID
    /// token signature algorithm". Default: `RS256`, Keycloak's default. HMAC is not
    /// accepted.
    #[must_use]
    pub fn algorithms(mut self, algorithms: impl IntoIterator<Item = Algorithm>) -> Self {
        self.algorithms = algorithms
            .into_iter()
            .filter(|a| !a.is_symmetric())
            .collect();
        self
    }

    /// Whether a callback without `iss` is refused. Default: true, as Keycloak sends it
    /// (RFC 9207). Turn it off for a client with "Exclude Issuer From Authentication
    /// Response" on or a Keycloak without RFC 9207; an `iss` that is present is checked
    /// either way.
    #[must_use]
    pub fn require_callback_iss(mut self, required: bool) -> Self {
        self.require_callback_iss = required;
        self
    }

    /// Uses this key set cache: one shared with another client of the same realm, or one
    /// at another URL. Default: `{realm URL}/protocol/openid-connect/certs`.
    #[must_use]
    pub fn jwks(mut self, jwks: Jwks) -> Self {
        self.jwks = jwks;
        self
    }

    /// The clock skew allowed on the ID token's `exp` and `iat`. Default: 60 seconds.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock the ID token's times are checked against. Default: the system clock.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.clock = clock;
        self
    }

    /// The realm URL, which is the realm's issuer identifier.
    pub fn realm_url(&self) -> &str {
        self.realm_url.as_str()
    }

    /// The key set cache.
    pub fn key_set(&self) -> &Jwks {
        &self.jwks
    }

    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(self.realm_url.as_str(), self.jwks.clone())
            .algorithms(self.algorithms.iter().copied())
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }
}

impl fmt::Debug for Keycloak {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Keycloak")
            .field("realm_url", &self.realm_url.as_str())
            .field("jwks", &self.jwks)
            .field("algorithms", &self.algorithms)
            .field("require_callback_iss", &self.require_callback_iss)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// `url` parsed as a server or realm URL: `http(s)`, no query, no fragment.
fn base_url(url: &str) -> Result<Url, Error> {
    let invalid = |why: &str| Error::Config(format!("invalid Keycloak URL `{url}`: {why}"));
    let parsed = Url::parse(url).map_err(|e| invalid(&e.to_string()))?;
    if !matches!(parsed.scheme(), "https" | "http") {
        return Err(invalid("not an http(s) URL"));
    }
    if parsed.query().is_some() || parsed.fragment().is_some() {
        return Err(invalid("a Keycloak URL has no query or fragment"));
    }
    Ok(parsed)
}

/// `{realm URL}/protocol/openid-connect/{path…}`.
fn endpoint(realm_url: &Url, path: &[&str]) -> Url {
    let mut url = realm_url.clone();
    url.path_segments_mut()
        .expect("an http(s) URL has a path")
        .extend(["protocol", "openid-connect"])
        .extend(path);
    url
}

impl Provider for Keycloak {
    type User = KeycloakUser;

    /// The endpoints come from the realm URL; these are their shapes on a placeholder
    /// host that never resolves (`.invalid`).
    const INFO: ProviderInfo = ProviderInfo {
        id: "keycloak",
        name: "Keycloak",
        authorization_url: "https://keycloak.invalid/realms/{realm}/protocol/openid-connect/auth",
        token_url: "https://keycloak.invalid/realms/{realm}/protocol/openid-connect/token",
        revocation_url: Some(
            "https://keycloak.invalid/realms/{realm}/protocol/openid-connect/revoke",
        ),
        userinfo_url: Some(
            "https://keycloak.invalid/realms/{realm}/protocol/openid-connect/userinfo",
        ),
        issuer: Some("https://keycloak.invalid/realms/{realm}"),
        default_scopes: &["openid", "profile"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim (ID token merged with userinfo), true only when Keycloak says true",
        docs_url: "https://www.keycloak.org/securing-apps/oidc-layers",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: endpoint(&self.realm_url, &["auth"]),
            token: endpoint(&self.realm_url, &["token"]),
            revocation: Some(endpoint(&self.realm_url, &["revoke"])),
            userinfo: Some(endpoint(&self.realm_url, &["userinfo"])),
            issuer: Some(self.realm_url.as_str().to_owned()),
            issuer_required: self.require_callback_iss,
        }
    }

    /// Verifies the ID token, fetches userinfo and merges it in.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<KeycloakUser, Error> {
        self.verifier()
            .verify_user_request_with_userinfo(&request)
            .await
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Keycloak {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

impl Revoke for Keycloak {}

/// A Keycloak user: the claims of the verified ID token merged with the
/// [userinfo response](https://www.keycloak.org/securing-apps/oidc-layers) (the
/// standard claims the realm's `profile` and `email` client scopes map, and any claim
/// of the realm's own mappers).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeycloakUser {
    /// The user's ID in the realm (a UUID, or the federation link's ID): stable, never
    /// reused. The provider user id.
    pub sub: String,
    /// The username in the realm (`preferred_username`). Users may be allowed to change
    /// it: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The full name: first and last name joined by Keycloak.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The first name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The last name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The email address (the `email` client scope). Not unique unless the realm says
    /// so; mutable: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Keycloak verified `email`: a boolean, or `"true"`/`"false"`.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The picture URL: the user attribute `picture`, when the realm maps it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The user's locale (`locale` attribute, when internationalization is on).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The realm roles (`realm_access`), when the `realm roles` mapper adds them to the ID
    /// token or userinfo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub realm_access: Option<KeycloakAccess>,
    /// The client roles by client id (`resource_access`), when the `client roles` mapper
    /// adds them to the ID token or userinfo.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub resource_access: BTreeMap<String, KeycloakAccess>,
    /// Every other claim: `iss`, `aud`, `exp`, `auth_time`, `acr`, `sid`, `groups` (with
    /// a group membership mapper), custom mappers' claims.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

/// The roles of a `realm_access` or `resource_access` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeycloakAccess {
    /// The role names.
    #[serde(default)]
    pub roles: Vec<String>,
}

/// Whether a [`KeycloakRole`] is a realm role or a client role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum KeycloakRoleType {
    /// A realm role (`realm_access`).
    Realm,
    /// A client ("resource") role (`resource_access`).
    Resource,
}

/// One role of the user, in the shape of Lucia's `keycloakRoles`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct KeycloakRole {
    /// Realm or client role.
    pub role_type: KeycloakRoleType,
    /// The client the role belongs to; `None` for realm roles.
    pub client: Option<String>,
    /// The role name.
    pub role: String,
}

impl KeycloakUser {
    /// The user's realm roles, then client roles by client id, from the verified claims.
    /// Empty unless the realm's role mappers add roles to the ID token or userinfo.
    pub fn roles(&self) -> Vec<KeycloakRole> {
        let realm = self.realm_access.iter().flat_map(|access| {
            access.roles.iter().map(|role| KeycloakRole {
                role_type: KeycloakRoleType::Realm,
                client: None,
                role: role.clone(),
            })
        });
        let resource = self.resource_access.iter().flat_map(|(client, access)| {
            access.roles.iter().map(move |role| KeycloakRole {
                role_type: KeycloakRoleType::Resource,
                client: Some(client.clone()),
                role: role.clone(),
            })
        });
        realm.chain(resource).collect()
    }

    /// Whether the user has the realm role `role`.
    pub fn has_realm_role(&self, role: &str) -> bool {
        self.realm_access
            .as_ref()
            .is_some_and(|access| access.roles.iter().any(|r| r == role))
    }

    /// Whether the user has the role `role` of client `client`.
    pub fn has_client_role(&self, client: &str, role: &str) -> bool {
        self.resource_access
            .get(client)
            .is_some_and(|access| access.roles.iter().any(|r| r == role))
    }
}

impl ProviderUser for KeycloakUser {
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
