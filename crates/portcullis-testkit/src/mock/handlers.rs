//! The endpoints: `/authorize` (and its approval page's `/authorize/decision`),
//! `/token`, `/userinfo` and `/revoke`; in OpenID Connect mode also
//! `/.well-known/openid-configuration` and `/jwks`.

use std::collections::HashMap;
use std::time::Instant;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{RawQuery, State};
use axum::http::{HeaderMap, HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use portcullis::Phase;
use serde_json::json;
use url::Url;

use super::{
    ACCESS_TOKEN_LIFETIME_SECS, Approval, AuthorizationRequest, Fault, PENDING_LIFETIME, Shared,
    State as MockState, lock, oidc, page, random,
};
use crate::s256_challenge;

pub(super) fn router(state: Shared, oidc: bool) -> Router {
    let router = Router::new()
        .route("/authorize", get(authorize))
        .route("/authorize/decision", post(decision))
        .route("/token", post(token))
        .route("/userinfo", get(userinfo))
        .route("/revoke", post(revoke));
    let router = if oidc {
        router
            .route("/.well-known/openid-configuration", get(discovery))
            .route("/jwks", get(jwks))
    } else {
        router
    };
    router.with_state(state)
}

// ---------------------------------------------------------------------------------
// Authorization endpoint (RFC 6749 §4.1.1, RFC 7636 §4.3)
// ---------------------------------------------------------------------------------

async fn authorize(State(state): State<Shared>, RawQuery(query): RawQuery) -> Response {
    let params = match Params::parse(query.unwrap_or_default().as_bytes()) {
        Ok(params) => params,
        Err(error) => return page::error("invalid_request", &error),
    };
    let mut state = lock(&state);
    let request = match validate_authorization(&state, &params) {
        Ok(request) => request,
        Err((error, description)) => return page::error(error, &description),
    };
    match state.approval {
        Approval::Auto => see_other(&state.approve(request)),
        Approval::Deny => see_other(&state.deny(&request)),
        Approval::Page => {
            let now = Instant::now();
            state
                .pending
                .retain(|_, (_, at)| now.duration_since(*at) < PENDING_LIFETIME);
            let id = random("req_");
            let user = state
                .user(&request.user_id)
                .expect("validated user")
                .clone();
            let response = page::approval(&id, &request, &user);
            state.pending.insert(id, (request, now));
            response
        }
    }
}

/// Every check a strict server makes before it shows anything to the user. The error
/// code and a description for the error page.
fn validate_authorization(
    state: &MockState,
    params: &Params,
) -> Result<AuthorizationRequest, (&'static str, String)> {
    let invalid = |description: &str| ("invalid_request", description.to_owned());
    let client_id = params
        .get("client_id")
        .ok_or_else(|| invalid("The request has no `client_id`."))?;
    let Some(secret) = state.clients.get(client_id) else {
        return Err((
            "invalid_client",
            format!("No client `{client_id}` is registered with this provider."),
        ));
    };
    let redirect_uri = params
        .get("redirect_uri")
        .ok_or_else(|| invalid("The request has no `redirect_uri`."))?;
    match Url::parse(redirect_uri) {
        Ok(url) if !matches!(url.scheme(), "http" | "https") => {
            return Err(invalid("The `redirect_uri` must be an http or https URL."));
        }
        Ok(url) if url.fragment().is_some() => {
            return Err(invalid("The `redirect_uri` must not have a fragment."));
        }
        Ok(_) => {}
        Err(_) => return Err(invalid("The `redirect_uri` is not an absolute URL.")),
    }
    match params.get("response_type") {
        None => return Err(invalid("The request has no `response_type`.")),
        Some("code") => {}
        Some(other) => {
            return Err((
                "unsupported_response_type",
                format!("The response type `{other}` is not supported: use `code`."),
            ));
        }
    }
    let state_param = params
        .get("state")
        .ok_or_else(|| invalid("The request has no `state`: it would be open to CSRF."))?;
    let code_challenge = match (
        params.get("code_challenge"),
        params.get("code_challenge_method"),
    ) {
        (None, None) if secret.is_none() => {
            return Err(invalid(
                "PKCE is required for public clients: send `code_challenge` with `code_challenge_method=S256`.",
            ));
        }
        (None, None) => None,
        (Some(challenge), Some("S256")) => {
            // base64url(SHA-256) without padding is exactly 43 characters.
            if challenge.len() != 43
                || !challenge
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                return Err(invalid(
                    "The `code_challenge` is not a base64url-encoded SHA-256 hash.",
                ));
            }
            Some(challenge.to_owned())
        }
        (Some(_), None | Some("plain")) => {
            return Err(invalid(
                "Only the S256 PKCE method is supported: send `code_challenge_method=S256`.",
            ));
        }
        (Some(_), Some(other)) => {
            return Err(invalid(&format!(
                "The PKCE method `{other}` is not supported: use S256."
            )));
        }
        (None, Some(_)) => return Err(invalid("The request has no `code_challenge`.")),
    };
    let user_id = match params.get("login_hint") {
        Some(hint) => state
            .user(hint)
            .ok_or_else(|| invalid(&format!("No user `{hint}` (from `login_hint`) exists.")))?
            .id
            .clone(),
        None => state.users[0].id.clone(),
    };
    Ok(AuthorizationRequest {
        client_id: client_id.to_owned(),
        redirect_uri: redirect_uri.to_owned(),
        state: state_param.to_owned(),
        code_challenge,
        nonce: params.get("nonce").map(str::to_owned),
        scope: params.get("scope").map(str::to_owned),
        user_id,
    })
}

