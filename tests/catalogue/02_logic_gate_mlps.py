"""Answers students really give in notebook 02, and what the grading must do with them."""

from instructor.catalogue import right, wrong

_XOR_W1 = "np.array([[10.0, -10.0], [10.0, -10.0]])"
# every cell that evaluates a network: graded with the grader's own forward pass, whatever mlp_forward does
_NETWORK_CELLS = ("test_and_gate", "test_or_gate", "test_xor_gate", "test_xnor_gate", "test_xor_training")

WRONG = [
    # -- the forward pass ------------------------------------------------------------------------------
    wrong("mlp_forward", "weight matrix transposed (column-vector habit)", "test_mlp_forward", keeps=_NETWORK_CELLS,
          replace={"h @ np.asarray(W, dtype=float)": "h @ np.asarray(W, dtype=float).T"}),
    wrong("mlp_forward", "forgot the bias", "test_mlp_forward", keeps=_NETWORK_CELLS,
          replace={" + np.asarray(b, dtype=float))": ")"}),
    wrong("mlp_forward", "no sigmoid on the output layer", "test_mlp_forward", keeps=_NETWORK_CELLS,
          body="h = np.asarray(x, dtype=float)\nfor k, (W, b) in enumerate(layers):\n    h = h @ W + b\n"
               "    if k < len(layers) - 1:\n        h = sigmoid(h)\nreturn h"),
    wrong("mlp_forward", "sigmoid only once, at the end", "test_mlp_forward", keeps=_NETWORK_CELLS,
          body="h = np.asarray(x, dtype=float)\nfor W, b in layers:\n    h = h @ W + b\nreturn sigmoid(h)"),
    wrong("mlp_forward", "bias subtracted", "test_mlp_forward", keeps=_NETWORK_CELLS,
          replace={" + np.asarray(b, dtype=float))": " - np.asarray(b, dtype=float))"}),
    wrong("mlp_forward", "sigmoid with the sign of z flipped, 1 / (1 + exp(z))", "test_mlp_forward", keeps=_NETWORK_CELLS,
          replace={"h = sigmoid(h @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float))":
                   "h = 1 / (1 + np.exp(h @ np.asarray(W, dtype=float) + np.asarray(b, dtype=float)))"}),
    # -- classification --------------------------------------------------------------------------------
    wrong("classify", "strict > instead of >=", "test_classify",
          replace={">= 0.5": "> 0.5"}),
    wrong("classify", "rounding (NumPy rounds 0.5 to 0)", "test_classify",
          body="return np.round(outputs).astype(int)"),
    wrong("classify", "thresholds the caller's outputs in place", "test_classify",
          body="outputs = np.asarray(outputs)\noutputs[outputs >= 0.5] = 1\noutputs[outputs < 0.5] = 0\n"
               "return outputs.astype(int)"),
    # -- truth tables ----------------------------------------------------------------------------------
    wrong("truth_tables", "XNOR copied from XOR", "test_truth_tables", keeps=("test_xnor_gate", "test_xor_training"),
          replace={'"XNOR": np.array([1, 0, 0, 1])': '"XNOR": np.array([0, 1, 1, 0])'}),
    wrong("truth_tables", "NOT written as the identity", "test_truth_tables", keeps=_NETWORK_CELLS,
          replace={'"NOT": np.array([1, 0])': '"NOT": np.array([0, 1])'}),
    # (its AND and OR columns pass the public laws, so the public checks of and_layers and or_layers, which compare
    # with the student's own table, still fail: they cannot tell which of the two is wrong)
    wrong("truth_tables", "rows in the order 11, 10, 01, 00", "test_truth_tables",
          keeps=("test_xor_gate", "test_xnor_gate", "test_xor_training"),
          replace={'"AND": np.array([0, 0, 0, 1])': '"AND": np.array([1, 0, 0, 0])',
                   '"OR": np.array([0, 1, 1, 1])': '"OR": np.array([1, 1, 1, 0])'}),
    wrong("truth_tables", "OR true for 00", "test_truth_tables", keeps=_NETWORK_CELLS,
          replace={'"OR": np.array([0, 1, 1, 1])': '"OR": np.array([1, 1, 1, 1])'}),
    # -- the NOT bias interval -------------------------------------------------------------------------
    wrong("not_bias_range", "forgot the weight in the upper end", "test_not_bias_range",
          replace={"float(-w - t)": "float(-t)"}),
    wrong("not_bias_range", "sign of the weight flipped", "test_not_bias_range",
          replace={"float(-w - t)": "float(w - t)"}),
    wrong("not_bias_range", "margin ignored (the interval [0, -w])", "test_not_bias_range",
          body="return 0.0, float(-w)"),
    wrong("not_bias_range", "logit inverted (log of (0.5 - m) / (0.5 + m))", "test_not_bias_range",
          replace={"np.log((0.5 + margin) / (0.5 - margin))": "np.log((0.5 - margin) / (0.5 + margin))"}),
    # -- single-neuron gates ---------------------------------------------------------------------------
    wrong("single_neuron_gates", "AND with the OR bias", "test_and_gate",
          replace={"np.array([-15.0])": "np.array([-5.0])"}),
    wrong("single_neuron_gates", "AND right in class but too close to 0.5", "test_and_gate",
          replace={"and_layers = [(np.array([[10.0], [10.0]]), np.array([-15.0]))]":
                   "and_layers = [(np.array([[0.2], [0.2]]), np.array([-0.3]))]"}),
    wrong("single_neuron_gates", "AND with a needless second layer", "test_and_gate",
          replace={"and_layers = [(np.array([[10.0], [10.0]]), np.array([-15.0]))]":
                   "and_layers = [(np.array([[10.0], [10.0]]), np.array([-15.0])),\n"
                   "              (np.array([[10.0]]), np.array([-5.0]))]"}),
    wrong("single_neuron_gates", "AND with infinite weights (NaN where an input is 0)", "test_and_gate",
          replace={"and_layers = [(np.array([[10.0], [10.0]]), np.array([-15.0]))]":
                   "and_layers = [(np.array([[np.inf], [np.inf]]), np.array([-1.0]))]"}),
    wrong("single_neuron_gates", "OR bias with the wrong sign", "test_or_gate",
          replace={"np.array([-5.0])": "np.array([5.0])"}),
    wrong("single_neuron_gates", "OR weights as a row (shape (1, 2))", "test_or_gate",
          replace={"or_layers = [(np.array([[10.0], [10.0]])": "or_layers = [(np.array([[10.0, 10.0]])"}),
    # -- hidden-layer gates ----------------------------------------------------------------------------
    wrong("hidden_layer_gates", "XOR attempted with one neuron", "test_xor_gate",
          body="xor_layers = [(np.array([[10.0], [10.0]]), np.array([-5.0]))]\n"
               f"xnor_layers = [({_XOR_W1}, np.array([-5.0, 15.0])),\n"
               "               (np.array([[-10.0], [-10.0]]), np.array([15.0]))]"),
    wrong("hidden_layer_gates", "first weight matrix transposed", ("test_xor_gate", "test_xnor_gate"),
          replace={_XOR_W1: "np.array([[10.0, 10.0], [-10.0, -10.0]])"}),
    wrong("hidden_layer_gates", "XOR with three hidden neurons (not the smallest)", "test_xor_gate",
          body="xor_layers = [(np.array([[10.0, -10.0, 0.0], [10.0, -10.0, 0.0]]), np.array([-5.0, 15.0, 0.0])),\n"
               "              (np.array([[10.0], [10.0], [0.0]]), np.array([-15.0]))]\n"
               f"xnor_layers = [({_XOR_W1}, np.array([-5.0, 15.0])),\n"
               "               (np.array([[-10.0], [-10.0]]), np.array([15.0]))]"),
    wrong("hidden_layer_gates", "XNOR copied from XOR", "test_xnor_gate",
          replace={"(np.array([[-10.0], [-10.0]]), np.array([15.0]))": "(np.array([[10.0], [10.0]]), np.array([-15.0]))"}),
    wrong("hidden_layer_gates", "XNOR output bias with the wrong sign", "test_xnor_gate",
          replace={"(np.array([[-10.0], [-10.0]]), np.array([15.0]))": "(np.array([[-10.0], [-10.0]]), np.array([-15.0]))"}),
    # -- backpropagation -------------------------------------------------------------------------------
    wrong("loss_and_grads", "mean squared error instead of cross-entropy", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"loss = -np.mean(y * np.log(o) + (1 - y) * np.log(1 - o))": "loss = np.mean((o - y) ** 2)",
                   "dz2 = (o - y) / n": "dz2 = 2 * (o - y) * o * (1 - o) / n"}),
    wrong("loss_and_grads", "summed over rows instead of the mean", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"loss = -np.mean(": "loss = -np.sum(", "dz2 = (o - y) / n": "dz2 = o - y"}),
    wrong("loss_and_grads", "forgot the sigmoid derivative of the hidden layer", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"dz1 = (dz2 @ W2.T) * a1 * (1 - a1)": "dz1 = dz2 @ W2.T"}),
    wrong("loss_and_grads", "dW1 transposed", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"dW1 = x.T @ dz1": "dW1 = dz1.T @ x"}),
    wrong("loss_and_grads", "gradient sign flipped", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"dz2 = (o - y) / n": "dz2 = (y - o) / n"}),
    wrong("loss_and_grads", "sigmoid derivative counted twice at the output", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"dz2 = (o - y) / n": "dz2 = (o - y) * o * (1 - o) / n"}),
    wrong("loss_and_grads", "bias gradient summed over the wrong axis", "test_loss_and_grads", keeps=("test_train_gd",),
          replace={"db1 = dz1.sum(axis=0)": "db1 = dz1.sum(axis=1)"}),
    # -- gradient descent ------------------------------------------------------------------------------
    wrong("train_gd", "gradient ascent", ("test_train_gd", "test_xor_training"),
          replace={"(W - lr * dW, b - lr * db)": "(W + lr * dW, b + lr * db)"}),
    wrong("train_gd", "updates the caller's arrays in place", "test_train_gd", keeps=("test_xor_training",),
          body="losses = np.empty(steps)\nfor t in range(steps):\n    losses[t], grads = loss_and_grads(layers, x, y)\n"
               "    for (W, b), (dW, db) in zip(layers, grads):\n        W -= lr * dW\n        b -= lr * db\n"
               "return layers, losses"),
    wrong("train_gd", "biases never updated", "test_train_gd",
          replace={"(W - lr * dW, b - lr * db)": "(W - lr * dW, b)"}),
    wrong("train_gd", "loss recorded after the update", "test_train_gd",
          body="layers = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]\n"
               "losses = np.empty(steps)\nfor t in range(steps):\n    _, grads = loss_and_grads(layers, x, y)\n"
               "    layers = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(layers, grads)]\n"
               "    losses[t] = loss_and_grads(layers, x, y)[0]\nreturn layers, losses"),
    wrong("train_gd", "returns the start point", "test_train_gd",
          body="start = [(np.array(W, dtype=float), np.array(b, dtype=float)) for W, b in layers]\n"
               "current, losses = start, np.empty(steps)\nfor t in range(steps):\n"
               "    losses[t], grads = loss_and_grads(current, x, y)\n"
               "    current = [(W - lr * dW, b - lr * db) for (W, b), (dW, db) in zip(current, grads)]\n"
               "return start, losses"),
    # -- training XOR ----------------------------------------------------------------------------------
    wrong("xor_training", "stopped after 20 steps", "test_xor_training", replace={"steps=2000": "steps=20"}),
    wrong("xor_training", "learning rate far too small", "test_xor_training", replace={"lr=1.0": "lr=0.01"}),
    wrong("xor_training", "trained on the AND targets", "test_xor_training",
          replace={"y_xor,": 'np.asarray(truth_tables["AND"], dtype=float).reshape(4, 1),'}),
    wrong("xor_training", "started from another seed that gets stuck", "test_xor_training",
          body="_r = np.random.default_rng(6)\n"
               "_s = [(_r.normal(size=(2, 2)), np.zeros(2)), (_r.normal(size=(2, 1)), np.zeros(1))]\n"
               "xor_trained, xor_losses = train_gd(_s, INPUTS, y_xor, lr=1.0, steps=2000)"),
    # held out at first (a second author's answers), caught since
    wrong("classify", "floats 0.0 and 1.0 instead of integers", "test_classify",
          body="return (np.asarray(outputs, dtype=float) >= 0.5) * 1.0"),
    wrong("truth_tables", "the outputs as text: lists of the digits '0' and '1'", "test_truth_tables",
          body='truth_tables = {"NOT": list("10"), "AND": list("0001"), "OR": list("0111"), "XOR": list("0110"),\n'
               '                "XNOR": list("1001")}'),
    wrong("truth_tables", "XOR and XNOR swapped: the XOR network then learns XNOR, as it was told",
          "test_truth_tables", keeps=("test_xor_training",),
          replace={'"XOR": np.array([0, 1, 1, 0])': '"XOR": np.array([1, 0, 0, 1])',
                   '"XNOR": np.array([1, 0, 0, 1])': '"XNOR": np.array([0, 1, 1, 0])'}),
    wrong("train_gd", "the losses as a Python list", "test_train_gd",
          replace={"losses = np.empty(steps)": "losses = []",
                   "losses[t], grads = loss_and_grads(layers, x, y)":
                   "loss, grads = loss_and_grads(layers, x, y)\n        losses.append(loss)"}),
]

