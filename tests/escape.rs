//! Extraction and archive unpacking never reach outside their root: directories replaced by
//! links keep their final modes and times to themselves (`in` and `out`), and archive members
//! are read only as regular files inside the archive (`out`).

use crate::support::layers::{layer, media_type, Compression, Entry, MTIME};
use crate::support::layout;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use crate::support::{get, put, start, test_tmp, Bin, Run};
use serde_json::{json, Value};
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

/// The mode and mtime of the directory outside the root that hostile layers aim at.
const OUTSIDE_MODE: u32 = 0o750;
const OUTSIDE_MTIME: i64 = 1_234_567_890;

/// A directory outside any root with an `ssl/` directory (mode 0750, a known mtime).
fn outside_with_ssl() -> (tempfile::TempDir, PathBuf) {
    let outside = tempfile::tempdir().unwrap();
    let ssl = outside.path().join("ssl");
    std::fs::create_dir(&ssl).unwrap();
    std::fs::set_permissions(&ssl, std::fs::Permissions::from_mode(OUTSIDE_MODE)).unwrap();
    let t = filetime::FileTime::from_unix_time(OUTSIDE_MTIME, 0);
    filetime::set_file_times(&ssl, t, t).unwrap();
    (outside, ssl)
}

fn assert_untouched(ssl: &Path, case: &str) {
    let meta = std::fs::symlink_metadata(ssl).unwrap();
    assert_eq!(
        meta.mode() & 0o7777,
        OUTSIDE_MODE,
        "{case}: the mode of {} outside the root changed",
        ssl.display()
    );
    assert_eq!(
        meta.mtime(),
        OUTSIDE_MTIME,
        "{case}: the mtime of {} outside the root changed",
        ssl.display()
    );
    let inside: Vec<_> = std::fs::read_dir(ssl).unwrap().collect();
    assert!(inside.is_empty(), "{case}: {inside:?}");
}

/// `a/`, `a/ssl/` (0777), then `a` replaced by a link to `target`: in one layer, in the next
/// layer, or after a whiteout of `a`.
fn replaced_by_link(target: &str) -> Vec<(&'static str, Vec<Vec<u8>>)> {
    let gz = Compression::Gzip;
    let dirs = || layer(&[Entry::Dir("a", 0o755), Entry::Dir("a/ssl", 0o777)], gz);
    vec![
        (
            "same layer",
            vec![layer(
                &[
                    Entry::Dir("a", 0o755),
                    Entry::Dir("a/ssl", 0o777),
                    Entry::Symlink("a", target),
                ],
                gz,
            )],
        ),
        (
            "next layer",
            vec![dirs(), layer(&[Entry::Symlink("a", target)], gz)],
        ),
        (
            "whiteout then link",
            vec![
                dirs(),
                layer(
                    &[
                        Entry::File(".wh.a", b"", 0o644),
                        Entry::Symlink("a", target),
                    ],
                    gz,
                ),
            ],
        ),
    ]
}

fn request(reg: &TestRegistry, repo: &str, digest: &str) -> Value {
    json!({
        "source": reg.source(repo, json!({})),
        "version": {"tag": "latest", "digest": digest},
        "params": {},
    })
}

/// The get succeeds: the directory the modes were recorded for is gone from the tree (a later
/// entry replaced it), so the root filesystem is exactly what the layers describe, and nothing
/// outside it is touched.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_directory_replaced_by_a_link_outside_keeps_its_modes_inside_on_get() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    for absolute in [true, false] {
        let (outside, ssl) = outside_with_ssl();
        let target = match absolute {
            true => outside.path().display().to_string(),
            false => format!("{}{}", "../".repeat(12), outside.path().display()),
        };
        for (case, layers) in replaced_by_link(&target) {
            let case = format!("{case} (absolute link: {absolute})");
            let gz = media_type(Compression::Gzip);
            let layers: Vec<(Vec<u8>, &str)> = layers.into_iter().map(|l| (l, gz)).collect();
            let tag = case.replace([' ', '(', ')', ':'], "-");
            let pushed = seeder.layered("app", &tag, &layers, json!({}));
            let dest = tempfile::tempdir().unwrap();
            get(&request(&reg, "app", &pushed.digest), dest.path()).succeeds();
            assert_untouched(&ssl, &case);
            let a = dest.path().join("rootfs/a");
            assert_eq!(
                std::fs::read_link(&a).unwrap(),
                PathBuf::from(&target),
                "{case}"
            );
        }
    }
}

