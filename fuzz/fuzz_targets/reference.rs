//! Image references and repositories: parsing never panics; what parses prints back parseable.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptick::testing::registry::{Reference, Repository};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Ok(repo) = Repository::parse(text) {
        let _ = (
            repo.registry(),
            repo.api_host(),
            repo.path(),
            repo.is_loopback(),
        );
        let again = Repository::parse(&repo.to_string()).expect("a parsed repository re-parses");
        assert_eq!(again.to_string(), repo.to_string());
        let _ = repo.on_registry("mirror.example.com:5000");
    }
    let _ = Reference::parse(text);
    let _ = uptick::testing::registry::reference::validate_tag(text);
});
