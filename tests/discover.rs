//! Tag discovery (semver and regex modes) against the real registry, pagination against a paging
//! fake, and the request cost of re-checks.

use crate::support::check;
use crate::support::fake::{self, Reply};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::{sha256, Seeder};
use serde_json::{json, Value};
use std::collections::HashMap;

fn req(source: Value, version: Value) -> Value {
    json!({"source": source, "version": version})
}

fn versions(out: &Value) -> Vec<(String, String)> {
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| {
            (
                v["tag"].as_str().unwrap().to_string(),
                v["digest"].as_str().unwrap().to_string(),
            )
        })
        .collect()
}

/// Pushes one distinct image per group and tags it with every tag of the group.
fn seed_groups(seeder: &Seeder, repo: &str, groups: &[&[&str]]) -> HashMap<String, String> {
    let mut digests = HashMap::new();
    for (i, tags) in groups.iter().enumerate() {
        let bytes = seeder.image_bytes(
            repo,
            &format!("group-{i}-{}", tags[0]),
            "2026-01-01T00:00:00Z",
        );
        for t in *tags {
            let p = seeder.tag(repo, t, &bytes);
            digests.insert(t.to_string(), p.digest);
        }
    }
    digests
}

fn tags_of(out: &Value) -> Vec<String> {
    versions(out).into_iter().map(|(t, _)| t).collect()
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn semver_mode_orders_dedupes_and_appends_latest_only_when_new() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[
            &["1.0.0"],
            &["1.1.0"],
            &["1.2", "1.2.1"],
            &["v3.0.0", "latest"],
            &["2.0.0-rc.1"],
            &["2.0.0-beta.1-alpine"],
            &["2.0.0-foo.1"],
            &["not-a-version"],
            &["4.0.0-rc.1", "4.0.0"],
        ],
    );
    let src = reg.source("app", json!({}));
    let out = check(&req(src.clone(), Value::Null)).succeeds();
    assert_eq!(
        tags_of(&out),
        ["1.0.0", "1.1.0", "1.2.1", "v3.0.0", "4.0.0"]
    );
    assert_eq!(versions(&out)[2].1, d["1.2.1"]);

    // Pre-releases: only alpha/beta/rc, never one carrying another variant.
    let mut pre = src.clone();
    pre["pre_releases"] = json!(true);
    let out = check(&req(pre.clone(), Value::Null)).succeeds();
    assert_eq!(
        tags_of(&out),
        ["1.0.0", "1.1.0", "1.2.1", "2.0.0-rc.1", "v3.0.0", "4.0.0"]
    );
    // Extra prefixes are added to the defaults (and allow variant-looking pre-releases).
    pre["pre_release_prefixes"] = json!(["foo"]);
    let out = check(&req(pre, Value::Null)).succeeds();
    assert_eq!(
        tags_of(&out),
        [
            "1.0.0",
            "1.1.0",
            "1.2.1",
            "2.0.0-beta.1-alpine",
            "2.0.0-foo.1",
            "2.0.0-rc.1",
            "v3.0.0",
            "4.0.0"
        ]
    );

    // Constraints (Masterminds syntax); with a constraint the bare tag is never appended.
    for (constraint, expected) in [
        ("1.2.x", vec!["1.2.1"]),
        ("~1.1", vec!["1.1.0"]),
        ("^1", vec!["1.0.0", "1.1.0", "1.2.1"]),
        (">= 1.1, < 4", vec!["1.1.0", "1.2.1", "v3.0.0"]),
        ("< 1.1 || >= 3", vec!["1.0.0", "v3.0.0", "4.0.0"]),
    ] {
        let mut c = src.clone();
        c["semver_constraint"] = json!(constraint);
        assert_eq!(
            tags_of(&check(&req(c, Value::Null)).succeeds()),
            expected,
            "{constraint}"
        );
    }

    // `latest` moves to an image no version tag has: appended last (no constraint only).
    let bytes = seeder.image_bytes("app", "unreleased", "2026-01-01T00:00:00Z");
    let latest = seeder.tag("app", "latest", &bytes);
    let out = check(&req(src.clone(), Value::Null)).succeeds();
    assert_eq!(
        versions(&out).last().unwrap(),
        &("latest".to_string(), latest.digest)
    );
    let mut c = src;
    c["semver_constraint"] = json!(">= 0");
    assert!(!tags_of(&check(&req(c, Value::Null)).succeeds()).contains(&"latest".to_string()));
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn variant_follows_suffixed_tags_and_its_bare_tag() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[
            &["1.0.0-alpine"],
            &["1.1.0-alpine"],
            &["1.1.0", "latest"],
            &["alpine"],
            &["1.2.0-slim"],
        ],
    );
    let src = reg.source("app", json!({"variant": "alpine"}));
    let out = check(&req(src, Value::Null)).succeeds();
    assert_eq!(
        versions(&out),
        [
            ("1.0.0-alpine".to_string(), d["1.0.0-alpine"].clone()),
            ("1.1.0-alpine".to_string(), d["1.1.0-alpine"].clone()),
            ("alpine".to_string(), d["alpine"].clone()),
        ]
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn semver_recheck_heads_only_the_cursor_newer_tags_and_latest() {
    let reg = TestRegistry::start(Mode::Token);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[&["1.0.0"], &["1.1.0"], &["1.2.0", "latest"], &["0.9.0"]],
    );
    let src = reg.source("app", json!({"debug": true}));
    let cursor = json!({"tag": "1.2.0", "digest": d["1.2.0"]});
    let run = check(&req(src.clone(), cursor.clone()));
    assert_eq!(tags_of(&run.succeeds()), ["1.2.0"]);
    assert_eq!(
        run.requests("GET", "/tags/list"),
        1,
        "{:?}",
        run.request_lines()
    );
    assert_eq!(
        run.requests("HEAD", "/manifests/"),
        2,
        "{:?}",
        run.request_lines()
    );
    assert_eq!(run.requests("HEAD", "/manifests/1.2.0"), 1);
    assert_eq!(run.requests("HEAD", "/manifests/latest"), 1);

    let new = seed_groups(&seeder, "app", &[&["1.3.0"]]);
    let run = check(&req(src.clone(), cursor));
    assert_eq!(
        versions(&run.succeeds()),
        [
            ("1.2.0".to_string(), d["1.2.0"].clone()),
            ("1.3.0".to_string(), new["1.3.0"].clone())
        ]
    );
    assert_eq!(
        run.requests("HEAD", "/manifests/"),
        3,
        "{:?}",
        run.request_lines()
    );

    // A cursor whose digest moved is no floor: everything is examined again.
    let stale = json!({"tag": "1.2.0", "digest": sha256(b"old")});
    let run = check(&req(src, stale));
    assert_eq!(
        tags_of(&run.succeeds()),
        ["0.9.0", "1.0.0", "1.1.0", "1.2.0", "1.3.0"]
    );
    assert_eq!(run.requests("HEAD", "/manifests/"), 6);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn regex_mode_keeps_registry_order_and_every_match() {
    let reg = TestRegistry::start(Mode::Basic);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[&["build-7", "build-12"], &["build-3"], &["release"]],
    );
    let src = reg.source("app", json!({"tag_regex": "^build-"}));
    let out = check(&req(src, Value::Null)).succeeds();
    let expected: Vec<(String, String)> = seeder
        .tag_list("app")
        .into_iter()
        .filter(|t| t.starts_with("build-"))
        .map(|t| {
            let digest = d[&t].clone();
            (t, digest)
        })
        .collect();
    assert_eq!(versions(&out), expected);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn regex_mode_created_at_sort_orders_by_config_created() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    for (tag, created) in [
        ("b", "2026-03-01T00:00:00Z"),
        ("a", "2026-05-01T00:00:00+02:00"),
        ("c", "2025-12-31T23:59:59.5Z"),
    ] {
        let bytes = seeder.image_bytes("app", tag, created);
        seeder.tag("app", tag, &bytes);
    }
    let src = reg.source(
        "app",
        json!({"tag_regex": "^[abc]$", "created_at_sort": true}),
    );
    assert_eq!(
        tags_of(&check(&req(src, Value::Null)).succeeds()),
        ["c", "b", "a"]
    );
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn regex_version_group_orders_calendar_tags_and_skips_below_the_cursor() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[
            &["stable-2024.01.9"],
            &["stable-2024.01.10"],
            &["stable-2023.12.31"],
            &["nightly-2025.01.01"],
        ],
    );
    let src = reg.source(
        "app",
        json!({"tag_regex": "^stable-(?P<version>.+)$", "debug": true}),
    );
    let out = check(&req(src.clone(), Value::Null)).succeeds();
    assert_eq!(
        tags_of(&out),
        ["stable-2023.12.31", "stable-2024.01.9", "stable-2024.01.10"]
    );
    let cursor = json!({"tag": "stable-2024.01.9", "digest": d["stable-2024.01.9"]});
    let run = check(&req(src, cursor));
    assert_eq!(
        tags_of(&run.succeeds()),
        ["stable-2024.01.9", "stable-2024.01.10"]
    );
    assert_eq!(
        run.requests("HEAD", "/manifests/"),
        2,
        "{:?}",
        run.request_lines()
    );
}

