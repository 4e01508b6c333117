"""Answers students really give in notebook 09, and what the grading must do with them."""

from instructor.catalogue import right, wrong


def hand_augmented(image: str = "padded[i, :, dy:dy + 32, dx:dx + 32]", pad: str = "F.pad(xb, (4, 4, 4, 4))",
                   offsets: int = 9, mirror: str = "0.5") -> str:
    """cifar_loaders with augmentation written by hand: each image ``image`` of the ``pad``-ded batch at offsets
    dy, dx drawn from 0..``offsets`` - 1, mirrored when a uniform draw is below ``mirror``."""
    return ("mean, std = channel_stats(train.images)\n"
            "mean = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
            "std = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
            "x_train = (torch.as_tensor(train.images) - mean) / std\n"
            "x_test = (torch.as_tensor(test.images) - mean) / std\n"
            "train_loader = make_loader(x_train, train.labels, batch_size, shuffle=True, seed=seed)\n"
            "test_loader = make_loader(x_test, test.labels, batch_size)\n"
            "if not augment:\n    return train_loader, test_loader\n"
            "gen = torch.Generator().manual_seed(seed)\n\n"
            "class Cropped:\n"
            "    dataset = train_loader.dataset\n"
            "    def __len__(self):\n        return len(train_loader)\n"
            "    def __iter__(self):\n"
            "        for xb, yb in train_loader:\n"
            f"            padded = {pad}\n"
            "            out = torch.empty_like(xb)\n"
            "            for i in range(len(xb)):\n"
            f"                dy, dx = torch.randint(0, {offsets}, (2,), generator=gen).tolist()\n"
            f"                img = {image}\n"
            f"                out[i] = img.flip(-1) if torch.rand(1, generator=gen).item() < {mirror} else img\n"
            "            yield out, yb\n\n"
            "return Cropped(), test_loader")


