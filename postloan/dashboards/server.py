"""The dashboard server: Voila over workbooks/dashboards/, hardened for a bank's intranet.

`postloan serve` runs it in its own process (no child Voila), so SIGTERM and SIGINT stop the
server and shut every kernel down. On top of Voila it:

- refuses to start when the port is taken (Voila would silently take another);
- takes the token from the environment or a file, never from the command line, and logs
  requests by path only (no query string, so no token), with any other mention redacted;
- authenticates every route and websocket: Voila's `/voila/query/<kernel>` socket, which hands
  a preheated kernel its page's query string, answers only the server's own kernels (a key
  they inherit), never a browser;
- sets the `_xsrf` cookie on each page so that Voila's shutdown beacon on page close is
  accepted and the page's kernel is freed at once (voila#1458), and caps the number of
  kernels (a request over the cap gets a Chinese page, not a kernel);
- sends a Content-Security-Policy that forbids inline event handlers and every foreign origin;
- with `parameters/access.yaml`, identifies each user (own token, or the single sign-on
  header from the configured proxy) and passes the user id to the kernel, which shows only
  what the user may see and writes the audit log (postloan.dashboards.access).
"""
from __future__ import annotations

import errno
import hmac
import logging
import os
import re
import secrets
import signal
import socket
import sys
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qsl, urlencode

import tornado.web
from jupyter_server.auth.identity import User as JupyterUser
from voila.app import Voila
from voila.request_info_handler import RequestInfoSocketHandler
from voila.tornado.handler import TornadoVoilaHandler
from voila.voila_identity_provider import VoilaIdentityProvider

from postloan.dashboards import access as acl
from postloan.dashboards.request import KERNEL_KEY_ENV, KERNEL_KEY_HEADER
from postloan.paths import OUTPUTS_ENV, ROOT

TOKEN_ENV = "POSTLOAN_DASHBOARD_TOKEN"
DASHBOARDS = ROOT / "workbooks" / "dashboards"
REDACTED = "***"

CSP = "; ".join([
    "default-src 'self'",
    "script-src 'self' 'unsafe-inline' 'unsafe-eval'",     # Voila's own page scripts
    "script-src-attr 'none'",                               # no inline event handler (onerror=…) ever runs
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data: blob:",
    "font-src 'self' data:",
    "connect-src 'self'",                                   # the page's own server and websockets only
    "object-src 'none'", "base-uri 'self'", "form-action 'self'", "frame-ancestors 'self'",
])
HEADERS = {"Content-Security-Policy": CSP, "X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer"}

