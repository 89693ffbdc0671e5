//! Maven sources against a repository written by Maven itself (`mvn deploy:deploy-file` with
//! Debian's maven-deploy-plugin, into a `file://` repository), served by Python's static file
//! server on loopback.

use crate::support::{check, free_port, get, secret, servers, versions};
use serde_json::{json, Value};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

const GROUP_PATH: &str = "org/example/uptick";

/// Versions of `org.example.uptick:demo` in the order they are deployed: `<release>` ends up
/// being the last non-snapshot deployed (2.0-alpha-1), not the highest.
const DEPLOYED: [&str; 5] = ["1.0", "1.10", "1.2", "1.0-SNAPSHOT", "2.0-alpha-1"];

/// One `mvn` run (one JVM) deploying every version of `demo` (jar packaging) and a `demo-bom`
/// 1.0 (pom packaging) into a `file://` repository, through a settings file whose mirror is
/// Debian's local Maven repository (`/usr/share/maven-repo`: the plugin cannot run offline).
/// Built once and kept in Cargo's test temp dir (rename `maven-repository-v1` when the deploys
/// change); returns the repository root.
fn repository() -> &'static Path {
    static REPO: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    REPO.get_or_init(|| {
        let kept = Path::new(env!("CARGO_TARGET_TMPDIR")).join("maven-repository-v1");
        if kept.join("complete").exists() {
            return kept;
        }
        let work = tempfile::tempdir_in(env!("CARGO_TARGET_TMPDIR")).unwrap();
        let w = work.path();
        let repo = w.join("repo");
        std::fs::write(
            w.join("settings.xml"),
            "<settings><mirrors><mirror><id>debian</id><mirrorOf>*</mirrorOf><url>file:///usr/share/maven-repo</url></mirror></mirrors></settings>",
        )
        .unwrap();
        let mut executions = String::new();
        let mut deploy = |id: &str, file: &str, artifact: &str, version: &str, packaging: &str| {
            executions.push_str(&format!(
                "<execution><id>{id}</id><phase>validate</phase><goals><goal>deploy-file</goal></goals><configuration><file>{file}</file><groupId>org.example.uptick</groupId><artifactId>{artifact}</artifactId><version>{version}</version><packaging>{packaging}</packaging><generatePom>true</generatePom><url>file://{}</url><repositoryId>test</repositoryId></configuration></execution>",
                repo.display()
            ));
        };
        for (i, v) in DEPLOYED.iter().enumerate() {
            let file = format!("demo-{v}.jar");
            std::fs::write(w.join(&file), format!("the demo jar, version {v}\n")).unwrap();
            deploy(&format!("demo{i}"), &file, "demo", v, "jar");
        }
        std::fs::write(
            w.join("bom.pom"),
            "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion><groupId>org.example.uptick</groupId><artifactId>demo-bom</artifactId><version>1.0</version><packaging>pom</packaging></project>",
        )
        .unwrap();
        deploy("bom", "bom.pom", "demo-bom", "1.0", "pom");
        std::fs::write(
            w.join("pom.xml"),
            format!(
                "<project xmlns=\"http://maven.apache.org/POM/4.0.0\"><modelVersion>4.0.0</modelVersion><groupId>x</groupId><artifactId>deployer</artifactId><version>1</version><packaging>pom</packaging><build><plugins><plugin><groupId>org.apache.maven.plugins</groupId><artifactId>maven-deploy-plugin</artifactId><version>3.0.0</version><executions>{executions}</executions></plugin></plugins></build></project>"
            ),
        )
        .unwrap();
        let out = Command::new("mvn")
            .args(["-q", "-B", "-s", "settings.xml", "validate"])
            .arg(format!("-Dmaven.repo.local={}", w.join("local").display()))
            .current_dir(w)
            .output()
            .unwrap_or_else(|e| panic!("mvn: {e} (ci/test installs maven)"));
        assert!(
            out.status.success(),
            "mvn deploy (ci/test installs maven and libmaven-deploy-plugin-java): {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        std::fs::write(repo.join("complete"), "").unwrap();
        // Another test process may have finished first: either tree will do.
        let _ = std::fs::rename(&repo, &kept);
        kept
    })
}

