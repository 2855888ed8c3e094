//! The runtime's layers (`ARCHITECTURE.md`, "The runtime"): each hand-written module
//! imports only from its own layer or the layers below it, and no modules import
//! each other in a circle.
//!
//! The import graph is read from the source, as the layering is described: a module
//! is a file under `generated/src` (named by its module path, `value::de`,
//! `error`), and it imports the modules its `use crate::…` trees and `crate::x::…`
//! paths name, outside comments, strings and `#[cfg(test)]` items. Names re-exported
//! at the crate root (`crate::Client`, `crate::types`) count as the module that
//! defines them (read from `lib.rs`). Relative paths (`super::`, `self::`) stay
//! inside a directory, so they are not edges. The generated tree's files are
//! modules too: their imports of the runtime must respect the layers (the runtime
//! is what they are emitted against), and the circle check follows them too (the
//! secret names the masking code reads are a generated module of their own,
//! `generated/secret_names.rs`, so masking and the generated `Debug` impls that use
//! it are no circle).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// The layers, bottom first. A module belongs to the layer listing the longest
/// prefix of its path; every module must belong to one.
const LAYERS: &[(&str, &[&str])] = &[
    (
        "value",
        &[
            "value",
            "generated::vocabulary",
            "generated::types",
            "generated::events",
            "generated::operations",
            "generated::secret_names",
            "generated::secrets",
        ],
    ),
    ("error", &["error"]),
    ("config", &["config"]),
    ("transport", &["transport"]),
    ("client", &["client", "generated", "generated::calls"]),
    (
        "built on the client",
        &["accounts", "follow", "home", "tools"],
    ),
    ("the live model", &["live"]),
];

/// An import graph: each module and the modules it imports.
type Graph = BTreeMap<String, BTreeSet<String>>;

fn src() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("src")
}

#[test]
fn the_runtime_has_no_import_circle() {
    let (graph, _) = read_graph(&src());
    let circles: Vec<Vec<String>> = strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    let top_level = collapse(&graph);
    for (what, graph) in [("modules", &graph), ("top-level modules", &top_level)] {
        println!(
            "{} {what} ({} hand-written), {} imports, largest strongly connected set: {}",
            graph.len(),
            graph.keys().filter(|m| !is_generated(m)).count(),
            graph.values().map(BTreeSet::len).sum::<usize>(),
            strongly_connected(graph)
                .iter()
                .map(Vec::len)
                .max()
                .unwrap_or(0)
        );
        for circle in strongly_connected(graph).iter().filter(|c| c.len() > 1) {
            println!("  circle: {}", circle.join(" "));
        }
    }
    assert!(
        circles.is_empty(),
        "modules importing each other in a circle: {circles:#?}"
    );
    let top_circles: Vec<Vec<String>> = strongly_connected(&top_level)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    assert!(
        top_circles.is_empty(),
        "the crate root's modules import each other in a circle: {top_circles:#?}"
    );
}

#[test]
fn no_module_imports_from_a_higher_layer() {
    let (_, all_imports) = read_graph(&src());
    let mut wrong = Vec::new();
    for (module, imports) in &all_imports {
        let Some(from) = layer_of(module) else {
            wrong.push(format!(
                "{module} is in no layer (add it to LAYERS and ARCHITECTURE.md)"
            ));
            continue;
        };
        for import in imports {
            match layer_of(import) {
                Some(to) if to > from => wrong.push(format!(
                    "{module} ({}) imports {import} ({})",
                    LAYERS[from].0, LAYERS[to].0
                )),
                Some(_) => {}
                None => wrong.push(format!("{import} is in no layer")),
            }
        }
    }
    assert!(
        wrong.is_empty(),
        "imports against the layers:\n{}",
        wrong.join("\n")
    );
}

/// `ARCHITECTURE.md` and the crate documentation name every layer's directories.
#[test]
fn every_layer_is_in_the_architecture_map() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
    let map = std::fs::read_to_string(root.join("ARCHITECTURE.md")).unwrap();
    let lib = std::fs::read_to_string(src().join("lib.rs")).unwrap();
    for (layer, prefixes) in LAYERS {
        for prefix in prefixes
            .iter()
            .filter(|p| !p.contains("::") && !is_generated(p))
        {
            let dir = format!("`{prefix}/`");
            assert!(
                map.contains(&dir),
                "ARCHITECTURE.md does not name {dir} (layer {layer})"
            );
            assert!(
                lib.contains(&dir),
                "the docs of lib.rs do not name {dir} (layer {layer})"
            );
        }
    }
}

