//! Go module sources against a GOPROXY directory (the `$GOMODCACHE/cache/download` layout) served by Python's static file server.

use crate::support::fake::{self, Reply};
use crate::support::{check, get, versions};
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// `python3 -m http.server`'s handler, plus: basic credentials required when `AUTH` is set
/// (401 otherwise), a `<file>.redirect` answered as a 302 to the URL it holds, and each
/// request's path and `Authorization` appended to `LOG`.
const PROXY: &str = r#"
import functools, http.server, os, sys
root, port, auth, log = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        got = self.headers.get("Authorization")
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, got or "-"))
        if auth and got != "Basic " + auth:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="goproxy"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        target = self.translate_path(self.path) + ".redirect"
        if os.path.isfile(target):
            self.send_response(302)
            self.send_header("Location", open(target).read().strip())
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=root)).serve_forever()
"#;

/// A module proxy on loopback, killed on drop.
struct GoProxy {
    port: u16,
    log: tempfile::NamedTempFile,
    child: Child,
}

impl Drop for GoProxy {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl GoProxy {
    /// Serves `dir`; `auth` is the base64 `user:password` it requires, if any.
    fn start(dir: &Path, auth: Option<&str>) -> GoProxy {
        let port = crate::support::free_port();
        let log = tempfile::NamedTempFile::new().unwrap();
        let mut child = Command::new("python3")
            .args(["-c", PROXY])
            .arg(dir)
            .arg(port.to_string())
            .arg(auth.unwrap_or(""))
            .arg(log.path())
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3");
        let deadline = Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(Instant::now() < deadline, "the proxy did not start");
            assert!(child.try_wait().unwrap().is_none(), "the proxy exited");
            std::thread::sleep(Duration::from_millis(50));
        }
        GoProxy { port, log, child }
    }

    fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// `path Authorization` lines of the requests it saw.
    fn seen(&self) -> Vec<String> {
        std::fs::read_to_string(self.log.path())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

/// One module version's files as `go mod download` caches them (and a proxy serves them):
/// `.info`, `.mod`, `.zip`, named by the version with its upper case written `!x`.
fn version_files(root: &Path, escaped_module: &str, module: &str, version: &str, time: &str) {
    let dir = root.join(escaped_module).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let escaped_version: String = version
        .chars()
        .flat_map(|c| match c.is_ascii_uppercase() {
            true => vec!['!', c.to_ascii_lowercase()],
            false => vec![c],
        })
        .collect();
    std::fs::write(
        dir.join(format!("{escaped_version}.info")),
        json!({"Version": version, "Time": time}).to_string(),
    )
    .unwrap();
    std::fs::write(
        dir.join(format!("{escaped_version}.mod")),
        format!("module {module}\n\ngo 1.21\n"),
    )
    .unwrap();
    // An empty zip archive (end-of-central-directory record only).
    let mut zip = b"PK\x05\x06".to_vec();
    zip.extend([0u8; 18]);
    std::fs::write(dir.join(format!("{escaped_version}.zip")), zip).unwrap();
}

fn list(root: &Path, escaped_module: &str, lines: &[&str]) {
    let dir = root.join(escaped_module).join("@v");
    std::fs::create_dir_all(&dir).unwrap();
    let mut text = lines.join("\n");
    if !lines.is_empty() {
        text.push('\n');
    }
    std::fs::write(dir.join("list"), text).unwrap();
}

/// The proxy tree of the tests.
fn goproxy_tree() -> tempfile::TempDir {
    let tmp = tempfile::tempdir().unwrap();
    let root = tmp.path();
    // A v0/v1 module: pseudo-versions, a shorthand, build metadata and a v2 without
    // `+incompatible` are not releases of it; a line may carry more fields.
    list(
        root,
        "example.com/lib",
        &[
            "v1.0.0",
            "v1.1.0 2024-03-01T00:00:00Z",
            "v0.0.0-20191109021931-daa7c04131f5",
            "v1.1.1-0.20240401000000-abcdefabcdef",
            "v1.2.0-rc.1",
            "v1.2",
            "v1.3.0+meta",
            "v2.0.0",
            "",
            "not-a-version",
        ],
    );
    for (v, t) in [
        ("v1.0.0", "2024-01-01T00:00:00Z"),
        ("v1.1.0", "2024-03-01T00:00:00Z"),
        ("v1.2.0-rc.1", "2024-05-01T00:00:00Z"),
    ] {
        version_files(root, "example.com/lib", "example.com/lib", v, t);
    }
    // Upper case in the path: `!azure`; majors above 1 without a `/vN` suffix: `+incompatible`.
    list(
        root,
        "github.com/!azure/azure-sdk",
        &[
            "v1.0.0",
            "v2.0.0+incompatible",
            "v10.2.0+incompatible",
            "v3.1.0+incompatible",
        ],
    );
    for v in [
        "v1.0.0",
        "v2.0.0+incompatible",
        "v3.1.0+incompatible",
        "v10.2.0+incompatible",
    ] {
        version_files(
            root,
            "github.com/!azure/azure-sdk",
            "github.com/Azure/azure-sdk",
            v,
            "2023-06-01T12:00:00Z",
        );
    }
    // A `/v2` module lists only v2 versions; upper case in a version is encoded too.
    list(
        root,
        "example.com/lib/v2",
        &["v2.0.0", "v1.9.0", "v2.1.0-RC1", "v2.1.0"],
    );
    version_files(
        root,
        "example.com/lib/v2",
        "example.com/lib/v2",
        "v2.1.0-RC1",
        "2024-06-01T00:00:00Z",
    );
    assert!(root
        .join("example.com/lib/v2/@v/v2.1.0-!r!c1.info")
        .is_file());
    // No tag: the list is empty and `@latest` names a pseudo-version (skipped) or a release.
    list(root, "example.com/untagged", &[]);
    std::fs::write(
        root.join("example.com/untagged/@latest"),
        json!({"Version": "v0.0.0-20240101000000-0123456789ab", "Time": "2024-01-01T00:00:00Z"})
            .to_string(),
    )
    .unwrap();
    list(root, "example.com/latestonly", &[]);
    std::fs::write(
        root.join("example.com/latestonly/@latest"),
        json!({"Version": "v0.1.0", "Time": "2024-02-02T00:00:00Z"}).to_string(),
    )
    .unwrap();
    tmp
}

fn src(proxy: &str, module: &str, extra: Value) -> Value {
    let mut s = json!({"go": module, "proxy": proxy, "debug": true});
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn go_proxy_lists_orders_and_constrains_releases() {
    let tree = goproxy_tree();
    let proxy = GoProxy::start(tree.path(), None);
    let base = proxy.url();
    // First check: the newest release (not the pre-release, pseudo-versions or misfits).
    let run = check(&json!({"source": src(&base, "example.com/lib", json!({}))}));
    assert_eq!(run.succeeds(), json!([{"version": "v1.1.0"}]));
    assert_eq!(run.requests("GET", "/example.com/lib/@v/list"), 1);
    // A cursor still listed: it and everything newer; pre-releases on request.
    let out = check(&json!({"source": src(&base, "example.com/lib", json!({})), "version": {"version": "v1.0.0"}})).succeeds();
    assert_eq!(versions(&out), ["v1.0.0", "v1.1.0"]);
    let out = check(&json!({"source": src(&base, "example.com/lib", json!({"pre_releases": true})), "version": {"version": "v1.0.0"}})).succeeds();
    assert_eq!(versions(&out), ["v1.0.0", "v1.1.0", "v1.2.0-rc.1"]);
    // A cursor gone (a pseudo-version is never listed): the newest.
    let out = check(&json!({"source": src(&base, "example.com/lib", json!({})), "version": {"version": "v0.0.0-20191109021931-daa7c04131f5"}})).succeeds();
    assert_eq!(versions(&out), ["v1.1.0"]);
    // Constraints are node-semver ranges, as for github and git.
    let out =
        check(&json!({"source": src(&base, "example.com/lib", json!({"constraint": "<1.1.0"}))}))
            .succeeds();
    assert_eq!(versions(&out), ["v1.0.0"]);
    let out = check(
        &json!({"source": src(&base, "example.com/lib", json!({"constraint": ">=1.2.0-rc.0"}))}),
    )
    .succeeds();
    assert_eq!(versions(&out), ["v1.2.0-rc.1"]);
    // Case-encoded path; `+incompatible` kept in the version, ignored in the order (10 > 3).
    let run = check(
        &json!({"source": src(&base, "github.com/Azure/azure-sdk", json!({})), "version": {"version": "v2.0.0+incompatible"}}),
    );
    assert_eq!(
        versions(&run.succeeds()),
        [
            "v2.0.0+incompatible",
            "v3.1.0+incompatible",
            "v10.2.0+incompatible"
        ]
    );
    assert_eq!(
        run.requests("GET", "/github.com/!azure/azure-sdk/@v/list"),
        1
    );
    let out = check(&json!({"source": src(&base, "github.com/Azure/azure-sdk", json!({"constraint": "^2 || ^3"})), "version": {"version": "v2.0.0+incompatible"}})).succeeds();
    assert_eq!(
        versions(&out),
        ["v2.0.0+incompatible", "v3.1.0+incompatible"]
    );
    // A `/v2` module: v1.9.0 does not belong to it.
    let out = check(&json!({"source": src(&base, "example.com/lib/v2", json!({"pre_releases": true})), "version": {"version": "v1.9.0"}})).succeeds();
    assert_eq!(versions(&out), ["v2.1.0"]);
    let out = check(&json!({"source": src(&base, "example.com/lib/v2", json!({"pre_releases": true})), "version": {"version": "v2.0.0"}})).succeeds();
    assert_eq!(versions(&out), ["v2.0.0", "v2.1.0-RC1", "v2.1.0"]);
    // An empty list: `@latest`, a pseudo-version there is no release; a release is.
    let run = check(&json!({"source": src(&base, "example.com/untagged", json!({}))}));
    assert_eq!(run.succeeds(), json!([]));
    assert_eq!(run.requests("GET", "/example.com/untagged/@latest"), 1);
    let out = check(&json!({"source": src(&base, "example.com/latestonly", json!({}))})).succeeds();
    assert_eq!(out, json!([{"version": "v0.1.0"}]));
    // The list is asked for conditionally: a re-check is a 304 and the kept list.
    let again = check(&json!({"source": src(&base, "example.com/lib", json!({}))}));
    assert_eq!(versions(&again.succeeds()), ["v1.1.0"]);
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn go_in_writes_version_time_and_zip_url() {
    let tree = goproxy_tree();
    let proxy = GoProxy::start(tree.path(), None);
    let base = proxy.url();
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src(&base, "github.com/Azure/azure-sdk", json!({})), "version": {"version": "v2.0.0+incompatible"}}),
        dest.path(),
    );
    let value = out.succeeds();
    assert_eq!(value["version"], json!({"version": "v2.0.0+incompatible"}));
    let read = |f: &str| std::fs::read_to_string(dest.path().join(f)).unwrap();
    assert_eq!(read("version"), "v2.0.0+incompatible");
    assert_eq!(read("published_at"), "2023-06-01T12:00:00Z");
    let zip = format!("{base}/github.com/!azure/azure-sdk/@v/v2.0.0+incompatible.zip");
    assert_eq!(read("url"), zip);
    assert_eq!(
        out.requests(
            "GET",
            "/github.com/!azure/azure-sdk/@v/v2.0.0+incompatible.info"
        ),
        1
    );
    // The URL written is the proxy's real zip.
    let body = std::process::Command::new("python3")
        .args(["-c", "import sys,urllib.request;sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read()[:4])", &zip])
        .output()
        .unwrap();
    assert_eq!(body.stdout, b"PK\x05\x06");
    // An upper-case version is encoded in the `.info` URL.
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src(&base, "example.com/lib/v2", json!({"pre_releases": true})), "version": {"version": "v2.1.0-RC1"}}),
        dest.path(),
    );
    out.succeeds();
    assert_eq!(
        out.requests("GET", "/example.com/lib/v2/@v/v2.1.0-!r!c1.info"),
        1
    );
    assert_eq!(
        std::fs::read_to_string(dest.path().join("published_at")).unwrap(),
        "2024-06-01T00:00:00Z"
    );
    // No published hash: `download` is refused, and nothing is written.
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src(&base, "example.com/lib", json!({})), "version": {"version": "v1.1.0"}, "params": {"download": "*.zip"}}),
        dest.path(),
    )
    .fails();
    assert!(
        line.contains("params.download") && line.contains("publishes no hash"),
        "{line}"
    );
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
    // A version the list does not carry.
    let line = get(
        &json!({"source": src(&base, "example.com/lib", json!({})), "version": {"version": "v1.1.1-0.20240401000000-abcdefabcdef"}}),
        tempfile::tempdir().unwrap().path(),
    )
    .fails();
    assert!(line.contains("is no longer listed"), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn go_errors_not_found_and_bad_paths() {
    let tree = goproxy_tree();
    let proxy = GoProxy::start(tree.path(), None);
    let base = proxy.url();
    // The static server's 404.
    let line = check(&json!({"source": src(&base, "example.com/missing", json!({}))})).fails();
    assert!(
        line.contains("Go package `example.com/missing` not found at")
            && line.contains("/example.com/missing/@v/list"),
        "{line}"
    );
    // proxy.golang.org answers 410 Gone for what it cannot find (a fault no static server makes).
    let gone = fake::serve(|_, path| {
        if path.ends_with("/@v/list") {
            Reply::new(
                410,
                "not found: module example.com/gone: no matching versions",
            )
        } else {
            Reply::new(500, "")
        }
    });
    let line = check(
        &json!({"source": {"go": "example.com/gone", "proxy": format!("http://127.0.0.1:{gone}")}}),
    )
    .fails();
    assert!(
        line.contains("Go package `example.com/gone` not found"),
        "{line}"
    );
    for (module, expected) in [
        ("example.com/../x", "invalid path element \"..\""),
        ("example.com//x", "double slash"),
        ("example.com/x/", "trailing slash"),
        ("localhost/x", "missing dot in first path element"),
        ("Example.com/x", "invalid char 'E' in first path element"),
        ("example.com/x/v1", "invalid version"),
        ("example.com/a b", "invalid char ' '"),
        ("example.com/!x", "invalid char '!'"),
    ] {
        let line = check(&json!({"source": {"go": module, "proxy": base}})).fails();
        assert!(
            line.contains("source.go") && line.contains(expected),
            "{module}: {line}"
        );
    }
    let line =
        check(&json!({"source": {"go": "example.com/lib", "proxy": "ftp://example.com"}})).fails();
    assert!(line.contains("source.proxy"), "{line}");
    let line = check(&json!({"source": {"npm": "x", "proxy": base}})).fails();
    assert!(
        line.contains("source.proxy: not a field of npm sources"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn go_credentials_go_only_to_the_proxy() {
    use base64::Engine as _;
    let tree = goproxy_tree();
    let password = crate::support::secret("s3cret-goproxy-pass");
    let basic = base64::engine::general_purpose::STANDARD.encode(format!("ci:{password}"));
    let proxy = GoProxy::start(tree.path(), Some(&basic));
    // Another host serving the same tree; the proxy redirects one module's list there.
    let other = GoProxy::start(tree.path(), None);
    list(tree.path(), "example.com/moved", &["v1.0.0"]);
    std::fs::write(
        tree.path().join("example.com/moved/@v/list.redirect"),
        format!("http://localhost:{}/example.com/lib/@v/list", other.port),
    )
    .unwrap();
    let base = proxy.url();
    // Without credentials the proxy refuses.
    let line = check(&json!({"source": src(&base, "example.com/lib", json!({}))})).fails();
    assert!(line.contains("HTTP 401"), "{line}");
    let with = |module: &str| {
        src(
            &base,
            module,
            json!({"username": "ci", "password": password}),
        )
    };
    let out = check(&json!({"source": with("example.com/lib")})).succeeds();
    assert_eq!(versions(&out), ["v1.1.0"]);
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": with("example.com/lib"), "version": {"version": "v1.1.0"}}),
        dest.path(),
    )
    .succeeds();
    assert!(proxy
        .seen()
        .contains(&format!("/example.com/lib/@v/v1.1.0.info Basic {basic}")));
    // Followed across the redirect, without the credentials.
    let run = check(&json!({"source": with("example.com/moved")}));
    assert_eq!(versions(&run.succeeds()), ["v1.1.0"]);
    assert_eq!(other.seen(), ["/example.com/lib/@v/list -"]);
    assert!(!run.stderr.contains(&password));
}
