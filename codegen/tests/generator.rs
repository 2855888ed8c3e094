//! What the generator makes of small synthetic documentation pages: a reviewer sees
//! here, in the snapshots, what a generator change does to each kind of output.

use overkiz_codegen::{generate, Generated};

const HEAD: &str = "End-User RESTful API Operations\n\nExpand/collapse all\n\n";

/// One group with the given operations.
fn page(group: &str, operations: &str) -> String {
    format!("{HEAD}{group}\n\nExpand commands\n{operations}")
}

fn run(doc: &str, curated: &str) -> Generated {
    match generate("test.txt", doc, curated) {
        Ok(g) => g,
        Err(e) => panic!("{e}"),
    }
}

fn file<'a>(g: &'a Generated, suffix: &str) -> &'a str {
    &g.files
        .iter()
        .find(|f| f.path.ends_with(suffix))
        .unwrap_or_else(|| panic!("no file {suffix}"))
        .contents
}

const STATUS_200: &str =
    "HTTP Status Code\nCode Message Meaning\n200\nOK\nThe request has succeeded\n";

#[test]
fn struct_with_nested_and_recursive_types() {
    let doc = page(
        "Place",
        &format!(
            "GET Place /setup/places application/json\nGet the root place\n\n\n\nAccess scope : Public\n\n\
             Response\nType Name Value Description\nResponse Body (JSON)\n{{\n  \"creationTime\" : 1774337683096,\n  \
             \"label\" : \"a place label\",\n  \"type\" : 1,\n  \"oid\" : \"the place UUID\",\n  \"settings\" : {{\n    \
             \"heating\" : true,\n    \"ratio\" : 0.5\n  }},\n  \"extraAttributes\" : {{\n    \"some extra attributes\" : \"x\"\n  }},\n  \
             \"subPlaces\" : [ {{\n    \"label\" : \"a place label\",\n    \"oid\" : \"the place UUID\",\n    \"subPlaces\" : [ ]\n  }} ]\n}}\n{STATUS_200}"
        ),
    );
    let g = run(&doc, "");
    insta::assert_snapshot!(file(&g, "types.rs"));
}

#[test]
fn enum_with_fallback_from_allowed_values() {
    let doc = page(
        "Triggers",
        &format!(
            "GET Setup Trigger /triggers/{{type}} application/json\nGet the triggers of a type\n\n\n\nAccess scope : Public\n\n\
             Parameters\nType Name Value Description\nPath Variable type\n\"string value\"\nThe trigger type\n{STATUS_200}\
             See Allowed Values\nSetup Trigger Type\nName Code Meaning\nsensorThreshold sensorThreshold sensorThreshold\n\
             discreteTrigger discreteTrigger discreteTrigger\n"
        ),
    );
    let curated = "[[enum]]\ntable = \"Setup Trigger Type\"\nname = \"SetupTriggerType\"\nwire = \"name\"\nparams = [\"type\"]\n";
    let g = run(&doc, curated);
    insta::assert_snapshot!("enum_types", file(&g, "types.rs"));
    insta::assert_snapshot!("enum_endpoint", file(&g, "calls/triggers.rs"));
}

#[test]
fn union_from_allowed_types() {
    let doc = page(
        "Triggers",
        &format!(
            "POST Trigger /triggers application/json\nCreate a trigger\n\n\n\nAccess scope : Public\n\n\
             Parameters\nType Name Value Description\nRequest Body (JSON)\n{{\n  \"label\" : \"a trigger label\",\n  \
             \"condition\" : {{\n    \"andBlock\" : {{\n      \"delay\" : 1\n    }}\n  }}\n}}\nThe trigger\n{STATUS_200}\
             See Allowed Types\nCondition Block\nCondition Block\n{{\n  \"andBlock\" : {{\n    \"delay\" : 1,\n    \
             \"blocks\" : [ {{\n      \"orBlock\" : {{\n        \"delay\" : 2\n      }}\n    }} ]\n  }}\n}}\n{{\n  \"orBlock\" : {{\n    \"delay\" : 1\n  }}\n}}\n"
        ),
    );
    let g = run(
        &doc,
        "[union_names]\n\"Condition Block\" = \"ConditionBlock\"\n",
    );
    insta::assert_snapshot!(file(&g, "types.rs"));
}

