//! `secrets.rs`: the secret wire names of `spec/secrets.toml`, and the `Debug` of
//! every generated struct and union, which prints `***` for them.
//!
//! A field is secret by its wire name alone, wherever it sits (a request body, an
//! answer, an event payload), so a new documented field named `token` is masked
//! without a new entry. JSON kept as sent (`extra`, fields of type JSON, the
//! `Unknown` of a union) is printed through `crate::redact::MaskedJson`, which masks
//! the same names at any depth; the runtime reads the list from the generated
//! `SECRET_NAMES`.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;
use serde::Deserialize;

use super::{ident, type_ident};
use crate::ir::{Ir, StructDef, Ty, UnionDef};
use crate::spec::ParamLocation;

/// Path of the data file, relative to the workspace root.
pub const SECRETS_PATH: &str = "spec/secrets.toml";

/// The data file as checked in (compiled into the generator).
pub const SECRETS: &str = include_str!("../../../spec/secrets.toml");

/// One entry of `spec/secrets.toml`.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SecretName {
    /// Wire name (matched ignoring ASCII case).
    pub name: String,
    /// Why its value is a secret.
    pub reason: String,
    /// False for a name the documentation does not use.
    #[serde(default = "yes")]
    pub documented: bool,
}

fn yes() -> bool {
    true
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    secret: Vec<SecretName>,
}

/// The entries of a secrets file, sorted by lower-case name; refuses duplicates
/// (ignoring case) and entries without a reason.
pub fn parse(text: &str) -> Result<Vec<SecretName>, String> {
    let file: File = toml::from_str(text).map_err(|e| format!("{SECRETS_PATH}: {e}"))?;
    let mut by_name = BTreeMap::new();
    for entry in file.secret {
        if entry.name.trim().is_empty() || entry.reason.trim().is_empty() {
            return Err(format!(
                "{SECRETS_PATH}: every entry needs a name and a reason ({:?})",
                entry.name
            ));
        }
        let key = entry.name.to_ascii_lowercase();
        if by_name.insert(key, entry.clone()).is_some() {
            return Err(format!("{SECRETS_PATH}: {:?} is listed twice", entry.name));
        }
    }
    Ok(by_name.into_values().collect())
}

/// Whether `wire` is one of `names`.
pub fn is_secret(names: &[SecretName], wire: &str) -> bool {
    names.iter().any(|n| n.name.eq_ignore_ascii_case(wire))
}

/// Where each name applies in the IR, by lower-case name: struct fields
/// (`GeneratedLocalToken.token`) and operation parameters
/// (`POST /config/{gatewayId}/camera/discover/{rootUser}/{rootPassword} path rootPassword`).
pub fn places(ir: &Ir, names: &[SecretName]) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = names
        .iter()
        .map(|n| (n.name.to_ascii_lowercase(), Vec::new()))
        .collect();
    for def in ir.structs.values() {
        for f in &def.fields {
            if let Some(list) = out.get_mut(&f.wire.to_ascii_lowercase()) {
                list.push(format!(
                    "{}.{}",
                    def.name,
                    ident(&super::types::rust_field_name(f))
                ));
            }
        }
    }
    for op in &ir.operations {
        for p in &op.params {
            if let Some(list) = out.get_mut(&p.wire.to_ascii_lowercase()) {
                let place = match p.location {
                    ParamLocation::Path => "path",
                    ParamLocation::Query => "query",
                };
                list.push(format!(
                    "{} {} {place} parameter {}",
                    op.spec.method, op.spec.path, p.wire
                ));
            }
        }
    }
    for list in out.values_mut() {
        list.sort();
        list.dedup();
    }
    out
}

