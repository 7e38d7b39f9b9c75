# One image for the three commands: hyperliquid-exporter (default), hyperliquid-alert-relay and
# hyperliquid-replay. Choose with the container command, e.g. `docker run IMAGE hyperliquid-alert-relay ...`.
# Build from the repository root: docker build -t hyperliquid-exporter .

# Pinned by digest, so a rebuild uses exactly the tested base. To move to a newer build, look up the
# tag's current digest (`docker buildx imagetools inspect python:3.11-slim-bookworm`) and replace it here.
ARG PYTHON_IMAGE=python:3.11-slim-bookworm@sha256:528257d48c1da0dcecc2e725d1ae34498d60c965f1241e39cd6a85a8859bdf84

FROM ${PYTHON_IMAGE} AS build

SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
RUN python -m venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# Only the runtime lock: the development tools have their own (requirements/dev.lock). Every file is
# checked against the lock's hashes.
COPY requirements/runtime.lock ./
RUN pip install --no-cache-dir --require-hashes --no-deps -r runtime.lock

# The source revision, shown as hyperliquid_exporter_build_info{revision}:
# docker build --build-arg REVISION="$(git rev-parse HEAD)" .
ARG REVISION=unknown
COPY pyproject.toml README.md LICENSE ./
COPY exporter ./exporter
RUN printf '%s\n' "${REVISION}" > exporter/REVISION \
    && pip install --no-cache-dir --no-deps . \
    && pip check


FROM ${PYTHON_IMAGE}

# A fixed numeric uid, so volume ownership and `user:` in compose files can name it.
RUN useradd --system --uid 10001 --user-group --no-create-home --shell /usr/sbin/nologin hyperliquid \
    && mkdir -p /etc/hyperliquid /var/lib/hyperliquid /run/hyperliquid \
    && chown hyperliquid:hyperliquid /var/lib/hyperliquid /run/hyperliquid

COPY --from=build /opt/venv /opt/venv
COPY config.yaml /etc/hyperliquid/config.yaml

ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HEALTHCHECK_URL=http://127.0.0.1:9762/-/healthy

# /var/lib/hyperliquid: the relay's SQLite queue. /run/hyperliquid: files rendered at start-up.
WORKDIR /var/lib/hyperliquid
USER 10001:10001
EXPOSE 9762 9763 9764

# The relay and the simulator listen elsewhere: set HEALTHCHECK_URL to their /-/healthy.
HEALTHCHECK --interval=30s --timeout=5s --start-period=20s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen(os.environ['HEALTHCHECK_URL'], timeout=4)"]

CMD ["hyperliquid-exporter", "--config.file=/etc/hyperliquid/config.yaml", "--web.listen-address=:9762"]
