#!/usr/bin/env python3
"""Checks the requests the functions sent in the end-to-end tests against AWS's published models.

The local endpoint writes every request it receives to a JSON-lines file when RECORD_REQUESTS is set
(test/local-aws/calls.ts). Each request is checked against the operation's input shape in botocore's
service model (`service-2.json`, the models the AWS SDKs are generated from): required members, no
member the model lacks, types, string lengths, list and map sizes, number ranges, enums and patterns.
The limits the models leave out are added from the API reference (LIMITS below). Every operation called
must also be allowed by an identity policy of both templates (the synthesized CDK template and SAM's
template.yaml): by the role of the function that sent it when the record names the functions running
as it arrived (`callers`, folder names: drain-instance...; one of them sent it, so one of their roles
must grant it), else by any role of the template.

  RECORD_REQUESTS=requests.jsonl npx vitest run test/e2e
  python3 scripts/check-requests.py requests.jsonl --sam template.yaml --synth cdk.out

Exits 1 on any violation, 2 on bad usage or input.
"""

from __future__ import annotations

import argparse
import fnmatch
import glob
import json
import os
import re
import sys
from collections import Counter, defaultdict

try:
    from botocore.loaders import Loader
except ImportError:  # pragma: no cover
    sys.exit("check-requests: botocore is required (pip install botocore)")

# Local endpoint service name -> botocore service name.
SERVICES = {
    "ecs": "ecs",
    "autoscaling": "autoscaling",
    "sns": "sns",
    "dynamodb": "dynamodb",
    "events": "events",
}

# Limits documented in the API references but absent from the models: (service, operation) ->
# [(member, kind, min, max)]. kind: "range" (a number), "length" (a string), "count" (a list).
LIMITS = {
    # https://docs.aws.amazon.com/AmazonECS/latest/APIReference/API_ListTasks.html: maxResults 1-100
    ("ecs", "ListTasks"): [("maxResults", "range", 1, 100)],
    # API_ListContainerInstances.html, API_ListServices.html: maxResults 1-100
    ("ecs", "ListContainerInstances"): [("maxResults", "range", 1, 100)],
    ("ecs", "ListServices"): [("maxResults", "range", 1, 100)],
    # API_RunTask.html: clientToken "up to 64 ASCII characters", count 1-10, startedBy up to 128
    ("ecs", "RunTask"): [
        ("clientToken", "length", 1, 64),
        ("count", "range", 1, 10),
        ("startedBy", "length", 0, 128),
    ],
    # API_DescribeTasks.html: up to 100 tasks; API_DescribeServices.html: up to 10 services;
    # API_DescribeContainerInstances.html: up to 100; API_DescribeClusters.html: up to 100
    ("ecs", "DescribeTasks"): [("tasks", "count", 1, 100)],
    ("ecs", "DescribeServices"): [("services", "count", 1, 10)],
    ("ecs", "DescribeContainerInstances"): [("containerInstances", "count", 1, 100)],
    ("ecs", "DescribeClusters"): [("clusters", "count", 0, 100)],
    # API_UpdateContainerInstancesState.html: up to 10 container instances
    ("ecs", "UpdateContainerInstancesState"): [("containerInstances", "count", 1, 10)],
    # API_GetTaskProtection.html: up to 100 tasks; API_UpdateTaskProtection.html: up to 10
    ("ecs", "GetTaskProtection"): [("tasks", "count", 1, 100)],
    ("ecs", "UpdateTaskProtection"): [("tasks", "count", 1, 10)],
    # https://docs.aws.amazon.com/sns/latest/api/API_Publish.html: Subject "less than 100 characters",
    # no line breaks or control characters; Message at most 256 KB (262,144 bytes) in UTF-8
    ("sns", "Publish"): [
        ("Subject", "length", 1, 99),
        ("Subject", "printable", 0, 0),
        ("Message", "bytes", 1, 262_144),
    ],
}

# The state table's key schema (pk, sk; test/local-aws/dynamodb.ts) and DynamoDB's limits on key
# values: a partition key up to 2048 bytes, a sort key up to 1024 bytes, an item up to 400 KB
# (https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html).
KEY_BYTES = {"pk": 2048, "sk": 1024}
ITEM_BYTES = 400 * 1024

