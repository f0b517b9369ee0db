//! `trawl.lock`: for each plugin reference, the digest of the component
//! the operator reviewed and the permissions and scope it declared, so a
//! changed component, or one that asks for more, stops until accepted.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use crate::runtime::{PluginInfo, Scope};

/// The lock file.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct LockFile {
    /// One entry per plugin reference, in the order written.
    #[serde(default, rename = "plugin")]
    pub plugins: Vec<LockEntry>,
}

/// What was accepted for one plugin reference.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct LockEntry {
    /// The reference as given (`oci://...` or a path).
    pub reference: String,
    /// `sha256:...` of the component's bytes.
    pub digest: String,
    /// For a registry reference, the manifest's digest (so a pinned run
    /// can be served from the cache without asking the registry).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manifest: Option<String>,
    /// The plugin's name and version.
    pub name: String,
    /// The plugin's version.
    pub version: String,
    /// The scope it declared.
    pub scope: Scope,
    /// The permissions it declared, sorted.
    pub permissions: Vec<String>,
}

/// Why a plugin does not match its lock entry.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum LockMismatch {
    /// Different bytes than the ones accepted.
    #[error("{reference}: the component is {found}, not {locked} as {lock} pins it{also}")]
    Digest {
        /// What else changed, and how to accept it.
        also: String,
        /// The plugin reference.
        reference: String,
        /// The digest found.
        found: String,
        /// The digest in the lock.
        locked: String,
        /// The lock file.
        lock: String,
    },
    /// It declares permissions the lock does not hold.
    #[error(
        "{reference}: plugin {name} now asks for {added} beyond what {lock} accepted; review it, then accept it with `host plugin lock {reference}`"
    )]
    Widened {
        /// The plugin reference.
        reference: String,
        /// The plugin's name.
        name: String,
        /// The added permissions, comma-separated.
        added: String,
        /// The lock file.
        lock: String,
    },
    /// It changed scope (an account plugin turned organization-wide).
    #[error(
        "{reference}: plugin {name} changed scope from {locked:?} to {found:?} since {lock}; review it, then accept it with `host plugin lock {reference}`"
    )]
    Scope {
        /// The plugin reference.
        reference: String,
        /// The plugin's name.
        name: String,
        /// The scope now.
        found: Scope,
        /// The scope in the lock.
        locked: Scope,
        /// The lock file.
        lock: String,
    },
}

impl LockFile {
    /// Reads `path`; a missing file is an empty lock.
    pub fn read(path: &Path) -> Result<Self, String> {
        match std::fs::read_to_string(path) {
            Ok(text) => {
                toml::from_str(&text).map_err(|e| format!("{}: not a trawl lock file: {}", path.display(), e.message()))
            }
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Self::default()),
            Err(e) => Err(format!("{}: {e}", path.display())),
        }
    }

    /// Writes it to `path` (atomically: a reader never sees half a file).
    pub fn write(&self, path: &Path) -> Result<(), String> {
        let text = format!(
            "# trawl.lock: the plugins this run accepted, by digest and declared permissions.\n\
             # Written by `host plugin lock` and `host run --update-lock`; review changes like code.\n\n{}",
            toml::to_string_pretty(self).map_err(|e| e.to_string())?
        );
        let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
        let mut file = tempfile::NamedTempFile::new_in(dir).map_err(|e| format!("{}: {e}", dir.display()))?;
        std::io::Write::write_all(&mut file, text.as_bytes()).map_err(|e| format!("{}: {e}", path.display()))?;
        file.persist(path).map_err(|e| format!("{}: {e}", path.display()))?;
        Ok(())
    }

    /// The entry for `reference`.
    pub fn entry(&self, reference: &str) -> Option<&LockEntry> {
        self.plugins.iter().find(|e| e.reference == reference)
    }

    /// Adds or replaces the entry for its reference.
    pub fn set(&mut self, entry: LockEntry) {
        match self.plugins.iter_mut().find(|e| e.reference == entry.reference) {
            Some(slot) => *slot = entry,
            None => self.plugins.push(entry),
        }
    }
}

impl LockEntry {
    /// The entry for a loaded plugin.
    pub fn new(reference: String, digest: String, manifest: Option<String>, info: &PluginInfo) -> Self {
        let mut permissions = info.permissions.clone();
        permissions.sort();
        permissions.dedup();
        Self {
            reference,
            digest,
            manifest,
            name: info.name.clone(),
            version: info.version.clone(),
            scope: info.scope,
            permissions,
        }
    }

