fn main() {
    let path = std::env::args().nth(1).unwrap();
    let text = std::fs::read_to_string(&path).unwrap();
    match overkiz_codegen::parse("enduser-api.txt", &text) {
        Ok(spec) => {
            eprintln!("{}", overkiz_codegen::Summary::of(&spec));
            println!("{}", serde_json::to_string_pretty(&spec).unwrap());
        }
        Err(e) => println!("{e}"),
    }
}
