//! `spec/curated.toml`: human knowledge the documentation cannot give (better type
//! names, real enums, fields and events the documentation forgets).
//!
//! Every entry must still match something in the documentation: an entry that no
//! longer applies fails the generation, so a doc update cannot silently make one
//! stale (the k8s-openapi "fixups" rule).

use std::cell::Cell;
use std::collections::BTreeMap;

use serde::Deserialize;

/// Path of the curated file relative to the workspace root.
pub const CURATED_PATH: &str = "spec/curated.toml";

/// The curated file, parsed.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Curated {
    /// Renames of derived type names: `ManagedActionGroup = "ActionGroup"`.
    #[serde(default)]
    pub rename: BTreeMap<String, Entry<String>>,
    /// Names for objects whose examples carry no name hint, by exact field list.
    #[serde(default)]
    pub shape: Vec<Entry<Shape>>,
    /// Names of the objects at given places of the documentation.
    #[serde(default)]
    pub name: Vec<Entry<NameAt>>,
    /// Allowed-value tables that become enums, and where they apply.
    #[serde(default, rename = "enum")]
    pub enums: Vec<Entry<EnumEntry>>,
    /// Names of allowed-type unions, by title.
    #[serde(default)]
    pub union_names: BTreeMap<String, Entry<String>>,
    /// Responses with a hand-chosen type.
    #[serde(default)]
    pub response: Vec<Entry<ResponseType>>,
    /// Fields the documentation forgets.
    #[serde(default)]
    pub field: Vec<Entry<ExtraField>>,
    /// Fields whose type is chosen by hand.
    #[serde(default)]
    pub field_type: Vec<Entry<FieldType>>,
    /// Events seen in real streams but absent from the documentation.
    #[serde(default)]
    pub event: Vec<Entry<ExtraEvent>>,
    /// Operations whose request parameters are sent as a form body.
    #[serde(default)]
    pub form: Vec<Entry<String>>,
    /// Operations whose idempotency class is not the one the rule gives.
    #[serde(default)]
    pub idempotency: Vec<Entry<IdempotencyException>>,
    /// Operations the documentation lacks, as a page in its text layout.
    #[serde(default)]
    pub operations: Option<Entry<String>>,
    /// Event fields the newest version renamed, which the comparison of the
    /// versions cannot pair by itself (`timestamp` → `eventTime`).
    #[serde(default)]
    pub alias: Vec<Entry<AliasEntry>>,
    /// Whether the entries are applied to a previous version of the page (see
    /// [`Curated::for_previous_version`]).
    #[serde(skip)]
    previous_version: bool,
}

/// A curated entry and whether the generator used it.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct Entry<T> {
    /// The entry.
    pub value: T,
    #[serde(skip)]
    used: Cell<bool>,
}

impl<T> Entry<T> {
    /// The entry, marked as used.
    pub fn get(&self) -> &T {
        self.used.set(true);
        &self.value
    }

    /// Whether the generator used the entry.
    pub fn is_used(&self) -> bool {
        self.used.get()
    }
}

/// `[[shape]]`: a name for hint-less objects with exactly these fields.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Shape {
    /// Wire field names, in any order.
    pub fields: Vec<String>,
    /// Type name.
    pub name: String,
}

/// `[[name]]`: the name of the object found at a place of the documentation.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NameAt {
    /// The place, as the generator writes it in docs and errors:
    /// `GET /setup response`, `GET /actionGroups response[]`,
    /// `POST /exec/apply request body.actions[]`.
    pub at: String,
    /// Type name.
    pub name: String,
}

/// Which column of an allowed-values table goes on the wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WireColumn {
    /// The `Name` column.
    Name,
    /// The `Code` column.
    Code,
}

/// `[[enum]]`: an allowed-values table as an enum.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EnumEntry {
    /// Title of the table.
    pub table: String,
    /// Rust name of the enum.
    pub name: String,
    /// Column that is the wire value.
    pub wire: WireColumn,
    /// Parameters of the operations listing the table that take the enum.
    #[serde(default)]
    pub params: Vec<String>,
    /// Top-level request-body fields of those operations that take the enum.
    #[serde(default)]
    pub fields: Vec<String>,
}

/// `[[response]]`: a response type chosen by hand.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ResponseType {
    /// `METHOD /path`.
    pub operation: String,
    /// The type, in the curated type syntax (`Vec<Event>`, `Execution`).
    #[serde(rename = "type")]
    pub ty: String,
    /// Why the documentation's shape is not used.
    pub why: String,
}

/// `[[field]]`: a field the documentation forgets.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraField {
    /// Generated type that gets the field.
    #[serde(rename = "in")]
    pub in_type: String,
    /// Wire name.
    pub name: String,
    /// Type, in the curated type syntax.
    #[serde(rename = "type")]
    pub ty: String,
    /// Documentation of the field.
    pub doc: String,
}

