"""Loading and checking saved mapping files."""

from __future__ import annotations

import pytest

from uptake.errors import InputError
from uptake.ingest.connectors.mapping import bundled, load_mapping


def test_four_examples_ship_and_load():
    assert bundled() == ["google_forms", "jira", "qualtrics", "servicenow"]
    tables = {
        name: load_mapping(name, t).table
        for name, t in [
            ("qualtrics", "responses"),
            ("google_forms.toml", "responses"),
            ("jira", "feedback"),
            ("servicenow", "feedback"),
        ]
    }
    assert tables == {
        "qualtrics": "responses",
        "google_forms.toml": "responses",
        "jira": "feedback",
        "servicenow": "feedback",
    }


def test_mapping_from_a_file_toml_and_json(write):
    toml = write(
        "m.toml",
        'table = "feedback"\n[columns]\nfeedback_id = "id"\nts = "when"\ntext = "body"\n'
        '[constants]\nchannel = "email"\n',
    )
    assert load_mapping(toml, "feedback").columns["text"] == "body"
    js = write(
        "m.json",
        {
            "table": "feedback",
            "columns": {"feedback_id": "id", "ts": "t", "text": "x"},
            "constants": {"channel": "c"},
        },
    )
    assert load_mapping(js, "feedback").constants == {"channel": "c"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ('table = "feedback"\n[columns]\nts = "t"\n', "'feedback_id' must be given"),
        (
            'table = "feedback"\n[columns]\nfeedback_id = "i"\nts = "t"\ntext = "x"\n'
            'channel = "c"\nsalary = "s"\n',
            "'salary' is not a column",
        ),
        (
            'table = "responses"\n[columns]\nts = "t"\n[constants]\ninstrument = "i"\n',
            "needs at least one",
        ),
        ('table = "tasks"\n', "table"),
        ('table = "feedback"\n[source]\ntimezone = "Mars/Base"\n', "unknown time zone"),
        ('table = "feedback"\n[sauce]\n', "sauce"),
        ("table = = 1", "cannot parse"),
    ],
)
def test_invalid_mappings_say_what_is_wrong(write, content, message):
    with pytest.raises(InputError, match=message):
        load_mapping(write("bad.toml", content), "feedback")


def test_unknown_name():
    with pytest.raises(InputError, match="not one of the shipped examples"):
        load_mapping("surveymonkey", "responses")
