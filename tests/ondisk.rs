//! `in` and `out` on disk under hostile conditions: a failure after the download, a full disk,
//! kill -9, another user planting files in a shared `$TMPDIR`, sparse layers, xattrs, and
//! concurrent checks sharing the discovery cache.

use crate::support::fake::{self, Reply};
use crate::support::layers::{layer, media_type, Compression, Entry, MTIME};
use crate::support::proxy::{self, Action};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use crate::support::{as_other_user, get, require_root, run_env, start, test_tmp, Bin, OTHER_UID};
use serde_json::{json, Value};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Every name in `dir`, hidden ones included, sorted.
fn listing(dir: &Path) -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    names.sort();
    names
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(20));
    }
}

/// A proxy in front of `upstream` that holds every request whose path contains `needle`
/// (counting them) while the returned flag is set.
fn stalling_proxy(upstream: u16, needle: String) -> (u16, Arc<AtomicBool>, Arc<AtomicUsize>) {
    let hold = Arc::new(AtomicBool::new(true));
    let seen = Arc::new(AtomicUsize::new(0));
    let (h, s) = (hold.clone(), seen.clone());
    let port = proxy::start(upstream, move |_, path, _| {
        if path.contains(&needle) {
            s.fetch_add(1, SeqCst);
            let deadline = Instant::now() + Duration::from_secs(120);
            while h.load(SeqCst) && Instant::now() < deadline {
                std::thread::sleep(Duration::from_millis(10));
            }
        }
        Action::Forward(path.to_string())
    });
    (port, hold, seen)
}

/// Pseudo-random bytes (incompressible, so a layer has the size asked for).
fn noise(len: usize, seed: u64) -> Vec<u8> {
    let mut x = seed | 1;
    (0..len)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

/// A failure after the layers are in (here the tag list of `aliases: true` answering 500, in
/// every format) leaves DEST exactly as it was: no `rootfs/`, `digest`, `tag`, `labels.json`,
/// `metadata.json`, temporary file or staging directory.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_failure_after_the_download_leaves_dest_as_it_found_it() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l = layer(
        &[Entry::Dir("etc", 0o755), Entry::File("etc/a", b"a", 0o644)],
        Compression::Gzip,
    );
    let pushed = seeder.layered(
        "app",
        "1.0.0",
        &[(l, media_type(Compression::Gzip))],
        json!({"config": {"Labels": {"x": "y"}}}),
    );
    let port = proxy::start(reg.port, |_, path, _| {
        if path.contains("/tags/list") {
            Action::Reply(Reply::new(500, ""))
        } else {
            Action::Forward(path.to_string())
        }
    });
    for format in ["rootfs", "oci", "oci-layout"] {
        let dest = tempfile::tempdir().unwrap();
        std::fs::write(dest.path().join("keep"), "mine").unwrap();
        let run = get(
            &json!({
                "source": {"repository": format!("127.0.0.1:{port}/app"), "label_regex": "."},
                "version": {"tag": "1.0.0", "digest": pushed.digest},
                "params": {"format": format, "aliases": true},
            }),
            dest.path(),
        );
        let line = run.fails();
        assert!(line.contains("500"), "{format}: {line}");
        assert_eq!(listing(dest.path()), ["keep"], "{format}: {}", run.stderr);
        assert_eq!(read(&dest.path().join("keep")), "mine");
    }
}

