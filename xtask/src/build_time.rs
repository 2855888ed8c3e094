//! `cargo xtask build-time`: how long the generated crate takes to compile.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Instant, SystemTime};

/// Directory of the generated sources.
const GENERATED: &str = "generated/src/generated";

/// Builds `overkiz` once (dependencies included), then times `runs` builds of the
/// crate alone: after touching the generated sources (what a regeneration does; lets
/// incremental compilation reuse unchanged work), or from scratch; `as_dependency`
/// also turns incremental compilation off, as for a crate a consumer depends on.
pub fn run(
    root: &Path,
    runs: u32,
    release: bool,
    from_scratch: bool,
    as_dependency: bool,
) -> ExitCode {
    if as_dependency {
        // Read by the cargo processes this one starts.
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    let files = match rust_files(&root.join(GENERATED)) {
        Ok(files) if !files.is_empty() => files,
        Ok(_) => {
            eprintln!("error: no generated sources under {GENERATED}; run `cargo xtask codegen`");
            return ExitCode::FAILURE;
        }
        Err(e) => {
            eprintln!("error: cannot list {GENERATED}: {e}");
            return ExitCode::FAILURE;
        }
    };
    let lines: usize = files
        .iter()
        .map(|f| fs::read_to_string(f).map_or(0, |t| t.lines().count()))
        .sum();
    println!("generated sources: {} files, {lines} lines", files.len());

    let profile = if release { "release" } else { "debug" };
    println!("warming up: building overkiz and its dependencies ({profile})");
    if !cargo(root, &["build", "--quiet", "-p", "overkiz"], release) {
        return ExitCode::FAILURE;
    }
    let what = if as_dependency {
        "from scratch, not incremental (as a dependency)"
    } else if from_scratch {
        "from scratch"
    } else {
        "after touching the generated sources"
    };
    let mut times = Vec::new();
    for run in 1..=runs.max(1) {
        let prepared = if from_scratch {
            cargo(root, &["clean", "--quiet", "-p", "overkiz"], release)
        } else {
            touch(&files)
        };
        if !prepared {
            return ExitCode::FAILURE;
        }
        let started = Instant::now();
        if !cargo(root, &["build", "--quiet", "-p", "overkiz"], release) {
            return ExitCode::FAILURE;
        }
        let secs = started.elapsed().as_secs_f64();
        println!("run {run}: cargo build -p overkiz ({profile}) {what}: {secs:.1} s");
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "median: {median:.1} s over {} runs ({lines} generated lines)",
        times.len()
    );
    ExitCode::SUCCESS
}

/// Sets the modification time of every file to now, as a regeneration would.
fn touch(files: &[PathBuf]) -> bool {
    for f in files {
        let touched = fs::File::options()
            .append(true)
            .open(f)
            .and_then(|h| h.set_modified(SystemTime::now()));
        if let Err(e) = touched {
            eprintln!("error: cannot touch {}: {e}", f.display());
            return false;
        }
    }
    true
}

fn cargo(root: &Path, args: &[&str], release: bool) -> bool {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(args);
    if release {
        cmd.arg("--release");
    }
    match cmd.status() {
        Ok(status) if status.success() => true,
        Ok(status) => {
            eprintln!("error: cargo {} failed ({status})", args.join(" "));
            false
        }
        Err(e) => {
            eprintln!("error: cannot run cargo: {e}");
            false
        }
    }
}

/// Every `.rs` file under `dir`, sorted.
fn rust_files(dir: &Path) -> std::io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in fs::read_dir(dir)? {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(rust_files(&path)?);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}
