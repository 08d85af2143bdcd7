# mpibox bot image: Slack + Azure mode (the local provider also works inside it).
# docker build -t mpibox . && docker run -v mpibox-data:/data --env-file mpibox.env -p 3000:3000 mpibox
#
# The base is pinned to the Node.js release the test suite runs on (scripts/ensure-node.sh);
# bump both together.
ARG NODE_IMAGE=node:22.23.3-bookworm-slim

# Build stage: production dependencies only, native addons (better-sqlite3, ssh2's
# cpu-features) compiled here so the final image carries no compiler.
FROM ${NODE_IMAGE} AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund

# Runtime stage.
FROM ${NODE_IMAGE}
# OpenSSH and Open MPI for the local provider; Perl reads node activity for the reaper; a font
# for the cost report's chart (resvg draws no text without one).
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openssh-client openssh-server openmpi-bin libopenmpi-dev perl-base fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/* \
 && useradd --create-home --uid 10001 --shell /bin/bash mpibox \
 && mkdir -p /data && chown mpibox:mpibox /data
WORKDIR /app
COPY --from=build /app/node_modules ./node_modules
COPY package.json package-lock.json manifest.yml ./
COPY src ./src
COPY scripts ./scripts
ENV NODE_ENV=production \
    MPIBOX_DATA_DIR=/data \
    MPIBOX_METRICS_PORT=9464
# The data folder holds the database and the bot's SSH key: mount it, never bake it in. Tokens
# and credentials come from the environment at run time (--env-file), never from the image.
VOLUME ["/data"]
USER mpibox
EXPOSE 3000 9464
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.MPIBOX_METRICS_PORT || 9464) + '/healthz').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
STOPSIGNAL SIGTERM
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