/// A registry front that pages `count` tags `t-0000…`, by `Link` or only by `last`.
fn paging_registry(count: usize, with_link: bool, foreign_link: bool) -> u16 {
    let tags: Vec<String> = (0..count).map(|i| format!("t-{i:04}")).collect();
    fake::serve(move |method, path| {
        if path == "/v2/" {
            return Reply::new(200, "{}");
        }
        if let Some(q) = path.strip_prefix("/v2/app/tags/list") {
            let url = url::Url::parse(&format!("http://x/{q}")).unwrap();
            let mut n = 100;
            let mut last = None;
            for (k, v) in url.query_pairs() {
                match k.as_ref() {
                    // With Link the front pages by 400 whatever n asks; without, it honours n.
                    "n" => {
                        n = v.parse::<usize>().unwrap().min(if with_link {
                            400
                        } else {
                            usize::MAX
                        })
                    }
                    "last" => last = Some(v.into_owned()),
                    _ => {}
                }
            }
            let start = last.map_or(0, |l| {
                tags.iter().position(|t| *t > l).unwrap_or(tags.len())
            });
            let page: Vec<&String> = tags.iter().skip(start).take(n).collect();
            let body = json!({"name": "app", "tags": page}).to_string();
            let mut reply = Reply::new(200, body).header("Content-Type", "application/json");
            if let (true, Some(l)) = (with_link && start + n < tags.len(), page.last()) {
                let host = if foreign_link {
                    "http://elsewhere.invalid"
                } else {
                    ""
                };
                reply = reply.header(
                    "Link",
                    &format!("<{host}/v2/app/tags/list?n={n}&last={l}>; rel=\"next\""),
                );
            }
            return reply;
        }
        if let Some(tag) = path.strip_prefix("/v2/app/manifests/") {
            let digest = sha256(tag.as_bytes());
            let _ = method;
            return Reply::new(200, "").header("Docker-Content-Digest", &digest);
        }
        Reply::new(404, "")
    })
}

