//! `calls/<group>.rs`: one async method of `Client` per operation. Each method
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

/// One module of endpoint methods, with the call types of the operations that have
/// options and the forms of the form operations.
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
    let calls = ops.iter().filter_map(|op| call_type(op));
    let forms = ops.iter().filter_map(|op| form_type(op));
    quote! {
        #![doc = #doc]

        use crate::__private::{RawResponse, Request};
        use crate::{operations, Call};

        impl crate::Client {
            #(#methods)*
        }

        #(#calls)*
        #(#forms)*
    }
}

/// The public names a module adds to `crate::calls`, sorted.
pub fn exports(ops: &[&OpDef]) -> Vec<String> {
    let mut names = Vec::new();
    for op in ops {
        if has_options(op) {
            names.push(op.call_name.clone());
        }
        if is_form(op) {
            names.push(form_name(op));
        }
    }
    names.sort();
    names
}

/// The optional parameters, set by methods of the call type.
fn options(op: &OpDef) -> Vec<&ParamDef> {
    if is_form(op) {
        return Vec::new();
    }
    op.params.iter().filter(|p| !p.required).collect()
}

fn has_options(op: &OpDef) -> bool {
    !options(op).is_empty() || matches!(op.body, Some((_, false)))
}

fn is_form(op: &OpDef) -> bool {
    op.form
}

fn form_name(op: &OpDef) -> String {
    format!("{}Form", op.call_name)
}

