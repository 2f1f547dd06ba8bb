//! The normalised profile every provider user can be turned into.

use serde::{Deserialize, Serialize};

/// A provider user reduced to what every app wants: id, name, email, whether the email
/// is verified, avatar.
///
/// `email_verified` is `true` only when the provider itself says the address is
/// verified; each provider's docs say where that comes from. Never link accounts on an
/// unverified email: anyone can register `victim@example.com` at a provider that does
/// not check.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct Profile {
    /// The provider user id (the second half of the user's key).
    pub id: String,
    /// The display name.
    pub name: Option<String>,
    /// The username or handle, for providers that have one (GitHub `login`).
    pub username: Option<String>,
    /// The email address.
    pub email: Option<String>,
    /// Whether the provider says it verified `email`.
    pub email_verified: bool,
    /// A URL of the user's picture.
    pub avatar_url: Option<String>,
}

impl Profile {
    /// A profile with only an id.
    pub fn new(id: impl Into<String>) -> Self {
        Profile {
            id: id.into(),
            name: None,
            username: None,
            email: None,
            email_verified: false,
            avatar_url: None,
        }
    }

    /// Sets the display name.
    #[must_use]
    pub fn with_name(mut self, name: Option<String>) -> Self {
        self.name = name;
        self
    }

    /// Sets the username.
    #[must_use]
    pub fn with_username(mut self, username: Option<String>) -> Self {
        self.username = username;
        self
    }

    /// Sets the email and whether the provider verified it. An absent email is never
    /// verified.
    #[must_use]
    pub fn with_email(mut self, email: Option<String>, verified: bool) -> Self {
        self.email_verified = verified && email.is_some();
        self.email = email;
        self
    }

    /// Sets the avatar URL.
    #[must_use]
    pub fn with_avatar_url(mut self, avatar_url: Option<String>) -> Self {
        self.avatar_url = avatar_url;
        self
    }

    /// The email, only if the provider verified it: the one to use for account linking.
    pub fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_absent_email_is_never_verified() {
        let p = Profile::new("1").with_email(None, true);
        assert!(!p.email_verified);
        assert_eq!(p.verified_email(), None);
        let p = Profile::new("1").with_email(Some("a@b.c".into()), false);
        assert_eq!(p.verified_email(), None);
        let p = Profile::new("1").with_email(Some("a@b.c".into()), true);
        assert_eq!(p.verified_email(), Some("a@b.c"));
    }
}
