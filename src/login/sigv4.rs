//! AWS Signature Version 4 for the two calls uptick makes (ECR, STS), signed by `aws-sigv4`.

use crate::log::Secret;
use std::time::SystemTime;

/// Keys that sign a request; the secret and session token are never logged.
#[derive(Clone)]
pub(crate) struct AwsCredentials {
    /// `AKIA…` / `ASIA…`.
    pub access_key_id: String,
    /// The secret key.
    pub secret_access_key: Secret,
    /// Set for temporary credentials.
    pub session_token: Option<Secret>,
}

impl std::fmt::Debug for AwsCredentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "AwsCredentials({})", self.access_key_id)
    }
}

/// A request to sign.
pub(crate) struct Request<'a> {
    /// `GET`, `POST`.
    pub method: &'a str,
    /// `host[:port]` as sent in the `Host` header.
    pub host: &'a str,
    /// The path, already URI-encoded (`/`).
    pub path: &'a str,
    /// Query pairs, not yet encoded.
    pub query: &'a [(&'a str, &'a str)],
    /// Headers to sign besides `host`, `x-amz-date` and `x-amz-security-token`.
    pub headers: &'a [(&'a str, &'a str)],
    /// The body.
    pub body: &'a [u8],
}

/// The headers to add to the request: `X-Amz-Date`, `X-Amz-Security-Token` (temporary
/// credentials) and `Authorization` (last). Fails only on a request aws-sigv4 cannot parse,
/// with a message that quotes no key.
pub(crate) fn sign(
    req: &Request<'_>,
    creds: &AwsCredentials,
    region: &str,
    service: &str,
    now: SystemTime,
) -> Result<Vec<(String, String)>, String> {
    use aws_sigv4::http_request::{self, SignableBody, SignableRequest, SigningSettings};
    let identity = aws_credential_types::Credentials::new(
        creds.access_key_id.clone(),
        creds.secret_access_key.expose(),
        creds.session_token.as_ref().map(|t| t.expose().to_string()),
        None,
        "uptick",
    )
    .into();
    let params = aws_sigv4::sign::v4::SigningParams::builder()
        .identity(&identity)
        .region(region)
        .name(service)
        .time(now)
        .settings(SigningSettings::default())
        .build()
        .map_err(|e| format!("SigV4 parameters: {e}"))?
        .into();
    let mut url = url::Url::parse(&format!("https://{}", req.host))
        .map_err(|e| format!("SigV4: endpoint host: {e}"))?;
    url.set_path(req.path);
    if !req.query.is_empty() {
        url.query_pairs_mut()
            .extend_pairs(req.query.iter().copied());
    }
    let mut headers: Vec<(&str, &str)> = vec![("host", req.host)];
    headers.extend(req.headers.iter().copied());
    let signable = SignableRequest::new(
        req.method,
        url.as_str(),
        headers.into_iter(),
        SignableBody::Bytes(req.body),
    )
    .map_err(|e| format!("SigV4: {e}"))?;
    let (instructions, _) = http_request::sign(signable, &params)
        .map_err(|e| format!("SigV4: {e}"))?
        .into_parts();
    let mut out: Vec<(String, String)> = instructions
        .headers()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("authorization"))
        .map(|(k, v)| (canonical_name(k), v.to_string()))
        .collect();
    if let Some((_, v)) = instructions
        .headers()
        .find(|(k, _)| k.eq_ignore_ascii_case("authorization"))
    {
        out.push(("Authorization".into(), v.to_string()));
    }
    Ok(out)
}

fn canonical_name(k: &str) -> String {
    match k.to_ascii_lowercase().as_str() {
        "x-amz-date" => "X-Amz-Date".into(),
        "x-amz-security-token" => "X-Amz-Security-Token".into(),
        other => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::protocol::Secret;

    fn example() -> AwsCredentials {
        AwsCredentials {
            access_key_id: "AKIDEXAMPLE".into(),
            secret_access_key: Secret::from("wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY".to_string()),
            session_token: None,
        }
    }

    /// AWS's published SigV4 test suite, `get-vanilla`.
    #[test]
    fn get_vanilla() {
        let req = Request {
            method: "GET",
            host: "example.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[],
            body: b"",
        };
        let h = sign(
            &req,
            &example(),
            "us-east-1",
            "service",
            at_20150830t123600z(),
        )
        .unwrap();
        assert_eq!(
            h.last().unwrap().1,
            "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830/us-east-1/service/aws4_request, SignedHeaders=host;x-amz-date, Signature=5fa00fa31553b73ebf1942676e86291e8372ff2a2260956d9b8aae1d763fbf31"
        );
    }

    /// The IAM `ListUsers` example from AWS's SigV4 documentation.
    #[test]
    fn iam_list_users() {
        let req = Request {
            method: "GET",
            host: "iam.amazonaws.com",
            path: "/",
            query: &[("Action", "ListUsers"), ("Version", "2010-05-08")],
            headers: &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            body: b"",
        };
        let h = sign(&req, &example(), "us-east-1", "iam", at_20150830t123600z()).unwrap();
        assert!(
            h.last().unwrap().1.ends_with(
                "SignedHeaders=content-type;host;x-amz-date, Signature=5d672d79c15b13162d9279b0855cfba6789a8edb4c82c400e06b5924a6f2b5d7"
            ),
            "{:?}",
            h
        );
    }

    fn at_20150830t123600z() -> SystemTime {
        SystemTime::UNIX_EPOCH + std::time::Duration::from_secs(1_440_938_160)
    }

    #[test]
    fn temporary_credentials_add_the_session_token_header() {
        let mut creds = example();
        creds.session_token = Some(Secret::from("session-token-example".to_string()));
        let req = Request {
            method: "POST",
            host: "sts.us-east-1.amazonaws.com",
            path: "/",
            query: &[],
            headers: &[],
            body: b"Action=GetCallerIdentity",
        };
        let h = sign(&req, &creds, "us-east-1", "sts", at_20150830t123600z()).unwrap();
        assert!(
            h.contains(&("X-Amz-Date".into(), "20150830T123600Z".into())),
            "{h:?}"
        );
        assert!(
            h.contains(&(
                "X-Amz-Security-Token".into(),
                "session-token-example".into()
            )),
            "{h:?}"
        );
        assert_eq!(h.last().map(|(k, _)| k.as_str()), Some("Authorization"));
    }
}
