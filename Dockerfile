# The service image: the same package `make run` installs, run as a non-root user.
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

RUN useradd --create-home --uid 10001 corpus \
    && mkdir -p /data \
    && chown corpus:corpus /data

WORKDIR /srv/corpus

# Dependencies come from pyproject.toml (pinned ranges), with the package itself. The
# migration scripts are built into the package (app/_migrations), so `corpus serve`, which
# migrates to head before serving, runs from any working folder (`docker run -w`).
COPY pyproject.toml README.md ./
COPY app ./app
COPY migrations ./migrations
RUN pip install .

# Only for running the `alembic` command itself in the image (history, current); the
# service never reads it.
COPY alembic.ini ./

USER corpus
ENV DATABASE_URL=sqlite:////data/corpus.db
VOLUME ["/data"]
EXPOSE 8000

# No curl in slim images: the health check is Python's own urllib.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import sys, urllib.request; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=4).status == 200 else 1)"]

CMD ["corpus", "serve", "--host", "0.0.0.0", "--port", "8000"]
