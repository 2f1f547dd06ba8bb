//! ID tokens signed the way an issuer signs them, for the tests of `portcullis-oidc`, of
//! the provider crates built on it, and of the [mock](crate::mock)'s OpenID Connect mode.
//!
//! * [`Signer`] — a test key with the algorithm and `kid` it signs with: RS256 with one
//!   of the embedded RSA keys, ES256 with a P-256 key, EdDSA, or HS256 keyed with a
//!   client secret;
//!   [`Signer::sign`] makes a compact JWS of any claims, [`Signer::jwk`] and [`jwks`] the
//!   key set the issuer publishes, [`Signer::at_hash`] the `at_hash` of an access token;
//! * [`tamper`] — a forgery: another payload under the original signature;
//! * [`now`], [`unix`] — times as ID tokens carry them;
//! * [`id_token_error`] — the [`IdTokenError`] of a sign-in that must fail;
//! * [`base64url`] — base64url without padding, as JWS uses it.
//!
//! ```
//! use portcullis_testkit::jwt::{Signer, jwks, now};
//! use serde_json::json;
//!
//! // The issuer's key, under the `kid` its key set names.
//! let signer = Signer::rs256("key-2024");
//! let key_set = jwks(&[&signer]); // serve this at the issuer's jwks_uri
//! let id_token = signer.sign(&json!({
//!     "iss": "https://id.example.com", "sub": "u1", "aud": "my-app",
//!     "iat": now(), "exp": now() + 600, "nonce": "n-0S6_WzA2Mj",
//! }));
//! assert_eq!(id_token.split('.').count(), 3);
//! assert!(key_set.contains("key-2024"));
//! ```
//!
//! The keys are fixed **test-only** keys embedded in this crate: anyone can sign with
//! them, so never trust them outside a test.

mod keys;

use std::fmt;
use std::time::{SystemTime, UNIX_EPOCH};

use openidconnect::core::{
    CoreEdDsaPrivateSigningKey, CoreHmacKey, CoreJsonWebKey, CoreJwsSigningAlgorithm,
    CoreRsaPrivateSigningKey,
};
use openidconnect::{AccessToken, AccessTokenHash, JsonWebKeyId, PrivateSigningKey, SigningError};
use portcullis::{Error, IdTokenError};
use serde_json::{Value, json};

/// A test key, with the JWS algorithm and the `kid` it signs tokens with.
///
/// ```
/// use portcullis_testkit::jwt::Signer;
///
/// let rsa = Signer::rsa_1();
/// assert_eq!(rsa.kid(), Some("rsa-1"));
/// assert_eq!(rsa.header()["alg"], "RS256");
/// let ps256 = Signer::rsa_1().with_alg("PS256").with_kid(None);
/// assert_eq!(ps256.header(), serde_json::json!({"alg": "PS256", "typ": "JWT"}));
/// ```
pub struct Signer {
    key: Box<dyn PrivateSigningKey<VerificationKey = CoreJsonWebKey> + Send + Sync>,
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
}

impl Signer {
    /// How many RSA test keys there are for [`rsa_key`](Self::rsa_key).
    pub const RSA_KEYS: usize = keys::RSA.len();

    /// RS256 with RSA test key 1 under `kid`: an issuer's signing key, its `kid` shaped
    /// as the issuer's are.
    pub fn rs256(kid: impl Into<String>) -> Self {
        Self::rsa_key(1, kid)
    }

    /// RS256 with RSA test key 1 under `kid` `rsa-1`.
    pub fn rsa_1() -> Self {
        Self::rsa_key(1, "rsa-1")
    }

    /// RS256 with RSA test key 2 under `kid` `rsa-2`: another key, for rotations and
    /// for keys the issuer does not publish.
    pub fn rsa_2() -> Self {
        Self::rsa_key(2, "rsa-2")
    }

