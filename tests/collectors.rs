//! The collectors (iam, health, health-org, quotas) against what the
//! simulated cloud holds: every expected record and total is computed
//! here, independently, from `host sim export` (the demo organisation as
//! data), not from another run. The same collectors over HTTP through
//! `host sim serve` and the AWS backend give the same results; IAM and
//! Service Quotas also run against moto_server; operators' settings change
//! the results, and bad ones are one-line input errors.

use std::collections::BTreeMap;
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use serde_json::{Value, json};
use trawl_tests::{EXIT_INPUT, SimServer, host, host_command, plugin, results_by_place, run_command};

const DAY: i64 = 86_400;

/// The demo organisation as `host sim export` prints it.
fn demo() -> Value {
    let export = host(&["sim", "export"]);
    assert_eq!(export.status, 0, "{}", export.stderr);
    export.json()
}

/// `host run PLUGIN ARGS -o json` over the demo, which must exit 0.
fn run(name: &str, args: &[&str]) -> Value {
    let path = plugin(name);
    let mut all = vec!["run", path.to_str().unwrap(), "-o", "json"];
    all.extend_from_slice(args);
    let run = host(&all);
    assert_eq!(run.status, 0, "{name} {args:?}: {}", run.stderr);
    run.json()
}

fn now() -> i64 {
    SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Seconds since the epoch of an ISO 8601 time as the simulator writes it.
fn seconds(iso: &str) -> i64 {
    let t = humantime::parse_rfc3339_weak(iso.trim_end_matches('Z')).unwrap_or_else(|e| panic!("{iso}: {e}"));
    t.duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
}

/// Health's epoch seconds as RFC 3339 text in whole seconds.
fn rfc3339(secs: f64) -> String {
    humantime::format_rfc3339_seconds(UNIX_EPOCH + Duration::from_secs(secs.floor() as u64)).to_string()
}

fn array(v: &Value) -> &[Value] {
    v.as_array().map(Vec::as_slice).unwrap_or_default()
}

fn str_of(v: &Value) -> &str {
    v.as_str().unwrap_or_else(|| panic!("not a string: {v}"))
}

/// `account_name/region` -> result, from a JSON report.
fn places(doc: &Value) -> BTreeMap<String, Value> {
    results_by_place(doc)
}

/// Totals of one result as name -> count.
fn totals(result: &Value) -> BTreeMap<String, u64> {
    result["totals"].as_object().unwrap().iter().map(|(k, v)| (k.clone(), v.as_u64().unwrap())).collect()
}

fn counts<const N: usize>(pairs: [(&str, u64); N]) -> BTreeMap<String, u64> {
    pairs.into_iter().map(|(k, v)| (k.to_owned(), v)).collect()
}

// ---------------------------------------------------------------- IAM

/// The records and totals the iam collector must give for `account`, at
/// `now`, with keys stale after `days`.
fn expected_iam(account: &Value, now: i64, days: i64) -> (Vec<Value>, BTreeMap<String, u64>) {
    let (mut without_mfa, mut stale_total) = (0, 0);
    let records: Vec<Value> = array(&account["iam"]["users"])
        .iter()
        .map(|u| {
            let keys: Vec<Value> = array(&u["access_keys"])
                .iter()
                .map(|k| {
                    let created = seconds(str_of(&k["create_date"]));
                    let last_used = k["last_used"]["date"].as_str();
                    let since = last_used.map_or(created, seconds);
                    let stale = k["status"] == "Active" && now - since > days * DAY;
                    json!({
                        "access_key_id": k["id"],
                        "status": k["status"],
                        "created": k["create_date"],
                        "age_days": (now - created).div_euclid(DAY),
                        "last_used": last_used,
                        "last_used_service": k["last_used"]["service"],
                        "stale": stale,
                    })
                })
                .collect();
            let stale = keys.iter().filter(|k| k["stale"] == true).count() as u64;
            let mfa = !array(&u["mfa_devices"]).is_empty();
            without_mfa += u64::from(!mfa);
            stale_total += stale;
            let path = u["path"].as_str().unwrap_or("/");
            json!({
                "user_name": u["name"],
                "arn": format!("arn:aws:iam::{}:user{path}{}", str_of(&account["id"]), str_of(&u["name"])),
                "created": u["create_date"],
                "password_last_used": u["password_last_used"],
                "mfa_enabled": mfa,
                "access_keys": keys,
                "stale_keys": stale,
                "denied": [],
            })
        })
        .collect();
    let totals = counts([
        ("users", records.len() as u64),
        ("without_mfa", without_mfa),
        ("stale_keys", stale_total),
        ("roles", array(&account["iam"]["roles"]).len() as u64),
    ]);
    (records, totals)
}

/// Checks an iam report against the organisation: every account once, in
/// us-east-1, each user as [`expected_iam`] says (as of any second the run
/// took: `before..=after`).
fn check_iam(doc: &Value, org: &Value, days: i64, (before, after): (i64, i64)) {
    let results = places(doc);
    assert_eq!(results.len(), array(&org["accounts"]).len(), "{:?}", results.keys());
    for account in array(&org["accounts"]) {
        let place = format!("{}/us-east-1", str_of(&account["name"]));
        let result = &results[&place];
        assert_eq!(result["status"], "succeeded", "{place}: {result}");
        let matches = |now| {
            let (records, totals_expected) = expected_iam(account, now, days);
            result["records"] == Value::Array(records) && totals(result) == totals_expected
        };
        if !matches(after) && !matches(before) {
            let (records, totals_expected) = expected_iam(account, after, days);
            panic!(
                "{place} (stale after {days} days):\nexpected {}\n{totals_expected:?}\ngot      {}\n{:?}",
                Value::Array(records),
                result["records"],
                totals(result)
            );
        }
    }
}

#[test]
fn iam_lists_every_user_with_mfa_access_keys_and_stale_keys() {
    let org = demo();
    let before = now();
    let doc = run("iam", &[]);
    check_iam(&doc, &org, 90, (before, now()));

    // The demo's documented cases, by name, in the management account.
    let management = &places(&doc)["management/us-east-1"];
    let user = |name: &str| array(&management["records"]).iter().find(|r| r["user_name"] == name).unwrap().clone();
    let mfa: Vec<bool> = (0..6).map(|i| user(&format!("user-{i:03}"))["mfa_enabled"].as_bool().unwrap()).collect();
    assert_eq!(mfa, [true, false, false, true, false, true]);
    assert_eq!(user("user-000")["access_keys"][0]["stale"], false, "used 2 days ago");
    assert_eq!(user("user-000")["access_keys"][0]["last_used_service"], "s3");
    assert_eq!(user("user-001")["access_keys"][0]["stale"], true, "last used 200 days ago");
    let never = &user("user-002")["access_keys"][0];
    assert_eq!(
        (&never["stale"], &never["last_used"], &never["last_used_service"]),
        (&json!(true), &Value::Null, &Value::Null)
    );
    assert_eq!(user("user-002")["password_last_used"], Value::Null, "never signed in");
    let keys = user("user-003")["access_keys"].clone();
    assert_eq!((&keys[0]["status"], &keys[0]["stale"]), (&json!("Inactive"), &json!(false)), "inactive: never stale");
    assert_eq!(keys[1]["stale"], false);
    assert_eq!(user("user-004")["access_keys"], json!([]));
    assert_eq!(totals(management), counts([("users", 6), ("without_mfa", 3), ("stale_keys", 2), ("roles", 12)]));
    let summary = &doc["summary"]["totals"];
    let per_account: u64 = places(&doc).values().map(|r| totals(r)["users"]).sum();
    assert_eq!(summary["users"], per_account);
}

#[test]
fn stale_after_days_changes_which_keys_are_stale() {
    let org = demo();
    let before = now();
    let doc = run("iam", &["--set", "iam.stale_after_days=365"]);
    check_iam(&doc, &org, 365, (before, now()));
    // user-001's key, last used 200 days ago, is no longer stale; user-002's,
    // never used since 2022, still is.
    let management = &places(&doc)["management/us-east-1"];
    assert_eq!(totals(management)["stale_keys"], 1);
    assert_eq!(management["records"][1]["access_keys"][0]["stale"], false);

    let before = now();
    let doc = run("iam", &["--set", "iam.stale_after_days=1"]);
    check_iam(&doc, &org, 1, (before, now()));
}

// ------------------------------------------------------------- Health

/// The record of a Health event as both Health collectors give it, with
/// the collector's own fields after.
fn event_record(e: &Value, extra: Value) -> Value {
    let start = e["start_time"].as_f64().unwrap();
    let updated = e["last_updated_time"].as_f64().or(e["end_time"].as_f64()).unwrap_or(start);
    let end = (e["status"] == "closed").then(|| rfc3339(e["end_time"].as_f64().unwrap_or(updated)));
    let mut record = json!({
        "arn": e["arn"],
        "service": e["service"],
        "event_type_code": e["event_type_code"],
        "category": e["category"],
        "region": e["region"],
        "status": e["status"],
        "start_time": rfc3339(start),
        "end_time": end,
    });
    record.as_object_mut().unwrap().extend(extra.as_object().unwrap().clone());
    record
}

fn by_arn(records: &Value) -> BTreeMap<String, Value> {
    array(records).iter().map(|r| (str_of(&r["arn"]).to_owned(), r.clone())).collect()
}

fn has_health(account: &Value) -> bool {
    matches!(account["support_plan"].as_str(), Some("business" | "enterprise"))
}

/// Checks a health report: accounts with Business or Enterprise support
/// list their events of `statuses` with entity counts; the others are
/// skipped with SubscriptionRequiredException.
fn check_health(doc: &Value, org: &Value, statuses: &[&str]) {
    let results = places(doc);
    assert_eq!(results.len(), array(&org["accounts"]).len());
    for account in array(&org["accounts"]) {
        let place = format!("{}/us-east-1", str_of(&account["name"]));
        let result = &results[&place];
        if !has_health(account) {
            assert_eq!(result["status"], "skipped", "{place}: {result}");
            assert_eq!(result["error"]["code"], "SubscriptionRequiredException", "{place}");
            continue;
        }
        assert_eq!(result["status"], "succeeded", "{place}: {result}");
        let events: Vec<&Value> =
            array(&account["health_events"]).iter().filter(|e| statuses.contains(&str_of(&e["status"]))).collect();
        let expected: BTreeMap<String, Value> = events
            .iter()
            .map(|e| {
                let n = array(&e["entities"]).len();
                (str_of(&e["arn"]).to_owned(), event_record(e, json!({"affected_entities": n})))
            })
            .collect();
        assert_eq!(by_arn(&result["records"]), expected, "{place}");
        let status = |s: &str| events.iter().filter(|e| e["status"] == s).count() as u64;
        let mut want = counts([
            ("events", events.len() as u64),
            ("open", status("open")),
            ("upcoming", status("upcoming")),
            ("affected_entities", events.iter().map(|e| array(&e["entities"]).len() as u64).sum()),
        ]);
        if statuses.contains(&"closed") {
            want.insert("closed".into(), status("closed"));
        }
        assert_eq!(totals(result), want, "{place}");
    }
}

#[test]
fn health_lists_open_and_upcoming_events_and_skips_accounts_without_a_plan() {
    let org = demo();
    let doc = run("health", &[]);
    check_health(&doc, &org, &["open", "upcoming"]);
    assert_eq!((&doc["summary"]["succeeded"], &doc["summary"]["skipped"]), (&json!(2), &json!(2)));
    // The documented cases: the management account's open EC2 issue with
    // two instances, the shared RDS maintenance (one database here, two
    // in production), production's open EBS issue with three volumes.
    let results = places(&doc);
    let management = by_arn(&results["management/us-east-1"]["records"]);
    let rds = "arn:aws:health:eu-west-1::event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/AWS_RDS_MAINTENANCE_SCHEDULED_DEMO_4";
    assert_eq!(management[rds]["affected_entities"], 1);
    assert_eq!(management[rds]["start_time"], "2035-04-15T02:00:00Z");
    let production = by_arn(&results["production/us-east-1"]["records"]);
    assert_eq!(production[rds]["affected_entities"], 2);
    assert_eq!(totals(&results["production/us-east-1"])["affected_entities"], 5);
    assert!(management.values().all(|r| r["status"] != "closed"));
}

#[test]
fn the_statuses_setting_chooses_the_events() {
    let org = demo();
    check_health(&run("health", &["--set", "health.statuses=closed"]), &org, &["closed"]);
    let all = run("health", &["--set", "health.statuses=open,upcoming,closed"]);
    check_health(&all, &org, &["open", "upcoming", "closed"]);
    // The management account's closed EBS issue has its end time.
    let management = by_arn(&places(&all)["management/us-east-1"]["records"]);
    let lost = &management["arn:aws:health:us-east-1::event/EBS/AWS_EBS_VOLUME_LOST/AWS_EBS_VOLUME_LOST_DEMO_3"];
    assert_eq!((&lost["status"], &lost["end_time"]), (&json!("closed"), &json!("2024-06-10T10:00:00Z")));
}

/// The organizational view as the demo holds it: each event of `statuses`
/// once, with the accounts that have it (none for a public event).
fn check_health_org(doc: &Value, org: &Value, statuses: &[&str]) {
    let results = array(&doc["results"]);
    assert_eq!(results.len(), 1, "organization-scoped: one target");
    let result = &results[0];
    assert_eq!((&result["status"], &result["account_id"]), (&json!("succeeded"), &json!("111111111111")));
    let mut expected: BTreeMap<String, (Value, Vec<String>)> = BTreeMap::new();
    for account in array(&org["accounts"]) {
        for e in array(&account["health_events"]).iter().filter(|e| statuses.contains(&str_of(&e["status"]))) {
            let entry = expected.entry(str_of(&e["arn"]).to_owned()).or_insert_with(|| (e.clone(), Vec::new()));
            entry.1.push(str_of(&account["id"]).to_owned());
        }
    }
    let mut affected_total = 0;
    let mut status = BTreeMap::<String, u64>::new();
    let expected: BTreeMap<String, Value> = expected
        .into_iter()
        .map(|(arn, (e, mut ids))| {
            if e["scope"] == "PUBLIC" {
                ids.clear();
            }
            ids.sort();
            affected_total += ids.len() as u64;
            *status.entry(str_of(&e["status"]).to_owned()).or_default() += 1;
            let n = ids.len();
            (arn, event_record(&e, json!({"affected_accounts": ids, "affected_account_count": n})))
        })
        .collect();
    assert_eq!(by_arn(&result["records"]), expected);
    let mut want = counts([
        ("events", expected.len() as u64),
        ("open", status.get("open").copied().unwrap_or(0)),
        ("upcoming", status.get("upcoming").copied().unwrap_or(0)),
        ("affected_accounts", affected_total),
    ]);
    if statuses.contains(&"closed") {
        want.insert("closed".into(), status.get("closed").copied().unwrap_or(0));
    }
    assert_eq!(totals(result), want);
}

#[test]
fn health_org_runs_once_for_the_whole_organisation() {
    let org = demo();
    let doc = run("health-org", &[]);
    check_health_org(&doc, &org, &["open", "upcoming"]);
    let rds = "arn:aws:health:eu-west-1::event/RDS/AWS_RDS_MAINTENANCE_SCHEDULED/AWS_RDS_MAINTENANCE_SCHEDULED_DEMO_4";
    let shared = &by_arn(&doc["results"][0]["records"])[rds];
    assert_eq!(shared["affected_accounts"], json!(["111111111111", "222222222222"]), "listed once, both accounts");
    assert_eq!(shared["affected_account_count"], 2);

    let closed = run("health-org", &["--set", "health-org.statuses=closed"]);
    check_health_org(&closed, &org, &["closed"]);
    let public = "arn:aws:health:us-east-1::event/S3/AWS_S3_OPERATIONAL_ISSUE/AWS_S3_OPERATIONAL_ISSUE_DEMO_5";
    assert_eq!(by_arn(&closed["results"][0]["records"])[public]["affected_accounts"], json!([]), "a public event");

    // Started from a member account (listed first), the organizational view
    // is refused there and the host moves on to the management account.
    let member_first = run("health-org", &["--accounts", "222222222222,111111111111"]);
    assert_eq!(member_first["results"][0]["account_id"], "111111111111", "{member_first}");
}

// ------------------------------------------------------------- Quotas

/// What the quotas collector must give for one region's quotas: `services`'
/// quotas with a usage metric, then the `named` ones not among them.
fn expected_quotas(region: &Value, services: &[&str], named: &[&str], warning: f64, critical: f64) -> Vec<Value> {
    let quotas = array(&region["quotas"]);
    let key = |q: &Value| format!("{}/{}", str_of(&q["service_code"]), str_of(&q["code"]));
    let mut chosen: Vec<&Value> = quotas
        .iter()
        .filter(|q| services.contains(&str_of(&q["service_code"])) && q["usage_metric"].is_object())
        .collect();
    for name in named {
        if !chosen.iter().any(|q| key(q) == *name)
            && let Some(q) = quotas.iter().find(|q| key(q) == *name)
        {
            chosen.push(q);
        }
    }
    chosen
        .into_iter()
        .map(|q| {
            let value = q["value"].as_f64().unwrap();
            let usage = if q["usage_metric"].is_object() { q["usage"].as_f64() } else { None };
            let percent = usage.map(|u| (u / value * 1000.0).round() / 10.0);
            let status = match percent {
                None => "UNKNOWN",
                Some(p) if p >= critical => "CRITICAL",
                Some(p) if p >= warning => "WARNING",
                Some(_) => "OK",
            };
            json!({
                "service": q["service_code"],
                "quota_code": q["code"],
                "quota_name": q["name"],
                "value": value,
                "usage": usage,
                "usage_percent": percent,
                "status": status,
                "unit": q["unit"],
                "adjustable": q["adjustable"],
            })
        })
        .collect()
}

const SEED_QUOTAS: [&str; 3] = ["ec2/L-1216C47A", "ec2/L-34B43A08", "lambda/L-B99A9384"];

/// Checks a quotas report against every (account, region) of the
/// organisation: denied regions skipped, the rest as [`expected_quotas`].
fn check_quotas(doc: &Value, org: &Value, warning: f64, critical: f64) {
    let results = places(doc);
    let mut seen = 0;
    for account in array(&org["accounts"]) {
        for (region, data) in account["regions"].as_object().unwrap() {
            seen += 1;
            let place = format!("{}/{region}", str_of(&account["name"]));
            let result = &results[&place];
            let denied = array(&account["denied"]).iter().any(|d| {
                d["region"].as_str().is_none_or(|r| r == region)
                    && d["service"].as_str().is_none_or(|s| s == "servicequotas")
            });
            if denied {
                assert_eq!(result["status"], "skipped", "{place}: {result}");
                continue;
            }
            assert_eq!(result["status"], "succeeded", "{place}: {result}");
            let expected = expected_quotas(data, &["ec2"], &SEED_QUOTAS, warning, critical);
            assert_eq!(result["records"], Value::Array(expected.clone()), "{place}");
            let status = |s: &str| expected.iter().filter(|r| r["status"] == s).count() as u64;
            let want = counts([
                ("quotas", expected.len() as u64),
                ("warning", status("WARNING")),
                ("critical", status("CRITICAL")),
                ("unknown", status("UNKNOWN")),
            ]);
            assert_eq!(totals(result), want, "{place}");
        }
    }
    assert_eq!(results.len(), seen);
}

/// quota code -> (usage, usage_percent, status) of one result.
fn quota_states(result: &Value) -> BTreeMap<String, (Value, Value, String)> {
    array(&result["records"])
        .iter()
        .map(|r| {
            let state = (r["usage"].clone(), r["usage_percent"].clone(), str_of(&r["status"]).to_owned());
            (str_of(&r["quota_code"]).to_owned(), state)
        })
        .collect()
}

#[test]
fn quotas_show_usage_percent_and_status_per_quota_including_unknown() {
    let org = demo();
    let doc = run("quotas", &[]);
    check_quotas(&doc, &org, 80.0, 90.0);
    // The documented cases, management account, us-east-1 and eu-west-1.
    let results = places(&doc);
    let us = quota_states(&results["management/us-east-1"]);
    let state = |usage: Value, percent: Value, status: &str| (usage, percent, status.to_owned());
    assert_eq!(us["L-1216C47A"], state(json!(240.0), json!(93.8), "CRITICAL"));
    assert_eq!(us["L-34B43A08"], state(json!(540.0), json!(84.4), "WARNING"));
    assert_eq!(us["L-DB2E81BA"], state(Value::Null, Value::Null, "UNKNOWN"), "no datapoint: unknown, not 0 %");
    assert_eq!(us["L-417A185B"], state(json!(12.0), json!(12.5), "OK"));
    assert_eq!(us["L-B99A9384"], state(json!(350.0), json!(35.0), "OK"));
    assert!(!us.contains_key("L-F678F1CE"), "vpc is neither a listed service nor a named quota");
    assert_eq!(quota_states(&results["management/eu-west-1"])["L-1216C47A"], state(json!(64.0), json!(25.0), "OK"));
    assert_eq!(results["sandbox/ap-northeast-2"]["status"], "skipped", "denied by an SCP");
}

#[test]
fn thresholds_and_quota_lists_are_settings() {
    let org = demo();
    let doc = run("quotas", &["--set", "quotas.warning=30", "--set", "quotas.critical=84"]);
    check_quotas(&doc, &org, 30.0, 84.0);
    let us = quota_states(&places(&doc)["management/us-east-1"]);
    assert_eq!(us["L-34B43A08"].2, "CRITICAL", "84.4 % is critical from 84 %");
    assert_eq!(us["L-B99A9384"].2, "WARNING", "35 % warns from 30 %");

    // Another service, one named quota, and a named quota without a usage
    // metric (unknown, never 0 %).
    let doc = run(
        "quotas",
        &["--set", "quotas.services=lambda", "--set", "quotas.quotas=vpc/L-F678F1CE", "--regions", "us-east-1"],
    );
    let management = &org["accounts"][0]["regions"]["us-east-1"];
    let expected = expected_quotas(management, &["lambda"], &["vpc/L-F678F1CE"], 80.0, 90.0);
    let result = &places(&doc)["management/us-east-1"];
    assert_eq!(result["records"], Value::Array(expected));
    assert_eq!(quota_states(result)["L-F678F1CE"], (Value::Null, Value::Null, "UNKNOWN".to_owned()));

    // warning above critical: every target fails, saying why.
    let path = plugin("quotas");
    let refused = host(&[
        "run",
        path.to_str().unwrap(),
        "--set",
        "quotas.warning=95",
        "--set",
        "quotas.critical=90",
        "-o",
        "json",
    ]);
    assert_eq!(refused.status, trawl_tests::EXIT_TARGETS_FAILED, "{}", refused.stderr);
    let doc = refused.json();
    for result in array(&doc["results"]).iter().filter(|r| r["status"] != "skipped") {
        assert_eq!((&result["status"], &result["error"]["code"]), (&json!("failed"), &json!("InvalidSetting")));
        let message = str_of(&result["error"]["message"]);
        assert!(message.contains("warning (95)") && message.contains("critical (90)"), "{message}");
    }
}

// ------------------------------------------------- over HTTP, in one run

/// (account, region) -> (status, records, totals, error code).
fn outcomes(doc: &Value) -> BTreeMap<(String, String), Value> {
    array(&doc["results"])
        .iter()
        .map(|r| {
            let key = (str_of(&r["account_id"]).to_owned(), str_of(&r["region"]).to_owned());
            (key, json!([r["status"], r["records"], r["totals"], r["error"]["code"]]))
        })
        .collect()
}

#[test]
fn the_same_results_over_http_through_sim_serve() {
    let server = SimServer::start(&[]);
    let org = demo();
    for name in ["iam", "health", "health-org", "quotas"] {
        let before = now();
        let out = run_command(&mut server.run(
            name,
            "AKIA111111111111DEMO",
            &["--org", "--role-name", "OrganizationAccountAccessRole"],
        ));
        assert_eq!(out.status, 0, "{name}: {}", out.stderr);
        let over_http = out.json();
        let in_process = run(name, &[]);
        assert_eq!(over_http["run"]["backend"], "aws", "{}", over_http["run"]);
        assert!(
            outcomes(&over_http) == outcomes(&in_process),
            "{name}: over HTTP\n{over_http}\nin process\n{in_process}"
        );
        match name {
            "iam" => check_iam(&over_http, &org, 90, (before, now())),
            "health" => check_health(&over_http, &org, &["open", "upcoming"]),
            "health-org" => check_health_org(&over_http, &org, &["open", "upcoming"]),
            _ => check_quotas(&over_http, &org, 80.0, 90.0),
        }
    }
}

#[test]
fn four_collectors_in_one_run_as_json_and_as_a_table() {
    let names = ["ebs", "iam", "health", "quotas"];
    let paths: Vec<String> = names.iter().map(|n| plugin(n).display().to_string()).collect();
    let mut args: Vec<&str> = vec!["run"];
    args.extend(paths.iter().map(String::as_str));

    let mut json_args = args.clone();
    json_args.extend(["-o", "json"]);
    let together = host(&json_args);
    assert_eq!(together.status, 0, "{}", together.stderr);
    let doc = together.json();
    let plugins = array(&doc["plugins"]);
    let got: Vec<&str> = plugins.iter().map(|p| str_of(&p["plugin"]["name"])).collect();
    assert_eq!(got, names);
    // Each plugin's report is what it gives alone.
    for (report, name) in plugins.iter().zip(names) {
        let alone = run(name, &[]);
        assert!(outcomes(report) == outcomes(&alone), "{name} differs in a shared run");
        assert_eq!(report["summary"]["totals"], alone["summary"]["totals"], "{name}");
    }

    // A table each, a summary line each, then the run's line; 80 columns
    // when told so, and no colour when stdout is not a terminal.
    let mut table_args = args.clone();
    table_args.extend(["-o", "table"]);
    let table = run_command(host_command(&table_args).env("COLUMNS", "80"));
    assert_eq!(table.status, 0, "{}", table.stderr);
    let text = &table.stdout;
    assert!(!text.contains('\u{1b}'), "colour without a terminal:\n{text}");
    for line in text.lines().filter(|l| l.starts_with(['┌', '│', '╞', '└'])) {
        assert!(line.chars().count() <= 80, "wider than 80 columns: {line}");
    }
    for name in names {
        assert!(text.lines().any(|l| l.starts_with(&format!("{name} 0.1.0: "))), "{name} summary:\n{text}");
    }
    for header in
        ["size_gib", "user_name", "mfa_enabled", "affected_entities", "event_type_code", "quota_code", "status"]
    {
        assert!(text.contains(header), "{header} column:\n{text}");
    }
    assert!(text.contains("SubscriptionRequiredExc"), "health's skipped targets are listed:\n{text}");
    assert!(text.lines().last().unwrap().starts_with("run: "), "{text}");
}

#[test]
fn severities_are_coloured_on_a_terminal_only_and_never_with_no_color() {
    // `script` gives the host a terminal for stdout (util-linux).
    let path = plugin("quotas");
    let args = [
        "run",
        path.to_str().unwrap(),
        "-o",
        "table",
        "--no-progress",
        "--accounts",
        "111111111111",
        "--regions",
        "us-east-1",
    ];
    let on_terminal = |no_color: Option<&str>| -> String {
        let host = host_command(&args);
        let mut line = format!("{:?}", host.get_program());
        for arg in host.get_args() {
            line += &format!(" {:?}", arg.to_str().unwrap());
        }
        let mut script = Command::new("script");
        script.args(["-qec", &line, "/dev/null"]).env("COLUMNS", "100");
        for (key, value) in host.get_envs() {
            match value {
                Some(v) => script.env(key, v),
                None => script.env_remove(key),
            };
        }
        script.env_remove("NO_COLOR");
        if let Some(v) = no_color {
            script.env("NO_COLOR", v);
        }
        let out = script.output().expect("`script` (util-linux) runs");
        assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
        String::from_utf8(out.stdout).unwrap()
    };
    let coloured = on_terminal(None);
    let line = |text: &str, code: &str| text.lines().find(|l| l.contains(code)).unwrap_or_default().to_owned();
    let critical = line(&coloured, "L-1216C47A");
    let warning = line(&coloured, "L-34B43A08");
    assert!(critical.contains("\u{1b}[38;5;9m") && critical.contains("CRITICAL"), "red CRITICAL: {coloured:?}");
    assert!(warning.contains("\u{1b}[38;5;11m") && warning.contains("WARNING"), "yellow WARNING: {coloured:?}");
    assert!(!line(&coloured, "L-417A185B").contains('\u{1b}'), "OK stays plain");
    assert!(!line(&coloured, "L-DB2E81BA").contains('\u{1b}'), "UNKNOWN stays plain");
    // Colour changes no width.
    let plain = on_terminal(Some("1"));
    assert!(!plain.contains('\u{1b}'), "NO_COLOR: {plain:?}");
    let width = |l: &str| {
        l.replace("\u{1b}[38;5;9m", "").replace("\u{1b}[38;5;11m", "").replace("\u{1b}[39m", "").chars().count()
    };
    assert_eq!(width(&critical), line(&plain, "L-1216C47A").chars().count());
    // An empty NO_COLOR does not count (no-color.org).
    assert!(on_terminal(Some("")).contains("\u{1b}[38;5;9m"));
}

// ---------------------------------------------------------- bad input

#[test]
fn bad_settings_are_one_line_input_errors() {
    for (name, set, names) in [
        ("iam", "iam.nope=1", &["nope", "stale_after_days"][..]),
        ("iam", "iam.stale_after_days=soon", &["iam.stale_after_days", "soon"][..]),
        ("iam", "iam.stale_after_days=0", &["iam.stale_after_days", "1 and 3650"][..]),
        ("iam", "iam.stale_after_days=3651", &["iam.stale_after_days"][..]),
        ("quotas", "quotas.warning=150", &["quotas.warning", "0 and 100"][..]),
        ("quotas", "quotas.critical=-1", &["quotas.critical"][..]),
        ("quotas", "quotas.warning=high", &["quotas.warning", "high"][..]),
        ("health", "health.statuses=resolved", &["health.statuses", "resolved", "open, upcoming, closed"][..]),
        ("health-org", "health-org.statuses=open,gone", &["health-org.statuses", "gone"][..]),
    ] {
        let path = plugin(name);
        let out = host(&["run", path.to_str().unwrap(), "--set", set, "-o", "json"]);
        assert_eq!(out.status, EXIT_INPUT, "{set}: {}", out.stderr);
        assert_eq!(out.stderr.lines().count(), 1, "{set}: one line: {}", out.stderr);
        assert!(out.stdout.is_empty(), "{set}: nothing ran");
        for word in names {
            assert!(out.stderr.contains(word), "{set}: {word} in {}", out.stderr);
        }
    }
}

// --------------------------------------------------------------- moto

struct Moto {
    child: Child,
    url: String,
}

impl Drop for Moto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// moto_server on a free loopback port.
fn moto() -> Moto {
    let port = TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let child = Command::new("moto_server")
        .args(["-H", "127.0.0.1", "-p", &port.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("moto_server runs (python3 -m pip install 'moto[server]')");
    let moto = Moto { child, url: format!("http://127.0.0.1:{port}") };
    let started = Instant::now();
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(started.elapsed() < Duration::from_secs(30), "moto_server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    moto
}

/// Users in moto's default account (123456789012), made with boto3:
/// alice with an enabled virtual MFA device and a key she then uses (an
/// STS call signed with it), bob with an active and an inactive key, both
/// never used, carol with nothing. Prints the keys and the role count.
const SEED_IAM: &str = r#"
import json, sys, boto3
url = sys.argv[1]
kw = dict(endpoint_url=url, region_name="us-east-1")
iam = boto3.client("iam", aws_access_key_id="AKIAIOSFODNN7EXAMPLE", aws_secret_access_key="x", **kw)
iam.create_user(UserName="alice")
alice = iam.create_access_key(UserName="alice")["AccessKey"]
device = iam.create_virtual_mfa_device(VirtualMFADeviceName="alice")["VirtualMFADevice"]
iam.enable_mfa_device(UserName="alice", SerialNumber=device["SerialNumber"],
                      AuthenticationCode1="123456", AuthenticationCode2="654321")
boto3.client("sts", aws_access_key_id=alice["AccessKeyId"], aws_secret_access_key=alice["SecretAccessKey"],
             **kw).get_caller_identity()
iam.create_user(UserName="bob")
bob1 = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
bob2 = iam.create_access_key(UserName="bob")["AccessKey"]["AccessKeyId"]
iam.update_access_key(UserName="bob", AccessKeyId=bob2, Status="Inactive")
iam.create_user(UserName="carol")
print(json.dumps({"alice": alice["AccessKeyId"], "bob": [bob1, bob2], "roles": len(iam.list_roles()["Roles"])}))
"#;

/// `host run PLUGIN --aws --endpoint-url MOTO`, one attempt per call
/// (moto answers what it lacks with HTML 500s), as moto's default account.
fn run_at_moto(moto: &Moto, name: &str, args: &[&str]) -> Value {
    let path = plugin(name);
    let mut all = vec!["run", path.to_str().unwrap(), "--aws", "--endpoint-url", &moto.url, "--max-attempts", "1"];
    all.extend_from_slice(args);
    all.extend(["-o", "json"]);
    let out = run_command(
        host_command(&all).env("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE").env("AWS_SECRET_ACCESS_KEY", "x"),
    );
    assert_eq!(out.status, 0, "{}\n{}", out.stderr, out.stdout);
    out.json()
}

#[test]
fn iam_against_moto_users_mfa_and_keys_made_with_boto3() {
    let moto = moto();
    let seed = Command::new("python3").args(["-c", SEED_IAM, &moto.url]).output().unwrap();
    assert!(seed.status.success(), "seeding moto: {}", String::from_utf8_lossy(&seed.stderr));
    let made: Value = serde_json::from_slice(&seed.stdout).unwrap();

    let doc = run_at_moto(&moto, "iam", &[]);
    let results = array(&doc["results"]);
    assert_eq!(results.len(), 1);
    let result = &results[0];
    assert_eq!((&result["status"], &result["account_id"]), (&json!("succeeded"), &json!("123456789012")));
    let users: BTreeMap<&str, &Value> =
        array(&result["records"]).iter().map(|r| (str_of(&r["user_name"]), r)).collect();
    assert_eq!(users.keys().copied().collect::<Vec<_>>(), ["alice", "bob", "carol"]);

    let alice = users["alice"];
    assert_eq!((&alice["mfa_enabled"], &alice["arn"]), (&json!(true), &json!("arn:aws:iam::123456789012:user/alice")));
    assert_eq!(alice["password_last_used"], Value::Null);
    let key = &alice["access_keys"][0];
    assert_eq!(key["access_key_id"], made["alice"]);
    assert_eq!((&key["status"], &key["age_days"], &key["stale"]), (&json!("Active"), &json!(0), &json!(false)));
    assert_eq!(key["last_used_service"], "sts", "moto records the STS call made with the key: {key}");
    assert!(key["last_used"].as_str().is_some_and(|d| d.starts_with("20")), "{key}");

    let bob = users["bob"];
    assert_eq!(bob["mfa_enabled"], false);
    let ids: Vec<&Value> = array(&bob["access_keys"]).iter().map(|k| &k["access_key_id"]).collect();
    assert_eq!(ids, array(&made["bob"]).iter().collect::<Vec<_>>());
    let statuses: Vec<&Value> = array(&bob["access_keys"]).iter().map(|k| &k["status"]).collect();
    assert_eq!(statuses, [&json!("Active"), &json!("Inactive")]);
    for k in array(&bob["access_keys"]) {
        assert_eq!(
            (&k["last_used"], &k["last_used_service"], &k["stale"]),
            (&Value::Null, &Value::Null, &json!(false))
        );
    }
    assert_eq!((&users["carol"]["access_keys"], &users["carol"]["mfa_enabled"]), (&json!([]), &json!(false)));
    for user in users.values() {
        assert_eq!(user["denied"], json!([]));
    }
    assert_eq!(
        totals(result),
        counts([("users", 3), ("without_mfa", 2), ("stale_keys", 0), ("roles", made["roles"].as_u64().unwrap())])
    );
    // Keys made a moment ago are stale after no number of days.
    let doc = run_at_moto(&moto, "iam", &["--set", "iam.stale_after_days=1"]);
    assert_eq!(totals(&doc["results"][0])["stale_keys"], 0);
}

#[test]
fn quotas_against_moto_are_unknown_without_usage_metrics_not_a_crash() {
    let moto = moto();
    // moto serves Service Quotas for vpc only, without usage metrics (and,
    // before 5.2.5, without ListServiceQuotas): the named quota is fetched
    // with GetServiceQuota and has no usage; one moto lacks is left out.
    let doc = run_at_moto(
        &moto,
        "quotas",
        &[
            "--regions",
            "us-east-1",
            "--set",
            "quotas.services=",
            "--set",
            "quotas.quotas=vpc/L-F678F1CE,lambda/L-B99A9384",
        ],
    );
    let result = &doc["results"][0];
    assert_eq!(result["status"], "succeeded", "{result}");
    let records = array(&result["records"]);
    assert_eq!(records.len(), 1, "{result}");
    let vpc = &records[0];
    assert_eq!(
        (&vpc["service"], &vpc["quota_code"], &vpc["value"]),
        (&json!("vpc"), &json!("L-F678F1CE"), &json!(5.0))
    );
    assert_eq!((&vpc["usage"], &vpc["usage_percent"], &vpc["status"]), (&Value::Null, &Value::Null, &json!("UNKNOWN")));
    assert_eq!(totals(result), counts([("quotas", 1), ("warning", 0), ("critical", 0), ("unknown", 1)]));
}