/// A tmpfs mounted for one test, unmounted when dropped.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(dir: &Path, size: &str) -> Tmpfs {
        let ok = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(dir)
            .status()
            .expect("mount");
        assert!(ok.success(), "mount -t tmpfs failed");
        Tmpfs(dir.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// ENOSPC while the small outputs are written (the layer fills a 1 MiB tmpfs exactly, so
/// `metadata.json` finds no room): the get fails naming the error and DEST is as it was.
#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_root)),
    ignore = "needs docker-registry; root (apt-get install docker-registry; run as root, as ci/test does: a tmpfs, a second uid, chroot)"
)]
fn a_full_disk_fails_the_get_and_leaves_dest_as_it_found_it() {
    require_root("mounts a 1 MiB tmpfs as DEST");
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let big = noise(1024 * 1024, 7);
    let l = layer(&[Entry::File("big", &big, 0o644)], Compression::Gzip);
    let pushed = seeder.layered(
        "app",
        "latest",
        &[(l, media_type(Compression::Gzip))],
        json!({"config": {"Cmd": ["x"]}}),
    );
    let mnt = tempfile::tempdir().unwrap();
    let _tmpfs = Tmpfs::mount(mnt.path(), "1m");
    let dest = mnt.path();
    std::fs::write(dest.join("keep"), "").unwrap(); // an empty file takes no page
    let run = get(
        &json!({"source": reg.source("app", json!({})), "version": {"tag": "latest", "digest": pushed.digest}}),
        dest,
    );
    let line = run.fails();
    assert!(line.contains("No space left on device"), "{line}");
    assert!(
        line.contains("metadata.json"),
        "the layer fits, metadata.json does not: {line}"
    );
    assert_eq!(listing(dest), ["keep"], "{}", run.stderr);

    // write_file itself: on a full disk it fails and removes its temporary file.
    std::fs::write(dest.join("filler"), &big).unwrap();
    let err = uptick::testing::fsutil::write_file(&dest.join("tag"), b"latest").unwrap_err();
    assert_eq!(err.kind(), std::io::ErrorKind::StorageFull, "{err}");
    assert_eq!(listing(dest), ["filler", "keep"]);
}

/// kill -9 in the middle of a get leaves its staging directory (the partial rootfs) in DEST;
/// the next get into DEST removes it, and what earlier versions left under their names
/// (`.rootfs.uptick-<pid>`, …) when their pid is gone — not what a running process owns.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn leftovers_of_a_killed_get_are_swept_by_the_next_run() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l1 = layer(
        &[Entry::Dir("etc", 0o755), Entry::File("etc/a", b"a", 0o644)],
        Compression::Gzip,
    );
    let l2 = layer(
        &[Entry::File("etc/b", &noise(256 * 1024, 3), 0o644)],
        Compression::Gzip,
    );
    let l3 = layer(&[Entry::File("etc/c", b"c", 0o644)], Compression::Gzip);
    let gz = media_type(Compression::Gzip);
    // Layer 3 is held: its request starts (one layer ahead) once layer 1 is being applied.
    let l3_digest = sha256(&l3);
    let pushed = seeder.layered("app", "latest", &[(l1, gz), (l2, gz), (l3, gz)], json!({}));
    let (port, hold, seen) = stalling_proxy(reg.port, format!("/blobs/{l3_digest}"));
    let request = json!({
        "source": {"repository": format!("127.0.0.1:{port}/app")},
        "version": {"tag": "latest", "digest": pushed.digest},
    })
    .to_string();
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap();
    let tmp = test_tmp();
    let env = [("TMPDIR", tmp.to_str().unwrap())];

    let mut started = start(Bin::In, &[d], &env);
    let pid = started.pid();
    started.send(&request);
    let staging_prefix = format!(".uptick-in-{pid}-");
    wait_for("the first layer in the staging directory", || {
        seen.load(SeqCst) > 0
            && listing(dest.path()).iter().any(|n| {
                n.starts_with(&staging_prefix)
                    && dest
                        .path()
                        .join(n)
                        .join(format!(".rootfs.uptick-{pid}/etc/a"))
                        .exists()
            })
    });
    started.kill9();
    let left = listing(dest.path());
    assert!(
        left.len() == 1 && left[0].starts_with(&staging_prefix),
        "a killed get leaves its staging directory: {left:?}"
    );
    // Names earlier versions used: one of the dead run, one of a process still running (ours).
    let legacy = dest.path().join(format!(".rootfs.uptick-{pid}"));
    std::fs::create_dir_all(legacy.join("usr/bin")).unwrap();
    std::fs::write(legacy.join("usr/bin/x"), "x").unwrap();
    std::fs::set_permissions(legacy.join("usr"), std::fs::Permissions::from_mode(0o555)).unwrap();
    let alive = format!(".oci.uptick-{}", std::process::id());
    std::fs::create_dir(dest.path().join(&alive)).unwrap();

    hold.store(false, SeqCst);
    let run = run_env(Bin::In, &request, &[d], &env);
    run.succeeds();
    assert!(
        run.stderr.contains("left by a killed run"),
        "{}",
        run.stderr
    );
    assert_eq!(
        listing(dest.path()),
        [
            alive.as_str(),
            "digest",
            "labels.json",
            "metadata.json",
            "repository",
            "rootfs",
            "tag"
        ]
    );
    assert_eq!(read(&dest.path().join("rootfs/etc/a")), "a");
}

