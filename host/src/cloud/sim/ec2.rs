//! EC2: DescribeVolumes and DescribeRegions, shaped as the EC2 XML
//! converts to JSON (lowerCamel wire names, `*Set` lists, string leaves).

use serde_json::{Map, Value, json};

use super::org::{Account, Volume};
use super::page;
use super::request::{Protocol, int, invalid, list, strings, text};
use crate::cloud::{ApiCall, ApiError, Target};

const P: Protocol = Protocol::Ec2;

/// Answers one EC2 call.
pub fn handle(account: &Account, target: &Target, call: &ApiCall) -> Result<Value, ApiError> {
    match call.operation.as_str() {
        "DescribeVolumes" => describe_volumes(account, target, &call.params),
        "DescribeRegions" => Ok(describe_regions(account, &call.params)),
        _ => Err(P.unknown_operation(call)),
    }
}

fn describe_volumes(account: &Account, target: &Target, params: &Map<String, Value>) -> Result<Value, ApiError> {
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
    let mut out = Map::new();
    if !items.is_empty() {
        out.insert("volumeSet".into(), items.iter().map(|v| volume_json(v)).collect());
    }
    if let Some(next) = next {
        out.insert("nextToken".into(), page::token("DescribeVolumes", next).into());
    }
    Ok(Value::Object(out))
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
        tag => tag.strip_prefix("tag:").is_some_and(|k| v.tags.get(k).is_some_and(|val| val == want)),
    }
}

fn volume_json(v: &Volume) -> Value {
    let mut out = json!({
        "volumeId": v.id,
        "size": v.size.to_string(),
        "availabilityZone": v.availability_zone,
        "status": v.state,
        "createTime": v.create_time,
        "volumeType": v.volume_type,
        "encrypted": v.encrypted.to_string(),
        "multiAttachEnabled": "false",
    });
    if let Some(instance) = &v.attached_to {
        out["attachmentSet"] = json!([{
            "volumeId": v.id,
            "instanceId": instance,
            "device": "/dev/xvdf",
            "status": "attached",
            "attachTime": v.create_time,
            "deleteOnTermination": "false",
        }]);
    }
    if !v.tags.is_empty() {
        out["tagSet"] = v.tags.iter().map(|(k, val)| json!({"key": k, "value": val})).collect();
    }
    out
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
