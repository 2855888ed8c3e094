//! The session cookie jar: the cloud session lives in the `JSESSIONID` cookie, which
//! must never travel with a bearer token (the server refuses requests carrying both),
//! and whose value is a secret.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, RwLock};

use reqwest::cookie::{CookieStore, Jar};
use reqwest::header::HeaderValue;

use crate::value::redact::{Redactor, Slot};

/// A cookie jar that can be switched off (bearer sessions) and emptied (new
/// session), and that tells the redactor the value of each cookie it receives.
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
            // `NAME=value; Path=/; ...`: the value is a secret, and the next value of
            // the same cookie replaces it (servers rotate them on every answer).
            let Ok(header) = header.to_str() else {
                continue;
            };
            let mut parts = header.split(';');
            if let Some((name, value)) = parts.next().and_then(|pair| pair.split_once('=')) {
                let path = parts
                    .filter_map(|attribute| attribute.split_once('='))
                    .find(|(key, _)| key.trim().eq_ignore_ascii_case("path"))
                    .map_or("", |(_, path)| path.trim());
                let slot = Slot::Cookie(format!("{}; {path}", name.trim()));
                self.redactor.set(slot, [value]);
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
    fn a_rotated_cookie_replaces_its_previous_value() {
        let redactor = Arc::new(Redactor::default());
        let cookies = SessionCookies::new(redactor.clone());
        let url = url::Url::parse("https://ha101-1.overkiz.com/x").unwrap();
        let session = HeaderValue::from_static("JSESSIONID=session-SECRET-0; Path=/; Secure");
        cookies.set_cookies(&mut std::iter::once(&session), &url);
        // A load balancer cookie rotated on every answer, and the session rotated too.
        for i in 1..=2000 {
            let balancer =
                HeaderValue::from_str(&format!("AWSALB=balancer-{i:05}; Path=/")).unwrap();
            cookies.set_cookies(&mut std::iter::once(&balancer), &url);
        }
        assert!(redactor.held() <= 10, "{}", redactor.held());
        // Still in use: still masked, however many other cookies came since.
        assert_eq!(redactor.redact("id session-SECRET-0"), "id ***");
        assert_eq!(redactor.redact("balancer-02000"), "***");
        // Long replaced: no longer held.
        assert_eq!(redactor.redact("balancer-00001"), "balancer-00001");
        for i in 1..=2000 {
            let session =
                HeaderValue::from_str(&format!("JSESSIONID=session-SECRET-{i}; Path=/")).unwrap();
            cookies.set_cookies(&mut std::iter::once(&session), &url);
        }
        assert!(redactor.held() <= 10, "{}", redactor.held());
        assert_eq!(redactor.redact("session-SECRET-2000"), "***");
        assert_eq!(redactor.redact("session-SECRET-0"), "session-SECRET-0");
        let sent = cookies.cookies(&url).unwrap();
        assert!(sent
            .to_str()
            .unwrap()
            .contains("JSESSIONID=session-SECRET-2000"));
    }

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