/// kill -9 of an `out` pushing an archive leaves its private unpack directory in `$TMPDIR`;
/// the next `out` removes it.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn leftovers_of_a_killed_put_are_swept_by_the_next_run() {
    let reg = TestRegistry::start(Mode::Plain);
    let (port, hold, seen) = stalling_proxy(reg.port, "/blobs/uploads/".into());
    let src = tempfile::tempdir().unwrap();
    let l = layer(
        &[Entry::File("f", &noise(512 * 1024, 5), 0o644)],
        Compression::Gzip,
    );
    crate::support::layout::single(&src.path().join("layout"), &[l]);
    crate::support::layout::tar_dir(&src.path().join("layout"), &src.path().join("image.tar"));
    let tmp = tempfile::tempdir().unwrap();
    let env = [("TMPDIR", tmp.path().to_str().unwrap())];
    let s = src.path().to_str().unwrap();
    let request = json!({
        "source": {"repository": format!("127.0.0.1:{port}/app")},
        "params": {"image": "image.tar", "tags": ["1"]},
    })
    .to_string();

    let mut started = start(Bin::Out, &[s], &env);
    let pid = started.pid();
    started.send(&request);
    wait_for("the first upload", || seen.load(SeqCst) > 0);
    started.kill9();
    let ours = |dir: &Path| -> Vec<String> {
        // `uptick-<uid>` is the discovery cache's private directory, kept on purpose.
        listing(dir)
            .into_iter()
            .filter(|n| n.starts_with("uptick-out-") || n.starts_with("uptick-copy-"))
            .collect()
    };
    let left = ours(tmp.path());
    let prefix = format!("uptick-out-{pid}-");
    assert!(
        left.len() == 1 && left[0].starts_with(&prefix),
        "a killed out leaves its unpacked archive: {left:?}"
    );
    assert!(tmp.path().join(&left[0]).join("index.json").exists());

    hold.store(false, SeqCst);
    let run = run_env(Bin::Out, &request, &[s], &env);
    run.succeeds();
    assert!(
        run.stderr.contains("left by a killed run"),
        "{}",
        run.stderr
    );
    assert_eq!(ours(tmp.path()), Vec::<String>::new());
}

/// The manifest of `repo:reference` in `reg`, as JSON.
fn manifest(reg: &TestRegistry, repo: &str, reference: &str) -> Value {
    let resp = reg
        .agent()
        .get(format!(
            "{}/v2/{repo}/manifests/{reference}",
            reg.base_url()
        ))
        .header("Accept", crate::support::seed::OCI_MANIFEST)
        .send()
        .expect("manifest");
    serde_json::from_reader(resp).expect("json")
}

