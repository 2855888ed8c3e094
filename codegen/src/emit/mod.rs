//! Rust source from the IR: which generated file each emitter writes, and how a
//! file is made: a line naming its source, then prettyplease's output of its
//! `TokenStream` as is (no text changes after formatting). Also the identifier and
//! type helpers the emitters share.
//!
//! The emitter is a pure function from the IR to a list of files; only `xtask`
//! writes them.

mod api;
mod calls;
mod doc_text;
mod endpoints;
mod events;
mod local_api;
mod method_docs;
mod operations;
pub mod secrets;
mod sections;
mod types;

use proc_macro2::{Ident, Span, TokenStream};
use quote::quote;

use crate::features::{Gate, Plan};
use crate::ir::{Ir, Ty};
use crate::names::ident_text;
use crate::output::GeneratedFile;

use doc_text::doc_lines;
pub use doc_text::{code, doc_text};

/// Directory of the generated modules, relative to the workspace root.
pub const GENERATED_DIR: &str = "generated/src/generated";

/// The source of the documentation's modules, named in their first line.
const DOC_SOURCE: &str = "spec/enduser-api.txt";

/// Renders every generated source file: the documentation's modules from the IR,
/// gated by the features of `plan`, the vocabulary's from the text of
/// `spec/vocabulary.toml`, and the `[features]` table of the crate's manifest (a
/// part of it: see [`crate::output::sync`]).
pub fn emit(ir: &Ir, plan: &Plan, vocabulary_text: &str) -> Result<Vec<GeneratedFile>, String> {
    let mut files = Vec::new();
    let mut api = api::Listing::default();
    let mut file = |relative: &str, tokens: TokenStream| -> Result<GeneratedFile, String> {
        let (generated, syntax) = file_of(relative, DOC_SOURCE, tokens)?;
        api.add(relative, &syntax);
        Ok(generated)
    };
    let mut modules = Vec::new();
    for (module, ops) in endpoints::by_module(ir) {
        let gate = plan.modules.get(&module).cloned().unwrap_or(Gate::Always);
        let tokens = endpoints::module(ir, plan, &gate, &ops)?;
        files.push(file(&format!("calls/{module}.rs"), tokens)?);
        modules.push((module, gate, endpoints::exports(plan, &ops)));
    }
    let mod_items = modules.iter().map(|(m, gate, exports)| {
        let m = ident(m);
        let cfg = gate.attr();
        // One `pub use` per gate: the module's own, or each name's inside a module
        // the runtime needs.
        let mut by_gate: std::collections::BTreeMap<&Gate, Vec<proc_macro2::Ident>> =
            std::collections::BTreeMap::new();
        for (name, export_gate) in exports {
            let export_gate = if *gate == Gate::Always {
                export_gate
            } else {
                gate
            };
            by_gate
                .entry(export_gate)
                .or_default()
                .push(type_ident(name));
        }
        let uses = by_gate.iter().map(|(export_gate, names)| {
            let cfg = export_gate.attr();
            quote! {
                #cfg
                pub use #m::{#(#names),*};
            }
        });
        quote! {
            #cfg
            mod #m;
            #(#uses)*
        }
    });
    let links = sections::calls_doc(ir, plan);
    files.push(file(
        "calls/mod.rs",
        quote! {
            //! The endpoint methods of [`crate::Client`], one file per group of the
            //! documentation, and what some of them return: the calls of operations with
            //! options (one method per option), and the forms of form operations.
            //!
            //! Each group is a Cargo feature (on by default) that compiles its methods;
            //! the methods the runtime calls itself always compile. The groups, each
            //! linked to its first method (when its feature is on):
            //!
            #(#links)*
            #(#mod_items)*
        },
    )?);
    files.push(file("types.rs", types::module(ir, plan)?)?);
    files.push(file("events.rs", events::module(ir)?)?);
    files.push(file("operations.rs", operations::module(ir))?);
    files.push(file("secrets.rs", secrets::module(ir, plan)?)?);
    files.push(file("secret_names.rs", secrets::names_module()?)?);
    let vocabulary = crate::vocabulary::module(vocabulary_text)?;
    let (vocabulary, _) = file_of(
        crate::vocabulary::MODULE_PATH,
        crate::vocabulary::VOCABULARY_PATH,
        vocabulary,
    )?;
    files.push(vocabulary);
    let local = crate::local_api::LocalApi::parse(crate::local_api::LOCAL_API)?;
    let (local, _) = file_of(
        crate::local_api::MODULE_PATH,
        crate::local_api::LOCAL_API_PATH,
        local_api::module(ir, &local)?,
    )?;
    files.push(local);
    files.push(file(
        "mod.rs",
        quote! {
            //! Code generated from the Overkiz End-User API documentation.
            pub mod calls;
            pub mod events;
            pub mod local_api;
            pub mod operations;
            pub(crate) mod secret_names;
            pub(crate) mod secrets;
            pub mod types;
            pub mod vocabulary;
        },
    )?);
    files.push(GeneratedFile {
        path: format!("{GENERATED_DIR}/{}", sections::SECTIONS_PATH),
        contents: sections::markdown(ir, plan),
    });
    files.push(GeneratedFile {
        path: crate::features::CARGO_TOML_PATH.to_owned(),
        contents: plan.cargo_table(),
    });
    files.push(api.finish());
    files.sort_by(|a, b| a.path.cmp(&b.path));
    Ok(files)
}

