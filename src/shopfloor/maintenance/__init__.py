"""Predictive maintenance: run-to-failure data, health features and remaining useful life.

The public API::

    table = read_cmapss(Path("train_FD001.txt.gz"))
    model = fit_rul(table, RulSettings(seed=1))
    model.save(Path("fd001.rul.json"))
    prediction = load_model(Path("fd001.rul.json")).predict(read_cmapss(test_file))
    health = fit_health(table).index(table)          # 1 as new .. 0 at failure, per row

Live health and RUL per machine: ``maintenance.live`` (``HealthEngine``, ``HealthService``).
"""

from shopfloor.maintenance.conformal import BandedIntervals, calibrate, interval_coverage
from shopfloor.maintenance.features import FeatureSettings, feature_names, window_features
from shopfloor.maintenance.health import (
    HealthModel,
    HealthSettings,
    fit_health,
    load_health,
    monotonicity,
)
from shopfloor.maintenance.metrics import nasa_score, rmse
from shopfloor.maintenance.regimes import RegimeNormaliser, fit_normaliser
from shopfloor.maintenance.rul import (
    RulModel,
    RulPrediction,
    RulSettings,
    fit_rul,
    load_model,
)
from shopfloor.maintenance.runs import (
    RunTable,
    from_columns,
    open_text_file,
    read_cmapss,
    read_cmapss_truth,
    read_run_csv,
)

__all__ = [
    "BandedIntervals",
    "FeatureSettings",
    "HealthModel",
    "HealthSettings",
    "RegimeNormaliser",
    "RulModel",
    "RulPrediction",
    "RulSettings",
    "RunTable",
    "calibrate",
    "feature_names",
    "fit_health",
    "fit_normaliser",
    "fit_rul",
    "from_columns",
    "interval_coverage",
    "load_health",
    "load_model",
    "monotonicity",
    "nasa_score",
    "open_text_file",
    "read_cmapss",
    "read_cmapss_truth",
    "read_run_csv",
    "rmse",
    "window_features",
]
