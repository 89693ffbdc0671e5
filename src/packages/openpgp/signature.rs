//! One v4 signature packet (RFC 9580 §5.2): its type, times, flags and issuer from the
//! subpackets, and whether it verifies over given bytes with a given public key (`ring`):
//! RSA PKCS#1 v1.5 (2048–8192 bits) and Ed25519, over SHA-256, SHA-384 or SHA-512 only.

use super::packet::{mpi, subpackets, Subpacket};
use ring::signature;

/// Public key material that can check a signature.
#[derive(Clone, Debug)]
pub(crate) enum Material {
    Rsa { n: Vec<u8>, e: Vec<u8> },
    Ed25519([u8; 32]),
}

/// Subpacket types whose meaning is understood (or harmless to ignore) when marked critical:
/// a signature with any other critical subpacket is not used (RFC 9580 §5.2.3.7).
const UNDERSTOOD: &[u8] = &[
    2, 3, 4, 7, 9, 11, 12, 16, 21, 22, 23, 25, 26, 27, 28, 29, 30, 31, 32, 33, 34, 35, 37, 39,
];

/// A parsed v4 signature.
#[derive(Clone, Debug)]
pub(crate) struct Signature<'a> {
    /// The signature type (0x00 binary, 0x01 text, 0x10–0x13 certifications, 0x18 subkey
    /// binding, 0x19 primary-key binding, 0x1F direct key, 0x20/0x28/0x30 revocations).
    pub typ: u8,
    pub pk_algo: u8,
    pub hash_algo: u8,
    /// Version through the hashed subpackets: what the trailer covers.
    hashed: &'a [u8],
    /// The algorithm-specific values (after the two-octet hash prefix).
    values: &'a [u8],
    /// Creation time (hashed subpacket 2): a signature without one is not used.
    pub created: u32,
    /// Seconds after `created` it expires (subpacket 3); 0 or `None`: never.
    pub expires_after: Option<u32>,
    /// Seconds after the key's creation it expires (subpacket 9); 0 or `None`: never.
    pub key_expires_after: Option<u32>,
    /// The first octet of the key flags (subpacket 27).
    pub key_flags: Option<u8>,
    /// Marks the primary user ID (subpacket 25).
    pub primary_uid: bool,
    /// The issuer key ID (subpacket 16, or the low 64 bits of a v4 issuer fingerprint, 33).
    pub issuer: Option<[u8; 8]>,
    /// The reason for revocation code (subpacket 29).
    pub revocation_reason: Option<u8>,
    /// An embedded signature's packet body (subpacket 32: a subkey's back-signature).
    pub embedded: Option<&'a [u8]>,
}

fn be32(body: &[u8]) -> Option<u32> {
    Some(u32::from_be_bytes(body.get(..4)?.try_into().ok()?))
}

impl<'a> Signature<'a> {
    /// A v4 signature packet's body; `None` for other versions, malformed ones, ones without a
    /// hashed creation time and ones with a critical subpacket not understood.
    pub(super) fn parse(body: &'a [u8]) -> Option<Signature<'a>> {
        if body.first() != Some(&4) || body.len() < 6 {
            return None;
        }
        let hashed_len = usize::from(u16::from_be_bytes([body[4], body[5]]));
        let hashed = body.get(..6 + hashed_len)?;
        let rest = &body[6 + hashed_len..];
        let unhashed_len = usize::from(u16::from_be_bytes([*rest.first()?, *rest.get(1)?]));
        let unhashed = rest.get(2..2 + unhashed_len)?;
        let values = rest.get(2 + unhashed_len + 2..)?;
        let hashed_subs = subpackets(&hashed[6..])?;
        let unhashed_subs = subpackets(unhashed)?;
        if hashed_subs
            .iter()
            .any(|s| s.critical && !UNDERSTOOD.contains(&s.kind))
        {
            return None;
        }
        let find = |kind: u8| hashed_subs.iter().find(|s| s.kind == kind).map(|s| s.body);
        let issuer_in = |subs: &[Subpacket<'_>]| {
            subs.iter().find_map(|s| match (s.kind, s.body.len()) {
                (16, 8) => s.body.try_into().ok(),
                (33, 21) if s.body[0] == 4 => s.body[13..].try_into().ok(),
                _ => None,
            })
        };
        Some(Signature {
            typ: body[1],
            pk_algo: body[2],
            hash_algo: body[3],
            hashed,
            values,
            created: find(2).and_then(be32)?,
            expires_after: find(3).and_then(be32),
            key_expires_after: find(9).and_then(be32),
            key_flags: find(27).and_then(|b| b.first().copied()),
            primary_uid: find(25).is_some_and(|b| b.first().is_some_and(|&v| v != 0)),
            issuer: issuer_in(&hashed_subs).or_else(|| issuer_in(&unhashed_subs)),
            revocation_reason: find(29).and_then(|b| b.first().copied()),
            // The back-signature is often in the unhashed area (it is itself signed).
            embedded: find(32)
                .or_else(|| unhashed_subs.iter().find(|s| s.kind == 32).map(|s| s.body)),
        })
    }

    /// When it expires (Unix seconds), if it does.
    pub(super) fn expires_at(&self) -> Option<u64> {
        match self.expires_after {
            None | Some(0) => None,
            Some(e) => Some(u64::from(self.created) + u64::from(e)),
        }
    }

    /// A revocation that counts from the beginning (key compromised, or no reason given), as
    /// opposed to one that retires the key from its own creation time on (superseded, retired).
    pub(super) fn hard_revocation(&self) -> bool {
        !matches!(self.revocation_reason, Some(1 | 3))
    }

    /// The digest algorithm: SHA-256, SHA-384 or SHA-512, nothing else.
    pub(super) fn digest(&self) -> Option<&'static ring::digest::Algorithm> {
        match self.hash_algo {
            8 => Some(&ring::digest::SHA256),
            9 => Some(&ring::digest::SHA384),
            10 => Some(&ring::digest::SHA512),
            _ => None,
        }
    }

