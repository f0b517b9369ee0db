//! OCI registries, through `oci-client`: pull and push components in the
//! CNCF "Wasm OCI Artifact" layout (a `application/vnd.wasm.config.v0+json`
//! config and exactly one `application/wasm` layer), what other tools
//! (wkg, oras) read and write, with credentials from the docker config.

use std::collections::BTreeMap;
use std::time::Duration;

use oci_client::client::{ClientConfig, ClientProtocol, Config, ImageLayer};
use oci_client::errors::{OciDistributionError, OciErrorCode};
use oci_client::manifest::{OCI_IMAGE_MEDIA_TYPE, OciDescriptor, OciImageManifest};
use oci_client::secrets::RegistryAuth;
use oci_client::{Client, Reference};

use super::source::OciReference;

/// The config blob's media type in the Wasm OCI Artifact layout.
pub const WASM_CONFIG_MEDIA_TYPE: &str = "application/vnd.wasm.config.v0+json";
/// The component layer's media type.
pub const WASM_LAYER_MEDIA_TYPE: &str = "application/wasm";
/// A signature artifact's config and layer media types.
const SIGNATURE_CONFIG_MEDIA_TYPE: &str = "application/vnd.dev.trawl.signature.v1+json";
const SIGNATURE_MEDIA_TYPE: &str = "application/vnd.dev.trawl.sshsig";
/// Manifest annotations trawl writes (and shows in `host inspect`).
pub const ANNOTATION_PERMISSIONS: &str = "dev.trawl.plugin.permissions";
/// The plugin's scope, as an annotation.
pub const ANNOTATION_SCOPE: &str = "dev.trawl.plugin.scope";

/// The largest component pulled (a Python collector is about 40 MiB).
pub const MAX_COMPONENT_BYTES: u64 = 256 << 20;

const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A client for the registries of one run.
pub struct Registry {
    client: Client,
}

impl Registry {
    /// A client; `insecure` registries (`HOST:PORT`) are spoken to over
    /// plain HTTP, every other one over HTTPS.
    pub fn new(insecure: Vec<String>) -> Result<Self, String> {
        // oci-client's HTTP stack needs a process-wide rustls provider; the
        // AWS side already uses ring, so both use it.
        let _ = rustls::crypto::ring::default_provider().install_default();
        let config = ClientConfig {
            protocol: ClientProtocol::HttpsExcept(insecure),
            connect_timeout: Some(CONNECT_TIMEOUT),
            read_timeout: Some(READ_TIMEOUT),
            ..ClientConfig::default()
        };
        let client = Client::try_from(config).map_err(|e| format!("cannot set up the registry client: {e}"))?;
        Ok(Self { client })
    }

    /// The manifest `reference` names, and its digest; checked to be a
    /// Wasm component artifact.
    pub async fn manifest(&self, reference: &OciReference) -> Result<(OciImageManifest, String), String> {
        let (r, auth) = self.prepare(reference)?;
        let (manifest, digest) =
            self.client.pull_image_manifest(&r, &auth).await.map_err(|e| describe(reference, &e))?;
        check_layout(reference, &manifest)?;
        Ok((manifest, digest))
    }

    /// The bytes of `layer` (checked against its digest).
    pub async fn blob(&self, reference: &OciReference, layer: &OciDescriptor) -> Result<Vec<u8>, String> {
        let (r, _) = self.prepare(reference)?;
        if layer.size < 0 || layer.size as u64 > MAX_COMPONENT_BYTES {
            return Err(format!(
                "{reference}: its component is said to be {} bytes; trawl takes components up to {} MiB",
                layer.size,
                MAX_COMPONENT_BYTES >> 20
            ));
        }
        let mut bytes = Vec::with_capacity(layer.size as usize);
        self.client.pull_blob(&r, layer, &mut bytes).await.map_err(|e| describe(reference, &e))?;
        Ok(bytes)
    }

    /// Publishes a component; returns the manifest's digest.
    pub async fn push(
        &self,
        reference: &OciReference,
        wasm: Vec<u8>,
        file_name: &str,
        annotations: BTreeMap<String, String>,
        component: serde_json::Value,
    ) -> Result<String, String> {
        let (r, auth) = self.prepare(reference)?;
        let layer_annotations = BTreeMap::from([("org.opencontainers.image.title".to_owned(), file_name.to_owned())]);
        let layers = vec![ImageLayer::new(wasm, WASM_LAYER_MEDIA_TYPE.to_owned(), Some(layer_annotations))];
        let config = serde_json::json!({
            "created": annotations.get("org.opencontainers.image.created"),
            "architecture": "wasm",
            "os": "wasip2",
            "layerDigests": [layers[0].sha256_digest()],
            "component": component,
        });
        let config = Config::new(config.to_string().into_bytes(), WASM_CONFIG_MEDIA_TYPE.to_owned(), None);
        self.push_artifact(reference, &r, &auth, layers, config, annotations).await
    }

    /// The SSHSIG signature stored for the component with `digest`, if any.
    pub async fn signature(&self, reference: &OciReference, digest: &str) -> Result<Option<String>, String> {
        let tagged = signature_reference(reference, digest);
        let (r, auth) = self.prepare(&tagged)?;
        let manifest = match self.client.pull_image_manifest(&r, &auth).await {
            Ok((manifest, _)) => manifest,
            Err(e) if is_not_found(&e) => return Ok(None),
            Err(e) => return Err(describe(&tagged, &e)),
        };
        let Some(layer) = manifest.layers.iter().find(|l| l.media_type == SIGNATURE_MEDIA_TYPE) else {
            return Ok(None);
        };
        let bytes = self.blob(&tagged, layer).await?;
        String::from_utf8(bytes).map(Some).map_err(|_| format!("{tagged}: the signature is not text"))
    }

