"""FreqFormer: a Transformer whose attention is a field of coupled resonators.

The whole rate model in one file, components in dependency order:

    pure dynamics        resonator_kernel, resonator_scan, resonator_step, threshold_events
    modules              EnergyNorm, IntensityGate, ResonatorField, PhaseCoupling, ThresholdEvents
    blocks               FreqFormerBlock (resonate -> couple -> threshold -> channel mix, residual)
                         SeedFreqFormerBlock (the original sketch, mixes channels within a token only)
    model                FreqFormerConfig, FreqFormer (front end + blocks + head)

Shapes: B batch, T time steps, C channels, K coupling neighbours per channel, V vocabulary.

A channel is a damped complex resonator (see DESIGN.md)::

    z[c, t] = lambda_c * z[c, t-1] + gamma_c * x[c, t],   lambda_c = r_c * exp(i * omega_c)

with 0 < r_c < 1 and 0 < omega_c < pi by construction and gamma_c = sqrt(1 - r_c^2), which keeps
the stationary power of z equal to that of white-noise input. Training evaluates all t at once
with an FFT convolution (O(T log T)); streaming evaluates one step at a time (``step``); the two
agree to float32 round-off, which ``tests/test_model.py`` checks.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass

import torch
import torch.nn as nn
import torch.nn.functional as F

from .frontends import FrontEnd, FrontEndConfig, check_input

# ----------------------------------------------------------------------------------------------
# pure dynamics


def resonator_lambda(r: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
    """Complex pole ``r * exp(i omega)``, shape (C,)."""
    return torch.polar(r, omega)


def resonator_kernel(r: torch.Tensor, omega: torch.Tensor, T: int) -> torch.Tensor:
    """Impulse response ``lambda^k`` for k = 0..T-1, shape (T, C), complex.

    Computed as ``exp(k * log lambda)`` rather than by repeated multiplication, so every entry has
    the same relative precision and T = 65,536 stays finite (|lambda|^k underflows to 0, never
    overflows, because r < 1).
    """
    k = torch.arange(T, device=r.device, dtype=r.dtype).unsqueeze(1)  # (T, 1)
    log_lam = torch.complex(torch.log(r), omega)  # (C,)
    return torch.exp(k * log_lam)  # (T, C)


def resonator_scan(
    u: torch.Tensor, r: torch.Tensor, omega: torch.Tensor, z0: torch.Tensor | None = None
) -> torch.Tensor:
    """Parallel form of ``z[t] = lambda z[t-1] + u[t]`` over a whole sequence.

    Parameters
    ----------
    u : (B, T, C) real or complex drive.
    r, omega : (C,) pole radius and angle.
    z0 : optional (B, C) complex state before step 0.

    Returns
    -------
    z : (B, T, C) complex, ``z[t] = sum_k lambda^k u[t-k] + lambda^(t+1) z0``.
    """
    B, T, C = u.shape
    kern = resonator_kernel(r, omega, T)  # (T, C)
    n = 2 * T  # zero padding to 2T turns the FFT's circular convolution into a linear (causal) one
    U = torch.fft.fft(u.to(kern.dtype), n=n, dim=1)  # (B, 2T, C)
    K = torch.fft.fft(kern, n=n, dim=0)  # (2T, C)
    z = torch.fft.ifft(U * K, n=n, dim=1)[:, :T]  # (B, T, C)
    if z0 is not None:
        z = z + kern.unsqueeze(0) * resonator_lambda(r, omega) * z0.unsqueeze(1)  # lambda^(t+1) z0
    return z


def resonator_step(z: torch.Tensor, u: torch.Tensor, lam: torch.Tensor) -> torch.Tensor:
    """One step ``z' = lambda z + u``; z, u (B, C), lam (C,)."""
    return lam * z + u


