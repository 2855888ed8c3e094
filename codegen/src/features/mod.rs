//! Cargo features of the generated crate: the curated map of `spec/features.toml`
//! (documentation group → feature name, the runtime's own operations and
//! features), and the plan computed from it: which feature compiles each
//! generated operation and type, and the `[features]` table of
//! `generated/Cargo.toml`.
//!
//! A group's feature compiles the group's methods and the types only they reach
//! (request and response bodies, parameters, nested types, enums). A type several
//! features reach compiles with any of them; a type an event reaches, or an
//! operation the runtime calls itself, always compiles. Operation constants
//! (`operations::*`) are never gated: they are plain data, and
//! `Client::request(&operations::X)` works for every operation whatever the
//! features.

pub mod closure;

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::TokenStream;
use quote::quote;
use serde::Deserialize;
use toml::Spanned;

use crate::ir::{Answer, Ir, OpDef, Ty};

/// Path of the map, relative to the workspace root.
pub const FEATURES_PATH: &str = "spec/features.toml";

/// The checked-in map.
pub const FEATURES: &str = include_str!("../../../spec/features.toml");

/// The manifest whose `[features]` table the generator writes.
pub const CARGO_TOML_PATH: &str = "generated/Cargo.toml";

/// First line of the written part of [`CARGO_TOML_PATH`].
pub const BEGIN_MARKER: &str =
    "# BEGIN features: written by `cargo xtask codegen` from spec/features.toml (edit that file, not this table).";

/// Last line of the written part of [`CARGO_TOML_PATH`].
pub const END_MARKER: &str = "# END features";

/// A malformed `spec/features.toml`: the line, and what was expected there.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{FEATURES_PATH}:{line}: {message}")]
pub struct FeatureMapError {
    /// 1-based line (the first line when the error has no place).
    pub line: usize,
    /// What is wrong and what was expected.
    pub message: String,
}

/// Why the features cannot be planned: the map is malformed (any page generates
/// with a well-formed map).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FeaturesError {
    /// The map is malformed.
    #[error(transparent)]
    Map(#[from] FeatureMapError),
}

/// A runtime feature: written to the table as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RuntimeFeature {
    /// Feature name.
    pub name: String,
    /// One line saying what it compiles.
    pub doc: String,
    /// What it enables (`dep:x`, other features).
    pub enables: Vec<String>,
    /// Whether the default set has it.
    pub default: bool,
}

