"""The fixed vocabulary of the domain: departments, causes, channels, authorities.

Codes are what the database, the policy file and the API use; each carries its
Chinese and English names. The routing of causes to departments lives in the policy
file, which is validated against this catalogue.
"""
from __future__ import annotations

DEPARTMENTS: dict[str, tuple[str, str]] = {
    "customer_service": ("客户服务中心", "Customer Service Centre"),
    "market_operations": ("市场经营部", "Market Operations"),
    "general_office": ("综合部", "General Office"),
    "marketing": ("市场部", "Marketing"),
    "finance": ("计划财务部", "Planning & Finance"),
    "billing_centre": ("营销帐务中心", "Marketing & Billing Centre"),
    "network": ("网络维护中心", "Network Maintenance Centre"),
    "it_centre": ("IT技术中心", "IT Centre"),
    "logistics": ("后勤服务中心", "Logistics Centre"),
}

CAUSES: dict[str, tuple[str, str]] = {
    "media": ("媒体曝光/采访", "Media exposure / interview"),
    "legal": ("法律纠纷", "Legal dispute"),
    "public_relations": ("社会公关", "Public relations"),
    "advertising": ("广告宣传", "Advertising"),
    "service_explanation": ("业务解释", "Explanation of services"),
    "tariff": ("资费争议", "Tariff dispute"),
    "sales_channel": ("渠道管理", "Sales-channel management"),
    "bank_collection": ("银行代收费", "Bank collection"),
    "monternet": ("梦网业务", "Monternet services"),
    "data_service": ("数据业务", "Data services"),
    "distribution_channel": ("分销渠道", "Distribution channel"),
    "network_quality": ("网络质量", "Network quality"),
    "interconnection": ("互联互通", "Interconnection"),
    "coverage": ("信号覆盖", "Coverage"),
    "roaming": ("漫游故障", "Roaming fault"),
    "vas_usage": ("增值业务使用", "Use of value-added services"),
    "billing_error": ("计费差错", "Billing error"),
    "boss_system": ("BOSS系统故障", "BOSS system fault"),
    "delivery": ("投递寄送", "Delivery and posting"),
}

CHANNELS: dict[str, tuple[str, str]] = {
    "hotline": ("10086热线", "10086 hotline"),
    "business_hall": ("营业厅", "Business hall"),
    "web": ("网站", "Website"),
    "app": ("手机营业厅", "Mobile app"),
    "sms": ("短信", "SMS"),
    "letter": ("信函", "Letter"),
    "email": ("邮件", "Email"),
    "visit": ("来访", "Visit"),
}

AUTHORITIES: dict[str, tuple[str, str]] = {
    "miit": ("工业和信息化部", "Ministry of Industry and Information Technology"),
    "cmcc_group": ("中国移动集团", "China Mobile Group"),
    "gd_mobile": ("广东移动", "Guangdong Mobile"),
    "gd_cab": ("广东省通信管理局", "Guangdong Communications Administration"),
    "gd_consumer_council": ("广东省消委会", "Guangdong Consumer Council"),
}

#: Shenzhen's districts (区), where the customer's problem is: optional at intake; the
#: policy file's `[intake] districts` lists those the forms offer.
DISTRICTS: dict[str, tuple[str, str]] = {
    "futian": ("福田区", "Futian"),
    "luohu": ("罗湖区", "Luohu"),
    "nanshan": ("南山区", "Nanshan"),
    "baoan": ("宝安区", "Bao'an"),
    "longgang": ("龙岗区", "Longgang"),
    "yantian": ("盐田区", "Yantian"),
    "longhua": ("龙华区", "Longhua"),
    "pingshan": ("坪山区", "Pingshan"),
    "guangming": ("光明区", "Guangming"),
    "dapeng": ("大鹏新区", "Dapeng New District"),
}

#: Where a complaint came from: straight from the customer, or through an authority.
SOURCES: tuple[str, ...] = ("direct", *AUTHORITIES)

SATISFACTION: dict[str, tuple[str, str]] = {
    "satisfied": ("满意", "Satisfied"),
    "unsatisfied": ("不满意", "Unsatisfied"),
    "unreachable": ("联系不上", "Unreachable"),
    "no_objection": ("无异议自动结案", "No objection (auto-closed)"),
}

