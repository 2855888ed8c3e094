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
