//! Calling a vendor's sign-in service: bounded answers, and failures mapped to the
//! client's error kinds with the vendor's message masked of secrets.

use crate::error::{Error, ErrorKind};

use super::SignInContext;

/// Largest vendor answer read (tokens and profiles are a few KiB).
const MAX_ANSWER_BYTES: u64 = 1024 * 1024;

/// An answer of a vendor service.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: Vec<u8>,
    /// `Set-Cookie` values, `NAME=value` only (Brandt's session).
    #[cfg_attr(not(feature = "brandt"), allow(dead_code))]
    pub(crate) cookies: Vec<String>,
}

impl Answer {
    /// The body as JSON, or a decode error naming the step.
    pub(crate) fn json(
        &self,
        service: &'static str,
        step: &'static str,
    ) -> Result<serde_json::Value, Error> {
        serde_json::from_slice(&self.body).map_err(|_| {
            Error::sign_in_service(
                service,
                step,
                ErrorKind::Decode,
                Some(self.status),
                "the answer is not JSON",
            )
        })
    }

    /// The body as text.
    pub(crate) fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }

    /// A short, masked description of the body for an error message.
    pub(crate) fn message(&self, ctx: &SignInContext) -> String {
        crate::error::excerpt(&self.body, |text| ctx.redact(text))
    }
}

/// Sends a request to a vendor service. Network failures, 5xx answers and HTML pages
/// become errors of the matching kind; other answers are returned for the flow to
/// read (it knows what its vendor's 4xx mean).
pub(crate) async fn send(
    ctx: &SignInContext,
    service: &'static str,
    step: &'static str,
    request: reqwest::RequestBuilder,
) -> Result<Answer, Error> {
    let response = request.send().await.map_err(|e| {
        let kind = if e.is_timeout() {
            ErrorKind::Timeout
        } else {
            ErrorKind::Transport
        };
        Error::sign_in_service(service, step, kind, None, e.without_url().to_string())
    })?;
    let status = response.status().as_u16();
    let cookies = response
        .headers()
        .get_all(reqwest::header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .filter_map(|v| v.split(';').next())
        .map(|pair| pair.trim().to_owned())
        .collect::<Vec<_>>();
    for cookie in &cookies {
        if let Some((_, value)) = cookie.split_once('=') {
            ctx.keep_secret(value);
        }
    }
    let body = crate::value::limited_body::read_limited(response, MAX_ANSWER_BYTES)
        .await
        .map_err(|e| {
            Error::sign_in_service(
                service,
                step,
                ErrorKind::Transport,
                Some(status),
                e.without_url().to_string(),
            )
        })?;
    if body.truncated {
        return Err(Error::sign_in_service(
            service,
            step,
            ErrorKind::ResponseTooLarge,
            Some(status),
            "the answer is too large",
        ));
    }
    let body = body.bytes;
    let answer = Answer {
        status,
        body,
        cookies,
    };
    if status >= 500 {
        let maintenance = answer.text().to_ascii_lowercase().contains("maintenance");
        let kind = if maintenance {
            ErrorKind::Maintenance
        } else {
            ErrorKind::Unavailable
        };
        return Err(Error::sign_in_service(
            service,
            step,
            kind,
            Some(status),
            answer.message(ctx),
        ));
    }
    if status == 429 {
        return Err(Error::sign_in_service(
            service,
            step,
            ErrorKind::TooManyRequests,
            Some(status),
            answer.message(ctx),
        ));
    }
    if (300..400).contains(&status) {
        return Err(Error::sign_in_service(
            service,
            step,
            ErrorKind::Redirect,
            Some(status),
            "unexpected redirect",
        ));
    }
    Ok(answer)
}

/// The error for an answer a flow did not expect: bad credentials for 400/401/403
/// (vendors answer wrong passwords so), otherwise a bad request.
pub(crate) fn refused(
    ctx: &SignInContext,
    service: &'static str,
    step: &'static str,
    answer: &Answer,
) -> Error {
    let kind = match answer.status {
        400 | 401 | 403 => ErrorKind::BadCredentials,
        _ => ErrorKind::AuthenticationFailed,
    };
    Error::sign_in_service(
        service,
        step,
        kind,
        Some(answer.status),
        answer.message(ctx),
    )
}
