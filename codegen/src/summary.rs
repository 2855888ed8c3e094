//! Counts over a spec, printed by `cargo xtask codegen` and checked by tests against
//! an independent count of the documentation.

use std::collections::BTreeMap;
use std::fmt;

use crate::spec::{ParamLocation, Spec};

/// What a spec contains, in numbers.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Summary {
    /// Number of operations.
    pub operations: usize,
    /// Number of distinct `METHOD path` pairs.
    pub distinct_method_paths: usize,
    /// Operations marked deprecated.
    pub deprecated: usize,
    /// Path parameters over all operations.
    pub path_params: usize,
    /// Query parameters over all operations.
    pub query_params: usize,
    /// Optional parameters.
    pub optional_params: usize,
    /// Optional parameters with a documented default.
    pub params_with_default: usize,
    /// Operations with a request body.
    pub request_bodies: usize,
    /// Of those, bodies that may be omitted.
    pub optional_request_bodies: usize,
    /// Operations with a response body.
    pub response_bodies: usize,
    /// Number of operations per success status code.
    pub status_codes: BTreeMap<u16, usize>,
    /// Operations with a documented rate limit.
    pub rate_limited: usize,
    /// Operations that list the events they generate.
    pub with_events: usize,
    /// Distinct event types.
    pub event_types: usize,
    /// "See Allowed Values" blocks (one per operation that has them).
    pub allowed_value_blocks: usize,
    /// Titled tables inside those blocks.
    pub allowed_value_tables: usize,
    /// "See Allowed Types" blocks.
    pub allowed_type_blocks: usize,
    /// Titled type lists inside those blocks.
    pub allowed_type_lists: usize,
    /// Distinct content types, sorted.
    pub content_types: Vec<String>,
    /// Number of groups.
    pub groups: usize,
}

impl Summary {
    /// Counts what `spec` contains.
    pub fn of(spec: &Spec) -> Summary {
        let ops = &spec.operations;
        let params = || ops.iter().flat_map(|o| &o.params);
        let mut status_codes = BTreeMap::new();
        for op in ops {
            if let Some(status) = &op.status {
                *status_codes.entry(status.code).or_insert(0) += 1;
            }
        }
        let mut content_types: Vec<String> = ops.iter().map(|o| o.content_type.clone()).collect();
        content_types.sort();
        content_types.dedup();
        let mut method_paths: Vec<(&str, &str)> = ops
            .iter()
            .map(|o| (o.method.as_str(), o.path.as_str()))
            .collect();
        method_paths.sort_unstable();
        method_paths.dedup();
        Summary {
            operations: ops.len(),
            distinct_method_paths: method_paths.len(),
            deprecated: ops.iter().filter(|o| o.deprecated_since.is_some()).count(),
            path_params: params()
                .filter(|p| p.location == ParamLocation::Path)
                .count(),
            query_params: params()
                .filter(|p| p.location == ParamLocation::Query)
                .count(),
            optional_params: params().filter(|p| !p.required).count(),
            params_with_default: params().filter(|p| p.default.is_some()).count(),
            request_bodies: ops.iter().filter(|o| o.request_body.is_some()).count(),
            optional_request_bodies: ops
                .iter()
                .filter(|o| o.request_body.as_ref().is_some_and(|b| !b.required))
                .count(),
            response_bodies: ops.iter().filter(|o| o.response.is_some()).count(),
            status_codes,
            rate_limited: ops.iter().filter(|o| o.rate_limit.is_some()).count(),
            with_events: ops.iter().filter(|o| !o.events.is_empty()).count(),
            event_types: spec.events.len(),
            allowed_value_blocks: ops.iter().filter(|o| !o.allowed_values.is_empty()).count(),
            allowed_value_tables: ops.iter().map(|o| o.allowed_values.len()).sum(),
            allowed_type_blocks: ops.iter().filter(|o| !o.allowed_types.is_empty()).count(),
            allowed_type_lists: ops.iter().map(|o| o.allowed_types.len()).sum(),
            content_types,
            groups: spec.groups.len(),
        }
    }
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let codes: Vec<String> = self
            .status_codes
            .iter()
            .map(|(c, n)| format!("{c} on {n}"))
            .collect();
        writeln!(
            f,
            "operations:            {} ({} distinct method + path) in {} groups",
            self.operations, self.distinct_method_paths, self.groups
        )?;
        writeln!(f, "deprecated:            {}", self.deprecated)?;
        writeln!(
            f,
            "parameters:            {} path, {} query; {} optional, {} with a default",
            self.path_params, self.query_params, self.optional_params, self.params_with_default
        )?;
        writeln!(
            f,
            "request bodies:        {} ({} optional)",
            self.request_bodies, self.optional_request_bodies
        )?;
        writeln!(f, "response bodies:       {}", self.response_bodies)?;
        writeln!(f, "status codes:          {}", codes.join(", "))?;
        writeln!(f, "rate-limited:          {}", self.rate_limited)?;
        writeln!(
            f,
            "generating events:     {} operations, {} distinct event types",
            self.with_events, self.event_types
        )?;
        writeln!(
            f,
            "allowed values:        {} blocks, {} tables",
            self.allowed_value_blocks, self.allowed_value_tables
        )?;
        writeln!(
            f,
            "allowed types:         {} blocks, {} lists",
            self.allowed_type_blocks, self.allowed_type_lists
        )?;
        write!(
            f,
            "content types:         {}",
            self.content_types.join(", ")
        )
    }
}
