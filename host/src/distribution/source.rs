//! Where a plugin comes from: a file, or an OCI registry reference
//! (`oci://REGISTRY/REPOSITORY:TAG` or `...@sha256:DIGEST`).

use std::fmt;
use std::path::PathBuf;
use std::str::FromStr;

/// A plugin as the operator named it.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum PluginSource {
    /// A `.wasm` component on disk.
    File(PathBuf),
    /// A component in an OCI registry.
    Oci(OciReference),
}

/// `REGISTRY/REPOSITORY` with a tag, a digest or both.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct OciReference {
    /// `HOST[:PORT]`.
    pub registry: String,
    /// `collectors/ebs`.
    pub repository: String,
    /// `0.1.0`, when given.
    pub tag: Option<String>,
    /// `sha256:...` of the manifest, when given.
    pub digest: Option<String>,
}

/// The scheme that marks a registry reference.
pub const OCI_SCHEME: &str = "oci://";

impl FromStr for PluginSource {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        match s.strip_prefix(OCI_SCHEME) {
            Some(rest) => rest.parse().map(Self::Oci),
            None if s.contains("://") => {
                Err(format!("{s:?}: a plugin is a .wasm file or an {OCI_SCHEME}REGISTRY/REPOSITORY:TAG reference"))
            }
            None => Ok(Self::File(PathBuf::from(s))),
        }
    }
}

impl PluginSource {
    /// Reads a plugin argument (for clap, which would otherwise take the
    /// infallible `From<&str>`).
    pub fn parse_arg(s: &str) -> Result<Self, String> {
        s.parse()
    }
}

impl From<PathBuf> for PluginSource {
    fn from(path: PathBuf) -> Self {
        Self::File(path)
    }
}

impl From<&str> for PluginSource {
    /// A path, or an `oci://` reference; a malformed reference is kept as
    /// a path and fails to load with its name.
    fn from(s: &str) -> Self {
        s.parse().unwrap_or_else(|_| Self::File(PathBuf::from(s)))
    }
}

impl From<String> for PluginSource {
    /// As [`From<&str>`].
    fn from(s: String) -> Self {
        Self::from(s.as_str())
    }
}

impl fmt::Display for PluginSource {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::File(path) => write!(f, "{}", path.display()),
            Self::Oci(reference) => write!(f, "{reference}"),
        }
    }
}

impl FromStr for OciReference {
    type Err = String;

    fn from_str(rest: &str) -> Result<Self, String> {
        let shown = format!("{OCI_SCHEME}{rest}");
        let bad = |why: &str| {
            format!("{shown:?} is not a registry reference: {why} (e.g. {OCI_SCHEME}ghcr.io/team/ebs:0.1.0)")
        };
        let (name, digest) = match rest.split_once('@') {
            Some((name, digest)) => {
                let hex = digest.strip_prefix("sha256:").ok_or_else(|| bad("the digest must be sha256:..."))?;
                if hex.len() != 64 || !hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
                    return Err(bad("a sha256 digest is 64 lowercase hex digits"));
                }
                (name, Some(digest.to_owned()))
            }
            None => (rest, None),
        };
        let (registry, path) = name.split_once('/').ok_or_else(|| bad("no repository after the registry"))?;
        if registry.is_empty() || !registry.bytes().all(|b| b.is_ascii_alphanumeric() || b"-.:[]".contains(&b)) {
            return Err(bad("the registry must be HOST or HOST:PORT"));
        }
        // Registry clients read a first segment without a dot or a port as
        // a Docker Hub namespace: `oci://registry/team/ebs` would be pulled
        // from docker.io/registry/team/ebs. Say which host is meant.
        if !(registry.contains('.') || registry.contains(':') || registry == "localhost") {
            return Err(bad("the registry needs a dot or a port (registry.example, registry:5000, localhost)"));
        }
        // A tag follows the last `:` of the last path segment.
        let last = path.rsplit('/').next().unwrap_or_default();
        let (repository, tag) = match last.rsplit_once(':') {
            Some((_, tag)) => (&path[..path.len() - tag.len() - 1], Some(tag.to_owned())),
            None => (path, None),
        };
        let valid_repository = !repository.is_empty()
            && repository.split('/').all(|part| {
                !part.is_empty()
                    && part.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b))
            });
        if !valid_repository {
            return Err(bad("a repository is lowercase letters, digits, '.', '_', '-' and '/'"));
        }
        if let Some(tag) = &tag
            && (tag.is_empty()
                || tag.len() > 128
                || !tag.bytes().all(|b| b.is_ascii_alphanumeric() || b"._-".contains(&b)))
        {
            return Err(bad("a tag is up to 128 letters, digits, '.', '_' and '-'"));
        }
        if tag.is_none() && digest.is_none() {
            return Err(bad("give a tag (:0.1.0) or a digest (@sha256:...)"));
        }
        Ok(Self { registry: registry.to_owned(), repository: repository.to_owned(), tag, digest })
    }
}

