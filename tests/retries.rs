//! The retry policy, through a fault-injecting proxy in front of the real registry.

use crate::support::check;
use crate::support::fake::Reply;
use crate::support::proxy::{self, Action};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::Seeder;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn transient_failures_are_retried_and_permanent_ones_are_not() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let heads = Arc::new(AtomicUsize::new(0));
    let seen = heads.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "HEAD" && path.ends_with("/manifests/latest") {
            match seen.fetch_add(1, Ordering::SeqCst) {
                0 => return Action::Reply(Reply::new(503, "")),
                1 => return Action::Reply(Reply::new(429, "").header("Retry-After", "1")),
                _ => {}
            }
        }
        if path.ends_with("/manifests/gone") {
            return Action::Reply(Reply::new(
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}"#,
            ));
        }
        if path.ends_with("/manifests/broken") {
            return Action::Reply(Reply::new(502, "bad gateway"));
        }
        Action::Forward(path.to_string())
    });
    let src = |tag: &str| json!({"source": {"repository": format!("127.0.0.1:{port}/app"), "tag": tag, "debug": true}});
    let run = check(&src("latest"));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    assert!(
        run.stderr.contains("(503 Service Unavailable); retry 1/4"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("(429 Too Many Requests); retry 2/4 in 1.0 s"),
        "{}",
        run.stderr
    );
    assert_eq!(heads.load(Ordering::SeqCst), 3);

    // 404 is an answer, not a fault: no retry, the tag is simply not there.
    let run = check(&src("gone"));
    assert_eq!(run.succeeds(), json!([]));
    assert!(!run.stderr.contains("retry"), "{}", run.stderr);

    // A fault that persists: four retries, then the registry's own answer.
    let run = check(&src("broken"));
    let line = run.fails();
    assert_eq!(run.stderr.matches("retry ").count(), 4, "{}", run.stderr);
    assert!(line.contains("HEAD") && line.contains("502"), "{line}");
}

/// A blob GET redirected to another host (as S3-backed registries do) works and never carries
/// the registry's `Authorization` there.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn redirected_blobs_never_carry_the_registry_credentials() {
    use crate::support::fake::{self, Reply};
    use crate::support::layers::{layer, media_type, Compression, Entry};
    let reg = TestRegistry::start(Mode::Basic);
    let seeder = Seeder::new(&reg);
    let l = layer(
        &[Entry::File("f", b"from storage", 0o644)],
        Compression::Gzip,
    );
    let digest = crate::support::seed::sha256(&l);
    let pushed = seeder.layered(
        "app",
        "latest",
        &[(l.clone(), media_type(Compression::Gzip))],
        json!({}),
    );
    let leaked = Arc::new(AtomicUsize::new(0));
    let served = Arc::new(AtomicUsize::new(0));
    let (leak, serve) = (leaked.clone(), served.clone());
    let storage = fake::serve_requests(0, move |r| {
        if r.header("Authorization").is_some() {
            leak.fetch_add(1, Ordering::SeqCst);
        }
        serve.fetch_add(1, Ordering::SeqCst);
        Reply::new(200, l.clone())
    });
    let blob_path = format!("/blobs/{digest}");
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "GET" && path.ends_with(&blob_path) {
            Action::Reply(Reply::new(307, "").header(
                "Location",
                &format!("http://127.0.0.1:{storage}/bucket/{digest}?X-Amz-Signature=abc"),
            ))
        } else {
            Action::Forward(path.to_string())
        }
    });
    let dest = tempfile::tempdir().unwrap();
    let mut source = reg.source("app", json!({"debug": true}));
    source["repository"] = json!(format!("127.0.0.1:{port}/app"));
    let run = crate::support::get(
        &json!({"source": source, "version": {"tag": "latest", "digest": pushed.digest}, "params": {}}),
        dest.path(),
    );
    run.succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("rootfs/f")).unwrap(),
        "from storage"
    );
    assert_eq!(served.load(Ordering::SeqCst), 1);
    assert_eq!(
        leaked.load(Ordering::SeqCst),
        0,
        "Authorization sent to the storage host"
    );
    assert!(
        !run.stderr.contains("X-Amz-Signature=abc"),
        "signed URLs are redacted in debug lines"
    );
}

