//! apk `signed_by` trusts an `APKINDEX.tar.gz` as apk-tools does: only when its signature
//! segment holds an RSA signature (`.SIGN.RSA.*` SHA-1, `.SIGN.RSA256.*` SHA-256) by one of the
//! given keys over the bytes after that segment. Keys are made and indexes signed by `openssl`
//! as `abuild-sign` does (`openssl dgst -sha1|-sha256 -sign`), served by Python's file server.

use crate::distro_packages::sh;
use crate::support::{check, servers, versions};
use serde_json::{json, Value};
use std::io::Write as _;
use std::path::Path;

/// `openssl` run in `dir`: its standard output.
fn openssl(dir: &Path, args: &[&str]) -> Vec<u8> {
    sh(dir, "openssl", args)
}

pub(crate) fn gz(bytes: &[u8]) -> Vec<u8> {
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(bytes).unwrap();
    e.finish().unwrap()
}

pub(crate) fn tar_entry(name: &str, data: &[u8]) -> Vec<u8> {
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
}

/// An unsigned `APKINDEX.tar.gz` (as `apk index` writes it) listing `openssl` `version`.
fn unsigned_index(version: &str, arch: &str) -> Vec<u8> {
    let index = format!(
        "C:Q1AAAAAAAAAAAAAAAAAAAAAAAAAAA=\nP:openssl\nV:{version}\nA:{arch}\nS:1024\nI:4096\nT:openssl\nt:1720000000\n\n"
    );
    let mut tar = tar_entry("DESCRIPTION", b"v3.20.3-0-g0000000");
    tar.extend(tar_entry("APKINDEX", index.as_bytes()));
    tar.extend([0u8; 1024]);
    gz(&tar)
}

/// An RSA 2048 key pair made by `openssl`: the private key's path and the public key's PEM.
pub(crate) fn key(dir: &Path, name: &str) -> (String, String) {
    let private = dir.join(format!("{name}.rsa"));
    let public = dir.join(format!("{name}.rsa.pub"));
    let (private_s, public_s) = (private.to_str().unwrap(), public.to_str().unwrap());
    openssl(dir, &["genrsa", "-out", private_s, "2048"]);
    openssl(dir, &["rsa", "-in", private_s, "-pubout", "-out", public_s]);
    (
        private_s.to_string(),
        std::fs::read_to_string(&public).unwrap(),
    )
}

/// `unsigned` signed as `abuild-sign` signs it: `openssl dgst -<digest> -sign`, the signature
/// file `.SIGN.<sigtype>.<key name>` in a tar without end blocks, gzipped, put in front.
pub(crate) fn signed(
    dir: &Path,
    unsigned: &[u8],
    private: &str,
    digest: &str,
    sigtype: &str,
) -> Vec<u8> {
    let file = dir.join("APKINDEX.unsigned.tar.gz");
    std::fs::write(&file, unsigned).unwrap();
    let sig = openssl(
        dir,
        &[
            "dgst",
            &format!("-{digest}"),
            "-sign",
            private,
            file.to_str().unwrap(),
        ],
    );
    let mut out = gz(&tar_entry(&format!(".SIGN.{sigtype}.test.rsa.pub"), &sig));
    out.extend_from_slice(unsigned);
    out
}

