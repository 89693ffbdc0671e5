//! Conformance tables: npm ranges against node-semver, PyPI specifiers against PEP 440, Debian versions
//! and relations against dpkg, Alpine versions and comparisons against apk-tools.
//!
//! Every row is (constraint, version, `pre_releases`, expected) and was written from the
//! node-semver README ("Ranges", "Prerelease Tags", "Advanced Range Syntax", the `includePrerelease`
//! option) and the PEP 440 text ("Version specifiers" and its subsections), then checked against
//! node-semver 7.8.5 and `packaging` 26.4 themselves.

use super::Ecosystem as E;
use super::{apk, dpkg, npm, pep440};
use pep440_rs::Version;
use std::str::FromStr;

const T: bool = true;
const F: bool = false;

/// (range, version, `pre_releases` = node-semver's `includePrerelease`, satisfies).
#[rustfmt::skip]
const NPM: &[(&str, &str, bool, bool)] = &[
    // Primitive comparators: `<`, `<=`, `>`, `>=`, `=` (and none: `=`).
    (">=1.2.7", "1.2.7", F, T),
    (">=1.2.7", "1.2.8", F, T),
    (">=1.2.7", "2.5.3", F, T),
    (">=1.2.7", "1.3.9", F, T),
    (">=1.2.7", "1.2.6", F, F),
    (">=1.2.7", "1.1.0", F, F),
    (">=1.2.7 <1.3.0", "1.2.7", F, T),
    (">=1.2.7 <1.3.0", "1.2.99", F, T),
    (">=1.2.7 <1.3.0", "1.2.6", F, F),
    (">=1.2.7 <1.3.0", "1.3.0", F, F),
    (">=1.2.7 <1.3.0", "1.1.0", F, F),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.2.7", F, T),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.2.9", F, T),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.4.6", F, T),
    ("1.2.7 || >=1.2.9 <2.0.0", "1.2.8", F, F),
    ("1.2.7 || >=1.2.9 <2.0.0", "2.0.0", F, F),
    ("=1.2.3", "1.2.3", F, T),
    ("1.2.3", "1.2.3+build.7", F, T),
    ("v1.2.3", "1.2.3", F, T),
    ("= 1.2.3", "1.2.3", F, T),
    ("> 1.2.3", "1.2.4", F, T),
    (">1.2.3", "1.2.3", F, F),
    ("<1.2.3", "1.2.2", F, T),
    ("<=1.2.3", "1.2.3", F, T),
    ("<1.2.3", "1.2.3", F, F),
    ("1.2.3 - 1.2.3 ", "1.2.3", F, T),
    // Prerelease tags, default: only a comparator naming a pre-release of the same
    // [major, minor, patch] lets a pre-release in.
    (">1.2.3-alpha.3", "1.2.3-alpha.7", F, T),
    (">1.2.3-alpha.3", "3.4.5-alpha.9", F, F),
    (">1.2.3-alpha.3", "3.4.5", F, T),
    (">1.2.3-alpha.3", "1.2.3-alpha.3", F, F),
    (">=1.2.3-alpha.3 <1.2.3", "1.2.3-beta", F, T),
    ("^1.2.3-beta.2", "1.2.3-beta.4", F, T),
    ("^1.2.3-beta.2", "1.2.4-beta.2", F, F),
    ("^1.2.3-beta.2", "1.2.3-beta.1", F, F),
    ("^1.2.3-beta.2", "1.9.0", F, T),
    ("~1.2.3-beta.2", "1.2.3-beta.4", F, T),
    ("~1.2.3-beta.2", "1.2.4-beta.2", F, F),
    ("~1.2.3-beta.2", "1.2.9", F, T),
    ("^0.0.3-beta", "0.0.3-pr.2", F, T),
    ("^0.0.3-beta", "0.0.4-0", F, F),
    (">=3.0.0-beta.0", "3.0.0-beta.2", F, T),
    (">=3.0.0-beta.0", "3.1.0-beta.2", F, F),
    ("1.2.3-rc.1 - 1.2.3-rc.5", "1.2.3-rc.3", F, T),
    ("1.2.3-rc.1 - 1.2.3-rc.5", "1.2.3-rc.6", F, F),
    ("2.x", "2.1.0-pre.0", F, F),
    ("~1.1", "1.1.1-a", F, F),
    ("^1.0.0", "1.1.0-rc1", F, F),
    ("*", "1.0.0-rc1", F, F),
    ("1 - 2", "1.0.0-pre", F, F),
    (">=1.0.0 <=1.1.0", "1.1.0-pre", F, F),
    ("=0.7.x", "0.7.0-asdf", F, F),
    (">=0.7.x", "0.7.0-asdf", F, F),
    ("<=0.7.x", "0.7.0-asdf", F, F),
    ("<1.2.3", "1.2.3-beta", F, F),
    ("<=1.2.3", "1.2.3-beta", F, F),
    // `includePrerelease` (`pre_releases: true`): a pre-release satisfies a range when its
    // version would, whatever its [major, minor, patch].
    ("2.x", "2.1.0-pre.0", T, T),
    ("2.x", "2.0.0-0", T, T),
    ("2.x", "3.0.0-0", T, F),
    ("~1.1", "1.1.1-a", T, T),
    ("~1.1", "1.1.0-0", T, T),
    ("~1.1", "1.2.0-a", T, F),
    ("^1.0.0", "1.1.0-rc1", T, T),
    ("^1.0.0", "2.0.0-rc1", T, F),
    ("^1.0.0", "1.0.0-rc1", T, F),
    ("^1.2.3", "1.2.4-pre", T, T),
    ("*", "1.0.0-rc1", T, T),
    ("*", "0.0.0-0", T, T),
    ("", "1.0.0-rc1", T, T),
    ("1 - 2", "1.0.0-pre", T, T),
    ("1 - 2", "2.9.9-pre", T, T),
    ("1 - 2", "3.0.0-pre", T, F),
    ("1.0.0 - 2.0.0", "2.0.0-rc.1", T, T),
    ("1.0.0 - 2.0.0", "2.0.1-0", T, F),
    (">=1.0.0 <=1.1.0", "1.1.0-pre", T, T),
    (">=1.0.0 <=1.1.0", "1.0.0-pre", T, F),
    ("=0.7.x", "0.7.0-asdf", T, T),
    (">=0.7.x", "0.7.0-asdf", T, T),
    ("<=0.7.x", "0.7.0-asdf", T, T),
    ("<=0.7.x", "0.8.0-0", T, F),
    ("1.x", "1.5.0-beta", T, T),
    ("~1.2.3", "1.2.5-pre", T, T),
    (">1.2", "1.3.0-0", T, T),
    ("<2", "2.0.0-0", T, F),
    ("<2", "1.9.9-beta", T, T),
    (">=1.2.3-alpha.3", "3.4.5-alpha.9", T, T),
    ("^1.2.3-beta.2", "1.2.4-beta.2", T, T),
    // Hyphen ranges `X.Y.Z - A.B.C`: inclusive; a partial first version is zero-filled, a
    // partial second version takes every version starting with it.
    ("1.2.3 - 2.3.4", "1.2.3", F, T),
    ("1.2.3 - 2.3.4", "2.3.4", F, T),
    ("1.2.3 - 2.3.4", "2.3.5", F, F),
    ("1.2.3 - 2.3.4", "1.2.2", F, F),
    ("1.2 - 2.3.4", "1.2.0", F, T),
    ("1.2 - 2.3.4", "1.1.9", F, F),
    ("1.2.3 - 2.3", "2.3.99", F, T),
    ("1.2.3 - 2.3", "2.4.0", F, F),
    ("1.2.3 - 2", "2.99.99", F, T),
    ("1.2.3 - 2", "3.0.0", F, F),
    ("1.2.3+asdf - 2.4.3+asdf", "2.4.3", F, T),
    // X-ranges `1.2.x`, `1.X`, `1.2.*`, `*`, partial versions.
    ("*", "1.2.3", F, T),
    ("*", "0.0.0", F, T),
    ("x", "5.0.0", F, T),
    ("X", "5.0.0", F, T),
    ("x.x.x", "0.1.2", F, T),
    ("", "1.0.0", F, T),
    ("1.x", "1.0.0", F, T),
    ("1.x", "1.99.0", F, T),
    ("1.x", "2.0.0", F, F),
    ("1.x", "0.9.9", F, F),
    ("1.2.x", "1.2.0", F, T),
    ("1.2.x", "1.2.9", F, T),
    ("1.2.x", "1.3.0", F, F),
    ("1.2.*", "1.2.3", F, T),
    ("1.X", "1.4.0", F, T),
    ("1", "1.9.9", F, T),
    ("1", "2.0.0", F, F),
    ("1.2", "1.2.5", F, T),
    ("1.2", "1.3.0", F, F),
    (">1", "2.0.0", F, T),
    (">1", "1.9.9", F, F),
    (">1.2", "1.3.0", F, T),
    (">1.2", "1.2.9", F, F),
    ("<1.2", "1.1.9", F, T),
    ("<1.2", "1.2.0", F, F),
    ("<=7.x", "7.9.9", F, T),
    ("<=7.x", "8.0.0", F, F),
    ("<=0.7.x", "0.7.2", F, T),
    ("<=0.7.x", "0.8.0", F, F),
    (">=0.7.x", "0.7.0", F, T),
    (">=0.7.x", "0.6.9", F, F),
    ("=0.7.x", "0.7.9", F, T),
    // X-ranges everywhere node-semver takes them: carets, tildes, hyphen ends, comparators.
    ("^x", "1.2.3", F, T),
    ("^x", "0.0.1", F, T),
    ("~x", "3.0.0", F, T),
    ("1.0.0 - x", "3.0.0", F, T),
    ("1.0.0 - x", "0.9.0", F, F),
    ("1.x - x", "9.9.9", F, T),
    ("1.x - x", "0.1.0", F, F),
    ("x - 1.x", "1.9.9", F, T),
    ("x - 1.x", "2.0.0", F, F),
    (">=*", "0.0.1", F, T),
    ("<x", "0.0.0", F, F),
    (">x", "9.9.9", F, F),
    // Empty alternatives mean "any": `||`, `1.x ||`, `|| 2`.
    ("||", "1.3.4", F, T),
    ("||", "0.0.0", F, T),
    ("||", "1.3.4-beta", F, F),
    ("||", "1.3.4-beta", T, T),
    ("1.x ||", "9.0.0", F, T),
    ("|| 2", "3.0.0", F, T),
    ("1.2.3 ||", "0.1.0", F, T),
    // Tilde ranges `~1.2.3`, `~1.2`, `~1`: patch-level changes, or minor-level without a minor.
    ("~1.2.3", "1.2.3", F, T),
    ("~1.2.3", "1.2.9", F, T),
    ("~1.2.3", "1.3.0", F, F),
    ("~1.2.3", "1.2.2", F, F),
    ("~1.2", "1.2.0", F, T),
    ("~1.2", "1.3.0", F, F),
    ("~1", "1.9.0", F, T),
    ("~1", "2.0.0", F, F),
    ("~0.2.3", "0.2.9", F, T),
    ("~0.2.3", "0.3.0", F, F),
    ("~0.2", "0.2.0", F, T),
    ("~0", "0.9.9", F, T),
    ("~0", "1.0.0", F, F),
    ("~> 1.2", "1.2.4", F, T),
    ("~>1.2.3", "1.3.0", F, F),
    ("~ 1.0", "1.0.2", F, T),
    // Caret ranges: changes that do not modify the left-most non-zero part.
    ("^1.2.3", "1.2.3", F, T),
    ("^1.2.3", "1.9.9", F, T),
    ("^1.2.3", "2.0.0", F, F),
    ("^1.2.3", "1.2.2", F, F),
    ("^0.2.3", "0.2.3", F, T),
    ("^0.2.3", "0.2.9", F, T),
    ("^0.2.3", "0.3.0", F, F),
    ("^0.0.3", "0.0.3", F, T),
    ("^0.0.3", "0.0.4", F, F),
    ("^1.2.x", "1.9.0", F, T),
    ("^1.2.x", "1.1.9", F, F),
    ("^0.0.x", "0.0.9", F, T),
    ("^0.0.x", "0.1.0", F, F),
    ("^0.0", "0.0.1", F, T),
    ("^0.0", "0.1.0", F, F),
    ("^1.x", "1.0.0", F, T),
    ("^1.x", "2.0.0", F, F),
    ("^0.x", "0.9.9", F, T),
    ("^0.x", "1.0.0", F, F),
    ("^ 1.2.3", "1.5.0", F, T),
    ("^1.2.3+build", "1.3.0", F, T),
    // Whitespace and comparator sets.
    (">= 1.2.3 < 1.3", "1.2.9", F, T),
    (">=1.2.3   <1.3", "1.3.0", F, F),
    (" 1.2.3 ", "1.2.3", F, T),
    ("  >=1.0.0  ||  >=3.0.0-beta.1 ", "3.0.0-beta.2", F, T),
    // node-semver's quirk: an alternative that is `*` swallows the others.
    ("* || 1.0.0-pre", "1.0.0-pre", F, F),
    ("1.0.0-pre || >=2", "1.0.0-pre", F, T),
    (">=3.0.0-beta.0", "3.1.0-beta.1", F, F),
];

