//! The published HTML page into the text layout: a saved page (windows-1252 XHTML,
//! 5 of the 15 groups of the January 2026 documentation) must convert to exactly the
//! text a reader of that page sees, and that text must parse.

use std::path::Path;

fn data(name: &str) -> Vec<u8> {
    std::fs::read(
        Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("tests/data")
            .join(name),
    )
    .unwrap()
}

#[test]
fn sample_html_converts_to_exactly_the_sample_text() {
    let html = data("enduser-api-sample.html");
    assert!(overkiz_codegen::html::looks_like_html(&html));
    let text = overkiz_codegen::html::to_text(&html);
    let expected = String::from_utf8(data("enduser-api-sample.txt")).unwrap();
    if text != expected {
        let line = text
            .lines()
            .zip(expected.lines())
            .position(|(a, b)| a != b)
            .unwrap_or(text.lines().count().min(expected.lines().count()));
        panic!(
            "first difference at line {}:\n  got      {:?}\n  expected {:?}",
            line + 1,
            text.lines().nth(line),
            expected.lines().nth(line)
        );
    }
}

#[test]
fn converted_sample_parses() {
    let text = overkiz_codegen::html::to_text(&data("enduser-api-sample.html"));
    let spec = overkiz_codegen::parse("enduser-api-sample.html", &text).unwrap();
    let groups: Vec<&str> = spec.groups.iter().map(|g| g.name.as_str()).collect();
    assert_eq!(
        groups,
        [
            "Action Groups",
            "Authentication",
            "Events",
            "Accounts management",
            "Location utils",
            "Time utils"
        ]
    );
    assert_eq!(spec.operations.len(), 20);
}
