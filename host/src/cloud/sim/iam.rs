//! IAM: ListRoles, ListUsers, ListMFADevices and ListAccessKeys with
//! Marker/IsTruncated pagination, and GetAccessKeyLastUsed, shaped as the
//! awsQuery XML converts to JSON.
//!
//! The caller is always a role (trawl assumes one), so the operations
//! that default to "the calling user" want `UserName`, as AWS does for
//! role credentials.

use serde_json::{Map, Value, json};

use super::org::{Account, User};
use super::page;
use super::request::{Protocol, int, invalid, text, unknown_operation};
use crate::cloud::{ApiCall, ApiError};

const P: Protocol = Protocol::Query;

/// Answers one IAM call.
pub fn handle(account: &Account, call: &ApiCall) -> Result<Value, ApiError> {
    let params = &call.params;
    match call.operation.as_str() {
        "ListRoles" => {
            let prefix = text(params, "PathPrefix").unwrap_or("/");
            let roles: Vec<_> = account.iam.roles.iter().filter(|r| r.path.starts_with(prefix)).collect();
            list(params, "ListRoles", &roles, "Roles", |r| {
                json!({
                    "Path": r.path,
                    "RoleName": r.name,
                    "RoleId": r.id,
                    "Arn": format!("arn:aws:iam::{}:role{}{}", account.id, r.path, r.name),
                    "CreateDate": r.create_date,
                })
            })
        }
        "ListUsers" => {
            let prefix = text(params, "PathPrefix").unwrap_or("/");
            let users: Vec<_> = account.iam.users.iter().filter(|u| u.path.starts_with(prefix)).collect();
            list(params, "ListUsers", &users, "Users", |u| {
                let mut user = json!({
                    "Path": u.path,
                    "UserName": u.name,
                    "UserId": u.id,
                    "Arn": format!("arn:aws:iam::{}:user{}{}", account.id, u.path, u.name),
                    "CreateDate": u.create_date,
                });
                if let Some(used) = &u.password_last_used {
                    user["PasswordLastUsed"] = used.as_str().into();
                }
                user
            })
        }
        "ListMFADevices" => {
            let user = user(account, params)?;
            let devices: Vec<_> = user.mfa_devices.iter().collect();
            list(
                params,
                "ListMFADevices",
                &devices,
                "MFADevices",
                |d| json!({"UserName": user.name, "SerialNumber": d.serial_number, "EnableDate": d.enable_date}),
            )
        }
        "ListAccessKeys" => {
            let user = user(account, params)?;
            let keys: Vec<_> = user.access_keys.iter().collect();
            list(
                params,
                "ListAccessKeys",
                &keys,
                "AccessKeyMetadata",
                |k| json!({"UserName": user.name, "AccessKeyId": k.id, "Status": k.status, "CreateDate": k.create_date}),
            )
        }
        "GetAccessKeyLastUsed" => access_key_last_used(account, params),
        _ => Err(unknown_operation(P, call)),
    }
}

/// One page of `items` under `key`, with `IsTruncated` and `Marker`.
fn list<T>(
    params: &Map<String, Value>,
    operation: &str,
    items: &[T],
    key: &str,
    member: impl Fn(&T) -> Value,
) -> Result<Value, ApiError> {
    let size = int(P, params, "MaxItems", 1..=1000)?.unwrap_or(100);
    let start = page::offset(P, operation, text(params, "Marker"))?;
    let (items, next) = page::slice(items, start, Some(size));
    let mut out = Map::new();
    if !items.is_empty() {
        out.insert(key.into(), items.iter().map(member).collect());
    }
    out.insert("IsTruncated".into(), next.is_some().to_string().into());
    if let Some(next) = next {
        out.insert("Marker".into(), page::token(operation, next).into());
    }
    Ok(Value::Object(out))
}

/// The user `UserName` names: required (the caller is a role), valid, and
/// existing (else `NoSuchEntity`, 404).
fn user<'a>(account: &'a Account, params: &Map<String, Value>) -> Result<&'a User, ApiError> {
    let Some(name) = text(params, "UserName") else {
        return Err(invalid(P, "Must specify userName when calling with non-User credentials"));
    };
    let valid =
        (1..=128).contains(&name.len()) && name.chars().all(|c| c.is_ascii_alphanumeric() || "_+=,.@-".contains(c));
    if !valid {
        return Err(invalid(
            P,
            format_args!(
                "1 validation error detected: Value '{name}' at 'userName' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [\\w+=,.@-]+"
            ),
        ));
    }
    account
        .iam
        .users
        .iter()
        .find(|u| u.name == name)
        .ok_or_else(|| ApiError::new("NoSuchEntity", 404, format_args!("The user with name {name} cannot be found.")))
}

/// GetAccessKeyLastUsed. A key this account does not hold is refused as
/// AWS refuses a key of another account: AccessDenied on the key.
fn access_key_last_used(account: &Account, params: &Map<String, Value>) -> Result<Value, ApiError> {
    let Some(id) = text(params, "AccessKeyId") else {
        return Err(invalid(
            P,
            "1 validation error detected: Value null at 'accessKeyId' failed to satisfy constraint: \
             Member must not be null",
        ));
    };
    if !(16..=128).contains(&id.len()) || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') {
        return Err(invalid(
            P,
            format_args!(
                "1 validation error detected: Value '{id}' at 'accessKeyId' failed to satisfy constraint: \
                 Member must satisfy regular expression pattern: [\\w]+ and have length between 16 and 128"
            ),
        ));
    }
    let found = account.iam.users.iter().find_map(|u| u.access_keys.iter().find(|k| k.id == id).map(|k| (u, k)));
    let Some((user, key)) = found else {
        return Err(ApiError::new(
            "AccessDenied",
            403,
            format_args!(
                "User: arn:aws:sts::{}:assumed-role/TrawlReadOnly/trawl is not authorized to perform: \
                 iam:GetAccessKeyLastUsed on resource: access key {id}",
                account.id
            ),
        ));
    };
    // Never used: no date, and "N/A" for the service and region.
    let last_used = match &key.last_used {
        Some(used) => json!({"LastUsedDate": used.date, "ServiceName": used.service, "Region": used.region}),
        None => json!({"ServiceName": "N/A", "Region": "N/A"}),
    };
    Ok(json!({"UserName": user.name, "AccessKeyLastUsed": last_used}))
}
