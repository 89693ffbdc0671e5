#!/usr/bin/env python3
"""Seeds a plain-HTTP loopback registry quickly over the distribution API (stdlib only).

    ci/seed.py series HOST:PORT REPO COUNT   # COUNT distinct manifests tagged 1.0.0 … (semver)
    ci/seed.py resource-layout DIR BINDIR   # the resource image's single layer as an OCI layout
    ci/seed.py image HOST:PORT REPO TAG MIB LAYERS
        # one image of LAYERS gzip layers holding MIB MiB of files in all (half random, half text)
    ci/seed.py base HOST:PORT REPO VERSION TAG...  # a tiny "OS" base image (/etc/os-release)
    ci/seed.py package DIR NAME VERSION           # an sdist NAME-VERSION.tar.gz with bin/NAME
    ci/seed.py build BASE_LAYOUT SDIST OUT        # base OCI layout + the package as a new layer
    ci/seed.py apkindex REPO ARCH NAME VERSION... # REPO/ARCH/APKINDEX.tar.gz listing NAME's VERSIONs
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


def write_blob(layout, data):
    """Stores DATA under LAYOUT/blobs/sha256/; returns (digest, size)."""
    digest = hashlib.sha256(data).hexdigest()
    os.makedirs(os.path.join(layout, "blobs", "sha256"), exist_ok=True)
    with open(os.path.join(layout, "blobs", "sha256", digest), "wb") as f:
        f.write(data)
    return "sha256:" + digest, len(data)


def finish_layout(layout, manifest):
    """`oci-layout` and an `index.json` naming the one MANIFEST (digest, size)."""
    with open(os.path.join(layout, "oci-layout"), "w") as f:
        f.write('{"imageLayoutVersion":"1.0.0"}')
    with open(os.path.join(layout, "index.json"), "w") as f:
        json.dump({"schemaVersion": 2, "mediaType": "application/vnd.oci.image.index.v1+json",
                   "manifests": [{"mediaType": "application/vnd.oci.image.manifest.v1+json",
                                  "digest": manifest[0], "size": manifest[1]}]}, f)


def tar_of(files):
    """A tar of {path: (bytes, mode)}, parent directories first, fixed times (reproducible)."""
    buf = io.BytesIO()
    dirs = sorted({"/".join(p.split("/")[:i]) for p in files for i in range(1, p.count("/") + 1)})
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in dirs:
            info = tarfile.TarInfo(d)
            info.type, info.mode = tarfile.DIRTYPE, 0o755
            tf.addfile(info)
        for path, (data, mode) in sorted(files.items()):
            info = tarfile.TarInfo(path)
            info.size, info.mode = len(data), mode
            tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def base(host, repo, version, tags):
    """A tiny base image whose /etc/os-release names VERSION, pushed under every TAG."""
    registry = f"http://{host}"
    raw = tar_of({
        "etc/os-release": (f'NAME="Demo Linux"\nID=demo\nVERSION_ID={version}\n'.encode(), 0o644),
        "etc/motd": (f"demo base {version}\n".encode(), 0o644),
    })
    layer = push_blob(registry, repo, gzip_bytes(raw))
    config = push_blob(registry, repo, json.dumps({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/usr/bin:/bin"], "Labels": {"org.opencontainers.image.version": version}},
        "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]},
    }).encode())
    manifest = json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer[0], "size": layer[1]}],
    }).encode()
    for tag in tags:
        request("PUT", f"{registry}/v2/{repo}/manifests/{tag}", manifest,
                {"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
    print(tags[-1], "sha256:" + hashlib.sha256(manifest).hexdigest())


def package(out, name, version):
    """An sdist holding a shell tool that prints its version."""
    tool = f"#!/bin/sh\necho \"{name} {version}\"\n".encode()
    raw = tar_of({
        f"{name}-{version}/PKG-INFO": (f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n".encode(), 0o644),
        f"{name}-{version}/bin/{name}": (tool, 0o755),
    })
    path = os.path.join(out, f"{name}-{version}.tar.gz")
    with open(path, "wb") as f:
        f.write(gzip_bytes(raw))
    print(path)


def apkindex(repo, arch, name, versions):
    """An Alpine APKINDEX.tar.gz (apk's format: P:/V:/A:/C:/S:/t: stanzas in a gzipped tar)."""
    stanzas = "".join(
        f"C:Q1{hashlib.sha1(f'{name}-{v}'.encode()).hexdigest()[:27]}=\nP:{name}\nV:{v}\nA:{arch}\n"
        f"S:1024\nI:4096\nT:{name} (demo)\nU:https://example.org\nL:MIT\nt:{1_720_000_000 + 86400 * i}\n\n"
        for i, v in enumerate(versions))
    raw = tar_of({"DESCRIPTION": (b"v3.20-demo", 0o644), "APKINDEX": (stanzas.encode(), 0o644)})
    os.makedirs(os.path.join(repo, arch), exist_ok=True)
    path = os.path.join(repo, arch, "APKINDEX.tar.gz")
    with open(path + ".tmp", "wb") as f:
        f.write(gzip_bytes(raw))
    os.replace(path + ".tmp", path)
    print(path)


def build(base_layout, sdist, out):
    """The demo's image build: the base (an OCI layout from `in`), plus one layer holding the
    package under /opt/<name>, written as a new OCI layout."""
    def blob(layout, digest):
        return open(os.path.join(layout, "blobs", *digest.split(":")), "rb").read()

    index = json.load(open(os.path.join(base_layout, "index.json")))
    base_manifest = json.loads(blob(base_layout, index["manifests"][0]["digest"]))
    config = json.loads(blob(base_layout, base_manifest["config"]["digest"]))
    with tarfile.open(sdist) as tf:
        members = [m for m in tf.getmembers() if m.isfile()]
        top = members[0].name.split("/")[0]
        name = top.rsplit("-", 1)[0]
        files = {f"opt/{name}/" + m.name.split("/", 1)[1]: (tf.extractfile(m).read(), m.mode) for m in members}
    raw = tar_of(files)

    for layer in base_manifest["layers"]:
        write_blob(out, blob(base_layout, layer["digest"]))
    layer = write_blob(out, gzip_bytes(raw))
    config["rootfs"]["diff_ids"].append("sha256:" + hashlib.sha256(raw).hexdigest())
    config.setdefault("config", {}).setdefault("Labels", {})["demo.package"] = top
    config["config"]["Env"] = [f"PATH=/opt/{name}/bin:/usr/bin:/bin"]
    cfg = write_blob(out, json.dumps(config).encode())
    manifest = write_blob(out, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": cfg[0], "size": cfg[1]},
        "layers": base_manifest["layers"] + [
            {"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer[0], "size": layer[1]}],
    }).encode())
    finish_layout(out, manifest)
    print(manifest[0])


def resource_layout(out, bindir):
    """/opt/resource/{check,in,out} and the CA bundle, one gzip layer, as an OCI layout."""
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w", format=tarfile.PAX_FORMAT) as tf:
        for d in ["opt", "opt/resource", "etc", "etc/ssl", "etc/ssl/certs", "tmp"]:
            info = tarfile.TarInfo(d)
            info.type = tarfile.DIRTYPE
            info.mode = 0o1777 if d == "tmp" else 0o755
            tf.addfile(info)
        # One multi-call binary stored as check; in and out are hard links to it.
        data = open(os.path.join(bindir, "uptick"), "rb").read()
        info = tarfile.TarInfo("opt/resource/check")
        info.size, info.mode = len(data), 0o755
        tf.addfile(info, io.BytesIO(data))
        for name in ["in", "out"]:
            link = tarfile.TarInfo(f"opt/resource/{name}")
            link.type, link.linkname, link.mode = tarfile.LNKTYPE, "opt/resource/check", 0o755
            tf.addfile(link)
        bundle = "/etc/ssl/certs/ca-certificates.crt"
        data = open(bundle, "rb").read() if os.path.exists(bundle) else b""
        info = tarfile.TarInfo("etc/ssl/certs/ca-certificates.crt")
        info.size, info.mode = len(data), 0o644
        tf.addfile(info, io.BytesIO(data))
    raw = buf.getvalue()
    gz = gzip_bytes(raw)

    layer = write_blob(out, gz)
    config = write_blob(out, json.dumps({"architecture": "amd64", "os": "linux",
                             "config": {"Env": ["PATH=/opt/resource"]},
                             "rootfs": {"type": "layers", "diff_ids": ["sha256:" + hashlib.sha256(raw).hexdigest()]}}).encode())
    manifest = write_blob(out, json.dumps({
        "schemaVersion": 2, "mediaType": "application/vnd.oci.image.manifest.v1+json",
        "config": {"mediaType": "application/vnd.oci.image.config.v1+json", "digest": config[0], "size": config[1]},
        "layers": [{"mediaType": "application/vnd.oci.image.layer.v1.tar+gzip", "digest": layer[0], "size": layer[1]}],
    }).encode())
    finish_layout(out, manifest)
    print(manifest[0], layer[1])


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "resource-layout":
        resource_layout(sys.argv[2], sys.argv[3])
        sys.exit(0)
    if len(sys.argv) >= 6 and sys.argv[1] == "base":
        base(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif len(sys.argv) == 5 and sys.argv[1] == "package":
        package(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) >= 6 and sys.argv[1] == "apkindex":
        apkindex(sys.argv[2], sys.argv[3], sys.argv[4], sys.argv[5:])
    elif len(sys.argv) == 5 and sys.argv[1] == "build":
        build(sys.argv[2], sys.argv[3], sys.argv[4])
    elif len(sys.argv) == 5 and sys.argv[1] == "series":
        series(sys.argv[2], sys.argv[3], int(sys.argv[4]))
    elif len(sys.argv) == 7 and sys.argv[1] == "image":
        image(sys.argv[2], sys.argv[3], sys.argv[4], int(sys.argv[5]), int(sys.argv[6]))
    else:
        sys.exit(__doc__)
