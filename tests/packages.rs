//! Package sources against real servers: pypiserver (PEP 503) and a static sparse crates index.

use crate::support::servers;
use crate::support::{check, get, versions};
use serde_json::{json, Value};

#[test]
#[cfg_attr(
    not(uptick_has_pypiserver),
    ignore = "needs pypiserver (pip install pypiserver)"
)]
fn pypi_versions_in_pep440_order_with_filters_and_cursor() {
    let dir = tempfile::tempdir().unwrap();
    for f in [
        "awscli-1.9.0.tar.gz",
        "awscli-1.18.100.tar.gz",
        "awscli-1.18.100-py3-none-any.whl",
        "awscli-1.18.99.tar.gz",
        "awscli-1.19.0rc1.tar.gz",
        "awscli-1.18.100.post1.tar.gz",
        "awscli-2.0.0.dev1.tar.gz",
        "other_pkg-9.9.tar.gz",
    ] {
        std::fs::write(dir.path().join(f), b"not really a distribution").unwrap();
    }
    let server = servers::pypiserver(dir.path());
    let index = format!("http://127.0.0.1:{}/simple", server.port);
    let src = |extra: Value| {
        let mut s = json!({"pypi": "AWSCLI", "index_url": index, "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    // First check: the newest final release only.
    let run = check(&json!({"source": src(json!({}))}));
    assert_eq!(versions(&run.succeeds()), ["1.18.100.post1"]);
    assert_eq!(run.request_lines().len(), 1, "{:?}", run.request_lines());
    // With a cursor: the cursor and everything newer, in PEP 440 order.
    let out = check(&json!({"source": src(json!({})), "version": {"version": "1.9.0"}})).succeeds();
    assert_eq!(
        versions(&out),
        ["1.9.0", "1.18.99", "1.18.100", "1.18.100.post1"]
    );
    let out = check(
        &json!({"source": src(json!({"pre_releases": true})), "version": {"version": "1.18.100"}}),
    )
    .succeeds();
    assert_eq!(
        versions(&out),
        ["1.18.100", "1.18.100.post1", "1.19.0rc1", "2.0.0.dev1"]
    );
    // PEP 440 specifiers, regexes, ignore.
    let out = check(&json!({"source": src(json!({"constraint": "~=1.18.0, !=1.18.100.post1"})), "version": {"version": "1.18.99"}})).succeeds();
    assert_eq!(versions(&out), ["1.18.99", "1.18.100"]);
    let out =
        check(&json!({"source": src(json!({"exclude_regex": "post", "ignore": ["1.18.100"]}))}))
            .succeeds();
    assert_eq!(versions(&out), ["1.18.99"]);
    // A cursor no longer listed: the newest.
    let out = check(&json!({"source": src(json!({})), "version": {"version": "0.1"}})).succeeds();
    assert_eq!(versions(&out), ["1.18.100.post1"]);

    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src(json!({})), "version": {"version": "1.18.100"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("version")).unwrap(),
        "1.18.100"
    );
    assert_eq!(got["version"], json!({"version": "1.18.100"}));

    // Errors: unknown package (named), invalid constraint (quoted).
    let line = check(&json!({"source": {"pypi": "nope-nothing", "index_url": index}})).fails();
    assert!(
        line.contains("PyPI package `nope-nothing` not found"),
        "{line}"
    );
    let line = check(&json!({"source": src(json!({"constraint": ">>1"}))})).fails();
    assert!(line.contains("invalid constraint `>>1`"), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn crates_sparse_index_skips_yanked_and_uses_cargo_requirements() {
    let dir = tempfile::tempdir().unwrap();
    let lines = [
        json!({"name": "serde", "vers": "1.0.0", "yanked": false}),
        json!({"name": "serde", "vers": "1.0.200", "yanked": false}),
        json!({"name": "serde", "vers": "1.0.201", "yanked": true}),
        json!({"name": "serde", "vers": "1.1.0-beta.1", "yanked": false}),
        json!({"name": "serde", "vers": "2.0.0", "yanked": false}),
    ];
    let body: String = lines.iter().map(|l| l.to_string() + "\n").collect();
    std::fs::create_dir_all(dir.path().join("se/rd")).unwrap();
    std::fs::write(dir.path().join("se/rd/serde"), body).unwrap();
    let server = servers::static_files(dir.path());
    let src = json!({"crate": "serde", "index_url": format!("http://127.0.0.1:{}", server.port), "constraint": "^1"});
    let out = check(&json!({"source": src, "version": {"version": "1.0.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.0.0", "1.0.200"]);
    let line = check(&json!({"source": {"crate": "nope", "index_url": format!("http://127.0.0.1:{}", server.port)}})).fails();
    assert!(
        line.contains("crates.io package `nope` not found"),
        "{line}"
    );
}

#[test]
fn package_sources_are_decoded_strictly() {
    for (source, expected) in [
        (json!({"pypi": "a", "crate": "b"}), "set exactly one of"),
        (
            json!({"pypi": "a", "repository": "x"}),
            "source.repository: not a field of pypi sources (only apt, apk, helm and maven sources have it)",
        ),
        (
            json!({"npm": "a", "suite": "bookworm"}),
            "source.suite: not a field of npm sources (only apt sources have it)",
        ),
        (
            json!({"pypi": "a", "colour": 1}),
            "source.colour: unknown field",
        ),
        (json!({"git": "git@github.com:o/r.git"}), "ssh is not"),
        (json!({"github": "not-a-repo"}), "is not OWNER/REPO"),
    ] {
        let line = check(&json!({"source": source})).fails();
        assert!(line.contains(expected), "{source}: {line}");
    }
}

/// A field that belongs to other sources is refused before any request, naming who has it: an
/// `index_url` on a helm source would otherwise have become where `username`/`password` go.
#[test]
fn fields_of_other_sources_are_refused() {
    for (source, expected) in [
        (
            json!({"helm": "redis", "repository": "https://charts.example", "index_url": "https://attacker.example", "username": "u", "password": "p"}),
            "source.index_url: not a field of helm sources (only pypi, crate and gem sources have it)",
        ),
        (
            json!({"maven": "g:a", "registry": "https://attacker.example"}),
            "source.registry: not a field of maven sources (only npm and terraform sources have it)",
        ),
        (
            json!({"pypi": "a", "api_url": "https://attacker.example"}),
            "source.api_url: not a field of pypi sources (only github and gitlab sources have it)",
        ),
        (
            json!({"npm": "a", "access_token": "t0ken-value"}),
            "source.access_token: not a field of npm sources (only github, gitlab and terraform sources have it)",
        ),
        (
            json!({"helm": "redis", "repository": "https://charts.example", "releases": false}),
            "source.releases: not a field of helm sources (only github and gitlab sources have it)",
        ),
        (
            json!({"go": "example.com/m", "tag_regex": "^v(?P<version>.*)$"}),
            "source.tag_regex: not a field of go sources (only github, gitlab and git sources have it)",
        ),
        (
            json!({"git": "https://example.com/r.git", "drafts": true}),
            "source.drafts: not a field of git sources (only github sources have it)",
        ),
    ] {
        let line = check(&json!({"source": source})).fails();
        assert!(line.contains(expected), "{source}: {line}");
    }
}

fn git(dir: &std::path::Path, args: &[&str]) {
    let ok = std::process::Command::new("git")
        .args([
            "-c",
            "user.email=t@example.com",
            "-c",
            "user.name=t",
            "-c",
            "init.defaultBranch=main",
        ])
        .args(args)
        .current_dir(dir)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .status()
        .expect("git")
        .success();
    assert!(ok, "git {args:?}");
}

#[test]
#[cfg_attr(
    not(all(uptick_has_git, uptick_has_python3)),
    ignore = "needs git; python3 (apt-get install git python3)"
)]
fn git_tags_over_file_and_smart_http_without_cloning() {
    let root = tempfile::tempdir().unwrap();
    let work = root.path().join("work");
    std::fs::create_dir(&work).unwrap();
    git(&work, &["init", "-q"]);
    git(&work, &["commit", "-q", "--allow-empty", "-m", "one"]);
    for t in [
        "v1.0.0",
        "v1.2.0",
        "v1.10.0",
        "v2.0.0-rc.1",
        "release-3.0",
        "nightly",
    ] {
        git(&work, &["tag", t]);
    }
    git(&work, &["tag", "-a", "v1.11.0", "-m", "annotated"]);
    git(root.path(), &["clone", "-q", "--bare", "work", "repo.git"]);
    // file://, the newest and the cursor semantics; tags become versions without the `v`.
    let src = json!({"git": format!("file://{}", root.path().join("repo.git").display())});
    let out =
        check(&json!({"source": src, "version": {"version": "1.2.0", "tag": "v1.2.0"}})).succeeds();
    assert_eq!(
        out,
        json!([
            {"version": "1.2.0", "tag": "v1.2.0"},
            {"version": "1.10.0", "tag": "v1.10.0"},
            {"version": "1.11.0", "tag": "v1.11.0"},
        ])
    );
    // Smart HTTP (git http-backend), with a tag_regex version group and a constraint.
    let server = servers::git_http(root.path());
    let url = format!("http://127.0.0.1:{}/cgi-bin/git/repo.git", server.port);
    let run = check(
        &json!({"source": {"git": url, "tag_regex": "^release-(?P<version>.+)$", "debug": true}}),
    );
    assert_eq!(
        run.succeeds(),
        json!([{"version": "3.0", "tag": "release-3.0"}])
    );
    assert!(
        run.requests("GET", "/info/refs?service=git-upload-pack") == 1,
        "{:?}",
        run.request_lines()
    );
    let out = check(&json!({"source": {"git": url, "constraint": "~1.10", "pre_releases": true}}))
        .succeeds();
    assert_eq!(out, json!([{"version": "1.10.0", "tag": "v1.10.0"}]));
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": {"git": url}, "version": {"version": "1.11.0", "tag": "v1.11.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("tag")).unwrap(),
        "v1.11.0"
    );
}

/// An npm registry replay: the abbreviated document shape with its real headers.
#[test]
fn npm_versions_ranges_and_dist_tags() {
    use crate::support::fake::{self, Reply};
    let doc = json!({
        "name": "@scope/cli",
        "modified": "2026-11-01T00:00:00.000Z",
        "dist-tags": {"latest": "2.3.1", "next": "3.0.0-beta.2"},
        "versions": {
            "1.0.0": {"name": "@scope/cli", "version": "1.0.0", "dist": {"shasum": "x", "tarball": "t"}},
            "2.3.0": {"name": "@scope/cli", "version": "2.3.0", "deprecated": "broken", "dist": {}},
            "2.3.1": {"name": "@scope/cli", "version": "2.3.1", "dist": {}},
            "2.10.0": {"name": "@scope/cli", "version": "2.10.0", "dist": {}},
            "3.0.0-beta.2": {"name": "@scope/cli", "version": "3.0.0-beta.2", "dist": {}},
        },
    })
    .to_string();
    let port = fake::serve(move |_, path| {
        if path == "/@scope%2fcli" {
            Reply::new(200, doc.clone())
                .header("Content-Type", "application/vnd.npm.install-v1+json")
                .header("ETag", "\"abc\"")
        } else {
            Reply::new(404, r#"{"error":"Not found"}"#).header("Content-Type", "application/json")
        }
    });
    let registry = format!("http://127.0.0.1:{port}");
    let src = json!({"npm": "@scope/cli", "registry": registry, "constraint": ">=2 <3"});
    let out = check(&json!({"source": src, "version": {"version": "1.0.0"}})).succeeds();
    // 1.0.0 is outside the range (cursor gone): the newest; 2.3.0 is deprecated.
    assert_eq!(versions(&out), ["2.10.0"]);
    // node-semver: a comparator naming a pre-release of 3.0.0 admits 3.0.0's pre-releases.
    let src = json!({"npm": "@scope/cli", "registry": registry, "constraint": ">=2 <3 || >=3.0.0-beta.0"});
    let out = check(&json!({"source": src, "version": {"version": "2.10.0"}})).succeeds();
    assert_eq!(versions(&out), ["2.10.0", "3.0.0-beta.2"]);
    let out = check(&json!({"source": {"npm": "@scope/cli", "registry": registry, "pre_releases": true}, "version": {"version": "2.3.1"}})).succeeds();
    assert_eq!(versions(&out), ["2.3.1", "2.10.0", "3.0.0-beta.2"]);
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": {"npm": "@scope/cli", "registry": registry}, "version": {"version": "2.3.1"}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("dist_tags")).unwrap(),
        "latest"
    );
    let line = check(&json!({"source": {"npm": "missing", "registry": registry}})).fails();
    assert!(line.contains("npm package `missing` not found"), "{line}");
}

/// A GitHub API replay: releases over two pages (Link), a draft, a pre-release, a rate limit.
#[test]
fn github_releases_pages_drafts_prereleases_and_rate_limits() {
    use crate::support::fake::{self, Reply};
    let port = crate::support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let page1 = json!([
        {"tag_name": "v2.1.0", "draft": false, "prerelease": false, "html_url": "https://github.com/o/r/releases/tag/v2.1.0", "published_at": "2026-10-01T00:00:00Z"},
        {"tag_name": "v3.0.0", "draft": true, "prerelease": false},
        {"tag_name": "v2.2.0", "draft": false, "prerelease": true},
    ])
    .to_string();
    let page2 = json!([{"tag_name": "v1.9.0", "draft": false, "prerelease": false}]).to_string();
    let link = format!("<{base}/repos/o/r/releases?per_page=100&page=2>; rel=\"next\", <{base}/repos/o/r/releases?per_page=100&page=2>; rel=\"last\"");
    let real_port = fake::serve_on(port, move |_, path| match path {
        "/repos/o/r/releases?per_page=100" => Reply::new(200, page1.clone())
            .header("Link", &link)
            .header("X-RateLimit-Remaining", "59"),
        "/repos/o/r/releases?per_page=100&page=2" => Reply::new(200, page2.clone()),
        "/repos/o/r/tags?per_page=100" => {
            Reply::new(200, r#"[{"name":"v0.1.0"},{"name":"v0.2.0"}]"#)
        }
        "/repos/o/limited/releases?per_page=100" => {
            Reply::new(403, r#"{"message":"API rate limit exceeded"}"#)
                .header("X-RateLimit-Remaining", "0")
                .header("X-RateLimit-Reset", "1790000000")
        }
        _ => Reply::new(404, r#"{"message":"Not Found"}"#),
    });
    assert_eq!(real_port, port);
    let src = json!({"github": "o/r", "api_url": base, "access_token": crate::support::secret("ghp_secret_token_value"), "debug": true});
    let run = check(&json!({"source": src, "version": {"version": "1.9.0", "tag": "v1.9.0"}}));
    assert_eq!(versions(&run.succeeds()), ["1.9.0", "2.1.0"]);
    assert!(!run.stderr.contains("ghp_secret_token_value"));
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "2.1.0", "tag": "v2.1.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read_to_string(dest.path().join("published_at")).unwrap(),
        "2026-10-01T00:00:00Z"
    );
    let mut drafts = src.clone();
    drafts["drafts"] = json!(true);
    drafts["pre_releases"] = json!(true);
    assert_eq!(
        versions(&check(&json!({"source": drafts, "version": {"version": "2.1.0"}})).succeeds()),
        ["2.1.0", "2.2.0", "3.0.0"]
    );
    let out =
        check(&json!({"source": {"github": "o/r", "api_url": base, "releases": false}})).succeeds();
    assert_eq!(out, json!([{"version": "0.2.0", "tag": "v0.2.0"}]));
    let line = check(&json!({"source": {"github": "o/limited", "api_url": base}})).fails();
    assert!(
        line.contains("rate limit remaining 0") && line.contains("1790000000"),
        "{line}"
    );
}

/// A reused check container sends `If-None-Match`; a 304 reuses the kept list.
#[test]
fn conditional_requests_reuse_the_kept_list_on_304() {
    use crate::support::fake::{self, Reply};
    let doc = json!({"dist-tags": {"latest": "1.1.0"}, "versions": {"1.0.0": {}, "1.1.0": {}}})
        .to_string();
    let port = fake::serve_requests(0, move |r| {
        if r.header("If-None-Match") == Some("\"v1\"") {
            Reply::new(304, "")
        } else {
            Reply::new(200, doc.clone()).header("ETag", "\"v1\"")
        }
    });
    let src = json!({"npm": "pkg", "registry": format!("http://127.0.0.1:{port}"), "debug": true});
    let first = check(&json!({"source": src}));
    assert_eq!(versions(&first.succeeds()), ["1.1.0"]);
    assert!(
        first.request_lines()[0].contains("-> 200"),
        "{:?}",
        first.request_lines()
    );
    let second = check(&json!({"source": src, "version": {"version": "1.0.0"}}));
    assert_eq!(versions(&second.succeeds()), ["1.0.0", "1.1.0"]);
    assert!(
        second.request_lines()[0].contains("-> 304"),
        "{:?}",
        second.request_lines()
    );
    assert!(second.stderr.contains("not modified"), "{}", second.stderr);
}

#[test]
#[cfg_attr(
    not(uptick_has_pypiserver),
    ignore = "needs pypiserver (pip install pypiserver)"
)]
fn download_fetches_matching_files_verified_by_their_published_hash() {
    use crate::support::fake::{self, Reply};
    // PyPI: pypiserver publishes `#sha256=` on every link.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tool-1.0.tar.gz"), b"sdist bytes").unwrap();
    std::fs::write(dir.path().join("tool-1.0-py3-none-any.whl"), b"wheel bytes").unwrap();
    let server = servers::pypiserver(dir.path());
    let src =
        json!({"pypi": "tool", "index_url": format!("http://127.0.0.1:{}/simple", server.port)});
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src, "version": {"version": "1.0"}, "params": {"download": "*.whl"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("tool-1.0-py3-none-any.whl")).unwrap(),
        b"wheel bytes"
    );
    assert!(!dest.path().join("tool-1.0.tar.gz").exists());
    assert!(out["metadata"]
        .as_array()
        .unwrap()
        .contains(&json!({"name": "files", "value": "tool-1.0-py3-none-any.whl"})));
    let line = get(
        &json!({"source": src, "version": {"version": "1.0"}, "params": {"download": "*.zip"}}),
        dest.path(),
    )
    .fails();
    assert!(
        line.contains("no file of tool 1.0 matches `*.zip`") && line.contains("tool-1.0.tar.gz"),
        "{line}"
    );

    // npm: the tarball's `integrity`; a tampered tarball is refused and leaves nothing.
    let good = b"npm tarball".to_vec();
    let integrity = |bytes: &[u8]| {
        use base64::Engine as _;
        use sha2::Digest as _;
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha512::digest(bytes))
        )
    };
    let port = crate::support::free_port();
    let doc = json!({"dist-tags": {"latest": "1.0.0"}, "versions": {
        "1.0.0": {"dist": {"tarball": format!("http://127.0.0.1:{port}/pkg/-/pkg-1.0.0.tgz"), "integrity": integrity(&good)}},
        "1.0.1": {"dist": {"tarball": format!("http://127.0.0.1:{port}/pkg/-/pkg-1.0.1.tgz"), "integrity": integrity(b"something else")}},
    }})
    .to_string();
    let served = good.clone();
    fake::serve_on(port, move |_, path| match path {
        "/pkg" => Reply::new(200, doc.clone()),
        p if p.ends_with(".tgz") => Reply::new(200, served.clone()),
        _ => Reply::new(404, ""),
    });
    let src = json!({"npm": "pkg", "registry": format!("http://127.0.0.1:{port}")});
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "1.0.0"}, "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("pkg-1.0.0.tgz")).unwrap(),
        good
    );
    let dest = tempfile::tempdir().unwrap();
    let line = get(
        &json!({"source": src, "version": {"version": "1.0.1"}, "params": {"download": "*.tgz"}}),
        dest.path(),
    )
    .fails();
    assert!(line.contains("expected sha512:"), "{line}");
    assert!(!dest.path().join("pkg-1.0.1.tgz").exists());
    // Nor `version`, nor any other output: a failed get leaves DEST as it found it.
    assert_eq!(std::fs::read_dir(dest.path()).unwrap().count(), 0);

    // crates: `cksum` from the index line, the URL from the index's `config.json`.
    let index = tempfile::tempdir().unwrap();
    let crate_bytes = b"crate archive".to_vec();
    let cksum = crate::support::seed::sha256(&crate_bytes)[7..].to_string();
    std::fs::create_dir_all(index.path().join("3/t")).unwrap();
    std::fs::write(
        index.path().join("3/t/tok"),
        json!({"name": "tok", "vers": "0.1.0", "cksum": cksum}).to_string() + "\n",
    )
    .unwrap();
    std::fs::create_dir_all(index.path().join("dl/tok/0.1.0")).unwrap();
    std::fs::write(index.path().join("dl/tok/0.1.0/download"), &crate_bytes).unwrap();
    let static_server = servers::static_files(index.path());
    let base = format!("http://127.0.0.1:{}", static_server.port);
    std::fs::write(
        index.path().join("config.json"),
        json!({"dl": format!("{base}/dl")}).to_string(),
    )
    .unwrap();
    let dest = tempfile::tempdir().unwrap();
    get(&json!({"source": {"crate": "tok", "index_url": base}, "version": {"version": "0.1.0"}, "params": {"download": "*.crate"}}), dest.path()).succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("tok-0.1.0.crate")).unwrap(),
        crate_bytes
    );
}

