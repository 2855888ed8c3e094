//! The documented operations (`spec/overkiz.json`, embedded): routing by method and
//! path template, and example answers built from the response schemas.

use std::sync::OnceLock;

use serde_json::{Map, Value};

/// The normalized spec, embedded so that the simulator runs anywhere.
pub const SPEC_JSON: &str = include_str!("../../spec/overkiz.json");

/// One documented operation, as the simulator routes and answers it.
#[derive(Debug)]
pub struct Operation {
    /// `GET`, `POST`, ...
    pub method: String,
    /// Path template relative to the API base, e.g. `/setup/devices/{deviceURL}`.
    pub path: String,
    /// Documented status code (200 when the page gives none).
    pub status: u16,
    /// Documented content type.
    pub content_type: String,
    /// Example body built from the response schema, `None` when none is documented.
    pub example: Option<Value>,
    /// The documented per-session rate limit, if any.
    pub rate_limit: Option<RateLimit>,
    /// The documented request body, if any.
    pub body: Option<BodyRule>,
    /// The query parameters documented as required.
    pub required_query: Vec<String>,
    /// Documented by the previous version of the documentation only
    /// (`removed_operations`): answered all the same, as a server of that version
    /// would.
    pub removed: bool,
    segments: Vec<Segment>,
}

/// A documented per-session rate limit: at most `calls` calls per `period`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RateLimit {
    /// Calls allowed per period.
    pub calls: u32,
    /// The period.
    pub period: std::time::Duration,
    /// What the calls are counted on: `operation:METHOD /path` for a limit of the
    /// operation alone, `category:NAME` for one shared by a category (`exec`, ...).
    pub counted_on: String,
    /// The documented category (`exec`, `polling`, `bulk-load`, ...).
    pub category: String,
}

/// What the documentation says of an operation's request body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BodyRule {
    /// Whether a body is required.
    pub required: bool,
    /// The JSON type of the body: `object`, `array`, `string`, ... (`map` is an
    /// object), as the schema says.
    pub json_type: String,
    /// An example body built from the schema.
    pub example: Value,
}

#[derive(Debug)]
enum Segment {
    Literal(String),
    Placeholder,
}

/// The embedded spec, parsed once (2 MB: a fraction of a second in a debug build).
pub(crate) fn document() -> &'static Value {
    static DOCUMENT: OnceLock<Value> = OnceLock::new();
    DOCUMENT.get_or_init(|| serde_json::from_str(SPEC_JSON).expect("the embedded spec is JSON"))
}

/// Every documented operation, parsed once.
pub fn operations() -> &'static [Operation] {
    static OPERATIONS: OnceLock<Vec<Operation>> = OnceLock::new();
    OPERATIONS.get_or_init(|| {
        let spec = document();
        let removed = spec["removed_operations"].as_array().into_iter().flatten();
        spec["operations"]
            .as_array()
            .expect("the spec lists operations")
            .iter()
            .map(|op| (op, false))
            .chain(removed.map(|op| (op, true)))
            .map(|(op, removed)| {
                let path = op["path"].as_str().unwrap_or_default().to_owned();
                let segments = split(&path)
                    .map(|segment| {
                        if segment.starts_with('{') && segment.ends_with('}') {
                            Segment::Placeholder
                        } else {
                            Segment::Literal(segment.to_owned())
                        }
                    })
                    .collect();
                Operation {
                    method: op["method"].as_str().unwrap_or_default().to_owned(),
                    status: op["status"]["code"].as_u64().unwrap_or(200) as u16,
                    content_type: op["content_type"]
                        .as_str()
                        .unwrap_or("application/json")
                        .to_owned(),
                    example: op["response"]
                        .get("schema")
                        .filter(|schema| !schema.is_null())
                        .map(example),
                    rate_limit: rate_limit(op),
                    body: op
                        .get("request_body")
                        .filter(|b| !b.is_null())
                        .map(|body| BodyRule {
                            required: body["required"].as_bool().unwrap_or(false),
                            json_type: match body["schema"]["type"].as_str() {
                                Some("map") => "object".to_owned(),
                                Some(other) => other.to_owned(),
                                None => "object".to_owned(),
                            },
                            example: example(&body["schema"]),
                        }),
                    required_query: op["params"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|p| p["in"] == "query" && p["required"] == true)
                        .filter_map(|p| p["name"].as_str().map(str::to_owned))
                        .collect(),
                    removed,
                    path,
                    segments,
                }
            })
            .collect()
    })
}