BUSY_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>暂时无法打开</title></head>
<body style="font-family: 'Noto Sans CJK SC', sans-serif; margin: 3em;"><h1>仪表板暂时无法打开</h1>
<p>同时打开的页面已达上限（{cap} 个），为保护服务器，暂不打开新的页面 (too_many_kernels)。</p>
<p>请关闭不再使用的仪表板页面，稍后刷新重试；如经常出现，请联系信息科技部门调高 --max-kernels。</p></body></html>"""

SIGN_IN_PAGE = """<!DOCTYPE html><html lang="zh-CN"><head><meta charset="utf-8"><title>需要登录</title></head>
<body style="font-family: 'Noto Sans CJK SC', sans-serif; margin: 3em;"><h1>贷后管理仪表板：需要登录</h1>
<p>请使用管理员发给您的完整链接（链接中带有访问令牌）打开仪表板；已接入本行统一登录的，请从统一登录门户进入
(sign_in_required)。</p>
<p>如链接已失效或无权查看，请联系信息科技部门。</p></body></html>"""


class SignInPage(tornado.web.RequestHandler):
    """In place of Jupyter's English login form: a visitor without a token (or without the bank's
    sign-on) is told in Chinese how to get in, and nothing about Jupyter."""

    def _page(self):
        self.set_status(401)
        self.set_header("Content-Type", "text/html; charset=utf-8")
        for name, value in HEADERS.items():
            self.set_header(name, value)
        self.finish(SIGN_IN_PAGE)

    def get(self, *args, **kwargs):
        self._page()

    def post(self, *args, **kwargs):
        self._page()

    def check_xsrf_cookie(self):          # a POST to the old login form gets the same page
        return


@dataclass
class ServeOptions:
    port: int = 8866
    ip: str = "127.0.0.1"
    outputs: Path = ROOT / "outputs"
    token: str | None = None              # single-token mode; None with an access file
    access_file: Path | None = None
    preheat: bool = True
    max_kernels: int = 20
    cull_idle: int = 900
    cull_interval: int = 300


class ServeError(RuntimeError):
    pass


def resolve_token(token_file: str | None) -> tuple[str, bool]:
    """(token, generated): from --token-file, else POSTLOAN_DASHBOARD_TOKEN, else a new random one."""
    if token_file:
        try:
            token = Path(token_file).read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ServeError(f"无法读取令牌文件 (token_file_unreadable)：{token_file}：{exc.strerror}") from None
        if len(token) < 16:
            raise ServeError(f"令牌文件中的令牌太短 (token_too_short)：至少 16 个字符：{token_file}")
        return token, False
    token = os.environ.pop(TOKEN_ENV, "")        # popped: the kernels never see it
    if token:
        if len(token) < 16:
            raise ServeError(f"环境变量 {TOKEN_ENV} 中的令牌太短 (token_too_short)：至少 16 个字符")
        return token, False
    return secrets.token_urlsafe(24), True


def check_port(ip: str, port: int) -> None:
    with socket.socket(socket.AF_INET6 if ":" in ip else socket.AF_INET) as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)     # as tornado does: TIME_WAIT is not "taken"
        try:
            s.bind((ip, port))
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise ServeError(f"端口 {port} 已被占用 (port_in_use)：可能已有一个 postloan serve 在运行；"
                                 f"请先停止它，或用 --port 换一个端口。") from None
            raise ServeError(f"无法监听 {ip}:{port} (listen_failed)：{exc.strerror}") from None


class Redact(logging.Filter):
    """Removes the token (and any ?token=… query) from every log record."""

    def __init__(self, secrets_: list[str]):
        super().__init__()
        self.secrets = [s for s in secrets_ if s]

    def filter(self, record: logging.LogRecord) -> bool:
        text = record.getMessage()
        clean = text
        for s in self.secrets:
            clean = clean.replace(s, REDACTED)
        clean = re.sub(r"(token=)[^&\s'\"]+", r"\1" + REDACTED, clean)
        if clean != text:
            record.msg, record.args = clean, None
        return True


def log_request(handler: tornado.web.RequestHandler) -> None:
    """A line per page, action and refusal: status, method, path (never the query string, which
    holds the token), address, time. Static files and websocket frames are not logged."""
    status, path = handler.get_status(), handler.request.path
    if status < 400 and (handler.request.method == "GET" and "/render/" not in path):
        return
    level = logging.INFO if status < 400 else logging.WARNING
    logging.getLogger("DashboardServer").log(level, "%d %s %s (%s) %.1fms", status, handler.request.method, path,
                                             handler.request.remote_ip, 1000.0 * handler.request.request_time())


class AccessIdentityProvider(VoilaIdentityProvider):
    """Identity from access.yaml: a user's own token (compared by its sha256), or the single
    sign-on header, trusted only from the proxy's addresses. No anonymous users."""

    access: acl.AccessFile | None = None

    @property
    def auth_enabled(self) -> bool:
        return True

    def _user(self, u: acl.User) -> JupyterUser:
        return JupyterUser(username=u.id, name=u.name, display_name=u.name)

    async def get_user(self, handler):
        proxy = self.access.proxy
        if proxy and handler.request.remote_ip in proxy.trusted_addresses:
            name = handler.request.headers.get(proxy.header, "").strip()
            if name:
                u = acl.find_user(self.access, name)
                return self._user(u) if u else None
        return await super().get_user(handler)

    async def get_user_token(self, handler):
        token = self.get_token(handler)
        u = acl.user_for_token(self.access, token) if token else None
        return self._user(u) if u else None

    def get_user_cookie(self, handler):
        got = super().get_user_cookie(handler)
        if got is None or not isinstance(got, JupyterUser):
            return got
        return got if acl.find_user(self.access, got.username) else None      # a removed user's cookie is void


