//! {{name}}: unencrypted EBS volumes, one record each, with per-target
//! totals. A starting point: change `info` and `collect`, keep the last
//! line.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Setting, Target, paginate, setting, wire};

struct {{type_name}};

/// One page of `ec2:DescribeVolumes`, as the host hands it over: EC2's
/// XML converted to JSON, wire names kept, leaves as strings.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    // Empty lists are left out of a page: default them.
    #[serde(default)]
    volume_set: Vec<Volume>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    volume_id: String,
    #[serde(deserialize_with = "wire::number")]
    size: u64,
    #[serde(deserialize_with = "wire::boolean")]
    encrypted: bool,
    status: String,
    availability_zone: String,
}

/// What the collector reports for one volume.
#[derive(Serialize)]
struct Record {
    volume_id: String,
    size_gib: u64,
    state: String,
    availability_zone: String,
}

impl Collector for {{type_name}} {
    fn info() -> PluginInfo {
        PluginInfo::new("{{name}}", env!("CARGO_PKG_VERSION"), Scope::{{scope_camel}})
            .description("Unencrypted EBS volumes")
            .permission("ec2:DescribeVolumes")
            .columns(["volume_id", "size_gib", "state", "availability_zone"])
            .key(["volume_id"])
            .setting(Setting::integer("min_size_gib", 1).range(1, 16384).help("ignore smaller volumes"))
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let smallest: u64 = setting("min_size_gib")?;
        let mut out = Collection::new();
        let mut seen = 0;
        // `paginate` follows nextToken for you; always set a page size.
        for page in paginate::<Page>("ec2", "DescribeVolumes", json!({"MaxResults": 100})) {
            // `?` on an API error: access denied skips the target, anything
            // else fails it with AWS's error code.
            for volume in page?.volume_set {
                seen += 1;
                if !volume.encrypted && volume.size >= smallest {
                    out.push(&Record {
                        volume_id: volume.volume_id,
                        size_gib: volume.size,
                        state: volume.status,
                        availability_zone: volume.availability_zone,
                    })?;
                }
            }
        }
        let unencrypted = out.len() as u64;
        out.total("volumes", seen).total("unencrypted", unencrypted);
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!({{type_name}});

/// Natively, with `cargo test`: the collector against answers given here.
#[cfg(test)]
mod tests {
    use serde_json::json;
    use trawl_plugin_sdk::testing::{TestCloud, target};

    use super::*;

    fn volume(id: &str, size: u64, encrypted: bool) -> serde_json::Value {
        json!({"volumeId": id, "size": size.to_string(), "encrypted": encrypted.to_string(),
               "status": "available", "availabilityZone": "eu-west-1a"})
    }

    fn two_pages() -> TestCloud {
        TestCloud::new()
            .answer(
                "ec2:DescribeVolumes",
                json!({"volumeSet": [volume("vol-1", 8, false), volume("vol-2", 8, true)], "nextToken": "t"}),
            )
            .answer("ec2:DescribeVolumes", json!({"volumeSet": [volume("vol-3", 500, false)]}))
    }

    #[test]
    fn lists_unencrypted_volumes_across_pages() {
        let out = two_pages().collect::<{{type_name}}>(&target("111111111111", "demo", "eu-west-1")).unwrap();
        let ids: Vec<&str> = out.records.iter().map(|r| r["volume_id"].as_str().unwrap()).collect();
        assert_eq!(ids, ["vol-1", "vol-3"]);
        assert_eq!((out.totals["volumes"], out.totals["unencrypted"]), (3, 2));
        assert_eq!(out.calls[1].params["NextToken"], "t");
    }

    #[test]
    fn the_size_setting_filters() {
        let here = target("111111111111", "demo", "eu-west-1");
        let out = two_pages().set("min_size_gib", 100).collect::<{{type_name}}>(&here).unwrap();
        assert_eq!(out.records.len(), 1);
    }

    #[test]
    fn access_denied_skips_the_target() {
        let here = target("111111111111", "demo", "eu-west-1");
        let denied = TestCloud::new().error("ec2:DescribeVolumes", "UnauthorizedOperation", "no").collect::<{{type_name}}>(&here);
        assert!(matches!(denied, Err(Error::Skipped { .. })));
    }
}
