# syntax=docker/dockerfile:1
# What this image builds is also built and started without Docker by scripts/production-boot.ts (run by .ci/run).
# Build: compile the TypeScript sources to dist/ and bundle the console (Vite) into dist/console, with the full dev toolchain.
FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# Local stand-ins for the dependencies hl7.fhir.uv.ips (a devDependency) declares and npm does not publish (ADR 0064).
COPY ig/npm-placeholders ./ig/npm-placeholders
RUN npm ci --ignore-scripts --no-audit
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
COPY console ./console
COPY scripts/build-console.mjs ./scripts/
RUN npm run build

# IG packages the server validates with (ig/packages.json): the WHO builds are not on any registry, so they come from
# the build context's ig/packages/ (drop the .tgz files of the lock list there before `docker build`); HL7 IPS, the
# default Bundle profile, is published on the npm registry and packed from there.
FROM node:24-slim AS ig
WORKDIR /ig
COPY ig ./
RUN mkdir -p packages && cd packages && \
    ( ls hl7.fhir.uv.ips*.tgz >/dev/null 2>&1 || npm pack hl7.fhir.uv.ips@2.0.0 --silent --no-audit )

# Runtime: production dependencies only, non-root, data on a volume.
FROM node:24-slim
ENV NODE_ENV=production \
    PORT=8080 \
    HOST=0.0.0.0 \
    DATA_DIR=/data
WORKDIR /app
COPY package.json package-lock.json ./
RUN npm ci --omit=dev --ignore-scripts --no-audit && npm cache clean --force
COPY --from=build /app/dist ./dist
COPY --from=ig /ig ./ig
COPY profiles ./profiles
COPY bin ./bin
RUN mkdir -p /data && chown node:node /data
USER node
VOLUME ["/data"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
  CMD node -e "fetch('http://127.0.0.1:'+(process.env.PORT||8080)+'/healthz').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))"
CMD ["node", "dist/main.js"]
