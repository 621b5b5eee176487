"""Micro frontend features computed frame by frame, with state carried between frames (as the firmware's
feature provider does), in plain numpy — no TensorFlow, so live detection starts instantly.

This is an integer re-implementation of the TFLM audio micro frontend
(`tensorflow/lite/experimental/microfrontend/lib`): Hann window in Q12, a fixed-point 16-bit real FFT
(kissfft's `FIXED_POINT=16` arithmetic: per-stage scaling and rounding), mel filterbank with Q12
weights and integer square root, noise reduction (a per-channel low-pass noise estimate), PCAN gain
control (a piecewise-quadratic gain look-up table) and the fixed-point log. Every integer step follows
the library's rounding, shifts and wrap-arounds, so the output is meant to be *identical* to
`core.features.compute_stream_features` (the TF op over a whole recording).

Measured bound (tests/live/test_streaming_features.py): streaming output equals the TF op bit for bit
(maximum absolute difference 0) on speech, noise, tones, silence, clipping and near-silent audio,
whatever chunk sizes the audio arrives in.

The stateless stages (window .. square root) are vectorised over all frames that a chunk completes;
noise reduction and PCAN depend on the previous frame, so they run frame by frame.
"""

from __future__ import annotations

import math

import numpy as np

from core.audio.samples import to_int16
from core.config import FeatureSettings

# Fixed-point formats of the library (window.h, filterbank.h, noise_reduction.h, pcan_gain_control.h,
# log_lut.h).
WINDOW_BITS = 12
FILTERBANK_BITS = 12
NOISE_REDUCTION_BITS = 14
PCAN_SNR_BITS = 12
PCAN_OUTPUT_BITS = 6
WIDE_DYNAMIC_BITS = 32
LOG_SCALE_LOG2 = 16
LOG_SEGMENTS_LOG2 = 7
LOG_COEFF = 45426

# Piecewise-linear correction of log2 over one octave, 129 segment ends in Q16 (log_lut.c).
LOG_LUT = np.array(
    [
        0, 224, 442, 654, 861, 1063, 1259, 1450, 1636, 1817, 1992, 2163, 2329, 2490, 2646, 2797,
        2944, 3087, 3224, 3358, 3487, 3611, 3732, 3848, 3960, 4068, 4172, 4272, 4368, 4460, 4549, 4633,
        4714, 4791, 4864, 4934, 5001, 5063, 5123, 5178, 5231, 5280, 5326, 5368, 5408, 5444, 5477, 5507,
        5533, 5557, 5578, 5595, 5610, 5622, 5631, 5637, 5640, 5641, 5638, 5633, 5626, 5615, 5602, 5586,
        5568, 5547, 5524, 5498, 5470, 5439, 5406, 5370, 5332, 5291, 5249, 5203, 5156, 5106, 5054, 5000,
        4944, 4885, 4825, 4762, 4697, 4630, 4561, 4490, 4416, 4341, 4264, 4184, 4103, 4020, 3935, 3848,
        3759, 3668, 3575, 3481, 3384, 3286, 3186, 3084, 2981, 2875, 2768, 2659, 2549, 2437, 2323, 2207,
        2090, 1971, 1851, 1729, 1605, 1480, 1353, 1224, 1094, 963, 830, 695, 559, 421, 282, 142, 0, 0,
    ],
    dtype=np.int64,
)  # fmt: skip

_F32 = np.float32
_U32 = 0xFFFFFFFF


def _msb(x: np.ndarray) -> np.ndarray:
    """Position of the highest set bit plus one (0 for 0), elementwise, for values below 2**53."""
    x = np.asarray(x, dtype=np.int64)
    out = np.zeros(x.shape, dtype=np.int64)
    nz = x > 0
    out[nz] = np.frexp(x[nz].astype(np.float64))[1]
    return out


def _wrap16(x: np.ndarray | int) -> np.ndarray:
    """C assignment of an int to int16_t: keep the low 16 bits, signed (numpy's integer cast does just
    that, and is several times cheaper than masking)."""
    return np.asarray(x).astype(np.int16).astype(np.int64)


