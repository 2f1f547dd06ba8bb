//! Shared by this crate's tests: keys that sign ID tokens the way the provider does, and
//! the key set it publishes.

// Each test binary uses part of this module.
#![allow(dead_code, unreachable_pub)]

use std::time::{SystemTime, UNIX_EPOCH};

use openidconnect::core::{
    CoreHmacKey, CoreJsonWebKey, CoreJwsSigningAlgorithm, CoreRsaPrivateSigningKey,
};
use openidconnect::{AccessToken, AccessTokenHash, JsonWebKeyId, PrivateSigningKey};
use serde_json::{Value, json};

/// A key that signs tokens, with the algorithm and `kid` it signs them with.
pub struct Signer {
    key: Box<dyn PrivateSigningKey<VerificationKey = CoreJsonWebKey> + Send + Sync>,
    alg: CoreJwsSigningAlgorithm,
    kid: Option<String>,
}

impl Signer {
    /// RSA key `rsa-1`, RS256: what the provider signs with.
    pub fn rsa_1() -> Self {
        Self::rsa(RSA_1, "rsa-1")
    }

    /// RSA key `rsa-2`: a key the provider does not publish.
    pub fn rsa_2() -> Self {
        Self::rsa(RSA_2, "rsa-2")
    }

    fn rsa(pem: &str, kid: &str) -> Self {
        Signer {
            key: Box::new(
                CoreRsaPrivateSigningKey::from_pem(pem, Some(JsonWebKeyId::new(kid.to_owned())))
                    .unwrap(),
            ),
            alg: CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            kid: Some(kid.to_owned()),
        }
    }

    /// HS256 keyed with `secret`, no `kid` (LINE's web login).
    pub fn hmac(secret: &str) -> Self {
        Signer {
            key: Box::new(CoreHmacKey::new(secret.as_bytes())),
            alg: CoreJwsSigningAlgorithm::HmacSha256,
            kid: None,
        }
    }

    /// The same key, signing with another algorithm.
    pub fn with_alg(mut self, alg: CoreJwsSigningAlgorithm) -> Self {
        self.alg = alg;
        self
    }

    /// The public key as the provider's key set lists it.
    pub fn jwk(&self) -> Value {
        serde_json::to_value(self.key.as_verification_key()).unwrap()
    }

    /// An ID token with these claims.
    pub fn sign(&self, claims: &Value) -> String {
        let mut header = json!({"alg": serde_json::to_value(&self.alg).unwrap(), "typ": "JWT"});
        if let Some(kid) = &self.kid {
            header["kid"] = json!(kid);
        }
        let input = format!(
            "{}.{}",
            base64url(header.to_string().as_bytes()),
            base64url(claims.to_string().as_bytes())
        );
        let signature = self.key.sign(&self.alg, input.as_bytes()).unwrap();
        format!("{input}.{}", base64url(&signature))
    }

    /// The `at_hash` of `access_token` for this signer's algorithm.
    pub fn at_hash(&self, access_token: &str) -> String {
        AccessTokenHash::from_token(
            &AccessToken::new(access_token.to_owned()),
            &self.alg,
            &self.key.as_verification_key(),
        )
        .unwrap()
        .to_string()
    }
}

/// A key set document with these signers' public keys.
pub fn jwks(signers: &[&Signer]) -> String {
    json!({"keys": signers.iter().map(|s| s.jwk()).collect::<Vec<_>>()}).to_string()
}

/// Seconds since the epoch, now.
pub fn now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap()
        .as_secs()
}

/// base64url without padding (RFC 4648 §5), written out so the tests need no crate.
pub fn base64url(input: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    let mut out = String::with_capacity(input.len().div_ceil(3) * 4);
    for chunk in input.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..=chunk.len() {
            out.push(ALPHABET[(n >> (18 - 6 * i)) as usize & 63] as char);
        }
    }
    out
}

#[test]
fn base64url_encodes_rfc_4648_vectors() {
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
    }
    assert_eq!(base64url(&[0xfb, 0xff]), "-_8");
}

