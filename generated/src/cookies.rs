//! The session cookie jar: the cloud session lives in the `JSESSIONID` cookie, which
//! must never travel with a bearer token (the server refuses requests carrying both),
//! and whose value is a secret.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;

use crate::redact::Redactor;

/// A cookie jar that can be switched off (bearer sessions) and emptied (new
/// session), and that tells the redactor every cookie value it receives.
pub(crate) struct SessionCookies {
    jar: RwLock<Arc<Jar>>,
    enabled: AtomicBool,
    redactor: Arc<Redactor>,
}

impl SessionCookies {
    pub(crate) fn new(redactor: Arc<Redactor>) -> SessionCookies {
        SessionCookies {
            jar: RwLock::new(Arc::new(Jar::default())),
            enabled: AtomicBool::new(true),
            redactor,
        }
    }

    /// Sends and keeps cookies (`true`, login sessions) or neither (`false`, bearer).
    pub(crate) fn set_enabled(&self, enabled: bool) {
        self.enabled.store(enabled, Ordering::SeqCst);
    }

    /// Forgets every cookie.
    pub(crate) fn clear(&self) {
        *self.jar.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(Jar::default());
    }

    fn jar(&self) -> Arc<Jar> {
        self.jar.read().unwrap_or_else(|p| p.into_inner()).clone()
    }
}

impl CookieStore for SessionCookies {
    fn set_cookies(&self, headers: &mut dyn Iterator<Item = &HeaderValue>, url: &url::Url) {
        if !self.enabled.load(Ordering::SeqCst) {
            return;
        }
        let headers: Vec<&HeaderValue> = headers.collect();
        for header in &headers {
            // `NAME=value; Path=/; ...`: the value is a secret.
            if let Some((_, value)) = header
                .to_str()
                .ok()
                .and_then(|h| h.split(';').next())
                .and_then(|pair| pair.split_once('='))
            {
                self.redactor.add(value);
            }
        }
        self.jar().set_cookies(&mut headers.into_iter(), url);
    }

    fn cookies(&self, url: &url::Url) -> Option<HeaderValue> {
        if !self.enabled.load(Ordering::SeqCst) {
            return None;
        }
        self.jar().cookies(url)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn disabled_jars_neither_send_nor_keep_and_values_are_secrets() {
        let redactor = Arc::new(Redactor::default());
        let cookies = SessionCookies::new(redactor.clone());
        let url = url::Url::parse("https://ha101-1.overkiz.com/x").unwrap();
        let set = HeaderValue::from_static("JSESSIONID=abc-SECRET-123; Path=/");
        cookies.set_cookies(&mut std::iter::once(&set), &url);
        assert_eq!(
            cookies.cookies(&url).unwrap().to_str().unwrap(),
            "JSESSIONID=abc-SECRET-123"
        );
        assert_eq!(redactor.redact("id abc-SECRET-123"), "id ***");
        cookies.set_enabled(false);
        assert!(cookies.cookies(&url).is_none());
        cookies.set_enabled(true);
        cookies.clear();
        assert!(cookies.cookies(&url).is_none());
        cookies.set_enabled(false);
        cookies.set_cookies(&mut std::iter::once(&set), &url);
        cookies.set_enabled(true);
        assert!(cookies.cookies(&url).is_none());
    }
}
