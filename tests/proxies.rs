//! `HTTPS_PROXY` / `HTTP_PROXY` / `NO_PROXY` from the worker's environment, as registry-image-
//! resource (Go) honours them: registry and package requests go through the proxy, listed hosts
//! and loopback do not, and the proxy's password never reaches stderr. The servers are reached
//! as `*.uptick.test`, a name only the test proxy resolves (to loopback).

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
#[cfg_attr(
    not(all(uptick_has_docker_registry, uptick_has_pypiserver)),
    ignore = "needs docker-registry; pypiserver (apt-get install docker-registry; pip install pypiserver)"
)]
fn requests_go_through_the_environments_proxy_unless_no_proxy_says_otherwise() {
    let proxy_password = secret("proxy-password-example");
    let expected = format!(
        "Basic {}",
        base64::engine::general_purpose::STANDARD.encode(format!("ci:{proxy_password}"))
    );
    let proxy = forward::start(Some(expected));
    let proxy_url = format!("http://ci:{proxy_password}@127.0.0.1:{}", proxy.port);
    let both = [
        ("HTTP_PROXY", proxy_url.as_str()),
        ("HTTPS_PROXY", proxy_url.as_str()),
    ];

    // A plain-HTTP registry with basic auth (`insecure`: not loopback by its name).
    let reg = TestRegistry::start(Mode::Basic);
    let v = Seeder::new(&reg).image("app", "latest", "proxied", &[], &[]);
    let name = format!("registry.uptick.test:{}", reg.port);
    let source = json!({"repository": format!("{name}/app"), "tag": "latest", "insecure": true,
                        "username": USER, "password": PASSWORD, "debug": true});
    let run = check_with(source.clone(), &both);
    run.succeeds_with(json!([{"tag": "latest", "digest": v.digest}]));
    assert!(
        proxy
            .seen()
            .contains(&format!("HEAD http://{name}/v2/app/manifests/latest")),
        "{:?}",
        proxy.seen()
    );

    // A TLS registry: a CONNECT tunnel (its certificate names registry.uptick.test).
    let tls = TestRegistry::start(Mode::Tls);
    let t = Seeder::new(&tls).image("app", "latest", "tunnel", &[], &[]);
    let tls_name = format!("registry.uptick.test:{}", tls.port);
    let mut tls_source = tls.source("app", json!({"tag": "latest"}));
    tls_source["repository"] = json!(format!("{tls_name}/app"));
    let run = check_with(tls_source, &[("https_proxy", &proxy_url)]);
    run.succeeds_with(json!([{"tag": "latest", "digest": t.digest}]));
    assert!(
        proxy.seen().contains(&format!("CONNECT {tls_name}")),
        "{:?}",
        proxy.seen()
    );

    // Package indexes go the same way.
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(
        dir.path().join("tool-1.0.tar.gz"),
        b"not really a distribution",
    )
    .unwrap();
    let index = crate::support::servers::pypiserver(dir.path());
    let index_name = format!("pypi.uptick.test:{}", index.port);
    let run = check_with(
        json!({"pypi": "tool", "index_url": format!("http://{index_name}/simple")}),
        &[("HTTP_PROXY", &proxy_url)],
    );
    run.succeeds_with(json!([{"version": "1.0"}]));
    assert!(
        proxy.seen().iter().any(|s| s.contains(&index_name)),
        "{:?}",
        proxy.seen()
    );

    // NO_PROXY, and loopback: straight there (the name does not resolve without the proxy).
    let before = proxy.seen().len();
    let mut env = both.to_vec();
    env.push(("NO_PROXY", "localhost,.uptick.test"));
    let line = check_with(source.clone(), &env).fails();
    assert!(line.contains("cannot reach registry.uptick.test"), "{line}");
    let direct = json!({"repository": reg.repo("app"), "tag": "latest", "username": USER, "password": PASSWORD});
    let run = check_with(direct, &both);
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    assert_eq!(proxy.seen().len(), before, "{:?}", proxy.seen());

    // A proxy refusing the credentials: a clear failure, no password in it.
    let wrong_password = secret("wrong-proxy-password");
    let wrong = format!("http://ci:{wrong_password}@127.0.0.1:{}", proxy.port);
    let line = check_with(source, &[("HTTP_PROXY", &wrong), ("HTTPS_PROXY", &wrong)]).fails();
    assert!(
        line.contains("407")
            || line.contains("proxy credentials are incorrect")
            || line.contains("proxy authorization required"),
        "{line}"
    );
}
