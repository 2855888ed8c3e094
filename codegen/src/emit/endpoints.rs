//! `calls/<group>.rs`: one async method of `Client` per operation. Each method
//! only builds a `Request` and hands it to the shared runtime (`Client::execute`),
//! so the crate stays quick to compile.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::calls::{call_type, form_type};
use super::method_docs::{group_doc, method_doc};
use super::{doc_lines, ident, rust_ty, type_ident};
use crate::features::{Gate, Plan};
use crate::ir::{Answer, Ir, OpDef, ParamDef, Ty};

use crate::spec::ParamLocation;

/// Operations grouped by module, modules sorted, operations in document order.
pub fn by_module(ir: &Ir) -> BTreeMap<String, Vec<&OpDef>> {
    let mut modules: BTreeMap<String, Vec<&OpDef>> = BTreeMap::new();
    for op in &ir.operations {
        modules.entry(op.module.clone()).or_default().push(op);
    }
    modules
}

/// The gate of an operation's items inside its module: none when the module's own
/// gate (in `calls/mod.rs`) covers it, the operation's in a module that always
/// compiles (a module with an operation the runtime calls).
fn item_gate<'a>(plan: &'a Plan, module_gate: &Gate, op: &OpDef) -> Option<&'a Gate> {
    match module_gate {
        Gate::Always => plan.operations.get(&op.const_name),
        Gate::Any(_) => None,
    }
}

