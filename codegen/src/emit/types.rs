//! `types.rs`: structs, allowed-value enums and allowed-type unions.

use proc_macro2::TokenStream;
use quote::quote;

use super::{code, doc_lines, doc_text, gated, ident, rust_ty, type_ident};
use crate::features::{Gate, Plan};
use crate::ir::{FieldDef, Ir, StructDef, UnionDef, ValueEnumDef};
use crate::names::snake;

/// The whole `types` module, types sorted by name, each item gated by the
/// features that reach its type.
pub fn module(ir: &Ir, plan: &Plan) -> Result<TokenStream, String> {
    let mut items: Vec<(&String, TokenStream)> = Vec::new();
    for (name, def) in &ir.structs {
        items.push((name, structure(def)));
    }
    for (name, def) in &ir.enums {
        items.push((name, value_enum(def)));
    }
    for (name, def) in &ir.unions {
        items.push((name, union(def)));
    }
    items.sort_by(|a, b| a.0.cmp(b.0));
    let items = items
        .into_iter()
        .map(|(name, tokens)| gated(tokens, plan.types.get(name).unwrap_or(&Gate::Always)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(quote! {
        //! Types of the request and response bodies and of the events.
        //!
        //! Every field is optional: servers omit fields the documentation shows, and
        //! local gateways omit many. Fields the documentation does not list, and values
        //! whose shape differs from the documented one, are kept in `extra` so that
        //! nothing the server sent is lost.
        //!
        //! Field documentation is the page's (description, example); a field the page
        //! only names has none. Each struct's `fields!` table (an entry per field:
        //! wire name, Rust name) writes its `Clone`, `Default`, `PartialEq`,
        //! `Serialize` and lenient `Deserialize`; its `Debug`, which masks secrets, is
        //! in `secrets.rs`.
        #![allow(clippy::large_enum_variant, missing_docs)]

        use serde::{Deserialize, Deserializer, Serialize, Serializer};
        use serde_json::{Map, Value};

        #(#items)*
    })
}

fn structure(def: &StructDef) -> TokenStream {
    let name = type_ident(&def.name);
    let mut doc = def.description.as_deref().map(doc_text).unwrap_or_default();
    if !doc.is_empty() {
        doc.push(String::new());
    }
    // No count: it would change with unrelated parts of the page.
    let places = if def.occurrences > 1 {
        " (and elsewhere)"
    } else {
        ""
    };
    doc.push(format!("Documented at {}{places}.", code(&def.origin)));
    let doc = doc_lines(&doc);

    // A field renamed on the wire keeps the Rust name of its previous wire name.
    let idents: Vec<_> = def
        .fields
        .iter()
        .map(|f| ident(&rust_field_name(f)))
        .collect();
    let fields = def.fields.iter().zip(&idents).map(|(f, id)| field(f, id));
    let wires = def.fields.iter().map(|f| {
        let wire = f.wire.as_str();
        let aliases = f.aliases.iter().map(String::as_str);
        quote!(#wire #(| #aliases)*)
    });
    let (form_field, form_tail) = if def.wire_form {
        (
            quote! {
                /// The version's wire form the value was received in: encoding writes
                /// the same names back. Not part of equality.
                pub wire_form: crate::de::WireForm,
            },
            quote!(; form wire_form),
        )
    } else {
        (quote!(), quote!())
    };
    quote! {
        #doc
        pub struct #name {
            #(#fields)*
            /// Undocumented fields, and values of another shape than documented, as sent.
            pub extra: Map<String, Value>,
            #form_field
        }

        crate::de::fields!(#name { #(#wires => #idents),* } #form_tail);
    }
}

/// Rust name of a struct's field. A field renamed on the wire keeps the Rust name of
/// its previous wire name, so callers keep compiling.
pub fn rust_field_name(f: &FieldDef) -> String {
    field_name(f.aliases.first().unwrap_or(&f.wire))
}

/// Rust name of a field: snake case; `extra` is taken by the catch-all map.
pub fn field_name(wire: &str) -> String {
    let s = snake(wire);
    if s == "extra" {
        "extra_field".to_owned()
    } else if s.is_empty() {
        "unnamed".to_owned()
    } else {
        s
    }
}

/// Whether an example is a placeholder text ("a device label") rather than a
/// value that changes with each render of the page (times such as `06:50`,
/// identifiers and keys such as `0101-1234-5678`): only placeholders reach the
/// docs, so new example values do not change the generated code.
pub(crate) fn is_placeholder(example: &str) -> bool {
    let mut digits = 0;
    for c in example.chars() {
        digits = if c.is_ascii_digit() { digits + 1 } else { 0 };
        if digits >= 3 {
            return false;
        }
    }
    example.chars().any(|c| c.is_ascii_alphabetic())
}

fn field(f: &FieldDef, id: &proc_macro2::Ident) -> TokenStream {
    // No doc that only repeats the wire name: the page's description and example.
    let mut doc = f.doc.as_deref().map(doc_text).unwrap_or_default();
    if let Some(example) = f.example.as_ref().filter(|e| is_placeholder(e)) {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        doc.push(format!("Example: {}.", code(example)));
    }
    if !f.aliases.is_empty() {
        if !doc.is_empty() {
            doc.push(String::new());
        }
        let names: Vec<String> = f.aliases.iter().map(|a| code(a)).collect();
        doc.push(format!(
            "Wire name {}; {} in the previous version (both decode, and a value encodes with the name it came with).",
            code(&f.wire),
            names.join(", ")
        ));
    }
    let doc = doc_lines(&doc);
    let inner = rust_ty(&f.ty);
    let ty = if f.boxed {
        quote!(Option<Box<#inner>>)
    } else {
        quote!(Option<#inner>)
    };
    quote! {
        #doc
        pub #id: #ty,
    }
}

fn value_enum(def: &ValueEnumDef) -> TokenStream {
    let name = type_ident(&def.name);
    let titles = def
        .titles
        .iter()
        .map(|t| format!("`{t}`"))
        .collect::<Vec<_>>()
        .join(", ");
    let doc = doc_lines(&[
        format!("Allowed values of {titles}."),
        String::new(),
        "Values the server adds later decode to `Unknown` and are sent back unchanged.".to_owned(),
    ]);
    let variants: Vec<_> = def.variants.iter().map(|v| type_ident(&v.ident)).collect();
    let wires: Vec<&str> = def.variants.iter().map(|v| v.wire.as_str()).collect();
    let docs = def.variants.iter().map(|v| {
        let mut lines = doc_text(&v.meaning);
        lines.push(String::new());
        lines.push(format!(
            "Wire value {}; name {}, code {}.",
            code(&v.wire),
            code(&v.name),
            code(&v.code)
        ));
        doc_lines(&lines)
    });
    quote! {
        #doc
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#docs #variants,)*
            /// A value the documentation does not list, as sent.
            Unknown(String),
        }

        impl #name {
            /// Every documented value.
            pub const ALL: &'static [#name] = &[#(#name::#variants),*];

            /// The value on the wire.
            #[inline]
            pub fn as_str(&self) -> &str {
                match self {
                    #(#name::#variants => #wires,)*
                    #name::Unknown(other) => other,
                }
            }
        }

        impl From<&str> for #name {
            #[inline]
            fn from(value: &str) -> Self {
                match value {
                    #(#wires => #name::#variants,)*
                    other => #name::Unknown(other.to_owned()),
                }
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl Serialize for #name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                let text = String::deserialize(deserializer)?;
                Ok(#name::from(text.as_str()))
            }
        }

        impl crate::de::Lenient for #name {
            fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Result<Self, Value>, D::Error> {
                Ok(<String as crate::de::Lenient>::decode(deserializer)?.map(|text| #name::from(text.as_str())))
            }
        }
    }
}

fn union(def: &UnionDef) -> TokenStream {
    let name = type_ident(&def.name);
    let doc = doc_lines(&[
        format!(
            "One of the allowed types of `{}`, sent as `{{ \"<key>\": {{ … }} }}`.",
            def.title
        ),
        String::new(),
        "A key the documentation does not list decodes to `Unknown`, kept as sent.".to_owned(),
    ]);
    let variants: Vec<_> = def.variants.iter().map(|v| type_ident(&v.ident)).collect();
    let keys: Vec<&str> = def.variants.iter().map(|v| v.key.as_str()).collect();
    let tys: Vec<_> = def.variants.iter().map(|v| rust_ty(&v.ty)).collect();
    let docs = def.variants.iter().map(|_| quote!());
    quote! {
        #doc
        // `Debug` (secrets masked) is in `secrets.rs`.
        #[derive(Clone, PartialEq)]
        #[non_exhaustive]
        pub enum #name {
            #(#docs #variants(#tys),)*
            /// A variant the documentation does not list, or a value of another shape.
            Unknown(Value),
        }

        impl #name {
            /// The wrapper key on the wire, if the variant is documented.
            pub fn key(&self) -> Option<&'static str> {
                match self {
                    #(#name::#variants(_) => Some(#keys),)*
                    #name::Unknown(_) => None,
                }
            }

            // `#[inline]` like the rest of the decoding: compiled by the crates that
            // decode the union, not by this one (it instantiates a decoder of every
            // variant).
            #[inline]
            fn from_json(value: Value) -> Self {
                if let Some((key, inner)) = crate::de::wrapped_entry(&value) {
                    match key {
                        #(#keys => if let Ok(v) = Deserialize::deserialize(inner) { return #name::#variants(v); },)*
                        _ => {}
                    }
                }
                #name::Unknown(value)
            }
        }

        impl Serialize for #name {
            fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                match self {
                    #(#name::#variants(v) => crate::de::serialize_wrapped(serializer, #keys, v),)*
                    #name::Unknown(v) => v.serialize(serializer),
                }
            }
        }

        impl<'de> Deserialize<'de> for #name {
            fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                Ok(#name::from_json(Value::deserialize(deserializer)?))
            }
        }

        impl crate::de::Lenient for #name {
            fn decode<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Result<Self, Value>, D::Error> {
                Ok(Ok(#name::from_json(Value::deserialize(deserializer)?)))
            }
        }
    }
}
