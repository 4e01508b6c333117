"""Answers students really give in notebook 06, and what the grading must do with them."""

from instructor.catalogue import right, wrong

WRONG = [
    # LeNet-5 and its regularizers
    wrong("lenet5", "dropout left on at evaluation (F.dropout with training=True)", "test_lenet5",
          replace={"x = self.drop(F.relu(self.bn3(self.fc1(x))))": "x = F.relu(self.bn3(self.fc1(x)))\n    if self.regularizer == 'dropout':\n        x = F.dropout(x, self.drop.p, training=True)"}),
    wrong("lenet5", "batch norm after the ReLU instead of before it", "test_lenet5",
          replace={"x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)": "x = F.max_pool2d(self.bn1(F.relu(self.conv1(x))), 2)",
                   "x = self.drop(F.relu(self.bn3(self.fc1(x))))": "x = self.drop(self.bn3(F.relu(self.fc1(x))))"}),
    wrong("lenet5", "batch norm only on the convolutions", "test_lenet5",
          replace={"self.bn3 = nn.BatchNorm1d(120) if use_bn else nn.Identity()": "self.bn3 = nn.Identity()",
                   "self.bn4 = nn.BatchNorm1d(84) if use_bn else nn.Identity()": "self.bn4 = nn.Identity()"}),
    wrong("lenet5", "no padding in conv1, so the size changes (fc1 sized 16x4x4)", "test_lenet5",
          replace={"nn.Conv2d(1, 6, kernel_size=5, padding=2)": "nn.Conv2d(1, 6, kernel_size=5)",
                   "nn.Linear(16 * 5 * 5, 120)": "nn.Linear(16 * 4 * 4, 120)"}),
    wrong("lenet5", "average pooling instead of max pooling", "test_lenet5",
          replace={"x = F.max_pool2d(F.relu(self.bn1(self.conv1(x))), 2)": "x = F.avg_pool2d(F.relu(self.bn1(self.conv1(x))), 2)",
                   "x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)": "x = F.avg_pool2d(F.relu(self.bn2(self.conv2(x))), 2)"}),
    wrong("lenet5", "dropout after the convolutions too", "test_lenet5",
          replace={"x = F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2)": "x = self.drop(F.max_pool2d(F.relu(self.bn2(self.conv2(x))), 2))"}),
    wrong("lenet5", "LogSoftmax at the output although CrossEntropyLoss applies it (softmax twice)", "test_lenet5",
          replace={"return self.fc3(x)": "return F.log_softmax(self.fc3(x), dim=1)"}),
    wrong("lenet5", "dropout probability argument ignored (fixed 0.5)", "test_lenet5",
          replace={"nn.Dropout(dropout)": "nn.Dropout(0.5)"}),
    wrong("lenet5", "batch-norm momentum in the Keras sense (0.99): the running statistics barely follow the batches", "test_lenet5",
          replace={"nn.BatchNorm2d(6) if": "nn.BatchNorm2d(6, momentum=0.99) if", "nn.BatchNorm2d(16) if": "nn.BatchNorm2d(16, momentum=0.99) if",
                   "nn.BatchNorm1d(120) if": "nn.BatchNorm1d(120, momentum=0.99) if", "nn.BatchNorm1d(84) if": "nn.BatchNorm1d(84, momentum=0.99) if"},
          keeps=("test_make_optimizer", "test_evaluate_accuracy", "test_train_one_epoch")),
    wrong("lenet5", "default dropout probability 0.5 instead of 0.3", "test_lenet5",
          replace={'def __init__(self, regularizer="none", dropout=0.3):': 'def __init__(self, regularizer="none", dropout=0.5):'}),
    # the optimizer
    wrong("make_optimizer", "weight decay applied to nothing (the variant name is misspelled)", "test_make_optimizer",
          replace={'regularizer == "weight_decay"': 'regularizer == "weight-decay"'}),
    wrong("make_optimizer", "weight decay applied to the biases only", "test_make_optimizer",
          body='biases = [p for n, p in model.named_parameters() if n.endswith("bias")]\n'
               'others = [p for n, p in model.named_parameters() if not n.endswith("bias")]\n'
               'decay = weight_decay if regularizer == "weight_decay" else 0.0\n'
               'return torch.optim.Adam([{"params": biases, "weight_decay": decay}, {"params": others}], lr=lr)'),
    wrong("make_optimizer", "weight decay for every variant", "test_make_optimizer",
          body="return torch.optim.Adam(model.parameters(), lr=lr, weight_decay=weight_decay)"),
    wrong("make_optimizer", "SGD instead of Adam", "test_make_optimizer",
          replace={"torch.optim.Adam(": "torch.optim.SGD("}),
    wrong("make_optimizer", "AdamW (decoupled weight decay) instead of Adam with an L2 term", "test_make_optimizer",
          replace={"torch.optim.Adam(": "torch.optim.AdamW("}, keeps=("test_evaluate_accuracy", "test_train_one_epoch")),
    # evaluation
    wrong("evaluate_accuracy", "dropout and batch norm left in training mode (no model.eval())", "test_evaluate_accuracy",
          replace={"model.eval()\n": ""}),
    wrong("evaluate_accuracy", "mean of the per-batch accuracies", "test_evaluate_accuracy",
          body="model.eval()\naccs = []\nwith torch.no_grad():\n    for x, y in loader:\n"
               "        x, y = x.to(device), y.to(device)\n        accs.append((model(x).argmax(1) == y).float().mean().item())\n"
               "return sum(accs) / len(accs)"),
    wrong("evaluate_accuracy", "returns percent", "test_evaluate_accuracy",
          replace={"return correct / total": "return 100 * correct / total"}),
    wrong("evaluate_accuracy", "no torch.no_grad(): every batch builds a graph", "test_evaluate_accuracy",
          body="model.eval()\ncorrect, total = 0, 0\nfor x, y in loader:\n    x, y = x.to(device), y.to(device)\n"
               "    correct += (model(x).argmax(dim=1) == y).sum().item()\n    total += len(y)\nreturn correct / total",
          keeps=("test_train_one_epoch",)),
    # one epoch of training
    wrong("train_one_epoch", "no optimizer.zero_grad(): gradients accumulate", "test_train_one_epoch",
          replace={"    optimizer.zero_grad()\n": ""}),
    wrong("train_one_epoch", "model.train() missing: batch norm stays in evaluation mode", "test_train_one_epoch",
          replace={"model.train()\n": ""}),
    wrong("train_one_epoch", "cross-entropy hard-coded instead of loss_fn", "test_train_one_epoch",
          replace={"loss = loss_fn(model(x), y)": "loss = F.cross_entropy(model(x), y)"}),
    wrong("train_one_epoch", "returns the loss of the last batch", "test_train_one_epoch",
          replace={"return total_loss / count": "return loss.item()"}),
    wrong("train_one_epoch", "no optimizer.step(): nothing learns",
          ("test_train_one_epoch", "test_lenet_performance", "test_kmnist_performance"),
          replace={"    optimizer.step()\n": ""}),
    # plots and table
    wrong("plot_convergence", "validation accuracy plotted as the test curve", "test_plot_convergence",
          replace={"100 * np.asarray(history.test_acc)": "100 * np.asarray(history.val_acc)"}),
    wrong("plot_convergence", "fractions instead of percent", "test_plot_convergence",
          replace={"100 * np.asarray(history.train_acc)": "np.asarray(history.train_acc)",
                   "100 * np.asarray(history.test_acc)": "np.asarray(history.test_acc)"}),
    wrong("plot_convergence", "no axis labels", "test_plot_convergence",
          replace={'ax.set_xlabel("epoch")\n': "", 'ax.set_ylabel("accuracy (%)")\n': ""}),
    wrong("plot_convergence", "the history converted to percent in place (the table then reads percentages)", "test_plot_convergence",
          body="for i in range(len(history.epoch)):\n    history.train_acc[i] *= 100\n    history.test_acc[i] *= 100\n"
               'ax.plot(history.epoch, history.train_acc, label="train")\nax.plot(history.epoch, history.test_acc, label="test")\n'
               'ax.set_title(title)\nax.set_xlabel("epoch")\nax.set_ylabel("accuracy (%)")\nax.legend()\nreturn ax',
          keeps=("test_accuracy_table",)),
    wrong("accuracy_table", "last epoch instead of the epoch kept", "test_accuracy_table",
          replace={"best = int(np.argmax(h.val_acc))": "best = len(h.val_acc) - 1"}),
    wrong("accuracy_table", "epoch picked on the test accuracy", "test_accuracy_table",
          replace={"best = int(np.argmax(h.val_acc))": "best = int(np.argmax(h.test_acc))"}),
    wrong("accuracy_table", "last of the tied best epochs", "test_accuracy_table",
          replace={"best = int(np.argmax(h.val_acc))": "best = len(h.val_acc) - 1 - int(np.argmax(h.val_acc[::-1]))"}),
    # the KMNIST network
    wrong("kmnist_cnn", "conv1 without padding: the size is not preserved", "test_kmnist_cnn",
          replace={"nn.Conv2d(1, 8, kernel_size=5, stride=1, padding=2)": "nn.Conv2d(1, 8, kernel_size=5, stride=1, padding=0)",
                   "nn.Linear(16 * 6 * 6, 600)": "nn.Linear(16 * 5 * 5, 600)"}),
    wrong("kmnist_cnn", "softmax then LogSoftmax (softmax applied twice)", "test_kmnist_cnn",
          replace={"return self.log_softmax(self.fc3(x))": "return self.log_softmax(F.softmax(self.fc3(x), dim=1))"}),
    wrong("kmnist_cnn", "dropout after the 120-unit layer instead of the 600-unit one", "test_kmnist_cnn",
          replace={"x = self.dropout(F.relu(self.fc1(x)))\n    x = F.relu(self.fc2(x))":
                   "x = F.relu(self.fc1(x))\n    x = self.dropout(F.relu(self.fc2(x)))"}),
    wrong("kmnist_cnn", "no dropout", "test_kmnist_cnn",
          replace={"x = self.dropout(F.relu(self.fc1(x)))": "x = F.relu(self.fc1(x))"}),
    wrong("kmnist_cnn", "padding 1 in the second convolution", "test_kmnist_cnn",
          replace={"nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=0)": "nn.Conv2d(8, 16, kernel_size=3, stride=1, padding=1)",
                   "nn.Linear(16 * 6 * 6, 600)": "nn.Linear(16 * 7 * 7, 600)"}),
    wrong("kmnist_cnn", "the constructor's argument named n_classes instead of num_classes", "test_kmnist_cnn",
          replace={"def __init__(self, num_classes=10, dropout=0.3):": "def __init__(self, n_classes=10, dropout=0.3):",
                   "nn.Linear(120, num_classes)": "nn.Linear(120, n_classes)"},
          keeps=("test_kmnist_performance", "test_first_conv_maps")),
    wrong("kmnist_loss", "CrossEntropyLoss after LogSoftmax (log-softmax applied twice)", "test_kmnist_loss",
          body="kmnist_loss_fn = nn.CrossEntropyLoss()"),
    wrong("kmnist_loss", "sum instead of mean", "test_kmnist_loss",
          body="kmnist_loss_fn = nn.NLLLoss(reduction='sum')"),
    # learning-rate choice and activation maps
    wrong("best_learning_rate", "the learning-rate sweep picks on test data", "test_best_learning_rate",
          body="return max(histories, key=lambda lr: max(histories[lr].test_acc))"),
    wrong("best_learning_rate", "picks the lowest final training loss", "test_best_learning_rate",
          body="return min(histories, key=lambda lr: histories[lr].train_loss[-1])"),
    wrong("best_learning_rate", "picks on the last epoch's validation accuracy", "test_best_learning_rate",
          body="return max(histories, key=lambda lr: histories[lr].val_acc[-1])"),
    wrong("best_learning_rate", "sorts each run's validation accuracies in place to read the best", "test_best_learning_rate",
          body="best_lr, best_acc = None, -1.0\nfor lr, h in histories.items():\n    h.val_acc.sort()\n"
               "    if h.val_acc[-1] > best_acc:\n        best_lr, best_acc = lr, h.val_acc[-1]\nreturn best_lr"),
    wrong("first_conv_maps", "no torch.no_grad(): the maps keep a graph and imshow fails on them", "test_first_conv_maps",
          body="weight = next(model.parameters())\nmaps = F.relu(model.conv1(image.unsqueeze(0).to(weight.device)))\nreturn maps[0].cpu()"),
    wrong("first_conv_maps", "unsqueeze_ changes the caller's image to (1, 1, 28, 28)", "test_first_conv_maps",
          replace={"image.unsqueeze(0)": "image.unsqueeze_(0)"}),
    wrong("first_conv_maps", "maps before the ReLU", "test_first_conv_maps",
          replace={"maps = F.relu(model.conv1(": "maps = (model.conv1("}),
    wrong("first_conv_maps", "pooled maps (14 x 14)", "test_first_conv_maps",
          replace={"maps = F.relu(model.conv1(image.unsqueeze(0).to(weight.device)))":
                   "maps = F.max_pool2d(F.relu(model.conv1(image.unsqueeze(0).to(weight.device))), 2)"}),
    # held out at first (a second author's answers), caught since
    wrong("lenet5", "batch norm with eps=1e-3 instead of the default BatchNorm2d(6) etc.", "test_lenet5",
          replace={"nn.BatchNorm2d(6) if": "nn.BatchNorm2d(6, eps=1e-3) if",
                   "nn.BatchNorm2d(16) if": "nn.BatchNorm2d(16, eps=1e-3) if",
                   "nn.BatchNorm1d(120) if": "nn.BatchNorm1d(120, eps=1e-3) if",
                   "nn.BatchNorm1d(84) if": "nn.BatchNorm1d(84, eps=1e-3) if"}),
    wrong("make_optimizer", "the AMSGrad variant instead of Adam", "test_make_optimizer",
          replace={"lr=lr, weight_decay=decay)": "lr=lr, weight_decay=decay, amsgrad=True)"}),
    wrong("plot_convergence", "drawn with plt.* on the current axes, not on ax", "test_plot_convergence",
          body='plt.plot(history.epoch, 100 * np.asarray(history.train_acc), label="train")\n'
               'plt.plot(history.epoch, 100 * np.asarray(history.test_acc), label="test")\n'
               'plt.title(title)\nplt.xlabel("epoch")\nplt.ylabel("accuracy (%)")\nplt.legend()\nreturn ax'),
    wrong("best_learning_rate", "the mean validation accuracy over the epochs instead of the best epoch",
          "test_best_learning_rate",
          body="return max(histories, key=lambda lr: float(np.mean(histories[lr].val_acc)))"),
    wrong("first_conv_maps", "the maps returned as a NumPy array", "test_first_conv_maps",
          replace={"return maps[0].cpu()": "return maps[0].cpu().numpy()"}),
]

