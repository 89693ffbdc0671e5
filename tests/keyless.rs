//! `source.verify.identities` (cosign keyless signatures, offline): a private Fulcio (a root CA,
//! an intermediate, leaves with the Fulcio issuer extension, made by `openssl`) and a private
//! Rekor (an ECDSA P-256 key made by `openssl`; the SET signed here with ring over canonical JSON
//! written by hand) named by a `trusted_root.json`; signatures pushed to the real registry.

use crate::support::cosign::{self, openssl, Key};
use crate::support::oci11::Oci11;
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Pushed, Seeder, OCI_MANIFEST};
use crate::support::{check, get};
use base64::engine::general_purpose::STANDARD;
use base64::Engine as _;
use ring::rand::SystemRandom;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_ASN1_SIGNING};
use serde_json::{json, Value};
use std::path::PathBuf;

const ISSUER: &str = "https://issuer.example.com";
const EMAIL: &str = "dev@example.com";

/// A directory of keys and certificates made by openssl.
struct Pki {
    dir: tempfile::TempDir,
}

impl Pki {
    fn new() -> Pki {
        Pki {
            dir: tempfile::tempdir().unwrap(),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn p(&self, name: &str) -> String {
        self.path(name).to_str().unwrap().to_string()
    }

    /// An EC key `name.key` on `curve` (PKCS#8 PEM).
    fn key(&self, name: &str, curve: &str) {
        openssl(&[
            "genpkey",
            "-algorithm",
            "EC",
            "-pkeyopt",
            &format!("ec_paramgen_curve:{curve}"),
            "-out",
            &self.p(&format!("{name}.key")),
        ]);
    }

    /// A self-signed CA `name.pem`.
    fn root(&self, name: &str) {
        self.key(name, "P-384");
        openssl(&[
            "req",
            "-x509",
            "-new",
            "-key",
            &self.p(&format!("{name}.key")),
            "-subj",
            &format!("/O=test/CN={name}"),
            "-days",
            "3650",
            "-sha384",
            "-addext",
            "basicConstraints=critical,CA:TRUE",
            "-addext",
            "keyUsage=critical,keyCertSign,cRLSign",
            "-out",
            &self.p(&format!("{name}.pem")),
        ]);
    }

    /// `name.pem` issued by `issuer` with the extensions `ext` (an openssl extensions section).
    fn issue(&self, name: &str, curve: &str, issuer: &str, days: &str, ext: &str) {
        self.key(name, curve);
        let csr = self.p(&format!("{name}.csr"));
        let extfile = self.p(&format!("{name}.ext"));
        std::fs::write(&extfile, ext).unwrap();
        openssl(&[
            "req",
            "-new",
            "-key",
            &self.p(&format!("{name}.key")),
            "-subj",
            &format!("/O=test/CN={name}"),
            "-out",
            &csr,
        ]);
        openssl(&[
            "x509",
            "-req",
            "-in",
            &csr,
            "-CA",
            &self.p(&format!("{issuer}.pem")),
            "-CAkey",
            &self.p(&format!("{issuer}.key")),
            "-CAcreateserial",
            "-days",
            days,
            "-sha384",
            "-extfile",
            &extfile,
            "-out",
            &self.p(&format!("{name}.pem")),
        ]);
    }

    fn intermediate(&self, name: &str, root: &str) {
        self.issue(
            name,
            "P-384",
            root,
            "3650",
            "basicConstraints=critical,CA:TRUE,pathlen:0\nkeyUsage=critical,keyCertSign,cRLSign\n",
        );
    }

    /// A Fulcio-like leaf: valid one day from now, code-signing EKU (unless `eku` is false),
    /// `san`, the v2 issuer extension naming `issuer`.
    fn leaf(&self, name: &str, ca: &str, san: &str, issuer: &str, eku: bool) {
        let mut ext = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nsubjectAltName=critical,{san}\n1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:{issuer}\n"
        );
        if eku {
            ext.push_str("extendedKeyUsage=codeSigning\n");
        }
        self.issue(name, "P-256", ca, "1", &ext);
    }

    /// A leaf (as [`Pki::leaf`], valid ten minutes around now) issued by `openssl ca` twice
    /// with the same serial and dates: first without an SCT, whose TBS is the precertificate's;
    /// then with an embedded SCT over it, signed by `ct_key` under the log id of `ct_id`.
    fn leaf_with_sct(&self, name: &str, ca: &str, ct_key: &str, ct_id: &str) {
        self.key(name, "P-256");
        let csr = self.p(&format!("{name}.csr"));
        openssl(&[
            "req",
            "-new",
            "-key",
            &self.p(&format!("{name}.key")),
            "-subj",
            &format!("/O=test/CN={name}"),
            "-out",
            &csr,
        ]);
        let now = chrono::Utc::now();
        let start = (now - chrono::Duration::seconds(300))
            .format("%Y%m%d%H%M%SZ")
            .to_string();
        let end = (now + chrono::Duration::seconds(300))
            .format("%Y%m%d%H%M%SZ")
            .to_string();
        let dir = self.path(&format!("{name}-ca"));
        std::fs::create_dir_all(dir.join("new")).unwrap();
        let d = dir.to_str().unwrap();
        std::fs::write(
            dir.join("ca.cnf"),
            format!("[ca]\ndefault_ca = t\n[t]\ndatabase = {d}/index.txt\nnew_certs_dir = {d}/new\nserial = {d}/serial\ndefault_md = sha384\npolicy = p\nunique_subject = no\n[p]\ncommonName = supplied\norganizationName = optional\n"),
        )
        .unwrap();
        let base = format!(
            "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\nextendedKeyUsage=codeSigning\nsubjectAltName=critical,email:{EMAIL}\n1.3.6.1.4.1.57264.1.8=ASN1:UTF8String:{ISSUER}\n"
        );
        let issue = |ext: &str, out: &str| {
            std::fs::write(dir.join("index.txt"), "").unwrap();
            std::fs::write(dir.join("serial"), "1000\n").unwrap();
            std::fs::write(dir.join("ext"), ext).unwrap();
            openssl(&[
                "ca",
                "-batch",
                "-notext",
                "-preserveDN",
                "-config",
                &format!("{d}/ca.cnf"),
                "-cert",
                &self.p(&format!("{ca}.pem")),
                "-keyfile",
                &self.p(&format!("{ca}.key")),
                "-in",
                &csr,
                "-startdate",
                &start,
                "-enddate",
                &end,
                "-extfile",
                &format!("{d}/ext"),
                "-out",
                out,
            ]);
        };
        let pre = format!("{d}/pre.pem");
        issue(&base, &pre);
        let pre_der = openssl(&["x509", "-in", &pre, "-outform", "DER"]);
        let tbs = first_element(&pre_der);
        // RFC 6962 3.2: the digitally-signed struct of a precert entry.
        let timestamp = (now.timestamp_millis() as u64).to_be_bytes();
        let issuer_key_hash = ring::digest::digest(&ring::digest::SHA256, &self.spki_of_cert(ca));
        let mut signed = vec![0u8, 0];
        signed.extend_from_slice(&timestamp);
        signed.extend_from_slice(&[0, 1]);
        signed.extend_from_slice(issuer_key_hash.as_ref());
        signed.extend_from_slice(&(tbs.len() as u32).to_be_bytes()[1..]);
        signed.extend_from_slice(tbs);
        signed.extend_from_slice(&[0, 0]);
        let sig = sign(&self.signer(ct_key), &signed);
        let log_id = ring::digest::digest(&ring::digest::SHA256, &self.spki(ct_id));
        let mut sct = vec![0u8];
        sct.extend_from_slice(log_id.as_ref());
        sct.extend_from_slice(&timestamp);
        sct.extend_from_slice(&[0, 0, 4, 3]);
        sct.extend_from_slice(&(sig.len() as u16).to_be_bytes());
        sct.extend_from_slice(&sig);
        let mut list = ((sct.len() + 2) as u16).to_be_bytes().to_vec();
        list.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        list.extend_from_slice(&sct);
        let mut octets = vec![0x04, 0x81, list.len() as u8];
        assert!(list.len() < 256);
        octets.extend_from_slice(&list);
        let ext = format!(
            "{base}1.3.6.1.4.1.11129.2.4.2=DER:{}\n",
            hex::encode_upper(&octets)
        );
        issue(&ext, &self.p(&format!("{name}.pem")));
    }

    /// The DER SubjectPublicKeyInfo of certificate `name.pem`.
    fn spki_of_cert(&self, name: &str) -> Vec<u8> {
        let pem = openssl(&[
            "x509",
            "-in",
            &self.p(&format!("{name}.pem")),
            "-pubkey",
            "-noout",
        ]);
        let path = self.p(&format!("{name}.pub"));
        std::fs::write(&path, pem).unwrap();
        openssl(&["pkey", "-pubin", "-in", &path, "-outform", "DER"])
    }

    fn pem(&self, name: &str) -> String {
        std::fs::read_to_string(self.path(&format!("{name}.pem"))).unwrap()
    }

    fn der(&self, name: &str) -> Vec<u8> {
        openssl(&[
            "x509",
            "-in",
            &self.p(&format!("{name}.pem")),
            "-outform",
            "DER",
        ])
    }

    /// The key as ring signs with it (PKCS#8 DER converted by openssl).
    fn signer(&self, name: &str) -> EcdsaKeyPair {
        let der = openssl(&[
            "pkcs8",
            "-topk8",
            "-nocrypt",
            "-in",
            &self.p(&format!("{name}.key")),
            "-outform",
            "DER",
        ]);
        EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_ASN1_SIGNING, &der, &SystemRandom::new())
            .unwrap()
    }