/// Ranges node-semver (strict mode) refuses.
const NPM_INVALID: &[&str] = &[
    "1.x.2",
    "x.1",
    "*.1",
    "a",
    "1.2.3 ||| 4",
    "==1.2.3",
    ">>1.2.3",
    "1.2.3-01",
    "01.2.3",
    "1.2.3.4",
    ">=1.2.3 - 2",
    "1.2.3beta",
    ">=01.2.3",
];

/// (specifiers, version, satisfies) — matching only; the pre-release policy is `PEP440_POLICY`.
#[rustfmt::skip]
const PEP440: &[(&str, &str, bool)] = &[
    // Version matching `==`: padded release segments, local labels ignored when the
    // specifier has none, a local label matched exactly when it has one.
    ("==1.1", "1.1", T),
    ("==1.1", "1.1.0", T),
    ("==1.1.0", "1.1", T),
    ("==1.1", "1.1.1", F),
    ("==1.1", "1.1.post1", F),
    ("==1.1", "1.1a1", F),
    ("==1.1", "1.1+local", T),
    ("==1.1+local", "1.1+local", T),
    ("==1.1+local", "1.1", F),
    ("==1.1+local", "1.1+other", F),
    ("==1.1.post1", "1.1.post1", T),
    ("==1.1.post1", "1.1", F),
    ("==1.0a1", "1.0a1", T),
    ("==1.0a1", "1.0.0-alpha.1", T),
    ("==1.0.dev1", "1.0.dev1", T),
    ("==v1.0", "1.0", T),
    ("==1!1.0", "1!1.0", T),
    ("==1!1.0", "1.0", F),
    // Prefix matching `==V.*`.
    ("==1.1.*", "1.1", T),
    ("==1.1.*", "1.1.post1", T),
    ("==1.1.*", "1.1.9", T),
    ("==1.1.*", "1.1a1", T),
    ("==1.1.*", "1.1.dev0", T),
    ("==1.1.*", "1.2", F),
    ("==1.1.*", "1.2.dev0", F),
    ("==1.1.*", "1.0.9", F),
    ("==1.*", "1.99", T),
    ("==1.*", "2.0", F),
    ("==1.0.0.*", "1.0", T),
    ("==1.1.*", "1.1+local", T),
    // Version exclusion `!=`.
    ("!=1.1", "1.1", F),
    ("!=1.1", "1.1.0", F),
    ("!=1.1", "1.1+local", F),
    ("!=1.1", "1.1.post1", T),
    ("!=1.1", "1.2", T),
    ("!=1.1+local", "1.1", T),
    ("!=1.1+local", "1.1+local", F),
    ("!=1.1.*", "1.1.5", F),
    ("!=1.1.*", "1.1a1", F),
    ("!=1.1.*", "1.2", T),
    ("!=1.1.*", "1.0.post1", T),
    // Compatible release `~=`: `~= 2.2` is `>= 2.2, == 2.*`; `~= 1.4.5` is `>= 1.4.5, == 1.4.*`.
    ("~=2.2", "2.2", T),
    ("~=2.2", "2.9", T),
    ("~=2.2", "3.0", F),
    ("~=2.2", "2.1", F),
    ("~=2.2", "2.2.post3", T),
    ("~=2.2", "3.0a1", F),
    ("~=2.2", "3.0.dev0", F),
    ("~=1.4.5", "1.4.5", T),
    ("~=1.4.5", "1.4.99", T),
    ("~=1.4.5", "1.5.0", F),
    ("~=1.4.5", "1.4.4", F),
    ("~=2.2.post3", "2.2.post3", T),
    ("~=2.2.post3", "2.9", T),
    ("~=2.2.post3", "2.2.post2", F),
    ("~=2.2.post3", "3.0", F),
    ("~=1.4.5a4", "1.4.5a4", T),
    ("~=1.4.5a4", "1.4.5", T),
    ("~=1.4.5a4", "1.4.5a3", F),
    ("~=1.4.5a4", "1.5.0", F),
    ("~=1.4.5.0", "1.4.5.9", T),
    ("~=1.4.5.0", "1.4.6", F),
    ("~=1!1.0", "1!1.5", T),
    ("~=1!1.0", "1.5", F),
    // Inclusive ordered comparison `<=`, `>=`.
    (">=1.0", "1.0", T),
    (">=1.0", "1.0.post1", T),
    (">=1.0", "1.0+local", T),
    (">=1.0", "1.0rc1", F),
    (">=1.0", "1.0.dev0", F),
    (">=1.0", "0.9", F),
    (">=1.0", "1!0.5", T),
    (">=1.0a1", "1.0a1", T),
    (">=1.0a1", "1.0.dev0", F),
    ("<=1.0", "1.0", T),
    ("<=1.0", "1.0+local", T),
    ("<=1.0", "1.0.post1", F),
    ("<=1.0", "1.0rc1", T),
    ("<=1.0", "0.1", T),
    ("<=1.0.post1", "1.0.post1", T),
    ("<=1.0.post1", "1.0.post2", F),
    // Exclusive ordered comparison `<V`: no pre-release of V unless V is one.
    ("<3.1", "3.0", T),
    ("<3.1", "3.0.dev0", T),
    ("<3.1", "3.0.post9", T),
    ("<3.1", "3.1", F),
    ("<3.1", "3.1.dev0", F),
    ("<3.1", "3.1a1", F),
    ("<3.1", "3.1rc1", F),
    ("<3.0.0a8", "3.0.0a7", T),
    ("<3.0.0a8", "3.0.0a8.dev0", T),
    ("<3.0.0a8", "3.0.0a8", F),
    ("<3.0.0a8", "3.0.0b1", F),
    ("<2.0a2", "2.0a1", T),
    ("<2.0a2", "2.0.dev5", T),
    ("<2.0a2", "2.0a2", F),
    ("<2.0.dev3", "2.0.dev2", T),
    ("<2.0.dev3", "2.0.dev3", F),
    ("<1.0.post1", "1.0.dev0", T),
    ("<1.0.post1", "1.0a1", T),
    ("<1.0.post1", "1.0rc1", T),
    ("<1.0.post1", "1.0.post0.dev0", T),
    ("<1.0.post1", "1.0", T),
    ("<1.0.post1", "1.0.post0", T),
    ("<1.0.post1", "1.0.post1.dev0", F),
    ("<1.0.post1", "1.0.post1", F),
    ("<1.0", "0.9+local", T),
    ("<1!0.5", "2.0", T),
    // Exclusive ordered comparison `>V`: no post-release of V unless V is one (so a pre-release
    // or dev V admits its final's post-releases), and no local version of V.
    (">1.7", "1.7.1", T),
    (">1.0", "1.0.post1", F),
    (">1.7", "1.7.0.post1", F),
    (">1.7", "1.7+local", F),
    (">1.7", "1.7.post1+local", F),
    (">1.7", "1.7", F),
    (">1.7", "1.8a1", T),
    (">1.7.post2", "1.7.1", T),
    (">1.7.post2", "1.7.0.post3", T),
    (">1.7.post2", "1.7.0.post2", F),
    (">1.7.post2", "1.7.0.post3.dev0", T),
    (">1.7.post2", "1.7", F),
    (">1.0.dev1", "1.0.post0", T),
    (">1.0.dev1", "1.0.dev2", T),
    (">1.0.dev1", "1.0a1", T),
    (">1.0.dev1", "1.0.dev1", F),
    (">1.0a1", "1.0.post0", T),
    (">1.0a1", "1.0a2.post0", T),
    (">1.0a1", "1.0a2", T),
    (">1.0a1", "1.0", T),
    (">1.0a1", "1.0a1.post0", F),
    (">1.0a1", "1.0a1", F),
    (">1.0b1", "1.0.post0", T),
    (">1.0b1", "1.0b1.post1", F),
    (">1.0rc1", "1.0.post0", T),
    (">1.0rc1", "1.0", T),
    (">1.0rc1", "1.0rc1.post2", F),
    (">1.0rc1", "1.0rc2.dev0", T),
    // Arbitrary equality `===`: a case-insensitive string comparison, for versions that are not
    // PEP 440 (`===foobar` matches `foobar`).
    ("===invalid", "invalid", T),
    ("===invalid", "INVALID", T),
    ("===invalid", "invalid2", F),
    ("=== foobar", "foobar", T),
    ("===1.0", "1.0", T),
    ("===1.0", "1.0.0", F),
    ("===1.0", "1.0+local", F),
    ("===1.0-alpine", "1.0-alpine", T),
    ("==1.0", "invalid", F),
    (">=1.0", "1.0-alpine", F),
    ("===1.0, >=1.0", "1.0", T),
    ("===invalid, >=1.0", "invalid", F),
    // Several specifiers: every one must hold.
    (">=1.0, <2", "1.5", T),
    (">=1.0, <2", "2.0", F),
    (">=1.0, <2", "2.0a1", F),
    (">=1.0, <2", "0.9", F),
    (">=1.0,<2,!=1.5", "1.5", F),
    (">=1.0,<2,!=1.5", "1.5.1", T),
    ("~=1.18.0, !=1.18.5", "1.18.5", F),
    ("~=1.18.0, !=1.18.5", "1.18.100", T),
    ("~=1.18.0, !=1.18.5", "1.19.0", F),
    (">1.0, <1.0.post1", "1.0.post0", F),
    (">1.0a1, <1.0.post1", "1.0.post0", T),
    (" >= 1.0 ,< 2 ", "1.9", T),
    ("", "1.0", T),
    ("", "1.0a1", T),
    // Normalised spellings are the same versions.
    (">=1.0.0-alpha.1", "1.0a1", T),
    (">=1.0-1", "1.0.post1", T),
    (">1.0.0-1", "1.0.post1", F),
    ("==1.0.RC1", "1.0rc1", T),
    ("==1.0c1", "1.0rc1", T),
    ("==1.0-r2", "1.0.post2", T),
    ("<=1.0PRE3", "1.0rc3", T),
    ("<=1.0PRE3", "1.0", F),
];

