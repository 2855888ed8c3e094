//! The lists of `Client`'s method groups (one generated `impl Client` block per
//! group of the documentation, headed by the group's name), groups in document
//! order under their category:
//! - `client_sections.md`, part of the crate documentation: each group with its
//!   Cargo feature, as plain text (the crate docs build with any set of features);
//! - the `calls` module's documentation: each group linked to its first method, a
//!   link that exists only when the group's feature is on (`cfg_attr`).

use std::collections::BTreeSet;

use proc_macro2::TokenStream;
use quote::quote;

use super::doc_text;
use crate::features::{group_key, Gate, Plan};
use crate::ir::Ir;
use crate::names::ident_text;

/// Path of the file, relative to the generated directory.
pub const SECTIONS_PATH: &str = "client_sections.md";

/// A group of methods: its name in the docs, its first method, the gate of that
/// method, and the feature of the group.
struct Section {
    name: String,
    method: String,
    gate: Gate,
    feature: String,
}

/// A category (`None` for the groups before the first one) and its groups.
type Category<'a> = (Option<&'a str>, Vec<Section>);

/// The groups in document order under their categories.
fn categories<'a>(ir: &'a Ir, plan: &Plan) -> Vec<Category<'a>> {
    let mut categories: Vec<Category<'_>> = Vec::new();
    let mut seen = BTreeSet::new();
    for op in &ir.operations {
        if !seen.insert(op.module.as_str()) {
            continue;
        }
        let category = op.spec.category.as_deref();
        let key = group_key(category, &op.spec.group);
        let feature = plan
            .groups
            .iter()
            .find(|(_, g)| g.groups.contains(&key))
            .map(|(name, _)| name.clone())
            .unwrap_or_default();
        let section = Section {
            name: doc_text(&op.spec.group).join(" "),
            method: ident_text(&op.fn_name),
            gate: plan
                .operations
                .get(&op.const_name)
                .cloned()
                .unwrap_or(Gate::Always),
            feature,
        };
        match categories.iter_mut().find(|(c, _)| *c == category) {
            Some((_, groups)) => groups.push(section),
            None => categories.push((category, vec![section])),
        }
    }
    categories
}

/// The Markdown text, included by `lib.rs` into the crate documentation.
pub fn markdown(ir: &Ir, plan: &Plan) -> String {
    let mut text = String::from(
        "# `Client`'s methods by group\n\n\
         [`Client`]'s methods come in the groups of the documentation, each group its \
         own `impl` block on [`Client`]'s page, headed by the group's name and \
         description, and each group a Cargo feature (below, after the group's name; \
         all on by default) that compiles its methods and the types only they use. \
         The methods the runtime calls itself, the [`Event`]s and the [`operations`] \
         compile whatever the features. [`calls`] links each group to its first method.\n\n",
    );
    for (category, groups) in categories(ir, plan) {
        let groups: Vec<String> = groups
            .iter()
            .map(|s| format!("{} (`{}`)", s.name, s.feature))
            .collect();
        match category {
            Some(category) => text.push_str(&format!(
                "- {}: {}\n",
                doc_text(category).join(" "),
                groups.join(", ")
            )),
            None => text.push_str(&format!("- {}\n", groups.join(", "))),
        }
    }
    text
}

/// The inner doc attributes of the `calls` module: a line per category, a line per
/// group, linked to its first method when that method compiles.
pub fn calls_doc(ir: &Ir, plan: &Plan) -> Vec<TokenStream> {
    let mut lines = Vec::new();
    for (category, groups) in categories(ir, plan) {
        let indent = match category {
            Some(category) => {
                let line = format!(" - {}:", doc_text(category).join(" "));
                lines.push(quote!(#![doc = #line]));
                "   "
            }
            None => " ",
        };
        for s in groups {
            let linked = format!(
                "{indent}- [{}](crate::Client::{}) (feature `{}`)",
                s.name, s.method, s.feature
            );
            let plain = format!("{indent}- {} (feature `{}`, off)", s.name, s.feature);
            let feature = &s.feature;
            lines.push(match s.gate {
                Gate::Always => quote!(#![doc = #linked]),
                Gate::Any(_) => quote! {
                    #![cfg_attr(feature = #feature, doc = #linked)]
                    #![cfg_attr(not(feature = #feature), doc = #plain)]
                },
            });
        }
    }
    lines
}
