//! A release as an index lists it, its files, and the one date format `in` writes.

/// One release as an index lists it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct Release {
    /// The version text.
    pub version: String,
    /// The tag it comes from, when that is not the version itself (`v1.2.3`).
    #[serde(default)]
    pub tag: Option<String>,
    /// All its files (or the release) withdrawn.
    #[serde(default)]
    pub yanked: bool,
    /// Marked a pre-release by the index itself (GitHub).
    #[serde(default)]
    pub prerelease: bool,
    /// npm dist-tags pointing at it (`latest`, `next`).
    #[serde(default)]
    pub dist_tags: Vec<String>,
    /// A page about the release.
    #[serde(default)]
    pub url: Option<String>,
    /// When it was published (RFC 3339).
    #[serde(default)]
    pub published_at: Option<String>,
    /// Its downloadable files.
    #[serde(default)]
    pub files: Vec<ReleaseFile>,
    /// The checksum the index publishes for it (`sha256:<hex>`; apk: the `Q1…` control hash).
    #[serde(default)]
    pub checksum: Option<String>,
    /// The version of the application it packages (Helm's `appVersion`).
    #[serde(default)]
    pub app_version: Option<String>,
    /// The commit its tag points at (GitHub, GitLab).
    #[serde(default)]
    pub commit_sha: Option<String>,
    /// Its release notes (GitHub `body`, GitLab `description`): empty for a release without
    /// any, `None` where there are no release notes at all (tags).
    #[serde(default)]
    pub body: Option<String>,
    /// Further files `in` writes, named by the source, each also a metadata entry (Terraform
    /// providers: `protocols`, `platforms`).
    #[serde(default)]
    pub outputs: Vec<(String, String)>,
}

/// A release file and the hash its index publishes for it.
#[derive(Clone, Debug, Default, serde::Serialize, serde::Deserialize)]
pub struct ReleaseFile {
    /// File name (`awscli-1.18.100.tar.gz`).
    pub name: String,
    /// Where to get it.
    pub url: String,
    /// `sha256:<hex>` or `sha512:<hex>`, when published.
    pub hash: Option<String>,
}

/// An RFC 3339 date as UTC to the second (`2024-01-02T03:04:05Z`); `None` when it is not one.
pub(crate) fn utc_seconds(text: &str) -> Option<String> {
    chrono::DateTime::parse_from_rfc3339(text.trim())
        .ok()
        .map(|d| {
            d.with_timezone(&chrono::Utc)
                .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
        })
}

#[cfg(test)]
mod tests {
    use super::utc_seconds;

    #[test]
    fn published_dates_are_utc_seconds() {
        assert_eq!(
            utc_seconds("2024-01-02T05:04:05.123456789+02:00").as_deref(),
            Some("2024-01-02T03:04:05Z")
        );
        assert_eq!(
            utc_seconds("2019-03-12T20:43:26Z").as_deref(),
            Some("2019-03-12T20:43:26Z")
        );
        assert_eq!(utc_seconds("last Tuesday"), None);
        assert_eq!(utc_seconds("$(rm -rf /)"), None);
    }
}