/// `[[field_type]]`: a documented field whose type is chosen by hand.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FieldType {
    /// Generated type holding the field.
    #[serde(rename = "in")]
    pub in_type: String,
    /// Wire name.
    pub name: String,
    /// Type, in the curated type syntax.
    #[serde(rename = "type")]
    pub ty: String,
    /// Why.
    pub why: String,
}

/// `[[event]]`: an event the documentation does not list.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExtraEvent {
    /// Wire name.
    pub name: String,
    /// Description.
    pub description: String,
    /// Fields (besides `name`).
    pub fields: Vec<EventField>,
}

/// A field of a curated event.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct EventField {
    /// Wire name.
    pub name: String,
    /// Type, in the curated type syntax.
    #[serde(rename = "type")]
    pub ty: String,
    /// Description.
    pub doc: String,
}

/// `[[alias]]`: an event field renamed on the wire by the newest version.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AliasEntry {
    /// Wire name in the previous version.
    pub previous: String,
    /// Wire name in the newest version.
    pub name: String,
    /// The events it applies to, `["*"]` for every event (documented and curated)
    /// that has the field.
    pub events: Vec<String>,
    /// Why the two names are the same field.
    pub reason: String,
}

impl AliasEntry {
    /// Whether the entry applies to the event `name`.
    pub fn applies_to(&self, event: &str) -> bool {
        self.events.iter().any(|e| e == "*" || e == event)
    }
}

/// `[[idempotency]]`: an operation the idempotency rule classifies wrongly.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IdempotencyException {
    /// `METHOD /path`.
    pub operation: String,
    /// The class.
    pub class: crate::spec::Idempotency,
    /// Why the rule is wrong for it.
    pub why: String,
}

/// A problem with the curated file.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{CURATED_PATH}: {0}")]
pub struct CuratedError(pub String);

impl Curated {
    /// Parses the curated file.
    pub fn parse(text: &str) -> Result<Curated, CuratedError> {
        toml::from_str(text).map_err(|e| CuratedError(e.to_string().trim_end().to_owned()))
    }

    /// The same knowledge, applied to a previous version of the page (the version
    /// history under `spec/versions/`): the file is written for the newest page, so an
    /// entry that matches nothing in an older one is no error there ([`Curated::unused`]
    /// is empty, and idempotency entries may name absent operations). Entries that
    /// contradict the older page still fail.
    pub fn for_previous_version(mut self) -> Curated {
        self.previous_version = true;
        self
    }

    /// Whether the entries are applied to a previous version of the page.
    pub fn is_for_previous_version(&self) -> bool {
        self.previous_version
    }

    /// Every entry the generator did not use, described (none for a previous
    /// version of the page).
    pub fn unused(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.previous_version {
            return out;
        }
        for (from, to) in &self.rename {
            if !to.is_used() {
                out.push(format!(
                    "[rename] {from} = {:?} renames no generated type",
                    to.value
                ));
            }
        }
        for e in &self.shape {
            if !e.is_used() {
                out.push(format!(
                    "[[shape]] fields = {:?} matches no object",
                    e.value.fields
                ));
            }
        }
        for e in &self.name {
            if !e.is_used() {
                out.push(format!("[[name]] at = {:?} matches no object", e.value.at));
            }
        }
        for e in &self.enums {
            if !e.is_used() {
                out.push(format!(
                    "[[enum]] table = {:?} matches no allowed-values table",
                    e.value.table
                ));
            }
        }
        for (title, e) in &self.union_names {
            if !e.is_used() {
                out.push(format!(
                    "[union_names] {title:?} matches no allowed-types list"
                ));
            }
        }
        for e in &self.response {
            if !e.is_used() {
                out.push(format!(
                    "[[response]] operation = {:?} matches no operation with a response",
                    e.value.operation
                ));
            }
        }
        for e in &self.field {
            if !e.is_used() {
                out.push(format!(
                    "[[field]] {}.{} matches no generated type",
                    e.value.in_type, e.value.name
                ));
            }
        }
        for e in &self.field_type {
            if !e.is_used() {
                out.push(format!(
                    "[[field_type]] {}.{} matches no documented field",
                    e.value.in_type, e.value.name
                ));
            }
        }
        for e in &self.form {
            if !e.is_used() {
                out.push(format!(
                    "[[form]] {:?} matches no operation with request parameters",
                    e.value
                ));
            }
        }
        for e in &self.idempotency {
            if !e.is_used() {
                out.push(format!(
                    "[[idempotency]] operation = {:?} matches no operation",
                    e.value.operation
                ));
            }
        }
        for e in &self.alias {
            if !e.is_used() {
                out.push(format!(
                    "[[alias]] {} -> {} matches no field the newest version renamed",
                    e.value.previous, e.value.name
                ));
            }
        }
        out
    }
}
