//! Bad requests: exit 1, one specific line on stderr, nothing on stdout, no panic, no request sent.

use crate::support::{run, Bin};

/// (binary, stdin, args, text the error line must contain)
const CASES: &[(Bin, &str, &[&str], &str)] = &[
    (Bin::Check, "", &[], "empty request"),
    (Bin::Check, "{", &[], "invalid payload"),
    (Bin::Check, "not json", &[], "invalid payload"),
    (Bin::Check, "[]", &[], "invalid payload"),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"}} {}"#,
        &[],
        "trailing data",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"extra":1}"#,
        &[],
        "unknown field `extra`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","colour":"red"}}"#,
        &[],
        "source.colour: unknown field `colour`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","platform":{"arch":"arm64"}}}"#,
        &[],
        "source.platform.arch: unknown field `arch`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","registry_mirror":{"host":"m","user":"u"}}}"#,
        &[],
        "source.registry_mirror.user: unknown field `user`",
    ),
    (
        Bin::Check,
        r#"{"source":{"tag":"x"}}"#,
        &[],
        "missing field `repository`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":42,"tag":"x"}}"#,
        &[],
        "source.repository",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":true}}"#,
        &[],
        "source.tag",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","insecure":"yes"}}"#,
        &[],
        "source.insecure",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"Not/Valid","tag":"x"}}"#,
        &[],
        "invalid image reference `Not/Valid`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"alpine:3.20","tag":"x"}}"#,
        &[],
        "must not contain a tag",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"bad host:5000/x","tag":"x"}}"#,
        &[],
        "invalid image reference",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"-bad"}}"#,
        &[],
        "source.tag",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"version":{"tag":"x"}}"#,
        &[],
        "version: missing field `digest`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"version":{"digest":"latest"}}"#,
        &[],
        "version.digest: invalid digest `latest`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"version":{"digest":"sha256:abc"}}"#,
        &[],
        "version.digest",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"version":{"ref":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"}}"#,
        &[],
        "unknown field `ref`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x"},"version":"v1"}"#,
        &[],
        "version",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag_regex":"(unclosed"}}"#,
        &[],
        "source.tag_regex: invalid regex",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","semver_constraint":">= 1.2,, < 2"}}"#,
        &[],
        "source.semver_constraint: improper constraint: `>= 1.2,, < 2`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag_regex":"^(?P<version>.*)$","created_at_sort":true}}"#,
        &[],
        "source.created_at_sort",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","pre_release_prefixes":"rc"}}"#,
        &[],
        "source.pre_release_prefixes",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","aws_region":"eu-west-1","aws_role_arn":"arn:a","aws_role_arns":["arn:b"]}}"#,
        &[],
        "cannot be set together with aws_role_arns",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","aws_region":"us-east-1.evil.example/","aws_access_key_id":"A","aws_secret_access_key":"B"}}"#,
        &[],
        "is not a region name",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a.azurecr.io/x","tag":"x","azure_acr":true,"azure_environment":"Mars"}}"#,
        &[],
        "azure_environment `Mars`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","semver_cn\\\nstraint":"^0"}}"#,
        &[],
        r"unknown field `semver_cn\\nstraint`",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","content_trust":{"server":"s"}}}"#,
        &[],
        "not supported yet",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","ca_certs":["not a pem"]}}"#,
        &[],
        "ca_certs",
    ),
    (
        Bin::In,
        r#"{"source":{"repository":"a"},"version":{"tag":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"params":{"skip_download":true}}"#,
        &[],
        "destination path not specified",
    ),
    (
        Bin::In,
        r#"{"source":{"repository":"a"},"params":{}}"#,
        &["/tmp/x"],
        "missing field `version`",
    ),
    (
        Bin::In,
        r#"{"source":{"repository":"a"},"version":{"tag":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"params":{"format":"tarball"}}"#,
        &["/tmp/x"],
        "params.format: unknown variant `tarball`",
    ),
    (
        Bin::In,
        r#"{"source":{"repository":"a"},"version":{"tag":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"params":{"skip":true}}"#,
        &["/tmp/x"],
        "params.skip: unknown field `skip`",
    ),
    (
        Bin::In,
        r#"{"source":{"repository":"a","label_regex":"("},"version":{"tag":"x","digest":"sha256:0000000000000000000000000000000000000000000000000000000000000000"},"params":{"skip_download":true}}"#,
        &["/tmp/x"],
        "source.label_regex: invalid regex",
    ),
];

