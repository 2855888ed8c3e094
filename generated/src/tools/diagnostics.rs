//! Diagnostics people can post: [`anonymize`] any API answer (a setup, events, an
//! execution history, ...) before sharing it in a bug report.
//!
//! What is replaced, wherever it appears (values, object keys, inside labels,
//! metadata and other texts):
//!
//! - gateway ids (`1234-5678-9012`: `gatewayId` values, the gateway part of device
//!   URLs, `SETUP-<gatewayId>` setup ids, and any text of that shape) by fake ids of
//!   the same shape, so device URLs still parse;
//! - UUIDs (object ids: `oid`, `placeOID`, `setupOID`, `execId`, metadata, ...) by
//!   fake UUIDs;
//! - e-mail addresses (also Nexity's `name_-_domain` form) by `userN@example.com`;
//! - the values of identifier keys (`id`, `oid`, `…OID`, `userId`, `owner`, ...) that
//!   have none of these shapes, by fakes of the same shape;
//! - location (`addressLine1`, `addressLine2`, `city`, `postalCode`, `country`,
//!   `twilightCity`, `latitude`, `longitude`) by `***`, or `0` for numbers;
//! - secrets (keys naming a token, password, secret or key; JWTs) by `***`;
//! - the values of states and attributes that identify the home (network names and
//!   addresses, serial numbers, HomeKit codes, coordinates), by `***`;
//! - labels (`label`, `core:NameState`, `core:LabelState`) only when asked
//!   ([`Anonymizer::labels`]), by `Label xxxx`.
//!
//! The replacement of a value depends only on the value and the seed: the same
//! gateway id gets the same fake id everywhere in one dump (and in every dump made
//! with the same seed), so relations (device → gateway, device → place) survive.
//! A fake never equals nor contains an original identifier of the dump.
//!
//! The work is linear in the size of the dump: identifiers are found and replaced
//! by automata built once per dump, not searched for one by one.
//!
//! Device addresses (the part of a device URL after the gateway id) are replaced
//! too when they could identify hardware (see [`Anonymizer::addresses`]); short ones
//! (`1`, `pod/0`) are kept.
//!
//! ```
//! use serde_json::json;
//! let setup = json!({
//!     "id": "SETUP-1234-1234-5752",
//!     "gateways": [{"gatewayId": "1234-1234-5752"}],
//!     "devices": [{"deviceURL": "io://1234-1234-5752/960379#2", "label": "Kitchen",
//!                  "oid": "0d84c6d3-e22f-4ec6-b064-24f47ae6a27f"}],
//!     "location": {"city": "Lyon", "latitude": 45.76},
//!     "owner": "someone@example.org"
//! });
//! let shared = overkiz::diagnostics::anonymize(&setup);
//! let text = shared.to_string();
//! for original in ["1234-1234-5752", "0d84c6d3", "Lyon", "45.76", "someone"] {
//!     assert!(!text.contains(original));
//! }
//! let gateway = shared["gateways"][0]["gatewayId"].as_str().unwrap();
//! let url = overkiz::DeviceUrl::parse(shared["devices"][0]["deviceURL"].as_str().unwrap()).unwrap();
//! assert_eq!(url.gateway_id(), gateway);
//! assert_eq!(shared["id"], format!("SETUP-{gateway}"));
//! assert_eq!(shared["devices"][0]["label"], "Kitchen"); // labels are kept by default
//! ```

use std::collections::{BTreeMap, BTreeSet};

use aho_corasick::{AhoCorasick, AhoCorasickKind, Input, MatchKind};
use serde_json::{Map, Value};

use crate::transport::request::Request;
use crate::types::Setup;
use crate::value::device_url::DeviceUrl;
use crate::{operations, Client, Error};

/// The seed [`anonymize`] uses.
pub const DEFAULT_SEED: u64 = 0x6f76_6572_6b69_7a21;

/// What replaces a masked value.
const MASK: &str = "***";

/// Keys whose value is part of an address or a position.
const LOCATION_KEYS: &[&str] = &[
    "addressLine1",
    "addressLine2",
    "city",
    "country",
    "latitude",
    "longitude",
    "postalCode",
    "twilightCity",
];

/// Keys whose value identifies something (mapped consistently).
const ID_KEYS: &[&str] = &[
    "id", "oid", "owner", "ownerId", "setupId", "user", "userId", "userName", "username", "login",
];

