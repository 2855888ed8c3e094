//! The version history (`spec/versions/`, described in its README.md): every
//! published page the project keeps converts to its text, parses and generates a
//! crate, so the next page regenerates as cleanly as the last one.
//!
//! A version is a date (`2026-01`) with its text (`DATE.txt`) and/or the HTML page it
//! was published as (`DATE.html`). The newest version's text is not in the folder:
//! it is `spec/enduser-api.txt`, the page the repository is generated from.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

use overkiz_codegen::Summary;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn current_page() -> String {
    String::from_utf8(read(&root().join("spec/enduser-api.txt"))).unwrap()
}

/// The files of one version.
#[derive(Default)]
struct Files {
    text: Option<PathBuf>,
    html: Option<PathBuf>,
}

/// Every version in `spec/versions/`, by date (oldest first).
fn versions() -> BTreeMap<String, Files> {
    let mut out: BTreeMap<String, Files> = BTreeMap::new();
    for entry in std::fs::read_dir(root().join("spec/versions")).unwrap() {
        let path = entry.unwrap().path();
        let name = path.file_name().unwrap().to_str().unwrap().to_owned();
        if name == "README.md" {
            continue;
        }
        let (date, ext) = name
            .rsplit_once('.')
            .unwrap_or_else(|| panic!("spec/versions/{name}: expected DATE.txt or DATE.html"));
        assert!(
            date.len() == 7
                && date.as_bytes()[4] == b'-'
                && date.bytes().filter(u8::is_ascii_digit).count() == 6,
            "spec/versions/{name}: the name must be the version's date, YYYY-MM"
        );
        let files = out.entry(date.to_owned()).or_default();
        match ext {
            "txt" => files.text = Some(path),
            "html" => files.html = Some(path),
            _ => panic!("spec/versions/{name}: expected DATE.txt or DATE.html"),
        }
    }
    out
}

/// One version, read and rendered once for all the tests (the HTML conversion is
/// the slow part).
struct Version {
    date: String,
    /// `DATE.txt`, when the folder has it.
    text_file: Option<String>,
    /// `DATE.html` converted to text, when the folder has it.
    rendered: Option<String>,
    /// Whether its text is `spec/enduser-api.txt`.
    is_current: bool,
}

impl Version {
    fn text(&self) -> &str {
        self.text_file
            .as_deref()
            .or(self.rendered.as_deref())
            .expect("a version has at least one file")
    }
}

/// Every version, oldest first; the pages are converted in parallel.
fn loaded() -> &'static Vec<Version> {
    static LOADED: OnceLock<Vec<Version>> = OnceLock::new();
    LOADED.get_or_init(|| {
        let current = current_page();
        std::thread::scope(|scope| {
            let handles: Vec<_> = versions()
                .into_iter()
                .map(|(date, files)| {
                    scope.spawn(move || {
                        let text_file = files.text.map(|p| String::from_utf8(read(&p)).unwrap());
                        let rendered = files
                            .html
                            .map(|p| overkiz_codegen::html::to_text(&read(&p)));
                        (date, text_file, rendered)
                    })
                })
                .collect();
            handles
                .into_iter()
                .map(|h| {
                    let (date, text_file, rendered) = h.join().unwrap();
                    let mut v = Version {
                        date,
                        text_file,
                        rendered,
                        is_current: false,
                    };
                    v.is_current = v.text() == current;
                    v
                })
                .collect()
        })
    })
}

#[test]
fn each_html_page_converts_to_exactly_its_text() {
    for v in loaded() {
        let (Some(text), Some(expected)) = (&v.rendered, &v.text_file) else {
            // A page without its text beside it is the newest: its text is the
            // current page (checked below).
            continue;
        };
        let date = &v.date;
        if text != expected {
            let line = text
                .lines()
                .zip(expected.lines())
                .position(|(a, b)| a != b)
                .unwrap_or(text.lines().count().min(expected.lines().count()));
            panic!(
                "spec/versions/{date}.html: first difference with {date}.txt at line {}:\n  got      {:?}\n  expected {:?}",
                line + 1,
                text.lines().nth(line),
                expected.lines().nth(line)
            );
        }
    }
}

#[test]
fn current_page_is_the_newest_version() {
    let versions = loaded();
    let newest = versions.last().expect("at least one version");
    // Only the newest version may lack its text in the folder: that text is the page.
    let without_text: Vec<&str> = versions
        .iter()
        .filter(|v| v.text_file.is_none())
        .map(|v| v.date.as_str())
        .collect();
    assert!(
        without_text.iter().all(|d| *d == newest.date),
        "only the newest version ({}) may lack DATE.txt; these do: {without_text:?}",
        newest.date
    );
    let current: Vec<&str> = versions
        .iter()
        .filter(|v| v.is_current)
        .map(|v| v.date.as_str())
        .collect();
    if newest.text_file.is_none() && newest.is_current {
        // The newest page is the current one, and no second copy of a text is kept.
        assert_eq!(
            current,
            [newest.date.as_str()],
            "spec/enduser-api.txt is kept twice"
        );
    } else {
        // Between vendoring a new page and switching to it: the current page is the
        // previous version, archived beside the new page's HTML. Anything else is a
        // current page that is not the newest version.
        let previous = &versions[versions.len().saturating_sub(2)];
        assert!(
            newest.text_file.is_none() && current == [previous.date.as_str()],
            "spec/enduser-api.txt must be the newest version ({}): import it with \
             `cargo xtask import-doc spec/versions/{}.html` (it is {})",
            newest.date,
            newest.date,
            if current.is_empty() {
                "none of the versions".to_owned()
            } else {
                format!("version {}", current.join(", "))
            }
        );
    }
}

