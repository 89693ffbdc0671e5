//! What refers to an image (cosign `.sig`/`.att`/`.sbom` tags, OCI 1.1 referrers), read from
//! a promotion's source and carried to its target: referrers by the API when the source offers
//! it (else the `sha256-<hex>` tag schema), written by digest and indexed by the target when it
//! answers `OCI-Subject` (else merged into its tag-schema index); cosign tags merged with what
//! the target already has (its layers kept, ours appended), never replaced. Only what is bound
//! to the digest it was found under is carried (a referrer's own `subject` names it; a cosign
//! manifest names no other), within one budget of count and bytes per run.

use super::ImageError;
use crate::digest::Digest;
use crate::log;
use crate::registry::referrers::{index_descriptors, schema_tag, Descriptor, ListBounds};
use crate::registry::{Client, Manifest, Repository};
use serde_json::Value;

/// cosign's tag suffixes: signatures, attestations, SBOMs.
pub const COSIGN_SUFFIXES: [&str; 3] = ["sig", "att", "sbom"];

/// The OCI index media type (the tag schema's index).
const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

/// Largest config of a cosign manifest read for a merge.
const MAX_COSIGN_CONFIG: u64 = 1024 * 1024;

/// Referrers listed (by the API or a tag-schema index) plus cosign manifests read, over every
/// digest of the image, in one run at most. An image has a few (a signature, attestations, an
/// SBOM, a scan); an index of twenty platforms, each signed and attested, some hundred.
pub(crate) const MAX_RUN_REFERRERS: usize = 1_000;

/// Bytes of referrer documents (referrers answers, tag-schema indexes, manifests) read in one
/// run at most: what is held until the promotion writes them. A signature manifest is a few
/// KiB; 64 MiB is an average of 64 KiB for each of [`MAX_RUN_REFERRERS`].
pub(crate) const MAX_RUN_REFERRER_BYTES: u64 = 64 * 1024 * 1024;

/// How an artifact is found, and so how it is written on the target.
#[derive(Clone, Debug)]
pub enum Kind {
    /// A cosign tag (`sha256-<hex>.sig`).
    Cosign(String),
    /// An OCI 1.1 referrer: its descriptor in the referrers list.
    Referrer(Descriptor),
}

/// One artifact referring to the image (or to a child of its index).
#[derive(Clone, Debug)]
pub struct Artifact {
    /// How it is found.
    pub kind: Kind,
    /// The digest it refers to.
    pub subject: Digest,
    /// Its manifest, verified.
    pub manifest: Manifest,
    /// Its blobs (config and layers) with their sizes.
    pub blobs: Vec<(Digest, u64)>,
}

impl Artifact {
    /// How the metadata names it: the cosign tag, or the referrer's digest.
    pub fn name(&self) -> String {
        match &self.kind {
            Kind::Cosign(tag) => tag.clone(),
            Kind::Referrer(d) => d.digest.to_string(),
        }
    }
}

/// A manifest's blobs: config and layers.
#[derive(serde::Deserialize)]
struct Blobs {
    #[serde(default)]
    config: Option<BlobRef>,
    #[serde(default)]
    layers: Vec<BlobRef>,
}

#[derive(serde::Deserialize)]
struct BlobRef {
    digest: Digest,
    size: u64,
}

fn blobs_of(m: &Manifest, what: &str) -> Result<Vec<(Digest, u64)>, ImageError> {
    let b: Blobs = serde_json::from_slice(&m.bytes).map_err(|e| ImageError::Malformed {
        reference: what.to_string(),
        detail: format!("artifact manifest is not valid: {e}"),
    })?;
    Ok(b.config
        .into_iter()
        .chain(b.layers)
        .map(|r| (r.digest, r.size))
        .collect())
}

