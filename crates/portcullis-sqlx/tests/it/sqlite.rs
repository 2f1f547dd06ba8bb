//! The SQLite store against real database files.

use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};

use portcullis::{ClientConfig, Key, OAuthClient, OAuthProvider, Profile, Provider, UserAdapter};
use portcullis_sqlx::SqliteAdapter;
use portcullis_testkit::TestProvider;
use portcullis_testkit::store::behaves_like_a_store;
use serde::{Deserialize, Serialize};
use sqlx::Row;

/// A fresh database file per call, under a directory removed at the end of the test.
struct Files(PathBuf, AtomicUsize);

impl Files {
    fn new(name: &str) -> Files {
        let dir =
            std::env::temp_dir().join(format!("portcullis-sqlite-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Files(dir, AtomicUsize::new(0))
    }

    fn url(&self) -> String {
        let n = self.1.fetch_add(1, Ordering::Relaxed);
        format!("sqlite://{}/db-{n}.sqlite", self.0.display())
    }
}

impl Drop for Files {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

async fn store<A>(url: impl AsRef<str>) -> SqliteAdapter<A> {
    let store = SqliteAdapter::connect(url.as_ref()).await.unwrap();
    store.migrate().await.unwrap();
    store
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sqlite_behaves_like_a_store() {
    let files = Files::new("suite");
    behaves_like_a_store(|| store::<String>(files.url())).await;
}

#[tokio::test]
async fn in_memory_database_behaves_like_a_store() {
    behaves_like_a_store(|| store::<String>("sqlite::memory:")).await;
}

#[tokio::test]
async fn migrate_twice_is_a_no_op_and_data_survives_a_reopen() {
    let files = Files::new("migrate");
    let url = files.url();
    let first = store::<String>(&url).await;
    let user = first
        .create_user(&Key::new("github", "1"), &Profile::new("1"), "ada".into())
        .await
        .unwrap();
    first.migrate().await.unwrap();
    first.pool().close().await;

    let reopened = store::<String>(&url).await;
    let versions: Vec<i64> = sqlx::query("SELECT version FROM portcullis_migrations")
        .fetch_all(reopened.pool())
        .await
        .unwrap()
        .iter()
        .map(|r| r.get(0))
        .collect();
    assert_eq!(versions, [1, 2]);
    let found = reopened
        .user_by_key(&Key::new("github", "1"))
        .await
        .unwrap();
    assert_eq!(found, Some(user));
}

#[tokio::test]
async fn keys_are_unique_and_reference_users_in_the_schema() {
    let files = Files::new("schema");
    let store = store::<String>(&files.url()).await;
    // The database itself refuses a key for a user that does not exist…
    let orphan = sqlx::query(
        "INSERT INTO portcullis_keys (provider_id, provider_user_id, user_id, created_at) VALUES ('x', '1', 999, 0)",
    )
    .execute(store.pool())
    .await;
    assert!(orphan.is_err(), "foreign key enforced");
    // …and deleting a user deletes its keys.
    let user = store
        .create_user(&Key::new("x", "2"), &Profile::new("2"), "u".into())
        .await
        .unwrap();
    sqlx::query("DELETE FROM portcullis_users WHERE id = ?1")
        .bind(user.id)
        .execute(store.pool())
        .await
        .unwrap();
    assert!(
        store
            .user_by_key(&Key::new("x", "2"))
            .await
            .unwrap()
            .is_none()
    );
}

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
struct Attributes {
    name: String,
    admin: bool,
}

#[tokio::test]
async fn a_sign_in_with_typed_attributes() {
    let mut server = mockito::Server::new_async().await;
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_header("content-type", "application/json")
        .with_body(r#"{"id":"u1","name":"Ada"}"#)
        .create_async()
        .await;
    let files = Files::new("flow");
    let store = store::<Attributes>(&files.url()).await;
    let client = OAuthClient::new(
        TestProvider,
        ClientConfig::new("id", "secret").redirect_uri("http://app.test/cb".parse().unwrap()),
        store.clone(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(&server.url()).unwrap());

    let session = client.validate_code("code", Some("v"), None).await.unwrap();
    assert!(session.existing_user.is_none());
    let attributes = Attributes {
        name: "Ada".into(),
        admin: false,
    };
    let user = session.create_user(attributes.clone()).await.unwrap();
    assert_eq!(user.attributes, attributes);

    let again = client.validate_code("code", Some("v"), None).await.unwrap();
    assert_eq!(again.existing_user, Some(user));
}

#[tokio::test]
async fn an_unreachable_database_is_a_store_error() {
    let err = SqliteAdapter::<String>::connect("sqlite:///nonexistent-dir/x/y.db")
        .await
        .unwrap_err();
    assert_eq!(err.code(), "STORE_ERROR");
}
