//! [`Config`]: the settings of a simulator (timings, credentials, rate limits, the
//! control token, the event form).

use std::fmt;
use std::time::Duration;

use crate::{EventForm, RateLimits};

/// Settings of a [`Simulator`](crate::Simulator).
#[derive(Clone)]
pub struct Config {
    /// A session dies after this long without a call (default 30 min).
    pub session_ttl: Duration,
    /// A listener dies after this long without a fetch (default 10 min).
    pub listener_ttl: Duration,
    /// Time between two states of an execution (default 500 ms).
    pub step: Duration,
    /// The only accepted `userId`/`userPassword`; `None` accepts any (the default).
    pub credentials: Option<(String, String)>,
    /// Whether the documented per-session rate limits are enforced (default: off).
    pub rate_limits: RateLimits,
    /// The token a caller from another machine must send to the [`control`](crate::control) API
    /// (`Authorization: Bearer <token>`); without one (the default) the control API
    /// answers loopback callers only. Loopback callers never need it.
    pub control_token: Option<String>,
    /// The form events are written in (default: [`EventForm::Previous`], what live
    /// servers are known to send today).
    pub event_form: EventForm,
}

impl Default for Config {
    fn default() -> Config {
        Config {
            session_ttl: Duration::from_secs(30 * 60),
            listener_ttl: Duration::from_secs(10 * 60),
            step: Duration::from_millis(500),
            credentials: None,
            rate_limits: RateLimits::Off,
            control_token: None,
            event_form: EventForm::Previous,
        }
    }
}

/// `with_<field>` setters of the fields taken as they are.
macro_rules! setters {
    ($($setter:ident => $field:ident: $type:ty,)*) => {$(
        #[doc = concat!("Sets [`Config::", stringify!($field), "`].")]
        pub fn $setter(mut self, $field: $type) -> Config {
            self.$field = $field;
            self
        }
    )*};
}

impl Config {
    setters! {
        with_session_ttl => session_ttl: Duration,
        with_listener_ttl => listener_ttl: Duration,
        with_step => step: Duration,
        with_rate_limits => rate_limits: RateLimits,
        with_event_form => event_form: EventForm,
    }

    /// Sets [`Config::control_token`].
    pub fn with_control_token(mut self, token: impl Into<String>) -> Config {
        self.control_token = Some(token.into());
        self
    }
    /// Accepts only these credentials at `POST /login`.
    pub fn with_credentials(
        mut self,
        user: impl Into<String>,
        password: impl Into<String>,
    ) -> Config {
        self.credentials = Some((user.into(), password.into()));
        self
    }
}

impl fmt::Debug for Config {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        // The password and the control token are secrets: only whether they are set.
        let user = self.credentials.as_ref().map(|(user, _)| user);
        f.debug_struct("Config")
            .field("session_ttl", &self.session_ttl)
            .field("listener_ttl", &self.listener_ttl)
            .field("step", &self.step)
            .field("credentials_user", &user)
            .field("rate_limits", &self.rate_limits)
            .field(
                "control_token",
                &self.control_token.as_ref().map(|_| "<redacted>"),
            )
            .field("event_form", &self.event_form)
            .finish()
    }
}
