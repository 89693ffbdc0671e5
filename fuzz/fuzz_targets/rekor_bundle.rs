//! cosign's Rekor bundle (`dev.sigstore.cosign/bundle`): the bundle JSON, its canonical SET
//! payload and the log entry's body (base64 JSON of a hashedrekord / rekord) never panic on any
//! bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uptick::testing::image::fuzz_bundle(data);
});
