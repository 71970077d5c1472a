# causeway-local/demo-app — the compose topology's demo app: a small HTTP server on Node 24 (the local
# runtime base) with curl, so that a call from the app's own network namespace is one command.
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
RUN apt-get update \
 && apt-get install -y --no-install-recommends curl \
 && rm -rf /var/lib/apt/lists/* /var/cache/apt/archives/*.deb /var/cache/apt/*.bin
COPY demo-app.mjs /usr/local/lib/demo-app.mjs
USER 10001:10001
ENTRYPOINT ["/usr/bin/tini", "--", "node", "/usr/local/lib/demo-app.mjs"]