/// The benign form of the same order (a later layer turns `lib` into a link to `usr/lib`, as
/// a merged-/usr conversion does): the modes and times recorded for `lib/x86_64` do not land
/// on `usr/lib/x86_64`.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_directory_replaced_by_a_link_inside_leaves_the_link_target_alone() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let gz = media_type(Compression::Gzip);
    let base = layer(
        &[
            Entry::Dir("usr", 0o755),
            Entry::Dir("usr/lib", 0o755),
            Entry::Dir("usr/lib/x86_64", 0o755),
            Entry::Dir("lib", 0o755),
            Entry::Dir("lib/x86_64", 0o700),
            Entry::File("lib/x86_64/libc.so", b"elf", 0o755),
        ],
        Compression::Gzip,
    );
    let merged = layer(
        &[
            Entry::File(".wh.lib", b"", 0o644),
            Entry::Symlink("lib", "usr/lib"),
        ],
        Compression::Gzip,
    );
    let pushed = seeder.layered("app", "usrmerge", &[(base, gz), (merged, gz)], json!({}));
    let dest = tempfile::tempdir().unwrap();
    get(&request(&reg, "app", &pushed.digest), dest.path()).succeeds();
    let target = std::fs::symlink_metadata(dest.path().join("rootfs/usr/lib/x86_64")).unwrap();
    assert_eq!(target.mode() & 0o7777, 0o755);
    assert_eq!(target.mtime(), MTIME as i64);
    assert_eq!(
        std::fs::read_link(dest.path().join("rootfs/lib")).unwrap(),
        PathBuf::from("usr/lib")
    );
}

/// A plain tar stream's entries without its two end-of-archive blocks (entries without data
/// only: a file whose data ends in a zero block would lose it).
fn without_end(tar: Vec<u8>) -> Vec<u8> {
    let mut tar = tar;
    while tar.len() >= 512 && tar[tar.len() - 512..].iter().all(|b| *b == 0) {
        tar.truncate(tar.len() - 512);
    }
    tar
}

/// An OCI archive of a valid one-layer layout, preceded by `hostile` entries.
fn oci_archive_after(hostile: &[Entry], out: &Path) -> String {
    let layout_dir = tempfile::tempdir().unwrap();
    let digest = layout::single(
        layout_dir.path(),
        &[layer(
            &[Entry::File("f", b"fine", 0o644)],
            Compression::Gzip,
        )],
    );
    let plain = tempfile::tempdir().unwrap();
    let valid = plain.path().join("valid.tar");
    layout::tar_dir(layout_dir.path(), &valid);
    let mut bytes = without_end(layer(hostile, Compression::Plain));
    bytes.extend(std::fs::read(&valid).unwrap());
    std::fs::write(out, bytes).unwrap();
    digest
}

/// `out` of an archive: the same orders inside the one tar stream; the push succeeds (the
/// layout in it is valid) and nothing outside is touched.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn an_archive_directory_replaced_by_a_link_outside_is_left_alone_on_put() {
    let reg = TestRegistry::start(Mode::Plain);
    let (outside, ssl) = outside_with_ssl();
    let target = outside.path().display().to_string();
    let cases: Vec<(&str, Vec<Entry>)> = vec![
        (
            "link after the directories",
            vec![
                Entry::Dir("a", 0o755),
                Entry::Dir("a/ssl", 0o777),
                Entry::Symlink("a", &target),
            ],
        ),
        (
            "whiteout then link",
            vec![
                Entry::Dir("a", 0o755),
                Entry::Dir("a/ssl", 0o777),
                Entry::File(".wh.a", b"", 0o644),
                Entry::Symlink("a", &target),
            ],
        ),
    ];
    for (case, entries) in cases {
        let src = tempfile::tempdir().unwrap();
        let digest = oci_archive_after(&entries, &src.path().join("image.tar"));
        let out = put(
            &json!({"source": reg.source("archive", json!({})), "params": {"image": "image.tar", "tags": ["1"]}}),
            src.path(),
        )
        .succeeds();
        assert_eq!(out["version"]["digest"], json!(digest), "{case}");
        assert_untouched(&ssl, case);
    }
}

