//! Tokens: what a token endpoint returns, parsed leniently where real providers are
//! sloppy and strictly where it matters.

use std::fmt;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use oauth2::basic::BasicTokenType;
use oauth2::{AccessToken, RefreshToken, Scope};
use serde::{Deserialize, Deserializer, Serialize};

use crate::error::RequestErrorKind;

/// An OpenID Connect ID token (a JWT), redacted in `Debug`.
///
/// Portcullis does not read identity from an unverified ID token; the OpenID Connect
/// providers verify it before use.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct IdToken(String);

impl IdToken {
    /// Wraps a raw ID token.
    pub fn new(token: String) -> Self {
        IdToken(token)
    }

    /// The raw JWT. Handle it like a password.
    pub fn secret(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdToken {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("IdToken([redacted])")
    }
}

/// The tokens a provider issued: access token, refresh token, expiry, scopes, ID token
/// and whatever else the provider put in its token response.
///
/// Secrets are redacted in `Debug`. `Tokens` is `Serialize`/`Deserialize` so an app can
/// keep them — encrypt them at rest (`portcullis-sqlx`'s `save_tokens` does).
#[derive(Clone, Serialize, Deserialize)]
pub struct Tokens {
    access_token: AccessToken,
    token_type: String,
    received_at: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token: Option<RefreshToken>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    refresh_token_expires_in: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    scopes: Option<Vec<String>>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    id_token: Option<IdToken>,
    #[serde(default, skip_serializing_if = "serde_json::Map::is_empty")]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl Tokens {
    /// Tokens holding just an access token, received now. Mostly for tests and for apps
    /// that restore tokens from elsewhere.
    pub fn new(access_token: AccessToken) -> Self {
        Tokens {
            access_token,
            token_type: "Bearer".to_owned(),
            received_at: unix_now(),
            expires_in: None,
            refresh_token: None,
            refresh_token_expires_in: None,
            scopes: None,
            id_token: None,
            extra: serde_json::Map::new(),
        }
    }

    /// The access token.
    pub fn access_token(&self) -> &AccessToken {
        &self.access_token
    }

    /// The token type: always `Bearer` (spelled so whatever the provider's case), as
    /// responses with any other type are refused.
    pub fn token_type(&self) -> &str {
        &self.token_type
    }

    /// The access token's lifetime as sent (`expires_in`), if the provider said.
    pub fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }

    /// When the access token expires: the time it was received plus `expires_in`.
    pub fn expires_at(&self) -> Option<SystemTime> {
        self.expires_in
            .map(|secs| UNIX_EPOCH + Duration::from_secs(self.received_at.saturating_add(secs)))
    }

    /// True when the access token's expiry is known and has passed.
    pub fn is_expired(&self) -> bool {
        self.expires_at().is_some_and(|at| at <= SystemTime::now())
    }

    /// The refresh token, if the provider issued one.
    pub fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }

    /// When the refresh token expires, for providers that say (`refresh_token_expires_in`:
    /// GitHub Apps, LinkedIn, Kakao).
    pub fn refresh_token_expires_at(&self) -> Option<SystemTime> {
        self.refresh_token_expires_in
            .map(|secs| UNIX_EPOCH + Duration::from_secs(self.received_at.saturating_add(secs)))
    }

    /// The granted scopes, if the provider listed them. Space-separated, comma-separated
    /// (GitHub) and array (Twitch) forms are all accepted.
    pub fn scopes(&self) -> Option<&[String]> {
        self.scopes.as_deref()
    }

    /// True if the provider reported granting `scope`.
    pub fn has_scope(&self, scope: &str) -> bool {
        self.scopes().is_some_and(|s| s.iter().any(|s| s == scope))
    }

    /// The OpenID Connect ID token, if one was issued.
    pub fn id_token(&self) -> Option<&IdToken> {
        self.id_token.as_ref()
    }

    /// Every other field of the token response, e.g. Strava's `athlete`.
    pub fn extra(&self) -> &serde_json::Map<String, serde_json::Value> {
        &self.extra
    }

    /// Replaces these tokens with a refresh response, keeping the old refresh token when
    /// the provider did not send a new one (RFC 6749 §6 allows either).
    pub(crate) fn refreshed(self, previous: &RefreshToken) -> Tokens {
        let mut tokens = self;
        if tokens.refresh_token.is_none() {
            tokens.refresh_token = Some(previous.clone());
        }
        tokens
    }
}

