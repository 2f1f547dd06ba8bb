//! Sign in with any OpenID Connect provider for [Portcullis](portcullis): Keycloak,
//! Authentik, Zitadel, Okta, Auth0, Dex, your company's IdP — anything with an issuer URL.
//!
//! ```no_run
//! use portcullis::{CallbackParams, ClientConfig, HttpClient, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_oidc::{Oidc, OidcOptions};
//!
//! # async fn run(query: &str) -> Result<(), Box<dyn std::error::Error>> {
//! let http = HttpClient::new();
//! // Once, at start-up: discovery (the issuer must match its document exactly).
//! let oidc = Oidc::discover("https://id.example.com/realms/acme", &http, OidcOptions::new()).await?;
//! let acme = OAuthClient::new(
//!     oidc,
//!     ClientConfig::new("my-app", "client-secret")
//!         .redirect_uri("https://app.example/login/acme/callback".parse()?)
//!         .scopes(["profile", "email"]),
//!     MemoryAdapter::<String>::new(),
//! )?
//! .with_id("acme") // keys read `acme:<sub>`: users of two issuers never mix
//! .with_http_client(http);
//!
//! // GET /login/acme: redirect to `auth.url`, keep `auth.pending` (encrypted cookie).
//! let auth = acme.authorization_url();
//!
//! // GET /login/acme/callback?code=…&state=…&iss=…
//! let session = acme.validate_callback(&CallbackParams::from_query(query)?, &auth.pending).await?;
//! println!("{} <{:?}>", session.provider_user.sub, session.profile().verified_email());
//! # Ok(()) }
//! ```
//!
//! # What a sign-in does
//!
//! * The authorization code flow with PKCE (S256) and a `nonce`, always; scope `openid`
//!   plus the app's scopes.
//! * The callback's `iss` (RFC 9207) is checked when the issuer advertises
//!   `authorization_response_iss_parameter_supported`.
//! * Client authentication from [`OidcOptions::client_auth`] (`client_secret_basic` or
//!   `client_secret_post`; by default what the issuer supports), or none for a public
//!   client ([`ClientConfig::public`](portcullis::ClientConfig::public)).
//! * The ID token is verified per OpenID Connect Core 1.0 §3.1.3.7 by an
//!   [`IdTokenVerifier`]: signature with the issuer's key from an allow-list of
//!   algorithms (never `none`, never chosen by the token's header alone), `iss`, `aud`
//!   and `azp`, `exp` and `iat` with a small leeway, `nonce`, `at_hash`. Each failure is
//!   a typed [`IdTokenError`](portcullis::IdTokenError) inside
//!   [`Error::IdToken`](portcullis::Error::IdToken), and no message contains the token.
//! * The issuer's keys (JWKS) are cached in the provider value, shared by all sign-ins
//!   and clones ([`Jwks`]): fetched once, fetched again when a token names an unknown
//!   key — one request at a time, at most once per
//!   [`OidcOptions::jwks_min_refresh_interval`] — and once the set is older than
//!   [`OidcOptions::jwks_max_age`], so that keys the issuer withdrew stop being trusted.
//! * Userinfo is fetched with the access token and merged into the ID token's claims
//!   (userinfo wins, but its `sub` must be the token's, and the token's protocol claims
//!   stay); the result is an [`OidcUser`]
//!   whose [`Profile`](portcullis::Profile) has `email_verified` only when the issuer
//!   says `true`.
//! * Refresh ([`Refresh`](portcullis::Refresh)), revocation at the advertised
//!   `revocation_endpoint` ([`Revoke`](portcullis::Revoke)), and the RP-initiated logout
//!   URL ([`Oidc::logout_url`]). An ID token in a refresh response is verified as a
//!   sign-in's, without the `nonce` (OpenID Connect Core 1.0 §12.2), before
//!   [`OAuthClient::refresh`](portcullis::OAuthClient::refresh) returns it.
//!
//! # Building a provider crate on this one
//!
//! A provider with ID tokens but its own quirks (Apple, Azure AD, Cognito, …) keeps its
//! own [`Provider`](portcullis::Provider) and `ProviderInfo`, holds an [`IdTokenVerifier`]
//! (with its [`Jwks`] cache, built from [`OidcMetadata`] it knows or discovers), and in
//! `fetch_user` calls [`IdTokenVerifier::verify_user_request`], then reads its typed
//! claims with [`VerifiedIdToken::deserialize`] — or, merged with the userinfo response,
//! [`VerifiedIdToken::merge_userinfo_as`]. Its [`Refresh`](portcullis::Refresh) calls
//! [`IdTokenVerifier::verify_refreshed`] in `check_refreshed`, so that an ID token from a
//! refresh is verified too. The serde helpers of [`claims`] read the
//! shapes issuers really send (`email_verified: "true"`, `updated_at` as a date).
//!
//! [`portcullis::domain_base_url`] reads the domain of an issuer whose endpoints are on it (an Auth0
//! tenant, an Okta org) as users type it.
//!
//! Issuers that spell their identifier more than one way are verified with
//! [`IdTokenVerifier::issuer_alias`] (Google's `accounts.google.com`); issuers whose
//! identifier depends on the user, with [`IdTokenVerifier::issuer_from_claim`] (Microsoft
//! Entra ID's `https://login.microsoftonline.com/{tid}/v2.0`).
//!
//! # Why `openidconnect`
//!
//! JWS signature verification (RSA, RSA-PSS, ECDSA P-256/P-384, EdDSA, HMAC), JWK
//! parsing and `at_hash` are `openidconnect`'s, the most used and reviewed OpenID
//! Connect crate in Rust. This crate reads the token and its claims itself — so that an
//! issuer need not be a URL, and a claim of the wrong type is named — and adds what
//! `openidconnect` leaves to its users: typed errors, the allow-list check before
//! anything else, key selection by `kid`, type, `use` and `alg` as OpenID Connect Core
//! 1.0 §10.1 says, `azp`, leeway, a shared and rate-limited key cache, and requests
//! through Portcullis' [`HttpClient`](portcullis::HttpClient) (its limits, tracing and
//! errors) rather than through `openidconnect`'s own.
//!
//! # Features
//!
//! * `rustls-tls` (default): TLS through rustls.
//! * `native-tls`: TLS through the platform's library.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod algorithm;
pub mod claims;
mod clock;
mod jwks;
mod metadata;
mod provider;
mod user;
mod verifier;

pub use algorithm::Algorithm;
pub use clock::Clock;
pub use jwks::Jwks;
pub use metadata::OidcMetadata;
pub use provider::{LogoutRequest, Oidc, OidcOptions};
pub use user::OidcUser;
pub use verifier::{IdTokenChecks, IdTokenVerifier, VerifiedIdToken};

/// The provider id of [`Oidc`], used in request errors before a client names it.
const PROVIDER_ID: &str = "oidc";
