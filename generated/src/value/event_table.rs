//! The `events!` macro: writes the [`Event`](crate::Event) enum and its impls from
//! the one table `generated/events.rs` holds (one line per event type), so that a
//! new event is one table line plus its payload struct.
//!
//! Uses only the plain value modules (`de`, `tagged`, `redact`); the generated table
//! supplies the payload types.

/// Writes the `Event` enum from its table:
///
/// ```text
/// events! {
///     tags = ["name", "type"];          // Event::TAGS: the fields that may name an event, in the order tried
///     newest = "type" | "name";         // the tag of an event, and the previous version's (if another)
///     ActionGroupCreated(ActionGroupCreatedEvent),
///     #[deprecated(note = "…")] SonosTopologyChanged(SonosTopologyChangedEvent) by "name",
/// }
/// ```
///
/// Each line is `Variant(Payload)`: the payload struct's name is the wire name, and
/// `by "tag" | "previous tag"` overrides the table's tags for that event. Attributes
/// before a line go to its variant (`#[deprecated]` for an event the newest
/// documentation removed).
///
/// The impls are written out rather than derived, `#[inline]`: compiled only by the
/// programs that use them, like the payload types' own impls (`fields!`).
macro_rules! events {
    (
        tags = [$($tags:literal),* $(,)?];
        newest = $tag:literal $(| $previous:literal)?;
        $(
            $(#[$attr:meta])*
            $variant:ident($payload:ident) $(by $own_tag:literal $(| $own_previous:literal)?)?
        ),* $(,)?
    ) => {
        /// An event of the event stream: one variant per event type the documentation
        /// lists (and the curated ones seen in real streams), selected by its tag
        /// field: the first field of [`Event::TAGS`] present as a string names the
        /// event.
        ///
        /// An event whose name the documentation does not list decodes to
        /// [`Event::Unknown`] with its whole JSON, and encodes back to it.
        ///
        /// Each payload is boxed, so an `Event` is as small as a JSON value whatever
        /// the event (a batch moves and grows cheaply); `Event::X(e)` then `e.field`
        /// reads through the box.
        #[non_exhaustive]
        pub enum Event {
            $(
                #[doc = concat!("A [`", stringify!($payload), "`].")]
                $(#[$attr])*
                $variant(Box<$payload>),
            )*
            /// An event the documentation does not list, kept whole as received.
            Unknown(serde_json::Value),
        }

        impl std::fmt::Debug for Event {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    $(Event::$variant(e) => f.debug_tuple(stringify!($variant)).field(e).finish(),)*
                    Event::Unknown(value) => f
                        .debug_tuple("Unknown")
                        .field(&$crate::redact::MaskedJson(value))
                        .finish(),
                }
            }
        }

        impl Clone for Event {
            #[inline]
            fn clone(&self) -> Self {
                match self {
                    $(Event::$variant(e) => Event::$variant(e.clone()),)*
                    Event::Unknown(value) => Event::Unknown(value.clone()),
                }
            }
        }

        impl PartialEq for Event {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    $((Event::$variant(a), Event::$variant(b)) => a == b,)*
                    (Event::Unknown(a), Event::Unknown(b)) => a == b,
                    _ => false,
                }
            }
        }

        impl Event {
            /// Every event name the documentation lists, sorted.
            pub const NAMES: &'static [&'static str] = &[$(stringify!($payload)),*];

            /// The fields that may name an event, in the order they are tried.
            pub const TAGS: &'static [&'static str] = &[$($tags),*];

            /// The wire name (`"DeviceStateChangedEvent"`); for [`Event::Unknown`], the
            /// value of its tag field (empty if it has none).
            #[inline]
            pub fn name(&self) -> &str {
                match self {
                    $(Event::$variant(_) => stringify!($payload),)*
                    Event::Unknown(value) => {
                        $crate::value::tagged::event_tag(value, Self::TAGS).map_or("", |(_, name)| name)
                    }
                }
            }

            /// The field that names this event on the wire: the newest documentation's
            /// tag, or the previous one's for an event received in that form; for
            /// [`Event::Unknown`], the tag field it has (`""` if none).
            #[inline]
            pub fn tag_key(&self) -> &'static str {
                if let Event::Unknown(value) = self {
                    return $crate::value::tagged::event_tag(value, Self::TAGS).map_or("", |(key, _)| key);
                }
                match (self.tags(), self.wire_form()) {
                    ((_, Some(previous)), $crate::de::WireForm::Previous) => previous,
                    ((tag, _), _) => tag,
                }
            }

            /// The wire form the event was received in ([`crate::WireForm::Newest`] for
            /// one built in code, and for [`Event::Unknown`]).
            #[inline]
            pub fn wire_form(&self) -> $crate::de::WireForm {
                match self {
                    $(Event::$variant(e) => $crate::de::Fields::wire_form(&**e),)*
                    Event::Unknown(_) => $crate::de::WireForm::Newest,
                }
            }

            /// Fields of the event that its documented type does not list (and values
            /// of another shape than documented); `None` for [`Event::Unknown`].
            #[inline]
            pub fn extra(&self) -> Option<&serde_json::Map<String, serde_json::Value>> {
                match self {
                    $(Event::$variant(e) => Some(&e.extra),)*
                    Event::Unknown(_) => None,
                }
            }

            /// The tag field of the newest form of the event, and the previous form's
            /// when it differs.
            #[inline]
            fn tags(&self) -> (&'static str, Option<&'static str>) {
                const TABLE: (&str, Option<&str>) = (
                    $tag,
                    $crate::event_table::events!(@option $($previous)?),
                );
                match self {
                    $(Event::$variant(_) => $crate::event_table::events!(
                        @tags TABLE $(($own_tag, $crate::event_table::events!(@option $($own_previous)?)))?
                    ),)*
                    Event::Unknown(_) => ("", None),
                }
            }
        }

        impl $crate::value::tagged::Tagged for Event {
            const TAGS: &'static [&'static str] = Event::TAGS;

            #[inline]
            fn begin(name: &str) -> Option<Self> {
                Some(match name {
                    $(stringify!($payload) => Event::$variant(Box::default()),)*
                    _ => return None,
                })
            }

            #[inline]
            fn tagged_by(&mut self, key: &str) {
                let (_, Some(previous)) = self.tags() else {
                    return;
                };
                let form = if key == previous {
                    $crate::de::WireForm::Previous
                } else {
                    $crate::de::WireForm::Newest
                };
                match self {
                    $(Event::$variant(e) => $crate::de::Fields::set_wire_form(&mut **e, form),)*
                    Event::Unknown(_) => {}
                }
            }

            fn field<'de, A: serde::de::MapAccess<'de>>(
                &mut self,
                key: &str,
                map: &mut A,
            ) -> Result<bool, A::Error> {
                match self {
                    $(Event::$variant(e) => $crate::de::Fields::field(&mut **e, key, map),)*
                    Event::Unknown(_) => Ok(false),
                }
            }

            #[inline]
            fn extra_mut(&mut self) -> &mut serde_json::Map<String, serde_json::Value> {
                match self {
                    $(Event::$variant(e) => &mut e.extra,)*
                    Event::Unknown(value) => {
                        if !value.is_object() {
                            *value = serde_json::Value::Object(serde_json::Map::new());
                        }
                        value.as_object_mut().expect("made an object above")
                    }
                }
            }

            #[inline]
            fn unknown(value: serde_json::Value) -> Self {
                Event::Unknown(value)
            }

            #[inline]
            fn slot(&mut self, key: &str) -> Option<&mut dyn std::any::Any> {
                match self {
                    $(Event::$variant(e) => $crate::de::Fields::slot(&mut **e, key),)*
                    Event::Unknown(_) => None,
                }
            }

            #[inline]
            fn put(&mut self, key: &str, from: &mut dyn std::any::Any) -> bool {
                match self {
                    $(Event::$variant(e) => $crate::de::Fields::put(&mut **e, key, from),)*
                    Event::Unknown(_) => false,
                }
            }

            #[inline]
            fn key_index() -> &'static $crate::value::tagged::KeyIndex {
                static INDEX: std::sync::OnceLock<$crate::value::tagged::KeyIndex> =
                    std::sync::OnceLock::new();
                INDEX.get_or_init(|| {
                    $crate::value::tagged::KeyIndex::new(
                        Event::NAMES,
                        &[$(<$payload as $crate::de::Fields>::KEYS),*],
                    )
                })
            }

            #[inline]
            fn payload_json(&self) -> Result<serde_json::Value, serde_json::Error> {
                match self {
                    $(Event::$variant(e) => serde_json::to_value(&**e),)*
                    Event::Unknown(value) => Ok(value.clone()),
                }
            }
        }

        impl serde::Serialize for Event {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    $(Event::$variant(e) => $crate::value::tagged::serialize_tagged(
                        serializer,
                        self.tag_key(),
                        stringify!($payload),
                        &**e,
                    ),)*
                    Event::Unknown(value) => serde::Serialize::serialize(value, serializer),
                }
            }
        }

        impl<'de> serde::Deserialize<'de> for Event {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::value::tagged::deserialize_tagged(deserializer)
            }
        }
    };
    // `Some("tag")`, or `None` without one.
    (@option $previous:literal) => { Some($previous) };
    (@option) => { None };
    // An event's own tags if the table line gives them, else the table's.
    (@tags $table:ident $own:expr) => { $own };
    (@tags $table:ident) => { $table };
}
pub(crate) use events;
