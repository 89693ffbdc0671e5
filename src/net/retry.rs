//! The retry policy: which failures are transient, backoff with jitter, `Retry-After` and
//! rate-limit resets, all within the run's budget ([`super::deadline`]); and the retry of a body
//! that broke off.

use super::classify::SendError;
use super::deadline::budget;
use super::error::{BrokeOff, NetError};
use super::redact::redact_url;
use super::response::Response;
use crate::log;
use std::time::{Duration, Instant};

/// Retries after the first try.
pub(super) const RETRIES: u32 = 4;
const RETRY_BASE: Duration = Duration::from_millis(200);
const RETRY_MAX_DELAY: Duration = Duration::from_secs(20);
static RATE_LIMITED: std::sync::atomic::AtomicU64 = std::sync::atomic::AtomicU64::new(0);

/// Rate-limit answers (429, or a 403 saying when to come back) seen so far in this run:
/// concurrent work lowers its concurrency as this grows.
pub(crate) fn rate_limited() -> u64 {
    RATE_LIMITED.load(std::sync::atomic::Ordering::Relaxed)
}

fn jitter() -> Duration {
    use std::hash::{BuildHasher, RandomState};
    Duration::from_millis(RandomState::new().hash_one(std::time::SystemTime::now()) % 200)
}

fn reason_of(status: u16) -> &'static str {
    match status {
        408 => "Request Timeout",
        429 => "Too Many Requests",
        500 => "Internal Server Error",
        502 => "Bad Gateway",
        503 => "Service Unavailable",
        504 => "Gateway Timeout",
        _ => "",
    }
}

/// Runs `once` until it succeeds, fails permanently, or the retries or the budget run out.
pub(super) async fn with_retries<F, Fut>(
    method: &str,
    url: &str,
    mut once: F,
) -> Result<Response, SendError>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<Response, SendError>>,
{
    let started = Instant::now();
    let mut attempt = 0u32;
    loop {
        let result = once().await;
        let wait = transient(&result, url);
        if matches!(&result, Ok(r) if r.status == 429)
            || matches!(&wait, Some((w, _)) if w == "403 rate limited")
        {
            RATE_LIMITED.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
        }
        let Some((why, hinted)) = wait else {
            return result;
        };
        let backoff = RETRY_BASE * 2u32.saturating_pow(attempt);
        // A server's own hint is obeyed, or (when it is beyond the budget) not waited for.
        let delay = match hinted {
            Some(h) if started.elapsed() + h > budget() => return result,
            Some(h) => h,
            None => (backoff + jitter()).min(RETRY_MAX_DELAY),
        };
        if attempt >= RETRIES || started.elapsed() + delay > budget() {
            return result;
        }
        attempt += 1;
        log::info(format_args!(
            "{method} {} failed ({why}); retry {attempt}/{RETRIES} in {:.1} s",
            redact_url(url),
            delay.as_secs_f64()
        ));
        drop(result);
        tokio::time::sleep(delay).await;
    }
}

/// Whether a try's outcome is worth another: why (as the retry's log line says it), and the wait
/// the server asked for; `None` for a success or a permanent failure.
fn transient(
    result: &Result<Response, SendError>,
    url: &str,
) -> Option<(String, Option<Duration>)> {
    match result {
        Ok(r) if matches!(r.status, 408 | 429 | 500 | 502 | 503 | 504) => Some((
            format!("{} {}", r.status, reason_of(r.status)),
            rate_hint(r),
        )),
        // A 403 is permanent, unless it is a rate limit saying when to come back.
        Ok(r)
            if r.status == 403
                && (r.header("Retry-After").is_some()
                    || r.header("X-RateLimit-Remaining").map(str::trim) == Some("0")) =>
        {
            rate_hint(r).map(|wait| ("403 rate limited".to_string(), Some(wait)))
        }
        Err(SendError::Other(e @ (NetError::Timeout { .. } | NetError::Read { .. }))) => {
            Some((e.to_string(), None))
        }
        Err(SendError::Other(NetError::Unreachable { detail, .. }))
            if ["reset", "broken pipe", "eof", "closed", "incomplete"]
                .iter()
                .any(|w| detail.to_ascii_lowercase().contains(w)) =>
        {
            Some((detail.clone(), None))
        }
        // A plain-HTTP server hanging up without an answer (a reset connection). Over
        // https the same symptom means "not a TLS server": that is the scheme probe's
        // business, not a retry's.
        Err(SendError::WrongProtocol(e)) if url.starts_with("http://") => {
            Some((e.to_string(), None))
        }
        _ => None,
    }
}

