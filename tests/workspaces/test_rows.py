"""CXone's rows as the pages show them: every documented spelling read, what is missing named."""
from workspaces import rows


def test_a_board_row_reads_both_spellings_of_acw_team_and_medium():
    spec = rows.board_row({"agentId": 1001, "teamId": 7, "isACW": True, "mediaTypeName": "PhoneCall"})
    sdk = rows.board_row({"agentId": 1001, "teamNo": 7, "isAcw": True, "mediaName": "PhoneCall", "mediaType": 4})
    for row in (spec, sdk):
        assert (row["teamId"], row["acw"], row["isACW"], row["mediaType"]) == ("7", True, True, "PhoneCall")
    assert rows.board_row({"isACW": "yes"})["acw"] is False  # only JSON true is true


def test_unavailable_codes_in_every_casing_and_ids_as_numbers_or_digits():
    for row in ({"outstateId": 5, "outstateName": "Break"}, {"outStateId": 5, "outStateName": "Break"},
                {"OutStateId": "5", "OutStateName": "Break"}):
        assert rows.code_row(row) == {"id": 5, "name": "Break", "isAcw": False}
    assert rows.code_row({"outstateId": "5x", "isACW": True}) == {"id": None, "name": "", "isAcw": True}
    assert rows.count_of(True) is None and rows.count_of(-1) is None and rows.count_of("0012") == 12


def test_a_queue_without_any_clock_is_named_not_blank():
    queued = {"queueCount": 2, "earliestQueueTime": "2026-12-01T00:03:25Z"}
    assert rows.skill_row({**queued, "serverTime": "2026-12-01T00:05:00Z"})["longestWaitSeconds"] == 95
    assert rows.skill_row(queued, "2026-12-01T00:05:00.000Z")["longestWaitSeconds"] == 95
    assert rows.needs_server_time(queued) and not rows.needs_server_time({"queueCount": 0})
    assert rows.skill_row(queued)["notFromCXone"] == ["longestWaitSeconds"]
    assert "notFromCXone" not in rows.skill_row({"queueCount": 0, "earliestQueueTime": None})


def test_contacts_newest_first_by_instant_and_a_missing_start_named():
    shaped = [rows.contact_row(r) for r in ({"contactId": 1, "contactStartDate": "2026-11-30T08:44:50Z"},
                                            {"contactId": 2, "contactStart": "2026-11-30T08:44:50.500Z"},
                                            {"contactId": 3})]
    assert [c["contactId"] for c in rows.newest_first(shaped)] == ["2", "1", "3"]
    assert shaped[2]["notFromCXone"] == ["startDate"] and "notFromCXone" not in shaped[0]


def test_missing_fields_names_the_need_and_the_keys_never_values():
    answer = [{"contactId": 1, "agentSeconds": 30, "startTime": "2026-11-30T08:00:00Z"}]
    assert rows.missing_fields("contacts/completed", answer) == [("contactStartDate", ["agentSeconds", "contactId", "startTime"])]
    assert rows.missing_fields("contacts/completed", [{"contactStart": "x"}]) == []
    assert rows.missing_fields("contacts/completed", []) == []  # nothing to judge
    codes = [{"outStateId": 1, "outStateName": "Break"}]
    assert rows.missing_fields("teams/{teamId}/unavailable-codes", codes) == []