/// One module of endpoint methods, with the call types of the operations that have
/// options and the forms of the form operations. The `impl Client` block carries
/// the group's name and description: rustdoc shows it above the group's methods.
pub fn module(
    ir: &Ir,
    plan: &Plan,
    module_gate: &Gate,
    ops: &[&OpDef],
) -> Result<TokenStream, String> {
    let group = &ops[0].spec.group;
    let category = ops[0]
        .spec
        .category
        .as_deref()
        .map(|c| format!(" (category {c})"))
        .unwrap_or_default();
    let doc = format!(" Operations of the group \"{group}\"{category}.");
    let impl_doc = doc_lines(&group_doc(ir, ops[0]));
    let cfg = |op: &OpDef| cfg_gate(plan, module_gate, op).attr();
    let methods = ops.iter().map(|op| {
        let cfg = cfg(op);
        let method = method(op);
        quote!(#cfg #method)
    });
    // A call type or a form is a struct and its impls: each item gets the cfg.
    let items_of = |op: &OpDef, items: Option<TokenStream>| {
        items.map(|items| super::gated(items, &cfg_gate(plan, module_gate, op)))
    };
    let calls = ops
        .iter()
        .filter_map(|op| items_of(op, call_type(op)))
        .collect::<Result<Vec<_>, String>>()?;
    let forms = ops
        .iter()
        .filter_map(|op| items_of(op, form_type(op)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(quote! {
        #![doc = #doc]

        use crate::__private::{RawResponse, Request};
        use crate::{operations, Call};

        #impl_doc
        impl crate::Client {
            #(#methods)*
        }

        #(#calls)*
        #(#forms)*
    })
}

fn cfg_gate(plan: &Plan, module_gate: &Gate, op: &OpDef) -> Gate {
    item_gate(plan, module_gate, op)
        .cloned()
        .unwrap_or(Gate::Always)
}

/// The public names a module adds to `crate::calls`, sorted, each with its
/// operation's gate.
pub fn exports(plan: &Plan, ops: &[&OpDef]) -> Vec<(String, Gate)> {
    let mut names = Vec::new();
    for op in ops {
        let gate = plan
            .operations
            .get(&op.const_name)
            .cloned()
            .unwrap_or(Gate::Always);
        if has_options(op) {
            names.push((op.call_name.clone(), gate.clone()));
        }
        if is_form(op) {
            names.push((form_name(op), gate));
        }
    }
    names.sort();
    names
}

/// The optional parameters, set by methods of the call type.
pub(super) fn options(op: &OpDef) -> Vec<&ParamDef> {
    if is_form(op) {
        return Vec::new();
    }
    op.params.iter().filter(|p| !p.required).collect()
}

pub(super) fn has_options(op: &OpDef) -> bool {
    !options(op).is_empty() || matches!(op.body, Some((_, false)))
}

pub(super) fn is_form(op: &OpDef) -> bool {
    op.form
}

pub(super) fn form_name(op: &OpDef) -> String {
    format!("{}Form", op.call_name)
}

pub(super) fn answer(op: &OpDef) -> (TokenStream, TokenStream) {
    match &op.answer {
        Answer::Json(ty) => (rust_ty(ty), quote!(RawResponse::json)),
        Answer::Empty => (quote!(()), quote!(RawResponse::empty)),
        Answer::Text => (quote!(String), quote!(RawResponse::text)),
    }
}

fn method(op: &OpDef) -> TokenStream {
    let s = &op.spec;
    let fn_ident = ident(&op.fn_name);
    let const_ident = type_ident(&op.const_name);

    let mut args = Vec::new();
    let mut path_args = Vec::new();
    let mut query = Vec::new();
    let mut steps = Vec::new();
    let form = is_form(op);
    for p in op.params.iter().filter(|p| p.required && !form) {
        let id = ident(&p.rust);
        args.push(arg(p, &id));
        match p.location {
            ParamLocation::Path => path_args.push(path_value(p, &id)),
            ParamLocation::Query if p.ty == Ty::Upload => {
                let wire = &p.wire;
                steps.push(quote!(.upload(#wire, #id)));
            }
            ParamLocation::Query => query.push(query_call(p, &id)),
        }
    }
    if form {
        // Path parameters of a form operation stay positional.
        for p in op
            .params
            .iter()
            .filter(|p| p.location == ParamLocation::Path)
        {
            let id = ident(&p.rust);
            args.push(arg(p, &id));
            path_args.push(path_value(p, &id));
        }
        let form_ty = type_ident(&form_name(op));
        args.push(quote!(form: &#form_ty));
        query.push(quote!(.form(form.fields())));
    }
    if let Some((ty, true)) = &op.body {
        let body_ty = borrowed(ty);
        args.push(quote!(body: #body_ty));
        steps.push(quote!(.json(body)));
    }
    let (ret, decode) = answer(op);
    let path_step = (!path_args.is_empty()).then(|| quote!(.path(&[#(#path_args),*])));
    let call = quote! {
        Call::new(self, Request::new(&operations::#const_ident) #path_step #(#query)*, #decode) #(#steps)*
    };
    let (ret, body) = if has_options(op) {
        let call_ty = type_ident(&op.call_name);
        (quote!(#call_ty<'_>), quote!(#call_ty(#call)))
    } else {
        (quote!(Call<'_, #ret>), call)
    };
    let deprecated = s.deprecated_since.as_ref().map(|v| {
        // `since` must be semver for clippy; the page writes `2020.6` for `2020.6.0`.
        let semver = match v.split('.').count() {
            1 => format!("{v}.0.0"),
            2 => format!("{v}.0"),
            _ => v.clone(),
        };
        let note = format!("deprecated since version {v} of the Overkiz API");
        quote!(#[deprecated(since = #semver, note = #note)])
    });
    let deprecated = deprecated.or_else(|| {
        op.removed_after.as_ref().map(|v| {
            let note =
                format!("documented up to version {v} only: kept for servers of that version");
            quote!(#[deprecated(note = #note)])
        })
    });
    let many_args = (args.len() > 6).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let doc = doc_lines(&method_doc(op));
    // `#[inline]`: like an `async fn`, the method (and the encoding and decoding it
    // instantiates) is compiled by the crates that call it, not by this one.
    quote! {
        #doc
        #deprecated
        #many_args
        #[inline]
        pub fn #fn_ident(&self, #(#args),*) -> #ret {
            #body
        }
    }
}

/// The type of a positional argument.
fn arg(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    let ty = value_ty(&p.ty);
    quote!(#id: #ty)
}

/// The type a parameter's value is passed as.
pub(super) fn value_ty(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(&str),
        Ty::I64 => quote!(i64),
        Ty::F64 => quote!(f64),
        Ty::Bool => quote!(bool),
        Ty::Vec(_) => quote!(&[String]),
        Ty::Upload => quote!(crate::Upload),
        other => {
            let t = rust_ty(other);
            quote!(&#t)
        }
    }
}

/// The text of a path argument (`&str`).
fn path_value(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    match &p.ty {
        Ty::String => quote!(#id),
        Ty::Named(_) => quote!(#id.as_str()),
        _ => quote!(&#id.to_string()),
    }
}

/// The request step adding a required query parameter.
fn query_call(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    let wire = &p.wire;
    match &p.ty {
        Ty::Vec(_) => quote!(.query_all(#wire, Some(#id))),
        Ty::String => quote!(.query(#wire, Some(#id.to_owned()))),
        Ty::Named(_) => quote!(.query(#wire, Some(#id.as_str().to_owned()))),
        _ => quote!(.query(#wire, Some(#id.to_string()))),
    }
}

/// A body argument type: borrowed (`&T`, `&[T]`, `&str`).
pub(super) fn borrowed(ty: &Ty) -> TokenStream {
    match ty {
        Ty::String => quote!(&str),
        Ty::Vec(inner) => {
            let inner = rust_ty(inner);
            quote!(&[#inner])
        }
        other => {
            let t = rust_ty(other);
            quote!(&#t)
        }
    }
}
