# Signet: multi-stage image (docs/operations.md "Deployment").
# Build: docker build -t signet .   Run: see deploy/compose.yaml and deploy/helm/signet.

FROM node:20-bookworm-slim AS build
WORKDIR /app
# Native modules (better-sqlite3, pkcs11js) build from source when no prebuilt binary fits.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
# Scripts off: "prepare" builds from sources that are not copied yet.
RUN npm ci --ignore-scripts --no-audit --no-fund \
 && npm rebuild better-sqlite3 pkcs11js
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY web ./web
COPY bin ./bin
COPY scripts/bundle-cli.mjs ./scripts/
RUN npm run build \
 && npm prune --omit=dev --no-audit --no-fund

FROM node:20-bookworm-slim
ENV NODE_ENV=production \
    SIGNET_DATA_DIR=/var/lib/signet \
    SIGNET_HOST=0.0.0.0 \
    SIGNET_PORT=8080
WORKDIR /app
# Owned by root and read-only to the service user: the image runs with a read-only root file
# system; the only writable places are the data volume and /tmp (mount a tmpfs there).
COPY --from=build /app/package.json ./package.json
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
COPY --from=build /app/bin ./bin
# The consent pages' own script and style sheet, read at run time (src/server/routes/oauth2-assets.ts).
COPY --from=build /app/src/server/static ./src/server/static
RUN groupadd --system --gid 10001 signet \
 && useradd --system --uid 10001 --gid signet --home-dir /var/lib/signet --shell /usr/sbin/nologin signet \
 && mkdir -p /var/lib/signet \
 && chown signet:signet /var/lib/signet
USER 10001:10001
VOLUME ["/var/lib/signet"]
EXPOSE 8080
# Liveness only (docs/operations.md): readiness is the load balancer's probe, /health/ready.
# bin/healthcheck.js asks /health/live over HTTPS when SIGNET_TLS_CERT_FILE is set, else HTTP.
HEALTHCHECK --interval=15s --timeout=3s --start-period=60s --retries=3 \
  CMD ["node", "bin/healthcheck.js"]
ENTRYPOINT ["node", "bin/signet.js"]
CMD ["serve"]
