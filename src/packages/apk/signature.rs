//! `APKINDEX.tar.gz` signatures (`signed_by`), checked as apk-tools checks them.
//!
//! The format (apk-tools `extract_v2.c` / `io_gunzip.c`, abuild's `abuild-sign`): the index is
//! a gzip stream of a tar of `.SIGN.<type>.<key name>` files with no end-of-archive blocks,
//! followed by the unsigned `APKINDEX.tar.gz`. The first gzip stream ends where inflating it
//! ends (its 8-byte trailer); each signature file holds an RSA PKCS#1 v1.5 signature over the
//! digest of every byte after that point, as stored (compressed): `RSA` SHA-1 (abuild's default,
//! still accepted by apk-tools), `RSA256` SHA-256, `RSA512` SHA-512. apk picks the key by the
//! key name; `signed_by` gives keys without names, so each signature is tried with each key of
//! its size instead, within [`MAX_TRIALS`].

use crate::rsa::{modulus_bits, OID_RSA, RSA_BITS};
use ring::signature::{self, UnparsedPublicKey};
use std::io::Read as _;

/// Largest signature segment (the first gzip stream) once decompressed: a tar of a few small
/// files (one 4096-bit signature: 1.5 KiB).
pub(crate) const MAX_SIGNATURE_SEGMENT: u64 = 64 * 1024;
/// Most signature files read from the segment (Alpine's indexes carry one).
pub(crate) const MAX_SIGNATURES: usize = 16;
/// Most keys in `signed_by` (Alpine's `alpine-keys` holds 7 per architecture).
pub(crate) const MAX_KEYS: usize = 16;
/// Most RSA verifications per index, each hashing the signed part once (16 keys tried on each
/// of two signatures).
pub(crate) const MAX_TRIALS: usize = 32;
/// Largest `signed_by` text read (a 4096-bit key in PEM: 800 bytes).
const MAX_KEY_TEXT: usize = 256 * 1024;
/// Largest signature file (an 8192-bit RSA signature: 1 KiB).
const MAX_SIGNATURE_BYTES: u64 = 1024;

/// Why an index is not trusted with `signed_by`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum IndexSignatureError {
    /// The first gzip stream cannot be read.
    #[error("the signature segment is not gzipped")]
    Gzip(#[source] std::io::Error),
    /// The first gzip stream is not a tar of signature files.
    #[error("the signature segment is not a tar")]
    Tar(#[source] std::io::Error),
    /// uptick's own finding (no signature, none verifies, a bound passed).
    #[error("{0}")]
    Refused(String),
}

fn refused(text: impl Into<String>) -> IndexSignatureError {
    IndexSignatureError::Refused(text.into())
}

/// The digest a signature file's type names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Hash {
    Sha1,
    Sha256,
    Sha512,
}

impl Hash {
    /// The signature type as the file name spells it, and its digest.
    fn name(self) -> &'static str {
        match self {
            Hash::Sha1 => "RSA (SHA-1)",
            Hash::Sha256 => "RSA256",
            Hash::Sha512 => "RSA512",
        }
    }

    fn algorithm(self) -> &'static signature::RsaParameters {
        match self {
            Hash::Sha1 => &signature::RSA_PKCS1_2048_8192_SHA1_FOR_LEGACY_USE_ONLY,
            Hash::Sha256 => &signature::RSA_PKCS1_2048_8192_SHA256,
            Hash::Sha512 => &signature::RSA_PKCS1_2048_8192_SHA512,
        }
    }
}

/// A key of `signed_by`: its `RSAPublicKey` DER (as ring takes it) and modulus size in bytes.
#[derive(Debug)]
pub(crate) struct IndexKey {
    der: Vec<u8>,
    modulus_bytes: usize,
}

/// The RSA public keys of `signed_by`: PEM `PUBLIC KEY` blocks (as `/etc/apk/keys/*.pub`).
pub(crate) fn keys(text: &str) -> Result<Vec<IndexKey>, String> {
    use rustls_pki_types::pem::PemObject as _;
    use rustls_pki_types::SubjectPublicKeyInfoDer;
    if text.len() > MAX_KEY_TEXT {
        return Err(format!("more than {MAX_KEY_TEXT} bytes of keys"));
    }
    let mut keys = Vec::new();
    for (i, der) in SubjectPublicKeyInfoDer::pem_slice_iter(text.as_bytes()).enumerate() {
        let der = der.map_err(|e| format!("key {}: not PEM: {e}", i + 1))?;
        if keys.len() == MAX_KEYS {
            return Err(format!("more than {MAX_KEYS} keys"));
        }
        keys.push(rsa_key(der.as_ref()).map_err(|e| format!("key {}: {e}", i + 1))?);
    }
    if keys.is_empty() {
        return Err("no PEM `PUBLIC KEY` block (an apk key, `/etc/apk/keys/*.pub`)".into());
    }
    Ok(keys)
}