/// The parsed map.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeatureMap {
    /// `Category / Group` (or `Group`) → (feature, line).
    pub groups: BTreeMap<String, (String, usize)>,
    /// `METHOD /path` of the operations the runtime calls, with their lines.
    pub runtime_operations: Vec<(String, usize)>,
    /// The runtime's own features, by name.
    pub runtime_features: Vec<RuntimeFeature>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawMap {
    groups: BTreeMap<String, Spanned<String>>,
    runtime: RawRuntime,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntime {
    operations: Vec<Spanned<String>>,
    #[serde(default)]
    features: BTreeMap<String, Spanned<RawRuntimeFeature>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRuntimeFeature {
    doc: String,
    #[serde(default)]
    enables: Vec<String>,
    default: bool,
}

/// 1-based line of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text[..offset.min(text.len())].matches('\n').count() + 1
}

/// Whether `name` is a feature name the map may give: lowercase ASCII letters,
/// digits and `-`, starting with a letter.
pub fn is_feature_name(name: &str) -> bool {
    name.starts_with(|c: char| c.is_ascii_lowercase())
        && name
            .chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && name != "default"
}

impl FeatureMap {
    /// Parses the map; an error names the line and what was expected.
    pub fn parse(text: &str) -> Result<FeatureMap, FeatureMapError> {
        let raw: RawMap = toml::from_str(text).map_err(|e| FeatureMapError {
            line: e.span().map_or(1, |s| line_of(text, s.start)),
            message: format!(
                "{} (expected `[groups]` with `\"Category / Group\" = \"feature-name\"` lines and `[runtime]` with `operations = [\"METHOD /path\", ...]` and `[runtime.features.NAME]` tables of `doc`, `enables`, `default`)",
                e.message().trim_end()
            ),
        })?;
        let at = |span: std::ops::Range<usize>, message: String| FeatureMapError {
            line: line_of(text, span.start),
            message,
        };
        let mut runtime_features = Vec::new();
        for (name, feature) in raw.runtime.features {
            if !is_feature_name(&name) {
                return Err(at(
                    feature.span(),
                    format!("runtime feature `{name}`: expected a name of lowercase letters, digits and `-`"),
                ));
            }
            let span = feature.span();
            let feature = feature.into_inner();
            if feature.doc.trim().is_empty() || feature.doc.contains('\n') {
                return Err(at(
                    span,
                    format!("runtime feature `{name}`: expected a one-line `doc`"),
                ));
            }
            runtime_features.push(RuntimeFeature {
                name,
                doc: feature.doc,
                enables: feature.enables,
                default: feature.default,
            });
        }
        let mut groups = BTreeMap::new();
        for (key, feature) in raw.groups {
            let line = line_of(text, feature.span().start);
            let feature = feature.into_inner();
            if !is_feature_name(&feature) {
                return Err(FeatureMapError {
                    line,
                    message: format!(
                        "group \"{key}\": expected a feature name of lowercase letters, digits and `-` (not `default`), found \"{feature}\""
                    ),
                });
            }
            if runtime_features.iter().any(|r| r.name == feature) {
                return Err(FeatureMapError {
                    line,
                    message: format!(
                        "group \"{key}\": `{feature}` is a runtime feature; expected another name"
                    ),
                });
            }
            groups.insert(key, (feature, line));
        }
        let mut runtime_operations = Vec::new();
        for op in raw.runtime.operations {
            let line = line_of(text, op.span().start);
            let op = op.into_inner();
            let well_formed = op.split_once(' ').is_some_and(|(method, path)| {
                !method.is_empty()
                    && method.chars().all(|c| c.is_ascii_uppercase())
                    && path.starts_with('/')
            });
            if !well_formed {
                return Err(FeatureMapError {
                    line,
                    message: format!(
                        "runtime operation \"{op}\": expected \"METHOD /path\" as the page writes it (\"GET /setup\")"
                    ),
                });
            }
            runtime_operations.push((op, line));
        }
        Ok(FeatureMap {
            groups,
            runtime_operations,
            runtime_features,
        })
    }
}

/// When an item compiles.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Gate {
    /// Whatever the features.
    Always,
    /// When any of these features is on (never empty).
    Any(BTreeSet<String>),
}

