//! Parser tests on small documents written in the page's format.

use super::*;

/// Page chrome and one group around the given operations.
fn doc(operations: &str) -> String {
    format!(
        "End-User RESTful API Operations\n\nExpand/collapse all\n\nHide/show deprecated\n\n\
         Setup\n\n\t\t\t\n\t\t\nExpand commands\n\nDevice\n\nDevices of the setup.\nRead more\n\
         Private tags : [ device, setup ]\nExpand commands\n{operations}"
    )
}

fn parse_ok(operations: &str) -> Spec {
    match parse("test.txt", &doc(operations)) {
        Ok(spec) => spec,
        Err(e) => panic!("{e}"),
    }
}

fn parse_err(operations: &str) -> String {
    parse("test.txt", &doc(operations))
        .expect_err("the snippet is malformed")
        .to_string()
}

fn pretty<T: serde::Serialize>(value: &T) -> String {
    serde_json::to_string_pretty(value).unwrap()
}

const GET_DEVICE: &str = r#"GET Device /setup/devices/{deviceURL} application/json
Retrieve a device by URL

Useful to refresh one device.


Access scope : Public

Parameters
Type Name Value Description
Path Variable deviceURL
"string value"
Device URL
Request Parameter withStates
false
(Optional) (Default: true)
Include the states
Response
Type Name Value Description
Response Body (JSON)
{
  "creationTime" : 1774337683092,
  "label" : "a device label",
  "deviceURL" : "device URL (<protocol>://<gatewayId>/<deviceAddress>[#<subsystemId>])",
  "states" : [ {
    "name" : "a device state name",
    "type" : 1,
    "value" : "a device state value"
  } ],
  "attributes" : { "some attributes" : 0.12345 },
  "available" : true,
  "oid" : "the device UUID"
}
The device
HTTP Status Code
Code Message Meaning
200
OK
The request has succeeded
"#;

const POST_DEPRECATED_RATE_LIMITED: &str = r#"POST Places [DEPRECATED] since version 2018.3.3 /setup/places/{placeOID} application/json
Update a place
DEPRECATED: use PUT



Per-session rate-limit : 1 calls per 28min 48s period for all operations of the same category (exec)
Access scope : Public

> Test operation
Parameters
Type Name Value Description
Request Body (JSON)
{
  "label" : "a place label",
  "subPlaces" : [ ]
}
(Optional)
The new values
Path Variable placeOID
"string value"
The place OID
HTTP Status Code
Code Message Meaning
204
NO_CONTENT
The server has fulfilled the request

Generated events on method call

PlaceUpdatedEvent
Description A place has been updated
JSON
{
  "timestamp" : 2,
  "setupOID" : "a setup OID",
  "placeOID" : "a place OID",
  "name" : "PlaceUpdatedEvent"
}
Field name Field description
placeOID Place OID
setupOID Setup OID
GatewayAliveEvent
Description
JSON
{
  "gatewayId" : "a gateway id",
  "name" : "GatewayAliveEvent"
}
"#;

const GET_CSV: &str = r#"GET History values /setup/history/{from}/export text/csv
Export history values in CSV format



Per-session rate-limit : 5 calls per 1h period for this particular operation (bulk-history)
Access scope : Public

Parameters
Type Name Value Description
Path Variable from
2
Start date (in ms)
HTTP Status Code
Code Message Meaning
200
OK
The request has succeeded
"#;

const ALLOWED_VALUES: &str = r#"POST Energy /config/{gatewayId}/energy/{category} application/json
Create an energy sensor



Access scope : Public

Parameters
Type Name Value Description
Path Variable gatewayId
"string value"
The gateway
Path Variable category
1
The energy type
HTTP Status Code
Code Message Meaning
201
CREATED
The request has been fulfilled
See Allowed Values
IO Energy Type
Name Code Meaning
ELECTRICITY 1 Electricity
THERMAL_ENERGY 5 Thermal Energy
Countries
Name Code Meaning
Bosnia and Herzegovina BA Bosnia and Herzegovina
Reunion Island RE Reunion
EltakoSmokeSensor EEP=0xF60201 subType=0x1 Eltako Smoke Sensor
"#;

const ALLOWED_TYPES: &str = r#"POST Trigger /triggers application/json
Create a trigger



Access scope : Public

