//! The store, once, for every SQL dialect: `sql_adapter!` implements
//! [`UserAdapter`](portcullis::UserAdapter) and the inherent methods for one SQLx
//! database from that dialect's SQL (the `sqlite` and `postgres` modules).
//!
//! A macro rather than generic code: SQLx's generic executor bounds would bury the
//! logic, and the two expansions differ only in their SQL.

macro_rules! sql_adapter {
    ($db:ty, $sql:ident) => {
        impl<A> $crate::SqlxAdapter<$db, A> {
            /// Creates or updates the tables. Each schema version runs once, in a
            /// transaction; calling it again, or from several instances at once, is safe.
            ///
            /// # Errors
            ///
            /// [`StoreError::Backend`](portcullis::StoreError::Backend) when the database fails.
            pub async fn migrate(&self) -> Result<(), portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, None);
                let mut tx = self.pool.begin().await.map_err(fail)?;
                if let Some(lock) = $sql::LOCK_MIGRATIONS {
                    sqlx::query(lock).execute(&mut *tx).await.map_err(fail)?;
                }
                sqlx::query($sql::CREATE_MIGRATIONS)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
                let applied: Vec<i64> = sqlx::query("SELECT version FROM portcullis_migrations")
                    .fetch_all(&mut *tx)
                    .await
                    .map_err(fail)?
                    .iter()
                    .map(|row| row.try_get::<i64, _>(0))
                    .collect::<Result<_, _>>()
                    .map_err(fail)?;
                for (version, statements) in $sql::MIGRATIONS {
                    if applied.contains(version) {
                        continue;
                    }
                    for statement in *statements {
                        sqlx::query(statement)
                            .execute(&mut *tx)
                            .await
                            .map_err(fail)?;
                    }
                    sqlx::query($sql::RECORD_MIGRATION)
                        .bind(*version)
                        .bind($crate::now())
                        .execute(&mut *tx)
                        .await
                        .map_err(fail)?;
                }
                tx.commit().await.map_err(fail)
            }
        }

        impl<A> $crate::SqlxAdapter<$db, A> {
            /// Stores the provider `tokens` of identity `key`, sealed with `token_key`,
            /// in place of what was stored for it: after a sign-in, and after each
            /// refresh (a rotated refresh token replaces the spent one).
            ///
            /// # Errors
            ///
            /// [`StoreError::KeyNotFound`](portcullis::StoreError::KeyNotFound) when no
            /// user has `key`; [`StoreError::Backend`](portcullis::StoreError::Backend)
            /// when the database fails.
            pub async fn save_tokens(
                &self,
                key: &portcullis::Key,
                tokens: &portcullis::Tokens,
                token_key: &$crate::TokenKey,
            ) -> Result<(), portcullis::StoreError> {
                let sealed = token_key.seal(key, tokens)?;
                sqlx::query($sql::UPSERT_TOKENS)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .bind(sealed)
                    .bind($crate::now())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| match $crate::store_error(e, None) {
                        portcullis::StoreError::UserNotFound => {
                            portcullis::StoreError::KeyNotFound(key.clone())
                        }
                        other => other,
                    })?;
                Ok(())
            }

            /// The provider tokens stored for identity `key`, opened with `token_key`;
            /// `None` when none are stored. They are removed with the identity.
            ///
            /// # Errors
            ///
            /// [`StoreError::Backend`](portcullis::StoreError::Backend) when the
            /// database fails, or when the stored tokens do not open with `token_key`
            /// (another key, or altered).
            pub async fn tokens(
                &self,
                key: &portcullis::Key,
                token_key: &$crate::TokenKey,
            ) -> Result<Option<portcullis::Tokens>, portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, None);
                let Some(row) = sqlx::query($sql::TOKENS_OF_KEY)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(fail)?
                else {
                    return Ok(None);
                };
                let sealed: Vec<u8> = row.try_get(0).map_err(fail)?;
                token_key.open(key, &sealed).map(Some)
            }

            /// Removes the provider tokens stored for identity `key` (on sign-out, after
            /// revoking them). Returns whether there were any.
            ///
            /// # Errors
            ///
            /// [`StoreError::Backend`](portcullis::StoreError::Backend) when the database fails.
            pub async fn delete_tokens(
                &self,
                key: &portcullis::Key,
            ) -> Result<bool, portcullis::StoreError> {
                let deleted = sqlx::query($sql::DELETE_TOKENS)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::store_error(e, None))?
                    .rows_affected();
                Ok(deleted > 0)
            }
        }

        impl<A> $crate::SqlxAdapter<$db, A>
        where
            A: serde::de::DeserializeOwned,
        {
            fn user_from_row(
                row: &<$db as sqlx::Database>::Row,
            ) -> Result<$crate::SqlUser<A>, portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, None);
                Ok($crate::SqlUser {
                    id: row.try_get(0).map_err(fail)?,
                    attributes: $crate::decode(&row.try_get::<String, _>(1).map_err(fail)?)?,
                    created_at: row.try_get(2).map_err(fail)?,
                })
            }
        }

        impl<A> portcullis::UserAdapter for $crate::SqlxAdapter<$db, A>
        where
            A: serde::Serialize
                + serde::de::DeserializeOwned
                + std::fmt::Debug
                + Clone
                + Send
                + Sync
                + 'static,
        {
            type User = $crate::SqlUser<A>;
            type UserId = i64;
            type Attributes = A;

            fn user_id(user: &$crate::SqlUser<A>) -> i64 {
                user.id
            }

            async fn user_by_key(
                &self,
                key: &portcullis::Key,
            ) -> Result<Option<$crate::SqlUser<A>>, portcullis::StoreError> {
                sqlx::query($sql::USER_BY_KEY)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::store_error(e, None))?
                    .map(|row| Self::user_from_row(&row))
                    .transpose()
            }

            async fn user_by_id(
                &self,
                user_id: &i64,
            ) -> Result<Option<$crate::SqlUser<A>>, portcullis::StoreError> {
                sqlx::query($sql::USER_BY_ID)
                    .bind(*user_id)
                    .fetch_optional(&self.pool)
                    .await
                    .map_err(|e| $crate::store_error(e, None))?
                    .map(|row| Self::user_from_row(&row))
                    .transpose()
            }

            async fn keys(
                &self,
                user_id: &i64,
            ) -> Result<Vec<portcullis::Key>, portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, None);
                sqlx::query($sql::KEYS_OF_USER)
                    .bind(*user_id)
                    .fetch_all(&self.pool)
                    .await
                    .map_err(fail)?
                    .iter()
                    .map(|row| {
                        Ok(portcullis::Key::new(
                            row.try_get::<String, _>(0).map_err(fail)?,
                            row.try_get::<String, _>(1).map_err(fail)?,
                        ))
                    })
                    .collect()
            }

            async fn create_user(
                &self,
                key: &portcullis::Key,
                profile: &portcullis::Profile,
                attributes: A,
            ) -> Result<$crate::SqlUser<A>, portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, Some(key));
                let json = $crate::encode(&attributes)?;
                let created_at = $crate::now();
                let mut tx = self.pool.begin().await.map_err(fail)?;
                let id: i64 = sqlx::query($sql::INSERT_USER)
                    .bind(json)
                    .bind(created_at)
                    .fetch_one(&mut *tx)
                    .await
                    .map_err(fail)?
                    .try_get(0)
                    .map_err(fail)?;
                sqlx::query($sql::INSERT_KEY)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .bind(id)
                    .bind(profile.verified_email().map(str::to_lowercase))
                    .bind(created_at)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?;
                tx.commit().await.map_err(fail)?;
                Ok($crate::SqlUser {
                    id,
                    attributes,
                    created_at,
                })
            }

            async fn add_key(
                &self,
                user_id: &i64,
                key: &portcullis::Key,
                profile: &portcullis::Profile,
            ) -> Result<(), portcullis::StoreError> {
                sqlx::query($sql::INSERT_KEY)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .bind(*user_id)
                    .bind(profile.verified_email().map(str::to_lowercase))
                    .bind($crate::now())
                    .execute(&self.pool)
                    .await
                    .map_err(|e| $crate::store_error(e, Some(key)))?;
                Ok(())
            }

            async fn remove_key(
                &self,
                user_id: &i64,
                key: &portcullis::Key,
            ) -> Result<(), portcullis::StoreError> {
                use sqlx::Row as _;
                let fail = |e| $crate::store_error(e, None);
                let mut tx = self.pool.begin().await.map_err(fail)?;
                if let Some(lock) = $sql::LOCK_USER {
                    sqlx::query(lock)
                        .bind(*user_id)
                        .execute(&mut *tx)
                        .await
                        .map_err(fail)?;
                }
                let deleted = sqlx::query($sql::DELETE_KEY_UNLESS_LAST)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .bind(*user_id)
                    .execute(&mut *tx)
                    .await
                    .map_err(fail)?
                    .rows_affected();
                if deleted == 1 {
                    return tx.commit().await.map_err(fail);
                }
                let owner: Option<i64> = sqlx::query($sql::KEY_OWNER)
                    .bind(key.provider_id())
                    .bind(key.provider_user_id())
                    .fetch_optional(&mut *tx)
                    .await
                    .map_err(fail)?
                    .map(|row| row.try_get(0))
                    .transpose()
                    .map_err(fail)?;
                Err(if owner == Some(*user_id) {
                    portcullis::StoreError::LastKey(key.clone())
                } else {
                    portcullis::StoreError::KeyNotFound(key.clone())
                })
            }

            async fn user_by_verified_email(
                &self,
                email: &str,
            ) -> Result<Option<$crate::SqlUser<A>>, portcullis::StoreError> {
                let rows = sqlx::query($sql::USERS_BY_VERIFIED_EMAIL)
                    .bind(email.to_lowercase())
                    .fetch_all(&self.pool)
                    .await
                    .map_err(|e| $crate::store_error(e, None))?;
                // Two users with the address: linking either would be a guess.
                match rows.as_slice() {
                    [row] => Self::user_from_row(row).map(Some),
                    _ => Ok(None),
                }
            }
        }
    };
}
