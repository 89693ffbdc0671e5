//! Just enough OpenPGP (RFC 4880 / RFC 9580) to check an apt Release file's signature against
//! keys the pipeline gives (`signed_by`): v4 RSA and Ed25519 (EdDSA legacy and native) public
//! keys and subkeys from armored key blocks, v4 signatures over SHA-256/384/512, clear-signed
//! (`InRelease`) or detached (`Release.gpg`), verified with `ring`.
//!
//! The keys are the pipeline's own trust decision: every key and subkey packet in `signed_by`
//! is accepted as given (no binding, expiry or revocation checks: none of that is in the input
//! apt's `Signed-By` takes either). SHA-1 and MD5 signatures, DSA and ECDSA keys are refused.

use ring::signature;

/// A public key usable for verification.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key ID (low 64 bits of the v4 fingerprint), hex.
    pub id: String,
    material: Material,
}

#[derive(Clone, Debug)]
enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ed25519([u8; 32]),
}

/// The OID of Ed25519 in EdDSA legacy keys (1.3.6.1.4.1.11591.15.1).
const ED25519_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

/// The packets (tag, body) of binary OpenPGP data.
fn packets(mut data: &[u8]) -> Result<Vec<(u8, &[u8])>, String> {
    let mut out = Vec::new();
    let short = || "truncated OpenPGP packet".to_string();
    while let Some((&first, rest)) = data.split_first() {
        if first & 0x80 == 0 {
            return Err("not OpenPGP data".into());
        }
        let (tag, len, rest) = if first & 0x40 != 0 {
            let tag = first & 0x3f;
            let (&o1, rest) = rest.split_first().ok_or_else(short)?;
            match o1 {
                0..=191 => (tag, usize::from(o1), rest),
                192..=223 => {
                    let (&o2, rest) = rest.split_first().ok_or_else(short)?;
                    (
                        tag,
                        ((usize::from(o1) - 192) << 8) + usize::from(o2) + 192,
                        rest,
                    )
                }
                255 => {
                    let b = rest.get(..4).ok_or_else(short)?;
                    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    (tag, n, &rest[4..])
                }
                _ => return Err("partial-length OpenPGP packets are not supported".into()),
            }
        } else {
            let tag = (first >> 2) & 0x0f;
            match first & 3 {
                0 => {
                    let (&n, rest) = rest.split_first().ok_or_else(short)?;
                    (tag, usize::from(n), rest)
                }
                1 => {
                    let b = rest.get(..2).ok_or_else(short)?;
                    (
                        tag,
                        usize::from(u16::from_be_bytes([b[0], b[1]])),
                        &rest[2..],
                    )
                }
                2 => {
                    let b = rest.get(..4).ok_or_else(short)?;
                    let n = u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize;
                    (tag, n, &rest[4..])
                }
                _ => (tag, rest.len(), rest),
            }
        };
        let body = rest.get(..len).ok_or_else(short)?;
        out.push((tag, body));
        data = &rest[len..];
    }
    Ok(out)
}

/// One MPI: its big-endian bytes (no leading zeros) and the rest.
fn mpi(data: &[u8]) -> Option<(&[u8], &[u8])> {
    let bits = usize::from(u16::from_be_bytes([*data.first()?, *data.get(1)?]));
    let len = bits.div_ceil(8);
    let value = data.get(2..2 + len)?;
    let start = value.iter().position(|&b| b != 0).unwrap_or(value.len());
    Some((&value[start..], &data[2 + len..]))
}

/// The binary contents of every armored block of `kind` (`PUBLIC KEY BLOCK`, `SIGNATURE`).
fn dearmor(text: &str, kind: &str) -> Result<Vec<Vec<u8>>, String> {
    use base64::Engine as _;
    let begin = format!("-----BEGIN PGP {kind}-----");
    let end = format!("-----END PGP {kind}-----");
    let mut out = Vec::new();
    let mut lines = text.lines().map(str::trim);
    while lines.by_ref().any(|l| l == begin) {
        // Armor headers, up to an empty line (a line without `:` means there were none).
        let mut data = String::new();
        let mut in_headers = true;
        let mut ended = false;
        for line in lines.by_ref() {
            if line == end {
                ended = true;
                break;
            }
            if in_headers {
                if line.is_empty() {
                    in_headers = false;
                    continue;
                }
                if line.contains(": ") {
                    continue;
                }
                in_headers = false;
            }
            if line.starts_with('=') {
                continue; // the CRC-24 line
            }
            data.push_str(line);
        }
        if !ended {
            return Err(format!("an armored {kind} without its END line"));
        }
        out.push(
            base64::engine::general_purpose::STANDARD
                .decode(data.as_bytes())
                .map_err(|e| format!("armored {kind}: {e}"))?,
        );
    }
    Ok(out)
}

