//! Signatures and referrers made as cosign and oras make them (cosign's `SIGNATURE_SPEC`, the
//! OCI 1.1 referrers tag schema), with keys generated per run; independent of uptick's code.

use super::seed::{sha256, Pushed, Seeder, OCI_INDEX, OCI_MANIFEST};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{self, EcdsaKeyPair, Ed25519KeyPair, KeyPair as _};
use serde_json::{json, Value};

pub const SIMPLE_SIGNING: &str = "application/vnd.dev.cosign.simplesigning.v1+json";
pub const SIGNATURE_ANNOTATION: &str = "dev.cosignproject.cosign/signature";

/// A signing key of one of cosign's schemes.
pub enum Key {
    Ecdsa(EcdsaKeyPair),
    Ed25519(Ed25519KeyPair),
    /// An RSA key made by `openssl` (ring cannot make RSA keys), in its PEM file; `pss`: sign
    /// with RSASSA-PSS (salt as long as the hash, as ring verifies it) instead of PKCS#1 v1.5
    /// (cosign's default for RSA keys).
    Rsa {
        dir: tempfile::TempDir,
        pss: bool,
    },
}

/// Runs `openssl` with `args`, returning stdout.
pub fn openssl(args: &[&str]) -> Vec<u8> {
    let out = std::process::Command::new("openssl")
        .args(args)
        .output()
        .expect("run openssl");
    assert!(
        out.status.success(),
        "openssl {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

impl Key {
    pub fn ecdsa() -> Key {
        let rng = SystemRandom::new();
        let alg = &signature::ECDSA_P256_SHA256_ASN1_SIGNING;
        let pkcs8 = EcdsaKeyPair::generate_pkcs8(alg, &rng).unwrap();
        Key::Ecdsa(EcdsaKeyPair::from_pkcs8(alg, pkcs8.as_ref(), &rng).unwrap())
    }

    pub fn ed25519() -> Key {
        let pkcs8 = Ed25519KeyPair::generate_pkcs8(&SystemRandom::new()).unwrap();
        Key::Ed25519(Ed25519KeyPair::from_pkcs8(pkcs8.as_ref()).unwrap())
    }

    pub fn rsa(pss: bool) -> Key {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("key.pem");
        openssl(&[
            "genpkey",
            "-algorithm",
            "RSA",
            "-pkeyopt",
            "rsa_keygen_bits:2048",
            "-out",
            path.to_str().unwrap(),
        ]);
        Key::Rsa { dir, pss }
    }

    /// The public key as `cosign.pub` holds it: PEM SubjectPublicKeyInfo.
    pub fn public_pem(&self) -> String {
        if let Key::Rsa { dir, .. } = self {
            let key = dir.path().join("key.pem");
            let pem = openssl(&["pkey", "-in", key.to_str().unwrap(), "-pubout"]);
            return String::from_utf8(pem).unwrap();
        }
        // DER prefixes of SubjectPublicKeyInfo for these fixed-size keys (RFC 5480, RFC 8410).
        let (prefix, key) = match self {
            Key::Ecdsa(k) => (
                "3059301306072a8648ce3d020106082a8648ce3d030107034200",
                k.public_key().as_ref(),
            ),
            Key::Ed25519(k) => ("302a300506032b6570032100", k.public_key().as_ref()),
            Key::Rsa { .. } => unreachable!(),
        };
        let mut der = hex::decode(prefix).unwrap();
        der.extend_from_slice(key);
        let b64 = STANDARD.encode(der);
        let lines: Vec<&str> = b64
            .as_bytes()
            .chunks(64)
            .map(|c| std::str::from_utf8(c).unwrap())
            .collect();
        format!(
            "-----BEGIN PUBLIC KEY-----\n{}\n-----END PUBLIC KEY-----\n",
            lines.join("\n")
        )
    }

    /// cosign's signature of `payload`: ECDSA over its SHA-256 (ASN.1), Ed25519 over it.
    pub fn sign(&self, payload: &[u8]) -> String {
        let sig = match self {
            Key::Ecdsa(k) => k
                .sign(&SystemRandom::new(), payload)
                .unwrap()
                .as_ref()
                .to_vec(),
            Key::Ed25519(k) => k.sign(payload).as_ref().to_vec(),
            Key::Rsa { dir, pss } => {
                let (key, data) = (dir.path().join("key.pem"), dir.path().join("payload"));
                std::fs::write(&data, payload).unwrap();
                let mut args = vec!["dgst", "-sha256", "-sign", key.to_str().unwrap()];
                if *pss {
                    args.extend([
                        "-sigopt",
                        "rsa_padding_mode:pss",
                        "-sigopt",
                        "rsa_pss_saltlen:digest",
                    ]);
                }
                args.push(data.to_str().unwrap());
                openssl(&args)
            }
        };
        STANDARD.encode(sig)
    }
}

/// A simple-signing payload as `cosign sign` writes it.
pub fn payload(reference: &str, digest: &str) -> Vec<u8> {
    serde_json::to_vec(&json!({
        "critical": {
            "identity": {"docker-reference": reference},
            "image": {"docker-manifest-digest": digest},
            "type": "cosign container image signature"
        },
        "optional": null
    }))
    .unwrap()
}

/// `sha256:<hex>` as cosign's tag for it, with `suffix` (`sig`, `att`, `sbom`).
pub fn tag_for(digest: &str, suffix: &str) -> String {
    format!("{}.{suffix}", digest.replacen(':', "-", 1))
}

/// An image manifest of `layers` (`(bytes, media type, annotations)`), its config as
/// go-containerregistry writes it for cosign; blobs pushed, the manifest returned.
pub fn artifact_manifest(
    seeder: &Seeder,
    repo: &str,
    layers: &[(Vec<u8>, &str, Value)],
    extra: Value,
) -> Vec<u8> {
    let mut descriptors = Vec::new();
    let mut diff_ids = Vec::new();
    for (bytes, media_type, annotations) in layers {
        let digest = seeder.push_blob(repo, bytes);
        let mut d = json!({"mediaType": media_type, "size": bytes.len(), "digest": digest});
        if annotations.is_object() {
            d["annotations"] = annotations.clone();
        }
        descriptors.push(d);
        diff_ids.push(digest);
    }
    let config = serde_json::to_vec(&json!({
        "architecture": "", "created": "0001-01-01T00:00:00Z", "os": "",
        "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
    }))
    .unwrap();
    let config_digest = seeder.push_blob(repo, &config);
    let mut m = json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "size": config.len(), "digest": config_digest},
        "layers": descriptors,
    });
    if let Value::Object(extra) = extra {
        for (k, v) in extra {
            m[k] = v;
        }
    }
    serde_json::to_vec(&m).unwrap()
}

