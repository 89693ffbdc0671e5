//! OpenPGP as apt's `signed_by` reads it: armored key blocks (certificates, subkeys,
//! self-signatures), clear-signed and detached signatures, packets and subpackets never panic
//! and stay within their bounds. Input: key text, a NUL byte, then a signed message (or a
//! detached signature over the key text).
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptick::testing::packages::openpgp;

fuzz_target!(|data: &[u8]| {
    let (keys_part, message) = match data.iter().position(|&b| b == 0) {
        Some(i) => (&data[..i], &data[i + 1..]),
        None => (data, &[][..]),
    };
    let now = 1_800_000_000;
    let keys = std::str::from_utf8(keys_part)
        .ok()
        .and_then(|text| openpgp::keys(text).ok())
        .unwrap_or_default();
    for key in &keys {
        assert_eq!(key.id.len(), 16, "a key ID is 64 bits");
    }
    if let Ok(text) = std::str::from_utf8(message) {
        if let Ok(signed) = openpgp::verify_clear_signed(text, &keys, now) {
            assert!(signed.ends_with('\n'));
        }
    }
    let _ = openpgp::verify_detached(keys_part, message, &keys, now);
});
