//! The Fulcio signing certificate: its path to a CA of the trusted root judged at one instant,
//! and what it says about the signer (SAN, Fulcio issuer extension, code-signing EKU).

use super::keys::{signature_hash, LogKey};
use super::root::{Authority, MAX_CERT_BYTES, MAX_CHAIN};
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::GeneralName;

/// Fulcio's OIDC issuer extension (v2: a DER UTF8String).
const OID_ISSUER_V2: &str = "1.3.6.1.4.1.57264.1.8";
/// Fulcio's OIDC issuer extension (v1, deprecated: the raw string).
const OID_ISSUER_V1: &str = "1.3.6.1.4.1.57264.1.1";

/// PEM `CERTIFICATE` blocks of `text`, as DER, at most `max` of them, each within
/// [`MAX_CERT_BYTES`].
pub(crate) fn pem_certs(text: &str, max: usize) -> Result<Vec<Vec<u8>>, String> {
    use rustls_pki_types::pem::PemObject as _;
    let mut out = Vec::new();
    for c in rustls_pki_types::CertificateDer::pem_slice_iter(text.as_bytes()) {
        let c = c.map_err(|e| format!("not PEM: {e}"))?;
        if out.len() == max {
            return Err(format!("more than {max} certificates"));
        }
        if c.len() > MAX_CERT_BYTES {
            return Err(format!("a certificate larger than {MAX_CERT_BYTES} bytes"));
        }
        out.push(c.to_vec());
    }
    if out.is_empty() {
        return Err("no PEM CERTIFICATE block".into());
    }
    Ok(out)
}

/// Parses one DER certificate.
pub(crate) fn parse(der: &[u8]) -> Result<X509Certificate<'_>, String> {
    match x509_parser::parse_x509_certificate(der) {
        Ok(([], c)) => Ok(c),
        Ok(_) => Err("trailing bytes after the certificate".into()),
        Err(e) => Err(format!("not a certificate: {e}")),
    }
}

/// The certificate's public key.
pub(crate) fn public_key(cert: &X509Certificate<'_>) -> Result<LogKey, String> {
    LogKey::from_spki(cert.public_key().raw, "")
}

/// Whether `cert` was valid at `t` (seconds since the epoch).
fn valid_at(cert: &X509Certificate<'_>, t: i64) -> bool {
    let v = cert.validity();
    v.not_before.timestamp() <= t && t <= v.not_after.timestamp()
}

/// Whether `issuer` issued `child`: names match, `issuer` is a CA, its key verifies `child`'s
/// signature.
fn issued(issuer: &X509Certificate<'_>, child: &X509Certificate<'_>) -> Result<(), String> {
    if issuer.subject().as_raw() != child.issuer().as_raw() {
        return Err(format!(
            "issued by {}, not {}",
            child.issuer(),
            issuer.subject()
        ));
    }
    match issuer.basic_constraints() {
        Ok(Some(bc)) if bc.value.ca => {}
        _ => return Err(format!("{} is not a CA", issuer.subject())),
    }
    let oid = child.signature_algorithm.algorithm.to_id_string();
    let hash = signature_hash(&oid).ok_or(format!("signature algorithm {oid} is not supported"))?;
    let key = public_key(issuer).map_err(|e| format!("{}: {e}", issuer.subject()))?;
    if !key.verifies(
        hash,
        child.tbs_certificate.as_ref(),
        &child.signature_value.data,
    ) {
        return Err(format!(
            "the signature of {} does not verify with the key of {}",
            child.subject(),
            issuer.subject()
        ));
    }
    Ok(())
}

