//! The hand-written runtime's renamed and replaced public items, kept for one
//! release as `#[deprecated]` aliases (the generated API's are in `generated/api.txt`,
//! checked by `codegen/tests/compat.rs`). Each alias still compiles and is its
//! replacement, and every `#[deprecated]` item of the runtime is listed here: remove
//! both in the next release.

#![allow(deprecated)]

use std::path::Path;

/// Each deprecated item and the one to use.
const DEPRECATED: &[(&str, &str)] = &[
    ("overkiz::Client::setup", "overkiz::Client::get_setup"),
    ("overkiz::TokenSource", "overkiz::SignInFlow"),
    (
        "overkiz::Credentials::token_source",
        "overkiz::Credentials::sign_in_flow",
    ),
    ("overkiz::vocabulary::CommandName", "overkiz::CommandName"),
    ("overkiz::vocabulary::Protocol", "overkiz::Protocol"),
    ("overkiz::vocabulary::StateName", "overkiz::StateName"),
    ("overkiz::vocabulary::UiClass", "overkiz::UiClass"),
    ("overkiz::vocabulary::UiWidget", "overkiz::UiWidget"),
    ("overkiz::home::Action", "overkiz::Action"),
    ("overkiz::home::Command", "overkiz::Command"),
    ("overkiz::home::ExecutionMode", "overkiz::ExecutionMode"),
    ("overkiz::home::DeviceUrl", "overkiz::DeviceUrl"),
    (
        "overkiz::home::DeviceUrlErrorKind",
        "overkiz::DeviceUrlErrorKind",
    ),
    (
        "overkiz::home::InvalidDeviceUrl",
        "overkiz::InvalidDeviceUrl",
    ),
    ("overkiz::home::CommandName", "overkiz::CommandName"),
    ("overkiz::home::Protocol", "overkiz::Protocol"),
    ("overkiz::home::StateName", "overkiz::StateName"),
    ("overkiz::home::UiClass", "overkiz::UiClass"),
    ("overkiz::home::UiWidget", "overkiz::UiWidget"),
    ("overkiz::home::action_group", "overkiz::action_group"),
    (
        "overkiz::Client::execute_and_wait",
        "overkiz::Client::run_and_wait",
    ),
    (
        "overkiz::EventStream::execute_and_wait",
        "overkiz::EventStream::run_and_wait",
    ),
    ("overkiz::Client::execute", "overkiz::Client::request"),
];

/// Compiles only if `A` and `B` are the same type.
fn same_type<A, B>(f: fn(A) -> B) -> fn(A) -> B {
    f
}

#[test]
fn each_alias_is_its_replacement() {
    use overkiz::{home, vocabulary};
    same_type::<vocabulary::CommandName, overkiz::CommandName>(|x| x);
    same_type::<vocabulary::Protocol, overkiz::Protocol>(|x| x);
    same_type::<vocabulary::StateName, overkiz::StateName>(|x| x);
    same_type::<vocabulary::UiClass, overkiz::UiClass>(|x| x);
    same_type::<vocabulary::UiWidget, overkiz::UiWidget>(|x| x);
    same_type::<home::Action, overkiz::Action>(|x| x);
    same_type::<home::Command, overkiz::Command>(|x| x);
    same_type::<home::ExecutionMode, overkiz::ExecutionMode>(|x| x);
    same_type::<home::DeviceUrl, overkiz::DeviceUrl>(|x| x);
    same_type::<home::DeviceUrlErrorKind, overkiz::DeviceUrlErrorKind>(|x| x);
    same_type::<home::InvalidDeviceUrl, overkiz::InvalidDeviceUrl>(|x| x);
    same_type::<home::CommandName, overkiz::CommandName>(|x| x);
    same_type::<home::Protocol, overkiz::Protocol>(|x| x);
    same_type::<home::StateName, overkiz::StateName>(|x| x);
    same_type::<home::UiClass, overkiz::UiClass>(|x| x);
    same_type::<home::UiWidget, overkiz::UiWidget>(|x| x);
    // Variants and constructors work through the aliases.
    assert_eq!(
        home::UiClass::RollerShutter,
        overkiz::UiClass::RollerShutter
    );
    let action = home::Action::new("io://1234-5678-9012/1", [home::Command::new("close")]);
    assert_eq!(
        home::action_group("close", [action.clone()]),
        overkiz::action_group("close", [action])
    );
    // The replaced method is still there.
    let _setup = overkiz::Client::setup;
}

/// A `TokenSource` still makes credentials: the client runs it as a sign-in flow.
#[test]
fn a_token_source_is_a_sign_in_flow() {
    struct Fixed;
    impl overkiz::TokenSource for Fixed {
        fn credentials(
            &self,
        ) -> futures::future::BoxFuture<'_, Result<overkiz::Credentials, overkiz::BoxError>>
        {
            Box::pin(async { Ok(overkiz::Credentials::bearer("t")) })
        }
    }
    let credentials = overkiz::Credentials::token_source(Fixed);
    assert!(credentials.is_renewable());
    assert!(format!("{credentials:?}").contains("SignInFlow"));
}

/// Every `#[deprecated]` item of the hand-written runtime is in [`DEPRECATED`].
#[test]
fn every_deprecated_item_is_listed() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut found = Vec::new();
    visit(&src.clone(), &mut |path, text| {
        let relative = path.strip_prefix(&src).unwrap();
        if relative.starts_with("generated") {
            return;
        }
        let mut lines = text.lines();
        while let Some(line) = lines.next() {
            if !line.trim_start().starts_with("#[deprecated") {
                continue;
            }
            // The item follows the attribute (and its other attributes).
            for item in lines.by_ref() {
                let item = item.trim_start();
                if item.starts_with("#[")
                    || item.starts_with("///")
                    || item.starts_with(')')
                    || item.starts_with("since")
                    || item.starts_with("note")
                {
                    continue;
                }
                let name = item
                    .split(|c: char| !(c.is_alphanumeric() || c == '_'))
                    .filter(|w| !w.is_empty())
                    .find(|w| {
                        ![
                            "pub", "async", "fn", "type", "trait", "struct", "enum", "const",
                        ]
                        .contains(w)
                    })
                    .unwrap_or_default()
                    .to_string();
                found.push(name);
                break;
            }
        }
    });
    assert!(!found.is_empty());
    for name in found {
        assert!(
            DEPRECATED
                .iter()
                .any(|(old, _)| old.ends_with(&format!("::{name}"))),
            "#[deprecated] {name} is not listed in DEPRECATED"
        );
    }
}

fn visit(dir: &Path, f: &mut dyn FnMut(&Path, &str)) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            visit(&path, f);
        } else if path.extension().is_some_and(|e| e == "rs") {
            f(&path, &std::fs::read_to_string(&path).unwrap());
        }
    }
}
