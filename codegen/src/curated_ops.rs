//! Operations the documentation lacks (the local API's `GET /apiVersion`, the local
//! token operations the apps use), written in `curated.toml` as a page in the
//! documentation's own text layout, parsed by the same parser and appended to the
//! spec in their own group, so they are generated like the others.
//!
//! An operation the documentation gains later fails the generation: the curated copy
//! must then be removed.

use crate::curated::{Curated, CuratedError};
use crate::spec::Spec;

/// The file name given to the page in parse errors.
const PAGE_NAME: &str = "curated.toml [operations]";

/// Parses the curated page and appends its groups and operations to `spec`.
pub fn apply(spec: &mut Spec, curated: &Curated) -> Result<(), CuratedError> {
    let Some(page) = &curated.operations else {
        return Ok(());
    };
    let extra = crate::parse(PAGE_NAME, page.get()).map_err(|e| CuratedError(e.to_string()))?;
    for op in &extra.operations {
        if spec
            .operations
            .iter()
            .any(|o| o.method == op.method && o.path == op.path)
        {
            return Err(CuratedError(format!(
                "[operations] {} {} is documented now: remove it from the curated page",
                op.method, op.path
            )));
        }
    }
    for group in extra.groups {
        if spec.groups.iter().any(|g| g.name == group.name) {
            return Err(CuratedError(format!(
                "[operations] group {:?} exists in the documentation",
                group.name
            )));
        }
        spec.groups.push(group);
    }
    spec.operations.extend(extra.operations);
    for event in extra.events {
        if !spec.events.iter().any(|e| e.name == event.name) {
            spec.events.push(event);
        }
    }
    spec.events.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(())
}
