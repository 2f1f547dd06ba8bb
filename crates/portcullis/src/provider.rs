//! What a provider crate declares: the [`Provider`] trait, its [`ProviderInfo`], its
//! typed user ([`ProviderUser`]) and the capabilities [`Refresh`] and [`Revoke`].
//!
//! A provider crate holds no flow logic and never sees the user store. It says where the
//! endpoints are, which scopes, PKCE and client authentication it uses, which extra
//! authorization parameters it sends, and how to fetch its user. Everything else happens
//! once, in [`OAuthClient`](crate::OAuthClient).

use std::fmt::Debug;

use oauth2::ClientSecret;
use reqwest::Method;
use serde::Serialize;
use serde::de::DeserializeOwned;
use url::Url;

use crate::error::{Error, Phase, RequestError, RequestErrorKind};
use crate::http::{ApiRequest, HttpClient};
use crate::profile::Profile;
use crate::token::Tokens;

/// Whether a provider uses PKCE (RFC 7636).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Pkce {
    /// The provider does not support PKCE; none is sent.
    None,
    /// An S256 challenge is sent with every authorization request.
    S256,
}

/// How the client authenticates at the token endpoint (RFC 6749 §2.3.1).
///
/// A client configured without a secret (a public client) sends only `client_id`,
/// whatever this says.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ClientAuth {
    /// `Authorization: Basic …` (`client_secret_basic`).
    Basic,
    /// `client_id` and `client_secret` in the form body (`client_secret_post`).
    RequestBody,
    /// None: the provider has public clients only (`none`), identified by `client_id`
    /// in the form body and bound to the sign-in by PKCE (Lichess).
    /// [`OAuthClient::new`](crate::OAuthClient::new) refuses a configuration with a
    /// client secret, which such a provider would receive for nothing.
    None,
}

/// The facts about a provider, as data: read by [`OAuthClient`](crate::OAuthClient) at
/// run time and by `cargo xtask docs` to write the provider's documentation.
#[derive(Debug, Clone, Copy, Serialize)]
pub struct ProviderInfo {
    /// The provider id stored in user keys (`github`). Lucia's ids, so keys carry over.
    pub id: &'static str,
    /// The provider's display name (`GitHub`).
    pub name: &'static str,
    /// The default authorization endpoint.
    pub authorization_url: &'static str,
    /// The default token endpoint.
    pub token_url: &'static str,
    /// The default revocation endpoint (RFC 7009), for providers with [`Revoke`].
    pub revocation_url: Option<&'static str>,
    /// The default user endpoint.
    pub userinfo_url: Option<&'static str>,
    /// The issuer identifier checked against a callback's `iss` (RFC 9207).
    pub issuer: Option<&'static str>,
    /// Scopes always requested; the app's scopes are added to them.
    pub default_scopes: &'static [&'static str],
    /// What joins scopes in the authorization URL: `" "` per RFC 6749 §3.3; `","` for
    /// providers that insist on commas (Strava).
    pub scope_delimiter: &'static str,
    /// Whether PKCE is used.
    pub pkce: Pkce,
    /// How the client authenticates at the token endpoint.
    pub client_auth: ClientAuth,
    /// Whether the provider needs a redirect URI in the client configuration.
    pub requires_redirect_uri: bool,
    /// Which field of the provider's user is the provider user id.
    pub user_id_field: &'static str,
    /// Where `email_verified` comes from, or why it is always false.
    pub email_verified_source: &'static str,
    /// The provider's official documentation for this flow.
    pub docs_url: &'static str,
}

/// The endpoints one client talks to.
///
/// Built from the provider's [`ProviderInfo`] (or from its options, for self-hosted
/// servers), and overridable with
/// [`OAuthClient::with_endpoints`](crate::OAuthClient::with_endpoints) — for a proxy, a
/// staging server or a mock in tests.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoints {
    /// Where the user is sent to sign in.
    pub authorization: Url,
    /// Where the code is exchanged for tokens, and tokens refreshed.
    pub token: Url,
    /// Where tokens are revoked (RFC 7009).
    pub revocation: Option<Url>,
    /// Where the user is fetched. Provider crates may derive further API URLs from it.
    pub userinfo: Option<Url>,
    /// The issuer identifier checked against a callback's `iss` parameter (RFC 9207)
    /// when the callback has one.
    pub issuer: Option<String>,
    /// Whether a callback without `iss` is refused: true for servers whose metadata
    /// advertises `authorization_response_iss_parameter_supported` (RFC 9207 §2.4), so a
    /// response from another server cannot pass by leaving `iss` out.
    pub issuer_required: bool,
}

