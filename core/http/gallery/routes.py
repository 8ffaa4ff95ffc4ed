"""Gallery pages: login, the grid of recent outputs with filters, and a detail page with feedback.

The browser holds the API key in an HttpOnly, SameSite=Strict cookie set by the login page, so
other sites can neither read it nor make the browser send it with a forged form. Pages on another
port of the same host count as the same site, though: every form that changes something also
carries a CSRF token derived from the key (``csrf_token``), which such a page cannot know, and the
cookie opens only these pages, never the API.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Callable
from pathlib import Path as FilePath
from typing import Annotated, Any, TypeVar
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from starlette.concurrency import run_in_threadpool

from aigc.core.errors import InvalidRequestError, NotFoundError
from aigc.core.http.auth import COOKIE_NAME, checked_key_of, key_of
from aigc.core.http.gallery.formatting import FILTERS
from aigc.core.http.gallery.matrix import build_matrix, candidates, traffic_split
from aigc.core.http.gallery.queries import (
    DetailQuery,
    GalleryFilters,
    GridQuery,
    MatrixQuery,
    QueueQuery,
    query_string,
)
from aigc.core.http.gallery.waveform import has_waveform, waveform_svg
from aigc.core.http.routes.artifacts import ArtifactId, artifact_response
from aigc.core.schemas import MAX_ID, FeedbackInput, Generation, GenerationResult
from aigc.core.validation import validate_model
from aigc.storage.api_keys import ApiKey
from aigc.storage.filters import DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE, GenerationFilter

HERE = FilePath(__file__).resolve().parent
COOKIE_MAX_AGE_S = 7 * 24 * 3600
# Everything the pages load comes from this server; the scripts are the gallery's own file only.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; "
    "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
)
templates = Jinja2Templates(directory=HERE / "templates")
templates.env.filters.update(FILTERS)
templates.env.globals["has_waveform"] = has_waveform
GenerationId = Annotated[int, Path(ge=1, le=MAX_ID)]
RequestId = GenerationId  # the same bounds
T = TypeVar("T")


def _viewer(request: Request) -> ApiKey | None:
    return key_of(request, request.cookies.get(COOKIE_NAME))


def csrf_token(api_token: str) -> str:
    """The token the gallery's forms carry: an HMAC of a fixed label under the session's API key,
    so every server process computes the same one and no one without the key can."""
    return hmac.new(api_token.encode(), b"aigc gallery form", hashlib.sha256).hexdigest()


def _csrf_ok(request: Request, form: dict[str, str]) -> bool:
    return hmac.compare_digest(form.get("csrf", ""), csrf_token(request.cookies.get(COOKIE_NAME, "")))


def _forbidden() -> HTMLResponse:
    return HTMLResponse("<h1>Forbidden</h1><p>This form has expired; reload the page.</p>", status_code=403)


def _render(request: Request, template: str, context: dict[str, Any], status: int = 200) -> HTMLResponse:
    response = templates.TemplateResponse(request, template, context, status_code=status)
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    return response


def _page(
    request: Request, viewer: ApiKey, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page for a logged-in viewer; its forms carry the session's CSRF token."""
    context = {"viewer": viewer, "csrf": csrf_token(request.cookies[COOKIE_NAME])} | context
    return _render(request, template, context, status)


