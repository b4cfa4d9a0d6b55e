"""The default checklist 《紧密型县域医共体建设核查表（示例）》 as plain data.

Pure Python: no Flask, no database. The seeding code turns ``DEFAULT_TEMPLATE``
into a published checklist version; ``xlsx.export_version`` / ``import_version``
exchange the same dict shape with Excel.

Shape::

    {"name": str, "version_label": str,
     "sections": [{"code": "A", "title": "责任共同体",
                   "items": [{"code": "A01", "content": str,
                              "method": "documents" | "onsite" | "interview",
                              "site_kinds": [site-kind code, ...],
                              "photo_required": bool, "weight": float | None,
                              "veto": bool, "guidance": str}, ...]}, ...]}

Basis: 国卫办基层发〔2020〕12号 (four 共同体 dimensions) plus the Henan vocabulary
of 统一法人 / 资产划转 / 七统一 / 一办六部 / 六大远程中心 / 信息化. Weights sum to
100; 一票否决 items carry no weight (they decide pass/fail on their own).
"""

from __future__ import annotations

import copy

# --- site kinds -------------------------------------------------------------

#: Built-in site kinds (code → Chinese name), in display order. The app seeds
#: exactly these codes; counties may rename them or add their own.
SITE_KIND_NAMES: dict[str, str] = {
    # 一办六部
    "office": "医共体管理办公室",
    "dept_hr": "人力资源部",
    "dept_finance": "财务管理部",
    "dept_medical": "医疗业务部",
    "dept_public_health": "公共卫生部",
    "dept_it": "信息管理部",
    "dept_operations": "医保药械运营管理部",
    # 六大远程中心
    "center_imaging": "远程影像诊断中心",
    "center_ecg": "远程心电诊断中心",
    "center_consult": "远程会诊中心",
    "center_lab": "医学检验中心",
    "center_pathology": "病理诊断中心",
    "center_sterile": "消毒供应中心",
    # 医疗卫生机构
    "county_hospital": "县级医院",
    "township_center": "乡镇卫生院/社区卫生服务中心",
    "village_clinic": "村卫生室",
    # 政府部门
    "gov_department": "政府部门",
}

#: The site-kind codes, for seeding and consistency checks.
SITE_KIND_CODES: tuple[str, ...] = tuple(SITE_KIND_NAMES)

#: 一办六部 and 六大远程中心 codes, handy for grouping.
MANAGEMENT_SITE_KINDS: tuple[str, ...] = (
    "office", "dept_hr", "dept_finance", "dept_medical",
    "dept_public_health", "dept_it", "dept_operations",
)
CENTER_SITE_KINDS: tuple[str, ...] = (
    "center_imaging", "center_ecg", "center_consult",
    "center_lab", "center_pathology", "center_sterile",
)

# --- methods ----------------------------------------------------------------

METHOD_LABELS: dict[str, str] = {"documents": "查资料", "onsite": "看现场", "interview": "访谈"}

# --- the template -----------------------------------------------------------

_OFFICE = "office"
_HR, _FIN, _MED, _PH, _IT, _OPS = (
    "dept_hr", "dept_finance", "dept_medical", "dept_public_health", "dept_it", "dept_operations",
)
_CH, _TC, _VC, _GOV = "county_hospital", "township_center", "village_clinic", "gov_department"


def _item(code, content, method, site_kinds, weight, guidance, *, photo=None, veto=False):
    """One item dict; photo evidence defaults to required for 看现场 items."""
    return {
        "code": code,
        "content": content,
        "method": method,
        "site_kinds": list(site_kinds),
        "photo_required": (method == "onsite") if photo is None else photo,
        "weight": None if weight is None else float(weight),
        "veto": veto,
        "guidance": guidance,
    }


