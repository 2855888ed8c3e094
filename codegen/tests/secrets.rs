//! `spec/secrets.toml` against the real documentation: every entry still names a
//! field or parameter of the page (or says it does not), and the fields the issue
//! found printed in logs are masked.

use std::path::{Path, PathBuf};

use overkiz_codegen::emit::secrets::{parse, places, SECRETS};

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

#[test]
fn every_secret_name_is_used_as_declared() {
    let generated = overkiz_codegen::generate(
        "enduser-api.txt",
        &read("spec/enduser-api.txt"),
        &read("spec/curated.toml"),
    )
    .unwrap();
    let names = parse(SECRETS).unwrap();
    let places = places(&generated.ir, &names);
    let mut stale = Vec::new();
    for name in &names {
        let found = &places[&name.name.to_ascii_lowercase()];
        if name.documented == found.is_empty() {
            stale.push(format!(
                "{}: documented = {}, places: {found:?}",
                name.name, name.documented
            ));
        }
    }
    assert!(
        stale.is_empty(),
        "entries of spec/secrets.toml that no longer apply (fix `documented` or drop them):\n{}",
        stale.join("\n")
    );
    let all: Vec<&String> = places.values().flatten().collect();
    for field in [
        "GeneratedLocalToken.token",
        "LocalTokenActivation.token",
        "PostEnduserJwtCreateTokenResponse.jwt",
        "SomfyProtectCurrentTokenCompletedEvent.access_token",
        "SomfyProtectCurrentTokenCompletedEvent.refresh_token",
        "PostEnduserPasswordRequest.new_password",
    ] {
        assert!(all.iter().any(|p| *p == field), "{field} is not masked");
    }
}
