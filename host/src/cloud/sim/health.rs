//! AWS Health: DescribeEvents (awsJson1_1, documents pass through).
//! Answers only accounts with a business or enterprise support plan.

use serde_json::{Map, Value, json};

use super::org::{Account, HealthEvent};
use super::page;
use super::request::{Protocol, int, strings, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

const P: Protocol = Protocol::Json;

/// Answers one Health call.
pub fn handle(account: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    if call.operation != "DescribeEvents" {
        return Err(unknown_operation(P, call));
    }
    if !account.has_health_api() {
        return Err(ApiError::new(
            "SubscriptionRequiredException",
            400,
            format_args!("account {} needs a Business or Enterprise support plan to use AWS Health", account.id),
        ));
    }
    let params = &call.params;
    let size = int(P, params, "maxResults", 10..=100)?;
    let empty = Map::new();
    let filter = params.get("filter").and_then(Value::as_object).unwrap_or(&empty);
    let (regions, services, statuses) =
        (strings(filter, "regions"), strings(filter, "services"), strings(filter, "eventStatusCodes"));
    let keep = |e: &&HealthEvent| {
        (regions.is_empty() || regions.contains(&e.region.as_str()))
            && (services.is_empty() || services.contains(&e.service.as_str()))
            && (statuses.is_empty() || statuses.contains(&e.status.as_str()))
    };
    let matching: Vec<&HealthEvent> = account.health_events.iter().filter(keep).collect();
    let start = page::offset(P, "DescribeEvents", text(params, "nextToken"))?;
    let (items, next) = page::slice(&matching, start, size);
    let events: Vec<Value> = items
        .iter()
        .map(|e| {
            json!({
                "arn": e.arn,
                "service": e.service,
                "eventTypeCode": e.event_type_code,
                "eventTypeCategory": e.category,
                "region": e.region,
                "startTime": e.start_time,
                "statusCode": e.status,
            })
        })
        .collect();
    let mut out = json!({ "events": events });
    if let Some(next) = next {
        out["nextToken"] = page::token("DescribeEvents", next).into();
    }
    Ok(out)
}
