//! [`ClientConfig`]: the app's registration with a provider.

use oauth2::ClientSecret;
use url::Url;

/// The app's registration with a provider: client id, client secret, redirect URI, and
/// what the app adds to the provider's defaults (scopes, authorization parameters).
///
/// ```
/// use portcullis::ClientConfig;
///
/// let config = ClientConfig::new("client-id", "client-secret")
///     .redirect_uri("https://app.example/login/github/callback".parse()?)
///     .scope("user:email");
/// # Ok::<(), url::ParseError>(())
/// ```
///
/// The secret is redacted in `Debug`.
#[derive(Debug, Clone)]
pub struct ClientConfig {
    pub(crate) client_id: String,
    pub(crate) client_secret: Option<ClientSecret>,
    pub(crate) redirect_uri: Option<Url>,
    pub(crate) scopes: Vec<String>,
    pub(crate) authorization_params: Vec<(String, String)>,
}

impl ClientConfig {
    /// A confidential client: one that can keep a secret (a server-side app).
    pub fn new(client_id: impl Into<String>, client_secret: impl Into<String>) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            client_secret: Some(ClientSecret::new(client_secret.into())),
            redirect_uri: None,
            scopes: Vec::new(),
            authorization_params: Vec::new(),
        }
    }

    /// A public client: no secret, only `client_id` is sent. For PKCE providers only:
    /// [`OAuthClient::new`](crate::OAuthClient::new) refuses it for a provider without
    /// PKCE, unless the provider makes its own secret (Apple).
    pub fn public(client_id: impl Into<String>) -> Self {
        ClientConfig {
            client_id: client_id.into(),
            client_secret: None,
            redirect_uri: None,
            scopes: Vec::new(),
            authorization_params: Vec::new(),
        }
    }

    /// The redirect URI registered with the provider; sent with the authorization
    /// request and the code exchange.
    #[must_use]
    pub fn redirect_uri(mut self, redirect_uri: Url) -> Self {
        self.redirect_uri = Some(redirect_uri);
        self
    }

    /// Requests a scope on top of the provider's default scopes.
    #[must_use]
    pub fn scope(mut self, scope: impl Into<String>) -> Self {
        self.scopes.push(scope.into());
        self
    }

    /// Requests several scopes on top of the provider's default scopes.
    #[must_use]
    pub fn scopes<I, S>(mut self, scopes: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        self.scopes.extend(scopes.into_iter().map(Into::into));
        self
    }

    /// Adds a parameter to the authorization URL, e.g. `prompt=consent` or
    /// `login_hint=…`. Sent after the standard and the provider's parameters; replaces a
    /// provider parameter of the same name. The parameters the flow sets itself
    /// (`state`, `scope`, `code_challenge`, …) are refused by
    /// [`OAuthClient::new`](crate::OAuthClient::new).
    #[must_use]
    pub fn authorization_param(
        mut self,
        name: impl Into<String>,
        value: impl Into<String>,
    ) -> Self {
        self.authorization_params.push((name.into(), value.into()));
        self
    }

    /// The client id.
    pub fn client_id(&self) -> &str {
        &self.client_id
    }
}
