"""Golden cases of the recurrent layers (imported by make_fixtures.py): torch.nn.LSTM, GRU and RNN with the
case's inputs as their weights (torch.func.functional_call), replayed in test_golden.cpp through
nabla::nn::recurrent, the computation the modules run. Each case's inputs are (input, h_0[, c_0]) and then the
weights of every layer and direction in PyTorch's parameter order; gradients flow to all of them."""
import torch

COVERS = ["recurrent_sequence", "recurrent_sequence_backward"]
MODULES = {"lstm": torch.nn.LSTM, "gru": torch.nn.GRU, "rnn": torch.nn.RNN}
GATES = {"lstm": 4, "gru": 3, "rnn": 1}


def make_module(kind, args, dtype):
    options = dict(input_size=args["input_size"], hidden_size=args["hidden_size"],
                   num_layers=args.get("num_layers", 1), bias=args.get("bias", True),
                   batch_first=args.get("batch_first", False), bidirectional=args.get("bidirectional", False),
                   dtype=dtype)
    if kind == "rnn":
        options["nonlinearity"] = args.get("nonlinearity", "tanh")
    return MODULES[kind](**options)


def runner(kind):
    def run(xs, args):
        module = make_module(kind, args, xs[0].dtype)
        states = 2 if kind == "lstm" else 1
        names = [name for name, _ in module.named_parameters()]
        weights = xs[1 + states:]
        assert len(names) == len(weights), f"{kind}: {len(names)} parameters, {len(weights)} weight inputs"
        hx = (xs[1], xs[2]) if kind == "lstm" else xs[1]
        output, state = torch.func.functional_call(module, dict(zip(names, weights)), (xs[0], hx))
        return (output, *state) if kind == "lstm" else (output, state)
    return run


RUNNERS = {kind: runner(kind) for kind in MODULES}


def input_shapes(kind, args, steps, batch):
    """(input, h_0[, c_0], weights…) shapes of a case."""
    hidden, layers = args["hidden_size"], args.get("num_layers", 1)
    directions = 2 if args.get("bidirectional", False) else 1
    first = [batch, steps] if args.get("batch_first", False) else [steps, batch]
    shapes = [first + [args["input_size"]]]
    shapes += [[layers * directions, batch, hidden]] * (2 if kind == "lstm" else 1)
    gates = GATES[kind] * hidden
    for layer in range(layers):
        width = args["input_size"] if layer == 0 else directions * hidden
        for _ in range(directions):
            shapes += [[gates, width], [gates, hidden]]
            if args.get("bias", True):
                shapes += [[gates], [gates]]
    return shapes


def recurrent_cases(f, uniform, float64, float32):
    cases = [
        ("lstm_two_layer_bidirectional_f64", "lstm",
         {"input_size": 5, "hidden_size": 4, "num_layers": 2, "bidirectional": True}, float64),
        ("lstm_batch_first_two_layer_f64", "lstm",
         {"input_size": 3, "hidden_size": 5, "num_layers": 2, "batch_first": True}, float64),
        ("lstm_no_bias_f64", "lstm", {"input_size": 3, "hidden_size": 4, "bias": False}, float64),
        ("gru_two_layer_bidirectional_batch_first_f64", "gru",
         {"input_size": 5, "hidden_size": 4, "num_layers": 2, "bidirectional": True, "batch_first": True}, float64),
        ("gru_two_layer_f64", "gru", {"input_size": 3, "hidden_size": 5, "num_layers": 2}, float64),
        ("gru_no_bias_bidirectional_f64", "gru",
         {"input_size": 3, "hidden_size": 4, "bias": False, "bidirectional": True}, float64),
        ("rnn_relu_bidirectional_f64", "rnn",
         {"input_size": 3, "hidden_size": 4, "nonlinearity": "relu", "bidirectional": True}, float64),
        ("rnn_tanh_two_layer_f64", "rnn", {"input_size": 3, "hidden_size": 4, "num_layers": 2}, float64),
        # float32 through the fast kernels (forward and backward), with a hidden size past one vector of 16
        ("lstm_two_layer_bidirectional_batch_first_f32", "lstm",
         {"input_size": 6, "hidden_size": 19, "num_layers": 2, "bidirectional": True, "batch_first": True}, float32),
        ("gru_two_layer_bidirectional_f32", "gru",
         {"input_size": 6, "hidden_size": 19, "num_layers": 2, "bidirectional": True}, float32),
    ]
    for name, kind, args, dtype in cases:
        shapes = input_shapes(kind, args, steps=4, batch=3)
        # float32: the fast kernels' vector tanh and σ and a different summation order, through two layers and
        # four steps, forward and back
        tolerance = (1e-5, 1e-4) if dtype == float32 else None
        f.add(name, kind, [uniform(*shape, dtype=dtype) for shape in shapes], args, covers=COVERS,
              tolerance=tolerance)
