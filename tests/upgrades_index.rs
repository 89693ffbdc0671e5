//! `source.updates`' index side against real repositories on loopback: an apt suite built by
//! `dpkg-deb` and `apt-ftparchive` and clear-signed by `gpg`, an `APKINDEX.tar.gz` signed by
//! `openssl` as `abuild-sign` signs it; requests counted by the server. One pass per index for
//! all installed packages; an unchanged `InRelease` / `APKINDEX` costs one request.

use crate::apk_trust::{gz, key, signed, tar_entry};
use crate::distro_packages::{deb, gpg, sh as tool};
use crate::support::fake::{serve_requests, Reply};
use crate::support::layers::{layer, media_type, Compression, Entry};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::Seeder;
use crate::support::{run_env, Bin};
use serde_json::{json, Value};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A static file server on loopback that logs each request (`<status> <path>`); with `validators` it sends
/// an `ETag` (the file's SHA-256) and answers a matching `If-None-Match` with 304.
struct Files {
    port: u16,
    log: Arc<Mutex<Vec<String>>>,
}

impl Files {
    fn serve(root: &Path, validators: bool) -> Files {
        let root = root.to_path_buf();
        let log = Arc::new(Mutex::new(Vec::new()));
        let seen = log.clone();
        let port = serve_requests(0, move |r| {
            let reply = match std::fs::read(root.join(r.path.trim_start_matches('/'))) {
                Err(_) => Reply::new(404, "not found"),
                Ok(body) if !validators => Reply::new(200, body),
                Ok(body) => {
                    let etag = format!("\"{}\"", sha256_hex(&body));
                    if r.header("If-None-Match") == Some(etag.as_str()) {
                        Reply::new(304, "").header("ETag", &etag)
                    } else {
                        Reply::new(200, body).header("ETag", &etag)
                    }
                }
            };
            seen.lock()
                .unwrap()
                .push(format!("{} {}", reply.status, r.path));
            reply
        });
        Files { port, log }
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    /// The requests since the last call (`<status> <path>`).
    fn take(&self) -> Vec<String> {
        std::mem::take(&mut *self.log.lock().unwrap())
    }
}

/// The updates `source.updates` = `field` finds for an image whose `manager` database (`dpkg`
/// or `apk`) lists `installed` (name, version, architecture) on OCI `platform`, through the real
/// binaries: `check`, then `in` for `updates.json`, with `cache` as their `TMPDIR` (what a reused
/// check container keeps). Each update as `[package, installed, available, repository,
/// architecture]`, or the error line. `files` keeps only the requests `check` made.
fn updates(
    files: &Files,
    field: &str,
    manager: &str,
    platform: (&str, Option<&str>),
    installed: &[(&str, &str, &str)],
    cache: &Path,
) -> Result<Vec<[String; 5]>, String> {
    let reg = TestRegistry::start(Mode::Plain);
    let (path, database) = if manager == "apk" {
        let text: String = installed
            .iter()
            .map(|(n, v, a)| format!("P:{n}\nV:{v}\nA:{a}\n\n"))
            .collect();
        ("lib/apk/db/installed", text)
    } else {
        let text: String = installed
            .iter()
            .map(|(n, v, a)| {
                format!("Package: {n}\nStatus: install ok installed\nArchitecture: {a}\nVersion: {v}\n\n")
            })
            .collect();
        ("var/lib/dpkg/status", text)
    };
    let bytes = layer(
        &[Entry::File(path, database.as_bytes(), 0o644)],
        Compression::Gzip,
    );
    let config = json!({"architecture": platform.0, "variant": platform.1});
    Seeder::new(&reg).layered(
        "image",
        "latest",
        &[(bytes, media_type(Compression::Gzip))],
        config,
    );
    let field: Value = serde_json::from_str(field).unwrap();
    let source = reg.source("image", json!({"tag": "latest", "updates": field}));
    let env = [("TMPDIR", cache.to_str().unwrap())];
    let run = |bin, request: &Value, args: &[&str]| run_env(bin, &request.to_string(), args, &env);
    let checked = run(Bin::Check, &json!({"source": source}), &[]);
    if checked.code != 0 {
        let line = checked.fails();
        return Err(line.trim_start_matches("error: ").to_string());
    }
    let versions = checked.succeeds();
    let Some(version) = versions.as_array().and_then(|v| v.first()) else {
        return Ok(Vec::new());
    };
    let seen = files.take();
    let dest = tempfile::tempdir().unwrap();
    let dest_arg = dest.path().to_str().unwrap();
    run(
        Bin::In,
        &json!({"source": source, "version": version}),
        &[dest_arg],
    )
    .succeeds();
    files.take();
    files.log.lock().unwrap().extend(seen);
    let list: Vec<Value> =
        serde_json::from_slice(&std::fs::read(dest.path().join("updates.json")).unwrap()).unwrap();
    Ok(list
        .iter()
        .map(|u| {
            [
                "package",
                "installed",
                "available",
                "repository",
                "architecture",
            ]
            .map(|k| u[k].as_str().unwrap_or_default().to_string())
        })
        .collect())
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    hex::encode(sha2::Sha256::digest(bytes))
}

/// `dists/<suite>/main/binary-<arch>/Packages.xz` for each of `archs` by `apt-ftparchive` and
/// `xz`, and the suite's `Release` listing them.
fn suite(archive: &Path, suite: &str, archs: &[&str]) {
    for arch in archs {
        let dir = archive.join(format!("dists/{suite}/main/binary-{arch}"));
        std::fs::create_dir_all(&dir).unwrap();
        let packages = tool(
            archive,
            "apt-ftparchive",
            &["--arch", arch, "packages", "pool"],
        );
        std::fs::write(dir.join("Packages"), packages).unwrap();
        tool(&dir, "xz", &["Packages"]);
    }
    // `binary-all` as Debian has it since bullseye: packages for every architecture.
    let all = archive.join(format!("dists/{suite}/main/binary-all"));
    std::fs::create_dir_all(&all).unwrap();
    std::fs::write(
        all.join("Packages"),
        "Package: only-in-all\nVersion: 2.0-1\nArchitecture: all\n\n",
    )
    .unwrap();
    tool(&all, "xz", &["Packages"]);
    let release = tool(
        archive,
        "apt-ftparchive",
        &[
            "-o",
            &format!("APT::FTPArchive::Release::Suite={suite}"),
            "-o",
            "APT::FTPArchive::Release::Components=main",
            "release",
            &format!("dists/{suite}"),
        ],
    );
    std::fs::write(archive.join(format!("dists/{suite}/Release")), release).unwrap();
}

/// An apt archive under `root/debian` with suite `bookworm-security` (amd64, i386; Packages.xz),
/// its Release clear-signed into `InRelease` by a new gpg key; the key's home and armored public part.
fn apt_archive(root: &Path) -> (tempfile::TempDir, String) {
    let archive = root.join("debian");
    for (name, version, arch) in [
        ("openssl", "3.0.15-1~deb12u1", "amd64"),
        ("openssl", "3.0.11-1~deb12u2", "amd64"),
        ("tzdata", "2024b-0+deb12u1", "all"),
        ("libc6", "2.36-9+deb12u9", "i386"),
        ("libc6", "2.36-9+deb12u9", "amd64"),
        ("same", "1.0-1", "amd64"),
    ] {
        deb(&archive, name, version, arch);
    }
    suite(&archive, "bookworm-security", &["amd64", "i386"]);
    let home = tempfile::tempdir().unwrap();
    gpg(
        home.path(),
        &[
            "--quick-gen-key",
            "uptick updates <u@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let public = String::from_utf8(gpg(home.path(), &["--armor", "--export"])).unwrap();
    let dists = archive.join("dists/bookworm-security");
    gpg(
        home.path(),
        &[
            "--clearsign",
            "-o",
            dists.join("InRelease").to_str().unwrap(),
            dists.join("Release").to_str().unwrap(),
        ],
    );
    std::fs::remove_file(dists.join("Release")).unwrap();
    (home, public)
}

const INSTALLED_DEB: &[(&str, &str, &str)] = &[
    ("openssl", "3.0.11-1~deb12u2", "amd64"),
    ("tzdata", "2024a-0+deb12u1", "all"),
    ("libc6", "2.36-9", "i386"),
    ("libc6", "2.36-9+deb12u9", "amd64"),
    ("same", "1.0-1", "amd64"),
    ("held-local", "0.1", "amd64"),
    ("only-in-all", "1.0-1", "all"),
];

fn apt_field(files: &Files, signed_by: &str) -> String {
    serde_json::json!({"apt": [{
        "repository": files.url("/debian"),
        "suite": "bookworm-security",
        "signed_by": signed_by,
    }]})
    .to_string()
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry)"
)]
fn apt_one_pass_finds_newer_versions_and_an_unchanged_inrelease_costs_one_request() {
    let root = tempfile::tempdir().unwrap();
    let (_home, public) = apt_archive(root.path());
    for validators in [true, false] {
        let files = Files::serve(root.path(), validators);
        let cache = tempfile::tempdir().unwrap();
        let field = apt_field(&files, &public);
        let got = updates(
            &files,
            &field,
            "dpkg",
            ("amd64", None),
            INSTALLED_DEB,
            cache.path(),
        )
        .unwrap();
        let repo = format!("{} bookworm-security/main", files.url("/debian"));
        let row = |p: &str, i: &str, a: &str, arch: &str| {
            [p, i, a, repo.as_str(), arch].map(str::to_string)
        };
        assert_eq!(
            got,
            [
                row("libc6", "2.36-9", "2.36-9+deb12u9", "i386"),
                row("only-in-all", "1.0-1", "2.0-1", "amd64"),
                row("openssl", "3.0.11-1~deb12u2", "3.0.15-1~deb12u1", "amd64"),
                row("tzdata", "2024a-0+deb12u1", "2024b-0+deb12u1", "amd64"),
            ],
            "validators: {validators}"
        );
        // One pass: the InRelease, and each index once.
        let mut first = files.take();
        first.sort();
        assert_eq!(
            first,
            [
                "200 /debian/dists/bookworm-security/InRelease",
                "200 /debian/dists/bookworm-security/main/binary-all/Packages.xz",
                "200 /debian/dists/bookworm-security/main/binary-amd64/Packages.xz",
                "200 /debian/dists/bookworm-security/main/binary-i386/Packages.xz",
            ],
            "validators: {validators}"
        );
        // Unchanged (a 304, or the same Release naming the same index hashes): one request.
        let again = updates(
            &files,
            &field,
            "dpkg",
            ("amd64", None),
            INSTALLED_DEB,
            cache.path(),
        )
        .unwrap();
        assert_eq!(again, got);
        let status = if validators { 304 } else { 200 };
        assert_eq!(
            files.take(),
            [format!(
                "{status} /debian/dists/bookworm-security/InRelease"
            )],
            "validators: {validators}"
        );
    }
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry)"
)]
fn apt_an_index_that_misses_its_hash_or_a_release_not_signed_by_the_keys_is_refused() {
    let root = tempfile::tempdir().unwrap();
    let (_home, public) = apt_archive(root.path());
    let files = Files::serve(root.path(), true);
    // Read once without signed_by (insecure): the state it keeps is not used with signed_by.
    let insecure = serde_json::json!({"apt": [{
        "repository": files.url("/debian"), "suite": "bookworm-security", "insecure": true,
    }]})
    .to_string();
    let cache = tempfile::tempdir().unwrap();
    let got = updates(
        &files,
        &insecure,
        "dpkg",
        ("amd64", None),
        INSTALLED_DEB,
        cache.path(),
    )
    .unwrap();
    assert_eq!(got.len(), 4);
    let other_home = tempfile::tempdir().unwrap();
    gpg(
        other_home.path(),
        &[
            "--quick-gen-key",
            "other <o@example.org>",
            "ed25519",
            "sign",
            "never",
        ],
    );
    let other = String::from_utf8(gpg(other_home.path(), &["--armor", "--export"])).unwrap();
    let e = updates(
        &files,
        &apt_field(&files, &other),
        "dpkg",
        ("amd64", None),
        INSTALLED_DEB,
        cache.path(),
    )
    .unwrap_err();
    assert!(
        e.starts_with(&format!(
            "{}: signature: ",
            files.url("/debian/dists/bookworm-security/InRelease")
        )) && e.contains("not trusting it (signed_by)"),
        "{e}"
    );
    // The index changed after the Release was signed: refused, naming it (fresh cache).
    let xz = root
        .path()
        .join("debian/dists/bookworm-security/main/binary-amd64/Packages.xz");
    let mut bytes = std::fs::read(&xz).unwrap();
    bytes.push(0);
    std::fs::write(&xz, bytes).unwrap();
    let fresh = tempfile::tempdir().unwrap();
    let e = updates(
        &files,
        &apt_field(&files, &public),
        "dpkg",
        ("amd64", None),
        INSTALLED_DEB,
        fresh.path(),
    )
    .unwrap_err();
    let url = files.url("/debian/dists/bookworm-security/main/binary-amd64/Packages.xz");
    assert!(e.starts_with(&format!("{url}: SHA256 ")), "{e}");
    assert!(e.contains("not trusting it"), "{e}");
    // An unknown platform, before any request.
    files.take();
    let e = updates(
        &files,
        &apt_field(&files, &public),
        "dpkg",
        ("wasm", None),
        INSTALLED_DEB,
        fresh.path(),
    )
    .unwrap_err();
    assert!(
        e.contains("platform `wasm` has no Debian architecture"),
        "{e}"
    );
    assert!(files.take().is_empty());
}

