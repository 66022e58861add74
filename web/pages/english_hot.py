"""English texts of the hot-issue page (zh -> en), merged into `web.pages.english.EN`."""

EN_HOT: dict[str, str] = {
    '%(a)s 至 %(b)s（%(n)s天），上期 %(c)s 至 %(d)s':
        '%(a)s to %(b)s (%(n)s days); previous period %(c)s to %(d)s',
    '%(n)s件': '%(n)s',
    '%(n)s位客户': '%(n)s customers',
    '%(n)s种': '%(n)s',
    '上升最多的投诉原因': 'Causes that rose most',
    '上期': 'Previous',
    '与上期（同样天数）相比增加最多的原因；本期不足%(n)s件的不列入。':
        'The causes that rose most against the previous period of the same length; '
        'causes with fewer than %(n)s complaints in this period are left out.',
    '件': '',
    '共%(n)s件': '%(n)s in all',
    '区域': 'District',
    '区域或地点': 'District or location',
    '升级为重大投诉（%(n)s张）': 'Escalate as major (%(n)s)',
    '号码': 'Number',
    '均已是重大投诉或已办结': 'All already major or closed',
    '增加': 'Rise',
    '多次投诉的号码': 'Numbers that complained several times',
    '客户数': 'Customers',
    '已于%(at)s升级': 'Escalated %(at)s',
    '已升级的群体投诉': 'Escalated joint complaint',
    '已按群体投诉升级为重大投诉：%(n)s张工单': 'Escalated as a joint (major) complaint: %(n)s complaints',
    '待重大投诉组处理': 'For the major-complaint desk',
    '投诉数': 'Complaints',
    '操作': 'Action',
    '日期无效，已显示最近7天': 'Invalid dates: showing the last 7 days',
    '本期': 'This period',
    '本期内同一原因、同一区域（或同一地点）有%(n)s位以上客户投诉：可按重大投诉标准“群体投诉（3人以上）”升级。':
        'One cause in one district (or at one location) with complaints from %(n)s or more '
        'customers in this period: may be escalated under the major criterion '
        '"joint complaint (3 or more customers)".',
    '本期内投诉%(n)s次以上的号码。': 'Numbers with %(n)s or more complaints in this period.',
    '本期没有上升的投诉原因': 'No cause rose in this period',
    '本期没有多次投诉的号码': 'No number complained several times in this period',
    '本期没有疑似群体投诉': 'No candidate joint complaints in this period',
    '查询': 'Show',
    '涉及原因': 'Causes',
    '热点投诉原因（本期与上期）': 'Hot causes (this period and the previous one)',
    '热点问题': 'Hot issues',
    '热点问题涉及的工单': 'Complaints behind a hot issue',
    '疑似群体投诉': 'Candidate joint complaints',
    '返回热点问题': 'Back to hot issues',
    '这组投诉已经升级过': 'This cluster was escalated already',
    '这组投诉的客户数已不足，未升级': 'This cluster no longer has enough customers: not escalated',
}