impl Endpoints {
    /// The default endpoints from a provider's [`ProviderInfo`].
    ///
    /// # Panics
    ///
    /// If a URL in `info` does not parse — a bug in the provider crate, caught by its
    /// tests.
    pub fn from_info(info: &ProviderInfo) -> Self {
        let parse = |url: &str| {
            Url::parse(url).unwrap_or_else(|e| panic!("{}: invalid endpoint `{url}`: {e}", info.id))
        };
        Endpoints {
            authorization: parse(info.authorization_url),
            token: parse(info.token_url),
            revocation: info.revocation_url.map(parse),
            userinfo: info.userinfo_url.map(parse),
            issuer: info.issuer.map(str::to_owned),
            issuer_required: false,
        }
    }

    /// The same endpoints with scheme, host and port replaced by `base`'s, paths kept:
    /// points a provider at a mock server in tests.
    ///
    /// ```
    /// use portcullis::Endpoints;
    /// # let info = portcullis::ProviderInfo { id: "x", name: "X",
    /// #   authorization_url: "https://x.example/authorize", token_url: "https://api.x.example/token",
    /// #   revocation_url: None, userinfo_url: None, issuer: None, default_scopes: &[], scope_delimiter: " ",
    /// #   pkce: portcullis::Pkce::S256, client_auth: portcullis::ClientAuth::Basic,
    /// #   requires_redirect_uri: true, user_id_field: "id", email_verified_source: "", docs_url: "" };
    /// let endpoints = Endpoints::from_info(&info).rebased("http://127.0.0.1:1234")?;
    /// assert_eq!(endpoints.token.as_str(), "http://127.0.0.1:1234/token");
    /// # Ok::<(), url::ParseError>(())
    /// ```
    ///
    /// # Errors
    ///
    /// If `base` is not an absolute URL.
    pub fn rebased(&self, base: &str) -> Result<Self, url::ParseError> {
        let base = Url::parse(base)?;
        let rebase = |url: &Url| {
            let mut new = base.clone();
            new.set_path(url.path());
            new.set_query(url.query());
            new
        };
        Ok(Endpoints {
            authorization: rebase(&self.authorization),
            token: rebase(&self.token),
            revocation: self.revocation.as_ref().map(rebase),
            userinfo: self.userinfo.as_ref().map(rebase),
            issuer: self.issuer.clone(),
            issuer_required: self.issuer_required,
        })
    }
}

/// A provider's user, as the provider documents it.
///
/// Implemented by each provider crate's user struct (`GitHubUser`, `GoogleUser`, …).
pub trait ProviderUser:
    Debug + Clone + Serialize + DeserializeOwned + Send + Sync + 'static
{
    /// The stable id of this user at the provider — never a username or an email, which
    /// can change hands.
    fn provider_user_id(&self) -> String;

    /// The normalised profile. `email_verified` is true only when the provider says so.
    fn profile(&self) -> Profile;
}

