//! A call of an operation as a value: the generated methods build a [`Request`],
//! wrap it in a [`Call`], and the caller `.await`s it. Kept small so each generated
//! function is a few lines.
//!
//! # Why calls are values
//!
//! Every generated method returns a [`Call`] (or, when the operation has optional
//! parameters, a generated wrapper of one in [`crate::calls`] with one method per
//! option). Required path, query and body arguments stay positional; everything
//! optional is a method. So `client.get_setup().await` and
//! `client.get_setup().with_manufacturer_data(true).await` both read naturally, and when
//! the documentation adds an optional parameter, existing calls still compile.
//!
//! This is progenitor's "builder" interface, reduced: progenitor makes every
//! argument, required or not, a builder method and checks required ones at run
//! time; octocrab's handlers are written by hand. Here required arguments are
//! checked by the compiler, and the only per-operation code is one small wrapper
//! for the 10% of operations that have options: the machinery (encoding, sending,
//! decoding, the future) lives once: here and in the client's one sending function.

use std::borrow::Cow;
use std::future::{Future, IntoFuture};
use std::pin::Pin;
use std::task::{Context, Poll};

use crate::client::Client;
use crate::error::Error;
use crate::transport::request::{Body, RawResponse, Request, Upload};

/// One call of an operation, ready to send: `.await` it, or call [`Call::send`].
///
/// Nothing is sent until then. An argument that cannot be encoded is reported
/// when the call is awaited.
///
/// Its methods are a thin shell over `Parts`, which is not generic: a program
/// compiles the building, sending and error handling once, and per answer type only
/// the decoding (the `decode` function) and a few moves.
#[must_use = "a call does nothing until it is awaited"]
pub struct Call<'c, T> {
    parts: Parts<'c>,
    decode: fn(RawResponse) -> Result<T, Error>,
}

/// What a [`Call`] holds besides its decoder: the client and the request (or why it
/// could not be built).
struct Parts<'c> {
    client: &'c Client,
    request: Result<Request, Error>,
}

impl<'c> Parts<'c> {
    fn step(self, step: impl FnOnce(Request) -> Result<Request, Error>) -> Parts<'c> {
        Parts {
            client: self.client,
            request: self.request.and_then(step),
        }
    }

    fn query(self, name: &'static str, value: &dyn ToString) -> Parts<'c> {
        self.step(|r| Ok(r.query(name, Some(value.to_string()))))
    }

    fn query_all(self, name: &'static str, values: &[String]) -> Parts<'c> {
        self.step(|r| Ok(r.query_all(name, Some(values))))
    }

    fn json(self, body: Result<Vec<u8>, serde_json::Error>) -> Parts<'c> {
        self.step(|r| match body {
            Ok(bytes) => Ok(r.body(Body::Json(bytes))),
            Err(error) => Err(Error::encode(r.op, error)),
        })
    }

    fn upload(self, field: &'static str, upload: Upload) -> Parts<'c> {
        self.step(|r| {
            Ok(r.body(Body::Multipart {
                field: Cow::Borrowed(field),
                upload,
            }))
        })
    }

    fn send(self) -> Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + 'c>> {
        start(self.client, self.request)
    }
}

impl<T> std::fmt::Debug for Call<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        debug_call(f, &self.parts)
    }
}

fn debug_call(f: &mut std::fmt::Formatter<'_>, parts: &Parts<'_>) -> std::fmt::Result {
    f.debug_struct("Call")
        .field("request", &parts.request)
        .finish_non_exhaustive()
}

impl<'c, T> Call<'c, T> {
    #[doc(hidden)]
    pub fn new(
        client: &'c Client,
        request: Request,
        decode: fn(RawResponse) -> Result<T, Error>,
    ) -> Call<'c, T> {
        Call::new_checked(client, Ok(request), decode)
    }

    /// A call of a request that may already have failed to build (raw calls).
    pub(crate) fn new_checked(
        client: &'c Client,
        request: Result<Request, Error>,
        decode: fn(RawResponse) -> Result<T, Error>,
    ) -> Call<'c, T> {
        Call {
            parts: Parts { client, request },
            decode,
        }
    }

    /// The request as it will be sent.
    #[doc(hidden)]
    pub fn request(&self) -> Result<&Request, &Error> {
        self.parts.request.as_ref()
    }

    /// Sends the call. Same as `.await`ing it, in a form that reads better in
    /// combinators (`futures::future::join_all(ids.map(|id| client.x(id).send()))`).
    pub fn send(self) -> CallFuture<'c, T> {
        CallFuture {
            inner: self.parts.send(),
            decode: self.decode,
        }
    }

    #[doc(hidden)]
    pub fn map(self, step: impl FnOnce(Request) -> Result<Request, Error>) -> Call<'c, T> {
        Call {
            parts: self.parts.step(step),
            decode: self.decode,
        }
    }

    #[doc(hidden)]
    pub fn query(self, name: &'static str, value: impl ToString) -> Call<'c, T> {
        Call {
            parts: self.parts.query(name, &value),
            decode: self.decode,
        }
    }

    #[doc(hidden)]
    pub fn query_all(self, name: &'static str, values: &[String]) -> Call<'c, T> {
        Call {
            parts: self.parts.query_all(name, values),
            decode: self.decode,
        }
    }

    #[doc(hidden)]
    pub fn json<B: serde::Serialize + ?Sized>(self, body: &B) -> Call<'c, T> {
        // Only the encoding is generic (over the body, not the answer).
        let body = match self.parts.request {
            Ok(_) => serde_json::to_vec(body),
            Err(_) => Ok(Vec::new()),
        };
        Call {
            parts: self.parts.json(body),
            decode: self.decode,
        }
    }

    #[doc(hidden)]
    pub fn upload(self, field: &'static str, upload: Upload) -> Call<'c, T> {
        Call {
            parts: self.parts.upload(field, upload),
            decode: self.decode,
        }
    }
}

impl<'c, T> IntoFuture for Call<'c, T> {
    type Output = Result<T, Error>;
    type IntoFuture = CallFuture<'c, T>;

    fn into_future(self) -> CallFuture<'c, T> {
        self.send()
    }
}

/// The sending half, not generic over the answer: compiled once for all operations.
fn start(
    client: &Client,
    request: Result<Request, Error>,
) -> Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + '_>> {
    Box::pin(async move { client.send_request(request?).await })
}

/// The future of a sent [`Call`]: the answer, decoded.
#[must_use = "futures do nothing unless polled"]
pub struct CallFuture<'c, T> {
    inner: Pin<Box<dyn Future<Output = Result<RawResponse, Error>> + Send + 'c>>,
    decode: fn(RawResponse) -> Result<T, Error>,
}

impl<T> std::fmt::Debug for CallFuture<'_, T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CallFuture").finish_non_exhaustive()
    }
}

impl<T> Future for CallFuture<'_, T> {
    type Output = Result<T, Error>;

    fn poll(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Result<T, Error>> {
        let this = self.get_mut();
        this.inner
            .as_mut()
            .poll(cx)
            .map(|r| r.and_then(this.decode))
    }
}
