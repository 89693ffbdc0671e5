//! A small in-memory registry with what the local `docker-registry` (distribution 2.8) lacks: the
//! OCI 1.1 referrers API (`GET /v2/<name>/referrers/<digest>`, `artifactType` filter,
//! `OCI-Filters-Applied`) and `OCI-Subject` answers to manifest PUTs that carry a `subject`.
//! Shapes as the distribution spec v1.1 gives them; no auth (anonymous, plain HTTP on loopback).

use super::http1::read_head;
use super::seed::sha256;
use serde_json::{json, Value};
use std::collections::HashMap;
use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::{Arc, Mutex};

#[derive(Default)]
struct State {
    /// (repo, reference) → (media type, bytes); a manifest is stored by its digest and tags.
    manifests: HashMap<(String, String), (String, Vec<u8>)>,
    blobs: HashMap<String, Vec<u8>>,
    /// (repo, subject digest) → descriptors of manifests whose `subject` is it.
    referrers: HashMap<(String, String), Vec<Value>>,
    uploads: usize,
    log: Vec<(String, String)>,
    /// Every referrers answer links to itself as the next page (a hostile loop).
    looping: bool,
    /// Referrers answers ignore `artifactType` (no `OCI-Filters-Applied`), as the spec allows.
    unfiltered: bool,
    /// Referrers requests answered with this status (a registry whose API is broken).
    referrers_status: Option<u16>,
}

/// The server; it stops with the test process.
pub struct Oci11 {
    pub port: u16,
    state: Arc<Mutex<State>>,
}

impl Oci11 {
    pub fn start() -> Oci11 {
        let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind");
        let port = listener.local_addr().expect("addr").port();
        let state: Arc<Mutex<State>> = Arc::default();
        let shared = state.clone();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                let Ok(stream) = stream else { continue };
                let _ = stream.set_nodelay(true);
                let state = shared.clone();
                std::thread::spawn(move || {
                    let mut writer = stream.try_clone().expect("clone");
                    let mut reader = BufReader::new(stream);
                    while let Ok(Some(head)) = read_head(&mut reader) {
                        let mut body = vec![0u8; head.length];
                        if reader.read_exact(&mut body).is_err() {
                            return;
                        }
                        let content_type = head.header("content-type").unwrap_or_default();
                        let (status, headers, reply) =
                            handle(&state, &head.method, &head.target, &content_type, body);
                        let mut text =
                            format!("HTTP/1.1 {status} X\r\nContent-Length: {}\r\n", reply.len());
                        for (k, v) in headers {
                            text.push_str(&format!("{k}: {v}\r\n"));
                        }
                        text.push_str("\r\n");
                        if writer.write_all(text.as_bytes()).is_err() {
                            return;
                        }
                        if head.method != "HEAD" && writer.write_all(&reply).is_err() {
                            return;
                        }
                    }
                });
            }
        });
        Oci11 { port, state }
    }

    pub fn repo(&self, name: &str) -> String {
        format!("127.0.0.1:{}/{name}", self.port)
    }

    /// The manifest stored under `reference`, as JSON.
    pub fn manifest(&self, repo: &str, reference: &str) -> Option<Value> {
        let s = self.state.lock().unwrap();
        let (_, bytes) = s
            .manifests
            .get(&(repo.to_string(), reference.to_string()))?;
        Some(serde_json::from_slice(bytes).unwrap())
    }

    /// Makes every referrers answer point at itself as its next page.
    pub fn loop_referrers(&self) {
        self.state.lock().unwrap().looping = true;
    }

    /// Makes referrers answers ignore the `artifactType` filter (and not say they applied it).
    pub fn ignore_referrers_filter(&self) {
        self.state.lock().unwrap().unfiltered = true;
    }

    /// Makes every referrers request answer `status` with a registry error body.
    pub fn fail_referrers(&self, status: u16) {
        self.state.lock().unwrap().referrers_status = Some(status);
    }

    /// Lists `descriptor` under `subject` in the referrers API, whatever the manifest it names
    /// says (a registry that indexes a stray entry).
    pub fn list_referrer(&self, repo: &str, subject: &str, descriptor: Value) {
        self.state
            .lock()
            .unwrap()
            .referrers
            .entry((repo.to_string(), subject.to_string()))
            .or_default()
            .push(descriptor);
    }

    /// The referrers the API lists under `subject`.
    pub fn referrers_of(&self, repo: &str, subject: &str) -> Vec<Value> {
        let s = self.state.lock().unwrap();
        s.referrers
            .get(&(repo.to_string(), subject.to_string()))
            .cloned()
            .unwrap_or_default()
    }

    /// Requests seen: (method, path and query).
    pub fn log(&self) -> Vec<(String, String)> {
        self.state.lock().unwrap().log.clone()
    }

    /// Stores a blob (seeding).
    pub fn put_blob(&self, repo: &str, bytes: &[u8]) -> String {
        let _ = repo;
        let digest = sha256(bytes);
        self.state
            .lock()
            .unwrap()
            .blobs
            .insert(digest.clone(), bytes.to_vec());
        digest
    }

    /// Stores a manifest under `reference` and its digest (seeding), indexing its `subject`.
    pub fn put_manifest(&self, repo: &str, reference: &str, media_type: &str, bytes: &[u8]) {
        store_manifest(
            &mut self.state.lock().unwrap(),
            repo,
            reference,
            media_type,
            bytes,
        );
    }
}