def _stored_page(
    request: Request, load: Callable[[int], T], row_id: int, show: Callable[[ApiKey, T], Response]
) -> Response:
    """The page ``show`` makes of what ``load`` finds under ``row_id``; 404 when nothing is stored."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    try:
        found = load(row_id)
    except NotFoundError:
        return HTMLResponse("<h1>Not found</h1>", status_code=404)
    return show(viewer, found)


def _to_login(request: Request) -> RedirectResponse:
    return RedirectResponse("/login?" + urlencode({"next": request.url.path}), status_code=303)


async def _form(request: Request) -> dict[str, str]:
    fields = parse_qs((await request.body()).decode(errors="replace"), keep_blank_values=True)
    return {name: values[0] for name, values in fields.items()}


def _safe_next(target: str) -> str:
    # Only paths on this server: never an open redirect to another site.
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/gallery"


async def login_page(request: Request, next: str = "/gallery") -> Response:
    """The login form: paste an API key."""
    return _render(request, "login.html", {"next": _safe_next(next), "error": None})


async def login(request: Request) -> Response:
    """Check the key and keep it in a cookie."""
    form = await _form(request)
    token = form.get("key", "").strip()
    target = _safe_next(form.get("next", "/gallery"))
    if await run_in_threadpool(checked_key_of, request, token) is None:
        context = {"next": target, "error": "unknown or revoked API key"}
        return _render(request, "login.html", context, 401)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        COOKIE_NAME,
        token,
        max_age=COOKIE_MAX_AGE_S,
        httponly=True,
        samesite="strict",
        secure=request.url.scheme == "https",
    )
    return response


async def logout(request: Request) -> Response:
    """Forget the cookie."""
    if not _csrf_ok(request, await _form(request)):
        return _forbidden()
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(COOKIE_NAME)
    return response


def _filter_context(request: Request, chosen: GalleryFilters) -> dict[str, Any]:
    return {"filters": chosen, "generators": sorted(request.app.state.engine.registry.generators)}


def grid(request: Request) -> Response:
    """Recent outputs, newest first, filtered and paged."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    chosen = validate_model(GridQuery, dict(request.query_params))
    page = chosen.page
    store = request.app.state.engine.store
    offset = (page - 1) * DEFAULT_PAGE_SIZE
    items = store.list_generations(chosen, limit=DEFAULT_PAGE_SIZE, offset=offset)
    total = store.count_generations(chosen)
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // DEFAULT_PAGE_SIZE)),
        "page_url": lambda p: "/gallery?" + query_string(chosen, page=p),
        "card_url": lambda g, i: f"/gallery/{g.id}?" + query_string(chosen, page=None, at=offset + i),
    } | _filter_context(request, chosen)
    return _page(request, viewer, "grid.html", context)


def review_queue(request: Request) -> Response:
    """The next unrated sample matching the filters, large, with its rating form; rating it shows
    the next one."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    query = validate_model(QueueQuery, dict(request.query_params) | {"rated": None})
    unrated = query.model_copy(update={"rated": False})
    store = request.app.state.engine.store
    total = store.count_generations(unrated)
    skip = min(query.skip, max(0, total - 1))
    items = store.list_generations(unrated, limit=1, offset=skip) if total else []
    context = {
        "g": items[0] if items else None,
        "total": total,
        "skip": skip,
        "then": "/gallery/queue?" + query_string(query, skip=skip),
        "skip_url": lambda n: "/gallery/queue?" + query_string(query, skip=n),
    } | _filter_context(request, query)
    return _page(request, viewer, "queue.html", context)


def request_page(request: Request, request_id: RequestId) -> Response:
    """One request: its outputs, each with its ``best_of`` candidates side by side and the kept one marked."""

    def show(viewer: ApiKey, result: GenerationResult) -> Response:
        return _page(request, viewer, "request.html", {"result": result, "outputs": candidates(result)})

    return _stored_page(request, request.app.state.engine.store.get_request, request_id, show)


def matrix(request: Request) -> Response:
    """Prompts by generator versions over the newest stored samples of the chosen generators, with
    each column's pass rate and mean scores, and the recorded model versions' traffic split."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    chosen = validate_model(MatrixQuery, {"generator": request.query_params.getlist("generator")})
    store = request.app.state.engine.store
    if chosen.generator:
        samples = [
            g
            for name in dict.fromkeys(chosen.generator)
            for g in store.list_generations(GenerationFilter(generator=name), limit=MAX_PAGE_SIZE)
        ]
    else:
        samples = store.list_generations(limit=MAX_PAGE_SIZE)
    context = {
        "m": build_matrix(samples),
        "versions": traffic_split(store.model_versions.list(), samples),
        "chosen": chosen.generator,
        "generators": sorted(request.app.state.engine.registry.generators),
        "window": MAX_PAGE_SIZE,
    }
    return _page(request, viewer, "matrix.html", context)