/// One fault per endpoint class (ping, manifest HEAD / GET / PUT, tag list, blob HEAD / GET,
/// upload start / PUT), each injected once as a 503 or a dropped connection: a whole
/// push → check → get → promote cycle still succeeds, retrying each.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn one_fault_per_endpoint_class_is_survived() {
    use crate::support::layout;
    use std::collections::HashSet;
    use std::sync::Mutex;
    let reg = TestRegistry::start(Mode::Plain);
    let hit: Arc<Mutex<HashSet<String>>> = Arc::new(Mutex::new(HashSet::new()));
    let seen = hit.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        let class = if path == "/v2/" {
            "ping"
        } else if path.contains("/tags/list") {
            "tags"
        } else if path.contains("/manifests/") {
            match method {
                "HEAD" => "manifest-head",
                "GET" => "manifest-get",
                _ => "manifest-put",
            }
        } else if path.contains("/blobs/uploads/") {
            if method == "POST" {
                "upload-start"
            } else {
                "upload-put"
            }
        } else if path.contains("/blobs/") {
            if method == "HEAD" {
                "blob-head"
            } else {
                "blob-get"
            }
        } else {
            "other"
        };
        let first = seen.lock().unwrap().insert(class.to_string());
        if first && class != "other" {
            // Alternate the fault kind by class.
            return if class.len() % 2 == 0 {
                Action::Reply(Reply::new(503, ""))
            } else {
                Action::Drop
            };
        }
        Action::Forward(path.to_string())
    });
    let repo = format!("127.0.0.1:{port}/app");
    let src = tempfile::tempdir().unwrap();
    let layer = crate::support::layers::layer(
        &[crate::support::layers::Entry::File("f", b"survived", 0o644)],
        crate::support::layers::Compression::Gzip,
    );
    let digest = layout::single(&src.path().join("image"), &[layer]);
    let put = crate::support::put(
        &json!({"source": {"repository": repo, "debug": true}, "params": {"image": "image", "version": "1.0.0"}}),
        src.path(),
    );
    assert_eq!(
        put.succeeds()["version"]["digest"],
        json!(digest),
        "{}",
        put.stderr
    );
    let run = check(&json!({"source": {"repository": repo, "debug": true}}));
    run.succeeds_with(json!([{"tag": "1.0.0", "digest": digest}]));
    let dest = tempfile::tempdir().unwrap();
    let got = crate::support::get(
        &json!({"source": {"repository": repo}, "version": {"tag": "1.0.0", "digest": digest}, "params": {}}),
        dest.path(),
    );
    got.succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("rootfs/f")).unwrap(),
        "survived"
    );
    let empty = tempfile::tempdir().unwrap();
    crate::support::put(&json!({"source": {"repository": repo}, "params": {"promote": "1.0.0", "tags": ["latest"]}}), empty.path()).succeeds();
    let classes = hit.lock().unwrap().clone();
    for class in [
        "ping",
        "tags",
        "manifest-head",
        "manifest-get",
        "manifest-put",
        "upload-start",
        "upload-put",
        "blob-head",
        "blob-get",
    ] {
        assert!(
            classes.contains(class),
            "{class} never exercised: {classes:?}"
        );
    }
}

/// A manifest, a tag list and a config whose bodies break off half-way are read again.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn truncated_documents_are_read_again() {
    use std::collections::HashSet;
    use std::sync::Mutex;
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "1.0.0", "one", &[("k", "v")], &[]);
    let cut: Arc<Mutex<HashSet<&'static str>>> = Arc::new(Mutex::new(HashSet::new()));
    let seen = cut.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        let class = if path.contains("/tags/list") {
            Some("tags")
        } else if method == "GET" && path.contains("/manifests/") {
            Some("manifest")
        } else if method == "GET" && path.contains("/blobs/") {
            Some("config")
        } else {
            None
        };
        match class {
            Some(c) if seen.lock().unwrap().insert(c) => Action::Truncate(path.to_string()),
            _ => Action::Forward(path.to_string()),
        }
    });
    let repo = format!("127.0.0.1:{port}/app");
    let run = check(&json!({"source": {"repository": repo}}));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "1.0.0", "digest": v.digest}])
    );
    assert!(run.stderr.contains("broke off"), "{}", run.stderr);
    let dest = tempfile::tempdir().unwrap();
    let got = crate::support::get(
        &json!({"source": {"repository": repo, "label_regex": "^k$"}, "version": {"tag": "1.0.0", "digest": v.digest}, "params": {"skip_download": true}}),
        dest.path(),
    );
    assert_eq!(
        got.succeeds()["metadata"][2],
        json!({"name": "k", "value": "v"})
    );
    assert_eq!(cut.lock().unwrap().len(), 3);
}

