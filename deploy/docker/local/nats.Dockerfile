# causeway-local/nats:2.9 — Debian's nats-server (2.9) for tests and the compose topology. The command is
# nats-server's own flags, e.g. -c FILE; JetStream is enabled by the configuration given.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends nats-server \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/apt/*.bin \
 && mkdir -p /data && chown nats:nats /data 2>/dev/null || mkdir -p /data
EXPOSE 4222 6222 8222
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/sbin/nats-server"]
CMD ["--jetstream", "--store_dir", "/data"]
