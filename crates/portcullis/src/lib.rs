//! # Portcullis
//!
//! "Sign in with GitHub / Google / Discord / …" for Rust web apps: the OAuth 2.0
//! authorization code flow done once, safely, for every provider.
//!
//! An app depends on `portcullis` and on the provider crates it uses
//! (`portcullis-github`, `portcullis-google`, …), and for each provider:
//!
//! 1. builds an [`OAuthClient`] from the provider, its [`ClientConfig`] and the app's
//!    [`UserAdapter`] (the user store);
//! 2. on "Sign in", calls [`OAuthProvider::authorization_url`], redirects the user to
//!    the URL and keeps the [`PendingAuthorization`] in an encrypted cookie;
//! 3. on the callback, calls [`OAuthProvider::validate_callback`] and gets a
//!    [`ProviderSession`]: the typed provider user, its [`Profile`], the [`Tokens`], and
//!    `existing_user` — or [`ProviderSession::create_user`] for a first sign-in.
//!
//! See [`OAuthProvider`] for the whole flow in code.
//!
//! ## Safe by default
//!
//! * A fresh `state` per sign-in, compared in constant time; PKCE (S256) wherever the
//!   provider supports it; a `nonce` with every OpenID Connect request; the callback's
//!   `iss` checked when the provider sends one (RFC 9207).
//! * One [`HttpClient`]: no redirects followed, connect and total timeouts, capped
//!   response bodies, a `User-Agent`, a `tracing` span per request with no secret in it.
//! * Typed errors with stable codes and a retry verdict ([`Error`]); a code exchange is
//!   never retryable.
//! * Secrets — client secret, tokens, PKCE verifier, authorization code — are redacted
//!   in every `Debug` and never appear in error messages.
//!
//! ## Features
//!
//! * `rustls-tls` (default): TLS through rustls.
//! * `native-tls`: TLS through the platform's library.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod adapter;
mod authorization;
mod callback;
mod client;
mod config;
mod domain;
mod erased;
mod error;
mod http;
mod memory;
mod profile;
mod provider;
mod session;
mod token;

pub use adapter::{Key, UserAdapter};
pub use authorization::{AuthorizationUrl, PendingAuthorization};
pub use callback::CallbackParams;
pub use client::{OAuthClient, OAuthProvider};
pub use config::ClientConfig;
pub use domain::domain_base_url;
pub use erased::{AnyUser, BoxedSignIn, DynOAuthProvider, ErasedOAuthProvider};
pub use error::{
    BoxError, CallbackError, Error, IdTokenError, OAuthErrorResponse, Phase, RequestError,
    RequestErrorKind, StoreError,
};
pub use http::{ApiRequest, HttpClient, HttpClientBuilder, Oauth2Http, USER_AGENT};
pub use memory::{MemoryAdapter, MemoryUser};
pub use profile::Profile;
pub use provider::{
    ClientAuth, Endpoints, Pkce, Provider, ProviderInfo, ProviderUser, Refresh, Refreshed, Revoke,
    UserRequest,
};
pub use session::ProviderSession;
pub use token::{IdToken, Tokens};

/// Token and secret types from the `oauth2` crate that appear in Portcullis' API.
pub use oauth2::{AccessToken, ClientSecret, RefreshToken, StandardRevocableToken};
/// The HTTP method type used by [`UserRequest::request`].
pub use reqwest::Method;
/// The URL type used throughout.
pub use url::Url;
