//! `source.updates`: an image is stale while a package installed in it has a newer version in a
//! repository. Images are pushed to a real registry; apt repositories are built by Debian's own
//! tools and signed by gpg, apk indexes signed as `abuild-sign` signs them, all served over
//! loopback.

use crate::apk_trust::{gz, key, signed, tar_entry};
use crate::distro_packages::{clearsign, deb, gpg, gpg_key, suite};
use crate::support::layers::{layer, media_type, Compression, Entry};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use crate::support::servers;
use crate::support::{check, get};
use serde_json::{json, Value};
use std::path::Path;

/// A dpkg `status` stanza of an installed package.
fn stanza(name: &str, version: &str, arch: &str) -> String {
    format!(
        "Package: {name}\nStatus: install ok installed\nPriority: optional\nArchitecture: {arch}\n\
         Maintainer: Test <test@example.org>\nVersion: {version}\nDescription: a package\n\n"
    )
}

fn status(packages: &[(&str, &str, &str)]) -> String {
    packages.iter().map(|(n, v, a)| stanza(n, v, a)).collect()
}

/// A gzip layer holding `files`.
fn files_layer(files: &[(&str, &str)]) -> (Vec<u8>, &'static str) {
    let entries: Vec<Entry> = files
        .iter()
        .map(|(p, c)| Entry::File(p, c.as_bytes(), 0o644))
        .collect();
    (
        layer(&entries, Compression::Gzip),
        media_type(Compression::Gzip),
    )
}

/// An apt repository tree with suite `suite` holding `packages` (name, version, arch), its
/// InRelease clear-signed by a fresh Ed25519 key; the key's armored public part.
fn apt_repo(
    root: &Path,
    suite_name: &str,
    packages: &[(&str, &str, &str)],
    archs: &[&str],
) -> String {
    apt_repo_keyed(root, suite_name, packages, archs).1
}

/// Like [`apt_repo`]; also the key's binary export (a keyring as Debian ships them).
fn apt_repo_keyed(
    root: &Path,
    suite_name: &str,
    packages: &[(&str, &str, &str)],
    archs: &[&str],
) -> (Vec<u8>, String) {
    let _ = std::fs::remove_dir_all(root.join("pool"));
    let _ = std::fs::remove_dir_all(root.join("dists").join(suite_name));
    for (n, v, a) in packages {
        deb(root, n, v, a);
    }
    suite(root, suite_name, "pool", archs, &["xz"], false);
    let (home, public) = gpg_key("ed25519");
    clearsign(root, suite_name, home.path());
    (gpg(home.path(), &["--export"]), public)
}

fn apt_entry(port: u16, suite: &str, key: &str) -> Value {
    json!({"repository": format!("http://127.0.0.1:{port}"), "suite": suite, "signed_by": key})
}

fn source(reg: &TestRegistry, repo: &str, updates: Value) -> Value {
    reg.source(
        repo,
        json!({"tag": "latest", "updates": updates, "debug": true}),
    )
}