impl fmt::Debug for Tokens {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Tokens")
            .field("access_token", &self.access_token)
            .field("token_type", &self.token_type)
            .field("expires_in", &self.expires_in)
            .field("refresh_token", &self.refresh_token)
            .field("scopes", &self.scopes)
            .field("id_token", &self.id_token)
            // Values may be credentials some provider invented; keys tell enough.
            .field("extra", &self.extra.keys().collect::<Vec<_>>())
            .finish()
    }
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// The token response as `oauth2` parses it: RFC 6749 §5.1, made tolerant of what real
/// providers send.
///
/// * `expires_in` as a number or a numeric string (Azure AD v1, Naver, …);
/// * `scope` space- or comma-separated (GitHub) or an array (Twitch);
/// * no `token_type` at all (LinkedIn, Slack v1): treated as `Bearer`;
/// * every other field kept in `extra`.
///
/// Deserialized by hand rather than with `#[serde(flatten)]`, which buffers the whole
/// response into an intermediate tree first: this is on every sign-in's path.
#[derive(Debug, Serialize)]
pub(crate) struct TokenResponse {
    access_token: AccessToken,
    token_type: BasicTokenType,
    expires_in: Option<u64>,
    refresh_token: Option<RefreshToken>,
    refresh_token_expires_in: Option<u64>,
    #[serde(rename = "scope")]
    scopes: Option<Vec<Scope>>,
    id_token: Option<IdToken>,
    #[serde(flatten)]
    extra: serde_json::Map<String, serde_json::Value>,
}

impl<'de> Deserialize<'de> for TokenResponse {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_map(TokenResponseVisitor)
    }
}

struct TokenResponseVisitor;

/// Wrappers that give the lenient field parsers a `Deserialize` to call by type.
struct TokenTypeField(BasicTokenType);
struct SecondsField(Option<u64>);
struct ScopesField(Option<Vec<Scope>>);
struct IdTokenField(Option<IdToken>);

impl<'de> Deserialize<'de> for TokenTypeField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        token_type(d).map(TokenTypeField)
    }
}

/// An ID token, or none: `null`, or `false` as Tumblr documents it for a grant without
/// OpenID Connect. Any other value is refused.
impl<'de> Deserialize<'de> for IdTokenField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(token) => Ok(IdTokenField(Some(IdToken::new(token)))),
            serde_json::Value::Null | serde_json::Value::Bool(false) => Ok(IdTokenField(None)),
            _ => Err(serde::de::Error::custom(
                "expected an ID token string, null or false",
            )),
        }
    }
}

impl<'de> Deserialize<'de> for SecondsField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_u64(d).map(SecondsField)
    }
}

impl<'de> Deserialize<'de> for ScopesField {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        lenient_scopes(d).map(ScopesField)
    }
}

impl<'de> serde::de::Visitor<'de> for TokenResponseVisitor {
    type Value = TokenResponse;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("a token response object")
    }

    fn visit_map<M: serde::de::MapAccess<'de>>(
        self,
        mut map: M,
    ) -> Result<TokenResponse, M::Error> {
        use serde::de::Error as _;
        fn once<T, E: serde::de::Error>(slot: &Option<T>, name: &'static str) -> Result<(), E> {
            match slot {
                Some(_) => Err(E::duplicate_field(name)),
                None => Ok(()),
            }
        }
        let mut access_token: Option<AccessToken> = None;
        let mut token_type: Option<BasicTokenType> = None;
        let mut expires_in: Option<Option<u64>> = None;
        let mut refresh_token: Option<Option<RefreshToken>> = None;
        let mut refresh_token_expires_in: Option<Option<u64>> = None;
        let mut scopes: Option<Option<Vec<Scope>>> = None;
        let mut id_token: Option<Option<IdToken>> = None;
        let mut extra = serde_json::Map::new();
        while let Some(key) = map.next_key::<std::borrow::Cow<'de, str>>()? {
            match key.as_ref() {
                "access_token" => {
                    once(&access_token, "access_token")?;
                    access_token = Some(map.next_value()?);
                }
                "token_type" => {
                    once(&token_type, "token_type")?;
                    token_type = Some(map.next_value::<TokenTypeField>()?.0);
                }
                "expires_in" => {
                    once(&expires_in, "expires_in")?;
                    expires_in = Some(map.next_value::<SecondsField>()?.0);
                }
                "refresh_token" => {
                    once(&refresh_token, "refresh_token")?;
                    refresh_token = Some(map.next_value()?);
                }
                "refresh_token_expires_in" => {
                    once(&refresh_token_expires_in, "refresh_token_expires_in")?;
                    refresh_token_expires_in = Some(map.next_value::<SecondsField>()?.0);
                }
                "scope" => {
                    once(&scopes, "scope")?;
                    scopes = Some(map.next_value::<ScopesField>()?.0);
                }
                "id_token" => {
                    once(&id_token, "id_token")?;
                    id_token = Some(map.next_value::<IdTokenField>()?.0);
                }
                _ => {
                    let value = map.next_value()?;
                    extra.insert(key.into_owned(), value);
                }
            }
        }
        Ok(TokenResponse {
            access_token: access_token.ok_or_else(|| M::Error::missing_field("access_token"))?,
            token_type: token_type.unwrap_or_else(bearer),
            expires_in: expires_in.flatten(),
            refresh_token: refresh_token.flatten(),
            refresh_token_expires_in: refresh_token_expires_in.flatten(),
            scopes: scopes.flatten(),
            id_token: id_token.flatten(),
            extra,
        })
    }
}

