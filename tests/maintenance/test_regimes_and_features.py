from __future__ import annotations

import numpy as np

from shopfloor.maintenance import FeatureSettings, feature_names, fit_normaliser, window_features
from shopfloor.maintenance.regimes import RegimeNormaliser
from tests.maintenance.synthetic import fleet


def test_three_operating_conditions_are_found_and_normalised_away() -> None:
    table = fleet(6)
    normaliser = fit_normaliser(table.settings, table.sensors)
    z = normaliser.transform(table.settings, table.sensors)
    regime = normaliser.assign(table.settings)
    assert normaliser.regimes == 3
    assert all(abs(z[regime == r].mean(axis=0)).max() < 1e-9 for r in range(3))
    # Raw sensor a jumps by 50 between regimes; once normalised its spread is unit-sized.
    assert z[:, 0].std() < 1.5 < table.sensors[:, 0].std()


def test_noise_around_one_operating_point_is_a_single_regime() -> None:
    table = fleet(4, regimes=1)
    assert fit_normaliser(table.settings, table.sensors).regimes == 1


def test_constant_sensors_are_dropped() -> None:
    table = fleet(3)
    normaliser = fit_normaliser(table.settings, table.sensors)
    assert normaliser.keep.tolist() == [True, True, True, False]
    assert normaliser.transform(table.settings, table.sensors).shape[1] == 3


def test_a_normaliser_survives_its_json_form() -> None:
    table = fleet(3)
    normaliser = fit_normaliser(table.settings, table.sensors)
    again = RegimeNormaliser.from_dict(normaliser.to_dict())
    assert np.array_equal(
        again.transform(table.settings, table.sensors),
        normaliser.transform(table.settings, table.sensors),
    )


def test_window_means_and_slopes_of_a_straight_line_stop_at_the_unit_start() -> None:
    table = fleet(2, regimes=1)
    first_unit = table.unit_bounds()[1]
    z = np.concatenate(
        [np.arange(first_unit), 100 + 2.0 * np.arange(len(table.units) - first_unit)]
    )
    settings = FeatureSettings(windows=(5,), spread_window=5, baseline=3)
    features = window_features(table, z[:, None].astype(np.float64), settings)
    names = feature_names(settings, ("z",))
    assert names == ["time", "z_last", "z_mean5", "z_slope5", "z_std5", "z_drift"]
    at = first_unit + 1  # the second cycle of the second unit: two points in every window
    assert features[at].tolist() == [2.0, 102.0, 101.0, 2.0, 1.0, 0.0]
    assert features[first_unit + 9, 3] == 2.0
    assert features[first_unit + 9, 5] == (100 + 2.0 * 8) - (100 + 2.0 * 1)
