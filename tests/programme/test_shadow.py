"""Shadow AI: the catalogue's matching, and aggregates that never describe fewer than k people."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from uptake.config.metrics import MetricsSettings
from uptake.errors import InputError
from uptake.ingest.ai_domains import Catalogue, load_catalogue, normalise_host
from uptake.metrics.context import MetricContext
from uptake.programme.shadow import (
    COMPLEMENTARY,
    NEEDS,
    ORG,
    SMALL,
    Inputs,
    aggregate,
    release,
)

SHIPPED = load_catalogue()
AS_OF = date(2026, 5, 31)
HYP = settings(max_examples=100, deadline=None, derandomize=True,
               suppress_health_check=[HealthCheck.too_slow])  # fmt: skip
LABEL = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?", fullmatch=True)


# -- the catalogue ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "tool"),
    [
        ("claude.ai", "Claude"),
        ("a.b.claude.ai", "Claude"),
        ("HTTPS://A.B.Claude.AI:443/chat/1?x=2#y", "Claude"),
        ("claude.ai.", "Claude"),
        ("user@chat.openai.com:8443", "ChatGPT"),
        ("chatgpt.com/c/abc", "ChatGPT"),
        ("chat.mistral.ai", "Le Chat"),
        ("huggingface.co/chat", "Hugging Face"),
        ("notclaude.ai", None),
        ("claude.ai.example.com", None),
        ("mistral.ai", None),
        ("www.example.com", None),
        ("10.0.0.1", None),
        ("", None),
        ("not a host", None),
        ("ai", None),
    ],
)
def test_matches_a_domain_or_its_subdomains_only(raw: str, tool: str | None) -> None:
    entry = SHIPPED.match(raw)
    assert (entry.tool if entry else None) == tool


def test_the_shipped_catalogue_is_real_and_all_unsanctioned() -> None:
    assert 40 <= len(SHIPPED.entries) <= 80
    assert not SHIPPED.sanctioned_tools()
    for domain in ("chatgpt.com", "claude.ai", "gemini.google.com", "copilot.microsoft.com",
                   "perplexity.ai", "poe.com", "character.ai", "deepseek.com", "you.com",
                   "jasper.ai", "writesonic.com", "otter.ai"):  # fmt: skip
        assert domain in SHIPPED.entries, domain


@HYP
@given(
    domain=st.sampled_from(sorted(SHIPPED.entries)),
    subs=st.lists(LABEL, max_size=3),
    scheme=st.sampled_from(["", "http://", "https://", "HTTPS://"]),
    port=st.sampled_from(["", ":443", ":8080"]),
    path=st.sampled_from(["", "/", "/c/123?q=1", "#frag"]),
    upper=st.booleans(),
)
def test_any_subdomain_url_of_a_catalogue_domain_matches_it(
    domain: str, subs: list[str], scheme: str, port: str, path: str, upper: bool
) -> None:
    host = ".".join([*subs, domain])
    raw = f"{scheme}{host}{port}{path}"
    entry = SHIPPED.match(raw.upper() if upper else raw)
    assert entry is not None
    # The most specific entry wins: the one matched is the domain or a subdomain of it.
    assert entry.domain == domain or entry.domain.endswith("." + domain)
    assert host.endswith(entry.domain)


@HYP
@given(junk=st.text(max_size=60))
def test_junk_never_raises_and_matches_only_a_real_suffix(junk: str) -> None:
    host = normalise_host(junk)
    entry = SHIPPED.match(junk)
    if entry is not None:
        assert host is not None
        assert host == entry.domain or host.endswith("." + entry.domain)


def test_sanctioned_from_the_catalogue_or_from_licensed_tool_names() -> None:
    assert SHIPPED.sanctioned_tools({"chatgpt-enterprise"}) == {"ChatGPT"}
    assert SHIPPED.sanctioned_tools({"Claude Code", "github-copilot"}) == {"Claude"}
    assert SHIPPED.sanctioned_tools({"PERPLEXITY"}) == {"Perplexity"}
    assert SHIPPED.sanctioned_tools({"office_copilot"}) == {"Microsoft Copilot"}


def test_mentions_name_tools_by_name_or_domain_only() -> None:
    assert SHIPPED.mentions("Claude at home, and perplexity.ai for search") == {
        "Claude",
        "Perplexity",
    }
    assert SHIPPED.mentions("pi is a number; v0 means nothing") == set()
    assert SHIPPED.mentions("pi.ai and v0.dev") == {"Pi", "v0"}
    assert SHIPPED.mentions(None) == set()


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "ai.csv"
    p.write_text(text, encoding="utf-8")
    return p


def test_a_workspace_catalogue_replaces_the_shipped_one(tmp_path: Path) -> None:
    text = "domain,tool,vendor,sanctioned\nchat.acme.ai,Acme Chat,Acme,true\nfoo.ai,Foo,,\n"
    cat = load_catalogue(_write(tmp_path, text))
    assert isinstance(cat, Catalogue)
    assert cat.match("x.chat.acme.ai").tool == "Acme Chat"  # type: ignore[union-attr]
    assert cat.match("claude.ai") is None
    assert cat.sanctioned_tools() == {"Acme Chat"}
    assert cat.entries["foo.ai"].vendor == "Foo"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("domain,tool\nclaude.ai,Claude\n", "line 1: missing column(s) vendor, sanctioned"),
        ("domain,tool,vendor,sanctioned,colour\n", "line 1: unknown column(s) colour"),
        ("domain,tool,vendor,sanctioned\nhttps://claude.ai/x,Claude,A,false\n",
         "line 2: domain 'https://claude.ai/x' is not a bare domain name"),
        ("domain,tool,vendor,sanctioned\nclaude.ai,Claude,A,false\n\nclaude.ai,C,A,true\n",
         "line 4: domain claude.ai is listed twice (first on line 2)"),
        ("domain,tool,vendor,sanctioned\nclaude.ai,Claude,A,maybe\n",
         "line 2: sanctioned 'maybe' is not true or false"),
        ("domain,tool,vendor,sanctioned\nclaude.ai,,A,false\n", "line 2: tool is empty"),
        ("domain,tool,vendor,sanctioned\nclaude.ai,Claude\n", "line 2: 2 fields, the header has 4"),
        ("domain,tool,vendor,sanctioned\n", "lists no domain"),
        ("", "line 1: empty catalogue"),
    ],
)  # fmt: skip
def test_a_bad_catalogue_names_its_file_and_line(tmp_path: Path, text: str, message: str) -> None:
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as err:
        load_catalogue(path)
    assert str(path) in err.value.message
    assert message in err.value.message


def test_a_missing_catalogue_file_says_so(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="does not exist"):
        load_catalogue(tmp_path / "nope.csv")


# -- the k rule -----------------------------------------------------------------------------


def _ctx(k: int = 5) -> MetricContext:
    return MetricContext(None, AS_OF, MetricsSettings(), k)  # type: ignore[arg-type]


def test_release_hides_small_counts_and_near_totals_and_their_cover() -> None:
    # eng: 8 of 10 (2 without: hidden), sales: 8 of 10 (hidden), ops: 0 of 10, hr: 0 of 10.
    why, safe = release(np.array([10, 10, 10, 10]), np.array([8, 8, 0, 0]), 5, np.zeros(4, bool))
    assert safe
    assert why[0] == SMALL and why[1] == SMALL
    # The two hidden complements add up to 4 < k: one zero cell is hidden to cover them.
    assert sorted(w or "" for w in why[2:]) == ["", COMPLEMENTARY]


def test_release_shows_what_is_safe() -> None:
    assert release(np.array([20, 20]), np.array([6, 0]), 5, np.zeros(2, bool)) == (
        [None, None],
        True,
    )


def test_release_without_cover_hides_the_total_too() -> None:
    # Everyone in b is counted (its complement is 0) and a counts no one: a cannot cover b.
    why, safe = release(np.array([6, 6]), np.array([0, 6]), 5, np.zeros(2, bool))
    assert why[1] == SMALL and not safe


def _inputs(assign: list[tuple[str, int, list[str]]], survey: list[tuple[str, bool, set[str]]]):
    roster, visits = [], []
    for i, (segment, visit_days, tools) in enumerate(assign):
        roster.append({"person_key": f"p_{i}", "segment": segment})
        for d in range(visit_days):
            for t in tools:
                visits.append({"person_key": f"p_{i}", "day": AS_OF - timedelta(days=d),
                               "tool": t})  # fmt: skip
    sv = pd.DataFrame(
        [{"respondent": f"r{i}", "segment": s, "yes": y, "tools": frozenset(t)}
         for i, (s, y, t) in enumerate(survey)],
        columns=["respondent", "segment", "yes", "tools"],
    )  # fmt: skip
    return Inputs(
        pd.DataFrame(roster, columns=["person_key", "segment"]),
        pd.DataFrame(visits, columns=["person_key", "day", "tool"]),
        sv,
        has_visits=True,
        has_survey=True,
    )


SEGS = st.sampled_from(["a", "b", "c", "d", "(none)"])
TOOLS = st.sets(st.sampled_from(["Claude", "Poe", "Gemini"]), max_size=2)
PERSON = st.tuples(SEGS, st.integers(0, 3), TOOLS)
ANSWER = st.tuples(SEGS, st.booleans(), TOOLS)


def _truth(assign, pick) -> dict[str, tuple[int, int]]:
    """segment -> (people in it, people in it counted by `pick`)."""
    out: dict[str, list[int]] = {}
    for person in assign:
        cell = out.setdefault(person[0], [0, 0])
        cell[0] += 1
        cell[1] += bool(pick(person))
    return {s: (n, c) for s, (n, c) in out.items()}


def _check_table(truth: dict[str, tuple[int, int]], shown: dict[str, int | None], k: int,
                 total_shown: bool) -> None:  # fmt: skip
    """No shown count below k (but 0), no complement below k, no hidden cell recoverable."""
    for seg, value in shown.items():
        if value is None:
            continue
        n, c = truth[seg]
        assert value == c
        assert c == 0 or c >= k, (seg, c)
        assert n - c >= k, (seg, n, c)
    if total_shown:
        hidden = [s for s in truth if shown.get(s) is None]
        counts = [truth[s][1] for s in hidden]
        rests = [truth[s][0] - truth[s][1] for s in hidden]
        positive = [c for c in counts if c > 0]
        assert not positive or (len(positive) >= 2 and sum(positive) >= k), (hidden, counts)
        assert not hidden or sum(rests) >= k, (hidden, rests)


@HYP
@given(
    assign=st.lists(PERSON, max_size=60),
    survey=st.lists(ANSWER, max_size=60),
    k=st.integers(3, 6),
)
def test_no_shown_number_describes_fewer_than_k_people(assign, survey, k) -> None:
    doc = aggregate(_inputs(assign, survey), _ctx(k), "team")
    proxy, answers = doc["proxy"], doc["survey"]
    assert doc["status"] == ("ok" if assign or survey else "not_available")
    if proxy["status"] == "ok":
        _check_proxy(proxy, assign, k)
    else:
        assert not assign
    if answers["status"] == "ok":
        _check_survey(answers, survey, k)
    else:
        assert not survey


def _tool_cells(rows: list[dict], key: str, tool: str, segs) -> dict[str, int | None]:
    shown: dict[str, int | None] = dict.fromkeys(segs)
    for r in rows:
        for t in r.get(key) or []:
            if t["tool"] == tool:
                shown[r["segment"]] = t["people"]
    return shown


def _check_proxy(proxy: dict, assign: list, k: int) -> None:
    users = _truth(assign, lambda p: p[1] > 0 and p[2])
    # The roster per segment: never a segment below k.
    for row in proxy["segments"]:
        if not row["suppressed"]:
            assert row["roster"] >= k
            assert row["roster"] == users[row["segment"]][0]
    org = proxy["organisation"]
    total_ok = org.get("people") is not None
    if total_ok:
        n, c = sum(v[0] for v in users.values()), sum(v[1] for v in users.values())
        assert org["people"] == c and (c == 0 or c >= k) and n - c >= k
    people = {r["segment"]: (r.get("people") if not r["suppressed"] else None)
              for r in proxy["segments"]}  # fmt: skip
    _check_table(users, people, k, total_ok)
    for tool in ("Claude", "Poe", "Gemini"):
        per = _truth(assign, lambda p, t=tool: p[1] > 0 and t in p[2])
        org_tool = [t for t in org.get("tools") or [] if t["tool"] == tool]
        if org_tool:
            n, c = sum(v[0] for v in per.values()), sum(v[1] for v in per.values())
            assert org_tool[0]["people"] == c >= k and n - c >= k
        shown = _tool_cells(proxy["segments"], "tools", tool, per)
        _check_table(per, shown, k, bool(org_tool))


def _check_survey(answers: dict, survey: list, k: int) -> None:
    yes = _truth(survey, lambda a: a[1])
    for r in answers["segments"]:
        if not r["suppressed"]:
            assert r["respondents"] >= k
            assert r["respondents"] == yes[r["segment"]][0]
    org = answers["organisation"]
    total_ok = org.get("yes") is not None
    if total_ok:
        n, c = sum(v[0] for v in yes.values()), sum(v[1] for v in yes.values())
        assert org["yes"] == c and (c == 0 or c >= k) and n - c >= k
    shown_yes = {r["segment"]: (r.get("yes") if not r["suppressed"] else None)
                 for r in answers["segments"]}  # fmt: skip
    _check_table(yes, shown_yes, k, total_ok)
    for tool in ("Claude", "Poe", "Gemini"):
        named = _truth(survey, lambda a, t=tool: t in a[2])
        org_tool = [t for t in org.get("tools_named") or [] if t["tool"] == tool]
        if org_tool:
            n, c = sum(v[0] for v in named.values()), sum(v[1] for v in named.values())
            assert org_tool[0]["people"] == c >= k and n - c >= k
        shown = _tool_cells(answers["segments"], "tools_named", tool, named)
        _check_table(named, shown, k, bool(org_tool))


def test_hidden_values_say_why_never_zero() -> None:
    # a: 8 of 10 (2 without), b: 6 of 12, c: 0 of 10 — a is hidden, b covers it.
    assign = ([("a", 2, ["Claude"])] * 8 + [("a", 0, [])] * 2 + [("b", 1, ["Claude"])] * 6
              + [("b", 0, [])] * 6 + [("c", 0, [])] * 10)  # fmt: skip
    doc = aggregate(_inputs(assign, []), _ctx(5), "team")
    rows = {r["segment"]: r for r in doc["proxy"]["segments"]}
    assert rows["a"]["people"] is None and rows["a"]["people_hidden"] == SMALL
    assert rows["b"]["people"] is None and rows["b"]["people_hidden"] == COMPLEMENTARY
    assert (rows["c"]["people"], rows["c"]["share"], rows["c"]["visit_days"]) == (0, 0.0, 0)
    org = doc["proxy"]["organisation"]
    assert (org["roster"], org["people"], org["visit_days"]) == (32, 14, 22)
    assert org["tools"] == [{"tool": "Claude", "people": 14, "share": 0.4375}]


def test_a_total_that_would_give_a_segment_away_is_hidden() -> None:
    # a: 8 of 10 (hidden: 2 without), b: 0 of 10 — the total 8 would say a is 8 of 10.
    assign = [("a", 2, ["Claude"])] * 8 + [("a", 0, [])] * 2 + [("b", 0, [])] * 10
    doc = aggregate(_inputs(assign, []), _ctx(5), "team")
    org = doc["proxy"]["organisation"]
    assert org["roster"] == 20
    assert org["people"] is None and org["people_hidden"] == COMPLEMENTARY
    assert org["tools"] == []
    assert all(r["people"] is None for r in doc["proxy"]["segments"])


def test_organisation_only_without_by() -> None:
    assign = [(ORG, 1, ["Poe"])] * 6 + [(ORG, 0, [])] * 6
    doc = aggregate(_inputs(assign, []), _ctx(5), None)
    assert doc["proxy"]["segments"] == []
    assert doc["proxy"]["organisation"]["people"] == 6


def test_missing_inputs_are_not_available_with_needs() -> None:
    empty = Inputs(pd.DataFrame(columns=["person_key", "segment"]),
                   pd.DataFrame(columns=["person_key", "day", "tool"]),
                   pd.DataFrame(columns=["respondent", "segment", "yes", "tools"]))  # fmt: skip
    doc = aggregate(empty, _ctx(5), "team")
    assert doc["status"] == "not_available"
    assert doc["needs"] == [NEEDS]
    assert doc["proxy"]["status"] == doc["survey"]["status"] == "not_available"
    assert doc["proxy"]["organisation"] is None


def test_with_noise_a_shown_count_of_people_never_reads_under_k() -> None:
    # Five people of each of eight teams visit Claude, fifteen stay away: each count is k
    # exactly, which the noise (±3) had shown as "Claude (4)", a group under k.
    from uptake.metrics.noise import Noise

    assign = [(f"t{t}", 1 if i < 5 else 0, ["Claude"] if i < 5 else []) for t in range(8)
              for i in range(20)]  # fmt: skip
    survey = [(f"t{t}", i < 5, {"Claude"} if i < 5 else set()) for t in range(8)
              for i in range(20)]  # fmt: skip
    counts = []
    for day in range(6):
        ctx = _ctx(5)
        ctx.noise = Noise(enabled=True, key=b"s" * 32, as_of=AS_OF - timedelta(days=day))
        doc = aggregate(_inputs(assign, survey), ctx, "team")
        for row in doc["proxy"]["segments"]:
            counts += [row["roster"], row["people"], *(t["people"] for t in row["tools"])]
        for row in doc["survey"]["segments"]:
            counts += [row["respondents"], row["yes"], *(t["people"] for t in row["tools_named"])]
    shown = [c for c in counts if c is not None]
    assert len(shown) > 200 and min(shown) >= 5
