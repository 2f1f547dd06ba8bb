//! "Sign in with …" routes for [axum](https://docs.rs/axum): every configured
//! [Portcullis](portcullis) provider behind `GET /login/{provider}` and
//! `GET|POST /login/{provider}/callback`.
//!
//! ```no_run
//! use axum::{Router, http::request::Parts, response::{IntoResponse, Redirect, Response}};
//! use portcullis::{AnyUser, ClientConfig, MemoryAdapter, OAuthClient, ProviderSession};
//! use portcullis_axum::{Key, SignIn, SignInHandler};
//!
//! struct App;
//!
//! #[async_trait::async_trait]
//! impl SignInHandler<MemoryAdapter<String>> for App {
//!     async fn signed_in(&self, session: ProviderSession<AnyUser, MemoryAdapter<String>>, _: &Parts) -> Response {
//!         let user = match session.existing_user.clone() {
//!             Some(user) => user,
//!             None => match session.create_user(session.profile().name.unwrap_or_default()).await {
//!                 Ok(user) => user,
//!                 Err(e) => return (axum::http::StatusCode::INTERNAL_SERVER_ERROR, e.to_string()).into_response(),
//!             },
//!         };
//!         // Set the app's own session cookie for `user` here.
//!         Redirect::to("/").into_response()
//!     }
//! }
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let store = MemoryAdapter::<String>::new();
//! let github = OAuthClient::new(
//!     portcullis_github::GitHub::new(),
//!     ClientConfig::new("id", "secret").redirect_uri("https://app.example/login/github/callback".parse()?),
//!     store.clone(),
//! )?;
//! let sign_in = SignIn::new(Key::generate(), App).provider(github.into_dyn());
//! let app: Router = Router::new().merge(sign_in.into_router());
//! # Ok(()) }
//! ```
//!
//! # What it does
//!
//! * The [`PendingAuthorization`] (state, PKCE verifier, nonce) travels in a cookie
//!   encrypted and authenticated with the app's [`Key`]: `HttpOnly`, `Secure` (unless
//!   turned off for plain-HTTP development), `SameSite=Lax` (`None` for providers that
//!   answer with a cross-site `form_post`), scoped to `/login/{provider}`, ten minutes
//!   long, cleared when the callback uses it. No server-side session: any instance of
//!   the app can finish a sign-in another began.
//! * The callback is checked by the core (provider error, state, `iss`, code) and the
//!   resulting [`ProviderSession`] goes to the app's [`SignInHandler`], which decides
//!   what a sign-in means: create the user, link, set its own session.
//! * Failures become pages with fitting statuses ([`SignInFailure`]): the user pressed
//!   "Cancel" → a friendly page (403); a forged or expired state → 400; the provider is
//!   down → 502 (504 on timeout). The app can replace them with
//!   [`SignInHandler::failed`]. Nothing the provider sent is echoed unescaped.
//! * Every callback answer carries `Referrer-Policy: no-referrer` unless the app set
//!   one: the callback URL holds the code and state.

#![forbid(unsafe_code)]

use std::collections::BTreeMap;
use std::sync::Arc;

use async_trait::async_trait;
use axum::Router;
use axum::body::Body;
use axum::extract::{Path, State};
use axum::http::request::Parts;
use axum::http::{HeaderValue, Method, Request, StatusCode, header};
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::get;
use axum_extra::extract::cookie::{Cookie, PrivateCookieJar, SameSite};
use portcullis::{
    AnyUser, CallbackError, CallbackParams, DynOAuthProvider, Error, PendingAuthorization,
    ProviderSession, RequestErrorKind, UserAdapter,
};

pub use axum_extra::extract::cookie::Key;

/// How long a sign-in may take between the redirect and the callback.
const PENDING_MAX_AGE: time::Duration = time::Duration::minutes(10);
/// The largest callback body accepted (Apple's `form_post` with its `user` JSON fits).
const MAX_CALLBACK_BODY: usize = 16 * 1024;

/// What the app does with a sign-in. Implemented by the app.
#[async_trait]
pub trait SignInHandler<A: UserAdapter>: Send + Sync + 'static {
    /// A provider confirmed who the user is. Decide what that means — look at
    /// `session.existing_user`, create the user or link the identity, set the app's own
    /// session — and answer (typically a redirect). `request` is the callback request,
    /// for the app's own cookies.
    async fn signed_in(&self, session: ProviderSession<AnyUser, A>, request: &Parts) -> Response;

    /// The sign-in failed. The default answers with [`SignInFailure`]'s page.
    async fn failed(&self, failure: SignInFailure, request: &Parts) -> Response {
        let _ = request;
        failure.into_response()
    }
}

/// The sign-in routes for a set of providers. Build it at start-up, then
/// [`into_router`](Self::into_router).
pub struct SignIn<A: UserAdapter> {
    providers: BTreeMap<String, Arc<DynOAuthProvider<A>>>,
    form_post: Vec<String>,
    key: Key,
    secure: bool,
    handler: Arc<dyn SignInHandler<A>>,
}

