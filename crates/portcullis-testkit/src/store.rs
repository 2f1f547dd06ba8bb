//! One behaviour suite for every [`UserAdapter`]: the in-memory store, SQLite,
//! Postgres — and an app's own adapter.
//!
//! ```
//! # async fn f() {
//! use portcullis::MemoryAdapter;
//! portcullis_testkit::store::behaves_like_a_store(|| async { MemoryAdapter::<String>::new() }).await;
//! # }
//! ```
//!
//! Each case gets a fresh, empty store from the factory. A failing case panics with
//! its name.

use std::fmt::Debug;
use std::future::Future;
use std::sync::Arc;

use portcullis::{Key, Profile, StoreError, UserAdapter};

/// How many first sign-ins of one identity race in [`racing_first_sign_ins`].
pub const RACERS: usize = 100;
/// How many distinct identities sign up at once in [`many_identities_at_once`].
pub const CROWD: usize = 1000;

fn profile(id: &str) -> Profile {
    Profile::new(id)
}

fn verified(id: &str, email: &str) -> Profile {
    Profile::new(id).with_email(Some(email.to_owned()), true)
}

/// Runs every case of the suite.
pub async fn behaves_like_a_store<A, F, Fut>(fresh: F)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
    F: Fn() -> Fut,
    Fut: Future<Output = A>,
{
    unknown_key_has_no_user(fresh().await).await;
    created_user_is_found_by_key_and_id(fresh().await).await;
    duplicate_key_is_refused_and_nothing_is_stored(fresh().await).await;
    keys_are_added_listed_and_removed(fresh().await).await;
    verified_email_lookup(fresh().await).await;
    racing_first_sign_ins(fresh().await).await;
    many_identities_at_once(fresh().await).await;
}

/// An unknown key has no user; an unknown id has none either.
pub async fn unknown_key_has_no_user<A: UserAdapter<Attributes = String>>(store: A) {
    assert!(
        store
            .user_by_key(&Key::new("github", "1"))
            .await
            .unwrap()
            .is_none()
    );
}

/// A created user is found by its key and by its id, with its attributes.
pub async fn created_user_is_found_by_key_and_id<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let key = Key::new("github", "1");
    let user = store
        .create_user(&key, &profile("1"), "Ada ✓ \"quoted\"".to_owned())
        .await
        .unwrap();
    let id = A::user_id(&user);
    let by_key = store
        .user_by_key(&key)
        .await
        .unwrap()
        .expect("found by key");
    assert_eq!(A::user_id(&by_key), id);
    let by_id = store.user_by_id(&id).await.unwrap().expect("found by id");
    assert_eq!(A::user_id(&by_id), id);
    assert_eq!(
        format!("{by_key:?}"),
        format!("{user:?}"),
        "same user, same attributes"
    );
    assert_eq!(store.keys(&id).await.unwrap(), [key]);
    assert!(
        store
            .user_by_key(&Key::new("google", "1"))
            .await
            .unwrap()
            .is_none(),
        "the provider id is part of the key"
    );
}

/// Creating a user with a key that exists fails with `KeyExists` and stores nothing.
pub async fn duplicate_key_is_refused_and_nothing_is_stored<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let key = Key::new("github", "1");
    let first = store
        .create_user(&key, &profile("1"), "first".to_owned())
        .await
        .unwrap();
    let err = store
        .create_user(&key, &profile("1"), "second".to_owned())
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::KeyExists(ref k) if *k == key),
        "{err:?}"
    );
    let found = store.user_by_key(&key).await.unwrap().unwrap();
    assert_eq!(A::user_id(&found), A::user_id(&first));
    assert_eq!(format!("{found:?}"), format!("{first:?}"));
}

