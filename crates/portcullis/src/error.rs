//! Errors: one [`Error`] for every fallible call, with a stable [`Error::code`] and a
//! retry verdict ([`Error::is_retryable`]).
//!
//! The variants follow the places a sign-in can fail:
//!
//! * [`CallbackError`] — the redirect back from the provider is not one we can accept
//!   (the user pressed "Cancel", the `state` does not match, `code` is missing, …).
//! * [`RequestError`] — a request to the provider failed: an OAuth error response
//!   (RFC 6749 §5.2, also when sent with HTTP 200), an unexpected response, a transport
//!   failure, a body we could not parse or that was too large.
//! * [`StoreError`] — the app's [`UserAdapter`](crate::UserAdapter) failed.
//! * [`Error::Config`] — the client was configured in a way that cannot work.
//!
//! No error message ever contains a secret: not the client secret, not a token, not the
//! PKCE verifier, and not the body of a successful token response.

use std::fmt;
use std::time::Duration;

use crate::adapter::Key;

/// A boxed error from a lower layer (HTTP client, database driver).
pub type BoxError = Box<dyn std::error::Error + Send + Sync + 'static>;

/// Every way a Portcullis call can fail.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// The callback request from the provider cannot be accepted.
    #[error(transparent)]
    Callback(#[from] CallbackError),
    /// A request to the provider failed.
    #[error(transparent)]
    Request(#[from] RequestError),
    /// The user store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The client configuration cannot work (for example, a provider that needs a
    /// redirect URI was given none).
    #[error("invalid configuration: {0}")]
    Config(String),
    /// The OpenID Connect ID token failed verification (OIDC Core §3.1.3.7).
    #[error(transparent)]
    IdToken(#[from] IdTokenError),
    /// Linking by email was refused because the provider did not verify the address.
    #[error(
        "the provider did not verify this email address, so it cannot be used to link accounts"
    )]
    EmailNotVerified,
}

impl Error {
    /// A stable, machine-readable code for this error.
    ///
    /// Every failed request to the provider carries `FAILED_REQUEST`; match on
    /// [`RequestError::kind`] for the detail.
    ///
    /// | code | when |
    /// |---|---|
    /// | `PROVIDER_ERROR` | the provider redirected back with `error=…` (e.g. the user denied access) |
    /// | `INVALID_CALLBACK` | the callback is malformed: missing `code`, duplicated or oversized parameters |
    /// | `STATE_MISMATCH` | `state` is missing or differs from the one we sent, or the pending authorization belongs to another provider |
    /// | `ISSUER_MISMATCH` | the callback's `iss` (RFC 9207) is not the provider's issuer |
    /// | `FAILED_REQUEST` | a request to the provider failed ([`RequestError`]) |
    /// | `KEY_ALREADY_EXISTS` | the provider identity is already linked to a user |
    /// | `USER_NOT_FOUND` | the user to link an identity to does not exist |
    /// | `KEY_NOT_FOUND` | the identity to remove is not linked to that user |
    /// | `LAST_KEY` | the identity to remove is the user's last one |
    /// | `STORE_ERROR` | the user store failed |
    /// | `INVALID_CONFIG` | the client configuration cannot work |
    /// | `EMAIL_NOT_VERIFIED` | linking by email refused: the provider did not verify the address |
    /// | `INVALID_ID_TOKEN` | the OpenID Connect ID token failed verification |
    pub fn code(&self) -> &'static str {
        match self {
            Error::Callback(e) => e.code(),
            Error::Request(_) => "FAILED_REQUEST",
            Error::Store(e) => e.code(),
            Error::Config(_) => "INVALID_CONFIG",
            Error::EmailNotVerified => "EMAIL_NOT_VERIFIED",
            Error::IdToken(_) => "INVALID_ID_TOKEN",
        }
    }

    /// Whether trying the same call again later may succeed.
    ///
    /// Never true for anything that exchanged an authorization code —
    /// [`OAuthClient::exchange_code`](crate::OAuthClient::exchange_code),
    /// [`validate_callback`](crate::OAuthProvider::validate_callback) and
    /// [`validate_code`](crate::OAuthProvider::validate_code), whatever step failed: the
    /// code is single-use, so retrying either fails or burns the provider's rate limit.
    /// Start a new sign-in instead. True for timeouts, connection failures, 429 and 5xx
    /// answers of user requests, refreshes and revocations.
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Request(e) => e.is_retryable(),
            _ => false,
        }
    }

    /// Marks a failure that happened after the authorization code was spent.
    pub(crate) fn after_code_exchange(self) -> Self {
        match self {
            Error::Request(mut e) => {
                e.0.code_spent = true;
                Error::Request(e)
            }
            other => other,
        }
    }

    /// How long the provider asked us to wait before trying again (`Retry-After` on a
    /// 429 or 503 response), if it said.
    pub fn retry_after(&self) -> Option<Duration> {
        match self {
            Error::Request(e) => e.retry_after(),
            _ => None,
        }
    }
}

