"""The OCDS 1.1 packages as the contract types them: release and record packages, and what their
releases hold (the subset of the OCDS release schema ocds.py publishes, field for field).

The routes send the packages ocds.py builds as they are (key order and `null`s included: a value
that stops applying is published once as `null`, OCDS's way of removing it from the compiled
release, so every optional scalar here may be `null`); these models are the contract of that body,
and tests/stories/ocds.py checks every package the stories publish against the committed contract.
No extension fields are published, so every model forbids additional properties.
"""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

ReleaseTag = Literal[
    "planning",
    "planningUpdate",
    "tender",
    "tenderAmendment",
    "tenderUpdate",
    "tenderCancellation",
    "award",
    "awardUpdate",
    "awardCancellation",
    "contract",
    "contractUpdate",
    "contractAmendment",
    "implementation",
    "implementationUpdate",
    "contractTermination",
    "compiled",
]


class _Ocds(BaseModel):
    model_config = ConfigDict(extra="forbid")


class OcdsValue(_Ocds):
    """金额 OCDS Value: an amount of money (an OCDS number, exact to the fen) and its currency."""

    amount: float = Field(description="金额（元） the amount, a JSON number", examples=[1150000])
    currency: Literal["CNY"] = Field(description="币种 ISO 4217 currency code")


class OcdsIdentifier(_Ocds):
    """组织标识 OCDS Identifier: an organization's code in a registry (`CN-USCI`, `CN-GBT2260`)."""

    scheme: str = Field(description="登记机构 the register (`CN-USCI` credit codes, `CN-GBT2260` divisions)")
    id: str = Field(
        description="代码 the organization's code in that register", examples=["52350802MA00005016"]
    )
    legalName: str = Field(description="法定名称 the organization's legal name")


class OcdsAddress(_Ocds):
    """地址 OCDS Address of the buyer, as far as the purchaser registry knows it."""

    region: str | None = Field(default=None, description="省级行政区 the province")
    locality: str | None = Field(default=None, description="地区 the city or county")
    countryName: str | None = Field(default=None, description="国家 the country (中国)")


class OcdsContactPoint(_Ocds):
    """联系人 OCDS ContactPoint: the buyer's office to contact."""

    name: str | None = Field(default=None, description="联系部门或联系人 the office or person to contact")


class OcdsOrganizationReference(_Ocds):
    """组织引用 OCDS OrganizationReference: a party named by its `id` in `parties`."""

    id: str = Field(description="参与方标识 the party's `id` in `parties` (`<scheme>-<code>`)")
    name: str = Field(description="名称 the party's name")


class OcdsOrganization(_Ocds):
    """参与方 OCDS Organization: the buyer, tenderers, suppliers, payer and payees, with their roles."""

    id: str = Field(description="参与方标识 `<scheme>-<code>`, e.g. `CN-USCI-52350802MA00005016`")
    name: str = Field(description="名称 the organization's name")
    identifier: OcdsIdentifier = Field(description="组织标识 its code in a registry")
    address: OcdsAddress | None = Field(default=None, description="地址 the buyer's address")
    contactPoint: OcdsContactPoint | None = Field(default=None, description="联系人 the buyer's contact")
    roles: list[str] = Field(
        description="角色 partyRole codes: buyer, procuringEntity, tenderer, supplier, payer, payee"
    )


class OcdsClassification(_Ocds):
    """分类 OCDS Classification of an item by the purchasable-services catalogue."""

    scheme: str = Field(
        description="分类体系 `x_jiuzhu_catalogue`, the catalogue of the procurement rule packs"
    )
    id: str = Field(description="目录代码 the catalogue code", examples=["AS01"])
    description: str | None = Field(default=None, description="名称 the code's Chinese name")
    uri: str | None = Field(default=None, description="目录地址 the catalogue in force (`GET /catalogue`)")


class OcdsItem(_Ocds):
    """采购品目 OCDS Item: one service bought."""

    id: str = Field(description="品目标识 the catalogue code")
    description: str | None = Field(default=None, description="名称 what is bought")
    classification: OcdsClassification = Field(description="分类 its catalogue classification")


