//! The two wire forms of events ([`EventForm`]): the simulator builds its events in
//! the previous documentation's form and writes them, when asked, in the newest one,
//! with the renames the spec records (`spec/README.md`, "Wire aliases"): each
//! documented event's `tag_aliases`, `aliases` and `previous_fields` in
//! `spec/overkiz.json`, and for the events seen in real streams but not documented
//! (`ExecutionRegisteredEvent`, ...) the tag change every documented event shares and
//! the curated `[[alias]]` entries of `spec/curated.toml`. No wire name is written
//! here.

use std::collections::HashMap;
use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The curated input of the generator, for the aliases of undocumented events.
const CURATED_TOML: &str = include_str!("../../spec/curated.toml");

/// The form the simulator writes events in ([`crate::Config::event_form`]): the
/// names of the newest documentation (`spec/enduser-api.txt`) or of the previous
/// version (`previous_version` in `spec/overkiz.json`), as `overkiz::WireForm`
/// names them. With the 2026-08 page: [`EventForm::Previous`] is the 2026-03 form
/// (tagged `"name"`, dated `timestamp`, execution type in `type`),
/// [`EventForm::Newest`] the 2026-08 one (tagged `"type"`, dated `eventTime`,
/// execution type in `executionType`, with a `siteOID`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub enum EventForm {
    /// The previous documentation's names: the default, since it is what live
    /// servers are known to send today (every captured payload of
    /// `tests/fixtures/` has this form).
    #[default]
    Previous,
    /// The newest documentation's names, which no live server is known to send yet.
    Newest,
}

impl EventForm {
    /// Both forms, the default first.
    pub const ALL: [EventForm; 2] = [EventForm::Previous, EventForm::Newest];

    /// The form named `name`: `previous` or `newest` (as `--event-form` takes it).
    pub fn named(name: &str) -> Option<EventForm> {
        match name {
            "previous" => Some(EventForm::Previous),
            "newest" => Some(EventForm::Newest),
            _ => None,
        }
    }

    /// Its name, as [`EventForm::named`] takes it.
    pub fn name(self) -> &'static str {
        match self {
            EventForm::Previous => "previous",
            EventForm::Newest => "newest",
        }
    }
}

/// How one event's newest form differs from its previous one.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
struct Renames {
    /// (previous tag field, newest tag field), when they differ.
    tag: Option<(String, String)>,
    /// (previous name, newest name) of renamed fields.
    fields: Vec<(String, String)>,
    /// Fields of the previous form the newest dropped without a successor.
    dropped: Vec<String>,
    /// Whether the newest form documents a `siteOID`.
    site: bool,
}

pub(crate) struct Table {
    documented: HashMap<String, Renames>,
    /// The tag change every documented event shares, for the undocumented ones.
    shared_tag: Option<(String, String)>,
    /// Curated `[[alias]]` entries: (events, previous, newest).
    curated: Vec<(Vec<String>, String, String)>,
}

/// The renames, read once: at the simulator's start ([`crate::Simulator::bind`]), not
/// at its first fetch of events (which would then take a fraction of a second).
pub(crate) fn table() -> &'static Table {
    static TABLE: OnceLock<Table> = OnceLock::new();
    TABLE.get_or_init(|| {
        let spec = crate::spec::document();
        let strings = |value: &Value| -> Vec<String> {
            value
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        };
        let mut documented = HashMap::new();
        let mut tags = Vec::new();
        for event in spec["events"].as_array().into_iter().flatten() {
            let Some(name) = event["name"].as_str() else {
                continue;
            };
            let tag = event["tag"].as_str().map(str::to_owned);
            let tag = match (strings(&event["tag_aliases"]).first(), tag) {
                (Some(previous), Some(tag)) if *previous != tag => Some((previous.clone(), tag)),
                _ => None,
            };
            tags.push(tag.clone());
            let fields = event["aliases"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|a| {
                    Some((
                        a["previous"].as_str()?.to_owned(),
                        a["name"].as_str()?.to_owned(),
                    ))
                })
                .collect();
            let dropped = event["previous_fields"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|f| f["name"].as_str().map(str::to_owned))
                .collect();
            let site = event["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|f| f["name"] == "siteOID");
            documented.insert(
                name.to_owned(),
                Renames {
                    tag,
                    fields,
                    dropped,
                    site,
                },
            );
        }
        let shared_tag = match tags.split_first() {
            Some((first, rest)) if rest.iter().all(|t| t == first) => first.clone(),
            _ => None,
        };
        let curated: toml::Table = CURATED_TOML.parse().expect("spec/curated.toml is TOML");
        let curated = curated
            .get("alias")
            .and_then(toml::Value::as_array)
            .into_iter()
            .flatten()
            .filter_map(|alias| {
                let events = alias
                    .get("events")?
                    .as_array()?
                    .iter()
                    .filter_map(|e| e.as_str().map(str::to_owned))
                    .collect();
                Some((
                    events,
                    alias.get("previous")?.as_str()?.to_owned(),
                    alias.get("name")?.as_str()?.to_owned(),
                ))
            })
            .collect();
        Table {
            documented,
            shared_tag,
            curated,
        }
    })
}