/// States and attributes whose value identifies the home or its network (the list
/// pyoverkiz masks, labels aside).
const SENSITIVE_STATES: &[&str] = &[
    "core:DeviceSerialNumberState",
    "core:IPAddress",
    "core:IPAddressState",
    "core:LocalIPv4AddressState",
    "core:LocationLatitudeState",
    "core:LocationLongitudeState",
    "core:MacAddress",
    "core:NetworkMacState",
    "core:SSIDState",
    "core:SerialNumber",
    "homekit:SetupCode",
    "homekit:SetupPayload",
    "internal:CurrentInfraConfigState",
];

/// States whose value is a label.
const LABEL_STATES: &[&str] = &["core:LabelState", "core:NameState"];

/// Anonymizes API answers; see the [module documentation](self).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Anonymizer {
    seed: u64,
    labels: bool,
    addresses: bool,
}

impl Default for Anonymizer {
    fn default() -> Anonymizer {
        Anonymizer::new(DEFAULT_SEED)
    }
}

/// Anonymizes `value` with the default seed, keeping labels; see the
/// [module documentation](self).
pub fn anonymize(value: &Value) -> Value {
    Anonymizer::default().anonymize(value)
}

impl Client {
    /// What to attach to a bug report, as pyoverkiz's `get_diagnostic_data` gives
    /// it: `{"setup": GET /setup, "actionGroups": GET /actionGroups}` as the server
    /// sent them, anonymized together by `anonymizer` (so that an action group's
    /// device URLs match the setup's), unless it is `None`. Local gateways have no
    /// `/actionGroups`: there, `actionGroups` is left out.
    pub async fn diagnostic_data(&self, anonymizer: Option<&Anonymizer>) -> Result<Value, Error> {
        let setup: Value = self
            .send_request(Request::new(&operations::GET_SETUP))
            .await?
            .json()?;
        let mut data = Map::new();
        data.insert("setup".into(), setup);
        if !self.server().is_local() {
            let groups: Value = self
                .send_request(Request::new(&operations::GET_ACTION_GROUPS))
                .await?
                .json()?;
            data.insert("actionGroups".into(), groups);
        }
        let data = Value::Object(data);
        Ok(match anonymizer {
            Some(anonymizer) => anonymizer.anonymize(&data),
            None => data,
        })
    }
}

/// Anonymizes a setup with the default seed, keeping labels.
#[inline]
pub fn anonymize_setup(setup: &Setup) -> Result<Setup, serde_json::Error> {
    Anonymizer::default().anonymize_setup(setup)
}

impl Anonymizer {
    /// An anonymizer whose fakes derive from `seed` (labels kept).
    pub fn new(seed: u64) -> Anonymizer {
        Anonymizer {
            seed,
            labels: false,
            addresses: true,
        }
    }

    /// Whether to replace device addresses too (default: yes): the parts of at least
    /// 6 characters with a digit of the address in device URLs (`16756006`, a Hue
    /// bridge's `001788676dde`), by fakes of the same shape, wherever they appear.
    /// Short parts (`1`, `pod/0`, `lights/10`) are kept: they do not identify a home.
    pub fn addresses(mut self, replace: bool) -> Anonymizer {
        self.addresses = replace;
        self
    }

    /// Whether to replace labels too (device, place, gateway and action group
    /// labels, `core:NameState`, `core:LabelState`).
    pub fn labels(mut self, replace: bool) -> Anonymizer {
        self.labels = replace;
        self
    }

    /// Anonymizes a setup. Fails only if the anonymized setup does not decode again,
    /// which the decoding's leniency rules out in practice.
    //
    // `#[inline]`, and decoding from bytes rather than from the `Value`: this crate
    // compiles no encoder or decoder of `Setup` (14% of its LLVM IR when it did),
    // and a program that calls this compiles only the ones its `get_setup` and the
    // lenient decoding's fallback (`to_value`) already need.
    #[inline]
    pub fn anonymize_setup(&self, setup: &Setup) -> Result<Setup, serde_json::Error> {
        let value = serde_json::to_value(setup)?;
        let anonymized = serde_json::to_vec(&self.anonymize(&value))?;
        serde_json::from_slice(&anonymized)
    }

    /// Anonymizes any JSON answer.
    pub fn anonymize(&self, value: &Value) -> Value {
        let mut found = Found {
            addresses: self.addresses,
            ..Found::default()
        };
        found.collect(value, self.labels);
        let map = self.mapping(&found);
        Rewrite {
            map: &map,
            labels: self.labels,
        }
        .value(value)
    }

