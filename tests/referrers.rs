//! `source.verify` (cosign key-based signatures, offline) in `check` / `in` / `out`, and
//! promotions that carry what refers to the image (cosign `.sig`/`.att`/`.sbom` tags, OCI 1.1
//! referrers by the tag schema on the real registry, by the referrers API on a small server).

use crate::support::cosign::{self, Key};
use crate::support::layout;
use crate::support::oci11::Oci11;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{Pushed, Seeder, OCI_MANIFEST};
use crate::support::{check, get, put};
use serde_json::{json, Value};

/// A manifest of the registry, as JSON (`None`: not there).
fn manifest(reg: &TestRegistry, repo: &str, reference: &str) -> Option<Value> {
    let url = format!("{}/v2/{repo}/manifests/{reference}", reg.base_url());
    let mut req = reg.agent().get(&url).header(
        "Accept",
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
    );
    if let Some(a) = reg.admin_auth(repo) {
        req = req.header("Authorization", a);
    }
    let resp = req.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    match resp.status().as_u16() {
        200 => Some(serde_json::from_slice(&resp.bytes().unwrap()).unwrap()),
        404 => None,
        other => panic!("GET {url}: {other}"),
    }
}

/// The tags of a `check` answer, in order.
fn tags(out: &Value) -> Vec<&str> {
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| v["tag"].as_str().unwrap())
        .collect()
}

fn verify(keys: &[&Key]) -> Value {
    json!({"keys": keys.iter().map(|k| k.public_pem()).collect::<Vec<_>>()})
}

/// `app` with `1.0.0` signed by `good`, `1.1.0` unsigned, `1.2.0` signed by `other`.
fn three_versions(reg: &TestRegistry, good: &Key, other: &Key) -> Vec<Pushed> {
    let seeder = Seeder::new(reg);
    let repo = reg.repo("app");
    let pushed: Vec<Pushed> = ["1.0.0", "1.1.0", "1.2.0"]
        .iter()
        .map(|t| seeder.image("app", t, t, &[], &[]))
        .collect();
    cosign::sign(
        &seeder,
        "app",
        &pushed[0].digest,
        &[(good, cosign::payload(&repo, &pushed[0].digest))],
    );
    cosign::sign(
        &seeder,
        "app",
        &pushed[2].digest,
        &[(other, cosign::payload(&repo, &pushed[2].digest))],
    );
    pushed
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn check_emits_only_signed_versions_and_says_which_it_skipped() {
    let reg = TestRegistry::start(Mode::Plain);
    let (good, other) = (Key::ecdsa(), Key::ed25519());
    let pushed = three_versions(&reg, &good, &other);
    let cursor = json!({"tag": "1.0.0", "digest": pushed[0].digest});
    let run = check(&json!({
        "source": reg.source("app", json!({"verify": verify(&[&good])})),
        "version": cursor,
    }));
    assert_eq!(tags(&run.succeeds()), ["1.0.0"], "{}", run.stderr);
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("skipping"))
        .collect();
    assert_eq!(skipped.len(), 2, "{}", run.stderr);
    assert!(skipped[0].contains(&pushed[1].digest) && skipped[0].contains("no cosign signature"));
    assert!(skipped[1].contains(&pushed[2].digest) && skipped[1].contains("does not verify"));

    // Either key will do: both signed versions are emitted (Ed25519 as well as ECDSA).
    let run = check(&json!({
        "source": reg.source("app", json!({"verify": verify(&[&good, &other])})),
        "version": cursor,
    }));
    assert_eq!(tags(&run.succeeds()), ["1.0.0", "1.2.0"], "{}", run.stderr);

    // Without `verify`, all three.
    let run = check(&json!({"source": reg.source("app", json!({})), "version": cursor}));
    assert_eq!(tags(&run.succeeds()), ["1.0.0", "1.1.0", "1.2.0"]);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn in_refuses_wrong_key_other_digest_and_tampered_payload_before_writing() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let (good, wrong) = (Key::ecdsa(), Key::ecdsa());
    let repo = reg.repo("app");
    let img = |tag: &str| seeder.image("app", tag, tag, &[], &[]);
    let (signed, by_wrong, other_digest, tampered) = (img("a"), img("b"), img("c"), img("d"));
    cosign::sign(
        &seeder,
        "app",
        &signed.digest,
        &[(&good, cosign::payload(&repo, &signed.digest))],
    );
    cosign::sign(
        &seeder,
        "app",
        &by_wrong.digest,
        &[(&wrong, cosign::payload(&repo, &by_wrong.digest))],
    );
    // A valid signature of `a` copied onto `c`: the payload names `a`.
    cosign::sign(
        &seeder,
        "app",
        &other_digest.digest,
        &[(&good, cosign::payload(&repo, &signed.digest))],
    );
    let original = cosign::payload(&repo, &tampered.digest);
    cosign::sign(
        &seeder,
        "app",
        &tampered.digest,
        &[(&good, original.clone())],
    );
    // The payload's bytes altered in the registry's storage after signing.
    let mut altered = original.clone();
    let pos = altered.iter().position(|b| *b == b'"').unwrap();
    altered.insert(pos, b' ');
    std::fs::write(
        reg.blob_file(&crate::support::seed::sha256(&original)),
        &altered,
    )
    .unwrap();

    let source = reg.source("app", json!({"verify": verify(&[&good])}));
    let dest = tempfile::tempdir().unwrap();
    let out = get(&json!({"source": source, "version": {"tag": "a", "digest": signed.digest}, "params": {"skip_download": true}}), dest.path()).succeeds();
    assert_eq!(out["version"]["digest"], json!(signed.digest));
    assert!(dest.path().join("digest").is_file());

    for (pushed, expected) in [
        (
            &by_wrong,
            "does not verify with any key of source.verify.keys",
        ),
        (
            &other_digest,
            &*format!("for another digest ({})", signed.digest),
        ),
        (&tampered, "was tampered with"),
    ] {
        let dest = tempfile::tempdir().unwrap();
        let err = get(
            &json!({"source": source, "version": {"digest": pushed.digest}, "params": {}}),
            dest.path(),
        )
        .fails();
        assert!(
            err.contains("not signed by a key of source.verify"),
            "{err}"
        );
        assert!(err.contains(expected), "{expected}: {err}");
        assert!(err.contains(&pushed.digest), "{err}");
        assert_eq!(
            std::fs::read_dir(dest.path()).unwrap().count(),
            0,
            "nothing written"
        );
    }
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn docker_reference_is_checked_only_when_repositories_are_listed() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ed25519();
    let img = seeder.image("app", "1.0", "1.0", &[], &[]);
    let staging = reg.repo("staging/app");
    cosign::sign(
        &seeder,
        "app",
        &img.digest,
        &[(&key, cosign::payload(&staging, &img.digest))],
    );
    let version = json!({"tag": "1.0", "digest": img.digest});
    let dest = tempfile::tempdir().unwrap();
    // Default: a signature made in staging stays valid here.
    get(&json!({"source": reg.source("app", json!({"verify": verify(&[&key])})), "version": version, "params": {"skip_download": true}}), dest.path()).succeeds();
    let mut listed = verify(&[&key]);
    listed["repositories"] = json!([reg.repo("app")]);
    let dest = tempfile::tempdir().unwrap();
    let err = get(&json!({"source": reg.source("app", json!({"verify": listed})), "version": version, "params": {}}), dest.path()).fails();
    assert!(
        err.contains(&format!("names repository {staging}")),
        "{err}"
    );
    listed["repositories"] = json!([reg.repo("app"), staging]);
    get(&json!({"source": reg.source("app", json!({"verify": listed})), "version": version, "params": {"skip_download": true}}), dest.path()).succeeds();
}

