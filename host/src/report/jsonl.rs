//! JSON Lines: one record per line, written as each target finishes, each
//! carrying the account and region it came from.

use std::io::{self, Write};

use serde_json::Value;
use serde_json::value::RawValue;

use crate::targets::Target;

/// Writes the records of one finished target, one line each; `plugin`
/// names the plugin on every line when a run has several.
pub fn write_records(
    out: &mut impl Write,
    target: &Target,
    records: &[Box<RawValue>],
    plugin: Option<&str>,
) -> io::Result<()> {
    for record in records {
        let record: serde_json::Map<String, Value> = serde_json::from_str(record.get())?;
        let mut line = serde_json::Map::with_capacity(record.len() + 4);
        if let Some(name) = plugin {
            line.insert("plugin".into(), Value::from(name));
        }
        line.insert("account_id".into(), Value::from(target.account_id.as_str()));
        line.insert("account_name".into(), Value::from(target.account_name.as_str()));
        line.insert("region".into(), Value::from(target.region.as_str()));
        for (k, v) in record {
            line.entry(k).or_insert(v);
        }
        serde_json::to_writer(&mut *out, &line)?;
        out.write_all(b"\n")?;
    }
    out.flush()
}
