//! cosign's Rekor bundle (`dev.sigstore.cosign/bundle`, or a Sigstore bundle's tlog entry): the
//! signed entry timestamp (SET) over the canonical JSON of `{body, integratedTime, logID,
//! logIndex}`, and what the entry's body (a `hashedrekord`, `rekord` or `dsse`) binds.

use super::root::Log;
use base64::Engine as _;
use serde::{Deserialize, Serialize};

/// Largest bundle annotation read (real ones are 2–4 KiB).
pub(crate) const MAX_BUNDLE_BYTES: usize = 64 * 1024;

/// The bundle as cosign writes it.
#[derive(Debug, Deserialize)]
pub(crate) struct Bundle {
    #[serde(rename = "SignedEntryTimestamp")]
    set: String,
    #[serde(rename = "Payload")]
    payload: Payload,
}

/// What Rekor signed. The fields are declared in sorted key order: serialized compactly by
/// serde_json they are the canonical JSON Rekor signs (the values are base64, hex and integers,
/// which need no escaping beyond JSON's own).
#[derive(Debug, Deserialize, Serialize)]
struct Payload {
    body: String,
    #[serde(rename = "integratedTime")]
    integrated_time: i64,
    #[serde(rename = "logID")]
    log_id: String,
    #[serde(rename = "logIndex")]
    log_index: i64,
}

/// What a log entry's body binds.
#[derive(Debug)]
pub(crate) struct Entry {
    /// The SHA-256 of the signed payload, lowercase hex.
    pub(crate) payload_sha256: String,
    /// The signature.
    pub(crate) signature: Vec<u8>,
    /// The certificate or key, as the entry holds it (PEM text).
    pub(crate) public_key: String,
}

impl Bundle {
    /// Parses the annotation's text, within [`MAX_BUNDLE_BYTES`].
    pub(crate) fn parse(text: &str) -> Result<Bundle, String> {
        if text.len() > MAX_BUNDLE_BYTES {
            return Err(format!("larger than {MAX_BUNDLE_BYTES} bytes"));
        }
        serde_json::from_str(text).map_err(|e| format!("not a Rekor bundle: {e}"))
    }

    /// The same from a Sigstore bundle's tlog entry: `set` and `body` base64, `log_id` hex.
    pub(crate) fn of_parts(
        set: String,
        body: String,
        integrated_time: i64,
        log_id: String,
        log_index: i64,
    ) -> Bundle {
        Bundle {
            set,
            payload: Payload {
                body,
                integrated_time,
                log_id,
                log_index,
            },
        }
    }

    /// The time Rekor integrated the entry (seconds since the epoch), as the SET says.
    pub(crate) fn integrated_time(&self) -> i64 {
        self.payload.integrated_time
    }

    /// The SET verifies with the key of a log of `tlogs` whose id is the bundle's `logID` and
    /// whose window covers the integrated time: that log's index.
    pub(crate) fn verify(&self, tlogs: &[Log]) -> Result<usize, String> {
        let id = hex::decode(&self.payload.log_id)
            .map_err(|_| format!("logID {:?} is not hex", self.payload.log_id))?;
        let Some(index) = tlogs.iter().position(|l| l.id == id) else {
            return Err(format!(
                "logID {} names no tlog of the trusted root",
                self.payload.log_id
            ));
        };
        let log = &tlogs[index];
        let t = self.payload.integrated_time;
        if !log.window.covers(t) {
            return Err(format!(
                "tlogs[{index}]: validFor does not cover the integrated time {t}"
            ));
        }
        let set = base64::engine::general_purpose::STANDARD
            .decode(self.set.trim())
            .map_err(|_| "SignedEntryTimestamp is not base64".to_string())?;
        let canonical = self.canonical()?;
        if !log.key.verifies(log.key.default_hash(), &canonical, &set) {
            return Err(format!(
                "the SignedEntryTimestamp does not verify with the key of tlogs[{index}]"
            ));
        }
        Ok(index)
    }

    /// The bytes Rekor signed.
    fn canonical(&self) -> Result<Vec<u8>, String> {
        serde_json::to_vec(&self.payload).map_err(|e| format!("cannot serialize: {e}"))
    }

    /// The entry's body (base64 JSON): what it binds.
    pub(crate) fn entry(&self) -> Result<Entry, String> {
        let bytes = base64::engine::general_purpose::STANDARD
            .decode(self.payload.body.trim())
            .map_err(|_| "the body is not base64".to_string())?;
        let doc: serde_json::Value =
            serde_json::from_slice(&bytes).map_err(|e| format!("the body is not JSON: {e}"))?;
        let kind = doc["kind"].as_str().unwrap_or_default();
        match kind {
            "hashedrekord" | "rekord" => hashed_entry(kind, &doc["spec"]),
            "dsse" => dsse_entry(&doc["spec"]),
            _ => Err(format!(
                "an entry of kind {kind:?}, not hashedrekord, rekord or dsse"
            )),
        }
    }
}

