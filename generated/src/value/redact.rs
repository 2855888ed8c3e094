//! Keeping secrets and identities out of errors and logs.
//!
//! Servers echo what the client sent: `Invalid token : <token>`, the user's e-mail in
//! throttling messages, token UUIDs. Every text that comes from the network and ends
//! up in an [`crate::Error`] goes through [`Redactor::redact`] first, which masks
//!
//! - every value the client holds as a secret or identity (password, tokens, JWT,
//!   session id, user id), registered with [`Redactor::set`] or [`Redactor::add`];
//! - anything shaped like an e-mail address or a JWT;
//! - the word following `token`, `uuid`, `password` or `jsessionid`.
//!
//! It runs once, when an error is built, so `Display` and `Debug` never see the
//! originals. Masking comes before any cut, so a cut never shows the start of a
//! secret.
//!
//! The values held are bounded: each is held in a [`Slot`] that a new value
//! replaces (the session cookie, the grant of the session in force), and the loose
//! ones ([`Redactor::add`]) and replaced ones are kept in short queues of the most
//! recent.
//!
//! The same module prints the generated types: [`Masked`] for a field whose wire
//! name is secret (`spec/secrets.toml`), [`MaskedJson`] for JSON kept as sent, where
//! values under a secret name are masked at any depth.

use std::collections::{BTreeMap, VecDeque};
use std::sync::RwLock;

use serde_json::{Map, Value};

use crate::generated::secret_names::SECRET_NAMES;

/// What replaces a masked value.
pub(crate) const MASK: &str = "***";

/// Values shorter than this are not masked by value (they would mask common words);
/// the shape rules still apply to them.
const MIN_SECRET_LEN: usize = 4;

/// Most loose values held ([`Redactor::add`]), newest kept.
const MAX_LOOSE: usize = 32;
/// Most replaced values held: a request sent before the replacement may still carry
/// one and be echoed.
const MAX_RETIRED: usize = 8;
/// Most cookies held by name: a server that sends more names gets its oldest ones
/// retired.
const MAX_COOKIES: usize = 16;

/// What a held value is: a new value of the same slot replaces the old one.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Slot {
    /// The credentials in force (password, user, static token).
    Credentials,
    /// The secrets of the session in force (a grant's tokens, a token source's
    /// credentials).
    Grant,
    /// A cookie, by name and path (what a `Set-Cookie` replaces).
    Cookie(String),
}

#[derive(Default)]
struct Held {
    /// The current values of each slot, with the order they were set in.
    slots: BTreeMap<Slot, (u64, Vec<String>)>,
    set_count: u64,
    /// Values that slots held before, oldest first.
    retired: VecDeque<String>,
    /// Values registered one by one, oldest first.
    loose: VecDeque<String>,
    /// Every value above, deduplicated, longest first (so a secret containing
    /// another is masked whole).
    all: Vec<String>,
}

impl Held {
    fn rebuild(&mut self) {
        let mut all: Vec<String> = self
            .slots
            .values()
            .flat_map(|(_, values)| values.iter())
            .chain(&self.retired)
            .chain(&self.loose)
            .cloned()
            .collect();
        all.sort_by(|a, b| b.len().cmp(&a.len()).then_with(|| a.cmp(b)));
        all.dedup();
        self.all = all;
    }

    fn retire(&mut self, values: Vec<String>) {
        for value in values {
            self.retired.retain(|v| *v != value);
            self.retired.push_back(value);
        }
        while self.retired.len() > MAX_RETIRED {
            self.retired.pop_front();
        }
    }
}

/// A value worth holding, trimmed; `None` when it is too short to mask by value.
fn worth_holding(secret: &str) -> Option<String> {
    let secret = secret.trim();
    (secret.len() >= MIN_SECRET_LEN).then(|| secret.to_owned())
}

/// The secrets a client knows, and the masking of texts.
#[derive(Default)]
pub(crate) struct Redactor {
    held: RwLock<Held>,
}

impl std::fmt::Debug for Redactor {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Redactor(..)")
    }
}

impl Redactor {
    /// Registers a value to mask wherever it appears, among the most recent loose
    /// values (a vendor's token, a local API token).
    pub(crate) fn add(&self, secret: &str) {
        let Some(secret) = worth_holding(secret) else {
            return;
        };
        let mut held = self.held.write().unwrap_or_else(|p| p.into_inner());
        if held.loose.back() == Some(&secret) {
            return;
        }
        held.loose.retain(|v| *v != secret);
        held.loose.push_back(secret);
        while held.loose.len() > MAX_LOOSE {
            held.loose.pop_front();
        }
        held.rebuild();
    }