_SECTION_A = [
    _item("A01", "县级党委政府成立由主要负责同志任组长的医共体建设领导小组（管理委员会），印发部门职责清单",
          "documents", [_GOV, _OFFICE], 2,
          "查成立文件和职责清单：组长是否为县委或县政府主要负责同志，卫健、医保、财政、人社、编办等部门职责是否逐一明确。"),
    _item("A02", "医共体管理委员会定期召开会议研究解决建设中的重大问题，年内会议不少于 2 次",
          "documents", [_GOV, _OFFICE], 1.5,
          "查近一年会议纪要和议定事项落实台账；只发文件、未开会或议定事项无落实记录的，判为不符合。"),
    _item("A03", "县级政府落实对医共体的财政投入政策，基本建设、设备购置、重点学科和人才培养等经费足额纳入年度预算",
          "documents", [_GOV], 2.5,
          "查财政预算文件和拨付凭证，核对投入项目与文件一致；投入渠道、力度不因组建医共体而减少。"),
    _item("A04", "编制部门对医共体实行编制统筹使用，县乡编制统一核定、统筹管理，空编及时补充",
          "documents", [_GOV, _HR], 2,
          "查编制核定文件和编制使用台账；核对医共体内县乡之间调剂使用编制的实例。"),
    _item("A05", "人社部门出台医共体薪酬制度改革政策，落实“两个允许”要求，合理核定绩效工资总量",
          "documents", [_GOV, _HR], 2,
          "查人社部门政策文件和绩效工资总量核定文件；核对总量核定是否体现“两个允许”。"),
    _item("A06", "医保部门印发对医共体实行医保基金总额打包付费的政策文件，明确“结余留用、合理超支分担”",
          "documents", [_GOV, _OPS], 2,
          "查医保部门打包付费文件，核对打包范围、年度预算、结余留用和超支分担规则是否明确。"),
    _item("A07", "医共体章程经管理委员会审议通过，明确牵头医院与成员单位的权责关系和议事规则",
          "documents", [_OFFICE], 1.5,
          "查章程文本及审议会议纪要；章程应载明组织架构、权责划分、议事决策和监督机制。"),
    _item("A08", "县级政府将医共体建设纳入对乡镇（街道）和相关部门的年度目标考核",
          "documents", [_GOV], 1.5,
          "查年度目标考核方案及考核结果通报，核对医共体建设指标的分值和考核结果运用。"),
    _item("A09", "卫生健康行政部门将人事管理、内部机构设置、收入分配等经营管理自主权下放医共体，形成权责清单",
          "documents", [_GOV, _OFFICE], 1.5,
          "查放权文件和权责清单；访谈医共体负责人，核实下放事项是否实际由医共体行使。"),
]

_SECTION_B = [
    # 统一法人、资产划转
    _item("B01", "医共体已完成统一法人登记，取得事业单位法人证书",
          "documents", [_OFFICE, _GOV], None,
          "查事业单位法人证书原件或登记信息，核对名称、举办单位和法定代表人；未完成统一法人登记的，一票否决。",
          photo=True, veto=True),
    _item("B02", "成员单位统一悬挂医共体分院（分支机构）标识，对外统一使用医共体名称",
          "onsite", [_CH, _TC, _VC], 2,
          "实地查看院区门头、标识标牌、处方笺和检查报告单抬头，拍摄门头标识照片。"),
    _item("B03", "成员单位国有资产已划转医共体统一管理，资产清查、登记、划转手续完备",
          "documents", [_FIN, _TC], 2.5,
          "查资产清查报告、资产划转批复和资产台账，抽查 1–2 家乡镇卫生院资产账与医共体账是否一致。"),
    # 七统一
    _item("B04", "行政管理统一：医共体统一制定内部管理制度，成员单位执行统一的行政管理制度",
          "documents", [_OFFICE, _TC], 1.5,
          "查医共体制度汇编，抽查乡镇卫生院在用制度是否为医共体统一版本。"),
    _item("B05", "人员管理统一：医共体统一招聘、统一培训、统一调配成员单位人员",
          "documents", [_HR, _TC], 2,
          "查近一年招聘公告、培训计划和人员调配文件；核对乡镇卫生院新进人员是否由医共体统一招聘。"),
    _item("B06", "财务管理统一：医共体设立财务管理中心，对成员单位实行统一核算、统一账户管理",
          "documents", [_FIN, _TC], 2,
          "查财务管理中心设立文件、账户清单和会计核算记录；成员单位不得另设账外账户。"),
    _item("B07", "医疗业务统一：医共体统一医疗质量管理制度和诊疗规范，对成员单位开展统一质控",
          "documents", [_MED, _CH, _TC], 2,
          "查统一质控方案和近半年质控检查记录、通报及整改反馈。"),
    _item("B08", "绩效考核统一：医共体对成员单位实行统一的绩效考核方案，考核结果与负责人年薪和绩效分配挂钩",
          "documents", [_OFFICE, _HR, _TC], 1.5,
          "查成员单位考核方案、考核结果及兑现凭证，核对考核结果是否用于年薪和绩效分配。"),
    _item("B09", "药品耗材统一：医共体统一药品耗材目录、统一采购、统一配送，县乡用药目录衔接",
          "documents", [_OPS, _TC, _VC], 2,
          "查统一用药目录、采购合同和配送记录；抽查乡镇卫生院、村卫生室常用慢病药品是否与县级医院衔接。"),
    _item("B10", "信息系统统一：医共体成员单位使用统一的 HIS、LIS、PACS 等业务信息系统",
          "onsite", [_IT, _TC], 1.5,
          "在乡镇卫生院现场登录业务系统，查看是否为医共体统一部署的系统，拍摄系统界面照片。"),
    # 一办六部 实体化运行
    _item("B11", "医共体管理办公室独立设置，有固定办公场所，专职人员到岗，实体化运行",
          "onsite", [_OFFICE], 2,
          "实地查看办公场所和人员在岗情况，查人员花名册和近三个月工作记录，拍摄办公场所照片。"),
    _item("B12", "人力资源部实体化运行，配备专职人员，统一管理医共体人员招聘、培训、调配和人事档案",
          "onsite", [_HR], 1.5,
          "实地查看办公场所、专职人员和人事档案管理，查近三个月工作台账。"),
    _item("B13", "财务管理部实体化运行，对成员单位财务实行集中核算，定期开展内部审计",
          "onsite", [_FIN], 1.5,
          "实地查看办公场所和专职人员，查集中核算记录和年度内部审计报告。"),
    _item("B14", "医疗业务部实体化运行，统一开展医疗质量控制、医疗安全和技术准入管理",
          "onsite", [_MED], 1.5,
          "实地查看办公场所和专职人员，查质控、医疗安全和新技术准入工作台账。"),
    _item("B15", "公共卫生部实体化运行，统筹指导成员单位基本公共卫生服务和重大公共卫生项目",
          "onsite", [_PH], 1.5,
          "实地查看办公场所和专职人员，查对乡镇卫生院公共卫生工作的指导、督导和考核记录。"),
    _item("B16", "信息管理部实体化运行，统一负责医共体信息系统建设、运维和数据安全",
          "onsite", [_IT], 1.5,
          "实地查看办公场所、机房和专职人员，查系统运维记录和故障处理台账。"),
    _item("B17", "医保药械运营管理部实体化运行，统一负责医保结算管理、药品耗材供应和运营分析",
          "onsite", [_OPS], 1.5,
          "实地查看办公场所和专职人员，查医保结算审核记录、药械供应台账和月度运营分析报告。"),
    _item("B18", "一办六部负责人能准确说明本部门职责、工作流程和近期重点工作",
          "interview", list(MANAGEMENT_SITE_KINDS), 1,
          "访谈办公室和各部负责人各 1 人，了解职责分工、与成员单位的工作衔接和存在的困难。"),
]

