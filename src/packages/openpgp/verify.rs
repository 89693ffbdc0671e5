//! Data signatures over a Release file: a clear-signed message (`InRelease`) or a detached
//! signature (`Release.gpg`), checked against `signed_by`'s keys within fixed bounds — at most
//! [`MAX_SIGNATURES`] signature packets, each tried only with the keys its issuer names.

use super::cert::{date, Key};
use super::packet::{dearmor, packets};
use super::signature::Signature;

/// Most signature packets read from one signed file (Debian's `bookworm` `InRelease`: 3).
pub(crate) const MAX_SIGNATURES: usize = 16;
/// Largest signed text (an `InRelease` or `Release`) verified (Debian `bookworm`: 151 KB).
pub(crate) const MAX_SIGNED_BYTES: usize = 8 * 1024 * 1024;
/// How far in the future a signature's creation time may be (the worker's clock may lag).
pub(crate) const CLOCK_SKEW_SECONDS: u64 = 300;

/// The text a clear-signed message signs (dash-escaping undone) as lines, and its armored
/// signature part.
fn clear_signed_parts(message: &str) -> Result<(Vec<&str>, &str), String> {
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
    let text = lines.map(|l| l.strip_prefix("- ").unwrap_or(l)).collect();
    Ok((text, signature))
}

/// Verifies a clear-signed message (`InRelease`) against `keys` at `now` (Unix seconds); the
/// signed text on success.
pub fn verify_clear_signed(message: &str, keys: &[Key], now: i64) -> Result<String, String> {
    if message.len() > MAX_SIGNED_BYTES {
        return Err(format!(
            "{} bytes: more than the {MAX_SIGNED_BYTES} verified",
            message.len()
        ));
    }
    let (lines, armored) = clear_signed_parts(message)?;
    let canonical = lines
        .iter()
        .map(|l| l.trim_end_matches([' ', '\t', '\r']))
        .collect::<Vec<_>>()
        .join("\r\n");
    let blocks = dearmor(armored, "SIGNATURE")?;
    check(canonical.as_bytes(), None, &blocks, keys, now)?;
    let mut text = lines.join("\n");
    text.push('\n');
    Ok(text)
}

/// Verifies a detached signature (`Release.gpg`, armored or binary) over `data` at `now`.
pub fn verify_detached(
    data: &[u8],
    signature: &[u8],
    keys: &[Key],
    now: i64,
) -> Result<(), String> {
    if data.len() > MAX_SIGNED_BYTES {
        return Err(format!(
            "{} bytes: more than the {MAX_SIGNED_BYTES} verified",
            data.len()
        ));
    }
    let blocks = match std::str::from_utf8(signature) {
        Ok(text) if text.contains("-----BEGIN PGP SIGNATURE-----") => dearmor(text, "SIGNATURE")?,
        _ => vec![signature.to_vec()],
    };
    // A text-mode signature (0x01) signs the data with CR LF line ends.
    let text_mode = || {
        let mut out = Vec::with_capacity(data.len() + data.len() / 32);
        for (i, line) in data.split(|&b| b == b'\n').enumerate() {
            if i > 0 {
                out.extend_from_slice(b"\r\n");
            }
            out.extend_from_slice(line.strip_suffix(b"\r").unwrap_or(line));
        }
        out
    };
    check(data, Some(&text_mode), &blocks, keys, now)
}

/// Whether any signature packet of `blocks` is a good signature over `data` by one of `keys`,
/// made by a key valid at the signature's time; at most [`MAX_SIGNATURES`] packets are read.
fn check(
    data: &[u8],
    text_mode: Option<&dyn Fn() -> Vec<u8>>,
    blocks: &[Vec<u8>],
    keys: &[Key],
    now: i64,
) -> Result<(), String> {
    let now = u64::try_from(now).unwrap_or(0);
    let mut budget = MAX_SIGNATURES;
    let mut issuers = Vec::new();
    let mut refusals = Vec::new();
    let mut seen = 0;
    let mut canonical: Option<Vec<u8>> = None;
    for block in blocks {
        let all = packets(block, budget).map_err(|e| {
            format!("{e}: a signed file carries at most {MAX_SIGNATURES} signatures")
        })?;
        budget -= all.len();
        for sig in all
            .iter()
            .filter(|p| p.tag == 2)
            .filter_map(|p| Signature::parse(p.body))
        {
            seen += 1;
            let Some(issuer) = sig.issuer else { continue };
            issuers.push(hex::encode_upper(issuer));
            if sig.typ > 1 {
                continue;
            }
            let signed: &[u8] = match (sig.typ, text_mode) {
                (1, Some(f)) => canonical.get_or_insert_with(f),
                _ => data,
            };
            for key in keys.iter().filter(|k| k.id_bytes == issuer) {
                if !sig.verifies(&[signed], &key.material) {
                    continue;
                }
                match valid(&sig, key, now) {
                    Ok(()) => return Ok(()),
                    Err(why) => refusals.push(why),
                }
            }
        }
    }
    if let Some(why) = refusals.into_iter().next() {
        return Err(why);
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

/// Why a good signature by `key` is not trusted at `now`, if it is not.
fn valid(sig: &Signature<'_>, key: &Key, now: u64) -> Result<(), String> {
    let made = date(u64::from(sig.created));
    let by = |why: String| format!("the signature by {} of {made} is good, but {why}", key.id);
    if u64::from(sig.created) > now + CLOCK_SKEW_SECONDS {
        return Err(by("it was made in the future".into()));
    }
    if let Some(end) = sig.expires_at() {
        if now >= end {
            return Err(by(format!("it expired on {}", date(end))));
        }
    }
    key.may_sign_at(sig.created).map_err(by)
}

/// Up to four key IDs, then how many more.
fn few(ids: &[String]) -> String {
    match ids.len() {
        0..=4 => ids.join(", "),
        n => format!("{} and {} more", ids[..4].join(", "), n - 4),
    }
}
