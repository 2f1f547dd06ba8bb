//! `ProviderSession` over the in-memory store: first sign-in, returning user, linking,
//! racing first sign-ins, and nothing stored when a sign-in fails.

use std::sync::Arc;

use mockito::Server;
use portcullis::{
    ClientConfig, ClientSecret, Error, Key, MemoryAdapter, OAuthClient, OAuthProvider, Pkce,
    Profile, Provider, ProviderInfo, StoreError, UserAdapter, UserRequest,
};
use portcullis_testkit::{TestProvider, TestUser, basic_auth, callback_for, form_is};

type Client = OAuthClient<TestProvider, MemoryAdapter<String>>;

fn client(server: &Server, store: MemoryAdapter<String>) -> Client {
    OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
        store,
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(&server.url()).unwrap())
}

async fn provider_serves(server: &mut Server, user_json: &str) {
    server
        .mock("POST", "/token")
        .match_header("authorization", basic_auth("cid", "csecret").as_str())
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer","expires_in":3600}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .match_header("authorization", "Bearer at")
        .with_header("content-type", "application/json")
        .with_body(user_json)
        .create_async()
        .await;
}

#[tokio::test]
async fn first_sign_in_creates_and_second_finds() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let client = client(&server, store.clone());
    provider_serves(&mut server, r#"{"id":"u1","name":"Ada"}"#).await;

    let session = client
        .validate_code("code", Some("verifier"), None)
        .await
        .unwrap();
    assert_eq!(session.existing_user, None);
    assert_eq!(session.key(), &Key::new("test", "u1"));
    let user = session.create_user("Ada".into()).await.unwrap();
    assert_eq!(user.attributes, "Ada");
    assert_eq!(
        store.keys(&user.id).await.unwrap(),
        [Key::new("test", "u1")]
    );

    let again = client
        .validate_code("code", Some("verifier"), None)
        .await
        .unwrap();
    assert_eq!(again.existing_user, Some(user));
    assert_eq!(store.user_count(), 1);
}

#[tokio::test]
async fn linking_adds_a_key_to_an_existing_user() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let existing = store
        .create_user(
            &Key::new("github", "7"),
            &Profile::new("7"),
            "Ada".to_owned(),
        )
        .await
        .unwrap();
    let client = client(&server, store.clone());
    provider_serves(
        &mut server,
        r#"{"id":"u1","email":"ada@example.com","email_verified":true}"#,
    )
    .await;

    let session = client.validate_code("code", Some("v"), None).await.unwrap();
    assert_eq!(session.profile().verified_email(), Some("ada@example.com"));
    session.link_to(&existing.id).await.unwrap();
    assert_eq!(
        store.keys(&existing.id).await.unwrap(),
        [Key::new("github", "7"), Key::new("test", "u1")]
    );

    // The next sign-in with the linked identity finds that user.
    let again = client.validate_code("code", Some("v"), None).await.unwrap();
    assert_eq!(
        again.existing_user.as_ref().map(|u| u.id),
        Some(existing.id)
    );

    // Linking an identity that is already linked is a typed error.
    let err = again.link_to(&existing.id).await.unwrap_err();
    assert!(
        matches!(err, Error::Store(StoreError::KeyExists(_))),
        "{err:?}"
    );
    assert_eq!(err.code(), "KEY_ALREADY_EXISTS");
    // So is linking to a user that does not exist.
    let other = store
        .create_user(&Key::new("x", "1"), &Profile::new("1"), "B".to_owned())
        .await
        .unwrap();
    let err = store
        .add_key(&(other.id + 100), &Key::new("x", "2"), &Profile::new("2"))
        .await
        .unwrap_err();
    assert!(matches!(err, StoreError::UserNotFound), "{err:?}");
}

#[tokio::test]
async fn racing_first_sign_ins_yield_one_user() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let client = Arc::new(client(&server, store.clone()));
    provider_serves(&mut server, r#"{"id":"u1"}"#).await;

    let mut sessions = Vec::new();
    for _ in 0..20 {
        sessions.push(client.validate_code("code", Some("v"), None).await.unwrap());
    }
    // Every session saw "no user yet"; all create at once.
    let tasks: Vec<_> = sessions
        .into_iter()
        .enumerate()
        .map(|(i, session)| {
            tokio::spawn(async move { session.create_user(format!("attempt {i}")).await })
        })
        .collect();
    let mut ids = Vec::new();
    for task in tasks {
        ids.push(task.await.unwrap().unwrap().id);
    }
    ids.dedup();
    assert_eq!(ids.len(), 1, "every racer got the same user");
    assert_eq!(store.user_count(), 1);
}

