//! `operations.rs`: one `OperationInfo` constant per operation, and the list of all.

use proc_macro2::TokenStream;
use quote::quote;

use super::{code, doc_lines, type_ident};
use crate::ir::{Answer, Ir};
use crate::spec::{Idempotency, RateLimitScope};

/// The `operations` module.
pub fn module(ir: &Ir) -> TokenStream {
    let consts = ir.operations.iter().map(|op| {
        let s = &op.spec;
        let name = type_ident(&op.const_name);
        let fn_name = &op.fn_name;
        let method = type_ident(&crate::names::pascal(&s.method));
        let path = &s.path;
        let summary = &s.summary;
        let deprecated = match &s.deprecated_since {
            Some(v) => quote!(Some(#v)),
            None => quote!(None),
        };
        let rate_limit = match &s.rate_limit {
            Some(r) => {
                let calls = r.calls;
                let secs = r.period_seconds;
                let category = &r.category;
                let scope = match r.scope {
                    RateLimitScope::Operation => quote!(RateLimitScope::Operation),
                    RateLimitScope::Category => quote!(RateLimitScope::Category),
                };
                quote!(Some(RateLimit { calls: #calls, period_seconds: #secs, scope: #scope, category: #category }))
            }
            None => quote!(None),
        };
        // Without a status table, the answer is a plain success.
        let status = s.status.as_ref().map_or(200, |st| st.code);
        let response = match op.answer {
            Answer::Json(_) => quote!(ResponseKind::Json),
            Answer::Empty => quote!(ResponseKind::Empty),
            Answer::Text => quote!(ResponseKind::Text),
        };
        let idempotency = match s.idempotency.unwrap_or_else(|| crate::idempotency::rule(s).0) {
            Idempotency::SafeRead => quote!(Idempotency::SafeRead),
            Idempotency::IdempotentWrite => quote!(Idempotency::IdempotentWrite),
            Idempotency::Acts => quote!(Idempotency::Acts),
        };
        let content_type = &s.content_type;
        let events = s.events.iter();
        let doc = doc_lines(&[format!("{}: {}", code(&format!("{} {}", s.method, s.path)), crate::emit::doc_text(summary).join(" "))]);
        quote! {
            #doc
            pub const #name: OperationInfo = OperationInfo {
                name: #fn_name,
                method: HttpMethod::#method,
                path: #path,
                summary: #summary,
                deprecated_since: #deprecated,
                rate_limit: #rate_limit,
                status: #status,
                response: #response,
                content_type: #content_type,
                events: &[#(#events),*],
                idempotency: #idempotency,
            };
        }
    });
    let all = ir.operations.iter().map(|op| type_ident(&op.const_name));
    quote! {
        //! What the documentation says about each operation, at run time: method, path,
        //! rate limit, answer kind, generated events.

        use crate::{HttpMethod, Idempotency, OperationInfo, RateLimit, RateLimitScope, ResponseKind};

        #(#consts)*

        /// Every operation, in the order of the documentation.
        pub const ALL: &[&OperationInfo] = &[#(&#all),*];

        /// The operation with this method and path template, if documented.
        pub fn find(method: HttpMethod, path: &str) -> Option<&'static OperationInfo> {
            ALL.iter().copied().find(|op| op.method == method && op.path == path)
        }
    }
}
