//! Decoding and encoding of the enum selected by a tag field ([`crate::Event`]), in
//! one pass over the input and as leniently as the structs of [`super::de`].
//!
//! Servers put the tag (`name`, or `type` in the newest form) last, after the fields
//! it gives the meaning of. Rather than reading the event twice (once to find the
//! tag, once to decode), each field is handled as it comes:
//!
//! - a scalar (string, number, boolean, `null`) is held as read, borrowed from the
//!   input when possible, and given to the payload once the tag names it;
//! - a list or an object is decoded typed at once, into the payload of the event that
//!   the tag read so far, or else the fields read so far, point to (the *guess*: the
//!   event that documents that field and the most of the others, [`KeyIndex`]).
//!
//! When the tag confirms the guess (the usual case), the payload is complete in one
//! pass. When it names another event, the event's JSON is rebuilt from what was read
//! and decoded again the ordinary way ([`decode_object`]): slower, with the same
//! result. An event whose tag is missing or unlisted is kept whole as JSON, as is a
//! value that is not an object.

use std::any::Any;
use std::borrow::Cow;
use std::collections::HashMap;
use std::fmt;
use std::hash::{BuildHasherDefault, Hasher};
use std::marker::PhantomData;

use serde::de::value::{MapAccessDeserializer, SeqAccessDeserializer};
use serde::de::{self, DeserializeSeed, Deserializer, MapAccess, SeqAccess, Visitor};
use serde::Deserialize;
use serde_json::{Map, Value};

use super::de::Key;

/// A generated enum selected by a tag field of an object (`crate::Event`): the wire
/// field that names the event, `name` or `type` depending on the API version.
pub trait Tagged: Sized {
    /// The keys that may name the event, in the order they are tried (from the spec:
    /// the previous versions' tags first, since the newest form carries no `name`
    /// while the previous form may carry a `type` of its own). The first of them
    /// present with a string value names the event.
    const TAGS: &'static [&'static str];
    /// The variant for `name` with an empty payload; `None` for a name the
    /// documentation does not list.
    fn begin(name: &str) -> Option<Self>;
    /// Records which key named the event (which sets the payload's wire form).
    fn tagged_by(&mut self, key: &str);
    /// Decodes one field into the payload; `Ok(false)` for an undocumented key.
    fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error>;
    /// Where the payload keeps undocumented fields.
    fn extra_mut(&mut self) -> &mut Map<String, Value>;
    /// The variant that keeps an unlisted object whole.
    fn unknown(value: Value) -> Self;
    /// The payload's field of wire name `key`, to move it ([`super::de::Fields::slot`]).
    fn slot(&mut self, key: &str) -> Option<&mut dyn Any>;
    /// Moves a value into the payload's field `key` ([`super::de::Fields::put`]).
    fn put(&mut self, key: &str, from: &mut dyn Any) -> bool;
    /// The event names and the fields each documents (built once).
    fn key_index() -> &'static KeyIndex;
    /// The payload as JSON, without its tag (to rebuild an event whose guess was
    /// wrong).
    fn payload_json(&self) -> Result<Value, serde_json::Error>;
}

/// The event names (in the enum's order) and, for each field name, the events that
/// document it: what a guess is made from.
pub struct KeyIndex {
    /// Index of each event name.
    names: HashMap<&'static str, usize, Fnv>,
    /// Event names by index.
    by_index: Vec<&'static str>,
    /// For each field name, a bit set of the events that document it.
    keys: HashMap<&'static str, Box<[u64]>, Fnv>,
    /// Words in a bit set.
    words: usize,
}

/// FNV-1a: field names are short, and fixed by the documentation (no untrusted
/// table is ever built), so a fast hash beats the default one here.
type Fnv = BuildHasherDefault<FnvHasher>;

/// The FNV-1a hash state.
#[derive(Default)]
pub struct FnvHasher(u64);

impl Hasher for FnvHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = if self.0 == 0 {
            0xcbf2_9ce4_8422_2325
        } else {
            self.0
        };
        for byte in bytes {
            hash ^= u64::from(*byte);
            hash = hash.wrapping_mul(0x0100_0000_01b3);
        }
        self.0 = hash;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

