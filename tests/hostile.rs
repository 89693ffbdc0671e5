//! Hostile servers at the wire: bodies that end early or lie about their length are never taken
//! as complete, and nothing a server echoes back (or a header value) reaches stderr.

use crate::support::fake::{self, Reply};
use crate::support::{check, secret};
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

const MANIFEST_TYPE: &str = "application/vnd.oci.image.manifest.v1+json";
const MANIFEST: &str = r#"{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"sha256:44136fa355b3678a1146ad16f7e8649e94fb4fc21fe77e8310c060f61caaff8a","size":2},"layers":[]}"#;

/// A registry whose manifest HEAD gives no digest (so `check` reads and hashes the manifest)
/// and whose manifest GET is `body` written raw; counts the GETs.
fn registry_answering(
    body: impl Fn() -> Vec<u8> + Send + Sync + 'static,
) -> (u16, Arc<AtomicUsize>) {
    let gets = Arc::new(AtomicUsize::new(0));
    let counted = gets.clone();
    let port = fake::serve_raw(move |r| {
        if r.path == "/v2/" {
            return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n{}".to_vec();
        }
        if r.method == "HEAD" {
            return format!(
                "HTTP/1.1 200 OK\r\nContent-Type: {MANIFEST_TYPE}\r\nContent-Length: 0\r\n\r\n"
            )
            .into_bytes();
        }
        counted.fetch_add(1, Ordering::SeqCst);
        body()
    });
    (port, gets)
}

fn head(extra: &str) -> String {
    format!("HTTP/1.1 200 OK\r\nContent-Type: {MANIFEST_TYPE}\r\n{extra}\r\n")
}

fn check_tag(port: u16) -> crate::support::Run {
    check(&json!({"source": {"repository": format!("127.0.0.1:{port}/app"), "tag": "latest"}}))
}

#[test]
fn a_manifest_cut_inside_a_chunk_is_never_a_digest() {
    let (port, gets) = registry_answering(|| {
        let mut raw = head("Transfer-Encoding: chunked\r\n").into_bytes();
        raw.extend_from_slice(format!("{:x}\r\n", MANIFEST.len()).as_bytes());
        raw.extend_from_slice(&MANIFEST.as_bytes()[..MANIFEST.len() / 2]);
        raw
    });
    let run = check_tag(port);
    let line = run.fails();
    assert_eq!(run.stdout, "", "no version may be reported");
    assert!(
        line.contains("reading") && line.contains("manifests/latest"),
        "{line}"
    );
    // Read again (twice) before giving up: a cut body is transient.
    assert_eq!(gets.load(Ordering::SeqCst), 3, "{}", run.stderr);
    assert!(run.stderr.contains("broke off"), "{}", run.stderr);
}

#[test]
fn an_absurd_chunk_size_is_an_error() {
    let (port, _) = registry_answering(|| {
        let mut raw = head("Transfer-Encoding: chunked\r\n").into_bytes();
        raw.extend_from_slice(b"ffffffffffffffff\r\n");
        raw.extend_from_slice(MANIFEST.as_bytes());
        raw.extend_from_slice(b"\r\n0\r\n\r\n");
        raw
    });
    let run = check_tag(port);
    run.fails();
    assert_eq!(run.stdout, "");
}

#[test]
fn conflicting_content_lengths_are_an_error() {
    let (port, _) = registry_answering(|| {
        let n = MANIFEST.len();
        let mut raw = head(&format!(
            "Content-Length: {n}\r\nContent-Length: {}\r\n",
            n / 2
        ))
        .into_bytes();
        raw.extend_from_slice(MANIFEST.as_bytes());
        raw
    });
    let run = check_tag(port);
    run.fails();
    assert_eq!(run.stdout, "");
}

#[test]
fn a_content_length_shorter_than_the_body_yields_no_digest() {
    let (port, _) = registry_answering(|| {
        let mut raw = head(&format!("Content-Length: {}\r\n", MANIFEST.len() / 2)).into_bytes();
        raw.extend_from_slice(MANIFEST.as_bytes());
        raw
    });
    let run = check_tag(port);
    let line = run.fails();
    assert_eq!(run.stdout, "");
    assert!(line.contains("not an image manifest"), "{line}");
}

#[test]
fn a_body_shorter_than_its_content_length_is_read_again_then_fails() {
    let (port, gets) = registry_answering(|| {
        let mut raw = head(&format!("Content-Length: {}\r\n", MANIFEST.len() * 2)).into_bytes();
        raw.extend_from_slice(MANIFEST.as_bytes());
        raw
    });
    let run = check_tag(port);
    run.fails();
    assert_eq!(run.stdout, "");
    assert_eq!(gets.load(Ordering::SeqCst), 3, "{}", run.stderr);
}

#[test]
fn a_package_index_cut_short_is_not_reported() {
    let port = fake::serve_raw(|_| {
        let page = br#"{"name":"x","files":[{"filename":"x-1.0.tar.gz","url":"x-1.0.tar.gz","hashes":{}},{"filename":"x-2.0.tar.gz","url":"x-2.0.tar.gz","hashes":{}}],"versions":["1.0","2.0"]}"#;
        let mut raw = b"HTTP/1.1 200 OK\r\nContent-Type: application/vnd.pypi.simple.v1+json\r\nTransfer-Encoding: chunked\r\nETag: \"v1\"\r\n\r\n".to_vec();
        raw.extend_from_slice(format!("{:x}\r\n", page.len()).as_bytes());
        raw.extend_from_slice(&page[..page.len() - 40]);
        raw
    });
    let index = format!("http://127.0.0.1:{port}/simple");
    let run = check(&json!({"source": {"pypi": "x", "index_url": index}}));
    run.fails();
    assert_eq!(run.stdout, "");
}

#[test]
fn a_server_echoing_credentials_has_them_scrubbed() {
    let password = secret("echoed-password-4242");
    let basic = {
        use base64::Engine as _;
        base64::engine::general_purpose::STANDARD.encode(format!("ci:{password}"))
    };
    let echo = secret(&basic);
    let port = fake::serve_requests(0, move |r| {
        let auth = r.header("Authorization").unwrap_or("").to_string();
        if r.path == "/v2/" && auth.is_empty() {
            return Reply::new(401, "").header("WWW-Authenticate", "Basic realm=\"x\"");
        }
        Reply::new(
            401,
            format!(r#"{{"errors":[{{"code":"UNAUTHORIZED","message":"refused Authorization: {auth} and {echo}"}}]}}"#),
        )
        .header("WWW-Authenticate", "Basic realm=\"x\"")
    });
    // Semver mode: the tag list is a GET, so the 401 carries the echoing body.
    let run = check(&json!({"source": {
        "repository": format!("127.0.0.1:{port}/app"),
        "username": "ci", "password": password, "debug": true,
    }}));
    let line = run.fails();
    assert!(line.contains("UNAUTHORIZED"), "{line}");
    assert!(line.contains("<redacted>"), "{line}");
}

#[test]
fn a_header_value_is_never_quoted_in_an_error() {
    // A token with a trailing newline (a file read without trimming) is not a valid header.
    let token = secret("ghp_tokenvaluefortests123");
    let port = fake::serve(|_, _| Reply::new(200, "[]"));
    let run = check(&json!({"source": {
        "github": "owner/repo", "api_url": format!("http://127.0.0.1:{port}"),
        "access_token": format!("{token}\n"), "debug": true,
    }}));
    let stderr = &run.stderr;
    assert!(!stderr.contains("tokenvaluefortests"), "{stderr}");
}
