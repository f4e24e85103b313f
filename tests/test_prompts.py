import re

from app.prompts.policy import PromptPolicy, load_bank
from app.spotting.spotter import Moment

# Emotion and judgement words a prompt must never contain: Glimpse never names a feeling
# and never calls the person out.
FORBIDDEN = """happy happiness sad sadness angry anger mad fear afraid scared frightened disgust disgusted
surprise surprised contempt upset anxious anxiety nervous worried worry ashamed shame guilty guilt hurt joy
frustrated frustration annoyed irritated emotion emotional feel feeling feelings lying lie lied hiding hide
honest truth really expression face micro uncomfortable""".split()


def moment(t):
    return Moment(t, t + 0.1, t + 0.2, ("brows",), 5.0)


def test_bank_has_no_emotion_words():
    bank = load_bank()
    assert len(bank) >= 12
    for question in bank:
        words = set(re.findall(r"[a-z']+", question.lower()))
        assert not words & set(FORBIDDEN), question
        assert question.endswith("?"), question


def test_cooldown_keeps_moments_but_not_prompts():
    policy = PromptPolicy(cooldown_s=20.0)
    out = [policy.update(moment(t)) for t in (5, 10, 24.9, 25.3, 60)]
    assert [m.prompted for m in out] == [True, False, False, True, True]
    assert all(m.prompt for m in out if m.prompted) and not any(m.prompt for m in out if not m.prompted)


def test_lifting_the_cooldown_lets_the_next_moment_prompt():
    policy = PromptPolicy(cooldown_s=20.0)
    first = policy.update(moment(5))
    assert first.prompted and not policy.update(moment(8)).prompted
    policy.lift_cooldown()  # "I just asked", at 9 s
    again = policy.update(moment(10))
    assert again.prompted and again.prompt != first.prompt  # the recent questions are still avoided
    assert not policy.update(moment(12)).prompted  # and the cooldown runs again from this prompt


def test_no_repeat_among_recent_and_deterministic():
    policy1, policy2 = PromptPolicy(cooldown_s=0, recent=5), PromptPolicy(cooldown_s=0, recent=5)
    seq1 = [policy1.update(moment(t)).prompt for t in range(40)]
    seq2 = [policy2.update(moment(t)).prompt for t in range(40)]
    assert seq1 == seq2
    for i in range(5, 40):
        assert seq1[i] not in seq1[i - 5:i]
