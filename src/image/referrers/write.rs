//! Writing carried artifacts on the target: referrers by digest (indexed by the registry, else
//! merged into the tag-schema index), cosign tags merged with what the target has.

use super::{Artifact, BlobRef, Kind};
use crate::digest::Digest;
use crate::image::ImageError;
use crate::log;
use crate::registry::referrers::{index_descriptors, schema_tag, Descriptor, ListBounds};
use crate::registry::{Client, Manifest, Repository};
use serde_json::Value;

/// The OCI index media type (the tag schema's index).
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Largest config of a cosign manifest read for a merge.
const MAX_COSIGN_CONFIG: u64 = 1024 * 1024;

/// Writes `artifacts` (their blobs already in `repo`) on the target.
pub(crate) async fn write(
    client: &Client,
    repo: &Repository,
    artifacts: &[Artifact],
) -> Result<(), ImageError> {
    // Referrers first (by digest), then one tag-schema index per subject when the registry
    // did not take the `subject` itself.
    // A referrer already there is not PUT again; whether the registry indexes it itself is
    // then asked of its referrers API (once per subject).
    let mut unindexed: Vec<(&Digest, &Descriptor)> = Vec::new();
    let mut api: std::collections::HashMap<&Digest, bool> = std::collections::HashMap::new();
    for a in artifacts {
        if let Kind::Referrer(d) = &a.kind {
            let m = &a.manifest;
            let reference = m.digest.to_string();
            let indexed = if client.manifest_digest(repo, &reference).await?.is_some() {
                match api.get(&a.subject) {
                    Some(known) => *known,
                    None => {
                        // Whether it answers at all: its first page is enough.
                        let first_page = ListBounds { count: 0, bytes: 0 };
                        let has = client
                            .referrers(repo, &a.subject, None, first_page)
                            .await?
                            .is_some();
                        *api.entry(&a.subject).or_insert(has)
                    }
                }
            } else {
                client
                    .put_manifest_with_subject(repo, &reference, &m.media_type, &m.bytes)
                    .await?
            };
            if !indexed {
                unindexed.push((&a.subject, d));
            }
        }
    }
    let mut subjects: Vec<&Digest> = Vec::new();
    for (s, _) in &unindexed {
        if !subjects.contains(s) {
            subjects.push(s);
        }
    }
    for subject in subjects {
        let ours: Vec<&Descriptor> = unindexed
            .iter()
            .filter(|(s, _)| *s == subject)
            .map(|(_, d)| *d)
            .collect();
        merge_schema_index(client, repo, subject, &ours).await?;
    }
    for a in artifacts {
        if let Kind::Cosign(tag) = &a.kind {
            merge_cosign_tag(client, repo, tag, &a.manifest).await?;
        }
    }
    Ok(())
}

/// Adds `ours` to the target's `sha256-<hex>` index, keeping every entry it has.
async fn merge_schema_index(
    client: &Client,
    repo: &Repository,
    subject: &Digest,
    ours: &[&Descriptor],
) -> Result<(), ImageError> {
    let tag = schema_tag(subject);
    let mut index: Value = match client.get_manifest(repo, &tag).await? {
        Some(m) => serde_json::from_slice(&m.bytes).map_err(|e| ImageError::Malformed {
            reference: format!("{repo}:{tag}"),
            detail: format!("referrers index is not valid: {e}"),
        })?,
        None => serde_json::json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": []}),
    };
    let existing =
        index_descriptors(&serde_json::to_vec(&index).unwrap_or_default()).map_err(|detail| {
            ImageError::Malformed {
                reference: format!("{repo}:{tag}"),
                detail,
            }
        })?;
    let mut added = 0;
    let Some(list) = index.get_mut("manifests").and_then(Value::as_array_mut) else {
        return Err(ImageError::Malformed {
            reference: format!("{repo}:{tag}"),
            detail: "referrers index has no `manifests` list".into(),
        });
    };
    for d in ours {
        if !existing.iter().any(|e| e.digest == d.digest) {
            list.push(serde_json::to_value(d).unwrap_or_default());
            added += 1;
        }
    }
    if added == 0 {
        return Ok(());
    }
    let bytes = serde_json::to_vec(&index).unwrap_or_default();
    client.put_manifest(repo, &tag, OCI_INDEX, &bytes).await?;
    log::info(format_args!(
        "{repo}:{tag}: {added} referrer(s) added ({} there before)",
        existing.len()
    ));
    Ok(())
}

