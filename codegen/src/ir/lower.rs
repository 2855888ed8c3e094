//! Lowering: the spec's schemas, operations and events to IR types, operations
//! and events (the builder's first pass over the documentation).

use std::collections::{BTreeMap, BTreeSet};

use super::naming::{signature, singular_if_list};
use super::*;
use crate::curated::{CuratedError, WireColumn};
use crate::names::{pascal, snake};
use crate::spec::{self, ParamLocation, Schema, Spec};

impl Builder<'_> {
    pub(super) fn declare_unions(&mut self, spec: &Spec) -> Result<(), IrError> {
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
    pub(super) fn build_unions(&mut self, spec: &Spec) -> Result<(), IrError> {
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

    pub(super) fn declare_enums(&mut self, spec: &Spec) -> Result<(), IrError> {
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
    pub(super) fn curated_enum(
        &self,
        op: &spec::Operation,
        name: &str,
        is_param: bool,
    ) -> Option<String> {
        self.curated.enums.iter().find_map(|entry| {
            let e = &entry.value;
            let listed = if is_param { &e.params } else { &e.fields };
            (op.allowed_values.iter().any(|t| t.title == e.table)
                && listed.iter().any(|p| p == name))
            .then(|| e.name.clone())
        })
    }

    pub(super) fn ty(&mut self, schema: &Schema, ctx: &Ctx) -> Result<Ty, IrError> {
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
    pub(super) fn object(&mut self, fields: &[spec::Field], ctx: &Ctx) -> Result<String, IrError> {
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
            candidates.push((self.renamed(&p), false));
        }
        let context = self.renamed(&ctx.context_name);
        if !candidates.iter().any(|(c, _)| *c == context) {
            candidates.push((context, true));
        }
        let mut last_conflict = String::new();
        for (name, from_context) in candidates {
            let mark = self.journal.len();
            match self.object_named(&name, fields, ctx) {
                Ok(()) => {
                    if !from_context {
                        let def = self.ir.structs.get_mut(&name).expect("named above");
                        def.from_context = false;
                    }
                    return Ok(name);
                }
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

    pub(super) fn object_named(
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
                from_context: true,
                wire_form: false,
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
                    aliases: Vec::new(),
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
                aliases: Vec::new(),
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

    pub(super) fn operation(&mut self, op: &spec::Operation) -> Result<OpDef, IrError> {
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
            call_name: super::naming::call_name(&fn_name),
            module: String::new(),
            fn_name,
            spec: op.clone(),
            params,
            body,
            answer,
            form,
            removed_after: None,
        })
    }

    /// A request body's type, with curated enums on its top-level fields.
    pub(super) fn body_ty(
        &mut self,
        op: &spec::Operation,
        schema: &Schema,
        ctx: &Ctx,
    ) -> Result<Ty, IrError> {
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

    pub(super) fn events(&mut self, spec: &Spec) -> Result<(), IrError> {
        let removed = spec
            .removed_events
            .iter()
            .map(|e| (e, spec.previous_version.clone()));
        let documented = spec.events.iter().map(|e| (e, None));
        for (ev, removed_after) in documented.chain(removed) {
            // The tag is no field of the payload; fields of the previous version that
            // the newest one dropped are (events of that form decode whole).
            let fields: Vec<spec::Field> = ev
                .fields
                .iter()
                .filter(|f| f.name != ev.tag && !ev.tag_aliases.contains(&f.name))
                .chain(&ev.previous_fields)
                .cloned()
                .collect();
            let ctx = Ctx {
                location: format!("event {}", ev.name),
                context_name: ev.name.clone(),
                forced: Some(ev.name.clone()),
            };
            let name = self.object(&fields, &ctx)?;
            let def = self.ir.structs.get_mut(&name).expect("built");
            def.description = ev.description.clone();
            for alias in &ev.aliases {
                let field = def
                    .fields
                    .iter_mut()
                    .find(|f| f.wire == alias.name)
                    .expect("an alias names a field of the event");
                field.aliases = vec![alias.previous.clone()];
            }
            if let Some(version) = &spec.previous_version {
                for old in &ev.previous_fields {
                    if let Some(field) = def.fields.iter_mut().find(|f| f.wire == old.name) {
                        let note = format!(
                            "Sent by servers of version {version} only (the newest documentation drops it)."
                        );
                        field.doc = Some(match field.doc.take() {
                            Some(doc) => format!("{doc}\n\n{note}"),
                            None => note,
                        });
                    }
                }
            }
            def.wire_form = !ev.tag_aliases.is_empty() || !ev.aliases.is_empty();
            self.ir.events.push(EventDef {
                variant: ev.name.strip_suffix("Event").unwrap_or(&ev.name).to_owned(),
                wire: ev.name.clone(),
                struct_name: name,
                description: ev.description.clone(),
                curated: false,
                tag: ev.tag.clone(),
                tag_alias: ev.tag_aliases.first().cloned(),
                removed_after,
            });
        }
        // Curated events are written as seen in real streams (the previous form):
        // they take the documented events' tag, and the curated renames.
        let (tag, tag_alias) = spec
            .events
            .first()
            .map(|e| (e.tag.clone(), e.tag_aliases.first().cloned()))
            .unwrap_or_else(|| ("name".to_owned(), None));
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
                // A curated rename only applies when the spec was compared with a
                // previous version (that is when the documented events have one too).
                let rename = spec.previous_version.as_ref().and_then(|_| {
                    self.curated
                        .alias
                        .iter()
                        .find(|a| a.value.previous == f.name && a.value.applies_to(&ev.name))
                });
                let (wire, aliases) = match rename {
                    Some(entry) => (entry.get().name.clone(), vec![f.name.clone()]),
                    None => (f.name.clone(), Vec::new()),
                };
                fields.push(FieldDef {
                    wire,
                    ty: self.parse_curated_ty(&f.ty)?,
                    boxed: false,
                    doc: Some(f.doc.clone()),
                    example: None,
                    aliases,
                });
            }
            let wire_form = tag_alias.is_some() || fields.iter().any(|f| !f.aliases.is_empty());
            self.ir.structs.insert(
                ev.name.clone(),
                StructDef {
                    name: ev.name.clone(),
                    origin: "spec/curated.toml".into(),
                    occurrences: 1,
                    description: Some(ev.description.clone()),
                    fields,
                    from_context: false,
                    wire_form,
                },
            );
            self.ir.events.push(EventDef {
                variant: ev.name.strip_suffix("Event").unwrap_or(&ev.name).to_owned(),
                wire: ev.name.clone(),
                struct_name: ev.name.clone(),
                description: Some(ev.description.clone()),
                curated: true,
                tag: tag.clone(),
                tag_alias: tag_alias.clone(),
                removed_after: None,
            });
        }
        self.ir.events.sort_by(|a, b| a.wire.cmp(&b.wire));
        Ok(())
    }
}

/// Calls `f` on every object of a schema with its location, as the builder writes
/// locations (`… response[].devices[]`).
pub(super) fn walk_objects(
    schema: &Schema,
    location: &str,
    f: &mut impl FnMut(&[spec::Field], &str),
) {
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

/// Two types of the same field, combined: unknown (`Json`) gives way to the other.
pub(super) fn merge_ty(a: &Ty, b: &Ty) -> Option<Ty> {
    Some(match (a, b) {
        (Ty::Json, other) | (other, Ty::Json) => other.clone(),
        (Ty::Vec(x), Ty::Vec(y)) => Ty::Vec(Box::new(merge_ty(x, y)?)),
        (Ty::Map(x), Ty::Map(y)) => Ty::Map(Box::new(merge_ty(x, y)?)),
        (x, y) if x == y => x.clone(),
        _ => return None,
    })
}
