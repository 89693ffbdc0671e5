//! `sign` on `out`: cosign key-based signatures of what is pushed or promoted, checked by
//! uptick's own `verify` and by `openssl` over the payload read back from the registry.

use crate::support::cosign::{self, Key, SIGNATURE_ANNOTATION, SIMPLE_SIGNING};
use crate::support::layers::{layer, Compression, Entry};
use crate::support::layout;
use crate::support::oci11::Oci11;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::Seeder;
use crate::support::{check, get, put};
use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;

const SIG_ARTIFACT: &str = "application/vnd.dev.cosign.artifact.sig.v1+json";

fn gz(name: &str, content: &str) -> Vec<u8> {
    layer(
        &[Entry::File(name, content.as_bytes(), 0o644)],
        Compression::Gzip,
    )
}

/// An ECDSA P-256 key made by `openssl`: its PKCS#8 PEM and its public key PEM.
fn openssl_key(dir: &Path, name: &str) -> (String, String) {
    let path = dir.join(format!("{name}.pem"));
    let path = path.to_str().unwrap();
    cosign::openssl(&[
        "genpkey",
        "-algorithm",
        "EC",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-out",
        path,
    ]);
    let public = cosign::openssl(&["pkey", "-in", path, "-pubout"]);
    (
        std::fs::read_to_string(path).unwrap(),
        String::from_utf8(public).unwrap(),
    )
}

/// `sha256:<hex>` as cosign's signature tag.
fn sig_tag(digest: &str) -> String {
    cosign::tag_for(digest, "sig")
}

fn get_bytes(reg: &TestRegistry, repo: &str, what: &str, reference: &str) -> Option<Vec<u8>> {
    let url = format!("{}/v2/{repo}/{what}/{reference}", reg.base_url());
    let mut req = reg.agent().get(&url).header(
        "Accept",
        "application/vnd.oci.image.manifest.v1+json, application/vnd.oci.image.index.v1+json",
    );
    if let Some(a) = reg.admin_auth(repo) {
        req = req.header("Authorization", a);
    }
    let resp = req.send().unwrap_or_else(|e| panic!("GET {url}: {e}"));
    match resp.status().as_u16() {
        200 => Some(resp.bytes().unwrap().to_vec()),
        404 => None,
        other => panic!("GET {url}: {other}"),
    }
}

fn manifest(reg: &TestRegistry, repo: &str, reference: &str) -> Option<Value> {
    get_bytes(reg, repo, "manifests", reference).map(|b| serde_json::from_slice(&b).unwrap())
}

fn digest_of(reg: &TestRegistry, repo: &str, tag: &str) -> Option<String> {
    let bytes = get_bytes(reg, repo, "manifests", tag)?;
    Some(crate::support::seed::sha256(&bytes))
}

/// Whether `openssl dgst -sha256 -verify` accepts `sig_b64` over `payload` with `public_pem`.
fn openssl_verifies(public_pem: &str, payload: &[u8], sig_b64: &str) -> bool {
    let dir = tempfile::tempdir().unwrap();
    let (key, data, sig) = (
        dir.path().join("key.pub"),
        dir.path().join("payload"),
        dir.path().join("sig"),
    );
    std::fs::write(&key, public_pem).unwrap();
    std::fs::write(&data, payload).unwrap();
    let raw = base64::engine::general_purpose::STANDARD
        .decode(sig_b64)
        .unwrap();
    std::fs::write(&sig, raw).unwrap();
    std::process::Command::new("openssl")
        .args(["dgst", "-sha256", "-verify"])
        .arg(&key)
        .arg("-signature")
        .arg(&sig)
        .arg(&data)
        .output()
        .expect("run openssl")
        .status
        .success()
}

/// The signature layers of `digest`'s `.sig` tag: `(payload, base64 signature)` each.
fn signatures(reg: &TestRegistry, repo: &str, digest: &str) -> Vec<(Vec<u8>, String)> {
    let Some(m) = manifest(reg, repo, &sig_tag(digest)) else {
        return Vec::new();
    };
    m["layers"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| {
            assert_eq!(l["mediaType"], SIMPLE_SIGNING, "{l}");
            let payload = get_bytes(reg, repo, "blobs", l["digest"].as_str().unwrap()).unwrap();
            let sig = l["annotations"][SIGNATURE_ANNOTATION].as_str().unwrap();
            (payload, sig.to_string())
        })
        .collect()
}

