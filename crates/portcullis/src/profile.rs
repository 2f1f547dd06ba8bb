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

    /// Sets the display name. Like every setter here, it trims the value and takes a
    /// blank one (providers send `""` for "not set") as none.
    #[must_use]
    pub fn with_name(mut self, name: Option<String>) -> Self {
        self.name = present(name);
        self
    }

    /// Sets the username.
    #[must_use]
    pub fn with_username(mut self, username: Option<String>) -> Self {
        self.username = present(username);
        self
    }

    /// Sets the email and whether the provider verified it. An absent (or blank) email
    /// is never verified.
    #[must_use]
    pub fn with_email(mut self, email: Option<String>, verified: bool) -> Self {
        self.email = present(email);
        self.email_verified = verified && self.email.is_some();
        self
    }

    /// Sets the avatar URL.
    #[must_use]
    pub fn with_avatar_url(mut self, avatar_url: Option<String>) -> Self {
        self.avatar_url = present(avatar_url);
        self
    }

    /// `value` trimmed, or `None` when it is blank: for a provider choosing between
    /// fields (the display name, else the name) where a blank one means "not set".
    ///
    /// ```
    /// use portcullis::Profile;
    ///
    /// let (display_name, name) = (Some("  "), Some("Ada Lovelace"));
    /// let chosen = Profile::non_blank(display_name).or(Profile::non_blank(name));
    /// assert_eq!(chosen, Some("Ada Lovelace"));
    /// ```
    pub fn non_blank(value: Option<&str>) -> Option<&str> {
        value.map(str::trim).filter(|value| !value.is_empty())
    }

    /// The email, only if the provider verified it: the one to use for account linking.
    pub fn verified_email(&self) -> Option<&str> {
        self.email.as_deref().filter(|_| self.email_verified)
    }
}

/// `value` trimmed, or `None` when blank.
fn present(value: Option<String>) -> Option<String> {
    let value = value?;
    let trimmed = value.trim();
    if trimmed.is_empty() {
        None
    } else if trimmed.len() == value.len() {
        Some(value)
    } else {
        Some(trimmed.to_owned())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blank_values_are_none_and_values_are_trimmed() {
        let p = Profile::new("1")
            .with_name(Some(" Ada Lovelace ".into()))
            .with_username(Some(String::new()))
            .with_email(Some("  ".into()), true)
            .with_avatar_url(Some("\t".into()));
        assert_eq!(p.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!((p.username, p.email, p.avatar_url), (None, None, None));
        assert!(
            !p.email_verified,
            "a blank email is no email, so not verified"
        );
        assert_eq!(Profile::non_blank(Some(" x ")), Some("x"));
        assert_eq!(Profile::non_blank(Some(" ")), None);
        assert_eq!(Profile::non_blank(None), None);
    }

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
