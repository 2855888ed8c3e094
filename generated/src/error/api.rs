//! Error answers of the API: [`ApiError`], and reading error bodies safely (short,
//! single-line, secrets masked).

use std::fmt;

use super::code::ErrorCode;
use super::kind::{classify, ErrorKind};
use crate::value::redact::redact_shapes;

/// Longest body excerpt kept in an error.
pub(crate) const EXCERPT_CHARS: usize = 200;
/// Longest server message kept in an error.
const MESSAGE_CHARS: usize = 1000;

/// An error answer of the API: HTTP status, `errorCode` and message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ApiError {
    status: u16,
    code: Option<ErrorCode>,
    message: String,
    kind: ErrorKind,
}

impl ApiError {
    /// Builds and classifies an error answer. E-mail addresses, JWTs and values
    /// after `token :` in the message are masked (before the message is cut to its
    /// first 1000 characters, so a cut secret does not show its start).
    pub fn new(status: u16, code: Option<ErrorCode>, message: impl Into<String>) -> ApiError {
        let message = truncate(&redact_shapes(message.into().trim()), MESSAGE_CHARS);
        let kind = classify(status, code.as_ref(), &message);
        ApiError {
            status,
            code,
            message,
            kind,
        }
    }

    /// An answer that is not an Overkiz error body (an HTML page, an empty body):
    /// classified by its status alone.
    pub(crate) fn from_status(status: u16, excerpt: String) -> ApiError {
        ApiError {
            status,
            code: None,
            kind: classify(status, None, ""),
            message: excerpt,
        }
    }

    /// HTTP status code.
    pub fn status(&self) -> u16 {
        self.status
    }

    /// The server's `errorCode`, if it sent one.
    pub fn code(&self) -> Option<&ErrorCode> {
        self.code.as_ref()
    }

    /// The server's message (`error`), or an excerpt of a body without one; secrets
    /// masked.
    pub fn message(&self) -> &str {
        &self.message
    }

    /// The classification of this error.
    pub fn kind(&self) -> ErrorKind {
        self.kind
    }
}

impl fmt::Display for ApiError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HTTP {}", self.status)?;
        if let Some(code) = &self.code {
            write!(f, " {code}")?;
        }
        if !self.message.is_empty() {
            write!(f, ": {}", self.message)?;
        }
        Ok(())
    }
}

/// Reads `{"errorCode": ..., "error": ...}`; `None` when the body is not such an
/// object. `error` may be `null` (local API) and may arrive quoted twice
/// (`"\"No registered event listener.\""`).
pub(crate) fn parse_error_body(body: &[u8]) -> Option<(Option<ErrorCode>, String)> {
    let value: serde_json::Value = serde_json::from_slice(body).ok()?;
    let object = value.as_object()?;
    let code = object
        .get("errorCode")
        .and_then(|c| c.as_str())
        .map(ErrorCode::from);
    let message = object
        .get("error")
        .or_else(|| object.get("message"))
        .and_then(|m| m.as_str());
    if code.is_none() && message.is_none() {
        return None;
    }
    let message = unquote(message.unwrap_or_default().trim())
        .trim()
        .to_owned();
    Some((code, message))
}

/// The message without the quotes around the whole of it (`"\"No registered event
/// listener.\""`); a quote that only ends it (`No such device : "io://…"`) stays.
fn unquote(message: &str) -> &str {
    message
        .strip_prefix('"')
        .and_then(|inner| inner.strip_suffix('"'))
        .unwrap_or(message)
}

/// True when a successful (2xx) answer is in fact an error body: an object with an
/// `errorCode` and nothing but `error`/`errorCode` (the local API answers some
/// failures so). Only small bodies are looked at.
pub(crate) fn is_error_body(body: &[u8]) -> bool {
    // Most answers are data: rule them out without parsing them a second time.
    if body.len() > 4096
        || !body.trim_ascii_start().starts_with(b"{")
        || !body.windows(11).any(|w| w == b"\"errorCode\"")
    {
        return false;
    }
    let Ok(serde_json::Value::Object(object)) = serde_json::from_slice(body) else {
        return false;
    };
    object.get("errorCode").is_some_and(|c| c.is_string())
        && object.keys().all(|k| k == "error" || k == "errorCode")
}

/// Keys whose values are masked in excerpts: the secret wire names, and any key
/// that mentions a secret.
fn is_sensitive_key(key: &str) -> bool {
    if crate::value::redact::is_secret_name(key) {
        return true;
    }
    let key = key.to_ascii_lowercase();
    [
        "token",
        "password",
        "secret",
        "jwt",
        "apikey",
        "api_key",
        "session",
        "cookie",
        "authorization",
        "credential",
        "email",
        "userid",
    ]
    .iter()
    .any(|needle| key.contains(needle))
}

