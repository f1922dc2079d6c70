"""The whole procedure in a real headless Chromium against a server on 127.0.0.1.

An enterprise logs in, applies for cultivation, uploads the (qualifying variant of the) example
factory, watches the computation, sees its score and submits; its district approves, reviews and
recommends; the city assigns an expert, who reviews; the city passes it and opens the public
notice; after the notice's 7 working days the city lists it and the factory appears on the
public list. A screenshot of every page is saved under ``test-artifacts/web/``.

Chromium and ChromeDriver come from Debian's packages (``.ci/run`` installs them); in CI
(``CI=true``) this test never skips.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import tempfile
import time
from pathlib import Path

import pytest

from qualified import example_files
from webtest import A, ROOT

ARTIFACTS = ROOT / "test-artifacts" / "web"
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
DRIVER = shutil.which("chromedriver")

if not (CHROMIUM and DRIVER):
    if os.environ.get("CI"):
        raise RuntimeError("CI=true but chromium/chromedriver are missing: .ci/run installs "
                           "the Debian packages chromium and chromium-driver")
    pytest.skip("chromium and chromium-driver not installed (apt-get install chromium "
                "chromium-driver)", allow_module_level=True)


@pytest.fixture
def browser(tmp_path):
    os.environ.setdefault("SE_OFFLINE", "true")  # never let Selenium Manager download a driver
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    opts = webdriver.ChromeOptions()
    opts.binary_location = CHROMIUM
    for flag in ("--headless=new", "--no-sandbox", "--disable-gpu", "--disable-quic",
                 "--no-first-run", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
                 "--window-size=1280,1400", f"--user-data-dir={tmp_path / 'chromium'}"):
        opts.add_argument(flag)
    drv = webdriver.Chrome(service=Service(DRIVER), options=opts)
    drv.implicitly_wait(5)
    yield drv
    drv.quit()


def _shot(drv, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    drv.save_screenshot(str(path))
    assert path.stat().st_size > 5000, f"screenshot {name} is empty"


def _login(drv, server, username: str) -> None:
    drv.delete_all_cookies()
    drv.get(server.url + "/login")

    def fill() -> None:
        drv.find_element("id", "username").send_keys(username)
        drv.find_element("id", "password").send_keys("correct horse battery")

    _attached(drv, fill)
    _click(drv, "#login-button")


def _attached(drv, action) -> None:
    """Run ``action`` (element lookups and one interaction) on the complete current page; if an
    element belonged to a document being replaced (a redirect still loading), look again after a
    pause, for at most a minute."""
    from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    deadline = time.monotonic() + 60
    while True:
        WebDriverWait(drv, 120).until(
            lambda d: d.execute_script("return document.readyState") == "complete")
        try:
            action()
            return
        except StaleElementReferenceException:
            if time.monotonic() > deadline:
                raise
        except WebDriverException as exc:
            if "does not belong to the document" not in str(exc) or time.monotonic() > deadline:
                raise
        time.sleep(0.2)


def _click(drv, css: str) -> None:
    """Click a button or link that loads a new page, and wait until the new page is there (so
    the next lookup never finds an element of the old one).

    The old page is recognised by a mark set on its ``window`` before the click: every new
    document gets a new ``window``, so the wait never touches an element of the old document
    (asking a replaced node whether it is stale is itself an error in some Chromium builds)."""
    from selenium.common.exceptions import WebDriverException
    from selenium.webdriver.support.ui import WebDriverWait

    def click() -> None:
        drv.execute_script("window.__carbonOldPage = true")
        drv.find_element("css selector", css).click()

    def new_page_loaded(d) -> bool:
        try:
            return bool(d.execute_script(
                "return window.__carbonOldPage !== true && document.readyState === 'complete'"))
        except WebDriverException:  # the script ran while the documents were being swapped
            return False

    _attached(drv, click)
    WebDriverWait(drv, 120).until(new_page_loaded)


def _type(drv, css: str, text: str) -> None:
    """Type ``text`` into the field ``css`` of the complete current page."""
    _attached(drv, lambda: drv.find_element("css selector", css).send_keys(text))


def _upload(drv, paths: str, shot: str | None = None, timeout: float = 180) -> str:
    """Upload ``paths`` (newline-separated) from the enterprise page, wait on the job page
    until the job has ended (at most ``timeout`` [s]), and return its status."""
    from selenium.webdriver.support.ui import WebDriverWait

    _type(drv, "#upload-files", paths)
    _click(drv, "#upload-button")
    WebDriverWait(drv, 60).until(lambda d: "/jobs/" in d.current_url)
    if shot:
        _shot(drv, shot)
    WebDriverWait(drv, timeout).until(
        lambda d: d.find_element("id", "job-status").text in ("done", "failed"))
    return drv.find_element("id", "job-status").text


def _row(code: str, button: str) -> str:
    return f"tr[data-code='{code}'] .{button}"


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_enterprise_district_city_walk_to_the_published_list(server, browser):
    server.account("factory", "enterprise", A, "合肥示例空调制造有限公司")
    server.account("jingkai", "district", "经开区")
    server.account("city", "city")
    server.account("expert1", "expert")
    drv = browser

    # the enterprise applies for this year's cultivation plan
    _login(drv, server, "factory")
    assert "企业工作台" in drv.page_source
    from selenium.webdriver.support.ui import Select

    Select(drv.find_element("css selector", "#apply-form select[name='district']")
           ).select_by_visible_text("经开区")
    _click(drv, "#apply-button")
    _shot(drv, "01-enterprise-applied")
    assert "apply" in drv.find_element("id", "history").text

    _login(drv, server, "jingkai")
    _click(drv, _row(A, "approve-button"))
    _shot(drv, "02-district-approved")

    # the enterprise uploads the example and watches the computation
    _login(drv, server, "factory")
    tmp = Path(tempfile.mkdtemp())
    for name, data in example_files():
        (tmp / name).write_bytes(data)
    status = _upload(drv, "\n".join(str(tmp / n) for n, _ in example_files()), "03-computing")
    assert status == "done", drv.find_element("id", "job-error").text
    _click(drv, "#results-link")
    _shot(drv, "04-results-and-score")
    assert drv.find_element("id", "eligible").text.startswith("满足")
    score = float(drv.find_element("id", "total-score").text)
    assert 0 < score <= 100
    _click(drv, "#report-link")
    _shot(drv, "04b-self-evaluation-report")
    assert "评价报告" in drv.title or "评价报告" in drv.page_source
    assert f"{score:.1f}" in drv.page_source or f"{score:.2f}" in drv.page_source
    drv.get(server.url + "/enterprise")
    _click(drv, ".submit-button")
    _shot(drv, "05-submitted")
    assert "submit" in drv.find_element("id", "history").text

    # the district reviews and recommends, with its ranking on the page
    _login(drv, server, "jingkai")
    _click(drv, _row(A, "review-button"))
    assert A[-4:] in drv.find_element("id", "ranking").text or "合肥示例" in drv.page_source
    _click(drv, _row(A, "recommend-button"))
    _shot(drv, "06-district-recommended")

    # the city assigns an expert, the expert reviews, the city passes it and opens the notice
    _login(drv, server, "city")
    _type(drv, f"tr[data-code='{A}'] input[name='experts']", "expert1")
    _click(drv, _row(A, "assign-button"))
    _login(drv, server, "expert1")
    _type(drv, "input[name='score']", "86")
    _click(drv, ".expert-review-button")
    _shot(drv, "07-expert-reviewed")
    _login(drv, server, "city")
    _click(drv, _row(A, "city-review-button"))
    _click(drv, _row(A, "notice-button"))
    _shot(drv, "08-city-notice-opened")

    # the public sees the notice and its end date: 7 working days after 2025-01-06
    drv.delete_all_cookies()
    drv.get(server.url + "/")
    ends = drv.find_element("css selector", ".notice-ends").text
    assert ends == "2025-01-15"
    _shot(drv, "09-public-notice")

    # listing during the notice is refused with the rule named
    _login(drv, server, "city")
    _click(drv, _row(A, "list-button"))
    assert "rule" in drv.find_element("id", "error-message").text
    _shot(drv, "10-listing-refused-during-notice")

    # the notice ends; the city lists the factory; it appears on the public list
    server.clock.set(dt.date(2025, 1, 16))
    drv.get(server.url + "/city")
    _click(drv, _row(A, "list-button"))
    drv.delete_all_cookies()
    drv.get(server.url + "/")
    names = [e.text for e in drv.find_elements("css selector", ".listed-name")]
    assert names == ["合肥示例空调制造有限公司 (Hefei Example Air-Conditioner Co., fictitious)"] or \
        any("合肥示例" in n for n in names), names
    _shot(drv, "11-public-list")

    # at the year end the listed factory files its dynamic management table (动态管理表)
    server.clock.set(dt.date(2025, 12, 15))
    _login(drv, server, "factory")
    _type(drv, "input[name='year']", "2025")
    _click(drv, "form[action='/act/file'] button")
    _shot(drv, "12-dynamic-table-filed")
    assert "file" in drv.find_element("id", "history").text


@pytest.mark.parametrize("db_url", ["sqlite"], indirect=True)
def test_enterprise_uploads_a_verifier_bundle_and_sees_the_verdict(server, browser, good_bundle,
                                                                   hostile_bundles, tmp_path):
    """An enterprise uploads a bundle written by ``carbon bundle``: the page shows the
    verification and computation in progress, then the verdict beside the results and score;
    a tampered bundle ends on a clear error with the member that changed, and its verdict."""
    from selenium.webdriver.support.ui import WebDriverWait

    server.account("factory", "enterprise", A, "合肥示例空调制造有限公司")
    drv = browser
    _login(drv, server, "factory")
    status = _upload(drv, str(good_bundle), "20-bundle-verifying")
    assert status == "done", drv.find_element("id", "job-error").text
    _click(drv, "#results-link")
    _shot(drv, "21-bundle-verified-results")
    assert drv.find_element("id", "verdict").text == "核查通过 VERIFIED"
    assert len(drv.find_element("id", "bundle-root").text) == 64
    assert "all fields reproduce" in drv.find_element("id", "bundle-recomputed").text
    assert drv.find_element("id", "eligible").text.startswith("满足")

    tampered = tmp_path / "tampered.bundle"
    tampered.write_bytes(hostile_bundles["tampered (hash mismatch)"][0])
    drv.get(server.url + "/enterprise")
    assert _upload(drv, str(tampered), timeout=120) == "failed"
    WebDriverWait(drv, 10).until(lambda d: d.find_element("id", "job-failed").is_displayed()
                                 and d.find_element("id", "job-verdict").is_displayed())
    error = drv.find_element("id", "job-error").text
    assert "NOT VERIFIED" in error and "inventory/inventory.toml" in error
    _shot(drv, "22-bundle-tampered-refused")
    _click(drv, "#verdict-link")
    assert drv.find_element("id", "verdict").text == "核查未通过 NOT VERIFIED"
    assert "changed" in drv.find_element("id", "bundle-integrity").text
    _shot(drv, "23-bundle-tampered-verdict")
