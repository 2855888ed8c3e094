//! The values the handlers work with: a request as they see it ([`Call`]) and the
//! answer they build ([`Answer`]).

use http_body_util::Full;
use hyper::body::Bytes;
use hyper::header::{HeaderValue, CONTENT_TYPE};
use hyper::{Response, StatusCode};
use serde_json::Value;

use crate::spec;
use crate::ErrorFixture;

/// An answer under construction.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) content_type: &'static str,
    pub(crate) body: Vec<u8>,
    pub(crate) cookie: Option<String>,
}

impl Answer {
    pub(crate) fn json(status: u16, body: &Value) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: serde_json::to_vec(body).unwrap_or_default(),
            cookie: None,
        }
    }

    pub(crate) fn empty(status: u16) -> Answer {
        Answer {
            status,
            content_type: "application/json",
            body: Vec::new(),
            cookie: None,
        }
    }

    pub(crate) fn error(status: u16, code: &str, message: &str) -> Answer {
        Answer::json(
            status,
            &serde_json::json!({"errorCode": code, "error": message}),
        )
    }

    pub(crate) fn into_response(self) -> Response<Full<Bytes>> {
        let mut response = Response::new(Full::new(Bytes::from(self.body)));
        *response.status_mut() = StatusCode::from_u16(self.status).unwrap_or(StatusCode::OK);
        let headers = response.headers_mut();
        headers.insert(CONTENT_TYPE, HeaderValue::from_static(self.content_type));
        if let Some(cookie) = self.cookie.and_then(|c| HeaderValue::from_str(&c).ok()) {
            headers.insert(hyper::header::SET_COOKIE, cookie);
        }
        response
    }
}

/// A request as the handlers see it.
pub(crate) struct Call {
    /// Called through the local API prefix: bearer tokens only.
    pub(crate) local: bool,
    pub(crate) method: String,
    /// Path relative to the API base.
    pub(crate) path: String,
    /// The documented operation `path` matches, with its path parameters.
    pub(crate) route: Option<(&'static spec::Operation, Vec<String>)>,
    /// The URL's query string.
    pub(crate) query: String,
    pub(crate) cookie: Option<String>,
    pub(crate) bearer: Option<String>,
    pub(crate) body: Bytes,
}

impl From<ErrorFixture> for Answer {
    fn from(fixture: ErrorFixture) -> Answer {
        Answer {
            status: fixture.status,
            content_type: fixture.content_type,
            body: fixture.body.as_bytes().to_vec(),
            cookie: None,
        }
    }
}
