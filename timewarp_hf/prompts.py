"""Every prompt TimeWarp sends, in one place and versioned.

The wording is our own, written to the same roles and output formats as the original TimeWarp code
(quoted in the project's reference notes): the explicit recipe's QA writer (``Q1:``/``A1:`` lines) and
answerer (``Answer:``), the implicit recipe's detailed temporal prompt, its eight plain description
prompts and eight hallucination-inducing prompts, and the warped recipe's temporal questions. Every
template can be overridden through the builder config, so a user can run the original wording.
``PROMPT_VERSION`` goes into each dataset's provenance and card; bump it whenever a default changes.
"""

from __future__ import annotations

__all__ = [
    "DEFAULT_TEMPLATES",
    "HALLUCINATION_PROMPTS",
    "IMPLICIT_PROMPTS",
    "PROMPT_VERSION",
    "WARPED_QUESTIONS",
    "render",
]

PROMPT_VERSION = "tw-1"

EXPLICIT_QA = """You are given a description of a video, written as the events happen, from start to finish.
Write {num_questions} question-answer pairs about WHEN things happen in the video: what comes first or last,
what happens before or after something, what happens at the beginning or the end, and in which order
events occur. Each question must need the order of events to be answered.

Rules:
1. Helpful: answer fully, with the detail and context needed to understand the timing.
2. Faithful: use only what the description says or clearly implies; do not invent events.
3. Varied: each question asks about a different part or aspect of the timeline.

Video description: {captions}

Reply in exactly this format, and nothing else:
{format}"""

EXPLICIT_ANSWER = """You are given a description of a video, written as the events happen, and a question
about it. Answer the question about the timing of events using only what the description says.

Rules:
1. Helpful: answer fully, with the detail and context needed to understand the timing.
2. Faithful: use only what the description says or clearly implies; do not invent events.

Video description: {captions}

Question: {question}

Reply in exactly this format:
Answer: <answer>"""

SCENE_CAPTION = "Describe in one sentence what happens in this video clip."

IMPLICIT_DETAILED = """Describe this video in detail, in the order things happen. Say what is visible at
the beginning, how the scene, the people and the objects change over time, what happens after what, and
how the video ends. Mention movements and their directions, and any cuts to a different scene."""

IMPLICIT_PROMPTS = (
    "Describe the order in which events take place in the video.",
    "Give a summary of how the visual content changes from start to end.",
    "Explain how the actions in the video progress.",
    "List the main events of the video and how they relate to each other.",
    "Describe how the people, objects and layout change over the course of the video.",
    "Describe how the atmosphere of the video develops, if it changes at all.",
    "Explain the sequence of shots or scenes shown in the video.",
    "Name the main points of attention in the video and how they develop.",
)

HALLUCINATION_PROMPTS = (
    "Describe the video, adding imagined events that might unfold over time.",
    "Tell the story of the video, including interactions between people or objects that could happen next.",
    "Describe plausible actions that could logically follow one another during the video.",
    "Describe the video, weaving in events that are not shown but would fit its timeline.",
    "Describe the video together with everyday activities that could be happening just out of view.",
    "Describe the video, adding events that could plausibly happen as time goes on.",
    "Describe the video and the changes in weather or animal movements that could occur while it plays. "
    "State them as facts.",
    "Describe the video, including tools, vehicles or devices that would typically appear in such a scene.",
)

WARPED_QUESTIONS = (
    "Describe what happens in this video, in the order it happens.",
    "What happens at the beginning of the video, and what happens at the end?",
    "In which direction do things move over the course of the video?",
    "Describe the sequence of events in this video step by step.",
    "What changes between the start and the end of this video?",
    "Explain the order of the scenes in this video.",
)

JUDGE = """Two answers to a question about a video are given. The first was written with the video in its
true order, the second with the video's time warped. Reply YES if the second answer states a different
order or timing of events than the first, otherwise NO.

Question: {question}
First answer: {chosen}
Second answer: {rejected}

Reply with YES or NO."""

DEFAULT_TEMPLATES: dict[str, str] = {
    "explicit_qa": EXPLICIT_QA,
    "explicit_answer": EXPLICIT_ANSWER,
    "scene_caption": SCENE_CAPTION,
    "implicit_detailed": IMPLICIT_DETAILED,
    "judge": JUDGE,
}


def render(template: str, **fields: str) -> str:
    """Fill a template, failing with the missing field's name rather than a bare ``KeyError``."""
    try:
        return template.format(**fields)
    except KeyError as exc:
        raise ValueError(
            f"prompt template needs field {exc.args[0]!r}; available: {', '.join(sorted(fields))}"
        ) from None
