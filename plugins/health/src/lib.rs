//! AWS Health: one record per event of the account (open and upcoming by
//! default; the `statuses` setting chooses), with how many resources each
//! affects (`affected_entities`, from DescribeEntityAggregates, fetched for
//! 50 events per request and many requests at once). Per-target totals:
//! `events`, `open`, `upcoming`, `affected_entities` (and `closed` when
//! closed events are asked for).
//!
//! Health is account-wide and served from us-east-1, so the plugin runs
//! once per account there. An account without a Business or Enterprise
//! support plan answers `SubscriptionRequiredException`: that target is
//! skipped with that code, not failed.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trawl_health_events::{BATCH, Event, Tally, describe_events, info, statuses};
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target, call_many};

struct Health;

/// Most event ARNs one DescribeEntityAggregates takes.
const ARNS_PER_AGGREGATE: usize = 50;

#[derive(Serialize)]
struct Affected {
    affected_entities: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Aggregates {
    #[serde(default)]
    entity_aggregates: Vec<Aggregate>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Aggregate {
    event_arn: String,
    #[serde(default)]
    count: u64,
}

impl Collector for Health {
    fn info() -> PluginInfo {
        info("health", env!("CARGO_PKG_VERSION"), Scope::Account)
            .description(
                "AWS Health events per account (open and upcoming by default), with the resources each affects",
            )
            .permission("health:DescribeEvents")
            .permission("health:DescribeEntityAggregates")
            .columns(["status", "affected_entities", "event_type_code"])
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let statuses = statuses()?;
        let events = describe_events("DescribeEvents", &statuses)?;
        let counts = entity_counts(&events)?;
        let mut out = Collection::new();
        let mut tally = Tally::default();
        let mut affected = 0;
        for event in events {
            tally.count(&event.status_code);
            let n = counts.get(&event.arn).copied().unwrap_or(0);
            affected += n;
            out.push(&event.record(Affected { affected_entities: n }))?;
        }
        tally.write(&mut out, &statuses);
        out.total("affected_entities", affected);
        Ok(out)
    }
}

/// How many entities each event affects, by ARN: DescribeEntityAggregates
/// for 50 ARNs a request, the requests sent together. An event Health
/// gives no aggregate for affects none.
fn entity_counts(events: &[Event]) -> Result<HashMap<String, u64>, Error> {
    let arns: Vec<&str> = events.iter().map(|e| e.arn.as_str()).collect();
    let requests: Vec<Value> = arns.chunks(ARNS_PER_AGGREGATE).map(|arns| json!({ "eventArns": arns })).collect();
    let mut counts = HashMap::with_capacity(arns.len());
    for batch in requests.chunks(BATCH) {
        let calls: Vec<(&str, &str, &Value)> =
            batch.iter().map(|params| ("health", "DescribeEntityAggregates", params)).collect();
        for answer in call_many(&calls)? {
            let answer: Aggregates = serde_json::from_value(answer?)?;
            counts.extend(answer.entity_aggregates.into_iter().map(|a| (a.event_arn, a.count)));
        }
    }
    Ok(counts)
}

trawl_plugin_sdk::export_collector!(Health);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trawl_plugin_sdk::testing::{TestCloud, target};

    use super::*;

    fn here() -> Target {
        target("111111111111", "management", "us-east-1")
    }

    fn event(n: usize, status: &str) -> Value {
        json!({
            "arn": format!("arn:aws:health:us-east-1::event/EC2/X/X_{n}"),
            "service": "EC2",
            "eventTypeCode": "AWS_EC2_X",
            "eventTypeCategory": "issue",
            "region": "us-east-1",
            "startTime": 1_730_534_400.0 + n as f64,
            "lastUpdatedTime": 1_730_534_400.0,
            "statusCode": status,
            "eventScopeCode": "ACCOUNT_SPECIFIC",
        })
    }

    #[test]
    fn events_are_paged_filtered_and_counted_with_their_entities() {
        let out = TestCloud::new()
            .answer("health:DescribeEvents", json!({"events": [event(1, "open")], "nextToken": "p2"}))
            .answer("health:DescribeEvents", json!({"events": [event(2, "upcoming"), event(3, "open")]}))
            .answer(
                "health:DescribeEntityAggregates",
                json!({"entityAggregates": [
                    {"eventArn": "arn:aws:health:us-east-1::event/EC2/X/X_1", "count": 2, "statuses": {"IMPAIRED": 2}},
                    {"eventArn": "arn:aws:health:us-east-1::event/EC2/X/X_2", "count": 3},
                ]}),
            )
            .collect::<Health>(&here())
            .unwrap();
        // The filter from the default setting, a page size, the token.
        assert_eq!(
            out.calls[0].params,
            json!({"maxResults": 100, "filter": {"eventStatusCodes": ["open", "upcoming"]}})
        );
        assert_eq!(out.calls[1].params["nextToken"], "p2");
        // One aggregate request for the three events.
        assert_eq!(out.calls[2].operation, "DescribeEntityAggregates");
        assert_eq!(out.calls[2].params["eventArns"].as_array().unwrap().len(), 3);
        let counts: Vec<u64> = out.records.iter().map(|r| r["affected_entities"].as_u64().unwrap()).collect();
        assert_eq!(counts, [2, 3, 0], "an event without an aggregate affects nothing");
        assert_eq!(out.records[0]["start_time"], "2024-11-02T08:00:01Z");
        assert_eq!(out.records[1]["status"], "upcoming");
        let totals: Vec<(&str, u64)> = out.totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(totals, [("affected_entities", 5), ("events", 3), ("open", 2), ("upcoming", 1)]);
    }

    #[test]
    fn many_events_are_aggregated_fifty_at_a_time() {
        let events: Vec<Value> = (0..120).map(|n| event(n, "open")).collect();
        let mut cloud = TestCloud::new().answer("health:DescribeEvents", json!({ "events": events }));
        for _ in 0..3 {
            cloud = cloud.answer("health:DescribeEntityAggregates", json!({"entityAggregates": []}));
        }
        let out = cloud.collect::<Health>(&here()).unwrap();
        let sizes: Vec<usize> =
            out.calls[1..].iter().map(|c| c.params["eventArns"].as_array().unwrap().len()).collect();
        assert_eq!(sizes, [50, 50, 20]);
        assert_eq!(out.records.len(), 120);
    }

    #[test]
    fn statuses_setting_changes_the_filter_and_closed_is_counted() {
        let out = TestCloud::new()
            .set("statuses", vec!["closed"])
            .answer("health:DescribeEvents", json!({"events": [event(1, "closed")]}))
            .answer("health:DescribeEntityAggregates", json!({"entityAggregates": []}))
            .collect::<Health>(&here())
            .unwrap();
        assert_eq!(out.calls[0].params["filter"], json!({"eventStatusCodes": ["closed"]}));
        assert_eq!((out.totals["events"], out.totals["closed"]), (1, 1));
        // An empty list asks for every status: no filter.
        let out = TestCloud::new()
            .set("statuses", Vec::<&str>::new())
            .answer("health:DescribeEvents", json!({"events": []}))
            .collect::<Health>(&here())
            .unwrap();
        assert_eq!(out.calls[0].params, json!({"maxResults": 100}));
        assert_eq!(out.calls.len(), 1, "no aggregates asked for no events");
    }

    #[test]
    fn without_a_support_plan_the_target_is_skipped_with_that_code() {
        let e = TestCloud::new()
            .error("health:DescribeEvents", "SubscriptionRequiredException", "needs a Business plan")
            .collect::<Health>(&here())
            .unwrap_err();
        assert_eq!(e, Error::skipped("SubscriptionRequiredException", "needs a Business plan"));
    }

    #[test]
    fn a_failed_aggregate_fails_the_target_with_its_code() {
        let e = TestCloud::new()
            .answer("health:DescribeEvents", json!({"events": [event(1, "open")]}))
            .error("health:DescribeEntityAggregates", "InvalidParameterValue", "bad")
            .collect::<Health>(&here())
            .unwrap_err();
        assert_eq!(e.code(), "InvalidParameterValue");
        assert!(matches!(e, Error::Failed { .. }));
    }
}
