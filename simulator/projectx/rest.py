"""The Gateway's REST API under ``/api``: ``POST /api/{Controller}/{action}`` with JSON bodies
(and ``GET /api/Status/ping``). ``docs/gateway-api.md`` lists every documented endpoint.

Every success carries the envelope ``{"success": true, "errorCode": 0, "errorMessage": null}``
next to its payload; a refused request is HTTP 200 with ``success: false``, an error code and a
message, as the Gateway answers. A missing, unknown, expired or revoked token is 401 with an empty
body and JwtBearer's ``WWW-Authenticate`` (``tokens.challenge``); a body that is not a JSON
object, or a field of the wrong JSON type or out of its .NET type's range (``FIELDS``: an id that
is a list, a size past Int32, ``NaN``, a price past ``decimal``) is ASP.NET's 400
ProblemDetails, as model binding answers; an unknown path is 404 and a known one asked with
another method 405 with ``Allow`` (both with an empty body); a body over 1 MB is 413. Request
bodies bind as System.Text.Json's web defaults do: property names in any case, numbers also from
JSON strings (``"accountId": "7"``); the route ignores case and a trailing slash. With rate limits
on (``limits``), an authenticated request over its limit is 429 with an empty body. Nothing
answers 500 with a traceback.
"""

from __future__ import annotations

import re
import time
import uuid
from collections import abc
from datetime import datetime
from typing import Any

from aiohttp import web

from ..control import read_body
from ..recording import bearer_from_header
from ..values import BadValue, parse_json
from .catalog import Catalog
from .limits import RateLimiter
from .market import ContractMarket
from .tokens import TokenError, TokenService, challenge
from .trading import Ledger, OrderRejected

Handler = abc.Callable[[dict[str, Any]], dict[str, Any] | web.Response]
PING = "status/ping"  # the one GET, and the one route nobody logs in for

UNITS_S = {1: 1, 2: 60, 3: 3600, 4: 86400, 5: 7 * 86400, 6: 30 * 86400}  # History unit -> seconds
ERR_INVALID_CREDENTIALS = 3  # LoginErrorCode.InvalidCredentials
ERR_APP_NOT_FOUND = 4  # LoginErrorCode.AppNotFound
# The login models' required string properties (a body without one: 400 before any check)
REQUIRED = {
    "auth/loginkey": ("userName", "apiKey"),
    "auth/loginapp": ("userName", "password", "deviceId", "appId", "verifyKey"),
}
ERR_NOT_FOUND = 1  # every search's AccountNotFound / ContractNotFound / OrderNotFound
# Each endpoint's own errorCode enum (the Gateway's swagger), from what the ledger said was wrong
# (``OrderRejected.reason``); a reason an enum has no value for is its generic rejection.
ERROR_CODES: dict[str, dict[str, int]] = {
    "order/place": {"account": 1, "rejected": 2, "contract": 8, "account_rejected": 10},
    "order/modify": {"account": 1, "order": 2, "rejected": 3, "account_rejected": 6},
    "order/cancel": {"account": 1, "order": 2, "rejected": 3, "account_rejected": 6},
    "order/searchbyid": {"account": 1, "order": 1, "rejected": 1},
    "position/closecontract": {
        "account": 1, "position": 2, "contract": 3, "rejected": 5, "account_rejected": 8,
    },
    "position/partialclosecontract": {
        "account": 1, "position": 2, "contract": 3, "size": 5, "rejected": 6, "account_rejected": 9,
    },
}  # fmt: skip
BARS_UNIT_INVALID, BARS_UNIT_NUMBER_INVALID, BARS_LIMIT_INVALID = 2, 3, 4  # RetrieveBarErrorCode
MAX_BAR_UNITS = 1_000  # unitNumber: 1000 months is past any history the Gateway keeps
MAX_BARS = 20_000  # the Gateway's documented maximum per request
MAX_SEARCH = 20  # "The response returns up to 20 contracts at a time."
MAX_PAGE = 100  # Order/v2/query's page cap, as measured on the real Gateway

