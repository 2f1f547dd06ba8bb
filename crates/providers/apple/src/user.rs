//! [`AppleUser`]: the verified ID token's claims, and the name Apple posts once.

use portcullis::{Profile, ProviderUser};
use portcullis_oidc::claims;
use serde::{Deserialize, Serialize};

/// A user signed in with Apple: the claims of the verified ID token, plus the name from
/// the first sign-in's `user` parameter.
///
/// Apple has no user-info endpoint: the ID token is the whole profile, and it carries no
/// name. Which claims are present depends on the scopes the app requested (`email`) and
/// on the account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppleUser {
    /// The user's identifier: unique, stable, and specific to the app's development team
    /// (the same user has another `sub` with another team). The provider user id.
    pub sub: String,
    /// The email address: the user's real address, or their private relay address
    /// (`…@privaterelay.appleid.com`, see
    /// [`is_private_email`](Self::is_private_email)) when they chose to hide it. Present
    /// when the app requested the `email` scope; may be absent for Sign in with Apple at
    /// Work & School accounts. It can change (the user may stop hiding it): never key on
    /// it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Apple verified `email`. Apple sends a boolean or the string `"true"` /
    /// `"false"`, both accepted; anything else fails the sign-in rather than being guessed
    /// at. In practice Apple only returns verified addresses.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// Whether `email` is a private relay address that forwards to the user's real one.
    /// A boolean or the string `"true"` / `"false"`, as for `email_verified`. Mail to a
    /// relay address only arrives when the app's sending domains are registered with
    /// Apple.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub is_private_email: Option<bool>,
    /// Apple's guess whether the user is a real person, from on-device signals: present
    /// only for sign-ins from Apple platforms that support it (iOS 14, macOS 11 and
    /// later), absent for the web flow.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub real_user_status: Option<RealUserStatus>,
    /// The user's identifier under the team the app was transferred from, during an app
    /// transfer between development teams: map it to the account stored under the old
    /// `sub`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub transfer_sub: Option<String>,
    /// Whether the sign-in came from a platform that supports the `nonce` (Apple sends a
    /// boolean or a string). The web flow does: its `nonce` is always checked.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub nonce_supported: Option<bool>,
    /// The name the user shared, from the `user` parameter of the callback. **Apple sends
    /// it on the user's first sign-in to the app only** (and only with the `name` scope
    /// and `form_post`): store it then, it will not come again. It is what the browser
    /// posted, not signed by Apple — as trustworthy as a name the user typed. `None` on
    /// every later sign-in, and when the parameter was not the JSON Apple sends.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<AppleName>,
}

impl AppleUser {
    /// The email, only if Apple says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }

    /// Whether the email is a private relay address (`is_private_email` is true).
    pub fn has_private_email(&self) -> bool {
        self.is_private_email == Some(true)
    }
}

impl ProviderUser for AppleUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        Profile::new(self.provider_user_id())
            .with_name(self.name.as_ref().and_then(AppleName::full_name))
            .with_email(self.email.clone(), self.email_verified == Some(true))
    }
}

/// The name a user shared on their first sign-in, as Apple posts it (`firstName`,
/// `lastName`). Either part may be missing: the user can edit or clear it before sharing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AppleName {
    /// The given name (`firstName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_name: Option<String>,
    /// The family name (`lastName`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub last_name: Option<String>,
}

impl AppleName {
    /// The given and family names joined by a space (Western order), or whichever is
    /// present; `None` when neither is.
    pub fn full_name(&self) -> Option<String> {
        claims::full_name(None, self.first_name.as_deref(), self.last_name.as_deref())
    }
}

/// The `real_user_status` claim: how likely Apple thinks the user is a real person.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "i64", into = "i64")]
pub enum RealUserStatus {
    /// `0`: the platform cannot tell.
    Unsupported,
    /// `1`: Apple cannot tell; treat the user as any other.
    Unknown,
    /// `2`: very likely a real person.
    LikelyReal,
    /// A value Apple has not documented.
    Other(i64),
}

impl From<i64> for RealUserStatus {
    fn from(value: i64) -> Self {
        match value {
            0 => RealUserStatus::Unsupported,
            1 => RealUserStatus::Unknown,
            2 => RealUserStatus::LikelyReal,
            other => RealUserStatus::Other(other),
        }
    }
}

impl From<RealUserStatus> for i64 {
    fn from(status: RealUserStatus) -> Self {
        match status {
            RealUserStatus::Unsupported => 0,
            RealUserStatus::Unknown => 1,
            RealUserStatus::LikelyReal => 2,
            RealUserStatus::Other(other) => other,
        }
    }
}

