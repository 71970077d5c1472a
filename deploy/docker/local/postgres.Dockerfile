# causeway-local/postgres:15 — Debian's PostgreSQL 15 for tests and the compose topology. It initialises
# /data on first start with trust authentication for every address (a test database, never exposed beyond
# its network) and logs "database system is ready to accept connections" when it accepts them.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends postgresql-15 \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/apt/*.bin \
 && mkdir -p /data /var/run/postgresql && chown postgres:postgres /data /var/run/postgresql
COPY postgres-entrypoint.sh /usr/local/bin/postgres-entrypoint.sh
USER postgres
ENV PGDATA=/data
EXPOSE 5432
ENTRYPOINT ["/usr/bin/tini", "--", "/usr/local/bin/postgres-entrypoint.sh"]
