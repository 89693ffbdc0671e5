//! Where secrets may go: a request body only to the origin it was built for (a redirect
//! elsewhere is refused, naming both origins), a cloud's tokens only to that cloud's registries
//! (unless `cloud_login_hosts` lists another), and no URL's user info in any message.

use crate::support::fake::{self, Reply};
use crate::support::{check, forward, free_port, get, run_env, secret, tls_fake, Bin, Run};
use serde_json::{json, Value};
use std::sync::{Arc, Mutex};

type Log = Arc<Mutex<Vec<String>>>;

/// A server that must never be reached: it records each request (method, path, headers and
/// body) and answers every one as a token endpoint would.
fn sink() -> (u16, Log) {
    let seen = Log::default();
    let log = seen.clone();
    let port = fake::serve_requests(0, move |r| {
        log.lock().unwrap().push(format!(
            "{} {} {:?} {}",
            r.method,
            r.path,
            r.headers,
            String::from_utf8_lossy(&r.body)
        ));
        Reply::new(
            200,
            r#"{"token":"t","access_token":"t","refresh_token":"t"}"#,
        )
    });
    (port, seen)
}

fn tmp_env(dir: &std::path::Path) -> String {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    tmp.to_str().unwrap().to_string()
}

fn check_env(source: &Value, env: &[(&str, &str)]) -> Run {
    run_env(Bin::Check, &json!({"source": source}).to_string(), &[], env)
}

/// The refusal names both origins, scheme://host:port, and the run stopped there: the other
/// origin (`seen`) was sent nothing.
fn assert_refused_between(line: &str, from: &str, to: &str, seen: &Log) {
    assert!(
        seen.lock().unwrap().is_empty(),
        "the other origin was sent: {:?}",
        seen.lock().unwrap()
    );
    assert!(
        line.contains(&format!("refused to follow a redirect from {from} to {to}"))
            && line.contains("a request body is sent only to the origin it was built for"),
        "{line}"
    );
}

/// A cloud login refused for a host outside the cloud: `refusal` and how to allow the host
/// (`cloud_login_hosts`) in the error, and neither the cloud (`asked`) nor the registry
/// (`seen`) was asked anything.
fn assert_refused_unasked(line: &str, refusal: &str, asked: &Log, seen: &Log) {
    assert!(
        asked.lock().unwrap().is_empty() && seen.lock().unwrap().is_empty(),
        "requests were made: {:?} {:?}",
        asked.lock().unwrap(),
        seen.lock().unwrap()
    );
    assert!(
        line.contains(refusal) && line.contains("cloud_login_hosts"),
        "{line}"
    );
}

/// A docker `identitytoken` is POSTed to the token realm; a 307 from there to another port
/// must not carry it along.
#[test]
fn a_token_realm_redirect_never_carries_the_identity_token() {
    let refresh = secret("identity-token-for-the-realm-only");
    let (evil, seen) = sink();
    let port = free_port();
    let challenge = format!(r#"Bearer realm="http://127.0.0.1:{port}/token",service="uptick""#);
    let elsewhere = format!("http://127.0.0.1:{evil}/token");
    fake::serve_on(port, move |method, path| {
        if method == "POST" && path.starts_with("/token") {
            Reply::new(307, "").header("Location", &elsewhere)
        } else {
            Reply::new(401, "{}").header("WWW-Authenticate", &challenge)
        }
    });
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        json!({"auths": {format!("127.0.0.1:{port}"): {"identitytoken": refresh}}}).to_string(),
    )
    .unwrap();
    let source = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest", "docker_config": config, "debug": true});
    let line = check_env(&source, &[("TMPDIR", &tmp_env(dir.path()))]).fails();
    assert_refused_between(
        &line,
        &format!("http://127.0.0.1:{port}"),
        &format!("http://127.0.0.1:{evil}"),
        &seen,
    );
}

/// Azure's `/oauth2/exchange` takes the managed identity's AAD token in its body: a 307 from
/// the registry (a real `*.azurecr.io` name, over TLS, through a routed proxy) to another
/// host:port must not carry it along.
#[test]
fn an_acr_exchange_redirect_never_carries_the_aad_token() {
    let aad = secret("aad-token-for-the-exchange-only");
    let answer = aad.clone();
    let imds = fake::serve_requests(0, move |_| {
        Reply::new(200, json!({"access_token": answer}).to_string())
    });
    let (evil, seen) = sink();
    let elsewhere = format!("http://127.0.0.1:{evil}/oauth2/exchange");
    let acr = tls_fake::serve(&["uptick.azurecr.io"], move |r| {
        if r.method == "POST" && r.path.starts_with("/oauth2/exchange") {
            Reply::new(307, "").header("Location", &elsewhere)
        } else {
            Reply::new(401, "{}").header(
                "WWW-Authenticate",
                r#"Bearer realm="https://uptick.azurecr.io/oauth2/token",service="uptick.azurecr.io""#,
            )
        }
    });
    let proxy = forward::start_routed(None, vec![("uptick.azurecr.io:443".to_string(), acr.port)]);
    let dir = tempfile::tempdir().unwrap();
    let (imds_url, proxy_url) = (
        format!("http://127.0.0.1:{imds}"),
        format!("http://127.0.0.1:{}", proxy.port),
    );
    let env = [
        ("TMPDIR", tmp_env(dir.path())),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds_url),
        ("HTTPS_PROXY", proxy_url),
    ];
    let env: Vec<(&str, &str)> = env.iter().map(|(k, v)| (*k, v.as_str())).collect();
    let source = json!({"repository": "uptick.azurecr.io/app", "tag": "latest", "azure_acr": true, "ca_certs": [acr.ca_pem], "debug": true});
    let line = check_env(&source, &env).fails();
    assert_refused_between(
        &line,
        "https://uptick.azurecr.io:443",
        &format!("http://127.0.0.1:{evil}"),
        &seen,
    );
}

