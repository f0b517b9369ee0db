//! A regional collector built against `wit/collector.wit` as it was at
//! 0.1.0 (a frozen copy in this crate's `wit/`), with wit-bindgen alone:
//! no SDK, so nothing newer leaks in. It lists every volume id of its
//! target, one page of 500 at a time, and counts them.

wit_bindgen::generate!({ path: "wit", world: "collector" });

use exports::trawl::collector::plugin::Guest;
use trawl::collector::types::{CollectError, Collection, PluginInfo, Reason, Scope, Target, Total};

struct Old;

impl Guest for Old {
    fn info() -> PluginInfo {
        PluginInfo {
            name: "world-0-1-0".into(),
            version: "0.1.0".into(),
            description: "volume ids, built for trawl:collector@0.1.0".into(),
            scope: Scope::Regional,
            home_region: None,
            permissions: vec!["ec2:DescribeVolumes".into()],
            columns: vec!["volume_id".into()],
        }
    }

    fn collect(_target: Target) -> Result<Collection, CollectError> {
        let mut records = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let params = match &token {
                Some(t) => format!(r#"{{"MaxResults":500,"NextToken":"{t}"}}"#),
                None => r#"{"MaxResults":500}"#.to_owned(),
            };
            let page = trawl::collector::cloud::call("ec2", "DescribeVolumes", &params).map_err(|e| {
                let reason = Reason { code: e.code.clone(), message: e.message };
                if e.code == "UnauthorizedOperation" || e.code == "OptInRequired" {
                    CollectError::Skipped(reason)
                } else {
                    CollectError::Failed(reason)
                }
            })?;
            // An attachment repeats its volume's id right after it.
            let mut ids = field_values(&page, "volumeId");
            ids.dedup();
            records.extend(ids.into_iter().map(|id| format!(r#"{{"volume_id":"{id}"}}"#)));
            token = field_values(&page, "nextToken").into_iter().next();
            if token.is_none() {
                break;
            }
        }
        let count = records.len() as u64;
        Ok(Collection { records, totals: vec![Total { name: "volumes".into(), value: count }] })
    }
}

/// The string values of `"key":"..."` in a JSON text (ids and tokens
/// have no escapes), so this crate needs no JSON parser.
fn field_values(json: &str, key: &str) -> Vec<String> {
    let needle = format!("\"{key}\":\"");
    json.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &json[at + needle.len()..];
            rest.find('"').map(|end| rest[..end].to_owned())
        })
        .collect()
}

export!(Old);
