from dataclasses import replace
from datetime import datetime

from desk_app.models.clock import VN_TZ
from desk_app.models.journal import GENESIS_HASH, Action, new_id, seal, verify_chain


def chain(n=4):
    out, prev = [], GENESIS_HASH
    for i in range(n):
        a = seal(Action(id=new_id(), dossier_id=f"d{i % 2}", kind="printed",
                        at=datetime(2026, 11, 23, 9, i, tzinfo=VN_TZ), clerk="lan", counter=1,
                        device_id="dev", payload={"form": "receipt", "note": "Nguyễn Văn Đức"}), prev)
        out.append(a)
        prev = a.hash
    return out


def test_whole_chain_verifies_and_round_trips():
    actions = chain()
    assert verify_chain(actions) == []
    assert verify_chain([Action.from_dict(a.to_dict()) for a in actions]) == []


def test_edited_payload_is_detected():
    actions = chain()
    actions[1] = replace(actions[1], payload={"form": "receipt", "note": "Nguyễn Văn Đúc"})
    problems = verify_chain(actions)
    assert [p.action_id for p in problems] == [actions[1].id]
    assert "mã băm không khớp" in problems[0].message


def test_deleted_or_reordered_rows_are_detected():
    actions = chain()
    assert [p.action_id for p in verify_chain(actions[:1] + actions[2:])] == [actions[2].id]
    swapped = [actions[0], actions[2], actions[1], actions[3]]
    assert verify_chain(swapped)
