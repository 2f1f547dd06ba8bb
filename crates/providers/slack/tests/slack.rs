//! Slack against a mock of its Sign in with Slack endpoints: the exact requests, ID
//! tokens signed here and verified, and Slack's errors sent with HTTP 200.

use mockito::{Mock, Server};
use portcullis::{
    AuthorizationUrl, ClientConfig, Error, IdTokenError, MemoryAdapter, OAuthClient, OAuthProvider,
    Phase, Provider, ProviderSession, ProviderUser, RefreshToken, Url,
};
use portcullis_oidc::Jwks;
use portcullis_slack::{Slack, SlackUser};
use portcullis_testkit::expect::{self, Credentials, Reply};
use portcullis_testkit::jwt::{Signer, id_token_error, jwks, now, tamper};
use portcullis_testkit::{callback_for, query_of};
use serde_json::{Value, json};

const CLIENT_ID: &str = "25259531569.1115258246291";
const CLIENT_SECRET: &str = "e1b9e11dfcd19c1982d5de12921e17e8c";
const REDIRECT: &str = "http://localhost:3000/login/slack/callback";
const CODE: &str = "4724469134.4644010092847.232b4e6d82c333b475fc30f5f5a341d2";
const ACCESS_TOKEN: &str = "xoxp-4724469134-4644010092847-1234567890-abcdef";
const TEAM: &str = "T0R7GR0SE";
const SUB: &str = "U0R7MFMJM";
const TOKEN_PATH: &str = "/api/openid.connect.token";
/// The content type Slack answers with.
const SLACK_JSON: &str = "application/json; charset=utf-8";

/// Slack takes the client id and secret in the form body.
const CREDENTIALS: Credentials<'_> = Credentials::Body {
    id: CLIENT_ID,
    secret: CLIENT_SECRET,
};

/// `slack` pointed at the mock server: its endpoints and its key set.
fn client(server: &Server, slack: Slack) -> OAuthClient<Slack, MemoryAdapter<String>> {
    let keys = format!("{}/openid/connect/keys", server.url());
    expect::client(
        slack.jwks(Jwks::new(keys.parse().unwrap())),
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse().unwrap()),
        server,
    )
}

/// The ID token payload of Slack's `openid.connect.token` documentation.
fn claims(nonce: &str, signer: &Signer) -> Value {
    let now = now();
    json!({
        "iss": "https://slack.com",
        "sub": SUB,
        "aud": CLIENT_ID,
        "exp": now + 300,
        "iat": now,
        "auth_time": now,
        "nonce": nonce,
        "at_hash": signer.at_hash(ACCESS_TOKEN),
        "https://slack.com/team_id": TEAM,
        "https://slack.com/user_id": SUB,
        "email": "bront@slack-corp.com",
        "email_verified": true,
        "date_email_verified": 1622128723,
        "locale": "en-US",
        "name": "brent",
        "given_name": "",
        "family_name": "",
        "https://slack.com/user_image_24": "https://secure.gravatar.com/avatar/bc.png?s=24",
        "https://slack.com/user_image_32": "https://secure.gravatar.com/avatar/bc.png?s=32",
        "https://slack.com/user_image_48": "https://secure.gravatar.com/avatar/bc.png?s=48",
        "https://slack.com/user_image_72": "https://secure.gravatar.com/avatar/bc.png?s=72",
        "https://slack.com/user_image_192": "https://secure.gravatar.com/avatar/bc.png?s=192",
        "https://slack.com/user_image_512": "https://secure.gravatar.com/avatar/bc.png?s=512",
        "picture": "https://secure.gravatar.com/avatar/bc.png?s=512",
        "https://slack.com/team_name": "kraneflannel",
        "https://slack.com/team_domain": "kraneflannel",
        "https://slack.com/team_image_34": "https://a.slack-edge.com/team_34.png",
        "https://slack.com/team_image_44": "https://a.slack-edge.com/team_44.png",
        "https://slack.com/team_image_68": "https://a.slack-edge.com/team_68.png",
        "https://slack.com/team_image_88": "https://a.slack-edge.com/team_88.png",
        "https://slack.com/team_image_102": "https://a.slack-edge.com/team_102.png",
        "https://slack.com/team_image_132": "https://a.slack-edge.com/team_132.png",
        "https://slack.com/team_image_230": "https://a.slack-edge.com/team_230.png",
        "https://slack.com/team_image_default": true,
    })
}

async fn mock_jwks(server: &mut Server, expect: usize) -> Mock {
    server
        .mock("GET", "/openid/connect/keys")
        .match_header("accept", "application/json")
        .with_header("content-type", SLACK_JSON)
        .with_body(jwks(&[&Signer::rsa_1()]))
        .expect(expect)
        .create_async()
        .await
}

