//! Lossless, lenient decoding for the generated types.
//!
//! Real servers send what the documentation does not: extra fields, a number where
//! the doc shows a string, `null`s. Rejecting such a value would cost the user the
//! whole answer (one odd device would fail the whole setup), so:
//!
//! - every documented field decodes through [`Lenient`]: a value of the expected
//!   shape fills the field, a value of another shape is kept as JSON in the struct's
//!   `extra` map under its wire name (so re-encoding gives it back);
//! - undocumented fields go to `extra` too.
//!
//! Decoding streams over the input (no intermediate `serde_json::Value` for
//! documented fields), so typed decoding stays faster than decoding to `Value`.

use std::any::Any;
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::fmt;
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

/// Which version of the API's wire form a value was received in, for the types whose
/// fields (or event tag) the newest documentation renamed: decoding accepts both
/// names, and encoding writes the names of the form received, so a value goes back
/// to a server as that server sent it. It takes no part in equality: the same event
/// in either form is the same value.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum WireForm {
    /// The names of the newest documentation (the default, and what is sent).
    #[default]
    Newest,
    /// The names of the previous version of the documentation (the aliases of the
    /// spec, `spec/README.md`).
    Previous,
}

/// The wire name of a field in a form: its alias in the previous form when it has
/// one, else its newest name.
#[inline]
pub fn wire_name(form: WireForm, wire: &'static str, aliases: &[&'static str]) -> &'static str {
    match (form, aliases.first()) {
        (WireForm::Previous, Some(alias)) => alias,
        _ => wire,
    }
}

/// A generated struct, filled one key at a time.
pub trait Fields: Default {
    /// Name of the type, for error messages.
    const NAME: &'static str;

    /// The wire names of the documented fields, aliases included.
    const KEYS: &'static [&'static str];

    /// Decodes the value of `key` into its field when `key` is a documented field;
    /// returns `Ok(false)` otherwise (the value is then still to be read).
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;

    /// The map that keeps undocumented fields and values of unexpected shape.
    fn extra_mut(&mut self) -> &mut Map<String, Value>;

    /// The field of wire name `key` (or of an alias of it), an `Option` behind
    /// `dyn Any`: to move a decoded value into the same field of another type.
    fn slot(&mut self, key: &str) -> Option<&mut dyn Any>;

    /// Moves the value of `from` (an `Option` of this field's type) into the field
    /// of wire name `key`; `false`, and nothing moved, when this type does not
    /// document `key`, its field has another type, or is already set.
    fn put(&mut self, key: &str, from: &mut dyn Any) -> bool;

    /// The form the value was received in (always [`WireForm::Newest`] for a type
    /// without renamed fields).
    #[inline]
    fn wire_form(&self) -> WireForm {
        WireForm::Newest
    }

    /// Records the form the value was received in (no-op for a type without renamed
    /// fields).
    #[inline]
    fn set_wire_form(&mut self, form: WireForm) {
        let _ = form;
    }
}

/// A type that decodes without failing on a value of unexpected shape: it hands the
/// value back as JSON instead (`Ok(Err(value))`). Errors are left for broken input.
pub trait Lenient: Sized {
    /// Decodes one value.
    fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Result<Self, Value>, D::Error>;
}

/// Decodes a documented field: fills `slot`, or keeps the value in `extra` when its
/// shape is not the documented one (including `null`, kept so it re-encodes as sent).
#[inline]
pub fn field<'de, T: Lenient, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    extra: &mut Map<String, Value>,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    match map.next_value_seed(LenientSeed::<T>(PhantomData))? {
        Ok(value) => *slot = Some(value),
        Err(raw) => {
            *slot = None;
            extra.insert(key.to_owned(), raw);
        }
    }
    Ok(())
}

/// [`Fields::put`] of one field.
#[inline]
pub fn put<T: 'static>(slot: &mut Option<T>, from: &mut dyn Any) -> bool {
    match from.downcast_mut::<Option<T>>() {
        Some(value) if slot.is_none() => {
            *slot = value.take();
            true
        }
        _ => false,
    }
}

/// Decodes a field that has two wire names (its newest one and its alias): the first
/// of the two fills the field, a second one goes to `extra` so nothing is lost.
#[inline]
pub fn field_once<'de, T: Lenient, A: MapAccess<'de>>(
    slot: &mut Option<T>,
    extra: &mut Map<String, Value>,
    key: &str,
    map: &mut A,
) -> Result<(), A::Error> {
    if slot.is_some() {
        let raw: Value = map.next_value()?;
        extra.insert(key.to_owned(), raw);
        return Ok(());
    }
    field(slot, extra, key, map)
}

