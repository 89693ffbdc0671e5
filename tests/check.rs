//! `check` in tag mode against Debian's docker-registry in plain, basic, TLS and token modes.

use crate::support::registry::{Mode, TestRegistry, PASSWORD};
use crate::support::seed::{sha256, Seeder};
use crate::support::{check, free_port};
use serde_json::{json, Value};

fn request(source: Value, version: Value) -> Value {
    json!({"source": source, "version": version})
}

/// The full tag-mode story on one registry mode: first check, unchanged, moved, cursor gone, tag gone.
fn tag_mode_cycle(mode: Mode) {
    let reg = TestRegistry::start(mode);
    let seed = Seeder::new(&reg);
    let src = reg.source("app", json!({"tag": "latest", "debug": true}));

    // Missing tag: no versions, not an error.
    assert_eq!(
        check(&request(src.clone(), Value::Null)).succeeds(),
        json!([])
    );

    let v1 = seed.image("app", "latest", "one", &[], &[]);
    let first = check(&request(src.clone(), Value::Null));
    assert_eq!(
        first.succeeds(),
        json!([{"tag": "latest", "digest": v1.digest}])
    );

    // Cursor is current: exactly one manifest HEAD, plus at most the ping and one token request.
    let same = check(&request(
        src.clone(),
        json!({"tag": "latest", "digest": v1.digest}),
    ));
    assert_eq!(
        same.succeeds(),
        json!([{"tag": "latest", "digest": v1.digest}])
    );
    assert_eq!(
        same.requests("HEAD", "/manifests/"),
        1,
        "{:?}",
        same.request_lines()
    );
    assert_eq!(
        same.requests("GET", "/manifests/"),
        0,
        "{:?}",
        same.request_lines()
    );
    let max = if mode == Mode::Token { 3 } else { 2 };
    assert!(
        same.request_lines().len() <= max,
        "{:?}",
        same.request_lines()
    );

    // The tag moves: the old cursor (still present by digest) then the new one.
    let v2 = seed.image("app", "latest", "two", &[], &[]);
    assert_ne!(v1.digest, v2.digest);
    let moved = check(&request(
        src.clone(),
        json!({"tag": "latest", "digest": v1.digest}),
    ));
    assert_eq!(
        moved.succeeds(),
        json!([{"tag": "latest", "digest": v1.digest}, {"tag": "latest", "digest": v2.digest}])
    );

    // A cursor whose digest is gone from the repository: only the current one.
    let gone = sha256(b"never pushed");
    let after_gone = check(&request(
        src.clone(),
        json!({"tag": "latest", "digest": gone}),
    ));
    assert_eq!(
        after_gone.succeeds(),
        json!([{"tag": "latest", "digest": v2.digest}])
    );

    // A cursor without a tag gets the tag filled in.
    let no_tag = check(&request(src, json!({"digest": v1.digest})));
    assert_eq!(
        no_tag.succeeds(),
        json!([{"tag": "latest", "digest": v1.digest}, {"tag": "latest", "digest": v2.digest}])
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tag_mode_plain_http() {
    tag_mode_cycle(Mode::Plain);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tag_mode_basic_auth() {
    tag_mode_cycle(Mode::Basic);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tag_mode_tls_with_ca_certs() {
    tag_mode_cycle(Mode::Tls);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tag_mode_token_auth() {
    let reg = TestRegistry::start(Mode::Token);
    let seed = Seeder::new(&reg);
    let v1 = seed.image("team/app", "1.0", "one", &[], &[]);
    let src = reg.source("team/app", json!({"tag": "1.0", "debug": true}));
    let issued = reg.token.as_ref().unwrap().requests.clone();
    let before = issued.load(std::sync::atomic::Ordering::SeqCst);
    let run = check(&request(src, json!({"tag": "1.0", "digest": v1.digest})));
    assert_eq!(run.succeeds(), json!([{"tag": "1.0", "digest": v1.digest}]));
    // First run: ping (401 challenge) + one token + one HEAD.
    assert_eq!(run.request_lines().len(), 3, "{:?}", run.request_lines());
    assert_eq!(run.requests("GET", "/v2/ "), 1);
    assert_eq!(run.requests("GET", "/token?"), 1);
    assert_eq!(issued.load(std::sync::atomic::Ordering::SeqCst) - before, 1);
    assert!(
        run.stderr.contains("scope=repository%3Ateam%2Fapp%3Apull"),
        "{}",
        run.stderr
    );
    drop(run);
    tag_mode_cycle(Mode::Token);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_reused_check_container_skips_the_ping() {
    let reg = TestRegistry::start(Mode::Basic);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let src = reg.source("app", json!({"tag": "latest", "debug": true}));
    let req = request(src, json!({"tag": "latest", "digest": v.digest}));
    let first = check(&req);
    assert_eq!(
        first.requests("GET", "/v2/ "),
        1,
        "{:?}",
        first.request_lines()
    );
    // Same temp dir (as in a reused container): the HEAD alone.
    let second = check(&req);
    assert_eq!(
        second.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    assert_eq!(
        second.request_lines().len(),
        1,
        "{:?}",
        second.request_lines()
    );
    assert_eq!(second.requests("HEAD", "/manifests/latest"), 1);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn a_stale_remembered_discovery_is_dropped_and_the_registry_pinged_again() {
    // Token auth remembered for this address; then a plain registry takes the address over.
    let token = TestRegistry::start(Mode::Token);
    let port = token.port;
    Seeder::new(&token).image("app", "latest", "one", &[], &[]);
    check(&request(
        token.source("app", json!({"tag": "latest"})),
        Value::Null,
    ))
    .succeeds();
    drop(token);
    let plain = TestRegistry::start_on(Mode::Plain, port);
    let v = Seeder::new(&plain).image("app", "latest", "two", &[], &[]);
    let run = check(&request(
        plain.source("app", json!({"tag": "latest", "debug": true})),
        Value::Null,
    ));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    assert!(run.stderr.contains("pinging again"), "{}", run.stderr);
    drop(plain);
    // And a TLS registry taking over a remembered plain-HTTP address.
    let tls = TestRegistry::start_on(Mode::Tls, port);
    let v = Seeder::new(&tls).image("app", "latest", "three", &[], &[]);
    let run = check(&request(
        tls.source("app", json!({"tag": "latest", "debug": true})),
        Value::Null,
    ));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn works_with_an_empty_environment() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let req = request(reg.source("app", json!({"tag": "latest"})), Value::Null);
    let run = crate::support::run_env(crate::support::Bin::Check, &req.to_string(), &[], &[]);
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn multi_arch_tag_reports_the_index_digest_whatever_the_platform() {
    let reg = TestRegistry::start(Mode::Plain);
    let (index, children) = Seeder::new(&reg).multi_arch("multi", "latest", "m1");
    for platform in [json!(null), json!({"architecture": "arm64", "os": "linux"})] {
        let mut src = reg.source("multi", json!({"tag": "latest"}));
        if !platform.is_null() {
            src["platform"] = platform;
        }
        let out = check(&request(src, Value::Null)).succeeds();
        assert_eq!(out, json!([{"tag": "latest", "digest": index.digest}]));
        assert!(children.iter().all(|(_, c)| c.digest != index.digest));
    }
}

/// An integer tag is its decimal text (`tag: 3` follows `3`); a fractional one is refused before
/// any request — YAML made `tag: 3.20` the number 3.2, and `num:3.2` exists.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn an_integer_tag_is_accepted_and_a_fractional_one_refused() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let three = seeder.image("num", "3", "n", &[], &[]);
    seeder.image("num", "3.2", "m", &[], &[]);
    let src = reg.source("num", json!({"tag": 3}));
    assert_eq!(
        check(&request(src, Value::Null)).succeeds(),
        json!([{"tag": "3", "digest": three.digest}])
    );
    let before = reg.access_log().len();
    let src = reg.source("num", json!({"tag": 3.20}));
    let line = check(&request(src, Value::Null)).fails();
    assert!(
        line.contains("source.tag: the number 3.2 is not a tag") && line.contains("quote"),
        "{line}"
    );
    assert_eq!(reg.access_log().len(), before, "no request was sent");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn basic_auth_wrong_password_names_registry_not_password() {
    let reg = TestRegistry::start(Mode::Basic);
    Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let mut src = reg.source("app", json!({"tag": "latest", "debug": true}));
    src["password"] = json!(crate::support::secret("wrong-Pa55word-xyz"));
    let run = check(&request(src, Value::Null));
    let line = run.fails();
    assert!(line.contains(&reg.host()), "{line}");
    assert!(
        line.contains("401") && line.contains("authentication"),
        "{line}"
    );
    assert!(!run.stderr.contains("wrong-Pa55word-xyz"), "{}", run.stderr);
    assert!(!run.stderr.contains(PASSWORD), "{}", run.stderr);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn token_auth_wrong_password_and_anonymous_fail_cleanly() {
    let reg = TestRegistry::start(Mode::Token);
    Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let mut src = reg.source("app", json!({"tag": "latest", "debug": true}));
    src["password"] = json!(crate::support::secret("not-the-Pa55word"));
    let run = check(&request(src.clone(), Value::Null));
    let line = run.fails();
    assert!(line.contains(&reg.host()) && line.contains("401"), "{line}");
    assert!(!run.stderr.contains("not-the-Pa55word"), "{}", run.stderr);

    // Anonymous: the issuer grants nothing, the registry itself refuses the token.
    let anon = json!({"repository": reg.repo("app"), "tag": "latest"});
    let line = check(&request(anon, Value::Null)).fails();
    assert!(
        line.contains("authentication to") && line.contains("UNAUTHORIZED"),
        "{line}"
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tls_without_ca_certs_suggests_ca_certs() {
    let reg = TestRegistry::start(Mode::Tls);
    let src = json!({"repository": reg.repo("app"), "tag": "latest"});
    let line = check(&request(src, Value::Null)).fails();
    assert!(line.contains("ca_certs"), "{line}");
    assert!(line.contains(&reg.host()), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn tls_insecure_skips_verification() {
    let reg = TestRegistry::start(Mode::Tls);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let src = json!({"repository": reg.repo("app"), "tag": "latest", "insecure": true});
    assert_eq!(
        check(&request(src, Value::Null)).succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
}

#[test]
fn unreachable_registry_names_the_host() {
    let port = free_port();
    let src = json!({"repository": format!("127.0.0.1:{port}/app"), "tag": "latest"});
    let line = check(&request(src, Value::Null)).fails();
    assert!(line.contains(&format!("127.0.0.1:{port}")), "{line}");
    assert!(line.contains("cannot reach"), "{line}");
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn docker_hub_repository_is_checked_through_the_mirror() {
    let reg = TestRegistry::start(Mode::Basic);
    let v = Seeder::new(&reg).image("library/busybox", "latest", "hub", &[], &[]);
    let src = json!({
        "repository": "busybox", "tag": "latest", "debug": true,
        "registry_mirror": {"host": reg.host(), "username": crate::support::registry::USER, "password": PASSWORD},
    });
    let run = check(&request(src, Value::Null));
    assert_eq!(
        run.succeeds(),
        json!([{"tag": "latest", "digest": v.digest}])
    );
    assert!(
        run.request_lines().iter().all(|l| l.contains(&reg.host())),
        "{:?}",
        run.request_lines()
    );
    assert!(!run.stderr.contains(PASSWORD));
}
