//! apt `signed_by` trusts a Release file as apt does: not past its `Valid-Until` (unless
//! `check_valid_until: false`), not before its `Date`, only for the suite its `Suite` or
//! `Codename` names, only when signed by a key or subkey valid at the signature's time (not
//! expired, not revoked, flagged for signing), over SHA-256/384/512 with any RSA size from 2048
//! bits; and the work a signed file can ask for is bounded. Every repository is built by
//! `dpkg-deb` and `apt-ftparchive` and signed by `gpg` (`--faked-system-time` for the past).

use crate::distro_packages::{deb, gpg, sh, suite};
use crate::support::{check, servers, versions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};

const DAY: i64 = 86_400;

fn now() -> i64 {
    chrono::Utc::now().timestamp()
}

/// A Release file date as Debian writes it (`Sat, 06 Dec 2025 21:00:00 UTC`).
fn release_date(t: i64) -> String {
    chrono::DateTime::from_timestamp(t, 0)
        .unwrap()
        .format("%a, %d %b %Y %H:%M:%S UTC")
        .to_string()
}

/// A gpg home with one key; `at` fakes gpg's clock (Unix seconds) for what it does.
struct Keyring {
    home: tempfile::TempDir,
}

impl Keyring {
    /// A primary key of `algo` with `usage` (`sign`, `cert`), made at `at` (or now).
    fn new(algo: &str, usage: &str, at: Option<i64>) -> Keyring {
        let k = Keyring {
            home: tempfile::tempdir().unwrap(),
        };
        k.gpg(
            at,
            &[
                "--quick-gen-key",
                "uptick trust test <trust@example.org>",
                algo,
                usage,
                "never",
            ],
        );
        k
    }

    fn gpg(&self, at: Option<i64>, args: &[&str]) -> Vec<u8> {
        let faked = at.map(|t| format!("{t}!"));
        let mut all: Vec<&str> = Vec::new();
        if let Some(f) = &faked {
            all.extend(["--faked-system-time", f.as_str()]);
        }
        all.extend_from_slice(args);
        gpg(self.home.path(), &all)
    }

    /// The fingerprints of the primary key and its subkeys, in order.
    fn fingerprints(&self) -> Vec<String> {
        let out = self.gpg(None, &["--with-colons", "--list-keys"]);
        String::from_utf8(out)
            .unwrap()
            .lines()
            .filter(|l| l.starts_with("fpr:"))
            .map(|l| l.split(':').nth(9).unwrap().to_string())
            .collect()
    }

    /// A signing subkey of `algo` made at `at`; its fingerprint.
    fn add_signing_subkey(&self, algo: &str, at: Option<i64>) -> String {
        let primary = self.fingerprints()[0].clone();
        self.gpg(at, &["--quick-add-key", &primary, algo, "sign", "never"]);
        self.fingerprints().pop().unwrap()
    }

    /// Sets the primary key's (or `subkey`'s) expiry `period` after `at` (gpg's clock).
    fn set_expiry(&self, at: i64, period: &str, subkey: Option<&str>) {
        let primary = self.fingerprints()[0].clone();
        let mut args = vec!["--quick-set-expire", primary.as_str(), period];
        args.extend(subkey);
        self.gpg(Some(at), &args);
    }

