//! Sign in with Apple for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_apple::Apple;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! // The key downloaded from Certificates, Identifiers & Profiles > Keys (AuthKey_….p8).
//! let p8 = std::fs::read_to_string("AuthKey_ABC123DEFG.p8")?;
//! let apple = OAuthClient::new(
//!     // Team ID, Key ID, and the key: the client secret is minted from them.
//!     Apple::new("DEF123GHIJ", "ABC123DEFG", &p8)?,
//!     // The Services ID is the client id; there is no static secret.
//!     ClientConfig::public("com.example.web")
//!         .redirect_uri("https://app.example/login/apple/callback".parse()?)
//!         .scopes(["name", "email"]),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = apple.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback,
//! // which Apple POSTs: with portcullis-axum, register the client with
//! // `SignIn::form_post_provider(apple.into_dyn())`.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * **The client secret is minted for you.** Apple has no static client secret: the
//!   token, refresh and revocation requests carry an ES256 JWT signed with the app's
//!   private key — header `{"alg":"ES256","kid":<key id>}`, claims `iss` (the team id),
//!   `iat`, `exp`, `aud` `https://appleid.apple.com` and `sub` (the client id, the
//!   Services ID). [`Apple::new`] takes the team id, the key id and the `.p8` key
//!   (PKCS#8 PEM, as downloaded; also with its line breaks written `\n`, as in an
//!   environment variable). A secret lives one hour by default
//!   ([`Apple::client_secret_lifetime`], at most Apple's six months), is cached in the
//!   provider value — shared by its clones — and minted anew once less than a quarter of
//!   its lifetime is left, so a secret never expires on the app and a leaked one is
//!   short-lived. The key never appears in a `Debug`, an error or a log; neither does
//!   a minted secret (Portcullis scrubs client secrets from provider errors).
//!   Lucia minted a secret valid 180 seconds on every token request; apps that paste
//!   a hand-made six-month secret (as Auth.js and better-auth users do) break when it
//!   expires.
//! * It reaches the token requests through [`Provider::client_secret`], which
//!   [`OAuthClient`](portcullis::OAuthClient) consults before every code exchange,
//!   refresh and revocation. The [`ClientConfig`](portcullis::ClientConfig) holds only
//!   the client id: build it with `ClientConfig::public(services_id)` (a secret given to
//!   `ClientConfig::new` would be ignored).
//! * The client authenticates in the form body (`client_id`, `client_secret`: Apple's
//!   discovery document lists only `client_secret_post`). No PKCE: Apple documents no
//!   `code_challenge` and its discovery document lists no method (Lucia and Arctic send
//!   none either).
//! * Scope `openid` always — it makes Portcullis send a `nonce`, which Apple puts in the
//!   ID token — plus the app's: `name` and `email` are the only others Apple has.
//!   Lucia requested no scope by default, so its users got neither name nor email.
//! * **`response_mode=form_post` by default** ([`ResponseMode`]). Apple refuses any other
//!   mode when `name` or `email` is requested ("response_mode must be form_post when name
//!   or email scope is requested"), and a provider does not see the scopes of the
//!   app's `ClientConfig`, so it cannot choose per request; `form_post` works whatever
//!   the scopes. Apple then **POSTs** the callback (`code`, `state`, or `error`, and the
//!   `user` JSON) to the redirect URI from `appleid.apple.com`: a cross-site POST, which
//!   a `SameSite=Lax` cookie does not survive. With `portcullis-axum`, register the
//!   client with `SignIn::form_post_provider` (its pending cookie is then
//!   `SameSite=None; Secure`); elsewhere parse the form body with
//!   [`CallbackParams::from_query`](portcullis::CallbackParams::from_query). Apps that
//!   request neither `name` nor `email` may choose [`ResponseMode::Query`] for a GET
//!   callback. Lucia sent `query` unless told otherwise (an error with `name`/`email`)
//!   and did not read the POST.
//! * **The ID token is verified**, and it is the whole profile (Apple has no user-info
//!   endpoint): RS256 with a key of Apple's key set `https://appleid.apple.com/auth/keys`
//!   (fetched once, cached in the provider value and shared by every sign-in and
//!   clone), `iss` exactly `https://appleid.apple.com`, `aud` the client id, `exp` and
//!   `iat`, the sign-in's `nonce`, `at_hash`. Each failure is an
//!   [`IdTokenError`](portcullis::IdTokenError); a token response without an ID token
//!   fails with `IdTokenError::Missing`. Lucia decoded the token without checking
//!   anything.
//! * The provider user id is `sub`, stable per development team. `email_verified` and
//!   `is_private_email` are read as booleans or as the strings `"true"`/`"false"`
//!   (Apple sends both); the profile's email is verified only when Apple says `true`.
//!   A private relay address (`…@privaterelay.appleid.com`) is a verified, working
//!   address for the app once its sending domains are registered with Apple.
//! * **The name comes once.** Apple puts no name in the ID token; on the user's first
//!   sign-in to the app only, it posts a `user` parameter
//!   (`{"name":{"firstName":…,"lastName":…},"email":…}`) beside the code, read here
//!   into [`AppleUser::name`] through
//!   [`UserRequest::callback_param`](portcullis::UserRequest::callback_param). Store it
//!   on that sign-in (`ProviderSession::create_user`); later sign-ins have `name: None`.
//!   The parameter is not signed by Apple: its `email` is ignored (the ID token's is
//!   used), and a `user` parameter that is not that JSON is ignored too, with a warning
//!   in the log — failing the sign-in would lose it as well, since the code is spent
//!   and Apple will not post the name again. `validate_code`, which gets no callback,
//!   never has a name. Lucia ignored the parameter.
//! * A user who presses "Cancel" comes back with `error=user_cancelled_authorize` (in
//!   the POST body with `form_post`): a
//!   [`CallbackError::Provider`](portcullis::CallbackError::Provider), not a missing
//!   code.
//! * Refresh ([`Refresh`]): Apple returns a new access token but no new refresh token;
//!   the tokens keep the one passed in, which does not expire by time (a password change
//!   or the user's revocation ends it: `invalid_grant`). Apple documents that a refresh
//!   token may be validated up to once a day and that it may throttle more: refresh to
//!   check that the user's grant still stands, not on every request. An ID token in a
//!   refresh response is verified as a sign-in's, without the `nonce`, before the tokens
//!   are returned.
//! * Revocation ([`Revoke`]) at `https://appleid.apple.com/auth/revoke`, RFC 7009 style
//!   with `client_id` and the minted `client_secret` in the body, and a
//!   `token_type_hint`. Apps offering account deletion must revoke the user's tokens
//!   (App Store Review Guideline 5.1.1(v)): keep the refresh token for that.
//! * A callback's `iss` (RFC 9207), if any, must be `https://appleid.apple.com`; Apple's
//!   discovery document does not advertise sending one, so none is required.
//!
//! # Features
//!
//! * `rustls-tls` (default): TLS through rustls.
//! * `native-tls`: TLS through the platform's library.

