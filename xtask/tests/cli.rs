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
        stdout.contains("operations:            495"),
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
        stderr.contains("generated/src/generated/endpoints/setup.rs is not up to date"),
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
