//! The request the generated endpoint functions hand to [`crate::Client::execute`],
//! and the raw answer they decode. Kept small so each generated function is a few
//! lines: build a [`Request`], execute it, decode the [`RawResponse`].

use crate::operation::OperationInfo;

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
    Form(Vec<(&'static str, String)>),
    /// A multipart body with one file field.
    Multipart {
        /// Name of the form field.
        field: &'static str,
        /// The file.
        upload: Upload,
    },
}

impl std::fmt::Debug for Body {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Body::Json(bytes) => write!(f, "Json(<{} bytes>)", bytes.len()),
            Body::Form(fields) => {
                let names: Vec<&str> = fields.iter().map(|(name, _)| *name).collect();
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

/// One call of a documented operation, before it is sent.
#[derive(Debug, Clone)]
pub struct Request {
    /// The operation.
    pub op: &'static OperationInfo,
    /// Values of the path's `{placeholders}`, in order, not yet percent-encoded.
    pub path_args: Vec<String>,
    /// Query parameters that were given, in order.
    pub query: Vec<(&'static str, String)>,
    /// Body, if any.
    pub body: Option<Body>,
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
            self.query.push((name, value));
        }
        self
    }

    /// Adds a list parameter as repeated `name=value` pairs.
    pub fn query_all(mut self, name: &'static str, values: Option<&[String]>) -> Request {
        for value in values.unwrap_or_default() {
            self.query.push((name, value.clone()));
        }
        self
    }

    /// Sets the body.
    pub fn body(mut self, body: Body) -> Request {
        self.body = Some(body);
        self
    }

    /// Moves the query parameters into a form body (for operations that take their
    /// parameters as a form, such as `POST /login`: credentials never go in a URL).
    pub fn into_form(mut self) -> Request {
        let fields = std::mem::take(&mut self.query);
        self.body(Body::Form(fields))
    }

    /// Serializes `value` as the JSON body.
    pub fn json<T: serde::Serialize + ?Sized>(self, value: &T) -> Result<Request, crate::Error> {
        let bytes = serde_json::to_vec(value).map_err(|e| crate::Error::encode(self.op, e))?;
        Ok(self.body(Body::Json(bytes)))
    }
}

/// A successful answer, not yet decoded.
#[derive(Debug, Clone)]
pub struct RawResponse {
    /// The operation that was called.
    pub op: &'static OperationInfo,
    /// HTTP status code.
    pub status: u16,
    /// Body bytes.
    pub body: Vec<u8>,
}

impl RawResponse {
    /// Decodes a JSON answer.
    pub fn json<T: serde::de::DeserializeOwned>(self) -> Result<T, crate::Error> {
        serde_json::from_slice(&self.body).map_err(|e| crate::Error::decode(self.op, &self.body, e))
    }

    /// Returns a text answer (`text/csv`, `text/html`).
    pub fn text(self) -> Result<String, crate::Error> {
        String::from_utf8(self.body).map_err(|e| {
            let body = e.as_bytes().to_vec();
            crate::Error::decode(self.op, &body, e)
        })
    }

    /// Accepts an answer without a meaningful body.
    pub fn empty(self) -> Result<(), crate::Error> {
        Ok(())
    }
}