/// The approval page's form: `request_id` and `decision` (`approve` or `cancel`).
async fn decision(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if !is_form(&headers) {
        return page::error("invalid_request", "The decision must be posted as a form.");
    }
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return page::error("invalid_request", &error),
    };
    let approve = match params.get("decision") {
        Some("approve") => true,
        Some("cancel") => false,
        _ => return page::error("invalid_request", "Choose Approve or Cancel."),
    };
    let mut state = lock(&state);
    // One-time: the request id is gone once answered.
    let pending = params
        .get("request_id")
        .and_then(|id| state.pending.remove(id))
        .filter(|(_, at)| at.elapsed() < PENDING_LIFETIME);
    let Some((request, _)) = pending else {
        return page::error(
            "invalid_request",
            "This sign-in request has expired or was already answered. Start the sign-in again from the app.",
        );
    };
    if approve {
        see_other(&state.approve(request))
    } else {
        see_other(&state.deny(&request))
    }
}

fn see_other(location: &Url) -> Response {
    let mut response = StatusCode::SEE_OTHER.into_response();
    let headers = response.headers_mut();
    headers.insert(
        header::LOCATION,
        HeaderValue::from_str(location.as_str()).expect("a URL is a valid header value"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    response
}

// ---------------------------------------------------------------------------------
// Token endpoint (RFC 6749 §4.1.3, §6, §5.1, §5.2; RFC 7636 §4.6)
// ---------------------------------------------------------------------------------

async fn token(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let form = is_form(&headers);
    let params = if form {
        Params::parse(&body)
    } else {
        Ok(Params::default())
    };
    let phase = match &params {
        Ok(params) if params.get("grant_type") == Some("refresh_token") => Phase::Refresh,
        _ => Phase::TokenExchange,
    };
    if let Some(response) = arrive(&state, phase).await {
        return response;
    }
    let params = match (form, params) {
        (false, _) => return not_a_form(),
        (true, Err(error)) => return oauth_error("invalid_request", &error),
        (true, Ok(params)) => params,
    };
    let mut state = lock(&state);
    let client_id = match authenticate(&state, &headers, &params) {
        Ok(client_id) => client_id,
        Err(response) => return *response,
    };
    match params.get("grant_type") {
        None => oauth_error("invalid_request", "missing `grant_type`"),
        Some("authorization_code") => exchange_code(&mut state, &client_id, &params),
        Some("refresh_token") => refresh(&mut state, &client_id, &params),
        Some(other) => oauth_error(
            "unsupported_grant_type",
            &format!("the grant type `{other}` is not supported"),
        ),
    }
}

fn exchange_code(state: &mut MockState, client_id: &str, params: &Params) -> Response {
    let Some(code) = params.get("code") else {
        return oauth_error("invalid_request", "missing `code`");
    };
    let Some(entry) = state.codes.get_mut(code) else {
        return oauth_error("invalid_grant", "unknown authorization code");
    };
    if entry.used {
        // RFC 6749 §4.1.2: a code used twice revokes what it was exchanged for.
        let grant = entry.grant;
        state.revoke_grant(grant);
        return oauth_error(
            "invalid_grant",
            "the authorization code was already used; its tokens are revoked",
        );
    }
    // From here on the code is spent, whether the exchange succeeds or not.
    let entry = state.codes.remove(code).expect("found above");
    if Instant::now() >= entry.expires_at {
        return oauth_error("invalid_grant", "the authorization code has expired");
    }
    if state.grants[&entry.grant].client_id != client_id {
        return oauth_error(
            "invalid_grant",
            "the authorization code was issued to another client",
        );
    }
    if params.get("redirect_uri") != Some(entry.redirect_uri.as_str()) {
        return oauth_error(
            "invalid_grant",
            "the `redirect_uri` differs from the authorization request's",
        );
    }
    match (&entry.code_challenge, params.get("code_verifier")) {
        (Some(challenge), Some(verifier)) => {
            let well_formed = (43..=128).contains(&verifier.len())
                && verifier
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b"-._~".contains(&b));
            if !well_formed || s256_challenge(verifier) != *challenge {
                return oauth_error(
                    "invalid_grant",
                    "the PKCE `code_verifier` does not match the `code_challenge`",
                );
            }
        }
        (Some(_), None) => return oauth_error("invalid_grant", "missing PKCE `code_verifier`"),
        // A verifier for a request without a challenge: a PKCE downgrade attempt.
        (None, Some(_)) => {
            return oauth_error(
                "invalid_grant",
                "a `code_verifier` was sent but the authorization request had no `code_challenge`",
            );
        }
        (None, None) => {}
    }
    let grant = entry.grant;
    state.codes.insert(
        code.to_owned(),
        super::Code {
            used: true,
            ..entry
        },
    );
    token_response(state, grant, true)
}

fn refresh(state: &mut MockState, client_id: &str, params: &Params) -> Response {
    let Some(refresh_token) = params.get("refresh_token") else {
        return oauth_error("invalid_request", "missing `refresh_token`");
    };
    let Some(&grant) = state.refresh_tokens.get(refresh_token) else {
        return oauth_error("invalid_grant", "unknown or revoked refresh token");
    };
    if state.grants[&grant].client_id != client_id {
        return oauth_error(
            "invalid_grant",
            "the refresh token was issued to another client",
        );
    }
    if let Some(requested) = params.get("scope") {
        let granted = state.grants[&grant].scope.as_deref().unwrap_or_default();
        if !requested
            .split(' ')
            .all(|scope| granted.split(' ').any(|g| g == scope))
        {
            return oauth_error(
                "invalid_scope",
                "a refresh cannot add scopes to the original grant",
            );
        }
    }
    // Rotation: the old refresh token is spent.
    state.refresh_tokens.remove(refresh_token);
    token_response(state, grant, false)
}

/// RFC 6749 §5.1: new tokens in `grant`; in OpenID Connect mode, for an OpenID grant,
/// with an ID token (OpenID Connect Core 1.0 §3.1.3.3), which carries the
/// authorization request's `nonce` when issued for the `code` (§12.2: not on refresh).
fn token_response(state: &mut MockState, grant: u64, code_exchange: bool) -> Response {
    let (access_token, refresh_token) = state.issue(grant);
    let mut body = json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "expires_in": ACCESS_TOKEN_LIFETIME_SECS,
        "refresh_token": refresh_token,
    });
    let entry = &state.grants[&grant];
    if let Some(scope) = &entry.scope {
        body["scope"] = json!(scope);
    }
    if let Some(issuer) = state.oidc.as_ref().filter(|_| entry.is_openid()) {
        let user = state.user(&entry.user_id).expect("granted users exist");
        let nonce = entry.nonce.as_deref().filter(|_| code_exchange);
        match issuer.id_token(
            user,
            &entry.client_id,
            nonce,
            entry.auth_time,
            &access_token,
        ) {
            Ok(id_token) => body["id_token"] = json!(id_token),
            Err(error) => {
                return json_response(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    &json!({
                        "error": "server_error",
                        "error_description": format!("the mock could not sign the ID token: {error}"),
                    }),
                );
            }
        }
    }
    json_response(StatusCode::OK, &body)
}

