//! Service Quotas: one record per applied EC2 quota in each account and
//! region, with the per-target totals `quotas` and `adjustable`. A region
//! where Service Quotas has no endpoint is skipped by the host, not failed.

use serde::{Deserialize, Serialize};
use serde_json::json;
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target, paginate};

struct Quotas;

/// The service whose quotas are listed.
const SERVICE_CODE: &str = "ec2";

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Page {
    #[serde(default)]
    quotas: Vec<Quota>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Quota {
    quota_code: String,
    quota_name: String,
    value: f64,
    #[serde(default)]
    unit: String,
    #[serde(default)]
    adjustable: bool,
}

#[derive(Serialize)]
struct Record {
    quota_code: String,
    quota_name: String,
    value: f64,
    unit: String,
    adjustable: bool,
}

impl Collector for Quotas {
    fn info() -> PluginInfo {
        PluginInfo::new("quotas", env!("CARGO_PKG_VERSION"), Scope::Regional)
            .description("Applied EC2 service quotas per account and region")
            .permission("servicequotas:ListServiceQuotas")
            .columns(["quota_code", "quota_name", "value", "unit", "adjustable"])
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let mut out = Collection::new();
        let mut adjustable = 0;
        let params = json!({"ServiceCode": SERVICE_CODE, "MaxResults": 100});
        for page in paginate::<Page>("servicequotas", "ListServiceQuotas", params) {
            for q in page?.quotas {
                adjustable += u64::from(q.adjustable);
                out.push(&Record {
                    quota_code: q.quota_code,
                    quota_name: q.quota_name,
                    value: q.value,
                    unit: q.unit,
                    adjustable: q.adjustable,
                })?;
            }
        }
        let quotas = out.len() as u64;
        out.total("quotas", quotas).total("adjustable", adjustable);
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!(Quotas);
