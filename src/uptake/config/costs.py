"""Settings for seat and usage costs across tools (one reporting currency)."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

_CODE = "^[A-Z]{3}$"


class Rates(BaseModel):
    """Exchange rates into the reporting currency, one line per currency in `[costs.rates]`.

    Each key is an ISO 4217 code and its value how many units of `costs.currency` one unit
    of it is worth, e.g. `EUR = 1.08` when reporting in USD. A cost in a currency without a
    rate is shown as "not available: needs a rate for XYZ in costs.rates", never summed.
    """

    model_config = ConfigDict(extra="allow")

    @model_validator(mode="before")
    @classmethod
    def _codes(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        out: dict[str, float] = {}
        for code, rate in data.items():
            key = str(code).strip().upper()
            if len(key) != 3 or not key.isalpha():
                raise ValueError(f"costs.rates: {code!r} is not an ISO 4217 currency code")
            try:
                value = float(rate)
            except (TypeError, ValueError):
                raise ValueError(f"costs.rates: the rate for {key} is not a number") from None
            if not value > 0:
                raise ValueError(f"costs.rates: the rate for {key} must be above 0")
            out[key] = value
        return out

    def as_dict(self) -> dict[str, float]:
        """Currency code → rate."""
        return {str(k): float(v) for k, v in (self.model_extra or {}).items()}


class CostSettings(BaseModel):
    """How costs reported by different vendors are put in one currency."""

    model_config = ConfigDict(extra="forbid")

    currency: str = Field(
        "USD",
        pattern=_CODE,
        description="ISO 4217 code of the reporting currency every tool's cost is shown in.",
    )
    rates: Rates = Field(
        default_factory=Rates,
        description=(
            "Exchange rates into the reporting currency: currency code -> units of `currency` "
            "per unit (e.g. EUR = 1.08 when reporting in USD)."
        ),
    )

    @model_validator(mode="before")
    @classmethod
    def _plain_rates(cls, data: Any) -> Any:
        # `CostSettings(rates={"EUR": 1.08})` and the TOML table both give Rates.
        if isinstance(data, dict) and isinstance(data.get("rates"), dict):
            data = {**data, "rates": Rates.model_validate(data["rates"])}
        return data

    def rate(self, currency: str | None) -> float | None:
        """The rate of a currency into the reporting currency, or None without one.

        Args:
            currency: an ISO 4217 code (case-insensitive), or None when the data names none.

        Returns:
            1.0 for the reporting currency, the configured rate, or None.
        """
        if not currency:
            return None
        code = currency.strip().upper()
        if code == self.currency:
            return 1.0
        return self.rates.as_dict().get(code)