/// Another local user of a shared `$TMPDIR` predicts nothing: links planted where earlier
/// versions wrote blobs (`uptick-copy-<pid>-<hex>` → a root-owned file) are never followed, a
/// directory planted at `uptick-out-<pid>` is neither used nor removed, and the private
/// directory a push unpacks into is mode 0700 — the other user cannot read the blobs.
#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_root)),
    ignore = "needs docker-registry; root (apt-get install docker-registry; run as root, as ci/test does: a tmpfs, a second uid, chroot)"
)]
fn another_users_plants_in_a_shared_tmpdir_are_never_followed_or_reused() {
    require_root("acts as a second uid (nobody) planting files");
    let shared = tempfile::tempdir().unwrap();
    std::fs::set_permissions(shared.path(), std::fs::Permissions::from_mode(0o1777)).unwrap();
    let env = [("TMPDIR", shared.path().to_str().unwrap())];
    let victim_dir = tempfile::tempdir().unwrap();
    let victim = victim_dir.path().join("victim");
    std::fs::write(&victim, "root's own file").unwrap();
    let plant_dir = |pid: u32| {
        let dir = shared.path().join(format!("uptick-out-{pid}"));
        let d = dir.to_str().unwrap();
        assert!(as_other_user("mkdir", &["-m", "0777", d]).success());
        assert!(as_other_user("touch", &[&format!("{d}/mine")]).success());
        dir
    };
    let check_planted = |dir: &Path| {
        assert_eq!(std::fs::metadata(dir).unwrap().uid(), OTHER_UID);
        assert_eq!(
            listing(dir),
            ["mine"],
            "the other user's directory was used"
        );
    };

    // Promotion across registries: blobs pass through a temporary file.
    let a = TestRegistry::start(Mode::Plain);
    let b = TestRegistry::start(Mode::Plain);
    let l = layer(&[Entry::File("f", b"promoted", 0o644)], Compression::Gzip);
    let pushed = Seeder::new(&a).layered(
        "app",
        "develop",
        &[(l, media_type(Compression::Gzip))],
        json!({}),
    );
    let m = manifest(&a, "app", "develop");
    let blobs: Vec<String> = std::iter::once(&m["config"])
        .chain(m["layers"].as_array().unwrap())
        .map(|d| d["digest"].as_str().unwrap()[7..].to_string())
        .collect();
    let sources = tempfile::tempdir().unwrap();
    let s = sources.path().to_str().unwrap();
    let started = start(Bin::Out, &[s], &env);
    let pid = started.pid();
    let mut links = Vec::new();
    for hex in &blobs {
        let link = shared.path().join(format!("uptick-copy-{pid}-{hex}"));
        assert!(as_other_user(
            "ln",
            &["-s", victim.to_str().unwrap(), link.to_str().unwrap()]
        )
        .success());
        links.push(link);
    }
    let planted = plant_dir(pid);
    let run = started.finish(
        &json!({
            "source": {"repository": format!("127.0.0.1:{}/app", b.port)},
            "params": {"promote": format!("127.0.0.1:{}/app:develop", a.port), "tags": ["1.0"]},
        })
        .to_string(),
    );
    assert_eq!(run.succeeds()["version"]["digest"], json!(pushed.digest));
    assert_eq!(
        read(&victim),
        "root's own file",
        "a planted link was followed"
    );
    for link in &links {
        let meta = std::fs::symlink_metadata(link).unwrap();
        assert!(meta.file_type().is_symlink() && meta.uid() == OTHER_UID);
    }
    check_planted(&planted);

    // Pushing an archive: unpacked into a private directory, not the planted one.
    let (port, hold, seen) = stalling_proxy(b.port, "/blobs/uploads/".into());
    let l = layer(
        &[Entry::File("secret", b"blob bytes", 0o644)],
        Compression::Gzip,
    );
    crate::support::layout::single(&sources.path().join("layout"), &[l]);
    crate::support::layout::tar_dir(
        &sources.path().join("layout"),
        &sources.path().join("image.tar"),
    );
    let mut started = start(Bin::Out, &[s], &env);
    let pid = started.pid();
    let planted = plant_dir(pid);
    started.send(
        &json!({
            "source": {"repository": format!("127.0.0.1:{port}/app")},
            "params": {"image": "image.tar", "tags": ["2.0"]},
        })
        .to_string(),
    );
    wait_for("the first upload", || seen.load(SeqCst) > 0);
    let private: Vec<String> = listing(shared.path())
        .into_iter()
        .filter(|n| n.starts_with(&format!("uptick-out-{pid}-")))
        .collect();
    assert_eq!(private.len(), 1, "{:?}", listing(shared.path()));
    let private = shared.path().join(&private[0]);
    let meta = std::fs::symlink_metadata(&private).unwrap();
    assert!(meta.is_dir() && meta.uid() == 0, "ours");
    assert_eq!(meta.mode() & 0o7777, 0o700, "private");
    assert!(private.join("index.json").exists());
    assert!(
        !as_other_user("cat", &[private.join("index.json").to_str().unwrap()]).success(),
        "the other user read a file of the run"
    );
    hold.store(false, SeqCst);
    let run = started.finish("");
    run.succeeds();
    check_planted(&planted);
    assert!(!private.exists(), "the private directory is removed");
}

