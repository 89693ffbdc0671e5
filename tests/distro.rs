//! A real distro image — Debian bookworm from `debootstrap`, layered by umoci — unpacked by `in`
//! comes out as `umoci unpack` (the reference unpacker) makes it, path by path.

use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder, OCI_MANIFEST};
use crate::support::{get, require_root};
use serde_json::{json, Value};
use std::collections::{BTreeMap, BTreeSet};
use std::os::unix::fs::{FileTypeExt, MetadataExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Instant;

/// The two-layer Debian layout (`tests/support/debian-image.sh`), built once and cached under
/// cargo's target tmp dir, keyed by the script's hash (re-runs skip the ~1.5 min debootstrap).
pub(crate) fn debian_layout() -> PathBuf {
    static BUILD: std::sync::Mutex<()> = std::sync::Mutex::new(());
    let _once = BUILD.lock().unwrap_or_else(|e| e.into_inner());
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/support/debian-image.sh");
    let key = sha256(&std::fs::read(&script).expect("script"))[7..19].to_string();
    let layout = Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("debian-bookworm-{key}"));
    if !layout.join("index.json").exists() {
        let started = Instant::now();
        let out = Command::new("bash")
            .arg(&script)
            .arg(&layout)
            .output()
            .expect("bash debian-image.sh");
        assert!(
            out.status.success(),
            "building the Debian image failed (debootstrap, umoci and setfattr come from \
             ci/test):\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        eprintln!(
            "debian fixture built in {:.0} s: {}",
            started.elapsed().as_secs_f64(),
            layout.display()
        );
    }
    layout
}

/// Pushes the layout's `debian` image to `reg` as `debian:bookworm`; its manifest digest.
pub(crate) fn push(reg: &TestRegistry, layout: &Path) -> String {
    let blob =
        |digest: &str| std::fs::read(layout.join("blobs/sha256").join(&digest[7..])).expect("blob");
    let index: Value =
        serde_json::from_slice(&std::fs::read(layout.join("index.json")).unwrap()).unwrap();
    let entry = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["annotations"]["org.opencontainers.image.ref.name"] == "debian")
        .expect("debian tag in the layout");
    let manifest_bytes = blob(entry["digest"].as_str().unwrap());
    let manifest: Value = serde_json::from_slice(&manifest_bytes).unwrap();
    let seeder = Seeder::new(reg);
    for desc in std::iter::once(&manifest["config"]).chain(manifest["layers"].as_array().unwrap()) {
        let digest = desc["digest"].as_str().unwrap();
        assert_eq!(seeder.push_blob("debian", &blob(digest)), digest);
    }
    assert_eq!(manifest["layers"].as_array().unwrap().len(), 2);
    seeder
        .push_manifest("debian", "bookworm", OCI_MANIFEST, &manifest_bytes)
        .digest
}

/// What is compared of each path.
#[derive(Debug, PartialEq)]
struct Node {
    kind: &'static str,
    mode: u32,
    owner: (u32, u32),
    /// A regular file's size (contents are compared byte for byte apart).
    size: Option<u64>,
    link: Option<PathBuf>,
    mtime: (i64, i64),
    xattrs: BTreeMap<String, Vec<u8>>,
}

fn kind(t: std::fs::FileType) -> &'static str {
    if t.is_symlink() {
        "symlink"
    } else if t.is_dir() {
        "dir"
    } else if t.is_file() {
        "file"
    } else if t.is_char_device() {
        "char"
    } else if t.is_block_device() {
        "block"
    } else if t.is_fifo() {
        "fifo"
    } else {
        "socket"
    }
}

fn xattrs(path: &Path) -> BTreeMap<String, Vec<u8>> {
    let mut names = vec![0u8; 64 * 1024];
    let n = rustix::fs::llistxattr(path, &mut names[..]).unwrap_or(0);
    names[..n]
        .split(|b| *b == 0)
        .filter(|n| !n.is_empty())
        .map(|name| {
            let name = String::from_utf8_lossy(name).into_owned();
            let mut value = vec![0u8; 64 * 1024];
            let len = rustix::fs::lgetxattr(path, name.as_str(), &mut value[..]).unwrap_or(0);
            value.truncate(len);
            (name, value)
        })
        .collect()
}

/// Every path under `root` (the root itself as `.`) and the hard-link groups of its files.
fn scan(root: &Path) -> (BTreeMap<PathBuf, Node>, BTreeSet<Vec<PathBuf>>) {
    let mut nodes = BTreeMap::new();
    let mut inodes: BTreeMap<u64, Vec<PathBuf>> = BTreeMap::new();
    let mut stack = vec![PathBuf::from(".")];
    while let Some(rel) = stack.pop() {
        let path = root.join(&rel);
        let meta = std::fs::symlink_metadata(&path).unwrap();
        let t = meta.file_type();
        if t.is_dir() {
            for e in std::fs::read_dir(&path).unwrap() {
                stack.push(rel.join(e.unwrap().file_name()));
            }
        }
        if t.is_file() && meta.nlink() > 1 {
            inodes.entry(meta.ino()).or_default().push(rel.clone());
        }
        nodes.insert(
            rel,
            Node {
                kind: kind(t),
                mode: if t.is_symlink() {
                    0
                } else {
                    meta.mode() & 0o7777
                },
                owner: (meta.uid(), meta.gid()),
                size: t.is_file().then_some(meta.len()),
                link: t.is_symlink().then(|| std::fs::read_link(&path).unwrap()),
                mtime: (meta.mtime(), meta.mtime_nsec()),
                xattrs: xattrs(&path),
            },
        );
    }
    let groups = inodes
        .into_values()
        .map(|mut g| {
            g.sort();
            g
        })
        .collect();
    (nodes, groups)
}

