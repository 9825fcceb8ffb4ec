"""Expand sessions into ordered events (`events.action`), fully vectorised.

A session is `session_start`, then prompt/suggestion cycles each answered by accept, reject
or nothing (and sometimes an edit), then `task_complete`/`task_abandon` for workflow runs, an
occasional in-app `feedback`, and `session_end`. Events are placed in order inside the
session's span, so timestamps increase within a session.
"""

from __future__ import annotations

import numpy as np

from uptake.schema.tables import ACTIONS
from uptake.simulate.activity import K_BOUNCE, K_DECISION, K_EXPLORE, K_TASK, Cols
from uptake.simulate.behaviour import Plan
from uptake.simulate.catalog import CODE, COPILOT, DECISION, MODELS, TOOLS
from uptake.simulate.daily import Daily

A = {a: i for i, a in enumerate(ACTIONS)}
START, END, PROMPT, SUGGESTION = A["session_start"], A["session_end"], A["prompt"], A["suggestion"]
ACCEPT, REJECT, EDIT = A["accept"], A["reject"], A["edit"]
COMPLETE, ABANDON, FEEDBACK = A["task_complete"], A["task_abandon"], A["feedback"]
NONE = -1
# attrs of suggestion events: the model that produced them, one JSON text per (tool, model).
MODEL_ATTRS: list[str] = [f'{{"model": "{m}"}}' for t in range(len(TOOLS)) for m in MODELS[t]]
_MODEL_BASE = np.cumsum([0] + [len(MODELS[t]) for t in range(len(TOOLS))])[:-1]


def _excl_cumsum(a: np.ndarray) -> np.ndarray:
    out = np.zeros(len(a), dtype=np.int64)
    np.cumsum(a[:-1], out=out[1:])
    return out


