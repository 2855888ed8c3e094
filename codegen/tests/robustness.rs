//! The parser on other versions of the page: sections the format makes optional can
//! go missing, and any mutation of a line gives a spec or a line-numbered error,
//! never a panic.
//!
//! The pages are windows of the real documentation (`spec/enduser-api.txt`): a few
//! consecutive operations under a synthetic group heading, so that each of the
//! hundreds of parses below takes a fraction of a millisecond.

use std::collections::BTreeSet;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::Path;

use overkiz_codegen::parse::{is_operation_heading, parse};
use overkiz_codegen::Spec;

fn seed() -> String {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../spec/enduser-api.txt");
    std::fs::read_to_string(path).unwrap()
}

/// The kinds of lines of an operation, by the part they belong to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
enum Part {
    Heading,
    Description,
    RateLimit,
    AccessScope,
    Parameters,
    RequestBody,
    Response,
    Status,
    Events,
    AllowedValues,
    AllowedTypes,
}

const ALL_PARTS: [Part; 11] = [
    Part::Heading,
    Part::Description,
    Part::RateLimit,
    Part::AccessScope,
    Part::Parameters,
    Part::RequestBody,
    Part::Response,
    Part::Status,
    Part::Events,
    Part::AllowedValues,
    Part::AllowedTypes,
];

/// The page cut into lines, with the start of every operation.
struct Page<'a> {
    lines: Vec<&'a str>,
    ops: Vec<usize>,
}

impl<'a> Page<'a> {
    fn new(text: &'a str) -> Self {
        let lines: Vec<&str> = text.lines().collect();
        let ops = (0..lines.len())
            .filter(|&i| is_operation_heading(lines[i]))
            .collect();
        Page { lines, ops }
    }

    /// End (exclusive) of operation `k`: the next operation heading, or the blank
    /// line before a group heading, or the end of the page.
    fn op_end(&self, k: usize) -> usize {
        let start = self.ops[k];
        let next = self.ops.get(k + 1).copied().unwrap_or(self.lines.len());
        // After the description: a group heading is a non-blank line between blank
        // lines that opens none of the operation's parts.
        let Some(first_part) =
            (start + 1..next).find(|&i| classify_marker(self.lines[i]).is_some())
        else {
            return next;
        };
        (first_part + 1..next)
            .find(|&i| {
                self.lines[i - 1].is_empty()
                    && !self.lines[i].is_empty()
                    && self.lines.get(i + 1).is_some_and(|l| l.is_empty())
                    && classify_marker(self.lines[i]).is_none()
            })
            .map_or(next, |i| i - 1)
    }

    /// The part of operation `k` that line `i` belongs to.
    fn part_of(&self, k: usize, i: usize) -> Option<Part> {
        let start = self.ops[k];
        if i == start {
            return Some(Part::Heading);
        }
        let mut part = Part::Description;
        for line in &self.lines[start + 1..=i] {
            if let Some(p) = classify_marker(line) {
                part = p;
            }
        }
        Some(part)
    }

    /// A page of operations `from..to` under a synthetic group heading.
    fn window(&self, from: usize, to: usize) -> Vec<&'a str> {
        let end = if to < self.ops.len() {
            self.ops[to]
        } else {
            self.lines.len()
        };
        let mut lines = vec![
            "End-User RESTful API Operations",
            "",
            "Window",
            "",
            "Expand commands",
        ];
        lines.extend_from_slice(&self.lines[self.ops[from]..end]);
        lines
    }
}

fn classify_marker(line: &str) -> Option<Part> {
    Some(match line {
        l if l.starts_with("Per-session rate-limit") => Part::RateLimit,
        l if l.starts_with("Access scope :") => Part::AccessScope,
        "Parameters" => Part::Parameters,
        l if l.starts_with("Path Variable ") || l.starts_with("Request Parameter ") => {
            Part::Parameters
        }
        "Request Body (JSON)" => Part::RequestBody,
        "Response" => Part::Response,
        "HTTP Status Code" => Part::Status,
        "Generated events on method call" => Part::Events,
        "See Allowed Values" => Part::AllowedValues,
        "See Allowed Types" => Part::AllowedTypes,
        _ => return None,
    })
}

