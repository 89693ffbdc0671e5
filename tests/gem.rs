//! RubyGems source against a gem server on loopback: `.gem` files built by RubyGems itself
//! (Debian's `ruby`, `Gem::Package.build`, what `gem build` calls), a compact index written in
//! its documented format (Debian's RubyGems 3.3 `gem generate_index` writes only the legacy
//! Marshal indexes) that Bundler itself reads in one test, and versions API documents shaped as
//! rubygems.org answers them, served by Python's static file server.

use crate::support::fake::{self, Reply};
use crate::support::{check, dest_files, files_of, get, secret, servers, versions};
use serde_json::{json, Value};
use std::path::Path;
use std::process::Command;

/// Builds `name` at each (version, platform) with RubyGems into `dir/gems`; returns each file's
/// name, in the order asked.
fn build_gems(dir: &Path, name: &str, builds: &[(&str, &str)]) -> Vec<String> {
    let gems = dir.join("gems");
    std::fs::create_dir_all(&gems).unwrap();
    let mut args = vec![
        "-rrubygems/package".to_string(),
        "-e".to_string(),
        r#"ARGV.each_slice(3) { |n, v, p| s = Gem::Specification.new { |s| s.name = n; s.version = v; s.platform = p; s.summary = "uptick test gem"; s.authors = ["uptick"]; s.files = []; s.license = "MIT" }; puts "built: #{Gem::Package.build(s)}" }"#.to_string(),
    ];
    for (version, platform) in builds {
        args.extend([name.to_string(), version.to_string(), platform.to_string()]);
    }
    let out = Command::new("ruby")
        .args(&args)
        .current_dir(&gems)
        .output()
        .unwrap_or_else(|e| panic!("ruby: {e} (ci/test installs it)"));
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("built: "))
        .map(str::to_string)
        .collect()
}

fn sha256(path: &Path) -> String {
    crate::support::seed::sha256(&std::fs::read(path).unwrap())[7..].to_string()
}

/// `info/<name>` as the compact index writes it, one line per file in `files` (appended in
/// publication order), and the `versions` file listing it (with the info file's MD5, which
/// Bundler checks).
fn compact_index(dir: &Path, name: &str, files: &[String]) {
    let mut info = String::from("---\n");
    let mut listed = Vec::new();
    for file in files {
        let stem = file
            .strip_prefix(&format!("{name}-"))
            .and_then(|f| f.strip_suffix(".gem"))
            .unwrap();
        let deps = if stem.starts_with("1.10") {
            "rake:>= 12.0&< 14,racc:~> 1.4"
        } else {
            ""
        };
        info.push_str(&format!(
            "{stem} {deps}|checksum:{},ruby:>= 2.7\n",
            sha256(&dir.join("gems").join(file))
        ));
        listed.push(stem.to_string());
    }
    std::fs::create_dir_all(dir.join("info")).unwrap();
    std::fs::write(dir.join("info").join(name), &info).unwrap();
    let md5 = Command::new("md5sum")
        .arg(dir.join("info").join(name))
        .output()
        .unwrap();
    let md5 = String::from_utf8(md5.stdout).unwrap()[..32].to_string();
    std::fs::write(
        dir.join("versions"),
        format!(
            "created_at: 2026-11-29T00:00:00Z\n---\n{name} {} {md5}\n",
            listed.join(",")
        ),
    )
    .unwrap();
}

