//! An in-process mock OAuth 2.0 authorization server: what an app's own tests and a
//! demo use to sign in without the internet.
//!
//! [`MockProvider`] is a real HTTP server on `127.0.0.1` serving [`TestProvider`]'s
//! endpoints — `/authorize`, `/token`, `/revoke` and `/userinfo` — so a client points
//! at it with
//! `OAuthClient::with_endpoints(TestProvider.endpoints().rebased(&mock.url())?)` (or
//! [`MockProvider::endpoints`]), and a browser can sign in through it too.
//!
//! It checks what a strict real server checks — the client's credentials (HTTP Basic,
//! form-urlencoded per RFC 6749 §2.3.1, or in the body), PKCE S256, that a code is used
//! once, within its lifetime, with the `redirect_uri` it was issued for — and answers
//! with RFC 6749 errors. [`MockProvider::fail_next`] makes it misbehave on demand, and
//! [`MockProvider::requests`] counts what it received.
//!
//! # OpenID Connect mode
//!
//! With [`MockProviderBuilder::oidc`] the server is also an OpenID provider whose issuer
//! identifier is [`MockProvider::url`], exactly: it serves a discovery document at
//! `/.well-known/openid-configuration` and its signing key at `/jwks`, and answers
//! authorization requests with scope `openid` as an OpenID provider does — `iss` on the
//! redirect back (RFC 9207), an RS256-signed `id_token` (with the request's `nonce` and
//! an `at_hash`) in the token response, the standard claims from `/userinfo`. An app
//! signs in through it with `portcullis-oidc`'s `Oidc` provider, offline:
//!
//! ```
//! use portcullis::{CallbackParams, ClientConfig, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider, Phase};
//! use portcullis_oidc::{Oidc, OidcOptions};
//! use portcullis_testkit::mock::{MockProvider, MockUser};
//!
//! # #[tokio::main(flavor = "current_thread")]
//! # async fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let mock = MockProvider::builder()
//!     .oidc(true)
//!     .client("my-app", Some("my-secret"))
//!     .user(MockUser::new("u1").name("Ada Lovelace").email("ada@example.com", true))
//!     .start()
//!     .await?;
//!
//! // Discovery: the mock's URL is the issuer.
//! let oidc = Oidc::discover(&mock.url(), &HttpClient::new(), OidcOptions::new()).await?;
//! let client = OAuthClient::new(
//!     oidc,
//!     ClientConfig::new("my-app", "my-secret")
//!         .redirect_uri("http://localhost:3000/callback".parse()?)
//!         .scopes(["profile", "email"]),
//!     MemoryAdapter::<String>::new(),
//! )?;
//!
//! // The browser's part: the mock approves at once and redirects back with `code`,
//! // `state` and `iss`.
//! let auth = client.authorization_url();
//! let browser = reqwest::Client::builder()
//!     .redirect(reqwest::redirect::Policy::none())
//!     .build()?;
//! let response = browser.get(auth.url.clone()).send().await?;
//! let location = portcullis::Url::parse(response.headers()["location"].to_str()?)?;
//! let callback = CallbackParams::from_query(location.query().unwrap_or_default())?;
//!
//! // The ID token is verified with the key from `/jwks`, then userinfo is merged in.
//! let session = client.validate_callback(&callback, &auth.pending).await?;
//! assert_eq!(session.provider_user.sub, "u1");
//! assert_eq!(session.provider_user.issuer(), Some(mock.url().as_str()));
//! assert_eq!(session.profile().verified_email(), Some("ada@example.com"));
//! assert_eq!(mock.requests(Phase::Jwks), 1);
//!
//! // The issuer rotates its key: the next sign-in's ID token names a key the client has
//! // not cached, and the client fetches the key set again.
//! mock.rotate_keys();
//! # let auth = client.authorization_url();
//! # let response = browser.get(auth.url.clone()).send().await?;
//! # let location = portcullis::Url::parse(response.headers()["location"].to_str()?)?;
//! # let callback = CallbackParams::from_query(location.query().unwrap_or_default())?;
//! # client.validate_callback(&callback, &auth.pending).await?;
//! # assert_eq!(mock.requests(Phase::Jwks), 2);
//! # Ok(())
//! # }
//! ```
//!
//! [`MockProvider::fail_next`] works on [`Phase::Discovery`] and [`Phase::Jwks`] there
//! too. Requests without scope `openid` are answered as without OpenID Connect mode, so
//! [`TestProvider`] clients can share the server. The signing keys are fixed test keys
//! embedded in this crate — public, so trust them in tests only.