QUERY_PROTOCOL = {"query", "ec2"}
INDEX = re.compile(r"\[\d+\]")
CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class Checker:
    def __init__(self) -> None:
        self.loader = Loader()
        self.models: dict[str, dict] = {}
        self.patterns: dict[str, re.Pattern | None] = {}
        self.skipped_patterns: set[str] = set()

    def model(self, service: str) -> dict:
        if service not in self.models:
            self.models[service] = self.loader.load_service_model(service, "service-2")
        return self.models[service]

    def pattern(self, text: str) -> re.Pattern | None:
        if text not in self.patterns:
            try:
                self.patterns[text] = re.compile(java_to_python(text))
            except re.error:
                # Java-only constructs (\p{...}): not checkable with Python's re.
                self.patterns[text] = None
                self.skipped_patterns.add(text)
        return self.patterns[text]

    def check(self, service: str, operation: str, params: object) -> list[str]:
        model = self.model(service)
        op = model["operations"].get(operation)
        if op is None:
            return [f"{operation} is not an operation of {service}"]
        query = model["metadata"]["protocol"] in QUERY_PROTOCOL
        problems: list[str] = []
        if "input" in op:
            self.value(model, op["input"]["shape"], params, "", query, problems)
        elif params not in ({}, None):
            problems.append("input given to an operation that takes none")
        for member, kind, low, high in LIMITS.get((service, operation), []):
            value = params.get(member) if isinstance(params, dict) else None
            if value is None:
                continue
            if kind == "range":
                number = to_number(value)
                if number is None or not low <= number <= high:
                    problems.append(f"{member}: {value!r} outside {low}..{high} (API reference)")
            elif kind == "bytes":
                size = len(value.encode("utf-8", "surrogatepass")) if isinstance(value, str) else -1
                if not low <= size <= high:
                    problems.append(f"{member}: {size} bytes in UTF-8, outside {low}..{high} (API reference)")
            elif kind == "printable":
                if not isinstance(value, str) or CONTROL.search(value):
                    problems.append(f"{member}: line breaks or control characters (API reference)")
            else:
                size = len(value) if isinstance(value, (str, list)) else -1
                if not low <= size <= high:
                    what = "characters" if kind == "length" else "items"
                    problems.append(f"{member}: {size} {what}, outside {low}..{high} (API reference)")
        if service == "dynamodb" and isinstance(params, dict):
            problems.extend(dynamodb_limits(params))
        return problems

    def value(self, model, shape_name, value, path, query, problems) -> None:
        shape = model["shapes"][shape_name]
        kind = shape["type"]
        where = path or "(input)"
        if value is None:
            problems.append(f"{where}: null")
            return
        if kind == "structure":
            if not isinstance(value, dict):
                problems.append(f"{where}: expected a structure, got {type(value).__name__}")
                return
            members = shape.get("members", {})
            for name in shape.get("required", []):
                if value.get(name) is None:
                    problems.append(f"{join(path, name)}: required member missing")
            for name, item in value.items():
                if name not in members:
                    problems.append(f"{join(path, name)}: not a member of {shape_name}")
                    continue
                self.value(model, members[name]["shape"], item, join(path, name), query, problems)
            if shape.get("union") and len(value) != 1:
                problems.append(f"{where}: a union takes exactly one member, got {len(value)}")
        elif kind == "list":
            if query and value == "":
                value = []  # an empty list is sent as `Name=` on the Query protocol
            if not isinstance(value, list):
                problems.append(f"{where}: expected a list, got {type(value).__name__}")
                return
            self.size(shape, len(value), where, "items", problems)
            for index, item in enumerate(value):
                self.value(model, shape["member"]["shape"], item, f"{path}[{index}]", query, problems)
        elif kind == "map":
            if query and isinstance(value, list):
                # Query maps travel as entries named by the model (SNS MessageAttributes: Name and Value).
                key_name = shape["key"].get("locationName", "key")
                value_name = shape["value"].get("locationName", "value")
                value = {
                    entry.get(key_name): entry.get(value_name) for entry in value if isinstance(entry, dict)
                }
            if not isinstance(value, dict):
                problems.append(f"{where}: expected a map, got {type(value).__name__}")
                return
            self.size(shape, len(value), where, "entries", problems)
            for key, item in value.items():
                self.value(model, shape["key"]["shape"], key, f"{path}{{key}}", query, problems)
                self.value(model, shape["value"]["shape"], item, f"{path}[{key}]", query, problems)
        elif kind == "string":
            if not isinstance(value, str):
                problems.append(f"{where}: expected a string, got {type(value).__name__}")
                return
            self.size(shape, len(value), where, "characters", problems)
            if "enum" in shape and value not in shape["enum"]:
                problems.append(f"{where}: {value!r} is not one of {shape['enum']}")
            compiled = self.pattern(shape["pattern"]) if "pattern" in shape else None
            if compiled is not None and not compiled.search(value):
                problems.append(f"{where}: {value[:80]!r} does not match {shape['pattern']}")
        elif kind in ("integer", "long", "double", "float"):
            number = to_number(value) if query else value
            if isinstance(number, bool) or not isinstance(number, (int, float)):
                problems.append(f"{where}: expected a number, got {value!r}")
                return
            if kind in ("integer", "long") and number != int(number):
                problems.append(f"{where}: expected a whole number, got {value!r}")
            if "min" in shape and number < shape["min"]:
                problems.append(f"{where}: {number} is below the minimum {shape['min']}")
            if "max" in shape and number > shape["max"]:
                problems.append(f"{where}: {number} is above the maximum {shape['max']}")
            if kind == "integer" and not -(2**31) <= number < 2**31:
                problems.append(f"{where}: {number} is not a 32-bit integer")
        elif kind == "boolean":
            ok = value in ("true", "false") if query else isinstance(value, bool)
            if not ok:
                problems.append(f"{where}: expected a boolean, got {value!r}")
        elif kind == "timestamp":
            if isinstance(value, bool) or not isinstance(value, (int, float, str)):
                problems.append(f"{where}: expected a timestamp, got {value!r}")
        elif kind == "blob":
            if not isinstance(value, str):
                problems.append(f"{where}: expected base64 text, got {type(value).__name__}")
            else:
                self.size(shape, len(value), where, "base64 characters", problems)

    @staticmethod
    def size(shape, size, where, what, problems) -> None:
        if "min" in shape and size < shape["min"]:
            problems.append(f"{where}: {size} {what}, fewer than the minimum {shape['min']}")
        if "max" in shape and size > shape["max"]:
            problems.append(f"{where}: {size} {what}, more than the maximum {shape['max']}")


