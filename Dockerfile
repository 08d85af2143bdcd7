# mpibox bot image (Slack + Azure mode; the local provider also works inside it).
FROM node:22-bookworm-slim
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
      openssh-client openssh-server openmpi-bin libopenmpi-dev python3 make g++ \
      fonts-dejavu-core perl-base \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund
COPY src ./src
COPY scripts ./scripts
COPY manifest.yml ./
ENV MPIBOX_DATA_DIR=/data
VOLUME ["/data"]
# The data folder holds the database and the bot's SSH key: mount it, never bake it in.
CMD ["node", "--disable-warning=ExperimentalWarning", "src/main.ts"]
