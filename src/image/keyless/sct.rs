//! Signed certificate timestamps embedded in a Fulcio certificate (RFC 6962 3.2–3.3): each one is
//! a CT log's signature over the precertificate, rebuilt here as the certificate's TBS without
//! the SCT list extension, and the issuer's key hash.

use super::keys::Hash;
use super::root::Log;
use sha2::Digest as _;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::ParsedExtension;

/// The SCT list extension, as DER OBJECT IDENTIFIER content.
const OID_SCT_LIST: &str = "1.3.6.1.4.1.11129.2.4.2";
/// Its DER encoding (tag, length, content), as it appears in the TBS.
const OID_SCT_LIST_DER: &[u8] = &[
    0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x02,
];

/// SCTs of one certificate looked at most.
const MAX_SCTS: usize = 8;

/// What the certificate's SCTs prove: `Ok(None)` when it embeds none, `Ok(Some(log index))` for
/// the first that verifies with a log of `ctlogs`, else why none does.
pub(crate) fn check(
    cert: &X509Certificate<'_>,
    issuer_spki: &[u8],
    ctlogs: &[Log],
) -> Result<Option<usize>, String> {
    let Some(ext) = cert
        .extensions()
        .iter()
        .find(|e| e.oid.to_id_string() == OID_SCT_LIST)
    else {
        return Ok(None);
    };
    let ParsedExtension::SCT(scts) = ext.parsed_extension() else {
        return Err("the SCT list is malformed".into());
    };
    let tbs = precert_tbs(cert.tbs_certificate.as_ref())?;
    let issuer_key_hash = sha2::Sha256::digest(issuer_spki);
    let mut reasons = Vec::new();
    for sct in scts.iter().take(MAX_SCTS) {
        let Some(index) = ctlogs.iter().position(|l| l.id == sct.id.key_id[..]) else {
            reasons.push(format!(
                "an SCT of log {} not in ctlogs",
                hex::encode(sct.id.key_id)
            ));
            continue;
        };
        let log = &ctlogs[index];
        let seconds = i64::try_from(sct.timestamp / 1000).unwrap_or(i64::MAX);
        if !log.window.covers(seconds) {
            reasons.push(format!("ctlogs[{index}]: validFor does not cover the SCT"));
            continue;
        }
        let hash = match sct.signature.hash_alg_id {
            4 => Hash::Sha256,
            5 => Hash::Sha384,
            6 => Hash::Sha512,
            other => {
                reasons.push(format!("an SCT hashed with algorithm {other}"));
                continue;
            }
        };
        // digitally-signed struct: version, certificate_timestamp, timestamp, precert_entry,
        // issuer_key_hash, the TBS (24-bit length), the extensions (16-bit length).
        let mut signed = vec![sct.version.0, 0];
        signed.extend_from_slice(&sct.timestamp.to_be_bytes());
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(&issuer_key_hash);
        let tbs_len = u32::try_from(tbs.len()).unwrap_or(u32::MAX).to_be_bytes();
        signed.extend_from_slice(&tbs_len[1..]);
        signed.extend_from_slice(&tbs);
        let ext_len = u16::try_from(sct.extensions.0.len()).unwrap_or(u16::MAX);
        signed.extend_from_slice(&ext_len.to_be_bytes());
        signed.extend_from_slice(sct.extensions.0);
        if log.key.verifies(hash, &signed, sct.signature.data) {
            return Ok(Some(index));
        }
        reasons.push(format!(
            "the SCT does not verify with the key of ctlogs[{index}]"
        ));
    }
    Err(reasons.join("; "))
}

/// A DER element: its tag, the header's length and the content's range in `der`.
struct Element {
    tag: u8,
    start: usize,
    content: std::ops::Range<usize>,
}

/// Reads the element at `at` (single-byte tags, definite lengths of at most 4 bytes).
fn element(der: &[u8], at: usize) -> Result<Element, String> {
    let bad = || "the certificate's TBS is not DER".to_string();
    let tag = *der.get(at).ok_or_else(bad)?;
    let first = *der.get(at + 1).ok_or_else(bad)?;
    let (len, header) = if first < 0x80 {
        (usize::from(first), 2)
    } else {
        let n = usize::from(first & 0x7f);
        if n == 0 || n > 4 {
            return Err(bad());
        }
        let bytes = der.get(at + 2..at + 2 + n).ok_or_else(bad)?;
        (
            bytes.iter().fold(0usize, |a, b| a << 8 | usize::from(*b)),
            2 + n,
        )
    };
    let start = at + header;
    let end = start
        .checked_add(len)
        .filter(|e| *e <= der.len())
        .ok_or_else(bad)?;
    Ok(Element {
        tag,
        start: at,
        content: start..end,
    })
}

/// A DER header for `tag` and `len` followed by `content`.
fn encode(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let len = content.len();
    if len < 0x80 {
        out.push(len as u8);
    } else {
        let bytes = len.to_be_bytes();
        let skip = bytes.iter().take_while(|b| **b == 0).count();
        out.push(0x80 | (bytes.len() - skip) as u8);
        out.extend_from_slice(&bytes[skip..]);
    }
    out.extend_from_slice(content);
    out
}

/// The precertificate's TBS: `tbs` without the SCT list extension (RFC 6962 3.2).
fn precert_tbs(tbs: &[u8]) -> Result<Vec<u8>, String> {
    let outer = element(tbs, 0)?;
    let mut body = Vec::with_capacity(tbs.len());
    let mut at = outer.content.start;
    while at < outer.content.end {
        let e = element(tbs, at)?;
        if e.tag == 0xa3 {
            let seq = element(tbs, e.content.start)?;
            let mut kept = Vec::new();
            let mut x = seq.content.start;
            while x < seq.content.end {
                let ext = element(tbs, x)?;
                if !tbs[ext.content.clone()].starts_with(OID_SCT_LIST_DER) {
                    kept.extend_from_slice(&tbs[ext.start..ext.content.end]);
                }
                x = ext.content.end;
            }
            body.extend(encode(0xa3, &encode(0x30, &kept)));
        } else {
            body.extend_from_slice(&tbs[e.start..e.content.end]);
        }
        at = e.content.end;
    }
    Ok(encode(0x30, &body))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sct_extension_is_removed_and_lengths_rewritten() {
        // SEQUENCE { INTEGER 1, [3] { SEQUENCE { ext(other), ext(SCT) } } }
        let other = encode(
            0x30,
            &[0x06, 0x03, 0x55, 0x1d, 0x13, 0x04, 0x02, 0x30, 0x00],
        );
        let mut sct_body = OID_SCT_LIST_DER.to_vec();
        sct_body.extend(encode(0x04, &[0u8; 200]));
        let sct = encode(0x30, &sct_body);
        let exts = |e: &[&[u8]]| encode(0xa3, &encode(0x30, &e.concat()));
        let tbs = encode(
            0x30,
            &[&[0x02, 0x01, 0x01][..], &exts(&[&other, &sct])].concat(),
        );
        let want = encode(0x30, &[&[0x02, 0x01, 0x01][..], &exts(&[&other])].concat());
        assert_eq!(precert_tbs(&tbs).unwrap_or_default(), want);
        assert!(precert_tbs(&tbs[..tbs.len() - 1]).is_err());
        assert!(precert_tbs(&[0x30, 0x84, 0xff, 0xff, 0xff, 0xff]).is_err());
    }
}
