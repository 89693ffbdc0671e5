//! Package sources against real servers: pypiserver (PEP 503) and a static sparse crates index.

use crate::support::servers;
use crate::support::{check, get};
use serde_json::{json, Value};

fn versions(out: &Value) -> Vec<String> {
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect()
}

#[test]
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
    assert_eq!(versions(&run.ok()), ["1.18.100.post1"]);
    assert_eq!(run.request_lines().len(), 1, "{:?}", run.request_lines());
    // With a cursor: the cursor and everything newer, in PEP 440 order.
    let out = check(&json!({"source": src(json!({})), "version": {"version": "1.9.0"}})).ok();
    assert_eq!(
        versions(&out),
        ["1.9.0", "1.18.99", "1.18.100", "1.18.100.post1"]
    );
    let out = check(
        &json!({"source": src(json!({"pre_releases": true})), "version": {"version": "1.18.100"}}),
    )
    .ok();
    assert_eq!(
        versions(&out),
        ["1.18.100", "1.18.100.post1", "1.19.0rc1", "2.0.0.dev1"]
    );
    // PEP 440 specifiers, regexes, ignore.
    let out = check(&json!({"source": src(json!({"constraint": "~=1.18.0, !=1.18.100.post1"})), "version": {"version": "1.18.99"}})).ok();
    assert_eq!(versions(&out), ["1.18.99", "1.18.100"]);
    let out =
        check(&json!({"source": src(json!({"exclude_regex": "post", "ignore": ["1.18.100"]}))}))
            .ok();
    assert_eq!(versions(&out), ["1.18.99"]);
    // A cursor no longer listed: the newest.
    let out = check(&json!({"source": src(json!({})), "version": {"version": "0.1"}})).ok();
    assert_eq!(versions(&out), ["1.18.100.post1"]);

    let dest = tempfile::tempdir().unwrap();
    let got = get(
        &json!({"source": src(json!({})), "version": {"version": "1.18.100"}}),
        dest.path(),
    )
    .ok();
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
    let out = check(&json!({"source": src, "version": {"version": "1.0.0"}})).ok();
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
            "source.repository: unknown field",
        ),
        (
            json!({"pypi": "a", "colour": 1}),
            "source.colour: unknown field",
        ),
        (json!({"npm": "left-pad"}), "not supported yet"),
    ] {
        let line = check(&json!({"source": source})).fails();
        assert!(line.contains(expected), "{source}: {line}");
    }
}
