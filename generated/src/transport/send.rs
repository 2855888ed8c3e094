//! Sending one call: the HTTP request, its bounded answer, and the decision to send it
//! again, which depends on what the operation does ([`crate::Idempotency`]), not on
//! its HTTP method.
//!
//! One `debug` span per HTTP request records the method, the path *template* (never
//! the real path or query, which may carry ids), the attempt, the status and the
//! latency; nothing else about the request is logged.

use std::time::{Duration, Instant, SystemTime};

use tracing::Instrument;

use crate::error::{is_error_body, Error, ErrorKind};
use crate::transport::request::{Body, RawResponse};
use crate::transport::session::{Inner, SessionState};
use crate::value::limited_body::{read_limited, LimitedBody};
use crate::value::operation::{HttpMethod, OperationInfo};

/// Error answers are read up to this size: enough for any Overkiz error body or
/// maintenance page.
const MAX_ERROR_BYTES: u64 = 64 * 1024;

/// The longest `Retry-After` taken as said; longer ones are read as this (a day),
/// so no wait computed from it can overflow.
pub(crate) const MAX_RETRY_AFTER: Duration = Duration::from_secs(24 * 3600);

/// True when the failed request provably never reached the server, or the server
/// says it did nothing with it: connection refused, name not resolved, connect
/// timeout, a 503 answer, or "too many concurrent requests".
fn never_arrived(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => source.is_connect(),
        Error::Timeout { connect, .. } => *connect,
        Error::Unavailable { status, .. } => *status == 503,
        other => other.kind() == ErrorKind::TooManyConcurrentRequests,
    }
}

/// True when the request may have reached the server and been carried out, though
/// no answer says how it ended: a timeout or a broken connection after sending, or a
/// 500/502/504 answer from a proxy or a crashing server.
fn outcome_unknown(error: &Error) -> bool {
    match error {
        Error::Transport { source, .. } => !source.is_connect(),
        Error::Timeout { connect, .. } => !connect,
        Error::Unavailable { status, .. } => matches!(status, 500 | 502 | 504),
        _ => false,
    }
}

/// Failures after which a call that may be resent is sent again at once.
fn is_transient(error: &Error) -> bool {
    match error {
        Error::Transport { .. } => true,
        Error::Timeout { connect, .. } => *connect,
        Error::Unavailable { status, .. } => matches!(status, 502..=504),
        other => other.kind() == ErrorKind::TooManyConcurrentRequests,
    }
}

