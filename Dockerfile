FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
RUN useradd --create-home --uid 1000 ecsm
# Tesseract with its Bulgarian and English data reads screenshots of messages (bot/ocr).
RUN apt-get update \
    && apt-get install -y --no-install-recommends tesseract-ocr tesseract-ocr-bul tesseract-ocr-eng \
    && rm -rf /var/lib/apt/lists/*

COPY pyproject.toml README.md ./
COPY bot ./bot
RUN pip install .
COPY data ./data
# A named volume mounted here (docker-compose.yml, nlu-data) takes this owner when first made.
RUN mkdir -p /app/nlu/build /srv/nlu-work && chown ecsm /app/nlu/build /srv/nlu-work

USER ecsm
# The database and the NLU server come from the environment (see docker-compose.yml).
ENV DATABASE_URL=sqlite:////home/ecsm/ecsm-bot.sqlite3
CMD ["ecsm-bot", "run"]
