//! [`OAuthClient`]: a provider bound to an app's client configuration and user store,
//! and the [`OAuthProvider`] trait it implements — the whole sign-in flow, once.

use std::borrow::Cow;
use std::time::{Duration, SystemTime};

use oauth2::basic::{
    BasicErrorResponse, BasicRevocationErrorResponse, BasicTokenIntrospectionResponse,
};
use oauth2::{
    AccessToken, AuthType, AuthUrl, AuthorizationCode, ClientId, CsrfToken, EndpointNotSet,
    EndpointSet, PkceCodeChallenge, PkceCodeVerifier, RedirectUrl, RefreshToken, RequestTokenError,
    RevocableToken, Scope, StandardRevocableToken, TokenUrl,
};

use crate::adapter::{Key, UserAdapter};
use crate::authorization::{AuthorizationUrl, PendingAuthorization};
use crate::callback::CallbackParams;
use crate::config::ClientConfig;
use crate::error::{CallbackError, Error, Phase, RequestError, RequestErrorKind};
use crate::http::{HttpClient, invalid_response};
use crate::provider::{
    ClientAuth, Endpoints, Pkce, Provider, ProviderUser, Refresh, Refreshed, Revoke, UserRequest,
};
use crate::session::ProviderSession;
use crate::token::{TokenResponse, Tokens};

/// A sign-in provider bound to the app's user store: Lucia's `OAuthProvider`.
///
/// [`OAuthClient`] implements it for every provider crate. Its sign-in methods are
/// `async`, so it is not object safe: a registry of different providers holds them as
/// [`DynOAuthProvider`](crate::DynOAuthProvider) (see [`OAuthClient::into_dyn`]), which
/// implements it too, with the user type erased and the futures boxed. A client used
/// directly boxes nothing.
///
/// The whole flow, against a local stand-in for GitHub:
///
/// ```
/// use portcullis::{CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
/// use portcullis_github::GitHub;
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// # let mut server = mockito::Server::new_async().await;
/// # server.mock("POST", "/login/oauth/access_token").with_header("content-type", "application/json")
/// #     .with_body(r#"{"access_token":"gho_x","token_type":"bearer","scope":"read:user"}"#).create_async().await;
/// # server.mock("GET", "/user").with_header("content-type", "application/json")
/// #     .with_body(r#"{"id":1,"login":"octocat","name":"The Octocat","email":null,"avatar_url":"https://a/1"}"#)
/// #     .create_async().await;
/// let store = MemoryAdapter::<String>::new();
/// let github = OAuthClient::new(
///     GitHub::new(),
///     ClientConfig::new("client-id", "client-secret")
///         .redirect_uri("http://localhost:3000/login/github/callback".parse()?),
///     store.clone(),
/// )?
/// # .with_endpoints(portcullis::Provider::endpoints(&GitHub::new()).rebased(&server.url())?)
/// ;
///
/// // 1. `GET /login/github`: send the user to GitHub, keep `pending` (encrypted cookie).
/// let auth = github.authorization_url();
/// let pending = auth.pending;
/// # let state = pending.state().to_owned();
///
/// // 2. `GET /login/github/callback?code=…&state=…`: validate and sign in.
/// # let query = format!("code=the-code&state={state}");
/// let params = CallbackParams::from_query(&query)?;
/// let session = github.validate_callback(&params, &pending).await?;
/// let user = match session.existing_user.clone() {
///     Some(user) => user,
///     None => session.create_user(session.profile().name.unwrap_or_default()).await?,
/// };
/// assert_eq!(session.provider_user.login, "octocat");
/// assert_eq!(session.key().to_string(), "github:1");
/// assert_eq!(user.attributes, "The Octocat");
/// # Ok(())
/// # }
/// ```
pub trait OAuthProvider: Send + Sync {
    /// The provider's typed user.
    type User: ProviderUser;
    /// The app's user store.
    type Adapter: UserAdapter;

    /// The provider id stored in user keys (`github`).
    fn id(&self) -> &str;

    /// The provider's display name (`GitHub`), for "Sign in with …" buttons.
    /// [`OAuthClient::with_name`] sets another.
    fn name(&self) -> &str;

    /// Starts a sign-in: the URL to redirect the user to, with a fresh `state` (and PKCE
    /// challenge, and `nonce` for OpenID Connect requests), and the
    /// [`PendingAuthorization`] to keep until the callback.
    fn authorization_url(&self) -> AuthorizationUrl;