def _listing_links(request: Request, generation: Generation) -> dict[str, str]:
    """For a sample's page opened from the grid: links to the previous and next samples under the
    same filters, back to the grid's page, and to this page again after a rating (none otherwise)."""
    query = validate_model(DetailQuery, dict(request.query_params))
    if query.at is None:
        return {}
    start = max(0, query.at - 1)
    window = request.app.state.engine.store.list_generations(query, limit=3, offset=start)
    here = query.at - start
    if len(window) <= here or window[here].id != generation.id:
        return {}  # the listing has changed since: no neighbours to offer
    links = {
        "list": "/gallery?" + query_string(query, at=None, page=query.at // DEFAULT_PAGE_SIZE + 1),
        "then": f"/gallery/{generation.id}?" + query_string(query, thanks=1),
    }
    if here > 0:
        links["prev"] = f"/gallery/{window[here - 1].id}?" + query_string(query, at=query.at - 1)
    if here + 1 < len(window):
        links["next"] = f"/gallery/{window[here + 1].id}?" + query_string(query, at=query.at + 1)
    return links


def _detail(request: Request, viewer: ApiKey, generation: Generation, **extra: Any) -> HTMLResponse:
    store = request.app.state.engine.store
    result = store.get_request(generation.request_id)
    feedback = {a.id: store.list_feedback(a.id) for a in generation.artifacts}
    links = _listing_links(request, generation)
    context = {"g": generation, "result": result, "feedback": feedback, "links": links}
    context |= {"then": links.get("then")} | extra
    return _page(request, viewer, "detail.html", context, extra.get("status", 200))


def detail(request: Request, generation_id: GenerationId) -> Response:
    """One output: the artifact, its provenance, every evaluation and the feedback form."""

    def show(viewer: ApiKey, generation: Generation) -> Response:
        return _detail(request, viewer, generation)

    return _stored_page(request, request.app.state.engine.store.get_generation, generation_id, show)


async def give_feedback(request: Request, generation_id: GenerationId) -> Response:
    """Store thumbs up/down and a comment, then show the page again."""
    viewer = await run_in_threadpool(_viewer, request)
    if viewer is None:
        return _to_login(request)
    form = await _form(request)
    if not _csrf_ok(request, form):
        return _forbidden()
    store = request.app.state.engine.store
    generation = await run_in_threadpool(store.get_generation, generation_id)
    try:
        feedback = validate_model(
            FeedbackInput,
            {
                "artifact_id": form.get("artifact_id"),
                "rating": form.get("rating"),
                "comment": form.get("comment") or None,
                "author": viewer.name,
            },
        )
        if feedback.artifact_id not in {a.id for a in generation.artifacts}:
            raise InvalidRequestError(
                [
                    {
                        "field": "artifact_id",
                        "value": feedback.artifact_id,
                        "message": "not an artifact of this page",
                    }
                ]
            )
    except InvalidRequestError as error:
        return await run_in_threadpool(_detail, request, viewer, generation, error=str(error), status=422)
    await run_in_threadpool(store.add_feedback, feedback)
    if form.get("then", "").startswith(("/gallery/queue?", f"/gallery/{generation_id}?")):
        return RedirectResponse(_safe_next(form["then"]), status_code=303)
    return RedirectResponse(f"/gallery/{generation_id}?thanks=1", status_code=303)


def artifact(request: Request, artifact_id: ArtifactId) -> Response:
    """An artifact's bytes for the gallery's pages (the API does not take the cookie)."""
    if _viewer(request) is None:
        return Response(status_code=401)
    return artifact_response(request, artifact_id)


def waveform(request: Request, artifact_id: ArtifactId) -> Response:
    """A small SVG of a stored WAV artifact's waveform, drawn on request."""
    if _viewer(request) is None:
        return Response(status_code=401)
    store = request.app.state.engine.store
    if not has_waveform(store.get_artifact(artifact_id).media_type):
        return Response("no waveform for this media type", status_code=404, media_type="text/plain")
    try:
        svg = waveform_svg(store.read_artifact(artifact_id))
    except ValueError:
        return Response("not a readable 16-bit WAV file", status_code=404, media_type="text/plain")
    return Response(svg, media_type="image/svg+xml", headers={"Cache-Control": "private, max-age=86400"})


def install(app: FastAPI) -> None:
    """Add the gallery's pages and stylesheet to ``app`` (outside the OpenAPI document)."""
    app.mount("/gallery/static", StaticFiles(directory=HERE / "static"), name="gallery-static")
    pages: list[tuple[str, Any, list[str]]] = [
        ("/login", login_page, ["GET"]),
        ("/login", login, ["POST"]),
        ("/logout", logout, ["POST"]),
        ("/gallery", grid, ["GET"]),
        ("/gallery/queue", review_queue, ["GET"]),
        ("/gallery/matrix", matrix, ["GET"]),
        ("/gallery/requests/{request_id}", request_page, ["GET"]),
        ("/gallery/{generation_id}", detail, ["GET"]),
        ("/gallery/{generation_id}/feedback", give_feedback, ["POST"]),
        ("/gallery/artifacts/{artifact_id}", artifact, ["GET"]),
        ("/gallery/artifacts/{artifact_id}/waveform.svg", waveform, ["GET"]),
    ]
    for path, endpoint, methods in pages:
        app.add_api_route(
            path, endpoint, methods=methods, include_in_schema=False, response_class=HTMLResponse
        )
