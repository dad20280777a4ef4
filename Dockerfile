# Boltwatch's image: one image for every role (`boltwatch run --role web|all`, `boltwatch worker`), the role chosen
# by the command. Multi-stage: the build stage installs the wheel into a virtualenv; the runtime stage copies that
# virtualenv only (no compiler, no pip cache, no sources) and runs as an unprivileged user.
#
#   docker build -t boltwatch .
#   docker run --rm -e SLACK_BOT_TOKEN -e SLACK_SIGNING_SECRET -e BOLTWATCH_DATABASE_URL \
#     -v "$PWD/boltwatch.yml:/etc/boltwatch/boltwatch.yml:ro" -p 3000:3000 boltwatch
#
# deploy/compose.yml runs web and worker containers against one PostgreSQL.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
RUN python -m venv /opt/boltwatch
# A C compiler for this stage only: setup.py compiles bot/grouping with mypyc (error grouping at ~1.5x the speed);
# the runtime stage gets the built modules, not the compiler.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev \
    && rm -rf /var/lib/apt/lists/*
# What the wheel is built from (pyproject.toml's packages: bot, handlers, scheduler; the sandbox is a dev extra and
# stays out of the image), with the AWS SDK at the version deploy/'s IAM roles were generated from.
COPY pyproject.toml setup.py README.md constraints.txt ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
RUN /opt/boltwatch/bin/pip install -c constraints.txt '.[postgres]' \
    && /opt/boltwatch/bin/boltwatch --help > /dev/null

FROM ${PYTHON_IMAGE}
RUN groupadd --system --gid 10001 boltwatch \
    && useradd --system --uid 10001 --gid boltwatch --home-dir /var/lib/boltwatch --create-home boltwatch
COPY --from=build /opt/boltwatch /opt/boltwatch
ENV PATH=/opt/boltwatch/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1
USER 10001:10001
WORKDIR /var/lib/boltwatch
# 3000: the web role (Slack's requests, /aws/sns, /healthz, /metrics); 3001: a worker's /healthz and /metrics.
EXPOSE 3000 3001
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/healthz' % os.environ.get('BOLTWATCH_HEALTH_PORT', '3000'), timeout=4)"]
ENTRYPOINT ["boltwatch"]
CMD ["run", "--role", "all", "--config", "/etc/boltwatch/boltwatch.yml", "--host", "0.0.0.0"]