/// The usable keys and subkeys of armored public key blocks.
pub fn keys(armored: &str) -> Result<Vec<Key>, String> {
    let mut out = Vec::new();
    for block in dearmor(armored, "PUBLIC KEY BLOCK")? {
        for (tag, body) in packets(&block)? {
            if tag != 6 && tag != 14 {
                continue;
            }
            if let Some(k) = key(body) {
                out.push(k);
            }
        }
    }
    if out.is_empty() {
        return Err(
            "no v4 RSA or Ed25519 public key in it (an armored PGP PUBLIC KEY BLOCK)".into(),
        );
    }
    Ok(out)
}

fn key(body: &[u8]) -> Option<Key> {
    if body.first() != Some(&4) {
        return None;
    }
    let algo = *body.get(5)?;
    let params = body.get(6..)?;
    let material = match algo {
        1..=3 => {
            let (n, rest) = mpi(params)?;
            let (e, _) = mpi(rest)?;
            Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            }
        }
        22 => {
            let oid_len = usize::from(*params.first()?);
            if params.get(1..1 + oid_len)? != ED25519_OID {
                return None;
            }
            let (point, _) = mpi(params.get(1 + oid_len..)?)?;
            let point = point.strip_prefix(&[0x40])?;
            Material::Ed25519(point.try_into().ok()?)
        }
        27 => Material::Ed25519(params.get(..32)?.try_into().ok()?),
        _ => return None,
    };
    let mut fp = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    fp.update(&[0x99]);
    fp.update(&u16::try_from(body.len()).ok()?.to_be_bytes());
    fp.update(body);
    let fp = fp.finish();
    Some(Key {
        id: hex::encode_upper(&fp.as_ref()[12..]),
        material,
    })
}

/// The text a clear-signed message signs (dash-escaping undone, trailing blanks dropped, lines
/// joined by CR LF without the last line break) and its armored signature block.
fn clear_signed_parts(message: &str) -> Result<(Vec<String>, &str), String> {
    let start = message
        .find("-----BEGIN PGP SIGNED MESSAGE-----")
        .ok_or("not a clear-signed message")?;
    let rest = &message[start..];
    let sig_at = rest
        .find("\n-----BEGIN PGP SIGNATURE-----")
        .ok_or("a clear-signed message without its signature")?;
    let (head, signature) = rest.split_at(sig_at + 1);
    let mut lines = head.lines().skip(1);
    for line in lines.by_ref() {
        if line.trim().is_empty() {
            break;
        }
    }
    let text = lines
        .map(|l| l.strip_prefix("- ").unwrap_or(l).to_string())
        .collect();
    Ok((text, signature))
}

