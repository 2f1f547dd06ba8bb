//! [`Jwks`]: an issuer's signing keys, fetched once and shared by every sign-in.

use std::fmt;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::{Duration, SystemTime};

use openidconnect::core::CoreJsonWebKeySet;
use portcullis::{Error, HttpClient, Phase, Url};

use crate::clock::Clock;

/// The key set (JWKS) of one issuer, cached for every sign-in that shares this value.
///
/// Cheap to clone: clones share one cache. The keys are fetched on first use. When an
/// ID token names a key the cache does not hold (the issuer rotated its keys), the set
/// is fetched again — one fetch at a time however many sign-ins wait for it, and at most
/// once per [`min_refresh_interval`](Self::min_refresh_interval), so a stream of tokens
/// with made-up key ids cannot make the cache hammer the issuer. The first load does not
/// count: a rotation right after start-up is picked up at once.
///
/// Keys are also fetched again once the set is older than its
/// [`max_age`](Self::max_age) (a day by default), so that a key the issuer withdrew —
/// compromised, or simply retired — stops being trusted. If that fetch fails, the
/// cached keys stay in use (sign-ins keep working while the issuer's key endpoint is
/// down) and the fetch is tried again after
/// [`min_refresh_interval`](Self::min_refresh_interval).
///
/// ```
/// use std::time::Duration;
/// use portcullis_oidc::Jwks;
///
/// let jwks = Jwks::new("https://id.example.com/jwks".parse()?)
///     .with_min_refresh_interval(Duration::from_secs(60))
///     .with_max_age(Duration::from_secs(6 * 3600));
/// assert_eq!(jwks.min_refresh_interval(), Duration::from_secs(60));
/// assert_eq!(jwks.max_age(), Duration::from_secs(6 * 3600));
/// # Ok::<(), url::ParseError>(())
/// ```
#[derive(Clone)]
pub struct Jwks {
    inner: Arc<Inner>,
}

struct Inner {
    config: Config,
    state: Mutex<State>,
    /// Held while fetching: one request at a time.
    fetching: tokio::sync::Mutex<()>,
}

/// What a cache is set up with; the `with_*` methods change it.
#[derive(Clone)]
struct Config {
    url: Url,
    min_refresh_interval: Duration,
    max_age: Duration,
    clock: Clock,
}

#[derive(Default)]
struct State {
    keys: Option<Arc<CoreJsonWebKeySet>>,
    /// Bumped by every successful fetch, so a waiter can tell that someone else
    /// refreshed the set while it waited.
    generation: u64,
    /// When the set was last requested because of an unknown key or its age,
    /// successfully or not.
    last_refresh: Option<SystemTime>,
    /// When the cached set was fetched.
    fetched_at: Option<SystemTime>,
    /// When fetching a set older than `max_age` last failed: the old set is used until
    /// `min_refresh_interval` has passed since.
    stale_since_failure: Option<SystemTime>,
}

/// A snapshot of the cached keys and the generation they belong to.
pub(crate) struct Keys {
    pub(crate) keys: Arc<CoreJsonWebKeySet>,
    generation: u64,
}

impl Jwks {
    /// The default [`min_refresh_interval`](Self::min_refresh_interval): 30 seconds.
    pub const DEFAULT_MIN_REFRESH_INTERVAL: Duration = Duration::from_secs(30);

    /// The default [`max_age`](Self::max_age): one day, the refresh period Microsoft's
    /// identity platform asks for (Google rotates its keys every few weeks and
    /// publishes the next one in advance).
    pub const DEFAULT_MAX_AGE: Duration = Duration::from_secs(24 * 3600);

    /// An empty cache for the key set at `url`, fetched on first use.
    pub fn new(url: Url) -> Self {
        Self::build(Config {
            url,
            min_refresh_interval: Self::DEFAULT_MIN_REFRESH_INTERVAL,
            max_age: Self::DEFAULT_MAX_AGE,
            clock: Clock::system(),
        })
    }

    fn build(config: Config) -> Self {
        Jwks {
            inner: Arc::new(Inner {
                config,
                state: Mutex::new(State::default()),
                fetching: tokio::sync::Mutex::new(()),
            }),
        }
    }

    /// A new, empty cache with this one's configuration, changed by `change`.
    fn reconfigured(&self, change: impl FnOnce(&mut Config)) -> Self {
        let mut config = self.inner.config.clone();
        change(&mut config);
        Self::build(config)
    }

    /// The same key set URL with another minimum time between two fetches caused by
    /// unknown keys. Returns a new, empty cache: configure it before sharing it.
    #[must_use]
    pub fn with_min_refresh_interval(self, interval: Duration) -> Self {
        self.reconfigured(|config| config.min_refresh_interval = interval)
    }

    /// The same key set URL with another age after which the set is fetched again.
    /// Returns a new, empty cache: configure it before sharing it.
    #[must_use]
    pub fn with_max_age(self, max_age: Duration) -> Self {
        self.reconfigured(|config| config.max_age = max_age)
    }

    /// The same key set URL with another clock for the refresh limit and the age.
    /// Returns a new, empty cache: configure it before sharing it.
    #[must_use]
    pub fn with_clock(self, clock: Clock) -> Self {
        self.reconfigured(|config| config.clock = clock)
    }

    /// Where the keys are fetched from.
    pub fn url(&self) -> &Url {
        &self.inner.config.url
    }

    /// The least time between two requests for the key set caused by unknown keys.
    pub fn min_refresh_interval(&self) -> Duration {
        self.inner.config.min_refresh_interval
    }

