//! A documentation update that only adds optional things must not break callers.
//!
//! The seed page and a mutated page (one more optional query parameter on an
//! operation that had none, one more on an operation that had one, one more field
//! in a request body, one more form field) are generated side by side.
//!
//! - `additions_keep_every_signature` (fast): every method and option of the seed
//!   keeps its arguments, and every struct keeps its fields and `Default`.
//! - `the_previous_version_s_surface_is_kept` (fast): the same between the crate of
//!   the previous version of the page (2026-03) and the checked-in one.
//! - `additions_keep_callers_compiling` (`#[ignore]`d, about a minute with a warm
//!   target directory): builds the crate from both and `cargo check`s the same caller
//!   against each. Run with `cargo test -p overkiz-codegen --test compat -- --ignored`.
//!
//! The hand-written runtime's renamed items keep `#[deprecated]` aliases for one
//! release too: `generated/tests/deprecated_names.rs` lists each with its
//! replacement and checks that it still compiles as the same item.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use overkiz_codegen::Generated;
use quote::ToTokens;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned()
}

fn read(path: &str) -> String {
    std::fs::read_to_string(root().join(path)).unwrap()
}

/// Inserts `text` after the first `anchor` that follows `heading`.
fn insert_after(doc: &str, heading: &str, anchor: &str, text: &str) -> String {
    let at = doc
        .find(heading)
        .unwrap_or_else(|| panic!("no {heading:?}"));
    let hit = at
        + doc[at..]
            .find(anchor)
            .unwrap_or_else(|| panic!("no {anchor:?}"))
        + anchor.len();
    format!("{}{text}{}", &doc[..hit], &doc[hit..])
}

fn mutated(seed: &str) -> String {
    // First option of an operation without options.
    let doc = insert_after(
        seed,
        "GET Gateway version /setup/gateways/{gatewayId}/version application/json\n",
        "The id of the gateway\n",
        "Request Parameter withDetails\nfalse\n(Optional)\nInclude details\n",
    );
    // A second option.
    let doc = insert_after(
        &doc,
        "GET Setup /setup application/json\n",
        "true to recover manufacturer data\n",
        "Request Parameter withPlaces\ntrue\n(Optional)\nInclude the places\n",
    );
    // A new field of a request body.
    let doc = insert_after(
        &doc,
        "POST Execute action group /exec/apply application/json\n",
        "  \"label\" : \"a managed action group label\",\n",
        "  \"priorityLevel\" : 1,\n",
    );
    // A new form field.
    insert_after(
        &doc,
        "POST Login /login application/json\n",
        "Parameters\nType Name Value Description\n",
        "Request Parameter otp\n\"string value\"\n(Optional)\na one-time password\n",
    )
}

fn generate(doc: &str) -> Generated {
    overkiz_codegen::generate("enduser-api.txt", doc, &read("spec/curated.toml"))
        .unwrap_or_else(|e| panic!("{e}"))
}