def dynamodb_limits(params: dict) -> list[str]:
    problems: list[str] = []

    def keys_of(item: object, where: str) -> None:
        if not isinstance(item, dict):
            return
        for name, limit in KEY_BYTES.items():
            value = item.get(name)
            text = value.get("S") if isinstance(value, dict) else None
            if isinstance(text, str) and len(text.encode("utf-8", "surrogatepass")) > limit:
                problems.append(f"{where}.{name}: key value over {limit} bytes (DynamoDB quotas)")

    keys_of(params.get("Key"), "Key")
    item = params.get("Item")
    keys_of(item, "Item")
    if isinstance(item, dict) and len(json.dumps(item, ensure_ascii=False).encode("utf-8", "surrogatepass")) > ITEM_BYTES:
        problems.append("Item: over 400 KB (DynamoDB quotas)")
    for table, entry in (params.get("RequestItems") or {}).items():
        for index, key in enumerate(entry.get("Keys", []) if isinstance(entry, dict) else []):
            keys_of(key, f"RequestItems.{table}.Keys[{index}]")
        for index, request in enumerate(entry if isinstance(entry, list) else []):
            for kind, field in (("PutRequest", "Item"), ("DeleteRequest", "Key")):
                body = request.get(kind) if isinstance(request, dict) else None
                if isinstance(body, dict):
                    keys_of(body.get(field), f"RequestItems.{table}[{index}].{kind}.{field}")
    return problems


def java_to_python(pattern: str) -> str:
    """The few Java regex constructs the models use, in Python's re: Unicode classes, surrogate pairs."""
    return (
        pattern.replace(r"\p{L}", r"\w")
        .replace(r"\p{N}", r"\d")
        .replace(r"\p{Z}", r"\s")
        .replace(r"\uD800\uDC00-\uDBFF\uDFFF", r"\U00010000-\U0010FFFF")
    )


def join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def to_number(value):
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return value
    if isinstance(value, str):
        try:
            return int(value)
        except ValueError:
            try:
                return float(value)
            except ValueError:
                return None
    return None


# --- IAM -----------------------------------------------------------------------------------------


