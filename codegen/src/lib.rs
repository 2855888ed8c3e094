//! Parser of the Overkiz End-User API documentation and generator of the `overkiz`
//! crate.
//!
//! - [`html`] turns the published page (HTML) into the text layout;
//! - [`parse`] turns the documentation page (text) into a [`spec::Spec`];
//! - [`summary`] counts what a spec holds;
//! - [`changelog`] tells what changed between two specs;
//! - `cargo xtask codegen` (the `xtask` crate) drives both and writes the files.

pub mod changelog;
pub mod html;
pub mod parse;
pub mod spec;
pub mod summary;

pub use parse::{parse, ParseError};
pub use spec::Spec;
pub use summary::Summary;
pub mod compat;
pub mod curated;
pub mod curated_ops;
pub mod emit;
pub mod features;
pub mod idempotency;
pub mod ir;
pub mod local_api;
pub mod names;
pub mod output;
pub mod vocabulary;

use output::GeneratedFile;

/// Path of the normalized spec, relative to the output root.
pub const SPEC_PATH: &str = "spec/overkiz.json";

/// Why a generation failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Error {
    /// The documentation does not parse.
    #[error(transparent)]
    Parse(#[from] ParseError),
    /// The curated file is malformed or has stale entries.
    #[error(transparent)]
    Curated(#[from] curated::CuratedError),
    /// The spec cannot be turned into Rust.
    #[error(transparent)]
    Ir(#[from] ir::IrError),
    /// The feature map is malformed or does not fit the page.
    #[error(transparent)]
    Features(#[from] features::FeaturesError),
    /// The generated code does not parse (a generator bug).
    #[error("{0}")]
    Emit(String),
}

/// The result of a full run: the parsed spec, the IR and every file to write.
#[derive(Debug, Clone)]
pub struct Generated {
    /// The parsed spec.
    pub spec: Spec,
    /// The intermediate representation.
    pub ir: ir::Ir,
    /// Which feature compiles each item (`spec/features.toml` applied to the IR).
    pub features: features::Plan,
    /// Files relative to the output root, in a stable order. The manifest
    /// (`generated/Cargo.toml`) is only its `[features]` table: see
    /// [`output::sync`].
    pub files: Vec<GeneratedFile>,
}

/// Parses the documentation, applies the curated file and renders every output
/// file. Pure: touches no disk.
pub fn generate(doc_name: &str, doc_text: &str, curated_text: &str) -> Result<Generated, Error> {
    let spec = parse(doc_name, doc_text)?;
    generate_from_spec(spec, curated_text)
}

/// The spec as `cargo xtask codegen` writes it: the page's spec plus the curated
/// operations and every operation's idempotency class (for comparing a page with a
/// written spec, e.g. in a changelog).
pub fn complete(mut spec: Spec, curated_text: &str) -> Result<Spec, Error> {
    let curated = curated::Curated::parse(curated_text)?;
    curated_ops::apply(&mut spec, &curated)?;
    idempotency::apply(&mut spec, &curated)?;
    Ok(spec)
}

/// A previous version of the documentation: its version (`2026-03`, the file name
/// in `spec/versions/`) and its text.
#[derive(Debug, Clone, Copy)]
pub struct PreviousVersion<'a> {
    /// The version, as the file of `spec/versions/` names it.
    pub version: &'a str,
    /// The page's text.
    pub text: &'a str,
}

/// [`generate`] for a page whose previous version is known: the generated crate
/// also decodes what servers of that version send (see [`compat`]).
pub fn generate_with_previous(
    doc_name: &str,
    doc_text: &str,
    previous: Option<PreviousVersion<'_>>,
    curated_text: &str,
) -> Result<Generated, Error> {
    let spec = parse(doc_name, doc_text)?;
    let previous = match previous {
        Some(p) => Some((p.version, parse(&format!("{}.txt", p.version), p.text)?)),
        None => None,
    };
    generate_from_specs(spec, previous.as_ref().map(|(v, s)| (*v, s)), curated_text)
}

/// Generates a previous version of the page (the version history under
/// `spec/versions/`) with the curated file of the newest one: entries that match
/// nothing in the older page are no error (see
/// [`curated::Curated::for_previous_version`]). Pure: touches no disk.
pub fn generate_previous(
    doc_name: &str,
    doc_text: &str,
    curated_text: &str,
) -> Result<Generated, Error> {
    let spec = parse(doc_name, doc_text)?;
    let curated = curated::Curated::parse(curated_text)?.for_previous_version();
    generate_with(spec, None, &curated)
}

/// Renders every output file of an already parsed spec.
pub fn generate_from_spec(spec: Spec, curated_text: &str) -> Result<Generated, Error> {
    generate_from_specs(spec, None, curated_text)
}

/// Renders every output file of an already parsed spec, compared with the parsed
/// spec of the previous version (`(version, spec)`) when there is one.
pub fn generate_from_specs(
    spec: Spec,
    previous: Option<(&str, &Spec)>,
    curated_text: &str,
) -> Result<Generated, Error> {
    let curated = curated::Curated::parse(curated_text)?;
    generate_with(spec, previous, &curated)
}

fn generate_with(
    mut spec: Spec,
    previous: Option<(&str, &Spec)>,
    curated: &curated::Curated,
) -> Result<Generated, Error> {
    curated_ops::apply(&mut spec, curated)?;
    idempotency::apply(&mut spec, curated)?;
    compat::apply(&mut spec, previous, curated)?;
    let ir = ir::build(&spec, curated)?;
    let map =
        features::FeatureMap::parse(features::FEATURES).map_err(features::FeaturesError::from)?;
    let plan = features::plan(&ir, &map, curated.is_for_previous_version());
    let mut files = vec![GeneratedFile {
        path: SPEC_PATH.to_owned(),
        contents: render_spec(&spec),
    }];
    files.extend(emit::emit(&ir, &plan, vocabulary::VOCABULARY).map_err(Error::Emit)?);
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(Generated {
        spec,
        ir,
        features: plan,
        files,
    })
}

/// The spec as pretty-printed JSON with a final newline: deterministic, since every
/// collection in the spec is a list in a defined order.
pub fn render_spec(spec: &Spec) -> String {
    let mut text = serde_json::to_string_pretty(spec).expect("the spec is plain data");
    text.push('\n');
    text
}
