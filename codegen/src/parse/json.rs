//! JSON examples of the documentation: finding where a block ends and decoding it
//! while keeping the key order of the page (the generated types follow it).

use std::fmt;

use serde::de::{self, Deserialize, Deserializer, MapAccess, SeqAccess, Visitor};

/// A JSON value whose objects keep their keys in document order.
#[derive(Debug, Clone, PartialEq)]
pub enum Json {
    /// `null`
    Null,
    /// `true` / `false`
    Bool(bool),
    /// A number without fraction or exponent that fits an i64.
    Int(i64),
    /// Any other number.
    Float(f64),
    /// A string.
    Str(String),
    /// An array.
    Array(Vec<Json>),
    /// An object, keys in document order.
    Object(Vec<(String, Json)>),
}

impl<'de> Deserialize<'de> for Json {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(JsonVisitor)
    }
}

struct JsonVisitor;

impl<'de> Visitor<'de> for JsonVisitor {
    type Value = Json;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON value")
    }
    fn visit_unit<E>(self) -> Result<Json, E> {
        Ok(Json::Null)
    }
    fn visit_bool<E>(self, v: bool) -> Result<Json, E> {
        Ok(Json::Bool(v))
    }
    fn visit_i64<E>(self, v: i64) -> Result<Json, E> {
        Ok(Json::Int(v))
    }
    fn visit_u64<E>(self, v: u64) -> Result<Json, E> {
        Ok(i64::try_from(v).map_or(Json::Float(v as f64), Json::Int))
    }
    fn visit_f64<E>(self, v: f64) -> Result<Json, E> {
        Ok(Json::Float(v))
    }
    fn visit_str<E>(self, v: &str) -> Result<Json, E> {
        Ok(Json::Str(v.to_owned()))
    }
    fn visit_string<E>(self, v: String) -> Result<Json, E> {
        Ok(Json::Str(v))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Json, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element()? {
            items.push(item);
        }
        Ok(Json::Array(items))
    }
    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Json, A::Error> {
        let mut entries: Vec<(String, Json)> = Vec::new();
        while let Some((key, value)) = map.next_entry::<String, Json>()? {
            if entries.iter().any(|(k, _)| *k == key) {
                return Err(de::Error::custom(format_args!("duplicate key `{key}`")));
            }
            entries.push((key, value));
        }
        Ok(Json::Object(entries))
    }
}

/// Tracks the nesting of `{`/`[` over the lines of a block, ignoring brackets in
/// strings, to know on which line a JSON example ends.
#[derive(Debug, Default)]
pub struct BlockScanner {
    depth: i64,
    in_string: bool,
    escaped: bool,
}

impl BlockScanner {
    /// Feeds one line; returns true when the value is complete after it.
    pub fn feed(&mut self, line: &str) -> bool {
        for c in line.chars() {
            if self.in_string {
                if self.escaped {
                    self.escaped = false;
                } else if c == '\\' {
                    self.escaped = true;
                } else if c == '"' {
                    self.in_string = false;
                }
                continue;
            }
            match c {
                '"' => self.in_string = true,
                '{' | '[' => self.depth += 1,
                '}' | ']' => self.depth -= 1,
                _ => {}
            }
        }
        // A string cannot span lines in JSON: an unterminated one is closed here and
        // the decoder reports it.
        self.in_string = false;
        self.escaped = false;
        self.depth <= 0
    }
}

/// Decodes a JSON block; on failure returns (line offset inside the block starting
/// at 0, message).
pub fn decode(text: &str) -> Result<Json, (usize, String)> {
    serde_json::from_str::<Json>(text).map_err(|e| {
        let msg = e.to_string();
        // serde_json appends " at line L column C"; the caller reports its own line.
        let msg = match msg.rfind(" at line ") {
            Some(i) => msg[..i].to_owned(),
            None => msg,
        };
        (e.line().saturating_sub(1), msg)
    })
}

/// True when a line can start a JSON example (object, array or scalar).
pub fn starts_json(line: &str) -> bool {
    line.starts_with('{')
        || line.starts_with('[')
        || line.starts_with('"')
        || line == "true"
        || line == "false"
        || line == "null"
        || (line.starts_with(|c: char| c == '-' || c.is_ascii_digit())
            && serde_json::from_str::<serde::de::IgnoredAny>(line).is_ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_key_order_and_integer_kinds() {
        let v = decode(r#"{ "z" : 1774337683190, "a" : 0.5, "m" : [ true, null ] }"#).unwrap();
        assert_eq!(
            v,
            Json::Object(vec![
                ("z".into(), Json::Int(1774337683190)),
                ("a".into(), Json::Float(0.5)),
                ("m".into(), Json::Array(vec![Json::Bool(true), Json::Null])),
            ])
        );
    }

    #[test]
    fn reports_line_of_error_inside_block() {
        let (line, msg) = decode("{\n  \"a\" : 1,\n  \"b\" 2\n}").unwrap_err();
        assert_eq!(line, 2);
        assert!(msg.contains("expected `:`"), "{msg}");
    }

    #[test]
    fn rejects_duplicate_keys() {
        let (_, msg) = decode(r#"{ "a" : 1, "a" : 2 }"#).unwrap_err();
        assert!(msg.contains("duplicate key `a`"), "{msg}");
    }

    #[test]
    fn scanner_ignores_brackets_in_strings() {
        let mut s = BlockScanner::default();
        assert!(!s.feed("{"));
        assert!(!s.feed(r#"  "deviceURL" : "a [b] {c}","#));
        assert!(s.feed("}"));
    }
}