MAJOR_CRITERIA: dict[str, tuple[str, str]] = {
    "serious_deficiency": ("严重服务或管理缺陷", "Serious service or management failure"),
    "repeated": ("多次处理仍未解决", "Handled several times, still unresolved"),
    "joint": ("群体投诉（3人以上）", "Joint complaint (3 or more customers)"),
    "media": ("媒体曝光", "Reported by the media"),
    "leadership": ("公司领导关注", "Company leadership attention"),
}

#: Why a complaint became major besides the criteria above: escalated by the desk's hand
#: or by a rule (a missed deadline is `deadline:<clock>`, named by the clock).
ESCALATION_REASONS: dict[str, tuple[str, str]] = {
    "manual": ("重大投诉组人工升级", "Escalated by the major-complaint desk"),
    "timer": ("系统自动升级", "Escalated automatically"),
}

#: The department that runs the major-complaint desk and owns escalated complaints.
CUSTOMER_SERVICE = "customer_service"


def zh(table: dict[str, tuple[str, str]], code: str) -> str:
    """Return the Chinese name of a code, or the code itself when unknown."""
    names = table.get(code)
    return names[0] if names else code

STATE_NAMES: dict[str, tuple[str, str]] = {
    "received": ("已受理", "Received"),
    "assigned": ("已派单", "Assigned"),
    "handling": ("处理中", "Handling"),
    "replied": ("已答复", "Replied"),
    "closed": ("已结案", "Closed"),
    "reopened": ("重新打开", "Reopened"),
}

ACTION_NAMES: dict[str, tuple[str, str]] = {
    "intake": ("受理", "Intake"),
    "assign": ("派单", "Assign"),
    "accept": ("接单", "Accept"),
    "transfer": ("转派", "Transfer"),
    "contact": ("联系客户", "Contact customer"),
    "pause": ("暂停计时", "Pause clock"),
    "resume": ("恢复计时", "Resume clock"),
    "reply": ("答复", "Reply"),
    "close": ("结案", "Close"),
    "reopen": ("重新打开", "Reopen"),
    "escalate": ("升级", "Escalate"),
}

ROLE_NAMES: dict[str, tuple[str, str]] = {
    "operator": ("一线受理员", "Front-line operator"),
    "handler": ("部门处理人", "Department handler"),
    "major_desk": ("重大投诉组", "Major-complaint desk"),
    "auditor": ("市场经营部稽核", "Auditor (market operations)"),
    "admin": ("系统管理员", "Administrator"),
    "system": ("系统", "System"),
}

CLOCK_NAMES: dict[str, tuple[str, str]] = {
    "assign": ("派单时限", "Assign by"),
    "first_contact": ("首次联系时限", "First contact by"),
    "reply": ("答复时限", "Reply by"),
    "progress_contact": ("进展回访", "Progress contact"),
    "auto_close": ("自动结案", "Auto-close"),
    "outer_limit": ("法定处理时限", "Statutory outer limit"),
    "regulator": ("上级回复时限", "Reply to the authority"),
}

#: What each clock is for, in a sentence (shown beside its name where there is room).
CLOCK_HINTS: dict[str, tuple[str, str]] = {
    "assign": ("受理后须在此时限内派单", "Assign the complaint to a department by then"),
    "first_contact": ("须在此时限内首次联系客户", "First contact with the customer by then"),
    "reply": ("须在此时限内答复客户，超时自动升级", "Final answer by then; missing it escalates"),
    "progress_contact": ("处理期间须定期联系客户通报进展",
                         "Tell the customer how it is going, every period while open"),
    "auto_close": ("答复后客户在此时限内无异议则自动结案",
                   "Closed automatically when the customer raises no objection by then"),
    "outer_limit": ("法定最长处理时限，逾期客户可向通信管理局申诉",
                    "The statutory outer limit; after it the customer may appeal to the regulator"),
    "regulator": ("转来投诉的上级单位要求的回复时限",
                  "The reply the forwarding authority asked for"),
}
