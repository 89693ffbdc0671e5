//! Keyring files as apt reads them (binary `gpg --export` packets, `.gpg`, or ASCII-armored,
//! `.asc`) made into the armored text `signed_by` and [`super::keys`] take.

use super::cert::{MAX_CERTS, MAX_KEY_PACKETS};
use super::packet::{dearmor, packets, Packet};

/// Largest keyring file read (Debian's `debian-archive-keyring.gpg`: 56 KB).
pub(crate) const MAX_KEYRING_BYTES: usize = 1024 * 1024;

const BLOCK: &str = "PUBLIC KEY BLOCK";

/// `data` (a binary or armored keyring) as one armored `PGP PUBLIC KEY BLOCK`, keeping only the
/// certificates one of `fingerprints` (v4, hex, any case, apt's `!` suffix ignored) names as
/// its primary key or a subkey — all of them when `fingerprints` is empty. Armored without a
/// CRC-24 line (RFC 9580 §6.1: it SHOULD NOT be generated); `None` when no certificate is
/// kept. Packets are framed (new format), not checked: [`super::keys`] checks the result.
pub(crate) fn armored_keyring(
    data: &[u8],
    fingerprints: &[String],
) -> Result<Option<String>, String> {
    if data.len() > MAX_KEYRING_BYTES {
        return Err(format!(
            "{} bytes: more than the {MAX_KEYRING_BYTES} read",
            data.len()
        ));
    }
    if data.get(8..12) == Some(b"KBXf") {
        return Err("a GnuPG keybox, not a keyring (apt reads `gpg --export` output)".into());
    }
    let blocks = binary_blocks(data)?;
    let mut kept = Vec::new();
    let mut budget = MAX_KEY_PACKETS;
    let mut certs = 0;
    for block in &blocks {
        let all = packets(block, budget)?;
        budget -= all.len();
        for cert in certificates(&all) {
            if !fingerprints.is_empty() && !names(cert, fingerprints) {
                continue;
            }
            certs += 1;
            if certs > MAX_CERTS {
                return Err(format!("more than {MAX_CERTS} keys"));
            }
            cert.iter().for_each(|p| frame(p, &mut kept));
        }
    }
    Ok((!kept.is_empty()).then(|| armor(&kept)))
}

/// The binary contents of `data`: its armored public key blocks, or itself when it is binary.
fn binary_blocks(data: &[u8]) -> Result<Vec<Vec<u8>>, String> {
    match data.first() {
        Some(b) if b & 0x80 != 0 => Ok(vec![data.to_vec()]),
        _ => {
            let text = std::str::from_utf8(data)
                .map_err(|_| "neither binary OpenPGP packets nor armored text".to_string())?;
            let blocks = dearmor(text, BLOCK)?;
            if blocks.is_empty() {
                return Err("no `-----BEGIN PGP PUBLIC KEY BLOCK-----` in it".into());
            }
            Ok(blocks)
        }
    }
}

/// The certificates of a packet sequence: each run from a primary key packet (tag 6) up to the
/// next one.
fn certificates<'a, 'b>(all: &'b [Packet<'a>]) -> impl Iterator<Item = &'b [Packet<'a>]> {
    let starts: Vec<usize> = (0..all.len()).filter(|&i| all[i].tag == 6).collect();
    let ends: Vec<usize> = starts.iter().skip(1).copied().chain([all.len()]).collect();
    starts.into_iter().zip(ends).map(move |(s, e)| &all[s..e])
}

