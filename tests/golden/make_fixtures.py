#!/usr/bin/env python3
"""Makes nabla's golden fixtures: PyTorch's outputs and gradients for every op in src/ops/ops.def.

For each case this script builds fixed inputs (seeded by the case's name, so adding a case never changes
another), runs the op in PyTorch, and computes the gradient of sum(output * upstream) with respect to each
differentiable input, where `upstream` is a fixed formula of the flat index (upstream_like). It writes two
files next to itself:

  fixtures.safetensors  every tensor, named "<case>.i0", "<case>.o0", "<case>.g0", … (inputs, outputs,
                        gradients; <case> is the case's position in cases.json; written by hand below:
                        no safetensors package needed)
  cases.json            one entry per case: name, op, covers (the ops of ops.def it exercises, when not
                        just op), args, the
                        number of inputs and outputs, which inputs require grad and which gradients and
                        upstreams exist (flags left out when implied: see Fixtures.add), which inputs the op sees transposed, the tolerance [atol, rtol],
                        a note on the PyTorch rule it pins down, and for calls PyTorch refuses, its error

The cases of the first 46 ops are below; those of the full op set (and the public functions built on it)
are in full_op_set.py. tests/golden/test_golden.cpp replays every case through nabla's public API. Both
files are committed, so building and testing nabla never needs Python; rerun this script only when cases
change (torch 2.x, CPU):

  /root/torchenv/bin/python tests/golden/make_fixtures.py

The op names and their args mirror the `ops` table in test_golden.cpp; keep the two in step. The script
checks that every op of ops.def is covered and that every call meant to raise does raise in PyTorch.
"""
import json
import math
import operator
import os
import struct
import sys
import zlib

import torch
import torch.nn.functional as F

import full_op_set
import recurrent_cases

HERE = os.path.dirname(os.path.abspath(__file__))
F64, F32, BF16, F16 = torch.float64, torch.float32, torch.bfloat16, torch.float16
I64, I32, U8, BOOL = torch.int64, torch.int32, torch.uint8, torch.bool
FLOATS = [(F64, "f64"), (F32, "f32")]

# nabla's dtype names (PyTorch's spelling) and the safetensors names.
DTYPE_NAMES = {F32: "float32", F64: "float64", BF16: "bfloat16", F16: "float16",
               I64: "int64", I32: "int32", U8: "uint8", BOOL: "bool"}
SAFETENSORS_NAMES = {F32: "F32", F64: "F64", BF16: "BF16", F16: "F16", I64: "I64", I32: "I32", U8: "U8", BOOL: "BOOL"}

# (atol, rtol) for the least precise floating dtype a case touches; integers and bools compare exactly.
# float64 leaves room for a different summation order or libm; bf16/f16 for one or two rounding steps.
TOLERANCES = {F64: (1e-12, 1e-10), F32: (1e-6, 1e-5), F16: (1e-3, 2e-3), BF16: (1e-2, 1.6e-2)}
PRECISION_ORDER = [BF16, F16, F32, F64]

INF, NAN = float("inf"), float("nan")


def read_op_names():
    """The ops of src/ops/ops.def: the golden coverage test wants a case for each."""
    path = os.path.join(HERE, "..", "..", "src", "ops", "ops.def")
    names = set()
    with open(path) as ops_def:
        for line in ops_def:
            if line.startswith("NABLA_OP("):
                names.add(line[len("NABLA_OP("):].split(",")[0].strip())
    return names


OP_NAMES = read_op_names()

# ---------------------------------------------------------------- input makers: each takes a generator


def uniform(*shape, dtype=F64):
    """U(-1, 1)."""
    return lambda g: (torch.rand(shape, generator=g, dtype=F64) * 2 - 1).to(dtype)


def positive(*shape, dtype=F64):
    """U(0.5, 2): for log, sqrt, divisors and pow bases."""
    return lambda g: (torch.rand(shape, generator=g, dtype=F64) * 1.5 + 0.5).to(dtype)


def distinct(*shape, dtype=F64):
    """A shuffled ladder with steps of 0.1: no ties, so max and maximum have one winner."""
    def make(g):
        count = 1
        for size in shape:
            count *= size
        order = torch.randperm(count, generator=g).to(F64)
        return ((order - count / 2) * 0.1).reshape(shape).to(dtype)
    return make


def integers(low, high, *shape, dtype=I64):
    return lambda g: torch.randint(low, high, shape, generator=g).to(dtype)


def mask(*shape):
    return lambda g: torch.rand(shape, generator=g) > 0.5


def values(data, dtype=F64):
    """Fixed values: special numbers (inf, nan, ties) or exact integers."""
    return lambda g: torch.tensor(data, dtype=dtype)


def with_zeros(maker, positions):
    """Sets some elements (flat positions) to exactly 0: relu's and maximum's kinks."""
    def make(g):
        tensor = maker(g).clone()
        tensor.view(-1)[list(positions)] = 0
        return tensor
    return make


# ---------------------------------------------------------------- the ops, as test_golden.cpp calls them

UNARY = {"neg": torch.neg, "exp": torch.exp, "log": torch.log, "sqrt": torch.sqrt, "tanh": torch.tanh,
         "sigmoid": torch.sigmoid, "relu": torch.relu}
# Python operators where they exist, so that scalars promote exactly as a user's `x + 2.5` does.
BINARY = {"add": operator.add, "sub": operator.sub, "mul": operator.mul, "div": operator.truediv,
          "pow": operator.pow, "maximum": torch.maximum, "eq": operator.eq, "ne": operator.ne,
          "lt": operator.lt, "le": operator.le, "gt": operator.gt, "ge": operator.ge}
REDUCTIONS = {"none": "none", "mean": "mean", "sum": "sum"}


def scalar_of(args):
    return int(args["scalar"]) if args["scalar_kind"] == "int" else float(args["scalar"])


def run_binary(op, xs, args):
    function = BINARY[op]
    if "scalar" not in args:
        return function(xs[0], xs[1])
    scalar = scalar_of(args)
    return function(scalar, xs[0]) if args.get("scalar_first") else function(xs[0], scalar)


def run_inplace(op, xs, args):
    result = xs[0].clone()  # a leaf that requires grad can't be written in place; its clone can
    other = scalar_of(args) if "scalar" in args else xs[1]
    return result.add_(other) if op == "add_" else result.mul_(other)


def run_reduce(function, x, args):
    dims = args.get("dims", [])
    return function(x) if not dims else function(x, dim=dims, keepdim=args.get("keepdim", False))