fn answer(op: &OpDef) -> (TokenStream, TokenStream) {
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
            let note = format!(
                "documented up to version {v} only: kept for servers of that version"
            );
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

/// The call type of an operation with options: one method per option.
fn call_type(op: &OpDef) -> Option<TokenStream> {
    if !has_options(op) {
        return None;
    }
    let call_ty = type_ident(&op.call_name);
    let fn_ident = ident(&op.fn_name);
    let (ret, _) = answer(op);
    let mut setters = Vec::new();
    for p in options(op) {
        let id = ident(&p.rust);
        let ty = value_ty(&p.ty);
        let wire = &p.wire;
        let step = match (&p.ty, p.location) {
            (Ty::Upload, _) => quote!(upload(#wire, #id)),
            (Ty::Vec(_), _) => quote!(query_all(#wire, #id)),
            (Ty::Named(_), _) => quote!(query(#wire, #id.as_str())),
            _ => quote!(query(#wire, #id)),
        };
        let doc = doc_lines(&param_doc(p, false));
        setters.push(quote! {
            #doc
            #[inline]
            pub fn #id(self, #id: #ty) -> Self {
                Self(self.0.#step)
            }
        });
    }
    if let Some((ty, false)) = &op.body {
        let body_ty = borrowed(ty);
        let mut lines = vec!["The request body.".to_owned()];
        if let Some(d) = op
            .spec
            .request_body
            .as_ref()
            .and_then(|b| b.description.as_ref())
        {
            lines = doc_text(d);
        }
        let doc = doc_lines(&lines);
        setters.push(quote! {
            #doc
            #[inline]
            pub fn body(self, body: #body_ty) -> Self {
                Self(self.0.json(body))
            }
        });
    }
    let doc = doc_lines(&[format!(
        "A call of [`Client::{}`](crate::Client::{}): set its options, then `.await` it.",
        op.fn_name.trim_start_matches("r#"),
        op.fn_name.trim_start_matches("r#")
    )]);
    let _ = fn_ident;
    Some(quote! {
        #doc
        #[derive(Debug)]
        #[must_use = "a call does nothing until it is awaited"]
        pub struct #call_ty<'c>(Call<'c, #ret>);

        impl<'c> #call_ty<'c> {
            #(#setters)*

            /// Sends the call (the same as `.await`).
            #[inline]
            pub fn send(self) -> crate::CallFuture<'c, #ret> {
                self.0.send()
            }
        }

        impl<'c> std::future::IntoFuture for #call_ty<'c> {
            type Output = Result<#ret, crate::Error>;
            type IntoFuture = crate::CallFuture<'c, #ret>;

            #[inline]
            fn into_future(self) -> Self::IntoFuture {
                self.0.send()
            }
        }
    })
}

/// The form of a form operation: one field per parameter (required ones plain,
/// optional ones `Option`); its `Debug` output never shows values.
fn form_type(op: &OpDef) -> Option<TokenStream> {
    if !is_form(op) {
        return None;
    }
    let name = form_name(op);
    let form_ty = type_ident(&name);
    let params: Vec<&ParamDef> = op
        .params
        .iter()
        .filter(|p| p.location == ParamLocation::Query)
        .collect();
    let fields = params.iter().map(|p| {
        let id = ident(&p.rust);
        let ty = rust_ty(&p.ty);
        let ty = if p.required { ty } else { quote!(Option<#ty>) };
        let doc = doc_lines(&param_doc(p, true));
        quote! {
            #doc
            pub #id: #ty,
        }
    });
    let pushes = params.iter().map(|p| {
        let id = ident(&p.rust);
        let wire = &p.wire;
        let value = |v: TokenStream| match &p.ty {
            Ty::Vec(_) => quote!(for v in #v { fields.push((#wire, v.to_string())); }),
            Ty::Named(_) => quote!(fields.push((#wire, #v.as_str().to_owned()));),
            _ => quote!(fields.push((#wire, #v.to_string()));),
        };
        if p.required {
            value(quote!(&self.#id))
        } else {
            let push = value(quote!(v));
            quote!(if let Some(v) = &self.#id { #push })
        }
    });
    let debug = params.iter().map(|p| {
        let id = ident(&p.rust);
        let text = ident_text(&p.rust);
        let text = text.trim_start_matches("r#");
        if p.required {
            quote!((#text, true))
        } else {
            quote!((#text, self.#id.is_some()))
        }
    });
    let doc = doc_lines(&[
        format!(
            "The form of [`Client::{0}`](crate::Client::{0}), sent as \
             `application/x-www-form-urlencoded`.",
            op.fn_name.trim_start_matches("r#")
        ),
        String::new(),
        "Build it with `..Default::default()` so that a field the documentation adds \
         later does not break the code. Its `Debug` output shows which fields are set, \
         never their values."
            .to_owned(),
    ]);
    let name_text = name.as_str();
    Some(quote! {
        #doc
        #[derive(Clone, Default, PartialEq)]
        pub struct #form_ty {
            #(#fields)*
        }

        impl #form_ty {
            #[inline]
            fn fields(&self) -> Vec<(&'static str, String)> {
                let mut fields = Vec::new();
                #(#pushes)*
                fields
            }
        }

        impl std::fmt::Debug for #form_ty {
            fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
                crate::__private::debug_form(f, #name_text, &[#(#debug),*])
            }
        }
    })
}

/// The type of a positional argument.
fn arg(p: &ParamDef, id: &proc_macro2::Ident) -> TokenStream {
    let ty = value_ty(&p.ty);
    quote!(#id: #ty)
}

/// The type a parameter's value is passed as.
fn value_ty(ty: &Ty) -> TokenStream {
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

/// The documentation of an option or form field.
fn param_doc(p: &ParamDef, form: bool) -> Vec<String> {
    let mut lines = p.description.as_deref().map(doc_text).unwrap_or_default();
    let kind = match p.location {
        ParamLocation::Path => "Path",
        ParamLocation::Query if p.ty == Ty::Upload => "Multipart field",
        ParamLocation::Query if form => "Form field",
        ParamLocation::Query => "Query",
    };
    let mut notes = vec![format!("{kind} `{}`", p.wire)];
    if let Some(d) = &p.default {
        notes.push(format!("default {}", code(d)));
    }
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(format!("{}.", notes.join(", ")));
    lines
}

fn method_doc(op: &OpDef) -> Vec<String> {
    let s = &op.spec;
    // The summary, then the `METHOD /path` line users search for, then the rest.
    let mut description = doc_text(&s.description).into_iter();
    let mut lines: Vec<String> = description.next().into_iter().collect();
    if !lines.is_empty() {
        lines.push(String::new());
    }
    lines.push(code(&format!("{} {}", s.method, s.path)));
    let rest: Vec<String> = description.skip_while(|l| l.is_empty()).collect();
    if !rest.is_empty() {
        lines.push(String::new());
        lines.extend(rest);
    }
    let form = is_form(op);
    let describe = |p: &ParamDef, name: String| {
        let mut line = format!("- {name}");
        let mut notes = Vec::new();
        if p.location == ParamLocation::Query {
            notes.push(format!("query `{}`", p.wire));
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
    };
    let mut params: Vec<String> = op
        .params
        .iter()
        .filter(|p| p.required && !(form && p.location == ParamLocation::Query))
        .map(|p| {
            describe(
                p,
                format!("`{}`", ident_text(&p.rust).trim_start_matches("r#")),
            )
        })
        .collect();
    if form {
        params.push(format!(
            "- `form`: the parameters, as a form body ([`{}`](crate::calls::{}))",
            form_name(op),
            form_name(op)
        ));
    }
    if let (Some((_, true)), Some(b)) = (&op.body, &s.request_body) {
        let mut line = "- `body`".to_owned();
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
    if has_options(op) {
        let call = &op.call_name;
        let mut opts: Vec<String> = options(op)
            .into_iter()
            .map(|p| {
                let name = ident_text(&p.rust).trim_start_matches("r#").to_owned();
                describe(p, format!("[`{name}`](crate::calls::{call}::{name})"))
            })
            .collect();
        if let Some((_, false)) = &op.body {
            let mut line = format!("- [`body`](crate::calls::{call}::body)");
            if let Some(d) = s.request_body.as_ref().and_then(|b| b.description.as_ref()) {
                line.push_str(": ");
                line.push_str(&doc_text(d).join(" "));
            }
            opts.push(line);
        }
        lines.push(String::new());
        lines.push(format!(
            "Options (methods of the returned [`{call}`](crate::calls::{call})):"
        ));
        lines.extend(opts);
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
    if let Some(v) = &op.removed_after {
        lines.push(String::new());
        lines.push(format!(
            "Documented up to version {v} only: the newest documentation no longer lists it."
        ));
    }
    lines
}
