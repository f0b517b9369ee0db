//! Plugin signatures: OpenSSH ed25519 keys (the ones teams already have)
//! and the SSHSIG format of `ssh-keygen -Y sign`, so a signature trawl
//! writes can be checked with `ssh-keygen -Y verify -n trawl-plugin` and
//! the other way round. The signature covers the component's bytes and
//! lives beside it: `FILE.wasm.sig`, or in a registry under the tag
//! `sha256-<digest>.sig` (registries without the OCI referrers API).

use std::path::{Path, PathBuf};

use ssh_key::{Algorithm, HashAlg, LineEnding, PrivateKey, PublicKey, SshSig};

/// The SSHSIG namespace: a signature made for something else (a git
/// commit, a file) never passes as a plugin signature.
pub const NAMESPACE: &str = "trawl-plugin";

/// A key operators trust to sign plugins.
#[derive(Debug, Clone)]
pub struct TrustedKey {
    key: PublicKey,
    /// Where it came from, for messages.
    pub source: String,
}

impl TrustedKey {
    /// Reads an OpenSSH public key file (`ssh-ed25519 AAAA... comment`).
    pub fn read(path: &Path) -> Result<Self, String> {
        let shown = path.display().to_string();
        let text = std::fs::read_to_string(path).map_err(|e| format!("trust key {shown}: {e}"))?;
        let key = PublicKey::from_openssh(text.trim())
            .map_err(|e| format!("trust key {shown}: not an OpenSSH public key ({e})"))?;
        if key.algorithm() != Algorithm::Ed25519 {
            return Err(format!("trust key {shown}: {} keys are not accepted; use ssh-ed25519", key.algorithm()));
        }
        Ok(Self { key, source: shown })
    }

    /// `SHA256:...`, as `ssh-keygen -l` prints it.
    pub fn fingerprint(&self) -> String {
        self.key.fingerprint(HashAlg::Sha256).to_string()
    }
}

/// Signs `bytes` with an OpenSSH ed25519 private key; the SSHSIG text.
/// An encrypted key takes its passphrase from `TRAWL_KEY_PASSPHRASE`.
pub fn sign(bytes: &[u8], key_path: &Path) -> Result<String, String> {
    let shown = key_path.display();
    let mut key =
        PrivateKey::read_openssh_file(key_path).map_err(|e| format!("{shown}: not an OpenSSH private key ({e})"))?;
    if key.algorithm() != Algorithm::Ed25519 {
        return Err(format!("{shown}: {} keys are not accepted; use an ssh-ed25519 key", key.algorithm()));
    }
    if key.is_encrypted() {
        let passphrase = std::env::var("TRAWL_KEY_PASSPHRASE")
            .map_err(|_| format!("{shown} is encrypted: set TRAWL_KEY_PASSPHRASE to its passphrase"))?;
        key = key.decrypt(passphrase).map_err(|_| format!("{shown}: wrong passphrase in TRAWL_KEY_PASSPHRASE"))?;
    }
    let signature = key.sign(NAMESPACE, HashAlg::Sha512, bytes).map_err(|e| format!("signing with {shown}: {e}"))?;
    signature.to_pem(LineEnding::LF).map_err(|e| format!("signing with {shown}: {e}"))
}

/// Where a file's detached signature lives.
pub fn signature_path(component: &Path) -> PathBuf {
    let mut name = component.as_os_str().to_owned();
    name.push(".sig");
    PathBuf::from(name)
}

/// Checks that `signature` (SSHSIG text, if any) over `bytes` was made by
/// one of `trusted`; the error says why not, in words an operator acts on.
pub fn verify(bytes: &[u8], signature: Option<&str>, trusted: &[TrustedKey]) -> Result<(), String> {
    let Some(text) = signature else {
        return Err("it is not signed, and trust keys are configured".into());
    };
    let signature = SshSig::from_pem(text).map_err(|e| format!("its signature is unreadable ({e})"))?;
    if signature.namespace() != NAMESPACE {
        return Err(format!("its signature is for {:?}, not a trawl plugin", signature.namespace()));
    }
    let signer = PublicKey::from(signature.public_key().clone());
    let Some(key) = trusted.iter().find(|k| k.key.key_data() == signer.key_data()) else {
        return Err(format!(
            "it is signed by {}, which is not a trusted key (trusted: {})",
            signer.fingerprint(HashAlg::Sha256),
            trusted.iter().map(TrustedKey::fingerprint).collect::<Vec<_>>().join(", ")
        ));
    };
    key.key.verify(NAMESPACE, bytes, &signature).map_err(|_| {
        format!("its signature by {} does not match its bytes (changed after signing?)", key.fingerprint())
    })
}
