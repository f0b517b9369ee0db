//! EBS volumes: one record per unattached (`available`) volume, with the
//! per-target totals the seed report shows (`total`, `unused`).

use serde::{Deserialize, Serialize};
use serde_json::json;
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target, paginate, wire};

struct Ebs;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Page {
    #[serde(default)]
    volume_set: Vec<Volume>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Volume {
    volume_id: String,
    #[serde(deserialize_with = "wire::number")]
    size: u64,
    volume_type: String,
    status: String,
    create_time: String,
    availability_zone: String,
    #[serde(default)]
    tag_set: Vec<Tag>,
}

#[derive(Deserialize)]
struct Tag {
    key: String,
    #[serde(default)]
    value: String,
}

#[derive(Serialize)]
struct UnusedVolume {
    volume_id: String,
    size_gib: u64,
    volume_type: String,
    availability_zone: String,
    created: String,
    tags: serde_json::Map<String, serde_json::Value>,
}

impl Collector for Ebs {
    fn info() -> PluginInfo {
        PluginInfo::new("ebs", env!("CARGO_PKG_VERSION"), Scope::Regional)
            .description("EBS volumes per account and region; unattached ones listed")
            .permission("ec2:DescribeVolumes")
            .columns(["volume_id", "size_gib", "volume_type", "availability_zone", "created"])
            .key(["volume_id"])
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let mut out = Collection::new();
        let mut total = 0;
        for page in paginate::<Page>("ec2", "DescribeVolumes", json!({"MaxResults": 500})) {
            for v in page?.volume_set {
                total += 1;
                if v.status != "available" {
                    continue;
                }
                out.push(&UnusedVolume {
                    volume_id: v.volume_id,
                    size_gib: v.size,
                    volume_type: v.volume_type,
                    availability_zone: v.availability_zone,
                    created: v.create_time,
                    tags: v.tag_set.into_iter().map(|t| (t.key, t.value.into())).collect(),
                })?;
            }
        }
        let unused = out.len() as u64;
        out.total("total", total).total("unused", unused);
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!(Ebs);
