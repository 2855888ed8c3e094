//! Writing generated files, or checking that they are up to date
//! (`cargo xtask codegen --check`).

use std::collections::BTreeSet;
use std::fs;
use std::io;
use std::path::{Path, PathBuf};

/// A file the generator produces: a path relative to the output root, and its text.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GeneratedFile {
    /// Path relative to the output root, with `/` separators.
    pub path: String,
    /// Full contents.
    pub contents: String,
}

/// Directories whose every file is generated: a file there that the generator no
/// longer produces is stale and removed.
pub const OWNED_DIRS: &[&str] = &[crate::emit::GENERATED_DIR];

/// Files of which the generator writes a part: the part between
/// [`crate::features::BEGIN_MARKER`] and [`crate::features::END_MARKER`], the rest
/// written by hand. Their [`GeneratedFile::contents`] is that part.
pub const SPLICED: &[&str] = &[crate::features::CARGO_TOML_PATH];

/// What [`sync`] did or, in check mode, would do.
#[derive(Debug, Default, Clone, PartialEq, Eq)]
pub struct SyncReport {
    /// Files written (or that would be written) because they are new or changed.
    pub changed: Vec<PathBuf>,
    /// Files removed (or that would be removed) from the generated directories.
    pub removed: Vec<PathBuf>,
}

impl SyncReport {
    /// True when the tree already matched.
    pub fn is_clean(&self) -> bool {
        self.changed.is_empty() && self.removed.is_empty()
    }
}

/// Brings the files under `root` in line with `files`; with `check`, only reports
/// what differs and touches nothing. Unchanged files are not rewritten, so their
/// modification times stay and cargo does not rebuild for nothing. Only the
/// written part of a [`SPLICED`] file changes: a missing one is left out, one
/// without its markers is an `InvalidData` error.
pub fn sync(root: &Path, files: &[GeneratedFile], check: bool) -> io::Result<SyncReport> {
    let mut report = SyncReport::default();
    let wanted: BTreeSet<PathBuf> = files.iter().map(|f| root.join(&f.path)).collect();
    for file in files {
        let path = root.join(&file.path);
        let current = match fs::read_to_string(&path) {
            Ok(text) => Some(text),
            Err(e) if e.kind() == io::ErrorKind::NotFound => None,
            Err(e) => return Err(e),
        };
        let contents = if SPLICED.contains(&file.path.as_str()) {
            // Under another root (`--out`) without the manifest, nothing to splice into.
            let Some(current) = current.as_deref() else {
                continue;
            };
            let spliced = crate::features::splice(current, &file.contents);
            spliced.ok_or_else(|| {
                io::Error::new(
                    io::ErrorKind::InvalidData,
                    format!(
                        "{}: expected a part between the lines `{}` and `{}`",
                        path.display(),
                        crate::features::BEGIN_MARKER,
                        crate::features::END_MARKER
                    ),
                )
            })?
        } else {
            file.contents.clone()
        };
        if current.as_deref() == Some(contents.as_str()) {
            continue;
        }
        if !check {
            if let Some(dir) = path.parent() {
                fs::create_dir_all(dir)?;
            }
            fs::write(&path, &contents)?;
        }
        report.changed.push(path);
    }
    for dir in OWNED_DIRS {
        for path in list_files(&root.join(dir))? {
            if !wanted.contains(&path) {
                if !check {
                    fs::remove_file(&path)?;
                }
                report.removed.push(path);
            }
        }
    }
    Ok(report)
}

/// Every file under `dir`, recursively, sorted; empty when `dir` does not exist.
fn list_files(dir: &Path) -> io::Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    let entries = match fs::read_dir(dir) {
        Ok(entries) => entries,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(out),
        Err(e) => return Err(e),
    };
    for entry in entries {
        let path = entry?.path();
        if path.is_dir() {
            out.extend(list_files(&path)?);
        } else {
            out.push(path);
        }
    }
    out.sort();
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, contents: &str) -> GeneratedFile {
        GeneratedFile {
            path: path.into(),
            contents: contents.into(),
        }
    }

    #[test]
    fn check_reports_without_writing_and_sync_fixes() {
        let root = std::env::temp_dir().join(format!("overkiz-sync-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let stale = root.join("generated/src/generated/old.rs");
        fs::create_dir_all(stale.parent().unwrap()).unwrap();
        fs::write(&stale, "old").unwrap();
        let files = [
            file("spec/overkiz.json", "{}\n"),
            file("generated/src/generated/mod.rs", "//\n"),
        ];

        let report = sync(&root, &files, true).unwrap();
        assert_eq!(report.changed.len(), 2);
        assert_eq!(report.removed, vec![stale.clone()]);
        assert!(
            !root.join("spec/overkiz.json").exists(),
            "check mode must not write"
        );
        assert!(stale.exists(), "check mode must not remove");

        assert!(!sync(&root, &files, false).unwrap().is_clean());
        assert!(sync(&root, &files, true).unwrap().is_clean());
        assert!(!stale.exists());
        fs::remove_dir_all(&root).unwrap();
    }

    #[test]
    fn the_manifest_gets_only_its_written_part() {
        use crate::features::{BEGIN_MARKER, CARGO_TOML_PATH, END_MARKER};
        let root = std::env::temp_dir().join(format!("overkiz-splice-test-{}", std::process::id()));
        let _ = fs::remove_dir_all(&root);
        let table = format!("{BEGIN_MARKER}\n[features]\nnew = []\n{END_MARKER}\n");
        let files = [file(CARGO_TOML_PATH, &table)];
        // No manifest under this root: nothing to splice into.
        assert!(sync(&root, &files, false).unwrap().is_clean());
        assert!(!root.join(CARGO_TOML_PATH).exists());

        let manifest = root.join(CARGO_TOML_PATH);
        fs::create_dir_all(manifest.parent().unwrap()).unwrap();
        let hand = "[package]\nname = \"x\"\n\n";
        fs::write(
            &manifest,
            format!("{hand}{BEGIN_MARKER}\n[features]\nold = []\n{END_MARKER}\n\n[lints]\n"),
        )
        .unwrap();
        assert_eq!(
            sync(&root, &files, true).unwrap().changed,
            vec![manifest.clone()]
        );
        sync(&root, &files, false).unwrap();
        assert_eq!(
            fs::read_to_string(&manifest).unwrap(),
            format!("{hand}{table}\n[lints]\n")
        );
        assert!(sync(&root, &files, true).unwrap().is_clean());

        fs::write(&manifest, hand).unwrap();
        let error = sync(&root, &files, false).unwrap_err();
        assert_eq!(error.kind(), io::ErrorKind::InvalidData);
        assert!(
            error
                .to_string()
                .contains("expected a part between the lines"),
            "{error}"
        );
        fs::remove_dir_all(&root).unwrap();
    }
}
