//! The README's quick start is the crate documentation's (which rustdoc compiles as
//! a doc test), so it cannot rot.

#[test]
fn readme_quick_start_is_the_compiled_crate_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let lib = std::fs::read_to_string(format!("{root}/generated/src/lib.rs")).unwrap();
    let start = readme
        .find("```rust,no_run\n")
        .expect("README has a Rust quick start")
        + "```rust,no_run\n".len();
    let end = start + readme[start..].find("```").unwrap();
    let documented: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        documented.contains(readme[start..end].trim_end()),
        "README quick start differs from the crate docs of generated/src/lib.rs"
    );
}

/// The README's roller-shutter example is the documentation of `overkiz::home`
/// (compiled as a doc test), without its hidden `# ` lines.
#[test]
fn readme_home_example_is_the_compiled_home_module_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let home = std::fs::read_to_string(format!("{root}/generated/src/home/mod.rs")).unwrap();
    let section = &readme[readme
        .find("## Home automation")
        .expect("README has the section")..];
    let start = section
        .find("```rust\n")
        .expect("the section has an example")
        + "```rust\n".len();
    let end = start + section[start..].find("```").unwrap();
    let documented: Vec<&str> = home
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| !l.starts_with("```no_run"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .filter(|l| !l.starts_with("# "))
        .collect();
    assert_eq!(
        section[start..end].trim_end(),
        documented.join("\n").trim_end(),
        "README example differs from the docs of generated/src/home/mod.rs"
    );
}

/// The README's two-home example is the documentation of `overkiz::SomfyAccount`
/// (compiled as a doc test), without its hidden `# ` lines.
#[test]
fn readme_two_home_example_is_the_compiled_somfy_account_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let source = std::fs::read_to_string(format!("{root}/generated/src/accounts/somfy_account.rs")).unwrap();
    let section = &readme[readme
        .find("### A Somfy account with several homes")
        .expect("README has the section")..];
    let start = section.find("```rust\n").expect("an example") + "```rust\n".len();
    let end = start + section[start..].find("```").unwrap();
    let documented: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix("///"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| !l.starts_with("```no_run"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .filter(|l| !l.starts_with("# "))
        .collect();
    assert_eq!(
        section[start..end].trim_end(),
        documented.join("\n").trim_end(),
        "README example differs from the docs of generated/src/accounts/somfy_account.rs"
    );
}
