//! EC2: DescribeVolumes and DescribeRegions, shaped as the EC2 XML
//! converts to JSON (lowerCamel wire names, `*Set` lists, string leaves).

use serde::Serialize;
use serde_json::{Map, Value, json};

use super::org::{Account, Volume};
use super::page;
use super::request::{Protocol, int, invalid, list, strings, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError, Target};

const P: Protocol = Protocol::Ec2;

/// Answers one EC2 call, as JSON text.
pub fn handle(account: &Account, target: &Target, call: &ApiCall) -> Result<String, ApiError> {
    match call.operation.as_str() {
        "DescribeVolumes" => describe_volumes(account, target, &call.params),
        "DescribeRegions" => Ok(describe_regions(account, &call.params).to_string()),
        _ => Err(unknown_operation(P, call)),
    }
}

/// `DescribeVolumesResponse`, converted: serialised straight from these
/// types because this is the hottest call in every benchmark.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VolumesPage<'a> {
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    volume_set: Vec<VolumeItem<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    next_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct VolumeItem<'a> {
    volume_id: &'a str,
    size: String,
    availability_zone: &'a str,
    status: &'a str,
    create_time: &'a str,
    volume_type: &'a str,
    encrypted: &'static str,
    multi_attach_enabled: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    attachment_set: Option<[Attachment<'a>; 1]>,
    #[serde(skip_serializing_if = "<[_]>::is_empty")]
    tag_set: Vec<TagItem<'a>>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Attachment<'a> {
    volume_id: &'a str,
    instance_id: &'a str,
    device: &'static str,
    status: &'static str,
    attach_time: &'a str,
    delete_on_termination: &'static str,
}

#[derive(Serialize)]
struct TagItem<'a> {
    key: &'a str,
    value: &'a str,
}

fn describe_volumes(account: &Account, target: &Target, params: &Map<String, Value>) -> Result<String, ApiError> {
    let size = int(P, params, "MaxResults", 5..=500)?;
    let ids = strings(params, "VolumeId");
    if size.is_some() && !ids.is_empty() {
        return Err(invalid(P, "The parameter volumeSet cannot be used with the parameter maxResults"));
    }
    let filters = parse_filters(params)?;
    let volumes = account.regions.get(&target.region).map(|r| r.volumes.as_slice()).unwrap_or_default();
    if let Some(missing) = ids.iter().find(|id| !volumes.iter().any(|v| v.id == **id)) {
        return Err(ApiError::new(
            "InvalidVolume.NotFound",
            400,
            format_args!("The volume '{missing}' does not exist."),
        ));
    }
    let matching: Vec<&Volume> = volumes
        .iter()
        .filter(|v| ids.is_empty() || ids.contains(&v.id.as_str()))
        .filter(|v| filters.iter().all(|(name, values)| values.iter().any(|want| filter_matches(v, name, want))))
        .collect();
    let start = page::offset(P, "DescribeVolumes", text(params, "NextToken"))?;
    let (items, next) = page::slice(&matching, start, size);
    let page = VolumesPage {
        volume_set: items.iter().map(|v| volume_item(v)).collect(),
        next_token: next.map(|n| page::token("DescribeVolumes", n)),
    };
    Ok(serde_json::to_string(&page).expect("plain data serialises"))
}

/// `Filter.N.Name` / `Filter.N.Value.M` as JSON: `[{"Name", "Value": [...]}]`.
fn parse_filters(params: &Map<String, Value>) -> Result<Vec<(String, Vec<String>)>, ApiError> {
    const KNOWN: [&str; 6] = ["status", "volume-type", "availability-zone", "volume-id", "encrypted", "size"];
    list(params, "Filter")
        .into_iter()
        .map(|f| {
            let Some(obj) = f.as_object() else { return Err(invalid(P, "each Filter must be {Name, Value}")) };
            let name = text(obj, "Name").unwrap_or_default();
            if !KNOWN.contains(&name) && !name.starts_with("tag:") {
                return Err(invalid(P, format_args!("The filter '{name}' is invalid")));
            }
            Ok((name.to_owned(), strings(obj, "Value").into_iter().map(str::to_owned).collect()))
        })
        .collect()
}

fn filter_matches(v: &Volume, name: &str, want: &str) -> bool {
    match name {
        "status" => v.state == want,
        "volume-type" => v.volume_type == want,
        "availability-zone" => v.availability_zone == want,
        "volume-id" => v.id == want,
        "encrypted" => v.encrypted.to_string() == want,
        "size" => v.size.to_string() == want,
        tag => tag.strip_prefix("tag:").is_some_and(|k| v.tags.iter().any(|(key, val)| key == k && val == want)),
    }
}

fn volume_item(v: &Volume) -> VolumeItem<'_> {
    let flag = |b: bool| if b { "true" } else { "false" };
    VolumeItem {
        volume_id: &v.id,
        size: v.size.to_string(),
        availability_zone: &v.availability_zone,
        status: &v.state,
        create_time: &v.create_time,
        volume_type: &v.volume_type,
        encrypted: flag(v.encrypted),
        multi_attach_enabled: "false",
        attachment_set: v.attached_to.as_deref().map(|instance| {
            [Attachment {
                volume_id: &v.id,
                instance_id: instance,
                device: "/dev/xvdf",
                status: "attached",
                attach_time: &v.create_time,
                delete_on_termination: "false",
            }]
        }),
        tag_set: v.tags.iter().map(|(key, value)| TagItem { key, value }).collect(),
    }
}

fn describe_regions(account: &Account, params: &Map<String, Value>) -> Value {
    let wanted = strings(params, "RegionName");
    let regions: Vec<Value> = account
        .regions
        .keys()
        .filter(|r| wanted.is_empty() || wanted.contains(&r.as_str()))
        .map(|r| json!({"regionName": r, "regionEndpoint": format!("ec2.{r}.amazonaws.com"), "optInStatus": "opt-in-not-required"}))
        .collect();
    if regions.is_empty() { json!({}) } else { json!({ "regionInfo": regions }) }
}