def expand(sess: Cols, plan: Plan, daily: Daily, rng: np.random.Generator) -> Cols:
    """Turn sessions into events.

    Args:
        sess: session columns from `sessions.make_sessions`.
        plan: behaviour plan.
        daily: the chunk's daily state.
        rng: the chunk's generator.

    Returns:
        Event columns: session (index into sess), action, ts, duration_ms (-1 = null),
        value (NaN = null), attr (index into MODEL_ATTRS, -1 = null).
    """
    s_n = len(sess["start"])
    tool, kind, cyc, final = sess["tool"], sess["kind"], sess["cycles"], sess["final"]
    pi = daily.idx[sess["person"]]
    prog = daily.prog[sess["person"], sess["day"]]

    # Cycle level.
    cs = np.repeat(np.arange(s_n), cyc)
    c_n = len(cs)
    first_cycle = _excl_cumsum(cyc)
    last = (np.arange(c_n) - first_cycle[cs]) == cyc[cs] - 1
    ctool, ckind = tool[cs], kind[cs]
    bounce = ckind == K_BOUNCE
    has_prompt = np.select(
        [ctool == COPILOT, ctool == CODE], [np.ones(c_n, bool), rng.random(c_n) < 0.2], False
    )
    has_prompt |= bounce
    has_sugg = np.where(bounce, rng.random(c_n) < 0.5, True)
    rej = plan.params["reject_p"][pi][cs] * (1 - 0.3 * prog[cs])
    ign = np.where(ctool == CODE, 0.4, 0.12)
    u = rng.random(c_n)
    resp = np.where(u < rej, REJECT, np.where(u < rej + ign, NONE, ACCEPT))
    dec = ckind == K_DECISION
    resp = np.where(
        dec & (sess["follow"][cs] >= 0), np.where(sess["follow"][cs] == 1, ACCEPT, REJECT), resp
    )
    cfinal = final[cs]
    resp = np.where(last & (cfinal == 1) & ~dec, ACCEPT, resp)
    resp = np.where(
        last & (cfinal == 2) & (resp == ACCEPT), np.where(rng.random(c_n) < 0.5, REJECT, NONE), resp
    )
    resp = np.where(bounce, NONE, resp)
    has_resp = resp != NONE
    edit_p = np.where(ctool == CODE, 0.12, 0.3)
    has_edit = ((resp == ACCEPT) & ~dec & (rng.random(c_n) < edit_p)) | (
        dec & (resp == REJECT) & (rng.random(c_n) < 0.5)
    )
    e_c = has_prompt.astype(np.int64) + has_sugg + has_resp + has_edit

    # Session level.
    cyc_events = np.bincount(cs, weights=e_c, minlength=s_n).astype(np.int64)
    has_final = final > 0
    has_fb = np.isin(kind, [K_TASK, K_EXPLORE]) & (rng.random(s_n) < 0.03)
    n_ev = 2 + cyc_events + has_final + has_fb
    off = _excl_cumsum(n_ev)
    e_n = int(n_ev.sum())
    sess_of = np.repeat(np.arange(s_n), n_ev)
    action = np.empty(e_n, dtype=np.int64)
    value = np.full(e_n, np.nan)
    duration = np.full(e_n, -1, dtype=np.int64)
    attr = np.full(e_n, -1, dtype=np.int64)
    action[off] = START
    end_pos = off + n_ev - 1
    action[end_pos] = END
    duration[end_pos] = sess["dur"]
    fpos = (off + n_ev - 2 - has_fb)[has_final]
    action[fpos] = np.where(final[has_final] == 1, COMPLETE, ABANDON)
    fbpos = (off + n_ev - 2)[has_fb]
    action[fbpos] = FEEDBACK
    fb_good = rng.random(len(fbpos)) > plan.params["reject_p"][pi[has_fb]]
    value[fbpos] = np.where(fb_good, 1.0, -1.0)

    within = _excl_cumsum(e_c)
    pos = off[cs] + 1 + within - within[first_cycle[cs]] if c_n else np.zeros(0, dtype=np.int64)
    action[pos[has_prompt]] = PROMPT
    pos = pos + has_prompt
    sp = pos[has_sugg]
    action[sp] = SUGGESTION
    stool = ctool[has_sugg]
    latency = np.select(
        [stool == COPILOT, stool == CODE],
        [rng.lognormal(np.log(2500), 0.5, len(sp)), rng.lognormal(np.log(350), 0.5, len(sp))],
        rng.lognormal(np.log(800), 0.3, len(sp)),
    )
    duration[sp] = latency.astype(np.int64)
    model = rng.integers(0, 3, s_n)
    model = np.where(tool == DECISION, np.minimum(sess["workflow"] % 3, 2), model)
    attr[sp] = _MODEL_BASE[stool] + model[cs[has_sugg]]
    value[sp] = np.where(stool == DECISION, np.round(sess["score"][cs[has_sugg]], 3), np.nan)
    pos = pos + has_sugg
    rp = pos[has_resp]
    action[rp] = resp[has_resp]
    acc = has_resp & (resp == ACCEPT) & (ctool != DECISION)
    units = np.where(
        ctool[acc] == CODE,
        rng.lognormal(np.log(3), 0.8, int(acc.sum())),
        rng.lognormal(np.log(60), 0.7, int(acc.sum())),
    )
    value[pos[acc]] = np.round(units)
    pos = pos + has_resp
    action[pos[has_edit]] = EDIT

    n_in = n_ev[sess_of]
    rank = np.arange(e_n) - off[sess_of]
    inner = (rank > 0) & (rank < n_in - 1)
    frac = (rank + np.where(inner, 0.1 + 0.8 * rng.random(e_n), 0.0)) / np.maximum(n_in - 1, 1)
    ts = sess["start"][sess_of] + (sess["dur"][sess_of] * frac).astype(np.int64)
    return {
        "session": sess_of,
        "action": action,
        "ts": ts,
        "duration_ms": duration,
        "value": value,
        "attr": attr,
    }
