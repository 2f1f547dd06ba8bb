//! Sign in with Microsoft Entra ID (formerly Azure Active Directory) for
//! [Portcullis](portcullis): work and school accounts, personal Microsoft accounts, or
//! both, with the ID token verified.
//!
//! ```no_run
//! use portcullis::{CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_azure_ad::{AzureAd, Tenant};
//!
//! # async fn run(query: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let entra = OAuthClient::new(
//!     // Work, school and personal accounts of any tenant.
//!     AzureAd::new(Tenant::Common)?,
//!     ClientConfig::new("00001111-aaaa-2222-bbbb-3333cccc4444", "client-secret")
//!         .redirect_uri("https://app.example/login/azure/callback".parse()?)
//!         .scope("offline_access"), // for a refresh token
//!     MemoryAdapter::<String>::new(),
//! )?;
//!
//! // GET /login/azure: redirect to `auth.url`, keep `auth.pending` (encrypted cookie).
//! let auth = entra.authorization_url();
//!
//! // GET /login/azure/callback?code=…&state=…
//! let session = entra.validate_callback(&CallbackParams::from_query(query)?, &auth.pending).await?;
//! println!("{} of tenant {}", session.provider_user.sub, session.provider_user.tid);
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The [`Tenant`] says who can sign in: `common` (work, school and personal accounts),
//!   `organizations` (work and school), `consumers` (personal Microsoft accounts) or one
//!   tenant by its ID. It is the `{tenant}` of
//!   `https://login.microsoftonline.com/{tenant}/oauth2/v2.0/{authorize,token}` and of
//!   the key set `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`. One
//!   tenant is named by its ID (a GUID), not by a domain such as
//!   `contoso.onmicrosoft.com`: ID tokens name their tenant by ID. Lucia put any string
//!   in the URL.
//! * The ID token is verified (Lucia sent a `nonce` and never read the token): RS256
//!   signature with a key of the tenant's key set, `aud` (the client id), `azp`, `exp`
//!   and `iat`, the sign-in's `nonce`, `at_hash` when present, and the issuer.
//! * The issuer: Entra ID's discovery document for `common` and `organizations` names the
//!   template `https://login.microsoftonline.com/{tenantid}/v2.0`, and every token's
//!   `iss` is that template filled with the tenant the user signed in to, which is also
//!   the token's `tid`. So the token's `tid` (a GUID) picks the issuer the token must
//!   then have exactly, and the token is accepted only once the signature, which covers
//!   both, verifies
//!   ([`IdTokenVerifier::issuer_from_claim`](portcullis_oidc::IdTokenVerifier::issuer_from_claim)).
//!   The tenant decides which
//!   `tid` may sign in: any (`common`), any but the personal-account tenant
//!   [`CONSUMER_TENANT_ID`] (`organizations`), only that one (`consumers`), or the one
//!   tenant given. Microsoft asks multi-tenant apps to restrict the tenants that may
//!   sign in by this GUID: [`AzureAd::allowed_tenants`] does. Each failure is an
//!   [`IdTokenError`]: `Issuer` for a tenant refused, `Claim` for a missing or malformed
//!   `tid`.
//! * The user ([`AzureAdUser`]) is read from the verified ID token. Nothing else is
//!   fetched: Microsoft documents the ID token as a superset of its UserInfo endpoint
//!   and suggests reading the token instead. Lucia called
//!   `https://graph.microsoft.com/oidc/userinfo`; its `sub` is the token's, so keys
//!   carry over. There is no `picture` (UserInfo's was a Microsoft Graph URL that needs
//!   a token).
//! * The provider user id is `sub`, as in Lucia: unique to the user and this app (client
//!   id), never reassigned. `oid` (the user object, the same in every app of the tenant)
//!   and `tid` are on [`AzureAdUser`].
//! * `email_verified` is true only when the optional claim `xms_edov` is `true`. Entra ID
//!   sends no `email_verified`, and Microsoft documents `email` as unverified and mutable
//!   ("never use it for authorization"); `xms_edov` says the address's domain owner is
//!   verified. To get it, add the optional claims `email` and `xms_edov` to the ID token
//!   in the app registration (Token configuration); without them, no Entra address is
//!   ever verified here, and linking accounts by email refuses them.
//! * Default scopes `openid profile email` (Lucia: `openid profile`): `email` puts the
//!   address in the ID token. Add `offline_access` for a refresh token.
//! * PKCE (S256) and the client secret in the form body (`client_secret_post`), as in
//!   Microsoft's token request examples and in Lucia.
//! * Refresh ([`Refresh`]); Entra ID returns a new refresh token each time: keep the
//!   newest. An ID token in a refresh response is verified as a sign-in's — its tenant's
//!   issuer, and the tenants allowed, included — without the `nonce`. No revocation:
//!   Entra ID has no RFC 7009 endpoint.
//! * No `iss` parameter is checked on the callback: Entra ID does not send one (RFC 9207
//!   is not in its discovery document).