#[test]
fn pagination_follows_link_then_last() {
    for (with_link, foreign) in [(true, false), (false, false)] {
        let port = paging_registry(1234, with_link, foreign);
        let src = json!({"repository": format!("127.0.0.1:{port}/app"), "tag_regex": "^t-(?P<version>\\d+)$", "debug": true});
        let cursor = json!({"tag": "t-1232", "digest": sha256(b"t-1232")});
        let run = check(&req(src, cursor));
        assert_eq!(
            tags_of(&run.succeeds()),
            ["t-1232", "t-1233"],
            "link={with_link}"
        );
        // Link: 400 tags a page, 4 pages. `last`: 1000 + 234, 2 pages.
        let pages = if with_link { 4 } else { 2 };
        assert_eq!(
            run.requests("GET", "/tags/list"),
            pages,
            "{:?}",
            run.request_lines()
        );
        assert_eq!(run.requests("HEAD", "/manifests/"), 2);
    }
    // A Link to another host is not followed.
    let port = paging_registry(1234, true, true);
    let src = json!({"repository": format!("127.0.0.1:{port}/app"), "tag_regex": "^t-0(?P<version>\\d+)$", "debug": true});
    let run = check(&req(src, Value::Null));
    assert_eq!(
        run.requests("GET", "/tags/list"),
        1,
        "{:?}",
        run.request_lines()
    );
    assert!(
        run.stderr
            .contains("ignoring tag-list Link to another host"),
        "{}",
        run.stderr
    );
    assert_eq!(versions(&run.succeeds()).len(), 400);
}

#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn two_thousand_tags_first_check_and_cheap_recheck() {
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let manifests = seeder.series("big", 2000);
    let mut last = String::new();
    for (i, bytes) in manifests.iter().enumerate() {
        let tag = format!("{}.{}.{}", 1 + i / 1000, (i / 10) % 100, i % 10);
        last = seeder.tag("big", &tag, bytes).digest;
    }
    let src = reg.source("big", json!({"debug": true}));
    let first = check(&req(src.clone(), Value::Null));
    let out = first.succeeds();
    assert_eq!(out.as_array().unwrap().len(), 2000);
    assert_eq!(
        versions(&out).last().unwrap(),
        &("2.99.9".to_string(), last.clone())
    );
    assert_eq!(first.requests("HEAD", "/manifests/"), 2000);
    let recheck = check(&req(src, json!({"tag": "2.99.9", "digest": last})));
    assert_eq!(tags_of(&recheck.succeeds()), ["2.99.9"]);
    assert_eq!(
        recheck.requests("HEAD", "/manifests/"),
        1,
        "{:?}",
        recheck.request_lines()
    );
    assert_eq!(recheck.requests("GET", "/tags/list"), 1);
}

