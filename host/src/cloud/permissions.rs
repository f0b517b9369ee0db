//! The `service:Operation` patterns a plugin declares, and the check the
//! host makes before every call.

use std::fmt;

/// A plugin's declared permissions, validated at load time.
#[derive(Debug, Clone, Default)]
pub struct Permissions {
    patterns: Vec<Pattern>,
}

#[derive(Debug, Clone)]
struct Pattern {
    service: String,
    operation: String,
    prefix: bool,
}

/// A permission string that is not `service:Operation[*]`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid permission {0:?}: expected service:Operation, e.g. ec2:DescribeVolumes or ec2:Describe*")]
pub struct InvalidPermission(pub String);

impl Permissions {
    /// Parses the patterns a plugin declared.
    pub fn parse<S: AsRef<str>>(declared: &[S]) -> Result<Self, InvalidPermission> {
        let patterns = declared
            .iter()
            .map(|p| {
                let p = p.as_ref();
                let bad = || InvalidPermission(p.to_owned());
                let (service, op) = p.split_once(':').ok_or_else(bad)?;
                let (operation, prefix) = match op.strip_suffix('*') {
                    Some(head) => (head, true),
                    None => (op, false),
                };
                let word = |s: &str| s.chars().all(|c| c.is_ascii_alphanumeric() || c == '-');
                if service.is_empty() || !word(service) || !word(operation) || (!prefix && operation.is_empty()) {
                    return Err(bad());
                }
                Ok(Pattern { service: service.to_owned(), operation: operation.to_owned(), prefix })
            })
            .collect::<Result<_, _>>()?;
        Ok(Self { patterns })
    }

    /// True when `service:operation` matches a declared pattern.
    pub fn allows(&self, service: &str, operation: &str) -> bool {
        self.patterns.iter().any(|p| {
            p.service == service
                && if p.prefix { operation.starts_with(&p.operation) } else { operation == p.operation }
        })
    }
}

impl fmt::Display for Permissions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let shown: Vec<String> = self
            .patterns
            .iter()
            .map(|p| format!("{}:{}{}", p.service, p.operation, if p.prefix { "*" } else { "" }))
            .collect();
        f.write_str(&shown.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exact_and_prefix_patterns() {
        let p = Permissions::parse(&["ec2:DescribeVolumes", "iam:List*"]).unwrap();
        assert!(p.allows("ec2", "DescribeVolumes"));
        assert!(!p.allows("ec2", "DescribeVolumesModifications"));
        assert!(!p.allows("ec2", "DeleteVolume"));
        assert!(p.allows("iam", "ListRoles"));
        assert!(!p.allows("sts", "ListRoles"));
        assert_eq!(p.to_string(), "ec2:DescribeVolumes, iam:List*");
    }

    #[test]
    fn malformed_patterns_are_refused_by_name() {
        for bad in ["ec2", ":Describe", "ec2:", "ec2:Desc ribe", "*:*", "ec2:*Volumes"] {
            assert_eq!(Permissions::parse(&[bad]).unwrap_err(), InvalidPermission(bad.into()), "{bad}");
        }
        assert!(Permissions::parse(&["ec2:*"]).unwrap().allows("ec2", "DeleteVolume"));
    }
}
