# Multi-stage build of both services. Not exercised by this repository's CI
# (no Docker engine there); see README.
FROM rust:1.85-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p reseller-service -p admin-service

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --no-create-home app
COPY --from=build /src/target/release/reseller-service /src/target/release/admin-service /usr/local/bin/
USER app
ENV LOG_FORMAT=json