/// `sha256:` of the `name=installed->available` lines, as the version's `updates` is made.
fn list_hash(lines: &[&str]) -> String {
    let mut sorted: Vec<String> = lines.iter().map(|l| format!("{l}\n")).collect();
    sorted.sort();
    sha256(sorted.concat().as_bytes())
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry python3)"
)]
fn a_dpkg_image_is_stale_while_its_repository_has_newer_versions() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo_dir = tempfile::tempdir().unwrap();
    let installed = [
        ("openssl", "3.0.11-1~deb12u2", "amd64"),
        ("zlib1g", "1:1.2.13.dfsg-1", "amd64"),
        ("tzdata", "2024a-0+deb12u1", "all"),
        ("locally-built", "1.0", "amd64"),
    ];
    let os = files_layer(&[("var/lib/dpkg/status", &status(&installed))]);
    let app = files_layer(&[("srv/app", "1")]);
    seeder.layered("app", "latest", &[os.clone(), app.clone()], json!({}));
    let key = apt_repo(
        repo_dir.path(),
        "bookworm-security",
        &[
            ("openssl", "3.0.13-1~deb12u1", "amd64"),
            ("openssl", "3.0.9-1", "amd64"),
            ("zlib1g", "1:1.2.13.dfsg-1", "amd64"),
            ("tzdata", "2025a-0+deb12u1", "all"),
            ("libother", "9.9", "amd64"),
        ],
        &["amd64"],
    );
    let server = servers::static_files(repo_dir.path());
    let updates = json!({"apt": [apt_entry(server.port, "bookworm-security", &key)]});
    let request = |version: Value, updates: &Value| json!({"source": source(&reg, "app", updates.clone()), "version": version});

    // Two updates (an `all` package counts); zlib1g is current, locally-built has no candidate.
    let run = check(&request(Value::Null, &updates));
    let versions = run.succeeds();
    let expected = list_hash(&[
        "openssl=3.0.11-1~deb12u2->3.0.13-1~deb12u1",
        "tzdata=2024a-0+deb12u1->2025a-0+deb12u1",
    ]);
    assert_eq!(versions.as_array().unwrap().len(), 1, "{}", run.stderr);
    assert_eq!(versions[0]["updates"], expected, "{}", run.stderr);
    assert_eq!(versions[0]["tag"], "latest");
    assert!(
        run.stderr.contains("2 package update(s): openssl, tzdata"),
        "{}",
        run.stderr
    );
    // The database layer was downloaded once; the app layer above it was read for whiteouts.
    let layer_gets = |run: &crate::support::Run| {
        [&os.0, &app.0]
            .iter()
            .map(|b| run.requests("GET", &sha256(b)))
            .sum::<usize>()
    };
    assert_eq!(layer_gets(&run), 2, "{:?}", run.request_lines());

    // Still stale for the same reasons: the same version, and no layer downloaded again.
    let again = check(&request(versions[0].clone(), &updates));
    assert_eq!(again.succeeds(), versions);
    assert_eq!(layer_gets(&again), 0, "{:?}", again.request_lines());
    // Another image on the same base layer: only its own layer is downloaded.
    let other_app = files_layer(&[("srv/other", "2")]);
    seeder.layered(
        "other",
        "latest",
        &[os.clone(), other_app.clone()],
        json!({}),
    );
    let other = check(&json!({"source": source(&reg, "other", updates.clone())}));
    assert_eq!(other.succeeds()[0]["updates"], expected, "{}", other.stderr);
    assert_eq!(
        other.requests("GET", &sha256(&os.0)),
        0,
        "{:?}",
        other.request_lines()
    );
    assert_eq!(other.requests("GET", &sha256(&other_app.0)), 1);

    // With `base` too: fresh by its base (the same layer), stale by its packages: the version
    // carries both.
    seeder.layered("base", "12", std::slice::from_ref(&os), json!({}));
    let mut both = source(&reg, "app", updates.clone());
    both["base"] = json!(reg.repo("base") + ":12");
    let run = check(&json!({"source": both}));
    let v = run.succeeds();
    assert!(run.stderr.contains("is fresh"), "{}", run.stderr);
    assert_eq!(v[0]["updates"], expected, "{}", run.stderr);
    assert!(
        v[0]["base_digest"].as_str().unwrap().starts_with("sha256:"),
        "{v}"
    );

    // Filters: only openssl compared.
    let only = json!({"apt": updates["apt"], "include_regex": "^openssl$"});
    let filtered = check(&request(Value::Null, &only)).succeeds();
    assert_eq!(
        filtered[0]["updates"],
        list_hash(&["openssl=3.0.11-1~deb12u2->3.0.13-1~deb12u1"])
    );
    let none = json!({"apt": updates["apt"], "exclude_regex": "^(openssl|tzdata)$"});
    assert_eq!(check(&request(Value::Null, &none)).succeeds(), json!([]));

    // `in` says what is out of date, without downloading the image.
    let dest = tempfile::tempdir().unwrap();
    let got = get(&request(versions[0].clone(), &updates), dest.path()).succeeds();
    let list: Value =
        serde_json::from_slice(&std::fs::read(dest.path().join("updates.json")).unwrap()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 2, "{list}");
    assert_eq!(list[0]["package"], "openssl");
    assert_eq!(list[0]["installed"], "3.0.11-1~deb12u2");
    assert_eq!(list[0]["available"], "3.0.13-1~deb12u1");
    assert_eq!(list[0]["architecture"], "amd64");
    assert!(list[0]["repository"]
        .as_str()
        .unwrap()
        .contains("bookworm-security"));
    assert_eq!(
        std::fs::read_to_string(dest.path().join("stale")).unwrap(),
        "true"
    );
    assert!(!dest.path().join("rootfs").exists());
    let meta = |name: &str| {
        got["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .find(|m| m["name"] == name)
            .map(|m| m["value"].clone())
    };
    assert_eq!(meta("updates"), Some(json!("2")));
    assert_eq!(meta("updated"), Some(json!("openssl, tzdata")));

    // Rebuilt on the new versions: fresh, no new version (the cursor is kept).
    let rebuilt = status(&[
        ("openssl", "3.0.13-1~deb12u1", "amd64"),
        ("zlib1g", "1:1.2.13.dfsg-1", "amd64"),
        ("tzdata", "2025a-0+deb12u1", "all"),
        ("locally-built", "1.0", "amd64"),
    ]);
    seeder.layered(
        "app",
        "latest",
        &[
            files_layer(&[("var/lib/dpkg/status", &rebuilt)]),
            app.clone(),
        ],
        json!({}),
    );
    let fresh = check(&request(versions[0].clone(), &updates));
    assert_eq!(fresh.succeeds(), json!([versions[0]]), "{}", fresh.stderr);
    assert_eq!(check(&request(Value::Null, &updates)).succeeds(), json!([]));
    drop(server);
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry python3)"
)]
fn distroless_status_d_on_every_platform_of_a_multi_arch_image() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo_dir = tempfile::tempdir().unwrap();
    let key = apt_repo(
        repo_dir.path(),
        "bookworm",
        &[
            ("libc6", "2.36-9+deb12u9", "amd64"),
            ("libc6", "2.36-9+deb12u4", "arm64"),
            ("base-files", "12.4+deb12u9", "amd64"),
            ("base-files", "12.4+deb12u9", "arm64"),
        ],
        &["amd64", "arm64"],
    );
    let server = servers::static_files(repo_dir.path());
    let child = |arch: &str| {
        let libc = stanza("libc6", "2.36-9+deb12u4", arch);
        let base = stanza("base-files", "12.4+deb12u9", arch);
        let pushed = seeder.layered(
            "distroless",
            &format!("latest-{arch}"),
            &[files_layer(&[
                ("var/lib/dpkg/status.d/libc6", &libc),
                ("var/lib/dpkg/status.d/libc6.md5sums", "not a stanza"),
                ("var/lib/dpkg/status.d/base-files", &base),
            ])],
            json!({"architecture": arch}),
        );
        pushed
    };
    let (amd, arm) = (child("amd64"), child("arm64"));
    seeder.index(
        "distroless",
        "latest",
        &[
            (json!({"os": "linux", "architecture": "amd64"}), &amd),
            (json!({"os": "linux", "architecture": "arm64"}), &arm),
        ],
    );
    let updates = json!({"apt": [apt_entry(server.port, "bookworm", &key)]});
    let request = json!({"source": source(&reg, "distroless", updates)});
    // amd64's libc6 has an update; arm64's index has nothing newer.
    let run = check(&request);
    let versions = run.succeeds();
    assert_eq!(
        versions[0]["updates"],
        list_hash(&["libc6=2.36-9+deb12u4->2.36-9+deb12u9"]),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("/var/lib/dpkg/status.d"),
        "{}",
        run.stderr
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": request["source"], "version": versions[0]}),
        dest.path(),
    )
    .succeeds();
    let list: Value =
        serde_json::from_slice(&std::fs::read(dest.path().join("updates.json")).unwrap()).unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1, "{list}");
    assert_eq!(list[0]["architecture"], "amd64");
    drop(server);
}