    /// Validates the provider's redirect back and returns the session.
    ///
    /// Checks, in order: the provider's `error=…` (e.g. the user pressed "Cancel"), that
    /// `pending` belongs to this provider, the `state` (constant-time), the `iss`
    /// parameter when present (RFC 9207), and that a `code` is present. Then exchanges
    /// the code (with the PKCE verifier), fetches the provider user and looks the user
    /// up in the store.
    ///
    /// # Errors
    ///
    /// [`Error::Callback`] for a callback that must not be exchanged;
    /// [`Error::Request`] when the provider fails; [`Error::Store`] when the store does.
    fn validate_callback(
        &self,
        callback: &CallbackParams,
        pending: &PendingAuthorization,
    ) -> impl Future<Output = Result<ProviderSession<Self::User, Self::Adapter>, Error>> + Send;

    /// The bare flow `validate_callback` is built on, for apps that check `state`
    /// themselves: exchanges `code` (with the PKCE `code_verifier` for PKCE providers),
    /// fetches the provider user — checking its ID token against `nonce` for OpenID
    /// Connect providers — and looks the user up (Lucia's `validateCallback(code)`).
    ///
    /// # Errors
    ///
    /// As [`OAuthProvider::validate_callback`], without the callback checks.
    fn validate_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> impl Future<Output = Result<ProviderSession<Self::User, Self::Adapter>, Error>> + Send;
}

/// Authorization parameters the flow sets itself; an app may not set them.
const RESERVED_PARAMS: &[&str] = &[
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "code_challenge",
    "code_challenge_method",
    "nonce",
];

type Oauth2Client = oauth2::Client<
    BasicErrorResponse,
    TokenResponse,
    BasicTokenIntrospectionResponse,
    StandardRevocableToken,
    BasicRevocationErrorResponse,
    EndpointSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointNotSet,
    EndpointSet,
>;

/// A [`Provider`] bound to the app's [`ClientConfig`] and [`UserAdapter`]: the type that
/// runs sign-ins. Build one per provider at start-up and share it.
pub struct OAuthClient<P: Provider, A: UserAdapter> {
    id: Cow<'static, str>,
    name: Cow<'static, str>,
    provider: P,
    config: ClientConfig,
    endpoints: Endpoints,
    http: HttpClient,
    adapter: A,
    oauth2: Oauth2Client,
}

impl<P: Provider, A: UserAdapter> OAuthClient<P, A> {
    /// Binds `provider` to the app's registration and user store, with a default
    /// [`HttpClient`].
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the provider needs a redirect URI and `config` has none,
    /// when `config` has a client secret for a provider with public clients only
    /// ([`ClientAuth::None`]), when `config` is a [public](ClientConfig::public) client
    /// of a provider without PKCE (nothing would bind the code to this client: RFC 9700
    /// §2.1.1), or when `config` sets an authorization parameter the flow sets itself
    /// (`state`, `scope`, `code_challenge`, …).
    pub fn new(provider: P, config: ClientConfig, adapter: A) -> Result<Self, Error> {
        if provider.client_auth() == ClientAuth::None && config.client_secret.is_some() {
            return Err(Error::Config(format!(
                "{} takes public clients only, with no secret: use ClientConfig::public",
                P::INFO.name
            )));
        }
        if config.client_secret.is_none() && P::INFO.pkce == Pkce::None && !P::MAKES_CLIENT_SECRET {
            return Err(Error::Config(format!(
                "{} does not support PKCE, so a public client (no secret) would be unprotected: \
                 use ClientConfig::new with the client secret",
                P::INFO.name
            )));
        }
        if P::INFO.requires_redirect_uri && config.redirect_uri.is_none() {
            return Err(Error::Config(format!(
                "{} needs a redirect URI: set ClientConfig::redirect_uri",
                P::INFO.name
            )));
        }
        if let Some((name, _)) = config
            .authorization_params
            .iter()
            .find(|(name, _)| RESERVED_PARAMS.contains(&name.as_str()))
        {
            return Err(Error::Config(format!(
                "the authorization parameter `{name}` is set by Portcullis and cannot be overridden"
            )));
        }
        let endpoints = provider.endpoints();
        let oauth2 = oauth2_client(&provider, &config, &endpoints);
        Ok(OAuthClient {
            id: Cow::Borrowed(P::INFO.id),
            name: Cow::Borrowed(P::INFO.name),
            provider,
            config,
            endpoints,
            http: HttpClient::new(),
            adapter,
            oauth2,
        })
    }