#![forbid(unsafe_code)]

use std::fmt;
use std::time::Duration;

use portcullis::{
    ClientAuth, Endpoints, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo,
    ProviderUser, Refresh, Refreshed, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The Microsoft identity platform's host.
const AUTHORITY: &str = "https://login.microsoftonline.com";

/// The issuer template of the `common` and `organizations` discovery documents.
pub const ISSUER_TEMPLATE: &str = "https://login.microsoftonline.com/{tenantid}/v2.0";

/// The tenant of personal Microsoft accounts (Outlook.com, Xbox, …): the `tid` of every
/// personal-account sign-in, and the tenant behind [`Tenant::Consumers`].
pub const CONSUMER_TENANT_ID: &str = "9188040d-6c67-4c5b-b112-36a304b66dad";

/// Who can sign in: the `{tenant}` of the Microsoft identity platform's endpoints.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Tenant {
    /// `common`: work and school accounts of any tenant, and personal Microsoft accounts.
    Common,
    /// `organizations`: work and school accounts of any tenant.
    Organizations,
    /// `consumers`: personal Microsoft accounts only.
    Consumers,
    /// One tenant, by its Directory (tenant) ID, a GUID such as
    /// `8eaef023-2b34-4da1-9baa-8bc8c9d6a490` (the app registration's Overview page):
    /// its members and guests. A domain name is refused, since tokens name the tenant
    /// by ID.
    Id(String),
}

impl Tenant {
    /// The path segment: `common`, `organizations`, `consumers` or the tenant ID.
    pub fn as_str(&self) -> &str {
        match self {
            Tenant::Common => "common",
            Tenant::Organizations => "organizations",
            Tenant::Consumers => "consumers",
            Tenant::Id(id) => id,
        }
    }
}

/// The Microsoft Entra ID provider, for one [`Tenant`].
///
/// Holds the tenant's key set ([`Jwks`]), fetched on the first sign-in and shared by
/// every clone.
#[derive(Clone)]
pub struct AzureAd {
    tenant: Tenant,
    jwks: Jwks,
    allowed_tenants: Option<Vec<String>>,
    leeway: Duration,
    clock: Clock,
}

impl AzureAd {
    /// Entra ID for `tenant`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a [`Tenant::Id`] is not a GUID (a domain name, a typo).
    pub fn new(tenant: Tenant) -> Result<AzureAd, Error> {
        let tenant = match tenant {
            Tenant::Id(id) => {
                let id = id.to_ascii_lowercase();
                if !is_guid(&id) {
                    return Err(Error::Config(format!(
                        "the Entra ID tenant `{id}` is not a tenant ID (a GUID): use the \
                         Directory (tenant) ID, or Tenant::Common/Organizations/Consumers"
                    )));
                }
                Tenant::Id(id)
            }
            other => other,
        };
        let jwks = Jwks::new(
            Url::parse(&format!(
                "{AUTHORITY}/{}/discovery/v2.0/keys",
                tenant.as_str()
            ))
            .map_err(|e| Error::Config(format!("invalid key set URL: {e}")))?,
        );
        Ok(AzureAd {
            tenant,
            jwks,
            allowed_tenants: None,
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
            clock: Clock::system(),
        })
    }

