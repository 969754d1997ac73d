"""Collection conduct (METRICS.md "collection conduct"): no phone call or field visit in
the quiet hours, no contact with a third party about the debt. Thresholds from
policy.yaml `collection.conduct`."""
from __future__ import annotations

import pandas as pd


def conduct_flags(actions: pd.DataFrame, conduct) -> pd.DataFrame:
    """`night_contact`, `forbidden_party` and `breach` for each collection action."""
    t = actions["action_time"].dt.strftime("%H:%M")
    quiet = (t >= conduct.quiet_from) | (t < conduct.quiet_until)
    night = (quiet & actions["channel"].isin(conduct.quiet_channels)).fillna(False).astype(bool)
    third = actions["contacted_party"].isin(conduct.forbidden_parties).fillna(False).astype(bool)
    return pd.DataFrame({"night_contact": night, "forbidden_party": third, "breach": night | third},
                        index=actions.index)
