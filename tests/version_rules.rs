//! Each ecosystem's version rules end to end: the real `check` with a `constraint` against pypiserver (PEP 440), an npm registry replay and git tags (node-semver).

use crate::support::servers;
use crate::support::{check, versions};
use serde_json::json;

#[test]
#[cfg_attr(
    not(uptick_has_pypiserver),
    ignore = "needs pypiserver (pip install pypiserver)"
)]
fn pypi_constraints_follow_pep_440_as_packaging_applies_it() {
    let dir = tempfile::tempdir().unwrap();
    for v in [
        "1.0.dev0",
        "1.0a1",
        "1.0rc1",
        "1.0",
        "1.0.post0",
        "1.0.post1",
        "2.0a1",
        "2.0a2",
        "invalid",
    ] {
        std::fs::write(dir.path().join(format!("tool-{v}.tar.gz")), b"sdist").unwrap();
    }
    let server = servers::pypiserver(dir.path());
    let index = format!("http://127.0.0.1:{}/simple", server.port);
    // `false` here is the default: `pre_releases` left out.
    let run = |constraint: &str, pre: bool, cursor: Option<&str>| {
        let mut req =
            json!({"source": {"pypi": "tool", "index_url": index, "constraint": constraint}});
        if pre {
            req["source"]["pre_releases"] = json!(true);
        }
        if let Some(c) = cursor {
            req["version"] = json!({"version": c});
        }
        versions(&check(&req).succeeds())
    };
    // `<V.postN` admits V's pre-releases and dev releases.
    assert_eq!(
        run("<1.0.post1", true, Some("1.0.dev0")),
        ["1.0.dev0", "1.0a1", "1.0rc1", "1.0", "1.0.post0"]
    );
    // `<V` with V a pre-release admits the earlier pre-releases of V's release (and names a
    // pre-release, so pre-releases are in without `pre_releases`).
    assert_eq!(
        run("<2.0a2", false, Some("1.0.post1")),
        ["1.0.post1", "2.0a1"]
    );
    // `>V` with V a pre-release admits the post-releases of V's final.
    assert_eq!(
        run(">1.0a1", false, Some("1.0rc1")),
        ["1.0rc1", "1.0", "1.0.post0", "1.0.post1", "2.0a1", "2.0a2"]
    );
    assert_eq!(run(">1.0", false, Some("1.0")), ["2.0a2"]);
    // `===` is string equality, for a release that is not PEP 440 at all.
    assert_eq!(run("===invalid", false, None), ["invalid"]);
    assert_eq!(run("===INVALID, >=1", false, None), Vec::<String>::new());
    // PEP 440's default: pre-releases when no final or post release matches.
    assert_eq!(run(">=1.5", false, None), ["2.0a2"]);
    assert_eq!(
        run(">=1.0, <2", false, Some("1.0")),
        ["1.0", "1.0.post0", "1.0.post1"]
    );
    let line =
        check(&json!({"source": {"pypi": "tool", "index_url": index, "constraint": ">=1.0 <2"}}))
            .fails();
    assert!(
        line.contains(
            "invalid constraint `>=1.0 <2`: `>=1.0 <2` is not a PEP 440 version specifier"
        ),
        "{line}"
    );
}