/// Keys are added to a user, listed sorted, and removed unless last.
pub async fn keys_are_added_listed_and_removed<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let github = Key::new("github", "1");
    let google = Key::new("google", "abc");
    let user = store
        .create_user(&github, &profile("1"), "u".to_owned())
        .await
        .unwrap();
    let id = A::user_id(&user);
    let other = store
        .create_user(&Key::new("discord", "9"), &profile("9"), "o".to_owned())
        .await
        .unwrap();

    store.add_key(&id, &google, &profile("abc")).await.unwrap();
    assert_eq!(
        store.keys(&id).await.unwrap(),
        [github.clone(), google.clone()]
    );
    let via_google = store.user_by_key(&google).await.unwrap().unwrap();
    assert_eq!(A::user_id(&via_google), id);

    let err = store
        .add_key(&A::user_id(&other), &google, &profile("abc"))
        .await
        .unwrap_err();
    assert!(
        matches!(err, StoreError::KeyExists(_)),
        "a key belongs to one user: {err:?}"
    );

    let err = store
        .remove_key(&A::user_id(&other), &google)
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::KeyNotFound(_)), "{err:?}");

    store.remove_key(&id, &github).await.unwrap();
    assert_eq!(
        store.keys(&id).await.unwrap(),
        std::slice::from_ref(&google)
    );
    assert!(store.user_by_key(&github).await.unwrap().is_none());
    let err = store.remove_key(&id, &google).await.unwrap_err();
    assert!(matches!(err, StoreError::LastKey(_)), "{err:?}");
    assert_eq!(store.keys(&id).await.unwrap(), [google]);
}

/// Only provider-verified emails are found, case-insensitively, and only when one user
/// has them.
pub async fn verified_email_lookup<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let ada = store
        .create_user(
            &Key::new("github", "1"),
            &verified("1", "Ada@Example.com"),
            "ada".to_owned(),
        )
        .await
        .unwrap();
    store
        .create_user(
            &Key::new("github", "2"),
            &Profile::new("2").with_email(Some("eve@example.com".into()), false),
            "eve".to_owned(),
        )
        .await
        .unwrap();
    let found = store
        .user_by_verified_email("ada@example.com")
        .await
        .unwrap();
    assert_eq!(found.map(|u| A::user_id(&u)), Some(A::user_id(&ada)));
    assert!(
        store
            .user_by_verified_email("eve@example.com")
            .await
            .unwrap()
            .is_none()
    );
    assert!(
        store
            .user_by_verified_email("nobody@example.com")
            .await
            .unwrap()
            .is_none()
    );

    // A second user with the same verified address: ambiguous, so no one.
    store
        .create_user(
            &Key::new("google", "x"),
            &verified("x", "ada@example.com"),
            "ada2".to_owned(),
        )
        .await
        .unwrap();
    assert!(
        store
            .user_by_verified_email("ada@example.com")
            .await
            .unwrap()
            .is_none()
    );
}

/// [`RACERS`] concurrent first sign-ins of one identity: exactly one user is created,
/// and every racer that lost gets `KeyExists` (which `ProviderSession::create_user`
/// turns into that user).
pub async fn racing_first_sign_ins<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let store = Arc::new(store);
    let key = Key::new("github", "race");
    let tasks: Vec<_> = (0..RACERS)
        .map(|i| {
            let store = Arc::clone(&store);
            let key = key.clone();
            tokio::spawn(async move {
                match store
                    .create_user(&key, &profile("race"), format!("racer {i}"))
                    .await
                {
                    Ok(user) => Ok(A::user_id(&user)),
                    Err(StoreError::KeyExists(_)) => Err(()),
                    Err(other) => panic!("racer {i}: {other:?}"),
                }
            })
        })
        .collect();
    let mut winners = Vec::new();
    for task in tasks {
        if let Ok(id) = task.await.expect("racer panicked") {
            winners.push(id);
        }
    }
    assert_eq!(winners.len(), 1, "exactly one racer creates the user");
    let user = store.user_by_key(&key).await.unwrap().unwrap();
    assert_eq!(A::user_id(&user), winners[0]);
}

/// [`CROWD`] distinct identities sign up concurrently: as many users, no errors.
pub async fn many_identities_at_once<A>(store: A)
where
    A: UserAdapter<Attributes = String>,
    A::UserId: PartialEq + Debug,
{
    let store = Arc::new(store);
    let tasks: Vec<_> = (0..CROWD)
        .map(|i| {
            let store = Arc::clone(&store);
            tokio::spawn(async move {
                let key = Key::new("github", i.to_string());
                let user = store
                    .create_user(&key, &profile(&i.to_string()), format!("user {i}"))
                    .await
                    .unwrap_or_else(|e| panic!("identity {i}: {e:?}"));
                A::user_id(&user)
            })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.expect("sign-up panicked"));
    }
    for (i, id) in ids.iter().enumerate() {
        assert!(!ids[..i].contains(id), "user ids are unique");
    }
    for i in [0, CROWD / 2, CROWD - 1] {
        let user = store
            .user_by_key(&Key::new("github", i.to_string()))
            .await
            .unwrap()
            .unwrap();
        assert_eq!(A::user_id(&user), ids[i]);
    }
}