/// The provider-specific part of a sign-in, implemented by each provider crate.
///
/// ```
/// use portcullis::{ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, UserRequest};
/// use serde::{Deserialize, Serialize};
///
/// #[derive(Debug, Clone, Serialize, Deserialize)]
/// pub struct AcmeUser { pub id: u64, pub name: String }
///
/// impl ProviderUser for AcmeUser {
///     fn provider_user_id(&self) -> String { self.id.to_string() }
///     fn profile(&self) -> Profile {
///         Profile::new(self.provider_user_id()).with_name(Some(self.name.clone()))
///     }
/// }
///
/// pub struct Acme;
///
/// impl Provider for Acme {
///     type User = AcmeUser;
///     const INFO: ProviderInfo = ProviderInfo {
///         id: "acme",
///         name: "Acme",
///         authorization_url: "https://acme.example/oauth/authorize",
///         token_url: "https://acme.example/oauth/token",
///         revocation_url: None,
///         userinfo_url: Some("https://api.acme.example/me"),
///         issuer: None,
///         default_scopes: &["profile"],
///         scope_delimiter: " ",
///         pkce: Pkce::S256,
///         client_auth: ClientAuth::Basic,
///         requires_redirect_uri: true,
///         user_id_field: "id",
///         email_verified_source: "never: Acme does not verify emails",
///         docs_url: "https://acme.example/docs/oauth",
///     };
///
///     async fn fetch_user(&self, request: UserRequest<'_>) -> Result<AcmeUser, Error> {
///         request.get(request.userinfo_url()?.clone()).send().await
///     }
/// }
/// ```
pub trait Provider: Send + Sync + 'static {
    /// The provider's typed user.
    type User: ProviderUser;

    /// The provider's facts.
    const INFO: ProviderInfo;

    /// Whether [`client_secret`](Self::client_secret) makes the client's secret (Sign in
    /// with Apple's JWT), so that a configuration without one is still a confidential
    /// client: [`OAuthClient::new`](crate::OAuthClient::new) then accepts a
    /// [public](crate::ClientConfig::public) configuration without PKCE. Default: `false`.
    const MAKES_CLIENT_SECRET: bool = false;

    /// The endpoints to use. The default reads them from [`Provider::INFO`]; providers
    /// with self-hosted servers or tenants build them from their options.
    fn endpoints(&self) -> Endpoints {
        Endpoints::from_info(&Self::INFO)
    }

    /// How the client authenticates at the token endpoint. The default reads
    /// [`ProviderInfo::client_auth`]; a generic provider (OpenID Connect) takes it from
    /// its configuration.
    fn client_auth(&self) -> ClientAuth {
        Self::INFO.client_auth
    }

    /// The client secret to authenticate with, for providers that make their own rather
    /// than use the static one of [`ClientConfig`](crate::ClientConfig): Sign in with
    /// Apple's is a short-lived ES256 JWT signed with the app's private key, naming
    /// `client_id` as its subject.
    ///
    /// [`OAuthClient`](crate::OAuthClient) calls it before every request that
    /// authenticates the client — code exchange, refresh, revocation — and sends the
    /// secret it returns instead of the configuration's, the way
    /// [`client_auth`](Self::client_auth) says. It runs on every such request: cache
    /// what is costly to make. The default, `Ok(None)`, sends the configuration's secret
    /// (none for a [public](crate::ClientConfig::public) client).
    ///
    /// # Errors
    ///
    /// An error fails the request before anything is sent.
    fn client_secret(&self, client_id: &str) -> Result<Option<ClientSecret>, Error> {
        let _ = client_id;
        Ok(None)
    }

    /// Extra parameters for the authorization URL (Google's `access_type`, Reddit's
    /// `duration`). Sent after the standard ones.
    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        Vec::new()
    }

    /// Fetches the signed-in user with the fresh tokens.
    ///
    /// Implement it as an `async fn`; the future must be `Send`.
    fn fetch_user(
        &self,
        request: UserRequest<'_>,
    ) -> impl Future<Output = Result<Self::User, Error>> + Send;
}

/// Marks a provider whose tokens can be refreshed: enables
/// [`OAuthClient::refresh`](crate::OAuthClient::refresh).
pub trait Refresh: Provider {
    /// Checks the tokens a refresh returned before
    /// [`OAuthClient::refresh`](crate::OAuthClient::refresh) hands them out. An OpenID
    /// provider verifies a new ID token here (OpenID Connect Core 1.0 §12.2), so that no
    /// ID token reaches the app unverified, from a sign-in or a refresh. The default
    /// accepts the tokens.
    ///
    /// Implement it as an `async fn`; the future must be `Send`.
    ///
    /// # Errors
    ///
    /// An error fails the refresh: the tokens are not returned.
    fn check_refreshed(
        &self,
        refreshed: Refreshed<'_>,
    ) -> impl Future<Output = Result<(), Error>> + Send {
        let _ = refreshed;
        std::future::ready(Ok(()))
    }
}

/// What [`Refresh::check_refreshed`] gets: the tokens a refresh returned, the client id
/// they were issued to, and the shared HTTP client (to fetch a key set).
#[derive(Debug, Clone, Copy)]
pub struct Refreshed<'a> {
    pub(crate) http: &'a HttpClient,
    pub(crate) provider: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) tokens: &'a Tokens,
}

impl<'a> Refreshed<'a> {
    /// The tokens the refresh returned, with the refresh token kept when the provider
    /// sent no new one.
    pub fn tokens(&self) -> &'a Tokens {
        self.tokens
    }

    /// The client id: the audience a new ID token must name.
    pub fn client_id(&self) -> &'a str {
        self.client_id
    }

    /// The shared HTTP client, for requests that carry no access token (a JWKS).
    pub fn http(&self) -> &'a HttpClient {
        self.http
    }

    /// The provider id in use (the provider's own, or the one set with
    /// [`OAuthClient::with_id`](crate::OAuthClient::with_id)).
    pub fn provider_id(&self) -> &'a str {
        self.provider
    }
}

