#!/usr/bin/env python3
"""Seeds a plain-HTTP loopback registry quickly over the distribution API (stdlib only).

    ci/seed.py series HOST:PORT REPO COUNT   # COUNT distinct manifests tagged 1.0.0 … (semver)
    ci/seed.py resource-layout DIR BINDIR   # the resource image's single layer as an OCI layout
    ci/seed.py image HOST:PORT REPO TAG MIB LAYERS
        # one image of LAYERS gzip layers holding MIB MiB of files in all (half random, half text)
Prints the last tag (or the tag) and its digest.
"""
import io
import os
import random
import tarfile
import zlib
import hashlib
import json
import sys
import urllib.request
from urllib.parse import urljoin


def request(method, url, data=None, headers=None):
    req = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    with urllib.request.urlopen(req) as resp:
        return resp.status, resp.headers, resp.read()


def push_blob(base, repo, data):
    digest = "sha256:" + hashlib.sha256(data).hexdigest()
    _, headers, _ = request("POST", f"{base}/v2/{repo}/blobs/uploads/")
    location = urljoin(base, headers["Location"])
    sep = "&" if "?" in location else "?"
    request("PUT", f"{location}{sep}digest={digest}", data, {"Content-Type": "application/octet-stream"})
    return digest, len(data)


def series(host, repo, count):
    base = f"http://{host}"
    layer = push_blob(base, repo, b"uptick bench layer")
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {},
                         "rootfs": {"type": "layers", "diff_ids": [layer[0]]}}).encode()
    config = push_blob(base, repo, config)
    last = None
    for i in range(count):
        tag = f"{1 + i // 1000}.{(i // 10) % 100}.{i % 10}"
        manifest = json.dumps({
            "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
            "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar", "digest": layer[0], "size": layer[1]}],
            "annotations": {"n": str(i)},
        }).encode()
        request("PUT", f"{base}/v2/{repo}/manifests/{tag}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
        last = (tag, "sha256:" + hashlib.sha256(manifest).hexdigest())
    print(last[0], last[1])


def gzip_bytes(raw):
    comp = zlib.compressobj(1, zlib.DEFLATED, 31)
    return comp.compress(raw) + comp.flush()


def text_block(rng, size):
    words = [b"alpha", b"beta", b"registry", b"layer", b"uptick", b"concourse", b"image", b"digest",
             b"manifest", b"version", b"\n", b"    ", b"0x%04x" % rng.randrange(65536)]
    out = bytearray()
    while len(out) < size:
        out += rng.choice(words) + b" "
    return bytes(out[:size])


def image(host, repo, tag, mib, layers):
    base = f"http://{host}"
    rng = random.Random(7)
    per_layer = mib * 1024 * 1024 // layers
    file_size = 256 * 1024
    descriptors, diff_ids = [], []
    for n in range(layers):
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w", format=tarfile.GNU_FORMAT) as tf:
            d = tarfile.TarInfo(f"layer{n}")
            d.type = tarfile.DIRTYPE
            d.mode = 0o755
            tf.addfile(d)
            for i in range(per_layer // file_size):
                data = os.urandom(file_size) if i % 2 else text_block(rng, file_size)
                info = tarfile.TarInfo(f"layer{n}/d{i % 16}/file{i}")
                info.size = len(data)
                info.mode = 0o644
                info.mtime = 1700000000
                tf.addfile(info, io.BytesIO(data))
        raw = buf.getvalue()
        gz = gzip_bytes(raw)
        descriptors.append({"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip",
                            "digest": push_blob(base, repo, gz)[0], "size": len(gz)})
        diff_ids.append("sha256:" + hashlib.sha256(raw).hexdigest())
    config = json.dumps({"architecture": "amd64", "os": "linux", "config": {"Env": ["PATH=/usr/bin"]},
                         "rootfs": {"type": "layers", "diff_ids": diff_ids}}).encode()
    cfg = push_blob(base, repo, config)
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg[0], "size": cfg[1]},
        "layers": descriptors,
    }).encode()
    request("PUT", f"{base}/v2/{repo}/manifests/{tag}", manifest,
            {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    print(tag, "sha256:" + hashlib.sha256(manifest).hexdigest(), sum(d["size"] for d in descriptors))


def resource_layout(out, bindir):
    """/opt/resource/{check,in,out} and the CA bundle, one gzip layer, as an OCI layout."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in ["opt", "opt/resource", "etc", "etc/ssl", "etc/ssl/certs", "tmp"]:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tf.addfile(info)
        # One multi-call binary; check, in and out are hard links to it.
        data = open(os.path.join(bindir, "uptick"), "rb").read()
        info = tarfile.TarInfo("opt/resource/uptick")
        info.size, info.mode = len(data), 0o755
        tf.addfile(info, io.BytesIO(data))
        for name in ["check", "in", "out"]:
            link = tarfile.TarInfo(f"opt/resource/{name}")
            link.type, link.linkname, link.mode = tarfile.LNKTYPE, "opt/resource/uptick", 0o755
            tf.addfile(link)
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        data = open(bundle, "rb").read() if os.path.exists(bundle) else b""
        info = tarfile.TarInfo("etc/ssl/certs/ca-certificates.crt")
        info.size, info.mode = len(data), 0o644
        tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    gz = gzip_bytes(raw)
    os.makedirs(os.path.join(out, "blobs", "sha256"), exist_ok=True)

    def put(data):
        digest = hashlib.sha256(data).hexdigest()
        with open(os.path.join(out, "blobs", "sha256", digest), "wb") as f:
            f.write(data)
        return "sha256:" + digest, len(data)

    layer = put(gz)
    config = put(json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Env": ["PATH=/opt/resource"]},
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
    manifest = put(json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer[0], "size": layer[1]}],
    }).encode())
    with open(os.path.join(out, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(out, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                  "digest": manifest[0], "size": manifest[1]}]}, f)
    print(manifest[0], layer[1])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "resource-layout":
        resource_layout(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) == 5 and sys.argv[1] == "series":
        series(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 7 and sys.argv[1] == "image":
        image(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)