/// `Deserialize` of a generated struct: the input must be an object.
pub fn deserialize_struct<'de, T: Fields, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    deserializer.deserialize_map(StructVisitor::<T>(PhantomData))
}

/// Fills `target` from the remaining entries of `map`.
#[inline]
pub fn fill<'de, T: Fields, A: MapAccess<'de>>(target: &mut T, mut map: A) -> Result<(), A::Error> {
    while let Some(key) = map.next_key::<Key<'de>>()? {
        if !target.field(&key.0, &mut map)? {
            let value: Value = map.next_value()?;
            target.extra_mut().insert(key.0.into_owned(), value);
        }
    }
    Ok(())
}

/// A map key, borrowed from the input when possible.
pub(crate) struct Key<'de>(pub(crate) Cow<'de, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        deserializer.deserialize_str(KeyVisitor)
    }
}

struct StructVisitor<T>(PhantomData<T>);

impl<'de, T: Fields> Visitor<'de> for StructVisitor<T> {
    type Value = T;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        write!(f, "a JSON object ({})", T::NAME)
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<T, A::Error> {
        let mut target = T::default();
        fill(&mut target, map)?;
        Ok(target)
    }
}

/// Seed that decodes a [`Lenient`] value.
pub struct LenientSeed<T>(pub PhantomData<T>);

impl<'de, T: Lenient> DeserializeSeed<'de> for LenientSeed<T> {
    type Value = Result<T, Value>;
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        T::decode(deserializer)
    }
}

/// Writes `visit_*` methods that capture a value of unexpected shape as JSON, for
/// the listed kinds of value.
macro_rules! capture {
    ($($kind:ident),*) => { $(capture!(@ $kind);)* };
    (@ bool) => {
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> { Ok(Err(Value::Bool(v))) }
    };
    (@ i64) => {
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> { Ok(Err(Value::from(v))) }
    };
    (@ u64) => {
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> { Ok(Err(Value::from(v))) }
    };
    (@ f64) => {
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> { Ok(Err(Value::from(v))) }
    };
    (@ str) => {
        fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> { Ok(Err(Value::String(v.to_owned()))) }
        fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> { Ok(Err(Value::String(v))) }
    };
    (@ unit) => {
        fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> { Ok(Err(Value::Null)) }
    };
    (@ seq) => {
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<Self::Value, A::Error> {
            Value::deserialize(SeqAccessDeserializer::new(seq)).map(Err)
        }
    };
    (@ map) => {
        fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
            Value::deserialize(MapAccessDeserializer::new(map)).map(Err)
        }
    };
}

/// The `visit_*` methods every lenient visitor shares: `null`/`Option` handling.
macro_rules! optional_values {
    () => {
        fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
            self.visit_unit()
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
            d.deserialize_any(self)
        }
    };
}

/// Encodes a decoded item back to JSON, for a list or map kept whole as JSON.
fn to_json<T: serde::Serialize, E: de::Error>(item: Result<T, Value>) -> Result<Value, E> {
    match item {
        Ok(typed) => serde_json::to_value(typed).map_err(E::custom),
        Err(raw) => Ok(raw),
    }
}

/// Decodes a string, keeping any other kind of value as JSON.
struct StringVisitor;

impl<'de> Visitor<'de> for StringVisitor {
    type Value = Result<String, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Ok(v.to_owned()))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }
    optional_values!();
    capture!(bool, i64, u64, f64, unit, seq, map);
}

impl Lenient for String {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        d.deserialize_any(StringVisitor)
    }
}

/// Decodes an integer; a decimal such as `24.2` is kept as JSON.
struct I64Visitor;

impl<'de> Visitor<'de> for I64Visitor {
    type Value = Result<i64, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an integer")
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(i64::try_from(v).map_err(|_| Value::from(v)))
    }
    optional_values!();
    capture!(bool, f64, str, unit, seq, map);
}

impl Lenient for i64 {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        d.deserialize_any(I64Visitor)
    }
}

/// Decodes a number; integers are accepted as long as f64 holds them exactly.
struct F64Visitor;

impl<'de> Visitor<'de> for F64Visitor {
    type Value = Result<f64, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a number")
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(if v.unsigned_abs() <= 1 << 53 {
            Ok(v as f64)
        } else {
            Err(Value::from(v))
        })
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(if v <= 1 << 53 {
            Ok(v as f64)
        } else {
            Err(Value::from(v))
        })
    }
    optional_values!();
    capture!(bool, str, unit, seq, map);
}

impl Lenient for f64 {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        d.deserialize_any(F64Visitor)
    }
}

/// Decodes a boolean.
struct BoolVisitor;

