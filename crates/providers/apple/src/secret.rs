//! The client secret: an ES256 JWT signed with the app's Sign in with Apple private key,
//! minted on demand and reused until it nears its expiry.

use std::fmt;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use p256::ecdsa::signature::Signer;
use p256::ecdsa::{Signature, SigningKey};
use p256::pkcs8::DecodePrivateKey;
use portcullis::{ClientSecret, Error};
use portcullis_oidc::Clock;
use serde::Serialize;

/// The `aud` of every client secret: Apple's issuer.
pub(crate) const AUDIENCE: &str = "https://appleid.apple.com";

/// The longest lifetime Apple accepts: 15,777,000 seconds (six months) after `iat`.
pub(crate) const MAX_LIFETIME: Duration = Duration::from_secs(15_777_000);

/// The shortest lifetime accepted here: below it a secret could expire between minting
/// and Apple reading it.
pub(crate) const MIN_LIFETIME: Duration = Duration::from_secs(60);

/// Mints client secrets for one team and key, and keeps the last one.
pub(crate) struct Minter {
    team_id: String,
    key_id: String,
    key: SigningKey,
    lifetime: Duration,
    clock: Clock,
    cache: Mutex<Option<Cached>>,
}

/// The last secret minted, for whom and when.
struct Cached {
    client_id: String,
    secret: ClientSecret,
    issued_at: u64,
    /// When it is minted anew: a quarter of its lifetime before it expires.
    renew_at: u64,
}

#[derive(Serialize)]
struct Header<'a> {
    alg: &'static str,
    kid: &'a str,
}

#[derive(Serialize)]
struct Claims<'a> {
    iss: &'a str,
    iat: u64,
    exp: u64,
    aud: &'static str,
    sub: &'a str,
}

impl Minter {
    pub(crate) fn new(
        team_id: String,
        key_id: String,
        key: SigningKey,
        lifetime: Duration,
        clock: Clock,
    ) -> Self {
        Minter {
            team_id,
            key_id,
            key,
            lifetime,
            clock,
            cache: Mutex::new(None),
        }
    }

    /// The same team, key and lifetime with another clock, and an empty cache.
    pub(crate) fn with_clock(&self, clock: Clock) -> Self {
        Minter::new(
            self.team_id.clone(),
            self.key_id.clone(),
            self.key.clone(),
            self.lifetime,
            clock,
        )
    }

    /// The same team, key and clock with another lifetime, and an empty cache.
    pub(crate) fn with_lifetime(&self, lifetime: Duration) -> Self {
        Minter::new(
            self.team_id.clone(),
            self.key_id.clone(),
            self.key.clone(),
            lifetime,
            self.clock.clone(),
        )
    }

    pub(crate) fn team_id(&self) -> &str {
        &self.team_id
    }

    pub(crate) fn key_id(&self) -> &str {
        &self.key_id
    }

    pub(crate) fn lifetime(&self) -> Duration {
        self.lifetime
    }

    pub(crate) fn clock(&self) -> &Clock {
        &self.clock
    }

    fn cache(&self) -> MutexGuard<'_, Option<Cached>> {
        // Only replaced whole, never across an await: a panic cannot leave it half-written.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The secret for `client_id`: the cached one while it is for that client and
    /// has more than a quarter of its lifetime left, else a new one.
    pub(crate) fn secret(&self, client_id: &str) -> Result<ClientSecret, Error> {
        let now = self
            .clock
            .now()
            .duration_since(UNIX_EPOCH)
            .map_or(0, |d| d.as_secs());
        let mut cache = self.cache();
        if let Some(cached) = cache.as_ref()
            && cached.client_id == client_id
            // A clock that went backwards would send a secret issued in the future.
            && cached.issued_at <= now
            && now < cached.renew_at
        {
            return Ok(cached.secret.clone());
        }
        let lifetime = self.lifetime.as_secs();
        let secret = self.mint(client_id, now, now + lifetime)?;
        *cache = Some(Cached {
            client_id: client_id.to_owned(),
            secret: secret.clone(),
            issued_at: now,
            renew_at: now + lifetime - lifetime / 4,
        });
        tracing::debug!(
            team_id = %self.team_id,
            key_id = %self.key_id,
            expires_in = lifetime,
            "minted a Sign in with Apple client secret"
        );
        Ok(secret)
    }

    /// `{"alg":"ES256","kid":…}.{"iss":…,"iat":…,"exp":…,"aud":…,"sub":…}`, signed.
    fn mint(&self, client_id: &str, iat: u64, exp: u64) -> Result<ClientSecret, Error> {
        let header = Header {
            alg: "ES256",
            kid: &self.key_id,
        };
        let claims = Claims {
            iss: &self.team_id,
            iat,
            exp,
            aud: AUDIENCE,
            sub: client_id,
        };
        let input = format!("{}.{}", part(&header)?, part(&claims)?);
        // JWS (RFC 7518 §3.4): the 64-byte `r ‖ s`, not DER.
        let signature: Signature = self.key.try_sign(input.as_bytes()).map_err(|_| {
            Error::Config("could not sign the Sign in with Apple client secret".to_owned())
        })?;
        Ok(ClientSecret::new(format!(
            "{input}.{}",
            URL_SAFE_NO_PAD.encode(signature.to_bytes())
        )))
    }
}

impl fmt::Debug for Minter {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientSecretMinter")
            .field("team_id", &self.team_id)
            .field("key_id", &self.key_id)
            .field("private_key", &"[redacted]")
            .field("lifetime", &self.lifetime)
            .finish_non_exhaustive()
    }
}

/// One part of the token: JSON, base64url without padding.
fn part<T: Serialize>(value: &T) -> Result<String, Error> {
    let json = serde_json::to_vec(value).map_err(|_| {
        Error::Config("could not encode the Sign in with Apple client secret".to_owned())
    })?;
    Ok(URL_SAFE_NO_PAD.encode(json))
}

/// Reads the `.p8` key: its PEM text as Apple's download has it (`-----BEGIN PRIVATE
/// KEY-----`), also with its line breaks written as `\n` (an environment variable), with
/// `\r\n` or indented lines, or its base64 body alone. The error never shows the key.
pub(crate) fn parse_private_key(p8: &str) -> Result<SigningKey, Error> {
    let text = p8.trim().replace("\\n", "\n");
    let key = if text.starts_with("-----BEGIN") {
        let pem: Vec<&str> = text
            .lines()
            .map(str::trim)
            .filter(|line| !line.is_empty())
            .collect();
        SigningKey::from_pkcs8_pem(&pem.join("\n")).ok()
    } else {
        let body: String = text.split_whitespace().collect();
        STANDARD
            .decode(body)
            .ok()
            .and_then(|der| SigningKey::from_pkcs8_der(&der).ok())
    };
    key.ok_or_else(|| {
        Error::Config(
            "the Sign in with Apple private key is not a P-256 key in PKCS#8 PEM \
             (`-----BEGIN PRIVATE KEY-----`): pass the contents of the `.p8` file \
             downloaded from Certificates, Identifiers & Profiles > Keys"
                .to_owned(),
        )
    })
}

/// A team id or key id: the 10 letters and digits Apple shows.
pub(crate) fn check_id(what: &str, id: &str) -> Result<(), Error> {
    if id.len() == 10 && id.bytes().all(|b| b.is_ascii_alphanumeric()) {
        Ok(())
    } else {
        Err(Error::Config(format!(
            "invalid Sign in with Apple {what} `{id}`: Apple's are 10 letters and digits"
        )))
    }
}
