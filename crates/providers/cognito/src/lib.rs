//! Sign in with an [Amazon Cognito](https://aws.amazon.com/cognito/) user pool for
//! [Portcullis](portcullis), with the ID token verified.
//!
//! ```no_run
//! use portcullis::{CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_cognito::{Cognito, CognitoDomain};
//!
//! # async fn run(query: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let cognito = OAuthClient::new(
//!     // The user pool, and its domain: https://acme.auth.eu-west-1.amazoncognito.com
//!     Cognito::new("eu-west-1_AbCdEf123", CognitoDomain::Prefix("acme".to_owned()))?,
//!     ClientConfig::new("1example23456789", "client-secret")
//!         .redirect_uri("https://app.example/login/cognito/callback".parse()?)
//!         .scopes(["email", "profile"]),
//!     MemoryAdapter::<String>::new(),
//! )?;
//!
//! // GET /login/cognito: redirect to `auth.url`, keep `auth.pending` (encrypted cookie).
//! let auth = cognito.authorization_url();
//!
//! // GET /login/cognito/callback?code=…&state=…
//! let session = cognito.validate_callback(&CallbackParams::from_query(query)?, &auth.pending).await?;
//! let groups = &session.provider_user.groups;
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * A user pool and its domain: [`Cognito::new`] takes the user pool ID
//!   (`{region}_{id}`) and the [`CognitoDomain`] — a Cognito prefix domain
//!   `https://{prefix}.auth.{region}.amazoncognito.com` or a custom domain. The
//!   authorization, token and revocation endpoints are the domain's `/oauth2/authorize`,
//!   `/oauth2/token` and `/oauth2/revoke`. Lucia took the domain as an absolute URL only.
//! * The ID token is verified (Lucia decoded it without checking anything): RS256 with a
//!   key of the user pool's key set
//!   `https://cognito-idp.{region}.amazonaws.com/{userPoolId}/.well-known/jwks.json`, the
//!   issuer `https://cognito-idp.{region}.amazonaws.com/{userPoolId}` exactly (a custom
//!   domain does not change it), `aud` (the app client ID), `exp` and `iat`, the
//!   sign-in's `nonce`, `at_hash` when present, and `token_use` = `id` as AWS asks.
//! * The user ([`CognitoUser`]) is the verified ID token's claims: the user pool
//!   attributes the app client may read, `cognito:username`, `cognito:groups`. No
//!   userInfo request is made, as in Lucia.
//! * The provider user id is `sub`, the user's immutable UUID in the pool. **Lucia used
//!   `cognito:username`**, which can be changed into an alias and, once a user is
//!   deleted, given to someone else; so keys stored by Lucia (`cognito:<username>`) do
//!   not match. To migrate, either rewrite the keys once from the pool's user list
//!   (`aws cognito-idp list-users` gives each `Username` with its `sub`), or, at sign-in,
//!   find the user by [`CognitoUser::legacy_key`] when `existing_user` is `None` and link
//!   the new key with
//!   [`ProviderSession::link_to`](portcullis::ProviderSession::link_to) — only while no
//!   username of the pool has been reused since Lucia stored it.
//! * `email_verified` is the token's `email_verified` claim, true only when Cognito says
//!   `true`; the boolean of ID tokens and the string `"true"` of Cognito's userInfo are
//!   both accepted.
//! * Scope `openid` (Lucia's) plus the app's, which must be allowed in the app client.
//! * PKCE (S256), and HTTP Basic client authentication (`client_secret_basic`), which
//!   Cognito's revocation endpoint requires of clients with a secret (Lucia put the
//!   secret in the body); a public app client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) sends its `client_id`.
//! * Refresh ([`Refresh`]): Cognito answers without a new refresh token unless refresh
//!   token rotation is on, and the one passed in is kept. The new ID token is verified as
//!   a sign-in's, `token_use` included, without the `nonce`. Revocation ([`Revoke`]) of a
//!   refresh token (with every access token issued from it) at `/oauth2/revoke`; the app
//!   client must have token revocation on (the default for new clients). Cognito
//!   revokes refresh tokens only.
//! * No `iss` parameter is checked on the callback: Cognito does not send one.

#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use portcullis::{
    ClientAuth, Endpoints, Error, IdTokenError, Key, Pkce, Profile, Provider, ProviderInfo,
    ProviderUser, Refresh, Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks, VerifiedIdToken, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where the user pool's hosted sign-in (managed login) and OAuth endpoints are.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CognitoDomain {
    /// A Cognito domain prefix: `https://{prefix}.auth.{region}.amazoncognito.com`, in
    /// the user pool's region. Lowercase letters, digits and hyphens.
    Prefix(String),
    /// A custom domain, such as `https://auth.example.com`.
    Custom(Url),
}

