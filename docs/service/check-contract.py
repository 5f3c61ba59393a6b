#!/usr/bin/env python3
"""Checks Sources/PodService/Resources/openapi.json beyond openapi-spec-validator: a 401 on every authenticated operation, a problem+json default and problem+json 4xx/5xx everywhere, examples valid against their schemas, bad bodies refused. Needs jsonschema (openapi-spec-validator brings it). Usage: check-contract.py Sources/PodService/Resources/openapi.json"""
import json, sys
from jsonschema import Draft202012Validator
from referencing import Registry, Resource
doc = json.load(open(sys.argv[1]))
reg = Registry().with_resource("urn:doc", Resource.from_contents(doc, default_specification=__import__("referencing.jsonschema").jsonschema.DRAFT202012))
def resolve(x):
    while isinstance(x, dict) and "$ref" in x:
        node = doc
        for p in x["$ref"][2:].split("/"): node = node[p]
        x = node
    return x
def validate(schema, value, where):
    s = {"$ref": "urn:doc" + schema["$ref"]} if "$ref" in schema else schema
    errs = list(Draft202012Validator(s, registry=reg, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(value))
    for e in errs: print("EXAMPLE INVALID", where, e.message); 
    return not errs
bad = 0; n = 0
for path, item in doc["paths"].items():
    for method, op in item.items():
        if method == "parameters": continue
        n += 1
        secured = op.get("security", doc["security"]) != []
        rs = op["responses"]
        if secured and "401" not in rs: print("NO 401", method, path); bad += 1
        if "default" not in rs: print("NO default", method, path); bad += 1
        for code, r in rs.items():
            r = resolve(r)
            if code == "default" or code[0] in "45":
                if list(r.get("content", {})) != ["application/problem+json"]: print("NOT PROBLEM", method, path, code); bad += 1
            for ct, media in r.get("content", {}).items():
                exs = ([media["example"]] if "example" in media else []) + [e["value"] for e in media.get("examples", {}).values()]
                if ct.endswith("json"):
                    for ex in exs: bad += not validate(media["schema"], ex, f"{method} {path} {code}")
        rb = op.get("requestBody")
        if rb:
            media = rb["content"]["application/json"]
            for name, e in media.get("examples", {}).items(): bad += not validate(media["schema"], e["value"], f"{method} {path} body {name}")
        print(f"{method.upper():6} {path:22} secured={secured} codes={','.join(rs)}")
# negative: unknown field, bad env name refused by the request schema
req = {"$ref": "#/components/schemas/LaunchRequest"}
for body in [{"bogus": 1}, {"env": {"RUNPOD_LAUNCHER_LAUNCH_ID": "x"}}, {"env": {"A=B": "x"}}, {"ports": ["0/http"]}, {"gpuCount": 0}, {"name": "  "}]:
    s = {"$ref": "urn:doc" + req["$ref"]}
    if Draft202012Validator(s, registry=reg).is_valid(body): print("SHOULD BE REFUSED", body); bad += 1
print(f"{n} operations, {bad} problems"); sys.exit(1 if bad else 0)