    /// RS256 with RSA test key `number` (1 to [`RSA_KEYS`](Self::RSA_KEYS)) under `kid`.
    ///
    /// # Panics
    ///
    /// If there is no such key.
    pub fn rsa_key(number: usize, kid: impl Into<String>) -> Self {
        let pem = number
            .checked_sub(1)
            .and_then(|index| keys::RSA.get(index))
            .unwrap_or_else(|| panic!("RSA test keys are numbered 1 to {}", keys::RSA.len()));
        let kid = kid.into();
        Signer {
            key: Box::new(
                CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.clone())))
                    .expect("the embedded RSA test keys are valid PKCS#1 PEM"),
            ),
            alg: CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            kid: Some(kid),
        }
    }

    /// EdDSA with the Ed25519 test key under `kid` `ed-1`.
    pub fn ed25519() -> Self {
        Signer {
            key: Box::new(
                CoreEdDsaPrivateSigningKey::from_ed25519_pem(
                    keys::ED25519,
                    Some(JsonWebKeyId::new("ed-1".to_owned())),
                )
                .expect("the embedded Ed25519 test key is valid PKCS#8 PEM"),
            ),
            alg: CoreJwsSigningAlgorithm::EdDsa,
            kid: Some("ed-1".to_owned()),
        }
    }

    /// ES256 with P-256 test key `number` (1 or 2) under `kid`: the issuers that sign
    /// with ECDSA (Yahoo, Roblox). Key 2 is another key, for one the issuer never
    /// published.
    ///
    /// # Panics
    ///
    /// If there is no such key.
    pub fn es256(number: u8, kid: impl Into<String>) -> Self {
        assert!(
            (1..=2).contains(&number),
            "P-256 test keys are numbered 1 and 2"
        );
        let kid = kid.into();
        Signer {
            key: Box::new(EcKey::new(number, &kid)),
            alg: CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            kid: Some(kid),
        }
    }

    /// HS256 keyed with `secret` (a client secret), no `kid`: LINE's web-login tokens,
    /// or an algorithm-confusion forgery keyed with something public.
    pub fn hmac(secret: &str) -> Self {
        Signer {
            key: Box::new(CoreHmacKey::new(secret.as_bytes())),
            alg: CoreJwsSigningAlgorithm::HmacSha256,
            kid: None,
        }
    }

    /// The same key, signing with the JWS algorithm `alg` (`RS384`, `PS256`, `HS512`, …).
    ///
    /// # Panics
    ///
    /// If `alg` is no JWS signing algorithm name.
    #[must_use]
    pub fn with_alg(mut self, alg: &str) -> Self {
        self.alg = serde_json::from_value(json!(alg))
            .unwrap_or_else(|_| panic!("`{alg}` is no JWS signing algorithm"));
        self
    }

    /// The same key, naming another `kid` (or none) in its tokens' headers.
    #[must_use]
    pub fn with_kid(mut self, kid: Option<&str>) -> Self {
        self.kid = kid.map(str::to_owned);
        self
    }

    /// The `kid` the tokens' headers name.
    pub fn kid(&self) -> Option<&str> {
        self.kid.as_deref()
    }

    /// The public key as the issuer's key set lists it (`kty`, `use`, `kid`, …; no
    /// `alg`). For HMAC, the secret itself.
    pub fn jwk(&self) -> Value {
        serde_json::to_value(self.key.as_verification_key()).expect("a JWK serializes")
    }

    /// The header this signer puts on its tokens: `alg`, `typ` `JWT`, and `kid` if any.
    pub fn header(&self) -> Value {
        let mut header = json!({
            "alg": serde_json::to_value(&self.alg).expect("an algorithm serializes"),
            "typ": "JWT",
        });
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        header
    }

    /// An ID token (a compact JWS) of `claims`, with this signer's [`header`](Self::header).
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&self.header(), claims)
    }

    /// A compact JWS with exactly this header and payload, signed with this signer's
    /// key and algorithm whatever the header says: for tokens whose header lies.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let signature = self
            .key
            .sign(&self.alg, input.as_bytes())
            .expect("a test key signs");
        format!("{input}.{}", base64url(&signature))
    }

    /// The `at_hash` of `access_token` for this signer's algorithm (OpenID Connect Core
    /// 1.0 §3.1.3.6: the left half of its hash, base64url).
    pub fn at_hash(&self, access_token: &str) -> String {
        AccessTokenHash::from_token(
            &AccessToken::new(access_token.to_owned()),
            &self.alg,
            &self.key.as_verification_key(),
        )
        .expect("a supported algorithm")
        .to_string()
    }
}

impl fmt::Debug for Signer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Signer")
            .field("alg", &self.alg)
            .field("kid", &self.kid)
            .finish_non_exhaustive()
    }
}

/// A P-256 key: `openidconnect` verifies ECDSA but signs with none of its own keys.
struct EcKey {
    key: p256::ecdsa::SigningKey,
    kid: String,
}

