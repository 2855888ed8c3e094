//! Maintainer commands: `cargo xtask codegen [--check] [--doc PATH] [--out DIR]`.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Instant;

use clap::{Parser, Subcommand};

mod build_time;

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
        /// Documentation to read (default: spec/enduser-api.txt).
        #[arg(long, value_name = "PATH")]
        doc: Option<PathBuf>,
        /// Root to write `spec/` and `generated/` under (default: the workspace).
        #[arg(long, value_name = "DIR")]
        out: Option<PathBuf>,
        /// Curated knowledge to apply (default: spec/curated.toml).
        #[arg(long, value_name = "PATH")]
        curated: Option<PathBuf>,
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
    },
}

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("xtask lives in the workspace")
        .to_owned()
}

fn main() -> ExitCode {
    match Cli::parse().command {
        Command::Codegen {
            check,
            doc,
            out,
            curated,
        } => codegen(check, doc, out, curated),
        Command::BuildTime {
            runs,
            release,
            from_scratch,
            as_dependency,
        } => build_time::run(
            &workspace_root(),
            runs,
            release,
            from_scratch || as_dependency,
            as_dependency,
        ),
    }
}

fn read(path: &Path) -> Option<String> {
    match std::fs::read_to_string(path) {
        Ok(text) => Some(text),
        Err(e) => {
            eprintln!("error: cannot read {}: {e}", path.display());
            None
        }
    }
}

fn codegen(
    check: bool,
    doc: Option<PathBuf>,
    out: Option<PathBuf>,
    curated: Option<PathBuf>,
) -> ExitCode {
    let root = workspace_root();
    let doc = doc.unwrap_or_else(|| root.join("spec/enduser-api.txt"));
    let curated = curated.unwrap_or_else(|| root.join(overkiz_codegen::curated::CURATED_PATH));
    let out = out.unwrap_or(root);
    let (Some(text), Some(curated_text)) = (read(&doc), read(&curated)) else {
        return ExitCode::FAILURE;
    };
    let name = doc.file_name().map_or_else(
        || doc.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let started = Instant::now();
    let generated = match overkiz_codegen::generate(&name, &text, &curated_text) {
        Ok(g) => g,
        Err(e) => {
            eprintln!("error: {e}");
            return ExitCode::FAILURE;
        }
    };
    let elapsed = started.elapsed();
    println!("{}", overkiz_codegen::Summary::of(&generated.spec));
    println!(
        "generated {} files in {:.1} ms",
        generated.files.len(),
        elapsed.as_secs_f64() * 1e3
    );
    let report = match overkiz_codegen::output::sync(&out, &generated.files, check) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("error: cannot write under {}: {e}", out.display());
            return ExitCode::FAILURE;
        }
    };
    let shown = |p: &Path| p.strip_prefix(&out).unwrap_or(p).display().to_string();
    if check {
        if report.is_clean() {
            println!("up to date");
            return ExitCode::SUCCESS;
        }
        for p in &report.changed {
            eprintln!("{} is not up to date", shown(p));
        }
        for p in &report.removed {
            eprintln!("{} is no longer generated", shown(p));
        }
        eprintln!("run `cargo xtask codegen` and commit the result");
        return ExitCode::FAILURE;
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
    ExitCode::SUCCESS
}
