//! An organization-scoped collector: asks STS who the host's credentials
//! are, once for the whole run (the first account that answers wins).

use serde::Deserialize;
use serde_json::json;
use trawl_plugin_sdk::{Collection, Collector, Error, PluginInfo, Scope, Target, call};

struct WhoAmI;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Identity {
    account: String,
    arn: String,
}

impl Collector for WhoAmI {
    fn info() -> PluginInfo {
        PluginInfo::new("whoami", "0.1.0", Scope::Organization)
            .description("the caller identity, once per run")
            .permission("sts:GetCallerIdentity")
            .columns(["account", "arn"])
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let me: Identity = call("sts", "GetCallerIdentity", &json!({}))?;
        let mut out = Collection::new();
        out.push(&json!({"account": me.account, "arn": me.arn}))?;
        Ok(out)
    }
}

trawl_plugin_sdk::export_collector!(WhoAmI);
