//! The Portcullis demo: a small axum app with "Sign in with …" buttons, a profile page
//! and account linking, on SQLite by default or Postgres.
//!
//! It always offers a **local test provider** — the testkit's mock authorization server,
//! started in-process — so the whole flow works offline. GitHub, Google and Discord
//! appear when their credentials are in the environment:
//!
//! | variable | meaning |
//! |---|---|
//! | `GITHUB_CLIENT_ID`, `GITHUB_CLIENT_SECRET` | a GitHub OAuth app |
//! | `GOOGLE_CLIENT_ID`, `GOOGLE_CLIENT_SECRET` | a Google OAuth client |
//! | `DISCORD_CLIENT_ID`, `DISCORD_CLIENT_SECRET` | a Discord application |
//! | `DATABASE_URL` | the store (default `sqlite://portcullis-demo.db`); `postgres://…` for Postgres |
//! | `PORTCULLIS_DEMO_ADDR` | where to listen (default `127.0.0.1:3000`) |
//! | `PORTCULLIS_DEMO_URL` | the public URL, for redirect URIs (default `http://<addr>`) |
//!
//! Register `<public URL>/login/<provider>/callback` as the redirect URI at each provider.

#![forbid(unsafe_code)]

mod pages;

use std::net::SocketAddr;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::extract::State;
use axum::http::StatusCode;
use axum::http::request::Parts;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use axum_extra::extract::cookie::{Cookie, Key, PrivateCookieJar, SameSite};
use portcullis::{
    AnyUser, ClientConfig, DynOAuthProvider, Error, OAuthClient, Provider, ProviderSession,
    StoreError, UserAdapter,
};
use portcullis_axum::{SignIn, SignInHandler};
use portcullis_sqlx::{PostgresAdapter, SqlUser, SqliteAdapter};
use portcullis_testkit::TestProvider;
use portcullis_testkit::mock::{Approval, MockProvider, MockUser};
use serde::{Deserialize, Serialize};

/// What the demo knows about a user: taken from the normalised profile of the first
/// sign-in.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DemoUser {
    /// The display name.
    pub name: String,
    /// The email, if the provider shared one.
    pub email: Option<String>,
    /// Whether that provider verified it.
    pub email_verified: bool,
    /// A picture URL.
    pub avatar_url: Option<String>,
}

/// The demo's settings.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where to listen.
    pub addr: SocketAddr,
    /// The public URL, for redirect URIs; `None` = `http://<addr>`.
    pub public_url: Option<String>,
    /// The store: `sqlite://…` or `postgres://…`.
    pub database_url: String,
    /// Real providers: (id, client id, client secret).
    pub providers: Vec<(String, String, String)>,
}

/// The local test provider's id and display name.
pub const LOCAL_PROVIDER: &str = "local";
const USER_COOKIE: &str = "portcullis_demo_user";

impl Config {
    /// Reads the configuration from the environment and `--database-url URL` /
    /// `--addr ADDR` arguments (arguments win).
    ///
    /// # Errors
    ///
    /// An unknown argument or an address that does not parse.
    pub fn from_env(args: impl IntoIterator<Item = String>) -> Result<Config, String> {
        let env = |name: &str| std::env::var(name).ok().filter(|v| !v.is_empty());
        let mut config = Config {
            addr: env("PORTCULLIS_DEMO_ADDR")
                .unwrap_or_else(|| "127.0.0.1:3000".to_owned())
                .parse()
                .map_err(|e| format!("PORTCULLIS_DEMO_ADDR: {e}"))?,
            public_url: env("PORTCULLIS_DEMO_URL"),
            database_url: env("DATABASE_URL")
                .unwrap_or_else(|| "sqlite://portcullis-demo.db".to_owned()),
            providers: ["github", "google", "discord"]
                .into_iter()
                .filter_map(|id| {
                    let upper = id.to_uppercase();
                    Some((
                        id.to_owned(),
                        env(&format!("{upper}_CLIENT_ID"))?,
                        env(&format!("{upper}_CLIENT_SECRET"))?,
                    ))
                })
                .collect(),
        };
        let mut args = args.into_iter();
        while let Some(arg) = args.next() {
            let mut value = |name: &str| args.next().ok_or(format!("{name} needs a value"));
            match arg.as_str() {
                "--database-url" => config.database_url = value("--database-url")?,
                "--addr" => {
                    config.addr = value("--addr")?
                        .parse()
                        .map_err(|e| format!("--addr: {e}"))?;
                }
                "--help" | "-h" => return Err(USAGE.to_owned()),
                other => return Err(format!("unknown argument `{other}`\n\n{USAGE}")),
            }
        }
        Ok(config)
    }