class OcdsPeriod(_Ocds):
    """期间 OCDS Period: the first and last day (China time)."""

    startDate: datetime | None = Field(default=None, description="起始 the first day")
    endDate: datetime | None = Field(default=None, description="截止 the last day")


class OcdsBudget(_Ocds):
    """预算 OCDS Budget: the amount planned and where the money comes from."""

    description: str | None = Field(default=None, description="资金来源 the funding source, in Chinese")
    amount: OcdsValue = Field(description="预算金额 the budget")


class OcdsPlanning(_Ocds):
    """计划 OCDS Planning: the budget of the purchase."""

    budget: OcdsBudget = Field(description="预算 the budget")


class OcdsTender(_Ocds):
    """招标 OCDS Tender: the bid round under way or last held (sealed bids never appear)."""

    id: str = Field(description="标识 `<ocid>-tender-<round>`")
    title: str | None = Field(default=None, description="标题 the project's title")
    status: Literal["planning", "planned", "active", "cancelled", "unsuccessful", "complete", "withdrawn"] = (
        Field(description="状态 tenderStatus code")
    )
    items: list[OcdsItem] = Field(description="品目 the services bought")
    value: OcdsValue = Field(description="预算金额 the budget")
    mainProcurementCategory: Literal["goods", "works", "services"] = Field(
        description="采购类别 always services"
    )
    description: str | None = Field(default=None, description="服务数量 how much is bought")
    procurementMethod: Literal["open", "selective", "limited", "direct"] | None = Field(
        default=None, description="采购方式 method code (open_tender→open, invited_tender→selective, …)"
    )
    procurementMethodDetails: str | None = Field(
        default=None, description="采购方式（中文） the method in Chinese"
    )
    procurementMethodRationale: str | None = Field(
        default=None, description="适用理由 the ground and the finance bureau's approval, where the law asks"
    )
    awardCriteria: str | None = Field(default=None, description="评审方法 awardCriteria code (ratedCriteria)")
    awardCriteriaDetails: str | None = Field(
        default=None, description="评审方法说明 the scoring method, cited"
    )
    tenderPeriod: OcdsPeriod | None = Field(default=None, description="投标期 from the announcement")
    tenderers: list[OcdsOrganizationReference] | None = Field(
        default=None, description="投标人 named with the result, then for good"
    )
    numberOfTenderers: int | None = Field(default=None, description="投标人数 of those named")


class OcdsAward(_Ocds):
    """成交 OCDS Award: the result; one no longer current is published again as cancelled."""

    id: str = Field(description="标识 `<ocid>-award-<bid id>`")
    status: Literal["pending", "active", "cancelled", "unsuccessful"] = Field(
        description="状态 awardStatus code"
    )
    date: datetime | None = Field(default=None, description="成交日 the day of the award")
    value: OcdsValue | None = Field(default=None, description="成交金额 the awarded amount")
    suppliers: list[OcdsOrganizationReference] = Field(description="成交供应商 the supplier")


class OcdsAmendment(_Ocds):
    """合同变更 OCDS Amendment of a contract."""

    id: str = Field(description="标识 `<contract id>-amendment-<n>`")
    date: datetime | None = Field(default=None, description="变更日 the day of the amendment")
    description: str | None = Field(default=None, description="变更内容 what was changed, in Chinese")


class OcdsTransaction(_Ocds):
    """付款 OCDS Transaction: a payment released to the contractor."""

    id: str = Field(description="付款标识 the payment's identifier")
    date: datetime | None = Field(default=None, description="拨付日 the day it was released")
    value: OcdsValue = Field(description="金额 the amount paid")
    payer: OcdsOrganizationReference = Field(description="付款方 the buyer")
    payee: OcdsOrganizationReference = Field(description="收款方 the contractor")


class OcdsImplementation(_Ocds):
    """履约 OCDS Implementation: the payments made under a contract."""

    transactions: list[OcdsTransaction] = Field(description="付款 the payments released")


