//! Newer versions of an image's installed packages: one pass over each apt / apk index for all of them.
//!
//! Bounds: an index file is read as a stream (downloaded into an unnamed temporary file while
//! hashed, then decompressed and read stanza by stanza: a line ≤ 64 KiB, a stanza ≤ 1 MiB, the
//! text ≤ 512 MiB), and reduced to name → newest version: ≤ 200,000 names and ≤ 16 MiB of names
//! and versions per index file ([`newest`]); one such map per repository and architecture is in
//! memory at a time.

pub(crate) mod own;

use super::{Fetcher, PackageError};
use crate::protocol::{UpdatesApk, UpdatesApt, UpdatesField};
use sha2::Digest as _;
use std::cmp::Ordering;

mod apk_index;
mod apt_index;
mod arch;
mod newest;
mod stanza;
mod stream;

use apk_index::ApkRepo;
use apt_index::AptRepo;
use newest::{compare, Cache, Newest};

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
    apt: Vec<AptRepo>,
    apk: Vec<ApkRepo>,
    fetcher: Fetcher,
    cache: Cache,
}

/// A field error of `source.updates.<list>[<index>]`.
fn entry_error(list: &str, index: usize, field: &str, detail: impl Into<String>) -> PackageError {
    let at = if field.is_empty() {
        format!("source.updates.{list}[{index}]")
    } else {
        format!("source.updates.{list}[{index}].{field}")
    };
    PackageError::Entry {
        field: at,
        detail: detail.into(),
    }
}

/// `repository` checked: an http(s) URL without credentials; without a trailing `/`.
fn repository_url(list: &str, index: usize, repository: &str) -> Result<String, PackageError> {
    let bad = |detail: String| entry_error(list, index, "repository", detail);
    let shown = crate::log::shown_name(repository, 100);
    let url = url::Url::parse(repository).map_err(|e| {
        bad(format!(
            "`{}` is not a URL: {e}",
            crate::net::redact_url(&shown)
        ))
    })?;
    if !matches!(url.scheme(), "http" | "https") || url.host().is_none() {
        return Err(bad(format!("`{shown}` is not an http(s) URL")));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad(
            "credentials in the URL are not read; none are sent".into()
        ));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad(format!("`{shown}` has a query or fragment")));
    }
    Ok(repository.trim_end_matches('/').to_string())
}

/// Whether `signed_by` or `insecure` is set: a repository that cannot be verified is refused.
fn require_trust(
    list: &str,
    index: usize,
    signed_by: Option<&str>,
    insecure: bool,
) -> Result<(), PackageError> {
    if signed_by.is_none() && !insecure {
        return Err(entry_error(
            list,
            index,
            "",
            "no signed_by: a repository that cannot be verified is refused (insecure: true reads it without a signature check)",
        ));
    }
    Ok(())
}

/// A short hash of a `signed_by` field, part of every cache key of what it verified.
fn key_id(text: &str) -> String {
    hex::encode(&sha2::Sha256::digest(text.as_bytes())[..8])
}

fn apt_repo(index: usize, e: &UpdatesApt) -> Result<AptRepo, PackageError> {
    require_trust("apt", index, e.signed_by.as_deref(), e.insecure)?;
    let root = repository_url("apt", index, &e.repository)?;
    let part = |field: &str, value: &str| {
        if super::apt::is_path_part(value) {
            Ok(value.to_string())
        } else {
            Err(entry_error(
                "apt",
                index,
                field,
                format!(
                    "`{}` is not a repository path part",
                    crate::log::shown_name(value, 60)
                ),
            ))
        }
    };
    let suite = part("suite", &e.suite)?;
    let component = part("component", e.component.as_deref().unwrap_or("main"))?;
    let keys = match &e.signed_by {
        Some(text) => {
            let keys = super::openpgp::keys(text)
                .map_err(|detail| entry_error("apt", index, "signed_by", detail))?;
            Some((keys, key_id(text)))
        }
        None => None,
    };
    Ok(AptRepo {
        root,
        suite,
        component,
        keys,
        check_valid_until: e.check_valid_until.unwrap_or(true),
    })
}

fn apk_repo(index: usize, e: &UpdatesApk) -> Result<ApkRepo, PackageError> {
    require_trust("apk", index, e.signed_by.as_deref(), e.insecure)?;
    let root = repository_url("apk", index, &e.repository)?;
    let keys = match &e.signed_by {
        Some(text) => {
            let keys = super::apk::signature::keys(text)
                .map_err(|detail| entry_error("apk", index, "signed_by", detail))?;
            Some((keys, key_id(text)))
        }
        None => None,
    };
    Ok(ApkRepo { root, keys })
}