/// A docker-save archive: `config.json`, `manifest.json` naming `layers`, and `members`
/// (name, link target) as symbolic links; each of `files` as a regular file.
fn docker_archive(out: &Path, files: &[(&str, &[u8])], links: &[(&str, &str)], layers: &[&str]) {
    let manifest = serde_json::to_vec(
        &json!([{"Config": "config.json", "RepoTags": ["x:1"], "Layers": layers}]),
    )
    .unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(out).unwrap());
    let mut add = |name: &str, data: &[u8]| layout::append_file(&mut b, name, data);
    add("manifest.json", &manifest);
    for (name, data) in files {
        add(name, data);
    }
    for (name, target) in links {
        let mut h = tar::Header::new_gnu();
        h.set_entry_type(tar::EntryType::Symlink);
        h.set_size(0);
        h.set_mode(0o777);
        b.append_link(&mut h, name, target).unwrap();
    }
    b.finish().unwrap();
}

fn config_bytes(layers: &[&[u8]]) -> Vec<u8> {
    let diff: Vec<String> = layers.iter().map(|l| sha256(l)).collect();
    serde_json::to_vec(&json!({"architecture": "amd64", "os": "linux", "config": {}, "rootfs": {"type": "layers", "diff_ids": diff}})).unwrap()
}

/// Requests that write to the registry.
fn writes(reg: &TestRegistry) -> Vec<(String, String, u16)> {
    reg.access_log()
        .into_iter()
        .filter(|(m, _, _)| m != "GET" && m != "HEAD")
        .collect()
}

/// `out` with a limit: a run reading an endless member must not hang the suite (the limit is a
/// guard, far above what a refused run takes).
fn put_within(request: &Value, sources: &Path, limit: Duration) -> Run {
    let tmp = test_tmp();
    let mut started = start(
        Bin::Out,
        &[sources.to_str().unwrap()],
        &[("TMPDIR", tmp.to_str().unwrap())],
    );
    started.send(&request.to_string());
    let deadline = Instant::now() + limit;
    while started.child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            started.kill9();
            panic!("out still running after {limit:?}: it reads an endless input");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    started.finish("")
}

