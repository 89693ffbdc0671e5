"""cosign's encrypted private key (`cosign generate-key-pair`), written independently of uptick
for its tests: scrypt from Python's hashlib (OpenSSL), XSalsa20 and Poly1305 from their papers,
the JSON as go-securesystemslib's `encrypted` package has it. Reads {"pem", "password"} on stdin
(`pem`: a PKCS#8 `PRIVATE KEY`); first opens VECTOR, a key cosign itself encrypted (with an empty
password; from conforma/cli's tests, Apache-2.0), to show this implementation agrees with
cosign's, then prints `pem`'s key encrypted with `password` as an ENCRYPTED SIGSTORE PRIVATE KEY.
"""
import base64, hashlib, json, os, struct, sys

VECTOR = """
-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----
eyJrZGYiOnsibmFtZSI6InNjcnlwdCIsInBhcmFtcyI6eyJOIjo2NTUzNiwiciI6
OCwicCI6MX0sInNhbHQiOiJLYU9OQzduQVJLOVgxM1FoaWFucjAwTTBGYys2Sitr
dnAxN1FuanpiVk9nPSJ9LCJjaXBoZXIiOnsibmFtZSI6Im5hY2wvc2VjcmV0Ym94
Iiwibm9uY2UiOiJVOHZqWWtqMlZOUFZGdlZFZWZ3bXZ5VGloUERrelBoaCJ9LCJj
aXBoZXJ0ZXh0IjoidWNWMnQ4TTZVNFJvb29FOXc0d3dkc3E1RDYrS2RKY245dERT
KzFwRDRGN040SVJOWEgzSTBua3h1a3NackFOUHR1emIvTkVYQ201dUp3Zjh3Qzl1
VlprbXdwNU5jRUZ6b3ZNS3JCZmNvdXdjaEkrMzkrQ0NhbVZPbzBucmRnZjhvcmpK
dXdrWDBYL1phY0RUTERGaUxyc1laMWVMMmlqMGU1MVRpZmVQNTl4WXNPK1FnM1Jv
OURRVjNQMk9ndDFDaVFHeGg1VXhUZytGc3c9PSJ9
-----END ENCRYPTED SIGSTORE PRIVATE KEY-----
"""

M = 0xFFFFFFFF

def rotl(v, c):
    return ((v << c) & M) | (v >> (32 - c))

def double_rounds(x):
    def qr(a, b, c, d):
        x[b] ^= rotl((x[a] + x[d]) & M, 7)
        x[c] ^= rotl((x[b] + x[a]) & M, 9)
        x[d] ^= rotl((x[c] + x[b]) & M, 13)
        x[a] ^= rotl((x[d] + x[c]) & M, 18)
    for _ in range(10):
        qr(0, 4, 8, 12); qr(5, 9, 13, 1); qr(10, 14, 2, 6); qr(15, 3, 7, 11)
        qr(0, 1, 2, 3); qr(5, 6, 7, 4); qr(10, 11, 8, 9); qr(15, 12, 13, 14)

def state(key, sixteen):
    k = struct.unpack("<8I", key)
    s = struct.unpack("<4I", b"expand 32-byte k")
    n = struct.unpack("<4I", sixteen)
    return [s[0], k[0], k[1], k[2], k[3], s[1], n[0], n[1], n[2], n[3], s[2], k[4], k[5], k[6], k[7], s[3]]

def hsalsa20(key, nonce16):
    x = state(key, nonce16)
    double_rounds(x)
    return struct.pack("<8I", *[x[i] for i in (0, 5, 10, 15, 6, 7, 8, 9)])

def salsa20_stream(key, nonce8, length):
    out, counter = b"", 0
    while len(out) < length:
        x0 = state(key, nonce8 + struct.pack("<Q", counter))
        x = list(x0)
        double_rounds(x)
        out += struct.pack("<16I", *[(a + b) & M for a, b in zip(x, x0)])
        counter += 1
    return out[:length]

def poly1305(key, msg):
    r = int.from_bytes(key[:16], "little") & 0x0FFFFFFC0FFFFFFC0FFFFFFC0FFFFFFF
    s = int.from_bytes(key[16:], "little")
    p, acc = (1 << 130) - 5, 0
    for i in range(0, len(msg), 16):
        acc = (acc + int.from_bytes(msg[i:i + 16] + b"\x01", "little")) * r % p
    return ((acc + s) % (1 << 128)).to_bytes(16, "little")

def box_stream(key, nonce, length):
    return salsa20_stream(hsalsa20(key, nonce[:16]), nonce[16:], 32 + length)

def seal(msg, nonce, key):
    stream = box_stream(key, nonce, len(msg))
    ct = bytes(a ^ b for a, b in zip(msg, stream[32:]))
    return poly1305(stream[:32], ct) + ct

def open_box(box, nonce, key):
    tag, ct = box[:16], box[16:]
    stream = box_stream(key, nonce, len(ct))
    assert poly1305(stream[:32], ct) == tag, "secretbox: the tag does not match"
    return bytes(a ^ b for a, b in zip(ct, stream[32:]))

def kdf(password, salt, n, r, p):
    return hashlib.scrypt(password, salt=salt, n=n, r=r, p=p, maxmem=256 * 1024 * 1024, dklen=32)

def pem_body(text):
    lines = [l for l in text.strip().splitlines() if not l.startswith("-----")]
    return base64.b64decode("".join(lines))

req = json.load(sys.stdin)
b64 = base64.b64decode
vec = json.loads(pem_body(VECTOR))
vkdf = vec["kdf"]
vkey = kdf(b"", b64(vkdf["salt"]), vkdf["params"]["N"], vkdf["params"]["r"], vkdf["params"]["p"])
plain = open_box(b64(vec["ciphertext"]), b64(vec["cipher"]["nonce"]), vkey)
assert plain[:1] == b"\x30", "the vector's plaintext is not DER"

salt, nonce = os.urandom(32), os.urandom(24)
n, r, p = 32768, 8, 1
key = kdf(req["password"].encode(), salt, n, r, p)
doc = {
    "kdf": {"name": "scrypt", "params": {"N": n, "r": r, "p": p}, "salt": base64.b64encode(salt).decode()},
    "cipher": {"name": "nacl/secretbox", "nonce": base64.b64encode(nonce).decode()},
    "ciphertext": base64.b64encode(seal(pem_body(req["pem"]), nonce, key)).decode(),
}
body = base64.b64encode(json.dumps(doc).encode()).decode()
lines = [body[i:i + 64] for i in range(0, len(body), 64)]
print("-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----")
print("\n".join(lines))
print("-----END ENCRYPTED SIGSTORE PRIVATE KEY-----")
