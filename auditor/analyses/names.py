"""Known APIs, by fully qualified name, and small helpers over libcst expressions.

Names are resolved by libcst's `QualifiedNameProvider`, so `import time as t`, `from time import
perf_counter as now` and `from torch.cuda import synchronize as sync` all map to the names below.
"""

from __future__ import annotations

import re

import libcst as cst

from auditor.vocabulary import CUDA_EVENT_CLASSES as CUDA_EVENT_CLASSES
from auditor.vocabulary import HOST_TIMERS as HOST_TIMERS

#: Calls that block the host until queued device work has finished.
EXPLICIT_SYNCS: frozenset[str] = frozenset(
    {
        "torch.cuda.synchronize",
        "torch.cuda.current_stream.synchronize",
        "torch.accelerator.synchronize",
        "torch.xpu.synchronize",
        "torch.mps.synchronize",
        "torch.npu.synchronize",
        "torch.cuda.Stream.synchronize",
        "torch.cuda.Event.synchronize",
        "torch._dynamo.utils.synchronize",
        # other frameworks' waits, in scripts that time them beside PyTorch
        "tensorflow.test.experimental.sync_devices",
    }
)

#: Tensor methods that copy to the host and therefore wait for the device.
HOST_COPY_METHODS: frozenset[str] = frozenset({"cpu", "item", "numpy", "tolist"})

#: Method names that, called on any object, synchronise (events and streams).
SYNC_METHODS: frozenset[str] = frozenset({"synchronize"})


COMPILE_FUNCS: frozenset[str] = frozenset({"torch.compile"})
#: Libraries whose model objects return only when the device work is done: an ultralytics
#: predictor times each stage with a profiler that synchronises CUDA, and returns `Results`.
SELF_SYNCING_MODEL_LIBS: tuple[str, ...] = ("ultralytics.",)
#: Model classes that run an exported graph in another runtime (`ORTModelForCausalLM`,
#: `OVModelForCausalLM`): autograd does not apply to them, nor do torch's device semantics.
EXPORTED_RUNTIMES: tuple[str, ...] = ("optimum.onnxruntime", "optimum.intel")
#: TorchScript conversions: the model they return runs the same module's work.
SCRIPT_FUNCS: frozenset[str] = frozenset(
    {"torch.jit.trace", "torch.jit.script", "torch.jit.freeze", "torch.jit.optimize_for_inference"}
)

#: torch functions that queue no device work (or are about timing itself).
TORCH_NON_WORK_PREFIXES: tuple[str, ...] = (
    "torch.cuda.synchronize",
    "torch.cuda.is_available",
    "torch.cuda.Event",
    "torch.cuda.empty_cache",
    "torch.cuda.reset_peak_memory_stats",
    "torch.cuda.max_memory_allocated",
    "torch.cuda.memory_allocated",
    "torch.cuda.get_device_name",
    "torch.cuda.device_count",
    "torch.cuda.set_device",
    "torch.cuda.manual_seed",
    "torch.cuda.nvtx",
    "torch.cuda.current_stream",
    "torch.cuda.stream",
    "torch.cuda.Stream",
    "torch.accelerator",
    "torch.no_grad",
    "torch.inference_mode",
    "torch.enable_grad",
    "torch.set_grad_enabled",
    "torch.manual_seed",
    "torch.Generator",
    "torch.device",
    "torch.set_num_threads",
    "torch.set_float32_matmul_precision",
    "torch.backends",
    "torch.autocast",
    "torch.amp",
    "torch.cuda.amp",  # `torch.cuda.amp.autocast(...)`: a context, no work
    "torch.cuda.memory",
    "torch.cuda.get_rng_state",
    "torch.cuda.set_rng_state",
    "torch.cuda.memory_summary",
    "torch.cuda.reset_max_memory_allocated",
    "torch.cuda.ipc_collect",
    "torch.cuda.cudart",
    "torch.utils",
    "torch.compile",
    "torch._dynamo",
    "torch.profiler",
    "torch.float",
    "torch.dtype",
    "torch.is_tensor",
    "torch.load",
    "torch.save",
    # process-group queries (collectives such as all_reduce stay work)
    "torch.distributed.is_initialized",
    "torch.distributed.is_available",
    "torch.distributed.get_rank",
    "torch.distributed.get_world_size",
    "torch.distributed.get_backend",
    "torch.cuda.max_memory_reserved",
    "torch.cuda.memory_reserved",
    "torch.cuda.current_device",
    "torch.cuda.get_device_properties",
    "torch.cuda.get_device_capability",
)