/// Formats one file (path relative to [`GENERATED_DIR`]) made from `source`: a
/// line naming the source, then prettyplease's output as is.
fn file_of(
    relative: &str,
    source: &str,
    tokens: TokenStream,
) -> Result<(GeneratedFile, syn::File), String> {
    let path = format!("{GENERATED_DIR}/{relative}");
    let syntax: syn::File =
        syn::parse2(tokens).map_err(|e| format!("{path}: generated code does not parse: {e}"))?;
    let contents = format!(
        "// Generated by `cargo xtask codegen` from `{source}`. Do not edit by hand.\n\n{}",
        prettyplease::unparse(&syntax)
    );
    Ok((GeneratedFile { path, contents }, syntax))
}

/// `tokens` (items) with the gate's `#[cfg]` on each item.
fn gated(tokens: TokenStream, gate: &Gate) -> Result<TokenStream, String> {
    let Some(cfg) = gate.cfg() else {
        return Ok(tokens);
    };
    let file: syn::File =
        syn::parse2(tokens).map_err(|e| format!("generated items do not parse: {e}"))?;
    let items = file.items.iter().map(|item| quote!(#cfg #item));
    Ok(quote!(#(#items)*))
}

/// An identifier from snake-case text, escaped when it is a keyword.
fn ident(snake_text: &str) -> Ident {
    let text = ident_text(snake_text);
    match text.strip_prefix("r#") {
        Some(raw) => Ident::new_raw(raw, Span::call_site()),
        None => Ident::new(&text, Span::call_site()),
    }
}

/// A type or variant identifier.
fn type_ident(name: &str) -> Ident {
    Ident::new(&crate::names::type_ident_text(name), Span::call_site())
}

/// The Rust type of a field or answer, as seen from inside `crate::generated`.
fn rust_ty(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(String),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::Bool => quote!(bool),
        Ty::Json => quote!(serde_json::Value),
        Ty::Vec(inner) => {
            let inner = rust_ty(inner);
            quote!(Vec<#inner>)
        }
        Ty::Map(inner) => {
            let inner = rust_ty(inner);
            quote!(std::collections::BTreeMap<String, #inner>)
        }
        Ty::Named(name) => {
            let name = type_ident(name);
            quote!(crate::types::#name)
        }
        Ty::Event => quote!(crate::Event),
        Ty::Upload => quote!(crate::Upload),
    }
}