class CfnLoader(__import__("yaml").SafeLoader):
    """YAML with CloudFormation's short tags (!Ref, !Sub, ...) read as their plain values."""


def _any_tag(loader, _suffix, node):
    yaml = __import__("yaml")
    if isinstance(node, yaml.ScalarNode):
        return loader.construct_scalar(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node, deep=True)
    return loader.construct_mapping(node, deep=True)


CfnLoader.add_multi_constructor("!", _any_tag)


def identity_actions(template: object) -> set[str]:
    """Actions allowed by identity-policy statements anywhere in the template (no Principal)."""
    found: set[str] = set()

    def walk(node: object) -> None:
        if isinstance(node, dict):
            if node.get("Effect") == "Allow" and "Action" in node and "Principal" not in node:
                actions = node["Action"]
                for action in actions if isinstance(actions, list) else [actions]:
                    if isinstance(action, str):
                        found.add(action)
            for item in node.values():
                walk(item)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(template)
    return found


def allowed(action: str, granted: set[str]) -> bool:
    lowered = action.lower()
    return any(fnmatch.fnmatchcase(lowered, pattern.lower()) for pattern in granted)


def pascal(folder: str) -> str:
    """drain-instance -> DrainInstance: the function's logical id (SAM) and construct id (CDK)."""
    return "".join(part[:1].upper() + part[1:] for part in folder.split("-"))


def _ref(value: object) -> str | None:
    """The logical id a Ref / GetAtt / !GetAtt X.Arn names."""
    if isinstance(value, dict):
        if "Ref" in value:
            return str(value["Ref"])
        if "Fn::GetAtt" in value:
            target = value["Fn::GetAtt"]
            return str(target[0] if isinstance(target, list) else str(target).split(".")[0])
    if isinstance(value, str):  # the YAML loader reads !Ref X / !GetAtt X.Arn as plain text
        return value.split(".")[0]
    return None


def _resources(template: dict) -> dict[str, dict]:
    """Resources, with those inside Fn::ForEach fragments (SAM) reached under their template keys."""
    found: dict[str, dict] = {}

    def walk(section: dict) -> None:
        for key, value in section.items():
            if key.startswith("Fn::ForEach::") and isinstance(value, list) and len(value) == 3:
                walk(value[2])
            elif isinstance(value, dict) and "Type" in value:
                found[key] = value

    walk(template.get("Resources", {}))
    return found


def role_actions(template: dict) -> dict[str, set[str]]:
    """Actions each function's role is allowed: its inline policies and the policies attached to it."""
    resources = _resources(template)
    roles: dict[str, str] = {}
    for logical_id, resource in resources.items():
        if resource.get("Type") in ("AWS::Lambda::Function", "AWS::Serverless::Function"):
            role = _ref(resource.get("Properties", {}).get("Role"))
            if role:
                roles[logical_id] = role
    by_role: dict[str, set[str]] = defaultdict(set)
    for logical_id, resource in resources.items():
        props = resource.get("Properties", {})
        kind = resource.get("Type")
        if kind == "AWS::IAM::Role":
            by_role[logical_id] |= identity_actions(props.get("Policies", []))
        elif kind == "AWS::IAM::Policy":
            for role in props.get("Roles", []):
                by_role[_ref(role) or ""] |= identity_actions(props.get("PolicyDocument", {}))
        elif kind == "AWS::IAM::RolePolicy":
            by_role[_ref(props.get("RoleName")) or ""] |= identity_actions(props.get("PolicyDocument", {}))
    return {function: by_role.get(role, set()) for function, role in roles.items()}


class Grants:
    """One template's IAM: every role's actions, and each function's own."""

    def __init__(self, templates: list[dict]) -> None:
        self.any: set[str] = set()
        self.functions: dict[str, set[str]] = defaultdict(set)
        for template in templates:
            self.any |= identity_actions(template)
            for function, actions in role_actions(template).items():
                self.functions[function] |= actions

    def of(self, caller: str | None) -> set[str] | None:
        """The caller's grants (None: no function of that name in the template); any role's without one."""
        if not caller:
            return self.any
        wanted = pascal(caller)
        # SAM names the function exactly; the CDK prefixes the construct path and appends a hash.
        matches = [
            actions
            for logical_id, actions in self.functions.items()
            if re.fullmatch(rf"(.*?){wanted}([0-9A-F]{{8}})?", logical_id)
        ]
        if not matches:
            return None
        return set().union(*matches)


