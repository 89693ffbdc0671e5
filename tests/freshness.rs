//! Freshness (`source.base`): stale when the base's layers are no longer a prefix of the image's;
//! only manifests are read.

use crate::support::layers::{layer, media_type, Compression, Entry};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::Seeder;
use crate::support::{check, get};
use serde_json::{json, Value};

fn l(name: &str, content: &str) -> (Vec<u8>, &'static str) {
    (
        layer(
            &[Entry::File(name, content.as_bytes(), 0o644)],
            Compression::Gzip,
        ),
        media_type(Compression::Gzip),
    )
}

fn req(reg: &TestRegistry, version: Value) -> Value {
    json!({
        "source": reg.source("app", json!({"tag": "latest", "base": reg.repo("base") + ":3.20", "debug": true})),
        "version": version,
    })
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn stale_only_when_the_base_moved_and_fresh_again_after_a_rebuild() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let base_v1 = seeder.layered("base", "3.20", &[l("os", "v1")], json!({}));
    seeder.layered("app", "latest", &[l("os", "v1"), l("app", "1")], json!({}));

    // Fresh: no version. Only the two manifests are read, no config, no layer.
    let run = check(&req(&reg, Value::Null));
    assert_eq!(run.succeeds(), json!([]));
    assert_eq!(
        run.requests("GET", "/manifests/"),
        2,
        "{:?}",
        run.request_lines()
    );
    assert_eq!(
        run.request_lines()
            .iter()
            .filter(|l| l.contains("/blobs/"))
            .count(),
        0
    );
    assert!(run.stderr.contains("is fresh"), "{}", run.stderr);

    // The base moves: the image is stale, a version appears.
    let base_v2 = seeder.layered("base", "3.20", &[l("os", "v2")], json!({}));
    let stale = check(&req(&reg, Value::Null)).succeeds();
    let image = stale[0]["digest"].clone();
    assert_eq!(
        stale,
        json!([{"tag": "latest", "digest": image, "base_digest": base_v2.digest}])
    );
    // Still stale: the same version, nothing new.
    assert_eq!(check(&req(&reg, stale[0].clone())).succeeds(), stale);

    // `in` reports why.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": reg.source("app", json!({"tag": "latest", "base": reg.repo("base") + ":3.20"})), "version": stale[0], "params": {"skip_download": true}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(got["version"], stale[0]);
    assert_eq!(
        std::fs::read_to_string(dest.path().join("stale")).unwrap(),
        "true"
    );
    assert_eq!(
        std::fs::read_to_string(dest.path().join("base_digest")).unwrap(),
        base_v2.digest
    );
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dest.path().join("freshness.json")).unwrap())
            .unwrap();
    assert_eq!(report["method"], "layers");
    assert_eq!(report["platforms"][0]["fresh"], json!(false));
    assert_eq!(
        report["platforms"][0]["image_layers"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
    assert!(got["metadata"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "freshness_method", "value": "layers"})));

    // Rebuilt on the new base: fresh again; the cursor stays, no new version (no rebuild loop).
    seeder.layered("app", "latest", &[l("os", "v2"), l("app", "1")], json!({}));
    assert_eq!(check(&req(&reg, stale[0].clone())).succeeds(), stale);
    assert_ne!(base_v1.digest, base_v2.digest);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn multi_arch_is_stale_when_one_platform_is() {
    let reg = TestRegistry::start(Mode::Token);
    let seeder = Seeder::new(&reg);
    let amd = json!({"os": "linux", "architecture": "amd64"});
    let arm = json!({"os": "linux", "architecture": "arm64"});
    let cfg = |a: &str| json!({"architecture": a});
    let ba = seeder.layered("base", "ba", &[l("os", "amd-1")], cfg("amd64"));
    let bb = seeder.layered("base", "bb", &[l("os", "arm-1")], cfg("arm64"));
    seeder.index("base", "3.20", &[(amd.clone(), &ba), (arm.clone(), &bb)]);
    let ia = seeder.layered(
        "app",
        "ia",
        &[l("os", "amd-1"), l("app", "a")],
        cfg("amd64"),
    );
    let ib = seeder.layered(
        "app",
        "ib",
        &[l("os", "arm-1"), l("app", "b")],
        cfg("arm64"),
    );
    seeder.index("app", "latest", &[(amd.clone(), &ia), (arm.clone(), &ib)]);
    let run = check(&req(&reg, Value::Null));
    assert_eq!(run.succeeds(), json!([]));
    // image index + 2 children, base index + 2 children.
    assert_eq!(
        run.requests("GET", "/manifests/"),
        6,
        "{:?}",
        run.request_lines()
    );

    let bb2 = seeder.layered("base", "bb2", &[l("os", "arm-2")], cfg("arm64"));
    let moved = seeder.index("base", "3.20", &[(amd, &ba), (arm, &bb2)]);
    let out = check(&req(&reg, Value::Null)).succeeds();
    assert_eq!(out[0]["base_digest"], json!(moved.digest));
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": reg.source("app", json!({"tag": "latest", "base": reg.repo("base") + ":3.20"})), "version": out[0], "params": {"skip_download": true}}), dest.path()).succeeds();
    let report: Value =
        serde_json::from_str(&std::fs::read_to_string(dest.path().join("freshness.json")).unwrap())
            .unwrap();
    let verdicts: Vec<(String, bool)> = report["platforms"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| {
            (
                p["platform"].as_str().unwrap().to_string(),
                p["fresh"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        verdicts,
        [
            ("linux/amd64".to_string(), true),
            ("linux/arm64".to_string(), false)
        ]
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_base_annotation_decides_without_reading_the_base_layers() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let base_v1 = seeder.layered("base", "3.20", &[l("os", "v1")], json!({}));
    seeder.image(
        "app",
        "latest",
        "annotated",
        &[],
        &[
            ("org.opencontainers.image.base.digest", &base_v1.digest),
            ("org.opencontainers.image.base.name", "base:3.20"),
        ],
    );
    assert_eq!(check(&req(&reg, Value::Null)).succeeds(), json!([]));
    let base_v2 = seeder.layered("base", "3.20", &[l("os", "v2")], json!({}));
    let out = check(&req(&reg, Value::Null)).succeeds();
    assert_eq!(out[0]["base_digest"], json!(base_v2.digest));
    let dest = tempfile::tempdir().unwrap();
    let got = get(&json!({"source": reg.source("app", json!({"tag": "latest", "base": reg.repo("base") + ":3.20"})), "version": out[0], "params": {"skip_download": true}}), dest.path()).succeeds();
    let meta = got["metadata"].as_array().unwrap();
    assert!(
        meta.contains(&json!({"name": "freshness_method", "value": "annotation"})),
        "{meta:?}"
    );
    assert!(
        meta.contains(&json!({"name": "base_name", "value": "base:3.20"})),
        "{meta:?}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_missing_base_is_a_clear_error() {
    let reg = TestRegistry::start(Mode::Plain);
    Seeder::new(&reg).layered("app", "latest", &[l("app", "1")], json!({}));
    let src = reg.source(
        "app",
        json!({"tag": "latest", "base": {"ref": reg.repo("base") + ":nope"}}),
    );
    let line = check(&json!({"source": src})).fails();
    assert!(
        line.contains("base image") && line.contains("nope") && line.contains("no longer exists"),
        "{line}"
    );
    let src = reg.source("app", json!({"base": reg.repo("base") + ":3.20"}));
    let line = check(&json!({"source": src})).fails();
    assert!(line.contains("source.base: needs `tag`"), "{line}");
}
