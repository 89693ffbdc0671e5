//! The version-scheme trait (parse, order, constraint, pre-release rule) and its object-safe form.

use super::PreReleases;
#[cfg(test)]
use std::cmp::Ordering;

/// A release text with its place in the caller's list and its version.
#[derive(Clone, Debug)]
pub(crate) struct Item<'a, V> {
    /// Its index in the list given to [`VersionScheme::order`].
    pub index: usize,
    /// The release's version text.
    pub text: &'a str,
    /// The text as the scheme reads it.
    pub version: V,
}

/// How one ecosystem reads, orders and constrains versions. Each scheme is a unit struct in its
/// own file with a `pub(crate) static`; callers use it as a [`VersionScheme`].
pub(crate) trait Scheme: Sync + 'static {
    /// A version as the scheme reads it, in the scheme's order.
    type Version: Ord;
    /// A parsed `constraint`.
    type Constraint;

    /// Reads `text`; `None` when it is not a version here. `constraint` is the parsed
    /// constraint of the same listing (PEP 440 keeps text that only an `===` names).
    fn parse(&self, text: &str, constraint: Option<&Self::Constraint>) -> Option<Self::Version>;

    /// Parses a constraint; [`PreReleases::All`] may change how it desugars (node-semver's
    /// `includePrerelease`). The error is one line.
    fn constraint(&self, text: &str, pre: PreReleases) -> Result<Self::Constraint, String>;

    /// Whether the scheme calls `v` a pre-release ([`PreReleases::Never`] drops these first).
    fn is_prerelease(&self, v: &Self::Version) -> bool;

    /// Whether `c` (none: everything) and `pre` admit `v`, read from `text`, on its own.
    fn admits(
        &self,
        c: Option<&Self::Constraint>,
        pre: PreReleases,
        text: &str,
        v: &Self::Version,
    ) -> bool;

    /// The items `c` and `pre` admit, in their order: by default each as [`Scheme::admits`]
    /// says; a scheme whose rule looks at the whole list (PEP 440's `prereleases=None`)
    /// overrides it.
    fn select<'a>(
        &self,
        c: Option<&Self::Constraint>,
        pre: PreReleases,
        items: Vec<Item<'a, Self::Version>>,
    ) -> Vec<Item<'a, Self::Version>> {
        items
            .into_iter()
            .filter(|i| self.admits(c, pre, i.text, &i.version))
            .collect()
    }
}

/// A version scheme as package sources hold it (`&'static dyn VersionScheme`): everything is
/// given and returned as text, so callers never see a scheme's own types.
pub(crate) trait VersionScheme: Sync {
    /// The scheme's name as the conformance tables write it (`Pep440`, `Loose`, …): its type's
    /// name without `Scheme`.
    #[cfg(test)]
    fn name(&self) -> &'static str;

    /// Checks a `constraint` text under `pre`; the error is one line (the caller words it as
    /// "invalid constraint `…`: {error}").
    fn check_constraint(&self, text: &str, pre: PreReleases) -> Result<(), String>;

    /// The indices of `versions` that count, oldest first: the texts that are versions here,
    /// admitted by `constraint` (none: everything) and `pre` ([`PreReleases::Never`] first drops
    /// every pre-release, whatever the constraint names; then the scheme's own rule, which may
    /// look at the whole list), in the scheme's order, equal versions in text order, and one
    /// index kept (the first) for texts listed more than once. The error is
    /// [`VersionScheme::check_constraint`]'s.
    fn order(
        &self,
        versions: &[&str],
        constraint: Option<&str>,
        pre: PreReleases,
    ) -> Result<Vec<usize>, String>;

    /// The scheme's order of two texts; `None` when either is not a version here (for tests:
    /// packages only ever order whole lists).
    #[cfg(test)]
    fn cmp(&self, a: &str, b: &str) -> Option<Ordering>;

    /// Whether `text` is a version the scheme calls a pre-release; `None` when it is no version
    /// (for tests).
    #[cfg(test)]
    fn is_prerelease(&self, text: &str) -> Option<bool>;
}

impl<S: Scheme> VersionScheme for S {
    #[cfg(test)]
    fn name(&self) -> &'static str {
        let full = std::any::type_name::<S>();
        let last = full.rsplit("::").next().unwrap_or(full);
        last.strip_suffix("Scheme").unwrap_or(last)
    }

    fn check_constraint(&self, text: &str, pre: PreReleases) -> Result<(), String> {
        self.constraint(text, pre).map(|_| ())
    }

    fn order(
        &self,
        versions: &[&str],
        constraint: Option<&str>,
        pre: PreReleases,
    ) -> Result<Vec<usize>, String> {
        let c = constraint.map(|c| self.constraint(c, pre)).transpose()?;
        let items = read(self, versions, c.as_ref(), pre);
        let mut kept = self.select(c.as_ref(), pre, items);
        kept.sort_by(|a, b| a.version.cmp(&b.version).then_with(|| a.text.cmp(b.text)));
        kept.dedup_by(|a, b| a.text == b.text);
        Ok(kept.into_iter().map(|i| i.index).collect())
    }

    #[cfg(test)]
    fn cmp(&self, a: &str, b: &str) -> Option<Ordering> {
        Some(self.parse(a, None)?.cmp(&self.parse(b, None)?))
    }

    #[cfg(test)]
    fn is_prerelease(&self, text: &str) -> Option<bool> {
        self.parse(text, None)
            .map(|v| Scheme::is_prerelease(self, &v))
    }
}

/// The texts that are versions under `c`, without pre-releases when `pre` is
/// [`PreReleases::Never`], in list order.
fn read<'a, S: Scheme>(
    scheme: &S,
    versions: &[&'a str],
    c: Option<&S::Constraint>,
    pre: PreReleases,
) -> Vec<Item<'a, S::Version>> {
    versions
        .iter()
        .enumerate()
        .filter_map(|(index, text)| {
            let version = scheme.parse(text, c)?;
            Some(Item {
                index,
                text,
                version,
            })
        })
        .filter(|i| pre != PreReleases::Never || !scheme.is_prerelease(&i.version))
        .collect()
}

/// Whether `pre` lets a pre-release through a per-version rule that admits pre-releases only
/// with `pre_releases: true` (Cargo, apk, Maven, RubyGems without a constraint).
pub(crate) fn plain_pre_rule(pre: PreReleases, is_prerelease: bool) -> bool {
    pre == PreReleases::All || !is_prerelease
}