fn store_manifest(
    s: &mut State,
    repo: &str,
    reference: &str,
    media_type: &str,
    bytes: &[u8],
) -> Option<String> {
    let digest = sha256(bytes);
    for r in [reference, digest.as_str()] {
        s.manifests.insert(
            (repo.to_string(), r.to_string()),
            (media_type.to_string(), bytes.to_vec()),
        );
    }
    let doc: Value = serde_json::from_slice(bytes).ok()?;
    let subject = doc["subject"]["digest"].as_str()?.to_string();
    let artifact_type = doc["artifactType"]
        .as_str()
        .or(doc["config"]["mediaType"].as_str())
        .unwrap_or_default();
    let mut d = json!({"mediaType": media_type, "digest": digest, "size": bytes.len(), "artifactType": artifact_type});
    if doc["annotations"].is_object() {
        d["annotations"] = doc["annotations"].clone();
    }
    let list = s
        .referrers
        .entry((repo.to_string(), subject.clone()))
        .or_default();
    if !list.iter().any(|x| x["digest"] == d["digest"]) {
        list.push(d);
    }
    Some(subject)
}

type Answer = (u16, Vec<(String, String)>, Vec<u8>);

fn handle(
    state: &Mutex<State>,
    method: &str,
    target: &str,
    content_type: &str,
    body: Vec<u8>,
) -> Answer {
    let mut s = state.lock().unwrap();
    s.log.push((method.to_string(), target.to_string()));
    let (path, query) = target.split_once('?').unwrap_or((target, ""));
    let query: HashMap<String, String> = url::form_urlencoded::parse(query.as_bytes())
        .into_owned()
        .collect();
    let none = Vec::new();
    if path == "/v2/" {
        return (200, none, b"{}".to_vec());
    }
    if let Some(n) = path.strip_prefix("/upload/") {
        let _ = n;
        let digest = query.get("digest").cloned().unwrap_or_default();
        if method != "PUT" || sha256(&body) != digest {
            return (
                400,
                none,
                b"{\"errors\":[{\"code\":\"DIGEST_INVALID\"}]}".to_vec(),
            );
        }
        s.blobs.insert(digest, body);
        return (201, none, Vec::new());
    }
    let Some(rest) = path.strip_prefix("/v2/") else {
        return (404, none, Vec::new());
    };
    let split = |kind: &str| -> Option<(String, String)> {
        let i = rest.rfind(&format!("/{kind}/"))?;
        Some((
            rest[..i].to_string(),
            rest[i + kind.len() + 2..].to_string(),
        ))
    };
    if let Some(repo) = rest.strip_suffix("/tags/list") {
        let mut tags: Vec<String> = s
            .manifests
            .keys()
            .filter(|(r, t)| r == repo && !t.starts_with("sha256:"))
            .map(|(_, t)| t.clone())
            .collect();
        tags.sort();
        return (
            200,
            none,
            serde_json::to_vec(&json!({"name": repo, "tags": tags})).unwrap(),
        );
    }
    if let Some(repo) = rest.strip_suffix("/blobs/uploads/") {
        s.uploads += 1;
        let location = format!("/upload/{}", s.uploads);
        let _ = repo;
        return (202, vec![("Location".into(), location)], Vec::new());
    }
    if let Some((repo, subject)) = split("referrers") {
        if let Some(status) = s.referrers_status {
            return (
                status,
                none,
                b"{\"errors\":[{\"code\":\"UNKNOWN\",\"message\":\"referrers broke\"}]}".to_vec(),
            );
        }
        let mut list = s
            .referrers
            .get(&(repo, subject))
            .cloned()
            .unwrap_or_default();
        let mut headers = vec![(
            "Content-Type".to_string(),
            "application/vnd.oci.image.index.v1+json".to_string(),
        )];
        if let Some(t) = query.get("artifactType").filter(|_| !s.unfiltered) {
            list.retain(|d| d["artifactType"] == json!(t));
            headers.push(("OCI-Filters-Applied".into(), "artifactType".into()));
        }
        if s.looping {
            headers.push(("Link".into(), format!("<{target}>; rel=\"next\"")));
        }
        let index = json!({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json", "manifests": list});
        return (200, headers, serde_json::to_vec(&index).unwrap());
    }
    if let Some((repo, reference)) = split("manifests") {
        if method == "PUT" {
            let subject = store_manifest(&mut s, &repo, &reference, content_type, &body);
            let mut headers = vec![("Docker-Content-Digest".to_string(), sha256(&body))];
            if let Some(subject) = subject {
                headers.push(("OCI-Subject".into(), subject));
            }
            return (201, headers, Vec::new());
        }
        return match s.manifests.get(&(repo, reference)) {
            Some((media_type, bytes)) => (
                200,
                vec![
                    ("Content-Type".into(), media_type.clone()),
                    ("Docker-Content-Digest".into(), sha256(bytes)),
                ],
                bytes.clone(),
            ),
            None => (
                404,
                none,
                b"{\"errors\":[{\"code\":\"MANIFEST_UNKNOWN\"}]}".to_vec(),
            ),
        };
    }
    if let Some((_, digest)) = split("blobs") {
        return match s.blobs.get(&digest) {
            Some(bytes) => (200, none, bytes.clone()),
            None => (
                404,
                none,
                b"{\"errors\":[{\"code\":\"BLOB_UNKNOWN\"}]}".to_vec(),
            ),
        };
    }
    (404, none, Vec::new())
}
