#!/usr/bin/env python3
"""The admin dashboard in a real browser (Debian's chromium + chromedriver via Selenium), against
the real albatross binary and real demo targets on loopback:

  * every target is listed with its state; a killed target turns unhealthy within its
    health-check window; the stale marker shows when the endpoint stops answering;
  * a drain click drains, without a token and with one (401 first, then the token entered once
    and kept in sessionStorage, never in a cookie or the URL);
  * a failed reload whose error quotes HTML shows it as text and creates no element;
  * no console errors under the endpoint's CSP (network errors of refused calls aside);
  * optionally, a screenshot (--screenshot PATH) at desktop width.

usage: dashboard_test.py ALBATROSS DEMO_TARGET [--screenshot PATH]
Exits 77 (ctest's skip code) only when chromium, chromedriver or selenium is not installed.
"""
import argparse
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

try:
    from selenium import webdriver
    from selenium.common.exceptions import StaleElementReferenceException, TimeoutException
    from selenium.webdriver.chrome.service import Service
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait
except ImportError:
    print("SKIP: python3-selenium is not installed (tests/run.sh installs it)")
    sys.exit(77)

CHROMIUM = shutil.which("chromium")
CHROMEDRIVER = shutil.which("chromedriver")


class Process:
    """A child process whose stderr is collected by a reader thread; wait_for() blocks on a
    condition variable until a line matches or the deadline passes (no polling sleeps)."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                                     text=True)
        self.lines = []
        self.cond = threading.Condition()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()

    def _read(self):
        for line in self.proc.stderr:
            with self.cond:
                self.lines.append(line.rstrip("\n"))
                self.cond.notify_all()
        with self.cond:
            self.lines.append(None)  # end of output
            self.cond.notify_all()

    def wait_for(self, pattern, timeout=10.0):
        regex = re.compile(pattern)
        deadline = time.monotonic() + timeout
        with self.cond:
            seen = 0
            while True:
                for line in self.lines[seen:]:
                    if line is None:
                        raise AssertionError(f"process exited before /{pattern}/:\n{self.log()}")
                    m = regex.search(line)
                    if m:
                        return m
                seen = len(self.lines)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AssertionError(f"no /{pattern}/ within {timeout}s:\n{self.log()}")
                self.cond.wait(left)

    def log(self):
        return "\n".join(l for l in self.lines if l is not None)

    def stop(self, sig=signal.SIGTERM):
        if self.proc.poll() is None:
            self.proc.send_signal(sig)  # by this child's PID only
            self.proc.wait(timeout=15)


def demo_target(binary, name):
    p = Process([binary, f"{name}=127.0.0.1:0"])
    port = int(p.wait_for(rf"demo target {name} listening on 127\.0\.0\.1:(\d+)").group(1))
    return p, port


def config_text(ports, extra_global=""):
    targets = ", ".join(f'"127.0.0.1:{p}"' for p in ports)
    return f"""[global]
threads = 2
admin = "127.0.0.1:0"
{extra_global}

[[listener]]
name = "web"
bind = "127.0.0.1:0"
target_group = "app"

[[target_group]]
name = "app"
targets = [{targets}]
deregistration_delay = "60s"

