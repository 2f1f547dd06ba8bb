//! The Postgres store against a real, throwaway Postgres server.
//!
//! Skipped (with a message) when Postgres is not installed, unless
//! `PORTCULLIS_REQUIRE_POSTGRES=1` — as in CI — makes that a failure.

#![cfg(feature = "postgres")]

use std::sync::atomic::{AtomicUsize, Ordering};

use portcullis::{Key, Profile, UserAdapter};
use portcullis_sqlx::PostgresAdapter;
use portcullis_testkit::postgres::TempPostgres;
use portcullis_testkit::store::behaves_like_a_store;
use sqlx::Row;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_behaves_like_a_store() {
    let Some(pg) = TempPostgres::start().expect("start Postgres") else {
        eprintln!("SKIPPED postgres_behaves_like_a_store: Postgres is not installed");
        return;
    };
    let databases = AtomicUsize::new(0);
    let fresh = || async {
        let name = format!("suite_{}", databases.fetch_add(1, Ordering::Relaxed));
        let store = PostgresAdapter::<String>::connect(&pg.create_database(&name).unwrap())
            .await
            .unwrap();
        store.migrate().await.unwrap();
        store
    };
    behaves_like_a_store(fresh).await;

    // Several instances migrating one database at once: one applies, the rest see it.
    let url = pg.create_database("concurrent_migrate").unwrap();
    let stores: Vec<PostgresAdapter<String>> = {
        let mut v = Vec::new();
        for _ in 0..4 {
            v.push(PostgresAdapter::connect(&url).await.unwrap());
        }
        v
    };
    let tasks: Vec<_> = stores
        .iter()
        .cloned()
        .map(|s| tokio::spawn(async move { s.migrate().await }))
        .collect();
    for task in tasks {
        task.await.unwrap().unwrap();
    }
    let versions: Vec<i64> = sqlx::query("SELECT version FROM portcullis_migrations")
        .fetch_all(stores[0].pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);

    // Attributes are JSONB that Postgres can query.
    let store = &stores[0];
    let user = store
        .create_user(&Key::new("github", "1"), &Profile::new("1"), "ada".into())
        .await
        .unwrap();
    let json: String =
        sqlx::query("SELECT jsonb_typeof(attributes) FROM portcullis_users WHERE id = $1")
            .bind(user.id)
            .fetch_one(store.pool())
            .await
            .unwrap()
            .get(0);
    assert_eq!(json, "string");
}