#[test]
fn pep691_json_yanked_releases_and_malformed_pages() {
    use crate::support::fake::{self, Reply};
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::Arc;
    let json_page = json!({
        "meta": {"api-version": "1.1"},
        "name": "tool",
        "files": [
            {"filename": "tool-1.0.tar.gz", "url": "../../files/tool-1.0.tar.gz", "hashes": {"sha256": "00"}},
            {"filename": "tool-1.1.tar.gz", "url": "../../files/tool-1.1.tar.gz", "hashes": {}, "yanked": "broken build"},
            {"filename": "tool-1.1-py3-none-any.whl", "url": "x", "hashes": {}, "yanked": true},
            {"filename": "tool-1.0.1.tar.gz", "url": "y", "hashes": {}, "yanked": false},
        ],
        "versions": ["1.0", "1.0.1", "1.1"],
    })
    .to_string();
    let github_calls = Arc::new(AtomicUsize::new(0));
    let calls = github_calls.clone();
    let port = fake::serve(move |_, path| match path {
        "/simple/tool/" => Reply::new(200, json_page.clone())
            .header("Content-Type", "application/vnd.pypi.simple.v1+json"),
        "/simple/broken/" => {
            Reply::new(200, "this is not an index").header("Content-Type", "text/plain")
        }
        "/simple/badjson/" => Reply::new(200, "{\"files\": 3}")
            .header("Content-Type", "application/vnd.pypi.simple.v1+json"),
        "/cr/ab/crab" => Reply::new(200, "{\"vers\": }\n"),
        "/repos/o/slow/releases?per_page=100" => {
            if calls.fetch_add(1, Ordering::SeqCst) == 0 {
                Reply::new(403, r#"{"message":"secondary rate limit"}"#).header("Retry-After", "1")
            } else {
                Reply::new(200, r#"[{"tag_name":"v1.0.0"}]"#)
            }
        }
        _ => Reply::new(404, ""),
    });
    let base = format!("http://127.0.0.1:{port}");
    // 1.1 is yanked in every file: skipped.
    let out = check(&json!({"source": {"pypi": "tool", "index_url": format!("{base}/simple")}, "version": {"version": "1.0"}})).succeeds();
    assert_eq!(versions(&out), ["1.0", "1.0.1"]);
    for (source, expected) in [
        (
            json!({"pypi": "broken", "index_url": format!("{base}/simple")}),
            "neither a PEP 691 JSON nor a PEP 503 HTML page",
        ),
        (
            json!({"pypi": "badjson", "index_url": format!("{base}/simple")}),
            "not a PEP 691 page",
        ),
        (
            json!({"crate": "crab", "index_url": format!("{base}/")}),
            "not a sparse index line",
        ),
    ] {
        let line = check(&json!({"source": source})).fails();
        assert!(line.contains(expected), "{source}: {line}");
    }
    // A short Retry-After is waited out.
    let run = check(&json!({"source": {"github": "o/slow", "api_url": base}}));
    assert_eq!(versions(&run.succeeds()), ["1.0.0"]);
    assert!(
        run.stderr
            .contains("(403 rate limited); retry 1/4 in 1.0 s"),
        "{}",
        run.stderr
    );
    assert_eq!(github_calls.load(Ordering::SeqCst), 2);
}

#[test]
fn github_first_page_is_asked_conditionally() {
    use crate::support::fake::{self, Reply};
    let port = fake::serve_requests(0, |r| {
        if r.header("If-None-Match") == Some("\"page1\"") {
            Reply::new(304, "")
        } else {
            Reply::new(200, r#"[{"tag_name":"v1.0.0"},{"tag_name":"v1.1.0"}]"#)
                .header("ETag", "\"page1\"")
        }
    });
    let src =
        json!({"github": "o/r", "api_url": format!("http://127.0.0.1:{port}"), "debug": true});
    assert_eq!(
        versions(&check(&json!({"source": src})).succeeds()),
        ["1.1.0"]
    );
    let again = check(&json!({"source": src, "version": {"version": "1.0.0", "tag": "v1.0.0"}}));
    assert_eq!(versions(&again.succeeds()), ["1.0.0", "1.1.0"]);
    assert!(
        again.request_lines()[0].contains("-> 304"),
        "{:?}",
        again.request_lines()
    );
}

#[test]
fn downloads_never_replace_the_files_in_writes_nor_land_outside_dest() {
    use crate::support::fake::{self, Reply};
    use crate::support::seed::sha256;
    let port = crate::support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    // Every file `in` may write, as release assets, beside an ordinary one.
    let outputs = [
        "version",
        "tag",
        "url",
        "published_at",
        "checksum",
        "app_version",
        "dist_tags",
        "commit_sha",
        "body",
    ];
    let mut bodies: Vec<Vec<u8>> = Vec::new();
    let mut asset = |name: &str| {
        let bytes = format!("asset bytes of {name}").into_bytes();
        let a = json!({"name": name, "browser_download_url": format!("{base}/dl/{}", bodies.len()), "digest": sha256(&bytes)});
        bodies.push(bytes);
        a
    };
    let mut v1: Vec<Value> = outputs.iter().map(|n| asset(n)).collect();
    v1.push(asset("tool.tar.gz"));
    let releases = json!([
        {"tag_name": "v1.0", "html_url": "https://github.com/o/r/releases/tag/v1.0", "published_at": "2026-10-01T00:00:00Z", "body": "notes", "assets": v1},
        {"tag_name": "v2.0", "assets": [asset("../escape")]},
        {"tag_name": "v3.0", "assets": [asset(".hidden")]},
        {"tag_name": "v4.0", "assets": [asset("a\u{0}b")]},
        {"tag_name": "v5.0", "assets": [asset("tool.tar.gz"), asset("tool.tar.gz")]},
        {"tag_name": "v6.0", "assets": [asset("..")]},
    ])
    .to_string();
    fake::serve_on(port, move |_, path| {
        if path == "/repos/o/r/releases?per_page=100" {
            return Reply::new(200, releases.clone());
        }
        if path == "/repos/o/r/git/ref/tags/v1.0" {
            let sha = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
            return Reply::new(
                200,
                json!({"object": {"type": "commit", "sha": sha}}).to_string(),
            );
        }
        match path
            .strip_prefix("/dl/")
            .and_then(|n| n.parse::<usize>().ok())
        {
            Some(n) if n < bodies.len() => Reply::new(200, bodies[n].clone()),
            _ => Reply::new(404, ""),
        }
    });
    let root = tempfile::tempdir().unwrap();
    let dest = root.path().join("dest");
    std::fs::create_dir(&dest).unwrap();
    let get_v = |version: &str, glob: &str| {
        get(
            &json!({"source": {"github": "o/r", "api_url": base}, "version": {"version": version, "tag": format!("v{version}")}, "params": {"download": glob}}),
            &dest,
        )
    };
    let listing = || -> Vec<String> {
        let mut names: Vec<String> = std::fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };

    // `*` takes every output's name: refused before anything is fetched, naming them all.
    let line = get_v("1.0", "*").fails();
    for name in outputs {
        assert!(line.contains(&format!("`{name}`")), "{name}: {line}");
    }
    assert!(
        line.contains("would replace what `in` writes") && line.contains("narrow `download`"),
        "{line}"
    );
    assert_eq!(listing(), Vec::<String>::new());
    let line = get_v("1.0", "ver*").fails();
    assert!(
        line.contains("`version` of o/r 1.0 would replace") && line.contains("leave it out"),
        "{line}"
    );
    assert_eq!(listing(), Vec::<String>::new());

    // A narrower glob: the asset, and uptick's own files holding uptick's values.
    let out = get_v("1.0", "*.tar.gz").succeeds();
    assert_eq!(out["version"], json!({"version": "1.0", "tag": "v1.0"}));
    assert_eq!(
        listing(),
        [
            "body",
            "commit_sha",
            "published_at",
            "tag",
            "tool.tar.gz",
            "url",
            "version"
        ]
    );
    let read = |f: &str| std::fs::read_to_string(dest.join(f)).unwrap();
    assert_eq!(read("version"), "1.0");
    assert_eq!(read("tag"), "v1.0");
    assert_eq!(read("url"), "https://github.com/o/r/releases/tag/v1.0");
    assert_eq!(read("published_at"), "2026-10-01T00:00:00Z");
    assert_eq!(read("body"), "notes");
    assert_eq!(
        read("commit_sha"),
        "6dcb09b5b57875f334f61aebed695e2e4193db5e"
    );
    assert_eq!(read("tool.tar.gz"), "asset bytes of tool.tar.gz");

    // Names that would resolve elsewhere, hide, or cannot be a name; a name listed twice.
    let before = listing();
    for (version, glob, shown, why) in [
        ("2.0", "../*", "../escape", "it has a `/`"),
        ("3.0", "*", ".hidden", "it starts with `.`"),
        ("4.0", "a*", "a\\0b", "it has a NUL"),
        ("6.0", "..", "..", "it starts with `.`"),
    ] {
        let line = get_v(version, glob).fails();
        assert!(
            line.contains(&format!(
                "refusing file name `{shown}` of o/r {version}: {why}"
            )),
            "{line}"
        );
        assert_eq!(listing(), before, "{version}");
    }
    let line = get_v("5.0", "*").fails();
    assert!(line.contains("o/r 5.0 lists `tool.tar.gz` twice"), "{line}");
    assert!(!root.path().join("escape").exists());
    assert_eq!(read("tool.tar.gz"), "asset bytes of tool.tar.gz");
}

/// The metadata names of an `in` answer, in order.
fn metadata_names(out: &Value) -> Vec<String> {
    out["metadata"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| m["name"].as_str().unwrap().to_string())
        .collect()
}

/// pypiserver (PEP 503 HTML, `#sha256=` on every link, no upload times): `tag` is the version;
/// `url` and `checksum` are the sdist's, else the only file's, else left out.
#[test]
#[cfg_attr(
    not(uptick_has_pypiserver),
    ignore = "needs pypiserver (pip install pypiserver)"
)]
fn pypi_in_writes_tag_and_the_sdists_url_and_checksum() {
    use crate::support::{dest_files, files_of, seed::sha256};
    let dir = tempfile::tempdir().unwrap();
    for (file, bytes) in [
        ("tool-1.0.tar.gz", "sdist 1.0"),
        ("tool-1.0-py3-none-any.whl", "wheel 1.0"),
        ("tool-2.0-py3-none-any.whl", "wheel 2.0"),
        (
            "tool-3.0-cp311-cp311-manylinux_2_17_x86_64.whl",
            "wheel 3.0 cp311",
        ),
        (
            "tool-3.0-cp312-cp312-manylinux_2_17_x86_64.whl",
            "wheel 3.0 cp312",
        ),
    ] {
        std::fs::write(dir.path().join(file), bytes).unwrap();
    }
    let server = servers::pypiserver(dir.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let src = json!({"pypi": "tool", "index_url": format!("{base}/simple")});
    let get_v = |version: &str| {
        let dest = tempfile::tempdir().unwrap();
        let out = get(
            &json!({"source": src, "version": {"version": version}}),
            dest.path(),
        )
        .succeeds();
        assert_eq!(out["version"], json!({"version": version}));
        (dest_files(dest.path()), out)
    };
    let (files, out) = get_v("1.0");
    assert_eq!(
        files,
        files_of(&[
            ("version", "1.0"),
            ("tag", "1.0"),
            ("url", &format!("{base}/packages/tool-1.0.tar.gz")),
            ("checksum", &sha256(b"sdist 1.0")),
        ])
    );
    // `tag` equals the version: not repeated in the metadata.
    assert_eq!(
        metadata_names(&out),
        ["package", "version", "url", "checksum"]
    );
    // A wheel-only release of one file: that file.
    let (files, _) = get_v("2.0");
    assert_eq!(
        files,
        files_of(&[
            ("version", "2.0"),
            ("tag", "2.0"),
            ("url", &format!("{base}/packages/tool-2.0-py3-none-any.whl")),
            ("checksum", &sha256(b"wheel 2.0")),
        ])
    );
    // Several wheels and no sdist: no one file to name.
    let (files, _) = get_v("3.0");
    assert_eq!(files, files_of(&[("version", "3.0"), ("tag", "3.0")]));

    // An `index_url` carrying credentials: the links joined to it are written without them.
    let password = crate::support::secret("pypi-url-pa55word");
    let with_creds = format!("http://uptick:{password}@127.0.0.1:{}/simple", server.port);
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": {"pypi": "tool", "index_url": with_creds}, "version": {"version": "1.0"}}),
        dest.path(),
    );
    run.succeeds();
    assert_eq!(
        dest_files(dest.path())["url"],
        format!("{base}/packages/tool-1.0.tar.gz")
    );
    assert!(!run.stdout.contains(&password), "{}", run.stdout);
}

/// A PEP 691 JSON page with PEP 700's `upload-time` (shaped as pypi.org answers, API 1.1):
/// `published_at` is the release's first upload, `url` / `checksum` its sdist's (a yanked sdist
/// is passed over; of an old release's `.tar.gz` and `.zip`, the `.tar.gz`).
#[test]
fn pypi_json_in_writes_url_checksum_and_first_upload_time() {
    use crate::support::fake::{self, Reply};
    use crate::support::{dest_files, files_of};
    let sha = |c: char| c.to_string().repeat(64);
    let file = |name: &str, hash: char, uploaded: Value, yanked: Value| {
        json!({
            "core-metadata": false, "data-dist-info-metadata": false,
            "filename": name, "hashes": {"sha256": sha(hash)}, "provenance": null,
            "requires-python": ">=3.8", "size": 2048, "upload-time": uploaded,
            "url": format!("https://files.pythonhosted.org/packages/4e/1f/{}/{name}", sha(hash)),
            "yanked": yanked,
        })
    };
    let page = json!({
        "meta": {"_last-serial": 24000000, "api-version": "1.1"},
        "name": "tool",
        "versions": ["0.9", "1.0", "1.1"],
        "files": [
            file("tool-0.9.zip", 'a', json!("2015-06-01T08:00:00Z"), json!(false)),
            file("tool-0.9.tar.gz", 'b', json!("2015-06-01T08:00:01Z"), json!(false)),
            file("tool-1.0.tar.gz", 'c', json!("2024-03-01T10:00:00.123456Z"), json!(false)),
            file("tool-1.0-py3-none-any.whl", 'd', json!("2024-03-01T09:59:58.5Z"), json!(false)),
            file("tool-1.0-cp312-cp312-win_amd64.whl", 'e', json!(null), json!(false)),
            file("tool-1.1.tar.gz", 'f', json!("2024-04-01T00:00:00Z"), json!("broken sdist")),
            file("tool-1.1-py3-none-any.whl", '0', json!("2024-04-01T00:00:01Z"), json!(false)),
        ],
    })
    .to_string();
    let port = fake::serve(move |_, path| match path {
        "/simple/tool/" => Reply::new(200, page.clone())
            .header("Content-Type", "application/vnd.pypi.simple.v1+json"),
        _ => Reply::new(404, ""),
    });
    let src = json!({"pypi": "tool", "index_url": format!("http://127.0.0.1:{port}/simple")});
    let files = |version: &str| {
        let dest = tempfile::tempdir().unwrap();
        get(
            &json!({"source": src, "version": {"version": version}}),
            dest.path(),
        )
        .succeeds();
        dest_files(dest.path())
    };
    // What `in` writes for `version`: its sdist `file` (hashed `hash`) and first upload time.
    let written = |version: &str, file: &str, hash: char, published_at: &str| {
        let url = format!(
            "https://files.pythonhosted.org/packages/4e/1f/{}/{file}",
            sha(hash)
        );
        files_of(&[
            ("version", version),
            ("tag", version),
            ("url", &url),
            ("checksum", &format!("sha256:{}", sha(hash))),
            ("published_at", published_at),
        ])
    };
    assert_eq!(
        files("1.0"),
        written("1.0", "tool-1.0.tar.gz", 'c', "2024-03-01T09:59:58Z")
    );
    assert_eq!(
        files("1.1"),
        written(
            "1.1",
            "tool-1.1-py3-none-any.whl",
            '0',
            "2024-04-01T00:00:00Z"
        )
    );
    assert_eq!(
        files("0.9"),
        written("0.9", "tool-0.9.tar.gz", 'b', "2015-06-01T08:00:00Z")
    );
}

/// npm: `url` and `checksum` are the version's `dist.tarball` and `dist.integrity` (sha512; the
/// `shasum` SHA-1 where a version has no `integrity`) from the abbreviated document;
/// `published_at` is `time[version]` of the full document, asked for with `application/json`
/// (the abbreviated one has no `time`). A full document that cannot be read costs only that.
#[test]
fn npm_in_writes_tarball_integrity_and_publish_time() {
    use crate::support::fake::{self, Reply};
    use crate::support::{dest_files, files_of};
    use std::sync::{Arc, Mutex};
    let port = crate::support::free_port();
    let registry = format!("http://127.0.0.1:{port}");
    let sha512 = "ab".repeat(64);
    let integrity = {
        use base64::Engine as _;
        format!(
            "sha512-{}",
            base64::engine::general_purpose::STANDARD.encode(hex::decode(&sha512).unwrap())
        )
    };
    let shasum = "bbf102d5ae73afe2c553295e0fb02230216f65b1";
    let tarball = |v: &str| format!("{registry}/@scope/cli/-/cli-{v}.tgz");
    // Shaped as registry.npmjs.org answers: the abbreviated document (`modified`, install
    // fields) and the full one (`time`, `_id`, `_rev`, readme, every version's package.json).
    let version = |v: &str, full: bool| {
        let mut dist = json!({"shasum": shasum, "tarball": tarball(v)});
        if v != "0.9.0" {
            dist["integrity"] = json!(integrity);
            dist["fileCount"] = json!(3);
            dist["unpackedSize"] = json!(1024);
        }
        let mut doc =
            json!({"name": "@scope/cli", "version": v, "dist": dist, "_hasShrinkwrap": false});
        if full {
            doc["_id"] = json!(format!("@scope/cli@{v}"));
            doc["_npmVersion"] = json!("10.2.4");
            doc["description"] = json!("a cli");
            doc["main"] = json!("index.js");
        }
        doc
    };
    let abbreviated = json!({
        "name": "@scope/cli", "modified": "2024-05-02T00:00:00.000Z",
        "dist-tags": {"latest": "1.0.0"},
        "versions": {"0.9.0": version("0.9.0", false), "1.0.0": version("1.0.0", false)},
    })
    .to_string();
    let full = json!({
        "_id": "@scope/cli", "_rev": "7-0123456789abcdef", "name": "@scope/cli",
        "description": "a cli", "readme": "# cli\n", "readmeFilename": "README.md",
        "dist-tags": {"latest": "1.0.0"},
        "time": {
            "created": "2015-03-24T00:12:24.039Z", "modified": "2024-05-02T00:00:00.000Z",
            "0.9.0": "2015-03-24T00:12:24.039Z", "1.0.0": "2024-05-01T12:34:56.789Z",
        },
        "versions": {"0.9.0": version("0.9.0", true), "1.0.0": version("1.0.0", true)},
    })
    .to_string();
    let accepts: Arc<Mutex<Vec<String>>> = Arc::default();
    let seen = accepts.clone();
    fake::serve_requests(port, move |r| {
        let accept = r.header("Accept").unwrap_or("").to_string();
        seen.lock().unwrap().push(format!("{} {accept}", r.path));
        let abbreviated_asked = accept.starts_with("application/vnd.npm.install-v1+json");
        match (r.path.as_str(), abbreviated_asked) {
            ("/@scope%2fcli" | "/plain", true) => Reply::new(200, abbreviated.clone())
                .header("Content-Type", "application/vnd.npm.install-v1+json"),
            ("/@scope%2fcli", false) => {
                Reply::new(200, full.clone()).header("Content-Type", "application/json")
            }
            // A registry whose full document is not JSON.
            ("/plain", false) => Reply::new(200, "<html>").header("Content-Type", "text/html"),
            _ => Reply::new(404, r#"{"error":"Not found"}"#),
        }
    });
    let src = json!({"npm": "@scope/cli", "registry": registry});
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src, "version": {"version": "1.0.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "1.0.0"),
            ("tag", "1.0.0"),
            ("url", &tarball("1.0.0")),
            ("checksum", &format!("sha512:{sha512}")),
            ("published_at", "2024-05-01T12:34:56Z"),
            ("dist_tags", "latest"),
        ])
    );
    assert_eq!(
        metadata_names(&out),
        [
            "package",
            "version",
            "url",
            "published_at",
            "checksum",
            "dist_tags"
        ]
    );
    assert_eq!(
        *accepts.lock().unwrap(),
        [
            "/@scope%2fcli application/vnd.npm.install-v1+json; q=1.0, application/json; q=0.8",
            "/@scope%2fcli application/json",
        ]
    );
    // A version from before `integrity`: its `shasum`.
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "0.9.0"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "0.9.0"),
            ("tag", "0.9.0"),
            ("url", &tarball("0.9.0")),
            ("checksum", &format!("sha1:{shasum}")),
            ("published_at", "2015-03-24T00:12:24Z"),
        ])
    );
    // The full document unreadable: everything else, and a warning.
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": {"npm": "plain", "registry": registry}, "version": {"version": "1.0.0"}}),
        dest.path(),
    );
    run.succeeds();
    assert!(
        run.stderr.contains("no published_at for plain 1.0.0")
            && run.stderr.contains("not an npm package document"),
        "{}",
        run.stderr
    );
    assert!(!dest.path().join("published_at").exists());
    assert!(dest.path().join("checksum").exists());
}

