//! STS role assumption: `AssumeRole` (signed) and `AssumeRoleWithWebIdentity`, XML answers read.

use super::call::{cloud, endpoint, form, signed_post, MAX_RESPONSE};
use crate::login::sigv4::AwsCredentials;
use crate::net::{Body, Http};
use crate::protocol::Secret;
use crate::registry::RegistryError;

/// `STS AssumeRole` with `creds`.
pub(super) async fn assume_role(
    http: &Http,
    region: &str,
    creds: &AwsCredentials,
    arn: &str,
) -> Result<AwsCredentials, RegistryError> {
    const WHAT: &str = "STS AssumeRole";
    let url = endpoint("STS", "sts", region);
    let form = form(&[
        ("Action", "AssumeRole"),
        ("Version", "2011-06-15"),
        ("RoleArn", arn),
        ("RoleSessionName", &session_name()),
    ]);
    let (status, body) = signed_post(
        http,
        WHAT,
        &url,
        creds,
        region,
        "sts",
        &[(
            "Content-Type",
            "application/x-www-form-urlencoded; charset=utf-8",
        )],
        form.as_bytes(),
    )
    .await?;
    sts_credentials(&format!("{WHAT} {arn}"), &url, status, &body)
}

/// `STS AssumeRoleWithWebIdentity` (unsigned: the token is the proof).
pub(super) async fn assume_role_with_web_identity(
    http: &Http,
    region: &str,
    arn: &str,
    token_file: &str,
    session: Option<&str>,
) -> Result<AwsCredentials, RegistryError> {
    const WHAT: &str = "STS AssumeRoleWithWebIdentity";
    let url = endpoint("STS", "sts", region);
    let token = std::fs::read_to_string(token_file).map_err(|e| {
        RegistryError::Credentials(format!("web identity token file {token_file}: {e}"))
    })?;
    let session = session.map_or_else(session_name, str::to_string);
    let form = form(&[
        ("Action", "AssumeRoleWithWebIdentity"),
        ("Version", "2011-06-15"),
        ("RoleArn", arn),
        ("RoleSessionName", &session),
        ("WebIdentityToken", token.trim()),
    ]);
    let resp = http
        .send(
            "POST",
            &url,
            &[(
                "Content-Type",
                "application/x-www-form-urlencoded; charset=utf-8",
            )],
            None,
            Body::Bytes(form.as_bytes()),
        )
        .await
        .map_err(|e| cloud(WHAT, &url, e.into_error().to_string()))?;
    let status = resp.status;
    let body = resp.read_limited(MAX_RESPONSE).await?;
    sts_credentials(&format!("{WHAT} {arn}"), &url, status, &body)
}

fn session_name() -> String {
    format!("uptick-{}", chrono::Utc::now().timestamp())
}

/// Credentials from an STS XML answer, or its `<Code>`/`<Message>` as the error.
fn sts_credentials(
    what: &str,
    url: &str,
    status: u16,
    body: &[u8],
) -> Result<AwsCredentials, RegistryError> {
    let text = String::from_utf8_lossy(body);
    if status != 200 {
        let code = xml_text(&text, "Code").unwrap_or_default();
        let message = xml_text(&text, "Message").unwrap_or_default();
        return Err(cloud(what, url, format!("{status} {code}: {message}")));
    }
    let (Some(id), Some(secret)) = (
        xml_text(&text, "AccessKeyId"),
        xml_text(&text, "SecretAccessKey"),
    ) else {
        return Err(cloud(what, url, "answer holds no Credentials"));
    };
    Ok(AwsCredentials {
        access_key_id: id,
        secret_access_key: Secret::from(secret),
        session_token: xml_text(&text, "SessionToken").map(Secret::from),
    })
}

/// The text of the first `<tag>…</tag>`, entities decoded.
pub(super) fn xml_text(doc: &str, tag: &str) -> Option<String> {
    let open = format!("<{tag}>");
    let close = format!("</{tag}>");
    let start = doc.find(&open)? + open.len();
    let end = start + doc[start..].find(&close)?;
    Some(
        doc[start..end]
            .trim()
            .replace("&lt;", "<")
            .replace("&gt;", ">")
            .replace("&quot;", "\"")
            .replace("&apos;", "'")
            .replace("&amp;", "&"),
    )
}
