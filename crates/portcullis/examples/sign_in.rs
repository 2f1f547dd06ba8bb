//! A whole "Sign in with GitHub" flow in a terminal, against a local stand-in for
//! GitHub, so it runs offline:
//!
//! ```text
//! cargo run -p portcullis --example sign_in
//! ```
//!
//! It prints each step: the authorization URL a browser would open, the callback the
//! provider would send, the validated session, the user created on first sign-in and
//! found on the second.

#![allow(clippy::print_stdout)]

use portcullis::{
    CallbackParams, ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider, Provider, UserAdapter,
};
use portcullis_github::GitHub;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    // A stand-in for github.com and api.github.com with GitHub's documented responses.
    let mut github_api = mockito::Server::new_async().await;
    github_api
        .mock("POST", "/login/oauth/access_token")
        .with_header("content-type", "application/json")
        .with_body(r#"{"access_token":"gho_example","scope":"read:user,user:email","token_type":"bearer"}"#)
        .create_async()
        .await;
    github_api
        .mock("GET", "/user")
        .with_header("content-type", "application/json")
        .with_body(
            r#"{"id":583231,"login":"octocat","name":"The Octocat","email":null,
                       "avatar_url":"https://avatars.githubusercontent.com/u/583231?v=4"}"#,
        )
        .create_async()
        .await;
    github_api
        .mock("GET", "/user/emails")
        .with_header("content-type", "application/json")
        .with_body(r#"[{"email":"octocat@github.com","verified":true,"primary":true,"visibility":"public"}]"#)
        .create_async()
        .await;

    // What an app sets up once at start-up.
    let store = MemoryAdapter::<String>::new();
    let github = OAuthClient::new(
        GitHub::new(),
        ClientConfig::new("example-client-id", "example-client-secret")
            .redirect_uri("http://localhost:3000/login/github/callback".parse()?)
            .scope("user:email"),
        store.clone(),
    )?
    .with_endpoints(GitHub::new().endpoints().rebased(&github_api.url())?);

    for attempt in 1..=2 {
        println!("--- sign-in #{attempt}");
        // GET /login/github
        let auth = github.authorization_url();
        println!("1. redirect the browser to:\n   {}", auth.url);
        println!("   and keep in an encrypted cookie: {:?}", auth.pending);

        // The user approves; GitHub redirects to the callback with code and state.
        let query = format!("code=example-code&state={}", auth.pending.state());
        println!("2. GitHub redirects back: /login/github/callback?code=…&state=…");

        // GET /login/github/callback
        let params = CallbackParams::from_query(&query)?;
        let session = github.validate_callback(&params, &auth.pending).await?;
        println!("3. validated: {} ({:?})", session.key(), session.profile());
        let user = match &session.existing_user {
            Some(user) => {
                println!("4. existing user #{} signed in", user.id);
                user.clone()
            }
            None => {
                let user = session
                    .create_user(session.provider_user.login.clone())
                    .await?;
                println!(
                    "4. first sign-in: created user #{} ({})",
                    user.id, user.attributes
                );
                user
            }
        };
        println!("   tokens: {:?}", session.tokens);
        assert_eq!(store.keys(&user.id).await?.len(), 1);
    }
    Ok(())
}