WRONG = [
    # channel statistics
    wrong("channel_stats", "one mean and std over all channels together", "test_channel_stats",
          replace={"mean = images.mean(axis=(0, 2, 3))": "mean = np.full(images.shape[1], images.mean())",
                   "std = images.std(axis=(0, 2, 3))": "std = np.full(images.shape[1], images.std())"},
          keeps=("test_cifar_loaders",)),
    wrong("channel_stats", "the axes of a channels-last array (N, H, W, C)", "test_channel_stats",
          replace={"axis=(0, 2, 3)": "axis=(0, 1, 2)"}),
    wrong("channel_stats", "the mean of the per-image standard deviations", "test_channel_stats",
          replace={"std = images.std(axis=(0, 2, 3))": "std = images.std(axis=(2, 3)).mean(axis=0)"}),
    wrong("channel_stats", "CIFAR-10's published constants instead of computing them", "test_channel_stats",
          body="return np.array([0.4914, 0.4822, 0.4465]), np.array([0.2470, 0.2435, 0.2616])"),
    wrong("channel_stats", "variance instead of standard deviation", "test_channel_stats",
          replace={"std = images.std(axis=(0, 2, 3))": "std = images.var(axis=(0, 2, 3))"}),
    wrong("channel_stats", "centred in place: images -= mean", "test_channel_stats",
          body="mean = images.mean(axis=(0, 2, 3))\nimages -= mean.reshape(1, -1, 1, 1)\n"
               "std = np.sqrt((images ** 2).mean(axis=(0, 2, 3)))\nreturn mean, std"),
    # the loaders
    wrong("cifar_loaders", "the test set normalised with its own statistics", "test_cifar_loaders",
          replace={"test_loader = make_loader((test.images - mean) / std, test.labels, batch_size)":
                   "t_mean, t_std = channel_stats(test.images)\n"
                   "    test_loader = make_loader((test.images - t_mean.reshape(1, -1, 1, 1)) / "
                   "t_std.reshape(1, -1, 1, 1), test.labels, batch_size)"}),
    wrong("cifar_loaders", "statistics of the training and test sets together", "test_cifar_loaders",
          replace={"mean, std = channel_stats(train.images)":
                   "mean, std = channel_stats(np.concatenate([train.images, test.images]))"}),
    wrong("cifar_loaders", "the test loader augmented too", "test_cifar_loaders",
          replace={"    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)":
                   "    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)\n"
                   "    test_loader = Augmented(test_loader, shift=4, flip=True, seed=seed)"}),
    wrong("cifar_loaders", "no augmentation at all", "test_cifar_loaders",
          replace={"if augment:\n    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)\n": ""}),
    wrong("cifar_loaders", "augmentation without the mirror images", "test_cifar_loaders",
          replace={"flip=True": "flip=False"}),
    wrong("cifar_loaders", "the training loader not shuffled", "test_cifar_loaders",
          replace={"shuffle=True, seed=seed": "seed=seed"}),
    wrong("cifar_loaders", "normalised in place, changing train.images", "test_cifar_loaders",
          body="mean, std = channel_stats(train.images)\n"
               "mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)\n"
               "std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)\n"
               "train.images -= mean\ntrain.images /= std\n"
               "train_loader = make_loader(train.images, train.labels, batch_size, shuffle=True, seed=seed)\n"
               "test_loader = make_loader((test.images - mean) / std, test.labels, batch_size)\n"
               "if augment:\n    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)\n"
               "return train_loader, test_loader"),
    wrong("cifar_loaders", "upside-down flips (the vertical axis) instead of mirror images", "test_cifar_loaders",
          body="mean, std = channel_stats(train.images)\n"
               "mean = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
               "std = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
               "x = (torch.as_tensor(train.images) - mean) / std\n"
               "train_loader = make_loader(x, train.labels, batch_size, shuffle=True, seed=seed)\n"
               "test_loader = make_loader((torch.as_tensor(test.images) - mean) / std, test.labels, batch_size)\n"
               "if not augment:\n    return train_loader, test_loader\n"
               "shifted = Augmented(train_loader, shift=4, flip=False, seed=seed)\n"
               "gen = torch.Generator().manual_seed(seed)\n\n"
               "class UpsideDown:\n"
               "    dataset = train_loader.dataset\n"
               "    def __len__(self):\n        return len(train_loader)\n"
               "    def __iter__(self):\n"
               "        for xb, yb in shifted:\n"
               "            flip = torch.rand(len(xb), generator=gen) < 0.5\n"
               "            yield torch.where(flip[:, None, None, None], xb.flip(-2), xb), yb\n\n"
               "return UpsideDown(), test_loader"),
    wrong("cifar_loaders", "shifts that wrap around (torch.roll): the border is the image's other side",
          "test_cifar_loaders", body=hand_augmented(image="torch.roll(xb[i], shifts=(dy - 4, dx - 4), dims=(1, 2))")),
    wrong("cifar_loaders", "one-sided shifts: crops at offsets 0..4 of the padded image move it by -4..0 only",
          "test_cifar_loaders", body=hand_augmented(offsets=5)),
    wrong("cifar_loaders", "randint(0, 8): shifts of -4..3, never 4 to the right or down", "test_cifar_loaders",
          body=hand_augmented(offsets=8)),
    wrong("cifar_loaders", "every training image mirrored (probability 1, not 1/2)", "test_cifar_loaders",
          body=hand_augmented(mirror="2.0")),
    wrong("cifar_loaders", "one fixed permutation: the order never reshuffled between epochs", "test_cifar_loaders",
          replace={"train_loader = make_loader((train.images - mean) / std, train.labels, batch_size, shuffle=True, "
                   "seed=seed)": "order = np.random.default_rng(seed).permutation(len(train.images))\n"
                                 "    train_loader = make_loader(((train.images - mean) / std)[order], "
                                 "train.labels[order], batch_size)"}),
    wrong("cifar_loaders", "the seed ignored: shuffled and augmented with the default seed 0", "test_cifar_loaders",
          replace={"shuffle=True, seed=seed": "shuffle=True", "flip=True, seed=seed": "flip=True"}),
    wrong("cifar_loaders", "float64 image tensors (the network's weights are float32)", "test_cifar_loaders",
          body="from torch.utils.data import DataLoader, TensorDataset\n"
               "mean, std = channel_stats(train.images)\n"
               "mean = np.asarray(mean).reshape(1, -1, 1, 1)\nstd = np.asarray(std).reshape(1, -1, 1, 1)\n"
               "x_train = torch.as_tensor(((train.images - mean) / std).astype(np.float64))\n"
               "x_test = torch.as_tensor(((test.images - mean) / std).astype(np.float64))\n"
               "train_loader = DataLoader(TensorDataset(x_train, torch.as_tensor(train.labels)), batch_size, "
               "shuffle=True, generator=torch.Generator().manual_seed(seed))\n"
               "test_loader = DataLoader(TensorDataset(x_test, torch.as_tensor(test.labels)), batch_size)\n"
               "if augment:\n    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)\n"
               "return train_loader, test_loader"),
    # the network
    wrong("cifar_net", "no residual additions", "test_cifar_net",
          replace={"x = x + self.res1(x)": "x = self.res1(x)", "x = x + self.res3(x)": "x = self.res3(x)"},
          keeps=("test_train_step", "test_evaluate")),
    wrong("cifar_net", "convolutions with a bias", "test_cifar_net",
          replace={"self.prep = conv_bn(3, a)": "self.prep = nn.Sequential(nn.Conv2d(3, a, 3, padding=1), "
                                                 "nn.BatchNorm2d(a), nn.ReLU())"}),
    wrong("cifar_net", "average pooling in the head instead of max", "test_cifar_net",
          replace={"x = torch.amax(x, dim=(2, 3))": "x = x.mean(dim=(2, 3))"}),
    wrong("cifar_net", "num_classes ignored", "test_cifar_net",
          replace={"self.fc = nn.Linear(d, num_classes)": "self.fc = nn.Linear(d, 10)"}),
    wrong("cifar_net", "no max-pooling in layer3 (4 x 4 becomes 8 x 8)", "test_cifar_net",
          replace={"self.layer3 = conv_bn(c, d, pool=True)": "self.layer3 = conv_bn(c, d)"}),
    wrong("cifar_net", "in-place residual additions (x += ...): right logits, but back-propagation fails",
          ("test_cifar_net", "test_p2_performance"),
          replace={"x = x + self.res1(x)": "x += self.res1(x)", "x = x + self.res3(x)": "x += self.res3(x)"},
          keeps=("test_train_step", "test_evaluate")),
    wrong("cifar_net", "a ReLU on the scores", "test_cifar_net",
          replace={"return self.fc(x)": "return F.relu(self.fc(x))"}),
    wrong("cifar_net", "Page's widths (64, 128, 256, 512) as the default", "test_cifar_net",
          replace={"def __init__(self, widths=(32, 64, 128, 256), num_classes=10):":
                   "def __init__(self, widths=(64, 128, 256, 512), num_classes=10):"}),
    # one training step
    wrong("train_step", "no zero_grad: gradients pile up over the steps", "test_train_step",
          replace={"optimizer.zero_grad()\n": ""}),
    wrong("train_step", "the scheduler steps before the optimizer", "test_train_step",
          body="model.train()\nx, y = x.to(device), y.to(device)\noptimizer.zero_grad()\n"
               "loss = loss_fn(model(x), y)\nloss.backward()\nif scheduler is not None:\n    scheduler.step()\n"
               "optimizer.step()\nreturn loss.item()"),
    wrong("train_step", "the scheduler never steps", "test_train_step",
          replace={"if scheduler is not None:  # after the optimizer's step, every batch\n    scheduler.step()\n": ""}),
    wrong("train_step", "model.train() missing: batch norm stays in evaluation mode", "test_train_step",
          replace={"model.train()\n": ""}),
    wrong("train_step", "F.cross_entropy instead of the loss function it is given", "test_train_step",
          replace={"loss = loss_fn(model(x), y)": "loss = F.cross_entropy(model(x), y)"}),
    wrong("train_step", "no optimizer step", "test_train_step",
          replace={"optimizer.step()\n": ""}),
    wrong("train_step", "returns the loss tensor, still attached to the graph", "test_train_step",
          replace={"return loss.item()": "return loss"}),
    # evaluation
    wrong("evaluate", "no model.eval(): batch norm uses the batch's statistics", "test_evaluate",
          replace={"model.eval()\n": ""}),
    wrong("evaluate", "the mean of the batch means", "test_evaluate",
          body="model.eval()\nlosses, correct, total = [], 0, 0\nwith torch.no_grad():\n    for x, y in loader:\n"
               "        x, y = x.to(device), y.to(device)\n        scores = model(x)\n"
               "        losses.append(loss_fn(scores, y).item())\n"
               "        correct += (scores.argmax(dim=1) == y).sum().item()\n        total += len(y)\n"
               "return sum(losses) / len(losses), correct / total"),
    wrong("evaluate", "accuracy in percent", "test_evaluate",
          replace={"return total_loss / total, correct / total": "return total_loss / total, 100 * correct / total"}),
    wrong("evaluate", "no torch.no_grad(): every batch builds a graph", "test_evaluate",
          body="model.eval()\ntotal_loss, correct, total = 0.0, 0, 0\nfor x, y in loader:\n"
               "    x, y = x.to(device), y.to(device)\n    scores = model(x)\n"
               "    total_loss += loss_fn(scores, y).item() * len(y)\n"
               "    correct += (scores.argmax(dim=1) == y).sum().item()\n    total += len(y)\n"
               "return total_loss / total, correct / total",
          keeps=("test_train_step",)),
    wrong("evaluate", "only the first batch", "test_evaluate",
          replace={"        total += len(y)\n": "        total += len(y)\n        break\n"}),
    wrong("evaluate", "F.cross_entropy instead of the loss_fn it is given (label smoothing dropped)", "test_evaluate",
          replace={"loss_fn(scores, y)": "F.cross_entropy(scores, y)"}),
    wrong("evaluate", "torch.set_grad_enabled(False) as a statement: gradients stay off after it", "test_evaluate",
          replace={"with torch.no_grad():": "torch.set_grad_enabled(False)\nif True:"}),
    # the quick run learns nothing when the optimizer never steps, so the performance cell loses too
    wrong("train_step", "returns before the optimizer's step (nothing is learned)", ("test_train_step",
                                                                                     "test_p2_performance"),
          replace={"loss.backward()\n": "loss.backward()\nreturn loss.item()\n"}),
]

