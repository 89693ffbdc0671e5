//! Human-readable logging to stderr; stdout belongs to the protocol writer alone.

use std::io::Write;
use std::sync::atomic::{AtomicBool, Ordering};

static DEBUG: AtomicBool = AtomicBool::new(false);

/// Turns debug lines (one per HTTP request) on or off for this process.
pub fn set_debug(on: bool) {
    DEBUG.store(on, Ordering::Relaxed);
}

/// Whether `source.debug` asked for per-request lines.
pub fn debug_enabled() -> bool {
    DEBUG.load(Ordering::Relaxed)
}

/// Writes one line to stderr. Newlines inside `msg` are folded so a line stays a line.
pub fn info(msg: impl std::fmt::Display) {
    let text = msg.to_string().replace(['\n', '\r'], " ");
    let mut err = std::io::stderr().lock();
    let _ = writeln!(err, "{text}");
}

/// Writes a warning line to stderr.
pub fn warn(msg: impl std::fmt::Display) {
    info(format_args!("warning: {msg}"));
}

/// Writes a debug line when debug mode is on; the message is built only then.
pub fn debug(msg: impl FnOnce() -> String) {
    if debug_enabled() {
        info(format_args!("debug: {}", msg()));
    }
}
