"""The data contract of ../shared/spec/DATA_CONTRACT.md in code.

Seventeen tables, each a list of columns with a type and rules, plus the
row rules that tie columns together. Validation (postloan.validation) reads
these declarations; nothing else in the package hard-codes a column list.
"""
from __future__ import annotations

from dataclasses import dataclass, field

# Column types. `enum` columns name their enumeration in the glossary.
TEXT, ENUM, DATE, DATETIME, MONTH, DECIMAL, INT, BOOL = (
    "text", "enum", "date", "datetime", "month", "decimal", "int", "bool")


@dataclass(frozen=True)
class Column:
    name: str
    type: str
    required: bool = False          # null is a violation
    enum: str | None = None         # glossary enumeration for ENUM columns
    ref: str | None = None          # "table.column" that must exist (when not null)
    minimum: float | None = None    # value >= minimum
    positive: bool = False          # value > 0
    pattern: str | None = None      # regular expression the text must match
    optional: bool = False          # the column itself may be absent from an extract


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = ()       # primary key (unique, required)
    optional: bool = False          # the table may be absent from an extract

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


@dataclass(frozen=True)
class DateOrder:
    """`later` must be on or after (strict: after) `earlier`, where both are present."""
    table: str
    later: str
    earlier: str
    strict: bool = False


@dataclass(frozen=True)
class RequiredWhen:
    """`column` must be filled where `when_column` equals `when_value`."""
    table: str
    column: str
    when_column: str
    when_value: object


# Branch ids name report scopes, file names and dashboard links: one rule, used by the validation
# of an extract and by the run's parameters (postloan.run.params). "all" is the bank-wide scope.
BRANCH_ID_PATTERN = r"[A-Za-z0-9_-]{1,32}"
RESERVED_BRANCH_IDS = ("all",)


def _c(name, type_, **kw) -> Column:
    return Column(name, type_, **kw)


def _amount(name, **kw) -> Column:
    return Column(name, DECIMAL, minimum=0, **kw)


