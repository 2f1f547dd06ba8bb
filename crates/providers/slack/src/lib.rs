//! Sign in with Slack for [Portcullis](portcullis): Slack's OpenID Connect flavour
//! ("Sign in with Slack"), with the ID token verified.
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_slack::Slack;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let slack = OAuthClient::new(
//!     // Only members of this workspace may sign in (optional).
//!     Slack::new().team("T0R7GR0SE"),
//!     ClientConfig::new("25259531569.1115258246291", "client-secret")
//!         .redirect_uri("https://app.example/login/slack/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = slack.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` (encrypted cookie) until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * Sign in with Slack's OpenID Connect endpoints: `https://slack.com/openid/connect/authorize`
//!   and the token method `https://slack.com/api/openid.connect.token`; issuer
//!   `https://slack.com`, keys at `https://slack.com/openid/connect/keys`, RS256 (all as
//!   in Slack's discovery document). Not the `identity.*` scopes of legacy Sign in with
//!   Slack, nor `oauth.v2.access` for bot installs.
//! * Scopes `openid profile email` always: Slack documents the three as the scopes of
//!   Sign in with Slack. Lucia asked for `openid profile`, so it got no email.
//! * A `nonce`, checked in the ID token (Lucia sent one and never checked it). No PKCE:
//!   Slack supports it only for apps switched to public clients in their settings, a
//!   one-way change (Lucia and Arctic send none either). The client secret goes in the
//!   form body, as Lucia did.
//! * **Errors with HTTP 200.** Slack's Web API answers failures with `200
//!   {"ok":false,"error":"invalid_code"}`. Portcullis treats any 200 JSON body with a
//!   string `error` and no `access_token` as an OAuth error, so a refused code is a
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth) with status 200
//!   and Slack's code (`invalid_code`, `bad_redirect_uri`, `bad_client_secret`, …).
//!   Lucia let these through and failed later on the user request.
//! * **The ID token is verified** (signature with Slack's keys, `iss`, `aud`, `exp`,
//!   `iat`, `nonce`, `at_hash`) and the user is read from it. Slack puts the whole
//!   profile in it — email, name, picture, workspace — so the
//!   `openid.connect.userInfo` method (which Lucia called, with its errors-as-200
//!   problem) is not called: one request less per sign-in. Call it with the access
//!   token for fresher data later.
//! * The provider user id is `sub`, the Slack user id (`U0R7MFMJM`), as Lucia. A person
//!   has a different user id in each workspace: two workspaces are two identities.
//!   `email_verified` is the ID token's claim, true only when Slack says `true`.
//! * [`Slack::team`] sends `team` (Slack signs the user straight into that workspace if
//!   they already have a session there) **and** refuses users of other workspaces: the
//!   parameter alone is only a hint.
//! * No `iss` check on the callback: Slack's discovery document does not advertise
//!   `authorization_response_iss_parameter_supported`.
//! * Refresh ([`Refresh`]) for apps with token rotation on, through the same
//!   `openid.connect.token` method (`grant_type=refresh_token`). An ID token in a refresh
//!   response is verified as a sign-in's, without the `nonce`, and must be of the
//!   [`Slack::team`] workspace if one is set. No revocation: Slack's
//!   `auth.revoke` is not RFC 7009 (it takes the token as bearer and answers
//!   `{"ok":true,"revoked":true}`).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, IdTokenError, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Refresh,
    Refreshed, UserRequest,
};
use portcullis_oidc::{Algorithm, IdTokenVerifier, Jwks, claims};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Slack's issuer identifier.
const ISSUER: &str = "https://slack.com";
/// Where Slack publishes its signing keys.
const JWKS_URL: &str = "https://slack.com/openid/connect/keys";
/// The ID token claim naming the user's workspace.
const TEAM_ID_CLAIM: &str = "https://slack.com/team_id";

/// The Slack provider ("Sign in with Slack"), with the verifier of Slack's ID tokens
/// and its key set cache (shared by clones).
#[derive(Debug, Clone)]
pub struct Slack {
    team: Option<String>,
    verifier: IdTokenVerifier,
}