    /// Uses other endpoints: a proxy, a staging server, a mock in tests.
    #[must_use]
    pub fn with_endpoints(mut self, endpoints: Endpoints) -> Self {
        self.oauth2 = oauth2_client(&self.provider, &self.config, &endpoints);
        self.endpoints = endpoints;
        self
    }

    /// Uses another provider id in keys and pending authorizations than the provider's
    /// own (`github`): for a second instance of the same provider whose users must stay
    /// apart — a GitHub Enterprise Server beside github.com, a self-hosted GitLab beside
    /// gitlab.com. Without it, `github:1` on two servers would be one identity.
    #[must_use]
    pub fn with_id(mut self, id: impl Into<Cow<'static, str>>) -> Self {
        self.id = id.into();
        self
    }

    /// Uses another display name than the provider's own (`GitHub`), for the "Sign in
    /// with …" button of a second instance ([`with_id`](Self::with_id)): "GitHub
    /// Enterprise" beside "GitHub". It is what [`OAuthProvider::name`] returns, and
    /// nothing else: errors still name the provider by [`ProviderInfo::name`].
    ///
    /// [`ProviderInfo::name`]: crate::ProviderInfo::name
    #[must_use]
    pub fn with_name(mut self, name: impl Into<Cow<'static, str>>) -> Self {
        self.name = name.into();
        self
    }

    /// This client behind [`DynOAuthProvider`](crate::DynOAuthProvider), its user type
    /// erased to [`AnyUser`](crate::AnyUser), so providers of every kind can share one
    /// registry.
    pub fn into_dyn(self) -> std::sync::Arc<crate::DynOAuthProvider<A>> {
        crate::erased::erase(self)
    }

    /// Uses a shared or differently configured HTTP client.
    #[must_use]
    pub fn with_http_client(mut self, http: HttpClient) -> Self {
        self.http = http;
        self
    }

    /// The provider.
    pub fn provider(&self) -> &P {
        &self.provider
    }

    /// The endpoints in use.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    /// The user store.
    pub fn adapter(&self) -> &A {
        &self.adapter
    }

    /// Exchanges an authorization code for tokens. Never retried: a code is single-use.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::TokenExchange`].
    pub async fn exchange_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
    ) -> Result<Tokens, Error> {
        let mut own = None;
        let oauth2 = self.oauth2_for_request(&mut own)?;
        let mut request = oauth2.exchange_code(AuthorizationCode::new(code.to_owned()));
        if let Some(verifier) = code_verifier {
            request = request.set_pkce_verifier(PkceCodeVerifier::new(verifier.to_owned()));
        }
        let http = self.http.for_oauth2(&self.id, Phase::TokenExchange);
        let response = request
            .request_async(&http)
            .await
            .map_err(|e| oauth2_error(&self.id, Phase::TokenExchange, e))
            .map_err(|e| match e {
                Error::Request(e) => Error::Request(e.redact(code)),
                other => other,
            })?;
        self.tokens(Phase::TokenExchange, response)
    }

    /// Fetches the provider's user with `tokens`.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::UserInfo`]; [`Error::Config`] when the provider
    /// needs a user endpoint and the endpoints have none.
    pub async fn fetch_user(&self, tokens: &Tokens) -> Result<P::User, Error> {
        self.fetch_user_from(tokens, None, None).await
    }

    /// The user fetch of a sign-in: with the nonce and the callback it came from.
    async fn fetch_user_from(
        &self,
        tokens: &Tokens,
        nonce: Option<&str>,
        callback: Option<&CallbackParams>,
    ) -> Result<P::User, Error> {
        self.provider
            .fetch_user(UserRequest {
                http: &self.http,
                provider: &self.id,
                client_id: &self.config.client_id,
                tokens,
                endpoints: &self.endpoints,
                nonce,
                callback,
            })
            .await
    }

    /// Exchanges the code, fetches the user, looks the user up.
    async fn sign_in(
        &self,
        code: &str,
        code_verifier: Option<&str>,
        nonce: Option<&str>,
        callback: Option<&CallbackParams>,
    ) -> Result<ProviderSession<P::User, A>, Error> {
        let tokens = self.exchange_code(code, code_verifier).await?;
        let user = self
            .fetch_user_from(&tokens, nonce, callback)
            .await
            .map_err(Error::after_code_exchange)?;
        let key = Key::new(self.id.as_ref(), user.provider_user_id());
        let existing_user = self.adapter.user_by_key(&key).await?;
        Ok(ProviderSession::new(
            &self.id,
            user,
            tokens,
            existing_user,
            self.adapter.clone(),
        ))
    }

    /// The `oauth2` client for one request that authenticates the client: the one built
    /// from the configuration, or one holding the provider's own secret
    /// ([`Provider::client_secret`]), built in `own`. Boxed: `own` lives in the request's
    /// future, which would otherwise carry the 700-byte client for every provider.
    fn oauth2_for_request<'a>(
        &'a self,
        own: &'a mut Option<Box<Oauth2Client>>,
    ) -> Result<&'a Oauth2Client, Error> {
        Ok(match self.provider.client_secret(&self.config.client_id)? {
            Some(secret) => own.insert(Box::new(
                oauth2_client(&self.provider, &self.config, &self.endpoints)
                    .set_client_secret(secret),
            )),
            None => &self.oauth2,
        })
    }

    fn tokens(&self, phase: Phase, response: TokenResponse) -> Result<Tokens, Error> {
        response
            .into_tokens()
            .map_err(|kind| RequestError::new(&self.id, phase, kind).into())
    }

    fn scopes(&self) -> Vec<String> {
        let mut scopes: Vec<String> = Vec::new();
        let all = P::INFO
            .default_scopes
            .iter()
            .copied()
            .chain(self.config.scopes.iter().map(String::as_str));
        for scope in all {
            if !scopes.iter().any(|s| s == scope) {
                scopes.push(scope.to_owned());
            }
        }
        scopes
    }
}

