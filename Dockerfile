# The resource type image: /opt/resource/{check,in,out} — three names (hard links) of one static
# multi-call binary — CA certificates and an empty /tmp, nothing else.
# No Docker engine runs on the development machines; `ci/image-test` proves the image two ways: the
# same final layer assembled and pushed with uptick's own `out`, and this file's final stage built by
# buildah (vfs storage, chroot isolation) from a build context named `build` holding the `out/` the
# first stage would make of the locally built static binary (`rust:1-bookworm` is never pulled);
# each result is fetched with `in` and run inside chroot. Keep the `/out` steps below as
# ci/image-test mirrors them: it refuses to run when they differ.
# The binary is static-PIE on purpose: a non-PIE build starts ~0.2 ms sooner but gives up ASLR of
# its own code (BENCHMARKS.md, session-5 notes).
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
RUN target=$(rustc -vV | sed -n 's/^host: //p') \
 && RUSTFLAGS="-C target-feature=+crt-static" cargo build --release --locked \
      --target "$target" --target-dir /build \
 && mkdir -p /out/opt/resource /out/etc/ssl/certs /out/tmp \
 && cp /build/"$target"/release/uptick /out/opt/resource/check \
 && ln /out/opt/resource/check /out/opt/resource/in \
 && ln /out/opt/resource/check /out/opt/resource/out \
 && cp /etc/ssl/certs/ca-certificates.crt /out/etc/ssl/certs/ \
 && chmod 1777 /out/tmp

FROM scratch
COPY --from=build /out/ /
ENV PATH=/opt/resource