/// The token endpoint and the package index are endpoint classes too: a 503, a dropped
/// connection and a body that breaks off are each recovered from.
#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_pypiserver)),
    ignore = "needs docker-registry; pypiserver (apt-get install docker-registry; pip install pypiserver)"
)]
fn token_and_package_index_faults_are_survived() {
    let faults = |n: usize, path: &str| match n {
        0 => Action::Reply(Reply::new(503, "")),
        1 => Action::Drop,
        2 => Action::Truncate(path.to_string()),
        _ => Action::Forward(path.to_string()),
    };
    let tokens = Arc::new(AtomicUsize::new(0));
    let seen = tokens.clone();
    let reg = TestRegistry::start_token_proxied(Box::new(move |_, path, _| {
        faults(seen.fetch_add(1, Ordering::SeqCst), path)
    }));
    let v = Seeder::new(&reg).image("app", "latest", "token-faults", &[], &[]);
    let run = check(&json!({"source": reg.source("app", json!({"tag": "latest", "debug": true}))}));
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    assert!(tokens.load(Ordering::SeqCst) >= 4, "{}", run.stderr);
    assert!(
        run.stderr.contains("503 Service Unavailable"),
        "{}",
        run.stderr
    );
    assert!(run.stderr.contains("broke off"), "{}", run.stderr);

    let dir = tempfile::tempdir().unwrap();
    for f in ["tool-1.0.tar.gz", "tool-1.2.tar.gz"] {
        std::fs::write(dir.path().join(f), b"not really a distribution").unwrap();
    }
    let server = crate::support::servers::pypiserver(dir.path());
    let pages = Arc::new(AtomicUsize::new(0));
    let seen = pages.clone();
    let index = proxy::start(server.port, move |_, path, _| {
        if path.starts_with("/simple") {
            faults(seen.fetch_add(1, Ordering::SeqCst), path)
        } else {
            Action::Forward(path.to_string())
        }
    });
    let run = check(
        &json!({"source": {"pypi": "tool", "index_url": format!("http://127.0.0.1:{index}/simple"), "debug": true}}),
    );
    run.succeeds_with(json!([{"version": "1.2"}]));
    assert!(run.stderr.contains("broke off"), "{}", run.stderr);
    assert!(pages.load(Ordering::SeqCst) >= 4);
}

/// A 403 is permanent — unless it carries rate-limit headers, which are obeyed.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn rate_limited_403_waits_as_told_and_plain_403_fails_fast() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let limited = Arc::new(AtomicUsize::new(0));
    let seen = limited.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "HEAD"
            && path.ends_with("/manifests/latest")
            && seen.fetch_add(1, Ordering::SeqCst) == 0
        {
            let reset = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .unwrap()
                .as_secs()
                + 1;
            return Action::Reply(
                Reply::new(
                    403,
                    r#"{"errors":[{"code":"DENIED","message":"rate limit exceeded"}]}"#,
                )
                .header("X-RateLimit-Remaining", "0")
                .header("X-RateLimit-Reset", &reset.to_string()),
            );
        }
        if path.ends_with("/manifests/forbidden") {
            return Action::Reply(Reply::new(
                403,
                r#"{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}"#,
            ));
        }
        Action::Forward(path.to_string())
    });
    let src =
        |tag: &str| json!({"source": {"repository": format!("127.0.0.1:{port}/app"), "tag": tag}});
    let run = check(&src("latest"));
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    assert!(
        run.stderr.contains("(403 rate limited); retry 1/4"),
        "{}",
        run.stderr
    );
    let run = check(&src("forbidden"));
    let line = run.fails();
    assert!(line.contains("403") && line.contains("DENIED"), "{line}");
    assert!(!run.stderr.contains("retry"), "{}", run.stderr);
}

