//! The documentation page as Overkiz publishes it (HTML, at
//! `/enduser-mobile-web/enduserAPI/doc`) into the text layout of
//! `spec/enduser-api.txt`, which [`crate::parse`] reads.
//!
//! The conversion renders the page as text the way a browser lays it out, following
//! the markup, not a list of known places:
//!
//! - `head`, `script`, `style` and comments give nothing;
//! - outside `pre`, runs of white space become one space, and lines are trimmed;
//!   inside `pre`, text is kept as written;
//! - `br` ends a line;
//! - at most three blank lines follow each other;
//! - block elements (`table`, `tr`, `caption`, `pre`, `div`, `p`, lists, ...) start
//!   and end on a line of their own; headings (`h1`…`h6`) also have a blank line
//!   before and after;
//! - the cells of a table row (`td`, `th`) are separated by one space, so a row
//!   reads `Type Name Value Description` and a cell holding a `pre` block puts it
//!   on lines of its own;
//! - an empty group description (`pre.c_desc` without text, which the page gives
//!   its category headings) reads as a blank line and four lines of tabs, as in
//!   the saved text layout.
//!
//! The encoding is taken from a byte-order mark, else UTF-8 if the bytes are valid
//! UTF-8, else the `charset` the page declares, else `windows-1252` (see [`decode`]).

use scraper::{Html, Node};

/// The text layout's form of an empty group description (see the module doc).
const EMPTY_GROUP_DESCRIPTION: &str = "\n\t\t\t\t\t\t\n\t\t\t\t\t\n\t\t\t\t\n\t\t\t";

/// Whether `bytes` look like an HTML page rather than the text layout.
pub fn looks_like_html(bytes: &[u8]) -> bool {
    let head = &bytes[..bytes.len().min(1024)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let head = head.trim_start_matches('\u{feff}').trim_start();
    head.starts_with("<!doctype html") || head.starts_with("<html") || head.starts_with("<?xml")
}

/// Decodes the page's bytes: by their BOM; else as UTF-8 when they are valid UTF-8;
/// else by the declared `charset`; else as `windows-1252`.
///
/// Valid UTF-8 wins over the declaration because saved pages declare
/// `windows-1252` while holding UTF-8 bytes (the January 2026 save has `U+FFFD`
/// written as `EF BF BD`), and windows-1252 text with accents is almost never
/// valid UTF-8.
pub fn decode(bytes: &[u8]) -> String {
    if let Some((encoding, bom)) = encoding_rs::Encoding::for_bom(bytes) {
        return encoding
            .decode_without_bom_handling(&bytes[bom..])
            .0
            .into_owned();
    }
    if let Ok(text) = std::str::from_utf8(bytes) {
        return text.to_owned();
    }
    let encoding = declared_charset(bytes)
        .and_then(|label| encoding_rs::Encoding::for_label(label.as_bytes()))
        .unwrap_or(encoding_rs::WINDOWS_1252);
    encoding.decode_without_bom_handling(bytes).0.into_owned()
}

/// The `charset=` of the page's first kilobytes, if any.
fn declared_charset(bytes: &[u8]) -> Option<String> {
    let head = &bytes[..bytes.len().min(4096)];
    let head = String::from_utf8_lossy(head).to_ascii_lowercase();
    let at = head.find("charset=")? + "charset=".len();
    let label: String = head[at..]
        .trim_start_matches(['"', '\''])
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | ':' | '.'))
        .collect();
    (!label.is_empty()).then_some(label)
}

/// Converts the page's bytes (any encoding, see [`decode`]) into the text layout.
pub fn to_text(bytes: &[u8]) -> String {
    html_to_text(&decode(bytes))
}

/// Converts the page's HTML into the text layout.
pub fn html_to_text(html: &str) -> String {
    let doc = Html::parse_document(html);
    let mut r = Renderer::default();
    r.children(doc.tree.root());
    r.finish()
}

#[derive(Default)]
struct Renderer {
    out: String,
    /// Line breaks owed by block boundaries since the last text: adjacent
    /// boundaries merge (the largest count wins), and none are written at the start
    /// or end of the page.
    breaks: usize,
    /// White space seen since the last text: one space if more text follows on
    /// the same line.
    space: bool,
    /// Depth of `pre` elements around the current node.
    pre: usize,
}

type NodeRef<'a> = ego_tree::NodeRef<'a, Node>;

fn is_block(name: &str) -> bool {
    matches!(
        name,
        "html"
            | "body"
            | "div"
            | "table"
            | "thead"
            | "tbody"
            | "tfoot"
            | "tr"
            | "caption"
            | "pre"
            | "p"
            | "ul"
            | "ol"
            | "li"
            | "dl"
            | "dt"
            | "dd"
            | "blockquote"
            | "form"
            | "hr"
            | "section"
            | "article"
            | "header"
            | "footer"
            | "nav"
            | "address"
            | "fieldset"
    )
}

fn is_heading(name: &str) -> bool {
    matches!(name, "h1" | "h2" | "h3" | "h4" | "h5" | "h6")
}

/// Most blank lines in a row the text layout shows.
const MAX_BLANK_LINES: usize = 3;

impl Renderer {
    fn at_line_start(&self) -> bool {
        self.out.is_empty() || self.out.ends_with('\n')
    }

    /// A block boundary owing `n` line breaks (1: a new line, 2: a blank line).
    fn boundary(&mut self, n: usize) {
        self.breaks = self.breaks.max(n);
        self.space = false;
    }

    /// Writes the line breaks owed before more content.
    fn flush(&mut self) {
        if self.breaks > 0 && !self.out.is_empty() {
            for _ in 0..self.breaks {
                self.out.push('\n');
            }
            self.space = false;
        }
        self.breaks = 0;
    }

