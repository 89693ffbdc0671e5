//! Helm chart sources: an HTTP chart repository (`index.yaml` in Helm's format, real `.tgz`
//! charts made by `tar`) served by Python's static file server, and charts pushed with Helm's
//! media types to Debian's docker-registry (token auth).

use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use crate::support::{check, free_port, get, versions};
use base64::Engine as _;
use serde_json::{json, Value};
use std::path::Path;
use std::process::{Child, Command, Stdio};

const USER: &str = "chart-reader";

/// Python's static file server, asking `expected` (a full `Authorization` value) when set and
/// writing `<path> <Authorization or ->` for every request to `log`.
const SERVER: &str = r#"
import http.server, os, sys
expected = os.environ.get("EXPECTED_AUTH")
log = os.environ["REQUEST_LOG"]
class H(http.server.SimpleHTTPRequestHandler):
    def send_head(self):
        got = self.headers.get("Authorization")
        with open(log, "a") as f:
            f.write("%s %s\n" % (self.path, "auth" if got else "-"))
        if expected and got != expected:
            self.send_response(401)
            self.send_header("WWW-Authenticate", 'Basic realm="charts"')
            self.send_header("Content-Length", "0")
            self.end_headers()
            return None
        return super().send_head()
    def log_message(self, *a):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])),
    lambda *a, **k: H(*a, directory=sys.argv[2], **k)).serve_forever()
"#;

