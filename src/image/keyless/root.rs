//! `verify.trusted_root`: a Sigstore `trusted_root.json` (protobuf-specs `TrustedRoot` in its
//! JSON form) read into the Fulcio CAs, Rekor keys and CT log keys keyless signatures are judged
//! against, within stated bounds.

use super::keys::LogKey;
use base64::Engine as _;
use serde::Deserialize;

/// Largest `trusted_root` accepted (the public-good one is some 7 KiB).
pub(crate) const MAX_TRUSTED_ROOT_BYTES: usize = 1024 * 1024;

/// Entries per list of the trusted root (`certificateAuthorities`, `tlogs`, `ctlogs`) at most.
pub(crate) const MAX_ENTRIES: usize = 32;

/// Certificates of one chain at most (a CA's `certChain`, or the `dev.sigstore.cosign/chain`
/// annotation).
pub(crate) const MAX_CHAIN: usize = 5;

/// Largest DER or PEM certificate read.
pub(crate) const MAX_CERT_BYTES: usize = 16 * 1024;

/// A time window of the trusted root (`validFor`), in seconds since the epoch; open ends are
/// `None`.
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct Window {
    start: Option<i64>,
    end: Option<i64>,
}

impl Window {
    /// Whether `t` lies inside.
    pub(crate) fn covers(&self, t: i64) -> bool {
        self.start.is_none_or(|s| s <= t) && self.end.is_none_or(|e| t <= e)
    }
}

/// A Fulcio CA: its chain (DER, the issuing certificate first, the root last) and window.
#[derive(Clone, Debug)]
pub(crate) struct Authority {
    pub(crate) certs: Vec<Vec<u8>>,
    pub(crate) window: Window,
}

/// A transparency log (Rekor or CT): its id, key and window.
#[derive(Clone, Debug)]
pub(crate) struct Log {
    pub(crate) id: Vec<u8>,
    pub(crate) key: LogKey,
    pub(crate) window: Window,
}

