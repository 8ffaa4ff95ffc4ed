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
from pathlib import Path as FilePath
from typing import Annotated, Any
from urllib.parse import parse_qs, urlencode

from fastapi import FastAPI, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates
from pydantic import Field, field_validator
from pydantic_core import PydanticUseDefault
from starlette.concurrency import run_in_threadpool

from aigc.core.errors import InvalidRequestError, NotFoundError
from aigc.core.http.auth import COOKIE_NAME, checked_key_of, key_of
from aigc.core.http.routes.artifacts import ArtifactId, artifact_response
from aigc.core.schemas import MAX_ID, FeedbackInput, Generation
from aigc.core.validation import validate_model
from aigc.storage.api_keys import ApiKey
from aigc.storage.filters import DEFAULT_PAGE_SIZE, MAX_OFFSET, GenerationFilter

HERE = FilePath(__file__).resolve().parent
COOKIE_MAX_AGE_S = 7 * 24 * 3600
templates = Jinja2Templates(directory=HERE / "templates")
GenerationId = Annotated[int, Path(ge=1, le=MAX_ID)]


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


def _page(
    request: Request, viewer: ApiKey, template: str, context: dict[str, Any], status: int = 200
) -> HTMLResponse:
    """A page for a logged-in viewer; its forms carry the session's CSRF token."""
    context = {"viewer": viewer, "csrf": csrf_token(request.cookies[COOKIE_NAME])} | context
    return templates.TemplateResponse(request, template, context, status_code=status)


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
    return templates.TemplateResponse(request, "login.html", {"next": _safe_next(next), "error": None})


async def login(request: Request) -> Response:
    """Check the key and keep it in a cookie."""
    form = await _form(request)
    token = form.get("key", "").strip()
    target = _safe_next(form.get("next", "/gallery"))
    if await run_in_threadpool(checked_key_of, request, token) is None:
        context = {"next": target, "error": "unknown or revoked API key"}
        return templates.TemplateResponse(request, "login.html", context, status_code=401)
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


class GalleryFilters(GenerationFilter):
    """The grid's filters as a browser sends them (an empty field means no filter), and its page."""

    page: int = Field(1, ge=1, le=MAX_OFFSET // DEFAULT_PAGE_SIZE)

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any) -> Any:
        if value == "":
            raise PydanticUseDefault
        return value


def grid(request: Request) -> Response:
    """Recent outputs, newest first, filtered and paged."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    chosen = validate_model(GalleryFilters, dict(request.query_params))
    page = chosen.page
    store = request.app.state.engine.store
    filters = chosen.model_dump(exclude={"page"})
    items = store.list_generations(chosen, limit=DEFAULT_PAGE_SIZE, offset=(page - 1) * DEFAULT_PAGE_SIZE)
    total = store.count_generations(chosen)
    query = {k: v for k, v in filters.items() if v is not None}
    context = {
        "items": items,
        "total": total,
        "page": page,
        "pages": max(1, -(-total // DEFAULT_PAGE_SIZE)),
        "filters": filters,
        "generators": sorted(request.app.state.engine.registry.generators),
        "page_url": lambda p: "/gallery?" + urlencode({**query, "page": p}),
    }
    return _page(request, viewer, "grid.html", context)


def _detail(request: Request, viewer: ApiKey, generation: Generation, **extra: Any) -> HTMLResponse:
    store = request.app.state.engine.store
    result = store.get_request(generation.request_id)
    feedback = {a.id: store.list_feedback(a.id) for a in generation.artifacts}
    context = {"g": generation, "result": result, "feedback": feedback} | extra
    return _page(request, viewer, "detail.html", context, extra.get("status", 200))


def detail(request: Request, generation_id: GenerationId) -> Response:
    """One output: the artifact, its provenance, every evaluation and the feedback form."""
    viewer = _viewer(request)
    if viewer is None:
        return _to_login(request)
    try:
        generation = request.app.state.engine.store.get_generation(generation_id)
    except NotFoundError:
        return HTMLResponse("<h1>Not found</h1>", status_code=404)
    return _detail(request, viewer, generation)


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
    return RedirectResponse(f"/gallery/{generation_id}?thanks=1", status_code=303)


def artifact(request: Request, artifact_id: ArtifactId) -> Response:
    """An artifact's bytes for the gallery's pages (the API does not take the cookie)."""
    if _viewer(request) is None:
        return Response(status_code=401)
    return artifact_response(request, artifact_id)


def install(app: FastAPI) -> None:
    """Add the gallery's pages and stylesheet to ``app`` (outside the OpenAPI document)."""
    app.mount("/gallery/static", StaticFiles(directory=HERE / "static"), name="gallery-static")
    pages: list[tuple[str, Any, list[str]]] = [
        ("/login", login_page, ["GET"]),
        ("/login", login, ["POST"]),
        ("/logout", logout, ["POST"]),
        ("/gallery", grid, ["GET"]),
        ("/gallery/{generation_id}", detail, ["GET"]),
        ("/gallery/{generation_id}/feedback", give_feedback, ["POST"]),
        ("/gallery/artifacts/{artifact_id}", artifact, ["GET"]),
    ]
    for path, endpoint, methods in pages:
        app.add_api_route(
            path, endpoint, methods=methods, include_in_schema=False, response_class=HTMLResponse
        )
