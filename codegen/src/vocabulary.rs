//! The vocabulary enums (`Protocol`, `UiClass`, `UiWidget`, `StateName`,
//! `CommandName`) from the curated data file `spec/vocabulary.toml`: the tokens of
//! one module, `generated/src/generated/vocabulary.rs` (written by [`crate::emit`]
//! like the other generated files), independent of the documentation.
//!
//! Each enum has one unit variant per listed value, named after it
//! (`core:ClosureState` → `CoreClosureState`), and `Unknown(String)` for anything
//! else, so that reading and writing a value is lossless. The output is sorted and
//! deterministic.

use std::collections::BTreeMap;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;
use serde::Deserialize;

/// Path of the data file, relative to the workspace root.
pub const VOCABULARY_PATH: &str = "spec/vocabulary.toml";

/// Path of the generated module, relative to the generated directory.
pub const MODULE_PATH: &str = "vocabulary.rs";

/// The data file as checked in (compiled into the generator).
pub const VOCABULARY: &str = include_str!("../../spec/vocabulary.toml");

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    #[serde(rename = "enum")]
    enums: Vec<Enum>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct Enum {
    name: String,
    doc: String,
    values: Vec<String>,
    /// Variant names that differ from the derived ones, by value.
    #[serde(default)]
    variants: BTreeMap<String, String>,
    /// Descriptions, by value.
    #[serde(default)]
    docs: BTreeMap<String, String>,
}

/// Turns a value into a variant name: the alphanumeric runs, each with its first
/// letter upper-cased (`core:ClosureState` → `CoreClosureState`, `io` → `Io`).
pub fn variant_name(value: &str) -> String {
    let mut out = String::new();
    for part in value.split(|c: char| !c.is_ascii_alphanumeric()) {
        let mut chars = part.chars();
        if let Some(first) = chars.next() {
            out.push(first.to_ascii_uppercase());
            out.extend(chars);
        }
    }
    if out.starts_with(|c: char| c.is_ascii_digit()) {
        out.insert(0, 'V');
    }
    out
}

/// An upper camel case identifier.
fn is_variant_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_uppercase())
        && name.chars().all(|c| c.is_ascii_alphanumeric())
        && name != "Unknown"
}

/// The module of `spec/vocabulary.toml`'s text.
pub fn module(text: &str) -> Result<TokenStream, String> {
    let file: File = toml::from_str(text).map_err(|e| format!("{VOCABULARY_PATH}: {e}"))?;
    let mut items = Vec::new();
    let mut names = BTreeMap::new();
    for e in &file.enums {
        if names.insert(e.name.clone(), ()).is_some() {
            return Err(format!(
                "{VOCABULARY_PATH}: enum {} is listed twice",
                e.name
            ));
        }
        items.push(enum_tokens(e)?);
    }
    Ok(quote! {
        //! Names of the Overkiz vocabulary (protocols, UI classes and widgets, state
        //! and command names) as enums: a variant per known name, `Unknown` keeping
        //! any other name as sent. Generated from `spec/vocabulary.toml`.

        #(#items)*
    })
}

