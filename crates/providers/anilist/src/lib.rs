//! Sign in with AniList for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_anilist::AniList;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let anilist = OAuthClient::new(
//!     AniList::new(),
//!     ClientConfig::new("client-id", "client-secret")
//!         .redirect_uri("https://app.example/login/anilist/callback".parse()?),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = anilist.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * No scopes: AniList does not support them ("Access tokens provide (almost) full
//!   access to a user's data"), so no `scope` parameter is sent. Scopes an app adds
//!   would be sent, and mean nothing to AniList.
//! * No PKCE: AniList's documentation of the Authorization Code Grant names only
//!   `client_id`, `redirect_uri` and `response_type`. Without PKCE a public client
//!   ([`ClientConfig::public`](portcullis::ClientConfig::public)) is refused: AniList's
//!   code exchange needs the client secret. (AniList's secretless flow is the Implicit
//!   Grant, which Portcullis does not do.)
//! * Client authentication with `client_id` and `client_secret` in the token request's
//!   body, as AniList documents them. AniList's examples send that body as JSON; it is
//!   sent form-encoded, as RFC 6749 §4.1.3 says and as Arctic sends it.
//! * A redirect URI is required: AniList requires `redirect_uri` on the authorization
//!   URL and in the token request, exactly as registered for the application.
//! * Access tokens are JWTs valid for one year (`expires_in: 31536000`). No refresh:
//!   "Refresh tokens are not currently supported" — when a token expires, the user signs
//!   in again. No revocation endpoint is documented.
//! * The user comes from AniList's GraphQL API: a **`POST`** to
//!   `https://graphql.anilist.co` with a JSON body querying `Viewer`, the authenticated
//!   user. No REST user endpoint exists.
//! * The provider user id is the viewer's `id`, an integer — never `name`, which is the
//!   user's username and can be changed (AniList keeps `previousNames`).
//! * `email_verified` is always false, and the profile has no email: AniList's `User`
//!   type has no email field.
//! * Token errors are RFC 6749 error objects (`{"error": "invalid_grant", …}`) and come
//!   back as [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth).
//! * GraphQL errors: AniList answers a refused token or a rate limit with a non-2xx
//!   status and `{"data": null, "errors": [{"message": "…", "status": …}]}`; that comes
//!   back as
//!   [`RequestErrorKind::UnexpectedResponse`](portcullis::RequestErrorKind::UnexpectedResponse)
//!   with an excerpt holding the message. AniList warns that errors may also come with
//!   HTTP 200: with `"data": null` the sign-in fails with
//!   [`RequestErrorKind::InvalidResponse`](portcullis::RequestErrorKind::InvalidResponse)
//!   naming `data`. Known gap: the GraphQL message is then not kept, because a provider
//!   crate cannot build a request error of its own.
//! * Rate limits: 90 requests a minute (30 while AniList's API is degraded). A 429
//!   keeps AniList's `Retry-After`:
//!   [`RequestError::retry_after`](portcullis::RequestError::retry_after).

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Error, Method, Pkce, Profile, Provider, ProviderInfo, ProviderUser, UserRequest,
};
use serde::{Deserialize, Serialize};

/// The GraphQL query for the signed-in user: every field of [`AniListUser`].
const VIEWER_QUERY: &str = "query Viewer { Viewer { id name about avatar { large medium } bannerImage siteUrl createdAt updatedAt } }";

/// The AniList provider.
#[derive(Debug, Clone, Default)]
#[non_exhaustive]
pub struct AniList {}

impl AniList {
    /// AniList (`anilist.co`).
    pub fn new() -> Self {
        AniList::default()
    }
}

impl Provider for AniList {
    type User = AniListUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "anilist",
        name: "AniList",
        authorization_url: "https://anilist.co/api/v2/oauth/authorize",
        token_url: "https://anilist.co/api/v2/oauth/token",
        revocation_url: None,
        userinfo_url: Some("https://graphql.anilist.co"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::None,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "Viewer.id",
        email_verified_source: "never: AniList's `User` has no email",
        docs_url: "https://docs.anilist.co/guide/auth/authorization-code",
    };

    /// `Viewer` from AniList's GraphQL API.
    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<AniListUser, Error> {
        let query = serde_json::json!({ "query": VIEWER_QUERY });
        let response: ViewerResponse = request
            .request(Method::POST, request.userinfo_url()?.clone())
            .json_body(&query)
            .send()
            .await?;
        Ok(response.data.viewer)
    }
}

/// The GraphQL response to [`VIEWER_QUERY`]. Without `data` (GraphQL errors sent with
/// HTTP 200) it does not parse, naming `data`.
#[derive(Deserialize)]
struct ViewerResponse {
    data: ViewerData,
}

#[derive(Deserialize)]
struct ViewerData {
    #[serde(rename = "Viewer")]
    viewer: AniListUser,
}

/// An AniList user: the `User` object of [AniList's GraphQL
/// API](https://docs.anilist.co/reference/object/user), as its `Viewer` query returns
/// the authenticated user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct AniListUser {
    /// The id of the user, an integer. The provider user id.
    pub id: u64,
    /// The name of the user: their username, unique on AniList; users can change it.
    pub name: String,
    /// The bio written by the user (Markdown).
    #[serde(default)]
    pub about: Option<String>,
    /// The user's avatar images.
    #[serde(default)]
    pub avatar: Option<AniListAvatar>,
    /// The user's banner image (a URL).
    #[serde(default)]
    pub banner_image: Option<String>,
    /// The URL of the user's page on the AniList website.
    #[serde(default)]
    pub site_url: Option<String>,
    /// When the user's account was created (Unix seconds). Absent for accounts created
    /// before 2020.
    #[serde(default)]
    pub created_at: Option<i64>,
    /// When the user's data was last updated (Unix seconds).
    #[serde(default)]
    pub updated_at: Option<i64>,
}

/// The `avatar` of an [`AniListUser`] (`UserAvatar`): the same image in two sizes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct AniListAvatar {
    /// The avatar of the user at its largest size.
    #[serde(default)]
    pub large: Option<String>,
    /// The avatar of the user at medium size.
    #[serde(default)]
    pub medium: Option<String>,
}

impl ProviderUser for AniListUser {
    fn provider_user_id(&self) -> String {
        self.id.to_string()
    }

    fn profile(&self) -> Profile {
        let name = Some(self.name.clone());
        let avatar = self
            .avatar
            .as_ref()
            .and_then(|avatar| {
                Profile::non_blank(avatar.large.as_deref())
                    .or(Profile::non_blank(avatar.medium.as_deref()))
            })
            .map(str::to_owned);
        // AniList has one name per user, its username.
        Profile::new(self.provider_user_id())
            .with_name(name.clone())
            .with_username(name)
            .with_avatar_url(avatar)
    }
}
