//! The store's two hot paths beside the raw SQLx queries they are built on, in the same
//! Criterion group so both are measured in the same run:
//!
//! | group | `portcullis` | `raw_sqlx` |
//! |---|---|---|
//! | `<db>/lookup` | `UserAdapter::user_by_key` of an existing identity | the same `SELECT … JOIN` and JSON decode |
//! | `<db>/create` | `UserAdapter::create_user` of a new identity | the same two `INSERT`s in a transaction |
//!
//! `<db>` is `sqlite` (a file in a temp directory) and `postgres` (a throwaway server from
//! `portcullis_testkit::postgres`, skipped when Postgres is not installed).
//!
//! ```text
//! cargo bench -p portcullis-sqlx --features postgres --bench get_or_create
//! ```

#![forbid(unsafe_code)]

use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};

use criterion::{Criterion, criterion_group, criterion_main};
use portcullis::{Key, Profile, UserAdapter};
use portcullis_sqlx::SqliteAdapter;
use sqlx::Row;

#[derive(Debug, Clone, serde::Serialize, serde::Deserialize)]
struct Attributes {
    name: String,
}

static NEXT: AtomicU64 = AtomicU64::new(0);

fn fresh_key() -> Key {
    Key::new("github", NEXT.fetch_add(1, Ordering::Relaxed).to_string())
}

fn sqlite(c: &mut Criterion) {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let dir = std::env::temp_dir().join(format!("portcullis-bench-sqlite-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temp dir");
    let url = format!("sqlite://{}/bench.db", dir.display());
    let store: SqliteAdapter<Attributes> = runtime.block_on(async {
        let store = SqliteAdapter::connect(&url).await.expect("open SQLite");
        store.migrate().await.expect("migrate");
        store
    });
    let existing = Key::new("github", "existing");
    runtime
        .block_on(store.create_user(
            &existing,
            &Profile::new("existing"),
            Attributes { name: "Ada".into() },
        ))
        .expect("seed a user");

    let mut group = c.benchmark_group("sqlite/lookup");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            runtime.block_on(async { black_box(store.user_by_key(&existing).await.unwrap()) })
        })
    });
    group.bench_function("raw_sqlx", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let row = sqlx::query(
                    "SELECT u.id, u.attributes, u.created_at FROM portcullis_keys k \
                     JOIN portcullis_users u ON u.id = k.user_id \
                     WHERE k.provider_id = ?1 AND k.provider_user_id = ?2",
                )
                .bind(existing.provider_id())
                .bind(existing.provider_user_id())
                .fetch_optional(store.pool())
                .await
                .unwrap()
                .unwrap();
                let attributes: Attributes =
                    serde_json::from_str(&row.get::<String, _>(1)).unwrap();
                black_box((row.get::<i64, _>(0), attributes, row.get::<i64, _>(2)))
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("sqlite/create");
    let profile = Profile::new("p");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    store
                        .create_user(&fresh_key(), &profile, Attributes { name: "Ada".into() })
                        .await
                        .unwrap(),
                )
            })
        })
    });
    group.bench_function("raw_sqlx", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let key = fresh_key();
                let json = serde_json::to_string(&Attributes { name: "Ada".into() }).unwrap();
                let mut tx = store.pool().begin().await.unwrap();
                let id: i64 = sqlx::query(
                    "INSERT INTO portcullis_users (attributes, created_at) VALUES (?1, ?2) RETURNING id",
                )
                .bind(json)
                .bind(0_i64)
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
                sqlx::query(
                    "INSERT INTO portcullis_keys (provider_id, provider_user_id, user_id, verified_email, created_at) \
                     VALUES (?1, ?2, ?3, ?4, ?5)",
                )
                .bind(key.provider_id())
                .bind(key.provider_user_id())
                .bind(id)
                .bind(None::<String>)
                .bind(0_i64)
                .execute(&mut *tx)
                .await
                .unwrap();
                tx.commit().await.unwrap();
                black_box(id)
            })
        })
    });
    group.finish();
    runtime.block_on(store.pool().close());
    let _ = std::fs::remove_dir_all(&dir);
}

#[cfg(feature = "postgres")]
fn postgres(c: &mut Criterion) {
    use portcullis_sqlx::PostgresAdapter;
    use portcullis_testkit::postgres::TempPostgres;

    let Some(pg) = TempPostgres::start().expect("start Postgres") else {
        eprintln!("postgres benchmarks skipped: Postgres is not installed");
        return;
    };
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .expect("a tokio runtime");
    let store: PostgresAdapter<Attributes> = runtime.block_on(async {
        let store = PostgresAdapter::connect(&pg.url()).await.expect("connect");
        store.migrate().await.expect("migrate");
        store
    });
    let existing = Key::new("github", "existing");
    runtime
        .block_on(store.create_user(
            &existing,
            &Profile::new("existing"),
            Attributes { name: "Ada".into() },
        ))
        .expect("seed a user");

    let mut group = c.benchmark_group("postgres/lookup");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            runtime.block_on(async { black_box(store.user_by_key(&existing).await.unwrap()) })
        })
    });
    group.bench_function("raw_sqlx", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let row = sqlx::query(
                    "SELECT u.id, u.attributes::text, u.created_at FROM portcullis_keys k \
                     JOIN portcullis_users u ON u.id = k.user_id \
                     WHERE k.provider_id = $1 AND k.provider_user_id = $2",
                )
                .bind(existing.provider_id())
                .bind(existing.provider_user_id())
                .fetch_optional(store.pool())
                .await
                .unwrap()
                .unwrap();
                let attributes: Attributes =
                    serde_json::from_str(&row.get::<String, _>(1)).unwrap();
                black_box((row.get::<i64, _>(0), attributes, row.get::<i64, _>(2)))
            })
        })
    });
    group.finish();

    let mut group = c.benchmark_group("postgres/create");
    let profile = Profile::new("p");
    group.bench_function("portcullis", |b| {
        b.iter(|| {
            runtime.block_on(async {
                black_box(
                    store
                        .create_user(&fresh_key(), &profile, Attributes { name: "Ada".into() })
                        .await
                        .unwrap(),
                )
            })
        })
    });
    group.bench_function("raw_sqlx", |b| {
        b.iter(|| {
            runtime.block_on(async {
                let key = fresh_key();
                let json = serde_json::to_string(&Attributes { name: "Ada".into() }).unwrap();
                let mut tx = store.pool().begin().await.unwrap();
                let id: i64 = sqlx::query(
                    "INSERT INTO portcullis_users (attributes, created_at) VALUES ($1::jsonb, $2) RETURNING id",
                )
                .bind(json)
                .bind(0_i64)
                .fetch_one(&mut *tx)
                .await
                .unwrap()
                .get(0);
                sqlx::query(
                    "INSERT INTO portcullis_keys (provider_id, provider_user_id, user_id, verified_email, created_at) \
                     VALUES ($1, $2, $3, $4, $5)",
                )
                .bind(key.provider_id())
                .bind(key.provider_user_id())
                .bind(id)
                .bind(None::<String>)
                .bind(0_i64)
                .execute(&mut *tx)
                .await
                .unwrap();
                tx.commit().await.unwrap();
                black_box(id)
            })
        })
    });
    group.finish();
    runtime.block_on(store.pool().close());
}

#[cfg(not(feature = "postgres"))]
fn postgres(_: &mut Criterion) {
    eprintln!("postgres benchmarks skipped: build with --features postgres");
}

criterion_group!(benches, sqlite, postgres);
criterion_main!(benches);