    /// The public key as DER SubjectPublicKeyInfo.
    fn spki(&self, name: &str) -> Vec<u8> {
        openssl(&[
            "pkey",
            "-in",
            &self.p(&format!("{name}.key")),
            "-pubout",
            "-outform",
            "DER",
        ])
    }
}

/// The CA chain, a Rekor key (`rekor`) and the leaves of one test, and the trusted root naming
/// them.
struct Sigstore {
    pki: Pki,
}

fn sign(key: &EcdsaKeyPair, msg: &[u8]) -> Vec<u8> {
    key.sign(&SystemRandom::new(), msg)
        .unwrap()
        .as_ref()
        .to_vec()
}

/// The first element inside a DER SEQUENCE (a certificate's TBS), header included.
fn first_element(der: &[u8]) -> &[u8] {
    let header = |at: usize| -> (usize, usize) {
        let first = der[at + 1] as usize;
        if first < 0x80 {
            return (2, first);
        }
        let n = first & 0x7f;
        let len = der[at + 2..at + 2 + n]
            .iter()
            .fold(0, |a, b| a << 8 | *b as usize);
        (2 + n, len)
    };
    let (outer, _) = header(0);
    let (h, len) = header(outer);
    &der[outer..outer + h + len]
}

fn now() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs() as i64
}