    fn mapping(&self, found: &Found) -> Mapping {
        let originals: BTreeSet<&str> = found
            .ids
            .iter()
            .chain(&found.emails)
            .chain(&found.labels)
            .map(String::as_str)
            .collect();
        let mut taken: BTreeSet<String> = BTreeSet::new();
        let mut replace: BTreeMap<String, String> = BTreeMap::new();
        // Whether a fake contains an original, or lies inside one: each asked in the
        // fake's length, not the dump's (the dump has thousands of ids).
        let contains_original = automaton(MatchKind::Standard, originals.iter());
        let inside_original = Substrings::new(originals.iter().copied());
        let mut fresh = |original: &str, make: &dyn Fn(u64) -> String| {
            let mut round = 0u64;
            loop {
                let fake = make(hash(self.seed, original, round));
                let clashes = fake == original
                    || taken.contains(&fake)
                    || match &contains_original {
                        Some(automaton) => automaton.is_match(&fake),
                        None => originals.iter().any(|o| fake.contains(o)),
                    }
                    || inside_original.contains(&fake);
                if !clashes || round > 64 {
                    taken.insert(fake.clone());
                    return fake;
                }
                round += 1;
            }
        };
        for id in &found.ids {
            let fake = fresh(id, &|h| same_shape(id, h));
            replace.insert(id.clone(), fake);
        }
        for email in &found.emails {
            let separator = if email.contains('@') { "@" } else { "_-_" };
            let fake = fresh(email, &|h| {
                format!("user{}{separator}example.com", h % 100_000)
            });
            replace.insert(email.clone(), fake);
        }
        let mut labels = BTreeMap::new();
        for label in &found.labels {
            let fake = fresh(label, &|h| format!("Label {:04x}", h & 0xffff));
            labels.insert(label.clone(), fake);
        }
        // Longest first, so that an id inside a longer one is not replaced first.
        let mut ordered: Vec<(String, String)> = replace.into_iter().collect();
        ordered.sort_by(|a, b| b.0.len().cmp(&a.0.len()).then(a.0.cmp(&b.0)));
        let finder = automaton(
            MatchKind::LeftmostLongest,
            ordered.iter().map(|(original, _)| original),
        );
        Mapping {
            substrings: ordered,
            finder,
            labels,
        }
    }
}

/// What the first pass found.
#[derive(Default)]
struct Found {
    /// Identifiers: gateway ids, UUIDs, values of identifier keys.
    ids: BTreeSet<String>,
    emails: BTreeSet<String>,
    labels: BTreeSet<String>,
    /// Whether device addresses are identifiers.
    addresses: bool,
}

impl Found {
    fn collect(&mut self, value: &Value, labels: bool) {
        match value {
            Value::Object(map) => {
                let state = state_name(map);
                for (key, item) in map {
                    self.text(key);
                    if let Value::String(s) = item {
                        if is_id_key(key) && !is_secret_key(key) {
                            self.id_value(s);
                        }
                        if labels
                            && (key == "label"
                                || (key == "value"
                                    && state.is_some_and(|n| LABEL_STATES.contains(&n))))
                            && !s.trim().is_empty()
                        {
                            self.labels.insert(s.clone());
                        }
                    }
                    self.collect(item, labels);
                }
            }
            Value::Array(items) => items.iter().for_each(|v| self.collect(v, labels)),
            Value::String(s) => self.text(s),
            _ => {}
        }
    }

    /// The value of an identifier key.
    fn id_value(&mut self, s: &str) {
        if let Some(gateway) = s.strip_prefix("SETUP-") {
            self.id(gateway);
        } else if !s.contains('@') && s.chars().any(|c| c.is_ascii_alphanumeric()) {
            self.id(s);
        }
    }

    fn id(&mut self, s: &str) {
        // Very short ids would be found inside unrelated texts.
        if s.len() >= 4 {
            self.ids.insert(s.to_owned());
        }
    }

    /// Identifiers and e-mail addresses inside any text.
    fn text(&mut self, s: &str) {
        if s.len() < 6 {
            return;
        }
        if s.contains("://") {
            if let Ok(url) = DeviceUrl::parse(s) {
                self.id(url.gateway_id());
                if self.addresses {
                    for part in url.device_address().split('/') {
                        if part.len() >= 6 && part.bytes().any(|b| b.is_ascii_digit()) {
                            self.id(part);
                        }
                    }
                }
            }
        }
        for (start, end) in find_shapes(s, 14, is_gateway_id) {
            self.id(&s[start..end]);
        }
        for (start, end) in find_shapes(s, 36, is_uuid) {
            self.id(&s[start..end]);
        }
        for email in find_emails(s) {
            self.emails.insert(email.to_owned());
        }
    }
}

