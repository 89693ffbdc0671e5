//! Distro package sources against real repositories on loopback: apt repositories built by
//! Debian's own tools (`dpkg-deb`, `apt-ftparchive`, `dpkg-scanpackages`, `gpg`) and an Alpine
//! `APKINDEX.tar.gz` in apk's documented format, served by Python's static file server.

use crate::support::servers;
use crate::support::{check, get, versions};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;
use std::process::Command;

pub(crate) fn sh(dir: &Path, program: &str, args: &[&str]) -> Vec<u8> {
    let out = Command::new(program)
        .args(args)
        .current_dir(dir)
        .output()
        .unwrap_or_else(|e| panic!("{program}: {e} (ci/test installs it)"));
    assert!(
        out.status.success(),
        "{program} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// A `.deb` of `name` `version` for `arch`, built by `dpkg-deb`, in the pool.
pub(crate) fn deb(root: &Path, name: &str, version: &str, arch: &str) {
    let work = tempfile::tempdir().unwrap();
    let pkg = work.path().join("pkg");
    std::fs::create_dir_all(pkg.join("DEBIAN")).unwrap();
    std::fs::create_dir_all(pkg.join("usr/share/doc").join(name)).unwrap();
    std::fs::write(
        pkg.join("usr/share/doc").join(name).join("VERSION"),
        version,
    )
    .unwrap();
    std::fs::write(
        pkg.join("DEBIAN/control"),
        format!(
            "Package: {name}\nVersion: {version}\nArchitecture: {arch}\nMaintainer: Test <test@example.org>\nDescription: a test package\n"
        ),
    )
    .unwrap();
    let upstream = version.split_once(':').map_or(version, |(_, v)| v);
    let dir = root.join("pool/main").join(&name[..1]).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(format!("{name}_{upstream}_{arch}.deb"));
    sh(
        work.path(),
        "dpkg-deb",
        &[
            "--root-owner-group",
            "-Zgzip",
            "--build",
            pkg.to_str().unwrap(),
            file.to_str().unwrap(),
        ],
    );
}

/// `dists/<suite>/<component>/binary-<arch>/Packages*` for the pool's `arch` packages (with
/// `apt-ftparchive`, or `dpkg-scanpackages`), compressed as asked, and the suite's `Release`
/// from `apt-ftparchive release` listing their SHA256.
pub(crate) fn suite(
    root: &Path,
    suite: &str,
    pool: &str,
    archs: &[&str],
    compress: &[&str],
    scan: bool,
) {
    for arch in archs {
        let rel = format!("dists/{suite}/main/binary-{arch}");
        std::fs::create_dir_all(root.join(&rel)).unwrap();
        let packages = if scan {
            sh(
                root,
                "dpkg-scanpackages",
                &["-m", "-a", arch, pool, "/dev/null"],
            )
        } else {
            sh(root, "apt-ftparchive", &["--arch", arch, "packages", pool])
        };
        let path = root.join(&rel).join("Packages");
        std::fs::write(&path, &packages).unwrap();
        for c in compress {
            match *c {
                "gz" => {
                    sh(root, "gzip", &["-9", "-k", "-n", path.to_str().unwrap()]);
                }
                "xz" => {
                    sh(root, "xz", &["-k", path.to_str().unwrap()]);
                }
                _ => {}
            }
        }
        if !compress.contains(&"plain") {
            std::fs::remove_file(&path).unwrap();
        }
    }
    let release = sh(
        root,
        "apt-ftparchive",
        &[
            "-o",
            &format!("APT::FTPArchive::Release::Suite={suite}"),
            "-o",
            "APT::FTPArchive::Release::Components=main",
            "-o",
            &format!(
                "APT::FTPArchive::Release::Architectures={}",
                archs.join(" ")
            ),
            "release",
            &format!("dists/{suite}"),
        ],
    );
    std::fs::write(root.join(format!("dists/{suite}/Release")), release).unwrap();
}

/// A fresh gpg home with one signing key of `algo`, and the key's armored public part.
pub(crate) fn gpg_key(algo: &str) -> (tempfile::TempDir, String) {
    let home = tempfile::tempdir().unwrap();
    gpg(
        home.path(),
        &[
            "--quick-gen-key",
            "uptick test <test@example.org>",
            algo,
            "sign",
            "never",
        ],
    );
    let public = gpg(home.path(), &["--armor", "--export"]);
    (home, String::from_utf8(public).unwrap())
}

pub(crate) fn gpg(home: &Path, args: &[&str]) -> Vec<u8> {
    let h = home.to_str().unwrap();
    let mut all = vec![
        "--homedir",
        h,
        "--batch",
        "--pinentry-mode",
        "loopback",
        "--passphrase",
        "",
    ];
    all.extend_from_slice(args);
    sh(home, "gpg", &all)
}

/// Clear-signs `dists/<suite>/Release` into `InRelease`, and removes `Release`.
pub(crate) fn clearsign(root: &Path, suite: &str, home: &Path) {
    let dir = root.join(format!("dists/{suite}"));
    gpg(
        home,
        &[
            "--clearsign",
            "-o",
            dir.join("InRelease").to_str().unwrap(),
            dir.join("Release").to_str().unwrap(),
        ],
    );
    std::fs::remove_file(dir.join("Release")).unwrap();
}

/// Signs `dists/<suite>/Release` into an armored, detached `Release.gpg`.
fn detach_sign(root: &Path, suite: &str, home: &Path) {
    let dir = root.join(format!("dists/{suite}"));
    gpg(
        home,
        &[
            "--armor",
            "--detach-sign",
            "-o",
            dir.join("Release.gpg").to_str().unwrap(),
            dir.join("Release").to_str().unwrap(),
        ],
    );
}

/// bookworm (Release only, Packages.gz, amd64 + arm64, by apt-ftparchive) and
/// bookworm-security (InRelease clear-signed by an Ed25519 key, Packages.xz only, amd64, by
/// dpkg-scanpackages); bookworm's Release has a detached `Release.gpg` by an RSA key.
/// Returns the tree and the two armored public keys (Ed25519, RSA).
fn apt_repository() -> (tempfile::TempDir, String, String) {
    let root = tempfile::tempdir().unwrap();
    let r = root.path();
    for (name, version, arch) in [
        ("openssl", "3.0.9-1", "amd64"),
        ("openssl", "3.0.11-1~deb12u1", "amd64"),
        ("openssl", "3.0.9-1", "arm64"),
        ("libfoo", "2.0-1", "amd64"),
        ("libfoo", "1:0.9-1", "amd64"),
        ("tzdata", "2024a-0+deb12u1", "all"),
    ] {
        deb(&r.join("main-pool"), name, version, arch);
    }
    for (name, version, arch) in [
        ("openssl", "3.0.11-1~deb12u1", "amd64"),
        ("openssl", "3.0.11-1~deb12u2", "amd64"),
        ("openssl", "3.0.13-1~deb12u1", "amd64"),
    ] {
        deb(&r.join("security-pool"), name, version, arch);
    }
    std::fs::rename(r.join("main-pool/pool"), r.join("pool")).unwrap();
    suite(r, "bookworm", "pool", &["amd64", "arm64"], &["gz"], false);
    std::fs::rename(r.join("pool"), r.join("main-pool/pool")).unwrap();
    std::fs::rename(r.join("security-pool/pool"), r.join("pool")).unwrap();
    suite(r, "bookworm-security", "pool", &["amd64"], &["xz"], true);
    let (ed_home, ed_key) = gpg_key("ed25519");
    let (rsa_home, rsa_key) = gpg_key("rsa3072");
    clearsign(r, "bookworm-security", ed_home.path());
    detach_sign(r, "bookworm", rsa_home.path());
    // A suite whose InRelease text was changed after it was signed.
    sh(r, "cp", &["-a", "dists/bookworm-security", "dists/forged"]);
    let forged = r.join("dists/forged/InRelease");
    let text = std::fs::read_to_string(&forged).unwrap();
    assert!(text.contains("Suite: bookworm-security"));
    std::fs::write(
        &forged,
        text.replace("Suite: bookworm-security", "Suite: bookworm-forged"),
    )
    .unwrap();
    // Both pools in one tree, as on a mirror (the Packages files name paths under pool/).
    sh(r, "cp", &["-a", "main-pool/pool/.", "pool/"]);
    // A suite whose Packages.gz was changed after its Release was made.
    sh(r, "cp", &["-a", "dists/bookworm", "dists/tampered"]);
    let gz = r.join("dists/tampered/main/binary-amd64/Packages.gz");
    std::fs::OpenOptions::new()
        .append(true)
        .open(gz)
        .unwrap()
        .write_all(b"\0")
        .unwrap();
    (root, ed_key, rsa_key)
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn apt_suites_architectures_epochs_and_verified_indexes() {
    let (repo, ed_key, rsa_key) = apt_repository();
    let server = servers::static_files(repo.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = |extra: Value| {
        let mut s = json!({"apt": "openssl", "repository": base, "suite": "bookworm", "architecture": "amd64", "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    // bookworm: no InRelease, so Release; Packages.gz verified by its SHA256.
    let run = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["3.0.11-1~deb12u1"]);
    assert_eq!(run.requests("GET", "/dists/bookworm/InRelease"), 1);
    assert_eq!(
        run.requests("GET", "/dists/bookworm/main/binary-amd64/Packages.gz"),
        1
    );
    let out =
        check(&json!({"source": src(json!({})), "version": {"version": "3.0.9-1"}})).succeeds();
    assert_eq!(versions(&out), ["3.0.9-1", "3.0.11-1~deb12u1"]);
    // Another architecture of the same suite; `Architecture: all` packages are in each.
    let out = check(&json!({"source": src(json!({"architecture": "arm64"}))})).succeeds();
    assert_eq!(versions(&out), ["3.0.9-1"]);
    let out = check(&json!({"source": src(json!({"apt": "tzdata", "architecture": "arm64"}))}))
        .succeeds();
    assert_eq!(versions(&out), ["2024a-0+deb12u1"]);
    // Epochs win over everything: 1:0.9-1 is newer than 2.0-1.
    let out =
        check(&json!({"source": src(json!({"apt": "libfoo"})), "version": {"version": "2.0-1"}}))
            .succeeds();
    assert_eq!(versions(&out), ["2.0-1", "1:0.9-1"]);

    // bookworm-security: signed InRelease, Packages.xz only; `~debNuN` in dpkg order.
    let sec = |extra: Value| {
        let mut s = src(json!({"suite": "bookworm-security"}));
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let run = check(&json!({"source": sec(json!({})), "version": {"version": "3.0.11-1~deb12u1"}}));
    assert_eq!(
        versions(&run.succeeds()),
        ["3.0.11-1~deb12u1", "3.0.11-1~deb12u2", "3.0.13-1~deb12u1"]
    );
    assert_eq!(
        run.requests(
            "GET",
            "/dists/bookworm-security/main/binary-amd64/Packages.xz"
        ),
        1
    );
    let out =
        check(&json!({"source": sec(json!({"constraint": ">= 3.0.11-1~deb12u2, << 3.0.13"}))}))
            .succeeds();
    assert_eq!(versions(&out), ["3.0.11-1~deb12u2"]);
    let out = check(&json!({"source": sec(json!({"exclude_regex": "3\\.0\\.13", "ignore": ["3.0.11-1~deb12u2"]}))})).succeeds();
    assert_eq!(versions(&out), ["3.0.11-1~deb12u1"]);
    // A re-check: the InRelease answers 304 and nothing else is asked.
    let again = check(&json!({"source": sec(json!({}))}));
    assert_eq!(versions(&again.succeeds()), ["3.0.13-1~deb12u1"]);
    assert_eq!(
        again.request_lines().len(),
        1,
        "{:?}",
        again.request_lines()
    );
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );
    // The kept list belongs to one package: another one of the same suite is read afresh.
    let other = check(&json!({"source": src(json!({"apt": "libfoo"}))})).succeeds();
    assert_eq!(versions(&other), ["1:0.9-1"]);

    // in: version, url, checksum, and the .deb verified by the Packages SHA256.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": sec(json!({})), "version": {"version": "3.0.11-1~deb12u2"}, "params": {"download": "*.deb"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(got["version"], json!({"version": "3.0.11-1~deb12u2"}));
    let read = |f: &str| std::fs::read_to_string(dest.path().join(f)).unwrap();
    assert_eq!(read("version"), "3.0.11-1~deb12u2");
    assert_eq!(
        read("url"),
        format!("{base}/pool/main/o/openssl/openssl_3.0.11-1~deb12u2_amd64.deb")
    );
    let deb = std::fs::read(dest.path().join("openssl_3.0.11-1~deb12u2_amd64.deb")).unwrap();
    use sha2::Digest as _;
    assert_eq!(
        read("checksum"),
        format!("sha256:{}", hex::encode(sha2::Sha256::digest(&deb)))
    );
    let meta: Vec<&str> = got["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(meta, ["package", "version", "url", "checksum", "files"]);

    // A Packages file that is not the one the Release file hashes is never trusted.
    let line = check(&json!({"source": src(json!({"suite": "tampered"}))})).fails();
    assert!(line.contains("not trusting it"), "{line}");
    assert!(line.contains("Packages.gz"), "{line}");
    // Errors name what is wrong.
    let line = check(&json!({"source": src(json!({"apt": "nope"}))})).fails();
    assert!(line.contains("apt package `nope` not found"), "{line}");
    let line = check(&json!({"source": src(json!({"suite": "trixie"}))})).fails();
    assert!(line.contains("no suite `trixie`"), "{line}");
    let line = check(&json!({"source": src(json!({"architecture": "s390x"}))})).fails();
    assert!(line.contains("main/binary-s390x/Packages"), "{line}");
    assert!(line.contains("architectures: amd64 arm64"), "{line}");
    let line = check(&json!({"source": src(json!({"constraint": "< 3.1"}))})).fails();
    assert!(line.contains("obsolete"), "{line}");
    let line = check(&json!({"source": src(json!({"signed_by": "not a key"}))})).fails();
    assert!(
        line.contains("source.signed_by: no v4 RSA or Ed25519 public key"),
        "{line}"
    );

    // signed_by: the InRelease (Ed25519) and the Release.gpg (RSA) verify with their keys.
    let out = check(&json!({"source": sec(json!({"signed_by": ed_key}))})).succeeds();
    assert_eq!(versions(&out), ["3.0.13-1~deb12u1"]);
    let run = check(&json!({"source": src(json!({"signed_by": rsa_key}))}));
    assert_eq!(versions(&run.succeeds()), ["3.0.11-1~deb12u1"]);
    assert_eq!(run.requests("GET", "/dists/bookworm/Release.gpg"), 1);
    let both = format!("{ed_key}\n{rsa_key}");
    let out = check(&json!({"source": src(json!({"signed_by": both}))})).succeeds();
    assert_eq!(versions(&out), ["3.0.11-1~deb12u1"]);
    // The wrong key, or a text changed after signing, is refused; without signed_by the
    // changed text is still read (its hash list is intact).
    let line = check(&json!({"source": sec(json!({"signed_by": rsa_key}))})).fails();
    assert!(line.contains("signature: no signature (by "), "{line}");
    assert!(line.contains("not trusting it"), "{line}");
    let line =
        check(&json!({"source": sec(json!({"suite": "forged", "signed_by": ed_key}))})).fails();
    assert!(line.contains("dists/forged/InRelease: signature"), "{line}");
    let out = check(&json!({"source": sec(json!({"suite": "forged"}))})).succeeds();
    assert_eq!(versions(&out), ["3.0.13-1~deb12u1"]);
    let line = check(&json!({"source": src(json!({"signed_by": ed_key}))})).fails();
    assert!(line.contains("Release.gpg: signature"), "{line}");
    let line = check(&json!({"source": {"apt": "openssl", "repository": base}})).fails();
    assert!(line.contains("source.suite"), "{line}");
    let line = check(&json!({"source": src(json!({"suite": "../x"}))})).fails();
    assert!(line.contains("source.suite"), "{line}");
    let line = check(&json!({"source": src(json!({"sute": "x"}))})).fails();
    assert!(line.contains("unknown field `sute`"), "{line}");
}

/// An `APKINDEX.tar.gz` as `apk index` writes it: a gzipped signature tar segment (no end
/// blocks) followed by the gzipped tar of `DESCRIPTION` and `APKINDEX`.
fn apkindex(stanzas: &[(&str, &str, &str, u64)], arch: &str) -> Vec<u8> {
    use flate2::write::GzEncoder;
    let mut index = String::new();
    for (name, version, checksum, t) in stanzas {
        index.push_str(&format!(
            "C:{checksum}\nP:{name}\nV:{version}\nA:{arch}\nS:1024\nI:4096\nT:{name} for tests\nU:https://example.org\nL:MIT\no:{name}\nm:Test <test@example.org>\nt:{t}\nc:0123456789abcdef\nD:so:libc.musl-{arch}.so.1\n\n"
        ));
    }
    let entry = |name: &str, data: &[u8]| {
        let mut h = tar::Header::new_ustar();
        h.set_path(name).unwrap();
        h.set_size(data.len() as u64);
        h.set_mode(0o644);
        h.set_mtime(1_700_000_000);
        h.set_cksum();
        let mut out = h.as_bytes().to_vec();
        out.extend_from_slice(data);
        out.resize(out.len().div_ceil(512) * 512, 0);
        out
    };
    let gz = |bytes: &[u8]| {
        let mut e = GzEncoder::new(Vec::new(), flate2::Compression::default());
        e.write_all(bytes).unwrap();
        e.finish().unwrap()
    };
    let mut out = gz(&entry(".SIGN.RSA.test-0123.rsa.pub", &[7u8; 256]));
    let mut tar = entry("DESCRIPTION", b"v3.20.3-0-g0000000");
    tar.extend(entry("APKINDEX", index.as_bytes()));
    tar.extend([0u8; 1024]);
    out.extend(gz(&tar));
    out
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn apk_versions_in_apk_order_with_pre_releases_and_architectures() {
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("v3.20/main");
    for (arch, stanzas) in [
        (
            "x86_64",
            vec![
                (
                    "python3",
                    "3.12.3-r0",
                    "Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=",
                    1_713_000_000u64,
                ),
                (
                    "python3",
                    "3.12.3-r1",
                    "Q1BBBBBBBBBBBBBBBBBBBBBBBBBBB=",
                    1_714_000_000,
                ),
                (
                    "python3",
                    "3.12.10-r0",
                    "Q1CCCCCCCCCCCCCCCCCCCCCCCCCCC=",
                    1_744_000_000,
                ),
                (
                    "python3",
                    "3.13.0_rc1-r0",
                    "Q1DDDDDDDDDDDDDDDDDDDDDDDDDDD=",
                    1_724_000_000,
                ),
                (
                    "python3-dev",
                    "3.99-r0",
                    "Q1EEEEEEEEEEEEEEEEEEEEEEEEEEE=",
                    1_724_000_000,
                ),
                (
                    "openssl",
                    "3.3.1-r0",
                    "Q1FFFFFFFFFFFFFFFFFFFFFFFFFFF=",
                    1_720_000_000,
                ),
                (
                    "openssl",
                    "3.3.1_p1-r0",
                    "Q1GGGGGGGGGGGGGGGGGGGGGGGGGGG=",
                    1_721_000_000,
                ),
                (
                    "openssl",
                    "3.3.10-r0",
                    "Q1HHHHHHHHHHHHHHHHHHHHHHHHHHH=",
                    1_722_000_000,
                ),
            ],
        ),
        (
            "aarch64",
            vec![(
                "python3",
                "3.12.3-r0",
                "Q1IIIIIIIIIIIIIIIIIIIIIIIIIII=",
                1_713_000_000,
            )],
        ),
    ] {
        std::fs::create_dir_all(repo.join(arch)).unwrap();
        std::fs::write(
            repo.join(arch).join("APKINDEX.tar.gz"),
            apkindex(&stanzas, arch),
        )
        .unwrap();
    }
    let server = servers::static_files(root.path());
    let base = format!("http://127.0.0.1:{}/v3.20/main", server.port);
    let src = |extra: Value| {
        let mut s =
            json!({"apk": "python3", "repository": base, "architecture": "x86_64", "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let run = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["3.12.10-r0"]);
    assert_eq!(run.request_lines().len(), 1, "{:?}", run.request_lines());
    let out =
        check(&json!({"source": src(json!({})), "version": {"version": "3.12.3-r0"}})).succeeds();
    assert_eq!(versions(&out), ["3.12.3-r0", "3.12.3-r1", "3.12.10-r0"]);
    let out = check(&json!({"source": src(json!({"pre_releases": true})), "version": {"version": "3.12.10-r0"}})).succeeds();
    assert_eq!(versions(&out), ["3.12.10-r0", "3.13.0_rc1-r0"]);
    let out = check(&json!({"source": src(json!({"constraint": "<3.12.10"})), "version": {"version": "3.12.3-r0"}})).succeeds();
    assert_eq!(versions(&out), ["3.12.3-r0", "3.12.3-r1"]);
    let out = check(&json!({"source": src(json!({"apk": "openssl", "constraint": "~3.3.1"})), "version": {"version": "3.3.1-r0"}})).succeeds();
    assert_eq!(versions(&out), ["3.3.1-r0", "3.3.1_p1-r0"]);
    let out = check(&json!({"source": src(json!({"architecture": "aarch64"}))})).succeeds();
    assert_eq!(versions(&out), ["3.12.3-r0"]);
    // A re-check is a 304 and the kept list.
    let again = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&again.succeeds()), ["3.12.10-r0"]);
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );

    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src(json!({})), "version": {"version": "3.12.10-r0"}}),
        dest.path(),
    )
    .succeeds();
    let read = |f: &str| std::fs::read_to_string(dest.path().join(f)).unwrap();
    assert_eq!(read("version"), "3.12.10-r0");
    assert_eq!(read("url"), format!("{base}/x86_64/python3-3.12.10-r0.apk"));
    assert_eq!(read("checksum"), "Q1CCCCCCCCCCCCCCCCCCCCCCCCCCC=");
    assert_eq!(read("published_at"), "2025-04-07T04:26:40Z");
    assert_eq!(got["version"], json!({"version": "3.12.10-r0"}));
    // The index's checksum covers the control segment, not the file: no verified download.
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src(json!({})), "version": {"version": "3.12.10-r0"}, "params": {"download": "*.apk"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("publishes no hash"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    let line = check(&json!({"source": src(json!({"apk": "nope"}))})).fails();
    assert!(line.contains("apk package `nope` not found"), "{line}");
    let line = check(&json!({"source": src(json!({"architecture": "s390x"}))})).fails();
    assert!(line.contains("no index"), "{line}");
    let line = check(&json!({"source": src(json!({"constraint": "!=3.12"}))})).fails();
    assert!(line.contains("not an apk version comparison"), "{line}");
    let line = check(&json!({"source": src(json!({"suite": "edge"}))})).fails();
    assert!(line.contains("source.suite"), "{line}");
}