#![forbid(unsafe_code)]
#![cfg_attr(docsrs, feature(doc_auto_cfg))]

mod secret;
mod user;

use std::fmt;
use std::sync::Arc;
use std::time::Duration;

use portcullis::{
    ClientAuth, ClientSecret, Error, Pkce, Provider, ProviderInfo, Refresh, Refreshed, Revoke, Url,
    UserRequest,
};
use portcullis_oidc::{Algorithm, Clock, IdTokenVerifier, Jwks};
use serde::{Deserialize, Serialize};

pub use user::{AppleName, AppleUser, RealUserStatus};

use secret::Minter;
use user::{IdTokenClaims, NameError, name_from_user_param};

/// Apple's issuer identifier: what the ID token's `iss` must be, and the `aud` of every
/// client secret.
pub const ISSUER: &str = "https://appleid.apple.com";

/// Where Apple publishes the keys its ID tokens are signed with.
pub const JWKS_URL: &str = "https://appleid.apple.com/auth/keys";

/// The default lifetime of a minted client secret: one hour.
pub const DEFAULT_CLIENT_SECRET_LIFETIME: Duration = Duration::from_secs(3600);

/// How Apple returns the authorization response: the `response_mode` parameter.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResponseMode {
    /// `response_mode=query`: a GET to the redirect URI with the parameters in its query.
    /// Apple refuses it when the `name` or `email` scope is requested.
    Query,
    /// `response_mode=form_post`: a cross-site POST of a form to the redirect URI, the
    /// only mode Apple accepts with the `name` and `email` scopes, and the only one that
    /// carries the first sign-in's `user` JSON. The default.
    FormPost,
}