/// Test key `rsa-1` (`openssl genrsa -traditional 2048`): signs test tokens only.
const RSA_1: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEpAIBAAKCAQEAisQFTnjisN6hNcMnpM92oKtxYKLQjjai1BCFZCY4njOu1d77
BBeyxnJRUrl8j6hnE7+BseEtVqT7vxe4MLjwnIbnrx9LneDO7t4qxg3Tb2hfjsq6
CqdNl5D6P4pKmA5KPRU4Pz7wQ9YiUNM6K2Baj8+jCeyedZCKae87TOyqe09AINSj
9+jY2+MGqIvVyvG3EaHq7ujYRGceKJdMfwZ5DlBpzSvyGQdd/RZ9lJKIE0K3XBJW
jeLPQ5n+fhkm1YWKjcHjV98dZ8/mosL0M0TaEtUrxerrxXnKhIp0mHDEx4ai+7ZX
iViZpHaBRQTnLAzvYS5LbMUj2FuLpKUx3me+SwIDAQABAoIBAAgpUECVxotthKDD
Wh0M4KbBfpkW6lo652e+kwHZZ6ISWxmUFEJg3HBkf9j0NNnEJ0/Xhxq9qit6552N
GRWwguJJ4u1/UzS1aKZO5cghPwrB4kDlNnzy6xLbgYRkL0/zIzWlflnl6z6qJPmI
+tZbQ+hKZ4XpZ0Z12lYxrlSvZLV81RTJ9raajn1rC9bBs0NfIcnpvVlf7C2/TUuR
sv4qzSB7263BcbGMN3dQAez2GFu+tpbxHPr82kpdjAyR8aqzWZREuJGJzuqPfcN2
fYhYbXurAC2CdhPD3OvxSrbSdXqFdHcq03RFTE8tF4+7bv35hGcwIc5PbjRr3mFm
krNGBGkCgYEAwTOIDqR6dLggQAGWaVLsXvblf5Ex16WQ/lQ3MNB9QzmCXj5xb3jo
gDiCIoqQaWGS9RulMOD9SRvAXvbLmoVvO+ZM0dT3SM4sHRNHq4XyvTqWtNoj+Ma3
9oa67OswjANtX+zgYfTcdQLYjfRnLZ9pI0eUq+ixopV//XzHLbGPCXMCgYEAt97Z
yIcvOTQYxHk6j7KbTPGOaLOsEs6fuhbKqxUhBHcgUtjwrP/U8cpThJWUcjCAv1Gu
VuqCJb0QbAPmSfQqnKbW8WpOgy7ZZYqMyOde8Tx/9flRFqU7hdU3ZN4FlvpuaHEl
JvQsZ9AMWd9pG8jYX6EWDbylle0koDx1khU4ockCgYEAun6h0XCX/F9YUjC2Hok7
PhgaRN/FOyLJKZflhqtany++Vnb0TORrmonxpKIY8ICNuSisdthX5uBw+7pDo682
Rp3yfYKUCaVrE83umvW78UnC/GSt4JECN2iqu9PzktQkGjqwBh61SAYtQCoyBuog
NTv9mUwPXJ/vYqO2KLeDGV0CgYEAo2MHq0VVFUPR7mS7QQ25KrpLjYZ7FYs+LCIs
nbH80Pb6ZiQYWeJL2z+qz1oLuxyWi2uNu/ZPCDHk8dbVQEoTw3gN8CBC/BcZXz2q
tKvEliDopC6Te8gACIDa5GrWFL8cdPp1xROckfMxxnrb77CddPyzmClWCs/bh/ex
kcoBtOECgYAnQAlSac5WhmkbUqQQD8Tmr6yzqGH0FdS6YmhGijB/OwnnvFWvTikW
2IZX/IG6a1sPuftKHC/XI0l8JhUTvV97z4CZKZ9JS9qFogn2pUpDxhmzmdBM3sje
sez+nIoVa2DJyZ/rQCaGx2Sy4Cp5eZTj3tbNt5I57yan7fcttgvSCw==
-----END RSA PRIVATE KEY-----";