def run_op(op, xs, args):
    """Returns a tuple of outputs."""
    if op in full_op_set.RUNNERS:
        return tuple(full_op_set.RUNNERS[op](xs, args))
    if op in recurrent_cases.RUNNERS:
        return tuple(recurrent_cases.RUNNERS[op](xs, args))
    if op in UNARY:
        return (UNARY[op](xs[0]),)
    if op in BINARY:
        return (run_binary(op, xs, args),)
    simple = {
        "where": lambda: torch.where(xs[0], xs[1], xs[2]),
        "add_": lambda: run_inplace(op, xs, args),
        "mul_": lambda: run_inplace(op, xs, args),
        "clone": lambda: xs[0].clone(),
        "cast": lambda: xs[0].to(getattr(torch, args["dtype"])),
        "view": lambda: xs[0].view(args["shape"]),
        "permute": lambda: xs[0].permute(args["dims"]),
        "slice": lambda: xs[0][(slice(None),) * (args["dim"] % xs[0].dim())
                                + (slice(args["start"], args["end"], args["step"]),)],
        "expand": lambda: xs[0].expand(args["shape"]),
        "cat": lambda: torch.cat(xs, args["dim"]),
        "index_add": lambda: xs[0].index_add(args["dim"], xs[1], xs[2]),
        "scatter_add": lambda: xs[0].scatter_add(args["dim"], xs[1], xs[2]),
        "sum": lambda: run_reduce(torch.sum, xs[0], args),
        "mean": lambda: run_reduce(torch.mean, xs[0], args),
        "argmax": lambda: torch.argmax(xs[0], args["dim"], args.get("keepdim", False)),
        "logsumexp": lambda: torch.logsumexp(xs[0], args["dims"], args.get("keepdim", False)),
        "softmax": lambda: torch.softmax(xs[0], args["dim"]),
        "log_softmax": lambda: torch.log_softmax(xs[0], args["dim"]),
        "matmul": lambda: torch.matmul(xs[0], xs[1]),
        "index_select": lambda: torch.index_select(xs[0], args["dim"], xs[1]),
        "gather": lambda: torch.gather(xs[0], args["dim"], xs[1]),
        "cross_entropy": lambda: F.cross_entropy(xs[0], xs[1], reduction=REDUCTIONS[args["reduction"]],
                                                 ignore_index=args.get("ignore_index", -100)),
    }
    if op == "max":
        if "dim" in args:
            values_, indices = torch.max(xs[0], args["dim"], args.get("keepdim", False))
            return (values_, indices)
        return (torch.max(xs[0]),)
    return (simple[op](),)


# ---------------------------------------------------------------- building cases


class Fixtures:
    def __init__(self):
        self.tensors = {}
        self.cases = []
        self.problems = []  # reported together at the end

    def add(self, name, op, inputs, args=None, covers=(), grad=None, tolerance=None, note=None, transposed=(),
            raises=False, check=None, deviation=None, covers_op=True):
        """One case: `inputs` are makers; `grad` says which inputs get gradients (default: floating ones).

        `transposed` lists inputs that the op sees transposed (last two dims): strided, not contiguous.
        `raises`: PyTorch refuses the call, and nabla must throw too.
        `check`: a random op: nabla's samples are checked for the properties full_op_set.PROPERTIES[check]
        names (PyTorch's samples are checked here too), not against PyTorch's values.
        `deviation`: a call PyTorch answers that nabla deliberately refuses (the reason): nabla may throw its
        nabla::Error, but if it answers, the answer must match PyTorch's. The documented allow-list.
        `covers_op=False`: the call never reaches the op of that name (a shortcut of the public function, such as
        dropout with p = 0), so the case covers only `covers`. test_golden.cpp checks that a case dispatches
        every op it covers.
        """
        assert name.replace("_", "").isalnum(), f"{name}: gtest needs [A-Za-z0-9_] names"
        assert all(c["name"] != name for c in self.cases), f"{name}: duplicate case"
        args = args or {}
        generator = torch.Generator().manual_seed(zlib.crc32(name.encode()))
        inputs = [make(generator) for make in inputs]
        if grad is None or isinstance(grad, bool):
            wanted = (True if grad is None else grad) and not raises
            grad = [wanted and t.is_floating_point() for t in inputs]
            # Named inputs that PyTorch can't differentiate (class weights, running statistics).
            fixed = full_op_set.NOT_DIFFERENTIABLE.get(op, set())
            for index, input_name in enumerate(args.get("tensors", [])):
                grad[index] = grad[index] and input_name not in fixed
        unknown = set(covers) - OP_NAMES
        assert not unknown, f"{name}: covers {unknown}, not in ops.def"
        # A case covers its op when that is an op of ops.def (composites like mse_loss cover what they name).
        # "covers" is left out where it would be just [op].
        entry = {"name": name, "op": op}
        covered = sorted(({op} & OP_NAMES if covers_op else set()) | set(covers))
        if covered != [op]:
            entry["covers"] = covered
        entry["args"] = json_safe(args)
        if transposed:
            entry["transposed_inputs"] = list(transposed)
        if raises:
            self.add_error_case(entry, inputs, note)
            return
        if check:
            self.add_property_case(entry, inputs, check, note)
            return
        leaves = [t.detach().clone().requires_grad_(g) for t, g in zip(inputs, grad)]
        outputs = run_op(op, seen_by_op(leaves, transposed), args)
        upstreams = [upstream_like(o) if o.requires_grad else None for o in outputs]
        grads = self.gradients(leaves, grad, outputs, upstreams)

        self.store("i", inputs)
        self.store("o", outputs)
        self.store("g", grads)
        entry.update({"inputs": len(inputs), "outputs": len(outputs)})
        # Lists of flags only where they say something (keeps cases.json small): requires_grad where some
        # input requires grad; grads (which gradients are stored) where that differs from requires_grad;
        # upstreams (which outputs carry one) where gradients are checked and some output carries none.
        stored = [g is not None for g in grads]
        if any(grad):
            entry["requires_grad"] = grad
        if stored != grad:
            entry["grads"] = stored
        if any(stored) and not all(u is not None for u in upstreams):
            entry["upstreams"] = [u is not None for u in upstreams]
        entry["tolerance"] = list(tolerance or default_tolerance(inputs + list(outputs)))
        if deviation:
            entry["deviation"] = deviation
        if note:
            entry["note"] = note
        self.cases.append(entry)

    def add_error_case(self, entry, inputs, note):
        name = entry["name"]
        try:
            run_op(entry["op"], seen_by_op(inputs, entry.get("transposed_inputs", ())), entry["args"])
        except Exception as error:  # PyTorch raises RuntimeError, IndexError, ValueError, NotImplementedError
            entry["error"] = str(error).splitlines()[0]
        else:
            self.problems.append(f"{name}: PyTorch was expected to raise")
            return
        self.store("i", inputs)
        entry.update({"inputs": len(inputs), "outputs": 0})
        if note:
            entry["note"] = note
        self.cases.append(entry)

    def add_property_case(self, entry, inputs, check, note):
        outputs = run_op(entry["op"], seen_by_op(inputs, entry.get("transposed_inputs", ())), entry["args"])
        for problem in full_op_set.PROPERTIES[check](seen_by_op(inputs, entry.get("transposed_inputs", ())),
                                                     outputs, entry["args"]):
            self.problems.append(f"{entry['name']}: PyTorch's samples fail the check: {problem}")
        self.store("i", inputs)
        entry.update({"inputs": len(inputs), "outputs": 0, "check": check})
        if note:
            entry["note"] = note
        self.cases.append(entry)

    @staticmethod
    def gradients(leaves, grad, outputs, upstreams):
        wanted = [leaf for leaf, g in zip(leaves, grad) if g]
        used = [(o, u) for o, u in zip(outputs, upstreams) if u is not None]
        if not wanted or not used:
            return [None] * len(leaves)
        found = iter(torch.autograd.grad([o for o, _ in used], wanted, [u for _, u in used], allow_unused=True))
        result = []
        for leaf, g in zip(leaves, grad):
            value = next(found) if g else None
            # An input the outputs ignore has a zero gradient; nabla may return zeros or nothing.
            result.append(torch.zeros_like(leaf) if g and value is None else value)
        return result

    def store(self, kind, tensors):
        """Tensor k of a kind is "<case>.<kind><k>": <case> is the case's position in cases.json (short
        names keep the safetensors header small); kinds: i inputs, o outputs, g gradients."""
        case = len(self.cases)
        for index, tensor in enumerate(tensors):
            if tensor is not None:
                self.tensors[f"{case}.{kind}{index}"] = tensor.detach().contiguous()


