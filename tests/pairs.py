"""Reading built pair datasets in tests: the build summary and the rows' generated texts."""

import json


def build_summary(ds) -> dict:
    """The build summary the builder stores in ``info.description``."""
    return json.loads(ds.info.description)


def pair_texts(ds) -> list[tuple[str, str, str, str]]:
    """(video_id, warp, chosen text, rejected text) per row, to compare builds row for row."""
    return [
        (
            r["video_id"],
            r["warp"],
            r["chosen"][0]["content"][0]["text"],
            r["rejected"][0]["content"][0]["text"],
        )
        for r in ds
    ]