/// An RSA key of 2048 to 8192 bits from its SubjectPublicKeyInfo DER.
fn rsa_key(spki_der: &[u8]) -> Result<IndexKey, String> {
    use spki::der::Decode as _;
    let info = spki::SubjectPublicKeyInfoRef::from_der(spki_der)
        .map_err(|e| format!("not a SubjectPublicKeyInfo: {e}"))?;
    if info.algorithm.oid != OID_RSA {
        return Err(format!(
            "a {} key, not RSA (apk signs with RSA)",
            info.algorithm.oid
        ));
    }
    let der = info
        .subject_public_key
        .as_bytes()
        .ok_or("the public key is not a whole number of bytes")?
        .to_vec();
    let bits = modulus_bits(&der).map_err(|e| format!("not an RSA public key: {e}"))?;
    if !RSA_BITS.contains(&bits) {
        return Err(format!(
            "an RSA key of {bits} bits (2048 to 8192 bits are verified)"
        ));
    }
    Ok(IndexKey {
        der,
        modulus_bytes: bits.div_ceil(8),
    })
}

/// The type and key name of a signature file name (`.SIGN.RSA256.<key name>`), as apk-tools
/// reads them; `None` for any other name (`.SIGN.DSA.…` included: uptick verifies RSA only).
pub(crate) fn signature_name(name: &str) -> Option<(Hash, &str)> {
    let rest = name.strip_prefix(".SIGN.")?;
    let (kind, key) = rest.split_once('.')?;
    let hash = match kind {
        "RSA" => Hash::Sha1,
        "RSA256" => Hash::Sha256,
        "RSA512" => Hash::Sha512,
        _ => return None,
    };
    (!key.is_empty() && !key.contains('/')).then_some((hash, key))
}

/// The first gzip stream of `body` decompressed (at most [`MAX_SIGNATURE_SEGMENT`] bytes) and
/// the bytes after it, as stored: where inflating the first stream ends, trailer included.
pub(crate) fn split_segment(body: &[u8]) -> Result<(Vec<u8>, &[u8]), IndexSignatureError> {
    let mut gz = flate2::bufread::GzDecoder::new(body);
    let mut segment = Vec::new();
    (&mut gz)
        .take(MAX_SIGNATURE_SEGMENT + 1)
        .read_to_end(&mut segment)
        .map_err(IndexSignatureError::Gzip)?;
    if segment.len() as u64 > MAX_SIGNATURE_SEGMENT {
        return Err(refused(format!(
            "the first gzip stream is over {MAX_SIGNATURE_SEGMENT} bytes: {}",
            if first_is_signature(&segment) {
                "too large a signature segment"
            } else {
                "no signature segment (an unsigned index?)"
            }
        )));
    }
    Ok((segment, gz.into_inner()))
}

/// Whether the tar `segment` starts with a signature file.
fn first_is_signature(segment: &[u8]) -> bool {
    segment.starts_with(b".SIGN.")
}

/// A signature of the segment: its hash, key name and bytes.
#[derive(Debug)]
pub(crate) struct IndexSignature {
    pub(crate) hash: Hash,
    pub(crate) key_name: String,
    bytes: Vec<u8>,
}

/// The signature files of the tar `segment` (at most [`MAX_SIGNATURES`]); any other member
/// there is refused, as the index must come only from the signed part.
pub(crate) fn signatures(segment: &[u8]) -> Result<Vec<IndexSignature>, IndexSignatureError> {
    let mut archive = tar::Archive::new(segment);
    let mut out = Vec::new();
    // Whether a signature file came first (of any type, one uptick does not verify included).
    let mut signature_seen = false;
    for entry in archive.entries().map_err(IndexSignatureError::Tar)? {
        let mut entry = entry.map_err(IndexSignatureError::Tar)?;
        let name = String::from_utf8_lossy(&entry.path_bytes()).into_owned();
        if !name.starts_with(".SIGN.") {
            if !signature_seen {
                return Err(refused("no signature (an unsigned index)"));
            }
            return Err(refused(format!(
                "`{}` in the signature segment: not apk's format",
                crate::log::shown_name(&name, 200)
            )));
        }
        signature_seen = true;
        let Some((hash, key_name)) = signature_name(&name) else {
            continue;
        };
        if out.len() == MAX_SIGNATURES {
            break;
        }
        let mut bytes = Vec::new();
        (&mut entry)
            .take(MAX_SIGNATURE_BYTES + 1)
            .read_to_end(&mut bytes)
            .map_err(IndexSignatureError::Tar)?;
        out.push(IndexSignature {
            hash,
            key_name: key_name.to_string(),
            bytes,
        });
    }
    Ok(out)
}

