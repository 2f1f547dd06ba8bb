//! Provider tokens kept by the store: sealed with the app's `TokenKey`, readable only
//! with it and only for their identity, replaced on refresh, gone with the identity —
//! on SQLite always, and on Postgres when it is installed.

use portcullis::{Key, Profile, StoreError, Tokens, UserAdapter};
use portcullis_sqlx::TokenKey;
use portcullis_testkit::postgres::TempPostgres;

/// Tokens as a sign-in leaves them: an access and a refresh token.
fn tokens(access_token: &str, refresh_token: &str) -> Tokens {
    serde_json::from_value(serde_json::json!({
        "access_token": access_token,
        "token_type": "Bearer",
        "received_at": 1_700_000_000,
        "expires_in": 3600,
        "refresh_token": refresh_token,
    }))
    .unwrap()
}

/// The behaviour, for any store of the two dialects (their methods come from one macro
/// but are inherent, so a macro runs the same checks on each).
macro_rules! stored_tokens_behave {
    ($store:expr) => {{
        let store = $store;
        let (token_key, _) = TokenKey::generate();
        let ada = Key::new("github", "1");
        let ada_again = Key::new("google", "a");
        let user = store
            .create_user(&ada, &Profile::new("1"), "ada".to_owned())
            .await
            .unwrap();
        store
            .add_key(&user.id, &ada_again, &Profile::new("a"))
            .await
            .unwrap();
        assert!(store.tokens(&ada, &token_key).await.unwrap().is_none());

        store
            .save_tokens(&ada, &tokens("gho_first", "ghr_first"), &token_key)
            .await
            .unwrap();
        let stored = store.tokens(&ada, &token_key).await.unwrap().unwrap();
        assert_eq!(stored.access_token().secret(), "gho_first");
        assert_eq!(stored.refresh_token().unwrap().secret(), "ghr_first");
        assert_eq!(stored.expires_in(), Some(std::time::Duration::from_secs(3600)));

        // A refresh replaces them: the rotated refresh token is the one kept.
        store
            .save_tokens(&ada, &tokens("gho_second", "ghr_second"), &token_key)
            .await
            .unwrap();
        let stored = store.tokens(&ada, &token_key).await.unwrap().unwrap();
        assert_eq!(stored.refresh_token().unwrap().secret(), "ghr_second");

        // The database holds no token in the clear.
        let sealed: Vec<u8> = sqlx::query_scalar("SELECT sealed FROM portcullis_tokens")
            .fetch_one(store.pool())
            .await
            .unwrap();
        for secret in ["gho_second", "ghr_second"] {
            assert!(!sealed.windows(secret.len()).any(|w| w == secret.as_bytes()));
        }

        // Another key opens nothing; an error, not a guess.
        let (other_key, _) = TokenKey::generate();
        let err = store.tokens(&ada, &other_key).await.unwrap_err();
        assert!(matches!(err, StoreError::Backend(_)), "{err:?}");
        assert!(!err.to_string().contains("gho_"), "{err}");

        // A sealed row moved onto another identity does not open there.
        sqlx::query(
            "UPDATE portcullis_tokens SET provider_id = 'google', provider_user_id = 'a'",
        )
        .execute(store.pool())
        .await
        .unwrap();
        assert!(store.tokens(&ada_again, &token_key).await.is_err());
        assert!(store.delete_tokens(&ada_again).await.unwrap());
        assert!(!store.delete_tokens(&ada_again).await.unwrap());

        // Only an identity a user has can hold tokens.
        let stranger = Key::new("github", "999");
        let err = store
            .save_tokens(&stranger, &tokens("t", "r"), &token_key)
            .await
            .unwrap_err();
        assert!(matches!(&err, StoreError::KeyNotFound(k) if *k == stranger), "{err:?}");

        // Unlinking an identity removes its tokens.
        store
            .save_tokens(&ada, &tokens("gho_third", "ghr_third"), &token_key)
            .await
            .unwrap();
        store.remove_key(&user.id, &ada).await.unwrap();
        assert!(store.tokens(&ada, &token_key).await.unwrap().is_none());
    }};
}

#[tokio::test]
async fn sqlite_keeps_sealed_tokens() {
    let store = portcullis_sqlx::SqliteAdapter::<String>::connect("sqlite::memory:")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    stored_tokens_behave!(store);
}

#[cfg(feature = "postgres")]
#[tokio::test]
async fn postgres_keeps_sealed_tokens() {
    let Some(pg) = TempPostgres::start().expect("start Postgres") else {
        eprintln!("SKIPPED postgres_keeps_sealed_tokens: Postgres is not installed");
        return;
    };
    let url = pg.create_database("tokens").unwrap();
    let store = portcullis_sqlx::PostgresAdapter::<String>::connect(&url)
        .await
        .unwrap();
    store.migrate().await.unwrap();
    stored_tokens_behave!(store);
}

#[tokio::test]
async fn a_store_of_the_first_schema_gains_the_token_table() {
    let store = portcullis_sqlx::SqliteAdapter::<String>::connect("sqlite::memory:")
        .await
        .unwrap();
    store.migrate().await.unwrap();
    let ada = Key::new("github", "1");
    store
        .create_user(&ada, &Profile::new("1"), "ada".to_owned())
        .await
        .unwrap();
    // Back to schema 1, as a database made before tokens were kept.
    for statement in [
        "DROP TABLE portcullis_tokens",
        "DELETE FROM portcullis_migrations WHERE version = 2",
    ] {
        sqlx::query(statement).execute(store.pool()).await.unwrap();
    }
    store.migrate().await.unwrap();
    let (token_key, _) = TokenKey::generate();
    store
        .save_tokens(&ada, &tokens("gho_t", "ghr_t"), &token_key)
        .await
        .unwrap();
    assert!(store.tokens(&ada, &token_key).await.unwrap().is_some());
    assert!(
        store.user_by_key(&ada).await.unwrap().is_some(),
        "users are kept"
    );
}
