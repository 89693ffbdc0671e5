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

pub mod apk;
pub mod apt;
pub mod crates;
pub mod gem;
pub mod git;
pub mod github;
pub mod gitlab;
pub mod go;
pub mod helm;
pub mod maven;
pub mod npm;
pub mod openpgp;
pub mod pypi;
pub mod terraform;

pub use backend::Backend;
pub use check::check;
pub use common::CommonFields;
pub use error::PackageError;
pub(crate) use fetcher::MAX_INDEX_BYTES;
pub use fetcher::{Fetcher, ParseExpiring, ParsePage};
pub use get::get;
pub(crate) use get::{is_commit_sha, SHOWN_NAME_CHARS};
pub use release::{utc_seconds, Release, ReleaseFile};
pub use schema::source_schema;
pub use select::candidates;
pub(crate) use source::Source;
pub use source::{common_fields, decode, is_package_source, PackageSource, Registration};
pub use tags::{tag_regex, tag_version};

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
