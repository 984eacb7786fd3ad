"""Golden cases for the full op set: the ops added to src/ops/ops.def after the first 46, and the public
functions of include/nabla/ops.h, include/nabla/nn/functional.h and include/nabla/linalg.h built on them.

make_fixtures.py imports this module: RUNNERS maps each op string (a case's "op") to a function
(inputs, args) -> tuple of outputs, exactly as test_golden.cpp's op table calls nabla; FAMILIES lists the
functions that add the cases. Keep the op strings, the args and test_golden.cpp in step.

Conventions of the args:
  "tensors"   the names of the inputs in order, where a function has optional tensor arguments
              (conv2d's bias, layer_norm's weight, ...): a name missing from the list is not passed
  Size2       an int or [height, width]
  reduction   "none" | "mean" | "sum"
"""
import torch
import torch.nn.functional as F

F64, F32, BF16, F16 = torch.float64, torch.float32, torch.bfloat16, torch.float16
I64, I32, U8, BOOL = torch.int64, torch.int32, torch.uint8, torch.bool
FLOATS = [(F64, "f64"), (F32, "f32")]
INF, NAN = float("inf"), float("nan")

# Looser tolerances for ops that sum many terms or chain several steps: PyTorch rounds float32 and
# half-precision intermediates where nabla computes in double and rounds once.
CHAINED = {F64: (1e-11, 1e-9), F32: (2e-5, 2e-4), F16: (4e-3, 8e-3), BF16: (3e-2, 3e-2)}
# LAPACK (nabla) and PyTorch's LAPACK/MKL may take different paths: singular vectors amplify rounding.
LAPACK = {F64: (1e-9, 1e-8), F32: (2e-4, 2e-3)}


# ---------------------------------------------------------------- input makers (each takes a generator)


def uniform(*shape, dtype=F64, low=-1.0, high=1.0):
    return lambda g: (torch.rand(shape, generator=g, dtype=F64) * (high - low) + low).to(dtype)


def positive(*shape, dtype=F64):
    return uniform(*shape, dtype=dtype, low=0.5, high=2.0)


def probabilities(*shape, dtype=F64):
    """In (0.05, 0.95): binary_cross_entropy's inputs, lerp's weights."""
    return uniform(*shape, dtype=dtype, low=0.05, high=0.95)


def distinct(*shape, dtype=F64):
    """A shuffled ladder with steps of 0.1: no ties anywhere."""
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
    return lambda g: torch.tensor(data, dtype=dtype)


def normal(*shape, dtype=F64, scale=1.0, shift=0.0):
    return lambda g: (torch.randn(shape, generator=g, dtype=F64) * scale + shift).to(dtype)


def spd(n, dtype=F64):
    """A well-conditioned symmetric positive-definite matrix: M·Mᵀ + n·I."""
    def make(g):
        m = torch.rand(n, n, generator=g, dtype=F64) * 2 - 1
        return (m @ m.T + n * torch.eye(n, dtype=F64)).to(dtype)
    return make


def symmetric(n, dtype=F64):
    def make(g):
        m = torch.rand(n, n, generator=g, dtype=F64) * 2 - 1
        return ((m + m.T) / 2).to(dtype)
    return make


def well_conditioned(n, dtype=F64):
    """A random square matrix with a strong diagonal: solve's A."""
    def make(g):
        m = torch.rand(n, n, generator=g, dtype=F64) * 2 - 1
        return (m + n * torch.eye(n, dtype=F64)).to(dtype)
    return make


def one_hot_rows(rows, classes, hot):
    """multinomial's deterministic input: row r has weight only at class hot[r]."""
    def make(g):
        result = torch.zeros(rows, classes, dtype=F64)
        for row, column in enumerate(hot):
            result[row, column] = 0.7
        return result
    return make


# ---------------------------------------------------------------- helpers the runners share


def size2(value):
    return tuple(value) if isinstance(value, list) else value


def named(xs, args):
    """The inputs by name, where the function has optional tensor arguments."""
    return dict(zip(args["tensors"], xs))


def reduce_dims(function, x, args):
    dims = args.get("dims", [])
    if not dims:
        return function(x) if not args.get("keepdim") else function(x, dim=tuple(range(x.dim())), keepdim=True)
    return function(x, dim=tuple(dims), keepdim=args.get("keepdim", False))


def prod(x, args):
    """torch.prod takes one dim: several dims reduce one after another, from the last."""
    dims = args.get("dims", [])
    keepdim = args.get("keepdim", False)
    if not dims:
        if not keepdim:
            return torch.prod(x)
        dims = list(range(x.dim()))
    result = x
    for dim in sorted(dims, key=lambda d: d % max(x.dim(), 1), reverse=True):
        x.size(dim)  # raises for a dim out of range, as nabla must
        result = torch.prod(result, dim % max(x.dim(), 1), keepdim=keepdim)
    return result


def in_place(function):
    """A clone is written in place: a leaf that requires grad can't be."""
    def run(xs, args):
        result = xs[0].clone()
        function(result, xs, args)
        return (result,)
    return run


def sign_fixed(columns):
    """Signs that make each column's dot product with a fixed ramp positive (qr/svd/eigh canonical form)."""
    weights = torch.arange(1, columns.shape[-2] + 1, dtype=F64) * 0.25 + 1
    dots = (columns.to(F64) * weights[:, None]).sum(-2)
    assert bool((dots.abs() > 1e-3).all()), "canonical signs are ambiguous: change the case's name or shape"
    return torch.where(dots >= 0, 1.0, -1.0)


def canonical_qr(q, r):
    """Q, R are unique up to the signs of diag(R): make them non-negative."""
    signs = torch.where(torch.diagonal(r, 0, -2, -1) >= 0, 1.0, -1.0).to(q.dtype)
    return q * signs, r * signs[:, None]


def canonical_svd(u, s, vh):
    signs = sign_fixed(u).to(u.dtype)
    return u * signs, s, vh * signs[:, None]


def canonical_eigh(eigenvalues, eigenvectors):
    signs = sign_fixed(eigenvectors).to(eigenvectors.dtype)
    return eigenvalues, eigenvectors * signs


# Named inputs that PyTorch can't differentiate: their cases get no gradient for them.
NOT_DIFFERENTIABLE = {"functional_cross_entropy": {"weight"}, "nll_loss": {"weight"},
                      "binary_cross_entropy": {"weight", "target"},
                      "binary_cross_entropy_with_logits": {"weight", "pos_weight"}, "batch_norm": {"running_mean", "running_var"}}


def run_conv2d(xs, args):
    t = named(xs, args)
    return (F.conv2d(t["x"], t["weight"], t.get("bias"), size2(args.get("stride", 1)), size2(args.get("padding", 0)),
                     size2(args.get("dilation", 1)), args.get("groups", 1)),)


def run_conv1d(xs, args):
    t = named(xs, args)
    return (F.conv1d(t["x"], t["weight"], t.get("bias"), args.get("stride", 1), args.get("padding", 0),
                     args.get("dilation", 1), args.get("groups", 1)),)


def run_conv_transpose2d(xs, args):
    t = named(xs, args)
    return (F.conv_transpose2d(t["x"], t["weight"], t.get("bias"), size2(args.get("stride", 1)),
                               size2(args.get("padding", 0)), size2(args.get("output_padding", 0)),
                               args.get("groups", 1), size2(args.get("dilation", 1))),)


def pool_options(args):
    stride = args.get("stride")
    return dict(kernel_size=size2(args["kernel_size"]), stride=size2(stride) if stride is not None else None,
                padding=size2(args.get("padding", 0)), ceil_mode=args.get("ceil_mode", False))


def run_max_pool2d(xs, args, indices=False):
    result = F.max_pool2d(xs[0], dilation=size2(args.get("dilation", 1)), return_indices=indices,
                          **pool_options(args))
    return tuple(result) if indices else (result,)


def run_avg_pool2d(xs, args):
    return (F.avg_pool2d(xs[0], count_include_pad=args.get("count_include_pad", True), **pool_options(args)),)


def run_interpolate(xs, args):
    size = args.get("size")
    return (F.interpolate(xs[0], size=size2(size) if size is not None else None,
                          scale_factor=args.get("scale_factor"), mode=args.get("mode", "nearest"),
                          align_corners=args.get("align_corners")),)


def run_batch_norm(xs, args):
    """Outputs: y, then the running statistics after the call (when given): the in-place update."""
    t = named(xs, args)
    running_mean = t["running_mean"].clone() if "running_mean" in t else None
    running_var = t["running_var"].clone() if "running_var" in t else None
    y = F.batch_norm(t["x"], running_mean, running_var, t.get("weight"), t.get("bias"),
                     args.get("training", True), args.get("momentum", 0.1), args.get("eps", 1e-5))
    return tuple(o for o in (y, running_mean, running_var) if o is not None)


def run_attention(xs, args):
    t = named(xs, args)
    return (F.scaled_dot_product_attention(t["q"], t["k"], t["v"], attn_mask=t.get("mask"),
                                           dropout_p=args.get("dropout_p", 0.0), is_causal=args.get("is_causal", False),
                                           scale=args.get("scale")),)


def run_cross_entropy(xs, args):
    t = named(xs, args)
    return (F.cross_entropy(t["logits"], t["target"], weight=t.get("weight"), ignore_index=args.get("ignore_index", -100),
                            reduction=args.get("reduction", "mean"), label_smoothing=args.get("label_smoothing", 0.0)),)


def run_bce(xs, args):
    t = named(xs, args)
    return (F.binary_cross_entropy(t["input"], t["target"], t.get("weight"), reduction=args.get("reduction", "mean")),)


def run_bce_logits(xs, args):
    t = named(xs, args)
    return (F.binary_cross_entropy_with_logits(t["input"], t["target"], t.get("weight"),
                                               reduction=args.get("reduction", "mean"), pos_weight=t.get("pos_weight")),)


def run_nll(xs, args):
    t = named(xs, args)
    return (F.nll_loss(t["input"], t["target"], t.get("weight"), ignore_index=args.get("ignore_index", -100),
                       reduction=args.get("reduction", "mean")),)


def reduction_of(args):
    return args.get("reduction", "mean")


def run_embedding(xs, args):
    return (F.embedding(xs[0], xs[1], padding_idx=args.get("padding_idx")),)


def run_layer_norm(xs, args):
    t = named(xs, args)
    return (F.layer_norm(t["x"], args["normalized_shape"], t.get("weight"), t.get("bias"), args.get("eps", 1e-5)),)


def run_group_norm(xs, args):
    t = named(xs, args)
    return (F.group_norm(t["x"], args["groups"], t.get("weight"), t.get("bias"), args.get("eps", 1e-5)),)


def run_topk(xs, args):
    values_, indices = torch.topk(xs[0], args["k"], args.get("dim", -1), args.get("largest", True),
                                  args.get("sorted", True))
    if not args.get("sorted", True):  # unsorted order is unspecified: compare in index order (2-D, last dim)
        order = torch.argsort(indices, dim=-1)
        values_, indices = torch.gather(values_, -1, order), torch.gather(indices, -1, order)
    return (values_, indices)


def run_clamp(x, args):
    return torch.clamp(x, min=args.get("min"), max=args.get("max"))


def run_adam(xs, args):
    """Adam (or AdamW when decoupled) from zero state: xs[0] is the parameter, xs[1:] the gradient of each
    step in turn; the parameter after the last step is the output."""
    parameter = torch.nn.Parameter(xs[0].detach().clone())
    kind = torch.optim.AdamW if args["decoupled"] else torch.optim.Adam
    optimizer = kind([parameter], lr=args["lr"], betas=(args["beta1"], args["beta2"]), eps=args["eps"],
                     weight_decay=args["weight_decay"], amsgrad=args["amsgrad"], foreach=False)
    for gradient in xs[1:]:
        parameter.grad = gradient.detach().clone()
        optimizer.step()
    return (parameter.detach(),)


def run_lerp(xs, args):
    return (torch.lerp(xs[0], xs[1], args["weight"] if "weight" in args else xs[2]),)



def run_multihead_attention(xs, args):
    """nn.MultiheadAttention (batch-first) on the given weights; is_causal becomes PyTorch's bool mask."""
    t = named(xs, args)
    query = t["query"]
    key, value = t.get("key", query), t.get("value", query)
    length, keys = query.shape[1], key.shape[1]
    attn_mask = t.get("attn_mask")
    if args.get("is_causal", False):
        attn_mask = torch.ones(length, keys, dtype=torch.bool).triu(1)  # true masks out
    out, _ = F.multi_head_attention_forward(
        query.transpose(0, 1), key.transpose(0, 1), value.transpose(0, 1), query.shape[-1], args["num_heads"],
        t["in_proj_weight"], t["in_proj_bias"], None, None, False, 0.0, t["out_proj_weight"], t["out_proj_bias"],
        training=False, key_padding_mask=t.get("key_padding_mask"), need_weights=False, attn_mask=attn_mask)
    return (out.transpose(0, 1),)


def run_transformer_block(xs, args):
    """nabla's TransformerBlock written out in PyTorch: pre-LN (GPT-2) or post-LN, GELU (exact or tanh) MLP."""
    t = named(xs, args)
    x = t["x"]
    width = x.shape[-1]
    causal = args.get("causal", False)

    def attention(h):
        mask = torch.ones(h.shape[1], h.shape[1], dtype=torch.bool).triu(1) if causal else None
        return run_multihead_attention([h, t["in_proj_weight"], t["in_proj_bias"], t["out_proj_weight"],
                                        t["out_proj_bias"]],
                                       {"tensors": ["query", "in_proj_weight", "in_proj_bias", "out_proj_weight",
                                                    "out_proj_bias"], "num_heads": args["num_heads"],
                                        "is_causal": causal})[0]

    def norm(h, which):
        return F.layer_norm(h, (width,), t[f"{which}_weight"], t[f"{which}_bias"])

    def mlp(h):
        hidden = F.gelu(F.linear(h, t["fc_weight"], t["fc_bias"]), approximate=args.get("approximate", "none"))
        return F.linear(hidden, t["proj_weight"], t["proj_bias"])

    if args.get("norm_first", True):
        h = x + attention(norm(x, "ln_1"))
        return (h + mlp(norm(h, "ln_2")),)
    h = norm(x + attention(x), "ln_1")
    return (norm(h + mlp(h), "ln_2"),)