/// A first semver check of a loopback registry HEADs many tags at once (more than the 8 a public
/// registry gets): the proxy holds every HEAD until 16 are in flight together. Then rate-limit
/// answers lower the concurrency, and the run says so.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn first_discovery_heads_widely_on_loopback_and_backs_off_when_rate_limited() {
    use crate::support::proxy::{self, Action};
    use std::sync::{Arc, Condvar, Mutex};
    let reg = TestRegistry::start(Mode::Plain);
    let seeder = Seeder::new(&reg);
    let tags: Vec<String> = (0..40).map(|i| format!("1.0.{i}")).collect();
    let groups: Vec<Vec<&str>> = tags.iter().map(|t| vec![t.as_str()]).collect();
    let groups: Vec<&[&str]> = groups.iter().map(Vec::as_slice).collect();
    seed_groups(&seeder, "app", &groups);
    // Arrivals of manifest HEADs, and whether 16 were ever in flight at once.
    let state: Arc<(Mutex<(usize, bool)>, Condvar)> = Arc::default();
    let limited = Arc::new(Mutex::new(0usize));
    let (s, l) = (state.clone(), limited.clone());
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "HEAD" && path.contains("/manifests/") {
            if path.contains("/limited/") {
                let mut n = l.lock().unwrap();
                *n += 1;
                if *n <= 3 {
                    return Action::Reply(Reply::new(429, "").header("Retry-After", "0"));
                }
                return Action::Forward(path.replace("/limited/", "/app/"));
            }
            let (lock, cv) = &*s;
            let mut st = lock.lock().unwrap();
            st.0 += 1;
            if st.0 >= 16 {
                st.1 = true;
            }
            cv.notify_all();
            let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
            while !st.1 && std::time::Instant::now() < deadline {
                st = cv
                    .wait_timeout(st, std::time::Duration::from_millis(50))
                    .unwrap()
                    .0;
            }
        }
        Action::Forward(path.replace("/limited/", "/app/"))
    });
    let run = check(&json!({"source": {"repository": format!("127.0.0.1:{port}/app")}}));
    assert_eq!(run.succeeds().as_array().unwrap().len(), 40);
    assert!(state.0.lock().unwrap().1, "16 HEADs were in flight at once");

    let run = check(&json!({"source": {"repository": format!("127.0.0.1:{port}/limited")}}));
    assert_eq!(run.succeeds().as_array().unwrap().len(), 40);
    assert!(
        run.stderr.contains("rate limited; ")
            && run.stderr.contains(" HEADs at a time from now on"),
        "{}",
        run.stderr
    );
}

/// Over TLS the registry offers HTTP/2 (ALPN) and discovery takes it: the HEADs of a semver
/// check travel as HTTP/2 requests (multiplexed on the connection), and the versions are the
/// same as over HTTP/1.1.
#[test]
#[cfg_attr(
    not(uptick_has_docker_registry),
    ignore = "needs docker-registry (apt-get install docker-registry)"
)]
fn discovery_over_tls_uses_http2_when_the_registry_offers_it() {
    let reg = TestRegistry::start(Mode::Tls);
    let seeder = Seeder::new(&reg);
    let d = seed_groups(
        &seeder,
        "app",
        &[&["1.0.0"], &["1.1.0"], &["1.2.0"], &["2.0.0"], &["2.1.0"]],
    );
    let before = reg.log().lines().count();
    let out = check(&req(reg.source("app", json!({})), Value::Null)).succeeds();
    assert_eq!(tags_of(&out), ["1.0.0", "1.1.0", "1.2.0", "2.0.0", "2.1.0"]);
    assert_eq!(versions(&out)[4].1, d["2.1.0"]);
    let log = reg.log();
    let heads: Vec<&str> = log
        .lines()
        .skip(before)
        .filter(|l| l.contains("\"HEAD /v2/app/manifests/"))
        .collect();
    assert_eq!(heads.len(), 5, "{log}");
    assert!(
        heads.iter().all(|l| l.contains(" HTTP/2.0\"")),
        "HEADs not over HTTP/2: {heads:?}"
    );
}
