//! `verify.identities`: cosign keyless signatures (a Fulcio certificate and a Rekor bundle in
//! the signature layer's annotations, or a Sigstore bundle kept as a referrer), judged offline against `verify.trusted_root` at the
//! time Rekor integrated the entry, never the clock.

mod cert;
mod keys;
mod root;
mod sct;
mod set;
mod sigbundle;

pub(crate) use set::MAX_BUNDLE_BYTES;
pub(crate) use sigbundle::statement;

/// The fuzz target's entry: `data` as cosign's Rekor bundle and as a Sigstore bundle.
pub fn fuzz_bundle(data: &[u8]) {
    set::fuzz(data);
    sigbundle::fuzz(data);
}

use crate::protocol::{IdentityField, VerifyField};
use root::{TrustedRoot, MAX_CHAIN};
use set::Bundle;
use sha2::Digest as _;
use sigbundle::Parts;
use std::collections::BTreeMap;

/// The layer annotation holding the signing certificate (PEM).
const CERTIFICATE_ANNOTATION: &str = "dev.sigstore.cosign/certificate";
/// The layer annotation holding the certificate's chain (PEM, intermediates then root).
const CHAIN_ANNOTATION: &str = "dev.sigstore.cosign/chain";
/// The layer annotation holding the Rekor bundle (JSON).
const BUNDLE_ANNOTATION: &str = "dev.sigstore.cosign/bundle";

/// Longest `subject_regex` accepted, and the compiled size allowed.
const MAX_REGEX_LEN: usize = 1024;
const REGEX_SIZE_LIMIT: usize = 1 << 20;

/// One accepted signer.
#[derive(Clone, Debug)]
struct Identity {
    issuer: String,
    subject: Subject,
}

#[derive(Clone, Debug)]
enum Subject {
    Exact(String),
    Pattern(regex::Regex),
}

impl Identity {
    fn of(field: &IdentityField) -> Result<Identity, String> {
        if field.issuer.is_empty() {
            return Err("issuer is needed".into());
        }
        let subject = match (&field.subject, &field.subject_regex) {
            (Some(s), None) if !s.is_empty() => Subject::Exact(s.clone()),
            (None, Some(r)) => {
                if r.len() > MAX_REGEX_LEN {
                    return Err(format!(
                        "subject_regex is longer than {MAX_REGEX_LEN} bytes"
                    ));
                }
                let re = regex::RegexBuilder::new(&format!("^(?:{r})$"))
                    .size_limit(REGEX_SIZE_LIMIT)
                    .build()
                    .map_err(|e| format!("subject_regex: {e}"))?;
                Subject::Pattern(re)
            }
            _ => return Err("one of subject and subject_regex is needed".into()),
        };
        Ok(Identity {
            issuer: field.issuer.clone(),
            subject,
        })
    }

    fn matches(&self, signer: &cert::Signer) -> bool {
        signer.issuer.as_deref() == Some(self.issuer.as_str())
            && signer.subjects.iter().any(|s| match &self.subject {
                Subject::Exact(e) => e == s,
                Subject::Pattern(p) => p.is_match(s),
            })
    }
}

/// `verify.identities` with `trusted_root` and `require_sct`, compiled.
#[derive(Clone, Debug)]
pub(crate) struct Keyless {
    identities: Vec<Identity>,
    root: TrustedRoot,
    require_sct: bool,
}