/// `api/v1/versions/<name>.json` as rubygems.org answers it, newest first.
fn versions_api(dir: &Path, name: &str, files: &[(String, &str, &str)]) {
    let list: Vec<Value> = files
        .iter()
        .rev()
        .map(|(file, version, created_at)| {
            let stem = file
                .strip_prefix(&format!("{name}-{version}"))
                .and_then(|f| f.strip_suffix(".gem"))
                .unwrap();
            json!({
                "authors": "uptick", "built_at": "2026-01-01T00:00:00.000Z",
                "created_at": created_at, "description": null, "downloads_count": 12,
                "metadata": {}, "number": version, "summary": "uptick test gem",
                "platform": stem.strip_prefix('-').unwrap_or("ruby"),
                "rubygems_version": ">= 0", "ruby_version": ">= 0",
                "prerelease": version.chars().any(|c| c.is_ascii_alphabetic()),
                "licenses": ["MIT"], "requirements": [],
                "sha": sha256(&dir.join("gems").join(file)), "spec_sha": "0".repeat(64),
            })
        })
        .collect();
    std::fs::create_dir_all(dir.join("api/v1/versions")).unwrap();
    std::fs::write(
        dir.join(format!("api/v1/versions/{name}.json")),
        Value::Array(list).to_string(),
    )
    .unwrap();
}

/// `demo` (compact index and versions API) and `legacy` (versions API only).
fn gem_server() -> (tempfile::TempDir, servers::Server) {
    let root = tempfile::tempdir().unwrap();
    let dir = root.path();
    // Publication order: a backport (1.3.1) after 1.10.0; 1.10.0 and 2.0.0.rc1 also for platforms.
    let builds = [
        ("1.1.0", "ruby"),
        ("1.2.0", "ruby"),
        ("1.3.0", "ruby"),
        ("1.10.0", "ruby"),
        ("1.10.0", "x86_64-linux"),
        ("1.10.0", "java"),
        ("2.0.0.rc1", "ruby"),
        ("2.0.0.rc1", "java"),
        ("1.3.1", "ruby"),
    ];
    let files = build_gems(dir, "demo", &builds);
    assert_eq!(files[4], "demo-1.10.0-x86_64-linux.gem");
    compact_index(dir, "demo", &files);
    let dated: Vec<(String, &str, &str)> = files
        .iter()
        .zip(builds)
        .enumerate()
        .map(|(i, (f, (v, _)))| {
            let at = [
                "2025-01-01T10:00:00.000Z",
                "2025-02-01T10:00:00.000Z",
                "2025-03-01T10:00:00.000Z",
                "2025-04-01T10:00:00.123Z",
                "2025-04-01T10:05:00.000Z",
                "2025-04-01T10:06:00.000Z",
                "2025-05-01T10:00:00.000Z",
                "2025-05-01T10:01:00.000Z",
                "2025-06-01T10:00:00.000Z",
            ][i];
            (f.clone(), v, at)
        })
        .collect();
    versions_api(dir, "demo", &dated);
    let legacy = build_gems(
        dir,
        "legacy",
        &[
            ("0.9.0", "ruby"),
            ("1.0.0", "java"),
            ("1.0.0", "ruby"),
            ("1.1.0.beta", "ruby"),
        ],
    );
    versions_api(
        dir,
        "legacy",
        &[
            (legacy[0].clone(), "0.9.0", "2024-01-01T00:00:00.000Z"),
            (legacy[1].clone(), "1.0.0", "2024-02-01T00:00:00.000Z"),
            (legacy[2].clone(), "1.0.0", "2024-02-02T00:00:00.000Z"),
            (legacy[3].clone(), "1.1.0.beta", "2024-03-01T00:00:00.000Z"),
        ],
    );
    // What a wrong `index_url` (a web page) answers.
    std::fs::write(dir.join("info/page"), "<!DOCTYPE html><html></html>\n").unwrap();
    let server = servers::static_files(dir);
    (root, server)
}

