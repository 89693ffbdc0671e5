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
        r#"{"source":{"repository":"a","tag":"x","aws_region":"eu-west-1"}}"#,
        &[],
        "not supported yet",
    ),
    (
        Bin::Check,
        r#"{"source":{"repository":"a","tag":"x","azure_acr":true}}"#,
        &[],
        "not supported yet",
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
