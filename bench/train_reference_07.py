"""Full reference training of notebook 07 (vanilla and attention translators, greedy and beam search).

Runs the reference solutions of ``source/07_char_translation_attention`` with the seed's settings (50 epochs,
Adam lr 0.003, dropout 0.3, hidden size 128, batch size 64) on the Spanish-English pairs and prints, per model,
the training loss, validation error and wall time of every epoch, then a table of test errors (greedy for both
models, beam search for the attention model).

    COURSE_DATA_DIR=/work/shared/data nice -n 10 python bench/train_reference_07.py --models vanilla attention

Nothing is written into the repository: weights and a JSON summary go to ``--out`` (default
``/tmp/bench07``). Two processes (``--models vanilla`` and ``--models attention``) use two cores best.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NOTEBOOK = REPO / "source" / "07_char_translation_attention" / "07_char_translation_attention.ipynb"


def _definitions_only(source: str) -> bool:
    """Whether a code cell only imports, defines and assigns (the cells that set the notebook up)."""
    allowed = (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.ClassDef, ast.Assign, ast.If, ast.Expr)
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return False
    return all(isinstance(node, allowed) for node in tree.body)


def notebook_namespace() -> dict:
    """Run the notebook's set-up cells (imports, data, reference solutions, given code): no tests, no training."""
    import nbformat

    sys.path.insert(0, str(REPO))
    notebook = nbformat.read(NOTEBOOK, as_version=4)
    namespace: dict = {"__name__": "notebook07"}
    training_seen = False
    for cell in notebook.cells:
        nbgrader = cell.metadata.get("nbgrader", {})
        if cell.cell_type != "code" or nbgrader.get("grade", False):
            continue
        training_seen = training_seen or "trained_translator(attention=" in cell.source
        # before the training cells: every set-up cell; after them: only the solution cells (beam search)
        if (nbgrader.get("solution", False) if training_seen else _definitions_only(cell.source)):
            exec(compile(cell.source, "<notebook 07>", "exec"), namespace)
    return namespace


def train(ns: dict, attention: bool, settings: dict, test_every: int, out: Path, verbose: bool = True) -> dict:
    torch = ns["torch"]
    ns["seed_everything"](0)
    model = ns["Translator"](len(ns["src_stoi"]), len(ns["tgt_stoi"]), settings["hidden_size"], settings["dropout"],
                             attention).to(ns["DEVICE"])
    optimizer = torch.optim.Adam(model.parameters(), lr=settings["lr"])
    examples = ns["encode_pairs"](ns["train_pairs"])
    val, test = ns["val_pairs"], ns["test_pairs"]
    name = "attention" if attention else "vanilla"
    log = {"epoch": [], "loss": [], "val_error": [], "test_error": {}, "seconds": []}
    start = time.perf_counter()
    for epoch in range(1, settings["epochs"] + 1):
        model.train()
        total, batches = 0.0, 0
        for src, lengths, tgt in ns["make_batches"](examples, settings["batch_size"], shuffle=True, seed=epoch - 1):
            src, lengths, tgt = src.to(ns["DEVICE"]), lengths.to(ns["DEVICE"]), tgt.to(ns["DEVICE"])
            decoder_input, decoder_target = ns["shift_targets"](tgt)
            logits, _ = model(src, lengths, decoder_input)
            loss = ns["sequence_loss"](logits, decoder_target)
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total, batches = total + loss.item(), batches + 1
        val_error = ns["error_rate"](ns["translate"](model, [s for s, _ in val]), [t for _, t in val])
        log["epoch"].append(epoch)
        log["loss"].append(total / batches)
        log["val_error"].append(val_error)
        log["seconds"].append(time.perf_counter() - start)
        line = (f"{name:9s} epoch {epoch:2d}  loss {total / batches:.3f}  val error {val_error:.4f}  "
                f"{log['seconds'][-1]:7.0f} s")
        if epoch % test_every == 0 or epoch == settings["epochs"]:
            test_error = ns["error_rate"](ns["translate"](model, [s for s, _ in test]), [t for _, t in test])
            log["test_error"][epoch] = test_error
            line += f"  test error {test_error:.4f}"
            ns["save_translator"](model, out / f"translator_{name}.pt")
        if verbose:
            print(line, flush=True)
    log["model"] = model
    return log


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["vanilla", "attention"], choices=["vanilla", "attention"])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is steadiest on a busy machine)")
    parser.add_argument("--beam-width", type=int, default=5)
    parser.add_argument("--test-every", type=int, default=5)
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench07"))
    args = parser.parse_args()
    os.environ.pop("COURSE_QUICK", None)
    args.out.mkdir(parents=True, exist_ok=True)

    ns = notebook_namespace()
    torch = ns["torch"]
    torch.set_num_threads(args.threads)
    settings = dict(ns["FULL"], epochs=args.epochs)
    print(f"data: {len(ns['train_pairs'])} train / {len(ns['val_pairs'])} val / {len(ns['test_pairs'])} test pairs "
          f"({ns['train_pairs'].origin}); device {ns['DEVICE']}; {args.threads} thread(s); settings {settings}",
          flush=True)
    rows = []
    summary = {}
    test_sources = [s for s, _ in ns["test_pairs"]]
    test_references = [t for _, t in ns["test_pairs"]]
    for name in args.models:
        log = train(ns, name == "attention", settings, args.test_every, args.out)
        model = log.pop("model")
        greedy = ns["error_rate"](ns["translate"](model, test_sources), test_references)
        per_epoch = log["seconds"][-1] / len(log["seconds"])
        rows.append((name, "greedy", len(log["epoch"]), log["seconds"][-1], per_epoch, log["val_error"][-1], greedy))
        if name == "attention" and args.beam_width:
            start = time.perf_counter()
            beam = ns["error_rate"](ns["translate"](model, test_sources, beam_width=args.beam_width), test_references)
            log["beam"] = {"width": args.beam_width, "test_error": beam, "seconds": time.perf_counter() - start}
            rows.append((name, f"beam {args.beam_width}", len(log["epoch"]), log["seconds"][-1], per_epoch,
                         log["val_error"][-1], beam))
        summary[name] = log
        (args.out / f"summary_{'_'.join(args.models)}.json").write_text(json.dumps(summary, indent=1))
    header = ("model", "decoding", "epochs", "wall s", "s/epoch", "val err", "test err")
    print("\n{:10s} {:9s} {:>6s} {:>8s} {:>8s} {:>8s} {:>8s}".format(*header))
    for name, decoding, epochs, wall, per_epoch, val, test in rows:
        print(f"{name:10s} {decoding:9s} {epochs:6d} {wall:8.0f} {per_epoch:8.1f} {val:8.4f} {test:8.4f}")


if __name__ == "__main__":
    main()