/// The server process, killed on drop.
struct Server {
    port: u16,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A static server for `dir`; `auth` (user, password) required when given.
fn serve(dir: &Path, auth: Option<(&str, &str)>, log: &Path) -> Server {
    let port = free_port();
    let mut cmd = Command::new("python3");
    cmd.args(["-c", SERVER, &port.to_string()])
        .arg(dir)
        .env("REQUEST_LOG", log)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    if let Some((u, p)) = auth {
        let b = base64::engine::general_purpose::STANDARD.encode(format!("{u}:{p}"));
        cmd.env("EXPECTED_AUTH", format!("Basic {b}"));
    }
    let mut server = Server {
        port,
        child: cmd.spawn().expect("python3 (ci/test installs it)"),
    };
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "the static server did not start"
        );
        if let Ok(Some(status)) = server.child.try_wait() {
            panic!("the static server exited: {status}");
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    server
}

/// A packaged chart as `helm package` lays it out: `<name>/Chart.yaml` in a gzipped tar.
fn chart_tgz(dir: &Path, file: &str, name: &str, version: &str) -> Vec<u8> {
    let work = tempfile::tempdir().unwrap();
    std::fs::create_dir_all(work.path().join(name)).unwrap();
    std::fs::write(
        work.path().join(name).join("Chart.yaml"),
        format!("apiVersion: v2\nname: {name}\nversion: {version}\n"),
    )
    .unwrap();
    let out = dir.join(file);
    std::fs::create_dir_all(out.parent().unwrap()).unwrap();
    let status = Command::new("tar")
        .arg("czf")
        .arg(&out)
        .arg("-C")
        .arg(work.path())
        .arg(name)
        .status()
        .unwrap();
    assert!(status.success());
    std::fs::read(&out).unwrap()
}

/// One `entries` item as `helm repo index` writes it.
fn entry(name: &str, version: &str, url: &str, digest: &str, extra: &str) -> String {
    format!(
        "  - apiVersion: v2\n    appVersion: \"{version}-app\"\n    created: \"2026-01-02T03:04:05.678901234Z\"\n    description: A Helm chart\n    digest: {digest}\n    name: {name}\n    type: application\n    urls:\n    - {url}\n    version: {version}\n{extra}"
    )
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn http_chart_repository_versions_downloads_and_credentials() {
    let password = crate::support::secret("helm-repo-Pa55");
    let repo = tempfile::tempdir().unwrap();
    let cdn = tempfile::tempdir().unwrap();
    let logs = tempfile::tempdir().unwrap();
    let repo_log = logs.path().join("repo.log");
    let cdn_log = logs.path().join("cdn.log");
    let cdn_server = serve(cdn.path(), None, &cdn_log);
    let cdn_base = format!("http://127.0.0.1:{}", cdn_server.port);

    let hex = |bytes: &[u8]| sha256(bytes)[7..].to_string();
    let t090 = chart_tgz(repo.path(), "demo-0.9.0.tgz", "demo", "0.9.0");
    let t100 = chart_tgz(repo.path(), "charts/demo-v1.0.0.tgz", "demo", "v1.0.0");
    let trc = chart_tgz(repo.path(), "demo-1.1.0-rc.1.tgz", "demo", "1.1.0-rc.1");
    let t12 = chart_tgz(repo.path(), "demo-1.2.tgz", "demo", "1.2");
    let t130 = chart_tgz(repo.path(), "demo-1.3.0.tgz", "demo", "1.3.0");
    chart_tgz(repo.path(), "demo-1.4.0.tgz", "demo", "1.4.0");
    let t200 = chart_tgz(cdn.path(), "demo-2.0.0.tgz", "demo", "2.0.0");
    let index = format!(
        "apiVersion: v1\nentries:\n  demo:\n{}{}{}{}{}{}{}{}  other:\n{}generated: \"2026-01-02T03:04:05Z\"\n",
        entry("demo", "2.0.0", &format!("{cdn_base}/demo-2.0.0.tgz"), &hex(&t200), ""),
        entry("demo", "1.4.0", "demo-1.4.0.tgz", &hex(b"not the chart"), ""),
        entry("demo", "1.3.0", "demo-1.3.0.tgz", &hex(&t130), "    deprecated: true\n"),
        entry("demo", "1.2", "demo-1.2.tgz", &hex(&t12), ""),
        entry("demo", "1.1.0-rc.1", "demo-1.1.0-rc.1.tgz", &hex(&trc), ""),
        entry("demo", "v1.0.0", "charts/demo-v1.0.0.tgz", &hex(&t100), ""),
        entry("demo", "0.9.0", "./demo-0.9.0.tgz", &hex(&t090), ""),
        entry("demo", "latest", "demo-latest.tgz", &hex(b"x"), ""),
        entry("other", "9.0.0", "other-9.0.0.tgz", &hex(b"y"), ""),
    );
    std::fs::write(repo.path().join("index.yaml"), index).unwrap();
    let server = serve(repo.path(), Some((USER, &password)), &repo_log);
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = |extra: Value| {
        let mut s = json!({"helm": "demo", "repository": base, "username": USER,
                           "password": password, "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let cursor = |v: &str| json!({"version": v});

    // Semver order with Helm's reading (`v1.0.0`, `1.2` = 1.2.0); the deprecated 1.3.0, the
    // pre-release and the entry that is not a version are left out.
    let first = check(&json!({"source": src(json!({}))}));
    assert_eq!(first.succeeds(), json!([{"version": "2.0.0"}]));
    assert_eq!(
        first.request_lines().len(),
        1,
        "{:?}",
        first.request_lines()
    );
    let out = check(&json!({"source": src(json!({})), "version": cursor("v1.0.0")})).succeeds();
    assert_eq!(versions(&out), ["v1.0.0", "1.2", "1.4.0", "2.0.0"]);
    let out = check(
        &json!({"source": src(json!({"constraint": "^1.0.0"})), "version": cursor("v1.0.0")}),
    )
    .succeeds();
    assert_eq!(versions(&out), ["v1.0.0", "1.2", "1.4.0"]);
    let out = check(&json!({"source": src(json!({"constraint": "<1.2", "pre_releases": true})), "version": cursor("0.9.0")})).succeeds();
    assert_eq!(versions(&out), ["0.9.0", "v1.0.0", "1.1.0-rc.1"]);
    // A cursor no longer among the candidates (deprecated): the newest.
    let out = check(&json!({"source": src(json!({})), "version": cursor("1.3.0")})).succeeds();
    assert_eq!(versions(&out), ["2.0.0"]);
    // Asked again: a 304 on `If-Modified-Since`, the kept list.
    let again = check(&json!({"source": src(json!({}))}));
    assert_eq!(again.succeeds(), json!([{"version": "2.0.0"}]));
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );

    // `in` with a verified download of a relative URL in a subdirectory.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src(json!({})), "version": cursor("v1.0.0"), "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(got["version"], cursor("v1.0.0"));
    assert_eq!(
        std::fs::read(dest.path().join("demo-v1.0.0.tgz")).unwrap(),
        t100
    );
    assert_eq!(read(dest.path(), "version"), "v1.0.0");
    assert_eq!(
        read(dest.path(), "url"),
        format!("{base}/charts/demo-v1.0.0.tgz")
    );
    assert_eq!(read(dest.path(), "checksum"), sha256(&t100));
    assert_eq!(read(dest.path(), "app_version"), "v1.0.0-app");
    assert_eq!(read(dest.path(), "published_at"), "2026-01-02T03:04:05Z");
    let metadata = got["metadata"].as_array().unwrap();
    for (name, value) in [
        ("package", "demo".to_string()),
        ("app_version", "v1.0.0-app".to_string()),
        ("checksum", sha256(&t100)),
        ("files", "demo-v1.0.0.tgz".to_string()),
    ] {
        assert!(
            metadata.contains(&json!({"name": name, "value": value})),
            "{name}: {metadata:?}"
        );
    }
    // `./` relative URLs resolve too; a deprecated version can still be fetched by `in`.
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": src(json!({})), "version": cursor("0.9.0"), "params": {"download": "*.tgz"}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("demo-0.9.0.tgz")).unwrap(),
        t090
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src(json!({})), "version": cursor("1.3.0")}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(read(dest.path(), "url"), format!("{base}/demo-1.3.0.tgz"));

    // A chart whose bytes are not the index's digest is refused and leaves nothing.
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src(json!({})), "version": cursor("1.4.0"), "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("expected sha256:"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // An absolute URL on another host: downloaded and verified, without the credentials.
    let before = std::fs::read_to_string(&repo_log).unwrap_or_default();
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": src(json!({})), "version": cursor("2.0.0"), "params": {"download": "*.tgz"}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("demo-2.0.0.tgz")).unwrap(),
        t200
    );
    assert_eq!(
        read(dest.path(), "url"),
        format!("{cdn_base}/demo-2.0.0.tgz")
    );
    let cdn_requests = std::fs::read_to_string(&cdn_log).unwrap();
    assert_eq!(cdn_requests.trim(), "/demo-2.0.0.tgz -", "{cdn_requests}");
    let repo_requests = std::fs::read_to_string(&repo_log).unwrap();
    let new: Vec<&str> = repo_requests[before.len()..].lines().collect();
    assert_eq!(new, ["/index.yaml auth"], "{repo_requests}");

    // Wrong credentials: the repository's refusal, named, without the password.
    let line = check(&json!({"source": src(json!({"password": "not-the-Pa55word"}))})).fails();
    assert!(
        line.contains("index.yaml") && line.contains("401"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"helm": "nope"}))})).fails();
    assert!(line.contains("Helm package `nope` not found"), "{line}");
    let line = check(&json!({"source": src(json!({"suite": "bookworm"}))})).fails();
    assert!(line.contains("source.suite"), "{line}");
    let line = check(&json!({"source": {"helm": "demo"}})).fails();
    assert!(
        line.contains("source.repository") && line.contains("required with helm"),
        "{line}"
    );
    let line =
        check(&json!({"source": src(json!({"repository": "ftp://example.org/charts"}))})).fails();
    assert!(line.contains("source.repository"), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn yaml_bombs_and_pages_that_are_not_indexes_are_refused() {
    let logs = tempfile::tempdir().unwrap();
    // A billion laughs: nine levels of nine aliases (9^9 strings once expanded).
    let bomb = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "apiVersion: v1\nentries:\n  demo:\n  - name: demo\n    version: 1.0.0\n    urls: [demo-1.0.0.tgz]\nlaughs:\n  a: &a [lol, lol, lol, lol, lol, lol, lol, lol, lol]\n",
    );
    for (name, prev) in ["b", "c", "d", "e", "f", "g", "h", "i"]
        .iter()
        .zip(["a", "b", "c", "d", "e", "f", "g", "h"])
    {
        let refs = vec![format!("*{prev}"); 9].join(", ");
        text.push_str(&format!("  {name}: &{name} [{refs}]\n"));
    }
    std::fs::write(bomb.path().join("index.yaml"), &text).unwrap();
    let server = serve(bomb.path(), None, &logs.path().join("bomb.log"));
    let src = json!({"helm": "demo", "repository": format!("http://127.0.0.1:{}", server.port)});
    let started = std::time::Instant::now();
    let line = check(&json!({ "source": src })).fails();
    assert!(
        line.contains("not a Helm repository index") && line.contains("budget"),
        "{line}"
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(20));

    // An HTML page where the index should be; no index at all.
    let html = tempfile::tempdir().unwrap();
    std::fs::write(
        html.path().join("index.yaml"),
        "<html><body>moved</body></html>\n",
    )
    .unwrap();
    let server = serve(html.path(), None, &logs.path().join("html.log"));
    let line = check(&json!({"source": {"helm": "demo", "repository": format!("http://127.0.0.1:{}", server.port)}})).fails();
    assert!(line.contains("not a Helm repository index"), "{line}");
    let line = check(&json!({"source": {"helm": "demo", "repository": format!("http://127.0.0.1:{}/nothing", server.port)}})).fails();
    assert!(line.contains("no index.yaml (HTTP 404)"), "{line}");
}