// ---------------------------------------------------------------------------------
// Userinfo (RFC 6750 §2.1, §3.1)
// ---------------------------------------------------------------------------------

async fn userinfo(State(state): State<Shared>, headers: HeaderMap) -> Response {
    if let Some(response) = arrive(&state, Phase::UserInfo).await {
        return response;
    }
    let state = lock(&state);
    let grant = bearer(&headers)
        .and_then(|token| state.access_tokens.get(token))
        .and_then(|grant| state.grants.get(grant));
    let user = grant.and_then(|grant| Some((grant, state.user(&grant.user_id)?)));
    match user {
        // OpenID Connect Core 1.0 §5.3.2: the standard claims.
        Some((grant, user)) if state.oidc.is_some() && grant.is_openid() => {
            json_response(StatusCode::OK, &oidc::user_claims(user))
        }
        Some((_, user)) => json_response(
            StatusCode::OK,
            &serde_json::to_value(crate::TestUser::from(user)).expect("serializable"),
        ),
        None => {
            let mut response = json_response(
                StatusCode::UNAUTHORIZED,
                &json!({
                    "error": "invalid_token",
                    "error_description": "the access token is missing, unknown or revoked",
                }),
            );
            response.headers_mut().insert(
                header::WWW_AUTHENTICATE,
                HeaderValue::from_static("Bearer realm=\"mock\", error=\"invalid_token\""),
            );
            response
        }
    }
}

