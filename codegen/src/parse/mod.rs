//! Parser of the Overkiz End-User API documentation page (saved as text) into the
//! normalized [`Spec`].
//!
//! The parser is strict: every line is either consumed into the model or is known
//! page chrome (see [`is_chrome`]); anything else fails with
//! `FILE:LINE: expected …, found …`. It never panics on bad input.
//!
//! The page is a sequence of headings and operations:
//!
//! ```text
//! Category                      <- a name followed by tab-only lines, then "Expand commands"
//! Group                         <- a name, optional description, "Read more",
//!                                  "Private tags : [ … ]", then "Expand commands"
//! METHOD Title [[DEPRECATED] since version V] /path content/type
//! description lines
//! [Per-session rate-limit : …]
//! Access scope : Public
//! [Parameters …] [Request Body (JSON) …] [Response …]
//! HTTP Status Code …
//! [Generated events on method call …] [See Allowed Values …] [See Allowed Types …]
//! ```

pub mod json;
pub mod schema;

use std::collections::BTreeMap;

use crate::spec::{
    AllowedTypes, AllowedValue, AllowedValues, EventType, Field, Group, Operation, Param,
    ParamLocation, RateLimit, RateLimitScope, RequestBody, ResponseBody, Schema, Spec, Status,
    TypeVariant,
};
use json::{BlockScanner, Json};

/// A line of the documentation the parser cannot place.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{file}:{line}: expected {expected}, found {found}")]
pub struct ParseError {
    /// Name of the documentation file.
    pub file: String,
    /// 1-based line number.
    pub line: usize,
    /// What the grammar allows here.
    pub expected: String,
    /// What the line holds.
    pub found: String,
}

const HTTP_METHODS: &[&str] = &["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"];
const PARAMS_HEADER: &str = "Type Name Value Description";
const STATUS_HEADER: &str = "Code Message Meaning";
const FIELDS_HEADER: &str = "Field name Field description";
const EVENTS_HEADING: &str = "Generated events on method call";
const ALLOWED_VALUES_HEADING: &str = "See Allowed Values";
const ALLOWED_TYPES_HEADING: &str = "See Allowed Types";
const VALUES_HEADER: &str = "Name Code Meaning";

/// Lines that are page controls, not content: they carry no meaning.
pub fn is_chrome(line: &str) -> bool {
    matches!(
        line,
        "Expand commands"
            | "Read more"
            | "Expand/collapse all"
            | "Hide/show deprecated"
            | "You are not logged-in ! Full documentation is not available."
            | "> Test operation"
    ) || is_tab_only(line)
}

/// Whitespace-only lines that are not empty: the page's empty table cells and
/// layout indentation.
fn is_tab_only(line: &str) -> bool {
    !line.is_empty() && line.trim().is_empty()
}

/// Parses the documentation text. `file` names it in error messages.
pub fn parse(file: &str, text: &str) -> Result<Spec, ParseError> {
    run(file, text, false).map(|(spec, _)| spec)
}

/// An event's JSON example as the page shows it (for tests that decode them).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EventExample {
    /// 1-based line of the event name.
    pub line: usize,
    /// Event name.
    pub name: String,
    /// The JSON text.
    pub json: String,
}

/// Parses the documentation and also returns every event example, in page order.
/// The examples are not part of the spec: their numbers change with every render.
pub fn parse_with_examples(
    file: &str,
    text: &str,
) -> Result<(Spec, Vec<EventExample>), ParseError> {
    run(file, text, true)
}

fn run(
    file: &str,
    text: &str,
    collect_examples: bool,
) -> Result<(Spec, Vec<EventExample>), ParseError> {
    let lines: Vec<&str> = text.lines().collect();
    let mut parser = Parser {
        file,
        lines,
        pos: 0,
        collect_examples,
        examples: Vec::new(),
    };
    let spec = parser.document()?;
    Ok((spec, parser.examples))
}

/// One occurrence of an event under an operation, before merging.
struct EventOccurrence {
    line: usize,
    name: String,
    /// The wire field that names the event (`name` or `type`).
    tag: String,
    description: Option<String>,
    fields: Vec<Field>,
}

struct Parser<'a> {
    file: &'a str,
    lines: Vec<&'a str>,
    /// Index (0-based) of the next line to read.
    pos: usize,
    /// Whether to keep the event examples (tests decode them).
    collect_examples: bool,
    /// Event examples seen so far.
    examples: Vec<EventExample>,
}

impl<'a> Parser<'a> {
    // ----- cursor ---------------------------------------------------------------