#[tokio::test]
async fn a_failed_sign_in_stores_nothing() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let client = client(&server, store.clone());
    server
        .mock("POST", "/token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
        .create_async()
        .await;
    server
        .mock("GET", "/userinfo")
        .with_status(503)
        .with_body("upstream unavailable")
        .create_async()
        .await;
    let auth = client.authorization_url();
    let err = client
        .validate_callback(&callback_for(&auth, "code"), &auth.pending)
        .await
        .unwrap_err();
    assert_eq!(err.code(), "FAILED_REQUEST");
    assert_eq!(store.user_count(), 0);
}

#[tokio::test]
async fn token_request_is_exact_with_basic_auth() {
    let mut server = Server::new_async().await;
    let client = client(&server, MemoryAdapter::new());
    let auth = client.authorization_url();
    let verifier = auth.pending.code_verifier().unwrap().to_owned();
    let token = server
        .mock("POST", "/token")
        .match_header("authorization", basic_auth("cid", "csecret").as_str())
        .match_header("content-type", "application/x-www-form-urlencoded")
        .match_request(form_is(&[
            ("grant_type", "authorization_code"),
            ("code", "the code"),
            ("code_verifier", &verifier),
            ("redirect_uri", "http://app.test/cb"),
        ]))
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"at","token_type":"Bearer"}"#)
        .expect(1)
        .create_async()
        .await;
    let tokens = client
        .exchange_code("the code", Some(&verifier))
        .await
        .unwrap();
    token.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "at");
}