#[test]
#[cfg_attr(
    not(uptick_has_openssl),
    ignore = "needs openssl (apt-get install openssl)"
)]
fn a_bad_key_is_refused_before_any_request_naming_it() {
    let key = Key::ecdsa();
    // Nobody listens there: an error about the key proves nothing was asked first.
    let port = crate::support::free_port();
    for (bad, expected) in [
        ("not a key", "not a PEM `PUBLIC KEY` block"),
        (
            "-----BEGIN PUBLIC KEY-----\nMAA=\n-----END PUBLIC KEY-----\n",
            "not a SubjectPublicKeyInfo",
        ),
    ] {
        let source = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest",
            "verify": {"keys": [key.public_pem(), bad]}});
        let err = check(&json!({"source": source})).fails();
        assert!(err.contains("source.verify.keys[1]: "), "{err}");
        assert!(err.contains(expected), "{err}");
    }
    // A curve other than P-256 is named as such.
    let dir = tempfile::tempdir().unwrap();
    let p384 = dir.path().join("p384.pem");
    cosign::openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-384",
        "-out",
        p384.to_str().unwrap(),
    ]);
    let public = String::from_utf8(cosign::openssl(&[
        "pkey",
        "-in",
        p384.to_str().unwrap(),
        "-pubout",
    ]))
    .unwrap();
    let source = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest", "verify": {"keys": [public]}});
    let err = check(&json!({"source": source})).fails();
    assert!(
        err.contains("source.verify.keys[0]: ECDSA curve 1.3.132.0.34 is not supported"),
        "{err}"
    );
    let err = check(&json!({"source": {"repository": "x/app", "verify": {"keys": []}}})).fails();
    assert!(
        err.contains("source.verify.keys: at least one public key is needed"),
        "{err}"
    );
    // Strict decoding reaches inside `verify`.
    let source = json!({"repository": "x/app", "verify": {"keys": [key.public_pem()], "key": "x"}});
    let err = check(&json!({ "source": source })).fails();
    assert!(
        err.contains("source.verify") && err.contains("unknown field `key`"),
        "{err}"
    );
    let err = put(
        &json!({"source": {"repository": "x/app"}, "params": {"promote": "a", "tags": ["b"], "referrers": "no"}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(err.contains("params.referrers"), "{err}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn promote_refuses_an_unsigned_image_and_writes_nothing() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ecdsa();
    let unsigned = seeder.image("staging/app", "rc1", "rc1", &[], &[]);
    let signed = seeder.image("staging/app", "rc2", "rc2", &[], &[]);
    cosign::sign(
        &seeder,
        "staging/app",
        &signed.digest,
        &[(
            &key,
            cosign::payload(&reg.repo("staging/app"), &signed.digest),
        )],
    );
    let empty = tempfile::tempdir().unwrap();
    let source = reg.source("release/app", json!({"verify": verify(&[&key])}));
    let before = reg.access_log().len();
    let err = put(&json!({"source": source, "params": {"promote": format!("{}:rc1", reg.repo("staging/app")), "tags": ["1.0.RELEASE"], "referrers": false}}), empty.path()).fails();
    assert!(
        err.contains(&unsigned.digest) && err.contains("no cosign signature"),
        "{err}"
    );
    let log = reg.access_log();
    assert!(
        log[before..]
            .iter()
            .all(|(m, _, _)| m == "GET" || m == "HEAD"),
        "nothing written: {:?}",
        &log[before..]
    );
    assert!(manifest(&reg, "release/app", "1.0.RELEASE").is_none());
    let out = put(&json!({"source": source, "params": {"promote": format!("{}:rc2", reg.repo("staging/app")), "tags": ["1.0.RELEASE"], "referrers": false}}), empty.path()).succeeds();
    assert_eq!(out["version"]["digest"], json!(signed.digest));
}

/// The tags and digests cosign and oras would leave for `subject` in `repo`: a signature by
/// `key`, an attestation, an SBOM, and an OCI 1.1 referrer listed by the tag schema.
struct Attached {
    referrer: Pushed,
}

fn attach_all(reg: &TestRegistry, repo: &str, subject: &Pushed, key: &Key) -> Attached {
    let seeder = Seeder::new(reg);
    cosign::sign(
        &seeder,
        repo,
        &subject.digest,
        &[(key, cosign::payload(&reg.repo(repo), &subject.digest))],
    );
    cosign::attach(
        &seeder,
        repo,
        &subject.digest,
        "att",
        br#"{"payloadType":"application/vnd.in-toto+json","payload":"e30=","signatures":[]}"#,
        "application/vnd.dsse.envelope.v1+json",
    );
    cosign::attach(
        &seeder,
        repo,
        &subject.digest,
        "sbom",
        br#"{"spdxVersion":"SPDX-2.3"}"#,
        "text/spdx+json",
    );
    let (referrer, _) = cosign::referrer(
        &seeder,
        repo,
        subject,
        "application/vnd.example.scan+json",
        b"scan report",
    );
    cosign::referrers_tag(
        &seeder,
        repo,
        &subject.digest,
        &[(&referrer, "application/vnd.example.scan+json")],
    );
    Attached { referrer }
}

fn digest_of(v: &Value) -> String {
    crate::support::seed::sha256(&serde_json::to_vec(v).unwrap())
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn promotion_to_another_registry_carries_signature_attestation_sbom_and_referrers() {
    let staging = TestRegistry::start(Mode::Plain);
    let prod = TestRegistry::start(Mode::Basic);
    let seeder = Seeder::new(&staging);
    let key = Key::ecdsa();
    let img = seeder.image("staging/app", "rc", "rc", &[], &[]);
    let attached = attach_all(&staging, "staging/app", &img, &key);
    let empty = tempfile::tempdir().unwrap();
    let source = prod.source("release/app", json!({"verify": verify(&[&key])}));
    let out = put(
        &json!({"source": source, "params": {"promote": format!("{}:rc", staging.repo("staging/app")), "tags": ["1.0.RELEASE"]}}),
        empty.path(),
    )
    .succeeds();
    let hex = &img.digest[7..];
    assert_eq!(
        out["metadata"][2],
        json!({"name": "referrers", "value": format!("{} sha256-{hex}.sig sha256-{hex}.att sha256-{hex}.sbom", attached.referrer.digest)})
    );
    // The same documents, byte for byte, under the same names.
    for suffix in ["sig", "att", "sbom"] {
        let tag = cosign::tag_for(&img.digest, suffix);
        assert_eq!(
            manifest(&prod, "release/app", &tag),
            manifest(&staging, "staging/app", &tag),
            "{tag}"
        );
    }
    let referrer =
        manifest(&prod, "release/app", &attached.referrer.digest).expect("referrer carried");
    assert_eq!(digest_of(&referrer), attached.referrer.digest);
    let index = manifest(&prod, "release/app", &format!("sha256-{hex}")).expect("tag schema index");
    assert_eq!(
        index["manifests"][0]["digest"],
        json!(attached.referrer.digest)
    );
    assert_eq!(
        index["manifests"][0]["artifactType"],
        json!("application/vnd.example.scan+json")
    );

    // The signature made in staging verifies in production: check and get accept the digest.
    let run = check(
        &json!({"source": prod.source("release/app", json!({"tag": "1.0.RELEASE", "verify": verify(&[&key])}))}),
    );
    assert_eq!(tags(&run.succeeds()), ["1.0.RELEASE"], "{}", run.stderr);
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": source, "version": {"tag": "1.0.RELEASE", "digest": img.digest}, "params": {"skip_download": true}}), dest.path()).succeeds();

    // Promoting again changes nothing: the target already has every document.
    let before = prod.access_log().len();
    put(
        &json!({"source": source, "params": {"promote": format!("{}:rc", staging.repo("staging/app")), "tags": ["1.0.RELEASE"]}}),
        empty.path(),
    )
    .succeeds();
    let log = prod.access_log();
    let writes: Vec<_> = log[before..]
        .iter()
        .filter(|(m, p, _)| {
            (m == "PUT" || m == "POST" || m == "PATCH") && !p.ends_with("/manifests/1.0.RELEASE")
        })
        .collect();
    assert_eq!(writes, Vec::<&(String, String, u16)>::new());
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn carrying_merges_with_another_signers_entries_on_the_target() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let (ours, theirs) = (Key::ecdsa(), Key::ed25519());
    let img = seeder.image("staging/app", "rc", "rc", &[], &[]);
    let attached = attach_all(&reg, "staging/app", &img, &ours);
    // The target already holds a signature of the same digest by another signer, and another
    // referrer in its tag-schema index.
    cosign::sign(
        &seeder,
        "release/app",
        &img.digest,
        &[(
            &theirs,
            cosign::payload(&reg.repo("release/app"), &img.digest),
        )],
    );
    let (other, _) = cosign::referrer(
        &seeder,
        "release/app",
        &img,
        "application/vnd.other+json",
        b"other",
    );
    cosign::referrers_tag(
        &seeder,
        "release/app",
        &img.digest,
        &[(&other, "application/vnd.other+json")],
    );
    let their_sig = manifest(&reg, "release/app", &cosign::tag_for(&img.digest, "sig")).unwrap();

    let before = reg.access_log().len();
    let empty = tempfile::tempdir().unwrap();
    put(
        &json!({"source": reg.source("release/app", json!({})), "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0.RELEASE"]}}),
        empty.path(),
    )
    .succeeds();
    let sig = manifest(&reg, "release/app", &cosign::tag_for(&img.digest, "sig")).unwrap();
    let layers = sig["layers"].as_array().unwrap();
    assert_eq!(layers.len(), 2, "{sig}");
    assert_eq!(
        layers[0], their_sig["layers"][0],
        "the other signer's layer is kept first"
    );
    let ours_sig = manifest(&reg, "staging/app", &cosign::tag_for(&img.digest, "sig")).unwrap();
    assert_eq!(layers[1], ours_sig["layers"][0]);
    // The merged config lists both layers, as cosign's append makes it.
    let config_digest = sig["config"]["digest"].as_str().unwrap();
    let config: Value =
        serde_json::from_slice(&std::fs::read(reg.blob_file(config_digest)).unwrap()).unwrap();
    assert_eq!(
        config["rootfs"]["diff_ids"],
        json!([layers[0]["digest"], layers[1]["digest"]])
    );
    // Both signers verify.
    for key in [&ours, &theirs] {
        let run = check(
            &json!({"source": reg.source("release/app", json!({"tag": "1.0.RELEASE", "verify": verify(&[key])}))}),
        );
        assert_eq!(tags(&run.succeeds()), ["1.0.RELEASE"], "{}", run.stderr);
    }
    let index = manifest(&reg, "release/app", &format!("sha256-{}", &img.digest[7..])).unwrap();
    let listed: Vec<&str> = index["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|d| d["digest"].as_str().unwrap())
        .collect();
    assert_eq!(
        listed,
        [other.digest.as_str(), attached.referrer.digest.as_str()]
    );
    // Within one registry the image's and the artifacts' blobs are mounted; the only blob
    // uploaded is the merged signature config made here.
    let log = reg.access_log();
    let uploads: Vec<_> = log[before..]
        .iter()
        .filter(|(m, p, _)| m == "PUT" && p.contains("/blobs/uploads/"))
        .collect();
    assert_eq!(uploads.len(), 1, "{uploads:?}");
    assert!(
        uploads[0].1.contains(&config_digest.replace(':', "%3A"))
            || uploads[0].1.contains(config_digest),
        "{uploads:?}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn referrers_false_carries_nothing_and_an_index_keeps_its_attestation_manifests() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ecdsa();
    let amd64 = seeder.image_for(
        "staging/app",
        "amd64",
        "amd64",
        &[],
        &[],
        "linux",
        "amd64",
        None,
    );
    let attestation = seeder.image_for(
        "staging/app",
        "att",
        "attestation",
        &[],
        &[],
        "unknown",
        "unknown",
        None,
    );
    let index = seeder.index(
        "staging/app",
        "rc",
        &[
            (json!({"os": "linux", "architecture": "amd64"}), &amd64),
            (
                json!({"os": "unknown", "architecture": "unknown"}),
                &attestation,
            ),
        ],
    );
    cosign::sign(
        &seeder,
        "staging/app",
        &index.digest,
        &[(
            &key,
            cosign::payload(&reg.repo("staging/app"), &index.digest),
        )],
    );
    // A child signed on its own (`cosign sign --recursive`).
    cosign::sign(
        &seeder,
        "staging/app",
        &amd64.digest,
        &[(
            &key,
            cosign::payload(&reg.repo("staging/app"), &amd64.digest),
        )],
    );
    let empty = tempfile::tempdir().unwrap();
    let out = put(
        &json!({"source": reg.source("plain/app", json!({})), "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0"], "referrers": false}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(
        out["metadata"].as_array().unwrap().len(),
        2,
        "no referrers entry: {out}"
    );
    assert!(manifest(&reg, "plain/app", &cosign::tag_for(&index.digest, "sig")).is_none());
    assert!(
        manifest(&reg, "plain/app", &attestation.digest).is_some(),
        "unknown/unknown child kept"
    );

    let out = put(
        &json!({"source": reg.source("signed/app", json!({})), "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0"]}}),
        empty.path(),
    )
    .succeeds();
    assert_eq!(
        out["metadata"][2]["value"],
        json!(format!(
            "{} {}",
            cosign::tag_for(&index.digest, "sig"),
            cosign::tag_for(&amd64.digest, "sig")
        ))
    );
    assert!(
        manifest(&reg, "signed/app", &attestation.digest).is_some(),
        "unknown/unknown child kept"
    );
    assert!(manifest(&reg, "signed/app", &cosign::tag_for(&amd64.digest, "sig")).is_some());
}

/// An image pushed straight into the in-memory OCI 1.1 registry, tagged `tag`.
fn fake_image(fake: &Oci11, repo: &str, tag: &str) -> Pushed {
    let layer = fake.put_blob(repo, format!("layer {tag}").as_bytes());
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let config_digest = fake.put_blob(repo, config);
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer, "size": format!("layer {tag}").len()}],
    }))
    .unwrap();
    fake.put_manifest(repo, tag, OCI_MANIFEST, &m);
    Pushed {
        digest: crate::support::seed::sha256(&m),
        size: m.len(),
    }
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_source_with_the_referrers_api_is_read_by_it_and_a_target_without_gets_the_tag_schema() {
    let fake = Oci11::start();
    let key = Key::ed25519();
    let img = fake_image(&fake, "staging/app", "rc");
    // A referrer (indexed by the fake from its `subject`) and a cosign signature.
    let blob = fake.put_blob("staging/app", b"scan report");
    let config = fake.put_blob("staging/app", b"{}");
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.scan+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": blob, "size": 11}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": img.size},
        "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
    }))
    .unwrap();
    let referrer_digest = crate::support::seed::sha256(&referrer);
    fake.put_manifest("staging/app", &referrer_digest, OCI_MANIFEST, &referrer);
    let payload = cosign::payload(&fake.repo("staging/app"), &img.digest);
    let payload_digest = fake.put_blob("staging/app", &payload);
    let sig_config = fake.put_blob("staging/app", b"{\"rootfs\":{}}");
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": sig_config, "size": 13},
        "layers": [{"mediaType": cosign::SIMPLE_SIGNING, "digest": payload_digest, "size": payload.len(),
            "annotations": {cosign::SIGNATURE_ANNOTATION: key.sign(&payload)}}],
    }))
    .unwrap();
    fake.put_manifest(
        "staging/app",
        &cosign::tag_for(&img.digest, "sig"),
        OCI_MANIFEST,
        &sig,
    );

    // A hostile answer: each page links to itself. Read once more, then left with a warning.
    fake.loop_referrers();
    let reg = TestRegistry::start(Mode::Plain);
    let empty = tempfile::tempdir().unwrap();
    let run = put(
        &json!({"source": reg.source("release/app", json!({"verify": verify(&[&key])})), "params": {"promote": format!("{}:rc", fake.repo("staging/app")), "tags": ["1.0.RELEASE"]}}),
        empty.path(),
    );
    let out = run.succeeds();
    assert!(
        run.stderr.contains("repeat themselves; stopping"),
        "{}",
        run.stderr
    );
    assert_eq!(
        out["metadata"][2]["value"],
        json!(format!(
            "{referrer_digest} {}",
            cosign::tag_for(&img.digest, "sig")
        ))
    );
    let log = fake.log();
    let asked = format!("/v2/staging/app/referrers/{}", img.digest);
    let pages = log
        .iter()
        .filter(|(m, p)| m == "GET" && *p == asked)
        .count();
    assert_eq!(pages, 2, "{log:?}");
    let schema_tag = format!("sha256-{}", &img.digest[7..]);
    assert!(
        !log.iter()
            .any(|(_, p)| p.ends_with(&format!("/manifests/{schema_tag}"))),
        "the API answered: no tag schema read"
    );
    // The target (distribution 2.8, no referrers API) gets the tag schema.
    let index = manifest(&reg, "release/app", &schema_tag).expect("tag schema index");
    assert_eq!(index["manifests"].as_array().unwrap().len(), 1);
    assert_eq!(index["manifests"][0]["digest"], json!(referrer_digest));
    assert_eq!(
        index["manifests"][0]["artifactType"],
        json!("application/vnd.example.scan+json")
    );
    assert_eq!(
        index["manifests"][0]["annotations"]["org.opencontainers.image.created"],
        json!("2026-01-01T00:00:00Z")
    );
    assert_eq!(
        digest_of(&manifest(&reg, "release/app", &referrer_digest).unwrap()),
        referrer_digest
    );
    let run = check(
        &json!({"source": reg.source("release/app", json!({"tag": "1.0.RELEASE", "verify": verify(&[&key])}))}),
    );
    assert_eq!(tags(&run.succeeds()), ["1.0.RELEASE"], "{}", run.stderr);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_target_that_takes_subject_manifests_gets_no_tag_schema_index() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ecdsa();
    let img = seeder.image("staging/app", "rc", "rc", &[], &[]);
    let attached = attach_all(&reg, "staging/app", &img, &key);
    let fake = Oci11::start();
    let empty = tempfile::tempdir().unwrap();
    let request = json!({"source": {"repository": fake.repo("release/app")}, "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0.RELEASE"]}});
    put(&request, empty.path()).succeeds();
    let schema_tag = format!("sha256-{}", &img.digest[7..]);
    assert!(
        fake.manifest("release/app", &schema_tag).is_none(),
        "OCI-Subject answered: no tag schema index"
    );
    assert!(fake
        .manifest("release/app", &attached.referrer.digest)
        .is_some());
    for suffix in ["sig", "att", "sbom"] {
        assert!(
            fake.manifest("release/app", &cosign::tag_for(&img.digest, suffix))
                .is_some(),
            "{suffix}"
        );
    }
    // Promoted again: the referrer is there and the API lists it; nothing is PUT but the tag.
    let before = fake.log().len();
    put(&request, empty.path()).succeeds();
    let log = fake.log();
    let puts: Vec<&str> = log[before..]
        .iter()
        .filter(|(m, _)| m == "PUT")
        .map(|(_, p)| p.as_str())
        .collect();
    assert_eq!(puts, ["/v2/release/app/manifests/1.0.RELEASE"]);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn in_writes_the_referrers_into_the_layout_and_out_pushes_them() {
    let staging = TestRegistry::start(Mode::Plain);
    let prod = TestRegistry::start(Mode::Basic);
    let key = Key::ecdsa();
    let img = Seeder::new(&staging).image("staging/app", "rc", "rc", &[], &[]);
    let attached = attach_all(&staging, "staging/app", &img, &key);
    let hex = &img.digest[7..];
    let names = format!(
        "{} sha256-{hex}.sig sha256-{hex}.att sha256-{hex}.sbom",
        attached.referrer.digest
    );
    let dir = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": staging.source("staging/app", json!({})), "version": {"tag": "rc", "digest": img.digest}, "params": {"format": "oci-layout", "referrers": true}}),
        dir.path(),
    )
    .succeeds();
    assert!(
        out["metadata"]
            .as_array()
            .unwrap()
            .contains(&json!({"name": "referrers", "value": names})),
        "{out}"
    );
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("oci/index.json")).unwrap()).unwrap();
    let entries = index["manifests"].as_array().unwrap();
    assert_eq!(entries.len(), 5, "{index}");
    assert_eq!(entries[0]["digest"], json!(img.digest));
    assert_eq!(entries[1]["digest"], json!(attached.referrer.digest));
    assert_eq!(
        entries[1]["artifactType"],
        json!("application/vnd.example.scan+json")
    );
    assert_eq!(
        entries[2]["annotations"]["org.opencontainers.image.ref.name"],
        json!(format!("sha256-{hex}.sig"))
    );
    assert_eq!(
        std::fs::read_to_string(dir.path().join("oci/single-image-digest")).unwrap(),
        img.digest
    );
    for e in entries {
        let d = e["digest"].as_str().unwrap();
        assert!(
            dir.path()
                .join(format!("oci/blobs/sha256/{}", &d[7..]))
                .is_file(),
            "{d}"
        );
    }

    // A later `out` of that layout pushes the image and everything that refers to it.
    let source = prod.source("release/app", json!({"verify": verify(&[&key])}));
    let out = put(
        &json!({"source": source, "params": {"image": "oci", "tags": ["1.0.RELEASE"]}}),
        dir.path(),
    )
    .succeeds();
    assert_eq!(
        out["metadata"][2],
        json!({"name": "referrers", "value": names})
    );
    for suffix in ["sig", "att", "sbom"] {
        let tag = cosign::tag_for(&img.digest, suffix);
        assert_eq!(
            manifest(&prod, "release/app", &tag),
            manifest(&staging, "staging/app", &tag),
            "{tag}"
        );
    }
    let index = manifest(&prod, "release/app", &format!("sha256-{hex}")).expect("tag schema index");
    assert_eq!(
        index["manifests"][0]["digest"],
        json!(attached.referrer.digest)
    );
    let run = check(
        &json!({"source": prod.source("release/app", json!({"tag": "1.0.RELEASE", "verify": verify(&[&key])}))}),
    );
    assert_eq!(tags(&run.succeeds()), ["1.0.RELEASE"], "{}", run.stderr);

    // `referrers: false`: the image alone.
    let out = put(&json!({"source": prod.source("bare/app", json!({})), "params": {"image": "oci", "tags": ["1.0"], "referrers": false}}), dir.path()).succeeds();
    assert_eq!(out["metadata"].as_array().unwrap().len(), 2, "{out}");
    assert!(manifest(&prod, "bare/app", &cosign::tag_for(&img.digest, "sig")).is_none());
    assert!(manifest(&prod, "bare/app", &attached.referrer.digest).is_none());

    // Referrers go into a layout only.
    let err = get(
        &json!({"source": staging.source("staging/app", json!({})), "version": {"digest": img.digest}, "params": {"referrers": true}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(
        err.contains("params.referrers: needs `format: oci-layout`"),
        "{err}"
    );
    let err = get(
        &json!({"source": staging.source("staging/app", json!({})), "version": {"digest": img.digest}, "params": {"format": "oci-layout", "skip_download": true, "referrers": true}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(err.contains("without `skip_download`"), "{err}");
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn rsa_keys_verify_pkcs1_and_pss_signatures_made_by_openssl() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let (pkcs1, pss) = (Key::rsa(false), Key::rsa(true));
    let repo = reg.repo("app");
    let a = seeder.image("app", "1.0.0", "a", &[], &[]);
    let b = seeder.image("app", "1.1.0", "b", &[], &[]);
    cosign::sign(
        &seeder,
        "app",
        &a.digest,
        &[(&pkcs1, cosign::payload(&repo, &a.digest))],
    );
    cosign::sign(
        &seeder,
        "app",
        &b.digest,
        &[(&pss, cosign::payload(&repo, &b.digest))],
    );
    let cursor = json!({"tag": "1.0.0", "digest": a.digest});
    let run = check(
        &json!({"source": reg.source("app", json!({"verify": verify(&[&pkcs1, &pss])})), "version": cursor}),
    );
    assert_eq!(tags(&run.succeeds()), ["1.0.0", "1.1.0"], "{}", run.stderr);
    let run = check(
        &json!({"source": reg.source("app", json!({"verify": verify(&[&pss])})), "version": cursor}),
    );
    assert_eq!(tags(&run.succeeds()), ["1.1.0"], "{}", run.stderr);
}

#[test]
fn a_signature_kept_as_an_oci_referrer_is_found_by_the_artifact_type_filter() {
    let fake = Oci11::start();
    let (key, other) = (Key::ecdsa(), Key::ecdsa());
    let img = fake_image(&fake, "app", "1.0");
    // cosign's OCI 1.1 mode: the signature manifest names the image as its `subject`; no tag.
    let payload = cosign::payload(&fake.repo("app"), &img.digest);
    let payload_digest = fake.put_blob("app", &payload);
    let empty = fake.put_blob("app", b"{}");
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": cosign::SIMPLE_SIGNING, "digest": payload_digest, "size": payload.len(),
            "annotations": {cosign::SIGNATURE_ANNOTATION: key.sign(&payload)}}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": img.size},
    }))
    .unwrap();
    fake.put_manifest(
        "app",
        &crate::support::seed::sha256(&sig),
        OCI_MANIFEST,
        &sig,
    );
    // Another artifact the filter leaves out.
    let sbom = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/spdx+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [], "subject": {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": img.size},
    }))
    .unwrap();
    let sbom_digest = crate::support::seed::sha256(&sbom);
    fake.put_manifest("app", &sbom_digest, OCI_MANIFEST, &sbom);

    let version = json!({"tag": "1.0", "digest": img.digest});
    let source = json!({"repository": fake.repo("app"), "verify": verify(&[&key])});
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": source, "version": version, "params": {"skip_download": true}}),
        dest.path(),
    )
    .succeeds();
    let log = fake.log();
    let filtered = format!(
        "/v2/app/referrers/{}?artifactType=application%2Fvnd.dev.cosign.artifact.sig.v1%2Bjson",
        img.digest
    );
    assert!(
        log.iter().any(|(m, p)| m == "GET" && *p == filtered),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|(_, p)| p.ends_with(&sbom_digest)),
        "the filter left the SBOM out"
    );

    let dest = tempfile::tempdir().unwrap();
    let source = json!({"repository": fake.repo("app"), "verify": verify(&[&other])});
    let err = get(
        &json!({"source": source, "version": version, "params": {}}),
        dest.path(),
    )
    .fails();
    assert!(
        err.contains("no cosign signature (no tag") && err.contains("does not verify with any key"),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_verified_tag_check_costs_the_signature_manifest_and_its_payload() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ed25519();
    let img = seeder.image("app", "latest", "a", &[], &[]);
    cosign::sign(
        &seeder,
        "app",
        &img.digest,
        &[(&key, cosign::payload(&reg.repo("app"), &img.digest))],
    );
    let cursor = json!({"tag": "latest", "digest": img.digest});
    let source = reg.source(
        "app",
        json!({"tag": "latest", "debug": true, "verify": verify(&[&key])}),
    );
    let run = check(&json!({"source": source, "version": cursor}));
    assert_eq!(tags(&run.succeeds()), ["latest"]);
    let lines: Vec<&str> = run
        .request_lines()
        .into_iter()
        .filter(|l| !l.contains(" /v2/ ") && !l.ends_with("/v2/"))
        .collect();
    assert_eq!(run.requests("HEAD", "/manifests/latest"), 1, "{lines:?}");
    assert_eq!(
        run.requests(
            "GET",
            &format!("/manifests/{}", cosign::tag_for(&img.digest, "sig"))
        ),
        1,
        "{lines:?}"
    );
    assert_eq!(run.requests("GET", "/blobs/sha256:"), 1, "{lines:?}");
    assert_eq!(
        run.requests("GET", "/referrers/"),
        0,
        "a valid tag signature: no referrers request"
    );
}