    fn peek(&self) -> Option<&'a str> {
        self.lines.get(self.pos).copied()
    }

    fn peek_at(&self, offset: usize) -> Option<&'a str> {
        self.lines.get(self.pos + offset).copied()
    }

    fn advance(&mut self) -> &'a str {
        let line = self.lines[self.pos];
        self.pos += 1;
        line
    }

    /// 1-based number of the next line.
    fn line_no(&self) -> usize {
        self.pos + 1
    }

    fn error_at(&self, index: usize, expected: impl Into<String>) -> ParseError {
        let found = match self.lines.get(index) {
            None => "end of file".to_owned(),
            Some(&"") => "a blank line".to_owned(),
            Some(l) => {
                let l = l.trim();
                if l.chars().count() > 80 {
                    format!("`{}…`", l.chars().take(80).collect::<String>())
                } else {
                    format!("`{l}`")
                }
            }
        };
        ParseError {
            file: self.file.to_owned(),
            line: index + 1,
            expected: expected.into(),
            found,
        }
    }

    fn error(&self, expected: impl Into<String>) -> ParseError {
        self.error_at(self.pos, expected)
    }

    /// Consumes a line equal to `text`.
    fn expect(&mut self, text: &str) -> Result<(), ParseError> {
        if self.peek() == Some(text) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.error(format!("`{text}`")))
        }
    }

    /// Consumes a line that is not blank and returns it trimmed.
    fn expect_text(&mut self, what: &str) -> Result<&'a str, ParseError> {
        match self.peek() {
            Some(l) if !l.trim().is_empty() => {
                self.pos += 1;
                Ok(l.trim())
            }
            _ => Err(self.error(what.to_owned())),
        }
    }

    fn skip_blank(&mut self) {
        while self.peek().is_some_and(|l| l.is_empty()) {
            self.pos += 1;
        }
    }

    fn skip_blank_and_chrome(&mut self) {
        while self.peek().is_some_and(|l| l.is_empty() || is_chrome(l)) {
            self.pos += 1;
        }
    }

    /// Whether the next line ends the parameters of an operation: the next
    /// operation, a trailing section, a heading or the end of the page.
    fn ends_operation_here(&self) -> bool {
        match self.peek() {
            None => true,
            Some(l) => {
                split_operation_heading(l).is_some()
                    || l == EVENTS_HEADING
                    || l == ALLOWED_VALUES_HEADING
                    || l == ALLOWED_TYPES_HEADING
                    || self.pos > 0 && self.lines[self.pos - 1].is_empty()
            }
        }
    }

    // ----- document and headings ------------------------------------------------

    fn document(&mut self) -> Result<Spec, ParseError> {
        self.skip_blank_and_chrome();
        let title = self.expect_text("the page title")?.to_owned();
        let mut groups: Vec<Group> = Vec::new();
        let mut operations: Vec<Operation> = Vec::new();
        let mut occurrences: Vec<EventOccurrence> = Vec::new();
        let mut category: Option<String> = None;
        loop {
            self.skip_blank_and_chrome();
            let Some(line) = self.peek() else { break };
            if split_operation_heading(line).is_some() {
                let Some(group) = groups.last() else {
                    return Err(self.error("a group heading before the first operation"));
                };
                let (op, events) = self.operation(group)?;
                operations.push(op);
                occurrences.extend(events);
            } else if let Some(name) = self.category_heading() {
                category = Some(name);
            } else {
                groups.push(self.group_heading(category.clone())?);
            }
        }
        if operations.is_empty() {
            return Err(self.error("at least one operation"));
        }
        let events = merge_events(self.file, occurrences)?;
        Ok(Spec {
            title,
            groups,
            operations,
            events,
            previous_version: None,
            removed_events: Vec::new(),
            removed_operations: Vec::new(),
        })
    }

    /// A category heading is a name followed only by blank and tab-only lines up to
    /// "Expand commands".
    fn category_heading(&mut self) -> Option<String> {
        let name = self.peek()?.trim();
        let mut i = self.pos + 1;
        let mut saw_tabs = false;
        while let Some(l) = self.lines.get(i) {
            if l.is_empty() {
            } else if is_tab_only(l) {
                saw_tabs = true;
            } else if *l == "Expand commands" && saw_tabs {
                self.pos = i + 1;
                return Some(name.to_owned());
            } else {
                return None;
            }
            i += 1;
        }
        None
    }

    /// A group heading: name, blank line, optional description, optional "Read more",
    /// optional private tags, then "Expand commands".
    fn group_heading(&mut self, category: Option<String>) -> Result<Group, ParseError> {
        if self.pos > 0 && !self.lines[self.pos - 1].is_empty() {
            return Err(self.error(
                "an operation heading (`METHOD Title /path content/type`) or a blank line",
            ));
        }
        let name = self.expect_text("a group heading")?.to_owned();
        if self.peek() != Some("") {
            return Err(self.error("a blank line after the group heading"));
        }
        self.skip_blank();
        let mut description: Vec<&str> = Vec::new();
        let mut private_tags = Vec::new();
        loop {
            let Some(line) = self.peek() else {
                return Err(self.error("`Expand commands` after the group heading"));
            };
            if line == "Expand commands" {
                self.pos += 1;
                break;
            } else if line == "Read more" || is_tab_only(line) {
                self.pos += 1;
            } else if let Some(tags) = line.strip_prefix("Private tags : ") {
                private_tags = parse_private_tags(tags)
                    .map(|mut t| {
                        t.sort();
                        t.dedup();
                        t
                    })
                    .ok_or_else(|| self.error("`Private tags : [ tag, … ]`"))?;
                self.pos += 1;
            } else if split_operation_heading(line).is_some() {
                return Err(self.error("`Expand commands` after the group heading"));
            } else {
                description.push(line.trim());
                self.pos += 1;
            }
        }
        while description.last() == Some(&"") {
            description.pop();
        }
        let description = (!description.is_empty()).then(|| description.join("\n"));
        Ok(Group {
            category,
            name,
            description,
            private_tags,
        })
    }

    // ----- operations -------------------------------------------------------------

    fn operation(
        &mut self,
        group: &Group,
    ) -> Result<(Operation, Vec<EventOccurrence>), ParseError> {
        let heading_index = self.pos;
        let heading = self.advance();
        let h = split_operation_heading(heading).expect("checked by the caller");
        let deprecated_since = match h.deprecated {
            None => None,
            Some(marker) => Some(
                marker
                    .strip_prefix("[DEPRECATED] since version ")
                    .filter(|v| !v.is_empty() && !v.contains(' '))
                    .ok_or_else(|| {
                        self.error_at(
                            heading_index,
                            "`[DEPRECATED] since version X.Y` in the operation heading",
                        )
                    })?
                    .to_owned(),
            ),
        };

        // Description (optional): the lines up to the rate limit, the access scope or
        // the first section; paragraphs are separated by blank lines.
        let mut description = Vec::new();
        while let Some(line) = self.peek() {
            if starts_operation_part(line) || split_operation_heading(line).is_some() {
                break;
            }
            description.push(line.trim_end());
            self.pos += 1;
        }
        while description.last().is_some_and(|l| l.trim().is_empty()) {
            description.pop();
        }
        while description.first().is_some_and(|l| l.trim().is_empty()) {
            description.remove(0);
        }

        let rate_limit = match self.peek() {
            Some(l) if l.starts_with("Per-session rate-limit") => {
                let rl = parse_rate_limit(l).ok_or_else(|| {
                    self.error("`Per-session rate-limit : N calls per PERIOD period for this particular operation (CATEGORY)` or `… for all operations of the same category (CATEGORY)`")
                })?;
                self.pos += 1;
                Some(rl)
            }
            _ => None,
        };
        let access_scope = match self.peek() {
            Some(l) if l.starts_with("Access scope :") => {
                let scope = l["Access scope :".len()..].trim();
                if scope.is_empty() {
                    return Err(self.error("`Access scope : SCOPE`"));
                }
                self.pos += 1;
                Some(scope.to_owned())
            }
            _ => None,
        };
        self.skip_blank_and_chrome();

        let mut params = Vec::new();
        let mut request_body = None;
        if self.peek() == Some("Parameters") {
            self.pos += 1;
            self.expect(PARAMS_HEADER)?;
            loop {
                let save = self.pos;
                self.skip_blank_and_chrome();
                let line = self.peek().unwrap_or_default();
                if line == "Request Body (JSON)" {
                    if request_body.is_some() {
                        return Err(self.error("a single request body"));
                    }
                    request_body = Some(self.request_body()?);
                } else if line.starts_with("Path Variable ")
                    || line.starts_with("Request Parameter ")
                {
                    params.push(self.param()?);
                } else if line == "Response" || line == "HTTP Status Code" {
                    break;
                } else if self.ends_operation_here() {
                    // After a blank line: the next operation, a trailing section or
                    // a heading.
                    self.pos = save;
                    break;
                } else {
                    return Err(self.error(
                        "a parameter (`Path Variable NAME`, `Request Parameter NAME`), `Request Body (JSON)`, `Response` or `HTTP Status Code`",
                    ));
                }
            }
            if params.is_empty() && request_body.is_none() {
                return Err(self.error("a parameter or a request body after `Parameters`"));
            }
        }

        let response = if self.peek() == Some("Response") {
            self.pos += 1;
            self.expect(PARAMS_HEADER)?;
            self.expect("Response Body (JSON)")?;
            if self.peek() == Some("HTTP Status Code") {
                // A response row with an empty example (the August 2026 page's `204`
                // answers on local devices): the page shows no body, so there is none
                // to type.
                None
            } else {
                let schema = self.json_schema()?;
                let description = self.optional_description();
                Some(ResponseBody {
                    schema,
                    description,
                })
            }
        } else {
            None
        };

        let status = if self.peek() == Some("HTTP Status Code") {
            Some(self.status()?)
        } else {
            None
        };

        let mut events = Vec::new();
        let mut allowed_values = Vec::new();
        let mut allowed_types = Vec::new();
        loop {
            // Trailing sections, each optional, each at most once.
            let save = self.pos;
            self.skip_blank_and_chrome();
            match self.peek() {
                Some(EVENTS_HEADING) if events.is_empty() => {
                    self.pos += 1;
                    self.skip_blank();
                    events = self.events()?;
                }
                Some(ALLOWED_VALUES_HEADING) if allowed_values.is_empty() => {
                    self.pos += 1;
                    allowed_values = self.allowed_values()?;
                }
                Some(ALLOWED_TYPES_HEADING) if allowed_types.is_empty() => {
                    self.pos += 1;
                    allowed_types = self.allowed_types()?;
                }
                Some(l) if split_operation_heading(l).is_some() => break,
                None => break,
                Some(_)
                    if self.pos > 0
                        && is_blank_or_chrome(self.lines[self.pos - 1])
                        && self.peek_at(1).is_none_or(|next| next.trim().is_empty()) =>
                {
                    // After a blank line: a heading, which the document loop reads.
                    self.pos = save;
                    break;
                }
                Some(_) => {
                    return Err(self.error(format!(
                        "an operation heading, `{EVENTS_HEADING}`, `{ALLOWED_VALUES_HEADING}`, `{ALLOWED_TYPES_HEADING}`, `Parameters`, `Response`, `HTTP Status Code` or a group heading after a blank line"
                    )))
                }
            }
        }

        // Each path variable must appear in the path, and each `{name}` must be documented.
        let placeholders = path_placeholders(h.path);
        for p in params.iter().filter(|p| p.location == ParamLocation::Path) {
            if !placeholders.contains(&p.name.as_str()) {
                return Err(ParseError {
                    file: self.file.to_owned(),
                    line: heading_index + 1,
                    expected: format!("path variable `{}` in the path", p.name),
                    found: format!("`{}`", h.path),
                });
            }
        }

        let op = Operation {
            method: h.method.to_owned(),
            path: h.path.to_owned(),
            title: h.title.to_owned(),
            // The first line, unless it is a `Private tags : [ … ]` line.
            summary: description
                .iter()
                .find(|l| !l.trim().is_empty() && !crate::spec::is_private_tags_line(l))
                .copied()
                .unwrap_or_default()
                .to_owned(),
            description: description.join("\n"),
            group: group.name.clone(),
            category: group.category.clone(),
            deprecated_since,
            access_scope,
            rate_limit,
            content_type: h.content_type.to_owned(),
            params,
            request_body,
            response,
            status,
            events: canonical_events(&events),
            allowed_values: canonical_allowed_values(allowed_values),
            allowed_types: canonical_allowed_types(allowed_types),
            idempotency: None,
        };
        Ok((op, events))
    }

    fn param(&mut self) -> Result<Param, ParseError> {
        let line = self.advance();
        let (location, name) = if let Some(n) = line.strip_prefix("Path Variable ") {
            (ParamLocation::Path, n)
        } else {
            (
                ParamLocation::Query,
                line.strip_prefix("Request Parameter ").unwrap_or_default(),
            )
        };
        let name = name.trim();
        if name.is_empty() || name.contains(char::is_whitespace) {
            return Err(self.error_at(
                self.pos - 1,
                "`Path Variable NAME` or `Request Parameter NAME`",
            ));
        }
        let (example, schema) = match self.peek() {
            Some(v @ "<Uploaded File> (multipart encoded body)") => {
                self.pos += 1;
                (v.to_owned(), Schema::File)
            }
            Some(v) if json::starts_json(v) => {
                let start = self.pos;
                let schema = self.json_schema()?;
                (self.lines[start..self.pos].join("\n"), schema)
            }
            _ => return Err(self.error(format!("the example value of parameter `{name}`"))),
        };
        let (required, default) = self.optional_marker()?;
        let description = self.optional_description();
        Ok(Param {
            name: name.to_owned(),
            location,
            required,
            example,
            schema,
            default,
            description,
        })
    }

    fn request_body(&mut self) -> Result<RequestBody, ParseError> {
        self.expect("Request Body (JSON)")?;
        let schema = self.json_schema()?;
        let (required, default) = self.optional_marker()?;
        if default.is_some() {
            return Err(self.error_at(
                self.pos - 1,
                "`(Optional)` without a default for a request body",
            ));
        }
        let description = self.optional_description();
        Ok(RequestBody {
            required,
            schema,
            description,
        })
    }

    /// `(Optional)` or `(Optional) (Default: X)`; returns (required, default).
    fn optional_marker(&mut self) -> Result<(bool, Option<String>), ParseError> {
        let Some(line) = self.peek().filter(|l| l.starts_with("(Optional)")) else {
            return Ok((true, None));
        };
        let rest = line["(Optional)".len()..].trim();
        let default = if rest.is_empty() {
            None
        } else {
            match rest
                .strip_prefix("(Default: ")
                .and_then(|d| d.strip_suffix(')'))
            {
                Some(d) => Some(d.to_owned()),
                None => return Err(self.error("`(Optional)` or `(Optional) (Default: VALUE)`")),
            }
        };
        self.pos += 1;
        Ok((false, default))
    }

    /// The description cell of a parameter or body: the lines up to the next part of
    /// the operation or a blank line (a description may list things over several
    /// lines, indented or not).
    fn optional_description(&mut self) -> Option<String> {
        let starts_part = |line: &str| {
            line.is_empty()
                || is_chrome(line)
                || starts_operation_part(line)
                || line == "Request Body (JSON)"
                || line.starts_with("Path Variable ")
                || line.starts_with("Request Parameter ")
                || split_operation_heading(line).is_some()
        };
        let mut lines = Vec::new();
        while let Some(line) = self.peek().filter(|l| !starts_part(l)) {
            lines.push(line.trim());
            self.pos += 1;
        }
        (!lines.is_empty()).then(|| lines.join("\n"))
    }

    fn status(&mut self) -> Result<Status, ParseError> {
        self.expect("HTTP Status Code")?;
        self.expect(STATUS_HEADER)?;
        let code = match self
            .peek()
            .and_then(|l| l.parse::<u16>().ok())
            .filter(|c| (100..600).contains(c))
        {
            Some(c) => {
                self.pos += 1;
                c
            }
            None => return Err(self.error("an HTTP status code")),
        };
        let message = self
            .expect_text("the status message (`OK`, `NO_CONTENT`, …)")?
            .to_owned();
        let meaning = self.expect_text("the meaning of the status")?.to_owned();
        Ok(Status {
            code,
            message,
            meaning,
        })
    }

    // ----- JSON examples ----------------------------------------------------------

    /// Reads a JSON example starting on the next line and infers its schema.
    fn json_schema(&mut self) -> Result<Schema, ParseError> {
        let start = self.pos;
        let value = self.json_block()?;
        schema::infer(&value)
            .map_err(|msg| self.error_at(start, format!("a consistent JSON example ({msg})")))
    }

    fn json_block(&mut self) -> Result<Json, ParseError> {
        let start = self.pos;
        match self.peek() {
            Some(l) if json::starts_json(l) => {}
            _ => return Err(self.error("a JSON example")),
        }
        let mut scanner = BlockScanner::default();
        loop {
            let Some(line) = self.peek() else {
                return Err(self.error(format!(
                    "the rest of the JSON example opened at line {}",
                    start + 1
                )));
            };
            let inner = line.trim_start();
            let plausible = self.pos == start
                || inner.starts_with(['"', '{', '}', '[', ']', '-'])
                || inner.starts_with(|c: char| c.is_ascii_digit())
                || inner.starts_with("true")
                || inner.starts_with("false")
                || inner.starts_with("null");
            if !plausible {
                return Err(self.error(format!(
                    "the rest of the JSON example opened at line {}",
                    start + 1
                )));
            }
            self.pos += 1;
            if scanner.feed(line) {
                break;
            }
        }
        let text = self.lines[start..self.pos].join("\n");
        json::decode(&text)
            .map_err(|(offset, msg)| self.error_at(start + offset, format!("valid JSON ({msg})")))
    }

    // ----- events -----------------------------------------------------------------

    fn events(&mut self) -> Result<Vec<EventOccurrence>, ParseError> {
        let mut events = Vec::new();
        while self.at_event_heading() {
            events.push(self.event()?);
        }
        if events.is_empty() {
            return Err(self.error("an event name followed by `Description …`"));
        }
        Ok(events)
    }

    /// An event starts with its name on a line of its own, then `Description`.
    fn at_event_heading(&self) -> bool {
        let (Some(name), Some(next)) = (self.peek(), self.peek_at(1)) else {
            return false;
        };
        is_event_name(name) && (next == "Description" || next.starts_with("Description "))
    }

    fn event(&mut self) -> Result<EventOccurrence, ParseError> {
        let line = self.line_no();
        let name = self.advance().to_owned();
        let description = self.advance()["Description".len()..].trim();
        let description = (!description.is_empty()).then(|| description.to_owned());
        self.expect("JSON")?;
        let json_start = self.pos;
        let value = self.json_block()?;
        if self.collect_examples {
            self.examples.push(EventExample {
                line,
                name: name.clone(),
                json: self.lines[json_start..self.pos].join("\n"),
            });
        }
        let schema = schema::infer(&value).map_err(|msg| {
            self.error_at(json_start, format!("a consistent JSON example ({msg})"))
        })?;
        let Schema::Object { mut fields } = schema else {
            return Err(self.error_at(json_start, "a JSON object as event example"));
        };
        let tag = event_tag(&fields, &name).ok_or_else(|| {
            self.error_at(
                json_start,
                format!(
                    "an event example whose `name` is `{name}` (or, without a `name`, whose `type` is `{name}`)"
                ),
            )
        })?;
        // The tag says which event this is: it is not one of the event's fields.
        fields.retain(|f| f.name != tag);
        if self.peek() == Some(FIELDS_HEADER) {
            self.pos += 1;
            while let Some(row) = self.peek() {
                if row.is_empty()
                    || self.at_event_heading()
                    || !row.starts_with(|c: char| c.is_ascii_alphabetic())
                {
                    break;
                }
                if split_operation_heading(row).is_some()
                    || row == ALLOWED_VALUES_HEADING
                    || row == ALLOWED_TYPES_HEADING
                {
                    break;
                }
                let (field, text) = row.split_once(' ').unwrap_or((row, ""));
                if field == tag {
                    // A row describing the tag itself.
                    self.pos += 1;
                    continue;
                }
                match fields.iter_mut().find(|f| f.name == field) {
                    Some(f) => {
                        f.description = Some(text.trim().to_owned()).filter(|t| !t.is_empty())
                    }
                    None => fields.push(Field {
                        name: field.to_owned(),
                        description: Some(text.trim().to_owned()).filter(|t| !t.is_empty()),
                        schema: Schema::Unknown,
                    }),
                }
                self.pos += 1;
            }
        }
        Ok(EventOccurrence {
            line,
            name,
            tag: tag.to_owned(),
            description,
            fields: schema::sorted_fields(fields),
        })
    }

    // ----- allowed values and types -----------------------------------------------

    fn allowed_values(&mut self) -> Result<Vec<AllowedValues>, ParseError> {
        let mut tables = Vec::new();
        while self.peek_at(1) == Some(VALUES_HEADER) {
            let title = self
                .expect_text("the title of an allowed-values table")?
                .to_owned();
            self.pos += 1;
            let mut values = Vec::new();
            while let Some(row) = self.peek() {
                if row.is_empty()
                    || self.peek_at(1) == Some(VALUES_HEADER)
                    || split_operation_heading(row).is_some()
                {
                    break;
                }
                values.push(
                    split_allowed_value(row)
                        .ok_or_else(|| self.error("a row `NAME CODE MEANING`"))?,
                );
                self.pos += 1;
            }
            if values.is_empty() {
                return Err(self.error("a row `NAME CODE MEANING`"));
            }
            tables.push(AllowedValues { title, values });
        }
        if tables.is_empty() {
            return Err(self.error_at(
                self.pos + 1,
                format!("`{VALUES_HEADER}` under the table title"),
            ));
        }
        Ok(tables)
    }

    fn allowed_types(&mut self) -> Result<Vec<AllowedTypes>, ParseError> {
        let mut lists = Vec::new();
        // Each list: its title twice (the page's heading and caption), then one JSON
        // object per variant, each with a single wrapper key.
        while let (Some(title), Some(again)) = (self.peek(), self.peek_at(1)) {
            if title.is_empty() || title != again || json::starts_json(title) {
                break;
            }
            self.pos += 2;
            let mut variants = Vec::new();
            while self.peek().is_some_and(|l| l.starts_with('{')) {
                let start = self.pos;
                let value = self.json_block()?;
                let Json::Object(entries) = &value else {
                    unreachable!("block starts with `{{`")
                };
                let [(key, inner)] = entries.as_slice() else {
                    return Err(self.error_at(
                        start,
                        "an allowed type wrapped in a single key (`{ \"andBlock\" : { … } }`)",
                    ));
                };
                let schema = schema::infer(inner).map_err(|msg| {
                    self.error_at(start, format!("a consistent JSON example ({msg})"))
                })?;
                variants.push(TypeVariant {
                    key: key.clone(),
                    schema,
                });
            }
            if variants.is_empty() {
                return Err(self.error(format!("a JSON example of a `{title}` variant")));
            }
            lists.push(AllowedTypes {
                title: title.to_owned(),
                variants,
            });
        }
        if lists.is_empty() {
            return Err(self.error("the title of an allowed-types list, written twice"));
        }
        Ok(lists)
    }
}