/// `openid.connect.token`, expecting exactly the code exchange, answering `body`.
async fn mock_token(server: &mut Server, body: &Value) -> Mock {
    let form = [
        ("grant_type", "authorization_code"),
        ("code", CODE),
        ("redirect_uri", REDIRECT),
    ];
    expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(200, SLACK_JSON, body.to_string())
        .await
}

fn token_response(id_token: &str) -> Value {
    json!({"ok": true, "access_token": ACCESS_TOKEN, "token_type": "Bearer", "id_token": id_token})
}

async fn sign_in_with(
    server: &mut Server,
    slack: Slack,
    edit: impl FnOnce(&mut Value),
) -> Result<ProviderSession<SlackUser, MemoryAdapter<String>>, Error> {
    let client = client(server, slack);
    let auth = client.authorization_url();
    let signer = Signer::rsa_1();
    let mut claims = claims(auth.pending.nonce().unwrap(), &signer);
    edit(&mut claims);
    let _token = mock_token(server, &token_response(&signer.sign(&claims))).await;
    client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
}

fn params(auth: &AuthorizationUrl) -> Vec<(String, String)> {
    let mut query = query_of(&auth.url);
    assert_eq!(query.remove("state").as_deref(), Some(auth.pending.state()));
    assert_eq!(query.remove("nonce").as_deref(), auth.pending.nonce());
    query.into_iter().collect()
}

#[test]
fn endpoints_are_those_of_slack_s_discovery_document() {
    let slack = Slack::new();
    let e = slack.endpoints();
    assert_eq!(
        e.authorization.as_str(),
        "https://slack.com/openid/connect/authorize"
    );
    assert_eq!(
        e.token.as_str(),
        "https://slack.com/api/openid.connect.token"
    );
    assert_eq!(e.userinfo, None, "the user comes from the ID token");
    assert_eq!(e.revocation, None);
    assert_eq!(e.issuer, None);
    assert_eq!(slack.verifier().issuer(), "https://slack.com");
    assert_eq!(
        slack.verifier().jwks().url().as_str(),
        "https://slack.com/openid/connect/keys"
    );
}

#[test]
fn authorization_url_has_every_parameter_and_no_pkce() {
    let config = || {
        ClientConfig::new(CLIENT_ID, CLIENT_SECRET).redirect_uri(REDIRECT.parse::<Url>().unwrap())
    };
    let slack = OAuthClient::new(Slack::new(), config(), MemoryAdapter::<String>::new()).unwrap();
    let auth = slack.authorization_url();
    assert_eq!(
        auth.url.as_str().split('?').next(),
        Some("https://slack.com/openid/connect/authorize")
    );
    assert!(auth.pending.code_verifier().is_none());
    assert!(auth.pending.nonce().unwrap().len() >= 22);
    let expected = |extra: &[(&str, &str)]| {
        let mut all: Vec<(String, String)> = [
            ("client_id", CLIENT_ID),
            ("redirect_uri", REDIRECT),
            ("response_type", "code"),
            ("scope", "openid profile email"),
        ]
        .iter()
        .chain(extra)
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
        all.sort();
        all
    };
    assert_eq!(params(&auth), expected(&[]));
    assert_eq!(auth.pending.provider(), "slack");

    let team = OAuthClient::new(
        Slack::new().team(TEAM),
        config(),
        MemoryAdapter::<String>::new(),
    )
    .unwrap();
    assert_eq!(
        params(&team.authorization_url()),
        expected(&[("team", TEAM)])
    );
}

