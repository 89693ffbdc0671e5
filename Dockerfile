# The resource type image: /opt/resource/{check,in,out} — three names (hard links) of one static
# multi-call binary — CA certificates and an empty /tmp, nothing else.
# No Docker engine runs on the development machines; `ci/image-test` assembles the same final layer,
# pushes it with uptick's own `out`, fetches it with `in` and runs `check` inside chroot.
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
