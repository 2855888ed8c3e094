//! Compatibility with the previous version of the documentation.
//!
//! Servers do not all move to a new version of the API on the same day, and nobody
//! can tell from outside which version a server speaks. So the crate generated from
//! the newest page also decodes what servers of the previous version send. This
//! module compares the newest spec with the previous one and records, as data of
//! the spec (`spec/overkiz.json`, see `spec/README.md`):
//!
//! - each event's previous tag field (`name`, when the newest page tags events with
//!   `type`);
//! - each event field the newest page renamed ([`Alias`]): a removed `x` and an
//!   added `<prefix>X` of the same type (`type` → `placeType`), or a curated
//!   `[[alias]]` entry with its reason (`timestamp` → `eventTime`);
//! - the fields of the previous version that the newest one dropped without a
//!   replacement (`previous_fields`);
//! - the events and operations the newest page removed (`removed_events`,
//!   `removed_operations`), which stay, deprecated.
//!
//! The generator turns that data into code like everything else: no special cases
//! in the runtime.

use std::collections::BTreeSet;
use std::path::Path;

use crate::curated::{Curated, CuratedError};
use crate::spec::{Alias, EventType, Field, Spec};

/// Directory of the previous versions of the page, relative to the workspace root.
pub const VERSIONS_DIR: &str = "spec/versions";

/// The previous version of the documentation: the newest page of [`VERSIONS_DIR`]
/// (files `<version>.txt`, sorted by name), as `(version, text)`; `None` when there
/// is none, or when it is the page itself (`newest_text`: a version vendored
/// before the switch to it).
pub fn read_previous_version(root: &Path, newest_text: &str) -> Option<(String, String)> {
    let (version, path) = std::fs::read_dir(root.join(VERSIONS_DIR))
        .ok()?
        .filter_map(|e| {
            let path = e.ok()?.path();
            let stem = path.file_stem()?.to_str()?.to_owned();
            (path.extension()? == "txt").then_some((stem, path))
        })
        .max()?;
    let text = std::fs::read_to_string(path).ok()?;
    (text != newest_text).then_some((version, text))
}

/// Records in `spec` what decoding the previous version's payloads needs (see the
/// module docs). `previous` is `(version, spec of that version)`.
pub fn apply(
    spec: &mut Spec,
    previous: Option<(&str, &Spec)>,
    curated: &Curated,
) -> Result<(), CuratedError> {
    let Some((version, previous)) = previous else {
        // Nothing to compare with (a page generated on its own, as some tests do):
        // the renames cannot be checked, and apply to nothing.
        for entry in &curated.alias {
            entry.get();
        }
        return Ok(());
    };
    spec.previous_version = Some(version.to_owned());
    for event in &mut spec.events {
        if let Some(before) = previous.events.iter().find(|e| e.name == event.name) {
            compare_event(event, before, curated)?;
        }
    }
    // An event new in this version follows the page-wide changes of the others (a
    // server of the previous form would send it in that form): their common
    // previous tag, and the curated renames meant for every event.
    let tag_changes: BTreeSet<(&str, Option<&str>)> = spec
        .events
        .iter()
        .filter(|e| previous.events.iter().any(|p| p.name == e.name))
        .map(|e| (e.tag.as_str(), e.tag_aliases.first().map(String::as_str)))
        .collect();
    let common_tag_alias = match tag_changes.into_iter().collect::<Vec<_>>()[..] {
        [(_, Some(alias))] => Some(alias.to_owned()),
        _ => None,
    };
    for event in &mut spec.events {
        if previous.events.iter().any(|p| p.name == event.name) {
            continue;
        }
        event.tag_aliases = common_tag_alias.iter().cloned().collect();
        for entry in curated.alias.iter().filter(|a| a.value.events == ["*"]) {
            let a = &entry.value;
            if event.fields.iter().any(|f| f.name == a.name)
                && !event.fields.iter().any(|f| f.name == a.previous)
            {
                event.aliases.push(Alias {
                    name: a.name.clone(),
                    previous: a.previous.clone(),
                    reason: Some(a.reason.clone()),
                });
            }
        }
        event.aliases.sort_by(|a, b| a.name.cmp(&b.name));
    }
    spec.removed_events = previous
        .events
        .iter()
        .filter(|e| !spec.events.iter().any(|n| n.name == e.name))
        .cloned()
        .collect();
    let kept: BTreeSet<(&str, &str)> = spec
        .operations
        .iter()
        .map(|o| (o.method.as_str(), o.path.as_str()))
        .collect();
    spec.removed_operations = previous
        .operations
        .iter()
        .filter(|o| !kept.contains(&(o.method.as_str(), o.path.as_str())))
        .cloned()
        .map(|mut op| {
            op.idempotency = Some(crate::idempotency::rule(&op).0);
            op
        })
        .collect();
    Ok(())
}