/// A copy of the repository a test may change.
fn repository_copy() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let out = Command::new("cp")
        .arg("-a")
        .arg(format!("{}/.", repository().display()))
        .arg(dir.path())
        .output()
        .unwrap();
    assert!(out.status.success(), "{out:?}");
    dir
}

fn with(base: &Value, extra: Value) -> Value {
    let mut s = base.clone();
    for (k, v) in extra.as_object().unwrap() {
        s[k] = v.clone();
    }
    s
}

fn read(dir: &Path, file: &str) -> String {
    std::fs::read_to_string(dir.join(file)).unwrap_or_else(|e| panic!("{file}: {e}"))
}

#[test]
#[cfg_attr(
    not(all(uptick_has_maven, uptick_has_python3)),
    ignore = "needs java, javac, mvn and Maven's deploy plugin; python3 (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java python3)"
)]
fn maven_order_is_comparable_version_not_release_with_ranges_and_cursor() {
    let repo = repository();
    let metadata = read(repo, &format!("{GROUP_PATH}/demo/maven-metadata.xml"));
    // What the deploy plugin wrote: versions in deploy order, `<release>` the last deployed.
    assert!(
        metadata.contains("<release>2.0-alpha-1</release>"),
        "{metadata}"
    );
    assert!(
        metadata.contains("<version>1.10</version>\n      <version>1.2</version>"),
        "{metadata}"
    );
    let server = servers::static_files(repo);
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = json!({"maven": "org.example.uptick:demo", "repository": base, "debug": true});

    // The newest by ComparableVersion: 1.10 > 1.2; not <release>, not the last listed.
    let run = check(&json!({"source": src}));
    assert_eq!(versions(&run.succeeds()), ["1.10"]);
    assert_eq!(
        run.requests("GET", "/org/example/uptick/demo/maven-metadata.xml"),
        1
    );
    assert_eq!(run.request_lines().len(), 1, "{:?}", run.request_lines());
    let out = check(&json!({"source": src, "version": {"version": "1.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.0", "1.2", "1.10"]);
    // Snapshots and alpha versions are pre-releases: 1.0-SNAPSHOT < 1.0, 2.0-alpha-1 newest.
    let pre = with(&src, json!({"pre_releases": true}));
    let out = check(&json!({"source": pre, "version": {"version": "1.0-SNAPSHOT"}})).succeeds();
    assert_eq!(
        versions(&out),
        ["1.0-SNAPSHOT", "1.0", "1.2", "1.10", "2.0-alpha-1"]
    );
    // Ranges: half-open, unions, a bare version as exactly that version.
    let out = check(&json!({"source": with(&src, json!({"constraint": "[1.1,2.0)"})), "version": {"version": "1.2"}})).succeeds();
    assert_eq!(versions(&out), ["1.2", "1.10"]);
    let out = check(&json!({"source": with(&src, json!({"constraint": "(,1.0],[1.10,)"})), "version": {"version": "1.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.0", "1.10"]);
    let out = check(&json!({"source": with(&src, json!({"constraint": "1.2"}))})).succeeds();
    assert_eq!(versions(&out), ["1.2"]);
    // As the POM reference warns, [1.0,2.0) admits 2.0-alpha-1 (it sorts before 2.0), when
    // pre-releases are admitted at all.
    let out = check(&json!({"source": with(&pre, json!({"constraint": "[1.0,2.0)"}))})).succeeds();
    assert_eq!(versions(&out), ["2.0-alpha-1"]);
    let out = check(&json!({"source": with(&src, json!({"constraint": "[1.0,2.0)", "exclude_regex": "^1\\.10$"}))})).succeeds();
    assert_eq!(versions(&out), ["1.2"]);
    // A cursor no longer listed gives the newest.
    let out = check(&json!({"source": src, "version": {"version": "1.5"}})).succeeds();
    assert_eq!(versions(&out), ["1.10"]);
    // A re-check is one conditional request answered 304.
    let again = check(&json!({"source": src}));
    assert_eq!(versions(&again.succeeds()), ["1.10"]);
    assert_eq!(again.request_lines().len(), 1);
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );

    let line = check(&json!({"source": with(&src, json!({"constraint": "[1.0,2.0"}))})).fails();
    assert!(
        line.contains("`[1.0,2.0` is not a Maven version range: unbounded range"),
        "{line}"
    );
    let line = check(&json!({"source": with(&src, json!({"constraint": ">=1.0"}))})).fails();
    assert!(line.contains("source.constraint"), "{line}");
    assert!(line.contains("write `[1.0,)`"), "{line}");
}

#[test]
#[cfg_attr(
    not(all(uptick_has_maven, uptick_has_python3)),
    ignore = "needs java, javac, mvn and Maven's deploy plugin; python3 (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java python3)"
)]
fn maven_in_writes_the_main_artifact_and_downloads_it_verified() {
    let copy = repository_copy();
    let dir = copy.path().join(GROUP_PATH).join("demo");
    // 1.2 also publishes a SHA-512 sidecar (as Maven Central does for newer uploads), as
    // `sha512sum` writes it: preferred over the SHA-1 the deploy plugin wrote.
    let out = Command::new("sha512sum")
        .arg("demo-1.2.jar")
        .current_dir(dir.join("1.2"))
        .output()
        .unwrap();
    assert!(out.status.success());
    std::fs::write(dir.join("1.2/demo-1.2.jar.sha512"), &out.stdout).unwrap();
    let sha512 = String::from_utf8(out.stdout).unwrap()[..128].to_string();
    let server = servers::static_files(copy.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = json!({"maven": "org.example.uptick:demo", "repository": base, "debug": true});
    let url = |v: &str, file: &str| format!("{base}/{GROUP_PATH}/demo/{v}/{file}");

    // 1.10: the jar, its SHA-1 from the deploy plugin's sidecar; downloaded and verified.
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": src, "version": {"version": "1.10"}, "params": {"download": "*.jar"}}),
        dest.path(),
    );
    let got = run.succeeds();
    assert_eq!(got["version"], json!({"version": "1.10"}));
    let d = dest.path();
    assert_eq!(read(d, "version"), "1.10");
    assert_eq!(read(d, "url"), url("1.10", "demo-1.10.jar"));
    let sha1 = read(&dir.join("1.10"), "demo-1.10.jar.sha1");
    assert_eq!(read(d, "checksum"), format!("sha1:{}", sha1.trim()));
    assert_eq!(
        std::fs::read(d.join("demo-1.10.jar")).unwrap(),
        b"the demo jar, version 1.10\n"
    );
    let meta: Vec<&str> = got["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap())
        .collect();
    assert_eq!(meta, ["package", "version", "url", "checksum", "files"]);
    assert_eq!(got["metadata"][0]["value"], "org.example.uptick:demo");
    // The POM (no `<packaging>`: a jar), then the sidecars: .sha512 and .sha256 absent, .sha1.
    assert_eq!(
        run.requests("GET", "/1.10/demo-1.10.pom"),
        4,
        "{}",
        run.stderr
    );
    assert_eq!(run.requests("GET", "/1.10/demo-1.10.jar"), 4);

    // 1.2: the SHA-512 sidecar wins; both files downloaded, each verified.
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src, "version": {"version": "1.2"}, "params": {"download": "demo-*"}}),
        dest.path(),
    )
    .succeeds();
    let d = dest.path();
    assert_eq!(read(d, "checksum"), format!("sha512:{sha512}"));
    use sha2::Digest as _;
    let jar = std::fs::read(d.join("demo-1.2.jar")).unwrap();
    assert_eq!(hex::encode(sha2::Sha512::digest(&jar)), sha512);
    assert!(d.join("demo-1.2.pom").exists());
    assert_eq!(got["metadata"][4]["value"], "demo-1.2.jar demo-1.2.pom");

    // A snapshot: its files carry the deploy's timestamp, read from the version's metadata,
    // which also says when it was deployed.
    let snapshot_meta = read(&dir.join("1.0-SNAPSHOT"), "maven-metadata.xml");
    let value = snapshot_meta
        .split("<value>")
        .nth(1)
        .and_then(|s| s.split("</value>").next())
        .unwrap()
        .to_string();
    let updated = snapshot_meta
        .split("<updated>")
        .nth(1)
        .and_then(|s| s.split("</updated>").next())
        .unwrap()
        .to_string();
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": with(&src, json!({"pre_releases": true})), "version": {"version": "1.0-SNAPSHOT"}, "params": {"download": "*.jar"}}),
        dest.path(),
    )
    .succeeds();
    let d = dest.path();
    let file = format!("demo-{value}.jar");
    assert_eq!(read(d, "url"), url("1.0-SNAPSHOT", &file));
    assert_eq!(
        std::fs::read(d.join(&file)).unwrap(),
        b"the demo jar, version 1.0-SNAPSHOT\n"
    );
    assert_eq!(
        read(d, "published_at"),
        format!(
            "{}-{}-{}T{}:{}:{}Z",
            &updated[..4],
            &updated[4..6],
            &updated[6..8],
            &updated[8..10],
            &updated[10..12],
            &updated[12..14]
        )
    );

    // pom packaging: the POM is the artifact.
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": with(&src, json!({"maven": "org.example.uptick:demo-bom"})), "version": {"version": "1.0"}, "params": {"download": "*"}}),
        dest.path(),
    )
    .succeeds();
    let d = dest.path();
    assert_eq!(
        read(d, "url"),
        format!("{base}/{GROUP_PATH}/demo-bom/1.0/demo-bom-1.0.pom")
    );
    assert!(read(d, "demo-bom-1.0.pom").contains("<packaging>pom</packaging>"));
    assert!(read(d, "checksum").starts_with("sha1:"));
}