/// The token of an `Authorization: Bearer …` header; the scheme is case-insensitive.
fn bearer(headers: &HeaderMap) -> Option<&str> {
    let value = headers.get(header::AUTHORIZATION)?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then(|| token.trim())
        .filter(|token| !token.is_empty())
}

// ---------------------------------------------------------------------------------
// OpenID Connect discovery (OpenID Connect Discovery 1.0 §4) and the key set (RFC 7517)
// ---------------------------------------------------------------------------------

async fn discovery(State(state): State<Shared>) -> Response {
    if let Some(response) = arrive(&state, Phase::Discovery).await {
        return response;
    }
    let document = lock(&state)
        .oidc
        .as_ref()
        .map(oidc::Oidc::discovery_document);
    match document {
        Some(document) => public_json("application/json", &document),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

async fn jwks(State(state): State<Shared>) -> Response {
    if let Some(response) = arrive(&state, Phase::Jwks).await {
        return response;
    }
    let keys = lock(&state).oidc.as_ref().map(oidc::Oidc::jwks);
    match keys {
        Some(keys) => public_json("application/jwk-set+json", &keys),
        None => StatusCode::NOT_FOUND.into_response(),
    }
}

/// Public JSON. Not cached either: a test that rotates the keys must see the new set.
fn public_json(content_type: &'static str, body: &serde_json::Value) -> Response {
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, content_type),
            (header::CACHE_CONTROL, "no-cache"),
        ],
        body.to_string(),
    )
        .into_response()
}

// ---------------------------------------------------------------------------------
// Revocation (RFC 7009)
// ---------------------------------------------------------------------------------

async fn revoke(State(state): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    if let Some(response) = arrive(&state, Phase::Revoke).await {
        return response;
    }
    if !is_form(&headers) {
        return not_a_form();
    }
    let params = match Params::parse(&body) {
        Ok(params) => params,
        Err(error) => return oauth_error("invalid_request", &error),
    };
    let mut state = lock(&state);
    let client_id = match authenticate(&state, &headers, &params) {
        Ok(client_id) => client_id,
        Err(response) => return *response,
    };
    let Some(token) = params.get("token") else {
        return oauth_error("invalid_request", "missing `token`");
    };
    // Whatever `token_type_hint` says, both kinds are looked up (RFC 7009 §2.1).
    let (grant, is_refresh) = match (
        state.access_tokens.get(token),
        state.refresh_tokens.get(token),
    ) {
        (Some(&grant), _) => (grant, false),
        (None, Some(&grant)) => (grant, true),
        // An unknown or already revoked token: nothing to do, and success (§2.2).
        (None, None) => return StatusCode::OK.into_response(),
    };
    if state.grants[&grant].client_id != client_id {
        return oauth_error(
            "unauthorized_client",
            "the token was issued to another client",
        );
    }
    if is_refresh {
        // §2.1: revoking a refresh token also revokes the access tokens of its grant.
        state.revoke_grant(grant);
    } else {
        state.access_tokens.remove(token);
    }
    StatusCode::OK.into_response()
}

// ---------------------------------------------------------------------------------
// Shared parts
// ---------------------------------------------------------------------------------

