//! Unit tests of the ECR login's pure parts: hosts, repository names, profiles, error answers.

use super::ecr::json_error;
use super::hosts::{check_registry, ecr_repository, is_ecr_host, valid_region};
use super::profile::ini_section;
use super::sts::xml_text;
#[test]
fn repository_rewrite() {
    assert_eq!(
        ecr_repository("app", Some("123456789012"), "eu-west-1", "x"),
        "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app"
    );
    assert_eq!(
        ecr_repository("team/app", Some("1"), "cn-north-1", "x"),
        "1.dkr.ecr.cn-north-1.amazonaws.com.cn/team/app"
    );
    assert_eq!(
        ecr_repository(
            "team/app",
            None,
            "us-east-1",
            "9.dkr.ecr.us-east-1.amazonaws.com"
        ),
        "9.dkr.ecr.us-east-1.amazonaws.com/team/app"
    );
    assert_eq!(
        ecr_repository("127.0.0.1:5000/app", None, "us-east-1", "9.dkr.ecr"),
        "127.0.0.1:5000/app"
    );
    assert!(valid_region("us-gov-west-1"));
}

#[test]
fn ecr_hosts_are_recognised() {
    for host in [
        "123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn:443",
        "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com",
        "123456789012.DKR-ECR.eu-west-1.on.aws",
    ] {
        assert!(is_ecr_host(host), "{host}");
    }
    for host in [
        "127.0.0.1:5000",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com:5000",
        "123456789012.dkr.ecr.us-east-1.amazonaws.com.evil.example",
        "12345.dkr.ecr.us-east-1.amazonaws.com",
        "123456789012.dkr.ecr.amazonaws.com",
        "evil.example/123456789012.dkr.ecr.us-east-1.amazonaws.com",
        "public.ecr.aws",
    ] {
        assert!(!is_ecr_host(host), "{host}");
    }
    let e = check_registry("127.0.0.1:5000", &[]).unwrap_err();
    assert!(
        e.to_string().contains("`127.0.0.1:5000`") && e.detail.contains("cloud_login_hosts"),
        "{e}"
    );
    assert!(check_registry("127.0.0.1:5000", &["127.0.0.1:5000".into()]).is_ok());
    assert!(!valid_region("us-east-1.evil.com/"));
}

#[test]
fn profiles_and_errors() {
    let ini = "[default]\naws_access_key_id = A\n[profile ci]\nrole_arn=arn:x\n source_profile = default\n";
    assert_eq!(
        ini_section(ini, "default").unwrap()["aws_access_key_id"],
        "A"
    );
    assert_eq!(
        ini_section(ini, "profile ci").unwrap()["source_profile"],
        "default"
    );
    assert!(ini_section(ini, "ci").is_none());
    assert_eq!(
        xml_text(
            "<E><Code>AccessDenied</Code><Message>a &amp; b</Message></E>",
            "Message"
        )
        .as_deref(),
        Some("a & b")
    );
    assert_eq!(
        json_error(
            400,
            br#"{"__type":"com.amazon#UnrecognizedClientException","message":"bad token"}"#
        ),
        "400 UnrecognizedClientException: bad token"
    );
}
