//! Just enough OpenPGP (RFC 9580) to check an apt Release file's signature against keys the
//! pipeline gives (`signed_by`), as `gpgv`/`sqv` do for apt: v4 RSA (2048–8192 bits) and
//! Ed25519 keys, signatures over SHA-256/384/512, clear-signed (`InRelease`) or detached
//! (`Release.gpg`), verified with `ring`; a key or subkey counts only while valid at the
//! signature's time (bound by a self-signature, not expired, not revoked, flagged for signing,
//! a subkey back-signed). Every input is read within a stated bound (see each file's consts).
//!
//! - `packet`: the wire format (packets, MPIs, subpackets, armor);
//! - `signature`: one signature packet and its cryptographic check;
//! - `cert`: key blocks into keys with what decides their validity;
//! - `verify`: data signatures over a Release file;
//! - `keyring`: keyring files (binary or armored) into the armored text `keys` reads.

mod cert;
mod keyring;
mod packet;
mod signature;
mod verify;

pub use cert::{keys, Key};
pub(crate) use keyring::armored_keyring;
pub use verify::{verify_clear_signed, verify_detached};
pub(crate) use verify::{CLOCK_SKEW_SECONDS, MAX_SIGNED_BYTES};