/// The parts of `METHOD Title [[DEPRECATED] since version V] /path content/type`.
struct OperationHeading<'a> {
    method: &'a str,
    title: &'a str,
    deprecated: Option<&'a str>,
    path: &'a str,
    content_type: &'a str,
}

fn split_operation_heading(line: &str) -> Option<OperationHeading<'_>> {
    let (method, rest) = line.split_once(' ')?;
    if !HTTP_METHODS.contains(&method) {
        return None;
    }
    let (rest, content_type) = rest.rsplit_once(' ')?;
    let (rest, path) = rest.rsplit_once(' ')?;
    if !path.starts_with('/') || !content_type.contains('/') || content_type.starts_with('/') {
        return None;
    }
    let (title, deprecated) = match rest.find(" [DEPRECATED]") {
        Some(i) => (&rest[..i], Some(&rest[i + 1..])),
        None => (rest, None),
    };
    let title = title.trim();
    (!title.is_empty()).then_some(OperationHeading {
        method,
        title,
        deprecated,
        path,
        content_type,
    })
}

// ----- canonical orders ------------------------------------------------------------
//
// Lists whose order carries no meaning are sorted, so that a page that only
// reorders them gives the same spec (rules in `spec/README.md`).

/// The events an operation generates: by name, each once.
fn canonical_events(events: &[EventOccurrence]) -> Vec<String> {
    let mut names: Vec<String> = events.iter().map(|e| e.name.clone()).collect();
    names.sort();
    names.dedup();
    names
}

