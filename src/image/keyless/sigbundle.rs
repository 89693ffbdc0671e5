//! The Sigstore bundle (`application/vnd.dev.sigstore.bundle…+json`, protobuf-specs JSON) as
//! cosign 3 stores an image signature: a DSSE envelope over an in-toto statement naming the
//! image digest, the Fulcio certificate, and the Rekor entry with its SET.

use super::root::{MAX_CERT_BYTES, MAX_CHAIN};
use super::set::{Bundle, MAX_BUNDLE_BYTES};
use base64::Engine as _;
use serde::Deserialize;

/// What every Sigstore bundle's `mediaType` starts with (v0.1 to v0.3).
const MEDIA_TYPE_PREFIX: &str = "application/vnd.dev.sigstore.bundle";
/// The DSSE payload type of an in-toto statement.
const IN_TOTO: &str = "application/vnd.in-toto+json";

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Doc {
    media_type: String,
    verification_material: Material,
    #[serde(default)]
    dsse_envelope: Option<Envelope>,
    #[serde(default)]
    message_signature: Option<serde::de::IgnoredAny>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Material {
    #[serde(default)]
    certificate: Option<Raw>,
    #[serde(default)]
    x509_certificate_chain: Option<Chain>,
    #[serde(default)]
    tlog_entries: Vec<TlogEntry>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Raw {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct Chain {
    certificates: Vec<Raw>,
}

/// An int64 as protobuf JSON writes it (a string), or a number.
#[derive(Deserialize)]
#[serde(untagged)]
enum Int {
    Text(String),
    Number(i64),
}

impl Int {
    fn get(&self, what: &str) -> Result<i64, String> {
        match self {
            Int::Number(n) => Ok(*n),
            Int::Text(t) => t
                .parse()
                .map_err(|_| format!("{what} {t:?} is not an integer")),
        }
    }
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct TlogEntry {
    log_index: Int,
    log_id: LogId,
    integrated_time: Int,
    #[serde(default)]
    inclusion_promise: Option<Promise>,
    canonicalized_body: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogId {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Promise {
    signed_entry_timestamp: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Envelope {
    payload: String,
    payload_type: String,
    signatures: Vec<EnvelopeSignature>,
}

#[derive(Deserialize)]
struct EnvelopeSignature {
    sig: String,
}

/// What one bundle gives the keyless steps.
pub(crate) struct Parts {
    /// The signing certificate (DER).
    pub(crate) leaf_der: Vec<u8>,
    /// Certificates given after it (DER).
    pub(crate) chain: Vec<Vec<u8>>,
    /// The Rekor entry and its SET.
    pub(crate) log: Bundle,
    /// What the log entry hashes: the DSSE payload (the statement).
    pub(crate) payload: Vec<u8>,
    /// What the signature covers: DSSE's pre-authentication encoding of the payload.
    pub(crate) signed: Vec<u8>,
    pub(crate) sig: Vec<u8>,
}

fn unbase64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| format!("{what} is not base64"))
}

/// Parses a bundle within [`MAX_BUNDLE_BYTES`] into what the keyless steps judge.
pub(crate) fn parse(bytes: &[u8]) -> Result<Parts, String> {
    if bytes.len() > MAX_BUNDLE_BYTES {
        return Err(format!("larger than {MAX_BUNDLE_BYTES} bytes"));
    }
    let doc: Doc =
        serde_json::from_slice(bytes).map_err(|e| format!("not a Sigstore bundle: {e}"))?;
    if !doc.media_type.starts_with(MEDIA_TYPE_PREFIX) {
        return Err(format!(
            "mediaType {:?} is not a Sigstore bundle's",
            doc.media_type
        ));
    }
    let Some(envelope) = doc.dsse_envelope else {
        return Err(match doc.message_signature {
            Some(_) => {
                "a messageSignature names no image (cosign signs an image as a DSSE statement)"
                    .into()
            }
            None => "no dsseEnvelope".into(),
        });
    };
    let (leaf_der, chain) = certificates(&doc.verification_material)?;
    let log = log_entry(&doc.verification_material.tlog_entries)?;
    if envelope.payload_type != IN_TOTO {
        return Err(format!(
            "the envelope's payloadType is {:?}, not {IN_TOTO}",
            envelope.payload_type
        ));
    }
    let [one] = envelope.signatures.as_slice() else {
        return Err(format!(
            "the envelope holds {} signatures, not one",
            envelope.signatures.len()
        ));
    };
    let payload = unbase64(&envelope.payload, "the envelope's payload")?;
    Ok(Parts {
        leaf_der,
        chain,
        log,
        signed: pae(&envelope.payload_type, &payload),
        payload,
        sig: unbase64(&one.sig, "the envelope's signature")?,
    })
}

/// The certificate and what follows it, from `certificate` or `x509CertificateChain`.
fn certificates(m: &Material) -> Result<(Vec<u8>, Vec<Vec<u8>>), String> {
    let raws: Vec<&Raw> = match (&m.certificate, &m.x509_certificate_chain) {
        (Some(c), _) => vec![c],
        (None, Some(chain)) => chain.certificates.iter().collect(),
        (None, None) => {
            return Err("no certificate (a key-based bundle is not read)".into());
        }
    };
    if raws.is_empty() || raws.len() > MAX_CHAIN + 1 {
        return Err(format!(
            "x509CertificateChain holds {} certificates (1 to {} are taken)",
            raws.len(),
            MAX_CHAIN + 1
        ));
    }
    let mut ders = raws
        .iter()
        .map(|r| {
            let der = unbase64(&r.raw_bytes, "a certificate's rawBytes")?;
            if der.len() > MAX_CERT_BYTES {
                return Err(format!("a certificate larger than {MAX_CERT_BYTES} bytes"));
            }
            Ok(der)
        })
        .collect::<Result<Vec<_>, String>>()?;
    let leaf = ders.remove(0);
    Ok((leaf, ders))
}

/// The first tlog entry, with its SET, as a Rekor bundle.
fn log_entry(entries: &[TlogEntry]) -> Result<Bundle, String> {
    let Some(e) = entries.first() else {
        return Err("no tlogEntries".into());
    };
    let Some(promise) = &e.inclusion_promise else {
        return Err(
            "the tlog entry has no inclusionPromise (a SET); inclusion proofs alone are not read"
                .into(),
        );
    };
    Ok(Bundle::of_parts(
        promise.signed_entry_timestamp.clone(),
        e.canonicalized_body.clone(),
        e.integrated_time.get("integratedTime")?,
        hex::encode(unbase64(&e.log_id.key_id, "logId.keyId")?),
        e.log_index.get("logIndex")?,
    ))
}

/// DSSE v1's pre-authentication encoding: what the envelope's signature covers.
fn pae(payload_type: &str, payload: &[u8]) -> Vec<u8> {
    let mut out = format!(
        "DSSEv1 {} {payload_type} {} ",
        payload_type.len(),
        payload.len()
    )
    .into_bytes();
    out.extend_from_slice(payload);
    out
}

/// What an in-toto statement says: its predicate type and its subjects (name, SHA-256 hex).
pub(crate) struct Statement {
    pub(crate) predicate_type: String,
    pub(crate) subjects: Vec<(String, String)>,
}

/// Reads a statement (`_type` an in-toto Statement).
pub(crate) fn statement(payload: &[u8]) -> Result<Statement, String> {
    let bad = || "the signed statement is not an in-toto statement".to_string();
    let doc: serde_json::Value = serde_json::from_slice(payload).map_err(|_| bad())?;
    if !doc["_type"]
        .as_str()
        .is_some_and(|t| t.starts_with("https://in-toto.io/Statement/"))
    {
        return Err(bad());
    }
    let predicate_type = doc["predicateType"].as_str().ok_or_else(bad)?.to_string();
    let subjects = doc["subject"]
        .as_array()
        .ok_or_else(bad)?
        .iter()
        .filter_map(|s| {
            let hex = s["digest"]["sha256"].as_str()?;
            Some((
                s["name"].as_str().unwrap_or_default().to_string(),
                hex.to_ascii_lowercase(),
            ))
        })
        .collect();
    Ok(Statement {
        predicate_type,
        subjects,
    })
}

/// The fuzz target's entry: parses `data` as a Sigstore bundle, its log entry and statement.
pub(crate) fn fuzz(data: &[u8]) {
    if let Ok(p) = parse(data) {
        let _ = p.log.entry();
        let _ = p.log.verify(&[]);
        let _ = statement(&p.payload);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_prefix_and_byte_flip_of_the_fuzz_seed_is_handled_without_panic() {
        let seed = include_bytes!("../../../fuzz/corpus/rekor_bundle/seed-sigstore-bundle-dsse");
        assert!(parse(seed).is_ok());
        for end in 0..seed.len() {
            super::super::fuzz_bundle(&seed[..end]);
        }
        for at in (0..seed.len()).step_by(7) {
            let mut bytes = seed.to_vec();
            bytes[at] ^= 0x5a;
            super::super::fuzz_bundle(&bytes);
        }
    }

    #[test]
    fn pae_is_dsse_v1() {
        assert_eq!(
            pae("application/vnd.in-toto+json", b"{}"),
            b"DSSEv1 28 application/vnd.in-toto+json 2 {}".to_vec()
        );
    }

    #[test]
    fn a_bundle_is_read_within_its_bounds_and_refused_naming_what_is_missing() {
        let cert = base64::engine::general_purpose::STANDARD.encode(b"der");
        let doc = |material: &str, content: &str| {
            format!(
                r#"{{"mediaType":"application/vnd.dev.sigstore.bundle.v0.3+json","verificationMaterial":{material},{content}}}"#
            )
        };
        let entry = r#"{"logIndex":"7","logId":{"keyId":"AAE="},"kindVersion":{"kind":"dsse","version":"0.0.1"},"integratedTime":"12","inclusionPromise":{"signedEntryTimestamp":"AA=="},"canonicalizedBody":"Ym9keQ=="}"#;
        let material =
            format!(r#"{{"certificate":{{"rawBytes":"{cert}"}},"tlogEntries":[{entry}]}}"#);
        let envelope = r#""dsseEnvelope":{"payload":"e30=","payloadType":"application/vnd.in-toto+json","signatures":[{"sig":"AQI=","keyid":""}]}"#;
        let p = parse(doc(&material, envelope).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(p.leaf_der, b"der");
        assert_eq!(p.payload, b"{}");
        assert_eq!(p.sig, [1, 2]);
        assert_eq!(p.log.integrated_time(), 12);
        // The older x509CertificateChain: the leaf first, the rest its intermediates.
        let other = base64::engine::general_purpose::STANDARD.encode(b"ca");
        let chained = format!(
            r#"{{"x509CertificateChain":{{"certificates":[{{"rawBytes":"{cert}"}},{{"rawBytes":"{other}"}}]}},"tlogEntries":[{entry}]}}"#
        );
        let p = parse(doc(&chained, envelope).as_bytes()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            (p.leaf_der.as_slice(), p.chain.as_slice()),
            (&b"der"[..], &[b"ca".to_vec()][..])
        );
        let why = |text: String| parse(text.as_bytes()).err().unwrap_or_default();
        assert!(why(doc(&material, r#""messageSignature":{}"#)).contains("messageSignature"));
        let keyed = format!(r#"{{"publicKey":{{"hint":"x"}},"tlogEntries":[{entry}]}}"#);
        assert!(why(doc(&keyed, envelope)).contains("no certificate"));
        let unlogged = format!(r#"{{"certificate":{{"rawBytes":"{cert}"}},"tlogEntries":[]}}"#);
        assert!(why(doc(&unlogged, envelope)).contains("no tlogEntries"));
        assert!(why("x".repeat(MAX_BUNDLE_BYTES + 1)).contains("larger than"));
    }
}