impl KeyIndex {
    /// The index of events `names`, where event `i` documents the fields `keys[i]`.
    pub fn new(names: &[&'static str], keys: &[&'static [&'static str]]) -> KeyIndex {
        let words = names.len().div_ceil(64);
        let mut index = KeyIndex {
            names: names.iter().enumerate().map(|(i, n)| (*n, i)).collect(),
            by_index: names.to_vec(),
            keys: HashMap::default(),
            words,
        };
        for (i, fields) in keys.iter().enumerate() {
            for key in *fields {
                let bits = index
                    .keys
                    .entry(key)
                    .or_insert_with(|| vec![0; words].into_boxed_slice());
                bits[i / 64] |= 1 << (i % 64);
            }
        }
        index
    }

    /// The index of the event named `name`.
    fn variant(&self, name: &str) -> Option<usize> {
        self.names.get(name).copied()
    }

    /// Whether event `i` documents field `key`.
    fn documents(&self, i: usize, key: &str) -> bool {
        self.keys
            .get(key)
            .is_some_and(|bits| bits[i / 64] & (1 << (i % 64)) != 0)
    }

    /// The event to decode a list or object `key` into, before the tag is read: the
    /// one a tag read so far names if it documents `key`, else among the events that
    /// document `key`, the first of those documenting the most of the fields read so
    /// far (narrowed field by field). `None` when no event documents `key`.
    fn guess<'a>(
        &self,
        key: &str,
        read: impl Iterator<Item = (&'a str, Option<&'a str>)> + Clone,
        tags: &[&str],
    ) -> Option<usize> {
        // The first tag present as a string names the event.
        let named = tags.iter().find_map(|tag| {
            read.clone()
                .filter(|(k, _)| k == tag)
                .filter_map(|(_, s)| s)
                .last()
        });
        if let Some(i) = named.and_then(|name| self.variant(name)) {
            if self.documents(i, key) {
                return Some(i);
            }
        }
        let first = self.keys.get(key)?;
        let mut bits = [0u64; 8];
        if self.words <= bits.len() {
            bits[..self.words].copy_from_slice(first);
            for (k, _) in read {
                if tags.contains(&k) {
                    continue;
                }
                let Some(other) = self.keys.get(k) else {
                    continue;
                };
                let mut narrowed = [0u64; 8];
                for (n, (a, b)) in narrowed.iter_mut().zip(bits.iter().zip(other.iter())) {
                    *n = a & b;
                }
                if narrowed.iter().any(|w| *w != 0) {
                    bits = narrowed;
                }
            }
        } else {
            // More events than a stack bit set holds: the first documenting `key`.
            let n = bits.len();
            bits.copy_from_slice(&first[..n]);
        }
        let word = bits.iter().position(|w| *w != 0)?;
        let i = word * 64 + bits[word].trailing_zeros() as usize;
        (i < self.by_index.len()).then_some(i)
    }
}

/// A scalar field of an event, held until the tag names the event.
enum Scalar<'de> {
    Str(Cow<'de, str>),
    U64(u64),
    I64(i64),
    F64(f64),
    Bool(bool),
    Null,
}

impl Scalar<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Scalar::Str(s) => Some(s),
            _ => None,
        }
    }

    fn into_value(self) -> Value {
        match self {
            Scalar::Str(s) => Value::String(s.into_owned()),
            Scalar::U64(n) => n.into(),
            Scalar::I64(n) => n.into(),
            Scalar::F64(f) => f.into(),
            Scalar::Bool(b) => b.into(),
            Scalar::Null => Value::Null,
        }
    }
}

/// Gives a held scalar to a field's decoder, as the JSON deserializer would.
struct ScalarDeserializer<'de, E>(Scalar<'de>, PhantomData<E>);

impl<'de, E: de::Error> Deserializer<'de> for ScalarDeserializer<'de, E> {
    type Error = E;

    fn deserialize_any<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Scalar::Str(Cow::Borrowed(s)) => visitor.visit_borrowed_str(s),
            Scalar::Str(Cow::Owned(s)) => visitor.visit_string(s),
            Scalar::U64(n) => visitor.visit_u64(n),
            Scalar::I64(n) => visitor.visit_i64(n),
            Scalar::F64(f) => visitor.visit_f64(f),
            Scalar::Bool(b) => visitor.visit_bool(b),
            Scalar::Null => visitor.visit_unit(),
        }
    }

    fn deserialize_option<V: Visitor<'de>>(self, visitor: V) -> Result<V::Value, E> {
        match self.0 {
            Scalar::Null => visitor.visit_none(),
            _ => visitor.visit_some(self),
        }
    }

    fn deserialize_newtype_struct<V: Visitor<'de>>(
        self,
        _name: &'static str,
        visitor: V,
    ) -> Result<V::Value, E> {
        visitor.visit_newtype_struct(self)
    }

    serde::forward_to_deserialize_any! {
        bool i8 i16 i32 i64 i128 u8 u16 u32 u64 u128 f32 f64 char str string bytes
        byte_buf unit unit_struct seq tuple tuple_struct map struct enum identifier
        ignored_any
    }
}

