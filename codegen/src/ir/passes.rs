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
                aliases: Vec::new(),
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

/// Structural deduplication (typify's): a struct named from its context only
/// (`{Parent}{Field}`, `{Method}Response`) that has exactly the fields, types and
/// boxing of another struct becomes that struct. The name kept is a curated or
/// hinted one when the group has one (the first in name order), else the shortest
/// context name, a request's last (a type the server sends reads better with a
/// name from where it is read), then the first in name order.
/// The variants of an allowed-types union are named by their key and keep their
/// names (`AndBlock` and `OrBlock` have the same fields, not the same meaning).
/// Repeated until nothing changes, as
/// merging nested types can make their parents identical. Event payload structs
/// are named by their event, so they stay; their nested objects merge with their
/// response twins.
pub(super) fn merge_identical_structs(ir: &mut Ir) {
    let variants: BTreeSet<String> = ir
        .unions
        .values()
        .flat_map(|u| &u.variants)
        .filter_map(|v| match &v.ty {
            Ty::Named(name) => Some(name.clone()),
            _ => None,
        })
        .collect();
    let merged_away = |def: &StructDef| def.from_context && !variants.contains(&def.name);
    loop {
        let mut groups: BTreeMap<Vec<(&str, &Ty, bool)>, Vec<&StructDef>> = BTreeMap::new();
        for def in ir.structs.values() {
            if def.fields.is_empty() {
                continue;
            }
            let key = def
                .fields
                .iter()
                .map(|f| (f.wire.as_str(), &f.ty, f.boxed))
                .collect();
            groups.entry(key).or_default().push(def);
        }
        let mut renames: BTreeMap<String, String> = BTreeMap::new();
        for members in groups.values() {
            if members.len() < 2 || !members.iter().any(|m| merged_away(m)) {
                continue;
            }
            let target = members
                .iter()
                .filter(|m| !merged_away(m))
                .map(|m| m.name.as_str())
                .min()
                .or_else(|| {
                    members
                        .iter()
                        .map(|m| m.name.as_str())
                        .min_by_key(|n| (n.ends_with("Request"), n.len(), *n))
                })
                .expect("two members or more");
            for m in members {
                if merged_away(m) && m.name != target {
                    renames.insert(m.name.clone(), target.to_owned());
                }
            }
        }
        if renames.is_empty() {
            return;
        }
        for (from, to) in &renames {
            let gone = ir.structs.remove(from).expect("a struct");
            let kept = ir.structs.get_mut(to).expect("a struct");
            kept.occurrences += gone.occurrences;
            for (k, g) in kept.fields.iter_mut().zip(gone.fields) {
                if k.doc.is_none() {
                    k.doc = g.doc;
                }
                if k.example.is_none() {
                    k.example = g.example;
                }
            }
        }
        let rename = |ty: &mut Ty| rename_ty(ty, &renames);
        for def in ir.structs.values_mut() {
            def.fields.iter_mut().for_each(|f| rename(&mut f.ty));
        }
        for def in ir.unions.values_mut() {
            def.variants.iter_mut().for_each(|v| rename(&mut v.ty));
        }
        for op in &mut ir.operations {
            op.params.iter_mut().for_each(|p| rename(&mut p.ty));
            if let Some((ty, _)) = &mut op.body {
                rename(ty);
            }
            if let Answer::Json(ty) = &mut op.answer {
                rename(ty);
            }
        }
    }
}

fn rename_ty(ty: &mut Ty, renames: &BTreeMap<String, String>) {
    match ty {
        Ty::Named(name) => {
            if let Some(to) = renames.get(name) {
                *name = to.clone();
            }
        }
        Ty::Vec(inner) | Ty::Map(inner) => rename_ty(inner, renames),
        _ => {}
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn def(name: &str, from_context: bool, fields: &[(&str, Ty)]) -> StructDef {
        StructDef {
            name: name.into(),
            origin: format!("{name} origin"),
            occurrences: 1,
            description: None,
            fields: fields
                .iter()
                .map(|(wire, ty)| FieldDef {
                    wire: (*wire).into(),
                    ty: ty.clone(),
                    boxed: false,
                    doc: None,
                    example: None,
                    aliases: Vec::new(),
                })
                .collect(),
            from_context,
            wire_form: false,
        }
    }

    fn ir(defs: Vec<StructDef>) -> Ir {
        Ir {
            structs: defs.into_iter().map(|d| (d.name.clone(), d)).collect(),
            ..Ir::default()
        }
    }

    #[test]
    fn context_named_twins_merge_into_the_named_one_then_their_parents() {
        let named = |n: &str| Ty::Named(n.into());
        let mut ir = ir(vec![
            // An event's nested object and its response twin.
            def("Device", false, &[("label", Ty::String)]),
            def("DeviceCreatedEventDevice", true, &[("label", Ty::String)]),
            def("GetThingsResponseDevice", true, &[("label", Ty::String)]),
            // Parents that become identical once their children merge.
            def(
                "GetThingsResponse",
                true,
                &[("device", named("GetThingsResponseDevice"))],
            ),
            def("GetOtherResponse", true, &[("device", named("Device"))]),
            def(
                "DeviceCreatedEvent",
                false,
                &[("device", named("DeviceCreatedEventDevice"))],
            ),
            // Same fields, another type: stays.
            def("GetCountResponse", true, &[("label", Ty::I64)]),
        ]);
        merge_identical_structs(&mut ir);
        let names: Vec<&str> = ir.structs.keys().map(String::as_str).collect();
        // The responses became the event's payload type: same fields, same types.
        assert_eq!(names, ["Device", "DeviceCreatedEvent", "GetCountResponse"]);
        assert_eq!(ir.structs["Device"].occurrences, 3);
        assert_eq!(
            ir.structs["DeviceCreatedEvent"].fields[0].ty,
            named("Device")
        );
        assert_eq!(ir.structs["DeviceCreatedEvent"].occurrences, 3);
    }

    #[test]
    fn among_context_names_the_shortest_wins_and_requests_come_last() {
        let mut ir = ir(vec![
            def("PutThingRequest", true, &[("on", Ty::Bool)]),
            def("GetThingStatusResponse", true, &[("on", Ty::Bool)]),
            def("GetSomeOtherThingStatusResponse", true, &[("on", Ty::Bool)]),
        ]);
        merge_identical_structs(&mut ir);
        let names: Vec<&str> = ir.structs.keys().map(String::as_str).collect();
        assert_eq!(names, ["GetThingStatusResponse"]);
    }
}
