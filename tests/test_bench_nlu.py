"""The NLU benchmark's paired comparison: the difference of two models on the same resamples of a test set."""

from benchmarks.bench_nlu import paired_difference


def test_the_same_predictions_differ_by_nothing():
    truth = ["hameconnage", "rancongiciel", "sextorsion", "cyberharcelement"] * 10
    assert paired_difference(truth, truth, truth) == (0.0, 0.0, 0.0)


def test_a_model_right_where_the_other_is_wrong_is_above_it_on_every_resample():
    truth = ["hameconnage", "rancongiciel", "sextorsion", "cyberharcelement"] * 25
    theirs = ["hameconnage"] * len(truth)  # one intent for everything
    difference, low, high = paired_difference(truth, truth, theirs)
    assert difference > 0.15 and 0 < low <= difference <= high  # macro over the 18 incidents, 4 of them here


def test_a_small_difference_on_a_few_messages_is_within_the_luck_of_the_draw():
    truth = ["hameconnage", "rancongiciel", "sextorsion", "cyberharcelement"] * 25
    ours = list(truth)
    theirs = list(truth)
    theirs[0] = "rancongiciel"  # one error more than ours
    ours[1] = "hameconnage"  # and one error of our own
    ours[2] = "hameconnage"
    difference, low, high = paired_difference(truth, ours, theirs)
    assert low < 0 < high
