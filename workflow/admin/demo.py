"""Demo data: departments, a user for each role, and realistic complaints in every state.

Everything is driven through the real services, so the history and the clocks are
what the product would have written. The same seed gives the same complaints.
"""
from __future__ import annotations

import logging
import random
from datetime import datetime, timedelta

from sqlalchemy import func, select

from states.catalogue import AUTHORITIES, CAUSES, CHANNELS
from workflow import services
from workflow.admin.directory import actor_for, create_user, ensure_departments
from workflow.domain.errors import DomainError
from workflow.store.schema import complaints, users

log = logging.getLogger(__name__)
DEMO_PASSWORD = "demo-pass-2026"

#: (username, display name, role, department)
DEMO_USERS = [
    ("admin", "系统管理员", "admin", "customer_service"),
    ("operator", "王丽（10086热线）", "operator", "customer_service"),
    ("major_desk", "陈建国（重大投诉组）", "major_desk", "customer_service"),
    ("auditor", "刘芳（市场经营部）", "auditor", "market_operations"),
    ("network", "张伟（网络维护中心）", "handler", "network"),
    ("marketing", "李娜（市场部）", "handler", "marketing"),
    ("it_centre", "赵磊（IT技术中心）", "handler", "it_centre"),
    ("billing_centre", "孙静（营销帐务中心）", "handler", "billing_centre"),
    ("finance", "周敏（计划财务部）", "handler", "finance"),
    ("general_office", "吴强（综合部）", "handler", "general_office"),
    ("logistics", "郑华（后勤服务中心）", "handler", "logistics"),
]

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐"
GIVEN = ["伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀英", "建华", "志强"]
TEXTS = {
    "network_quality": ["家里客厅信号只有一格，通话经常断线，已经持续一周。",
                        "晚上八点后4G网速很慢，视频完全打不开。"],
    "coverage": ["新搬的小区地下车库完全没有信号，请尽快加装基站。",
                 "公司所在写字楼18层室内信号很差，打电话要跑到走廊。"],
    "roaming": ["在香港漫游时无法上网，但扣了漫游流量包费用。",
                "出差到新疆后手机一直显示无服务。"],
    "interconnection": ["给电信号码发短信经常收不到，对方也说收不到我的。"],
    "vas_usage": ["彩铃设置后对方听到的仍然是默认铃声。"],
    "tariff": ["套餐从88元变成了128元，没有人通知我，要求退还差额。",
               "国际长途资费和营业厅宣传的不一致。"],
    "service_explanation": ["营业员说携号转网不收费，结果被收了违约金。"],
    "advertising": ["宣传单写的不限量流量实际超过20G就限速，属于虚假宣传。"],
    "sales_channel": ["代理点办卡时被强制捆绑了两个月的会员。"],
    "billing_error": ["本月话费账单多出了36元的短信费，我根本没有发过这些短信。",
                      "停机期间仍然在扣月租。"],
    "boss_system": ["营业厅说系统故障，我的补卡业务办理了三次都失败。"],
    "monternet": ["莫名其妙被订购了梦网游戏包，每月扣10元，要求退订退费。"],
    "data_service": ["手机报一直在扣费，我从未订购过。"],
    "distribution_channel": ["在分销商处买的合约机，承诺的话费返还没有到账。"],
    "bank_collection": ["银行代扣话费扣了两次，要求退还多扣的金额。"],
    "delivery": ["网上营业厅买的号卡一周了还没送到，快递单号查不到。"],
    "media": ["记者来电询问我司基站辐射投诉的处理情况。"],
    "legal": ["客户表示将就合约纠纷向法院起诉，要求公司出具书面答复。"],
    "public_relations": ["社区居委会反映基站建设未与居民沟通。"],
}
#: Where in the district, for the causes a place matters to (coverage and network).
PLACES = ["深南大道6008号", "科技园南区高新南一道", "梅林一村12栋", "翻身路万科城3期", "布吉街道大芬村",
          "民治街道水榭春天", "沙头角海景路", "坪山大道东纵路口", "公明街道上村社区", "葵涌街道土洋村"]
PLACE_CAUSES = ("coverage", "network_quality", "roaming", "interconnection")
ANSWERS = ["经核查已为您退还多收费用，并致歉。", "已安排工程师现场测试并优化天线，信号已改善。",
           "已取消相关业务并退还费用。", "经核实系统故障已修复，业务已办理成功。"]


