//! The curated list of the local API's operations (`spec/local-api.toml`) against its
//! two sources: every entry is an operation of the normalized spec
//! (`spec/overkiz.json`), and the entries are exactly the operations of the local
//! API's OpenAPI file (the fixture the list names as its provenance).

use std::collections::BTreeSet;

use overkiz_codegen::local_api::{shape, LocalApi, LOCAL_API};
use overkiz_codegen::Spec;

fn workspace_file(relative: &str) -> String {
    let path = format!("{}/../{relative}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

/// `METHOD /path` of every operation of an OpenAPI file: the `  /path:` lines under
/// `paths:` and the `    get:` (etc.) lines below them.
fn openapi_operations(yaml: &str) -> BTreeSet<String> {
    let mut operations = BTreeSet::new();
    let mut in_paths = false;
    let mut path = None;
    for line in yaml.lines() {
        if !line.starts_with(' ') && !line.trim().is_empty() {
            in_paths = line.trim_end() == "paths:";
            path = None;
            continue;
        }
        if !in_paths {
            continue;
        }
        if let Some(p) = line.strip_prefix("  /").and_then(|l| l.strip_suffix(':')) {
            path = Some(format!("/{p}"));
        } else if let Some(method) = line
            .strip_prefix("    ")
            .filter(|l| !l.starts_with(' '))
            .and_then(|l| l.trim_end().strip_suffix(':'))
        {
            if ["get", "post", "put", "delete", "patch"].contains(&method) {
                let path = path.clone().expect("a method under a path");
                operations.insert(format!("{} {path}", method.to_ascii_uppercase()));
            }
        }
    }
    operations
}

#[test]
fn every_entry_is_in_the_spec_and_in_the_openapi_file() {
    let api = LocalApi::parse(LOCAL_API).unwrap();
    let yaml = workspace_file(&api.source.fixture);
    assert!(
        yaml.contains(&format!("version: \"{}\"", api.source.version)),
        "the fixture is not version {}",
        api.source.version
    );
    let theirs = openapi_operations(&yaml);
    assert_eq!(theirs.len(), 16, "{theirs:?}");
    let ours: BTreeSet<String> = api.operations.iter().map(|op| op.local.clone()).collect();
    assert_eq!(
        ours, theirs,
        "spec/local-api.toml against {}",
        api.source.fixture
    );

    let spec: Spec = serde_json::from_str(&workspace_file("spec/overkiz.json")).unwrap();
    for op in &api.operations {
        let (method, path) = op.doc_parts().unwrap();
        assert!(
            spec.operations
                .iter()
                .any(|o| o.method.eq_ignore_ascii_case(method) && o.path == path),
            "{} is not in spec/overkiz.json",
            op.doc
        );
        let (_, local_path) = op.local_parts().unwrap();
        assert_eq!(shape(local_path), shape(path), "{}", op.doc);
    }
}

#[test]
fn malformed_or_mismatched_entries_are_refused() {
    let source = r#"[source]
repository = "r"
file = "f"
version = "1"
date = "2025-04"
fixture = "x"
"#;
    let with = |entries: &str| LocalApi::parse(&format!("{source}{entries}"));
    assert!(with("[[operation]]\nlocal = \"GET /setup\"\ndoc = \"GET /setup\"\n").is_ok());
    for bad in [
        // Not the same operation.
        "[[operation]]\nlocal = \"GET /setup\"\ndoc = \"POST /setup\"\n",
        "[[operation]]\nlocal = \"GET /setup/{x}\"\ndoc = \"GET /setup/a\"\n",
        // Not `METHOD /path`.
        "[[operation]]\nlocal = \"/setup\"\ndoc = \"/setup\"\n",
        // Twice.
        "[[operation]]\nlocal = \"GET /a\"\ndoc = \"GET /a\"\n[[operation]]\nlocal = \"GET /a\"\ndoc = \"GET /a\"\n",
        // Unknown field.
        "[[operation]]\nlocal = \"GET /a\"\ndoc = \"GET /a\"\nnote = \"x\"\n",
    ] {
        assert!(with(bad).is_err(), "{bad}");
    }
}

/// An entry the documentation lacks fails the generation.
#[test]
fn an_entry_the_documentation_lacks_fails_the_generation() {
    let api = LocalApi::parse(
        "[source]\nrepository = \"r\"\nfile = \"f\"\nversion = \"1\"\ndate = \"d\"\nfixture = \"x\"\n\
         [[operation]]\nlocal = \"GET /no/such/operation\"\ndoc = \"GET /no/such/operation\"\n",
    )
    .unwrap();
    let text = workspace_file("spec/enduser-api.txt");
    let generated = overkiz_codegen::generate(
        "enduser-api.txt",
        &text,
        &workspace_file("spec/curated.toml"),
    )
    .unwrap();
    let error = api.resolve(&generated.ir).unwrap_err();
    assert!(error.contains("GET /no/such/operation"), "{error}");
    let real = LocalApi::parse(LOCAL_API).unwrap();
    assert_eq!(real.resolve(&generated.ir).unwrap().len(), 16);
}