impl EcKey {
    /// Test key `number`, from a fixed scalar: anyone can sign with it.
    fn new(number: u8, kid: &str) -> Self {
        let scalar: Vec<u8> = (0..32u8)
            .map(|i| (number * 0x2d) ^ i.wrapping_mul(7))
            .collect();
        EcKey {
            key: p256::ecdsa::SigningKey::from_slice(&scalar).expect("a valid P-256 scalar"),
            kid: kid.to_owned(),
        }
    }
}

impl PrivateSigningKey for EcKey {
    type VerificationKey = CoreJsonWebKey;

    fn sign(&self, alg: &CoreJwsSigningAlgorithm, message: &[u8]) -> Result<Vec<u8>, SigningError> {
        use p256::ecdsa::signature::Signer as _;
        if *alg != CoreJwsSigningAlgorithm::EcdsaP256Sha256 {
            return Err(SigningError::UnsupportedAlg(format!("{alg:?}")));
        }
        let signature: p256::ecdsa::Signature = self.key.sign(message);
        Ok(signature.to_bytes().to_vec())
    }

    fn as_verification_key(&self) -> CoreJsonWebKey {
        let point = self.key.verifying_key().to_sec1_point(false);
        serde_json::from_value(json!({
            "kty": "EC",
            "use": "sig",
            "crv": "P-256",
            "kid": self.kid,
            "x": base64url(point.x().expect("an uncompressed point")),
            "y": base64url(point.y().expect("an uncompressed point")),
        }))
        .expect("a P-256 JWK")
    }
}

