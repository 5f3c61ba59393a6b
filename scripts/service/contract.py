"""An HTTP client for `runpod-launcher serve` that validates every answer (status, headers, body) against the
service's OpenAPI document with openapi-core, and keeps every answer's text so the check can look for secrets in it."""
import json
import time

import jsonschema
import requests
from openapi_core import Config, OpenAPI
from openapi_core.testing import MockRequest, MockResponse

from harness import OPENAPI_PATH


def _text(data):
    return data.decode() if isinstance(data, bytes) else data


class Answer:
    def __init__(self, status, headers, raw, content_type):
        self.status = status
        self.headers = headers
        self.raw = raw
        self.content_type = content_type

    @property
    def json(self):
        return json.loads(self.raw) if self.raw else None

    def __repr__(self):
        return f"{self.status} {self.content_type} {self.raw[:400]!r}"


def flatten_errors(errors):
    """openapi-core's nested validation errors, one readable line each."""
    lines = []
    for error in errors:
        lines.append(f"{type(error).__name__}: {error}")
        for inner in (error, error.__cause__):
            for cause in getattr(inner, "schema_errors", None) or []:
                lines.append(f"  at {'/'.join(map(str, cause.absolute_path)) or '(root)'}: {cause.message[:300]}")
    return "\n".join(lines)


class ServiceAPI:
    """Calls the service; each call checks the status and validates the answer against the operation it hit."""

    def __init__(self, base, token):
        self.token = token
        with open(OPENAPI_PATH) as f:
            self.document = json.load(f)
        self.rebase(base)
        # Launches inside events are validated with the same schema, through jsonschema (format checks on).
        root = {"components": self.document["components"]}
        self.launch_validator = jsonschema.Draft202012Validator(
            {**root, "$ref": "#/components/schemas/Launch"}, format_checker=jsonschema.FormatChecker())
        self.session = requests.Session()
        self.answers = []  # (method, path, status, text) of every answer, for the secrets check
        self.validated = 0

    def rebase(self, base):
        """Points the client (and the document's server, which openapi-core matches requests by) at `base`."""
        self.base = base.rstrip("/")
        document = json.loads(json.dumps(self.document))
        document["servers"] = [{"url": self.base}]
        config = Config(extra_media_type_deserializers={
            "application/problem+json": json.loads,
            "text/event-stream": _text,
            "text/plain": _text,
        })
        self.openapi = OpenAPI.from_dict(document, config=config)

    def headers(self, auth=True, extra=None):
        sent = {"Accept": "application/json, application/problem+json"}
        if auth is True:
            sent["Authorization"] = f"Bearer {self.token}"
        elif isinstance(auth, str):
            sent["Authorization"] = auth
        sent.update(extra or {})
        return sent

    def call(self, method, path, expect_status, *, query=None, body=None, data=None, content_type=None, auth=True,
             headers=None, valid_request=True, timeout=30):
        """Sends one request and validates its answer. `body` is sent as JSON; `data` as raw bytes (with
        `content_type`). `expect_status` is an int or a tuple of accepted ones."""
        sent = self.headers(auth, headers)
        if body is not None:
            data = json.dumps(body).encode()
            content_type = content_type or "application/json"
        if content_type:
            sent["Content-Type"] = content_type
        answer = self.session.request(method, self.base + path, params=query, data=data, headers=sent, timeout=timeout)
        result = self.validate(method, path, query, sent, data, content_type, answer, answer.content, valid_request)
        wanted = expect_status if isinstance(expect_status, tuple) else (expect_status,)
        if result.status not in wanted:
            raise AssertionError(f"{method} {path}{_query(query)}: expected {expect_status}, got {result!r}")
        return result

    def validate(self, method, path, query, sent, data, content_type, answer, raw, valid_request=True):
        bare_type = answer.headers.get("Content-Type", "").split(";")[0].strip()
        self.answers.append((method, path, answer.status_code, raw.decode("utf-8", errors="replace")))
        request = MockRequest(self.base, method.lower(), path, args=_pairs(query), headers=sent, data=data,
                              content_type=content_type or "")
        if valid_request:
            errors = list(self.openapi.iter_request_errors(request))
            if errors:
                raise AssertionError(f"{method} {path}: the check's own request breaks the document: {flatten_errors(errors)}")
        response = MockResponse(raw, status_code=answer.status_code, headers=dict(answer.headers), content_type=bare_type)
        errors = list(self.openapi.iter_response_errors(request, response))
        if errors:
            raise AssertionError(
                f"{method} {path}{_query(query)} -> {answer.status_code} ({bare_type}) breaks the document:\n"
                f"{flatten_errors(errors)}\nbody: {raw[:500]!r}")
        if answer.status_code >= 400 and bare_type != "application/problem+json":
            raise AssertionError(f"{method} {path} -> {answer.status_code} is {bare_type!r}, not application/problem+json")
        self.validated += 1
        return Answer(answer.status_code, answer.headers, raw, bare_type)

    # Shorthands -------------------------------------------------------------------------------------------------

    def create(self, body=None, key=None, expect=202):
        headers = {"Idempotency-Key": key} if key else None
        return self.call("POST", "/v1/pods", expect, body={} if body is None else body, headers=headers)

    def get(self, launch_id, expect=200):
        return self.call("GET", f"/v1/pods/{launch_id}", expect)

    def wait_ready(self, launch_id, seconds=60):
        return self.call("GET", f"/v1/pods/{launch_id}", 200, query={"wait": "ready", "timeoutSeconds": str(seconds)},
                         timeout=seconds + 30).json

    def delete(self, launch_id, expect=(200, 202)):
        return self.call("DELETE", f"/v1/pods/{launch_id}", expect)

    def list(self, states=None, expect=200, **query):
        pairs = [("state", s) for s in (states or [])] + [(k, str(v)) for k, v in query.items()]
        return self.call("GET", "/v1/pods", expect, query=pairs or None)

    def all_launches(self):
        """Every launch, following nextCursor."""
        launches, cursor = [], None
        while True:
            query = [("limit", "1000")] + ([("cursor", cursor)] if cursor else [])
            page = self.call("GET", "/v1/pods", 200, query=query).json
            launches += page["pods"]
            cursor = page["nextCursor"]
            if not cursor:
                return launches

    def wait_state(self, launch_id, states, timeout=60):
        """Polls GET until the launch is in one of `states`; returns it."""
        deadline = time.time() + timeout
        while True:
            launch = self.get(launch_id).json
            if launch["state"] in states:
                return launch
            if time.time() > deadline:
                raise AssertionError(f"launch {launch_id} is {launch['state']} after {timeout} s, expected {states}: {launch}")
            time.sleep(0.1)

    def launch_errors(self, launch):
        return [f"{'/'.join(map(str, e.absolute_path)) or '(root)'}: {e.message}"
                for e in self.launch_validator.iter_errors(launch)]


def _pairs(query):
    """Query parameters for MockRequest: a dict, or a list of pairs for repeated names (it builds a MultiDict)."""
    return query or {}


def _query(query):
    if not query:
        return ""
    items = query.items() if isinstance(query, dict) else query
    return "?" + "&".join(f"{k}={v}" for k, v in items)