RIGHT = [
    right("mlp_forward", "explicit loops over rows and neurons",
          body="x = np.asarray(x, dtype=float)\nout = []\nfor row in x:\n    h = list(row)\n"
               "    for W, b in layers:\n        W = np.asarray(W, dtype=float)\n"
               "        h = [1 / (1 + np.exp(-(sum(h[i] * W[i, j] for i in range(len(h))) + b[j])))\n"
               "             for j in range(W.shape[1])]\n    out.append(h)\nreturn np.array(out)"),
    right("mlp_forward", "np.dot and reassignment", body="for W, b in layers:\n    x = sigmoid(np.dot(x, W) + b)\nreturn x"),
    right("classify", "np.where", body="return np.where(np.asarray(outputs) >= 0.5, 1, 0)"),
    right("classify", "boolean array", body="return ~(np.asarray(outputs) < 0.5)"),
    right("truth_tables", "computed from INPUTS with logical operators",
          body="a, b = INPUTS[:, 0].astype(bool), INPUTS[:, 1].astype(bool)\n"
               "truth_tables = {\"NOT\": np.array([1, 0]), \"AND\": (a & b).astype(int), \"OR\": (a | b).astype(int),\n"
               "                \"XOR\": (a ^ b).astype(int), \"XNOR\": (~(a ^ b)).astype(int)}"),
    right("truth_tables", "plain lists",
          body='truth_tables = {"NOT": [1, 0], "AND": [0, 0, 0, 1], "OR": [0, 1, 1, 1], "XOR": [0, 1, 1, 0],\n'
               '                "XNOR": [1, 0, 0, 1]}'),
    right("not_bias_range", "inverse sigmoid written as -log(1/p - 1)",
          body="lo = -np.log(1 / (0.5 + margin) - 1)\nhi = -np.log(1 / (0.5 - margin) - 1) - w\nreturn lo, hi"),
    right("single_neuron_gates", "small weights that still keep the margin, lists and a (1, 1) bias",
          body="and_layers = [([[1.0], [1.0]], np.array([[-1.5]]))]\nor_layers = [([[3.0], [2.0]], [-1.0])]"),
    right("hidden_layer_gates", "XOR as OR minus AND, XNOR as NOR or AND",
          body="xor_layers = [(np.array([[20.0, 20.0], [20.0, 20.0]]), np.array([-10.0, -30.0])),\n"
               "              (np.array([[20.0], [-20.0]]), np.array([-10.0]))]\n"
               "xnor_layers = [(np.array([[-20.0, 20.0], [-20.0, 20.0]]), np.array([10.0, -30.0])),\n"
               "               (np.array([[20.0], [20.0]]), np.array([-10.0]))]"),
    right("loss_and_grads", "loops over the rows, accumulating gradients",
          body="(W1, b1), (W2, b2) = layers\nn = len(x)\ngW1, gb1 = np.zeros_like(W1), np.zeros_like(b1)\n"
               "gW2, gb2 = np.zeros_like(W2), np.zeros_like(b2)\ntotal = 0.0\nfor xi, yi in zip(x, y):\n"
               "    a = sigmoid(xi @ W1 + b1)\n    o = sigmoid(a @ W2 + b2)\n"
               "    total -= yi[0] * np.log(o[0]) + (1 - yi[0]) * np.log(1 - o[0])\n"
               "    d2 = (o - yi) / n\n    gW2 += np.outer(a, d2)\n    gb2 += d2\n"
               "    d1 = (W2 @ d2) * a * (1 - a)\n    gW1 += np.outer(xi, d1)\n    gb1 += d1\n"
               "return total / n, [(gW1, gb1), (gW2, gb2)]"),
    right("train_gd", "in-place updates on copies",
          body="params = [np.array(p, dtype=float) for pair in layers for p in pair]\nlosses = []\n"
               "for _ in range(steps):\n    loss, grads = loss_and_grads([(params[0], params[1]), (params[2], params[3])], x, y)\n"
               "    losses.append(loss)\n    for p, g in zip(params, [g for pair in grads for g in pair]):\n"
               "        p -= lr * g\nreturn [(params[0], params[1]), (params[2], params[3])], np.array(losses)"),
    right("xor_training", "larger learning rate, fewer steps", replace={"lr=1.0, steps=2000": "lr=3.0, steps=800"}),
]