    /// The v4 trailer hashed after the signed data: the hashed part, `04 FF`, its length.
    fn trailer(&self) -> Vec<u8> {
        let mut t = Vec::with_capacity(self.hashed.len() + 6);
        t.extend_from_slice(self.hashed);
        t.extend_from_slice(&[4, 0xff]);
        t.extend_from_slice(&(self.hashed.len() as u32).to_be_bytes());
        t
    }

    /// Whether it verifies with `key` over `parts` (the signed bytes, in order) and its trailer.
    pub(super) fn verifies(&self, parts: &[&[u8]], key: &Material) -> bool {
        let Some(digest_alg) = self.digest() else {
            return false;
        };
        let trailer = self.trailer();
        match (key, self.pk_algo) {
            (Material::Rsa { n, e }, 1 | 3) => {
                let Some((s, _)) = mpi(self.values) else {
                    return false;
                };
                if s.len() > n.len() {
                    return false;
                }
                let mut padded = vec![0u8; n.len() - s.len()];
                padded.extend_from_slice(s);
                let params = match self.hash_algo {
                    8 => &signature::RSA_PKCS1_2048_8192_SHA256,
                    9 => &signature::RSA_PKCS1_2048_8192_SHA384,
                    _ => &signature::RSA_PKCS1_2048_8192_SHA512,
                };
                // ring hashes the message itself: one contiguous copy.
                let total = parts.iter().map(|p| p.len()).sum::<usize>() + trailer.len();
                let mut message = Vec::with_capacity(total);
                for p in parts {
                    message.extend_from_slice(p);
                }
                message.extend_from_slice(&trailer);
                signature::RsaPublicKeyComponents { n, e }
                    .verify(params, &message, &padded)
                    .is_ok()
            }
            (Material::Ed25519(pk), 22 | 27) => {
                let Some(sig) = self.ed25519_value() else {
                    return false;
                };
                let mut ctx = ring::digest::Context::new(digest_alg);
                for p in parts {
                    ctx.update(p);
                }
                ctx.update(&trailer);
                signature::UnparsedPublicKey::new(&signature::ED25519, pk)
                    .verify(ctx.finish().as_ref(), &sig)
                    .is_ok()
            }
            _ => false,
        }
    }

    /// The 64-byte Ed25519 signature: R and S as MPIs (EdDSA legacy) or as one value (native).
    fn ed25519_value(&self) -> Option<[u8; 64]> {
        let mut sig = [0u8; 64];
        if self.pk_algo == 22 {
            let (r, rest) = mpi(self.values)?;
            let (s, _) = mpi(rest)?;
            if r.len() > 32 || s.len() > 32 {
                return None;
            }
            sig[32 - r.len()..32].copy_from_slice(r);
            sig[64 - s.len()..].copy_from_slice(s);
        } else {
            sig.copy_from_slice(self.values.get(..64)?);
        }
        Some(sig)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A v4 signature body with these hashed and unhashed subpacket areas.
    fn body(typ: u8, hashed: &[u8], unhashed: &[u8]) -> Vec<u8> {
        let mut b = vec![4, typ, 22, 10];
        b.extend_from_slice(&(hashed.len() as u16).to_be_bytes());
        b.extend_from_slice(hashed);
        b.extend_from_slice(&(unhashed.len() as u16).to_be_bytes());
        b.extend_from_slice(unhashed);
        b.extend_from_slice(&[0, 0]);
        b
    }

    #[test]
    fn subpackets_give_times_flags_and_issuer() {
        let hashed = [
            5, 2, 0, 0, 1, 0, // created 256
            5, 3, 0, 0, 0, 10, // expires 10 s later
            2, 27, 0x02, // may sign
            2, 29, 3, // retired
        ];
        let unhashed = [9, 16, 1, 2, 3, 4, 5, 6, 7, 8];
        let b = body(0x01, &hashed, &unhashed);
        let s = Signature::parse(&b).unwrap();
        assert_eq!(
            (s.created, s.expires_at(), s.key_flags),
            (256, Some(266), Some(2))
        );
        assert_eq!(s.issuer, Some([1, 2, 3, 4, 5, 6, 7, 8]));
        assert!(!s.hard_revocation());
        // No creation time: not used. An unknown critical subpacket: not used.
        assert!(Signature::parse(&body(0, &[2, 27, 2], &[])).is_none());
        assert!(Signature::parse(&body(0, &[5, 2, 0, 0, 1, 0, 2, 0x80 | 100, 0], &[])).is_none());
        // A critical creation time is fine; no reason given is a hard revocation.
        let revocation = body(0x20, &[5, 0x82, 0, 0, 1, 0], &[]);
        let s = Signature::parse(&revocation).unwrap();
        assert!(s.hard_revocation() && s.expires_at().is_none());
    }
}