/// Sparse files are refused with a clear error before anything is written: a 2 KiB layer
/// declaring a 4 GiB file (GNU `S` entry, or PAX `GNU.sparse.*` records) fails at once.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn sparse_files_are_refused_before_anything_is_written() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    for (tag, entry) in [
        ("gnu", Entry::Sparse("big", 4 << 30)),
        ("pax", Entry::PaxSparse("big", 4 << 30)),
    ] {
        let l = layer(
            &[Entry::File("small", b"s", 0o644), entry],
            Compression::Plain,
        );
        assert!(l.len() < 8 * 1024, "{} bytes", l.len());
        let pushed = seeder.layered(
            "app",
            tag,
            &[(l, media_type(Compression::Plain))],
            json!({}),
        );
        let dest = tempfile::tempdir().unwrap();
        let started = Instant::now();
        let run = get(
            &json!({"source": reg.source("app", json!({})), "version": {"tag": tag, "digest": pushed.digest}}),
            dest.path(),
        );
        let line = run.fails();
        assert!(line.contains("is a sparse file"), "{tag}: {line}");
        assert!(started.elapsed() < Duration::from_secs(10), "{tag}: slow");
        assert_eq!(listing(dest.path()), Vec::<String>::new(), "{tag}");
    }
}

/// `security.capability` value for `cap_net_raw=ep` (VFS revision 2), as setcap writes it.
pub const CAP_NET_RAW_EP: [u8; 20] = [
    1, 0, 0, 2, 0, 0x20, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
];

fn xattr(path: &Path, name: &str) -> Option<Vec<u8>> {
    let mut buf = vec![0u8; 4096];
    let n = rustix::fs::lgetxattr(path, name, &mut buf[..]).ok()?;
    buf.truncate(n);
    Some(buf)
}

/// Kept xattrs (`security.capability`, `user.*`) land on files and directories, after the
/// owner (a chown would clear the capability); others are skipped. The layer's own `./` entry
/// sets the root's mode, owner and mtime.
#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_root)),
    ignore = "needs docker-registry; root (apt-get install docker-registry; run as root, as ci/test does: a tmpfs, a second uid, chroot)"
)]
fn xattrs_and_the_layers_root_entry_are_applied() {
    require_root("file capabilities and ownership need root");
    let reg = TestRegistry::start(Mode::Plain);
    let l = layer(
        &[
            Entry::Root(0o750),
            Entry::Pax(&[
                ("SCHILY.xattr.security.capability", &CAP_NET_RAW_EP),
                ("SCHILY.xattr.user.note", b"hi"),
                ("SCHILY.xattr.trusted.overlay.opaque", b"y"),
            ]),
            Entry::File("ping", b"#!/bin/true\n", 0o755),
            Entry::Pax(&[("SCHILY.xattr.user.dir", b"d")]),
            Entry::Dir("d", 0o700),
        ],
        Compression::Gzip,
    );
    let pushed = Seeder::new(&reg).layered(
        "app",
        "latest",
        &[(l, media_type(Compression::Gzip))],
        json!({}),
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": reg.source("app", json!({})), "version": {"tag": "latest", "digest": pushed.digest}}),
        dest.path(),
    )
    .succeeds();
    let root = dest.path().join("rootfs");
    let meta = std::fs::metadata(&root).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o750);
    assert_eq!((meta.uid(), meta.gid()), (1000, 1000));
    assert_eq!(meta.mtime(), MTIME as i64);
    let ping = root.join("ping");
    assert_eq!(
        xattr(&ping, "security.capability").as_deref(),
        Some(&CAP_NET_RAW_EP[..])
    );
    assert_eq!(xattr(&ping, "user.note").as_deref(), Some(&b"hi"[..]));
    assert_eq!(xattr(&ping, "trusted.overlay.opaque"), None, "not kept");
    assert_eq!(std::fs::metadata(&ping).unwrap().uid(), 1000);
    assert_eq!(
        xattr(&root.join("d"), "user.dir").as_deref(),
        Some(&b"d"[..])
    );
}