/// `index` as a signed `APKINDEX.tar.gz` (`abuild-sign`: SHA-256 signature tar in front).
fn signed_apkindex(dir: &Path, index: &str, private: &str) -> Vec<u8> {
    let mut tar = tar_entry("DESCRIPTION", b"v3.20.3");
    tar.extend(tar_entry("APKINDEX", index.as_bytes()));
    tar.extend([0u8; 1024]);
    signed(dir, &gz(&tar), private, "sha256", "RSA256")
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn apk_one_pass_finds_newer_versions_and_an_unchanged_index_costs_one_request() {
    let keys = tempfile::tempdir().unwrap();
    let (private, public) = key(keys.path(), "good");
    let (_, other) = key(keys.path(), "other");
    let root = tempfile::tempdir().unwrap();
    let dir = root.path().join("v3.20/main/x86_64");
    std::fs::create_dir_all(&dir).unwrap();
    let index = "C:Q1=\nP:openssl\nV:3.3.2-r1\nA:x86_64\n\nP:openssl\nV:3.3.2-r0\nA:x86_64\n\nP:tzdata\nV:2024b-r0\nA:noarch\n\nP:musl\nV:1.2.5-r0\nA:x86_64\n\n";
    std::fs::write(
        dir.join("APKINDEX.tar.gz"),
        signed_apkindex(keys.path(), index, &private),
    )
    .unwrap();
    let installed = [
        ("openssl", "3.3.2-r0", "x86_64"),
        ("tzdata", "2024a-r0", "noarch"),
        ("musl", "1.2.5-r0", "x86_64"),
        ("local-tool", "1.0-r0", "x86_64"),
    ];
    for validators in [true, false] {
        let files = Files::serve(root.path(), validators);
        let field = |k: &str| {
            serde_json::json!({"apk": [{"repository": files.url("/v3.20/main"), "signed_by": k}]})
                .to_string()
        };
        let cache = tempfile::tempdir().unwrap();
        let got = updates(
            &files,
            &field(&public),
            "apk",
            ("amd64", None),
            &installed,
            cache.path(),
        )
        .unwrap();
        let repo = files.url("/v3.20/main");
        let row =
            |p: &str, i: &str, a: &str| [p, i, a, repo.as_str(), "x86_64"].map(str::to_string);
        assert_eq!(
            got,
            [
                row("openssl", "3.3.2-r0", "3.3.2-r1"),
                row("tzdata", "2024a-r0", "2024b-r0")
            ]
        );
        assert_eq!(files.take(), ["200 /v3.20/main/x86_64/APKINDEX.tar.gz"]);
        let again = updates(
            &files,
            &field(&public),
            "apk",
            ("amd64", None),
            &installed,
            cache.path(),
        )
        .unwrap();
        assert_eq!(again, got);
        // Unchanged: a 304 with validators; the same body (its reduction kept) without.
        let status = if validators { 304 } else { 200 };
        assert_eq!(
            files.take(),
            [format!("{status} /v3.20/main/x86_64/APKINDEX.tar.gz")]
        );
        // The same index with a key that did not sign it: refused, the kept reduction unused.
        let e = updates(
            &files,
            &field(&other),
            "apk",
            ("amd64", None),
            &installed,
            cache.path(),
        )
        .unwrap_err();
        assert!(
            e.starts_with(&format!(
                "{}: signature: no signature (by RSA256 test.rsa.pub) verifies",
                files.url("/v3.20/main/x86_64/APKINDEX.tar.gz")
            )),
            "{e}"
        );
    }
}
