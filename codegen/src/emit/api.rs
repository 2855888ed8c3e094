//! `generated/api.txt`: the public API of the generated code, one item a line,
//! sorted, so that the API change of a documentation update is one small diff.
//!
//! It is read back from the generated files themselves (not from the IR), so it
//! lists exactly what the code declares:
//!
//! ```text
//! Client::get_setup(&self) -> calls::GetSetup<'_>
//! calls::GetSetup::with_manufacturer_data(self, with_manufacturer_data: bool) -> Self
//! types::Execution.start_time: Option<i64> = "startTime"
//! types::SetupTriggerType::SensorThreshold
//! events::Event::DeviceStateChanged(DeviceStateChangedEvent)
//! ```

use std::collections::{BTreeMap, BTreeSet};

use quote::ToTokens;

use crate::output::GeneratedFile;

/// Path of the listing, relative to the workspace root.
pub const API_PATH: &str = "generated/api.txt";

/// The listing, built one generated file at a time (from the syntax tree the
/// file is printed from, so nothing is parsed twice).
#[derive(Debug, Default)]
pub struct Listing {
    lines: BTreeSet<String>,
    /// Types of `crate::calls`, written bare in the endpoint files.
    calls: BTreeSet<String>,
}

impl Listing {
    /// Adds the public items of a generated file (path relative to the generated
    /// directory).
    pub fn add(&mut self, relative: &str, file: &syn::File) {
        let module = match relative {
            "types.rs" => "types",
            "events.rs" => "events",
            _ if relative.starts_with("calls/") => "calls",
            _ => return,
        };
        if module == "calls" {
            for item in &file.items {
                if let syn::Item::Struct(s) = item {
                    self.calls.insert(s.ident.to_string());
                }
            }
        }
        file_lines(module, file, &mut self.lines);
    }

    /// The file.
    pub fn finish(self) -> GeneratedFile {
        let mut contents = String::from(
            "# The public API of the generated code, one item a line, sorted (written by `cargo xtask codegen`).\n",
        );
        for line in self.lines {
            // `-> GetSetup<'_>`, `form: &PostLoginForm`: say where they live.
            let mut line = line;
            for name in &self.calls {
                for (lead, end) in [("-> ", "<"), ("&", ")"), ("&", ",")] {
                    line = line.replace(
                        &format!("{lead}{name}{end}"),
                        &format!("{lead}calls::{name}{end}"),
                    );
                }
            }
            contents.push_str(&line);
            contents.push('\n');
        }
        GeneratedFile {
            path: API_PATH.to_owned(),
            contents,
        }
    }
}

fn file_lines(module: &str, file: &syn::File, lines: &mut BTreeSet<String>) {
    // Wire names of struct fields, from the `fields!` tables.
    let mut wires: BTreeMap<(String, String), String> = BTreeMap::new();
    for item in &file.items {
        if let syn::Item::Macro(m) = item {
            if m.mac
                .path
                .segments
                .last()
                .is_some_and(|s| s.ident == "fields")
            {
                let text = m.mac.tokens.to_string();
                if let Some((name, entries, _)) = super::table_entries(&text) {
                    for (wire, field) in entries {
                        wires.insert((name.to_owned(), field.to_owned()), wire);
                    }
                }
            }
        }
    }
    for item in &file.items {
        match item {
            syn::Item::Impl(i) if i.trait_.is_none() => {
                let self_ty = tidy(&i.self_ty.to_token_stream().to_string());
                let owner = match self_ty.as_str() {
                    "Client" => "Client".to_owned(),
                    other => format!("{module}::{}", other.split('<').next().unwrap_or(other)),
                };
                for it in &i.items {
                    if let syn::ImplItem::Fn(m) = it {
                        if matches!(m.vis, syn::Visibility::Public(_)) {
                            let sig = &m.sig;
                            let name = sig.ident.to_string();
                            let inputs = sig.inputs.to_token_stream().to_string();
                            let output = match &sig.output {
                                syn::ReturnType::Default => String::new(),
                                syn::ReturnType::Type(_, t) => {
                                    format!(" -> {}", t.to_token_stream())
                                }
                            };
                            let deprecated =
                                if m.attrs.iter().any(|a| a.path().is_ident("deprecated")) {
                                    " #[deprecated]"
                                } else {
                                    ""
                                };
                            lines.insert(tidy(&format!(
                                "{owner}::{name}({inputs}){output}{deprecated}"
                            )));
                        }
                    }
                }
            }
            syn::Item::Struct(s) if matches!(s.vis, syn::Visibility::Public(_)) => {
                let name = s.ident.to_string();
                match &s.fields {
                    syn::Fields::Named(fields) => {
                        lines.insert(format!("{module}::{name}"));
                        for field in &fields.named {
                            let id = field
                                .ident
                                .as_ref()
                                .map(|i| i.to_string())
                                .unwrap_or_default();
                            let wire = wires
                                .get(&(name.clone(), id.clone()))
                                .map(|w| format!(" = {w}"))
                                .unwrap_or_default();
                            lines.insert(tidy(&format!(
                                "{module}::{name}.{id}: {}{wire}",
                                field.ty.to_token_stream()
                            )));
                        }
                    }
                    // Call types: a private field.
                    _ => {
                        lines.insert(format!("{module}::{name}"));
                    }
                }
            }
            syn::Item::Enum(e) if matches!(e.vis, syn::Visibility::Public(_)) => {
                let name = e.ident.to_string();
                lines.insert(format!("{module}::{name}"));
                for v in &e.variants {
                    lines.insert(tidy(&format!(
                        "{module}::{name}::{}{}",
                        v.ident,
                        v.fields.to_token_stream()
                    )));
                }
            }
            _ => {}
        }
    }
}

/// Token text (`& 'c self , x : & str`) as code is written (`&'c self, x: &str`).
fn tidy(tokens: &str) -> String {
    let mut s = tokens.to_owned();
    for (from, to) in [
        (" :: ", "::"),
        (":: ", "::"),
        (" ::", "::"),
        ("& '", "&'"),
        ("& ", "&"),
        (" < ", "<"),
        ("< ", "<"),
        (" <", "<"),
        (" >", ">"),
        (" ,", ","),
        (" :", ":"),
        ("( ", "("),
        (" )", ")"),
        (" [", "["),
        ("[ ", "["),
        (" ]", "]"),
        ("' _", "'_"),
        ("crate::", ""),
        (",)", ")"),
    ] {
        s = s.replace(from, to);
    }
    s
}
