//! Certificates (RFC 9580 §10.1) from armored key blocks: each v4 primary key and subkey with
//! the self-signatures that bind it, each checked once, and whether it may make a data
//! signature at a given time — created by then, bound by a self-signature in force then, not
//! expired, not revoked, flagged for signing, and (a subkey) back-signed by itself (0x19).

use super::packet::{dearmor, packets, Packet};
use super::signature::{Material, Signature};
use std::sync::Arc;

/// Largest `signed_by` text read (Debian's whole `debian-archive-keyring.gpg` armored: 75 KB).
pub(crate) const MAX_KEY_TEXT: usize = 1024 * 1024;
/// Most packets in all of `signed_by`'s key blocks (that keyring: 106).
pub(crate) const MAX_KEY_PACKETS: usize = 10_000;
/// Most certificates (primary keys) in `signed_by` (that keyring: 9).
pub(crate) const MAX_CERTS: usize = 64;
/// Most subkeys of one certificate.
pub(crate) const MAX_SUBKEYS: usize = 64;
/// Most user IDs and user attributes of one certificate.
pub(crate) const MAX_USER_IDS: usize = 128;

/// The OID of Ed25519 in EdDSA legacy keys (1.3.6.1.4.1.11591.15.1).
const ED25519_OID: &[u8] = &[0x2B, 0x06, 0x01, 0x04, 0x01, 0xDA, 0x47, 0x0F, 0x01];

/// A self-signature that binds a key (or a user ID to it) from its creation time on.
#[derive(Clone, Debug)]
struct Binding {
    created: u32,
    /// When the self-signature itself expires.
    expires_at: Option<u64>,
    key_expires_after: Option<u32>,
    flags: Option<u8>,
    primary_uid: bool,
    /// A subkey's binding: it carries a valid primary-key binding signature by the subkey.
    back_signed: bool,
}

/// A revocation: hard ones count whatever their time, soft ones (superseded, retired) from
/// their creation time on.
#[derive(Clone, Copy, Debug)]
struct Revocation {
    created: u32,
    hard: bool,
}

/// A user ID's self-certifications and revocations (the newest by then decides).
#[derive(Clone, Debug, Default)]
struct UserId {
    bindings: Vec<Binding>,
    revocations: Vec<u32>,
}

/// What decides whether a primary key is valid at a time.
#[derive(Clone, Debug)]
struct Primary {
    id: String,
    created: u32,
    direct: Vec<Binding>,
    user_ids: Vec<UserId>,
    revocations: Vec<Revocation>,
}

/// What decides whether a subkey is valid at a time (its primary key's validity too).
#[derive(Clone, Debug)]
struct Subkey {
    created: u32,
    bindings: Vec<Binding>,
    revocations: Vec<Revocation>,
}

/// A public key or subkey of `signed_by`.
#[derive(Clone, Debug)]
pub struct Key {
    /// The key ID (low 64 bits of the v4 fingerprint), hex.
    pub id: String,
    pub(super) id_bytes: [u8; 8],
    pub(super) material: Material,
    primary: Arc<Primary>,
    /// `None` for the primary key itself.
    subkey: Option<Subkey>,
}

/// A v4 key packet as read: its creation time, material, key ID and hash prefix.
struct KeyPacket<'a> {
    created: u32,
    material: Option<Material>,
    id: [u8; 8],
    /// `99 <len>` then the body: how a key is hashed into a signature over it.
    header: [u8; 3],
    body: &'a [u8],
}

fn key_packet(body: &[u8]) -> Option<KeyPacket<'_>> {
    if body.first() != Some(&4) {
        return None;
    }
    let created = u32::from_be_bytes(body.get(1..5)?.try_into().ok()?);
    let algo = *body.get(5)?;
    let params = body.get(6..)?;
    let len = u16::try_from(body.len()).ok()?.to_be_bytes();
    let header = [0x99, len[0], len[1]];
    let mut fp = ring::digest::Context::new(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY);
    fp.update(&header);
    fp.update(body);
    let id = fp.finish().as_ref()[12..].try_into().ok()?;
    Some(KeyPacket {
        created,
        material: material(algo, params),
        id,
        header,
        body,
    })
}