impl<'de> Visitor<'de> for BoolVisitor {
    type Value = Result<bool, Value>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a boolean")
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Ok(v))
    }
    optional_values!();
    capture!(i64, u64, f64, str, unit, seq, map);
}

impl Lenient for bool {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        d.deserialize_any(BoolVisitor)
    }
}

impl Lenient for Value {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        Value::deserialize(d).map(Ok)
    }
}

/// [`Lenient::decode`] of a generated struct: an object fills it, any other value
/// is handed back as JSON.
#[inline]
pub fn decode_struct<'de, T: Fields, D: Deserializer<'de>>(
    d: D,
) -> Result<Result<T, Value>, D::Error> {
    {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Fields> Visitor<'de> for V<T> {
            type Value = Result<T, Value>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                write!(f, "a JSON object ({})", T::NAME)
            }
            fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<Self::Value, A::Error> {
                let mut target = T::default();
                fill(&mut target, map)?;
                Ok(Ok(target))
            }
            optional_values!();
            capture!(bool, i64, u64, f64, str, unit, seq);
        }
        d.deserialize_any(V::<T>(PhantomData))
    }
}

/// Elements of a list decode leniently one by one; when one has an unexpected
/// shape the whole list is kept as JSON (nothing is lost, and a list is never
/// half typed).
impl<T: Lenient + serde::Serialize> Lenient for Vec<T> {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Lenient + serde::Serialize> Visitor<'de> for V<T> {
            type Value = Result<Vec<T>, Value>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
                // Typed until an element of another shape shows up; from then on the
                // whole list is kept as JSON.
                let mut typed: Vec<T> = Vec::with_capacity(seq.size_hint().unwrap_or(0).min(4096));
                loop {
                    match seq.next_element_seed(LenientSeed::<T>(PhantomData))? {
                        None => return Ok(Ok(typed)),
                        Some(Ok(item)) => {
                            if typed.capacity() == 0 {
                                // JSON gives no length: room for 8 at once rather
                                // than growing through 4 (lists are rarely shorter).
                                typed.reserve(8);
                            }
                            typed.push(item)
                        }
                        Some(Err(odd)) => {
                            let mut raw = typed
                                .into_iter()
                                .map(|t| to_json(Ok(t)))
                                .collect::<Result<Vec<Value>, _>>()?;
                            raw.push(odd);
                            while let Some(item) =
                                seq.next_element_seed(LenientSeed::<T>(PhantomData))?
                            {
                                raw.push(to_json(item)?);
                            }
                            return Ok(Err(Value::Array(raw)));
                        }
                    }
                }
            }
            optional_values!();
            capture!(bool, i64, u64, f64, str, unit, map);
        }
        d.deserialize_any(V::<T>(PhantomData))
    }
}

/// Maps decode like lists: typed when every value has the expected shape.
impl<T: Lenient + serde::Serialize> Lenient for BTreeMap<String, T> {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        struct V<T>(PhantomData<T>);
        impl<'de, T: Lenient + serde::Serialize> Visitor<'de> for V<T> {
            type Value = Result<BTreeMap<String, T>, Value>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a map")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Self::Value, A::Error> {
                let mut entries = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    entries.push((key, map.next_value_seed(LenientSeed::<T>(PhantomData))?));
                }
                if entries.iter().all(|(_, v)| v.is_ok()) {
                    return Ok(Ok(entries
                        .into_iter()
                        .filter_map(|(k, v)| Some((k, v.ok()?)))
                        .collect()));
                }
                let mut raw = Map::new();
                for (k, v) in entries {
                    raw.insert(k, to_json(v)?);
                }
                Ok(Err(Value::Object(raw)))
            }
            optional_values!();
            capture!(bool, i64, u64, f64, str, unit, seq);
        }
        d.deserialize_any(V::<T>(PhantomData))
    }
}

/// Boxed fields (a struct that holds itself) decode like the boxed type.
impl<T: Lenient> Lenient for Box<T> {
    #[inline]
    fn decode<'de, D: Deserializer<'de>>(d: D) -> Result<Result<Self, Value>, D::Error> {
        Ok(T::decode(d)?.map(Box::new))
    }
}

/// Encodes a union variant as `{ "key": value }`.
pub fn serialize_wrapped<S: serde::Serializer, T: serde::Serialize>(
    serializer: S,
    key: &str,
    value: &T,
) -> Result<S::Ok, S::Error> {
    use serde::ser::SerializeMap;
    let mut map = serializer.serialize_map(Some(1))?;
    map.serialize_entry(key, value)?;
    map.end()
}

/// The single `{ "key": value }` entry of a union value, if it has that form.
pub fn wrapped_entry(value: &Value) -> Option<(&str, &Value)> {
    match value {
        Value::Object(map) if map.len() == 1 => map.iter().next().map(|(k, v)| (k.as_str(), v)),
        _ => None,
    }
}

