"""Synthetic identities: e-mail addresses, GitHub-style logins and employee numbers.

Names are drawn from an international list so addresses look like a real directory; they are
ASCII because they become e-mail local parts. Collisions get a numeric suffix, as real
directories do.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

DOMAIN = "meridian-group.example"
LEGACY_DOMAIN = "meridian-legacy.example"


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


FIRST = _words(
    "aisha adam adrian agnieszka ahmed aiko alan alejandro alex alice amara amir ana andrea "
    "andrew anil anna anton arjun astrid ayesha beatriz ben bianca bogdan bruno carla carlos "
    "catherine chen chidi chloe chris claire daniel david deepa diego dmitri ebony elena eliza "
    "emeka emily emma erik eva fatima felix fiona francesca gabriel grace hannah hassan helen "
    "hiro ibrahim ines isaac isabel ivan jack james jana javier jennifer jin joao jonas jose "
    "julia kai karen karim kate kenji kevin kofi lars laura layla leon liam lina lucas lucia "
    "magda malik maria mark marta mateo maya mehmet mei michael mina mohammed nadia naomi "
    "neha nikhil nina noah olga oliver omar paolo patrick paula pedro peter priya rahul raj "
    "rebecca rosa ruth sam samir sara sean sofia stefan sunil tariq tom tomasz uma victor "
    "wei william xavier yara yusuf zara zoe"
)
LAST = _words(
    "abara adeyemi ahmed alvarez andersen bakker banerjee becker bianchi brown campbell chan "
    "chen costa cruz da.silva davies de.vries diaz dubois edwards evans fernandez fischer "
    "garcia gomez gonzalez gupta hall hansen harris hernandez hoffmann hughes ivanova iyer "
    "jackson jansen johansson johnson jones kaur khan kim klein kowalski kumar lam larsen lee "
    "lewis li lopez martin martinez mehta meyer miller moreau morris muller murphy nakamura "
    "nguyen novak nowak obi oconnor okafor olsen patel perez petrov phillips popescu price "
    "rao reddy reyes richter roberts robinson rodriguez rossi ruiz sanchez santos sato schmidt "
    "schneider shah sharma silva singh smith sousa suzuki tanaka taylor thomas thompson torres "
    "tran turner van.dijk wagner walker wang watson weber white williams wilson wojcik wong "
    "wright wu yamamoto yilmaz young zhang zielinski"
)


def _dedupe(base: pd.Series, sep: str = "") -> np.ndarray:
    """Append 2, 3, ... to repeated values, keeping the first occurrence bare."""
    n = base.groupby(base).cumcount().to_numpy()
    suffix = np.where(n == 0, "", sep + (n + 1).astype(str).astype(object))
    return (base.to_numpy().astype(object) + suffix).astype(object)


def make_identities(rng: np.random.Generator, n: int) -> dict[str, np.ndarray]:
    """Draw names and build every person's identifiers.

    Args:
        rng: seeded generator (roster stream).
        n: number of people.

    Returns:
        Arrays `email`, `login` (GitHub style; used only for engineers), `employee_number`
        and `legacy_email` (an old-domain address some directories still carry).
    """
    first = np.array(FIRST, dtype=object)[rng.integers(0, len(FIRST), n)]
    last = np.array(LAST, dtype=object)[rng.integers(0, len(LAST), n)]
    local = pd.Series(first + "." + last, dtype=object)
    local_u = _dedupe(local)
    email = local_u + "@" + DOMAIN
    legacy = local_u + "@" + LEGACY_DOMAIN

    style = rng.integers(0, 4, n)
    last_plain = pd.Series(last).str.replace(".", "", regex=False).to_numpy(dtype=object)
    initial = pd.Series(first).str[0].to_numpy(dtype=object)
    digits = rng.integers(1, 99, n).astype(str).astype(object)
    login = np.select(
        [style == 0, style == 1, style == 2],
        [initial + last_plain, first + "-" + last_plain, first + last_plain + digits],
        default=last_plain + "-" + initial + "-dev",
    )
    login_u = _dedupe(pd.Series(login, dtype=object), sep="-")

    numbers = rng.choice(900_000, size=n, replace=False) + 100_000
    employee = np.array([f"E{x}" for x in numbers], dtype=object)
    return {"email": email, "login": login_u, "employee_number": employee, "legacy_email": legacy}
