//! Seeds test images straight into a registry over the distribution API (independent of uptick's code).

use super::registry::TestRegistry;
use serde_json::{json, Value};
use sha2::{Digest as _, Sha256};
use std::collections::BTreeMap;

pub const OCI_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
pub const OCI_INDEX: &str = "application/vnd.oci.image.index.v1+json";

pub fn sha256(bytes: &[u8]) -> String {
    format!("sha256:{}", hex::encode(Sha256::digest(bytes)))
}

/// What was pushed: the manifest digest and its bytes.
#[derive(Clone, Debug)]
pub struct Pushed {
    pub digest: String,
    pub size: usize,
}

pub struct Seeder<'a> {
    reg: &'a TestRegistry,
    agent: reqwest::blocking::Client,
}

impl<'a> Seeder<'a> {
    pub fn new(reg: &'a TestRegistry) -> Self {
        Seeder {
            reg,
            agent: reg.agent(),
        }
    }

    fn request(&self, method: &str, url: &str, repo: &str) -> reqwest::blocking::RequestBuilder {
        let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
        let mut r = self.agent.request(method, url);
        if let Some(a) = self.reg.admin_auth(repo) {
            r = r.header("Authorization", a);
        }
        r
    }

    pub fn push_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let digest = sha256(bytes);
        let base = self.reg.base_url();
        let resp = self
            .request("POST", &format!("{base}/v2/{repo}/blobs/uploads/"), repo)
            .send()
            .expect("start upload");
        assert_eq!(resp.status(), 202);
        let location = resp
            .headers()
            .get("Location")
            .and_then(|v| v.to_str().ok())
            .expect("location")
            .to_string();
        let mut url = url::Url::parse(&base)
            .expect("base")
            .join(&location)
            .expect("join");
        url.query_pairs_mut().append_pair("digest", &digest);
        let resp = self
            .request("PUT", url.as_str(), repo)
            .header("Content-Type", "application/octet-stream")
            .body(bytes.to_vec())
            .send()
            .expect("finish upload");
        assert_eq!(resp.status(), 201);
        digest
    }

    pub fn push_manifest(
        &self,
        repo: &str,
        reference: &str,
        media_type: &str,
        bytes: &[u8],
    ) -> Pushed {
        let base = self.reg.base_url();
        let resp = self
            .request(
                "PUT",
                &format!("{base}/v2/{repo}/manifests/{reference}"),
                repo,
            )
            .header("Content-Type", media_type)
            .body(bytes.to_vec())
            .send()
            .unwrap_or_else(|e| panic!("push manifest {repo}:{reference}: {e}"));
        assert_eq!(resp.status(), 201, "push manifest {repo}:{reference}");
        Pushed {
            digest: sha256(bytes),
            size: bytes.len(),
        }
    }

    /// A single-platform image whose layer and config depend on `seed`, with `labels`, under `tag`.
    pub fn image(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
    ) -> Pushed {
        self.image_for(repo, tag, seed, labels, annotations, "linux", "amd64", None)
    }

    /// Pushes the blobs of an image distinct by `seed`, created at `created`; returns the
    /// manifest bytes, not yet tagged.
    pub fn image_bytes(&self, repo: &str, seed: &str, created: &str) -> Vec<u8> {
        let layer = format!("layer for {seed}").into_bytes();
        let layer_digest = self.push_blob(repo, &layer);
        let config = json!({
            "architecture": "amd64", "os": "linux", "created": created,
            "config": {}, "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
        });
        let config = serde_json::to_vec(&config).expect("config");
        let config_digest = self.push_blob(repo, &config);
        serde_json::to_vec(&json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
        }))
        .expect("manifest")
    }

    /// An image of real layers (each `(bytes, media type)`) with `config` merged into its config;
    /// pushed under `tag` (a tag or, for index children, any reference).
    pub fn layered(
        &self,
        repo: &str,
        tag: &str,
        layers: &[(Vec<u8>, &str)],
        config: Value,
    ) -> Pushed {
        let mut descriptors = Vec::new();
        let mut diff_ids = Vec::new();
        for (bytes, media_type) in layers {
            let digest = self.push_blob(repo, bytes);
            descriptors
                .push(json!({"mediaType": media_type, "digest": digest, "size": bytes.len()}));
            diff_ids.push(digest);
        }
        let mut cfg = json!({
            "architecture": "amd64", "os": "linux", "created": "2026-01-01T00:00:00Z",
            "config": {}, "rootfs": {"type": "layers", "diff_ids": diff_ids},
        });
        if let Value::Object(extra) = config {
            for (k, v) in extra {
                cfg[k] = v;
            }
        }
        let cfg = serde_json::to_vec(&cfg).expect("config");
        let cfg_digest = self.push_blob(repo, &cfg);
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg_digest, "size": cfg.len()},
            "layers": descriptors,
        });
        let bytes = serde_json::to_vec(&manifest).expect("manifest");
        self.push_manifest(repo, tag, OCI_MANIFEST, &bytes)
    }

    /// An index over already pushed children `(platform json, pushed)` under `tag`.
    pub fn index(&self, repo: &str, tag: &str, children: &[(Value, &Pushed)]) -> Pushed {
        let entries: Vec<Value> = children
            .iter()
            .map(|(p, c)| json!({"mediaType": OCI_MANIFEST, "digest": c.digest, "size": c.size, "platform": p}))
            .collect();
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
        let bytes = serde_json::to_vec(&index).expect("index");
        self.push_manifest(repo, tag, OCI_INDEX, &bytes)
    }

    /// `count` distinct manifests sharing one config and layer (they differ by an annotation).
    pub fn series(&self, repo: &str, count: usize) -> Vec<Vec<u8>> {
        let base: Value =
            serde_json::from_slice(&self.image_bytes(repo, "series", "2026-01-01T00:00:00Z"))
                .expect("json");
        (0..count)
            .map(|i| {
                let mut m = base.clone();
                m["annotations"] = json!({"n": i.to_string()});
                serde_json::to_vec(&m).expect("manifest")
            })
            .collect()
    }

    /// Tags manifest `bytes` as `tag`.
    pub fn tag(&self, repo: &str, tag: &str, bytes: &[u8]) -> Pushed {
        self.push_manifest(repo, tag, OCI_MANIFEST, bytes)
    }

    /// The registry's own tag list, in its order.
    pub fn tag_list(&self, repo: &str) -> Vec<String> {
        let base = self.reg.base_url();
        let resp = self
            .request("GET", &format!("{base}/v2/{repo}/tags/list"), repo)
            .send()
            .expect("tags");
        let v: Value = serde_json::from_reader(resp).expect("json");
        v["tags"]
            .as_array()
            .expect("tags")
            .iter()
            .map(|t| t.as_str().expect("str").to_string())
            .collect()
    }

    #[allow(clippy::too_many_arguments)]
    pub fn image_for(
        &self,
        repo: &str,
        tag: &str,
        seed: &str,
        labels: &[(&str, &str)],
        annotations: &[(&str, &str)],
        os: &str,
        arch: &str,
        variant: Option<&str>,
    ) -> Pushed {
        let layer = format!("layer for {seed}").into_bytes();
        let layer_digest = self.push_blob(repo, &layer);
        let labels: BTreeMap<&str, &str> = labels.iter().copied().collect();
        let mut config = json!({
            "architecture": arch, "os": os,
            "config": {"Env": ["PATH=/usr/bin"], "Labels": labels},
            "rootfs": {"type": "layers", "diff_ids": [layer_digest]},
            "created": "2026-01-01T00:00:00Z",
        });
        if let Some(v) = variant {
            config["variant"] = json!(v);
        }
        let config = serde_json::to_vec(&config).expect("config");
        let config_digest = self.push_blob(repo, &config);
        let annotations: BTreeMap<&str, &str> = annotations.iter().copied().collect();
        let manifest = json!({
            "schemaVersion": 2, "mediaType": OCI_MANIFEST,
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config_digest, "size": config.len()},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer_digest, "size": layer.len()}],
            "annotations": annotations,
        });
        let bytes = serde_json::to_vec(&manifest).expect("manifest");
        self.push_manifest(repo, tag, OCI_MANIFEST, &bytes)
    }

    /// A multi-arch index over linux/amd64, linux/arm64 and linux/arm/v7 children, under `tag`.
    pub fn multi_arch(&self, repo: &str, tag: &str, seed: &str) -> (Pushed, Vec<(String, Pushed)>) {
        let mut children = Vec::new();
        let mut entries: Vec<Value> = Vec::new();
        for (arch, variant) in [("amd64", None), ("arm64", None), ("arm", Some("v7"))] {
            let label = format!("{arch}{}", variant.unwrap_or(""));
            let child_seed = format!("{seed}-{label}");
            let pushed = self.image_for(
                repo,
                &sha_tag(&child_seed),
                &child_seed,
                &[("arch", &label)],
                &[],
                "linux",
                arch,
                variant,
            );
            let mut platform = json!({"os": "linux", "architecture": arch});
            if let Some(v) = variant {
                platform["variant"] = json!(v);
            }
            entries.push(json!({"mediaType": OCI_MANIFEST, "digest": pushed.digest, "size": pushed.size, "platform": platform}));
            children.push((label, pushed));
        }
        let index = json!({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries});
        let bytes = serde_json::to_vec(&index).expect("index");
        (self.push_manifest(repo, tag, OCI_INDEX, &bytes), children)
    }
}

fn sha_tag(seed: &str) -> String {
    format!("child-{}", &sha256(seed.as_bytes())[7..19])
}