/// Specifier sets `packaging` refuses.
const PEP440_INVALID: &[&str] = &[
    ">>1",
    "=1.0",
    "~=1",
    "~=1.0.*",
    ">=1.0.*",
    ">=1.0+local",
    "<1.0+local",
    "==1.0.*+x",
    "==1.0a1.*",
    "1.0",
    ">=1.0 <2",
    "==",
    ">=foo",
];

/// (specifiers, `pre_releases`, releases, the ones `SpecifierSet(specifiers).filter(releases)`
/// keeps): pre-releases only with `pre_releases`, when a specifier names one, or when no final
/// or post release matches at all (PEP 440's default for resolvers).
#[rustfmt::skip]
const PEP440_POLICY: &[(&str, bool, &[&str], &[&str])] = &[
    ("", F, &["1.0", "1.1a1", "1.1.dev0"], &["1.0"]),
    ("", T, &["1.0", "1.1a1", "1.1.dev0"], &["1.0", "1.1a1", "1.1.dev0"]),
    ("", F, &["1.1a1", "1.1.dev0"], &["1.1a1", "1.1.dev0"]),
    (">=1.0", F, &["1.0", "2.0b1"], &["1.0"]),
    (">=1.0", T, &["1.0", "2.0b1"], &["1.0", "2.0b1"]),
    (">=1.5", F, &["1.0", "2.0b1"], &["2.0b1"]),
    (">=2.0b1", F, &["1.0", "2.0b1", "2.0b2", "2.0"], &["2.0b1", "2.0b2", "2.0"]),
    ("<2.0a2", F, &["1.0", "2.0a1"], &["1.0", "2.0a1"]),
    ("!=2.0b1", F, &["1.0", "2.0b1", "2.0b2"], &["1.0"]),
    ("==2.0.*", F, &["1.0", "2.0b1", "2.0"], &["2.0"]),
    ("==2.0.*", F, &["1.0", "2.0b1"], &["2.0b1"]),
    (">=1.0", F, &["1.0.post1", "1.1.dev0"], &["1.0.post1"]),
    ("~=1.4.5a4", F, &["1.4.5a4", "1.4.5", "1.4.6rc1"], &["1.4.5a4", "1.4.5", "1.4.6rc1"]),
    ("===invalid", F, &["invalid", "1.0"], &["invalid"]),
    ("===1.0a1", F, &["1.0a1", "1.0"], &["1.0a1"]),
];