/// One keyless signature layer, before it is pushed.
struct Layer {
    payload: Vec<u8>,
    annotations: Value,
}

impl Sigstore {
    fn new() -> Sigstore {
        let pki = Pki::new();
        pki.root("root");
        pki.intermediate("intermediate", "root");
        pki.key("rekor", "P-256");
        Sigstore { pki }
    }

    /// A `trusted_root.json` naming `ca` (its intermediate and root) and the Rekor key `rekor`.
    fn trusted_root(&self, chain: &[&str], rekor: &str) -> Value {
        let spki = self.pki.spki(rekor);
        json!({
            "mediaType": "application/vnd.dev.sigstore.trustedroot+json;version=0.1",
            "tlogs": [{
                "baseUrl": "https://rekor.invalid",
                "hashAlgorithm": "SHA2_256",
                "publicKey": {"rawBytes": STANDARD.encode(&spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256",
                              "validFor": {"start": "2020-01-01T00:00:00Z"}},
                "logId": {"keyId": STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &spki))},
            }],
            "certificateAuthorities": [{
                "subject": {"organization": "test", "commonName": "test"},
                "uri": "https://fulcio.invalid",
                "certChain": {"certificates": chain.iter().map(|c| json!({"rawBytes": STANDARD.encode(self.pki.der(c))})).collect::<Vec<_>>()},
                "validFor": {"start": "2020-01-01T00:00:00Z"},
            }],
            "ctlogs": [],
        })
    }

    /// A layer signed by `leaf` for `payload`, its bundle made by `rekor` at `time`; `bind`:
    /// the payload and signature the log entry names (`None`: these).
    fn layer(
        &self,
        leaf: &str,
        payload: &[u8],
        rekor: &str,
        time: i64,
        bind: Option<(&[u8], &[u8])>,
    ) -> Layer {
        let sig = sign(&self.pki.signer(leaf), payload);
        let cert = self.pki.pem(leaf);
        let (bound_payload, bound_sig) = bind.unwrap_or((payload, &sig));
        let body = json!({
            "apiVersion": "0.0.1", "kind": "hashedrekord",
            "spec": {
                "data": {"hash": {"algorithm": "sha256", "value": sha256(bound_payload).trim_start_matches("sha256:")}},
                "signature": {"content": STANDARD.encode(bound_sig), "publicKey": {"content": STANDARD.encode(&cert)}},
            },
        });
        let body = STANDARD.encode(serde_json::to_vec(&body).unwrap());
        let log_id = hex::encode(ring::digest::digest(
            &ring::digest::SHA256,
            &self.pki.spki("rekor"),
        ));
        // Canonical JSON (RFC 8785) of the entry's metadata, written out by hand: keys sorted,
        // no whitespace.
        let canonical = format!(
            r#"{{"body":"{body}","integratedTime":{time},"logID":"{log_id}","logIndex":42}}"#
        );
        let set = sign(&self.pki.signer(rekor), canonical.as_bytes());
        let bundle = json!({
            "SignedEntryTimestamp": STANDARD.encode(set),
            "Payload": {"body": body, "integratedTime": time, "logIndex": 42, "logID": log_id},
        });
        Layer {
            payload: payload.to_vec(),
            annotations: json!({
                cosign::SIGNATURE_ANNOTATION: STANDARD.encode(&sig),
                "dev.sigstore.cosign/certificate": cert,
                "dev.sigstore.cosign/chain": self.pki.pem("intermediate") + &self.pki.pem("root"),
                "dev.sigstore.cosign/bundle": bundle.to_string(),
            }),
        }
    }
}

/// Pushes `layers` as the `.sig` manifest of `digest`.
fn push_sig(seeder: &Seeder, repo: &str, digest: &str, layers: Vec<Layer>) -> Pushed {
    let layers: Vec<(Vec<u8>, &str, Value)> = layers
        .into_iter()
        .map(|l| (l.payload, cosign::SIMPLE_SIGNING, l.annotations))
        .collect();
    let manifest = cosign::artifact_manifest(seeder, repo, &layers, json!({}));
    seeder.push_manifest(
        repo,
        &cosign::tag_for(digest, "sig"),
        OCI_MANIFEST,
        &manifest,
    )
}

fn identity(issuer: &str, subject: &str) -> Value {
    json!({"issuer": issuer, "subject": subject})
}

