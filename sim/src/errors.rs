//! The cloud's error answers the simulator gives, each in the wording of a server's
//! captured answer (`tests/fixtures/errors/cloud/`, named on each) or, where none was
//! captured, the nearest one known.

use serde_json::json;

use crate::answer::Answer;

/// `cloud/401-not-authenticated`.
pub(crate) fn not_authenticated() -> Answer {
    Answer::error(401, "RESOURCE_ACCESS_DENIED", "Not authenticated")
}

/// `cloud/bad-credentials`.
pub(crate) fn bad_credentials() -> Answer {
    Answer::error(401, "AUTHENTICATION_ERROR", "Bad credentials")
}

/// `cloud/session-and-bearer`: a session cookie and a bearer token together.
pub(crate) fn session_and_bearer() -> Answer {
    let message = "Cannot use JSESSIONID and bearer token in same request";
    Answer::error(400, "UNSPECIFIED_ERROR", message)
}

/// `cloud/no-such-resource`, for a path no operation has (status 404).
pub(crate) fn no_such_path() -> Answer {
    Answer::error(404, "INVALID_API_CALL", "No such resource")
}

/// `cloud/no-such-resource`, for an object of a documented path that does not exist
/// (status 400, as the runtime's tests assume).
pub(crate) fn no_such_resource() -> Answer {
    Answer::error(400, "INVALID_API_CALL", "No such resource")
}

/// `cloud/invalid-event-listener-id`.
pub(crate) fn invalid_listener(id: &str) -> Answer {
    let message = format!("Invalid event listener id : {id}");
    Answer::error(400, "UNSPECIFIED_ERROR", &message)
}

/// `cloud/no-such-controllable` (status 400, as the runtime's tests assume).
pub(crate) fn no_such_controllable(device_url: &str) -> Answer {
    let message = format!("No such controllable : {device_url}");
    Answer::error(400, "NO_SUCH_RESSOURCE", &message)
}

/// `cloud/no-such-command`: a command the device's definition does not list.
pub(crate) fn no_such_command(name: &str) -> Answer {
    let message = format!("No such command : {name}");
    Answer::error(400, "UNSUPPORTED_OPERATION", &message)
}

/// `cloud/no-such-action-group` (status 400, as the runtime's tests assume).
pub(crate) fn no_such_action_group(oid: &str) -> Answer {
    let message = format!("No such action group : {oid}");
    Answer::error(400, "NO_SUCH_ACTION_GROUP", &message)
}

/// `cloud/action-group-setup-not-found`: an action on a device of a gateway outside
/// the setup.
pub(crate) fn setup_not_found(gateway: &str) -> Answer {
    let message =
        format!("Unable to determine action group setup (no setup for gateway #{gateway})");
    Answer::error(400, "INVALID_FIELD_VALUE", &message)
}

/// `cloud/exec-queue-full`: `limit` executions already run on `gateway`.
pub(crate) fn exec_queue_full(gateway: &str, limit: usize) -> Answer {
    let message = format!("Execution queue is full on gateway: #{gateway} (soft limit: {limit})");
    Answer::error(400, "EXEC_QUEUE_FULL", &message)
}

/// `cloud/not-such-token`: deleting a local token that does not exist.
pub(crate) fn no_such_local_token(uuid: &str) -> Answer {
    let message = format!("Not such token with UUID: {uuid}");
    Answer::error(404, "UNSPECIFIED_ERROR", &message)
}

/// `local/400-malformed-action-group` (the cloud's is not captured).
pub(crate) fn malformed_action_group() -> Answer {
    let message = "Malformed \"Malformed action group\". (missing parameter)";
    Answer::error(400, "MISSING_PARAMETERS", message)
}

/// A request the documentation says is incomplete (`problem`): the cloud's wording is
/// not captured, the gateway's (`local/400-missing-parameters`) is used.
pub(crate) fn missing_parameter(problem: &str) -> Answer {
    let message = format!("Malformed \"{problem}\". (missing parameter)");
    Answer::error(400, "MISSING_PARAMETERS", &message)
}

/// Cancelling an execution that is not running. A gateway answers status 204 with
/// this body (`local/204-no-corresponding-execId`); a 204 cannot carry a body in HTTP
/// (hyper drops it), so the simulator keeps a success status with the body: 200.
/// What the cloud answers is not known.
pub(crate) fn no_corresponding_exec_id(exec_id: &str) -> Answer {
    let message = format!("\"No corresponding execId {exec_id}\"");
    Answer::json(
        200,
        &json!({"error": message, "errorCode": "UNSPECIFIED_ERROR"}),
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ErrorFixture;
    use serde_json::Value;

    /// Each answer, with the fixture's own example argument, is the fixture's body.
    #[test]
    fn answers_are_the_servers() {
        let cases = [
            ("cloud/401-not-authenticated", not_authenticated()),
            ("cloud/bad-credentials", bad_credentials()),
            ("cloud/session-and-bearer", session_and_bearer()),
            ("cloud/no-such-resource", no_such_path()),
            ("cloud/no-such-resource", no_such_resource()),
            (
                "cloud/invalid-event-listener-id",
                invalid_listener("abc-123-def"),
            ),
            (
                "cloud/no-such-controllable",
                no_such_controllable("io:NonExistentDeviceControllable"),
            ),
            ("cloud/no-such-command", no_such_command("fakeCommand")),
            (
                "cloud/no-such-action-group",
                no_such_action_group("00000000-0000-0000-0000-000000000000"),
            ),
            (
                "cloud/action-group-setup-not-found",
                setup_not_found("0000-0000-0000"),
            ),
            (
                "cloud/exec-queue-full",
                exec_queue_full("1234-5678-9012", 10),
            ),
            ("cloud/not-such-token", no_such_local_token("abc-123-def")),
            ("local/400-malformed-action-group", malformed_action_group()),
            (
                "local/400-missing-parameters",
                missing_parameter("Malformed devices states"),
            ),
            (
                "local/204-no-corresponding-execId",
                no_corresponding_exec_id("c6f83624-ac10-3e01-653e-2b025fee956d"),
            ),
        ];
        for (name, answer) in cases {
            let fixture = ErrorFixture::named(name).unwrap();
            let expected: Value = serde_json::from_str(fixture.body).unwrap();
            let body: Value = serde_json::from_slice(&answer.body).unwrap();
            assert_eq!(body, expected, "{name}");
        }
    }
}