/// RSA (1, 3) or Ed25519 (EdDSA legacy 22 with its OID, or native 27) public parameters.
fn material(algo: u8, params: &[u8]) -> Option<Material> {
    use super::packet::mpi;
    match algo {
        1 | 3 => {
            let (n, rest) = mpi(params)?;
            let (e, _) = mpi(rest)?;
            Some(Material::Rsa {
                n: n.to_vec(),
                e: e.to_vec(),
            })
        }
        22 => {
            let oid_len = usize::from(*params.first()?);
            if params.get(1..1 + oid_len)? != ED25519_OID {
                return None;
            }
            let (point, _) = mpi(params.get(1 + oid_len..)?)?;
            let point = point.strip_prefix(&[0x40])?;
            Some(Material::Ed25519(point.try_into().ok()?))
        }
        27 => Some(Material::Ed25519(params.get(..32)?.try_into().ok()?)),
        _ => None,
    }
}

/// The usable keys and subkeys of armored public key blocks, at most [`MAX_KEY_TEXT`] bytes.
pub fn keys(armored: &str) -> Result<Vec<Key>, String> {
    if armored.len() > MAX_KEY_TEXT {
        return Err(format!(
            "{} bytes: more than the {MAX_KEY_TEXT} read",
            armored.len()
        ));
    }
    let mut out = Vec::new();
    let mut budget = MAX_KEY_PACKETS;
    let mut certs = 0;
    for block in dearmor(armored, "PUBLIC KEY BLOCK")? {
        let all = packets(&block, budget).map_err(|e| format!("{e} in its key blocks"))?;
        budget -= all.len();
        for cert in certificates(&all) {
            certs += 1;
            if certs > MAX_CERTS {
                return Err(format!("more than {MAX_CERTS} keys"));
            }
            out.extend(certificate(cert)?);
        }
    }
    if out.is_empty() {
        return Err(
            "no v4 RSA or Ed25519 public key in it (an armored PGP PUBLIC KEY BLOCK)".into(),
        );
    }
    Ok(out)
}

/// The certificates of a key block: each run of packets from a primary key packet up to the
/// next one (packets before the first belong to none).
fn certificates<'a, 'b>(all: &'b [Packet<'a>]) -> Vec<&'b [Packet<'a>]> {
    let starts: Vec<usize> = (0..all.len()).filter(|&i| all[i].tag == 6).collect();
    starts
        .iter()
        .enumerate()
        .map(|(n, &s)| &all[s..starts.get(n + 1).copied().unwrap_or(all.len())])
        .collect()
}

/// Which part of a certificate the signatures that follow belong to.
#[derive(Clone, Copy)]
enum Component<'a> {
    Primary,
    UserId(usize, [u8; 5], &'a [u8]),
    Subkey(usize),
    /// Something not read (an unsupported subkey): its signatures are skipped.
    Skipped,
}

