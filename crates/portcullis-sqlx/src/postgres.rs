//! Postgres: the dialect, and connecting.

use std::time::Duration;

use portcullis::StoreError;
use sqlx::postgres::PgPoolOptions;

use crate::PostgresAdapter;

sql_adapter!(sqlx::Postgres, dialect);

impl<A> PostgresAdapter<A> {
    /// Connects to the Postgres database at `url` (`postgres://user:pass@host/db`) with
    /// a pool of up to 16 connections.
    ///
    /// # Errors
    ///
    /// [`StoreError::Backend`] when the URL is invalid or the server cannot be reached.
    pub async fn connect(url: &str) -> Result<Self, StoreError> {
        let pool = PgPoolOptions::new()
            .max_connections(16)
            .acquire_timeout(Duration::from_secs(10))
            .connect(url)
            .await
            .map_err(StoreError::backend)?;
        Ok(Self::new(pool))
    }
}

mod dialect {
    /// Serialises concurrent `migrate` calls from several instances.
    pub(crate) const LOCK_MIGRATIONS: Option<&str> =
        Some("SELECT pg_advisory_xact_lock(7418249352817466)");

    pub(crate) const CREATE_MIGRATIONS: &str = "CREATE TABLE IF NOT EXISTS portcullis_migrations (
        version BIGINT PRIMARY KEY,
        applied_at BIGINT NOT NULL
    )";

    pub(crate) const RECORD_MIGRATION: &str = "INSERT INTO portcullis_migrations (version, applied_at) VALUES ($1, $2) ON CONFLICT DO NOTHING";

    pub(crate) const MIGRATIONS: &[(i64, &[&str])] = &[
        (
            1,
            &[
                "CREATE TABLE portcullis_users (
                id BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
                attributes JSONB NOT NULL,
                created_at BIGINT NOT NULL
            )",
                "CREATE TABLE portcullis_keys (
                provider_id TEXT NOT NULL,
                provider_user_id TEXT NOT NULL,
                user_id BIGINT NOT NULL REFERENCES portcullis_users (id) ON DELETE CASCADE,
                verified_email TEXT,
                created_at BIGINT NOT NULL,
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
                sealed BYTEA NOT NULL,
                updated_at BIGINT NOT NULL,
                PRIMARY KEY (provider_id, provider_user_id),
                FOREIGN KEY (provider_id, provider_user_id)
                    REFERENCES portcullis_keys (provider_id, provider_user_id) ON DELETE CASCADE
            )",
            ],
        ),
    ];

    pub(crate) const USER_BY_KEY: &str = "SELECT u.id, u.attributes::text, u.created_at
        FROM portcullis_keys k JOIN portcullis_users u ON u.id = k.user_id
        WHERE k.provider_id = $1 AND k.provider_user_id = $2";

    pub(crate) const USER_BY_ID: &str =
        "SELECT id, attributes::text, created_at FROM portcullis_users WHERE id = $1";

    pub(crate) const KEYS_OF_USER: &str = "SELECT provider_id, provider_user_id
        FROM portcullis_keys WHERE user_id = $1 ORDER BY provider_id, provider_user_id";

    pub(crate) const INSERT_USER: &str =
        "INSERT INTO portcullis_users (attributes, created_at) VALUES ($1::jsonb, $2) RETURNING id";

    pub(crate) const INSERT_KEY: &str = "INSERT INTO portcullis_keys
        (provider_id, provider_user_id, user_id, verified_email, created_at)
        VALUES ($1, $2, $3, $4, $5)";

    /// Under READ COMMITTED two removals could each count two keys; locking the user
    /// row first makes them take turns.
    pub(crate) const LOCK_USER: Option<&str> =
        Some("SELECT id FROM portcullis_users WHERE id = $1 FOR UPDATE");

    pub(crate) const DELETE_KEY_UNLESS_LAST: &str = "DELETE FROM portcullis_keys
        WHERE provider_id = $1 AND provider_user_id = $2 AND user_id = $3
        AND (SELECT COUNT(*) FROM portcullis_keys WHERE user_id = $3) > 1";

    pub(crate) const KEY_OWNER: &str =
        "SELECT user_id FROM portcullis_keys WHERE provider_id = $1 AND provider_user_id = $2";

    pub(crate) const USERS_BY_VERIFIED_EMAIL: &str =
        "SELECT DISTINCT u.id, u.attributes::text, u.created_at
        FROM portcullis_keys k JOIN portcullis_users u ON u.id = k.user_id
        WHERE k.verified_email = $1 LIMIT 2";

    pub(crate) const UPSERT_TOKENS: &str = "INSERT INTO portcullis_tokens
        (provider_id, provider_user_id, sealed, updated_at) VALUES ($1, $2, $3, $4)
        ON CONFLICT (provider_id, provider_user_id)
        DO UPDATE SET sealed = excluded.sealed, updated_at = excluded.updated_at";

    pub(crate) const TOKENS_OF_KEY: &str =
        "SELECT sealed FROM portcullis_tokens WHERE provider_id = $1 AND provider_user_id = $2";

    pub(crate) const DELETE_TOKENS: &str =
        "DELETE FROM portcullis_tokens WHERE provider_id = $1 AND provider_user_id = $2";
}