impl<P: Refresh, A: UserAdapter> OAuthClient<P, A> {
    /// Gets fresh tokens with a refresh token. When the provider does not rotate the
    /// refresh token, the returned tokens keep the one passed in. The provider checks
    /// them first ([`Refresh::check_refreshed`]): an OpenID provider verifies a new ID
    /// token as it does a sign-in's, without the `nonce`.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::Refresh`]; `invalid_grant` means the user must
    /// sign in again. [`Error::IdToken`] when a new ID token fails verification
    /// ([`Error::Request`] with [`Phase::Jwks`] when the keys to verify it cannot be
    /// fetched).
    pub async fn refresh(&self, refresh_token: &RefreshToken) -> Result<Tokens, Error> {
        let http = self.http.for_oauth2(&self.id, Phase::Refresh);
        let mut own = None;
        let response = self
            .oauth2_for_request(&mut own)?
            .exchange_refresh_token(refresh_token)
            .request_async(&http)
            .await
            .map_err(|e| oauth2_error(&self.id, Phase::Refresh, e))?;
        let tokens = self
            .tokens(Phase::Refresh, response)?
            .refreshed(refresh_token);
        let refreshed = Refreshed {
            http: &self.http,
            provider: &self.id,
            client_id: self.config.client_id.as_str(),
            tokens: &tokens,
        };
        self.provider.check_refreshed(refreshed).await?;
        Ok(tokens)
    }

    /// The access token of `tokens`, refreshed first when it expires within `margin`:
    /// for an app that keeps a user's tokens to call the provider's API.
    ///
    /// Callers sharing `tokens` wait for one refresh rather than each sending its own:
    /// the lock is held while the refresh runs. That matters because refresh tokens are
    /// often single-use (Box, X, Auth0 with rotation): a second refresh with the one
    /// just spent fails, and some providers then revoke the whole grant. After a
    /// refresh, `tokens` holds the new tokens (the refresh token kept when the provider
    /// sent none).
    ///
    /// Tokens with no known expiry, or with no refresh token, are returned as they are:
    /// only the provider can say they no longer work.
    ///
    /// ```no_run
    /// # use std::time::Duration;
    /// # use portcullis::{OAuthClient, Refresh, Tokens, UserAdapter};
    /// # async fn call_api<P: Refresh, A: UserAdapter>(
    /// #     client: &OAuthClient<P, A>,
    /// #     tokens: &tokio::sync::Mutex<Tokens>,
    /// # ) -> Result<(), portcullis::Error> {
    /// // `tokens`: the user's, shared by every request handler of that user.
    /// let access_token = client.fresh_access_token(tokens, Duration::from_secs(60)).await?;
    /// // … call the provider's API with `access_token.secret()`.
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// As [`refresh`](Self::refresh); `tokens` is then unchanged, and the next caller
    /// tries again.
    pub async fn fresh_access_token(
        &self,
        tokens: &tokio::sync::Mutex<Tokens>,
        margin: Duration,
    ) -> Result<AccessToken, Error> {
        let mut tokens = tokens.lock().await;
        let expiring = tokens
            .expires_at()
            .is_some_and(|at| at <= SystemTime::now() + margin);
        if let (true, Some(refresh_token)) = (expiring, tokens.refresh_token()) {
            *tokens = self.refresh(refresh_token).await?;
        }
        Ok(tokens.access_token().clone())
    }
}

