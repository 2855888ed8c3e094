//! What can make an xtask command fail: one error type, propagated to `main`, which
//! prints it once.

use std::path::PathBuf;

/// Why a command failed.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// A file cannot be read.
    #[error("cannot read {}: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A file or directory cannot be written.
    #[error("cannot write {}: {source}", path.display())]
    Write {
        /// The file, or the root written under.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A page is neither HTML nor UTF-8 text.
    #[error("{} is neither an HTML page nor UTF-8 text ({source})", path.display())]
    NotText {
        /// The page.
        path: PathBuf,
        /// Why.
        source: std::string::FromUtf8Error,
    },
    /// A file that starts like JSON is not a spec.
    #[error("{}:{}: expected a spec (spec/README.md), {source}", path.display(), source.line())]
    NotASpec {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// `import-doc` was given something other than the HTML page.
    #[error("{}:1: expected an HTML page (`<!DOCTYPE html …` or `<html …`)", .0.display())]
    NotHtml(PathBuf),
    /// A documentation page does not parse; for an HTML page, the line is one of its
    /// text layout.
    #[error("{error}{}", html_note(html_page))]
    Page {
        /// The parse error, with its line.
        error: overkiz_codegen::ParseError,
        /// The page, when it is the HTML page (whose text layout holds the line).
        html_page: Option<PathBuf>,
    },
    /// The page `import-doc` converted does not parse (it was written anyway).
    #[error("the converted page does not parse: {0}")]
    Converted(overkiz_codegen::ParseError),
    /// The generator refused the page or the curated file.
    #[error(transparent)]
    Generate(#[from] overkiz_codegen::Error),
    /// `--check` found files that differ (listed before).
    #[error("run `cargo xtask codegen` and commit the result")]
    NotUpToDate,
    /// `cargo` failed or could not be started (`build-time`).
    #[error("{0}")]
    Cargo(String),
    /// No generated sources to time (`build-time`).
    #[error("no generated sources under {0}; run `cargo xtask codegen`")]
    NothingGenerated(String),
}

impl Error {
    /// A read failure of `path`.
    pub fn read(path: &std::path::Path, source: std::io::Error) -> Self {
        Error::Read {
            path: path.to_owned(),
            source,
        }
    }
}

fn html_note(page: &Option<PathBuf>) -> String {
    match page {
        Some(page) => format!(
            "\nnote: the line is one of the page's text layout; `cargo xtask import-doc {} --out page.txt` writes it",
            page.display()
        ),
        None => String::new(),
    }
}