def json_safe(value):
    """JSON has no inf or nan: args write them as the strings "inf", "-inf" and "nan"."""
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, dict):
        return {key: json_safe(item) for key, item in value.items()}
    if isinstance(value, list):
        return [json_safe(item) for item in value]
    return value


def upstream_like(output):
    """The upstream gradient for an output: cos(2.39996·k + 0.5) at flat index k, rounded to its dtype.

    A formula rather than stored tensors keeps the fixtures small; test_golden.cpp computes the same values
    (math.cos is the C library's cos, as std::cos in C++)."""
    data = [math.cos(UPSTREAM_STEP * k + 0.5) for k in range(output.numel())]
    return torch.tensor(data, dtype=F64).reshape(output.shape).to(output.dtype)


UPSTREAM_STEP = 2.399963229728653  # the golden angle: no short period


def seen_by_op(tensors, transposed):
    return [t.mT if i in transposed else t for i, t in enumerate(tensors)]


def default_tolerance(tensors):
    floats = {t.dtype for t in tensors if t.is_floating_point()}
    for dtype in PRECISION_ORDER:
        if dtype in floats:
            return TOLERANCES[dtype]
    return TOLERANCES[F64]  # integer cases compare exactly anyway


# ---------------------------------------------------------------- the cases


def elementwise_cases(f):
    for dtype, tag in FLOATS:
        f.add(f"neg_{tag}", "neg", [uniform(3, 4, dtype=dtype)])
        f.add(f"exp_{tag}", "exp", [uniform(3, 4, dtype=dtype)])
        f.add(f"log_{tag}", "log", [positive(3, 4, dtype=dtype)])
        f.add(f"sqrt_{tag}", "sqrt", [positive(3, 4, dtype=dtype)])
        f.add(f"tanh_{tag}", "tanh", [uniform(3, 4, dtype=dtype)])
        f.add(f"sigmoid_{tag}", "sigmoid", [uniform(3, 4, dtype=dtype)])
        f.add(f"relu_{tag}", "relu", [with_zeros(uniform(3, 4, dtype=dtype), [1, 6])],
              note="relu's gradient at exactly 0 is 0")
    f.add("exp_bf16", "exp", [uniform(3, 4, dtype=BF16)], note="bfloat16 computes in float32, rounds on store")
    f.add("tanh_f16", "tanh", [uniform(3, 4, dtype=F16)])
    f.add("sigmoid_bf16", "sigmoid", [uniform(2, 3, dtype=BF16)])

    # Integer inputs: float functions promote to float32; neg and relu keep the integer dtype.
    f.add("neg_int64", "neg", [integers(-5, 5, 2, 3)])
    f.add("relu_int32", "relu", [integers(-5, 5, 2, 3, dtype=I32)])
    f.add("exp_int64", "exp", [integers(-3, 3, 2, 3)], note="integer input gives float32")
    f.add("sqrt_int32", "sqrt", [integers(0, 9, 2, 3, dtype=I32)], note="integer input gives float32")
    f.add("log_uint8", "log", [integers(1, 9, 2, 3, dtype=U8)], note="integer input gives float32")
    f.add("tanh_int64", "tanh", [integers(-3, 3, 2, 3)], note="integer input gives float32")
    f.add("sigmoid_bool", "sigmoid", [mask(2, 3)], note="bool input gives float32")

    # Special values: infinities, nan, overflow, signed zero, denormals (outputs and gradients).
    special = "nan compares equal to nan, inf to the same inf"
    f.add("exp_special_f64", "exp", [values([-INF, -1000.0, 0.0, 710.0, INF, NAN])], note=special)
    f.add("exp_special_f32", "exp", [values([-INF, -104.0, 0.0, 89.0, INF, NAN], F32)], note=special)
    f.add("log_special_f64", "log", [values([0.0, -1.0, INF, NAN, 1e-310, 1.0])], note=special)
    f.add("sqrt_special_f64", "sqrt", [values([0.0, -1.0, INF, NAN, 1e-310, 4.0])], note=special)
    f.add("tanh_special_f64", "tanh", [values([-INF, INF, NAN, 20.0, -20.0, 0.0])], note=special)
    f.add("sigmoid_special_f64", "sigmoid", [values([-INF, INF, -800.0, 800.0, NAN, 0.0])], note=special)
    f.add("sigmoid_special_f32", "sigmoid", [values([-INF, INF, -120.0, 120.0, NAN, 0.0], F32)], note=special)
    f.add("relu_special_f64", "relu", [values([-0.0, 0.0, INF, -INF, 1e-310, -1e-310])], note=special)
    f.add("relu_nan_f64", "relu", [values([NAN, 1.0, -1.0])], grad=False, note="relu(nan) is nan")
    f.add("neg_special_f64", "neg", [values([INF, -INF, NAN, 0.0])], note=special)


def binary_cases(f):
    for dtype, tag in FLOATS:
        u, p = (lambda *s: uniform(*s, dtype=dtype)), (lambda *s: positive(*s, dtype=dtype))
        f.add(f"add_{tag}", "add", [u(3, 4), u(3, 4)])
        f.add(f"add_broadcast_{tag}", "add", [u(2, 3, 4), u(4)], note="trailing dims align")
        f.add(f"add_broadcast_both_{tag}", "add", [u(3, 1), u(1, 4)], note="both inputs broadcast")
        f.add(f"add_scalar_{tag}", "add", [u(3, 4)], {"scalar": 2.5, "scalar_kind": "float"})
        f.add(f"sub_{tag}", "sub", [u(3, 4), u(3, 1)])
        f.add(f"sub_scalar_first_{tag}", "sub", [u(3, 4)], {"scalar": 2.5, "scalar_kind": "float", "scalar_first": True})
        f.add(f"mul_{tag}", "mul", [u(3, 4), u(3, 4)])
        f.add(f"mul_broadcast_{tag}", "mul", [u(2, 1, 4), u(3, 1)])
        f.add(f"mul_zerodim_{tag}", "mul", [u(3, 4), u()], note="a 0-dim tensor broadcasts to anything")
        f.add(f"div_{tag}", "div", [u(3, 4), p(3, 4)])
        f.add(f"div_broadcast_{tag}", "div", [u(4), p(3, 1)])
        f.add(f"div_scalar_first_{tag}", "div", [p(3, 4)], {"scalar": 2.0, "scalar_kind": "float", "scalar_first": True})
        f.add(f"pow_{tag}", "pow", [p(3, 4), u(3, 4)])
        f.add(f"pow_broadcast_{tag}", "pow", [p(3, 1), u(4)])
        f.add(f"pow_scalar_{tag}", "pow", [u(3, 4)], {"scalar": 3.0, "scalar_kind": "float"},
              note="negative bases with an integral exponent")
        f.add(f"pow_scalar_fraction_{tag}", "pow", [p(3, 4)], {"scalar": 0.5, "scalar_kind": "float"})
        f.add(f"pow_scalar_base_{tag}", "pow", [u(3, 4)], {"scalar": 2.0, "scalar_kind": "float", "scalar_first": True})
        f.add(f"maximum_{tag}", "maximum", [distinct(3, 4, dtype=dtype), distinct(3, 4, dtype=dtype)])
        f.add(f"maximum_broadcast_{tag}", "maximum", [distinct(3, 4, dtype=dtype), distinct(4, dtype=dtype)])
    f.add("maximum_ties_f64", "maximum", [values([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]),
                                          values([[1.0, 5.0, 3.0], [0.5, -2.0, 4.5]])],
          note="on ties PyTorch splits the gradient in halves")
    f.add("maximum_nan_f64", "maximum", [values([NAN, 1.0, 2.0, NAN]), values([1.0, NAN, 0.0, NAN])], grad=False,
          note="maximum propagates nan")
    f.add("pow_zero_base_f64", "pow", [values([0.0, 0.0, 2.0, -2.0]), values([2.0, 0.0, 0.0, 2.0])],
          note="0**0 is 1; gradients at a zero base")
    f.add("pow_scalar_zero_exponent_f64", "pow", [values([0.0, -1.5, 2.0])], {"scalar": 0.0, "scalar_kind": "float"},
          note="x**0 is 1 and its gradient 0, also at x = 0")
    f.add("add_bf16", "add", [uniform(3, 4, dtype=BF16), uniform(3, 4, dtype=BF16)])
    f.add("mul_f16", "mul", [uniform(3, 4, dtype=F16), uniform(4, dtype=F16)])
    f.add("div_bf16", "div", [uniform(3, 4, dtype=BF16), positive(3, 4, dtype=BF16)])