/// How long a rate-limited answer asks to wait: `Retry-After` (seconds or an HTTP date), else
/// `X-RateLimit-Reset` (Unix seconds, GitHub's form).
fn rate_hint(r: &Response) -> Option<Duration> {
    let now = chrono::Utc::now().timestamp();
    let until = |at: i64| Duration::from_secs(u64::try_from(at - now).unwrap_or(0));
    if let Some(v) = r.header("Retry-After").map(str::trim) {
        if let Ok(secs) = v.parse::<u64>() {
            return Some(Duration::from_secs(secs));
        }
        if let Some(at) = parse_http_date(v) {
            return Some(until(at));
        }
    }
    let reset = r.header("X-RateLimit-Reset")?.trim().parse::<i64>().ok()?;
    Some(until(reset).max(Duration::from_secs(1)))
}

/// An HTTP date (IMF-fixdate `Sun, 06 Nov 1994 08:49:37 GMT`, or the obsolete RFC 850 and
/// asctime forms) as Unix seconds.
pub(super) fn parse_http_date(v: &str) -> Option<i64> {
    if let Ok(t) = chrono::DateTime::parse_from_rfc2822(v) {
        return Some(t.timestamp());
    }
    ["%A, %d-%b-%y %H:%M:%S GMT", "%a %b %e %H:%M:%S %Y"]
        .iter()
        .find_map(|f| chrono::NaiveDateTime::parse_from_str(v, f).ok())
        .map(|t| t.and_utc().timestamp())
}

/// Runs `attempt` again, up to twice, when a body broke off mid-way (a truncated response);
/// status answers were already retried by [`with_retries`].
pub(crate) async fn retry_truncated<T, E, F, Fut>(mut attempt: F) -> Result<T, E>
where
    E: BrokeOff,
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Result<T, E>>,
{
    for i in 1..=TRUNCATED_RETRIES {
        match attempt().await {
            Err(e) if e.broke_off().is_some() => {
                tokio::time::sleep(truncated_pause(&e, i)).await;
            }
            done => return done,
        }
    }
    attempt().await
}

/// [`retry_truncated`] for synchronous callers.
pub(crate) fn retry_truncated_blocking<T, E: BrokeOff>(
    mut attempt: impl FnMut() -> Result<T, E>,
) -> Result<T, E> {
    for i in 1..=TRUNCATED_RETRIES {
        match attempt() {
            Err(e) if e.broke_off().is_some() => std::thread::sleep(truncated_pause(&e, i)),
            done => return done,
        }
    }
    attempt()
}

const TRUNCATED_RETRIES: u64 = 2;

/// Logs the retry of a broken-off body and says how long to pause first.
fn truncated_pause<E: BrokeOff>(e: &E, i: u64) -> Duration {
    if let Some((url, detail)) = e.broke_off() {
        log::info(format_args!(
            "reading {url} broke off ({detail}); retry {i}/{TRUNCATED_RETRIES}"
        ));
    }
    Duration::from_millis(200 * i)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn http_dates() {
        assert_eq!(
            parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
            Some(784_111_777)
        );
        assert_eq!(
            parse_http_date("Sun Nov  6 08:49:37 1994"),
            Some(784_111_777)
        );
        assert_eq!(parse_http_date("Thu, 01 Jan 1970 00:00:00 GMT"), Some(0));
        assert_eq!(parse_http_date("Sun, 06 Nov 1994 08:49:37"), None);
    }
}
