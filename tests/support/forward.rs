//! A forward HTTP proxy on loopback (CONNECT tunnels and absolute-form requests) that records the
//! targets it carried and can demand `Proxy-Authorization`. Names under `uptick.test` resolve to
//! 127.0.0.1 here, so clients reach loopback servers by a name they would not bypass it for.

use std::io::{BufReader, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::sync::{Arc, Mutex};

/// `host:port` to connect to: a route for that name, `*.uptick.test` on loopback, else as named.
fn resolve(target: &str, routes: &[(String, u16)]) -> String {
    if let Some((_, port)) = routes.iter().find(|(name, _)| name == target) {
        return format!("127.0.0.1:{port}");
    }
    match target.rsplit_once(':') {
        Some((host, port)) if host.ends_with(".uptick.test") => format!("127.0.0.1:{port}"),
        _ => target.to_string(),
    }
}

pub struct ForwardProxy {
    pub port: u16,
    /// `CONNECT host:port` or `METHOD http://host:port/path`, in arrival order.
    pub seen: Arc<Mutex<Vec<String>>>,
}

impl ForwardProxy {
    pub fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }
}

/// Starts the proxy; with `auth`, requests without that `Proxy-Authorization` get a 407.
pub fn start(auth: Option<String>) -> ForwardProxy {
    start_routed(auth, Vec::new())
}

/// Like [`start`], sending `host:port` targets named in `routes` to a loopback port instead.
pub fn start_routed(auth: Option<String>, routes: Vec<(String, u16)>) -> ForwardProxy {
    let routes = Arc::new(routes);
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind forward proxy");
    let port = listener.local_addr().expect("addr").port();
    let seen = Arc::new(Mutex::new(Vec::new()));
    let log = seen.clone();
    std::thread::spawn(move || {
        for client in listener.incoming() {
            let Ok(client) = client else { continue };
            let (log, auth, routes) = (log.clone(), auth.clone(), routes.clone());
            std::thread::spawn(move || {
                let _ = serve(client, &log, auth.as_deref(), &routes);
            });
        }
    });
    ForwardProxy { port, seen }
}

fn serve(
    client: TcpStream,
    log: &Mutex<Vec<String>>,
    auth: Option<&str>,
    routes: &[(String, u16)],
) -> std::io::Result<()> {
    let mut writer = client.try_clone()?;
    let mut reader = BufReader::new(client);
    let Some(head) = super::http1::read_head(&mut reader)? else {
        return Ok(());
    };
    let (method, target, length) = (head.method.clone(), head.target.clone(), head.length);
    let proxy_auth = head.header("proxy-authorization");
    let headers = head.lines_without(&["proxy-authorization", "connection", "proxy-connection"]);
    // The scheme name is case-insensitive (RFC 7235): a client may send `basic`.
    let same = |a: &str, b: &str| match (a.split_once(' '), b.split_once(' ')) {
        (Some((sa, ca)), Some((sb, cb))) => sa.eq_ignore_ascii_case(sb) && ca == cb,
        _ => false,
    };
    if let Some(wanted) = auth.filter(|w| !proxy_auth.as_deref().is_some_and(|got| same(got, w))) {
        log.lock()
            .unwrap()
            .push(format!("407 {method} {target} {proxy_auth:?} {wanted}"));
        writer.write_all(
            b"HTTP/1.1 407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"proxy\"\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
        )?;
        return Ok(());
    }
    if method == "CONNECT" {
        log.lock().unwrap().push(format!("CONNECT {target}"));
        let mut upstream = TcpStream::connect(resolve(&target, routes))?;
        writer.write_all(b"HTTP/1.1 200 Connection established\r\n\r\n")?;
        // Bytes the client sent after the request head go first.
        upstream.write_all(reader.buffer())?;
        let mut up_read = upstream.try_clone()?;
        let mut client_read = reader.into_inner();
        let to_upstream = std::thread::spawn(move || {
            let _ = std::io::copy(&mut client_read, &mut upstream);
            let _ = upstream.shutdown(std::net::Shutdown::Write);
        });
        let _ = std::io::copy(&mut up_read, &mut writer);
        let _ = writer.shutdown(std::net::Shutdown::Both);
        let _ = to_upstream.join();
        return Ok(());
    }
    log.lock().unwrap().push(format!("{method} {target}"));
    let url = url::Url::parse(&target).map_err(std::io::Error::other)?;
    let host = format!(
        "{}:{}",
        url.host_str().unwrap_or(""),
        url.port_or_known_default().unwrap_or(80)
    );
    let mut body = vec![0u8; length];
    reader.read_exact(&mut body)?;
    let mut upstream = TcpStream::connect(resolve(&host, routes))?;
    let path = match url.query() {
        Some(q) => format!("{}?{q}", url.path()),
        None => url.path().to_string(),
    };
    let mut head = format!("{method} {path} HTTP/1.1\r\n");
    for h in &headers {
        head.push_str(h);
    }
    head.push_str("Connection: close\r\n\r\n");
    upstream.write_all(head.as_bytes())?;
    upstream.write_all(&body)?;
    std::io::copy(&mut upstream, &mut writer)?;
    Ok(())
}