#[test]
#[cfg_attr(
    not(all(uptick_has_openssl, uptick_has_python3)),
    ignore = "needs openssl; python3 (apt-get install openssl python3)"
)]
fn apk_signed_by_trusts_only_an_index_signed_by_a_given_key() {
    let keys = tempfile::tempdir().unwrap();
    let (private, public) = key(keys.path(), "good");
    let (_, other_public) = key(keys.path(), "other");
    let root = tempfile::tempdir().unwrap();
    let repo = root.path().join("v3.20/main");
    let sign = |unsigned: &[u8], digest: &str, sigtype: &str| {
        signed(keys.path(), unsigned, &private, digest, sigtype)
    };
    // A byte of the signed part changed after signing: the gzip header's MTIME, which no
    // decompressor checks, so the index itself still reads.
    let unsigned = unsigned_index("3.3.2-r0", "x86");
    let mut tampered = sign(&unsigned, "sha256", "RSA256");
    let at = tampered.len() - unsigned.len() + 4;
    tampered[at] ^= 0x55;
    // Another index under the signature of the first.
    let unsigned = unsigned_index("3.3.2-r0", "s390x");
    let mut forged = sign(&unsigned, "sha256", "RSA256");
    forged.truncate(forged.len() - unsigned.len());
    forged.extend(unsigned_index("9.9.9-r0", "s390x"));
    for (arch, body) in [
        (
            "x86_64",
            sign(&unsigned_index("3.3.2-r0", "x86_64"), "sha256", "RSA256"),
        ),
        (
            "aarch64",
            sign(&unsigned_index("3.3.2-r0", "aarch64"), "sha1", "RSA"),
        ),
        ("armv7", unsigned_index("3.3.2-r0", "armv7")),
        ("x86", tampered),
        ("s390x", forged),
    ] {
        std::fs::create_dir_all(repo.join(arch)).unwrap();
        std::fs::write(repo.join(arch).join("APKINDEX.tar.gz"), body).unwrap();
    }
    let server = servers::static_files(root.path());
    let base = format!("http://127.0.0.1:{}/v3.20/main", server.port);
    let src = |arch: &str, signed_by: Option<&str>| {
        let mut s = json!({"apk": "openssl", "repository": base, "architecture": arch});
        if let Some(k) = signed_by {
            s["signed_by"] = Value::String(k.to_string());
        }
        s
    };
    let both = format!("{other_public}{public}");

    // Signed with SHA-256 and with SHA-1 (abuild's default): verified, with the key alone or
    // among others.
    for arch in ["x86_64", "aarch64"] {
        let out = check(&json!({"source": src(arch, Some(&public))})).succeeds();
        assert_eq!(versions(&out), ["3.3.2-r0"], "{arch}");
        let out = check(&json!({"source": src(arch, Some(&both))})).succeeds();
        assert_eq!(versions(&out), ["3.3.2-r0"], "{arch}");
    }
    // Without signed_by, as before: the unsigned, tampered and forged indexes are read.
    let out = check(&json!({"source": src("armv7", None)})).succeeds();
    assert_eq!(versions(&out), ["3.3.2-r0"]);
    let out = check(&json!({"source": src("x86", None)})).succeeds();
    assert_eq!(versions(&out), ["3.3.2-r0"]);
    let out = check(&json!({"source": src("s390x", None)})).succeeds();
    assert_eq!(versions(&out), ["9.9.9-r0"]);

    // With it: unsigned (even right after a list was kept for it without signed_by), signed
    // by a key not given, tampered and forged are refused, naming the index.
    let line = check(&json!({"source": src("armv7", Some(&public))})).fails();
    assert!(
        line.contains(&format!(
            "{base}/armv7/APKINDEX.tar.gz: signature: no signature (an unsigned index); not trusting it (signed_by)"
        )),
        "{line}"
    );
    let line = check(&json!({"source": src("x86_64", Some(&other_public))})).fails();
    assert!(
        line.contains(&format!(
            "{base}/x86_64/APKINDEX.tar.gz: signature: no signature (by RSA256 test.rsa.pub) verifies with signed_by's 1 key(s)"
        )),
        "{line}"
    );
    for arch in ["x86", "s390x"] {
        let line = check(&json!({"source": src(arch, Some(&both))})).fails();
        assert!(
            line.contains(&format!(
                "{base}/{arch}/APKINDEX.tar.gz: signature: no signature (by RSA256 test.rsa.pub) verifies with signed_by's 2 key(s)"
            )),
            "{arch}: {line}"
        );
    }
    let line = check(&json!({"source": src("x86_64", Some(&public.repeat(17)))})).fails();
    assert!(
        line.contains("source.signed_by: more than 16 keys"),
        "{line}"
    );
    let line = check(&json!({"source": src("x86_64", Some("not a key"))})).fails();
    assert!(
        line.contains("source.signed_by: no PEM `PUBLIC KEY` block"),
        "{line}"
    );
}