/// `in` of `digest` with `verify`: its error (after checking nothing was written).
fn refused(reg: &TestRegistry, verify: &Value, digest: &str) -> String {
    let dest = tempfile::tempdir().unwrap();
    let source = reg.source("app", json!({ "verify": verify }));
    let err = get(
        &json!({"source": source, "version": {"digest": digest}, "params": {"skip_download": true}}),
        dest.path(),
    )
    .fails();
    assert!(err.contains(digest), "{err}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
    err
}

fn accepted(reg: &TestRegistry, verify: &Value, digest: &str) -> String {
    let dest = tempfile::tempdir().unwrap();
    let source = reg.source("app", json!({ "verify": verify }));
    let run = get(
        &json!({"source": source, "version": {"digest": digest}, "params": {"skip_download": true}}),
        dest.path(),
    );
    let out = run.succeeds();
    assert_eq!(out["version"]["digest"], json!(digest));
    run.stderr
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn a_keyless_signature_is_accepted_for_its_identity_and_refused_naming_the_failed_step() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo = reg.repo("app");
    let s = Sigstore::new();
    s.pki.leaf(
        "leaf",
        "intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        true,
    );
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let verify = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root.to_string()});
    let t = now();
    let img = |tag: &str| seeder.image("app", tag, tag, &[], &[]);

    // Accepted: the right identity, the trusted root as text or as an object, a regex.
    let good = img("good");
    let payload = cosign::payload(&repo, &good.digest);
    push_sig(
        &seeder,
        "app",
        &good.digest,
        vec![s.layer("leaf", &payload, "rekor", t, None)],
    );
    let stderr = accepted(&reg, &verify, &good.digest);
    assert!(
        stderr.contains(&format!("signed by identity {EMAIL} (issuer {ISSUER})")),
        "{stderr}"
    );
    let as_object = json!({"identities": [{"issuer": ISSUER, "subject_regex": ".*@example\\.com"}], "trusted_root": root});
    accepted(&reg, &as_object, &good.digest);
    let run = check(
        &json!({"source": reg.source("app", json!({"tag": "good", "verify": verify})), "version": {"tag": "good", "digest": good.digest}}),
    );
    let tags: Vec<Value> = run
        .succeeds()
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["tag"].clone())
        .collect();
    assert_eq!(tags, [json!("good")], "{}", run.stderr);

    // Refused: another subject, another issuer, a regex matching only part of the subject.
    for (who, expected) in [
        (identity(ISSUER, "other@example.com"), "keyless identity: the certificate names dev@example.com issued by https://issuer.example.com, not one of"),
        (identity("https://other.example.com", EMAIL), "keyless identity"),
        (json!({"issuer": ISSUER, "subject_regex": "dev"}), "keyless identity"),
    ] {
        let v = json!({"identities": [who], "trusted_root": root});
        let err = refused(&reg, &v, &good.digest);
        assert!(err.contains("not signed by a key of source.verify"), "{err}");
        assert!(err.contains(expected), "{expected}: {err}");
    }

    // Integrated after the leaf expired (it is valid for one day).
    let late = img("late");
    let payload = cosign::payload(&repo, &late.digest);
    push_sig(
        &seeder,
        "app",
        &late.digest,
        vec![s.layer("leaf", &payload, "rekor", t + 3 * 86400, None)],
    );
    let err = refused(&reg, &verify, &late.digest);
    assert!(
        err.contains("keyless certificate chain (at integrated time"),
        "{err}"
    );
    assert!(err.contains("CN=leaf was not valid at"), "{err}");

    // A bundle for another payload, and one for another signature over this payload.
    let other = img("other");
    let payload = cosign::payload(&repo, &other.digest);
    let elsewhere = cosign::payload(&repo, &good.digest);
    push_sig(
        &seeder,
        "app",
        &other.digest,
        vec![s.layer("leaf", &payload, "rekor", t, Some((&elsewhere, b"sig")))],
    );
    let err = refused(&reg, &verify, &other.digest);
    assert!(
        err.contains("keyless Rekor entry: it is for another payload"),
        "{err}"
    );
    let resigned = img("resigned");
    let payload = cosign::payload(&repo, &resigned.digest);
    let another_sig = sign(&s.pki.signer("leaf"), &payload);
    push_sig(
        &seeder,
        "app",
        &resigned.digest,
        vec![s.layer("leaf", &payload, "rekor", t, Some((&payload, &another_sig)))],
    );
    let err = refused(&reg, &verify, &resigned.digest);
    assert!(
        err.contains("keyless Rekor entry: it is for another signature"),
        "{err}"
    );

    // A SET signed by a key the trusted root does not list (under the listed log's id).
    s.pki.key("forger", "P-256");
    let forged = img("forged");
    let payload = cosign::payload(&repo, &forged.digest);
    push_sig(
        &seeder,
        "app",
        &forged.digest,
        vec![s.layer("leaf", &payload, "forger", t, None)],
    );
    let err = refused(&reg, &verify, &forged.digest);
    assert!(
        err.contains(
            "keyless Rekor SET: the SignedEntryTimestamp does not verify with the key of tlogs[0]"
        ),
        "{err}"
    );

    // A valid keyless signature of another digest copied here.
    let copied = img("copied");
    push_sig(
        &seeder,
        "app",
        &copied.digest,
        vec![s.layer(
            "leaf",
            &cosign::payload(&repo, &good.digest),
            "rekor",
            t,
            None,
        )],
    );
    let err = refused(&reg, &verify, &copied.digest);
    assert!(
        err.contains(&format!("for another digest ({})", good.digest)),
        "{err}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn a_chain_to_an_unknown_root_a_leaf_without_code_signing_and_require_sct_are_refused() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo = reg.repo("app");
    let s = Sigstore::new();
    // Another CA, not in the trusted root, issues a leaf with the right identity.
    s.pki.root("stranger");
    s.pki.intermediate("stranger-intermediate", "stranger");
    s.pki.leaf(
        "rogue",
        "stranger-intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        true,
    );
    s.pki.leaf(
        "noeku",
        "intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        false,
    );
    s.pki.leaf(
        "uri",
        "intermediate",
        "URI:https://github.com/o/r/.github/workflows/w.yml@refs/heads/main",
        ISSUER,
        true,
    );
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let verify = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root});
    let img = |tag: &str| seeder.image("app", tag, tag, &[], &[]);
    let t = now();

    let rogue = img("rogue");
    let payload = cosign::payload(&repo, &rogue.digest);
    push_sig(
        &seeder,
        "app",
        &rogue.digest,
        vec![s.layer("rogue", &payload, "rekor", t, None)],
    );
    let err = refused(&reg, &verify, &rogue.digest);
    assert!(
        err.contains("keyless certificate chain (at integrated time"),
        "{err}"
    );
    assert!(
        err.contains("issued by O=test, CN=stranger-intermediate"),
        "{err}"
    );

    let noeku = img("noeku");
    let payload = cosign::payload(&repo, &noeku.digest);
    push_sig(
        &seeder,
        "app",
        &noeku.digest,
        vec![s.layer("noeku", &payload, "rekor", t, None)],
    );
    let err = refused(&reg, &verify, &noeku.digest);
    assert!(
        err.contains("keyless certificate: the certificate has no code-signing extended key usage"),
        "{err}"
    );

    // A workflow identity (SAN URI) matched by a regex.
    let uri = img("uri");
    let payload = cosign::payload(&repo, &uri.digest);
    push_sig(
        &seeder,
        "app",
        &uri.digest,
        vec![s.layer("uri", &payload, "rekor", t, None)],
    );
    let by_regex = json!({"identities": [{"issuer": ISSUER, "subject_regex": "https://github\\.com/o/r/.*"}], "trusted_root": root});
    accepted(&reg, &by_regex, &uri.digest);

    // require_sct: the leaf embeds none.
    let mut with_ct = root.clone();
    with_ct["ctlogs"] = root["tlogs"].clone();
    let strict = json!({"identities": [{"issuer": ISSUER, "subject_regex": "https://github\\.com/o/r/.*"}], "trusted_root": with_ct, "require_sct": true});
    let err = refused(&reg, &strict, &uri.digest);
    assert!(
        err.contains("keyless SCT: the certificate embeds none"),
        "{err}"
    );
    let mut lax = strict.clone();
    lax["require_sct"] = json!(false);
    accepted(&reg, &lax, &uri.digest);
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn keys_and_identities_combine_either_suffices_and_all_requires_both() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo = reg.repo("app");
    let s = Sigstore::new();
    s.pki.leaf(
        "leaf",
        "intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        true,
    );
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let key = Key::ecdsa();
    let t = now();
    let img = |tag: &str| seeder.image("app", tag, tag, &[], &[]);
    let (keyless_only, both) = (img("keyless"), img("both"));
    let payload = cosign::payload(&repo, &keyless_only.digest);
    push_sig(
        &seeder,
        "app",
        &keyless_only.digest,
        vec![s.layer("leaf", &payload, "rekor", t, None)],
    );
    // Two layers on one `.sig`: a key-based signature and a keyless one (cosign appends).
    let payload = cosign::payload(&repo, &both.digest);
    let keyed = Layer {
        payload: payload.clone(),
        annotations: json!({cosign::SIGNATURE_ANNOTATION: key.sign(&payload)}),
    };
    push_sig(
        &seeder,
        "app",
        &both.digest,
        vec![keyed, s.layer("leaf", &payload, "rekor", t, None)],
    );

    let either = json!({"keys": [key.public_pem()], "identities": [identity(ISSUER, EMAIL)], "trusted_root": root});
    accepted(&reg, &either, &keyless_only.digest);
    let stderr = accepted(&reg, &either, &both.digest);
    assert!(
        stderr.contains("signed by source.verify.keys[0]"),
        "{stderr}"
    );
    let mut all = either.clone();
    all["all"] = json!(true);
    let stderr = accepted(&reg, &all, &both.digest);
    assert!(
        stderr.contains(&format!(
            "signed by source.verify.keys[0] and identity {EMAIL}"
        )),
        "{stderr}"
    );
    let err = refused(&reg, &all, &keyless_only.digest);
    assert!(err.contains("source.verify.all: signed by identity dev@example.com (issuer https://issuer.example.com) only"), "{err}");
    assert!(
        err.contains("does not verify with any key of source.verify.keys"),
        "{err}"
    );

    // Configuration errors are said before any request.
    for (v, expected) in [
        (
            json!({"identities": [identity(ISSUER, EMAIL)]}),
            "source.verify.trusted_root: is needed with identities",
        ),
        (
            json!({"keys": [key.public_pem()], "all": true}),
            "source.verify.all: needs both keys and identities",
        ),
        (
            json!({"identities": [{"issuer": ISSUER}], "trusted_root": root}),
            "source.verify.identities: [0]: one of subject and subject_regex is needed",
        ),
        (
            json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": "{}"}),
            "source.verify.trusted_root: no certificateAuthorities",
        ),
        (
            json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root, "require_sct": true}),
            "source.verify.require_sct: the trusted root lists no ctlogs",
        ),
    ] {
        let err = check(&json!({"source": {"repository": "127.0.0.1:1/app", "verify": v}})).fails();
        assert!(err.contains(expected), "{expected}: {err}");
    }
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn an_embedded_sct_is_checked_against_ctlogs_and_require_sct_accepts_a_valid_one() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let repo = reg.repo("app");
    let s = Sigstore::new();
    s.pki.key("ctlog", "P-256");
    s.pki.key("forger", "P-256");
    s.pki.leaf_with_sct("sct", "intermediate", "ctlog", "ctlog");
    s.pki
        .leaf_with_sct("badsct", "intermediate", "forger", "ctlog");
    let t = now();
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let mut with_ct = root.clone();
    let ct_spki = s.pki.spki("ctlog");
    with_ct["ctlogs"] = json!([{
        "baseUrl": "https://ct.invalid", "hashAlgorithm": "SHA2_256",
        "publicKey": {"rawBytes": STANDARD.encode(&ct_spki), "keyDetails": "PKIX_ECDSA_P256_SHA_256", "validFor": {"start": "2020-01-01T00:00:00Z"}},
        "logId": {"keyId": STANDARD.encode(ring::digest::digest(&ring::digest::SHA256, &ct_spki))},
    }]);
    let img = |tag: &str| seeder.image("app", tag, tag, &[], &[]);
    let (good, bad) = (img("good"), img("bad"));
    let payload = cosign::payload(&repo, &good.digest);
    push_sig(
        &seeder,
        "app",
        &good.digest,
        vec![s.layer("sct", &payload, "rekor", t, None)],
    );
    let payload = cosign::payload(&repo, &bad.digest);
    push_sig(
        &seeder,
        "app",
        &bad.digest,
        vec![s.layer("badsct", &payload, "rekor", t, None)],
    );

    let strict = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": with_ct, "require_sct": true});
    accepted(&reg, &strict, &good.digest);
    let err = refused(&reg, &strict, &bad.digest);
    assert!(
        err.contains("keyless SCT: the SCT does not verify with the key of ctlogs[0]"),
        "{err}"
    );
    // Present, the SCT is checked even when not required: here no ctlog of the root is its log.
    let lax = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root});
    let err = refused(&reg, &lax, &good.digest);
    assert!(err.contains("keyless SCT: an SCT of log"), "{err}");
    assert!(err.contains("not in ctlogs"), "{err}");
}