/// A map of one value, for a payload's `field`: the value of the key at hand.
struct OneValue<D>(Option<D>);

impl<'de, D: Deserializer<'de>> MapAccess<'de> for OneValue<D> {
    type Error = D::Error;

    fn next_key_seed<K: DeserializeSeed<'de>>(
        &mut self,
        _seed: K,
    ) -> Result<Option<K::Value>, D::Error> {
        Ok(None)
    }

    fn next_value_seed<V: DeserializeSeed<'de>>(&mut self, seed: V) -> Result<V::Value, D::Error> {
        match self.0.take() {
            Some(deserializer) => seed.deserialize(deserializer),
            None => Err(de::Error::custom("a field's value was read twice")),
        }
    }
}

/// A field of an event, in input order: a scalar held, JSON that no guess took, or
/// a value decoded into the guessed payload.
enum Held<'de> {
    Scalar(Scalar<'de>),
    Json(Value),
    Guessed,
}

impl Held<'_> {
    fn as_str(&self) -> Option<&str> {
        match self {
            Held::Scalar(s) => s.as_str(),
            _ => None,
        }
    }
}

/// An event being read: the fields held, in input order, and the guessed payload
/// with the index of its event.
struct Reading<'de, T> {
    held: Vec<(Cow<'de, str>, Held<'de>)>,
    guess: Option<(usize, T)>,
    index: &'static KeyIndex,
}

impl<'de, T: Tagged> Reading<'de, T> {
    fn fields_read(&self) -> impl Iterator<Item = (&str, Option<&str>)> + Clone {
        self.held.iter().map(|(k, h)| (&**k, h.as_str()))
    }

    /// A list or object value: decoded into the guessed payload if it documents
    /// `key`, else kept as JSON.
    fn structured<D: Deserializer<'de>>(
        &mut self,
        key: Cow<'de, str>,
        deserializer: D,
    ) -> Result<(), D::Error> {
        if self.guess.is_none() {
            let guess = self.index.guess(&key, self.fields_read(), T::TAGS);
            self.guess = guess.and_then(|i| Some((i, T::begin(self.index.by_index[i])?)));
        }
        let mut one = OneValue(Some(deserializer));
        if let Some((_, payload)) = &mut self.guess {
            if payload.field(&key, &mut one)? {
                self.held.push((key, Held::Guessed));
                return Ok(());
            }
        }
        if let Some(deserializer) = one.0 {
            let value = Value::deserialize(deserializer)?;
            self.held.push((key, Held::Json(value)));
        }
        Ok(())
    }

    /// The event, once every field is read.
    fn finish<E: de::Error>(mut self) -> Result<T, E> {
        let tag = T::TAGS.iter().find_map(|tag| {
            self.fields_read()
                .filter(|(k, _)| k == tag)
                .filter_map(|(_, s)| s)
                .last()
                .map(|name| (*tag, name))
        });
        let Some((tag_key, target)) =
            tag.and_then(|(key, name)| Some((key, self.index.variant(name)?)))
        else {
            let json = into_json(self.guess.map(|(_, g)| g), None, self.held);
            return Ok(T::unknown(json.map_err(E::custom)?));
        };
        // A list or object the event documents but no guess took (rare): the slow
        // path types it.
        let missed = self
            .held
            .iter()
            .any(|(key, held)| matches!(held, Held::Json(_)) && self.index.documents(target, key));
        if missed {
            let json = into_json(self.guess.map(|(_, g)| g), None, self.held);
            return decode_object(json.map_err(E::custom)?, tag_key, target).map_err(E::custom);
        }
        let mut event = match self.guess.take() {
            Some((i, payload)) if i == target => payload,
            guess => {
                let mut event = T::begin(self.index.by_index[target])
                    .ok_or_else(|| E::custom("an indexed event name has no variant"))?;
                if let Some((_, mut guess)) = guess {
                    // A wrong guess: its fields move over, typed, when the event has
                    // them with the same types; else the slow path.
                    let moved = guess.extra_mut().is_empty()
                        && self.held.iter().all(|(key, held)| {
                            !matches!(held, Held::Guessed)
                                || guess.slot(key).is_some_and(|slot| event.put(key, slot))
                        });
                    if !moved {
                        let json = into_json(Some(guess), Some(event), self.held);
                        return decode_object(json.map_err(E::custom)?, tag_key, target)
                            .map_err(E::custom);
                    }
                }
                event
            }
        };
        for (key, held) in self.held {
            if key == tag_key {
                continue;
            }
            match held {
                Held::Scalar(scalar) => {
                    let mut one = OneValue(Some(ScalarDeserializer(scalar, PhantomData::<E>)));
                    if !event.field(&key, &mut one)? {
                        if let Some(ScalarDeserializer(scalar, _)) = one.0 {
                            event
                                .extra_mut()
                                .insert(key.into_owned(), scalar.into_value());
                        }
                    }
                }
                Held::Json(value) => {
                    event.extra_mut().insert(key.into_owned(), value);
                }
                Held::Guessed => {}
            }
        }
        event.tagged_by(tag_key);
        Ok(event)
    }
}