/// The replacements of one dump.
struct Mapping {
    /// (original, fake), longest original first.
    substrings: Vec<(String, String)>,
    /// Finds the originals of `substrings` in a text, longest first, in one pass
    /// (`None` only if the automaton would be too large: then one search each).
    finder: Option<AhoCorasick>,
    /// Label → fake label (exact values only).
    labels: BTreeMap<String, String>,
}

struct Rewrite<'a> {
    map: &'a Mapping,
    labels: bool,
}

impl Rewrite<'_> {
    fn value(&self, value: &Value) -> Value {
        match value {
            Value::Object(map) => {
                let state = state_name(map);
                let mut out = Map::with_capacity(map.len());
                for (k, v) in map {
                    let sensitive_state =
                        k == "value" && state.is_some_and(|n| SENSITIVE_STATES.contains(&n));
                    let label_state =
                        k == "value" && state.is_some_and(|n| LABEL_STATES.contains(&n));
                    let new = if is_secret_key(k)
                        || LOCATION_KEYS.contains(&k.as_str())
                        || sensitive_state
                    {
                        mask(v)
                    } else if self.labels && (k == "label" || label_state) {
                        match v {
                            Value::String(s) => Value::String(
                                self.map
                                    .labels
                                    .get(s)
                                    .cloned()
                                    .unwrap_or_else(|| self.text(s)),
                            ),
                            other => self.value(other),
                        }
                    } else {
                        self.value(v)
                    };
                    out.insert(self.text(k), new);
                }
                Value::Object(out)
            }
            Value::Array(items) => Value::Array(items.iter().map(|v| self.value(v)).collect()),
            Value::String(s) if looks_like_jwt(s) => Value::String(MASK.into()),
            Value::String(s) => Value::String(self.text(s)),
            other => other.clone(),
        }
    }

    fn text(&self, s: &str) -> String {
        if s.len() < 4 {
            return s.to_owned();
        }
        let Some(finder) = &self.map.finder else {
            return self.text_one_by_one(s);
        };
        let bytes = s.as_bytes();
        let mut out = String::with_capacity(s.len());
        let (mut copied, mut at) = (0, 0);
        while let Some(found) = finder.find(Input::new(s).span(at..s.len())) {
            let (original, fake) = &self.map.substrings[found.pattern().as_usize()];
            let (start, end) = (found.start(), found.end());
            // Long ids cannot be part of something else by chance; short ones
            // (device addresses) are only replaced as whole words.
            let whole = original.len() >= 12
                || ((start == 0 || !bytes[start - 1].is_ascii_alphanumeric())
                    && (end == bytes.len() || !bytes[end].is_ascii_alphanumeric()));
            if whole {
                out.push_str(&s[copied..start]);
                out.push_str(fake);
                (copied, at) = (end, end);
            } else {
                at = start + 1;
            }
        }
        out.push_str(&s[copied..]);
        out
    }

    /// [`Rewrite::text`] one original after the other (quadratic: only when the
    /// automaton could not be built).
    fn text_one_by_one(&self, s: &str) -> String {
        let mut out = s.to_owned();
        for (original, fake) in &self.map.substrings {
            if out.len() >= original.len() && out.contains(original.as_str()) {
                // Long ids cannot be part of something else by chance; short ones
                // (device addresses) are only replaced as whole words.
                out = if original.len() >= 12 {
                    out.replace(original.as_str(), fake)
                } else {
                    replace_bounded(&out, original, fake)
                };
            }
        }
        out
    }
}

/// `text` with each occurrence of `original` that is not glued to a letter or digit
/// (`960379` in `io://gw/960379#2`, not in `19603791`) replaced by `fake`.
fn replace_bounded(text: &str, original: &str, fake: &str) -> String {
    let bytes = text.as_bytes();
    let mut out = String::with_capacity(text.len());
    let mut copied = 0;
    for (start, _) in text.match_indices(original) {
        let end = start + original.len();
        if start < copied {
            continue; // overlaps the previous replacement
        }
        let before = start == 0 || !bytes[start - 1].is_ascii_alphanumeric();
        let after = end == bytes.len() || !bytes[end].is_ascii_alphanumeric();
        if before && after {
            out.push_str(&text[copied..start]);
            out.push_str(fake);
            copied = end;
        }
    }
    out.push_str(&text[copied..]);
    out
}

