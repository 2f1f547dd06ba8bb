//! [`MemoryAdapter`]: a [`UserAdapter`] in memory, for tests and quick starts.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, MutexGuard};

use crate::adapter::{Key, UserAdapter};
use crate::error::StoreError;
use crate::profile::Profile;

/// A user in a [`MemoryAdapter`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemoryUser<A> {
    /// The user's id: 1, 2, 3, … in creation order.
    pub id: u64,
    /// What the user was created with.
    pub attributes: A,
}

/// A [`UserAdapter`] that keeps users in memory. Clones share the same users.
///
/// Everything is lost when the process exits: use it in tests and examples, and
/// `portcullis-sqlx` in apps.
///
/// ```
/// use portcullis::{Key, MemoryAdapter, UserAdapter};
///
/// # tokio_test(async {
/// let store = MemoryAdapter::<String>::new();
/// let key = Key::new("github", "1");
/// let profile = portcullis::Profile::new("1");
/// let user = store.create_user(&key, &profile, "Ada".to_owned()).await?;
/// assert_eq!(store.user_by_key(&key).await?, Some(user));
/// # Ok::<(), portcullis::StoreError>(())
/// # });
/// # fn tokio_test<F: std::future::Future>(f: F) -> F::Output {
/// #     tokio::runtime::Builder::new_current_thread().build().unwrap().block_on(f)
/// # }
/// ```
#[derive(Debug)]
pub struct MemoryAdapter<A> {
    inner: Arc<Mutex<Inner<A>>>,
}

#[derive(Debug)]
struct Inner<A> {
    next_id: u64,
    users: HashMap<u64, MemoryUser<A>>,
    keys: HashMap<Key, StoredKey>,
}

#[derive(Debug)]
struct StoredKey {
    user: u64,
    /// The identity's provider-verified email when it was stored, lowercased.
    verified_email: Option<String>,
}

fn verified_email(profile: &Profile) -> Option<String> {
    profile.verified_email().map(str::to_lowercase)
}

impl<A> MemoryAdapter<A> {
    /// An empty store.
    pub fn new() -> Self {
        MemoryAdapter {
            inner: Arc::new(Mutex::new(Inner {
                next_id: 1,
                users: HashMap::new(),
                keys: HashMap::new(),
            })),
        }
    }

    fn lock(&self) -> MutexGuard<'_, Inner<A>> {
        // A panic while holding the lock cannot leave the maps half-updated: every
        // mutation below is a single insert after all checks.
        self.inner
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// How many users exist.
    pub fn user_count(&self) -> usize {
        self.lock().users.len()
    }
}

impl<A> Clone for MemoryAdapter<A> {
    fn clone(&self) -> Self {
        MemoryAdapter {
            inner: Arc::clone(&self.inner),
        }
    }
}

impl<A> Default for MemoryAdapter<A> {
    fn default() -> Self {
        Self::new()
    }
}

impl<A> UserAdapter for MemoryAdapter<A>
where
    A: std::fmt::Debug + Clone + Send + Sync + 'static,
{
    type User = MemoryUser<A>;
    type UserId = u64;
    type Attributes = A;

    fn user_id(user: &MemoryUser<A>) -> u64 {
        user.id
    }

    async fn user_by_key(&self, key: &Key) -> Result<Option<MemoryUser<A>>, StoreError> {
        let inner = self.lock();
        Ok(inner
            .keys
            .get(key)
            .and_then(|stored| inner.users.get(&stored.user))
            .cloned())
    }

    async fn user_by_id(&self, user_id: &u64) -> Result<Option<MemoryUser<A>>, StoreError> {
        Ok(self.lock().users.get(user_id).cloned())
    }

    async fn keys(&self, user_id: &u64) -> Result<Vec<Key>, StoreError> {
        let mut keys: Vec<Key> = self
            .lock()
            .keys
            .iter()
            .filter(|(_, stored)| stored.user == *user_id)
            .map(|(key, _)| key.clone())
            .collect();
        keys.sort();
        Ok(keys)
    }

    async fn remove_key(&self, user_id: &u64, key: &Key) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if inner
            .keys
            .get(key)
            .is_none_or(|stored| stored.user != *user_id)
        {
            return Err(StoreError::KeyNotFound(key.clone()));
        }
        if inner
            .keys
            .values()
            .filter(|stored| stored.user == *user_id)
            .count()
            <= 1
        {
            return Err(StoreError::LastKey(key.clone()));
        }
        inner.keys.remove(key);
        Ok(())
    }

    async fn create_user(
        &self,
        key: &Key,
        profile: &Profile,
        attributes: A,
    ) -> Result<MemoryUser<A>, StoreError> {
        let mut inner = self.lock();
        if inner.keys.contains_key(key) {
            return Err(StoreError::KeyExists(key.clone()));
        }
        let id = inner.next_id;
        inner.next_id += 1;
        let user = MemoryUser { id, attributes };
        inner.users.insert(id, user.clone());
        let stored = StoredKey {
            user: id,
            verified_email: verified_email(profile),
        };
        inner.keys.insert(key.clone(), stored);
        Ok(user)
    }

    async fn add_key(&self, user_id: &u64, key: &Key, profile: &Profile) -> Result<(), StoreError> {
        let mut inner = self.lock();
        if !inner.users.contains_key(user_id) {
            return Err(StoreError::UserNotFound);
        }
        if inner.keys.contains_key(key) {
            return Err(StoreError::KeyExists(key.clone()));
        }
        let stored = StoredKey {
            user: *user_id,
            verified_email: verified_email(profile),
        };
        inner.keys.insert(key.clone(), stored);
        Ok(())
    }

    async fn user_by_verified_email(
        &self,
        email: &str,
    ) -> Result<Option<MemoryUser<A>>, StoreError> {
        let email = email.to_lowercase();
        let inner = self.lock();
        let mut owners = inner
            .keys
            .values()
            .filter(|stored| stored.verified_email.as_deref() == Some(email.as_str()))
            .map(|stored| stored.user);
        let Some(first) = owners.next() else {
            return Ok(None);
        };
        // Two users claim the address: linking either would be a guess.
        if owners.any(|other| other != first) {
            return Ok(None);
        }
        Ok(inner.users.get(&first).cloned())
    }
}