def load_templates(sam: str | None, synth: str | None) -> dict[str, Grants]:
    templates: dict[str, Grants] = {}
    if sam:
        with open(sam, encoding="utf-8") as handle:
            templates[sam] = Grants([__import__("yaml").load(handle, Loader=CfnLoader)])
    if synth:
        files = [synth] if os.path.isfile(synth) else sorted(glob.glob(os.path.join(synth, "*.template.json")))
        loaded = []
        for path in files:
            with open(path, encoding="utf-8") as handle:
                loaded.append(json.load(handle))
        if not files:
            raise FileNotFoundError(f"no *.template.json in {synth} (run npm run synth first)")
        templates[synth] = Grants(loaded)
    return templates


# --- main ----------------------------------------------------------------------------------------


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("requests", help="JSON-lines file written by the local endpoint (RECORD_REQUESTS)")
    parser.add_argument("--sam", help="SAM template whose IAM must allow every operation called")
    parser.add_argument("--synth", help="cdk.out directory (or one template) whose IAM must allow them")
    parser.add_argument("--max-examples", type=int, default=5, help="examples shown per violation kind")
    args = parser.parse_args(argv)

    checker = Checker()
    violations: dict[str, list[str]] = defaultdict(list)
    operations: Counter[str] = Counter()
    # (operation, callers) pairs: the functions running when it arrived, when the record names them.
    calls: Counter[tuple[str, tuple[str, ...]]] = Counter()
    total = 0
    try:
        with open(args.requests, encoding="utf-8") as handle:
            lines = [line for line in handle if line.strip()]
    except OSError as error:
        print(f"check-requests: {error}", file=sys.stderr)
        return 2
    for number, line in enumerate(lines, 1):
        record = json.loads(line)
        total += 1
        local = record.get("service", "")
        operation = record.get("operation", "")
        name = f"{local}:{operation}"
        operations[name] += 1
        calls[(name, tuple(sorted(str(caller) for caller in record.get("callers") or [])))] += 1
        service = SERVICES.get(local)
        if service is None:
            violations[f"{name}: a service the models check does not cover"].append(f"line {number}")
            continue
        for problem in checker.check(service, operation, record.get("input", {})):
            member = INDEX.sub("[]", problem.split(":")[0])
            violations[f"{name} {member}"].append(f"line {number}: {problem}")

    try:
        templates = load_templates(args.sam, args.synth)
    except (OSError, ValueError) as error:
        print(f"check-requests: {error}", file=sys.stderr)
        return 2
    for path, grants in templates.items():
        for (name, callers), count in sorted(calls.items()):
            if not callers:
                if not allowed(name, grants.of(None) or set()):
                    violations[f"{name}: not allowed by {path}"].append(f"{count} call(s)")
                continue
            roles = {caller: grants.of(caller) for caller in callers}
            for caller, granted in roles.items():
                if granted is None:
                    violations[f"{name}: sent by {caller}, a function {path} does not deploy"].append(
                        f"{count} call(s)"
                    )
            if not any(granted is not None and allowed(name, granted) for granted in roles.values()):
                whose = " or ".join(f"{caller}'s" for caller in callers)
                violations[f"{name}: not allowed by {whose} role in {path}"].append(f"{count} call(s)")
    attributed = sum(count for (_, callers), count in calls.items() if len(callers) == 1)
    shared = sum(count for (_, callers), count in calls.items() if len(callers) > 1)

    print(f"check-requests: {total} requests over {len(operations)} operations", end="")
    print(f", IAM of {len(templates)} template(s)" if templates else "")
    if templates:
        print(
            f"  {attributed} request(s) checked against the role of the one function running,"
            f" {shared} against the roles of the functions running together, {total - attributed - shared} against any role"
        )
    if checker.skipped_patterns:
        print(f"  {len(checker.skipped_patterns)} model pattern(s) not checkable with Python's re")
    if not violations:
        print("check-requests: every request fits its model and every operation is granted")
        return 0
    print(f"check-requests: {len(violations)} kind(s) of violation", file=sys.stderr)
    for kind, examples in sorted(violations.items()):
        print(f"- {kind} ({len(examples)})", file=sys.stderr)
        for example in examples[: args.max_examples]:
            print(f"    {example}", file=sys.stderr)
    return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
