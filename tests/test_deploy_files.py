"""docker-compose.yml is checked by structure (no Docker engine runs here) and against the
settings the bot really reads."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from bot.nlu.lab import ACTIVE
from bot.nlu.model import ModelPaths
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTING_NAMES = {field.alias for field in Settings.model_fields.values()}
COMPOSE_ONLY = {
    "POSTGRES_PASSWORD",
    "POSTGRES_USER",
    "POSTGRES_DB",
    "RASA_TELEMETRY_ENABLED",
    "COMPOSE_PROFILES",
}


def compose() -> dict[str, Any]:
    return dict(yaml.safe_load((ROOT / "docker-compose.yml").read_text()))


def test_services_and_healthchecks() -> None:
    services = compose()["services"]
    assert set(services) >= {"rasa", "bot", "postgres"}
    assert services["rasa"]["image"] == "rasa/rasa:3.6.21-full"
    assert services["bot"]["build"] == "."
    for name, service in services.items():
        # A service that runs once and exits is waited for by completion, not by health.
        if service.get("restart") != "no":
            assert "healthcheck" in service, name
    assert services["bot"]["depends_on"]["rasa"]["condition"] == "service_healthy"
    assert services["bot"]["depends_on"]["postgres"]["condition"] == "service_healthy"


def test_rasa_is_never_published_and_always_has_a_token() -> None:
    services = compose()["services"]
    for name in ("rasa", "rasa-trainer"):
        rasa = services[name]
        assert rasa["image"] == "rasa/rasa:3.6.21-full", name
        assert "ports" not in rasa and rasa["networks"] == ["backend"], name
        command = " ".join(rasa["command"])
        assert "--enable-api" in command and '--auth-token="$$RASA_TOKEN"' in command, name
        assert rasa["env_file"] == ".env", name
    assert "./nlu:/app/nlu" in services["rasa"]["volumes"]


def test_rasa_trains_on_the_data_the_bot_prepares() -> None:
    # Rasa's image has no bot: a one-shot bot container writes the prepared training data
    # (bot/nlu/prepare.py) into a volume, and Rasa starts only once that has succeeded.
    services = compose()["services"]
    prepare, rasa = services["nlu-data"], services["rasa"]
    assert prepare["build"] == "." and prepare["command"] == ["ecsm-bot", "nlu", "prepare"]
    assert rasa["depends_on"]["nlu-data"]["condition"] == "service_completed_successfully"
    written = next(v for v in prepare["volumes"] if v.startswith("nlu-build:"))
    read = next(v for v in rasa["volumes"] if v.startswith("nlu-build:"))
    # The bot writes ModelPaths(nlu).training_data under WORKDIR /app; Rasa reads it from the
    # same volume under its working directory.
    assert written == "nlu-build:/app/nlu/build"
    assert read.startswith("nlu-build:/app/nlu/build")
    assert rasa["working_dir"] == "/app/nlu"
    assert "--nlu build/data" in " ".join(rasa["command"])
    assert "nlu-build" in compose()["volumes"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "chown ecsm /app/nlu/build" in dockerfile


def test_tokens_come_from_the_env_file() -> None:
    services = compose()["services"]
    assert services["bot"]["env_file"] == ".env" and services["rasa"]["env_file"] == ".env"
    text = (ROOT / "docker-compose.yml").read_text()
    assert not re.search(r"\d{6,}:[A-Za-z0-9_-]{20,}", text)  # no literal bot token


def test_environment_names_agree_with_settings() -> None:
    for name, service in compose()["services"].items():
        for key in service.get("environment", {}):
            assert key in SETTING_NAMES | COMPOSE_ONLY, (name, key)
    bot_env = compose()["services"]["bot"]["environment"]
    assert bot_env["RASA_URL"] == "http://rasa:5005"
    assert bot_env["DATABASE_URL"].startswith("postgresql://")


def test_env_example_lists_real_settings() -> None:
    keys = {
        line.split("=", 1)[0]
        for line in (ROOT / ".env.example").read_text().splitlines()
        if line and not line.startswith("#")
    }
    assert keys <= SETTING_NAMES | COMPOSE_ONLY
    assert {"TELEGRAM_BOT_TOKEN", "RASA_TOKEN"} <= keys


def test_readme_documents_every_setting() -> None:
    readme = (ROOT / "README.md").read_text()
    for name in SETTING_NAMES:
        assert f"`{name}`" in readme, name


def test_webhook_profile_runs_two_replicas_behind_a_load_balancer() -> None:
    services = compose()["services"]
    polling, webhook, proxy = services["bot"], services["bot-webhook"], services["proxy"]
    assert polling["profiles"] == ["polling"]
    assert webhook["profiles"] == ["webhook"] and proxy["profiles"] == ["webhook"]
    assert webhook["deploy"]["replicas"] == 2
    env = webhook["environment"]
    assert env["TELEGRAM_MODE"] == "webhook" and env["DATABASE_URL"].startswith("postgresql://")
    assert env["WEBHOOK_PORT"] == "8080" and "8080" in webhook["expose"]
    assert "ports" not in webhook  # only the proxy is reachable from outside
    assert "/healthz" in " ".join(webhook["healthcheck"]["test"])
    assert webhook["depends_on"]["postgres"]["condition"] == "service_healthy"
    assert webhook["depends_on"]["rasa"]["condition"] == "service_healthy"
    assert proxy["ports"] == ["8443:8443"]
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert "server bot-webhook:8080" in nginx
    assert "X-Telegram-Bot-Api-Secret-Token" in nginx
    assert "./deploy/nginx.conf:/etc/nginx/conf.d/default.conf:ro" in proxy["volumes"]
    # Rasa stays internal in every profile.
    assert "ports" not in services["rasa"]


def test_the_image_installs_tesseract_with_its_bulgarian_and_english_data() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text("utf-8")
    (install,) = re.findall(r"apt-get install -y --no-install-recommends ([^\\\n]+)", dockerfile)
    assert {"tesseract-ocr", "tesseract-ocr-bul", "tesseract-ocr-eng"} <= set(install.split())
    # As root, before the image drops to its user.
    assert dockerfile.index("apt-get install") < dockerfile.index("USER ecsm")


def test_ci_installs_exactly_the_system_packages_the_readme_names() -> None:
    readme = (ROOT / "README.md").read_text("utf-8")
    (line,) = re.findall(r"sudo apt-get install -y (.+)", readme)
    listed = (ROOT / ".ci" / "system-packages").read_text("utf-8").split()
    assert line.split() == listed
    assert {"tesseract-ocr-bul", "tesseract-ocr-eng", "chromium"} <= set(listed)
    script = (ROOT / ".ci" / "run").read_text("utf-8")
    assert ".ci/system-packages" in script
    assert script.rstrip().endswith("make test")


def test_the_dashboard_is_served_by_the_replicas_behind_the_proxy() -> None:
    webhook = compose()["services"]["bot-webhook"]
    env = webhook["environment"]
    # Reachable by the proxy on the internal network, never published by itself.
    assert env["DASHBOARD_LISTEN"] == "0.0.0.0" and env["DASHBOARD_PORT"] in webhook["expose"]
    assert Settings.model_fields["dashboard_listen"].default == "127.0.0.1"  # loopback alone
    nginx = (ROOT / "deploy" / "nginx.conf").read_text()
    assert f"server bot-webhook:{env['DASHBOARD_PORT']}" in nginx
    locations = dict(re.findall(r"location (= /\w+|/) \{(.*?)\n    \}", nginx, re.S))
    assert "proxy_pass http://bot_dashboard;" in locations["/"]
    assert "X-Forwarded-For" in locations["/"] and "X-Forwarded-Proto" in locations["/"]
    # The webhook and the health check go to the webhook server; metrics nowhere.
    assert "proxy_pass http://bot_webhook;" in locations["= /telegram"]
    assert "return 404;" in locations["= /metrics"]


def test_rasa_sees_the_models_the_bot_promotes() -> None:
    # Issue 18: the bot loads a promoted model with PUT /model and its path, so NLU_WORK_DIR
    # is one volume at one path in the bot(s) and in Rasa, and Rasa starts from the model
    # named in NLU_WORK_DIR/active (bot/nlu/lab.py: ACTIVE), as the embedded server does.
    services = compose()["services"]
    assert "nlu-work" in compose()["volumes"]
    assert "nlu-work:/srv/nlu-work:ro" in services["rasa"]["volumes"]
    for name in ("bot", "bot-webhook"):
        assert services[name]["environment"]["NLU_WORK_DIR"] == "/srv/nlu-work", name
        assert "nlu-work:/srv/nlu-work" in services[name]["volumes"], name
    command = " ".join(services["rasa"]["command"])
    assert "cat /srv/nlu-work/active" in command and '--model "$$model"' in command
    assert 'test -f "$$model" || model=models/nlu.tar.gz' in command
    assert "|| exit 1" in command  # a failed training still stops the container
    assert "/srv/nlu-work" in (ROOT / "Dockerfile").read_text()
    assert "cat /srv/nlu-work/" + ACTIVE in command


def test_the_rasa_trainer_trains_and_scores_what_the_bot_retrains() -> None:
    # Issue 18 in compose: the bot's image has no Rasa, so RASA_TRAINER_URL names a Rasa server
    # of its own that trains (POST /model/train) and scores candidates (PUT /model with the
    # path the bot wrote under NLU_WORK_DIR): it must see that volume at the same path. The
    # bot reads the repository's data and held-out sets from nlu/, and the shipped model (which
    # the trainer starts with, and which "restore" may load into rasa) has one path everywhere.
    services = compose()["services"]
    trainer, rasa = services["rasa-trainer"], services["rasa"]
    assert "nlu-work:/srv/nlu-work:ro" in trainer["volumes"]
    assert "./nlu:/app/nlu:ro" in trainer["volumes"]
    assert trainer["depends_on"]["rasa"]["condition"] == "service_healthy"
    dockerfile = (ROOT / "Dockerfile").read_text()
    (workdir,) = re.findall(r"^WORKDIR (\S+)$", dockerfile, re.M)
    shipped = ModelPaths(Path(workdir) / Settings.model_fields["nlu_dir"].default).model
    assert shipped == Path(rasa["working_dir"]) / "models" / "nlu.tar.gz"
    assert f"--model {shipped}" in " ".join(trainer["command"])
    assert "model=models/nlu.tar.gz" in " ".join(rasa["command"])  # relative to working_dir
    for name in ("bot", "bot-webhook"):
        bot = services[name]
        assert bot["environment"]["RASA_TRAINER_URL"] == "http://rasa-trainer:5005", name
        assert "./nlu:/app/nlu:ro" in bot["volumes"], name
        # Without the trainer only retraining fails: the bot does not wait for its health.
        assert bot["depends_on"]["rasa-trainer"]["condition"] == "service_started", name
    settings = Settings(
        _env_file=None, RASA_TRAINER_URL="http://rasa-trainer:5005", RASA_TOKEN="t" * 24
    )
    assert str(settings.rasa_trainer_url) == "http://rasa-trainer:5005/"
    with pytest.raises(ValidationError, match="RASA_TRAINER_URL needs RASA_TOKEN"):
        Settings(_env_file=None, RASA_TRAINER_URL="http://rasa-trainer:5005")