RUNNERS = {
    # elementwise, unary
    "abs": lambda xs, a: (torch.abs(xs[0]),),
    "sign": lambda xs, a: (torch.sign(xs[0]),),
    "log1p": lambda xs, a: (torch.log1p(xs[0]),),
    "rsqrt": lambda xs, a: (torch.rsqrt(xs[0]),),
    "sin": lambda xs, a: (torch.sin(xs[0]),),
    "cos": lambda xs, a: (torch.cos(xs[0]),),
    "floor": lambda xs, a: (torch.floor(xs[0]),),
    "ceil": lambda xs, a: (torch.ceil(xs[0]),),
    "round": lambda xs, a: (torch.round(xs[0]),),
    "isfinite": lambda xs, a: (torch.isfinite(xs[0]),),
    "isnan": lambda xs, a: (torch.isnan(xs[0]),),
    "logical_not": lambda xs, a: (torch.logical_not(xs[0]),),
    # activations
    "leaky_relu": lambda xs, a: (F.leaky_relu(xs[0], a.get("negative_slope", 0.01)),),
    "elu": lambda xs, a: (F.elu(xs[0], a.get("alpha", 1.0)),),
    "gelu": lambda xs, a: (F.gelu(xs[0], approximate=a.get("approximate", "none")),),
    "silu": lambda xs, a: (F.silu(xs[0]),),
    "softplus": lambda xs, a: (F.softplus(xs[0], a.get("beta", 1.0), a.get("threshold", 20.0)),),
    "clamp": lambda xs, a: (run_clamp(xs[0], a),),
    # several inputs
    "minimum": lambda xs, a: (torch.minimum(xs[0], xs[1]),),
    "logical_and": lambda xs, a: (torch.logical_and(xs[0], xs[1]),),
    "logical_or": lambda xs, a: (torch.logical_or(xs[0], xs[1]),),
    "logical_xor": lambda xs, a: (torch.logical_xor(xs[0], xs[1]),),
    "lerp": run_lerp,
    "addcmul": lambda xs, a: (torch.addcmul(xs[0], xs[1], xs[2], value=a.get("value", 1.0)),),
    "addcdiv": lambda xs, a: (torch.addcdiv(xs[0], xs[1], xs[2], value=a.get("value", 1.0)),),
    # in place, on a clone of input 0
    "copy_": in_place(lambda r, xs, a: r.copy_(xs[1])),
    "fill_": in_place(lambda r, xs, a: r.fill_(a["value"])),
    "zero_": in_place(lambda r, xs, a: r.zero_()),
    "sub_": in_place(lambda r, xs, a: r.sub_(xs[1])),
    "div_": in_place(lambda r, xs, a: r.div_(xs[1])),
    "clamp_": in_place(lambda r, xs, a: r.clamp_(min=a.get("min"), max=a.get("max"))),
    "relu_": in_place(lambda r, xs, a: r.relu_()),
    "masked_fill_": in_place(lambda r, xs, a: r.masked_fill_(xs[1], a["value"])),
    # optimizer steps
    "adam": run_adam,
    # reductions and orderings
    "prod": lambda xs, a: (prod(xs[0], a),),
    "min": lambda xs, a: (tuple(torch.min(xs[0], a["dim"], a.get("keepdim", False))) if "dim" in a
                          else (torch.min(xs[0]),)),
    "argmin": lambda xs, a: (torch.argmin(xs[0], a["dim"], a.get("keepdim", False)),),
    "var": lambda xs, a: (torch.var(xs[0], dim=a.get("dims") or None, correction=a.get("correction", 1),
                                    keepdim=a.get("keepdim", False)),),
    "std": lambda xs, a: (torch.std(xs[0], dim=a.get("dims") or None, correction=a.get("correction", 1),
                                    keepdim=a.get("keepdim", False)),),
    "norm": lambda xs, a: (torch.linalg.vector_norm(xs[0], ord=a.get("p", 2), dim=a.get("dims") or None,
                                                    keepdim=a.get("keepdim", False)),),
    "any": lambda xs, a: (reduce_dims(torch.any, xs[0], a),),
    "all": lambda xs, a: (reduce_dims(torch.all, xs[0], a),),
    "cumsum": lambda xs, a: (torch.cumsum(xs[0], a["dim"]),),
    "topk": lambda xs, a: run_topk(xs, a),
    "sort": lambda xs, a: tuple(torch.sort(xs[0], dim=a.get("dim", -1), descending=a.get("descending", False),
                                           stable=True)),
    "argsort": lambda xs, a: (torch.argsort(xs[0], dim=a.get("dim", -1), descending=a.get("descending", False),
                                            stable=True),),
    "bincount": lambda xs, a: (torch.bincount(xs[0], xs[1] if len(xs) > 1 else None, a.get("minlength", 0)),),
    # indexing and shape
    "scatter": lambda xs, a: (torch.scatter(xs[0], a["dim"], xs[1], xs[2]),),
    "masked_fill": lambda xs, a: (xs[0].masked_fill(xs[1], a["value"]),),
    "masked_select": lambda xs, a: (torch.masked_select(xs[0], xs[1]),),
    "nonzero": lambda xs, a: (torch.nonzero(xs[0]),),
    "diagonal": lambda xs, a: (torch.diagonal(xs[0], a.get("offset", 0), a.get("dim1", 0), a.get("dim2", 1)),),
    "pad": lambda xs, a: (F.pad(xs[0], a["pads"], a.get("mode", "constant"),
                                a.get("value", 0.0) if a.get("mode", "constant") == "constant" else None),),
    "repeat": lambda xs, a: (xs[0].repeat(a["repeats"]),),
    "flip": lambda xs, a: (torch.flip(xs[0], a["dims"]),),
    "roll": lambda xs, a: (torch.roll(xs[0], a["shifts"], a.get("dims") or None),),
    "tril": lambda xs, a: (torch.tril(xs[0], a.get("diagonal", 0)),),
    "triu": lambda xs, a: (torch.triu(xs[0], a.get("diagonal", 0)),),
    "one_hot": lambda xs, a: (F.one_hot(xs[0], a.get("num_classes", -1)),),
    "einsum": lambda xs, a: (torch.einsum(a["equation"], *xs),),
    "outer": lambda xs, a: (torch.outer(xs[0], xs[1]),),
    "bmm": lambda xs, a: (torch.bmm(xs[0], xs[1]),),
    "cdist": lambda xs, a: (torch.cdist(xs[0], xs[1], a.get("p", 2.0)),),
    "unfold": lambda xs, a: (F.unfold(xs[0], size2(a["kernel_size"]), size2(a.get("dilation", 1)),
                                      size2(a.get("padding", 0)), size2(a.get("stride", 1))),),
    "fold": lambda xs, a: (F.fold(xs[0], size2(a["output_size"]), size2(a["kernel_size"]), size2(a.get("dilation", 1)),
                                  size2(a.get("padding", 0)), size2(a.get("stride", 1))),),
    # random: only calls with a deterministic result
    "bernoulli": lambda xs, a: (torch.bernoulli(xs[0]),),
    "multinomial": lambda xs, a: (torch.multinomial(xs[0], a["samples"], a.get("replacement", False)),),
    "dropout": lambda xs, a: (F.dropout(xs[0], a.get("p", 0.5), a.get("training", True)),),
    # convolution, pooling, resampling
    "linear": lambda xs, a: (F.linear(xs[0], xs[1], xs[2] if len(xs) > 2 else None),),
    "conv2d": run_conv2d,
    "conv1d": run_conv1d,
    "conv_transpose2d": run_conv_transpose2d,
    "max_pool2d": run_max_pool2d,
    "max_pool2d_with_indices": lambda xs, a: run_max_pool2d(xs, a, indices=True),
    "avg_pool2d": run_avg_pool2d,
    "adaptive_avg_pool2d": lambda xs, a: (F.adaptive_avg_pool2d(xs[0], size2(a["output_size"])),),
    "adaptive_max_pool2d": lambda xs, a: (F.adaptive_max_pool2d(xs[0], size2(a["output_size"])),),
    "interpolate": run_interpolate,
    "embedding": run_embedding,
    # normalization and attention
    "layer_norm": run_layer_norm,
    "batch_norm": run_batch_norm,
    "group_norm": run_group_norm,
    "scaled_dot_product_attention": run_attention,
    # losses (functional::cross_entropy with its options; the old "cross_entropy" keeps its own case list)
    "functional_cross_entropy": run_cross_entropy,
    "nll_loss": run_nll,
    "mse_loss": lambda xs, a: (F.mse_loss(xs[0], xs[1], reduction=reduction_of(a)),),
    "l1_loss": lambda xs, a: (F.l1_loss(xs[0], xs[1], reduction=reduction_of(a)),),
    "smooth_l1_loss": lambda xs, a: (F.smooth_l1_loss(xs[0], xs[1], reduction=reduction_of(a), beta=a.get("beta", 1.0)),),
    "huber_loss": lambda xs, a: (F.huber_loss(xs[0], xs[1], reduction=reduction_of(a), delta=a.get("delta", 1.0)),),
    "binary_cross_entropy": run_bce,
    "binary_cross_entropy_with_logits": run_bce_logits,
    "kl_div": lambda xs, a: (F.kl_div(xs[0], xs[1], reduction=reduction_of(a), log_target=a.get("log_target", False)),),
    # linear algebra, in a canonical sign convention where LAPACKs may differ
    "qr": lambda xs, a: canonical_qr(*torch.linalg.qr(xs[0])),
    "svd": lambda xs, a: canonical_svd(*torch.linalg.svd(xs[0], full_matrices=False)),
    "eigh": lambda xs, a: canonical_eigh(*torch.linalg.eigh(xs[0])),
    "solve": lambda xs, a: (torch.linalg.solve(xs[0], xs[1]),),
    "cholesky": lambda xs, a: (torch.linalg.cholesky(xs[0]),),
    # layers built on the ops (nabla::nn), against their PyTorch forms
    "multihead_attention": run_multihead_attention,
    "transformer_block": run_transformer_block
}


# ---------------------------------------------------------------- the cases


def unary_more_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s, **k: uniform(*s, dtype=dtype, **k)
        f.add(f"abs_{tag}", "abs", [values([[-1.5, 0.0, 2.0], [0.25, -0.0, -3.0]], dtype)],
              note="abs's gradient at 0 is 0 (sign(0))")
        f.add(f"sign_{tag}", "sign", [values([-2.0, -0.0, 0.0, 0.5, 3.0], dtype)], note="gradient 0 everywhere")
        f.add(f"log1p_{tag}", "log1p", [u(3, 4, low=-0.9, high=2.0)])
        f.add(f"rsqrt_{tag}", "rsqrt", [positive(3, 4, dtype=dtype)])
        f.add(f"sin_{tag}", "sin", [u(3, 4, low=-4.0, high=4.0)])
        f.add(f"cos_{tag}", "cos", [u(3, 4, low=-4.0, high=4.0)])
        halves = values([-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 0.49999999, -2.7, 2.7, 3.0], dtype)
        f.add(f"floor_{tag}", "floor", [halves], grad=False)
        f.add(f"ceil_{tag}", "ceil", [halves], grad=False)
        f.add(f"round_{tag}", "round", [halves], grad=False, note="round half to even: -2.5 → -2, 0.5 → 0, 2.5 → 2")
        f.add(f"isfinite_{tag}", "isfinite", [values([1.0, INF, -INF, NAN, 0.0], dtype)])
        f.add(f"isnan_{tag}", "isnan", [values([1.0, INF, -INF, NAN, 0.0], dtype)])
        f.add(f"logical_not_{tag}", "logical_not", [values([1.0, 0.0, -0.0, NAN, -2.0], dtype)],
              note="nan is true (nonzero)")
    for dtype, tag in ((BF16, "bf16"), (F16, "f16")):
        f.add(f"abs_{tag}", "abs", [uniform(3, 4, dtype=dtype)])
        f.add(f"sin_{tag}", "sin", [uniform(3, 4, dtype=dtype, low=-3.0, high=3.0)])
        f.add(f"cos_{tag}", "cos", [uniform(3, 4, dtype=dtype, low=-3.0, high=3.0)])
        f.add(f"log1p_{tag}", "log1p", [uniform(3, 4, dtype=dtype, low=-0.5, high=2.0)])
        f.add(f"rsqrt_{tag}", "rsqrt", [positive(3, 4, dtype=dtype)])
        f.add(f"round_{tag}", "round", [values([-2.5, -1.5, 0.5, 1.5, 2.5, 3.25], dtype)], grad=False)
        f.add(f"isnan_{tag}", "isnan", [values([1.0, INF, NAN], dtype)])
    f.add("floor_int64", "floor", [integers(-5, 5, 2, 3)], note="integers stay integers")
    f.add("abs_int32", "abs", [integers(-5, 5, 2, 3, dtype=I32)])
    f.add("sign_int64", "sign", [values([-3, 0, 4], I64)])
    f.add("sin_int64", "sin", [integers(-3, 3, 2, 3)], note="integer input gives float32")
    f.add("rsqrt_int64", "rsqrt", [values([1, 4, 0], I64)], note="integer input gives float32; rsqrt(0) = inf")
    f.add("isfinite_int64", "isfinite", [integers(-3, 3, 4)], note="integers are always finite")
    f.add("isnan_int32", "isnan", [integers(-3, 3, 4, dtype=I32)])
    f.add("logical_not_int64", "logical_not", [values([0, 1, -2], I64)])
    f.add("logical_not_bool", "logical_not", [mask(2, 3)])
    f.add("log1p_special_f64", "log1p", [values([-1.0, -2.0, INF, NAN, 1e-300, -1e-17])],
          note="log1p(-1) = -inf, below -1 nan; accurate near 0")
    f.add("rsqrt_special_f64", "rsqrt", [values([0.0, -0.0, -1.0, INF, NAN])], grad=False,
          note="rsqrt(±0) = ±inf, negative nan")
    f.add("abs_special_f64", "abs", [values([-INF, NAN, -0.0])], grad=False)
    f.add("sign_nan_f64", "sign", [values([NAN, -INF, INF])], grad=False, note="sign(nan) = 0 in PyTorch")
    f.add("sin_special_f64", "sin", [values([INF, NAN, 1e-300])], grad=False)
    f.add("round_special_f64", "round", [values([NAN, INF, -0.5, 4503599627370497.0])], grad=False,
          note="-0.5 rounds to -0; integers beyond 2^52 are unchanged")
    f.add("abs_transposed_f64", "abs", [uniform(4, 3)], transposed=(0,))
    f.add("cos_transposed_f32", "cos", [uniform(2, 4, 3, dtype=F32)], transposed=(0,))


def activation_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s, **k: uniform(*s, dtype=dtype, **k)
        wide = values([-3.0, -1.0, -0.1, 0.0, 0.1, 1.0, 3.0], dtype)
        f.add(f"leaky_relu_{tag}", "leaky_relu", [wide], {"negative_slope": 0.01},
              note="the gradient at exactly 0 is the slope (x > 0 takes 1)")
        f.add(f"leaky_relu_slope_{tag}", "leaky_relu", [u(3, 4)], {"negative_slope": 0.2})
        f.add(f"elu_{tag}", "elu", [wide], {"alpha": 1.0})
        f.add(f"elu_alpha_{tag}", "elu", [u(3, 4, low=-3, high=3)], {"alpha": 0.5})
        f.add(f"gelu_{tag}", "gelu", [u(3, 4, low=-4, high=4)], {"approximate": "none"}, covers=["gelu_backward"])
        f.add(f"gelu_tanh_{tag}", "gelu", [u(3, 4, low=-4, high=4)], {"approximate": "tanh"}, covers=["gelu_backward"])
        f.add(f"silu_{tag}", "silu", [u(3, 4, low=-5, high=5)])
        f.add(f"softplus_{tag}", "softplus", [u(3, 4, low=-3, high=3)], {"beta": 1.0, "threshold": 20.0})
        f.add(f"softplus_beta_threshold_{tag}", "softplus",
              [values([-2.0, -0.5, 0.0, 0.9, 1.1, 5.0], dtype)], {"beta": 2.0, "threshold": 2.0},
              note="linear (x) where beta·x > threshold: 1.1·2 > 2 but 0.9·2 is not")
        f.add(f"clamp_{tag}", "clamp", [values([-2.0, -1.0, -0.5, 0.0, 0.5, 1.0, 2.0], dtype)],
              {"min": -1.0, "max": 1.0}, covers=["clamp_backward"],
              note="the gradient passes at the bounds (min ≤ x ≤ max)")
        f.add(f"clamp_min_only_{tag}", "clamp", [u(3, 4)], {"min": 0.25})
        f.add(f"clamp_max_only_{tag}", "clamp", [u(3, 4)], {"max": -0.25})
    f.add("clamp_min_above_max_f64", "clamp", [uniform(2, 3)], {"min": 0.5, "max": -0.5},
          note="min > max: every element becomes max; no gradient")
    f.add("clamp_nan_f64", "clamp", [values([NAN, 2.0, -2.0])], {"min": -1.0, "max": 1.0}, note="nan propagates")
    f.add("clamp_int64", "clamp", [integers(-5, 5, 2, 4)], {"min": -2.0, "max": 3.0},
          note="PyTorch: int64 tensor with float bounds promotes to float32")
    f.add("clamp_int64_integral_bounds", "clamp", [values([-4, -1, 0, 3, 7], I64)], {"min": -2.0, "max": 3.0},
          note="float bounds promote int64 to float32, as clamp_int64")
    f.add("elu_special_f64", "elu", [values([-INF, INF, NAN, -800.0])], {"alpha": 1.0}, grad=False)
    f.add("softplus_large_f64", "softplus", [values([-800.0, 800.0, 30.0, -30.0, 0.0])], {"beta": 1.0, "threshold": 20.0},
          note="no overflow; softplus(-800) = 0 (underflow), its gradient 0")
    f.add("silu_special_f64", "silu", [values([-INF, INF, -800.0, 800.0])], grad=False)
    f.add("gelu_special_f64", "gelu", [values([-INF, INF, -40.0, 40.0, NAN])], {"approximate": "none"}, grad=False)
    f.add("leaky_relu_negative_slope_f64", "leaky_relu", [uniform(3, 4)], {"negative_slope": -0.5},
          note="a negative slope is allowed")
    for dtype, tag in ((BF16, "bf16"), (F16, "f16")):
        f.add(f"gelu_{tag}", "gelu", [uniform(3, 4, dtype=dtype, low=-3, high=3)], {"approximate": "none"})
        f.add(f"gelu_tanh_{tag}", "gelu", [uniform(3, 4, dtype=dtype, low=-3, high=3)], {"approximate": "tanh"})
        f.add(f"silu_{tag}", "silu", [uniform(3, 4, dtype=dtype, low=-3, high=3)])
        f.add(f"softplus_{tag}", "softplus", [uniform(3, 4, dtype=dtype, low=-3, high=3)], {"beta": 1.0, "threshold": 20.0})
        f.add(f"elu_{tag}", "elu", [uniform(3, 4, dtype=dtype, low=-3, high=3)], {"alpha": 1.0})
        f.add(f"leaky_relu_{tag}", "leaky_relu", [uniform(3, 4, dtype=dtype)], {"negative_slope": 0.1})
        f.add(f"clamp_{tag}", "clamp", [uniform(3, 4, dtype=dtype)], {"min": -0.5, "max": 0.5})
    f.add("gelu_transposed_f64", "gelu", [uniform(4, 3)], {"approximate": "none"}, transposed=(0,))
    f.add("softplus_transposed_f32", "softplus", [uniform(4, 3, dtype=F32)], {"beta": 1.0, "threshold": 20.0},
          transposed=(0,))
    f.add("clamp_transposed_f64", "clamp", [uniform(4, 3)], {"min": -0.3, "max": 0.4}, transposed=(0,))


def binary_more_cases(f):
    for dtype, tag in FLOATS:
        d = lambda *s: distinct(*s, dtype=dtype)
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"minimum_{tag}", "minimum", [d(3, 4), d(3, 4)])
        f.add(f"minimum_broadcast_{tag}", "minimum", [d(3, 1), d(4)])
        f.add(f"lerp_{tag}", "lerp", [u(3, 4), u(3, 4), probabilities(3, 4, dtype=dtype)])
        f.add(f"lerp_broadcast_{tag}", "lerp", [u(3, 1), u(4), probabilities(3, 4, dtype=dtype)])
        f.add(f"lerp_scalar_{tag}", "lerp", [u(3, 4), u(3, 4)], {"weight": 0.3})
        f.add(f"lerp_scalar_large_weight_{tag}", "lerp", [u(3, 4), u(3, 4)], {"weight": 0.75},
              note="PyTorch switches formulas at weight 0.5: end - (end - start)·(1 - weight)")
        f.add(f"addcmul_{tag}", "addcmul", [u(3, 4), u(3, 4), u(4)], {"value": 0.5})
        f.add(f"addcdiv_{tag}", "addcdiv", [u(3, 4), u(3, 1), positive(3, 4, dtype=dtype)], {"value": -2.0})
        for op in ("logical_and", "logical_or", "logical_xor"):
            f.add(f"{op}_{tag}", op, [values([[0.0, 1.0, NAN, -0.0], [2.0, 0.0, 0.0, 3.0]], dtype),
                                       values([0.0, 0.0, 1.0, 1.0], dtype)], note="nonzero (and nan) is true")
    f.add("minimum_ties_f64", "minimum", [values([[1.0, 2.0, 3.0], [0.5, -1.0, 4.0]]),
                                          values([[1.0, 5.0, 3.0], [0.5, -2.0, 4.5]])],
          note="on ties PyTorch splits the gradient in halves")
    f.add("minimum_nan_f64", "minimum", [values([NAN, 1.0, 2.0, NAN]), values([1.0, NAN, 0.0, NAN])], grad=False,
          note="minimum propagates nan")
    f.add("minimum_int64_f32", "minimum", [integers(-3, 3, 3, 4), uniform(3, 4, dtype=F32)], note="promotes: float32")
    f.add("minimum_int32", "minimum", [integers(-3, 3, 3, 4, dtype=I32), integers(-3, 3, 4, dtype=I32)])
    f.add("minimum_bf16", "minimum", [uniform(3, 4, dtype=BF16), uniform(3, 4, dtype=BF16)])
    f.add("logical_and_int64_bool", "logical_and", [integers(-1, 2, 3, 4), mask(4)])
    f.add("logical_or_bool", "logical_or", [mask(3, 4), mask(3, 1)])
    f.add("logical_xor_uint8_f32", "logical_xor", [integers(0, 3, 3, 4, dtype=U8), integers(0, 2, 4, dtype=F32)])
    f.add("lerp_f32_zerodim_weight", "lerp", [uniform(3, 4, dtype=F32), uniform(3, 4, dtype=F32), uniform(dtype=F32)])
    f.add("lerp_bf16", "lerp", [uniform(3, 4, dtype=BF16), uniform(3, 4, dtype=BF16), probabilities(3, 4, dtype=BF16)])
    f.add("addcmul_f16", "addcmul", [uniform(3, 4, dtype=F16), uniform(3, 4, dtype=F16), uniform(3, 4, dtype=F16)],
          {"value": 1.0})
    f.add("addcmul_int64", "addcmul", [integers(-3, 3, 3, 4), integers(-3, 3, 3, 4), integers(-3, 3, 4)],
          {"value": 2.0}, note="integer tensors with an integral value stay int64")
    f.add("addcdiv_broadcast_f64", "addcdiv", [uniform(2, 1, 4), uniform(3, 1), positive(4)], {"value": 1.0})
    f.add("minimum_transposed_f64", "minimum", [distinct(4, 3), distinct(3, 4)], transposed=(0,))
    f.add("lerp_transposed_f64", "lerp", [uniform(4, 3), uniform(3, 4), probabilities(4, 3)], transposed=(0, 2))
    f.add("addcdiv_transposed_f32", "addcdiv", [uniform(4, 3, dtype=F32), uniform(3, 4, dtype=F32),
                                                positive(4, 3, dtype=F32)], {"value": 0.5}, transposed=(0, 2))


