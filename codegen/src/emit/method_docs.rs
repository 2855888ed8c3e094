//! The documentation of `calls/<group>.rs`: of each group's `impl Client`
//! block (its name and description), of each method (summary, `METHOD /path`,
//! arguments, options, rate limit, resend rule, events), and of each option and
//! form field.

use super::endpoints::{form_name, has_options, is_form, options};
use super::{code, doc_text};
use crate::ir::{Ir, OpDef, ParamDef, Ty};
use crate::names::ident_text;
use crate::spec::{Idempotency, ParamLocation, RateLimitScope};

/// The documentation of a group's `impl Client` block: its name as a heading, its
/// category and description when it has them.
pub(super) fn group_doc(ir: &Ir, op: &OpDef) -> Vec<String> {
    let (name, category) = (&op.spec.group, &op.spec.category);
    let mut lines = vec![format!("# {}", escape_heading(name)), String::new()];
    if let Some(category) = category {
        lines.push(format!("Category {}.", escape_heading(category)));
        lines.push(String::new());
    }
    let group = ir
        .groups
        .iter()
        .find(|g| &g.name == name && &g.category == category);
    if let Some(description) = group.and_then(|g| g.description.as_deref()) {
        lines.extend(doc_text(description));
    }
    while lines.last().is_some_and(|l| l.is_empty()) {
        lines.pop();
    }
    lines
}

/// A group's name as Markdown text.
fn escape_heading(name: &str) -> String {
    doc_text(name).join(" ")
}

/// The documentation of an option or form field.
pub(super) fn param_doc(p: &ParamDef, form: bool) -> Vec<String> {
    let mut lines = p.description.as_deref().map(doc_text).unwrap_or_default();
    let kind = match p.location {
        ParamLocation::Path => "Path",
        ParamLocation::Query if p.ty == Ty::Upload => "Multipart field",
        ParamLocation::Query if form => "Form field",
        ParamLocation::Query => "Query",
    };
    let mut notes = vec![format!("{kind} `{}`", p.wire)];
    if let Some(d) = &p.default {
        notes.push(format!("default {}", code(d)));
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("{}.", notes.join(", ")));
    lines
}

pub(super) fn method_doc(op: &OpDef) -> Vec<String> {
    let s = &op.spec;
    // The summary, then the `METHOD /path` line users search for, then the rest.
    // A page's `Private tags : [ … ]` line is no summary: it goes after the rest.
    let mut description = doc_text(&s.description);
    let private_tags = description
        .first()
        .is_some_and(|l| crate::spec::is_private_tags_line(l))
        .then(|| description.remove(0));
    let mut description = description.into_iter().skip_while(|l| l.is_empty());
    let mut lines: Vec<String> = description.next().into_iter().collect();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(code(&format!("{} {}", s.method, s.path)));
    let rest: Vec<String> = description
        .skip_while(|l| l.is_empty())
        .chain(private_tags)
        .collect();
    if !rest.is_empty() {
        lines.push(String::new());
        lines.extend(rest);
    }
    let form = is_form(op);
    let describe = |p: &ParamDef, name: String| {
        let mut line = format!("- {name}");
        let mut notes = Vec::new();
        if p.location == ParamLocation::Query {
            notes.push(format!("query `{}`", p.wire));
        }
        if let Some(d) = &p.default {
            notes.push(format!("default {}", code(d)));
        }
        if !notes.is_empty() {
            line.push_str(&format!(" ({})", notes.join(", ")));
        }
        if let Some(d) = &p.description {
            line.push_str(": ");
            line.push_str(&doc_text(d).join(" "));
        }
        line
    };
    let mut params: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.required && !(form && p.location == ParamLocation::Query))
        .map(|p| {
            describe(
                p,
                format!("`{}`", ident_text(&p.rust).trim_start_matches("r#")),
            )
        })
        .collect();
    if form {
        params.push(format!(
            "- `form`: the parameters, as a form body ([`{}`](crate::calls::{}))",
            form_name(op),
            form_name(op)
        ));
    }
    if let (Some((_, true)), Some(b)) = (&op.body, &s.request_body) {
        let mut line = "- `body`".to_owned();
        if let Some(d) = &b.description {
            line.push_str(": ");
            line.push_str(&doc_text(d).join(" "));
        }
        params.push(line);
    }
    if !params.is_empty() {
        lines.push(String::new());
        lines.push("Arguments:".to_owned());
        lines.extend(params);
    }
    if has_options(op) {
        let call = &op.call_name;
        let mut opts: Vec<String> = options(op)
            .into_iter()
            .map(|p| {
                let name = ident_text(&p.rust).trim_start_matches("r#").to_owned();
                describe(p, format!("[`{name}`](crate::calls::{call}::{name})"))
            })
            .collect();
        if let Some((_, false)) = &op.body {
            let mut line = format!("- [`body`](crate::calls::{call}::body)");
            if let Some(d) = s.request_body.as_ref().and_then(|b| b.description.as_ref()) {
                line.push_str(": ");
                line.push_str(&doc_text(d).join(" "));
            }
            opts.push(line);
        }
        lines.push(String::new());
        lines.push(format!(
            "Options (methods of the returned [`{call}`](crate::calls::{call})):"
        ));
        lines.extend(opts);
    }
    if let Some(r) = &s.response {
        if let Some(d) = &r.description {
            lines.push(String::new());
            lines.push(format!("Returns: {}", doc_text(d).join(" ")));
        }
    }
    if let Some(r) = &s.rate_limit {
        let scope = match r.scope {
            RateLimitScope::Operation => "for this operation",
            RateLimitScope::Category => "for all operations of the category",
        };
        lines.push(String::new());
        lines.push(format!(
            "Rate limit: {} call{} per {} {scope} (`{}`), per session.",
            r.calls,
            if r.calls == 1 { "" } else { "s" },
            r.period,
            r.category
        ));
    }
    lines.push(String::new());
    lines.push(
        match s
            .idempotency
            .unwrap_or_else(|| crate::idempotency::rule(s).0)
        {
            Idempotency::SafeRead => "Safe read: resent automatically after a transient failure.",
            Idempotency::IdempotentWrite => {
                "Idempotent write: resent automatically after a transient failure."
            }
            Idempotency::Acts => {
                "Acts: never resent once it may have reached the server; a failure after that \
                 is [`ErrorKind::OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown)."
            }
        }
        .to_owned(),
    );
    if !s.events.is_empty() {
        lines.push(String::new());
        let events: Vec<String> = s
            .events
            .iter()
            .map(|e| format!("[`{e}`](crate::types::{e})"))
            .collect();
        lines.push(format!("Generates: {}.", events.join(", ")));
    }
    if let Some(v) = &s.deprecated_since {
        lines.push(String::new());
        lines.push(format!("Deprecated since version {v}."));
    }
    if let Some(v) = &op.removed_after {
        lines.push(String::new());
        lines.push(format!(
            "Documented up to version {v} only: the newest documentation no longer lists it."
        ));
    }
    lines
}