/// STS `AssumeRoleWithWebIdentity` carries the web identity token in its body: a 307 from the
/// STS endpoint to another port must not carry it along.
#[test]
fn an_sts_redirect_never_carries_the_web_identity_token() {
    let token = secret("web-identity-token-for-sts-only");
    let (evil, seen) = sink();
    let elsewhere = format!("http://127.0.0.1:{evil}/");
    let sts = fake::serve(move |_, _| Reply::new(307, "").header("Location", &elsewhere));
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    std::fs::write(&token_file, &token).unwrap();
    let endpoint = format!("http://127.0.0.1:{sts}");
    let tmp = tmp_env(dir.path());
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/ci"),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let source = json!({"repository": "123456789012.dkr.ecr.us-east-1.amazonaws.com/app", "tag": "latest", "aws_region": "us-east-1", "debug": true});
    let line = check_env(&source, &env).fails();
    assert_refused_between(&line, &endpoint, &format!("http://127.0.0.1:{evil}"), &seen);
}

/// `azure_acr` against a registry outside Azure: refused before any request (not even the
/// identity endpoint is asked), naming the host and how to allow it; `cloud_login_hosts`
/// allows it.
#[test]
fn azure_tokens_go_only_to_azure_registries_unless_listed() {
    let aad = secret("aad-token-for-azure-registries-only");
    let asked = Log::default();
    let (answer, log) = (aad.clone(), asked.clone());
    let imds = fake::serve_requests(0, move |r| {
        log.lock().unwrap().push(r.path.clone());
        Reply::new(200, json!({"access_token": answer}).to_string())
    });
    let (registry, seen) = sink();
    let dir = tempfile::tempdir().unwrap();
    let imds_url = format!("http://127.0.0.1:{imds}");
    let tmp = tmp_env(dir.path());
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds_url.as_str()),
    ];
    let host = format!("127.0.0.1:{registry}");
    let mut source = json!({"repository": format!("{host}/app"), "tag": "latest", "azure_acr": true, "debug": true});
    let line = check_env(&source, &env).fails();
    assert_refused_unasked(
        &line,
        &format!("source.azure_acr: `{host}` is not an Azure Container Registry host"),
        &asked,
        &seen,
    );
    // Listed, the host is logged in to: the exchange reaches it with the AAD token.
    source["cloud_login_hosts"] = json!([host]);
    check_env(&source, &env);
    assert!(
        seen.lock()
            .unwrap()
            .iter()
            .any(|r| r.starts_with("POST /oauth2/exchange") && r.contains(&aad)),
        "{:?}",
        seen.lock().unwrap()
    );
}