/// The path from `leaf` through `extra` (the `chain` annotation's certificates, in any order)
/// to one of `authorities`, every certificate valid at `t` and the CA's window covering it: the
/// leaf's issuer's SubjectPublicKeyInfo (DER).
pub(crate) fn chain_to(
    leaf: &X509Certificate<'_>,
    extra: &[Vec<u8>],
    authorities: &[Authority],
    t: i64,
) -> Result<Vec<u8>, String> {
    let extra = extra
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| format!("chain: {e}"))?;
    let mut reasons = Vec::new();
    for (i, ca) in authorities.iter().enumerate() {
        if !ca.window.covers(t) {
            reasons.push(format!(
                "certificateAuthorities[{i}]: validFor does not cover {t}"
            ));
            continue;
        }
        match chain_to_one(leaf, &extra, ca, t) {
            Ok(spki) => return Ok(spki),
            Err(e) => reasons.push(format!("certificateAuthorities[{i}]: {e}")),
        }
    }
    Err(reasons.join("; "))
}

fn chain_to_one(
    leaf: &X509Certificate<'_>,
    extra: &[X509Certificate<'_>],
    ca: &Authority,
    t: i64,
) -> Result<Vec<u8>, String> {
    let trusted = ca
        .certs
        .iter()
        .map(|d| parse(d))
        .collect::<Result<Vec<_>, _>>()?;
    let Some(first) = trusted.first() else {
        return Err("an empty certChain".into());
    };
    // The CA's own chain, each certificate issued by the next.
    for pair in trusted.windows(2) {
        issued(&pair[1], &pair[0])?;
    }
    if let Some(c) = trusted.iter().find(|c| !valid_at(c, t)) {
        return Err(format!("{} was not valid at {t}", c.subject()));
    }
    // Up from the leaf through the annotation's intermediates to the CA's first certificate.
    let mut current = leaf;
    let mut leaf_issuer = None;
    for _ in 0..=MAX_CHAIN {
        if !valid_at(current, t) {
            return Err(format!("{} was not valid at {t}", current.subject()));
        }
        let why = match issued(first, current) {
            Ok(()) => {
                let spki = leaf_issuer.unwrap_or(first.public_key().raw);
                return Ok(spki.to_vec());
            }
            Err(e) => e,
        };
        let Some(next) = extra
            .iter()
            .find(|c| c.as_ref() != current.as_ref() && issued(c, current).is_ok())
        else {
            return Err(why);
        };
        leaf_issuer.get_or_insert(next.public_key().raw);
        current = next;
    }
    Err(format!("no path within {MAX_CHAIN} certificates"))
}

/// What a Fulcio certificate says about its signer.
#[derive(Debug)]
pub(crate) struct Signer {
    /// SAN email addresses and URIs.
    pub(crate) subjects: Vec<String>,
    /// The OIDC issuer (extension v2, else v1).
    pub(crate) issuer: Option<String>,
}

/// The signer named by `cert`, after checking its code-signing EKU.
pub(crate) fn signer(cert: &X509Certificate<'_>) -> Result<Signer, String> {
    match cert.extended_key_usage() {
        Ok(Some(eku)) if eku.value.code_signing => {}
        Ok(_) => return Err("the certificate has no code-signing extended key usage".into()),
        Err(e) => return Err(format!("the extended key usage is malformed: {e}")),
    }
    let subjects = match cert.subject_alternative_name() {
        Ok(Some(san)) => san
            .value
            .general_names
            .iter()
            .filter_map(|n| match n {
                GeneralName::RFC822Name(s) | GeneralName::URI(s) => Some(s.to_string()),
                _ => None,
            })
            .collect(),
        Ok(None) => Vec::new(),
        Err(e) => return Err(format!("the subject alternative name is malformed: {e}")),
    };
    let mut issuer = None;
    for ext in cert.extensions() {
        let oid = ext.oid.to_id_string();
        if oid == OID_ISSUER_V2 {
            use spki::der::Decode as _;
            let s = spki::der::asn1::Utf8StringRef::from_der(ext.value)
                .map_err(|e| format!("the Fulcio issuer extension is malformed: {e}"))?;
            issuer = Some(s.as_str().to_string());
        } else if oid == OID_ISSUER_V1 && issuer.is_none() {
            issuer = std::str::from_utf8(ext.value).ok().map(str::to_string);
        }
    }
    Ok(Signer { subjects, issuer })
}
