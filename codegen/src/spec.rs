//! The normalized spec: what `cargo xtask codegen` writes to `spec/overkiz.json`
//! and what the generator reads.
//!
//! Everything here is plain data in a stable order (document order for groups,
//! operations and parameters; sorted where the page's order means nothing: events,
//! fields, allowed values and types, tags; see `spec/README.md`) so that the JSON
//! form is deterministic and a small change in the documentation gives a small
//! diff.

use serde::{Deserialize, Serialize};

/// The whole End-User API as described by one version of the documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Spec {
    /// Title of the documentation page.
    pub title: String,
    /// Groups of operations, in document order.
    pub groups: Vec<Group>,
    /// Every operation, in document order.
    pub operations: Vec<Operation>,
    /// Every event type named by an operation, merged over all its occurrences and
    /// sorted by name.
    pub events: Vec<EventType>,
    /// The previous version of the documentation this spec was compared with
    /// (`2026-03`), when there is one: the aliases of the events and the removed
    /// events and operations below come from that comparison (`crate::compat`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_version: Option<String>,
    /// Events of the previous version that this one no longer lists, kept (and
    /// deprecated) for servers of the previous version; sorted by name.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_events: Vec<EventType>,
    /// Operations of the previous version that this one no longer lists, kept (and
    /// deprecated) for servers of the previous version; in the previous page's order.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub removed_operations: Vec<Operation>,
}

/// A group of operations ("Action Groups", "Z-Wave protocol", ...).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Group {
    /// The category the group belongs to ("Configuration", "End-User", ...); `None`
    /// for the groups that come before the first category heading.
    pub category: Option<String>,
    /// Name of the group.
    pub name: String,
    /// Description of the group (may span several lines), if any.
    pub description: Option<String>,
    /// Private tags of the group (`Private tags : [ zwave-config ]`), sorted.
    pub private_tags: Vec<String>,
}

/// Whether a line of a description is a `Private tags : [ … ]` line (of an
/// operation whose group does not carry the tags), which is no summary.
pub fn is_private_tags_line(line: &str) -> bool {
    line.trim_start().starts_with("Private tags :")
}

/// One operation: a method on a path.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Operation {
    /// HTTP method (`GET`, `POST`, `PUT`, `DELETE`, ...).
    pub method: String,
    /// Path template relative to the API base, e.g. `/setup/devices/{deviceURL}`.
    pub path: String,
    /// Short resource title from the operation heading ("Action group").
    pub title: String,
    /// First line of the description (empty when the page gives no description).
    pub summary: String,
    /// Full description, lines joined with `\n` (empty when the page gives none).
    pub description: String,
    /// Name of the group the operation belongs to.
    pub group: String,
    /// Category of that group.
    pub category: Option<String>,
    /// Version since which the operation is deprecated, if it is.
    pub deprecated_since: Option<String>,
    /// Access scope ("Public"), `None` when the page does not give one.
    pub access_scope: Option<String>,
    /// Documented rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// Content type of the answer (`application/json`, `text/csv`, `text/html`).
    pub content_type: String,
    /// Path and query parameters in document order.
    pub params: Vec<Param>,
    /// Request body, if the operation takes one.
    pub request_body: Option<RequestBody>,
    /// Response body, if the operation returns one.
    pub response: Option<ResponseBody>,
    /// The documented success status, `None` when the page has no status table.
    pub status: Option<Status>,
    /// Names of the events the call generates, sorted by name, each once.
    pub events: Vec<String>,
    /// "See Allowed Values" tables, sorted by title.
    pub allowed_values: Vec<AllowedValues>,
    /// "See Allowed Types" blocks, sorted by title.
    pub allowed_types: Vec<AllowedTypes>,
    /// Whether the client may send the call again after a failure: set by
    /// [`crate::idempotency::apply`] (a rule on the documentation plus curated
    /// exceptions), `None` straight out of the parser.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub idempotency: Option<Idempotency>,
}

/// What sending an operation twice does, which decides whether the client may resend
/// it after a failure (see `spec/README.md`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Idempotency {
    /// Reads only: sending it again changes nothing.
    SafeRead,
    /// Sets something to a given value: a second identical call leaves the same result.
    IdempotentWrite,
    /// Does something (launches commands, updates a firmware, creates an object): a
    /// second call may do it twice.
    Acts,
}

/// A documented rate limit (`Per-session rate-limit : 1 calls per 1d period ...`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateLimit {
    /// Number of calls allowed per period.
    pub calls: u32,
    /// The period as written in the documentation ("1d", "28min 48s").
    pub period: String,
    /// The period in seconds.
    pub period_seconds: u64,
    /// Whether the limit counts calls of this operation alone or of its whole category.
    pub scope: RateLimitScope,
    /// Name of the rate-limit category ("bulk-load", "exec", ...).
    pub category: String,
}

/// What a rate limit counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RateLimitScope {
    /// Calls of this particular operation.
    Operation,
    /// Calls of all operations of the same rate-limit category.
    Category,
}

/// Where a parameter goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ParamLocation {
    /// A `{name}` segment of the path ("Path Variable").
    Path,
    /// A request parameter ("Request Parameter").
    Query,
}

