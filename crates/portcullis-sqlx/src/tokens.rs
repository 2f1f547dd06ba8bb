//! Provider tokens at rest: sealed with AES-256-GCM under the app's [`TokenKey`], bound to
//! the identity they belong to.

use std::fmt;

use aes_gcm::aead::{Aead, AeadCore, KeyInit, OsRng, Payload};
use aes_gcm::{Aes256Gcm, Nonce};
use portcullis::{Key, StoreError, Tokens};

/// The length of a nonce, stored in front of each sealed value.
const NONCE_LEN: usize = 12;

/// The key that seals the provider tokens a store keeps (AES-256-GCM): 32 random bytes
/// the app keeps out of the database — an environment variable, a secret manager.
/// Whoever has the database but not this key gets no access to the users' provider
/// accounts.
///
/// Changing it makes the stored tokens unreadable ([`StoreError::Backend`] when read):
/// users sign in again to store new ones.
///
/// ```
/// use portcullis_sqlx::TokenKey;
///
/// // From 32 bytes the app keeps secret, e.g. decoded from an environment variable.
/// let key = TokenKey::from_bytes([7; 32]);
/// assert_eq!(format!("{key:?}"), "TokenKey([redacted])");
/// ```
#[derive(Clone)]
pub struct TokenKey(Aes256Gcm);

impl TokenKey {
    /// The key of these 32 bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        TokenKey(Aes256Gcm::new(&bytes.into()))
    }

    /// A new random key, from the operating system's generator: for tests, or to print
    /// once and keep.
    pub fn generate() -> (Self, [u8; 32]) {
        let bytes: [u8; 32] = Aes256Gcm::generate_key(OsRng).into();
        (TokenKey::from_bytes(bytes), bytes)
    }

    /// `tokens` as JSON, encrypted and authenticated, bound to `key`: a fresh random
    /// nonce, then the ciphertext.
    pub(crate) fn seal(&self, key: &Key, tokens: &Tokens) -> Result<Vec<u8>, StoreError> {
        let json = serde_json::to_vec(tokens).map_err(StoreError::backend)?;
        let nonce = Aes256Gcm::generate_nonce(OsRng);
        let aad = associated_data(key);
        let sealed = self
            .0
            .encrypt(
                &nonce,
                Payload {
                    msg: &json,
                    aad: &aad,
                },
            )
            .map_err(|_| StoreError::backend("the provider tokens could not be sealed"))?;
        Ok([nonce.as_slice(), &sealed].concat())
    }

    /// The tokens `sealed` holds, if they were sealed with this key for `key`.
    pub(crate) fn open(&self, key: &Key, sealed: &[u8]) -> Result<Tokens, StoreError> {
        let unreadable = || {
            StoreError::backend(format!(
                "the stored provider tokens of {key} do not open with this TokenKey \
                 (another key, or altered)"
            ))
        };
        if sealed.len() < NONCE_LEN {
            return Err(unreadable());
        }
        let (nonce, ciphertext) = sealed.split_at(NONCE_LEN);
        let aad = associated_data(key);
        let json = self
            .0
            .decrypt(
                Nonce::from_slice(nonce),
                Payload {
                    msg: ciphertext,
                    aad: &aad,
                },
            )
            .map_err(|_| unreadable())?;
        serde_json::from_slice(&json).map_err(StoreError::backend)
    }
}

impl fmt::Debug for TokenKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("TokenKey([redacted])")
    }
}

/// What a sealed value is bound to: the identity, so that a row copied onto another
/// identity does not open.
fn associated_data(key: &Key) -> Vec<u8> {
    let mut aad = b"portcullis-tokens-v1\0".to_vec();
    aad.extend_from_slice(key.provider_id().as_bytes());
    aad.push(0);
    aad.extend_from_slice(key.provider_user_id().as_bytes());
    aad
}

#[cfg(test)]
mod tests {
    use super::*;
    use portcullis::AccessToken;

    #[test]
    fn sealed_tokens_open_only_with_the_key_and_the_identity_they_were_sealed_for() {
        let (key, _) = TokenKey::generate();
        let ada = Key::new("github", "1");
        let tokens = Tokens::new(AccessToken::new("gho_secret".to_owned()));
        let sealed = key.seal(&ada, &tokens).unwrap();
        assert!(
            !sealed.windows(10).any(|w| w == b"gho_secret"),
            "the access token is not readable in the sealed value"
        );
        assert_eq!(
            key.open(&ada, &sealed).unwrap().access_token().secret(),
            "gho_secret"
        );
        // A fresh nonce each time: the same tokens never seal to the same bytes.
        assert_ne!(key.seal(&ada, &tokens).unwrap(), sealed);

        let (other_key, _) = TokenKey::generate();
        assert!(other_key.open(&ada, &sealed).is_err());
        assert!(key.open(&Key::new("github", "2"), &sealed).is_err());
        let mut altered = sealed.clone();
        *altered.last_mut().unwrap() ^= 1;
        assert!(key.open(&ada, &altered).is_err());
        assert!(key.open(&ada, &sealed[..5]).is_err());
    }
}
