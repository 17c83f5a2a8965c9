# ClubOS container image: `clubos serve` (and every other subcommand).
#
#   docker build -t clubos .
#   docker run --rm -p 8080:8080 -v "$PWD/clubos.toml:/etc/clubos/clubos.toml:ro" \
#       -e CLUBOS_API_TOKEN=... clubos
#
# Several instances on one PostgreSQL behind a balancer: deploy/compose.yaml
# and docs/DEPLOYMENT.md.

# --- build -------------------------------------------------------------------
FROM rust:1-bookworm AS build
WORKDIR /src
COPY . .
# The caches keep the registry and compiled dependencies between builds
# (BuildKit); the binary is copied out of the cached target directory.
RUN --mount=type=cache,target=/usr/local/cargo/registry \
    --mount=type=cache,target=/src/target \
    cargo build --release --locked -p clubos \
    && install -D -m 0755 target/release/clubos /out/clubos

# --- run ---------------------------------------------------------------------
FROM debian:bookworm-slim
# ca-certificates: TLS to OpenPhone, NinjaOne, the LLM APIs and the database.
# curl: the HEALTHCHECK below (the image has no other HTTP client).
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && groupadd --system clubos \
    && useradd --system --gid clubos --home-dir /var/lib/clubos --shell /usr/sbin/nologin clubos \
    && install -d -o clubos -g clubos -m 0750 /var/lib/clubos /etc/clubos
COPY --from=build /out/clubos /usr/local/bin/clubos
USER clubos
# SQLite deployments keep `sqlite://clubos.db` here (mount a volume);
# PostgreSQL deployments keep nothing on local disk.
WORKDIR /var/lib/clubos
ENV CLUBOS_CONFIG=/etc/clubos/clubos.toml
EXPOSE 8080
# Ready = the database answers (GET /readyz); assumes `listen` on port 8080.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD curl -fsS -o /dev/null http://127.0.0.1:8080/readyz || exit 1
ENTRYPOINT ["clubos"]
CMD ["serve"]
