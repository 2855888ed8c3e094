//! `events.rs`: the `Event` enum, one variant per event type.

use proc_macro2::TokenStream;
use quote::quote;

use super::{doc_lines, doc_text, type_ident};
use crate::ir::Ir;

/// The `events` module.
pub fn module(ir: &Ir) -> TokenStream {
    let variants: Vec<_> = ir.events.iter().map(|e| type_ident(&e.variant)).collect();
    let structs: Vec<_> = ir
        .events
        .iter()
        .map(|e| type_ident(&e.struct_name))
        .collect();
    let wires: Vec<&str> = ir.events.iter().map(|e| e.wire.as_str()).collect();
    let docs = ir.events.iter().map(|e| {
        let mut lines = vec![format!(
            "`{}`{}",
            e.wire,
            if e.curated {
                " (seen in real streams, not in the documentation)"
            } else {
                ""
            }
        )];
        if let Some(d) = &e.description {
            lines.push(String::new());
            lines.extend(doc_text(d));
        }
        doc_lines(&lines)
    });
    let count = ir.events.len();
    let summary = format!(
        " An event of the event stream: one variant per event type the documentation lists \
         ({count} with the curated ones), selected by the `name` field."
    );
    let names: Vec<String> = ir.events.iter().map(|e| e.variant.clone()).collect();
    quote! {
        //! The events the server sends through an event listener.

        use serde::{Deserialize, Deserializer, Serialize, Serializer};
        use serde::de::MapAccess;
        use serde_json::{Map, Value};

        use crate::types::*;

        #[doc = #summary]
        ///
        /// An event whose name the documentation does not list decodes to
        /// [`Event::Unknown`] with its whole JSON, and encodes back to it.
        #[non_exhaustive]
        pub enum Event {
            #(#docs #variants(#structs),)*
            /// An event the documentation does not list, kept whole as received.
            Unknown(Value),
        }

        // Written out rather than derived, `#[inline]`: compiled only by the programs
        // that use them, like the payload types' own impls.
        impl std::fmt::Debug for Event {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    #(Event::#variants(e) => f.debug_tuple(#names).field(e).finish(),)*
                    Event::Unknown(value) => f.debug_tuple("Unknown").field(&crate::redact::MaskedJson(value)).finish(),
                }
            }
        }

        impl Clone for Event {
            #[inline]
            fn clone(&self) -> Self {
                match self {
                    #(Event::#variants(e) => Event::#variants(e.clone()),)*
                    Event::Unknown(value) => Event::Unknown(value.clone()),
                }
            }
        }

        impl PartialEq for Event {
            #[inline]
            fn eq(&self, other: &Self) -> bool {
                match (self, other) {
                    #((Event::#variants(a), Event::#variants(b)) => a == b,)*
                    (Event::Unknown(a), Event::Unknown(b)) => a == b,
                    _ => false,
                }
            }
        }

        impl Event {
            /// Every event name the documentation lists, sorted.
            pub const NAMES: &'static [&'static str] = &[#(#wires),*];

            /// The wire name (`"DeviceStateChangedEvent"`); for [`Event::Unknown`], its
            /// `name` field (empty if it has none).
            #[inline]
            pub fn name(&self) -> &str {
                match self {
                    #(Event::#variants(_) => #wires,)*
                    Event::Unknown(value) => value.get("name").and_then(Value::as_str).unwrap_or_default(),
                }
            }
        }

        impl Event {
            /// Fields of the event that its documented type does not list (and values
            /// of another shape than documented); `None` for [`Event::Unknown`].
            #[inline]
            pub fn extra(&self) -> Option<&Map<String, Value>> {
                match self {
                    #(Event::#variants(e) => Some(&e.extra),)*
                    Event::Unknown(_) => None,
                }
            }
        }

        impl crate::de::Tagged for Event {
            #[inline]
            fn begin(name: &str) -> Option<Self> {
                Some(match name {
                    #(#wires => Event::#variants(Default::default()),)*
                    _ => return None,
                })
            }

            fn field<'de, A: MapAccess<'de>>(&mut self, key: &str, map: &mut A) -> Result<bool, A::Error> {
                match self {
                    #(Event::#variants(e) => crate::de::Fields::field(e, key, map),)*
                    Event::Unknown(_) => Ok(false),
                }
            }

            #[inline]
            fn extra_mut(&mut self) -> &mut Map<String, Value> {
                match self {
                    #(Event::#variants(e) => &mut e.extra,)*
                    Event::Unknown(value) => {
                        if !value.is_object() {
                            *value = Value::Object(Map::new());
                        }
                        value.as_object_mut().expect("made an object above")
                    }
                }
            }

            #[inline]
            fn unknown(value: Value) -> Self {
                Event::Unknown(value)
            }
        }

        impl Serialize for Event {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(Event::#variants(e) => crate::de::serialize_tagged(serializer, #wires, e),)*
                    Event::Unknown(value) => value.serialize(serializer),
                }
            }
        }

        impl<'de> Deserialize<'de> for Event {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                crate::de::deserialize_tagged(deserializer)
            }
        }
    }
}