/// Everything in `repo` that refers to one of `subjects`: the tag list read once for cosign's
/// tags and the tag schema; the referrers API asked per subject first. A document not bound to
/// the subject it was found under is skipped with a warning; past the run's budget of count or
/// bytes, an error (before anything is written).
pub async fn collect(
    client: &Client,
    repo: &Repository,
    subjects: &[Digest],
) -> Result<Vec<Artifact>, ImageError> {
    let tags = client.list_tags(repo).await?.unwrap_or_default();
    let tags: std::collections::HashSet<String> = tags.into_iter().collect();
    let mut budget = Budget::new(repo);
    // Everything listed and counted first: past the budget, no manifest is read.
    let mut listed: Vec<(&Digest, Vec<Descriptor>, Vec<String>)> = Vec::new();
    for subject in subjects {
        let referrers = listed_under(client, repo, subject, &tags, &mut budget).await?;
        let cosign: Vec<String> = COSIGN_SUFFIXES
            .iter()
            .map(|suffix| format!("{}.{suffix}", schema_tag(subject)))
            .filter(|tag| tags.contains(tag))
            .collect();
        budget.spend(cosign.len(), 0)?;
        listed.push((subject, referrers, cosign));
    }
    let mut found: Vec<Artifact> = Vec::new();
    for (subject, referrers, cosign) in listed {
        for d in referrers {
            if d.media_type.contains("index") || d.media_type.contains("manifest.list") {
                log::warn(format_args!(
                    "{repo}@{}: a referrer that is an index is not carried",
                    d.digest
                ));
                continue;
            }
            let what = format!("{repo}@{}", d.digest);
            let Some(manifest) = client.get_manifest(repo, &d.digest.to_string()).await? else {
                log::warn(format_args!(
                    "{what}: listed as a referrer but missing; skipped"
                ));
                continue;
            };
            budget.spend(0, manifest.bytes.len() as u64)?;
            if !bound(&what, false, subject, &manifest.bytes) {
                continue;
            }
            let blobs = blobs_of(&manifest, &what)?;
            found.push(Artifact {
                kind: Kind::Referrer(d),
                subject: subject.clone(),
                manifest,
                blobs,
            });
        }
        for tag in cosign {
            let Some(manifest) = client.get_manifest(repo, &tag).await? else {
                continue;
            };
            budget.spend(0, manifest.bytes.len() as u64)?;
            let what = format!("{repo}:{tag}");
            if !bound(&what, true, subject, &manifest.bytes) {
                continue;
            }
            let blobs = blobs_of(&manifest, &what)?;
            found.push(Artifact {
                kind: Kind::Cosign(tag),
                subject: subject.clone(),
                manifest,
                blobs,
            });
        }
    }
    Ok(found)
}

/// The referrers `repo` lists under `subject`: its referrers API, else its tag-schema index
/// (when `tags` has it), each charged to `budget` (the API read no further than it allows).
async fn listed_under(
    client: &Client,
    repo: &Repository,
    subject: &Digest,
    tags: &std::collections::HashSet<String>,
    budget: &mut Budget<'_>,
) -> Result<Vec<Descriptor>, ImageError> {
    if let Some(listing) = client.referrers(repo, subject, None, budget.left()).await? {
        budget.spend(listing.descriptors.len(), listing.bytes)?;
        return Ok(listing.descriptors);
    }
    let tag = schema_tag(subject);
    if !tags.contains(&tag) {
        return Ok(Vec::new());
    }
    let Some(index) = client.get_manifest(repo, &tag).await? else {
        return Ok(Vec::new());
    };
    budget.spend(0, index.bytes.len() as u64)?;
    let listed = index_descriptors(&index.bytes).map_err(|detail| ImageError::Malformed {
        reference: format!("{repo}:{tag}"),
        detail,
    })?;
    budget.spend(listed.len(), 0)?;
    Ok(listed)
}

/// What one run has read of referrers: counted against [`MAX_RUN_REFERRERS`] and
/// [`MAX_RUN_REFERRER_BYTES`].
struct Budget<'a> {
    repo: &'a Repository,
    count: usize,
    bytes: u64,
}