/// Counts the request and applies the fault waiting for `phase`: the response to send
/// instead, or `None` to answer normally (after the delay of a [`Fault::Delay`]).
async fn arrive(state: &Shared, phase: Phase) -> Option<Response> {
    let fault = lock(state).arrive(phase)?;
    match fault {
        Fault::Delay(delay) => {
            tokio::time::sleep(delay).await;
            None
        }
        Fault::Status(status, body) => {
            let content_type = match body.trim_start().as_bytes().first() {
                Some(b'{') => "application/json",
                Some(b'<') => "text/html; charset=utf-8",
                _ => "text/plain; charset=utf-8",
            };
            let status = StatusCode::from_u16(status).expect("checked by fail_next");
            Some((status, [(header::CONTENT_TYPE, content_type)], body).into_response())
        }
        Fault::Body(body) => Some(
            (
                StatusCode::OK,
                [(header::CONTENT_TYPE, "application/json")],
                body,
            )
                .into_response(),
        ),
        Fault::OAuthError(error) => {
            let status = match error {
                "invalid_client" | "invalid_token" => StatusCode::UNAUTHORIZED,
                _ => StatusCode::BAD_REQUEST,
            };
            Some(json_response(
                status,
                &json!({
                    "error": error,
                    "error_description": "injected by MockProvider::fail_next",
                }),
            ))
        }
    }
}

/// Client authentication (RFC 6749 §2.3.1): HTTP Basic with the form-urlencoded id and
/// secret, or `client_id` and `client_secret` in the body; a public client sends only
/// its `client_id`. One method per request. The authenticated client's id, or the
/// error response.
fn authenticate(
    state: &MockState,
    headers: &HeaderMap,
    params: &Params,
) -> Result<String, Box<Response>> {
    let basic = match headers
        .get(header::AUTHORIZATION)
        .map(|value| value.to_str().ok().and_then(basic_credentials))
    {
        None => None,
        Some(Some(credentials)) => Some(credentials),
        Some(None) => {
            return Err(Box::new(invalid_client(
                "malformed `Authorization` header: expected Basic credentials",
                true,
            )));
        }
    };
    let used_basic = basic.is_some();
    let (client_id, secret) = match basic {
        Some((id, secret)) => {
            if params.get("client_secret").is_some() {
                return Err(Box::new(oauth_error(
                    "invalid_request",
                    "the client authenticated twice: with HTTP Basic and with `client_secret`",
                )));
            }
            if params.get("client_id").is_some_and(|body_id| body_id != id) {
                return Err(Box::new(oauth_error(
                    "invalid_request",
                    "the body's `client_id` differs from the HTTP Basic one",
                )));
            }
            (id, Some(secret).filter(|s| !s.is_empty()))
        }
        None => match params.get("client_id") {
            Some(id) => (
                id.to_owned(),
                params.get("client_secret").map(str::to_owned),
            ),
            None => {
                return Err(Box::new(invalid_client(
                    "no client authentication: send HTTP Basic credentials or `client_id`",
                    false,
                )));
            }
        },
    };
    match (state.clients.get(&client_id), secret) {
        (None, _) => Err(Box::new(invalid_client("unknown client", used_basic))),
        (Some(Some(expected)), Some(secret)) if *expected == secret => Ok(client_id),
        (Some(Some(_)), Some(_)) => {
            Err(Box::new(invalid_client("wrong client secret", used_basic)))
        }
        (Some(Some(_)), None) => Err(Box::new(invalid_client(
            "the client is confidential: authenticate with its secret",
            used_basic,
        ))),
        (Some(None), None) => Ok(client_id),
        (Some(None), Some(_)) => Err(Box::new(invalid_client(
            "the client is public: it has no secret",
            used_basic,
        ))),
    }
}

/// Id and secret of `Basic base64(urlencode(id) ":" urlencode(secret))`.
fn basic_credentials(value: &str) -> Option<(String, String)> {
    let (scheme, encoded) = value.split_once(' ')?;
    if !scheme.eq_ignore_ascii_case("basic") {
        return None;
    }
    let decoded = String::from_utf8(base64_decode(encoded.trim())?).ok()?;
    let (id, secret) = decoded.split_once(':')?;
    Some((form_decode(id)?, form_decode(secret)?))
}

