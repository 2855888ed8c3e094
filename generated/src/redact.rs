//! Keeping secrets and identities out of errors and logs.
//!
//! Servers echo what the client sent: `Invalid token : <token>`, the user's e-mail in
//! throttling messages, token UUIDs. Every text that comes from the network and ends
//! up in an [`crate::Error`] goes through [`Redactor::redact`] first, which masks
//!
//! - every value the client holds as a secret or identity (password, tokens, JWT,
//!   session id, user id), registered with [`Redactor::add`];
//! - anything shaped like an e-mail address or a JWT;
//! - the word following `token`, `uuid`, `password` or `jsessionid`.
//!
//! It runs once, when an error is built, so `Display` and `Debug` never see the
//! originals.

use std::sync::RwLock;

/// What replaces a masked value.
pub(crate) const MASK: &str = "***";

/// Values shorter than this are not masked by value (they would mask common words);
/// the shape rules still apply to them.
const MIN_SECRET_LEN: usize = 4;

/// The secrets a client knows, and the masking of texts.
#[derive(Default)]
pub(crate) struct Redactor {
    secrets: RwLock<Vec<String>>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Redactor {
    /// Registers a value to mask wherever it appears.
    pub(crate) fn add(&self, secret: &str) {
        let secret = secret.trim();
        if secret.len() < MIN_SECRET_LEN {
            return;
        }
        let mut secrets = self.secrets.write().unwrap_or_else(|p| p.into_inner());
        if !secrets.iter().any(|s| s == secret) {
            secrets.push(secret.to_owned());
            // Longest first, so a secret containing another is masked whole.
            secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        }
    }

    /// `text` with every known secret and every secret-shaped word masked.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in self
            .secrets
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .iter()
        {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        redact_shapes(&out)
    }
}

/// Masks e-mail addresses, JWTs and the value after a secret-naming word
/// (`token : x`, `token: x`, `token=x`, `UUID: x`).
pub(crate) fn redact_shapes(text: &str) -> String {
    #[derive(PartialEq)]
    enum State {
        Plain,
        /// A secret-naming word was seen; a `:` or `=` may follow.
        AfterKeyword,
        /// The next word is a value to mask.
        MaskNext,
    }
    let mut out = String::with_capacity(text.len());
    let mut state = State::Plain;
    for piece in split_keep_separators(text) {
        if piece.chars().all(is_separator) {
            out.push_str(piece);
            continue;
        }
        let word = piece.trim_matches(|c: char| "\"'()[]{}<>,;".contains(c));
        if state == State::MaskNext && !word.is_empty() {
            out.push_str(&piece.replacen(word, MASK, 1));
            state = State::Plain;
            continue;
        }
        if state == State::AfterKeyword && (word == ":" || word == "=") {
            out.push_str(piece);
            state = State::MaskNext;
            continue;
        }
        if is_jwt(word) {
            out.push_str(&piece.replacen(word, MASK, 1));
            state = State::Plain;
            continue;
        }
        if let Some(masked) = mask_emails(piece) {
            out.push_str(&masked);
            state = State::Plain;
            continue;
        }
        let (name, value) = match word.split_once([':', '=']) {
            Some((name, value)) => (name, Some(value)),
            None => (word, None),
        };
        let keyword = matches!(
            name.trim_matches(['"', '\'']).to_ascii_lowercase().as_str(),
            "token" | "uuid" | "password" | "jsessionid" | "jwt"
        );
        state = State::Plain;
        if keyword {
            match value {
                Some("") => state = State::MaskNext,
                Some(value) => {
                    out.push_str(&piece.replacen(value, MASK, 1));
                    continue;
                }
                None => state = State::AfterKeyword,
            }
        }
        out.push_str(piece);
    }
    out
}

fn is_separator(c: char) -> bool {
    c.is_whitespace()
}

/// Splits into words and runs of white space, keeping both.
fn split_keep_separators(text: &str) -> Vec<&str> {
    let mut pieces = Vec::new();
    let mut start = 0;
    let mut in_space = None;
    for (i, c) in text.char_indices() {
        let space = is_separator(c);
        if in_space != Some(space) {
            if i > start {
                pieces.push(&text[start..i]);
            }
            start = i;
            in_space = Some(space);
        }
    }
    if start < text.len() {
        pieces.push(&text[start..]);
    }
    pieces
}

/// `piece` with every e-mail address in it masked; `None` when it has none.
fn mask_emails(piece: &str) -> Option<String> {
    let is_local = |c: char| c.is_ascii_alphanumeric() || "._%+-".contains(c);
    let is_domain = |c: char| c.is_ascii_alphanumeric() || c == '-' || c == '.';
    let mut out = String::new();
    let mut rest = piece;
    let mut found = false;
    while let Some(at) = rest.find('@') {
        let local_start = rest[..at]
            .char_indices()
            .rev()
            .take_while(|(_, c)| is_local(*c))
            .last()
            .map_or(at, |(i, _)| i);
        let domain = &rest[at + 1..];
        let domain_len = domain
            .char_indices()
            .take_while(|(_, c)| is_domain(*c))
            .last()
            .map_or(0, |(i, c)| i + c.len_utf8());
        let domain_text = domain[..domain_len].trim_end_matches('.');
        if local_start < at && domain_text.contains('.') && !domain_text.starts_with('.') {
            out.push_str(&rest[..local_start]);
            out.push_str(MASK);
            rest = &rest[at + 1 + domain_text.len()..];
            found = true;
        } else {
            out.push_str(&rest[..=at]);
            rest = &rest[at + 1..];
        }
    }
    out.push_str(rest);
    found.then_some(out)
}

fn is_jwt(word: &str) -> bool {
    let parts: Vec<&str> = word.split('.').collect();
    parts.len() == 3
        && word.starts_with("eyJ")
        && parts.iter().all(|p| {
            !p.is_empty()
                && p.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_' || b == b'=')
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn known_secrets_are_masked_anywhere() {
        let r = Redactor::default();
        r.add("s3cr3t-pass");
        r.add("ab"); // too short to mask by value
        assert_eq!(r.redact("x s3cr3t-passy ab"), "x ***y ab");
    }

    #[test]
    fn shapes_are_masked() {
        assert_eq!(
            redact_shapes("Too many requests for me@example.com, try later"),
            "Too many requests for ***, try later"
        );
        assert_eq!(
            redact_shapes("Invalid token : 0123-abcd-ef"),
            "Invalid token : ***"
        );
        assert_eq!(
            redact_shapes("Not such token with UUID: 1c2d3e4f-aaaa"),
            "Not such token with UUID: ***"
        );
        assert_eq!(
            redact_shapes("bad jwt eyJhbGciOi.eyJzdWIi.c2ln"),
            "bad jwt ***"
        );
        assert_eq!(redact_shapes("token=abc123 rest"), "token=*** rest");
        assert_eq!(
            redact_shapes(r#"{"token": "abc", "x": 1}"#),
            r#"{"token": "***", "x": 1}"#
        );
        assert_eq!(
            redact_shapes("No such device : \"io://1234/5\""),
            "No such device : \"io://1234/5\""
        );
        assert_eq!(redact_shapes("  spaced   out "), "  spaced   out ");
    }
}
