//! `source.verify`: cosign signatures (tag `sha256-<hex>.sig`, referrers, or Sigstore bundle
//! referrers), checked offline.
//!
//! The format is cosign's `SIGNATURE_SPEC`: one image manifest per signed digest, each layer a
//! simple-signing payload (the blob) with its base64 signature in the layer annotation
//! `dev.cosignproject.cosign/signature`. With `keys`, ECDSA P-256 and RSA sign the payload with
//! SHA-256; Ed25519 signs the payload itself. With `identities`, the layer's Fulcio certificate
//! and Rekor bundle are judged against the trusted root ([`super::keyless`]); no log is asked.

use super::keyless::Keyless;
use super::ImageError;
use crate::digest::Digest;
use crate::log;
use crate::protocol::VerifyField;
use crate::registry::referrers::ListBounds;
use crate::registry::{Client, RegistryError, Repository};
use base64::Engine as _;

mod bundle;
mod key;
pub(crate) use key::{KeyError, PublicKey};

/// The layer annotation holding a cosign signature.
pub(crate) const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// `artifactType` of a cosign signature kept as an OCI 1.1 referrer.
const COSIGN_SIG_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

/// `critical.type` of a cosign simple-signing payload.
const COSIGN_TYPE: &str = "cosign container image signature";

/// Largest signature payload read (real ones are a few hundred bytes).
const MAX_PAYLOAD_BYTES: u64 = 1024 * 1024;

/// Signatures examined per judged digest at most, one budget shared by the `.sig` tag's layers
/// and every referrer (each payload fetched and each referrer manifest read costs one): a
/// hostile registry may list thousands of either.
const MAX_SIGNATURES: usize = 256;

/// Bytes of one digest's signature referrers list read at most (a descriptor is a few hundred
/// bytes: 256 of them fit many times over).
const MAX_SIGNATURE_LISTING_BYTES: u64 = 16 * 1024 * 1024;

/// What one failed request about one artifact (a signature manifest, a payload, a referrer)
/// says as a refusal reason: a 4xx answer, a malformed or oversized response, content not
/// matching its digest. `Err` for what is about the registry itself (connection, TLS,
/// credentials, a 5xx or 429 answer): that fails the run rather than refusing one digest.
/// A small artifact blob (`what`: `payload`, `bundle`) of `size` bytes read whole, verified
/// against `digest`, at most `limit` bytes; why it cannot be used when the registry's answer is
/// about the artifact (too large, tampered with, refused), an error when the registry failed.
pub(super) async fn artifact_blob(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    size: u64,
    limit: u64,
    what: &str,
) -> Result<Result<Vec<u8>, String>, ImageError> {
    if size > limit {
        return Ok(Err(format!("{what} {digest} is larger than {limit} bytes")));
    }
    match client.get_blob_small(repo, digest, limit).await {
        Ok(bytes) => Ok(Ok(bytes)),
        Err(RegistryError::DigestMismatch { .. }) => Ok(Err(format!(
            "{what} {digest} was tampered with (its bytes do not match its digest)"
        ))),
        Err(e) => Ok(Err(format!("{what} {digest}: {}", artifact_reason(e)?))),
    }
}

fn artifact_reason(e: RegistryError) -> Result<String, ImageError> {
    match e {
        RegistryError::Status { status, .. }
            if (400..500).contains(&status) && status != 408 && status != 429 =>
        {
            Ok(e.to_string())
        }
        RegistryError::BadResponse { .. }
        | RegistryError::Net(crate::net::NetError::BadResponse { .. })
        | RegistryError::DigestMismatch { .. }
        | RegistryError::Reference(_) => Ok(e.to_string()),
        e => Err(e.into()),
    }
}

/// The shared count of signatures still to be examined for one digest.
struct Budget {
    left: usize,
}

