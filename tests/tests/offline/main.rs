//! What needs no server, in one test binary (the crate is linked once): real payloads
//! and the documentation's examples decode into the public types and encode back
//! (`real_payloads`, `doc_events`, `wire_forms`), the home layer reads the real
//! fixtures (`home_layer`), a caller of the previous crate still compiles
//! (`previous_version_caller`), and the README's code is the code that is compiled
//! (`readme`).

mod doc_events;
mod home_layer;
mod previous_version_caller;
mod readme;
mod real_payloads;
mod wire_forms;