mod handlers;
mod oidc;
mod page;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use portcullis::{Endpoints, Phase, Provider};
use rand::Rng;
use rand::distributions::Alphanumeric;
use tokio::sync::oneshot;
use url::Url;

use crate::{TestProvider, TestUser};

/// How long an authorization code stays valid unless
/// [`MockProviderBuilder::code_lifetime`] says otherwise: 60 seconds.
pub const DEFAULT_CODE_LIFETIME: Duration = Duration::from_secs(60);

/// The `expires_in` of every access token, in seconds. Expiry is announced, not
/// enforced: a token stays valid until it is revoked.
pub const ACCESS_TOKEN_LIFETIME_SECS: u64 = 3600;

/// The lifetime of every ID token in OpenID Connect mode (`exp` − `iat`), in seconds:
/// one hour, as the access tokens'.
pub const ID_TOKEN_LIFETIME_SECS: u64 = 3600;

/// How long an approval page's request id can be answered.
const PENDING_LIFETIME: Duration = Duration::from_secs(600);

/// A mock OAuth 2.0 authorization server on `127.0.0.1`, serving [`TestProvider`]'s
/// endpoints. The server stops when this value is dropped.
///
/// A whole sign-in against it, with the browser's part (following the redirect of
/// `/authorize`) done by hand:
///
/// ```
/// use portcullis::{CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Provider};
/// use portcullis_testkit::TestProvider;
/// use portcullis_testkit::mock::{MockProvider, MockUser};
///
/// # #[tokio::main(flavor = "current_thread")]
/// # async fn main() -> Result<(), Box<dyn std::error::Error>> {
/// let mock = MockProvider::builder()
///     .client("my-app", Some("my-secret"))
///     .user(MockUser::new("u1").name("Ada Lovelace").email("ada@example.com", true))
///     .start()
///     .await?;
///
/// let client: OAuthClient<TestProvider, MemoryAdapter<String>> = OAuthClient::new(
///     TestProvider,
///     ClientConfig::new("my-app", "my-secret")
///         .redirect_uri("http://localhost:3000/callback".parse()?),
///     MemoryAdapter::new(),
/// )?
/// .with_endpoints(TestProvider.endpoints().rebased(&mock.url())?);
///
/// // The app redirects the browser to the authorization URL…
/// let auth = client.authorization_url();
/// // …the mock approves at once (`Approval::Auto`) and redirects back to the app.
/// let browser = reqwest::Client::builder()
///     .redirect(reqwest::redirect::Policy::none())
///     .build()?;
/// let response = browser.get(auth.url.clone()).send().await?;
/// assert_eq!(response.status(), 303);
/// let location = portcullis::Url::parse(response.headers()["location"].to_str()?)?;
/// assert!(location.as_str().starts_with("http://localhost:3000/callback?code="));
///
/// // The app's callback handler: exchange the code, fetch the user.
/// let callback = CallbackParams::from_query(location.query().unwrap_or_default())?;
/// let session = client.validate_callback(&callback, &auth.pending).await?;
/// assert_eq!(session.provider_user.id, "u1");
/// assert_eq!(session.profile().verified_email(), Some("ada@example.com"));
/// assert!(session.existing_user.is_none());
/// # Ok(())
/// # }
/// ```
pub struct MockProvider {
    addr: SocketAddr,
    state: Shared,
    // Dropping it tells the server task to stop.
    _shutdown: oneshot::Sender<()>,
}

impl MockProvider {
    /// Starts configuring a mock server.
    pub fn builder() -> MockProviderBuilder {
        MockProviderBuilder {
            clients: Vec::new(),
            users: Vec::new(),
            approval: Approval::default(),
            code_lifetime: DEFAULT_CODE_LIFETIME,
            oidc: false,
        }
    }

    /// The server's base URL, `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The address the server listens on.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// [`TestProvider`]'s endpoints on this server: the same as
    /// `TestProvider.endpoints().rebased(&mock.url())`. The issuer stays
    /// [`TestProvider`]'s, and the server sends no `iss` with its redirects — except, in
    /// OpenID Connect mode, to requests with scope `openid`, which an OpenID Connect
    /// client makes with the endpoints it discovers.
    ///
    /// # Panics
    ///
    /// Never: the server's URL is always absolute.
    pub fn endpoints(&self) -> Endpoints {
        TestProvider
            .endpoints()
            .rebased(&self.url())
            .expect("the mock's URL is absolute")
    }

