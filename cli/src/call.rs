//! `call`: any operation by its name, with path and query parameters and a JSON body
//! given on the command line, through the library's raw call
//! ([`overkiz::Client::request`]); `call --list` lists the operations.

use std::path::Path;

use overkiz::Client;
use serde_json::Value;

use crate::escape::{escape, Form};
use crate::BoxError;

pub(crate) fn list_operations() {
    for op in overkiz::operations::ALL {
        println!("{:<60} {} {}", op.name, op.method, op.path);
    }
}

/// The `{placeholders}` of a path template, in order.
fn placeholders(path: &str) -> Vec<&str> {
    path.split('{')
        .skip(1)
        .filter_map(|rest| rest.split_once('}').map(|(name, _)| name))
        .collect()
}

/// Reads the `--body` file (`-`: stdin).
fn read_body(path: &Path) -> Result<Vec<u8>, BoxError> {
    if path == Path::new("-") {
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut std::io::stdin(), &mut bytes)?;
        return Ok(bytes);
    }
    Ok(std::fs::read(path).map_err(|e| format!("--body {}: {e}", path.display()))?)
}

pub(crate) async fn call(
    client: &Client,
    name: &str,
    params: &[String],
    body: Option<&Path>,
) -> Result<(), BoxError> {
    let op = overkiz::operations::ALL
        .iter()
        .copied()
        .find(|op| op.name == name)
        .ok_or_else(|| format!("no operation named {name:?} (see `overkiz call --list`)"))?;
    let mut pairs = Vec::new();
    for param in params {
        let (key, value) = param
            .split_once('=')
            .ok_or_else(|| format!("--param {param:?}: expected NAME=VALUE"))?;
        pairs.push((key.to_owned(), value.to_owned()));
    }
    let mut request = client.request(op);
    // The path's placeholders first, in order; every other pair is a query parameter.
    for placeholder in placeholders(op.path) {
        let index = pairs
            .iter()
            .position(|(key, _)| key == placeholder)
            .ok_or_else(|| format!("{name} ({op}) needs --param {placeholder}=..."))?;
        request = request.path_arg(pairs.remove(index).1);
    }
    for (key, value) in pairs {
        request = request.query(key, value);
    }
    if let Some(path) = body {
        let bytes = read_body(path)?;
        serde_json::from_slice::<Value>(&bytes)
            .map_err(|e| format!("--body {}: not JSON: {e}", path.display()))?;
        request = request.json_bytes(bytes);
    }
    let answer = request.await?;
    if answer.body.is_empty() {
        eprintln!("{} (no body)", answer.status);
        return Ok(());
    }
    match serde_json::from_slice::<Value>(&answer.body) {
        Ok(json) => println!(
            "{}",
            escape(&serde_json::to_string_pretty(&json)?, Form::Json)
        ),
        Err(_) => println!(
            "{}",
            escape(&String::from_utf8_lossy(&answer.body), Form::Lines)
        ),
    }
    Ok(())
}
