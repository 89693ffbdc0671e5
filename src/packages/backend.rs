//! The trait every package ecosystem implements: list releases, name its version scheme, download.

use super::{Fetcher, PackageError, Release, ReleaseFile};
use crate::versions::VersionScheme;

/// A version source: one ecosystem's index.
pub(crate) trait Backend {
    /// Every release the index lists.
    fn releases(&self) -> Result<Vec<Release>, PackageError>;
    /// Its version scheme: ordering, constraint syntax, pre-release rule.
    fn scheme(&self) -> &'static dyn VersionScheme;
    /// Where a release file is downloaded from.
    fn file_url(&self, file: &ReleaseFile) -> Result<String, PackageError> {
        Ok(file.url.clone())
    }
    /// The fetcher (for downloads).
    fn fetcher(&self) -> &Fetcher;
    /// The release `in` reports: what the listing lacks filled in (RubyGems: `published_at`;
    /// an OCI chart: its manifest digest and `appVersion`; Go: the `.info` time; Maven: the main artifact and its sidecar hashes), or a refusal
    /// of `download` where the index publishes no hash at all.
    fn details(&self, release: Release, _download: Option<&str>) -> Result<Release, PackageError> {
        Ok(release)
    }
    /// Downloads `file` into `path` unless its bytes miss `hash` (Maven also takes `sha1:`); by
    /// default over HTTP from [`Backend::file_url`].
    fn download(
        &self,
        file: &ReleaseFile,
        hash: &str,
        path: &std::path::Path,
    ) -> Result<(), PackageError> {
        self.fetcher().download(&self.file_url(file)?, hash, path)
    }
}
