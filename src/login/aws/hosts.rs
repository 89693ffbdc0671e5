//! Which hosts are ECR's: region names, partitions, registry hosts and the repository rewrite.

/// The DNS suffix of a region's partition.
pub(crate) fn domain(region: &str) -> &'static str {
    if region.starts_with("cn-") {
        "amazonaws.com.cn"
    } else {
        "amazonaws.com"
    }
}

/// A region is a DNS label (`us-east-1`); anything else would be spliced into a host name.
pub(crate) fn valid_region(region: &str) -> bool {
    !region.is_empty()
        && region.len() <= 32
        && region
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// The DNS suffixes of AWS partitions an ECR registry is under (`amazonaws.com` and the
/// others `amazon-ecr-credential-helper` knows).
const ECR_PARTITIONS: [&str; 6] = [
    "amazonaws.com",
    "amazonaws.com.cn",
    "sc2s.sgov.gov",
    "c2s.ic.gov",
    "cloud.adc-e.uk",
    "csp.hci.ic.gov",
];

/// Whether `registry` (`host[:port]`) is an ECR private registry on the https port:
/// `<account>.dkr.ecr[-fips].<region>.<partition>`, or the dual-stack
/// `<account>.dkr-ecr.<region>.on.aws`.
pub(crate) fn is_ecr_host(registry: &str) -> bool {
    let registry = registry.to_ascii_lowercase();
    let host = registry.strip_suffix(":443").unwrap_or(&registry);
    let Some((account, rest)) = host.split_once('.') else {
        return false;
    };
    if account.len() != 12 || !account.bytes().all(|b| b.is_ascii_digit()) {
        return false;
    }
    let in_region = |rest: &str, suffixes: &[&str]| {
        rest.split_once('.').is_some_and(|(region, partition)| {
            valid_region(region) && suffixes.contains(&partition)
        })
    };
    if let Some(rest) = rest
        .strip_prefix("dkr.ecr.")
        .or_else(|| rest.strip_prefix("dkr.ecr-fips."))
    {
        return in_region(rest, &ECR_PARTITIONS);
    }
    rest.strip_prefix("dkr-ecr.")
        .is_some_and(|rest| in_region(rest, &["on.aws"]))
}

/// Refuses an ECR token for `registry` unless it is an ECR registry or listed in
/// `cloud_login_hosts`.
pub(super) fn check_registry(
    registry: &str,
    allowed: &[String],
) -> Result<(), crate::login::LoginFieldError> {
    crate::login::check_host(
        &crate::login::Cloud {
            field: "source.aws_region",
            hosts: "an ECR registry (`<account>.dkr.ecr.<region>.amazonaws.com`)".into(),
            tokens: "ECR tokens",
        },
        registry,
        is_ecr_host(registry),
        allowed,
    )
}

/// The repository ECR is addressed as: `<account>.dkr.ecr.<region>.<domain>/<repo>` with
/// `aws_account_id`; unchanged when it already names a registry host; else under the login's
/// proxy endpoint (upstream's rule, plus the full-name case).
pub(crate) fn ecr_repository(
    repository: &str,
    account_id: Option<&str>,
    region: &str,
    proxy_host: &str,
) -> String {
    if let Some(account) = account_id.filter(|a| !a.is_empty()) {
        return format!("{account}.dkr.ecr.{region}.{}/{repository}", domain(region));
    }
    let first = repository.split('/').next().unwrap_or("");
    let names_host = repository.contains('/')
        && (first.contains('.') || first.contains(':') || first == "localhost");
    if names_host {
        repository.to_string()
    } else {
        format!("{proxy_host}/{repository}")
    }
}