def promotion_cases(f):
    """PyTorch's type promotion: categories, 0-dim tensors and Python scalars."""
    f.add("add_int64_float_scalar", "add", [integers(-5, 5, 3, 4)], {"scalar": 2.5, "scalar_kind": "float"},
          note="int tensor + float scalar gives the default float (float32)")
    f.add("add_int64_int_scalar", "add", [integers(-5, 5, 3, 4)], {"scalar": 3, "scalar_kind": "int"},
          note="int tensor + int scalar stays int64")
    f.add("add_int32_int_scalar", "add", [integers(-5, 5, 3, 4, dtype=I32)], {"scalar": 3, "scalar_kind": "int"},
          note="an int scalar does not widen int32")
    f.add("add_f32_float_scalar", "add", [uniform(3, 4, dtype=F32)], {"scalar": 0.1, "scalar_kind": "float"},
          note="a float scalar does not widen float32")
    f.add("add_int32_zerodim_f64", "add", [integers(-5, 5, 3, 4, dtype=I32), uniform(dtype=F64)],
          note="int32 tensor + 0-dim float64 tensor gives float64 (higher category wins)")
    f.add("add_f32_zerodim_f64", "add", [uniform(3, 4, dtype=F32), uniform(dtype=F64)],
          note="float32 tensor + 0-dim float64 tensor stays float32 (same category)")
    f.add("add_f32_f64", "add", [uniform(3, 4, dtype=F32), uniform(4, dtype=F64)],
          note="two dimensioned tensors: float32 + float64 gives float64")
    f.add("add_bool_int64", "add", [mask(3, 4), integers(-5, 5, 3, 4)], note="bool + int64 gives int64")
    f.add("add_bool_int_scalar", "add", [mask(3, 4)], {"scalar": 3, "scalar_kind": "int"},
          note="bool + int scalar gives int64")
    f.add("add_bool_bool", "add", [mask(3, 4), mask(3, 4)], note="bool + bool is logical or, still bool")
    f.add("mul_bool_bool", "mul", [mask(3, 4), mask(3, 4)], note="bool * bool is logical and, still bool")
    f.add("add_uint8_int32", "add", [integers(0, 200, 3, 4, dtype=U8), integers(-5, 5, 3, 4, dtype=I32)])
    f.add("sub_uint8_wraps", "sub", [values([3, 0, 200], U8), values([5, 1, 100], U8)],
          note="uint8 arithmetic wraps modulo 256")
    f.add("add_f16_bf16", "add", [uniform(3, 4, dtype=F16), uniform(3, 4, dtype=BF16)],
          note="float16 + bfloat16 gives float32")
    f.add("add_int32_f16", "add", [integers(-5, 5, 3, 4, dtype=I32), uniform(3, 4, dtype=F16)])
    f.add("mul_int32_int64", "mul", [integers(-5, 5, 3, 4, dtype=I32), integers(-5, 5, 4)])
    f.add("mul_int64_float_scalar", "mul", [integers(-5, 5, 3, 4)], {"scalar": 0.5, "scalar_kind": "float"})
    f.add("div_int64", "div", [values([-7, 7, 6, -1], I64), values([2, -2, 3, 4], I64)],
          note="integer division is true division and gives float32")
    f.add("div_by_zero_int64", "div", [values([1, -1, 0], I64), values([0, 0, 0], I64)], note="gives inf, -inf and nan")
    f.add("div_int64_float_scalar", "div", [integers(-5, 5, 3, 4)], {"scalar": 4.0, "scalar_kind": "float"})
    f.add("pow_int64", "pow", [values([2, 3, -2, 0, 5], I64), values([3, 2, 3, 0, 1], I64)], note="int ** int stays int64")
    f.add("pow_int64_float_scalar", "pow", [integers(0, 9, 2, 3)], {"scalar": 0.5, "scalar_kind": "float"},
          note="int ** float scalar gives float32")
    f.add("pow_int64_int_scalar", "pow", [integers(-4, 4, 2, 3)], {"scalar": 2, "scalar_kind": "int"})
    f.add("maximum_int64_f32", "maximum", [integers(-3, 3, 3, 4), uniform(3, 4, dtype=F32)])
    f.add("maximum_int32", "maximum", [integers(-3, 3, 3, 4, dtype=I32), integers(-3, 3, 4, dtype=I32)])


def compare_cases(f):
    ops = ["eq", "ne", "lt", "le", "gt", "ge"]
    for dtype, tag in FLOATS:
        # Values drawn from a few integers, so that equal pairs are common and exact.
        for op in ops:
            f.add(f"{op}_{tag}", op, [integers(-2, 3, 3, 4, dtype=dtype), integers(-2, 3, 4, dtype=dtype)])
    for op in ops:
        f.add(f"{op}_scalar", op, [integers(-2, 3, 3, 4, dtype=F32)], {"scalar": 1.0, "scalar_kind": "float"})
        f.add(f"{op}_nan", op, [values([NAN, 1.0, NAN, 2.0]), values([1.0, NAN, NAN, 2.0])],
              note="every comparison with nan is false, except ne")
    f.add("eq_int64_f32", "eq", [integers(-2, 3, 3, 4), integers(-2, 3, 3, 4, dtype=F32)])
    f.add("lt_int64_float_scalar", "lt", [integers(-2, 3, 3, 4)], {"scalar": 0.5, "scalar_kind": "float"},
          note="the int tensor compares against 0.5, not against 0")
    f.add("gt_bool_int64", "gt", [mask(3, 4), integers(-1, 2, 3, 4)])
    f.add("ge_uint8_int_scalar", "ge", [integers(0, 9, 3, 4, dtype=U8)], {"scalar": 4, "scalar_kind": "int"})


def where_cases(f):
    for dtype, tag in FLOATS:
        f.add(f"where_{tag}", "where", [mask(3, 4), uniform(3, 4, dtype=dtype), uniform(4, dtype=dtype)])
        f.add(f"where_broadcast_all_{tag}", "where", [mask(3, 1), uniform(1, 4, dtype=dtype), uniform(dtype=dtype)])
    f.add("where_promote_f32_f64", "where", [mask(3, 4), uniform(3, 4, dtype=F32), uniform(3, 4, dtype=F64)],
          note="where promotes its two value tensors: float64")
    f.add("where_f32_zerodim_f64", "where", [mask(3, 4), uniform(3, 4, dtype=F32), uniform(dtype=F64)],
          note="a 0-dim float64 does not widen float32")
    f.add("where_int64_f32", "where", [mask(3, 4), integers(-5, 5, 3, 4), uniform(3, 4, dtype=F32)])
    f.add("where_int64", "where", [mask(3, 4), integers(-5, 5, 3, 4), integers(-5, 5, 4)])