/// Marks a provider that supports token revocation (RFC 7009) at
/// [`Endpoints::revocation`]: enables [`OAuthClient::revoke`](crate::OAuthClient::revoke).
pub trait Revoke: Provider {}

/// What [`Provider::fetch_user`] gets: the tokens, the endpoints, and a way to call the
/// provider's API through the shared client with the access token.
#[derive(Debug, Clone, Copy)]
pub struct UserRequest<'a> {
    pub(crate) http: &'a HttpClient,
    pub(crate) provider: &'a str,
    pub(crate) client_id: &'a str,
    pub(crate) tokens: &'a Tokens,
    pub(crate) endpoints: &'a Endpoints,
    pub(crate) nonce: Option<&'a str>,
    pub(crate) callback: Option<&'a crate::callback::CallbackParams>,
}

impl<'a> UserRequest<'a> {
    /// The tokens from the code exchange.
    pub fn tokens(&self) -> &'a Tokens {
        self.tokens
    }

    /// The endpoints this client uses.
    pub fn endpoints(&self) -> &'a Endpoints {
        self.endpoints
    }

    /// The client id (Twitch wants it as a header; ID tokens name it as audience).
    pub fn client_id(&self) -> &'a str {
        self.client_id
    }

    /// The `nonce` sent with the authorization request, which the ID token must carry.
    /// `None` when no nonce was sent, or when the app passed none to
    /// [`validate_code`](crate::OAuthProvider::validate_code).
    pub fn nonce(&self) -> Option<&'a str> {
        self.nonce
    }

    /// A provider-specific parameter of the callback this sign-in came from — Apple sends
    /// the user's name as `user` only there, on the first sign-in. `None` when the
    /// callback lacks it, or when the app called
    /// [`validate_code`](crate::OAuthProvider::validate_code) directly.
    pub fn callback_param(&self, name: &str) -> Option<&'a str> {
        self.callback?.extra(name)
    }

    /// The shared HTTP client, for requests that carry no access token (a JWKS).
    pub fn http(&self) -> &'a HttpClient {
        self.http
    }

    /// The provider id in use (the provider's own, or the one set with
    /// [`OAuthClient::with_id`](crate::OAuthClient::with_id)).
    pub fn provider_id(&self) -> &'a str {
        self.provider
    }

    /// The user endpoint.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the endpoints have none.
    pub fn userinfo_url(&self) -> Result<&'a Url, Error> {
        self.endpoints.userinfo.as_ref().ok_or_else(|| {
            Error::Config(format!("provider `{}` has no user endpoint", self.provider))
        })
    }

    /// A field of the token response that is not standard OAuth (Strava's `athlete`),
    /// parsed into `T`.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::TokenExchange`](crate::Phase::TokenExchange) and
    /// [`RequestErrorKind::InvalidResponse`](crate::RequestErrorKind::InvalidResponse)
    /// naming the field when it is missing or not shaped like `T`.
    pub fn token_response_field<T: DeserializeOwned>(&self, name: &str) -> Result<T, Error> {
        let invalid = |kind| RequestError::new(self.provider, Phase::TokenExchange, kind).into();
        let Some(value) = self.tokens.extra().get(name) else {
            return Err(invalid(RequestErrorKind::InvalidResponse {
                field: Some(name.to_owned()),
                reason: "missing field".to_owned(),
            }));
        };
        serde_path_to_error::deserialize(value).map_err(|e| {
            let path = e.path().to_string();
            let field = match path.as_str() {
                "." => name.to_owned(),
                index if index.starts_with('[') => format!("{name}{index}"),
                nested => format!("{name}.{nested}"),
            };
            invalid(RequestErrorKind::InvalidResponse {
                field: Some(field),
                reason: "wrong type or value".to_owned(),
            })
        })
    }

    /// A GET request with the access token as bearer token.
    #[inline]
    pub fn get(&self, url: Url) -> ApiRequest<'a> {
        self.request(Method::GET, url)
    }

    /// A request with any method, with the access token as bearer token.
    #[inline]
    pub fn request(&self, method: Method, url: Url) -> ApiRequest<'a> {
        ApiRequest::new(
            self.http,
            self.provider,
            method,
            url,
            self.tokens.access_token().secret(),
        )
    }
}
