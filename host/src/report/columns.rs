//! Records as rows: the columns of a plugin's records and each record's
//! cells in that order, for the CSV and HTML writers.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserializer, IgnoredAny, MapAccess, Visitor};
use serde_json::Value;
use serde_json::value::RawValue;

use super::Report;
use crate::targets::Target;

/// The columns every row starts with; a record field of the same name is
/// shadowed by where the record came from (as in jsonl).
pub const TARGET_COLUMNS: [&str; 3] = ["account_id", "account_name", "region"];

/// The columns of a plugin's records: [`TARGET_COLUMNS`], the plugin's
/// declared columns, then every other field in the order first seen.
pub fn record_columns(report: &Report) -> Vec<String> {
    let mut columns: Vec<String> = TARGET_COLUMNS.iter().map(|c| c.to_string()).collect();
    let mut seen: HashSet<String> = columns.iter().cloned().collect();
    for column in &report.plugin.columns {
        if seen.insert(column.clone()) {
            columns.push(column.clone());
        }
    }
    for record in report.results.iter().flat_map(|r| &r.records) {
        let mut keys = serde_json::Deserializer::from_str(record.get());
        if let Ok(Keys(found)) = keys.deserialize_map(KeysVisitor) {
            for key in found {
                if !seen.contains(&key) {
                    seen.insert(key.clone());
                    columns.push(key);
                }
            }
        }
    }
    columns
}

/// One record's cells in `columns` order: a missing field is null.
pub fn cells(target: &Target, record: &RawValue, columns: &[String]) -> serde_json::Result<Vec<Value>> {
    let mut fields: serde_json::Map<String, Value> = serde_json::from_str(record.get())?;
    Ok(columns
        .iter()
        .map(|column| match column.as_str() {
            "account_id" => Value::from(target.account_id.as_str()),
            "account_name" => Value::from(target.account_name.as_str()),
            "region" => Value::from(target.region.as_str()),
            name => fields.remove(name).unwrap_or(Value::Null),
        })
        .collect())
}

/// A record's field names in document order, values skipped unparsed.
struct Keys(Vec<String>);

struct KeysVisitor;

impl<'de> Visitor<'de> for KeysVisitor {
    type Value = Keys;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Keys, A::Error> {
        let mut keys = Vec::new();
        while let Some(key) = map.next_key::<String>()? {
            map.next_value::<IgnoredAny>()?;
            keys.push(key);
        }
        Ok(Keys(keys))
    }
}
