"""Meeting actions (例会决议事项): decided at each managing branch's monthly meeting."""
from __future__ import annotations

import numpy as np
import pandas as pd

from postloan.sample.util import DAY, clip_future, month_end

ITEMS = ["督促{sub}完成{cust}贷后例行检查", "对{cust}红色预警制定处置方案并上报", "启动对{cust}的法律清收",
         "补齐{sub}缺失的信贷档案资料", "核实{cust}贷款资金流向及受托支付凭证", "对{cust}押品重新评估",
         "落实{cust}追加担保措施", "组织{sub}开展逾期贷款集中清收", "完成{cust}不良贷款责任认定", "清理{sub}过期押品权证"]


def build_meeting_actions(rng, ctx) -> pd.DataFrame:
    br, off, cust = ctx.branches, ctx.officers, ctx.customers
    we = ctx.window_end
    meetings = br[br["level"].isin(["head_office", "branch"])]["branch_id"].to_numpy()
    subs_of = {b: br.loc[br["parent_id"] == b, "branch_name"].to_numpy() for b in meetings}
    rows = []
    for mi, month in enumerate(ctx.months[-13:]):
        for b in meetings:
            k = int(rng.integers(3, 7))
            owners = off.loc[(off["branch_id"] == b) | off["branch_id"].isin(br.loc[br["parent_id"] == b, "branch_id"]),
                             "officer_id"].to_numpy()
            for _ in range(k):
                tpl = ITEMS[int(rng.integers(len(ITEMS)))]
                sub = rng.choice(subs_of[b]) if len(subs_of[b]) else "本行"
                rows.append((str(month), b, tpl.format(sub=sub, cust=cust["name"].iat[int(rng.integers(len(cust)))]),
                             rng.choice(owners), month_end(np.array([month]))[0] + int(rng.integers(10, 60)) * DAY))
    a = pd.DataFrame(rows, columns=["meeting_month", "branch_id", "item", "owner_officer_id", "due_date"])
    n = len(a)
    due = a["due_date"].to_numpy().astype("datetime64[D]")
    dil = off.set_index("officer_id")["diligence"].reindex(a["owner_officer_id"]).to_numpy()
    done_day = np.where(rng.random(n) < 0.35 + 0.6 * dil, due - rng.integers(0, 25, n) * DAY,
                        due + rng.integers(1, 60, n) * DAY)
    meet_end = month_end(a["meeting_month"].to_numpy().astype("datetime64[M]"))
    done_day = np.maximum(done_day, meet_end + DAY)
    never = rng.random(n) < 0.12
    cancelled = rng.random(n) < 0.04
    done_day = clip_future(np.where(never | cancelled, np.datetime64("NaT", "D"), done_day), we)
    a["status"] = np.where(cancelled, "cancelled", np.where(np.isnat(done_day), "open", "done")).astype(object)
    a["done_date"] = done_day
    a.insert(0, "action_id", [f"MA{i + 1:05d}" for i in range(n)])
    return a
