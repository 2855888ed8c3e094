//! Layer 6, following the setup on top of the client: the event stream and
//! executions followed to their end.

pub(crate) mod event_stream;
pub(crate) mod execution;
pub(crate) mod follower;