#[tokio::test]
async fn sign_in_verifies_the_id_token_and_reads_slack_s_claims() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let user_info = server
        .mock("GET", "/api/openid.connect.userInfo")
        .expect(0)
        .create_async()
        .await;
    let client = client(&server, Slack::new());
    let auth = client.authorization_url();
    let signer = Signer::rsa_1();
    let id_token = signer.sign(&claims(auth.pending.nonce().unwrap(), &signer));
    let token = mock_token(&mut server, &token_response(&id_token)).await;

    let session = client
        .validate_callback(&callback_for(&auth, CODE), &auth.pending)
        .await
        .unwrap();
    token.assert_async().await;
    jwks.assert_async().await;
    user_info.assert_async().await;

    assert_eq!(session.provider_user_id, SUB);
    assert_eq!(session.key().to_string(), "slack:U0R7MFMJM");
    let user = &session.provider_user;
    assert_eq!(user.team_id, TEAM);
    assert_eq!(user.user_id, SUB);
    assert_eq!(user.team_domain.as_deref(), Some("kraneflannel"));
    assert_eq!(user.date_email_verified, Some(1622128723));
    assert_eq!(
        user.user_image_192.as_deref(),
        Some("https://secure.gravatar.com/avatar/bc.png?s=192")
    );
    assert_eq!(
        user.team_image_230.as_deref(),
        Some("https://a.slack-edge.com/team_230.png")
    );
    assert_eq!(user.team_image_default, Some(true));
    assert_eq!(user.claims.keys().collect::<Vec<_>>(), ["auth_time"]);

    let profile = session.profile();
    assert_eq!(profile.name.as_deref(), Some("brent"));
    assert_eq!(profile.username, None);
    assert_eq!(profile.verified_email(), Some("bront@slack-corp.com"));
    assert_eq!(
        profile.avatar_url.as_deref(),
        Some("https://secure.gravatar.com/avatar/bc.png?s=512")
    );
    assert_eq!(session.tokens.extra()["ok"], json!(true));
}

#[tokio::test]
async fn slack_s_errors_with_http_200_are_oauth_errors() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 0).await;
    let client = client(&server, Slack::new());
    for code in ["invalid_code", "bad_redirect_uri", "bad_client_secret"] {
        let auth = client.authorization_url();
        let token = mock_token(&mut server, &json!({"ok": false, "error": code})).await;
        let err = client
            .validate_callback(&callback_for(&auth, CODE), &auth.pending)
            .await
            .unwrap_err();
        token.assert_async().await;
        expect::assert_oauth_error(&err, Phase::TokenExchange, 200, code, None);
    }
    jwks.assert_async().await;
}

#[tokio::test]
async fn wrong_audience_issuer_and_nonce_each_fail() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;

    let e = id_token_error(
        sign_in_with(&mut server, Slack::new(), |c| {
            c["aud"] = json!("25259531569.9999999999")
        })
        .await,
    );
    assert_eq!(e, IdTokenError::Audience);

    let e = id_token_error(
        sign_in_with(&mut server, Slack::new(), |c| {
            c["iss"] = json!("https://slack.com/")
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Issuer {
            expected: "https://slack.com".to_owned(),
            found: "https://slack.com/".to_owned()
        }
    );

    let e = id_token_error(
        sign_in_with(&mut server, Slack::new(), |c| c["nonce"] = json!("abcd")).await,
    );
    assert_eq!(e, IdTokenError::Nonce);

    let e = id_token_error(
        sign_in_with(&mut server, Slack::new(), |c| {
            c["at_hash"] = json!("tUbyWGBHe0V32FJEupkgVQ")
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "at_hash".to_owned()
        }
    );
}

#[tokio::test]
async fn a_team_restricts_sign_in_to_its_workspace() {
    let mut server = Server::new_async().await;
    let _jwks = mock_jwks(&mut server, 1).await;

    let session = sign_in_with(&mut server, Slack::new().team(TEAM), |_| {})
        .await
        .unwrap();
    assert_eq!(session.provider_user.team_id, TEAM);

    let e = id_token_error(
        sign_in_with(&mut server, Slack::new().team(TEAM), |c| {
            c["https://slack.com/team_id"] = json!("T0THERTEAM")
        })
        .await,
    );
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "https://slack.com/team_id".to_owned()
        }
    );

    // Without `team`, any workspace.
    let session = sign_in_with(&mut server, Slack::new(), |c| {
        c["https://slack.com/team_id"] = json!("T0THERTEAM")
    })
    .await
    .unwrap();
    assert_eq!(session.provider_user.team_id, "T0THERTEAM");
}

#[test]
fn email_verified_is_slack_s_word() {
    let user = |verified: Value| {
        serde_json::from_value::<SlackUser>(json!({
            "sub": SUB, "https://slack.com/user_id": SUB, "https://slack.com/team_id": TEAM,
            "email": "bront@slack-corp.com", "email_verified": verified,
        }))
    };
    assert!(user(json!(true)).unwrap().profile().email_verified);
    assert!(user(json!("true")).unwrap().profile().email_verified);
    assert!(!user(json!(false)).unwrap().profile().email_verified);
    assert!(!user(Value::Null).unwrap().profile().email_verified);
    assert!(user(json!("1")).is_err());

    // Without the `profile` scope: no names, no picture.
    let u = user(json!(true)).unwrap();
    assert_eq!(u.profile().name, None);
    assert_eq!(u.profile().avatar_url, None);
    let back: SlackUser = serde_json::from_value(serde_json::to_value(&u).unwrap()).unwrap();
    assert_eq!(back, u);

    // The workspace claims are required: a token without them is not Slack's.
    assert!(
        serde_json::from_value::<SlackUser>(json!({"sub": SUB, "https://slack.com/user_id": SUB}))
            .is_err()
    );
}

