//! The gateway's error answers in local API mode, each in the wording of a captured
//! one (`tests/fixtures/errors/local/`, named on each), and the rewording of the
//! cloud's remaining errors.

use serde_json::Value;

use crate::answer::Answer;

crate::errors::error_answers! {
    /// `401-missing-authorization-token`.
    missing_token() => 401, "RESOURCE_ACCESS_DENIED", "Missing authorization token.";
    /// `401-not-authenticated`.
    not_authenticated() => 401, "RESOURCE_ACCESS_DENIED", "Not authenticated.";
    /// `400-unknown-object`.
    unknown_object() => 400, "UNSPECIFIED_ERROR", "Unknown object.";
    /// `400-malformed-fetch-id`.
    malformed_fetch_id() => 400, "MISSING_PARAMETERS", "Malformed \"Malformed fetch id.\". (missing parameter)";
    /// `400-no-registered-event-listener`.
    no_registered_listener() => 400, "UNSPECIFIED_ERROR", "\"No registered event listener.\"";
}

/// `400-no-such-device`.
pub(crate) fn no_such_device(device_url: &str) -> Answer {
    let message = format!("No such device : {}", Value::from(device_url));
    Answer::error(400, "NO_SUCH_DEVICE", &message)
}

/// Rewords the cloud mode's remaining error answers the gateway's way.
pub(super) fn localize(answer: Answer) -> Answer {
    if answer.status < 400 {
        return answer;
    }
    let Ok(body) = serde_json::from_slice::<Value>(&answer.body) else {
        return answer;
    };
    let message = body["error"].as_str().unwrap_or_default();
    if message.starts_with("Invalid event listener id") {
        no_registered_listener()
    } else if let Some(url) = message.strip_prefix("No such controllable : ") {
        no_such_device(url)
    } else if message == "No such resource" {
        unknown_object()
    } else if message == "Not authenticated" {
        not_authenticated()
    } else {
        answer
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_clouds_errors_are_reworded() {
        let reworded = |answer: Answer| serde_json::from_slice::<Value>(&localize(answer).body);
        let cases = [
            (
                crate::errors::invalid_listener("x"),
                no_registered_listener(),
            ),
            (
                crate::errors::no_such_controllable("io://1/2"),
                no_such_device("io://1/2"),
            ),
            (crate::errors::no_such_resource(), unknown_object()),
            (crate::errors::not_authenticated(), not_authenticated()),
        ];
        for (cloud, local) in cases {
            let expected = serde_json::from_slice::<Value>(&local.body).unwrap();
            assert_eq!(reworded(cloud).unwrap(), expected);
        }
    }
}