/// An `APKINDEX.tar.gz` listing `packages` (name, version) for `arch`, unsigned.
fn apk_index(packages: &[(&str, &str)], arch: &str) -> Vec<u8> {
    let text: String = packages
        .iter()
        .map(|(n, v)| {
            format!("C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:{n}\nV:{v}\nA:{arch}\nS:1024\nI:4096\nT:{n}\n\n")
        })
        .collect();
    let mut tar = tar_entry("DESCRIPTION", b"v3.20.3-0-g0000000");
    tar.extend(tar_entry("APKINDEX", text.as_bytes()));
    tar.extend([0u8; 1024]);
    gz(&tar)
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl, uptick_has_python3)),
    ignore = "needs docker-registry; openssl; python3 (apt-get install docker-registry openssl python3)"
)]
fn an_apk_image_against_a_signed_index_and_one_signed_by_another_key() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let dir = tempfile::tempdir().unwrap();
    let installed = "P:musl\nV:1.2.5-r0\nA:x86_64\n\nP:libcrypto3\nV:3.3.2-r0\nA:x86_64\n\nP:mine\nV:1-r0\nA:x86_64\n\n";
    seeder.layered(
        "alpine-app",
        "latest",
        &[files_layer(&[
            ("lib/apk/db/installed", installed),
            ("etc/alpine-release", "3.20.3"),
        ])],
        json!({}),
    );
    let (private, public) = key(dir.path(), "test");
    let (_, other_public) = key(dir.path(), "other");
    let unsigned = apk_index(
        &[("musl", "1.2.5-r0"), ("libcrypto3", "3.3.2-r1")],
        "x86_64",
    );
    let root = dir.path().join("repo");
    std::fs::create_dir_all(root.join("x86_64")).unwrap();
    std::fs::write(
        root.join("x86_64/APKINDEX.tar.gz"),
        signed(dir.path(), &unsigned, &private, "sha256", "RSA256"),
    )
    .unwrap();
    let server = servers::static_files(&root);
    let entry = |key: &str| json!({"apk": [{"repository": format!("http://127.0.0.1:{}", server.port), "signed_by": key}]});
    let run = check(&json!({"source": source(&reg, "alpine-app", entry(&public))}));
    assert_eq!(
        run.succeeds()[0]["updates"],
        list_hash(&["libcrypto3=3.3.2-r0->3.3.2-r1"]),
        "{}",
        run.stderr
    );
    // Signed, but not by the key given: refused, naming the index.
    let refused =
        check(&json!({"source": source(&reg, "alpine-app", entry(&other_public))})).fails();
    assert!(refused.contains("APKINDEX.tar.gz"), "{refused}");
    drop(server);
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry python3)"
)]
fn lying_repositories_and_images_without_a_database_are_refused() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo_dir = tempfile::tempdir().unwrap();
    let key = apt_repo(
        repo_dir.path(),
        "bookworm",
        &[("openssl", "3.0.13-1", "amd64")],
        &["amd64"],
    );
    let server = servers::static_files(repo_dir.path());
    let installed = status(&[("openssl", "3.0.11-1", "amd64")]);
    let os = files_layer(&[("var/lib/dpkg/status", &installed)]);
    seeder.layered("app", "latest", std::slice::from_ref(&os), json!({}));
    // The database whited out above: no database; an image with none at all: the same.
    seeder.layered(
        "gone",
        "latest",
        &[os.clone(), files_layer(&[("var/lib/dpkg/.wh.status", "")])],
        json!({}),
    );
    seeder.layered(
        "scratch",
        "latest",
        &[files_layer(&[("app", "1")])],
        json!({}),
    );
    let updates = json!({"apt": [apt_entry(server.port, "bookworm", &key)]});
    for repo in ["gone", "scratch"] {
        let err = check(&json!({"source": source(&reg, repo, updates.clone())})).fails();
        assert!(
            err.contains("no package database in the image"),
            "{repo}: {err}"
        );
    }
    // An apk-only list for a dpkg image says what is missing.
    let apk_only = json!({"apk": [{"repository": format!("http://127.0.0.1:{}", server.port), "insecure": true}]});
    let err = check(&json!({"source": source(&reg, "app", apk_only)})).fails();
    assert!(err.contains("dpkg database"), "{err}");
    // Unsigned without `insecure`: refused before any request.
    let unsigned = json!({"apt": [{"repository": format!("http://127.0.0.1:{}", server.port), "suite": "bookworm"}]});
    let run = check(&json!({"source": source(&reg, "app", unsigned)}));
    let err = run.fails();
    assert!(err.contains("signed_by"), "{err}");
    assert_eq!(run.request_lines().len(), 0, "{:?}", run.request_lines());
    // Signed by another key: refused.
    let (_home, other) = gpg_key("ed25519");
    let err = check(&json!({"source": source(&reg, "app", json!({"apt": [apt_entry(server.port, "bookworm", &other)]}))})).fails();
    assert!(err.contains("InRelease"), "{err}");
    // A Packages file that is not the one the Release file names: refused.
    let xz = repo_dir
        .path()
        .join("dists/bookworm/main/binary-amd64/Packages.xz");
    let mut bytes = std::fs::read(&xz).unwrap();
    bytes.push(0);
    std::fs::write(&xz, bytes).unwrap();
    let err = check(&json!({"source": source(&reg, "app", updates)})).fails();
    assert!(err.contains("Packages.xz"), "{err}");
    drop(server);
}