    fn public_url(&self) -> String {
        self.public_url
            .clone()
            .unwrap_or_else(|| format!("http://{}", self.addr))
            .trim_end_matches('/')
            .to_owned()
    }
}

const USAGE: &str = "usage: portcullis-demo [--database-url URL] [--addr HOST:PORT]";

/// A running demo: its router and the local test provider it depends on. Keep it alive
/// while serving.
pub struct Demo {
    /// The app.
    pub router: Router,
    /// The local test provider (stops when dropped).
    pub local_provider: MockProvider,
}

/// Builds the app: opens and migrates the store, starts the local test provider, and
/// configures the providers.
///
/// # Errors
///
/// When the database cannot be opened or migrated, or the local provider cannot start.
pub async fn build(config: &Config) -> Result<Demo, Box<dyn std::error::Error + Send + Sync>> {
    let local_provider = MockProvider::builder()
        .client("portcullis-demo", Some("local-demo-secret"))
        .user(
            MockUser::new("ada")
                .name("Ada Lovelace")
                .email("ada@example.com", true),
        )
        .approval(Approval::Page)
        .start()
        .await?;
    let router = if config.database_url.starts_with("postgres") {
        let store = PostgresAdapter::<DemoUser>::connect(&config.database_url).await?;
        store.migrate().await?;
        router(config, store, &local_provider.url())?
    } else {
        let store = SqliteAdapter::<DemoUser>::connect(&config.database_url).await?;
        store.migrate().await?;
        router(config, store, &local_provider.url())?
    };
    Ok(Demo {
        router,
        local_provider,
    })
}

fn router<A>(config: &Config, store: A, local_url: &str) -> Result<Router, Error>
where
    A: UserAdapter<User = SqlUser<DemoUser>, UserId = i64, Attributes = DemoUser>,
{
    let public = config.public_url();
    let redirect = |id: &str| {
        format!("{public}/login/{id}/callback")
            .parse()
            .map_err(|e| Error::Config(format!("redirect URI for {id}: {e}")))
    };
    let mut providers: Vec<Arc<DynOAuthProvider<A>>> = vec![
        OAuthClient::new(
            TestProvider,
            ClientConfig::new("portcullis-demo", "local-demo-secret")
                .redirect_uri(redirect(LOCAL_PROVIDER)?),
            store.clone(),
        )?
        .with_endpoints(
            TestProvider
                .endpoints()
                .rebased(local_url)
                .map_err(|e| Error::Config(e.to_string()))?,
        )
        .with_id(LOCAL_PROVIDER)
        .into_dyn(),
    ];
    for (id, client_id, secret) in &config.providers {
        let client = ClientConfig::new(client_id, secret).redirect_uri(redirect(id)?);
        providers.push(match id.as_str() {
            "github" => OAuthClient::new(
                portcullis_github::GitHub::new(),
                client.scope("user:email"),
                store.clone(),
            )?
            .into_dyn(),
            "google" => OAuthClient::new(portcullis_google::Google::new(), client, store.clone())?
                .into_dyn(),
            "discord" => OAuthClient::new(
                portcullis_discord::Discord::new(),
                client.scope("email"),
                store.clone(),
            )?
            .into_dyn(),
            other => return Err(Error::Config(format!("the demo has no provider `{other}`"))),
        });
    }

    let key = Key::generate();
    let secure = public.starts_with("https://");
    let buttons: Vec<(String, String)> = providers
        .iter()
        .map(|p| (p.id().to_owned(), label(p.id(), p.name())))
        .collect();
    let state = AppState {
        store: store.clone(),
        key: key.clone(),
        secure,
        buttons: Arc::new(buttons),
    };
    let handler = DemoHandler {
        state: state.clone(),
    };
    let sign_in = providers
        .into_iter()
        .fold(SignIn::new(key, handler), SignIn::provider)
        .secure_cookies(secure);
    Ok(Router::new()
        .route("/", get(home::<A>))
        .route("/profile", get(profile::<A>))
        .route("/logout", post(logout::<A>))
        .with_state(state)
        .merge(sign_in.into_router()))
}

fn label(id: &str, name: &str) -> String {
    if id == LOCAL_PROVIDER {
        "Local test provider".to_owned()
    } else {
        name.to_owned()
    }
}

#[derive(Clone)]
struct AppState<A> {
    store: A,
    key: Key,
    secure: bool,
    /// (provider id, button label), in display order.
    buttons: Arc<Vec<(String, String)>>,
}

impl<A> AppState<A> {
    fn signed_in_user(&self, jar: &PrivateCookieJar) -> Option<i64> {
        jar.get(USER_COOKIE)?.value().parse().ok()
    }

