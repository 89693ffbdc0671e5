//! Real package servers on loopback: pypiserver (PyPI simple API) and Python's static file
//! server (for a crates.io sparse index).

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// A child process killed on drop.
pub struct Server {
    pub port: u16,
    child: Child,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn wait(port: u16, child: &mut Child, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(30);
    while Instant::now() < deadline {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            return;
        }
        if let Ok(Some(status)) = child.try_wait() {
            panic!("{what} exited: {status} (ci/test installs it)");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("{what} did not start");
}

/// `pypiserver` serving the distribution files in `dir`.
pub fn pypiserver(dir: &Path) -> Server {
    let port = super::free_port();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "pypiserver",
            "run",
            "-i",
            "127.0.0.1",
            "-p",
            &port.to_string(),
            "--disable-fallback",
            "-a",
            ".",
            "-P",
            ".",
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m pypiserver");
    wait(port, &mut child, "pypiserver");
    Server { port, child }
}

/// `moto` in server mode (STS, ECR and the rest of the AWS APIs), one per test process.
pub fn moto() -> u16 {
    static MOTO: std::sync::OnceLock<Server> = std::sync::OnceLock::new();
    MOTO.get_or_init(|| {
        let port = super::free_port();
        // Lives as long as the test process (a static is never dropped): a watchdog thread
        // ends moto when its parent is gone.
        let script = r#"
import os, sys, threading, time
parent = os.getppid()
def watch():
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)
threading.Thread(target=watch, daemon=True).start()
from moto.server import main
main(sys.argv[1:])
"#;
        let mut child = Command::new("python3")
            .args(["-c", script, "-H", "127.0.0.1", "-p", &port.to_string()])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("python3 -m moto.server");
        wait(port, &mut child, "moto server");
        Server { port, child }
    })
    .port
}

/// `python3 -m http.server` serving `dir`.
pub fn static_files(dir: &Path) -> Server {
    let port = super::free_port();
    let mut child = Command::new("python3")
        .args([
            "-m",
            "http.server",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(dir)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m http.server");
    wait(port, &mut child, "http.server");
    Server { port, child }
}

/// Real smart HTTP: `git http-backend` behind Python's CGI server, serving bare repositories
/// under `root` at `/cgi-bin/git/<repo>`.
pub fn git_http(root: &Path) -> Server {
    use std::os::unix::fs::PermissionsExt;
    let cgi = root.join("cgi-bin");
    std::fs::create_dir_all(&cgi).expect("cgi-bin");
    let script = cgi.join("git");
    std::fs::write(
        &script,
        format!(
            "#!/bin/sh\nexport GIT_PROJECT_ROOT='{}' GIT_HTTP_EXPORT_ALL=1 GIT_CONFIG_COUNT=1 GIT_CONFIG_KEY_0=safe.directory GIT_CONFIG_VALUE_0='*'\nexec git http-backend\n",
            root.display()
        ),
    )
    .expect("script");
    std::fs::set_permissions(&script, std::fs::Permissions::from_mode(0o755)).expect("chmod");
    // Python's CGI server drops to `nobody` when run as root: everything must be readable.
    let _ = Command::new("chmod")
        .args(["-R", "a+rX"])
        .arg(root)
        .status();
    let port = super::free_port();
    let mut child = Command::new("python3")
        .args([
            "-W",
            "ignore",
            "-m",
            "http.server",
            "--cgi",
            &port.to_string(),
            "--bind",
            "127.0.0.1",
            "--directory",
        ])
        .arg(root)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("python3 -m http.server --cgi");
    wait(port, &mut child, "git http server");
    Server { port, child }
}