/// The media type (and referrer `artifactType`) of cosign 3's Sigstore bundle.
const SIGSTORE_BUNDLE: &str = "application/vnd.dev.sigstore.bundle.v0.3+json";

impl Sigstore {
    /// A Sigstore bundle as cosign 3 signs an image: a DSSE envelope over an in-toto statement
    /// naming `subject` (a digest; in `repo` when given, cosign 3 names none and no predicate),
    /// signed by `leaf`, its `dsse` entry's SET made by `rekor` at `time`.
    fn sigstore_bundle(
        &self,
        leaf: &str,
        repo: Option<&str>,
        subject: &str,
        rekor: &str,
        time: i64,
    ) -> Vec<u8> {
        let mut named = json!({"digest": {"sha256": subject.trim_start_matches("sha256:")}});
        if let Some(repo) = repo {
            named["name"] = json!(repo);
        }
        let statement = json!({
            "_type": "https://in-toto.io/Statement/v1",
            "subject": [named],
            "predicateType": "https://sigstore.dev/cosign/sign/v1",
        });
        let payload = serde_json::to_vec(&statement).unwrap();
        let payload_type = "application/vnd.in-toto+json";
        // DSSE v1's pre-authentication encoding.
        let mut pae = format!(
            "DSSEv1 {} {payload_type} {} ",
            payload_type.len(),
            payload.len()
        )
        .into_bytes();
        pae.extend_from_slice(&payload);
        let sig = sign(&self.pki.signer(leaf), &pae);
        let envelope = json!({"payload": STANDARD.encode(&payload), "payloadType": payload_type,
            "signatures": [{"sig": STANDARD.encode(&sig), "keyid": ""}]});
        let body = json!({
            "apiVersion": "0.0.1", "kind": "dsse",
            "spec": {
                "envelopeHash": {"algorithm": "sha256", "value": sha256(envelope.to_string().as_bytes()).trim_start_matches("sha256:")},
                "payloadHash": {"algorithm": "sha256", "value": sha256(&payload).trim_start_matches("sha256:")},
                "signatures": [{"signature": STANDARD.encode(&sig), "verifier": STANDARD.encode(self.pki.pem(leaf))}],
            },
        });
        let body = STANDARD.encode(serde_json::to_vec(&body).unwrap());
        let log_key = ring::digest::digest(&ring::digest::SHA256, &self.pki.spki("rekor"));
        let canonical = format!(
            r#"{{"body":"{body}","integratedTime":{time},"logID":"{}","logIndex":42}}"#,
            hex::encode(log_key)
        );
        let set = sign(&self.pki.signer(rekor), canonical.as_bytes());
        serde_json::to_vec(&json!({
            "mediaType": SIGSTORE_BUNDLE,
            "verificationMaterial": {
                "certificate": {"rawBytes": STANDARD.encode(self.pki.der(leaf))},
                "tlogEntries": [{
                    "logIndex": "42", "logId": {"keyId": STANDARD.encode(log_key)},
                    "kindVersion": {"kind": "dsse", "version": "0.0.1"},
                    "integratedTime": time.to_string(),
                    "inclusionPromise": {"signedEntryTimestamp": STANDARD.encode(set)},
                    "canonicalizedBody": body,
                }],
            },
            "dsseEnvelope": envelope,
        }))
        .unwrap()
    }
}

