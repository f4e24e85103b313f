"""Questions worth asking: the built-in bank and the listener's own, checked the same way."""

from __future__ import annotations

import pytest

from app.errors import SettingsInvalid
from app.prompts.policy import PromptPolicy, bank_for, load_bank
from app.settings import schema as S
from app.settings.questions import CLOSED_OPENINGS, FORBIDDEN_WORDS, bank_problems, problems, words
from app.settings.store import load, save
from app.spotting.spotter import Moment

# the check must keep at least these: a shorter list would let a feeling word or a yes/no opening through
MUST_FORBID = {"angry", "sad", "happy", "fear", "feel", "feeling", "emotion", "lying", "hiding", "honest",
               "truth", "face", "expression", "guilty", "nervous", "anxious"}
MUST_CLOSE = {"is", "are", "do", "does", "did", "can", "could", "would", "will", "have", "has"}


def test_the_lists_are_not_thinned_out():
    assert MUST_FORBID <= FORBIDDEN_WORDS and MUST_CLOSE <= CLOSED_OPENINGS


def test_every_built_in_question_is_open_and_names_no_feeling():
    bank = load_bank()
    assert len(bank) >= 12
    assert bank_problems(bank) == []
    for question in bank:
        assert words(question)[0] not in CLOSED_OPENINGS, question
        assert not set(words(question)) & FORBIDDEN_WORDS, question


@pytest.mark.parametrize("question", ["Is there another side to it?", "Is that all they said?",
                                      "Did that change things?", "Could you say more?", "Have you told anyone?",
                                      "Would you add anything?", "Don\u2019t you think so?"])
def test_yes_no_openings_are_flagged(question):
    assert any("yes or no" in p for p in problems(question))


@pytest.mark.parametrize("question", ["How do you feel about it?", "What made you angry?",
                                      "What are you hiding?", "What is the truth of it?", "Why did your face change?"])
def test_feeling_and_concealment_words_are_flagged(question):
    assert any("never names a feeling" in p for p in problems(question))


@pytest.mark.parametrize("question", ["What happened next?", "How was that for you?", "Who else was there?",
                                      "Where would you like to take this?"])
def test_open_questions_pass(question):
    assert problems(question) == []


def test_other_problems_are_named():
    assert problems("  ") == ["the question is empty"]
    assert problems("What happened next") == ["it should end with a question mark"]
    assert "at least 2" in bank_problems(["What happened next?"])[-1]
    assert "twice" in bank_problems(["What happened next?", "what happened next?"])[-1]


def test_the_listeners_questions_are_saved_with_the_settings(tmp_path):
    mine = ("What happened then?", "Who else was there?")
    s = S.Settings().replace(questions=mine)
    assert s.preset == "balanced"  # the questions do not change what is spotted
    path = tmp_path / "settings.json"
    save(s, path)
    assert load(path).questions == mine
    assert S.Settings().questions == () and bank_for(S.Settings()) == load_bank()
    assert bank_for(s) == mine


@pytest.mark.parametrize("bad", [("What made you angry?", "Who else was there?"), ("Who else was there?",), ("", "x?")])
def test_the_settings_refuse_bad_questions(bad):
    with pytest.raises(SettingsInvalid, match="questions"):
        S.Settings(questions=bad)
    with pytest.raises(SettingsInvalid, match="questions"):
        S.from_dict({"questions": "What happened next?"})


def test_the_prompt_policy_offers_only_the_listeners_questions():
    mine = ("What happened then?", "Who else was there?")
    policy = PromptPolicy.for_settings(S.Settings(cooldown_s=0.0, questions=mine))
    shown = {policy.update(Moment(t, t + 0.1, t + 0.2, ("brows",), 5.0)).prompt for t in range(10)}
    assert shown == set(mine)