#[test]
#[cfg_attr(
    not(all(
        uptick_has_apt_tools,
        uptick_has_debian_image,
        uptick_has_docker_registry,
        uptick_has_python3,
        uptick_has_root
    )),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; debootstrap, umoci, setfattr and Debian's mirror; docker-registry; python3; root (apt-get install apt-utils dpkg-dev gnupg xz-utils debootstrap umoci attr docker-registry python3; run as root, as ci/test does: a tmpfs, a second uid, chroot)"
)]
fn a_debootstrapped_debian_image_against_a_local_signed_repository() {
    let layout = crate::distro::debian_layout();
    let reg = TestRegistry::start(Mode::Plain);
    crate::distro::push(&reg, &layout);
    let repo_dir = tempfile::tempdir().unwrap();
    // A newer sudo (by epoch: whatever bookworm's is), and a package the image does not have.
    let key = apt_repo(
        repo_dir.path(),
        "bookworm-security",
        &[
            ("sudo", "9:1.0-1", "amd64"),
            ("not-installed", "1.0", "amd64"),
        ],
        &["amd64"],
    );
    let server = servers::static_files(repo_dir.path());
    let updates = json!({"apt": [apt_entry(server.port, "bookworm-security", &key)]});
    let source = reg.source(
        "debian",
        json!({"tag": "bookworm", "updates": updates, "debug": true}),
    );
    let run = check(&json!({"source": source}));
    let versions = run.succeeds();
    assert_eq!(versions.as_array().unwrap().len(), 1, "{}", run.stderr);
    assert!(
        run.stderr.contains("1 package update(s): sudo"),
        "{}",
        run.stderr
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": source, "version": versions[0]}),
        dest.path(),
    )
    .succeeds();
    let list: Value =
        serde_json::from_slice(&std::fs::read(dest.path().join("updates.json")).unwrap()).unwrap();
    assert_eq!(list[0]["package"], "sudo");
    assert_eq!(list[0]["available"], "9:1.0-1");
    assert!(
        list[0]["installed"].as_str().unwrap().starts_with("1.9."),
        "{list}"
    );
    drop(server);
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_docker_registry, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; docker-registry; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils docker-registry python3)"
)]
fn without_repositories_the_images_own_sources_and_keyrings_are_used() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo_dir = tempfile::tempdir().unwrap();
    let (keyring, _) = apt_repo_keyed(
        repo_dir.path(),
        "bookworm-security",
        &[("openssl", "3.0.13-1", "amd64")],
        &["amd64"],
    );
    let server = servers::static_files(repo_dir.path());
    let url = format!("http://127.0.0.1:{}", server.port);
    let sources = format!(
        "Types: deb\nURIs: {url}\nSuites: bookworm-security\nComponents: main\n\
         Signed-By: /usr/share/keyrings/local-archive-keyring.gpg\n"
    );
    let installed = status(&[("openssl", "3.0.11-1", "amd64")]);
    let base = {
        let entries = [
            Entry::File("var/lib/dpkg/status", installed.as_bytes(), 0o644),
            Entry::File(
                "etc/apt/sources.list.d/local.sources",
                sources.as_bytes(),
                0o644,
            ),
            Entry::File(
                "usr/share/keyrings/local-archive-keyring.gpg",
                &keyring,
                0o644,
            ),
        ];
        (
            layer(&entries, Compression::Gzip),
            media_type(Compression::Gzip),
        )
    };
    seeder.layered("own", "latest", std::slice::from_ref(&base), json!({}));
    let run = check(&json!({"source": source(&reg, "own", json!({}))}));
    assert_eq!(
        run.succeeds()[0]["updates"],
        list_hash(&["openssl=3.0.11-1->3.0.13-1"]),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr.contains("using the image's own repositories"),
        "{}",
        run.stderr
    );

    // A source whose keyring is not in the image: an error naming the file and line, unless
    // the user lists the repository under `insecure`.
    let unkeyed = sources.replace("local-archive-keyring.gpg", "missing.gpg");
    let entries = [
        Entry::File("var/lib/dpkg/status", installed.as_bytes(), 0o644),
        Entry::File(
            "etc/apt/sources.list.d/local.sources",
            unkeyed.as_bytes(),
            0o644,
        ),
    ];
    seeder.layered(
        "unkeyed",
        "latest",
        &[(
            layer(&entries, Compression::Gzip),
            media_type(Compression::Gzip),
        )],
        json!({}),
    );
    let err = check(&json!({"source": source(&reg, "unkeyed", json!({}))})).fails();
    assert!(
        err.contains("/etc/apt/sources.list.d/local.sources"),
        "{err}"
    );
    assert!(err.contains("cannot be verified"), "{err}");
    let run = check(&json!({"source": source(&reg, "unkeyed", json!({"insecure": [url]}))}));
    assert_eq!(
        run.succeeds()[0]["updates"],
        list_hash(&["openssl=3.0.11-1->3.0.13-1"]),
        "{}",
        run.stderr
    );
    drop(server);
}