INT32 = (-(2**31), 2**31 - 1)
INT64 = (-(2**63), 2**63 - 1)
DECIMAL_MAX = 7.9e28
# The request fields the Gateway's models declare, by the .NET type System.Text.Json binds them to
# (every one nullable or defaulted). A value of another JSON type fails binding: ProblemDetails.
FIELDS = {
    **dict.fromkeys(("accountId", "size", "type", "side", "unit", "unitNumber", "limit"), "Int32"),
    "orderId": "Int64",
    **dict.fromkeys(("contractId", "searchText", "customTag"), "String"),
    **dict.fromkeys(("startTime", "endTime"), "DateTimeOffset"),
    **dict.fromkeys(("userName", "apiKey", "password", "deviceId", "appId", "verifyKey"), "String"),
    **dict.fromkeys(("limitPrice", "stopPrice", "trailPrice"), "Decimal"),
    **dict.fromkeys(("onlyActiveAccounts", "live", "includePartialBar", "includeTotalCount"), "Boolean"),
    **dict.fromkeys(("pageSize", "pageOffset", "sortBy", "sortDirection"), "Int32"),
    **dict.fromkeys(("createdAfter", "createdBefore", "startTimestamp", "endTimestamp"), "DateTimeOffset"),
    "filter": "Object",
    "statuses": "Array",
}


# Request property names as the models spell them; a body may spell them in any case.
CANONICAL = {name.lower(): name for name in FIELDS}
NUMBER_TEXT = re.compile(r"\s*-?(\d+(\.\d*)?|\.\d+)([eE][-+]?\d+)?\s*")
# What System.Text.Json reads as a DateTimeOffset: ISO 8601's extended profile, date-only or with
# hh:mm[:ss[.fffffff]], and an optional Z or +hh:mm offset ("...+00:00Z" and "20261202T..." fail).
ISO_8601 = re.compile(r"\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,7})?)?)?(Z|[+-]\d{2}:\d{2})?")


def bind(body: dict[str, Any]) -> dict[str, Any] | str:
    """``body`` as the Gateway's request models see it (``FIELDS``, System.Text.Json's web
    defaults: names matched in any case, numbers read from JSON strings too), or why it does not
    bind (the ProblemDetails message)."""
    bound: dict[str, Any] = {}
    for key, value in body.items():
        name = CANONICAL.get(key.lower(), key)
        kind = FIELDS.get(name)
        bound[name] = value
        if kind in ("Int32", "Int64", "Decimal") and isinstance(value, str) and NUMBER_TEXT.fullmatch(value):
            bound[name] = float(value) if kind == "Decimal" else _integer(value)
        if bound[name] is not None and kind is not None and not _fits(kind, bound[name]):
            return f"The JSON value could not be converted to System.{kind}. Path: $.{key}"
        if kind == "Object" and isinstance(bound[name], dict):  # a nested model binds the same way
            inner = bind(bound[name])
            if isinstance(inner, str):
                return inner.replace("Path: $.", f"Path: $.{key}.")
            bound[name] = inner
    return bound


def _integer(text: str) -> int | str:
    try:
        return int(text)
    except ValueError:
        return text  # "1.5" is no integer: refused as the wrong type


def _fits(kind: str, value: Any) -> bool:
    if kind in ("Int32", "Int64"):
        low, high = INT32 if kind == "Int32" else INT64
        return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
    if kind == "Decimal":
        return isinstance(value, int | float) and not isinstance(value, bool) and abs(value) <= DECIMAL_MAX
    if kind == "DateTimeOffset":
        return (
            isinstance(value, str) and ISO_8601.fullmatch(value) is not None and parse_time(value) is not None
        )
    types = {"String": str, "Boolean": bool, "Object": dict, "Array": list}
    return isinstance(value, types[kind])


def ok(**payload: Any) -> dict[str, Any]:
    return {**payload, "success": True, "errorCode": 0, "errorMessage": None}


def refused(code: int, message: str, **payload: Any) -> dict[str, Any]:
    return {**payload, "success": False, "errorCode": code, "errorMessage": message}


def rejected(endpoint: str, exc: OrderRejected, **payload: Any) -> dict[str, Any]:
    """The refusal ``endpoint`` answers for what the ledger refused, with that endpoint's code."""
    codes = ERROR_CODES[endpoint]
    return refused(codes.get(exc.reason, codes["rejected"]), str(exc), **payload)