/// The circle check finds a circle: `a → b → c → a` is one strongly connected set,
/// read from source text the way the runtime's files are read.
#[test]
fn a_circle_is_found() {
    let files = [
        (
            "a",
            "use crate::b::Thing;\n#[cfg(test)]\nmod tests { use crate::d::X; }",
        ),
        (
            "b",
            "pub struct Thing; fn f() { crate::c::g(\"crate::d\"); } // crate::d",
        ),
        ("c", "use crate::{a::{self, Z}, Alias};"),
        ("d", "use crate::c::g;"),
        ("e", "pub fn g() {}"),
    ];
    let modules: BTreeSet<String> = files.iter().map(|(m, _)| m.to_string()).collect();
    let aliases = BTreeMap::from([(vec!["Alias".to_string()], path("e::g"))]);
    let graph: Graph = files
        .iter()
        .map(|(m, text)| (m.to_string(), imports(text, m, &modules, &aliases)))
        .collect();
    assert_eq!(graph["a"], set(&["b"]), "a cfg(test) module is no import");
    assert_eq!(
        graph["b"],
        set(&["c"]),
        "comments and strings are no imports"
    );
    assert_eq!(
        graph["c"],
        set(&["a", "e"]),
        "use trees and root aliases count"
    );
    let circles: Vec<Vec<String>> = strongly_connected(&graph)
        .into_iter()
        .filter(|c| c.len() > 1)
        .collect();
    assert_eq!(circles, vec![vec!["a".to_string(), "b".into(), "c".into()]]);
}

/// The layer index of `module`: the layer listing the longest prefix of its path.
fn layer_of(module: &str) -> Option<usize> {
    let mut best: Option<(usize, usize)> = None;
    for (index, (_, prefixes)) in LAYERS.iter().enumerate() {
        for prefix in *prefixes {
            let matches = module == *prefix || module.starts_with(&format!("{prefix}::"));
            if matches && best.is_none_or(|(len, _)| prefix.len() > len) {
                best = Some((prefix.len(), index));
            }
        }
    }
    best.map(|(_, index)| index)
}

fn is_generated(module: &str) -> bool {
    module == "generated" || module.starts_with("generated::")
}

/// Reads the modules under `src`: the graph of the circle check (the generated
/// files' imports left out) and every module's imports (for the layer check).
fn read_graph(src: &Path) -> (Graph, Graph) {
    let raw_lib = std::fs::read_to_string(src.join("lib.rs")).unwrap();
    let lib = strip(&raw_lib);
    let mut files = Vec::new();
    collect_files(src, &mut files);
    let paths = path_attributes(&raw_lib);
    let mut sources = BTreeMap::new();
    for file in files {
        let relative = file
            .strip_prefix(src)
            .unwrap()
            .to_string_lossy()
            .replace('\\', "/");
        if relative == "lib.rs" {
            continue;
        }
        let module = paths
            .get(&relative)
            .cloned()
            .unwrap_or_else(|| module_path(&relative));
        sources.insert(module, std::fs::read_to_string(&file).unwrap());
    }
    let modules: BTreeSet<String> = sources.keys().cloned().collect();
    let aliases = root_aliases(&lib);
    let all: Graph = sources
        .iter()
        .map(|(m, text)| (m.clone(), imports(text, m, &modules, &aliases)))
        .collect();
    // The circle check follows the generated files' imports too.
    let runtime = all.clone();
    (runtime, all)
}