impl<'a> Budget<'a> {
    fn new(repo: &'a Repository) -> Budget<'a> {
        Budget {
            repo,
            count: 0,
            bytes: 0,
        }
    }

    /// What a referrers answer may still bring.
    fn left(&self) -> ListBounds {
        ListBounds {
            count: MAX_RUN_REFERRERS.saturating_sub(self.count),
            bytes: MAX_RUN_REFERRER_BYTES.saturating_sub(self.bytes),
        }
    }

    /// Charges `count` documents and `bytes`; an error naming the limit once either is passed.
    fn spend(&mut self, count: usize, bytes: u64) -> Result<(), ImageError> {
        self.count = self.count.saturating_add(count);
        self.bytes = self.bytes.saturating_add(bytes);
        let limit = if self.count > MAX_RUN_REFERRERS {
            format!("{MAX_RUN_REFERRERS} referrers")
        } else if self.bytes > MAX_RUN_REFERRER_BYTES {
            format!(
                "{} MiB of referrer documents",
                MAX_RUN_REFERRER_BYTES / (1024 * 1024)
            )
        } else {
            return Ok(());
        };
        Err(ImageError::ReferrerBudget {
            repository: self.repo.to_string(),
            limit,
        })
    }
}

/// Whether `bytes` (the manifest `what`, a cosign one or a referrer) found under `subject` is
/// bound to it; when it is not, says so on stderr, and why.
pub(crate) fn bound(what: &str, cosign: bool, subject: &Digest, bytes: &[u8]) -> bool {
    match unbound(cosign, subject, bytes) {
        None => true,
        Some(why) => {
            log::warn(format_args!(
                "{what}: found under {subject} but {why}; not carried"
            ));
            false
        }
    }
}

/// Why a manifest found under `subject` is not bound to it (`None`: it is). A referrer must
/// name `subject` as its own `subject`; a cosign manifest (bound by its tag's name) may name
/// none, or `subject`. Keys are matched as a registry written in Go reads them
/// (`encoding/json`: any case, Unicode simple folding, the last of duplicates wins), so a
/// `subject` under any spelling a registry would index counts, and more than one is refused.
fn unbound(cosign: bool, subject: &Digest, bytes: &[u8]) -> Option<String> {
    let fields: Fields = match serde_json::from_slice(bytes) {
        Ok(f) => f,
        Err(e) => return Some(format!("its manifest is not a JSON object ({e})")),
    };
    let named: Vec<&(String, Field)> = fields
        .0
        .iter()
        .filter(|(k, _)| folds_to(k, "subject"))
        .collect();
    let object = match named.as_slice() {
        [] | [(_, Field::Null)] if cosign => return None,
        [] | [(_, Field::Null)] => return Some("it names no `subject`".into()),
        [(k, _)] if k != "subject" => {
            return Some(format!("it spells `subject` as `{k}`"));
        }
        [(_, Field::Object(pairs))] => pairs,
        [_] => return Some("its `subject` is not a descriptor".into()),
        _ => return Some("it has more than one `subject`".into()),
    };
    let digests: Vec<&(String, Value)> = object
        .iter()
        .filter(|(k, _)| folds_to(k, "digest"))
        .collect();
    match digests.as_slice() {
        [(k, Value::String(d))] if k == "digest" => {
            (*d != subject.to_string()).then(|| format!("its own `subject` is {d}"))
        }
        _ => Some("its `subject` has no single `digest`".into()),
    }
}

/// Whether JSON key `key` matches field `name` (lower-case ASCII) for some JSON decoder a
/// registry may use: Go's `encoding/json` folds case by Unicode simple folding (`ſ` is an `s`,
/// `K` a `k`); `_` and `-` are dropped as well (Go's JSON v2 case-insensitive names).
fn folds_to(key: &str, name: &str) -> bool {
    let folded = key
        .chars()
        .filter(|c| *c != '_' && *c != '-')
        .map(|c| match c {
            '\u{17f}' => 's',
            '\u{212a}' => 'k',
            c => c.to_ascii_lowercase(),
        });
    folded.eq(name.chars())
}

/// A manifest's top-level members in order, duplicates kept; the value decoded only for a
/// member that may be `subject`.
struct Fields(Vec<(String, Field)>);

enum Field {
    /// A member that is not a `subject` in any spelling (not decoded).
    Other,
    /// `null`.
    Null,
    /// An object's members in order, duplicates kept.
    Object(Vec<(String, Value)>),
    /// Anything else.
    NotObject,
}

impl<'de> serde::Deserialize<'de> for Fields {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct Top;
        impl<'de> serde::de::Visitor<'de> for Top {
            type Value = Fields;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: serde::de::MapAccess<'de>>(
                self,
                mut map: A,
            ) -> Result<Fields, A::Error> {
                let mut out = Vec::new();
                while let Some(key) = map.next_key::<String>()? {
                    let value = if folds_to(&key, "subject") {
                        map.next_value::<Field>()?
                    } else {
                        map.next_value::<serde::de::IgnoredAny>()?;
                        Field::Other
                    };
                    out.push((key, value));
                }
                Ok(Fields(out))
            }
        }
        d.deserialize_map(Top)
    }
}

