//! The simulated cloud: the embedded default backend.
//!
//! It holds an [`Organization`] (the built-in demo, a generated one, or a
//! fixture file) and answers API calls against it with AWS's shapes, real
//! pagination tokens, AWS's error codes, and access denials where the
//! organisation says so. Responses follow the JSON convention documented in
//! `wit/collector.wit`, the same the AWS backend produces from the wire.

mod clock;
mod ec2;
pub mod generate;
mod health;
mod iam;
mod monitoring;
pub mod org;
mod organizations;
mod page;
pub mod pressure;
mod quotas;
mod request;
pub mod serve;
pub mod source;
mod sts;

use std::collections::HashMap;

use futures::future::BoxFuture;

pub use generate::{OrgSpec, demo, demo_on};
pub use org::{FixtureError, Organization};
pub use pressure::Pressure;
use pressure::{Server, Verdict};
use request::Protocol;
pub use source::SimSource;

use super::{ApiCall, ApiError, Backend, Target};

/// Services whose data is account-wide: the region of the call is ignored
/// (IAM and Organizations are global; Health is served from us-east-1).
const GLOBAL_SERVICES: [&str; 4] = ["iam", "sts", "health", "organizations"];

/// The simulated cloud over one organisation.
pub struct SimCloud {
    org: Organization,
    by_id: HashMap<String, usize>,
    server: Option<Server>,
}

impl SimCloud {
    /// A simulator answering for `org` at once, never throttling.
    pub fn new(org: Organization) -> Self {
        let by_id = org.accounts.iter().enumerate().map(|(i, a)| (a.id.clone(), i)).collect();
        Self { org, by_id, server: None }
    }

    /// A simulator answering for `org` under `pressure`: buckets, latency
    /// and faults.
    pub fn with_pressure(org: Organization, pressure: Pressure) -> Self {
        Self { server: Some(Server::new(pressure)), ..Self::new(org) }
    }

    /// The organisation being simulated.
    pub fn organization(&self) -> &Organization {
        &self.org
    }

    /// Answers one call synchronously, as JSON text.
    pub fn answer(&self, target: &Target, call: &ApiCall) -> Result<String, ApiError> {
        let Some(protocol) = Protocol::of(&call.service) else {
            return Err(ApiError::new(
                "trawl.UnknownService",
                0,
                format_args!("the simulated cloud has no service {:?}", call.service),
            ));
        };
        let with_id = |mut e: ApiError| {
            e.request_id = Some(request::request_id(target, call));
            e
        };
        let account = self.by_id.get(&target.account_id).map(|&i| &self.org.accounts[i]).ok_or_else(|| {
            with_id(ApiError::new(
                "InvalidClientTokenId",
                403,
                "The security token included in the request is invalid.",
            ))
        })?;
        if !GLOBAL_SERVICES.contains(&call.service.as_str()) && !account.regions.contains_key(&target.region) {
            return Err(with_id(ApiError::new(
                "OptInRequired",
                401,
                format_args!("account {} has not enabled region {}", account.id, target.region),
            )));
        }
        let region = account.regions.get(&target.region);
        if region.is_some_and(|r| r.missing_services.contains(&call.service)) {
            // What a missing endpoint looks like once the AWS backend has
            // told it from a broken network (see `cloud::aws::backend`);
            // 404 is how `sim serve` answers it over HTTP.
            return Err(ApiError::new(
                "trawl.NoEndpoint",
                404,
                format_args!("{} has no endpoint in {}", call.service, target.region),
            ));
        }
        if account.denies(&call.service, &target.region) {
            return Err(with_id(request::access_denied(protocol, call, "explicit deny in a service control policy")));
        }
        match call.service.as_str() {
            "ec2" => ec2::handle(account, target, call),
            "iam" => iam::handle(account, call).map(|v| v.to_string()),
            "sts" => sts::handle(&self.org, account, call).map(|v| v.to_string()),
            "health" => health::handle(&self.org, account, call).map(|v| v.to_string()),
            "monitoring" => monitoring::handle(account, target, call).map(|v| v.to_string()),
            "servicequotas" => quotas::handle(account, target, call).map(|v| v.to_string()),
            "organizations" => organizations::handle(&self.org, account, call).map(|v| v.to_string()),
            _ => Err(ApiError::new(
                "trawl.UnknownService",
                0,
                format_args!("the simulated cloud has no service {:?}", call.service),
            )),
        }
        .map_err(with_id)
    }
}

impl Backend for SimCloud {
    fn call<'a>(&'a self, target: &'a Target, call: &'a ApiCall) -> BoxFuture<'a, Result<String, ApiError>> {
        let (Some(server), Some(protocol)) = (&self.server, Protocol::of(&call.service)) else {
            return Box::pin(std::future::ready(self.answer(target, call)));
        };
        // The verdict is taken on arrival (buckets see calls in the order
        // they were sent); the answer comes after the simulated latency.
        let verdict = server.judge(target, call, protocol);
        Box::pin(async move {
            let (delay, outcome) = match verdict {
                Verdict::Answer { delay } => (delay, None),
                Verdict::Fail { delay, error } => (delay, Some(error)),
            };
            if !delay.is_zero() {
                tokio::time::sleep(delay).await;
            }
            match outcome {
                Some(mut error) => {
                    error.request_id = Some(request::request_id(target, call));
                    Err(error)
                }
                None => self.answer(target, call),
            }
        })
    }
}

#[cfg(test)]
mod tests;