_SECTION_C = [
    # 六大远程中心：从中心一侧和乡镇卫生院（接收服务）一侧各查一遍
    _item("C01", "远程影像诊断中心实体运行，配备专职诊断医师，乡镇卫生院上传的影像能实时调阅并出具诊断报告",
          "onsite", ["center_imaging", _TC], 2,
          "在中心现场调阅乡镇卫生院当日或近期上传的影像及报告；在乡镇卫生院查看报告回传情况，拍摄工作场景。"),
    _item("C02", "远程影像诊断服务覆盖辖区全部乡镇卫生院，诊断报告在规定时限内返回",
          "documents", ["center_imaging", _TC], 1.5,
          "查近三个月远程影像诊断台账，统计覆盖的乡镇卫生院数和报告平均返回时间。"),
    _item("C03", "远程心电诊断中心实体运行，乡镇卫生院心电数据实时上传，中心出具诊断报告并及时反馈危急值",
          "onsite", ["center_ecg", _TC], 2,
          "在中心现场查看心电数据接收和诊断界面；在乡镇卫生院查看心电设备联网和报告回传情况，拍照留存。"),
    _item("C04", "远程心电诊断服务覆盖辖区全部乡镇卫生院，有危急值报告登记",
          "documents", ["center_ecg", _TC], 1.5,
          "查近三个月远程心电诊断台账和危急值报告登记本，统计覆盖的乡镇卫生院数。"),
    _item("C05", "远程会诊中心配备会诊设备和专人管理，能够为乡镇卫生院提供实时远程会诊",
          "onsite", ["center_consult", _TC], 1.5,
          "现场查看会诊室、设备运行和值班安排；在乡镇卫生院查看会诊终端是否可用，拍照留存。"),
    _item("C06", "远程会诊申请、会诊意见和结果反馈记录完整",
          "documents", ["center_consult", _TC], 1,
          "查近三个月会诊记录，抽查 3 例核对申请、会诊意见和乡镇卫生院执行反馈。"),
    _item("C07", "医学检验中心统一承担乡镇卫生院检验标本的收集、转运和检测，标本转运规范",
          "onsite", ["center_lab", _TC], 1.5,
          "现场查看标本交接、冷链转运箱和检测流程；在乡镇卫生院查看标本送检登记，拍照留存。"),
    _item("C08", "医学检验中心检验报告通过信息系统回传乡镇卫生院，县乡检验结果互认",
          "documents", ["center_lab", _TC], 1,
          "查检验结果回传记录和互认项目清单，抽查乡镇卫生院能否在系统中查到送检报告。"),
    _item("C09", "病理诊断中心接收乡镇卫生院送检标本并出具病理诊断报告",
          "onsite", ["center_pathology", _TC], 1.5,
          "现场查看病理标本接收、制片和诊断流程；在乡镇卫生院查看送检记录，拍照留存。"),
    _item("C10", "病理标本送检、交接和报告回传有登记，报告时限符合要求",
          "documents", ["center_pathology", _TC], 1,
          "查近三个月病理送检和报告登记，核对报告时限。"),
    _item("C11", "消毒供应中心统一承担乡镇卫生院可复用器械的回收、清洗、消毒、灭菌和配送，区域布局合理",
          "onsite", ["center_sterile", _TC], 1.5,
          "现场查看去污区、检查包装及灭菌区、无菌物品存放区分区和流程；在乡镇卫生院查看器械交接，拍照留存。"),
    _item("C12", "器械回收配送交接记录和灭菌质量监测记录完整，可追溯",
          "documents", ["center_sterile", _TC], 1,
          "查回收配送交接单和灭菌监测记录，随机抽取 1 个器械包追溯至灭菌批次。"),
    # 双向转诊
    _item("C13", "医共体制定双向转诊制度和转诊病种目录，设立转诊服务中心（窗口）并有专人负责",
          "documents", [_CH, _MED], 1.5,
          "查双向转诊制度、病种目录和转诊中心人员安排；现场查看转诊窗口。"),
    _item("C14", "乡镇卫生院上转、县级医院下转患者均有登记台账，下转患者有康复随访记录",
          "documents", [_TC, _CH], 1.5,
          "查近三个月上转、下转台账，抽查 3 例下转患者的随访记录。"),
    _item("C15", "县级医院为乡镇卫生院上转患者预留号源和床位，转诊便捷",
          "interview", [_TC, _CH], 1,
          "访谈乡镇卫生院医生和上转患者各 2 人，了解预约转诊是否顺畅、是否需要重复排队挂号。"),
    # 医防融合
    _item("C16", "医共体建立医防融合工作机制，县级医院与疾控机构、乡镇卫生院共同开展高血压、糖尿病等慢病管理",
          "documents", [_PH, _CH, _TC], 1.5,
          "查医防融合工作方案、县级专科医生参与基层慢病管理的排班和记录。"),
    _item("C17", "乡镇卫生院设立慢病一体化门诊，高血压、糖尿病患者规范管理",
          "onsite", [_TC], 1,
          "现场查看慢病门诊设置，抽查 5 份高血压、糖尿病患者管理档案，拍照留存。"),
    # 家庭医生签约
    _item("C18", "家庭医生签约团队由县级医院医生、乡镇卫生院医生和乡村医生组成，签约协议和履约记录完整",
          "documents", [_TC, _VC, _PH], 1.5,
          "查签约团队组成名单、签约协议和履约服务记录，抽查 5 份协议核对履约情况。"),
    _item("C19", "签约居民知晓签约医生，获得随访和健康指导",
          "interview", [_VC, _TC], 1,
          "随机访谈签约居民 3–5 人，了解是否知晓签约医生、近一年是否接受随访服务。"),
    # 人才下沉
    _item("C20", "县级医院向乡镇卫生院下派管理和技术人员，派驻人员在岗履职，有考勤和工作记录",
          "documents", [_CH, _TC, _HR], 1.5,
          "查下派人员文件、名单、考勤和工作记录，核对派驻时间是否达到要求。"),
    _item("C21", "乡镇卫生院公示县级下沉专家坐诊排班表，专家按排班在岗",
          "onsite", [_TC], 1,
          "现场查看排班公示，核对当日专家是否在岗，拍摄公示照片。"),
    _item("C22", "村卫生室达到标准化建设要求，诊室、治疗室、药房分设，配备基本设备",
          "onsite", [_VC], 1,
          "实地查看村卫生室房屋、功能分区和设备配备，拍照留存。"),
    _item("C23", "乡村医生纳入医共体统一培训，年内参加培训有记录",
          "documents", [_VC, _HR], 1,
          "查医共体培训计划和乡村医生培训签到、考核记录。"),
]

