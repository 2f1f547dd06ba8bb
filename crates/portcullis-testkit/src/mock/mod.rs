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

mod handlers;
mod page;

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

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
    /// [`TestProvider`]'s, and the server sends no `iss` with its redirects.
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
    /// other `/token` request is [`Phase::TokenExchange`].
    ///
    /// # Panics
    ///
    /// When `phase` is not one the server serves (`TokenExchange`, `UserInfo`,
    /// `Refresh`, `Revoke`), or when a [`Fault::Status`] code is not a valid HTTP status.
    pub fn fail_next(&self, phase: Phase, fault: Fault) {
        assert!(
            served(phase),
            "the mock serves no {phase} endpoint: faults apply to TokenExchange, UserInfo, Refresh and Revoke"
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
        }));
        let (shutdown, stopped) = oneshot::channel::<()>();
        let server = axum::serve(listener, handlers::router(state.clone()))
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
/// `{"id","name","email","email_verified"}`.
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
fn served(phase: Phase) -> bool {
    matches!(
        phase,
        Phase::TokenExchange | Phase::UserInfo | Phase::Refresh | Phase::Revoke
    )
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
    // Kept as a real server keeps it for the ID token; this mock issues none.
    #[allow(dead_code)]
    nonce: Option<String>,
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
        let grant = self.next_grant;
        self.next_grant += 1;
        self.grants.insert(
            grant,
            Grant {
                client_id: request.client_id,
                user_id: request.user_id,
                scope: request.scope,
                nonce: request.nonce,
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
        )
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

/// The redirect back to the app refusing a request, as after "Cancel".
fn deny(request: &AuthorizationRequest) -> Url {
    redirect_back(
        &request.redirect_uri,
        &[
            ("error", "access_denied"),
            ("error_description", "The user denied the request"),
            ("state", &request.state),
        ],
    )
}

/// `redirect_uri` with `params` added to its query. It was checked to parse when the
/// request was validated.
fn redirect_back(redirect_uri: &str, params: &[(&str, &str)]) -> Url {
    let mut url = Url::parse(redirect_uri).expect("validated redirect URI");
    url.query_pairs_mut().extend_pairs(params);
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