/// Allowed-values tables by title, their rows by name then code.
fn canonical_allowed_values(mut tables: Vec<AllowedValues>) -> Vec<AllowedValues> {
    for t in &mut tables {
        t.values
            .sort_by(|a, b| (&a.name, &a.code).cmp(&(&b.name, &b.code)));
    }
    tables.sort_by(|a, b| a.title.cmp(&b.title));
    tables
}

/// Allowed-types lists by title, their variants by key.
fn canonical_allowed_types(mut lists: Vec<AllowedTypes>) -> Vec<AllowedTypes> {
    for l in &mut lists {
        l.variants.sort_by(|a, b| a.key.cmp(&b.key));
    }
    lists.sort_by(|a, b| a.title.cmp(&b.title));
    lists
}

/// Whether `line` is an operation heading (`METHOD Title [[DEPRECATED] since version
/// V] /path content/type`).
pub fn is_operation_heading(line: &str) -> bool {
    split_operation_heading(line).is_some()
}

/// Lines that open a part of an operation after its description.
fn starts_operation_part(line: &str) -> bool {
    line.starts_with("Access scope :")
        || line.starts_with("Per-session rate-limit")
        || line == "> Test operation"
        || line == "Parameters"
        || line == "Response"
        || line == "HTTP Status Code"
        || line == EVENTS_HEADING
        || line == ALLOWED_VALUES_HEADING
        || line == ALLOWED_TYPES_HEADING
}