    /// Accepts only users signing in to one of these tenants (their `tid`, tenant IDs):
    /// the restriction Microsoft asks of multi-tenant apps that serve known
    /// organizations. Other sign-ins fail with [`IdTokenError::Issuer`]. Include
    /// [`CONSUMER_TENANT_ID`] to let personal accounts in.
    #[must_use]
    pub fn allowed_tenants<I, S>(mut self, tenants: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: AsRef<str>,
    {
        self.allowed_tenants = Some(
            tenants
                .into_iter()
                .map(|t| t.as_ref().to_ascii_lowercase())
                .collect(),
        );
        self
    }

    /// Uses this key set cache: one shared with another client of the same tenant, or
    /// one at another URL (a mirror, a mock in tests). Default: the tenant's
    /// `https://login.microsoftonline.com/{tenant}/discovery/v2.0/keys`.
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

    /// The tenant.
    pub fn tenant(&self) -> &Tenant {
        &self.tenant
    }

    /// The key set cache.
    pub fn key_set(&self) -> &Jwks {
        &self.jwks
    }

    /// The verifier of the tenant's ID tokens, sharing this provider's key set cache:
    /// each token's issuer is the one of its `tid`, when that tenant may sign in.
    fn verifier(&self) -> IdTokenVerifier {
        let (tenant, allowed_tenants) = (self.tenant.clone(), self.allowed_tenants.clone());
        IdTokenVerifier::new(ISSUER_TEMPLATE, self.jwks.clone())
            .issuer_from_claim("tid", move |tid| {
                issuer_for(&tenant, allowed_tenants.as_deref(), tid)
            })
            .algorithms([Algorithm::Rs256])
            .leeway(self.leeway)
            .clock(self.clock.clone())
    }
}

/// The issuer a token naming tenant `tid` must have: the template filled with `tid`, when
/// `tid` is a tenant ID (else `Claim`) that may sign in through `tenant` and
/// `allowed_tenants` (else `Issuer`).
///
/// `tid` is the token's claim before its signature is checked: it only picks the issuer
/// `iss` must be, and the token is accepted only once the signature over both verifies
/// ([`IdTokenVerifier::issuer_from_claim`]). `found` in the error is the issuer of the
/// token's tenant, not the token's `iss`.
fn issuer_for(
    tenant: &Tenant,
    allowed_tenants: Option<&[String]>,
    tid: &str,
) -> Result<String, IdTokenError> {
    if !is_guid(tid) {
        return Err(IdTokenError::Claim {
            claim: "tid".to_owned(),
        });
    }
    let by_tenant = match tenant {
        Tenant::Common => true,
        Tenant::Organizations => tid != CONSUMER_TENANT_ID,
        Tenant::Consumers => tid == CONSUMER_TENANT_ID,
        Tenant::Id(id) => tid == id,
    };
    let allowed = allowed_tenants.is_none_or(|allowed| allowed.iter().any(|t| t == tid));
    if by_tenant && allowed {
        return Ok(issuer_of(tid));
    }
    let mut expected = match tenant {
        Tenant::Common => ISSUER_TEMPLATE.to_owned(),
        Tenant::Organizations => format!("{ISSUER_TEMPLATE} of a work or school tenant"),
        Tenant::Consumers => issuer_of(CONSUMER_TENANT_ID),
        Tenant::Id(id) => issuer_of(id),
    };
    if let Some(allowed) = allowed_tenants {
        expected.push_str(&format!(
            " with {{tenantid}} one of [{}]",
            allowed.join(", ")
        ));
    }
    Err(IdTokenError::Issuer {
        expected,
        found: issuer_of(tid),
    })
}

impl fmt::Debug for AzureAd {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AzureAd")
            .field("tenant", &self.tenant)
            .field("jwks", &self.jwks)
            .field("allowed_tenants", &self.allowed_tenants)
            .field("leeway", &self.leeway)
            .finish_non_exhaustive()
    }
}

/// `https://login.microsoftonline.com/{tid}/v2.0`: the issuer of tenant `tid`.
fn issuer_of(tid: &str) -> String {
    ISSUER_TEMPLATE.replace("{tenantid}", tid)
}

/// A lowercase GUID: 8-4-4-4-12 hexadecimal digits.
fn is_guid(s: &str) -> bool {
    let groups: Vec<&str> = s.split('-').collect();
    groups.len() == 5
        && groups.iter().zip([8, 4, 4, 4, 12]).all(|(g, len)| {
            g.len() == len && g.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
        })
}

impl Provider for AzureAd {
    type User = AzureAdUser;

    /// The `common` tenant's endpoints; [`AzureAd::new`] uses its tenant's.
    const INFO: ProviderInfo = ProviderInfo {
        id: "azure_ad",
        name: "Microsoft Entra ID",
        authorization_url: "https://login.microsoftonline.com/common/oauth2/v2.0/authorize",
        token_url: "https://login.microsoftonline.com/common/oauth2/v2.0/token",
        revocation_url: None,
        userinfo_url: None,
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the optional `xms_edov` claim of the verified ID token, true only when Entra ID sends it as true (Entra ID sends no `email_verified`; add the `email` and `xms_edov` optional claims to the app registration)",
        docs_url: "https://learn.microsoft.com/en-us/entra/identity-platform/v2-protocols-oidc",
    };

    fn endpoints(&self) -> Endpoints {
        let url = |path: &str| {
            Url::parse(&format!(
                "{AUTHORITY}/{}/oauth2/v2.0/{path}",
                self.tenant.as_str()
            ))
            .expect("a GUID or a fixed name makes a valid URL")
        };
        Endpoints {
            authorization: url("authorize"),
            token: url("token"),
            revocation: None,
            userinfo: None,
            issuer: None,
            issuer_required: false,
        }
    }

