//! Typed Rust client for the Overkiz End-User API.