class OcdsContract(_Ocds):
    """合同 OCDS Contract, from the award it came from."""

    id: str = Field(description="合同标识 the contract's identifier")
    awardID: str = Field(description="成交标识 the award it came from")
    title: str | None = Field(default=None, description="合同标的 the contract's subject")
    status: Literal["pending", "active", "cancelled", "terminated"] = Field(
        description="状态 contractStatus code"
    )
    period: OcdsPeriod | None = Field(default=None, description="服务期 the service term")
    value: OcdsValue | None = Field(default=None, description="合同金额 the price")
    dateSigned: datetime | None = Field(default=None, description="签订日 the day it was signed")
    amendments: list[OcdsAmendment] | None = Field(default=None, description="变更 its amendments")
    implementation: OcdsImplementation | None = Field(default=None, description="履约 its payments")


class OcdsRelatedProcess(_Ocds):
    """相关采购 OCDS RelatedProcess: the project it replaces, or its re-procurement."""

    id: str = Field(description="标识 the related process's ocid")
    relationship: list[str] = Field(description="关系 relatedProcess codes (prior, replacementProcess)")
    scheme: Literal["ocid"] = Field(description="标识体系 always ocid")
    identifier: str = Field(description="相关 ocid the related process's ocid")
    uri: str | None = Field(default=None, description="地址 its record package")
    title: str | None = Field(default=None, description="标题 its title")


class OcdsRelease(_Ocds):
    """OCDS 发布 A release: the whole picture of the process after one step that changed it."""

    ocid: str = Field(description="OCDS 标识 the process (one per project)", examples=["ocds-jiuzhu-…"])
    id: str = Field(description="发布标识 unique within the process")
    date: datetime = Field(description="发布日期 the business date of the step (China time)")
    tag: list[ReleaseTag] = Field(description="发布标签 what the release changes, most advanced stage first")
    initiationType: Literal["tender"] = Field(description="发起方式 always tender")
    language: str | None = Field(default=None, description="语言 zh")
    buyer: OcdsOrganizationReference = Field(description="购买主体 the buyer")
    planning: OcdsPlanning | None = Field(default=None, description="计划 the budget")
    tender: OcdsTender | None = Field(default=None, description="招标 the bid round")
    awards: list[OcdsAward] | None = Field(default=None, description="成交 the awards")
    contracts: list[OcdsContract] | None = Field(default=None, description="合同 the contracts")
    relatedProcesses: list[OcdsRelatedProcess] | None = Field(default=None, description="相关采购")
    parties: list[OcdsOrganization] = Field(description="参与方 every organization named, with its roles")


class OcdsPublisher(_Ocds):
    """发布者 OCDS Publisher: who publishes the data."""

    name: str | None = Field(default=None, description="名称 the publisher's name")
    uri: str | None = Field(default=None, description="地址 the publisher's address")


class OcdsRecord(_Ocds):
    """OCDS 记录 A record: every release of a process and the compiled release (OCDS merging)."""

    ocid: str = Field(description="OCDS 标识 the process")
    releases: list[OcdsRelease] = Field(description="发布 every release, oldest first")
    compiledRelease: OcdsRelease = Field(description="汇总发布 the releases merged (tag `compiled`)")


class OcdsReleasePackage(_Ocds):
    """OCDS 发布包 A release package (OCDS 1.1)."""

    uri: str = Field(description="地址 the route that serves this package")
    version: Literal["1.1"] = Field(description="OCDS 版本")
    publishedDate: datetime = Field(description="发布时间 when the package was made")
    publisher: OcdsPublisher = Field(description="发布者 who publishes it")
    releases: list[OcdsRelease] = Field(description="发布 the releases")


class OcdsRecordPackage(_Ocds):
    """OCDS 记录包 A record package (OCDS 1.1)."""

    uri: str = Field(description="地址 the route that serves this package")
    version: Literal["1.1"] = Field(description="OCDS 版本")
    publishedDate: datetime = Field(description="发布时间 when the package was made")
    publisher: OcdsPublisher = Field(description="发布者 who publishes it")
    records: list[OcdsRecord] = Field(description="记录 the records (one per project)")
