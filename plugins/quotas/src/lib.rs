//! Service Quotas utilisation: one record per quota with its value, its
//! usage as CloudWatch measures it, the usage in percent and an alert
//! status, per account and region.
//!
//! Which quotas: every quota of the `services` setting's services that has
//! a usage metric (ListServiceQuotas), plus the quotas the `quotas` setting
//! names as `SERVICE/CODE` (fetched with GetServiceQuota when the listing
//! did not hold them). The usage of all of them comes from ONE batched
//! CloudWatch GetMetricData request per target (split at CloudWatch's 500
//! queries a request), over the last hour at a 5-minute period with each
//! metric's recommended statistic, taking the latest datapoint.
//!
//! Status: `CRITICAL` at `critical` percent or more, `WARNING` at
//! `warning` percent or more (both compared with the percentage as shown,
//! rounded to 0.1), else `OK`; `UNKNOWN` when CloudWatch has no datapoint
//! (or the quota has no usage metric): never a made-up 0 %. Totals:
//! `quotas`, `warning`, `critical`, `unknown`.
//!
//! A region where Service Quotas has no endpoint is skipped by the host
//! (`trawl.NoEndpoint`), not failed.

use std::collections::{BTreeMap, HashMap};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trawl_plugin_sdk::{
    ApiError, Collection, Collector, Error, PluginInfo, Scope, Setting, Target, call, call_many, log, paginate, setting,
};

struct Quotas;