    fn literal(&mut self, text: &str) {
        self.flush();
        self.out.push_str(text);
        self.space = false;
    }

    fn text(&mut self, text: &str) {
        if self.pre > 0 {
            if !text.is_empty() {
                self.literal(text);
            }
            return;
        }
        for c in text.chars() {
            if matches!(c, ' ' | '\t' | '\n' | '\r' | '\x0c') {
                self.space = true;
            } else {
                self.flush();
                if self.space && !self.at_line_start() {
                    self.out.push(' ');
                }
                self.space = false;
                self.out.push(c);
            }
        }
    }

    fn children(&mut self, node: NodeRef) {
        for child in node.children() {
            self.node(child);
        }
    }

    fn node(&mut self, node: NodeRef) {
        match node.value() {
            Node::Text(t) => self.text(t),
            Node::Element(e) => {
                let name = e.name();
                match name {
                    "head" | "script" | "style" | "title" | "noscript" | "template" => {}
                    "br" => self.literal("\n"),
                    "td" | "th" => {
                        self.space = true;
                        self.children(node);
                        self.space = true;
                    }
                    "pre" => {
                        self.boundary(1);
                        let empty = !node
                            .descendants()
                            .any(|d| matches!(d.value(), Node::Text(t) if !t.trim().is_empty()));
                        if empty && e.classes().any(|c| c == "c_desc") {
                            self.literal(EMPTY_GROUP_DESCRIPTION);
                        } else {
                            self.pre += 1;
                            self.children(node);
                            self.pre -= 1;
                        }
                        self.boundary(1);
                    }
                    _ if is_heading(name) => {
                        self.boundary(2);
                        self.children(node);
                        self.boundary(2);
                    }
                    _ if is_block(name) => {
                        self.boundary(1);
                        self.children(node);
                        self.boundary(1);
                    }
                    _ => self.children(node),
                }
            }
            Node::Document | Node::Fragment => self.children(node),
            _ => {}
        }
    }

    /// The text without leading and trailing line breaks, and with at most
    /// [`MAX_BLANK_LINES`] blank lines in a row.
    fn finish(self) -> String {
        let text = self.out.trim_matches('\n');
        let mut out = String::with_capacity(text.len());
        let mut blank = 0;
        for (i, line) in text.split('\n').enumerate() {
            if line.is_empty() {
                blank += 1;
                if blank > MAX_BLANK_LINES {
                    continue;
                }
            } else {
                blank = 0;
            }
            if i > 0 {
                out.push('\n');
            }
            out.push_str(line);
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_blocks_and_headings() {
        let html = "<html><head><title>T</title><script>x()</script></head><body>\
            <h1>Title</h1><h4>Expand/collapse all</h4>\
            <table><caption>Parameters</caption><tr><th>Type</th>\n<th>Name</th></tr>\
            <tr><td>\n  Path Variable\n</td><td> id </td><td><pre><i>{\n  \"a\" : 1\n}</i></pre></td>\
            <td>\n<pre>The id</pre></td></tr></table></body></html>";
        assert_eq!(
            html_to_text(html),
            "Title\n\nExpand/collapse all\n\nParameters\nType Name\nPath Variable id\n{\n  \"a\" : 1\n}\nThe id"
        );
    }

    #[test]
    fn br_and_pre_keep_blank_lines_up_to_three() {
        let scope = "\n  <pre>Access scope : Public</pre><br>\n &gt; <a>Test operation</a>";
        let short = format!("<div><pre>Create<span><br><br></span><br><br></pre>{scope}</div>");
        assert_eq!(
            html_to_text(&short),
            "Create\n\n\n\nAccess scope : Public\n\n> Test operation"
        );
        let long = format!("<div><pre>Create<span><br><br>More.</span><br><br></pre>{scope}</div>");
        assert_eq!(
            html_to_text(&long),
            "Create\n\nMore.\n\n\nAccess scope : Public\n\n> Test operation"
        );
    }

    #[test]
    fn empty_group_description_reads_as_tab_lines() {
        let html = "<table><tr><td><h3>Utils</h3><pre class=\"c_desc\"></pre></td><td></td><td><span>Expand commands</span></td></tr></table>";
        assert_eq!(
            html_to_text(html),
            "Utils\n\n\n\t\t\t\t\t\t\n\t\t\t\t\t\n\t\t\t\t\n\t\t\t\nExpand commands"
        );
    }

    #[test]
    fn encoding_from_declaration_or_windows_1252() {
        let page = b"<html><head><meta charset=\"windows-1252\"></head><body><p>caf\xe9 \x93x\x94</p></body></html>";
        assert_eq!(to_text(page), "caf\u{e9} \u{201c}x\u{201d}");
        let utf8 = "<html><head><meta charset=\"utf-8\"></head><body><p>café</p></body></html>";
        assert_eq!(to_text(utf8.as_bytes()), "café");
        // Declared windows-1252, holding UTF-8 bytes (as the saved page does).
        let saved = "<html><head><meta charset=\"windows-1252\"></head><body><p>Barth\u{fffd}lemy</p></body></html>";
        assert_eq!(to_text(saved.as_bytes()), "Barth\u{fffd}lemy");
        let latin1 =
            b"<html><head><meta charset=\"iso-8859-15\"></head><body><p>\xa4</p></body></html>";
        assert_eq!(to_text(latin1), "\u{20ac}");
        assert!(looks_like_html(page));
        assert!(!looks_like_html(b"End-User RESTful API Operations\n"));
    }
}
