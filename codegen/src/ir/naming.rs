//! Naming rules, in one place with their tests: method names from method and path,
//! type names from curated entries, example hints and field lists.

use std::collections::{BTreeMap, BTreeSet};

use super::lower::walk_objects;
use super::*;
use crate::names::{pascal, singular, snake, words};
use crate::spec::{self, Schema, Spec};

impl Builder<'_> {
    pub(super) fn renamed(&self, name: &str) -> String {
        match self.curated.rename.get(name) {
            Some(e) => e.get().clone(),
            None => name.to_owned(),
        }
    }

    /// Records, for every field list, the names curated entries and hints give to
    /// objects with that list elsewhere; lists with one name only are kept.
    pub(super) fn collect_signatures(&mut self, spec: &Spec) {
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

    pub(super) fn shape_name(&self, fields: &[spec::Field]) -> Option<String> {
        // The same field names in any order: examples' key order carries no meaning.
        let mut names: Vec<&str> = fields.iter().map(|f| f.name.as_str()).collect();
        names.sort_unstable();
        self.curated.shape.iter().find_map(|e| {
            let mut wanted: Vec<&str> = e.value.fields.iter().map(String::as_str).collect();
            wanted.sort_unstable();
            (wanted == names).then(|| e.get().name.clone())
        })
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
pub(super) fn signature(fields: &[spec::Field]) -> Vec<String> {
    fields.iter().map(|f| f.name.clone()).collect()
}

/// A field's name for its element type: singular for lists.
pub(super) fn singular_if_list(name: &str, schema: &Schema) -> String {
    match schema {
        Schema::Array { .. } => singular(name),
        _ => name.to_owned(),
    }
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

pub(super) fn field_hint(field: &str, example: &str) -> Option<String> {
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

/// The call type of an operation with options: its method name in upper camel case
/// (`get_setup_devices_by_device_url` → `GetSetupDevicesByDeviceUrl`), so it too
/// depends on the method and path alone.
pub fn call_name(fn_name: &str) -> String {
    pascal(fn_name)
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

    #[test]
    fn call_names_are_method_names_in_camel_case() {
        assert_eq!(
            call_name(&fn_name("GET", "/setup/devices/{deviceURL}")),
            "GetSetupDevicesByDeviceUrl"
        );
        assert_eq!(call_name(&fn_name("POST", "/login")), "PostLogin");
    }
}