#[test]
fn bad_requests_fail_with_one_specific_line() {
    for (bin, input, args, expected) in CASES {
        let r = run(*bin, input, args);
        let line = r.fails();
        assert!(
            line.contains(expected),
            "input {input}: expected `{expected}` in: {line}"
        );
    }
}

/// A generated table of malformed and adversarial requests through all three binaries: each
/// exits 1 with one `error:` line, nothing on stdout, no panic.
#[test]
fn hostile_requests_through_every_binary() {
    let dest = tempfile::tempdir().unwrap();
    let d = dest.path().to_str().unwrap().to_string();
    let good_digest = format!("sha256:{}", "0".repeat(64));
    let repo = "127.0.0.1:1/app"; // nothing listens on port 1: refused at once
    let mut bodies: Vec<String> = vec![
        String::new(),
        "null".into(),
        "0".into(),
        "1e999".into(),
        "-1".into(),
        "\"string\"".into(),
        "true".into(),
        "[]".into(),
        "{}".into(),
        "{\"source\":null}".into(),
        "{\"source\":[]}".into(),
        "{\"source\":\"x\"}".into(),
        "{\"source\":{}}".into(),
        format!("{}{}", "[".repeat(10_000), "]".repeat(10_000)),
        format!(
            "{{\"source\":{}}}",
            "{\"a\":".repeat(500) + "1" + &"}".repeat(500)
        ),
        "{\"source\":{\"repository\":\"a\u{0000}b\",\"tag\":\"x\"}}".into(),
        "{\"source\":{\"repository\":\"\\u0000\",\"tag\":\"x\"}}".into(),
        "{\"source\":{\"repository\":\"ΑΒΓ/δ\",\"tag\":\"x\"}}".into(),
        "{\"source\":{\"repository\":\"🦀\",\"tag\":\"x\"}}".into(),
        format!(
            "{{\"source\":{{\"repository\":\"{}\",\"tag\":\"x\"}}}}",
            "a".repeat(100_000)
        ),
        format!(
            "{{\"source\":{{\"repository\":\"{repo}\",\"tag\":\"{}\"}}}}",
            "t".repeat(200)
        ),
        format!(
            "{{\"source\":{{\"repository\":\"{repo}\",\"tag\":123456789012345678901234567890}}}}"
        ),
        "{\"source\":{\"repository\":\"a\",\"tag\":\"x\"},\"source\":{}}".into(),
        " {\"source\":{\"repository\":\"a\"}} trailing".into(),
        "\u{feff}{\"source\":{}}".into(),
        "{'source': {}}".into(),
        "{\"source\":{\"repository\":\"a\",}}".into(),
    ];
    // Every source field with wrong-typed values.
    for field in [
        "repository",
        "insecure",
        "ca_certs",
        "platform",
        "registry_mirror",
        "debug",
        "pre_releases",
        "base",
        "tag_regex",
        "label_regex",
        "client_key",
    ] {
        for value in ["{}", "[1,2]", "12.5", "false", "null"] {
            if (field == "platform" || field == "registry_mirror" || field == "base")
                && value == "{}"
            {
                continue;
            }
            if value == "null" && field != "repository" {
                continue;
            }
            if value == "false"
                && (field == "insecure" || field == "debug" || field == "pre_releases")
            {
                continue;
            }
            bodies.push(format!("{{\"source\":{{\"repository\":\"{repo}\",\"tag\":\"x\",\"{field}\":{value}}}}}").replace("\"repository\":\"127.0.0.1:1/app\",\"tag\":\"x\",\"repository\":", "\"tag\":\"x\",\"repository\":"));
        }
    }
    // Cursor shapes.
    for version in [
        "[]",
        "\"sha256:00\"",
        "{\"digest\":1}",
        "{\"digest\":\"sha512:zz\"}",
        "{\"tag\":[],\"digest\":\"x\"}",
        "{\"digest\":\"SHA256:00\"}",
    ] {
        bodies.push(format!(
            "{{\"source\":{{\"repository\":\"{repo}\",\"tag\":\"x\"}},\"version\":{version}}}"
        ));
    }
    // Package sources.
    for source in [
        "{\"pypi\":\"\"}",
        "{\"pypi\":\"x\",\"npm\":\"y\"}",
        "{\"git\":\"ssh://host/repo\"}",
        "{\"github\":\"../../etc\"}",
        "{\"crate\":\"../../x\",\"index_url\":\"http://127.0.0.1:1\"}",
        "{\"pypi\":\"x\",\"constraint\":\"~=\"}",
        "{\"pypi\":\"x\",\"include_regex\":\"(\"}",
        "{\"npm\":\"x\",\"constraint\":\"\\u0000\"}",
    ] {
        bodies.push(format!("{{\"source\":{source}}}"));
    }
    let mut cases: Vec<(Bin, String, Vec<String>)> = Vec::new();
    for b in &bodies {
        cases.push((Bin::Check, b.clone(), vec![]));
    }
    // in: versions, params and destinations.
    for (version, params) in [
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "{\"format\":\"tar\"}".to_string(),
        ),
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "{\"platform\":\"linux\"}".to_string(),
        ),
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "{\"skip_download\":\"yes\"}".to_string(),
        ),
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "{\"aliases\":1}".to_string(),
        ),
        ("null".to_string(), "{}".to_string()),
        ("{}".to_string(), "{}".to_string()),
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "[]".to_string(),
        ),
        (
            format!("{{\"tag\":\"x\",\"digest\":\"{good_digest}\"}}"),
            "{}".to_string(),
        ),
    ] {
        cases.push((Bin::In, format!("{{\"source\":{{\"repository\":\"{repo}\"}},\"version\":{version},\"params\":{params}}}"), vec![d.clone()]));
    }
    cases.push((Bin::In, format!("{{\"source\":{{\"repository\":\"{repo}\"}},\"version\":{{\"digest\":\"{good_digest}\"}}}}"), vec![]));
    cases.push((Bin::In, format!("{{\"source\":{{\"repository\":\"{repo}\"}},\"version\":{{\"digest\":\"{good_digest}\"}}}}"), vec!["/proc/forbidden/x".into()]));
    cases.push((Bin::In, "{\"source\":{\"pypi\":\"x\",\"index_url\":\"http://127.0.0.1:1\"},\"version\":{\"version\":\"1\"},\"params\":{\"download\":\"*\"}}".into(), vec![d.clone()]));
    // out: globs, promote paths, tags, params shapes.
    for params in [
        "{\"image\":\"../../etc/passwd\",\"tags\":[\"x\"]}",
        "{\"image\":\"/etc/passwd\",\"tags\":[\"x\"]}",
        "{\"image\":\"*/../../*\",\"tags\":[\"x\"]}",
        "{\"image\":\"[\",\"tags\":[\"x\"]}",
        "{\"image\":\"nothing\",\"tags\":[\"x\"]}",
        "{\"image\":\"\\u0000\",\"tags\":[\"x\"]}",
        "{\"promote\":\"../../etc\",\"tags\":[\"x\"]}",
        "{\"promote\":\"/etc\",\"tags\":[\"x\"]}",
        "{\"promote\":\"UPPER/case\",\"tags\":[\"x\"]}",
        "{\"promote\":\"a@sha256:zz\",\"tags\":[\"x\"]}",
        "{\"image\":\"x\",\"tags\":[\"\"]}",
        "{\"image\":\"x\",\"tags\":[\"-leading\"]}",
        "{\"image\":\"x\",\"tags\":[\"a/b\"]}",
        "{\"image\":\"x\",\"tags\":[\"ü\"]}",
        "{\"image\":\"x\",\"tags\":\"latest\"}",
        "{\"image\":\"x\",\"version\":\"not-a-version\"}",
        "{\"image\":\"x\",\"version\":\"1.2.3\",\"bump_aliases\":\"yes\"}",
        "{\"image\":\"x\",\"additional_tags\":\"../../etc/hostname\",\"tag_prefix\":\"p\"}",
        "{\"image\":1}",
        "{}",
        "[]",
    ] {
        cases.push((
            Bin::Out,
            format!("{{\"source\":{{\"repository\":\"{repo}\"}},\"params\":{params}}}"),
            vec![d.clone()],
        ));
    }
    cases.push((Bin::Out, format!("{{\"source\":{{\"repository\":\"{repo}\"}},\"params\":{{\"image\":\"x\",\"tags\":[\"x\"]}}}}"), vec![]));
    cases.push((
        Bin::Out,
        "{\"source\":{\"pypi\":\"x\"},\"params\":{}}".into(),
        vec![d.clone()],
    ));
    // Over the 8 MiB request limit.
    cases.push((
        Bin::Check,
        format!(
            "{{\"source\":{{\"repository\":\"{}\"}}}}",
            "a".repeat(9 * 1024 * 1024)
        ),
        vec![],
    ));
    assert!(cases.len() >= 100, "{} cases", cases.len());
    for (bin, input, args) in &cases {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        let r = crate::support::run_env(*bin, input, &args, &[]);
        let shown: String = input.chars().take(120).collect();
        assert_eq!(r.code, 1, "{shown}: {}", r.stderr);
        assert!(r.stdout.is_empty(), "{shown}: stdout {}", r.stdout);
        assert!(!r.stderr.contains("panicked"), "{shown}: {}", r.stderr);
        assert_eq!(
            r.stderr.lines().filter(|l| l.starts_with("error:")).count(),
            1,
            "{shown}: {}",
            r.stderr
        );
        assert!(
            r.stderr.lines().all(|l| l.len() < 4096),
            "{shown}: a very long line"
        );
    }
}