    fn session_cookie(&self, user_id: i64) -> Cookie<'static> {
        Cookie::build((USER_COOKIE, user_id.to_string()))
            .path("/")
            .http_only(true)
            .secure(self.secure)
            .same_site(SameSite::Lax)
            .max_age(time::Duration::days(7))
            .build()
    }
}

async fn home<A: UserAdapter<User = SqlUser<DemoUser>, UserId = i64>>(
    State(state): State<AppState<A>>,
    jar: PrivateCookieJar,
) -> Response {
    let _ = &state.key;
    if state.signed_in_user(&jar).is_some() {
        return Redirect::to("/profile").into_response();
    }
    pages::sign_in(&state.buttons)
}

async fn profile<A: UserAdapter<User = SqlUser<DemoUser>, UserId = i64>>(
    State(state): State<AppState<A>>,
    jar: PrivateCookieJar,
) -> Response {
    let Some(id) = state.signed_in_user(&jar) else {
        return Redirect::to("/").into_response();
    };
    let user = match state.store.user_by_id(&id).await {
        Ok(Some(user)) => user,
        // The user is gone (a fresh database): sign out.
        Ok(None) => {
            return (
                jar.remove(Cookie::build(USER_COOKIE).path("/")),
                Redirect::to("/"),
            )
                .into_response();
        }
        Err(e) => {
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The store failed",
                &e.to_string(),
            );
        }
    };
    let keys = match state.store.keys(&id).await {
        Ok(keys) => keys,
        Err(e) => {
            return pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "The store failed",
                &e.to_string(),
            );
        }
    };
    pages::profile(&user, &keys, &state.buttons)
}

async fn logout<A: Clone + Send + Sync + 'static>(
    State(_state): State<AppState<A>>,
    jar: PrivateCookieJar,
) -> Response {
    (
        jar.remove(Cookie::build(USER_COOKIE).path("/")),
        Redirect::to("/"),
    )
        .into_response()
}

impl<A: Clone> axum::extract::FromRef<AppState<A>> for Key {
    fn from_ref(state: &AppState<A>) -> Key {
        state.key.clone()
    }
}

/// What a sign-in means in the demo: sign in a known user, link a new identity to the
/// user who is signed in, or create a user.
struct DemoHandler<A> {
    state: AppState<A>,
}

#[async_trait]
impl<A> SignInHandler<A> for DemoHandler<A>
where
    A: UserAdapter<User = SqlUser<DemoUser>, UserId = i64, Attributes = DemoUser>,
{
    async fn signed_in(&self, session: ProviderSession<AnyUser, A>, request: &Parts) -> Response {
        let jar = PrivateCookieJar::from_headers(&request.headers, self.state.key.clone());
        let current = self.state.signed_in_user(&jar);
        let user_id = match (&session.existing_user, current) {
            (Some(user), Some(current)) if user.id != current => {
                return pages::error(
                    StatusCode::CONFLICT,
                    "Already linked elsewhere",
                    "This account is already linked to another user. Sign out and sign in with it instead.",
                );
            }
            (Some(user), _) => user.id,
            (None, Some(current)) => match session.link_to(&current).await {
                Ok(()) => current,
                // The signed-in user no longer exists: sign in afresh.
                Err(Error::Store(StoreError::UserNotFound)) => match create(&session).await {
                    Ok(id) => id,
                    Err(response) => return response,
                },
                Err(e) => {
                    return pages::error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Linking failed",
                        &e.to_string(),
                    );
                }
            },
            (None, None) => match create(&session).await {
                Ok(id) => id,
                Err(response) => return response,
            },
        };
        let jar = jar.add(self.state.session_cookie(user_id));
        (jar, Redirect::to("/profile")).into_response()
    }
}

async fn create<A>(session: &ProviderSession<AnyUser, A>) -> Result<i64, Response>
where
    A: UserAdapter<User = SqlUser<DemoUser>, UserId = i64, Attributes = DemoUser>,
{
    let profile = session.profile();
    let attributes = DemoUser {
        name: profile
            .name
            .clone()
            .or(profile.username.clone())
            .unwrap_or_else(|| session.key().to_string()),
        email: profile.email.clone(),
        email_verified: profile.email_verified,
        avatar_url: profile.avatar_url.clone(),
    };
    session
        .create_user(attributes)
        .await
        .map(|user| user.id)
        .map_err(|e| {
            pages::error(
                StatusCode::INTERNAL_SERVER_ERROR,
                "Could not create the user",
                &e.to_string(),
            )
        })
}