/// Why a callback request was rejected before anything was sent to the provider.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum CallbackError {
    /// The provider redirected back with an `error` parameter (RFC 6749 §4.1.2.1), for
    /// example `access_denied` when the user pressed "Cancel".
    ///
    /// `description` and `uri` are exactly what the provider sent: escape them before
    /// putting them in HTML.
    #[error("the provider returned an error: {error}{}", .description.as_deref().map(|d| format!(" ({d})")).unwrap_or_default())]
    Provider {
        /// The `error` code, e.g. `access_denied`.
        error: String,
        /// The optional `error_description`.
        description: Option<String>,
        /// The optional `error_uri`.
        uri: Option<String>,
    },
    /// The callback has no `code` parameter.
    #[error("the callback has no `code` parameter")]
    MissingCode,
    /// The callback has no `state` parameter.
    #[error("the callback has no `state` parameter")]
    MissingState,
    /// The callback's `state` differs from the one sent with the authorization request:
    /// the request may be forged (CSRF) or belong to another sign-in.
    #[error("the callback's `state` does not match the authorization request")]
    StateMismatch,
    /// The pending authorization was started for another provider.
    #[error("the pending authorization belongs to provider `{found}`, not `{expected}`")]
    ProviderMismatch {
        /// This provider's id.
        expected: String,
        /// The provider id stored in the pending authorization.
        found: String,
    },
    /// The callback's `iss` parameter (RFC 9207) is not this provider's issuer: the
    /// response may come from another authorization server (mix-up attack).
    #[error("the callback's `iss` is `{found}`, expected `{expected}`")]
    IssuerMismatch {
        /// The issuer we expected.
        expected: String,
        /// The issuer the callback named.
        found: String,
    },
    /// The callback has no `iss` parameter although the server says it always sends one
    /// (RFC 9207 §2.4).
    #[error("the callback has no `iss` parameter, which this provider always sends")]
    MissingIssuer,
    /// A parameter appears more than once.
    #[error("the callback parameter `{0}` appears more than once")]
    DuplicateParameter(&'static str),
    /// The callback's query string, or one of its parameters, is larger than any
    /// legitimate provider sends.
    #[error("the callback parameter `{0}` is too long")]
    TooLong(&'static str),
}

impl CallbackError {
    /// The stable code for this error; see [`Error::code`].
    pub fn code(&self) -> &'static str {
        match self {
            CallbackError::Provider { .. } => "PROVIDER_ERROR",
            CallbackError::MissingState
            | CallbackError::StateMismatch
            | CallbackError::ProviderMismatch { .. } => "STATE_MISMATCH",
            CallbackError::IssuerMismatch { .. } | CallbackError::MissingIssuer => {
                "ISSUER_MISMATCH"
            }
            CallbackError::MissingCode
            | CallbackError::DuplicateParameter(_)
            | CallbackError::TooLong(_) => "INVALID_CALLBACK",
        }
    }

    /// True when the provider reported that the user declined (`error=access_denied`).
    pub fn is_access_denied(&self) -> bool {
        matches!(self, CallbackError::Provider { error, .. } if error == "access_denied")
    }
}

