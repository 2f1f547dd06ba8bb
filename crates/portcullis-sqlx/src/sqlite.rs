//! SQLite: the dialect, and connecting with settings that suit a user store.

use std::str::FromStr;
use std::time::Duration;

use portcullis::StoreError;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};

use crate::SqliteAdapter;

sql_adapter!(sqlx::Sqlite, dialect);

impl<A> SqliteAdapter<A> {
    /// Opens (creating if missing) the SQLite database at `url`, e.g.
    /// `sqlite://app.db`, in WAL mode with foreign keys on and a 10-second busy
    /// timeout, so concurrent sign-ins wait for each other instead of failing.
    ///
    /// An in-memory URL (`sqlite::memory:`) gets a single connection, kept open: each
    /// SQLite connection would otherwise have its own empty database.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the URL is invalid or the file cannot be opened.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let options = SqliteConnectOptions::from_str(url)
            .map_err(StoreError::backend)?
            .create_if_missing(true)
            .foreign_keys(true)
            .busy_timeout(Duration::from_secs(10));
        let in_memory = url.contains(":memory:") || url.contains("mode=memory");
        let pool = if in_memory {
            SqlitePoolOptions::new()
                .max_connections(1)
                .min_connections(1)
                .idle_timeout(None)
                .max_lifetime(None)
                .connect_with(options)
                .await
        } else {
            SqlitePoolOptions::new()
                .max_connections(8)
                .connect_with(
                    options
                        .journal_mode(SqliteJournalMode::Wal)
                        .synchronous(SqliteSynchronous::Normal),
                )
                .await
        };
        Ok(Self::new(pool.map_err(StoreError::backend)?))
    }
}

mod dialect {
    pub(crate) const LOCK_MIGRATIONS: Option<&str> = None;

    pub(crate) const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS portcullis_migrations (
        version INTEGER PRIMARY KEY,
        applied_at INTEGER NOT NULL
    )";

    pub(crate) const RECORD_MIGRATION: &str = "INSERT INTO portcullis_migrations (version, applied_at) VALUES (?1, ?2) ON CONFLICT DO NOTHING";

    pub(crate) const MIGRATIONS: &[(i64, &[&str])] = &[
        (
            1,
            &[
                "CREATE TABLE portcullis_users (
                id INTEGER PRIMARY KEY AUTOINCREMENT,
                attributes TEXT NOT NULL,
                created_at INTEGER NOT NULL
            )",
                "CREATE TABLE portcullis_keys (
                provider_id TEXT NOT NULL,
                provider_user_id TEXT NOT NULL,
                user_id INTEGER NOT NULL REFERENCES portcullis_users (id) ON DELETE CASCADE,
                verified_email TEXT,
                created_at INTEGER NOT NULL,
                PRIMARY KEY (provider_id, provider_user_id)
            )",
                "CREATE INDEX portcullis_keys_user_id ON portcullis_keys (user_id)",
                "CREATE INDEX portcullis_keys_verified_email ON portcullis_keys (verified_email)",
            ],
        ),
        (
            2,
            &[
                // Sealed (`TokenKey`), so the database alone gives no provider access; gone
                // with the identity they belong to.
                "CREATE TABLE portcullis_tokens (
                provider_id TEXT NOT NULL,
                provider_user_id TEXT NOT NULL,
                sealed BLOB NOT NULL,
                updated_at INTEGER NOT NULL,
                PRIMARY KEY (provider_id, provider_user_id),
                FOREIGN KEY (provider_id, provider_user_id)
                    REFERENCES portcullis_keys (provider_id, provider_user_id) ON DELETE CASCADE
            )",
            ],
        ),
    ];

    pub(crate) const USER_BY_KEY: &str = "SELECT u.id, u.attributes, u.created_at
        FROM portcullis_keys k JOIN portcullis_users u ON u.id = k.user_id
        WHERE k.provider_id = ?1 AND k.provider_user_id = ?2";

    pub(crate) const USER_BY_ID: &str =
        "SELECT id, attributes, created_at FROM portcullis_users WHERE id = ?1";

    pub(crate) const KEYS_OF_USER: &str = "SELECT provider_id, provider_user_id
        FROM portcullis_keys WHERE user_id = ?1 ORDER BY provider_id, provider_user_id";

    pub(crate) const INSERT_USER: &str =
        "INSERT INTO portcullis_users (attributes, created_at) VALUES (?1, ?2) RETURNING id";

    pub(crate) const INSERT_KEY: &str = "INSERT INTO portcullis_keys
        (provider_id, provider_user_id, user_id, verified_email, created_at)
        VALUES (?1, ?2, ?3, ?4, ?5)";

    /// SQLite runs one writer at a time, so the count and the delete, in one
    /// statement, cannot interleave with another removal.
    pub(crate) const LOCK_USER: Option<&str> = None;

    pub(crate) const DELETE_KEY_UNLESS_LAST: &str = "DELETE FROM portcullis_keys
        WHERE provider_id = ?1 AND provider_user_id = ?2 AND user_id = ?3
        AND (SELECT COUNT(*) FROM portcullis_keys WHERE user_id = ?3) > 1";

    pub(crate) const KEY_OWNER: &str =
        "SELECT user_id FROM portcullis_keys WHERE provider_id = ?1 AND provider_user_id = ?2";

    pub(crate) const USERS_BY_VERIFIED_EMAIL: &str =
        "SELECT DISTINCT u.id, u.attributes, u.created_at
        FROM portcullis_keys k JOIN portcullis_users u ON u.id = k.user_id
        WHERE k.verified_email = ?1 LIMIT 2";

    pub(crate) const UPSERT_TOKENS: &str = "INSERT INTO portcullis_tokens
        (provider_id, provider_user_id, sealed, updated_at) VALUES (?1, ?2, ?3, ?4)
        ON CONFLICT (provider_id, provider_user_id)
        DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at";

    pub(crate) const TOKENS_OF_KEY: &str =
        "SELECT sealed FROM portcullis_tokens WHERE provider_id = ?1 AND provider_user_id = ?2";

    pub(crate) const DELETE_TOKENS: &str =
        "DELETE FROM portcullis_tokens WHERE provider_id = ?1 AND provider_user_id = ?2";
}
