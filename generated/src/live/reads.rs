//! The reads of the live home (`GET /setup`, the device list, one device, one
//! gateway), with their decoders passed in.
//!
//! The home is compiled here once, but the decoders of what it reads (the whole
//! setup's types) and of the events it follows are not: the `#[inline]`
//! constructors of [`Home`](crate::Home) take them (as [`Client::events`] does), so
//! only the programs that start a home compile them, like the generated methods.
//! (Compiled here, they were half of the LLVM IR the `live` feature adds: 102k of
//! 205k lines, `cargo llvm-lines -p overkiz --release --lib`.)

use crate::transport::request::{RawResponse, Request};
use crate::types::{Device, Gateway, Setup};
use crate::{operations, Client, Error};

/// The decoders of the answers the live home reads.
#[derive(Clone, Copy)]
pub(crate) struct Decoders {
    setup: fn(RawResponse) -> Result<Setup, Error>,
    devices: fn(RawResponse) -> Result<Vec<Device>, Error>,
    device: fn(RawResponse) -> Result<Device, Error>,
    gateway: fn(RawResponse) -> Result<Gateway, Error>,
}

impl Decoders {
    /// The JSON decoders, compiled by the caller (`#[inline]`).
    #[inline]
    pub(crate) fn json() -> Decoders {
        Decoders {
            setup: RawResponse::json,
            devices: RawResponse::json,
            device: RawResponse::json,
            gateway: RawResponse::json,
        }
    }

    /// `GET /setup`, as `Client::get_setup` sends it.
    pub(crate) async fn setup(&self, client: &Client) -> Result<Setup, Error> {
        let answer = client
            .send_request(Request::new(&operations::GET_SETUP))
            .await?;
        (self.setup)(answer)
    }

    /// `GET /setup/devices`, as `Client::get_setup_devices` sends it.
    pub(crate) async fn devices(&self, client: &Client) -> Result<Vec<Device>, Error> {
        let answer = client
            .send_request(Request::new(&operations::GET_SETUP_DEVICES))
            .await?;
        (self.devices)(answer)
    }

    /// `GET /setup/devices/{deviceURL}`, as `Client::get_setup_devices_by_device_url`
    /// sends it.
    pub(crate) async fn device(&self, client: &Client, url: &str) -> Result<Device, Error> {
        let request = Request::new(&operations::GET_SETUP_DEVICES_BY_DEVICE_URL).path(&[url]);
        (self.device)(client.send_request(request).await?)
    }

    /// `GET /setup/gateways/{gatewayId}`, as `Client::get_setup_gateways_by_gateway_id`
    /// sends it.
    pub(crate) async fn gateway(&self, client: &Client, id: &str) -> Result<Gateway, Error> {
        let request = Request::new(&operations::GET_SETUP_GATEWAYS_BY_GATEWAY_ID).path(&[id]);
        (self.gateway)(client.send_request(request).await?)
    }
}
