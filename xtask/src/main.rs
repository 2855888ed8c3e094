//! Maintainer commands: `cargo xtask codegen [--check] [--doc PATH] [--out DIR]`,
//! `cargo xtask import-doc PAGE.html`, `cargo xtask changelog OLD NEW`.
//!
//! The work is done by `overkiz-codegen`; this crate only reads and writes files.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

mod build_time;
mod error;

use error::Error;

#[derive(Parser)]
#[command(about = "Maintainer commands of overkiz-rs")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse the documentation into spec/overkiz.json and generate the overkiz crate.
    Codegen {
        /// Write nothing; fail and name the files that would change.
        #[arg(long)]
        check: bool,
        /// Documentation to read, as text or as the published HTML page (default:
        /// spec/enduser-api.txt). With this option, the changes against the
        /// checked-in spec/overkiz.json are printed first.
        #[arg(long, value_name = "PATH")]
        doc: Option<PathBuf>,
        /// Root to write `spec/` and `generated/` under (default: the workspace).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Curated knowledge to apply (default: spec/curated.toml). With another
        /// file, the page is generated on its own, not compared with the previous
        /// version of spec/versions/ (whose renames the repository's file curates).
        #[arg(long, value_name = "PATH")]
        curated: Option<PathBuf>,
    },
    /// Convert the published documentation page (HTML, as saved from
    /// /enduser-mobile-web/enduserAPI/doc) into the text layout and write it to
    /// spec/enduser-api.txt.
    ImportDoc {
        /// The saved HTML page.
        page: PathBuf,
        /// Where to write the text (default: spec/enduser-api.txt).
        #[arg(long, value_name = "PATH")]
        out: Option<PathBuf>,
    },
    /// Print, as Markdown, what changed in the API between two versions of the
    /// documentation: each a text page, an HTML page or a spec JSON file.
    Changelog {
        /// The older version.
        old: PathBuf,
        /// The newer version.
        new: PathBuf,
    },
    /// Time `cargo build -p overkiz` after touching the generated sources (with
    /// dependencies already built), and count the generated lines.
    BuildTime {
        /// Number of timed builds.
        #[arg(long, default_value_t = 3)]
        runs: u32,
        /// Time a release build instead of a debug one.
        #[arg(long)]
        release: bool,
        /// Rebuild the crate from scratch (`cargo clean -p overkiz`) instead of
        /// touching its generated sources (which lets incremental compilation reuse work).
        #[arg(long)]
        from_scratch: bool,
        /// Build it as a consumer's build does (a dependency is compiled from scratch
        /// and without incremental compilation): implies `--from-scratch`, sets
        /// `CARGO_INCREMENTAL=0`.
        #[arg(long)]
        as_dependency: bool,
        /// Features of `overkiz` to build with (as `cargo build --features`), e.g.
        /// the common set `setup,action-groups,action-groups-execution,events,history`.
        #[arg(long, value_name = "FEATURES")]
        features: Option<String>,
        /// Build without the default features (with `--features`: only those).
        #[arg(long)]
        no_default_features: bool,
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn main() -> ExitCode {
    match run(Cli::parse().command) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::FAILURE
        }
    }
}

fn run(command: Command) -> Result<(), Error> {
    match command {
        Command::Codegen {
            check,
            doc,
            out,
            curated,
        } => codegen(check, doc, out, curated),
        Command::ImportDoc { page, out } => import_doc(&page, out),
        Command::Changelog { old, new } => changelog(&old, &new),
        Command::BuildTime {
            runs,
            release,
            from_scratch,
            as_dependency,
            features,
            no_default_features,
        } => build_time::run(
            &workspace_root(),
            runs,
            release,
            from_scratch || as_dependency,
            as_dependency,
            &build_time::FeatureSelection {
                features,
                no_default_features,
            },
        ),
    }
}

fn read(path: &Path) -> Result<String, Error> {
    std::fs::read_to_string(path).map_err(|e| Error::read(path, e))
}

