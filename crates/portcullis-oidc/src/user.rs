//! [`OidcUser`]: the signed-in user's claims, typed.

use portcullis::{Profile, ProviderUser};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// The user an OpenID provider signed in: the standard claims of OpenID Connect Core 1.0
/// §5.1, typed, and every other claim in [`claims`](Self::claims).
///
/// Built from the verified ID token's claims merged with the userinfo response (userinfo
/// wins, except for `sub`, which must be the same, and the token's own protocol claims).
/// `iss`, `aud`, `exp`, `iat`, `auth_time`, `acr`, `address`, `updated_at`, localized
/// variants (`name#ja-Kana-JP`) and any custom claim are in [`claims`](Self::claims).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct OidcUser {
    /// The subject: the user's stable id at the issuer, and the provider user id.
    pub sub: String,
    /// The full name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The given (first) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family (last) name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The middle name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub middle_name: Option<String>,
    /// The casual name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub nickname: Option<String>,
    /// The username the user goes by at the issuer. Not unique, not stable: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub preferred_username: Option<String>,
    /// The profile page URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub profile: Option<String>,
    /// The picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The web page or blog URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub website: Option<String>,
    /// The email address. Not unique, not stable: never key on it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether the issuer verified `email`. Accepted as a boolean or as the strings
    /// `"true"`/`"false"` (Cognito and others send strings).
    #[serde(
        default,
        deserialize_with = "crate::claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// The gender.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub gender: Option<String>,
    /// The birthday, `YYYY-MM-DD` or `YYYY`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub birthdate: Option<String>,
    /// The time zone, e.g. `Europe/Paris`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub zoneinfo: Option<String>,
    /// The locale, e.g. `fr-CA`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone_number: Option<String>,
    /// Whether the issuer verified `phone_number`; a boolean or `"true"`/`"false"`.
    #[serde(
        default,
        deserialize_with = "crate::claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub phone_number_verified: Option<bool>,
    /// Every other claim.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl OidcUser {
    /// The user from verified claims.
    ///
    /// # Errors
    ///
    /// [`IdTokenError::Claim`](portcullis::IdTokenError::Claim) naming a standard claim
    /// that does not have its standard type.
    pub fn from_claims(claims: Map<String, Value>) -> Result<Self, portcullis::Error> {
        crate::claims::from_map(claims)
    }

    /// The issuer (`iss`) that signed the user in, when the claims came from an ID token.
    pub fn issuer(&self) -> Option<&str> {
        self.claims.get("iss").and_then(Value::as_str)
    }

    /// The email, only if the issuer said it verified it.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

impl ProviderUser for OidcUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let name = crate::claims::full_name(
            self.name.as_deref(),
            self.given_name.as_deref(),
            self.family_name.as_deref(),
        );
        Profile::new(self.sub.clone())
            .with_name(name)
            .with_username(self.preferred_username.clone())
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn user(claims: Value) -> OidcUser {
        match claims {
            Value::Object(map) => OidcUser::from_claims(map).unwrap(),
            _ => unreachable!(),
        }
    }

    #[test]
    fn email_verified_as_bool_or_string_and_only_true_counts() {
        for (value, verified) in [
            (json!(true), Some(true)),
            (json!("true"), Some(true)),
            (json!("TRUE"), Some(true)),
            (json!(false), Some(false)),
            (json!("false"), Some(false)),
            (Value::Null, None),
        ] {
            let u = user(json!({"sub": "1", "email": "a@b.c", "email_verified": value}));
            assert_eq!(u.email_verified, verified, "{value}");
            assert_eq!(u.profile().email_verified, verified == Some(true));
            assert_eq!(u.verified_email().is_some(), verified == Some(true));
        }
        let u = user(json!({"sub": "1", "email": "a@b.c"}));
        assert_eq!(u.email_verified, None);
        assert!(!u.profile().email_verified);

        let err = OidcUser::from_claims(
            json!({"sub": "1", "email_verified": "yes"})
                .as_object()
                .unwrap()
                .clone(),
        )
        .unwrap_err();
        assert!(
            matches!(&err, portcullis::Error::IdToken(portcullis::IdTokenError::Claim { claim }) if claim == "email_verified"),
            "{err:?}"
        );
    }

    #[test]
    fn other_claims_are_kept_and_round_trip() {
        let u = user(json!({
            "sub": "248289761001", "iss": "https://id.example.com", "name": "Jane Doe",
            "preferred_username": "j.doe", "picture": "https://id.example.com/j.jpg",
            "address": {"country": "FR"}, "name#ja-Kana-JP": "ジェーン", "groups": ["a", "b"]
        }));
        assert_eq!(u.issuer(), Some("https://id.example.com"));
        assert_eq!(u.claims["groups"], json!(["a", "b"]));
        assert_eq!(u.claims["address"], json!({"country": "FR"}));
        assert!(
            !u.claims.contains_key("name"),
            "typed claims are not repeated"
        );
        let back: OidcUser = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
        assert_eq!(back, u);

        assert_eq!(u.provider_user_id(), "248289761001");
        let p = u.profile();
        assert_eq!(p.name.as_deref(), Some("Jane Doe"));
        assert_eq!(p.username.as_deref(), Some("j.doe"));
        assert_eq!(
            p.avatar_url.as_deref(),
            Some("https://id.example.com/j.jpg")
        );
        assert_eq!(p.email, None);
    }

    #[test]
    fn the_name_falls_back_to_given_and_family_names() {
        let u = user(json!({"sub": "1", "given_name": "Jane", "family_name": "Doe"}));
        assert_eq!(u.profile().name.as_deref(), Some("Jane Doe"));
        let u = user(json!({"sub": "1"}));
        assert_eq!(u.profile().name, None);
    }
}
