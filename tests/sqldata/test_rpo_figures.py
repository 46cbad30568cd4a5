"""The RPO record: its two figures, which one a target judges, what fails an item, and a
record a journal can keep and give back."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import cattrs
import pytest

from ob_async.data import CheckResult, DataVerdict, RpoFigure, RpoMeasurement
from ob_async.data._rpo import NewestChange

POINT = datetime(2026, 1, 13, 23, 33, 6, tzinfo=UTC)
REQUESTED = POINT + timedelta(minutes=5)
NEWEST = POINT - timedelta(seconds=6)


def _measured(figure: RpoFigure, newest: datetime = NEWEST, target: float = 120) -> RpoMeasurement:
    return RpoMeasurement.measured(
        NewestChange(at=newest, as_read=newest.isoformat()),
        restore_point=POINT,
        requested_at=REQUESTED,
        target_seconds=target,
        target_applies_to=figure,
    )


def test_the_issues_drill_reads_as_five_minutes_of_exposure_not_six_seconds() -> None:
    # Restore point 23:33:06, requested at 23:38:06, newest change 23:33:00.
    rpo = _measured(RpoFigure.DATA_LOSS_EXPOSURE)
    assert rpo.restore_point_gap_seconds == 6.0
    assert rpo.data_loss_exposure_seconds == 306.0
    assert rpo.target_figure_seconds == 306.0
    assert rpo.met_target is False
    assert rpo.problem() == "data-loss exposure 306s over its RPO target of 120s"
    on_gap = _measured(RpoFigure.RESTORE_POINT_GAP)
    assert (on_gap.target_figure_seconds, on_gap.met_target, on_gap.problem()) == (6.0, True, None)


def test_a_change_after_the_restore_point_is_an_error_never_a_figure() -> None:
    rpo = _measured(RpoFigure.RESTORE_POINT_GAP, newest=POINT + timedelta(hours=8))
    assert rpo.error is not None
    assert "28800s after the restore point" in rpo.error
    assert (rpo.restore_point_gap_seconds, rpo.data_loss_exposure_seconds) == (None, None)
    assert rpo.met_target is False
    verdict = DataVerdict(rpo=rpo)
    assert not verdict.ok
    assert verdict.problems() == [f"RPO not measured: {rpo.error}"]
    # Without a target too: an impossible newest change fails the item.
    untargeted = RpoMeasurement.measured(
        NewestChange(at=POINT + timedelta(seconds=304.6), as_read="..."),
        restore_point=POINT,
        requested_at=REQUESTED,
        target_seconds=None,
        target_applies_to=RpoFigure.DATA_LOSS_EXPOSURE,
    )
    assert untargeted.met_target is None
    assert not DataVerdict(rpo=untargeted).ok


def test_the_newest_change_at_the_restore_point_itself_is_measured() -> None:
    rpo = _measured(RpoFigure.RESTORE_POINT_GAP, newest=POINT)  # both ends inclusive
    assert (rpo.error, rpo.restore_point_gap_seconds) == (None, 0.0)


@pytest.mark.parametrize(
    ("latest", "figure"), [(True, "data_loss_exposure"), (False, "restore_point_gap")]
)
def test_the_default_figure_follows_the_restore_time(latest: bool, figure: str) -> None:
    assert RpoFigure.for_restore(latest=latest) == figure


def test_the_verdicts_json_names_both_figures_and_their_moments() -> None:
    verdict = DataVerdict(
        checks=(CheckResult(name="orders", ok=True, expect="> 0", value="12"),),
        rpo=_measured(RpoFigure.DATA_LOSS_EXPOSURE),
        endpoint="10.0.0.8:2881",
    )
    found = verdict.to_json()
    assert {key: found[key] for key in found if key != "checks"} == {
        "ok": False,
        "rpoSeconds": 306.0,
        "rpoTargetSeconds": 120,
        "rpoTargetAppliesTo": "data_loss_exposure",
        "metRpo": False,
        "restorePoint": "2026-01-13T23:33:06+00:00",
        "requestedAt": "2026-01-13T23:38:06+00:00",
        "newestChange": "2026-01-13T23:33:00+00:00",
        "newestChangeAsRead": "2026-01-13T23:33:00+00:00",
        "rpoTimeZone": None,
        "dataLossExposureSeconds": 306.0,
        "restorePointGapSeconds": 6.0,
        "rpoError": None,
        "endpoint": "10.0.0.8:2881",
    }
    without = DataVerdict().to_json()
    assert set(without) == set(found)
    assert without["rpoSeconds"] is None
    assert without["ok"] is True


def test_a_journal_keeps_the_record_and_gives_it_back_whole() -> None:
    # As a journal's cattrs converter would: datetimes as ISO text, the rest as is.
    converter = cattrs.Converter()
    converter.register_unstructure_hook(datetime, datetime.isoformat)
    converter.register_structure_hook(datetime, lambda text, _: datetime.fromisoformat(text))
    verdict = DataVerdict(
        checks=(CheckResult(name="orders", ok=False, expect="> 0", value="0", error="no"),),
        rpo=_measured(RpoFigure.DATA_LOSS_EXPOSURE),
        endpoint="10.0.0.8:2881",
    )
    kept = converter.unstructure(verdict)
    assert "data_loss_exposure_seconds" not in kept["rpo"]  # derived, not stored twice
    back = converter.structure(kept, DataVerdict)
    assert back == verdict
    assert back.rpo is not None
    assert back.rpo.data_loss_exposure_seconds == 306.0
