# Gatehouse's worker and API in one image (SPEC §15). The command chooses the process:
#   docker build -t gatehouse .
#   docker run --env-file .env gatehouse                            # the worker (npm run start:worker)
#   docker run --env-file .env gatehouse node dist/api/main.js      # the API (npm run start:api)
# docker-compose.temporal.yml runs both next to a Temporal cluster on PostgreSQL.
# test/ops/container.test.ts checks that these commands are package.json's start:* scripts.

# The current Node.js LTS line (Node 24 is in maintenance since 2026-10).
ARG NODE_IMAGE=node:26-slim

FROM ${NODE_IMAGE} AS build
WORKDIR /app
# better-sqlite3 compiles from source when no prebuilt binary fits the platform.
RUN apt-get update \
 && apt-get install -y --no-install-recommends python3 make g++ \
 && rm -rf /var/lib/apt/lists/*
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
# The JavaScript and the pre-bundled workflow code in dist/, then only what production needs.
RUN npm run build && npm prune --omit=dev --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
COPY --from=build /app/package.json /app/package-lock.json ./
COPY --from=build /app/node_modules ./node_modules
COPY --from=build /app/dist ./dist
# The policy is mounted (GATEHOUSE_POLICY); nothing in the image is writable by the process.
USER node
EXPOSE 3000
CMD ["node", "dist/workers/main.js"]
