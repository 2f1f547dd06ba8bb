//! `cargo xtask new-provider <id>`: a new provider crate in the workspace's pattern,
//! registered with the xtask and the workspace, ready to fill in.

use std::fs;
use std::path::Path;

/// Where registrations go in `xtask/src/providers.rs`.
const REGISTRY_MARKER: &str = "        // @new-provider:";

/// Creates `crates/providers/<id>` and registers it. Returns the files written.
pub(crate) fn new_provider(root: &Path, id: &str) -> Result<Vec<String>, String> {
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_')
        || !id.starts_with(|c: char| c.is_ascii_lowercase())
    {
        return Err(format!(
            "`{id}` is not a provider id: use lowercase letters, digits and `_` (Lucia's id where one exists)"
        ));
    }
    let dir = root.join("crates/providers").join(id);
    if dir.exists() {
        return Err(format!("crates/providers/{id} already exists"));
    }
    let ty = type_name(id);
    let package = format!("portcullis-{}", id.replace('_', "-"));
    let krate = package.replace('-', "_");

    let files = [
        ("Cargo.toml", cargo_toml(&package, &ty)),
        ("README.md", readme(&package, &ty)),
        ("src/lib.rs", lib_rs(id, &ty, &krate)),
        (&*format!("tests/{id}.rs"), test_rs(id, &ty, &krate)),
    ];
    let mut written = Vec::new();
    for (name, contents) in files {
        let path = dir.join(name);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent)
                .map_err(|e| format!("cannot create {}: {e}", parent.display()))?;
        }
        fs::write(&path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        written.push(format!("crates/providers/{id}/{name}"));
    }

    insert_after(
        &root.join("Cargo.toml"),
        "portcullis-testkit = ",
        &format!(
            "{package} = {{ path = \"crates/providers/{id}\", version = \"0.1.0\", default-features = false }}\n"
        ),
    )?;
    insert_after(
        &root.join("xtask/Cargo.toml"),
        "portcullis.workspace = true",
        &format!("{package}.workspace = true\n"),
    )?;
    insert_before(
        &root.join("xtask/src/providers.rs"),
        REGISTRY_MARKER,
        &format!("        register::<{krate}::{ty}>(\"{id}\", \"{package}\"),\n"),
    )?;
    written.extend(["Cargo.toml", "xtask/Cargo.toml", "xtask/src/providers.rs"].map(str::to_owned));
    Ok(written)
}

/// `azure_ad` → `AzureAd`.
fn type_name(id: &str) -> String {
    id.split('_')
        .map(|part| {
            let mut chars = part.chars();
            chars
                .next()
                .map(|c| c.to_ascii_uppercase().to_string() + chars.as_str())
                .unwrap_or_default()
        })
        .collect()
}

fn insert_after(path: &Path, anchor: &str, text: &str) -> Result<(), String> {
    edit(path, anchor, |contents, at| {
        let line_end = contents[at..]
            .find('\n')
            .map_or(contents.len(), |i| at + i + 1);
        contents.insert_str(line_end, text);
    })
}

fn insert_before(path: &Path, anchor: &str, text: &str) -> Result<(), String> {
    edit(path, anchor, |contents, at| {
        let line_start = contents[..at].rfind('\n').map_or(0, |i| i + 1);
        contents.insert_str(line_start, text);
    })
}

fn edit(path: &Path, anchor: &str, apply: impl FnOnce(&mut String, usize)) -> Result<(), String> {
    let mut contents =
        fs::read_to_string(path).map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let at = contents
        .find(anchor)
        .ok_or_else(|| format!("{}: no line containing `{anchor}`", path.display()))?;
    apply(&mut contents, at);
    fs::write(path, contents).map_err(|e| format!("cannot write {}: {e}", path.display()))
}

fn cargo_toml(package: &str, ty: &str) -> String {
    format!(
        r#"[package]
name = "{package}"
description = "Sign in with {ty} for Portcullis"
readme = "README.md"
version.workspace = true
edition.workspace = true
rust-version.workspace = true
license.workspace = true
repository.workspace = true
keywords.workspace = true
categories.workspace = true

[features]
default = ["rustls-tls"]
rustls-tls = ["portcullis/rustls-tls"]
native-tls = ["portcullis/native-tls"]

[dependencies]
portcullis.workspace = true
serde.workspace = true

[dev-dependencies]
portcullis = {{ workspace = true, features = ["rustls-tls"] }}
tokio = {{ workspace = true, features = ["macros", "rt-multi-thread"] }}
mockito.workspace = true
portcullis-testkit.workspace = true
serde_json.workspace = true

[lints]
workspace = true
"#
    )
}