    /// Holds `values` as the values of `slot`; the values it held before are
    /// retired (still masked for a while: a request sent before may be echoed).
    pub(crate) fn set<S: AsRef<str>>(&self, slot: Slot, values: impl IntoIterator<Item = S>) {
        let mut values: Vec<String> = values
            .into_iter()
            .filter_map(|v| worth_holding(v.as_ref()))
            .collect();
        values.sort();
        values.dedup();
        let mut held = self.held.write().unwrap_or_else(|p| p.into_inner());
        if held.slots.get(&slot).is_some_and(|(_, old)| *old == values) {
            return;
        }
        held.set_count += 1;
        let order = held.set_count;
        let cookie = matches!(slot, Slot::Cookie(_));
        if let Some((_, old)) = held.slots.insert(slot, (order, values)) {
            held.retire(old);
        }
        if cookie {
            let cookies = held
                .slots
                .iter()
                .filter(|(slot, _)| matches!(slot, Slot::Cookie(_)))
                .count();
            if cookies > MAX_COOKIES {
                let oldest = held
                    .slots
                    .iter()
                    .filter(|(slot, _)| matches!(slot, Slot::Cookie(_)))
                    .min_by_key(|(_, (order, _))| *order)
                    .map(|(slot, _)| slot.clone());
                if let Some((_, old)) = oldest.and_then(|slot| held.slots.remove(&slot)) {
                    held.retire(old);
                }
            }
        }
        held.rebuild();
    }

    /// How many values are held (bounded whatever the server sends).
    #[cfg(test)]
    pub(crate) fn held(&self) -> usize {
        self.held
            .read()
            .unwrap_or_else(|p| p.into_inner())
            .all
            .len()
    }

    /// `text` with every known secret and every secret-shaped word masked. Give it
    /// the whole text, then cut: a cut secret no longer matches.
    pub(crate) fn redact(&self, text: &str) -> String {
        let mut out = text.to_owned();
        for secret in &self.held.read().unwrap_or_else(|p| p.into_inner()).all {
            if out.contains(secret.as_str()) {
                out = out.replace(secret.as_str(), MASK);
            }
        }
        redact_shapes(&out)
    }
}

/// Whether `name` is a secret wire name (`spec/secrets.toml`), ignoring ASCII case.
pub(crate) fn is_secret_name(name: &str) -> bool {
    SECRET_NAMES.iter().any(|n| n.eq_ignore_ascii_case(name))
}

/// `Debug` of a secret field: `Some(***)` or `None`.
pub(crate) struct Masked<'a, T>(pub(crate) &'a Option<T>);

impl<T> std::fmt::Debug for Masked<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(_) => write!(f, "Some({MASK})"),
            None => f.write_str("None"),
        }
    }
}

/// JSON kept as sent, or a container of it, that can give a copy with the values
/// under secret names masked.
pub(crate) trait MaskJson: Sized {
    /// A copy with every non-null value under a secret name, at any depth, masked.
    fn masked(&self) -> Self;
}

impl MaskJson for Value {
    fn masked(&self) -> Value {
        match self {
            Value::Object(map) => Value::Object(map.masked()),
            Value::Array(items) => Value::Array(items.masked()),
            other => other.clone(),
        }
    }
}

impl MaskJson for Map<String, Value> {
    fn masked(&self) -> Self {
        self.iter()
            .map(|(key, value)| {
                let value = if is_secret_name(key) && !value.is_null() {
                    Value::String(MASK.into())
                } else {
                    value.masked()
                };
                (key.clone(), value)
            })
            .collect()
    }
}

impl<T: MaskJson> MaskJson for Vec<T> {
    fn masked(&self) -> Self {
        self.iter().map(MaskJson::masked).collect()
    }
}

impl<T: MaskJson> MaskJson for Option<T> {
    fn masked(&self) -> Self {
        self.as_ref().map(MaskJson::masked)
    }
}

impl<T: MaskJson> MaskJson for BTreeMap<String, T> {
    fn masked(&self) -> Self {
        self.iter().map(|(k, v)| (k.clone(), v.masked())).collect()
    }
}

/// `Debug` of JSON kept as sent: the same output as the value's own, with the values
/// under secret names masked at any depth.
pub(crate) struct MaskedJson<'a, T>(pub(crate) &'a T);

