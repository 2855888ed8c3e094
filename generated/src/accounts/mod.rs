//! Layer 6, accounts built on the client: a Somfy account with several homes (one
//! client per home, their tokens minted from the account's), and the tokens of a
//! gateway's local API created through the cloud.

pub(crate) mod local;
pub(crate) mod site_flow;
pub(crate) mod somfy_account;