def problem(detail: str) -> web.Response:
    """ASP.NET Core's automatic 400 for a body that does not bind."""
    body = {
        "type": "https://tools.ietf.org/html/rfc9110#section-15.5.1",
        "title": "One or more validation errors occurred.",
        "status": 400,
        "errors": {"$": [detail]},
        "traceId": f"00-{uuid.uuid4().hex}-{uuid.uuid4().hex[:16]}-00",
    }
    return web.json_response(body, status=400, content_type="application/problem+json")


def parse_time(value: Any) -> float | None:
    if not isinstance(value, str):
        return None
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


class RestApi:
    def __init__(
        self,
        tokens: TokenService,
        catalog: Catalog,
        markets: dict[str, ContractMarket],
        ledger: Ledger,
        credentials: dict[str, str],
        *,
        limits: RateLimiter | None = None,
    ) -> None:
        self.tokens = tokens
        self.catalog = catalog
        self.markets = markets
        self.ledger = ledger
        self.credentials = credentials  # userName -> apiKey
        self.limits = limits
        self.public: dict[str, Handler] = {"auth/loginkey": self.login_key, "auth/loginapp": self.login_app}
        self.private: dict[str, Handler] = {
            "account/search": self.account_search,
            "contract/search": self.contract_search,
            "contract/searchbyid": self.contract_by_id,
            "contract/available": lambda body: ok(
                contracts=[c.to_api() for c in self.catalog.contracts.values()]
            ),
            "history/retrievebars": self.bars,
            "position/searchopen": self.positions,
            "position/closecontract": self.close_contract,
            "position/partialclosecontract": self.partial_close_contract,
            "order/place": self.place,
            "order/cancel": self.cancel,
            "order/modify": self.modify,
            "order/search": lambda body: self._orders(body, open_only=False),
            "order/searchopen": lambda body: self._orders(body, open_only=True),
            "order/searchbyid": self.order_by_id,
            "order/v2/query": self.order_query,
            "trade/search": self.trades,
        }
        # the handlers that need the caller's token
        self.with_token: dict[str, abc.Callable[[dict[str, Any], str], dict[str, Any]]] = {
            "auth/validate": self.validate,
            "auth/logout": self.logout,
        }

    def routes(self) -> list[web.RouteDef]:
        return [web.route("*", "/api/{path:.+}", self.handle)]

    async def handle(self, request: web.Request) -> web.StreamResponse:
        path = request.match_info["path"].strip("/").lower()
        known = path in self.public or path in self.private or path in self.with_token or path == PING
        if not known:
            return web.Response(status=404)  # ASP.NET: no endpoint matched, empty body
        allowed = "GET" if path == PING else "POST"
        if request.method != allowed:
            return web.Response(status=405, headers={"Allow": allowed})
        if path == PING:
            return self.ping(request)
        token = None
        if path not in self.public:
            token = bearer_from_header(request.headers.get("Authorization"))
            if token is None:
                return web.Response(status=401, headers={"WWW-Authenticate": challenge(None)})
            try:
                user = self.tokens.validate(token).user
            except TokenError as exc:
                return web.Response(status=401, headers={"WWW-Authenticate": challenge(exc)})
            if self.limits is not None and not self.limits.allow(user, path):
                return web.Response(status=429)
        raw = await read_body(request)
        try:
            parsed = parse_json(raw) if raw.strip() else {}
        except BadValue as exc:
            return problem(f"The JSON value could not be converted: {exc}")
        if not isinstance(parsed, dict):
            return problem("The JSON value must be an object.")
        body = bind(parsed)
        if isinstance(body, str):
            return problem(body)
        if path in REQUIRED:  # the logins' models require their fields: a 400 before any check
            missing = [f for f in REQUIRED[path] if not isinstance(body.get(f), str)]
            if missing:
                return problem(f"The {missing[0][0].upper()}{missing[0][1:]} field is required.")
        if token is not None and path in self.with_token:
            return web.json_response(self.with_token[path](body, token))
        handler = self.public.get(path) or self.private[path]
        answer = handler(body)
        return answer if isinstance(answer, web.Response) else web.json_response(answer)

    def ping(self, request: web.Request) -> web.Response:
        """``GET /api/Status/ping``: "pong", as ASP.NET returns a string: JSON for a client that
        asks for JSON first (project-x-py parses it), else text/plain."""
        accept = request.headers.get("Accept", "")
        if accept.split(",")[0].split(";")[0].strip() in ("application/json", "text/json"):
            return web.json_response("pong")
        return web.Response(text="pong", content_type="text/plain")

    # -- auth ----------------------------------------------------------------------------------

    def login_key(self, body: dict[str, Any]) -> dict[str, Any]:
        user, key = body.get("userName"), body.get("apiKey")
        if not isinstance(user, str) or self.credentials.get(user) != key:
            return refused(ERR_INVALID_CREDENTIALS, "Invalid credentials.", token=None)
        return ok(token=self.tokens.issue(user))

    def login_app(self, body: dict[str, Any]) -> dict[str, Any]:
        """``Auth/loginApp`` (authorized applications): the swagger still lists it, though its docs
        page is gone and key login is "the only supported way". The simulator knows no application,
        so every attempt is refused as the Gateway refuses an unknown one: AppNotFound."""
        return refused(ERR_APP_NOT_FOUND, "Application not found.", token=None)

    def validate(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        return ok(newToken=self.tokens.issue(self.tokens.validate(token).user))

    def logout(self, body: dict[str, Any], token: str) -> dict[str, Any]:
        self.tokens.revoke(token=token)
        return ok()

    # -- reference data ------------------------------------------------------------------------

    def account_search(self, body: dict[str, Any]) -> dict[str, Any]:
        only_active = body.get("onlyActiveAccounts", True)
        accounts = [a for a in self.catalog.accounts.values() if a.can_trade or not only_active]
        return ok(accounts=[a.to_api() for a in accounts])

    def contract_search(self, body: dict[str, Any]) -> dict[str, Any]:
        """Up to 20 contracts whose name or symbol holds ``searchText`` (optional: all of them)."""
        text = body.get("searchText") or ""
        return ok(contracts=[c.to_api() for c in self.catalog.search(text)[:MAX_SEARCH]])

    def contract_by_id(self, body: dict[str, Any]) -> dict[str, Any]:
        contract = self.catalog.contracts.get(body.get("contractId"))  # type: ignore[arg-type]
        if contract is None:
            return refused(ERR_NOT_FOUND, "Contract not found.", contract=None)
        return ok(contract=contract.to_api())

    def bars(self, body: dict[str, Any]) -> dict[str, Any]:
        market = self.markets.get(body.get("contractId"))  # type: ignore[arg-type]
        if market is None:
            return refused(ERR_NOT_FOUND, "Contract not found.", bars=[])
        unit, number, limit = (
            default if body.get(name) is None else body[name]
            for name, default in (("unit", 2), ("unitNumber", 1), ("limit", 1000))
        )
        start = parse_time(body.get("startTime"))
        end = parse_time(body.get("endTime"))
        end = time.time() if end is None else end
        if unit not in UNITS_S:
            return refused(BARS_UNIT_INVALID, "Invalid unit.", bars=[])
        if not 0 < number <= MAX_BAR_UNITS:
            return refused(BARS_UNIT_NUMBER_INVALID, "Invalid unit number.", bars=[])
        if limit < 0:
            return refused(BARS_LIMIT_INVALID, "Invalid limit.", bars=[])
        limit = min(limit, MAX_BARS)
        unit_s = UNITS_S[unit] * number
        if start is None:
            start = end - unit_s * limit
        if start < 0:  # before 1970: no history there (and no datetime before year 1); the enum has
            # no code for a time range, so the one for the unit that reaches that far back
            return refused(
                BARS_UNIT_INVALID, "Invalid bar request: the time range is out of bounds.", bars=[]
            )
        return ok(bars=market.bars(start, min(end, time.time()), unit_s, limit))

    # -- trading -------------------------------------------------------------------------------

    def positions(self, body: dict[str, Any]) -> dict[str, Any]:
        account = self.catalog.accounts.get(body.get("accountId"))  # type: ignore[arg-type]
        if account is None:
            return refused(ERR_NOT_FOUND, "Account not found.", positions=[])
        return ok(positions=self.ledger.open_positions(account.id))

    def close_contract(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            self.ledger.close_position(body.get("accountId"), body.get("contractId"))
        except OrderRejected as exc:
            return rejected("position/closecontract", exc)
        return ok()

    def partial_close_contract(self, body: dict[str, Any]) -> dict[str, Any]:
        """Closes ``size`` contracts of the position with a market order (no ``orderId`` in the
        answer): the order, its fill, the trade and the position's change reach the user hub as
        any fill's do."""
        size = body.get("size")
        try:
            self.ledger.close_position(
                body.get("accountId"), body.get("contractId"), 0 if size is None else size
            )
        except OrderRejected as exc:
            return rejected("position/partialclosecontract", exc)
        return ok()

    def place(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            order = self.ledger.place(
                body.get("accountId"),
                body.get("contractId"),
                order_type=body.get("type"),
                side=body.get("side"),
                size=body.get("size"),
                limit_price=body.get("limitPrice"),
                stop_price=body.get("stopPrice"),
                custom_tag=body.get("customTag"),
            )
        except OrderRejected as exc:
            return rejected("order/place", exc, orderId=None)
        return ok(orderId=order.id)

    def cancel(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            self.ledger.cancel(body.get("accountId"), body.get("orderId"))
        except OrderRejected as exc:
            return rejected("order/cancel", exc)
        return ok()

    def modify(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            self.ledger.modify(
                body.get("accountId"),
                body.get("orderId"),
                body.get("size"),
                body.get("limitPrice"),
                body.get("stopPrice"),
            )
        except OrderRejected as exc:
            return rejected("order/modify", exc)
        return ok()

    def _orders(self, body: dict[str, Any], *, open_only: bool) -> dict[str, Any]:
        account = self.catalog.accounts.get(body.get("accountId"))  # type: ignore[arg-type]
        if account is None:
            return refused(ERR_NOT_FOUND, "Account not found.", orders=[])
        return ok(orders=self.ledger.search_orders(account.id, open_only=open_only))

    def order_by_id(self, body: dict[str, Any]) -> dict[str, Any]:
        try:
            order = self.ledger.order(body.get("accountId"), body.get("orderId"))
        except OrderRejected as exc:
            return rejected("order/searchbyid", exc, order=None)
        return ok(order=order.to_api())

    def order_query(self, body: dict[str, Any]) -> dict[str, Any] | web.Response:
        """``Order/v2/query``: the account's orders filtered by status and creation time, sorted
        (``sortBy`` 0 CreatedAt, 1 Id; ``sortDirection`` 0 Asc, 1 Desc) and paged (``pageOffset``
        counts rows; at most 100 a page). As measured on the real Gateway, ``contractId`` does not
        filter."""
        query = body.get("filter")
        if not isinstance(query, dict):
            return problem("SearchOrdersQueryRequest was missing required properties including: 'filter'.")
        account = self.catalog.accounts.get(query.get("accountId"))  # type: ignore[arg-type]
        if account is None:
            return refused(ERR_NOT_FOUND, "Account not found.", orders=[], totalCount=None)
        statuses = query.get("statuses")
        after, before = parse_time(query.get("createdAfter")), parse_time(query.get("createdBefore"))
        orders = [
            o
            for o in self.ledger.search_orders(account.id, open_only=False)
            if (not statuses or o["status"] in statuses)
            and (after is None or (parse_time(o["creationTimestamp"]) or 0) >= after)
            and (before is None or (parse_time(o["creationTimestamp"]) or 0) < before)
        ]
        key = "id" if body.get("sortBy") == 1 else "creationTimestamp"
        orders.sort(key=lambda o: (o[key], o["id"]), reverse=body.get("sortDirection") == 1)
        size = min(MAX_PAGE, body.get("pageSize") or MAX_PAGE)
        offset = max(0, body.get("pageOffset") or 0)
        total = len(orders) if body.get("includeTotalCount") else None
        return ok(orders=orders[offset : offset + max(size, 0)], totalCount=total)

    def trades(self, body: dict[str, Any]) -> dict[str, Any]:
        account = self.catalog.accounts.get(body.get("accountId"))  # type: ignore[arg-type]
        if account is None:
            return refused(ERR_NOT_FOUND, "Account not found.", trades=[])
        return ok(trades=self.ledger.search_trades(account.id))
