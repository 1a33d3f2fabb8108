# syntax=docker/dockerfile:1
#
# The dangjian server as a container image: built in a Rust image, run in a slim Debian
# as an unprivileged user. Needs BuildKit (the default builder of current Docker):
#
#   docker build -t dangjian .
#   docker run --rm -p 8080:8080 -v dangjian-data:/var/lib/dangjian dangjian
#
# deploy/compose.yaml runs it with PostgreSQL, S3-compatible storage and a load balancer.

# --- build ------------------------------------------------------------------------------
# The project's toolchain. Debian bookworm on both sides, so the binary finds the glibc
# it was linked against.
FROM rust:1.95-bookworm AS build

# `s3`: attachments in S3-compatible storage (DANGJIAN_STORAGE_URL=s3://bucket). Pass
# `--build-arg FEATURES=` for a build without it, `--build-arg FEATURES="s3 otlp"` for
# OpenTelemetry trace export (README, "Traces").
ARG FEATURES=s3

WORKDIR /src
# The whole workspace (every member's manifest is read); .dockerignore leaves out
# target/, data/ and .git/.
COPY . .

# Only crates.io is needed. The registry and target folders are BuildKit caches that
# survive between builds, so they are not in any layer: the binary is copied out of the
# cache in the same step. The C parts (bundled SQLite, mimalloc, ring and, with `s3`,
# aws-lc) need only the C compiler of this image.
RUN --mount=type=cache,target=/usr/local/cargo/registry,sharing=locked \
    --mount=type=cache,target=/usr/local/cargo/git,sharing=locked \
    --mount=type=cache,target=/src/target,sharing=locked \
    cargo build --release --locked -p dangjian --features "$FEATURES" \
 && install -m 0755 target/release/dangjian /usr/local/bin/dangjian

# --- run --------------------------------------------------------------------------------
FROM debian:bookworm-slim

# TLS is rustls everywhere (no OpenSSL, no native-tls): sqlx (PostgreSQL, `sslmode`) and
# ureq (webhooks) carry their own Mozilla roots (webpki-roots); the S3 client (reqwest
# through object_store) verifies against the system's roots, hence ca-certificates.
# Beyond that the binary links only glibc. chrono-tz carries its own time zone data.
RUN apt-get update \
 && apt-get install -y --no-install-recommends ca-certificates \
 && rm -rf /var/lib/apt/lists/*

# A fixed uid/gid, so volumes and host folders can be given to it ahead of time.
RUN groupadd --gid 10001 dangjian \
 && useradd --uid 10001 --gid 10001 --no-create-home --home-dir /var/lib/dangjian \
      --shell /usr/sbin/nologin dangjian \
 && install -d -o 10001 -g 10001 -m 0750 /var/lib/dangjian

COPY --from=build /usr/local/bin/dangjian /usr/local/bin/dangjian

# In a container the server must listen on every interface. The data folder holds the
# default SQLite database and attachments (`files/`) when no DATABASE_URL or
# DANGJIAN_STORAGE_URL is given; with PostgreSQL and S3 nothing is written there.
ENV DANGJIAN_BIND=0.0.0.0:8080 \
    DANGJIAN_DATA_DIR=/var/lib/dangjian \
    DANGJIAN_LOG_FORMAT=json

WORKDIR /var/lib/dangjian
VOLUME ["/var/lib/dangjian"]
USER 10001:10001
EXPOSE 8080

# SIGTERM: the server stops accepting connections and finishes the requests in flight
# (up to 30 s); give it that long (`docker stop -t 40`, compose's stop_grace_period).
STOPSIGNAL SIGTERM

# Liveness without curl: the slim image has no HTTP client, and installing curl would add
# libcurl, OpenSSL and their dependencies for one probe. bash (essential in Debian) can
# open a TCP connection itself (/dev/tcp). Docker only reports the state; orchestrators
# bring their own probes (compose checks /readyz the same way, HAProxy checks /readyz).
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
  CMD bash -c 'exec 3<>/dev/tcp/127.0.0.1/8080 && printf "GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n" >&3 && read -r -t 2 status <&3 && [[ $status == "HTTP/1.1 200"* ]]'

ENTRYPOINT ["dangjian"]
CMD ["serve"]