/// A masked value of the same JSON kind where possible.
fn mask(value: &Value) -> Value {
    match value {
        Value::Null => Value::Null,
        Value::Number(_) => Value::from(0),
        Value::Bool(_) => Value::Bool(false),
        Value::Array(_) => Value::Array(Vec::new()),
        Value::Object(_) => Value::Object(Map::new()),
        Value::String(s) if s.is_empty() => Value::String(String::new()),
        Value::String(_) => Value::String(MASK.into()),
    }
}

/// The `name` of a state or attribute object (`{"name": ..., "value": ...}`).
fn state_name(map: &Map<String, Value>) -> Option<&str> {
    if map.contains_key("value") {
        map.get("name").and_then(Value::as_str)
    } else {
        None
    }
}

fn is_id_key(key: &str) -> bool {
    ID_KEYS.contains(&key) || key.ends_with("OID") || key.ends_with("Oid") || key == "execId"
}

fn is_secret_key(key: &str) -> bool {
    let key = key.to_ascii_lowercase();
    [
        "token",
        "password",
        "secret",
        "passphrase",
        "apikey",
        "ownerkey",
        "privatekey",
        "jsessionid",
        "credential",
    ]
    .iter()
    .any(|word| key.contains(word))
}

fn looks_like_jwt(s: &str) -> bool {
    s.starts_with("eyJ") && s.split('.').count() == 3 && s.len() > 20
}

/// `dddd-dddd-dddd`: the shape of gateway ids.
fn is_gateway_id(s: &[u8]) -> bool {
    s.len() == 14
        && s.iter().enumerate().all(|(i, b)| match i {
            4 | 9 => *b == b'-',
            _ => b.is_ascii_digit(),
        })
}

/// `xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx` in hexadecimal digits.
fn is_uuid(s: &[u8]) -> bool {
    s.len() == 36
        && s.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

/// Where `shape` holds on a `len`-byte window not glued to other letters or digits.
fn find_shapes(s: &str, len: usize, shape: fn(&[u8]) -> bool) -> Vec<(usize, usize)> {
    let bytes = s.as_bytes();
    let mut out = Vec::new();
    let mut i = 0;
    while i + len <= bytes.len() {
        let before = i == 0 || !bytes[i - 1].is_ascii_alphanumeric();
        let after = i + len == bytes.len() || !bytes[i + len].is_ascii_alphanumeric();
        if before && after && shape(&bytes[i..i + len]) {
            out.push((i, i + len));
            i += len;
        } else {
            i += 1;
        }
    }
    out
}

/// E-mail addresses (`local@domain.tld`, and Nexity's `local_-_domain.tld`).
fn find_emails(s: &str) -> Vec<&str> {
    let bytes = s.as_bytes();
    let local = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'%' | b'+' | b'-');
    let domain = |b: u8| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-');
    let mut out = Vec::new();
    // Where the run of local-part bytes ending at `i` starts, kept up to date as `i`
    // moves on (walking back from each separator is quadratic on `_-__-__-_...`).
    let (mut run_start, mut scanned) = (0, 0);
    let mut i = 0;
    while i < bytes.len() {
        let separator = if bytes[i] == b'@' {
            1
        } else if bytes[i..].starts_with(b"_-_") {
            3
        } else {
            i += 1;
            continue;
        };
        while scanned < i {
            if !local(bytes[scanned]) {
                run_start = scanned + 1;
            }
            scanned += 1;
        }
        let start = run_start;
        let mut end = i + separator;
        while end < bytes.len() && domain(bytes[end]) {
            end += 1;
        }
        let host = s[i + separator..end].trim_end_matches('.');
        let end = i + separator + host.len();
        if start < i && host.contains('.') && !host.starts_with('.') {
            out.push(&s[start..end]);
            i = end;
        } else {
            i += separator;
        }
    }
    out
}

/// An automaton finding `patterns` (an NFA: built in their total length, where a
/// DFA would take 256 transitions a state); `None` if it would be too large.
fn automaton<P: AsRef<[u8]>>(
    kind: MatchKind,
    patterns: impl IntoIterator<Item = P>,
) -> Option<AhoCorasick> {
    AhoCorasick::builder()
        .match_kind(kind)
        .kind(Some(AhoCorasickKind::ContiguousNFA))
        .build(patterns)
        .ok()
}

/// Every substring of a set of texts (a suffix automaton of the texts joined by a
/// byte UTF-8 never uses): whether a text lies inside one of them is answered in
/// the length of the text, whatever their number.
struct Substrings {
    states: Vec<SuffixState>,
}