/// A path or query parameter.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Param {
    /// Wire name.
    pub name: String,
    /// Path or query.
    #[serde(rename = "in")]
    pub location: ParamLocation,
    /// Whether the parameter must be given.
    pub required: bool,
    /// The example value as written in the documentation.
    pub example: String,
    /// Type of the value, inferred from the example.
    pub schema: Schema,
    /// Default value when the parameter is omitted, if documented.
    pub default: Option<String>,
    /// Description, if any.
    pub description: Option<String>,
}

/// A request body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RequestBody {
    /// Whether the body must be sent.
    pub required: bool,
    /// Shape of the body, inferred from the example.
    pub schema: Schema,
    /// Description, if any.
    pub description: Option<String>,
}

/// A response body.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ResponseBody {
    /// Shape of the body, inferred from the example.
    pub schema: Schema,
    /// Description, if any.
    pub description: Option<String>,
}

/// The documented success status of an operation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Status {
    /// HTTP status code.
    pub code: u16,
    /// Its name as the documentation writes it ("OK", "NO_CONTENT").
    pub message: String,
    /// Its meaning.
    pub meaning: String,
}

/// An event type, merged over every operation that generates it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EventType {
    /// Wire name: the value of the tag field of the event.
    pub name: String,
    /// The wire field that names the event on the page: `"name"` (up to the March 2026
    /// page) or `"type"` (from August 2026). It is not listed in `fields`.
    #[serde(default = "default_event_tag")]
    pub tag: String,
    /// Description, if any occurrence gives one.
    pub description: Option<String>,
    /// Fields: the union of the JSON examples' keys and the documented field rows,
    /// sorted by name.
    pub fields: Vec<Field>,
    /// The tag fields of the previous version when it named the event otherwise
    /// (`["name"]`): set by `crate::compat`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub tag_aliases: Vec<String>,
    /// Fields the newest version renamed, with their previous wire name, sorted by
    /// name: set by `crate::compat`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub aliases: Vec<Alias>,
    /// Fields of the previous version that this one no longer lists (and did not
    /// rename), kept so that events of the previous form decode whole; sorted by
    /// name. Set by `crate::compat`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub previous_fields: Vec<Field>,
}

/// A field renamed on the wire: both names decode to the same field, which keeps
/// its previous Rust name.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Alias {
    /// Wire name in this version (`eventTime`).
    pub name: String,
    /// Wire name in the previous version (`timestamp`).
    pub previous: String,
    /// Why the two are the same field: the curated entry's reason, or `null` when
    /// the comparison found it (a removed `x` and an added `<prefix>X` of the same
    /// type, e.g. `type` → `placeType`).
    pub reason: Option<String>,
}

/// The tag field of specs written before the tag was recorded.
fn default_event_tag() -> String {
    "name".to_owned()
}

/// A named field of an object or an event.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Field {
    /// Wire name.
    pub name: String,
    /// Description, when the documentation lists the field (`null` otherwise).
    #[serde(default)]
    pub description: Option<String>,
    /// Type of the field.
    #[serde(flatten)]
    pub schema: Schema,
}

/// A type inferred from a JSON example of the documentation.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum Schema {
    /// A string; `example` is the documentation's example text.
    String {
        /// Example value (these are stable texts such as "a device label").
        example: String,
    },
    /// A whole number (i64).
    Integer,
    /// A decimal number (f64).
    Number,
    /// `true` or `false`.
    Boolean,
    /// A list; `items` is `None` when the example list is empty.
    Array {
        /// Type of the elements, if the example shows one.
        items: Option<Box<Schema>>,
    },
    /// An object with named fields.
    Object {
        /// Fields sorted by name (the order of an example's keys means nothing).
        fields: Vec<Field>,
    },
    /// An object used as a map: its example keys are not field names
    /// (`"some extra attributes"`, `"120123456790"`).
    Map {
        /// An example key (the smallest one of the example).
        key_example: String,
        /// Type of the values.
        values: Box<Schema>,
    },
    /// An uploaded file sent as a multipart body.
    File,
    /// A value whose type the example does not show (`null`).
    Unknown,
}

impl Schema {
    /// Short name of the kind of type ("string", "object", ...).
    pub fn kind(&self) -> &'static str {
        match self {
            Schema::String { .. } => "string",
            Schema::Integer => "integer",
            Schema::Number => "number",
            Schema::Boolean => "boolean",
            Schema::Array { .. } => "array",
            Schema::Object { .. } => "object",
            Schema::Map { .. } => "map",
            Schema::File => "file",
            Schema::Unknown => "unknown",
        }
    }
}

/// A "See Allowed Values" block: one or more titled tables.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedValues {
    /// Title of the table ("IO Energy Type").
    pub title: String,
    /// Rows sorted by name, then code.
    pub values: Vec<AllowedValue>,
}

/// One row of an allowed-values table.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AllowedValue {
    /// Symbolic name ("ELECTRICITY").
    pub name: String,
    /// Wire code ("1").
    pub code: String,
    /// Meaning ("Electricity").
    pub meaning: String,
}

/// A titled "See Allowed Types" list: the variants of a polymorphic type, each an
/// object wrapped in a single key such as `andBlock`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct AllowedTypes {
    /// Title ("If-Then Setup Trigger Condition Block").
    pub title: String,
    /// Variants sorted by key.
    pub variants: Vec<TypeVariant>,
}

/// One variant of an allowed-types list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TypeVariant {
    /// The wrapper key (`andBlock`).
    pub key: String,
    /// Shape of the wrapped value.
    pub schema: Schema,
}