fn metadata(out: &Value, name: &str) -> Option<String> {
    out["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| f["name"] == name)
        .map(|f| f["value"].as_str().unwrap().to_string())
}

/// `check` of `tag` with `verify.keys`: the digests it answers (none when refused).
fn verified(reg: &TestRegistry, repo: &str, tag: &str, public_pem: &str) -> String {
    let source = reg.source(repo, json!({"tag": tag, "verify": {"keys": [public_pem]}}));
    let out = check(&json!({"source": source})).succeeds();
    let digests: Vec<&str> = out
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["digest"].as_str().unwrap())
        .collect();
    digests.join(" ")
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn a_push_signed_with_an_openssl_key_is_cosigns_payload_and_verifies() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1")]);
    let (key, public) = openssl_key(src.path(), "signer");
    let (_, stranger) = openssl_key(src.path(), "stranger");
    let req = json!({"source": reg.source("app", json!({})), "params": {
        "image": "image", "tags": ["1.0", "latest"],
        "sign": {"key": key, "annotations": {"git": "abc"}},
    }});
    let out = put(&req, src.path()).succeeds();
    assert_eq!(metadata(&out, "signed").as_deref(), Some(digest.as_str()));
    assert_eq!(metadata(&out, "signatures"), Some(sig_tag(&digest)));

    // cosign's simple-signing payload for the exact digest and the target repository.
    let sigs = signatures(&reg, "app", &digest);
    assert_eq!(sigs.len(), 1);
    let (payload, sig) = &sigs[0];
    let doc: Value = serde_json::from_slice(payload).unwrap();
    assert_eq!(
        doc,
        json!({"critical": {"identity": {"docker-reference": reg.repo("app")},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"},
            "optional": {"git": "abc"}})
    );
    // An independent verifier, and a key that did not sign.
    assert!(openssl_verifies(&public, payload, sig));
    assert!(!openssl_verifies(&stranger, payload, sig));

    // uptick's own gate: `check` and `in` with `verify` accept the pushed image.
    assert_eq!(verified(&reg, "app", "latest", &public), digest);
    let dest = tempfile::tempdir().unwrap();
    let source = reg.source("app", json!({"tag": "1.0", "verify": {"keys": [public]}}));
    get(
        &json!({"source": source, "version": {"tag": "1.0", "digest": digest}, "params": {"skip_download": true}}),
        dest.path(),
    )
    .succeeds();
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl, uptick_has_python3)),
    ignore = "needs docker-registry; openssl; python3 (apt-get install docker-registry openssl python3)"
)]
fn an_encrypted_cosign_key_signs_and_a_wrong_password_leaves_latest() {
    let reg = TestRegistry::start(Mode::Token);
    let src = tempfile::tempdir().unwrap();
    let (pkcs8, public) = openssl_key(src.path(), "signer");
    let encrypted = cosign::encrypted_key(&pkcs8, "s3cret-pw");
    assert!(encrypted.starts_with("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----"));
    let source = reg.source(
        "app",
        json!({"sign": {"key": encrypted, "password": "s3cret-pw"}}),
    );
    let old = layout::single(&src.path().join("old"), &[gz("v", "1")]);
    put(
        &json!({"source": source.clone(), "params": {"image": "old", "tags": ["1.0", "latest"]}}),
        src.path(),
    )
    .succeeds();
    let sigs = signatures(&reg, "app", &old);
    assert_eq!(sigs.len(), 1);
    assert!(openssl_verifies(&public, &sigs[0].0, &sigs[0].1));
    assert_eq!(verified(&reg, "app", "latest", &public), old);

    // `params.sign.password` overrides the source's: a wrong one fails before any write.
    layout::single(&src.path().join("new"), &[gz("v", "2")]);
    let before = reg.access_log().len();
    let line = put(
        &json!({"source": source, "params": {"image": "new", "tags": ["2.0", "latest"], "sign": {"password": "not-the-pw"}}}),
        src.path(),
    )
    .fails();
    assert!(line.contains("wrong password"), "{line}");
    assert!(
        !line.contains("not-the-pw") && !line.contains("s3cret-pw"),
        "{line}"
    );
    let log = reg.access_log();
    assert!(
        !log[before..]
            .iter()
            .any(|(m, _, _)| m != "GET" && m != "HEAD"),
        "{:?}",
        &log[before..]
    );
    assert_eq!(digest_of(&reg, "app", "latest"), Some(old));
    assert_eq!(digest_of(&reg, "app", "2.0"), None);
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn a_signature_that_cannot_be_stored_leaves_every_tag_where_it_was() {
    use crate::support::proxy::{self, Action};
    let reg = TestRegistry::start(Mode::Plain);
    let port = proxy::start(reg.port, |method, path, _| {
        if method == "PUT" && path.contains("/manifests/sha256-") && path.ends_with(".sig") {
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
    let (key, _) = openssl_key(src.path(), "signer");
    let old = layout::single(&src.path().join("old"), &[gz("v", "1")]);
    put(
        &json!({"source": source.clone(), "params": {"image": "old", "tags": ["1.0", "latest"]}}),
        src.path(),
    )
    .succeeds();
    let new = layout::single(&src.path().join("new"), &[gz("v", "2")]);
    let line = put(
        &json!({"source": source, "params": {"image": "new", "version": "2.1.0", "bump_aliases": true, "sign": {"key": key}}}),
        src.path(),
    )
    .fails();
    assert!(line.contains("500 UNKNOWN: disk full"), "{line}");
    assert_eq!(digest_of(&reg, "app", "latest"), Some(old));
    for tag in ["2.1.0", "2", "2.1"] {
        assert_eq!(digest_of(&reg, "app", tag), None, "{tag} was written");
    }
    assert!(signatures(&reg, "app", &new).is_empty());
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn recursive_signs_each_platform_and_merges_with_a_signature_already_there() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    let image = src.path().join("image");
    let index = layout::multi(&image, &[("amd64", gz("a", "1")), ("arm64", gz("b", "2"))]);
    let index_doc: Value = serde_json::from_slice(
        &std::fs::read(image.join("blobs/sha256").join(&index[7..])).unwrap(),
    )
    .unwrap();
    let children: Vec<String> = index_doc["manifests"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["digest"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(children.len(), 2);
    // Someone signed the index already (cosign's `.sig` tag, another key).
    let other = Key::ecdsa();
    let seeder = Seeder::new(&reg);
    cosign::sign(
        &seeder,
        "app",
        &index,
        &[(&other, cosign::payload(&reg.repo("app"), &index))],
    );
    let (key, public) = openssl_key(src.path(), "signer");
    let req = json!({"source": reg.source("app", json!({})), "params": {
        "image": "image", "tags": ["1.0"], "sign": {"key": key, "recursive": true},
    }});
    let out = put(&req, src.path()).succeeds();
    let expected: Vec<String> = std::iter::once(index.clone())
        .chain(children.iter().cloned())
        .collect();
    assert_eq!(metadata(&out, "signed"), Some(expected.join(" ")));

    // The signature already there is kept; ours is added.
    let sigs = signatures(&reg, "app", &index);
    assert_eq!(sigs.len(), 2);
    assert!(!openssl_verifies(&public, &sigs[0].0, &sigs[0].1));
    assert!(openssl_verifies(&public, &sigs[1].0, &sigs[1].1));
    assert_eq!(verified(&reg, "app", "1.0", &public), index);
    assert_eq!(verified(&reg, "app", "1.0", &other.public_pem()), index);
    for child in &children {
        let sigs = signatures(&reg, "app", child);
        assert_eq!(sigs.len(), 1, "{child}");
        let doc: Value = serde_json::from_slice(&sigs[0].0).unwrap();
        assert_eq!(
            doc["critical"]["image"]["docker-manifest-digest"],
            json!(child)
        );
        assert!(openssl_verifies(&public, &sigs[0].0, &sigs[0].1));
    }

    // The same push again: this key's signature of the same payload is not added twice.
    put(&req, src.path()).succeeds();
    assert_eq!(signatures(&reg, "app", &index).len(), 2);

    // Without `recursive`, the index only.
    let bare = tempfile::tempdir().unwrap();
    let other_index = layout::multi(
        &bare.path().join("image"),
        &[("amd64", gz("c", "3")), ("arm64", gz("d", "4"))],
    );
    let (key2, _) = openssl_key(src.path(), "second");
    let out = put(
        &json!({"source": reg.source("app", json!({})), "params": {"image": "image", "tags": ["2.0"], "sign": {"key": key2}}}),
        bare.path(),
    )
    .succeeds();
    assert_eq!(metadata(&out, "signed"), Some(other_index));
}

#[test]
#[cfg_attr(
    not(uptick_has_openssl),
    ignore = "needs openssl (apt-get install openssl)"
)]
fn a_promotion_is_signed_in_the_sig_tag_and_as_an_oci_referrer() {
    let fake = Oci11::start();
    let src = tempfile::tempdir().unwrap();
    let digest = layout::single(&src.path().join("image"), &[gz("a", "1")]);
    let source = json!({"repository": fake.repo("app")});
    put(
        &json!({"source": source.clone(), "params": {"image": "image", "tags": ["1.0"]}}),
        src.path(),
    )
    .succeeds();
    let (key, public) = openssl_key(src.path(), "signer");
    let out = put(
        &json!({"source": source.clone(), "params": {"promote": "1.0", "tags": ["stable"], "sign": {"key": key}}}),
        src.path(),
    )
    .succeeds();
    assert_eq!(metadata(&out, "signed").as_deref(), Some(digest.as_str()));

    // The `.sig` tag, as before.
    let tag = sig_tag(&digest);
    let sig = fake.manifest("app", &tag).expect("the .sig tag");
    assert_eq!(sig["layers"].as_array().unwrap().len(), 1);
    // The referrer, as cosign's OCI 1.1 mode writes it: the same layer, `config.mediaType` the
    // signature artifact type, `subject` the promoted digest.
    let listed = fake.referrers_of("app", &digest);
    assert_eq!(listed.len(), 1, "{listed:?}");
    assert_eq!(listed[0]["artifactType"], SIG_ARTIFACT);
    let referrer_digest = listed[0]["digest"].as_str().unwrap();
    assert_eq!(
        metadata(&out, "signatures"),
        Some(format!("{tag} {referrer_digest}"))
    );
    let referrer = fake.manifest("app", referrer_digest).unwrap();
    assert_eq!(referrer["config"]["mediaType"], SIG_ARTIFACT);
    assert_eq!(referrer["subject"]["digest"], json!(digest));
    assert_eq!(referrer["layers"], sig["layers"]);
    let layer = &referrer["layers"][0];
    let payload = cosign::payload(&fake.repo("app"), &digest);
    assert_eq!(
        layer["digest"],
        json!(crate::support::seed::sha256(&payload))
    );
    let sig_b64 = layer["annotations"][SIGNATURE_ANNOTATION].as_str().unwrap();
    assert!(openssl_verifies(&public, &payload, sig_b64));

    // uptick's gate accepts it.
    let verify =
        json!({"repository": fake.repo("app"), "tag": "stable", "verify": {"keys": [public]}});
    let out = check(&json!({"source": verify})).succeeds();
    assert_eq!(out[0]["digest"], json!(digest));
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn each_of_cosigns_schemes_signs_from_an_openssl_key() {
    let reg = TestRegistry::start(Mode::Plain);
    let src = tempfile::tempdir().unwrap();
    let dir = src.path();
    let schemes: [(&str, Vec<&str>); 3] = [
        // SEC1 `EC PRIVATE KEY`, as `openssl ecparam -genkey` writes it.
        (
            "ec-sec1",
            vec!["ecparam", "-genkey", "-name", "prime256v1", "-noout"],
        ),
        ("ed25519", vec!["genpkey", "-algorithm", "ED25519"]),
        (
            "rsa",
            vec![
                "genpkey",
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
            ],
        ),
    ];
    for (i, (name, args)) in schemes.iter().enumerate() {
        let path = dir.join(format!("{name}.pem"));
        let mut args = args.clone();
        args.extend(["-out", path.to_str().unwrap()]);
        cosign::openssl(&args);
        let key = std::fs::read_to_string(&path).unwrap();
        let public = String::from_utf8(cosign::openssl(&[
            "pkey",
            "-in",
            path.to_str().unwrap(),
            "-pubout",
        ]))
        .unwrap();
        let image = format!("image-{name}");
        let digest = layout::single(&dir.join(&image), &[gz("k", &i.to_string())]);
        put(
            &json!({"source": reg.source("app", json!({})), "params": {"image": image, "tags": [name], "sign": {"key": key}}}),
            dir,
        )
        .succeeds();
        assert_eq!(verified(&reg, "app", name, &public), digest, "{name}");
        let sigs = signatures(&reg, "app", &digest);
        assert_eq!(sigs.len(), 1, "{name}");
        if *name != "ed25519" {
            assert!(openssl_verifies(&public, &sigs[0].0, &sigs[0].1), "{name}");
        }
    }
}
