//! Sign in with Facebook for [Portcullis](portcullis).
//!
//! ```no_run
//! use portcullis::{ClientConfig, MemoryAdapter, OAuthClient, OAuthProvider};
//! use portcullis_facebook::Facebook;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let facebook = OAuthClient::new(
//!     Facebook::new(),
//!     ClientConfig::new("app-id", "app-secret")
//!         .redirect_uri("https://app.example/login/facebook/callback".parse()?)
//!         .scope("email"),
//!     MemoryAdapter::<String>::new(),
//! )?;
//! let auth = facebook.authorization_url();
//! // Redirect to `auth.url`, keep `auth.pending` until the callback.
//! # Ok(()) }
//! ```
//!
//! # What this provider does
//!
//! * The Graph API version is part of every URL and configurable:
//!   [`Facebook::api_version`]. The default is the current version, `v27.0` (released
//!   November 2026), for the login dialog
//!   (`https://www.facebook.com/v27.0/dialog/oauth`), the token endpoint
//!   (`https://graph.facebook.com/v27.0/oauth/access_token`) **and** the user request.
//!   Lucia pinned `v16.0` — no longer available since May 2025 — for the first two and
//!   called the unversioned `https://graph.facebook.com/me` for the user.
//! * The user is `GET /{version}/me?fields=…` with the token as a bearer token, never in
//!   the query string (Lucia sent it in both). The default `fields` are
//!   `id,name,first_name,last_name,email,picture`; [`Facebook::fields`] adds more, which
//!   land in [`FacebookUser::extra`]. Lucia asked for `id,name,picture,email`.
//! * No default scope: `public_profile` is granted to every app, and it is all that is
//!   needed to identify the user. Add `email` (as above) to get the address.
//! * The email is optional even with the `email` permission: Facebook leaves it out when
//!   the account has none it can use (for example accounts registered with a phone
//!   number). **`email_verified` is always false**: the Graph API documents no
//!   verification flag for `email`, so Portcullis gives no guarantee that the address
//!   belongs to the user.
//! * The provider user id is `id`, an app-scoped id: stable for this app, but different
//!   for the same person in another app (unless the apps share a Meta business).
//! * PKCE (S256): Facebook documents it for manually built login flows ("OIDC Code Flow
//!   with PKCE", which Facebook still marks as in testing). Lucia and Arctic send none.
//! * The code exchange is a form `POST` with `client_secret` in the body. Facebook's
//!   guide shows a `GET` with the same parameters in the query string (as Lucia 1.x
//!   sent it); the `POST` keeps the secret and the code out of URLs and logs, and is what
//!   Lucia 2.x and 3.x send. A redirect URI is required: Facebook checks that it matches
//!   the login dialog's.
//! * Facebook answers errors in the Graph API's own shape
//!   (`{"error":{"message":…,"type":"OAuthException","code":100,…}}`), not RFC 6749's.
//!   The core reads that shape too: they come back as
//!   [`RequestErrorKind::OAuth`](portcullis::RequestErrorKind::OAuth) with the `type` as
//!   the error code (`OAuthException`) and the `message` as its description.
//! * No refresh: Facebook issues no refresh tokens (it has its own "long-lived token"
//!   exchange instead). No revocation: Facebook revokes with
//!   `DELETE /{user-id}/permissions`, not RFC 7009, so [`Revoke`](portcullis::Revoke) is
//!   not implemented.
//! * Apps that turned on "Require App Secret" in the app dashboard must send an
//!   `appsecret_proof` with every Graph API call; this crate does not, so leave that
//!   setting off.

#![forbid(unsafe_code)]

use portcullis::{
    ClientAuth, Endpoints, Error, Pkce, Profile, Provider, ProviderInfo, ProviderUser, Url,
    UserRequest,
};
use serde::{Deserialize, Serialize};

/// The Graph API version used unless [`Facebook::api_version`] says otherwise.
pub const DEFAULT_API_VERSION: &str = "v27.0";