/// The best candidate found so far for one installed package.
struct Candidate {
    version: String,
    repository: String,
}

impl Repositories {
    /// Checks `field` before any request: URLs, path parts, keys, `signed_by` or `insecure`.
    pub(crate) fn new(field: &UpdatesField) -> Result<Repositories, PackageError> {
        let apt = field
            .apt
            .iter()
            .enumerate()
            .map(|(i, e)| apt_repo(i, e))
            .collect::<Result<_, _>>()?;
        let apk = field
            .apk
            .iter()
            .enumerate()
            .map(|(i, e)| apk_repo(i, e))
            .collect::<Result<_, _>>()?;
        let fetcher = Fetcher::new(&super::CommonFields::default(), None)?;
        Ok(Repositories {
            apt,
            apk,
            fetcher,
            cache: Cache::default_dir(),
        })
    }

    /// Whether any repository is given for `manager`.
    pub(crate) fn serves(&self, manager: Manager) -> bool {
        match manager {
            Manager::Dpkg => !self.apt.is_empty(),
            Manager::Apk => !self.apk.is_empty(),
        }
    }

    /// The updates of `installed` (a `manager` database of an image for OCI platform
    /// `architecture` / `variant`), sorted by package name: for each package the newest
    /// version any repository has for its architecture (`all` / `noarch` / empty: the
    /// platform's), when newer than the installed one.
    pub(crate) fn updates(
        &self,
        manager: Manager,
        architecture: &str,
        variant: Option<&str>,
        installed: &[Package<'_>],
    ) -> Result<Vec<Update>, PackageError> {
        if installed.is_empty() {
            return Ok(Vec::new());
        }
        let native = arch::native(manager, architecture, variant).map_err(|detail| {
            PackageError::Malformed {
                url: "the image's platform".into(),
                detail,
            }
        })?;
        let index_archs: Vec<Option<&str>> = installed
            .iter()
            .map(|p| arch::index_for(p.architecture, native))
            .collect();
        let mut archs: Vec<&str> = vec![native];
        for a in index_archs.iter().flatten() {
            if !archs.contains(a) {
                archs.push(a);
            }
        }
        let mut best: Vec<Option<Candidate>> = installed.iter().map(|_| None).collect();
        let mut offer = |arch: &str, newest: &Newest, repository: &str| {
            for (i, p) in installed.iter().enumerate() {
                if index_archs[i] != Some(arch) {
                    continue;
                }
                let Some(v) = newest.versions.get(p.name) else {
                    continue;
                };
                let better = match &best[i] {
                    None => true,
                    Some(c) => compare(manager, v, &c.version) == Some(Ordering::Greater),
                };
                if better {
                    best[i] = Some(Candidate {
                        version: v.clone(),
                        repository: repository.to_string(),
                    });
                }
            }
        };
        match manager {
            Manager::Dpkg => {
                for repo in &self.apt {
                    let maps = repo.newest(&self.fetcher, &self.cache, &archs, native)?;
                    for (arch, newest) in archs.iter().zip(&maps) {
                        offer(arch, newest, &repo.display());
                    }
                }
            }
            Manager::Apk => {
                for repo in &self.apk {
                    for arch in &archs {
                        let newest = repo.newest(&self.fetcher, &self.cache, arch)?;
                        offer(arch, &newest, &repo.root);
                    }
                }
            }
        }
        Ok(newer(manager, installed, &index_archs, best))
    }
}

/// The candidates strictly newer than the installed versions, sorted by name then
/// architecture; versions that cannot be compared are skipped with one warning.
fn newer(
    manager: Manager,
    installed: &[Package<'_>],
    index_archs: &[Option<&str>],
    best: Vec<Option<Candidate>>,
) -> Vec<Update> {
    let mut out = Vec::new();
    let mut unreadable: Option<(String, usize)> = None;
    for ((p, arch), candidate) in installed.iter().zip(index_archs).zip(best) {
        let (Some(arch), Some(c)) = (arch, candidate) else {
            continue;
        };
        match compare(manager, &c.version, p.version) {
            Some(Ordering::Greater) => out.push(Update {
                package: p.name.to_string(),
                installed: p.version.to_string(),
                available: c.version,
                repository: c.repository,
                architecture: arch.to_string(),
            }),
            Some(_) => {}
            None => match &mut unreadable {
                Some((_, n)) => *n += 1,
                None => unreadable = Some((format!("{} {} / {}", p.name, p.version, c.version), 1)),
            },
        }
    }
    if let Some((first, n)) = unreadable {
        let order = match manager {
            Manager::Dpkg => "dpkg",
            Manager::Apk => "apk",
        };
        crate::log::warn(format_args!(
            "{n} installed package(s) not compared: a version not in {order}'s syntax (the first: `{}`)",
            crate::log::shown_name(&first, 100)
        ));
    }
    out.sort_by(|a, b| (&a.package, &a.architecture).cmp(&(&b.package, &b.architecture)));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn field(json: serde_json::Value) -> UpdatesField {
        serde_json::from_value(json).unwrap()
    }

    fn refused(json: serde_json::Value) -> String {
        match Repositories::new(&field(json)) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("accepted"),
        }
    }

    #[test]
    fn entries_are_checked_before_any_request() {
        let ok = serde_json::json!({"repository": "http://deb.example/debian", "suite": "bookworm", "insecure": true});
        let r = Repositories::new(&field(serde_json::json!({"apt": [ok.clone()]}))).unwrap();
        assert!(r.serves(Manager::Dpkg) && !r.serves(Manager::Apk));
        assert_eq!(
            refused(serde_json::json!({"apt": [ok, {"repository": "http://x/debian", "suite": "bookworm"}]})),
            "source.updates.apt[1]: no signed_by: a repository that cannot be verified is refused (insecure: true reads it without a signature check)"
        );
        assert_eq!(
            refused(serde_json::json!({"apk": [{"repository": "https://x/alpine"}]})),
            "source.updates.apk[0]: no signed_by: a repository that cannot be verified is refused (insecure: true reads it without a signature check)"
        );
        assert!(refused(serde_json::json!({"apt": [{"repository": "ftp://x/debian", "suite": "s", "insecure": true}]}))
            .starts_with("source.updates.apt[0].repository: `ftp://x/debian` is not an http(s) URL"));
        assert!(refused(serde_json::json!({"apt": [{"repository": "https://u:secret@x/debian", "suite": "s", "insecure": true}]}))
            .starts_with("source.updates.apt[0].repository: credentials"));
        assert_eq!(
            refused(
                serde_json::json!({"apt": [{"repository": "https://x/debian", "suite": "../s", "insecure": true}]})
            ),
            "source.updates.apt[0].suite: `../s` is not a repository path part"
        );
        assert!(refused(serde_json::json!({"apt": [{"repository": "https://x/d", "suite": "s", "component": "a b", "insecure": true}]}))
            .starts_with("source.updates.apt[0].component:"));
        assert!(refused(serde_json::json!({"apt": [{"repository": "https://x/d", "suite": "s", "signed_by": "not a key"}]}))
            .starts_with("source.updates.apt[0].signed_by:"));
        assert!(refused(
            serde_json::json!({"apk": [{"repository": "https://x/a", "signed_by": "not a key"}]})
        )
        .starts_with("source.updates.apk[0].signed_by: no PEM"));
    }

    fn candidate(v: &str) -> Option<Candidate> {
        Some(Candidate {
            version: v.into(),
            repository: "r".into(),
        })
    }

    #[test]
    fn only_strictly_newer_candidates_are_updates_sorted_by_name() {
        let p = |name, version, architecture| Package {
            name,
            version,
            architecture,
        };
        let installed = [
            p("zlib1g", "1:1.2.13.dfsg-1", "amd64"),
            p("libc6", "2.36-9", "i386"),
            p("libc6", "2.36-9", "amd64"),
            p("held", "1.0", "amd64"),
            p("same", "1.0-1", "all"),
            p("bad", "not a version!", "amd64"),
            p("local", "2.0", "amd64"),
        ];
        let archs = [
            Some("amd64"),
            Some("i386"),
            Some("amd64"),
            Some("amd64"),
            Some("amd64"),
            Some("amd64"),
            Some("amd64"),
        ];
        let best = vec![
            candidate("1:1.2.13.dfsg-1+deb12u1"),
            candidate("2.36-9+deb12u9"),
            candidate("2.36-9+deb12u9"),
            None,
            candidate("1.0-1"),
            candidate("1.0"),
            candidate("1.9"),
        ];
        let got = newer(Manager::Dpkg, &installed, &archs, best);
        let names: Vec<_> = got
            .iter()
            .map(|u| (u.package.as_str(), u.architecture.as_str()))
            .collect();
        assert_eq!(
            names,
            [("libc6", "amd64"), ("libc6", "i386"), ("zlib1g", "amd64")]
        );
        assert_eq!(got[2].available, "1:1.2.13.dfsg-1+deb12u1");
        let apk = newer(
            Manager::Apk,
            &[p("openssl", "3.3.2-r0", "x86_64")],
            &[Some("x86_64")],
            vec![candidate("3.3.2-r1")],
        );
        assert_eq!(apk[0].available, "3.3.2-r1");
    }
}
