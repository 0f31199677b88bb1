"""Serving-client benchmarks: the timed work is a request to an inference server.

A script that sends HTTP or OpenAI-compatible requests to a server (`requests.post(url)`,
`session.post` on an aiohttp, httpx or requests session, `client.chat.completions.create`) and
loads no model of its own is a client benchmark: each request is the work being timed. The
request returns host data (a response), so a host timer read after it is synchronised; what
can still go wrong is what goes wrong for any timed work: no warm-up request before the first
timed one (the server's first request pays for its graph capture, caches and connection set-up)
and one request or one burst as the whole measurement.

Recognised only where the file names a server (a local address, a port, `/v1/`, a
`/generate` route, a completions API) and loads no model itself, so a script that downloads an
image with `requests.get` before running its own pipeline is not a serving client.
"""

from __future__ import annotations

import re

import libcst as cst

from auditor.analyses import names as N

#: Module-level request functions.
REQUEST_FUNCS = frozenset(
    {
        "requests.post",
        "requests.get",
        "requests.request",
        "httpx.post",
        "httpx.get",
        "httpx.request",
        "urllib.request.urlopen",
    }
)
#: Request methods of a client or session object.
REQUEST_METHODS = frozenset({"post", "get", "request", "stream"})
#: Constructors of client or session objects.
CLIENT_CONSTRUCTORS = frozenset(
    {
        "requests.Session",
        "requests.session",
        "httpx.Client",
        "httpx.AsyncClient",
        "aiohttp.ClientSession",
        "openai.OpenAI",
        "openai.AsyncOpenAI",
        "openai.AzureOpenAI",
    }
)
#: OpenAI-compatible completion calls, by the end of their dotted name.
COMPLETION_SUFFIXES = (
    "chat.completions.create",
    "completions.create",
    "ChatCompletion.create",
    "Completion.create",
    "ChatCompletion.acreate",
    "Completion.acreate",
    "responses.create",
)
#: A server named in the file.
SERVER_RE = re.compile(
    r"localhost|127\.0\.0\.1|0\.0\.0\.0|/v1/|/v1\b|/generate\b|/api/generate|api_base|base_url"
    r"|:\d{4,5}\b"
    # an OpenAI-style request body (`{"messages": [...], "max_tokens": 256}`), its URL read from
    # a configuration file
    r"""|["'](?:max_tokens|messages)["']\s*:"""
)
#: The file loads or builds a model itself.
OWN_MODEL_RE = re.compile(
    r"\.from_pretrained\(|\.load_state_dict\(|\btorch\.load\(|\bLLM\(|\bpipeline\("
)


#: Loads that are not a model: a tokenizer (serving clients count tokens with one), a
#: processor, a configuration.
NOT_A_MODEL_LOAD_RE = re.compile(r"tokeni[sz]er|processor|config", re.I)


def is_serving_client(source: str) -> bool:
    if SERVER_RE.search(source) is None:
        return False
    return not any(
        OWN_MODEL_RE.search(line) and not NOT_A_MODEL_LOAD_RE.search(line)
        for line in source.splitlines()
    )


def request_target(
    func: cst.BaseExpression, qnames: frozenset[str], constructed: frozenset[str]
) -> str | None:
    """The request a call sends, as the dotted name it is called by (`requests.post`,
    `session.post`, `client.chat.completions.create`), or None. `constructed` holds the
    qualified names of the call that built the receiver, when it is a local name."""
    if qnames & REQUEST_FUNCS:
        return N.dotted(func) or sorted(qnames & REQUEST_FUNCS)[0]
    dotted = N.dotted(func) or ""
    if dotted.endswith(COMPLETION_SUFFIXES) and "." in dotted:
        return dotted
    if isinstance(func, cst.Attribute) and func.attr.value in REQUEST_METHODS:
        receiver = N.dotted(func.value) or ""
        if constructed & CLIENT_CONSTRUCTORS or CLIENT_NAME_RE.search(receiver):
            return dotted or None
    return None


#: A receiver named like a client or session (a parameter whose construction is elsewhere).
CLIENT_NAME_RE = re.compile(r"(?:^|[._])(?:session|sess|client|http_client|http)$", re.I)