/// Checks `body` (a whole `APKINDEX.tar.gz`) against `keys`; the signed part (the unsigned
/// `APKINDEX.tar.gz`) when a signature verifies with one of them.
pub(crate) fn verify<'a>(
    body: &'a [u8],
    keys: &[IndexKey],
) -> Result<&'a [u8], IndexSignatureError> {
    let (segment, signed) = split_segment(body)?;
    let sigs = signatures(&segment)?;
    if sigs.is_empty() {
        return Err(refused(
            "no RSA signature (.SIGN.RSA.*, .SIGN.RSA256.*, .SIGN.RSA512.*)",
        ));
    }
    if signed.is_empty() {
        return Err(refused("nothing after the signature segment"));
    }
    let mut trials = 0;
    for sig in &sigs {
        for key in keys.iter().filter(|k| k.modulus_bytes == sig.bytes.len()) {
            if trials == MAX_TRIALS {
                return Err(refused(format!(
                    "no signature verified within {MAX_TRIALS} tries"
                )));
            }
            trials += 1;
            let key = UnparsedPublicKey::new(sig.hash.algorithm(), &key.der);
            if key.verify(signed, &sig.bytes).is_ok() {
                return Ok(signed);
            }
        }
    }
    let names: Vec<String> = sigs
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s.hash.name(),
                crate::log::shown_name(&s.key_name, 100)
            )
        })
        .collect();
    Err(refused(format!(
        "no signature (by {}) verifies with signed_by's {} key(s)",
        names.join(", "),
        keys.len()
    )))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write as _;

    fn gz(bytes: &[u8]) -> Vec<u8> {
        let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    }

    fn tar_entry(name: &str, data: &[u8]) -> Vec<u8> {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    }

    #[test]
    fn the_signed_part_starts_where_the_first_gzip_stream_ends() {
        let first = gz(&tar_entry(".SIGN.RSA256.k.rsa.pub", &[1; 512]));
        let second = gz(b"the unsigned index, stored");
        let third = gz(b"a later stream is signed too");
        let mut body = first.clone();
        body.extend(&second);
        body.extend(&third);
        let (segment, signed) = split_segment(&body).unwrap();
        assert_eq!(segment, tar_entry(".SIGN.RSA256.k.rsa.pub", &[1; 512]));
        assert_eq!(signed.len(), second.len() + third.len());
        assert_eq!(signed, &body[first.len()..]);
        // One stream only: nothing signed after it.
        assert_eq!(split_segment(&first).unwrap().1, b"");
        let sigs = signatures(&segment).unwrap();
        assert_eq!(sigs.len(), 1);
        assert_eq!(
            (sigs[0].hash, sigs[0].key_name.as_str()),
            (Hash::Sha256, "k.rsa.pub")
        );
    }

    #[test]
    fn signature_file_names_as_apk_reads_them() {
        let name = signature_name;
        assert_eq!(
            name(".SIGN.RSA.alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"),
            Some((
                Hash::Sha1,
                "alpine-devel@lists.alpinelinux.org-6165ee59.rsa.pub"
            ))
        );
        assert_eq!(name(".SIGN.RSA256.k.pub"), Some((Hash::Sha256, "k.pub")));
        assert_eq!(name(".SIGN.RSA512.k"), Some((Hash::Sha512, "k")));
        for other in [
            ".SIGN.DSA.k.pub",
            ".SIGN.RSA.",
            ".SIGN.RSA",
            ".SIGN.RSA1024.k",
            ".SIGN.rsa.k",
            "SIGN.RSA.k",
            ".SIGN.RSA.a/b",
            "APKINDEX",
            "",
        ] {
            assert_eq!(name(other), None, "{other}");
        }
    }

    #[test]
    fn a_segment_of_other_members_or_over_the_bound_is_refused() {
        let (segment, _) = split_segment(&gz(&tar_entry("APKINDEX", b"P:x\n"))).unwrap();
        let e = signatures(&segment).unwrap_err().to_string();
        assert_eq!(e, "no signature (an unsigned index)");
        let mut mixed = tar_entry(".SIGN.DSA.k", &[0; 64]);
        mixed.extend(tar_entry("APKINDEX", b"P:x\n"));
        let e = signatures(&mixed).unwrap_err().to_string();
        assert_eq!(e, "`APKINDEX` in the signature segment: not apk's format");
        let mut big = tar_entry(".SIGN.RSA.k", &[0; 1024]);
        big.extend(tar_entry("APKINDEX", &vec![b'x'; 70_000]));
        let e = split_segment(&gz(&big)).unwrap_err().to_string();
        assert!(e.contains("too large a signature segment"), "{e}");
        let e = split_segment(&gz(&tar_entry("APKINDEX", &vec![b'x'; 70_000])))
            .unwrap_err()
            .to_string();
        assert!(e.contains("an unsigned index?"), "{e}");
        // More signature files than the bound: only the first 16 are read.
        let many: Vec<u8> = (0..40)
            .flat_map(|i| tar_entry(&format!(".SIGN.RSA.k{i}"), &[0; 256]))
            .collect();
        assert_eq!(signatures(&many).unwrap().len(), MAX_SIGNATURES);
    }

    #[test]
    fn keys_are_pem_rsa_public_keys_within_bounds() {
        assert!(keys("not a key")
            .unwrap_err()
            .contains("no PEM `PUBLIC KEY`"));
        let garbage = "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n";
        assert!(keys(garbage)
            .unwrap_err()
            .contains("key 1: not a SubjectPublicKeyInfo"));
        assert!(keys(&"x".repeat(MAX_KEY_TEXT + 1))
            .unwrap_err()
            .contains("more than"));
    }

    #[test]
    fn any_bytes_are_an_error_or_a_result_never_a_panic() {
        let mut seed = 0x2545_f491_4f6c_dd1du64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed
        };
        let mut valid = gz(&tar_entry(".SIGN.RSA.k", &[3; 256]));
        valid.extend(gz(b"index"));
        let keys = keys(KEY).unwrap();
        for round in 0..2_000 {
            let mut body = valid.clone();
            let len = body.len();
            match round % 3 {
                0 => body.truncate(next() as usize % len),
                1 => {
                    for _ in 0..1 + next() % 8 {
                        let at = next() as usize % len;
                        body[at] = next() as u8;
                    }
                }
                _ => body = (0..next() % 600).map(|_| next() as u8).collect(),
            }
            let _ = verify(&body, &keys);
            if let Ok((segment, _)) = split_segment(&body) {
                let _ = signatures(&segment);
            }
            let _ = signatures(&body);
        }
    }

    /// A 2048-bit RSA key made by `openssl genrsa`, and its signatures (`openssl dgst -<digest>
    /// -sign`, base64) of [`SIGNED`].
    const KEY: &str = "-----BEGIN PUBLIC KEY-----\nMIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAwbe2YXjyURQTz0P7SzmO\n8tyLFaxpaFCQETaPoQ32uc4CJOACvB43juTD6FUFHhxt7an6Skzn6i/0UsIG/y6o\ngySJTCqL9/DiEssOWRZ6TWgTL+r/1UPQjM32Q1Irz1YwAstj3apVWzWEh8DvBlMe\nR6Qh8o3YOW8g4b+XY6yiR3rHWhyE7pD42iq2+ZZ9cc7q7BMGWNlxxg1aqySTajD7\n4sIN0sRRF4v7QquGU1WLPNDylXMVAVIbu0VrUcXY3JdAdpoI1vHWZY1y6YAqmwt+\nUnBC0VlNtRYJL6ZtyDLG+04GzRPTTm2NHBxQrWI339EjGC6K5WfsEqWUEiTaiaXn\nKwIDAQAB\n-----END PUBLIC KEY-----\n";
    const SIGNED: &[u8] = b"the unsigned index, as stored";
    const SHA1: &str = "jTAk8wPJgyAGgtepbKdlK7+mZC+vGuOUoz8oVYluG6MsmmaT9gESyIdiTH/I4IScZoeOcmDhzkoAviQ872i2gFC+l2IMHF/Ud1durPTxOs9E4g4x3Xxmsr2t1o4BfFuSpI2pV63Ko8/Ly8cWcmx6NOVEqisiskgNvslwKFmyBTidEW7MTuTpP+pty/hD+AHekEJzpkAmezQLHDOqGbrnNf+bg5KU6f6a0IPLs1+/4WF92WZVoSNJSq4E7PpRXSmyLXEkAKX+CBnjQO5YVnVBNon1gVZLdS/6Q6LAMCj6pSlvQsBLYkNw49szNh6TB7mPWQn01mdaL4IICHWtjqxMlQ==";
    const SHA256: &str = "idCbf7D3AORf2TAzgjadzFHUyUL25cO3Sl9U0tRlkMh6LpHoQxRZ4XEB7vyAY/grgw8B/miOnW+tFsp87QW9BzNMjzUfCkj2v2zEyfMh5uMOP6ExpD4OipaTXf4qNZipqFuS2MAcT3gKCNJSBUVBr3sISQrX4ZfrP4iVVoLB3VCSdezIrT/sa4LgQ8mo+RlpENfV6/H21me+zTAdw8eGFwNF1Jx/hDY3P/Gz1yqe3nvkBJ2lxhLyLYLE34ZKlNHZBtf74eLP0jU48pczoBJc8C+pi/h37TeLpynxvlpz1VeIkRT0pvhT7t83yaOGSb40AohbkcEuTw2W9I5ACzpqWA==";
    const SHA512: &str = "EcFTIkj24DX4MEVPFGJgZHmHeHHLBfIM1FiI97Yj5Et12xeIkYOOGrzAGPNn9H/KXHka1oF48Yj4jkkcBDbMhER+tzqLtl5xFmQyxhUpMNmuhYWJsLJfoNeN8SNW9EWA9sQI5cU5qtf2uzfz8zsZcv6zp14CeKcQpMye8jws91aoWNIjIIh7rg5l7N61v0rxUa8csRyBFOLXShYmctEz2AYTKkrQ345IsmZZC8Ip7NhE9hIuqV//fqfcZqzJbFft8AqVR0BarDMlV05ela2/iBoyF2fhmr6Ubbb7F5w6JHKOgpT1uVWgioRAgsKHiwPt6oDPiBhaEM7udYN1uIUC3g==";

    fn signed_index(entries: &[(&str, &str)]) -> Vec<u8> {
        use base64::Engine as _;
        let b64 = base64::engine::general_purpose::STANDARD;
        let tar: Vec<u8> = entries
            .iter()
            .flat_map(|(name, sig)| tar_entry(name, &b64.decode(sig).unwrap()))
            .collect();
        let mut body = gz(&tar);
        body.extend_from_slice(SIGNED);
        body
    }

    #[test]
    fn rsa_sha1_sha256_and_sha512_signatures_verify_with_a_given_key_only() {
        let keys = keys(KEY).unwrap();
        for (name, sig) in [
            (".SIGN.RSA.k.rsa.pub", SHA1),
            (".SIGN.RSA256.k.rsa.pub", SHA256),
            (".SIGN.RSA512.k.rsa.pub", SHA512),
        ] {
            let body = signed_index(&[(name, sig)]);
            assert_eq!(verify(&body, &keys).unwrap(), SIGNED, "{name}");
            // Another byte signed, the wrong digest named, or a DSA type: refused.
            let mut changed = body.clone();
            *changed.last_mut().unwrap() ^= 1;
            assert!(verify(&changed, &keys).is_err(), "{name}");
        }
        let wrong_digest = signed_index(&[(".SIGN.RSA256.k", SHA1)]);
        let e = verify(&wrong_digest, &keys).unwrap_err().to_string();
        assert_eq!(
            e,
            "no signature (by RSA256 k) verifies with signed_by's 1 key(s)"
        );
        let dsa = signed_index(&[(".SIGN.DSA.k", SHA1)]);
        let e = verify(&dsa, &keys).unwrap_err().to_string();
        assert!(e.starts_with("no RSA signature"), "{e}");
        // A bad signature first, then a good one: the good one counts.
        let both = signed_index(&[(".SIGN.RSA.x", SHA256), (".SIGN.RSA256.k", SHA256)]);
        assert_eq!(verify(&both, &keys).unwrap(), SIGNED);
    }

    #[test]
    fn verifications_stop_at_the_bound() {
        let sixteen = KEY.repeat(MAX_KEYS);
        let keys = keys(&sixteen).unwrap();
        assert!(super::keys(&KEY.repeat(MAX_KEYS + 1))
            .unwrap_err()
            .contains("more than 16 keys"));
        // Two bad signatures use the 32 tries; the good third one is not tried.
        let body = signed_index(&[
            (".SIGN.RSA.a", SHA256),
            (".SIGN.RSA.b", SHA256),
            (".SIGN.RSA256.k", SHA256),
        ]);
        let e = verify(&body, &keys).unwrap_err().to_string();
        assert_eq!(e, "no signature verified within 32 tries");
        // A signature of another size than the key's is not tried at all.
        let short = signed_index(&[(".SIGN.RSA.a", "AAAA"), (".SIGN.RSA256.k", SHA256)]);
        assert_eq!(verify(&short, &keys[..1]).unwrap(), SIGNED);
    }
}
