//! The live model of a setup ([`Home`]): devices, places, gateways and executions
//! kept current by the event stream and re-read after every gap, with subscribers.
//! The layer above `follow/`: it uses the event stream and the client's calls.
//!
//! - `model.rs`: the values the model is made of ([`LiveDevice`], [`Freshness`], ...).
//! - `change.rs`: what subscribers get ([`Change`], [`Update`], [`Notice`]).
//! - `apply.rs`: how the model moves with an event or a read.
//! - `config.rs`: [`HomeConfig`]. `shared.rs`: what the parts share, [`HomeStatus`].
//! - `home.rs`: [`Home`]. `subscription.rs`: [`Subscription`].
//! - `task.rs`: the task that follows the events and re-reads; `reads.rs`: what it
//!   reads, with the decoders the constructors pass in.

pub(crate) mod apply;
pub(crate) mod change;
pub(crate) mod config;
pub(crate) mod home;
pub(crate) mod model;
pub(crate) mod reads;
pub(crate) mod shared;
pub(crate) mod subscription;
pub(crate) mod task;

pub use change::{Change, Notice, Origin, ReReadCause, Update};
pub use config::HomeConfig;
pub use home::Home;
pub use model::{
    Confirmation, Freshness, HomeSnapshot, LiveDevice, LiveExecution, LiveGateway, LivePlace,
};
pub use shared::HomeStatus;
pub use subscription::Subscription;