/// An event as JSON, rebuilt from what was read: the fields decoded into payloads
/// (a guess, and the event they were being moved to) and the fields held.
fn into_json<T: Tagged>(
    guess: Option<T>,
    moved_to: Option<T>,
    held: Vec<(Cow<'_, str>, Held<'_>)>,
) -> Result<Value, serde_json::Error> {
    let mut object = Map::new();
    for payload in guess.iter().chain(moved_to.iter()) {
        if let Value::Object(fields) = payload.payload_json()? {
            object.extend(fields);
        }
    }
    for (key, held) in held {
        let value = match held {
            Held::Scalar(s) => s.into_value(),
            Held::Json(v) => v,
            Held::Guessed => continue,
        };
        object.insert(key.into_owned(), value);
    }
    Ok(Value::Object(object))
}

/// Decodes one field of an event being read, at its key.
struct Field<'r, 'de, T> {
    reading: &'r mut Reading<'de, T>,
    key: Cow<'de, str>,
}

impl<'de, T: Tagged> DeserializeSeed<'de> for Field<'_, 'de, T> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<(), D::Error> {
        deserializer.deserialize_any(self)
    }
}

impl<'de, T: Tagged> Field<'_, 'de, T> {
    fn hold(self, scalar: Scalar<'de>) {
        self.reading.held.push((self.key, Held::Scalar(scalar)));
    }
}

