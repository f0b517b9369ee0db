//! STS: GetCallerIdentity, answering as the role trawl assumed.

use serde_json::{Value, json};

use super::org::Account;
use super::request::{Protocol, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

/// Answers one STS call.
pub fn handle(account: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    match call.operation.as_str() {
        "GetCallerIdentity" => Ok(json!({
            "UserId": "AROASIMULATEDTRAWL0001:trawl",
            "Account": account.id,
            "Arn": format!("arn:aws:sts::{}:assumed-role/TrawlReadOnly/trawl", account.id),
        })),
        _ => Err(unknown_operation(Protocol::Query, call)),
    }
}
