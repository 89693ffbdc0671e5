//! A tiny HTTP/1.1 server for what no real server here can do: tampered bodies and injected faults.

use std::io::{BufReader, Read, Write};
use std::net::TcpListener;
use std::sync::Arc;

/// A canned answer.
pub struct Reply {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Reply {
    pub fn new(status: u16, body: impl Into<Vec<u8>>) -> Reply {
        Reply {
            status,
            headers: Vec::new(),
            body: body.into(),
        }
    }

    pub fn header(mut self, k: &str, v: &str) -> Reply {
        self.headers.push((k.to_string(), v.to_string()));
        self
    }

    /// The status line and headers (`Content-Length` first), ending in the blank line.
    pub fn head(&self) -> String {
        let mut head = format!(
            "HTTP/1.1 {} X\r\nContent-Length: {}\r\n",
            self.status,
            self.body.len()
        );
        for (k, v) in &self.headers {
            head.push_str(&format!("{k}: {v}\r\n"));
        }
        head.push_str("\r\n");
        head
    }
}

/// What the fake saw.
pub struct Request {
    pub method: String,
    pub path: String,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Request {
    /// The request whose head was read as `head` and whose body is `body`.
    pub fn new(head: &super::http1::Head, body: Vec<u8>) -> Request {
        let headers = head
            .lines
            .iter()
            .filter_map(|h| h.split_once(':'))
            .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
            .collect();
        Request {
            method: head.method.clone(),
            path: head.target.clone(),
            headers,
            body,
        }
    }

    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

type Handler = dyn Fn(&Request) -> Reply + Send + Sync;
type RawHandler = dyn Fn(&Request) -> Vec<u8> + Send + Sync;

/// Serves `handler(method, path_and_query)` on a loopback port until the test process ends.
pub fn serve(handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> u16 {
    serve_on(0, handler)
}

/// Like [`serve`] on a given port (0: any), for replies that must name their own address.
pub fn serve_on(port: u16, handler: impl Fn(&str, &str) -> Reply + Send + Sync + 'static) -> u16 {
    serve_requests(port, move |r| handler(&r.method, &r.path))
}

/// Like [`serve_on`], with the request headers visible to the handler.
pub fn serve_requests(
    port: u16,
    handler: impl Fn(&Request) -> Reply + Send + Sync + 'static,
) -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", port)).expect("bind fake");
    let port = listener.local_addr().expect("addr").port();
    let handler: Arc<Handler> = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            // Head and body are written separately: without this, delayed ACKs cost 40 ms each.
            let _ = stream.set_nodelay(true);
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                loop {
                    let Ok(Some(head)) = super::http1::read_head(&mut reader) else {
                        return;
                    };
                    let mut body = vec![0u8; head.length];
                    let _ = reader.read_exact(&mut body);
                    let request = Request::new(&head, body);
                    let reply = handler(&request);
                    if writer.write_all(reply.head().as_bytes()).is_err() {
                        return;
                    }
                    if request.method != "HEAD" && writer.write_all(&reply.body).is_err() {
                        return;
                    }
                }
            });
        }
    });
    port
}

/// Serves raw bytes: `handler(request)` returns the whole answer (status line, headers, body,
/// exactly as a hostile server would write them); the connection closes after each answer.
pub fn serve_raw(handler: impl Fn(&Request) -> Vec<u8> + Send + Sync + 'static) -> u16 {
    let listener = TcpListener::bind(("127.0.0.1", 0)).expect("bind raw fake");
    let port = listener.local_addr().expect("addr").port();
    let handler: Arc<RawHandler> = Arc::new(handler);
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(stream) = stream else { continue };
            let handler = handler.clone();
            std::thread::spawn(move || {
                let mut writer = stream.try_clone().expect("clone");
                let mut reader = BufReader::new(stream);
                let Ok(Some(head)) = super::http1::read_head(&mut reader) else {
                    return;
                };
                let mut body = vec![0u8; head.length];
                let _ = reader.read_exact(&mut body);
                let answer = handler(&Request::new(&head, body));
                let _ = writer.write_all(&answer);
                let _ = writer.flush();
            });
        }
    });
    port
}