    /// `gpg --edit-key` with `commands` on stdin (`--command-fd 0`), gpg's clock at `at`.
    fn edit(&self, at: Option<i64>, expert: bool, commands: &str) {
        use std::io::Write as _;
        let primary = self.fingerprints()[0].clone();
        let mut cmd = std::process::Command::new("gpg");
        cmd.args(["--homedir", self.home.path().to_str().unwrap()])
            .args(["--batch", "--pinentry-mode", "loopback", "--passphrase", ""])
            .args(["--command-fd", "0", "--status-fd", "2"]);
        if expert {
            cmd.arg("--expert");
        }
        if let Some(t) = at {
            cmd.args(["--faked-system-time", &format!("{t}!")]);
        }
        let mut child = cmd
            .args(["--edit-key", &primary])
            .stdin(std::process::Stdio::piped())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .unwrap();
        child
            .stdin
            .take()
            .unwrap()
            .write_all(commands.as_bytes())
            .unwrap();
        let out = child.wait_with_output().unwrap();
        assert!(
            out.status.success(),
            "gpg --edit-key: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The public keys, armored (what `signed_by` takes).
    fn public(&self) -> String {
        String::from_utf8(self.gpg(None, &["--armor", "--export"])).unwrap()
    }
}

/// A repository with `openssl 3.0.11-1~deb12u1` (amd64), served on loopback.
struct Repo {
    dir: tempfile::TempDir,
    server: servers::Server,
    /// Files rewritten so far: each gets a later mtime than the last (the server's
    /// `Last-Modified` has whole seconds, and a rewrite within one would answer 304).
    rewrites: std::cell::Cell<i64>,
}

impl Repo {
    fn new() -> Repo {
        let dir = tempfile::tempdir().unwrap();
        deb(dir.path(), "openssl", "3.0.11-1~deb12u1", "amd64");
        let server = servers::static_files(dir.path());
        Repo {
            dir,
            server,
            rewrites: std::cell::Cell::new(0),
        }
    }

    /// Writes `path` with a modification time later than any before it.
    fn rewrite(&self, path: &Path, bytes: impl AsRef<[u8]>) {
        std::fs::write(path, bytes).unwrap();
        self.touch(path);
    }

    fn touch(&self, path: &Path) {
        self.rewrites.set(self.rewrites.get() + 2);
        let at = std::time::SystemTime::now()
            + std::time::Duration::from_secs(self.rewrites.get() as u64);
        std::fs::File::options()
            .write(true)
            .open(path)
            .unwrap()
            .set_modified(at)
            .unwrap();
    }

    fn root(&self) -> &Path {
        self.dir.path()
    }

    /// `dists/<name>` with its Packages.gz and a Release whose apt-ftparchive fields are `Suite:
    /// <name>` and `fields` (`Date`, `Valid-Until`, `ValidTime`, `Codename`, `Suite`, …);
    /// the Release path.
    fn suite(&self, name: &str, fields: &[(&str, String)]) -> PathBuf {
        let _ = std::fs::remove_dir_all(self.root().join(format!("dists/{name}")));
        suite(self.root(), name, "pool", &["amd64"], &["gz"], false);
        let mut args: Vec<String> = vec![
            "-o".into(),
            format!("APT::FTPArchive::Release::Suite={name}"),
        ];
        for (k, v) in fields {
            args.push("-o".into());
            args.push(format!("APT::FTPArchive::Release::{k}={v}"));
        }
        args.push("release".into());
        args.push(format!("dists/{name}"));
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let release = sh(self.root(), "apt-ftparchive", &args);
        let path = self.root().join(format!("dists/{name}/Release"));
        std::fs::write(&path, release).unwrap();
        path
    }

    /// Clear-signs `dists/<name>/Release` into `InRelease` with `keyring`'s key (or `signer`,
    /// a key ID with `!`), gpg's clock at `at`, and `extra` options; removes `Release`.
    fn clearsign(&self, name: &str, keyring: &Keyring, at: Option<i64>, extra: &[&str]) {
        let dir = self.root().join(format!("dists/{name}"));
        let (inrelease, release) = (dir.join("InRelease"), dir.join("Release"));
        let mut args = extra.to_vec();
        args.extend([
            "--clearsign",
            "-o",
            inrelease.to_str().unwrap(),
            release.to_str().unwrap(),
        ]);
        let _ = std::fs::remove_file(&inrelease);
        keyring.gpg(at, &args);
        self.touch(&inrelease);
        std::fs::remove_file(release).unwrap();
    }

    /// A check source for suite `name` with `extra` fields.
    fn source(&self, name: &str, extra: Value) -> Value {
        let mut s = json!({
            "apt": "openssl",
            "repository": format!("http://127.0.0.1:{}", self.server.port),
            "suite": name,
            "architecture": "amd64",
            "debug": true,
        });
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    }

    /// `check` of suite `name` with `signed_by` and `extra`.
    fn check(&self, name: &str, key: &str, extra: Value) -> crate::support::Run {
        let mut extra = extra;
        extra["signed_by"] = json!(key);
        check(&json!({ "source": self.source(name, extra) }))
    }
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn an_expired_release_file_is_refused_unless_check_valid_until_is_false() {
    // A snapshot of a year ago: made, signed and valid for a week then.
    let then = now() - 400 * DAY;
    let key = Keyring::new("ed25519", "sign", Some(then - DAY));
    let repo = Repo::new();
    repo.suite(
        "bookworm",
        &[
            ("Date", release_date(then)),
            ("ValidTime", "1".to_string()), // so that Valid-Until is written
            ("Valid-Until", release_date(then + 7 * DAY)),
        ],
    );
    repo.clearsign("bookworm", &key, Some(then), &[]);
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains("dists/bookworm/InRelease: the Release file is expired (invalid since 393d "),
        "{line}"
    );
    assert!(line.contains("check_valid_until: false"), "{line}");
    // apt checks it without a signature as well.
    let line = check(&json!({"source": repo.source("bookworm", json!({}))})).fails();
    assert!(line.contains("is expired"), "{line}");
    // check_valid_until: false (apt's Check-Valid-Until): the snapshot is read.
    let out = repo
        .check(
            "bookworm",
            &key.public(),
            json!({"check_valid_until": false}),
        )
        .succeeds();
    assert_eq!(versions(&out), ["3.0.11-1~deb12u1"]);
    // A field of apt sources only.
    let line = check(&json!({"source": {"pypi": "x", "check_valid_until": false}})).fails();
    assert!(
        line.contains("source.check_valid_until: not a field of pypi sources"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn a_release_file_dated_in_the_future_is_refused() {
    let key = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    repo.suite("bookworm", &[("Date", release_date(now() + 30 * DAY))]);
    repo.clearsign("bookworm", &key, None, &[]);
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains("the Release file is not valid yet (invalid for another 29d 23h "),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn another_suites_release_file_is_refused() {
    let key = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    repo.suite(
        "bookworm-security",
        &[("Codename", "bookworm-security".to_string())],
    );
    repo.clearsign("bookworm-security", &key, None, &[]);
    let out = repo
        .check("bookworm-security", &key.public(), json!({}))
        .succeeds();
    assert_eq!(versions(&out), ["3.0.11-1~deb12u1"]);
    // A mirror serving bookworm-security's signed files as bookworm (a replay).
    sh(
        repo.root(),
        "cp",
        &["-a", "dists/bookworm-security", "dists/bookworm"],
    );
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(
            "conflicting distribution: expected `bookworm` but the Release file is Suite `bookworm-security`, Codename `bookworm-security`"
        ),
        "{line}"
    );
    assert!(line.contains("not trusting it (signed_by)"), "{line}");
    // The Codename names the suite as well (Debian: Suite `oldstable`, Codename `bookworm`).
    repo.suite(
        "bookworm",
        &[
            ("Suite", "oldstable".to_string()),
            ("Codename", "bookworm".to_string()),
        ],
    );
    repo.clearsign("bookworm", &key, None, &[]);
    repo.check("bookworm", &key.public(), json!({})).succeeds();
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn an_expired_key_is_refused() {
    // Made two years ago without expiry, it signs today; then its expiry is set to a year
    // after it was made (a self-signature of two years ago): at the signature's time it had
    // expired.
    let made = now() - 730 * DAY;
    let key = Keyring::new("ed25519", "sign", Some(made));
    let repo = Repo::new();
    repo.suite("bookworm", &[]);
    repo.clearsign("bookworm", &key, None, &[]);
    let before = key.public();
    repo.check("bookworm", &before, json!({})).succeeds();
    key.set_expiry(made + 60, "1y", None);
    let id = &key.fingerprints()[0][24..];
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(&format!("the signature by {id} of ")),
        "{line}"
    );
    assert!(line.contains(&format!("key {id} expired on ")), "{line}");
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn a_revoked_key_is_refused() {
    let key = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    repo.suite("bookworm", &[]);
    repo.clearsign("bookworm", &key, None, &[]);
    repo.check("bookworm", &key.public(), json!({})).succeeds();
    // gpg's own revocation certificate (reason: none given), imported.
    let fpr = key.fingerprints()[0].clone();
    let rev = key.home.path().join(format!("openpgp-revocs.d/{fpr}.rev"));
    let text = std::fs::read_to_string(&rev)
        .unwrap()
        .replace(":-----BEGIN", "-----BEGIN");
    let cert = key.home.path().join("revocation.asc");
    std::fs::write(&cert, text).unwrap();
    key.gpg(None, &["--import", cert.to_str().unwrap()]);
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(&format!("key {} is revoked", &fpr[24..])),
        "{line}"
    );
}

/// A certification-only primary key made at `made` with a signing subkey (its fingerprint),
/// and a repository whose `bookworm` InRelease the subkey signed now.
fn subkey_signed(made: i64) -> (Keyring, String, Repo) {
    let key = Keyring::new("ed25519", "cert", Some(made));
    let sub = key.add_signing_subkey("ed25519", Some(made));
    let repo = Repo::new();
    repo.suite("bookworm", &[]);
    repo.clearsign("bookworm", &key, None, &["-u", &format!("{sub}!")]);
    repo.check("bookworm", &key.public(), json!({})).succeeds();
    (key, sub, repo)
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn an_expired_signing_subkey_is_refused() {
    // Its binding re-made two years ago with a one-year expiry: expired when it signed.
    let made = now() - 730 * DAY;
    let (key, sub, repo) = subkey_signed(made);
    key.set_expiry(made + 60, "1y", Some(&sub));
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(&format!("the signature by {} of ", &sub[24..])),
        "{line}"
    );
    assert!(
        line.contains(&format!("subkey {} expired on ", &sub[24..])),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn a_revoked_signing_subkey_is_refused() {
    let (key, sub, repo) = subkey_signed(now() - 1000);
    key.edit(None, false, "key 1\nrevkey\ny\n0\n\ny\nsave\n");
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(&format!("subkey {} is revoked", &sub[24..])),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn a_subkey_not_flagged_for_signing_is_refused() {
    // Its binding re-made before the signature, flagged for authentication only.
    let made = now() - 1000;
    let (key, sub, repo) = subkey_signed(made);
    key.edit(
        Some(made + 60),
        true,
        "key 1\nchange-usage\nS\nA\nQ\nsave\n",
    );
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains(&format!("subkey {} is not flagged for signing", &sub[24..])),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn rsa_2048_signatures_over_sha384_and_sha512_verify() {
    let key = Keyring::new("rsa2048", "sign", None);
    let repo = Repo::new();
    for (suite, digest) in [
        ("sha384", "SHA384"),
        ("sha512", "SHA512"),
        ("sha256", "SHA256"),
    ] {
        repo.suite(suite, &[]);
        repo.clearsign(suite, &key, None, &["--digest-algo", digest]);
        let out = repo.check(suite, &key.public(), json!({})).succeeds();
        assert_eq!(versions(&out), ["3.0.11-1~deb12u1"], "{digest}");
    }
    // SHA-1 is not enough.
    repo.suite("sha1", &[]);
    repo.clearsign("sha1", &key, None, &["--digest-algo", "SHA1"]);
    let line = repo.check("sha1", &key.public(), json!({})).fails();
    assert!(line.contains("over SHA-256/384/512"), "{line}");
}

/// `InRelease`'s armored signature block with its one signature packet preceded by `extra`
/// corrupted copies of it.
fn with_extra_signatures(inrelease: &str, extra: usize) -> String {
    use base64::Engine as _;
    let b64 = base64::engine::general_purpose::STANDARD;
    let (text, sig) = inrelease
        .split_once("-----BEGIN PGP SIGNATURE-----")
        .unwrap();
    let body: String = sig
        .lines()
        .skip_while(|l| !l.trim().is_empty())
        .take_while(|l| !l.starts_with('=') && !l.starts_with("-----END"))
        .collect();
    let packet = b64.decode(body.trim()).unwrap();
    let mut bogus = packet.clone();
    let last = bogus.len() - 1;
    bogus[last] ^= 0x55;
    let mut all = Vec::with_capacity(packet.len() * (extra + 1));
    for _ in 0..extra {
        all.extend_from_slice(&bogus);
    }
    all.extend_from_slice(&packet);
    let encoded = b64.encode(&all);
    let mut out = format!("{text}-----BEGIN PGP SIGNATURE-----\n\n");
    for chunk in encoded.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(chunk).unwrap());
        out.push('\n');
    }
    out.push_str("-----END PGP SIGNATURE-----\n");
    out
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn twenty_thousand_signature_packets_are_refused() {
    // 1 MiB of signed text, then 20,000 signature packets before the good one.
    let key = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    let release = repo.suite("bookworm", &[]);
    let mut text = std::fs::read_to_string(&release).unwrap();
    text.push_str("\nPadding: 1 MiB of signed text\n");
    let line = format!(" {}\n", "0123456789abcdef".repeat(4));
    while text.len() < 1024 * 1024 {
        text.push_str(&line);
    }
    std::fs::write(&release, text).unwrap();
    repo.clearsign("bookworm", &key, None, &[]);
    let inrelease = repo.root().join("dists/bookworm/InRelease");
    let signed = std::fs::read_to_string(&inrelease).unwrap();
    repo.check("bookworm", &key.public(), json!({})).succeeds();
    repo.rewrite(&inrelease, with_extra_signatures(&signed, 20_000));
    let line = repo.check("bookworm", &key.public(), json!({})).fails();
    assert!(
        line.contains("more than 16 OpenPGP packets: a signed file carries at most 16 signatures"),
        "{line}"
    );
    // A few extra bad signatures before the good one are fine.
    repo.rewrite(&inrelease, with_extra_signatures(&signed, 3));
    repo.check("bookworm", &key.public(), json!({})).succeeds();
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn the_kept_list_is_not_used_past_valid_until() {
    let key = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    repo.suite("bookworm", &[("ValidTime", "12".to_string())]);
    repo.clearsign("bookworm", &key, None, &[]);
    let inrelease = repo.root().join("dists/bookworm/InRelease");
    let text = std::fs::read_to_string(&inrelease).unwrap();
    let valid_until = text
        .lines()
        .find_map(|l| l.strip_prefix("Valid-Until: "))
        .unwrap()
        .to_string();
    let end = chrono::DateTime::parse_from_str(&valid_until, "%a, %d %b %Y %H:%M:%S %z")
        .unwrap()
        .timestamp();
    let first = repo.check("bookworm", &key.public(), json!({}));
    assert_eq!(versions(&first.succeeds()), ["3.0.11-1~deb12u1"]);
    // The mirror goes on serving the same file (a freeze): past its Valid-Until the list kept
    // from it is not used on a 304; the file itself is read again and refused.
    let wait = end + 1 - now();
    if wait > 0 {
        std::thread::sleep(std::time::Duration::from_secs(wait as u64 + 1));
    }
    let again = repo.check("bookworm", &key.public(), json!({}));
    let line = again.fails();
    assert!(line.contains("the Release file is expired"), "{line}");
    assert!(
        again.request_lines().iter().all(|l| !l.contains("-> 304")),
        "{:?}",
        again.request_lines()
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_apt_tools, uptick_has_python3)),
    ignore = "needs apt-ftparchive, dpkg-scanpackages, dpkg-deb, gpg and xz; python3 (apt-get install apt-utils dpkg-dev gnupg xz-utils python3)"
)]
fn several_keys_and_signatures_as_debian_uses_them() {
    // Like debian-archive-keyring: a certification key with an RSA signing subkey and a
    // signing-only Ed25519 key in one signed_by; the Release signed by both.
    let a = Keyring::new("rsa4096", "cert", None);
    let a_sub = a.add_signing_subkey("rsa4096", None);
    let b = Keyring::new("ed25519", "sign", None);
    let repo = Repo::new();
    repo.suite("bookworm", &[("Codename", "bookworm".to_string())]);
    let b_public = b.public();
    let b_secret = String::from_utf8(b.gpg(None, &["--armor", "--export-secret-keys"])).unwrap();
    let b_secret_file = a.home.path().join("b-secret.asc");
    std::fs::write(&b_secret_file, b_secret).unwrap();
    a.gpg(None, &["--import", b_secret_file.to_str().unwrap()]);
    let b_fpr = b.fingerprints()[0].clone();
    repo.clearsign(
        "bookworm",
        &a,
        None,
        &["-u", &format!("{a_sub}!"), "-u", &format!("{b_fpr}!")],
    );
    for keys in [format!("{}\n{b_public}", a.public()), b_public.clone()] {
        let out = repo.check("bookworm", &keys, json!({})).succeeds();
        assert_eq!(versions(&out), ["3.0.11-1~deb12u1"]);
    }
}
