//! A small token issuer: ES256 JWTs with an `x5c` chain the registry validates itself.

use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use base64::Engine as _;
use ring::signature::{EcdsaKeyPair, ECDSA_P256_SHA256_FIXED_SIGNING};
use std::io::{BufReader, Write};
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

/// Who may have tokens, and how the answer is shaped (each cloud's documented form).
#[derive(Clone, Debug)]
pub struct Accounts {
    /// Basic-auth pairs the `GET` token endpoint accepts.
    pub basic: Vec<(String, String)>,
    /// Refresh tokens (docker identity tokens) the OAuth2 `POST` accepts.
    pub refresh_tokens: Vec<String>,
    /// Fields of a `GET` answer carrying the token: `token` (distribution, GHCR, GCR),
    /// `access_token` (ACR) or both (Docker Hub).
    pub token_fields: &'static [&'static str],
}

impl Accounts {
    pub fn user(user: &str, password: &str) -> Accounts {
        Accounts {
            basic: vec![(user.to_string(), password.to_string())],
            refresh_tokens: Vec::new(),
            token_fields: &["token"],
        }
    }
}

/// A token endpoint on loopback: `GET` with accepted basic auth, or an OAuth2 refresh-token
/// `POST`, gets what it asks for; anonymous gets nothing.
pub struct TokenServer {
    pub port: u16,
    pub requests: Arc<AtomicUsize>,
    /// OAuth2 `POST`s answered with a token.
    pub posts: Arc<AtomicUsize>,
    stopped: Arc<std::sync::atomic::AtomicBool>,
}

impl Drop for TokenServer {
    fn drop(&mut self) {
        self.stopped.store(true, Ordering::SeqCst);
        // Wake the accept loop so it sees the flag and closes the listener.
        let _ = std::net::TcpStream::connect(("127.0.0.1", self.port));
    }
}

fn access_from(scopes: &[String]) -> Vec<(String, Vec<String>)> {
    scopes
        .iter()
        .flat_map(|s| s.split(' '))
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
        .collect()
}

impl TokenServer {
    pub fn start(signer: Arc<Signer>, accounts: Accounts) -> TokenServer {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind token server");
        let port = listener.local_addr().expect("addr").port();
        let requests = Arc::new(AtomicUsize::new(0));
        let counter = requests.clone();
        let posts = Arc::new(AtomicUsize::new(0));
        let post_counter = posts.clone();
        let stopped = Arc::new(std::sync::atomic::AtomicBool::new(false));
        let stop = stopped.clone();
        let expected: Vec<String> = accounts
            .basic
            .iter()
            .map(|(u, p)| format!("Basic {}", STANDARD.encode(format!("{u}:{p}"))))
            .collect();
        std::thread::spawn(move || {
            for stream in listener.incoming() {
                if stop.load(Ordering::SeqCst) {
                    return;
                }
                let Ok(mut stream) = stream else { continue };
                counter.fetch_add(1, Ordering::SeqCst);
                let mut reader = BufReader::new(stream.try_clone().expect("clone"));
                let Ok(Some(head)) = super::http1::read_head(&mut reader) else {
                    continue;
                };
                let authorization = head.header("authorization");
                let mut body = vec![0u8; head.length.min(1 << 20)];
                if std::io::Read::read_exact(&mut reader, &mut body).is_err() {
                    continue;
                }
                let (method, target) = (head.method.as_str(), head.target.as_str());
                let url = url::Url::parse(&format!("http://x{target}")).expect("url");
                let denied = (
                    "401 Unauthorized",
                    r#"{"errors":[{"code":"UNAUTHORIZED","message":"invalid username or password"}]}"#.to_string(),
                );
                let (status, body) = if method == "POST" {
                    let form: std::collections::HashMap<String, String> =
                        url::form_urlencoded::parse(&body).into_owned().collect();
                    let granted = form.get("grant_type").map(String::as_str)
                        == Some("refresh_token")
                        && form
                            .get("refresh_token")
                            .is_some_and(|t| accounts.refresh_tokens.contains(t));
                    if granted && authorization.is_none() {
                        post_counter.fetch_add(1, Ordering::SeqCst);
                        let scopes: Vec<String> = form.get("scope").cloned().into_iter().collect();
                        let token = signer.token("refresh", &access_from(&scopes));
                        (
                            "200 OK",
                            serde_json::json!({"access_token": token, "expires_in": 300, "refresh_token": "unused"}).to_string(),
                        )
                    } else {
                        denied
                    }
                } else {
                    let scopes: Vec<String> = url
                        .query_pairs()
                        .filter(|(k, _)| k == "scope")
                        .map(|(_, v)| v.into_owned())
                        .collect();
                    match authorization.as_deref() {
                        Some(a) if expected.iter().any(|e| e == a) => {
                            let token = signer.token("tester", &access_from(&scopes));
                            let mut answer = serde_json::json!({"expires_in": 300});
                            for field in accounts.token_fields {
                                answer[*field] = serde_json::json!(token);
                            }
                            ("200 OK", answer.to_string())
                        }
                        Some(_) => denied,
                        None => {
                            let token = signer.token("anonymous", &[]);
                            ("200 OK", serde_json::json!({"token": token}).to_string())
                        }
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
            posts,
            stopped,
        }
    }
}
