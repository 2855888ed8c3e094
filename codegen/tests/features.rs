//! The Cargo features of the generated crate: the gates of the checked-in tree are
//! complete (no feature set misses a type), the manifest's table is the map's, and
//! pages the map does not fit still generate.

use std::path::{Path, PathBuf};

use overkiz_codegen::features::{self, closure, FeatureMap};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// The generated files the gates are on, relative to the generated directory.
fn gated_files() -> Vec<(String, String)> {
    let dir = root().join(overkiz_codegen::emit::GENERATED_DIR);
    let mut files = Vec::new();
    for name in ["types.rs", "secrets.rs", "events.rs"] {
        files.push((
            name.to_owned(),
            std::fs::read_to_string(dir.join(name)).unwrap(),
        ));
    }
    let mut calls: Vec<_> = std::fs::read_dir(dir.join("calls"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    calls.sort();
    for path in calls {
        let name = format!("calls/{}", path.file_name().unwrap().to_string_lossy());
        files.push((name, std::fs::read_to_string(path).unwrap()));
    }
    files
}

#[test]
fn every_enabled_item_finds_the_types_it_names_enabled() {
    let files = gated_files();
    assert!(files.len() > 50, "calls/ was read");
    let problems = closure::check(&files);
    assert!(
        problems.is_empty(),
        "{} problems:\n{}",
        problems.len(),
        problems.join("\n")
    );
    // The check saw gates at all (a tree without any would pass trivially).
    let types = &files[0].1;
    assert!(types.contains("#[cfg(feature = \"setup-triggers\")]"));
    assert!(types.contains("#[cfg(any(feature = "));
}

#[test]
fn the_manifest_declares_every_feature_the_code_names() {
    let manifest = read(features::CARGO_TOML_PATH);
    let declared: Vec<&str> = manifest
        .lines()
        .filter_map(|l| l.split_once(" = [").map(|(name, _)| name))
        .collect();
    for (_, text) in gated_files() {
        for part in text.split("feature = \"").skip(1) {
            let name = part.split('"').next().unwrap();
            assert!(
                declared.contains(&name),
                "`{name}` is not declared in generated/Cargo.toml"
            );
        }
    }
}

/// The current page with a group renamed and a group dropped.
fn edited_page() -> String {
    let doc = read("spec/enduser-api.txt");
    assert!(doc.contains("Time utils"));
    doc.replace("Time utils", "Clock utils")
}

#[test]
fn a_group_the_map_does_not_know_gets_a_derived_feature_and_a_notice() {
    let generated = overkiz_codegen::generate(
        "enduser-api.txt",
        &edited_page(),
        &read("spec/curated.toml"),
    )
    .unwrap();
    let plan = &generated.features;
    let derived = &plan.groups["clock-utils"];
    assert!(derived.groups.contains("Utils / Clock utils"));
    assert_eq!(derived.operations, 1);
    assert_eq!(plan.notices.len(), 1, "{:?}", plan.notices);
    assert!(plan.notices[0].contains("\"Utils / Clock utils\" is not in spec/features.toml"));
    assert!(plan.notices[0].contains("`clock-utils`"));
    // The emptied group keeps its feature, enabling nothing.
    assert_eq!(plan.groups["time-utils"].operations, 0);
    let table = plan.cargo_table();
    assert!(table.contains("\ntime-utils = []\n"), "{table}");
    assert!(table.contains("\nclock-utils = []\n"), "{table}");
    assert!(
        table.contains("    \"time-utils\",\n"),
        "default keeps it: {table}"
    );
    // Deterministic.
    let again = overkiz_codegen::generate(
        "enduser-api.txt",
        &edited_page(),
        &read("spec/curated.toml"),
    )
    .unwrap();
    assert_eq!(again.features, generated.features);
}

#[test]
fn the_two_accounts_groups_have_their_own_features() {
    let map = FeatureMap::parse(features::FEATURES).unwrap();
    assert_ne!(
        map.groups["End-User / Accounts management"].0,
        map.groups["Terms of use / Accounts management"].0
    );
    let manifest = read(features::CARGO_TOML_PATH);
    assert!(manifest.contains(
        "## Group \"Terms of use / Accounts management\": 2 operations.\nterms-of-use = []"
    ));
}
