//! The accounts of an AWS run: the backend with the caller's credentials
//! and each account's way in, then the accounts (the caller's, a list, or
//! the organisation's) and their enabled regions.

use futures::StreamExt;
use serde_json::json;

use super::credentials::caller_target;
use super::{Access, AwsBackend, CredentialStore};
use crate::cloud::{ApiCall, CloudClient, Target};
use crate::config::AccountConfig;
use crate::run::RunError;
use crate::targets::{self, Selection};

/// How an AWS run reaches its accounts.
#[derive(Debug, Clone, Default)]
pub struct AwsAccess {
    /// The profile of the caller's credentials (else the default chain).
    pub profile: Option<String>,
    /// Where every call goes instead of AWS's endpoints (moto, LocalStack).
    pub endpoint: Option<String>,
    /// The role assumed in each account that does not say otherwise.
    pub role_name: Option<String>,
    /// The external id that role requires.
    pub external_id: Option<String>,
    /// Discover the accounts with AWS Organizations.
    pub org: bool,
    /// Accounts listed with their own way in (`[[account]]`).
    pub listed: Vec<AccountConfig>,
}

/// The AWS backend: the caller's credentials from the chain (checked now),
/// and each listed account's profile or role.
pub async fn aws_backend(spec: &AwsAccess) -> Result<AwsBackend, RunError> {
    let mut store = CredentialStore::from_chain(spec.profile.as_deref()).await.map_err(RunError::input)?;
    for account in &spec.listed {
        let access = match (&account.profile, &account.role) {
            (Some(profile), _) => Access::Profile(profile.clone()),
            (None, Some(role)) => Access::role(&account.id, role, account.external_id.clone()),
            (None, None) => continue,
        };
        store.set_account(&account.id, access).await.map_err(RunError::input)?;
    }
    if let Some(role) = &spec.role_name {
        store.set_default_role(role.clone(), spec.external_id.clone());
    }
    store.check_caller().await.map_err(RunError::input)?;
    AwsBackend::new(store, spec.endpoint.clone())
        .map_err(|e| RunError::Internal(anyhow::anyhow!("cannot set up the HTTP client: {e}")))
}

/// Accounts whose regions are discovered at once.
const DISCOVERY_CONCURRENCY: usize = 16;