impl Gate {
    /// The `#[cfg(...)]` attribute, `None` for [`Gate::Always`].
    pub fn cfg(&self) -> Option<TokenStream> {
        let Gate::Any(features) = self else {
            return None;
        };
        let predicates: Vec<TokenStream> = features.iter().map(|f| quote!(feature = #f)).collect();
        Some(if predicates.len() == 1 {
            let p = &predicates[0];
            quote!(#[cfg(#p)])
        } else {
            quote!(#[cfg(any(#(#predicates),*))])
        })
    }

    /// The `#[cfg(...)]` attribute as tokens, empty for [`Gate::Always`].
    pub fn attr(&self) -> TokenStream {
        self.cfg().unwrap_or_default()
    }

    /// Whether the item compiles when only `feature` is on (with no other group).
    pub fn enabled_by(&self, feature: &str) -> bool {
        match self {
            Gate::Always => true,
            Gate::Any(features) => features.contains(feature),
        }
    }

    fn add(&mut self, feature: &str) {
        match self {
            Gate::Always => {}
            Gate::Any(features) => {
                features.insert(feature.to_owned());
            }
        }
    }
}

/// A group's feature in the plan.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct GroupFeature {
    /// The groups (`Category / Group`) it compiles; several when the map names a
    /// renamed group's old and new headings.
    pub groups: BTreeSet<String>,
    /// Operations of its groups in this page.
    pub operations: usize,
    /// Of those, the ones gated by it (not called by the runtime).
    pub gated_operations: usize,
    /// Types that compile only with it (or with it among others).
    pub types: usize,
}

/// Which feature compiles each generated item, and the features to declare.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct Plan {
    /// By type name.
    pub types: BTreeMap<String, Gate>,
    /// By operation constant name.
    pub operations: BTreeMap<String, Gate>,
    /// By module (file of `calls/`).
    pub modules: BTreeMap<String, Gate>,
    /// Group features by name.
    pub groups: BTreeMap<String, GroupFeature>,
    /// The runtime's features.
    pub runtime: Vec<RuntimeFeature>,
    /// Groups the map does not list, each with the name its feature was given.
    pub notices: Vec<String>,
}

/// The map's key of an operation's group.
pub fn group_key(category: Option<&str>, group: &str) -> String {
    match category {
        Some(category) => format!("{category} / {group}"),
        None => group.to_owned(),
    }
}

/// The feature name of a group the map does not list: its module's name with `-`.
pub fn derived_name(module: &str) -> String {
    module.replace('_', "-")
}

/// Adds to `out` every generated type `ty` reaches.
fn reach(ir: &Ir, ty: &Ty, out: &mut BTreeSet<String>) {
    match ty {
        Ty::Vec(inner) | Ty::Map(inner) => reach(ir, inner, out),
        Ty::Named(name) => {
            if !out.insert(name.clone()) {
                return;
            }
            if let Some(def) = ir.structs.get(name) {
                for f in &def.fields {
                    reach(ir, &f.ty, out);
                }
            }
            if let Some(def) = ir.unions.get(name) {
                for v in &def.variants {
                    reach(ir, &v.ty, out);
                }
            }
        }
        _ => {}
    }
}

/// Every generated type an operation's methods mention.
fn op_types(ir: &Ir, op: &OpDef) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for p in &op.params {
        reach(ir, &p.ty, &mut out);
    }
    if let Some((ty, _)) = &op.body {
        reach(ir, ty, &mut out);
    }
    if let Answer::Json(ty) = &op.answer {
        reach(ir, ty, &mut out);
    }
    out
}

/// Computes the plan of `ir`. Groups the map does not list and runtime operations
/// the page lacks are notices (none for the runtime operations with
/// `previous_version`: an older page, generated with the newest map).
pub fn plan(ir: &Ir, map: &FeatureMap, previous_version: bool) -> Plan {
    let mut plan = Plan {
        runtime: map.runtime_features.clone(),
        ..Plan::default()
    };
    for (key, (feature, _)) in &map.groups {
        plan.groups
            .entry(feature.clone())
            .or_default()
            .groups
            .insert(key.clone());
    }
    let runtime: BTreeSet<&str> = map
        .runtime_operations
        .iter()
        .map(|(op, _)| op.as_str())
        .collect();
    let mut found = BTreeSet::new();
    let mut always: BTreeSet<String> = BTreeSet::new();
    for event in &ir.events {
        reach(ir, &Ty::Named(event.struct_name.clone()), &mut always);
    }
    let mut by_feature: Vec<(String, BTreeSet<String>)> = Vec::new();
    // Features of the groups on this page that the map names: a derived name must
    // not join one of them.
    let page_keys: BTreeSet<String> = ir
        .operations
        .iter()
        .map(|op| group_key(op.spec.category.as_deref(), &op.spec.group))
        .collect();
    let mut taken: BTreeSet<String> = map
        .groups
        .iter()
        .filter(|(key, _)| page_keys.contains(*key))
        .map(|(_, (feature, _))| feature.clone())
        .collect();
    let mut derived: BTreeMap<String, String> = BTreeMap::new();
    for op in &ir.operations {
        let key = group_key(op.spec.category.as_deref(), &op.spec.group);
        let feature = match (map.groups.get(&key), derived.get(&key)) {
            (Some((feature, _)), _) | (None, Some(feature)) => feature.clone(),
            (None, None) => {
                // The module's name, numbered when a group of the page has it; it
                // joins a listed group that is not on the page (most likely this
                // group under its former heading).
                let base = derived_name(&op.module);
                let mut name = base.clone();
                let mut n = 1;
                while taken.contains(&name) {
                    n += 1;
                    name = format!("{base}-{n}");
                }
                taken.insert(name.clone());
                let joined = plan
                    .groups
                    .get(&name)
                    .map(|g| format!(" (the feature of {:?}, which this page lacks)", g.groups))
                    .unwrap_or_default();
                plan.notices.push(format!(
                    "group \"{key}\" is not in {FEATURES_PATH}: its feature is named `{name}`{joined} after its module; add `\"{key}\" = \"{name}\"` to [groups] to keep that name"
                ));
                derived.insert(key.clone(), name.clone());
                name
            }
        };
        let group = plan.groups.entry(feature.clone()).or_default();
        group.groups.insert(key);
        group.operations += 1;
        let op_key = format!("{} {}", op.spec.method, op.spec.path);
        let types = op_types(ir, op);
        let gate = if runtime.contains(op_key.as_str()) {
            found.insert(op_key);
            always.extend(types);
            Gate::Always
        } else {
            group.gated_operations += 1;
            by_feature.push((feature.clone(), types));
            Gate::Any(BTreeSet::from([feature]))
        };
        plan.operations.insert(op.const_name.clone(), gate.clone());
        match plan.modules.get_mut(&op.module) {
            Some(Gate::Always) => {}
            Some(Gate::Any(features)) => match gate {
                Gate::Always => {
                    plan.modules.insert(op.module.clone(), Gate::Always);
                }
                Gate::Any(more) => features.extend(more),
            },
            None => {
                plan.modules.insert(op.module.clone(), gate);
            }
        }
    }
    // A runtime operation the page lacks: the runtime's code naming it no longer
    // compiles (its constant is gone), which says more than an error here; an older
    // page (`previous_version`) and small test pages lack many.
    if !previous_version {
        for (op, line) in &map.runtime_operations {
            if !found.contains(op) {
                plan.notices.push(format!(
                    "{FEATURES_PATH}:{line}: runtime operation \"{op}\" is not in the page"
                ));
            }
        }
    }
    let names = ir
        .structs
        .keys()
        .chain(ir.enums.keys())
        .chain(ir.unions.keys());
    for name in names {
        let gate = if always.contains(name) {
            Gate::Always
        } else {
            Gate::Any(BTreeSet::new())
        };
        plan.types.insert(name.clone(), gate);
    }
    for (feature, types) in &by_feature {
        for ty in types {
            if let Some(gate) = plan.types.get_mut(ty) {
                gate.add(feature);
            }
        }
    }
    // A type no operation and no event reaches (none today) compiles always.
    for gate in plan.types.values_mut() {
        if *gate == Gate::Any(BTreeSet::new()) {
            *gate = Gate::Always;
        }
    }
    for gate in plan.types.values() {
        if let Gate::Any(features) = gate {
            for f in features {
                if let Some(group) = plan.groups.get_mut(f) {
                    group.types += 1;
                }
            }
        }
    }
    plan
}

impl Plan {
    /// The `[features]` table between the markers, with a final newline: runtime
    /// features first, then the groups' by name; the default set one name a line.
    pub fn cargo_table(&self) -> String {
        let mut default: Vec<&str> = self
            .runtime
            .iter()
            .filter(|r| r.default)
            .map(|r| r.name.as_str())
            .collect();
        default.extend(self.groups.keys().map(String::as_str));
        let mut text = format!("{BEGIN_MARKER}\n[features]\n");
        text.push_str("## Every group, and the runtime features that were always compiled before features: nothing breaks for a dependent that names none.\n");
        text.push_str("default = [\n");
        for name in default {
            text.push_str(&format!("    \"{name}\",\n"));
        }
        text.push_str("]\n");
        for r in &self.runtime {
            let enables: Vec<String> = r.enables.iter().map(|e| format!("\"{e}\"")).collect();
            text.push_str(&format!(
                "## {}\n{} = [{}]\n",
                r.doc,
                r.name,
                enables.join(", ")
            ));
        }
        for (name, group) in &self.groups {
            let groups: Vec<String> = group.groups.iter().map(|g| format!("\"{g}\"")).collect();
            let what = if group.operations == 0 {
                "no operations in this version of the page (kept so that dependents naming it still build)".to_owned()
            } else {
                format!(
                    "{} operation{}",
                    group.operations,
                    if group.operations == 1 { "" } else { "s" }
                )
            };
            text.push_str(&format!(
                "## Group {}: {what}.\n{name} = []\n",
                groups.join(", ")
            ));
        }
        text.push_str(END_MARKER);
        text.push('\n');
        text
    }

