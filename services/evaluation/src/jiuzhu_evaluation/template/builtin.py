"""Built-in indicator templates, seeded as reference data (migration 0002). Each cites its source.

Weights are this product's defaults, not the seeds' numbers (the seeds name the dimensions and say
"weighted towards recipient satisfaction" but give no figures); a bureau copies a template to a new
version to change them.
"""

from __future__ import annotations

import uuid
from typing import Any

SEED_DIMENSIONS = "seed 000 四(四); 龙民〔2018〕170号 一(六) (seed 001); seed 003 三(五)4"

COMPREHENSIVE: dict[str, Any] = {
    "code": "social-assistance-comprehensive",
    "name": "政府购买社会救助服务综合绩效评价",
    "kind": "project",
    "citation": SEED_DIMENSIONS + "; 灵政办发〔2018〕201号 六(二) (seed 002)",
    "description": (
        "购买主体、服务对象及第三方组成的综合性评价：服务成效、项目管理、社会影响，并侧重服务对象满意度"
        "（满意度维度权重最高）。"
    ),
    "dimensions": [
        {
            "key": "service_effectiveness",
            "name": "服务成效",
            "weight": "30",
            "citation": "seed 000 四(四); seed 001 一(六); seed 003 三(五)4",
            "indicators": [
                {
                    "key": "service_volume",
                    "name": "服务数量完成率（完成户次/合同户次）",
                    "type": "count",
                    "weight": "40",
                    "config": {"target": 100},
                },
                {
                    "key": "verification_accuracy",
                    "name": "家计调查/入户核查准确率（%）达 95 以上",
                    "type": "threshold",
                    "weight": "30",
                    "config": {"threshold": "95", "direction": "at_least"},
                },
                {
                    "key": "late_cases",
                    "name": "逾期办理（每件扣 5 分）",
                    "type": "deduction",
                    "weight": "30",
                    "config": {"per_item": "5"},
                },
            ],
        },
        {
            "key": "project_management",
            "name": "项目管理",
            "weight": "20",
            "citation": "seed 000 四(四); seed 002 六(二) 日常管理",
            "indicators": [
                {
                    "key": "records_complete",
                    "name": "服务档案完整率（%）达 95 以上",
                    "type": "threshold",
                    "weight": "30",
                    "config": {"threshold": "95", "direction": "at_least"},
                },
                {
                    "key": "staff_in_post",
                    "name": "在岗人数达到合同人数",
                    "type": "count",
                    "weight": "30",
                    "config": {"target": 1},
                },
                {
                    "key": "finance_issues",
                    "name": "资金使用不规范问题（每项扣 10 分）",
                    "type": "deduction",
                    "weight": "40",
                    "config": {"per_item": "10"},
                },
            ],
        },
        {
            "key": "social_impact",
            "name": "社会影响",
            "weight": "20",
            "citation": "seed 000 四(四); seed 003 三(五)4",
            "indicators": [
                {
                    "key": "public_recognition",
                    "name": "社会认可度",
                    "type": "likert",
                    "weight": "50",
                    "config": {"points": 5},
                },
                {
                    "key": "valid_complaints",
                    "name": "有效投诉（每件扣 10 分）",
                    "type": "deduction",
                    "weight": "50",
                    "config": {"per_item": "10"},
                },
            ],
        },
        {
            "key": "recipient_satisfaction",
            "name": "服务对象满意度",
            "weight": "30",
            "citation": "seed 001 一(六) 侧重服务对象的满意度评价; seed 003 三(五)4; seed 004 四(四)",
            "indicators": [
                {
                    "key": "overall_satisfaction",
                    "name": "对救助服务的总体满意度",
                    "type": "likert",
                    "weight": "40",
                    "config": {"points": 5},
                },
                {
                    "key": "service_attitude",
                    "name": "服务态度",
                    "type": "likert",
                    "weight": "30",
                    "config": {"points": 5},
                },
                {
                    "key": "share_satisfied",
                    "name": "满意率（问卷满意及以上占比）",
                    "type": "computed",
                    "weight": "30",
                    "config": {"source": "survey_share_satisfied"},
                },
            ],
        },
    ],
}