impl<A: UserAdapter> SignIn<A> {
    /// Sign-in routes encrypting their cookies with `key` (at least 64 bytes of
    /// secret: `Key::generate()` or `Key::from(&secret)`; the same key on every instance
    /// of the app) and handing sign-ins to `handler`.
    pub fn new(key: Key, handler: impl SignInHandler<A>) -> Self {
        SignIn {
            providers: BTreeMap::new(),
            form_post: Vec::new(),
            key,
            secure: true,
            handler: Arc::new(handler),
        }
    }

    /// Adds a provider, at `/login/{its id}`.
    #[must_use]
    pub fn provider(mut self, provider: Arc<DynOAuthProvider<A>>) -> Self {
        self.providers.insert(provider.id().to_owned(), provider);
        self
    }

    /// Adds a provider whose callback is a cross-site `POST` (`response_mode=form_post`,
    /// as Sign in with Apple): its pending cookie is `SameSite=None; Secure`, which the
    /// browser sends with such a POST.
    #[must_use]
    pub fn form_post_provider(mut self, provider: Arc<DynOAuthProvider<A>>) -> Self {
        self.form_post.push(provider.id().to_owned());
        self.provider(provider)
    }

    /// Whether cookies are `Secure` (default `true`). Turn off only to develop over
    /// plain HTTP on a host browsers do not treat as secure.
    #[must_use]
    pub fn secure_cookies(mut self, secure: bool) -> Self {
        self.secure = secure;
        self
    }

    /// The providers, sorted by id: for the sign-in page's buttons.
    pub fn providers(&self) -> impl Iterator<Item = &Arc<DynOAuthProvider<A>>> {
        self.providers.values()
    }

    /// The routes: `GET /login/{provider}`, `GET|POST /login/{provider}/callback`.
    pub fn into_router(self) -> Router {
        Router::new()
            .route("/login/{provider}", get(start))
            .route("/login/{provider}/callback", get(callback).post(callback))
            .with_state(Arc::new(self))
    }

    fn cookie(&self, provider: &str, value: String) -> Cookie<'static> {
        let cross_site = self.form_post.iter().any(|p| p == provider);
        Cookie::build((pending_cookie_name(provider), value))
            .path(format!("/login/{provider}"))
            .http_only(true)
            .secure(self.secure || cross_site)
            .same_site(if cross_site {
                SameSite::None
            } else {
                SameSite::Lax
            })
            .max_age(PENDING_MAX_AGE)
            .build()
    }

    fn removal(&self, provider: &str) -> Cookie<'static> {
        Cookie::build(pending_cookie_name(provider))
            .path(format!("/login/{provider}"))
            .build()
    }
}

/// The name of the cookie holding a provider's pending sign-in.
pub fn pending_cookie_name(provider: &str) -> String {
    format!("portcullis_pending_{provider}")
}

type Shared<A> = State<Arc<SignIn<A>>>;

async fn start<A: UserAdapter>(State(sign_in): Shared<A>, Path(id): Path<String>) -> Response {
    let Some(provider) = sign_in.providers.get(&id) else {
        return unknown_provider(&id);
    };
    let auth = provider.authorization_url();
    let Ok(value) = serde_json::to_string(&auth.pending) else {
        return StatusCode::INTERNAL_SERVER_ERROR.into_response();
    };
    let jar = PrivateCookieJar::new(sign_in.key.clone()).add(sign_in.cookie(&id, value));
    (jar, Redirect::to(auth.url.as_str())).into_response()
}

async fn callback<A: UserAdapter>(
    State(sign_in): Shared<A>,
    Path(id): Path<String>,
    request: Request<Body>,
) -> Response {
    let Some(provider) = sign_in.providers.get(&id) else {
        return unknown_provider(&id);
    };
    let (parts, body) = request.into_parts();
    let jar = PrivateCookieJar::from_headers(&parts.headers, sign_in.key.clone());
    let pending = jar
        .get(&pending_cookie_name(&id))
        .and_then(|cookie| serde_json::from_str::<PendingAuthorization>(cookie.value()).ok());
    // One-shot: whatever happens next, the pending sign-in is used up.
    let jar = jar.remove(sign_in.removal(&id));

    let result = async {
        let params = if parts.method == Method::POST {
            let body = axum::body::to_bytes(body, MAX_CALLBACK_BODY)
                .await
                .map_err(|_| Error::from(CallbackError::TooLong("body")))?;
            CallbackParams::from_query(&String::from_utf8_lossy(&body))?
        } else {
            CallbackParams::from_query(parts.uri.query().unwrap_or_default())?
        };
        // A provider's error (the user pressed "Cancel") needs no pending sign-in.
        if let Some(error) = params.error() {
            return Err(Error::from(error));
        }
        let pending = pending.ok_or(Error::from(CallbackError::MissingState))?;
        provider.validate_callback(&params, &pending).await
    }
    .await;

    let response = match result {
        Ok(session) => sign_in.handler.signed_in(session, &parts).await,
        Err(error) => {
            tracing::debug!(provider = %id, code = error.code(), %error, "sign-in failed");
            let failure = SignInFailure::new(provider.name(), error);
            sign_in.handler.failed(failure, &parts).await
        }
    };
    let mut response = (jar, response).into_response();
    // The callback URL holds the code and state: keep them out of the `Referer` of
    // whatever the answer loads or links to (RFC 9700 §4.2.4), unless the app said.
    response
        .headers_mut()
        .entry(header::REFERRER_POLICY)
        .or_insert(HeaderValue::from_static("no-referrer"));
    response
}