_TABLES = [
    Table("branches", (
        _c("branch_id", TEXT, required=True, pattern=BRANCH_ID_PATTERN),
        _c("branch_name", TEXT, required=True),
        _c("parent_id", TEXT, ref="branches.branch_id"),
        _c("level", ENUM, required=True, enum="branch_level"),
    ), key=("branch_id",)),
    Table("officers", (
        _c("officer_id", TEXT, required=True),
        _c("name", TEXT, required=True),
        _c("branch_id", TEXT, required=True, ref="branches.branch_id"),
        _c("role", ENUM, required=True, enum="officer_role"),
        _c("hire_date", DATE, required=True),
        _c("leave_date", DATE),
    ), key=("officer_id",)),
    Table("customers", (
        _c("customer_id", TEXT, required=True),
        _c("name", TEXT, required=True),
        _c("customer_type", ENUM, required=True, enum="customer_type"),
        _c("industry_code", TEXT, pattern=r"[A-T]"),
        _c("operating_branch_id", TEXT, required=True, ref="branches.branch_id"),
        _c("is_key_customer", BOOL, required=True),
        _c("credit_rating", TEXT),
        _c("id_expiry_date", DATE),
        _c("latest_financials_date", DATE),
    ), key=("customer_id",)),
    Table("assignments", (
        _c("customer_id", TEXT, required=True, ref="customers.customer_id"),
        _c("officer_id", TEXT, required=True, ref="officers.officer_id"),
        _c("start_date", DATE, required=True),
        _c("end_date", DATE),
        _c("handover_reason", ENUM, enum="handover_reason"),
        _c("witness_officer_id", TEXT, ref="officers.officer_id"),
        _c("handover_signed_date", DATE),
    ), key=("customer_id", "start_date")),
    Table("loans", (
        _c("loan_id", TEXT, required=True),
        _c("customer_id", TEXT, required=True, ref="customers.customer_id"),
        _c("product", ENUM, required=True, enum="product"),
        _c("amount", DECIMAL, required=True, positive=True),
        _c("disbursement_date", DATE, required=True),
        _c("maturity_date", DATE, required=True),
        _c("extended_maturity_date", DATE),
        _c("interest_rate", DECIMAL, required=True, minimum=0),
        _c("guarantee_type", ENUM, required=True, enum="guarantee_type"),
        _c("payment_mode", ENUM, required=True, enum="payment_mode"),
        _c("purpose", TEXT),
        _c("is_restructured", BOOL, required=True),
        _c("restructure_date", DATE),
        _c("notarized_enforceable", BOOL, optional=True),
        _c("accelerated_date", DATE, optional=True),
    ), key=("loan_id",)),
    Table("loan_month", (
        _c("month", MONTH, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _amount("balance", required=True),
        _amount("overdue_principal", required=True),
        _amount("overdue_interest", required=True),
        _c("dpd", INT, required=True, minimum=0),
        _c("classification", ENUM, required=True, enum="classification"),
        _c("status", ENUM, required=True, enum="loan_status"),
        _amount("provision"),
    ), key=("month", "loan_id")),
    Table("inspections", (
        _c("inspection_id", TEXT, required=True),
        _c("customer_id", TEXT, required=True, ref="customers.customer_id"),
        _c("loan_id", TEXT, ref="loans.loan_id"),
        _c("kind", ENUM, required=True, enum="inspection_kind"),
        _c("completed_date", DATE, required=True),
        _c("officer_id", TEXT, ref="officers.officer_id"),
        _c("on_site", BOOL),
        _c("planned_date", DATE),
        _c("quality_grade", ENUM, enum="quality_grade"),
        _c("findings", TEXT),
    ), key=("inspection_id",)),
    Table("warnings", (
        _c("warning_id", TEXT, required=True),
        _c("customer_id", TEXT, required=True, ref="customers.customer_id"),
        _c("signal_code", TEXT),
        _c("category", ENUM, required=True, enum="warning_category"),
        _c("source", ENUM, required=True, enum="warning_source"),
        _c("level", ENUM, required=True, enum="warning_level"),
        _c("identified_date", DATE, required=True),
        _c("reported_date", DATE),
        _c("reported_by", TEXT, ref="officers.officer_id"),
        _c("confirmed_date", DATE),
        _c("first_measure_date", DATE),
        _c("measures", TEXT),
        _c("status", ENUM, required=True, enum="warning_status"),
        _c("released_date", DATE),
        _c("release_reason", TEXT),
        _c("entered_date", DATE),
    ), key=("warning_id",)),
    Table("collateral", (
        _c("collateral_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("kind", ENUM, required=True, enum="collateral_kind"),
        _amount("appraised_value", required=True),
        _c("appraisal_date", DATE, required=True),
        _c("registered", BOOL, required=True),
        _c("warrant_received_date", DATE),
        _c("insurance_expiry", DATE),
        _amount("prior_claims", optional=True),
    ), key=("collateral_id",)),
    Table("guarantees", (
        _c("guarantee_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("guarantor_name", TEXT, required=True),
        _c("guarantor_kind", ENUM, required=True, enum="guarantor_kind"),
        _c("agency_id", TEXT, ref="guarantee_agencies.agency_id"),
        _amount("amount", required=True),
        _c("mode", ENUM, required=True, enum="guarantee_mode"),
        _c("period_end_date", DATE),
        _c("extension_consented", BOOL, optional=True),
        _c("notarized_enforceable", BOOL, optional=True),
    ), key=("guarantee_id",)),
    Table("guarantee_agencies", (
        _c("agency_id", TEXT, required=True),
        _c("name", TEXT, required=True),
        _amount("cooperation_limit", required=True),
        _c("status", ENUM, required=True, enum="agency_status"),
    ), key=("agency_id",)),
    Table("fund_payments", (
        _c("payment_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("payment_date", DATE, required=True),
        _c("amount", DECIMAL, required=True, positive=True),
        _c("mode", ENUM, required=True, enum="payment_mode"),
        _c("payee_name", TEXT),
        _c("payee_category", ENUM, required=True, enum="payee_category"),
    ), key=("payment_id",)),
    Table("collection_actions", (
        _c("action_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("action_time", DATETIME, required=True),
        _c("channel", ENUM, required=True, enum="collection_channel"),
        _c("officer_id", TEXT, ref="officers.officer_id"),
        _c("agency_name", TEXT),
        _c("contacted_party", ENUM, required=True, enum="contacted_party"),
        _c("outcome", ENUM, required=True, enum="collection_outcome"),
        _amount("promised_amount"),
        _c("promised_date", DATE),
        _c("evidence", BOOL, required=True),
        _c("guarantee_id", TEXT, ref="guarantees.guarantee_id", optional=True),
    ), key=("action_id",)),
    Table("recoveries", (
        _c("recovery_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("recovery_date", DATE, required=True),
        _c("method", ENUM, required=True, enum="recovery_method"),
        _amount("amount", required=True),
        _amount("cost"),
        _c("package_id", TEXT),
    ), key=("recovery_id",)),
    Table("legal_cases", (
        _c("case_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("kind", ENUM, required=True, enum="legal_case_kind"),
        _c("filed_date", DATE, required=True),
        _c("judgment_date", DATE),
        _c("enforcement_filed_date", DATE),
        _c("status", ENUM, required=True, enum="legal_case_status"),
        _c("against", ENUM, enum="contacted_party", optional=True),
        _c("guarantee_id", TEXT, ref="guarantees.guarantee_id", optional=True),
        _c("terminated_date", DATE, optional=True),
        _c("performance_due_date", DATE, optional=True),
        _c("closed_date", DATE, optional=True),
        _c("preservation_expiry_date", DATE, optional=True),
    ), key=("case_id",)),
    Table("debtor_events", (
        _c("event_id", TEXT, required=True),
        _c("customer_id", TEXT, required=True, ref="customers.customer_id"),
        _c("kind", ENUM, required=True, enum="debtor_event_kind"),
        _c("event_date", DATE, required=True),
        _c("note", TEXT),
    ), key=("event_id",), optional=True),
    Table("foreclosed_assets", (
        _c("asset_id", TEXT, required=True),
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("kind", ENUM, required=True, enum="collateral_kind"),
        _c("acquired_date", DATE, required=True),
        _amount("booked_value", required=True),
        _c("disposed_date", DATE),
        _amount("disposal_amount"),
    ), key=("asset_id",), optional=True),
    Table("archives", (
        _c("loan_id", TEXT, required=True, ref="loans.loan_id"),
        _c("doc_type", TEXT, required=True),
        _c("due_date", DATE, required=True),
        _c("received_date", DATE),
    ), key=("loan_id", "doc_type")),
    Table("meeting_actions", (
        _c("action_id", TEXT, required=True),
        _c("meeting_month", MONTH, required=True),
        _c("branch_id", TEXT, required=True, ref="branches.branch_id"),
        _c("item", TEXT, required=True),
        _c("owner_officer_id", TEXT, required=True, ref="officers.officer_id"),
        _c("due_date", DATE, required=True),
        _c("status", ENUM, required=True, enum="action_status"),
        _c("done_date", DATE),
    ), key=("action_id",)),
]

TABLES: dict[str, Table] = {t.name: t for t in _TABLES}
TABLE_NAMES: list[str] = [t.name for t in _TABLES]
OPTIONAL_TABLES: list[str] = [t.name for t in _TABLES if t.optional]

DATE_ORDERS = [
    DateOrder("officers", "leave_date", "hire_date"),
    DateOrder("assignments", "end_date", "start_date"),
    DateOrder("loans", "maturity_date", "disbursement_date", strict=True),
    DateOrder("loans", "extended_maturity_date", "maturity_date", strict=True),
    DateOrder("loans", "restructure_date", "disbursement_date"),
    DateOrder("warnings", "reported_date", "identified_date"),
    DateOrder("warnings", "confirmed_date", "identified_date"),
    DateOrder("warnings", "first_measure_date", "identified_date"),
    DateOrder("warnings", "released_date", "identified_date"),
    DateOrder("warnings", "entered_date", "identified_date"),
    DateOrder("legal_cases", "judgment_date", "filed_date"),
    DateOrder("legal_cases", "enforcement_filed_date", "judgment_date"),
    DateOrder("legal_cases", "closed_date", "filed_date"),
    DateOrder("legal_cases", "terminated_date", "filed_date"),
    DateOrder("legal_cases", "performance_due_date", "judgment_date"),
    DateOrder("foreclosed_assets", "disposed_date", "acquired_date"),
]

REQUIRED_WHEN = [
    RequiredWhen("loans", "restructure_date", "is_restructured", True),
    RequiredWhen("warnings", "released_date", "status", "released"),
    RequiredWhen("warnings", "release_reason", "status", "released"),
    RequiredWhen("guarantees", "agency_id", "guarantor_kind", "guarantee_agency"),
    RequiredWhen("meeting_actions", "done_date", "status", "done"),
    RequiredWhen("legal_cases", "closed_date", "status", "closed"),
    RequiredWhen("legal_cases", "closed_date", "status", "withdrawn"),
    RequiredWhen("foreclosed_assets", "disposal_amount", "disposed_date", "present"),
]
# A RequiredWhen whose `when_value` is PRESENT holds where `when_column` is filled.
PRESENT = "present"


# Loan statuses after which a loan is off the book (its last loan_month row).
EXIT_STATUSES = ("settled", "written_off", "transferred")