impl Budget {
    /// Takes one; `false` (and the reason said once) when none is left.
    fn take(&mut self, reasons: &mut Vec<String>) -> bool {
        if self.left == 0 {
            let said = format!("more than {MAX_SIGNATURES} signatures; the rest were not examined");
            if !reasons.contains(&said) {
                reasons.push(said);
            }
            return false;
        }
        self.left -= 1;
        true
    }
}

/// `source.verify`, compiled: the keys, identities and trusted root parsed before any request.
#[derive(Clone, Debug)]
pub(crate) struct Policy {
    keys: Vec<PublicKey>,
    repositories: Vec<String>,
    keyless: Option<Keyless>,
    /// Both kinds required (`verify.all`).
    all: bool,
}

/// The signers found so far for one digest.
#[derive(Default)]
struct Found {
    key: Option<usize>,
    identity: Option<String>,
    /// Why a layer that one kind accepted was refused by the other (said when `all` fails).
    notes: Vec<String>,
}

impl Found {
    fn add(&mut self, other: Found) {
        self.key = self.key.or(other.key);
        if self.identity.is_none() {
            self.identity = other.identity;
        }
    }

    /// Who signed, as the log says it.
    fn describe(&self) -> String {
        let key = self.key.map(|k| format!("source.verify.keys[{k}]"));
        let id = self.identity.as_ref().map(|i| format!("identity {i}"));
        key.into_iter().chain(id).collect::<Vec<_>>().join(" and ")
    }
}

impl Policy {
    /// Parses every key; a bad one is an error naming `source.verify.keys[i]`.
    pub(crate) fn of(field: &VerifyField) -> Result<Policy, ImageError> {
        let keyless =
            Keyless::of(field).map_err(|(field, detail)| ImageError::Invalid { field, detail })?;
        if field.keys.is_empty() && keyless.is_none() {
            return Err(ImageError::Invalid {
                field: "source.verify.keys",
                detail:
                    "at least one public key is needed (or an identity of source.verify.identities)"
                        .into(),
            });
        }
        if field.all && (field.keys.is_empty() || keyless.is_none()) {
            return Err(ImageError::Invalid {
                field: "source.verify.all",
                detail: "needs both keys and identities".into(),
            });
        }
        let keys = field
            .keys
            .iter()
            .enumerate()
            .map(|(index, pem)| {
                PublicKey::from_pem(pem).map_err(|source| ImageError::BadKey { index, source })
            })
            .collect::<Result<Vec<_>, _>>()?;
        for r in &field.repositories {
            Repository::parse(r).map_err(|e| ImageError::Invalid {
                field: "source.verify.repositories",
                detail: e.to_string(),
            })?;
        }
        Ok(Policy {
            keys,
            repositories: field.repositories.clone(),
            keyless,
            all: field.all,
        })
    }

    /// Whether what was found is enough: a signer of either kind, or of both with `all`.
    fn satisfied(&self, found: &Found) -> bool {
        if self.all {
            found.key.is_some() && found.identity.is_some()
        } else {
            found.key.is_some() || found.identity.is_some()
        }
    }