/// Writes a cosign tag: ours when the target has none, nothing when it has the same manifest,
/// else the target's manifest with our layers appended (as cosign appends a signature: the
/// layers already there are kept, a layer already there is not added twice) and its config's
/// `rootfs.diff_ids` following.
async fn merge_cosign_tag(
    client: &Client,
    repo: &Repository,
    tag: &str,
    ours: &Manifest,
) -> Result<(), ImageError> {
    let theirs = match client.get_manifest(repo, tag).await? {
        None => {
            client
                .put_manifest(repo, tag, &ours.media_type, &ours.bytes)
                .await?;
            return Ok(());
        }
        Some(m) if m.digest == ours.digest => return Ok(()),
        Some(m) => m,
    };
    let malformed = |detail: String| ImageError::Malformed {
        reference: format!("{repo}:{tag}"),
        detail,
    };
    let mut merged: Value = serde_json::from_slice(&theirs.bytes)
        .map_err(|e| malformed(format!("cosign manifest is not valid: {e}")))?;
    let our_doc: Value = serde_json::from_slice(&ours.bytes)
        .map_err(|e| malformed(format!("cosign manifest is not valid: {e}")))?;
    let our_layers = our_doc["layers"].as_array().cloned().unwrap_or_default();
    let Some(layers) = merged.get_mut("layers").and_then(Value::as_array_mut) else {
        return Err(malformed("cosign manifest has no layers".into()));
    };
    let before = layers.len();
    for l in our_layers {
        if !layers.contains(&l) {
            layers.push(l);
        }
    }
    let added = layers.len() - before;
    if added == 0 {
        return Ok(());
    }
    let diff_ids: Vec<Value> = layers.iter().map(|l| l["digest"].clone()).collect();
    let config_ref: BlobRef = serde_json::from_value(merged["config"].clone())
        .map_err(|e| malformed(format!("cosign manifest has no valid config: {e}")))?;
    let config = client
        .get_blob_small(repo, &config_ref.digest, MAX_COSIGN_CONFIG)
        .await?;
    let mut config: Value = serde_json::from_slice(&config)
        .map_err(|e| malformed(format!("cosign config is not valid JSON: {e}")))?;
    let Some(fields) = config.as_object_mut() else {
        return Err(malformed("cosign config is not a JSON object".into()));
    };
    fields.insert(
        "rootfs".into(),
        serde_json::json!({"type": "layers", "diff_ids": diff_ids}),
    );
    // The manifest's `config` as an object (serde's struct decoding above takes an array too).
    let Some(config_desc) = merged.get_mut("config").and_then(Value::as_object_mut) else {
        return Err(malformed(
            "cosign manifest's config is not an object".into(),
        ));
    };
    let config = serde_json::to_vec(&config).unwrap_or_default();
    let config_digest = Digest::sha256_of(&config);
    config_desc.insert("digest".into(), Value::String(config_digest.to_string()));
    config_desc.insert("size".into(), Value::from(config.len()));
    push_bytes(client, repo, &config_digest, &config).await?;
    let bytes = serde_json::to_vec(&merged).unwrap_or_default();
    client
        .put_manifest(repo, tag, &theirs.media_type, &bytes)
        .await?;
    log::info(format_args!(
        "{repo}:{tag}: {added} layer(s) appended to the {before} already there"
    ));
    Ok(())
}

/// Pushes a small blob made in memory (a merged cosign config), unless `repo` has it.
pub(crate) async fn push_bytes(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    bytes: &[u8],
) -> Result<(), ImageError> {
    let dir = crate::image::private_temp_dir()?;
    let tmp = dir.path().join(digest.hex());
    crate::fsutil::write_file(&tmp, bytes).map_err(|source| ImageError::Io {
        path: tmp.display().to_string(),
        source,
    })?;
    client
        .push_blob(
            repo,
            &crate::registry::push::PushBlob {
                digest,
                file: &tmp,
                size: bytes.len() as u64,
                mount_from: &[],
                head: true,
                verify: true,
            },
        )
        .await?;
    Ok(())
}
