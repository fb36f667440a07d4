"""Email receiving, SES v1: receipt rule sets (create, clone, describe, list, delete, the active set,
reordering), the rules inside them (ordered; ``After`` places them) and IP address filters. Stored and
returned with SES's quotas and errors; the emulator does not receive mail.
"""

from __future__ import annotations

import ipaddress
import re

from sesflow.emulator.call import Call, Handler, already_exists, invalid, limit_exceeded, model_error, paged
from sesflow.emulator.region import Record
from sesflow.emulator.tables import Table

RULE_SETS = Table(
    "receipt_rule_sets", ("RuleSetName",), "Rule set", quota=40, v1_missing="RuleSetDoesNotExistException"
)
FILTERS = Table("receipt_filters", ("FilterName",), "Filter", quota=100)
MAX_RULES = 200
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$")


def _check_name(call: Call, name: str, what: str) -> None:
    if not _NAME.match(name):
        raise invalid(
            call,
            f"Invalid {what} name <{name}>: start with a letter or digit and use only letters, digits, '.', "
            "'_' and '-' (at most 64 characters).",
        )


def _set(call: Call, name: str) -> Record:
    return RULE_SETS.require(call, (name,))


def _rule_missing(name: str) -> Exception:
    return model_error("ses", "RuleDoesNotExistException", f"Rule does not exist: {name}")


def _check_rule(call: Call, rule: Record) -> None:
    _check_name(call, rule["Name"], "rule")
    if len(rule.get("Recipients") or []) > 100:
        raise invalid(call, "A receipt rule has at most 100 recipients.")
    for action in rule.get("Actions") or []:
        if len([k for k, v in action.items() if v]) != 1:
            raise invalid(call, "Each receipt rule action has exactly one action type.")
        for kind, body in action.items():
            topic = body.get("TopicArn")
            if topic is not None and not str(topic).startswith("arn:aws:sns:"):
                raise model_error("ses", "InvalidSnsTopicException", f"Invalid SNS topic <{topic}>.")
            if kind == "LambdaAction" and not str(body.get("FunctionArn", "")).startswith("arn:aws:lambda:"):
                raise model_error(
                    "ses", "InvalidLambdaFunctionException", f"Invalid function <{body.get('FunctionArn')}>."
                )
            if kind == "S3Action" and not re.match(
                r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", body.get("BucketName", "")
            ):
                raise model_error(
                    "ses", "InvalidS3ConfigurationException", f"Invalid bucket <{body.get('BucketName')}>."
                )


def _place(call: Call, rules: list[Record], rule: Record, after: str | None) -> list[Record]:
    if after is None:
        return [rule, *rules]
    names = [r["Name"] for r in rules]
    if after not in names:
        raise _rule_missing(after)
    position = names.index(after) + 1
    return [*rules[:position], rule, *rules[position:]]


def _save_rules(call: Call, name: str, rules: list[Record]) -> None:
    RULE_SETS.replace(call, (name,), {**_set(call, name), "Rules": rules})


def create_rule_set(call: Call) -> Record:
    """CreateReceiptRuleSet."""
    name = call.params["RuleSetName"]
    _check_name(call, name, "rule set")
    RULE_SETS.insert(call, (name,), {"Name": name, "Rules": []})
    return {}


def clone_rule_set(call: Call) -> Record:
    """CloneReceiptRuleSet: a new set with the original's rules."""
    original = _set(call, call.params["OriginalRuleSetName"])
    name = call.params["RuleSetName"]
    _check_name(call, name, "rule set")
    RULE_SETS.insert(call, (name,), {"Name": name, "Rules": list(original.get("Rules", []))})
    return {}


def delete_rule_set(call: Call) -> Record:
    """DeleteReceiptRuleSet: not the active one (an unknown set is no error)."""
    name = call.params["RuleSetName"]
    if call.region.settings.get("ActiveReceiptRuleSet") == name:
        raise model_error("ses", "CannotDeleteException", f"Cannot delete active rule set: {name}")
    if RULE_SETS.find(call, (name,)) is not None:
        RULE_SETS.drop(call, (name,))
    return {}


def _describe(record: Record) -> Record:
    return {
        "Metadata": {"Name": record["Name"], "CreatedTimestamp": record["CreatedTimestamp"]},
        "Rules": record.get("Rules", []),
    }


def describe_rule_set(call: Call) -> Record:
    """DescribeReceiptRuleSet."""
    return _describe(_set(call, call.params["RuleSetName"]))


def describe_active(call: Call) -> Record:
    """DescribeActiveReceiptRuleSet: empty when no set is active."""
    name = call.region.settings.get("ActiveReceiptRuleSet")
    record = RULE_SETS.find(call, (name,)) if name else None
    return _describe(record) if record is not None else {}


def set_active(call: Call) -> Record:
    """SetActiveReceiptRuleSet (no name: no set is active)."""
    name = call.params.get("RuleSetName")
    if name:
        _set(call, name)
    call.region.update_settings(ActiveReceiptRuleSet=name or None)
    return {}


