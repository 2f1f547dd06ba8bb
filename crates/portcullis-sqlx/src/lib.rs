//! A [`UserAdapter`](portcullis::UserAdapter) on SQLx: SQLite as the embedded default,
//! Postgres for apps that run several instances.
//!
//! ```no_run
//! use portcullis_sqlx::SqliteAdapter;
//! use serde::{Deserialize, Serialize};
//!
//! #[derive(Debug, Clone, Serialize, Deserialize)]
//! struct UserAttributes { name: String }
//!
//! # async fn f() -> Result<(), portcullis::StoreError> {
//! let store = SqliteAdapter::<UserAttributes>::connect("sqlite://app.db").await?;
//! store.migrate().await?; // creates or updates the tables; a no-op when current
//! # Ok(()) }
//! ```
//!
//! Moving to Postgres is three lines: enable the `postgres` feature, and
//!
//! ```no_run
//! # #[cfg(feature = "postgres")]
//! # async fn f() -> Result<(), portcullis::StoreError> {
//! # type UserAttributes = String;
//! use portcullis_sqlx::PostgresAdapter;
//! let store = PostgresAdapter::<UserAttributes>::connect("postgres://app@db/app").await?;
//! store.migrate().await?;
//! # Ok(()) }
//! ```
//!
//! # Schema
//!
//! * `portcullis_users`: `id` (64-bit integer), `attributes` (the app's attributes as
//!   JSON: `TEXT` on SQLite, `JSONB` on Postgres), `created_at` (Unix seconds).
//! * `portcullis_keys`: `provider_id`, `provider_user_id` (together the primary key, so
//!   one identity is one user), `user_id` (foreign key to users, `ON DELETE CASCADE`),
//!   `verified_email` (the identity's provider-verified email, lowercased, or `NULL`),
//!   `created_at`.
//! * `portcullis_tokens`: `provider_id`, `provider_user_id` (the primary key, and a
//!   foreign key to `portcullis_keys`, `ON DELETE CASCADE`), `sealed` (the identity's
//!   provider tokens, encrypted: `BLOB` / `BYTEA`), `updated_at`.
//! * `portcullis_migrations`: which schema versions are applied.
//!
//! # Provider tokens
//!
//! An app that calls the provider's API for its users keeps their tokens here:
//! [`save_tokens`](SqlxAdapter::save_tokens) after the sign-in, then, for each call,
//! [`tokens`](SqlxAdapter::tokens) and
//! [`OAuthClient::fresh_access_token`](portcullis::OAuthClient::fresh_access_token), and
//! `save_tokens` again when it refreshed them. They are sealed with AES-256-GCM under
//! the app's [`TokenKey`], which stays out of the database, and bound to their identity:
//! the database alone gives no access to anyone's provider account.
//!
//! ```no_run
//! # async fn f(
//! #     client: &portcullis::OAuthClient<portcullis_testkit::TestProvider, portcullis_sqlx::SqliteAdapter<String>>,
//! #     session: portcullis::ProviderSession<portcullis_testkit::TestUser, portcullis_sqlx::SqliteAdapter<String>>,
//! # ) -> Result<(), Box<dyn std::error::Error>> {
//! use std::time::Duration;
//! use portcullis_sqlx::TokenKey;
//!
//! let token_key = TokenKey::from_bytes([0; 32]); // 32 secret bytes, from the app's secrets
//! let store = client.adapter();
//! // After the sign-in:
//! store.save_tokens(&session.key(), &session.tokens, &token_key).await?;
//!
//! // Later, to call the provider's API as that user:
//! let key = session.key();
//! if let Some(tokens) = store.tokens(&key, &token_key).await? {
//!     let tokens = tokio::sync::Mutex::new(tokens);
//!     let access_token = client.fresh_access_token(&tokens, Duration::from_secs(60)).await?;
//!     store.save_tokens(&key, &*tokens.lock().await, &token_key).await?;
//!     // … call the API with `access_token.secret()`.
//! #   let _ = access_token;
//! }
//! # Ok(()) }
//! ```
//!
//! Queries are built at run time (no `query!` macros), so building needs no database.
//!
//! # Guarantees
//!
//! * `create_user` stores the user and its key in one transaction. When two first
//!   sign-ins of one identity race, the key's primary key lets exactly one commit; the
//!   other gets [`StoreError::KeyExists`], which
//!   [`ProviderSession::create_user`](portcullis::ProviderSession::create_user) turns
//!   into the user that won.
//! * `remove_key` never removes a user's last key, even when two removals race.
//! * `migrate` runs each schema version once, in a transaction; concurrent `migrate`
//!   calls from several instances are safe.

