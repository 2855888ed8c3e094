//! `cargo xtask codegen` as maintainers run it: write, check, compare another
//! documentation version, and fail clearly on a malformed page.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .output()
        .expect("xtask runs")
}

/// A fresh directory for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("overkiz-xtask-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

#[test]
fn write_then_check_then_detect_a_doc_change() {
    let dir = scratch("check");
    let out = dir.join("out");
    let doc = root().join("spec/enduser-api.txt");
    let (doc_arg, out_arg) = (doc.to_str().unwrap(), out.to_str().unwrap());

    let written = xtask(&["codegen", "--doc", doc_arg, "--out", out_arg]);
    assert!(
        written.status.success(),
        "{}",
        String::from_utf8_lossy(&written.stderr)
    );
    let stdout = String::from_utf8_lossy(&written.stdout);
    assert!(
        stdout.contains("operations:            509"), // 504 documented, 5 curated
        "the summary is printed: {stdout}"
    );
    let spec = std::fs::read(out.join("spec/overkiz.json")).unwrap();
    assert_eq!(
        spec,
        std::fs::read(root().join("spec/overkiz.json")).unwrap(),
        "same layout, same bytes"
    );
    assert!(out.join("generated/src/generated/types.rs").exists());

    let checked = xtask(&["codegen", "--check", "--doc", doc_arg, "--out", out_arg]);
    assert!(
        checked.status.success(),
        "{}",
        String::from_utf8_lossy(&checked.stderr)
    );

    let edited = dir.join("edited.txt");
    let text = std::fs::read_to_string(&doc).unwrap();
    std::fs::write(
        &edited,
        text.replacen(
            "Get all data about the connected user setup",
            "Get the whole setup",
            1,
        ),
    )
    .unwrap();
    let stale = xtask(&[
        "codegen",
        "--check",
        "--doc",
        edited.to_str().unwrap(),
        "--out",
        out_arg,
    ]);
    assert!(
        !stale.status.success(),
        "--check must fail after a doc change"
    );
    let stderr = String::from_utf8_lossy(&stale.stderr);
    assert!(
        stderr.contains("spec/overkiz.json is not up to date"),
        "{stderr}"
    );
    assert!(
        stderr.contains("generated/src/generated/calls/setup.rs is not up to date"),
        "{stderr}"
    );
    assert_eq!(
        std::fs::read(out.join("spec/overkiz.json")).unwrap(),
        spec,
        "--check writes nothing"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn a_malformed_doc_fails_with_its_line() {
    let dir = scratch("malformed");
    let broken = dir.join("broken.txt");
    let text = std::fs::read_to_string(root().join("spec/enduser-api.txt")).unwrap();
    // Break the first JSON example of the page: drop a colon.
    let lines: Vec<&str> = text.lines().collect();
    let at = lines
        .iter()
        .position(|l| *l == "  \"label\" : \"a managed action group label\",")
        .unwrap();
    let mut edited: Vec<&str> = lines.clone();
    edited[at] = "  \"label\" \"a managed action group label\",";
    std::fs::write(&broken, edited.join("\n")).unwrap();
    let run = xtask(&[
        "codegen",
        "--check",
        "--doc",
        broken.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(
        stderr.trim(),
        format!("error: broken.txt:{}: expected valid JSON (expected `:`), found `\"label\" \"a managed action group label\",`", at + 1)
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

fn data(name: &str) -> PathBuf {
    root().join("codegen/tests/data").join(name)
}

#[test]
fn import_doc_writes_the_text_layout() {
    let dir = scratch("import");
    let out = dir.join("enduser-api.txt");
    let html = data("enduser-api-sample.html");
    let run = xtask(&[
        "import-doc",
        html.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        std::fs::read(&out).unwrap(),
        std::fs::read(data("enduser-api-sample.txt")).unwrap()
    );
    // A page the parser does not understand: written, and the error names its line.
    let broken = dir.join("broken.html");
    let page = std::fs::read_to_string(&html).unwrap();
    std::fs::write(&broken, page.replace("Expand commands", "Expand all")).unwrap();
    let broken_out = dir.join("broken.txt");
    let run = xtask(&[
        "import-doc",
        broken.to_str().unwrap(),
        "--out",
        broken_out.to_str().unwrap(),
    ]);
    assert!(!run.status.success());
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert!(
        stderr.contains("does not parse: broken.txt:12: expected `Expand commands` after the group heading, found `POST Action group /actionGroups application/json`"),
        "{stderr}"
    );
    assert!(broken_out.exists());
    // The text page is not an HTML page: nothing is written.
    let text_page = root().join("spec/enduser-api.txt");
    let refused = xtask(&[
        "import-doc",
        text_page.to_str().unwrap(),
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr)
        .contains("enduser-api.txt:1: expected an HTML page"));
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn codegen_reads_the_html_page_and_prints_the_changelog_first() {
    let dir = scratch("html");
    let html = data("enduser-api-sample.html");
    // The curated file names types of all 15 groups: most of its entries do not
    // apply to the 5 groups of the sample, so generate it without them.
    let curated = dir.join("curated.toml");
    std::fs::write(&curated, "").unwrap();
    let run = xtask(&[
        "codegen",
        "--doc",
        html.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
        "--curated",
        curated.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    let changelog = stdout.find("## API changes").expect("a changelog");
    let summary = stdout.find("operations:").expect("a summary");
    assert!(changelog < summary, "the changelog comes first: {stdout}");
    // The sample has 5 of the 15 groups: the others' operations are gone.
    assert!(
        stdout.contains("- **breaking** removed `POST /exec/apply`"),
        "{stdout}"
    );
    assert!(stdout.contains("operations:            20"), "{stdout}");
    assert!(dir.join("spec/overkiz.json").exists());
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn changelog_of_the_seed_against_its_spec_is_empty() {
    let run = xtask(&[
        "changelog",
        root().join("spec/enduser-api.txt").to_str().unwrap(),
        root().join("spec/overkiz.json").to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    assert_eq!(
        String::from_utf8_lossy(&run.stdout),
        "## API changes\n\nNo change to the API surface.\n"
    );
}

#[test]
fn changelog_of_a_page_changed_in_several_ways() {
    let dir = scratch("changelog");
    let new = dir.join("new.txt");
    let text = std::fs::read_to_string(root().join("spec/enduser-api.txt")).unwrap();
    let text = text
        .replacen(
            "PUT Action group /actionGroups",
            "PUT Action group [DEPRECATED] since version 2026.1 /actionGroups",
            1,
        )
        .replacen("(Optional)\nDo not reset command lock levels\n", "Do not reset command lock levels\n", 1)
        .replacen("  \"shortcut\" : true,\n", "  \"shortcut\" : 1,\n", 1)
        .replacen(
            "Per-session rate-limit : 1 calls per 1d period for this particular operation (bulk-load)",
            "Per-session rate-limit : 1 calls per 2d period for this particular operation (bulk-load)",
            1,
        )
        .replace("Albania AL Albania\n", "");
    std::fs::write(&new, text).unwrap();
    let run = xtask(&[
        "changelog",
        root().join("spec/overkiz.json").to_str().unwrap(),
        new.to_str().unwrap(),
    ]);
    assert!(
        run.status.success(),
        "{}",
        String::from_utf8_lossy(&run.stderr)
    );
    let stdout = String::from_utf8_lossy(&run.stdout);
    for line in [
        "4 breaking, 1 additive.",
        "- *additive* deprecated `PUT /actionGroups` (since version 2026.1)",
        "- **breaking** `PUT /actionGroups`: query parameter `preventLockLevelReset` made required",
        "- **breaking** `POST /actionGroups` request field `shortcut`: type changed from boolean to integer",
        "- **breaking** `Supported countries names/codes`: removed `Albania` (code `AL`)",
    ] {
        assert!(stdout.contains(line), "{line:?} in {stdout}");
    }
    assert!(stdout.contains(
        "rate limit changed from 1 calls per 1d (bulk-load) to 1 calls per 2d (bulk-load)"
    ));
    std::fs::remove_dir_all(&dir).unwrap();
}
