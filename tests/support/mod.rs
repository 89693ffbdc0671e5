//! Test support: real `docker-registry` processes, a token issuer, image seeding, binary runner.

pub mod cosign;
pub mod fake;
pub mod forward;
pub mod http1;
pub mod layers;
pub mod layout;
pub mod oci11;
pub mod proxy;
pub mod registry;
pub mod seed;
pub mod servers;
pub mod tls_fake;
pub mod token;

use serde_json::Value;
use std::io::Write;
use std::process::{Command, Stdio};

/// What a binary printed and how it exited.
pub struct Run {
    pub code: i32,
    pub stdout: String,
    pub stderr: String,
}

impl Run {
    /// The stdout parsed as JSON (panics with both streams when it is not).
    pub fn json(&self) -> Value {
        serde_json::from_str(&self.stdout).unwrap_or_else(|e| {
            panic!(
                "stdout is not JSON ({e}); code {}\nstdout: {}\nstderr: {}",
                self.code, self.stdout, self.stderr
            )
        })
    }

    /// Asserts the success contract (exit 0) and returns stdout's JSON.
    pub fn succeeds(&self) -> Value {
        assert_eq!(
            self.code, 0,
            "expected success\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        self.json()
    }

    /// Asserts success with exactly `expected` on stdout (stderr shown when it differs).
    pub fn succeeds_with(&self, expected: Value) {
        assert_eq!(self.succeeds(), expected, "stderr: {}", self.stderr);
    }

    /// Asserts the failure contract: exit 1, nothing on stdout, one line on stderr, no panic.
    pub fn fails(&self) -> String {
        assert_eq!(
            self.code, 1,
            "expected exit 1\nstdout: {}\nstderr: {}",
            self.stdout, self.stderr
        );
        assert!(
            self.stdout.is_empty(),
            "stdout must be empty on failure: {}",
            self.stdout
        );
        assert!(!self.stderr.contains("panicked"), "panic: {}", self.stderr);
        let lines: Vec<&str> = self
            .stderr
            .lines()
            .filter(|l| l.starts_with("error:"))
            .collect();
        assert_eq!(lines.len(), 1, "one error line expected: {}", self.stderr);
        lines[0].to_string()
    }

    /// Debug request lines matching `method` whose URL contains `fragment`.
    pub fn requests(&self, method: &str, fragment: &str) -> usize {
        self.stderr
            .lines()
            .filter(|l| l.starts_with(&format!("debug: {method} ")) && l.contains(fragment))
            .filter(|l| self.request_lines().contains(l))
            .count()
    }

    /// Debug lines of HTTP requests that got an answer (a refused TLS handshake is no request).
    pub fn request_lines(&self) -> Vec<&str> {
        self.stderr
            .lines()
            .filter(|l| {
                l.starts_with("debug: ")
                    && l.split(" -> ")
                        .nth(1)
                        .is_some_and(|s| s.starts_with(|c: char| c.is_ascii_digit()))
            })
            .collect()
    }
}

/// Which binary to run.
#[derive(Clone, Copy)]
pub enum Bin {
    Check,
    In,
    Out,
}

thread_local! {
    /// Each test (one thread) gets its own temp dir, so uptick's discovery cache is per test.
    static TEST_TMP: tempfile::TempDir = tempfile::tempdir().expect("test tmp");
}

/// Runs a binary with `input` on stdin and an environment holding only `TMPDIR` (per test).
pub fn run(bin: Bin, input: &str, args: &[&str]) -> Run {
    let tmp = TEST_TMP.with(|t| t.path().to_path_buf());
    run_env(
        bin,
        input,
        args,
        &[("TMPDIR", tmp.to_str().expect("utf-8"))],
    )
}

static SECRETS: std::sync::Mutex<Vec<String>> = std::sync::Mutex::new(Vec::new());

/// Registers a secret a test uses: no binary's stderr may ever contain it (checked on every run).
pub fn secret(s: &str) -> String {
    SECRETS
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .push(s.to_string());
    s.to_string()
}

fn assert_no_secret(stderr: &str) {
    let mut known = SECRETS.lock().unwrap_or_else(|e| e.into_inner()).clone();
    known.push(registry::PASSWORD.to_string());
    for s in known.iter().filter(|s| s.len() >= 6) {
        assert!(
            !stderr.contains(s.as_str()),
            "a secret reached stderr: {stderr}"
        );
    }
}

/// Runs a binary with exactly the environment `env` (empty: as in a minimal container).
pub fn run_env(bin: Bin, input: &str, args: &[&str], env: &[(&str, &str)]) -> Run {
    let path = match bin {
        Bin::Check => env!("CARGO_BIN_EXE_check"),
        Bin::In => env!("CARGO_BIN_EXE_in"),
        Bin::Out => env!("CARGO_BIN_EXE_out"),
    };
    let mut child = Command::new(path)
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    // A binary may stop reading early (an oversized request): a broken pipe is its answer.
    let written = child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes());
    if let Err(e) = written {
        assert_eq!(e.kind(), std::io::ErrorKind::BrokenPipe, "write stdin: {e}");
    }
    let out = child.wait_with_output().expect("wait");
    assert_no_secret(&String::from_utf8_lossy(&out.stderr));
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Runs `check` with a request value.
pub fn check(request: &Value) -> Run {
    run(Bin::Check, &request.to_string(), &[])
}

/// Runs `in DEST` with a request value.
pub fn get(request: &Value, dest: &std::path::Path) -> Run {
    run(
        Bin::In,
        &request.to_string(),
        &[dest.to_str().expect("utf-8 path")],
    )
}

/// Runs `out SRC` with a request value.
pub fn put(request: &Value, sources: &std::path::Path) -> Run {
    run(
        Bin::Out,
        &request.to_string(),
        &[sources.to_str().expect("utf-8 path")],
    )
}

/// A loopback port nobody listens on right now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port()
}