#[test]
#[cfg_attr(
    not(all(uptick_has_python3, uptick_has_ruby)),
    ignore = "needs python3; ruby and bundle (apt-get install python3 ruby ruby-bundler)"
)]
fn gem_compact_index_platforms_prereleases_requirements_and_cursor() {
    let (root, server) = gem_server();
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = |extra: Value| {
        let mut s = json!({"gem": "demo", "index_url": base, "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    // The newest release; platform gems folded into their version; one request.
    let run = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["1.10.0"]);
    assert_eq!(run.request_lines().len(), 1, "{:?}", run.request_lines());
    assert!(run.request_lines()[0].contains("/info/demo"));
    let cursor = |extra: Value, from: &str| {
        versions(&check(&json!({"source": src(extra), "version": {"version": from}})).succeeds())
    };
    assert_eq!(
        cursor(json!({}), "1.2.0"),
        ["1.2.0", "1.3.0", "1.3.1", "1.10.0"]
    );
    // The cursor gone: the newest.
    assert_eq!(cursor(json!({}), "1.2.5"), ["1.10.0"]);
    assert_eq!(
        cursor(json!({"pre_releases": true}), "1.10.0"),
        ["1.10.0", "2.0.0.rc1"]
    );
    assert_eq!(
        cursor(json!({"constraint": "~> 1.2, != 1.3.0"}), "1.1.0"),
        ["1.10.0"]
    );
    assert_eq!(
        cursor(json!({"constraint": "~> 1.2, != 1.3.0"}), "1.2.0"),
        ["1.2.0", "1.3.1", "1.10.0"]
    );
    assert_eq!(
        cursor(json!({"constraint": "~> 1.3.0"}), "1.3.0"),
        ["1.3.0", "1.3.1"]
    );
    // A requirement naming a prerelease admits prereleases (Gem::Dependency#match?).
    assert_eq!(
        cursor(json!({"constraint": ">= 1.10.0.a"}), "1.10.0"),
        ["1.10.0", "2.0.0.rc1"]
    );
    assert_eq!(
        cursor(
            json!({"exclude_regex": "^1\\.10", "ignore": ["1.3.1"]}),
            "1.2.0"
        ),
        ["1.2.0", "1.3.0"]
    );
    // A re-check asks conditionally (the server's Last-Modified) and reuses the kept list.
    let again = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&again.succeeds()), ["1.10.0"]);
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );

    // in: version, tag, url, checksum of the pure-Ruby gem, published_at from the versions API.
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src(json!({})), "version": {"version": "1.10.0"}}),
        dest.path(),
    )
    .succeeds();
    let gem = root.path().join("gems/demo-1.10.0.gem");
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "1.10.0"),
            ("tag", "1.10.0"),
            ("url", &format!("{base}/gems/demo-1.10.0.gem")),
            ("checksum", &format!("sha256:{}", sha256(&gem))),
            ("published_at", "2025-04-01T10:00:00Z"),
        ])
    );
    assert_eq!(
        out["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .map(|m| m["name"].as_str().unwrap())
            .collect::<Vec<_>>(),
        ["package", "version", "url", "published_at", "checksum"]
    );
    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src(json!({})), "version": {"version": "1.10.0"}, "params": {"download": "demo-1.10.0.gem"}}),
        dest.path(),
    )
    .succeeds();
    let read = |f: &str| std::fs::read_to_string(dest.path().join(f)).unwrap();
    assert_eq!(read("version"), "1.10.0");
    assert_eq!(read("url"), format!("{base}/gems/demo-1.10.0.gem"));
    assert_eq!(read("checksum"), format!("sha256:{}", sha256(&gem)));
    assert_eq!(read("published_at"), "2025-04-01T10:00:00Z");
    assert_eq!(
        std::fs::read(dest.path().join("demo-1.10.0.gem")).unwrap(),
        std::fs::read(&gem).unwrap()
    );
    assert!(!dest.path().join("demo-1.10.0-java.gem").exists());
    assert_eq!(got["version"], json!({"version": "1.10.0"}));
    assert!(got["metadata"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "files", "value": "demo-1.10.0.gem"})));
    // A platform's gem, verified by its own checksum line.
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src(json!({})), "version": {"version": "1.10.0"}, "params": {"download": "*-x86_64-linux.gem"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("demo-1.10.0-x86_64-linux.gem")).unwrap(),
        std::fs::read(root.path().join("gems/demo-1.10.0-x86_64-linux.gem")).unwrap()
    );
    // A .gem that does not match the index's checksum is refused and leaves nothing.
    std::fs::write(root.path().join("gems/demo-1.3.1.gem"), b"tampered").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src(json!({})), "version": {"version": "1.3.1"}, "params": {"download": "*.gem"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("expected sha256:"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    let line = check(&json!({"source": src(json!({"gem": "nope"}))})).fails();
    assert!(
        line.contains("RubyGems package `nope` not found at")
            && line.contains("/info/nope")
            && line.contains("/api/v1/versions/nope.json"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"gem": "page"}))})).fails();
    assert!(
        line.contains("/info/page: not a compact index info file (no `---` first line)"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"constraint": "~> 1.2, =>1"}))})).fails();
    assert!(
        line.contains("source.constraint") && line.contains("`=>1` is not a RubyGems requirement"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"gem": "../x"}))})).fails();
    assert!(
        line.contains("source.gem: `../x` is not a gem name"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"suite": "bookworm"}))})).fails();
    assert!(line.contains("source.suite"), "{line}");
    let line = check(&json!({"source": src(json!({"gem": "demo", "pypi": "demo"}))})).fails();
    assert!(line.contains("found pypi, gem"), "{line}");
}