fn parse_lines(lines: &[String]) -> Result<Spec, overkiz_codegen::ParseError> {
    parse("window.txt", &lines.join("\n"))
}

// ----- optional sections --------------------------------------------------------------

/// The line range of `part` in operation `k`, as a section that can be removed: the
/// range the page would not have if the documentation left the section out.
fn section_range(page: &Page, k: usize, part: Part) -> Option<(usize, usize)> {
    let start = page.ops[k];
    let end = page.op_end(k);
    let lines = &page.lines;
    let find = |pred: &dyn Fn(&str) -> bool| (start + 1..end).find(|&i| pred(lines[i]));
    let range = match part {
        Part::Heading => return None,
        Part::Description => {
            let to = find(&|l| l.starts_with("Per-session") || l.starts_with("Access scope :"))?;
            (start + 1, to)
        }
        Part::RateLimit => {
            let at = find(&|l| l.starts_with("Per-session rate-limit"))?;
            (at, at + 1)
        }
        Part::AccessScope => {
            let at = find(&|l| l.starts_with("Access scope :"))?;
            (at, at + 1)
        }
        Part::Parameters => {
            let at = find(&|l| l == "Parameters")?;
            let to = find(&|l| l == "Response" || l == "HTTP Status Code")?;
            (at, to)
        }
        Part::RequestBody => {
            let at = find(&|l| l == "Request Body (JSON)")?;
            let params = find(&|l| l == "Parameters")?;
            let to = (at + 1..end)
                .find(|&i| {
                    let l = lines[i];
                    l == "Response"
                        || l == "HTTP Status Code"
                        || l.starts_with("Path Variable ")
                        || l.starts_with("Request Parameter ")
                })
                .unwrap_or(end);
            let others = (params..end).any(|i| {
                lines[i].starts_with("Path Variable ") || lines[i].starts_with("Request Parameter ")
            });
            if others {
                (at, to)
            } else {
                // The body alone: without it, the page has no parameters table.
                (params, to)
            }
        }
        Part::Response => {
            let at = find(&|l| l == "Response")?;
            let to = find(&|l| l == "HTTP Status Code")?;
            (at, to)
        }
        Part::Status => {
            let at = find(&|l| l == "HTTP Status Code")?;
            (at, at + 5)
        }
        Part::Events | Part::AllowedValues | Part::AllowedTypes => {
            let heading = match part {
                Part::Events => "Generated events on method call",
                Part::AllowedValues => "See Allowed Values",
                _ => "See Allowed Types",
            };
            let at = find(&|l| l == heading)?;
            // The events heading is followed by a blank line; the section runs to
            // the next heading, blank line or the end of the operation.
            let body = if part == Part::Events { at + 2 } else { at + 1 };
            let to = (body..end)
                .find(|&i| {
                    lines[i].is_empty()
                        || classify_marker(lines[i]).is_some_and(|p| p != Part::Parameters)
                })
                .unwrap_or(end);
            (at, to)
        }
    };
    Some(range)
}