    /// Whether `digest` in `repo` carries a valid signature: `Ok(Ok(who signed))`, or
    /// `Ok(Err(why not))`; `Err` only for a registry that cannot be asked.
    pub(crate) async fn judge(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
    ) -> Result<Result<String, String>, ImageError> {
        let mut reasons: Vec<String> = Vec::new();
        let mut budget = Budget {
            left: MAX_SIGNATURES,
        };
        let mut found = Found::default();
        self.judge_tag(client, repo, digest, &mut budget, &mut reasons, &mut found)
            .await?;
        if self.satisfied(&found) {
            return Ok(Ok(found.describe()));
        }
        // cosign's OCI 1.1 mode keeps signatures as referrers (by `artifactType`): asked only
        // when the tag held no valid one, and only of a registry with the referrers API.
        let listed =
            signature_referrers(client, repo, digest, COSIGN_SIG_ARTIFACT, &mut reasons).await?;
        for d in &listed {
            if !budget.take(&mut reasons) {
                break;
            }
            let what = format!("referrer {}", d.digest);
            let manifest = match client.get_manifest(repo, &d.digest.to_string()).await {
                Ok(Some(m)) => m,
                Ok(None) => {
                    reasons.push(format!("{what}: listed but not found"));
                    continue;
                }
                Err(e) => {
                    reasons.push(format!("{what}: {}", artifact_reason(e)?));
                    continue;
                }
            };
            if let Err(reason) = self
                .judge_manifest(
                    client,
                    repo,
                    digest,
                    &manifest.bytes,
                    &what,
                    &mut budget,
                    &mut found,
                )
                .await?
            {
                reasons.push(reason);
            }
            if self.satisfied(&found) {
                return Ok(Ok(found.describe()));
            }
        }
        // cosign 3 keeps a Sigstore bundle as a referrer: judged keyless.
        self.judge_bundles(client, repo, digest, &mut budget, &mut reasons, &mut found)
            .await?;
        if self.satisfied(&found) {
            return Ok(Ok(found.describe()));
        }
        if self.all && (found.key.is_some() || found.identity.is_some()) {
            reasons.push(format!(
                "source.verify.all: signed by {} only, both kinds are required",
                found.describe()
            ));
        }
        Ok(Err(reasons.join("; ")))
    }

    /// The signatures of cosign's `.sig` tag: who signed `digest` added to `found`, or the
    /// reason added to `reasons`.
    async fn judge_tag(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
        budget: &mut Budget,
        reasons: &mut Vec<String>,
        found: &mut Found,
    ) -> Result<(), ImageError> {
        let tag = format!("{}-{}.sig", digest.algorithm(), digest.hex());
        match client.get_manifest(repo, &tag).await {
            Ok(Some(manifest)) => {
                if let Err(reason) = self
                    .judge_manifest(client, repo, digest, &manifest.bytes, &tag, budget, found)
                    .await?
                {
                    reasons.push(reason);
                }
            }
            Ok(None) => reasons.push(format!("no cosign signature (no tag {tag})")),
            Err(e) => reasons.push(format!("{tag}: {}", artifact_reason(e)?)),
        }
        Ok(())
    }

    /// Judges each signature layer of one signature manifest (`what`: its tag or digest),
    /// adding who signed to `found`; `Err` says why the other layers were refused.
    #[allow(clippy::too_many_arguments)]
    async fn judge_manifest(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
        bytes: &[u8],
        what: &str,
        budget: &mut Budget,
        found: &mut Found,
    ) -> Result<Result<(), String>, ImageError> {
        let layers = match signature_layers(bytes) {
            Ok(l) => l,
            Err(detail) => return Ok(Err(format!("{what}: {detail}"))),
        };
        let mut reasons: Vec<String> = Vec::new();
        let mut judged = 0;
        for layer in &layers {
            let Some(sig_text) = layer.annotations.get(SIGNATURE_ANNOTATION) else {
                continue;
            };
            if !budget.take(&mut reasons) {
                break;
            }
            let reason = match self
                .judge_one(client, repo, digest, layer, sig_text)
                .await?
            {
                Ok(mut f) => {
                    judged += 1;
                    for note in std::mem::take(&mut f.notes) {
                        if !reasons.contains(&note) {
                            reasons.push(note);
                        }
                    }
                    found.add(f);
                    if self.satisfied(found) {
                        return Ok(Ok(()));
                    }
                    continue;
                }
                Err(reason) => reason,
            };
            if !reasons.contains(&reason) {
                reasons.push(reason);
            }
        }
        if reasons.is_empty() {
            if judged > 0 {
                return Ok(Ok(()));
            }
            return Ok(Err(format!("{what} holds no signature layer")));
        }
        Ok(Err(reasons.join("; ")))
    }

