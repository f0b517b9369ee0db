//! STS: GetCallerIdentity, answering as the role trawl assumed, and
//! AssumeRole into any account of the organisation, answering with keys of
//! that account (as moto does; the role need not exist). An account that
//! denies `sts` refuses the assumption.

use std::time::{Duration, SystemTime};

use serde_json::{Value, json};

use super::org::{Account, Organization};
use super::request::{Protocol, access_denied, invalid, text, unknown_operation};
use super::serve::access_key_for;
use crate::cloud::{ApiCall, ApiError};

/// Answers one STS call made by `caller`.
pub fn handle(org: &Organization, caller: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    match call.operation.as_str() {
        "GetCallerIdentity" => Ok(json!({
            "UserId": "AROASIMULATEDTRAWL0001:trawl",
            "Account": caller.id,
            "Arn": format!("arn:aws:sts::{}:assumed-role/TrawlReadOnly/trawl", caller.id),
        })),
        "AssumeRole" => assume_role(org, call),
        _ => Err(unknown_operation(Protocol::Query, call)),
    }
}

fn assume_role(org: &Organization, call: &ApiCall) -> Result<Value, ApiError> {
    let arn = text(&call.params, "RoleArn").ok_or_else(|| invalid(Protocol::Query, "RoleArn is required"))?;
    let session = text(&call.params, "RoleSessionName").unwrap_or("trawl");
    let parsed = arn.strip_prefix("arn:aws:iam::").and_then(|rest| rest.split_once(":role/"));
    let Some((account_id, role)) = parsed else {
        return Err(invalid(Protocol::Query, format_args!("{arn:?} is not a role ARN")));
    };
    let Some(target) = org.account(account_id).filter(|a| !a.denies("sts", "")) else {
        return Err(access_denied(Protocol::Query, call, &format!("cannot assume {arn}")));
    };
    let expires = SystemTime::now() + Duration::from_secs(3600);
    let key = access_key_for(&target.id).replacen("AKIA", "ASIA", 1);
    Ok(json!({
        "Credentials": {
            "AccessKeyId": key,
            "SecretAccessKey": format!("simulated-secret-{}", target.id),
            "SessionToken": format!("simulated-session-{}-{session}", target.id),
            "Expiration": humantime::format_rfc3339_seconds(expires).to_string(),
        },
        "AssumedRoleUser": {
            "AssumedRoleId": format!("AROASIMULATED{}:{session}", target.id),
            "Arn": format!("arn:aws:sts::{}:assumed-role/{role}/{session}", target.id),
        },
    }))
}