class _ThresholdFn(torch.autograd.Function):
    """relu(a - theta) forward; surrogate gradient sigmoid((a - theta) / beta) backward.

    The forward pass is exactly what a population of neurons with threshold theta computes
    (silent below theta, rate growing with the excess above). Its true gradient is zero below
    theta, so a channel that falls silent could never learn to fire again; the surrogate lets a
    little gradient through just below threshold (Neftci et al. 2019).
    """

    @staticmethod
    def forward(ctx, a, theta, beta):
        x = a - theta
        ctx.save_for_backward(x)
        ctx.beta = beta
        return x.clamp_min(0)

    @staticmethod
    def backward(ctx, grad):
        (x,) = ctx.saved_tensors
        g = grad * torch.sigmoid(x / ctx.beta)
        # theta broadcasts over (B, T): reduce its gradient back to (C,)
        return g, -g.reshape(-1, g.shape[-1]).sum(0), None


def threshold_events(a: torch.Tensor, theta: torch.Tensor, beta: float = 0.1) -> torch.Tensor:
    """Events ``max(a - theta, 0)`` of intensities a (..., C) over per-channel thresholds (C,)."""
    return _ThresholdFn.apply(a, theta, beta)


# ----------------------------------------------------------------------------------------------
# modules


class EnergyNorm(nn.Module):
    """LayerNorm's replacement: rescale each time step's channel energy to one.

    ``y[c] = g[c] * x[c] / sqrt(mean_c x^2 + eps)`` (an RMS norm over channels, learned gain).
    """

    def __init__(self, C: int, eps: float = 1e-6):
        super().__init__()
        self.gain = nn.Parameter(torch.ones(C))
        self.eps = eps

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (..., C) -> (..., C)
        return self.gain * x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.eps)


class IntensityGate(nn.Module):
    """Dropout's replacement: in training, silence whole channels of a sample with probability p.

    Survivors are scaled by 1/(1-p); identity in evaluation. A silenced channel stays silent for
    the whole sequence, as an unreliable resonator would.
    """

    def __init__(self, p: float = 0.0):
        super().__init__()
        self.p = p

    def forward(self, x: torch.Tensor) -> torch.Tensor:  # (B, T, C) -> (B, T, C)
        if not self.training or self.p == 0.0:
            return x
        keep = torch.rand(x.shape[0], 1, x.shape[-1], device=x.device) >= self.p  # (B, 1, C)
        return x * keep / (1.0 - self.p)