/// Faults that outlast the retries fail cleanly: a failed `in` leaves DEST empty, a failed
/// `out` leaves `latest` on the old digest.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn persistent_faults_leave_no_partial_results() {
    use crate::support::layers::{layer, Compression, Entry};
    use crate::support::layout;
    let reg = TestRegistry::start(Mode::Plain);
    let broken = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let on = broken.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        if on.load(Ordering::SeqCst)
            && ((method == "GET" && path.contains("/blobs/sha256:"))
                || path.contains("/blobs/uploads/"))
        {
            return Action::Reply(Reply::new(500, ""));
        }
        Action::Forward(path.to_string())
    });
    let repo = format!("127.0.0.1:{port}/app");
    let push = |content: &[u8]| {
        let src = tempfile::tempdir().unwrap();
        let l = layer(&[Entry::File("f", content, 0o644)], Compression::Gzip);
        let digest = layout::single(&src.path().join("image"), &[l]);
        let run = crate::support::put(
            &json!({"source": {"repository": repo}, "params": {"image": "image", "version": "1.0.0", "bump_aliases": true}}),
            src.path(),
        );
        (digest, run)
    };
    let (old, run) = push(b"old");
    assert_eq!(run.succeeds()["version"]["digest"], json!(old));

    broken.store(true, Ordering::SeqCst);
    let (_new, run) = push(b"new");
    let line = run.fails();
    assert!(line.contains("500"), "{line}");
    let dest = tempfile::tempdir().unwrap();
    let got = crate::support::get(
        &json!({"source": {"repository": repo}, "version": {"tag": "latest", "digest": old}}),
        dest.path(),
    );
    got.fails();
    assert_eq!(
        std::fs::read_dir(dest.path()).unwrap().count(),
        0,
        "DEST holds leftovers"
    );

    broken.store(false, Ordering::SeqCst);
    let latest = check(&json!({"source": {"repository": repo, "tag": "latest"}}));
    assert_eq!(latest.succeeds(), json!([{"tag": "latest", "digest": old}]));
}

/// A layer stream that breaks off (twice) is picked up where it stopped with a `Range` request,
/// and the whole is still verified against its digest.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn broken_layer_streams_resume_with_range_requests() {
    use crate::support::layers::{layer, media_type, Compression, Entry};
    use crate::support::seed::sha256;
    use std::sync::Mutex;
    let reg = TestRegistry::start(Mode::Plain);
    // Incompressible content, so the layer blob is about a megabyte.
    let mut content = Vec::with_capacity(1 << 20);
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    while content.len() < 1 << 20 {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        content.extend_from_slice(&x.to_le_bytes());
    }
    let blob = layer(&[Entry::File("big", &content, 0o644)], Compression::Gzip);
    let blob_digest = sha256(&blob);
    let pushed = Seeder::new(&reg).layered(
        "app",
        "1.0.0",
        &[(blob, media_type(Compression::Gzip))],
        json!({}),
    );
    let ranges: Arc<Mutex<Vec<Option<String>>>> = Arc::new(Mutex::new(Vec::new()));
    let seen = ranges.clone();
    let port = proxy::start_seeing(reg.port, move |r| {
        if r.method == "GET" && r.path.ends_with(&format!("/blobs/{blob_digest}")) {
            let mut seen = seen.lock().unwrap();
            seen.push(r.header("Range"));
            if seen.len() <= 2 {
                return Action::Truncate(r.path.to_string());
            }
        }
        Action::Forward(r.path.to_string())
    });
    let dest = tempfile::tempdir().unwrap();
    let run = crate::support::get(
        &json!({"source": {"repository": format!("127.0.0.1:{port}/app")}, "version": {"tag": "1.0.0", "digest": pushed.digest}}),
        dest.path(),
    );
    run.succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("rootfs/big")).unwrap(),
        content
    );
    assert!(
        run.stderr.contains("resuming 1/3") && run.stderr.contains("resuming 2/3"),
        "{}",
        run.stderr
    );
    let ranges = ranges.lock().unwrap();
    assert_eq!(ranges.len(), 3, "{ranges:?}");
    assert_eq!(ranges[0], None);
    let offsets: Vec<u64> = ranges[1..]
        .iter()
        .map(|r| {
            let r = r.as_deref().expect("a Range header");
            r.trim_start_matches("bytes=")
                .trim_end_matches('-')
                .parse()
                .unwrap()
        })
        .collect();
    assert!(offsets[0] > 0 && offsets[1] > offsets[0], "{offsets:?}");
}