impl<'de> serde::Deserialize<'de> for Field {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        use serde::de::{IgnoredAny, MapAccess, SeqAccess};
        struct Any;
        impl<'de> serde::de::Visitor<'de> for Any {
            type Value = Field;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a JSON value")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Field, A::Error> {
                let mut pairs = Vec::new();
                while let Some(pair) = map.next_entry::<String, Value>()? {
                    pairs.push(pair);
                }
                Ok(Field::Object(pairs))
            }
            fn visit_unit<E>(self) -> Result<Field, E> {
                Ok(Field::Null)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Field, A::Error> {
                while seq.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Field::NotObject)
            }
            fn visit_bool<E>(self, _: bool) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_i64<E>(self, _: i64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_u64<E>(self, _: u64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_f64<E>(self, _: f64) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
            fn visit_str<E>(self, _: &str) -> Result<Field, E> {
                Ok(Field::NotObject)
            }
        }
        d.deserialize_any(Any)
    }
}

/// Writes `artifacts` (their blobs already in `repo`) on the target.
pub async fn write(
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
async fn push_bytes(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    bytes: &[u8],
) -> Result<(), ImageError> {
    let dir = super::private_temp_dir()?;
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    fn digest(c: char) -> Digest {
        format!("sha256:{}", c.to_string().repeat(64))
            .parse()
            .unwrap()
    }

    /// `unbound` of a manifest whose members after `schemaVersion` are `members` (raw JSON).
    fn why(cosign: bool, members: &str) -> Option<String> {
        let doc = format!(r#"{{"schemaVersion":2{members}}}"#);
        unbound(cosign, &digest('a'), doc.as_bytes())
    }

    fn subject(c: char) -> String {
        format!(r#"{{"mediaType":"x","digest":"{}","size":1}}"#, digest(c))
    }

    #[test]
    fn a_referrer_is_bound_by_its_own_subject_only() {
        assert_eq!(why(false, &format!(r#","subject":{}"#, subject('a'))), None);
        assert_eq!(
            why(false, &format!(r#","subject":{}"#, subject('b'))),
            Some(format!("its own `subject` is {}", digest('b')))
        );
        assert_eq!(why(false, ""), Some("it names no `subject`".into()));
        assert_eq!(
            why(false, r#","subject":null"#),
            Some("it names no `subject`".into())
        );
    }

    #[test]
    fn a_cosign_manifest_may_name_no_subject_or_its_own() {
        assert_eq!(why(true, ""), None);
        assert_eq!(why(true, r#","subject":null"#), None);
        assert_eq!(why(true, &format!(r#","subject":{}"#, subject('a'))), None);
        assert_eq!(
            why(true, &format!(r#","subject":{}"#, subject('b'))),
            Some(format!("its own `subject` is {}", digest('b')))
        );
    }

    #[test]
    fn any_spelling_a_go_registry_reads_as_subject_counts() {
        for key in ["Subject", "SUBJECT", "\u{17f}ubject", "sub_ject"] {
            assert_eq!(
                why(true, &format!(r#","{key}":{}"#, subject('a'))),
                Some(format!("it spells `subject` as `{key}`")),
                "{key}"
            );
        }
        let twice = format!(r#","subject":{},"subject":{}"#, subject('a'), subject('b'));
        assert_eq!(
            why(false, &twice),
            Some("it has more than one `subject`".into())
        );
        let shadowed = format!(r#","subject":{},"Subject":null"#, subject('a'));
        assert_eq!(
            why(false, &shadowed),
            Some("it has more than one `subject`".into())
        );
        let digests = format!(
            r#","subject":{{"digest":"{}","Digest":"{}"}}"#,
            digest('a'),
            digest('b')
        );
        assert_eq!(
            why(false, &digests),
            Some("its `subject` has no single `digest`".into())
        );
        assert_eq!(
            why(false, r#","subject":["x"]"#),
            Some("its `subject` is not a descriptor".into())
        );
        assert!(unbound(false, &digest('a'), b"[]")
            .unwrap()
            .starts_with("its manifest is not a JSON object"));
    }

    #[test]
    fn the_budget_names_the_limit_it_passed() {
        let repo = Repository::parse("127.0.0.1:5000/app").unwrap();
        let mut budget = Budget::new(&repo);
        budget
            .spend(MAX_RUN_REFERRERS, MAX_RUN_REFERRER_BYTES)
            .unwrap();
        assert_eq!(budget.left().count, 0);
        let err = budget.spend(1, 0).unwrap_err().to_string();
        assert!(err.contains("the limit of 1000 referrers per run"), "{err}");
        let mut budget = Budget::new(&repo);
        let err = budget
            .spend(0, MAX_RUN_REFERRER_BYTES + 1)
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("the limit of 64 MiB of referrer documents per run"),
            "{err}"
        );
        assert!(err.starts_with("127.0.0.1:5000/app: "), "{err}");
    }
}