/// The fields of an event other than its tag.
fn data_fields(event: &EventType) -> impl Iterator<Item = &Field> {
    event.fields.iter().filter(move |f| f.name != event.tag)
}

/// Whether `added` is `removed` with a prefix: `placeType` for `type`.
fn is_prefixed(removed: &str, added: &str) -> bool {
    let mut chars = removed.chars();
    let Some(first) = chars.next() else {
        return false;
    };
    let capitalized: String = first.to_uppercase().chain(chars).collect();
    added.len() > capitalized.len()
        && added.ends_with(&capitalized)
        && added.starts_with(|c: char| c.is_ascii_lowercase())
}

fn compare_event(
    event: &mut EventType,
    before: &EventType,
    curated: &Curated,
) -> Result<(), CuratedError> {
    if before.tag != event.tag {
        event.tag_aliases = vec![before.tag.clone()];
    }
    let newest: BTreeSet<&str> = data_fields(event).map(|f| f.name.as_str()).collect();
    let old: BTreeSet<&str> = data_fields(before).map(|f| f.name.as_str()).collect();
    let mut removed: Vec<&Field> = data_fields(before)
        .filter(|f| !newest.contains(f.name.as_str()))
        .collect();
    let mut added: Vec<&str> = newest
        .iter()
        .copied()
        .filter(|name| !old.contains(name))
        .collect();
    let kind_of = |name: &str| {
        event
            .fields
            .iter()
            .find(|f| f.name == name)
            .map(|f| f.schema.kind())
    };
    let mut aliases = Vec::new();
    // Curated renames first, then the ones the names give.
    for entry in &curated.alias {
        let a = &entry.value;
        if !a.applies_to(&event.name) {
            continue;
        }
        let (Some(r), Some(n)) = (
            removed.iter().position(|f| f.name == a.previous),
            added.iter().position(|n| *n == a.name),
        ) else {
            continue;
        };
        entry.get();
        if kind_of(&a.name) != Some(removed[r].schema.kind()) {
            return Err(CuratedError(format!(
                "[[alias]] {} -> {}: {} has another type in the newest version",
                a.previous, a.name, event.name
            )));
        }
        aliases.push(Alias {
            name: a.name.clone(),
            previous: a.previous.clone(),
            reason: Some(a.reason.clone()),
        });
        removed.remove(r);
        added.remove(n);
    }
    removed.retain(|r| {
        let candidates: Vec<usize> = added
            .iter()
            .enumerate()
            .filter(|(_, n)| is_prefixed(&r.name, n) && kind_of(n) == Some(r.schema.kind()))
            .map(|(i, _)| i)
            .collect();
        let [i] = candidates[..] else {
            return true;
        };
        aliases.push(Alias {
            name: added.remove(i).to_owned(),
            previous: r.name.clone(),
            reason: None,
        });
        false
    });
    aliases.sort_by(|a, b| a.name.cmp(&b.name));
    event.aliases = aliases;
    event.previous_fields = removed.into_iter().cloned().collect();
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::is_prefixed;

    #[test]
    fn prefixed_names() {
        assert!(is_prefixed("type", "placeType"));
        assert!(is_prefixed("type", "executionType"));
        assert!(!is_prefixed("type", "Type"));
        assert!(!is_prefixed("type", "typeName"));
        assert!(!is_prefixed("timestamp", "eventTime"));
    }
}
