# Gridflow server image (Node 20). `docker compose up --build` runs it with MySQL: see README, "Run with Docker".
# The server runs the TypeScript sources through tsx (a production dependency), so there is no compile step yet.

ARG NODE_IMAGE=node:20-bookworm-slim

# --- prod-deps: production node_modules, with the tool chain the native modules (better-sqlite3, argon2) need
# when no prebuilt binary fits. Same base as the runtime, so the compiled modules match its glibc and Node ABI.
FROM ${NODE_IMAGE} AS prod-deps
RUN apt-get update \
  && apt-get install -y --no-install-recommends python3 make g++ \
  && rm -rf /var/lib/apt/lists/*
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --no-audit --no-fund \
  && npm cache clean --force

# --- web-build: the web app (Vite, React), built with the dev dependencies into dist/web.
FROM prod-deps AS web-build
RUN npm ci --no-audit --no-fund
COPY . .
RUN npm run build:web

# --- runtime: the slim image, production dependencies and the sources; no compilers, no npm cache.
FROM ${NODE_IMAGE} AS runtime
ENV NODE_ENV=production \
  PORT=3000 \
  DATA_DIR=/data
WORKDIR /app
# Code and modules stay owned by root: the server's user can read them, not change them.
COPY --from=prod-deps /app/node_modules ./node_modules
COPY . .
COPY --from=web-build /app/dist/web ./dist/web
# DATA_DIR holds the SQLite file (when DATABASE_URL is empty) and the attachments. A fresh named volume
# mounted here takes this directory's owner, so the non-root user can write to it.
RUN mkdir -p /data && chown node:node /data
VOLUME ["/data"]
USER node
EXPOSE 3000
# Slim images have no curl: Node's fetch asks /health.
HEALTHCHECK --interval=15s --timeout=5s --start-period=60s --retries=3 \
  CMD ["node", "-e", "fetch('http://localhost:'+(process.env.PORT||3000)+'/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"]
# What `npm start` runs (tsx server/main.ts), without npm and the tsx CLI's parent process in between: node is the
# only process and gets SIGTERM itself (server/main.ts stops the workers and the engine, then closes the database).
CMD ["node", "--import", "tsx", "server/main.ts"]
