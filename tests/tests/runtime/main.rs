//! The runtime against servers on 127.0.0.1 (the simulator for stateful flows;
//! wiremock, raw TCP and TLS servers for what goes on the wire): one test binary for
//! all of them, so the crate is linked once. The kit every file uses is `support`.
//! The tracing test lives apart (`runtime_tracing.rs`): its subscriber must not see
//! other tests' calls.

mod support;

mod auth;
mod budget;
mod calls;
mod commands;
mod errors;
mod events;
mod follow;
mod live;
mod local;
mod local_first;
mod login;
mod requests;
mod resend;
mod retry;
mod signin;
mod simulated;
mod somfy_sites;
mod tls;
