//! cosign 3's signatures: Sigstore bundles kept as OCI 1.1 referrers of the image
//! (`artifactType` `application/vnd.dev.sigstore.bundle.v0.3+json`), judged by the keyless steps.

use super::{
    artifact_blob, artifact_reason, same_repository, signature_referrers, Budget, Found, Policy,
};
use crate::digest::Digest;
use crate::image::keyless::{statement, Keyless, MAX_BUNDLE_BYTES};
use crate::image::ImageError;
use crate::registry::referrers::{index_descriptors, schema_tag, Descriptor};
use crate::registry::{Client, Repository};

/// `artifactType` of a Sigstore bundle referrer, and its layer's media type.
pub(super) const BUNDLE_ARTIFACT: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

/// The predicate type of cosign 3's image signature statement.
const SIGN_PREDICATE: &str = "https://sigstore.dev/cosign/sign/v1";

/// The bundle layer of a referrer manifest.
#[derive(serde::Deserialize)]
struct Layer {
    #[serde(rename = "mediaType", default)]
    media_type: String,
    digest: Digest,
    #[serde(default)]
    size: u64,
}

impl Policy {
    /// The bundle referrers of `digest`, each judged keyless until `found` is enough.
    pub(super) async fn judge_bundles(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
        budget: &mut Budget,
        reasons: &mut Vec<String>,
        found: &mut Found,
    ) -> Result<(), ImageError> {
        let Some(keyless) = &self.keyless else {
            return Ok(());
        };
        let mut listed =
            signature_referrers(client, repo, digest, BUNDLE_ARTIFACT, reasons).await?;
        if listed.is_empty() {
            listed = schema_listed(client, repo, digest, reasons).await?;
        }
        for d in &listed {
            if !budget.take(reasons) {
                break;
            }
            match self
                .judge_bundle_referrer(client, repo, digest, keyless, &d.digest)
                .await?
            {
                Ok(id) => {
                    if found.identity.is_none() {
                        found.identity = Some(id);
                    }
                    if self.satisfied(found) {
                        break;
                    }
                }
                Err(r) => reasons.push(format!("bundle referrer {}: {r}", d.digest)),
            }
        }
        Ok(())
    }

    /// One referrer: its manifest, its one bundle layer, the bundle judged, its statement.
    async fn judge_bundle_referrer(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
        keyless: &Keyless,
        referrer: &Digest,
    ) -> Result<Result<String, String>, ImageError> {
        let manifest = match client.get_manifest(repo, &referrer.to_string()).await {
            Ok(Some(m)) => m,
            Ok(None) => return Ok(Err("listed but not found".into())),
            Err(e) => return Ok(Err(artifact_reason(e)?)),
        };
        let layer = match bundle_layer(&manifest.bytes) {
            Ok(l) => l,
            Err(r) => return Ok(Err(r)),
        };
        let limit = MAX_BUNDLE_BYTES as u64;
        let bytes =
            match artifact_blob(client, repo, &layer.digest, layer.size, limit, "bundle").await? {
                Ok(b) => b,
                Err(why) => return Ok(Err(why)),
            };
        Ok(keyless
            .judge_bundle(&bytes)
            .and_then(|(id, payload)| self.check_statement(digest, &payload).map(|()| id)))
    }

    /// What a bundle's statement says: cosign's image signature of `digest`, and with
    /// `repositories` one of them as the subject's name.
    fn check_statement(&self, digest: &Digest, payload: &[u8]) -> Result<(), String> {
        let s = statement(payload)?;
        if s.predicate_type != SIGN_PREDICATE {
            return Err(format!(
                "the signed statement's predicateType is {:?}, not {SIGN_PREDICATE} (cosign's image signature)",
                s.predicate_type
            ));
        }
        let ours: Vec<&String> = s
            .subjects
            .iter()
            .filter(|(_, hex)| digest.algorithm() == "sha256" && hex == digest.hex())
            .map(|(name, _)| name)
            .collect();
        if ours.is_empty() {
            let named: Vec<String> = s
                .subjects
                .iter()
                .map(|(_, h)| format!("sha256:{h}"))
                .collect();
            return Err(format!(
                "the signed statement is for another digest ({}), not {digest}",
                named.join(", ")
            ));
        }
        if self.repositories.is_empty() {
            return Ok(());
        }
        if ours.iter().all(|n| n.is_empty()) {
            return Err(
                "the signed statement names no repository (cosign 3 signs the digest alone), so source.verify.repositories cannot be checked"
                    .into(),
            );
        }
        if !ours
            .iter()
            .any(|n| self.repositories.iter().any(|r| same_repository(r, n)))
        {
            return Err(
                "the signed statement's subject names no repository of source.verify.repositories"
                    .into(),
            );
        }
        Ok(())
    }
}

/// The bundles listed by the referrers tag schema's index (`sha256-<hex>`), as cosign writes
/// them to a registry without the referrers API. A missing or malformed index lists none.
async fn schema_listed(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    reasons: &mut Vec<String>,
) -> Result<Vec<Descriptor>, ImageError> {
    let tag = schema_tag(digest);
    let bytes = match client.get_manifest(repo, &tag).await {
        Ok(Some(m)) => m.bytes,
        Ok(None) => return Ok(Vec::new()),
        Err(e) => {
            reasons.push(format!("{tag}: {}", artifact_reason(e)?));
            return Ok(Vec::new());
        }
    };
    match index_descriptors(&bytes) {
        Ok(listed) => Ok(listed
            .into_iter()
            .filter(|d| d.artifact_type.as_deref() == Some(BUNDLE_ARTIFACT))
            .collect()),
        Err(e) => {
            reasons.push(format!("{tag}: {e}"));
            Ok(Vec::new())
        }
    }
}

/// The one layer of a bundle referrer, of the bundle media type.
fn bundle_layer(bytes: &[u8]) -> Result<Layer, String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        layers: Vec<Layer>,
    }
    let doc: Doc =
        serde_json::from_slice(bytes).map_err(|e| format!("bundle manifest is not valid: {e}"))?;
    let mut layers = doc.layers.into_iter();
    match (layers.next(), layers.next()) {
        (Some(l), None) if l.media_type == BUNDLE_ARTIFACT => Ok(l),
        _ => Err(format!(
            "the manifest holds no single layer of type {BUNDLE_ARTIFACT}"
        )),
    }
}