fn bearer() -> BasicTokenType {
    BasicTokenType::Bearer
}

/// RFC 6749 §5.1: the token type is case-insensitive (GitHub sends `bearer`).
fn token_type<'de, D: Deserializer<'de>>(d: D) -> Result<BasicTokenType, D::Error> {
    let name = String::deserialize(d)?;
    Ok(if name.eq_ignore_ascii_case("bearer") {
        BasicTokenType::Bearer
    } else if name.eq_ignore_ascii_case("mac") {
        BasicTokenType::Mac
    } else {
        BasicTokenType::Extension(name)
    })
}

impl oauth2::TokenResponse for TokenResponse {
    type TokenType = BasicTokenType;

    fn access_token(&self) -> &AccessToken {
        &self.access_token
    }
    fn token_type(&self) -> &BasicTokenType {
        &self.token_type
    }
    fn expires_in(&self) -> Option<Duration> {
        self.expires_in.map(Duration::from_secs)
    }
    fn refresh_token(&self) -> Option<&RefreshToken> {
        self.refresh_token.as_ref()
    }
    fn scopes(&self) -> Option<&Vec<Scope>> {
        self.scopes.as_ref()
    }
}

impl TokenResponse {
    /// Checks what must hold and converts. Only bearer tokens are accepted: a client
    /// that sends a MAC or DPoP token as a bearer token would leak it.
    pub(crate) fn into_tokens(self) -> Result<Tokens, RequestErrorKind> {
        if self.access_token.secret().is_empty() {
            return Err(RequestErrorKind::InvalidResponse {
                field: Some("access_token".to_owned()),
                reason: "empty access token".to_owned(),
            });
        }
        let token_type = match self.token_type {
            BasicTokenType::Bearer => "Bearer".to_owned(),
            _ => {
                return Err(RequestErrorKind::InvalidResponse {
                    field: Some("token_type".to_owned()),
                    reason: "unsupported token type (only Bearer is accepted)".to_owned(),
                });
            }
        };
        Ok(Tokens {
            access_token: self.access_token,
            token_type,
            received_at: unix_now(),
            expires_in: self.expires_in,
            refresh_token: self.refresh_token,
            refresh_token_expires_in: self.refresh_token_expires_in,
            scopes: self
                .scopes
                .map(|s| s.into_iter().map(|s| s.to_string()).collect()),
            id_token: self.id_token,
            extra: self.extra,
        })
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum NumberOrString {
    Number(u64),
    Float(f64),
    String(String),
}

fn lenient_u64<'de, D: Deserializer<'de>>(d: D) -> Result<Option<u64>, D::Error> {
    match Option::<NumberOrString>::deserialize(d)? {
        None => Ok(None),
        Some(NumberOrString::Number(n)) => Ok(Some(n)),
        Some(NumberOrString::Float(f)) if f >= 0.0 && f.is_finite() => Ok(Some(f as u64)),
        Some(NumberOrString::String(s)) => s
            .trim()
            .parse()
            .map(Some)
            .map_err(|_| serde::de::Error::custom("expected a number of seconds")),
        Some(NumberOrString::Float(_)) => {
            Err(serde::de::Error::custom("expected a non-negative number"))
        }
    }
}

#[derive(Deserialize)]
#[serde(untagged)]
enum ScopeList {
    Joined(String),
    List(Vec<String>),
}

fn lenient_scopes<'de, D: Deserializer<'de>>(d: D) -> Result<Option<Vec<Scope>>, D::Error> {
    let list = match Option::<ScopeList>::deserialize(d)? {
        None => return Ok(None),
        Some(ScopeList::Joined(s)) => s
            .split([' ', ','])
            .filter(|s| !s.is_empty())
            .map(str::to_owned)
            .collect(),
        Some(ScopeList::List(list)) => list,
    };
    Ok(Some(list.into_iter().map(Scope::new).collect()))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::http::parse_json;

    fn parse(json: &str) -> Result<Tokens, RequestErrorKind> {
        parse_json::<TokenResponse>(json.as_bytes())?.into_tokens()
    }

    #[test]
    fn standard_response() {
        let t = parse(
            r#"{"access_token":"at","token_type":"Bearer","expires_in":3600,
                "refresh_token":"rt","scope":"openid email","id_token":"a.b.c","foo":1}"#,
        )
        .unwrap();
        assert_eq!(t.access_token().secret(), "at");
        assert_eq!(t.expires_in(), Some(Duration::from_secs(3600)));
        assert_eq!(t.refresh_token().unwrap().secret(), "rt");
        assert_eq!(t.scopes().unwrap(), ["openid", "email"]);
        assert_eq!(t.id_token().unwrap().secret(), "a.b.c");
        assert_eq!(t.extra()["foo"], 1);
        assert!(!t.is_expired());
    }

    #[test]
    fn id_token_false_or_null_is_none_tumblr() {
        for json in [
            r#"{"access_token":"at","token_type":"bearer","id_token":false}"#,
            r#"{"access_token":"at","token_type":"bearer","id_token":null}"#,
        ] {
            assert!(parse(json).unwrap().id_token().is_none(), "{json}");
        }
        for json in [
            r#"{"access_token":"at","token_type":"bearer","id_token":true}"#,
            r#"{"access_token":"at","token_type":"bearer","id_token":{"a":1}}"#,
        ] {
            assert!(
                matches!(parse(json), Err(RequestErrorKind::InvalidResponse { .. })),
                "{json}"
            );
        }
    }

    #[test]
    fn expires_in_as_string_azure_ad_v1() {
        let t =
            parse(r#"{"access_token":"at","token_type":"Bearer","expires_in":"3599"}"#).unwrap();
        assert_eq!(t.expires_in(), Some(Duration::from_secs(3599)));
    }

    #[test]
    fn comma_separated_scopes_github() {
        let t =
            parse(r#"{"access_token":"at","token_type":"bearer","scope":"read:user,user:email"}"#)
                .unwrap();
        assert_eq!(t.scopes().unwrap(), ["read:user", "user:email"]);
        assert!(t.has_scope("user:email"));
        assert_eq!(t.token_type(), "Bearer");
    }

    #[test]
    fn scope_array_twitch() {
        let t = parse(r#"{"access_token":"at","token_type":"bearer","scope":["user:read:email"]}"#)
            .unwrap();
        assert_eq!(t.scopes().unwrap(), ["user:read:email"]);
    }

    #[test]
    fn missing_token_type_linkedin_is_bearer() {
        let t = parse(r#"{"access_token":"at","expires_in":5184000}"#).unwrap();
        assert_eq!(t.token_type(), "Bearer");
    }

    #[test]
    fn rejects_missing_access_token_and_non_bearer() {
        let err = parse(r#"{"token_type":"Bearer"}"#).unwrap_err();
        assert!(
            matches!(&err, RequestErrorKind::InvalidResponse { field: Some(f), .. } if f == "access_token"),
            "{err:?}"
        );
        let err = parse(r#"{"access_token":"at","token_type":"mac"}"#).unwrap_err();
        assert!(
            matches!(&err, RequestErrorKind::InvalidResponse { field: Some(f), .. } if f == "token_type"),
            "{err:?}"
        );
        let err = parse(r#"{"access_token":"","token_type":"Bearer"}"#).unwrap_err();
        assert!(err.to_string().contains("empty access token"));
    }

    #[test]
    fn debug_redacts_every_secret() {
        let t = parse(
            r#"{"access_token":"AT-SECRET","refresh_token":"RT-SECRET","id_token":"ID-SECRET",
                "token_type":"Bearer","custom_secret":"X-SECRET"}"#,
        )
        .unwrap();
        let debug = format!("{t:?}");
        for secret in ["AT-SECRET", "RT-SECRET", "ID-SECRET", "X-SECRET"] {
            assert!(!debug.contains(secret), "{secret} leaked: {debug}");
        }
        assert!(debug.contains("custom_secret"));
    }

    #[test]
    fn refresh_keeps_the_old_refresh_token_when_none_is_sent() {
        let old = RefreshToken::new("old".to_owned());
        let t = parse(r#"{"access_token":"new","token_type":"Bearer"}"#)
            .unwrap()
            .refreshed(&old);
        assert_eq!(t.refresh_token().unwrap().secret(), "old");
        let t = parse(r#"{"access_token":"new","token_type":"Bearer","refresh_token":"rotated"}"#)
            .unwrap()
            .refreshed(&old);
        assert_eq!(t.refresh_token().unwrap().secret(), "rotated");
    }

    #[test]
    fn tokens_round_trip_through_serde() {
        let t = parse(
            r#"{"access_token":"at","token_type":"Bearer","expires_in":60,"refresh_token":"rt"}"#,
        )
        .unwrap();
        let json = serde_json::to_string(&t).unwrap();
        let back: Tokens = serde_json::from_str(&json).unwrap();
        assert_eq!(back.access_token().secret(), "at");
        assert_eq!(back.expires_at(), t.expires_at());
    }
}