impl<'de, T: Tagged> Visitor<'de> for Field<'_, 'de, T> {
    type Value = ();
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("any value")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<(), E> {
        self.hold(Scalar::Str(Cow::Borrowed(v)));
        Ok(())
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<(), E> {
        self.hold(Scalar::Str(Cow::Owned(v.to_owned())));
        Ok(())
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<(), E> {
        self.hold(Scalar::Str(Cow::Owned(v)));
        Ok(())
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<(), E> {
        self.hold(Scalar::U64(v));
        Ok(())
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<(), E> {
        self.hold(Scalar::I64(v));
        Ok(())
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<(), E> {
        self.hold(Scalar::F64(v));
        Ok(())
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<(), E> {
        self.hold(Scalar::Bool(v));
        Ok(())
    }
    fn visit_unit<E: de::Error>(self) -> Result<(), E> {
        self.hold(Scalar::Null);
        Ok(())
    }
    fn visit_none<E: de::Error>(self) -> Result<(), E> {
        self.visit_unit()
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_any(self)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<(), A::Error> {
        self.reading
            .structured(self.key, SeqAccessDeserializer::new(seq))
    }
    fn visit_map<A: MapAccess<'de>>(self, map: A) -> Result<(), A::Error> {
        self.reading
            .structured(self.key, MapAccessDeserializer::new(map))
    }
}

/// `Deserialize` of a [`Tagged`] enum, in one pass (see the module documentation).
pub fn deserialize_tagged<'de, T: Tagged, D: Deserializer<'de>>(
    deserializer: D,
) -> Result<T, D::Error> {
    struct EventVisitor<T>(PhantomData<T>);
    impl<'de, T: Tagged> Visitor<'de> for EventVisitor<T> {
        type Value = T;
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("an event")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<T, A::Error> {
            let mut reading = Reading {
                held: Vec::with_capacity(map.size_hint().unwrap_or(16).min(64)),
                guess: None,
                index: T::key_index(),
            };
            while let Some(key) = map.next_key::<Key<'de>>()? {
                map.next_value_seed(Field {
                    reading: &mut reading,
                    key: key.0,
                })?;
            }
            reading.finish()
        }
        // Any other value is an unknown event, kept whole.
        fn visit_bool<E: de::Error>(self, v: bool) -> Result<T, E> {
            Ok(T::unknown(Value::Bool(v)))
        }
        fn visit_i64<E: de::Error>(self, v: i64) -> Result<T, E> {
            Ok(T::unknown(v.into()))
        }
        fn visit_u64<E: de::Error>(self, v: u64) -> Result<T, E> {
            Ok(T::unknown(v.into()))
        }
        fn visit_f64<E: de::Error>(self, v: f64) -> Result<T, E> {
            Ok(T::unknown(v.into()))
        }
        fn visit_str<E: de::Error>(self, v: &str) -> Result<T, E> {
            Ok(T::unknown(Value::String(v.to_owned())))
        }
        fn visit_string<E: de::Error>(self, v: String) -> Result<T, E> {
            Ok(T::unknown(Value::String(v)))
        }
        fn visit_unit<E: de::Error>(self) -> Result<T, E> {
            Ok(T::unknown(Value::Null))
        }
        fn visit_none<E: de::Error>(self) -> Result<T, E> {
            self.visit_unit()
        }
        fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<T, D::Error> {
            d.deserialize_any(self)
        }
        fn visit_seq<A: SeqAccess<'de>>(self, seq: A) -> Result<T, A::Error> {
            Value::deserialize(SeqAccessDeserializer::new(seq)).map(T::unknown)
        }
    }
    deserializer.deserialize_any(EventVisitor::<T>(PhantomData))
}

/// Decodes event `target` from its whole JSON (the slow path, when the guess was
/// wrong): its text is decoded the ordinary way, field by field, the `tag_key`
/// skipped.
fn decode_object<T: Tagged>(
    json: Value,
    tag_key: &str,
    target: usize,
) -> Result<T, serde_json::Error> {
    let name = T::key_index().by_index[target];
    let Some(mut event) = T::begin(name) else {
        return Ok(T::unknown(json));
    };
    // Through the text, with the reader the client decodes responses with, so this
    // path adds no decoder of its own.
    let text = serde_json::to_vec(&json)?;
    struct Fill<'t, T> {
        event: &'t mut T,
        tag_key: &'t str,
    }
    impl<'de, T: Tagged> Visitor<'de> for Fill<'_, T> {
        type Value = ();
        fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
            f.write_str("a JSON object")
        }
        fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<(), A::Error> {
            while let Some(key) = map.next_key::<Key<'de>>()? {
                if key.0 == self.tag_key {
                    map.next_value::<de::IgnoredAny>()?;
                } else if !self.event.field(&key.0, &mut map)? {
                    let v: Value = map.next_value()?;
                    self.event.extra_mut().insert(key.0.into_owned(), v);
                }
            }
            Ok(())
        }
    }
    let mut de = serde_json::Deserializer::from_slice(&text);
    de.deserialize_map(Fill {
        event: &mut event,
        tag_key,
    })?;
    // The tag decides the form (a field alias seen on the way may have set it too).
    event.tagged_by(tag_key);
    Ok(event)
}

/// The key that names an event and its value: the first of `tags` present with a
/// string value (so a previous-form event, whose `name` is the tag, is not taken
/// for a newest-form one because of a `type` field of its own).
pub fn event_tag<'v>(value: &'v Value, tags: &[&'static str]) -> Option<(&'static str, &'v str)> {
    let object = value.as_object()?;
    tags.iter()
        .find_map(|tag| Some((*tag, object.get(*tag)?.as_str()?)))
}

/// Encodes a payload with its tag `key` naming it (last, as servers send it).
pub fn serialize_tagged<S: serde::Serializer, T: serde::Serialize>(
    serializer: S,
    key: &str,
    name: &str,
    payload: &T,
) -> Result<S::Ok, S::Error> {
    struct Tag<'a> {
        key: &'a str,
        name: &'a str,
    }
    impl serde::Serialize for Tag<'_> {
        fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
            use serde::ser::SerializeMap;
            let mut map = serializer.serialize_map(Some(1))?;
            map.serialize_entry(self.key, self.name)?;
            map.end()
        }
    }
    #[derive(serde::Serialize)]
    struct Tagged<'a, T> {
        #[serde(flatten)]
        payload: &'a T,
        #[serde(flatten)]
        tag: Tag<'a>,
    }
    serde::Serialize::serialize(
        &Tagged {
            payload,
            tag: Tag { key, name },
        },
        serializer,
    )
}