    /// Makes the next request of `phase` fail with `fault` (or, for [`Fault::Delay`],
    /// wait first). Faults queue: each request of the phase takes the oldest.
    ///
    /// `/token` requests with `grant_type=refresh_token` are [`Phase::Refresh`]; every
    /// other `/token` request is [`Phase::TokenExchange`]. In OpenID Connect mode,
    /// `/.well-known/openid-configuration` is [`Phase::Discovery`] and `/jwks` is
    /// [`Phase::Jwks`].
    ///
    /// # Panics
    ///
    /// When `phase` is not one the server serves (`TokenExchange`, `UserInfo`,
    /// `Refresh`, `Revoke`, and `Discovery` and `Jwks` in OpenID Connect mode), or when a
    /// [`Fault::Status`] code is not a valid HTTP status.
    pub fn fail_next(&self, phase: Phase, fault: Fault) {
        let oidc = self.lock().oidc.is_some();
        assert!(
            served(phase, oidc),
            "the mock serves no {phase} endpoint: faults apply to TokenExchange, UserInfo, Refresh and Revoke, \
             and to Discovery and Jwks in OpenID Connect mode (MockProviderBuilder::oidc)"
        );
        if let Fault::Status(status, _) = fault {
            assert!(
                axum::http::StatusCode::from_u16(status).is_ok(),
                "{status} is not an HTTP status code"
            );
        }
        self.lock()
            .faults
            .entry(phase)
            .or_default()
            .push_back(fault);
    }

    /// How many requests of `phase` the server received, faulty and refused ones
    /// included. Always 0 for a phase the server does not serve.
    pub fn requests(&self, phase: Phase) -> usize {
        self.lock().requests.get(&phase).copied().unwrap_or(0)
    }

    /// Changes how the following authorization requests are answered.
    pub fn set_approval(&self, approval: Approval) {
        self.lock().approval = approval;
    }

    /// Whether the server runs in OpenID Connect mode ([`MockProviderBuilder::oidc`]).
    pub fn is_oidc(&self) -> bool {
        self.lock().oidc.is_some()
    }

    /// In OpenID Connect mode, the key id (`kid`) of the key ID tokens are signed with
    /// now: `mock-key-1`, then `mock-key-2` after a [`rotate_keys`](Self::rotate_keys),
    /// and so on. `None` otherwise.
    pub fn key_id(&self) -> Option<String> {
        self.lock().oidc.as_ref().map(oidc::Oidc::key_id)
    }

    /// Rotates the signing key, as an issuer does: from now on ID tokens are signed
    /// with another key under a new `kid`, and `/jwks` publishes only that key. The
    /// previous key is retired at once — tokens it signed no longer verify against
    /// the published set — so a relying party must fetch the set again when a token
    /// names a key it has not cached.
    ///
    /// The keys are fixed test keys embedded in this crate (a few, used in turn), not
    /// generated: anyone can sign with them, so trust them only in tests.
    ///
    /// # Panics
    ///
    /// When the server is not in OpenID Connect mode.
    pub fn rotate_keys(&self) {
        self.lock()
            .oidc
            .as_mut()
            .expect("rotate_keys needs OpenID Connect mode: MockProvider::builder().oidc(true)")
            .rotate();
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        lock(&self.state)
    }
}

impl fmt::Debug for MockProvider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("MockProvider")
            .field("url", &self.url())
            .finish_non_exhaustive()
    }
}

/// Configures a [`MockProvider`]; made by [`MockProvider::builder`].
#[derive(Debug, Clone)]
#[must_use]
pub struct MockProviderBuilder {
    clients: Vec<(String, Option<String>)>,
    users: Vec<MockUser>,
    approval: Approval,
    code_lifetime: Duration,
    oidc: bool,
}

impl MockProviderBuilder {
    /// Registers a client: with `Some(secret)` a confidential client, which must
    /// authenticate at `/token` and `/revoke`; with `None` a public client, which sends
    /// only its `client_id` and must use PKCE. Call once per client; registering an id
    /// again replaces its secret.
    ///
    /// Any `http` or `https` redirect URI is accepted for every client.
    pub fn client(mut self, id: impl Into<String>, secret: Option<&str>) -> Self {
        let id = id.into();
        self.clients.retain(|(known, _)| *known != id);
        self.clients.push((id, secret.map(str::to_owned)));
        self
    }

