"""One use case of the library: a role's concrete way to use AI in one workflow, validated.

A use case names the roster role it is for (exactly as `people.role`, matched without
regard to case; `any` for every role), the workflow and surface it applies to (null: any),
2 to 8 short steps, a prompt template whose `{placeholders}` are identifiers, the minutes it
is expected to save per run and, optionally, a private practice task.
"""

from __future__ import annotations

import re
import string
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

ANY_ROLE = "any"
ID_PATTERN = r"^[a-z0-9][a-z0-9_.-]{1,79}$"
# Workflow and surface ids as they appear in tasks, events and the workflow catalogue.
KEY_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9_.:/-]{0,119}$"
_KEY = re.compile(KEY_PATTERN)
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
MAX_MINUTES = 480


def _text(value: str, what: str, limit: int) -> str:
    """A stripped one-line text of at most `limit` characters."""
    value = value.strip()
    if not value:
        raise ValueError(f"{what} must not be empty")
    if _CONTROL.search(value):
        raise ValueError(f"{what} must be one line of text (no control characters)")
    if len(value) > limit:
        raise ValueError(f"{what} must be at most {limit} characters (got {len(value)})")
    return value


def check_role(value: str) -> str:
    """Refuse a role that is empty, multi-line or over 120 characters.

    Args:
        value: a roster role such as `financial analyst`.

    Returns:
        The role, stripped.
    """
    return _text(value, "a role", 120)


def check_key(value: str, what: str = "a workflow id") -> str:
    """Refuse a workflow or surface id that is not a plain identifier (e.g. `fin.board_pack`).

    Args:
        value: the id.
        what: what it is, for the message.

    Returns:
        The id.
    """
    if not _KEY.match(value):
        raise ValueError(
            f"{what} is letters, digits and _ . : / - (up to 120, e.g. fin.variance_analysis);"
            f" got {value!r}"
        )
    return value


def placeholders(template: str) -> list[str]:
    """The `{placeholder}` names of a prompt template, in order of appearance.

    Args:
        template: the prompt text (`{{` and `}}` are literal braces).

    Returns:
        The names.

    Raises:
        ValueError: when a brace is unbalanced or a placeholder is not an identifier.
    """
    try:
        parts = list(string.Formatter().parse(template))
    except ValueError:
        raise ValueError("has an unbalanced { or } (write {{ or }} for a literal brace)") from None
    names: list[str] = []
    for _, name, spec, conversion in parts:
        if name is None:
            continue
        if not name.isidentifier() or spec or conversion:
            shown = name + (f"!{conversion}" if conversion else "") + (f":{spec}" if spec else "")
            raise ValueError(
                f"placeholder {{{shown}}} is not a plain name such as {{account}} "
                "(letters, digits and _)"
            )
        names.append(name)
    return names


class UseCase(BaseModel):
    """A role's concrete, repeatable way to use AI in one workflow."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    id: str = Field(
        pattern=ID_PATTERN,
        strict=True,
        description="Unique slug: lower-case letters, digits, _ . - (2 to 80 characters).",
    )
    role: str = Field(
        strict=True, description="The roster role it is for, as in people.role; `any`: every role."
    )
    title: str = Field(strict=True, description="What it does, in a few words.")
    workflow: str | None = Field(
        None, strict=True, description="The workflow id it applies to (null: any workflow)."
    )
    surface: str | None = Field(
        None, strict=True, description="Where it happens: excel, vscode, outlook … (null: any)."
    )
    steps: list[str] = Field(
        min_length=2, max_length=8, strict=True, description="2 to 8 short steps."
    )
    prompt: str = Field(
        strict=True, description="A prompt template; {placeholders} are identifiers."
    )
    minutes_saved: float = Field(
        gt=0,
        le=MAX_MINUTES,
        strict=True,
        description="Expected minutes saved per run (more than 0, at most 480).",
    )
    tags: list[str] = Field(default_factory=list, strict=True, max_length=12)
    practice: str | None = Field(
        None, strict=True, description="A private practice task (for the practice card)."
    )

    @field_validator("role")
    @classmethod
    def _role(cls, value: str) -> str:
        return check_role(value)

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        return _text(value, "a title", 120)

    @field_validator("workflow")
    @classmethod
    def _workflow(cls, value: str | None) -> str | None:
        return None if value is None else check_key(value)

    @field_validator("surface")
    @classmethod
    def _surface(cls, value: str | None) -> str | None:
        return None if value is None else check_key(value, "a surface")

    @field_validator("steps")
    @classmethod
    def _steps(cls, value: list[str]) -> list[str]:
        return [_text(s, "a step", 200) for s in value]

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return [_text(t, "a tag", 40) for t in value]

    @field_validator("prompt")
    @classmethod
    def _prompt(cls, value: str) -> str:
        value = value.strip()
        if not value:
            raise ValueError("a prompt must not be empty")
        if len(value) > 2000:
            raise ValueError(f"a prompt must be at most 2000 characters (got {len(value)})")
        placeholders(value)
        return value

    @field_validator("practice")
    @classmethod
    def _practice(cls, value: str | None) -> str | None:
        if value is None:
            return None
        value = value.strip()
        if not value or len(value) > 1000:
            raise ValueError("a practice task is 1 to 1000 characters")
        return value

    @property
    def any_role(self) -> bool:
        """Whether it is for every role (`role: any`)."""
        return self.role.casefold() == ANY_ROLE

    def fits(self, role: str | None) -> bool:
        """Whether it is for this role (case-insensitive) or for any role.

        Args:
            role: a roster role, or None (every use case fits).

        Returns:
            True when it fits.
        """
        return role is None or self.any_role or self.role.casefold() == role.strip().casefold()

    def to_dict(self) -> dict[str, Any]:
        """The use case as JSON, with its prompt's placeholder names."""
        return {**self.model_dump(), "placeholders": placeholders(self.prompt)}


FIELDS = tuple(UseCase.model_fields)