_SECTION_D = [
    _item("D01", "医保部门与医共体签订总额打包付费协议，年度结余资金按规定留归医共体",
          "documents", [_OPS, _GOV], 2.5,
          "查打包付费协议、年度清算报告和结余资金拨付凭证。"),
    _item("D02", "医共体制定医保结余资金内部分配和使用办法，结余资金主要用于人员激励和能力建设",
          "documents", [_OPS, _FIN], 2,
          "查结余资金使用办法和实际使用明细，核对用于人员激励和能力建设的比例。"),
    _item("D03", "医共体建立以健康为中心的绩效考核体系，考核指标包括县域内就诊率、基层就诊率和双向转诊等",
          "documents", [_OFFICE, _HR], 2,
          "查绩效考核方案和指标体系，核对指标是否体现“以健康为中心”和分级诊疗导向。"),
    _item("D04", "县域内就诊率达到 90% 左右",
          "documents", [_OFFICE, _OPS], 2,
          "查医保结算数据和卫生统计报表，计算上一年度县域内就诊率。"),
    _item("D05", "基层医疗卫生机构诊疗量占县域总诊疗量的比例达到 65% 及以上",
          "documents", [_OFFICE, _TC], 2,
          "查卫生统计报表，计算上一年度基层诊疗量占比，并与上年比较。"),
    _item("D06", "医共体落实薪酬制度改革，内部分配向临床一线、基层岗位和业务骨干倾斜",
          "documents", [_HR, _FIN, _CH], 2,
          "查内部薪酬分配方案和近一年绩效发放明细，比较基层岗位与县级医院同类岗位收入。"),
    _item("D07", "医务人员知晓绩效分配方案，改革后收入有所提高",
          "interview", [_TC, _CH], 1,
          "访谈乡镇卫生院和县级医院医务人员各 2–3 人，了解对分配方案的知晓和收入变化。"),
    _item("D08", "成员单位负责人实行年薪制，年薪制实施方案经管理委员会批准",
          "documents", [_HR, _GOV], 1,
          "查年薪制实施方案、审批文件和年薪兑现记录。"),
    _item("D09", "近一年未发生分解住院、推诿病人、虚构医疗服务等违规使用医保基金行为",
          "documents", [_OPS, _CH, _TC], None,
          "查医保部门飞行检查、专项检查结果和处理通报；查实存在上述行为的，一票否决。",
          veto=True),
]

