//! AWS Health (awsJson1_1, documents pass through): DescribeEvents,
//! DescribeEntityAggregates and DescribeAffectedEntities for the calling
//! account, DescribeEventsForOrganization and
//! DescribeAffectedAccountsForOrganization for the organisation.
//!
//! Every operation needs a Business or Enterprise support plan
//! (`SubscriptionRequiredException` otherwise). The organisational view
//! answers only the management account (the organisation's first); any
//! other account is refused with `AccessDeniedException`, the AccessDenied
//! family trawl skips, so an organisation plugin moves on to the next
//! account. The organisational view joins the accounts' events by ARN.
//!
//! Events come sorted by `lastUpdatedTime`, most recent first, as AWS
//! sorts them; ties keep the organisation's order.

use serde_json::{Map, Value, json};

use super::org::{Account, HealthEvent, Organization};
use super::page;
use super::request::{Protocol, access_denied, int, invalid, string_list, strings, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

const P: Protocol = Protocol::Json;

/// Answers one Health call made by `caller`.
pub fn handle(org: &Organization, caller: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    const OPERATIONS: [&str; 5] = [
        "DescribeEvents",
        "DescribeEntityAggregates",
        "DescribeAffectedEntities",
        "DescribeEventsForOrganization",
        "DescribeAffectedAccountsForOrganization",
    ];
    if !OPERATIONS.contains(&call.operation.as_str()) {
        return Err(unknown_operation(P, call));
    }
    if !caller.has_health_api() {
        return Err(ApiError::new(
            "SubscriptionRequiredException",
            400,
            format_args!("account {} needs a Business or Enterprise support plan to use AWS Health", caller.id),
        ));
    }
    let params = &call.params;
    match call.operation.as_str() {
        "DescribeEvents" => {
            let filter = object(params, "filter")?;
            let events = sorted(caller.health_events.iter().filter(|e| matches(e, filter)).collect());
            paged(params, "DescribeEvents", 1..=100, &events, "events", |e| event_json(e))
        }
        "DescribeEntityAggregates" => entity_aggregates(caller, params),
        "DescribeAffectedEntities" => affected_entities(caller, params),
        _ => {
            if org.accounts.first().map(|a| a.id.as_str()) != Some(caller.id.as_str()) {
                return Err(access_denied(
                    P,
                    call,
                    "the organizational view answers the organization's management account only",
                ));
            }
            if call.operation == "DescribeEventsForOrganization" {
                events_for_organization(org, params)
            } else {
                affected_accounts(org, params)
            }
        }
    }
}

/// An object parameter; an empty one when absent.
fn object<'a>(params: &'a Map<String, Value>, key: &str) -> Result<&'a Map<String, Value>, ApiError> {
    static EMPTY: std::sync::LazyLock<Map<String, Value>> = std::sync::LazyLock::new(Map::new);
    match params.get(key) {
        None | Some(Value::Null) => Ok(&EMPTY),
        Some(Value::Object(map)) => Ok(map),
        Some(_) => Err(invalid(P, format_args!("{key} must be an object"))),
    }
}

/// True when `e` passes the event filter (`filter` of DescribeEvents and
/// DescribeEventsForOrganization).
fn matches(e: &HealthEvent, filter: &Map<String, Value>) -> bool {
    let wants = |key: &str, value: &str| {
        let wanted = strings(filter, key);
        wanted.is_empty() || wanted.contains(&value)
    };
    wants("eventArns", &e.arn)
        && wants("regions", &e.region)
        && wants("services", &e.service)
        && wants("eventStatusCodes", &e.status)
        && wants("eventTypeCodes", &e.event_type_code)
        && wants("eventTypeCategories", &e.category)
}

/// Most recently updated first; stable, so ties keep their order.
fn sorted(mut events: Vec<&HealthEvent>) -> Vec<&HealthEvent> {
    events.sort_by(|a, b| b.updated().total_cmp(&a.updated()));
    events
}

/// One page of `items` under `key`, `maxResults` in `range`, `nextToken`.
fn paged<T>(
    params: &Map<String, Value>,
    operation: &str,
    range: std::ops::RangeInclusive<usize>,
    items: &[T],
    key: &str,
    to_json: impl Fn(&T) -> Value,
) -> Result<Value, ApiError> {
    let size = int(P, params, "maxResults", range)?;
    let start = page::offset(P, operation, text(params, "nextToken"))?;
    let (items, next) = page::slice(items, start, size);
    let mut out = Map::new();
    out.insert(key.into(), items.iter().map(to_json).collect());
    if let Some(next) = next {
        out.insert("nextToken".into(), page::token(operation, next).into());
    }
    Ok(Value::Object(out))
}

/// An `Event` (and an `OrganizationEvent`: the same fields here).
fn event_json(e: &HealthEvent) -> Value {
    let mut event = json!({
        "arn": e.arn,
        "service": e.service,
        "eventTypeCode": e.event_type_code,
        "eventTypeCategory": e.category,
        "region": e.region,
        "startTime": e.start_time,
        "lastUpdatedTime": e.updated(),
        "statusCode": e.status,
        "eventScopeCode": e.scope,
    });
    if e.status == "closed" {
        event["endTime"] = e.end_time.unwrap_or_else(|| e.updated()).into();
    }
    event
}