fn mask(value: &mut serde_json::Value) {
    match value {
        serde_json::Value::Object(map) => {
            for (key, value) in map.iter_mut() {
                if is_sensitive_key(key) && !value.is_null() {
                    *value = serde_json::Value::String(crate::value::redact::MASK.into());
                } else {
                    mask(value);
                }
            }
        }
        serde_json::Value::Array(items) => items.iter_mut().for_each(mask),
        _ => {}
    }
}

/// Most of a body read for an excerpt.
const EXCERPT_INPUT_BYTES: usize = 64 * 1024;

/// A short, single-line, secret-free start of a body for error messages. `redact`
/// masks the secrets the caller knows (and the shapes, [`redact_shapes`]); it sees
/// the whole text before it is cut, so a cut never shows the start of a secret.
pub(crate) fn excerpt(body: &[u8], redact: impl Fn(&str) -> String) -> String {
    // Only the start is shown: do not read a large body to show 200 characters.
    let cut = body.len() > EXCERPT_INPUT_BYTES;
    let input = &body[..body.len().min(EXCERPT_INPUT_BYTES)];
    let text = match serde_json::from_slice::<serde_json::Value>(input) {
        Ok(mut value) => {
            mask(&mut value);
            value.to_string()
        }
        Err(_) => String::from_utf8_lossy(input).into_owned(),
    };
    let mut words: Vec<&str> = text.split_whitespace().collect();
    if cut {
        // The last word may be the start of a secret the cut made unrecognizable.
        words.pop();
        words.push("…");
    }
    truncate(&redact(&words.join(" ")), EXCERPT_CHARS)
}

pub(crate) fn truncate(text: &str, max_chars: usize) -> String {
    match text.char_indices().nth(max_chars) {
        Some((end, _)) => format!("{}…", &text[..end]),
        None => text.to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn excerpts_are_short_single_line_and_masked() {
        let excerpt = |body: &[u8]| excerpt(body, redact_shapes);
        let long = "x".repeat(1000);
        assert_eq!(excerpt(long.as_bytes()).chars().count(), EXCERPT_CHARS + 1);
        assert_eq!(excerpt(b"a\n  b\tc"), "a b c");
        let masked = excerpt(
            br#"{"token":"abc-SECRET","nested":[{"userPassword":"pw-SECRET","email":"me@x.io"}],"code":"c-SECRET","ok":1}"#,
        );
        assert!(
            !masked.contains("SECRET") && !masked.contains("me@x.io"),
            "{masked}"
        );
        assert!(masked.contains("\"ok\":1"), "{masked}");
        assert_eq!(excerpt(&[0xff, 0xfe, b'a']), "\u{fffd}\u{fffd}a");
        assert_eq!(
            excerpt(b"<p>write to admin@example.com</p>"),
            "<p>write to ***</p>"
        );
    }

    #[test]
    fn error_bodies_in_every_form() {
        assert_eq!(
            parse_error_body(br#"{"error": "\"No registered event listener.\"", "errorCode": "UNSPECIFIED_ERROR"}"#),
            Some((Some(ErrorCode::UnspecifiedError), "No registered event listener.".into()))
        );
        assert_eq!(
            parse_error_body(br#"{"error": null, "errorCode": "UNSPECIFIED_ERROR"}"#),
            Some((Some(ErrorCode::UnspecifiedError), String::new()))
        );
        // Only quotes around the whole message go.
        assert_eq!(
            parse_error_body(br#"{"error": "No such device : \"io://9876-1234-8767/4468654\"", "errorCode": "NO_SUCH_DEVICE"}"#),
            Some((
                Some(ErrorCode::NoSuchDevice),
                "No such device : \"io://9876-1234-8767/4468654\"".into()
            ))
        );
        assert_eq!(parse_error_body(br#"{"unrelated": 1}"#), None);
        assert_eq!(parse_error_body(b"<html>"), None);
        assert!(is_error_body(
            br#"{"error": "x", "errorCode": "UNSPECIFIED_ERROR"}"#
        ));
        assert!(!is_error_body(br#"{"execId": "x"}"#));
        assert!(!is_error_body(
            br#"{"errorCode": "X", "label": "a device"}"#
        ));
        assert!(!is_error_body(br#"[{"errorCode": "X"}]"#));
    }
}
