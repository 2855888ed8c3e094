//! The request the generated endpoint functions build, as a value (operation, path
//! arguments, query, body), and the raw answer they decode. The client sends it
//! (generated methods and raw calls, [`crate::RawCall`], alike); [`crate::Call`] (in the client layer) is the
//! awaitable form the generated methods return.

use std::borrow::Cow;

use crate::error::Error;
use crate::value::operation::OperationInfo;

/// A file sent as a multipart body (`<Uploaded File>` parameters).
#[derive(Clone, PartialEq, Eq)]
pub struct Upload {
    /// File name announced to the server.
    pub file_name: String,
    /// MIME type (`application/octet-stream` when unsure).
    pub mime_type: String,
    /// Contents.
    pub bytes: Vec<u8>,
}

impl std::fmt::Debug for Upload {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Upload")
            .field("file_name", &self.file_name)
            .field("mime_type", &self.mime_type)
            .field("bytes", &format_args!("<{} bytes>", self.bytes.len()))
            .finish()
    }
}

impl Upload {
    /// A file with the generic `application/octet-stream` type.
    pub fn new(file_name: impl Into<String>, bytes: impl Into<Vec<u8>>) -> Upload {
        Upload {
            file_name: file_name.into(),
            mime_type: "application/octet-stream".into(),
            bytes: bytes.into(),
        }
    }
}

/// Body of a request. Its `Debug` output shows form field names and sizes only: a
/// form may carry a password (`POST /login`).
#[derive(Clone, PartialEq)]
pub enum Body {
    /// Serialized JSON.
    Json(Vec<u8>),
    /// `application/x-www-form-urlencoded` fields (used by `POST /login`).
    Form(Vec<(Cow<'static, str>, String)>),
    /// A multipart body with one file field.
    Multipart {
        /// Name of the form field.
        field: Cow<'static, str>,
        /// The file.
        upload: Upload,
    },
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(bytes) => write!(f, "Json(<{} bytes>)", bytes.len()),
            Body::Form(fields) => {
                let names: Vec<&str> = fields.iter().map(|(name, _)| name.as_ref()).collect();
                f.debug_tuple("Form").field(&names).finish()
            }
            Body::Multipart { field, upload } => f
                .debug_struct("Multipart")
                .field("field", field)
                .field("upload", upload)
                .finish(),
        }
    }
}

/// One call of a documented operation, before it is sent. Its `Debug` output masks
/// the path and query values of secret parameters (`{rootPassword}`, `?password=`).
#[derive(Clone)]
pub struct Request {
    /// The operation.
    pub op: &'static OperationInfo,
    /// Values of the path's `{placeholders}`, in order, not yet percent-encoded.
    pub path_args: Vec<String>,
    /// Query parameters that were given, in order (names are owned for raw calls,
    /// [`crate::RawCall::query`]).
    pub query: Vec<(Cow<'static, str>, String)>,
    /// Body, if any.
    pub body: Option<Body>,
}

impl std::fmt::Debug for Request {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Path arguments are in the order of the path's `{placeholders}`.
        let names = self
            .op
            .path
            .split('{')
            .skip(1)
            .filter_map(|rest| rest.split_once('}').map(|(name, _)| name));
        let mut path_args: Vec<&str> = self.path_args.iter().map(String::as_str).collect();
        for (arg, name) in path_args.iter_mut().zip(names) {
            if crate::value::redact::is_secret_name(name) {
                *arg = crate::value::redact::MASK;
            }
        }
        let query: Vec<(&str, &str)> = self
            .query
            .iter()
            .map(|(name, value)| {
                let secret = crate::value::redact::is_secret_name(name);
                (
                    name.as_ref(),
                    if secret {
                        crate::value::redact::MASK
                    } else {
                        value.as_str()
                    },
                )
            })
            .collect();
        f.debug_struct("Request")
            .field("op", &self.op)
            .field("path_args", &path_args)
            .field("query", &query)
            .field("body", &self.body)
            .finish()
    }
}

impl Request {
    /// A request for `op` with no parameters.
    pub fn new(op: &'static OperationInfo) -> Request {
        Request {
            op,
            path_args: Vec::new(),
            query: Vec::new(),
            body: None,
        }
    }

    /// Sets the path arguments.
    pub fn path(mut self, args: &[&str]) -> Request {
        self.path_args = args.iter().map(|a| (*a).to_owned()).collect();
        self
    }

    /// Adds a query parameter when it is given.
    pub fn query(mut self, name: &'static str, value: Option<String>) -> Request {
        if let Some(value) = value {
            self.query.push((Cow::Borrowed(name), value));
        }
        self
    }

    /// Adds a list parameter as repeated `name=value` pairs.
    pub fn query_all(mut self, name: &'static str, values: Option<&[String]>) -> Request {
        for value in values.unwrap_or_default() {
            self.query.push((Cow::Borrowed(name), value.clone()));
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Request {
        self.body = Some(body);
        self
    }

    /// Sets a form body from its fields (the generated form types give them).
    pub fn form(self, fields: Vec<(&'static str, String)>) -> Request {
        let fields = fields
            .into_iter()
            .map(|(name, value)| (Cow::Borrowed(name), value))
            .collect();
        self.body(Body::Form(fields))
    }

    /// Moves the query parameters into a form body (for operations that take their
    /// parameters as a form, such as `POST /login`: credentials never go in a URL).
    pub fn into_form(mut self) -> Request {
        let fields = std::mem::take(&mut self.query);
        self.body(Body::Form(fields))
    }

    /// Serializes `value` as the JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Request, Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| Error::encode(self.op, e))?;
        Ok(self.body(Body::Json(bytes)))
    }
}

/// Writes a form's `Debug` output: the names of the fields that are set, never
/// their values (a form may carry a password).
#[doc(hidden)]
pub fn debug_form(
    f: &mut std::fmt::Formatter<'_>,
    name: &str,
    fields: &[(&'static str, bool)],
) -> std::fmt::Result {
    let set: Vec<&str> = fields
        .iter()
        .filter(|(_, set)| *set)
        .map(|(n, _)| *n)
        .collect();
    f.debug_struct(name)
        .field("set", &set)
        .finish_non_exhaustive()
}

/// A successful answer, not yet decoded: what a raw call ([`crate::Client::request`])
/// returns. Its `Debug` output shows the body's length, not the body (it may hold a
/// token).
#[derive(Clone)]
#[non_exhaustive]
pub struct RawResponse {
    /// The operation that was called.
    pub op: &'static OperationInfo,
    /// HTTP status code.
    pub status: u16,
    /// The `Content-Type` header, if the server sent one.
    pub content_type: Option<String>,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl std::fmt::Debug for RawResponse {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RawResponse")
            .field("op", &format_args!("{}", self.op))
            .field("status", &self.status)
            .field("content_type", &self.content_type)
            .field("body", &format_args!("<{} bytes>", self.body.len()))
            .finish()
    }
}

impl RawResponse {
    /// Decodes a JSON answer.
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_slice(&self.body).map_err(|e| Error::decode(self.op, &self.body, e))
    }

    /// Returns a text answer (`text/csv`, `text/html`).
    pub fn text(self) -> Result<String, Error> {
        String::from_utf8(self.body).map_err(|e| {
            let body = e.as_bytes().to_vec();
            Error::decode(self.op, &body, e)
        })
    }

    /// Accepts an answer without a meaningful body.
    pub fn empty(self) -> Result<(), Error> {
        Ok(())
    }
}
