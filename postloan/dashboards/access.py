"""Who may see what on the dashboards, and the audit trail of what was seen.

`parameters/access.yaml` (optional) lists the users: each with a role, the scopes they may
see and, for an officer, their own officer id. The role names the products (management:
all; branch head: the pack, scorecards and workout of their branches; HR: scorecards and
the accountability review; committee: accountability and workout; officer: their own
scorecard page). Identity comes from a per-user token, stored only as its sha256, or from
a header set by the bank's reverse proxy / single sign-on, accepted only from the proxy's
addresses. The server (postloan.dashboards.server) authenticates; the kernel receives the
user id from the server, never from the browser, and narrows the catalog with
`visible_catalog`, so a view the user may not see is refused like an unknown one.

Without the file the single shared token of `postloan serve` is the only key: every holder
sees every product and scope.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
import re
from pathlib import Path

from pydantic import BaseModel, ConfigDict, Field, model_validator

from postloan.contract import BRANCH_ID_PATTERN
from postloan.policy import ParameterError, load_model

ACCESS_ENV = "POSTLOAN_ACCESS_FILE"       # set by the server for its kernels: the validated file it uses
USER_KEY = "_user"                        # the query key the server adds (and strips from the browser's request)
ALL_SCOPES = "*"


class Role(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str
    products: list[str]
    own_page_only: bool = False           # an officer: their own scorecard page, nothing else


class User(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(pattern=r"^[A-Za-z0-9_.@-]{1,64}$")
    name: str
    role: str
    scopes: list[str] = Field(default_factory=lambda: [ALL_SCOPES])
    officer_id: str | None = None
    token_sha256: str | None = Field(default=None, pattern=r"^[0-9a-f]{64}$")

    @model_validator(mode="after")
    def _scopes(self):
        for s in self.scopes:
            if s not in (ALL_SCOPES, "all") and not re.fullmatch(BRANCH_ID_PATTERN, s):
                raise ValueError(f"scopes: {s!r} 不是机构号或 “*”")
        return self


class Proxy(BaseModel):
    model_config = ConfigDict(extra="forbid")
    header: str = Field(pattern=r"^[A-Za-z0-9-]{1,64}$")
    trusted_addresses: list[str] = Field(min_length=1)


class AccessFile(BaseModel):
    model_config = ConfigDict(extra="forbid")
    roles: dict[str, Role]
    users: list[User]
    proxy: Proxy | None = None

    @model_validator(mode="after")
    def _consistent(self):
        ids = [u.id for u in self.users]
        if len(ids) != len(set(ids)):
            raise ValueError("users: 用户 id 重复")
        hashes = [u.token_sha256 for u in self.users if u.token_sha256]
        if len(hashes) != len(set(hashes)):
            raise ValueError("users: 两个用户使用同一令牌")
        for u in self.users:
            if u.role not in self.roles:
                raise ValueError(f"users.{u.id}.role: 未定义的角色 {u.role!r}；可选 {', '.join(self.roles)}")
            if self.roles[u.role].own_page_only and not u.officer_id:
                raise ValueError(f"users.{u.id}: 角色 {u.role} 只能看本人页面，须填写 officer_id")
            if not u.token_sha256 and self.proxy is None:
                raise ValueError(f"users.{u.id}: 没有 token_sha256，也没有配置 proxy，该用户无法登录")
        return self


def load_access(path: Path | str | None) -> AccessFile | None:
    """The validated access file, or None (single-token mode) when there is none."""
    if path is None:
        return None
    path = Path(path)
    if not path.exists():
        raise ParameterError(f"访问控制文件不存在 (access_file_missing)：{path}")
    return load_model(path, AccessFile)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def user_for_token(access: AccessFile, token: str) -> User | None:
    digest = token_hash(token)
    for u in access.users:
        if u.token_sha256 and hmac.compare_digest(u.token_sha256, digest):
            return u
    return None


def find_user(access: AccessFile, user_id: str) -> User | None:
    return next((u for u in access.users if u.id == user_id), None)


def kernel_access() -> AccessFile | None:
    """In a dashboard kernel: the server's access file, if it runs with one."""
    path = os.environ.get(ACCESS_ENV)
    return load_access(path) if path else None


def visible_catalog(cat: dict, access: AccessFile | None, user: User | None) -> dict:
    """The published catalog narrowed to what `user` may see (unchanged in single-token mode)."""
    if access is None:
        return cat
    if user is None:
        return {}
    role = access.roles[user.role]
    out: dict = {}
    for period, products in cat.items():
        for product, info in products.items():
            if product not in role.products:
                continue
            scopes = [s for s in info["scopes"] if ALL_SCOPES in user.scopes or s in user.scopes]
            if scopes:
                out.setdefault(period, {})[product] = {**info, "scopes": scopes}
    return out


def own_item(access: AccessFile | None, user: User | None, product: str) -> str | None:
    """The one item (officer page) a user may open, for a role limited to its own page; else None."""
    if access is None or user is None or not access.roles[user.role].own_page_only:
        return None
    return user.officer_id if product == "scorecards" else None


def audit(outputs: Path, user: User | None, product: str, period: str, scope: str, item: str) -> None:
    """Append one line per view served to outputs/.audit/dashboard-views.jsonl (not a run folder:
    the dashboards never list or read it)."""
    folder = Path(outputs) / ".audit"
    folder.mkdir(parents=True, exist_ok=True)
    line = json.dumps({"time": dt.datetime.now(dt.timezone(dt.timedelta(hours=8))).isoformat(timespec="seconds"),
                       "user": user.id if user else None, "product": product, "period": period, "scope": scope,
                       "item": item or None}, ensure_ascii=False)
    fd = os.open(folder / "dashboard-views.jsonl", os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o600)
    try:
        os.write(fd, (line + "\n").encode("utf-8"))
    finally:
        os.close(fd)