/// The user fields always requested.
const DEFAULT_FIELDS: &[&str] = &["id", "name", "first_name", "last_name", "email", "picture"];

/// The Facebook provider.
#[derive(Debug, Clone)]
pub struct Facebook {
    version: String,
    fields: Vec<String>,
}

impl Default for Facebook {
    fn default() -> Self {
        Facebook {
            version: DEFAULT_API_VERSION.to_owned(),
            fields: Vec::new(),
        }
    }
}

impl Facebook {
    /// Facebook with the current Graph API version, [`DEFAULT_API_VERSION`].
    pub fn new() -> Self {
        Facebook::default()
    }

    /// Uses another Graph API version (`"v25.0"`) for the login dialog, the token
    /// endpoint and the user request — for an app that has not been tested against the
    /// current version yet.
    ///
    /// # Panics
    ///
    /// If `version` is not of the form `v<major>.<minor>`.
    #[must_use]
    pub fn api_version(mut self, version: &str) -> Self {
        assert!(
            is_api_version(version),
            "a Graph API version looks like `v27.0`, not `{version}`"
        );
        self.version = version.to_owned();
        self
    }

    /// Requests more user fields (`"birthday"`, `"link"`, `"picture.type(large)"`…) on
    /// top of `id,name,first_name,last_name,email,picture`; their values are in
    /// [`FacebookUser::extra`]. Most need a permission, requested with
    /// [`ClientConfig::scope`](portcullis::ClientConfig::scope).
    #[must_use]
    pub fn fields<I, S>(mut self, fields: I) -> Self
    where
        I: IntoIterator<Item = S>,
        S: Into<String>,
    {
        for field in fields {
            let field = field.into();
            if !DEFAULT_FIELDS.contains(&field.as_str()) && !self.fields.contains(&field) {
                self.fields.push(field);
            }
        }
        self
    }

    /// The `fields` parameter of the user request.
    fn fields_param(&self) -> String {
        DEFAULT_FIELDS
            .iter()
            .copied()
            .chain(self.fields.iter().map(String::as_str))
            .collect::<Vec<_>>()
            .join(",")
    }
}

fn is_api_version(version: &str) -> bool {
    let Some((major, minor)) = version
        .strip_prefix('v')
        .and_then(|rest| rest.split_once('.'))
    else {
        return false;
    };
    let digits = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit());
    digits(major) && digits(minor)
}

impl Provider for Facebook {
    type User = FacebookUser;

    const INFO: ProviderInfo = ProviderInfo {
        id: "facebook",
        name: "Facebook",
        authorization_url: "https://www.facebook.com/v27.0/dialog/oauth",
        token_url: "https://graph.facebook.com/v27.0/oauth/access_token",
        revocation_url: None,
        userinfo_url: Some("https://graph.facebook.com/v27.0/me"),
        issuer: None,
        default_scopes: &[],
        scope_delimiter: " ",
        pkce: Pkce::S256,
        client_auth: ClientAuth::RequestBody,
        requires_redirect_uri: true,
        user_id_field: "id",
        email_verified_source: "never: Facebook gives no such guarantee (the Graph API has no verification flag for `email`)",
        docs_url: "https://developers.facebook.com/documentation/facebook-login/guides/advanced/manual-flow",
    };

    fn endpoints(&self) -> Endpoints {
        let version = &self.version;
        // The version was checked by `api_version`: these always parse.
        let url = |url: String| Url::parse(&url).expect("a valid Facebook URL");
        Endpoints {
            authorization: url(format!("https://www.facebook.com/{version}/dialog/oauth")),
            token: url(format!(
                "https://graph.facebook.com/{version}/oauth/access_token"
            )),
            revocation: None,
            userinfo: Some(url(format!("https://graph.facebook.com/{version}/me"))),
            issuer: None,
            issuer_required: false,
        }
    }