#![forbid(unsafe_code)]

use std::fmt;
use std::marker::PhantomData;
use std::time::{SystemTime, UNIX_EPOCH};

use portcullis::StoreError;
use serde::Serialize;
use serde::de::DeserializeOwned;

#[macro_use]
mod backend;
#[cfg(feature = "postgres")]
mod postgres;
#[cfg(feature = "sqlite")]
mod sqlite;
mod tokens;

pub use tokens::TokenKey;

/// A user in a SQL store.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SqlUser<A> {
    /// The user's id.
    pub id: i64,
    /// What the user was created with.
    pub attributes: A,
    /// When the user was created, in Unix seconds.
    pub created_at: i64,
}

/// A [`UserAdapter`](portcullis::UserAdapter) on a SQLx pool of database `DB`, for users
/// with attributes `A` (any serde type; stored as JSON).
///
/// Use the aliases [`SqliteAdapter`] and [`PostgresAdapter`]. Cloning shares the pool.
pub struct SqlxAdapter<DB: sqlx::Database, A> {
    pool: sqlx::Pool<DB>,
    attributes: PhantomData<fn() -> A>,
}

/// The SQLite store (feature `sqlite`, on by default).
#[cfg(feature = "sqlite")]
pub type SqliteAdapter<A> = SqlxAdapter<sqlx::Sqlite, A>;

/// The Postgres store (feature `postgres`).
#[cfg(feature = "postgres")]
pub type PostgresAdapter<A> = SqlxAdapter<sqlx::Postgres, A>;

impl<DB: sqlx::Database, A> SqlxAdapter<DB, A> {
    /// A store on a pool the app built. Call `migrate` before use.
    pub fn new(pool: sqlx::Pool<DB>) -> Self {
        SqlxAdapter {
            pool,
            attributes: PhantomData,
        }
    }

    /// The pool, for the app's own queries.
    pub fn pool(&self) -> &sqlx::Pool<DB> {
        &self.pool
    }
}

impl<DB: sqlx::Database, A> Clone for SqlxAdapter<DB, A> {
    fn clone(&self) -> Self {
        SqlxAdapter {
            pool: self.pool.clone(),
            attributes: PhantomData,
        }
    }
}

impl<DB: sqlx::Database, A> fmt::Debug for SqlxAdapter<DB, A> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The pool's options hold the connection URL, password included.
        f.debug_struct("SqlxAdapter")
            .field("database", &DB::NAME)
            .field("connections", &self.pool.size())
            .finish_non_exhaustive()
    }
}

/// Maps a driver error, turning constraint violations into what they mean.
fn store_error(error: sqlx::Error, key: Option<&portcullis::Key>) -> StoreError {
    if let sqlx::Error::Database(db) = &error {
        if db.is_unique_violation()
            && let Some(key) = key
        {
            return StoreError::KeyExists(key.clone());
        }
        if db.is_foreign_key_violation() {
            return StoreError::UserNotFound;
        }
    }
    StoreError::backend(error)
}

fn encode<A: Serialize>(attributes: &A) -> Result<String, StoreError> {
    serde_json::to_string(attributes).map_err(StoreError::backend)
}

fn decode<A: DeserializeOwned>(json: &str) -> Result<A, StoreError> {
    serde_json::from_str(json).map_err(StoreError::backend)
}

fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(i64::MAX))
}
