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

use std::collections::{BTreeMap, BTreeSet};

use crate::curated::{Curated, CuratedError, WireColumn};
use crate::names::{pascal, singular, snake, words};
use crate::spec::{self, ParamLocation, Schema, Spec};

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

/// Where an object was found, to name it from its context.
#[derive(Debug, Clone)]
struct Ctx {
    /// Human-readable location for docs and errors.
    location: String,
    /// Name to use when nothing better applies.
    context_name: String,
    /// A name that wins over everything (event payloads).
    forced: Option<String>,
}

/// Builds the IR of a spec with the curated knowledge.
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
    for op in &spec.operations {
        let op = b.operation(op)?;
        b.ir.operations.push(op);
    }
    b.build_unions(spec)?;
    b.events(spec)?;
    b.apply_field_curation()?;
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

struct Builder<'c> {
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

impl Builder<'_> {
    // ----- unions and enums ------------------------------------------------------

    fn declare_unions(&mut self, spec: &Spec) -> Result<(), IrError> {
        for op in &spec.operations {
            for list in &op.allowed_types {
                let name = match self.curated.union_names.get(&list.title) {
                    Some(e) => e.get().clone(),
                    None => pascal(&list.title),
                };
                let union = self
                    .ir
                    .unions
                    .entry(name.clone())
                    .or_insert_with(|| UnionDef {
                        name: name.clone(),
                        title: list.title.clone(),
                        variants: Vec::new(),
                    });
                if union.title != list.title {
                    return Err(IrError::Conflict(format!(
                        "allowed-types lists `{}` and `{}` both get the name `{name}`",
                        union.title, list.title
                    )));
                }
                for v in &list.variants {
                    match self.union_keys.get(&v.key) {
                        Some(other) if *other != name => {
                            return Err(IrError::Conflict(format!(
                            "wrapper key `{}` belongs to two allowed-types lists ({other}, {name})",
                            v.key
                        )))
                        }
                        _ => {
                            self.union_keys.insert(v.key.clone(), name.clone());
                        }
                    }
                }
            }
        }
        Ok(())
    }

    /// Builds the variants' types once every union name is known (variants may
    /// contain other unions, or themselves).
    fn build_unions(&mut self, spec: &Spec) -> Result<(), IrError> {
        // Merge each variant's examples over all operations first.
        let mut variants: BTreeMap<String, Vec<(String, Schema, String)>> = BTreeMap::new();
        for op in &spec.operations {
            for list in &op.allowed_types {
                let name = self.union_keys[&list.variants[0].key].clone();
                let entry = variants.entry(name).or_default();
                for v in &list.variants {
                    let location = format!("{} {} allowed type `{}`", op.method, op.path, v.key);
                    match entry.iter_mut().find(|(k, _, _)| *k == v.key) {
                        Some((_, schema, _)) => {
                            *schema = crate::parse::schema::merge(schema, &v.schema)
                                .map_err(|c| IrError::Conflict(format!("{location}: {c}")))?;
                        }
                        None => entry.push((v.key.clone(), v.schema.clone(), location)),
                    }
                }
            }
        }
        for (name, list) in variants {
            let mut out = Vec::new();
            for (key, schema, location) in list {
                let ctx = Ctx {
                    location,
                    context_name: pascal(&key),
                    forced: None,
                };
                let ty = self.ty(&schema, &ctx)?;
                out.push(UnionVariant {
                    ident: pascal(&key),
                    key,
                    ty,
                });
            }
            self.ir.unions.get_mut(&name).expect("declared").variants = out;
        }
        Ok(())
    }

    fn declare_enums(&mut self, spec: &Spec) -> Result<(), IrError> {
        for entry in &self.curated.enums {
            let e = &entry.value;
            let mut found = false;
            for op in &spec.operations {
                for table in op.allowed_values.iter().filter(|t| t.title == e.table) {
                    found = true;
                    let def = self
                        .ir
                        .enums
                        .entry(e.name.clone())
                        .or_insert_with(|| ValueEnumDef {
                            name: e.name.clone(),
                            titles: Vec::new(),
                            variants: Vec::new(),
                        });
                    if !def.titles.contains(&table.title) {
                        def.titles.push(table.title.clone());
                    }
                    for row in &table.values {
                        let wire = match e.wire {
                            WireColumn::Name => row.name.clone(),
                            WireColumn::Code => row.code.clone(),
                        };
                        if def.variants.iter().any(|v| v.wire == wire) {
                            continue;
                        }
                        def.variants.push(ValueVariant {
                            ident: pascal(&row.name),
                            wire,
                            name: row.name.clone(),
                            code: row.code.clone(),
                            meaning: row.meaning.clone(),
                        });
                    }
                }
            }
            if found {
                entry.get();
            }
        }
        for def in self.ir.enums.values() {
            let mut seen = BTreeSet::new();
            for v in &def.variants {
                if v.ident.is_empty() || v.ident == "Unknown" || !seen.insert(&v.ident) {
                    return Err(IrError::Conflict(format!(
                        "enum `{}`: variant name `{}` is empty, reserved or repeated",
                        def.name, v.ident
                    )));
                }
            }
        }
        Ok(())
    }

    /// The enum a curated entry gives to a parameter or top-level body field of `op`.
    fn curated_enum(&self, op: &spec::Operation, name: &str, is_param: bool) -> Option<String> {
        self.curated.enums.iter().find_map(|entry| {
            let e = &entry.value;
            let listed = if is_param { &e.params } else { &e.fields };
            (op.allowed_values.iter().any(|t| t.title == e.table)
                && listed.iter().any(|p| p == name))
            .then(|| e.name.clone())
        })
    }

    // ----- schemas to types --------------------------------------------------------

    fn ty(&mut self, schema: &Schema, ctx: &Ctx) -> Result<Ty, IrError> {
        Ok(match schema {
            Schema::String { .. } => Ty::String,
            Schema::Integer => Ty::I64,
            Schema::Number => Ty::F64,
            Schema::Boolean => Ty::Bool,
            Schema::Unknown => Ty::Json,
            Schema::File => Ty::Upload,
            Schema::Array { items: None } => Ty::Vec(Box::new(Ty::Json)),
            Schema::Array { items: Some(items) } => {
                let item_ctx = Ctx {
                    location: format!("{}[]", ctx.location),
                    context_name: ctx.context_name.clone(),
                    forced: None,
                };
                Ty::Vec(Box::new(self.ty(items, &item_ctx)?))
            }
            Schema::Map { values, .. } => {
                let value_ctx = Ctx {
                    location: format!("{}{{}}", ctx.location),
                    context_name: format!("{}Value", ctx.context_name),
                    forced: None,
                };
                Ty::Map(Box::new(self.ty(values, &value_ctx)?))
            }
            Schema::Object { fields } => {
                if let [only] = fields.as_slice() {
                    if let Some(union) = self.union_keys.get(&only.name) {
                        return Ok(Ty::Named(union.clone()));
                    }
                }
                Ty::Named(self.object(fields, ctx)?)
            }
        })
    }

    /// Names an object, converts its fields and merges it into the struct of that name.
    fn object(&mut self, fields: &[spec::Field], ctx: &Ctx) -> Result<String, IrError> {
        let at = self
            .curated
            .name
            .iter()
            .find(|e| e.value.at == ctx.location)
            .map(|e| e.get().name.clone());
        // Curated knowledge first, then the examples' hints, then the context.
        let sig = signature(fields);
        let preferred = at
            .or_else(|| ctx.forced.clone())
            .or_else(|| self.curated_signatures.get(&sig).cloned())
            .or_else(|| name_hint(fields))
            .or_else(|| self.shape_name(fields))
            .or_else(|| self.hint_signatures.get(&sig).cloned());
        let mut candidates = Vec::new();
        if let Some(p) = preferred {
            candidates.push(self.renamed(&p));
        }
        let context = self.renamed(&ctx.context_name);
        if !candidates.contains(&context) {
            candidates.push(context);
        }
        let mut last_conflict = String::new();
        for name in candidates {
            let mark = self.journal.len();
            match self.object_named(&name, fields, ctx) {
                Ok(()) => return Ok(name),
                Err(conflict) => {
                    while self.journal.len() > mark {
                        let (name, old) = self.journal.pop().expect("above the mark");
                        match old {
                            Some(def) => self.ir.structs.insert(name, def),
                            None => self.ir.structs.remove(&name),
                        };
                    }
                    last_conflict = conflict;
                }
            }
        }
        Err(IrError::Conflict(last_conflict))
    }

    fn object_named(
        &mut self,
        name: &str,
        fields: &[spec::Field],
        ctx: &Ctx,
    ) -> Result<(), String> {
        // Register the struct with its own field order before its fields are
        // converted: a nested object of the same name (a recursive type) merges into
        // it rather than coming first.
        self.journal
            .push((name.to_owned(), self.ir.structs.get(name).cloned()));
        let def = self
            .ir
            .structs
            .entry(name.to_owned())
            .or_insert_with(|| StructDef {
                name: name.to_owned(),
                origin: ctx.location.clone(),
                occurrences: 0,
                description: None,
                fields: Vec::new(),
            });
        def.occurrences += 1;
        for f in fields {
            if !def.fields.iter().any(|d| d.wire == f.name) {
                def.fields.push(FieldDef {
                    wire: f.name.clone(),
                    ty: Ty::Json,
                    boxed: false,
                    doc: None,
                    example: None,
                });
            }
        }
        let mut converted = Vec::new();
        for f in fields {
            let field_ctx = Ctx {
                location: format!("{}.{}", ctx.location, f.name),
                context_name: format!("{name}{}", pascal(&singular_if_list(&f.name, &f.schema))),
                forced: None,
            };
            let ty = self.ty(&f.schema, &field_ctx).map_err(|e| e.to_string())?;
            let example = match &f.schema {
                Schema::String { example } => Some(example.clone()),
                _ => None,
            };
            converted.push(FieldDef {
                wire: f.name.clone(),
                ty,
                boxed: false,
                doc: f.description.clone(),
                example,
            });
        }
        self.journal
            .push((name.to_owned(), self.ir.structs.get(name).cloned()));
        let def = self.ir.structs.get_mut(name).expect("registered above");
        for f in converted {
            let existing = def
                .fields
                .iter_mut()
                .find(|d| d.wire == f.wire)
                .expect("registered above");
            existing.ty = merge_ty(&existing.ty, &f.ty).ok_or_else(|| {
                format!(
                    "`{name}` found with field `{}` of two types ({:?} at {}, {:?} at {})",
                    f.wire, existing.ty, def.origin, f.ty, ctx.location
                )
            })?;
            if existing.doc.is_none() {
                existing.doc = f.doc;
            }
            if existing.example.is_none() {
                existing.example = f.example;
            }
        }
        Ok(())
    }

    fn renamed(&self, name: &str) -> String {
        match self.curated.rename.get(name) {
            Some(e) => e.get().clone(),
            None => name.to_owned(),
        }
    }

    /// Records, for every field list, the names curated entries and hints give to
    /// objects with that list elsewhere; lists with one name only are kept.
    fn collect_signatures(&mut self, spec: &Spec) {
        let mut curated: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
        let mut hinted: BTreeMap<Vec<String>, BTreeSet<String>> = BTreeMap::new();
        let mut record = |fields: &[spec::Field], location: &str| {
            if let Some(e) = self.curated.name.iter().find(|e| e.value.at == location) {
                curated
                    .entry(signature(fields))
                    .or_default()
                    .insert(e.value.name.clone());
            } else if let Some(name) = name_hint(fields) {
                hinted.entry(signature(fields)).or_default().insert(name);
            }
        };
        for op in &spec.operations {
            let key = format!("{} {}", op.method, op.path);
            if let Some(b) = &op.request_body {
                walk_objects(&b.schema, &format!("{key} request"), &mut record);
            }
            if let Some(r) = &op.response {
                walk_objects(&r.schema, &format!("{key} response"), &mut record);
            }
            for list in &op.allowed_types {
                for v in &list.variants {
                    walk_objects(
                        &v.schema,
                        &format!("{key} allowed type `{}`", v.key),
                        &mut record,
                    );
                }
            }
        }
        let unique =
            |map: BTreeMap<Vec<String>, BTreeSet<String>>| -> BTreeMap<Vec<String>, String> {
                map.into_iter()
                    .filter(|(_, names)| names.len() == 1)
                    .filter_map(|(sig, names)| Some((sig, names.into_iter().next()?)))
                    .collect()
            };
        self.curated_signatures = unique(curated);
        self.hint_signatures = unique(hinted);
    }

    fn shape_name(&self, fields: &[spec::Field]) -> Option<String> {
        self.curated.shape.iter().find_map(|e| {
            (e.value.fields.len() == fields.len()
                && e.value.fields.iter().zip(fields).all(|(a, b)| *a == b.name))
            .then(|| e.get().name.clone())
        })
    }

    // ----- operations ----------------------------------------------------------------

    fn operation(&mut self, op: &spec::Operation) -> Result<OpDef, IrError> {
        let fn_name = fn_name(&op.method, &op.path);
        let op_key = format!("{} {}", op.method, op.path);
        let base = pascal(&fn_name);

        let mut params = Vec::new();
        let placeholders: Vec<&str> = op
            .path
            .split('/')
            .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
            .collect();
        let mut ordered: Vec<&spec::Param> = placeholders
            .iter()
            .filter_map(|name| {
                op.params
                    .iter()
                    .find(|p| p.location == ParamLocation::Path && p.name == *name)
            })
            .collect();
        if ordered.len() != placeholders.len() {
            return Err(IrError::Conflict(format!(
                "{op_key}: a path placeholder has no documented parameter"
            )));
        }
        ordered.extend(
            op.params
                .iter()
                .filter(|p| p.location == ParamLocation::Query),
        );
        for p in ordered {
            let ty = match self.curated_enum(op, &p.name, true) {
                Some(name) => Ty::Named(name),
                None => match &p.schema {
                    Schema::Array { items } => Ty::Vec(Box::new(match items.as_deref() {
                        Some(Schema::Integer) => Ty::I64,
                        _ => Ty::String,
                    })),
                    Schema::Integer => Ty::I64,
                    Schema::Number => Ty::F64,
                    Schema::Boolean => Ty::Bool,
                    Schema::File => Ty::Upload,
                    _ => Ty::String,
                },
            };
            params.push(ParamDef {
                wire: p.name.clone(),
                rust: snake(&p.name),
                location: p.location,
                required: p.required,
                ty,
                default: p.default.clone(),
                description: p.description.clone(),
            });
        }
        let mut seen = BTreeSet::new();
        for p in &params {
            if !seen.insert(p.rust.clone()) || p.rust == "body" {
                return Err(IrError::Conflict(format!(
                    "{op_key}: two arguments named `{}`",
                    p.rust
                )));
            }
        }

        let body = match &op.request_body {
            None => None,
            Some(b) => {
                let ctx = Ctx {
                    location: format!("{op_key} request"),
                    context_name: format!("{base}Request"),
                    forced: None,
                };
                let ty = self.body_ty(op, &b.schema, &ctx)?;
                Some((ty, b.required))
            }
        };

        let curated_response = self
            .curated
            .response
            .iter()
            .find(|e| e.value.operation == op_key);
        let answer = if op.content_type != "application/json" {
            Answer::Text
        } else if let Some(e) = curated_response {
            if op.response.is_none() {
                return Err(CuratedError(format!(
                    "[[response]] {op_key} has no documented response"
                ))
                .into());
            }
            Answer::Json(self.parse_curated_ty(&e.get().ty)?)
        } else {
            match &op.response {
                None => Answer::Empty,
                Some(r) => {
                    let ctx = Ctx {
                        location: format!("{op_key} response"),
                        context_name: format!("{base}Response"),
                        forced: None,
                    };
                    Answer::Json(self.ty(&r.schema, &ctx)?)
                }
            }
        };
        let form = self.curated.form.iter().any(|e| {
            let hit =
                e.value == op_key && op.params.iter().any(|p| p.location == ParamLocation::Query);
            if hit {
                e.get();
            }
            hit
        });
        Ok(OpDef {
            const_name: fn_name.to_ascii_uppercase(),
            call_name: crate::names::pascal(&fn_name),
            module: String::new(),
            fn_name,
            spec: op.clone(),
            params,
            body,
            answer,
            form,
        })
    }

    /// A request body's type, with curated enums on its top-level fields.
    fn body_ty(&mut self, op: &spec::Operation, schema: &Schema, ctx: &Ctx) -> Result<Ty, IrError> {
        let ty = self.ty(schema, ctx)?;
        if let Ty::Named(name) = &ty {
            if let Some(def) = self.ir.structs.get(name).cloned() {
                for field in def.fields {
                    if let Some(e) = self.curated_enum(op, &field.wire, false) {
                        let def = self.ir.structs.get_mut(name).expect("exists");
                        let f = def
                            .fields
                            .iter_mut()
                            .find(|f| f.wire == field.wire)
                            .expect("exists");
                        f.ty = Ty::Named(e);
                    }
                }
            }
        }
        Ok(ty)
    }

    // ----- events ----------------------------------------------------------------------

    fn events(&mut self, spec: &Spec) -> Result<(), IrError> {
        for ev in &spec.events {
            let fields: Vec<spec::Field> = ev
                .fields
                .iter()
                .filter(|f| f.name != "name")
                .cloned()
                .collect();
            let ctx = Ctx {
                location: format!("event {}", ev.name),
                context_name: ev.name.clone(),
                forced: Some(ev.name.clone()),
            };
            let name = self.object(&fields, &ctx)?;
            self.ir.structs.get_mut(&name).expect("built").description = ev.description.clone();
            self.ir.events.push(EventDef {
                variant: ev.name.strip_suffix("Event").unwrap_or(&ev.name).to_owned(),
                wire: ev.name.clone(),
                struct_name: name,
                description: ev.description.clone(),
                curated: false,
            });
        }
        for entry in &self.curated.event {
            let ev = entry.get();
            if self.ir.events.iter().any(|e| e.wire == ev.name) {
                return Err(CuratedError(format!(
                    "[[event]] {} is now documented: remove it from the curated file",
                    ev.name
                ))
                .into());
            }
            let mut fields = Vec::new();
            for f in &ev.fields {
                fields.push(FieldDef {
                    wire: f.name.clone(),
                    ty: self.parse_curated_ty(&f.ty)?,
                    boxed: false,
                    doc: Some(f.doc.clone()),
                    example: None,
                });
            }
            self.ir.structs.insert(
                ev.name.clone(),
                StructDef {
                    name: ev.name.clone(),
                    origin: "spec/curated.toml".into(),
                    occurrences: 1,
                    description: Some(ev.description.clone()),
                    fields,
                },
            );
            self.ir.events.push(EventDef {
                variant: ev.name.strip_suffix("Event").unwrap_or(&ev.name).to_owned(),
                wire: ev.name.clone(),
                struct_name: ev.name.clone(),
                description: Some(ev.description.clone()),
                curated: true,
            });
        }
        self.ir.events.sort_by(|a, b| a.wire.cmp(&b.wire));
        Ok(())
    }

    // ----- curated fields ------------------------------------------------------------

    fn apply_field_curation(&mut self) -> Result<(), IrError> {
        for entry in &self.curated.field {
            let f = &entry.value;
            let ty = self.parse_curated_ty(&f.ty)?;
            let Some(def) = self.ir.structs.get_mut(&f.in_type) else {
                continue;
            };
            if def.fields.iter().any(|d| d.wire == f.name) {
                return Err(CuratedError(format!(
                    "[[field]] {}.{} is now documented: remove it from the curated file",
                    f.in_type, f.name
                ))
                .into());
            }
            def.fields.push(FieldDef {
                wire: f.name.clone(),
                ty,
                boxed: false,
                doc: Some(f.doc.clone()),
                example: None,
            });
            entry.get();
        }
        for entry in &self.curated.field_type {
            let f = &entry.value;
            let ty = self.parse_curated_ty(&f.ty)?;
            let Some(def) = self.ir.structs.get_mut(&f.in_type) else {
                continue;
            };
            if let Some(field) = def.fields.iter_mut().find(|d| d.wire == f.name) {
                field.ty = ty;
                entry.get();
            }
        }
        Ok(())
    }

    /// Curated type syntax: `String`, `i64`, `f64`, `bool`, `Json`, `Event`,
    /// `Vec<T>`, `Map<T>` or a generated type name.
    fn parse_curated_ty(&self, text: &str) -> Result<Ty, IrError> {
        let text = text.trim();
        let inner = |prefix: &str| text.strip_prefix(prefix).and_then(|r| r.strip_suffix('>'));
        Ok(match text {
            "String" => Ty::String,
            "i64" => Ty::I64,
            "f64" => Ty::F64,
            "bool" => Ty::Bool,
            "Json" => Ty::Json,
            "Event" => Ty::Event,
            _ => {
                if let Some(t) = inner("Vec<") {
                    Ty::Vec(Box::new(self.parse_curated_ty(t)?))
                } else if let Some(t) = inner("Map<") {
                    Ty::Map(Box::new(self.parse_curated_ty(t)?))
                } else if !text.is_empty() && text.chars().all(|c| c.is_ascii_alphanumeric()) {
                    Ty::Named(text.to_owned())
                } else {
                    return Err(CuratedError(format!("`{text}` is not a type (String, i64, f64, bool, Json, Event, Vec<T>, Map<T> or a type name)")).into());
                }
            }
        })
    }

    // ----- checks ----------------------------------------------------------------------

    /// Boxes fields that hold their own struct directly (not through a list or map).
    fn box_direct_recursion(&mut self) {
        let names: Vec<String> = self.ir.structs.keys().cloned().collect();
        for name in names {
            let reach = |start: &str, ir: &Ir| -> bool {
                let mut stack = vec![start.to_owned()];
                let mut seen = BTreeSet::new();
                while let Some(n) = stack.pop() {
                    if !seen.insert(n.clone()) {
                        continue;
                    }
                    if n == name {
                        return true;
                    }
                    if let Some(def) = ir.structs.get(&n) {
                        for f in &def.fields {
                            if let (Ty::Named(t), false) = (&f.ty, f.boxed) {
                                stack.push(t.clone());
                            }
                        }
                    }
                    if let Some(def) = ir.unions.get(&n) {
                        for v in &def.variants {
                            if let Ty::Named(t) = &v.ty {
                                stack.push(t.clone());
                            }
                        }
                    }
                }
                false
            };
            let fields = self.ir.structs[&name].fields.clone();
            for (i, f) in fields.iter().enumerate() {
                if let Ty::Named(t) = &f.ty {
                    if reach(t, &self.ir) {
                        self.ir.structs.get_mut(&name).expect("exists").fields[i].boxed = true;
                    }
                }
            }
        }
    }

    fn check_names(&mut self) -> Result<(), IrError> {
        for name in self.ir.enums.keys().chain(self.ir.unions.keys()) {
            if self.ir.structs.contains_key(name) {
                return Err(IrError::Conflict(format!(
                    "`{name}` names both a struct and an enum"
                )));
            }
        }
        if self.ir.enums.keys().any(|k| self.ir.unions.contains_key(k)) {
            return Err(IrError::Conflict(
                "an allowed-values enum and an allowed-types union share a name".into(),
            ));
        }
        // Names users know from the crate root; a type of the same name in
        // `types` would only confuse.
        let reserved = ["Event", "Client", "Error", "Upload", "OperationInfo"];
        for name in self
            .ir
            .structs
            .keys()
            .chain(self.ir.enums.keys())
            .chain(self.ir.unions.keys())
        {
            if reserved.contains(&name.as_str()) {
                return Err(IrError::Conflict(format!(
                    "generated type `{name}` would shadow `crate::{name}`"
                )));
            }
        }
        let known = |t: &str, ir: &Ir| {
            ir.structs.contains_key(t) || ir.enums.contains_key(t) || ir.unions.contains_key(t)
        };
        let mut missing = BTreeSet::new();
        let mut visit = |ty: &Ty| {
            let mut t = ty;
            loop {
                match t {
                    Ty::Vec(inner) | Ty::Map(inner) => t = inner,
                    Ty::Named(n) if !known(n, &self.ir) => {
                        missing.insert(n.clone());
                        break;
                    }
                    _ => break,
                }
            }
        };
        for def in self.ir.structs.values() {
            def.fields.iter().for_each(|f| visit(&f.ty));
        }
        for op in &self.ir.operations {
            if let Answer::Json(t) = &op.answer {
                visit(t);
            }
        }
        if !missing.is_empty() {
            return Err(CuratedError(format!("unknown types {missing:?}")).into());
        }
        // Methods: unique names.
        let mut seen = BTreeMap::new();
        for op in &self.ir.operations {
            if let Some(other) = seen.insert(
                op.fn_name.clone(),
                format!("{} {}", op.spec.method, op.spec.path),
            ) {
                return Err(IrError::Conflict(format!(
                    "`{} {}` and `{other}` both give the method name `{}`",
                    op.spec.method, op.spec.path, op.fn_name
                )));
            }
        }
        Ok(())
    }

    /// Puts each operation's method in the file of its group; a group name used in
    /// two categories ("Accounts management") is prefixed with its category.
    fn assign_modules(&mut self) {
        let mut group_names: BTreeMap<String, BTreeSet<Option<String>>> = BTreeMap::new();
        for op in &self.ir.operations {
            group_names
                .entry(snake(&op.spec.group))
                .or_default()
                .insert(op.spec.category.clone());
        }
        for op in &mut self.ir.operations {
            let base = snake(&op.spec.group);
            op.module = if group_names[&base].len() > 1 {
                format!(
                    "{}_{base}",
                    snake(op.spec.category.as_deref().unwrap_or("general"))
                )
            } else {
                base
            };
        }
    }
}

