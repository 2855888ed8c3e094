//! `cargo xtask build-time`: how long the generated crate takes to compile.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Instant, SystemTime};

use overkiz_codegen::emit::GENERATED_DIR;

use crate::error::Error;

/// The Cargo features the timed builds use: the crate's, as a dependent names them.
#[derive(Debug, Clone, Default)]
pub struct FeatureSelection {
    /// `--features` (comma- or space-separated), if given.
    pub features: Option<String>,
    /// `--no-default-features`.
    pub no_default_features: bool,
}

impl FeatureSelection {
    /// The arguments of `cargo build` that select them.
    fn args(&self) -> Vec<String> {
        let mut args = Vec::new();
        if self.no_default_features {
            args.push("--no-default-features".to_owned());
        }
        if let Some(features) = &self.features {
            args.push("--features".to_owned());
            args.push(features.clone());
        }
        args
    }

    fn describe(&self) -> String {
        match (&self.features, self.no_default_features) {
            (None, false) => "default features".to_owned(),
            (None, true) => "no default features".to_owned(),
            (Some(f), false) => format!("default features and {f}"),
            (Some(f), true) => format!("features {f} only"),
        }
    }
}

/// Builds `overkiz` once (dependencies included), then times `runs` builds of the
/// crate alone: after touching the generated sources (what a regeneration does; lets
/// incremental compilation reuse unchanged work), or from scratch; `as_dependency`
/// also turns incremental compilation off, as for a crate a consumer depends on.
/// Every build uses the features of `selection`.
pub fn run(
    root: &Path,
    runs: u32,
    release: bool,
    from_scratch: bool,
    as_dependency: bool,
    selection: &FeatureSelection,
) -> Result<(), Error> {
    if as_dependency {
        // Read by the cargo processes this one starts.
        std::env::set_var("CARGO_INCREMENTAL", "0");
    }
    let dir = root.join(GENERATED_DIR);
    let files = rust_files(&dir).map_err(|e| Error::read(&dir, e))?;
    if files.is_empty() {
        return Err(Error::NothingGenerated(GENERATED_DIR.to_owned()));
    }
    let lines: usize = files
        .iter()
        .map(|f| fs::read_to_string(f).map_or(0, |t| t.lines().count()))
        .sum();
    println!("generated sources: {} files, {lines} lines", files.len());

    let profile = if release { "release" } else { "debug" };
    println!(
        "warming up: building overkiz and its dependencies ({profile}, {})",
        selection.describe()
    );
    let mut build = vec!["build", "--quiet", "-p", "overkiz"];
    let selected = selection.args();
    build.extend(selected.iter().map(String::as_str));
    cargo(root, &build, release)?;
    let what = if as_dependency {
        "from scratch, not incremental (as a dependency)"
    } else if from_scratch {
        "from scratch"
    } else {
        "after touching the generated sources"
    };
    let mut times = Vec::new();
    for run in 1..=runs.max(1) {
        if from_scratch {
            cargo(root, &["clean", "--quiet", "-p", "overkiz"], release)?;
        } else {
            touch(&files)?;
        }
        let started = Instant::now();
        cargo(root, &build, release)?;
        let secs = started.elapsed().as_secs_f64();
        println!(
            "run {run}: cargo build -p overkiz {} ({profile}) {what}: {secs:.1} s",
            selected.join(" ")
        );
        times.push(secs);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "median: {median:.1} s over {} runs ({lines} generated lines)",
        times.len()
    );
    Ok(())
}

/// Sets the modification time of every file to now, as a regeneration would.
fn touch(files: &[PathBuf]) -> Result<(), Error> {
    for f in files {
        fs::File::options()
            .append(true)
            .open(f)
            .and_then(|h| h.set_modified(SystemTime::now()))
            .map_err(|e| Error::Write {
                path: f.clone(),
                source: e,
            })?;
    }
    Ok(())
}

fn cargo(root: &Path, args: &[&str], release: bool) -> Result<(), Error> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
    let mut cmd = Command::new(cargo);
    cmd.current_dir(root).args(args);
    if release {
        cmd.arg("--release");
    }
    match cmd.status() {
        Ok(status) if status.success() => Ok(()),
        Ok(status) => Err(Error::Cargo(format!(
            "cargo {} failed ({status})",
            args.join(" ")
        ))),
        Err(e) => Err(Error::Cargo(format!("cannot run cargo: {e}"))),
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