/// A signature layer on the fake registry: `payload` stored (unless `store` is false), its
/// annotation `key`'s signature of `signed`.
fn fake_sig_layer(fake: &Oci11, payload: &[u8], key: &Key, signed: &[u8], store: bool) -> Value {
    let digest = match store {
        true => fake.put_blob("app", payload),
        false => crate::support::seed::sha256(payload),
    };
    json!({"mediaType": cosign::SIMPLE_SIGNING, "digest": digest, "size": payload.len(),
        "annotations": {cosign::SIGNATURE_ANNOTATION: key.sign(signed)}})
}

/// `subject`'s `.sig` tag on the fake registry, of `layers`.
fn fake_sig(fake: &Oci11, repo: &str, subject: &str, layers: Value) {
    let config = fake.put_blob(repo, b"{\"rootfs\":{}}");
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 13},
        "layers": layers,
    }))
    .unwrap();
    fake.put_manifest(repo, &cosign::tag_for(subject, "sig"), OCI_MANIFEST, &sig);
}

#[test]
fn a_broken_signature_skips_its_version_in_check_and_fails_in_with_the_reason() {
    let fake = Oci11::start();
    let key = Key::ecdsa();
    let repo = fake.repo("app");
    let v: Vec<Pushed> = ["1.0.0", "1.1.0", "1.2.0", "1.3.0"]
        .iter()
        .map(|t| fake_image(&fake, "app", t))
        .collect();
    for good in [&v[0], &v[3]] {
        let p = cosign::payload(&repo, &good.digest);
        fake_sig(
            &fake,
            "app",
            &good.digest,
            json!([fake_sig_layer(&fake, &p, &key, &p, true)]),
        );
    }
    // 1.1.0: a valid signature whose payload blob the registry does not have.
    let missing = cosign::payload(&repo, &v[1].digest);
    let missing_digest = crate::support::seed::sha256(&missing);
    fake_sig(
        &fake,
        "app",
        &v[1].digest,
        json!([fake_sig_layer(&fake, &missing, &key, &missing, false)]),
    );
    // 1.2.0: the `.sig` tag holds no manifest at all.
    fake.put_manifest(
        "app",
        &cosign::tag_for(&v[2].digest, "sig"),
        OCI_MANIFEST,
        b"garbage",
    );

    let source = json!({"repository": repo, "verify": verify(&[&key])});
    let cursor = json!({"tag": "1.0.0", "digest": v[0].digest});
    let run = check(&json!({"source": source, "version": cursor}));
    assert_eq!(tags(&run.succeeds()), ["1.0.0", "1.3.0"], "{}", run.stderr);
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("skipping"))
        .collect();
    assert_eq!(skipped.len(), 2, "{}", run.stderr);
    assert!(
        skipped[0].contains(&v[1].digest)
            && skipped[0].contains(&format!("payload {missing_digest}"))
            && skipped[0].contains("404 BLOB_UNKNOWN"),
        "{}",
        skipped[0]
    );
    assert!(
        skipped[1].contains(&v[2].digest) && skipped[1].contains("not an image manifest"),
        "{}",
        skipped[1]
    );

    let dest = tempfile::tempdir().unwrap();
    let err = get(
        &json!({"source": source, "version": {"tag": "1.1.0", "digest": v[1].digest}, "params": {}}),
        dest.path(),
    )
    .fails();
    assert!(
        err.contains("not signed by a key of source.verify") && err.contains("404 BLOB_UNKNOWN"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // A referrers API answering 500 is a reason for the unsigned ones, not a failed check.
    fake.fail_referrers(500);
    let run = check(&json!({"source": source, "version": cursor}));
    assert_eq!(tags(&run.succeeds()), ["1.0.0", "1.3.0"], "{}", run.stderr);
    let skipped: Vec<&str> = run
        .stderr
        .lines()
        .filter(|l| l.contains("skipping"))
        .collect();
    assert_eq!(skipped.len(), 2, "{}", run.stderr);
    assert!(
        skipped[0].contains("could not be read") && skipped[0].contains("500"),
        "{}",
        skipped[0]
    );
}

#[test]
fn signatures_examined_per_digest_share_one_budget_across_tag_and_referrers() {
    let fake = Oci11::start();
    let (key, other) = (Key::ed25519(), Key::ed25519());
    let img = fake_image(&fake, "app", "1.0");
    let payload = cosign::payload(&fake.repo("app"), &img.digest);
    // 200 layers in the tag and 100 referrers, each signed by a key not listed.
    let layer = fake_sig_layer(&fake, &payload, &other, &payload, true);
    fake_sig(
        &fake,
        "app",
        &img.digest,
        Value::Array(vec![layer.clone(); 200]),
    );
    let empty = fake.put_blob("app", b"{}");
    for i in 0..100 {
        let sig = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "artifactType": "application/vnd.dev.cosign.artifact.sig.v1+json",
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": [layer],
            "subject": {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": img.size},
            "annotations": {"n": i.to_string()},
        }))
        .unwrap();
        fake.put_manifest(
            "app",
            &crate::support::seed::sha256(&sig),
            OCI_MANIFEST,
            &sig,
        );
    }
    let source = json!({"repository": fake.repo("app"), "verify": verify(&[&key])});
    let before = fake.log().len();
    let err = get(
        &json!({"source": source, "version": {"digest": img.digest}, "params": {}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(
        err.contains("more than 256 signatures; the rest were not examined"),
        "{err}"
    );
    let log = fake.log();
    let fetched = log[before..]
        .iter()
        .filter(|(m, p)| {
            m == "GET"
                && (p.contains("/blobs/")
                    || (p.contains("/manifests/sha256:") && !p.ends_with(&img.digest)))
        })
        .count();
    assert_eq!(fetched, 256, "payloads and referrer manifests read");
}

#[test]
#[cfg_attr(
    not(uptick_has_openssl),
    ignore = "needs openssl (apt-get install openssl)"
)]
fn an_rsa_key_of_1024_bits_is_refused_naming_it_and_its_size() {
    let port = crate::support::free_port();
    let dir = tempfile::tempdir().unwrap();
    let private = dir.path().join("rsa1024.pem");
    cosign::openssl(&[
        "genpkey",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:1024",
        "-out",
        private.to_str().unwrap(),
    ]);
    let public = String::from_utf8(cosign::openssl(&[
        "pkey",
        "-in",
        private.to_str().unwrap(),
        "-pubout",
    ]))
    .unwrap();
    let key = Key::ecdsa();
    let source = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest",
        "verify": {"keys": [key.public_pem(), public]}});
    let err = check(&json!({ "source": source })).fails();
    assert!(
        err.contains("source.verify.keys[1]: an RSA key of 1024 bits is not supported (2048 to 8192 bits are)"),
        "{err}"
    );
    // 2048 bits (the keys the other tests sign with) are taken.
    let rsa = Key::rsa(false);
    let source = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest",
        "verify": {"keys": [rsa.public_pem()]}});
    let err = check(&json!({ "source": source })).fails();
    assert!(!err.contains("source.verify.keys"), "{err}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_valid_signature_over_another_payload_is_refused() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ecdsa();
    let repo = reg.repo("app");
    let a = seeder.image("app", "a", "a", &[], &[]);
    let b = seeder.image("app", "b", "b", &[], &[]);
    let payload_a = cosign::payload(&repo, &a.digest);
    cosign::sign(&seeder, "app", &a.digest, &[(&key, payload_a.clone())]);
    // `b`'s layer: a payload naming `b`, with the (valid) signature of `a`'s payload.
    let payload_b = cosign::payload(&repo, &b.digest);
    let manifest = cosign::artifact_manifest(
        &seeder,
        "app",
        &[(
            payload_b,
            cosign::SIMPLE_SIGNING,
            json!({cosign::SIGNATURE_ANNOTATION: key.sign(&payload_a)}),
        )],
        json!({}),
    );
    seeder.push_manifest(
        "app",
        &cosign::tag_for(&b.digest, "sig"),
        OCI_MANIFEST,
        &manifest,
    );
    let source = reg.source("app", json!({"verify": verify(&[&key])}));
    let err = get(
        &json!({"source": source, "version": {"digest": b.digest}, "params": {}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(
        err.contains(&b.digest) && err.contains("does not verify with any key"),
        "{err}"
    );
    get(
        &json!({"source": source, "version": {"digest": a.digest}, "params": {"skip_download": true}}),
        tempfile::tempdir().unwrap().path(),
    )
    .succeeds();
}

#[test]
fn a_referrers_api_that_ignores_the_artifact_type_filter_is_filtered_here() {
    let fake = Oci11::start();
    fake.ignore_referrers_filter();
    let key = Key::ecdsa();
    let img = fake_image(&fake, "app", "1.0");
    let payload = cosign::payload(&fake.repo("app"), &img.digest);
    let layer = fake_sig_layer(&fake, &payload, &key, &payload, true);
    let empty = fake.put_blob("app", b"{}");
    let artifact = |artifact_type: &str, layers: Value| {
        let m = serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": artifact_type,
            "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
            "layers": layers,
            "subject": {"mediaType": OCI_MANIFEST, "digest": img.digest, "size": img.size},
        }))
        .unwrap();
        let digest = crate::support::seed::sha256(&m);
        fake.put_manifest("app", &digest, OCI_MANIFEST, &m);
        digest
    };
    // Listed first by the registry: an SBOM the filter must leave out.
    let sbom = artifact("application/spdx+json", json!([]));
    let sig = artifact(
        "application/vnd.dev.cosign.artifact.sig.v1+json",
        json!([layer]),
    );
    let source = json!({"repository": fake.repo("app"), "verify": verify(&[&key])});
    let run = get(
        &json!({"source": source, "version": {"digest": img.digest}, "params": {"skip_download": true}}),
        tempfile::tempdir().unwrap().path(),
    );
    run.succeeds();
    let log = fake.log();
    assert!(
        log.iter().any(|(m, p)| m == "GET" && p.ends_with(&sig)),
        "{log:?}"
    );
    assert!(
        !log.iter().any(|(_, p)| p.ends_with(&sbom)),
        "an unfiltered answer is filtered here: {log:?}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_target_cosign_manifest_whose_config_is_an_array_is_an_error_not_a_panic() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let key = Key::ecdsa();
    let img = seeder.image("staging/app", "rc", "rc", &[], &[]);
    cosign::sign(
        &seeder,
        "staging/app",
        &img.digest,
        &[(&key, cosign::payload(&reg.repo("staging/app"), &img.digest))],
    );
    // The target already has a `.sig` for the digest (another signer's), its `config` an
    // array that serde's struct decoding takes as `[digest, size]`.
    let fake = Oci11::start();
    let config = fake.put_blob("release/app", b"{\"rootfs\":{}}");
    let theirs = cosign::payload(&fake.repo("release/app"), &img.digest);
    let layer = fake_sig_layer(&fake, &theirs, &Key::ed25519(), &theirs, true);
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": [config, 13],
        "layers": [layer],
    }))
    .unwrap();
    fake.put_manifest(
        "release/app",
        &cosign::tag_for(&img.digest, "sig"),
        OCI_MANIFEST,
        &sig,
    );
    let err = put(
        &json!({"source": {"repository": fake.repo("release/app")}, "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0"]}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(err.contains("config is not an object"), "{err}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_layout_of_another_tool_listing_referrers_beside_the_image_carries_them() {
    // As `oras copy -r --to-oci-layout` leaves it: no `single-image-digest`; `index.json` lists
    // the image (by its tag name) and an artifact whose `subject` is the image.
    let dir = tempfile::tempdir().unwrap();
    let oci = dir.path().join("oci");
    let blob = |bytes: &[u8]| json!({"digest": layout::put_blob(&oci, bytes), "size": bytes.len()});
    let config =
        br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#;
    let (config, layer) = (blob(config), blob(b"layer bytes"));
    let image = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config["digest"], "size": config["size"]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer["digest"], "size": layer["size"]}],
    }))
    .unwrap();
    let image_desc = blob(&image);
    let (empty, report) = (blob(b"{}"), blob(b"scan report"));
    let referrer = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.scan+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty["digest"], "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": report["digest"], "size": report["size"]}],
        "subject": {"mediaType": OCI_MANIFEST, "digest": image_desc["digest"], "size": image_desc["size"]},
    }))
    .unwrap();
    let referrer_desc = blob(&referrer);
    layout::finish(
        &oci,
        vec![
            json!({"mediaType": OCI_MANIFEST, "digest": image_desc["digest"], "size": image_desc["size"],
            "annotations": {"org.opencontainers.image.ref.name": "1.0"}}),
            json!({"mediaType": OCI_MANIFEST, "digest": referrer_desc["digest"], "size": referrer_desc["size"],
            "artifactType": "application/vnd.example.scan+json"}),
        ],
    );

    let reg = TestRegistry::start(Mode::Plain);
    let out = put(
        &json!({"source": reg.source("app", json!({})), "params": {"image": "oci", "tags": ["1.0"]}}),
        dir.path(),
    )
    .succeeds();
    let image_digest = image_desc["digest"].as_str().unwrap();
    assert_eq!(out["version"]["digest"], json!(image_digest), "{out}");
    assert_eq!(
        digest_of(&manifest(&reg, "app", "1.0").unwrap()),
        image_digest
    );
    let referrer_digest = referrer_desc["digest"].as_str().unwrap();
    assert!(manifest(&reg, "app", referrer_digest).is_some());
    let schema =
        manifest(&reg, "app", &format!("sha256-{}", &image_digest[7..])).expect("tag schema index");
    assert_eq!(schema["manifests"][0]["digest"], json!(referrer_digest));
    assert_eq!(
        schema["manifests"][0]["artifactType"],
        json!("application/vnd.example.scan+json")
    );
}