/// `Type::method` → its arguments, for `impl` blocks of the endpoint files;
/// `Type.field` → its type, and `Type: Default` for structs of `types.rs` and forms.
fn surface(g: &Generated) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in &g.files {
        if !f.path.ends_with(".rs") {
            continue;
        }
        let file: syn::File = syn::parse_str(&f.contents).unwrap();
        for item in file.items {
            match item {
                syn::Item::Impl(i) if i.trait_.is_none() => {
                    let ty = i.self_ty.to_token_stream().to_string();
                    for it in i.items {
                        if let syn::ImplItem::Fn(m) = it {
                            if matches!(m.vis, syn::Visibility::Public(_)) {
                                let args = m.sig.inputs.to_token_stream().to_string();
                                out.insert(format!("{ty}::{}", m.sig.ident), args);
                            }
                        }
                    }
                }
                syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                    let derives = s
                        .attrs
                        .iter()
                        .map(|a| a.to_token_stream().to_string())
                        .collect::<Vec<_>>()
                        .join(" ");
                    if let syn::Fields::Named(fields) = &s.fields {
                        out.insert(
                            format!("{}: Default", s.ident),
                            derives.contains("Default").to_string(),
                        );
                        for field in &fields.named {
                            out.insert(
                                format!("{}.{}", s.ident, field.ident.as_ref().unwrap()),
                                field.ty.to_token_stream().to_string(),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
    }
    out
}

#[test]
fn additions_keep_every_signature() {
    let seed_doc = read("spec/enduser-api.txt");
    let seed = surface(&generate(&seed_doc));
    let new = surface(&generate(&mutated(&seed_doc)));
    for (item, shape) in &seed {
        assert_eq!(new.get(item), Some(shape), "{item} changed or disappeared");
    }
    // The additions are there: as options, a body field, a form field.
    for added in [
        "GetSetupGatewaysByGatewayIdVersion < 'c >::with_details",
        "GetSetup < 'c >::with_places",
        "ActionGroup.priority_level",
        "PostLoginForm.otp",
    ] {
        assert!(new.contains_key(added), "{added} missing");
    }
    assert!(seed.keys().filter(|k| k.ends_with(": Default")).count() > 100);
}

/// Rust API stability across a version switch: every method, call option, struct
/// field (with its type) and `Default` of the crate generated from the previous
/// version (2026-03) is still in the checked-in crate, generated from the newest
/// page with that version as previous (renamed wire fields keep their Rust name,
/// removed operations stay, deprecated). The compiled counterpart is
/// `tests/tests/previous_version_caller.rs`, built by every `cargo test`.
#[test]
fn the_previous_version_s_surface_is_kept() {
    let march = read("spec/versions/2026-03.txt");
    let newest = read("spec/enduser-api.txt");
    assert_ne!(march, newest, "the repository is generated from a newer page");
    let old = overkiz_codegen::generate_previous("2026-03.txt", &march, &read("spec/curated.toml"))
        .unwrap_or_else(|e| panic!("{e}"));
    let old = surface(&old);
    let new = overkiz_codegen::generate_with_previous(
        "enduser-api.txt",
        &newest,
        Some(overkiz_codegen::PreviousVersion {
            version: "2026-03",
            text: &march,
        }),
        &read("spec/curated.toml"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let new = surface(&new);
    let lost: Vec<String> = old
        .iter()
        .filter(|(item, shape)| new.get(*item) != Some(shape))
        .map(|(item, shape)| format!("{item}: {shape} -> {:?}", new.get(item)))
        .collect();
    assert!(lost.is_empty(), "changed or gone since 2026-03:\n{}", lost.join("\n"));
    assert!(old.len() > 3000, "{}", old.len());
}

const CALLER: &str = r#"
use overkiz::calls::PostLoginForm;
use overkiz::types::ActionGroup;

pub async fn caller(client: &overkiz::Client) -> Result<(), overkiz::Error> {
    let _setup = client.get_setup().await?;
    let _setup = client.get_setup().with_manufacturer_data(true).await?;
    let _version = client.get_setup_gateways_by_gateway_id_version("1234-5678-9012").await?;
    let _version = client.get_setup_gateways_by_gateway_id_version("1234-5678-9012").send().await?;
    let action_group = ActionGroup { label: Some("close".into()), ..Default::default() };
    let _exec = client.post_exec_apply(&action_group).await?;
    let _exec = client.post_exec_apply(&action_group).optimize_with_protocol_groups(true).await?;
    let form = PostLoginForm { user_id: Some("me".into()), user_password: Some("secret".into()), ..Default::default() };
    let _login = client.post_login(&form).await?;
    Ok(())
}
"#;

/// Writes `<dir>/generated` (the runtime with `g`'s generated files) and
/// `<dir>/caller`, in a workspace of their own.
fn write_workspace(dir: &Path, g: &Generated) {
    let _ = std::fs::remove_dir_all(dir);
    copy_dir(&root().join("generated"), &dir.join("generated"));
    for f in &g.files {
        if let Some(rel) = f.path.strip_prefix("generated/") {
            let path = dir.join("generated").join(rel);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(path, &f.contents).unwrap();
        }
    }
    let manifest = read("Cargo.toml").replace(
        r#"members = ["cli", "codegen", "generated", "sim", "tests", "xtask"]"#,
        r#"members = ["generated", "caller"]"#,
    );
    let manifest = manifest.replace(
        r#"default-members = ["cli", "codegen", "generated", "sim", "tests", "xtask"]"#,
        "",
    );
    std::fs::write(dir.join("Cargo.toml"), manifest).unwrap();
    std::fs::copy(root().join("Cargo.lock"), dir.join("Cargo.lock")).unwrap();
    std::fs::create_dir_all(dir.join("caller/src")).unwrap();
    std::fs::write(
        dir.join("caller/Cargo.toml"),
        "[package]\nname = \"caller\"\nversion = \"0.0.0\"\nedition = \"2021\"\npublish = false\n\n\
         [dependencies]\noverkiz = { path = \"../generated\" }\n",
    )
    .unwrap();
    std::fs::write(dir.join("caller/src/lib.rs"), CALLER).unwrap();
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            if entry.file_name() != "target" {
                copy_dir(&entry.path(), &target);
            }
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

fn cargo_check(dir: &Path) {
    let status = Command::new(env!("CARGO"))
        .args(["check", "--offline", "--quiet", "-p", "caller"])
        .current_dir(dir)
        .env("CARGO_TARGET_DIR", root().join("target/compat"))
        .status()
        .unwrap();
    assert!(
        status.success(),
        "the caller does not compile in {}",
        dir.display()
    );
}

#[test]
#[ignore = "builds the crate twice (about a minute); run with --ignored"]
fn additions_keep_callers_compiling() {
    let seed_doc = read("spec/enduser-api.txt");
    let base = std::env::temp_dir().join(format!("overkiz-compat-{}", std::process::id()));
    for (name, doc) in [("seed", seed_doc.clone()), ("mutated", mutated(&seed_doc))] {
        let dir = base.join(name);
        write_workspace(&dir, &generate(&doc));
        cargo_check(&dir);
    }
    let _ = std::fs::remove_dir_all(&base);
}