impl fmt::Display for OciReference {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{OCI_SCHEME}{}/{}", self.registry, self.repository)?;
        if let Some(tag) = &self.tag {
            write!(f, ":{tag}")?;
        }
        if let Some(digest) = &self.digest {
            write!(f, "@{digest}")?;
        }
        Ok(())
    }
}

impl OciReference {
    /// True for a registry on this machine (`localhost`, `127.x`, `[::1]`).
    pub fn is_loopback(&self) -> bool {
        let host = match self.registry.rsplit_once(':') {
            Some((host, port)) if port.bytes().all(|b| b.is_ascii_digit()) => host,
            _ => &self.registry,
        };
        host == "localhost" || host.starts_with("127.") || host == "[::1]"
    }

    /// The same repository at `digest`.
    pub fn at_digest(&self, digest: &str) -> Self {
        Self { tag: None, digest: Some(digest.to_owned()), ..self.clone() }
    }

    /// The reference without the scheme, as registries and `oci-client`
    /// take it.
    pub fn without_scheme(&self) -> String {
        self.to_string()[OCI_SCHEME.len()..].to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_read_or_refused_with_the_reason() {
        let r: PluginSource = "oci://127.0.0.1:5000/collectors/ebs:0.1.0".parse().unwrap();
        let PluginSource::Oci(r) = r else { panic!("an OCI reference") };
        assert_eq!(
            (r.registry.as_str(), r.repository.as_str(), r.tag.as_deref()),
            ("127.0.0.1:5000", "collectors/ebs", Some("0.1.0"))
        );
        let digest = format!("sha256:{}", "a".repeat(64));
        let pinned: OciReference = format!("ghcr.io/team/ebs@{digest}").parse().unwrap();
        assert_eq!((pinned.tag, pinned.digest.as_deref()), (None, Some(digest.as_str())));
        assert_eq!("plugins/ebs.wasm".parse::<PluginSource>(), Ok(PluginSource::File("plugins/ebs.wasm".into())));
        for (bad, why) in [
            ("oci://ghcr.io/team/ebs", "give a tag"),
            ("oci://ghcr.io", "no repository"),
            ("oci://registry/team/ebs:1", "needs a dot or a port"),
            ("oci://ghcr.io/Team/ebs:1", "lowercase"),
            ("oci://ghcr.io/team/ebs@sha256:abc", "64 lowercase hex"),
            ("oci://ghcr.io/team/ebs@md5:abc", "sha256"),
            ("https://ghcr.io/team/ebs:1", "a .wasm file or an oci://"),
        ] {
            let e = bad.parse::<PluginSource>().unwrap_err();
            assert!(e.contains(why), "{bad}: {e}");
        }
        assert_eq!(
            "oci://127.0.0.1:5000/collectors/ebs:0.1.0".parse::<PluginSource>().unwrap().to_string(),
            "oci://127.0.0.1:5000/collectors/ebs:0.1.0"
        );
    }
}