/// The `secret_names` module: the list the runtime's masking reads. A module of its
/// own, so that the runtime's `redact` (which the `Debug` impls of `secrets` use)
/// imports no generated module that imports it back.
pub fn names_module() -> Result<TokenStream, String> {
    let names = parse(SECRETS)?;
    let lower: Vec<String> = names.iter().map(|n| n.name.to_ascii_lowercase()).collect();
    Ok(quote! {
        //! The secret wire names of `spec/secrets.toml`.

        /// The secret wire names, lower case and sorted (compare ignoring ASCII case).
        pub(crate) const SECRET_NAMES: &[&str] = &[#(#lower),*];
    })
}

/// The `secrets` module: the `Debug` impls.
pub fn module(ir: &Ir, plan: &crate::features::Plan) -> Result<TokenStream, String> {
    let names = parse(SECRETS)?;
    let places = places(ir, &names);
    let mut doc = vec![
        "Secret wire names (`spec/secrets.toml`) and the `Debug` of the generated types,"
            .to_owned(),
        "which prints `***` for a field of such a name wherever it sits, and masks the".to_owned(),
        "same names at any depth in the JSON kept as sent (`extra`, JSON fields).".to_owned(),
        String::new(),
        "| name | why | masked fields and parameters |".to_owned(),
        "|---|---|---|".to_owned(),
    ];
    for n in &names {
        let at = places
            .get(&n.name.to_ascii_lowercase())
            .filter(|p| !p.is_empty())
            .map(|p| {
                p.iter()
                    .map(|s| format!("`{s}`"))
                    .collect::<Vec<_>>()
                    .join(", ")
            })
            .unwrap_or_else(|| "(not in the documentation: kept JSON only)".to_owned());
        doc.push(format!(
            "| `{}` | {} | {at} |",
            n.name,
            n.reason.replace('|', "\\|")
        ));
    }
    let doc = doc.iter().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#![doc = #line])
    });
    let gate = |name: &String| plan.types.get(name).map(|g| g.attr()).unwrap_or_default();
    let structs = ir.structs.values().map(|def| {
        let cfg = gate(&def.name);
        let debug = struct_debug(def, &names);
        quote!(#cfg #debug)
    });
    let unions = ir.unions.values().map(|def| {
        let cfg = gate(&def.name);
        let debug = union_debug(def);
        quote!(#cfg #debug)
    });
    Ok(quote! {
        #(#doc)*

        #(#structs)*
        #(#unions)*
    })
}

/// Whether a value of this type is (or holds) JSON kept as sent.
fn holds_json(ty: &Ty) -> bool {
    match ty {
        Ty::Json => true,
        Ty::Vec(inner) | Ty::Map(inner) => holds_json(inner),
        _ => false,
    }
}

fn struct_debug(def: &StructDef, names: &[SecretName]) -> TokenStream {
    let name = type_ident(&def.name);
    let label = def.name.as_str();
    let fields = def.fields.iter().map(|f| {
        let id = ident(&super::types::rust_field_name(f));
        let text = id.to_string();
        if is_secret(names, &f.wire) {
            quote!(.field(#text, &crate::redact::Masked(&self.#id)))
        } else if holds_json(&f.ty) {
            quote!(.field(#text, &crate::redact::MaskedJson(&self.#id)))
        } else {
            quote!(.field(#text, &self.#id))
        }
    });
    quote! {
        impl std::fmt::Debug for crate::types::#name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                f.debug_struct(#label)
                    #(#fields)*
                    .field("extra", &crate::redact::MaskedJson(&self.extra))
                    .finish()
            }
        }
    }
}

fn union_debug(def: &UnionDef) -> TokenStream {
    let name = type_ident(&def.name);
    let arms = def.variants.iter().map(|v| {
        let variant = type_ident(&v.ident);
        let label = variant.to_string();
        if holds_json(&v.ty) {
            quote!(crate::types::#name::#variant(v) => f.debug_tuple(#label).field(&crate::redact::MaskedJson(v)).finish(),)
        } else {
            quote!(crate::types::#name::#variant(v) => f.debug_tuple(#label).field(v).finish(),)
        }
    });
    quote! {
        impl std::fmt::Debug for crate::types::#name {
            #[inline]
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                match self {
                    #(#arms)*
                    crate::types::#name::Unknown(v) => f.debug_tuple("Unknown").field(&crate::redact::MaskedJson(v)).finish(),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_list_parses_and_names_match_ignoring_case() {
        let names = parse(SECRETS).unwrap();
        assert!(is_secret(&names, "token"));
        assert!(is_secret(&names, "Token"));
        assert!(is_secret(&names, "accessToken"));
        assert!(!is_secret(&names, "tokenCount"));
        assert!(!is_secret(&names, "label"));
    }

    #[test]
    fn duplicates_and_missing_reasons_are_refused() {
        let twice = "[[secret]]\nname = \"token\"\nreason = \"a\"\n[[secret]]\nname = \"Token\"\nreason = \"b\"\n";
        assert!(parse(twice).unwrap_err().contains("twice"));
        let bare = "[[secret]]\nname = \"token\"\nreason = \" \"\n";
        assert!(parse(bare).unwrap_err().contains("reason"));
    }
}
