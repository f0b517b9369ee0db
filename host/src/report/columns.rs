//! Records as rows: the columns of a plugin's records and each record's
//! cells in that order, for the CSV and HTML writers. A record is read
//! once per writer, borrowing its field names and values from the text
//! the plugin produced: no value is parsed unless it is written.

use std::borrow::Cow;
use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
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
        if let Ok(fields) = Fields::of(record) {
            for (key, _) in fields.0 {
                if !seen.contains(key.as_ref()) {
                    seen.insert(key.clone().into_owned());
                    columns.push(key.into_owned());
                }
            }
        }
    }
    columns
}

/// One cell of a row.
#[derive(Debug, Clone, Copy)]
pub enum Cell<'a> {
    /// Where the record came from (account id or name, region).
    Text(&'a str),
    /// A field's value as the plugin wrote it (JSON).
    Json(&'a RawValue),
    /// The record has no such field.
    Missing,
}

impl<'a> Cell<'a> {
    /// The value as CSV text: strings as themselves, null and missing as
    /// nothing, numbers and booleans as written, nested values as JSON.
    pub fn text(self) -> Cow<'a, str> {
        match self {
            Self::Text(s) => Cow::Borrowed(s),
            Self::Missing => Cow::Borrowed(""),
            Self::Json(raw) => match raw.get() {
                "null" => Cow::Borrowed(""),
                s if s.starts_with('"') => serde_json::from_str::<Cow<str>>(s).unwrap_or(Cow::Borrowed(s)),
                s => Cow::Borrowed(s),
            },
        }
    }

    /// True for objects and arrays.
    pub fn is_nested(self) -> bool {
        matches!(self, Self::Json(raw) if raw.get().starts_with(['{', '[']))
    }
}

/// One record's cells in `columns` order, borrowed from `target` and the
/// record's text.
pub fn cells<'a>(target: &'a Target, record: &'a RawValue, columns: &[String]) -> serde_json::Result<Vec<Cell<'a>>> {
    let Fields(fields) = Fields::of(record)?;
    Ok(columns
        .iter()
        .map(|column| match column.as_str() {
            "account_id" => Cell::Text(&target.account_id),
            "account_name" => Cell::Text(&target.account_name),
            "region" => Cell::Text(&target.region),
            name => fields.iter().rev().find(|(k, _)| k == name).map_or(Cell::Missing, |(_, v)| Cell::Json(v)),
        })
        .collect())
}

/// A record's fields in document order, names and values borrowed.
struct Fields<'a>(Vec<(Cow<'a, str>, &'a RawValue)>);

impl<'a> Fields<'a> {
    fn of(record: &'a RawValue) -> serde_json::Result<Self> {
        serde_json::Deserializer::from_str(record.get()).deserialize_map(FieldsVisitor)
    }
}

struct FieldsVisitor;

impl<'de> Visitor<'de> for FieldsVisitor {
    type Value = Fields<'de>;

    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a JSON object")
    }

    fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Fields<'de>, A::Error> {
        let mut fields = Vec::new();
        while let Some(Key(key)) = map.next_key()? {
            fields.push((key, map.next_value::<&RawValue>()?));
        }
        Ok(Fields(fields))
    }
}

/// A field name, borrowed unless it has escapes.
struct Key<'a>(Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct KeyVisitor;
        impl<'de> Visitor<'de> for KeyVisitor {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a field name")
            }
            fn visit_borrowed_str<E>(self, s: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(s)))
            }
            fn visit_str<E>(self, s: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(s.to_owned())))
            }
        }
        d.deserialize_str(KeyVisitor)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_borrow_the_record_and_read_as_csv_text() {
        let target = Target { account_id: "1".into(), account_name: "one".into(), region: "r".into() };
        let text = r#"{"region":"shadowed","s":"a \"q\"","n":8,"b":true,"z":null,"o":{"k":[1]},"k\u00e9":1}"#;
        let record = RawValue::from_string(text.to_owned()).unwrap();
        let columns: Vec<String> = ["region", "s", "n", "b", "z", "o", "gone", "k\u{e9}"].map(String::from).to_vec();
        let row = cells(&target, &record, &columns).unwrap();
        let text: Vec<Cow<str>> = row.iter().map(|c| c.text()).collect();
        assert_eq!(text, ["r", "a \"q\"", "8", "true", "", r#"{"k":[1]}"#, "", "1"]);
        assert!(row[5].is_nested() && !row[1].is_nested());
    }
}