/// A string field of an entry's spec.
fn text(v: &serde_json::Value, kind: &str, what: &str) -> Result<String, String> {
    v.as_str()
        .map(str::to_string)
        .ok_or(format!("the {kind} entry has no {what}"))
}

/// A base64 field of an entry's spec, decoded.
fn b64(v: &serde_json::Value, kind: &str, what: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text(v, kind, what)?.trim())
        .map_err(|_| format!("the entry's {what} is not base64"))
}

/// `{algorithm: sha256, value}` of an entry's spec: the lowercase hex value.
fn sha256_of(v: &serde_json::Value, kind: &str, what: &str) -> Result<String, String> {
    let algorithm = text(&v["algorithm"], kind, &format!("{what}.algorithm"))?;
    if algorithm != "sha256" {
        return Err(format!("the entry's {what} is {algorithm}, not sha256"));
    }
    Ok(text(&v["value"], kind, &format!("{what}.value"))?.to_ascii_lowercase())
}

/// A `hashedrekord` / `rekord` body: the payload's hash, the signature and the certificate.
fn hashed_entry(kind: &str, spec: &serde_json::Value) -> Result<Entry, String> {
    let payload_sha256 = sha256_of(&spec["data"]["hash"], kind, "data.hash")?;
    let signature = b64(&spec["signature"]["content"], kind, "signature.content")?;
    let key = b64(
        &spec["signature"]["publicKey"]["content"],
        kind,
        "signature.publicKey.content",
    )?;
    new_entry(payload_sha256, signature, key)
}

/// A `dsse` body: the envelope payload's hash and its one signature with its verifier (the
/// certificate; `publicKey` in older schemas).
fn dsse_entry(spec: &serde_json::Value) -> Result<Entry, String> {
    let payload_sha256 = sha256_of(&spec["payloadHash"], "dsse", "payloadHash")?;
    let sigs = spec["signatures"]
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or_default();
    let [one] = sigs else {
        return Err(format!(
            "the dsse entry holds {} signatures, not one",
            sigs.len()
        ));
    };
    let signature = b64(&one["signature"], "dsse", "signatures[0].signature")?;
    let verifier = if one["verifier"].is_string() {
        &one["verifier"]
    } else {
        &one["publicKey"]
    };
    let key = b64(verifier, "dsse", "signatures[0].verifier")?;
    new_entry(payload_sha256, signature, key)
}

fn new_entry(payload_sha256: String, signature: Vec<u8>, key: Vec<u8>) -> Result<Entry, String> {
    Ok(Entry {
        payload_sha256,
        signature,
        public_key: String::from_utf8(key)
            .map_err(|_| "the entry's public key is not PEM text".to_string())?,
    })
}

/// The fuzz target's entry: parses `data` as a bundle and its body, never panicking.
pub(crate) fn fuzz(data: &[u8]) {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(b) = Bundle::parse(text) {
        let _ = b.canonical();
        let _ = b.entry();
        let _ = b.verify(&[]);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn canonical_payload_has_sorted_keys_and_no_spaces() {
        let b = Bundle::parse(
            r#"{"SignedEntryTimestamp":"AA==","Payload":{"logIndex":7,"logID":"ab","integratedTime":12,"body":"Ym9keQ=="}}"#,
        )
        .unwrap_or_else(|e| panic!("{e}"));
        let c = b.canonical().unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(
            String::from_utf8_lossy(&c),
            r#"{"body":"Ym9keQ==","integratedTime":12,"logID":"ab","logIndex":7}"#
        );
        assert!(b.entry().is_err());
        // A dsse body: its verifier (or, in older schemas, publicKey) and exactly one signature.
        let dsse = |sigs: serde_json::Value| {
            let body = serde_json::json!({"apiVersion": "0.0.1", "kind": "dsse", "spec": {
                "payloadHash": {"algorithm": "sha256", "value": "AB"}, "signatures": sigs}});
            let body = base64::engine::general_purpose::STANDARD.encode(body.to_string());
            Bundle::of_parts("AA==".into(), body, 1, "ab".into(), 2).entry()
        };
        let pem = base64::engine::general_purpose::STANDARD.encode("PEM");
        for key in ["verifier", "publicKey"] {
            let e = dsse(serde_json::json!([{"signature": "AQI=", key: pem}]))
                .unwrap_or_else(|e| panic!("{e}"));
            assert_eq!(
                (e.payload_sha256.as_str(), e.signature.as_slice()),
                ("ab", &[1u8, 2][..])
            );
            assert_eq!(e.public_key, "PEM");
        }
        let two = serde_json::json!([{"signature": "AQI=", "verifier": pem}, {"signature": "AQI=", "verifier": pem}]);
        assert!(dsse(two)
            .err()
            .unwrap_or_default()
            .contains("2 signatures, not one"));
        assert!(Bundle::parse(&"x".repeat(MAX_BUNDLE_BYTES + 1)).is_err());
    }
}
