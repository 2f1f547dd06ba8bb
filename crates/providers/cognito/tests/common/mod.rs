//! Signs ID tokens as the issuer does: RS256 with a test key, a `kid`, and the key
//! published in a JWKS. The key signs test tokens only.

// Each test binary uses part of this module.
#![allow(dead_code, unreachable_pub)]

use std::time::{SystemTime, UNIX_EPOCH};

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use openidconnect::core::{CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey};
use openidconnect::{AccessToken, AccessTokenHash, JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};

/// A 2048-bit RSA key made with `openssl genrsa -traditional 2048` for these tests.
const KEY: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEowIBAAKCAQEAtt+QwMM6OtAhZvUvfbvPDl1EHeYgptpznqEbdZPbjisGgt3M
Or/zlnXu+W5cf20f7OOcA5IJk7nlu6nqK+we5GTxRx48nNDHTqBGCIhJ+YoiBEur
n/nypQQFQ4kmwPgRpndDD9BRzb0gCzcGaGN0MyQLNU4JNfinPemJ7FZM6RupyB29
SlJkFIyUpA/IIPfmfJvXoUNr1/hp1LYicP+6XKDmYmoTVvTfTr5TnUX4HDBKEae6
4NBCYFlVp4VFj8zDngojb+bRrYfPT8hD8x6z0xVwkaNLS2CDxor7sDtanPRQan9X
DuMUpTUfGKSC8bBzanwQlaMEfQfqa1x7vHUCWwIDAQABAoIBABb9ErbQs+y5xkEp
mE8/gT9mhQ4XJEqlUnyB9zA4JpUAHqDr3eUSxT3IVILBl1ojbyx5zl56iL6r00/c
g8YCuD1w3Q3aJLd33V4qcrNW4qm+bhlJI+mH47NPxpOfVaJTbPCWtHTz9Jye5jzS
rXkI644UPV51kV3aBLgZOA/gJ2n0K9Jo1FbQxP+bTsd+Wv5ZCt/s/+lWrz0Djxr/
g3OVwbTJfhjNqGD1UsGnbcO7w9zhP7yoLras6tX++X9Tqgc/t1kzPFut+nwPH9HI
MmIVeKwCLKyX4WQrDPUWH8VDN7BOhmj+/OktNLXwkLgzWQQY1D0Fqz2iUDUKk5Ot
7OaOIRECgYEA+h5ECnfPMLCSnr7jBoSth+eEZheiy4/CKE5gMmOKZ7sxBej6l3wt
Gsd+NIITtOxGNbqUFHv/qokbZle6bSq+7dOi2MryzaBoB/HAuHmZw08+2vzx6aT+
81QdnCeMWcX941u761Zmc3emuK1KcHNiJEHzzXUvJ2Y1B6EfpMnktqsCgYEAuyx6
quzUF1W8NIu5qPZ7Bhnrbsro/oG0VV0M+nmGnyngBm/nTEr3IfuhhjgQFBcxHDBs
dl+67zj1dK+SX51CNOjaXvQeSVAteHF3K/IW5l69uEArw+8sQOjoja6IGcKOXoe0
fihhGhS0ThCdYvHXqONVjrQ0uhrSzfZ0kVPioxECgYBe7SeztV78QreS6i2tpqNZ
piOYv7W4floZBA38cczwq5nifVbGMYnI1RfwA8JI8zd+Ys6aq6kP5zNv9zG5BvUp
vB3dG8FlC1EQWs9i9DvIZYYchM2neEiOv0jxoAzjcYJ3TLSYj9UYU7wB8TsETLZd
vm4ydxwrXt4XhC5HU5yrOwKBgElu+fF1WQCOsngrGXwgt8N9B9E/6olvecDD8QOU
Ci0H0My1uplEEBFVF9oAxM4dCzd0CBmpFT4lqqdM+rBokkEP2hzGydsZib1nRsoH
ANUA9o4DHyiP/Vy6BAMSJnN00UZlF3snfHEvDk5SVm0rVOD9z+Nc8BLT00DbIICj
2JcBAoGBAPBM0VNZtUbjqqcGEx2SNGMf3Z/pl1U83kswqchDPQjjXlcZpYLnCD5S
wvSKcQGe0SaQbvD89hsZSv693iVAyvy/tkXDV6V4keNsSk/CfJg7XLLDXP9+DKbj
7DuNM61g8bOFWtAeXeQ3fcD/3pud9tSRUXvs/5pLXXlTA262dai0
-----END RSA PRIVATE KEY-----";

/// The test key and the `kid` it signs with.
pub struct Signer {
    key: CoreRsaPrivateSigningKey,
    kid: String,
}

impl Signer {
    pub fn new(kid: &str) -> Self {
        Signer {
            key: CoreRsaPrivateSigningKey::from_pem(KEY, Some(JsonWebKeyId::new(kid.to_owned())))
                .unwrap(),
            kid: kid.to_owned(),
        }
    }

    /// The public key as a JWKS lists it.
    pub fn jwk(&self) -> Value {
        serde_json::to_value(self.key.as_verification_key()).unwrap()
    }

    /// A JWS of `claims` with this header.
    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let signature = self
            .key
            .sign(
                &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
                input.as_bytes(),
            )
            .unwrap();
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }

    /// An RS256 ID token with these claims.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(
            &json!({"typ": "JWT", "alg": "RS256", "kid": self.kid}),
            claims,
        )
    }

    /// The `at_hash` of `access_token` (RS256: the left half of its SHA-256).
    pub fn at_hash(&self, access_token: &str) -> String {
        AccessTokenHash::from_token(
            &AccessToken::new(access_token.to_owned()),
            &CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            &self.key.as_verification_key(),
        )
        .unwrap()
        .to_string()
    }
}

/// `token` with its payload replaced, the signature kept: a forgery.
pub fn tamper(token: &str, claims: &Value) -> String {
    let parts: Vec<&str> = token.split('.').collect();
    format!(
        "{}.{}.{}",
        parts[0],
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        parts[2]
    )
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}