    /// Stores `signature` for the component with `digest`, under the
    /// tag `sha256-<hex>.sig` beside it.
    pub async fn push_signature(&self, reference: &OciReference, digest: &str, signature: &str) -> Result<(), String> {
        let tagged = signature_reference(reference, digest);
        let (r, auth) = self.prepare(&tagged)?;
        let layers = vec![ImageLayer::new(signature.as_bytes().to_vec(), SIGNATURE_MEDIA_TYPE.to_owned(), None)];
        let config = Config::new(
            serde_json::json!({"signs": digest, "format": "sshsig", "namespace": super::signing::NAMESPACE})
                .to_string()
                .into_bytes(),
            SIGNATURE_CONFIG_MEDIA_TYPE.to_owned(),
            None,
        );
        self.push_artifact(&tagged, &r, &auth, layers, config, BTreeMap::new()).await.map(|_| ())
    }

    async fn push_artifact(
        &self,
        reference: &OciReference,
        r: &Reference,
        auth: &RegistryAuth,
        layers: Vec<ImageLayer>,
        config: Config,
        annotations: BTreeMap<String, String>,
    ) -> Result<String, String> {
        let mut manifest = OciImageManifest::build(&layers, &config, (!annotations.is_empty()).then_some(annotations));
        // `build` leaves it out; other tools (oci-wasm, wkg) need it.
        manifest.media_type = Some(OCI_IMAGE_MEDIA_TYPE.to_owned());
        self.client.push(r, &layers, config, auth, Some(manifest)).await.map_err(|e| describe(reference, &e))?;
        self.client.fetch_manifest_digest(r, auth).await.map_err(|e| describe(reference, &e))
    }

    fn prepare(&self, reference: &OciReference) -> Result<(Reference, RegistryAuth), String> {
        let r: Reference =
            reference.without_scheme().parse().map_err(|e| format!("{reference}: not a registry reference ({e})"))?;
        let auth = credentials(r.resolve_registry());
        Ok((r, auth))
    }
}

/// Credentials for `registry` from the docker config (`DOCKER_CONFIG`,
/// else `~/.docker/config.json`); anonymous when it has none.
fn credentials(registry: &str) -> RegistryAuth {
    match docker_credential::get_credential(registry) {
        Ok(docker_credential::DockerCredential::UsernamePassword(user, password)) => {
            RegistryAuth::Basic(user, password)
        }
        Ok(docker_credential::DockerCredential::IdentityToken(_)) => {
            tracing::warn!(
                registry,
                "the docker config holds an identity token, which trawl cannot use; pulling anonymously"
            );
            RegistryAuth::Anonymous
        }
        Err(e) => {
            tracing::debug!(registry, "no docker credentials ({e}); pulling anonymously");
            RegistryAuth::Anonymous
        }
    }
}

/// Other tools' layout: a Wasm config and exactly one component layer.
fn check_layout(reference: &OciReference, manifest: &OciImageManifest) -> Result<(), String> {
    if manifest.config.media_type != WASM_CONFIG_MEDIA_TYPE {
        return Err(format!(
            "{reference} is not a WebAssembly component artifact (its config is {:?}, not {WASM_CONFIG_MEDIA_TYPE})",
            manifest.config.media_type
        ));
    }
    match manifest.layers.as_slice() {
        [layer] if layer.media_type == WASM_LAYER_MEDIA_TYPE => Ok(()),
        [layer] => Err(format!("{reference}: its layer is {:?}, not {WASM_LAYER_MEDIA_TYPE}", layer.media_type)),
        layers => Err(format!("{reference} has {} layers; a component artifact has exactly one", layers.len())),
    }
}

fn signature_reference(reference: &OciReference, digest: &str) -> OciReference {
    OciReference { tag: Some(format!("{}.sig", digest.replace(':', "-"))), digest: None, ..reference.clone() }
}

fn is_not_found(e: &OciDistributionError) -> bool {
    match e {
        OciDistributionError::ImageManifestNotFoundError(_) => true,
        OciDistributionError::ServerError { code: 404, .. } => true,
        OciDistributionError::RegistryError { envelope, .. } => envelope.errors.iter().any(|x| {
            matches!(x.code, OciErrorCode::ManifestUnknown | OciErrorCode::NotFound | OciErrorCode::NameUnknown)
        }),
        _ => false,
    }
}

/// One line naming the registry and what went wrong.
fn describe(reference: &OciReference, e: &OciDistributionError) -> String {
    let registry = &reference.registry;
    match e {
        OciDistributionError::UnauthorizedError { .. }
        | OciDistributionError::AuthenticationFailure(_)
        | OciDistributionError::ServerError { code: 401 | 403, .. } => format!(
            "{reference}: registry {registry} refused the credentials (or asked for some); log in with `docker login {registry}` or set DOCKER_CONFIG"
        ),
        e if is_not_found(e) => format!("{reference}: not found in registry {registry}"),
        OciDistributionError::DigestError(d) => {
            format!("{reference}: what registry {registry} sent does not match its digest ({d})")
        }
        OciDistributionError::RequestError(request) => {
            // The cause (connection refused, TLS) is at the bottom of the chain.
            let mut cause: &dyn std::error::Error = request;
            while let Some(next) = cause.source() {
                cause = next;
            }
            let hint = if cause.to_string().contains("InvalidContentType") || cause.to_string().contains("record") {
                " (a plain-HTTP registry? pass --registry-insecure)"
            } else {
                ""
            };
            format!("{reference}: cannot reach registry {registry}: {cause}{hint}")
        }
        other => format!("{reference}: registry {registry}: {}", other.to_string().lines().next().unwrap_or_default()),
    }
}
