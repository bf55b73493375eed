# Build with the same script CI runs (release binary + the web UI's wasm bundle), then ship
# only those and Python (for custom modules) on a slim base.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN ./scripts/build.sh

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends python3 ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --home /nonexistent --shell /usr/sbin/nologin misp-modules \
    && mkdir -p /var/lib/misp-modules && chown misp-modules: /var/lib/misp-modules
COPY --from=build /src/dist/misp-modules /usr/local/bin/misp-modules
COPY --from=build /src/dist/site /usr/local/share/misp-modules/site
USER misp-modules
VOLUME /var/lib/misp-modules
EXPOSE 6666 7008
# Inside a container the ports must be reachable from outside it; publish them on the
# host's loopback only unless the network in front is trusted (see compose.yaml).
ENV MISP_MODULES_LISTEN=0.0.0.0 MISP_MODULES_WEB_LISTEN=0.0.0.0 \
    MISP_MODULES_SITE_ROOT=/usr/local/share/misp-modules/site \
    DATABASE_URL=sqlite:///var/lib/misp-modules/misp-modules.db
HEALTHCHECK CMD ["/bin/bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/6666"]
ENTRYPOINT ["/usr/local/bin/misp-modules"]
