"""The gallery in headless Chromium: log in, see images render, filter, give feedback, find it stored."""

from __future__ import annotations

import shutil
from collections.abc import Iterator

import pytest

from tests.http.live_server import LiveServer
from tests.http.tone_plugin import TonePlugin

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
pytestmark = pytest.mark.skipif(
    CHROMIUM is None,
    reason="no chromium binary on PATH (CI installs Debian's chromium; apt-get install chromium)",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def outputs(server: LiveServer) -> dict[str, list[int]]:
    engine = server.engine
    gan = engine.generate(
        {
            "generator": "image-gan",
            "options": {"label": 7},
            "n": 3,
            "seed": 70,
            "evaluators": ["image-class-match"],
        }
    )
    vae = engine.generate({"generator": "image-vae", "options": {"label": 1}, "n": 2, "seed": 10})
    text = engine.generate(
        {
            "generator": "text-transformer",
            "prompt": "And God said",
            "seed": 1,
            "options": {"max_new_tokens": 16},
        }
    )
    engine.registry.add(TonePlugin(), "tone")
    tone = engine.generate({"generator": "tone", "seed": 4})
    named = (("gan", gan), ("vae", vae), ("text", text), ("tone", tone))
    return {name: [g.id for g in r.generations] for name, r in named}


def test_review_in_the_gallery(server: LiveServer, browser, outputs: dict[str, list[int]]) -> None:
    page = browser.new_page()
    page.goto(f"{server.url}/gallery")
    assert page.url.startswith(f"{server.url}/login")
    page.fill("input[name=key]", server.keys["read"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/gallery")

    # Images render: every picture on the page has loaded with real pixels.
    page.wait_for_function("[...document.images].length > 0 && [...document.images].every(i => i.complete)")
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    assert len(widths) == 5 and all(w > 0 for w in widths)
    assert page.locator(".card .text").count() == 1  # the text sample is a card of text
    assert page.locator(".badge.accepted, .badge.rejected").count() == 7
    # Audio gets a player that can load and decode the stored WAV (0.5 s).
    player = f"[data-generation='{outputs['tone'][0]}'] audio"
    duration = page.eval_on_selector(
        player,
        "a => new Promise((ok, fail) => {"
        " a.onloadedmetadata = () => ok(a.duration); a.onerror = () => fail(a.error.message); a.load(); })",
    )
    assert abs(duration - 0.5) < 0.01
    assert "image-class-match/class_match" in page.inner_text(f"[data-generation='{outputs['gan'][0]}']")

    # Filter by generator.
    page.select_option("select[name=generator]", "image-vae")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**generator=image-vae**")
    cards = page.locator(".card")
    assert cards.count() == 2 and page.inner_text("#count") == "2 outputs"
    assert all("image-vae" in cards.nth(i).inner_text() for i in range(2))

    # Filter by an evaluator's metric instead: only the evaluated GAN samples have class_match.
    page.select_option("select[name=generator]", "")
    page.fill("input[name=metric]", "class_match")
    page.fill("input[name=min_metric_score]", "0.5")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**metric=class_match**")
    assert page.inner_text("#count") == "3 outputs"
    page.go_back()
    page.wait_for_url("**generator=image-vae**")

    # Open one, read its provenance, give it a thumbs down with a comment.
    target = outputs["vae"][0]
    page.click(f"[data-generation='{target}'] a.open")
    page.wait_for_url(f"**/gallery/{target}")
    assert (
        "seed" in page.inner_text("table")
        and server.engine.store.get_generation(target).key in page.content()
    )
    assert "no item-level evaluations" in page.inner_text(".detail")
    page.fill("textarea[name=comment]", "too faint")
    page.click("button[name=rating][value='-1']")
    page.wait_for_selector("#thanks")
    artifact_id = server.engine.store.get_generation(target).artifacts[0].id
    [feedback] = server.engine.store.list_feedback(artifact_id)
    assert (feedback.rating, feedback.comment, feedback.author) == (-1, "too faint", "test-read")
    assert "too faint" in page.inner_text(".detail")
    page.close()