/// Which request to the provider failed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Phase {
    /// Exchanging the authorization code for tokens.
    TokenExchange,
    /// Fetching the provider's user (userinfo or the provider's API).
    UserInfo,
    /// Refreshing an access token.
    Refresh,
    /// Revoking a token (RFC 7009).
    Revoke,
    /// Fetching OpenID Connect discovery metadata.
    Discovery,
    /// Fetching the issuer's signing keys (JWKS).
    Jwks,
}

impl Phase {
    /// A short, stable name: `token_exchange`, `user_info`, `refresh`, `revoke`,
    /// `discovery`, `jwks`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::TokenExchange => "token_exchange",
            Phase::UserInfo => "user_info",
            Phase::Refresh => "refresh",
            Phase::Revoke => "revoke",
            Phase::Discovery => "discovery",
            Phase::Jwks => "jwks",
        }
    }
}

impl fmt::Display for Phase {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Phase::TokenExchange => "token exchange",
            Phase::UserInfo => "user request",
            Phase::Refresh => "token refresh",
            Phase::Revoke => "token revocation",
            Phase::Discovery => "discovery",
            Phase::Jwks => "key set (JWKS) request",
        })
    }
}

/// A failed request to the provider: which provider, which [`Phase`], and what went
/// wrong ([`RequestErrorKind`]).
// Boxed so that `Result<T, Error>` stays small on the happy path.
#[derive(Debug)]
pub struct RequestError(Box<RequestErrorInner>);

#[derive(Debug)]
struct RequestErrorInner {
    provider: String,
    phase: Phase,
    kind: RequestErrorKind,
    retry_after: Option<Duration>,
    /// The authorization code was exchanged before this failed: retrying the whole call
    /// would send it again.
    code_spent: bool,
}

impl fmt::Display for RequestError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} {} failed: {}",
            self.0.provider, self.0.phase, self.0.kind
        )
    }
}

impl std::error::Error for RequestError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0.kind)
    }
}

impl RequestError {
    pub(crate) fn new(provider: &str, phase: Phase, kind: RequestErrorKind) -> Self {
        RequestError(Box::new(RequestErrorInner {
            provider: provider.to_owned(),
            phase,
            kind,
            retry_after: None,
            code_spent: false,
        }))
    }

    pub(crate) fn with_retry_after(mut self, retry_after: Option<Duration>) -> Self {
        self.0.retry_after = retry_after;
        self
    }

    /// Removes `secret` from everything the provider said. Some providers echo the
    /// authorization code in their error descriptions (Kakao: "… for code=…").
    pub(crate) fn redact(mut self, secret: &str) -> Self {
        if secret.is_empty() {
            return self;
        }
        let encoded: String = url::form_urlencoded::byte_serialize(secret.as_bytes()).collect();
        let scrub = |text: &mut String| {
            for form in [secret, encoded.as_str()] {
                if text.contains(form) {
                    *text = text.replace(form, "[redacted]");
                }
            }
            // An excerpt cut inside the secret ends with its start.
            // (At character boundaries only: a code from the callback can be any text.)
            for len in (8..secret.len()).rev() {
                if secret.is_char_boundary(len) && text.ends_with(&secret[..len]) {
                    text.truncate(text.len() - len);
                    text.push_str("[redacted]");
                    break;
                }
            }
        };
        match &mut self.0.kind {
            RequestErrorKind::OAuth { response, .. } => {
                scrub(&mut response.error);
                response.description.as_mut().map(scrub);
                response.uri.as_mut().map(scrub);
            }
            RequestErrorKind::UnexpectedResponse { excerpt, .. } => scrub(excerpt),
            _ => {}
        }
        self
    }