    /// One line per group feature: operations and types it gates (for `cargo xtask
    /// codegen`'s output and the measurements).
    pub fn summary(&self) -> String {
        let always = self.types.values().filter(|g| **g == Gate::Always).count();
        let always_ops = self
            .operations
            .values()
            .filter(|g| **g == Gate::Always)
            .count();
        let mut text = format!(
            "features: {} groups, {} runtime; always compiled: {always_ops} operations, {always} types\n",
            self.groups.len(),
            self.runtime.len()
        );
        for (name, g) in &self.groups {
            text.push_str(&format!(
                "  {name}: {} operations ({} gated), {} types\n",
                g.operations, g.gated_operations, g.types
            ));
        }
        text
    }
}

/// `manifest` with its written part replaced by `table` (from [`Plan::cargo_table`]);
/// `None` when the markers are missing or out of order.
pub fn splice(manifest: &str, table: &str) -> Option<String> {
    let begin = manifest.find(BEGIN_MARKER)?;
    let end_start = manifest[begin..].find(END_MARKER)? + begin;
    let mut end = end_start + END_MARKER.len();
    if manifest[end..].starts_with('\n') {
        end += 1;
    }
    Some(format!("{}{table}{}", &manifest[..begin], &manifest[end..]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_checked_in_map_parses() {
        let map = FeatureMap::parse(FEATURES).unwrap();
        assert_eq!(map.groups["End-User / Accounts management"].0, "accounts");
        assert_eq!(
            map.groups["Terms of use / Accounts management"].0,
            "terms-of-use"
        );
    }

    fn error(text: &str) -> FeatureMapError {
        FeatureMap::parse(text).unwrap_err()
    }

    #[test]
    fn malformed_maps_name_the_line_and_what_was_expected() {
        let head = "[groups]\n\"Setup\" = \"setup\"\n";
        let e = error(&format!(
            "{head}\"Zone\" = \"Zone Feature\"\n[runtime]\noperations = []\n"
        ));
        assert_eq!(e.line, 3);
        assert!(e.message.contains("expected a feature name"), "{e}");

        let e = error(&format!("{head}\"Zone\" = 3\n[runtime]\noperations = []\n"));
        assert_eq!(e.line, 3);
        assert!(e.message.contains("expected"), "{e}");

        let e = error(&format!(
            "{head}[runtime]\noperations = [\n  \"GET /a\",\n  \"/setup\",\n]\n"
        ));
        assert_eq!(e.line, 6);
        assert!(e.message.contains("expected \"METHOD /path\""), "{e}");

        let e = error(&format!(
            "{head}[runtime]\noperations = []\n[runtime.features.setup]\ndoc = \"x\"\ndefault = true\n"
        ));
        assert_eq!(e.line, 2);
        assert!(e.message.contains("is a runtime feature"), "{e}");

        let e = error("[groups]\n[runtime]\noperations = []\nsurprise = 1\n");
        assert_eq!(e.line, 4);
        assert!(e.to_string().starts_with("spec/features.toml:4: "), "{e}");
    }

    #[test]
    fn cfg_lists_features_sorted() {
        let gate = Gate::Any(BTreeSet::from(["zone".to_owned(), "setup".to_owned()]));
        assert_eq!(
            gate.attr().to_string(),
            quote!(#[cfg(any(feature = "setup", feature = "zone"))]).to_string()
        );
        assert_eq!(Gate::Always.attr().to_string(), "");
    }

    #[test]
    fn splice_replaces_only_the_written_part() {
        let manifest = format!("[package]\n\n{BEGIN_MARKER}\nold\n{END_MARKER}\n\n[lints]\n");
        let table = format!("{BEGIN_MARKER}\nnew\n{END_MARKER}\n");
        assert_eq!(
            splice(&manifest, &table).unwrap(),
            format!("[package]\n\n{table}\n[lints]\n")
        );
        assert_eq!(splice("[package]\n", &table), None);
    }
}