/// The claims of Apple's ID token that make an [`AppleUser`].
#[derive(Deserialize)]
pub(crate) struct IdTokenClaims {
    sub: String,
    #[serde(default)]
    email: Option<String>,
    #[serde(default, deserialize_with = "claims::lenient_bool")]
    email_verified: Option<bool>,
    #[serde(default, deserialize_with = "claims::lenient_bool")]
    is_private_email: Option<bool>,
    #[serde(default)]
    real_user_status: Option<RealUserStatus>,
    #[serde(default)]
    transfer_sub: Option<String>,
    #[serde(default, deserialize_with = "claims::lenient_bool")]
    nonce_supported: Option<bool>,
}

impl IdTokenClaims {
    pub(crate) fn into_user(self, name: Option<AppleName>) -> AppleUser {
        AppleUser {
            sub: self.sub,
            // Empty for some Work & School accounts: no address.
            email: self.email.filter(|email| !email.is_empty()),
            email_verified: self.email_verified,
            is_private_email: self.is_private_email,
            real_user_status: self.real_user_status,
            transfer_sub: self.transfer_sub.filter(|sub| !sub.is_empty()),
            nonce_supported: self.nonce_supported,
            name,
        }
    }
}

/// The callback's `user` parameter: `{"name":{"firstName":…,"lastName":…},"email":…}`.
/// Its `email` is not read: the ID token's, signed by Apple, is the one used.
#[derive(Deserialize)]
struct UserParam {
    #[serde(default)]
    name: Option<NameParam>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NameParam {
    #[serde(default)]
    first_name: Option<String>,
    #[serde(default)]
    last_name: Option<String>,
}

/// Why a `user` parameter gave no name.
#[derive(Debug, PartialEq, Eq)]
pub(crate) enum NameError {
    /// Not the JSON object Apple sends.
    Malformed,
}

/// The name in a `user` parameter: `Ok(None)` when it has none (no `name` scope, or the
/// user cleared both parts), `Err` when it is not Apple's JSON.
pub(crate) fn name_from_user_param(user: &str) -> Result<Option<AppleName>, NameError> {
    // An object, not merely something serde can make a struct of (`[]`).
    let param: UserParam = match serde_json::from_str(user) {
        Ok(value @ serde_json::Value::Object(_)) => {
            serde_json::from_value(value).map_err(|_| NameError::Malformed)?
        }
        _ => return Err(NameError::Malformed),
    };
    let part = |part: Option<String>| part.map(|p| p.trim().to_owned()).filter(|p| !p.is_empty());
    Ok(param.name.and_then(|name| {
        let name = AppleName {
            first_name: part(name.first_name),
            last_name: part(name.last_name),
        };
        (name.first_name.is_some() || name.last_name.is_some()).then_some(name)
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_user_parameter_gives_the_name_and_nothing_else() {
        let name = name_from_user_param(
            r#"{"name":{"firstName":"Jane","lastName":"Appleseed"},"email":"jane@example.com"}"#,
        )
        .unwrap()
        .unwrap();
        assert_eq!(name.first_name.as_deref(), Some("Jane"));
        assert_eq!(name.last_name.as_deref(), Some("Appleseed"));
        assert_eq!(name.full_name().as_deref(), Some("Jane Appleseed"));

        // Email scope only: no name.
        assert_eq!(
            name_from_user_param(r#"{"email":"jane@example.com"}"#),
            Ok(None)
        );
        // The user cleared the name before sharing it.
        assert_eq!(
            name_from_user_param(r#"{"name":{"firstName":" ","lastName":""}}"#),
            Ok(None)
        );
        let last_only = name_from_user_param(r#"{"name":{"lastName":"Appleseed"}}"#)
            .unwrap()
            .unwrap();
        assert_eq!(last_only.full_name().as_deref(), Some("Appleseed"));

        for malformed in [
            "",
            "Jane",
            "[]",
            r#"{"name":"Jane Appleseed"}"#,
            r#"{"name":{"firstName":7}}"#,
            r#"{"name":{"firstName":"Jane""#,
        ] {
            assert_eq!(
                name_from_user_param(malformed),
                Err(NameError::Malformed),
                "{malformed}"
            );
        }
    }

    #[test]
    fn real_user_status_round_trips_with_unknown_values_kept() {
        for (n, status) in [
            (0, RealUserStatus::Unsupported),
            (1, RealUserStatus::Unknown),
            (2, RealUserStatus::LikelyReal),
            (7, RealUserStatus::Other(7)),
        ] {
            assert_eq!(
                serde_json::from_value::<RealUserStatus>(n.into()).unwrap(),
                status
            );
            assert_eq!(serde_json::to_value(status).unwrap(), n);
        }
    }
}
