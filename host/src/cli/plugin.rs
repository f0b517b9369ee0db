//! `host plugin`: share collectors between teams. Publish one to an OCI
//! registry, pin references in the lock file, sign and verify.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

use super::InputError;
use crate::distribution::registry::{ANNOTATION_PERMISSIONS, ANNOTATION_SCOPE, Registry};
use crate::distribution::{
    LockFile, OciReference, PluginPolicy, PluginSource, TrustedKey, digest_of, load_plugins, signing,
};
use crate::runtime::{Runtime, RuntimeConfig};

/// How plugins are fetched and checked: shared by `host run`, `host
/// inspect` and `host plugin lock`.
#[derive(Debug, Clone, Default, clap::Args)]
pub struct PolicyArgs {
    /// The lock file plugins are held to [default: trawl.lock beside
    /// --config, when it exists].
    #[arg(long, value_name = "FILE")]
    pub lock: Option<PathBuf>,
    /// Accept new versions of locked plugins and write them to the lock
    /// file; new plugins and widened permissions need `host plugin lock`.
    #[arg(long)]
    pub update_lock: bool,
    /// Only run plugins signed by this OpenSSH ed25519 public key
    /// (repeatable; `host plugin sign` makes signatures).
    #[arg(long, value_name = "KEY.pub")]
    pub trust: Vec<PathBuf>,
    /// Speak plain HTTP to registries on this machine (localhost, 127.x);
    /// every other registry stays HTTPS.
    #[arg(long)]
    pub registry_insecure: bool,
}

/// The registry of `reference` when plain HTTP may be used for it: only on
/// loopback, so credentials and components never cross a network in clear.
fn insecure(reference: &OciReference) -> Option<String> {
    if reference.is_loopback() {
        Some(reference.registry.clone())
    } else {
        tracing::warn!(registry = %reference.registry, "--registry-insecure applies to loopback registries only; using HTTPS");
        None
    }
}

impl PolicyArgs {
    /// The policy for `sources`, with `lock` and `trust` from the config
    /// when the flags do not say.
    pub fn policy(
        &self,
        sources: &[PluginSource],
        lock: Option<PathBuf>,
        config_trust: &[PathBuf],
    ) -> anyhow::Result<PluginPolicy> {
        let trust = if self.trust.is_empty() { config_trust } else { &self.trust[..] };
        let trust =
            trust.iter().map(|p| TrustedKey::read(p)).collect::<Result<Vec<_>, _>>().map_err(InputError::from)?;
        let insecure_registries = if self.registry_insecure {
            sources
                .iter()
                .filter_map(|s| match s {
                    PluginSource::Oci(r) => Some(r),
                    PluginSource::File(_) => None,
                })
                .filter_map(insecure)
                .collect()
        } else {
            Vec::new()
        };
        if self.update_lock && lock.is_none() {
            return Err(InputError::from(
                "--update-lock needs a lock file: give --lock FILE (or keep trawl.lock beside --config)",
            ));
        }
        Ok(PluginPolicy { lock, update_lock: self.update_lock, accept_permissions: false, trust, insecure_registries })
    }
}

/// `host plugin` subcommands.
#[derive(Debug, clap::Subcommand)]
pub enum PluginCommand {
    /// Publish a component to an OCI registry (the Wasm OCI Artifact
    /// layout, with its name, version, description and permissions as
    /// annotations, and its signature if FILE.sig exists); prints the
    /// reference pinned by digest.
    Push {
        /// The component.
        file: PathBuf,
        /// Where: oci://REGISTRY/REPOSITORY:TAG.
        #[arg(value_name = "oci://REF")]
        reference: String,
        /// Speak plain HTTP to the registry, if it is on this machine.
        #[arg(long)]
        registry_insecure: bool,
    },
    /// Write lock entries (digest, permissions, scope) for plugins, after
    /// reviewing them.
    Lock {
        /// Plugins: .wasm files or oci:// references.
        #[arg(required = true, value_name = "PLUGIN", value_parser = PluginSource::parse_arg)]
        plugins: Vec<PluginSource>,
        /// The lock file [default: trawl.lock].
        #[arg(long, value_name = "FILE", default_value = "trawl.lock")]
        lock: PathBuf,
        /// Speak plain HTTP to registries on this machine.
        #[arg(long)]
        registry_insecure: bool,
    },
    /// Sign a component with an OpenSSH ed25519 private key: writes
    /// FILE.sig (SSHSIG, namespace trawl-plugin; `ssh-keygen -Y verify`
    /// checks it too). An encrypted key reads TRAWL_KEY_PASSPHRASE.
    Sign {
        /// The component.
        file: PathBuf,
        /// The private key, e.g. ~/.ssh/id_ed25519.
        #[arg(long, value_name = "KEY")]
        key: PathBuf,
    },
}

