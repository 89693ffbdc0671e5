//! The tools the tests need (build.rs probes them): under `ci/test` a missing one fails the run.

/// A plain `cargo test` ignores, with the reason, the tests whose tools are missing; with
/// `UPTICK_REQUIRE_TOOLS=1` (`ci/test`, so CI) any missing group is a failure, never a skip.
#[test]
fn every_tool_group_is_present_when_required() {
    let required = std::env::var("UPTICK_REQUIRE_TOOLS").is_ok_and(|v| v == "1");
    let missing = env!("UPTICK_MISSING_TOOLS");
    assert!(
        !required || missing.is_empty(),
        "UPTICK_REQUIRE_TOOLS=1, but the tests needing these are ignored: {missing}"
    );
}
