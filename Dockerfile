# Boltwatch: one image for every role (`boltwatch run --role web|all`, `boltwatch worker`).
# Multi-stage: the build stage has pip and a compiler's worth of wheels; the runtime stage only the virtualenv.
FROM python:3.11-slim AS build
WORKDIR /src
RUN python -m venv /opt/boltwatch
COPY pyproject.toml README.md ./
COPY bot ./bot
COPY handlers ./handlers
COPY scheduler ./scheduler
RUN /opt/boltwatch/bin/pip install --no-cache-dir '.[postgres]'

FROM python:3.11-slim
RUN useradd --system --uid 10001 --home-dir /var/lib/boltwatch --create-home boltwatch
COPY --from=build /opt/boltwatch /opt/boltwatch
ENV PATH=/opt/boltwatch/bin:$PATH PYTHONUNBUFFERED=1
USER boltwatch
WORKDIR /var/lib/boltwatch
EXPOSE 3000 3001
# The process model (README "Past one machine"): web processes run `run --role web`, workers `worker`.
ENTRYPOINT ["boltwatch"]
CMD ["run", "--config", "/etc/boltwatch/boltwatch.yml", "--host", "0.0.0.0"]
