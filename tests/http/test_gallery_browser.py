"""The gallery in headless Chromium: log in, see images render, filter, give feedback, find it stored;
every page reads cleanly (rounded numbers, words for booleans, nothing overflowing its box)."""

from __future__ import annotations

import io
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from PIL import Image

from aigc.core.schemas import GenerationResult
from aigc.storage.filters import GenerationFilter
from tests.http.live_server import LiveServer
from tests.http.review_plugin import LONG_ERROR, ReviewPlugin
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

    def judged_gan(label: int, seed: int, **counts: int) -> GenerationResult:
        request = {"generator": "image-gan", "options": {"label": label}, "seed": seed}
        return engine.generate(request | {"evaluators": ["image-class-match"]} | counts)

    gan = judged_gan(7, seed=70, n=3)
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
    engine.registry.add(ReviewPlugin(), "review")
    conversation = [
        {"role": "system", "content": "Answer backwards."},
        {"role": "user", "content": "https://example.com/" + "a-very-long-path-" * 12 + " hello there"},
    ]
    chat = engine.generate(
        {"generator": "echo-chat", "messages": conversation, "seed": 5, "evaluators": ["broken-judge"]}
    )
    best = judged_gan(3, seed=30, best_of=3)
    named = (("gan", gan), ("vae", vae), ("text", text), ("tone", tone), ("chat", chat), ("best", best))
    return {name: [g.id for g in r.generations] for name, r in named}


