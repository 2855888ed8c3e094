//! The README's code is code that is compiled: its quick start and examples are the
//! crate documentation's (which rustdoc compiles as doc tests), and its "Calls" block
//! is the body of [`readme_calls`] (compiled here), so none of them can rot.

use overkiz::calls::PostLoginForm;
use overkiz::types::ActionGroup;
use overkiz::Client;

/// The README's section starting at `heading`.
fn readme_section(heading: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let start = readme
        .find(heading)
        .unwrap_or_else(|| panic!("README has no {heading:?}"));
    readme[start..].to_owned()
}

/// The first code block of `text` opened with `fence`.
fn first_block<'a>(text: &'a str, fence: &str) -> &'a str {
    let start = text
        .find(fence)
        .unwrap_or_else(|| panic!("no {fence:?} block"))
        + fence.len();
    let end = start + text[start..].find("```").expect("the block ends");
    &text[start..end]
}

/// The `no_run` example of the doc comments (`prefix`: `//!` or `///`) of `file`
/// (relative to the repository), without its hidden `# ` lines.
fn doc_example(file: &str, prefix: &str) -> String {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let source = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
    let lines: Vec<&str> = source
        .lines()
        .map(str::trim_start)
        .filter_map(|l| l.strip_prefix(prefix))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .skip_while(|l| !l.starts_with("```no_run"))
        .skip(1)
        .take_while(|l| !l.starts_with("```"))
        .filter(|l| !l.starts_with("# "))
        .collect();
    lines.join("\n")
}

/// The quick start is in the crate documentation of `generated/src/lib.rs`.
#[test]
fn readme_quick_start_is_the_compiled_crate_example() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let readme = std::fs::read_to_string(format!("{root}/README.md")).unwrap();
    let quick_start = first_block(&readme, "```rust,no_run\n");
    let lib = std::fs::read_to_string(format!("{root}/generated/src/lib.rs")).unwrap();
    let documented: String = lib
        .lines()
        .filter_map(|l| l.strip_prefix("//!"))
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n");
    assert!(
        documented.contains(quick_start.trim_end()),
        "README quick start differs from the crate docs of generated/src/lib.rs"
    );
}

/// The README's roller-shutter example is the documentation of `overkiz::home`, its
/// two-home example that of `overkiz::SomfyAccount`, and its local-first example that
/// of `Client::local_first_with`.
#[test]
fn readme_examples_are_the_compiled_doc_examples() {
    for (heading, file, prefix) in [
        ("## Home automation", "generated/src/home/mod.rs", "//!"),
        (
            "### A Somfy account with several homes",
            "generated/src/accounts/somfy_account.rs",
            "///",
        ),
        (
            "### Local first, cloud when needed",
            "generated/src/client/local_first.rs",
            "///",
        ),
    ] {
        let section = readme_section(heading);
        assert_eq!(
            first_block(&section, "```rust\n").trim_end(),
            doc_example(file, prefix).trim_end(),
            "README example under {heading:?} differs from the docs of {file}"
        );
    }
}

/// Code with its layout taken out: no whitespace, and no comma before a closing
/// bracket (rustfmt adds them where the README's one-line calls have none).
fn without_layout(code: &str) -> String {
    let compact: String = code.chars().filter(|c| !c.is_whitespace()).collect();
    compact
        .replace(",)", ")")
        .replace(",}", "}")
        .replace(",]", "]")
}

/// The README's "Calls" block is, token for token, the body of `readme_calls` below:
/// an edit to either without the other fails here, and the body is compiled.
#[test]
fn readme_calls_block_is_the_compiled_readme_calls_body() {
    let section = readme_section("## Calls");
    let block = first_block(&section, "```rust,ignore\n");
    let source = include_str!("readme.rs");
    // The last occurrence: the first ones are the searches of this test.
    let start = source
        .rfind("async fn readme_calls(")
        .expect("the function");
    let body_start = start
        + source[start..]
            .find(") -> Result<(), overkiz::Error> {")
            .unwrap();
    let body_start = body_start + source[body_start..].find('{').unwrap() + 1;
    let body_end = body_start + source[body_start..].find("    Ok(())\n}").unwrap();
    assert_eq!(
        without_layout(block),
        without_layout(&source[body_start..body_end]),
        "README's Calls block differs from `readme_calls` in tests/tests/offline/readme.rs"
    );
}

/// The README's "Calls" block, compiled (it is `rust,ignore` there), with what it
/// names as arguments.
#[allow(dead_code, unused_variables, clippy::too_many_arguments)]
async fn readme_calls(
    client: &Client,
    url: &str,
    from: i64,
    to: i64,
    actions: Vec<overkiz::types::Action>,
    oids: Vec<String>,
    user: String,
    password: String,
) -> Result<(), overkiz::Error> {
    let setup = client.get_setup().await?; // GET /setup
    let setup = client.get_setup().with_manufacturer_data(true).await?; // ?withManufacturerData=true
    let device = client
        .get_setup_devices_by_device_url(url)
        .with_manufacturer_data(true)
        .await?;
    let history = client
        .get_setup_devices_by_device_url_states_history_by_from_by_to(url, from, to)
        .limit(100)
        .await?;
    let launched = client
        .post_exec_apply(&ActionGroup {
            label: Some("close".into()),
            actions: Some(actions),
            ..Default::default()
        })
        .await?;
    let answers = futures::future::join_all(
        oids.iter()
            .map(|oid| client.post_exec_by_action_group_oid(oid).send()),
    )
    .await;
    let login = client
        .post_login(&PostLoginForm {
            user_id: Some(user),
            user_password: Some(password),
            ..Default::default()
        })
        .await?;
    Ok(())
}