fn collect_files(dir: &Path, out: &mut Vec<PathBuf>) {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    entries.sort();
    for path in entries {
        if path.is_dir() {
            collect_files(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// `value/de.rs` → `value::de`, `error/mod.rs` → `error`.
fn module_path(relative: &str) -> String {
    let without = relative.strip_suffix(".rs").unwrap();
    let without = without.strip_suffix("/mod").unwrap_or(without);
    without.replace('/', "::")
}

/// The crate root's `#[path = "file"] mod name;` declarations: file → module.
fn path_attributes(lib: &str) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut rest = lib;
    while let Some(at) = rest.find("#[path") {
        rest = &rest[at..];
        let file_start = rest.find('"').unwrap() + 1;
        let file_end = file_start + rest[file_start..].find('"').unwrap();
        let file = rest[file_start..file_end].to_string();
        let after = &rest[file_end..];
        let name_start = after.find("mod ").unwrap() + 4;
        let name: String = after[name_start..]
            .chars()
            .take_while(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        out.insert(file, name);
        rest = &rest[file_end..];
    }
    out
}

/// The names the crate root re-exports (`pub use client::{Client, …}`, also inside
/// its inline modules such as `__private`), each with the path it stands for.
fn root_aliases(lib: &str) -> BTreeMap<Vec<String>, Vec<String>> {
    let mut aliases = BTreeMap::new();
    let mut scope: Vec<(String, usize)> = Vec::new();
    let mut depth = 0;
    let tokens = tokenize(lib);
    let mut i = 0;
    while i < tokens.len() {
        match tokens[i].as_str() {
            "{" => depth += 1,
            "}" => {
                depth -= 1;
                if scope.last().is_some_and(|(_, d)| *d == depth) {
                    scope.pop();
                }
            }
            "mod" if tokens.get(i + 2).is_some_and(|t| t == "{") => {
                scope.push((tokens[i + 1].clone(), depth));
            }
            "use" => {
                let end = i + tokens[i..].iter().position(|t| t == ";").unwrap();
                let mut tree = &tokens[i + 1..end];
                if tree.first().is_some_and(|t| t == "crate") {
                    tree = &tree[2..];
                }
                let prefix: Vec<String> = scope.iter().map(|(m, _)| m.clone()).collect();
                for (target, name) in use_tree(tree, &[]) {
                    let mut key = prefix.clone();
                    key.push(name);
                    aliases.insert(key, target);
                }
                i = end;
            }
            _ => {}
        }
        i += 1;
    }
    aliases
}

/// The modules that `text` (the source of `module`) imports through `crate::`.
fn imports(
    text: &str,
    module: &str,
    modules: &BTreeSet<String>,
    aliases: &BTreeMap<Vec<String>, Vec<String>>,
) -> BTreeSet<String> {
    let code = without_test_items(&strip(text));
    let tokens = tokenize(&code);
    let mut paths = Vec::new();
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i] == "crate" && tokens.get(i + 1).is_some_and(|t| t == "::") {
            let end = if i > 0 && tokens[i - 1] == "use" {
                i + tokens[i..].iter().position(|t| t == ";").unwrap()
            } else {
                let mut end = i + 2;
                while end < tokens.len() && (tokens[end] == "::" || is_ident(&tokens[end])) {
                    end += 1;
                }
                end
            };
            paths.extend(
                use_tree(&tokens[i + 2..end], &[])
                    .into_iter()
                    .map(|(p, _)| p),
            );
            i = end;
        } else {
            i += 1;
        }
    }
    paths
        .iter()
        .filter_map(|p| resolve(p, modules, aliases))
        .filter(|m| m != module)
        .collect()
}

/// The module a `crate::` path names: root aliases replaced, then the longest
/// module path that prefixes it.
fn resolve(
    path: &[String],
    modules: &BTreeSet<String>,
    aliases: &BTreeMap<Vec<String>, Vec<String>>,
) -> Option<String> {
    let mut path = path.to_vec();
    for _ in 0..8 {
        let Some(len) = (1..=path.len())
            .rev()
            .find(|n| aliases.contains_key(&path[..*n]))
        else {
            break;
        };
        let mut replaced = aliases[&path[..len]].clone();
        replaced.extend_from_slice(&path[len..]);
        if replaced == path {
            break;
        }
        path = replaced;
    }
    (1..=path.len())
        .rev()
        .map(|n| path[..n].join("::"))
        .find(|m| modules.contains(m))
}

/// The paths of a use tree (`a::{b, c::d as e, self}`), each with the name it
/// brings into scope.
fn use_tree(tokens: &[String], prefix: &[String]) -> Vec<(Vec<String>, String)> {
    let mut out = Vec::new();
    let mut path = prefix.to_vec();
    let mut i = 0;
    while i < tokens.len() {
        let token = tokens[i].as_str();
        match token {
            "::" => {}
            "{" => {
                let mut depth = 0;
                let mut start = i + 1;
                let mut j = i;
                while j < tokens.len() {
                    match tokens[j].as_str() {
                        "{" => depth += 1,
                        "}" => depth -= 1,
                        "," if depth == 1 => {
                            out.extend(use_tree(&tokens[start..j], &path));
                            start = j + 1;
                        }
                        _ => {}
                    }
                    if depth == 0 {
                        break;
                    }
                    j += 1;
                }
                out.extend(use_tree(&tokens[start..j.min(tokens.len())], &path));
                return out;
            }
            "self" => {
                let name = path.last().cloned().unwrap_or_default();
                out.push((path.clone(), name));
                return out;
            }
            "as" => {
                if let Some(name) = tokens.get(i + 1) {
                    out.push((path.clone(), name.clone()));
                }
                return out;
            }
            "*" => {
                out.push((path.clone(), "*".into()));
                return out;
            }
            _ if is_ident(token) => path.push(token.to_string()),
            _ => break,
        }
        i += 1;
    }
    if path.len() > prefix.len() {
        let name = path.last().cloned().unwrap();
        out.push((path, name));
    }
    out
}

fn is_ident(token: &str) -> bool {
    token
        .chars()
        .next()
        .is_some_and(|c| c.is_alphabetic() || c == '_')
        && token.chars().all(|c| c.is_alphanumeric() || c == '_')
}

/// Identifiers, `::` and single punctuation characters.
fn tokenize(code: &str) -> Vec<String> {
    let chars: Vec<char> = code.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_alphanumeric() || c == '_' {
            let start = i;
            while i < chars.len() && (chars[i].is_alphanumeric() || chars[i] == '_') {
                i += 1;
            }
            tokens.push(chars[start..i].iter().collect());
            continue;
        }
        if c == ':' && chars.get(i + 1) == Some(&':') {
            tokens.push("::".into());
            i += 2;
            continue;
        }
        if !c.is_whitespace() {
            tokens.push(c.to_string());
        }
        i += 1;
    }
    tokens
}

/// `code` without comments, with string and character literals emptied.
fn strip(code: &str) -> String {
    let chars: Vec<char> = code.chars().collect();
    let mut out = String::with_capacity(code.len());
    let mut i = 0;
    let ident = |c: char| c.is_alphanumeric() || c == '_';
    while i < chars.len() {
        let c = chars[i];
        let next = chars.get(i + 1).copied();
        if c == '/' && next == Some('/') {
            while i < chars.len() && chars[i] != '\n' {
                i += 1;
            }
        } else if c == '/' && next == Some('*') {
            let mut depth = 0;
            while i < chars.len() {
                if chars[i] == '/' && chars.get(i + 1) == Some(&'*') {
                    depth += 1;
                    i += 2;
                } else if chars[i] == '*' && chars.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    i += 1;
                }
            }
            out.push(' ');
        } else if (c == 'r' || c == 'b')
            && (i == 0 || !ident(chars[i - 1]))
            && raw_string_end(&chars, i).is_some()
        {
            i = raw_string_end(&chars, i).unwrap();
            out.push_str("\"\"");
        } else if c == '"' {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            i += 1;
            out.push_str("\"\"");
        } else if c == '\'' {
            // A character literal ('x', '\n', '\''), or a lifetime ('a).
            if next == Some('\\') {
                i += 2;
                while i < chars.len() && chars[i] != '\'' {
                    i += 1;
                }
                i += 1;
                out.push_str("' '");
            } else if chars.get(i + 2) == Some(&'\'') {
                i += 3;
                out.push_str("' '");
            } else {
                out.push(c);
                i += 1;
            }
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

/// Where a raw or byte string starting at `i` (`r"…"`, `r#"…"#`, `br"…"`, `b"…"`)
/// ends, if one starts there.
fn raw_string_end(chars: &[char], mut i: usize) -> Option<usize> {
    if chars[i] == 'b' {
        i += 1;
        if chars.get(i) == Some(&'"') {
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                i += if chars[i] == '\\' { 2 } else { 1 };
            }
            return Some(i + 1);
        }
    }
    if chars.get(i) != Some(&'r') {
        return None;
    }
    i += 1;
    let mut hashes = 0;
    while chars.get(i) == Some(&'#') {
        hashes += 1;
        i += 1;
    }
    if chars.get(i) != Some(&'"') {
        return None;
    }
    i += 1;
    while i < chars.len() {
        if chars[i] == '"' && (1..=hashes).all(|h| chars.get(i + h) == Some(&'#')) {
            return Some(i + 1 + hashes);
        }
        i += 1;
    }
    Some(i)
}

/// `code` (stripped) without the items under `#[cfg(test)]`.
fn without_test_items(code: &str) -> String {
    let mut out = String::with_capacity(code.len());
    let mut rest = code;
    while let Some(at) = rest.find("#[cfg(test)]") {
        out.push_str(&rest[..at]);
        let bytes = rest.as_bytes();
        let mut i = at + "#[cfg(test)]".len();
        let mut depth = 0i32;
        while i < bytes.len() {
            match bytes[i] {
                b'(' | b'[' => depth += 1,
                b')' | b']' => depth -= 1,
                b';' if depth == 0 => break,
                b'{' if depth == 0 => {
                    let mut braces = 0;
                    while i < bytes.len() {
                        match bytes[i] {
                            b'{' => braces += 1,
                            b'}' => {
                                braces -= 1;
                                if braces == 0 {
                                    break;
                                }
                            }
                            _ => {}
                        }
                        i += 1;
                    }
                    break;
                }
                _ => {}
            }
            i += 1;
        }
        rest = &rest[(i + 1).min(rest.len())..];
    }
    out.push_str(rest);
    out
}

/// Tarjan's strongly connected components, each sorted, in a stable order.
fn strongly_connected(graph: &Graph) -> Vec<Vec<String>> {
    struct State<'g> {
        graph: &'g Graph,
        index: BTreeMap<&'g str, usize>,
        low: BTreeMap<&'g str, usize>,
        stack: Vec<&'g str>,
        on_stack: BTreeSet<&'g str>,
        out: Vec<Vec<String>>,
    }
    fn visit<'g>(s: &mut State<'g>, node: &'g str) {
        let n = s.index.len();
        s.index.insert(node, n);
        s.low.insert(node, n);
        s.stack.push(node);
        s.on_stack.insert(node);
        for next in s.graph.get(node).into_iter().flatten() {
            let next = next.as_str();
            if !s.graph.contains_key(next) {
                continue;
            }
            if !s.index.contains_key(next) {
                visit(s, next);
                let low = s.low[node].min(s.low[next]);
                s.low.insert(node, low);
            } else if s.on_stack.contains(next) {
                let low = s.low[node].min(s.index[next]);
                s.low.insert(node, low);
            }
        }
        if s.low[node] == s.index[node] {
            let mut component = Vec::new();
            while let Some(top) = s.stack.pop() {
                s.on_stack.remove(top);
                component.push(top.to_string());
                if top == node {
                    break;
                }
            }
            component.sort();
            s.out.push(component);
        }
    }
    let mut state = State {
        graph,
        index: BTreeMap::new(),
        low: BTreeMap::new(),
        stack: Vec::new(),
        on_stack: BTreeSet::new(),
        out: Vec::new(),
    };
    for node in graph.keys() {
        if !state.index.contains_key(node.as_str()) {
            visit(&mut state, node);
        }
    }
    state.out.sort();
    state.out
}

/// `graph` with each module replaced by its first path segment (`value::de` →
/// `value`), the view of the crate root's modules; imports within one are dropped.
fn collapse(graph: &Graph) -> Graph {
    // The generated tree spans layers (its types are values, its methods are the
    // client's): each of its modules counts as part of its layer's directory.
    let top = |m: &str| match layer_of(m) {
        Some(layer) if is_generated(m) => LAYERS[layer].1[0].to_string(),
        _ => m.split("::").next().unwrap().to_string(),
    };
    let mut out = Graph::new();
    for (module, imports) in graph {
        let entry = out.entry(top(module)).or_default();
        entry.extend(imports.iter().map(|i| top(i)).filter(|i| *i != top(module)));
    }
    out
}

fn path(text: &str) -> Vec<String> {
    text.split("::").map(String::from).collect()
}

fn set(items: &[&str]) -> BTreeSet<String> {
    items.iter().map(|s| s.to_string()).collect()
}
