//! Prints the generated type names with where they come from (for reviewing names).
fn main() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_owned();
    let doc = std::fs::read_to_string(root.join("spec/enduser-api.txt")).unwrap();
    let curated = std::fs::read_to_string(root.join("spec/curated.toml")).unwrap();
    match overkiz_codegen::generate("enduser-api.txt", &doc, &curated) {
        Ok(generated) => {
            let ir = generated.ir;
            for s in ir.structs.values() {
                println!(
                    "struct {} ({} fields, {}x{}) {}",
                    s.name,
                    s.fields.len(),
                    s.occurrences,
                    if s.from_context { ", context name" } else { "" },
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
