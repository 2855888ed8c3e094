//! Typed values of device states, attributes and command parameters.
//!
//! The API sends each of these as a `type` code beside a `value`: 0 none, 1 integer,
//! 2 float, 3 string, 5 date (ms since the epoch), 6 boolean, 10 JSON array,
//! 11 JSON object. Cloud event streams send every value as a string (`"23247220"`),
//! local gateways send typed JSON (`23247220`); both read the same here. A value
//! that disagrees with its code (an integer code carrying `24.2`) is kept as sent,
//! and a code this crate does not know gives [`StateValue::Raw`].

use serde_json::{Map, Value};

use crate::types;

/// The `type` codes of state values.
pub mod type_code {
    /// No value.
    pub const NONE: i64 = 0;
    /// Whole number.
    pub const INTEGER: i64 = 1;
    /// Decimal number.
    pub const FLOAT: i64 = 2;
    /// Text.
    pub const STRING: i64 = 3;
    /// Date, in milliseconds since the Unix epoch.
    pub const DATE: i64 = 5;
    /// Boolean.
    pub const BOOLEAN: i64 = 6;
    /// JSON array.
    pub const JSON_ARRAY: i64 = 10;
    /// JSON object.
    pub const JSON_OBJECT: i64 = 11;
}

/// A state (or attribute, or parameter) value read according to its `type` code.
#[derive(Debug, Clone, PartialEq)]
#[non_exhaustive]
pub enum StateValue {
    /// No value (code 0, or no value sent).
    None,
    /// A whole number.
    Int(i64),
    /// A decimal number (also an integer-coded value sent with a fraction).
    Float(f64),
    /// Text.
    String(String),
    /// A date, in milliseconds since the Unix epoch.
    Date(i64),
    /// A boolean.
    Bool(bool),
    /// A JSON array.
    Array(Vec<Value>),
    /// A JSON object.
    Object(Map<String, Value>),
    /// A value whose code is unknown, or that cannot be read as its code says: kept
    /// as sent.
    Raw(Value),
}

impl StateValue {
    /// Reads `value` according to `code`.
    pub fn from_json(code: Option<i64>, value: Option<&Value>) -> StateValue {
        let Some(value) = value.filter(|v| !v.is_null()) else {
            return StateValue::None;
        };
        match code {
            Some(type_code::NONE) => StateValue::Raw(value.clone()),
            Some(type_code::INTEGER) => number(value, false),
            Some(type_code::FLOAT) => number(value, true),
            Some(type_code::STRING) => match value {
                Value::String(s) => StateValue::String(s.clone()),
                other => StateValue::Raw(other.clone()),
            },
            Some(type_code::DATE) => match number(value, false) {
                StateValue::Int(ms) => StateValue::Date(ms),
                other => other,
            },
            Some(type_code::BOOLEAN) => match value {
                Value::Bool(b) => StateValue::Bool(*b),
                Value::String(s) if s == "true" => StateValue::Bool(true),
                Value::String(s) if s == "false" => StateValue::Bool(false),
                other => StateValue::Raw(other.clone()),
            },
            Some(type_code::JSON_ARRAY) => match embedded_json(value) {
                Some(Value::Array(items)) => StateValue::Array(items),
                _ => StateValue::Raw(value.clone()),
            },
            Some(type_code::JSON_OBJECT) => match embedded_json(value) {
                Some(Value::Object(map)) => StateValue::Object(map),
                _ => StateValue::Raw(value.clone()),
            },
            _ => StateValue::Raw(value.clone()),
        }
    }

    /// The value as a whole number: integers and dates, and decimals without a
    /// fraction.
    pub fn as_i64(&self) -> Option<i64> {
        match self {
            StateValue::Int(n) | StateValue::Date(n) => Some(*n),
            StateValue::Float(f) if f.fract() == 0.0 && f.abs() < 9.0e15 => Some(*f as i64),
            _ => None,
        }
    }

    /// The value as a decimal number (integers included).
    pub fn as_f64(&self) -> Option<f64> {
        match self {
            StateValue::Float(f) => Some(*f),
            StateValue::Int(n) => Some(*n as f64),
            _ => None,
        }
    }

    /// The value as a boolean.
    pub fn as_bool(&self) -> Option<bool> {
        match self {
            StateValue::Bool(b) => Some(*b),
            _ => None,
        }
    }

    /// The value as text.
    pub fn as_str(&self) -> Option<&str> {
        match self {
            StateValue::String(s) => Some(s),
            _ => None,
        }
    }

    /// The value as a date, in milliseconds since the Unix epoch.
    pub fn as_date_ms(&self) -> Option<i64> {
        match self {
            StateValue::Date(ms) => Some(*ms),
            _ => None,
        }
    }

    /// The value as a JSON array.
    pub fn as_array(&self) -> Option<&[Value]> {
        match self {
            StateValue::Array(items) => Some(items),
            _ => None,
        }
    }

    /// The value as a JSON object.
    pub fn as_object(&self) -> Option<&Map<String, Value>> {
        match self {
            StateValue::Object(map) => Some(map),
            _ => None,
        }
    }

    /// True when there is no value.
    pub fn is_none(&self) -> bool {
        matches!(self, StateValue::None)
    }
}