    /// How old the key set may get before it is fetched again.
    pub fn max_age(&self) -> Duration {
        self.inner.config.max_age
    }

    /// Whether the keys have been fetched.
    pub fn is_loaded(&self) -> bool {
        self.state().keys.is_some()
    }

    /// Fetches the keys now unless they are already cached: to warm the cache at
    /// start-up rather than on the first sign-in.
    ///
    /// # Errors
    ///
    /// [`Error::Request`] with [`Phase::Jwks`] when the key set cannot be fetched.
    pub async fn load(&self, http: &HttpClient, provider: &str) -> Result<(), Error> {
        self.current(http, provider).await.map(drop)
    }

    fn state(&self) -> MutexGuard<'_, State> {
        // The lock is only held to copy or replace a few fields, never across an await:
        // a panic cannot leave the state half-written.
        self.inner
            .state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The cached keys, if any.
    fn snapshot(&self) -> Option<Keys> {
        let state = self.state();
        state.keys.clone().map(|keys| Keys {
            keys,
            generation: state.generation,
        })
    }

    /// The cached keys, unless they are older than `max_age` (and no failed fetch of
    /// newer ones asks to wait).
    fn fresh_snapshot(&self) -> Option<Keys> {
        let state = self.state();
        let now = self.inner.config.clock.now();
        // A clock that went backwards counts as no time elapsed.
        let since = |at: SystemTime| now.duration_since(at).unwrap_or(Duration::ZERO);
        let fresh = state
            .fetched_at
            .is_some_and(|at| since(at) < self.inner.config.max_age)
            || state
                .stale_since_failure
                .is_some_and(|at| since(at) < self.inner.config.min_refresh_interval);
        let keys = state.keys.clone().filter(|_| fresh)?;
        Some(Keys {
            keys,
            generation: state.generation,
        })
    }

    /// The cached keys: fetched first if there are none yet, or again if they are
    /// older than `max_age`.
    pub(crate) async fn current(&self, http: &HttpClient, provider: &str) -> Result<Keys, Error> {
        if let Some(keys) = self.fresh_snapshot() {
            return Ok(keys);
        }
        let _fetching = self.inner.fetching.lock().await;
        if let Some(keys) = self.fresh_snapshot() {
            return Ok(keys);
        }
        let Some(stale) = self.snapshot() else {
            return self.fetch(http, provider).await;
        };
        // An age refresh counts against the unknown-key limit: a token naming a key the
        // new set lacks is refused without asking again at once.
        self.state().last_refresh = Some(self.inner.config.clock.now());
        match self.fetch(http, provider).await {
            Ok(keys) => Ok(keys),
            Err(error) => {
                tracing::warn!(
                    provider,
                    url = %self.inner.config.url,
                    %error,
                    "could not fetch the issuer's key set again; using the cached one"
                );
                self.state().stale_since_failure = Some(self.inner.config.clock.now());
                Ok(stale)
            }
        }
    }

    /// Fresh keys after `seen` named no key for a token, or `None` when the last such
    /// refresh was less than [`min_refresh_interval`](Self::min_refresh_interval) ago.
    ///
    /// When another sign-in refreshed the set while this one waited, its keys are
    /// returned without another request.
    pub(crate) async fn refresh(
        &self,
        http: &HttpClient,
        provider: &str,
        seen: &Keys,
    ) -> Result<Option<Keys>, Error> {
        let _fetching = self.inner.fetching.lock().await;
        {
            let state = self.state();
            if state.generation != seen.generation
                && let Some(keys) = state.keys.clone()
            {
                return Ok(Some(Keys {
                    keys,
                    generation: state.generation,
                }));
            }
            if let Some(last) = state.last_refresh {
                // A clock that went backwards counts as no time elapsed.
                let elapsed = self
                    .inner
                    .config
                    .clock
                    .now()
                    .duration_since(last)
                    .unwrap_or(Duration::ZERO);
                if elapsed < self.inner.config.min_refresh_interval {
                    tracing::warn!(
                        provider,
                        url = %self.inner.config.url,
                        "an ID token names a key the issuer's key set does not hold; \
                         not fetching the set again so soon"
                    );
                    return Ok(None);
                }
            }
        }
        self.state().last_refresh = Some(self.inner.config.clock.now());
        self.fetch(http, provider).await.map(Some)
    }

    /// Requests the key set. Callers hold `fetching`.
    async fn fetch(&self, http: &HttpClient, provider: &str) -> Result<Keys, Error> {
        let keys: CoreJsonWebKeySet = http
            .get_json(provider, Phase::Jwks, self.inner.config.url.clone())
            .await?;
        tracing::debug!(provider, url = %self.inner.config.url, keys = keys.keys().len(), "fetched the issuer's key set");
        let keys = Arc::new(keys);
        let mut state = self.state();
        state.keys = Some(keys.clone());
        state.generation += 1;
        state.fetched_at = Some(self.inner.config.clock.now());
        state.stale_since_failure = None;
        Ok(Keys {
            keys,
            generation: state.generation,
        })
    }
}

impl fmt::Debug for Jwks {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let state = self.state();
        f.debug_struct("Jwks")
            .field("url", &self.inner.config.url.as_str())
            .field(
                "min_refresh_interval",
                &self.inner.config.min_refresh_interval,
            )
            .field("max_age", &self.inner.config.max_age)
            .field("keys", &state.keys.as_ref().map(|k| k.keys().len()))
            .field("generation", &state.generation)
            .finish()
    }
}