Parameters
Type Name Value Description
Request Body (JSON)
{
  "condition" : {
    "andBlock" : {
      "activationDelay" : 1
    }
  }
}
The trigger
HTTP Status Code
Code Message Meaning
200
OK
The request has succeeded
See Allowed Types
Condition Block
Condition Block
{
  "andBlock" : {
    "activationDelay" : 1,
    "subConditionBlocks" : [ ]
  }
}
{
  "orBlock" : {
    "activationDelay" : 1
  }
}
"#;

#[test]
fn get_with_path_and_query_params_and_response() {
    let spec = parse_ok(GET_DEVICE);
    insta::assert_snapshot!(pretty(&spec.operations[0]));
}

#[test]
fn deprecated_rate_limited_post_with_optional_body_and_events() {
    let spec = parse_ok(POST_DEPRECATED_RATE_LIMITED);
    insta::assert_snapshot!(pretty(&spec.operations[0]));
}

#[test]
fn csv_operation_without_response_body() {
    let spec = parse_ok(GET_CSV);
    insta::assert_snapshot!(pretty(&spec.operations[0]));
}

#[test]
fn event_definition() {
    let spec = parse_ok(POST_DEPRECATED_RATE_LIMITED);
    insta::assert_snapshot!(pretty(&spec.events));
}

#[test]
fn allowed_values_tables() {
    let spec = parse_ok(ALLOWED_VALUES);
    insta::assert_snapshot!(pretty(&spec.operations[0].allowed_values));
}

#[test]
fn allowed_types_block() {
    let spec = parse_ok(ALLOWED_TYPES);
    insta::assert_snapshot!(pretty(&spec.operations[0].allowed_types));
}

#[test]
fn groups_and_categories() {
    let spec = parse_ok(GET_CSV);
    insta::assert_snapshot!(pretty(&spec.groups));
}

#[test]
fn events_merge_over_occurrences() {
    let second = POST_DEPRECATED_RATE_LIMITED
        .replacen(
            "/setup/places/{placeOID}",
            "/setup/places/{placeOID}/again",
            1,
        )
        .replacen(
            "\"placeOID\" : \"a place OID\",",
            "\"placeOID\" : \"a place OID\",\n  \"label\" : \"a label\",",
            1,
        );
    let spec = parse_ok(&format!("{POST_DEPRECATED_RATE_LIMITED}{second}"));
    let event = spec
        .events
        .iter()
        .find(|e| e.name == "PlaceUpdatedEvent")
        .unwrap();
    let names: Vec<&str> = event.fields.iter().map(|f| f.name.as_str()).collect();
    assert_eq!(names, ["label", "placeOID", "setupOID", "timestamp"]);
}

/// `POST_DEPRECATED_RATE_LIMITED` as the August 2026 page writes events: tagged by
/// `type` (last key), dated `eventTime`, with a `siteOID`.
fn august_form(text: &str) -> String {
    text.replace(
        "\"timestamp\" : 2,",
        "\"eventTime\" : 2,\n  \"siteOID\" : \"a site OID\",",
    )
    .replace(
        "\"name\" : \"PlaceUpdatedEvent\"",
        "\"type\" : \"PlaceUpdatedEvent\"",
    )
    .replace(
        "\"name\" : \"GatewayAliveEvent\"",
        "\"type\" : \"GatewayAliveEvent\"",
    )
}

fn event<'a>(spec: &'a Spec, name: &str) -> &'a EventType {
    spec.events.iter().find(|e| e.name == name).unwrap()
}

fn field_names(event: &EventType) -> Vec<&str> {
    event.fields.iter().map(|f| f.name.as_str()).collect()
}

#[test]
fn event_tagged_by_name_records_the_tag_outside_its_fields() {
    let spec = parse_ok(POST_DEPRECATED_RATE_LIMITED);
    let place = event(&spec, "PlaceUpdatedEvent");
    assert_eq!(place.tag, "name");
    assert_eq!(field_names(place), ["placeOID", "setupOID", "timestamp"]);
}

#[test]
fn event_tagged_by_type_when_it_has_no_name() {
    let spec = parse_ok(&august_form(POST_DEPRECATED_RATE_LIMITED));
    let place = event(&spec, "PlaceUpdatedEvent");
    assert_eq!(place.tag, "type");
    // Every other key is an ordinary field, the new ones included.
    assert_eq!(
        field_names(place),
        ["eventTime", "placeOID", "setupOID", "siteOID"]
    );
    assert_eq!(event(&spec, "GatewayAliveEvent").tag, "type");
    assert_eq!(
        field_names(event(&spec, "GatewayAliveEvent")),
        ["gatewayId"]
    );
}