#[test]
#[cfg_attr(
    not(all(uptick_has_maven, uptick_has_python3)),
    ignore = "needs java, javac, mvn and Maven's deploy plugin; python3 (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java python3)"
)]
fn maven_refuses_files_that_miss_their_sidecar_hash() {
    let copy = repository_copy();
    let dir = copy.path().join(GROUP_PATH).join("demo");
    // 1.10's jar changed after its .sha1 was written; 1.2's .sha512 names other bytes; 1.0's
    // jar has no sidecar at all.
    let mut jar = std::fs::read(dir.join("1.10/demo-1.10.jar")).unwrap();
    jar.extend_from_slice(b"tampered");
    std::fs::write(dir.join("1.10/demo-1.10.jar"), jar).unwrap();
    std::fs::write(dir.join("1.2/demo-1.2.jar.sha512"), "ab".repeat(64)).unwrap();
    for ext in ["sha1", "md5"] {
        std::fs::remove_file(dir.join(format!("1.0/demo-1.0.jar.{ext}"))).unwrap();
    }
    let server = servers::static_files(copy.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = json!({"maven": "org.example.uptick:demo", "repository": base});
    let fetch = |version: &str, glob: &str| {
        let dest = tempfile::tempdir().unwrap();
        let run = get(
            &json!({"source": src, "version": {"version": version}, "params": {"download": glob}}),
            dest.path(),
        );
        let empty = std::fs::read_dir(dest.path()).unwrap().count() == 0;
        (run, empty)
    };

    let (run, empty) = fetch("1.10", "*.jar");
    let line = run.fails();
    assert!(line.contains("demo-1.10.jar"), "{line}");
    assert!(line.contains("content has digest sha1:"), "{line}");
    assert!(empty, "a failed get leaves DEST as it was");
    let (run, empty) = fetch("1.2", "*.jar");
    let line = run.fails();
    assert!(
        line.contains(&format!("expected sha512:{}", "ab".repeat(64))),
        "{line}"
    );
    assert!(empty);
    let (run, empty) = fetch("1.0", "*.jar");
    let line = run.fails();
    assert!(
        line.contains("demo-1.0.jar: the index publishes no hash"),
        "{line}"
    );
    assert!(empty);
    // Without a download, `in` still writes what is known (no checksum: there is none).
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "1.0"}}),
        dest.path(),
    )
    .succeeds();
    assert!(!dest.path().join("checksum").exists());
    assert_eq!(
        read(dest.path(), "url"),
        format!("{base}/{GROUP_PATH}/demo/1.0/demo-1.0.jar")
    );

    // Errors name what is wrong.
    let line =
        check(&json!({"source": with(&src, json!({"maven": "org.example.uptick:nope"}))})).fails();
    assert!(
        line.contains(&format!("Maven package `org.example.uptick:nope` not found at {base}/org/example/uptick/nope/maven-metadata.xml")),
        "{line}"
    );
    let line = check(&json!({"source": with(&src, json!({"maven": "commons-lang3"}))})).fails();
    assert!(
        line.contains("source.maven: `commons-lang3` is not GROUP:ARTIFACT"),
        "{line}"
    );
    let line = check(&json!({"source": with(&src, json!({"maven": "org..x:a"}))})).fails();
    assert!(line.contains("source.maven"), "{line}");
    let line = check(&json!({"source": with(&src, json!({"suite": "bookworm"}))})).fails();
    assert!(
        line.contains("source.suite: not a field of maven sources"),
        "{line}"
    );
    let line = check(
        &json!({"source": with(&src, json!({"repository": "ftp://user:hunter22@example.org/m2"}))}),
    )
    .fails();
    assert!(
        line.contains("source.repository: `ftp://example.org/m2` is not an http(s) URL"),
        "{line}"
    );
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src, "version": {"version": "9.9"}}),
        dest.path(),
    )
    .fails();
    assert!(
        line.contains("org.example.uptick:demo 9.9 is no longer listed"),
        "{line}"
    );
    let line = check(&json!({"source": with(&src, json!({"mavn": "x"}))})).fails();
    assert!(line.contains("unknown field `mavn`"), "{line}");
}