RIGHT = [
    right("channel_stats", "sample standard deviation (ddof=1)",
          replace={"std = images.std(axis=(0, 2, 3))": "std = images.std(axis=(0, 2, 3), ddof=1)"}),
    right("channel_stats", "channels first, then one reshape",
          body="per_channel = images.transpose(1, 0, 2, 3).reshape(images.shape[1], -1)\n"
               "return per_channel.mean(axis=1), per_channel.std(axis=1)"),
    right("channel_stats", "a loop over the channels in float64",
          body="mean = np.array([images[:, c].astype(np.float64).mean() for c in range(images.shape[1])])\n"
               "std = np.array([images[:, c].astype(np.float64).std() for c in range(images.shape[1])])\n"
               "return mean, std"),
    right("cifar_loaders", "augmentation written by hand: reflect padding, random crops and flips on tensors",
          body=hand_augmented(pad="F.pad(xb, (4, 4, 4, 4), mode='reflect')")),
    right("cifar_loaders", "augmentation written by hand: the edge repeated (replicate padding)",
          body=hand_augmented(pad="F.pad(xb, (4, 4, 4, 4), mode='replicate')")),
    right("cifar_loaders", "drop_last on the training loader, a shuffled test loader",
          body="from torch.utils.data import DataLoader, TensorDataset\n"
               "mean, std = channel_stats(train.images)\n"
               "mean = np.asarray(mean, dtype=np.float32).reshape(1, -1, 1, 1)\n"
               "std = np.asarray(std, dtype=np.float32).reshape(1, -1, 1, 1)\n"
               "train_set = TensorDataset(torch.as_tensor((train.images - mean) / std), torch.as_tensor(train.labels))\n"
               "test_set = TensorDataset(torch.as_tensor((test.images - mean) / std), torch.as_tensor(test.labels))\n"
               "train_loader = DataLoader(train_set, batch_size=batch_size, shuffle=True, drop_last=True,\n"
               "                          generator=torch.Generator().manual_seed(seed))\n"
               "test_loader = DataLoader(test_set, batch_size=batch_size, shuffle=True)\n"
               "if augment:\n    train_loader = Augmented(train_loader, shift=4, flip=True, seed=seed)\n"
               "return train_loader, test_loader"),
    right("cifar_loaders", "augmentation before normalisation",
          body="mean, std = channel_stats(train.images)\n"
               "mean = torch.as_tensor(np.asarray(mean, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
               "std = torch.as_tensor(np.asarray(std, dtype=np.float32)).reshape(1, -1, 1, 1)\n"
               "raw = make_loader(train.images, train.labels, batch_size, shuffle=True, seed=seed)\n"
               "if augment:\n    raw = Augmented(raw, shift=4, flip=True, seed=seed)\n"
               "test_loader = make_loader((torch.as_tensor(test.images) - mean) / std, test.labels, batch_size)\n\n"
               "class Normalised:\n"
               "    dataset = raw.dataset\n"
               "    def __len__(self):\n        return len(raw)\n"
               "    def __iter__(self):\n"
               "        for xb, yb in raw:\n            yield (xb - mean) / std, yb\n\n"
               "return Normalised(), test_loader"),
    right("cifar_net", "blocks as small nn.Module classes, the residual block adding its own input",
          body="def __init__(self, widths=(32, 64, 128, 256), num_classes=10):\n"
               "    super().__init__()\n\n"
               "    class ConvBN(nn.Module):\n"
               "        def __init__(self, c_in, c_out, pool=False):\n"
               "            super().__init__()\n"
               "            self.conv = nn.Conv2d(c_in, c_out, 3, padding=1, bias=False)\n"
               "            self.bn = nn.BatchNorm2d(c_out)\n"
               "            self.pool = pool\n\n"
               "        def forward(self, x):\n"
               "            x = F.relu(self.bn(self.conv(x)))\n"
               "            return F.max_pool2d(x, 2) if self.pool else x\n\n"
               "    class Residual(nn.Module):\n"
               "        def __init__(self, c):\n"
               "            super().__init__()\n"
               "            self.first, self.second = ConvBN(c, c), ConvBN(c, c)\n\n"
               "        def forward(self, x):\n"
               "            return x + self.second(self.first(x))\n\n"
               "    a, b, c, d = widths\n"
               "    self.prep = ConvBN(3, a)\n    self.layer1 = ConvBN(a, b, pool=True)\n    self.res1 = Residual(b)\n"
               "    self.layer2 = ConvBN(b, c, pool=True)\n    self.layer3 = ConvBN(c, d, pool=True)\n"
               "    self.res3 = Residual(d)\n    self.fc = nn.Linear(d, num_classes)\n\n"
               "def forward(self, x):\n"
               "    x = self.res1(self.layer1(self.prep(x)))\n"
               "    x = self.res3(self.layer3(self.layer2(x)))\n"
               "    return self.fc(torch.amax(x, dim=(2, 3)))"),
    right("cifar_net", "the head with AdaptiveMaxPool2d and flatten",
          replace={"x = torch.amax(x, dim=(2, 3))  # global max-pooling: (B, d, 4, 4) -> (B, d)":
                   "x = torch.flatten(F.adaptive_max_pool2d(x, 1), 1)"}),
    right("train_step", "model.zero_grad() after the step, and float(loss)",
          body="model.train()\nscores = model(x.to(device))\nloss = loss_fn(scores, y.to(device))\nloss.backward()\n"
               "optimizer.step()\nmodel.zero_grad()\nif scheduler:\n    scheduler.step()\nreturn float(loss)"),
    right("train_step", "set_to_none=False and the loss returned as a tensor",
          replace={"optimizer.zero_grad()": "optimizer.zero_grad(set_to_none=False)",
                   "return loss.item()": "return loss.detach()"}),
    right("evaluate", "torch.inference_mode()", replace={"torch.no_grad()": "torch.inference_mode()"}),
    right("evaluate", "summed loss divided by the number of examples",
          body="model.eval()\nlosses, hits, n = 0.0, 0.0, 0\nwith torch.no_grad():\n    for x, y in loader:\n"
               "        x, y = x.to(device), y.to(device)\n        scores = model(x)\n"
               "        losses += float(loss_fn(scores, y)) * y.numel()\n"
               "        hits += (scores.argmax(1) == y).float().sum().item()\n        n += y.numel()\n"
               "return losses / n, hits / n"),
]