def test_review_in_the_gallery(server: LiveServer, browser, outputs: dict[str, list[int]]) -> None:
    page = browser.new_page()
    page.goto(f"{server.url}/gallery")
    assert page.url.startswith(f"{server.url}/login")
    page.fill("input[name=key]", server.keys["read"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/gallery")

    # Images render: every picture on the page has loaded with real pixels.
    page.wait_for_function(
        "() => [...document.images].length > 0 && [...document.images].every(i => i.complete)"
    )
    widths = page.eval_on_selector_all("img", "imgs => imgs.map(i => i.naturalWidth)")
    pictures = len(outputs["gan"]) + len(outputs["vae"]) + len(outputs["best"])
    assert len(widths) == pictures + 1 and all(w > 0 for w in widths)  # and the tone's waveform
    assert page.locator(".card .text").count() == 2  # the text and chat samples are cards of text
    assert page.locator(".badge.accepted, .badge.rejected").count() == sum(map(len, outputs.values()))
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

    # Filter by an evaluator's metric instead: only the evaluated GAN samples have class_match (all
    # of them above 0.5 with these seeds).
    page.select_option("select[name=generator]", "")
    page.fill("input[name=metric]", "class_match")
    page.fill("input[name=min_metric_score]", "0.5")
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**metric=class_match**")
    assert page.inner_text("#count") == f"{len(outputs['gan']) + len(outputs['best'])} outputs"
    page.go_back()
    page.wait_for_url("**generator=image-vae**")

    # Open one, read its provenance, give it a thumbs down with a comment.
    target = outputs["vae"][0]
    page.click(f"[data-generation='{target}'] a.open")
    page.wait_for_url(f"**/gallery/{target}?generator=image-vae&at=*")
    assert (
        "seed" in page.inner_text("table")
        and server.engine.store.get_generation(target).key in page.content()
    )
    assert "no item-level evaluations" in page.inner_text(".detail")
    page.fill("textarea[name=comment]", "too faint")
    page.click("button[name=rating][value='-1']")
    page.wait_for_selector("#thanks")
    assert "generator=image-vae" in page.url  # still in the filtered list
    artifact_id = server.engine.store.get_generation(target).artifacts[0].id
    [feedback] = server.engine.store.list_feedback(artifact_id)
    assert (feedback.rating, feedback.comment, feedback.author) == (-1, "too faint", "test-read")
    assert "too faint" in page.inner_text(".detail")
    page.close()


# Where the tests save a picture of each page for the docs (docs/images); unset: nowhere.
SCREENSHOTS = os.environ.get("AIGC_GALLERY_SCREENSHOTS")


def _screenshot(page, name: str) -> None:
    """Save the visible part of ``page`` as gallery-``name``.png when screenshots are asked for, in
    256 colours (a few tens of KB: small enough to keep in the repository)."""
    if not SCREENSHOTS:
        return
    path = Path(SCREENSHOTS) / f"gallery-{name}.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    picture = Image.open(io.BytesIO(page.screenshot())).convert("RGB")
    picture.quantize(colors=256, dither=Image.Dither.NONE).save(path, optimize=True)


# Text a person should never have to read: float noise and Python's spellings of booleans and nothing.
UNREADABLE = r"\d\.\d{6,}|\b(True|False|None|nan)\b"
FIND_UNREADABLE = """pattern => {
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const found = [];
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    // Generated text, prompts and the raw detail of errors and options are shown as they are.
    if (node.parentElement.closest('.text, pre, code, script')) continue;
    if (new RegExp(pattern).test(node.textContent)) found.push(node.textContent.trim());
  }
  return found;
}"""
# Boxes whose content is wider than they are (one-line error summaries cut with … on purpose excepted).
FIND_OVERFLOWING = """() => [...document.querySelectorAll('body *')].filter(e => {
  const style = getComputedStyle(e);
  if (style.display === 'inline' || style.textOverflow === 'ellipsis') return false;
  if (e.closest('dialog:not([open])')) return false;
  return e.scrollWidth > e.clientWidth + 1;
}).map(e => e.tagName + '.' + e.className + ': ' + e.textContent.slice(0, 60))"""


def _logged_in(server: LiveServer, browser, width: int = 1280):
    page = browser.new_page(viewport={"width": width, "height": 900})
    page.goto(f"{server.url}/login")
    page.fill("input[name=key]", server.keys["read"])
    page.click("button[type=submit]")
    page.wait_for_url(f"{server.url}/gallery")
    return page


def _assert_readable(page) -> None:
    assert page.eval_on_selector("html", "h => h.scrollWidth <= h.clientWidth"), "the page scrolls sideways"
    assert page.evaluate(FIND_UNREADABLE, UNREADABLE) == []
    assert page.evaluate(FIND_OVERFLOWING) == []
    assert page.locator(".notice.error").count() == 0


@pytest.mark.parametrize("width", [1280, 420])
def test_every_page_reads_cleanly(
    server: LiveServer, browser, outputs: dict[str, list[int]], width: int
) -> None:
    page = _logged_in(server, browser, width)
    request_id = server.engine.store.get_generation(outputs["best"][0]).request_id
    pages = {
        "grid": "/gallery",
        **{name: f"/gallery/{ids[0]}" for name, ids in outputs.items()},
        "request": f"/gallery/requests/{request_id}",
        "matrix": "/gallery/matrix?generator=image-gan&generator=text-transformer&generator=echo-chat",
        "all-matrix": "/gallery/matrix",
        "queue": "/gallery/queue",
    }
    for name, path in pages.items():
        page.goto(server.url + path, wait_until="networkidle")
        _assert_readable(page)
        if width == 1280 and name in ("grid", "gan", "chat", "request", "matrix", "queue"):
            _screenshot(page, name)
    page.keyboard.press("?")
    if width == 1280:
        _screenshot(page, "keys")
    page.close()


def test_outputs_show_as_what_they_are(server: LiveServer, browser, outputs: dict[str, list[int]]) -> None:
    page = _logged_in(server, browser)
    # An evaluator's error is one line; its whole text opens on demand.
    card = page.locator(f"[data-generation='{outputs['chat'][0]}']")
    error = card.locator("details.error")
    assert error.locator("pre").is_hidden()
    assert error.locator("summary").bounding_box()["height"] < 30
    error.locator("summary").click()
    assert error.locator("pre").inner_text() == LONG_ERROR
    # A chat is a transcript: the conversation's turns, then the answer.
    roles = card.locator(".bubble .role").all_inner_texts()
    assert [r.lower() for r in roles] == ["system", "user", "assistant"]
    assert "there hello https://example.com/" in card.locator(".bubble.output").inner_text()
    # Text follows its prompt; audio has a drawn waveform beside its player.
    assert page.inner_text(f"[data-generation='{outputs['text'][0]}'] .text .prompt") == "And God said"
    waveform = page.locator(f"[data-generation='{outputs['tone'][0]}'] img.waveform")
    assert waveform.evaluate("i => i.complete && i.naturalWidth > 0")
    # Scores are rounded on the card and on the page.
    gan = outputs["gan"][0]
    assert re.search(
        r"image-class-match/class_match \d\.\d\d\b", page.inner_text(f"[data-generation='{gan}']")
    )
    page.goto(f"{server.url}/gallery/{gan}")
    assert re.search(r"\d+(\.\d)? ms", page.inner_text("table.provenance"))
    # A picture opens large on a click.
    page.click(".artifact img.zoom")
    assert page.locator("dialog.zoomed img").bounding_box()["width"] >= 400
    page.keyboard.press("Escape")
    page.locator("dialog.zoomed").wait_for(state="detached")
    page.close()


def test_best_of_candidates_side_by_side(server: LiveServer, browser, outputs: dict[str, list[int]]) -> None:
    page = _logged_in(server, browser)
    page.goto(f"{server.url}/gallery/{outputs['best'][0]}")
    page.click("table.provenance a[href^='/gallery/requests/']")
    page.wait_for_url("**/gallery/requests/*")
    candidates = page.locator(".candidates .candidate")
    assert candidates.count() == len(outputs["best"]) == 3
    stored = {g.id: g for g in (server.engine.store.get_generation(i) for i in outputs["best"])}
    kept = [g for g in stored.values() if g.status == "accepted"]
    assert page.locator(".candidate.kept").count() == len(kept) == 1
    [winner] = kept
    assert page.locator(".candidate.kept .card").get_attribute("data-generation") == str(winner.id)
    assert f"{winner.score:.2f}" in page.inner_text(".candidate.kept")
    # The losers say which candidate was kept, with its score.
    assert page.locator(".candidate:not(.kept)").first.inner_text().count("was kept") == 1


def test_matrix_compares_generators_over_inputs(
    server: LiveServer, browser, outputs: dict[str, list[int]]
) -> None:
    page = _logged_in(server, browser)
    page.goto(f"{server.url}/gallery/matrix")
    page.select_option("select[name=generator]", ["image-gan", "text-transformer"])
    page.click("form.filters button[type=submit]")
    page.wait_for_url("**generator=image-gan&generator=text-transformer")
    headers = page.locator("table.matrix th.column").all_inner_texts()
    assert [h.split()[0] for h in headers] == ["image-gan", "text-transformer"]
    gan = server.engine.store.list_generations(GenerationFilter(generator="image-gan"))
    accepted = sum(g.status == "accepted" for g in gan)
    pass_rates = page.locator("tr.summary").first.locator("td").all_inner_texts()
    assert pass_rates[0] == f"{round(100 * accepted / len(gan))}% of {len(gan)}"
    text_row = page.locator("table.matrix tbody tr", has_text="And God said")
    assert text_row.locator("td.cell").nth(0).inner_text() == "—"  # the GAN never had this prompt
    assert text_row.locator("td.cell .text").count() == 1
    page.go_back()
    page.wait_for_url(f"{server.url}/gallery/matrix")


def test_review_with_the_keyboard(server: LiveServer, browser, outputs: dict[str, list[int]]) -> None:
    page = _logged_in(server, browser)
    # j/k select cards, Enter opens the selected one; ? shows the keys.
    page.keyboard.press("j")
    page.keyboard.press("j")
    page.keyboard.press("k")
    first = page.locator(".card").first.get_attribute("data-generation")
    assert page.locator(".card.selected").get_attribute("data-generation") == first
    page.keyboard.press("?")
    assert page.locator("#help").is_visible()
    page.keyboard.press("Escape")
    assert page.locator("#help").is_hidden()
    page.keyboard.press("Enter")
    page.wait_for_url(f"**/gallery/{first}?at=0")
    # On a sample's page, j/k go through the list it was opened from, and it links back.
    second = page.locator("[rel=next]").get_attribute("href")
    page.keyboard.press("j")
    page.wait_for_url(f"**{second}")
    assert page.locator("[rel=prev]").get_attribute("href") == f"/gallery/{first}?at=0"
    page.keyboard.press("k")
    page.wait_for_url(f"**/gallery/{first}?at=0")
    page.click("text=back to the list")
    page.wait_for_url(f"{server.url}/gallery?page=1")

    # The review queue: unrated samples only; j skips, k goes back, 1-5 rate and move on.
    page.goto(f"{server.url}/gallery/queue?generator=image-gan")
    store = server.engine.store
    unrated = store.count_generations(GenerationFilter(generator="image-gan", rated=False))
    assert unrated == len(outputs["gan"]) + len(outputs["best"])
    assert page.inner_text("#queue-count").startswith(f"{unrated} unrated")
    shown = page.get_attribute(".queue", "data-generation")
    page.keyboard.press("j")
    page.wait_for_url("**skip=1**")
    assert page.get_attribute(".queue", "data-generation") != shown
    page.keyboard.press("k")
    page.wait_for_url("**skip=0**")
    assert page.get_attribute(".queue", "data-generation") == shown
    page.keyboard.press("4")
    page.wait_for_function(f"() => document.querySelector('.queue').dataset.generation !== '{shown}'")
    assert page.inner_text("#queue-count").startswith(f"{unrated - 1} unrated")
    assert "generator=image-gan" in page.url  # the filters stay
    artifact = store.get_generation(int(shown)).artifacts[0].id
    assert [(f.rating, f.author) for f in store.list_feedback(artifact)] == [(4, "test-read")]
    second = page.get_attribute(".queue", "data-generation")
    page.keyboard.press("1")  # one star: stored as -1, like thumbs down
    page.wait_for_function(f"() => document.querySelector('.queue').dataset.generation !== '{second}'")
    assert [f.rating for f in store.list_feedback(store.get_generation(int(second)).artifacts[0].id)] == [-1]
    # Typing a comment does not rate.
    page.click("textarea[name=comment]")
    page.keyboard.type("5 stars would be too many")
    page.wait_for_timeout(300)
    assert page.inner_text("#queue-count").startswith(f"{unrated - 2} unrated")
    assert store.count_generations(GenerationFilter(generator="image-gan", rated=False)) == unrated - 2
    page.close()
