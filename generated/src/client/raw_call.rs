//! Raw calls: [`Client::request`] sends any operation, documented or not, with
//! arguments given at run time (a command-line tool, an operation this version does
//! not generate), and returns the undecoded answer ([`RawResponse`]).
//!
//! A raw call takes the same path as a generated method: the same session (signing
//! in lazily, renewing an expired session once), the same resend rules (by the
//! operation's [`crate::Idempotency`]), the same limits, errors and redaction (the
//! `Debug` output of a call masks the values of secret parameters).

use std::borrow::Cow;
use std::future::IntoFuture;

use crate::client::call::{Call, CallFuture};
use crate::transport::request::{Body, RawResponse, Request, Upload};
use crate::value::operation::OperationInfo;
use crate::{Client, Error};

impl Client {
    /// A raw call of `op`: add its path arguments, query parameters and body, then
    /// `.await` it for the [`RawResponse`]. For operations the generated methods
    /// cover, prefer them: they check the arguments' types and decode the answer.
    ///
    /// `op` is one of [`crate::operations`], or your own [`OperationInfo`] for an
    /// operation this version does not know: its [`OperationInfo::idempotency`]
    /// decides whether a failed call is sent again, so say
    /// [`crate::Idempotency::Acts`] unless the call only reads or sets a value.
    ///
    /// ```no_run
    /// # async fn demo(client: overkiz::Client) -> Result<(), overkiz::Error> {
    /// use overkiz::operations;
    /// let answer = client
    ///     .request(&operations::GET_SETUP_DEVICES_BY_DEVICE_URL_STATES_BY_NAME)
    ///     .path_arg("io://1234-5678-9012/12345678")
    ///     .path_arg("core:ClosureState")
    ///     .await?;
    /// let state: serde_json::Value = answer.json()?;
    ///
    /// // Query parameters and bodies given at run time.
    /// let name = String::from("withManufacturerData");
    /// let setup = client.request(&operations::GET_SETUP).query(name, "true").await?;
    /// println!("{} bytes", setup.body.len());
    /// # Ok(()) }
    /// ```
    pub fn request(&self, op: &'static OperationInfo) -> RawCall<'_> {
        RawCall {
            client: self,
            request: Ok(Request::new(op)),
        }
    }
}

/// A raw call, before it is sent: from [`Client::request`]. Nothing is sent until it
/// is `.await`ed (or [`RawCall::send`]); an argument that cannot be encoded is
/// reported then.
///
/// Its `Debug` output masks the values of secret path and query parameters
/// (`{rootPassword}`, `?password=`) and shows only the names of form fields.
#[must_use = "a call does nothing until it is awaited"]
pub struct RawCall<'c> {
    client: &'c Client,
    request: Result<Request, Error>,
}

impl std::fmt::Debug for RawCall<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawCall")
            .field("request", &self.request)
            .finish_non_exhaustive()
    }
}

