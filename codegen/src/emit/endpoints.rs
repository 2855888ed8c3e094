//! `endpoints/<group>.rs`: one async method of `Client` per operation. Each method
//! only builds a `Request` and hands it to the shared runtime (`Client::execute`),
//! so the crate stays quick to compile.

use std::collections::BTreeMap;

use proc_macro2::TokenStream;
use quote::quote;

use super::{code, doc_lines, doc_text, ident, rust_ty, type_ident};
use crate::ir::{Answer, Ir, OpDef, ParamDef, Ty};
use crate::names::ident_text;
use crate::spec::{Idempotency, ParamLocation, RateLimitScope};

/// Operations grouped by module, modules sorted, operations in document order.
pub fn by_module(ir: &Ir) -> BTreeMap<String, Vec<&OpDef>> {
    let mut modules: BTreeMap<String, Vec<&OpDef>> = BTreeMap::new();
    for op in &ir.operations {
        modules.entry(op.module.clone()).or_default().push(op);
    }
    modules
}

/// One module of endpoint methods.
pub fn module(ops: &[&OpDef]) -> TokenStream {
    let group = &ops[0].spec.group;
    let category = ops[0]
        .spec
        .category
        .as_deref()
        .map(|c| format!(" (category {c})"))
        .unwrap_or_default();
    let doc = format!(" Operations of the group \"{group}\"{category}.");
    let methods = ops.iter().map(|op| method(op));
    let uses_body = ops
        .iter()
        .any(|op| op.params.iter().any(|p| p.ty == Ty::Upload));
    let imports = if uses_body {
        quote!(
            use crate::__private::{Body, Request};
        )
    } else {
        quote!(
            use crate::__private::Request;
        )
    };
    quote! {
        #![doc = #doc]

        #imports
        use crate::operations;

        impl crate::Client {
            #(#methods)*
        }
    }
}