/// The Amazon Cognito provider: one user pool, through one of its domains.
///
/// Holds the user pool's key set ([`Jwks`]), fetched on the first sign-in and shared by
/// every clone.
#[derive(Clone)]
pub struct Cognito {
    user_pool_id: String,
    domain: Url,
    issuer: String,
    jwks: Jwks,
    leeway: Duration,
    clock: Clock,
}

impl Cognito {
    /// The user pool `user_pool_id` (`us-east-1_AbCdEf123`, its region before the `_`)
    /// through `domain`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `user_pool_id` is not `{region}_{id}`, a domain prefix has
    /// other characters than lowercase letters, digits and hyphens, or a custom domain is
    /// not an `http(s)` URL without query and fragment.
    pub fn new(user_pool_id: &str, domain: CognitoDomain) -> Result<Cognito, Error> {
        let invalid_pool = || {
            Error::Config(format!(
                "invalid Cognito user pool ID `{user_pool_id}`: expected `{{region}}_{{id}}`, \
                 such as `us-east-1_AbCdEf123`"
            ))
        };
        let (region, id) = user_pool_id.split_once('_').ok_or_else(invalid_pool)?;
        let region_ok = !region.is_empty()
            && region
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
        let id_ok = !id.is_empty() && id.bytes().all(|b| b.is_ascii_alphanumeric());
        if !region_ok || !id_ok {
            return Err(invalid_pool());
        }

        let domain = match domain {
            CognitoDomain::Prefix(prefix) => {
                let prefix_ok = !prefix.is_empty()
                    && prefix
                        .bytes()
                        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-');
                if !prefix_ok {
                    return Err(Error::Config(format!(
                        "invalid Cognito domain prefix `{prefix}`: lowercase letters, digits \
                         and hyphens only"
                    )));
                }
                Url::parse(&format!("https://{prefix}.auth.{region}.amazoncognito.com"))
                    .map_err(|e| Error::Config(format!("invalid Cognito domain: {e}")))?
            }
            CognitoDomain::Custom(url) => {
                if !matches!(url.scheme(), "https" | "http")
                    || url.query().is_some()
                    || url.fragment().is_some()
                {
                    return Err(Error::Config(format!(
                        "invalid Cognito custom domain `{url}`: an http(s) URL without query \
                         or fragment"
                    )));
                }
                url
            }
        };

        let issuer = format!("https://cognito-idp.{region}.amazonaws.com/{user_pool_id}");
        let jwks = Jwks::new(
            Url::parse(&format!("{issuer}/.well-known/jwks.json"))
                .map_err(|e| Error::Config(format!("invalid key set URL: {e}")))?,
        );
        Ok(Cognito {
            user_pool_id: user_pool_id.to_owned(),
            domain,
            issuer,
            jwks,
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        })
    }

    /// Uses this key set cache: one shared with another client of the same user pool, or
    /// one at another URL. Default: the user pool's
    /// `https://cognito-idp.{region}.amazonaws.com/{userPoolId}/.well-known/jwks.json`.
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

    /// The user pool ID.
    pub fn user_pool_id(&self) -> &str {
        &self.user_pool_id
    }

    /// The user pool's issuer: `https://cognito-idp.{region}.amazonaws.com/{userPoolId}`.
    pub fn issuer(&self) -> &str {
        &self.issuer
    }

    /// The key set cache.
    pub fn key_set(&self) -> &Jwks {
        &self.jwks
    }

    /// The verifier of the user pool's ID tokens, sharing this provider's key set cache.
    fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(self.issuer.as_str(), self.jwks.clone())
            .algorithms([Algorithm::Rs256])
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }

    fn endpoint(&self, path: &str) -> Url {
        let mut url = self.domain.clone();
        url.path_segments_mut()
            .expect("an http(s) URL has a path")
            .pop_if_empty()
            .extend(["oauth2", path]);
        url
    }
}

impl fmt::Debug for Cognito {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Cognito")
            .field("user_pool_id", &self.user_pool_id)
            .field("domain", &self.domain.as_str())
            .field("jwks", &self.jwks)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

impl Provider for Cognito {
    type User = CognitoUser;

