# bcflow: one static binary; the same image runs `api`, `worker` and `migrate`.
FROM golang:1.26 AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN go mod download
COPY . .
ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/bcflow ./cmd/bcflow

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/bcflow /usr/local/bin/bcflow
USER nonroot
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/bcflow"]
CMD ["help"]