[target_group.health_check]
interval = "1s"
timeout = "500ms"
healthy_threshold = 2
unhealthy_threshold = 2
"""


def start_albatross(binary, config_path):
    p = Process([binary, "--config", config_path])
    admin = int(p.wait_for(r"admin endpoint listening on 127\.0\.0\.1:(\d+)").group(1))
    p.wait_for(r"started: ")
    return p, admin


def make_driver(workdir):
    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--disable-dev-shm-usage", "--window-size=1280,1000",
                 f"--user-data-dir={workdir}/chromium-profile"]:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    return webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)


# The page re-renders its tables every 2 s, so reads go through one script call (no element
# handle outlives it) and clicks retry on a stale element.
def text_of(driver, selector):
    return driver.execute_script(
        "const e = document.querySelector(arguments[0]); return e ? e.textContent : null;",
        selector)


def state_of(driver, target_id):
    return text_of(driver, f'tr[data-target="{target_id}"] td.state')


def click(driver, selector):
    for _ in range(20):
        try:
            driver.find_element(By.CSS_SELECTOR, selector).click()
            return
        except StaleElementReferenceException:
            continue
    raise AssertionError(f"{selector} kept going stale")


def wait_state(driver, target_id, state, timeout):
    try:
        WebDriverWait(driver, timeout, poll_frequency=0.1).until(
            lambda d: state_of(d, target_id) == state)
    except TimeoutException:
        raise AssertionError(f"{target_id} did not show {state} within {timeout}s "
                             f"(shows {state_of(driver, target_id)})")


def click_action(driver, target_id, action):
    click(driver, f'tr[data-target="{target_id}"] button.{action}')
    WebDriverWait(driver, 5).until(lambda d: d.switch_to.alert).accept()


def outcome(driver, pattern, timeout=5):
    WebDriverWait(driver, timeout, poll_frequency=0.1).until(
        lambda d: re.search(pattern, d.find_element(By.ID, "outcome").text))
    return driver.find_element(By.ID, "outcome").text


def console_errors(driver):
    """SEVERE console entries except the network lines of calls the test expected refused."""
    errors = []
    for entry in driver.get_log("browser"):
        if entry["level"] != "SEVERE":
            continue
        if entry.get("source") == "network" and re.search(r"status of (401|500)", entry["message"]):
            continue
        errors.append(entry["message"])
    return errors


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("albatross")
    parser.add_argument("demo_target")
    parser.add_argument("--screenshot")
    args = parser.parse_args()
    if not CHROMIUM or not CHROMEDRIVER:
        print("SKIP: chromium and chromium-driver are not installed (tests/run.sh installs them)")
        return 77

    workdir = tempfile.mkdtemp(prefix="albatross-browser-")
    children = []
    driver = None
    try:
        a, port_a = demo_target(args.demo_target, "a")
        b, port_b = demo_target(args.demo_target, "b")
        children += [a, b]
        config_path = os.path.join(workdir, "albatross.toml")
        with open(config_path, "w") as f:
            f.write(config_text([port_a, port_b]))
        albatross, admin = start_albatross(args.albatross, config_path)
        children.append(albatross)
        url = f"http://127.0.0.1:{admin}/"
        ta, tb = f"app/127.0.0.1:{port_a}", f"app/127.0.0.1:{port_b}"

        driver = make_driver(workdir)
        driver.get(url)
        # Every target listed with its state.
        wait_state(driver, ta, "healthy", 10)
        wait_state(driver, tb, "healthy", 10)
        assert driver.find_element(By.ID, "stale").is_displayed() is False
        assert console_errors(driver) == [], console_errors(driver)
        print("ok: both targets listed healthy, no console errors")

        # Phone width in dark mode: nothing wider than the screen but the scrolling tables,
        # and the dark palette applied.
        driver.set_window_size(390, 844)
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {
            "features": [{"name": "prefers-color-scheme", "value": "dark"}]})
        WebDriverWait(driver, 5, poll_frequency=0.1).until(lambda d: d.execute_script(
            "return document.documentElement.scrollWidth <= window.innerWidth"))
        background = driver.execute_script(
            "return getComputedStyle(document.body).backgroundColor")
        assert background == "rgb(21, 23, 26)", background
        driver.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})
        driver.set_window_size(1280, 1000)
        print("ok: phone width without horizontal overflow, dark mode")

        # Steady traffic through the listener, so rates and sparklines have numbers in them.
        listener = int(re.search(r"listener web listening on 127\.0\.0\.1:(\d+)",
                                 albatross.log()).group(1))
        stop_traffic = threading.Event()

        def traffic():
            while not stop_traffic.is_set():
                try:
                    urllib.request.urlopen(f"http://127.0.0.1:{listener}/", timeout=2).read()
                except OSError:
                    pass
                stop_traffic.wait(0.02)  # about 50 requests/s, paced, not a synchronisation

        traffic_thread = threading.Thread(target=traffic, daemon=True)
        traffic_thread.start()
        WebDriverWait(driver, 10, poll_frequency=0.1).until(
            lambda d: text_of(d, '[data-group="app"] .legend-requests') not in
            (None, "req/s –", "req/s 0.0"))

        # A killed target turns unhealthy within its health-check window: 2 failed checks
        # 1 s apart with a 500 ms timeout, plus one 2 s refresh of the page.
        b.stop(signal.SIGKILL)
        killed_at = time.monotonic()
        wait_state(driver, tb, "unhealthy", 2 * 1.0 + 0.5 + 2.0 + 2.5)
        print(f"ok: killed target shown unhealthy after {time.monotonic() - killed_at:.1f}s")
        if args.screenshot:
            # A few more samples in the sparkline first.
            WebDriverWait(driver, 30, poll_frequency=0.2).until(lambda d: d.execute_script(
                "const l = document.querySelector('[data-group=\"app\"] polyline');"
                "return l && l.getAttribute('points').split(' ').length >= 8;"))
            driver.save_screenshot(args.screenshot)
            print(f"ok: screenshot in {args.screenshot}")
        stop_traffic.set()
        traffic_thread.join()

        # Drain and activate by click, no token configured.
        click_action(driver, ta, "drain")
        print("ok: " + outcome(driver, r"^200: draining"))
        wait_state(driver, ta, "draining", 5)
        click_action(driver, ta, "activate")
        outcome(driver, r"^200: active")
        wait_state(driver, ta, "healthy", 5)
        print("ok: drain and activate by click")

        # A failed reload whose error quotes HTML: shown as text, no element created.
        payload = "<img src=x onerror=window.__pwned=1>"
        with open(config_path, "w") as f:
            f.write(config_text([port_a, port_b], f'"{payload}" = 1'))
        driver.find_element(By.ID, "reload").click()
        WebDriverWait(driver, 5).until(lambda d: d.switch_to.alert).accept()
        outcome(driver, r"^500: reload failed")
        WebDriverWait(driver, 5, poll_frequency=0.1).until(
            lambda d: payload in (text_of(d, "#reload-errors") or ""))
        assert driver.execute_script("return document.querySelectorAll('img').length") == 0
        assert driver.execute_script("return window.__pwned === undefined")
        shown = driver.execute_script(
            "return [...document.querySelectorAll('#reload-errors li')].map(li => li.innerText)")
        assert any(payload in line for line in shown), shown
        print("ok: reload error with HTML shown as text: " + shown[0])

        # With a token: a drain without it is refused (401), then works once it is entered.
        token_path = os.path.join(workdir, "admin.token")
        with open(token_path, "w") as f:
            f.write("browser-test-token-0123456789\n")
        os.chmod(token_path, 0o600)
        with open(config_path, "w") as f:
            f.write(config_text([port_a, port_b], f'admin_token_file = "{token_path}"'))
        albatross.proc.send_signal(signal.SIGHUP)
        albatross.wait_for(r"configuration reloaded")
        click_action(driver, ta, "drain")
        outcome(driver, r"^401: ")
        assert state_of(driver, ta) == "healthy"
        driver.find_element(By.ID, "token").send_keys("browser-test-token-0123456789")
        driver.find_element(By.CSS_SELECTOR, "#token-form button[type=submit]").click()
        click_action(driver, ta, "drain")
        outcome(driver, r"^200: draining")
        wait_state(driver, ta, "draining", 5)
        assert driver.execute_script(
            "return sessionStorage.getItem('albatross.admin_token')") == \
            "browser-test-token-0123456789"
        assert driver.execute_script("return document.cookie") == ""
        assert "token" not in driver.current_url
        print("ok: drain with a token kept in sessionStorage (401 before it was entered)")

        errors = console_errors(driver)
        assert errors == [], errors
        print("ok: no console errors under the CSP")

        # The endpoint stops answering: the stale marker shows.
        albatross.stop()
        WebDriverWait(driver, 8, poll_frequency=0.1).until(
            lambda d: d.find_element(By.ID, "stale").is_displayed())
        print("ok: stale marker shown once the endpoint stopped answering")
        return 0
    finally:
        if driver:
            driver.quit()
        for child in children:
            try:
                child.stop(signal.SIGKILL)
            except Exception:
                pass
        shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
