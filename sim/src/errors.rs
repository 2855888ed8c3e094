//! The cloud's error answers the simulator gives, each in the wording of a server's
//! captured answer (`tests/fixtures/errors/cloud/`, named on each) or, where none was
//! captured, the nearest one known.

use crate::answer::Answer;

/// Error answers from a table: `name(args) => status, errorCode, message;` makes
/// `fn name(args: &str) -> Answer`, the message formatted with the arguments.
macro_rules! error_answers {
    ($($(#[$doc:meta])* $name:ident($($arg:ident),*) => $status:literal, $code:literal, $message:literal;)*) => {$(
        $(#[$doc])*
        pub(crate) fn $name($($arg: &str),*) -> Answer {
            Answer::error($status, $code, &format!($message))
        }
    )*};
}
pub(crate) use error_answers;

error_answers! {
    /// `cloud/401-not-authenticated`.
    not_authenticated() => 401, "RESOURCE_ACCESS_DENIED", "Not authenticated";
    /// `cloud/bad-credentials`.
    bad_credentials() => 401, "AUTHENTICATION_ERROR", "Bad credentials";
    /// `cloud/session-and-bearer`: a session cookie and a bearer token together.
    session_and_bearer() => 400, "UNSPECIFIED_ERROR", "Cannot use JSESSIONID and bearer token in same request";
    /// `cloud/no-such-resource`, for a path no operation has (status 404).
    no_such_path() => 404, "INVALID_API_CALL", "No such resource";
    /// `cloud/no-such-resource`, for an object of a documented path that does not
    /// exist (status 400, as the runtime's tests assume).
    no_such_resource() => 400, "INVALID_API_CALL", "No such resource";
    /// `cloud/invalid-event-listener-id`.
    invalid_listener(id) => 400, "UNSPECIFIED_ERROR", "Invalid event listener id : {id}";
    /// `cloud/no-such-controllable` (status 400, as the runtime's tests assume).
    no_such_controllable(device_url) => 400, "NO_SUCH_RESSOURCE", "No such controllable : {device_url}";
    /// `cloud/no-such-command`: a command the device's definition does not list.
    no_such_command(name) => 400, "UNSUPPORTED_OPERATION", "No such command : {name}";
    /// `cloud/no-such-action-group` (status 400, as the runtime's tests assume).
    no_such_action_group(oid) => 400, "NO_SUCH_ACTION_GROUP", "No such action group : {oid}";
    /// `cloud/action-group-setup-not-found`: an action on a device of a gateway
    /// outside the setup.
    setup_not_found(gateway) => 400, "INVALID_FIELD_VALUE", "Unable to determine action group setup (no setup for gateway #{gateway})";
    /// `cloud/not-such-token`: deleting a local token that does not exist.
    no_such_local_token(uuid) => 404, "UNSPECIFIED_ERROR", "Not such token with UUID: {uuid}";
    /// `local/400-malformed-action-group` (the cloud's is not captured).
    malformed_action_group() => 400, "MISSING_PARAMETERS", "Malformed \"Malformed action group\". (missing parameter)";
    /// A request the documentation says is incomplete (`problem`): the cloud's
    /// wording is not captured, the gateway's (`local/400-missing-parameters`) is used.
    missing_parameter(problem) => 400, "MISSING_PARAMETERS", "Malformed \"{problem}\". (missing parameter)";
    /// Cancelling an execution that is not running. A gateway answers status 204 with
    /// this body (`local/204-no-corresponding-execId`); a 204 cannot carry a body in
    /// HTTP (hyper drops it), so the simulator keeps a success status with the body:
    /// 200. What the cloud answers is not known.
    no_corresponding_exec_id(exec_id) => 200, "UNSPECIFIED_ERROR", "\"No corresponding execId {exec_id}\"";
}

/// `cloud/exec-queue-full`: `limit` executions already run on `gateway`.
pub(crate) fn exec_queue_full(gateway: &str, limit: usize) -> Answer {
    let message = format!("Execution queue is full on gateway: #{gateway} (soft limit: {limit})");
    Answer::error(400, "EXEC_QUEUE_FULL", &message)
}

/// Asserts that `answer` is the captured error answer `fixture` (`cloud/...` or
/// `local/...`): its body, and a gateway's status (the cloud fixtures' statuses are
/// assumptions, see [`crate::ErrorFixture`]).
#[cfg(test)]
#[track_caller]
pub(crate) fn assert_is_fixture(answer: &Answer, fixture: &str) {
    let fixture = crate::ErrorFixture::named(fixture).unwrap();
    let expected: serde_json::Value = serde_json::from_str(fixture.body).unwrap();
    let body: serde_json::Value = serde_json::from_slice(&answer.body).unwrap();
    assert_eq!(body, expected, "{}", fixture.name);
    if fixture.name.starts_with("local/") && fixture.status != 204 {
        assert_eq!(answer.status, fixture.status, "{}", fixture.name);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Each answer, with the fixture's own example argument, has the fixture's body
    /// (and, for the gateway's, its status).
    #[test]
    fn answers_are_the_servers() {
        use crate::local::errors as gateway;
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
            // The gateway's own.
            (
                "local/401-missing-authorization-token",
                gateway::missing_token(),
            ),
            ("local/401-not-authenticated", gateway::not_authenticated()),
            ("local/400-unknown-object", gateway::unknown_object()),
            (
                "local/400-malformed-fetch-id",
                gateway::malformed_fetch_id(),
            ),
            (
                "local/400-no-registered-event-listener",
                gateway::no_registered_listener(),
            ),
            (
                "local/400-no-such-device",
                gateway::no_such_device("io://9876-1234-8767/4468654"),
            ),
        ];
        for (name, answer) in cases {
            assert_is_fixture(&answer, name);
        }
    }
}
