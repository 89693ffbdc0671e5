//! `WWW-Authenticate` challenges as registries send them: parsing never panics.
#![no_main]

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    if let Ok(text) = std::str::from_utf8(data) {
        let _ = uptick::testing::registry::auth::parse_challenge(text);
        let _ = uptick::testing::net::next_link(text);
    }
});
