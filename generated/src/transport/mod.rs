//! Layer 4, transport and session: requests as values, sending one call, the cookie
//! jar, signing in, and what the clones of a client share.

pub(crate) mod cookies;
pub(crate) mod request;
pub(crate) mod send;
pub(crate) mod session;