/// crates: `url` is where Cargo would download the `.crate` (the index's `config.json` `dl`,
/// its markers expanded), `checksum` the index line's `cksum`; the sparse index has no publish
/// time, so no `published_at`. No `config.json`: no `url` (a warning), and no download.
#[test]
#[cfg_attr(
    not(uptick_has_python3),
    ignore = "needs python3 (apt-get install python3)"
)]
fn crates_in_writes_the_download_url_and_cksum() {
    use crate::support::{dest_files, files_of, seed::sha256};
    let index = tempfile::tempdir().unwrap();
    let crate_bytes = b"crate archive of Tok 0.2.0".to_vec();
    let checksum = sha256(&crate_bytes);
    // An index line as crates.io writes it (`v`, `deps`, `features`, `rust_version`).
    let line = json!({
        "name": "Tok", "vers": "0.2.0", "deps": [], "cksum": &checksum[7..],
        "features": {}, "yanked": false, "rust_version": "1.70", "v": 2
    });
    std::fs::create_dir_all(index.path().join("3/t")).unwrap();
    std::fs::write(index.path().join("3/t/tok"), line.to_string() + "\n").unwrap();
    let server = servers::static_files(index.path());
    let base = format!("http://127.0.0.1:{}", server.port);
    let dl = format!("{base}/files/{{lowerprefix}}/{{crate}}/{{crate}}-{{version}}.crate");
    std::fs::write(
        index.path().join("config.json"),
        json!({"dl": dl, "api": base}).to_string(),
    )
    .unwrap();
    std::fs::create_dir_all(index.path().join("files/3/t/Tok")).unwrap();
    std::fs::write(
        index.path().join("files/3/t/Tok/Tok-0.2.0.crate"),
        &crate_bytes,
    )
    .unwrap();
    let src = json!({"crate": "tok", "index_url": base});
    let dest = tempfile::tempdir().unwrap();
    let out = get(
        &json!({"source": src, "version": {"version": "0.2.0"}}),
        dest.path(),
    )
    .succeeds();
    let url = format!("{base}/files/3/t/Tok/Tok-0.2.0.crate");
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "0.2.0"),
            ("tag", "0.2.0"),
            ("url", &url),
            ("checksum", &checksum),
        ])
    );
    assert_eq!(
        metadata_names(&out),
        ["package", "version", "url", "checksum"]
    );
    // The `url` is the file `download` fetches and verifies.
    let dest = tempfile::tempdir().unwrap();
    get(
        &json!({"source": src, "version": {"version": "0.2.0"}, "params": {"download": "*.crate"}}),
        dest.path(),
    )
    .succeeds();
    assert_eq!(
        std::fs::read(dest.path().join("Tok-0.2.0.crate")).unwrap(),
        crate_bytes
    );

    std::fs::remove_file(index.path().join("config.json")).unwrap();
    let dest = tempfile::tempdir().unwrap();
    let run = get(
        &json!({"source": src, "version": {"version": "0.2.0"}}),
        dest.path(),
    );
    run.succeeds();
    assert_eq!(
        dest_files(dest.path()),
        files_of(&[
            ("version", "0.2.0"),
            ("tag", "0.2.0"),
            ("checksum", &checksum)
        ])
    );
    assert!(
        run.stderr.contains("no url for tok 0.2.0") && run.stderr.contains("config.json"),
        "{}",
        run.stderr
    );
    let line = get(
        &json!({"source": src, "version": {"version": "0.2.0"}, "params": {"download": "*.crate"}}),
        dest.path(),
    )
    .fails();
    assert!(
        line.contains("no `dl` in the index configuration"),
        "{line}"
    );
}