    /// Checks a loaded plugin against this entry: the same bytes, and no
    /// permission or scope beyond what was accepted. Narrower permissions
    /// pass (they are still within what was reviewed).
    pub fn check(&self, digest: &str, info: &PluginInfo, lock: &Path) -> Result<(), LockMismatch> {
        let lock = lock.display().to_string();
        let accepted: BTreeSet<&str> = self.permissions.iter().map(String::as_str).collect();
        let added: BTreeSet<&str> =
            info.permissions.iter().map(String::as_str).filter(|p| !accepted.contains(p)).collect();
        if digest != self.digest {
            let also = if added.is_empty() {
                "; review it and run with --update-lock to accept it".to_owned()
            } else {
                let added: Vec<String> = added.iter().map(|p| format!("+{p}")).collect();
                format!(
                    ", and it asks for {}; review it, then accept it with `host plugin lock {}`",
                    added.join(", "),
                    self.reference
                )
            };
            return Err(LockMismatch::Digest {
                also,
                reference: self.reference.clone(),
                found: digest.to_owned(),
                locked: self.digest.clone(),
                lock,
            });
        }
        if !added.is_empty() {
            return Err(LockMismatch::Widened {
                reference: self.reference.clone(),
                name: info.name.clone(),
                added: added.into_iter().map(|p| format!("+{p}")).collect::<Vec<_>>().join(", "),
                lock,
            });
        }
        if info.scope != self.scope {
            return Err(LockMismatch::Scope {
                reference: self.reference.clone(),
                name: info.name.clone(),
                found: info.scope,
                locked: self.scope,
                lock,
            });
        }
        Ok(())
    }
}

/// The lock file a run uses: `--lock FILE`, else `trawl.lock` beside the
/// run config when one is given and the lock exists there.
pub fn lock_path(explicit: Option<&Path>, config: Option<&Path>) -> Option<PathBuf> {
    if let Some(path) = explicit {
        return Some(path.to_owned());
    }
    let beside = config?.parent().unwrap_or(Path::new(".")).join("trawl.lock");
    beside.exists().then_some(beside)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn info(permissions: &[&str]) -> PluginInfo {
        PluginInfo {
            name: "ebs".into(),
            version: "0.1.0".into(),
            description: String::new(),
            scope: Scope::Regional,
            home_region: "us-east-1".into(),
            permissions: permissions.iter().map(|p| p.to_string()).collect(),
            columns: vec![],
            key: vec![],
            settings: vec![],
        }
    }

    #[test]
    fn a_lock_refuses_new_bytes_and_widened_permissions_but_not_narrower_ones() {
        let entry = LockEntry::new(
            "ebs.wasm".into(),
            "sha256:aa".into(),
            None,
            &info(&["ec2:DescribeVolumes", "ec2:DescribeRegions"]),
        );
        let lock = Path::new("trawl.lock");
        assert_eq!(entry.check("sha256:aa", &info(&["ec2:DescribeVolumes"]), lock), Ok(()));
        let e = entry.check("sha256:bb", &info(&["ec2:DescribeVolumes"]), lock).unwrap_err().to_string();
        assert!(e.contains("sha256:bb") && e.contains("sha256:aa") && e.contains("--update-lock"), "{e}");
        let e = entry
            .check("sha256:aa", &info(&["ec2:DescribeVolumes", "iam:*", "ec2:TerminateInstances"]), lock)
            .unwrap_err();
        assert!(e.to_string().contains("+ec2:TerminateInstances, +iam:*"), "{e}");
    }

    #[test]
    fn a_lock_file_round_trips_and_a_broken_one_is_named() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("trawl.lock");
        assert_eq!(LockFile::read(&path), Ok(LockFile::default()));
        let mut lock = LockFile::default();
        lock.set(LockEntry::new(
            "oci://r/ebs:1".into(),
            "sha256:aa".into(),
            Some("sha256:mm".into()),
            &info(&["ec2:*"]),
        ));
        lock.write(&path).unwrap();
        assert_eq!(LockFile::read(&path).unwrap(), lock);
        std::fs::write(&path, "[[plugin]]\nreference = 3").unwrap();
        assert!(LockFile::read(&path).unwrap_err().contains("not a trawl lock file"));
    }
}