#[test]
fn a_provider_that_needs_a_redirect_uri_refuses_a_config_without_one() {
    let err = OAuthClient::new(
        TestProvider,
        ClientConfig::new("cid", "s"),
        MemoryAdapter::<()>::new(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "INVALID_CONFIG");
    assert!(err.to_string().contains("redirect URI"), "{err}");
}

/// `TestProvider` without PKCE; with `OWN_SECRET`, one that makes its own client secret
/// (as Sign in with Apple does).
#[derive(Debug, Clone)]
struct NoPkce<const OWN_SECRET: bool>;

impl<const OWN_SECRET: bool> Provider for NoPkce<OWN_SECRET> {
    type User = TestUser;
    const INFO: ProviderInfo = ProviderInfo {
        id: "nopkce",
        pkce: Pkce::None,
        ..TestProvider::INFO
    };
    const MAKES_CLIENT_SECRET: bool = OWN_SECRET;
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TestUser, Error> {
        TestProvider.fetch_user(request).await
    }
    fn client_secret(&self, _: &str) -> Result<Option<ClientSecret>, Error> {
        Ok(OWN_SECRET.then(|| ClientSecret::new("a-minted-secret".to_owned())))
    }
}

#[test]
fn a_public_client_needs_pkce_or_a_secret_the_provider_makes() {
    let redirect = "http://app.test/cb".parse::<portcullis::Url>().unwrap();
    let public = || ClientConfig::public("cid").redirect_uri(redirect.clone());

    // Without PKCE and without a secret, a stolen code could be redeemed by anyone.
    let err = OAuthClient::new(NoPkce::<false>, public(), MemoryAdapter::<()>::new()).unwrap_err();
    assert_eq!(err.code(), "INVALID_CONFIG");
    assert!(err.to_string().contains("PKCE"), "{err}");

    let confidential = ClientConfig::new("cid", "csecret").redirect_uri(redirect.clone());
    assert!(OAuthClient::new(NoPkce::<false>, confidential, MemoryAdapter::<()>::new()).is_ok());
    assert!(OAuthClient::new(NoPkce::<true>, public(), MemoryAdapter::<()>::new()).is_ok());
    // With PKCE, a public client is what PKCE is for.
    assert!(OAuthClient::new(TestProvider, public(), MemoryAdapter::<()>::new()).is_ok());
}

#[test]
fn authorization_url_nonce_only_for_openid() {
    let server_url = "http://127.0.0.1:9";
    let make = |config: ClientConfig| {
        OAuthClient::new(TestProvider, config, MemoryAdapter::<()>::new())
            .unwrap()
            .with_endpoints(TestProvider.endpoints().rebased(server_url).unwrap())
    };
    let base = || ClientConfig::new("cid", "s").redirect_uri("http://app.test/cb".parse().unwrap());
    let plain = make(base()).authorization_url();
    assert_eq!(plain.pending.nonce(), None);
    assert!(!portcullis_testkit::query_of(&plain.url).contains_key("nonce"));

    let oidc = make(
        base()
            .scope("openid")
            .scope("profile")
            .authorization_param("prompt", "consent"),
    )
    .authorization_url();
    let query = portcullis_testkit::query_of(&oidc.url);
    assert_eq!(query.get("nonce").map(String::as_str), oidc.pending.nonce());
    assert_eq!(
        query.get("scope").map(String::as_str),
        Some("profile openid"),
        "deduplicated"
    );
    assert_eq!(query.get("prompt").map(String::as_str), Some("consent"));
}

#[test]
fn app_parameters_replace_provider_ones_and_cannot_touch_the_flow() {
    let base = || ClientConfig::new("cid", "s").redirect_uri("http://app.test/cb".parse().unwrap());
    let err = OAuthClient::new(
        TestProvider,
        base().authorization_param("state", "fixed"),
        MemoryAdapter::<()>::new(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "INVALID_CONFIG");
    assert!(err.to_string().contains("`state`"), "{err}");

    let auth = OAuthClient::new(TestProvider, base(), MemoryAdapter::<()>::new())
        .unwrap()
        .authorization_url();
    let debug = format!("{auth:?}");
    assert!(!debug.contains(auth.pending.state()), "{debug}");
    assert!(debug.contains("client_id=cid"), "{debug}");
}

#[tokio::test]
async fn linking_by_email_needs_both_sides_verified() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let verified = Profile::new("7").with_email(Some("Ada@Example.com".into()), true);
    let ada = store
        .create_user(&Key::new("github", "7"), &verified, "Ada".to_owned())
        .await
        .unwrap();
    let unverified = Profile::new("8").with_email(Some("eve@example.com".into()), false);
    store
        .create_user(&Key::new("github", "8"), &unverified, "Eve".to_owned())
        .await
        .unwrap();
    let client = client(&server, store.clone());

    // This provider did not verify the address: refused, nothing linked.
    provider_serves(
        &mut server,
        r#"{"id":"u1","email":"ada@example.com","email_verified":false}"#,
    )
    .await;
    let session = client.validate_code("code", Some("v"), None).await.unwrap();
    let err = session.link_by_verified_email().await.unwrap_err();
    assert!(matches!(err, Error::EmailNotVerified), "{err:?}");
    assert_eq!(err.code(), "EMAIL_NOT_VERIFIED");
    assert_eq!(store.keys(&ada.id).await.unwrap().len(), 1);
    server.reset();

    // Verified here too (case differs): linked to Ada.
    provider_serves(
        &mut server,
        r#"{"id":"u1","email":"ada@example.com","email_verified":true}"#,
    )
    .await;
    let session = client.validate_code("code", Some("v"), None).await.unwrap();
    let linked = session.link_by_verified_email().await.unwrap();
    assert_eq!(linked.map(|u| u.id), Some(ada.id));
    assert_eq!(store.keys(&ada.id).await.unwrap().len(), 2);
    server.reset();

    // Eve's address was stored unverified: no one to link to.
    provider_serves(
        &mut server,
        r#"{"id":"u2","email":"eve@example.com","email_verified":true}"#,
    )
    .await;
    let session = client.validate_code("code", Some("v"), None).await.unwrap();
    assert_eq!(session.link_by_verified_email().await.unwrap(), None);
}

#[tokio::test]
async fn a_second_instance_of_a_provider_keeps_its_users_apart() {
    let mut server = Server::new_async().await;
    let store = MemoryAdapter::new();
    let public = client(&server, store.clone());
    let enterprise = client(&server, store.clone())
        .with_id("test_enterprise")
        .with_name("Test Enterprise");
    assert_eq!(enterprise.id(), "test_enterprise");
    // Its own button label; the first instance keeps the provider's.
    assert_eq!(
        (public.name(), enterprise.name()),
        (TestProvider::INFO.name, "Test Enterprise")
    );
    provider_serves(&mut server, r#"{"id":"u1"}"#).await;

    let a = public.validate_code("code", Some("v"), None).await.unwrap();
    a.create_user("public".into()).await.unwrap();
    let b = enterprise
        .validate_code("code", Some("v"), None)
        .await
        .unwrap();
    assert_eq!(b.key(), &Key::new("test_enterprise", "u1"));
    assert!(
        b.existing_user.is_none(),
        "same provider user id, other server: another identity"
    );

    // A sign-in started at one cannot be finished at the other.
    let auth = public.authorization_url();
    let err = enterprise
        .validate_callback(&callback_for(&auth, "code"), &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Callback(portcullis::CallbackError::ProviderMismatch { .. })
        ),
        "{err:?}"
    );
}

#[tokio::test]
async fn providers_of_every_kind_share_one_registry() {
    use std::collections::HashMap;
    use std::sync::Arc;

    let mut server = Server::new_async().await;
    let store = MemoryAdapter::<String>::new();
    let github = OAuthClient::new(
        portcullis_github::GitHub::new(),
        ClientConfig::new("gh", "s"),
        store.clone(),
    )
    .unwrap();
    let mut registry: HashMap<String, Arc<portcullis::DynOAuthProvider<MemoryAdapter<String>>>> =
        HashMap::new();
    for provider in [client(&server, store.clone()).into_dyn(), github.into_dyn()] {
        registry.insert(provider.id().to_owned(), provider);
    }
    assert_eq!(registry["github"].name(), "GitHub");
    assert_eq!(registry["test"].name(), "Test provider");

    provider_serves(
        &mut server,
        r#"{"id":"u1","name":"Ada","email":"a@b.c","email_verified":true}"#,
    )
    .await;
    let test = &registry["test"];
    let auth = test.authorization_url();
    let session = test
        .validate_callback(&callback_for(&auth, "code"), &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.key(), &Key::new("test", "u1"));
    assert_eq!(session.profile().verified_email(), Some("a@b.c"));
    let typed: portcullis_testkit::TestUser = session.provider_user.to_typed().unwrap();
    assert_eq!(typed.name.as_deref(), Some("Ada"));
    let user = session.create_user("Ada".into()).await.unwrap();
    assert_eq!(
        store.keys(&user.id).await.unwrap(),
        [Key::new("test", "u1")]
    );
}

#[tokio::test]
async fn a_server_that_always_sends_iss_must_send_it() {
    let server = Server::new_async().await;
    let mut endpoints = TestProvider.endpoints().rebased(&server.url()).unwrap();
    endpoints.issuer_required = true;
    let client = client(&server, MemoryAdapter::new()).with_endpoints(endpoints);
    let auth = client.authorization_url();
    let err = client
        .validate_callback(&callback_for(&auth, "code"), &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Callback(portcullis::CallbackError::MissingIssuer)
        ),
        "{err:?}"
    );
    assert_eq!(err.code(), "ISSUER_MISMATCH");

    let wrong = portcullis::CallbackParams::from_query(&format!(
        "code=c&state={}&iss=https%3A%2F%2Fevil.example",
        auth.pending.state()
    ))
    .unwrap();
    let err = client
        .validate_callback(&wrong, &auth.pending)
        .await
        .unwrap_err();
    assert!(
        matches!(
            err,
            Error::Callback(portcullis::CallbackError::IssuerMismatch { .. })
        ),
        "{err:?}"
    );
}

