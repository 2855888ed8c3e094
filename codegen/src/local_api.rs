//! The curated list of the operations a gateway's local API (Developer Mode) serves,
//! `spec/local-api.toml`: read, checked against the documentation's operations, and
//! handed to the emitter (`emit/local_api.rs`), which writes
//! `generated/src/generated/local_api.rs`.
//!
//! Each entry names the operation as the local API's OpenAPI file writes it and as
//! the documentation does (the placeholders' names differ: `{executionId}` against
//! `{execId}`). The generated list holds the entries the documentation has (a
//! synthetic test page has none); `codegen/tests/local_api.rs` fails when an entry is
//! missing from the checked-in spec or from the OpenAPI file, so a documentation
//! change cannot make the list stale silently.

use serde::Deserialize;

use crate::ir::Ir;

/// Path of the data file, relative to the workspace root.
pub const LOCAL_API_PATH: &str = "spec/local-api.toml";

/// Path of the generated module, relative to the generated directory.
pub const MODULE_PATH: &str = "local_api.rs";

/// The data file as checked in (compiled into the generator).
pub const LOCAL_API: &str = include_str!("../../spec/local-api.toml");

/// The data file.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalApi {
    /// Where the list comes from.
    pub source: Source,
    /// The operations, in the order of the OpenAPI file.
    #[serde(rename = "operation")]
    pub operations: Vec<LocalOperation>,
}

/// The provenance of the list: the published file it was taken from.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// GitHub repository publishing the file (`owner/name`).
    pub repository: String,
    /// The file in that repository.
    pub file: String,
    /// Its `info.version`.
    pub version: String,
    /// When it was published (`YYYY-MM`).
    pub date: String,
    /// Its checked-in copy, relative to the workspace root.
    pub fixture: String,
}

/// One operation of the local API.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LocalOperation {
    /// `METHOD /path` as the OpenAPI file writes it.
    pub local: String,
    /// `METHOD /path` of the documentation's operation.
    pub doc: String,
}

impl LocalOperation {
    /// The method and path of [`LocalOperation::local`].
    pub fn local_parts(&self) -> Result<(&str, &str), String> {
        split(&self.local)
    }

    /// The method and path of [`LocalOperation::doc`].
    pub fn doc_parts(&self) -> Result<(&str, &str), String> {
        split(&self.doc)
    }
}

fn split(text: &str) -> Result<(&str, &str), String> {
    match text.split_once(' ') {
        Some((method, path)) if !method.is_empty() && path.starts_with('/') => Ok((method, path)),
        _ => Err(format!("{LOCAL_API_PATH}: {text:?} is not `METHOD /path`")),
    }
}

/// `/a/{x}/b` → `/a/{}/b`: paths compared whatever their placeholders' names.
pub fn shape(path: &str) -> String {
    path.split('/')
        .map(|segment| {
            if segment.starts_with('{') && segment.ends_with('}') {
                "{}"
            } else {
                segment
            }
        })
        .collect::<Vec<_>>()
        .join("/")
}

impl LocalApi {
    /// Parses the data file and checks it on its own: well-formed entries, no
    /// operation twice, each local path the shape of its documented path.
    pub fn parse(text: &str) -> Result<LocalApi, String> {
        let api: LocalApi = toml::from_str(text).map_err(|e| format!("{LOCAL_API_PATH}: {e}"))?;
        let mut seen = std::collections::BTreeSet::new();
        for op in &api.operations {
            let (local_method, local_path) = op.local_parts()?;
            let (doc_method, doc_path) = op.doc_parts()?;
            if local_method != doc_method || shape(local_path) != shape(doc_path) {
                return Err(format!(
                    "{LOCAL_API_PATH}: {:?} is not the same operation as {:?}",
                    op.local, op.doc
                ));
            }
            if !seen.insert(op.doc.clone()) {
                return Err(format!("{LOCAL_API_PATH}: {:?} is listed twice", op.doc));
            }
        }
        Ok(api)
    }

    /// The name of each entry's `OperationInfo` constant in the IR, in the file's
    /// order; fails on an entry the documentation lacks.
    pub fn resolve<'a>(&'a self, ir: &'a Ir) -> Result<Vec<(&'a LocalOperation, &'a str)>, String> {
        self.operations
            .iter()
            .map(|op| {
                let (method, path) = op.doc_parts()?;
                ir.operations
                    .iter()
                    .find(|o| o.spec.method.eq_ignore_ascii_case(method) && o.spec.path == path)
                    .map(|o| (op, o.const_name.as_str()))
                    .ok_or_else(|| {
                        format!(
                            "{LOCAL_API_PATH}: {:?} is not an operation of the documentation",
                            op.doc
                        )
                    })
            })
            .collect()
    }

    /// The entries the IR has, with their constants' names, in the file's order
    /// (what the generated list holds); malformed entries fail.
    pub fn present<'a>(&'a self, ir: &'a Ir) -> Result<Vec<(&'a LocalOperation, &'a str)>, String> {
        let mut present = Vec::new();
        for op in &self.operations {
            let (method, path) = op.doc_parts()?;
            if let Some(found) = ir
                .operations
                .iter()
                .find(|o| o.spec.method.eq_ignore_ascii_case(method) && o.spec.path == path)
            {
                present.push((op, found.const_name.as_str()));
            }
        }
        Ok(present)
    }

    /// The provenance as one line.
    pub fn provenance(&self) -> String {
        let s = &self.source;
        format!(
            "{} ({}, version {}, {}; checked in as {})",
            s.file, s.repository, s.version, s.date, s.fixture
        )
    }
}