/// DescribeEntityAggregates: per event asked for (every event of the
/// account when none is), how many entities it affects, by status. Events
/// the account does not have are left out.
fn entity_aggregates(account: &Account, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let arns = string_list(P, params, "eventArns", 1..=50)?;
    let events: Vec<&HealthEvent> = match &arns {
        Some(arns) => arns.iter().filter_map(|arn| account.health_events.iter().find(|e| e.arn == *arn)).collect(),
        None => account.health_events.iter().collect(),
    };
    let aggregates: Vec<Value> = events
        .iter()
        .map(|e| {
            let mut statuses = Map::new();
            for entity in &e.entities {
                let n = statuses.entry(entity.status.clone()).or_insert(json!(0));
                *n = json!(n.as_u64().unwrap_or(0) + 1);
            }
            json!({"eventArn": e.arn, "count": e.entities.len(), "statuses": statuses})
        })
        .collect();
    Ok(json!({ "entityAggregates": aggregates }))
}

/// DescribeAffectedEntities: the entities of the events in
/// `filter.eventArns` (required, 1-10), in that order, optionally only some
/// statuses or values; `maxResults` 1-100.
fn affected_entities(account: &Account, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let filter = match params.get("filter") {
        Some(Value::Object(filter)) => filter,
        _ => {
            return Err(invalid(
                P,
                "1 validation error detected: Value null at 'filter' failed to satisfy constraint: \
                 Member must not be null",
            ));
        }
    };
    let Some(arns) = string_list(P, filter, "eventArns", 1..=10)? else {
        return Err(invalid(
            P,
            "1 validation error detected: Value null at 'filter.eventArns' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let statuses = string_list(P, filter, "statusCodes", 1..=5)?.unwrap_or_default();
    let values = string_list(P, filter, "entityValues", 1..=99)?.unwrap_or_default();
    let entities: Vec<Value> = arns
        .iter()
        .filter_map(|arn| account.health_events.iter().find(|e| e.arn == *arn))
        .flat_map(|e| e.entities.iter().map(move |entity| (e, entity)))
        .filter(|(_, entity)| statuses.is_empty() || statuses.contains(&entity.status.as_str()))
        .filter(|(_, entity)| values.is_empty() || values.contains(&entity.value.as_str()))
        .map(|(e, entity)| {
            json!({
                "entityArn": entity_arn(&account.id, &e.arn, &entity.value),
                "eventArn": e.arn,
                "entityValue": entity.value,
                "awsAccountId": account.id,
                "lastUpdatedTime": e.updated(),
                "statusCode": entity.status,
            })
        })
        .collect();
    paged(params, "DescribeAffectedEntities", 1..=100, &entities, "entities", Value::clone)
}

/// A stable, opaque entity ARN, as AWS gives each affected entity.
fn entity_arn(account: &str, event: &str, value: &str) -> String {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    (event, value).hash(&mut h);
    format!("arn:aws:health:us-east-1:{account}:entity/g{:016x}", h.finish())
}

/// DescribeEventsForOrganization: the events of every account, one per
/// ARN, filtered (also by `awsAccountIds`); `maxResults` 1-100.
fn events_for_organization(org: &Organization, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let filter = object(params, "filter")?;
    let accounts = string_list(P, filter, "awsAccountIds", 1..=50)?;
    let mut seen = std::collections::HashSet::new();
    let events: Vec<&HealthEvent> = org
        .accounts
        .iter()
        .filter(|a| accounts.as_ref().is_none_or(|ids| ids.contains(&a.id.as_str())))
        .flat_map(|a| &a.health_events)
        .filter(|e| matches(e, filter))
        .filter(|e| seen.insert(e.arn.as_str()))
        .collect();
    paged(params, "DescribeEventsForOrganization", 1..=100, &sorted(events), "events", |e| event_json(e))
}

/// DescribeAffectedAccountsForOrganization: the accounts holding
/// `eventArn` (required); none for a public event. `maxResults` 10-100.
fn affected_accounts(org: &Organization, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let Some(arn) = text(params, "eventArn") else {
        return Err(invalid(
            P,
            "1 validation error detected: Value null at 'eventArn' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    let holding: Vec<(&Account, &HealthEvent)> =
        org.accounts.iter().filter_map(|a| a.health_events.iter().find(|e| e.arn == arn).map(|e| (a, e))).collect();
    let scope = holding.first().map(|(_, e)| e.scope.as_str());
    let ids: Vec<&str> =
        if scope == Some("PUBLIC") { Vec::new() } else { holding.iter().map(|(a, _)| a.id.as_str()).collect() };
    let mut out =
        paged(params, "DescribeAffectedAccountsForOrganization", 10..=100, &ids, "affectedAccounts", |id| json!(id))?;
    if let Some(scope) = scope {
        out["eventScopeCode"] = scope.into();
    }
    Ok(out)
}
