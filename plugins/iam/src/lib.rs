//! IAM users: one record per user of the account, with whether MFA is
//! enabled, when the password was last used, and every access key with its
//! age, last use and whether it is stale. Per-target totals: `users`,
//! `without_mfa`, `stale_keys` and `roles`.
//!
//! A key is stale when it is `Active` and was last used more than
//! `stale_after_days` ago, or was never used and was created more than
//! that ago. "Now" is the sandbox's wall clock.
//!
//! IAM is global: the plugin runs once per account, in us-east-1. Users and
//! roles are listed page by page; the per-user calls (ListMFADevices,
//! ListAccessKeys) and then the per-key GetAccessKeyLastUsed go out
//! through `call_many`, many at once under the host's IAM limits. A user
//! whose detail calls are denied is still listed, with what could be read
//! and the denied calls named in `denied`; what could not be read is
//! `null` (unknown), never a guess.

use std::time::{SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;
use trawl_plugin_sdk::{
    ApiError, Collection, Collector, Error, PluginInfo, Scope, Setting, Target, call_many, log, paginate, setting,
};

struct Iam;

/// Most requests one `call_many` carries (the host runs 8 at a time).
const BATCH: usize = 100;
/// Page size of the account-wide lists (IAM's maximum).
const LIST_PAGE: u32 = 1000;
/// Page size of the per-user lists.
const USER_PAGE: u32 = 100;
const DAY: i64 = 86_400;

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct UsersPage {
    #[serde(default)]
    users: Vec<User>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct User {
    user_name: String,
    arn: String,
    #[serde(default)]
    create_date: String,
    #[serde(default)]
    password_last_used: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct RolesPage {
    #[serde(default)]
    roles: Vec<Value>,
}

#[derive(Deserialize)]
struct MfaPage {
    #[serde(default, rename = "MFADevices")]
    devices: Vec<Value>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeysPage {
    #[serde(default)]
    access_key_metadata: Vec<KeyMetadata>,
    #[serde(default)]
    is_truncated: Option<Value>,
    #[serde(default)]
    marker: Option<String>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct KeyMetadata {
    access_key_id: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    create_date: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LastUsedAnswer {
    #[serde(default)]
    access_key_last_used: Option<LastUsed>,
}

#[derive(Deserialize)]
#[serde(rename_all = "PascalCase")]
struct LastUsed {
    #[serde(default)]
    last_used_date: Option<String>,
    #[serde(default)]
    service_name: Option<String>,
}

/// One user, as the record shows it.
#[derive(Serialize)]
struct UserRecord {
    user_name: String,
    arn: String,
    created: String,
    /// None: never signed in with a password (or has none).
    password_last_used: Option<String>,
    /// None: ListMFADevices was denied.
    mfa_enabled: Option<bool>,
    access_keys: Vec<KeyRecord>,
    stale_keys: u64,
    /// The calls about this user that were denied (`iam:ListMFADevices`).
    denied: Vec<String>,
}

#[derive(Serialize)]
struct KeyRecord {
    access_key_id: String,
    status: String,
    created: String,
    age_days: Option<i64>,
    /// None: never used, or its last use could not be read (see `stale`).
    last_used: Option<String>,
    last_used_service: Option<String>,
    /// None: GetAccessKeyLastUsed was denied, so nobody knows.
    stale: Option<bool>,
}

impl Collector for Iam {
    fn info() -> PluginInfo {
        PluginInfo::new("iam", env!("CARGO_PKG_VERSION"), Scope::Account)
            .description("IAM users per account: MFA, password use, access keys and the stale ones")
            .home_region("us-east-1")
            .permission("iam:ListUsers")
            .permission("iam:ListRoles")
            .permission("iam:ListMFADevices")
            .permission("iam:ListAccessKeys")
            .permission("iam:GetAccessKeyLastUsed")
            .columns(["user_name", "mfa_enabled", "stale_keys", "password_last_used"])
            .key(["user_name"])
            .setting(
                Setting::integer("stale_after_days", 90).range(1, 3650).help(
                    "an active key unused (or never used since its creation) for more than this many days is stale",
                ),
            )
    }

    fn collect(_target: &Target) -> Result<Collection, Error> {
        let stale_after: i64 = setting("stale_after_days")?;
        let now = SystemTime::now().duration_since(UNIX_EPOCH).map_or(0, |d| d.as_secs() as i64);

        let mut users = Vec::new();
        for page in paginate::<UsersPage>("iam", "ListUsers", json!({ "MaxItems": LIST_PAGE })) {
            users.extend(page?.users);
        }
        let roles = count_roles()?;

        let mut records: Vec<UserRecord> = users
            .into_iter()
            .map(|u| UserRecord {
                user_name: u.user_name,
                arn: u.arn,
                created: u.create_date,
                password_last_used: u.password_last_used.filter(|p| !p.is_empty()),
                mfa_enabled: None,
                access_keys: Vec::new(),
                stale_keys: 0,
                denied: Vec::new(),
            })
            .collect();
        let gone = read_mfa_and_keys(&mut records)?;
        read_last_uses(&mut records, now, stale_after * DAY)?;

        let mut out = Collection::new();
        let (mut without_mfa, mut stale) = (0, 0);
        for (record, gone) in records.iter_mut().zip(gone) {
            if gone {
                log::info(&format!("user {} was deleted while being read; left out", record.user_name));
                continue;
            }
            record.stale_keys = record.access_keys.iter().filter(|k| k.stale == Some(true)).count() as u64;
            stale += record.stale_keys;
            without_mfa += u64::from(record.mfa_enabled == Some(false));
            out.push(record)?;
        }
        let users = out.len() as u64;
        out.total("users", users).total("without_mfa", without_mfa).total("stale_keys", stale);
        if let Some(roles) = roles {
            out.total("roles", roles);
        }
        Ok(out)
    }
}

/// How many roles the account has; None (and a warning) when ListRoles is
/// denied, since the users are still worth reporting.
fn count_roles() -> Result<Option<u64>, Error> {
    let mut roles = 0;
    for page in paginate::<RolesPage>("iam", "ListRoles", json!({ "MaxItems": LIST_PAGE })) {
        match page {
            Ok(page) => roles += page.roles.len() as u64,
            Err(e) if e.is_access_denied() => {
                log::warn(&format!("iam:ListRoles was denied ({}): no roles total", e.code));
                return Ok(None);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(Some(roles))
}

/// What a detail call's answer means for the user it was about.
enum Answer<T> {
    Read(T),
    Denied,
    /// NoSuchEntity: the user or key was deleted since it was listed.
    Gone,
}

fn classify<T>(
    answer: Result<Value, ApiError>,
    read: impl FnOnce(Value) -> Result<T, Error>,
) -> Result<Answer<T>, Error> {
    match answer {
        Ok(v) => read(v).map(Answer::Read),
        Err(e) if e.is_access_denied() => Ok(Answer::Denied),
        Err(e) if e.code == "NoSuchEntity" => Ok(Answer::Gone),
        Err(e) => Err(e.into()),
    }
}

fn deny(record: &mut UserRecord, call: &str) {
    if !record.denied.iter().any(|d| d == call) {
        record.denied.push(call.to_owned());
    }
}

/// ListMFADevices and ListAccessKeys of every user, sent together in
/// batches. Returns, per user, whether the user is gone.
fn read_mfa_and_keys(records: &mut [UserRecord]) -> Result<Vec<bool>, Error> {
    let mut gone = vec![false; records.len()];
    let params: Vec<Value> = records.iter().map(|r| json!({"UserName": r.user_name, "MaxItems": USER_PAGE})).collect();
    let requests: Vec<(&str, &str, &Value)> =
        params.iter().flat_map(|p| [("iam", "ListMFADevices", p), ("iam", "ListAccessKeys", p)]).collect();
    let mut answers = Vec::with_capacity(requests.len());
    for batch in requests.chunks(BATCH) {
        answers.extend(call_many(batch)?);
    }
    let mut answers = answers.into_iter();
    for (i, record) in records.iter_mut().enumerate() {
        let (Some(mfa), Some(keys)) = (answers.next(), answers.next()) else {
            return Err(Error::failed("trawl.UnexpectedShape", "call_many answered fewer results than requests"));
        };
        match classify(mfa, |v| Ok(serde_json::from_value::<MfaPage>(v)?))? {
            Answer::Read(page) => record.mfa_enabled = Some(!page.devices.is_empty()),
            Answer::Denied => deny(record, "iam:ListMFADevices"),
            Answer::Gone => gone[i] = true,
        }
        match classify(keys, |v| Ok(serde_json::from_value::<KeysPage>(v)?))? {
            Answer::Read(page) => {
                let more = truncated(&page);
                let mut keys = page.access_key_metadata;
                if let Some(marker) = more {
                    // Past the first page (AWS allows two keys a user, so
                    // this is rare): the rest one page at a time.
                    let params = json!({"UserName": record.user_name, "MaxItems": USER_PAGE, "Marker": marker});
                    for page in paginate::<KeysPage>("iam", "ListAccessKeys", params) {
                        keys.extend(page?.access_key_metadata);
                    }
                }
                record.access_keys = keys
                    .into_iter()
                    .map(|k| KeyRecord {
                        access_key_id: k.access_key_id,
                        status: k.status,
                        created: k.create_date,
                        age_days: None,
                        last_used: None,
                        last_used_service: None,
                        stale: None,
                    })
                    .collect();
            }
            Answer::Denied => deny(record, "iam:ListAccessKeys"),
            Answer::Gone => gone[i] = true,
        }
    }
    Ok(gone)
}

/// The marker of the next page, when the page says there is one.
fn truncated(page: &KeysPage) -> Option<String> {
    let more = matches!(&page.is_truncated, Some(Value::Bool(true)))
        || matches!(&page.is_truncated, Some(Value::String(s)) if s == "true");
    more.then(|| page.marker.clone()).flatten().filter(|m| !m.is_empty())
}

/// GetAccessKeyLastUsed of every key, sent together in batches; fills in
/// age, last use and staleness (`stale_after` seconds).
fn read_last_uses(records: &mut [UserRecord], now: i64, stale_after: i64) -> Result<(), Error> {
    let params: Vec<Value> =
        records.iter().flat_map(|r| r.access_keys.iter().map(|k| json!({ "AccessKeyId": k.access_key_id }))).collect();
    let requests: Vec<(&str, &str, &Value)> = params.iter().map(|p| ("iam", "GetAccessKeyLastUsed", p)).collect();
    let mut answers = Vec::with_capacity(requests.len());
    for batch in requests.chunks(BATCH) {
        answers.extend(call_many(batch)?);
    }
    let mut answers = answers.into_iter();
    for record in records.iter_mut() {
        let mut denied = false;
        let mut kept = Vec::with_capacity(record.access_keys.len());
        for mut key in std::mem::take(&mut record.access_keys) {
            let Some(answer) = answers.next() else {
                return Err(Error::failed("trawl.UnexpectedShape", "call_many answered fewer results than requests"));
            };
            let created = seconds(&key.created);
            key.age_days = created.map(|c| (now - c).div_euclid(DAY));
            match classify(answer, |v| Ok(serde_json::from_value::<LastUsedAnswer>(v)?))? {
                Answer::Read(answer) => {
                    let used = answer.access_key_last_used;
                    key.last_used = used.as_ref().and_then(|u| u.last_used_date.clone()).filter(|d| !d.is_empty());
                    key.last_used_service = used.and_then(|u| u.service_name).filter(|s| !s.is_empty() && s != "N/A");
                    // The time the key last did something: its last use,
                    // else its creation.
                    let since = match &key.last_used {
                        Some(date) => seconds(date),
                        None => created,
                    };
                    key.stale = Some(key.status == "Active" && since.is_some_and(|t| now - t > stale_after));
                }
                Answer::Denied => {
                    denied = true;
                    // An inactive key is never stale, whatever its use.
                    key.stale = (key.status != "Active").then_some(false);
                }
                Answer::Gone => continue,
            }
            kept.push(key);
        }
        record.access_keys = kept;
        if denied {
            deny(record, "iam:GetAccessKeyLastUsed");
        }
    }
    Ok(())
}

/// Seconds since the epoch of an ISO 8601 time as IAM writes it
/// (`2024-05-01T12:00:00Z`, with or without a fraction or an offset).
fn seconds(date: &str) -> Option<i64> {
    OffsetDateTime::parse(date.trim(), &Rfc3339).ok().map(OffsetDateTime::unix_timestamp)
}

trawl_plugin_sdk::export_collector!(Iam);

#[cfg(test)]
mod tests {
    use serde_json::json;
    use trawl_plugin_sdk::testing::{TestCloud, target};

    use super::*;

    fn here() -> Target {
        target("111111111111", "management", "us-east-1")
    }

    fn now() -> i64 {
        SystemTime::now().duration_since(UNIX_EPOCH).unwrap().as_secs() as i64
    }

    fn ago(days: i64) -> String {
        OffsetDateTime::from_unix_timestamp(now() - days * DAY - 3600).unwrap().format(&Rfc3339).unwrap()
    }

    fn user(name: &str) -> Value {
        json!({"UserName": name, "UserId": "AIDA1", "Path": "/", "Arn": format!("arn:aws:iam::111111111111:user/{name}"), "CreateDate": "2023-01-01T00:00:00Z"})
    }

    fn keys(user: &str, keys: &[(&str, &str, String)]) -> Value {
        let meta: Vec<Value> = keys
            .iter()
            .map(|(id, status, created)| json!({"UserName": user, "AccessKeyId": id, "Status": status, "CreateDate": created}))
            .collect();
        json!({"AccessKeyMetadata": meta, "IsTruncated": "false"})
    }

    fn used(days: i64, service: &str) -> Value {
        json!({"UserName": "u", "AccessKeyLastUsed": {"LastUsedDate": ago(days), "ServiceName": service, "Region": "us-east-1"}})
    }

    fn never() -> Value {
        json!({"UserName": "u", "AccessKeyLastUsed": {"ServiceName": "N/A", "Region": "N/A"}})
    }

    /// Two users: alice (MFA, a key used 2 days ago, a key used 200 days
    /// ago, an inactive key unused for years) and bob (no MFA, a password,
    /// a key never used created 100 days ago).
    fn two_users() -> TestCloud {
        let mut alice_user = user("alice");
        alice_user["PasswordLastUsed"] = json!("2024-05-01T08:00:00Z");
        TestCloud::new()
            .answer("iam:ListUsers", json!({"Users": [alice_user], "IsTruncated": "true", "Marker": "m1"}))
            .answer("iam:ListUsers", json!({"Users": [user("bob")], "IsTruncated": "false"}))
            .answer(
                "iam:ListRoles",
                json!({"Roles": [{"RoleName": "a"}, {"RoleName": "b"}], "IsTruncated": "true", "Marker": "r1"}),
            )
            .answer("iam:ListRoles", json!({"Roles": [{"RoleName": "c"}], "IsTruncated": "false"}))
            .answer(
                "iam:ListMFADevices",
                json!({"MFADevices": [{"UserName": "alice", "SerialNumber": "arn:mfa"}], "IsTruncated": "false"}),
            )
            .answer(
                "iam:ListAccessKeys",
                keys(
                    "alice",
                    &[
                        ("AKIAALICE0000000KEY1", "Active", ago(400)),
                        ("AKIAALICE0000000KEY2", "Active", ago(400)),
                        ("AKIAALICE0000000KEY3", "Inactive", ago(900)),
                    ],
                ),
            )
            .answer("iam:ListMFADevices", json!({"IsTruncated": "false"}))
            .answer("iam:ListAccessKeys", keys("bob", &[("AKIABOB00000000KEY1", "Active", ago(100))]))
            .answer("iam:GetAccessKeyLastUsed", used(2, "s3"))
            .answer("iam:GetAccessKeyLastUsed", used(200, "ec2"))
            .answer("iam:GetAccessKeyLastUsed", never())
            .answer("iam:GetAccessKeyLastUsed", never())
    }

    #[test]
    fn users_keys_mfa_and_stale_keys() {
        let out = two_users().collect::<Iam>(&here()).unwrap();
        // Pagination with a page size, on both lists.
        assert_eq!(out.calls[0].params, json!({"MaxItems": 1000}));
        assert_eq!(out.calls[1].params, json!({"MaxItems": 1000, "Marker": "m1"}));
        assert_eq!(out.calls[3].params["Marker"], "r1");
        let (alice, bob) = (&out.records[0], &out.records[1]);
        assert_eq!(alice["user_name"], "alice");
        assert_eq!(alice["password_last_used"], "2024-05-01T08:00:00Z");
        assert_eq!((&alice["mfa_enabled"], &bob["mfa_enabled"]), (&json!(true), &json!(false)));
        assert_eq!(bob["password_last_used"], Value::Null);
        let stale: Vec<&Value> = alice["access_keys"].as_array().unwrap().iter().map(|k| &k["stale"]).collect();
        assert_eq!(stale, [&json!(false), &json!(true), &json!(false)], "inactive keys are never stale");
        let key = &alice["access_keys"][1];
        assert_eq!((&key["last_used_service"], &key["age_days"]), (&json!("ec2"), &json!(400)));
        assert!(key["last_used"].as_str().is_some_and(|d| seconds(d).is_some()), "{key}");
        let never_used = &bob["access_keys"][0];
        assert_eq!((&never_used["last_used"], &never_used["last_used_service"]), (&Value::Null, &Value::Null));
        assert_eq!(never_used["stale"], true, "never used and created 100 days ago");
        assert_eq!((&alice["stale_keys"], &bob["stale_keys"]), (&json!(1), &json!(1)));
        assert_eq!(alice["denied"], json!([]));
        let totals: Vec<(&str, u64)> = out.totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(totals, [("roles", 3), ("stale_keys", 2), ("users", 2), ("without_mfa", 1)]);
    }

    #[test]
    fn stale_after_days_moves_the_line() {
        let out = two_users().set("stale_after_days", 365).collect::<Iam>(&here()).unwrap();
        assert_eq!(out.totals["stale_keys"], 0, "200 and 100 days are within a year");
        let out = two_users().set("stale_after_days", 1).collect::<Iam>(&here()).unwrap();
        assert_eq!(out.totals["stale_keys"], 3, "2 days ago is stale after 1 day");
    }

    #[test]
    fn detail_calls_are_batched_not_made_one_at_a_time() {
        let names: Vec<String> = (0..130).map(|i| format!("user-{i:03}")).collect();
        let mut cloud = TestCloud::new()
            .answer(
                "iam:ListUsers",
                json!({"Users": names.iter().map(|n| user(n)).collect::<Vec<_>>(), "IsTruncated": "false"}),
            )
            .answer("iam:ListRoles", json!({"IsTruncated": "false"}));
        for n in &names {
            cloud = cloud
                .answer("iam:ListMFADevices", json!({"IsTruncated": "false"}))
                .answer("iam:ListAccessKeys", keys(n, &[(&format!("AKIA{:0>16}", n.len()), "Active", ago(5))]));
        }
        for _ in &names {
            cloud = cloud.answer("iam:GetAccessKeyLastUsed", used(1, "sts"));
        }
        let out = cloud.collect::<Iam>(&here()).unwrap();
        assert_eq!(out.records.len(), 130);
        // MFA and keys alternate per user, then every key's last use.
        assert_eq!(out.calls[2].operation, "ListMFADevices");
        assert_eq!(out.calls[3].operation, "ListAccessKeys");
        assert_eq!(out.calls[3].params, json!({"UserName": "user-000", "MaxItems": 100}));
        assert!(out.calls[2 + 260..].iter().all(|c| c.operation == "GetAccessKeyLastUsed"));
        assert_eq!(out.totals["without_mfa"], 130);
    }

    #[test]
    fn denied_details_keep_the_user_and_name_the_calls() {
        let out = TestCloud::new()
            .answer("iam:ListUsers", json!({"Users": [user("carol"), user("dave")], "IsTruncated": "false"}))
            .error("iam:ListRoles", "AccessDenied", "no ListRoles")
            .error("iam:ListMFADevices", "AccessDenied", "not on carol")
            .answer("iam:ListAccessKeys", keys("carol", &[("AKIACAROL0000000KEY1", "Active", ago(10))]))
            .answer("iam:ListMFADevices", json!({"MFADevices": [{"SerialNumber": "x"}], "IsTruncated": "false"}))
            .error("iam:ListAccessKeys", "AccessDenied", "not on dave")
            .error("iam:GetAccessKeyLastUsed", "AccessDenied", "not this key")
            .collect::<Iam>(&here())
            .unwrap();
        let (carol, dave) = (&out.records[0], &out.records[1]);
        assert_eq!(carol["denied"], json!(["iam:ListMFADevices", "iam:GetAccessKeyLastUsed"]));
        assert_eq!(carol["mfa_enabled"], Value::Null, "unknown, not false");
        assert_eq!(carol["access_keys"][0]["stale"], Value::Null, "unknown, not false");
        assert_eq!(carol["access_keys"][0]["age_days"], 10);
        assert_eq!(dave["denied"], json!(["iam:ListAccessKeys"]));
        assert_eq!(dave["access_keys"], json!([]));
        assert_eq!(dave["mfa_enabled"], true);
        // Unknown MFA is not counted as missing; a denied ListRoles drops
        // that total only.
        let totals: Vec<(&str, u64)> = out.totals.iter().map(|(k, v)| (k.as_str(), *v)).collect();
        assert_eq!(totals, [("stale_keys", 0), ("users", 2), ("without_mfa", 0)]);
        assert!(out.logs.iter().any(|l| l.starts_with("WARN iam:ListRoles was denied")), "{:?}", out.logs);
    }

    #[test]
    fn users_denied_altogether_skip_the_target_and_other_errors_fail_it() {
        let e = TestCloud::new().error("iam:ListUsers", "AccessDenied", "no").collect::<Iam>(&here()).unwrap_err();
        assert!(matches!(e, Error::Skipped { .. }), "{e:?}");
        let e = TestCloud::new()
            .answer("iam:ListUsers", json!({"Users": [user("erin")], "IsTruncated": "false"}))
            .answer("iam:ListRoles", json!({"IsTruncated": "false"}))
            .error("iam:ListMFADevices", "ServiceFailure", "boom")
            .answer("iam:ListAccessKeys", keys("erin", &[]))
            .collect::<Iam>(&here())
            .unwrap_err();
        assert_eq!(e, Error::failed("ServiceFailure", "boom"));
    }

    #[test]
    fn a_user_deleted_meanwhile_is_left_out_and_more_keys_are_paged() {
        let out = TestCloud::new()
            .answer("iam:ListUsers", json!({"Users": [user("gone"), user("frank")], "IsTruncated": "false"}))
            .answer("iam:ListRoles", json!({"IsTruncated": "false"}))
            .error("iam:ListMFADevices", "NoSuchEntity", "The user with name gone cannot be found.")
            .error("iam:ListAccessKeys", "NoSuchEntity", "The user with name gone cannot be found.")
            .answer("iam:ListMFADevices", json!({"IsTruncated": "false"}))
            .answer("iam:ListAccessKeys", {
                let mut page = keys("frank", &[("AKIAFRANK0000000KEY1", "Active", ago(3))]);
                page["IsTruncated"] = json!("true");
                page["Marker"] = json!("k2");
                page
            })
            .answer("iam:ListAccessKeys", keys("frank", &[("AKIAFRANK0000000KEY2", "Inactive", ago(3))]))
            .answer("iam:GetAccessKeyLastUsed", never())
            .answer("iam:GetAccessKeyLastUsed", never())
            .collect::<Iam>(&here())
            .unwrap();
        assert_eq!(out.records.len(), 1);
        assert_eq!(out.records[0]["access_keys"].as_array().unwrap().len(), 2);
        let paged = out.calls.iter().find(|c| c.params.get("Marker").is_some()).unwrap();
        assert_eq!(paged.params, json!({"UserName": "frank", "MaxItems": 100, "Marker": "k2"}));
        assert_eq!(out.totals["users"], 1);
    }

    #[test]
    fn iso_dates_in_every_form_iam_writes() {
        assert_eq!(seconds("2024-05-01T12:00:00Z"), Some(1_714_564_800));
        assert_eq!(seconds("2024-05-01T12:00:00.000Z"), Some(1_714_564_800));
        assert_eq!(seconds("2024-05-01T12:00:00+00:00"), Some(1_714_564_800));
        assert_eq!(seconds("not a date"), None);
    }
}
