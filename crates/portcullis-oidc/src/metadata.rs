//! [`OidcMetadata`]: an issuer's discovery document (OpenID Connect Discovery 1.0 §3).

use portcullis::{Error, HttpClient, Phase, Url};
use serde::{Deserialize, Serialize};

/// What an OpenID provider publishes at `{issuer}/.well-known/openid-configuration`, as
/// far as a relying party signing users in needs it; every other field is kept in
/// [`other`](Self::other).
///
/// Fetched by [`OidcMetadata::discover`] (and [`Oidc::discover`](crate::Oidc::discover)),
/// or built without network with [`OidcMetadata::new`] — for tests, and for provider
/// crates that know their issuer's endpoints.
///
/// ```
/// use portcullis_oidc::OidcMetadata;
///
/// let mut metadata = OidcMetadata::new(
///     "https://id.example.com",
///     "https://id.example.com/authorize".parse()?,
///     "https://id.example.com/token".parse()?,
///     "https://id.example.com/jwks".parse()?,
/// );
/// metadata.userinfo_endpoint = Some("https://id.example.com/userinfo".parse()?);
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OidcMetadata {
    /// The issuer identifier: what the ID tokens' `iss` must equal, character for
    /// character.
    pub issuer: String,
    /// The authorization endpoint.
    pub authorization_endpoint: Url,
    /// The token endpoint.
    pub token_endpoint: Url,
    /// The userinfo endpoint, if the issuer has one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub userinfo_endpoint: Option<Url>,
    /// Where the issuer publishes its signing keys (JWKS).
    pub jwks_uri: Url,
    /// The token revocation endpoint (RFC 7009), if advertised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub revocation_endpoint: Option<Url>,
    /// The RP-initiated logout endpoint, if advertised.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub end_session_endpoint: Option<Url>,
    /// The scopes the issuer lists, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub scopes_supported: Option<Vec<String>>,
    /// The JWS algorithms the issuer may sign ID tokens with. Empty when the document
    /// omits the (required) field, which then means `RS256`.
    #[serde(default)]
    pub id_token_signing_alg_values_supported: Vec<String>,
    /// The client authentication methods the token endpoint accepts; `None` means
    /// `client_secret_basic` only (OpenID Connect Discovery 1.0 §3).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_endpoint_auth_methods_supported: Option<Vec<String>>,
    /// The PKCE challenge methods the issuer lists, if it does.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub code_challenge_methods_supported: Option<Vec<String>>,
    /// Whether the issuer adds `iss` to its authorization responses (RFC 9207). When
    /// true, the callback's `iss` is checked against [`issuer`](Self::issuer).
    #[serde(default)]
    pub authorization_response_iss_parameter_supported: bool,
    /// Every other field of the document.
    #[serde(flatten)]
    pub other: serde_json::Map<String, serde_json::Value>,
}

impl OidcMetadata {
    /// Metadata from known endpoints, without network: the issuer, its authorization and
    /// token endpoints and its key set. Set the optional fields afterwards.
    pub fn new(
        issuer: impl Into<String>,
        authorization_endpoint: Url,
        token_endpoint: Url,
        jwks_uri: Url,
    ) -> Self {
        OidcMetadata {
            issuer: issuer.into(),
            authorization_endpoint,
            token_endpoint,
            userinfo_endpoint: None,
            jwks_uri,
            revocation_endpoint: None,
            end_session_endpoint: None,
            scopes_supported: None,
            id_token_signing_alg_values_supported: Vec::new(),
            token_endpoint_auth_methods_supported: None,
            code_challenge_methods_supported: None,
            authorization_response_iss_parameter_supported: false,
            other: serde_json::Map::new(),
        }
    }

    /// Where the discovery document of `issuer` lives:
    /// `{issuer}/.well-known/openid-configuration`, a trailing `/` of the issuer removed
    /// first (OpenID Connect Discovery 1.0 §4).
    ///
    /// ```
    /// use portcullis_oidc::OidcMetadata;
    ///
    /// let url = OidcMetadata::discovery_url("https://id.example.com/realms/acme/")?;
    /// assert_eq!(url.as_str(), "https://id.example.com/realms/acme/.well-known/openid-configuration");
    /// # Ok::<(), portcullis::Error>(())
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when `issuer` is not an `https` or `http` URL, or has a query or
    /// a fragment, which an issuer identifier may not have.
    pub fn discovery_url(issuer: &str) -> Result<Url, Error> {
        let invalid = |why: &str| Error::Config(format!("invalid issuer `{issuer}`: {why}"));
        let parsed = Url::parse(issuer).map_err(|e| invalid(&e.to_string()))?;
        if !matches!(parsed.scheme(), "https" | "http") {
            return Err(invalid("not an https URL"));
        }
        if parsed.query().is_some() || parsed.fragment().is_some() {
            return Err(invalid("an issuer has no query or fragment"));
        }
        Url::parse(&format!(
            "{}/.well-known/openid-configuration",
            issuer.trim_end_matches('/')
        ))
        .map_err(|e| invalid(&e.to_string()))
    }

    /// Fetches the discovery document of `issuer` and checks that it is the issuer's.
    ///
    /// # Errors
    ///
    /// * [`Error::Request`] with [`Phase::Discovery`] when the request fails or the
    ///   document lacks a required field (`issuer`, `authorization_endpoint`,
    ///   `token_endpoint`, `jwks_uri`);
    /// * [`Error::Config`] when `issuer` is not a valid issuer identifier, or when the
    ///   document's `issuer` is not exactly `issuer` (OpenID Connect Discovery 1.0 §4.3:
    ///   a document served for one issuer but naming another must not be used).
    pub async fn discover(issuer: &str, http: &HttpClient) -> Result<Self, Error> {
        let url = Self::discovery_url(issuer)?;
        let metadata: OidcMetadata = http
            .get_json(crate::PROVIDER_ID, Phase::Discovery, url)
            .await?;
        if metadata.issuer != issuer {
            return Err(Error::Config(format!(
                "the discovery document of `{issuer}` names the issuer `{}`: \
                 an issuer must publish its own metadata, character for character",
                metadata.issuer
            )));
        }
        Ok(metadata)
    }
}
