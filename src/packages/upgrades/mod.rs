//! Newer versions of an image's installed packages: one pass over each apt / apk index for all of them.
//!
//! INTERFACE ONLY (session 8): the lead's image side calls this; a helper implements it.

pub(crate) mod own;

use super::PackageError;
use crate::protocol::UpdatesField;

/// Whose database the installed packages come from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Manager {
    /// dpkg: compared with `updates.apt`, in dpkg order.
    Dpkg,
    /// apk: compared with `updates.apk`, in apk order.
    Apk,
}

/// One installed package as the image's database has it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Package<'a> {
    /// Binary package name.
    pub name: &'a str,
    /// Installed version.
    pub version: &'a str,
    /// Its architecture as the database spells it (`amd64`, `all`, `x86_64`, `noarch`); may be empty.
    pub architecture: &'a str,
}

/// An installed package with a newer version in a repository.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub(crate) struct Update {
    /// Binary package name.
    pub package: String,
    /// Installed version.
    pub installed: String,
    /// The newest version the repositories have.
    pub available: String,
    /// Where (`http://deb.debian.org/debian-security bookworm-security/main`).
    pub repository: String,
    /// The index architecture it was found for (`amd64`, `x86_64`).
    pub architecture: String,
}

/// The repositories of `source.updates`, validated.
pub(crate) struct Repositories {
    _field: UpdatesField,
}

impl Repositories {
    /// Checks `field` before any request: URLs, path parts, keys, `signed_by` or `insecure`.
    pub(crate) fn new(field: &UpdatesField) -> Result<Repositories, PackageError> {
        Ok(Repositories {
            _field: field.clone(),
        })
    }

    /// Whether any repository is given for `manager`.
    pub(crate) fn serves(&self, manager: Manager) -> bool {
        match manager {
            Manager::Dpkg => !self._field.apt.is_empty(),
            Manager::Apk => !self._field.apk.is_empty(),
        }
    }

    /// The updates of `installed` (a `manager` database of an image for OCI platform
    /// `architecture` / `variant`), sorted by package name: for each package the newest
    /// version any repository has for its architecture (`all` / `noarch` / empty: the
    /// platform's), when newer than the installed one.
    pub(crate) fn updates(
        &self,
        _manager: Manager,
        _architecture: &str,
        _variant: Option<&str>,
        _installed: &[Package<'_>],
    ) -> Result<Vec<Update>, PackageError> {
        Err(PackageError::Invalid {
            field: "source.updates",
            detail: "not implemented yet".into(),
        })
    }
}
