"""What each compared arm is configured with, and where two arms differ.

An arm's settings come from three places: how its model is built (the `from_pretrained` call,
through local factory functions with their parameters filled in, `torch.compile`, `.half()`,
`.to(dtype)`), what is done to the model object afterwards (`enable_xformers_...`,
`set_attn_processor`, `enable_model_cpu_offload`, patches that take it as an argument, attribute
assignments), and how it is called (`generator`, `height`/`width`, `guidance_scale`,
`output_type`, an enclosing `torch.autocast`, inputs drawn at random for each arm by the
function that times it). For arms timed one after the other in one
function, global switches set between them (TF32, `cudnn.benchmark`, matmul precision, a seed)
belong to the later arm.

Settings fall into *confounds*, which a speed comparison never means to vary (seed, resolution,
guidance, output type), and *treatments*, which can be the optimisation being measured (dtype,
attention backend, offload, global switches). A treatment difference is reported only when the
arms also differ in something else (another checkpoint, a compile, a patch): then the setting
rides along with the change under test instead of being it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import libcst as cst

from auditor.analyses import names as N
from auditor.analyses.arms import Arm, ArmsKind, Comparison, times_inside
from auditor.analyses.facts import Binding, CallSite, FileFacts, Pos, Scope

CALL_SETTINGS = ("height", "width", "guidance_scale", "output_type")
#: Keywords of `generate()` that set how many tokens an arm produces, in the order read: two
#: arms that generate different lengths do different amounts of work.
LENGTH_SETTINGS = ("max_new_tokens", "max_length", "min_new_tokens")
CONFOUNDS = frozenset(
    {
        "generator",
        "seed",
        "height",
        "width",
        "guidance_scale",
        "output_type",
        "grad_mode",
        "data",
        "length",
    }
)
DTYPE_METHODS = {"half": "float16", "bfloat16": "bfloat16", "float": "float32"}
ATTENTION_METHODS = frozenset(
    {
        "enable_xformers_memory_efficient_attention",
        "set_attn_processor",
        "set_default_attn_processor",
    }
)
NEUTRAL_METHODS = frozenset(
    {
        "to", "cuda", "eval", "set_progress_bar_config", "requires_grad_", "train", "cpu",
        # reading the model's parts changes nothing (`for m in model.modules(): ...`)
        "modules", "named_modules", "parameters", "named_parameters", "children",
        "named_children", "buffers", "named_buffers", "state_dict", "get_submodule",
    }
)  # fmt: skip
FLAG_PREFIXES = ("torch.backends.", "torch.set_float32_matmul_precision", "torch.manual_seed")
#: A setting's value when the call may set it where it cannot be read (`**kwargs`).
UNKNOWN = "?"
#: `from_pretrained` keywords that load quantized weights.
QUANTIZATION_KEYWORDS = frozenset({"quantization_config", "load_in_8bit", "load_in_4bit"})
#: Checkpoint names of pre-quantized weights (`TheBloke/Llama-2-7B-AWQ`,
#: `...-GPTQ-Int4`, `...-bnb-4bit`): their config carries the quantization, no keyword needed.
QUANTIZED_CHECKPOINT_RE = re.compile(
    r"(?<![a-z0-9])(?:awq|gptq|gguf|exl2|bnb|nf4|fp8|int4|int8|4bit|8bit|w4a16|w8a8|marlin)"
    r"(?![a-z0-9])",
    re.I,
)
DTYPE_ALIASES = {
    "torch.float16": "float16",
    "torch.half": "float16",
    "torch.bfloat16": "bfloat16",
    "torch.float32": "float32",
    "torch.float": "float32",
    '"float16"': "float16",
    '"fp16"': "float16",
    '"bfloat16"': "bfloat16",
    '"auto"': "auto",
}
LABELS = {
    "dtype": "dtype",
    "attn_implementation": "`attn_implementation`",
    "attention": "attention processor",
    "fused_layers": "attention implementation",
    "offload": "CPU offload",
    "generator": "`generator`",
    "seed": "seed",
    "height": "`height`",
    "width": "`width`",
    "guidance_scale": "`guidance_scale`",
    "output_type": "`output_type`",
    "grad_mode": "autograd mode",
    "data": "input data",
    "length": "generation length",
    "compile": "compilation",
}
#: Context managers and decorators that set the autograd mode of what runs inside them.
GRAD_MODES = {
    "torch.no_grad": "no_grad",
    "torch.inference_mode": "inference_mode",
    "torch.enable_grad": "grad enabled",
}
#: Draws of a random subset or order of a collection, with the global generator.
RANDOM_DRAWS = frozenset(
    {
        "random.sample",
        "random.choice",
        "random.choices",
        "random.shuffle",
        "numpy.random.choice",
        "numpy.random.permutation",
        "numpy.random.shuffle",
        "torch.randperm",
    }
)
#: Calls that seed the global generators (a draw after one in the same function repeats).
SEED_CALLS = frozenset(
    {
        "random.seed",
        "numpy.random.seed",
        "torch.manual_seed",
        "transformers.set_seed",
        "accelerate.utils.set_seed",
        "lightning.seed_everything",
        "pytorch_lightning.seed_everything",
    }
)
#: Converters that build an engine from a model, and the keywords that set its precision.
CONVERTER_PRECISION = {
    "fp16_mode": "float16",
    "int8_mode": "int8",
}


@dataclass(slots=True)
class Setting:
    value: str
    node: cst.CSTNode | None  # where it is set (None: left at the default)


@dataclass(slots=True)
class ArmConfig:
    settings: dict[str, Setting] = field(default_factory=dict)
    other: set[str] = field(default_factory=set)  # everything else that makes the arm differ
    build: cst.CSTNode | None = None  # the call that builds the arm's model
    call: cst.CSTNode | None = None  # the arm's timed call


@dataclass(frozen=True, slots=True)
class Deviation:
    key: str  # "dtype", "guidance_scale", "tf32", ...
    label: str
    first: str
    second: str
    node: cst.CSTNode  # where the second arm deviates
    treatment: bool
    arm: Arm  # the deviating arm


def deviations(facts: FileFacts, comp: Comparison) -> list[Deviation]:
    """How each later arm differs from the first, in settings that can move a speedup."""
    configs = [arm_config(facts, comp, arm) for arm in comp.arms]
    out: list[Deviation] = []
    base = configs[0]
    for arm, cfg in zip(comp.arms[1:], configs[1:], strict=True):
        for key, va, vb, b in _differing(base, cfg):
            node = (b.node if b and b.node is not None else None) or _level_node(key, cfg, arm)
            if node is None:
                continue
            label = LABELS.get(key, f"`{key}`")
            out.append(Deviation(key, label, va, vb, node, key not in CONFOUNDS, arm))
    return out


def _differing(base: ArmConfig, cfg: ArmConfig) -> list[tuple[str, str, str, Setting | None]]:
    """The settings in which `cfg` differs from `base` that count: (key, base's value, its
    value, its setting). A confound always counts; a treatment (dtype, attention, offload)
    only when the arms also differ in something else, riding along with the change under
    test."""
    mine, theirs = cfg.other, base.other
    if _quantized_by_name(cfg) or _quantized_by_name(base):
        # `Llama-3-8B` against `Llama-3-8B-AWQ`: the checkpoints differ by the quantization,
        # and the quantized artifact comes with the class that loads it (an ONNX Runtime
        # export, an AWQ model): both are the thing compared
        mine, theirs = _without_checkpoint(mine), _without_checkpoint(theirs)
    other_differs = mine != theirs
    # compiling rides along with another model only (a checkpoint, a class), not with another
    # change to the same model (`cache_implementation = "static"` + compile is one
    # optimisation, measured together)
    # (an arm whose model is not known, a compiled function of the model, is not another one)
    ids = _identity(cfg), _identity(base)
    other_model = bool(ids[0]) and bool(ids[1]) and ids[0] != ids[1]
    out: list[tuple[str, str, str, Setting | None]] = []
    for key in sorted(set(base.settings) | set(cfg.settings)):
        a, b = base.settings.get(key), cfg.settings.get(key)
        va, vb = (a.value if a else _default(key)), (b.value if b else _default(key))
        if UNKNOWN in (va, vb) or (key == "dtype" and _same_dtype(va, vb)):
            continue
        if key == "grad_mode" and (a is None or b is None):
            # one arm has no autograd to switch (another runtime, or a call whose mode its
            # caller sets): only the other arm running with autograd on is a difference
            if (a or b).value != "grad enabled":  # type: ignore[union-attr]
                continue
            va, vb = (va, vb) if a is not None else ("no autograd", vb)
            vb = vb if b is not None else "no autograd"
        if key == "data" and b is not None:
            va = "the earlier arm's draw" if a is not None else va
            out.append((key, va, vb, b))  # a draw per arm differs even from an equal draw
        elif va != vb and (
            key in CONFOUNDS or (other_model if key == "compile" else other_differs)
        ):
            out.append((key, va, vb, b))
    return out


#: A `device_map` that puts the whole model on one GPU: placement, as `.cuda()` is.
ONE_DEVICE_RE = re.compile(r"""^(?:["'](?:cuda(?::\d+)?)["']|\d+)$""")


def _one_device(keyword: str, text: str) -> bool:
    """`device_map="cuda"` or `device_map=0`: the model is placed, not split or offloaded."""
    return keyword == "device_map" and ONE_DEVICE_RE.match(text) is not None


def _quantized_by_name(cfg: ArmConfig) -> bool:
    """The arm's precision comes from its checkpoint's name (`...-AWQ`, `...-GPTQ-Int4`)."""
    dtype = cfg.settings.get("dtype")
    return dtype is not None and dtype.value.startswith("quantized (") and "=" not in dtype.value


def _without_checkpoint(other: set[str]) -> set[str]:
    return {o for o in other if not o.startswith(("checkpoint=", "class="))}


def _identity(cfg: ArmConfig) -> set[str]:
    """Which model an arm is: its checkpoint, class and builder."""
    return {o for o in cfg.other if o.startswith(("checkpoint=", "class=", "built by "))}


def _default(key: str) -> str:
    """What an arm that never sets `key` runs with."""
    if key == "dtype":
        return "float32, the default"
    if key == "compile":
        return "eager"
    if key == "fused_layers":
        return "the model's own attention and MLP modules"
    return "default"


def _level_node(key: str, cfg: ArmConfig, arm: Arm) -> cst.CSTNode | None:
    if key in CONFOUNDS:
        return cfg.call or arm.anchor
    return cfg.build or cfg.call or arm.anchor


def arm_config(facts: FileFacts, comp: Comparison, arm: Arm) -> ArmConfig:
    cfg = ArmConfig()
    before = arm.region.content_start if arm.region is not None else arm.pos
    model_subject = arm.subject is not None and (
        facts.callee(arm.scope, arm.subject, arm.pos) is None
    )
    passed = _passed_by_arm(facts, comp, arm)
    for call in arm.calls:
        _call_settings(facts, call, cfg, own_scope=call.scope is comp.scope)
        _length_settings(facts, call, cfg, passed, arm.anchor)
        model = _model_expr(call)
        if model is not None and not model_subject:
            _build(facts, call.scope, model, call.start, cfg, {}, before, 0)
    if model_subject and arm.subject is not None:
        _build(facts, arm.scope, arm.subject, arm.pos, cfg, {}, before, 0)
    if comp.kind is ArmsKind.CALLS and "grad_mode" not in cfg.settings:
        handed = _handed_grad_mode(facts, arm)
        if handed is not None:
            cfg.settings["grad_mode"] = handed
    if comp.kind is ArmsKind.SEQUENTIAL and arm.index > 0 and arm.region is not None:
        previous = comp.arms[arm.index - 1].region
        if previous is not None:
            _switches(facts, comp.scope, previous.content_end, arm.region.content_start, cfg)
    return cfg


def _passed_by_arm(facts: FileFacts, comp: Comparison, arm: Arm) -> dict[str, str]:
    """For an arm that is a call of a timing function (`bench(draft, 128)`), what it passes
    for each of the function's parameters, resolved where the call is (`{"new_tokens":
    "128"}`)."""
    node = arm.anchor
    if comp.kind is not ArmsKind.CALLS or not isinstance(node, cst.Call):
        return {}
    target = facts.callee(arm.scope, node.func, arm.pos)
    if target is None or target[0] is not facts:
        return {}
    out: dict[str, str] = {}
    for i, param in enumerate(target[1].params):
        arg = facts.argument(node, param, i)
        if arg is not None:
            out[param] = _value(facts, arm.scope, arg, arm.pos)
    return out


def _length_settings(
    facts: FileFacts, call: CallSite, cfg: ArmConfig, passed: dict[str, str], anchor: cst.CSTNode
) -> None:
    """The generation length a timed `generate()` asks for (`max_new_tokens`, else
    `max_length`, else `min_new_tokens`): a literal, a name resolved where the call is, or the
    value the arm's call of the timing function passes for a parameter (then the arm's call is
    where it is set)."""
    if N.call_name(call.node) != "generate":
        return
    args = call.node.args
    hidden = (  # the length may be in `**kwargs` or a `GenerationConfig`
        any(arg.star == "**" for arg in args)
        or N.keyword(call.node, "generation_config") is not None
        or sum(1 for arg in args if arg.keyword is None and not arg.star) > 1
    )
    if hidden and not any(N.keyword(call.node, key) for key in LENGTH_SETTINGS):
        cfg.settings["length"] = Setting(UNKNOWN, None)
        return
    for key in LENGTH_SETTINGS:
        arg = N.keyword(call.node, key)
        if arg is None:
            continue
        text = N.code(arg.value)
        value = passed.get(text) if text in call.scope.params else None
        node = anchor if value is not None else call.node
        if value is None:
            value = _value(facts, call.scope, arg.value, call.start)
        cfg.settings["length"] = Setting(f"{key}={value}", node)
        return


def _model_expr(call: CallSite) -> cst.BaseExpression | None:
    func = call.node.func
    if isinstance(func, cst.Attribute) and func.attr.value in ("generate", "forward", "__call__"):
        return func.value
    return func if isinstance(func, cst.Name | cst.Attribute) else None


def _call_settings(
    facts: FileFacts, call: CallSite, cfg: ArmConfig, own_scope: bool = False
) -> None:
    cfg.call = cfg.call or call.node
    node = call.node
    for key in CALL_SETTINGS:
        arg = N.keyword(node, key)
        if arg is not None:
            cfg.settings[key] = Setting(_value(facts, call.scope, arg.value, call.start), node)
    if N.keyword(node, "generator") is not None:
        cfg.settings["generator"] = Setting("a seeded generator", node)
    for arg in node.args:
        if arg.keyword is not None and arg.keyword.value not in (*CALL_SETTINGS, "generator"):
            cfg.other.add(f"{arg.keyword.value}={N.code(arg.value)}")
    if not own_scope:
        draw = _unseeded_draw(facts, call)
        if draw is not None:
            cfg.settings["data"] = Setting(f"its own unseeded `{N.code(draw)}`", draw)
    sensitive = _grad_sensitive(facts, call)
    own = True  # still inside the call's own function (autocast counts only there)
    for anc in facts.ancestors(node):
        own = own and anc is not call.scope.node
        if isinstance(anc, cst.With):
            for item in anc.items:
                if not isinstance(item.item, cst.Call):
                    continue
                if own and any("autocast" in q for q in facts.qnames_of(item.item.func)):
                    cfg.settings["dtype"] = Setting("autocast " + N.code(item.item), item)
    around = _mode_around(facts, node)
    if around is not None and sensitive:
        cfg.settings.setdefault("grad_mode", around)
    if "grad_mode" not in cfg.settings and own_scope and sensitive:
        # no mode around a call in the comparison's own code: autograd is on (a call in a
        # helper may be run under a mode its caller sets, so nothing is assumed there)
        cfg.settings["grad_mode"] = Setting("grad enabled", None)


def _mode_around(facts: FileFacts, node: cst.CSTNode) -> Setting | None:
    """The autograd mode set around `node`: the innermost `with torch.no_grad():` (or
    `inference_mode`, `enable_grad`) or a decorator of a function it is in."""
    for anc in facts.ancestors(node):
        if isinstance(anc, cst.With):
            for item in anc.items:
                if isinstance(item.item, cst.Call):
                    mode = _grad_mode(facts, item.item.func)
                    if mode is not None:
                        return Setting(mode, item)
        if isinstance(anc, cst.FunctionDef):
            for dec in anc.decorators:
                deco = dec.decorator
                mode = _grad_mode(facts, deco.func if isinstance(deco, cst.Call) else deco)
                if mode is not None:
                    return Setting(mode, dec)
    return None


def _handed_grad_mode(facts: FileFacts, arm: Arm) -> Setting | None:
    """For an arm that hands its model to a timing function of this file (`measure(model,
    x)`) which runs its forward: the autograd mode set around that forward or around the
    arm's call, else autograd on; None when the model has no autograd to switch (an ONNX
    Runtime export) or the function only runs `generate()`."""
    forwards = [c for c in arm.calls if N.call_name(c.node) != "generate"]
    subject = arm.subject
    if not forwards or not isinstance(subject, cst.Name | cst.Attribute):
        return None
    if not _grad_sensitive_model(facts, arm.scope, subject, arm.pos):
        return None
    return (
        _mode_around(facts, forwards[0].node)
        or _mode_around(facts, arm.anchor)
        or Setting("grad enabled", None)
    )


def _unseeded_draw(facts: FileFacts, call: CallSite) -> cst.Call | None:
    """A random draw from a collection (`random.sample(prompts, 8)`, `random.shuffle(xs)`)
    that feeds the timed call, made in the per-arm function that times it with the global
    generator and no seed set before it there: each arm is timed on its own inputs."""
    scope = call.scope
    used = N.names_in(call.node)
    for _ in range(3):  # what the call's arguments are computed from, loops included
        for b in scope.bindings:
            if b.target in used and b.start < call.start:
                if b.value is not None:
                    used |= N.names_in(b.value)
                if isinstance(b.loop, cst.For):
                    used |= N.names_in(b.loop.iter)
    draws = [
        c
        for c in scope.calls
        if c.start < call.start and c.qnames & RANDOM_DRAWS and _feeds(c, used)
    ]
    if not draws:
        return None
    draw = draws[-1]
    seeded = any(
        c.qnames & SEED_CALLS and c.start < draw.start and not c.loops for c in scope.calls
    )
    return None if seeded else draw.node


def _feeds(draw: CallSite, used: set[str]) -> bool:
    """The draw's result (or the collection it shuffles in place) is one of `used`."""
    if N.call_name(draw.node) == "shuffle":
        return bool(draw.node.args) and bool(N.names_in(draw.node.args[0].value) & used)
    return any(b.value is draw.node and b.target in used for b in draw.scope.bindings)


def _grad_mode(facts: FileFacts, func: cst.BaseExpression) -> str | None:
    """The autograd mode a context manager or decorator sets (`torch.no_grad`, ...)."""
    return next((GRAD_MODES[q] for q in sorted(facts.qnames_of(func)) if q in GRAD_MODES), None)


def _grad_sensitive(facts: FileFacts, call: CallSite) -> bool:
    """A forward of a torch module, whose cost depends on the autograd mode: not a diffusers
    pipeline or `generate()` (both run without gradients whatever surrounds them)."""
    if N.call_name(call.node) == "generate":
        return False
    func = call.node.func
    target = (
        func.value if isinstance(func, cst.Attribute) and func.attr.value == "forward" else func
    )
    if not isinstance(target, cst.Name | cst.Attribute):
        return False
    return _grad_sensitive_model(facts, call.scope, target, call.start)


def _grad_sensitive_model(
    facts: FileFacts, scope: Scope, target: cst.Name | cst.Attribute, pos: Pos
) -> bool:
    """The model `target` holds is a torch module whose forward records autograd."""
    info = facts.model_info(scope, target, pos)
    if info is None or info.pipeline or info.dynamic or info.session:
        return False
    if any(q.startswith(N.EXPORTED_RUNTIMES) for q in info.origin):
        return False  # an ONNX Runtime or OpenVINO export: no autograd to switch off
    loaded = any(q.startswith("transformers.") for q in info.origin)  # a torch module
    # a forward of a transformers model counts (its `generate()` does not, above); another
    # generating engine (`llm = LLM(...)`) is no torch module
    return loaded or not info.generator


def _value(facts: FileFacts, scope: Scope, expr: cst.BaseExpression, pos: Pos) -> str:
    value, _, _ = facts.resolve(scope, expr, pos)
    return N.code(value)


def _dtype(text: str) -> str:
    return DTYPE_ALIASES.get(text, text)


def _build(
    facts: FileFacts,
    scope: Scope,
    expr: cst.BaseExpression,
    pos: Pos,
    cfg: ArmConfig,
    subst: dict[str, str],
    before: Pos,
    depth: int,
) -> None:
    """Follow the model expression back to the call that built it, collecting settings."""
    if depth > 8:
        return
    if isinstance(expr, cst.Name | cst.Attribute):
        key = N.dotted(expr) or ""
        b = facts.binding_before(scope, key, pos)
        if b is None:
            return
        _afterwards(facts, b.scope, key, b.end, before, cfg)
        if b.kind in ("assign", "with") and b.value is not None:
            _build(facts, b.scope, b.value, b.start, cfg, subst, before, depth + 1)
        elif b.kind in ("for", "comp"):
            values = facts.loop_values(b) or []
            if len(values) == 1:
                elem, escope, epos = values[0]
                _build(facts, escope, elem, epos, cfg, subst, before, depth + 1)
        return
    if not isinstance(expr, cst.Call):
        return
    name = N.call_name(expr) or ""
    func = expr.func
    if facts.qnames_of(func) & N.COMPILE_FUNCS and expr.args:
        _compiled(cfg, expr)
        _build(facts, scope, expr.args[0].value, pos, cfg, subst, before, depth + 1)
        return
    if isinstance(func, cst.Attribute) and name in (*DTYPE_METHODS, "to", "cuda", "eval"):
        if name in DTYPE_METHODS:
            cfg.settings["dtype"] = Setting(DTYPE_METHODS[name], expr)
        elif name == "to":
            for arg in expr.args:
                text = _dtype(N.code(arg.value))
                if (arg.keyword and arg.keyword.value == "dtype") or text in DTYPE_ALIASES.values():
                    cfg.settings["dtype"] = Setting(text, expr)
        _build(facts, scope, func.value, pos, cfg, subst, before, depth + 1)
        return
    if name in ("from_pretrained", "from_single_file", "from_config"):
        cfg.build = cfg.build or expr
        for i, arg in enumerate(expr.args):
            text = subst.get(N.code(arg.value), N.code(arg.value))
            if arg.keyword is None and i == 0:
                literal, _, _ = facts.resolve(scope, arg.value, pos)
                checkpoint = N.string_value(literal)
                if checkpoint is not None and text not in subst:
                    text = N.code(literal)  # a name bound to the checkpoint's string
                if checkpoint is not None and QUANTIZED_CHECKPOINT_RE.search(checkpoint):
                    # `org/Llama-3-8B-AWQ`: the checkpoint's config brings its quantization
                    cfg.settings["dtype"] = Setting(f"quantized ({checkpoint})", expr)
                cfg.other.add("checkpoint=" + text)
            elif arg.keyword is not None and arg.keyword.value == "torch_dtype":
                if not cfg.settings.get("dtype", Setting("", expr)).value.startswith("quantized"):
                    cfg.settings.setdefault("dtype", Setting(_dtype(text), expr))
            elif arg.keyword is not None and arg.keyword.value in QUANTIZATION_KEYWORDS:
                # the weights' precision is the quantization (the change under test when it
                # is the only difference), whatever `torch_dtype` the computation runs in
                cfg.settings["dtype"] = Setting(f"quantized ({arg.keyword.value}={text})", expr)
            elif arg.keyword is not None and arg.keyword.value == "attn_implementation":
                cfg.settings["attn_implementation"] = Setting(text, expr)
            elif arg.keyword is not None and not _one_device(arg.keyword.value, text):
                cfg.other.add(f"{arg.keyword.value}={text}")
        cfg.settings.setdefault("dtype", Setting(_default_dtype(facts, func), expr))
        cfg.other.add("class=" + N.code(func))
        return
    target = facts.callee(scope, func, pos)
    if target is not None and target[0] is facts:
        fn = target[1]
        inner = dict(subst)
        for i, param in enumerate(fn.params):
            arg_expr = facts.argument(expr, param, i)
            if arg_expr is not None:
                inner[param] = subst.get(N.code(arg_expr), N.code(arg_expr))
        for ret in fn.returns:
            if ret.value is not None:
                _build(facts, fn, ret.value, facts.pos(ret)[0], cfg, inner, (10**9, 0), depth + 1)
        return
    qnames = facts.qnames_of(func)
    for (prefix, method), defaults in BUILD_DEFAULTS.items():
        if name == method and any(q.startswith(prefix) for q in qnames):
            for keyword, off, key, value in defaults:
                given = N.keyword(expr, keyword)
                if given is None or N.code(given.value) != off:
                    cfg.settings[key] = Setting(value, expr)
    for key, dtype in CONVERTER_PRECISION.items():  # `torch2trt(model, x, fp16_mode=True)`
        flag = N.keyword(expr, key)
        if flag is not None and N.code(flag.value) == "True":
            cfg.settings["dtype"] = Setting(dtype, expr)
    cfg.other.add("built by " + N.code(func))


def _compiled(cfg: ArmConfig, where: cst.CSTNode | None) -> None:
    """The arm's model (or a component of it) is compiled, at `where`."""
    cfg.other.add("compiled")
    cfg.settings["compile"] = Setting("`torch.compile`", where)


def _default_dtype(facts: FileFacts, func: cst.BaseExpression) -> str:
    """The dtype a `Cls.from_pretrained(...)` without `torch_dtype` loads: float32 for the
    libraries, or the default of the `torch_dtype` parameter of a project class's own
    `from_pretrained` (`def from_pretrained(path, torch_dtype=torch.float16)`)."""
    if isinstance(func, cst.Attribute):
        owner = facts.class_named(func.value)
        method = owner[1].methods.get(func.attr.value) if owner is not None else None
        if method is not None and isinstance(method.node, cst.FunctionDef):
            for param in method.node.params.params:
                if param.name.value == "torch_dtype" and param.default is not None:
                    return _dtype(N.code(param.default))
    return "float32"


def _afterwards(
    facts: FileFacts, scope: Scope, name: str, after: Pos, before: Pos, cfg: ArmConfig
) -> None:
    """What is done to the model object after it is built and before it is timed."""
    for c in scope.calls:
        if not (after <= c.start and c.end <= before):
            continue
        func = c.node.func
        method = N.call_name(c.node) or ""
        if isinstance(func, cst.Attribute) and N.dotted(func.value) == name:
            if method in N.OFFLOAD_METHODS:
                cfg.settings["offload"] = Setting(method, c.node)
            elif method in ATTENTION_METHODS:
                cfg.settings["attention"] = Setting(method, c.node)
            elif method in DTYPE_METHODS:
                cfg.settings["dtype"] = Setting(DTYPE_METHODS[method], c.node)
            elif method not in NEUTRAL_METHODS:
                cfg.other.add(f"{method}()")
        elif (
            any(N.dotted(a.value) == name for a in c.node.args)
            and method not in ("print", "len", "isinstance")
            and not c.qnames & N.COMPILE_FUNCS  # returns a compiled module; this one is unchanged
            and not times_inside(facts, c)  # another arm's measurement, not a change to it
        ):
            cfg.other.add(f"{N.code(func)}({name})")
    for b in scope.bindings:
        if b.target.startswith(name + ".") and after <= b.start and b.end <= before:
            if isinstance(b.value, cst.Call) and facts.qnames_of(b.value.func) & N.COMPILE_FUNCS:
                _compiled(cfg, facts.binding_node(b))  # `pipe.unet = torch.compile(pipe.unet)`
            else:
                # (a scheduler swapped in is part of the change under test: LCM, Turbo, DPM++)
                cfg.other.add(f"{b.target} = ...")


def _switches(facts: FileFacts, scope: Scope, after: Pos, before: Pos, cfg: ArmConfig) -> None:
    """Global switches flipped between two arms timed one after the other; not one set the
    same way before the earlier arm too (`generator = torch.manual_seed(42)` before each)."""
    earlier_sets = {
        (b.target, N.code(b.value)) for b in scope.bindings if b.end <= after and b.value
    }
    earlier_calls = {N.code(c.node) for c in scope.calls if c.end <= after}
    for b in scope.bindings:
        if after <= b.start and b.end <= before and b.target.startswith("torch.backends."):
            value = N.code(b.value) if b.value is not None else "?"
            if (b.target, value) in earlier_sets:
                continue
            key = b.target.removeprefix("torch.backends.")
            cfg.settings[key] = Setting(value, facts.binding_node(b))
    for c in scope.calls:
        if (
            after <= c.start
            and c.end <= before
            and any(q.startswith(FLAG_PREFIXES) for q in c.qnames)
            and N.code(c.node) not in earlier_calls
        ):
            key = "seed" if "seed" in (N.call_name(c.node) or "") else N.code(c.node.func)
            cfg.settings[key] = Setting(N.code(c.node), c.node)


# ------------------------------------------------------------ arms chosen by an option
#: Settings a factory may switch on for some arms only, with words that say an option is
#: about that setting (then switching it is the comparison, not a confound).
BRANCH_SETTINGS: dict[str, tuple[frozenset[str], str, str]] = {
    # key: (methods, label, words of an option that is about it)
    "offload": (N.OFFLOAD_METHODS, "CPU offload", "offload"),
    "attention": (ATTENTION_METHODS, "the attention processor", "attn|attention|xformers|sdpa"),
}


@dataclass(frozen=True, slots=True)
class SelectedDeviation:
    """Arms chosen by a command-line option (one run measures one arm; runs are compared),
    whose factory applies a setting for some of the option's values only."""

    option: str  # "--precision"
    values: tuple[str, ...]  # every choice
    chosen: tuple[str, ...]  # the choices that get the setting
    key: str  # "offload"
    label: str  # "CPU offload"
    method: str  # "enable_model_cpu_offload"
    factory: str  # "get_pipeline"
    where: str  # "utils.py:109" or "line 109"
    build: cst.Call  # the factory call in this file: where it is reported


def selected_arm_deviations(facts: FileFacts, timed: list[CallSite]) -> list[SelectedDeviation]:
    """For each timed model call whose model comes from a factory call fed a command-line
    option with choices (`get_pipeline(precision=args.precision)`), the settings the factory
    applies under a test of that option for some choices only (`if precision == "bf16":
    pipe.enable_model_cpu_offload()`)."""
    if not facts.argparse_choices:
        return []
    out: list[SelectedDeviation] = []
    seen: set[int] = set()
    for call in timed:
        model = _model_expr(call)
        if model is None:
            continue
        key = N.dotted(model) or ""
        b = facts.binding_before(call.scope, key.split(".")[0], call.start)
        if b is None or b.kind != "assign" or not isinstance(b.value, cst.Call):
            continue
        build = b.value
        if id(build) in seen:
            continue
        seen.add(id(build))
        target = facts.callee(b.scope, build.func, b.start)
        if target is None:
            continue
        owner, fn = target
        for i, param in enumerate(fn.params):
            arg = facts.argument(build, param, i)
            if not isinstance(arg, cst.Attribute):
                continue
            dest = arg.attr.value
            values = facts.argparse_choices.get(dest)
            if not values or len(values) < 2:
                continue
            if not facts.is_cli_args(b.scope, arg.value, b.start):
                continue
            out += _branch_settings(facts, owner, fn, param, dest, values, build)
    return out


def _branch_settings(
    facts: FileFacts,
    owner: FileFacts,
    fn: Scope,
    param: str,
    dest: str,
    values: tuple[str, ...],
    build: cst.Call,
) -> list[SelectedDeviation]:
    out: list[SelectedDeviation] = []
    option = facts.argparse_options.get(dest, dest)
    for c in fn.calls:
        method = N.call_name(c.node) or ""
        for setting, (methods, label, words) in BRANCH_SETTINGS.items():
            if method not in methods or re.search(words, dest, re.I):
                continue
            chosen = _chosen_by(owner, c.node, fn, param, values)
            if chosen is None or not 0 < len(chosen) < len(values):
                continue
            line = c.start[0]
            where = facts.line_ref(owner, line)
            out.append(
                SelectedDeviation(
                    option, values, chosen, setting, label, method, fn.name, where, build
                )
            )
    return out


def _chosen_by(
    owner: FileFacts, node: cst.CSTNode, fn: Scope, param: str, values: tuple[str, ...]
) -> tuple[str, ...] | None:
    """The option values for which `node` runs, from the `if` tests of `param` around it
    (`==`, `!=`, `in`, `not in` a literal); None when no test of `param` encloses it."""
    allowed = set(values)
    tested = False
    child: cst.CSTNode = node
    for anc in owner.ancestors(node):
        if anc is fn.node:
            break
        if isinstance(anc, cst.If):
            matched = _test_values(anc.test, param, values)
            if matched is not None:
                tested = True
                in_body = child is anc.body
                allowed &= matched if in_body else set(values) - matched
        child = anc
    if not tested:
        return None
    return tuple(v for v in values if v in allowed)


def _test_values(test: cst.BaseExpression, param: str, values: tuple[str, ...]) -> set[str] | None:
    """The values of `param` for which `test` holds, for a comparison of `param` with string
    literals; None for any other test."""
    if not isinstance(test, cst.Comparison) or len(test.comparisons) != 1:
        return None
    if N.code(test.left) != param:
        return None
    comp = test.comparisons[0]
    right = comp.comparator
    if isinstance(right, cst.List | cst.Tuple | cst.Set):
        literals = {N.string_value(e.value) for e in right.elements}
    else:
        literals = {N.string_value(right)}
    if None in literals:
        return None
    named = {v for v in literals if v is not None}
    if isinstance(comp.operator, cst.Equal | cst.In):
        return named & set(values)
    if isinstance(comp.operator, cst.NotEqual | cst.NotIn):
        return set(values) - named
    return None


# ------------------------------------------------- arms built on branches of an option
#: Settings a library's model constructor applies unless told otherwise: (qualified name
#: prefix, method) -> [(keyword that turns it off, its off value, key, value)].
BUILD_DEFAULTS: dict[tuple[str, str], tuple[tuple[str, str, str, str], ...]] = {
    # AutoAWQ swaps attention, MLP and norms for its fused modules, with their own KV cache
    ("awq.", "from_quantized"): (
        (
            "fuse_layers",
            "False",
            "fused_layers",
            "AutoAWQ's fused attention/MLP/norm modules with their own KV cache "
            "(`fuse_layers=True`, the default of `from_quantized`)",
        ),
    ),
}


@dataclass(frozen=True, slots=True)
class BranchDeviation:
    """Arms chosen by a command-line option or environment variable, one per run: the timed
    model is built on one branch of an `if` on that option or another, and the builds differ in
    a setting besides the change under test."""

    option: str  # "`--pretrained`", "the environment variable `USE_TRT`"
    key: str
    label: str
    first: str  # the other branch's value
    second: str  # the value at `node`
    node: cst.CSTNode  # the build (or setting) that deviates
    other_line: int  # the other branch's build


def branch_arm_deviations(facts: FileFacts, timed: list[CallSite]) -> list[BranchDeviation]:
    """For each timed model, followed back through the parameters it is passed as (to the
    first caller), the assignments of it on the two branches of one `if` whose test reads a
    command-line option or an environment variable (`if args.pretrained: model = ... else:
    model = ...`; with no assignment on the other branch, the one the `if` falls through
    with). Their builds are compared like the arms of one comparison."""
    out: list[BranchDeviation] = []
    seen: set[int] = set()
    for call in timed:
        model = _model_expr(call)
        if model is None:
            continue
        found = _binding_scope(facts, call.scope, N.dotted(model) or "", call.start, 0)
        if found is None:
            continue
        scope, name, pos = found
        pair = _branch_bindings(facts, scope, name, pos)
        if pair is None or id(pair[2]) in seen:
            continue
        (first, second, test) = pair
        seen.add(id(test))
        option = _option_of(facts, scope, test, facts.pos(test)[0][0], 0)
        if option is None:
            continue
        configs = []
        for b in (first, second):
            cfg = ArmConfig()
            _build(facts, b.scope, cst.Name(name), b.end, cfg, {}, pos, 0)
            configs.append(cfg)
        if not all(c.other or c.settings for c in configs):
            continue  # a side whose build is not known
        for i, b in enumerate((first, second)):
            other_cfg = configs[1 - i]
            if b.value is not None and name in N.names_in(b.value):
                # a transform of the model the `if` falls through with (`net = torch2trt(net,
                # ..., fp16_mode=True)`, `model = compile_model(model)`): what it does not set
                # itself, it inherits
                for key, inherited in other_cfg.settings.items():
                    configs[i].settings.setdefault(key, inherited)
                configs[i].other |= other_cfg.other  # and how the model was built
        for key, va, vb, setting in _differing(configs[0], configs[1]):
            node = setting.node if setting is not None and setting.node is not None else None
            other = first
            if node is None:  # the first branch sets it; the second runs the default
                va, vb = vb, va
                back = configs[0].settings.get(key)
                node = back.node if back is not None else None
                other = second
            if node is None:
                continue
            if key == "dtype" and (
                not _explicit_dtypes(va, vb) or any(map(_quantized_loader, configs))
            ):
                continue
            out.append(
                BranchDeviation(
                    option, key, LABELS.get(key, f"`{key}`"), va, vb, node, other.start[0]
                )
            )
    return out


def _same_dtype(a: str, b: str) -> bool:
    """`float32` (a build's own) and `float32, the default` (an arm that sets none) are one
    dtype."""
    return a.split(",")[0] == b.split(",")[0]


def _explicit_dtypes(a: str, b: str) -> bool:
    """Both dtypes are known (a literal, or the float32 a build without one loads) and not
    both the default: an unresolved name (`torch_dtype`) says nothing about the difference."""
    default = _default("dtype")
    known = set(DTYPE_ALIASES.values()) | {"float32", "int8", default}
    return a in known and b in known and (a, b) != (default, default)


#: Loaders of quantized checkpoints, whose weights come in their own dtype.
QUANTIZED_LOADER_RE = re.compile(r"quant|awq|gptq|gguf|bnb|bitsandbytes|int[48]", re.I)


def _quantized_loader(cfg: ArmConfig) -> bool:
    """The arm's model comes from a quantized checkpoint's loader (`from_quantized`): its
    dtype is the quantization, not a `torch_dtype` left at float32."""
    return any(o.startswith("built by ") and QUANTIZED_LOADER_RE.search(o) for o in cfg.other)


def _binding_scope(
    facts: FileFacts, scope: Scope, name: str, pos: Pos, depth: int
) -> tuple[Scope, str, Pos] | None:
    """Where the model `name` is assigned: this scope, or (a parameter) the first caller's."""
    root = name.split(".")[0]
    if not root or depth > 3:
        return None
    if any(b.kind == "assign" for b in scope.bindings_of(root)):
        return scope, root, pos
    passed = facts.first_call_argument(scope, root)
    if passed is None:
        return None
    site, arg = passed
    if not isinstance(arg, cst.Name):
        return None
    return _binding_scope(facts, site.scope, arg.value, site.start, depth + 1)


def _branch_bindings(
    facts: FileFacts, scope: Scope, name: str, pos: Pos
) -> tuple[Binding, Binding, cst.BaseExpression] | None:
    """Two assignments of `name` before `pos` on the two sides of one `if`: one in its body,
    the other in its `else` (or `elif`) or, when that side assigns nothing, the assignment
    the `if` falls through with; and the `if`'s test."""
    own = [b for b in scope.bindings_of(name) if b.kind == "assign" and b.end <= pos]
    for b in own:
        if b.value is None:
            continue
        child: cst.CSTNode = b.value
        for anc in facts.ancestors(b.value):
            if anc is scope.node:
                break
            if isinstance(anc, cst.If) and child is anc.body:
                side = anc.orelse
                others = [
                    o
                    for o in own
                    if side is not None and o.value is not None and facts.encloses(side, o.value)
                ]
                if not others:
                    start = facts.pos(anc)[0]
                    others = [o for o in own if o.end <= start][-1:]
                if others:
                    # each side's last assignment is the model it runs (`new_model = model`,
                    # then `new_model = torch.compile(new_model)`)
                    body = anc.body
                    mine = [o for o in own if o.value is not None and facts.encloses(body, o.value)]
                    return mine[-1], others[-1], anc.test
            child = anc
    return None


#: Reads of the environment: `os.environ.get("X")`, `os.getenv("X")`.
ENV_READS = frozenset({"os.environ.get", "os.getenv"})


def _option_of(
    facts: FileFacts, scope: Scope, test: cst.BaseExpression, line: int, depth: int
) -> str | None:
    """The command-line option (`--pretrained`) or environment variable a test reads,
    through `not`, comparisons, local names and parameters (to the first caller)."""
    if depth > 4:
        return None
    pos = (line, 0)
    if isinstance(test, cst.UnaryOperation) and isinstance(test.operator, cst.Not):
        return _option_of(facts, scope, test.expression, line, depth + 1)
    if isinstance(test, cst.Comparison) and len(test.comparisons) == 1:
        return _option_of(facts, scope, test.left, line, depth + 1)
    if isinstance(test, cst.Call) and facts.qnames_of(test.func) & ENV_READS and test.args:
        key = N.string_value(test.args[0].value)
        return f"the environment variable `{key}`" if key else None
    if isinstance(test, cst.Subscript) and N.dotted(test.value) == "os.environ":
        sub = test.slice[0].slice if test.slice else None
        key = N.string_value(sub.value) if isinstance(sub, cst.Index) else None
        return f"the environment variable `{key}`" if key else None
    if isinstance(test, cst.Attribute) and facts.is_cli_args(scope, test.value, pos):
        dest = test.attr.value
        if dest in facts.argparse_defaults:
            return "`" + facts.argparse_options.get(dest, "--" + dest.replace("_", "-")) + "`"
        return None
    if isinstance(test, cst.Name):
        b = facts.binding_before(scope, test.value, pos)
        if b is not None and b.kind == "assign" and b.value is not None:
            return _option_of(facts, b.scope, b.value, b.start[0], depth + 1)
        passed = facts.first_call_argument(scope, test.value)
        if passed is not None:
            site, arg = passed
            return _option_of(facts, site.scope, arg, site.start[0], depth + 1)
    return None


# ---------------------------------------------------------------- arms across scripts
@dataclass(frozen=True, slots=True)
class ScriptDeviation:
    """Two scripts that pass differently built models of one checkpoint to this file's
    timing function: each script is an arm, and they differ in `label`."""

    key: str
    label: str
    first: str  # the first script's value
    second: str
    first_where: str  # "sd-baseline.py:18"
    second_where: str
    call: cst.Call  # the timed call in this file, where it is reported


def _checkpoints(cfg: ArmConfig) -> set[str]:
    return {o for o in cfg.other if o.startswith("checkpoint=")}


def script_arm_deviations(facts: FileFacts, timed: list[CallSite]) -> list[ScriptDeviation]:
    """A timing function of this file whose timed model is a parameter, called from two or
    more importing scripts with models of the same checkpoint built differently (one script
    per arm: `sd-baseline.py` and `sd-parallel.py` both call `benchmark(pipe, ...)`). The
    scripts are compared like arms of one comparison: a confound always counts, a treatment
    (dtype, attention, offload) when the scripts' models also differ in something else."""
    out: list[ScriptDeviation] = []
    seen: set[tuple[int, str]] = set()
    for call in timed:
        scope = call.scope
        model = _model_expr(call)
        if isinstance(scope.node, cst.Module) or not isinstance(model, cst.Name):
            continue
        if model.value not in scope.params or (id(scope), model.value) in seen:
            continue
        seen.add((id(scope), model.value))
        index = scope.params.index(model.value)
        arms: list[tuple[str, ArmConfig]] = []
        users: set[int] = set()
        for user, site in facts.calls_from_importers(scope.name):
            arg = user.argument(site.node, model.value, index)
            if arg is None or id(user) in users:
                continue
            users.add(id(user))
            cfg = ArmConfig()
            _build(user, site.scope, arg, site.start, cfg, {}, site.start, 0)
            if cfg.build is not None:
                arms.append((facts.where(user, site.start[0]), cfg))
        if len(arms) < 2:
            continue
        (first_where, base), rest = arms[0], arms[1:]
        checkpoint = _checkpoints(base)
        for where, cfg in rest:
            if not checkpoint or checkpoint != _checkpoints(cfg):
                continue
            for key, va, vb, _ in _differing(base, cfg):
                label = LABELS.get(key, f"`{key}`")
                out.append(ScriptDeviation(key, label, va, vb, first_where, where, call.node))
    return out