/// The renames of event `name`: the spec's for a documented event; for another, the
/// shared tag change and the curated aliases that name it (or every event, `*`).
fn renames_of(name: &str) -> std::borrow::Cow<'static, Renames> {
    let table = table();
    if let Some(renames) = table.documented.get(name) {
        return std::borrow::Cow::Borrowed(renames);
    }
    std::borrow::Cow::Owned(Renames {
        tag: table.shared_tag.clone(),
        fields: table
            .curated
            .iter()
            .filter(|(events, _, _)| events.iter().any(|e| e == "*" || e == name))
            .map(|(_, previous, newest)| (previous.clone(), newest.clone()))
            .collect(),
        dropped: Vec::new(),
        site: false,
    })
}

/// `event`, built in the previous form (tagged by the previous tag field), written in
/// `form`; `site_oid` is the `siteOID` of the newest form's events.
pub(crate) fn write(event: Value, form: EventForm, site_oid: &Value) -> Value {
    let Value::Object(mut fields) = event else {
        return event;
    };
    if form == EventForm::Previous {
        return Value::Object(fields);
    }
    // The previous tag is `name` on every event today; read it from the data all the
    // same, then look the event up by it.
    let previous_tag = table()
        .shared_tag
        .as_ref()
        .map_or("name", |(previous, _)| previous.as_str());
    let Some(name) = fields
        .get(previous_tag)
        .and_then(Value::as_str)
        .map(str::to_owned)
    else {
        return Value::Object(fields);
    };
    let renames = renames_of(&name);
    for dropped in &renames.dropped {
        fields.remove(dropped);
    }
    // Fields first: the previous form's own `type` moves out before the tag moves in.
    let mut renamed = Map::new();
    for (previous, newest) in &renames.fields {
        if let Some(value) = fields.remove(previous) {
            renamed.insert(newest.clone(), value);
        }
    }
    if let Some((previous, newest)) = &renames.tag {
        if let Some(tag) = fields.remove(previous) {
            renamed.insert(newest.clone(), tag);
        }
    }
    fields.extend(renamed);
    if renames.site && !fields.contains_key("siteOID") {
        fields.insert("siteOID".to_owned(), site_oid.clone());
    }
    Value::Object(fields)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn newest(event: Value) -> Value {
        write(event, EventForm::Newest, &json!("site-1"))
    }

    #[test]
    fn the_previous_form_is_written_as_built() {
        let event = json!({"name": "ExecutionStateChangedEvent", "type": 1, "timestamp": 5});
        assert_eq!(
            write(event.clone(), EventForm::Previous, &json!("s")),
            event
        );
    }

    #[test]
    fn documented_events_take_the_renames_of_the_spec() {
        let event = newest(json!({
            "name": "ExecutionStateChangedEvent", "execId": "e", "type": 1, "subType": 1,
            "timestamp": 5, "setupOID": "s",
        }));
        assert_eq!(
            event,
            json!({
                "type": "ExecutionStateChangedEvent", "execId": "e", "executionType": 1,
                "subType": 1, "eventTime": 5, "setupOID": "s", "siteOID": "site-1",
            })
        );
        let event =
            newest(json!({"name": "DeviceStateChangedEvent", "timestamp": 5, "deviceStates": []}));
        assert_eq!(
            event,
            json!({"type": "DeviceStateChangedEvent", "eventTime": 5, "deviceStates": [], "siteOID": "site-1"})
        );
        // A field the newest page dropped goes.
        let event =
            newest(json!({"name": "CalendarRuleCreatedEvent", "type": "x", "timestamp": 5}));
        assert_eq!(event["type"], "CalendarRuleCreatedEvent");
        assert_eq!(event["eventTime"], 5);
    }

    #[test]
    fn undocumented_events_take_the_shared_tag_and_the_curated_aliases() {
        let event = newest(json!({
            "name": "ExecutionRegisteredEvent", "type": 1, "subType": 1, "timestamp": 5,
        }));
        assert_eq!(
            event,
            json!({"type": "ExecutionRegisteredEvent", "executionType": 1, "subType": 1, "eventTime": 5})
        );
        let event = newest(json!({
            "name": "CommandExecutionStateChangedEvent", "rank": 0, "timestamp": 5,
        }));
        assert_eq!(
            event,
            json!({"type": "CommandExecutionStateChangedEvent", "rank": 0, "eventTime": 5})
        );
    }

    #[test]
    fn forms_are_named_as_the_flag_takes_them() {
        for form in EventForm::ALL {
            assert_eq!(EventForm::named(form.name()), Some(form));
        }
        assert_eq!(EventForm::named("2026-03"), None);
        assert_eq!(EventForm::default(), EventForm::Previous);
    }
}
