//! The run's deadlines: the per-request budget (`source.request_timeout`) and the streaming
//! scope in which only a stall ends an answer.

use super::error::NetError;
use std::time::Duration;

/// All retries of one request end within this (well under Concourse's check timeout), and a
/// small document's body must arrive within it; `request_timeout` changes it for the run.
const DEFAULT_BUDGET: Duration = Duration::from_secs(60);
static BUDGET_SECS: std::sync::atomic::AtomicU64 =
    std::sync::atomic::AtomicU64::new(DEFAULT_BUDGET.as_secs());

/// Sets the run's per-request budget (`source.request_timeout`, 1–3600 s).
pub(crate) fn set_budget(seconds: Option<u64>) -> Result<(), NetError> {
    let secs = seconds.unwrap_or(DEFAULT_BUDGET.as_secs());
    if !(1..=3600).contains(&secs) {
        return Err(NetError::Settings(format!(
            "request_timeout must be between 1 and 3600 seconds, not {secs}"
        )));
    }
    BUDGET_SECS.store(secs, std::sync::atomic::Ordering::Relaxed);
    Ok(())
}

/// The run's per-request budget.
pub(super) fn budget() -> Duration {
    Duration::from_secs(BUDGET_SECS.load(std::sync::atomic::Ordering::Relaxed))
}

tokio::task_local! {
    /// Set while a request's answer is a stream (a blob, a download): only stalls end it.
    static STREAMING: bool;
}

/// Runs `fut` with its requests' answers allowed to take longer than the budget (blobs,
/// release files): a stall of `request_timeout` still ends them. Every other request — and
/// uploads, whose bodies are files — must be answered within the budget, headers included.
pub(crate) async fn streaming<F: std::future::Future>(fut: F) -> F::Output {
    STREAMING.scope(true, fut).await
}

/// Whether the running request is inside [`streaming`].
pub(super) fn is_streaming() -> bool {
    STREAMING.try_with(|s| *s).unwrap_or(false)
}