def inplace_more_cases(f):
    c = ["clone"]
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"copy__{tag}", "copy_", [u(3, 4), u(3, 4)], covers=c, note="self's gradient is 0: it was overwritten")
        f.add(f"copy__broadcast_{tag}", "copy_", [u(3, 4), u(4)], covers=c, note="src broadcasts to self")
        f.add(f"sub__{tag}", "sub_", [u(3, 4), u(4)], covers=c + ["sub_"])
        f.add(f"div__{tag}", "div_", [u(3, 4), positive(3, 1, dtype=dtype)], covers=c + ["div_"])
        f.add(f"clamp__{tag}", "clamp_", [u(3, 4)], {"min": -0.5, "max": 0.5}, covers=c + ["clamp_"])
        f.add(f"relu__{tag}", "relu_", [u(3, 4)], covers=c + ["relu_"])
        f.add(f"masked_fill__{tag}", "masked_fill_", [u(3, 4), mask(4)], {"value": -7.5}, covers=c + ["masked_fill_"])
        f.add(f"fill__{tag}", "fill_", [u(3, 4)], {"value": 2.5}, covers=c)
        f.add(f"zero__{tag}", "zero_", [u(3, 4)], covers=c)
    f.add("copy__f64_into_f32", "copy_", [uniform(3, 4, dtype=F32), uniform(3, 4, dtype=F64)], covers=c,
          note="copy_ casts src to self's dtype; src's gradient is float64")
    f.add("copy__int64_into_f32", "copy_", [uniform(2, 3, dtype=F32), integers(-5, 5, 2, 3)], covers=c)
    f.add("copy__f64_into_int64", "copy_", [integers(-5, 5, 4), values([-2.7, -0.5, 0.5, 2.7])], covers=c,
          note="copy_ truncates toward zero into integers")
    f.add("copy__transposed_src_f64", "copy_", [uniform(3, 4), uniform(4, 3)], transposed=(1,), covers=c)
    f.add("fill__int64", "fill_", [integers(-5, 5, 3)], {"value": 3.0}, covers=c)
    f.add("div__int64_raises", "div_", [integers(1, 5, 3), integers(1, 5, 3)], covers=c, raises=True,
          note="true division's float result can't be written into int64")
    f.add("copy__broadcast_self_raises", "copy_", [uniform(4), uniform(3, 4)], covers=c, raises=True,
          note="src can't broadcast to a smaller self")


def reduce_more_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        d = lambda *s: distinct(*s, dtype=dtype)
        f.add(f"prod_all_{tag}", "prod", [u(3, 4)])
        f.add(f"prod_dim_{tag}", "prod", [u(2, 3, 4)], {"dims": [1]})
        f.add(f"prod_dim_keepdim_{tag}", "prod", [u(2, 3, 4)], {"dims": [-1], "keepdim": True})
        f.add(f"min_dim_{tag}", "min", [d(3, 4)], {"dim": 1})
        f.add(f"min_all_{tag}", "min", [d(3, 4)])
        f.add(f"argmin_{tag}", "argmin", [d(3, 4)], {"dim": 0})
        f.add(f"var_all_{tag}", "var", [u(3, 4)])
        f.add(f"var_dim_{tag}", "var", [u(3, 5)], {"dims": [1]})
        f.add(f"var_correction0_{tag}", "var", [u(2, 3, 4)], {"dims": [0, 2], "correction": 0.0, "keepdim": True})
        f.add(f"std_{tag}", "std", [u(3, 5)], {"dims": [0]}, covers=["var"])
        f.add(f"norm_2_{tag}", "norm", [u(3, 4)], {"p": 2.0})
        f.add(f"norm_1_dim_{tag}", "norm", [values([[1.0, -2.0, 0.0], [0.5, 0.25, -0.75]], dtype)], {"p": 1.0, "dims": [1]},
              note="the 1-norm's gradient at 0 is 0 (sign)")
        f.add(f"cumsum_{tag}", "cumsum", [u(3, 4)], {"dim": 1})
        f.add(f"cumsum_dim0_{tag}", "cumsum", [u(3, 4)], {"dim": 0})
        f.add(f"topk_{tag}", "topk", [d(3, 6)], {"k": 3, "dim": -1, "largest": True, "sorted": True})
        f.add(f"topk_smallest_{tag}", "topk", [d(3, 6)], {"k": 2, "dim": 1, "largest": False, "sorted": True})
        f.add(f"sort_{tag}", "sort", [d(3, 5)], {"dim": -1, "descending": False})
        f.add(f"sort_descending_dim0_{tag}", "sort", [d(4, 3)], {"dim": 0, "descending": True})
        f.add(f"argsort_{tag}", "argsort", [d(3, 5)], {"dim": 1, "descending": False}, covers=["sort"])
        f.add(f"any_{tag}", "any", [values([[0.0, 0.0, 0.5], [0.0, -0.0, 0.0]], dtype)], {"dims": [1]})
        f.add(f"all_{tag}", "all", [values([[1.0, NAN, 0.5], [1.0, 0.0, 2.0]], dtype)], {"dims": [1]},
              note="nan counts as true")
    # prod with zeros: the gradient of a product with one zero is nonzero only at that zero
    zeros = values([[0.0, 2.0, 3.0, -1.0], [0.0, 0.0, 1.5, 2.0], [1.0, 2.0, -0.5, 4.0]])
    f.add("prod_zeros_dim_f64", "prod", [zeros], {"dims": [1]},
          note="one zero: only it gets a gradient (the others' product); two zeros: all gradients 0")
    f.add("prod_zeros_all_f64", "prod", [values([[2.0, 0.0], [3.0, -1.0]])], note="one zero in the whole tensor")
    f.add("prod_two_zeros_all_f64", "prod", [values([[2.0, 0.0], [0.0, -1.0]])], note="two zeros: gradient all 0")
    f.add("prod_dims_f64", "prod", [uniform(2, 3, 4)], {"dims": [0, 2]})
    f.add("prod_int32", "prod", [integers(-3, 4, 2, 3, dtype=I32)], {"dims": [1]}, note="integer products give int64")
    f.add("prod_bool", "prod", [mask(2, 3)], note="bool products give int64")
    f.add("prod_empty_f64", "prod", [uniform(0, 3)], {"dims": [0]}, grad=False, note="the product of nothing is 1")
    f.add("prod_bf16", "prod", [uniform(2, 4, dtype=BF16, low=0.5, high=1.5)], {"dims": [1]})
    # min: ties, nan, integers
    ties = values([[1.0, -3.0, -3.0, 0.0], [2.0, 2.0, 2.0, 2.0], [-1.0, -5.0, 4.0, -5.0]])
    f.add("min_dim_ties_f64", "min", [ties], {"dim": 1}, note="ties: the first index, and the whole gradient")
    f.add("min_all_ties_f64", "min", [values([[1.0, -3.0], [-3.0, 0.0]])],
          note="min over everything splits the gradient evenly among ties")
    f.add("argmin_ties_f64", "argmin", [ties], {"dim": 1}, note="ties: the first index")
    f.add("min_nan_f64", "min", [values([[1.0, NAN, -3.0, NAN], [1.0, 2.0, 0.0, -1.0]])], {"dim": 1}, grad=False,
          note="nan is the minimum; its index is the first nan")
    f.add("min_all_nan_f64", "min", [values([1.0, NAN, -3.0])], grad=False, note="nan propagates")
    f.add("argmin_nan_f64", "argmin", [values([[1.0, NAN, -3.0, NAN]])], {"dim": 1}, note="nan is the minimum")
    f.add("min_dim_keepdim_int32", "min", [integers(-9, 9, 3, 4, dtype=I32)], {"dim": 0, "keepdim": True})
    f.add("min_all_int64", "min", [integers(-9, 9, 3, 4)])
    f.add("argmin_keepdim_int64", "argmin", [integers(-3, 3, 3, 5)], {"dim": -1, "keepdim": True})
    f.add("min_dim_bf16", "min", [uniform(3, 4, dtype=BF16)], {"dim": 1})
    f.add("min_dim_zerodim_f64", "min", [uniform()], {"dim": 0})
    # var/std: correction, degenerate sizes, low precision
    f.add("var_correction2_f64", "var", [uniform(6, 3)], {"dims": [0], "correction": 2.0})
    f.add("var_single_element_f64", "var", [uniform(1, 3)], {"dims": [0]}, grad=False,
          note="one element with correction 1: 0/0 = nan")
    f.add("var_correction_exceeds_f64", "var", [uniform(2, 3)], {"dims": [0], "correction": 3.0}, grad=False,
          note="N - correction < 0: PyTorch clamps the divisor to 0 and gives inf (or nan)")
    f.add("var_large_offset_f64", "var", [lambda g: torch.rand(50, generator=g, dtype=F64) + 1e8], {"dims": [0]},
          tolerance=(1e-9, 1e-9),
          note="a large common offset: two-pass (or Welford) accuracy")
    f.add("var_large_offset_f32", "var", [lambda g: (torch.rand(64, generator=g, dtype=F64) + 1000).to(F32)],
          {"dims": [0]}, grad=False, note="float32 with an offset: naive sum of squares would lose every digit")
    f.add("var_bf16", "var", [uniform(3, 8, dtype=BF16)], {"dims": [1]})
    f.add("std_all_correction0_f64", "std", [uniform(3, 4)], {"correction": 0.0}, covers=["var"])
    f.add("std_constant_f64", "std", [values([[2.0, 2.0, 2.0], [1.0, 2.0, 3.0]])], {"dims": [1]}, covers=["var"],
          note="std of a constant row: 0, and PyTorch's gradient there is 0 (not 0/0 = nan)")
    f.add("std_f16", "std", [uniform(4, 6, dtype=F16)], {"dims": [1]}, covers=["var"])
    # norm
    f.add("norm_3_f64", "norm", [uniform(3, 4)], {"p": 3.0, "dims": [0], "keepdim": True})
    f.add("norm_half_f64", "norm", [positive(2, 5)], {"p": 0.5, "dims": [1]})
    f.add("norm_inf_f64", "norm", [values([[1.0, -3.0, 2.0], [-0.5, 0.25, 0.5]])], {"p": INF, "dims": [1]},
          note="the largest |x|; the gradient goes to it with its sign")
    f.add("norm_inf_ties_f64", "norm", [values([[1.0, -3.0, 3.0], [0.5, 0.5, -0.5]])], {"p": INF, "dims": [1]},
          note="ties share the inf-norm's gradient evenly")
    f.add("norm_2_zero_f64", "norm", [values([[0.0, 0.0], [3.0, 4.0]])], {"p": 2.0, "dims": [1]},
          note="the 2-norm's gradient at the zero vector is 0, not nan")
    f.add("norm_bf16", "norm", [uniform(3, 8, dtype=BF16)], {"p": 2.0, "dims": [1]})
    # any/all
    f.add("any_all_dims_bool", "any", [mask(3, 4)])
    f.add("all_keepdim_int64", "all", [integers(0, 3, 3, 4)], {"dims": [0], "keepdim": True})
    f.add("any_uint8", "any", [values([[0, 0], [0, 7]], U8)], {"dims": [1]},
          note="PyTorch: any/all of uint8 give uint8 (0/1), every other dtype gives bool")
    f.add("all_empty_f64", "all", [uniform(0, 3)], {"dims": [0]}, note="all of nothing is true")
    f.add("any_empty_f64", "any", [uniform(0, 3)], {"dims": [0]}, note="any of nothing is false")
    # cumsum
    f.add("cumsum_int32", "cumsum", [integers(-5, 5, 3, 4, dtype=I32)], {"dim": 1}, note="integer cumsum gives int64")
    f.add("cumsum_bool", "cumsum", [mask(6)], {"dim": 0}, note="bool cumsum gives int64")
    f.add("cumsum_bf16", "cumsum", [uniform(3, 8, dtype=BF16)], {"dim": 1})
    f.add("cumsum_negative_dim_f64", "cumsum", [uniform(2, 3, 4)], {"dim": -2})
    f.add("cumsum_zerodim_f64", "cumsum", [uniform()], {"dim": 0})
    # topk and sort: nan ordering, stability, integers
    f.add("topk_nan_f64", "topk", [values([[1.0, NAN, 3.0, -1.0, 2.0]])], {"k": 2, "dim": 1, "largest": True, "sorted": True},
          grad=False, note="nan counts as the largest")
    f.add("topk_unsorted_f64", "topk", [distinct(2, 7)], {"k": 3, "dim": -1, "largest": True, "sorted": False},
          note="sorted=False: any order; compared in index order")
    f.add("topk_dim0_f64", "topk", [distinct(5, 3)], {"k": 2, "dim": 0, "largest": True, "sorted": True})
    f.add("topk_k0_f64", "topk", [distinct(2, 4)], {"k": 0, "dim": 1, "largest": True, "sorted": True},
          note="k = 0 gives empty results")
    f.add("topk_int64", "topk", [values([[5, -2, 9, 0, 3]], I64)], {"k": 3, "dim": 1, "largest": True, "sorted": True})
    f.add("topk_bf16", "topk", [distinct(2, 6, dtype=BF16)], {"k": 2, "dim": 1, "largest": True, "sorted": True})
    nans = values([[1.0, NAN, 0.0, NAN, -1.0, 0.0], [INF, -INF, 2.0, 2.0, NAN, -0.0]])
    f.add("sort_nan_f64", "sort", [nans], {"dim": 1, "descending": False}, grad=False,
          note="ascending: nan last; ties (incl. 0 and -0) keep their order (stable)")
    f.add("sort_nan_descending_f64", "sort", [nans], {"dim": 1, "descending": True}, grad=False,
          note="descending: nan first; ties keep their order (stable)")
    f.add("sort_ties_stable_f64", "sort", [values([[2.0, 1.0, 2.0, 1.0, 2.0], [0.0, 0.0, 0.0, 0.0, 0.0]])],
          {"dim": 1, "descending": False}, note="stable: equal keys keep their order; the gradient follows the index")
    f.add("sort_ties_stable_descending_f64", "sort", [values([[2.0, 1.0, 2.0, 1.0, 2.0]])],
          {"dim": 1, "descending": True}, note="stable descending: equal keys still in their original order")
    f.add("argsort_ties_descending_f64", "argsort", [values([[3.0, 1.0, 3.0, 1.0], [1.0, 1.0, 1.0, 0.0]])],
          {"dim": 1, "descending": True}, covers=["sort"])
    f.add("sort_int64", "sort", [integers(-3, 3, 3, 6)], {"dim": 1, "descending": False}, note="stable on ties")
    f.add("sort_int32_descending", "sort", [integers(-3, 3, 2, 8, dtype=I32)], {"dim": -1, "descending": True})
    f.add("sort_bool", "sort", [mask(2, 6)], {"dim": 1, "descending": False})
    f.add("sort_bf16", "sort", [distinct(3, 5, dtype=BF16)], {"dim": 1, "descending": False})
    f.add("sort_zerodim_f64", "sort", [uniform()], {"dim": 0, "descending": False})
    # bincount
    f.add("bincount_int64", "bincount", [values([0, 1, 1, 3, 1, 0, 5], I64)], {"minlength": 0})
    f.add("bincount_minlength", "bincount", [values([2, 0, 2], I64)], {"minlength": 6}, note="minlength pads with 0")
    f.add("bincount_minlength_smaller", "bincount", [values([4, 0, 4], I64)], {"minlength": 2},
          note="minlength below max+1 changes nothing")
    f.add("bincount_weights_f64", "bincount", [values([0, 1, 1, 3], I64), values([0.5, 1.5, -2.0, 4.0])],
          {"minlength": 0}, grad=False, note="weighted: float64 weights give float64")
    f.add("bincount_weights_f32", "bincount", [values([2, 2, 0], I64), values([0.5, 0.25, 1.0], F32)],
          {"minlength": 5}, grad=False, note="float32 weights give float32")
    f.add("bincount_weights_int32", "bincount", [values([1, 1, 0], I64), values([3, 4, 5], I32)], {"minlength": 0},
          grad=False, note="integer weights give float64")
    f.add("bincount_empty", "bincount", [values([], I64)], {"minlength": 3}, note="empty input: minlength zeros")
    f.add("bincount_empty_no_minlength", "bincount", [values([], I64)], {"minlength": 0}, note="empty input: [0]")
    f.add("bincount_uint8", "bincount", [values([3, 3, 1], U8)], {"minlength": 0})
    # strided
    T = (0,)
    f.add("prod_transposed_f64", "prod", [uniform(4, 3)], {"dims": [1]}, transposed=T)
    f.add("var_transposed_f32", "var", [uniform(5, 3, dtype=F32)], {"dims": [1]}, transposed=T)
    f.add("cumsum_transposed_f64", "cumsum", [uniform(4, 3)], {"dim": 1}, transposed=T)
    f.add("sort_transposed_f64", "sort", [distinct(5, 3)], {"dim": 1, "descending": True}, transposed=T)
    f.add("topk_transposed_f64", "topk", [distinct(5, 3)], {"k": 2, "dim": 1, "largest": False, "sorted": True},
          transposed=T)
    f.add("min_dim_transposed_f64", "min", [distinct(4, 3)], {"dim": 1}, transposed=T)
    f.add("any_transposed_bool", "any", [mask(4, 3)], {"dims": [1]}, transposed=T)


