//! Upstream package releases: one source per ecosystem, each its own file and one line in
//! [`SOURCES`]; filtering, ordering, `check` and `in` shared by all.

mod backend;
mod cache;
mod check;
mod common;
mod error;
mod fetcher;
mod get;
mod release;
mod schema;
mod select;
mod source;
mod tags;

pub(crate) mod apk;
pub(crate) mod apt;
pub(crate) mod crates;
pub(crate) mod gem;
pub(crate) mod git;
pub(crate) mod github;
pub(crate) mod gitlab;
pub(crate) mod go;
pub(crate) mod helm;
pub(crate) mod maven;
pub(crate) mod npm;
pub(crate) mod openpgp;
pub(crate) mod pypi;
pub(crate) mod terraform;
pub(crate) mod upgrades;

pub(crate) use backend::Backend;
pub(crate) use check::check;
pub(crate) use common::CommonFields;
pub(crate) use error::PackageError;
pub(crate) use fetcher::MAX_INDEX_BYTES;
pub(crate) use fetcher::{Conditional, Fetcher};
pub(crate) use get::get;
pub(crate) use get::{is_commit_sha, SHOWN_NAME_CHARS};
pub(crate) use release::{utc_seconds, Release, ReleaseFile};
pub(crate) use schema::source_schema;
pub(crate) use select::candidates;
pub(crate) use source::Source;
pub use source::{common_fields, decode, is_package_source, PackageSource, Registration};
pub(crate) use tags::tag_regex;
pub use tags::tag_version;

/// Every package source, in the order errors and docs list them: one line each.
pub static SOURCES: &[Registration] = &[
    Registration::of::<pypi::PyPiSource>(),
    Registration::of::<npm::NpmSource>(),
    Registration::of::<crates::CrateSource>(),
    Registration::of::<github::GitHubSource>(),
    Registration::of::<gitlab::GitLabSource>(),
    Registration::of::<git::GitSource>(),
    Registration::of::<apt::AptSource>(),
    Registration::of::<apk::ApkSource>(),
    Registration::of::<gem::GemSource>(),
    Registration::of::<helm::HelmSource>(),
    Registration::of::<go::GoSource>(),
    Registration::of::<maven::MavenSource>(),
    Registration::of::<terraform::TerraformSource>(),
];