fn is_blank_or_chrome(line: &str) -> bool {
    line.is_empty() || is_chrome(line)
}

fn path_placeholders(path: &str) -> Vec<&str> {
    path.split('/')
        .filter_map(|s| s.strip_prefix('{')?.strip_suffix('}'))
        .collect()
}

/// The field of an event example that names the event `name`: `name` when the
/// example has one (it must then be the event's name), otherwise `type` when it is
/// the string `name`. Events may carry a `type` of their own (an integer on
/// `Place*`, a string on `CalendarDay*`): beside a `name`, or when it is not the
/// event's name, it is an ordinary field.
fn event_tag(fields: &[Field], name: &str) -> Option<&'static str> {
    let names_event = |key: &str| {
        fields
            .iter()
            .find(|f| f.name == key)
            .map(|f| matches!(&f.schema, Schema::String { example } if example == name))
    };
    match names_event("name") {
        Some(true) => Some("name"),
        Some(false) => None,
        None => names_event("type").unwrap_or(false).then_some("type"),
    }
}

fn is_event_name(line: &str) -> bool {
    line.starts_with(|c: char| c.is_ascii_uppercase())
        && line.chars().all(|c| c.is_ascii_alphanumeric())
}

fn parse_private_tags(text: &str) -> Option<Vec<String>> {
    let inner = text.trim().strip_prefix('[')?.strip_suffix(']')?;
    let tags: Vec<String> = inner
        .split(',')
        .map(|t| t.trim().to_owned())
        .filter(|t| !t.is_empty())
        .collect();
    (!tags.is_empty()).then_some(tags)
}

