"""The passage shown under a search result (kb/search/snippets.py)."""

from hypothesis import given
from hypothesis import strategies as st

from kb.search import snippets

WORDS = ["注销", "线路", "T-Mobile", "保号", "eSIM", "短信", "验证码", "暂停", "号码", "cancel"]


def full_scan(texts, wanted):
    """The sentence the snippet must come from: the first with the most distinct terms,
    looking at every sentence (what ``snippet`` did before it learned to stop early)."""
    best = None
    for sentence in snippets._sentences(texts):
        spans, score = snippets._marks(sentence, wanted)
        if score and (best is None or score > best[0]):
            best = (score, sentence)
    return best


sentence = st.lists(st.sampled_from(WORDS), min_size=1, max_size=6).map(
    lambda words: "，".join(words) + "。"
)


@given(
    texts=st.lists(st.lists(sentence, min_size=1, max_size=5).map("".join), min_size=1, max_size=4),
    wanted=st.sets(
        st.sampled_from(["注销", "保号", "tmobil", "esim", "短信", "cancel"]), min_size=1
    ),
)
def test_stopping_at_a_sentence_with_every_term_gives_the_full_scans_passage(texts, wanted):
    expected = full_scan(texts, wanted)
    segments = snippets.snippet(texts, wanted, width=1000)
    shown = "".join(segment.text for segment in segments)
    if expected is None:
        assert not any(segment.mark for segment in segments)
    else:
        assert shown == expected[1]


def test_a_tie_keeps_the_first_sentence():
    texts = ["先注销，再保号。", "保号，然后注销。"]
    shown = "".join(s.text for s in snippets.snippet(texts, {"注销", "保号"}))
    assert shown == "先注销，再保号。"
