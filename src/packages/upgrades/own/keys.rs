//! The keys an apt source of the image is verified with, from the image's keyring files: its
//! `Signed-By` keyrings (binary or armored, narrowed by fingerprints) or key block, else apt's
//! default trust (`/etc/apt/trusted.gpg`, `/etc/apt/trusted.gpg.d/*.gpg|*.asc`).

use super::apt::SignedBy;
use super::{Files, Notes, MAX_KEYRING_FILES};
use crate::packages::openpgp;
use std::collections::{BTreeMap, BTreeSet};

/// apt's default keyring, binary.
pub(super) const TRUSTED: &str = "/etc/apt/trusted.gpg";
/// apt's default keyring directory (`*.gpg` binary, `*.asc` armored).
pub(super) const TRUSTED_DIR: &str = "/etc/apt/trusted.gpg.d/";

/// A source's keys: armored text for `signed_by`, and where they came from (for the notes).
#[derive(Clone, Debug)]
pub(super) struct Keys {
    pub armored: String,
    pub from: String,
}

/// The keys of each distinct `Signed-By`, resolved once.
pub(super) struct AptKeys<'a> {
    files: &'a Files<'a>,
    resolved: BTreeMap<SignedBy, Result<Keys, String>>,
    read: BTreeSet<String>,
}

impl<'a> AptKeys<'a> {
    pub(super) fn new(files: &'a Files<'a>) -> AptKeys<'a> {
        AptKeys {
            files,
            resolved: BTreeMap::new(),
            read: BTreeSet::new(),
        }
    }

    /// The keys `signed_by` names, or why there are none that can be used.
    pub(super) fn keys(&mut self, signed_by: &SignedBy, notes: &mut Notes) -> Result<Keys, String> {
        if let Some(done) = self.resolved.get(signed_by) {
            return done.clone();
        }
        let keys = match signed_by {
            SignedBy::Inline(text) => keyring(text.as_bytes(), &[])
                .and_then(|k| k.ok_or_else(|| "no key in it".to_string()))
                .map(|armored| Keys {
                    armored,
                    from: "the key block in its Signed-By".into(),
                })
                .map_err(|e| format!("its Signed-By key block: {e}")),
            SignedBy::Keyrings {
                paths,
                fingerprints,
            } if paths.is_empty() => self.default_trust(fingerprints, notes),
            SignedBy::Keyrings {
                paths,
                fingerprints,
            } => self.named(paths, fingerprints),
        }
        .and_then(bounded);
        self.resolved.insert(signed_by.clone(), keys.clone());
        keys
    }

    /// The keys of the `Signed-By` keyring files: each must be in the image and readable.
    fn named(&mut self, paths: &[String], fingerprints: &[String]) -> Result<Keys, String> {
        let mut blocks = Vec::new();
        for path in paths {
            self.count(path)?;
            let Some(data) = self.files.get(path) else {
                return Err(missing(path));
            };
            let block = keyring(data, fingerprints).map_err(|e| format!("keyring {path}: {e}"))?;
            blocks.extend(block);
        }
        joined(blocks, paths.join(", "), fingerprints)
    }

    /// apt's default trust: every keyring in `trusted.gpg` and `trusted.gpg.d/` that can be
    /// read (one that cannot is noted and left out, as apt warns and goes on).
    fn default_trust(
        &mut self,
        fingerprints: &[String],
        notes: &mut Notes,
    ) -> Result<Keys, String> {
        let files = self.files;
        let in_dir = files.under(TRUSTED_DIR).filter(|(path, _)| {
            let name = &path[TRUSTED_DIR.len()..];
            !name.contains('/') && (name.ends_with(".gpg") || name.ends_with(".asc"))
        });
        let candidates = files
            .get(TRUSTED)
            .map(|d| (TRUSTED, d))
            .into_iter()
            .chain(in_dir);
        let mut blocks = Vec::new();
        let mut names = Vec::new();
        for (path, data) in candidates {
            self.count(path)?;
            match keyring(data, fingerprints) {
                Ok(Some(block)) => {
                    blocks.push(block);
                    names.push(path);
                }
                Ok(None) => {}
                Err(e) => notes.push(format!("ignored keyring {path}: {e}")),
            }
        }
        if blocks.is_empty() && fingerprints.is_empty() {
            return Err(format!(
                "no Signed-By, and no usable keyring in {TRUSTED} or {TRUSTED_DIR}"
            ));
        }
        joined(blocks, names.join(", "), fingerprints)
    }

    /// Counts a keyring file read, within [`MAX_KEYRING_FILES`].
    fn count(&mut self, path: &str) -> Result<(), String> {
        self.read.insert(path.to_string());
        if self.read.len() > MAX_KEYRING_FILES {
            return Err(format!("more than {MAX_KEYRING_FILES} keyring files"));
        }
        Ok(())
    }
}

/// A keyring's armored certificates (those `fingerprints` name, if any), checked to give
/// usable keys; `None` when no certificate is selected.
fn keyring(data: &[u8], fingerprints: &[String]) -> Result<Option<String>, String> {
    let Some(armored) = openpgp::armored_keyring(data, fingerprints)? else {
        return Ok(None);
    };
    openpgp::keys(&armored)?;
    Ok(Some(armored))
}

/// The armored blocks as one `signed_by` text, or an error when there is none.
fn joined(blocks: Vec<String>, from: String, fingerprints: &[String]) -> Result<Keys, String> {
    if blocks.is_empty() {
        return Err(format!(
            "no key with fingerprint {} in {}",
            fingerprints.join(", "),
            if from.is_empty() {
                "apt's default keyrings"
            } else {
                &from
            }
        ));
    }
    let from = match fingerprints {
        [] => from,
        _ => format!("{from} (keys {})", fingerprints.join(", ")),
    };
    Ok(Keys {
        armored: blocks.concat(),
        from,
    })
}

/// `keys` if all of them together are within `signed_by`'s bounds.
fn bounded(keys: Keys) -> Result<Keys, String> {
    openpgp::keys(&keys.armored).map_err(|e| format!("{}: {e}", keys.from))?;
    Ok(keys)
}

/// Why a keyring path has no contents: not in the image, or not where the image's files are
/// gathered from.
fn missing(path: &str) -> String {
    if super::wanted(path) {
        format!("its keyring {path} is not in the image")
    } else {
        format!(
            "its keyring {path} is outside the places uptick reads keyrings from ({})",
            super::WANTED.join(", ")
        )
    }
}
