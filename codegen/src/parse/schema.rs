//! Types inferred from the documentation's JSON examples, and how two examples of
//! the same thing combine.

use super::json::Json;
use crate::spec::{Field, Schema};

/// Infers a schema from an example value.
///
/// Objects whose keys are not all identifiers (`"some extra attributes"`,
/// `"120123456790"`) are maps. Numbers without fraction are integers.
pub fn infer(value: &Json) -> Result<Schema, String> {
    Ok(match value {
        Json::Null => Schema::Unknown,
        Json::Bool(_) => Schema::Boolean,
        Json::Int(_) => Schema::Integer,
        Json::Float(_) => Schema::Number,
        Json::Str(s) => Schema::String { example: s.clone() },
        Json::Array(items) => Schema::Array {
            items: infer_all(items.iter())?.map(Box::new),
        },
        Json::Object(entries) if entries.iter().all(|(k, _)| is_identifier(k)) => {
            let fields = entries
                .iter()
                .map(|(name, v)| {
                    Ok(Field {
                        name: name.clone(),
                        description: None,
                        schema: infer(v)?,
                    })
                })
                .collect::<Result<Vec<_>, String>>()?;
            Schema::Object {
                fields: sorted_fields(fields),
            }
        }
        Json::Object(entries) => Schema::Map {
            // The smallest key, so that the order of the example's keys does not matter.
            key_example: entries
                .iter()
                .map(|(k, _)| k)
                .min()
                .expect("a map example has keys")
                .clone(),
            values: Box::new(infer_all(entries.iter().map(|(_, v)| v))?.unwrap_or(Schema::Unknown)),
        },
    })
}

/// Infers one schema from several examples of the same thing (array items, map values).
fn infer_all<'a>(values: impl Iterator<Item = &'a Json>) -> Result<Option<Schema>, String> {
    let mut merged: Option<Schema> = None;
    for v in values {
        let s = infer(v)?;
        merged = Some(match merged {
            None => s,
            Some(m) => merge(&m, &s).map_err(|c| c.to_string())?,
        });
    }
    Ok(merged)
}

/// A field name as the API uses them (`deviceURL`, `subPlaces`, `$type`).
fn is_identifier(key: &str) -> bool {
    let mut chars = key.chars();
    matches!(chars.next(), Some(c) if c.is_ascii_alphabetic() || c == '_' || c == '$')
        && chars.all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '$')
}

/// Two examples that disagree on the type of the same value.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Conflict {
    /// Where, as a dotted path (`actions[].commands[].parameters`).
    pub path: String,
    /// Kind in the first example.
    pub first: &'static str,
    /// Kind in the second example.
    pub second: &'static str,
}

impl std::fmt::Display for Conflict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let at = if self.path.is_empty() {
            "the value"
        } else {
            &self.path
        };
        write!(
            f,
            "`{at}` is {} in one example and {} in another",
            self.first, self.second
        )
    }
}

/// Combines two examples of the same thing: objects get the union of their fields,
/// an unknown type takes the other one, anything else must agree.
pub fn merge(a: &Schema, b: &Schema) -> Result<Schema, Conflict> {
    merge_at(a, b, "")
}

fn merge_at(a: &Schema, b: &Schema, path: &str) -> Result<Schema, Conflict> {
    Ok(match (a, b) {
        (Schema::Unknown, other) | (other, Schema::Unknown) => other.clone(),
        (Schema::Array { items: x }, Schema::Array { items: y }) => Schema::Array {
            items: match (x, y) {
                (Some(x), Some(y)) => Some(Box::new(merge_at(x, y, &format!("{path}[]"))?)),
                (x, y) => x.clone().or_else(|| y.clone()),
            },
        },
        (Schema::Object { fields: x }, Schema::Object { fields: y }) => Schema::Object {
            fields: merge_fields(x, y, path)?,
        },
        (
            Schema::Map {
                key_example,
                values: x,
            },
            Schema::Map { values: y, .. },
        ) => Schema::Map {
            key_example: key_example.clone(),
            values: Box::new(merge_at(x, y, &format!("{path}{{}}"))?),
        },
        (x, y) if x.kind() == y.kind() => x.clone(),
        (x, y) => {
            return Err(Conflict {
                path: path.to_owned(),
                first: x.kind(),
                second: y.kind(),
            })
        }
    })
}

/// Union of two field lists: first list's order, then the new fields of the second.
pub fn merge_fields(a: &[Field], b: &[Field], path: &str) -> Result<Vec<Field>, Conflict> {
    let mut out = a.to_vec();
    for f in b {
        match out.iter_mut().find(|o| o.name == f.name) {
            Some(o) => {
                let sub = if path.is_empty() {
                    f.name.clone()
                } else {
                    format!("{path}.{}", f.name)
                };
                o.schema = merge_at(&o.schema, &f.schema, &sub)?;
                if o.description.is_none() {
                    o.description.clone_from(&f.description);
                }
            }
            None => out.push(f.clone()),
        }
    }
    Ok(sorted_fields(out))
}

/// Fields in their canonical order: by name. The order of a JSON example's keys
/// carries no meaning, so a page that only reorders them gives the same spec.
pub fn sorted_fields(mut fields: Vec<Field>) -> Vec<Field> {
    fields.sort_by(|a, b| a.name.cmp(&b.name));
    fields
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::parse::json::decode;

    fn schema(text: &str) -> Schema {
        infer(&decode(text).unwrap()).unwrap()
    }

    #[test]
    fn maps_are_objects_with_non_identifier_keys() {
        let s = schema(r#"{ "extraAttributes" : { "some extra attributes" : "x" } }"#);
        let Schema::Object { fields } = s else {
            panic!("object expected")
        };
        assert!(matches!(fields[0].schema, Schema::Map { .. }));
    }

    #[test]
    fn merge_unions_fields_and_fills_unknowns() {
        let a = schema(r#"{ "a" : 1, "sub" : [ ] }"#);
        let b = schema(r#"{ "b" : true, "sub" : [ { "c" : "x" } ] }"#);
        let m = merge(&a, &b).unwrap();
        let Schema::Object { fields } = m else {
            panic!("object expected")
        };
        let names: Vec<_> = fields.iter().map(|f| f.name.as_str()).collect();
        assert_eq!(names, ["a", "b", "sub"]);
        assert!(matches!(
            &fields[2].schema,
            Schema::Array { items: Some(_) }
        ));
    }

    #[test]
    fn merge_reports_contradictions_with_their_path() {
        let a = schema(r#"{ "x" : [ { "p" : "s" } ] }"#);
        let b = schema(r#"{ "x" : [ { "p" : 2 } ] }"#);
        let c = merge(&a, &b).unwrap_err();
        assert_eq!(
            c.to_string(),
            "`x[].p` is string in one example and integer in another"
        );
    }
}
