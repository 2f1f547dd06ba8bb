//! [`ProviderSession`]: the result of a validated sign-in.

use std::fmt;

use crate::adapter::{Key, UserAdapter};
use crate::error::{Error, StoreError};
use crate::profile::Profile;
use crate::provider::ProviderUser;
use crate::token::Tokens;

/// A validated sign-in: who the provider says the user is, which app user that is (if
/// any), and the provider's tokens.
///
/// `existing_user` is `None` on a first sign-in: create the user with
/// [`create_user`](Self::create_user), or link the identity to a user who is already
/// signed in with [`link_to`](Self::link_to).
pub struct ProviderSession<U, A: UserAdapter> {
    /// The app user this identity belongs to; `None` for a new user.
    pub existing_user: Option<A::User>,
    /// The provider's user, typed (`GitHubUser`, `GoogleUser`, …).
    pub provider_user: U,
    /// The user's id at the provider.
    pub provider_user_id: String,
    /// The tokens the provider issued.
    pub tokens: Tokens,
    key: Key,
    adapter: A,
}

impl<U: ProviderUser, A: UserAdapter> ProviderSession<U, A> {
    pub(crate) fn new(
        provider_id: &str,
        provider_user: U,
        tokens: Tokens,
        existing_user: Option<A::User>,
        adapter: A,
    ) -> Self {
        let provider_user_id = provider_user.provider_user_id();
        ProviderSession {
            existing_user,
            key: Key::new(provider_id, provider_user_id.clone()),
            provider_user,
            provider_user_id,
            tokens,
            adapter,
        }
    }

    /// The same session with its provider user turned into another type (used to erase
    /// it to [`AnyUser`](crate::AnyUser)).
    pub fn map_user<V: ProviderUser>(self, f: impl FnOnce(U) -> V) -> ProviderSession<V, A> {
        ProviderSession {
            existing_user: self.existing_user,
            provider_user: f(self.provider_user),
            provider_user_id: self.provider_user_id,
            tokens: self.tokens,
            key: self.key,
            adapter: self.adapter,
        }
    }

    /// The identity's key: provider id + provider user id.
    pub fn key(&self) -> &Key {
        &self.key
    }

    /// The provider user's normalised profile.
    pub fn profile(&self) -> Profile {
        self.provider_user.profile()
    }

    /// Creates the app user with this identity as its first key, in one step.
    ///
    /// If the identity already has a user — a concurrent first sign-in (two tabs, a
    /// retried callback) created it in the meantime — that user is returned: one
    /// identity never yields two users.
    ///
    /// # Errors
    ///
    /// [`Error::Store`] when the store fails.
    pub async fn create_user(&self, attributes: A::Attributes) -> Result<A::User, Error> {
        let profile = self.profile();
        match self
            .adapter
            .create_user(&self.key, &profile, attributes)
            .await
        {
            Ok(user) => Ok(user),
            Err(StoreError::KeyExists(key)) => match self.adapter.user_by_key(&key).await? {
                Some(user) => Ok(user),
                None => Err(StoreError::KeyExists(key).into()),
            },
            Err(e) => Err(e.into()),
        }
    }

    /// Links this identity to an existing app user — typically the one signed in now
    /// ("connect your GitHub account"). Lucia's `createPersistentKey`.
    ///
    /// Never call this with a user found by email unless
    /// [`Profile::verified_email`] matched: linking on an unverified email hands the
    /// account to whoever registered that address at the provider.
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyExists`] when the identity is already linked (to this user or
    /// another); [`StoreError::UserNotFound`] when `user_id` does not exist.
    pub async fn link_to(&self, user_id: &A::UserId) -> Result<(), Error> {
        Ok(self
            .adapter
            .add_key(user_id, &self.key, &self.profile())
            .await?)
    }

    /// Links this identity to the user who already signed in with another identity
    /// whose provider verified the same email — opt-in account linking, done safely.
    ///
    /// Returns the linked user, or `None` when no single user has that verified email
    /// (create one then). Both sides must be verified by their providers: the address
    /// here ([`Profile::email_verified`]) and the one the store recorded.
    ///
    /// # Errors
    ///
    /// [`Error::EmailNotVerified`] when this provider did not verify the email (linking
    /// on it would hand the account to whoever registered the address there);
    /// [`StoreError::KeyExists`] when this identity already belongs to a user (check
    /// [`existing_user`](Self::existing_user) first); [`Error::Store`] when the store
    /// fails.
    pub async fn link_by_verified_email(&self) -> Result<Option<A::User>, Error> {
        let profile = self.profile();
        let Some(email) = profile.verified_email() else {
            return Err(Error::EmailNotVerified);
        };
        let Some(user) = self.adapter.user_by_verified_email(email).await? else {
            return Ok(None);
        };
        self.adapter
            .add_key(&A::user_id(&user), &self.key, &profile)
            .await?;
        Ok(Some(user))
    }
}

impl<U: fmt::Debug, A: UserAdapter> fmt::Debug for ProviderSession<U, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ProviderSession")
            .field("existing_user", &self.existing_user)
            .field("provider_user", &self.provider_user)
            .field("provider_user_id", &self.provider_user_id)
            .field("tokens", &self.tokens)
            .field("key", &self.key)
            .finish_non_exhaustive()
    }
}