#[test]
fn npm_ranges_follow_node_semver_with_include_prerelease() {
    use crate::support::fake::{self, Reply};
    let mut versions_doc = serde_json::Map::new();
    for v in [
        "1.0.0",
        "1.1.0-rc1",
        "1.1.0",
        "2.0.0-0",
        "2.1.0-pre.0",
        "2.1.0",
        "3.0.0-beta.1",
    ] {
        versions_doc.insert(v.into(), json!({"version": v, "dist": {}}));
    }
    let doc = json!({"name": "pkg", "dist-tags": {"latest": "2.1.0"}, "versions": versions_doc})
        .to_string();
    let port = fake::serve(move |_, path| {
        if path == "/pkg" {
            Reply::new(200, doc.clone()).header("Content-Type", "application/json")
        } else {
            Reply::new(404, "{}")
        }
    });
    let registry = format!("http://127.0.0.1:{port}");
    // `false` here is the default: `pre_releases` left out.
    let run = |constraint: &str, pre: bool, cursor: Option<&str>| {
        let mut req =
            json!({"source": {"npm": "pkg", "registry": registry, "constraint": constraint}});
        if pre {
            req["source"]["pre_releases"] = json!(true);
        }
        if let Some(c) = cursor {
            req["version"] = json!({"version": c});
        }
        versions(&check(&req).succeeds())
    };
    // includePrerelease: `2.x` is >=2.0.0-0 <3.0.0-0.
    assert_eq!(
        run("2.x", true, Some("2.0.0-0")),
        ["2.0.0-0", "2.1.0-pre.0", "2.1.0"]
    );
    assert_eq!(
        run("^1.0.0", true, Some("1.0.0")),
        ["1.0.0", "1.1.0-rc1", "1.1.0"]
    );
    // Without it: a pre-release only through a comparator naming one of the same tuple.
    assert_eq!(run("^1.0.0", false, Some("1.0.0")), ["1.0.0", "1.1.0"]);
    assert_eq!(
        run(">=1.1.0-rc1 <2", false, Some("1.1.0-rc1")),
        ["1.1.0-rc1", "1.1.0"]
    );
    assert_eq!(run("*", false, Some("2.1.0")), ["2.1.0"]);
    // Empty alternatives and x-ranges everywhere.
    assert_eq!(run("||", false, None), ["2.1.0"]);
    assert_eq!(run("1.x ||", false, Some("1.1.0")), ["1.1.0", "2.1.0"]);
    assert_eq!(run("^x", true, None), ["3.0.0-beta.1"]);
    assert_eq!(
        run("1.0.0 - x", false, Some("1.0.0")),
        ["1.0.0", "1.1.0", "2.1.0"]
    );
    let line =
        check(&json!({"source": {"npm": "pkg", "registry": registry, "constraint": "1.x.2"}}))
            .fails();
    assert!(
        line.contains("invalid constraint `1.x.2`: `1.x.2` is not a valid comparator"),
        "{line}"
    );
}

#[test]
#[cfg_attr(not(uptick_has_git), ignore = "needs git (apt-get install git)")]
fn git_tags_are_read_loosely_under_node_semver_ranges() {
    let root = git_repo_tagged(&["v1.0.0", "v1.1.0-rc.1", "v1.1", "v1.2.0-beta", "2024.01.15"]);
    // `false` here is the default: `pre_releases` left out.
    let src = |constraint: &str, pre: bool| {
        let mut s =
            json!({"git": format!("file://{}", root.path().display()), "constraint": constraint});
        if pre {
            s["pre_releases"] = json!(true);
        }
        s
    };
    // `v1.1` reads as 1.1.0; with pre_releases (includePrerelease) `~1.1` is >=1.1.0-0 <1.2.0-0.
    let out = check(&json!({"source": src("~1.1", true), "version": {"version": "1.1.0-rc.1", "tag": "v1.1.0-rc.1"}})).succeeds();
    assert_eq!(
        out,
        json!([
            {"version": "1.1.0-rc.1", "tag": "v1.1.0-rc.1"},
            {"version": "1.1", "tag": "v1.1"},
        ])
    );
    let out = check(&json!({"source": src("~1.1", false)})).succeeds();
    assert_eq!(out, json!([{"version": "1.1", "tag": "v1.1"}]));
    let out = check(&json!({"source": src(">=2000", false)})).succeeds();
    assert_eq!(out, json!([{"version": "2024.01.15"}]));
}

/// What `check` answers with `pre_releases` absent, `false` and `true` (in that order) on
/// `source`, from `cursor` when given.
fn absent_false_true(source: &serde_json::Value, cursor: Option<&str>) -> [Vec<String>; 3] {
    [None, Some(false), Some(true)].map(|pre| {
        let mut req = json!({ "source": source });
        if let Some(p) = pre {
            req["source"]["pre_releases"] = json!(p);
        }
        if let Some(c) = cursor {
            req["version"] = json!({ "version": c });
        }
        versions(&check(&req).succeeds())
    })
}

/// A git repository (a temporary directory) with one commit carrying each of `tags`.
fn git_repo_tagged(tags: &[&str]) -> tempfile::TempDir {
    let root = tempfile::tempdir().unwrap();
    let run_git = |args: &[&str]| {
        let ok = std::process::Command::new("git")
            .args(["-c", "user.email=t@example.com", "-c", "user.name=t"])
            .args(["-c", "init.defaultBranch=main"])
            .args(args)
            .current_dir(root.path())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .status()
            .unwrap()
            .success();
        assert!(ok, "git {args:?}");
    };
    run_git(&["init", "-q"]);
    run_git(&["commit", "-q", "--allow-empty", "-m", "one"]);
    for t in tags {
        run_git(&["tag", t]);
    }
    root
}

const NONE: Vec<&str> = Vec::new();

