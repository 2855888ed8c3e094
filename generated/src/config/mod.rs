//! Layer 3, configuration: what a client is given before it sends anything (the
//! credentials, the server, its TLS trust).

pub(crate) mod credentials;
pub(crate) mod server;
pub(crate) mod tls;