impl<'c> RawCall<'c> {
    fn map(self, step: impl FnOnce(Request) -> Result<Request, Error>) -> RawCall<'c> {
        RawCall {
            client: self.client,
            request: self.request.and_then(step),
        }
    }

    /// The value of the path's next `{placeholder}`, not yet percent-encoded (the
    /// call encodes it, so `io://1234-5678-9012/1#2` stays one segment). The call
    /// fails if the operation's path has a different number of placeholders, or if a
    /// value is empty, `.` or `..`.
    pub fn path_arg(self, value: impl Into<String>) -> RawCall<'c> {
        self.map(|mut request| {
            request.path_args.push(value.into());
            Ok(request)
        })
    }

    /// The values of the path's next `{placeholders}`, in order (see
    /// [`RawCall::path_arg`]).
    pub fn path_args<I>(self, values: I) -> RawCall<'c>
    where
        I: IntoIterator,
        I::Item: Into<String>,
    {
        self.map(|mut request| {
            request.path_args.extend(values.into_iter().map(Into::into));
            Ok(request)
        })
    }

    /// Adds the query parameter `name=value` (both percent-encoded); a name given
    /// twice is sent twice, in order.
    pub fn query(self, name: impl Into<String>, value: impl Into<String>) -> RawCall<'c> {
        self.map(|mut request| {
            request.query.push((Cow::Owned(name.into()), value.into()));
            Ok(request)
        })
    }

    /// Serializes `body` as the JSON body (`Content-Type: application/json`).
    pub fn json<T: serde::Serialize + ?Sized>(self, body: &T) -> RawCall<'c> {
        self.map(|request| request.json(body))
    }

    /// Sends `bytes` as the JSON body as they are; the call fails before sending
    /// anything if they are not JSON.
    pub fn json_bytes(self, bytes: impl Into<Vec<u8>>) -> RawCall<'c> {
        self.map(|request| {
            let bytes = bytes.into();
            if let Err(error) = serde_json::from_slice::<serde::de::IgnoredAny>(&bytes) {
                return Err(Error::invalid_request(
                    request.op,
                    format!("the body is not JSON: {error}"),
                ));
            }
            Ok(request.body(Body::Json(bytes)))
        })
    }

    /// Sends `fields` as an `application/x-www-form-urlencoded` body, in order (how
    /// `POST /login` takes credentials: never in a URL).
    pub fn form<I, K, V>(self, fields: I) -> RawCall<'c>
    where
        I: IntoIterator<Item = (K, V)>,
        K: Into<String>,
        V: Into<String>,
    {
        self.map(|request| {
            let fields = fields
                .into_iter()
                .map(|(name, value)| (Cow::Owned(name.into()), value.into()))
                .collect();
            Ok(request.body(Body::Form(fields)))
        })
    }

    /// Sends `upload` as a multipart body, in the form field `field`.
    pub fn upload(self, field: impl Into<String>, upload: Upload) -> RawCall<'c> {
        self.map(|request| {
            Ok(request.body(Body::Multipart {
                field: Cow::Owned(field.into()),
                upload,
            }))
        })
    }

    /// Sends the call. Same as `.await`ing it.
    pub fn send(self) -> CallFuture<'c, RawResponse> {
        Call::new_checked(self.client, self.request, Ok).send()
    }
}

impl<'c> IntoFuture for RawCall<'c> {
    type Output = Result<RawResponse, Error>;
    type IntoFuture = CallFuture<'c, RawResponse>;

    fn into_future(self) -> CallFuture<'c, RawResponse> {
        self.send()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::client::tests::client;
    use crate::value::operation::HttpMethod;
    use crate::Idempotency;

    static LOGIN: OperationInfo =
        OperationInfo::for_tests("post_login", HttpMethod::Post, "/login", Idempotency::Acts);

    #[test]
    fn debug_masks_secret_values_of_owned_names() {
        let client = client();
        let call = client
            .request(&LOGIN)
            .query(String::from("password"), "pw-SECRET")
            .query("userId", "me");
        let debug = format!("{call:?}");
        assert!(!debug.contains("pw-SECRET"), "{debug}");
        assert!(debug.contains("\"me\""), "{debug}");
        let form = client.request(&LOGIN).form([("userPassword", "pw-SECRET")]);
        let debug = format!("{form:?}");
        assert!(
            !debug.contains("pw-SECRET") && debug.contains("userPassword"),
            "{debug}"
        );
    }

    #[test]
    fn a_body_that_is_not_json_is_refused_before_sending() {
        let client = client();
        let call = client.request(&LOGIN).json_bytes(b"{not json".to_vec());
        assert!(
            matches!(call.request, Err(Error::InvalidRequest { .. })),
            "{call:?}"
        );
        let ok = client.request(&LOGIN).json_bytes(b"{\"a\": 1}".to_vec());
        assert!(ok.request.is_ok());
    }
}