/// A referrer-shaped manifest stored by digest in the fake (`extra` merged into it: a
/// `subject`, or none); its digest and a referrers-list descriptor of it.
fn fake_artifact(fake: &Oci11, repo: &str, seed: &str, extra: Value) -> (String, Value) {
    let config = fake.put_blob(repo, b"{}");
    let blob = fake.put_blob(repo, seed.as_bytes());
    let mut m = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": "application/vnd.example.scan+json",
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": config, "size": 2},
        "layers": [{"mediaType": "application/octet-stream", "digest": blob, "size": seed.len()}],
    });
    for (k, v) in extra.as_object().unwrap() {
        m[k.as_str()] = v.clone();
    }
    let bytes = serde_json::to_vec(&m).unwrap();
    let digest = crate::support::seed::sha256(&bytes);
    fake.put_manifest(repo, &digest, OCI_MANIFEST, &bytes);
    let descriptor = json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": bytes.len(),
        "artifactType": "application/vnd.example.scan+json"});
    (digest, descriptor)
}

fn subject_of(p: &Pushed) -> Value {
    json!({"mediaType": OCI_MANIFEST, "digest": p.digest, "size": p.size})
}

/// The digests of a list of descriptors.
fn digests(list: &[Value]) -> Vec<&str> {
    list.iter().map(|d| d["digest"].as_str().unwrap()).collect()
}