    /// Adds a user. The first user added signs in, unless the authorization request
    /// names another by id in `login_hint`. Adding an id again replaces that user.
    ///
    /// Without any, one user signs in: `MockUser::new("mock-user").name("Test User")`.
    pub fn user(mut self, user: MockUser) -> Self {
        match self.users.iter_mut().find(|known| known.id == user.id) {
            Some(known) => *known = user,
            None => self.users.push(user),
        }
        self
    }

    /// How authorization requests are answered. Default: [`Approval::Auto`].
    pub fn approval(mut self, approval: Approval) -> Self {
        self.approval = approval;
        self
    }

    /// How long an authorization code can be exchanged. Default:
    /// [`DEFAULT_CODE_LIFETIME`] (60 seconds).
    pub fn code_lifetime(mut self, lifetime: Duration) -> Self {
        self.code_lifetime = lifetime;
        self
    }

    /// Turns OpenID Connect mode on (or off; default: off). The server then is an
    /// OpenID provider whose issuer identifier is [`MockProvider::url`], exactly:
    ///
    /// * `GET /.well-known/openid-configuration` serves its discovery document (the
    ///   endpoints, `jwks_uri`, RS256, S256, `client_secret_basic`,
    ///   `client_secret_post` and `none`, RFC 9207 `iss` support, the scopes and
    ///   claims), and `GET /jwks` its key set;
    /// * for an authorization request with scope `openid`, the redirect back carries
    ///   `iss` (RFC 9207), the token response carries an RS256-signed `id_token` (`iss`,
    ///   `sub`, `aud` = the client id, `exp`, `iat`, `auth_time`, the request's
    ///   `nonce`, `at_hash`, and the user's `name`, `email` and `email_verified`), and
    ///   `/userinfo` answers the OpenID claims `sub`, `name`, `email` and
    ///   `email_verified`. A refresh of such a grant returns a new ID token too,
    ///   without `nonce` (OpenID Connect Core 1.0 §12.2);
    /// * requests without scope `openid` are answered as without OpenID Connect mode,
    ///   so [`TestProvider`] clients keep working against the same server.
    ///
    /// ID tokens are signed with a fixed test key embedded in this crate;
    /// [`MockProvider::rotate_keys`] switches to another.
    pub fn oidc(mut self, enabled: bool) -> Self {
        self.oidc = enabled;
        self
    }

    /// Binds `127.0.0.1` on a free port and serves in a task of the current Tokio
    /// runtime until the returned [`MockProvider`] is dropped.
    ///
    /// # Errors
    ///
    /// When no port can be bound.
    ///
    /// # Panics
    ///
    /// Outside a Tokio runtime.
    pub async fn start(self) -> std::io::Result<MockProvider> {
        let listener = tokio::net::TcpListener::bind((Ipv4Addr::LOCALHOST, 0)).await?;
        let addr = listener.local_addr()?;
        let mut users = self.users;
        if users.is_empty() {
            users.push(MockUser::new("mock-user").name("Test User"));
        }
        let state = Arc::new(Mutex::new(State {
            clients: self.clients.into_iter().collect(),
            users,
            approval: self.approval,
            code_lifetime: self.code_lifetime,
            pending: HashMap::new(),
            codes: HashMap::new(),
            grants: HashMap::new(),
            next_grant: 0,
            access_tokens: HashMap::new(),
            refresh_tokens: HashMap::new(),
            faults: HashMap::new(),
            requests: HashMap::new(),
            oidc: self.oidc.then(|| oidc::Oidc::new(format!("http://{addr}"))),
        }));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, handlers::router(state.clone(), self.oidc))
            // Also when the sender is dropped without sending.
            .with_graceful_shutdown(async move {
                let _ = stopped.await;
            });
        tokio::spawn(async move {
            if let Err(error) = server.await {
                eprintln!("portcullis-testkit mock provider stopped: {error}");
            }
        });
        Ok(MockProvider {
            addr,
            state,
            _shutdown: shutdown,
        })
    }
}

/// How the mock answers a valid authorization request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Approval {
    /// Approves at once: `303` to `redirect_uri?code=…&state=…`.
    #[default]
    Auto,
    /// Shows a page asking "Sign in to the local test provider as …?" with **Approve**
    /// and **Cancel** buttons, which post to `/authorize/decision` and then redirect as
    /// [`Auto`](Self::Auto) or [`Deny`](Self::Deny) do.
    Page,
    /// Refuses at once, as when the user pressed "Cancel": `303` to
    /// `redirect_uri?error=access_denied&error_description=…&state=…`.
    Deny,
}

