//! Layer 3, configuration: what a client is given before it sends anything. The
//! credentials and the extension point that turns them into a grant
//! ([`crate::SignInFlow`]), the server, its TLS trust, and the vendors' sign-in flows
//! ([`crate::signin`], public at the crate root): a server preset names its vendor's
//! flow.

pub(crate) mod credentials;
pub(crate) mod flow;
pub(crate) mod grant;
pub(crate) mod login;
pub(crate) mod server;
pub mod signin;
pub(crate) mod tls;
