# ticklake image: one image, every role (produce, process, serve, broker) chosen by the command.
#   docker build -t ticklake .
#   docker run --rm ticklake --help
FROM node:20-bookworm-slim

# Every path under /data, the one volume root (each service mounts the sub-directories it needs).
ENV NODE_ENV=production \
    TICKLAKE_DATA_DIR=/data \
    TICKLAKE_LAKE_DIR=/data/lake \
    TICKLAKE_STATE_DIR=/data/state \
    TICKLAKE_BROKER_DATA_DIR=/data/broker
WORKDIR /app

COPY package.json package-lock.json ./
# DuckDB's and esbuild's native parts come as platform packages from the npm registry; no install scripts needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

# Everything that runs (.dockerignore leaves out tests, benchmarks, documents and data).
COPY . .
# Compiles the sources into node_modules/.cache/ticklake once, here, where it can be written (cli/compiled.js):
# every process of the image then starts from plain JavaScript.
RUN node cli/bin.js --version

# Created here so that named volumes mounted on them start out owned by the unprivileged user.
RUN mkdir -p /data/lake /data/state /data/exchanges /data/broker && chown -R node:node /data
USER node
VOLUME ["/data"]
# 8080: HTTP API and dashboard (serve, start); 9092: the embedded broker (broker, start)
EXPOSE 8080 9092
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["--help"]