#[test]
fn secret_fields_print_masked() {
    let doc = page(
        "Local",
        &format!(
            "GET Token /local/token application/json\nGet a token\n\n\n\nAccess scope : Public\n\n\
             Response\nType Name Value Description\nResponse Body (JSON)\n{{\n  \"label\" : \"a token label\",\n  \
             \"token\" : \"a local API token\",\n  \"value\" : null\n}}\n{STATUS_200}"
        ),
    );
    let g = run(&doc, "");
    // The `Debug` impls only: the table of names above them follows `spec/secrets.toml`.
    let secrets = file(&g, "secrets.rs");
    let impls = &secrets[secrets.find("impl ").expect("Debug impls")..];
    insta::assert_snapshot!(impls);
}

#[test]
fn event_enum() {
    let doc = page(
        "Places",
        "DELETE Place /setup/places/{placeOID} application/json\nDelete a place\n\n\n\nAccess scope : Public\n\n\
             Parameters\nType Name Value Description\nPath Variable placeOID\n\"string value\"\nThe place\n\
             HTTP Status Code\nCode Message Meaning\n204\nNO_CONTENT\nNo content\n\nGenerated events on method call\n\n\
             PlaceDeletedEvent\nDescription A place has been deleted\nJSON\n{\n  \"timestamp\" : 2,\n  \"setupOID\" : \"a setup OID\",\n  \
             \"placeOID\" : \"a place OID\",\n  \"name\" : \"PlaceDeletedEvent\"\n}\nField name Field description\nplaceOID Place OID\n\
         setupOID Setup OID\n",
    );
    let curated = "[[event]]\nname = \"GatewayAliveEvent\"\ndescription = \"The gateway is reachable again\"\n\
                   fields = [ { name = \"gatewayId\", type = \"String\", doc = \"Gateway id\" } ]\n";
    let g = run(&doc, curated);
    insta::assert_snapshot!(file(&g, "events.rs"));
}

#[test]
fn endpoints_of_each_kind() {
    let ops = format!(
        "GET Device /setup/devices/{{deviceURL}} application/json\nGet a device\n\n\n\n\
         Per-session rate-limit : 1 calls per 1d period for this particular operation (bulk-load)\nAccess scope : Public\n\n\
         Parameters\nType Name Value Description\nPath Variable deviceURL\n\"string value\"\nDevice URL\n\
         Request Parameter withStates\nfalse\n(Optional) (Default: true)\nInclude the states\n\
         Response\nType Name Value Description\nResponse Body (JSON)\n{{\n  \"label\" : \"a device label\",\n  \"oid\" : \"the device UUID\"\n}}\n{STATUS_200}\
         POST Devices [DEPRECATED] since version 2020.6 /setup/devices/{{deviceURL}}/label application/json\nRename a device\n\n\n\n\
         Per-session rate-limit : 1 calls per 28min 48s period for all operations of the same category (exec)\nAccess scope : Public\n\n\
         Parameters\nType Name Value Description\nPath Variable deviceURL\n\"string value\"\nDevice URL\n\
         Request Body (JSON)\n{{\n  \"label\" : \"a device label\"\n}}\n(Optional)\nThe new label\n\
         HTTP Status Code\nCode Message Meaning\n204\nNO_CONTENT\nNo content\n\
         GET History /setup/devices/{{deviceURL}}/history/{{from}}/export text/csv\nExport the history\n\n\n\nAccess scope : Public\n\n\
         Parameters\nType Name Value Description\nPath Variable deviceURL\n\"string value\"\nDevice URL\nPath Variable from\n2\nStart (ms)\n{STATUS_200}\
         POST Import /config/{{gatewayId}}/import application/json\nImport a file\n\n\n\nAccess scope : Public\n\n\
         Parameters\nType Name Value Description\nPath Variable gatewayId\n\"string value\"\nThe gateway\n\
         Request Parameter file\n<Uploaded File> (multipart encoded body)\n\n\t\t\nRequest Parameter setupOIDs\n[ \"string value\" ]\n(Optional)\nSetups\n{STATUS_200}\
         POST Login /login application/json\nLog in\n\n\n\nAccess scope : Public\n\n\
         Parameters\nType Name Value Description\nRequest Parameter userId\n\"string value\"\n(Optional)\na user\n\
         Request Parameter userPassword\n\"string value\"\n(Optional)\na password\n{STATUS_200}"
    );
    let g = run(&page("Device", &ops), "form = [\"POST /login\"]\n");
    insta::assert_snapshot!("endpoints", file(&g, "calls/device.rs"));
    insta::assert_snapshot!("operations", file(&g, "operations.rs"));
}