#[test]
fn own_type_beside_a_name_is_an_ordinary_field() {
    // March's `Place*` events carry an integer `type`, `CalendarDay*` a string one.
    for own in ["1", "\"a calendar day type\""] {
        let text = POST_DEPRECATED_RATE_LIMITED.replace(
            "\"name\" : \"PlaceUpdatedEvent\"",
            &format!("\"type\" : {own},\n  \"name\" : \"PlaceUpdatedEvent\""),
        );
        let spec = parse_ok(&text);
        let place = event(&spec, "PlaceUpdatedEvent");
        assert_eq!(place.tag, "name");
        assert_eq!(
            field_names(place),
            ["placeOID", "setupOID", "timestamp", "type"]
        );
    }
}

#[test]
fn row_describing_the_tag_is_not_a_field() {
    let text = august_form(POST_DEPRECATED_RATE_LIMITED).replace(
        "placeOID Place OID\n",
        "placeOID Place OID\ntype Event name\n",
    );
    let spec = parse_ok(&text);
    assert_eq!(
        field_names(event(&spec, "PlaceUpdatedEvent")),
        ["eventTime", "placeOID", "setupOID", "siteOID"]
    );
}

#[test]
fn event_whose_type_is_not_its_name_fails_with_the_line() {
    for (from, to) in [
        // `type` naming another event.
        (
            "\"type\" : \"PlaceUpdatedEvent\"",
            "\"type\" : \"PlaceDeletedEvent\"",
        ),
        // `type` of its own and no tag at all.
        ("\"type\" : \"PlaceUpdatedEvent\"", "\"type\" : 1"),
    ] {
        let broken = august_form(POST_DEPRECATED_RATE_LIMITED).replace(from, to);
        let err = parse_err(&broken);
        let at = line_of(&broken, "\"eventTime\" : 2") - 1;
        assert_eq!(
            err,
            format!("test.txt:{at}: expected an event example whose `name` is `PlaceUpdatedEvent` (or, without a `name`, whose `type` is `PlaceUpdatedEvent`), found `{{`")
        );
    }
}

#[test]
fn name_naming_another_event_is_not_overridden_by_type() {
    // `name` names the event when present: a `type` cannot rescue a wrong `name`.
    let broken = POST_DEPRECATED_RATE_LIMITED.replace(
        "\"name\" : \"PlaceUpdatedEvent\"",
        "\"type\" : \"PlaceUpdatedEvent\",\n  \"name\" : \"PlaceDeletedEvent\"",
    );
    let err = parse_err(&broken);
    assert!(
        err.contains("expected an event example whose `name` is `PlaceUpdatedEvent`"),
        "{err}"
    );
}

#[test]
fn occurrences_tagged_differently_fail() {
    let second = august_form(POST_DEPRECATED_RATE_LIMITED).replacen(
        "/setup/places/{placeOID}",
        "/setup/places/{placeOID}/again",
        1,
    );
    let err = parse_err(&format!("{POST_DEPRECATED_RATE_LIMITED}{second}"));
    assert!(
        err.contains("expected `PlaceUpdatedEvent` tagged by `name` as at line"),
        "{err}"
    );
    assert!(err.ends_with("found an example tagged by `type`"), "{err}");
}

#[test]
fn contradicting_event_occurrences_fail_loudly() {
    let second = POST_DEPRECATED_RATE_LIMITED
        .replacen(
            "/setup/places/{placeOID}",
            "/setup/places/{placeOID}/again",
            1,
        )
        .replacen("\"placeOID\" : \"a place OID\"", "\"placeOID\" : 12", 1);
    let err = parse_err(&format!("{POST_DEPRECATED_RATE_LIMITED}{second}"));
    assert!(err.starts_with("test.txt:"), "{err}");
    assert!(
        err.contains("expected `PlaceUpdatedEvent` to agree with its occurrence at line"),
        "{err}"
    );
    assert!(
        err.ends_with("found `placeOID` is string in one example and integer in another"),
        "{err}"
    );
}

#[test]
fn rate_limit_periods() {
    assert_eq!(parse_period("1d"), Some(86_400));
    assert_eq!(parse_period("1h"), Some(3_600));
    assert_eq!(parse_period("1s"), Some(1));
    assert_eq!(parse_period("28min 48s"), Some(1_728));
    assert_eq!(parse_period("1 fortnight"), None);
    assert_eq!(parse_period(""), None);
}

// ----- bad input -------------------------------------------------------------------