impl<T: MaskJson + std::fmt::Debug> std::fmt::Debug for MaskedJson<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.masked().fmt(f)
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
    fn generated_debug_masks_secret_fields_wherever_they_sit() {
        use crate::types::*;
        let generated = GeneratedLocalToken {
            token: Some("local-SECRET-1".into()),
            ..Default::default()
        };
        let activation = LocalTokenActivation {
            label: Some("my label".into()),
            token: Some("local-SECRET-2".into()),
            scope: None,
            ..Default::default()
        };
        let password = PostEnduserPasswordRequest {
            old_password: Some("old-SECRET-3".into()),
            new_password: Some("new-SECRET-4".into()),
            ..Default::default()
        };
        let jwt: PostEnduserJwtCreateTokenResponse =
            serde_json::from_value(serde_json::json!({"jwt": "eyJ-SECRET-5"})).unwrap();
        let event: crate::Event = serde_json::from_value(serde_json::json!({
            "name": "SomfyProtectCurrentTokenCompletedEvent",
            "accessToken": "access-SECRET-6",
            "refreshToken": "refresh-SECRET-7",
            "gatewayId": "1234-5678-9012",
        }))
        .unwrap();
        let printed =
            format!("{generated:?} {activation:?} {password:?} {jwt:?} {event:?} {event:#?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        // What is set stays visible as set; what is not, as `None`; the rest as is.
        assert!(printed.contains("token: Some(***)"), "{printed}");
        assert!(printed.contains("scope: None"), "{printed}");
        assert!(printed.contains("label: Some(\"my label\")"), "{printed}");
        assert!(printed.contains("1234-5678-9012"), "{printed}");
        // Only what is printed changes: the values still go on the wire.
        let wire = serde_json::to_string(&activation).unwrap();
        assert!(wire.contains("local-SECRET-2"), "{wire}");
    }

    #[test]
    fn kept_json_masks_secret_names_at_any_depth() {
        use crate::types::*;
        let body = serde_json::json!({
            "name": "a state",
            "value": {"nested": [{"Password": "pw-SECRET-1"}]},
            "sessionData": {"deep": {"access_token": "at-SECRET-2", "note": "kept"}},
            "jwt": null,
        });
        let state: DeviceState = serde_json::from_value(body).unwrap();
        let unknown: crate::Event = serde_json::from_value(serde_json::json!({
            "name": "BrandNewEvent",
            "auth": {"refreshToken": "rt-SECRET-3", "list": [{"token": "t-SECRET-4"}]},
            "label": "visible",
        }))
        .unwrap();
        let trigger: SetupTrigger = serde_json::from_value(serde_json::json!({
            "brandNewTrigger": {"code": "c-SECRET-5"}
        }))
        .unwrap();
        let printed = format!("{state:?} {unknown:?} {trigger:?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert!(
            printed.contains("\"kept\"") && printed.contains("\"visible\""),
            "{printed}"
        );
        // A null stays null: it tells nothing.
        assert!(printed.contains("\"jwt\": Null"), "{printed}");
    }

    #[test]
    fn requests_and_raw_answers_print_no_secret() {
        use crate::operations::*;
        let camera = crate::transport::request::Request::new(
            &POST_CONFIG_BY_GATEWAY_ID_CAMERA_DISCOVER_BY_ROOT_USER_BY_ROOT_PASSWORD,
        )
        .path(&["1234-5678-9012", "admin", "root-SECRET-1"]);
        let doors = crate::transport::request::Request::new(&POST_CONFIG_OPENDOORS_DISCOVER)
            .query("login", Some("me".into()))
            .query("password", Some("pw-SECRET-2".into()));
        let printed = format!("{camera:?} {doors:?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert!(
            printed.contains("\"admin\"") && printed.contains("\"me\""),
            "{printed}"
        );
        let answer = crate::transport::request::RawResponse {
            op: &GET_CONFIG_BY_GATEWAY_ID_LOCAL_TOKENS_GENERATE,
            status: 200,
            content_type: Some("application/json".into()),
            body: br#"{"token": "local-SECRET-3"}"#.to_vec(),
        };
        let printed = format!("{answer:?}");
        assert!(!printed.contains("SECRET"), "{printed}");
        assert!(
            !printed.contains(&format!("{:?}", answer.body)),
            "{printed}"
        );
        assert!(
            printed.contains("200")
                && printed.contains("application/json")
                && printed.contains("<27 bytes>"),
            "{printed}"
        );
    }

    #[test]
    fn held_values_are_bounded_and_slots_replace_their_values() {
        let r = Redactor::default();
        r.set(Slot::Credentials, ["user@example.com", "the-PASSWORD"]);
        r.set(Slot::Grant, ["grant-TOKEN-0"]);
        for i in 0..1000 {
            r.add(&format!("loose-{i:04}"));
            r.set(Slot::Grant, [format!("grant-TOKEN-{}", i + 1)]);
        }
        assert!(r.held() <= 2 + 1 + MAX_RETIRED + MAX_LOOSE, "{}", r.held());
        // In force: masked; long replaced: no longer held.
        assert_eq!(r.redact("x the-PASSWORD"), "x ***");
        assert_eq!(r.redact("grant-TOKEN-1000"), "***");
        assert_eq!(
            r.redact("grant-TOKEN-0 loose-0000"),
            "grant-TOKEN-0 loose-0000"
        );
        // The value just replaced may still be in flight: still masked.
        assert_eq!(r.redact("grant-TOKEN-999"), "***");
        assert_eq!(r.redact("loose-0999"), "***");
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