impl Default for Slack {
    fn default() -> Self {
        Slack::new()
    }
}

impl Slack {
    /// Sign in with Slack, any workspace.
    pub fn new() -> Self {
        let jwks = Jwks::new(
            JWKS_URL
                .parse()
                .unwrap_or_else(|e| unreachable!("{JWKS_URL} is a URL: {e}")),
        );
        Slack {
            team: None,
            verifier: IdTokenVerifier::new(ISSUER, jwks).algorithms([Algorithm::Rs256]),
        }
    }

    /// Only members of the workspace `team_id` (`T0R7GR0SE`) may sign in: sends
    /// `team=…` with the authorization request, so Slack skips the workspace picker for
    /// a user already signed in there, and refuses an ID token whose
    /// `https://slack.com/team_id` is another
    /// ([`IdTokenError::Claim`] naming that claim).
    #[must_use]
    pub fn team(mut self, team_id: impl Into<String>) -> Self {
        self.team = Some(team_id.into());
        self
    }

    /// Uses another key set cache: Slack's keys through a proxy, a pre-warmed cache, or
    /// a mock in tests. Tokens must still be Slack's (`iss` `https://slack.com`).
    #[must_use]
    pub fn jwks(mut self, jwks: Jwks) -> Self {
        self.verifier = IdTokenVerifier::new(ISSUER, jwks).algorithms([Algorithm::Rs256]);
        self
    }

    /// The ID-token verifier, with Slack's key set cache: to warm the cache at start-up
    /// (`verifier().jwks().load(…)`).
    pub fn verifier(&self) -> &IdTokenVerifier {
        &self.verifier
    }

    /// Refuses an ID token of another workspace than [`team`](Self::team)'s, if set.
    fn check_team(&self, team_id: Option<&str>) -> Result<(), Error> {
        match &self.team {
            Some(team) if team_id != Some(team.as_str()) => Err(IdTokenError::Claim {
                claim: TEAM_ID_CLAIM.to_owned(),
            }
            .into()),
            _ => Ok(()),
        }
    }
}

impl Provider for Slack {
    type User = SlackUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "slack",
        name: "Slack",
        authorization_url: "https://slack.com/openid/connect/authorize",
        token_url: "https://slack.com/api/openid.connect.token",
        revocation_url: None,
        userinfo_url: None,
        issuer: None,
        default_scopes: &["openid", "profile", "email"],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "sub",
        email_verified_source: "the verified ID token's `email_verified` claim (scope `email`), true only when Slack says true",
        docs_url: "https://api.slack.com/authentication/sign-in-with-slack",
    };

    fn authorization_params(&self) -> Vec<(&'static str, String)> {
        self.team
            .iter()
            .map(|team| ("team", team.clone()))
            .collect()
    }

    /// Verifies the ID token, reads the user from it and checks its workspace.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<SlackUser, Error> {
        let token = self.verifier.verify_user_request(&request).await?;
        let mut user: SlackUser = token.deserialize()?;
        self.check_team(Some(&user.team_id))?;
        claims::remove_token_claims(&mut user.claims);
        Ok(user)
    }
}

/// Refresh for apps with token rotation on: `openid.connect.token` with
/// `grant_type=refresh_token`. A new ID token is verified as a sign-in's, without the
/// `nonce`, and checked against [`Slack::team`].
impl Refresh for Slack {
    async fn check_refreshed(&self, refreshed: Refreshed<'_>) -> Result<(), Error> {
        match self.verifier.verify_refreshed(&refreshed).await? {
            Some(token) => self.check_team(token.claim(TEAM_ID_CLAIM).and_then(Value::as_str)),
            None => Ok(()),
        }
    }
}