/// An image pushed into the in-memory OCI 1.1 registry, tagged `tag`.
fn oci11_image(fake: &Oci11, tag: &str) -> Pushed {
    let config = format!(
        r#"{{"architecture":"amd64","os":"linux","rootfs":{{"type":"layers","diff_ids":[]}},"tag":"{tag}"}}"#
    );
    let config_digest = fake.put_blob("app", config.as_bytes());
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST,
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [],
    }))
    .unwrap();
    fake.put_manifest("app", tag, OCI_MANIFEST, &m);
    Pushed {
        digest: sha256(&m),
        size: m.len(),
    }
}

/// `bundle` stored as cosign 3 stores it: a referrer manifest of `subject` with one layer.
fn push_bundle_referrer(fake: &Oci11, subject: &Pushed, bundle: &[u8]) {
    let layer = fake.put_blob("app", bundle);
    let empty = fake.put_blob("app", b"{}");
    let m = serde_json::to_vec(&json!({
        "schemaVersion": 2, "mediaType": OCI_MANIFEST, "artifactType": SIGSTORE_BUNDLE,
        "config": {"mediaType": "application/vnd.oci.empty.v1+json", "digest": empty, "size": 2},
        "layers": [{"mediaType": SIGSTORE_BUNDLE, "digest": layer, "size": bundle.len()}],
        "annotations": {"dev.sigstore.bundle.content": "dsse-envelope",
            "dev.sigstore.bundle.predicateType": "https://sigstore.dev/cosign/sign/v1"},
        "subject": {"mediaType": OCI_MANIFEST, "digest": subject.digest, "size": subject.size},
    }))
    .unwrap();
    fake.put_manifest("app", &sha256(&m), OCI_MANIFEST, &m);
}

