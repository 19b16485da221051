"""Spread of the tutorial's logistic validation loss over seeds, in PyTorch 2.15.

The tutorial's 08_validation setup: nn.Linear(784, 10), SGD lr 0.5, batch 64, shuffled,
2 epochs, valid loss after each epoch. lr 0.5 makes the result swing with the shuffle
order; this shows by how much, so firelight's seed-0 figure can be judged against it.

Run: python3 tools/logistic_seed_spread_torch.py   (needs torch; CI never runs it)
Seen on 2026-11-22: epoch-2 valid loss 0.2776-0.4498 over seeds 0-7.
"""
import gzip, os, pickle, torch, torch.nn.functional as F
from torch.utils.data import TensorDataset, DataLoader
torch.set_num_threads(1)
with gzip.open(os.path.join(os.environ.get('FIRELIGHT_DATA', 'data/mnist'), 'mnist.pkl.gz'),'rb') as f:
    ((xt,yt),(xv,yv),_) = pickle.load(f, encoding='latin-1')
xt,yt,xv,yv = map(torch.tensor,(xt,yt,xv,yv))
res=[]
for seed in range(8):
    torch.manual_seed(seed)
    model=torch.nn.Linear(784,10); opt=torch.optim.SGD(model.parameters(), lr=0.5)
    dl=DataLoader(TensorDataset(xt,yt),batch_size=64,shuffle=True)
    out=[]
    for ep in range(2):
        for xb,yb in dl:
            loss=F.cross_entropy(model(xb),yb); loss.backward(); opt.step(); opt.zero_grad()
        with torch.no_grad(): out.append(round(F.cross_entropy(model(xv),yv).item(),4))
    res.append(out); print(seed,out,flush=True)
