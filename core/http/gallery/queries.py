"""What a gallery page's URL asks for: its filters (an empty form field means no filter), its
place in a listing, and the query string that keeps them in the page's links."""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticUseDefault

from aigc.core.specs import NAME_PATTERN
from aigc.storage.filters import DEFAULT_PAGE_SIZE, MAX_OFFSET, GenerationFilter

MAX_MATRIX_COLUMNS = 8  # generators compared at once


class GalleryFilters(GenerationFilter):
    """Filters as a browser sends them: an empty field means no filter."""

    @field_validator("*", mode="before")
    @classmethod
    def _blank_is_default(cls, value: Any) -> Any:
        if value == "":
            raise PydanticUseDefault
        return value


class GridQuery(GalleryFilters):
    """The grid's filters and its page."""

    page: int = Field(1, ge=1, le=MAX_OFFSET // DEFAULT_PAGE_SIZE)


class QueueQuery(GalleryFilters):
    """The review queue's filters and how many unrated samples to skip."""

    skip: int = Field(0, ge=0, le=MAX_OFFSET)


class DetailQuery(GalleryFilters):
    """A sample's page opened from the grid: the grid's filters and the sample's place in them."""

    at: int | None = Field(None, ge=0, le=MAX_OFFSET)


class MatrixQuery(BaseModel):
    """The generators whose samples the matrix compares (all recent samples when none)."""

    generator: list[Annotated[str, Field(pattern=NAME_PATTERN)]] = Field(
        default_factory=list, max_length=MAX_MATRIX_COLUMNS
    )


def query_string(filters: BaseModel, **extra: Any) -> str:
    """The URL query of ``filters`` and ``extra`` (set values only): a page's filters, kept in its links."""
    fields = {k: v for k, v in (filters.model_dump() | extra).items() if v is not None}
    return urlencode({k: str(v).lower() if isinstance(v, bool) else v for k, v in fields.items()})