#[test]
fn removing_any_optional_section_changes_only_that_operation() {
    let text = seed();
    let page = Page::new(&text);
    let mut rng = fastrand::Rng::with_seed(12);
    let mut removed: BTreeSet<Part> = BTreeSet::new();
    // Every operation that has a rare section, and a seeded sample of the others.
    let mut sample: Vec<usize> = (0..page.ops.len())
        .filter(|&k| {
            [Part::AllowedTypes, Part::AllowedValues, Part::RateLimit]
                .iter()
                .any(|&p| section_range(&page, k, p).is_some())
        })
        .collect();
    sample.extend((0..40).map(|_| rng.usize(..page.ops.len())));
    sample.sort_unstable();
    sample.dedup();
    for k in sample {
        let from = k.saturating_sub(1);
        let to = (k + 2).min(page.ops.len());
        let window: Vec<String> = page
            .window(from, to)
            .iter()
            .map(|l| l.to_string())
            .collect();
        let before = parse_lines(&window).unwrap_or_else(|e| panic!("window at op {k}: {e}"));
        let to_window = |i: usize| 5 + i - page.ops[from];
        for part in ALL_PARTS {
            let Some((a, b)) = section_range(&page, k, part) else {
                continue;
            };
            let (wa, wb) = (to_window(a), to_window(b));
            let mut mutated = window.clone();
            mutated.drain(wa..wb);
            let after = parse_lines(&mutated).unwrap_or_else(|e| {
                panic!(
                    "operation `{}` without its {part:?} section does not parse: {e}",
                    page.lines[page.ops[k]]
                )
            });
            let idx = k - from;
            assert_eq!(before.groups, after.groups);
            assert_eq!(before.operations.len(), after.operations.len());
            for (i, (x, y)) in before.operations.iter().zip(&after.operations).enumerate() {
                if i == idx {
                    assert_ne!(
                        x, y,
                        "removing {part:?} of `{} {}` changed nothing",
                        x.method, x.path
                    );
                    assert_eq!((&x.method, &x.path), (&y.method, &y.path));
                } else {
                    assert_eq!(
                        x, y,
                        "removing {part:?} of operation {k} changed another one"
                    );
                }
            }
            // The absence is recorded where the section was.
            let op = &after.operations[idx];
            let absent = match part {
                Part::Heading => unreachable!("not removable"),
                Part::Description => op.summary.is_empty() && op.description.is_empty(),
                Part::RateLimit => op.rate_limit.is_none(),
                Part::AccessScope => op.access_scope.is_none(),
                Part::Parameters => op.params.is_empty() && op.request_body.is_none(),
                Part::RequestBody => op.request_body.is_none(),
                Part::Response => op.response.is_none(),
                Part::Status => op.status.is_none(),
                Part::Events => op.events.is_empty(),
                Part::AllowedValues => op.allowed_values.is_empty(),
                Part::AllowedTypes => op.allowed_types.is_empty(),
            };
            assert!(
                absent,
                "{part:?} of `{} {}` is recorded as absent",
                op.method, op.path
            );
            let names = |s: &Spec| {
                s.events
                    .iter()
                    .map(|e| e.name.clone())
                    .collect::<BTreeSet<_>>()
            };
            assert!(names(&after).is_subset(&names(&before)));
            removed.insert(part);
        }
    }
    let expected: BTreeSet<Part> = ALL_PARTS[1..].iter().copied().collect();
    assert_eq!(
        removed, expected,
        "every optional section was removed somewhere"
    );
}

// ----- mutations ----------------------------------------------------------------------

#[derive(Debug, Clone, Copy)]
enum Mutation {
    Delete,
    Duplicate,
    SwapWithNext,
    CutInHalf,
    SplitInTwo,
}

const MUTATIONS: [Mutation; 5] = [
    Mutation::Delete,
    Mutation::Duplicate,
    Mutation::SwapWithNext,
    Mutation::CutInHalf,
    Mutation::SplitInTwo,
];

fn mutate(lines: &mut Vec<String>, at: usize, m: Mutation) {
    let half = |s: &str| {
        let n = s.chars().count() / 2;
        s.char_indices().nth(n).map_or(s.len(), |(i, _)| i)
    };
    match m {
        Mutation::Delete => {
            lines.remove(at);
        }
        Mutation::Duplicate => {
            let l = lines[at].clone();
            lines.insert(at, l);
        }
        Mutation::SwapWithNext => {
            if at + 1 < lines.len() {
                lines.swap(at, at + 1);
            }
        }
        Mutation::CutInHalf => {
            let h = half(&lines[at]);
            lines[at].truncate(h);
        }
        Mutation::SplitInTwo => {
            let h = half(&lines[at]);
            let tail = lines[at].split_off(h);
            lines.insert(at + 1, tail);
        }
    }
}