/// 20 checks of 20 registries at once share one discovery cache: every host is remembered
/// (the file is updated under a lock and replaced atomically), and a second round pings none.
#[test]
fn concurrent_checks_keep_every_host_in_the_discovery_cache() {
    let pings = Arc::new(AtomicUsize::new(0));
    let ports: Vec<u16> = (0..20)
        .map(|i| {
            let pings = pings.clone();
            fake::serve(move |method, path| {
                if path == "/v2/" {
                    pings.fetch_add(1, SeqCst);
                    return Reply::new(200, "{}");
                }
                if path == "/v2/app/manifests/latest" && method == "HEAD" {
                    return Reply::new(200, "")
                        .header("Docker-Content-Digest", &sha256(format!("m{i}").as_bytes()))
                        .header("Content-Type", crate::support::seed::OCI_MANIFEST);
                }
                Reply::new(404, "")
            })
        })
        .collect();
    let tmp = test_tmp();
    let env = [("TMPDIR", tmp.to_str().unwrap())];
    let round = || {
        let started: Vec<_> = ports
            .iter()
            .map(|p| {
                let mut s = start(Bin::Check, &[], &env);
                s.send(
                    &json!({"source": {"repository": format!("127.0.0.1:{p}/app"), "tag": "latest"}})
                        .to_string(),
                );
                s
            })
            .collect();
        for (i, s) in started.into_iter().enumerate() {
            let run = s.finish("");
            let digest = sha256(format!("m{i}").as_bytes());
            run.succeeds_with(json!([{"tag": "latest", "digest": digest}]));
        }
    };
    round();
    assert_eq!(pings.load(SeqCst), 20);
    let uid = std::fs::metadata("/proc/self").unwrap().uid();
    let hosts: Value = serde_json::from_slice(
        &std::fs::read(tmp.join(format!("uptick-{uid}/hosts.json"))).unwrap(),
    )
    .unwrap();
    let kept: Vec<&String> = hosts.as_object().unwrap().keys().collect();
    for p in &ports {
        assert!(
            kept.iter().any(|h| h.ends_with(&format!(":{p}"))),
            "host :{p} missing from the cache: {} of 20 kept",
            kept.len()
        );
    }
    round();
    assert_eq!(pings.load(SeqCst), 20, "the second round pinged again");
}

/// The discovery cache drops entries older than its hour when it writes: a run reads a file of
/// the hosts it can still use, not of every registry it ever met.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn expired_discovery_entries_are_dropped_when_the_cache_is_written() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let tmp = test_tmp();
    let uid = std::fs::metadata("/proc/self").unwrap().uid();
    let dir = tmp.join(format!("uptick-{uid}"));
    std::fs::create_dir(&dir).unwrap();
    std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)).unwrap();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let planted = json!({
        "expired.example:5000": {"base": "https://expired.example:5000", "challenge": {"kind": "none"}, "saved": now - 3601},
        "fresh.example:5000": {"base": "https://fresh.example:5000", "challenge": {"kind": "none"}, "saved": now - 60},
    });
    std::fs::write(dir.join("hosts.json"), planted.to_string()).unwrap();
    let env = [("TMPDIR", tmp.to_str().unwrap())];
    let req = json!({"source": reg.source("app", json!({"tag": "latest"}))}).to_string();
    run_env(Bin::Check, &req, &[], &env)
        .succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    let hosts: Value =
        serde_json::from_slice(&std::fs::read(dir.join("hosts.json")).unwrap()).unwrap();
    let kept: Vec<&String> = hosts.as_object().unwrap().keys().collect();
    assert!(
        kept.iter().any(|h| h.as_str() == "fresh.example:5000"),
        "a fresh entry was dropped: {kept:?}"
    );
    assert!(
        kept.iter().any(|h| h.ends_with(&format!(":{}", reg.port))),
        "the registry just pinged is missing: {kept:?}"
    );
    assert!(
        !kept.iter().any(|h| h.as_str() == "expired.example:5000"),
        "an expired entry was kept: {kept:?}"
    );
}