/// Pushes a chart as `helm push` does: the `Chart.yaml` as JSON in a config of Helm's media
/// type, the `.tgz` as the one layer, and the manifest under `tag`.
fn push_chart(seed: &Seeder<'_>, repo: &str, tag: &str, version: &str, created: &str) -> String {
    let tgz = format!("chart {version}").into_bytes();
    let config = json!({"apiVersion": "v2", "name": "demo", "version": version,
                        "appVersion": format!("{version}-app")});
    let config = serde_json::to_vec(&config).unwrap();
    let config_digest = seed.push_blob(repo, &config);
    let layer_digest = seed.push_blob(repo, &tgz);
    let manifest = json!({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": config_digest, "size": config.len()},
        "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": layer_digest, "size": tgz.len()}],
        "annotations": {"org.opencontainers.image.created": created,
                        "org.opencontainers.image.title": "demo", "org.opencontainers.image.version": version},
    });
    let bytes = serde_json::to_vec(&manifest).unwrap();
    seed.push_manifest(
        repo,
        tag,
        "application/vnd.oci.image.manifest.v1+json",
        &bytes,
    )
    .digest
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn oci_chart_tags_are_versions_with_build_metadata_mapped_back() {
    let reg = TestRegistry::start(Mode::Token);
    let seed = Seeder::new(&reg);
    let repo = "charts/demo";
    push_chart(&seed, repo, "0.1.0", "0.1.0", "2026-01-01T00:00:00Z");
    push_chart(&seed, repo, "1.0.0", "1.0.0", "2026-02-01T00:00:00Z");
    let build = push_chart(
        &seed,
        repo,
        "1.2.3_build.7",
        "1.2.3+build.7",
        "2026-03-01T00:00:00Z",
    );
    push_chart(
        &seed,
        repo,
        "1.3.0-rc.1",
        "1.3.0-rc.1",
        "2026-04-01T00:00:00Z",
    );
    // Tags Helm does not list as versions; an image under a version tag.
    push_chart(&seed, repo, "latest", "1.3.0-rc.1", "2026-04-01T00:00:00Z");
    push_chart(&seed, repo, "v9.0.0", "9.0.0", "2026-04-01T00:00:00Z");
    seed.image(repo, "0.5.0", "not a chart", &[], &[]);

    let mut src = reg.source("unused", json!({"helm": "demo", "debug": true}));
    src["repository"] = json!(format!("oci://{}/charts", reg.host()));
    let with = |extra: Value| {
        let mut s = src.clone();
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let out = check(&json!({ "source": src })).succeeds();
    assert_eq!(
        out,
        json!([{"version": "1.2.3+build.7", "tag": "1.2.3_build.7"}])
    );
    let out = check(&json!({"source": src, "version": {"version": "0.1.0"}})).succeeds();
    assert_eq!(versions(&out), ["0.1.0", "0.5.0", "1.0.0", "1.2.3+build.7"]);
    let out = check(&json!({"source": with(json!({"pre_releases": true}))})).succeeds();
    assert_eq!(out, json!([{"version": "1.3.0-rc.1"}]));
    let out = check(
        &json!({"source": with(json!({"constraint": "~1.2"})), "version": {"version": "1.0.0"}}),
    )
    .succeeds();
    assert_eq!(
        out,
        json!([{"version": "1.2.3+build.7", "tag": "1.2.3_build.7"}])
    );

    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src, "version": {"version": "1.2.3+build.7", "tag": "1.2.3_build.7"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        got["version"],
        json!({"version": "1.2.3+build.7", "tag": "1.2.3_build.7"})
    );
    assert_eq!(read(dest.path(), "version"), "1.2.3+build.7");
    assert_eq!(read(dest.path(), "tag"), "1.2.3_build.7");
    assert_eq!(read(dest.path(), "checksum"), build);
    assert_eq!(
        read(dest.path(), "url"),
        format!("oci://{}/charts/demo:1.2.3_build.7", reg.host())
    );
    assert_eq!(read(dest.path(), "app_version"), "1.2.3+build.7-app");
    assert_eq!(read(dest.path(), "published_at"), "2026-03-01T00:00:00Z");

    // `download`: the chart layer, as `helm pull` names it, verified against its digest.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src, "version": {"version": "1.2.3+build.7", "tag": "1.2.3_build.7"},
                "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("demo-1.2.3+build.7.tgz")).unwrap(),
        b"chart 1.2.3+build.7"
    );
    assert!(got["metadata"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "files", "value": "demo-1.2.3+build.7.tgz"})));
    // A layer changed in the registry's storage is refused, and DEST stays empty.
    std::fs::write(reg.blob_file(&sha256(b"chart 1.0.0")), b"chart 6.6.6").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src, "version": {"version": "1.0.0"}, "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("expected sha256:"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // An image is not a chart; a chart that is not there; no credentials.
    let line = get(
        &json!({"source": src, "version": {"version": "0.5.0"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("not a Helm chart"), "{line}");
    let line = check(&json!({"source": with(json!({"helm": "nope"}))})).fails();
    assert!(line.contains("nope"), "{line}");
    let mut anonymous = src.clone();
    anonymous.as_object_mut().unwrap().remove("username");
    anonymous.as_object_mut().unwrap().remove("password");
    let line = check(&json!({ "source": anonymous })).fails();
    assert!(line.contains("127.0.0.1"), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn oci_charts_over_tls_with_a_private_ca_and_basic_credentials() {
    let reg = TestRegistry::start(Mode::TlsBasic);
    let seed = Seeder::new(&reg);
    let pushed = push_chart(
        &seed,
        "team/charts/web",
        "3.1.0",
        "3.1.0",
        "2026-05-01T00:00:00Z",
    );
    let mut src = reg.source("unused", json!({"helm": "web"}));
    src["repository"] = json!(format!("oci://{}/team/charts/", reg.host()));
    assert_eq!(
        check(&json!({ "source": src })).succeeds(),
        json!([{"version": "3.1.0"}])
    );
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "3.1.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(read(dest.path(), "checksum"), pushed);
    // Without the CA the registry's certificate is not trusted; `insecure` skips verification.
    let mut untrusted = src.clone();
    untrusted.as_object_mut().unwrap().remove("ca_certs");
    let line = check(&json!({ "source": untrusted })).fails();
    assert!(
        line.contains("ca_certs") || line.contains("certificate"),
        "{line}"
    );
    untrusted["insecure"] = json!(true);
    assert_eq!(
        check(&json!({ "source": untrusted })).succeeds(),
        json!([{"version": "3.1.0"}])
    );
}