#: Functions that load a model module at run time from a path or a name.
DYNAMIC_IMPORTS: frozenset[str] = frozenset(
    {
        "importlib.import_module",
        "importlib.util.module_from_spec",
        "builtins.__import__",
        "runpy.run_path",
        "runpy.run_module",
    }
)

#: Factory functions that, by convention, build a pipeline or model.
MODEL_FACTORY_NAMES: frozenset[str] = frozenset(
    {
        "load_model",
        "get_model",
        "build_model",
        "create_model",
        "make_model",
        "load_pipeline",
        "get_pipeline",
        "get_pipe",
        "load_pipe",
        "build_pipeline",
        "create_pipeline",
        "make_pipeline",
        "from_pretrained",
        "from_single_file",
        "from_config",
        "from_pipe",
    }
)

#: Parameter and loop-variable names that hold a model or pipeline by convention.
MODEL_NAME_RE = re.compile(
    r"^(pipe|pipeline|model|unet|transformer|vae|text_encoder|denoiser|llm|engine|net|runner"
    r"|[a-z0-9_]*_(pipe|pipeline|model|unet|transformer|llm|runner))$"
)

#: A function that builds a model (`load_model_and_tokenizer`, `build_pipeline`, `get_engine`).
MODEL_BUILDER_RE = re.compile(
    r"^_?(?:load|build|create|get|make|init)_?\w*?(?:model|pipe|pipeline|engine|llm|net)",
    re.IGNORECASE,
)

#: Type annotations that declare a parameter a model (`drafter: Module`, `model:
#: PreTrainedModel`, `pipe: DiffusionPipeline`), whatever the parameter is called; the class
#: must come from torch, transformers or diffusers (`MODEL_ANNOTATION_LIBS`).
MODEL_ANNOTATION_RE = re.compile(
    r"^(Module|PreTrainedModel|\w+For(CausalLM|ConditionalGeneration|Seq2SeqLM|Generation)"
    r"|\w+LMHeadModel|\w*DiffusionPipeline|\w+Pipeline|\w+Transformer\dDModel|UNet\dDConditionModel)$"
)
MODEL_ANNOTATION_LIBS = ("torch", "transformers", "diffusers")

#: Callables that log or print (`logger.info`, `logging.warning`, `print`): handed to a helper
#: that calls them, they run no device work.
LOGGING_CALLABLE_RE = re.compile(
    r"^(?:print|(?:[\w.]*\.)?(?:log|logger|logging|_logger|LOGGER|LOG)"
    r"\.(?:debug|info|warning|warn|error|critical|exception|log))$"
)

#: A callable parameter named as a logger (`logger`, `log_fn`, `print_fn`).
LOGGER_PARAM_RE = re.compile(r"^(?:log|logger|log_fn|log_func|logging_fn|print_fn|printer)$")

#: Tensor calls of microseconds: joining results already computed (`torch.cat(tokens)` after a
#: generation loop) and making small index tensors (`torch.tensor([pos], device=...)`). Work
#: of these kinds after a function's last synchronisation leaves it synchronised in effect.
LIGHT_TENSOR_FUNCS = frozenset(
    {
        "torch.cat",
        "torch.concat",
        "torch.concatenate",
        "torch.stack",
        "torch.hstack",
        "torch.vstack",
        "torch.tensor",
        "torch.Tensor",
        "torch.arange",
    }
)
#: In-place updates of a counter tensor (`input_pos.add_(1)`).
LIGHT_TENSOR_METHODS = frozenset({"add_", "sub_", "fill_", "zero_", "clamp_"})

