//! Cloud credentials: ECR against moto (static keys, role chains, the default chain's sources),
//! Azure ACR's managed-identity exchange, GCR/GHCR/ACR/Alibaba basic credentials and docker
//! identity tokens, mirror credentials kept to the mirror.

use crate::support::fake::{self, Reply};
use crate::support::registry::{Accounts, Mode, TestRegistry};
use crate::support::seed::Seeder;
use crate::support::{proxy, run_env, secret, servers, Bin, Run};
use serde_json::{json, Value};

const REGION: &str = "us-east-1";

fn tmp_env(dir: &std::path::Path) -> String {
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    tmp.to_str().unwrap().to_string()
}

fn check_env(source: &Value, env: &[(&str, &str)]) -> Run {
    run_env(Bin::Check, &json!({"source": source}).to_string(), &[], env)
}

/// A basic-auth registry holding `app:latest` whose htpasswd knows only ECR's `AWS` user with
/// the password moto issues for `account`.
fn ecr_registry(account: &str) -> (TestRegistry, String) {
    let password = secret(&format!("{account}-auth-token"));
    let reg = TestRegistry::start_with(Mode::Basic, Accounts::user("AWS", &password));
    let v = Seeder::new(&reg).image("app", "latest", account, &[], &[]);
    (reg, v.digest)
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_moto)),
    ignore = "needs docker-registry; moto's server (apt-get install docker-registry; pip install 'moto[server]')"
)]
fn ecr_logs_in_with_keys_roles_and_the_default_chain() {
    let moto = servers::moto();
    // Count the AWS calls one run makes (token reuse), through a proxy in front of moto.
    let calls = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = calls.clone();
    let aws = proxy::start_seeing(moto, move |r| {
        let text = String::from_utf8_lossy(r.body);
        let action = if text.contains("Action=AssumeRoleWithWebIdentity") {
            "AssumeRoleWithWebIdentity"
        } else if text.contains("Action=AssumeRole") {
            "AssumeRole"
        } else {
            "GetAuthorizationToken"
        };
        seen.lock().unwrap().push(action.to_string());
        proxy::Action::Forward(r.path.to_string())
    });
    let endpoint = format!("http://127.0.0.1:{aws}");
    let (default_reg, default_digest) = ecr_registry("123456789012");
    let (role_reg, role_digest) = ecr_registry("222222222222");
    let dir = tempfile::tempdir().unwrap();
    let tmp = tmp_env(dir.path());
    let key_secret = secret("uptickSecretAccessKey/EXAMPLE");
    let base_env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EC2_METADATA_DISABLED", "true"),
    ];
    let src = |reg: &TestRegistry, extra: Value| {
        let mut s = json!({"repository": reg.repo("app"), "tag": "latest", "aws_region": REGION, "cloud_login_hosts": [reg.host()], "debug": true});
        for (k, v) in extra.as_object().unwrap() {
            s[k] = v.clone();
        }
        s
    };
    let expect = |digest: &str| json!([{"tag": "latest", "digest": digest}]);

    // Static keys and session token from the source.
    let keys = json!({"aws_access_key_id": "AKIAUPTICKEXAMPLE01", "aws_secret_access_key": key_secret, "aws_session_token": secret("uptick-session-token")});
    calls.lock().unwrap().clear();
    let run = check_env(&src(&default_reg, keys.clone()), &base_env);
    assert_eq!(run.succeeds(), expect(&default_digest), "{}", run.stderr);
    assert_eq!(*calls.lock().unwrap(), ["GetAuthorizationToken"]);

    // A role chain: the token belongs to the last role's account, one exchange per step.
    let chain = json!({"aws_role_arns": ["arn:aws:iam::111111111111:role/hop", "arn:aws:iam::222222222222:role/ci"]});
    let mut chained = keys.clone();
    chained["aws_role_arns"] = chain["aws_role_arns"].clone();
    calls.lock().unwrap().clear();
    let run = check_env(&src(&role_reg, chained), &base_env);
    assert_eq!(run.succeeds(), expect(&role_digest), "{}", run.stderr);
    assert_eq!(
        *calls.lock().unwrap(),
        ["AssumeRole", "AssumeRole", "GetAuthorizationToken"]
    );
    // Stopping at the first role gives that account's password: the registry refuses it.
    let mut one = keys.clone();
    one["aws_role_arn"] = json!("arn:aws:iam::111111111111:role/hop");
    let line = check_env(&src(&role_reg, one), &base_env).fails();
    assert!(line.contains("authentication"), "{line}");

    // The default chain: environment keys.
    let mut env = base_env.to_vec();
    env.extend([
        ("AWS_ACCESS_KEY_ID", "AKIAUPTICKEXAMPLE02"),
        ("AWS_SECRET_ACCESS_KEY", key_secret.as_str()),
    ]);
    let run = check_env(&src(&default_reg, json!({})), &env);
    assert_eq!(run.succeeds(), expect(&default_digest), "{}", run.stderr);

    // A profile assuming a role from a source profile (HOME/.aws).
    let home = dir.path().join("home");
    std::fs::create_dir_all(home.join(".aws")).unwrap();
    std::fs::write(
        home.join(".aws/credentials"),
        format!("[base]\naws_access_key_id = AKIAUPTICKEXAMPLE03\naws_secret_access_key = {key_secret}\n"),
    )
    .unwrap();
    std::fs::write(
        home.join(".aws/config"),
        "[profile ci]\nrole_arn = arn:aws:iam::222222222222:role/ci\nsource_profile = base\n",
    )
    .unwrap();
    let mut env = base_env.to_vec();
    env.extend([("HOME", home.to_str().unwrap()), ("AWS_PROFILE", "ci")]);
    let run = check_env(&src(&role_reg, json!({})), &env);
    assert_eq!(run.succeeds(), expect(&role_digest), "{}", run.stderr);
    // A profile that does not exist is named.
    env.retain(|(k, _)| *k != "AWS_PROFILE");
    env.push(("AWS_PROFILE", "nope"));
    let line = check_env(&src(&role_reg, json!({})), &env).fails();
    assert!(line.contains("AWS profile `nope`"), "{line}");

    // Web identity (EKS IRSA): an unsigned AssumeRoleWithWebIdentity.
    let token_file = dir.path().join("web-identity");
    std::fs::write(&token_file, secret("eyJ-web-identity-token")).unwrap();
    let mut env = base_env.to_vec();
    env.extend([
        ("AWS_WEB_IDENTITY_TOKEN_FILE", token_file.to_str().unwrap()),
        ("AWS_ROLE_ARN", "arn:aws:iam::222222222222:role/irsa"),
    ]);
    calls.lock().unwrap().clear();
    let run = check_env(&src(&role_reg, json!({})), &env);
    assert_eq!(run.succeeds(), expect(&role_digest), "{}", run.stderr);
    assert_eq!(
        *calls.lock().unwrap(),
        ["AssumeRoleWithWebIdentity", "GetAuthorizationToken"]
    );

    // Container credentials (ECS task role / EKS Pod Identity), with their authorization token.
    let container_token = secret("container-authorization-token");
    let expected_auth = container_token.clone();
    let creds = fake::serve_requests(0, move |r| {
        if r.header("Authorization") == Some(expected_auth.as_str()) {
            Reply::new(
                200,
                r#"{"AccessKeyId":"ASIAUPTICKCONTAINER","SecretAccessKey":"containerSecretKeyEXAMPLE","Token":"container-session","Expiration":"2099-01-01T00:00:00Z"}"#,
            )
        } else {
            Reply::new(401, "{}")
        }
    });
    secret("containerSecretKeyEXAMPLE");
    let full_uri = format!("http://127.0.0.1:{creds}/v2/credentials");
    let mut env = base_env.to_vec();
    env.extend([
        ("AWS_CONTAINER_CREDENTIALS_FULL_URI", full_uri.as_str()),
        (
            "AWS_CONTAINER_AUTHORIZATION_TOKEN",
            container_token.as_str(),
        ),
    ]);
    let run = check_env(&src(&default_reg, json!({})), &env);
    assert_eq!(run.succeeds(), expect(&default_digest), "{}", run.stderr);

    // An EC2 instance role through IMDSv2 (token, role name, credentials).
    let imds = fake::serve_requests(0, |r| {
        let token_ok = r.header("X-aws-ec2-metadata-token") == Some("imds-session-token");
        match (r.method.as_str(), r.path.as_str()) {
            ("PUT", "/latest/api/token") => Reply::new(200, "imds-session-token"),
            ("GET", "/latest/meta-data/iam/security-credentials/") if token_ok => {
                Reply::new(200, "worker-role")
            }
            ("GET", "/latest/meta-data/iam/security-credentials/worker-role") if token_ok => {
                Reply::new(
                    200,
                    r#"{"Code":"Success","Type":"AWS-HMAC","AccessKeyId":"ASIAUPTICKINSTANCE","SecretAccessKey":"instanceSecretKeyEXAMPLE","Token":"instance-session","Expiration":"2099-01-01T00:00:00Z"}"#,
                )
            }
            _ => Reply::new(401, ""),
        }
    });
    secret("instanceSecretKeyEXAMPLE");
    let imds_url = format!("http://127.0.0.1:{imds}");
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_EC2_METADATA_SERVICE_ENDPOINT", imds_url.as_str()),
    ];
    let run = check_env(&src(&default_reg, json!({})), &env);
    assert_eq!(run.succeeds(), expect(&default_digest), "{}", run.stderr);

    // Nothing at all: one clear line.
    let line = check_env(&src(&default_reg, json!({})), &base_env).fails();
    assert!(line.contains("no AWS credentials"), "{line}");

    // ECR's own error code comes through.
    let denied = fake::serve(|_, _| {
        Reply::new(
            400,
            r#"{"__type":"UnrecognizedClientException","message":"The security token included in the request is invalid."}"#,
        )
        .header("Content-Type", "application/x-amz-json-1.1")
    });
    let ecr_url = format!("http://127.0.0.1:{denied}");
    let mut env = base_env.to_vec();
    env.push(("AWS_ENDPOINT_URL_ECR", ecr_url.as_str()));
    let line = check_env(&src(&default_reg, keys), &env).fails();
    assert!(
        line.contains("ECR GetAuthorizationToken failed")
            && line.contains("400 UnrecognizedClientException"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_moto)),
    ignore = "needs docker-registry; moto's server (apt-get install docker-registry; pip install 'moto[server]')"
)]
fn ecr_login_happens_once_per_run() {
    let moto = servers::moto();
    let count = std::sync::Arc::new(std::sync::atomic::AtomicUsize::new(0));
    let c = count.clone();
    let aws = proxy::start(moto, move |_, path, _| {
        c.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
        proxy::Action::Forward(path.to_string())
    });
    let (reg, digest) = ecr_registry("123456789012");
    let dir = tempfile::tempdir().unwrap();
    let tmp = tmp_env(dir.path());
    let endpoint = format!("http://127.0.0.1:{aws}");
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIAUPTICKEXAMPLE04"),
        ("AWS_SECRET_ACCESS_KEY", "uptickSecretAccessKey/EXAMPLE"),
    ];
    // `in` reads the manifest, config and layers: many registry requests, one login.
    let req = json!({
        "source": {"repository": reg.repo("app"), "aws_region": REGION, "cloud_login_hosts": [reg.host()]},
        "version": {"tag": "latest", "digest": digest},
        "params": {"format": "oci"},
    });
    let dest = dir.path().join("dest");
    let run = run_env(Bin::In, &req.to_string(), &[dest.to_str().unwrap()], &env);
    assert_eq!(
        run.succeeds()["version"]["digest"],
        json!(digest),
        "{}",
        run.stderr
    );
    assert_eq!(count.load(std::sync::atomic::Ordering::SeqCst), 1);
}

