//! Huge, endless and slow answers are bounded: a manifest over 4 MiB, a tag list that never
//! ends or loops, a document dribbled byte by byte.

use crate::support::fake::{self, Reply};
use crate::support::{check, get};
use serde_json::json;
use std::io::{BufRead, BufReader, Write};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";

#[test]
fn manifest_over_4_mib_is_refused() {
    let port = fake::serve(|_, path| {
        if path == "/v2/" {
            return Reply::new(200, "{}");
        }
        let mut body = br#"{"schemaVersion":2,"pad":""#.to_vec();
        body.resize(5 * 1024 * 1024, b'a');
        Reply::new(200, body).header("Content-Type", MANIFEST)
    });
    let dest = tempfile::tempdir().unwrap();
    let digest = format!("sha256:{}", "a".repeat(64));
    let run = get(
        &json!({"source": {"repository": format!("127.0.0.1:{port}/app")}, "version": {"tag": "latest", "digest": digest}}),
        dest.path(),
    );
    let line = run.fails();
    assert!(line.contains("larger than 4194304 bytes"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
}

#[test]
fn endless_and_looping_tag_lists_are_bounded() {
    let pages = Arc::new(AtomicUsize::new(0));
    let seen = pages.clone();
    let port = fake::serve(move |_, path| {
        if path == "/v2/" {
            return Reply::new(200, "{}");
        }
        if path.starts_with("/v2/endless/tags/list") {
            let n = seen.fetch_add(1, Ordering::SeqCst);
            let tags: Vec<String> = (0..1000).map(|i| format!("1.{n}.{i}")).collect();
            return Reply::new(200, json!({"name": "endless", "tags": tags}).to_string()).header(
                "Link",
                &format!("</v2/endless/tags/list?n=1000&last=1.{n}.999>; rel=\"next\""),
            );
        }
        if path.starts_with("/v2/loop/tags/list") {
            // Always the same page, always pointing at itself.
            return Reply::new(
                200,
                json!({"name": "loop", "tags": ["1.0.0", "1.1.0"]}).to_string(),
            )
            .header("Link", "</v2/loop/tags/list?n=1000>; rel=\"next\"");
        }
        Reply::new(404, "{}")
    });
    let line =
        check(&json!({"source": {"repository": format!("127.0.0.1:{port}/endless")}})).fails();
    assert!(line.contains("more than 500000 tags"), "{line}");
    // It stopped at the bound, not at some other limit.
    assert_eq!(pages.load(Ordering::SeqCst), 501);

    // A looping list ends after the first repeat; its tags are still used (HEADs go to the fake,
    // which has no manifests: the error names the tag it tried).
    let run = check(&json!({"source": {"repository": format!("127.0.0.1:{port}/loop")}}));
    assert!(run.stderr.contains("repeats itself"), "{}", run.stderr);
}

/// A server that answers a document's headers at once and then one body byte every 300 ms
/// (`headers_too`: one header byte every 300 ms, never finishing the headers).
fn slowloris(headers_too: bool) -> u16 {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().unwrap();
                let mut reader = BufReader::new(stream);
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    let path = line.split_whitespace().nth(1).unwrap_or("/").to_string();
                    loop {
                        let mut h = String::new();
                        if reader.read_line(&mut h).unwrap_or(0) == 0 || h == "\r\n" {
                            break;
                        }
                    }
                    if path == "/v2/" {
                        let _ = writer.write_all(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}");
                        continue;
                    }
                    let head = if headers_too {
                        "HTTP/1.1 200 OK\r\nX-Slow: ".to_string()
                    } else {
                        format!("HTTP/1.1 200 OK\r\nContent-Type: {MANIFEST}\r\nContent-Length: 100000\r\n\r\n")
                    };
                    let _ = writer.write_all(head.as_bytes());
                    for _ in 0..1000 {
                        std::thread::sleep(std::time::Duration::from_millis(300));
                        if writer.write_all(b"a").is_err() {
                            return;
                        }
                    }
                    return;
                }
            });
        }
    });
    port
}

#[test]
fn a_dribbled_document_is_cut_off_at_the_request_timeout() {
    let digest = format!("sha256:{}", "b".repeat(64));
    let body = slowloris(false);
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": {"repository": format!("127.0.0.1:{body}/app"), "request_timeout": 2}, "version": {"tag": "latest", "digest": digest}}),
        dest.path(),
    );
    let line = run.fails();
    assert!(line.contains("did not arrive within 2 s"), "{line}");

    // Headers that never end: the request itself is cut off (then retried within the budget).
    let headers = slowloris(true);
    let run = check(
        &json!({"source": {"repository": format!("127.0.0.1:{headers}/app"), "tag": "latest", "request_timeout": 2}}),
    );
    let line = run.fails();
    assert!(line.contains("timed out"), "{line}");

    let line = check(&json!({"source": {"repository": "a", "request_timeout": 0}})).fails();
    assert!(
        line.contains("request_timeout must be between 1 and 3600"),
        "{line}"
    );
}
