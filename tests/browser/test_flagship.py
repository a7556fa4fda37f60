"""Headless Chromium drives the flagship (examples/auth.rs) over real sockets.

Run with tests/browser/run.sh (it builds the example first). Needs Debian's chromium
(/usr/bin/chromium, or PULSE_CHROMIUM) and `pip install playwright pytest`; Playwright's own
browser download is never used.
"""

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from playwright.sync_api import expect, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
BINARY = ROOT / "target" / "debug" / "examples" / "auth"
CHROMIUM = os.environ.get("PULSE_CHROMIUM", "/usr/bin/chromium")
SECRET = "browser test secret, at least thirty-two bytes long"
WAIT = 20_000  # ms: every wait is bounded, so a hang fails fast

# Records what the client script reports, before any script of the page runs.
RECORDER = """
window.__pulseStatuses = [];
document.addEventListener("pulse:status", (e) => window.__pulseStatuses.push(e.detail.status));
window.__pulseUpdates = [];
document.addEventListener("pulse:update", (e) => window.__pulseUpdates.push(e.detail.type));
"""


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Flagship:
    """The example binary on a loopback port; restartable with the same secret."""

    def __init__(self, tmp_path, **env):
        assert BINARY.exists(), f"{BINARY} missing: run `cargo build --example auth`"
        self.env = env
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.log = tmp_path / "auth.log"
        self.process = None
        self.start()

    def start(self):
        env = dict(os.environ, PORT=str(self.port), PULSE_SECRET=SECRET, RUST_LOG="warn", **self.env)
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen([str(BINARY)], env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.output()
            try:
                with urllib.request.urlopen(self.base + "/", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                time.sleep(0.1)
        raise AssertionError("the example did not start within 30 s\n" + self.output())

    def stop(self):
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)

    def restart(self):
        self.stop()
        self.start()

    def output(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""


@pytest.fixture(scope="session")
def browser():
    assert Path(CHROMIUM).exists(), f"{CHROMIUM} missing: apt-get install -y chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture
def flagship(tmp_path):
    server = Flagship(tmp_path)
    yield server
    server.stop()


@pytest.fixture
def context(browser, flagship):
    context = browser.new_context(base_url=flagship.base)
    context.set_default_timeout(WAIT)
    context.add_init_script(RECORDER)
    yield context
    context.close()


def console_errors(page):
    errors = []
    page.on(
        "console",
        lambda m: errors.append(f"{m.text} ({m.location.get('url')})") if m.type == "error" else None,
    )
    page.on("pageerror", lambda e: errors.append(str(e)))
    return errors


def sign_in(page, email="ada@example.com"):
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", "pulse")
    page.click("button[type=submit]")
    page.wait_for_url("**/dashboard")
    expect(page.locator("#email")).to_have_text(email)


def wait_online(page):
    expect(page.locator('[data-pulse-status="online"]')).to_have_count(1)


def wait_attached(page):
    """The view was attached and re-rendered from the server (after the socket opened)."""
    page.wait_for_function("window.__pulseUpdates.includes('attach_ack')")


def statuses(page):
    return page.evaluate("window.__pulseStatuses")


def test_public_pages_open_no_socket_and_log_no_console_errors(context):
    page = context.new_page()
    errors = console_errors(page)
    sockets = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    for path in ["/", "/login"]:
        page.goto(path)
        page.wait_for_load_state("load")
        page.wait_for_timeout(500)
        assert page.evaluate("window.pulse.status") == "idle"
        assert page.locator("[data-pulse-status]").count() == 0
    assert sockets == []
    assert errors == []


def test_sign_in_count_over_the_socket_sign_out_and_back(context, flagship):
    page = context.new_page()
    errors = console_errors(page)
    sign_in(page)
    wait_online(page)
    status = page.locator("[data-pulse-status]")
    expect(status).to_have_attribute("role", "status")
    expect(status).to_be_hidden()
    button = page.locator('[data-pulse-callback="increment"]')
    for expected in ["1", "2", "3"]:
        button.click()
        expect(page.locator("#count")).to_have_text(expected)
    # The update morphed the view: the clicked button is the same element and keeps focus.
    assert page.evaluate("document.activeElement.dataset.pulseCallback") == "increment"

    page.click('[data-pulse-callback="logout"]')
    page.wait_for_url(flagship.base + "/")
    expect(page.locator("main").get_by_role("link", name="Sign in")).to_be_visible()
    # Back after signing out: the dashboard is asked for again (never from the cache) and
    # the server sends the browser to /login.
    page.go_back()
    page.wait_for_url("**/login")
    expect(page.locator("h1")).to_have_text("Sign in")
    assert "ada@example.com" not in page.content()
    assert errors == []


def test_a_callback_that_changes_the_title_updates_document_title(context):
    page = context.new_page()
    errors = console_errors(page)
    sign_in(page)
    expect(page).to_have_title("Dashboard · Pulse auth example")
    wait_attached(page)
    # The attach re-rendered the view with the same title: unchanged.
    expect(page).to_have_title("Dashboard · Pulse auth example")
    button = page.locator('[data-pulse-callback="increment"]')
    for expected in ["1", "2"]:
        button.click()
        expect(page.locator("#count")).to_have_text(expected)
        # The re-render's title, in the app's template as in the first document.
        expect(page).to_have_title(f"Dashboard ({expected}) · Pulse auth example")
    # The document's one <title> element was updated (no second one added).
    assert page.evaluate("document.querySelectorAll('title').length") == 1
    assert errors == []


def test_a_click_before_the_socket_opens_is_sent_once_it_opens(context):
    page = context.new_page()
    sign_in(page)
    # On the next load, click as soon as the client script has run (DOMContentLoaded comes
    # after deferred scripts): a WebSocket never opens within the task that created it.
    page.add_init_script(
        """
        document.addEventListener("DOMContentLoaded", () => {
          const button = document.querySelector('[data-pulse-callback="increment"]');
          if (!button) return;
          window.__statusAtClick = window.pulse.status;
          button.click();
        });
        """
    )
    page.goto("/dashboard")
    expect(page.locator("#count")).to_have_text("1")
    assert page.evaluate("window.__statusAtClick") == "connecting"


def test_a_view_keeps_its_state_across_a_reconnect_and_queues_clicks_meanwhile(context):
    page = context.new_page()
    sockets = []

    def proxy(ws):
        ws.connect_to_server()
        sockets.append(ws)

    page.route_web_socket("**/_pulse/ws", proxy)
    sign_in(page)
    wait_online(page)
    button = page.locator('[data-pulse-callback="increment"]')
    for expected in ["1", "2"]:
        button.click()
        expect(page.locator("#count")).to_have_text(expected)
    assert len(sockets) == 1
    # The network drops the socket; a click made while reconnecting waits for the new one.
    sockets[0].close(code=1012, reason="test")
    expect(page.locator('[data-pulse-status="reconnecting"]')).to_have_count(1)
    expect(page.get_by_role("status")).to_contain_text("Reconnecting")
    button.click()
    expect(page.locator("#count")).to_have_text("3")
    wait_online(page)
    assert len(sockets) == 2
    assert "reconnecting" in statuses(page)


def test_two_tabs_signing_out_in_one_ends_the_other(context):
    first = context.new_page()
    sign_in(first)
    second = context.new_page()
    second.goto("/dashboard")
    wait_online(first)
    wait_online(second)
    first.click('[data-pulse-callback="logout"]')
    first.wait_for_url("**/")
    # The other tab's socket is closed (4001); it reconnects, is refused as anonymous, and the
    # page is loaded again: its guard sends it to /login.
    second.wait_for_url("**/login")
    expect(second.locator("h1")).to_have_text("Sign in")


def test_a_server_restart_with_the_same_secret_reconnects_by_itself(context, flagship):
    page = context.new_page()
    sign_in(page)
    wait_online(page)
    page.click('[data-pulse-callback="increment"]')
    expect(page.locator("#count")).to_have_text("1")
    flagship.restart()
    # The page reconnects without help, re-attaches and re-renders from the new process: the
    # session (a signed cookie) is still valid; the view's own state starts afresh.
    expect(page.locator("#count")).to_have_text("0")
    wait_online(page)
    expect(page.locator("#email")).to_have_text("ada@example.com")
    assert "reconnecting" in statuses(page)
    page.click('[data-pulse-callback="increment"]')
    expect(page.locator("#count")).to_have_text("1")


def test_updates_keep_focus_caret_and_what_the_user_typed(context):
    page = context.new_page()
    sign_in(page)
    wait_attached(page)
    view = 'document.querySelector(\'[data-pulse-view="/dashboard"]\')'
    form = '<p id="fields"><input id="note" value="{note}"><input id="other" value="{other}"></p>'

    def morph(heading, note, other):
        html = f"<h1>{heading}</h1>" + form.format(note=note, other=other)
        page.evaluate(f"(html) => pulse.morph({view}, html)", html)

    morph("one", "server", "a")
    page.fill("#other", "typed by the user")
    page.fill("#note", "hello world")
    page.focus("#note")
    page.evaluate("document.getElementById('note').setSelectionRange(5, 5)")
    page.evaluate("window.__note = document.getElementById('note')")
    # The server changes the heading and both fields' values.
    morph("two", "changed", "b")
    expect(page.locator("h1")).to_have_text("two")
    state = page.evaluate(
        """() => {
          const note = document.getElementById('note');
          return {
            same: note === window.__note,
            focused: document.activeElement === note,
            caret: [note.selectionStart, note.selectionEnd],
            note: note.value,
            other: document.getElementById('other').value,
          };
        }"""
    )
    # The focused field keeps its element, focus, caret and text; the other one takes the
    # server's new value.
    assert state == {
        "same": True,
        "focused": True,
        "caret": [5, 5],
        "note": "hello world",
        "other": "b",
    }
    # A value the server does not change leaves what the user typed alone.
    page.fill("#other", "typed again")
    morph("three", "changed", "b")
    assert page.input_value("#other") == "typed again"


def test_a_hung_server_is_noticed_by_the_heartbeat_and_the_page_recovers(browser, tmp_path):
    # Heartbeats every 500 ms: a server that stops answering is noticed within about a second.
    server = Flagship(tmp_path, PULSE_PING_MS="500")
    context = browser.new_context(base_url=server.base)
    context.set_default_timeout(WAIT)
    context.add_init_script(RECORDER)
    try:
        page = context.new_page()
        sign_in(page)
        wait_online(page)
        page.click('[data-pulse-callback="increment"]')
        expect(page.locator("#count")).to_have_text("1")
        # The process hangs: its TCP connections stay open (the kernel still acknowledges), so
        # only the unanswered heartbeat tells the page it is no longer live.
        server.process.send_signal(signal.SIGSTOP)
        try:
            expect(page.locator('[data-pulse-status="reconnecting"]')).to_have_count(1)
            expect(page.get_by_role("status")).to_contain_text("Reconnecting")
            # A click meanwhile waits for the connection.
            page.click('[data-pulse-callback="increment"]')
        finally:
            server.process.send_signal(signal.SIGCONT)
        # The process runs again: the page reconnects by itself, resumes the view (same
        # process, within the grace period) and sends the queued click.
        wait_online(page)
        expect(page.locator("#count")).to_have_text("2")
        assert statuses(page)[-2:] == ["reconnecting", "online"], statuses(page)
    finally:
        context.close()
        server.stop()