struct SuffixState {
    len: usize,
    /// The suffix link; `usize::MAX` for the root.
    link: usize,
    /// Transitions by byte (most states have one or two).
    next: Vec<(u8, usize)>,
}

impl SuffixState {
    fn get(&self, byte: u8) -> Option<usize> {
        self.next
            .iter()
            .find(|(b, _)| *b == byte)
            .map(|(_, to)| *to)
    }

    fn set(&mut self, byte: u8, to: usize) {
        match self.next.iter_mut().find(|(b, _)| *b == byte) {
            Some(slot) => slot.1 = to,
            None => self.next.push((byte, to)),
        }
    }
}

impl Substrings {
    /// Never in UTF-8 text: no match can span two of the texts.
    const SEPARATOR: u8 = 0xff;

    fn new<'a>(texts: impl Iterator<Item = &'a str>) -> Substrings {
        let root = SuffixState {
            len: 0,
            link: usize::MAX,
            next: Vec::new(),
        };
        let mut this = Substrings { states: vec![root] };
        let mut last = 0;
        for text in texts {
            for &byte in text.as_bytes().iter().chain([&Substrings::SEPARATOR]) {
                last = this.extend(last, byte);
            }
        }
        this
    }

    /// The classic online construction: appends `byte` after the state `last`.
    fn extend(&mut self, last: usize, byte: u8) -> usize {
        let current = self.states.len();
        self.states.push(SuffixState {
            len: self.states[last].len + 1,
            link: 0,
            next: Vec::new(),
        });
        let mut p = last;
        while p != usize::MAX && self.states[p].get(byte).is_none() {
            self.states[p].set(byte, current);
            p = self.states[p].link;
        }
        let Some(q) = (p != usize::MAX)
            .then(|| self.states[p].get(byte))
            .flatten()
        else {
            return current;
        };
        if self.states[p].len + 1 == self.states[q].len {
            self.states[current].link = q;
            return current;
        }
        let clone = self.states.len();
        self.states.push(SuffixState {
            len: self.states[p].len + 1,
            link: self.states[q].link,
            next: self.states[q].next.clone(),
        });
        while p != usize::MAX && self.states[p].get(byte) == Some(q) {
            self.states[p].set(byte, clone);
            p = self.states[p].link;
        }
        self.states[q].link = clone;
        self.states[current].link = clone;
        current
    }

    /// Whether `text` lies inside one of the texts.
    fn contains(&self, text: &str) -> bool {
        let mut state = 0;
        for byte in text.bytes() {
            match self.states[state].get(byte) {
                Some(next) => state = next,
                None => return false,
            }
        }
        true
    }
}

/// A deterministic 64-bit hash of `text` for `seed` and `round` (FNV-1a, then a
/// SplitMix64 finalizer): stable across platforms and Rust versions.
fn hash(seed: u64, text: &str, round: u64) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325 ^ seed;
    for b in text.bytes().chain(round.to_le_bytes()) {
        h ^= u64::from(b);
        h = h.wrapping_mul(0x0100_0000_01b3);
    }
    let mut z = h.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// A fake of the same shape: each digit, hexadecimal letter or other letter
