//! Which record is which, and what changed in it: canonical JSON text, a
//! record's identity from its plugin's key, and field-by-field changes.

use std::collections::BTreeSet;
use std::fmt::Write as _;

use serde_json::Value;

use super::FieldChange;

/// `value` as canonical JSON text: object keys sorted, numbers by value
/// (`1.0` is `1`), no whitespace. Equal texts mean equal values, however
/// they were written or stored.
pub fn canonical(value: &Value) -> String {
    let mut out = String::new();
    write_canonical(value, &mut out);
    out
}

fn write_canonical(value: &Value, out: &mut String) {
    match value {
        Value::Null => out.push_str("null"),
        Value::Bool(b) => out.push_str(if *b { "true" } else { "false" }),
        Value::Number(n) => {
            if let Some(i) = n.as_i64() {
                let _ = write!(out, "{i}");
            } else if let Some(u) = n.as_u64() {
                let _ = write!(out, "{u}");
            } else {
                let f = n.as_f64().unwrap_or_default();
                if f.fract() == 0.0 && f.abs() < 9.0e15 {
                    let _ = write!(out, "{}", f as i64);
                } else {
                    let _ = write!(out, "{f}");
                }
            }
        }
        Value::String(s) => write_string(s, out),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out);
            }
            out.push(']');
        }
        Value::Object(map) => {
            let mut entries: Vec<(&String, &Value)> = map.iter().collect();
            entries.sort_unstable_by(|a, b| a.0.cmp(b.0));
            out.push('{');
            for (i, (k, v)) in entries.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_string(k, out);
                out.push(':');
                write_canonical(v, out);
            }
            out.push('}');
        }
    }
}

fn write_string(s: &str, out: &mut String) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

/// A record's identity within its target: its `key` fields' values (a
/// missing field counts as null), or, without a key, its whole content.
pub fn identity(key: &[String], record: &Value) -> String {
    if key.is_empty() {
        return canonical(record);
    }
    let mut out = String::from("[");
    for (i, field) in key.iter().enumerate() {
        if i > 0 {
            out.push(',');
        }
        write_canonical(record.get(field).unwrap_or(&Value::Null), &mut out);
    }
    out.push(']');
    out
}

/// The top-level fields that differ between two records of one identity.
pub fn field_changes<'a>(old: &'a Value, new: &'a Value) -> Vec<FieldChange<'a>> {
    match (old.as_object(), new.as_object()) {
        (Some(a), Some(b)) => {
            let names: BTreeSet<&String> = a.keys().chain(b.keys()).collect();
            names
                .into_iter()
                .filter(|name| match (a.get(*name), b.get(*name)) {
                    (Some(x), Some(y)) => x != y && canonical(x) != canonical(y),
                    _ => true,
                })
                .map(|name| FieldChange { field: name, old: a.get(name), new: b.get(name) })
                .collect()
        }
        _ => vec![FieldChange { field: "", old: Some(old), new: Some(new) }],
    }
}