/// Azure's managed identity flow: IMDS token → the registry's `/oauth2/exchange` → refresh
/// token as the null-GUID user's password on the registry's own token endpoint.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn azure_acr_exchanges_a_managed_identity_token() {
    const NULL_GUID: &str = "00000000-0000-0000-0000-000000000000";
    let aad = secret("aad-access-token-for-management");
    let refresh = secret("acr-refresh-token-from-exchange");
    let reg = TestRegistry::start_with(
        Mode::Token,
        Accounts {
            basic: vec![(NULL_GUID.into(), refresh.clone())],
            refresh_tokens: Vec::new(),
            token_fields: &["access_token"],
        },
    );
    let v = Seeder::new(&reg).image("app", "latest", "acr", &[], &[]);
    // IMDS as documented: GET with `Metadata: true`, resource and (user-assigned) client_id.
    let aad_answer = aad.clone();
    let imds = fake::serve_requests(0, move |r| {
        let ok = r.method == "GET"
            && r.path.starts_with("/metadata/identity/oauth2/token?")
            && r.path
                .contains("resource=https%3A%2F%2Fmanagement.azure.com%2F")
            && r.path.contains("client_id=uptick-identity")
            && r.header("Metadata") == Some("true");
        if ok {
            Reply::new(
                200,
                json!({"access_token": aad_answer, "expires_in": "86399", "token_type": "Bearer", "resource": "https://management.azure.com/"}).to_string(),
            )
        } else {
            Reply::new(400, r#"{"error":"invalid_request"}"#)
        }
    });
    // The registry's exchange endpoint, in front of the real registry.
    let tenants = std::sync::Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = tenants.clone();
    let host_holder = std::sync::Arc::new(std::sync::OnceLock::<String>::new());
    let host_seen = host_holder.clone();
    let (aad_expected, refresh_answer) = (aad.clone(), refresh.clone());
    let acr = proxy::start_seeing(reg.port, move |r| {
        if r.method == "POST" && r.path == "/oauth2/exchange" {
            let form: std::collections::HashMap<String, String> =
                url::form_urlencoded::parse(r.body).into_owned().collect();
            seen.lock()
                .unwrap()
                .push(form.get("tenant").cloned().unwrap_or_default());
            let ok = form.get("grant_type").map(String::as_str) == Some("access_token")
                && form.get("access_token") == Some(&aad_expected)
                && form.get("service") == host_seen.get();
            return proxy::Action::Reply(if ok {
                Reply::new(200, json!({"refresh_token": refresh_answer}).to_string())
            } else {
                Reply::new(
                    401,
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"bad exchange"}]}"#,
                )
            });
        }
        proxy::Action::Forward(r.path.to_string())
    });
    let host = format!("127.0.0.1:{acr}");
    host_holder.set(host.clone()).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let tmp = tmp_env(dir.path());
    let imds_url = format!("http://127.0.0.1:{imds}");
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", imds_url.as_str()),
    ];
    let source = json!({"repository": format!("{host}/app"), "tag": "latest", "azure_acr": true, "azure_client_id": "uptick-identity", "cloud_login_hosts": [host], "debug": true});
    let run = check_env(&source, &env);
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    let mut with_tenant = source.clone();
    with_tenant["azure_tenant_id"] = json!("tenant-42");
    let run = check_env(&with_tenant, &env);
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    assert_eq!(*tenants.lock().unwrap(), ["common", "tenant-42"]);

    // App Service / Container Apps: IDENTITY_ENDPOINT with its header.
    let aad_answer = aad.clone();
    let app_service = fake::serve_requests(0, move |r| {
        if r.header("X-IDENTITY-HEADER") == Some("identity-header-value") {
            Reply::new(
                200,
                json!({"access_token": aad_answer, "expires_on": "1"}).to_string(),
            )
        } else {
            Reply::new(401, "{}")
        }
    });
    let identity_endpoint = format!("http://127.0.0.1:{app_service}/msi/token");
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("IDENTITY_ENDPOINT", identity_endpoint.as_str()),
        ("IDENTITY_HEADER", "identity-header-value"),
    ];
    let run = check_env(&source, &env);
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));

    // No identity endpoint: a clear error naming the step.
    let closed = format!("http://127.0.0.1:{}", crate::support::free_port());
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AZURE_POD_IDENTITY_AUTHORITY_HOST", closed.as_str()),
    ];
    let line = check_env(&source, &env).fails();
    assert!(
        line.contains("Azure managed identity token failed"),
        "{line}"
    );
}