/// Test key `rsa-2`: signs test tokens only.
const RSA_2: &str = "-----BEGIN RSA PRIVATE KEY-----
MIIEoAIBAAKCAQEA3zQQShBE3x5UUkVGxBFvbFHH6liLgp9PYjB4cxubc6nkTl8S
9GVSDTuLzW1CevStjMCOaCmpmy0FkzediNthTFQW/HjNlKFIMwc0Z8E/1hpDhuKA
BvzWjGemUX7e/63q5PRbkBQWw2U2iLhNXCathtv+JyMAH6/J9hDpqhqJnGdhy6kD
83H4PwbA2KJBqUcppEzjj/KAcLkgom9vpKd88+ZCfANRZ8nzBoqlDhUwuGebeum3
oFgMlkj7tKOVTfUsnBoAu8TZ4kfcH8H6H0DFQTWJM9u2i788XA/Kntb+iHGcN7sT
yyZ3Xjhl1StFs2wkvxZ08toWNnhAQTmxAda6zwIDAQABAoH/OlOBauzvr+7G3weX
SIRZjHF2l9o8zychDZSwqgFLNQIWEAjibmqcE5DyEbx05Iu2cm1o8KFU8oawfq20
g4UE9Rsrq3i3/nROSNLayzuT1V8UvHLp+zg+YlgWA+2gI+fy1cdhBR4TZSNwNwHK
87/ffl5AOd+p7YojG7p9o9UJ0gKn5qqt2IhDiJKqkj6wYpCqNIIQ81MBY9+l+bwq
RSPK1IejpXvOuazV6BQC3Ww9if7z2eH1NkAcN5EU4whvpdJ4WxytfFLwASZDp2lX
5gfJ/Z7Wlxh1ceBsnfFcMP8IpTZ68zGgsPKIBHa2wGC0UEhObu8MXrxsCTd0pp09
4hRJAoGBAPN59+G+PvP1sHmDvmQFYnM4N7skIPAnTQBvIsz/5apH6oq4wMwuMMvz
Lb0enRqH4YY8lCh+pGyeNbzp+NgMnCX5kMm9jD8PWe9xtkk2tONiarmqFCbPJ3UR
O3eUNY1rwqNubYwEc7oNDLymD25aTGSyYKBhrTp9fspPDWexWQTLAoGBAOqvJSaG
tvawsgsGC7BAmldvvPzEsde7tOIT57fqoWZ1w8IT77wPhXFJXZz95naX0zCdwCnm
haYHoyBnhJwJUCLmROQ++ajGoCoraR0HmCpmTS6x9/HAzdqZAF7kLUl3+XTHNrbS
6+DGixUUXQQYagLH5BEffgQKOn+UGdusYWWNAoGAGUBkGhCOHOU1WVT1kRAR5ttE
xG75z45z6QCdvl8n5aIxzBNfQ43i17Qv4TZkmtTO6gosX4rK6Mz7y80EVvvv0exx
PMsg2YVxEWlcu3kmB5M0eG8QSfogIH8aCMvhRfqQJD0WtXfcvMYPtR0P6qUI2US6
ysd2nONZHAhY3pFBJ0MCgYBHUlUbAUPncsmZGgxBU1DUk8u+kdRueMg/EMeSGEdW
ySFmAQMRhzIJvL8rb+ozTm7LTpXQ5hLl41pLBcrCVP46rPpw10auaTbRugGm5eDz
ucVpFIMCwJKPBYKcVAIDWue/+q8BHta6p/wqutaN4RGOqMsB/S0h8y3WCd9V6Gxt
HQKBgB9g97T0Ka7UtsLs/jqthS8eQbJG5X9YdykiR13Ez94IzZYJG8v68V6vupGu
gFebLU3QYFipuA00U2NjJ4BrOccX4DXlGrneKKktwEyJzFfzgngXpRvdxf9J7zsT
kzlIU9qkti0xJ0og/l7n3ZQ/DuCgCwEfdZE/ej1RfnBE8I2W
-----END RSA PRIVATE KEY-----";
