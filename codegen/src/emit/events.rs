//! `events.rs`: the table of event types, one line per event, that the runtime's
//! `events!` macro (`generated/src/event_table.rs`) turns into the `Event` enum and
//! its impls.

use proc_macro2::TokenStream;
use quote::quote;

use super::type_ident;
use crate::ir::Ir;
use crate::names::type_ident_text;

/// The `events` module.
pub fn module(ir: &Ir) -> Result<TokenStream, String> {
    // The keys that may name an event, previous versions' first: a newest-form
    // event carries no previous tag, while a previous-form one may carry a field
    // named like the newest tag (`type`).
    let mut tags: Vec<&str> = Vec::new();
    for e in &ir.events {
        if let Some(alias) = &e.tag_alias {
            if !tags.contains(&alias.as_str()) {
                tags.push(alias);
            }
        }
    }
    for e in &ir.events {
        if !tags.contains(&e.tag.as_str()) {
            tags.push(&e.tag);
        }
    }
    // The table's tags are those of the documented events; a line gives its own
    // only when they differ.
    let newest = ir
        .events
        .iter()
        .find(|e| e.removed_after.is_none())
        .or(ir.events.first())
        .map(|e| (e.tag.as_str(), e.tag_alias.as_deref()))
        .unwrap_or(("name", None));
    let tag_pair = |(tag, previous): (&str, Option<&str>)| match previous {
        Some(previous) => quote!(#tag | #previous),
        None => quote!(#tag),
    };
    let newest_tokens = tag_pair(newest);
    let mut lines = Vec::new();
    for e in &ir.events {
        // The payload struct's name is the wire name: the macro writes it once.
        if type_ident_text(&e.struct_name) != e.wire {
            return Err(format!(
                "event {}: its payload struct is named {}, not the wire name",
                e.wire, e.struct_name
            ));
        }
        let variant = type_ident(&e.variant);
        let payload = type_ident(&e.struct_name);
        let deprecated = e.removed_after.as_ref().map(|version| {
            let note = format!(
                "sent by servers of version {version} of the documentation; the newest one no longer lists it"
            );
            quote!(#[deprecated(note = #note)])
        });
        let own = (e.tag.as_str(), e.tag_alias.as_deref());
        let by = (own != newest).then(|| {
            let tags = tag_pair(own);
            quote!(by #tags)
        });
        lines.push(quote!(#deprecated #variant(#payload) #by));
    }
    let allow_deprecated = ir
        .events
        .iter()
        .any(|e| e.removed_after.is_some())
        .then(|| {
            quote! {
                // Events the newest documentation removed are deprecated variants, which
                // the impls still handle.
                #![allow(deprecated)]
            }
        });
    Ok(quote! {
        //! The events the server sends through an event listener: one line per event
        //! type, its variant of [`Event`] and its payload struct (whose name is the wire
        //! name) in [`crate::types`].
        #allow_deprecated

        use crate::types::*;

        crate::event_table::events! {
            tags = [#(#tags),*];
            newest = #newest_tokens;
            #(#lines,)*
        }
    })
}
