//! The conversion between the two wire forms of events (2026-03: tagged `name`,
//! 2026-08: tagged `type`, fields renamed), written from the spec's data
//! (`spec/overkiz.json`: each event's tag, previous tag and aliases) and the curated
//! renames of the undocumented events (`spec/curated.toml`), independently of the
//! generated decoders. Shared by the wire-form tests (`tests/offline/wire_forms.rs`)
//! and the decode benchmark and profiler, which decode the real stream in both forms.

// Each includer uses a part of it.
#![allow(dead_code)]

use std::collections::BTreeMap;

use serde_json::{Map, Value};

/// A file of the workspace, by its path from the workspace root.
pub fn read(relative: &str) -> String {
    std::fs::read_to_string(format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR")))
        .unwrap_or_else(|e| panic!("{relative}: {e}"))
}

/// How one event is written in each form.
#[derive(Debug, Default)]
pub struct Form {
    pub tag: String,
    pub previous_tag: String,
    /// (newest wire name, previous wire name)
    pub aliases: Vec<(String, String)>,
    /// Fields only the previous form has (the newest form cannot carry them).
    pub previous_only: Vec<String>,
}

pub struct Forms {
    pub events: BTreeMap<String, Form>,
    /// The events the newest page removed: of the previous form only.
    pub removed: Vec<String>,
}

pub fn forms() -> Forms {
    let spec: Value = serde_json::from_str(&read("spec/overkiz.json")).unwrap();
    assert_eq!(
        spec["previous_version"], "2026-03",
        "the spec was compared with the previous version"
    );
    let mut events = BTreeMap::new();
    for e in spec["events"].as_array().unwrap() {
        let names = |key: &str| -> Vec<String> {
            e[key]
                .as_array()
                .into_iter()
                .flatten()
                .map(|f| f["name"].as_str().unwrap().to_owned())
                .collect()
        };
        let form = Form {
            tag: e["tag"].as_str().unwrap().to_owned(),
            previous_tag: e["tag_aliases"][0].as_str().unwrap().to_owned(),
            aliases: e["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|a| {
                    (
                        a["name"].as_str().unwrap().to_owned(),
                        a["previous"].as_str().unwrap().to_owned(),
                    )
                })
                .collect(),
            previous_only: names("previous_fields"),
        };
        events.insert(e["name"].as_str().unwrap().to_owned(), form);
    }
    let removed = spec["removed_events"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["name"].as_str().unwrap().to_owned())
        .collect();
    // The curated events: the documented events' tags, and the curated renames.
    let curated = overkiz_codegen::curated::Curated::parse(&read("spec/curated.toml")).unwrap();
    for event in &curated.event {
        let name = &event.value.name;
        let aliases = curated
            .alias
            .iter()
            .filter(|a| a.value.applies_to(name))
            .filter(|a| {
                event
                    .value
                    .fields
                    .iter()
                    .any(|f| f.name == a.value.previous)
            })
            .map(|a| (a.value.name.clone(), a.value.previous.clone()))
            .collect();
        let form = Form {
            tag: "type".into(),
            previous_tag: "name".into(),
            aliases,
            previous_only: Vec::new(),
        };
        events.insert(name.clone(), form);
    }
    Forms { events, removed }
}

fn rename(object: &mut Map<String, Value>, from: &str, to: &str) {
    if let Some(value) = object.remove(from) {
        assert!(object.insert(to.to_owned(), value).is_none(), "{to} twice");
    }
}

impl Forms {
    pub fn form<'v>(&self, event: &'v Value) -> (&'v str, &Form) {
        let name = event
            .get("name")
            .or_else(|| event.get("type"))
            .and_then(Value::as_str)
            .expect("a tagged event");
        let form = self
            .events
            .get(name)
            .unwrap_or_else(|| panic!("{name}: no such event"));
        (name, form)
    }

    /// The previous form of a newest-form event.
    pub fn to_previous(&self, event: &Value) -> Value {
        let (name, form) = self.form(event);
        let mut object = event.as_object().unwrap().clone();
        object.remove(&form.tag);
        for (newest, previous) in &form.aliases {
            rename(&mut object, newest, previous);
        }
        object.insert(form.previous_tag.clone(), name.into());
        Value::Object(object)
    }

    /// The newest form of a previous-form event, without the fields the newest
    /// form cannot carry (returned too: the previous-form event without them).
    pub fn to_newest(&self, event: &Value) -> (Value, Value) {
        let (name, form) = self.form(event);
        let mut previous = event.as_object().unwrap().clone();
        for field in &form.previous_only {
            previous.remove(field);
        }
        let mut object = previous.clone();
        object.remove(&form.previous_tag);
        for (newest, old) in &form.aliases {
            rename(&mut object, old, newest);
        }
        object.insert(form.tag.clone(), name.into());
        (Value::Object(object), Value::Object(previous))
    }
}

/// The real cloud stream (`fixtures/event/cloud_events.json`, of the previous form)
/// and the same events in the newest form.
pub fn real_stream_in_both_forms() -> (Vec<Value>, Vec<Value>) {
    let forms = forms();
    let previous: Vec<Value> =
        serde_json::from_str(&read("tests/fixtures/event/cloud_events.json")).unwrap();
    let newest = previous.iter().map(|e| forms.to_newest(e).0).collect();
    (previous, newest)
}