impl ResponseMode {
    /// The parameter value: `query` or `form_post`.
    pub fn as_str(self) -> &'static str {
        match self {
            ResponseMode::Query => "query",
            ResponseMode::FormPost => "form_post",
        }
    }
}

/// The Sign in with Apple provider for one team and key.
///
/// Holds the private key and the last client secret minted with it, and Apple's key set
/// ([`Jwks`]) for the ID tokens; clones share both caches. `Debug` never shows the key
/// or a secret.
#[derive(Clone)]
pub struct Apple {
    minter: Arc<Minter>,
    response_mode: ResponseMode,
    jwks: Jwks,
    leeway: Duration,
}

impl Apple {
    /// Apple for the development team `team_id` (the 10 characters at the top right of
    /// the developer account, or under Membership), signing client secrets with the
    /// Sign in with Apple key `key_id` (10 characters, under Keys) whose `.p8` file
    /// holds `private_key`.
    ///
    /// `private_key` is the file's text, `-----BEGIN PRIVATE KEY-----` and all (PKCS#8
    /// PEM); its line breaks may also be written `\n`, as in an environment variable,
    /// and its base64 body alone is accepted. Keep it out of the source tree.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] when the team id or key id is not 10 letters and digits, or when
    /// `private_key` is not a P-256 key in PKCS#8 — the message never shows the key.
    pub fn new(team_id: &str, key_id: &str, private_key: &str) -> Result<Apple, Error> {
        secret::check_id("team id", team_id)?;
        secret::check_id("key id", key_id)?;
        let key = secret::parse_private_key(private_key)?;
        Ok(Apple {
            minter: Arc::new(Minter::new(
                team_id.to_owned(),
                key_id.to_owned(),
                key,
                DEFAULT_CLIENT_SECRET_LIFETIME,
                Clock::system(),
            )),
            response_mode: ResponseMode::FormPost,
            jwks: Jwks::new(Url::parse(JWKS_URL).expect("a valid URL")),
            leeway: IdTokenVerifier::DEFAULT_LEEWAY,
        })
    }

    /// How Apple returns the authorization response. Default:
    /// [`ResponseMode::FormPost`], required with the `name` and `email` scopes.
    #[must_use]
    pub fn response_mode(mut self, response_mode: ResponseMode) -> Self {
        self.response_mode = response_mode;
        self
    }

    /// How long each minted client secret is valid: from one minute to Apple's limit of
    /// 15,777,000 seconds (six months), whole seconds. A secret is minted anew when less
    /// than a quarter of this is left. Default: one hour
    /// ([`DEFAULT_CLIENT_SECRET_LIFETIME`]). Starts an empty cache: configure it before
    /// sharing the provider.
    ///
    /// # Errors
    ///
    /// [`Error::Config`] for a lifetime outside that range.
    pub fn client_secret_lifetime(mut self, lifetime: Duration) -> Result<Self, Error> {
        if !(secret::MIN_LIFETIME..=secret::MAX_LIFETIME).contains(&lifetime) {
            return Err(Error::Config(format!(
                "a Sign in with Apple client secret lives from 60 to 15777000 seconds, not {}",
                lifetime.as_secs_f64()
            )));
        }
        let whole = Duration::from_secs(lifetime.as_secs());
        self.minter = Arc::new(self.minter.with_lifetime(whole));
        Ok(self)
    }

    /// Uses this key set cache: one shared with another Apple client, or one at another
    /// URL (a mock in tests). Default: [`JWKS_URL`].
    #[must_use]
    pub fn jwks(mut self, jwks: Jwks) -> Self {
        self.jwks = jwks;
        self
    }

