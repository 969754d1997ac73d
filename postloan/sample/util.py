"""Small date helpers for the generator (numpy datetime64 arithmetic, vectorised)."""
from __future__ import annotations

import numpy as np
import pandas as pd

DAY = np.timedelta64(1, "D")


def month_end(months: np.ndarray) -> np.ndarray:
    """datetime64[M] -> last day of that month as datetime64[D]."""
    return (months.astype("datetime64[M]") + 1).astype("datetime64[D]") - DAY






def pick(rng: np.random.Generator, choices: dict, n: int) -> np.ndarray:
    keys = list(choices)
    p = np.array(list(choices.values()), dtype=float)
    return rng.choice(np.array(keys, dtype=object), n, p=p / p.sum())


def ids(prefix: str, n: int, width: int = 7, start: int = 1) -> np.ndarray:
    return np.char.add(prefix, np.char.zfill(np.arange(start, start + n).astype(str), width)).astype(object)


def responsible(assignments: pd.DataFrame, officer_index: pd.Series, customer_ids, days) -> np.ndarray:
    """Row index (in the officers frame) of the officer responsible for each
    (customer, day), or -1 where nobody was assigned. Vectorised with merge_asof."""
    q = pd.DataFrame({"customer_id": np.asarray(customer_ids, dtype=object),
                      "day": np.asarray(days, dtype="datetime64[D]").astype("datetime64[ns]"),
                      "_i": np.arange(len(customer_ids))})
    valid = q["day"].notna()
    a = assignments[["customer_id", "officer_id", "start_date", "end_date"]].copy()
    a["start_date"] = a["start_date"].astype("datetime64[ns]")
    a["end_date"] = a["end_date"].astype("datetime64[ns]")
    a = a.sort_values("start_date")
    m = pd.merge_asof(q[valid].sort_values("day"), a, left_on="day", right_on="start_date", by="customer_id",
                      direction="backward")
    ok = m["officer_id"].notna() & (m["end_date"].isna() | (m["end_date"] > m["day"]))
    out = np.full(len(customer_ids), -1, dtype=int)
    out[m.loc[ok, "_i"].to_numpy()] = officer_index.reindex(m.loc[ok, "officer_id"]).to_numpy()
    return out


def clip_future(days: np.ndarray, end) -> np.ndarray:
    """Dates after the end of the history have not happened yet: NaT."""
    days = np.asarray(days, dtype="datetime64[D]")
    return np.where(days > end, np.datetime64("NaT", "D"), days)