/// The keys of one certificate (packets from a primary key up to the next one): the primary
/// and each supported subkey, with their self-signatures checked.
fn certificate(packets: &[Packet<'_>]) -> Result<Vec<Key>, String> {
    let Some((first, rest)) = packets.split_first() else {
        return Ok(Vec::new());
    };
    let Some(mut reading) = Reading::start(first) else {
        return Ok(Vec::new());
    };
    for p in rest {
        match p.tag {
            13 | 17 => reading.user_id(p)?,
            14 => reading.subkey(p.body)?,
            2 => reading.signature(p.body),
            _ => {}
        }
    }
    Ok(reading.keys())
}

/// A certificate as its packets are read: the primary key, the subkeys met so far, and the
/// component the next signatures belong to.
struct Reading<'a> {
    pk: KeyPacket<'a>,
    pmat: Material,
    primary: Primary,
    subkeys: Vec<(KeyPacket<'a>, Material, Subkey)>,
    component: Component<'a>,
}

impl<'a> Reading<'a> {
    /// From a primary key packet of a supported algorithm (`None` for anything else: an
    /// unsupported primary's bindings cannot be checked).
    fn start(first: &Packet<'a>) -> Option<Reading<'a>> {
        if first.tag != 6 {
            return None;
        }
        let pk = key_packet(first.body)?;
        let pmat = pk.material.clone()?;
        let primary = Primary {
            id: hex::encode_upper(pk.id),
            created: pk.created,
            direct: Vec::new(),
            user_ids: Vec::new(),
            revocations: Vec::new(),
        };
        Some(Reading {
            pk,
            pmat,
            primary,
            subkeys: Vec::new(),
            component: Component::Primary,
        })
    }

    /// A user ID (13) or user attribute (17) packet: the signatures that follow certify it.
    fn user_id(&mut self, p: &Packet<'a>) -> Result<(), String> {
        if self.primary.user_ids.len() == MAX_USER_IDS {
            return Err(format!(
                "key {} has more than {MAX_USER_IDS} user IDs",
                self.primary.id
            ));
        }
        let Ok(len) = u32::try_from(p.body.len()) else {
            self.component = Component::Skipped;
            return Ok(());
        };
        let mut header = [if p.tag == 13 { 0xB4 } else { 0xD1 }, 0, 0, 0, 0];
        header[1..].copy_from_slice(&len.to_be_bytes());
        self.primary.user_ids.push(UserId::default());
        self.component = Component::UserId(self.primary.user_ids.len() - 1, header, p.body);
        Ok(())
    }

    /// A public subkey packet: the signatures that follow bind it (skipped when it is not read).
    fn subkey(&mut self, body: &'a [u8]) -> Result<(), String> {
        if self.subkeys.len() == MAX_SUBKEYS {
            return Err(format!(
                "key {} has more than {MAX_SUBKEYS} subkeys",
                self.primary.id
            ));
        }
        self.component = match key_packet(body) {
            Some(sk) => match sk.material.clone() {
                Some(m) => {
                    let created = sk.created;
                    self.subkeys.push((
                        sk,
                        m,
                        Subkey {
                            created,
                            bindings: Vec::new(),
                            revocations: Vec::new(),
                        },
                    ));
                    Component::Subkey(self.subkeys.len() - 1)
                }
                None => Component::Skipped,
            },
            None => Component::Skipped,
        };
        Ok(())
    }

    /// A signature packet: kept when it is a self-signature over the current component that
    /// verifies (certifications by other keys are not read, nor checked).
    fn signature(&mut self, body: &[u8]) {
        let Some(sig) = Signature::parse(body) else {
            return;
        };
        if sig.issuer.is_some_and(|i| i != self.pk.id) {
            return;
        }
        match self.component {
            Component::Primary => self.primary_signature(&sig),
            Component::UserId(i, header, body) => self.user_id_signature(i, &header, body, &sig),
            Component::Subkey(i) => self.subkey_signature(i, &sig),
            Component::Skipped => {}
        }
    }

    /// A direct-key signature (0x1F) or key revocation (0x20) over the primary key.
    fn primary_signature(&mut self, sig: &Signature<'_>) {
        let key: [&[u8]; 2] = [&self.pk.header, self.pk.body];
        match sig.typ {
            0x1F if sig.verifies(&key, &self.pmat) => self.primary.direct.push(binding(sig)),
            0x20 if sig.verifies(&key, &self.pmat) => {
                self.primary.revocations.push(revocation(sig));
            }
            _ => {}
        }
    }

    /// A certification (0x10–0x13) or certification revocation (0x30) of user ID `i`.
    fn user_id_signature(&mut self, i: usize, header: &[u8], body: &[u8], sig: &Signature<'_>) {
        let parts = [&self.pk.header[..], self.pk.body, header, body];
        match sig.typ {
            0x10..=0x13 if sig.verifies(&parts, &self.pmat) => {
                self.primary.user_ids[i].bindings.push(binding(sig));
            }
            0x30 if sig.verifies(&parts, &self.pmat) => {
                self.primary.user_ids[i].revocations.push(sig.created);
            }
            _ => {}
        }
    }

    /// A subkey binding (0x18, with the subkey's back-signature 0x19 embedded) or subkey
    /// revocation (0x28) of subkey `i`.
    fn subkey_signature(&mut self, i: usize, sig: &Signature<'_>) {
        let (sk, smat, state) = &mut self.subkeys[i];
        let parts = [&self.pk.header[..], self.pk.body, &sk.header[..], sk.body];
        match sig.typ {
            0x18 if sig.verifies(&parts, &self.pmat) => {
                let mut b = binding(sig);
                b.back_signed = sig
                    .embedded
                    .and_then(Signature::parse)
                    .is_some_and(|back| back.typ == 0x19 && back.verifies(&parts, smat));
                state.bindings.push(b);
            }
            0x28 if sig.verifies(&parts, &self.pmat) => {
                state.revocations.push(revocation(sig));
            }
            _ => {}
        }
    }

    /// The primary key, then each supported subkey, sharing what decides the primary's validity.
    fn keys(self) -> Vec<Key> {
        let primary = Arc::new(self.primary);
        let mut out = vec![Key {
            id: primary.id.clone(),
            id_bytes: self.pk.id,
            material: self.pmat,
            primary: primary.clone(),
            subkey: None,
        }];
        for (sk, m, state) in self.subkeys {
            out.push(Key {
                id: hex::encode_upper(sk.id),
                id_bytes: sk.id,
                material: m,
                primary: primary.clone(),
                subkey: Some(state),
            });
        }
        out
    }
}

fn binding(sig: &Signature<'_>) -> Binding {
    Binding {
        created: sig.created,
        expires_at: sig.expires_at(),
        key_expires_after: sig.key_expires_after,
        flags: sig.key_flags,
        primary_uid: sig.primary_uid,
        back_signed: false,
    }
}

fn revocation(sig: &Signature<'_>) -> Revocation {
    Revocation {
        created: sig.created,
        hard: sig.hard_revocation(),
    }
}

/// A Unix time as `2024-01-02T03:04:05Z`.
pub(super) fn date(t: u64) -> String {
    i64::try_from(t)
        .ok()
        .and_then(|t| chrono::DateTime::from_timestamp(t, 0))
        .map_or_else(
            || t.to_string(),
            |d| d.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
        )
}

/// The newest of `bindings` made by `t`, when it is still in force at `t` (the newest
/// self-signature decides: an expired one is not replaced by an older one).
fn newest_at(bindings: &[Binding], t: u32) -> Option<&Binding> {
    bindings
        .iter()
        .filter(|b| b.created <= t)
        .max_by_key(|b| b.created)
        .filter(|b| b.expires_at.is_none_or(|e| u64::from(t) < e))
}

/// Why a key created at `created`, its expiry `after` seconds later, is expired at `t`.
fn expired(what: &str, id: &str, created: u32, after: Option<u32>, t: u32) -> Result<(), String> {
    match after {
        Some(after) if after != 0 => {
            let end = u64::from(created) + u64::from(after);
            if u64::from(t) >= end {
                return Err(format!("{what} {id} expired on {}", date(end)));
            }
            Ok(())
        }
        _ => Ok(()),
    }
}

fn revoked(what: &str, id: &str, revocations: &[Revocation], t: u32) -> Result<(), String> {
    for r in revocations {
        if r.hard {
            return Err(format!("{what} {id} is revoked"));
        }
        if r.created <= t {
            return Err(format!(
                "{what} {id} was retired on {}",
                date(u64::from(r.created))
            ));
        }
    }
    Ok(())
}

impl Primary {
    /// Whether the primary key is valid at `t` (and, when it is the signer, may sign).
    fn valid_at(&self, t: u32, signer: bool) -> Result<(), String> {
        let id = &self.id;
        if self.created > t {
            return Err(format!("key {id} was created after the signature"));
        }
        revoked("key", id, &self.revocations, t)?;
        let direct = newest_at(&self.direct, t);
        let user_ids: Vec<&Binding> = self
            .user_ids
            .iter()
            .filter_map(|u| {
                let b = newest_at(&u.bindings, t)?;
                let revoked_after = u.revocations.iter().any(|&r| r <= t && r >= b.created);
                (!revoked_after).then_some(b)
            })
            .collect();
        let user_id = user_ids
            .iter()
            .filter(|b| b.primary_uid)
            .max_by_key(|b| b.created)
            .or_else(|| user_ids.iter().max_by_key(|b| b.created))
            .copied();
        if direct.is_none() && user_id.is_none() {
            return Err(format!(
                "key {id} has no self-signature (SHA-256 or stronger) in force at {}",
                date(u64::from(t))
            ));
        }
        let after = direct
            .and_then(|d| d.key_expires_after)
            .or_else(|| user_id.and_then(|u| u.key_expires_after));
        expired("key", id, self.created, after, t)?;
        let flags = user_id
            .and_then(|u| u.flags)
            .or_else(|| direct.and_then(|d| d.flags));
        if signer && flags.is_some_and(|f| f & 0x02 == 0) {
            return Err(format!("key {id} is not flagged for signing"));
        }
        Ok(())
    }
}

impl Key {
    /// Whether this key may have made a data signature at `t` (RFC 9580 §5.2.3.3, §10.1; the
    /// checks `gpgv` and `sqv` make, at the signature's time as `sqv` does).
    pub(super) fn may_sign_at(&self, t: u32) -> Result<(), String> {
        let Some(sub) = &self.subkey else {
            return self.primary.valid_at(t, true);
        };
        self.primary.valid_at(t, false)?;
        let id = &self.id;
        if sub.created > t {
            return Err(format!("subkey {id} was created after the signature"));
        }
        revoked("subkey", id, &sub.revocations, t)?;
        let Some(b) = newest_at(&sub.bindings, t) else {
            return Err(format!(
                "subkey {id} has no binding signature (SHA-256 or stronger) in force at {}",
                date(u64::from(t))
            ));
        };
        expired("subkey", id, sub.created, b.key_expires_after, t)?;
        if b.flags.is_none_or(|f| f & 0x02 == 0) {
            return Err(format!("subkey {id} is not flagged for signing"));
        }
        if !b.back_signed {
            return Err(format!(
                "subkey {id} has no valid primary-key binding signature (it never signed for its primary key)"
            ));
        }
        Ok(())
    }
}