/// Each cloud's basic credentials on a token registry answering in that cloud's documented
/// shape; none of the secrets reaches stderr (debug on).
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn cloud_registry_credentials_reach_the_token_endpoint() {
    let json_key = secret(
        "{\n  \"type\": \"service_account\",\n  \"project_id\": \"uptick\",\n  \"private_key_id\": \"0123abcd\",\n  \"private_key\": \"-----BEGIN PRIVATE KEY-----\\nMIIEvQIBADANBgkq\\n-----END PRIVATE KEY-----\\n\",\n  \"client_email\": \"ci@uptick.iam.gserviceaccount.com\"\n}",
    );
    let cases: Vec<(&str, String, String, &'static [&'static str])> = vec![
        (
            "GCR / Artifact Registry key",
            "_json_key".into(),
            json_key,
            &["token"],
        ),
        (
            "GCR access token",
            "oauth2accesstoken".into(),
            secret("ya29.a0AfH6SMBexample"),
            &["token"],
        ),
        (
            "GHCR",
            "uptick-bot".into(),
            secret("ghp_16C7e42F292c6912E7710c838347Ae178B4a"),
            &["token"],
        ),
        (
            "ACR service principal",
            "5f1c3b2a-0000-4000-8000-000000000001".into(),
            secret("sp-client-secret~value"),
            &["access_token"],
        ),
        (
            "Alibaba ACR temporary token",
            "cr_temp_user".into(),
            secret("alibaba-temporary-token"),
            &["token"],
        ),
        (
            "Docker Hub",
            "uptick".into(),
            secret("dckr_pat_example"),
            &["token", "access_token"],
        ),
    ];
    for (what, user, password, fields) in cases {
        let reg = TestRegistry::start_with(
            Mode::Token,
            Accounts {
                basic: vec![(user.clone(), password.clone())],
                refresh_tokens: Vec::new(),
                token_fields: fields,
            },
        );
        let v = Seeder::new(&reg).image("app", "latest", what, &[], &[]);
        let source = json!({"repository": reg.repo("app"), "tag": "latest", "username": user, "password": password, "debug": true});
        let run = crate::support::check(&source_request(source));
        assert_eq!(
            run.succeeds(),
            json!([{"tag": "latest", "digest": v.digest}]),
            "{what}: {}",
            run.stderr
        );
    }
}