/// A Slack user: the claims of the verified ID token (Slack's `openid.connect.token`
/// documentation). `email`, `email_verified` and `date_email_verified` need the `email`
/// scope; the names, pictures and workspace details need `profile`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct SlackUser {
    /// The Slack user id (`U0R7MFMJM`; `W…` for Enterprise Grid users): one per
    /// workspace a person belongs to. The provider user id.
    pub sub: String,
    /// The user id again (`https://slack.com/user_id`).
    #[serde(rename = "https://slack.com/user_id")]
    pub user_id: String,
    /// The workspace the user signed in to (`https://slack.com/team_id`, `T0R7GR0SE`).
    #[serde(rename = "https://slack.com/team_id")]
    pub team_id: String,
    /// The email address of the Slack account.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub email: Option<String>,
    /// Whether Slack verified `email`: a boolean or `"true"`/`"false"`; anything else
    /// fails the sign-in.
    #[serde(
        default,
        deserialize_with = "claims::lenient_bool",
        skip_serializing_if = "Option::is_none"
    )]
    pub email_verified: Option<bool>,
    /// When the email was verified, in seconds since the epoch.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub date_email_verified: Option<u64>,
    /// The display name (`name`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The given name; Slack often sends `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub given_name: Option<String>,
    /// The family name; Slack often sends `""`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub family_name: Option<String>,
    /// The profile picture URL.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub picture: Option<String>,
    /// The locale, e.g. `en-US`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub locale: Option<String>,
    /// The workspace's name (`https://slack.com/team_name`).
    #[serde(
        default,
        rename = "https://slack.com/team_name",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_name: Option<String>,
    /// The workspace's subdomain (`https://slack.com/team_domain`): `acme` for
    /// `acme.slack.com`.
    #[serde(
        default,
        rename = "https://slack.com/team_domain",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_domain: Option<String>,
    /// The user's picture, 24×24 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_24",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_24: Option<String>,
    /// The user's picture, 32×32 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_32",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_32: Option<String>,
    /// The user's picture, 48×48 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_48",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_48: Option<String>,
    /// The user's picture, 72×72 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_72",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_72: Option<String>,
    /// The user's picture, 192×192 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_192",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_192: Option<String>,
    /// The user's picture, 512×512 pixels.
    #[serde(
        default,
        rename = "https://slack.com/user_image_512",
        skip_serializing_if = "Option::is_none"
    )]
    pub user_image_512: Option<String>,
    /// The workspace's icon, 34×34 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_34",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_34: Option<String>,
    /// The workspace's icon, 44×44 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_44",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_44: Option<String>,
    /// The workspace's icon, 68×68 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_68",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_68: Option<String>,
    /// The workspace's icon, 88×88 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_88",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_88: Option<String>,
    /// The workspace's icon, 102×102 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_102",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_102: Option<String>,
    /// The workspace's icon, 132×132 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_132",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_132: Option<String>,
    /// The workspace's icon, 230×230 pixels.
    #[serde(
        default,
        rename = "https://slack.com/team_image_230",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_230: Option<String>,
    /// Whether the workspace has Slack's default icon rather than its own.
    #[serde(
        default,
        rename = "https://slack.com/team_image_default",
        skip_serializing_if = "Option::is_none"
    )]
    pub team_image_default: Option<bool>,
    /// Every other claim about the user (`auth_time`, Enterprise Grid claims, claims
    /// Slack adds later). The token's own claims (`iss`, `aud`, `exp`, `nonce`, …) are
    /// left out.
    #[serde(flatten)]
    pub claims: Map<String, Value>,
}

impl SlackUser {
    /// The email, only if Slack says it is verified.
    pub fn verified_email(&self) -> Option<&str> {
        self.email
            .as_deref()
            .filter(|_| self.email_verified == Some(true))
    }
}

impl ProviderUser for SlackUser {
    fn provider_user_id(&self) -> String {
        self.sub.clone()
    }

    fn profile(&self) -> Profile {
        let name = claims::full_name(
            self.name.as_deref(),
            self.given_name.as_deref(),
            self.family_name.as_deref(),
        );
        Profile::new(self.provider_user_id())
            .with_name(name)
            .with_email(self.email.clone(), self.email_verified == Some(true))
            .with_avatar_url(self.picture.clone().filter(|picture| !picture.is_empty()))
    }
}