/// The stderr line naming `what`, which must say it was not carried.
fn skipped_line<'a>(stderr: &'a str, what: &str) -> &'a str {
    stderr
        .lines()
        .find(|l| l.contains(what) && l.contains("not carried"))
        .unwrap_or_else(|| panic!("no line says {what} was not carried: {stderr}"))
}

#[test]
fn a_stray_referrer_listed_by_the_api_is_not_carried_nor_attached_to_another_image() {
    let fake = Oci11::start();
    let img = fake_image(&fake, "staging/app", "rc");
    let other = fake_image(&fake, "staging/app", "other");
    let (good, _) = fake_artifact(
        &fake,
        "staging/app",
        "good",
        json!({"subject": subject_of(&img)}),
    );
    // Listed under `img` by the registry, though each names `other` as its subject: plainly,
    // under a second spelling Go's JSON decoder reads as the same field, and in a cosign tag.
    let (stray, stray_desc) = fake_artifact(
        &fake,
        "staging/app",
        "stray",
        json!({"subject": subject_of(&other)}),
    );
    fake.list_referrer("staging/app", &img.digest, stray_desc);
    let (twice, twice_desc) = fake_artifact(
        &fake,
        "staging/app",
        "twice",
        json!({"subject": subject_of(&img), "Subject": subject_of(&other)}),
    );
    fake.list_referrer("staging/app", &img.digest, twice_desc);
    let sig_tag = cosign::tag_for(&img.digest, "sig");
    let config = fake.put_blob("staging/app", b"{}");
    let sig = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config, "size": 2},
        "layers": [],
        "subject": subject_of(&other),
    }))
    .unwrap();
    fake.put_manifest("staging/app", &sig_tag, OCI_MANIFEST, &sig);

    let target = Oci11::start();
    let run = put(
        &json!({"source": {"repository": target.repo("release/app")}, "params": {"promote": format!("{}:rc", fake.repo("staging/app")), "tags": ["1.0"]}}),
        tempfile::tempdir().unwrap().path(),
    );
    let out = run.succeeds();
    assert_eq!(
        target.referrers_of("release/app", &other.digest),
        Vec::<Value>::new(),
        "nothing attached to an image the promotion never named"
    );
    assert_eq!(out["metadata"][2]["value"], json!(good), "{out}");
    assert_eq!(
        digests(&target.referrers_of("release/app", &img.digest)),
        [good.as_str()]
    );
    for reference in [&stray, &twice, &sig_tag] {
        assert!(
            target.manifest("release/app", reference).is_none(),
            "{reference}"
        );
    }
    let line = skipped_line(&run.stderr, &stray);
    assert!(
        line.contains(&format!("its own `subject` is {}", other.digest)),
        "{line}"
    );
    assert!(skipped_line(&run.stderr, &twice).contains("more than one `subject`"));
    assert!(skipped_line(&run.stderr, &sig_tag).contains(&other.digest));

    // `in` with `referrers: true` reads them the same way: the layout holds the image and `good`.
    let dir = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": {"repository": fake.repo("staging/app")}, "version": {"tag": "rc", "digest": img.digest}, "params": {"format": "oci-layout", "referrers": true}}),
        dir.path(),
    );
    run.succeeds();
    let index: Value =
        serde_json::from_slice(&std::fs::read(dir.path().join("oci/index.json")).unwrap()).unwrap();
    assert_eq!(
        digests(index["manifests"].as_array().unwrap()),
        [img.digest.as_str(), good.as_str()]
    );
    skipped_line(&run.stderr, &stray);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_stray_referrer_in_the_tag_schema_index_is_not_carried() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let t = "application/vnd.example.scan+json";
    let img = seeder.image("staging/app", "rc", "rc", &[], &[]);
    let other = seeder.image("staging/app", "other", "other", &[], &[]);
    let (good, _) = cosign::referrer(&seeder, "staging/app", &img, t, b"good");
    let (stray, _) = cosign::referrer(&seeder, "staging/app", &other, t, b"stray");
    cosign::referrers_tag(
        &seeder,
        "staging/app",
        &img.digest,
        &[(&good, t), (&stray, t)],
    );
    // An attestation under `img`'s cosign tag that names `other` as its subject.
    let att = cosign::artifact_manifest(
        &seeder,
        "staging/app",
        &[(
            b"{}".to_vec(),
            "application/vnd.dsse.envelope.v1+json",
            Value::Null,
        )],
        json!({"subject": subject_of(&other)}),
    );
    let att_tag = cosign::tag_for(&img.digest, "att");
    seeder.push_manifest("staging/app", &att_tag, OCI_MANIFEST, &att);

    let target = Oci11::start();
    let run = put(
        &json!({"source": {"repository": target.repo("release/app")}, "params": {"promote": format!("{}:rc", reg.repo("staging/app")), "tags": ["1.0"]}}),
        tempfile::tempdir().unwrap().path(),
    );
    let out = run.succeeds();
    assert_eq!(
        target.referrers_of("release/app", &other.digest),
        Vec::<Value>::new()
    );
    assert_eq!(out["metadata"][2]["value"], json!(good.digest), "{out}");
    assert_eq!(
        digests(&target.referrers_of("release/app", &img.digest)),
        [good.digest.as_str()]
    );
    assert!(target.manifest("release/app", &stray.digest).is_none());
    assert!(target.manifest("release/app", &att_tag).is_none());
    assert!(skipped_line(&run.stderr, &stray.digest)
        .contains(&format!("its own `subject` is {}", other.digest)));
    skipped_line(&run.stderr, &att_tag);
}