fn unknown_provider(id: &str) -> Response {
    page(
        StatusCode::NOT_FOUND,
        "Unknown sign-in provider",
        &format!("There is no sign-in with “{}” here.", escape(id)),
    )
}

/// A failed sign-in: which provider and why. Its response is a small HTML page with a
/// status that fits the error; [`SignInHandler::failed`] can answer differently.
#[derive(Debug)]
pub struct SignInFailure {
    provider: String,
    error: Error,
}

impl SignInFailure {
    /// A failure of a sign-in with `provider` (its display name).
    pub fn new(provider: impl Into<String>, error: Error) -> Self {
        SignInFailure {
            provider: provider.into(),
            error,
        }
    }

    /// The provider's display name.
    pub fn provider(&self) -> &str {
        &self.provider
    }

    /// The typed error.
    pub fn error(&self) -> &Error {
        &self.error
    }

    /// True when the user declined at the provider (`access_denied`).
    pub fn is_cancelled(&self) -> bool {
        matches!(&self.error, Error::Callback(e) if e.is_access_denied())
    }

    /// The status of the default page: 403 when the user cancelled or linking was
    /// refused, 400 for a callback that cannot be trusted (forged or expired `state`,
    /// wrong `iss`, malformed), 502 when the provider failed (504 on a timeout), 500
    /// when the app's store or configuration did.
    pub fn status(&self) -> StatusCode {
        match &self.error {
            Error::Callback(CallbackError::Provider { .. }) if self.is_cancelled() => {
                StatusCode::FORBIDDEN
            }
            Error::Callback(CallbackError::Provider { .. }) => StatusCode::BAD_GATEWAY,
            Error::Callback(_) => StatusCode::BAD_REQUEST,
            Error::Request(e) if matches!(e.kind(), RequestErrorKind::Timeout) => {
                StatusCode::GATEWAY_TIMEOUT
            }
            Error::Request(_) | Error::IdToken(_) => StatusCode::BAD_GATEWAY,
            Error::EmailNotVerified => StatusCode::FORBIDDEN,
            _ => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
}

impl IntoResponse for SignInFailure {
    fn into_response(self) -> Response {
        let provider = escape(&self.provider);
        let (title, text) = match (&self.error, self.status()) {
            (_, StatusCode::FORBIDDEN) if self.is_cancelled() => (
                "Sign-in cancelled".to_owned(),
                format!("You cancelled signing in with {provider}. Nothing was changed."),
            ),
            (Error::Callback(CallbackError::MissingState), _) => (
                "Sign-in expired".to_owned(),
                "This sign-in expired or was started in another browser. Please try again."
                    .to_owned(),
            ),
            (
                Error::Callback(CallbackError::Provider {
                    error, description, ..
                }),
                _,
            ) => (
                format!("{provider} could not sign you in"),
                format!(
                    "{provider} answered “{}”{}",
                    escape(error),
                    description
                        .as_deref()
                        .map(|d| format!(": {}", escape(d)))
                        .unwrap_or_default()
                ),
            ),
            (Error::Callback(_), _) => (
                "Sign-in refused".to_owned(),
                "This sign-in request could not be verified. Please start again.".to_owned(),
            ),
            (_, StatusCode::BAD_GATEWAY | StatusCode::GATEWAY_TIMEOUT) => (
                format!("{provider} is not answering"),
                format!(
                    "Signing in with {provider} failed on {provider}'s side. Please try again in a moment."
                ),
            ),
            _ => (
                "Sign-in failed".to_owned(),
                "Something went wrong on our side. Please try again.".to_owned(),
            ),
        };
        page(self.status(), &title, &text)
    }
}

/// A minimal HTML page; `title` is escaped here, `html` must be escaped already.
fn page(status: StatusCode, title: &str, html: &str) -> Response {
    let title = escape(title);
    let body = format!(
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title></head><body style=\"font-family:system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem\">\
         <h1>{title}</h1><p>{html}</p><p><a href=\"/\">Back</a></p></body></html>\n"
    );
    (status, [(header::CACHE_CONTROL, "no-store")], Html(body)).into_response()
}

/// Escapes text for HTML element content and attribute values.
pub fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup() {
        assert_eq!(
            escape(r#"<script>alert("x")</script> & 'y'"#),
            "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;y&#39;"
        );
    }
}