/// Python's static file server, logging `path auth|none` per GET to a file, and answering
/// requests for `.jar` files with a redirect to `redirect` when given (a repository manager
/// sending downloads to a blob store elsewhere).
struct Logged {
    port: u16,
    log: PathBuf,
    child: Child,
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn logged_server(dir: &Path, log: PathBuf, redirect: Option<String>) -> Logged {
    const SCRIPT: &str = r#"
import functools, http.server, sys
port, log, directory, redirect = int(sys.argv[1]), open(sys.argv[2], "a", buffering=1), sys.argv[3], sys.argv[4]
class Handler(http.server.SimpleHTTPRequestHandler):
    def do_GET(self):
        log.write("%s %s\n" % (self.path, "auth" if self.headers.get("Authorization") else "none"))
        if redirect and self.path.endswith(".jar"):
            self.send_response(302)
            self.send_header("Location", redirect + self.path)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        super().do_GET()
    def log_message(self, *args):
        pass
http.server.ThreadingHTTPServer(("127.0.0.1", port), functools.partial(Handler, directory=directory)).serve_forever()
"#;
    let port = free_port();
    let mut child = Command::new("python3")
        .args(["-c", SCRIPT, &port.to_string()])
        .arg(&log)
        .arg(dir)
        .arg(redirect.unwrap_or_default())
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3");
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(
            std::time::Instant::now() < deadline,
            "python3 did not start"
        );
        assert!(child.try_wait().unwrap().is_none(), "python3 exited");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    Logged { port, log, child }
}

#[test]
#[cfg_attr(
    not(all(uptick_has_maven, uptick_has_python3)),
    ignore = "needs java, javac, mvn and Maven's deploy plugin; python3 (apt-get install maven default-jdk-headless libmaven-deploy-plugin-java python3)"
)]
fn maven_credentials_go_only_to_the_repository_host() {
    let repo = repository();
    let logs = tempfile::tempdir().unwrap();
    let store = logged_server(repo, logs.path().join("store"), None);
    let repository = logged_server(
        repo,
        logs.path().join("repository"),
        Some(format!("http://127.0.0.1:{}", store.port)),
    );
    let password = secret("maven-repository-password-31337");
    let src = json!({
        "maven": "org.example.uptick:demo",
        "repository": format!("http://127.0.0.1:{}", repository.port),
        "username": "deployer", "password": password, "debug": true,
    });
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "1.10"}, "params": {"download": "*.jar"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("demo-1.10.jar")).unwrap(),
        b"the demo jar, version 1.10\n"
    );
    let lines = |p: &Path| -> Vec<String> {
        std::fs::read_to_string(p)
            .unwrap_or_default()
            .lines()
            .map(str::to_string)
            .collect()
    };
    let at_repository = lines(&repository.log);
    let at_store = lines(&store.log);
    let jar = format!("/{GROUP_PATH}/demo/1.10/demo-1.10.jar");
    assert!(
        at_repository.contains(&format!("/{GROUP_PATH}/demo/maven-metadata.xml auth"))
            && at_repository.contains(&format!("{jar} auth"))
            && at_repository.iter().all(|l| l.ends_with(" auth")),
        "{at_repository:?}"
    );
    assert_eq!(at_store, [format!("{jar} none")]);
}
