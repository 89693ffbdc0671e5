//! The retry policy, through a fault-injecting proxy in front of the real registry.

use crate::support::check;
use crate::support::fake::Reply;
use crate::support::proxy::{self, Action};
use crate::support::registry::{Mode, TestRegistry};
use crate::support::seed::Seeder;
use serde_json::json;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;

#[test]
fn transient_failures_are_retried_and_permanent_ones_are_not() {
    let reg = TestRegistry::start(Mode::Plain);
    let v = Seeder::new(&reg).image("app", "latest", "one", &[], &[]);
    let heads = Arc::new(AtomicUsize::new(0));
    let seen = heads.clone();
    let port = proxy::start(reg.port, move |method, path, _| {
        if method == "HEAD" && path.ends_with("/manifests/latest") {
            match seen.fetch_add(1, Ordering::SeqCst) {
                0 => return Action::Reply(Reply::new(503, "")),
                1 => return Action::Reply(Reply::new(429, "").header("Retry-After", "1")),
                _ => {}
            }
        }
        if path.ends_with("/manifests/gone") {
            return Action::Reply(Reply::new(
                404,
                r#"{"errors":[{"code":"MANIFEST_UNKNOWN","message":"unknown"}]}"#,
            ));
        }
        if path.ends_with("/manifests/broken") {
            return Action::Reply(Reply::new(502, "bad gateway"));
        }
        Action::Forward(path.to_string())
    });
    let src = |tag: &str| json!({"source": {"repository": format!("127.0.0.1:{port}/app"), "tag": tag, "debug": true}});
    let run = check(&src("latest"));
    assert_eq!(run.ok(), json!([{"tag": "latest", "digest": v.digest}]));
    assert!(
        run.stderr.contains("(503 Service Unavailable); retry 1/4"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("(429 Too Many Requests); retry 2/4 in 1.0 s"),
        "{}",
        run.stderr
    );
    assert_eq!(heads.load(Ordering::SeqCst), 3);

    // 404 is an answer, not a fault: no retry, the tag is simply not there.
    let run = check(&src("gone"));
    assert_eq!(run.ok(), json!([]));
    assert!(!run.stderr.contains("retry"), "{}", run.stderr);

    // A fault that persists: four retries, then the registry's own answer.
    let run = check(&src("broken"));
    let line = run.fails();
    assert_eq!(run.stderr.matches("retry ").count(), 4, "{}", run.stderr);
    assert!(line.contains("HEAD") && line.contains("502"), "{line}");
}
