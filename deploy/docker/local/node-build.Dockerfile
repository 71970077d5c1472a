# causeway-local/node-build:24 — the build base: causeway-local/node:24 plus npm (from the npm registry) and
# the CA bundle this machine's npm trusts (so that npm ci inside the build reaches the registry the same way).
ARG NODE_IMAGE
FROM ${NODE_IMAGE}
COPY npm /usr/local/lib/node_modules/npm
COPY extra-ca.crt /usr/local/share/causeway-build-ca.crt
RUN ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && npm --version
ENV NODE_EXTRA_CA_CERTS=/usr/local/share/causeway-build-ca.crt