def index_more_cases(f):
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"scatter_{tag}", "scatter", [u(3, 5), values([[4, 0], [1, 3], [0, 4]], I64), u(3, 2)],
              {"dim": 1}, note="distinct indices per row: PyTorch leaves duplicates unspecified")
        f.add(f"masked_fill_{tag}", "masked_fill", [u(3, 4), mask(3, 4)], {"value": -1.5})
        f.add(f"masked_select_{tag}", "masked_select", [u(3, 4), mask(3, 4)])
        f.add(f"diagonal_{tag}", "diagonal", [u(3, 4)], {"offset": 0, "dim1": 0, "dim2": 1})
        f.add(f"pad_constant_{tag}", "pad", [u(2, 3)], {"pads": [1, 2, 0, 1], "mode": "constant", "value": 0.5})
        f.add(f"pad_reflect_{tag}", "pad", [u(1, 2, 3, 4)], {"pads": [2, 1, 1, 2], "mode": "reflect"})
        f.add(f"pad_replicate_{tag}", "pad", [u(1, 2, 3, 4)], {"pads": [3, 0, 2, 1], "mode": "replicate"})
        f.add(f"repeat_{tag}", "repeat", [u(2, 3)], {"repeats": [2, 1, 2]}, note="more repeats than dims: new leading dims")
        f.add(f"flip_{tag}", "flip", [u(2, 3, 4)], {"dims": [0, 2]})
        f.add(f"roll_{tag}", "roll", [u(3, 4)], {"shifts": [1, -3], "dims": [0, 1]})
        f.add(f"tril_{tag}", "tril", [u(3, 4)], {"diagonal": 0})
        f.add(f"triu_{tag}", "triu", [u(4, 3)], {"diagonal": 1})
        f.add(f"nonzero_{tag}", "nonzero", [values([[0.0, 1.5, 0.0], [NAN, 0.0, -0.0]], dtype)], note="nan is nonzero")
    f.add("scatter_dim0_f64", "scatter", [uniform(3, 2), values([[2, 0], [0, 1]], I64), uniform(2, 2)], {"dim": 0})
    f.add("scatter_src_larger_f64", "scatter", [uniform(3, 4), values([[3, 0], [1, 2]], I64), uniform(3, 3)], {"dim": 1},
          grad=[True, False, False],
          note="src may be larger than index: only its leading block is read (PyTorch can't differentiate src)")
    f.add("scatter_int64", "scatter", [integers(-5, 5, 2, 4), values([[1, 3], [0, 2]], I64), integers(10, 20, 2, 2)],
          {"dim": 1})
    f.add("masked_fill_broadcast_f64", "masked_fill", [uniform(2, 3, 4), mask(3, 1)], {"value": 2.0})
    f.add("masked_fill_inf_f32", "masked_fill", [uniform(3, 4, dtype=F32), mask(1, 4)], {"value": -INF},
          note="attention-style -inf fill")
    f.add("masked_fill_int64", "masked_fill", [integers(-5, 5, 3, 4), mask(3, 4)], {"value": 7.0})
    f.add("masked_fill_bf16", "masked_fill", [uniform(3, 4, dtype=BF16), mask(3, 4)], {"value": 0.3})
    f.add("masked_select_broadcast_f64", "masked_select", [uniform(3, 1), mask(2, 3, 4)],
          note="x and mask broadcast together; the result is 1-D in row-major order")
    f.add("masked_select_none_f64", "masked_select", [uniform(2, 3), values([[False] * 3] * 2, BOOL)],
          note="an all-false mask gives an empty result")
    f.add("masked_select_int32", "masked_select", [integers(-5, 5, 3, 4, dtype=I32), mask(3, 4)])
    f.add("nonzero_int64", "nonzero", [values([[0, 3, 0, 0], [2, 0, 0, 1]], I64)])
    f.add("nonzero_bool_3d", "nonzero", [mask(2, 2, 3)])
    f.add("nonzero_1d_empty_f64", "nonzero", [values([0.0, 0.0])], note="no nonzeros: [0, 1]")
    f.add("nonzero_zerodim_f64", "nonzero", [values(2.5)], note="a 0-dim tensor gives [1, 0]")
    f.add("diagonal_offset_f64", "diagonal", [uniform(3, 5)], {"offset": 2, "dim1": 0, "dim2": 1})
    f.add("diagonal_negative_offset_f64", "diagonal", [uniform(4, 3)], {"offset": -1, "dim1": 0, "dim2": 1})
    f.add("diagonal_3d_f64", "diagonal", [uniform(2, 3, 4)], {"offset": 1, "dim1": -1, "dim2": 0},
          note="the diagonal becomes the last dim")
    f.add("diagonal_offset_past_end_f64", "diagonal", [uniform(3, 3)], {"offset": 5, "dim1": 0, "dim2": 1},
          note="an offset past the end gives an empty diagonal")
    f.add("diagonal_int32", "diagonal", [integers(-5, 5, 3, 3, dtype=I32)], {"offset": 0, "dim1": 1, "dim2": 0})
    f.add("pad_constant_3_dims_f64", "pad", [uniform(2, 2, 3)], {"pads": [0, 1, 2, 0, 1, 1], "mode": "constant",
                                                                 "value": -1.0})
    f.add("pad_constant_negative_f64", "pad", [uniform(3, 5)], {"pads": [-1, 2, 1, -2], "mode": "constant", "value": 0.0},
          note="negative pads crop")
    f.add("pad_constant_int64", "pad", [integers(-5, 5, 2, 3)], {"pads": [1, 1], "mode": "constant", "value": 9.0})
    f.add("pad_constant_bf16", "pad", [uniform(2, 3, dtype=BF16)], {"pads": [2, 0], "mode": "constant", "value": 0.0})
    f.add("pad_reflect_3d_f64", "pad", [uniform(2, 3, 5)], {"pads": [4, 3], "mode": "reflect"},
          note="reflect excludes the edge: pads up to size - 1")
    f.add("pad_reflect_2d_unbatched_f64", "pad", [uniform(1, 3, 4)], {"pads": [1, 3, 2, 0], "mode": "reflect"})
    f.add("pad_replicate_3d_f64", "pad", [uniform(2, 2, 3)], {"pads": [5, 2], "mode": "replicate"},
          note="replicate may pad more than the size")
    f.add("pad_replicate_one_wide_f64", "pad", [uniform(1, 1, 1, 3)], {"pads": [1, 1, 2, 2], "mode": "replicate"})
    f.add("repeat_f64_same_rank", "repeat", [uniform(2, 1, 3)], {"repeats": [1, 4, 2]})
    f.add("repeat_zero_f64", "repeat", [uniform(2, 3)], {"repeats": [0, 2]}, note="a zero repeat gives an empty result")
    f.add("repeat_int32", "repeat", [integers(-5, 5, 3, dtype=I32)], {"repeats": [2, 2]})
    f.add("flip_negative_dims_f64", "flip", [uniform(2, 3, 4)], {"dims": [-1]})
    f.add("flip_empty_dims_f64", "flip", [uniform(2, 3)], {"dims": []}, note="no dims: unchanged")
    f.add("flip_bool", "flip", [mask(3, 4)], {"dims": [0, 1]})
    f.add("roll_flat_f64", "roll", [uniform(3, 4)], {"shifts": [5], "dims": []}, note="no dims: rolls the flattened tensor")
    f.add("roll_large_shift_f64", "roll", [uniform(2, 5)], {"shifts": [-12], "dims": [1]}, note="shifts wrap modulo the size")
    f.add("roll_int64", "roll", [integers(-5, 5, 2, 3)], {"shifts": [1, 1], "dims": [1, 0]})
    f.add("tril_negative_f64", "tril", [uniform(4, 4)], {"diagonal": -1})
    f.add("tril_batched_f64", "tril", [uniform(2, 3, 4)], {"diagonal": 1})
    f.add("triu_large_diagonal_f64", "triu", [uniform(3, 3)], {"diagonal": 5}, note="past the end: all zero")
    f.add("triu_int32", "triu", [integers(-5, 5, 3, 3, dtype=I32)], {"diagonal": -1})
    f.add("one_hot_default", "one_hot", [values([2, 0, 1, 2], I64)], {"num_classes": -1},
          note="num_classes -1: max + 1 classes; int64 result")
    f.add("one_hot_classes", "one_hot", [values([[0, 3], [1, 1]], I64)], {"num_classes": 5})
    f.add("one_hot_zerodim", "one_hot", [values(2, I64)], {"num_classes": 4})
    f.add("one_hot_empty", "one_hot", [values([], I64)], {"num_classes": 3})
    # strided inputs
    T = (0,)
    f.add("masked_fill_transposed_f64", "masked_fill", [uniform(4, 3), mask(3, 4)], {"value": 1.0}, transposed=T)
    f.add("masked_select_transposed_f64", "masked_select", [uniform(4, 3), mask(3, 4)], transposed=T)
    f.add("pad_reflect_transposed_f64", "pad", [uniform(1, 1, 5, 4)], {"pads": [1, 1, 2, 2], "mode": "reflect"},
          transposed=T)
    f.add("flip_transposed_f64", "flip", [uniform(4, 3)], {"dims": [1]}, transposed=T)
    f.add("roll_transposed_f64", "roll", [uniform(4, 3)], {"shifts": [1], "dims": [1]}, transposed=T)
    f.add("tril_transposed_f64", "tril", [uniform(4, 3)], {"diagonal": 0}, transposed=T)
    f.add("diagonal_transposed_f64", "diagonal", [uniform(4, 3)], {"offset": 1, "dim1": 0, "dim2": 1}, transposed=T)
    f.add("repeat_transposed_f64", "repeat", [uniform(3, 2)], {"repeats": [2, 1]}, transposed=T)
    f.add("scatter_transposed_f64", "scatter", [uniform(5, 3), values([[1, 0], [2, 4], [3, 0]], I64), uniform(2, 3)],
          {"dim": 1}, transposed=(0, 2))
    f.add("nonzero_transposed_f64", "nonzero", [values([[0.0, 1.0, 0.0], [2.0, 0.0, 3.0]])], transposed=T,
          note="indices of the transposed (strided) view, row-major")


def contract_cases(f):
    equations = [
        ("matmul", "ij,jk->ik", [(3, 4), (4, 5)]),
        ("batched", "bij,bjk->bik", [(2, 3, 4), (2, 4, 2)]),
        ("diagonal", "ii->i", [(3, 3)]),
        ("trace", "ii->", [(4, 4)]),
        ("transpose", "ij->ji", [(3, 4)]),
        ("outer", "i,j->ij", [(3,), (4,)]),
        ("dot", "i,i->", [(5,)] * 2),
        ("sum_all", "ij->", [(3, 4)]),
        ("sum_rows", "ij->i", [(3, 4)]),
        ("implicit", "ij,jk", [(3, 4), (4, 2)]),
        ("implicit_order", "ba,ac", [(3, 4), (4, 2)]),
        ("batch_permute", "bij,bkj->bki", [(2, 3, 4), (2, 5, 4)]),
        ("hadamard", "ij,ij->ij", [(3, 4)] * 2),
        ("broadcast_sum", "ij,kj->j", [(3, 4), (2, 4)]),
        ("spaces", "i j , j k -> i k", [(2, 3), (3, 2)]),
        ("ellipsis", "...ij,...jk->...ik", [(2, 3, 4), (2, 4, 2)]),
        ("attention", "bhqd,bhkd->bhqk", [(2, 2, 3, 4), (2, 2, 5, 4)]),
    ]
    for name, equation, shapes in equations:
        for dtype, tag in FLOATS:
            if tag == "f32" and name not in ("matmul", "batched", "trace"):
                continue
            f.add(f"einsum_{name}_{tag}", "einsum", [uniform(*s, dtype=dtype) for s in shapes], {"equation": equation},
                  tolerance=CHAINED[dtype], covers=["matmul"] if name in ("matmul",) else ())
    f.add("einsum_transposed_f64", "einsum", [uniform(4, 3), uniform(5, 4)], {"equation": "ij,kj->ik"}, transposed=(0,))
    f.add("einsum_repeated_in_one_operand_f64", "einsum", [uniform(3, 3, 4)], {"equation": "iij->j"},
          note="a label repeated within one operand takes its diagonal")
    f.add("einsum_int64", "einsum", [integers(-3, 3, 2, 3), integers(-3, 3, 3, 2)], {"equation": "ij,jk->ik"},
          deviation="nabla's matmul (and so einsum's contractions) takes floating operands only")
    for dtype, tag in FLOATS:
        f.add(f"outer_{tag}", "outer", [uniform(3, dtype=dtype), uniform(4, dtype=dtype)])
        f.add(f"bmm_{tag}", "bmm", [uniform(2, 3, 4, dtype=dtype), uniform(2, 4, 5, dtype=dtype)], covers=["matmul"],
              tolerance=CHAINED[dtype])
        f.add(f"cdist_{tag}", "cdist", [uniform(4, 3, dtype=dtype), uniform(5, 3, dtype=dtype)], {"p": 2.0},
              tolerance=CHAINED[dtype])
        f.add(f"linear_{tag}", "linear", [uniform(2, 3, 4, dtype=dtype), uniform(5, 4, dtype=dtype), uniform(5, dtype=dtype)],
              covers=["matmul"], tolerance=CHAINED[dtype])
    f.add("outer_int64", "outer", [integers(-3, 3, 3), integers(-3, 3, 2)])
    f.add("outer_promote_f32_f64", "outer", [uniform(3, dtype=F32), uniform(2)])
    f.add("bmm_transposed_f64", "bmm", [uniform(2, 4, 3), uniform(2, 5, 4)], transposed=(0, 1), covers=["matmul"])
    f.add("bmm_bf16", "bmm", [uniform(2, 3, 4, dtype=BF16), uniform(2, 4, 2, dtype=BF16)], tolerance=CHAINED[BF16])
    f.add("cdist_p1_f64", "cdist", [uniform(3, 4), uniform(2, 4)], {"p": 1.0})
    f.add("cdist_pinf_f64", "cdist", [uniform(3, 4), uniform(2, 4)], {"p": INF})
    f.add("cdist_p3_f64", "cdist", [uniform(3, 4), uniform(2, 4)], {"p": 3.0})
    f.add("cdist_batched_f64", "cdist", [uniform(2, 3, 4), uniform(2, 5, 4)], {"p": 2.0})
    f.add("cdist_broadcast_batch_f64", "cdist", [uniform(2, 1, 3, 2), uniform(4, 5, 2)], {"p": 2.0},
          note="batch dims broadcast: [2, 4, 3, 5]")
    f.add("cdist_zero_distance_f64", "cdist", [values([[1.0, 2.0], [0.5, -0.5]]), values([[1.0, 2.0], [0.0, 0.0]])],
          {"p": 2.0}, note="a zero distance has gradient 0, not nan")
    f.add("cdist_transposed_f64", "cdist", [uniform(3, 4), uniform(3, 5)], {"p": 2.0}, transposed=(0, 1))
    f.add("linear_no_bias_f64", "linear", [uniform(3, 4), uniform(2, 4)], covers=["matmul"])
    f.add("linear_1d_input_f64", "linear", [uniform(4), uniform(3, 4), uniform(3)], note="a 1-D input gives [out]")
    f.add("linear_transposed_weight_f64", "linear", [uniform(2, 4), uniform(4, 3), uniform(3)], transposed=(1,))
    f.add("linear_bf16", "linear", [uniform(2, 4, dtype=BF16), uniform(3, 4, dtype=BF16), uniform(3, dtype=BF16)],
          tolerance=CHAINED[BF16])


def window_cases(f):
    """unfold (im2col) and fold (col2im)."""
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"unfold_{tag}", "unfold", [u(2, 2, 4, 5)], {"kernel_size": [2, 3]}, covers=["im2col", "col2im"],
              note="the gradient of im2col is col2im")
        f.add(f"fold_{tag}", "fold", [u(2, 2 * 2 * 3, 6)], {"output_size": [3, 5], "kernel_size": [2, 3]},
              covers=["col2im", "im2col"], note="overlaps sum; the gradient is im2col")
    f.add("unfold_stride_padding_dilation_f64", "unfold", [uniform(1, 2, 5, 6)],
          {"kernel_size": [2, 2], "dilation": [2, 1], "padding": [1, 2], "stride": [2, 3]}, covers=["im2col", "col2im"])
    f.add("fold_stride_padding_dilation_f64", "fold", [uniform(1, 3 * 2 * 2, 9)],
          {"output_size": [4, 5], "kernel_size": 2, "dilation": [1, 2], "padding": 1, "stride": [2, 2]},
          covers=["col2im", "im2col"])
    f.add("unfold_unbatched_f64", "unfold", [uniform(2, 3, 3)], {"kernel_size": 2}, covers=["im2col"],
          note="a 3-D input [C, H, W] gives [C·kh·kw, L]")
    f.add("unfold_transposed_f64", "unfold", [uniform(1, 2, 5, 4)], {"kernel_size": 2, "stride": 1}, transposed=(0,),
          covers=["im2col"])
    f.add("unfold_bf16", "unfold", [uniform(1, 2, 3, 3, dtype=BF16)], {"kernel_size": 2}, covers=["im2col"])


# ---- random ops: properties any correct sampler has (make_fixtures.py checks that PyTorch's samples have
# them; test_golden.cpp checks nabla's). Each returns a list of what is wrong.


def within_five_sigma(count, trials, p):
    spread = 5 * (trials * p * (1 - p)) ** 0.5
    return abs(count - trials * p) <= spread


def bernoulli_property(xs, outputs, args):
    p, sample = xs[0].to(F64), outputs[0].to(F64)
    problems = []
    if outputs[0].dtype != xs[0].dtype or outputs[0].shape != xs[0].shape:
        problems.append("dtype or shape differs from the input's")
    if not bool(((sample == 0) | (sample == 1)).all()):
        problems.append("a sample is neither 0 nor 1")
    if bool((sample[p == 0] != 0).any()) or bool((sample[p == 1] != 1).any()):
        problems.append("p = 0 gave 1 or p = 1 gave 0")
    middle = (p > 0) & (p < 1)
    if not within_five_sigma(float(sample[middle].sum()), int(middle.sum()), args["p"]):
        problems.append("the frequency of ones is off by more than 5 sigma")
    return problems


