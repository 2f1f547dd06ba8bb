//! Providers with their user type erased, so an app can keep every provider it
//! configured in one registry: [`DynOAuthProvider`] and [`AnyUser`].

use std::pin::Pin;
use std::sync::Arc;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::adapter::UserAdapter;
use crate::authorization::{AuthorizationUrl, PendingAuthorization};
use crate::callback::CallbackParams;
use crate::client::OAuthProvider;
use crate::error::Error;
use crate::profile::Profile;
use crate::provider::ProviderUser;
use crate::session::ProviderSession;

/// Any provider's user: its normalised [`Profile`] and the provider's user as JSON.
///
/// Turn it back into the typed user with [`AnyUser::to_typed`]:
///
/// ```
/// # use portcullis::{AnyUser, Profile};
/// # let any = AnyUser::new(Profile::new("1"), serde_json::json!({"id": 1, "login": "octocat"}));
/// #[derive(serde::Deserialize)]
/// struct Login { login: String }
/// let user: Login = any.to_typed()?;
/// assert_eq!(user.login, "octocat");
/// # Ok::<(), serde_json::Error>(())
/// ```
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AnyUser {
    profile: Profile,
    json: serde_json::Value,
}

impl AnyUser {
    /// A user from its profile and JSON form.
    pub fn new(profile: Profile, json: serde_json::Value) -> Self {
        AnyUser { profile, json }
    }

    /// Erases a typed provider user.
    pub fn from_user<U: ProviderUser>(user: &U) -> Self {
        AnyUser {
            profile: user.profile(),
            json: serde_json::to_value(user).unwrap_or(serde_json::Value::Null),
        }
    }

    /// The provider's user as JSON, as the provider crate's type serialises it.
    pub fn json(&self) -> &serde_json::Value {
        &self.json
    }

    /// The typed user again (`GitHubUser`, …), or any type shaped like part of it.
    ///
    /// # Errors
    ///
    /// When the JSON does not have `T`'s shape.
    pub fn to_typed<T: DeserializeOwned>(&self) -> Result<T, serde_json::Error> {
        T::deserialize(&self.json)
    }
}

impl ProviderUser for AnyUser {
    fn provider_user_id(&self) -> String {
        self.profile.id.clone()
    }

    fn profile(&self) -> Profile {
        self.profile.clone()
    }
}

/// Any provider bound to store `A`: what a registry of providers holds
/// (`HashMap<String, Arc<DynOAuthProvider<A>>>`). Made with
/// [`OAuthClient::into_dyn`](crate::OAuthClient::into_dyn).
///
/// It has [`OAuthProvider`]'s methods, called the same way, and implements
/// [`OAuthProvider`] with [`AnyUser`] as the user type.
pub type DynOAuthProvider<A> = dyn ErasedOAuthProvider<Adapter = A>;

/// The future of a sign-in through a [`DynOAuthProvider`].
pub type BoxedSignIn<'a, A> =
    Pin<Box<dyn Future<Output = Result<ProviderSession<AnyUser, A>, Error>> + Send + 'a>>;

/// [`OAuthProvider`] in a form that can be a trait object: the user type erased to
/// [`AnyUser`] and the sign-in futures boxed. It is what [`DynOAuthProvider`] is made
/// of; an app uses it through that alias and never needs to name it.
pub trait ErasedOAuthProvider: Send + Sync {
    /// The app's user store.
    type Adapter: UserAdapter;

    /// [`OAuthProvider::id`].
    fn id(&self) -> &str;

    /// [`OAuthProvider::name`].
    fn name(&self) -> &str;

    /// [`OAuthProvider::authorization_url`].
    fn authorization_url(&self) -> AuthorizationUrl;

    /// [`OAuthProvider::validate_callback`], with the user as [`AnyUser`].
    ///
    /// # Errors
    ///
    /// As [`OAuthProvider::validate_callback`].
    fn validate_callback<'a>(
        &'a self,
        callback: &'a CallbackParams,
        pending: &'a PendingAuthorization,
    ) -> BoxedSignIn<'a, Self::Adapter>;

    /// [`OAuthProvider::validate_code`], with the user as [`AnyUser`].
    ///
    /// # Errors
    ///
    /// As [`OAuthProvider::validate_code`].
    fn validate_code<'a>(
        &'a self,
        code: &'a str,
        code_verifier: Option<&'a str>,
        nonce: Option<&'a str>,
    ) -> BoxedSignIn<'a, Self::Adapter>;
}

/// Wraps a provider to erase its user type.
struct Erased<T>(T);

impl<T: OAuthProvider> ErasedOAuthProvider for Erased<T> {
    type Adapter = T::Adapter;

    fn id(&self) -> &str {
        self.0.id()
    }

    fn name(&self) -> &str {
        self.0.name()
    }

    fn authorization_url(&self) -> AuthorizationUrl {
        self.0.authorization_url()
    }

    fn validate_callback<'a>(
        &'a self,
        callback: &'a CallbackParams,
        pending: &'a PendingAuthorization,
    ) -> BoxedSignIn<'a, T::Adapter> {
        Box::pin(async move {
            let session = self.0.validate_callback(callback, pending).await?;
            Ok(session.map_user(|user| AnyUser::from_user(&user)))
        })
    }

    fn validate_code<'a>(
        &'a self,
        code: &'a str,
        code_verifier: Option<&'a str>,
        nonce: Option<&'a str>,
    ) -> BoxedSignIn<'a, T::Adapter> {
        Box::pin(async move {
            let session = self.0.validate_code(code, code_verifier, nonce).await?;
            Ok(session.map_user(|user| AnyUser::from_user(&user)))
        })
    }
}

/// So that code generic over [`OAuthProvider`] takes registry entries too.
impl<A: UserAdapter> OAuthProvider for DynOAuthProvider<A> {
    type User = AnyUser;
    type Adapter = A;

    fn id(&self) -> &str {
        ErasedOAuthProvider::id(self)
    }

    fn name(&self) -> &str {
        ErasedOAuthProvider::name(self)
    }

    fn authorization_url(&self) -> AuthorizationUrl {
        ErasedOAuthProvider::authorization_url(self)
    }

    async fn validate_callback(
        &self,
        callback: &CallbackParams,
        pending: &PendingAuthorization,
    ) -> Result<ProviderSession<AnyUser, A>, Error> {
        ErasedOAuthProvider::validate_callback(self, callback, pending).await
    }

    async fn validate_code(
        &self,
        code: &str,
        code_verifier: Option<&str>,
        nonce: Option<&str>,
    ) -> Result<ProviderSession<AnyUser, A>, Error> {
        ErasedOAuthProvider::validate_code(self, code, code_verifier, nonce).await
    }
}

/// Erases `provider`'s user type.
pub(crate) fn erase<T, A>(provider: T) -> Arc<DynOAuthProvider<A>>
where
    T: OAuthProvider<Adapter = A> + 'static,
    A: UserAdapter,
{
    Arc::new(Erased(provider))
}
