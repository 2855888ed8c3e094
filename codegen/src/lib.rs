//! Parser of the Overkiz End-User API documentation and generator of the `overkiz`
//! crate.
//!
//! - [`parse`] turns the documentation page (text) into a [`spec::Spec`];
//! - [`summary`] counts what a spec holds;
//! - `cargo xtask codegen` (the `xtask` crate) drives both and writes the files.

pub mod parse;
pub mod spec;
pub mod summary;

pub use parse::{parse, ParseError};
pub use spec::Spec;
pub use summary::Summary;
pub mod output;

use output::GeneratedFile;

/// Path of the normalized spec, relative to the output root.
pub const SPEC_PATH: &str = "spec/overkiz.json";

/// The result of a full run: the parsed spec and every file to write.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The parsed spec.
    pub spec: Spec,
    /// Files relative to the output root, in a stable order.
    pub files: Vec<GeneratedFile>,
}

/// Parses the documentation and renders every output file. Pure: touches no disk.
pub fn generate(doc_name: &str, doc_text: &str) -> Result<Generated, ParseError> {
    let spec = parse(doc_name, doc_text)?;
    let files = vec![GeneratedFile { path: SPEC_PATH.to_owned(), contents: render_spec(&spec) }];
    Ok(Generated { spec, files })
}

/// The spec as pretty-printed JSON with a final newline: deterministic, since every
/// collection in the spec is a list in a defined order.
pub fn render_spec(spec: &Spec) -> String {
    let mut text = serde_json::to_string_pretty(spec).expect("the spec is plain data");
    text.push('\n');
    text
}
