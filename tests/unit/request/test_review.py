"""Issue 6: the pure review rules (who may decide, verdicts under any/all, the cost gate)."""

from __future__ import annotations

from bot.request.review import can_approve_text, gate, may_press, may_review, verdict


def test_anyone_decides_when_the_channel_has_no_approvers():
    assert may_review("U1", (), "U1")  # the requester
    assert may_review("U2", (), "U1")  # a colleague
    assert not may_review("", (), "U1")  # nobody (a reaction without a user)


def test_only_approvers_decide_when_set_even_over_the_requester():
    assert may_review("UA", ("UA", "UB"), "U1")
    assert not may_review("U1", ("UA",), "U1")
    assert may_press("U1", ("UA",), "U1") and may_press("UA", ("UA",), "U1")
    assert not may_press("U9", ("UA",), "U1")


def test_any_rule_one_approval_is_enough_and_outsiders_do_not_count():
    assert verdict({"UA": "approve"}, ("UA", "UB"), "any", "U1") == "approved"
    assert verdict({"U9": "approve"}, ("UA", "UB"), "any", "U1") == "pending"
    assert verdict({"UA": "reject"}, ("UA", "UB"), "any", "U1") == "rejected"
    assert verdict({"UA": "withdrawn"}, ("UA",), "any", "U1") == "pending"


def test_all_rule_needs_every_approver_and_one_rejection_rejects():
    assert verdict({"UA": "approve"}, ("UA", "UB"), "all", "U1") == "pending"
    assert verdict({"UA": "approve", "UB": "approve"}, ("UA", "UB"), "all", "U1") == "approved"
    assert verdict({"UA": "approve", "UB": "reject"}, ("UA", "UB"), "all", "U1") == "rejected"


def test_without_approvers_everyones_decision_counts():
    assert verdict({"U2": "approve"}, (), "any", "U1") == "approved"
    assert verdict({"U2": "reject"}, (), "any", "U1") == "rejected"
    # one approval is enough without approvers, whoever gives it ("all" needs approvers to mean anything)
    assert verdict({"U1": "reject", "U2": "approve"}, (), "all", "U1") == "approved"


def test_gate_holds_a_job_over_the_job_limit():
    decision = gate(2.0, job_limit=1.0, budget=None, spent=0, reserved=0)
    assert not decision.start and "per-job limit" in decision.reason
    assert gate(1.0, job_limit=1.0, budget=None, spent=0, reserved=0).start


def test_gate_counts_spend_and_reservations_against_the_budget():
    assert gate(1.0, job_limit=None, budget=3.0, spent=1.0, reserved=1.0).start
    held = gate(1.0, job_limit=None, budget=3.0, spent=1.5, reserved=1.0)
    assert not held.start and "$0.50" in held.reason
    assert gate(5.0, job_limit=None, budget=None, spent=100, reserved=100).start


def test_who_can_approve_is_said_in_the_cards_words():
    assert can_approve_text((), "any", "U1") == "anyone here can approve"
    assert "all of <@UA> <@UB>" == can_approve_text(("UA", "UB"), "all", "U1")