/// `in` unpacks a debootstrapped Debian bookworm (two layers: the system with iputils-ping,
/// sudo and nano; then nano purged, a `user.*` xattr, a directory's mode and owner changed)
/// exactly as `umoci unpack` does: type, mode, owner, size, content, link target, mtime,
/// xattrs and hard-link groups of every path, the root included. Device nodes are the one
/// intended difference (uptick skips them). And `ping` keeps `cap_net_raw=ep`, so it works for
/// a non-root user in the rootfs.
#[test]
#[cfg_attr(
    not(all(uptick_has_debian_image, uptick_has_docker_registry, uptick_has_root)),
    ignore = "needs debootstrap, umoci, setfattr and Debian's mirror; docker-registry; root (apt-get install debootstrap umoci attr docker-registry; run as root, as ci/test does: a tmpfs, a second uid, chroot)"
)]
fn a_debootstrapped_debian_unpacks_as_umoci_unpacks_it() {
    require_root("debootstrap, chroot, file capabilities and ownership");
    let layout = debian_layout();
    let reg = TestRegistry::start(Mode::Plain);
    let digest = push(&reg, &layout);

    let dest = tempfile::tempdir().unwrap();
    let started = Instant::now();
    get(
        &json!({"source": reg.source("debian", json!({})), "version": {"tag": "bookworm", "digest": digest}}),
        dest.path(),
    )
    .succeeds();
    let ours_took = started.elapsed();
    let reference = tempfile::tempdir().unwrap();
    let bundle = reference.path().join("bundle");
    let started = Instant::now();
    let out = Command::new("umoci")
        .args(["unpack", "--image"])
        .arg(format!("{}:debian", layout.display()))
        .arg(&bundle)
        .output()
        .expect("umoci");
    assert!(
        out.status.success(),
        "umoci unpack: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    eprintln!(
        "in: {:.2} s, umoci unpack: {:.2} s",
        ours_took.as_secs_f64(),
        started.elapsed().as_secs_f64()
    );

    let (ours, our_links) = scan(&dest.path().join("rootfs"));
    let (theirs, their_links) = scan(&bundle.join("rootfs"));
    let mut diffs = Vec::new();
    let mut devices = 0;
    for (path, node) in &theirs {
        match ours.get(path) {
            None if matches!(node.kind, "char" | "block" | "fifo") => devices += 1,
            None => diffs.push(format!("{}: missing ({node:?})", path.display())),
            Some(mine) if mine != node => diffs.push(format!(
                "{}:\n   in: {mine:?}\n umoci: {node:?}",
                path.display()
            )),
            Some(_) if node.kind == "file" => {
                let a = std::fs::read(dest.path().join("rootfs").join(path)).unwrap();
                let b = std::fs::read(bundle.join("rootfs").join(path)).unwrap();
                if a != b {
                    diffs.push(format!("{}: contents differ", path.display()));
                }
            }
            Some(_) => {}
        }
    }
    for path in ours.keys().filter(|p| !theirs.contains_key(*p)) {
        diffs.push(format!("{}: only in uptick's rootfs", path.display()));
    }
    if our_links != their_links {
        diffs.push(format!(
            "hard-link groups differ:\n   in: {our_links:?}\n umoci: {their_links:?}"
        ));
    }
    assert!(
        diffs.is_empty(),
        "{} differences (of {} paths):\n{}",
        diffs.len(),
        theirs.len(),
        diffs
            .iter()
            .take(40)
            .cloned()
            .collect::<Vec<_>>()
            .join("\n")
    );
    // The image is what it claims to be.
    assert!(theirs.len() > 5000, "{} paths", theirs.len());
    assert!(
        devices > 0,
        "debootstrap's /dev nodes are the intended difference"
    );
    let ping = &ours[Path::new("./usr/bin/ping")];
    assert_eq!(
        ping.xattrs.get("security.capability").map(Vec::as_slice),
        Some(&crate::ondisk::CAP_NET_RAW_EP[..])
    );
    assert_eq!(
        ping.mode & 0o4000,
        0,
        "ping is not setuid: the capability is what counts"
    );
    assert_eq!(ours[Path::new("./usr/bin/sudo")].mode, 0o4755);
    assert!(
        !ours.contains_key(Path::new("./usr/bin/nano")),
        "purged in layer 2"
    );
    assert_eq!(
        ours[Path::new("./etc/hostname")]
            .xattrs
            .get("user.uptick.note")
            .map(Vec::as_slice),
        Some(&b"layer two"[..])
    );
    let srv = &ours[Path::new("./srv")];
    assert_eq!((srv.mode, srv.owner), (0o750, (1000, 1000)));

    // ping works for a non-root user in the rootfs: the capability, not setuid, allows it.
    let out = Command::new("chroot")
        .arg("--userspec=65534:65534")
        .arg(dest.path().join("rootfs"))
        .args(["/usr/bin/ping", "-c", "1", "-W", "2", "127.0.0.1"])
        .output()
        .expect("chroot");
    assert!(
        out.status.success(),
        "ping as nobody in the rootfs: {}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
}