def multinomial_property(xs, outputs, args):
    weights, sample = xs[0], outputs[0]
    problems = []
    if sample.dtype != I64 or list(sample.shape) != [weights.shape[0], args["samples"]]:
        problems.append("not int64 [rows, samples]")
        return problems
    for row in range(weights.shape[0]):
        drawn = sample[row].tolist()
        if any(not 0 <= k < weights.shape[1] or weights[row, k] == 0 for k in drawn):
            problems.append(f"row {row} drew a category of weight 0 (or out of range)")
        if not args["replacement"] and len(set(drawn)) != len(drawn):
            problems.append(f"row {row} drew a category twice without replacement")
    return problems


def dropout_property(xs, outputs, args):
    x, y, p = xs[0].to(F64), outputs[0].to(F64), args["p"]
    problems = []
    kept = y != 0
    if bool(((y[kept] - x[kept] / (1 - p)).abs() > 1e-12 * x[kept].abs().max()).any()):
        problems.append("a kept element is not x / (1 - p)")
    if not within_five_sigma(float((~kept).sum()), x.numel(), p):
        problems.append("the frequency of zeros is off by more than 5 sigma")
    return problems


PROPERTIES = {"bernoulli": bernoulli_property, "multinomial": multinomial_property, "dropout": dropout_property}


def random_cases(f):
    """Random ops can't match PyTorch's generator: only calls with a deterministic result are golden."""
    note = "deterministic: every probability is 0 or 1"
    f.add("bernoulli_zero_one_f64", "bernoulli", [values([[0.0, 1.0, 1.0], [0.0, 0.0, 1.0]])], grad=False, note=note)
    f.add("bernoulli_zero_one_f32", "bernoulli", [values([1.0, 0.0, 1.0, 0.0], F32)], grad=False, note=note)
    f.add("bernoulli_zero_one_bf16", "bernoulli", [values([1.0, 0.0, 1.0], BF16)], grad=False, note=note)
    f.add("multinomial_one_category", "multinomial", [one_hot_rows(3, 4, [2, 0, 3])], {"samples": 1, "replacement": False},
          grad=False, note="one category with weight per row: always drawn; weights need not sum to 1")
    f.add("multinomial_one_category_replacement", "multinomial", [one_hot_rows(2, 5, [4, 1])],
          {"samples": 3, "replacement": True}, grad=False)
    f.add("multinomial_1d_f32", "multinomial", [values([0.0, 0.0, 2.0], F32)], {"samples": 1, "replacement": False},
          grad=False, note="a 1-D input gives [samples]")
    # Shortcuts of functional::dropout that never reach the dropout op: they cover no op.
    f.add("dropout_p0_f64", "dropout", [uniform(3, 4)], {"p": 0.0, "training": True}, note="p = 0: the identity",
          covers_op=False)
    f.add("dropout_p1_f64", "dropout", [uniform(3, 4)], {"p": 1.0, "training": True}, note="p = 1: all zeros",
          covers_op=False)
    f.add("dropout_eval_f32", "dropout", [uniform(3, 4, dtype=F32)], {"p": 0.5, "training": False},
          note="not training: the identity", covers_op=False)
    # Properties, not values: PyTorch's generator can't be matched.
    f.add("bernoulli_property_f32", "bernoulli",
          [lambda g: torch.tensor([0.0, 0.3, 1.0, 0.3] * 300, dtype=F32)], {"p": 0.3}, check="bernoulli",
          note="0/1 samples, p = 0 and 1 exact, frequency of ones within 5 sigma")
    f.add("bernoulli_property_transposed_f64", "bernoulli",
          [lambda g: torch.tensor([[0.0, 0.6, 1.0, 0.6]] * 200, dtype=F64)], {"p": 0.6}, check="bernoulli",
          transposed=(0,))
    f.add("multinomial_property", "multinomial",
          [values([[0.0, 1.0, 2.0, 0.0, 3.0, 1.0], [5.0, 0.0, 0.0, 1.0, 1.0, 0.5], [0.1, 0.1, 0.1, 0.1, 0.0, 0.1]])],
          {"samples": 4, "replacement": False}, check="multinomial",
          note="without replacement: distinct categories, never one of weight 0")
    f.add("multinomial_property_replacement_f32", "multinomial",
          [values([[0.0, 1.0, 2.0, 0.0], [1.0, 0.0, 0.0, 0.0]], F32)], {"samples": 50, "replacement": True},
          check="multinomial", note="with replacement: never a category of weight 0")
    f.add("dropout_property_f64", "dropout", [positive(1200)], {"p": 0.3, "training": True}, check="dropout",
          note="kept elements scaled by 1/(1-p), zeros at frequency p; the gradient is upstream·y/x")
    f.add("dropout_property_f32", "dropout", [positive(40, 30, dtype=F32)], {"p": 0.5, "training": True},
          check="dropout", transposed=(0,))
    f.add("bernoulli_p_above_one_raises", "bernoulli", [values([0.5, 1.5])], raises=True,
          note="probabilities must lie in [0, 1]")
    f.add("multinomial_too_many_samples_raises", "multinomial", [values([[0.5, 0.5, 0.0]])],
          {"samples": 4, "replacement": False}, raises=True, note="without replacement, samples ≤ categories")
    f.add("multinomial_negative_raises", "multinomial", [values([[0.5, -0.1, 0.6]])], {"samples": 1, "replacement": True},
          raises=True)
    f.add("multinomial_zero_row_raises", "multinomial", [values([[0.0, 0.0], [0.5, 0.5]])],
          {"samples": 1, "replacement": True}, raises=True, note="a row of zeros has nothing to draw")
    f.add("dropout_p_out_of_range_raises", "dropout", [uniform(3)], {"p": 1.5, "training": True}, raises=True)
    f.add("multinomial_int64_raises", "multinomial", [values([[1, 2]], I64)], {"samples": 1, "replacement": True},
          raises=True, note="probabilities must be floating")


def conv_cases(f):
    def conv(name, x, w, b, args, **kw):
        makers = [x, w] + ([b] if b is not None else [])
        args = {"tensors": ["x", "weight"] + (["bias"] if b is not None else []), **args}
        dtype = kw.pop("dtype", F64)
        f.add(name, "conv2d", makers, args, covers=["conv2d_backward_weight"], tolerance=CHAINED[dtype], **kw)

    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        conv(f"conv2d_{tag}", u(2, 3, 5, 5), u(4, 3, 3, 3), u(4), {}, dtype=dtype)
        conv(f"conv2d_stride_padding_{tag}", u(1, 2, 6, 5), u(3, 2, 3, 2), u(3), {"stride": [2, 1], "padding": [1, 2]},
             dtype=dtype)
        conv(f"conv2d_dilation_{tag}", u(1, 2, 7, 6), u(2, 2, 3, 2), None, {"dilation": [2, 3], "padding": 1}, dtype=dtype)
        conv(f"conv2d_groups_{tag}", u(2, 4, 5, 4), u(6, 2, 2, 3), u(6), {"groups": 2, "stride": 2}, dtype=dtype)
    conv("conv2d_depthwise_f64", uniform(1, 3, 5, 5), uniform(6, 1, 3, 3), uniform(6), {"groups": 3, "padding": 1},
         note="depthwise: groups = in_channels, 2 filters each")
    conv("conv2d_stride_larger_than_kernel_f64", uniform(1, 1, 7, 7), uniform(2, 1, 2, 2), None, {"stride": 3},
         note="stride > kernel skips input rows; their gradient is 0")
    conv("conv2d_1x1_f64", uniform(2, 3, 3, 4), uniform(5, 3, 1, 1), uniform(5), {})
    conv("conv2d_kernel_as_input_f64", uniform(1, 2, 3, 3), uniform(2, 2, 3, 3), uniform(2), {}, note="output 1×1")
    conv("conv2d_transposed_input_f64", uniform(1, 2, 5, 4), uniform(3, 2, 2, 3), uniform(3), {"padding": 1},
         transposed=(0,))
    conv("conv2d_transposed_weight_f32", uniform(1, 2, 4, 5, dtype=F32), uniform(3, 2, 3, 2, dtype=F32), None, {},
         transposed=(1,), dtype=F32)
    conv("conv2d_unbatched_f64", uniform(2, 4, 4), uniform(3, 2, 2, 2), uniform(3), {"padding": 1},
         note="a 3-D input [C, H, W] gives [O, H', W']")
    conv("conv2d_bf16", uniform(1, 2, 4, 4, dtype=BF16), uniform(3, 2, 2, 2, dtype=BF16), uniform(3, dtype=BF16), {},
         dtype=BF16)
    conv("conv2d_f16", uniform(1, 2, 4, 4, dtype=F16), uniform(2, 2, 3, 3, dtype=F16), None, {"padding": 1}, dtype=F16)

    def conv1d(name, x, w, b, args, **kw):
        makers = [x, w] + ([b] if b is not None else [])
        f.add(name, "conv1d", makers, {"tensors": ["x", "weight"] + (["bias"] if b is not None else []), **args},
              covers=["conv2d", "conv2d_backward_weight"], tolerance=CHAINED[kw.pop("dtype", F64)], **kw)

    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        conv1d(f"conv1d_{tag}", u(2, 3, 8), u(4, 3, 3), u(4), {"stride": 2, "padding": 1}, dtype=dtype)
    conv1d("conv1d_dilation_groups_f64", uniform(1, 4, 9), uniform(4, 2, 3), None, {"dilation": 2, "groups": 2})

    def tconv(name, x, w, b, args, **kw):
        makers = [x, w] + ([b] if b is not None else [])
        f.add(name, "conv_transpose2d", makers, {"tensors": ["x", "weight"] + (["bias"] if b is not None else []), **args},
              covers=["conv2d_backward_weight"], tolerance=CHAINED[kw.pop("dtype", F64)], **kw)

    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        tconv(f"conv_transpose2d_{tag}", u(2, 3, 3, 4), u(3, 2, 3, 3), u(2), {}, dtype=dtype)
        tconv(f"conv_transpose2d_stride_output_padding_{tag}", u(1, 2, 3, 3), u(2, 3, 3, 2), u(3),
              {"stride": [2, 3], "padding": [1, 0], "output_padding": [1, 2]}, dtype=dtype,
              note="output_padding adds rows/columns at the bottom/right")
    tconv("conv_transpose2d_groups_dilation_f64", uniform(1, 4, 3, 3), uniform(4, 1, 2, 2), None,
          {"groups": 2, "dilation": 2, "stride": 2, "output_padding": 1},
          note="output_padding < max(stride, dilation); weight [C_in, O/groups, kh, kw]")
    tconv("conv_transpose2d_padding_f64", uniform(1, 1, 4, 4), uniform(1, 2, 3, 3), uniform(2), {"padding": 1, "stride": 2})
    tconv("conv_transpose2d_transposed_input_f64", uniform(1, 2, 4, 3), uniform(2, 2, 2, 2), None, {}, transposed=(0,))
    tconv("conv_transpose2d_unbatched_f64", uniform(2, 3, 3), uniform(2, 1, 2, 2), uniform(1), {"stride": 2})
    tconv("conv_transpose2d_bf16", uniform(1, 2, 3, 3, dtype=BF16), uniform(2, 2, 2, 2, dtype=BF16), None, {},
          dtype=BF16)

    errors = [
        ("conv2d_channel_mismatch_raises", [uniform(1, 3, 5, 5), uniform(2, 2, 3, 3)], {}),
        ("conv2d_groups_not_dividing_raises", [uniform(1, 3, 5, 5), uniform(2, 1, 3, 3)], {"groups": 2}),
        ("conv2d_kernel_too_large_raises", [uniform(1, 1, 2, 2), uniform(1, 1, 3, 3)], {}),
        ("conv2d_zero_stride_raises", [uniform(1, 1, 4, 4), uniform(1, 1, 2, 2)], {"stride": 0}),
        ("conv2d_negative_padding_raises", [uniform(1, 1, 4, 4), uniform(1, 1, 2, 2)], {"padding": -1}),
        ("conv2d_2d_input_raises", [uniform(4, 4), uniform(1, 1, 2, 2)], {}),
        ("conv2d_dtype_mismatch_raises", [uniform(1, 1, 4, 4), uniform(1, 1, 2, 2, dtype=F32)], {}),
    ]
    for name, makers, args in errors:
        f.add(name, "conv2d", makers, {"tensors": ["x", "weight"], **args}, raises=True)
    f.add("conv2d_bias_size_raises", "conv2d", [uniform(1, 1, 4, 4), uniform(2, 1, 2, 2), uniform(3)],
          {"tensors": ["x", "weight", "bias"]}, raises=True)
    f.add("conv_transpose2d_output_padding_too_large_raises", "conv_transpose2d",
          [uniform(1, 1, 3, 3), uniform(1, 1, 2, 2)], {"tensors": ["x", "weight"], "stride": 2, "output_padding": 2},
          raises=True, note="output_padding must be smaller than stride or dilation")
    f.add("conv_transpose2d_channel_mismatch_raises", "conv_transpose2d", [uniform(1, 2, 3, 3), uniform(3, 1, 2, 2)],
          {"tensors": ["x", "weight"]}, raises=True)
    f.add("conv1d_channel_mismatch_raises", "conv1d", [uniform(1, 2, 5), uniform(1, 3, 2)], {"tensors": ["x", "weight"]},
          raises=True)
    f.add("linear_shape_mismatch_raises", "linear", [uniform(2, 3), uniform(4, 2)], raises=True)