    async fn fetch_user(&self, request: UserRequest<'_>) -> Result<FacebookUser, Error> {
        let fields = self.fields_param();
        request
            .get(request.userinfo_url()?.clone())
            .query(&[("fields", fields.as_str())])
            .send()
            .await
    }
}

/// A Facebook user: the [User node](https://developers.facebook.com/docs/graph-api/reference/user/)
/// from `GET /me` with the requested `fields`.
///
/// Facebook sends only the fields that were asked for and that the granted permissions
/// allow: `email` needs the `email` permission; the names and `picture` come with
/// `public_profile`, which every app has.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FacebookUser {
    /// The app-scoped user id: stable for this app, different in other apps. The
    /// provider user id.
    pub id: String,
    /// The full name.
    #[serde(default)]
    pub name: Option<String>,
    /// The first name.
    #[serde(default)]
    pub first_name: Option<String>,
    /// The middle name (only when requested with [`Facebook::fields`]).
    #[serde(default)]
    pub middle_name: Option<String>,
    /// The last name.
    #[serde(default)]
    pub last_name: Option<String>,
    /// The short name, e.g. the first name (only when requested with
    /// [`Facebook::fields`]).
    #[serde(default)]
    pub short_name: Option<String>,
    /// The primary email address, with the `email` permission and only if the account
    /// has a usable one. Facebook does not say whether it was verified.
    #[serde(default)]
    pub email: Option<String>,
    /// The profile picture.
    #[serde(default)]
    pub picture: Option<FacebookPicture>,
    /// Every other field, as Facebook sent it: those added with [`Facebook::fields`].
    #[serde(flatten)]
    pub extra: serde_json::Map<String, serde_json::Value>,
}

/// The `picture` field: Facebook wraps the picture in `data`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FacebookPicture {
    /// The picture itself.
    pub data: FacebookPictureData,
}

/// A [profile picture source](https://developers.facebook.com/docs/graph-api/reference/profile-picture-source/).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[non_exhaustive]
pub struct FacebookPictureData {
    /// The picture's URL.
    #[serde(default)]
    pub url: Option<String>,
    /// The width in pixels.
    #[serde(default)]
    pub width: Option<u32>,
    /// The height in pixels.
    #[serde(default)]
    pub height: Option<u32>,
    /// Whether this is Facebook's default silhouette rather than a picture the user set.
    #[serde(default)]
    pub is_silhouette: Option<bool>,
}

impl FacebookUser {
    /// The profile picture's URL, if Facebook sent one.
    pub fn picture_url(&self) -> Option<&str> {
        self.picture.as_ref()?.data.url.as_deref()
    }
}

impl ProviderUser for FacebookUser {
    fn provider_user_id(&self) -> String {
        self.id.clone()
    }

    fn profile(&self) -> Profile {
        let name = self.name.clone().or_else(|| {
            let parts: Vec<&str> = [self.first_name.as_deref(), self.last_name.as_deref()]
                .into_iter()
                .flatten()
                .collect();
            (!parts.is_empty()).then(|| parts.join(" "))
        });
        Profile::new(self.provider_user_id())
            .with_name(name)
            // Facebook documents no verification flag for `email`.
            .with_email(self.email.clone(), false)
            .with_avatar_url(self.picture_url().map(str::to_owned))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_versions_are_checked() {
        for ok in ["v27.0", "v2.12", "v100.1"] {
            assert!(is_api_version(ok), "{ok}");
        }
        for bad in [
            "27.0",
            "v27",
            "v27.",
            "v.0",
            "v27.0/../x",
            "v27.0.1",
            "",
            "latest",
        ] {
            assert!(!is_api_version(bad), "{bad}");
        }
    }

    #[test]
    fn fields_are_deduplicated() {
        let facebook = Facebook::new().fields(["email", "birthday", "birthday", "link"]);
        assert_eq!(
            facebook.fields_param(),
            "id,name,first_name,last_name,email,picture,birthday,link"
        );
    }
}
