//! `sign` on `out`: a cosign key-based signature of each digest pushed or promoted, stored as
//! cosign stores it: a layer of the `sha256-<hex>.sig` manifest (merged with the signatures the
//! tag has), and, where the registry offers the referrers API, also the OCI 1.1 referrer cosign's
//! `--registry-referrers-mode=oci-1-1` writes (the same manifest with `config.mediaType`
//! `application/vnd.dev.cosign.artifact.sig.v1+json` and a `subject`).

mod key;

pub(crate) use key::SignKeyError;

use super::local::Doc;
use super::referrers::{Artifact, Kind};
use super::ImageError;
use crate::digest::Digest;
use crate::log;
use crate::protocol::SignField;
use crate::registry::referrers::{Descriptor, ListBounds};
use crate::registry::{Client, Manifest, Repository};
use base64::Engine as _;
use key::SigningKey;
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// The media type of a simple-signing payload layer.
const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";

/// The `config.mediaType` (so the `artifactType`) of cosign's OCI 1.1 signature referrer.
const SIG_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

/// `sign`, compiled before the first write: the key opened, the options merged.
#[derive(Debug)]
pub(crate) struct Signer {
    key: SigningKey,
    recursive: bool,
    annotations: BTreeMap<String, String>,
}

/// What a run signed: the digests and where their signatures are.
#[derive(Debug, Default)]
pub(crate) struct Signed {
    /// The digests signed (the top document first).
    pub digests: Vec<Digest>,
    /// The `.sig` tags, then the referrers' digests.
    pub signatures: Vec<String>,
}

impl Signer {
    /// `source.sign` with `params.sign`'s fields over it; `None` when neither is set. The key
    /// is read (and decrypted) here, so a wrong password fails the run before any write.
    pub(crate) fn of(
        source: Option<&SignField>,
        params: Option<&SignField>,
    ) -> Result<Option<Signer>, ImageError> {
        if source.is_none() && params.is_none() {
            return Ok(None);
        }
        let pick = |f: fn(&SignField) -> bool| {
            if params.is_some_and(f) {
                ("params.sign", params)
            } else {
                ("source.sign", source)
            }
        };
        let (field, holder) = pick(|s| s.key.is_some());
        let Some(pem) = holder.and_then(|s| s.key.as_ref()) else {
            return Err(ImageError::Invalid {
                field: "params.sign.key",
                detail: "missing (in params.sign or source.sign)".into(),
            });
        };
        let password = pick(|s| s.password.is_some())
            .1
            .and_then(|s| s.password.as_ref())
            .map(|p| p.expose().to_string())
            .unwrap_or_default();
        let key = SigningKey::from_pem(pem.expose(), &password)
            .map_err(|source| ImageError::SignKey { field, source })?;
        let recursive = pick(|s| s.recursive.is_some())
            .1
            .and_then(|s| s.recursive)
            .unwrap_or(false);
        let annotations = pick(|s| s.annotations.is_some())
            .1
            .and_then(|s| s.annotations.clone())
            .unwrap_or_default();
        Ok(Some(Signer {
            key,
            recursive,
            annotations,
        }))
    }

    /// Signs `top` (and, with `recursive`, each of `children`) in `repo`; every signature is
    /// stored before this returns.
    pub(crate) async fn write(
        &self,
        client: &Client,
        repo: &Repository,
        top: &Doc,
        children: &[Doc],
    ) -> Result<Signed, ImageError> {
        let mut subjects = vec![top];
        if self.recursive {
            subjects.extend(children);
        }
        let referrers_api = offers_referrers(client, repo, &top.digest).await?;
        let mut signed = Signed::default();
        let mut referrers = Vec::new();
        for subject in subjects {
            let tag = sig_tag(&subject.digest);
            if let Some(referrer) = self
                .sign_one(client, repo, subject, &tag, referrers_api)
                .await?
            {
                referrers.push(referrer);
            }
            signed.digests.push(subject.digest.clone());
            signed.signatures.push(tag);
        }
        signed.signatures.extend(referrers);
        Ok(signed)
    }