    /// The id of the provider the request went to.
    pub fn provider(&self) -> &str {
        &self.0.provider
    }

    /// Which request failed.
    pub fn phase(&self) -> Phase {
        self.0.phase
    }

    /// What went wrong.
    pub fn kind(&self) -> &RequestErrorKind {
        &self.0.kind
    }

    /// The `Retry-After` the provider sent with a 429 or 503, in seconds form.
    pub fn retry_after(&self) -> Option<Duration> {
        self.0.retry_after
    }

    /// The OAuth error response, when the provider sent one.
    pub fn oauth_error(&self) -> Option<&OAuthErrorResponse> {
        match &self.0.kind {
            RequestErrorKind::OAuth { response, .. } => Some(response),
            _ => None,
        }
    }

    /// Whether the same request may succeed later. Never true for a code exchange.
    pub fn is_retryable(&self) -> bool {
        if self.0.phase == Phase::TokenExchange || self.0.code_spent {
            return false;
        }
        match &self.0.kind {
            RequestErrorKind::Timeout | RequestErrorKind::Connect(_) => true,
            RequestErrorKind::UnexpectedResponse { status, .. } => {
                matches!(status, 408 | 429 | 500 | 502 | 503 | 504)
            }
            RequestErrorKind::OAuth { status, response } => {
                matches!(status, 429 | 503)
                    || matches!(
                        response.error.as_str(),
                        "temporarily_unavailable" | "server_error" | "slow_down"
                    )
            }
            _ => false,
        }
    }
}