fn method(op: &OpDef) -> TokenStream {
    let s = &op.spec;
    let fn_ident = ident(&op.fn_name);
    let const_ident = type_ident(&op.const_name);

    let mut args = Vec::new();
    let mut path_args = Vec::new();
    let mut query = Vec::new();
    let mut upload = None;
    for p in &op.params {
        let id = ident(&p.rust);
        args.push(arg(p, &id));
        match p.location {
            ParamLocation::Path => path_args.push(path_value(p, &id)),
            ParamLocation::Query if p.ty == Ty::Upload => {
                upload = Some((p.wire.clone(), id.clone(), p.required))
            }
            ParamLocation::Query => query.push(query_call(p, &id)),
        }
    }
    let mut body_step = quote!();
    if let Some((ty, required)) = &op.body {
        let body_ty = borrowed(ty);
        if *required {
            args.push(quote!(body: #body_ty));
            body_step = quote!(let request = request.json(body)?;);
        } else {
            args.push(quote!(body: Option<#body_ty>));
            body_step = quote! {
                let request = match body {
                    Some(body) => request.json(body)?,
                    None => request,
                };
            };
        }
    }
    if let Some((wire, id, required)) = upload {
        body_step = if required {
            quote!(let request = request.body(Body::Multipart { field: #wire, upload: #id });)
        } else {
            quote! {
                let request = match #id {
                    Some(upload) => request.body(Body::Multipart { field: #wire, upload }),
                    None => request,
                };
            }
        };
    }
    let form_step = op.form.then(|| quote!(let request = request.into_form();));
    let (ret, decode) = match &op.answer {
        Answer::Json(ty) => (rust_ty(ty), quote!(json())),
        Answer::Empty => (quote!(()), quote!(empty())),
        Answer::Text => (quote!(String), quote!(text())),
    };
    let path_step = (!path_args.is_empty()).then(|| quote!(.path(&[#(#path_args),*])));
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
    let many_args = (args.len() > 6).then(|| quote!(#[allow(clippy::too_many_arguments)]));
    let doc = doc_lines(&method_doc(op));
    quote! {
        #doc
        #deprecated
        #many_args
        pub async fn #fn_ident(&self, #(#args),*) -> Result<#ret, crate::Error> {
            let request = Request::new(&operations::#const_ident) #path_step #(#query)*;
            #body_step
            #form_step
            self.execute(request).await?.#decode
        }
    }
}

/// The argument of a parameter.
fn arg(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    let ty = match &p.ty {
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
    };
    if p.required {
        quote!(#id: #ty)
    } else {
        quote!(#id: Option<#ty>)
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

/// The builder call adding a query parameter.
fn query_call(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    let wire = &p.wire;
    match (&p.ty, p.required) {
        (Ty::Vec(_), true) => quote!(.query_all(#wire, Some(#id))),
        (Ty::Vec(_), false) => quote!(.query_all(#wire, #id)),
        (Ty::String, true) => quote!(.query(#wire, Some(#id.to_owned()))),
        (Ty::String, false) => quote!(.query(#wire, #id.map(str::to_owned))),
        (_, true) => quote!(.query(#wire, Some(#id.to_string()))),
        (_, false) => quote!(.query(#wire, #id.map(|v| v.to_string()))),
    }
}

/// A body argument type: borrowed (`&T`, `&[T]`, `&str`).
fn borrowed(ty: &Ty) -> TokenStream {
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

fn method_doc(op: &OpDef) -> Vec<String> {
    let s = &op.spec;
    let mut lines = vec![code(&format!("{} {}", s.method, s.path)), String::new()];
    lines.extend(doc_text(&s.description));
    let mut params: Vec<String> = op
        .params
        .iter()
        .map(|p| {
            let mut line = format!("- `{}`", ident_text(&p.rust).trim_start_matches("r#"));
            let mut notes = Vec::new();
            if p.location == ParamLocation::Query {
                notes.push(format!("query `{}`", p.wire));
            }
            if !p.required {
                notes.push("optional".to_owned());
            }
            if let Some(d) = &p.default {
                notes.push(format!("default {}", code(d)));
            }
            if !notes.is_empty() {
                line.push_str(&format!(" ({})", notes.join(", ")));
            }
            if let Some(d) = &p.description {
                line.push_str(": ");
                line.push_str(&doc_text(d).join(" "));
            }
            line
        })
        .collect();
    if let (Some((_, required)), Some(b)) = (&op.body, &s.request_body) {
        let mut line = format!("- `body`{}", if *required { "" } else { " (optional)" });
        if let Some(d) = &b.description {
            line.push_str(": ");
            line.push_str(&doc_text(d).join(" "));
        }
        params.push(line);
    }
    if !params.is_empty() {
        lines.push(String::new());
        lines.push("Arguments:".to_owned());
        lines.extend(params);
    }
    if let Some(r) = &s.response {
        if let Some(d) = &r.description {
            lines.push(String::new());
            lines.push(format!("Returns: {}", doc_text(d).join(" ")));
        }
    }
    if let Some(r) = &s.rate_limit {
        let scope = match r.scope {
            RateLimitScope::Operation => "for this operation",
            RateLimitScope::Category => "for all operations of the category",
        };
        lines.push(String::new());
        lines.push(format!(
            "Rate limit: {} call{} per {} {scope} (`{}`), per session.",
            r.calls,
            if r.calls == 1 { "" } else { "s" },
            r.period,
            r.category
        ));
    }
    lines.push(String::new());
    lines.push(
        match s
            .idempotency
            .unwrap_or_else(|| crate::idempotency::rule(s).0)
        {
            Idempotency::SafeRead => "Safe read: resent automatically after a transient failure.",
            Idempotency::IdempotentWrite => {
                "Idempotent write: resent automatically after a transient failure."
            }
            Idempotency::Acts => {
                "Acts: never resent once it may have reached the server; a failure after that \
                 is [`ErrorKind::OutcomeUnknown`](crate::ErrorKind::OutcomeUnknown)."
            }
        }
        .to_owned(),
    );
    if !s.events.is_empty() {
        lines.push(String::new());
        let events: Vec<String> = s
            .events
            .iter()
            .map(|e| format!("[`{e}`](crate::types::{e})"))
            .collect();
        lines.push(format!("Generates: {}.", events.join(", ")));
    }
    if let Some(v) = &s.deprecated_since {
        lines.push(String::new());
        lines.push(format!("Deprecated since version {v}."));
    }
    lines
}
