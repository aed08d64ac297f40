# Redis from Debian's packages, in place of redis:7-alpine (no container registry is reachable here).
ARG DEBIAN_IMAGE=earshot-debian:bookworm
FROM ${DEBIAN_IMAGE}
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends redis-server \
 && rm -rf /var/lib/apt/lists/* \
 && mkdir -p /data
WORKDIR /data
CMD ["redis-server"]