/// What went wrong with a request to the provider.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum RequestErrorKind {
    /// The provider answered with an OAuth error response (RFC 6749 §5.2), with any
    /// status — GitHub sends these with HTTP 200.
    #[error("the provider answered {response} (HTTP {status})")]
    OAuth {
        /// The HTTP status of the response.
        status: u16,
        /// The parsed error.
        response: OAuthErrorResponse,
    },
    /// The provider answered with a status or content type we cannot use, e.g. a 500
    /// with an HTML error page.
    #[error("unexpected HTTP {status} response{}{}", .content_type.as_deref().map(|c| format!(" ({c})")).unwrap_or_default(), if .excerpt.is_empty() { String::new() } else { format!(": {}", .excerpt) })]
    UnexpectedResponse {
        /// The HTTP status.
        status: u16,
        /// The `Content-Type`, if any.
        content_type: Option<String>,
        /// The start of the body (at most 200 characters, control characters removed).
        /// Empty for successful token responses, which hold secrets.
        excerpt: String,
    },
    /// The response body was not what the provider documents: invalid JSON, a missing
    /// field, a field of the wrong type.
    #[error("invalid response: {reason}{}", .field.as_deref().map(|f| format!(" at `{f}`")).unwrap_or_default())]
    InvalidResponse {
        /// The path of the offending field (`access_token`, `data[0].id`), when known.
        field: Option<String>,
        /// What was wrong, without the offending value.
        reason: String,
    },
    /// The response body exceeded the client's size limit.
    #[error("response body larger than the {limit}-byte limit")]
    BodyTooLarge {
        /// The limit, in bytes.
        limit: usize,
    },
    /// The request did not complete within the client's timeout.
    #[error("the request timed out")]
    Timeout,
    /// No connection could be made.
    #[error("could not connect: {0}")]
    Connect(#[source] BoxError),
    /// Another transport failure (connection reset, TLS, malformed HTTP). A redirect is
    /// not followed: it comes back as [`UnexpectedResponse`](Self::UnexpectedResponse)
    /// with its 3xx status.
    #[error("transport error: {0}")]
    Transport(#[source] BoxError),
}

/// An OAuth 2.0 error response (RFC 6749 §5.2), e.g. `{"error":"invalid_grant"}`.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize, serde::Serialize)]
pub struct OAuthErrorResponse {
    /// The error code: `invalid_request`, `invalid_client`, `invalid_grant`,
    /// `unauthorized_client`, `unsupported_grant_type`, `invalid_scope`, or a
    /// provider's own (GitHub: `bad_verification_code`).
    pub error: String,
    /// `error_description`, if sent.
    #[serde(default, rename = "error_description")]
    pub description: Option<String>,
    /// `error_uri`, if sent.
    #[serde(default, rename = "error_uri")]
    pub uri: Option<String>,
}

impl fmt::Display for OAuthErrorResponse {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}`", self.error)?;
        if let Some(description) = &self.description {
            write!(f, ": {description}")?;
        }
        Ok(())
    }
}

/// Why an OpenID Connect ID token was rejected (OIDC Core §3.1.3.7). The token itself
/// never appears in the message.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum IdTokenError {
    /// The token response has no `id_token`, but the flow needs one.
    #[error("the token response has no ID token")]
    Missing,
    /// The token is not a well-formed JWS/JWT.
    #[error("the ID token is malformed: {0}")]
    Malformed(String),
    /// The token is signed with an algorithm outside the allow-list (`none` never is in it).
    #[error("the ID token's algorithm `{0}` is not allowed")]
    Algorithm(String),
    /// No key of the issuer's JWKS matches the token, even after refreshing the set.
    #[error("no key of the issuer matches the ID token")]
    UnknownKey,
    /// The signature does not verify.
    #[error("the ID token's signature is invalid")]
    Signature,
    /// `iss` is not the issuer.
    #[error("the ID token's issuer is `{found}`, expected `{expected}`")]
    Issuer {
        /// The issuer we expected.
        expected: String,
        /// The token's `iss`.
        found: String,
    },
    /// `aud` does not contain this client's id, or `azp` names another client.
    #[error("the ID token is not meant for this client")]
    Audience,
    /// `exp` has passed (beyond the allowed clock skew).
    #[error("the ID token has expired")]
    Expired,
    /// `iat` is in the future (beyond the allowed clock skew).
    #[error("the ID token was issued in the future")]
    IssuedInFuture,
    /// `nonce` is missing or differs from the one sent with the authorization request.
    #[error("the ID token's nonce does not match the authorization request")]
    Nonce,
    /// The userinfo response is for another subject than the ID token.
    #[error("the userinfo response's `sub` differs from the ID token's")]
    SubjectMismatch,
    /// Another claim is invalid (`at_hash`, a required claim missing, …).
    #[error("the ID token's `{claim}` claim is invalid")]
    Claim {
        /// The claim's name.
        claim: String,
    },
}

/// A failure of the app's user store.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    /// The key (provider id + provider user id) already belongs to a user.
    #[error("the identity {0} is already linked to a user")]
    KeyExists(Key),
    /// The user does not exist.
    #[error("the user does not exist")]
    UserNotFound,
    /// The key does not belong to that user.
    #[error("the identity {0} is not linked to that user")]
    KeyNotFound(Key),
    /// Removing the key would leave the user with no way to sign in.
    #[error("the identity {0} is the user's last one and cannot be removed")]
    LastKey(Key),
    /// The backend (database, network) failed.
    #[error("user store error: {0}")]
    Backend(#[source] BoxError),
}

impl StoreError {
    /// Wraps a backend error.
    pub fn backend(error: impl Into<BoxError>) -> Self {
        StoreError::Backend(error.into())
    }

    /// The stable code for this error; see [`Error::code`].
    pub fn code(&self) -> &'static str {
        match self {
            StoreError::KeyExists(_) => "KEY_ALREADY_EXISTS",
            StoreError::UserNotFound => "USER_NOT_FOUND",
            StoreError::KeyNotFound(_) => "KEY_NOT_FOUND",
            StoreError::LastKey(_) => "LAST_KEY",
            StoreError::Backend(_) => "STORE_ERROR",
        }
    }
}