#[test]
#[cfg_attr(
    not(uptick_has_openssl),
    ignore = "needs openssl (apt-get install openssl)"
)]
fn a_sigstore_bundle_referrer_is_judged_by_the_same_keyless_steps() {
    let fake = Oci11::start();
    let repo = fake.repo("app");
    let s = Sigstore::new();
    s.pki.leaf(
        "leaf",
        "intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        true,
    );
    s.pki.key("forger", "P-256");
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let verify = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root});
    let t = now();
    let run = |verify: &Value, img: &Pushed| {
        let dest = tempfile::tempdir().unwrap();
        let source = json!({"repository": repo, "verify": verify});
        get(
            &json!({"source": source, "version": {"digest": img.digest}, "params": {"skip_download": true}}),
            dest.path(),
        )
    };

    let good = oci11_image(&fake, "good");
    push_bundle_referrer(
        &fake,
        &good,
        &s.sigstore_bundle("leaf", None, &good.digest, "rekor", t),
    );
    let ok = run(&verify, &good);
    ok.succeeds();
    let stderr = ok.stderr;
    assert!(
        stderr.contains(&format!("signed by identity {EMAIL} (issuer {ISSUER})")),
        "{stderr}"
    );
    // `repositories`: cosign 3's statement names no repository, so it cannot be checked; a
    // statement naming this one passes, another is refused.
    let with_repo = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root, "repositories": [repo]});
    let err = run(&with_repo, &good).fails();
    assert!(
        err.contains("the signed statement names no repository (cosign 3 signs the digest alone)"),
        "{err}"
    );
    let named = oci11_image(&fake, "named");
    push_bundle_referrer(
        &fake,
        &named,
        &s.sigstore_bundle("leaf", Some(&repo), &named.digest, "rekor", t),
    );
    run(&with_repo, &named).succeeds();

    // Another identity; another repository.
    let other_id =
        json!({"identities": [identity(ISSUER, "other@example.com")], "trusted_root": root});
    let err = run(&other_id, &good).fails();
    assert!(
        err.contains("keyless identity: the certificate names dev@example.com"),
        "{err}"
    );
    let other_repo = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root, "repositories": ["example.com/else"]});
    let err = run(&other_repo, &named).fails();
    assert!(
        err.contains("subject names no repository of source.verify.repositories"),
        "{err}"
    );

    // A valid bundle of another digest, attached here.
    let copied = oci11_image(&fake, "copied");
    push_bundle_referrer(
        &fake,
        &copied,
        &s.sigstore_bundle("leaf", None, &good.digest, "rekor", t),
    );
    let err = run(&verify, &copied).fails();
    assert!(
        err.contains(&format!(
            "the signed statement is for another digest ({})",
            good.digest
        )),
        "{err}"
    );

    // The envelope's statement swapped for one naming this digest: the log entry binds another.
    let swapped = oci11_image(&fake, "swapped");
    let mut b: Value =
        serde_json::from_slice(&s.sigstore_bundle("leaf", None, &good.digest, "rekor", t)).unwrap();
    let statement = json!({"_type": "https://in-toto.io/Statement/v1",
        "subject": [{"digest": {"sha256": swapped.digest.trim_start_matches("sha256:")}}],
        "predicateType": "https://sigstore.dev/cosign/sign/v1"});
    b["dsseEnvelope"]["payload"] = json!(STANDARD.encode(statement.to_string()));
    push_bundle_referrer(&fake, &swapped, &serde_json::to_vec(&b).unwrap());
    let err = run(&verify, &swapped).fails();
    assert!(
        err.contains("keyless Rekor entry: it is for another payload"),
        "{err}"
    );

    // A SET by a key the trusted root does not list.
    let forged = oci11_image(&fake, "forged");
    push_bundle_referrer(
        &fake,
        &forged,
        &s.sigstore_bundle("leaf", None, &forged.digest, "forger", t),
    );
    let err = run(&verify, &forged).fails();
    assert!(
        err.contains(
            "keyless Rekor SET: the SignedEntryTimestamp does not verify with the key of tlogs[0]"
        ),
        "{err}"
    );

    // Integrated after the leaf expired.
    let late = oci11_image(&fake, "late");
    push_bundle_referrer(
        &fake,
        &late,
        &s.sigstore_bundle("leaf", None, &late.digest, "rekor", t + 3 * 86400),
    );
    let err = run(&verify, &late).fails();
    assert!(err.contains("CN=leaf was not valid at"), "{err}");

    // Found by the artifactType filter.
    let log = fake.log();
    let filtered = format!(
        "/v2/app/referrers/{}?artifactType=application%2Fvnd.dev.sigstore.bundle.v0.3%2Bjson",
        good.digest
    );
    assert!(
        log.iter().any(|(m, p)| m == "GET" && *p == filtered),
        "{log:?}"
    );
}

