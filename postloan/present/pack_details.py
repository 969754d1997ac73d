"""Detail tables of the meeting pack's sections 三–十: inspections by kind, warnings by
source, age and release reason, restructured / extended / refinanced loans, collection
effectiveness and outsourcing agencies, the legal case register, disposal economics.
Presentation only: the figures come from postloan.marts (inspections, warnings,
forbearance, collection, legal, disposal)."""
from __future__ import annotations

from IPython.display import HTML, display

from postloan.marts import collection, disposal, forbearance, inspections, warnings
from postloan.present import fmt
from postloan.present.tables import lead, table


def _show(*parts: str) -> None:
    display(HTML("".join(parts)))


def _has(pack, *names) -> bool:
    return all(n in pack.marts.tables for n in names)       # runs published before these marts: not shown


def inspections_by_kind(pack):
    if not _has(pack, "inspections_done"):
        return
    t = inspections.inspections_by_kind(pack.m("inspections_done"))
    _show("<h3 class='pl'>本月完成的检查（按类型，含尽职监督检查）</h3>",
          table(t, [("kind", "检查类型", "enum:inspection_kind"), ("done", "完成", "int"), ("on_site", "现场检查", "int"),
                    ("on_site_share", "现场检查占比", "pct")], None, "本月没有完成的检查。"))


def warnings_detail(pack):
    w = pack.m("warning_lifecycle")
    cal = pack.marts["calendar_month"].iloc[0]
    src = warnings.open_by_source(w)
    _show("<h3 class='pl'>未解除信号按来源</h3>",
          table(src, [("source", "来源", "enum:warning_source"), ("red", "红色", "int"), ("orange", "橙色", "int"),
                      ("yellow", "黄色", "int"), ("total", "合计", "int")], None, "月末没有未解除的信号。"),
          "<h3 class='pl'>未解除信号按识别以来天数</h3>",
          table(warnings.open_by_age(w, cal["end"]), [("band", "已持续", None), ("n", "个数", "int"), ("red", "其中红色", "int")]),
          "<h3 class='pl'>本月解除的信号及原因</h3>",
          table(warnings.release_reasons(w, cal["start"], cal["end"]),
                [("release_reason", "解除原因", None), ("n", "个数", "int"), ("days", "持续天数（中位数）", "int")],
                None, "本月没有解除的信号。"))


def forbearance_detail(pack):
    if not _has(pack, "forbearance"):
        return
    f = pack.m("forbearance")
    _show("<h3 class='pl'>重组、展期与借新还旧贷款（月末在账）</h3>",
          lead("借新还旧/续贷按借据用途识别（用途含“借新还旧”“续贷”等字样）；数据未标识的不在此列。"),
          table(forbearance.forbearance_summary(f), [("kind", "类型", None), ("loans", "笔数", "int"),
                                                    ("balance", "余额（万元）", "money"), ("npl_balance", "其中不良（万元）", "money")]),
          table(f.assign(officer=pack.officer(f["officer_id"])), [
              ("kinds", "类型", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
              ("balance", "余额（万元）", "money"), ("classification", "分类", "enum:classification"), ("dpd", "逾期天数", "int"),
              ("restructure_date", "重组日", "date"), ("extended_maturity_date", "展期后到期日", "date"),
              ("officer", "管户人", None)], pack.top_n, "没有重组、展期或借新还旧的贷款。"))


def collection_detail(pack):
    if not _has(pack, "collection_timeliness"):
        return
    e = collection.collection_effectiveness(pack.m("collection_actions_month"), pack.m("promises"),
                                            pack.m("collection_timeliness"))
    rate = lambda v: "—" if v is None else fmt.pct(v, 1)
    _show("<h3 class='pl'>催收成效</h3>",
          lead(f"本月新逾期且首次催收已到期的 {e['first_action_due']} 笔中，按时首催 {e['first_action_on_time']} 笔"
               f"（{rate(e['first_action_on_time_rate'])}）；本月催收 {e['actions']} 次，联系到借款人本人 "
               f"{e['right_party_contacts']} 次（{rate(e['right_party_contact_rate'])}）；本月到期的还款承诺 "
               f"{e['promises_due']} 次，兑现 {e['promises_kept']} 次（{rate(e['promises_kept_rate'])}）。"),
          "<h3 class='pl'>委外催收机构</h3>",
          table(collection.by_agency(pack.m("collection_actions_month"), pack.m("promises")), [
              ("agency_name", "机构", None), ("actions", "本月催收次数", "int"), ("right_party", "联系到本人", "int"),
              ("rate", "本人联系率", "pct"), ("promises_due", "到期承诺", "int"), ("promises_kept", "兑现", "int")],
              None, "本月没有委外催收。"))
    late = pack.m("collection_timeliness")
    late = late[late["status"] == "late"]
    if len(late):
        _show("<h3 class='pl'>首次催收超时</h3>", table(late.assign(officer=pack.officer(late["officer_id"])), [
            ("loan_id", "借据号", None), ("customer_name", "客户名称", None), ("spell_start", "逾期起始日", "date"),
            ("due_date", "应首催日", "date"), ("first_action", "实际首催", "date"), ("officer", "管户人", None)], pack.top_n))


def legal_case_register(pack):
    if not _has(pack, "legal_cases_open"):
        return
    lc = pack.m("legal_cases_open")
    _show("<h3 class='pl'>在办法律案件</h3>",
          lead("阶段自立案、判决生效、申请执行或终本裁定之日起算；“下一期限”为该借据本月末之后最近的法律期限。"),
          table(lc, [("case_id", "案号", None), ("loan_id", "借据号", None), ("customer_name", "客户名称", None),
                     ("kind", "类型", "enum:legal_case_kind"), ("status", "阶段", "enum:legal_case_status"),
                     ("stage_start", "本阶段起", "date"), ("days_in_stage", "本阶段天数", "int"),
                     ("next_deadline_kind", "下一期限", None), ("next_deadline", "到期日", "date")],
                pack.top_n, "月末没有在办的法律案件。"))


def disposal_economics(pack):
    r = pack.m("recoveries_ytd")
    if "claim_before" not in r:
        return
    t = disposal.disposal_economics(r)
    _show("<h3 class='pl'>处置成本与净回收（年初以来）</h3>",
          lead("转让、证券化的价格比率 = 成交价 ÷ 处置前一月末的本息；净回收 = 金额 − 处置费用。"),
          table(t, [("method", "处置方式", "enum:recovery_method"), ("n", "笔数", "int"), ("amount", "金额（万元）", "money"),
                    ("cost", "费用（万元）", "money"), ("net", "净回收（万元）", "money"),
                    ("claim", "处置前本息（万元）", "money"), ("price_ratio", "价格比率", "pct")], None, "年初以来没有处置。"))