fn source_request(source: Value) -> Value {
    json!({"source": source})
}

/// OAuth2 refresh-token POSTs the registry's token issuer has answered.
fn refresh_posts(reg: &TestRegistry) -> usize {
    let token = reg.token.as_ref().expect("token mode");
    token.posts.load(std::sync::atomic::Ordering::SeqCst)
}

/// A docker `identitytoken` (from `auths` or a helper answering `<token>`) is an OAuth2 refresh
/// token: POSTed to the token endpoint, never sent as basic auth.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn docker_identity_tokens_use_the_refresh_grant() {
    let refresh = secret("identity-refresh-token-example");
    let reg = TestRegistry::start_with(
        Mode::Token,
        Accounts {
            basic: Vec::new(),
            refresh_tokens: vec![refresh.clone()],
            token_fields: &["token"],
        },
    );
    // The seeder signs its own tokens; no basic account is needed.
    let v = Seeder::new(&reg).image("app", "latest", "identity", &[], &[]);
    let dir = tempfile::tempdir().unwrap();
    let tmp = tmp_env(dir.path());
    let config = dir.path().join("config.json");
    std::fs::write(
        &config,
        json!({"auths": {reg.host(): {"auth": "", "identitytoken": refresh}}}).to_string(),
    )
    .unwrap();
    let source = json!({"repository": reg.repo("app"), "tag": "latest", "docker_config": config, "debug": true});
    let run = check_env(&source, &[("TMPDIR", tmp.as_str())]);
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    let posts = refresh_posts(&reg);
    assert!(posts >= 1, "no refresh-token POST");

    // A credential helper answering `<token>` means the same.
    let bin = dir.path().join("bin");
    std::fs::create_dir(&bin).unwrap();
    let helper = bin.join("docker-credential-cloud");
    std::fs::write(
        &helper,
        format!("#!/bin/sh\nread server\nprintf '{{\"ServerURL\":\"%s\",\"Username\":\"<token>\",\"Secret\":\"{refresh}\"}}' \"$server\"\n"),
    )
    .unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&helper, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::write(
        &config,
        json!({"credHelpers": {reg.host(): "cloud"}}).to_string(),
    )
    .unwrap();
    let run = check_env(
        &source,
        &[("TMPDIR", tmp.as_str()), ("PATH", bin.to_str().unwrap())],
    );
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    let after = refresh_posts(&reg);
    assert!(after > posts, "the helper's identity token was not POSTed");
}