fn file_name(path: &Path) -> String {
    path.file_name().map_or_else(
        || path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A documentation page in the text layout: converted when it is the HTML page.
fn read_doc(path: &Path) -> Result<String, Error> {
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    doc_text(path, bytes)
}

/// The text of a page read from `path`: converted when it is the HTML page.
fn doc_text(path: &Path, bytes: Vec<u8>) -> Result<String, Error> {
    if overkiz_codegen::html::looks_like_html(&bytes) {
        return Ok(overkiz_codegen::html::to_text(&bytes));
    }
    String::from_utf8(bytes).map_err(|e| Error::NotText {
        path: path.to_owned(),
        source: e,
    })
}

/// A version of the API: a spec JSON file, or a documentation page (text or HTML).
fn read_spec(path: &Path) -> Result<overkiz_codegen::Spec, Error> {
    // A spec is JSON (`{` first); a page starts with its title or `<`. By content, so
    // that `<(git show HEAD:spec/overkiz.json)` works.
    let bytes = std::fs::read(path).map_err(|e| Error::read(path, e))?;
    if bytes.trim_ascii_start().starts_with(b"{") {
        let text = String::from_utf8_lossy(&bytes);
        return serde_json::from_str(&text).map_err(|e| Error::NotASpec {
            path: path.to_owned(),
            source: e,
        });
    }
    let text = doc_text(path, bytes)?;
    complete(parse_doc(path, &text)?)
}

/// A page's spec with the curated operations and idempotency classes, as
/// `cargo xtask codegen` writes it, so that pages and spec files compare alike.
fn complete(spec: overkiz_codegen::Spec) -> Result<overkiz_codegen::Spec, Error> {
    let curated = read(&workspace_root().join(overkiz_codegen::curated::CURATED_PATH))?;
    Ok(overkiz_codegen::complete(spec, &curated)?)
}

/// Parses a page read from `path`, reporting errors with their line. For an HTML
/// page, the line is one of its text layout, which `import-doc` writes out.
fn parse_doc(path: &Path, text: &str) -> Result<overkiz_codegen::Spec, Error> {
    overkiz_codegen::parse(&file_name(path), text).map_err(|error| {
        let head = std::fs::read(path).unwrap_or_default();
        Error::Page {
            error,
            html_page: overkiz_codegen::html::looks_like_html(&head).then(|| path.to_owned()),
        }
    })
}

fn import_doc(page: &Path, out: Option<PathBuf>) -> Result<(), Error> {
    let out = out.unwrap_or_else(|| workspace_root().join("spec/enduser-api.txt"));
    let bytes = std::fs::read(page).map_err(|e| Error::read(page, e))?;
    if !overkiz_codegen::html::looks_like_html(&bytes) {
        return Err(Error::NotHtml(page.to_owned()));
    }
    let started = Instant::now();
    let text = overkiz_codegen::html::to_text(&bytes);
    let elapsed = started.elapsed();
    std::fs::write(&out, &text).map_err(|e| Error::Write {
        path: out.clone(),
        source: e,
    })?;
    // Written either way, so that a parse error's line can be read in the text.
    let spec = overkiz_codegen::parse(&file_name(&out), &text).map_err(Error::Converted)?;
    println!(
        "converted {} in {:.1} ms: {} lines, {} operations; wrote {}",
        page.display(),
        elapsed.as_secs_f64() * 1e3,
        text.lines().count(),
        spec.operations.len(),
        out.display()
    );
    Ok(())
}

fn changelog(old: &Path, new: &Path) -> Result<(), Error> {
    let (old, new) = (read_spec(old)?, read_spec(new)?);
    print!(
        "{}",
        overkiz_codegen::changelog::diff(&old, &new).to_markdown()
    );
    Ok(())
}

fn codegen(
    check: bool,
    doc: Option<PathBuf>,
    out: Option<PathBuf>,
    curated: Option<PathBuf>,
) -> Result<(), Error> {
    let root = workspace_root();
    let other_doc = doc.is_some();
    let doc = doc.unwrap_or_else(|| root.join("spec/enduser-api.txt"));
    let own_curated = curated.is_none();
    let curated = curated.unwrap_or_else(|| root.join(overkiz_codegen::curated::CURATED_PATH));
    let checked_in = root.join(overkiz_codegen::SPEC_PATH);
    let out = out.unwrap_or(root.clone());
    let text = read_doc(&doc)?;
    let curated_text = read(&curated)?;
    let started = Instant::now();
    let spec = parse_doc(&doc, &text)?;
    let parsed = started.elapsed();
    if other_doc && checked_in.exists() {
        // What this version changes, against the checked-in spec (best effort: the
        // generation below reports the errors that matter).
        let after = overkiz_codegen::complete(spec.clone(), &curated_text);
        if let (Ok(before), Ok(after)) = (read_spec(&checked_in), after) {
            println!(
                "{}",
                overkiz_codegen::changelog::diff(&before, &after).to_markdown()
            );
        }
    }
    // The previous version of the page, whose payloads the crate decodes too.
    let previous = own_curated
        .then(|| overkiz_codegen::compat::read_previous_version(&root, &text))
        .flatten();
    let previous = match &previous {
        Some((version, text)) => {
            let spec = parse_doc(&root.join(format!("spec/versions/{version}.txt")), text)?;
            Some((version.as_str(), spec))
        }
        None => None,
    };
    let started = Instant::now();
    let generated = overkiz_codegen::generate_from_specs(
        spec,
        previous.as_ref().map(|(v, s)| (*v, s)),
        &curated_text,
    )?;
    let elapsed = parsed + started.elapsed();
    println!("{}", overkiz_codegen::Summary::of(&generated.spec));
    print!("{}", generated.features.summary());
    for notice in &generated.features.notices {
        println!("notice: {notice}");
    }
    println!(
        "generated {} files in {:.1} ms",
        generated.files.len(),
        elapsed.as_secs_f64() * 1e3
    );
    let report =
        overkiz_codegen::output::sync(&out, &generated.files, check).map_err(|e| Error::Write {
            path: out.clone(),
            source: e,
        })?;
    let shown = |p: &Path| p.strip_prefix(&out).unwrap_or(p).display().to_string();
    if check {
        if report.is_clean() {
            println!("up to date");
            return Ok(());
        }
        for p in &report.changed {
            eprintln!("{} is not up to date", shown(p));
        }
        for p in &report.removed {
            eprintln!("{} is no longer generated", shown(p));
        }
        return Err(Error::NotUpToDate);
    }
    for p in &report.changed {
        println!("wrote {}", shown(p));
    }
    for p in &report.removed {
        println!("removed {}", shown(p));
    }
    if report.is_clean() {
        println!("up to date");
    }
    Ok(())
}