#[test]
#[cfg_attr(
    not(all(uptick_has_python3, uptick_has_ruby)),
    ignore = "needs python3; ruby and bundle (apt-get install python3 ruby ruby-bundler)"
)]
fn gem_versions_api_when_there_is_no_compact_index() {
    let (root, server) = gem_server();
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = json!({"gem": "legacy", "index_url": base, "debug": true});
    let run = check(&json!({"source": src}));
    assert_eq!(versions(&run.succeeds()), ["1.0.0"]);
    let lines = run.request_lines();
    assert!(
        lines.len() == 2
            && lines[0].contains("/info/legacy")
            && lines[0].contains("-> 404")
            && lines[1].contains("/api/v1/versions/legacy.json"),
        "{lines:?}"
    );
    let out = check(&json!({"source": src, "version": {"version": "0.9.0"}})).succeeds();
    assert_eq!(versions(&out), ["0.9.0", "1.0.0"]);
    let mut pre = src.clone();
    pre["pre_releases"] = json!(true);
    let out = check(&json!({"source": pre, "version": {"version": "1.0.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.0.0", "1.1.0.beta"]);

    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "1.0.0"}, "params": {"download": "legacy-1.0.0.gem"}}),
        dest.path(),
    )
    .succeeds();
    let read = |f: &str| std::fs::read_to_string(dest.path().join(f)).unwrap();
    let gem = root.path().join("gems/legacy-1.0.0.gem");
    assert_eq!(read("url"), format!("{base}/gems/legacy-1.0.0.gem"));
    assert_eq!(read("checksum"), format!("sha256:{}", sha256(&gem)));
    // The pure-Ruby gem's date, not the java one's.
    assert_eq!(read("published_at"), "2024-02-02T00:00:00Z");
    assert_eq!(
        std::fs::read(dest.path().join("legacy-1.0.0.gem")).unwrap(),
        std::fs::read(&gem).unwrap()
    );
    std::fs::write(&gem, b"tampered").unwrap();
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src, "version": {"version": "1.0.0"}, "params": {"download": "legacy-1.0.0.gem"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("expected sha256:"), "{line}");
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);
}

