//! Column names that are SQL (`x"); DROP TABLE trawl_runs; --`), a
//! column named like one of trawl's own (`region`), one longer than
//! PostgreSQL keeps (100 characters), one that is not ASCII, and a field
//! whose values change type between targets (a number in eu-west-1, text
//! elsewhere): a database sink must store every record and stay intact.

use serde_json::json;
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target};

struct SqlNames;

const INJECTION: &str = r#"x"); DROP TABLE trawl_runs; --"#;

impl Collector for SqlNames {
    fn info() -> PluginInfo {
        let long = "c".repeat(100);
        PluginInfo::new("sql-names", "0.1.0", Scope::Regional)
            .columns([INJECTION, "region", long.as_str(), "größe", "size"])
            .key([INJECTION])
    }

    fn collect(target: &Target) -> Result<Collection, Error> {
        let mut out = Collection::new();
        for i in 0..3 {
            let size = if target.region == "eu-west-1" { json!(i) } else { json!(format!("big-{i}")) };
            out.push(&json!({
                INJECTION: format!("{}-{i}", target.account_id),
                "region": "the record's own region",
                "c".repeat(100): i,
                "größe": "groß",
                "size": size,
            }))?;
        }
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!(SqlNames);
