"""Which records changed since the persistence adapter last took them (pure bookkeeping)."""

from __future__ import annotations

from ami_listener.records import CallRecord, Changes, FinishedRecording, PeriodRecord, StayRecord


class Ledger:
    def __init__(self) -> None:
        self._calls: dict[str, CallRecord] = {}
        self._stays: dict[int, StayRecord] = {}
        self._periods: dict[int, PeriodRecord] = {}
        self._agents: dict[str, dict[str, object]] = {}
        self._recordings: list[FinishedRecording] = []

    def call(self, call: CallRecord) -> None:
        self._calls[call.linkedid] = call

    def stay(self, stay: StayRecord) -> None:
        self._stays[id(stay)] = stay

    def period(self, period: PeriodRecord) -> None:
        self._periods[id(period)] = period

    def agent(self, interface: str, row: dict[str, object]) -> None:
        self._agents[interface] = row

    def has_agent(self, interface: str) -> bool:
        return interface in self._agents

    def recording(self, recording: FinishedRecording) -> None:
        self._recordings.append(recording)

    def take(self) -> Changes:
        changes = Changes(
            calls=[call.row() for call in self._calls.values()],
            stays=[(stay.linkedid, stay.row()) for stay in self._stays.values()],
            periods=[period.row() for period in self._periods.values()],
            agents=list(self._agents.values()),
            recordings=self._recordings,
        )
        self._calls = {}
        self._stays = {}
        self._periods = {}
        self._agents = {}
        self._recordings = []
        return changes