/// `registry_mirror` credentials go to the mirror, the source's to the origin only: every
/// `Authorization` the mirror sees is the mirror's own.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn mirror_credentials_stay_with_the_mirror() {
    use base64::Engine as _;
    let mirror_password = secret("mirror-only-password");
    let origin_password = secret("origin-only-password");
    let reg =
        TestRegistry::start_with(Mode::Basic, Accounts::user("mirror-user", &mirror_password));
    let v = Seeder::new(&reg).image("library/busybox", "latest", "hub", &[], &[]);
    let seen = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Option<String>>::new()));
    let log = seen.clone();
    let mirror = proxy::start_seeing(reg.port, move |r| {
        log.lock().unwrap().push(r.header("Authorization"));
        proxy::Action::Forward(r.path.to_string())
    });
    let source = json!({
        "repository": "busybox", "tag": "latest",
        "username": "origin-user", "password": origin_password,
        "registry_mirror": {"host": format!("127.0.0.1:{mirror}"), "username": "mirror-user", "password": mirror_password},
    });
    let run = crate::support::check(&source_request(source));
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    let mirror_basic = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("mirror-user:{mirror_password}"))
    );
    let seen = seen.lock().unwrap();
    assert!(
        seen.iter()
            .any(|a| a.as_deref() == Some(mirror_basic.as_str())),
        "{seen:?}"
    );
    assert!(
        seen.iter().flatten().all(|a| *a == mirror_basic),
        "another credential reached the mirror: {seen:?}"
    );
}

