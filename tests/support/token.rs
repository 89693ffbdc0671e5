//! A small token issuer: ES256 JWTs with an `x5c` chain the registry validates itself.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

pub const SERVICE: &str = "uptick-test-registry";
pub const ISSUER: &str = "uptick-test-issuer";

/// Signing material: the registry trusts `cert_pem` (its `rootcertbundle`).
pub struct Signer {
    key: EcdsaKeyPair,
    cert_der: Vec<u8>,
    pub cert_pem: String,
}

impl Signer {
    pub fn new() -> Signer {
        let key = rcgen::KeyPair::generate().expect("key");
        let mut params =
            rcgen::CertificateParams::new(vec!["token-issuer".to_string()]).expect("params");
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, "uptick test token issuer");
        let cert = params.self_signed(&key).expect("cert");
        let rng = ring::rand::SystemRandom::new();
        let ring_key =
            EcdsaKeyPair::from_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &key.serialize_der(), &rng)
                .expect("ring key");
        Signer {
            key: ring_key,
            cert_der: cert.der().to_vec(),
            cert_pem: cert.pem(),
        }
    }

    /// A token granting `actions` on `repository`.
    pub fn token(&self, subject: &str, access: &[(String, Vec<String>)]) -> String {
        let header = serde_json::json!({
            "typ": "JWT", "alg": "ES256", "x5c": [STANDARD.encode(&self.cert_der)]
        });
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .expect("time")
            .as_secs();
        let access: Vec<_> = access
            .iter()
            .map(|(name, actions)| {
                serde_json::json!({"type": "repository", "name": name, "actions": actions})
            })
            .collect();
        let claims = serde_json::json!({
            "iss": ISSUER, "sub": subject, "aud": SERVICE,
            "exp": now + 300, "nbf": now - 10, "iat": now,
            "jti": format!("{now}-{}", rand_suffix()), "access": access,
        });
        let signing_input = format!(
            "{}.{}",
            URL_SAFE_NO_PAD.encode(header.to_string()),
            URL_SAFE_NO_PAD.encode(claims.to_string())
        );
        let rng = ring::rand::SystemRandom::new();
        let sig = self.key.sign(&rng, signing_input.as_bytes()).expect("sign");
        format!("{signing_input}.{}", URL_SAFE_NO_PAD.encode(sig.as_ref()))
    }
}

fn rand_suffix() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0u8)
}

/// A token endpoint on loopback: basic auth `user`/`password` gets what it asks for; anonymous gets nothing.
pub struct TokenServer {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and closes the listener.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

impl TokenServer {
    pub fn start(signer: Arc<Signer>, user: &str, password: &str) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = stopped.clone();
        let expected = format!("Basic {}", STANDARD.encode(format!("{user}:{password}")));
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let mut request_line = String::new();
                if reader.read_line(&mut request_line).is_err() {
                    continue;
                }
                let mut authorization = None;
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 || line == "\r\n" {
                        break;
                    }
                    if let Some((k, v)) = line.split_once(':') {
                        if k.eq_ignore_ascii_case("authorization") {
                            authorization = Some(v.trim().to_string());
                        }
                    }
                }
                let target = request_line.split_whitespace().nth(1).unwrap_or("/");
                let url = url::Url::parse(&format!("http://x{target}")).expect("url");
                let scopes: Vec<String> = url
                    .query_pairs()
                    .filter(|(k, _)| k == "scope")
                    .map(|(_, v)| v.into_owned())
                    .collect();
                let (status, body) = match authorization.as_deref() {
                    Some(a) if a == expected => {
                        let access: Vec<(String, Vec<String>)> = scopes
                            .iter()
                            .filter_map(|s| {
                                let mut parts = s.splitn(3, ':');
                                let _type = parts.next()?;
                                let name = parts.next()?;
                                let actions = parts.next()?;
                                Some((
                                    name.to_string(),
                                    actions.split(',').map(str::to_string).collect(),
                                ))
                            })
                            .collect();
                        let token = signer.token("tester", &access);
                        ("200 OK", serde_json::json!({"token": token, "expires_in": 300}).to_string())
                    }
                    Some(_) => (
                        "401 Unauthorized",
                        r#"{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}"#.to_string(),
                    ),
                    None => {
                        let token = signer.token("anonymous", &[]);
                        ("200 OK", serde_json::json!({"token": token}).to_string())
                    }
                };
                let _ = write!(
                    stream,
                    "HTTP/1.1 {status}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                    body.len()
                );
            }
        });
        TokenServer {
            port,
            requests,
            stopped,
        }
    }
}
