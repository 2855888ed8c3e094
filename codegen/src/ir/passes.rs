//! Passes over the built IR: curated field types, boxing of recursion, name checks,
//! module assignment.

use std::collections::{BTreeMap, BTreeSet};

use super::*;
use crate::curated::CuratedError;
use crate::names::snake;

impl Builder<'_> {
    pub(super) fn apply_field_curation(&mut self) -> Result<(), IrError> {
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
    pub(super) fn parse_curated_ty(&self, text: &str) -> Result<Ty, IrError> {
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

    /// Boxes fields that hold their own struct directly (not through a list or map).
    pub(super) fn box_direct_recursion(&mut self) {
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

    pub(super) fn check_names(&mut self) -> Result<(), IrError> {
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
    pub(super) fn assign_modules(&mut self) {
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