def inplace_cases(f):
    for dtype, tag in FLOATS:
        f.add(f"add__{tag}", "add_", [uniform(3, 4, dtype=dtype), uniform(4, dtype=dtype)], covers=["clone"])
        f.add(f"mul__{tag}", "mul_", [uniform(3, 4, dtype=dtype), uniform(3, 1, dtype=dtype)], covers=["clone"])
    f.add("add__scalar_f64", "add_", [uniform(3, 4)], {"scalar": 2.5, "scalar_kind": "float"}, covers=["clone"])
    f.add("mul__scalar_f32", "mul_", [uniform(3, 4, dtype=F32)], {"scalar": -1.5, "scalar_kind": "float"},
          covers=["clone"])
    f.add("add__f32_other_f64", "add_", [uniform(3, 4, dtype=F32), uniform(3, 4, dtype=F64)], covers=["clone"],
          note="in place keeps self's dtype (float32); other's gradient is float64")
    f.add("mul__int64_other_int32", "mul_", [integers(-5, 5, 3, 4), integers(-5, 5, 4, dtype=I32)], covers=["clone"])


def copy_cases(f):
    for dtype, tag in FLOATS:
        f.add(f"clone_{tag}", "clone", [uniform(3, 4, dtype=dtype)])
    f.add("clone_int32", "clone", [integers(-5, 5, 3, 4, dtype=I32)])
    casts = [
        ("cast_f64_to_f32", uniform(3, 4), "float32", None),
        ("cast_f32_to_f64", uniform(3, 4, dtype=F32), "float64", None),
        ("cast_f32_to_bf16", values([1.0, 1.00390625, 1.01171875, -3.14159, 1e-40, 3e38, NAN, INF], F32), "bfloat16",
         "round to nearest even at halfway points"),
        ("cast_f32_to_f16", values([1.0, 1.00048828125, 1e-6, 70000.0, -65504.0, NAN, -INF, 0.1], F32), "float16",
         "subnormals, overflow to inf, ties to even"),
        ("cast_bf16_to_f32", uniform(3, 4, dtype=BF16), "float32", None),
        ("cast_f64_to_int64", values([-2.7, -0.5, 0.5, 2.7, 3.0, -3.0]), "int64", "truncates toward zero"),
        ("cast_f32_to_int32", values([-2.7, -0.5, 0.5, 2.7, 1e6], F32), "int32", "truncates toward zero"),
        ("cast_f32_to_bool", values([0.0, -0.0, NAN, 0.1, -2.0], F32), "bool", "nonzero (and nan) is true"),
        ("cast_int64_to_f32", integers(-100, 100, 3, 4), "float32", None),
        ("cast_int64_to_uint8", values([300, -1, 255, 0], I64), "uint8", "wraps modulo 256"),
        ("cast_bool_to_f32", mask(3, 4), "float32", None),
        ("cast_uint8_to_int64", integers(0, 255, 3, 4, dtype=U8), "int64", None),
        ("cast_int32_to_bool", values([0, 1, -3], I32), "bool", None),
    ]
    for name, maker, dtype, note in casts:
        f.add(name, "cast", [maker], {"dtype": dtype}, note=note)


def view_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"view_{tag}", "view", [u(3, 4)], {"shape": [2, 6]})
        f.add(f"permute_{tag}", "permute", [u(2, 3, 4)], {"dims": [2, 0, 1]})
        f.add(f"slice_{tag}", "slice", [u(5, 4)], {"dim": 0, "start": 1, "end": 5, "step": 2},
              covers=["slice_backward"], note="the gradient goes through slice_backward")
        f.add(f"expand_{tag}", "expand", [u(3, 1)], {"shape": [2, 3, 4]}, note="new leading dims and size-1 dims")
        f.add(f"cat_{tag}", "cat", [u(2, 3), u(4, 3)], {"dim": 0})
    f.add("view_infer_f64", "view", [uniform(2, 3, 4)], {"shape": [4, -1]}, note="-1 infers a size")
    f.add("view_to_zerodim_f64", "view", [uniform(1, 1)], {"shape": []})
    f.add("view_from_zerodim_f64", "view", [uniform()], {"shape": [1, 1, 1]})
    f.add("view_int64", "view", [integers(-5, 5, 2, 6)], {"shape": [3, 2, 2]})
    f.add("permute_negative_f64", "permute", [uniform(2, 3, 4)], {"dims": [-1, 0, -2]})
    f.add("slice_negative_start_f64", "slice", [uniform(3, 5)], {"dim": 1, "start": -3, "end": 100, "step": 1},
          covers=["slice_backward"], note="negative start counts from the end; end clamps")
    f.add("slice_step3_f64", "slice", [uniform(2, 7, 2)], {"dim": -2, "start": 0, "end": 7, "step": 3},
          covers=["slice_backward"])
    f.add("slice_empty_f64", "slice", [uniform(4, 3)], {"dim": 0, "start": 3, "end": 1, "step": 1},
          covers=["slice_backward"], note="start past end gives an empty slice; gradient all zero")
    f.add("expand_keep_f64", "expand", [uniform(3, 1)], {"shape": [-1, 5]}, note="-1 keeps a size")
    f.add("expand_zerodim_f64", "expand", [uniform()], {"shape": [2, 3]})
    f.add("expand_bool", "expand", [mask(1, 3)], {"shape": [2, 3]})
    f.add("cat_last_dim_f64", "cat", [uniform(2, 1), uniform(2, 3), uniform(2, 2)], {"dim": -1})
    f.add("cat_single_f64", "cat", [uniform(2, 3)], {"dim": 1})
    f.add("cat_promote_f32_f64", "cat", [uniform(2, 3, dtype=F32), uniform(1, 3, dtype=F64)], {"dim": 0},
          note="cat promotes: float64")
    f.add("cat_int64_f32", "cat", [integers(-5, 5, 2, 3), uniform(2, 3, dtype=F32)], {"dim": 0},
          note="cat promotes: float32")
    f.add("cat_int32", "cat", [integers(-5, 5, 2, 3, dtype=I32), integers(-5, 5, 2, 1, dtype=I32)], {"dim": 1})


def reduce_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"sum_all_{tag}", "sum", [u(3, 4)])
        f.add(f"sum_dim_{tag}", "sum", [u(2, 3, 4)], {"dims": [1]})
        f.add(f"sum_dims_keepdim_{tag}", "sum", [u(2, 3, 4)], {"dims": [0, -1], "keepdim": True})
        f.add(f"mean_all_{tag}", "mean", [u(3, 5)])
        f.add(f"mean_dim_{tag}", "mean", [u(3, 5)], {"dims": [0]})
        f.add(f"mean_dims_keepdim_{tag}", "mean", [u(2, 3, 4)], {"dims": [-1, 1], "keepdim": True})
    f.add("sum_zerodim_f64", "sum", [uniform()])
    f.add("sum_empty_f64", "sum", [uniform(0, 3)], {"dims": [0]}, note="a sum over nothing is 0")
    f.add("sum_int32", "sum", [integers(-50, 50, 3, 4, dtype=I32)], note="integer sums give int64")
    f.add("sum_int32_dim", "sum", [integers(-50, 50, 3, 4, dtype=I32)], {"dims": [1], "keepdim": True},
          note="integer sums give int64")
    f.add("sum_bool", "sum", [mask(3, 4)], note="bool sums count, as int64")
    f.add("sum_uint8_dim", "sum", [integers(200, 255, 3, 4, dtype=U8)], {"dims": [0]},
          note="uint8 sums give int64 (no wrapping)")
    f.add("sum_bf16", "sum", [uniform(4, 8, dtype=BF16)], {"dims": [1]}, note="bfloat16 sums stay bfloat16")
    f.add("sum_f16", "sum", [uniform(16, dtype=F16)])
    f.add("sum_large_f32", "sum", [lambda g: torch.rand(64, 64, generator=g)], grad=False,
          note="4096 float32 terms: the summation order must keep float32 accuracy")
    f.add("mean_empty_f64", "mean", [uniform(0, 3)], {"dims": [0]}, grad=False, note="a mean over nothing is nan")
    f.add("mean_bf16", "mean", [uniform(3, 8, dtype=BF16)], {"dims": [1]})


