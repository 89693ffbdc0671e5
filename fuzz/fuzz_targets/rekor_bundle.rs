//! cosign's Rekor bundle (`dev.sigstore.cosign/bundle`) and the Sigstore bundle cosign 3 keeps as
//! a referrer: the bundle JSON, its canonical SET payload, the log entry's body (base64 JSON of a
//! hashedrekord / rekord / dsse) and the DSSE statement never panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uptick::testing::image::fuzz_bundle(data);
});
