//! The proof that the feature gates of the emitted code are complete, read back
//! from the generated files (not from the plan that wrote them), so that a
//! feature set never fails to compile because a type sits behind another feature
//! (without compiling every feature alone):
//!
//! - every item's gate is its own `#[cfg]`, else its module's (`calls/mod.rs`),
//!   else none;
//! - an item that compiles must find every generated type it names (`types::X`,
//!   and the call types of its `calls/` file) compiled: the type's gate is none,
//!   or has every feature of the item's;
//! - a type's impls, `fields!` table and `Debug` have exactly the type's gate;
//! - `events.rs` has no gate (a stream receives every event whatever the
//!   features), so what an event reaches compiles always, by the rule above.

use std::collections::{BTreeMap, BTreeSet};

use proc_macro2::{TokenStream, TokenTree};
use quote::ToTokens;
use syn::punctuated::Punctuated;

/// When an item compiles, as read from its `#[cfg]`: `None` always, else when any
/// of the features is on.
type ReadGate = Option<BTreeSet<String>>;

/// The gate of a `#[cfg(...)]` attribute list; an error for a `cfg` of another
/// form than `feature = "x"` or `any(feature = "x", ...)`.
fn read_gate(attrs: &[syn::Attribute]) -> Result<ReadGate, String> {
    let mut gate = None;
    for attr in attrs.iter().filter(|a| a.path().is_ident("cfg")) {
        let meta: syn::Meta = attr.parse_args().map_err(|e| e.to_string())?;
        let features = match &meta {
            syn::Meta::NameValue(_) => vec![feature_of(&meta)?],
            syn::Meta::List(list) if list.path.is_ident("any") => list
                .parse_args_with(Punctuated::<syn::Meta, syn::Token![,]>::parse_terminated)
                .map_err(|e| e.to_string())?
                .iter()
                .map(feature_of)
                .collect::<Result<_, _>>()?,
            _ => return Err(format!("unexpected cfg: {}", meta.to_token_stream())),
        };
        if gate.is_some() {
            return Err("two cfg attributes on one item".to_owned());
        }
        gate = Some(features.into_iter().collect());
    }
    Ok(gate)
}

fn feature_of(meta: &syn::Meta) -> Result<String, String> {
    if let syn::Meta::NameValue(nv) = meta {
        if nv.path.is_ident("feature") {
            if let syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(s),
                ..
            }) = &nv.value
            {
                return Ok(s.value());
            }
        }
    }
    Err(format!(
        "unexpected cfg predicate: {}",
        meta.to_token_stream()
    ))
}

/// Whether everything `item` enables is enabled by `target` too.
fn covers(target: &ReadGate, item: &ReadGate) -> bool {
    match (target, item) {
        (None, _) => true,
        (Some(_), None) => false,
        (Some(t), Some(i)) => i.is_subset(t),
    }
}

fn show(gate: &ReadGate) -> String {
    match gate {
        None => "always".to_owned(),
        Some(f) => format!("{f:?}"),
    }
}

/// One item of a file with its gate, the type it belongs to (types and their
/// impls), and what it names.
struct Item {
    place: String,
    gate: ReadGate,
    owner: Option<String>,
    tokens: TokenStream,
}

/// `types::X` paths in `tokens` (X), and the identifiers of `locals` it names.
fn named(tokens: TokenStream, locals: &BTreeSet<String>, out: &mut BTreeSet<String>) {
    let flat: Vec<TokenTree> = flatten(tokens);
    for (i, tree) in flat.iter().enumerate() {
        let TokenTree::Ident(ident) = tree else {
            continue;
        };
        let text = ident.to_string();
        if text == "types" {
            if let (
                Some(TokenTree::Punct(a)),
                Some(TokenTree::Punct(b)),
                Some(TokenTree::Ident(x)),
            ) = (flat.get(i + 1), flat.get(i + 2), flat.get(i + 3))
            {
                if a.as_char() == ':' && b.as_char() == ':' {
                    out.insert(format!("types::{x}"));
                }
            }
        } else if locals.contains(&text) {
            out.insert(format!("calls::{text}"));
        }
    }
}