#[test]
fn a_layout_entry_bound_to_another_image_is_not_pushed() {
    // A layout as `in` writes it (`single-image-digest`), with a cosign-named signature whose
    // manifest names another image as its subject, and a referrer naming two subjects.
    let dir = tempfile::tempdir().unwrap();
    let oci = dir.path().join("oci");
    let blob = |bytes: &[u8]| json!({"mediaType": OCI_MANIFEST, "digest": layout::put_blob(&oci, bytes), "size": bytes.len()});
    let config =
        blob(br#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":[]}}"#);
    let layer = blob(b"layer bytes");
    let image = blob(
        &serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config["digest"], "size": config["size"]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer["digest"], "size": layer["size"]}],
        }))
        .unwrap(),
    );
    let other = json!({"mediaType": OCI_MANIFEST, "digest": format!("sha256:{}", "e".repeat(64)), "size": 10});
    let empty = blob(b"{}");
    let artifact = |extra: Value| {
        let mut m = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": empty["digest"], "size": 2},
            "layers": [],
        });
        for (k, v) in extra.as_object().unwrap() {
            m[k.as_str()] = v.clone();
        }
        blob(&serde_json::to_vec(&m).unwrap())
    };
    let image_digest = image["digest"].as_str().unwrap().to_string();
    let sig_tag = cosign::tag_for(&image_digest, "sig");
    let mut sig = artifact(json!({"subject": other}));
    sig["annotations"] = json!({"org.opencontainers.image.ref.name": sig_tag});
    let twice = artifact(json!({"subject": image, "SUBJECT": other}));
    let good = artifact(json!({"subject": image, "artifactType": "application/vnd.example+json"}));
    layout::finish(&oci, vec![image.clone(), sig, twice.clone(), good.clone()]);
    std::fs::write(oci.join("single-image-digest"), &image_digest).unwrap();

    let target = Oci11::start();
    let run = put(
        &json!({"source": {"repository": target.repo("app")}, "params": {"image": "oci", "tags": ["1.0"]}}),
        dir.path(),
    );
    let out = run.succeeds();
    let good = good["digest"].as_str().unwrap();
    let twice = twice["digest"].as_str().unwrap();
    assert_eq!(
        target.referrers_of("app", other["digest"].as_str().unwrap()),
        Vec::<Value>::new()
    );
    assert_eq!(out["metadata"][2]["value"], json!(good), "{out}");
    assert_eq!(digests(&target.referrers_of("app", &image_digest)), [good]);
    assert!(target.manifest("app", &sig_tag).is_none());
    assert!(target.manifest("app", twice).is_none());
    assert!(skipped_line(&run.stderr, &sig_tag).contains(other["digest"].as_str().unwrap()));
    assert!(skipped_line(&run.stderr, twice).contains("more than one `subject`"));
}