/// A docker-save case: its name, regular files, links, and the member the error must name.
type Case<'a> = (
    &'a str,
    Vec<(&'a str, &'a [u8])>,
    Vec<(&'a str, &'a str)>,
    &'a str,
);

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn docker_archive_members_are_read_only_as_regular_files_inside_the_archive() {
    let reg = TestRegistry::start(Mode::Plain);
    let outside = tempfile::tempdir().unwrap();
    let secret_file = outside.path().join("secret");
    let secret = b"outside the archive: never pushed";
    std::fs::write(&secret_file, secret).unwrap();
    let secret_path = secret_file.display().to_string();
    let good_layer = layer(&[Entry::File("f", b"fine", 0o644)], Compression::Plain);
    let config = config_bytes(&[&good_layer]);
    let cases: Vec<Case> = vec![
        (
            "layer linked to a file outside",
            vec![("config.json", &config)],
            vec![("l.tar", &secret_path)],
            "l.tar",
        ),
        (
            "layer linked to /dev/zero",
            vec![("config.json", &config)],
            vec![("l.tar", "/dev/zero")],
            "l.tar",
        ),
        (
            "layer linked outside by a relative link",
            vec![("config.json", &config)],
            vec![("l.tar", "../../../../../../../../../../../dev/zero")],
            "l.tar",
        ),
        (
            "config linked to a file outside",
            vec![("l.tar", &good_layer)],
            vec![("config.json", &secret_path)],
            "config.json",
        ),
    ];
    for (case, files, links, member) in cases {
        let src = tempfile::tempdir().unwrap();
        docker_archive(&src.path().join("image.tar"), &files, &links, &["l.tar"]);
        let before = writes(&reg).len();
        let line = put_within(
            &json!({"source": reg.source("docker", json!({})), "params": {"image": "image.tar", "tags": ["1"]}}),
            src.path(),
            Duration::from_secs(120),
        )
        .fails();
        assert!(line.contains(&format!("`{member}`")), "{case}: {line}");
        assert!(line.contains("outside the archive"), "{case}: {line}");
        let written = writes(&reg);
        assert_eq!(written.len(), before, "{case}: {:?}", &written[before..]);
    }

    // Docker's own form: a layer saved twice is a relative link to the first copy.
    let src = tempfile::tempdir().unwrap();
    let config = config_bytes(&[&good_layer, &good_layer]);
    docker_archive(
        &src.path().join("image.tar"),
        &[("config.json", &config), ("0/layer.tar", &good_layer)],
        &[("1/layer.tar", "../0/layer.tar")],
        &["0/layer.tar", "1/layer.tar"],
    );
    put(
        &json!({"source": reg.source("docker", json!({})), "params": {"image": "image.tar", "tags": ["dup"]}}),
        src.path(),
    )
    .succeeds();
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_docker_archive_member_that_is_not_a_regular_file_is_refused() {
    let reg = TestRegistry::start(Mode::Plain);
    let good_layer = layer(&[Entry::File("f", b"fine", 0o644)], Compression::Plain);
    let config = config_bytes(&[&good_layer]);
    let src = tempfile::tempdir().unwrap();
    // `l.tar` is a link to a directory inside the archive.
    docker_archive(
        &src.path().join("image.tar"),
        &[("config.json", &config), ("d/x", b"x")],
        &[("l.tar", "d")],
        &["l.tar"],
    );
    let line = put(
        &json!({"source": reg.source("docker", json!({})), "params": {"image": "image.tar", "tags": ["1"]}}),
        src.path(),
    )
    .fails();
    assert!(
        line.contains("`l.tar`") && line.contains("not a regular file"),
        "{line}"
    );
    assert!(writes(&reg).is_empty());
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn oci_archive_blobs_are_read_only_as_regular_files_inside_the_archive() {
    let reg = TestRegistry::start(Mode::Plain);
    let outside = tempfile::tempdir().unwrap();
    let layout_dir = tempfile::tempdir().unwrap();
    let good_layer = layer(&[Entry::File("f", b"fine", 0o644)], Compression::Gzip);
    layout::single(layout_dir.path(), std::slice::from_ref(&good_layer));
    // The layer blob becomes a link to an outside file of the same size.
    let hex = &sha256(&good_layer)[7..];
    let blob = layout_dir.path().join("blobs/sha256").join(hex);
    let secret_file = outside.path().join("secret");
    std::fs::write(&secret_file, vec![b's'; good_layer.len()]).unwrap();
    std::fs::remove_file(&blob).unwrap();
    std::os::unix::fs::symlink(&secret_file, &blob).unwrap();
    let src = tempfile::tempdir().unwrap();
    let mut b = tar::Builder::new(std::fs::File::create(src.path().join("oci.tar")).unwrap());
    b.follow_symlinks(false);
    b.append_dir_all(".", layout_dir.path()).unwrap();
    b.finish().unwrap();
    drop(b);
    let line = put(
        &json!({"source": reg.source("oci", json!({})), "params": {"image": "oci.tar", "tags": ["1"]}}),
        src.path(),
    )
    .fails();
    assert!(
        line.contains(hex) && line.contains("outside the archive"),
        "{line}"
    );
    assert!(writes(&reg).is_empty(), "{:?}", writes(&reg));
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn an_archive_that_is_a_device_is_refused_not_read_forever() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    std::os::unix::fs::symlink("/dev/zero", src.path().join("image.tar")).unwrap();
    let line = put_within(
        &json!({"source": reg.source("zero", json!({})), "params": {"image": "image.tar", "tags": ["1"]}}),
        src.path(),
        Duration::from_secs(120),
    )
    .fails();
    assert!(
        line.contains("image.tar") && line.contains("neither a directory nor a regular file"),
        "{line}"
    );
    assert!(writes(&reg).is_empty());
}
