# The flavortrend binary (every subcommand) for compose.yaml and any container platform.
FROM golang:1.26-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
RUN CGO_ENABLED=0 go build -trimpath -ldflags="-s -w" -o /out/flavortrend ./cmd/flavortrend

FROM debian:bookworm-slim
COPY --from=build /out/flavortrend /usr/local/bin/flavortrend
USER nobody
ENTRYPOINT ["/usr/local/bin/flavortrend"]
