//! `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the worker's environment, as registry-image-
//! resource (Go) honours them: registry and package requests go through the proxy, listed hosts
//! do not, and the proxy's password never reaches stderr.

use crate::support::forward;
use crate::support::registry::{Mode, TestRegistry, PASSWORD, USER};
use crate::support::seed::Seeder;
use crate::support::{run_env, secret, Bin, Run};
use base64::Engine as _;
use serde_json::json;

fn check_with(source: serde_json::Value, env: &[(&str, &str)]) -> Run {
    let tmp = tempfile::tempdir().unwrap();
    let mut env = env.to_vec();
    let dir = tmp.path().to_str().unwrap().to_string();
    env.push(("TMPDIR", &dir));
    run_env(
        Bin::Check,
        &json!({"source": source}).to_string(),
        &[],
        &env,
    )
}

#[test]
fn requests_go_through_the_environments_proxy_unless_no_proxy_says_otherwise() {
    let proxy_password = secret("proxy-password-example");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("ci:{proxy_password}"))
    );
    let proxy = forward::start(Some(expected));
    let proxy_url = format!("http://ci:{proxy_password}@127.0.0.1:{}", proxy.port);

    // A plain-HTTP registry with basic auth, through HTTP_PROXY (and HTTPS_PROXY for the probe).
    let reg = TestRegistry::start(Mode::Basic);
    let v = Seeder::new(&reg).image("app", "latest", "proxied", &[], &[]);
    let source = json!({"repository": reg.repo("app"), "tag": "latest", "username": USER, "password": PASSWORD, "debug": true});
    let run = check_with(
        source.clone(),
        &[("HTTP_PROXY", &proxy_url), ("HTTPS_PROXY", &proxy_url)],
    );
    assert_eq!(
        run.ok(),
        json!([{"tag": "latest", "digest": v.digest}]),
        "{}",
        run.stderr
    );
    let seen = proxy.seen();
    assert!(
        seen.iter().any(|s| s.contains(&reg.host())),
        "the proxy carried nothing for {}: {seen:?}",
        reg.host()
    );

    // A TLS registry: a CONNECT tunnel.
    let tls = TestRegistry::start(Mode::Tls);
    let t = Seeder::new(&tls).image("app", "latest", "tunnel", &[], &[]);
    let run = check_with(
        tls.source("app", json!({"tag": "latest"})),
        &[("https_proxy", &proxy_url)],
    );
    assert_eq!(
        run.ok(),
        json!([{"tag": "latest", "digest": t.digest}]),
        "{}",
        run.stderr
    );
    assert!(
        proxy.seen().contains(&format!("CONNECT {}", tls.host())),
        "{:?}",
        proxy.seen()
    );

    // NO_PROXY: straight to the registry.
    let before = proxy.seen().len();
    let run = check_with(
        source.clone(),
        &[
            ("HTTP_PROXY", &proxy_url),
            ("HTTPS_PROXY", &proxy_url),
            ("NO_PROXY", "localhost,127.0.0.1"),
        ],
    );
    assert_eq!(run.ok(), json!([{"tag": "latest", "digest": v.digest}]));
    assert_eq!(proxy.seen().len(), before, "{:?}", proxy.seen());

    // Package indexes go the same way.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tool-1.0.tar.gz"),
        b"not really a distribution",
    )
    .unwrap();
    let index = crate::support::servers::pypiserver(dir.path());
    let run = check_with(
        json!({"pypi": "tool", "index_url": format!("http://127.0.0.1:{}/simple", index.port)}),
        &[("HTTP_PROXY", &proxy_url)],
    );
    assert_eq!(run.ok(), json!([{"version": "1.0"}]), "{}", run.stderr);
    let index_host = format!("127.0.0.1:{}", index.port);
    assert!(
        proxy.seen().iter().any(|s| s.contains(&index_host)),
        "{:?}",
        proxy.seen()
    );

    // A proxy refusing the credentials: a clear failure, no password in it.
    let wrong = format!("http://ci:wrong-proxy-password@127.0.0.1:{}", proxy.port);
    secret("wrong-proxy-password");
    let line = check_with(source, &[("HTTP_PROXY", &wrong), ("HTTPS_PROXY", &wrong)]).fails();
    assert!(
        line.contains("407") || line.to_lowercase().contains("proxy"),
        "{line}"
    );
}
