//! The intermediate representation between the spec and the Rust code: named,
//! deduplicated types, events and operations with their Rust names.
//!
//! Naming rules (each depends only on the thing named, so adding or removing an
//! unrelated operation never renames a type):
//! 1. a curated name for the place (`[[name]]`, e.g. `GET /setup response`);
//! 2. else the name hint of the examples: the page writes string examples as
//!    "a/an/the <class words> <field words>" (`"label" : "a device label"`,
//!    `"oid" : "the device UUID"`), which names the class (`Device`);
//! 3. else a curated name for the exact field list (`[[shape]]`);
//! 4. else a name from the context: `{Parent}{Field}` for a nested object (list
//!    fields singular), `{Operation}Request`/`{Operation}Response` for a body,
//!    the wrapper key for a variant of an allowed-types union.
//!
//! Then `[rename]` applies. Objects that get the same name are the same type: their
//! fields are merged (union). When two of them disagree on a field's type, the later
//! one takes its context name instead.

//!
//! The builder works in passes, one file each:
//! - [`naming`]: the naming rules (method names, type names) and their tests;
//! - `lower`: schemas, operations and events of the spec to IR items;
//! - `passes`: functions over the built IR (curated field types, boxing of
//!   recursion, name checks, module assignment).
//!
//! The data lives in `model` (re-exported here).

mod lower;
mod model;
pub mod naming;
mod passes;

use std::collections::BTreeMap;

pub use model::*;
pub use naming::{fn_name, name_hint};

use crate::curated::{Curated, CuratedError};
use crate::spec::Spec;

/// Where an object was found, to name it from its context.
#[derive(Debug, Clone)]
pub(crate) struct Ctx {
    /// Human-readable location for docs and errors.
    pub(crate) location: String,
    /// Name to use when nothing better applies.
    pub(crate) context_name: String,
    /// A name that wins over everything (event payloads).
    pub(crate) forced: Option<String>,
}

/// Builds the IR of a spec with the curated knowledge: the passes, in order.
pub fn build(spec: &Spec, curated: &Curated) -> Result<Ir, IrError> {
    let mut b = Builder {
        curated,
        ir: Ir::default(),
        union_keys: BTreeMap::new(),
        curated_signatures: BTreeMap::new(),
        hint_signatures: BTreeMap::new(),
        journal: Vec::new(),
    };
    b.collect_signatures(spec);
    b.declare_unions(spec)?;
    b.declare_enums(spec)?;
    b.ir.groups = spec.groups.clone();
    for op in &spec.operations {
        let op = b.operation(op)?;
        b.ir.operations.push(op);
    }
    // Operations the newest page removed stay, deprecated, after the others.
    for op in &spec.removed_operations {
        let mut op = b.operation(op)?;
        op.removed_after = spec.previous_version.clone();
        b.ir.operations.push(op);
    }
    b.build_unions(spec)?;
    b.events(spec)?;
    b.apply_field_curation()?;
    passes::merge_identical_structs(&mut b.ir);
    b.box_direct_recursion();
    b.check_names()?;
    b.assign_modules();
    let unused = curated.unused();
    if !unused.is_empty() {
        return Err(CuratedError(format!(
            "entries that no longer apply:\n  {}",
            unused.join("\n  ")
        ))
        .into());
    }
    Ok(b.ir)
}

/// The state of a build: the IR so far and what naming needs to remember.
pub(crate) struct Builder<'c> {
    curated: &'c Curated,
    ir: Ir,
    /// Wrapper key → union name.
    union_keys: BTreeMap<String, String>,
    /// Field list → the one name that objects with exactly these fields get from a
    /// curated `[[name]]` entry somewhere in the documentation.
    curated_signatures: BTreeMap<Vec<String>, String>,
    /// Field list → the one name that objects with exactly these fields get from a
    /// name hint somewhere in the documentation.
    hint_signatures: BTreeMap<Vec<String>, String>,
    /// Previous state of every struct changed since the oldest open attempt, to
    /// undo an attempt whose name turns out to conflict.
    journal: Vec<(String, Option<StructDef>)>,
}
