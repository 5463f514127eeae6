# ticklake image: one image, every role (produce, process, serve, broker) chosen by the command.
#   docker build -t ticklake .
#   docker run --rm ticklake --help
FROM node:20-bookworm-slim

ENV NODE_ENV=production \
    TICKLAKE_DATA_DIR=/data
WORKDIR /app

COPY package.json package-lock.json ./
# DuckDB's and esbuild's native parts come as platform packages from the npm registry; no install scripts needed.
RUN npm ci --omit=dev --no-audit --no-fund && npm cache clean --force

COPY core ./core
COPY cli ./cli
COPY broker ./broker
COPY producers ./producers
COPY processors ./processors
COPY lake ./lake
COPY sql ./sql
COPY api ./api

RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
ENTRYPOINT ["node", "cli/bin.js"]
CMD ["--help"]