fn flatten(tokens: TokenStream) -> Vec<TokenTree> {
    let mut out = Vec::new();
    for tree in tokens {
        match tree {
            TokenTree::Group(g) => {
                out.push(TokenTree::Punct(proc_macro2::Punct::new(
                    ';',
                    proc_macro2::Spacing::Alone,
                )));
                out.extend(flatten(g.stream()));
                out.push(TokenTree::Punct(proc_macro2::Punct::new(
                    ';',
                    proc_macro2::Spacing::Alone,
                )));
            }
            other => out.push(other),
        }
    }
    out
}

/// The last identifier of a type (`crate::types::X` → `X`).
fn type_name(ty: &syn::Type) -> Option<String> {
    match ty {
        syn::Type::Path(p) => p.path.segments.last().map(|s| s.ident.to_string()),
        _ => None,
    }
}

/// The items of a file (the methods of an `impl crate::Client` block one by one).
fn items(path: &str, file: &syn::File, module_gate: &ReadGate) -> Result<Vec<Item>, String> {
    let mut out = Vec::new();
    let scope = |own: ReadGate| own.or_else(|| module_gate.clone());
    for item in &file.items {
        let (attrs, owner, name): (&[syn::Attribute], Option<String>, String) = match item {
            syn::Item::Struct(s) => (&s.attrs, Some(s.ident.to_string()), s.ident.to_string()),
            syn::Item::Enum(e) => (&e.attrs, Some(e.ident.to_string()), e.ident.to_string()),
            syn::Item::Impl(i) => {
                let owner = type_name(&i.self_ty);
                if owner.as_deref() == Some("Client") {
                    let block_gate = read_gate(&i.attrs)?;
                    for f in &i.items {
                        if let syn::ImplItem::Fn(f) = f {
                            out.push(Item {
                                place: format!("{path}: Client::{}", f.sig.ident),
                                gate: scope(read_gate(&f.attrs)?.or(block_gate.clone())),
                                owner: None,
                                tokens: f.to_token_stream(),
                            });
                        }
                    }
                    continue;
                }
                let name = format!("impl {}", owner.clone().unwrap_or_default());
                (&i.attrs, owner, name)
            }
            syn::Item::Macro(m) => {
                let owner = m.mac.tokens.clone().into_iter().find_map(|t| match t {
                    TokenTree::Ident(i) => Some(i.to_string()),
                    _ => None,
                });
                let name = format!(
                    "{}!({})",
                    m.mac.path.to_token_stream(),
                    owner.clone().unwrap_or_default()
                );
                (&m.attrs, owner, name)
            }
            syn::Item::Use(u) => (&u.attrs, None, "use".to_owned()),
            syn::Item::Mod(m) => (&m.attrs, None, format!("mod {}", m.ident)),
            syn::Item::Const(c) => (&c.attrs, None, format!("const {}", c.ident)),
            syn::Item::Static(s) => (&s.attrs, None, format!("static {}", s.ident)),
            syn::Item::Type(t) => (&t.attrs, None, format!("type {}", t.ident)),
            syn::Item::Fn(f) => (&f.attrs, None, format!("fn {}", f.sig.ident)),
            other => (
                &[],
                None,
                format!("{}", other.to_token_stream())
                    .chars()
                    .take(40)
                    .collect(),
            ),
        };
        out.push(Item {
            place: format!("{path}: {name}"),
            gate: scope(read_gate(attrs)?),
            owner,
            tokens: item.to_token_stream(),
        });
    }
    Ok(out)
}