/// Signs `digest` in `repo` with each of `signers` (`(key, payload)`): one `.sig` manifest, one
/// layer per signature, as `cosign sign --key` leaves it.
pub fn sign(seeder: &Seeder, repo: &str, digest: &str, signers: &[(&Key, Vec<u8>)]) -> Pushed {
    let layers: Vec<(Vec<u8>, &str, Value)> = signers
        .iter()
        .map(|(key, payload)| {
            (
                payload.clone(),
                SIMPLE_SIGNING,
                json!({SIGNATURE_ANNOTATION: key.sign(payload)}),
            )
        })
        .collect();
    let manifest = artifact_manifest(seeder, repo, &layers, json!({}));
    seeder.push_manifest(repo, &tag_for(digest, "sig"), OCI_MANIFEST, &manifest)
}

/// A cosign attachment (`att` or `sbom`) of one layer.
pub fn attach(
    seeder: &Seeder,
    repo: &str,
    digest: &str,
    suffix: &str,
    bytes: &[u8],
    media_type: &str,
) -> Pushed {
    let manifest = artifact_manifest(
        seeder,
        repo,
        &[(bytes.to_vec(), media_type, Value::Null)],
        json!({}),
    );
    seeder.push_manifest(repo, &tag_for(digest, suffix), OCI_MANIFEST, &manifest)
}

/// An OCI 1.1 artifact with `subject` (as `oras attach` pushes it), plus the referrers tag
/// schema's index (`sha256-<hex>`) listing `index_entries` and it.
pub fn referrer(
    seeder: &Seeder,
    repo: &str,
    subject: &Pushed,
    artifact_type: &str,
    bytes: &[u8],
) -> (Pushed, Vec<u8>) {
    let manifest = artifact_manifest(
        seeder,
        repo,
        &[(bytes.to_vec(), "application/octet-stream", Value::Null)],
        json!({
            "artifactType": artifact_type,
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject.digest, "size": subject.size},
            "annotations": {"org.opencontainers.image.created": "2026-01-01T00:00:00Z"},
        }),
    );
    let digest = sha256(&manifest);
    let pushed = seeder.push_manifest(repo, &digest, OCI_MANIFEST, &manifest);
    (pushed, manifest)
}

/// Writes the referrers tag schema's index for `subject` listing `entries` (`(pushed, artifactType)`).
pub fn referrers_tag(seeder: &Seeder, repo: &str, subject: &str, entries: &[(&Pushed, &str)]) {
    let manifests: Vec<Value> = entries
        .iter()
        .map(|(p, t)| json!({"mediaType": OCI_MANIFEST, "digest": p.digest, "size": p.size, "artifactType": t}))
        .collect();
    let index = serde_json::to_vec(
        &json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": manifests}),
    )
    .unwrap();
    seeder.push_manifest(repo, &subject.replacen(':', "-", 1), OCI_INDEX, &index);
}

/// `pkcs8_pem` (a `PRIVATE KEY`) encrypted with `password` as `cosign generate-key-pair` writes
/// it, by tests/support/cosign-encrypt-key.py: scrypt + XSalsa20-Poly1305 written apart from
/// uptick's, checked first against a key cosign itself encrypted.
pub fn encrypted_key(pkcs8_pem: &str, password: &str) -> String {
    use std::io::Write as _;
    let script = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/support/cosign-encrypt-key.py"
    );
    let mut child = std::process::Command::new("python3")
        .arg(script)
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("run python3");
    let input = json!({"pem": pkcs8_pem, "password": password}).to_string();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(input.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{script}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}
