"""Full reference training of notebook 07 (vanilla and attention translators, greedy and beam search).

Runs the reference solutions of ``source/07_char_translation_attention`` with the seed's settings (50 epochs,
Adam lr 0.003, dropout 0.3, hidden size 128, batch size 64; the notebook's weight averaging and label smoothing,
which ``--ema-decay 0 --label-smoothing 0`` turn off) on the Spanish-English pairs and prints, per model,
the training loss, validation error and wall time of every epoch, then a table of test errors (greedy for both
models, beam search for the attention model) of the weights kept (the epoch with the lowest validation error).
The training loop is the notebook's own ``train_translator``.

    COURSE_DATA_DIR=/work/shared/data nice -n 10 python bench/train_reference_07_char_translation_attention.py \
        --models vanilla attention

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--models", nargs="+", default=["vanilla", "attention"], choices=["vanilla", "attention"])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--threads", type=int, default=1, help="torch CPU threads (1 is steadiest on a busy machine)")
    parser.add_argument("--beam-width", type=int, default=5)
    parser.add_argument("--ema-decay", type=float, default=None,
                        help="override the notebook's averaging of the weights (0: none)")
    parser.add_argument("--label-smoothing", type=float, default=None, help="override the notebook's epsilon")
    parser.add_argument("--out", type=Path, default=Path("/tmp/bench07"))
    args = parser.parse_args()
    os.environ.pop("COURSE_QUICK", None)
    args.out.mkdir(parents=True, exist_ok=True)

    ns = notebook_namespace()
    torch = ns["torch"]
    torch.set_num_threads(args.threads)
    settings = dict(ns["FULL"], epochs=args.epochs)
    if args.ema_decay is not None:
        settings["ema_decay"] = args.ema_decay or None
    if args.label_smoothing is not None:
        settings["label_smoothing"] = args.label_smoothing
    print(f"data: {len(ns['train_pairs'])} train / {len(ns['val_pairs'])} val / {len(ns['test_pairs'])} test pairs "
          f"({ns['train_pairs'].origin}); device {ns['DEVICE']}; {args.threads} thread(s); settings {settings}",
          flush=True)
    rows = []
    summary = {}
    test_sources = [s for s, _ in ns["test_pairs"]]
    test_references = [t for _, t in ns["test_pairs"]]
    for name in args.models:
        ns["seed_everything"](0)
        model = ns["Translator"](len(ns["src_stoi"]), len(ns["tgt_stoi"]), settings["hidden_size"], settings["dropout"],
                                 name == "attention")
        print(f"--- {name}", flush=True)
        log = ns["train_translator"](model, ns["train_pairs"], ns["val_pairs"], **settings)
        ns["save_translator"](model, args.out / f"translator_{name}.pt")
        greedy = ns["error_rate"](ns["translate"](model, test_sources), test_references)
        log["test_error"] = {"greedy": greedy}
        wall, kept = log["seconds"][-1], log["epoch_kept"]
        per_epoch = wall / len(log["seconds"])
        rows.append((name, "greedy", kept, wall, per_epoch, log["val_error"][kept - 1], greedy))
        if name == "attention" and args.beam_width:
            start = time.perf_counter()
            beam = ns["error_rate"](ns["translate"](model, test_sources, beam_width=args.beam_width), test_references)
            log["test_error"][f"beam {args.beam_width}"] = beam
            log["beam_seconds"] = time.perf_counter() - start
            rows.append((name, f"beam {args.beam_width}", kept, wall, per_epoch, log["val_error"][kept - 1], beam))
        summary[name] = log
        (args.out / f"summary_{'_'.join(args.models)}.json").write_text(json.dumps(summary, indent=1))
    header = ("model", "decoding", "kept", "wall s", "s/epoch", "val err", "test err")
    print("\n{:10s} {:9s} {:>6s} {:>8s} {:>8s} {:>8s} {:>8s}".format(*header))
    for name, decoding, epochs, wall, per_epoch, val, test in rows:
        print(f"{name:10s} {decoding:9s} {epochs:6d} {wall:8.0f} {per_epoch:8.1f} {val:8.4f} {test:8.4f}")


if __name__ == "__main__":
    main()