/// Checks the gates of the generated files (`(path relative to the generated
/// directory, text)`: `types.rs`, `secrets.rs`, `events.rs`, `calls/*.rs`) and
/// returns every problem found, empty when the closure is complete.
pub fn check(files: &[(String, String)]) -> Vec<String> {
    let mut problems = Vec::new();
    let mut parsed = BTreeMap::new();
    for (path, text) in files {
        match syn::parse_file(text) {
            Ok(file) => {
                parsed.insert(path.as_str(), file);
            }
            Err(e) => problems.push(format!("{path}: does not parse: {e}")),
        }
    }
    // The modules' gates, from `calls/mod.rs`.
    let mut module_gates: BTreeMap<String, ReadGate> = BTreeMap::new();
    if let Some(file) = parsed.get("calls/mod.rs") {
        for item in &file.items {
            if let syn::Item::Mod(m) = item {
                match read_gate(&m.attrs) {
                    Ok(gate) => {
                        module_gates.insert(format!("calls/{}.rs", m.ident), gate);
                    }
                    Err(e) => problems.push(format!("calls/mod.rs: mod {}: {e}", m.ident)),
                }
            }
        }
    }
    let mut all: Vec<(String, Vec<Item>)> = Vec::new();
    for (path, file) in &parsed {
        let module_gate = module_gates.get(*path).cloned().flatten();
        match items(path, file, &module_gate) {
            Ok(items) => all.push((path.to_string(), items)),
            Err(e) => problems.push(format!("{path}: {e}")),
        }
    }
    // Where each type is defined, with its gate.
    let mut defined: BTreeMap<String, ReadGate> = BTreeMap::new();
    for (path, items) in &all {
        let prefix = if path == "types.rs" {
            "types"
        } else if path.starts_with("calls/") {
            "calls"
        } else {
            continue;
        };
        for item in items {
            let is_type = item
                .place
                .ends_with(&format!(": {}", item.owner.clone().unwrap_or_default()));
            if let (true, Some(owner)) = (is_type, &item.owner) {
                defined.insert(format!("{prefix}::{owner}"), item.gate.clone());
            }
        }
    }
    for (path, items) in &all {
        let locals: BTreeSet<String> = if path.starts_with("calls/") {
            items
                .iter()
                .filter_map(|i| i.owner.clone())
                .filter(|o| defined.contains_key(&format!("calls::{o}")))
                .collect()
        } else {
            BTreeSet::new()
        };
        for item in items {
            if path == "events.rs" && item.gate.is_some() {
                problems.push(format!(
                    "{}: events are never gated, found {}",
                    item.place,
                    show(&item.gate)
                ));
            }
            // A type's impls and tables have its gate.
            let owner_key = match (path.as_str(), &item.owner) {
                ("types.rs" | "secrets.rs", Some(owner)) => Some(format!("types::{owner}")),
                (p, Some(owner)) if p.starts_with("calls/") => Some(format!("calls::{owner}")),
                _ => None,
            };
            if let Some(key) = &owner_key {
                if let Some(gate) = defined.get(key) {
                    if *gate != item.gate {
                        problems.push(format!(
                            "{}: gated {}, but its type {key} is gated {}",
                            item.place,
                            show(&item.gate),
                            show(gate)
                        ));
                    }
                }
            }
            let mut names = BTreeSet::new();
            named(item.tokens.clone(), &locals, &mut names);
            for name in names {
                if Some(&name) == owner_key.as_ref() {
                    continue;
                }
                match defined.get(&name) {
                    Some(gate) if covers(gate, &item.gate) => {}
                    Some(gate) => problems.push(format!(
                        "{}: compiles {} but names {name}, which compiles {}",
                        item.place,
                        show(&item.gate),
                        show(gate)
                    )),
                    None if name.starts_with("types::") => problems.push(format!(
                        "{}: names {name}, which is not defined",
                        item.place
                    )),
                    None => {}
                }
            }
        }
    }
    problems
}

#[cfg(test)]
mod tests {
    use super::*;

