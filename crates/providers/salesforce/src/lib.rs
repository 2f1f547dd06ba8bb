//! Sign in with Salesforce for [Portcullis](portcullis): production, sandbox or an
//! org's My Domain, with the ID token verified and the OpenID Connect userinfo merged in.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_salesforce::{Salesforce, SalesforceDomain};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let salesforce = OAuthClient::new(
//!     // login.salesforce.com; `Sandbox` for test.salesforce.com, or the org's My Domain:
//!     // SalesforceDomain::MyDomain("acme.my.salesforce.com".into())
//!     Salesforce::new(SalesforceDomain::Production)?,
//!     ClientConfig::new("3MVG9-consumer-key", "consumer-secret")
//!         .redirect_uri("https://app.example/login/salesforce/callback".parse()?)
//!         .scope("refresh_token"), // a refresh token too
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = salesforce.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * [`SalesforceDomain`]: `login.salesforce.com` (production, Lucia's only choice),
//!   `test.salesforce.com` (sandboxes) or an org's My Domain
//!   (`acme.my.salesforce.com`, `acme--uat.sandbox.my.salesforce.com`). Endpoints are
//!   `https://{domain}/services/oauth2/authorize`, `/token`, `/userinfo`, `/revoke`;
//!   keys at `https://{domain}/id/keys`; the issuer `https://{domain}`, as each domain's
//!   discovery document (`/.well-known/openid-configuration`) names it. A Salesforce
//!   issuer is the domain the user signed in through: use the same domain the app's
//!   users log in with.
//! * Scopes `openid id profile email` always (Lucia: `openid id profile`, so no email
//!   unless the app asked). Add `refresh_token` for a refresh token, `api` to call
//!   Salesforce's APIs.
//! * PKCE (S256; Salesforce honours it and can require it per connected app; Lucia sent
//!   none) and a `nonce`. The consumer secret goes in the form body, as Lucia did.
//! * **The ID token is verified** (Lucia kept it unread): RS256 with the domain's keys,
//!   `iss`, `aud` (the consumer key), `exp`, `iat`, `nonce`, `at_hash`. Then the OpenID
//!   Connect userinfo (`/services/oauth2/userinfo`) is fetched, as Lucia did, and merged
//!   in: its `sub` must be the token's, else
//!   [`IdTokenError::SubjectMismatch`](portcullis::IdTokenError::SubjectMismatch).
//! * **The provider user id is `user_id`** (the 18-character user id, `005…`), as Lucia:
//!   keys carry over. `sub` is the identity URL
//!   (`https://login.salesforce.com/id/{organization id}/{user id}`), which changes
//!   with the login domain. Users of two orgs stay apart only by their ids: name a
//!   second org's client with
//!   [`OAuthClient::with_id`](portcullis::OAuthClient::with_id) if in doubt.
//! * `email_verified` is the userinfo's `email_verified`, true only when Salesforce says
//!   `true`.
//! * No `iss` check on the callback: Salesforce does not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * Refresh ([`Refresh`]) with the `refresh_token` scope; Salesforce does not rotate
//!   refresh tokens, so the old one is kept. An ID token in a refresh response is
//!   verified as a sign-in's, without the `nonce`. Revocation ([`Revoke`]) at
//!   `/services/oauth2/revoke` (RFC 7009, access or refresh token; revoking a refresh
//!   token also revokes its access tokens).
//! * Experience Cloud sites (`acme.my.site.com/community`) have a path in their URLs and
//!   are not a [`SalesforceDomain`]; use `portcullis-oidc` with the site's discovery
//!   document for them.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, Revoke, Url, UserRequest,
};
use portcullis_oidc::{Algorithm, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Where users sign in to Salesforce.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum SalesforceDomain {
    /// `login.salesforce.com`: production and Developer Edition orgs.
    Production,
    /// `test.salesforce.com`: sandboxes.
    Sandbox,
    /// An org's My Domain (`acme.my.salesforce.com`,
    /// `acme--uat.sandbox.my.salesforce.com`), with or without `https://`. `http://` is
    /// accepted for `localhost` and loopback addresses only (a local test server).
    MyDomain(String),
}

/// The Salesforce provider for one login domain, with the verifier of its ID tokens and
/// its key set cache (shared by clones).
#[derive(Debug, Clone)]
pub struct Salesforce {
    domain: SalesforceDomain,
    base: Url,
    verifier: IdTokenVerifier,
}

impl Salesforce {
    /// Sign-in through `domain`.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when a My Domain is not a host name (a path, a query, another
    /// scheme).
    pub fn new(domain: SalesforceDomain) -> Result<Salesforce, Error> {
        let base = match &domain {
            SalesforceDomain::Production => base_url("login.salesforce.com")?,
            SalesforceDomain::Sandbox => base_url("test.salesforce.com")?,
            SalesforceDomain::MyDomain(host) => base_url(host)?,
        };
        let issuer = base.as_str().trim_end_matches('/').to_owned();
        let jwks = Jwks::new(join(&base, "id/keys"));
        let verifier = IdTokenVerifier::new(issuer, jwks).algorithms([Algorithm::Rs256]);
        Ok(Salesforce {
            domain,
            base,
            verifier,
        })
    }

    /// The login domain.
    pub fn domain(&self) -> &SalesforceDomain {
        &self.domain
    }

    /// The issuer ID tokens must name: `https://{domain}`.
    pub fn issuer(&self) -> &str {
        self.verifier.issuer()
    }

    /// The ID-token verifier, with the domain's key set cache: to warm the cache at
    /// start-up (`verifier().jwks().load(…)`).
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.verifier
    }
}