/// The method name of an operation: method, then each path segment in snake case,
/// `{name}` placeholders as `by_name`: `GET /setup/devices/{deviceURL}` →
/// `get_setup_devices_by_device_url`. It depends on the method and path alone.
pub fn fn_name(method: &str, path: &str) -> String {
    let mut parts = vec![method.to_ascii_lowercase()];
    for segment in path.split('/').filter(|s| !s.is_empty()) {
        match segment.strip_prefix('{').and_then(|s| s.strip_suffix('}')) {
            Some(name) => parts.push(format!("by_{}", snake(name))),
            None => {
                let s = snake(segment);
                if !s.is_empty() {
                    parts.push(s);
                }
            }
        }
    }
    parts.join("_")
}

/// The field names of an object, in order.
fn signature(fields: &[spec::Field]) -> Vec<String> {
    fields.iter().map(|f| f.name.clone()).collect()
}

/// Calls `f` on every object of a schema with its location, as the builder writes
/// locations (`… response[].devices[]`).
fn walk_objects(schema: &Schema, location: &str, f: &mut impl FnMut(&[spec::Field], &str)) {
    match schema {
        Schema::Object { fields } => {
            f(fields, location);
            for field in fields {
                walk_objects(&field.schema, &format!("{location}.{}", field.name), f);
            }
        }
        Schema::Array { items: Some(items) } => walk_objects(items, &format!("{location}[]"), f),
        Schema::Map { values, .. } => walk_objects(values, &format!("{location}{{}}"), f),
        _ => {}
    }
}