/// `Per-session rate-limit : 1 calls per 28min 48s period for all operations of the same category (exec)`
fn parse_rate_limit(line: &str) -> Option<RateLimit> {
    let rest = line.strip_prefix("Per-session rate-limit : ")?;
    let (calls, rest) = rest.split_once(" calls per ")?;
    let (period, rest) = rest.split_once(" period for ")?;
    let (scope, rest) = if let Some(r) = rest.strip_prefix("this particular operation (") {
        (RateLimitScope::Operation, r)
    } else {
        (
            RateLimitScope::Category,
            rest.strip_prefix("all operations of the same category (")?,
        )
    };
    let category = rest.strip_suffix(')')?;
    Some(RateLimit {
        calls: calls.parse().ok()?,
        period: period.to_owned(),
        period_seconds: parse_period(period)?,
        scope,
        category: category.to_owned(),
    })
}

/// "1d", "1h", "1s", "28min 48s" → seconds.
pub fn parse_period(text: &str) -> Option<u64> {
    let mut total = 0u64;
    for part in text.split_whitespace() {
        let digits = part.find(|c: char| !c.is_ascii_digit())?;
        let (n, unit) = part.split_at(digits);
        let n: u64 = n.parse().ok()?;
        let unit_secs = match unit {
            "d" => 86_400,
            "h" => 3_600,
            "min" | "m" => 60,
            "s" => 1,
            "ms" => return None,
            _ => return None,
        };
        total = total.checked_add(n.checked_mul(unit_secs)?)?;
    }
    (total > 0).then_some(total)
}

