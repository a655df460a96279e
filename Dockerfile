# Multi-stage build: compile in the Rust image, run as a non-root user in a slim image.
FROM rust:1.95-bookworm AS build
WORKDIR /src
COPY . .
RUN cargo build --release --locked -p rapport-api --bin rapport

FROM debian:bookworm-slim
# CA certificates, so HTTPS webhooks can verify the servers they call.
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates \
    && rm -rf /var/lib/apt/lists/*
RUN useradd --system --create-home --home-dir /var/lib/rapport rapport
COPY --from=build /src/target/release/rapport /usr/local/bin/rapport
USER rapport
WORKDIR /var/lib/rapport
ENV RAPPORT_BIND=0.0.0.0:8080 \
    RAPPORT_DATABASE_URL=sqlite:///var/lib/rapport/rapport.db
EXPOSE 8080
VOLUME ["/var/lib/rapport"]
ENTRYPOINT ["rapport"]
CMD ["serve"]