# --- fixed-point FFT (kissfft, FIXED_POINT=16) ------------------------------------------------


def _q15_cexp(phase: float) -> tuple[int, int]:
    # kissfft's twiddle: floor(0.5 + 32767 * cos/sin), with the C library's double cos and sin.
    return math.floor(0.5 + 32767 * math.cos(phase)), math.floor(0.5 + 32767 * math.sin(phase))


def _sround(x: np.ndarray) -> np.ndarray:
    """Q15 product back to int16 with rounding (kissfft `sround`)."""
    return _wrap16((x + (1 << 14)) >> 15)


def _fixdiv(x: np.ndarray, div: int) -> np.ndarray:
    """kissfft `C_FIXDIV`: scale down by `div` as a Q15 multiply by 32767 // div."""
    return _sround(x * (32767 // div))


def _cmul(ar: np.ndarray, ai: np.ndarray, br: np.ndarray, bi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return _sround(ar * br - ai * bi), _sround(ar * bi + ai * br)


class _FixedRealFft:
    """Real-input FFT of `size` int16 samples with kissfft's fixed-point rounding (forward only)."""

    def __init__(self, size: int) -> None:
        half = size // 2
        self.size = size
        self.half = half
        tw = [_q15_cexp(-2 * math.pi * i / half) for i in range(half)]
        self.tw_r = np.array([t[0] for t in tw], dtype=np.int64)
        self.tw_i = np.array([t[1] for t in tw], dtype=np.int64)
        pi = 3.14159265358979323846264338327
        sup = [_q15_cexp(-pi * ((i + 1) / half + 0.5)) for i in range(half // 2)]
        self.sup_r = np.array([t[0] for t in sup], dtype=np.int64)
        self.sup_i = np.array([t[1] for t in sup], dtype=np.int64)
        self.factors = self._factor(half)
        self.stages = []  # (radix, length after this stage, stride into the twiddles)
        fstride = 1
        for p, m in self.factors:
            self.stages.append((p, m, fstride))
            fstride *= p
        self.order = self._digit_reversal(np.arange(half), 0)

    @staticmethod
    def _factor(n: int) -> list[tuple[int, int]]:
        # kissfft factors powers of 4 first, then 2; the FFT size is a power of two here.
        out = []
        while n > 1:
            p = 4 if n % 4 == 0 else 2
            if n % p:
                raise ValueError(f"FFT length {n} is not a power of two")
            n //= p
            out.append((p, n))
        return out

    def _digit_reversal(self, idx: np.ndarray, level: int) -> np.ndarray:
        """Input index feeding each position of the innermost stage (kissfft's decimation order)."""
        p, m = self.factors[level]
        if m == 1:
            return idx
        return np.concatenate([self._digit_reversal(idx[q::p], level + 1) for q in range(p)])

    def __call__(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """`x` int [frames, size] -> (real, imag) int [frames, size/2 + 1]."""
        # kissfft recurses, decimating its input by each radix; the same arithmetic runs here stage by
        # stage on the digit-reversed input, innermost stage first, on all groups and frames at once.
        r = x[:, 0::2][:, self.order].astype(np.int64)
        i = x[:, 1::2][:, self.order].astype(np.int64)
        frames = x.shape[0]
        for p, m, fstride in reversed(self.stages):
            rr, ii = r.reshape(frames, fstride, p, m), i.reshape(frames, fstride, p, m)
            t1 = np.arange(m) * fstride
            (self._butterfly2 if p == 2 else self._butterfly4)(rr, ii, t1)
        return self._split(r, i)

    def _butterfly2(self, r: np.ndarray, i: np.ndarray, t1: np.ndarray) -> None:
        ar, ai = _fixdiv(r[:, :, 0], 2), _fixdiv(i[:, :, 0], 2)
        br, bi = _fixdiv(r[:, :, 1], 2), _fixdiv(i[:, :, 1], 2)
        tr, ti = _cmul(br, bi, self.tw_r[t1], self.tw_i[t1])
        r[:, :, 1], i[:, :, 1] = _wrap16(ar - tr), _wrap16(ai - ti)
        r[:, :, 0], i[:, :, 0] = _wrap16(ar + tr), _wrap16(ai + ti)

    def _butterfly4(self, r: np.ndarray, i: np.ndarray, t1: np.ndarray) -> None:
        f = [(_fixdiv(r[:, :, q], 4), _fixdiv(i[:, :, q], 4)) for q in range(4)]
        s0 = _cmul(*f[1], self.tw_r[t1], self.tw_i[t1])
        s1 = _cmul(*f[2], self.tw_r[2 * t1], self.tw_i[2 * t1])
        s2 = _cmul(*f[3], self.tw_r[3 * t1], self.tw_i[3 * t1])
        f0r, f0i = f[0]
        s5r, s5i = _wrap16(f0r - s1[0]), _wrap16(f0i - s1[1])
        f0r, f0i = _wrap16(f0r + s1[0]), _wrap16(f0i + s1[1])
        s3r, s3i = _wrap16(s0[0] + s2[0]), _wrap16(s0[1] + s2[1])
        s4r, s4i = _wrap16(s0[0] - s2[0]), _wrap16(s0[1] - s2[1])
        r[:, :, 2], i[:, :, 2] = _wrap16(f0r - s3r), _wrap16(f0i - s3i)
        r[:, :, 0], i[:, :, 0] = _wrap16(f0r + s3r), _wrap16(f0i + s3i)
        r[:, :, 1], i[:, :, 1] = _wrap16(s5r + s4i), _wrap16(s5i - s4r)
        r[:, :, 3], i[:, :, 3] = _wrap16(s5r - s4i), _wrap16(s5i + s4r)

    def _split(self, zr: np.ndarray, zi: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        # Untangle the half-length complex FFT of the even/odd samples into the real FFT (kiss_fftr).
        n = self.half
        frames = zr.shape[0]
        out_r = np.zeros((frames, n + 1), dtype=np.int64)
        out_i = np.zeros((frames, n + 1), dtype=np.int64)
        dc_r, dc_i = _fixdiv(zr[:, 0], 2), _fixdiv(zi[:, 0], 2)
        out_r[:, 0] = _wrap16(dc_r + dc_i)
        out_r[:, n] = _wrap16(dc_r - dc_i)
        k = np.arange(1, n // 2 + 1)
        pk_r, pk_i = _fixdiv(zr[:, k], 2), _fixdiv(zi[:, k], 2)
        pn_r, pn_i = _fixdiv(zr[:, n - k], 2), _fixdiv(_wrap16(-zi[:, n - k]), 2)
        f1_r, f1_i = _wrap16(pk_r + pn_r), _wrap16(pk_i + pn_i)
        f2_r, f2_i = _wrap16(pk_r - pn_r), _wrap16(pk_i - pn_i)
        tw_r, tw_i = _cmul(f2_r, f2_i, self.sup_r, self.sup_i)
        out_r[:, k], out_i[:, k] = _wrap16((f1_r + tw_r) >> 1), _wrap16((f1_i + tw_i) >> 1)
        # For k = n/2 both lines write the same bin; the second one wins, as in the C loop.
        out_r[:, n - k], out_i[:, n - k] = _wrap16((f1_r - tw_r) >> 1), _wrap16((tw_i - f1_i) >> 1)
        return out_r, out_i


# --- filterbank -----------------------------------------------------------------------------


def _mel(freq: np.float32) -> np.float32:
    # FreqToMel: double arithmetic on a float argument, returned as float.
    return _F32(1127.0 * math.log1p(float(freq) / 700.0))


def _filterbank_matrix(settings: FeatureSettings, spectrum_size: int) -> tuple[np.ndarray, int, int]:
    """Dense [spectrum_size, channels] matrix of Q12 weights so that channel c's accumulator is
    `energy @ matrix[:, c]` (the library's channel c+1 weights plus channel c's unweights), and the
    range of FFT bins used."""
    n = settings.channels
    lower, upper = _F32(settings.lower_band_hz), _F32(settings.upper_band_hz)
    mel_low, mel_hi = _mel(lower), _mel(upper)
    spacing = _F32(_F32(mel_hi - mel_low) / _F32(n + 1))
    centres = [_F32(mel_low + _F32(spacing * _F32(i + 1))) for i in range(n + 1)]
    hz_per_bin = _F32(0.5 * settings.sample_rate / (float(_F32(spectrum_size)) - 1.0))
    start_index = int(1.5 + float(_F32(lower / hz_per_bin)))

    weights = np.zeros((spectrum_size, n + 1), dtype=np.int64)
    unweights = np.zeros((spectrum_size, n + 1), dtype=np.int64)
    freq_start = start_index
    end_index = 0
    for chan in range(n + 1):
        freq = freq_start
        while _mel(_F32(_F32(freq) * hz_per_bin)) <= centres[chan]:
            freq += 1
        denom = mel_low if chan == 0 else centres[chan - 1]
        for f in range(freq_start, freq):
            w = _F32(_F32(centres[chan] - _mel(_F32(_F32(f) * hz_per_bin))) / _F32(centres[chan] - denom))
            weights[f, chan] = math.floor(float(_F32(w * _F32(1 << FILTERBANK_BITS))) + 0.5)
            unweights[f, chan] = math.floor((1.0 - float(w)) * (1 << FILTERBANK_BITS) + 0.5)
        end_index = max(end_index, freq)
        freq_start = freq
    if end_index >= spectrum_size:
        raise ValueError("filterbank upper band is above the spectrum; lower upper_band_hz")
    # Accumulator i sums channel i's weights and channel i-1's unweights; outputs are accumulators 1..n.
    matrix = weights[:, 1:] + unweights[:, :-1]
    return matrix, start_index, end_index


def _isqrt_rounded(x: np.ndarray) -> np.ndarray:
    """The library's Sqrt64: floor square root, plus one when the remainder exceeds the root."""
    root = np.floor(np.sqrt(x.astype(np.float64))).astype(np.int64)
    root -= root * root > x
    root += (root + 1) * (root + 1) <= x
    limit = np.where(x < (1 << 32), 0xFFFF, 0xFFFFFFFF)
    return root + ((x - root * root > root) & (root != limit))


# --- PCAN gain look-up table ------------------------------------------------------------------


def _pcan_gain(settings: FeatureSettings, input_bits: int, x: int) -> int:
    # PcanGainLookupFunction, in float (single precision) arithmetic.
    xf = _F32(_F32(x) / _F32(1 << input_bits))
    base = np.float64(_F32(xf + _F32(settings.pcan_offset)))
    gain = _F32(_F32(1 << settings.gain_bits) * _F32(base ** -float(_F32(settings.pcan_strength))))
    if gain > 0x7FFF:
        return 0x7FFF
    return int(_F32(gain + _F32(0.5)))


def _pcan_lut(settings: FeatureSettings, input_bits: int) -> np.ndarray:
    """Gain look-up table laid out as the library does (index 4*interval-6 holds y0, a1, a2)."""
    lut = np.zeros(4 * WIDE_DYNAMIC_BITS - 3, dtype=np.int64)
    lut[0] = _pcan_gain(settings, input_bits, 0)
    lut[1] = _pcan_gain(settings, input_bits, 1)
    for interval in range(2, WIDE_DYNAMIC_BITS + 1):
        x0 = 1 << (interval - 1)
        x1 = x0 + (x0 >> 1)
        x2 = x0 + (x0 - 1) if interval == WIDE_DYNAMIC_BITS else 2 * x0
        y0, y1, y2 = (_pcan_gain(settings, input_bits, x) for x in (x0, x1, x2))
        a1 = 4 * (y1 - y0) - (y2 - y0)
        a2 = (y2 - y0) - a1
        base = 4 * interval - 6
        lut[base : base + 3] = (y0, _wrap16(a1), _wrap16(a2))
    return lut


class StreamingFrontend:
    """The micro frontend with state: feed audio in chunks of any size, get every completed frame.

    `process(samples)` takes int16 (or float in [-1, 1]) mono 16 kHz samples and returns a uint16
    array `[frames, channels]` of the frames those samples completed (possibly none). `reset()`
    starts again from a fresh state, as a newly booted board.
    """

    def __init__(self, settings: FeatureSettings | None = None) -> None:
        self.settings = settings = settings or FeatureSettings()
        self.window_size = settings.window_samples
        self.step = settings.stride_samples
        self.channels = settings.channels
        fft_size = 1 << max(0, (self.window_size - 1).bit_length())
        self.fft = _FixedRealFft(fft_size)
        self.filterbank, self._start, self._end = _filterbank_matrix(settings, fft_size // 2 + 1)
        self._filterbank_f64 = self.filterbank[self._start : self._end].astype(np.float64)
        arg = float(_F32(math.pi * 2.0 / float(_F32(self.window_size))))
        self.window = np.array(
            [
                math.floor(float(_F32(_F32(0.5 - 0.5 * math.cos(arg * (i + 0.5))) * 4096)) + 0.5)
                for i in range(self.window_size)
            ],
            dtype=np.int64,
        )
        # Fixed-point parameters as the library derives them from the float config (truncating casts).
        one = 1 << NOISE_REDUCTION_BITS
        self._smoothing = np.array(
            [
                int(_F32(settings.even_smoothing) * _F32(one))
                if c % 2 == 0
                else int(_F32(settings.odd_smoothing) * _F32(one))
                for c in range(self.channels)
            ],
            dtype=np.int64,
        )
        self._min_signal = int(_F32(settings.min_signal_remaining) * _F32(one))
        self._correction_bits = fft_size.bit_length() - 1 - FILTERBANK_BITS // 2
        self._snr_shift = settings.gain_bits - self._correction_bits - PCAN_SNR_BITS
        self._pcan_lut = _pcan_lut(settings, settings.smoothing_bits - self._correction_bits)
        self.reset()

    def reset(self) -> None:
        self._pending = np.zeros(0, dtype=np.int16)
        self._estimate = np.zeros(self.channels, dtype=np.int64)

    @property
    def frames_per_second(self) -> float:
        return self.settings.sample_rate / self.step

    def process(self, samples: np.ndarray) -> np.ndarray:
        pcm = to_int16(np.asarray(samples).reshape(-1))
        buffer = np.concatenate([self._pending, pcm]) if self._pending.size else pcm
        if buffer.size < self.window_size:
            self._pending = buffer.copy()
            return np.zeros((0, self.channels), dtype=np.uint16)
        count = 1 + (buffer.size - self.window_size) // self.step
        frames = np.lib.stride_tricks.sliding_window_view(buffer, self.window_size)[:: self.step][:count]
        self._pending = buffer[count * self.step :].copy()
        return self._tail(self._spectrum(frames))

    def _spectrum(self, frames: np.ndarray) -> np.ndarray:
        """Window, FFT, filterbank and square root of each frame: uint32 values [frames, channels]."""
        windowed = _wrap16((frames.astype(np.int64) * self.window) >> WINDOW_BITS)
        peak = np.abs(windowed)
        peak[peak > 32767] = 0  # int16 negation of -32768 stays negative and never wins the max
        shift = 15 - _msb(peak.max(axis=1))
        padded = np.zeros((frames.shape[0], self.fft.size), dtype=np.int64)
        padded[:, : self.window_size] = _wrap16((windowed & 0xFFFF) << shift[:, None])
        re, im = self.fft(padded)
        re, im = re[:, self._start : self._end], im[:, self._start : self._end]
        energy = (re * re + im * im) & _U32
        # Products and sums stay below 2**53, so the float64 product is exact.
        work = np.rint(energy.astype(np.float64) @ self._filterbank_f64).astype(np.int64)
        return (_isqrt_rounded(work) & _U32) >> shift[:, None]

    def _tail(self, signal: np.ndarray) -> np.ndarray:
        """Noise reduction, PCAN and log of `signal` [frames, channels]; only the noise estimate is
        carried from frame to frame, so only its update runs frame by frame."""
        s = self.settings
        scaled = (signal << s.smoothing_bits) & _U32
        keep = (1 << NOISE_REDUCTION_BITS) - self._smoothing
        estimates = np.empty_like(scaled)
        estimate = self._estimate
        for n in range(scaled.shape[0]):
            estimate = ((scaled[n] * self._smoothing + estimate * keep) >> NOISE_REDUCTION_BITS) & _U32
            estimates[n] = estimate
        self._estimate = estimate
        floor = (signal * self._min_signal) >> NOISE_REDUCTION_BITS
        subtracted = (scaled - np.minimum(estimates, scaled)) >> s.smoothing_bits
        signal = np.maximum(subtracted, floor)
        if s.enable_pcan:
            snr = ((signal * self._wide_dynamic(estimates)) >> self._snr_shift) & _U32
            signal = (
                np.where(
                    snr < (2 << PCAN_SNR_BITS),
                    (snr * snr) >> (2 + 2 * PCAN_SNR_BITS - PCAN_OUTPUT_BITS),
                    (snr >> (PCAN_SNR_BITS - PCAN_OUTPUT_BITS)) - (1 << PCAN_OUTPUT_BITS),
                )
                & _U32
            )
        return self._log(signal)

    def _wide_dynamic(self, x: np.ndarray) -> np.ndarray:
        """PCAN gain of noise estimate `x` from the piecewise-quadratic table (WideDynamicFunction)."""
        lut = self._pcan_lut
        small = x <= 2
        interval = np.maximum(_msb(x), 2)
        base = 4 * interval - 6
        frac = np.where(interval < 11, x << np.maximum(11 - interval, 0), x >> np.maximum(interval - 11, 0))
        frac &= 0x3FF
        result = (lut[base + 2] * frac) >> 5
        result += lut[base + 1] << 5
        result = _wrap32(result * frac)
        result = ((result + (1 << 14)) >> 15) + lut[base]
        gain = np.where(small, lut[np.minimum(x, 2)], _wrap16(result))
        return gain & _U32  # the int16 gain is used as uint32_t

    def _log(self, signal: np.ndarray) -> np.ndarray:
        s = self.settings
        if not s.enable_log:
            return np.minimum(signal, 0xFFFF).astype(np.uint16)
        bits = self._correction_bits
        value = (signal << bits) & _U32 if bits >= 0 else signal >> -bits
        out = np.zeros_like(value)
        big = value > 1
        v = value[big]
        integer = _msb(v) - 1
        frac = v - (np.int64(1) << integer)
        frac = np.where(
            integer < LOG_SCALE_LOG2,
            frac << np.maximum(LOG_SCALE_LOG2 - integer, 0),
            frac >> np.maximum(integer - LOG_SCALE_LOG2, 0),
        )
        frac = _wrap32(frac)
        seg = frac >> (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)
        c0, c1 = LOG_LUT[seg], LOG_LUT[seg + 1]
        rel = ((c1 - c0) * (frac - (seg << (LOG_SCALE_LOG2 - LOG_SEGMENTS_LOG2)))) >> LOG_SCALE_LOG2
        log2 = ((integer << LOG_SCALE_LOG2) + ((frac + c0 + rel) & _U32)) & _U32
        half = 1 << (LOG_SCALE_LOG2 - 1)
        loge = ((LOG_COEFF * log2 + half) >> LOG_SCALE_LOG2) & _U32
        out[big] = ((((loge << s.scale_shift) & _U32) + half) & _U32) >> LOG_SCALE_LOG2
        return np.minimum(out, 0xFFFF).astype(np.uint16)


def _wrap32(x: np.ndarray) -> np.ndarray:
    return ((x + (1 << 31)) & _U32) - (1 << 31)


def stream_features(
    audio: np.ndarray, settings: FeatureSettings | None = None, chunk: int = 16000
) -> np.ndarray:
    """Convenience: the frames of a whole recording, fed through a fresh `StreamingFrontend` in chunks."""
    frontend = StreamingFrontend(settings)
    pcm = to_int16(np.asarray(audio).reshape(-1))
    parts = [frontend.process(pcm[i : i + chunk]) for i in range(0, len(pcm), chunk)]
    if not parts:
        return np.zeros((0, frontend.channels), dtype=np.uint16)
    return np.concatenate(parts)
