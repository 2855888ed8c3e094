//! The simulator's integration tests, in one test binary (one link instead of
//! four): the real `overkiz` client against it (`client`, `local`, `consumer`) and
//! the `overkiz-sim` binary itself (`binary`).

mod binary;
mod client;
mod common;
mod consumer;
mod local;
