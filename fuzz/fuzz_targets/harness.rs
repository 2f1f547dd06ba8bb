//! A local token endpoint that answers with whatever the current input says, and a
//! client pointed at it: token-response parsing is internal to `portcullis`, so the
//! targets reach it the way a provider does, through `exchange_code`.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use portcullis::{ClientConfig, Error, HttpClient, MemoryAdapter, OAuthClient, Provider, Tokens};
use portcullis_testkit::TestProvider;
use portcullis_testkit::hostile::{HostileServer, Reply, response};

pub struct Harness {
    runtime: tokio::runtime::Runtime,
    next: Arc<Mutex<Vec<u8>>>,
    _server: HostileServer,
    client: OAuthClient<TestProvider, MemoryAdapter<()>>,
}

impl Harness {
    pub fn new() -> Self {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        let next = Arc::new(Mutex::new(Vec::new()));
        let answer = next.clone();
        let server = runtime
            .block_on(HostileServer::start_with(move |_| {
                Reply::Raw(answer.lock().unwrap().clone())
            }))
            .unwrap();
        let client = OAuthClient::new(
            TestProvider,
            ClientConfig::new("cid", "csecret").redirect_uri("http://app.test/cb".parse().unwrap()),
            MemoryAdapter::new(),
        )
        .unwrap()
        .with_endpoints(TestProvider.endpoints().rebased(server.url()).unwrap())
        .with_http_client(
            HttpClient::builder()
                .timeout(Duration::from_secs(10))
                .build()
                .unwrap(),
        );
        Harness {
            runtime,
            next,
            _server: server,
            client,
        }
    }

    /// Exchanges a code at an endpoint answering `status`, `content_type` and `body`.
    pub fn exchange(
        &self,
        status: u16,
        content_type: Option<&str>,
        body: &[u8],
    ) -> Result<Tokens, Error> {
        let headers: Vec<(&str, &str)> = content_type
            .map(|c| ("content-type", c))
            .into_iter()
            .collect();
        *self.next.lock().unwrap() = response(status, &headers, body);
        self.runtime
            .block_on(self.client.exchange_code("the-code", Some("the-verifier")))
    }
}