/// A number from a JSON number or from a numeric string (cloud events); integers
/// stay integers unless `float` asks for a decimal. Anything else is kept raw.
fn number(value: &Value, float: bool) -> StateValue {
    let from_number = |n: &serde_json::Number| match (float, n.as_i64()) {
        (false, Some(i)) => StateValue::Int(i),
        _ => n.as_f64().map_or_else(
            || StateValue::Raw(Value::Number(n.clone())),
            StateValue::Float,
        ),
    };
    match value {
        Value::Number(n) => from_number(n),
        Value::String(s) => match serde_json::from_str::<Value>(s.trim()) {
            Ok(Value::Number(n)) => from_number(&n),
            _ => StateValue::Raw(value.clone()),
        },
        other => StateValue::Raw(other.clone()),
    }
}

/// JSON sent as such (local gateways) or inside a string (cloud events).
fn embedded_json(value: &Value) -> Option<Value> {
    match value {
        Value::String(s) => serde_json::from_str(s).ok(),
        other => Some(other.clone()),
    }
}

/// Things that carry a `type` code and a `value`: device states and attributes, the
/// state changes of events, command parameters.
pub trait TypedValue {
    /// The `type` code, if sent.
    fn type_code(&self) -> Option<i64>;

    /// The value as sent.
    fn raw_value(&self) -> Option<&Value>;

    /// The value read according to its code.
    fn typed_value(&self) -> StateValue {
        StateValue::from_json(self.type_code(), self.raw_value())
    }

    /// The value as a whole number (see [`StateValue::as_i64`]).
    fn as_i64(&self) -> Option<i64> {
        self.typed_value().as_i64()
    }

    /// The value as a decimal number (see [`StateValue::as_f64`]).
    fn as_f64(&self) -> Option<f64> {
        self.typed_value().as_f64()
    }

    /// The value as a boolean.
    fn as_bool(&self) -> Option<bool> {
        self.typed_value().as_bool()
    }

    /// The value as text (only for text values; numbers are not converted).
    fn as_str(&self) -> Option<&str> {
        match self.raw_value()? {
            Value::String(s) if self.type_code() == Some(type_code::STRING) => Some(s),
            _ => None,
        }
    }
}

macro_rules! typed_value {
    ($($ty:ty),*) => {$(
        impl TypedValue for $ty {
            fn type_code(&self) -> Option<i64> {
                self.r#type
            }
            fn raw_value(&self) -> Option<&Value> {
                self.value.as_ref()
            }
        }
    )*};
}

typed_value!(
    types::DeviceState,
    types::DeviceAttribute,
    types::DeviceStateChangeItem,
    types::DeviceAttributeChangeItem,
    types::ExecutionCommandParameter
);

impl types::Device {
    /// The state with this name (`core:ClosureState`), if the device reports it.
    pub fn state(&self, name: &str) -> Option<&types::DeviceState> {
        self.states
            .as_deref()?
            .iter()
            .find(|s| s.name.as_deref() == Some(name))
    }

    /// The attribute with this name (`core:Manufacturer`), if the device has it.
    pub fn attribute(&self, name: &str) -> Option<&types::DeviceAttribute> {
        self.attributes
            .as_deref()?
            .iter()
            .find(|a| a.name.as_deref() == Some(name))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn read(code: i64, value: Value) -> StateValue {
        StateValue::from_json(Some(code), Some(&value))
    }

    #[test]
    fn cloud_strings_and_local_json_read_the_same() {
        assert_eq!(read(1, json!("23247220")), StateValue::Int(23247220));
        assert_eq!(read(1, json!(23247220)), StateValue::Int(23247220));
        assert_eq!(read(2, json!("19.5")), StateValue::Float(19.5));
        assert_eq!(read(2, json!(19)), StateValue::Float(19.0));
        assert_eq!(
            read(5, json!("1631130760744")),
            StateValue::Date(1631130760744)
        );
        assert_eq!(read(6, json!("true")), StateValue::Bool(true));
        assert_eq!(read(6, json!(false)), StateValue::Bool(false));
        assert_eq!(
            read(10, json!("[1,2]")),
            StateValue::Array(vec![json!(1), json!(2)])
        );
        assert_eq!(
            read(10, json!([1, 2])),
            StateValue::Array(vec![json!(1), json!(2)])
        );
        assert_eq!(
            read(11, json!("{\"a\":1}")).as_object().unwrap()["a"],
            json!(1)
        );
        assert_eq!(
            read(11, json!({"a": 1})).as_object().unwrap()["a"],
            json!(1)
        );
        assert_eq!(read(3, json!("open")), StateValue::String("open".into()));
    }

    #[test]
    fn mismatched_values_are_kept_as_sent() {
        assert_eq!(read(1, json!(24.2)), StateValue::Float(24.2));
        assert_eq!(read(1, json!(24.2)).as_i64(), None);
        assert_eq!(read(1, json!(24.0)).as_i64(), Some(24));
        assert_eq!(read(1, json!("n/a")), StateValue::Raw(json!("n/a")));
        assert_eq!(read(3, json!(7)), StateValue::Raw(json!(7)));
        assert_eq!(read(6, json!(1)), StateValue::Raw(json!(1)));
        assert_eq!(read(42, json!("x")), StateValue::Raw(json!("x")));
        assert_eq!(
            read(11, json!("not json")),
            StateValue::Raw(json!("not json"))
        );
        assert_eq!(StateValue::from_json(Some(0), None), StateValue::None);
        assert_eq!(
            StateValue::from_json(Some(1), Some(&Value::Null)),
            StateValue::None
        );
    }
}