#: `torch.nn.Linear(...)`, `torch.nn.Sequential(...)`: a module built in the script is a model.
MODULE_CONSTRUCTORS: tuple[str, ...] = ("torch.nn.",)
#: Of those, modules that score outputs rather than compute them (`nn.CrossEntropyLoss()`).
NOT_A_MODEL_MODULE_RE = re.compile(r"Loss$")
#: Base classes that make a project class a model: its instances run device work when called
#: (`class FTT5(nn.Module)`, then `ft_t5 = FTT5(...)`; `ft_t5(tokens)` is the timed model).
MODEL_BASE_PREFIXES: tuple[str, ...] = (
    "torch.nn.Module",
    "torch.nn.modules.module.Module",
    "transformers.PreTrainedModel",
    "transformers.modeling_utils.PreTrainedModel",
    "diffusers.DiffusionPipeline",
    "diffusers.ModelMixin",
)
#: Methods that load a model's weights from a checkpoint (`from_pretrained`, `from_single_file`).
#: Calls that show a number to the reader (printed, logged, written to a table or a
#: dashboard): where a stored time is reported, and whether each run's time is visible.
REPORT_CALLS = frozenset(
    {"print", "info", "log", "write", "debug", "warning", "add_scalar", "append_row"}
)
LOAD_METHODS = frozenset({"from_pretrained", "from_single_file"})
#: Methods that install CPU-offload hooks on a pipeline.
OFFLOAD_METHODS = frozenset({"enable_model_cpu_offload", "enable_sequential_cpu_offload"})
#: Model zoos whose functions return a ready model (`torchvision.models.resnet50(...)`).
MODEL_ZOOS: tuple[str, ...] = ("torchvision.models.", "timm.create_model", "open_clip.create_model")

#: Classes loaded with `from_pretrained` that are not models.
NOT_A_MODEL_RE = re.compile(
    r"(Tokenizer|Processor|FeatureExtractor|Scheduler|Config|Tokenizer[A-Za-z]*|Streamer"
    r"|StoppingCriteria|StoppingCriteriaList|LogitsProcessorList)$|^(tok|tokenizer)$"
)

#: Collections of prompts by name (plural nouns for one text each).
PROMPT_LIST_RE = re.compile(
    r"(^|_)(prompts|captions|texts|questions|sentences|queries|instructions|descriptions)$"
)
#: Collections of batches by name.
BATCH_LIST_RE = re.compile(r"(^|_)(batches|chunks|minibatches|prompt_batches)$")

#: Keyword names that carry the prompt (or input) of a pipeline or model call.
PROMPT_KWARGS: tuple[str, ...] = ("prompt", "prompts", "text", "input_ids", "inputs", "input")

#: Tokenizer-like callables whose result stays tied to the prompt they were given.
TOKENIZER_NAME_RE = re.compile(r"(tokenizer|processor|tok)$")

#: Methods of a model object that run inference, besides calling it and `generate`/`forward`.
INFERENCE_METHODS: frozenset[str] = frozenset(
    {
        "decode",
        "encode",
        "encode_prompt",
        "embed",
        "predict",
        "infer",
        "inference",
        "run_inference",
        "transcribe",
        "denoise",
        "sample",
        # chat models' own methods (`model.chat(tokenizer, query)`, fastllm `response_batch`)
        "chat",
        "stream_chat",
        "batch_chat",
        "response_batch",
        "stream_response",
        # speech synthesis (`tts.tts_to_file(text=..., file_path=...)`, `synthesizer.tts(text)`)
        "tts",
        "tts_to_file",
        "synthesize",
        "synthesise",
    }
)
#: Of those, methods that return decoded text (a chat reply, a transcript): the host waits for
#: the work.
TEXT_RETURNING_METHODS: frozenset[str] = frozenset(
    # (speech models' `transcribe` returns the transcript: Whisper's text and segments)
    {"chat", "stream_chat", "batch_chat", "response_batch", "stream_response", "transcribe"}
    # (speech synthesis returns the waveform as host arrays, or writes it to a file)
    | {"tts", "tts_to_file", "synthesize", "synthesise"}
)
#: Keywords that name a file a call writes its result to (`tts_to_file(text, file_path=...)`).
OUTPUT_PATH_KEYWORDS = frozenset(
    {"file_path", "output_path", "save_path", "output_file", "out_path", "output_filename"}
)
FEATURE_METHOD_RE = re.compile(r"^(get|encode)_[a-z_]*(features|embeds|embeddings)$")
#: Inference verbs with what they act on (`predictor.propagate_in_video(state)`,
#: `model.predict_batch(x)`, `detector.detect_objects(img)`, `vq_model.decode_code(ids)`): a
#: method of a model object.
INFERENCE_VERB_RE = re.compile(
    r"^(predict|infer|propagate|segment|detect|track|transcribe|denoise|classify|decode|encode"
    r"|sample)_[a-z_]+$"
)


