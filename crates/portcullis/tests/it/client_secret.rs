//! `Provider::client_secret`: a provider that makes its own client secret (Sign in with
//! Apple's ES256 JWT) has it sent, instead of the configuration's, with every request
//! that authenticates the client — code exchange, refresh, revocation — the way its
//! `ClientAuth` says; a failure to make one fails the request before anything is sent;
//! providers without one keep sending the configuration's.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use mockito::{Matcher, Server};
use portcullis::{
    ClientAuth, ClientConfig, ClientSecret, Error, MemoryAdapter, OAuthClient, OAuthProvider, Pkce,
    Provider, ProviderInfo, Refresh, RefreshToken, Revoke, UserRequest,
};
use portcullis_testkit::{TestProvider, TestUser, basic_auth, form_is};

/// A provider that mints `minted-1`, `minted-2`, … for client `cid`, or fails to.
#[derive(Clone)]
struct Minting {
    auth: ClientAuth,
    minted: Arc<AtomicUsize>,
    fail: bool,
}

impl Minting {
    fn new(auth: ClientAuth) -> Self {
        Minting {
            auth,
            minted: Arc::new(AtomicUsize::new(0)),
            fail: false,
        }
    }

    fn count(&self) -> usize {
        self.minted.load(Ordering::SeqCst)
    }
}

impl Provider for Minting {
    type User = TestUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "minting",
        name: "Minting",
        authorization_url: "https://auth.test.invalid/authorize",
        token_url: "https://auth.test.invalid/token",
        revocation_url: Some("https://auth.test.invalid/revoke"),
        userinfo_url: Some("https://auth.test.invalid/userinfo"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "the `email_verified` field",
        docs_url: "https://auth.test.invalid/docs",
    };

    const MAKES_CLIENT_SECRET: bool = true;

    fn client_auth(&self) -> ClientAuth {
        self.auth
    }

    fn client_secret(&self, client_id: &str) -> Result<Option<ClientSecret>, Error> {
        assert_eq!(client_id, "cid", "the configuration's client id");
        if self.fail {
            return Err(Error::Config("the signing key is gone".to_owned()));
        }
        let n = self.minted.fetch_add(1, Ordering::SeqCst) + 1;
        Ok(Some(ClientSecret::new(format!("minted-{n}"))))
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<TestUser, Error> {
        request.get(request.userinfo_url()?.clone()).send().await
    }
}

impl Refresh for Minting {}
impl Revoke for Minting {}

fn client<P: Provider>(
    server: &Server,
    provider: P,
    config: ClientConfig,
) -> OAuthClient<P, MemoryAdapter<String>> {
    let endpoints = provider.endpoints().rebased(&server.url()).unwrap();
    OAuthClient::new(
        provider,
        config.redirect_uri("http://app.test/cb".parse().unwrap()),
        MemoryAdapter::new(),
    )
    .unwrap()
    .with_endpoints(endpoints)
}

const TOKENS: &str =
    r#"{"access_token":"at","token_type":"Bearer","expires_in":3600,"refresh_token":"rt"}"#;

async fn token_mock(server: &mut Server, form: &[(&str, &str)], auth: Matcher) -> mockito::Mock {
    server
        .mock("POST", "/token")
        .match_header("authorization", auth)
        .match_request(form_is(form))
        .with_header("content-type", "application/json")
        .with_body(TOKENS)
        .expect(1)
        .create_async()
        .await
}

#[tokio::test]
async fn a_minted_secret_goes_in_the_body_of_every_client_request() {
    let mut server = Server::new_async().await;
    let minting = Minting::new(ClientAuth::RequestBody);
    // A public configuration: the provider's secret is the only one.
    let client = client(&server, minting.clone(), ClientConfig::public("cid"));

    let exchange = token_mock(
        &mut server,
        &[
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("redirect_uri", "http://app.test/cb"),
            ("client_id", "cid"),
            ("client_secret", "minted-1"),
        ],
        Matcher::Missing,
    )
    .await;
    let tokens = client.exchange_code("the-code", None).await.unwrap();
    exchange.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "at");

    let refresh = token_mock(
        &mut server,
        &[
            ("grant_type", "refresh_token"),
            ("refresh_token", "rt"),
            ("client_id", "cid"),
            ("client_secret", "minted-2"),
        ],
        Matcher::Missing,
    )
    .await;
    client
        .refresh(&RefreshToken::new("rt".to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;

    let revoke = server
        .mock("POST", "/revoke")
        .match_header("authorization", Matcher::Missing)
        .match_request(form_is(&[
            ("token", "rt"),
            ("token_type_hint", "refresh_token"),
            ("client_id", "cid"),
            ("client_secret", "minted-3"),
        ]))
        .expect(1)
        .create_async()
        .await;
    client
        .revoke(RefreshToken::new("rt".to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;
    assert_eq!(minting.count(), 3, "asked once per request");
}

#[tokio::test]
async fn a_minted_secret_replaces_the_configured_one_in_basic_auth() {
    let mut server = Server::new_async().await;
    let minting = Minting::new(ClientAuth::Basic);
    let client = client(
        &server,
        minting.clone(),
        ClientConfig::new("cid", "configured-secret"),
    );

    let exchange = token_mock(
        &mut server,
        &[
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("redirect_uri", "http://app.test/cb"),
        ],
        Matcher::Exact(basic_auth("cid", "minted-1")),
    )
    .await;
    client.exchange_code("the-code", None).await.unwrap();
    exchange.assert_async().await;

    let revoke = server
        .mock("POST", "/revoke")
        .match_header("authorization", basic_auth("cid", "minted-2").as_str())
        .match_request(form_is(&[
            ("token", "at"),
            ("token_type_hint", "access_token"),
        ]))
        .expect(1)
        .create_async()
        .await;
    client
        .revoke(portcullis::AccessToken::new("at".to_owned()))
        .await
        .unwrap();
    revoke.assert_async().await;
}

#[tokio::test]
async fn a_failure_to_mint_fails_the_request_before_it_is_sent() {
    let mut server = Server::new_async().await;
    let minting = Minting {
        fail: true,
        ..Minting::new(ClientAuth::RequestBody)
    };
    let client = client(
        &server,
        minting,
        ClientConfig::new("cid", "configured-secret"),
    );
    let nothing = server
        .mock("POST", Matcher::Any)
        .expect(0)
        .create_async()
        .await;

    for result in [
        client.exchange_code("the-code", None).await.map(drop),
        client.validate_code("the-code", None, None).await.map(drop),
        client
            .refresh(&RefreshToken::new("rt".to_owned()))
            .await
            .map(drop),
        client.revoke(RefreshToken::new("rt".to_owned())).await,
    ] {
        assert!(
            matches!(&result, Err(Error::Config(m)) if m == "the signing key is gone"),
            "{result:?}"
        );
    }
    nothing.assert_async().await;
}

#[tokio::test]
async fn without_a_minted_secret_the_configured_one_is_sent() {
    let mut server = Server::new_async().await;
    let client = client(&server, TestProvider, ClientConfig::new("cid", "csecret"));
    let exchange = token_mock(
        &mut server,
        &[
            ("grant_type", "authorization_code"),
            ("code", "the-code"),
            ("redirect_uri", "http://app.test/cb"),
        ],
        Matcher::Exact(basic_auth("cid", "csecret")),
    )
    .await;
    assert!(
        TestProvider.client_secret("cid").unwrap().is_none(),
        "the default"
    );
    client.exchange_code("the-code", None).await.unwrap();
    exchange.assert_async().await;
}