def pool_cases(f):
    mp = ["max_pool2d"]
    for dtype, tag in FLOATS:
        d = lambda *s: distinct(*s, dtype=dtype)
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"max_pool2d_{tag}", "max_pool2d", [d(2, 2, 4, 6)], {"kernel_size": 2})
        f.add(f"max_pool2d_stride_padding_{tag}", "max_pool2d", [d(1, 2, 5, 5)],
              {"kernel_size": 3, "stride": 2, "padding": 1}, note="padding counts as -inf")
        f.add(f"max_pool2d_with_indices_{tag}", "max_pool2d_with_indices", [d(1, 2, 4, 5)],
              {"kernel_size": [2, 3], "stride": [2, 1]}, covers=mp, note="indices are flat in each H×W plane")
        f.add(f"avg_pool2d_{tag}", "avg_pool2d", [u(2, 2, 4, 6)], {"kernel_size": 2}, covers=["avg_pool2d_backward"])
        f.add(f"avg_pool2d_padding_{tag}", "avg_pool2d", [u(1, 2, 5, 5)],
              {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": True}, covers=["avg_pool2d_backward"])
        f.add(f"adaptive_avg_pool2d_{tag}", "adaptive_avg_pool2d", [u(2, 2, 5, 7)], {"output_size": [2, 3]},
              covers=["adaptive_avg_pool2d_backward"], note="windows [floor(i·H/h), ceil((i+1)·H/h)) overlap")
        f.add(f"adaptive_max_pool2d_{tag}", "adaptive_max_pool2d", [d(1, 2, 5, 7)], {"output_size": [3, 2]})
    f.add("max_pool2d_ceil_mode_f64", "max_pool2d", [distinct(1, 1, 5, 5)], {"kernel_size": 2, "stride": 2, "ceil_mode": True},
          note="ceil_mode keeps the partial last window: 3×3")
    f.add("max_pool2d_ceil_mode_window_in_padding_f64", "max_pool2d", [distinct(1, 1, 5, 5)],
          {"kernel_size": 2, "stride": 2, "padding": 1, "ceil_mode": True},
          note="a last window that would start in the right padding is dropped: 3×3, not 4×4")
    f.add("max_pool2d_ceil_mode_last_window_kept_f64", "max_pool2d", [distinct(1, 1, 6, 6)],
          {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True},
          note="the last window starts inside the input (at 5): kept, 4×4")
    f.add("max_pool2d_dilation_f64", "max_pool2d", [distinct(1, 2, 7, 6)], {"kernel_size": 2, "dilation": [2, 3], "stride": 1})
    f.add("max_pool2d_dilation_padding_ceil_f64", "max_pool2d", [distinct(1, 1, 7, 7)],
          {"kernel_size": 3, "stride": 2, "padding": 1, "dilation": 2, "ceil_mode": True})
    f.add("max_pool2d_ties_f64", "max_pool2d_with_indices", [values([[[[1.0, 1.0, 0.0, 2.0], [1.0, 0.5, 2.0, 2.0]]]])],
          {"kernel_size": 2}, covers=mp, note="ties: the first maximum in the window (row-major) takes the gradient")
    f.add("max_pool2d_overlap_f64", "max_pool2d", [distinct(1, 1, 4, 4)], {"kernel_size": 3, "stride": 1},
          note="overlapping windows: a shared maximum gets both gradients")
    f.add("max_pool2d_nan_f64", "max_pool2d_with_indices", [values([[[[1.0, NAN, 0.0, 2.0], [3.0, 0.5, NAN, NAN]]]])],
          {"kernel_size": 2}, covers=mp, grad=False, note="nan is the maximum")
    f.add("max_pool2d_neg_inf_f64", "max_pool2d", [values([[[[-INF, -INF], [-INF, -INF]]]])], {"kernel_size": 2},
          grad=False, note="a window of -inf gives -inf")
    f.add("max_pool2d_unbatched_f64", "max_pool2d", [distinct(2, 4, 4)], {"kernel_size": 2, "stride": 1},
          note="a 3-D input [C, H, W]")
    f.add("max_pool2d_bf16", "max_pool2d", [distinct(1, 1, 4, 4, dtype=BF16)], {"kernel_size": 2})
    f.add("max_pool2d_int64", "max_pool2d", [integers(-9, 9, 1, 1, 4, 4)], {"kernel_size": 2},
          note="PyTorch's CPU max_pool2d accepts int64")
    f.add("max_pool2d_transposed_f64", "max_pool2d", [distinct(1, 2, 6, 4)], {"kernel_size": 2, "stride": [1, 2]},
          transposed=(0,))
    f.add("avg_pool2d_exclude_pad_f64", "avg_pool2d", [uniform(1, 2, 5, 5)],
          {"kernel_size": 3, "stride": 2, "padding": 1, "count_include_pad": False}, covers=["avg_pool2d_backward"],
          note="count_include_pad=False divides by the window's cells inside the input")
    f.add("avg_pool2d_ceil_mode_f64", "avg_pool2d", [uniform(1, 1, 5, 5)], {"kernel_size": 2, "stride": 2, "ceil_mode": True},
          covers=["avg_pool2d_backward"],
          note="ceil_mode's partial window divides by its cells inside input+padding, not the full kernel")
    f.add("avg_pool2d_ceil_mode_padding_f64", "avg_pool2d", [uniform(1, 1, 6, 5)],
          {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": True},
          covers=["avg_pool2d_backward"], note="the divisor counts padding but not cells past the padding")
    f.add("avg_pool2d_ceil_mode_exclude_pad_f64", "avg_pool2d", [uniform(1, 1, 6, 5)],
          {"kernel_size": 3, "stride": 2, "padding": 1, "ceil_mode": True, "count_include_pad": False},
          covers=["avg_pool2d_backward"])
    f.add("avg_pool2d_rect_f64", "avg_pool2d", [uniform(2, 1, 6, 7)], {"kernel_size": [3, 2], "stride": [1, 3]},
          covers=["avg_pool2d_backward"])
    f.add("avg_pool2d_unbatched_f64", "avg_pool2d", [uniform(2, 4, 4)], {"kernel_size": 2}, covers=["avg_pool2d_backward"])
    f.add("avg_pool2d_int64", "avg_pool2d", [values([[[[1, 2, 4], [3, 5, -7], [0, 1, 1]]]], I64)], {"kernel_size": 2,
          "stride": 1}, covers=["avg_pool2d_backward"], note="PyTorch averages integers with truncating division",
          deviation="nabla's avg_pool2d takes floating inputs only")
    f.add("avg_pool2d_bf16", "avg_pool2d", [uniform(1, 2, 4, 4, dtype=BF16)], {"kernel_size": 2},
          covers=["avg_pool2d_backward"])
    f.add("avg_pool2d_transposed_f32", "avg_pool2d", [uniform(1, 2, 6, 4, dtype=F32)], {"kernel_size": 2},
          transposed=(0,), covers=["avg_pool2d_backward"])
    f.add("adaptive_avg_pool2d_global_f64", "adaptive_avg_pool2d", [uniform(2, 3, 4, 5)], {"output_size": 1},
          covers=["adaptive_avg_pool2d_backward"])
    f.add("adaptive_avg_pool2d_upsample_f64", "adaptive_avg_pool2d", [uniform(1, 1, 2, 3)], {"output_size": [4, 5]},
          covers=["adaptive_avg_pool2d_backward"], note="output larger than input: windows repeat cells")
    f.add("adaptive_avg_pool2d_unbatched_f64", "adaptive_avg_pool2d", [uniform(2, 6, 6)], {"output_size": 3},
          covers=["adaptive_avg_pool2d_backward"])
    f.add("adaptive_avg_pool2d_bf16", "adaptive_avg_pool2d", [uniform(1, 2, 5, 5, dtype=BF16)], {"output_size": 2},
          covers=["adaptive_avg_pool2d_backward"])
    f.add("adaptive_avg_pool2d_transposed_f64", "adaptive_avg_pool2d", [uniform(1, 2, 7, 5)], {"output_size": [2, 3]},
          transposed=(0,), covers=["adaptive_avg_pool2d_backward"])
    f.add("adaptive_max_pool2d_overlap_f64", "adaptive_max_pool2d", [distinct(1, 1, 5, 5)], {"output_size": 3},
          note="overlapping windows")
    f.add("adaptive_max_pool2d_ties_f64", "adaptive_max_pool2d", [values([[[[2.0, 2.0, 1.0], [2.0, 0.0, 1.0]]]])],
          {"output_size": [1, 2]}, note="ties: the first maximum takes the gradient")
    f.add("adaptive_max_pool2d_global_f32", "adaptive_max_pool2d", [distinct(2, 3, 3, 4, dtype=F32)], {"output_size": 1})
    errors = [
        ("max_pool2d_padding_too_large_raises", "max_pool2d", [uniform(1, 1, 5, 5)], {"kernel_size": 2, "padding": 2},
         "padding must be at most half the kernel"),
        ("max_pool2d_output_empty_raises", "max_pool2d", [uniform(1, 1, 2, 2)], {"kernel_size": 3}, None),
        ("max_pool2d_zero_stride_raises", "max_pool2d", [uniform(1, 1, 4, 4)], {"kernel_size": 2, "stride": 0}, None),
        ("max_pool2d_2d_input_raises", "max_pool2d", [uniform(4, 4)], {"kernel_size": 2}, None),
        ("avg_pool2d_padding_too_large_raises", "avg_pool2d", [uniform(1, 1, 5, 5)], {"kernel_size": 3, "padding": 2}, None),
    ]
    for name, op, makers, args, note in errors:
        f.add(name, op, makers, args, raises=True, note=note)


def upsample_cases(f):
    up = ["upsample2d", "upsample2d_backward"]
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"interpolate_nearest_scale2_{tag}", "interpolate", [u(1, 2, 3, 4)], {"scale_factor": 2.0, "mode": "nearest"},
              covers=up)
        f.add(f"interpolate_bilinear_{tag}", "interpolate", [u(2, 1, 3, 4)],
              {"size": [5, 7], "mode": "bilinear", "align_corners": False}, covers=up, tolerance=CHAINED[dtype])
        f.add(f"interpolate_bilinear_align_corners_{tag}", "interpolate", [u(1, 2, 3, 4)],
              {"size": [5, 7], "mode": "bilinear", "align_corners": True}, covers=up, tolerance=CHAINED[dtype])
    f.add("interpolate_nearest_size_f64", "interpolate", [uniform(1, 1, 3, 5)], {"size": [7, 3], "mode": "nearest"},
          covers=up, note="nearest: src = floor(dst · in/out); downsampling in width")
    f.add("interpolate_nearest_scale_rule_f64", "interpolate", [uniform(1, 1, 5, 5)], {"scale_factor": 1.7, "mode": "nearest"},
          covers=up, note="size floor(5·1.7) = 8; PyTorch maps with 1/scale_factor (dst 5 → src 2), not in/out (→ 3)")
    f.add("interpolate_bilinear_scale_rule_f64", "interpolate", [uniform(1, 1, 4, 5)],
          {"scale_factor": 1.5, "mode": "bilinear", "align_corners": False}, covers=up,
          note="size floor(4·1.5) = 6, floor(5·1.5) = 7; source coordinates use 1/scale_factor")
    f.add("interpolate_nearest_downscale_f64", "interpolate", [uniform(1, 2, 6, 7)], {"scale_factor": 0.5, "mode": "nearest"},
          covers=up, note="sizes floor(3), floor(3.5) = 3")
    f.add("interpolate_bilinear_downsample_f64", "interpolate", [uniform(1, 1, 7, 6)],
          {"size": [3, 4], "mode": "bilinear", "align_corners": False}, covers=up,
          note="no antialiasing: 4 taps per output")
    f.add("interpolate_bilinear_align_corners_one_f64", "interpolate", [uniform(1, 1, 3, 3)],
          {"size": [1, 4], "mode": "bilinear", "align_corners": True}, covers=up,
          note="align_corners with an output of size 1 takes the first row")
    f.add("interpolate_bilinear_same_size_f64", "interpolate", [uniform(1, 1, 3, 4)],
          {"size": [3, 4], "mode": "bilinear", "align_corners": False}, covers=up, note="the identity")
    f.add("interpolate_bilinear_from_one_f64", "interpolate", [uniform(1, 2, 1, 1)],
          {"size": [2, 3], "mode": "bilinear", "align_corners": False}, covers=up)
    f.add("interpolate_nearest_int_scale_f64", "interpolate", [uniform(1, 1, 2, 3)], {"scale_factor": 3.0, "mode": "nearest"},
          covers=up)
    f.add("interpolate_nearest_bf16", "interpolate", [uniform(1, 1, 3, 3, dtype=BF16)], {"size": [5, 4], "mode": "nearest"},
          covers=up)
    f.add("interpolate_bilinear_bf16", "interpolate", [uniform(1, 1, 3, 3, dtype=BF16)],
          {"size": [5, 4], "mode": "bilinear", "align_corners": False}, covers=up, tolerance=CHAINED[BF16])
    f.add("interpolate_bilinear_transposed_f64", "interpolate", [uniform(1, 2, 4, 3)],
          {"size": [5, 6], "mode": "bilinear", "align_corners": False}, transposed=(0,), covers=up)
    f.add("interpolate_nearest_transposed_f32", "interpolate", [uniform(1, 1, 4, 3, dtype=F32)],
          {"scale_factor": 2.0, "mode": "nearest"}, transposed=(0,), covers=up)
    errors = [
        ("interpolate_align_corners_nearest_raises", [uniform(1, 1, 2, 2)],
         {"size": [4, 4], "mode": "nearest", "align_corners": True}, "align_corners is for bilinear only"),
        ("interpolate_size_and_scale_raises", [uniform(1, 1, 2, 2)], {"size": [4, 4], "scale_factor": 2.0, "mode": "nearest"},
         "give size or scale_factor, not both"),
        ("interpolate_neither_raises", [uniform(1, 1, 2, 2)], {"mode": "nearest"}, None),
        ("interpolate_bilinear_3d_input_raises", [uniform(1, 2, 4)], {"size": [4, 4], "mode": "bilinear"},
         "bilinear needs a 4-D input"),
    ]
    for name, makers, args, note in errors:
        f.add(name, "interpolate", makers, args, raises=True, note=note, covers=["upsample2d"])


def embedding_cases(f):
    for dtype, tag in FLOATS:
        f.add(f"embedding_{tag}", "embedding", [values([[1, 3, 1], [0, 4, 3]], I64), uniform(5, 3, dtype=dtype)],
              note="repeated indices accumulate in the gradient", covers=["index_select", "index_add"])
        f.add(f"embedding_padding_idx_{tag}", "embedding", [values([2, 0, 2, 1], I64), uniform(4, 3, dtype=dtype)],
              {"padding_idx": 2}, note="the padding row's output is its weight; its gradient stays 0")
    f.add("embedding_negative_padding_idx_f64", "embedding", [values([3, 0, 3], I64), uniform(4, 2)], {"padding_idx": -1},
          note="padding_idx -1 is the last row")
    f.add("embedding_int32_indices_f64", "embedding", [values([1, 1], I32), uniform(3, 2)])
    f.add("embedding_zerodim_f64", "embedding", [values(2, I64), uniform(3, 4)], note="a 0-dim index gives [dim]")
    f.add("embedding_transposed_weight_f64", "embedding", [values([0, 2], I64), uniform(3, 4)], transposed=(1,))
    f.add("embedding_bf16", "embedding", [values([0, 1, 0], I64), uniform(2, 4, dtype=BF16)])
    f.add("embedding_out_of_range_raises", "embedding", [values([0, 5], I64), uniform(5, 3)], raises=True)
    f.add("embedding_float_indices_raises", "embedding", [values([0.0, 1.0]), uniform(5, 3)], raises=True)
    f.add("one_hot_negative_raises", "one_hot", [values([1, -1], I64)], {"num_classes": 3}, raises=True)
    f.add("one_hot_too_few_classes_raises", "one_hot", [values([1, 3], I64)], {"num_classes": 3}, raises=True)
    f.add("one_hot_float_raises", "one_hot", [values([1.0, 0.0])], {"num_classes": 3}, raises=True)


def norm_cases(f):
    names = lambda *n: {"tensors": list(n)}
    for dtype, tag in FLOATS:
        u = lambda *s, **k: uniform(*s, dtype=dtype, **k)
        tol = CHAINED[dtype]
        f.add(f"layer_norm_{tag}", "layer_norm", [u(2, 3, 4), u(4), u(4)],
              {**names("x", "weight", "bias"), "normalized_shape": [4]}, tolerance=tol)
        f.add(f"layer_norm_2d_shape_{tag}", "layer_norm", [u(2, 3, 4), u(3, 4)],
              {**names("x", "weight"), "normalized_shape": [3, 4], "eps": 1e-3}, tolerance=tol)
        f.add(f"batch_norm_train_{tag}", "batch_norm", [u(4, 3, 2, 2), u(3), positive(3, dtype=dtype), u(3), u(3)],
              {**names("x", "running_mean", "running_var", "weight", "bias"), "training": True, "momentum": 0.1},
              grad=[True, False, False, True, True], tolerance=tol, covers=["batch_norm_backward"],
              note="outputs: y, running_mean and running_var after the call (unbiased batch variance)")
        f.add(f"batch_norm_eval_{tag}", "batch_norm", [u(4, 3, 2), u(3), positive(3, dtype=dtype), u(3), u(3)],
              {**names("x", "running_mean", "running_var", "weight", "bias"), "training": False},
              grad=[True, False, False, True, True], tolerance=tol, covers=["batch_norm_backward"],
              note="eval: the running statistics, unchanged")
        f.add(f"group_norm_{tag}", "group_norm", [u(2, 6, 3, 2), u(6), u(6)],
              {**names("x", "weight", "bias"), "groups": 3}, tolerance=tol, covers=["group_norm_backward"])
    f.add("layer_norm_no_affine_f64", "layer_norm", [uniform(3, 5)], {**names("x"), "normalized_shape": [5]})
    f.add("layer_norm_bias_only_f64", "layer_norm", [uniform(3, 5), uniform(5)], {**names("x", "bias"), "normalized_shape": [5]})
    f.add("layer_norm_constant_row_f64", "layer_norm", [values([[2.0, 2.0, 2.0], [1.0, 2.0, 4.0]]), uniform(3), uniform(3)],
          {**names("x", "weight", "bias"), "normalized_shape": [3], "eps": 1e-5},
          note="a constant row normalises to 0 (eps keeps it finite)")
    f.add("layer_norm_all_dims_f64", "layer_norm", [uniform(2, 3), uniform(2, 3), uniform(2, 3)],
          {**names("x", "weight", "bias"), "normalized_shape": [2, 3]})
    f.add("layer_norm_transposed_f64", "layer_norm", [uniform(2, 5, 3), uniform(5), uniform(5)],
          {**names("x", "weight", "bias"), "normalized_shape": [5]}, transposed=(0,))
    f.add("layer_norm_bf16", "layer_norm", [uniform(2, 8, dtype=BF16), uniform(8, dtype=BF16), uniform(8, dtype=BF16)],
          {**names("x", "weight", "bias"), "normalized_shape": [8]}, tolerance=CHAINED[BF16])
    f.add("layer_norm_f16", "layer_norm", [uniform(2, 8, dtype=F16)], {**names("x"), "normalized_shape": [8]},
          tolerance=CHAINED[F16])
    stats = names("x", "running_mean", "running_var", "weight", "bias")
    f.add("batch_norm_train_momentum_f64", "batch_norm", [uniform(5, 2), uniform(2), positive(2), uniform(2), uniform(2)],
          {**stats, "training": True, "momentum": 0.3, "eps": 1e-3}, grad=[True, False, False, True, True],
          note="a 2-D input [N, C]; momentum 0.3")
    f.add("batch_norm_train_no_stats_f64", "batch_norm", [uniform(3, 2, 4), uniform(2), uniform(2)],
          {**names("x", "weight", "bias"), "training": True}, note="training without running statistics")
    f.add("batch_norm_train_no_affine_f64", "batch_norm", [uniform(3, 2, 2, 2), uniform(2), positive(2)],
          {**names("x", "running_mean", "running_var"), "training": True}, grad=[True, False, False])
    f.add("batch_norm_eval_no_affine_f64", "batch_norm", [uniform(3, 2, 2, 2), uniform(2), positive(2)],
          {**names("x", "running_mean", "running_var"), "training": False}, grad=[True, False, False])
    f.add("batch_norm_transposed_f64", "batch_norm", [uniform(2, 3, 4, 2), uniform(3), positive(3), uniform(3), uniform(3)],
          {**stats, "training": True}, transposed=(0,), grad=[True, False, False, True, True])
    f.add("batch_norm_bf16", "batch_norm",
          [uniform(4, 2, 3, dtype=BF16), uniform(2, dtype=BF16), positive(2, dtype=BF16), uniform(2, dtype=BF16),
           uniform(2, dtype=BF16)], {**stats, "training": True}, grad=[True, False, False, True, True],
          tolerance=CHAINED[BF16])
    f.add("batch_norm_mixed_dtypes_raises", "batch_norm", [uniform(3, 2, dtype=F32), uniform(2, dtype=F16), positive(2)],
          {**names("x", "running_mean", "running_var"), "training": True}, raises=True,
          note="mixed dtypes of input and running statistics")
    f.add("group_norm_one_group_f64", "group_norm", [uniform(2, 4, 3)], {**names("x"), "groups": 1},
          note="one group: layer norm over (C, L)")
    f.add("group_norm_instance_f64", "group_norm", [uniform(2, 3, 2, 2), uniform(3), uniform(3)],
          {**names("x", "weight", "bias"), "groups": 3, "eps": 1e-3}, note="groups = channels: instance norm")
    f.add("group_norm_2d_input_f64", "group_norm", [uniform(3, 4), uniform(4)], {**names("x", "weight"), "groups": 2})
    f.add("group_norm_transposed_f64", "group_norm", [uniform(2, 4, 3, 2), uniform(4), uniform(4)],
          {**names("x", "weight", "bias"), "groups": 2}, transposed=(0,))
    f.add("group_norm_bf16", "group_norm", [uniform(2, 4, 4, dtype=BF16), uniform(4, dtype=BF16), uniform(4, dtype=BF16)],
          {**names("x", "weight", "bias"), "groups": 2}, tolerance=CHAINED[BF16])
    errors = [
        ("layer_norm_shape_mismatch_raises", "layer_norm", [uniform(2, 3, 4)], {**names("x"), "normalized_shape": [3]}),
        ("layer_norm_weight_shape_raises", "layer_norm", [uniform(2, 4), uniform(3)],
         {**names("x", "weight"), "normalized_shape": [4]}),
        ("group_norm_groups_not_dividing_raises", "group_norm", [uniform(2, 6, 3)], {**names("x"), "groups": 4}),
        ("batch_norm_eval_no_stats_raises", "batch_norm", [uniform(3, 2)], {**names("x"), "training": False}),
        ("batch_norm_stats_size_raises", "batch_norm", [uniform(3, 2), uniform(3), positive(3)],
         {**names("x", "running_mean", "running_var"), "training": True}),
        ("batch_norm_one_value_per_channel_raises", "batch_norm", [uniform(1, 2)], {**names("x"), "training": True}),
    ]
    for name, op, makers, args in errors:
        f.add(name, op, makers, args, raises=True)


def attention_cases(f):
    sdpa = "scaled_dot_product_attention"
    covers = ["attention_backward"]
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        tol = CHAINED[dtype]
        f.add(f"sdpa_{tag}", sdpa, [u(2, 3, 4), u(2, 3, 4), u(2, 3, 5)], {"tensors": ["q", "k", "v"]}, covers=covers,
              tolerance=tol)
        f.add(f"sdpa_cross_{tag}", sdpa, [u(2, 2, 3, 4), u(2, 2, 5, 4), u(2, 2, 5, 3)], {"tensors": ["q", "k", "v"]},
              covers=covers, tolerance=tol, note="L = 3 ≠ S = 5, heads")
        f.add(f"sdpa_causal_{tag}", sdpa, [u(1, 4, 3), u(1, 4, 3), u(1, 4, 3)], {"tensors": ["q", "k", "v"],
                                                                              "is_causal": True},
              covers=covers, tolerance=tol)
        f.add(f"sdpa_bool_mask_{tag}", sdpa, [u(2, 3, 4), u(2, 5, 4), u(2, 5, 2), mask(3, 5)],
              {"tensors": ["q", "k", "v", "mask"]}, covers=covers, tolerance=tol, note="a bool mask keeps where true")
        f.add(f"sdpa_float_mask_{tag}", sdpa, [u(2, 3, 4), u(2, 5, 4), u(2, 5, 2), uniform(2, 1, 5, dtype=dtype)],
              {"tensors": ["q", "k", "v", "mask"]}, covers=covers, tolerance=tol, grad=[True, True, True, False],
              note="a float mask is added to the scores")
    f.add("sdpa_float_mask_grad_f64", sdpa, [uniform(2, 3, 4), uniform(2, 5, 4), uniform(2, 5, 2), uniform(2, 1, 5)],
          {"tensors": ["q", "k", "v", "mask"]}, covers=covers, note="PyTorch differentiates a float mask",
          deviation="nabla's attention gives no gradient to the mask and refuses a mask that requires grad")
    f.add("sdpa_causal_cross_f64", sdpa, [uniform(1, 3, 4), uniform(1, 5, 4), uniform(1, 5, 2)],
          {"tensors": ["q", "k", "v"], "is_causal": True}, covers=covers,
          note="L < S: the causal mask is tril(ones(L, S)), aligned top-left")
    f.add("sdpa_causal_more_queries_f64", sdpa, [uniform(1, 5, 4), uniform(1, 3, 4), uniform(1, 3, 2)],
          {"tensors": ["q", "k", "v"], "is_causal": True}, covers=covers, note="L > S: top-left aligned")
    f.add("sdpa_scale_f64", sdpa, [uniform(2, 3, 4), uniform(2, 3, 4), uniform(2, 3, 4)],
          {"tensors": ["q", "k", "v"], "scale": 0.3}, covers=covers)
    f.add("sdpa_fully_masked_row_f64", sdpa,
          [uniform(1, 2, 3), uniform(1, 4, 3), uniform(1, 4, 2), values([[True, False, True, False], [False] * 4], BOOL)],
          {"tensors": ["q", "k", "v", "mask"]}, covers=covers,
          note="PyTorch gives 0 (not nan) for a query whose keys are all masked out, and 0 gradients")
    f.add("sdpa_neg_inf_float_mask_f64", sdpa,
          [uniform(1, 2, 3), uniform(1, 3, 3), uniform(1, 3, 2), values([[0.0, -INF, 0.5], [-1.0, 0.0, -INF]])],
          {"tensors": ["q", "k", "v", "mask"]}, covers=covers, grad=[True, True, True, False],
          note="-inf in a float mask excludes a key")
    f.add("sdpa_mask_broadcast_heads_f64", sdpa,
          [uniform(2, 2, 3, 4), uniform(2, 2, 4, 4), uniform(2, 2, 4, 3), mask(2, 1, 3, 4)],
          {"tensors": ["q", "k", "v", "mask"]}, covers=covers, note="a mask broadcasts over heads")
    f.add("sdpa_transposed_f64", sdpa, [uniform(2, 4, 3), uniform(2, 4, 3), uniform(2, 5, 3)],
          {"tensors": ["q", "k", "v"]}, transposed=(0, 1, 2), covers=covers)
    f.add("sdpa_bf16", sdpa, [uniform(1, 3, 4, dtype=BF16), uniform(1, 3, 4, dtype=BF16), uniform(1, 3, 4, dtype=BF16)],
          {"tensors": ["q", "k", "v"]}, covers=covers, tolerance=CHAINED[BF16])
    f.add("sdpa_f16", sdpa, [uniform(1, 3, 4, dtype=F16), uniform(1, 3, 4, dtype=F16), uniform(1, 3, 4, dtype=F16)],
          {"tensors": ["q", "k", "v"], "is_causal": True}, covers=covers, tolerance=CHAINED[F16])
    f.add("sdpa_2d_f64", sdpa, [uniform(3, 4), uniform(5, 4), uniform(5, 2)], {"tensors": ["q", "k", "v"]},
          covers=covers, note="no batch dims")
    errors = [
        ("sdpa_mask_and_causal_raises", [uniform(1, 2, 3), uniform(1, 2, 3), uniform(1, 2, 3), mask(2, 2)],
         {"tensors": ["q", "k", "v", "mask"], "is_causal": True}),
        ("sdpa_head_dim_mismatch_raises", [uniform(1, 2, 3), uniform(1, 2, 4), uniform(1, 2, 3)],
         {"tensors": ["q", "k", "v"]}),
        ("sdpa_dtype_mismatch_raises", [uniform(1, 2, 3), uniform(1, 2, 3, dtype=F32), uniform(1, 2, 3)],
         {"tensors": ["q", "k", "v"]}),
    ]
    for name, makers, args in errors:
        f.add(name, sdpa, makers, args, raises=True)


def loss_more_cases(f):
    ce = "functional_cross_entropy"
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        tol = CHAINED[dtype]
        for reduction in ("mean", "sum", "none"):
            f.add(f"ce_weight_{reduction}_{tag}", ce, [u(5, 4), values([1, 0, 3, 1, 2], I64), positive(4, dtype=dtype)],
                  {"tensors": ["logits", "target", "weight"], "reduction": reduction}, covers=["cross_entropy"],
                  tolerance=tol, note="mean divides by the sum of the targets' weights")
        f.add(f"ce_label_smoothing_{tag}", ce, [u(4, 5), values([1, 0, 4, 2], I64)],
              {"tensors": ["logits", "target"], "label_smoothing": 0.2}, covers=["cross_entropy"], tolerance=tol)
        f.add(f"ce_everything_{tag}", ce, [u(6, 4), values([1, 2, 3, 3, 0, 2], I64), positive(4, dtype=dtype)],
              {"tensors": ["logits", "target", "weight"], "label_smoothing": 0.1, "ignore_index": 2},
              covers=["cross_entropy"], tolerance=tol,
              note="class weights, label smoothing and ignore_index together (the smoothing term is weighted too)")
        for reduction in ("mean", "sum", "none"):
            args = {"reduction": reduction}
            f.add(f"mse_loss_{reduction}_{tag}", "mse_loss", [u(3, 4), u(3, 4)], args, tolerance=tol)
            f.add(f"l1_loss_{reduction}_{tag}", "l1_loss", [u(3, 4), u(3, 4)], args, tolerance=tol)
            f.add(f"nll_loss_{reduction}_{tag}", "nll_loss", [u(4, 3), values([2, 0, 1, 2], I64)],
                  {"tensors": ["input", "target"], **args}, tolerance=tol)
            f.add(f"kl_div_{reduction}_{tag}", "kl_div",
                  [lambda g, dtype=dtype: torch.log_softmax(torch.randn(3, 4, generator=g, dtype=F64), 1).to(dtype),
                   lambda g, dtype=dtype: torch.softmax(torch.randn(3, 4, generator=g, dtype=F64), 1).to(dtype)],
                  {**args, "log_target": False}, tolerance=tol, note="'mean' averages over every element")
            f.add(f"bce_{reduction}_{tag}", "binary_cross_entropy", [probabilities(3, 4, dtype=dtype), probabilities(3, 4, dtype=dtype)],
                  {"tensors": ["input", "target"], **args}, grad=[True, False], tolerance=tol,
                  note="PyTorch can't differentiate the target of binary_cross_entropy")
            f.add(f"bce_logits_{reduction}_{tag}", "binary_cross_entropy_with_logits",
                  [u(3, 4), probabilities(3, 4, dtype=dtype)], {"tensors": ["input", "target"], **args}, tolerance=tol)
        f.add(f"smooth_l1_loss_{tag}", "smooth_l1_loss", [normal(3, 4, dtype=dtype), normal(3, 4, dtype=dtype)],
              {"reduction": "mean", "beta": 1.0}, tolerance=tol)
        f.add(f"huber_loss_{tag}", "huber_loss", [normal(3, 4, dtype=dtype), normal(3, 4, dtype=dtype)],
              {"reduction": "mean", "delta": 1.0}, tolerance=tol)
    # cross entropy: ignore_index with weights, probabilities of -100, 1-D logits, dtypes
    f.add("ce_weight_ignore_mean_f64", ce, [uniform(5, 3), values([2, -100, 0, 1, -100], I64), positive(3)],
          {"tensors": ["logits", "target", "weight"]}, covers=["cross_entropy"],
          note="ignored targets add neither loss nor weight to the mean's divisor")
    f.add("ce_label_smoothing_ignore_sum_f64", ce, [uniform(4, 3), values([2, 1, -100, 0], I64)],
          {"tensors": ["logits", "target"], "label_smoothing": 0.3, "reduction": "sum"}, covers=["cross_entropy"],
          note="an ignored row gets no smoothing term either")
    f.add("ce_label_smoothing_none_f64", ce, [uniform(3, 4), values([3, 3, 0], I64), positive(4)],
          {"tensors": ["logits", "target", "weight"], "label_smoothing": 0.25, "reduction": "none"}, covers=["cross_entropy"])
    f.add("ce_label_smoothing_one_f64", ce, [uniform(2, 3), values([0, 2], I64)],
          {"tensors": ["logits", "target"], "label_smoothing": 1.0}, covers=["cross_entropy"],
          note="smoothing 1: uniform targets")
    f.add("ce_1d_weight_f64", ce, [uniform(4), values(1, I64), positive(4)],
          {"tensors": ["logits", "target", "weight"], "label_smoothing": 0.1}, covers=["cross_entropy"],
          note="logits [C], a 0-dim target")
    f.add("ce_all_ignored_weight_mean_f64", ce, [uniform(2, 3), values([-100, -100], I64), positive(3)],
          {"tensors": ["logits", "target", "weight"]}, covers=["cross_entropy"], grad=False,
          note="every target ignored: 0/0 = nan")
    f.add("ce_spatial_f64", ce, [uniform(2, 3, 2, 2), values([[[0, 2], [1, 1]], [[2, -100], [0, 1]]], I64), positive(3)],
          {"tensors": ["logits", "target", "weight"], "label_smoothing": 0.1}, covers=["cross_entropy"],
          note="logits [N, C, H, W] with targets [N, H, W] (PyTorch's K-dimensional case)")
    f.add("ce_bf16", ce, [uniform(4, 5, dtype=BF16), values([1, 0, 4, 2], I64)], {"tensors": ["logits", "target"]},
          covers=["cross_entropy"], tolerance=CHAINED[BF16])
    f.add("ce_transposed_weight_f64", ce, [uniform(5, 4), values([1, 0, 4, 2], I64), positive(5)],
          {"tensors": ["logits", "target", "weight"], "label_smoothing": 0.05}, covers=["cross_entropy"], transposed=(0,))
    f.add("ce_probability_target_f64", ce, [uniform(3, 4), lambda g: torch.softmax(torch.randn(3, 4, generator=g,
                                                                                          dtype=F64), 1)],
          {"tensors": ["logits", "target"], "label_smoothing": 0.1}, covers=["log_softmax"], grad=[True, False],
          note="class probabilities as the target, as PyTorch takes them")
    f.add("ce_weight_size_raises", ce, [uniform(2, 3), values([0, 1], I64), positive(4)],
          {"tensors": ["logits", "target", "weight"]}, raises=True, covers=["cross_entropy"])
    f.add("ce_float_target_shape_raises", ce, [uniform(2, 3), values([0, 1, 1], I64)], {"tensors": ["logits", "target"]},
          raises=True, covers=["cross_entropy"])
    f.add("ce_label_smoothing_out_of_range_raises", ce, [uniform(2, 3), values([0, 1], I64)],
          {"tensors": ["logits", "target"], "label_smoothing": 1.5}, raises=True, covers=["cross_entropy"])
    # nll_loss
    f.add("nll_loss_weight_ignore_f64", "nll_loss", [uniform(5, 3), values([2, 1, 0, 1, 2], I64), positive(3)],
          {"tensors": ["input", "target", "weight"], "ignore_index": 1})
    f.add("nll_loss_1d_f64", "nll_loss", [uniform(4), values(3, I64)], {"tensors": ["input", "target"]})
    f.add("nll_loss_out_of_range_raises", "nll_loss", [uniform(2, 3), values([0, 3], I64)],
          {"tensors": ["input", "target"]}, raises=True)
    # regression losses: broadcasting, dtypes, beta/delta edges
    f.add("mse_loss_bf16", "mse_loss", [uniform(3, 4, dtype=BF16), uniform(3, 4, dtype=BF16)], {"reduction": "mean"},
          tolerance=CHAINED[BF16])
    f.add("mse_loss_transposed_f64", "mse_loss", [uniform(4, 3), uniform(3, 4)], {"reduction": "sum"}, transposed=(0,))
    f.add("l1_loss_zero_difference_f64", "l1_loss", [values([1.0, 2.0, 3.0]), values([1.0, 0.0, 3.5])],
          {"reduction": "sum"}, note="gradient 0 where input equals target")
    diffs = values([-3.0, -1.0, -0.5, 0.0, 0.2, 0.5, 1.0, 2.5])
    zeros = values([0.0] * 8)
    f.add("smooth_l1_loss_beta_f64", "smooth_l1_loss", [diffs, zeros], {"reduction": "none", "beta": 0.5},
          note="0.5·x²/beta for |x| < beta, else |x| - beta/2 (|x| = beta takes the linear branch)")
    f.add("smooth_l1_loss_beta0_f64", "smooth_l1_loss", [diffs, zeros], {"reduction": "sum", "beta": 0.0},
          note="beta 0 is the l1 loss")
    f.add("smooth_l1_loss_sum_f32", "smooth_l1_loss", [normal(3, 4, dtype=F32), normal(3, 4, dtype=F32)],
          {"reduction": "sum", "beta": 2.0}, tolerance=CHAINED[F32])
    f.add("huber_loss_delta_f64", "huber_loss", [diffs, zeros], {"reduction": "none", "delta": 0.5},
          note="0.5·x² for |x| < delta, else delta·(|x| - delta/2)")
    f.add("huber_loss_delta2_sum_f64", "huber_loss", [normal(3, 4, scale=2.0), normal(3, 4)], {"reduction": "sum", "delta": 2.0})
    f.add("smooth_l1_loss_negative_beta_raises", "smooth_l1_loss", [uniform(3), uniform(3)],
          {"reduction": "mean", "beta": -1.0}, raises=True)
    f.add("huber_loss_zero_delta_raises", "huber_loss", [uniform(3), uniform(3)], {"reduction": "mean", "delta": 0.0},
          raises=True, note="delta must be positive")
    # binary cross entropy: weights, clamping, shapes
    f.add("bce_weight_f64", "binary_cross_entropy", [probabilities(3, 4), probabilities(3, 4), positive(4)],
          {"tensors": ["input", "target", "weight"], "reduction": "mean"}, grad=[True, False, False],
          note="the weight broadcasts")
    f.add("bce_clamp_f64", "binary_cross_entropy", [values([0.0, 1.0, 0.0, 1.0, 1e-50]), values([1.0, 0.0, 0.0, 1.0, 1.0])],
          {"tensors": ["input", "target"], "reduction": "none"}, grad=False,
          note="log is clamped at -100: loss 100, never inf")
    f.add("bce_near_clamp_f64", "binary_cross_entropy", [values([1e-3, 0.999, 0.5]), values([1.0, 0.0, 0.25])],
          {"tensors": ["input", "target"], "reduction": "sum"}, grad=[True, False])
    f.add("bce_bf16", "binary_cross_entropy", [probabilities(2, 3, dtype=BF16), probabilities(2, 3, dtype=BF16)],
          {"tensors": ["input", "target"], "reduction": "mean"}, grad=[True, False], tolerance=CHAINED[BF16])
    f.add("bce_shape_mismatch_raises", "binary_cross_entropy", [probabilities(3, 4), probabilities(4)],
          {"tensors": ["input", "target"], "reduction": "mean"}, raises=True, note="no broadcasting")
    f.add("bce_out_of_range_raises", "binary_cross_entropy", [values([0.5, 1.5]), values([1.0, 0.0])],
          {"tensors": ["input", "target"], "reduction": "mean"}, raises=True, note="inputs must lie in [0, 1]")
    f.add("bce_logits_pos_weight_f64", "binary_cross_entropy_with_logits", [uniform(3, 4), probabilities(3, 4), positive(4)],
          {"tensors": ["input", "target", "pos_weight"], "reduction": "mean"})
    f.add("bce_logits_weight_pos_weight_f64", "binary_cross_entropy_with_logits",
          [uniform(3, 4), probabilities(3, 4), positive(3, 1), positive(4)],
          {"tensors": ["input", "target", "weight", "pos_weight"], "reduction": "sum"})
    f.add("bce_logits_large_f64", "binary_cross_entropy_with_logits",
          [values([-800.0, 800.0, 50.0, -50.0]), values([1.0, 0.0, 1.0, 0.0])],
          {"tensors": ["input", "target"], "reduction": "none"}, note="stable for large logits (no inf, no nan)")
    f.add("bce_logits_large_f32", "binary_cross_entropy_with_logits",
          [values([-100.0, 100.0, 30.0], F32), values([1.0, 0.0, 0.5], F32)],
          {"tensors": ["input", "target"], "reduction": "none"}, tolerance=CHAINED[F32])
    f.add("bce_logits_transposed_f64", "binary_cross_entropy_with_logits", [uniform(4, 3), probabilities(3, 4)],
          {"tensors": ["input", "target"], "reduction": "mean"}, transposed=(0,))
    # kl_div
    f.add("kl_div_log_target_f64", "kl_div", [uniform(3, 4, low=-3, high=0), uniform(3, 4, low=-3, high=0)],
          {"reduction": "sum", "log_target": True})
    f.add("kl_div_log_target_none_f32", "kl_div", [uniform(3, 4, dtype=F32, low=-3, high=0),
                                                    uniform(3, 4, dtype=F32, low=-3, high=0)],
          {"reduction": "none", "log_target": True}, tolerance=CHAINED[F32])
    f.add("kl_div_zero_target_f64", "kl_div", [uniform(2, 3, low=-3, high=0), values([[0.0, 0.5, 0.5], [1.0, 0.0, 0.0]])],
          {"reduction": "none", "log_target": False}, grad=[True, False],
          note="a zero target contributes 0 (not 0·log 0 = nan); its own gradient there is nan in PyTorch: not checked")
    f.add("kl_div_broadcast_f64", "kl_div", [uniform(2, 3, low=-3, high=0), probabilities(3)],
          {"reduction": "sum", "log_target": False}, note="PyTorch warns and broadcasts",
          deviation="nabla's losses refuse to broadcast input and target (almost always a bug)")


def linalg_cases(f):
    tall, wide = (5, 3), (3, 5)
    for dtype, tag in FLOATS:
        tol = LAPACK[dtype]
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"qr_square_{tag}", "qr", [u(4, 4)], grad=False, tolerance=tol, note="signs canonical: diag(R) ≥ 0")
        f.add(f"qr_tall_{tag}", "qr", [u(*tall)], grad=False, tolerance=tol, note="reduced: Q [5, 3], R [3, 3]")
        f.add(f"qr_wide_{tag}", "qr", [u(*wide)], grad=False, tolerance=tol, note="reduced: Q [3, 3], R [3, 5]")
        f.add(f"svd_square_{tag}", "svd", [u(4, 4)], grad=False, tolerance=tol,
              note="column signs canonical (U's columns point along a fixed ramp)")
        f.add(f"svd_tall_{tag}", "svd", [u(*tall)], grad=False, tolerance=tol)
        f.add(f"svd_wide_{tag}", "svd", [u(*wide)], grad=False, tolerance=tol)
        f.add(f"eigh_{tag}", "eigh", [symmetric(4, dtype=dtype)], grad=False, tolerance=tol,
              note="eigenvalues ascending; eigenvector signs canonical")
        f.add(f"solve_{tag}", "solve", [well_conditioned(4, dtype=dtype), u(4, 2)], tolerance=tol)
        f.add(f"solve_vector_{tag}", "solve", [well_conditioned(3, dtype=dtype), u(3)], tolerance=tol,
              note="B [n]: X [n]")
        f.add(f"cholesky_{tag}", "cholesky", [spd(4, dtype=dtype)], tolerance=tol,
              note="PyTorch's gradient with respect to A is symmetric")
    f.add("qr_transposed_f64", "qr", [uniform(3, 5)], grad=False, transposed=(0,), tolerance=LAPACK[F64])
    f.add("svd_transposed_f64", "svd", [uniform(3, 4)], grad=False, transposed=(0,), tolerance=LAPACK[F64])
    f.add("eigh_lower_triangle_f64", "eigh", [values([[2.0, 99.0, 99.0], [0.5, 3.0, 99.0], [0.25, -1.0, 1.0]])],
          grad=False, tolerance=LAPACK[F64], note="only the lower triangle is read (UPLO='L')")
    f.add("eigh_transposed_f64", "eigh", [symmetric(3)], grad=False, transposed=(0,), tolerance=LAPACK[F64])
    f.add("eigh_diagonal_f64", "eigh", [values([[3.0, 0.0, 0.0], [0.0, -1.0, 0.0], [0.0, 0.0, 2.0]])], grad=False,
          tolerance=LAPACK[F64], note="a diagonal matrix: sorted eigenvalues, unit eigenvectors")
    f.add("solve_transposed_f64", "solve", [well_conditioned(4), uniform(2, 4)], transposed=(0, 1), tolerance=LAPACK[F64])
    f.add("solve_identity_f64", "solve", [values([[1.0, 0.0], [0.0, 1.0]]), uniform(2, 3)], tolerance=LAPACK[F64])
    f.add("cholesky_transposed_f64", "cholesky", [spd(3)], transposed=(0,), tolerance=LAPACK[F64])
    f.add("cholesky_diagonal_f64", "cholesky", [values([[4.0, 0.0], [0.0, 9.0]])], tolerance=LAPACK[F64])
    errors = [
        ("cholesky_not_positive_definite_raises", "cholesky", [values([[1.0, 2.0], [2.0, 1.0]])], None),
        ("cholesky_not_square_raises", "cholesky", [uniform(2, 3)], None),
        ("solve_singular_raises", "solve", [values([[1.0, 2.0], [2.0, 4.0]]), uniform(2)], "a singular A is refused"),
        ("solve_shape_mismatch_raises", "solve", [well_conditioned(3), uniform(4, 2)], None),
        ("solve_not_square_raises", "solve", [uniform(2, 3), uniform(2)], None),
        ("qr_int64_raises", "qr", [integers(0, 5, 3, 3)], None),
        ("svd_bf16_raises", "svd", [uniform(3, 3, dtype=BF16)], "LAPACK takes float32 and float64 only"),
        ("eigh_not_square_raises", "eigh", [uniform(2, 3)], None),
        ("qr_1d_raises", "qr", [uniform(3)], None),
        ("solve_dtype_mismatch_raises", "solve", [well_conditioned(2), uniform(2, dtype=F32)], None),
    ]
    for name, op, makers, note in errors:
        f.add(name, op, makers, raises=True, note=note)


def error_more_cases(f):
    """Calls PyTorch refuses (beyond the families' own)."""
    cases = [
        ("clamp_no_bounds_raises", "clamp", [uniform(3)], {}, None),
        ("var_int64_raises", "var", [integers(0, 5, 4)], {"dims": [0]}, "var needs a floating dtype"),
        ("std_int64_raises", "std", [integers(0, 5, 4)], {}, None),
        ("prod_dim_out_of_range_raises", "prod", [uniform(2, 3)], {"dims": [2]}, None),
        ("min_all_empty_raises", "min", [uniform(0, 3)], {}, None),
        ("argmin_empty_dim_raises", "argmin", [uniform(0, 3)], {"dim": 0}, None),
        ("cumsum_dim_out_of_range_raises", "cumsum", [uniform(2, 3)], {"dim": 2}, None),
        ("topk_k_too_large_raises", "topk", [uniform(2, 3)], {"k": 4, "dim": 1}, None),
        ("sort_dim_out_of_range_raises", "sort", [uniform(2, 3)], {"dim": 2}, None),
        ("bincount_negative_raises", "bincount", [values([1, -1], I64)], {"minlength": 0}, None),
        ("bincount_2d_raises", "bincount", [values([[1, 2]], I64)], {"minlength": 0}, None),
        ("bincount_float_raises", "bincount", [values([1.0, 2.0])], {"minlength": 0}, None),
        ("bincount_weights_size_raises", "bincount", [values([1, 2], I64), values([1.0])], {"minlength": 0}, None),
        ("bincount_negative_minlength_raises", "bincount", [values([1, 2], I64)], {"minlength": -1}, None),
        ("lerp_int64_raises", "lerp", [integers(0, 5, 3), integers(0, 5, 3)], {"weight": 0.5}, None),
        ("lerp_dtype_mismatch_raises", "lerp", [uniform(3), uniform(3, dtype=F32)], {"weight": 0.5},
         "lerp does not promote"),
        ("logical_and_shape_raises", "logical_and", [mask(3), mask(4)], {}, None),
        ("minimum_shape_raises", "minimum", [uniform(3), uniform(2)], {}, None),
        ("addcdiv_int64_raises", "addcdiv", [integers(1, 5, 3), integers(1, 5, 3), integers(1, 5, 3)], {"value": 1.0},
         "integer division is refused"),
        ("scatter_index_out_of_range_raises", "scatter", [uniform(2, 3), values([[3]], I64), uniform(1, 1)], {"dim": 1},
         None),
        ("scatter_dtype_mismatch_raises", "scatter", [uniform(2, 3), values([[0]], I64), uniform(1, 1, dtype=F32)],
         {"dim": 1}, "src must have self's dtype"),
        ("masked_fill_float_mask_raises", "masked_fill", [uniform(2, 3), uniform(2, 3)], {"value": 1.0}, None),
        ("masked_fill_mask_broadcast_raises", "masked_fill", [uniform(2, 3), mask(2, 3, 1)], {"value": 1.0},
         "the mask can't grow self"),
        ("masked_select_shape_raises", "masked_select", [uniform(2, 3), mask(3, 2)], {}, None),
        ("diagonal_same_dims_raises", "diagonal", [uniform(3, 3)], {"offset": 0, "dim1": 1, "dim2": 1}, None),
        ("pad_reflect_too_large_raises", "pad", [uniform(1, 2, 3)], {"pads": [3, 0], "mode": "reflect"},
         "reflect pads must be smaller than the size"),
        ("pad_odd_count_raises", "pad", [uniform(2, 3)], {"pads": [1], "mode": "constant", "value": 0.0}, None),
        ("pad_too_many_raises", "pad", [uniform(3)], {"pads": [1, 1, 1, 1], "mode": "constant", "value": 0.0}, None),
        ("pad_replicate_too_many_dims_raises", "pad", [uniform(2, 3)], {"pads": [1, 1, 1, 1], "mode": "replicate"},
         "replicate pads the last dims of a batched input"),
        ("repeat_too_few_raises", "repeat", [uniform(2, 3)], {"repeats": [2]}, None),
        ("repeat_negative_raises", "repeat", [uniform(2, 3)], {"repeats": [1, -1]}, None),
        ("flip_repeated_dim_raises", "flip", [uniform(2, 3)], {"dims": [0, 0]}, None),
        ("roll_length_mismatch_raises", "roll", [uniform(2, 3)], {"shifts": [1, 2], "dims": [0]}, None),
        ("tril_1d_raises", "tril", [uniform(3)], {"diagonal": 0}, None),
        ("einsum_operand_count_raises", "einsum", [uniform(2, 3)], {"equation": "ij,jk->ik"}, None),
        ("einsum_size_mismatch_raises", "einsum", [uniform(2, 3), uniform(4, 2)], {"equation": "ij,jk->ik"}, None),
        ("einsum_output_label_unknown_raises", "einsum", [uniform(2, 3)], {"equation": "ij->k"}, None),
        ("einsum_rank_mismatch_raises", "einsum", [uniform(2, 3)], {"equation": "ijk->i"}, None),
        ("outer_2d_raises", "outer", [uniform(2, 2), uniform(2)], {}, None),
        ("bmm_batch_mismatch_raises", "bmm", [uniform(2, 3, 4), uniform(3, 4, 5)], {}, None),
        ("bmm_2d_raises", "bmm", [uniform(3, 4), uniform(4, 5)], {}, None),
        ("cdist_feature_mismatch_raises", "cdist", [uniform(3, 4), uniform(2, 3)], {"p": 2.0}, None),
        ("cdist_negative_p_raises", "cdist", [uniform(3, 4), uniform(2, 4)], {"p": -1.0}, None),
        ("unfold_kernel_too_large_raises", "unfold", [uniform(1, 1, 2, 2)], {"kernel_size": 3}, None),
        ("fold_wrong_blocks_raises", "fold", [uniform(1, 4, 5)], {"output_size": [3, 3], "kernel_size": 2},
         "L must equal the number of blocks (4)"),
        ("fold_channels_not_divisible_raises", "fold", [uniform(1, 5, 4)], {"output_size": [3, 3], "kernel_size": 2},
         None),
        ("adaptive_max_pool2d_2d_raises", "adaptive_max_pool2d", [uniform(3, 3)], {"output_size": 2}, None),
        ("norm_int64_raises", "norm", [integers(0, 5, 4)], {"p": 2.0}, None),
        ("cumsum_zerodim_bad_dim_raises", "cumsum", [uniform()], {"dim": 1}, None),
        ("kl_div_shape_raises", "kl_div", [uniform(2, 3), uniform(4)], {"reduction": "mean"}, None),
        ("mse_loss_shape_raises", "mse_loss", [uniform(2, 3), uniform(3, 2)], {"reduction": "mean"}, None),
    ]
    for name, op, makers, args, note in cases:
        f.add(name, op, makers, args, raises=True, note=note)


def optimizer_cases(f):
    """optim::Adam and AdamW (their fused step, the op adam_step_) against torch.optim over three steps, so
    the moments and bias corrections of steps after the first are pinned down too."""
    base = {"lr": 1e-2, "beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0, "decoupled": False,
            "amsgrad": False}
    variants = [("adam", {}), ("adam_l2", {"weight_decay": 0.1}), ("adamw", {"weight_decay": 0.1, "decoupled": True}),
                ("adam_amsgrad", {"amsgrad": True}), ("adam_betas", {"beta1": 0.5, "beta2": 0.9, "eps": 1e-3})]
    for dtype, tag in FLOATS:
        u = lambda *s: uniform(*s, dtype=dtype)
        for variant, changes in variants:
            f.add(f"{variant}_three_steps_{tag}", "adam", [u(3, 5), u(3, 5), u(3, 5), u(3, 5)],
                  {**base, **changes}, covers=["adam_step_"], grad=False, covers_op=False)


def fast_path_cases(f):
    """Contiguous float32 with enough channels for the fast CPU kernels' blocked layouts (oneDNN and
    vectorised loops); test_golden.cpp runs every case with the fast kernels and with the reference ones."""
    u = lambda *s: uniform(*s, dtype=F32)
    tol = CHAINED[F32]
    f.add("conv2d_channels_f32", "conv2d", [u(1, 8, 6, 6), u(16, 8, 2, 2), u(16)],
          {"tensors": ["x", "weight", "bias"], "padding": 1}, covers=["conv2d_backward_weight"], tolerance=tol)
    f.add("conv_transpose2d_channels_f32", "conv_transpose2d", [u(1, 16, 3, 3), u(16, 8, 2, 2), u(8)],
          {"tensors": ["x", "weight", "bias"], "stride": 2}, covers=["conv2d_backward_weight"], tolerance=tol)
    f.add("max_pool2d_channels_f32", "max_pool2d", [distinct(1, 16, 6, 6, dtype=F32)],
          {"kernel_size": 3, "stride": 2, "padding": 1}, tolerance=tol)
    f.add("avg_pool2d_channels_f32", "avg_pool2d", [u(1, 16, 6, 6)], {"kernel_size": 2},
          covers=["avg_pool2d_backward"], tolerance=tol)
    f.add("layer_norm_wide_f32", "layer_norm", [u(4, 48), u(48), u(48)],
          {"tensors": ["x", "weight", "bias"], "normalized_shape": [48]}, tolerance=tol)
    f.add("gelu_long_f32", "gelu", [uniform(300, dtype=F32, low=-4, high=4)], {"approximate": "tanh"})



def layer_cases(f):
    """nn::MultiheadAttention and nn::TransformerBlock against nn.MultiheadAttention and a GPT-2 block."""
    attention_covers = ["scaled_dot_product_attention", "attention_backward"]
    E, B = 8, 2
    weights = lambda dtype: [uniform(3 * E, E, dtype=dtype), uniform(3 * E, dtype=dtype), uniform(E, E, dtype=dtype),
                             uniform(E, dtype=dtype)]
    weight_names = ["in_proj_weight", "in_proj_bias", "out_proj_weight", "out_proj_bias"]
    padding = values([[False, False, False, True, True], [False, False, False, False, False]], dtype=BOOL)
    blocked = values([[j != 0 and (i + j) % 3 == 0 for j in range(6)] for i in range(3)], dtype=BOOL)  # true masks out
    for dtype, tag in FLOATS:
        tol = CHAINED[dtype]
        u = lambda *s: uniform(*s, dtype=dtype)
        f.add(f"mha_self_{tag}", "multihead_attention", [u(B, 5, E)] + weights(dtype),
              {"tensors": ["query"] + weight_names, "num_heads": 2}, covers=attention_covers, tolerance=tol)
        f.add(f"mha_self_causal_padding_{tag}", "multihead_attention", [u(B, 5, E)] + weights(dtype) + [padding],
              {"tensors": ["query"] + weight_names + ["key_padding_mask"], "num_heads": 2, "is_causal": True},
              covers=attention_covers, tolerance=tol, note="key_padding_mask true = ignored; causal folded in")
        f.add(f"mha_cross_float_mask_{tag}", "multihead_attention",
              [u(B, 3, E), u(B, 6, E), u(B, 6, E)] + weights(dtype) + [u(3, 6)],
              {"tensors": ["query", "key", "value"] + weight_names + ["attn_mask"], "num_heads": 4},
              covers=attention_covers, tolerance=tol, grad=[True] * 7 + [False], note="a float attn_mask is added")
        f.add(f"mha_cross_bool_mask_{tag}", "multihead_attention",
              [u(B, 3, E), u(B, 6, E), u(B, 6, E)] + weights(dtype) + [blocked],
              {"tensors": ["query", "key", "value"] + weight_names + ["attn_mask"], "num_heads": 2},
              covers=attention_covers, tolerance=tol, note="a bool attn_mask masks out where true (as nn.MultiheadAttention)")
        block_inputs = [u(B, 5, E), u(E), u(E)] + weights(dtype) + [u(E), u(E), u(4 * E, E), u(4 * E), u(E, 4 * E), u(E)]
        block_names = ["x", "ln_1_weight", "ln_1_bias"] + weight_names + ["ln_2_weight", "ln_2_bias", "fc_weight",
                                                                       "fc_bias", "proj_weight", "proj_bias"]
        f.add(f"gpt_block_pre_ln_{tag}", "transformer_block", block_inputs,
              {"tensors": block_names, "num_heads": 2, "causal": True, "norm_first": True, "approximate": "tanh"},
              covers=attention_covers, tolerance=tol, note="GPT-2's block: pre-LN, causal, GELU (tanh)")
        f.add(f"post_ln_block_{tag}", "transformer_block", block_inputs,
              {"tensors": block_names, "num_heads": 4, "causal": False, "norm_first": False, "approximate": "none"},
              covers=attention_covers, tolerance=tol, note="Vaswani et al.'s post-LN block, exact GELU")

FAMILIES = [unary_more_cases, activation_cases, binary_more_cases, inplace_more_cases, reduce_more_cases,
            index_more_cases, contract_cases, window_cases, random_cases, conv_cases, pool_cases, upsample_cases,
            embedding_cases, norm_cases, attention_cases, loss_more_cases, linalg_cases, error_more_cases,
            optimizer_cases, fast_path_cases, layer_cases]