/// Line number (1-based) in `doc(GET_DEVICE)` of the first line containing `needle`.
fn line_of(operations: &str, needle: &str) -> usize {
    doc(operations)
        .lines()
        .position(|l| l.contains(needle))
        .unwrap()
        + 1
}

#[test]
fn empty_file() {
    let err = parse("test.txt", "").unwrap_err();
    assert_eq!(
        err.to_string(),
        "test.txt:1: expected the page title, found end of file"
    );
}

#[test]
fn page_without_operations() {
    let err = parse("test.txt", &doc("")).unwrap_err();
    assert!(
        err.to_string()
            .ends_with("expected at least one operation, found end of file"),
        "{err}"
    );
}

#[test]
fn truncated_json() {
    let broken = GET_DEVICE.replace(
        "  \"available\" : true,\n  \"oid\" : \"the device UUID\"\n}\n",
        "",
    );
    let err = parse_err(&broken);
    let opened = line_of(&broken, "Response Body (JSON)") + 1;
    let at = doc(&broken)
        .lines()
        .position(|l| l == "The device")
        .unwrap()
        + 1;
    assert_eq!(
        err,
        format!("test.txt:{at}: expected the rest of the JSON example opened at line {opened}, found `The device`")
    );
}

#[test]
fn malformed_json_reports_the_line_inside_the_doc() {
    let broken = GET_DEVICE.replace(
        "\"label\" : \"a device label\",",
        "\"label\" \"a device label\",",
    );
    let err = parse_err(&broken);
    let at = line_of(&broken, "\"label\" \"a device label\"");
    assert_eq!(err, format!("test.txt:{at}: expected valid JSON (expected `:`), found `\"label\" \"a device label\",`"));
}

#[test]
fn parameter_without_value_line() {
    let broken = GET_DEVICE.replace(
        "Path Variable deviceURL\n\"string value\"\n",
        "Path Variable deviceURL\n",
    );
    let err = parse_err(&broken);
    let at = line_of(&broken, "Path Variable deviceURL") + 1;
    assert_eq!(err, format!("test.txt:{at}: expected the example value of parameter `deviceURL`, found `Device URL`"));
}

#[test]
fn unknown_section() {
    let broken = GET_DEVICE.replace("Parameters\n", "Headers\n");
    let err = parse_err(&broken);
    let at = line_of(&broken, "Headers");
    assert!(
        err.starts_with(&format!(
            "test.txt:{at}: expected an operation heading, `Generated events"
        )),
        "{err}"
    );
    assert!(err.ends_with("found `Headers`"), "{err}");
}

#[test]
fn unknown_line_in_parameters() {
    let broken = GET_DEVICE.replace("Path Variable deviceURL", "Cookie Variable deviceURL");
    let err = parse_err(&broken);
    let at = line_of(&broken, "Cookie Variable");
    assert_eq!(
        err,
        format!(
            "test.txt:{at}: expected a parameter (`Path Variable NAME`, `Request Parameter NAME`), \
             `Request Body (JSON)`, `Response` or `HTTP Status Code`, found `Cookie Variable deviceURL`"
        )
    );
}

#[test]
fn unknown_trailing_section() {
    let broken = GET_DEVICE.replace(
        "The request has succeeded\n",
        "The request has succeeded\nSee Also\n",
    );
    let err = parse_err(&broken);
    let at = line_of(&broken, "See Also");
    assert!(
        err.starts_with(&format!(
            "test.txt:{at}: expected an operation heading, `Generated events"
        )),
        "{err}"
    );
    assert!(err.ends_with("found `See Also`"), "{err}");
}

#[test]
fn missing_status_is_recorded_as_absent() {
    let without = GET_CSV.replace(
        "HTTP Status Code\nCode Message Meaning\n200\nOK\nThe request has succeeded\n",
        "",
    );
    let spec = parse_ok(&without);
    assert_eq!(spec.operations[0].status, None);
    let full = parse_ok(GET_CSV);
    assert_eq!(
        full.operations[0].status.as_ref().map(|s| s.code),
        Some(200)
    );
}

#[test]
fn heading_followed_by_access_scope_has_an_empty_description() {
    // Issue 9: an operation heading directly followed by `Access scope` or a rate
    // limit used to index an empty description.
    let start = GET_CSV.find('\n').unwrap() + 1;
    let end = GET_CSV.find("Per-session").unwrap();
    let without = format!("{}{}", &GET_CSV[..start], &GET_CSV[end..]);
    let spec = parse_ok(&without);
    assert_eq!(spec.operations[0].summary, "");
    assert_eq!(spec.operations[0].description, "");
    assert!(spec.operations[0].rate_limit.is_some());
    let end = GET_DEVICE.find("Access scope").unwrap();
    let start = GET_DEVICE.find('\n').unwrap() + 1;
    let spec = parse_ok(&format!("{}{}", &GET_DEVICE[..start], &GET_DEVICE[end..]));
    assert_eq!(spec.operations[0].summary, "");
    assert_eq!(spec.operations[0].access_scope.as_deref(), Some("Public"));
}

