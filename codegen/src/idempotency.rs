//! Which operations the client may send again after a failure.
//!
//! A real home is on the other end: a resent `POST /exec/apply` moves a shutter twice,
//! a resent `PUT …/updateFirmware` may flash a firmware twice. Each operation gets an
//! [`Idempotency`] class from a rule on the documentation, corrected by the curated
//! `[[idempotency]]` entries where the rule is wrong:
//!
//! - `GET` reads ([`Idempotency::SafeRead`]), unless the page says it generates events:
//!   then it does something on the gateway ([`Idempotency::Acts`]);
//! - `PUT` and `DELETE` set or remove something ([`Idempotency::IdempotentWrite`]),
//!   unless they generate execution events (`ExecutionStateChangedEvent`,
//!   `ExecutionRegisteredEvent`): those launch or cancel executions, and acts;
//! - every other method (`POST`, `PATCH`) acts.

use crate::curated::{Curated, CuratedError};
use crate::spec::{Idempotency, Operation, Spec};

/// Events that show an operation launches or cancels an execution.
const EXECUTION_EVENTS: &[&str] = &["ExecutionRegisteredEvent", "ExecutionStateChangedEvent"];

/// The class the rule gives, with the reason.
pub fn rule(op: &Operation) -> (Idempotency, &'static str) {
    match op.method.as_str() {
        "GET" if op.events.is_empty() => (Idempotency::SafeRead, "GET without events"),
        "GET" => (Idempotency::Acts, "GET that generates events"),
        "PUT" | "DELETE"
            if op
                .events
                .iter()
                .any(|e| EXECUTION_EVENTS.contains(&e.as_str())) =>
        {
            (
                Idempotency::Acts,
                "PUT/DELETE that generates execution events",
            )
        }
        "PUT" | "DELETE" => (Idempotency::IdempotentWrite, "PUT/DELETE"),
        _ => (Idempotency::Acts, "POST/PATCH"),
    }
}

/// Sets every operation's class: the curated entry for it if there is one, the rule
/// otherwise. Fails on a curated entry that names no operation or only repeats the
/// rule (so the list stays the list of exceptions).
pub fn apply(spec: &mut Spec, curated: &Curated) -> Result<(), CuratedError> {
    let mut problems = Vec::new();
    for entry in &curated.idempotency {
        let e = &entry.value;
        let Some(op) = spec
            .operations
            .iter()
            .find(|op| format!("{} {}", op.method, op.path) == e.operation)
        else {
            problems.push(format!(
                "[[idempotency]] operation = {:?} matches no operation",
                e.operation
            ));
            continue;
        };
        let (by_rule, why) = rule(op);
        if by_rule == e.class {
            problems.push(format!(
                "[[idempotency]] operation = {:?} repeats the rule ({why})",
                e.operation
            ));
        }
    }
    // Entries written for the newest page may not fit a previous version of it.
    if !problems.is_empty() && !curated.is_for_previous_version() {
        return Err(CuratedError(problems.join("\n  ")));
    }
    for op in &mut spec.operations {
        let name = format!("{} {}", op.method, op.path);
        let curated_class = curated
            .idempotency
            .iter()
            .find(|e| e.value.operation == name)
            .map(|e| e.get().class);
        op.idempotency = Some(curated_class.unwrap_or_else(|| rule(op).0));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(method: &str, path: &str, events: &[&str]) -> Operation {
        Operation {
            method: method.into(),
            path: path.into(),
            title: String::new(),
            summary: String::new(),
            description: String::new(),
            group: String::new(),
            category: None,
            deprecated_since: None,
            access_scope: None,
            rate_limit: None,
            content_type: "application/json".into(),
            params: vec![],
            request_body: None,
            response: None,
            status: None,
            events: events.iter().map(|e| (*e).to_owned()).collect(),
            allowed_values: vec![],
            allowed_types: vec![],
            idempotency: None,
        }
    }

    #[test]
    fn the_rule() {
        assert_eq!(rule(&op("GET", "/setup", &[])).0, Idempotency::SafeRead);
        assert_eq!(
            rule(&op(
                "GET",
                "/x/PropagateTransferKey",
                &["ExecutionStateChangedEvent"]
            ))
            .0,
            Idempotency::Acts
        );
        assert_eq!(
            rule(&op(
                "PUT",
                "/setup/devices/{deviceURL}/{label}",
                &["DeviceUpdatedEvent"]
            ))
            .0,
            Idempotency::IdempotentWrite
        );
        assert_eq!(
            rule(&op(
                "DELETE",
                "/exec/current",
                &["ExecutionStateChangedEvent"]
            ))
            .0,
            Idempotency::Acts
        );
        assert_eq!(rule(&op("POST", "/exec/apply", &[])).0, Idempotency::Acts);
    }

    #[test]
    fn curated_exceptions_apply_and_stale_ones_fail() {
        let mut spec = Spec {
            title: String::new(),
            groups: vec![],
            operations: vec![op("PUT", "/a/update", &[]), op("GET", "/b", &[])],
            events: vec![],
            previous_version: None,
            removed_events: vec![],
            removed_operations: vec![],
        };
        let curated = Curated::parse(
            "[[idempotency]]\noperation = \"PUT /a/update\"\nclass = \"acts\"\nwhy = \"updates\"\n",
        )
        .unwrap();
        apply(&mut spec, &curated).unwrap();
        assert_eq!(spec.operations[0].idempotency, Some(Idempotency::Acts));
        assert_eq!(spec.operations[1].idempotency, Some(Idempotency::SafeRead));
        assert!(curated.unused().is_empty());

        let stale = Curated::parse(
            "[[idempotency]]\noperation = \"PUT /gone\"\nclass = \"acts\"\nwhy = \"x\"\n\n[[idempotency]]\noperation = \"GET /b\"\nclass = \"safe_read\"\nwhy = \"x\"\n",
        )
        .unwrap();
        let err = apply(&mut spec, &stale).unwrap_err().to_string();
        assert!(err.contains("\"PUT /gone\" matches no operation"), "{err}");
        assert!(
            err.contains("\"GET /b\" repeats the rule (GET without events)"),
            "{err}"
        );
    }

    #[test]
    fn entries_for_a_newer_page_are_no_error_on_a_previous_version() {
        // The curated file follows the newest page: an older one may lack the
        // operation an entry names.
        let mut spec = Spec {
            title: String::new(),
            groups: vec![],
            operations: vec![op("POST", "/b/read", &[])],
            events: vec![],
            previous_version: None,
            removed_events: vec![],
            removed_operations: vec![],
        };
        let text = "[[idempotency]]\noperation = \"POST /a/new\"\nclass = \"safe_read\"\nwhy = \"reads\"\n";
        let strict = Curated::parse(text).unwrap();
        assert!(apply(&mut spec, &strict).is_err());
        let previous = Curated::parse(text).unwrap().for_previous_version();
        apply(&mut spec, &previous).unwrap();
        assert_eq!(spec.operations[0].idempotency, Some(Idempotency::Acts));
        assert!(previous.unused().is_empty());
    }
}
