//! `in` downloads: rootfs extraction (compressions, whiteouts, links, modes, hostile layers),
//! image.tar, oci layout, platforms, aliases, integrity.

use crate::support::get;
use crate::support::layers::{layer, media_type, Compression, Entry, MTIME};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use serde_json::{json, Value};
use std::os::unix::fs::MetadataExt;
use std::path::Path;

fn request(reg: &TestRegistry, repo: &str, digest: &str, params: Value) -> Value {
    json!({
        "source": reg.source(repo, json!({})),
        "version": {"tag": "latest", "digest": digest},
        "params": params,
    })
}

fn read(p: &Path) -> String {
    std::fs::read_to_string(p).unwrap_or_else(|e| panic!("{}: {e}", p.display()))
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn rootfs_applies_gzip_zstd_and_plain_layers_with_links_modes_and_metadata() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l1 = layer(
        &[
            Entry::Dir("etc", 0o755),
            Entry::File("etc/os-release", b"ID=base\n", 0o644),
            Entry::Dir("bin", 0o755),
            Entry::File("bin/tool", b"#!/bin/sh\necho hi\n", 0o4755),
            Entry::Dir("ro", 0o555),
            Entry::File("ro/inside", b"x", 0o444),
            Entry::Char("dev-null"),
        ],
        Compression::Gzip,
    );
    let l2 = layer(
        &[
            Entry::Symlink("bin/tool-link", "tool"),
            Entry::Hardlink("bin/tool-hard", "bin/tool"),
            Entry::Symlink("usr-lib", "/usr/lib"),
            Entry::File("usr-lib/through-link", b"merged-usr", 0o600),
        ],
        Compression::Zstd,
    );
    let l3 = layer(
        &[
            Entry::File("etc/os-release", b"ID=top\n", 0o640),
            Entry::File("ro/late", b"y", 0o644),
        ],
        Compression::Plain,
    );
    let pushed = seeder.layered(
        "app",
        "latest",
        &[(l1, media_type(Compression::Gzip)), (l2, media_type(Compression::Zstd)), (l3, media_type(Compression::Plain))],
        json!({"config": {"Env": ["PATH=/bin", "A=b"], "User": "1000:1000", "Entrypoint": ["/bin/tool"], "Cmd": ["run"], "Labels": {"org.example": "yes"}}}),
    );
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &request(&reg, "app", &pushed.digest, json!({})),
        dest.path(),
    );
    run.succeeds();
    let root = dest.path().join("rootfs");
    assert_eq!(read(&root.join("etc/os-release")), "ID=top\n");
    let meta = std::fs::metadata(root.join("etc/os-release")).unwrap();
    assert_eq!(meta.mode() & 0o7777, 0o640);
    assert_eq!(meta.mtime(), MTIME as i64);
    assert_eq!(
        std::fs::metadata(root.join("bin/tool")).unwrap().mode() & 0o7777,
        0o4755
    );
    assert_eq!(
        std::fs::read_link(root.join("bin/tool-link"))
            .unwrap()
            .to_str(),
        Some("tool")
    );
    assert_eq!(
        std::fs::metadata(root.join("bin/tool-hard")).unwrap().ino(),
        std::fs::metadata(root.join("bin/tool")).unwrap().ino()
    );
    // An absolute symlink is followed inside the root, as a container sees it.
    assert_eq!(read(&root.join("usr/lib/through-link")), "merged-usr");
    // Directory modes land last, so a read-only directory still received a later layer's file.
    assert_eq!(read(&root.join("ro/late")), "y");
    assert_eq!(
        std::fs::metadata(root.join("ro")).unwrap().mode() & 0o7777,
        0o555
    );
    assert!(!root.join("dev-null").exists(), "device nodes are skipped");
    if std::fs::metadata("/proc/self").unwrap().uid() == 0 {
        assert_eq!(
            std::fs::metadata(root.join("bin/tool")).unwrap().uid(),
            1000
        );
    }
    let metadata: Value = serde_json::from_str(&read(&dest.path().join("metadata.json"))).unwrap();
    assert_eq!(
        metadata,
        json!({"cmd": ["run"], "entrypoint": ["/bin/tool"], "env": ["PATH=/bin", "A=b"], "user": "1000:1000"})
    );
    assert_eq!(
        read(&dest.path().join("labels.json")).trim(),
        r#"{"org.example":"yes"}"#
    );
    assert_eq!(read(&dest.path().join("digest")), pushed.digest);
    // Progress: a few lines per layer, no more.
    assert!(
        run.stderr
            .lines()
            .filter(|l| l.starts_with("layer 1/3"))
            .count()
            <= 5,
        "{}",
        run.stderr
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn whiteouts_and_opaque_directories_apply_to_lower_layers() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l1 = layer(
        &[
            Entry::File("a/x", b"x", 0o644),
            Entry::File("a/y", b"y", 0o644),
            Entry::File("b/old", b"old", 0o644),
            Entry::Dir("c", 0o755),
            Entry::File("c/deep/file", b"d", 0o644),
        ],
        Compression::Gzip,
    );
    let l2 = layer(
        &[
            Entry::File("a/.wh.x", b"", 0o644),
            Entry::File("b/new", b"new", 0o644),
            Entry::File("b/.wh..wh..opq", b"", 0o644),
            Entry::File(".wh.c", b"", 0o644),
        ],
        Compression::Gzip,
    );
    let gz = media_type(Compression::Gzip);
    let pushed = seeder.layered("app", "latest", &[(l1, gz), (l2, gz)], json!({}));
    let dest = tempfile::tempdir().unwrap();
    get(
        &request(&reg, "app", &pushed.digest, json!({})),
        dest.path(),
    )
    .succeeds();
    let root = dest.path().join("rootfs");
    assert!(!root.join("a/x").exists());
    assert_eq!(read(&root.join("a/y")), "y");
    assert!(
        !root.join("b/old").exists(),
        "opaque directory hides the lower layer"
    );
    assert_eq!(
        read(&root.join("b/new")),
        "new",
        "opaque keeps this layer's own entries"
    );
    assert!(!root.join("c").exists());
    assert!(!root.join("a/.wh.x").exists() && !root.join("b/.wh..wh..opq").exists());
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn an_existing_symlink_is_replaced_never_written_through() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let outside = tempfile::tempdir().unwrap();
    let victim = outside.path().join("victim");
    std::fs::write(&victim, "untouched").unwrap();
    let target = victim.to_str().unwrap().to_string();
    // Relative form too: enough `..` to reach `/`, then the absolute path.
    let l1 = layer(&[Entry::Symlink("etc-passwd", &target)], Compression::Gzip);
    let l2 = layer(
        &[Entry::File("etc-passwd", b"from the image", 0o644)],
        Compression::Gzip,
    );
    let gz = media_type(Compression::Gzip);
    let pushed = seeder.layered("app", "latest", &[(l1, gz), (l2, gz)], json!({}));
    let dest = tempfile::tempdir().unwrap();
    get(
        &request(&reg, "app", &pushed.digest, json!({})),
        dest.path(),
    )
    .succeeds();
    assert_eq!(read(&victim), "untouched");
    let written = dest.path().join("rootfs/etc-passwd");
    assert!(!std::fs::symlink_metadata(&written)
        .unwrap()
        .file_type()
        .is_symlink());
    assert_eq!(read(&written), "from the image");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn hostile_layers_fail_the_get_and_leave_nothing_behind() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let outside = tempfile::tempdir().unwrap();
    let escape_dir = outside.path().to_str().unwrap().to_string();
    let up = "../".repeat(12);
    let cases: Vec<(&str, Vec<Vec<u8>>)> = vec![
        (
            "dot-dot",
            vec![layer(
                &[Entry::File("../escaped", b"x", 0o644)],
                Compression::Gzip,
            )],
        ),
        (
            "absolute",
            vec![layer(
                &[Entry::File(&format!("{escape_dir}/abs"), b"x", 0o644)],
                Compression::Gzip,
            )],
        ),
        (
            "symlink in the same layer",
            vec![layer(
                &[
                    Entry::Symlink("link", &format!("{up}{escape_dir}")),
                    Entry::File("link/through", b"x", 0o644),
                ],
                Compression::Gzip,
            )],
        ),
        (
            "symlink from an earlier layer",
            vec![
                layer(
                    &[Entry::Symlink("up", &format!("{up}{escape_dir}"))],
                    Compression::Gzip,
                ),
                layer(&[Entry::File("up/pwned", b"x", 0o644)], Compression::Gzip),
            ],
        ),
        (
            "hardlink",
            vec![layer(
                &[Entry::Hardlink("h", &format!("{up}etc/passwd"))],
                Compression::Gzip,
            )],
        ),
        (
            "whiteout through a symlink",
            vec![
                layer(
                    &[Entry::Symlink("w", &format!("{up}{escape_dir}"))],
                    Compression::Gzip,
                ),
                layer(&[Entry::File("w/.wh.keep", b"", 0o644)], Compression::Gzip),
            ],
        ),
    ];
    std::fs::write(outside.path().join("keep"), "keep").unwrap();
    for (name, layers) in cases {
        let gz = media_type(Compression::Gzip);
        let layers: Vec<(Vec<u8>, &str)> = layers.into_iter().map(|l| (l, gz)).collect();
        let pushed = seeder.layered("app", name.replace(' ', "-").as_str(), &layers, json!({}));
        let dest = tempfile::tempdir().unwrap();
        let line = get(
            &request(&reg, "app", &pushed.digest, json!({})),
            dest.path(),
        )
        .fails();
        assert!(line.contains("escapes the destination"), "{name}: {line}");
        assert!(
            !dest.path().join("rootfs").exists(),
            "{name}: no rootfs after a failed get"
        );
        let leftovers: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "{name}: {leftovers:?}");
        let outside_now: Vec<_> = std::fs::read_dir(outside.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .collect();
        assert_eq!(
            outside_now,
            vec![std::ffi::OsString::from("keep")],
            "{name}"
        );
    }
    assert!(!outside.path().parent().unwrap().join("escaped").exists());
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_corrupted_layer_in_registry_storage_fails_the_get() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l1 = layer(
        &[Entry::File("f", &[7u8; 100_000], 0o644)],
        Compression::Gzip,
    );
    let layer_digest = sha256(&l1);
    let pushed = seeder.layered(
        "app",
        "latest",
        &[(l1, media_type(Compression::Gzip))],
        json!({}),
    );
    // Flip bytes inside the stored blob: still valid gzip framing is not needed, the digest fails.
    let path = reg.blob_file(&layer_digest);
    let mut bytes = std::fs::read(&path).unwrap();
    let mid = bytes.len() / 2;
    bytes[mid] ^= 0xff;
    std::fs::write(&path, bytes).unwrap();
    for format in ["rootfs", "oci", "oci-layout"] {
        let dest = tempfile::tempdir().unwrap();
        let line = get(
            &request(&reg, "app", &pushed.digest, json!({"format": format})),
            dest.path(),
        )
        .fails();
        assert!(line.contains(&layer_digest), "{format}: {line}");
        let leftovers: Vec<_> = std::fs::read_dir(dest.path()).unwrap().collect();
        assert!(leftovers.is_empty(), "{format}: {leftovers:?}");
    }
}