/// `domain` as `https://host[:port]/`.
fn base_url(domain: &str) -> Result<Url, Error> {
    portcullis::domain_base_url(domain, "Salesforce My Domain")
}

fn join(base: &Url, path: &str) -> Url {
    let mut url = base.clone();
    url.set_path(path);
    url
}

impl Provider for Salesforce {
    type User = SalesforceUser;

    /// Production's URLs; [`SalesforceDomain`] replaces the host.
    const INFO: ProviderInfo = ProviderInfo {
        id: "salesforce",
        name: "Salesforce",
        authorization_url: "https://login.salesforce.com/services/oauth2/authorize",
        token_url: "https://login.salesforce.com/services/oauth2/token",
        revocation_url: Some("https://login.salesforce.com/services/oauth2/revoke"),
        userinfo_url: Some("https://login.salesforce.com/services/oauth2/userinfo"),
        issuer: None,
        default_scopes: &["openid", "id", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "user_id",
        email_verified_source: "the `email_verified` claim (verified ID token merged with the OpenID Connect userinfo), true only when Salesforce says true",
        docs_url: "https://help.salesforce.com/apex/HTViewHelpDoc?id=xcloud.remoteaccess_using_openid_discovery_endpoint.htm",
    };

    fn endpoints(&self) -> Endpoints {
        Endpoints {
            authorization: join(&self.base, "services/oauth2/authorize"),
            token: join(&self.base, "services/oauth2/token"),
            revocation: Some(join(&self.base, "services/oauth2/revoke")),
            userinfo: Some(join(&self.base, "services/oauth2/userinfo")),
            issuer: None,
            issuer_required: false,
        }
    }

    /// Verifies the ID token, fetches userinfo and merges it in.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<SalesforceUser, Error> {
        let mut user: SalesforceUser = self
            .verifier
            .verify_user_request_with_userinfo(&request)
            .await?;
        claims::remove_token_claims(&mut user.claims);
        Ok(user)
    }
}

/// Refresh with the `refresh_token` scope; a new ID token is verified as a sign-in's, without
/// the `nonce`.
impl Refresh for Salesforce {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier.verify_refreshed(&refreshed).await.map(drop)
    }
}

/// `/services/oauth2/revoke`, RFC 7009.
impl Revoke for Salesforce {}

/// A Salesforce user: the verified ID token's claims merged with the OpenID Connect
/// userinfo response (`/services/oauth2/userinfo`).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SalesforceUser {
    /// The identity URL, `https://login.salesforce.com/id/{organization id}/{user id}`:
    /// its host follows the login domain, so it is not the provider user id.
    pub sub: String,
    /// The 18-character user id (`005…`): the provider user id, as in Lucia.
    pub user_id: String,
    /// The org's 18-character id (`00D…`).
    pub organization_id: String,
    /// The Salesforce username (`jdoe@acme.com`), unique across Salesforce. Admins can
    /// change it: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The community nickname.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The email address (scope `email`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the user verified `email`: a boolean or `"true"`/`"false"`; anything else
    /// fails the sign-in.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The time zone, e.g. `America/Los_Angeles`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// The profile photo URLs. Salesforce serves them only with an access token.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub photos: Option<SalesforcePhotos>,
    /// The user's profile page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The full-size profile photo URL (as `photos.picture`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// Whether the user is active.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub active: Option<bool>,
    /// The user type: `STANDARD`, `POWER_PARTNER`, `CSP_LITE_PORTAL`, `GUEST`, …
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub user_type: Option<String>,
    /// The user's language, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub language: Option<String>,
    /// The user's locale, e.g. `en_US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The time zone's offset from UTC, in milliseconds.
    #[serde(default, rename = "utcOffset", skip_serializing_if = "Option::is_none")]
    pub utc_offset: Option<i64>,
    /// When the user record last changed: Salesforce sends an ISO 8601 string
    /// (`2024-04-02T18:05:33Z`) where the standard has seconds; a number is kept as its
    /// decimal string.
    #[serde(
        default,
        deserialize_with = "claims::string_or_number",
        skip_serializing_if = "Option::is_none"
    )]
    pub updated_at: Option<String>,
    /// The org's REST API URLs (`rest`, `sobjects`, `query`, `profile`, …), with
    /// `{version}` to fill in.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub urls: Option<Map<String, Value>>,
    /// Every other claim: `address`, `is_app_installed`,
    /// `is_salesforce_integration_user`, `custom_attributes`, `auth_time`, … The token's
    /// own claims (`iss`, `aud`, `exp`, `nonce`, …) are left out.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

/// The profile photo URLs of a [`SalesforceUser`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SalesforcePhotos {
    /// The full-size photo.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The thumbnail.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub thumbnail: Option<String>,
}

impl SalesforceUser {
    /// The email, only if Salesforce says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

impl ProviderUser for SalesforceUser {
    fn provider_user_id(&self) -> String {
        self.user_id.clone()
    }

    fn profile(&self) -> Profile {
        let name = claims::full_name(
            self.name.as_deref(),
            self.given_name.as_deref(),
            self.family_name.as_deref(),
        );
        let picture = self
            .picture
            .clone()
            .or_else(|| self.photos.as_ref().and_then(|p| p.picture.clone()));
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_username(self.preferred_username.clone())
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(picture)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn my_domains_are_host_names() {
        for domain in [
            "",
            "http://acme.my.salesforce.com",
            "https://acme.my.site.com/community",
            "acme.my.salesforce.com?x=1",
        ] {
            assert!(
                matches!(
                    Salesforce::new(SalesforceDomain::MyDomain(domain.to_owned())),
                    Err(Error::Config(_))
                ),
                "{domain}"
            );
        }
    }
}