fn rate_limit(op: &Value) -> Option<RateLimit> {
    let limit = op.get("rate_limit").filter(|l| !l.is_null())?;
    let category = limit["category"].as_str().unwrap_or_default().to_owned();
    let counted_on = match limit["scope"].as_str() {
        Some("category") => format!("category:{category}"),
        _ => format!(
            "operation:{} {}",
            op["method"].as_str().unwrap_or_default(),
            op["path"].as_str().unwrap_or_default()
        ),
    };
    Some(RateLimit {
        calls: u32::try_from(limit["calls"].as_u64()?).ok()?,
        period: std::time::Duration::from_secs(limit["period_seconds"].as_u64()?),
        counted_on,
        category,
    })
}

fn split(path: &str) -> impl Iterator<Item = &str> {
    path.split('/').filter(|segment| !segment.is_empty())
}

/// The operation answering `method` on `path` (relative to the API base), with its
/// path parameters (percent-decoded). A placeholder matches one segment; among
/// several matches, the one whose literal segments come first wins
/// (`/exec/current/setup` before `/exec/current/{execId}`).
pub fn route(method: &str, path: &str) -> Option<(&'static Operation, Vec<String>)> {
    let segments: Vec<&str> = split(path).collect();
    let mut best: Option<(&Operation, Vec<bool>)> = None;
    for op in operations() {
        if op.method != method || op.segments.len() != segments.len() {
            continue;
        }
        let matches = op
            .segments
            .iter()
            .zip(&segments)
            .all(|(template, actual)| match template {
                Segment::Literal(literal) => literal == actual,
                Segment::Placeholder => true,
            });
        if !matches {
            continue;
        }
        let literals: Vec<bool> = op
            .segments
            .iter()
            .map(|segment| matches!(segment, Segment::Literal(_)))
            .collect();
        if best.as_ref().is_none_or(|(_, best)| literals > *best) {
            best = Some((op, literals));
        }
    }
    let (op, _) = best?;
    let params = op
        .segments
        .iter()
        .zip(&segments)
        .filter(|(template, _)| matches!(template, Segment::Placeholder))
        .map(|(_, actual)| {
            percent_encoding::percent_decode_str(actual)
                .decode_utf8_lossy()
                .into_owned()
        })
        .collect();
    Some((op, params))
}

/// What is wrong with a request to `op` with `query` (the URL's query string) and
/// `body`, by the documentation: a required query parameter or body missing, or a
/// body that is not JSON of the documented type. `None` when nothing is.
pub fn invalid_request(op: &Operation, query: &str, body: &[u8]) -> Option<String> {
    let given: Vec<String> = form_urlencoded::parse(query.as_bytes())
        .map(|(name, _)| name.into_owned())
        .collect();
    if let Some(missing) = op.required_query.iter().find(|name| !given.contains(name)) {
        return Some(format!("missing query parameter {missing}"));
    }
    let Some(rule) = &op.body else {
        return None;
    };
    if body.iter().all(u8::is_ascii_whitespace) {
        return rule.required.then(|| "missing body".to_owned());
    }
    let Ok(value) = serde_json::from_slice::<Value>(body) else {
        return Some("the body is not JSON".to_owned());
    };
    let matches = match rule.json_type.as_str() {
        "object" => value.is_object(),
        "array" => value.is_array(),
        "string" => value.is_string(),
        "integer" | "number" => value.is_number(),
        "boolean" => value.is_boolean(),
        _ => true,
    };
    (!matches).then(|| format!("the body is not a JSON {}", rule.json_type))
}

/// An example value of a schema of the spec: every field present, arrays with one
/// item, strings from the documented examples, numbers 0.
pub fn example(schema: &Value) -> Value {
    match schema["type"].as_str().unwrap_or_default() {
        "string" => schema
            .get("example")
            .and_then(Value::as_str)
            .map_or_else(|| Value::from("string value"), Value::from),
        "integer" => Value::from(0),
        "number" => Value::from(0.0),
        "boolean" => Value::from(false),
        "array" => match schema.get("items") {
            Some(items) if !items.is_null() => Value::Array(vec![example(items)]),
            _ => Value::Array(Vec::new()),
        },
        "object" => Value::Object(
            schema["fields"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|field| {
                    (
                        field["name"].as_str().unwrap_or_default().to_owned(),
                        example(field),
                    )
                })
                .collect::<Map<String, Value>>(),
        ),
        "map" => {
            let mut map = Map::new();
            map.insert(
                schema["key_example"].as_str().unwrap_or("key").to_owned(),
                example(&schema["values"]),
            );
            Value::Object(map)
        }
        _ => Value::Null,
    }
}

