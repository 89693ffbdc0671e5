//! Conformance tables: npm ranges against node-semver's documented semantics, PyPI specifiers against PEP 440.
//!
//! Every row is (constraint, version, `pre_releases`, expected) and was written from the
//! node-semver README ("Ranges", "Prerelease Tags", "Advanced Range Syntax", the `includePrerelease`
//! option) and the PEP 440 text ("Version specifiers" and its subsections), then checked against
//! node-semver 7.8.5 and `packaging` 26.4 themselves.

use super::{npm, pep440};
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
        let kept: Vec<&str> = pep440::filter(Some(&s), pre, items, |(r, v)| (*r, v.as_ref()))
            .into_iter()
            .map(|(r, _)| r)
            .collect();
        assert_eq!(
            kept, expected,
            "{specs:?} pre_releases={pre} of {releases:?}"
        );
    }
}