    async fn judge_one(
        &self,
        client: &Client,
        repo: &Repository,
        digest: &Digest,
        layer: &Layer,
        sig_text: &str,
    ) -> Result<Result<Found, String>, ImageError> {
        let Ok(sig) = base64::engine::general_purpose::STANDARD.decode(sig_text.trim()) else {
            return Ok(Err("a signature annotation is not base64".into()));
        };
        let payload = match artifact_blob(
            client,
            repo,
            &layer.digest,
            layer.size,
            MAX_PAYLOAD_BYTES,
            "payload",
        )
        .await?
        {
            Ok(p) => p,
            Err(why) => return Ok(Err(why)),
        };
        Ok(self.judge_layer(digest, &payload, &sig, &layer.annotations))
    }

    /// One signature layer, by each kind configured: who signed it, or why neither did.
    fn judge_layer(
        &self,
        digest: &Digest,
        payload: &[u8],
        sig: &[u8],
        annotations: &std::collections::BTreeMap<String, String>,
    ) -> Result<Found, String> {
        let mut found = Found::default();
        let mut reasons = Vec::new();
        if !self.keys.is_empty() {
            match self.judge_payload(digest, payload, sig) {
                Ok(key) => found.key = Some(key),
                Err(r) => reasons.push(r),
            }
        }
        if let Some(keyless) = &self.keyless {
            match keyless
                .judge(payload, sig, annotations)
                .and_then(|id| self.check_claims(digest, payload).map(|()| id))
            {
                Ok(id) => found.identity = Some(id),
                Err(r) => reasons.push(r),
            }
        }
        if found.key.is_some() || found.identity.is_some() {
            found.notes = reasons;
            Ok(found)
        } else {
            Err(reasons.join("; "))
        }
    }

    /// The checks on one payload and its signature, in cosign's order: the signature by a
    /// listed key, then what the payload says.
    pub(crate) fn judge_payload(
        &self,
        digest: &Digest,
        payload: &[u8],
        sig: &[u8],
    ) -> Result<usize, String> {
        let Some(key) = self.keys.iter().position(|k| k.verifies(payload, sig)) else {
            return Err(
                "the signature does not verify with any key of source.verify.keys (another key, or a payload changed after signing)"
                    .into(),
            );
        };
        self.check_claims(digest, payload)?;
        Ok(key)
    }

    /// What a signed payload says: a cosign signature of `digest`, in an accepted repository.
    fn check_claims(&self, digest: &Digest, payload: &[u8]) -> Result<(), String> {
        let claims = Claims::parse(payload)?;
        if claims.kind != COSIGN_TYPE {
            return Err(format!(
                "the signed payload is of type \"{}\", not a cosign container image signature",
                claims.kind
            ));
        }
        if claims.digest != digest.to_string() {
            return Err(format!(
                "the signed payload is for another digest ({}), not {digest}",
                claims.digest
            ));
        }
        if !self.repositories.is_empty()
            && !self
                .repositories
                .iter()
                .any(|r| same_repository(r, &claims.reference))
        {
            return Err(format!(
                "the signature names repository {}, not one of source.verify.repositories",
                claims.reference
            ));
        }
        Ok(())
    }
}

/// The referrers of `digest` of `artifact_type` (a signature's), read within the budget.
/// The registry answered the tag's request: an error of this endpoint alone (any status, a
/// refused token for it, a malformed list) is a reason added to `reasons`, not a failure of the
/// run.
async fn signature_referrers(
    client: &Client,
    repo: &Repository,
    digest: &Digest,
    artifact_type: &str,
    reasons: &mut Vec<String>,
) -> Result<Vec<crate::registry::referrers::Descriptor>, ImageError> {
    let bounds = ListBounds {
        count: MAX_SIGNATURES,
        bytes: MAX_SIGNATURE_LISTING_BYTES,
    };
    Ok(
        match client
            .referrers(repo, digest, Some(artifact_type), bounds)
            .await
        {
            Ok(Some(listing)) => {
                // More signatures than the budget are said so by it; more bytes, here.
                if !listing.complete && listing.descriptors.len() <= MAX_SIGNATURES {
                    reasons.push(format!(
                        "the referrers of {digest} were read to {} bytes only; the rest were not examined",
                        MAX_SIGNATURE_LISTING_BYTES
                    ));
                }
                listing.descriptors
            }
            Ok(None) => Vec::new(),
            Err(
                e @ (RegistryError::Status { .. }
                | RegistryError::Auth { .. }
                | RegistryError::BadResponse { .. }
                | RegistryError::Net(crate::net::NetError::BadResponse { .. })),
            ) => {
                let said = format!("the referrers of {digest} could not be read: {e}");
                if !reasons.contains(&said) {
                    reasons.push(said);
                }
                Vec::new()
            }
            Err(e) => return Err(e.into()),
        },
    )
}

