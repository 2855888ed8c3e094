//! `local_api.rs`: the operations a gateway's local API serves, from the curated
//! `spec/local-api.toml` ([`crate::local_api`]), with their provenance.

use proc_macro2::TokenStream;
use quote::quote;

use super::type_ident;
use crate::ir::Ir;
use crate::local_api::LocalApi;

/// The `local_api` module, with the entries the IR has (all of them for the real
/// documentation: `codegen/tests/local_api.rs`).
pub fn module(ir: &Ir, api: &LocalApi) -> Result<TokenStream, String> {
    let provenance = api.provenance();
    let mut entries = Vec::new();
    for (entry, _) in api.present(ir)? {
        let (method, path) = entry.doc_parts()?;
        let (_, local_path) = entry.local_parts()?;
        let method = type_ident(&crate::names::pascal(method));
        entries.push(quote! {
            LocalOperation { method: HttpMethod::#method, path: #path, local_path: #local_path }
        });
    }
    let count = entries.len();
    let source_doc = format!(" Where [`OPERATIONS`] comes from: {provenance}.");
    let list_doc = format!(
        " The {count} operations a gateway's local API serves, in the order of its OpenAPI file."
    );
    Ok(quote! {
        //! The operations a gateway's local API (Developer Mode) serves, from the curated
        //! `spec/local-api.toml`: the same End-User API operations as the cloud's, a
        //! subset of them. A local-first client ([`crate::Client::local_first`]) sends
        //! these to the gateway and the others to the cloud.

        use crate::{HttpMethod, OperationInfo};

        #[doc = #source_doc]
        pub const SOURCE: &str = #provenance;

        /// One operation a gateway's local API serves.
        #[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
        pub struct LocalOperation {
            /// Its HTTP method.
            pub method: HttpMethod,
            /// The documentation's path template: the `path` of its generated
            /// [`OperationInfo`] in [`crate::operations`].
            pub path: &'static str,
            /// The path template as the local API's OpenAPI file writes it (its
            /// placeholders may be named differently).
            pub local_path: &'static str,
        }

        impl LocalOperation {
            /// The generated operation it is.
            pub fn operation(&self) -> Option<&'static OperationInfo> {
                crate::operations::find(self.method, self.path)
            }
        }

        #[doc = #list_doc]
        pub const OPERATIONS: &[LocalOperation] = &[#(#entries),*];

        /// True when a gateway's local API serves `op`.
        pub fn serves(op: &OperationInfo) -> bool {
            OPERATIONS.iter().any(|local| local.method == op.method && local.path == op.path)
        }
    })
}