/// Whether one of `fingerprints` is the v4 fingerprint of `cert`'s primary key or a subkey.
fn names(cert: &[Packet<'_>], fingerprints: &[String]) -> bool {
    cert.iter()
        .filter(|p| p.tag == 6 || p.tag == 14)
        .filter_map(|p| fingerprint(p.body))
        .any(|fp| {
            fingerprints
                .iter()
                .any(|want| want.trim_end_matches('!').eq_ignore_ascii_case(&fp))
        })
}

/// The v4 fingerprint of a key packet body (SHA-1 over `99`, its length, the body), hex.
fn fingerprint(body: &[u8]) -> Option<String> {
    if body.first() != Some(&4) {
        return None;
    }
    let len = u16::try_from(body.len()).ok()?.to_be_bytes();
    let mut fp = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    fp.update(&[0x99, len[0], len[1]]);
    fp.update(body);
    Some(hex::encode_upper(fp.finish().as_ref()))
}

/// Appends `p` to `out` with a new-format header (RFC 9580 §4.2.1).
fn frame(p: &Packet<'_>, out: &mut Vec<u8>) {
    out.push(0xC0 | p.tag);
    let n = p.body.len();
    match n {
        0..=191 => out.push(n as u8),
        192..=8383 => {
            let m = n - 192;
            out.extend([(m >> 8) as u8 + 192, (m & 0xff) as u8]);
        }
        _ => {
            out.push(255);
            out.extend((n as u32).to_be_bytes());
        }
    }
    out.extend_from_slice(p.body);
}

/// `binary` as an armored public key block: header line, blank line, base64 in 64-character
/// lines, tail line.
fn armor(binary: &[u8]) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD.encode(binary);
    let mut out = format!("-----BEGIN PGP {BLOCK}-----\n\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END PGP {BLOCK}-----\n"));
    out
}

#[cfg(test)]
mod tests {
    use super::super::keys;
    use super::*;

    fn data(name: &str) -> Vec<u8> {
        let path = format!("{}/tests/data/own-repos/{name}", env!("CARGO_MANIFEST_DIR"));
        std::fs::read(&path).unwrap()
    }

    fn ids(armored: &str) -> Vec<String> {
        let mut ids: Vec<String> = keys(armored).unwrap().into_iter().map(|k| k.id).collect();
        ids.sort();
        ids
    }

    #[test]
    fn a_gpg_export_keyring_gives_the_keys_of_its_armored_export() {
        // `gpg --export` and `gpg --armor --export` of one Ed25519 and one RSA-3072 key.
        let binary = armored_keyring(&data("two-keys.gpg"), &[])
            .unwrap()
            .unwrap();
        let armored = String::from_utf8(data("two-keys.asc")).unwrap();
        assert_eq!(ids(&binary), ids(&armored));
        assert_eq!(ids(&binary).len(), 2);
        // An armored keyring goes through unchanged in content.
        let again = armored_keyring(armored.as_bytes(), &[]).unwrap().unwrap();
        assert_eq!(ids(&again), ids(&armored));
    }

    #[test]
    fn debians_archive_keyring_parses_whole() {
        let armored = armored_keyring(&data("debian-archive-keyring.gpg"), &[])
            .unwrap()
            .unwrap();
        let blocks = dearmor(&armored, BLOCK).unwrap();
        assert_eq!(blocks.len(), 1);
        // The same packets, reframed; 9 certificates (gpg --show-keys: 9 pub, 6 sub).
        let original = data("debian-archive-keyring.gpg");
        let before = packets(&original, MAX_KEY_PACKETS).unwrap();
        let after = packets(&blocks[0], MAX_KEY_PACKETS).unwrap();
        let parts = |ps: &[Packet<'_>]| -> Vec<(u8, Vec<u8>)> {
            ps.iter().map(|p| (p.tag, p.body.to_vec())).collect()
        };
        assert!(parts(&before) == parts(&after), "packets differ");
        assert_eq!(after.len(), 104);
        assert_eq!(certificates(&after).count(), 9);
        assert_eq!(keys(&armored).unwrap().len(), 15);
    }

    #[test]
    fn fingerprints_select_certificates() {
        let rsa = "a15e4967d7a3087dfbc971fc010591ca7f9cd676!".to_string();
        let one = armored_keyring(&data("two-keys.gpg"), &[rsa])
            .unwrap()
            .unwrap();
        assert_eq!(ids(&one), vec!["010591CA7F9CD676".to_string()]);
        let none = armored_keyring(&data("two-keys.gpg"), &["00".repeat(20)]).unwrap();
        assert!(none.is_none());
    }

    #[test]
    fn what_is_not_a_keyring_is_refused() {
        assert!(armored_keyring(b"", &[]).is_err());
        assert!(armored_keyring(b"hello", &[]).is_err());
        assert!(armored_keyring(&[0x99, 0x01, 0xFF], &[]).is_err());
        let mut kbx = vec![0u8; 32];
        kbx[8..12].copy_from_slice(b"KBXf");
        assert!(armored_keyring(&kbx, &[]).unwrap_err().contains("keybox"));
        assert!(armored_keyring(&vec![0x99; MAX_KEYRING_BYTES + 1], &[]).is_err());
    }
}