/// The parts of a trusted root keyless verification uses.
#[derive(Clone, Debug)]
pub(crate) struct TrustedRoot {
    pub(crate) authorities: Vec<Authority>,
    pub(crate) tlogs: Vec<Log>,
    pub(crate) ctlogs: Vec<Log>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RootDoc {
    #[serde(default)]
    tlogs: Vec<LogDoc>,
    #[serde(default)]
    certificate_authorities: Vec<AuthorityDoc>,
    #[serde(default)]
    ctlogs: Vec<LogDoc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogDoc {
    public_key: KeyDoc,
    log_id: LogIdDoc,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct KeyDoc {
    raw_bytes: String,
    #[serde(default)]
    key_details: String,
    #[serde(default)]
    valid_for: Option<WindowDoc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogIdDoc {
    key_id: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct AuthorityDoc {
    cert_chain: ChainDoc,
    #[serde(default)]
    valid_for: Option<WindowDoc>,
}

#[derive(Deserialize)]
struct ChainDoc {
    certificates: Vec<RawDoc>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawDoc {
    raw_bytes: String,
}

#[derive(Deserialize)]
struct WindowDoc {
    #[serde(default)]
    start: Option<String>,
    #[serde(default)]
    end: Option<String>,
}

impl TrustedRoot {
    /// Reads the field's value: the JSON text (as Concourse credentials deliver it) or the
    /// object itself. The error is uptick's finding, naming the part that is wrong.
    pub(crate) fn of(value: &serde_json::Value) -> Result<TrustedRoot, String> {
        let doc: RootDoc = match value {
            serde_json::Value::String(text) => {
                if text.len() > MAX_TRUSTED_ROOT_BYTES {
                    return Err(format!("larger than {MAX_TRUSTED_ROOT_BYTES} bytes"));
                }
                serde_json::from_str(text).map_err(|e| format!("not a trusted_root.json: {e}"))?
            }
            other => {
                let size = serde_json::to_vec(other).map_or(usize::MAX, |v| v.len());
                if size > MAX_TRUSTED_ROOT_BYTES {
                    return Err(format!("larger than {MAX_TRUSTED_ROOT_BYTES} bytes"));
                }
                RootDoc::deserialize(other).map_err(|e| format!("not a trusted_root.json: {e}"))?
            }
        };
        for (name, n) in [
            ("tlogs", doc.tlogs.len()),
            ("certificateAuthorities", doc.certificate_authorities.len()),
            ("ctlogs", doc.ctlogs.len()),
        ] {
            if n > MAX_ENTRIES {
                return Err(format!("{name}: {n} entries, more than {MAX_ENTRIES}"));
            }
        }
        let authorities = doc
            .certificate_authorities
            .iter()
            .enumerate()
            .map(|(i, a)| authority(a).map_err(|e| format!("certificateAuthorities[{i}]: {e}")))
            .collect::<Result<Vec<_>, _>>()?;
        if authorities.is_empty() {
            return Err("no certificateAuthorities (Fulcio)".into());
        }
        let tlogs = logs(&doc.tlogs, "tlogs")?;
        if tlogs.is_empty() {
            return Err("no tlogs (Rekor)".into());
        }
        Ok(TrustedRoot {
            authorities,
            tlogs,
            ctlogs: logs(&doc.ctlogs, "ctlogs")?,
        })
    }
}

fn logs(docs: &[LogDoc], name: &str) -> Result<Vec<Log>, String> {
    docs.iter()
        .enumerate()
        .map(|(i, l)| log(l).map_err(|e| format!("{name}[{i}]: {e}")))
        .collect()
}

fn b64(text: &str, what: &str) -> Result<Vec<u8>, String> {
    base64::engine::general_purpose::STANDARD
        .decode(text.trim())
        .map_err(|_| format!("{what} is not base64"))
}

fn log(doc: &LogDoc) -> Result<Log, String> {
    let raw = b64(&doc.public_key.raw_bytes, "publicKey.rawBytes")?;
    let key = LogKey::from_spki(&raw, &doc.public_key.key_details)
        .map_err(|e| format!("publicKey: {e}"))?;
    Ok(Log {
        id: b64(&doc.log_id.key_id, "logId.keyId")?,
        key,
        window: window(doc.public_key.valid_for.as_ref())?,
    })
}

fn authority(doc: &AuthorityDoc) -> Result<Authority, String> {
    let chain = &doc.cert_chain.certificates;
    if chain.is_empty() || chain.len() > MAX_CHAIN {
        return Err(format!(
            "certChain holds {} certificates (1 to {MAX_CHAIN} are taken)",
            chain.len()
        ));
    }
    let certs = chain
        .iter()
        .enumerate()
        .map(|(i, c)| {
            let der = b64(&c.raw_bytes, "rawBytes")?;
            if der.len() > MAX_CERT_BYTES {
                return Err(format!(
                    "certificates[{i}] is larger than {MAX_CERT_BYTES} bytes"
                ));
            }
            x509_parser::parse_x509_certificate(&der)
                .map_err(|e| format!("certificates[{i}] is not a certificate: {e}"))?;
            Ok(der)
        })
        .collect::<Result<Vec<_>, String>>()?;
    Ok(Authority {
        certs,
        window: window(doc.valid_for.as_ref())?,
    })
}

fn window(doc: Option<&WindowDoc>) -> Result<Window, String> {
    let Some(doc) = doc else {
        return Ok(Window::default());
    };
    let time = |t: &Option<String>| -> Result<Option<i64>, String> {
        t.as_deref()
            .map(|s| {
                chrono::DateTime::parse_from_rfc3339(s)
                    .map(|d| d.timestamp())
                    .map_err(|_| format!("validFor: {s:?} is not an RFC 3339 time"))
            })
            .transpose()
    };
    Ok(Window {
        start: time(&doc.start)?,
        end: time(&doc.end)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bounds_and_missing_parts_are_refused_naming_them() {
        let err = |v: serde_json::Value| TrustedRoot::of(&v).err().unwrap_or_default();
        let big = serde_json::Value::String(" ".repeat(MAX_TRUSTED_ROOT_BYTES + 1));
        assert!(err(big).contains("larger than 1048576 bytes"));
        let many: Vec<serde_json::Value> = (0..=MAX_ENTRIES)
            .map(|_| serde_json::json!({"publicKey": {"rawBytes": ""}, "logId": {"keyId": ""}}))
            .collect();
        assert!(
            err(serde_json::json!({ "tlogs": many })).contains("tlogs: 33 entries, more than 32")
        );
        assert!(err(serde_json::json!({})).contains("no certificateAuthorities"));
        let chain =
            serde_json::json!({"certificateAuthorities": [{"certChain": {"certificates": []}}]});
        assert!(err(chain).contains("certificateAuthorities[0]: certChain holds 0 certificates"));
        assert!(err(serde_json::json!("not json")).contains("not a trusted_root.json"));
        let w = window(Some(&WindowDoc {
            start: Some("2024-01-01T00:00:00Z".into()),
            end: None,
        }));
        assert!(w.is_ok_and(|w| w.covers(1_704_067_200) && !w.covers(1_704_067_199)));
    }
}
