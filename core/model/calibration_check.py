"""Whether a calibrated setting leaves a model that finds keywords at all.

A false-accept target can always be met by a model that hardly ever fires: the default stop/go model
meets 0.5 FA/h on its validation streams at 97.5 % FRR. "Target met" alone would hide that, so export
and the app's Model pane say it in words. Kept free of numpy and TensorFlow: the app imports it.
"""

from __future__ import annotations

MOSTLY_MISSED_FRR = 0.5  # above this share of validation keywords missed, the user is told


def missed_warning(frr: float | None) -> str | None:
    """What to tell the user when the calibrated setting misses most validation keywords, else None."""
    if frr is None or frr <= MOSTLY_MISSED_FRR:
        return None
    return (
        f"at this setting the model misses {100 * frr:.0f} % of the validation keywords: record your own "
        "voice (`wakebench record`) or capture from the board and retrain, or allow more false accepts "
        "(recognizer.target_fa_per_hour)"
    )
