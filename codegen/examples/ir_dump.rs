//! Prints the generated type names with where they come from (for reviewing names).
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let doc = std::fs::read_to_string(root.join("spec/enduser-api.txt")).unwrap();
    let curated = std::fs::read_to_string(root.join("spec/curated.toml")).unwrap();
    let spec = overkiz_codegen::parse("enduser-api.txt", &doc).unwrap();
    let curated = overkiz_codegen::curated::Curated::parse(&curated).unwrap();
    match overkiz_codegen::ir::build(&spec, &curated) {
        Ok(ir) => {
            for s in ir.structs.values() {
                println!(
                    "struct {} ({} fields, {}x) {}",
                    s.name,
                    s.fields.len(),
                    s.occurrences,
                    s.origin
                );
            }
            for u in ir.unions.values() {
                println!(
                    "union {} {:?}",
                    u.name,
                    u.variants.iter().map(|v| &v.key).collect::<Vec<_>>()
                );
            }
            for e in ir.enums.values() {
                println!("enum {} {}", e.name, e.variants.len());
            }
        }
        Err(e) => println!("{e}"),
    }
}
