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
        let doc = doc_lines(&lines);
        match &e.removed_after {
            Some(version) => {
                let note = format!(
                    "sent by servers of version {version} of the documentation; the newest one no longer lists it"
                );
                quote!(#doc #[deprecated(note = #note)])
            }
            None => doc,
        }
    });
    let count = ir.events.len();
    // The keys that may name an event, previous versions' first: a newest-form
    // event carries no previous tag, while a previous-form one may carry a field
    // named like the newest tag (`type`).
    let mut tags: Vec<&str> = Vec::new();
    for e in &ir.events {
        if let Some(alias) = &e.tag_alias {
            if !tags.contains(&alias.as_str()) {
                tags.push(alias);
            }
        }
    }
    for e in &ir.events {
        if !tags.contains(&e.tag.as_str()) {
            tags.push(&e.tag);
        }
    }
    let tag_list = tags
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(" or ");
    let summary = format!(
        " An event of the event stream: one variant per event type the documentation lists \
         ({count} with the curated ones), selected by its {tag_list} field (the first of \
         them present as a string names the event)."
    );
    // One arm per (tag, previous tag) pair, rather than one per event.
    let mut by_tags: std::collections::BTreeMap<(&str, Option<&str>), Vec<proc_macro2::Ident>> =
        std::collections::BTreeMap::new();
    for e in &ir.events {
        by_tags
            .entry((e.tag.as_str(), e.tag_alias.as_deref()))
            .or_default()
            .push(type_ident(&e.variant));
    }
    let tag_arms = by_tags.iter().map(|((tag, alias), variants)| {
        let alias = match alias {
            Some(a) => quote!(Some(#a)),
            None => quote!(None),
        };
        quote!(#(Event::#variants(_))|* => (#tag, #alias),)
    });
    let allow_deprecated = ir.events.iter().any(|e| e.removed_after.is_some()).then(|| {
        quote! {
            // Events the newest documentation removed are deprecated variants, which
            // these impls still handle.
            #![allow(deprecated)]
        }
    });
    let names: Vec<String> = ir.events.iter().map(|e| e.variant.clone()).collect();
    quote! {
        //! The events the server sends through an event listener.
        #allow_deprecated

        use serde::{Deserialize, Deserializer, Serialize, Serializer};
        use serde::de::MapAccess;
        use serde_json::{Map, Value};

        use crate::de::Fields;
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

            /// The fields that may name an event, in the order they are tried.
            pub const TAGS: &'static [&'static str] = &[#(#tags),*];

            /// The wire name (`"DeviceStateChangedEvent"`); for [`Event::Unknown`], the
            /// value of its tag field (empty if it has none).
            #[inline]
            pub fn name(&self) -> &str {
                match self {
                    #(Event::#variants(_) => #wires,)*
                    Event::Unknown(value) => crate::de::event_tag(value, Self::TAGS).map_or("", |(_, name)| name),
                }
            }

            /// The field that names this event on the wire: the newest documentation's
            /// tag, or the previous one's for an event received in that form; for
            /// [`Event::Unknown`], the tag field it has (`""` if none).
            #[inline]
            pub fn tag_key(&self) -> &'static str {
                if let Event::Unknown(value) = self {
                    return crate::de::event_tag(value, Self::TAGS).map_or("", |(key, _)| key);
                }
                match (self.tags(), self.wire_form()) {
                    ((_, Some(previous)), crate::WireForm::Previous) => previous,
                    ((tag, _), _) => tag,
                }
            }

            /// The wire form the event was received in ([`crate::WireForm::Newest`] for
            /// one built in code, and for [`Event::Unknown`]).
            #[inline]
            pub fn wire_form(&self) -> crate::WireForm {
                match self {
                    #(Event::#variants(e) => e.wire_form(),)*
                    Event::Unknown(_) => crate::WireForm::Newest,
                }
            }

            /// The tag field of the newest form of the event, and the previous form's
            /// when it differs.
            #[inline]
            fn tags(&self) -> (&'static str, Option<&'static str>) {
                match self {
                    #(#tag_arms)*
                    Event::Unknown(_) => ("", None),
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
            const TAGS: &'static [&'static str] = Event::TAGS;

            #[inline]
            fn begin(name: &str) -> Option<Self> {
                Some(match name {
                    #(#wires => Event::#variants(Default::default()),)*
                    _ => return None,
                })
            }

            #[inline]
            fn tagged_by(&mut self, key: &str) {
                let (_, Some(previous)) = self.tags() else {
                    return;
                };
                let form = if key == previous {
                    crate::WireForm::Previous
                } else {
                    crate::WireForm::Newest
                };
                match self {
                    #(Event::#variants(e) => e.set_wire_form(form),)*
                    Event::Unknown(_) => {}
                }
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
                    #(Event::#variants(e) => crate::de::serialize_tagged(serializer, self.tag_key(), #wires, e),)*
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