def list_rule_sets(call: Call) -> Record:
    """ListReceiptRuleSets."""
    items = [{"Name": k[0], "CreatedTimestamp": r["CreatedTimestamp"]} for k, r in RULE_SETS.records(call)]
    return paged(call, "RuleSets", items, 100)


def reorder(call: Call) -> Record:
    """ReorderReceiptRuleSet: the names must be every rule of the set, in the new order."""
    name = call.params["RuleSetName"]
    rules = {r["Name"]: r for r in _set(call, name).get("Rules", [])}
    order = call.params["RuleNames"]
    for rule in order:
        if rule not in rules:
            raise _rule_missing(rule)
    if sorted(order) != sorted(rules):
        raise invalid(call, "RuleNames must list every rule of the rule set once.")
    _save_rules(call, name, [rules[n] for n in order])
    return {}


def create_rule(call: Call) -> Record:
    """CreateReceiptRule: after the rule named ``After``, else first."""
    name, rule = call.params["RuleSetName"], call.params["Rule"]
    rules = list(_set(call, name).get("Rules", []))
    if any(r["Name"] == rule["Name"] for r in rules):
        raise already_exists(call, f"Rule {rule['Name']} already exists.")
    if len(rules) >= MAX_RULES:
        raise limit_exceeded(call, f"A rule set has at most {MAX_RULES} rules.")
    _check_rule(call, rule)
    _save_rules(call, name, _place(call, rules, {"Enabled": False, "ScanEnabled": False, **rule},
                                   call.params.get("After")))  # fmt: skip
    return {}


def _find_rule(call: Call, rule_name: str) -> tuple[str, list[Record], int]:
    name = call.params["RuleSetName"]
    rules = list(_set(call, name).get("Rules", []))
    for index, rule in enumerate(rules):
        if rule["Name"] == rule_name:
            return name, rules, index
    raise _rule_missing(rule_name)


def update_rule(call: Call) -> Record:
    """UpdateReceiptRule: replaces the rule of that name."""
    rule = call.params["Rule"]
    _check_rule(call, rule)
    name, rules, index = _find_rule(call, rule["Name"])
    rules[index] = {"Enabled": False, "ScanEnabled": False, **rule}
    _save_rules(call, name, rules)
    return {}


def describe_rule(call: Call) -> Record:
    """DescribeReceiptRule."""
    _, rules, index = _find_rule(call, call.params["RuleName"])
    return {"Rule": rules[index]}


def delete_rule(call: Call) -> Record:
    """DeleteReceiptRule (an unknown rule is no error)."""
    name = call.params["RuleSetName"]
    rules = [r for r in _set(call, name).get("Rules", []) if r["Name"] != call.params["RuleName"]]
    _save_rules(call, name, rules)
    return {}


def set_position(call: Call) -> Record:
    """SetReceiptRulePosition: after ``After``, else first."""
    name, rules, index = _find_rule(call, call.params["RuleName"])
    rule = rules.pop(index)
    _save_rules(call, name, _place(call, rules, rule, call.params.get("After")))
    return {}


def create_filter(call: Call) -> Record:
    """CreateReceiptFilter: an IP address range (CIDR) to block or allow."""
    receipt_filter = call.params["Filter"]
    _check_name(call, receipt_filter["Name"], "filter")
    try:
        ipaddress.ip_network(receipt_filter["IpFilter"]["Cidr"], strict=False)
    except ValueError:
        raise invalid(call, f"Invalid CIDR <{receipt_filter['IpFilter']['Cidr']}>.") from None
    FILTERS.insert(call, (receipt_filter["Name"],), dict(receipt_filter))
    return {}


def delete_filter(call: Call) -> Record:
    """DeleteReceiptFilter (an unknown filter is no error)."""
    if FILTERS.find(call, (call.params["FilterName"],)) is not None:
        FILTERS.drop(call, (call.params["FilterName"],))
    return {}


def list_filters(call: Call) -> Record:
    """ListReceiptFilters."""
    return {"Filters": [{"Name": r["Name"], "IpFilter": r["IpFilter"]} for _, r in FILTERS.records(call)]}


OPERATIONS: dict[tuple[str, str], Handler] = {
    ("ses", "CreateReceiptRuleSet"): create_rule_set,
    ("ses", "CloneReceiptRuleSet"): clone_rule_set,
    ("ses", "DeleteReceiptRuleSet"): delete_rule_set,
    ("ses", "DescribeReceiptRuleSet"): describe_rule_set,
    ("ses", "DescribeActiveReceiptRuleSet"): describe_active,
    ("ses", "SetActiveReceiptRuleSet"): set_active,
    ("ses", "ListReceiptRuleSets"): list_rule_sets,
    ("ses", "ReorderReceiptRuleSet"): reorder,
    ("ses", "CreateReceiptRule"): create_rule,
    ("ses", "UpdateReceiptRule"): update_rule,
    ("ses", "DescribeReceiptRule"): describe_rule,
    ("ses", "DeleteReceiptRule"): delete_rule,
    ("ses", "SetReceiptRulePosition"): set_position,
    ("ses", "CreateReceiptFilter"): create_filter,
    ("ses", "DeleteReceiptFilter"): delete_filter,
    ("ses", "ListReceiptFilters"): list_filters,
}