def _mobile(rng) -> str:
    return f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}"


def populate(rt, *, count: int = 300, seed: int = 2004, now: datetime) -> int:
    """Create the demo users and `count` complaints spread over every state."""
    rng = random.Random(seed)
    where = random.Random(seed + 1)     # its own sequence: the districts leave the rest as it was
    with rt.uow() as uow:
        ensure_departments(uow.conn)
        have = set(uow.conn.execute(select(users.c.username)).scalars())
        for username, name, role, dept in DEMO_USERS:
            if username not in have:
                create_user(uow.conn, username, name, role, dept, DEMO_PASSWORD, now=now)
        uow.commit()
        actors = {u[0]: actor_for(uow.conn, u[0]) for u in DEMO_USERS}
    operator = actors["operator"]
    made = 0
    for _ in range(count):
        cause = rng.choice(list(CAUSES))
        start = now - timedelta(minutes=rng.randrange(10, 60 * 24 * 9))
        values = dict(
            mobile=_mobile(rng), channel=rng.choice(list(CHANNELS)), cause=cause,
            customer_name=rng.choice(SURNAMES) + rng.choice(GIVEN),
            text=rng.choice(TEXTS.get(cause, ["客户对服务不满意，要求尽快处理。"])),
            source=rng.choice(list(AUTHORITIES)) if rng.random() < 0.06 else "direct",
            complainant_count=rng.choice([1] * 30 + [3, 5]),
            media=rng.random() < 0.02, leadership=rng.random() < 0.02,
            district=where.choice(rt.policy.districts) if where.random() < 0.8 else "",
        )
        if cause in PLACE_CAUSES and values["district"]:
            values["location"] = where.choice(PLACES)
        complaint = services.intake(rt, operator, values, now=start).complaint
        made += 1
        target = rng.choice(["received", "assigned", "handling", "handling", "replied",
                             "closed", "closed", "closed", "reopened"])
        escalate = complaint.severity == "normal" and rng.random() < 0.15
        try:
            _drive(rt, complaint, target, escalate, rng, actors, start, now)
        except DomainError as exc:  # a path the rules refuse: it stays where it got to
            log.warning("demo complaint %s stopped short of %s: %s", complaint.id, target, exc)
    return made


def _drive(rt, complaint, target, escalate, rng, actors, t, now):
    """Drive one complaint to `target` the way the departments would, escalating on the way."""
    def step():
        nonlocal t
        t = min(t + timedelta(minutes=rng.randrange(5, 600)), now)
        return t

    cid, operator, desk = complaint.id, actors["operator"], actors["major_desk"]
    if target == "received":
        return
    department = complaint.department
    services.act(rt, cid, "assign", operator, now=step(), department=department)
    if escalate and target == "assigned":
        services.act(rt, cid, "escalate", desk, now=step(), reason="客户情绪激动，多次来电，需重大投诉组跟进")
    if target == "assigned":
        return
    handler = desk if department == "customer_service" else actors[department]
    services.act(rt, cid, "accept", handler, now=step())
    if escalate:
        services.act(rt, cid, "escalate", desk, now=step(), reason="处理超时风险大，转重大投诉组督办")
        handler = desk
        services.act(rt, cid, "accept", desk, now=step())
    services.act(rt, cid, "contact", handler, now=step(),
                 comment="已致电客户了解情况，客户同意等待处理结果。")
    if target == "handling":
        if rng.random() < 0.2:
            services.act(rt, cid, "pause", handler, now=step(), reason="等待客户提供话费清单")
        return
    services.act(rt, cid, "reply", handler, now=step(), comment=rng.choice(ANSWERS))
    if target == "replied":
        return
    if target == "reopened":
        services.act(rt, cid, "reopen", operator, now=step(), reason="客户回访表示问题未解决")
        return
    services.act(rt, cid, "close", operator, now=step(),
                   satisfaction=rng.choice(["satisfied"] * 4 + ["unsatisfied", "unreachable"]))


def is_empty(rt) -> bool:
    """True when the database holds no complaint yet."""
    with rt.uow(write=False) as uow:
        return uow.conn.execute(select(func.count()).select_from(complaints)).scalar() == 0