class ResonatorField(nn.Module):
    """C damped resonators with learned frequency omega and radius r (token mixing over time).

    ``z[t] = r e^{i omega} z[t-1] + sqrt(1 - r^2) x[t]``; r in (r_min, r_max) subset of (0, 1) and
    omega in (0, pi) by construction (sigmoid parametrisation), so the field is stable for any T.
    ``forward`` is the parallel (FFT) form, ``step`` the streaming form.
    """

    def __init__(self, C: int, r_min: float = 0.5, r_max: float = 0.999,
                 omega_min: float = 0.02 * math.pi, omega_max: float = 0.98 * math.pi):
        super().__init__()
        if not 0.0 < r_min < r_max < 1.0:
            raise ValueError(f"need 0 < r_min < r_max < 1, got r_min={r_min}, r_max={r_max}")
        self.C, self.r_min, self.r_max = C, r_min, r_max
        # frequencies spread evenly, sorted, so neighbouring channels are neighbours in frequency
        omega0 = torch.linspace(omega_min, omega_max, C)
        # decay times spread log-uniformly between 2 steps and 1/(1 - r_max) steps
        tau = torch.logspace(math.log10(2.0), math.log10(1.0 / (1.0 - r_max) / 2), C)
        r0 = torch.exp(-1.0 / tau)[torch.randperm(C)].clamp(r_min + 1e-3, r_max - 1e-3)
        self.omega_raw = nn.Parameter(torch.logit(omega0 / math.pi))
        self.r_raw = nn.Parameter(torch.logit((r0 - r_min) / (r_max - r_min)))

    @property
    def r(self) -> torch.Tensor:  # (C,)
        return self.r_min + (self.r_max - self.r_min) * torch.sigmoid(self.r_raw)

    @property
    def omega(self) -> torch.Tensor:  # (C,)
        return math.pi * torch.sigmoid(self.omega_raw)

    def forward(self, x: torch.Tensor, z0: torch.Tensor | None = None) -> torch.Tensor:
        """(B, T, C) real -> (B, T, C) complex; z0 (B, C) complex carries state across chunks."""
        r = self.r
        return resonator_scan(torch.sqrt(1 - r * r) * x, r, self.omega, z0)

    def step(self, x: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
        """(B, C) input, (B, C) complex state -> (B, C) complex new state."""
        r = self.r
        return resonator_step(z, torch.sqrt(1 - r * r) * x, resonator_lambda(r, self.omega))


class PhaseCoupling(nn.Module):
    """Attention's replacement: channels interfere with their frequency neighbours.

    ``w_i = z_i + sum_{j in N(i)} K_ij e^{-i psi_ij} z_j`` with
    ``K_ij = a_ij exp(-(omega_i - omega_j)^2 / (2 sigma^2))``: frequency proximity. The intensity

        |w_i|^2 = |z_i|^2 + 2 sum_j K_ij |z_i||z_j| cos(phi_i - phi_j + psi_ij) + |sum_j ...|^2

    grows when neighbours are phase-aligned (up to the learned offset psi) and shrinks when they
    are in anti-phase: resonance, with no Q/K/V and no softmax. N(i) is the band of channels
    within ``band`` indices of i (2*band neighbours, channels are sorted by frequency at
    initialisation), so the cost is O(C * band), never a dense C x C matrix.
    """

    def __init__(self, C: int, band: int = 4):
        super().__init__()
        if band < 0:
            raise ValueError(f"coupling band must be >= 0, got {band}")
        self.band = min(band, C - 1)
        self.offsets = [d for d in range(-self.band, self.band + 1) if d != 0]  # j - i
        idx = torch.arange(C).unsqueeze(1) + torch.tensor(self.offsets, dtype=torch.long)  # (C, K)
        self.register_buffer("valid", (idx >= 0) & (idx < C), persistent=False)
        self.register_buffer("idx", idx.clamp(0, C - 1), persistent=False)
        self.strength = nn.Parameter(0.1 * torch.ones(C, len(self.offsets)))  # a_ij
        self.phase = nn.Parameter(torch.zeros(C, len(self.offsets)))  # psi_ij
        self.log_sigma = nn.Parameter(torch.tensor(math.log(4 * math.pi / max(C, 1))))

    @property
    def n_neighbours(self) -> int:
        return len(self.offsets)

    def weights(self, omega: torch.Tensor) -> torch.Tensor:
        """Complex coupling coefficients K_ij e^{-i psi_ij}, shape (C, K), K_ij = 0 outside the
        band; neighbour k of channel i is channel ``idx[i, k] = i + offsets[k]``."""
        d_omega = omega.unsqueeze(1) - omega[self.idx]  # (C, K)
        prox = torch.exp(-0.5 * (d_omega / self.log_sigma.exp()) ** 2)
        k = self.strength * prox * self.valid
        return torch.polar(k, -self.phase)

    def forward(self, z: torch.Tensor, omega: torch.Tensor) -> torch.Tensor:
        """(B, T, C) complex, omega (C,) -> (B, T, C) complex."""
        if not self.offsets:
            return z
        C, b = z.shape[-1], self.band
        coef = self.weights(omega)  # (C, K)
        zp = F.pad(z, (b, b))  # (B, T, C + 2b): neighbour i + d of channel i is zp[..., i + b + d]
        w = z
        for k, d in enumerate(self.offsets):  # 2*band shifted slices: O(C * band), no C x C matrix
            w = w + coef[:, k] * zp[..., b + d: b + d + C]
        return w


class ThresholdEvents(nn.Module):
    """The feed-forward network's replacement: only intensities above a threshold pass.

    ``e_c = max(a_c - theta_c, 0)`` with learned theta_c = softplus(.) > 0 and a surrogate
    gradient (see ``threshold_events``). ``event_rate`` holds the fraction of (sample, step,
    channel) entries above threshold in the last forward pass: the event rate that synaptic
    operation counts scale with.
    """

    def __init__(self, C: int, theta_init: float = 0.3, beta: float = 0.1):
        super().__init__()
        if theta_init <= 0:
            raise ValueError(f"threshold must be positive, got {theta_init}")
        self.theta_raw = nn.Parameter(torch.full((C,), math.log(math.expm1(theta_init))))
        self.beta = beta
        self.event_rate = torch.tensor(float("nan"))

    @property
    def theta(self) -> torch.Tensor:  # (C,)
        return F.softplus(self.theta_raw)

    def forward(self, a: torch.Tensor) -> torch.Tensor:  # (..., C) -> (..., C)
        theta = self.theta
        self.event_rate = (a > theta).float().mean().detach()
        return threshold_events(a, theta, self.beta)


# ----------------------------------------------------------------------------------------------
# blocks


class FreqFormerBlock(nn.Module):
    """resonate -> couple -> threshold -> channel processing, with a residual connection.

    ::

        h = EnergyNorm(x)                     (B, T, C)
        z = ResonatorField(h)                 (B, T, C) complex   mixes time (causally)
        w = PhaseCoupling(z)                  (B, T, C) complex   mixes neighbouring channels
        e = ThresholdEvents(|w|)              (B, T, C) >= 0      sparse events
        y = x + W_out IntensityGate(e)        (B, T, C)           dense or per-channel gain

    Every stage is causal in time, so the block is; ``step`` runs it one sample at a time.
    """

    def __init__(self, config: "FreqFormerConfig"):
        super().__init__()
        C = config.n_channels
        self.C = C
        self.norm = EnergyNorm(C)
        self.field = ResonatorField(C, r_min=config.r_min, r_max=config.r_max)
        self.coupling = PhaseCoupling(C, config.coupling_band)
        self.events = ThresholdEvents(C, config.threshold_init, config.surrogate_beta)
        self.gate = IntensityGate(config.gate_p)
        if config.channel_mix == "dense":
            self.out = nn.Linear(C, C)
        else:  # per-channel gain: no C x C matrix at all
            self.out = _Diagonal(C)

    def _after_field(self, x: torch.Tensor, z: torch.Tensor):
        """Couple, threshold and mix; returns (y, intensity |w|, events)."""
        a = self.coupling(z, self.field.omega).abs()
        e = self.events(a)
        return x + self.out(self.gate(e)), a, e

    def forward(self, x: torch.Tensor, z0: torch.Tensor | None = None):
        """(B, T, C) -> (B, T, C), and the final resonator state (B, C) complex."""
        y, _, z_last = self.inspect(x, z0)
        return y, z_last

    def inspect(self, x: torch.Tensor, z0: torch.Tensor | None = None):
        """``forward`` that also returns {"intensity": |w|, "events": e}, each (B, T, C)."""
        check_input(x, self.C, type(self).__name__)
        z = self.field(self.norm(x), z0)
        y, a, e = self._after_field(x, z)
        return y, {"intensity": a, "events": e}, z[:, -1]

    def step(self, x: torch.Tensor, z: torch.Tensor):
        """One time step: x (B, C), state z (B, C) complex -> (y (B, C), new state)."""
        z = self.field.step(self.norm(x), z)
        y, _, _ = self._after_field(x.unsqueeze(1), z.unsqueeze(1))
        return y.squeeze(1), z

    @property
    def event_rate(self) -> torch.Tensor:
        return self.events.event_rate


class _Diagonal(nn.Module):
    """Per-channel gain and bias, the cheapest channel processing (no channel mixing)."""

    def __init__(self, C: int):
        super().__init__()
        self.weight = nn.Parameter(torch.ones(C))
        self.bias = nn.Parameter(torch.zeros(C))

    def forward(self, x):
        return x * self.weight + self.bias


class SeedFreqFormerBlock(nn.Module):
    """The original sketch's block, kept as the ablation that shows what mixing over time is worth.

    Reconstructed from the sketch's description (sigmoid channel strength, masked channel
    coupling, event processor)::

        s = sigmoid(W_s EnergyNorm(x))        (B, T, C)  channel strength in (0, 1)
        c = s @ (M * P)                       (B, T, C)  coupling P masked to |i - j| <= band
        y = x + W_e ThresholdEvents(c)        (B, T, C)  event processor

    Every operation acts on one time step alone: no position ever sees another. ``step`` is
    therefore just ``forward`` on one step, and the block has no state.
    """

    def __init__(self, config: "FreqFormerConfig"):
        super().__init__()
        C = config.n_channels
        self.C = C
        self.norm = EnergyNorm(C)
        self.strength = nn.Linear(C, C)
        self.coupling = nn.Parameter(torch.eye(C) + 0.02 * torch.randn(C, C))
        i = torch.arange(C)
        self.register_buffer("mask", ((i[:, None] - i[None, :]).abs() <= config.coupling_band).float(),
                             persistent=False)
        self.events = ThresholdEvents(C, config.threshold_init, config.surrogate_beta)
        self.gate = IntensityGate(config.gate_p)
        self.out = nn.Linear(C, C)

    def forward(self, x: torch.Tensor, z0=None):
        y, _, _ = self.inspect(x)
        return y, None

    def inspect(self, x: torch.Tensor, z0=None):
        check_input(x, self.C, type(self).__name__)
        s = torch.sigmoid(self.strength(self.norm(x)))  # (B, T, C)
        c = s @ (self.coupling * self.mask)  # (B, T, C)
        e = self.events(c)
        return x + self.out(self.gate(e)), {"intensity": c, "events": e}, None

    def step(self, x: torch.Tensor, z=None):
        y, _ = self.forward(x.unsqueeze(1))
        return y.squeeze(1), None

    @property
    def event_rate(self) -> torch.Tensor:
        return self.events.event_rate


# ----------------------------------------------------------------------------------------------
# model


@dataclass
class FreqFormerConfig(FrontEndConfig):
    """Everything needed to rebuild a FreqFormer; stored inside every checkpoint.

    task "classify": raw input (see FrontEndConfig: features (B, T, n_inputs), audio (B, S) or
                     numbers (B, T)) -> logits (B, n_classes), pooled over time.
    task "lm":       input (B, T) token ids < vocab_size -> logits (B, T, vocab_size), causal.
    """

    task: str = "classify"  # "classify" | "lm"
    n_classes: int = 10  # (classify)
    vocab_size: int = 0  # (lm)
    n_channels: int = 64  # C
    n_layers: int = 2
    mixer: str = "resonator"  # "resonator" (FreqFormerBlock) | "seed" (SeedFreqFormerBlock)
    channel_mix: str = "dense"  # "dense" (C x C, counted) | "diagonal" (per-channel gain)
    coupling_band: int = 4  # neighbours on each side in PhaseCoupling
    threshold_init: float = 0.3
    surrogate_beta: float = 0.1
    gate_p: float = 0.0  # IntensityGate probability in training
    r_min: float = 0.5
    r_max: float = 0.999
    pool: str = "mean"  # "mean" | "last" (classify): how time is reduced before the head

    def __post_init__(self):
        super().__post_init__()
        choices = {"task": ("classify", "lm"), "mixer": ("resonator", "seed"),
                   "channel_mix": ("dense", "diagonal"), "pool": ("mean", "last")}
        for name, allowed in choices.items():
            if getattr(self, name) not in allowed:
                raise ValueError(f"FreqFormerConfig.{name} must be one of {allowed}, "
                                 f"got {getattr(self, name)!r}")
        for name in ("n_channels", "n_layers"):
            if getattr(self, name) < 1:
                raise ValueError(f"FreqFormerConfig.{name} must be >= 1, got {getattr(self, name)}")
        if self.task == "classify" and self.n_classes < 2:
            raise ValueError(f"classification needs n_classes >= 2, got {self.n_classes}")
        if self.task == "lm" and self.vocab_size < 2:
            raise ValueError(f"language modelling needs vocab_size >= 2, got {self.vocab_size}")
        if not 0.0 <= self.gate_p < 1.0:
            raise ValueError(f"gate_p must be in [0, 1), got {self.gate_p}")

    def to_dict(self) -> dict:
        return asdict(self)


class FreqFormer(nn.Module):
    """Front end + n_layers blocks + head.

    classify: x -> FrontEnd -> (B, T, F) -> Linear -> (B, T, C) -> blocks -> pool over T
              -> EnergyNorm -> Linear -> (B, n_classes)
    lm:       x (B, T) ids -> Embedding -> (B, T, C) -> blocks -> EnergyNorm -> Linear -> (B, T, V)

    After every forward pass ``event_rates`` holds each block's fraction of channels above
    threshold and ``event_rate`` their mean.
    """

    def __init__(self, config: FreqFormerConfig):
        super().__init__()
        self.config = config
        C = config.n_channels
        if config.task == "lm":
            self.embed = nn.Embedding(config.vocab_size, C)
            n_out = config.vocab_size
        else:
            self.front = FrontEnd(config)
            self.embed = nn.Linear(config.n_features, C)
            n_out = config.n_classes
        block = FreqFormerBlock if config.mixer == "resonator" else SeedFreqFormerBlock
        self.blocks = nn.ModuleList(block(config) for _ in range(config.n_layers))
        self.norm = EnergyNorm(C)
        self.head = nn.Linear(C, n_out)

    # -- input checks ---------------------------------------------------------------------------
    def _embed(self, x: torch.Tensor) -> torch.Tensor:
        """Raw input -> (B, T, C), with clear errors for bad input."""
        cfg = self.config
        if cfg.task == "lm":
            if not isinstance(x, torch.Tensor) or x.dim() != 2 or x.dtype != torch.long:
                got = tuple(x.shape) if isinstance(x, torch.Tensor) else type(x).__name__
                raise ValueError(f"FreqFormer(lm): expected token ids of shape (B, T) and dtype "
                                 f"long, got {got}")
            if x.numel() and (x.min() < 0 or x.max() >= cfg.vocab_size):
                raise ValueError(f"FreqFormer(lm): token ids must lie in [0, {cfg.vocab_size})")
            return self.embed(x)
        return self.embed(self.front(x))

    # -- forward --------------------------------------------------------------------------------
    def features(self, x: torch.Tensor) -> torch.Tensor:
        """Per-step features before pooling and head: (B, T, C). Causal in time."""
        h = self._embed(x)  # (B, T, C)
        for blk in self.blocks:
            h, _ = blk(h)
        return h

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = self.features(x)  # (B, T, C)
        if self.config.task == "lm":
            return self.head(self.norm(h))  # (B, T, V)
        h = h.mean(1) if self.config.pool == "mean" else h[:, -1]  # (B, C)
        return self.head(self.norm(h))  # (B, n_classes)

    @torch.no_grad()
    def trace(self, x: torch.Tensor) -> list[dict]:
        """Per block {"intensity", "events"} tensors (B, T, C) for one forward pass: the
        frequency field that figures, sonifications and spiking comparisons look at."""
        h, out = self._embed(x), []
        for blk in self.blocks:
            h, rec, _ = blk.inspect(h)
            out.append(rec)
        return out

    @torch.no_grad()
    def stream_features(self, x: torch.Tensor) -> torch.Tensor:
        """``features`` computed one time step at a time with carried state (streaming form)."""
        e = self._embed(x)  # (B, T, C): the front end is causal, so it may run ahead
        B, T = e.shape[:2]
        states = [torch.zeros(B, self.config.n_channels, dtype=torch.complex64, device=x.device)
                  for _ in self.blocks]
        out = []
        for t in range(T):
            h = e[:, t]  # (B, C)
            for i, blk in enumerate(self.blocks):
                h, states[i] = blk.step(h, states[i])
            out.append(h)
        return torch.stack(out, 1)  # (B, T, C)

    @property
    def event_rates(self) -> list[float]:
        return [float(b.event_rate) for b in self.blocks]

    @property
    def event_rate(self) -> float:
        return sum(self.event_rates) / len(self.blocks)
