//! [`Clock`]: where ID-token checks and the JWKS refresh limit get the time.

use std::fmt;
use std::sync::Arc;
use std::time::SystemTime;

/// The source of the current time for ID-token checks (`exp`, `iat`) and for the JWKS
/// refresh limit.
///
/// [`Clock::system`] (the default) in production; tests use [`Clock::from_fn`] to verify
/// a token "later", without waiting:
///
/// ```
/// use std::time::{Duration, SystemTime};
/// use portcullis_oidc::Clock;
///
/// let two_hours_ahead = Clock::from_fn(|| SystemTime::now() + Duration::from_secs(7200));
/// assert!(two_hours_ahead.now() > SystemTime::now());
/// ```
#[derive(Clone)]
pub struct Clock(Arc<dyn Fn() -> SystemTime + Send + Sync>);

impl Clock {
    /// The system clock.
    pub fn system() -> Self {
        Clock(Arc::new(SystemTime::now))
    }

    /// A clock that asks `now` for the time.
    pub fn from_fn(now: impl Fn() -> SystemTime + Send + Sync + 'static) -> Self {
        Clock(Arc::new(now))
    }

    /// The current time by this clock.
    pub fn now(&self) -> SystemTime {
        (self.0)()
    }
}

impl Default for Clock {
    fn default() -> Self {
        Clock::system()
    }
}

impl fmt::Debug for Clock {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Clock")
    }
}