/// `bundle` as cosign 3 stores it on a registry without the referrers API: the referrer
/// manifest, and the tag schema's index (`sha256-<hex>`) listing it.
fn push_bundle_by_tag_schema(seeder: &Seeder, subject: &Pushed, bundle: &[u8]) {
    let manifest = cosign::artifact_manifest(
        seeder,
        "app",
        &[(bundle.to_vec(), SIGSTORE_BUNDLE, Value::Null)],
        json!({"artifactType": SIGSTORE_BUNDLE,
            "subject": {"mediaType": OCI_MANIFEST, "digest": subject.digest, "size": subject.size}}),
    );
    let pushed = seeder.push_manifest("app", &sha256(&manifest), OCI_MANIFEST, &manifest);
    cosign::referrers_tag(
        seeder,
        "app",
        &subject.digest,
        &[(&pushed, SIGSTORE_BUNDLE)],
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_openssl)),
    ignore = "needs docker-registry; openssl (apt-get install docker-registry openssl)"
)]
fn a_sigstore_bundle_listed_by_the_referrers_tag_schema_is_found_without_the_api() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let s = Sigstore::new();
    s.pki.leaf(
        "leaf",
        "intermediate",
        &format!("email:{EMAIL}"),
        ISSUER,
        true,
    );
    let root = s.trusted_root(&["intermediate", "root"], "rekor");
    let verify = json!({"identities": [identity(ISSUER, EMAIL)], "trusted_root": root});
    let t = now();
    let good = seeder.image("app", "good", "good", &[], &[]);
    push_bundle_by_tag_schema(
        &seeder,
        &good,
        &s.sigstore_bundle("leaf", None, &good.digest, "rekor", t),
    );
    let stderr = accepted(&reg, &verify, &good.digest);
    assert!(
        stderr.contains(&format!("signed by identity {EMAIL}")),
        "{stderr}"
    );

    let copied = seeder.image("app", "copied", "copied", &[], &[]);
    push_bundle_by_tag_schema(
        &seeder,
        &copied,
        &s.sigstore_bundle("leaf", None, &good.digest, "rekor", t),
    );
    let err = refused(&reg, &verify, &copied.digest);
    assert!(
        err.contains("the signed statement is for another digest"),
        "{err}"
    );
}