/// A provider that, like Apple, learns part of the user only from the callback.
struct NameFromCallback;

impl Provider for NameFromCallback {
    type User = portcullis_testkit::TestUser;
    const INFO: portcullis::ProviderInfo = TestProvider::INFO;

    async fn fetch_user(
        &self,
        request: portcullis::UserRequest<'_>,
    ) -> Result<portcullis_testkit::TestUser, Error> {
        let mut user: portcullis_testkit::TestUser =
            request.get(request.userinfo_url()?.clone()).send().await?;
        user.name = request.callback_param("user").map(str::to_owned);
        Ok(user)
    }
}

#[tokio::test]
async fn provider_parameters_of_the_callback_reach_the_provider() {
    let mut server = Server::new_async().await;
    let client = OAuthClient::new(
        NameFromCallback,
        ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
        MemoryAdapter::<String>::new(),
    )
    .unwrap()
    .with_endpoints(TestProvider.endpoints().rebased(&server.url()).unwrap());
    provider_serves(&mut server, r#"{"id":"u1"}"#).await;
    let auth = client.authorization_url();
    let params = portcullis::CallbackParams::from_query(&format!(
        "code=c&state={}&user=Ada",
        auth.pending.state()
    ))
    .unwrap();
    let session = client
        .validate_callback(&params, &auth.pending)
        .await
        .unwrap();
    assert_eq!(session.provider_user.name.as_deref(), Some("Ada"));
    // The bare flow has no callback.
    let session = client.validate_code("c", Some("v"), None).await.unwrap();
    assert_eq!(session.provider_user.name, None);
}