#[test]
#[cfg_attr(
    not(uptick_has_pypiserver),
    ignore = "needs pypiserver (pip install pypiserver)"
)]
fn pypi_pre_releases_false_admits_none_even_when_only_pre_releases_match() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("tool-1.0.dev1.tar.gz"), b"sdist").unwrap();
    let server = servers::pypiserver(dir.path());
    let index = format!("http://127.0.0.1:{}/simple", server.port);
    // Absent is `packaging`'s `prereleases=None`: the pre-release, since nothing else matches;
    // `false` is `prereleases=False`: nothing; `true` is `prereleases=True`.
    for constraint in ["<=2.0", ">=1.0.dev0", "==1.0.dev1"] {
        let src = json!({"pypi": "tool", "index_url": index, "constraint": constraint});
        assert_eq!(
            absent_false_true(&src, None),
            [vec!["1.0.dev1"], NONE, vec!["1.0.dev1"]],
            "{constraint}"
        );
    }
    let src = json!({"pypi": "tool", "index_url": index});
    assert_eq!(
        absent_false_true(&src, None),
        [vec!["1.0.dev1"], NONE, vec!["1.0.dev1"]]
    );
}

#[test]
fn npm_pre_releases_false_admits_none_even_through_a_comparator_of_the_same_tuple() {
    use crate::support::fake::{self, Reply};
    let mut versions_doc = serde_json::Map::new();
    for v in ["1.0.0", "1.1.0-rc1", "1.1.0", "1.2.0-beta.1"] {
        versions_doc.insert(v.into(), json!({"version": v, "dist": {}}));
    }
    let doc = json!({"name": "pkg", "dist-tags": {"latest": "1.1.0"}, "versions": versions_doc})
        .to_string();
    let port = fake::serve(move |_, path| match path {
        "/pkg" => Reply::new(200, doc.clone()).header("Content-Type", "application/json"),
        _ => Reply::new(404, "{}"),
    });
    let registry = format!("http://127.0.0.1:{port}");
    let src =
        |constraint: &str| json!({"npm": "pkg", "registry": registry, "constraint": constraint});
    // Absent: node-semver's default, a pre-release through a comparator naming one of its tuple.
    assert_eq!(
        absent_false_true(&src(">=1.1.0-rc1 <1.1.0"), None),
        [vec!["1.1.0-rc1"], NONE, vec!["1.1.0-rc1"]]
    );
    assert_eq!(
        absent_false_true(&src("1.1.0-rc1"), None),
        [vec!["1.1.0-rc1"], NONE, vec!["1.1.0-rc1"]]
    );
    // From the pre-release cursor: with `false` it is no longer a candidate (the newest then).
    assert_eq!(
        absent_false_true(&src(">=1.1.0-rc1 <2"), Some("1.1.0-rc1")),
        [
            vec!["1.1.0-rc1", "1.1.0"],
            vec!["1.1.0"],
            vec!["1.1.0-rc1", "1.1.0", "1.2.0-beta.1"]
        ]
    );
}

#[test]
#[cfg_attr(not(uptick_has_git), ignore = "needs git (apt-get install git)")]
fn git_tag_pre_releases_false_admits_none_even_through_a_comparator_of_the_same_tuple() {
    let root = git_repo_tagged(&["v1.0.0", "v1.1.0-rc.1"]);
    let src = json!({"git": format!("file://{}", root.path().display()), "constraint": ">=1.1.0-rc.0 <1.1.0"});
    assert_eq!(
        absent_false_true(&src, None),
        [vec!["1.1.0-rc.1"], NONE, vec!["1.1.0-rc.1"]]
    );
}

#[test]
fn gem_pre_releases_false_admits_none_even_when_a_requirement_names_one() {
    use crate::support::fake::{self, Reply};
    let sum = "0".repeat(64);
    let info = format!("---\n0.9 |checksum:{sum}\n1.2.rc1 |checksum:{sum}\n");
    let port = fake::serve(move |_, path| match path {
        "/info/tool" => Reply::new(200, info.clone()),
        _ => Reply::new(404, ""),
    });
    let index = format!("http://127.0.0.1:{port}");
    // Absent: `Gem::Dependency#match?`, a prerelease when a requirement names one.
    let src = json!({"gem": "tool", "index_url": index, "constraint": ">= 1.0.0.a, < 1.5"});
    assert_eq!(
        absent_false_true(&src, None),
        [vec!["1.2.rc1"], NONE, vec!["1.2.rc1"]]
    );
    let src = json!({"gem": "tool", "index_url": index});
    assert_eq!(
        absent_false_true(&src, None),
        [vec!["0.9"], vec!["0.9"], vec!["1.2.rc1"]]
    );
}