#[test]
fn bad_status_code() {
    let broken = GET_CSV.replace("\n200\n", "\nTWO HUNDRED\n");
    let err = parse_err(&broken);
    let at = line_of(&broken, "TWO HUNDRED");
    assert_eq!(
        err,
        format!("test.txt:{at}: expected an HTTP status code, found `TWO HUNDRED`")
    );
}

#[test]
fn malformed_rate_limit() {
    let broken = GET_CSV.replace("5 calls per 1h", "5 calls per fortnight");
    let err = parse_err(&broken);
    let at = line_of(&broken, "Per-session");
    assert!(
        err.starts_with(&format!(
            "test.txt:{at}: expected `Per-session rate-limit : N calls per PERIOD"
        )),
        "{err}"
    );
}

#[test]
fn path_variable_missing_from_path() {
    let broken = GET_CSV.replace("/setup/history/{from}/export", "/setup/history/export");
    let err = parse_err(&broken);
    let at = line_of(&broken, "GET History values");
    assert_eq!(err, format!("test.txt:{at}: expected path variable `from` in the path, found `/setup/history/export`"));
}

#[test]
fn event_example_with_another_name() {
    let broken = POST_DEPRECATED_RATE_LIMITED.replace(
        "\"name\" : \"PlaceUpdatedEvent\"",
        "\"name\" : \"PlaceDeletedEvent\"",
    );
    let err = parse_err(&broken);
    assert!(
        err.contains("expected an event example whose `name` is `PlaceUpdatedEvent`"),
        "{err}"
    );
}

#[test]
fn operation_before_any_group() {
    let text = format!("End-User RESTful API Operations\n\n{GET_CSV}");
    let err = parse("test.txt", &text).unwrap_err();
    assert_eq!(err.to_string(), "test.txt:3: expected a group heading before the first operation, found `GET History values /setup/history/{from}/export text/csv`");
}

#[test]
fn stray_line_after_operation() {
    let broken = format!("{GET_CSV}\nStray words\n");
    let err = parse_err(&broken);
    let at = line_of(&broken, "Stray words") + 1;
    assert_eq!(
        err,
        format!("test.txt:{at}: expected a blank line after the group heading, found end of file")
    );
}

#[test]
fn never_panics_on_arbitrary_truncation() {
    // Cutting a valid document at every line must give an error or a spec, never a panic.
    let full = doc(&format!(
        "{GET_DEVICE}{POST_DEPRECATED_RATE_LIMITED}{ALLOWED_VALUES}{ALLOWED_TYPES}"
    ));
    let lines: Vec<&str> = full.lines().collect();
    for n in 0..lines.len() {
        let _ = parse("test.txt", &lines[..n].join("\n"));
    }
}

#[test]
fn response_row_with_an_empty_example_is_no_body() {
    // The August 2026 page's `204` answers on local devices.
    let text = r#"DELETE Local Device /setup/localDevices/{localDeviceOID} application/json
Delete a local device



Access scope : enduser/*

> Test operation
Parameters
Type Name Value Description
Path Variable localDeviceOID
"string value"
The OID of the local device to delete
Response
Type Name Value Description
Response Body (JSON)
HTTP Status Code
Code Message Meaning
204
NO_CONTENT
The server has fulfilled the request
"#;
    let spec = parse_ok(text);
    assert_eq!(spec.operations[0].response, None);
    assert_eq!(
        spec.operations[0].status.as_ref().map(|s| s.code),
        Some(204)
    );
}

#[test]
fn a_private_tags_line_is_no_summary() {
    // Some operations open their description with their private tags.
    let tagged = GET_DEVICE.replacen(
        "Retrieve a device by URL",
        "Private tags : [ disconnectionAlert ]\nRetrieve a device by URL",
        1,
    );
    let spec = parse_ok(&tagged);
    assert_eq!(spec.operations[0].summary, "Retrieve a device by URL");
    assert!(spec.operations[0]
        .description
        .starts_with("Private tags : [ disconnectionAlert ]\nRetrieve a device by URL"));
}