/// The whole upstream rewrite: `repository: app` + `aws_account_id` becomes
/// `123456789012.dkr.ecr.us-east-1.amazonaws.com/app` (and without the account id, the login's
/// proxy endpoint names the same registry). That name is reached through a forward proxy that
/// routes it to a local TLS + htpasswd registry whose certificate carries it.
#[test]
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_moto)),
    ignore = "needs docker-registry; moto's server (apt-get install docker-registry; pip install 'moto[server]')"
)]
fn ecr_repository_is_named_on_the_accounts_registry() {
    const ECR_HOST: &str = "123456789012.dkr.ecr.us-east-1.amazonaws.com";
    let moto = servers::moto();
    let password = secret("123456789012-auth-token");
    let reg = TestRegistry::start_with(Mode::TlsBasic, Accounts::user("AWS", &password));
    let v = Seeder::new(&reg).image("app", "latest", "ecr-by-name", &[], &[]);
    let proxy =
        crate::support::forward::start_routed(None, vec![(format!("{ECR_HOST}:443"), reg.port)]);
    let dir = tempfile::tempdir().unwrap();
    let tmp = tmp_env(dir.path());
    let endpoint = format!("http://127.0.0.1:{moto}");
    let proxy_url = format!("http://127.0.0.1:{}", proxy.port);
    let env = [
        ("TMPDIR", tmp.as_str()),
        ("AWS_ENDPOINT_URL", endpoint.as_str()),
        ("AWS_ACCESS_KEY_ID", "AKIAUPTICKEXAMPLE05"),
        ("AWS_SECRET_ACCESS_KEY", "uptickSecretAccessKey/EXAMPLE"),
        ("HTTPS_PROXY", proxy_url.as_str()),
    ];
    let ca = reg.ca_pem.clone().unwrap();
    for source in [
        json!({"repository": "app", "tag": "latest", "aws_region": REGION, "aws_account_id": "123456789012", "ca_certs": [ca]}),
        json!({"repository": "app", "tag": "latest", "aws_region": REGION, "ca_certs": [ca]}),
    ] {
        let req = json!({"source": source, "version": {"tag": "latest", "digest": v.digest}, "params": {"skip_download": true}});
        let dest = dir
            .path()
            .join(format!("get-{}", source.get("aws_account_id").is_some()));
        let run = run_env(Bin::In, &req.to_string(), &[dest.to_str().unwrap()], &env);
        run.succeeds();
        assert_eq!(
            std::fs::read_to_string(dest.join("repository")).unwrap(),
            format!("{ECR_HOST}/app")
        );
    }
    assert!(
        proxy.seen().contains(&format!("CONNECT {ECR_HOST}:443")),
        "{:?}",
        proxy.seen()
    );
}
