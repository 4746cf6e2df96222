# leakhound in a container, for CI systems that run steps in images:
#   docker build -t leakhound .
#   docker run --rm -v "$PWD:/src" leakhound scan .
# Two stages: the toolchain builds, the final image holds the binary and the C runtime only,
# and runs as an unprivileged user.
FROM rust:1.85-slim-bookworm AS build
WORKDIR /build
COPY . .
RUN cargo build --release --locked && strip target/release/leakhound

FROM gcr.io/distroless/cc-debian12:nonroot
COPY --from=build /build/target/release/leakhound /usr/local/bin/leakhound
WORKDIR /src
USER nonroot
ENTRYPOINT ["/usr/local/bin/leakhound"]
CMD ["scan", "."]