fn multi_arch(
    seeder: &Seeder,
    repo: &str,
) -> (
    crate::support::seed::Pushed,
    Vec<crate::support::seed::Pushed>,
) {
    let mut children = Vec::new();
    let mut entries = Vec::new();
    for (arch, variant) in [("amd64", None), ("arm64", None), ("arm", Some("v7"))] {
        let label = format!("{arch}{}", variant.unwrap_or(""));
        let l = layer(
            &[Entry::File("arch", label.as_bytes(), 0o644)],
            Compression::Zstd,
        );
        let mut cfg = json!({"architecture": arch, "os": "linux"});
        let mut platform = json!({"architecture": arch, "os": "linux"});
        if let Some(v) = variant {
            cfg["variant"] = json!(v);
            platform["variant"] = json!(v);
        }
        let child = seeder.layered(
            repo,
            &format!("child-{label}"),
            &[(l, media_type(Compression::Zstd))],
            cfg,
        );
        entries.push((platform, child.clone()));
        children.push(child);
    }
    let refs: Vec<(Value, &crate::support::seed::Pushed)> =
        entries.iter().map(|(p, c)| (p.clone(), c)).collect();
    (seeder.index(repo, "latest", &refs), children)
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn multi_arch_rootfs_follows_the_platform() {
    let reg = TestRegistry::start(Mode::Token);
    let seeder = Seeder::new(&reg);
    let (index, _) = multi_arch(&seeder, "multi");
    for (platform, expected) in [
        (json!(null), "amd64"),
        (json!({"architecture": "arm64"}), "arm64"),
        (json!({"architecture": "arm", "variant": "v7"}), "armv7"),
    ] {
        let dest = tempfile::tempdir().unwrap();
        let mut params = json!({});
        if !platform.is_null() {
            params["platform"] = platform;
        }
        get(&request(&reg, "multi", &index.digest, params), dest.path()).succeeds();
        assert_eq!(read(&dest.path().join("rootfs/arch")), expected);
        assert_eq!(
            read(&dest.path().join("digest")),
            index.digest,
            "the index digest is the version"
        );
    }
}

fn hash_file(p: &Path) -> String {
    sha256(&std::fs::read(p).unwrap())
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn oci_layout_holds_every_verified_blob() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let (index, children) = multi_arch(&seeder, "multi");
    let dest = tempfile::tempdir().unwrap();
    get(
        &request(
            &reg,
            "multi",
            &index.digest,
            json!({"format": "oci-layout"}),
        ),
        dest.path(),
    )
    .succeeds();
    let oci = dest.path().join("oci");
    assert_eq!(
        read(&oci.join("oci-layout")),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert_eq!(
        sha256(&std::fs::read(oci.join("index.json")).unwrap()),
        index.digest
    );
    assert!(!oci.join("single-image-digest").exists());
    let blobs = oci.join("blobs/sha256");
    let mut count = 0;
    for e in std::fs::read_dir(&blobs).unwrap() {
        let p = e.unwrap().path();
        assert_eq!(
            format!("sha256:{}", p.file_name().unwrap().to_str().unwrap()),
            hash_file(&p)
        );
        count += 1;
    }
    // index + 3 × (manifest, config, layer)
    assert_eq!(count, 10);
    for c in children {
        assert!(blobs.join(&c.digest[7..]).exists());
    }

    // A single image: a one-entry index and single-image-digest.
    let single = seeder.layered(
        "single",
        "latest",
        &[(
            layer(&[Entry::File("f", b"1", 0o644)], Compression::Gzip),
            media_type(Compression::Gzip),
        )],
        json!({}),
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &request(
            &reg,
            "single",
            &single.digest,
            json!({"format": "oci-layout"}),
        ),
        dest.path(),
    )
    .succeeds();
    let oci = dest.path().join("oci");
    assert_eq!(read(&oci.join("single-image-digest")), single.digest);
    let idx: Value = serde_json::from_str(&read(&oci.join("index.json"))).unwrap();
    assert_eq!(idx["manifests"][0]["digest"], json!(single.digest));
    assert_eq!(
        std::fs::read_dir(oci.join("blobs/sha256")).unwrap().count(),
        3
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn oci_format_writes_a_docker_archive() {
    let reg = TestRegistry::start(Mode::Basic);
    let seeder = Seeder::new(&reg);
    let l1 = layer(&[Entry::File("a", b"1", 0o644)], Compression::Gzip);
    let l2 = layer(&[Entry::File("b", b"2", 0o644)], Compression::Gzip);
    let (d1, d2) = (sha256(&l1), sha256(&l2));
    let gz = media_type(Compression::Gzip);
    let pushed = seeder.layered(
        "app",
        "latest",
        &[(l1, gz), (l2, gz)],
        json!({"config": {"Labels": {"k": "v"}}}),
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &request(&reg, "app", &pushed.digest, json!({"format": "oci"})),
        dest.path(),
    )
    .succeeds();
    let mut archive =
        tar::Archive::new(std::fs::File::open(dest.path().join("image.tar")).unwrap());
    let mut files = std::collections::BTreeMap::new();
    for e in archive.entries().unwrap() {
        let mut e = e.unwrap();
        let name = e.path().unwrap().to_string_lossy().into_owned();
        let mut bytes = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut bytes).unwrap();
        files.insert(name, bytes);
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).unwrap();
    assert_eq!(
        manifest[0]["RepoTags"],
        json!([format!("{}:latest", reg.repo("app"))])
    );
    let layers = manifest[0]["Layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2);
    assert_eq!(sha256(&files[layers[0].as_str().unwrap()]), d1);
    assert_eq!(sha256(&files[layers[1].as_str().unwrap()]), d2);
    let config_name = manifest[0]["Config"].as_str().unwrap();
    assert_eq!(sha256(&files[config_name]), config_name);
    assert_eq!(
        read(&dest.path().join("labels.json")).trim(),
        r#"{"k":"v"}"#
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn aliases_name_every_version_tag_of_the_digest_and_the_highest_version() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let l = layer(&[Entry::File("f", b"1", 0o644)], Compression::Gzip);
    let current = seeder.layered(
        "alpine",
        "latest",
        &[(l, media_type(Compression::Gzip))],
        json!({}),
    );
    for t in ["3", "3.20", "3.20.3", "v3.20.3-r0"] {
        let bytes = std::fs::read(reg.blob_file(&current.digest)).unwrap();
        seeder.tag("alpine", t, &bytes);
    }
    let old = seeder.layered(
        "alpine",
        "3.19.4",
        &[(
            layer(&[Entry::File("f", b"0", 0o644)], Compression::Gzip),
            media_type(Compression::Gzip),
        )],
        json!({}),
    );
    seeder.tag(
        "alpine",
        "edge",
        &std::fs::read(reg.blob_file(&current.digest)).unwrap(),
    );
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &request(
            &reg,
            "alpine",
            &current.digest,
            json!({"skip_download": true, "aliases": true}),
        ),
        dest.path(),
    )
    .succeeds();
    let aliases = read(&dest.path().join("aliases"));
    let mut got: Vec<&str> = aliases.split_whitespace().collect();
    got.sort();
    // `edge` is not version-like and not the version's own tag: not examined (bounded cost).
    assert_eq!(got, ["3", "3.20", "3.20.3", "latest", "v3.20.3-r0"]);
    assert_eq!(read(&dest.path().join("version")), "3.20.3");
    assert!(out["metadata"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "version", "value": "3.20.3"})));
    assert!(!aliases.contains("3.19.4"), "{aliases} {}", old.digest);
}