    /// Signs one digest: its `.sig` tag merged, and its referrer when the registry indexes
    /// them; the referrer's digest when one was written.
    async fn sign_one(
        &self,
        client: &Client,
        repo: &Repository,
        subject: &Doc,
        tag: &str,
        referrers_api: bool,
    ) -> Result<Option<String>, ImageError> {
        let payload = payload(repo, &subject.digest, &self.annotations);
        let payload_digest = Digest::sha256_of(&payload);
        if self
            .already_signed(client, repo, tag, &payload, &payload_digest)
            .await?
        {
            log::info(format_args!(
                "{repo}@{}: already signed by this key ({tag})",
                subject.digest
            ));
            return Ok(None);
        }
        let sig = self.key.sign(&payload).map_err(|_| ImageError::Invalid {
            field: "sign.key",
            detail: "the key could not sign".into(),
        })?;
        let layer = json!({
            "mediaType": SIMPLE_SIGNING,
            "size": payload.len(),
            "digest": payload_digest,
            "annotations": {
                super::verify::SIGNATURE_ANNOTATION:
                    base64::engine::general_purpose::STANDARD.encode(sig),
            },
        });
        let config = sig_config(&payload_digest);
        let config_digest = Digest::sha256_of(&config);
        super::referrers::push_bytes(client, repo, &payload_digest, &payload).await?;
        super::referrers::push_bytes(client, repo, &config_digest, &config).await?;
        let blobs = vec![
            (config_digest.clone(), config.len() as u64),
            (payload_digest, payload.len() as u64),
        ];
        let mut artifacts = vec![artifact(
            Kind::Cosign(tag.to_string()),
            &subject.digest,
            manifest(
                OCI_MANIFEST_CONFIG,
                &config_digest,
                config.len(),
                &layer,
                None,
            ),
            blobs.clone(),
        )];
        let mut written = None;
        if referrers_api {
            let doc = manifest(
                SIG_ARTIFACT,
                &config_digest,
                config.len(),
                &layer,
                Some(subject),
            );
            let digest = Digest::sha256_of(&doc);
            artifacts.push(artifact(
                Kind::Referrer(Descriptor {
                    media_type: OCI_MANIFEST.into(),
                    digest: digest.clone(),
                    size: doc.len() as u64,
                    artifact_type: Some(SIG_ARTIFACT.into()),
                    annotations: None,
                }),
                &subject.digest,
                doc,
                blobs,
            ));
            written = Some(digest.to_string());
        }
        super::referrers::write(client, repo, &artifacts).await?;
        log::info(format_args!("{repo}@{}: signed ({tag})", subject.digest));
        Ok(written)
    }

    /// Whether the `.sig` tag already holds this key's signature of this very payload (as
    /// cosign's duplicate detection: a second run for the same digest adds nothing).
    async fn already_signed(
        &self,
        client: &Client,
        repo: &Repository,
        tag: &str,
        payload: &[u8],
        payload_digest: &Digest,
    ) -> Result<bool, ImageError> {
        let Some(existing) = client.get_manifest(repo, tag).await? else {
            return Ok(false);
        };
        let doc: Value = serde_json::from_slice(&existing.bytes).unwrap_or(Value::Null);
        let layers = doc["layers"].as_array().cloned().unwrap_or_default();
        Ok(layers.iter().any(|l| {
            l["digest"].as_str() == Some(&payload_digest.to_string())
                && l["annotations"][super::verify::SIGNATURE_ANNOTATION]
                    .as_str()
                    .and_then(|s| base64::engine::general_purpose::STANDARD.decode(s).ok())
                    .is_some_and(|sig| self.key.verifies(payload, &sig))
        }))
    }
}

/// The config media type of the `.sig` manifest (an image config, as go-containerregistry's).
const OCI_MANIFEST_CONFIG: &str = "application/vnd.oci.image.config.v1+json";

/// cosign's tag for the signatures of `digest`.
fn sig_tag(digest: &Digest) -> String {
    format!("{}-{}.sig", digest.algorithm(), digest.hex())
}