#[tokio::test]
async fn refresh_with_token_rotation_and_its_errors() {
    let mut server = Server::new_async().await;
    let client = client(&server, Slack::new());
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "xoxe-1-abcdefg"),
    ];
    let refresh = expect::token_request(&mut server, TOKEN_PATH, CREDENTIALS, &form)
        .reply(
            200,
            SLACK_JSON,
            json!({"ok": true, "access_token": "xoxe.xoxp-1-fresh", "token_type": "Bearer",
                   "refresh_token": "xoxe-1-rotated", "expires_in": 43200})
            .to_string(),
        )
        .await;
    let tokens = client
        .refresh(&RefreshToken::new("xoxe-1-abcdefg".to_owned()))
        .await
        .unwrap();
    refresh.assert_async().await;
    assert_eq!(tokens.access_token().secret(), "xoxe.xoxp-1-fresh");
    assert_eq!(tokens.refresh_token().unwrap().secret(), "xoxe-1-rotated");
    assert_eq!(tokens.expires_in().unwrap().as_secs(), 43200);

    server
        .mock("POST", TOKEN_PATH)
        .with_status(200)
        .with_header("content-type", SLACK_JSON)
        .with_body(r#"{"ok":false,"error":"invalid_refresh_token"}"#)
        .create_async()
        .await;
    let err = client
        .refresh(&RefreshToken::new("xoxe-1-revoked".to_owned()))
        .await
        .unwrap_err();
    expect::assert_oauth_error(&err, Phase::Refresh, 200, "invalid_refresh_token", None);
    assert!(!err.to_string().contains("xoxe-1-revoked"));
}

#[tokio::test]
async fn an_id_token_from_a_refresh_is_verified() {
    let mut server = Server::new_async().await;
    let jwks = mock_jwks(&mut server, 1).await;
    let client = client(&server, Slack::new().team(TEAM));
    let signer = Signer::rsa_1();
    let access_token = "xoxe.xoxp-1-fresh";
    // A refreshed ID token has no nonce (OpenID Connect Core 1.0 §12.2); its `at_hash`
    // is the new access token's.
    let mut fresh = claims("unused", &signer);
    fresh.as_object_mut().unwrap().remove("nonce");
    fresh["at_hash"] = json!(signer.at_hash(access_token));
    let form = [
        ("grant_type", "refresh_token"),
        ("refresh_token", "xoxe-1-abcdefg"),
    ];
    let refresh_with = async |server: &mut Server, id_token: &str| {
        let body = json!({"ok": true, "access_token": access_token, "token_type": "Bearer",
                          "refresh_token": "xoxe-1-rotated", "expires_in": 43200,
                          "id_token": id_token});
        let mock = expect::token_request(server, TOKEN_PATH, CREDENTIALS, &form)
            .reply(200, SLACK_JSON, body.to_string())
            .await;
        let result = client
            .refresh(&RefreshToken::new("xoxe-1-abcdefg".to_owned()))
            .await;
        mock.assert_async().await;
        result
    };

    let id_token = signer.sign(&fresh);
    let tokens = refresh_with(&mut server, &id_token).await.unwrap();
    assert_eq!(tokens.id_token().unwrap().secret(), &id_token);

    let mut other_app = fresh.clone();
    other_app["aud"] = json!("25259531569.9999999999");
    let e = id_token_error(refresh_with(&mut server, &signer.sign(&other_app)).await);
    assert_eq!(e, IdTokenError::Audience);

    let mut someone_else = fresh.clone();
    someone_else["sub"] = json!("U0THERUSER");
    someone_else["https://slack.com/user_id"] = json!("U0THERUSER");
    someone_else["email"] = json!("mallory@slack-corp.com");
    let e = id_token_error(refresh_with(&mut server, &tamper(&id_token, &someone_else)).await);
    assert_eq!(e, IdTokenError::Signature);

    // Signed by Slack, but of another workspace than `team`: refused as at sign-in.
    let mut other_team = fresh.clone();
    other_team["https://slack.com/team_id"] = json!("T0THERTEAM");
    let e = id_token_error(refresh_with(&mut server, &signer.sign(&other_team)).await);
    assert_eq!(
        e,
        IdTokenError::Claim {
            claim: "https://slack.com/team_id".to_owned()
        }
    );
    jwks.assert_async().await;
}