/// `aws_region` against a registry outside ECR: refused before any request (neither AWS nor
/// the registry is asked), naming the host and how to allow it.
#[test]
fn ecr_tokens_go_only_to_ecr_registries_unless_listed() {
    use base64::Engine as _;
    let password = secret("ecr-token-for-ecr-registries-only");
    let token = base64::engine::general_purpose::STANDARD.encode(format!("AWS:{password}"));
    let asked = Log::default();
    let log = asked.clone();
    let aws = fake::serve_requests(0, move |r| {
        log.lock().unwrap().push(r.path.clone());
        Reply::new(
            200,
            json!({"authorizationData": [{"authorizationToken": token, "proxyEndpoint": "https://123456789012.dkr.ecr.us-east-1.amazonaws.com", "expiresAt": 4102444800u64}]}).to_string(),
        )
        .header("Content-Type", "application/x-amz-json-1.1")
    });
    let seen = Log::default();
    let log = seen.clone();
    let registry = fake::serve_requests(0, move |r| {
        log.lock()
            .unwrap()
            .push(format!("{} {} {:?}", r.method, r.path, r.headers));
        Reply::new(401, "{}").header("WWW-Authenticate", r#"Basic realm="registry""#)
    });
    let dir = tempfile::tempdir().unwrap();
    let endpoint = format!("http://127.0.0.1:{aws}");
    let tmp = tmp_env(dir.path());
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let host = format!("127.0.0.1:{registry}");
    let source = json!({"repository": format!("{host}/app"), "tag": "latest", "aws_region": "us-east-1",
        "aws_access_key_id": "AKIAUPTICKEXAMPLE09", "aws_secret_access_key": secret("uptickSecretAccessKey/ORIGINS"), "debug": true});
    let line = check_env(&source, &env).fails();
    assert_refused_unasked(
        &line,
        &format!("source.aws_region: `{host}` is not an ECR registry"),
        &asked,
        &seen,
    );
}

/// `index_url: http://user:password@host/…` answering 404 (or a page that does not parse):
/// the password reaches stderr on no path, debug on or off, while it is still sent as the
/// index's basic credentials.
#[test]
fn index_url_passwords_never_reach_stderr() {
    use base64::Engine as _;
    let password = secret("index-url-password-42");
    let basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("uptick:{password}"))
    );
    let sent = Log::default();
    let log = sent.clone();
    let index = fake::serve_requests(0, move |r| {
        log.lock()
            .unwrap()
            .push(r.header("Authorization").unwrap_or_default().to_string());
        if r.path.contains("broken") {
            Reply::new(200, "{not json")
                .header("Content-Type", "application/vnd.pypi.simple.v1+json")
        } else {
            Reply::new(404, "not found")
        }
    });
    let shown = format!("http://127.0.0.1:{index}");
    for (key, name, path, expected) in [
        (
            "pypi",
            "tool",
            "/simple",
            "PyPI package `tool` not found at",
        ),
        ("pypi", "broken", "/simple", ""),
        (
            "crate",
            "tool",
            "/index",
            "crates.io package `tool` not found at",
        ),
        ("gem", "tool", "", "RubyGems package `tool` not found at"),
    ] {
        for debug in [false, true] {
            let url = format!("http://uptick:{password}@127.0.0.1:{index}{path}");
            let run = check(&json!({"source": {key: name, "index_url": url, "debug": debug}}));
            assert!(!run.stderr.contains(&password), "{}", run.stderr);
            let line = run.fails();
            assert!(
                line.contains(format!("{expected} {shown}{path}/").trim_start()),
                "{key} {name}: {line}"
            );
        }
    }
    let sent = sent.lock().unwrap();
    assert!(
        !sent.is_empty() && sent.iter().all(|a| *a == basic),
        "{sent:?}"
    );
}

/// The page `in` reports for a gem on an index whose URL holds credentials: without them, in
/// the metadata (stdout) and in `DEST/url`.
#[test]
fn release_pages_are_shown_without_the_index_password() {
    let password = secret("gem-index-password-43");
    let index = fake::serve(|_, path| {
        if path == "/info/demo" {
            Reply::new(200, format!("---\n1.0 |checksum:{}\n", "ab".repeat(32)))
        } else {
            Reply::new(404, "not found")
        }
    });
    let dest = tempfile::tempdir().unwrap();
    let url = format!("http://uptick:{password}@127.0.0.1:{index}");
    let run = get(
        &json!({"source": {"gem": "demo", "index_url": url}, "version": {"version": "1.0"}}),
        dest.path(),
    );
    let out = run.succeeds();
    assert!(!run.stdout.contains(&password), "{}", run.stdout);
    let page = format!("http://127.0.0.1:{index}/gems/demo-1.0.gem");
    assert!(
        out["metadata"]
            .as_array()
            .unwrap()
            .iter()
            .any(|m| m["name"] == "url" && m["value"] == json!(page)),
        "{out}"
    );
    assert_eq!(
        std::fs::read_to_string(dest.path().join("url")).unwrap(),
        page
    );
}

/// Every other backend's URL field holding credentials, its server answering 404: whatever
/// the run says (debug on or off), the password is not in it.
#[test]
fn package_url_passwords_never_reach_stderr() {
    let password = secret("package-url-password-44");
    let index = fake::serve(|_, _| Reply::new(404, "not found"));
    let url = format!("http://uptick:{password}@127.0.0.1:{index}/repo");
    let sources = [
        json!({"npm": "tool", "registry": url}),
        json!({"helm": "tool", "repository": url}),
        json!({"maven": "org.example:tool", "repository": url}),
        json!({"go": "example.com/tool", "proxy": url}),
        json!({"apt": "tool", "repository": url, "suite": "stable"}),
        json!({"apk": "tool", "repository": url, "architecture": "x86_64"}),
        json!({"git": url}),
        json!({"github": "owner/tool", "api_url": url}),
        json!({"gitlab": "owner/tool", "api_url": url}),
    ];
    for source in sources {
        for debug in [false, true] {
            let mut source = source.clone();
            source["debug"] = json!(debug);
            let run = check(&json!({ "source": source }));
            assert!(!run.stderr.contains(&password), "{}", run.stderr);
            let line = run.fails();
            assert!(
                line.contains(&format!("127.0.0.1:{index}")),
                "{source}: {line}"
            );
        }
    }
}
