//! IAM: ListRoles and ListUsers with Marker/IsTruncated pagination, shaped
//! as the awsQuery XML converts to JSON.

use serde_json::{Map, Value, json};

use super::org::{Account, Principal};
use super::page;
use super::request::{Protocol, int, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

const P: Protocol = Protocol::Query;

/// Answers one IAM call.
pub fn handle(account: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    match call.operation.as_str() {
        "ListRoles" => list(account, &call.params, "ListRoles", &account.iam.roles, "Roles", "role"),
        "ListUsers" => list(account, &call.params, "ListUsers", &account.iam.users, "Users", "user"),
        _ => Err(unknown_operation(P, call)),
    }
}

fn list(
    account: &Account,
    params: &Map<String, Value>,
    operation: &str,
    all: &[Principal],
    key: &str,
    kind: &str,
) -> Result<Value, ApiError> {
    let size = int(P, params, "MaxItems", 1..=1000)?.unwrap_or(100);
    let prefix = text(params, "PathPrefix").unwrap_or("/");
    let matching: Vec<&Principal> = all.iter().filter(|p| p.path.starts_with(prefix)).collect();
    let start = page::offset(P, operation, text(params, "Marker"))?;
    let (items, next) = page::slice(&matching, start, Some(size));
    let (name_key, id_key) = if kind == "role" { ("RoleName", "RoleId") } else { ("UserName", "UserId") };
    let mut out = Map::new();
    if !items.is_empty() {
        let members = items
            .iter()
            .map(|p| {
                json!({
                    "Path": p.path,
                    name_key: p.name,
                    id_key: p.id,
                    "Arn": format!("arn:aws:iam::{}:{kind}{}{}", account.id, p.path, p.name),
                    "CreateDate": p.create_date,
                })
            })
            .collect();
        out.insert(key.into(), members);
    }
    out.insert("IsTruncated".into(), next.is_some().to_string().into());
    if let Some(next) = next {
        out.insert("Marker".into(), page::token(operation, next).into());
    }
    Ok(Value::Object(out))
}
