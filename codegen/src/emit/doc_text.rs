//! Documentation text for the generated code: the page's text made safe for
//! rustdoc (no accidental doc tests, links or HTML), as `#[doc]` attributes.

use proc_macro2::TokenStream;
use quote::quote;

/// `#[doc = …]` attributes for documentation text, one per line.
pub(super) fn doc_lines(lines: &[String]) -> TokenStream {
    let attrs = lines.iter().map(|line| {
        let line = if line.is_empty() {
            String::new()
        } else {
            format!(" {line}")
        };
        quote!(#[doc = #line])
    });
    quote!(#(#attrs)*)
}

/// Documentation text of the page made safe for rustdoc: no indented lines (they
/// would become doc tests), brackets and angle brackets escaped (they would be
/// taken as links or HTML), bare URLs wrapped.
pub fn doc_text(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for raw in text.lines() {
        let line = raw.trim();
        if line.is_empty() {
            if out.last().is_some_and(|l| !l.is_empty()) {
                out.push(String::new());
            }
            continue;
        }
        out.push(escape_markdown(line));
    }
    while out.last().is_some_and(|l| l.is_empty()) {
        out.pop();
    }
    out
}

fn escape_markdown(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 8);
    for word in line.split(' ') {
        if !out.is_empty() {
            out.push(' ');
        }
        let is_url = word.starts_with("http://") || word.starts_with("https://");
        if is_url {
            out.push('<');
        }
        for c in word.chars() {
            match c {
                '[' => out.push_str("\\["),
                ']' => out.push_str("\\]"),
                '<' => out.push_str("&lt;"),
                '>' => out.push_str("&gt;"),
                '*' => out.push_str("\\*"),
                '_' if !is_url => out.push_str("\\_"),
                '`' => out.push_str("\\`"),
                '#' if out.is_empty() => out.push_str("\\#"),
                c => out.push(c),
            }
        }
        if is_url {
            out.push('>');
        }
    }
    // A line starting with a list marker or digit-dot is fine in Markdown; a line
    // starting with `=`/`-` under text would make a heading: escape it.
    if out.starts_with('=') || out.starts_with("---") {
        out.insert(0, '\\');
    }
    out
}

/// Inline code for an example text, whatever backticks it holds.
pub fn code(text: &str) -> String {
    let ticks = if text.contains('`') { "``" } else { "`" };
    let pad = if text.starts_with('`') || text.ends_with('`') {
        " "
    } else {
        ""
    };
    format!("{ticks}{pad}{text}{pad}{ticks}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doc_text_is_safe_for_rustdoc() {
        let lines = doc_text(
            "  Get the device\n\n\n    indented <gateway> [#<subsystemId>] see https://x.y/z_a\n",
        );
        assert_eq!(
            lines,
            [
                "Get the device",
                "",
                "indented &lt;gateway&gt; \\[#&lt;subsystemId&gt;\\] see <https://x.y/z_a>"
            ]
        );
    }
}