def max_cases(f):
    for dtype, tag in FLOATS:
        d = lambda *s: distinct(*s, dtype=dtype)
        f.add(f"max_dim_{tag}", "max", [d(3, 4)], {"dim": 1})
        f.add(f"max_dim_keepdim_{tag}", "max", [d(2, 3, 4)], {"dim": 0, "keepdim": True})
        f.add(f"max_all_{tag}", "max", [d(3, 4)])
        f.add(f"argmax_{tag}", "argmax", [d(3, 4)], {"dim": 1})
    ties = values([[1.0, 3.0, 3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, 5.0, 4.0, 5.0]])
    f.add("max_dim_ties_f64", "max", [ties], {"dim": 1},
          note="ties: the first index, and the whole gradient goes to it")
    f.add("max_all_ties_f64", "max", [values([[1.0, 3.0], [3.0, 0.0]])],
          note="max over everything splits the gradient evenly among ties")
    f.add("argmax_ties_f64", "argmax", [ties], {"dim": 1}, note="ties: the first index")
    f.add("argmax_keepdim_f64", "argmax", [distinct(2, 3, 4)], {"dim": -2, "keepdim": True})
    f.add("max_dim_negative_f64", "max", [distinct(2, 3, 4)], {"dim": -1})
    f.add("max_nan_f64", "max", [values([[1.0, NAN, 3.0, NAN], [1.0, 2.0, 0.0, -1.0]])], {"dim": 1}, grad=False,
          note="nan is the maximum; its index is the first nan")
    f.add("max_all_nan_f64", "max", [values([1.0, NAN, 3.0])], grad=False, note="nan propagates")
    f.add("argmax_nan_f64", "argmax", [values([[1.0, NAN, 3.0, NAN]])], {"dim": 1}, note="nan is the maximum")
    f.add("max_dim_int32", "max", [integers(-9, 9, 3, 4, dtype=I32)], {"dim": 0})
    f.add("max_all_int64", "max", [integers(-9, 9, 3, 4)])
    f.add("argmax_int64", "argmax", [integers(-3, 3, 3, 5)], {"dim": 1})
    f.add("max_dim_bf16", "max", [uniform(3, 4, dtype=BF16)], {"dim": 1})
    f.add("max_dim_zerodim_f64", "max", [uniform()], {"dim": 0}, note="a 0-dim tensor reduces over dim 0 or -1")
    f.add("argmax_zerodim_f64", "argmax", [uniform()], {"dim": -1})

    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"logsumexp_{tag}", "logsumexp", [u(3, 4)], {"dims": [1]})
        f.add(f"logsumexp_dims_keepdim_{tag}", "logsumexp", [u(2, 3, 4)], {"dims": [0, 2], "keepdim": True})
        f.add(f"softmax_{tag}", "softmax", [u(3, 4)], {"dim": -1})
        f.add(f"softmax_dim0_{tag}", "softmax", [u(3, 4)], {"dim": 0})
        f.add(f"log_softmax_{tag}", "log_softmax", [u(3, 4)], {"dim": 1})
        f.add(f"log_softmax_3d_{tag}", "log_softmax", [u(2, 3, 4)], {"dim": 1})
    big = values([[1000.0, 1001.0, 999.0], [-1000.0, -1002.0, -1001.0]])
    f.add("logsumexp_large_f64", "logsumexp", [big], {"dims": [1]}, note="no overflow for large magnitudes")
    f.add("softmax_large_f64", "softmax", [big], {"dim": 1}, note="no overflow for large magnitudes")
    f.add("log_softmax_large_f64", "log_softmax", [big], {"dim": 1}, note="no overflow for large magnitudes")
    f.add("softmax_large_f32", "softmax", [values([[100.0, 101.0, 99.0], [-100.0, -102.0, -101.0]], F32)], {"dim": 1})
    masked = values([[0.5, -INF, 1.0], [-INF, 2.0, -INF]])
    f.add("softmax_masked_f64", "softmax", [masked], {"dim": 1}, note="-inf entries get probability 0")
    f.add("log_softmax_masked_f64", "log_softmax", [masked], {"dim": 1}, note="-inf entries stay -inf")
    f.add("logsumexp_masked_f64", "logsumexp", [masked], {"dims": [1]})
    f.add("logsumexp_all_neg_inf_f64", "logsumexp", [values([[-INF, -INF], [0.0, 1.0]])], {"dims": [1]},
          grad=False, note="a row of -inf gives -inf, not nan")
    f.add("logsumexp_zerodim_f64", "logsumexp", [uniform()], {"dims": [0]})
    f.add("softmax_bf16", "softmax", [uniform(3, 4, dtype=BF16)], {"dim": 1})
    f.add("softmax_zerodim_f64", "softmax", [uniform()], {"dim": 0})
    f.add("log_softmax_zerodim_f64", "log_softmax", [uniform()], {"dim": 0})


def linear_algebra_cases(f):
    shapes = [
        ("2d_2d", (3, 4), (4, 5)),
        ("1d_1d", (4,), (4,)),
        ("2d_1d", (3, 4), (4,)),
        ("1d_2d", (4,), (4, 5)),
        ("3d_3d", (2, 3, 4), (2, 4, 5)),
        ("3d_2d", (2, 3, 4), (4, 5)),
        ("2d_3d", (3, 4), (2, 4, 5)),
        ("1d_3d", (4,), (2, 4, 5)),
        ("3d_1d", (2, 3, 4), (4,)),
        ("4d_3d_broadcast", (2, 1, 3, 4), (5, 4, 2)),
    ]
    notes = {"1d_1d": "a dot product: 0-dim", "2d_1d": "matrix-vector: [3]", "1d_2d": "vector-matrix: [5]",
             "1d_3d": "the vector is prepended a dim, then removed: [2, 5]", "3d_1d": "[2, 3]",
             "4d_3d_broadcast": "batch dims broadcast: [2, 5, 3, 2]"}
    for name, a, b in shapes:
        for dtype, tag in FLOATS:
            if tag == "f32" and name not in ("2d_2d", "3d_3d", "1d_1d"):
                continue
            f.add(f"matmul_{name}_{tag}", "matmul", [uniform(*a, dtype=dtype), uniform(*b, dtype=dtype)],
                  note=notes.get(name))

    for dtype, tag in FLOATS:
        f.add(f"index_select_{tag}", "index_select", [uniform(5, 3, dtype=dtype), values([4, 0, 4, 2], I64)],
              {"dim": 0}, covers=["index_add"], note="repeated indices accumulate in the gradient")
        f.add(f"gather_{tag}", "gather", [uniform(3, 4, dtype=dtype), values([[0, 3], [1, 1], [3, 0]], I64)],
              {"dim": 1}, covers=["scatter_add"], note="repeated indices accumulate in the gradient")
    f.add("index_select_dim1_f64", "index_select", [uniform(2, 4, 3), values([3, 1], I64)], {"dim": 1},
          covers=["index_add"])
    f.add("index_select_int32_index_f64", "index_select", [uniform(4, 2), values([1, 1, 0], I32)], {"dim": 0},
          covers=["index_add"], note="int32 indices are accepted")
    f.add("index_select_1d_f64", "index_select", [uniform(6), values([5, 0, 5], I64)], {"dim": 0},
          covers=["index_add"])
    f.add("index_select_zerodim_index_f64", "index_select", [uniform(4, 3), values(2, I64)], {"dim": 0},
          covers=["index_add"], note="a 0-dim index selects one slice and keeps the dim: [1, 3]")
    f.add("index_select_int64_values", "index_select", [integers(-9, 9, 4, 3), values([2, 0], I64)], {"dim": 0})
    f.add("gather_dim0_f64", "gather", [uniform(3, 4), values([[2, 0, 1, 1], [0, 0, 2, 1]], I64)], {"dim": 0},
          covers=["scatter_add"])
    f.add("gather_smaller_index_f64", "gather", [uniform(3, 4), values([[1, 0], [2, 2]], I64)], {"dim": 1},
          covers=["scatter_add"], note="index may be smaller than the input in every dim")

    for dtype, tag in FLOATS:
        f.add(f"index_add_{tag}", "index_add",
              [uniform(5, 3, dtype=dtype), values([4, 0, 4, 2], I64), uniform(4, 3, dtype=dtype)], {"dim": 0},
              note="inputs in PyTorch's order: self, index, source")
        f.add(f"scatter_add_{tag}", "scatter_add",
              [uniform(3, 4, dtype=dtype), values([[0, 3], [1, 1], [3, 0]], I64), uniform(3, 2, dtype=dtype)],
              {"dim": 1}, note="inputs in PyTorch's order: self, index, src")
    f.add("index_add_dim1_f64", "index_add", [uniform(2, 4), values([3, 3, 0], I64), uniform(2, 3)], {"dim": 1})
    f.add("scatter_add_src_larger_f64", "scatter_add",
          [uniform(3, 4), values([[0, 3], [1, 1]], I64), uniform(3, 3)], {"dim": 1}, grad=[True, False, False],
          note="src may be larger than index: only its leading block is read (PyTorch can't differentiate src)")
    f.add("scatter_add_dim0_f64", "scatter_add",
          [uniform(3, 2), values([[2, 0], [2, 2], [0, 1]], I64), uniform(3, 2)], {"dim": 0})


