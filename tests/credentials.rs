//! Credentials from a docker `config.json`: `auths`, `credHelpers`, `credsStore`; secrets never
//! reach stderr, debug included.

use crate::support::registry::{Mode, TestRegistry, PASSWORD, USER};
use crate::support::seed::Seeder;
use crate::support::{run_env, Bin};
use base64::Engine as _;
use serde_json::{json, Value};
use std::os::unix::fs::PermissionsExt;

fn check_with(
    config: &Value,
    reg: &TestRegistry,
    dir: &std::path::Path,
    path_env: Option<&str>,
) -> crate::support::Run {
    let file = dir.join("config.json");
    std::fs::write(&file, config.to_string()).unwrap();
    let req = json!({"source": {"repository": reg.repo("app"), "tag": "latest", "debug": true, "docker_config": file}});
    let tmp = dir.join("tmp");
    std::fs::create_dir_all(&tmp).unwrap();
    let mut env = vec![("TMPDIR", tmp.to_str().unwrap())];
    if let Some(p) = path_env {
        env.push(("PATH", p));
    }
    run_env(Bin::Check, &req.to_string(), &[], &env)
}

fn helper(dir: &std::path::Path, name: &str, host: &str) {
    helper_answering(dir, name, host, PASSWORD);
}

/// A `docker-credential-<name>` that answers `USER` and `secret` for `host` only.
fn helper_answering(dir: &std::path::Path, name: &str, host: &str, secret: &str) {
    let script = format!(
        "#!/bin/sh\nread server\nif [ \"$server\" = \"{host}\" ]; then\n  printf '{{\"ServerURL\":\"%s\",\"Username\":\"{USER}\",\"Secret\":\"{secret}\"}}' \"$server\"\nelse\n  echo 'credentials not found in native keychain'\n  exit 1\nfi\n"
    );
    let path = dir.join(format!("docker-credential-{name}"));
    std::fs::write(&path, script).unwrap();
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn auths_helpers_and_stores_supply_credentials() {
    for mode in [Mode::Basic, Mode::Token] {
        let reg = TestRegistry::start(mode);
        let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
        let expected = json!([{"tag": "latest", "digest": v.digest}]);
        let dir = tempfile::tempdir().unwrap();
        let b64 = crate::support::secret(
            &base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{PASSWORD}")),
        );
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        helper(&bin, "test", &reg.host());
        let bin_path = bin.to_str().unwrap();
        for (config, path) in [
            (json!({"auths": {reg.host(): {"auth": b64}}}), None),
            (
                json!({"auths": {format!("http://{}/v1/", reg.host()): {"username": USER, "password": PASSWORD}}}),
                None,
            ),
            (
                json!({"credHelpers": {reg.host(): "test"}, "auths": {reg.host(): {"auth": "bm9wZTpub3Bl"}}}),
                Some(bin_path),
            ),
            (json!({"credsStore": "test"}), Some(bin_path)),
        ] {
            let run = check_with(&config, &reg, dir.path(), path);
            assert_eq!(run.succeeds(), expected, "{mode:?} {config}");
            assert!(
                !run.stderr.contains(PASSWORD) && !run.stderr.contains(&b64),
                "{}",
                run.stderr
            );
        }
        // A helper that knows nothing of this registry: a clear error, nothing leaked.
        let other = dir.path().join("other");
        std::fs::create_dir(&other).unwrap();
        helper(&other, "test", "elsewhere.example.com");
        let run = check_with(
            &json!({"credsStore": "test"}),
            &reg,
            dir.path(),
            Some(other.to_str().unwrap()),
        );
        let line = run.fails();
        assert!(
            line.contains("docker-credential-test failed for")
                && line.contains(&reg.host())
                && line.contains("not found in native keychain"),
            "{line}"
        );
        let line = check_with(
            &json!({"credsStore": "absent"}),
            &reg,
            dir.path(),
            Some(bin_path),
        )
        .fails();
        assert!(
            line.contains("docker-credential-absent not found"),
            "{line}"
        );
    }
}

/// A refused login says which credentials were sent — the source's fields, a docker config's
/// `auths` entry (file and key), a helper and the key naming it (`credHelpers`, `credsStore`), or
/// none — and never the secret, debug on; through basic auth and a token server.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_refused_login_names_the_credential_source_never_the_secret() {
    let wrong = crate::support::secret("wr0ng-Pa55word-zz");
    let wrong_b64 = crate::support::secret(
        &base64::engine::general_purpose::STANDARD.encode(format!("{USER}:{wrong}")),
    );
    for mode in [Mode::Basic, Mode::Token] {
        let reg = TestRegistry::start(mode);
        Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
        let host = reg.host();
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("config.json");
        let config = file.display();
        let bin = dir.path().join("bin");
        std::fs::create_dir(&bin).unwrap();
        helper_answering(&bin, "wrong", &host, &wrong);
        let bin_path = bin.to_str().unwrap();
        let url_key = format!("http://{host}/v1/");
        let cases: Vec<(Value, Option<&str>, String)> = vec![
            (
                json!({"auths": {&host: {"auth": wrong_b64}}}),
                None,
                format!("(credentials from the docker config {config}, `auths` entry `{host}`)"),
            ),
            (
                json!({"auths": {&url_key: {"username": USER, "password": wrong}}}),
                None,
                format!("(credentials from the docker config {config}, `auths` entry `{url_key}`)"),
            ),
            (
                json!({"credHelpers": {&host: "wrong"}}),
                Some(bin_path),
                format!("(credentials from docker-credential-wrong, named by `credHelpers` of the docker config {config})"),
            ),
            (
                json!({"credsStore": "wrong"}),
                Some(bin_path),
                format!("(credentials from docker-credential-wrong, named by `credsStore` of the docker config {config})"),
            ),
            (
                json!({"auths": {}}),
                None,
                "(no credentials were sent: anonymous)".to_string(),
            ),
        ];
        for (docker_config, path, source) in cases {
            let run = check_with(&docker_config, &reg, dir.path(), path);
            let line = run.fails();
            assert!(
                line.contains(&format!("authentication to {host} failed: 401 ")),
                "{mode:?} {docker_config}: {line}"
            );
            assert!(line.ends_with(&source), "{mode:?} {docker_config}: {line}");
            assert!(
                !run.stderr.contains(&wrong) && !run.stderr.contains(&wrong_b64),
                "{}",
                run.stderr
            );
        }
        // The source's own fields (taken before any docker config).
        let req = json!({"source": {"repository": reg.repo("app"), "tag": "latest", "debug": true,
            "username": USER, "password": wrong, "docker_config": file}});
        let run = crate::support::check(&req);
        let line = run.fails();
        assert!(
            line.contains(&format!("authentication to {host} failed: 401 "))
                && line.ends_with("(credentials from `source.username`/`password`)"),
            "{mode:?}: {line}"
        );
        assert!(!run.stderr.contains(&wrong), "{}", run.stderr);
    }
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn an_unreadable_docker_config_is_an_error() {
    let reg = TestRegistry::start(Mode::Basic);
    let req = json!({"source": {"repository": reg.repo("app"), "tag": "latest", "docker_config": "/nonexistent/config.json"}});
    let line = run_env(Bin::Check, &req.to_string(), &[], &[]).fails();
    assert!(
        line.contains("cannot read /nonexistent/config.json"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn mtls_registry_needs_the_client_certificate() {
    let reg = TestRegistry::start(Mode::Mtls);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let src = reg.source("app", json!({"tag": "latest", "debug": true}));
    let run = crate::support::check(&json!({"source": src}));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    let key = reg.client.clone().unwrap().1;
    crate::support::secret(key.lines().nth(1).unwrap());
    assert!(
        !run.stderr.contains(key.lines().nth(1).unwrap()),
        "the key never reaches stderr"
    );
    // Without it the handshake fails, with the host named.
    let mut bare = src.clone();
    bare.as_object_mut().unwrap().remove("client_cert");
    bare.as_object_mut().unwrap().remove("client_key");
    let line = crate::support::check(&json!({"source": bare})).fails();
    assert!(
        line.contains(&reg.host()) && line.contains("client_cert"),
        "{line}"
    );
    // A key that is not a key: refused before any request, without echoing it.
    let mut broken = src;
    broken["client_key"] =
        json!("-----BEGIN PRIVATE KEY-----\nnot-base64-secret\n-----END PRIVATE KEY-----\n");
    let run = crate::support::check(&json!({"source": broken}));
    let line = run.fails();
    assert!(
        line.contains("client_key is not a PEM private key"),
        "{line}"
    );
    assert!(!run.stderr.contains("not-base64-secret"));
    assert!(run.request_lines().is_empty());
}
