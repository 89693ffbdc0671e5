//! A forwarding HTTP proxy in front of a real registry that can answer or rewrite chosen
//! requests (faults no real server produces on cue: 413 for big uploads, refused mounts, a 500).

use super::fake::Reply;
use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::Arc;

/// What to do with a request.
pub enum Action {
    /// Forward it, to this path (and query).
    Forward(String),
    /// Answer it here.
    Reply(Reply),
    /// Close the connection without an answer (a reset).
    Drop,
    /// Forward, then pass on only the first part of the response (headers intact): a
    /// truncated body.
    Truncate(String),
}

/// A request as the proxy saw it.
pub struct Seen<'a> {
    pub method: &'a str,
    pub path: &'a str,
    /// Raw header lines (`Name: value\r\n`).
    pub headers: &'a [String],
    pub body: &'a [u8],
}

impl Seen<'_> {
    pub fn header(&self, name: &str) -> Option<String> {
        super::http1::header_in(self.headers, name)
    }
}

type Hook = dyn Fn(&Seen<'_>) -> Action + Send + Sync;

/// Listens on loopback; `hook(method, path, content_length)` decides per request.
pub fn start(
    upstream: u16,
    hook: impl Fn(&str, &str, u64) -> Action + Send + Sync + 'static,
) -> u16 {
    start_seeing(upstream, move |r| {
        hook(r.method, r.path, r.body.len() as u64)
    })
}

/// Like [`start`], with the whole request (headers, body) visible to the hook.
pub fn start_seeing(
    upstream: u16,
    hook: impl for<'a> Fn(&Seen<'a>) -> Action + Send + Sync + 'static,
) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind proxy");
    let port = listener.local_addr().expect("addr").port();
    let hook: Arc<Hook> = Arc::new(hook);
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let hook = hook.clone();
            std::thread::spawn(move || {
                let _ = serve(client, upstream, &*hook);
            });
        }
    });
    port
}

fn serve(client: TcpStream, upstream: u16, hook: &Hook) -> std::io::Result<()> {
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    let Some(head) = super::http1::read_head(&mut reader)? else {
        return Ok(());
    };
    let (method, path, length) = (head.method.clone(), head.target.clone(), head.length);
    let headers = head.lines_without(&["connection"]);
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    match hook(&Seen {
        method: &method,
        path: &path,
        headers: &headers,
        body: &body,
    }) {
        Action::Drop => {
            let _ = writer.shutdown(std::net::Shutdown::Both);
        }
        Action::Reply(r) => {
            let mut head = format!(
                "HTTP/1.1 {} X\r\nContent-Length: {}\r\nConnection: close\r\n",
                r.status,
                r.body.len()
            );
            for (k, v) in &r.headers {
                head.push_str(&format!("{k}: {v}\r\n"));
            }
            head.push_str("\r\n");
            writer.write_all(head.as_bytes())?;
            writer.write_all(&r.body)?;
        }
        Action::Truncate(target) => {
            let mut up = send_upstream(upstream, &method, &target, &headers, &body)?;
            let mut all = Vec::new();
            up.read_to_end(&mut all)?;
            let head_end = all
                .windows(4)
                .position(|w| w == b"\r\n\r\n")
                .map_or(all.len(), |p| p + 4);
            let keep = head_end + (all.len() - head_end) / 2;
            writer.write_all(&all[..keep])?;
            let _ = writer.shutdown(std::net::Shutdown::Both);
        }
        Action::Forward(target) => {
            let mut up = send_upstream(upstream, &method, &target, &headers, &body)?;
            std::io::copy(&mut up, &mut writer)?;
        }
    }
    Ok(())
}

/// Sends the request on to the registry (`Connection: close`, so its answer ends at EOF).
fn send_upstream(
    upstream: u16,
    method: &str,
    target: &str,
    headers: &[String],
    body: &[u8],
) -> std::io::Result<TcpStream> {
    let mut up = TcpStream::connect(("127.0.0.1", upstream))?;
    let mut req = format!("{method} {target} HTTP/1.1\r\n");
    for h in headers {
        req.push_str(h);
    }
    req.push_str("Connection: close\r\n\r\n");
    up.write_all(req.as_bytes())?;
    up.write_all(body)?;
    Ok(up)
}