#: Constructors of inference runtime sessions whose `run()` is the model's work and returns
#: when it has finished (outputs on the host, or bound buffers the run has synchronised).
RUNTIME_SESSIONS: frozenset[str] = frozenset(
    {
        "onnxruntime.InferenceSession",
        "onnxruntime.capi.onnxruntime_inference_collection.InferenceSession",
    }
)
#: The methods that run such a session.
SESSION_RUNS: frozenset[str] = frozenset({"run", "run_with_iobinding"})
#: Inference engines' model objects (`ctranslate2.Generator(path, device="cuda")`,
#: `llama_cpp.Llama(model_path=...)`), whatever the variable holding one is called: like a
#: runtime session, each of their run methods (`ENGINE_RUNS`) returns host results when done.
ENGINE_MODELS: frozenset[str] = frozenset(
    {
        "ctranslate2.Generator",
        "ctranslate2.Translator",
        "ctranslate2.Encoder",
        "ctranslate2.models.Whisper",
        "llama_cpp.Llama",
        "tensorrt_llm.LLM",
        "sglang.Engine",
    }
)
#: Class methods of an inference library that load a built engine (`ModelRunner.from_dir`).
ENGINE_LOADERS: frozenset[str] = frozenset({"from_dir", "from_engine"})
ENGINE_RUNS: frozenset[str] = frozenset(
    {
        "generate",
        "generate_batch",
        "generate_tokens",
        "generate_iterable",
        "translate_batch",
        "translate_iterable",
        "translate_file",
        "score_batch",
        "forward_batch",
        "create_completion",
        "create_chat_completion",
        "__call__",
    }
)


def is_inference_method(name: str) -> bool:
    return (
        name in INFERENCE_METHODS
        or bool(FEATURE_METHOD_RE.match(name))
        or bool(INFERENCE_VERB_RE.match(name))
    )


#: Callees that take a model's method without running it: they wrap, hook, compile or trace.
HANDS_ON_WITHOUT_RUNNING_RE = re.compile(
    r"partial|wrap|hook|register|patch|compile|trace|script|export|setattr|getattr|profile"
    r"|signature|getsource|isinstance|callable|print|log|^enable_|^disable_",
    re.IGNORECASE,
)

#: A subscript that reads generated text out of a model wrapper's result.
TEXT_OUTPUT_KEY = r"""\[\s*["'](generated_text|summary_text|translation_text)["']\s*\]"""
TEXT_OUTPUT_KEY_RE = re.compile(TEXT_OUTPUT_KEY)

#: Methods by which a model or runtime wrapper warms itself up.
WARMUP_METHODS: frozenset[str] = frozenset(
    {"warmup", "warm_up", "warmup_model", "compile_and_warmup"}
)

#: Attributes that say what a model is without running it (`next(model.parameters()).device`).
INSPECTING_ATTRIBUTES: frozenset[str] = frozenset(
    {
        "parameters",
        "named_parameters",
        "buffers",
        "named_buffers",
        "device",
        "dtype",
        "config",
        "state_dict",
        "modules",
        "named_modules",
        "num_parameters",
        "get_memory_footprint",
        "training",
    }
)

STEP_KWARG = "num_inference_steps"
#: Pipeline output types whose conversion forces a device-to-host copy.
HOST_OUTPUT_TYPES: frozenset[str] = frozenset({"pil", "np", "numpy"})


def lambda_call(node: cst.BaseExpression | None) -> cst.Call | None:
    """The one call a lambda makes (`lambda: evaluate(model, inp)`), if its body is a call."""
    if isinstance(node, cst.Lambda) and isinstance(node.body, cst.Call):
        return node.body
    return None


def dotted(node: cst.BaseExpression | None) -> str | None:
    """`a.b.c` for Name/Attribute chains, `a[]` for a subscripted base, else None."""
    if node is None:
        return None
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute):
        base = dotted(node.value)
        return f"{base}.{node.attr.value}" if base else None
    if isinstance(node, cst.Subscript):
        base = dotted(node.value)
        return f"{base}[]" if base else None
    return None


