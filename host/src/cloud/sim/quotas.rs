//! Service Quotas: GetServiceQuota and ListServiceQuotas (awsJson1_1),
//! with `UsageMetric` for quotas whose usage CloudWatch measures (the
//! usage itself is answered by `monitoring` GetMetricData).

use serde_json::{Map, Value, json};

use super::org::{Account, Quota};
use super::page;
use super::request::{Protocol, int, invalid, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError, Target};

const P: Protocol = Protocol::Json;

/// Answers one Service Quotas call.
pub fn handle(account: &Account, target: &Target, call: &ApiCall) -> Result<Value, ApiError> {
    let quotas = account.regions.get(&target.region).map(|r| r.quotas.as_slice()).unwrap_or_default();
    let params = &call.params;
    let service = text(params, "ServiceCode").ok_or_else(|| invalid(P, "ServiceCode is required"))?;
    match call.operation.as_str() {
        "GetServiceQuota" => {
            let code = text(params, "QuotaCode").ok_or_else(|| invalid(P, "QuotaCode is required"))?;
            quotas
                .iter()
                .find(|q| q.service_code == service && q.code == code)
                .map(|q| json!({ "Quota": quota_json(q, account, target) }))
                .ok_or_else(|| {
                    ApiError::new("NoSuchResourceException", 400, format_args!("quota {service}/{code} does not exist"))
                })
        }
        "ListServiceQuotas" => {
            let size = int(P, params, "MaxResults", 1..=100)?;
            let matching: Vec<&Quota> = quotas.iter().filter(|q| q.service_code == service).collect();
            let start = page::offset(P, "ListServiceQuotas", text(params, "NextToken"))?;
            let (items, next) = page::slice(&matching, start, size);
            let mut out = json!({ "Quotas": items.iter().map(|q| quota_json(q, account, target)).collect::<Vec<_>>() });
            if let Some(next) = next {
                out["NextToken"] = page::token("ListServiceQuotas", next).into();
            }
            Ok(out)
        }
        _ => Err(unknown_operation(P, call)),
    }
}

fn quota_json(q: &Quota, account: &Account, target: &Target) -> Value {
    let mut quota = json!({
        "ServiceCode": q.service_code,
        "ServiceName": q.service_code.to_uppercase(),
        "QuotaArn": format!("arn:aws:servicequotas:{}:{}:{}/{}", target.region, account.id, q.service_code, q.code),
        "QuotaCode": q.code,
        "QuotaName": q.name,
        "Value": q.value,
        "Unit": q.unit,
        "Adjustable": q.adjustable,
        "GlobalQuota": false,
    });
    if let Some(metric) = &q.usage_metric {
        let dimensions: Map<String, Value> =
            metric.dimensions.iter().map(|(name, value)| (name.to_string(), value.as_ref().into())).collect();
        quota["UsageMetric"] = json!({
            "MetricNamespace": metric.namespace,
            "MetricName": metric.name,
            "MetricDimensions": dimensions,
            "MetricStatisticRecommendation": metric.statistic,
        });
    }
    quota
}
