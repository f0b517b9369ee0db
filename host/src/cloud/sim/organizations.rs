//! AWS Organizations: ListAccounts, answered only to the management
//! account (the organisation's first), paginated with NextToken.

use serde_json::{Value, json};

use super::org::{Account, Organization};
use super::page;
use super::request::{Protocol, access_denied, int, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

const P: Protocol = Protocol::Json;

/// Answers one Organizations call made by `caller`.
pub fn handle(org: &Organization, caller: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    if call.operation != "ListAccounts" {
        return Err(unknown_operation(P, call));
    }
    if org.accounts.first().map(|a| a.id.as_str()) != Some(caller.id.as_str()) {
        return Err(access_denied(P, call, "only the management account can list the organisation's accounts"));
    }
    let size = int(P, &call.params, "MaxResults", 1..=20)?;
    let start = page::offset(P, "ListAccounts", text(&call.params, "NextToken"))?;
    let (items, next) = page::slice(&org.accounts, start, size);
    let management = &org.accounts[0].id;
    let accounts: Vec<Value> = items
        .iter()
        .map(|a| {
            json!({
                "Id": a.id,
                "Arn": format!("arn:aws:organizations::{management}:account/o-simulated/{}", a.id),
                "Email": format!("{}@example.com", a.name),
                "Name": a.name,
                "Status": a.status,
                "JoinedMethod": if a.id == *management { "CREATED" } else { "INVITED" },
                "JoinedTimestamp": 1_600_000_000.0,
            })
        })
        .collect();
    let mut out = json!({ "Accounts": accounts });
    if let Some(next) = next {
        out["NextToken"] = page::token("ListAccounts", next).into();
    }
    Ok(out)
}