/// The quotas the seed checks, as the `quotas` setting's default.
const SEED_QUOTAS: [&str; 3] = ["ec2/L-1216C47A", "ec2/L-34B43A08", "lambda/L-B99A9384"];
/// Most queries one GetMetricData takes.
const MAX_QUERIES: usize = 500;
/// Most requests one `call_many` carries.
const BATCH: usize = 100;
/// The window the usage is read over, and its period.
const WINDOW: Duration = Duration::from_secs(3600);
const PERIOD: u64 = 300;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    #[serde(default)]
    quotas: Vec<Quota>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct One {
    quota: Quota,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Quota {
    service_code: String,
    quota_code: String,
    #[serde(default)]
    quota_name: String,
    #[serde(default)]
    value: f64,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    adjustable: bool,
    #[serde(default)]
    usage_metric: Option<UsageMetric>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsageMetric {
    metric_namespace: String,
    metric_name: String,
    #[serde(default)]
    metric_dimensions: BTreeMap<String, String>,
    #[serde(default)]
    metric_statistic_recommendation: Option<String>,
}

#[derive(Debug, Serialize)]
struct Record {
    service: String,
    quota_code: String,
    quota_name: String,
    value: f64,
    /// None: CloudWatch has no datapoint.
    usage: Option<f64>,
    usage_percent: Option<f64>,
    status: &'static str,
    unit: String,
    adjustable: bool,
}

impl Collector for Quotas {
    fn info() -> PluginInfo {
        PluginInfo::new("quotas", env!("CARGO_PKG_VERSION"), Scope::Regional)
            .description(
                "Service quota utilisation per account and region: usage from CloudWatch, WARNING and CRITICAL",
            )
            .permission("servicequotas:ListServiceQuotas")
            .permission("servicequotas:GetServiceQuota")
            .permission("monitoring:GetMetricData")
            .columns(["quota_code", "usage_percent", "status", "quota_name"])
            .key(["service", "quota_code"])
            .setting(
                Setting::text_list("services", ["ec2"])
                    .help("services (Service Quotas codes) whose every quota with a usage metric is checked"),
            )
            .setting(Setting::text_list("quotas", SEED_QUOTAS).help("more quotas to check, as SERVICE/QUOTA_CODE"))
            .setting(Setting::number("warning", 80.0).range(0, 100).help("usage percent from which a quota is WARNING"))
            .setting(
                Setting::number("critical", 90.0).range(0, 100).help("usage percent from which a quota is CRITICAL"),
            )
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let services: Vec<String> = setting("services")?;
        let named = named_quotas(setting("quotas")?)?;
        let warning: f64 = setting("warning")?;
        let critical: f64 = setting("critical")?;
        if warning > critical {
            return Err(Error::failed(
                "InvalidSetting",
                format!(
                    "quotas.warning ({warning}) is above quotas.critical ({critical}): a quota would turn CRITICAL \
                     before WARNING; set warning <= critical"
                ),
            ));
        }

        let quotas = chosen_quotas(&services, &named)?;
        let usage = usages(&quotas)?;
        let mut out = Collection::new();
        let (mut warned, mut critical_n, mut unknown) = (0, 0, 0);
        for (i, q) in quotas.into_iter().enumerate() {
            let usage = usage.get(&i).copied();
            let (usage_percent, status) = assess(q.value, usage, warning, critical);
            match status {
                "WARNING" => warned += 1,
                "CRITICAL" => critical_n += 1,
                "UNKNOWN" => unknown += 1,
                _ => {}
            }
            out.push(&Record {
                service: q.service_code,
                quota_code: q.quota_code,
                quota_name: q.quota_name,
                value: q.value,
                usage,
                usage_percent,
                status,
                unit: q.unit,
                adjustable: q.adjustable,
            })?;
        }
        let n = out.len() as u64;
        out.total("quotas", n).total("warning", warned).total("critical", critical_n).total("unknown", unknown);
        Ok(out)
    }
}

/// `SERVICE/CODE` entries, each once; a malformed one fails the target
/// naming it (the host checks kinds, not this shape).
fn named_quotas(entries: Vec<String>) -> Result<Vec<(String, String)>, Error> {
    let mut out: Vec<(String, String)> = Vec::with_capacity(entries.len());
    for entry in entries {
        let parsed = entry
            .split_once('/')
            .map(|(s, c)| (s.trim().to_owned(), c.trim().to_owned()))
            .filter(|(s, c)| !s.is_empty() && !c.is_empty() && !c.contains('/'));
        let Some(pair) = parsed else {
            return Err(Error::failed(
                "InvalidSetting",
                format!("quotas.quotas entry {entry:?} is not SERVICE/QUOTA_CODE (e.g. ec2/L-1216C47A)"),
            ));
        };
        if !out.contains(&pair) {
            out.push(pair);
        }
    }
    Ok(out)
}

/// The quotas to check, in order: the services' quotas with a usage
/// metric as listed, then the named ones not among them (from the listing
/// when it held them, else GetServiceQuota). A service or quota this
/// region does not have is left out with a warning.
fn chosen_quotas(services: &[String], named: &[(String, String)]) -> Result<Vec<Quota>, Error> {
    let mut listed: Vec<Quota> = Vec::new();
    let mut seen_services: Vec<&str> = Vec::new();
    for service in services.iter().map(|s| s.trim()) {
        if service.is_empty() || seen_services.contains(&service) {
            continue;
        }
        seen_services.push(service);
        let params = json!({"ServiceCode": service, "MaxResults": 100});
        for page in paginate::<Page>("servicequotas", "ListServiceQuotas", params) {
            match page {
                Ok(page) => listed.extend(page.quotas),
                Err(e) if e.code == "NoSuchResourceException" => {
                    log::warn(&format!("service {service:?} has no quotas here: {}", e.message));
                    break;
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    let key = |q: &Quota| (q.service_code.clone(), q.quota_code.clone());
    let index: HashMap<(String, String), usize> = listed.iter().enumerate().map(|(i, q)| (key(q), i)).collect();
    let mut chosen: Vec<Quota> = listed.iter().filter(|q| q.usage_metric.is_some()).cloned().collect();
    let mut missing = Vec::new();
    for pair in named {
        if chosen.iter().any(|q| key(q) == *pair) {
            continue;
        }
        match index.get(pair) {
            Some(&i) => chosen.push(listed[i].clone()),
            None => missing.push(pair),
        }
    }
    let params: Vec<Value> = missing.iter().map(|(s, c)| json!({"ServiceCode": s, "QuotaCode": c})).collect();
    let requests: Vec<(&str, &str, &Value)> = params.iter().map(|p| ("servicequotas", "GetServiceQuota", p)).collect();
    for batch in requests.chunks(BATCH) {
        for (answer, (_, _, params)) in call_many(batch)?.into_iter().zip(batch) {
            match answer {
                Ok(v) => chosen.push(serde_json::from_value::<One>(v)?.quota),
                Err(e) if e.code == "NoSuchResourceException" => {
                    log::warn(&format!(
                        "quota {}/{} does not exist here: {}",
                        params["ServiceCode"].as_str().unwrap_or_default(),
                        params["QuotaCode"].as_str().unwrap_or_default(),
                        e.message
                    ));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(chosen)
}

/// The latest usage of each quota with a usage metric, by its index in
/// `quotas`: all the queries in one GetMetricData request (one per 500
/// queries, sent together), every page of each. A denied GetMetricData
/// leaves every usage unknown, with a warning.
fn usages(quotas: &[Quota]) -> Result<HashMap<usize, f64>, Error> {
    let queries: Vec<(usize, Value)> =
        quotas.iter().enumerate().filter_map(|(i, q)| q.usage_metric.as_ref().map(|m| (i, query(i, m)))).collect();
    if queries.is_empty() {
        return Ok(HashMap::new());
    }
    let now = SystemTime::now().duration_since(UNIX_EPOCH).unwrap_or_default();
    let (start, end) = (iso(now.saturating_sub(WINDOW)), iso(now));
    let requests: Vec<Value> = queries
        .chunks(MAX_QUERIES)
        .map(|chunk| {
            json!({
                "MetricDataQueries": chunk.iter().map(|(_, q)| q).collect::<Vec<_>>(),
                "StartTime": start,
                "EndTime": end,
                "ScanBy": "TimestampDescending",
            })
        })
        .collect();
    let calls: Vec<(&str, &str, &Value)> = requests.iter().map(|r| ("monitoring", "GetMetricData", r)).collect();
    // Id -> (time, value) of the latest datapoint seen.
    let mut latest: HashMap<String, (String, f64)> = HashMap::new();
    for batch in calls.chunks(BATCH) {
        for (answer, (_, _, params)) in call_many(batch)?.into_iter().zip(batch) {
            let mut answer = match answer {
                Err(e) if e.is_access_denied() => {
                    log::warn(&format!("monitoring:GetMetricData was denied ({}): usage unknown", e.code));
                    return Ok(HashMap::new());
                }
                other => other?,
            };
            let mut last_token: Option<String> = None;
            loop {
                read_datapoints(&answer, &mut latest);
                let Some(token) = answer.get("NextToken").and_then(Value::as_str).filter(|t| !t.is_empty()) else {
                    break;
                };
                if last_token.as_deref() == Some(token) {
                    return Err(
                        ApiError::new("trawl.PaginationLoop", "GetMetricData returned the same token twice").into()
                    );
                }
                last_token = Some(token.to_owned());
                let mut next = (*params).clone();
                next["NextToken"] = token.into();
                answer = call("monitoring", "GetMetricData", &next)?;
            }
        }
    }
    Ok(queries.iter().filter_map(|(i, _)| latest.get(&id(*i)).map(|(_, v)| (*i, *v))).collect())
}

fn id(i: usize) -> String {
    format!("q{i}")
}

/// The GetMetricData query of quota `i`'s usage metric.
fn query(i: usize, m: &UsageMetric) -> Value {
    let dimensions: Vec<Value> =
        m.metric_dimensions.iter().map(|(name, value)| json!({"Name": name, "Value": value})).collect();
    let mut metric = json!({"Namespace": m.metric_namespace, "MetricName": m.metric_name});
    if !dimensions.is_empty() {
        metric["Dimensions"] = dimensions.into();
    }
    let stat = m.metric_statistic_recommendation.as_deref().filter(|s| !s.is_empty()).unwrap_or("Maximum");
    json!({
        "Id": id(i),
        "MetricStat": {"Metric": metric, "Period": PERIOD, "Stat": stat},
        "ReturnData": true,
    })
}

/// Keeps, per query id, the latest datapoint of a GetMetricData answer.
/// Values and times may be strings (the query protocol's XML) or numbers
/// and epoch seconds (JSON); ISO times compare as text.
fn read_datapoints(answer: &Value, latest: &mut HashMap<String, (String, f64)>) {
    for result in answer.get("MetricDataResults").and_then(Value::as_array).into_iter().flatten() {
        let Some(id) = result.get("Id").and_then(Value::as_str) else { continue };
        let list = |key: &str| result.get(key).and_then(Value::as_array).cloned().unwrap_or_default();
        for (time, value) in list("Timestamps").iter().zip(list("Values").iter()) {
            let time = match time {
                Value::String(s) => s.clone(),
                // Epoch seconds, padded so they compare as text too.
                Value::Number(n) => format!("{:020.3}", n.as_f64().unwrap_or(0.0)),
                _ => continue,
            };
            let value = match value {
                Value::String(s) => s.trim().parse::<f64>().ok(),
                Value::Number(n) => n.as_f64(),
                _ => None,
            };
            let Some(value) = value.filter(|v| v.is_finite()) else { continue };
            let newer = latest.get(id).is_none_or(|(seen, _)| time > *seen);
            if newer {
                latest.insert(id.to_owned(), (time, value));
            }
        }
    }
}

/// `2026-03-01T10:05:00Z` for a time since the epoch (whole seconds, UTC).
fn iso(since_epoch: Duration) -> String {
    let secs = i64::try_from(since_epoch.as_secs()).unwrap_or(i64::MAX);
    OffsetDateTime::from_unix_timestamp(secs)
        .ok()
        .and_then(|t| t.format(&Rfc3339).ok())
        .unwrap_or_else(|| "1970-01-01T00:00:00Z".to_owned())
}

/// Usage percent (rounded to 0.1) and status of a quota of `value` with
/// `usage`. A quota of 0 has no percentage: any use of it is CRITICAL.
fn assess(value: f64, usage: Option<f64>, warning: f64, critical: f64) -> (Option<f64>, &'static str) {
    let Some(usage) = usage else { return (None, "UNKNOWN") };
    if value <= 0.0 {
        return (None, if usage > 0.0 { "CRITICAL" } else { "OK" });
    }
    let percent = (usage / value * 1000.0).round() / 10.0;
    let status = if percent >= critical {
        "CRITICAL"
    } else if percent >= warning {
        "WARNING"
    } else {
        "OK"
    };
    (Some(percent), status)
}

trawl_plugin_sdk::export_collector!(Quotas);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trawl_plugin_sdk::testing::{TestCloud, target};

    use super::*;

    fn here() -> Target {
        target("111111111111", "management", "us-east-1")
    }

    fn vcpus(class: &str) -> Value {
        json!({
            "MetricNamespace": "AWS/Usage",
            "MetricName": "ResourceCount",
            "MetricDimensions": {"Class": class, "Resource": "vCPU", "Service": "EC2", "Type": "Resource"},
            "MetricStatisticRecommendation": "Maximum",
        })
    }

    fn quota(service: &str, code: &str, value: f64, metric: Option<Value>) -> Value {
        let mut q = json!({
            "ServiceCode": service, "ServiceName": service.to_uppercase(), "QuotaCode": code,
            "QuotaName": format!("quota {code}"), "Value": value, "Unit": "None", "Adjustable": true, "GlobalQuota": false,
        });
        if let Some(m) = metric {
            q["UsageMetric"] = m;
        }
        q
    }

    fn result(id: &str, points: &[(&str, &str)]) -> Value {
        let mut r = json!({"Id": id, "Label": "ResourceCount", "StatusCode": "Complete"});
        if !points.is_empty() {
            r["Timestamps"] = points.iter().map(|p| p.0).collect::<Vec<_>>().into();
            r["Values"] = points.iter().map(|p| p.1).collect::<Vec<_>>().into();
        }
        r
    }

    /// The demo's us-east-1 case: CRITICAL, WARNING, no datapoint, OK, and
    /// lambda (named, not an ec2 quota) fetched on its own.
    fn demo() -> TestCloud {
        TestCloud::new()
            .answer(
                "servicequotas:ListServiceQuotas",
                json!({"Quotas": [
                    quota("ec2", "L-1216C47A", 256.0, Some(vcpus("Standard/OnDemand"))),
                    quota("ec2", "L-34B43A08", 640.0, Some(vcpus("Standard/Spot"))),
                ], "NextToken": "p2"}),
            )
            .answer(
                "servicequotas:ListServiceQuotas",
                json!({"Quotas": [
                    quota("ec2", "L-DB2E81BA", 64.0, Some(vcpus("G/OnDemand"))),
                    quota("ec2", "L-417A185B", 96.0, Some(vcpus("P/OnDemand"))),
                    quota("ec2", "L-NOMETRIC", 5.0, None),
                ]}),
            )
            .answer(
                "servicequotas:GetServiceQuota",
                json!({"Quota": quota("lambda", "L-B99A9384", 1000.0, Some(json!({
                    "MetricNamespace": "AWS/Lambda", "MetricName": "ConcurrentExecutions",
                    "MetricDimensions": {}, "MetricStatisticRecommendation": "Maximum"})))}),
            )
            .answer(
                "monitoring:GetMetricData",
                json!({"MetricDataResults": [
                    result("q0", &[("2026-03-01T10:05:00Z", "240.0"), ("2026-03-01T10:00:00Z", "10.0")]),
                    result("q1", &[("2026-03-01T10:00:00Z", "100.0"), ("2026-03-01T10:05:00Z", "540.0")]),
                    result("q2", &[]),
                    result("q3", &[("2026-03-01T10:05:00Z", "12.0")]),
                    result("q4", &[("2026-03-01T10:05:00Z", "350.0")]),
                ]}),
            )
    }

    fn statuses(records: &[Value]) -> Vec<(String, Value, Value, String)> {
        records
            .iter()
            .map(|r| {
                (
                    r["quota_code"].as_str().unwrap().to_owned(),
                    r["usage"].clone(),
                    r["usage_percent"].clone(),
                    r["status"].as_str().unwrap().to_owned(),
                )
            })
            .collect()
    }

    #[test]
    fn usage_percent_and_status_per_quota_from_one_metric_request() {
        let out = demo().collect::<Quotas>(&here()).unwrap();
        assert_eq!(
            statuses(&out.records),
            [
                ("L-1216C47A".into(), json!(240.0), json!(93.8), "CRITICAL".into()),
                ("L-34B43A08".into(), json!(540.0), json!(84.4), "WARNING".into()),
                ("L-DB2E81BA".into(), Value::Null, Value::Null, "UNKNOWN".into()),
                ("L-417A185B".into(), json!(12.0), json!(12.5), "OK".into()),
                ("L-B99A9384".into(), json!(350.0), json!(35.0), "OK".into()),
            ]
        );
        let metric_calls: Vec<_> = out.calls.iter().filter(|c| c.operation == "GetMetricData").collect();
        assert_eq!(metric_calls.len(), 1, "one request for every quota");
        let params = &metric_calls[0].params;
        let queries = params["MetricDataQueries"].as_array().unwrap();
        assert_eq!(queries.len(), 5);
        assert_eq!(
            queries[0],
            json!({"Id": "q0", "ReturnData": true, "MetricStat": {"Period": 300, "Stat": "Maximum", "Metric": {
                "Namespace": "AWS/Usage", "MetricName": "ResourceCount", "Dimensions": [
                    {"Name": "Class", "Value": "Standard/OnDemand"}, {"Name": "Resource", "Value": "vCPU"},
                    {"Name": "Service", "Value": "EC2"}, {"Name": "Type", "Value": "Resource"}]}}})
        );
        assert!(queries[4]["MetricStat"]["Metric"].get("Dimensions").is_none(), "no empty list");
        // The last hour.
        let (start, end) = (params["StartTime"].as_str().unwrap(), params["EndTime"].as_str().unwrap());
        assert_eq!(start.len(), 20);
        assert!(start < end);
        // Listed quotas are not fetched again; lambda is.
        let fetched: Vec<&Value> =
            out.calls.iter().filter(|c| c.operation == "GetServiceQuota").map(|c| &c.params).collect();
        assert_eq!(fetched, [&json!({"ServiceCode": "lambda", "QuotaCode": "L-B99A9384"})]);
        assert_eq!(out.calls[1].params["NextToken"], "p2");
        let totals: Vec<(&str, u64)> = out.totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(totals, [("critical", 1), ("quotas", 5), ("unknown", 1), ("warning", 1)]);
        assert_eq!(out.records[0]["service"], "ec2");
        assert_eq!(out.records[0]["adjustable"], true);
    }

    #[test]
    fn thresholds_are_settings_and_must_be_in_order() {
        let out = demo().set("warning", 10.0).set("critical", 94.0).collect::<Quotas>(&here()).unwrap();
        let got: Vec<String> = statuses(&out.records).into_iter().map(|s| s.3).collect();
        assert_eq!(got, ["WARNING", "WARNING", "UNKNOWN", "WARNING", "WARNING"]);
        let e = TestCloud::new().set("warning", 95.0).set("critical", 90.0).collect::<Quotas>(&here()).unwrap_err();
        assert!(
            matches!(&e, Error::Failed { code, message } if code == "InvalidSetting" && message.contains("warning (95)")),
            "{e:?}"
        );
    }

    #[test]
    fn named_quotas_without_a_metric_are_unknown_and_bad_names_fail() {
        let out = TestCloud::new()
            .set("services", vec!["vpc"])
            .set("quotas", vec!["vpc/L-F678F1CE", "vpc/L-F678F1CE"])
            .answer("servicequotas:ListServiceQuotas", json!({"Quotas": [quota("vpc", "L-F678F1CE", 5.0, None)]}))
            .collect::<Quotas>(&here())
            .unwrap();
        assert_eq!(statuses(&out.records), [("L-F678F1CE".into(), Value::Null, Value::Null, "UNKNOWN".into())]);
        assert_eq!(out.calls.len(), 1, "no metric request without metrics: {:?}", out.calls);

        let e = TestCloud::new().set("quotas", vec!["ec2-L-1216C47A"]).collect::<Quotas>(&here()).unwrap_err();
        assert!(e.to_string().contains("\"ec2-L-1216C47A\" is not SERVICE/QUOTA_CODE"), "{e}");
    }

    #[test]
    fn quotas_a_region_lacks_are_left_out_and_no_endpoint_skips() {
        let out = TestCloud::new()
            .set("services", vec!["nosuch"])
            .set("quotas", vec!["lambda/L-NOPE"])
            .error("servicequotas:ListServiceQuotas", "NoSuchResourceException", "no such service")
            .error("servicequotas:GetServiceQuota", "NoSuchResourceException", "no such quota")
            .collect::<Quotas>(&here())
            .unwrap();
        assert!(out.records.is_empty());
        assert_eq!(out.totals["quotas"], 0);
        assert_eq!(out.logs.len(), 2, "{:?}", out.logs);
        let e = TestCloud::new()
            .error("servicequotas:ListServiceQuotas", "trawl.NoEndpoint", "servicequotas has no endpoint")
            .collect::<Quotas>(&here())
            .unwrap_err();
        assert!(matches!(e, Error::Skipped { ref code, .. } if code == "trawl.NoEndpoint"), "{e:?}");
    }

    #[test]
    fn more_than_500_queries_are_split_and_pages_followed() {
        let listed: Vec<Value> =
            (0..620).map(|i| quota("ec2", &format!("L-{i:08}"), 100.0, Some(vcpus(&format!("C{i}"))))).collect();
        let out = TestCloud::new()
            .set("quotas", Vec::<&str>::new())
            .answer("servicequotas:ListServiceQuotas", json!({ "Quotas": listed }))
            .answer(
                "monitoring:GetMetricData",
                json!({"MetricDataResults": [result("q0", &[("2026-03-01T10:05:00Z", "95")])], "NextToken": "more"}),
            )
            // The second request's only page, then the first's second page.
            .answer(
                "monitoring:GetMetricData",
                json!({"MetricDataResults": [result("q600", &[("2026-03-01T10:05:00Z", "81")])]}),
            )
            .answer(
                "monitoring:GetMetricData",
                json!({"MetricDataResults": [result("q1", &[("2026-03-01T10:05:00Z", "50")])]}),
            )
            .collect::<Quotas>(&here())
            .unwrap();
        let sizes: Vec<usize> = out
            .calls
            .iter()
            .filter(|c| c.operation == "GetMetricData" && c.params.get("NextToken").is_none())
            .map(|c| c.params["MetricDataQueries"].as_array().unwrap().len())
            .collect();
        assert_eq!(sizes, [500, 120]);
        let follow = out.calls.iter().find(|c| c.params.get("NextToken").is_some()).unwrap();
        assert_eq!(
            (follow.params["NextToken"].as_str(), follow.params["MetricDataQueries"].as_array().unwrap().len()),
            (Some("more"), 500)
        );
        let status = |i: usize| out.records[i]["status"].as_str().unwrap();
        assert_eq!((status(0), status(1), status(600), status(2)), ("CRITICAL", "OK", "WARNING", "UNKNOWN"));
        assert_eq!((out.totals["unknown"], out.totals["quotas"]), (617, 620));
    }

    #[test]
    fn a_denied_metric_request_leaves_usage_unknown() {
        let out = TestCloud::new()
            .set("quotas", Vec::<&str>::new())
            .answer(
                "servicequotas:ListServiceQuotas",
                json!({"Quotas": [quota("ec2", "L-1216C47A", 256.0, Some(vcpus("Standard/OnDemand")))]}),
            )
            .error("monitoring:GetMetricData", "AccessDenied", "no CloudWatch")
            .collect::<Quotas>(&here())
            .unwrap();
        assert_eq!(out.records[0]["status"], "UNKNOWN");
        assert!(out.logs[0].contains("GetMetricData was denied"), "{:?}", out.logs);
    }

    #[test]
    fn percent_rounding_zero_quotas_and_dates() {
        assert_eq!(assess(256.0, Some(240.0), 80.0, 90.0), (Some(93.8), "CRITICAL"));
        assert_eq!(assess(1000.0, Some(799.6), 80.0, 90.0), (Some(80.0), "WARNING"), "as shown");
        assert_eq!(assess(0.0, Some(1.0), 80.0, 90.0), (None, "CRITICAL"));
        assert_eq!(assess(0.0, Some(0.0), 80.0, 90.0), (None, "OK"));
        assert_eq!(assess(10.0, None, 80.0, 90.0), (None, "UNKNOWN"));
        assert_eq!(iso(Duration::from_secs(1_772_359_500)), "2026-03-01T10:05:00Z");
        assert_eq!(iso(Duration::from_secs(951_782_400)), "2000-02-29T00:00:00Z");
    }
}