    fn files(types: &str, events: &str, calls: &str) -> Vec<(String, String)> {
        vec![
            ("types.rs".to_owned(), types.to_owned()),
            ("events.rs".to_owned(), events.to_owned()),
            (
                "calls/mod.rs".to_owned(),
                "#[cfg(feature = \"a\")] mod a; mod b;".to_owned(),
            ),
            ("calls/a.rs".to_owned(), calls.to_owned()),
            ("calls/b.rs".to_owned(), String::new()),
        ]
    }

    const TYPES: &str = r#"
        pub struct Ev { pub x: Option<crate::types::Shared> }
        crate::de::fields!(Ev { "x" => x });
        pub struct Shared {}
        #[cfg(any(feature = "a", feature = "b"))]
        pub struct Body { pub s: Option<crate::types::Shared> }
        #[cfg(feature = "a")]
        pub struct OnlyA {}
        #[cfg(feature = "a")]
        impl OnlyA { pub fn f(&self) {} }
    "#;
    const EVENTS: &str = "pub enum Event { Ev(crate::types::Ev) }";
    const CALLS: &str = r#"
        impl crate::Client {
            pub fn get(&self) -> Get<'_> { let _ : crate::types::OnlyA; todo!() }
        }
        pub struct Get<'a> { b: &'a crate::types::Body }
    "#;

    #[test]
    fn a_complete_closure_passes() {
        assert_eq!(check(&files(TYPES, EVENTS, CALLS)), Vec::<String>::new());
    }

    #[test]
    fn a_type_behind_another_feature_fails() {
        // `Body` compiles with `b` too, but would name `OnlyA`, which needs `a`.
        let broken = TYPES.replace(
            "pub struct Body { pub s: Option<crate::types::Shared> }",
            "pub struct Body { pub s: Option<crate::types::Shared>, pub o: Option<crate::types::OnlyA> }",
        );
        let problems = check(&files(&broken, EVENTS, CALLS));
        assert_eq!(problems.len(), 1, "{problems:?}");
        assert!(
            problems[0].contains("types.rs: Body") && problems[0].contains("types::OnlyA"),
            "{problems:?}"
        );
    }

    #[test]
    fn an_event_reaching_a_gated_type_fails() {
        let broken = TYPES.replace(
            "pub struct Ev { pub x: Option<crate::types::Shared> }",
            "pub struct Ev { pub x: Option<crate::types::OnlyA> }",
        );
        let problems = check(&files(&broken, EVENTS, CALLS));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("types.rs: Ev") && p.contains("types::OnlyA")),
            "{problems:?}"
        );
        let gated_events = format!("#[cfg(feature = \"a\")] {EVENTS}");
        let problems = check(&files(TYPES, &gated_events, CALLS));
        assert!(
            problems
                .iter()
                .any(|p| p.contains("events are never gated")),
            "{problems:?}"
        );
    }

    #[test]
    fn an_impl_gated_unlike_its_type_fails() {
        let broken = TYPES.replace("#[cfg(feature = \"a\")]\n        impl OnlyA", "impl OnlyA");
        let problems = check(&files(&broken, EVENTS, CALLS));
        assert!(
            problems.iter().any(|p| p.contains("impl OnlyA")),
            "{problems:?}"
        );
    }

    #[test]
    fn a_method_outside_its_module_gate_fails() {
        // Module `b` always compiles: a method there naming `OnlyA` needs its own cfg.
        let mut f = files(TYPES, EVENTS, "");
        f[4].1 = "impl crate::Client { pub fn get(&self) -> crate::types::OnlyA { todo!() } }"
            .to_owned();
        let problems = check(&f);
        assert!(
            problems
                .iter()
                .any(|p| p.contains("calls/b.rs: Client::get")),
            "{problems:?}"
        );
        f[4].1 = "impl crate::Client { #[cfg(feature = \"a\")] pub fn get(&self) -> crate::types::OnlyA { todo!() } }".to_owned();
        assert_eq!(check(&f), Vec::<String>::new());
    }
}
