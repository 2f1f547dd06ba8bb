//! The app's user store: the [`UserAdapter`] trait and the [`Key`] it is keyed by.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::error::StoreError;
use crate::profile::Profile;

/// A provider identity: provider id + provider user id, e.g. `github` + `1234`.
///
/// The same key always names the same user, so it is what the store looks users up by.
/// Its [`Display`](fmt::Display) form, `github:1234`, is Lucia's key id, so keys stored
/// by a Lucia app carry over.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Key {
    provider_id: String,
    provider_user_id: String,
}

impl Key {
    /// A key from its two halves.
    pub fn new(provider_id: impl Into<String>, provider_user_id: impl Into<String>) -> Self {
        Key {
            provider_id: provider_id.into(),
            provider_user_id: provider_user_id.into(),
        }
    }

    /// The provider id (`github`).
    pub fn provider_id(&self) -> &str {
        &self.provider_id
    }

    /// The user's id at the provider (`1234`).
    pub fn provider_user_id(&self) -> &str {
        &self.provider_user_id
    }
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.provider_id, self.provider_user_id)
    }
}

/// The app's user store, keyed by provider identity ([`Key`]).
///
/// Portcullis calls it to find the user behind a sign-in
/// ([`ProviderSession::existing_user`](crate::ProviderSession)), to create a user on
/// first sign-in, and to link another identity to an existing user. The app owns the
/// user type and the attributes it creates users with.
///
/// [`MemoryAdapter`](crate::MemoryAdapter) is an in-memory implementation for tests and
/// quick starts; `portcullis-sqlx` stores users in SQLite or Postgres.
///
/// Implementations must be cheap to clone (share a pool or an `Arc`): every
/// [`ProviderSession`](crate::ProviderSession) holds a clone. Write the methods that
/// return futures as `async fn`s; their futures must be `Send`:
///
/// ```
/// use portcullis::{Key, Profile, StoreError, UserAdapter};
///
/// /// A store that knows no one and refuses new users.
/// #[derive(Clone)]
/// struct Closed;
///
/// impl UserAdapter for Closed {
///     type User = String;
///     type UserId = String;
///     type Attributes = ();
///
///     fn user_id(user: &String) -> String {
///         user.clone()
///     }
///     async fn user_by_key(&self, _key: &Key) -> Result<Option<String>, StoreError> {
///         Ok(None)
///     }
///     async fn user_by_id(&self, _id: &String) -> Result<Option<String>, StoreError> {
///         Ok(None)
///     }
///     async fn keys(&self, _id: &String) -> Result<Vec<Key>, StoreError> {
///         Ok(Vec::new())
///     }
///     async fn create_user(&self, _: &Key, _: &Profile, _: ()) -> Result<String, StoreError> {
///         Err(StoreError::backend("closed for sign-ups"))
///     }
///     async fn add_key(&self, _: &String, _: &Key, _: &Profile) -> Result<(), StoreError> {
///         Err(StoreError::UserNotFound)
///     }
///     async fn remove_key(&self, _: &String, key: &Key) -> Result<(), StoreError> {
///         Err(StoreError::KeyNotFound(key.clone()))
///     }
/// }
/// ```
pub trait UserAdapter: Clone + Send + Sync + 'static {
    /// The app's user.
    type User: fmt::Debug + Clone + Send + Sync + 'static;
    /// The user's id in the app.
    type UserId: fmt::Debug + Clone + Send + Sync + 'static;
    /// What the app creates a user from (name, email, role, …).
    type Attributes: Send + Sync + 'static;

    /// The id of `user`.
    fn user_id(user: &Self::User) -> Self::UserId;

    /// The user `key` belongs to, if any.
    fn user_by_key(
        &self,
        key: &Key,
    ) -> impl Future<Output = Result<Option<Self::User>, StoreError>> + Send;

    /// The user with id `user_id`, if any (e.g. to load the user of an app session).
    fn user_by_id(
        &self,
        user_id: &Self::UserId,
    ) -> impl Future<Output = Result<Option<Self::User>, StoreError>> + Send;

    /// The keys linked to a user, sorted. Empty for an unknown user.
    fn keys(
        &self,
        user_id: &Self::UserId,
    ) -> impl Future<Output = Result<Vec<Key>, StoreError>> + Send;

    /// Creates a user and its first key, atomically: either both are stored or neither.
    ///
    /// `profile` is the identity's normalised profile at sign-in: an adapter may keep
    /// what it needs from it — at least the [verified email](Profile::verified_email),
    /// if it implements [`user_by_verified_email`](Self::user_by_verified_email).
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyExists`] when `key` already belongs to a user — including when a
    /// concurrent call created it first. Nothing is stored then.
    fn create_user(
        &self,
        key: &Key,
        profile: &Profile,
        attributes: Self::Attributes,
    ) -> impl Future<Output = Result<Self::User, StoreError>> + Send;

    /// Links `key` to an existing user (Lucia's `createPersistentKey`). `profile` is as
    /// for [`create_user`](Self::create_user).
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyExists`] when `key` already belongs to a user (this one or
    /// another); [`StoreError::UserNotFound`] when the user does not exist.
    fn add_key(
        &self,
        user_id: &Self::UserId,
        key: &Key,
        profile: &Profile,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// Unlinks `key` from a user, unless it is the user's last key — a user must keep a
    /// way to sign in. Atomic: two concurrent removals cannot both succeed on a user's
    /// last two keys.
    ///
    /// # Errors
    ///
    /// [`StoreError::KeyNotFound`] when `key` is not linked to this user;
    /// [`StoreError::LastKey`] when it is the user's only key.
    fn remove_key(
        &self,
        user_id: &Self::UserId,
        key: &Key,
    ) -> impl Future<Output = Result<(), StoreError>> + Send;

    /// The user one of whose identities had `email` as its provider-verified address
    /// when it was stored. Used by
    /// [`ProviderSession::link_by_verified_email`](crate::ProviderSession::link_by_verified_email).
    ///
    /// The default finds no one: an adapter that does not record verified emails never
    /// links by email.
    fn user_by_verified_email(
        &self,
        email: &str,
    ) -> impl Future<Output = Result<Option<Self::User>, StoreError>> + Send {
        let _ = email;
        std::future::ready(Ok(None))
    }
}
