//! `in` with `skip_download`: version files, metadata, labels and annotations, gone digests.

use crate::support::fake::{self, Reply};
use crate::support::get;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use serde_json::json;

fn read(dir: &std::path::Path, name: &str) -> String {
    std::fs::read_to_string(dir.join(name)).unwrap_or_else(|e| panic!("{name}: {e}"))
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn skip_download_writes_version_files_and_metadata() {
    let reg = TestRegistry::start(Mode::Token);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let dest = tempfile::tempdir().unwrap();
    let req = json!({
        "source": reg.source("app", json!({"tag": "latest"})),
        "version": {"tag": "latest", "digest": v.digest},
        "params": {"skip_download": true},
    });
    let out = get(&req, dest.path()).succeeds();
    assert_eq!(
        out,
        json!({
            "version": {"tag": "latest", "digest": v.digest},
            "metadata": [{"name": "repository", "value": reg.repo("app")}, {"name": "tag", "value": "latest"}],
        })
    );
    assert_eq!(read(dest.path(), "tag"), "latest");
    assert_eq!(read(dest.path(), "digest"), v.digest);
    assert_eq!(read(dest.path(), "repository"), reg.repo("app"));
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn labels_and_annotations_matching_regexes_are_metadata_sorted_by_key() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image(
        "app",
        "1.0",
        "labelled",
        &[
            ("org.opencontainers.image.version", "1.0.3"),
            ("b.other", "x"),
            ("org.opencontainers.image.source", "git"),
        ],
        &[
            ("org.opencontainers.image.revision", "abc123"),
            ("zzz", "no"),
        ],
    );
    let dest = tempfile::tempdir().unwrap();
    let req = json!({
        "source": reg.source("app", json!({
            "label_regex": "^org\\.opencontainers",
            "annotation_regex": "revision$",
        })),
        "version": {"tag": "1.0", "digest": v.digest},
        "params": {"skip_download": true},
    });
    let out = get(&req, dest.path()).succeeds();
    assert_eq!(
        out["metadata"],
        json!([
            {"name": "repository", "value": reg.repo("app")},
            {"name": "tag", "value": "1.0"},
            {"name": "org.opencontainers.image.source", "value": "git"},
            {"name": "org.opencontainers.image.version", "value": "1.0.3"},
            {"name": "org.opencontainers.image.revision", "value": "abc123"},
        ])
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn labels_of_a_multi_arch_image_come_from_the_chosen_platform() {
    let reg = TestRegistry::start(Mode::Plain);
    let (index, _) = Seeder::new(&reg).multi_arch("multi", "latest", "m");
    let dest = tempfile::tempdir().unwrap();
    let mut req = json!({
        "source": reg.source("multi", json!({"label_regex": "^arch$", "platform": {"os": "linux", "architecture": "arm64"}})),
        "version": {"tag": "latest", "digest": index.digest},
        "params": {"skip_download": true},
    });
    let out = get(&req, dest.path()).succeeds();
    assert_eq!(
        out["metadata"][2],
        json!({"name": "arch", "value": "arm64"})
    );
    // Step params override the source's platform; variant selects arm/v7.
    req["params"]["platform"] = json!({"architecture": "arm", "variant": "v7"});
    let out = get(&req, dest.path()).succeeds();
    assert_eq!(
        out["metadata"][2],
        json!({"name": "arch", "value": "armv7"})
    );
    // A platform the index lacks names what it has.
    req["params"]["platform"] = json!({"architecture": "s390x"});
    let line = get(&req, dest.path()).fails();
    assert!(
        line.contains("linux/s390x")
            && line.contains("linux/arm64")
            && line.contains("linux/arm/v7"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_digest_that_is_gone_fails_the_get() {
    let reg = TestRegistry::start(Mode::Plain);
    Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let dest = tempfile::tempdir().unwrap();
    let req = json!({
        "source": reg.source("app", json!({})),
        "version": {"tag": "latest", "digest": sha256(b"gone")},
        "params": {"skip_download": true},
    });
    let line = get(&req, dest.path()).fails();
    assert!(line.contains("no longer exists"), "{line}");
    assert!(!dest.path().join("digest").exists());
}

#[test]
fn a_manifest_that_does_not_match_its_digest_is_rejected() {
    // The real registry verifies manifests itself, so a tampering server stands in for a broken one.
    let genuine =
        br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}"#.to_vec();
    let digest = sha256(&genuine);
    let served = digest.clone();
    let port = fake::serve(move |_, path| {
        if path == "/v2/" {
            Reply::new(200, "{}")
        } else if path.ends_with(&served) {
            Reply::new(200, br#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","x":1}"#.to_vec())
                .header("Content-Type", "application/vnd.oci.image.manifest.v1+json")
        } else {
            Reply::new(404, "")
        }
    });
    let dest = tempfile::tempdir().unwrap();
    let req = json!({
        "source": {"repository": format!("127.0.0.1:{port}/app")},
        "version": {"tag": "latest", "digest": digest},
        "params": {"skip_download": true},
    });
    let line = get(&req, dest.path()).fails();
    assert!(
        line.contains("expected") && line.contains(&digest),
        "{line}"
    );
    assert!(!dest.path().join("digest").exists());
}