impl Inner {
    /// Sends a call, resending it after failures when its idempotency class (or
    /// `may_resend`, which overrides it) and the failure allow.
    pub(crate) async fn send(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        body: Option<&Body>,
        session: &SessionState,
        may_resend: Option<bool>,
    ) -> Result<RawResponse, Error> {
        let policy = &self.retry;
        let may_resend = may_resend.unwrap_or(op.idempotency.may_resend());
        let mut attempt = 1;
        loop {
            let error = match self.send_once(op, url, body, session, attempt).await {
                Ok(response) => return Ok(response),
                Err(error) => error,
            };
            let resend = is_transient(&error) && (may_resend || never_arrived(&error));
            let delay = if resend && attempt < policy.max_attempts() {
                // A server asking for a long wait gets its error back rather than a
                // sleeping client.
                policy.delay(attempt, error.retry_after())
            } else {
                None
            };
            let Some(delay) = delay else {
                return Err(if !may_resend && outcome_unknown(&error) {
                    Error::OutcomeUnknown {
                        operation: op,
                        cause: Box::new(error),
                    }
                } else {
                    error
                });
            };
            tracing::debug!(
                method = op.method.as_str(),
                path = op.path,
                attempt,
                kind = ?error.kind(),
                delay_ms = delay.as_millis() as u64,
                "transient failure; resending"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }

    /// Sends one HTTP request and reads its answer within the size limits.
    async fn send_once(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        body: Option<&Body>,
        session: &SessionState,
        attempt: u32,
    ) -> Result<RawResponse, Error> {
        let span = tracing::debug_span!(
            "overkiz_request",
            method = op.method.as_str(),
            path = op.path,
            attempt,
            status = tracing::field::Empty,
            latency_ms = tracing::field::Empty,
        );
        let started = Instant::now();
        async {
            let builder = self.request_builder(op, url, body, session)?;
            let result = async {
                let response = builder.send().await?;
                let status = response.status().as_u16();
                let retry_after = parse_retry_after(response.headers());
                let content_type = response
                    .headers()
                    .get(reqwest::header::CONTENT_TYPE)
                    .and_then(|v| v.to_str().ok())
                    .map(str::to_owned);
                let limit = if (200..300).contains(&status) {
                    self.max_response_bytes
                } else {
                    MAX_ERROR_BYTES
                };
                let body = read_limited(response, limit).await?;
                Ok::<_, reqwest::Error>((status, retry_after, content_type, body))
            }
            .await;
            let latency_ms = started.elapsed().as_millis() as u64;
            let span = tracing::Span::current();
            span.record("latency_ms", latency_ms);
            let (status, retry_after, content_type, body) = match result {
                Ok(answer) => answer,
                Err(error) => {
                    let error = Error::from_reqwest(op, error);
                    tracing::debug!(latency_ms, kind = ?error.kind(), "request failed");
                    return Err(error);
                }
            };
            span.record("status", status);
            tracing::debug!(status, latency_ms, "response");
            let LimitedBody { bytes, truncated } = body;
            match status {
                200..=299 if truncated => Err(Error::ResponseTooLarge {
                    operation: op,
                    limit: self.max_response_bytes,
                }),
                200..=299 if is_error_body(&bytes) => Err(Error::from_response(
                    op,
                    status,
                    retry_after,
                    &bytes,
                    &self.redactor,
                )),
                200..=299 => Ok(RawResponse {
                    op,
                    status,
                    content_type,
                    body: bytes,
                }),
                300..=399 => Err(Error::Redirected {
                    operation: op,
                    status,
                }),
                _ => Err(Error::from_response(
                    op,
                    status,
                    retry_after,
                    &bytes,
                    &self.redactor,
                )),
            }
        }
        .instrument(span)
        .await
    }

    fn request_builder(
        &self,
        op: &'static OperationInfo,
        url: &reqwest::Url,
        body: Option<&Body>,
        session: &SessionState,
    ) -> Result<reqwest::RequestBuilder, Error> {
        let mut builder = self.http.request(reqwest_method(op.method), url.clone());
        if let Some(token) = &session.bearer {
            // `bearer_auth` marks the header sensitive.
            builder = builder.bearer_auth(token.expose());
        }
        for (name, value) in session.headers.iter() {
            let mut value =
                reqwest::header::HeaderValue::from_str(value.expose()).map_err(|_| {
                    Error::invalid_request(op, format!("invalid value for the {name} header"))
                })?;
            value.set_sensitive(true);
            builder = builder.header(name.as_str(), value);
        }
        Ok(match body {
            None => builder,
            Some(Body::Json(bytes)) => builder
                .header(reqwest::header::CONTENT_TYPE, "application/json")
                .body(bytes.clone()),
            Some(Body::Form(fields)) => builder.form(fields),
            Some(Body::Multipart { field, upload }) => {
                let part = reqwest::multipart::Part::bytes(upload.bytes.clone())
                    .file_name(upload.file_name.clone())
                    .mime_str(&upload.mime_type)
                    .map_err(|_| {
                        Error::invalid_request(
                            op,
                            format!("invalid MIME type {:?}", upload.mime_type),
                        )
                    })?;
                builder.multipart(reqwest::multipart::Form::new().part(field.clone(), part))
            }
        })
    }
}

fn reqwest_method(method: HttpMethod) -> reqwest::Method {
    match method {
        HttpMethod::Get => reqwest::Method::GET,
        HttpMethod::Post => reqwest::Method::POST,
        HttpMethod::Put => reqwest::Method::PUT,
        HttpMethod::Delete => reqwest::Method::DELETE,
        HttpMethod::Patch => reqwest::Method::PATCH,
    }
}

/// `Retry-After: <seconds>` or `Retry-After: <HTTP date>`, capped at
/// [`MAX_RETRY_AFTER`].
pub(crate) fn parse_retry_after(headers: &reqwest::header::HeaderMap) -> Option<Duration> {
    let value = headers
        .get(reqwest::header::RETRY_AFTER)?
        .to_str()
        .ok()?
        .trim();
    let wait = if let Ok(seconds) = value.parse::<u64>() {
        Duration::from_secs(seconds)
    } else if value.bytes().all(|b| b.is_ascii_digit()) && !value.is_empty() {
        // Too many digits for a u64: as long as it gets.
        MAX_RETRY_AFTER
    } else {
        let when = httpdate::parse_http_date(value).ok()?;
        when.duration_since(SystemTime::now())
            .unwrap_or(Duration::ZERO)
    };
    Some(wait.min(MAX_RETRY_AFTER))
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue, RETRY_AFTER};

    #[test]
    fn retry_after_header() {
        let mut headers = HeaderMap::new();
        assert_eq!(parse_retry_after(&headers), None);
        headers.insert(RETRY_AFTER, HeaderValue::from_static("120"));
        assert_eq!(parse_retry_after(&headers), Some(Duration::from_secs(120)));
        headers.insert(
            RETRY_AFTER,
            HeaderValue::from_static("Wed, 21 Oct 2015 07:28:00 GMT"),
        );
        assert_eq!(parse_retry_after(&headers), Some(Duration::ZERO));
        let later = httpdate::fmt_http_date(SystemTime::now() + Duration::from_secs(300));
        headers.insert(RETRY_AFTER, HeaderValue::from_str(&later).unwrap());
        let wait = parse_retry_after(&headers).unwrap();
        assert!(
            wait > Duration::from_secs(290) && wait <= Duration::from_secs(300),
            "{wait:?}"
        );
        headers.insert(RETRY_AFTER, HeaderValue::from_static("soon"));
        assert_eq!(parse_retry_after(&headers), None);
    }

    #[test]
    fn retry_after_is_capped() {
        let mut headers = HeaderMap::new();
        for huge in [
            "18446744073709551615",
            "99999999999999999999999999",
            "86401",
        ] {
            headers.insert(RETRY_AFTER, HeaderValue::from_static(huge));
            assert_eq!(parse_retry_after(&headers), Some(MAX_RETRY_AFTER), "{huge}");
        }
        // Any wait from it can be added to an instant.
        let _ = tokio::time::Instant::now() + MAX_RETRY_AFTER;
    }
}