/// Runs `host plugin ...`.
pub async fn run(command: PluginCommand, quiet: bool) -> anyhow::Result<ExitCode> {
    match command {
        PluginCommand::Push { file, reference, registry_insecure } => push(&file, &reference, registry_insecure).await,
        PluginCommand::Lock { plugins, lock, registry_insecure } => {
            let args = PolicyArgs { update_lock: true, registry_insecure, ..PolicyArgs::default() };
            let policy = PluginPolicy { accept_permissions: true, ..args.policy(&plugins, Some(lock.clone()), &[])? };
            let config = RuntimeConfig { max_instances: 2, ..RuntimeConfig::default() };
            let (_runtime, loaded) = load_plugins(config, &plugins, &policy).await.map_err(InputError::from)?;
            if !quiet {
                let file = LockFile::read(&lock).map_err(InputError::from)?;
                for plugin in &loaded {
                    if let Some(entry) = file.entry(&plugin.source) {
                        eprintln!(
                            "locked {} ({} {}): {}, permissions {}",
                            entry.reference,
                            entry.name,
                            entry.version,
                            entry.digest,
                            entry.permissions.join(", ")
                        );
                    }
                }
            }
            Ok(ExitCode::SUCCESS)
        }
        PluginCommand::Sign { file, key } => {
            let bytes = std::fs::read(&file).map_err(|e| InputError::from(format!("{}: {e}", file.display())))?;
            let signature = signing::sign(&bytes, &key).map_err(InputError::from)?;
            let out = signing::signature_path(&file);
            std::fs::write(&out, signature).map_err(|e| InputError::from(format!("{}: {e}", out.display())))?;
            if !quiet {
                eprintln!("signed {} ({}): {}", file.display(), digest_of(&bytes), out.display());
            }
            Ok(ExitCode::SUCCESS)
        }
    }
}

async fn push(file: &Path, reference: &str, insecure_flag: bool) -> anyhow::Result<ExitCode> {
    let reference = match reference.parse::<PluginSource>().map_err(InputError::from)? {
        PluginSource::Oci(r) if r.digest.is_none() => r,
        PluginSource::Oci(r) => return Err(InputError::from(format!("{r}: push to a tag, not a digest"))),
        PluginSource::File(_) => {
            return Err(InputError::from(format!("{reference}: push to an oci://REGISTRY/REPOSITORY:TAG reference")));
        }
    };
    // Loaded first: what is published is a component trawl runs, and its
    // annotations are what it declares.
    let runtime = Runtime::new(RuntimeConfig { max_instances: 2, ..RuntimeConfig::default() })?;
    let bytes = std::fs::read(file).map_err(|e| InputError::from(format!("{}: cannot read: {e}", file.display())))?;
    let plugin = runtime.load_bytes(&file.display().to_string(), &bytes).await.map_err(InputError::from)?;
    let digest = digest_of(&bytes);
    let signature = std::fs::read_to_string(signing::signature_path(file)).ok();
    let info = &plugin.info;
    let created = humantime::format_rfc3339_seconds(std::time::SystemTime::now()).to_string();
    let annotations = BTreeMap::from([
        ("org.opencontainers.image.title".to_owned(), info.name.clone()),
        ("org.opencontainers.image.version".to_owned(), info.version.clone()),
        ("org.opencontainers.image.description".to_owned(), info.description.clone()),
        ("org.opencontainers.image.created".to_owned(), created),
        (ANNOTATION_PERMISSIONS.to_owned(), info.permissions.join(",")),
        (ANNOTATION_SCOPE.to_owned(), serde_json::to_value(info.scope)?.as_str().unwrap_or_default().to_owned()),
    ]);
    let component = serde_json::json!({
        "exports": [format!("trawl:collector/plugin@{}", plugin.world_version)],
    });
    let registry = Registry::new(if insecure_flag { insecure(&reference).into_iter().collect() } else { Vec::new() })
        .map_err(InputError::from)?;
    let file_name = file.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_default();
    let manifest =
        registry.push(&reference, bytes, &file_name, annotations, component).await.map_err(InputError::from)?;
    if let Some(signature) = &signature {
        registry.push_signature(&reference, &digest, signature).await.map_err(InputError::from)?;
    }
    println!("{}", reference.at_digest(&manifest));
    Ok(ExitCode::SUCCESS)
}

/// `host inspect oci://...`: what the registry says about a component,
/// from its manifest's annotations, without fetching or running it.
pub async fn inspect_reference(reference: &OciReference, insecure_flag: bool, as_json: bool) -> anyhow::Result<()> {
    let registry = Registry::new(if insecure_flag { insecure(reference).into_iter().collect() } else { Vec::new() })
        .map_err(InputError::from)?;
    let (manifest, digest) = registry.manifest(reference).await.map_err(InputError::from)?;
    let annotations = manifest.annotations.clone().unwrap_or_default();
    let layer = &manifest.layers[0];
    if as_json {
        let doc = serde_json::json!({
            "reference": reference.to_string(),
            "manifest": digest,
            "component": {"digest": layer.digest, "size": layer.size},
            "annotations": annotations,
        });
        println!("{}", serde_json::to_string_pretty(&doc)?);
        return Ok(());
    }
    let get = |key: &str| {
        annotations.get(key).map(|v| crate::report::terminal::clip(v, 200)).unwrap_or_else(|| "(not given)".into())
    };
    println!(
        "{} {}: {}",
        get("org.opencontainers.image.title"),
        get("org.opencontainers.image.version"),
        get("org.opencontainers.image.description")
    );
    println!("  reference:   {}", reference.at_digest(&digest));
    println!("  component:   {} ({} bytes)", layer.digest, layer.size);
    println!("  scope:       {}", get(ANNOTATION_SCOPE));
    println!("  permissions: {}", get(ANNOTATION_PERMISSIONS).replace(',', ", "));
    println!("  (from the registry's annotations; `host plugin lock` pulls and checks it)");
    Ok(())
}