/// Whether two repository names are the same repository (`alpine` = `index.docker.io/library/alpine`).
fn same_repository(a: &str, b: &str) -> bool {
    match (Repository::parse(a), Repository::parse(b)) {
        (Ok(x), Ok(y)) => x == y,
        _ => a == b,
    }
}

/// What a simple-signing payload claims.
struct Claims {
    kind: String,
    digest: String,
    reference: String,
}

impl Claims {
    /// Reads `critical.{type, image.docker-manifest-digest, identity.docker-reference}`; keys
    /// matched without regard to case, as cosign's (Go) decoder does.
    fn parse(payload: &[u8]) -> Result<Claims, String> {
        let bad = || "the signed payload is not a simple-signing document".to_string();
        let doc: serde_json::Value = serde_json::from_slice(payload).map_err(|_| bad())?;
        let field = |v: &serde_json::Value, name: &str| -> Option<serde_json::Value> {
            v.as_object()?
                .iter()
                .find(|(k, _)| k.eq_ignore_ascii_case(name))
                .map(|(_, v)| v.clone())
        };
        let critical = field(&doc, "critical").ok_or_else(bad)?;
        let text = |v: Option<serde_json::Value>| v.and_then(|v| v.as_str().map(str::to_string));
        let kind = text(field(&critical, "type")).ok_or_else(bad)?;
        let digest = field(&critical, "image")
            .and_then(|i| text(field(&i, "docker-manifest-digest")))
            .ok_or_else(bad)?;
        let reference = field(&critical, "identity")
            .and_then(|i| text(field(&i, "docker-reference")))
            .unwrap_or_default();
        Ok(Claims {
            kind,
            digest,
            reference,
        })
    }
}

/// A layer descriptor of a signature manifest.
#[derive(serde::Deserialize)]
struct Layer {
    digest: Digest,
    #[serde(default)]
    size: u64,
    #[serde(default)]
    annotations: std::collections::BTreeMap<String, String>,
}

fn signature_layers(bytes: &[u8]) -> Result<Vec<Layer>, String> {
    #[derive(serde::Deserialize)]
    struct Doc {
        #[serde(default)]
        layers: Vec<Layer>,
    }
    serde_json::from_slice::<Doc>(bytes)
        .map(|d| d.layers)
        .map_err(|e| format!("signature manifest is not valid: {e}"))
}

/// Refuses `digest` unless it is signed: the error says why.
pub(crate) async fn require(
    policy: &Policy,
    client: &Client,
    repo: &Repository,
    digest: &Digest,
) -> Result<(), ImageError> {
    match policy.judge(client, repo, digest).await? {
        Ok(signer) => {
            log::info(format_args!("{repo}@{digest}: signed by {signer}"));
            Ok(())
        }
        Err(detail) => Err(ImageError::Unsigned {
            reference: format!("{repo}@{digest}"),
            detail,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn claims_keys_are_case_insensitive() {
        let c = Claims::parse(br#"{"critical":{"identity":{"docker-reference":"r"},"image":{"Docker-manifest-digest":"sha256:ab"},"type":"cosign container image signature"}}"#).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(c.digest, "sha256:ab");
        assert_eq!(c.reference, "r");
        assert!(Claims::parse(b"[]").is_err());
    }

    #[test]
    fn bad_pem_is_refused() {
        assert!(PublicKey::from_pem("hello").is_err());
        assert!(PublicKey::from_pem(
            "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n"
        )
        .is_err());
    }
}