/// replaced by one of the same class (and case), the rest kept.
fn same_shape(original: &str, mut h: u64) -> String {
    let mut state = h;
    let mut next = |modulo: u64| {
        if state < 1 << 16 {
            h = h
                .wrapping_mul(0x5851_f42d_4c95_7f2d)
                .wrapping_add(0x1405_7b7e_f767_814f);
            state = h | 1 << 63;
        }
        let v = state % modulo;
        state /= modulo;
        v as u8
    };
    let hex = original
        .bytes()
        .all(|b| b.is_ascii_hexdigit() || !b.is_ascii_alphanumeric());
    original
        .chars()
        .map(|c| match c {
            '0'..='9' => char::from(b'0' + next(10)),
            'a'..='f' if hex => char::from(b"0123456789abcdef"[usize::from(next(16))]),
            'A'..='F' if hex => char::from(b"0123456789ABCDEF"[usize::from(next(16))]),
            'a'..='z' => char::from(b'a' + next(26)),
            'A'..='Z' => char::from(b'A' + next(26)),
            other => other,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn shapes() {
        assert_eq!(
            find_shapes("SETUP-1234-1234-5752", 14, is_gateway_id),
            [(6, 20)]
        );
        assert!(find_shapes("11234-1234-5752", 14, is_gateway_id).is_empty());
        assert_eq!(
            find_shapes("x 0d84c6d3-e22f-4ec6-b064-24f47ae6a27f.", 36, is_uuid),
            [(2, 38)]
        );
        assert_eq!(
            find_emails("mail me: a.b+c@ex-ample.co.uk."),
            ["a.b+c@ex-ample.co.uk"]
        );
        assert_eq!(find_emails("jan_-_domain.nl"), ["jan_-_domain.nl"]);
        assert!(find_emails("@home, a@b, x_-_y").is_empty());
        assert!(find_emails("Régler à 43% é@è.fr").is_empty());
        assert_eq!(find_emails("é a@b.fr è"), ["a@b.fr"]);
        assert!(find_shapes("é1234-1234-5752è", 14, is_gateway_id).len() == 1);
        let fake = same_shape("1234-1234-5752", 42);
        assert!(is_gateway_id(fake.as_bytes()));
        assert!(is_uuid(
            same_shape("0d84c6d3-e22f-4ec6-b064-24f47ae6a27f", 7).as_bytes()
        ));
    }

    #[test]
    fn replacements_respect_word_boundaries() {
        assert_eq!(
            replace_bounded("io://gw/960379#2 19603791 960379", "960379", "111111"),
            "io://gw/111111#2 19603791 111111"
        );
        assert_eq!(replace_bounded("aaaa", "aa", "b"), "aaaa");
        assert_eq!(replace_bounded("é960379è", "960379", "1"), "é1è");
    }

    #[test]
    fn device_addresses_are_replaced_unless_asked_not_to() {
        let input = json!({"deviceURL": "hue://1234-1234-4411/001788676dde/lights/10", "other": "io://1234-1234-4411/1#2"});
        let out = anonymize(&input);
        let url = DeviceUrl::parse(out["deviceURL"].as_str().unwrap()).unwrap();
        assert!(url.device_address().ends_with("/lights/10"));
        assert!(!url.device_address().contains("001788676dde"));
        assert_eq!(
            DeviceUrl::parse(out["other"].as_str().unwrap())
                .unwrap()
                .device_address(),
            "1"
        );
        let kept = Anonymizer::default().addresses(false).anonymize(&input);
        assert!(kept["deviceURL"]
            .as_str()
            .unwrap()
            .ends_with("/001788676dde/lights/10"));
    }

    #[test]
    fn ids_inside_labels_and_metadata_are_replaced_too() {
        let input = json!({
            "gateways": [{"gatewayId": "1234-1234-5752", "label": "Box 1234-1234-5752"}],
            "metadata": "{\"tahoma\":{\"order\":0,\"setup\":\"SETUP-1234-1234-5752\"}}",
            "name": "owner: jan_-_domain.nl, Jan@Example.org"
        });
        let out = anonymize(&input);
        let text = out.to_string();
        for original in ["1234-1234-5752", "jan_-_domain.nl", "Jan@Example.org"] {
            assert!(!text.contains(original), "{original} in {text}");
        }
        let gateway = out["gateways"][0]["gatewayId"].as_str().unwrap();
        assert_eq!(out["gateways"][0]["label"], format!("Box {gateway}"));
        assert!(out["metadata"]
            .as_str()
            .unwrap()
            .contains(&format!("SETUP-{gateway}")));
        assert!(out["name"].as_str().unwrap().contains("_-_example.com"));
    }

    #[test]
    fn deterministic_per_seed_and_consistent_within_a_dump() {
        let input = json!({
            "gateways": [{"gatewayId": "1234-1234-5752"}],
            "events": [{"deviceURL": "rts://1234-1234-5752/1", "name": "x 1234-1234-5752 y"}]
        });
        let a = Anonymizer::new(1).anonymize(&input);
        assert_eq!(a, Anonymizer::new(1).anonymize(&input));
        assert_ne!(a, Anonymizer::new(2).anonymize(&input));
        let gateway = a["gateways"][0]["gatewayId"].as_str().unwrap();
        assert_eq!(a["events"][0]["deviceURL"], format!("rts://{gateway}/1"));
        assert_eq!(a["events"][0]["name"], format!("x {gateway} y"));
    }

    #[test]
    fn secrets_locations_states_and_labels() {
        let input = json!({
            "token": "abc", "accessToken": "t0k3n-value", "jwt": "eyJhbGciOi.eyJzdWIiOi.sig-nature",
            "location": {"city": "Lyon", "latitude": 45.7, "timezone": "Europe/Paris"},
            "states": [
                {"name": "core:SSIDState", "type": 3, "value": "MyWifi"},
                {"name": "core:NameState", "type": 3, "value": "Kitchen"},
                {"name": "core:ClosureState", "type": 1, "value": 10}
            ],
            "label": "Kitchen", "userId": "u-12345"
        });
        let out = Anonymizer::new(3).labels(true).anonymize(&input);
        assert_eq!(out["token"], "***");
        assert_eq!(out["accessToken"], "***");
        assert_eq!(out["jwt"], "***");
        assert_eq!(
            out["location"],
            json!({"city": "***", "latitude": 0, "timezone": "Europe/Paris"})
        );
        assert_eq!(out["states"][0]["value"], "***");
        assert_eq!(out["states"][1]["value"], out["label"]);
        assert_ne!(out["label"], "Kitchen");
        assert_eq!(out["states"][2]["value"], 10);
        assert_ne!(out["userId"], "u-12345");
        assert_eq!(out["userId"].as_str().unwrap().len(), 7);
        let kept = anonymize(&input);
        assert_eq!(kept["label"], "Kitchen");
        assert_eq!(kept["states"][1]["value"], "Kitchen");
    }

    #[test]
    fn substrings_are_those_of_one_text() {
        let texts = ["hello", "world", "1234-5678-9012"];
        let index = Substrings::new(texts.iter().copied());
        for inside in [
            "",
            "ell",
            "hello",
            "lo",
            "wor",
            "orld",
            "5678-9",
            "1234-5678-9012",
        ] {
            assert!(index.contains(inside), "{inside}");
        }
        for outside in ["low", "helloworld", "hw", "dl", "9012-", "x"] {
            assert!(!index.contains(outside), "{outside}");
        }
        // Against the plain search, on texts with many repeats.
        let mut rng = fastrand::Rng::with_seed(7);
        let word = |rng: &mut fastrand::Rng, len: usize| -> String {
            (0..len)
                .map(|_| char::from(b"ab-1"[rng.usize(..4)]))
                .collect()
        };
        let texts: Vec<String> = (0..40)
            .map(|_| {
                let len = rng.usize(1..12);
                word(&mut rng, len)
            })
            .collect();
        let index = Substrings::new(texts.iter().map(String::as_str));
        for _ in 0..2000 {
            let len = rng.usize(1..8);
            let probe = word(&mut rng, len);
            let expected = texts.iter().any(|t| t.contains(&probe));
            assert_eq!(index.contains(&probe), expected, "{probe} in {texts:?}");
        }
    }

    /// Seconds per [`anonymize`] of `input`: the best of 3 runs of at least 50 ms
    /// each (a ratio of two of these is stable on a busy machine, a single time is not).
    fn seconds_per_call(input: &Value) -> f64 {
        (0..3)
            .map(|_| {
                let started = std::time::Instant::now();
                let mut calls = 0u32;
                while calls == 0 || started.elapsed() < std::time::Duration::from_millis(50) {
                    std::hint::black_box(anonymize(std::hint::black_box(input)));
                    calls += 1;
                }
                started.elapsed().as_secs_f64() / f64::from(calls)
            })
            .fold(f64::INFINITY, f64::min)
    }

    /// The work grows with the input, not with its square: 4 times the input costs
    /// about 4 times as much (16 times for a quadratic pass). Two shapes: a long run
    /// of Nexity's `_-_` separator, and a dump with many ids (each checked against
    /// every other for clashes, each text against every id).
    #[test]
    fn anonymize_is_linear_in_its_input() {
        let separators = |n: usize| json!({"metadata": "_-_".repeat(n)});
        let devices = |n: usize| {
            let devices: Vec<Value> = (0..n)
                .map(|i| {
                    json!({
                        "deviceURL": format!("io://{:04}-{:04}-{:04}/{:08}", i % 10_000, i / 10_000, i % 7_919, 10_000_000 + i),
                        "oid": format!("{:08x}-e22f-4ec6-b064-{:012x}", i, i * 7_919),
                        "placeOID": format!("{:08x}-0000-4ec6-b064-{:012x}", i, i),
                        "label": format!("Device {i}"),
                    })
                })
                .collect();
            json!({"devices": devices})
        };
        for (shape, make, n) in [
            ("`_-_` run", &separators as &dyn Fn(usize) -> Value, 10_000),
            ("many ids", &devices, 150),
        ] {
            let small = seconds_per_call(&make(n));
            let large = seconds_per_call(&make(4 * n));
            let ratio = large / small;
            assert!(
                ratio < 9.0,
                "{shape}: 4 times the input costs {ratio:.1} times as much"
            );
        }
    }
}