/// Applies `count` seeded mutations, spread over every part of the operations, to
/// windows of the page; every outcome must be a spec or an error on a line of the
/// mutated page.
fn sweep(seed: u64, per_part: usize) -> (usize, usize) {
    let text = seed_text();
    let page = Page::new(&text);
    let mut rng = fastrand::Rng::with_seed(seed);
    // Every line of every operation, by part.
    let mut by_part: Vec<Vec<(usize, usize)>> = vec![Vec::new(); ALL_PARTS.len()];
    for k in 0..page.ops.len() {
        for i in page.ops[k]..page.op_end(k) {
            if let Some(p) = page.part_of(k, i) {
                by_part[ALL_PARTS.iter().position(|&q| q == p).unwrap()].push((k, i));
            }
        }
    }
    // Group and category headings between operations.
    let mut headings = Vec::new();
    for k in 0..page.ops.len().saturating_sub(1) {
        headings.extend((page.op_end(k)..page.ops[k + 1]).map(|i| (k + 1, i)));
    }
    assert!(headings.len() > 100, "the page has group headings");
    let (mut ok, mut err) = (0, 0);
    let groups = [(None, &headings)];
    let parts = ALL_PARTS.iter().map(Some).zip(&by_part);
    for (part, lines) in parts.chain(groups) {
        let part = part.map_or("group heading".to_owned(), |p| format!("{p:?}"));
        assert!(!lines.is_empty(), "the page has {part} lines");
        for _ in 0..per_part {
            let (k, i) = lines[rng.usize(..lines.len())];
            let m = MUTATIONS[rng.usize(..MUTATIONS.len())];
            // Operation k is the second of the window, so that the group heading
            // before it is inside the window.
            let from = k.saturating_sub(1);
            let to = (k + 2).min(page.ops.len());
            let mut window: Vec<String> = page
                .window(from, to)
                .iter()
                .map(|l| l.to_string())
                .collect();
            let at = 5 + i - page.ops[from];
            mutate(&mut window, at, m);
            let text = window.join("\n");
            let outcome = catch_unwind(AssertUnwindSafe(|| parse("window.txt", &text)));
            match outcome {
                Ok(Ok(_)) => ok += 1,
                Ok(Err(e)) => {
                    assert!(
                        (1..=window.len() + 1).contains(&e.line),
                        "{m:?} of line {} ({part}): error outside the page: {e}",
                        i + 1
                    );
                    assert!(e.to_string().starts_with(&format!("window.txt:{}: expected ", e.line)));
                    err += 1;
                }
                Err(_) => panic!(
                    "the parser panicked on {m:?} of line {} of spec/enduser-api.txt ({part}: `{}`)",
                    i + 1,
                    page.lines[i]
                ),
            }
        }
    }
    (ok, err)
}

fn seed_text() -> String {
    seed()
}

#[test]
fn mutated_pages_never_panic() {
    // (11 parts of operations + group headings) × 40 mutations: deleted,
    // duplicated, swapped lines and lines cut in half or split in two.
    let (ok, err) = sweep(9, 40);
    assert_eq!(ok + err, 12 * 40);
    // Some mutations are harmless (a duplicated blank line), most are not.
    assert!(ok > 0 && err > 0, "ok {ok}, err {err}");
}

/// The full sweep: `cargo test -p overkiz-codegen --test robustness -- --ignored`.
#[test]
#[ignore = "slow: thousands of parses; run with --ignored"]
fn mutated_pages_never_panic_full_sweep() {
    for seed in 0..20 {
        sweep(seed, 500);
    }
}