fn readme(package: &str, ty: &str) -> String {
    format!(
        "# {package}\n\nSign in with {ty} for [Portcullis](../../../README.md).\n\n\
         See [`docs/providers`](../../../docs/providers/README.md) for its configuration, user fields and quirks.\n"
    )
}

fn lib_rs(id: &str, ty: &str, krate: &str) -> String {
    format!(
        r#"//! Sign in with {ty} for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider}};
//! use {krate}::{ty};
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {{
//! let client = OAuthClient::new(
//!     {ty}::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/{id}/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = client.authorization_url();
//! # Ok(()) }}
//! ```
//!
//! # What this provider does
//!
//! * TODO: the provider's quirks, checked against its official documentation.

#![forbid(unsafe_code)]

use portcullis::{{
    ClientAuth, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, UserRequest,
}};
use serde::{{Deserialize, Serialize}};

/// The {ty} provider.
#[derive(Debug, Clone, Default)]
pub struct {ty};

impl {ty} {{
    /// The provider with its default endpoints.
    pub fn new() -> Self {{
        {ty}
    }}
}}

impl Provider for {ty} {{
    type User = {ty}User;

    // TODO: every value from the provider's official documentation.
    const INFO: ProviderInfo = ProviderInfo {{
        id: "{id}",
        name: "{ty}",
        authorization_url: "https://{id}.example/oauth/authorize",
        token_url: "https://{id}.example/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://{id}.example/api/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "never: TODO",
        docs_url: "https://{id}.example/docs/oauth",
    }};

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<{ty}User, Error> {{
        request.get(request.userinfo_url()?.clone()).send().await
    }}
}}

/// A {ty} user, as its user endpoint documents it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct {ty}User {{
    /// The user's stable id.
    pub id: String,
    /// The display name.
    #[serde(default)]
    pub name: Option<String>,
}}

impl ProviderUser for {ty}User {{
    fn provider_user_id(&self) -> String {{
        self.id.clone()
    }}

    fn profile(&self) -> Profile {{
        Profile::new(self.provider_user_id()).with_name(self.name.clone())
    }}
}}
"#
    )
}

fn test_rs(id: &str, ty: &str, krate: &str) -> String {
    format!(
        r##"//! {ty} against a mock of its documented endpoints: the exact requests we send and
//! what we make of {ty}'s responses.

use mockito::Server;
use portcullis::{{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Phase, Provider}};
use portcullis_testkit::expect::{{self, Credentials, JSON, Reply}};
use portcullis_testkit::{{callback_for, query_of, s256_challenge}};

use {krate}::{ty};

const CLIENT_ID: &str = "client-id";
const CLIENT_SECRET: &str = "client-secret";
const REDIRECT: &str = "http://localhost:3000/login/{id}/callback";
const CODE: &str = "the-authorization-code";
const ACCESS_TOKEN: &str = "the-access-token";

/// `ClientAuth::RequestBody`: the id and secret go in the form.
const CREDENTIALS: Credentials<'_> = Credentials::Body {{
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
}};

// TODO: the token response and the user exactly as {ty}'s documentation shows them.
const TOKEN_RESPONSE: &str =
    r#"{{"access_token":"the-access-token","token_type":"Bearer","expires_in":3600}}"#;
const USER: &str = r#"{{"id":"42","name":"Ada Lovelace"}}"#;

fn config() -> ClientConfig {{
    ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap())
}}

fn client(server: &Server) -> OAuthClient<{ty}, MemoryAdapter<String>> {{
    expect::client({ty}::new(), config(), server)
}}