def loss_cases(f):
    for dtype, tag in FLOATS:
        for reduction in ("mean", "sum", "none"):
            f.add(f"cross_entropy_{reduction}_{tag}", "cross_entropy",
                  [uniform(4, 5, dtype=dtype), values([1, 0, 4, 1], I64)], {"reduction": reduction})
    f.add("cross_entropy_ignore_default_mean_f64", "cross_entropy",
          [uniform(5, 3), values([2, -100, 0, -100, 1], I64)], {"reduction": "mean"},
          note="mean divides by the 3 targets that count")
    f.add("cross_entropy_ignore_default_none_f64", "cross_entropy",
          [uniform(5, 3), values([2, -100, 0, -100, 1], I64)], {"reduction": "none"},
          note="ignored rows give 0 loss and 0 gradient")
    f.add("cross_entropy_ignore_index_sum_f64", "cross_entropy",
          [uniform(4, 3), values([2, 1, 0, 1], I64)], {"reduction": "sum", "ignore_index": 1})
    f.add("cross_entropy_ignore_index_mean_f32", "cross_entropy",
          [uniform(4, 3, dtype=F32), values([2, 1, 0, 1], I64)], {"reduction": "mean", "ignore_index": 1})
    f.add("cross_entropy_all_ignored_mean_f64", "cross_entropy",
          [uniform(2, 3), values([-100, -100], I64)], {"reduction": "mean"}, grad=False,
          note="every target ignored: the mean is 0/0 = nan")
    f.add("cross_entropy_all_ignored_sum_f64", "cross_entropy",
          [uniform(2, 3), values([-100, -100], I64)], {"reduction": "sum"}, note="every target ignored: 0")
    f.add("cross_entropy_1d_f64", "cross_entropy", [uniform(5), values(3, I64)], {"reduction": "mean"},
          note="logits [C] with a 0-dim target")
    f.add("cross_entropy_1d_none_f64", "cross_entropy", [uniform(5), values(2, I64)], {"reduction": "none"},
          note="0-dim loss")
    f.add("cross_entropy_large_f64", "cross_entropy",
          [values([[1000.0, -1000.0, 0.0], [500.0, 501.0, 499.0]]), values([1, 2], I64)], {"reduction": "mean"},
          note="stable for large logits")
    f.add("cross_entropy_large_f32", "cross_entropy",
          [values([[100.0, -100.0, 0.0], [50.0, 51.0, 49.0]], F32), values([1, 2], I64)], {"reduction": "sum"})


def strided_cases(f):
    """The op sees input 0 (or all inputs) transposed: strided kernels against PyTorch."""
    T = (0,)
    f.add("exp_transposed_f32", "exp", [uniform(4, 3, dtype=F32)], transposed=T)
    f.add("relu_transposed_f64", "relu", [uniform(2, 4, 3)], transposed=T)
    f.add("add_transposed_f64", "add", [uniform(4, 3), uniform(4, 3)], transposed=(0, 1))
    f.add("mul_broadcast_transposed_f32", "mul", [uniform(4, 3, dtype=F32), uniform(4, 1, dtype=F32)],
          transposed=(0, 1))
    f.add("div_transposed_f64", "div", [uniform(4, 3), positive(3, 4)], transposed=T)
    f.add("lt_transposed", "lt", [uniform(4, 3), uniform(3, 4)], transposed=T)
    f.add("where_transposed_f64", "where", [mask(4, 3), uniform(3, 4), uniform(4, 3)], transposed=(0, 2))
    f.add("add__transposed_f64", "add_", [uniform(4, 3), uniform(4, 3)], transposed=(0, 1), covers=["clone"])
    f.add("clone_transposed_f64", "clone", [uniform(4, 3)], transposed=T, note="the clone is contiguous")
    f.add("cast_transposed_f64_to_f32", "cast", [uniform(4, 3)], {"dtype": "float32"}, transposed=T)
    f.add("permute_transposed_f64", "permute", [uniform(2, 4, 3)], {"dims": [1, 2, 0]}, transposed=T)
    f.add("slice_transposed_f64", "slice", [uniform(5, 4)], {"dim": 1, "start": 1, "end": 5, "step": 2},
          transposed=T, covers=["slice_backward"])
    f.add("expand_transposed_f64", "expand", [uniform(1, 3)], {"shape": [2, 3, 4]}, transposed=T)
    f.add("cat_transposed_f64", "cat", [uniform(4, 2), uniform(3, 4)], {"dim": 0}, transposed=T)
    f.add("sum_dim_transposed_f32", "sum", [uniform(5, 3, dtype=F32)], {"dims": [1]}, transposed=T)
    f.add("sum_int32_transposed", "sum", [integers(-9, 9, 4, 3, dtype=I32)], {"dims": [0]}, transposed=T)
    f.add("mean_transposed_f64", "mean", [uniform(2, 5, 3)], {"dims": [-1]}, transposed=T)
    f.add("max_dim_transposed_f64", "max", [distinct(4, 3)], {"dim": 1}, transposed=T)
    f.add("argmax_transposed_f64", "argmax", [distinct(4, 3)], {"dim": 0}, transposed=T)
    f.add("logsumexp_transposed_f64", "logsumexp", [uniform(4, 3)], {"dims": [1]}, transposed=T)
    f.add("softmax_transposed_f32", "softmax", [uniform(4, 3, dtype=F32)], {"dim": -1}, transposed=T)
    f.add("log_softmax_transposed_f64", "log_softmax", [uniform(2, 4, 3)], {"dim": 1}, transposed=T)
    f.add("matmul_transposed_f64", "matmul", [uniform(4, 3), uniform(5, 4)], transposed=(0, 1))
    f.add("matmul_transposed_f32", "matmul", [uniform(2, 4, 3, dtype=F32), uniform(2, 5, 4, dtype=F32)],
          transposed=(0, 1))
    f.add("index_select_transposed_f64", "index_select", [uniform(3, 5), values([4, 0, 4], I64)], {"dim": 0},
          transposed=T, covers=["index_add"])
    f.add("gather_transposed_f64", "gather", [uniform(4, 3), values([[0, 3], [1, 1], [3, 0]], I64)], {"dim": 1},
          transposed=T, covers=["scatter_add"])
    f.add("cross_entropy_transposed_f64", "cross_entropy", [uniform(5, 4), values([1, 0, 4, 2], I64)],
          {"reduction": "mean"}, transposed=T)