/// The example body of the documented answer of `method path` (a template), if any.
pub fn example_of(method: &str, path: &str) -> Option<Value> {
    operations()
        .iter()
        .find(|op| op.method == method && op.path == path)
        .and_then(|op| op.example.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn literal_segments_win_over_placeholders() {
        let (op, params) = route("DELETE", "/exec/current/setup/abc").unwrap();
        assert_eq!(op.path, "/exec/current/setup/{execId}");
        assert_eq!(params, ["abc"]);
        let (op, params) = route("GET", "/setup/devices/io%3A%2F%2F1234%2F5").unwrap();
        assert_eq!(op.path, "/setup/devices/{deviceURL}");
        assert_eq!(params, ["io://1234/5"]);
        assert!(route("GET", "/no/such/thing").is_none());
    }

    #[test]
    fn every_stateful_operation_is_documented_once() {
        let stateful = crate::STATEFUL_OPERATIONS;
        for key in stateful {
            let (method, path) = key.split_once(' ').unwrap();
            assert!(
                operations()
                    .iter()
                    .any(|op| op.method == method && op.path == path),
                "{key} is not documented"
            );
        }
        let mut sorted = stateful.to_vec();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted, stateful);
    }

    #[test]
    fn requests_are_checked_against_the_documentation() {
        let apply = route("POST", "/exec/apply").unwrap().0;
        assert_eq!(
            invalid_request(apply, "", b""),
            Some("missing body".to_owned())
        );
        assert_eq!(
            invalid_request(apply, "", b"[1]"),
            Some("the body is not a JSON object".to_owned())
        );
        assert_eq!(
            invalid_request(apply, "", b"{oops"),
            Some("the body is not JSON".to_owned())
        );
        assert_eq!(invalid_request(apply, "", br#"{"actions": []}"#), None);
        let example = serde_json::to_vec(&apply.body.as_ref().unwrap().example).unwrap();
        assert_eq!(invalid_request(apply, "", &example), None);
        let upload = route("GET", "/setup/files/uploadURL").unwrap().0;
        assert!(invalid_request(upload, "", b"").is_some());
        assert_eq!(invalid_request(upload, "fileType=x&other=1", b""), None);
        let setup = route("GET", "/setup").unwrap().0;
        assert_eq!(invalid_request(setup, "", b""), None);
    }

    #[test]
    fn documented_rate_limits_are_read() {
        let limited: Vec<&Operation> = operations()
            .iter()
            .filter(|op| op.rate_limit.is_some())
            .collect();
        assert!(limited.len() >= 40, "{}", limited.len());
        let apply = route("POST", "/exec/apply").unwrap().0;
        let limit = apply.rate_limit.as_ref().unwrap();
        assert_eq!(limit.counted_on, "category:exec");
        assert_eq!(limit.period, std::time::Duration::from_secs(1728));
        let fetch = route("POST", "/events/x/fetch").unwrap().0;
        let limit = fetch.rate_limit.as_ref().unwrap();
        assert_eq!(
            limit.counted_on,
            "operation:POST /events/{listenerId}/fetch"
        );
        assert_eq!((limit.calls, limit.period.as_secs()), (1, 1));
    }

    #[test]
    fn operations_the_newest_documentation_removed_are_answered() {
        let spec: Value = serde_json::from_str(SPEC_JSON).unwrap();
        let removed = spec["removed_operations"].as_array().unwrap();
        assert!(!removed.is_empty(), "nothing removed: drop this test");
        for gone in removed {
            let path = gone["path"].as_str().unwrap();
            let op = operations()
                .iter()
                .find(|op| op.method == gone["method"] && op.path == path)
                .unwrap_or_else(|| panic!("{path} is not answered"));
            assert!(op.removed);
        }
        assert_eq!(
            operations().iter().filter(|op| !op.removed).count(),
            spec["operations"].as_array().unwrap().len()
        );
    }

    /// Each operation's template, its placeholders filled with values no literal
    /// segment has (with a character to percent-decode), is routed to that very
    /// operation, with those values as its parameters: no template is shadowed by
    /// another, and parameters come back in order.
    #[test]
    fn every_operation_has_a_route_to_itself() {
        for op in operations() {
            let mut values = Vec::new();
            let concrete = split(&op.path)
                .map(|segment| {
                    if segment.starts_with('{') {
                        values.push(format!("v {}", values.len()));
                        format!("v%20{}", values.len() - 1)
                    } else {
                        segment.to_owned()
                    }
                })
                .fold(String::new(), |path, segment| path + "/" + &segment);
            let (found, params) = route(&op.method, &concrete)
                .unwrap_or_else(|| panic!("{} {} has no route", op.method, op.path));
            assert_eq!(
                (found.method.as_str(), found.path.as_str()),
                (op.method.as_str(), op.path.as_str()),
                "{concrete}"
            );
            assert_eq!(params, values, "{} {}", op.method, op.path);
        }
    }
}