/// This test's own `TMPDIR` (the one [`run`] gives every binary).
pub fn test_tmp() -> std::path::PathBuf {
    TEST_TMP.with(|t| t.path().to_path_buf())
}

/// The path of a binary.
pub fn bin_path(bin: Bin) -> &'static str {
    match bin {
        Bin::Check => env!("CARGO_BIN_EXE_check"),
        Bin::In => env!("CARGO_BIN_EXE_in"),
        Bin::Out => env!("CARGO_BIN_EXE_out"),
    }
}

/// A binary started with exactly the environment `env` and its stdin still open, so a test
/// can act on its pid before it reads its request ([`Started::finish`]) or kill it.
pub struct Started {
    pub child: std::process::Child,
}

pub fn start(bin: Bin, args: &[&str], env: &[(&str, &str)]) -> Started {
    let child = Command::new(bin_path(bin))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn binary");
    Started { child }
}

impl Started {
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends the request (without closing stdin).
    pub fn send(&mut self, input: &str) {
        let mut stdin = self.child.stdin.take().expect("stdin");
        stdin.write_all(input.as_bytes()).expect("write stdin");
        drop(stdin);
    }

    /// Sends the request if not sent yet and waits for the outcome.
    pub fn finish(mut self, input: &str) -> Run {
        if self.child.stdin.is_some() {
            self.send(input);
        }
        let out = self.child.wait_with_output().expect("wait");
        assert_no_secret(&String::from_utf8_lossy(&out.stderr));
        Run {
            code: out.status.code().unwrap_or(-1),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// `kill -9`, and the process reaped.
    pub fn kill9(mut self) {
        self.child.kill().expect("SIGKILL");
        let _ = self.child.wait();
    }
}

/// Fails the test loudly unless it runs as root (a tmpfs, a second uid, chroot): a test whose
/// precondition is missing must not pass by doing nothing.
pub fn require_root(why: &str) {
    let uid = std::fs::metadata("/proc/self").map(|m| {
        use std::os::unix::fs::MetadataExt;
        m.uid()
    });
    assert_eq!(
        uid.ok(),
        Some(0),
        "this test needs root ({why}); ci/test runs as root"
    );
}

/// The second user the shared-`$TMPDIR` tests act as (`nobody`).
pub const OTHER_UID: u32 = 65534;

/// Runs `program args` as [`OTHER_UID`] (another local user planting files); its status.
pub fn as_other_user(program: &str, args: &[&str]) -> std::process::ExitStatus {
    use std::os::unix::process::CommandExt;
    Command::new(program)
        .args(args)
        .uid(OTHER_UID)
        .gid(OTHER_UID)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .expect("run as the other user")
}

/// The `version` of each entry of a package `check` answer, in order.
pub fn versions(out: &Value) -> Vec<String> {
    out.as_array()
        .unwrap()
        .iter()
        .map(|v| v["version"].as_str().unwrap().to_string())
        .collect()
}

/// Every file `in` left in `dest`, name → contents (lossy UTF-8), for exact comparisons.
pub fn dest_files(dest: &std::path::Path) -> std::collections::BTreeMap<String, String> {
    std::fs::read_dir(dest)
        .expect("read dest")
        .map(|e| {
            let e = e.expect("dest entry");
            let text = String::from_utf8_lossy(&std::fs::read(e.path()).expect("read output"))
                .into_owned();
            (e.file_name().to_string_lossy().into_owned(), text)
        })
        .collect()
}

/// `dest_files`' expectation from literal pairs.
pub fn files_of(pairs: &[(&str, &str)]) -> std::collections::BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}
