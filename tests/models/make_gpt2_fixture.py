"""Makes the GPT-2 compatibility fixture: a small, randomly initialised Hugging Face GPT2LMHeadModel saved as
safetensors, with an input, its logits and its greedy continuation.

    /root/torchenv/bin/python tests/models/make_gpt2_fixture.py    (needs torch, transformers, safetensors)

writes tests/models/gpt2/model.safetensors (Hugging Face's own names and layouts, as save_pretrained writes
them: about 0.5 MB) and tests/models/gpt2/expected.json. tests/models/test_gpt2.cpp loads the weights into
nabla's GPT with models::load_gpt2 and must reproduce the logits (float32, rtol 1e-4) and the tokens.
The weights are drawn with initializer_range 0.3 rather than GPT-2's 0.02, so the logits are far from
uniform and the greedy choices are not near-ties that rounding could flip.
"""
import json
import os

import torch
from safetensors.torch import save_file
from transformers import GPT2Config, GPT2LMHeadModel

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "gpt2")


def main():
    torch.manual_seed(15)
    config = GPT2Config(vocab_size=100, n_positions=64, n_embd=64, n_layer=2, n_head=4, initializer_range=0.3,
                        resid_pdrop=0.0, embd_pdrop=0.0, attn_pdrop=0.0)
    model = GPT2LMHeadModel(config).eval()
    # Biases and norms start at 0 and 1; give them values so that a wrong mapping of any of them shows.
    with torch.no_grad():
        for name, parameter in model.named_parameters():
            if parameter.dim() == 1:
                parameter.add_(torch.randn_like(parameter) * 0.1)
    state = {name: tensor.contiguous() for name, tensor in model.state_dict().items()
             if not name.endswith(".attn.bias") and not name.endswith(".attn.masked_bias")}
    state.pop("lm_head.weight", None)  # tied to transformer.wte.weight (save_pretrained drops it too)

    ids = torch.randint(0, config.vocab_size, (2, 12), generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        logits = model(ids).logits  # [2, 12, 100]
        continuation = model.generate(ids[:1], max_new_tokens=10, do_sample=False, pad_token_id=0,
                                      attention_mask=torch.ones_like(ids[:1]))
    os.makedirs(HERE, exist_ok=True)
    save_file(state, os.path.join(HERE, "model.safetensors"))
    expected = {
        "config": {"vocab_size": config.vocab_size, "n_positions": config.n_positions, "n_embd": config.n_embd,
                   "n_layer": config.n_layer, "n_head": config.n_head},
        "input_ids": ids.tolist(),
        "logits": logits.flatten().tolist(),
        "logits_shape": list(logits.shape),
        "greedy_prompt": ids[0].tolist(),
        "greedy_continuation": continuation[0, ids.shape[1]:].tolist(),
        "versions": {"torch": torch.__version__, "transformers": __import__("transformers").__version__},
    }
    with open(os.path.join(HERE, "expected.json"), "w") as f:
        json.dump(expected, f)
    print(f"wrote {len(state)} tensors; greedy continuation {expected['greedy_continuation']}")


if __name__ == "__main__":
    main()
