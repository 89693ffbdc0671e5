//! Versions and constraints (Masterminds semver, node-semver ranges, PEP 440 specifiers, dpkg
//! versions and relations, apk versions and comparisons, Go module versions and paths, Maven
//! versions and ranges, natural tag order, package tag versions; OpenPGP keys and signatures as
//! apt's `signed_by` reads them): parsing and comparing never panic, orders are consistent.
#![no_main]

use libfuzzer_sys::fuzz_target;
use uptick::testing::versions::semver::{Constraints, Version};
use uptick::testing::versions::{apk, dpkg, go, maven, npm, pep440};

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
    let (na, nb) = (npm::Version::parse(a), npm::Version::parse(b));
    if let (Ok(x), Ok(y)) = (&na, &nb) {
        assert_eq!(x.cmp(y), y.cmp(x).reverse());
    }
    for include_prerelease in [false, true] {
        if let (Ok(r), Ok(y)) = (npm::Range::parse(a, include_prerelease), &nb) {
            let _ = (r.satisfies(y), r.to_string());
        }
    }
    if let Ok(s) = pep440::Specifiers::parse(a) {
        let parsed = b.parse::<pep440::Version>().ok();
        let _ = (s.contains(b, parsed.as_ref()), s.names_prerelease(), s.admits_arbitrary(b));
    }
    assert_eq!(
        uptick::testing::versions::natural_cmp(a, b),
        uptick::testing::versions::natural_cmp(b, a).reverse()
    );
    let _ = uptick::testing::packages::tag_version(a, None);
    let (da, db) = (dpkg::Version::parse(a), dpkg::Version::parse(b));
    if let (Ok(x), Ok(y)) = (&da, &db) {
        assert_eq!(x.cmp(y), y.cmp(x).reverse());
        assert_eq!(dpkg::Version::parse(&x.to_string()).ok().as_ref(), Some(x));
    }
    if let (Ok(r), Ok(y)) = (dpkg::Relations::parse(a), &db) {
        let _ = r.admits(y);
    }
    let (aa, ab) = (apk::Version::parse(a), apk::Version::parse(b));
    if let (Ok(x), Ok(y)) = (&aa, &ab) {
        assert_eq!(x.cmp(y), y.cmp(x).reverse());
        let _ = x.is_prerelease();
    }
    if let (Ok(c), Ok(y)) = (apk::Constraint::parse(a), &ab) {
        let _ = c.admits(y);
    }
    let (ma, mb) = (maven::Version::parse(a), maven::Version::parse(b));
    if let (Ok(x), Ok(y)) = (&ma, &mb) {
        assert_eq!(x.cmp(y), y.cmp(x).reverse());
        let _ = x.is_prerelease();
    }
    if let (Ok(r), Ok(y)) = (maven::Range::parse(a), &mb) {
        let _ = r.admits(y);
    }
    assert_eq!(go::compare(a, b), go::compare(b, a).reverse());
    let _ = (go::canonical_version(a), go::is_pseudo(a), go::release_version(a));
    if uptick::testing::packages::go::check_path(a).is_ok() {
        let _ = uptick::testing::packages::go::split_path_version(a);
    }
    let _ = uptick::testing::packages::go::escape_version(a);
    let now = 1_800_000_000;
    let _ = uptick::testing::packages::openpgp::verify_detached(a.as_bytes(), data, &[], now);
    let _ = uptick::testing::packages::openpgp::verify_clear_signed(text, &[], now);
    if let Ok(keys) = uptick::testing::packages::openpgp::keys(a) {
        let _ = uptick::testing::packages::openpgp::verify_clear_signed(b, &keys, now);
        let _ = uptick::testing::packages::openpgp::verify_detached(a.as_bytes(), b.as_bytes(), &keys, now);
    }
});