/// Verifies a clear-signed message (`InRelease`) against `keys`; the signed text on success.
pub fn verify_clear_signed(message: &str, keys: &[Key]) -> Result<String, String> {
    let (lines, armored) = clear_signed_parts(message)?;
    let canonical = lines
        .iter()
        .map(|l| l.trim_end_matches([' ', '\t', '\r']))
        .collect::<Vec<_>>()
        .join("\r\n");
    verify(canonical.as_bytes(), armored, keys)?;
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

/// Verifies a detached signature (`Release.gpg`, armored or binary) over `data`.
pub fn verify_detached(data: &[u8], signature: &[u8], keys: &[Key]) -> Result<(), String> {
    match std::str::from_utf8(signature) {
        Ok(text) if text.contains("-----BEGIN PGP SIGNATURE-----") => verify(data, text, keys),
        _ => verify_packets(data, signature, keys),
    }
}

fn verify(data: &[u8], armored: &str, keys: &[Key]) -> Result<(), String> {
    let blocks = dearmor(armored, "SIGNATURE")?;
    let mut problems = Vec::new();
    for block in blocks {
        match verify_packets(data, &block, keys) {
            Ok(()) => return Ok(()),
            Err(e) => problems.push(e),
        }
    }
    Err(problems
        .pop()
        .unwrap_or_else(|| "no signature in it".to_string()))
}

/// Whether any v4 signature packet in `sigs` verifies over `data` with one of `keys`.
fn verify_packets(data: &[u8], sigs: &[u8], keys: &[Key]) -> Result<(), String> {
    let mut issuers = Vec::new();
    let mut seen = 0;
    for (tag, body) in packets(sigs)? {
        if tag != 2 || body.first() != Some(&4) || body.len() < 6 {
            continue;
        }
        seen += 1;
        let (sig_type, algo, hash) = (body[1], body[2], body[3]);
        let hashed_len = usize::from(u16::from_be_bytes([body[4], body[5]]));
        let Some(hashed) = body.get(..6 + hashed_len) else {
            continue;
        };
        let rest = &body[6 + hashed_len..];
        let Some(unhashed_len) = rest
            .get(..2)
            .map(|b| usize::from(u16::from_be_bytes([b[0], b[1]])))
        else {
            continue;
        };
        if let Some(unhashed) = rest.get(2..2 + unhashed_len) {
            issuers.extend(issuer(&hashed[6..]).or_else(|| issuer(unhashed)));
        }
        let Some(values) = rest.get(2 + unhashed_len + 2..) else {
            continue;
        };
        if sig_type > 1 {
            continue;
        }
        let digest_alg = match hash {
            8 => &ring::digest::SHA256,
            9 => &ring::digest::SHA384,
            10 => &ring::digest::SHA512,
            _ => continue,
        };
        let mut message = Vec::with_capacity(data.len() + hashed.len() + 6);
        message.extend_from_slice(data);
        message.extend_from_slice(hashed);
        message.extend_from_slice(&[4, 0xff]);
        message.extend_from_slice(&(hashed.len() as u32).to_be_bytes());
        for key in keys {
            let ok = match (&key.material, algo) {
                (Material::Rsa { n, e }, 1 | 3) => {
                    let Some((s, _)) = mpi(values) else { continue };
                    let mut padded = vec![0u8; n.len().saturating_sub(s.len())];
                    padded.extend_from_slice(s);
                    let params = match hash {
                        8 => &signature::RSA_PKCS1_2048_8192_SHA256,
                        9 => &signature::RSA_PKCS1_3072_8192_SHA384,
                        _ => &signature::RSA_PKCS1_2048_8192_SHA512,
                    };
                    signature::RsaPublicKeyComponents { n, e }
                        .verify(params, &message, &padded)
                        .is_ok()
                }
                (Material::Ed25519(pk), 22 | 27) => {
                    let sig: Vec<u8> = if algo == 22 {
                        let Some((r, rest)) = mpi(values) else {
                            continue;
                        };
                        let Some((s, _)) = mpi(rest) else { continue };
                        if r.len() > 32 || s.len() > 32 {
                            continue;
                        }
                        let mut sig = vec![0u8; 64];
                        sig[32 - r.len()..32].copy_from_slice(r);
                        sig[64 - s.len()..].copy_from_slice(s);
                        sig
                    } else {
                        match values.get(..64) {
                            Some(s) => s.to_vec(),
                            None => continue,
                        }
                    };
                    let digest = ring::digest::digest(digest_alg, &message);
                    signature::UnparsedPublicKey::new(&signature::ED25519, pk)
                        .verify(digest.as_ref(), &sig)
                        .is_ok()
                }
                _ => false,
            };
            if ok {
                return Ok(());
            }
        }
    }
    if seen == 0 {
        return Err("no v4 signature in it".into());
    }
    let ids: Vec<String> = keys.iter().map(|k| k.id.clone()).collect();
    Err(format!(
        "no signature (by {}) verifies with signed_by's keys ({}) over SHA-256/384/512",
        if issuers.is_empty() {
            "an unnamed key".to_string()
        } else {
            few(&issuers)
        },
        few(&ids)
    ))
}

/// Up to four key IDs, then how many more.
fn few(ids: &[String]) -> String {
    match ids.len() {
        0..=4 => ids.join(", "),
        n => format!("{} and {} more", ids[..4].join(", "), n - 4),
    }
}

/// The issuer key ID of a subpacket area (Issuer, or the low 64 bits of Issuer Fingerprint).
fn issuer(mut area: &[u8]) -> Option<String> {
    while let Some(&o1) = area.first() {
        let (len, hdr) = match o1 {
            0..=191 => (usize::from(o1), 1),
            192..=254 => (
                ((usize::from(o1) - 192) << 8) + usize::from(*area.get(1)?) + 192,
                2,
            ),
            255 => {
                let b = area.get(1..5)?;
                (u32::from_be_bytes([b[0], b[1], b[2], b[3]]) as usize, 5)
            }
        };
        let sub = area.get(hdr..hdr + len)?;
        match sub.first().map(|t| t & 0x7f) {
            Some(16) if sub.len() == 9 => return Some(hex::encode_upper(&sub[1..])),
            Some(33) if sub.len() == 22 => return Some(hex::encode_upper(&sub[14..])),
            _ => {}
        }
        area = &area[hdr + len..];
    }
    None
}