    /// The endpoints come from the domain; these are the shapes of a prefix domain's.
    const INFO: ProviderInfo = ProviderInfo {
        id: "cognito",
        name: "Amazon Cognito",
        authorization_url: "https://{prefix}.auth.{region}.amazoncognito.com/oauth2/authorize",
        token_url: "https://{prefix}.auth.{region}.amazoncognito.com/oauth2/token",
        revocation_url: Some("https://{prefix}.auth.{region}.amazoncognito.com/oauth2/revoke"),
        userinfo_url: None,
        issuer: None,
        default_scopes: &["openid"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::Basic,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the `email_verified` claim of the verified ID token (a boolean or \"true\"/\"false\"), true only when Cognito says true",
        docs_url: "https://docs.aws.amazon.com/cognito/latest/developerguide/authorization-endpoint.html",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: self.endpoint("authorize"),
            token: self.endpoint("token"),
            revocation: Some(self.endpoint("revoke")),
            userinfo: None,
            issuer: None,
            issuer_required: false,
        }
    }

    /// Verifies the ID token and reads the user from it.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<CognitoUser, Error> {
        let verified = self.verifier().verify_user_request(&request).await?;
        check_token_use(&verified)?;
        verified.deserialize()
    }
}

/// A verified token of the pool must also say it is an ID token: an access token of the
/// pool has no `aud` and fails verification, but AWS asks to check `token_use` all the
/// same.
fn check_token_use(verified: &VerifiedIdToken) -> Result<(), Error> {
    if verified.claim("token_use").and_then(Value::as_str) != Some("id") {
        return Err(IdTokenError::Claim {
            claim: "token_use".to_owned(),
        }
        .into());
    }
    Ok(())
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Cognito {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        match self.verifier().verify_refreshed(&refreshed).await? {
            Some(verified) => check_token_use(&verified),
            None => Ok(()),
        }
    }
}

impl Revoke for Cognito {}

/// A user of an Amazon Cognito user pool: the claims of the verified
/// [ID token](https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html).
///
/// The standard attributes are there when the user has them and the app client may read
/// them; custom attributes (`custom:…`) and the rest are in [`claims`](Self::claims).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct CognitoUser {
    /// The user's UUID in the user pool: immutable, never reused. The provider user id.
    pub sub: String,
    /// The username in the user pool (`cognito:username`): for federated users
    /// `{Provider}_{id}`, else what the user signed up with, or the `sub` when the pool
    /// signs in with email or phone. Lucia's provider user id; see
    /// [`legacy_key`](Self::legacy_key).
    #[serde(
        rename = "cognito:username",
        default,
        skip_serializing_if = "Option::is_none"
    )]
    pub username: Option<String>,
    /// The user pool groups the user belongs to (`cognito:groups`).
    #[serde(
        rename = "cognito:groups",
        default,
        skip_serializing_if = "Vec::is_empty"
    )]
    pub groups: Vec<String>,
    /// The email address. Mutable: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Cognito verified `email`: a boolean (ID tokens) or `"true"`/`"false"`
    /// (Cognito's userInfo).
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The phone number, E.164.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether Cognito verified `phone_number`: a boolean or `"true"`/`"false"`.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// The `name` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The `given_name` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The `family_name` attribute.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The `preferred_username` attribute, which a user can change and which, unlike the
    /// username, need not be unique.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The `picture` attribute: a URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Every other claim: `iss`, `aud`, `exp`, `auth_time`, `token_use`, `identities`
    /// (federated users), `cognito:roles`, `cognito:preferred_role`, `custom:…`
    /// attributes, pre-token-generation trigger claims.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl CognitoUser {
    /// The key Lucia stored for this user, `cognito:<cognito:username>`: to find users
    /// created before the provider user id became `sub`, and link them to the new key
    /// once. `None` when the token has no `cognito:username`.
    ///
    /// A username can be reused after its user is deleted: only relink while that cannot
    /// have happened, or migrate keys from the pool's user list instead.
    pub fn legacy_key(&self) -> Option<Key> {
        self.username
            .as_ref()
            .map(|username| Key::new("cognito", username.clone()))
    }

    /// A custom attribute: `custom:{name}`, as the token carries it (a string).
    pub fn custom_attribute(&self, name: &str) -> Option<&str> {
        self.claims
            .get(&format!("custom:{name}"))
            .and_then(Value::as_str)
    }
}

impl ProviderUser for CognitoUser {
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
            // A pool that signs in with email or phone makes the username the `sub`:
            // no name to show.
            .with_username(self.preferred_username.clone().or_else(|| {
                self.username
                    .clone()
                    .filter(|username| *username != self.sub)
            }))
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}
