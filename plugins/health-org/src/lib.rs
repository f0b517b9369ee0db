//! AWS Health's organizational view: one record per event of the whole
//! organisation (open and upcoming by default; the `statuses` setting
//! chooses), each with the accounts it affects (`affected_accounts`, every
//! page of DescribeAffectedAccountsForOrganization, the events' requests
//! sent together) and their number. Totals: `events`, `open`, `upcoming`,
//! `affected_accounts` (and `closed` when closed events are asked for).
//!
//! Organization-scoped: the host tries the accounts in order until one
//! answers. Only the management account (or a delegated administrator)
//! may use the organizational view; the others answer AccessDenied, and an
//! account without a Business or Enterprise plan
//! SubscriptionRequiredException, both of which skip that account and let
//! the host try the next.

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use trawl_health_events::{Tally, describe_events, info, pages_many, statuses};
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target};

struct HealthOrg;

#[derive(Serialize)]
struct Affected {
    affected_accounts: Vec<String>,
    affected_account_count: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AccountsPage {
    #[serde(default)]
    affected_accounts: Vec<String>,
}

impl Collector for HealthOrg {
    fn info() -> PluginInfo {
        info("health-org", env!("CARGO_PKG_VERSION"), Scope::Organization)
            .description("AWS Health events of the whole organisation (open and upcoming by default), with the accounts each affects")
            .permission("health:DescribeEventsForOrganization")
            .permission("health:DescribeAffectedAccountsForOrganization")
            .columns(["status", "affected_account_count", "event_type_code"])
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let statuses = statuses()?;
        let events = describe_events("DescribeEventsForOrganization", &statuses)?;
        let requests: Vec<Value> = events.iter().map(|e| json!({"eventArn": e.arn, "maxResults": 100})).collect();
        let accounts = pages_many("DescribeAffectedAccountsForOrganization", requests)?;
        let mut out = Collection::new();
        let mut tally = Tally::default();
        let mut affected = 0;
        for (event, pages) in events.into_iter().zip(accounts) {
            let mut ids = Vec::new();
            for page in pages? {
                ids.extend(serde_json::from_value::<AccountsPage>(page)?.affected_accounts);
            }
            ids.sort();
            ids.dedup();
            tally.count(&event.status_code);
            let count = ids.len() as u64;
            affected += count;
            out.push(&event.record(Affected { affected_accounts: ids, affected_account_count: count }))?;
        }
        tally.write(&mut out, &statuses);
        out.total("affected_accounts", affected);
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!(HealthOrg);

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
            "arn": format!("arn:aws:health:eu-west-1::event/RDS/M/M_{n}"),
            "service": "RDS",
            "eventTypeCode": "AWS_RDS_MAINTENANCE_SCHEDULED",
            "eventTypeCategory": "scheduledChange",
            "region": "eu-west-1",
            "startTime": 2_060_000_000.0,
            "statusCode": status,
        })
    }

    #[test]
    fn each_event_gets_every_page_of_its_affected_accounts() {
        let out = TestCloud::new()
            .answer("health:DescribeEventsForOrganization", json!({"events": [event(1, "upcoming")], "nextToken": "e2"}))
            .answer("health:DescribeEventsForOrganization", json!({"events": [event(2, "open"), event(3, "open")]}))
            // First pages of the three events, in one round...
            .answer(
                "health:DescribeAffectedAccountsForOrganization",
                json!({"affectedAccounts": ["222222222222", "111111111111"], "nextToken": "a2", "eventScopeCode": "ACCOUNT_SPECIFIC"}),
            )
            .answer("health:DescribeAffectedAccountsForOrganization", json!({"affectedAccounts": [], "eventScopeCode": "PUBLIC"}))
            .answer("health:DescribeAffectedAccountsForOrganization", json!({"affectedAccounts": ["333333333333"]}))
            // ...then the second page of the first.
            .answer("health:DescribeAffectedAccountsForOrganization", json!({"affectedAccounts": ["444444444444"]}))
            .collect::<HealthOrg>(&here())
            .unwrap();
        assert_eq!(out.calls[1].params["nextToken"], "e2");
        let asked: Vec<&Value> = out.calls[2..].iter().map(|c| &c.params).collect();
        assert_eq!(asked[0], &json!({"eventArn": "arn:aws:health:eu-west-1::event/RDS/M/M_1", "maxResults": 100}));
        assert_eq!(asked[3]["nextToken"], "a2");
        assert_eq!(asked[3]["eventArn"], "arn:aws:health:eu-west-1::event/RDS/M/M_1");
        assert_eq!(out.records[0]["affected_accounts"], json!(["111111111111", "222222222222", "444444444444"]));
        let counts: Vec<u64> = out.records.iter().map(|r| r["affected_account_count"].as_u64().unwrap()).collect();
        assert_eq!(counts, [3, 0, 1]);
        assert_eq!(out.records[0]["start_time"], "2035-04-12T14:13:20Z");
        let totals: Vec<(&str, u64)> = out.totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(totals, [("affected_accounts", 4), ("events", 3), ("open", 2), ("upcoming", 1)]);
    }

    #[test]
    fn a_member_account_is_skipped_so_the_host_tries_the_next() {
        let e = TestCloud::new()
            .error("health:DescribeEventsForOrganization", "AccessDeniedException", "management account only")
            .collect::<HealthOrg>(&target("222222222222", "production", "us-east-1"))
            .unwrap_err();
        assert!(matches!(e, Error::Skipped { ref code, .. } if code == "AccessDeniedException"), "{e:?}");
    }

    #[test]
    fn an_affected_accounts_error_fails_the_target() {
        let e = TestCloud::new()
            .answer("health:DescribeEventsForOrganization", json!({"events": [event(1, "open")]}))
            .error("health:DescribeAffectedAccountsForOrganization", "InvalidPaginationToken", "bad token")
            .collect::<HealthOrg>(&here())
            .unwrap_err();
        assert_eq!(e, Error::failed("InvalidPaginationToken", "bad token"));
    }
}