/// A key set document (RFC 7517 §5) with these signers' public keys, as an issuer serves
/// it at its `jwks_uri`.
pub fn jwks(signers: &[&Signer]) -> String {
    json!({"keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>()}).to_string()
}

/// `token` with its payload replaced by `claims` and its header and signature kept: a
/// forgery, which must fail the signature check.
///
/// # Panics
///
/// If `token` is not three dot-separated parts.
pub fn tamper(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    assert_eq!(parts.len(), 3, "a compact JWS has three parts");
    format!(
        "{}.{}.{}",
        parts[0],
        base64url(claims.to_string().as_bytes()),
        parts[2]
    )
}

/// Seconds since the epoch, now: for `iat`, `exp` and `auth_time`.
pub fn now() -> u64 {
    unix(SystemTime::now())
}

/// `time` in seconds since the epoch.
///
/// # Panics
///
/// If `time` is before the epoch.
pub fn unix(time: SystemTime) -> u64 {
    time.duration_since(UNIX_EPOCH)
        .expect("a time after the epoch")
        .as_secs()
}

/// The [`IdTokenError`] inside `result`, which must be an [`Error::IdToken`]: a
/// non-retryable error with the code `INVALID_ID_TOKEN`.
///
/// # Panics
///
/// If `result` is a success or another error.
pub fn id_token_error<T: fmt::Debug>(result: Result<T, Error>) -> IdTokenError {
    match result {
        Err(error @ Error::IdToken(_)) => {
            assert_eq!(error.code(), "INVALID_ID_TOKEN", "{error:?}");
            assert!(!error.is_retryable(), "{error:?}");
            match error {
                Error::IdToken(e) => e,
                _ => unreachable!(),
            }
        }
        other => panic!("expected an ID-token error, got {other:?}"),
    }
}

/// Base64url without padding (RFC 4648 §5), as JWS uses it: written out here, so tokens
/// are encoded by another encoder than the one that decodes them.
pub fn base64url(input: &[u8]) -> String {
    crate::base64_encode(input, crate::URL_SAFE_ALPHABET, false)
}

#[cfg(test)]
mod tests {
    use super::*;
    use openidconnect::JsonWebKey;

    /// Whether `token` verifies with `signer`'s public key.
    fn verifies(signer: &Signer, token: &str) -> bool {
        let (input, signature) = token.rsplit_once('.').unwrap();
        let signature = base64url_decode(signature);
        signer
            .key
            .as_verification_key()
            .verify_signature(&signer.alg, input.as_bytes(), &signature)
            .is_ok()
    }

    fn base64url_decode(part: &str) -> Vec<u8> {
        const ALPHABET: &[u8; 64] = crate::URL_SAFE_ALPHABET;
        let mut bits = 0u32;
        let mut count = 0;
        let mut out = Vec::new();
        for c in part.bytes() {
            let value = ALPHABET.iter().position(|&a| a == c).unwrap() as u32;
            bits = (bits << 6) | value;
            count += 6;
            if count >= 8 {
                count -= 8;
                out.push((bits >> count) as u8);
                bits &= (1 << count) - 1;
            }
        }
        out
    }

    #[test]
    fn every_signer_signs_what_its_published_key_verifies() {
        let claims = json!({"iss": "https://id.example.com", "sub": "u1"});
        for signer in [
            Signer::rsa_1(),
            Signer::rsa_2(),
            Signer::rsa_key(3, "rsa-3"),
            Signer::rs256("another-kid"),
            Signer::ed25519(),
            Signer::hmac("a-client-secret"),
            Signer::rsa_1().with_alg("PS384"),
        ] {
            let token = signer.sign(&claims);
            assert!(verifies(&signer, &token), "{signer:?}");
            let parts: Vec<&str> = token.split('.').collect();
            let header: Value = serde_json::from_slice(&base64url_decode(parts[0])).unwrap();
            let payload: Value = serde_json::from_slice(&base64url_decode(parts[1])).unwrap();
            assert_eq!(header, signer.header());
            assert_eq!(payload, claims);
            assert!(!verifies(&signer, &tamper(&token, &json!({"sub": "u2"}))));
        }
        // The same key under another name: the same public key.
        assert_eq!(
            Signer::rs256("k").jwk()["n"],
            Signer::rsa_1().jwk()["n"],
            "rs256 signs with RSA key 1"
        );
        assert_eq!(Signer::rs256("k").jwk()["kid"], "k");
        assert!(!verifies(&Signer::rsa_2(), &Signer::rsa_1().sign(&claims)));
    }

    #[test]
    fn the_rsa_keys_differ_and_are_published_without_alg() {
        let moduli: Vec<Value> = (1..=Signer::RSA_KEYS)
            .map(|n| {
                let jwk = Signer::rsa_key(n, format!("k{n}")).jwk();
                assert_eq!(jwk["kty"], "RSA");
                assert_eq!(jwk["use"], "sig");
                assert!(jwk.get("alg").is_none_or(Value::is_null), "{jwk}");
                jwk["n"].clone()
            })
            .collect();
        for (i, a) in moduli.iter().enumerate() {
            assert!(a.as_str().is_some_and(|n| n.len() > 300), "{a}");
            for b in &moduli[i + 1..] {
                assert_ne!(a, b);
            }
        }
        let set: Value =
            serde_json::from_str(&jwks(&[&Signer::rsa_1(), &Signer::ed25519()])).unwrap();
        assert_eq!(set["keys"][0]["kid"], "rsa-1");
        assert_eq!(set["keys"][1]["kid"], "ed-1");
        assert_eq!(set["keys"][1]["crv"], "Ed25519");
    }

    #[test]
    #[should_panic(expected = "RSA test keys are numbered 1 to 3")]
    fn there_is_no_rsa_key_0() {
        let _ = Signer::rsa_key(0, "k");
    }

    #[test]
    fn at_hash_is_the_left_half_of_the_hash() {
        // OpenID Connect Core 1.0 §3.1.3.6; the example of its A.3/A.4 exchange.
        assert_eq!(
            Signer::rsa_1().at_hash("jHkWEdUXMU1BwAsC4vtUsZwnNvTIxEl0z9K3vx5KF0Y"),
            "77QmUPtjPfzWtF2AnpK9RQ"
        );
        assert_eq!(Signer::rsa_1().at_hash("x").len(), 22, "16 bytes for RS256");
        assert_eq!(
            Signer::rsa_1().with_alg("RS512").at_hash("x").len(),
            43,
            "32 bytes for RS512"
        );
    }

    #[test]
    fn base64url_matches_rfc_4648_vectors() {
        for (input, output) in [
            ("", ""),
            ("f", "Zg"),
            ("fo", "Zm8"),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg"),
            ("fooba", "Zm9vYmE"),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64url(input.as_bytes()), output);
            assert_eq!(base64url_decode(output), input.as_bytes());
        }
        // The URL-safe alphabet: 0xfb 0xff → "-_8" rather than "+/8".
        assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
    }

    #[test]
    fn id_token_errors_are_unwrapped_and_anything_else_panics() {
        let result: Result<(), Error> = Err(IdTokenError::Nonce.into());
        assert_eq!(id_token_error(result), IdTokenError::Nonce);
        let ok = std::panic::catch_unwind(|| id_token_error(Ok::<(), Error>(())));
        assert!(ok.is_err());
        let other =
            std::panic::catch_unwind(|| id_token_error(Err::<(), _>(Error::Config("x".into()))));
        assert!(other.is_err());
    }
}