impl<P: Revoke, A: UserAdapter> OAuthClient<P, A> {
    /// Revokes an access or refresh token (RFC 7009), e.g. on sign-out.
    ///
    /// ```no_run
    /// # use portcullis::{OAuthClient, Revoke, Tokens, UserAdapter};
    /// # async fn sign_out<P: Revoke, A: UserAdapter>(client: &OAuthClient<P, A>, tokens: &Tokens)
    /// #     -> Result<(), portcullis::Error> {
    /// if let Some(refresh_token) = tokens.refresh_token() {
    ///     client.revoke(refresh_token.clone()).await?;
    /// }
    /// # Ok(()) }
    /// ```
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::Revoke`]; [`Error::Config`] when the endpoints
    /// have no revocation URL.
    pub async fn revoke(&self, token: impl Into<StandardRevocableToken>) -> Result<(), Error> {
        // Sent by hand: `oauth2` refuses revocation URLs that are not HTTPS, which rules
        // out local identity providers in development and tests. Client authentication
        // follows the provider's `ClientAuth` exactly as `oauth2` does for the token
        // endpoint (RFC 6749 §2.3.1: id and secret form-urlencoded before Basic).
        let url =
            self.endpoints.revocation.clone().ok_or_else(|| {
                Error::Config(format!("{} has no revocation endpoint", P::INFO.name))
            })?;
        let token = token.into();
        let mut form = vec![("token", token.secret())];
        if let Some(hint) = token.type_hint() {
            form.push(("token_type_hint", hint));
        }
        let mut request = self.http.request(reqwest::Method::POST, url);
        let client_id = self.config.client_id.as_str();
        let provider_secret = self.provider.client_secret(client_id)?;
        let client_secret = provider_secret
            .as_ref()
            .or(self.config.client_secret.as_ref());
        match (client_secret, self.provider.client_auth()) {
            (Some(client_secret), ClientAuth::Basic) => {
                let encode = |s: &str| {
                    url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>()
                };
                request =
                    request.basic_auth(encode(client_id), Some(encode(client_secret.secret())));
            }
            (Some(client_secret), ClientAuth::RequestBody) => {
                form.push(("client_id", client_id));
                form.push(("client_secret", client_secret.secret()));
            }
            (None, _) | (_, ClientAuth::None) => form.push(("client_id", client_id)),
        }
        let body = url::form_urlencoded::Serializer::new(String::new())
            .extend_pairs(form)
            .finish();
        let request = request
            .header(
                reqwest::header::CONTENT_TYPE,
                "application/x-www-form-urlencoded",
            )
            .body(body)
            .build()
            .map_err(|e| {
                RequestError::new(
                    &self.id,
                    Phase::Revoke,
                    RequestErrorKind::Transport(Box::new(e.without_url())),
                )
            });
        self.http
            .execute_token_request(&self.id, Phase::Revoke, request)
            .await?;
        Ok(())
    }
}

impl<P: Provider, A: UserAdapter> OAuthProvider for OAuthClient<P, A> {
    type User = P::User;
    type Adapter = A;

    fn id(&self) -> &str {
        &self.id
    }

    fn name(&self) -> &str {
        &self.name
    }

    fn authorization_url(&self) -> AuthorizationUrl {
        let scopes = self.scopes();
        let mut request = self.oauth2.authorize_url(CsrfToken::new_random);
        request = match P::INFO.scope_delimiter {
            // `oauth2` joins scopes with spaces itself.
            " " => request.add_scopes(scopes.iter().cloned().map(Scope::new)),
            _ if scopes.is_empty() => request,
            delimiter => request.add_scope(Scope::new(scopes.join(delimiter))),
        };
        let code_verifier = match P::INFO.pkce {
            Pkce::S256 => {
                let (challenge, verifier) = PkceCodeChallenge::new_random_sha256();
                request = request.set_pkce_challenge(challenge);
                Some(verifier.secret().clone())
            }
            Pkce::None => None,
        };
        // An OpenID Connect request (scope `openid`) binds the ID token to this sign-in.
        let nonce = scopes
            .iter()
            .any(|s| s == "openid")
            .then(|| CsrfToken::new_random().secret().clone());
        if let Some(nonce) = &nonce {
            request = request.add_extra_param("nonce", nonce.clone());
        }
        // The app's parameters replace the provider's defaults of the same name.
        for (name, value) in self.provider.authorization_params() {
            if !self
                .config
                .authorization_params
                .iter()
                .any(|(n, _)| n == name)
            {
                request = request.add_extra_param(name, value);
            }
        }
        for (name, value) in &self.config.authorization_params {
            request = request.add_extra_param(name.clone(), value.clone());
        }
        let (url, state) = request.url();
        AuthorizationUrl {
            url,
            pending: PendingAuthorization::new(
                &self.id,
                state.secret().clone(),
                code_verifier,
                nonce,
            ),
        }
    }

    async fn validate_callback(
        &self,
        callback: &CallbackParams,
        pending: &PendingAuthorization,
    ) -> Result<ProviderSession<P::User, A>, Error> {
        if let Some(error) = callback.error() {
            return Err(error.into());
        }
        if pending.provider() != self.id {
            return Err(CallbackError::ProviderMismatch {
                expected: self.id.to_string(),
                found: pending.provider().to_owned(),
            }
            .into());
        }
        let state = callback.state().ok_or(CallbackError::MissingState)?;
        if !pending.state_matches(state) {
            return Err(CallbackError::StateMismatch.into());
        }
        if self.endpoints.issuer_required && callback.iss().is_none() {
            return Err(CallbackError::MissingIssuer.into());
        }
        if let (Some(found), Some(expected)) = (callback.iss(), &self.endpoints.issuer)
            && found != expected
        {
            return Err(CallbackError::IssuerMismatch {
                expected: expected.clone(),
                found: found.to_owned(),
            }
            .into());
        }
        let code = callback.code().ok_or(CallbackError::MissingCode)?;
        self.sign_in(
            code,
            pending.code_verifier(),
            pending.nonce(),
            Some(callback),
        )
        .await
    }

    async fn validate_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<ProviderSession<P::User, A>, Error> {
        self.sign_in(code, code_verifier, nonce, None).await
    }
}

impl<P: Provider + std::fmt::Debug, A: UserAdapter + std::fmt::Debug> std::fmt::Debug
    for OAuthClient<P, A>
{
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("OAuthClient")
            .field("provider", &self.provider)
            .field("config", &self.config)
            .field("endpoints", &self.endpoints)
            .field("adapter", &self.adapter)
            .finish_non_exhaustive()
    }
}

fn oauth2_client<P: Provider>(
    provider: &P,
    config: &ClientConfig,
    endpoints: &Endpoints,
) -> Oauth2Client {
    let client = oauth2::Client::new(ClientId::new(config.client_id.clone()))
        .set_auth_uri(AuthUrl::from_url(endpoints.authorization.clone()))
        .set_token_uri(TokenUrl::from_url(endpoints.token.clone()))
        .set_auth_type(match provider.client_auth() {
            ClientAuth::Basic => AuthType::BasicAuth,
            // Without a secret (`new` refuses one), `oauth2` sends `client_id` alone.
            ClientAuth::RequestBody | ClientAuth::None => AuthType::RequestBody,
        });
    let client = match &config.client_secret {
        Some(secret) => client.set_client_secret(secret.clone()),
        None => client,
    };
    match &config.redirect_uri {
        Some(uri) => client.set_redirect_uri(RedirectUrl::from_url(uri.clone())),
        None => client,
    }
}

/// Maps `oauth2`'s error. Our HTTP layer already turned every error response into a
/// [`RequestError`], so what is left is a body `oauth2` could not parse — reported by
/// field, never with the body, which may hold tokens.
fn oauth2_error<T: oauth2::ErrorResponse>(
    provider: &str,
    phase: Phase,
    error: RequestTokenError<RequestError, T>,
) -> Error {
    let kind = match error {
        RequestTokenError::Request(e) => return e.into(),
        RequestTokenError::Parse(e, _body) => invalid_response(&e),
        RequestTokenError::Other(message) => RequestErrorKind::InvalidResponse {
            field: None,
            reason: message,
        },
        RequestTokenError::ServerResponse(_) => RequestErrorKind::InvalidResponse {
            field: None,
            reason: "unexpected error response".to_owned(),
        },
    };
    RequestError::new(provider, phase, kind).into()
}