#[test]
fn npm_ranges_conform_to_node_semver() {
    assert!(NPM.len() >= 150, "{} rows", NPM.len());
    let mut wrong = Vec::new();
    for &(range, version, pre, expected) in NPM {
        let r = npm::Range::parse(range, pre)
            .unwrap_or_else(|e| panic!("{range:?} (includePrerelease {pre}): {e}"));
        let v = npm::Version::parse(version).unwrap_or_else(|e| panic!("{e}"));
        if r.satisfies(&v) != expected {
            wrong.push(format!(
                "{range:?} {version} includePrerelease={pre}: expected {expected} ({r})"
            ));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for range in NPM_INVALID {
        for pre in [false, true] {
            assert!(
                npm::Range::parse(range, pre).is_err(),
                "{range:?} should be refused"
            );
        }
    }
}

#[test]
fn pypi_specifiers_conform_to_pep_440() {
    assert!(PEP440.len() >= 150, "{} rows", PEP440.len());
    let mut wrong = Vec::new();
    for &(specs, version, expected) in PEP440 {
        let s = pep440::Specifiers::parse(specs).unwrap_or_else(|e| panic!("{specs:?}: {e}"));
        let v = Version::from_str(version).ok();
        if s.contains(version, v.as_ref()) != expected {
            wrong.push(format!("{specs:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for specs in PEP440_INVALID {
        assert!(
            pep440::Specifiers::parse(specs).is_err(),
            "{specs:?} should be refused"
        );
    }
    for &(specs, pre, releases, expected) in PEP440_POLICY {
        let s = pep440::Specifiers::parse(specs).unwrap_or_else(|e| panic!("{specs:?}: {e}"));
        let items: Vec<(&str, Option<Version>)> = releases
            .iter()
            .map(|r| (*r, Version::from_str(r).ok()))
            .collect();
        let kept: Vec<&str> = pep440::filter(Some(&s), pre.then_some(true), items, |(r, v)| {
            (*r, v.as_ref())
        })
        .into_iter()
        .map(|(r, _)| r)
        .collect();
        assert_eq!(
            kept, expected,
            "{specs:?} pre_releases={pre} of {releases:?}"
        );
    }
}

/// (a, b, dpkg's order of a against b): Debian Policy §5.6.12's comparison, each row checked
/// with `dpkg --compare-versions` 1.21.
#[rustfmt::skip]
const DPKG_ORDER: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "1.1", -1),
    ("1.2", "1.10", -1),
    ("1.10", "1.9", 1),
    ("1.0", "1.0.0", -1),
    ("1.0~rc1", "1.0", -1),
    ("1.0~rc1", "1.0~rc2", -1),
    ("1.0~~", "1.0~", -1),
    ("1.0~", "1.0", -1),
    ("1.0~~a", "1.0~~", 1),
    ("1.0", "1.0a", -1),
    ("1.0a", "1.0b", -1),
    ("1.0a", "1.0+", -1),
    ("1.0+b1", "1.0", 1),
    ("1.0+", "1.0.", -1),
    ("1.0-1", "1.0-2", -1),
    ("1.0-1", "1.0-10", -1),
    ("1.0-1~deb12u1", "1.0-1", -1),
    ("1:1.2.3-1~deb12u1", "1:1.2.3-1", -1),
    ("1:1.2.3-1", "1:1.2.3-1+deb12u1", -1),
    ("3.0.11-1~deb12u1", "3.0.11-1~deb12u2", -1),
    ("3.0.11-1~deb12u2", "3.0.13-1~deb12u1", -1),
    ("3.0.13-1~deb12u1", "3.0.15-1~deb12u1", -1),
    ("1:0.9-1", "2.0-1", 1),
    ("1:0.9-1", "1:1.0-1", -1),
    ("0:1.0", "1.0", 0),
    ("2:1.0", "1:9.9", 1),
    ("1.0", "1.0-0", 0),
    ("1.0-0", "1.0-0.1", -1),
    ("01.0", "1.0", 0),
    ("1.001", "1.1", 0),
    ("1.0.0", "1.0.00", 0),
    ("1.2.3", "1.2.3-0ubuntu1", -1),
    ("1.2.3-0ubuntu1", "1.2.3-0ubuntu1.1", -1),
    ("1.2.3-0ubuntu1.1", "1.2.3-1", -1),
    ("2.36.1-8+deb11u1", "2.36.1-8+deb11u2", -1),
    ("3.11.2-6", "3.11.2-6+deb12u1", -1),
    ("20230311", "20230311+deb12u1", -1),
    ("7.88.1-10+deb12u5", "7.88.1-10+deb12u12", -1),
    ("1.2.3-1ubuntu0.22.04.1", "1.2.3-1ubuntu0.22.04.2", -1),
    ("1.2.3-1ubuntu0.20.04.9", "1.2.3-1ubuntu0.22.04.1", -1),
    ("2.0", "10.0", -1),
    ("1.0-a", "1.0-b", -1),
    ("1.0-1.a", "1.0-1.1", 1),
    ("1.0-1a", "1.0-1.1", -1),
    ("1.0a1", "1.0a10", -1),
    ("1.0.1~beta", "1.0.0", 1),
    ("9.0~pre1", "8.9", 1),
    ("1:1.0~rc1", "1.0", 1),
    ("1.0+git20230101", "1.0+git20230102", -1),
    ("1.0+dfsg", "1.0+dfsg1", -1),
    ("1.0+dfsg-1", "1.0-1", 1),
    ("1.0-1+b1", "1.0-1", 1),
    ("1.0-1+b1", "1.0-2", -1),
    ("1.0.a", "1.0.1", 1),
    ("1:1:1.0", "1:1:1.0", 0),
    ("5.0-1", "5.0-1.0", -1),
];

/// (Debian relations, version, admitted), each relation checked with `dpkg --compare-versions`.
#[rustfmt::skip]
const DPKG_RELATIONS: &[(&str, &str, bool)] = &[
    (">= 3.0.11-1~deb12u1, << 3.1", "3.0.11-1~deb12u1", T),
    (">= 3.0.11-1~deb12u1, << 3.1", "3.0.11-1", T),
    (">= 3.0.11-1~deb12u1, << 3.1", "3.0.11-1~deb12u0", F),
    (">= 3.0.11-1~deb12u1, << 3.1", "3.1~rc1", T),
    (">= 3.0.11-1~deb12u1, << 3.1", "3.0.99", T),
    (">= 3.0.11-1~deb12u1, << 3.1", "3.1", F),
    ("<< 3.1", "3.1~", T),
    ("<< 3.1~", "3.0.99", T),
    ("<= 1.0-1", "1.0-1", T),
    ("<= 1.0-1", "1.0-1+b1", F),
    ("<= 1.0-1", "1.0", T),
    ("= 1.0", "1.0-0", T),
    ("= 1.0", "1.0-1", F),
    ("= 1:0.9-1", "1:0.9-1", T),
    ("= 1:0.9-1", "0.9-1", F),
    (">> 1.0", "1.0", F),
    (">> 1.0", "1.0+b1", T),
    (">> 1.0", "1.0~", F),
    (">= 2:1.0", "1:9.9", F),
    (">= 1:1.0", "1:1.0~rc1", F),
    ("(>= 1.0)", "1.0", T),
    ("(<< 1.0)", "0.9", T),
    (">=1.0,<<2.0", "1.5", T),
    (">=1.0,<<2.0", "2.0", F),
    ("= 1.0 | = 2.0", "2.0", T),
    ("= 1.0 | = 2.0", "1.5", F),
    (">= 1.2, = 1.0 | >> 1.9", "2.0", T),
    (">= 1.2, = 1.0 | >> 1.9", "1.5", F),
    (">= 7.88.1-10+deb12u5", "7.88.1-10+deb12u12", T),
    ("<< 7.88.1-10+deb12u5", "7.88.1-10+deb12u12", F),
];

/// Texts Debian Policy §5.6.12 refuses as versions (dpkg refuses the first ones outright and
/// warns about the rest: an upstream part not starting with a digit, `_` anywhere).
#[rustfmt::skip]
const DPKG_INVALID: &[&str] = &[
    "", "1.0-", ":1.0", "1:", "x:1.0", "1.0 1", "-1", "1.0:1-1",
    "a1.0", "1.0_1", "1.0-1_1", "1:a1.0",
];

/// Relations refused: obsolete `<` / `>`, no operator, no version, two relations without a comma.
#[rustfmt::skip]
const DPKG_RELATIONS_INVALID: &[&str] = &[
    "< 1.0", "> 1.0", "1.0", ">= ", ">= 1.0 << 2.0", "~ 1.0", "!= 1.0", ">= 1.0,", "== 1.0",
];

/// (a, b, apk's order of a against b), from apk-tools' version grammar and `version.c`
/// comparison rules (apk-package(5): `digits{.digits}…{letter}{_suffix{#}}…{~hash}{-r#}`).
#[rustfmt::skip]
const APK_ORDER: &[(&str, &str, i8)] = &[
    ("1.0", "1.0", 0),
    ("1.0", "1.1", -1),
    ("1.2", "1.10", -1),
    ("1.0", "1.0.1", -1),
    ("1", "1.0", -1),
    ("10", "9", 1),
    ("010", "9", 1),
    ("1.0_rc1", "1.0", -1),
    ("1.0_alpha1", "1.0_beta1", -1),
    ("1.0_beta1", "1.0_pre1", -1),
    ("1.0_pre1", "1.0_rc1", -1),
    ("1.0_rc1", "1.0_rc2", -1),
    ("1.0_rc", "1.0_rc1", -1),
    ("1.0_alpha", "1.0_alpha1", -1),
    ("1.0_beta2", "1.0_beta10", -1),
    ("1.0", "1.0_p1", -1),
    ("1.0_p1", "1.0_p2", -1),
    ("1.0_cvs1", "1.0_svn1", -1),
    ("1.0_svn", "1.0_git", -1),
    ("1.0_git", "1.0_hg", -1),
    ("1.0_hg", "1.0_p", -1),
    ("1.0_rc1_p1", "1.0_rc1", 1),
    ("1.0_rc1_p1", "1.0_rc2", -1),
    ("1.0_alpha_beta", "1.0_alpha", -1),
    ("1.0", "1.0a", -1),
    ("1.0a", "1.0b", -1),
    ("1.0a", "1.0.1", -1),
    ("1.0z", "1.1", -1),
    ("1.0a_rc1", "1.0a", -1),
    ("1.0-r0", "1.0-r1", -1),
    ("1.0-r1", "1.0-r10", -1),
    ("1.0-r01", "1.0-r1", 0),
    ("1.0", "1.0-r0", -1),
    ("1.0-r9", "1.0.1-r0", -1),
    ("1.0_rc1-r5", "1.0-r0", -1),
    ("1.0_p1-r0", "1.0-r5", 1),
    ("1.2_p1-r0", "1.2_p1-r1", -1),
    ("1.2.3_rc1-r0", "1.2.3-r0", -1),
    ("1.01", "1.1", -1),
    ("1.001", "1.01", -1),
    ("1.010", "1.09", -1),
    ("1.0", "1.00", -1),
    ("1.00.1", "1.0.1", 1),
    ("2.0_rc1", "1.9", 1),
    ("3.3.1-r0", "3.3.2-r0", -1),
    ("3.3.2-r0", "3.3.2-r1", -1),
    ("3.12.3-r1", "3.12.10-r0", -1),
    ("3.0.15-r0", "3.0.15-r1", -1),
    ("1.2.3", "1.2.3.0", -1),
    ("20240101", "20231231", 1),
    ("0.9.9_git20230101", "0.9.9", 1),
    ("0.9.9_git20230101", "0.9.10", -1),
    ("1.0~abc", "1.0~abd", -1),
    ("1.0~abc", "1.0", 1),
    ("1.0~abc-r1", "1.0-r1", 1),
    ("1.0_rc1~abc", "1.0_rc1", 1),
];

/// (apk comparisons, version, admitted), from apk's dependency operators.
#[rustfmt::skip]
const APK_CONSTRAINTS: &[(&str, &str, bool)] = &[
    (">=3.3.1-r0", "3.3.1-r0", T),
    (">=3.3.1-r0", "3.3.0-r5", F),
    (">=3.3.1-r0 <3.4", "3.3.9-r0", T),
    (">=3.3.1-r0 <3.4", "3.4", F),
    (">=3.3.1-r0 <3.4", "3.4_rc1", T),
    (">=3.3.1-r0, <3.4", "3.3.2", T),
    ("<3.4", "3.4-r0", F),
    ("<=3.4", "3.4-r0", F),
    ("<=3.4-r0", "3.4-r0", T),
    ("=1.2.3-r0", "1.2.3-r0", T),
    ("=1.2.3-r0", "1.2.3-r1", F),
    ("=1.2.3", "1.2.3-r0", F),
    ("~3.1", "3.1", T),
    ("~3.1", "3.1.4-r0", T),
    ("~3.1", "3.10", F),
    ("~3.1", "3.1_rc1", T),
    ("~3.1", "3.0.9", F),
    ("~3.1", "3.2", F),
    ("~3.1.4", "3.1.4-r2", T),
    ("~3.1.4-r2", "3.1.4-r3", F),
    (">~3.1", "3.1.9", T),
    (">~3.1", "3.2", T),
    (">~3.1", "3.0", F),
    ("<~3.1", "3.1.9", T),
    ("<~3.1", "3.2", F),
    ("<~3.1", "3.0", T),
    ("> 1.0", "1.0-r0", T),
    ("> 1.0", "1.0", F),
    (">= 1.0", "1.0", T),
    ("~ 3.12", "3.12.4-r0", T),
];

/// Texts apk refuses as versions, and constraints it has no operator for.
#[rustfmt::skip]
const APK_INVALID: &[&str] = &[
    "", "a1", "v1.0", "1.", "1..2", "1.0_foo", "1.0-1", "1.0-r", "1.0ab", "1.0_rc1a",
    "1.0-r1_p1", "1.0~", "1.0~xyz", "1.0A", "1.0-r1~abc", "1.0_", "1-r1-r2",
];
#[rustfmt::skip]
const APK_CONSTRAINTS_INVALID: &[&str] = &["", "!=1.0", "==1.0", ">=", "=>1.0", "1.0", ">=1.0_foo"];

/// (ecosystem, constraint, `pre_releases`, releases, what `select` keeps).
type PolicyRow = (
    super::Ecosystem,
    Option<&'static str>,
    bool,
    &'static [&'static str],
    &'static [&'static str],
);

#[rustfmt::skip]
const DISTRO_POLICY: &[PolicyRow] = &[
    (super::Ecosystem::Dpkg, None, F, &["1.0~rc1", "1.0", "1.1~beta1"], &["1.0~rc1", "1.0", "1.1~beta1"]),
    (super::Ecosystem::Dpkg, Some("<< 1.1"), F, &["1.0~rc1", "1.0", "1.1~beta1", "1.1"], &["1.0~rc1", "1.0", "1.1~beta1"]),
    (super::Ecosystem::Apk, None, F, &["3.12.0_rc1", "3.12.0", "3.12.1_p1", "3.13.0_alpha1"], &["3.12.0", "3.12.1_p1"]),
    (super::Ecosystem::Apk, None, T, &["3.12.0_rc1", "3.12.0", "3.12.1_p1", "3.13.0_alpha1"], &["3.12.0_rc1", "3.12.0", "3.12.1_p1", "3.13.0_alpha1"]),
    (super::Ecosystem::Apk, Some(">=3.12 <3.13"), F, &["3.12.0_rc1", "3.12.0", "3.12.1_p1", "3.13.0_alpha1"], &["3.12.0", "3.12.1_p1"]),
    (super::Ecosystem::Apk, Some(">=3.12 <3.13"), T, &["3.12.0_rc1", "3.12.0", "3.12.1_p1", "3.13.0_alpha1"], &["3.12.0_rc1", "3.12.0", "3.12.1_p1"]),
];

fn sign(o: std::cmp::Ordering) -> i8 {
    o as i8
}

#[test]
fn debian_versions_and_relations_conform_to_dpkg() {
    assert!(DPKG_ORDER.len() + DPKG_RELATIONS.len() >= 60);
    let mut wrong = Vec::new();
    for &(a, b, expected) in DPKG_ORDER {
        let (x, y) = (
            dpkg::Version::parse(a).unwrap(),
            dpkg::Version::parse(b).unwrap(),
        );
        if sign(x.cmp(&y)) != expected || sign(y.cmp(&x)) != -expected {
            wrong.push(format!("{a} vs {b}: expected {expected}"));
        }
    }
    for &(rel, version, expected) in DPKG_RELATIONS {
        let r = dpkg::Relations::parse(rel).unwrap_or_else(|e| panic!("{rel:?}: {e}"));
        if r.admits(&dpkg::Version::parse(version).unwrap()) != expected {
            wrong.push(format!("{rel:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for v in DPKG_INVALID {
        assert!(dpkg::Version::parse(v).is_err(), "{v:?} should be refused");
    }
    for r in DPKG_RELATIONS_INVALID {
        assert!(
            dpkg::Relations::parse(r).is_err(),
            "{r:?} should be refused"
        );
    }
}

#[test]
fn alpine_versions_and_constraints_conform_to_apk() {
    assert!(APK_ORDER.len() + APK_CONSTRAINTS.len() >= 60);
    let mut wrong = Vec::new();
    for &(a, b, expected) in APK_ORDER {
        let (x, y) = (
            apk::Version::parse(a).unwrap(),
            apk::Version::parse(b).unwrap(),
        );
        if sign(x.cmp(&y)) != expected || sign(y.cmp(&x)) != -expected {
            wrong.push(format!("{a} vs {b}: expected {expected}"));
        }
    }
    for &(c, version, expected) in APK_CONSTRAINTS {
        let r = apk::Constraint::parse(c).unwrap_or_else(|e| panic!("{c:?}: {e}"));
        if r.admits(&apk::Version::parse(version).unwrap()) != expected {
            wrong.push(format!("{c:?} {version}: expected {expected}"));
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
    for v in APK_INVALID {
        assert!(apk::Version::parse(v).is_err(), "{v:?} should be refused");
    }
    for c in APK_CONSTRAINTS_INVALID {
        assert!(
            apk::Constraint::parse(c).is_err(),
            "{c:?} should be refused"
        );
    }
}

#[test]
fn distro_pre_release_policy() {
    for &(eco, constraint, pre, releases, expected) in DISTRO_POLICY {
        let pre = super::PreReleases::from(pre.then_some(true));
        let c = constraint.map(|c| super::Constraint::parse(eco, c, pre).unwrap());
        let items: Vec<(&str, super::Parsed)> = releases
            .iter()
            .map(|r| (*r, super::Parsed::parse(eco, r, c.as_ref()).unwrap()))
            .collect();
        let kept: Vec<&str> = super::select(eco, c.as_ref(), pre, items, |(r, p)| (*r, p))
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(
            kept, expected,
            "{eco:?} {constraint:?} pre_releases={pre:?}"
        );
    }
}

/// A row of [`THREE_WAY`].
type ThreeWayRow = (
    super::Ecosystem,
    Option<&'static str>,
    &'static [&'static str],
    [&'static [&'static str]; 3],
);

/// (ecosystem, constraint, releases, what `select` keeps with `pre_releases` absent, `false`,
/// `true`). Absent is each ecosystem's default and `true` its opt-in, as in the tables above;
/// `false` admits no pre-release at all, whatever the constraint names. The PEP 440 rows are
/// `SpecifierSet(constraint).filter(releases, prereleases=None / False / True)` as `packaging`
/// 26.4 answers them; the npm, tag and Go rows node-semver's `satisfies` without and with
/// `includePrerelease`; the RubyGems rows `Gem::Dependency#match?`.
#[rustfmt::skip]
const THREE_WAY: &[ThreeWayRow] = &[
    (E::Pep440, Some("<=2.0"), &["1.0.dev1"], [&["1.0.dev1"], &[], &["1.0.dev1"]]),
    (E::Pep440, Some("<=2.0"), &["0.9", "1.0.dev1"], [&["0.9"], &["0.9"], &["0.9", "1.0.dev1"]]),
    (E::Pep440, Some(">=2.0b1"), &["1.0", "2.0b1", "2.0b2", "2.0"], [&["2.0b1", "2.0b2", "2.0"], &["2.0"], &["2.0b1", "2.0b2", "2.0"]]),
    (E::Pep440, Some("==1.0.dev1"), &["0.9", "1.0.dev1"], [&["1.0.dev1"], &[], &["1.0.dev1"]]),
    (E::Pep440, Some("~=1.4.5a4"), &["1.4.5a4", "1.4.5", "1.4.6rc1"], [&["1.4.5a4", "1.4.5", "1.4.6rc1"], &["1.4.5"], &["1.4.5a4", "1.4.5", "1.4.6rc1"]]),
    (E::Pep440, None, &["1.1a1", "1.1.dev0"], [&["1.1a1", "1.1.dev0"], &[], &["1.1a1", "1.1.dev0"]]),
    (E::Pep440, None, &["1.0", "1.1a1"], [&["1.0"], &["1.0"], &["1.0", "1.1a1"]]),
    (E::Pep440, Some("===invalid"), &["invalid", "1.0"], [&["invalid"], &["invalid"], &["invalid"]]),
    (E::Pep440, Some("===1.0a1"), &["1.0a1", "1.0"], [&["1.0a1"], &[], &["1.0a1"]]),
    (E::Pep440, Some(">=1.5"), &["1.0", "2.0b1"], [&["2.0b1"], &[], &["2.0b1"]]),
    (E::Pep440, Some("<2.0a2"), &["1.0", "2.0a1"], [&["1.0", "2.0a1"], &["1.0"], &["1.0", "2.0a1"]]),
    (E::Pep440, Some("!=2.0b1"), &["2.0b1", "2.0b2"], [&["2.0b2"], &[], &["2.0b2"]]),
    (E::Pep440, Some("<=2.0"), &["1.0.post1.dev0", "1.0a1.post1", "1.0.post1"], [&["1.0.post1"], &["1.0.post1"], &["1.0.post1.dev0", "1.0a1.post1", "1.0.post1"]]),
    (E::Npm, Some(">=1.1.0-rc1 <2"), &["1.0.0", "1.1.0-rc1", "1.1.0", "1.2.0-beta"], [&["1.1.0-rc1", "1.1.0"], &["1.1.0"], &["1.1.0-rc1", "1.1.0", "1.2.0-beta"]]),
    (E::Npm, Some("1.0.0-pre || >=2"), &["1.0.0-pre", "2.0.0"], [&["1.0.0-pre", "2.0.0"], &["2.0.0"], &["1.0.0-pre", "2.0.0"]]),
    (E::Npm, Some("3.0.0-beta.1"), &["3.0.0-beta.1"], [&["3.0.0-beta.1"], &[], &["3.0.0-beta.1"]]),
    (E::Npm, None, &["1.0.0", "2.0.0-rc.1"], [&["1.0.0"], &["1.0.0"], &["1.0.0", "2.0.0-rc.1"]]),
    (E::Loose, Some(">=17.6.0-rc0"), &["17.5.0", "17.6.0-rc1"], [&["17.6.0-rc1"], &[], &["17.6.0-rc1"]]),
    (E::Loose, Some(">=1.2.3-beta.1 <1.2.3"), &["1.2.3-beta.2", "1.2.2"], [&["1.2.3-beta.2"], &[], &["1.2.3-beta.2"]]),
    (E::Go, Some(">=1.0.0-rc.0"), &["v0.9.0", "v1.0.0-rc.1"], [&["v1.0.0-rc.1"], &[], &["v1.0.0-rc.1"]]),
    (E::Gem, Some(">= 1.0.0.a, < 2"), &["0.9", "1.5.rc1", "1.5"], [&["1.5.rc1", "1.5"], &["1.5"], &["1.5.rc1", "1.5"]]),
    (E::Gem, Some("= 2.0.0.rc1"), &["2.0.0.rc1"], [&["2.0.0.rc1"], &[], &["2.0.0.rc1"]]),
    (E::Gem, None, &["1.0.rc1", "1.0"], [&["1.0"], &["1.0"], &["1.0.rc1", "1.0"]]),
    (E::Cargo, Some(">=1.0.0-alpha"), &["1.0.0-beta", "1.0.0"], [&["1.0.0"], &["1.0.0"], &["1.0.0-beta", "1.0.0"]]),
    (E::Apk, Some(">=3.12 <3.13"), &["3.12.0_rc1", "3.12.0"], [&["3.12.0"], &["3.12.0"], &["3.12.0_rc1", "3.12.0"]]),
    (E::Maven, Some("[1.0,2.0)"), &["1.5", "2.0-alpha-1"], [&["1.5"], &["1.5"], &["1.5", "2.0-alpha-1"]]),
    (E::Dpkg, None, &["1.0~rc1", "1.0"], [&["1.0~rc1", "1.0"], &["1.0~rc1", "1.0"], &["1.0~rc1", "1.0"]]),
];

#[test]
fn pre_releases_absent_false_and_true() {
    use super::PreReleases;
    let mut wrong = Vec::new();
    for &(eco, constraint, releases, expected) in THREE_WAY {
        for (pre, want) in [PreReleases::Default, PreReleases::Never, PreReleases::All]
            .into_iter()
            .zip(expected)
        {
            let c = constraint.map(|c| super::Constraint::parse(eco, c, pre).unwrap());
            let items: Vec<(&str, super::Parsed)> = releases
                .iter()
                .map(|r| (*r, super::Parsed::parse(eco, r, c.as_ref()).unwrap()))
                .collect();
            let kept: Vec<&str> = super::select(eco, c.as_ref(), pre, items, |(r, p)| (*r, p))
                .into_iter()
                .map(|(r, _)| r)
                .collect();
            if kept != want {
                wrong.push(format!(
                    "{eco:?} {constraint:?} {releases:?} {pre:?}: kept {kept:?}, want {want:?}"
                ));
            }
        }
    }
    assert!(wrong.is_empty(), "{}", wrong.join("\n"));
}
