"""The HTTP layer shared by the exporter and the relay, with the exporter-toolkit's features.

`--web.config.file` (TLS and bcrypt basic auth in the exporter-toolkit format), gzip, a configurable
telemetry path, dual-stack `:PORT` listening, reload on SIGHUP and `POST /-/reload`, process metrics.
"""