/// Standard base64 (RFC 4648 §4); padding optional.
fn base64_decode(input: &str) -> Option<Vec<u8>> {
    let input = input.trim_end_matches('=');
    let mut out = Vec::with_capacity(input.len() * 3 / 4);
    let mut buffer = 0u32;
    let mut bits = 0;
    for byte in input.bytes() {
        let value = match byte {
            b'A'..=b'Z' => byte - b'A',
            b'a'..=b'z' => byte - b'a' + 26,
            b'0'..=b'9' => byte - b'0' + 52,
            b'+' => 62,
            b'/' => 63,
            _ => return None,
        };
        buffer = (buffer << 6) | u32::from(value);
        bits += 6;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
            buffer &= (1 << bits) - 1;
        }
    }
    // A single leftover character cannot encode a byte.
    (bits < 6).then_some(out)
}

/// Decodes `application/x-www-form-urlencoded` text: `+` is a space, `%XX` a byte.
fn form_decode(input: &str) -> Option<String> {
    let bytes = input.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' => {
                let hex = input.get(i + 1..i + 3)?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 2;
            }
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).ok()
}

fn is_form(headers: &HeaderMap) -> bool {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split(';').next())
        .is_some_and(|media| {
            media
                .trim()
                .eq_ignore_ascii_case("application/x-www-form-urlencoded")
        })
}

fn not_a_form() -> Response {
    oauth_error(
        "invalid_request",
        "the body must be `application/x-www-form-urlencoded`",
    )
}

/// An RFC 6749 §5.2 error: 400, or 401 for `invalid_client`.
fn oauth_error(error: &str, description: &str) -> Response {
    json_response(
        StatusCode::BAD_REQUEST,
        &json!({ "error": error, "error_description": description }),
    )
}

/// `invalid_client` is a 401, with a `WWW-Authenticate` challenge when the client used
/// HTTP Basic (RFC 6749 §5.2).
fn invalid_client(description: &str, basic: bool) -> Response {
    let mut response = json_response(
        StatusCode::UNAUTHORIZED,
        &json!({ "error": "invalid_client", "error_description": description }),
    );
    if basic {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"mock\""),
        );
    }
    response
}

/// JSON that must not be cached (RFC 6749 §5.1).
fn json_response(status: StatusCode, body: &serde_json::Value) -> Response {
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "application/json")],
        body.to_string(),
    )
        .into_response();
    let headers = response.headers_mut();
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert(header::PRAGMA, HeaderValue::from_static("no-cache"));
    response
}

/// Form or query parameters, strictly: a repeated name is an error (RFC 6749 §3.1,
/// §3.2), and an empty value counts as absent (§3.1).
#[derive(Debug, Default)]
struct Params(HashMap<String, String>);

impl Params {
    fn parse(input: &[u8]) -> Result<Self, String> {
        let mut params = HashMap::new();
        for (name, value) in url::form_urlencoded::parse(input) {
            if value.is_empty() {
                continue;
            }
            if params
                .insert(name.clone().into_owned(), value.into_owned())
                .is_some()
            {
                return Err(format!("The parameter `{name}` appears more than once."));
            }
        }
        Ok(Params(params))
    }

    fn get(&self, name: &str) -> Option<&str> {
        self.0.get(name).map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn basic_credentials_are_form_decoded() {
        let header = crate::basic_auth("my id", "s:e+c/r&t%");
        assert_eq!(
            basic_credentials(&header),
            Some(("my id".to_owned(), "s:e+c/r&t%".to_owned()))
        );
        assert_eq!(basic_credentials("Bearer abc"), None);
        assert_eq!(basic_credentials("Basic !!!"), None);
        // "id" without a colon.
        assert_eq!(basic_credentials("Basic aWQ="), None);
    }

    #[test]
    fn base64_decoding_matches_rfc_4648_vectors() {
        for (decoded, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64_decode(encoded).as_deref(), Some(decoded.as_bytes()));
        }
        assert_eq!(base64_decode("Z"), None);
    }

    #[test]
    fn form_decoding() {
        assert_eq!(form_decode("a+b%2Bc%3A").as_deref(), Some("a b+c:"));
        assert_eq!(form_decode("%4"), None);
        assert_eq!(form_decode("%zz"), None);
    }

    #[test]
    fn params_refuse_repeats_and_drop_empty_values() {
        let params = Params::parse(b"a=1&b=&c=x+y").unwrap();
        assert_eq!(params.get("a"), Some("1"));
        assert_eq!(params.get("b"), None);
        assert_eq!(params.get("c"), Some("x y"));
        assert!(Params::parse(b"a=1&a=2").is_err());
    }
}