FINANCE_PROJECT: dict[str, Any] = {
    "code": "finance-project",
    "name": "项目支出绩效评价（财政通用框架）",
    "kind": "project",
    "citation": "财政项目支出绩效评价共性指标框架（决策、过程、产出、效益）及满意度; 权重为本产品默认值",
    "dimensions": [
        {
            "key": "decision",
            "name": "决策",
            "weight": "15",
            "indicators": [
                {
                    "key": "project_basis",
                    "name": "立项依据充分性",
                    "type": "likert",
                    "weight": "50",
                    "config": {"points": 5},
                },
                {
                    "key": "goals_clear",
                    "name": "绩效目标明确性",
                    "type": "likert",
                    "weight": "50",
                    "config": {"points": 5},
                },
            ],
        },
        {
            "key": "process",
            "name": "过程",
            "weight": "15",
            "indicators": [
                {
                    "key": "funds_in_place",
                    "name": "资金到位率（%）达 100",
                    "type": "threshold",
                    "weight": "50",
                    "config": {"threshold": "100", "direction": "at_least"},
                },
                {
                    "key": "process_issues",
                    "name": "管理制度执行问题（每项扣 10 分）",
                    "type": "deduction",
                    "weight": "50",
                    "config": {"per_item": "10"},
                },
            ],
        },
        {
            "key": "output",
            "name": "产出",
            "weight": "30",
            "indicators": [
                {
                    "key": "output_quantity",
                    "name": "实际完成率",
                    "type": "count",
                    "weight": "50",
                    "config": {"target": 100},
                },
                {
                    "key": "output_quality",
                    "name": "质量达标率（%）达 90 以上",
                    "type": "threshold",
                    "weight": "30",
                    "config": {"threshold": "90", "direction": "at_least"},
                },
                {
                    "key": "output_timeliness",
                    "name": "完成及时性（逾期每项扣 5 分）",
                    "type": "deduction",
                    "weight": "20",
                    "config": {"per_item": "5"},
                },
            ],
        },
        {
            "key": "effect",
            "name": "效益",
            "weight": "30",
            "indicators": [
                {
                    "key": "social_benefit",
                    "name": "社会效益",
                    "type": "likert",
                    "weight": "60",
                    "config": {"points": 5},
                },
                {
                    "key": "sustainability",
                    "name": "可持续影响",
                    "type": "likert",
                    "weight": "40",
                    "config": {"points": 5},
                },
            ],
        },
        {
            "key": "satisfaction",
            "name": "满意度",
            "weight": "10",
            "indicators": [
                {
                    "key": "beneficiary_satisfaction",
                    "name": "服务对象满意度",
                    "type": "likert",
                    "weight": "100",
                    "config": {"points": 5},
                },
            ],
        },
    ],
}

STAFF_ANNUAL: dict[str, Any] = {
    "code": "staff-annual",
    "name": "被派遣工作人员年度考核",
    "kind": "staff",
    "citation": "seed 000 四(三) 年度考核、工资与工作量和工作成效挂钩; seed 002 四(八) 平时表现与年终考核相结合",
    "description": "合格以上继续聘用并按 5% 递增工资 (seed 000 二(七))；不合格不再续聘 (seed 000 四(三))。",
    "dimensions": [
        {
            "key": "conduct",
            "name": "德（思想政治与职业道德）",
            "weight": "15",
            "indicators": [
                {
                    "key": "ethics",
                    "name": "职业道德",
                    "type": "likert",
                    "weight": "100",
                    "config": {"points": 5},
                },
            ],
        },
        {
            "key": "diligence",
            "name": "勤（出勤与纪律）",
            "weight": "15",
            "indicators": [
                {
                    "key": "absences",
                    "name": "无故缺勤（每次扣 10 分）",
                    "type": "deduction",
                    "weight": "100",
                    "config": {"per_item": "10"},
                },
            ],
        },
        {
            "key": "workload",
            "name": "工作量",
            "weight": "30",
            "citation": "seed 000 四(三) 与工作量挂钩",
            "indicators": [
                {
                    "key": "cases_handled",
                    "name": "完成入户核查/经办任务数（目标 100）",
                    "type": "count",
                    "weight": "100",
                    "config": {"target": 100},
                },
            ],
        },
        {
            "key": "results",
            "name": "工作成效",
            "weight": "40",
            "citation": "seed 000 四(三) 与工作成效挂钩",
            "indicators": [
                {
                    "key": "accuracy",
                    "name": "核查准确率（%）达 95 以上",
                    "type": "threshold",
                    "weight": "50",
                    "config": {"threshold": "95", "direction": "at_least"},
                },
                {
                    "key": "daily_performance",
                    "name": "平时表现 (seed 002 四(八))",
                    "type": "likert",
                    "weight": "50",
                    "config": {"points": 5},
                },
            ],
        },
    ],
}

BUILTINS: tuple[dict[str, Any], ...] = (COMPREHENSIVE, FINANCE_PROJECT, STAFF_ANNUAL)


def builtin_id(code: str, version: int = 1) -> uuid.UUID:
    """Stable ids of the seeded built-ins, so other services and tests can name them."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"jiuzhu:indicator_template:{code}:{version}")