/// Writes what a generated struct needs besides its definition: `Deserialize`,
/// [`Lenient`] and [`Fields`] (decoding through the lenient decoder above),
/// `Serialize` (documented fields that are set, in order, then `extra`), and
/// `Clone`, `Default` and `PartialEq`. One line per field: its wire name, the wire
/// names of the previous version if it was renamed (`| "alias"`), and its Rust name. A
/// struct with renamed fields names its [`WireForm`] field last (`; form wire_form`):
/// decoding an alias sets it, encoding follows it, and it takes no part in equality.
/// (`Debug`, which masks secret fields, is generated in `generated/secrets.rs`.)
///
/// Every method is `#[inline]` or generic, so this crate compiles none of them to
/// machine code: a program pays only for the types it uses, in its own build.
///
/// ```text
/// fields! { Execution { "startTime" => start_time, "eventTime" | "timestamp" => timestamp; form wire_form } }
/// ```
macro_rules! fields {
    ($name:ident { $($wire:literal $(| $alias:literal)* => $field:ident),* $(,)? } $(; form $form:ident)?) => {
        impl Clone for $name {
            #[inline]
            fn clone(&self) -> Self {
                $name {
                    $($field: self.$field.clone(),)*
                    extra: self.extra.clone(),
                    $($form: self.$form,)?
                }
            }
        }

        impl Default for $name {
            #[inline]
            fn default() -> Self {
                $name {
                    $($field: None,)*
                    extra: serde_json::Map::new(),
                    $($form: $crate::value::de::WireForm::Newest,)?
                }
            }
        }

        impl PartialEq for $name {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                $(self.$field == other.$field &&)* self.extra == other.extra
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::value::de::deserialize_struct(deserializer)
            }
        }

        impl $crate::value::de::Lenient for $name {
            fn decode<'de, D: serde::Deserializer<'de>>(
                deserializer: D,
            ) -> Result<Result<Self, serde_json::Value>, D::Error> {
                $crate::value::de::decode_struct(deserializer)
            }
        }

        impl $crate::value::de::Fields for $name {
            const NAME: &'static str = stringify!($name);

            const KEYS: &'static [&'static str] = &[$($wire, $($alias,)*)*];

            #[inline]
            fn field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match key {
                    $($wire => {
                        if <[&str]>::is_empty(&[$($alias),*]) {
                            $crate::value::de::field(&mut self.$field, &mut self.extra, key, map)?;
                        } else {
                            $crate::value::de::field_once(&mut self.$field, &mut self.extra, key, map)?;
                        }
                        Ok(true)
                    })*
                    $($($alias => {
                        $crate::value::de::field_once(&mut self.$field, &mut self.extra, key, map)?;
                        $crate::value::de::Fields::set_wire_form(self, $crate::value::de::WireForm::Previous);
                        Ok(true)
                    })*)*
                    _ => {
                        let _ = map;
                        Ok(false)
                    }
                }
            }

            #[inline]
            fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                &mut self.extra
            }

            #[inline]
            fn slot(&mut self, key: &str) -> Option<&mut dyn std::any::Any> {
                match key {
                    $($wire $(| $alias)* => Some(&mut self.$field),)*
                    _ => None,
                }
            }

            #[inline]
            fn put(&mut self, key: &str, from: &mut dyn std::any::Any) -> bool {
                match key {
                    $($wire => $crate::value::de::put(&mut self.$field, from),)*
                    $($($alias => {
                        let moved = $crate::value::de::put(&mut self.$field, from);
                        if moved {
                            $crate::value::de::Fields::set_wire_form(self, $crate::value::de::WireForm::Previous);
                        }
                        moved
                    })*)*
                    _ => {
                        let _ = from;
                        false
                    }
                }
            }

            $(
                #[inline]
                fn wire_form(&self) -> $crate::value::de::WireForm {
                    self.$form
                }

                #[inline]
                fn set_wire_form(&mut self, form: $crate::value::de::WireForm) {
                    self.$form = form;
                }
            )?
        }

        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                use serde::ser::SerializeMap;
                let mut map = serializer.serialize_map(None)?;
                #[allow(unused_variables)]
                let form = $crate::value::de::Fields::wire_form(self);
                $(if let Some(value) = &self.$field {
                    map.serialize_entry($crate::value::de::wire_name(form, $wire, &[$($alias),*]), value)?;
                })*
                for (key, value) in &self.extra {
                    map.serialize_entry(key, value)?;
                }
                map.end()
            }
        }
    };
}
pub(crate) use fields;