/// cosign's simple-signing payload: the repository, the digest, cosign's type, `annotations`
/// as `optional` (`null` without any, as cosign writes it).
fn payload(repo: &Repository, digest: &Digest, annotations: &BTreeMap<String, String>) -> Vec<u8> {
    let optional = if annotations.is_empty() {
        Value::Null
    } else {
        json!(annotations)
    };
    let doc = json!({
        "critical": {
            "identity": {"docker-reference": repo.to_string()},
            "image": {"docker-manifest-digest": digest.to_string()},
            "type": "cosign container image signature",
        },
        "optional": optional,
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// The config of a one-layer signature image, as go-containerregistry writes it for cosign.
fn sig_config(payload_digest: &Digest) -> Vec<u8> {
    let doc = json!({
        "architecture": "",
        "created": "0001-01-01T00:00:00Z",
        "history": [{"created": "0001-01-01T00:00:00Z"}],
        "os": "",
        "rootfs": {"type": "layers", "diff_ids": [payload_digest.to_string()]},
        "config": {},
    });
    serde_json::to_vec(&doc).unwrap_or_default()
}

/// A signature manifest of one layer; with `subject`, the OCI 1.1 referrer form.
fn manifest(
    config_type: &str,
    config_digest: &Digest,
    config_size: usize,
    layer: &Value,
    subject: Option<&Doc>,
) -> Vec<u8> {
    let mut doc = json!({
        "schemaVersion": 2,
        "mediaType": OCI_MANIFEST,
        "config": {"mediaType": config_type, "size": config_size, "digest": config_digest},
        "layers": [layer],
    });
    if let Some(s) = subject {
        doc["subject"] =
            json!({"mediaType": s.media_type, "size": s.bytes.len(), "digest": s.digest});
    }
    serde_json::to_vec(&doc).unwrap_or_default()
}

fn artifact(kind: Kind, subject: &Digest, bytes: Vec<u8>, blobs: Vec<(Digest, u64)>) -> Artifact {
    Artifact {
        kind,
        subject: subject.clone(),
        manifest: Manifest {
            media_type: OCI_MANIFEST.into(),
            digest: Digest::sha256_of(&bytes),
            bytes,
        },
        blobs,
    }
}

/// Whether `repo`'s registry answers the referrers API (its first page for `digest`). A refusal
/// of that endpoint alone (a 4xx, a malformed answer) counts as no API: the `.sig` tag is
/// written in any case.
async fn offers_referrers(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
) -> Result<bool, ImageError> {
    use crate::registry::RegistryError;
    let first_page = ListBounds { count: 0, bytes: 0 };
    match client.referrers(repo, digest, None, first_page).await {
        Ok(listing) => Ok(listing.is_some()),
        Err(
            e @ (RegistryError::Status {
                status: 400..=499, ..
            }
            | RegistryError::BadResponse { .. }
            | RegistryError::Net(crate::net::NetError::BadResponse { .. })),
        ) => {
            log::info(format_args!(
                "{repo}: no OCI 1.1 referrer written (the referrers API answered: {e})"
            ));
            Ok(false)
        }
        Err(e) => Err(e.into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn payload_is_cosigns_simple_signing_document() {
        let repo = Repository::parse("registry.example/app").unwrap_or_else(|e| panic!("{e}"));
        let digest = Digest::sha256_of(b"x");
        let bare = payload(&repo, &digest, &BTreeMap::new());
        let expected = format!(
            r#"{{"critical":{{"identity":{{"docker-reference":"registry.example/app"}},"image":{{"docker-manifest-digest":"{digest}"}},"type":"cosign container image signature"}},"optional":null}}"#
        );
        assert_eq!(String::from_utf8_lossy(&bare), expected);
        let mut a = BTreeMap::new();
        a.insert("git".to_string(), "abc".to_string());
        let with = payload(&repo, &digest, &a);
        assert!(String::from_utf8_lossy(&with).ends_with(r#""optional":{"git":"abc"}}"#));
    }

    #[test]
    fn params_override_source_field_by_field_and_a_key_is_needed() {
        let none = Signer::of(None, None).unwrap_or_else(|e| panic!("{e}"));
        assert!(none.is_none());
        let params = SignField {
            recursive: Some(true),
            ..SignField::default()
        };
        let err = Signer::of(None, Some(&params)).err();
        assert!(
            matches!(
                err,
                Some(ImageError::Invalid {
                    field: "params.sign.key",
                    ..
                })
            ),
            "{err:?}"
        );
        // The key and annotations of the source, `recursive` of the params.
        let rng = ring::rand::SystemRandom::new();
        let der = ring::signature::EcdsaKeyPair::generate_pkcs8(
            &ring::signature::ECDSA_P256_SHA256_ASN1_SIGNING,
            &rng,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let pem = format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            base64::engine::general_purpose::STANDARD.encode(der.as_ref())
        );
        let source = SignField {
            key: Some(pem.into()),
            recursive: Some(false),
            annotations: Some(BTreeMap::from([("a".to_string(), "b".to_string())])),
            ..SignField::default()
        };
        let signer = Signer::of(Some(&source), Some(&params))
            .unwrap_or_else(|e| panic!("{e}"))
            .unwrap_or_else(|| panic!("a signer"));
        assert!(signer.recursive);
        assert_eq!(signer.annotations.len(), 1);
        assert!(matches!(signer.key, SigningKey::Ecdsa(_)));
        let bad = SignField {
            key: Some(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----"
                    .to_string()
                    .into(),
            ),
            ..SignField::default()
        };
        let err = Signer::of(Some(&source), Some(&bad)).err();
        assert!(
            matches!(
                err,
                Some(ImageError::SignKey {
                    field: "params.sign",
                    ..
                })
            ),
            "{err:?}"
        );
    }
}