/// Splits an allowed-value row. Cells are separated by single spaces although names
/// and meanings may contain spaces, so:
/// - `X CODE X` (the meaning repeats the name, `Bosnia and Herzegovina BA Bosnia and
///   Herzegovina`) splits around the middle word;
/// - otherwise the code starts at the first code-like word after the first one (a
///   number, an upper-case symbol such as `MU`, or `key=value`) and goes on over
///   `key=value` words (`EEP=0xF60201 subType=0x1`); the name is what precedes it and
///   the meaning what follows.
fn split_allowed_value(row: &str) -> Option<AllowedValue> {
    let words: Vec<&str> = row.split(' ').collect();
    if words.len() < 3 || words.iter().any(|w| w.is_empty()) {
        return None;
    }
    if words.len() % 2 == 1 {
        let half = words.len() / 2;
        if words[..half] == words[half + 1..] {
            let name = words[..half].join(" ");
            return Some(AllowedValue {
                code: words[half].to_owned(),
                meaning: name.clone(),
                name,
            });
        }
    }
    let is_code = |w: &&str| {
        w.contains('=')
            || w.strip_prefix('-')
                .unwrap_or(w)
                .chars()
                .all(|c| c.is_ascii_digit())
            || (w.len() >= 2
                && w.chars()
                    .all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
    };
    let start = words.iter().skip(1).position(is_code).map_or(1, |i| i + 1);
    let len = 1 + words[start + 1..]
        .iter()
        .take_while(|w| w.contains('='))
        .count();
    if start + len >= words.len() {
        return None;
    }
    Some(AllowedValue {
        name: words[..start].join(" "),
        code: words[start..start + len].join(" "),
        meaning: words[start + len..].join(" "),
    })
}

/// Merges the occurrences of each event into one definition, failing when two
/// occurrences disagree on a field's type or on the description.
fn merge_events(
    file: &str,
    occurrences: Vec<EventOccurrence>,
) -> Result<Vec<EventType>, ParseError> {
    let mut merged: BTreeMap<String, (usize, EventType)> = BTreeMap::new();
    for occ in occurrences {
        let Some((first_line, ev)) = merged.get_mut(&occ.name) else {
            let ev = EventType {
                name: occ.name.clone(),
                tag: occ.tag,
                description: occ.description,
                fields: occ.fields,
                tag_aliases: Vec::new(),
                aliases: Vec::new(),
                previous_fields: Vec::new(),
            };
            merged.insert(occ.name, (occ.line, ev));
            continue;
        };
        let fail = |expected: String, found: String| ParseError {
            file: file.to_owned(),
            line: occ.line,
            expected,
            found,
        };
        if ev.tag != occ.tag {
            return Err(fail(
                format!(
                    "`{}` tagged by `{}` as at line {first_line}",
                    occ.name, ev.tag
                ),
                format!("an example tagged by `{}`", occ.tag),
            ));
        }
        match (&ev.description, &occ.description) {
            (Some(a), Some(b)) if a != b => {
                return Err(fail(
                    format!(
                        "the description of `{}` given at line {first_line} (`{a}`)",
                        occ.name
                    ),
                    format!("`{b}`"),
                ))
            }
            (None, Some(_)) => ev.description = occ.description.clone(),
            _ => {}
        }
        ev.fields = schema::merge_fields(&ev.fields, &occ.fields, "").map_err(|c| {
            fail(
                format!(
                    "`{}` to agree with its occurrence at line {first_line}",
                    occ.name
                ),
                c.to_string(),
            )
        })?;
    }
    Ok(merged.into_values().map(|(_, ev)| ev).collect())
}

#[cfg(test)]
mod tests;
