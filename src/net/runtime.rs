//! The process's async runtime: installing it, driving requests from synchronous code, blocking
//! work beside it, and bounded concurrency.

use std::sync::OnceLock;

static RUNTIME: OnceLock<tokio::runtime::Runtime> = OnceLock::new();

thread_local! {
    /// Set on the thread that installed the runtime (`main`): there, [`block_on`] runs the
    /// runtime itself, driving every request's I/O on that one thread.
    static DRIVER: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Makes `runtime` (a current-thread runtime) the one every blocking call below drives its
/// requests on. The calling thread becomes its driver: the command runs there, and threads
/// doing blocking work (extraction, hashing) wait for their requests while it drives.
pub(crate) fn install_runtime(runtime: tokio::runtime::Runtime) {
    // ring is the one crypto provider (every client is also handed a prepared config).
    let _ = rustls::crypto::ring::default_provider().install_default();
    if RUNTIME.set(runtime).is_ok() {
        DRIVER.with(|d| d.set(true));
    }
}

pub(super) fn handle() -> Option<&'static tokio::runtime::Handle> {
    RUNTIME.get().map(tokio::runtime::Runtime::handle)
}

/// Runs `fut` to completion from synchronous code. On the driver thread it runs the installed
/// runtime; on another thread (one running [`blocking`] work) it waits while the driver, inside
/// its own `block_on`, drives the I/O. Without an installed runtime (unit tests) a runtime is
/// made for the call.
pub(crate) fn block_on<F: std::future::Future>(fut: F) -> F::Output {
    if let Some(runtime) = RUNTIME.get() {
        if DRIVER.with(std::cell::Cell::get) {
            return runtime.block_on(fut);
        }
        return runtime.handle().block_on(fut);
    }
    match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt.block_on(fut),
        // Building a bare current-thread runtime fails only when the OS refuses an epoll fd.
        Err(e) => panic!("cannot start the async runtime: {e}"),
    }
}

/// Runs blocking work (file I/O, extraction, a synchronous reader over a body) on a thread of
/// the runtime's blocking pool while this task waits: the driver keeps driving the requests
/// that work may read from (`Response::into_reader` waits for them there).
pub(crate) async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    match tokio::task::spawn_blocking(f).await {
        Ok(v) => v,
        Err(e) => match e.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            // Only a runtime shutting down cancels a blocking task; ours lives until exit.
            Err(e) => panic!("blocking work was cancelled: {e}"),
        },
    }
}

/// Runs `f` over `items`, at most `limit` at a time, concurrently on the runtime; results in
/// input order; the first failure (in input order) is returned and nothing new starts after it.
pub(crate) async fn concurrently<'a, T, R, E, F, Fut>(
    items: &'a [T],
    limit: usize,
    f: F,
) -> Result<Vec<R>, E>
where
    F: FnMut(&'a T) -> Fut,
    Fut: std::future::Future<Output = Result<R, E>>,
{
    use futures_util::stream::{FuturesOrdered, StreamExt};
    let mut f = f;
    let mut pending = items.iter();
    let mut running = FuturesOrdered::new();
    for item in pending.by_ref().take(limit.max(1)) {
        running.push_back(f(item));
    }
    let mut out = Vec::with_capacity(items.len());
    while let Some(result) = running.next().await {
        out.push(result?);
        if let Some(item) = pending.next() {
            running.push_back(f(item));
        }
    }
    Ok(out)
}