fn enum_tokens(e: &Enum) -> Result<TokenStream, String> {
    let name = Ident::new(&e.name, Span::call_site());
    let mut values: BTreeMap<String, String> = BTreeMap::new();
    let mut variants: BTreeMap<String, String> = BTreeMap::new();
    for key in e.variants.keys().chain(e.docs.keys()) {
        if !e.values.contains(key) {
            return Err(format!("{}: {key:?} is described but not listed", e.name));
        }
    }
    for value in &e.values {
        let variant = match e.variants.get(value) {
            Some(name) if is_variant_name(name) => name.clone(),
            Some(name) => return Err(format!("{}: {name:?} is not a variant name", e.name)),
            None => variant_name(value),
        };
        if variant.is_empty() || variant == "Unknown" {
            return Err(format!(
                "{}: value {value:?} has no usable variant name",
                e.name
            ));
        }
        if values.insert(value.clone(), variant.clone()).is_some() {
            return Err(format!("{}: value {value:?} is listed twice", e.name));
        }
        if let Some(other) = variants.insert(variant.clone(), value.clone()) {
            return Err(format!(
                "{}: values {other:?} and {value:?} give the same variant {variant}",
                e.name
            ));
        }
    }
    let doc = format!(" {}", e.doc);
    let idents: Vec<Ident> = values
        .values()
        .map(|v| Ident::new(v, Span::call_site()))
        .collect();
    let texts: Vec<&String> = values.keys().collect();
    let docs: Vec<String> = texts
        .iter()
        .map(|t| match e.docs.get(*t) {
            Some(doc) => format!(" `{t}`: {doc}."),
            None => format!(" `{t}`."),
        })
        .collect();
    let count = texts.len();
    Ok(quote! {
        #[doc = #doc]
        ///
        /// Serialized as the name itself; a name this version does not know is kept
        /// as [`Self::Unknown`] and written back unchanged.
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
        #[non_exhaustive]
        pub enum #name {
            #(#[doc = #docs] #idents,)*
            /// A name this version does not know, as sent.
            Unknown(String),
        }

        impl #name {
            /// Every known name, sorted.
            pub const KNOWN: [#name; #count] = [#(#name::#idents,)*];

            /// The name as the API writes it.
            pub fn as_str(&self) -> &str {
                match self {
                    #(#name::#idents => #texts,)*
                    #name::Unknown(other) => other,
                }
            }

            /// True unless this is [`Self::Unknown`].
            pub fn is_known(&self) -> bool {
                !matches!(self, #name::Unknown(_))
            }
        }

        impl From<&str> for #name {
            fn from(value: &str) -> #name {
                // A search of the sorted names, not a `match` of hundreds of string
                // arms: that compiled to kilobytes of comparisons per enum.
                static TEXTS: [&str; #count] = [#(#texts,)*];
                static KNOWN: [#name; #count] = #name::KNOWN;
                match TEXTS.binary_search(&value) {
                    Ok(i) => KNOWN[i].clone(),
                    Err(_) => #name::Unknown(value.to_owned()),
                }
            }
        }

        impl From<String> for #name {
            fn from(value: String) -> #name {
                match #name::from(value.as_str()) {
                    #name::Unknown(_) => #name::Unknown(value),
                    known => known,
                }
            }
        }

        impl std::str::FromStr for #name {
            type Err = std::convert::Infallible;
            fn from_str(value: &str) -> Result<#name, Self::Err> {
                Ok(#name::from(value))
            }
        }

        impl std::fmt::Display for #name {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.write_str(self.as_str())
            }
        }

        impl AsRef<str> for #name {
            fn as_ref(&self) -> &str {
                self.as_str()
            }
        }

        impl PartialEq<str> for #name {
            fn eq(&self, other: &str) -> bool {
                self.as_str() == other
            }
        }

        impl PartialEq<&str> for #name {
            fn eq(&self, other: &&str) -> bool {
                self.as_str() == *other
            }
        }

        impl serde::Serialize for #name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_str(self.as_str())
            }
        }

        impl<'de> serde::Deserialize<'de> for #name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<#name, D::Error> {
                let value = std::borrow::Cow::<'de, str>::deserialize(deserializer)?;
                Ok(#name::from(value.as_ref()))
            }
        }
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variant_names() {
        assert_eq!(variant_name("core:ClosureState"), "CoreClosureState");
        assert_eq!(variant_name("io"), "Io");
        assert_eq!(variant_name("setClosure"), "SetClosure");
        assert_eq!(variant_name("profalux868"), "Profalux868");
        assert_eq!(variant_name("3dPrinter"), "V3dPrinter");
    }

    #[test]
    fn the_checked_in_vocabulary_generates_sorted_enums() {
        let text = module(VOCABULARY).unwrap().to_string();
        assert!(text.contains("pub enum UiClass"));
        assert!(text.contains("RollerShutter ,"));
        // Deterministic.
        assert_eq!(module(VOCABULARY).unwrap().to_string(), text);
    }

    #[test]
    fn duplicates_are_refused() {
        let twice = "[[enum]]\nname = \"A\"\ndoc = \"d\"\nvalues = [\"x\", \"x\"]\n";
        assert!(module(twice).unwrap_err().contains("twice"));
        let clash = "[[enum]]\nname = \"A\"\ndoc = \"d\"\nvalues = [\"a:b\", \"aB\"]\n";
        assert!(module(clash).unwrap_err().contains("same variant"));
        let stale =
            "[[enum]]\nname = \"A\"\ndoc = \"d\"\nvalues = [\"a\"]\n[enum.docs]\nb = \"x\"\n";
        assert!(module(stale).unwrap_err().contains("not listed"));
        let bad =
            "[[enum]]\nname = \"A\"\ndoc = \"d\"\nvalues = [\"a\"]\n[enum.variants]\na = \"a-b\"\n";
        assert!(module(bad).unwrap_err().contains("not a variant name"));
    }
}
