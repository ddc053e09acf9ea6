"""A served lab (`serve --demo`: a CSMS, three chargers, a session charging on DEMO-1) per backend, and
Debian's headless Chromium driving the page. Without Chromium the tests skip, except in CI, where
they fail: `.ci/run` installs it."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from selenium.webdriver.remote.webdriver import WebDriver

from tests.browser.chromium import available, start_browser
from tests.conftest import IN_CI, postgres_schema
from tests.process import Server, serving

# Simulated seconds per real second: the demo's 10 s meter interval arrives every 2 s, and its
# 600 s session lasts two real minutes.
CLOCK_SPEED = "5"
SCREENSHOTS = os.environ.get("LEDGER_LAB_SCREENSHOTS")  # a folder: the tests save a picture per view


@dataclass
class Lab:
    server: Server
    env: dict[str, str]
    token: str
    backend: str

    @property
    def url(self) -> str:
        return str(self.server.client.base_url)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser(tmp_path_factory: pytest.TempPathFactory) -> Iterator[WebDriver]:
    if not available():
        message = "Chromium and chromedriver are not installed (apt-get install chromium chromium-driver)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    driver = start_browser(tmp_path_factory.mktemp("chromium-profile"))
    driver.set_page_load_timeout(30)
    try:
        yield driver
    finally:
        driver.quit()


@pytest.fixture(scope="module", params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def lab(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    folder = tmp_path_factory.mktemp(f"lab-{request.param}")
    env = {k: v for k, v in os.environ.items() if not k.startswith("LEDGER_")}
    env.update(LEDGER_VAR_DIR=str(folder / "var"), LEDGER_CLOCK_SPEED=CLOCK_SPEED)
    args = ["--demo", "--demo-csms-port", str(_free_port())]
    if request.param == "sqlite":
        yield from _served(env, folder, args, "sqlite")
        return
    url = request.getfixturevalue("postgres_url")
    with postgres_schema(url) as schema:
        yield from _served(
            {**env, "LEDGER_DATABASE_URL": url, "LEDGER_DATABASE_SCHEMA": schema}, folder, args, "postgres"
        )


def _served(env: dict[str, str], folder: Path, args: list[str], backend: str) -> Iterator[Lab]:
    if backend == "postgres":  # no dev token on PostgreSQL: the demo's tenant gets one made by hand
        from tests.browser.tokens import token_for

        token = token_for(env, "dev")
    else:
        token = ""
    with serving(env, token or "unset", folder / "serve.log", args=args) as server:
        if not token:
            token = (folder / "var" / "dev-token").read_text().strip()
            server.client.headers["Authorization"] = f"Bearer {token}"
        yield Lab(server, env, token, backend)