RIGHT = [
    right("lenet5", "Sequential blocks and F.dropout with training=self.training", body='''
def __init__(self, regularizer="none", dropout=0.3):
    super().__init__()
    bn = regularizer == "batchnorm"
    self.p = dropout if regularizer == "dropout" else 0.0
    self.conv1 = nn.Conv2d(1, 6, 5, 1, 2)
    self.conv2 = nn.Conv2d(6, 16, 5)
    self.fc1, self.fc2, self.fc3 = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)
    if bn:
        self.bn1, self.bn2 = nn.BatchNorm2d(6), nn.BatchNorm2d(16)
        self.bn3, self.bn4 = nn.BatchNorm1d(120), nn.BatchNorm1d(84)
    norm = (lambda name: [getattr(self, name)]) if bn else (lambda name: [])
    self.features = nn.Sequential(self.conv1, *norm("bn1"), nn.ReLU(), nn.MaxPool2d(2),
                                  self.conv2, *norm("bn2"), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten())
    self.hidden1 = nn.Sequential(self.fc1, *norm("bn3"), nn.ReLU())
    self.hidden2 = nn.Sequential(self.fc2, *norm("bn4"), nn.ReLU())

def forward(self, x):
    x = F.dropout(self.hidden1(self.features(x)), self.p, self.training)
    x = F.dropout(self.hidden2(x), self.p, self.training)
    return self.fc3(x)
'''),
    right("lenet5", "dropout before the ReLU (the same function) and view instead of flatten",
          replace={"x = self.drop(F.relu(self.bn3(self.fc1(x))))": "x = F.relu(self.drop(self.bn3(self.fc1(x))))",
                   "x = torch.flatten(x, 1)": "x = x.view(x.size(0), -1)"}),
    right("make_optimizer", "weight decay on the weights only, not on biases and batch-norm parameters",
          body='decay = weight_decay if regularizer == "weight_decay" else 0.0\n'
               'weights = [p for n, p in model.named_parameters() if n.endswith("weight") and p.dim() > 1]\n'
               'rest = [p for n, p in model.named_parameters() if not (n.endswith("weight") and p.dim() > 1)]\n'
               'return torch.optim.Adam([{"params": weights, "weight_decay": decay}, {"params": rest, "weight_decay": 0.0}], lr=lr)'),
    right("evaluate_accuracy", "predictions concatenated, then compared once",
          body="model.eval()\npreds, labels = [], []\nwith torch.no_grad():\n    for x, y in loader:\n"
               "        preds.append(model(x.to(device)).argmax(1).cpu())\n        labels.append(y)\n"
               "return (torch.cat(preds) == torch.cat(labels)).float().mean().item()"),
    right("train_one_epoch", "unweighted mean of the batch losses, zero_grad(set_to_none) after the step",
          body="model.train()\nlosses = []\nfor x, y in loader:\n    out = model(x.to(device))\n"
               "    loss = loss_fn(out, y.to(device))\n    loss.backward()\n    optimizer.step()\n"
               "    optimizer.zero_grad(set_to_none=True)\n    losses.append(loss.item())\nreturn float(np.mean(losses))"),
    right("plot_convergence", "percent computed in a list comprehension, longer labels",
          body="ax.plot(history.epoch, [100 * a for a in history.train_acc], label='training accuracy')\n"
               "ax.plot(history.epoch, [100 * a for a in history.test_acc], label='test accuracy')\n"
               "ax.set(title=title, xlabel='Epoch', ylabel='Accuracy (%)')\nax.legend()\nreturn ax"),
    right("accuracy_table", "explicit loop with a strict comparison",
          body="table = {}\nfor v, h in histories.items():\n    best = 0\n    for i in range(len(h.val_acc)):\n"
               "        if h.val_acc[i] > h.val_acc[best]:\n            best = i\n"
               "    table[v] = [h.train_acc[best], h.test_acc[best]]\nreturn table"),
    right("kmnist_cnn", "functional pooling, F.dropout and F.log_softmax", body='''
def __init__(self, num_classes=10, dropout=0.3):
    super().__init__()
    self.conv1 = nn.Conv2d(1, 8, 5, padding=2)
    self.conv2 = nn.Conv2d(8, 16, 3)
    self.fc1 = nn.Linear(576, 600)
    self.fc2 = nn.Linear(600, 120)
    self.fc3 = nn.Linear(120, num_classes)
    self.p = dropout

def forward(self, x):
    x = F.max_pool2d(F.relu(self.conv1(x)), 2)
    x = F.max_pool2d(F.relu(self.conv2(x)), 2)
    x = F.dropout(F.relu(self.fc1(x.reshape(len(x), -1))), self.p, self.training)
    return F.log_softmax(self.fc3(F.relu(self.fc2(x))), dim=1)
'''),
    right("kmnist_cnn", "view instead of flatten",
          replace={"x = x.flatten(start_dim=1)": "x = x.view(-1, 16 * 6 * 6)"}),
    right("kmnist_loss", "a function calling F.nll_loss",
          body="def kmnist_loss_fn(log_probs, y):\n    return F.nll_loss(log_probs, y)"),
    right("best_learning_rate", "max over the keys with a key function",
          body="return max(histories, key=lambda lr: max(histories[lr].val_acc))"),
    right("first_conv_maps", "functional convolution with the layer's own weights",
          body="with torch.no_grad():\n    w, b = model.conv1.weight.cpu(), model.conv1.bias.cpu()\n"
               "    return F.relu(F.conv2d(image[None], w, b, padding=2))[0]"),
]