impl Keyless {
    /// `None` without identities. The error names the field and what is wrong.
    pub(crate) fn of(field: &VerifyField) -> Result<Option<Keyless>, (&'static str, String)> {
        if field.identities.is_empty() {
            if field.trusted_root.is_some() {
                return Err((
                    "source.verify.trusted_root",
                    "is only used with identities".into(),
                ));
            }
            return Ok(None);
        }
        let identities = field
            .identities
            .iter()
            .enumerate()
            .map(|(i, f)| Identity::of(f).map_err(|e| format!("[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| ("source.verify.identities", e))?;
        let Some(value) = &field.trusted_root else {
            return Err((
                "source.verify.trusted_root",
                "is needed with identities (a Sigstore trusted_root.json)".into(),
            ));
        };
        let root = TrustedRoot::of(value).map_err(|e| ("source.verify.trusted_root", e))?;
        if field.require_sct && root.ctlogs.is_empty() {
            return Err((
                "source.verify.require_sct",
                "the trusted root lists no ctlogs".into(),
            ));
        }
        Ok(Some(Keyless {
            identities,
            root,
            require_sct: field.require_sct,
        }))
    }

    /// Judges one signature layer: `Ok(the identity that signed)`, or the failed step.
    pub(crate) fn judge(
        &self,
        payload: &[u8],
        sig: &[u8],
        annotations: &BTreeMap<String, String>,
    ) -> Result<String, String> {
        let Some(cert_pem) = annotations.get(CERTIFICATE_ANNOTATION) else {
            return Err(format!(
                "keyless: no certificate ({CERTIFICATE_ANNOTATION})"
            ));
        };
        let leaf_der = cert::pem_certs(cert_pem, 1)
            .map_err(|e| format!("keyless certificate: {e}"))?
            .remove(0);
        let log = annotations
            .get(BUNDLE_ANNOTATION)
            .ok_or(format!("keyless: no Rekor bundle ({BUNDLE_ANNOTATION})"))
            .and_then(|b| Bundle::parse(b).map_err(|e| format!("keyless Rekor bundle: {e}")))?;
        let chain = match annotations.get(CHAIN_ANNOTATION) {
            Some(text) => cert::pem_certs(text, MAX_CHAIN)
                .map_err(|e| format!("keyless certificate chain: {e}"))?,
            None => Vec::new(),
        };
        self.judge_parts(&Parts {
            leaf_der,
            chain,
            log,
            payload: payload.to_vec(),
            signed: payload.to_vec(),
            sig: sig.to_vec(),
        })
    }

    /// Judges a Sigstore bundle (a referrer's blob): `Ok((the identity that signed, the signed
    /// statement))`, or the failed step. What the statement says is the caller's to check.
    pub(crate) fn judge_bundle(&self, bytes: &[u8]) -> Result<(String, Vec<u8>), String> {
        let parts = sigbundle::parse(bytes).map_err(|e| format!("keyless Sigstore bundle: {e}"))?;
        let id = self.judge_parts(&parts)?;
        Ok((id, parts.payload))
    }

    /// The steps of either form, in order: SET, log entry, chain at the integrated time,
    /// identity, signature, SCT.
    fn judge_parts(&self, p: &Parts) -> Result<String, String> {
        let leaf = cert::parse(&p.leaf_der).map_err(|e| format!("keyless certificate: {e}"))?;
        p.log
            .verify(&self.root.tlogs)
            .map_err(|e| format!("keyless Rekor SET: {e}"))?;
        // What the log holds must be this signature before anything else is spent on it.
        self.binds(&p.log, &p.payload, &p.sig, &p.leaf_der)
            .map_err(|e| format!("keyless Rekor entry: {e}"))?;
        let t = p.log.integrated_time();
        let issuer_spki = cert::chain_to(&leaf, &p.chain, &self.root.authorities, t)
            .map_err(|e| format!("keyless certificate chain (at integrated time {t}): {e}"))?;
        let signer = cert::signer(&leaf).map_err(|e| format!("keyless certificate: {e}"))?;
        let Some(identity) = self.identities.iter().find(|i| i.matches(&signer)) else {
            return Err(format!(
                "keyless identity: the certificate names {} issued by {}, not one of source.verify.identities",
                signer.subjects.join(", "),
                signer.issuer.as_deref().unwrap_or("no issuer")
            ));
        };
        let key = cert::public_key(&leaf).map_err(|e| format!("keyless certificate: {e}"))?;
        if !key.verifies(key.default_hash(), &p.signed, &p.sig) {
            return Err(
                "keyless signature: does not verify with the certificate's key (a payload changed after signing)".into(),
            );
        }
        match sct::check(&leaf, &issuer_spki, &self.root.ctlogs) {
            Ok(Some(_)) => {}
            Ok(None) if self.require_sct => return Err(
                "keyless SCT: the certificate embeds none and source.verify.require_sct is true"
                    .into(),
            ),
            Ok(None) => {}
            Err(e) => return Err(format!("keyless SCT: {e}")),
        }
        Ok(format!(
            "{} (issuer {})",
            signer.subjects.join(", "),
            identity.issuer
        ))
    }

    /// The log entry is about this payload, this signature and this certificate.
    fn binds(
        &self,
        bundle: &Bundle,
        payload: &[u8],
        sig: &[u8],
        leaf_der: &[u8],
    ) -> Result<(), String> {
        let entry = bundle.entry()?;
        if entry.payload_sha256 != hex::encode(sha2::Sha256::digest(payload)) {
            return Err("it is for another payload".into());
        }
        if entry.signature != sig {
            return Err("it is for another signature".into());
        }
        let certs =
            cert::pem_certs(&entry.public_key, 1).map_err(|e| format!("its certificate: {e}"))?;
        if certs.first().map(Vec::as_slice) != Some(leaf_der) {
            return Err("it is for another certificate".into());
        }
        Ok(())
    }
}