class GuardedPage(TornadoVoilaHandler):
    """A dashboard page: kernel cap, the _xsrf cookie for the close beacon, and the query string
    the kernel receives cleaned (no token) and, with access control, carrying the user id."""

    @tornado.web.authenticated
    async def get(self, path=None):
        cap = self.settings["postloan_max_kernels"]
        if len(self.kernel_manager.list_kernel_ids()) >= cap:
            self.set_status(503)
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.set_header("Retry-After", "30")
            self.finish(BUSY_PAGE.format(cap=cap))
            return
        self.xsrf_token               # sets the _xsrf cookie that Voila's shutdown beacon sends back
        pairs = [(k, v) for k, v in parse_qsl(self.request.query, keep_blank_values=True)
                 if k not in ("token", acl.USER_KEY)]
        if self.settings.get("postloan_access") is not None:
            pairs.append((acl.USER_KEY, self.current_user.username))
        self.request.query = urlencode(pairs)
        self.request.uri = self.request.path + (f"?{self.request.query}" if pairs else "")
        await super().get(path)


class KernelQuerySocket(RequestInfoSocketHandler):
    """Voila's request-info socket, open only to this server's kernels (they present the key
    they inherited); a browser, with or without a token, is refused."""

    async def get(self, *args, **kwargs):
        key = self.request.headers.get(KERNEL_KEY_HEADER, "")
        if not hmac.compare_digest(key.encode(), self.settings["postloan_kernel_key"].encode()):
            raise tornado.web.HTTPError(403)
        return await super().get(*args, **kwargs)


class DashboardServer(Voila):
    """Voila with the handlers above in place of its own."""

    postloan_options: ServeOptions | None = None
    postloan_access: acl.AccessFile | None = None
    kernel_key: str = ""

    def init_settings(self):
        settings = super().init_settings()
        if self.postloan_access is not None:
            self.identity_provider.access = self.postloan_access
        settings.update(postloan_max_kernels=self.postloan_options.max_kernels, postloan_kernel_key=self.kernel_key,
                        postloan_access=self.postloan_access, headers=HEADERS, log_function=log_request)
        return settings

    def init_handlers(self):
        from jupyter_server.auth.login import LoginFormHandler
        swap = {TornadoVoilaHandler: GuardedPage, RequestInfoSocketHandler: KernelQuerySocket}
        out = []
        for h in super().init_handlers():
            cls = h[1] if len(h) > 1 else None
            if isinstance(cls, type) and issubclass(cls, LoginFormHandler):
                out.append((h[0], SignInPage))
            else:
                out.append((h[0], swap.get(cls, cls), *h[2:]))
        return out


def serve(options: ServeOptions) -> int:
    """Run the server until SIGTERM or SIGINT; every kernel is shut down on the way out."""
    access = acl.load_access(options.access_file)
    check_port(options.ip, options.port)
    os.environ[OUTPUTS_ENV] = str(Path(options.outputs).resolve())
    kernel_key = secrets.token_urlsafe(32)
    os.environ[KERNEL_KEY_ENV] = kernel_key
    if options.access_file:
        os.environ[acl.ACCESS_ENV] = str(Path(options.access_file).resolve())
    else:
        os.environ.pop(acl.ACCESS_ENV, None)
    app = DashboardServer()
    if access is not None:
        app.identity_provider_class = AccessIdentityProvider
    app.postloan_options, app.postloan_access, app.kernel_key = options, access, kernel_key
    app.initialize([str(DASHBOARDS), "--no-browser", f"--port={options.port}", f"--Voila.ip={options.ip}",
                    "--Voila.port_retries=0", f"--preheat_kernel={options.preheat}",
                    "--show_tracebacks=False", "--strip_sources=True",
                    f"--MappingKernelManager.cull_idle_timeout={options.cull_idle}",
                    f"--MappingKernelManager.cull_interval={options.cull_interval}"])
    app.token = options.token if access is None else ""
    redact = Redact([options.token or ""])
    for logger in (logging.getLogger(), app.log, logging.getLogger("tornado.access"),
                   logging.getLogger("tornado.application"), logging.getLogger("tornado.general")):
        logger.addFilter(redact)
        for h in logger.handlers:
            h.addFilter(redact)

    def stop(signum, frame):
        app.log.info("收到信号 %s，正在停止仪表板服务并关闭全部内核", signal.Signals(signum).name)
        app.ioloop.add_callback_from_signal(app.ioloop.stop)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    app.start()            # returns when the loop stops; Voila.stop() then shuts every kernel down
    return 0


def main(argv: list[str] | None = None) -> int:      # python -m postloan.dashboards.server (tests, systemd)
    from postloan.cli import main as cli_main
    return cli_main(["serve", *(argv if argv is not None else sys.argv[1:])])


if __name__ == "__main__":
    sys.exit(main())