/// The accounts of an AWS run and their regions: `--org` lists the
/// organisation's active accounts; else the `[[account]]` entries; else,
/// with a role, the ids in `--accounts`; else the caller's own account.
/// `--regions all` (or none, or a glob) asks each account's
/// `ec2:DescribeRegions`; an account that cannot answer gets us-east-1, so
/// its failure shows up as its target's outcome. Every call goes through
/// `client`: limited, retried and counted like the plugins' calls.
pub async fn aws_accounts(
    aws: &AwsBackend,
    client: &CloudClient,
    spec: &AwsAccess,
    selection: &mut Selection,
    regional: bool,
) -> Result<Vec<targets::AccountInfo>, RunError> {
    let call = |service: &str, operation: &str, params: serde_json::Value| ApiCall {
        service: service.into(),
        operation: operation.into(),
        params: params.as_object().cloned().unwrap_or_default(),
    };
    let me: serde_json::Value = serde_json::from_str(
        &client
            .call(&caller_target(""), &call("sts", "GetCallerIdentity", json!({})))
            .await
            .map_err(|e| RunError::input(format!("cannot tell which account the credentials belong to: {e}")))?,
    )
    .map_err(|e| RunError::Internal(e.into()))?;
    let caller = me["Account"].as_str().unwrap_or_default().to_owned();
    aws.credentials().set_caller_account(&caller);
    let ids: Vec<(String, String)> = if spec.org {
        let mut accounts = Vec::new();
        let mut params = json!({});
        let accounts = loop {
            let page: serde_json::Value = serde_json::from_str(
                &client
                    .call(&caller_target(&caller), &call("organizations", "ListAccounts", params.clone()))
                    .await
                    .map_err(|e| RunError::input(org_error(&caller, &e)))?,
            )
            .map_err(|e| RunError::Internal(e.into()))?;
            for a in page["Accounts"].as_array().into_iter().flatten() {
                let (id, name) = (a["Id"].as_str().unwrap_or_default(), a["Name"].as_str().unwrap_or_default());
                if a["Status"] == "SUSPENDED" {
                    tracing::info!(account = id, "skipping suspended account");
                } else {
                    accounts.push((id.to_owned(), name.to_owned()));
                }
            }
            match page["NextToken"].as_str() {
                Some(token) => params["NextToken"] = token.into(),
                None => break accounts,
            }
        };
        if accounts.is_empty() {
            return Err(RunError::input(format!("--org: the organisation of account {caller} has no active accounts")));
        }
        accounts
    } else if !spec.listed.is_empty() {
        spec.listed.iter().map(|a| (a.id.clone(), a.name.clone().unwrap_or_else(|| a.id.clone()))).collect()
    } else if spec.role_name.is_some() {
        let ids = &selection.accounts;
        if ids.is_empty() || ids.iter().any(|a| a.len() != 12 || !a.bytes().all(|b| b.is_ascii_digit())) {
            return Err(RunError::input(
                "with --role-name, --accounts lists the 12-digit ids of the accounts to collect (or use --org or [[account]] entries)",
            ));
        }
        ids.iter().map(|id| (id.clone(), id.clone())).collect()
    } else {
        selection.accounts.clear();
        vec![(caller.clone(), caller.clone())]
    };
    // Collecting a member account with the caller's credentials would
    // report the caller's resources under the member's id.
    if let Some((id, _)) = ids.iter().find(|(id, _)| *id != caller && !aws.credentials().has_access(id)) {
        return Err(RunError::input(format!(
            "account {id} has no way in: give its [[account]] a role or a profile, or pass --role-name"
        )));
    }
    // Only regional plugins need each account's regions: an IAM or Health
    // run spends no call (and none of IAM's small budget) on them.
    let all_regions =
        regional && (selection.regions.is_empty() || selection.regions.iter().any(|r| r == "all" || r.contains('*')));
    // Region discovery, a few accounts at a time (it may assume each
    // account's role first).
    let listed = selection.regions.clone();
    let accounts: Vec<targets::AccountInfo> = futures::stream::iter(ids)
        .map(|(id, name)| {
            let listed = listed.clone();
            async move {
                let mut regions = listed;
                if all_regions {
                    let target =
                        Target { account_id: id.clone(), account_name: name.clone(), region: "us-east-1".into() };
                    let answer = client.call(&target, &call("ec2", "DescribeRegions", json!({}))).await;
                    regions = match answer.map(|a| serde_json::from_str::<serde_json::Value>(&a)) {
                        Ok(Ok(answer)) => answer["regionInfo"]
                            .as_array()
                            .into_iter()
                            .flatten()
                            .filter_map(|r| r["regionName"].as_str().map(str::to_owned))
                            .collect(),
                        failed => {
                            let why = match failed {
                                Err(e) => e.to_string(),
                                Ok(Err(e)) => e.to_string(),
                                Ok(Ok(_)) => unreachable!(),
                            };
                            tracing::warn!(account = %id, "cannot list regions ({why}); collecting us-east-1 only");
                            vec!["us-east-1".into()]
                        }
                    };
                }
                regions.sort();
                targets::AccountInfo { name, id, regions }
            }
        })
        .buffered(DISCOVERY_CONCURRENCY)
        .collect()
        .await;
    if selection.regions.iter().any(|r| r == "all") {
        selection.regions.clear();
    }
    Ok(accounts)
}

/// Why `--org` cannot list accounts, in one line.
pub fn org_error(caller: &str, e: &crate::cloud::ApiError) -> String {
    match e.code.as_str() {
        "AWSOrganizationsNotInUseException" => {
            format!("--org: account {caller} is not in an organisation (AWS Organizations is not in use)")
        }
        "AccessDeniedException" | "AccessDenied" => format!(
            "--org: account {caller} may not list the organisation's accounts; run from the management account \
             or a delegated administrator ({e})"
        ),
        _ => format!("--org: cannot list the organisation's accounts: {e}"),
    }
}