#[test]
fn stale_curated_entries_fail_the_generation() {
    let doc = page(
        "Place",
        &format!("GET Place /setup/places application/json\nGet places\n\n\n\nAccess scope : Public\n\n{STATUS_200}"),
    );
    let err = generate("test.txt", &doc, "[rename]\nNoSuchType = \"Better\"\n")
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        "spec/curated.toml: entries that no longer apply:\n  [rename] NoSuchType = \"Better\" renames no generated type"
    );
}

#[test]
fn method_names_clash_fails_loudly() {
    let doc = page(
        "Clash",
        &format!(
            "GET A /a/bC application/json\nOne\n\n\n\nAccess scope : Public\n\n{STATUS_200}\
             GET B /a/b_c application/json\nTwo\n\n\n\nAccess scope : Public\n\n{STATUS_200}"
        ),
    );
    let err = generate("test.txt", &doc, "").unwrap_err().to_string();
    assert!(
        err.contains("both give the method name `get_a_b_c`"),
        "{err}"
    );
}

#[test]
fn a_private_tags_line_follows_the_summary() {
    let ops = format!(
        "GET Alert /setup/alert application/json\nPrivate tags : [ disconnectionAlert ]\nGet the alert settings\n\n\n\n\
         Access scope : Public\n\n{STATUS_200}"
    );
    let g = run(&page("Setup", &ops), "");
    let endpoints = file(&g, "calls/setup.rs");
    let method_doc: Vec<&str> = endpoints
        .lines()
        .skip_while(|l| !l.contains("impl crate::Client"))
        .skip(1)
        .take_while(|l| l.trim_start().starts_with("///"))
        .map(str::trim)
        .collect();
    assert_eq!(method_doc[0], "/// Get the alert settings", "{endpoints}");
    assert!(
        method_doc.contains(&"/// Private tags : \\[ disconnectionAlert \\]"),
        "{endpoints}"
    );
    assert!(file(&g, "operations.rs").contains("summary: \"Get the alert settings\""));
    // The group's impl block is headed by the group's name.
    assert!(
        endpoints.contains("/// # Setup\nimpl crate::Client {"),
        "{endpoints}"
    );
    // The crate documentation names the group's feature (the map's `setup`, whose
    // group "End-User / Setup" this page lacks); `calls` links the group through its
    // first method when the feature is on.
    assert!(file(&g, "client_sections.md").contains("- Setup (`setup`)\n"));
    let calls = file(&g, "calls/mod.rs");
    assert!(
        calls.contains("feature = \"setup\",\n    doc = \" - [Setup](crate::Client::get_setup_alert) (feature `setup`)\""),
        "{calls}"
    );
    assert!(g
        .features
        .notices
        .iter()
        .any(|n| n.contains("\"Setup\" is not in spec/features.toml")));
}