def call_name(call: cst.Call) -> str | None:
    """The last component of the called name: `pipe` for `pipe(...)`, `item` for `x.item()`."""
    func = call.func
    if isinstance(func, cst.Name):
        return func.value
    if isinstance(func, cst.Attribute):
        return func.attr.value
    return None


def receiver(call: cst.Call) -> cst.BaseExpression | None:
    """The object a method is called on: `x` in `x.item()`."""
    if isinstance(call.func, cst.Attribute):
        return call.func.value
    return None


def keyword(call: cst.Call, name: str) -> cst.Arg | None:
    for arg in call.args:
        if arg.keyword is not None and arg.keyword.value == name:
            return arg
    return None


def positional(call: cst.Call, index: int) -> cst.Arg | None:
    pos = [a for a in call.args if a.keyword is None and not a.star]
    return pos[index] if index < len(pos) else None


def string_value(node: cst.BaseExpression | None) -> str | None:
    if isinstance(node, cst.SimpleString):
        value = node.evaluated_value
        return value if isinstance(value, str) else None
    return None


def int_value(node: cst.BaseExpression | None) -> int | None:
    if isinstance(node, cst.Integer):
        return int(node.value.replace("_", ""), 0)
    return None


#: A pipeline's processors, whose `postprocess` turns model output into images or video.
PROCESSOR_RECEIVERS = ("image_processor", "video_processor")


def is_processor_postprocess(call: cst.Call) -> bool:
    """`pipe.image_processor.postprocess(...)` (or a video processor's)."""
    func = call.func
    return (
        isinstance(func, cst.Attribute)
        and func.attr.value == "postprocess"
        and (dotted(func.value) or "").endswith(PROCESSOR_RECEIVERS)
    )


def nodes_in(node: cst.CSTNode, into_lambdas: bool = False) -> list[cst.CSTNode]:
    """`node` and every node below it, in visiting order; a lambda's body only when asked."""
    found: list[cst.CSTNode] = []

    class _All(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            found.append(node)
            return into_lambdas or not isinstance(node, cst.Lambda)

    node.visit(_All())
    return found


def code(node: cst.CSTNode) -> str:
    return cst.Module(body=[]).code_for_node(node)


#: Executor methods that run a function handed to them (`pool.submit(generate, i)`).
EXECUTOR_METHODS = frozenset({"map", "submit", "starmap", "imap", "imap_unordered", "apply_async"})


def work_shown(call: cst.Call) -> cst.BaseExpression:
    """What a call runs, for a message: its function, or for a thread or process started on a
    function (`threading.Thread(target=send_request, ...)`), or an executor handed one
    (`executor.submit(generate_text)`), that function."""
    name = call_name(call)
    if name in ("Thread", "Process"):
        target = keyword(call, "target")
        if target is not None:
            return target.value
    if name in EXECUTOR_METHODS and call.args and isinstance(call.args[0].value, cst.Name):
        return call.args[0].value  # `executor.submit(generate_text)`
    return call.func


def short(text: str, width: int = 40) -> str:
    """`text` cut to `width` characters for a message, with an ellipsis when cut."""
    return text if len(text) <= width else text[: width - 3] + "..."


def name_nodes(node: cst.CSTNode) -> list[cst.Name]:
    """Every `Name` node anywhere in `node`, in source order."""
    out: list[cst.Name] = []

    class V(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            out.append(name)

    node.visit(V())
    return out


def names_in(node: cst.CSTNode) -> set[str]:
    """Every name read or written anywhere in `node`."""
    return {name.value for name in name_nodes(node)}


def contains(outer: cst.CSTNode, inner: cst.CSTNode) -> bool:
    """Whether `inner` (by identity) is `outer` or inside it."""
    found = False

    class V(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nonlocal found
            if node is inner:
                found = True
            return not found

    outer.visit(V())
    return found


def subscript_key(node: cst.Subscript) -> str | None:
    """The string key of `x["key"]` (one literal string index), else None."""
    if len(node.slice) != 1:
        return None
    index = node.slice[0].slice
    return string_value(index.value) if isinstance(index, cst.Index) else None
