//! `client_sections.md`: the part of the crate documentation that links each
//! section of `Client`'s methods (one generated `impl Client` block per group of
//! the documentation, headed by the group's name), groups in document order under
//! their category.

use std::collections::BTreeSet;

use super::doc_text;
use crate::ir::Ir;
use crate::names::ident_text;

/// Path of the file, relative to the generated directory.
pub const SECTIONS_PATH: &str = "client_sections.md";

/// A category (`None` for the groups before the first one) and its groups, each
/// with its first method: `(group, method)`.
type Category<'a> = (Option<&'a str>, Vec<(String, String)>);

/// The Markdown text, included by `lib.rs` into the crate documentation.
pub fn markdown(ir: &Ir) -> String {
    // In document order.
    let mut categories: Vec<Category<'_>> = Vec::new();
    let mut seen = BTreeSet::new();
    for op in &ir.operations {
        if !seen.insert(op.module.as_str()) {
            continue;
        }
        let category = op.spec.category.as_deref();
        let link = (doc_text(&op.spec.group).join(" "), ident_text(&op.fn_name));
        match categories.iter_mut().find(|(c, _)| *c == category) {
            Some((_, groups)) => groups.push(link),
            None => categories.push((category, vec![link])),
        }
    }
    let mut text = String::from(
        "# `Client`'s methods by group\n\n\
         [`Client`]'s methods come in the groups of the documentation, each group its \
         own `impl` block on [`Client`]'s page, headed by the group's name and \
         description. Each link below leads to the group's first method.\n\n",
    );
    for (category, groups) in categories {
        let links: Vec<String> = groups
            .iter()
            .map(|(group, method)| format!("[{group}](Client::{method})"))
            .collect();
        match category {
            Some(category) => text.push_str(&format!(
                "- {}: {}\n",
                doc_text(category).join(" "),
                links.join(", ")
            )),
            None => text.push_str(&format!("- {}\n", links.join(", "))),
        }
    }
    text
}
