//! The runtime against servers on 127.0.0.1 (wiremock, raw TCP, TLS): one test binary
//! for all of them, so the crate is linked once. The tracing test lives apart
//! (`runtime_tracing.rs`): its subscriber must not see other tests' calls.

mod support;

mod auth;
mod commands;
mod errors;
mod events;
mod executions;
mod follow;
mod local;
mod login;
mod requests;
mod resend;
mod retry;
mod signin;
mod simulated;
mod somfy_sites;
mod tls;