_SECTION_E = [
    _item("E01", "医共体建成统一的信息平台，成员单位电子病历、公共卫生、医保结算等数据互联互通",
          "onsite", [_IT, _OFFICE], 2.5,
          "现场查看平台运行，演示跨机构调阅患者就诊记录，拍摄平台界面照片。"),
    _item("E02", "六大远程中心均已接入医共体信息平台，乡镇卫生院发起申请至报告回传全流程在线",
          "onsite", list(CENTER_SITE_KINDS) + [_IT], 2,
          "在各中心现场演示从乡镇卫生院发起申请到报告回传的全过程，拍照留存。"),
    _item("E03", "居民电子健康档案与电子病历信息共享，乡镇卫生院、村卫生室可调阅县级医院诊疗信息",
          "onsite", [_TC, _VC, _IT], 1.5,
          "在乡镇卫生院或村卫生室现场调阅 1 名居民在县级医院的诊疗记录。",
          photo=False),
    _item("E04", "县乡检查检验结果在信息平台上互认共享，可查询互认记录",
          "documents", [_CH, _TC, "center_lab"], 1.5,
          "查检查检验结果互认清单和平台互认记录。"),
    _item("E05", "医共体落实网络安全等级保护要求，建立数据安全管理制度和应急预案",
          "documents", [_IT], 2,
          "查等级保护测评报告、数据安全管理制度、应急预案和演练记录。"),
    _item("E06", "近一年未发生重大网络安全事件或患者个人信息泄露事件",
          "documents", [_IT], None,
          "查网信、公安等部门通报和医共体安全事件台账；发生重大事件的，一票否决。",
          veto=True),
]

DEFAULT_TEMPLATE: dict = {
    "name": "紧密型县域医共体建设核查表（示例）",
    "version_label": "2022版",
    "sections": [
        {"code": "A", "title": "责任共同体", "items": _SECTION_A},
        {"code": "B", "title": "管理共同体", "items": _SECTION_B},
        {"code": "C", "title": "服务共同体", "items": _SECTION_C},
        {"code": "D", "title": "利益共同体", "items": _SECTION_D},
        {"code": "E", "title": "信息化", "items": _SECTION_E},
    ],
}


def default_template() -> dict:
    """A deep copy of DEFAULT_TEMPLATE that callers may modify freely."""
    return copy.deepcopy(DEFAULT_TEMPLATE)
