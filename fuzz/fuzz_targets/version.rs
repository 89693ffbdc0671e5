//! Versions and constraints (Masterminds semver, natural tag order, package tag versions):
//! parsing and comparing never panic, and the orders are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptick::versions::semver::{Constraints, Version};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let (a, b) = text.split_once('\n').unwrap_or((text, "1.0.0"));
    let va = Version::parse(a);
    let vb = Version::parse(b);
    if let (Ok(x), Ok(y)) = (&va, &vb) {
        assert_eq!(x.cmp(y), y.cmp(x).reverse());
        let _ = (x.prerelease(), x.original(), x.triple());
    }
    if let Ok(c) = Constraints::parse(a) {
        if let Ok(y) = &vb {
            let _ = c.check(y);
        }
    }
    assert_eq!(
        uptick::versions::natural_cmp(a, b),
        uptick::versions::natural_cmp(b, a).reverse()
    );
    let _ = uptick::packages::tag_version(a, None);
});
