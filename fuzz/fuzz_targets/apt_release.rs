//! apt Release files and Packages indexes: the clear-signed text, the Release fields
//! (`Date`, `Valid-Until`, `Suite`, `Codename`, the `SHA256` list) and the stanza reader never
//! panic on any bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    uptick::testing::packages::apt::fuzz_release(data);
});