/// A field's name for its element type: singular for lists.
fn singular_if_list(name: &str, schema: &Schema) -> String {
    match schema {
        Schema::Array { .. } => singular(name),
        _ => name.to_owned(),
    }
}

/// Two types of the same field, combined: unknown (`Json`) gives way to the other.
fn merge_ty(a: &Ty, b: &Ty) -> Option<Ty> {
    Some(match (a, b) {
        (Ty::Json, other) | (other, Ty::Json) => other.clone(),
        (Ty::Vec(x), Ty::Vec(y)) => Ty::Vec(Box::new(merge_ty(x, y)?)),
        (Ty::Map(x), Ty::Map(y)) => Ty::Map(Box::new(merge_ty(x, y)?)),
        (x, y) if x == y => x.clone(),
        _ => return None,
    })
}

/// The class name the examples give an object, if any: the page writes string
/// examples as "a/an/the <class words> <field words>", e.g. `"label" : "a device
/// label"` and `"oid" : "the device UUID"` both say `Device`. The most frequent
/// hint wins; ties go to the longest.
pub fn name_hint(fields: &[spec::Field]) -> Option<String> {
    let mut votes: Vec<(String, usize)> = Vec::new();
    for f in fields {
        let Schema::String { example } = &f.schema else {
            continue;
        };
        let Some(hint) = field_hint(&f.name, example) else {
            continue;
        };
        match votes.iter_mut().find(|(h, _)| *h == hint) {
            Some((_, n)) => *n += 1,
            None => votes.push((hint, 1)),
        }
    }
    // Most votes, then the most specific (longest) name, then the first seen.
    let mut best: Option<(String, usize)> = None;
    for (hint, n) in votes {
        let better = match &best {
            None => true,
            Some((b, bn)) => n > *bn || (n == *bn && hint.len() > b.len()),
        };
        if better {
            best = Some((hint, n));
        }
    }
    best.map(|(h, _)| h)
}