def error_cases(f):
    """Calls PyTorch refuses; nabla must throw nabla::Error (one line) rather than return something."""
    cases = [
        ("mean_int64_raises", "mean", [integers(0, 5, 3)], {}, (), "mean of integers has no dtype"),
        ("add__int64_self_f32_other_raises", "add_", [integers(0, 5, 3), uniform(3, dtype=F32)], {}, (),
         "in place, float32 can't be written into int64"),
        ("sub_bool_raises", "sub", [mask(3), mask(3)], {}, (), None),
        ("neg_bool_raises", "neg", [mask(3)], {}, (), None),
        ("pow_int64_negative_int_scalar_raises", "pow", [integers(1, 5, 3)], {"scalar": -1, "scalar_kind": "int"}, (),
         None),
        ("where_float_condition_raises", "where", [uniform(3), uniform(3), uniform(3)], {}, (), None),
        ("cross_entropy_target_out_of_range_raises", "cross_entropy", [uniform(2, 3), values([0, 3], I64)],
         {"reduction": "mean"}, (), None),
        ("view_transposed_raises", "view", [uniform(4, 3)], {"shape": [12]}, (0,),
         "a transposed tensor can't be viewed flat"),
        ("view_bad_numel_raises", "view", [uniform(2, 3)], {"shape": [4, -1]}, (), None),
        ("expand_bad_size_raises", "expand", [uniform(3, 2)], {"shape": [3, 4]}, (), None),
        ("permute_duplicate_raises", "permute", [uniform(3, 2)], {"dims": [0, 0]}, (), None),
        ("slice_negative_step_raises", "slice", [uniform(4)], {"dim": 0, "start": 0, "end": 4, "step": -1}, (), None),
        ("index_select_out_of_range_raises", "index_select", [uniform(3, 4), values([3], I64)], {"dim": 0}, (), None),
        ("index_select_negative_raises", "index_select", [uniform(3, 4), values([-1], I64)], {"dim": 0}, (),
         "negative indices are refused"),
        ("gather_out_of_range_raises", "gather", [uniform(3, 4), values([[4]], I64)], {"dim": 1}, (), None),
        ("sum_dim_out_of_range_raises", "sum", [uniform(2, 3)], {"dims": [2]}, (), None),
        ("sum_repeated_dim_raises", "sum", [uniform(2, 3)], {"dims": [1, -1]}, (), None),
        ("softmax_dim_out_of_range_raises", "softmax", [uniform(2, 3)], {"dim": 2}, (), None),
        ("softmax_int64_raises", "softmax", [integers(0, 5, 2, 3)], {"dim": 1}, (), None),
        ("cat_shape_mismatch_raises", "cat", [uniform(2, 3), uniform(2, 4)], {"dim": 0}, (), None),
        ("matmul_shape_mismatch_raises", "matmul", [uniform(2, 3), uniform(4, 2)], {}, (), None),
        ("add_broadcast_mismatch_raises", "add", [uniform(3, 4), uniform(3)], {}, (), None),
        ("max_all_empty_raises", "max", [uniform(0, 3)], {}, (), None),
        ("argmax_empty_dim_raises", "argmax", [uniform(0, 3)], {"dim": 0}, (), None),
        ("max_dim_empty_raises", "max", [uniform(0, 3)], {"dim": 0}, (), None),
        ("cat_zerodim_raises", "cat", [uniform(), uniform()], {"dim": 0}, (), None),
        ("matmul_zerodim_raises", "matmul", [uniform(), uniform(2)], {}, (), None),
        ("add__broadcast_self_raises", "add_", [uniform(4), uniform(3, 4)], {}, (),
         "in place can't grow self to the broadcast shape"),
        ("mul__int64_float_scalar_raises", "mul_", [integers(0, 5, 3)], {"scalar": 1.5, "scalar_kind": "float"}, (),
         "in place, float can't be written into int64"),
    ]
    for name, op, inputs, args, transposed, note in cases:
        f.add(name, op, inputs, args, transposed=transposed, raises=True, note=note)


# ---------------------------------------------------------------- writing


def tensor_bytes(tensor):
    # reshape(-1) first: a 0-dim tensor can't be viewed as bytes of another size
    if tensor.numel() == 0:
        return b""
    return tensor.detach().contiguous().reshape(-1).view(torch.uint8).numpy().tobytes()


def write_atomic(path, data):
    temporary = path + ".tmp"
    with open(temporary, "wb") as out:
        out.write(data)
        out.flush()
        os.fsync(out.fileno())
    os.replace(temporary, path)


def write_safetensors(path, tensors, metadata):
    assert sys.byteorder == "little", "safetensors data is little-endian"
    header = {"__metadata__": metadata}
    chunks, offset = [], 0
    for name in sorted(tensors):
        tensor = tensors[name]
        data = tensor_bytes(tensor)
        header[name] = {"dtype": SAFETENSORS_NAMES[tensor.dtype], "shape": list(tensor.shape),
                        "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)  # keeps the data section 8-byte aligned, as other writers do
    write_atomic(path, struct.pack("<Q", len(text)) + text + b"".join(chunks))


def write_cases(path, cases):
    # One case per line: diffs stay readable when a case changes.
    lines = ",\n".join(json.dumps(case, separators=(", ", ": "), allow_nan=False) for case in cases)
    write_atomic(path, ("[\n" + lines + "\n]\n").encode())


def main():
    torch.set_default_dtype(torch.float32)
    torch.set_num_threads(1)
    fixtures = Fixtures()
    for family in (elementwise_cases, binary_cases, promotion_cases, compare_cases, where_cases, inplace_cases,
                   copy_cases, view_cases, reduce_cases, max_cases, linear_algebra_cases, loss_cases,
                   strided_cases, error_cases, *full_op_set.FAMILIES):
        family(fixtures)
    recurrent_cases.recurrent_cases(fixtures, uniform, F64, F32)
    assert not fixtures.problems, "\n".join(fixtures.problems)
    missing = OP_NAMES - {name for case in fixtures.cases for name in case.get("covers", [case["op"]])}
    assert not missing, f"ops without a golden case: {sorted(missing)}"
    fixtures_path = os.path.join(HERE, "fixtures.safetensors")
    write_safetensors(fixtures_path, fixtures.tensors,
                      {"generator": "tests/golden/make_fixtures.py", "torch": torch.__version__})
    write_cases(os.path.join(HERE, "cases.json"), fixtures.cases)
    print(f"{len(fixtures.cases)} cases, {len(fixtures.tensors)} tensors, "
          f"{os.path.getsize(fixtures_path)} bytes in {fixtures_path}")


if __name__ == "__main__":
    main()