    /// Verifies the ID token against the issuer of its tenant and reads the user from it.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<AzureAdUser, Error> {
        self.verifier()
            .verify_user_request(&request)
            .await?
            .deserialize()
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for AzureAd {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

/// A Microsoft Entra ID user: the claims of the verified
/// [ID token](https://learn.microsoft.com/en-us/entra/identity-platform/id-token-claims-reference).
///
/// `name`, `preferred_username` and `oid` need the `profile` scope, `email` the `email`
/// scope (both requested by default); `given_name`, `family_name` and `xms_edov` are
/// optional claims the app registration must add.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AzureAdUser {
    /// The subject: unique to this user and this app (client id), immutable, never
    /// reassigned — another app gets another value for the same user. The provider user
    /// id.
    pub sub: String,
    /// The tenant the user signed in to, a GUID: the organization's tenant ID for work and
    /// school accounts (the resource tenant for guests), [`CONSUMER_TENANT_ID`] for
    /// personal Microsoft accounts.
    pub tid: String,
    /// The user's object ID in that tenant, the same in every app of the tenant
    /// (Microsoft Graph's user `id`); another tenant has another. Needs the `profile`
    /// scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub oid: Option<String>,
    /// The display name: not unique, changeable, for display only. Needs the `profile`
    /// scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The primary username: an email address, a phone number or a plain username.
    /// Mutable: for display and login hints, never for identity or authorization. Needs
    /// the `profile` scope.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The first name: an optional claim of the app registration (with the `profile`
    /// scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The last name: an optional claim of the app registration (with the `profile`
    /// scope).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The email address (the `email` scope; for guests, present by default). Not
    /// verified unless `xms_edov` is true, and mutable: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the domain owner of `email` is verified: the optional claim `xms_edov`,
    /// as a boolean or `"true"`/`"false"`. The only source of `email_verified`.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub xms_edov: Option<bool>,
    /// The app roles assigned to the user (or to their groups) in this app's registration.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Every other claim of the ID token: `iss`, `aud`, `exp`, `iat`, `nonce`, `ver`,
    /// `idp` (guests), `groups`, other optional claims.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl AzureAdUser {
    /// Whether the user signed in with a personal Microsoft account.
    pub fn is_personal_account(&self) -> bool {
        self.tid == CONSUMER_TENANT_ID
    }
}

impl ProviderUser for AzureAdUser {
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
            .with_email(self.email.clone(), self.xms_edov == Some(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn guids_are_recognised_exactly() {
        assert!(is_guid(CONSUMER_TENANT_ID));
        for bad in [
            "",
            "contoso.onmicrosoft.com",
            "9188040d-6c67-4c5b-b112-36a304b66da",
            "9188040d-6c67-4c5b-b112-36a304b66dadd",
            "9188040d6c674c5bb11236a304b66dad",
            "9188040d-6c67-4c5b-b112-36a304b66daZ",
            "9188040D-6C67-4C5B-B112-36A304B66DAD",
            "9188040d-6c67-4c5b-b112-36a304b66dad/v2.0",
        ] {
            assert!(!is_guid(bad), "{bad}");
        }
    }

    #[test]
    fn the_tenant_policy_fills_the_template_only_for_tenants_that_may_sign_in() {
        const CONTOSO: &str = "72f988bf-86f1-41af-91ab-2d7cd011db47";
        let issuer = |tenant: &Tenant, allowed: Option<&[String]>, tid: &str| {
            issuer_for(tenant, allowed, tid)
        };
        assert_eq!(
            issuer(&Tenant::Common, None, CONTOSO).unwrap(),
            format!("https://login.microsoftonline.com/{CONTOSO}/v2.0")
        );
        assert_eq!(
            issuer(&Tenant::Consumers, None, CONSUMER_TENANT_ID).unwrap(),
            format!("https://login.microsoftonline.com/{CONSUMER_TENANT_ID}/v2.0")
        );
        // Only a tenant ID fills the template: nothing else ends up in the issuer.
        for tid in [
            "",
            "contoso.onmicrosoft.com",
            "{tenantid}",
            "72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            "72F988BF-86F1-41AF-91AB-2D7CD011DB47",
        ] {
            assert_eq!(
                issuer(&Tenant::Common, None, tid),
                Err(IdTokenError::Claim {
                    claim: "tid".to_owned()
                }),
                "{tid}"
            );
        }
        for (tenant, allowed, tid) in [
            (Tenant::Organizations, None, CONSUMER_TENANT_ID),
            (Tenant::Consumers, None, CONTOSO),
            (Tenant::Id(CONSUMER_TENANT_ID.to_owned()), None, CONTOSO),
            (
                Tenant::Common,
                Some(vec![CONSUMER_TENANT_ID.to_owned()]),
                CONTOSO,
            ),
        ] {
            let err = issuer(&tenant, allowed.as_deref(), tid).unwrap_err();
            assert!(
                matches!(&err, IdTokenError::Issuer { found, .. } if *found == issuer_of(tid)),
                "{tenant:?} {allowed:?} {tid}: {err:?}"
            );
        }
    }
}
