//! Layer 1, plain values: lenient decoding, deadlines, device URLs, the executions
//! running on each gateway (the ledger behind `ExecutionBudget`), operation
//! descriptions, secret masking, retry settings, typed state values. Imports no
//! other runtime module (only the generated wire types and tables).

pub(crate) mod de;
pub(crate) mod deadline;
pub(crate) mod device_url;
pub(crate) mod event_table;
pub(crate) mod execution_ledger;
pub(crate) mod gap;
pub(crate) mod limited_body;
pub(crate) mod lock;
pub(crate) mod operation;
pub(crate) mod redact;
pub(crate) mod retry;
pub(crate) mod secret;
pub mod state;
pub(crate) mod tagged;
