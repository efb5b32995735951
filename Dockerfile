# mediad container image.
#
#   docker build -t mediad .
#   docker compose up -d            # recommended: see docker-compose.yml (adds Redis)
#
# Standalone (no MEDIAD_REDIS_URL -> the daemon starts its own embedded
# redis-server child, which is why redis-server is installed below):
#   docker run -d --name mediad --stop-timeout 15 \
#     -p 127.0.0.1:8787:8787 -v mediad-data:/data mediad
#
# Layout inside the image:
#   /app/dist/src/main.js      daemon entry (workers: /app/dist/src/worker/main.js)
#   /app/config/               default JSON config read at boot
#   /data/downloads, /data/state   writable, owned by the `node` user (uid 1000)

ARG NODE_IMAGE=node:20-bookworm-slim

# ---------------------------------------------------------------------------
# build: full dependency tree (incl. typescript) + tsc -> dist/
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS build
WORKDIR /app
COPY package.json package-lock.json ./
COPY stubs ./stubs
RUN npm ci --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
RUN npm run build

# ---------------------------------------------------------------------------
# deps: production-only node_modules (built in parallel with `build`)
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
COPY stubs ./stubs
RUN npm ci --omit=dev --no-audit --no-fund \
 && npm cache clean --force

# ---------------------------------------------------------------------------
# runtime
# ---------------------------------------------------------------------------
FROM ${NODE_IMAGE} AS runtime

# ffmpeg (+ffprobe): YouTube stream merge / audio extraction.
# tini: PID 1 that reaps zombies of the forked worker processes and forwards
#       SIGTERM to the daemon (which then drains its own workers).
# redis-server: only used when MEDIAD_REDIS_URL is unset (embedded mode);
#       build with --build-arg INSTALL_REDIS=0 to leave it out.
ARG INSTALL_REDIS=1
RUN set -eux; \
    pkgs="ffmpeg ca-certificates tini"; \
    if [ "$INSTALL_REDIS" = "1" ]; then pkgs="$pkgs redis-server"; fi; \
    apt-get update; \
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs; \
    apt-get clean; \
    rm -rf /var/lib/apt/lists/*

ENV NODE_ENV=production \
    MEDIAD_HOST=0.0.0.0 \
    MEDIAD_PORT=8787 \
    MEDIAD_DOWNLOAD_DIR=/data/downloads \
    MEDIAD_STATE_DIR=/data/state

WORKDIR /app

# Application files stay root-owned (read-only for the daemon); only /data is
# writable by the runtime user.
COPY package.json package-lock.json ./
COPY stubs ./stubs
COPY --from=deps /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY config ./config

# Create and chown /data *before* declaring the volume so fresh (named or
# anonymous) volumes inherit node:node ownership.
RUN mkdir -p /data/downloads /data/state \
 && chown -R node:node /data

VOLUME /data
EXPOSE 8787

USER node

STOPSIGNAL SIGTERM

# No curl in the slim image: probe with node's built-in fetch.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:'+(process.env.MEDIAD_PORT||8787)+'/v1/health',{signal:AbortSignal.timeout(4000)}).then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]

ENTRYPOINT ["/usr/bin/tini", "--"]
CMD ["node", "--max-semi-space-size=4", "dist/src/main.js"]
