//! `out`: pushes from layouts and archives, tags (upstream rules plus `tags`), promotion without
//! moving layers, and bad input refused before any write.

use crate::support::layers::{layer, Compression, Entry};
use crate::support::layout;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::{check, get, put};
use serde_json::{json, Value};
use std::path::Path;

fn gz(name: &str, content: &str) -> Vec<u8> {
    layer(
        &[Entry::File(name, content.as_bytes(), 0o644)],
        Compression::Gzip,
    )
}

fn digest_of(reg: &TestRegistry, repo: &str, tag: &str) -> Option<String> {
    let out = check(&json!({"source": reg.source(repo, json!({"tag": tag}))})).succeeds();
    out.as_array()
        .unwrap()
        .last()
        .map(|v| v["digest"].as_str().unwrap().to_string())
}

fn writes(log: &[(String, String, u16)]) -> Vec<&(String, String, u16)> {
    log.iter()
        .filter(|(m, _, _)| m != "GET" && m != "HEAD")
        .collect()
}

fn blob_uploads(log: &[(String, String, u16)]) -> usize {
    log.iter()
        .filter(|(m, p, _)| {
            (m == "POST" && !p.contains("mount="))
                || m == "PATCH"
                || (m == "PUT" && p.contains("/blobs/"))
        })
        .count()
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn push_layout_with_version_and_bumped_aliases_latest_last() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1"), gz("b", "2")]);
    let req = json!({"source": reg.source("app", json!({})), "params": {"image": "ima*", "version": "v1.18.100", "bump_aliases": true}});
    let out = put(&req, src.path()).succeeds();
    assert_eq!(out["version"], json!({"tag": "1.18.100", "digest": digest}));
    assert_eq!(
        out["metadata"][1],
        json!({"name": "tags", "value": "1.18.100 latest 1 1.18"})
    );
    for t in ["1.18.100", "latest", "1", "1.18"] {
        assert_eq!(
            digest_of(&reg, "app", t).as_deref(),
            Some(digest.as_str()),
            "{t}"
        );
    }
    let log = reg.access_log();
    let manifest_puts: Vec<&str> = log
        .iter()
        .filter(|(m, p, _)| m == "PUT" && p.contains("/manifests/"))
        .map(|(_, p, _)| p.rsplit('/').next().unwrap())
        .collect();
    // The fixed tags are written concurrently (in any order), `latest` only after all of them.
    assert_eq!(manifest_puts.len(), 4, "{manifest_puts:?}");
    assert_eq!(manifest_puts[3], "latest", "latest is written last");
    let mut fixed = manifest_puts[..3].to_vec();
    fixed.sort_unstable();
    assert_eq!(fixed, ["1", "1.18", "1.18.100"]);

    // The implicit get after the put fetches what was pushed.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": reg.source("app", json!({})), "version": out["version"], "params": {}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(got["version"], out["version"]);
    assert_eq!(
        std::fs::read_to_string(dest.path().join("rootfs/b")).unwrap(),
        "2"
    );

    // A second push of the same image: every blob HEADed and skipped.
    let before = reg.access_log().len();
    let req = json!({"source": reg.source("app", json!({})), "params": {"image": "image", "tags": ["again"]}});
    put(&req, src.path()).succeeds();
    let log = reg.access_log();
    assert_eq!(blob_uploads(&log[before..]), 0, "{:?}", &log[before..]);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn bump_aliases_follow_upstream_rules() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    layout::single(&src.path().join("image"), &[gz("a", "1")]);
    let push = |params: Value, source: Value| {
        let mut p = json!({"image": "image"});
        for (k, v) in params.as_object().unwrap() {
            p[k] = v.clone();
        }
        put(
            &json!({"source": reg.source("app", source), "params": p}),
            src.path(),
        )
        .succeeds()["metadata"][1]["value"]
            .as_str()
            .unwrap()
            .to_string()
    };
    assert_eq!(
        push(json!({"version": "1.3.0", "bump_aliases": true}), json!({})),
        "1.3.0 latest 1 1.3"
    );
    // An older patch line: latest and 1 stay, 1.2 moves.
    assert_eq!(
        push(json!({"version": "1.2.5", "bump_aliases": true}), json!({})),
        "1.2.5 1.2"
    );
    // Pre-releases never bump; pre-releases in the repository are ignored.
    assert_eq!(
        push(
            json!({"version": "2.0.0-rc.1", "bump_aliases": true}),
            json!({})
        ),
        "2.0.0-rc.1"
    );
    assert_eq!(
        push(json!({"version": "1.3.1", "bump_aliases": true}), json!({})),
        "1.3.1 latest 1 1.3"
    );
    // A variant compares only with its own line and bumps its bare tag.
    assert_eq!(
        push(
            json!({"version": "0.9.0", "bump_aliases": true}),
            json!({"variant": "alpine"})
        ),
        "0.9.0-alpine alpine 0-alpine 0.9-alpine"
    );
    // source.tag first; additional tags with a prefix; literal tags.
    std::fs::write(src.path().join("more"), "a1\nb2  c3").unwrap();
    assert_eq!(
        push(
            json!({"additional_tags": "more", "tag_prefix": "x-", "tags": ["1.0.RELEASE"]}),
            json!({"tag": "develop"})
        ),
        "develop x-a1 x-b2 x-c3 1.0.RELEASE"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn push_multi_arch_layout_children_before_index() {
    let reg = TestRegistry::start(Mode::Basic);
    let src = tempfile::tempdir().unwrap();
    let index = layout::multi(
        &src.path().join("image"),
        &[
            ("amd64", gz("arch", "amd64")),
            ("arm64", gz("arch", "arm64")),
        ],
    );
    let out = put(&json!({"source": reg.source("multi", json!({"tag": "latest"})), "params": {"image": "image"}}), src.path()).succeeds();
    assert_eq!(
        out["version"]["digest"],
        json!(index),
        "the nested index is what is pushed"
    );
    let log = reg.access_log();
    let puts: Vec<&str> = log
        .iter()
        .filter(|(m, p, _)| m == "PUT" && p.contains("/manifests/"))
        .map(|(_, p, _)| p.as_str())
        .collect();
    assert_eq!(puts.len(), 3, "{puts:?}");
    assert!(
        puts[2].ends_with("/manifests/latest")
            && puts[0].contains("sha256:")
            && puts[1].contains("sha256:")
    );
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": reg.source("multi", json!({})), "version": out["version"], "params": {"platform": {"architecture": "arm64"}}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("rootfs/arch")).unwrap(),
        "arm64"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn push_docker_and_oci_archives() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    let plain = layer(
        &[Entry::File("hello", b"from docker save", 0o644)],
        Compression::Plain,
    );
    layout::docker_archive(&src.path().join("image.tar"), &[plain], "x:latest");
    let out = put(&json!({"source": reg.source("docker", json!({})), "params": {"image": "*.tar", "tags": ["d1"]}}), src.path()).succeeds();
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": reg.source("docker", json!({})), "version": out["version"], "params": {}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("rootfs/hello")).unwrap(),
        "from docker save"
    );

    let layout_dir = tempfile::tempdir().unwrap();
    let digest = layout::single(layout_dir.path(), &[gz("o", "oci archive")]);
    let archives = tempfile::tempdir().unwrap();
    layout::tar_dir(layout_dir.path(), &archives.path().join("oci.tar"));
    let out = put(&json!({"source": reg.source("ociarchive", json!({})), "params": {"image": "oci.tar", "tags": ["o1"]}}), archives.path()).succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn promote_in_the_same_repository_moves_no_blob() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1")]);
    put(&json!({"source": reg.source("app", json!({"tag": "develop"})), "params": {"image": "image"}}), src.path()).succeeds();
    let before = reg.access_log().len();
    let empty = tempfile::tempdir().unwrap();
    let out = put(
        &json!({"source": reg.source("app", json!({})), "params": {"promote": "develop", "version": "1.18.100", "bump_aliases": true, "tags": ["1.18.100-alpine3.20.3"]}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(out["version"], json!({"tag": "1.18.100", "digest": digest}));
    let log = reg.access_log();
    let during = &log[before..];
    assert_eq!(blob_uploads(during), 0, "{during:?}");
    assert!(
        writes(during)
            .iter()
            .all(|(m, p, _)| m == "PUT" && p.contains("/manifests/")),
        "{during:?}"
    );
    for t in ["latest", "1", "1.18", "1.18.100", "1.18.100-alpine3.20.3"] {
        assert_eq!(
            digest_of(&reg, "app", t).as_deref(),
            Some(digest.as_str()),
            "{t}"
        );
    }

    // From the directory of an earlier get: its repository and digest.
    let got = tempfile::tempdir().unwrap();
    get(&json!({"source": reg.source("app", json!({})), "version": {"tag": "develop", "digest": digest}, "params": {"skip_download": true}}), &got.path().join("dev")).succeeds();
    let out = put(&json!({"source": reg.source("app", json!({})), "params": {"promote": "dev", "tags": ["from-get"]}}), got.path()).succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn promote_across_repositories_mounts_and_across_registries_copies() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1"), gz("b", "2")]);
    put(&json!({"source": reg.source("staging/app", json!({"tag": "rc"})), "params": {"image": "image"}}), src.path()).succeeds();
    let before = reg.access_log().len();
    let empty = tempfile::tempdir().unwrap();
    let from = format!("{}:rc", reg.repo("staging/app"));
    let out = put(&json!({"source": reg.source("release/app", json!({})), "params": {"promote": from, "tags": ["1.0.RELEASE"]}}), empty.path()).succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
    let log = reg.access_log();
    let mounts = log[before..]
        .iter()
        .filter(|(m, p, s)| m == "POST" && p.contains("mount=") && *s == 201)
        .count();
    assert_eq!(
        mounts,
        3,
        "config and two layers mounted: {:?}",
        &log[before..]
    );
    assert_eq!(blob_uploads(&log[before..]), 0);

    // Another registry: streamed copy; the digest does not change.
    let other = TestRegistry::start(Mode::Plain);
    let out = put(
        &json!({"source": other.source("mirror/app", json!({})), "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["copied"]}}),
        empty.path(),
    );
    // The source registry wants a token and this source has no credentials for it.
    let line = out.fails();
    assert!(line.contains("authentication"), "{line}");
    let plain = TestRegistry::start(Mode::Plain);
    put(&json!({"source": plain.source("origin/app", json!({"tag": "rc"})), "params": {"image": "image"}}), src.path()).succeeds();
    let before_copy = other.access_log().len();
    let out = put(
        &json!({"source": other.source("mirror/app", json!({})), "params": {"promote": format!("{}:rc", plain.repo("origin/app")), "tags": ["copied"]}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
    // One HEAD per blob: the one that found it missing settles it for the upload too.
    let log = other.access_log();
    let blob_heads = log[before_copy..]
        .iter()
        .filter(|(m, p, _)| m == "HEAD" && p.contains("/blobs/"))
        .count();
    assert_eq!(blob_heads, 3, "{:?}", &log[before_copy..]);
    assert_eq!(
        blob_uploads(&log[before_copy..]),
        6,
        "{:?}",
        &log[before_copy..]
    );
    assert_eq!(
        digest_of(&other, "mirror/app", "copied").as_deref(),
        Some(digest.as_str())
    );
    let _ = from;
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn bad_put_input_fails_before_any_write() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    layout::single(&src.path().join("one"), &[gz("a", "1")]);
    layout::single(&src.path().join("two"), &[gz("a", "2")]);
    let corrupt = src.path().join("corrupt");
    layout::single(&corrupt, &[gz("a", "3")]);
    let layer_file = std::fs::read_dir(corrupt.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let mut bytes = std::fs::read(&layer_file).unwrap();
    bytes[0] ^= 1;
    std::fs::write(&layer_file, bytes).unwrap();
    std::fs::write(
        src.path().join("garbage.tar"),
        b"this is not a tarball at all, not even close",
    )
    .unwrap();
    let cases: Vec<(Value, &str)> = vec![
        (
            json!({"image": "nothing*", "tags": ["x"]}),
            "no files match glob `nothing*`",
        ),
        (
            json!({"image": "*o*", "tags": ["x"]}),
            "too many files/directories match glob",
        ),
        (
            json!({"image": "../one", "tags": ["x"]}),
            "must stay inside the sources directory",
        ),
        (
            json!({"image": "corrupt", "tags": ["x"]}),
            "content has digest",
        ),
        (
            json!({"image": "garbage.tar", "tags": ["x"]}),
            "garbage.tar",
        ),
        (
            json!({"image": "one", "tags": ["bad tag"]}),
            "tag `bad tag`",
        ),
        (
            json!({"image": "one", "version": "1.2.x"}),
            "invalid semantic version",
        ),
        (json!({"image": "one"}), "no tag specified"),
        (
            json!({"image": "one", "tag_prefix": "p-", "tags": ["x"]}),
            "tag_prefix",
        ),
        (
            json!({"promote": "missing", "tags": ["x"]}),
            "does not exist",
        ),
        (
            json!({"promote": "one", "image": "one", "tags": ["x"]}),
            "not both",
        ),
        (json!({"tags": ["x"]}), "params.image"),
        (
            json!({"image": "one", "tags": ["x"], "colour": 1}),
            "params.colour: unknown field",
        ),
    ];
    for (params, expected) in cases {
        let before = reg.access_log().len();
        let line = put(
            &json!({"source": reg.source("app", json!({})), "params": params}),
            src.path(),
        )
        .fails();
        assert!(line.contains(expected), "{params}: {line}");
        let log = reg.access_log();
        assert!(
            writes(&log[before..]).is_empty(),
            "{params}: {:?}",
            &log[before..]
        );
    }
    assert!(Path::new(&src.path().join("one")).exists());
}

/// A glob that matches nothing lists what is in the directory it starts in (sorted, escaped, a
/// directory's name with `/`, at most 20 names and a count of the rest), so a wrong name or
/// extension shows at once; nothing is written.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_glob_matching_nothing_lists_what_is_there() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    layout::single(&src.path().join("image"), &[gz("a", "1")]);
    std::fs::write(src.path().join("image.tgz"), b"x").unwrap();
    std::fs::write(src.path().join("line\nbreak"), b"x").unwrap();
    let many = src.path().join("many");
    std::fs::create_dir(&many).unwrap();
    for i in 0..25 {
        std::fs::write(many.join(format!("f{i:02}.tar")), b"x").unwrap();
    }
    std::os::unix::fs::symlink("/etc", src.path().join("link")).unwrap();
    let cases = [
        (
            "image.tar",
            "no files match glob `image.tar`; the sources directory has: image/, image.tgz, line\\nbreak, link, many/",
        ),
        (
            "image/*.tar",
            "no files match glob `image/*.tar`; `image/` has: blobs/, index.json, oci-layout",
        ),
        (
            "image/blobs/sha256/x*",
            "no files match glob `image/blobs/sha256/x*`; `image/blobs/sha256/` has: ",
        ),
        (
            "many/*.oci",
            "no files match glob `many/*.oci`; `many/` has: f00.tar, f01.tar, f02.tar, f03.tar, f04.tar, f05.tar, f06.tar, f07.tar, f08.tar, f09.tar, f10.tar, f11.tar, f12.tar, f13.tar, f14.tar, f15.tar, f16.tar, f17.tar, f18.tar, f19.tar, … and 5 more",
        ),
        // A link is not followed to list what it points to.
        (
            "link/uptick-no-such-file*",
            "no files match glob `link/uptick-no-such-file*`; the sources directory has: image/",
        ),
        (
            "missing/dir/*.tar",
            "no files match glob `missing/dir/*.tar`; the sources directory has: image/",
        ),
    ];
    for (glob, expected) in cases {
        let before = reg.access_log().len();
        let line = put(
            &json!({"source": reg.source("app", json!({})), "params": {"image": glob, "tags": ["x"]}}),
            src.path(),
        )
        .fails();
        assert!(
            line.contains(&format!("params.image: {expected}")),
            "{glob}: {line}"
        );
        assert!(writes(&reg.access_log()[before..]).is_empty());
    }
    let empty = tempfile::tempdir().unwrap();
    let line = put(
        &json!({"source": reg.source("app", json!({})), "params": {"image": "*.tar", "tags": ["x"]}}),
        empty.path(),
    )
    .fails();
    assert!(
        line.contains("no files match glob `*.tar`; the sources directory has: none"),
        "{line}"
    );
}

fn random_layer(bytes: usize) -> Vec<u8> {
    use std::hash::{BuildHasher, RandomState};
    let s = RandomState::new();
    let data: Vec<u8> = (0..bytes / 8)
        .flat_map(|i| s.hash_one(i).to_le_bytes())
        .collect();
    layer(&[Entry::File("big", &data, 0o644)], Compression::Gzip)
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn refused_monolithic_upload_falls_back_to_chunks() {
    use crate::support::proxy::{self, Action};
    let reg = TestRegistry::start(Mode::Plain);
    // Like GHCR: a request body over 4 MiB is refused.
    let port = proxy::start(reg.port, |method, path, len| {
        if method == "PUT" && path.contains("/blobs/uploads/") && len > 4 * 1024 * 1024 {
            Action::Reply(crate::support::fake::Reply::new(413, "too large"))
        } else {
            Action::Forward(path.to_string())
        }
    });
    let src = tempfile::tempdir().unwrap();
    let big = random_layer(9 * 1024 * 1024);
    let size = big.len() as u64;
    layout::single(&src.path().join("image"), &[big]);
    let source = json!({"repository": format!("127.0.0.1:{port}/app"), "debug": true});
    let run = put(
        &json!({"source": source.clone(), "params": {"image": "image", "tags": ["big"]}}),
        src.path(),
    );
    let out = run.succeeds();
    assert!(run.stderr.contains("uploading in chunks"), "{}", run.stderr);
    let patches = reg
        .access_log()
        .iter()
        .filter(|(m, _, _)| m == "PATCH")
        .count() as u64;
    assert_eq!(patches, size.div_ceil(4 * 1024 * 1024));
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": source, "version": out["version"], "params": {}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::metadata(dest.path().join("rootfs/big"))
            .unwrap()
            .len(),
        9 * 1024 * 1024
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_declined_mount_falls_back_to_a_streamed_copy() {
    use crate::support::proxy::{self, Action};
    let reg = TestRegistry::start(Mode::Plain);
    // The registry ignores `mount` (a 202 session instead of 201), as some do per account.
    let port = proxy::start(reg.port, |method, path, _| {
        if method == "POST" && path.contains("mount=") {
            Action::Forward(path.split('?').next().unwrap().to_string())
        } else {
            Action::Forward(path.to_string())
        }
    });
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1")]);
    let host = format!("127.0.0.1:{port}");
    put(&json!({"source": {"repository": format!("{host}/staging/app")}, "params": {"image": "image", "tags": ["rc"]}}), src.path()).succeeds();
    let before = reg.access_log().len();
    let empty = tempfile::tempdir().unwrap();
    let out = put(
        &json!({"source": {"repository": format!("{host}/release/app")}, "params": {"promote": format!("{host}/staging/app:rc"), "tags": ["1.0"]}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
    let log = reg.access_log();
    assert_eq!(
        log[before..]
            .iter()
            .filter(|(m, p, _)| m == "PUT" && p.contains("/blobs/uploads/"))
            .count(),
        2,
        "{:?}",
        &log[before..]
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_failed_tag_leaves_latest_where_it_was() {
    use crate::support::proxy::{self, Action};
    let reg = TestRegistry::start(Mode::Plain);
    let port = proxy::start(reg.port, |method, path, _| {
        if method == "PUT" && path.ends_with("/manifests/2.1") {
            Action::Reply(crate::support::fake::Reply::new(
                500,
                r#"{"errors":[{"code":"UNKNOWN","message":"disk full"}]}"#,
            ))
        } else {
            Action::Forward(path.to_string())
        }
    });
    let source = json!({"repository": format!("127.0.0.1:{port}/app")});
    let src = tempfile::tempdir().unwrap();
    let old = layout::single(&src.path().join("old"), &[gz("v", "1")]);
    put(
        &json!({"source": source.clone(), "params": {"image": "old", "tags": ["1.0.0", "latest"]}}),
        src.path(),
    )
    .succeeds();
    layout::single(&src.path().join("new"), &[gz("v", "2")]);
    let line = put(&json!({"source": source, "params": {"image": "new", "version": "2.1.0", "bump_aliases": true}}), src.path()).fails();
    assert!(
        line.contains("written: 2.1.0, 2;") && line.contains("not written: 2.1, latest"),
        "{line}"
    );
    assert!(line.contains("500 UNKNOWN: disk full"), "{line}");
    assert_eq!(
        digest_of(&reg, "app", "latest").as_deref(),
        Some(old.as_str())
    );
}

/// A promotion to several tags: the fixed tags are PUT concurrently (the first is held at the
/// proxy until the others have arrived), `latest` only after every one of them was answered.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn promote_writes_fixed_tags_concurrently_and_latest_last() {
    use crate::support::proxy::{self, Action};
    use std::sync::{Arc, Condvar, Mutex};
    let reg = TestRegistry::start(Mode::Plain);
    // (tags whose PUT arrived, tags whose PUT was forwarded and answered by the hook's return)
    let seen: Arc<(Mutex<Vec<String>>, Condvar)> = Arc::default();
    let held_until_others = Arc::new(Mutex::new(None::<bool>));
    let (s, h) = (seen.clone(), held_until_others.clone());
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "PUT" && path.contains("/manifests/") {
            let tag = path.rsplit('/').next().unwrap_or("").to_string();
            let (lock, cv) = &*s;
            let mut arrived = lock.lock().unwrap();
            arrived.push(tag.clone());
            cv.notify_all();
            if tag == "1.0.0" {
                // Wait (bounded) for the other fixed tags: only a concurrent writer sends them.
                let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
                while !(arrived.contains(&"1.0".to_string())
                    && arrived.contains(&"stable".to_string()))
                    && std::time::Instant::now() < deadline
                {
                    arrived = cv
                        .wait_timeout(arrived, std::time::Duration::from_millis(50))
                        .unwrap()
                        .0;
                }
                let others =
                    arrived.contains(&"1.0".to_string()) && arrived.contains(&"stable".to_string());
                *h.lock().unwrap() = Some(others && !arrived.contains(&"latest".to_string()));
            }
        }
        Action::Forward(path.to_string())
    });
    let source = json!({"repository": format!("127.0.0.1:{port}/app")});
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1")]);
    put(
        &json!({"source": source.clone(), "params": {"image": "image", "tags": ["develop"]}}),
        src.path(),
    )
    .succeeds();
    seen.0.lock().unwrap().clear();
    let before = reg.access_log().len();
    let empty = tempfile::tempdir().unwrap();
    put(
        &json!({"source": source, "params": {"promote": "develop", "tags": ["1.0.0", "latest", "1.0", "stable"]}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(
        *held_until_others.lock().unwrap(),
        Some(true),
        "the other fixed tags were sent while 1.0.0 was in flight, latest was not"
    );
    let arrived = seen.0.lock().unwrap().clone();
    assert_eq!(
        arrived.last().map(String::as_str),
        Some("latest"),
        "{arrived:?}"
    );
    let log = reg.access_log();
    let puts: Vec<&str> = log[before..]
        .iter()
        .filter(|(m, p, _)| m == "PUT" && p.contains("/manifests/"))
        .map(|(_, p, _)| p.rsplit('/').next().unwrap())
        .collect();
    assert_eq!(puts.len(), 4, "{puts:?}");
    assert_eq!(
        puts[3], "latest",
        "latest is answered after every other tag: {puts:?}"
    );
    for t in ["1.0.0", "1.0", "stable", "latest"] {
        assert_eq!(
            digest_of(&reg, "app", t).as_deref(),
            Some(digest.as_str()),
            "{t}"
        );
    }
}

/// A layer file changed after the layout was written (same size, other bytes): blobs are hashed
/// while they are sent, so the upload breaks off before its last byte; the error names the
/// blob and its file, the registry holds neither that blob nor any tag.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_blob_changed_on_disk_fails_its_upload_naming_it_and_writes_no_tag() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    let image = src.path().join("image");
    layout::single(&image, &[gz("a", "1"), random_layer(3 << 20)]);
    let layer_file = std::fs::read_dir(image.join("blobs/sha256"))
        .unwrap()
        .map(|e| e.unwrap().path())
        .max_by_key(|p| std::fs::metadata(p).unwrap().len())
        .unwrap();
    let name = layer_file
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let mut bytes = std::fs::read(&layer_file).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0xff;
    std::fs::write(&layer_file, bytes).unwrap();
    let before = reg.access_log().len();
    let line = put(
        &json!({"source": reg.source("app", json!({})), "params": {"image": "image", "tags": ["1.0", "latest"]}}),
        src.path(),
    )
    .fails();
    assert!(
        line.contains(&format!("blob sha256:{name}")) && line.contains("content has digest"),
        "{line}"
    );
    assert_eq!(line.lines().count(), 1, "{line}");
    let log = reg.access_log();
    let during = &log[before..];
    assert!(
        !during
            .iter()
            .any(|(m, p, _)| m == "PUT" && p.contains("/manifests/")),
        "no tag written: {during:?}"
    );
    assert!(
        !during
            .iter()
            .any(|(m, p, s)| m == "PUT" && p.contains(&name) && *s < 300),
        "the changed blob was not accepted: {during:?}"
    );
    assert_eq!(digest_of(&reg, "app", "latest"), None);
}

/// A second push of the same image to a new repository of the registry: every blob is mounted
/// from the repository the first push wrote (remembered across runs), with no HEAD first and no
/// byte sent again.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_push_to_a_new_repository_mounts_remembered_blobs() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1"), gz("b", "2")]);
    put(
        &json!({"source": reg.source("team/one", json!({})), "params": {"image": "image", "tags": ["v1"]}}),
        src.path(),
    )
    .succeeds();
    let before = reg.access_log().len();
    put(
        &json!({"source": reg.source("team/two", json!({})), "params": {"image": "image", "tags": ["v1"]}}),
        src.path(),
    )
    .succeeds();
    let log = reg.access_log();
    let (during, mounts) = mounts_from(&log[before..], "team/one");
    assert_eq!(mounts, 3, "config and two layers mounted: {during:?}");
    assert_eq!(blob_uploads(&log[before..]), 0, "{during:?}");
    assert!(
        !during
            .iter()
            .any(|(m, p, _)| m == "HEAD" && p.contains("/blobs/")),
        "no HEAD for a remembered blob: {during:?}"
    );
    // 3 mounts and 1 manifest PUT.
    assert_eq!(during.len(), 4, "{during:?}");
    assert_eq!(
        digest_of(&reg, "team/two", "v1").as_deref(),
        Some(digest.as_str())
    );
}

/// Blobs an `in` read and verified are remembered too (as skopeo's cache remembers pulls): a
/// push of the same layers to a new repository mounts them from the repository they were
/// pulled from, sending no byte.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_push_mounts_blobs_an_earlier_get_pulled() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1"), gz("b", "2")]);
    // Pushed by a run whose memory is elsewhere: this test's runs know nothing of it.
    let elsewhere = tempfile::tempdir().unwrap();
    crate::support::run_env(
        crate::support::Bin::Out,
        &json!({"source": reg.source("team/base", json!({})), "params": {"image": "image", "tags": ["v1"]}}).to_string(),
        &[src.path().to_str().unwrap()],
        &[("TMPDIR", elsewhere.path().to_str().unwrap())],
    )
    .succeeds();
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": reg.source("team/base", json!({})), "version": {"tag": "v1", "digest": digest}}),
        dest.path(),
    )
    .succeeds();
    let before = reg.access_log().len();
    put(
        &json!({"source": reg.source("team/app", json!({})), "params": {"image": "image", "tags": ["v1"]}}),
        src.path(),
    )
    .succeeds();
    let log = reg.access_log();
    let (during, mounts) = mounts_from(&log[before..], "team/base");
    assert_eq!(mounts, 3, "config and two layers mounted: {during:?}");
    assert_eq!(blob_uploads(&log[before..]), 0, "{during:?}");
    assert_eq!(
        digest_of(&reg, "team/app", "v1").as_deref(),
        Some(digest.as_str())
    );
}

/// The requests to `team/…` repositories in `log`, and how many of them mounted a blob from
/// `from` (`POST …?mount=…&from=<from>` answered 201).
fn mounts_from<'a>(
    log: &'a [(String, String, u16)],
    from: &str,
) -> (Vec<&'a (String, String, u16)>, usize) {
    let during: Vec<&(String, String, u16)> = log
        .iter()
        .filter(|(_, p, _)| p.starts_with("/v2/team/"))
        .collect();
    let wanted = format!("from={from}");
    let mounts = during
        .iter()
        .filter(|(m, p, s)| m == "POST" && p.contains("mount=") && p.contains(&wanted) && *s == 201)
        .count();
    (during, mounts)
}
