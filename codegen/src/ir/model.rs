//! The IR's data: types, operations, events.

use std::collections::BTreeMap;

use crate::curated::CuratedError;
use crate::spec::{self, ParamLocation};

/// A Rust type of a field, parameter or answer.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub enum Ty {
    /// `String`
    String,
    /// `i64`
    I64,
    /// `f64`
    F64,
    /// `bool`
    Bool,
    /// `serde_json::Value`: any JSON.
    Json,
    /// `Vec<T>`
    Vec(Box<Ty>),
    /// `BTreeMap<String, T>`
    Map(Box<Ty>),
    /// A generated type of `crate::types`.
    Named(String),
    /// `crate::Event`
    Event,
    /// `crate::Upload` (multipart file).
    Upload,
}

/// A generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct StructDef {
    /// Rust name.
    pub name: String,
    /// Where the shape was first found (`GET /setup` response `devices[]`).
    pub origin: String,
    /// Number of places in the documentation with this shape.
    pub occurrences: usize,
    /// Description (events have one).
    pub description: Option<String>,
    /// Fields in first-seen order.
    pub fields: Vec<FieldDef>,
    /// Named from its context only (`{Parent}{Field}`, `{Method}Response`): no
    /// curated entry, example hint or event gave the name. Such a struct gives way to
    /// a structurally identical one (`passes::merge_identical_structs`).
    pub from_context: bool,
    /// Whether values remember the wire form they were received in (renamed fields
    /// or a renamed event tag): a `wire_form` field.
    pub wire_form: bool,
}

/// A field of a generated struct.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldDef {
    /// Wire name.
    pub wire: String,
    /// Type (always optional in Rust).
    pub ty: Ty,
    /// Boxed to break a direct recursion.
    pub boxed: bool,
    /// Description, when the documentation gives one.
    pub doc: Option<String>,
    /// Example text of a string field.
    pub example: Option<String>,
    /// Wire names of the previous version, when the newest renamed the field; the
    /// Rust name is the first one's.
    pub aliases: Vec<String>,
}

/// An enum made from an allowed-values table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueEnumDef {
    /// Rust name.
    pub name: String,
    /// Title of the table(s).
    pub titles: Vec<String>,
    /// Values.
    pub variants: Vec<ValueVariant>,
}

/// One value of a [`ValueEnumDef`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValueVariant {
    /// Rust variant name.
    pub ident: String,
    /// Value on the wire.
    pub wire: String,
    /// Name column of the table.
    pub name: String,
    /// Code column.
    pub code: String,
    /// Meaning column.
    pub meaning: String,
}

/// An enum made from an allowed-types list: objects wrapped in a single key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionDef {
    /// Rust name.
    pub name: String,
    /// Title of the list.
    pub title: String,
    /// Variants in first-seen order.
    pub variants: Vec<UnionVariant>,
}

/// One variant of a [`UnionDef`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UnionVariant {
    /// Rust variant name.
    pub ident: String,
    /// Wrapper key on the wire (`andBlock`).
    pub key: String,
    /// Type of the wrapped value.
    pub ty: Ty,
}

/// An event type.
#[derive(Debug, Clone, PartialEq)]
pub struct EventDef {
    /// Wire name (`DeviceStateChangedEvent`).
    pub wire: String,
    /// Variant name of `Event` (`DeviceStateChanged`).
    pub variant: String,
    /// Name of the payload struct in `crate::types` (the wire name).
    pub struct_name: String,
    /// Description.
    pub description: Option<String>,
    /// Whether the event comes from the curated file rather than the documentation.
    pub curated: bool,
    /// The wire field that names the event (`type`).
    pub tag: String,
    /// The field that named it in the previous version (`name`), if another.
    pub tag_alias: Option<String>,
    /// The version after which the documentation no longer lists the event (kept,
    /// deprecated, for servers of that version).
    pub removed_after: Option<String>,
}

/// A parameter of a generated endpoint function.
#[derive(Debug, Clone, PartialEq)]
pub struct ParamDef {
    /// Wire name.
    pub wire: String,
    /// Rust argument name (snake case, not yet escaped).
    pub rust: String,
    /// Path or query.
    pub location: ParamLocation,
    /// Required or `Option`.
    pub required: bool,
    /// Type.
    pub ty: Ty,
    /// Default value, if documented.
    pub default: Option<String>,
    /// Description.
    pub description: Option<String>,
}

/// What an endpoint function returns.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Answer {
    /// Decoded JSON.
    Json(Ty),
    /// Nothing (`()`).
    Empty,
    /// Text (`String`).
    Text,
}

/// An operation with everything the emitter needs.
#[derive(Debug, Clone, PartialEq)]
pub struct OpDef {
    /// The spec's operation.
    pub spec: spec::Operation,
    /// Rust method name (`get_setup_devices_by_device_url`).
    pub fn_name: String,
    /// Name of its `OperationInfo` constant (`GET_SETUP_DEVICES_BY_DEVICE_URL`).
    pub const_name: String,
    /// Name of its call type, used when it has options or a form
    /// (`GetSetupDevicesByDeviceUrl`; the form is `{call_name}Form`).
    pub call_name: String,
    /// Module (file) of the endpoint function.
    pub module: String,
    /// Parameters in argument order (path in path order, then query).
    pub params: Vec<ParamDef>,
    /// Request body type and whether it is required.
    pub body: Option<(Ty, bool)>,
    /// Answer.
    pub answer: Answer,
    /// Request parameters go in a form body instead of the query string.
    pub form: bool,
    /// The version after which the documentation no longer lists the operation
    /// (kept, deprecated, for servers of that version).
    pub removed_after: Option<String>,
}

/// Everything to generate.
#[derive(Debug, Clone, Default)]
pub struct Ir {
    /// Structs by name.
    pub structs: BTreeMap<String, StructDef>,
    /// Value enums by name.
    pub enums: BTreeMap<String, ValueEnumDef>,
    /// Unions by name.
    pub unions: BTreeMap<String, UnionDef>,
    /// Events sorted by wire name.
    pub events: Vec<EventDef>,
    /// Operations in document order.
    pub operations: Vec<OpDef>,
    /// The documentation's groups of operations, in document order.
    pub groups: Vec<spec::Group>,
}

/// A failure to build the IR: a curated entry that does not fit, or a naming clash.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IrError {
    /// A curated entry is wrong or stale.
    #[error(transparent)]
    Curated(#[from] CuratedError),
    /// The documentation leads to something that cannot be generated.
    #[error("cannot generate: {0}")]
    Conflict(String),
}
