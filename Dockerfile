# Flux Data Forge: the forge CLI and API server in one image.
#
#   docker build -t flux-data-forge .
#   docker run -p 8080:8080 -e FORGE_API_TOKEN=change-me flux-data-forge            # forge serve on 0.0.0.0:8080
#   docker run flux-data-forge node dist/cli/main.js generate --preset se --shard 2/8 --sink stage --stage s3://bucket/ami
#
# Not built on the machine this was written on (no Docker engine there); see docs/SCALING.md for what was checked.

# ---- build: every dependency, compile TypeScript (and whatever else `npm run build` builds) into dist/ ----
FROM node:20-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the package's own `prepare` (the build) needs the sources, copied below.
RUN npm ci --ignore-scripts
COPY . .
RUN npm run build

# ---- runtime: production dependencies and dist/ only, as the unprivileged `node` user of the base image ----
FROM node:20-slim AS runtime
ENV NODE_ENV=production
WORKDIR /app
COPY package.json package-lock.json ./
# No production dependency has an install script (checked with npm ls); DuckDB's native binding is a prebuilt package.
RUN npm ci --omit=dev --ignore-scripts && npm cache clean --force
COPY --from=build /app/dist ./dist
# Default output and job records (./forge-data, relative to /app); mount a volume here to keep them.
RUN mkdir -p /app/forge-data && chown node:node /app/forge-data
USER node
EXPOSE 8080
# node:20-slim has no curl: Node's own fetch asks /health (open without the token).
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD ["node", "-e", "fetch('http://127.0.0.1:8080/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# On 0.0.0.0 the server refuses to start without FORGE_API_TOKEN (docs/SECURITY.md): pass it with -e or a secret.
CMD ["node", "dist/cli/main.js", "serve", "--host", "0.0.0.0"]
