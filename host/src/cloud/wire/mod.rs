//! AWS wire protocols: which protocol each service speaks, its API version
//! or target prefix, its signing name and endpoint; form and XML encoding;
//! error parsing. Shared by the AWS backend and the simulator's HTTP
//! server, so both agree on every byte.

pub mod error;
pub mod form;
pub mod xml;

/// The three families of AWS wire protocol.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Protocol {
    /// EC2's own query dialect: `Key.N` lists, `<item>` in responses.
    Ec2,
    /// awsQuery: `Key.member.N` lists, `<member>` and `{Op}Result`.
    Query,
    /// awsJson1_0/1_1: JSON bodies, `X-Amz-Target`.
    Json,
}

/// Where a service's endpoint is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    /// `{prefix}.{region}.amazonaws.com`, signed for that region.
    Regional,
    /// One host for all regions, signed for one region.
    Global {
        /// The host name.
        host: &'static str,
        /// The region signatures name.
        region: &'static str,
    },
}

/// One supported service: one row of [`SERVICES`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Service {
    /// The name plugins use, e.g. `ec2`.
    pub name: &'static str,
    /// Its wire protocol.
    pub protocol: Protocol,
    /// `Version=` for query protocols, the `X-Amz-Target` prefix for JSON.
    pub version: &'static str,
    /// `application/x-amz-json-1.0` or `-1.1` for JSON services.
    pub json_version: &'static str,
    /// The SigV4 signing name.
    pub signing_name: &'static str,
    /// Its endpoint.
    pub endpoint: Endpoint,
}

/// The supported services: adding one is one row.
pub const SERVICES: &[Service] = &[
    Service {
        name: "ec2",
        protocol: Protocol::Ec2,
        version: "2016-11-15",
        json_version: "",
        signing_name: "ec2",
        endpoint: Endpoint::Regional,
    },
    Service {
        name: "iam",
        protocol: Protocol::Query,
        version: "2010-05-08",
        json_version: "",
        signing_name: "iam",
        endpoint: Endpoint::Global { host: "iam.amazonaws.com", region: "us-east-1" },
    },
    Service {
        name: "sts",
        protocol: Protocol::Query,
        version: "2011-06-15",
        json_version: "",
        signing_name: "sts",
        endpoint: Endpoint::Regional,
    },
    Service {
        name: "monitoring",
        protocol: Protocol::Query,
        version: "2010-08-01",
        json_version: "",
        signing_name: "monitoring",
        endpoint: Endpoint::Regional,
    },
    Service {
        name: "health",
        protocol: Protocol::Json,
        version: "AWSHealth_20160804",
        json_version: "1.1",
        signing_name: "health",
        endpoint: Endpoint::Global { host: "health.us-east-1.amazonaws.com", region: "us-east-1" },
    },
    Service {
        name: "servicequotas",
        protocol: Protocol::Json,
        version: "ServiceQuotasV20190624",
        json_version: "1.1",
        signing_name: "servicequotas",
        endpoint: Endpoint::Regional,
    },
    Service {
        name: "organizations",
        protocol: Protocol::Json,
        version: "AWSOrganizationsV20161128",
        json_version: "1.1",
        signing_name: "organizations",
        endpoint: Endpoint::Global { host: "organizations.us-east-1.amazonaws.com", region: "us-east-1" },
    },
];

impl Service {
    /// The row for `name`.
    pub fn named(name: &str) -> Option<&'static Service> {
        SERVICES.iter().find(|s| s.name == name)
    }

    /// The host and signing region for a call in `region`.
    pub fn host(&self, region: &str) -> (String, String) {
        match self.endpoint {
            Endpoint::Regional => (format!("{}.{region}.amazonaws.com", self.name), region.to_owned()),
            Endpoint::Global { host, region } => (host.to_owned(), region.to_owned()),
        }
    }
}

impl Protocol {
    /// The protocol a service speaks, None for services not in the table.
    pub fn of(service: &str) -> Option<Self> {
        Service::named(service).map(|s| s.protocol)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_follows_aws() {
        assert_eq!(
            Service::named("ec2").unwrap().host("eu-west-1"),
            ("ec2.eu-west-1.amazonaws.com".into(), "eu-west-1".into())
        );
        assert_eq!(Service::named("iam").unwrap().host("eu-west-1"), ("iam.amazonaws.com".into(), "us-east-1".into()));
        assert_eq!(Service::named("health").unwrap().host("ap-northeast-2").1, "us-east-1");
        assert_eq!(Protocol::of("servicequotas"), Some(Protocol::Json));
        assert_eq!(Protocol::of("s3"), None);
        let names: std::collections::BTreeSet<_> = SERVICES.iter().map(|s| s.name).collect();
        assert_eq!(names.len(), SERVICES.len(), "one row per service");
    }
}