/// Bundler, reading the same compact index, picks what uptick picks: the fixture is a compact
/// index a real client accepts (its `versions` file, info lines and checksums).
#[test]
#[cfg_attr(
    not(all(uptick_has_python3, uptick_has_ruby)),
    ignore = "needs python3; ruby and bundle (apt-get install python3 ruby ruby-bundler)"
)]
fn bundler_resolves_the_same_index_to_the_same_version() {
    let (_root, server) = gem_server();
    let base = format!("http://127.0.0.1:{}", server.port);
    for (requirement, expected) in [
        (r#""~> 1.2", "!= 1.3.0""#, "1.10.0"),
        (r#""~> 1.3.0""#, "1.3.1"),
        (r#"">= 1.10.0.a""#, "2.0.0.rc1"),
    ] {
        let app = tempfile::tempdir().unwrap();
        std::fs::write(
            app.path().join("Gemfile"),
            format!("source \"{base}\"\ngem \"demo\", {requirement}\n"),
        )
        .unwrap();
        let out = Command::new("bundle")
            .arg("lock")
            .current_dir(app.path())
            .env("HOME", app.path())
            .env("BUNDLE_USER_HOME", app.path().join(".bundle"))
            .output()
            .unwrap_or_else(|e| panic!("bundle: {e} (ci/test installs ruby-bundler)"));
        assert!(
            out.status.success(),
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        let lock = std::fs::read_to_string(app.path().join("Gemfile.lock")).unwrap();
        let locked = lock
            .lines()
            .find_map(|l| l.trim().strip_prefix("demo ("))
            .and_then(|l| l.strip_suffix(')'))
            .unwrap_or_else(|| panic!("{lock}"));
        // Bundler locks the worker's platform gem when there is one (`1.10.0-x86_64-linux`).
        let locked = locked.split('-').next().unwrap();
        let constraint = requirement.replace('"', "");
        let ours =
            check(&json!({"source": {"gem": "demo", "index_url": base, "constraint": constraint}}))
                .succeeds();
        assert_eq!(
            (locked, versions(&ours)[0].as_str()),
            (expected, expected),
            "{requirement}"
        );
    }
}

#[test]
fn gem_credentials_go_only_to_the_index_host() {
    let password = secret("gem-server-password");
    let gem_bytes = b"a .gem file".to_vec();
    let sum = crate::support::seed::sha256(&gem_bytes)[7..].to_string();
    let seen_elsewhere = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let log = seen_elsewhere.clone();
    let served = gem_bytes.clone();
    let other = fake::serve_requests(0, move |r| {
        log.lock()
            .unwrap()
            .push(r.header("Authorization").unwrap_or("none").to_string());
        Reply::new(200, served.clone())
    });
    let expected = {
        use base64::Engine as _;
        format!(
            "Basic {}",
            base64::engine::general_purpose::STANDARD.encode(format!("ci:{password}"))
        )
    };
    let info = format!("---\n1.0.0 |checksum:{sum}\n");
    let index = fake::serve_requests(0, move |r| {
        if r.header("Authorization") != Some(expected.as_str()) {
            return Reply::new(401, "").header("WWW-Authenticate", "Basic realm=\"gems\"");
        }
        match r.path.as_str() {
            "/info/private" => Reply::new(200, info.clone()),
            // A server whose versions API is something else: `in` goes on without a date.
            "/api/v1/versions/private.json" => Reply::new(200, "<html>sign in</html>"),
            // Gem servers hand .gem files to a CDN or object store.
            "/gems/private-1.0.0.gem" => Reply::new(302, "").header(
                "Location",
                &format!("http://127.0.0.1:{other}/store/private-1.0.0.gem"),
            ),
            _ => Reply::new(404, ""),
        }
    });
    let src = json!({"gem": "private", "index_url": format!("http://127.0.0.1:{index}"),
        "username": "ci", "password": password, "debug": true});
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": src, "version": {"version": "1.0.0"}, "params": {"download": "*.gem"}}),
        dest.path(),
    );
    run.succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("private-1.0.0.gem")).unwrap(),
        gem_bytes
    );
    assert!(!dest.path().join("published_at").exists());
    assert!(
        run.stderr
            .contains("warning: no published_at for private: ")
            && run.stderr.contains("/api/v1/versions/private.json"),
        "{}",
        run.stderr
    );
    assert_eq!(*seen_elsewhere.lock().unwrap(), ["none"]);
    // Without the credentials the index refuses.
    let line = check(
        &json!({"source": {"gem": "private", "index_url": format!("http://127.0.0.1:{index}")}}),
    )
    .fails();
    assert!(line.contains("401"), "{line}");
}
