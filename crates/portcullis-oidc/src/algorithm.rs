//! [`Algorithm`]: the JWS algorithms an ID token may be signed with.

use std::fmt;
use std::str::FromStr;

use openidconnect::core::CoreJwsSigningAlgorithm;

/// A JWS algorithm (RFC 7518) an ID token may be signed with: the allow-list of an
/// [`IdTokenVerifier`](crate::IdTokenVerifier) is made of these.
///
/// `none` is not one: an unsigned ID token is always refused. Neither is ES512, which
/// the verification library does not support (P-521).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Algorithm {
    /// RSASSA-PKCS1-v1_5 with SHA-256: the OpenID Connect default.
    Rs256,
    /// RSASSA-PKCS1-v1_5 with SHA-384.
    Rs384,
    /// RSASSA-PKCS1-v1_5 with SHA-512.
    Rs512,
    /// RSASSA-PSS with SHA-256.
    Ps256,
    /// RSASSA-PSS with SHA-384.
    Ps384,
    /// RSASSA-PSS with SHA-512.
    Ps512,
    /// ECDSA with P-256 and SHA-256.
    Es256,
    /// ECDSA with P-384 and SHA-384.
    Es384,
    /// EdDSA (Ed25519).
    EdDsa,
    /// HMAC with SHA-256, keyed with the client secret.
    Hs256,
    /// HMAC with SHA-384, keyed with the client secret.
    Hs384,
    /// HMAC with SHA-512, keyed with the client secret.
    Hs512,
}

impl Algorithm {
    /// Every supported algorithm that signs with the issuer's own key (not HMAC).
    pub const ASYMMETRIC: &'static [Algorithm] = &[
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::EdDsa,
    ];

    const ALL: &'static [Algorithm] = &[
        Algorithm::Rs256,
        Algorithm::Rs384,
        Algorithm::Rs512,
        Algorithm::Ps256,
        Algorithm::Ps384,
        Algorithm::Ps512,
        Algorithm::Es256,
        Algorithm::Es384,
        Algorithm::EdDsa,
        Algorithm::Hs256,
        Algorithm::Hs384,
        Algorithm::Hs512,
    ];

    /// The name used in JWS headers and discovery documents: `RS256`, `EdDSA`, …
    pub fn as_str(self) -> &'static str {
        match self {
            Algorithm::Rs256 => "RS256",
            Algorithm::Rs384 => "RS384",
            Algorithm::Rs512 => "RS512",
            Algorithm::Ps256 => "PS256",
            Algorithm::Ps384 => "PS384",
            Algorithm::Ps512 => "PS512",
            Algorithm::Es256 => "ES256",
            Algorithm::Es384 => "ES384",
            Algorithm::EdDsa => "EdDSA",
            Algorithm::Hs256 => "HS256",
            Algorithm::Hs384 => "HS384",
            Algorithm::Hs512 => "HS512",
        }
    }

    /// The algorithm with this JWS name (case-sensitive, as RFC 7518 spells them), if it
    /// is supported.
    pub fn from_name(name: &str) -> Option<Algorithm> {
        Self::ALL.iter().copied().find(|a| a.as_str() == name)
    }

    /// True for the HMAC algorithms, whose key is the client secret.
    pub fn is_symmetric(self) -> bool {
        matches!(self, Algorithm::Hs256 | Algorithm::Hs384 | Algorithm::Hs512)
    }

    pub(crate) fn to_core(self) -> CoreJwsSigningAlgorithm {
        match self {
            Algorithm::Rs256 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha256,
            Algorithm::Rs384 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha384,
            Algorithm::Rs512 => CoreJwsSigningAlgorithm::RsaSsaPkcs1V15Sha512,
            Algorithm::Ps256 => CoreJwsSigningAlgorithm::RsaSsaPssSha256,
            Algorithm::Ps384 => CoreJwsSigningAlgorithm::RsaSsaPssSha384,
            Algorithm::Ps512 => CoreJwsSigningAlgorithm::RsaSsaPssSha512,
            Algorithm::Es256 => CoreJwsSigningAlgorithm::EcdsaP256Sha256,
            Algorithm::Es384 => CoreJwsSigningAlgorithm::EcdsaP384Sha384,
            Algorithm::EdDsa => CoreJwsSigningAlgorithm::EdDsa,
            Algorithm::Hs256 => CoreJwsSigningAlgorithm::HmacSha256,
            Algorithm::Hs384 => CoreJwsSigningAlgorithm::HmacSha384,
            Algorithm::Hs512 => CoreJwsSigningAlgorithm::HmacSha512,
        }
    }
}

impl fmt::Display for Algorithm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Algorithm {
    type Err = portcullis::Error;

    /// Parses a JWS name; `none` and unsupported names are configuration errors.
    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Algorithm::from_name(name).ok_or_else(|| {
            portcullis::Error::Config(format!("unsupported ID-token algorithm `{name}`"))
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip_and_none_is_never_an_algorithm() {
        for alg in Algorithm::ALL {
            assert_eq!(Algorithm::from_name(alg.as_str()), Some(*alg));
            assert_eq!(
                serde_json::to_value(alg.to_core()).unwrap(),
                alg.as_str(),
                "same name as openidconnect's"
            );
        }
        assert_eq!(Algorithm::from_name("none"), None);
        assert_eq!(Algorithm::from_name("rs256"), None);
        assert!("none".parse::<Algorithm>().is_err());
        assert!(Algorithm::ASYMMETRIC.iter().all(|a| !a.is_symmetric()));
    }
}