/// GitHub: `in` writes the release's `body` and the commit its tag points at, found as
/// github-release-resource finds it (`target_commitish` names a branch as often as a commit):
/// `git/ref/tags/TAG`, then each annotated tag object down to the commit, with the token. Tags
/// (`releases: false`) list their commit. A tag that is gone: no `commit_sha`, a warning.
#[test]
fn github_in_writes_body_and_the_tags_commit() {
    use crate::support::fake::{self, Reply};
    use crate::support::{dest_files, files_of};
    use std::sync::{Arc, Mutex};
    let port = crate::support::free_port();
    let base = format!("http://127.0.0.1:{port}");
    let commit = "6dcb09b5b57875f334f61aebed695e2e4193db5e";
    let (tag1, tag2) = (
        "940bd336248efae0f9ee5bc7b2d5c985887b16ac",
        "c3d0be41ecbe669545ee3e94d31ed9a4bc91ee3c",
    );
    let other = "7fd1a60b01f91b314f59955a4e4d4e80d8edf11d";
    // A release as `GET /repos/{owner}/{repo}/releases` lists it (GitHub's documented example).
    let release = |tag: &str, body: Value, published: &str| {
        json!({
            "url": format!("https://api.github.com/repos/o/r/releases/{}", tag.len()),
            "html_url": format!("https://github.com/o/r/releases/tag/{tag}"),
            "assets_url": "https://api.github.com/repos/o/r/releases/1/assets",
            "upload_url": "https://uploads.github.com/repos/o/r/releases/1/assets{?name,label}",
            "tarball_url": format!("https://api.github.com/repos/o/r/tarball/{tag}"),
            "zipball_url": format!("https://api.github.com/repos/o/r/zipball/{tag}"),
            "id": 1, "node_id": "MDc6UmVsZWFzZTE=", "tag_name": tag,
            "target_commitish": "main", "name": tag, "body": body,
            "draft": false, "prerelease": false, "immutable": false,
            "created_at": published, "published_at": published,
            "author": {"login": "octocat", "id": 1, "type": "User", "site_admin": false},
            "assets": [],
        })
    };
    let releases = json!([
        release(
            "v2.0.0",
            json!("## Changes\n\n- faster\n- ünïcode ✓\n"),
            "2026-10-01T10:20:30Z"
        ),
        release("v1.0.0", json!(null), "2026-01-01T00:00:00Z"),
        release("release/3.0", json!(""), "2026-11-01T00:00:00Z"),
        release("v0.9.0", json!("gone"), "2025-01-01T00:00:00Z"),
    ])
    .to_string();
    let tags = json!([
        {"name": "v2.0.0", "zipball_url": "z", "tarball_url": "t", "commit": {"sha": commit, "url": "u"}, "node_id": "n"},
        {"name": "v1.0.0", "zipball_url": "z", "tarball_url": "t", "commit": {"sha": other, "url": "u"}, "node_id": "n"},
        {"name": "2.0.0", "zipball_url": "z", "tarball_url": "t", "commit": {"sha": other, "url": "u"}, "node_id": "n"},
    ])
    .to_string();
    let object = |kind: &str, sha: &str| {
        json!({"object": {"type": kind, "sha": sha, "url": format!("{base}/x/{sha}")}}).to_string()
    };
    // A ref as `git/ref/tags/…` answers it; an annotated tag object as `git/tags/SHA` does.
    let answers: Vec<(String, String)> = vec![
        ("/repos/o/r/git/ref/tags/v2.0.0".into(), object("tag", tag1)),
        (format!("/repos/o/r/git/tags/{tag1}"), object("tag", tag2)),
        (
            format!("/repos/o/r/git/tags/{tag2}"),
            object("commit", commit),
        ),
        (
            "/repos/o/r/git/ref/tags/v1.0.0".into(),
            object("commit", other),
        ),
        (
            "/repos/o/r/git/ref/tags/release/3.0".into(),
            object("commit", other),
        ),
    ];
    // Each request's path and `Authorization`.
    type Seen = Arc<Mutex<Vec<(String, Option<String>)>>>;
    let seen: Seen = Arc::default();
    let log = seen.clone();
    fake::serve_requests(port, move |r| {
        log.lock().unwrap().push((
            r.path.clone(),
            r.header("Authorization").map(str::to_string),
        ));
        match r.path.as_str() {
            "/repos/o/r/releases?per_page=100" => Reply::new(200, releases.clone()),
            "/repos/o/r/tags?per_page=100" => Reply::new(200, tags.clone()),
            p => match answers.iter().find(|(path, _)| path == p) {
                Some((_, body)) => Reply::new(200, body.clone()),
                None => Reply::new(404, r#"{"message":"Not Found","status":"404"}"#),
            },
        }
    });
    let token = crate::support::secret("ghp_uptick_in_token_value");
    let src = json!({"github": "o/r", "api_url": base, "access_token": token});
    let get_v = |source: &Value, version: Value| {
        let dest = tempfile::tempdir().unwrap();
        let run = get(&json!({"source": source, "version": version}), dest.path());
        let out = run.succeeds();
        (dest_files(dest.path()), out, run.stderr)
    };

    let (files, out, _) = get_v(&src, json!({"version": "2.0.0", "tag": "v2.0.0"}));
    assert_eq!(
        files,
        files_of(&[
            ("version", "2.0.0"),
            ("tag", "v2.0.0"),
            ("url", "https://github.com/o/r/releases/tag/v2.0.0"),
            ("published_at", "2026-10-01T10:20:30Z"),
            ("commit_sha", commit),
            ("body", "## Changes\n\n- faster\n- ünïcode ✓\n"),
        ])
    );
    assert_eq!(
        metadata_names(&out),
        [
            "package",
            "version",
            "tag",
            "url",
            "published_at",
            "commit_sha",
            "body"
        ]
    );
    let paths: Vec<(String, Option<String>)> = seen.lock().unwrap().drain(..).collect();
    assert_eq!(
        paths,
        [
            "/repos/o/r/releases?per_page=100".to_string(),
            "/repos/o/r/git/ref/tags/v2.0.0".to_string(),
            format!("/repos/o/r/git/tags/{tag1}"),
            format!("/repos/o/r/git/tags/{tag2}"),
        ]
        .map(|p| (p, Some(format!("Bearer {token}"))))
    );
    // A pinned version without its tag: the tag from the listing. No body: an empty `body`.
    let (files, out, _) = get_v(&src, json!({"version": "1.0.0"}));
    assert_eq!(
        files,
        files_of(&[
            ("version", "1.0.0"),
            ("tag", "v1.0.0"),
            ("url", "https://github.com/o/r/releases/tag/v1.0.0"),
            ("published_at", "2026-01-01T00:00:00Z"),
            ("commit_sha", other),
            ("body", ""),
        ])
    );
    assert_eq!(out["version"], json!({"version": "1.0.0"}));
    assert_eq!(
        metadata_names(&out),
        [
            "package",
            "version",
            "tag",
            "url",
            "published_at",
            "commit_sha"
        ]
    );
    // A tag with a `/`, through `tag_regex`.
    let mut slashed = src.clone();
    slashed["tag_regex"] = json!("^release/(?P<version>.+)$");
    let (files, _, _) = get_v(&slashed, json!({"version": "3.0", "tag": "release/3.0"}));
    assert_eq!(files["tag"], "release/3.0");
    assert_eq!(files["commit_sha"], other);
    // The tag is gone (its ref 404s): everything else, and a warning.
    let (files, _, stderr) = get_v(&src, json!({"version": "0.9.0", "tag": "v0.9.0"}));
    assert_eq!(
        files,
        files_of(&[
            ("version", "0.9.0"),
            ("tag", "v0.9.0"),
            ("url", "https://github.com/o/r/releases/tag/v0.9.0"),
            ("published_at", "2025-01-01T00:00:00Z"),
            ("body", "gone"),
        ])
    );
    assert!(
        stderr.contains("no commit_sha for o/r v0.9.0") && stderr.contains("is not found"),
        "{stderr}"
    );
    // Tags: the commit the list names, no further request; no release, so no body.
    seen.lock().unwrap().clear();
    let mut tags_src = src.clone();
    tags_src["releases"] = json!(false);
    let (files, _, _) = get_v(&tags_src, json!({"version": "2.0.0", "tag": "v2.0.0"}));
    assert_eq!(
        files,
        files_of(&[
            ("version", "2.0.0"),
            ("tag", "v2.0.0"),
            ("commit_sha", commit)
        ])
    );
    assert_eq!(seen.lock().unwrap().len(), 1);
    // Two tags of one version: the one the version names, and its commit.
    let (files, _, _) = get_v(&tags_src, json!({"version": "2.0.0", "tag": "2.0.0"}));
    assert_eq!(
        files,
        files_of(&[
            ("version", "2.0.0"),
            ("tag", "2.0.0"),
            ("commit_sha", other)
        ])
    );
}