#[test]
fn authorization_url_has_every_parameter() {{
    let client = OAuthClient::new({ty}::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = client.authorization_url();
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    let challenge = s256_challenge(auth.pending.code_verifier().unwrap());
    let expected = [
        ("client_id", CLIENT_ID),
        ("code_challenge", challenge.as_str()),
        ("code_challenge_method", "S256"),
        ("redirect_uri", REDIRECT),
        ("response_type", "code"),
    ];
    assert_eq!(
        query
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect::<Vec<_>>(),
        expected
    );
    assert_eq!(auth.pending.provider(), "{id}");
    assert_eq!(<{ty} as Provider>::INFO.id, "{id}");
}}

#[tokio::test]
async fn sign_in_sends_the_exact_requests_and_reads_the_user() {{
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    let token = expect::token_request(&mut server, "/oauth/token", CREDENTIALS, &form)
        .reply(200, JSON, TOKEN_RESPONSE)
        .await;
    let me = expect::api_request(&mut server, "GET", "/api/me", &[], ACCESS_TOKEN)
        .reply(200, JSON, USER)
        .await;

    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    me.assert_async().await;
    assert_eq!(session.key().to_string(), "{id}:42");
    assert_eq!(session.profile().name.as_deref(), Some("Ada Lovelace"));
    assert_eq!(session.tokens.access_token().secret(), ACCESS_TOKEN);
    // TODO: one test per quirk, as in crates/providers/github/tests/github.rs.
}}

#[tokio::test]
async fn an_invalid_code_is_an_oauth_error() {{
    let mut server = Server::new_async().await;
    let client = client(&server);
    let auth = client.authorization_url();
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("code_verifier", auth.pending.code_verifier().unwrap()),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(&mut server, "/oauth/token", CREDENTIALS, &form)
        .reply(400, JSON, r#"{{"error":"invalid_grant"}}"#)
        .await;
    let err = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::TokenExchange, 400, "invalid_grant", None);
    assert_eq!(client.adapter().user_count(), 0);
}}

#[tokio::test]
async fn forged_or_cancelled_callbacks_send_nothing() {{
    let mut server = Server::new_async().await;
    let client = client(&server);
    let token = server
        .mock("POST", "/oauth/token")
        .expect(0)
        .create_async()
        .await;
    portcullis_testkit::assert_forged_callbacks_refused(&client).await;
    token.assert_async().await;
}}

#[test]
fn debug_output_holds_no_secret() {{
    let client = OAuthClient::new({ty}::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    portcullis_testkit::assert_debug_hides_secrets(&client, CLIENT_SECRET);
}}
"##
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scaffolds_and_registers_a_provider() {
        let root = std::env::temp_dir().join(format!("xtask-scaffold-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        fs::create_dir_all(root.join("xtask/src")).unwrap();
        fs::write(
            root.join("Cargo.toml"),
            "[workspace.dependencies]\nportcullis-testkit = { path = \"x\" }\noauth2 = \"5\"\n",
        )
        .unwrap();
        fs::write(
            root.join("xtask/Cargo.toml"),
            "[dependencies]\nportcullis.workspace = true\nsyn = \"2\"\n",
        )
        .unwrap();
        fs::write(
            root.join("xtask/src/providers.rs"),
            "    let mut all = vec![\n        // @new-provider: marker\n    ];\n",
        )
        .unwrap();

        let written = new_provider(&root, "azure_ad").unwrap();
        assert!(written.contains(&"crates/providers/azure_ad/src/lib.rs".to_owned()));
        let lib = fs::read_to_string(root.join("crates/providers/azure_ad/src/lib.rs")).unwrap();
        assert!(lib.contains("pub struct AzureAd;"));
        assert!(lib.contains("id: \"azure_ad\""));
        syn::parse_file(&lib).expect("the scaffold is valid Rust");
        let test =
            fs::read_to_string(root.join("crates/providers/azure_ad/tests/azure_ad.rs")).unwrap();
        syn::parse_file(&test).expect("the scaffolded test is valid Rust");

        let registry = fs::read_to_string(root.join("xtask/src/providers.rs")).unwrap();
        assert!(registry.contains(
            "register::<portcullis_azure_ad::AzureAd>(\"azure_ad\", \"portcullis-azure-ad\"),\n        // @new-provider:"
        ), "{registry}");
        let workspace = fs::read_to_string(root.join("Cargo.toml")).unwrap();
        assert!(
            workspace.contains("portcullis-azure-ad = { path = \"crates/providers/azure_ad\""),
            "{workspace}"
        );
        let xtask = fs::read_to_string(root.join("xtask/Cargo.toml")).unwrap();
        assert!(
            xtask.contains("portcullis-azure-ad.workspace = true"),
            "{xtask}"
        );

        assert!(
            new_provider(&root, "azure_ad")
                .unwrap_err()
                .contains("already exists")
        );
        assert!(
            new_provider(&root, "Bad-Id")
                .unwrap_err()
                .contains("not a provider id")
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