#[test]
fn referrers_past_the_budget_per_run_fail_naming_the_limit_before_any_write() {
    let fake = Oci11::start();
    let (amd64, arm64) = (
        fake_image(&fake, "app", "amd64"),
        fake_image(&fake, "app", "arm64"),
    );
    let index = serde_json::to_vec(&json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
        "manifests": [
            {"mediaType": OCI_MANIFEST, "digest": amd64.digest, "size": amd64.size, "platform": {"os": "linux", "architecture": "amd64"}},
            {"mediaType": OCI_MANIFEST, "digest": arm64.digest, "size": arm64.size, "platform": {"os": "linux", "architecture": "arm64"}},
        ]}))
    .unwrap();
    fake.put_manifest(
        "app",
        "rc",
        "application/vnd.oci.image.index.v1+json",
        &index,
    );
    // 501 listed under each image: fewer than the budget each, more than it together.
    for child in [&amd64, &arm64] {
        for i in 0..501 {
            let digest = crate::support::seed::sha256(format!("{}{i}", child.digest).as_bytes());
            fake.list_referrer(
                "app",
                &child.digest,
                json!({"mediaType": OCI_MANIFEST, "digest": digest, "size": 100, "artifactType": "application/vnd.example+json"}),
            );
        }
    }
    let target = Oci11::start();
    let request = |referrers: bool| json!({"source": {"repository": target.repo("app")}, "params": {"promote": format!("{}:rc", fake.repo("app")), "tags": ["1.0"], "referrers": referrers}});
    let before = fake.log().len();
    let err = put(&request(true), tempfile::tempdir().unwrap().path()).fails();
    assert!(
        err.contains("the referrers to carry pass the limit of 1000 referrers per run")
            && err.contains("`params.referrers: false`"),
        "{err}"
    );
    let log = fake.log();
    let manifests_read = log[before..]
        .iter()
        .filter(|(m, p)| m == "GET" && p.contains("/manifests/sha256:"))
        .filter(|(_, p)| !p.ends_with(&amd64.digest) && !p.ends_with(&arm64.digest))
        .count();
    assert_eq!(manifests_read, 0, "no listed manifest fetched");
    assert!(
        !target.log().iter().any(|(m, _)| m != "GET" && m != "HEAD"),
        "nothing written: {:?}",
        target.log()
    );
    // The way past it the error names.
    put(&request(false), tempfile::tempdir().unwrap().path()).succeeds();
}