fn field_hint(field: &str, example: &str) -> Option<String> {
    let mut ex: Vec<String> = example
        .split_whitespace()
        .map(|w| w.to_ascii_lowercase())
        .collect();
    if !matches!(ex.first().map(String::as_str), Some("a" | "an" | "the")) {
        return None;
    }
    ex.remove(0);
    let mut fw = words(field);
    if fw == ["oid"] {
        fw = vec!["uuid".to_owned()];
    }
    if ex.len() <= fw.len() || ex[ex.len() - fw.len()..] != fw[..] {
        return None;
    }
    let class = &ex[..ex.len() - fw.len()];
    if class
        .iter()
        .any(|w| !w.chars().all(|c| c.is_ascii_alphanumeric()))
    {
        return None;
    }
    Some(class.iter().map(|w| pascal(w)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn string(name: &str, example: &str) -> spec::Field {
        spec::Field {
            name: name.into(),
            description: None,
            schema: Schema::String {
                example: example.into(),
            },
        }
    }

    #[test]
    fn hints_come_from_examples() {
        assert_eq!(
            field_hint("label", "a device label").as_deref(),
            Some("Device")
        );
        assert_eq!(
            field_hint("oid", "the managed action group UUID").as_deref(),
            Some("ManagedActionGroup")
        );
        assert_eq!(field_hint("placeOID", "a place OID"), None);
        assert_eq!(field_hint("metadata", "some metadata"), None);
        assert_eq!(field_hint("deviceURL", "device URL (<protocol>://…)"), None);
        assert_eq!(
            name_hint(&[
                string("placeOID", "a place OID"),
                string("label", "a zone label"),
                string("oid", "the zone UUID")
            ])
            .as_deref(),
            Some("Zone")
        );
    }

    #[test]
    fn function_names_follow_method_and_path() {
        assert_eq!(
            fn_name("GET", "/setup/devices/{deviceURL}"),
            "get_setup_devices_by_device_url"
        );
        assert_eq!(
            fn_name("POST", "/setup/devices/{deviceURL}/_delete"),
            "post_setup_devices_by_device_url_delete"
        );
        assert_eq!(fn_name("GET", "/setup"), "get_setup");
        assert_eq!(
            fn_name("POST", "/config/{gatewayId}/io/discover/1way"),
            "post_config_by_gateway_id_io_discover_1way"
        );
    }
}