/// A user of the mock provider, served by `/userinfo` in [`TestUser`]'s shape:
/// `{"id","name","email","email_verified"}` — or, in OpenID Connect mode to a grant
/// with scope `openid`, as the standard claims `{"sub","name","email","email_verified"}`
/// (`name` and `email` left out when the user has none), which its ID tokens carry too.
///
/// ```
/// use portcullis_testkit::mock::MockUser;
///
/// let ada = MockUser::new("u1").name("Ada Lovelace").email("ada@example.com", true);
/// assert_eq!(ada.id(), "u1");
/// ```
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MockUser {
    id: String,
    name: Option<String>,
    email: Option<String>,
    email_verified: bool,
}

impl MockUser {
    /// A user with this provider user id, no name and no email.
    pub fn new(id: impl Into<String>) -> Self {
        MockUser {
            id: id.into(),
            name: None,
            email: None,
            email_verified: false,
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// Sets the email and whether the provider vouches for it.
    #[must_use]
    pub fn email(mut self, email: impl Into<String>, verified: bool) -> Self {
        self.email = Some(email.into());
        self.email_verified = verified;
        self
    }

    /// The provider user id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// What the approval page calls the user: the name, else the email, else the id.
    fn display_name(&self) -> &str {
        self.name
            .as_deref()
            .or(self.email.as_deref())
            .unwrap_or(&self.id)
    }
}

impl From<&MockUser> for TestUser {
    fn from(user: &MockUser) -> Self {
        TestUser {
            id: user.id.clone(),
            name: user.name.clone(),
            email: user.email.clone(),
            email_verified: user.email_verified,
        }
    }
}

impl From<MockUser> for TestUser {
    fn from(user: MockUser) -> Self {
        TestUser::from(&user)
    }
}

/// A misbehaviour for [`MockProvider::fail_next`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Fault {
    /// Answers with this status and body instead of processing the request. The
    /// `Content-Type` follows the body: `application/json` when it starts with `{`,
    /// `text/html` when it starts with `<`, `text/plain` otherwise.
    Status(u16, &'static str),
    /// Waits this long, then answers normally.
    Delay(Duration),
    /// Answers `200` with this body as `application/json` instead of processing the
    /// request: give it something malformed. (A revocation's body is ignored by
    /// clients, so on [`Phase::Revoke`] this looks like success, though nothing is
    /// revoked.)
    Body(String),
    /// Answers with an RFC 6749 §5.2 error object with this `error` code instead of
    /// processing the request: `401` for `invalid_client` and `invalid_token`, `400`
    /// otherwise.
    OAuthError(&'static str),
}

/// The phases the server has endpoints for.
fn served(phase: Phase, oidc: bool) -> bool {
    match phase {
        Phase::TokenExchange | Phase::UserInfo | Phase::Refresh | Phase::Revoke => true,
        Phase::Discovery | Phase::Jwks => oidc,
        _ => false,
    }
}

pub(crate) type Shared = Arc<Mutex<State>>;

/// A panic in one handler must not take the whole mock down with poisoned state.
pub(crate) fn lock(state: &Shared) -> MutexGuard<'_, State> {
    state.lock().unwrap_or_else(PoisonError::into_inner)
}

/// Everything the server knows.
pub(crate) struct State {
    /// Client id → secret (`None`: a public client).
    clients: HashMap<String, Option<String>>,
    users: Vec<MockUser>,
    approval: Approval,
    code_lifetime: Duration,
    /// Approval page request id → the request waiting for a decision.
    pending: HashMap<String, (AuthorizationRequest, Instant)>,
    codes: HashMap<String, Code>,
    grants: HashMap<u64, Grant>,
    next_grant: u64,
    /// Access token → grant.
    access_tokens: HashMap<String, u64>,
    /// Refresh token → grant.
    refresh_tokens: HashMap<String, u64>,
    faults: HashMap<Phase, VecDeque<Fault>>,
    requests: HashMap<Phase, usize>,
    /// OpenID Connect mode: the issuer and its signing key.
    oidc: Option<oidc::Oidc>,
}

/// A validated authorization request.
#[derive(Debug, Clone)]
pub(crate) struct AuthorizationRequest {
    client_id: String,
    /// Exactly as sent, to compare with the token request's.
    redirect_uri: String,
    state: String,
    code_challenge: Option<String>,
    nonce: Option<String>,
    scope: Option<String>,
    user_id: String,
}

/// An issued authorization code.
struct Code {
    grant: u64,
    redirect_uri: String,
    code_challenge: Option<String>,
    expires_at: Instant,
    /// Exchanged once already: a second exchange revokes the grant's tokens.
    used: bool,
}

/// What one approval granted: tokens issued from one code, and refreshed from them,
/// share it.
struct Grant {
    client_id: String,
    user_id: String,
    scope: Option<String>,
    /// For the ID token of the code exchange.
    nonce: Option<String>,
    /// When the user approved, in UNIX seconds: the ID tokens' `auth_time`.
    auth_time: u64,
}

impl Grant {
    /// Whether it is an OpenID Connect grant: its scope has `openid`.
    fn is_openid(&self) -> bool {
        oidc::is_openid(self.scope.as_deref())
    }
}

impl State {
    /// Counts a request of `phase` and takes the fault waiting for it.
    fn arrive(&mut self, phase: Phase) -> Option<Fault> {
        *self.requests.entry(phase).or_default() += 1;
        self.faults.get_mut(&phase).and_then(VecDeque::pop_front)
    }

    fn user(&self, id: &str) -> Option<&MockUser> {
        self.users.iter().find(|user| user.id == id)
    }

    /// Issues a code for an approved request and returns the redirect back to the app.
    fn approve(&mut self, request: AuthorizationRequest) -> Url {
        let iss = self.iss_for(&request);
        let grant = self.next_grant;
        self.next_grant += 1;
        let auth_time = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |since| since.as_secs());
        self.grants.insert(
            grant,
            Grant {
                client_id: request.client_id,
                user_id: request.user_id,
                scope: request.scope,
                nonce: request.nonce,
                auth_time,
            },
        );
        let code = random("code_");
        self.codes.insert(
            code.clone(),
            Code {
                grant,
                redirect_uri: request.redirect_uri.clone(),
                code_challenge: request.code_challenge,
                expires_at: Instant::now() + self.code_lifetime,
                used: false,
            },
        );
        redirect_back(
            &request.redirect_uri,
            &[("code", &code), ("state", &request.state)],
            iss.as_deref(),
        )
    }

    /// The redirect back to the app refusing a request, as after "Cancel".
    fn deny(&self, request: &AuthorizationRequest) -> Url {
        redirect_back(
            &request.redirect_uri,
            &[
                ("error", "access_denied"),
                ("error_description", "The user denied the request"),
                ("state", &request.state),
            ],
            self.iss_for(request).as_deref(),
        )
    }

    /// The `iss` of the answer to `request` (RFC 9207): the issuer, for OpenID requests
    /// in OpenID Connect mode.
    fn iss_for(&self, request: &AuthorizationRequest) -> Option<String> {
        self.oidc
            .as_ref()
            .filter(|_| oidc::is_openid(request.scope.as_deref()))
            .map(|oidc| oidc.issuer.clone())
    }

    /// Issues an access and a refresh token in `grant`.
    fn issue(&mut self, grant: u64) -> (String, String) {
        let access = random("at_");
        let refresh = random("rt_");
        self.access_tokens.insert(access.clone(), grant);
        self.refresh_tokens.insert(refresh.clone(), grant);
        (access, refresh)
    }

    /// Revokes every token of `grant`.
    fn revoke_grant(&mut self, grant: u64) {
        self.access_tokens.retain(|_, g| *g != grant);
        self.refresh_tokens.retain(|_, g| *g != grant);
    }
}

/// `redirect_uri` with `params`, then `iss` if any, added to its query. It was checked
/// to parse when the request was validated.
fn redirect_back(redirect_uri: &str, params: &[(&str, &str)], iss: Option<&str>) -> Url {
    let mut url = Url::parse(redirect_uri).expect("validated redirect URI");
    {
        let mut query = url.query_pairs_mut();
        query.extend_pairs(params);
        if let Some(iss) = iss {
            query.append_pair("iss", iss);
        }
    }
    url
}

/// A random opaque value with a readable prefix: 32 alphanumeric characters from the
/// thread's CSPRNG.
fn random(prefix: &str) -> String {
    let value: String = rand::thread_rng()
        .sample_iter(&Alphanumeric)
        .take(32)
        .map(char::from)
        .collect();
    format!("{prefix}{value}")
}