#[test]
fn every_version_parses_and_generates_a_crate() {
    let curated = std::fs::read_to_string(root().join("spec/curated.toml")).unwrap();
    let versions = loaded();
    // Generated in parallel: each is a whole crate.
    let counts: Vec<(&str, usize, usize)> = std::thread::scope(|scope| {
        let handles: Vec<_> = versions
            .iter()
            .map(|v| {
                let curated = &curated;
                scope.spawn(move || {
                    let name = format!("spec/versions/{}", v.date);
                    // The curated file is written for the current page; older pages
                    // take what fits them.
                    let generated = if v.is_current {
                        overkiz_codegen::generate(&name, v.text(), curated)
                    } else {
                        overkiz_codegen::generate_previous(&name, v.text(), curated)
                    }
                    .unwrap_or_else(|e| panic!("{name}: {e}"));
                    assert!(
                        generated
                            .files
                            .iter()
                            .any(|f| f.path.ends_with("generated/events.rs")
                                && f.contents.contains("crate::event_table::events! {")
                                && f.contents
                                    .contains("DeviceStateChanged(DeviceStateChangedEvent),")),
                        "{name}: no event enum generated"
                    );
                    assert_eq!(
                        generated.ir.operations.len(),
                        generated.spec.operations.len(),
                        "{name}: every operation becomes a method"
                    );
                    let page = Summary::of(&overkiz_codegen::parse(&name, v.text()).unwrap());
                    (v.date.as_str(), page.operations, page.event_types)
                })
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    // Counts of the pages alone (the curated operations come on top), as an
    // independent reading of each page gives them.
    let expected: &[(&str, usize, usize)] = &[
        ("2026-01", 495, 138),
        ("2026-03", 495, 138),
        ("2026-08", 504, 139),
    ];
    assert_eq!(counts, expected);
}

#[test]
fn readme_names_every_version_with_its_source() {
    let readme = std::fs::read_to_string(root().join("spec/versions/README.md")).unwrap();
    for (date, files) in versions() {
        for path in [files.text, files.html].into_iter().flatten() {
            let name = path.file_name().unwrap().to_str().unwrap().to_owned();
            assert!(
                readme.contains(&format!("`{name}`")),
                "spec/versions/README.md does not describe `{name}` ({date})"
            );
        }
    }
}

/// Whether the client may resend each operation is decided once per operation: an
/// operation the newest page adds is reviewed here, with the class the rule (or a
/// curated `[[idempotency]]` entry) gives it.
#[test]
fn operations_added_by_the_newest_version_have_reviewed_classes() {
    use overkiz_codegen::spec::Idempotency::{Acts, IdempotentWrite, SafeRead};
    let versions = loaded();
    let [.., previous, newest] = versions.as_slice() else {
        panic!("the history has at least two versions")
    };
    let previous = overkiz_codegen::parse("previous", previous.text()).unwrap();
    let newest = overkiz_codegen::parse("newest", newest.text()).unwrap();
    let curated = std::fs::read_to_string(root().join("spec/curated.toml")).unwrap();
    let newest = overkiz_codegen::complete(newest, &curated).unwrap();
    let added: Vec<(String, overkiz_codegen::spec::Idempotency)> = newest
        .operations
        .iter()
        .filter(|o| {
            !previous
                .operations
                .iter()
                .any(|p| p.method == o.method && p.path == o.path)
                && o.group != "Local API"
        })
        .map(|o| (format!("{} {}", o.method, o.path), o.idempotency.unwrap()))
        .collect();
    let reviewed = [
        // Reads.
        ("GET /history/dataRetentionPolicy", SafeRead),
        (
            "GET /history/executions/daily/{year}/{month}/{day}",
            SafeRead,
        ),
        ("GET /setup/localDevices/{localDeviceOID}", SafeRead),
        ("GET /setup/localDevices", SafeRead),
        // Set a label, a place or data to a given value, or delete: twice is once.
        (
            "PUT /setup/devices/{deviceURL}/label/{label}",
            IdempotentWrite,
        ),
        (
            "PUT /setup/devices/{deviceURL}/localDeviceData/{key}",
            IdempotentWrite,
        ),
        (
            "DELETE /setup/localDevices/{localDeviceOID}",
            IdempotentWrite,
        ),
        (
            "PUT /setup/localDevices/{localDeviceOID}/label/{newLabel}",
            IdempotentWrite,
        ),
        (
            "PUT /setup/localDevices/{localDeviceOID}/localDeviceData",
            IdempotentWrite,
        ),
        (
            "PUT /setup/localDevices/{localDeviceOID}/relocate/{placeOID}",
            IdempotentWrite,
        ),
        // Creates a device: a resend creates a second one.
        ("POST /setup/localDevices", Acts),
    ];
    let mut reviewed: Vec<(String, _)> = reviewed
        .into_iter()
        .map(|(op, class)| (op.to_owned(), class))
        .collect();
    let mut added = added;
    reviewed.sort_by(|a, b| a.0.cmp(&b.0));
    added.sort_by(|a, b| a.0.cmp(&b.0));
    assert_eq!(added, reviewed);
}

/// What `spec/README.md` says became of the March events' own `type` once August tags
/// events by `type`.
#[test]
fn march_events_own_type_in_august() {
    let versions = loaded();
    let page = |date: &str| {
        let v = versions.iter().find(|v| v.date == date).unwrap();
        overkiz_codegen::parse(date, v.text()).unwrap()
    };
    let (march, august) = (page("2026-03"), page("2026-08"));
    let field = |spec: &overkiz_codegen::Spec, event: &str, name: &str| {
        let e = spec.events.iter().find(|e| e.name == event).unwrap();
        e.fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| serde_json::to_value(&f.schema).unwrap()["type"].clone())
    };
    let became = [
        ("PlaceCreatedEvent", Some("placeType")),
        ("PlaceUpdatedEvent", Some("placeType")),
        ("ZoneCreatedEvent", Some("zoneType")),
        ("ZoneUpdatedEvent", Some("zoneType")),
        ("ExecutionStateChangedEvent", Some("executionType")),
        ("CalendarDayCreatedEvent", Some("dayType")),
        ("CalendarDayUpdatedEvent", Some("dayType")),
        ("CalendarRuleCreatedEvent", None),
        ("CalendarRuleUpdatedEvent", None),
    ];
    let with_own_type: Vec<&str> = march
        .events
        .iter()
        .filter(|e| e.fields.iter().any(|f| f.name == "type"))
        .map(|e| e.name.as_str())
        .collect();
    let mut listed: Vec<&str> = became.iter().map(|(e, _)| *e).collect();
    listed.sort();
    assert_eq!(with_own_type, listed);
    for (event, successor) in became {
        let tag = |spec: &overkiz_codegen::Spec| {
            spec.events
                .iter()
                .find(|e| e.name == event)
                .unwrap()
                .tag
                .clone()
        };
        assert_eq!((tag(&march), tag(&august)), ("name".into(), "type".into()));
        assert_eq!(field(&august, event, "type"), None, "{event}");
        match successor {
            Some(s) => {
                assert_eq!(
                    field(&march, event, s),
                    None,
                    "{event}.{s} is new in August"
                );
                assert_eq!(
                    field(&august, event, s),
                    field(&march, event, "type"),
                    "{event}: `type` became `{s}` of the same type"
                );
            }
            // CalendarRule* had a `dayType` beside their own `type` and keep it.
            None => {
                assert!(field(&march, event, "dayType").is_some(), "{event}");
                assert!(field(&august, event, "dayType").is_some(), "{event}");
            }
        }
    }
}

/// The changelog from March to August 2026 is for reading: a change every event shares
/// is one line, a rename reads as one, and it stays short.
#[test]
fn changelog_from_march_to_august_is_readable() {
    let versions = loaded();
    let page = |date: &str| {
        let v = versions.iter().find(|v| v.date == date).unwrap();
        overkiz_codegen::parse(date, v.text()).unwrap()
    };
    let log = overkiz_codegen::changelog::diff(&page("2026-03"), &page("2026-08"));
    let markdown = log.to_markdown();
    let lines = markdown.lines().count();
    assert!(lines <= 300, "{lines} lines");
    for line in [
        "- **breaking** every event (135): named by `type` instead of `name`",
        "- **breaking** every event (135): field `timestamp` renamed to `eventTime` (integer)",
        "- *additive* every event (135): field `siteOID` added (string)",
        "- **breaking** event `PlaceCreatedEvent` field `type`: renamed to `placeType` (integer)",
        "- **breaking** event `ExecutionStateChangedEvent` field `type`: renamed to `executionType` (integer)",
        "- **breaking** removed `POST /config/{gatewayId}/upnpcontrol/sonos/topology/{deviceURL}`",
        "- *additive* added `GET /setup/localDevices`: Get all local devices",
    ] {
        assert!(markdown.lines().any(|l| l == line), "missing {line:?}");
    }
    // Each change line is marked.
    assert!(markdown
        .lines()
        .filter(|l| l.starts_with("- "))
        .all(|l| l.starts_with("- **breaking** ") || l.starts_with("- *additive* ")));
    // No event is named line by line for what every event shares.
    assert!(!markdown.contains("field `timestamp`: removed"));
}