/// Strict input at every level: an array where an object is expected fails naming the field
/// (serde would let a sequence fill a struct: `params: []` decoded as every default), and a key
/// given twice fails naming the key and where it is (JSON parsers keep the last silently).
#[test]
fn arrays_for_objects_and_duplicate_keys_fail_naming_the_field() {
    let digest = format!("sha256:{}", "0".repeat(64));
    let version = format!(r#"{{"tag":"x","digest":"{digest}"}}"#);
    let cases: Vec<(Bin, String, &[&str], &str)> = vec![
        (Bin::Check, r#"{"source":[]}"#.into(), &[], "source: invalid type: sequence, expected an object"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","platform":[]}}"#.into(), &[], "source.platform: invalid type: sequence, expected an object"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","platform":["linux","amd64"]}}"#.into(), &[], "source.platform: invalid type: sequence"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","registry_mirror":[]}}"#.into(), &[], "source.registry_mirror: invalid type: sequence"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","content_trust":[]}}"#.into(), &[], "source.content_trust: invalid type: sequence"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x"},"version":[]}"#.into(), &[], "version: invalid type: sequence"),
        (Bin::Check, r#"{"source":{"pypi":"x"},"version":["1"]}"#.into(), &[], "version: invalid type: sequence"),
        (Bin::In, format!(r#"{{"source":{{"repository":"a"}},"version":{version},"params":[]}}"#), &["/tmp/x"], "params: invalid type: sequence, expected an object"),
        (Bin::In, format!(r#"{{"source":{{"repository":"a"}},"version":{version},"params":{{"platform":[]}}}}"#), &["/tmp/x"], "params.platform: invalid type: sequence"),
        (Bin::In, r#"{"source":{"pypi":"x"},"version":{"version":"1"},"params":[]}"#.into(), &["/tmp/x"], "params: invalid type: sequence"),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":[]}"#.into(), &["/tmp"], "params: invalid type: sequence, expected an object"),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":[{"image":"x"}]}"#.into(), &["/tmp"], "params: invalid type: sequence"),
        // Duplicate keys, at every depth.
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x"},"source":{"repository":"b"}}"#.into(), &[], "request: duplicate field `source`"),
        (Bin::Check, r#"{"source":{"repository":"a","repository":"b","tag":"x"}}"#.into(), &[], "source: duplicate field `repository`"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","username":"u","password":"p","password":"q"}}"#.into(), &[], "source: duplicate field `password`"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","platform":{"os":"linux","os":"windows"}}}"#.into(), &[], "source.platform: duplicate field `os`"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","registry_mirror":{"host":"m","password":"p","password":"q"}}}"#.into(), &[], "source.registry_mirror: duplicate field `password`"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","base":{"ref":"b","ref":"c"}}}"#.into(), &[], "source.base: duplicate field `ref`"),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","ca_certs":[{"a":1,"a":2}]}}"#.into(), &[], "source.ca_certs[0]: duplicate field `a`"),
        (Bin::Check, format!(r#"{{"source":{{"repository":"a","tag":"x"}},"version":{{"digest":"{digest}","digest":"{digest}"}}}}"#), &[], "version: duplicate field `digest`"),
        (Bin::Check, r#"{"source":{"pypi":"x","pypi":"y"}}"#.into(), &[], "source: duplicate field `pypi`"),
        (Bin::In, format!(r#"{{"source":{{"repository":"a"}},"version":{version},"params":{{"format":"oci","format":"rootfs"}}}}"#), &["/tmp/x"], "params: duplicate field `format`"),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":{"image":"x","tags":["a"],"tags":["b"]}}"#.into(), &["/tmp"], "params: duplicate field `tags`"),
    ];
    for (bin, input, args, expected) in &cases {
        let r = run(*bin, input, args);
        let line = r.fails();
        assert!(
            line.contains(&format!("invalid payload: {expected}")),
            "input {input}: expected `{expected}` in: {line}"
        );
    }
}

/// A number where text is meant is refused with a hint to quote it: a fractional `tag` (YAML
/// reads `tag: 3.20` as 3.2, and `alpine:3.2` exists), and a number in any text field (a
/// `constraint: 1.10`, a put `version`, `tags`). An unknown field names the closest known one.
#[test]
fn numbers_and_misspelt_fields_are_refused_with_a_hint() {
    let digest = format!("sha256:{}", "0".repeat(64));
    let version = format!(r#"{{"tag":"x","digest":"{digest}"}}"#);
    let quote = "quote the tag (`tag: \"3.20\"`)";
    let cases: Vec<(Bin, String, &[&str], String)> = vec![
        (Bin::Check, r#"{"source":{"repository":"a","tag":3.20}}"#.into(), &[], format!("source.tag: the number 3.2 is not a tag: YAML reads an unquoted `3.20` as the number 3.2, so {quote}")),
        (Bin::Check, r#"{"source":{"repository":"a","tag":3.0}}"#.into(), &[], "source.tag: the number 3.0 is not a tag".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":1e2}}"#.into(), &[], "source.tag: the number 100.0 is not a tag".into()),
        (Bin::In, format!(r#"{{"source":{{"repository":"a","tag":3.20}},"version":{version}}}"#), &["/tmp/x"], "source.tag: the number 3.2 is not a tag".into()),
        (Bin::Out, r#"{"source":{"repository":"a","tag":1.10},"params":{"image":"x"}}"#.into(), &["/tmp"], "source.tag: the number 1.1 is not a tag".into()),
        (Bin::Check, r#"{"source":{"pypi":"x","constraint":1.10}}"#.into(), &[], "source.constraint: invalid type: floating point `1.1`, expected a string: quote it (YAML reads an unquoted `1.10` as the number 1.1)".into()),
        (Bin::Check, r#"{"source":{"repository":"a","semver_constraint":1}}"#.into(), &[], "source.semver_constraint: invalid type: integer `1`, expected a string: quote it".into()),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":{"image":"x","version":1.10}}"#.into(), &["/tmp"], "params.version: invalid type: floating point `1.1`, expected a string: quote it".into()),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":{"image":"x","tags":["a",3.20]}}"#.into(), &["/tmp"], "params.tags[1]: invalid type: floating point `3.2`, expected a string: quote it".into()),
        (Bin::Check, format!(r#"{{"source":{{"repository":"a"}},"version":{{"tag":3.20,"digest":"{digest}"}}}}"#), &[], "version.tag: invalid type: floating point `3.2`, expected a string".into()),
        // Misspelt fields: the closest known one, at every level and in every mode.
        (Bin::Check, r#"{"source":{"repository":"a","tga":"3.20"}}"#.into(), &[], "source.tga: unknown field `tga`, did you mean `tag`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","pasword":"p"}}"#.into(), &[], "source.pasword: unknown field `pasword`, did you mean `password`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","tag-regex":"p"}}"#.into(), &[], "source.tag-regex: unknown field `tag-regex`, did you mean `tag_regex`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","platform":{"arch":"arm64"}}}"#.into(), &[], "source.platform.arch: unknown field `arch`, did you mean `architecture`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","registry_mirror":{"host":"m","user":"u"}}}"#.into(), &[], "source.registry_mirror.user: unknown field `user`, did you mean `username`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x","base":{"reff":"b"}}}"#.into(), &[], "source.base: unknown field `reff`, did you mean `ref`?".into()),
        (Bin::Check, r#"{"source":{"pypi":"x","constriant":">1"}}"#.into(), &[], "source.constriant: unknown field `constriant`, did you mean `constraint`?".into()),
        (Bin::Check, r#"{"source":{"repository":"a","tag":"x"},"verison":null}"#.into(), &[], "verison: unknown field `verison`, did you mean `version`?".into()),
        (Bin::In, format!(r#"{{"source":{{"repository":"a"}},"version":{version},"params":{{"skip":true}}}}"#), &["/tmp/x"], "params.skip: unknown field `skip`, did you mean `skip_download`?".into()),
        (Bin::In, r#"{"source":{"pypi":"x"},"version":{"version":"1"},"params":{"downlaod":"*"}}"#.into(), &["/tmp/x"], "params.downlaod: unknown field `downlaod`, did you mean `download`?".into()),
        (Bin::Out, r#"{"source":{"repository":"a"},"params":{"image":"x","tag":["a"]}}"#.into(), &["/tmp"], "params.tag: unknown field `tag`, did you mean `tags`?".into()),
    ];
    for (bin, input, args, expected) in &cases {
        let line = run(*bin, input, args).fails();
        assert!(
            line.contains(&format!("invalid payload: {expected}")),
            "input {input}: expected `{expected}` in: {line}"
        );
    }
    // Nothing close: the plain message, no guess.
    for (input, expected) in [
        (
            r#"{"source":{"repository":"a","tag":"x","colour":"red"}}"#,
            "source.colour: unknown field `colour`",
        ),
        (
            r#"{"source":{"pypi":"x","tag":"x"}}"#,
            "source.tag: unknown field `tag`",
        ),
    ] {
        let line = run(Bin::Check, input, &[]).fails();
        assert!(line.ends_with(expected), "{input}: {line}");
    }
}