    /// The clock skew allowed on the ID token's `exp` and `iat`. Default: 60 seconds.
    #[must_use]
    pub fn leeway(mut self, leeway: Duration) -> Self {
        self.leeway = leeway;
        self
    }

    /// The clock for the client secret's `iat` and `exp` and for the ID token's checks.
    /// Default: the system clock. Starts an empty secret cache.
    #[must_use]
    pub fn clock(mut self, clock: Clock) -> Self {
        self.minter = Arc::new(self.minter.with_clock(clock));
        self
    }

    /// The team id: the client secret's `iss`.
    pub fn team_id(&self) -> &str {
        self.minter.team_id()
    }

    /// The key id: the client secret's `kid`.
    pub fn key_id(&self) -> &str {
        self.minter.key_id()
    }

    /// How long a minted client secret is valid.
    pub fn secret_lifetime(&self) -> Duration {
        self.minter.lifetime()
    }

    /// Whether Apple answers with a `form_post` (a cross-site POST callback).
    pub fn is_form_post(&self) -> bool {
        self.response_mode == ResponseMode::FormPost
    }

    /// The key set cache.
    pub fn key_set(&self) -> &Jwks {
        &self.jwks
    }

    /// The verifier of Apple's ID tokens, sharing this provider's key set cache: to warm
    /// the cache at start-up (`verifier().jwks().load(…)`). Sign-ins and refreshes verify
    /// their ID tokens with it.
    pub fn verifier(&self) -> IdTokenVerifier {
        IdTokenVerifier::new(ISSUER, self.jwks.clone())
            .algorithms([Algorithm::Rs256])
            .leeway(self.leeway)
            .clock(self.minter.clock().clone())
    }
}

impl fmt::Debug for Apple {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Apple")
            .field("client_secret", &self.minter)
            .field("response_mode", &self.response_mode)
            .field("jwks", &self.jwks)
            .field("leeway", &self.leeway)
            .finish()
    }
}

impl Provider for Apple {
    type User = AppleUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "apple",
        name: "Apple",
        authorization_url: "https://appleid.apple.com/auth/authorize",
        token_url: "https://appleid.apple.com/auth/token",
        revocation_url: Some("https://appleid.apple.com/auth/revoke"),
        userinfo_url: None,
        issuer: Some(ISSUER),
        default_scopes: &["openid"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the verified ID token's `email_verified` claim (scope `email`), a boolean or the string \"true\"",
        docs_url: "https://developer.apple.com/documentation/signinwithapplerestapi",
    };

    /// The secret is the ES256 JWT [`client_secret`](Provider::client_secret) mints.
    const MAKES_CLIENT_SECRET: bool = true;

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        vec![("response_mode", self.response_mode.as_str().to_owned())]
    }

    /// The ES256 client secret for `client_id` (the Services ID): the cached one, or a
    /// new one when it nears its expiry.
    fn client_secret(&self, client_id: &str) -> Result<Option<ClientSecret>, Error> {
        self.minter.secret(client_id).map(Some)
    }

    /// Verifies the ID token, reads the user from it, and adds the name of the
    /// callback's `user` parameter when there is one.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<AppleUser, Error> {
        let verified = self.verifier().verify_user_request(&request).await?;
        let claims: IdTokenClaims = verified.deserialize()?;
        let name = match request.callback_param("user").map(name_from_user_param) {
            None => None,
            Some(Ok(name)) => name,
            Some(Err(NameError::Malformed)) => {
                tracing::warn!(
                    provider = request.provider_id(),
                    "ignoring the callback's `user` parameter: it is not the JSON Apple \
                     sends, so the user's name is unknown"
                );
                None
            }
        };
        Ok(claims.into_user(name))
    }
}

/// A new ID token in a refresh response is verified as a sign-in's, without the `nonce`.
impl Refresh for Apple {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        self.verifier().verify_refreshed(&refreshed).await.map(drop)
    }
}

/// `https://appleid.apple.com/auth/revoke`: access and refresh tokens.
impl Revoke for Apple {}
