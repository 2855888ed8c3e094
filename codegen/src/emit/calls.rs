//! The call types and forms of `calls/<group>.rs`: for an operation with
//! options, the type its method returns (one method per option, `.await` sends
//! it); for a form operation, the form struct its method takes.

use proc_macro2::TokenStream;
use quote::quote;

use super::endpoints::{answer, borrowed, form_name, has_options, is_form, options, value_ty};
use super::method_docs::param_doc;
use super::{doc_lines, doc_text, ident, rust_ty, type_ident};
use crate::ir::{OpDef, ParamDef, Ty};
use crate::names::ident_text;
use crate::spec::ParamLocation;

/// The call type of an operation with options: one method per option.
pub(super) fn call_type(op: &OpDef) -> Option<TokenStream> {
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
pub(super) fn form_type(op: &OpDef) -> Option<TokenStream> {
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
