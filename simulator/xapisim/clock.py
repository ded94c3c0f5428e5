"""Simulated time: durations of real operations, scaled by a speed factor.

A boot that takes 20 s on a real host takes 20/speed s here. Waits are interruptible
(cancelled tasks, simulator shutdown) and never a fixed sleep: they wait on an Event.
"""

import heapq
import itertools
import threading
import time


class Stopped(Exception):
    """The simulator is stopping; the waiting operation gives up."""


class Clock:
    def __init__(self, speed=1.0):
        if speed <= 0:
            raise ValueError("speed must be positive, got %r" % speed)
        self.speed = float(speed)
        self.stopping = threading.Event()
        self._timers = []
        self._counter = itertools.count()
        self._wake = threading.Condition()
        self._thread = None

    def real(self, sim_seconds):
        return max(0.0, sim_seconds) / self.speed

    def wait(self, sim_seconds, cancel=None):
        """Let `sim_seconds` of simulated time pass. Returns False if `cancel` was set."""
        deadline = time.monotonic() + self.real(sim_seconds)
        while True:
            remaining = deadline - time.monotonic()
            if self.stopping.is_set():
                raise Stopped()
            if cancel is not None and cancel.is_set():
                return False
            if remaining <= 0:
                return True
            (cancel or self.stopping).wait(min(remaining, 0.05))

    def later(self, sim_seconds, action):
        """Run `action()` once, `sim_seconds` of simulated time from now, on the timer thread."""
        with self._wake:
            heapq.heappush(self._timers, (time.monotonic() + self.real(sim_seconds), next(self._counter), action))
            if self._thread is None:
                self._thread = threading.Thread(target=self._run, name="xapisim-timers", daemon=True)
                self._thread.start()
            self._wake.notify()

    def _run(self):
        while not self.stopping.is_set():
            with self._wake:
                if not self._timers:
                    self._wake.wait(0.5)
                    continue
                due, dummy, action = self._timers[0]
                delay = due - time.monotonic()
                if delay > 0:
                    self._wake.wait(min(delay, 0.5))
                    continue
                heapq.heappop(self._timers)
            try:
                action()
            except Exception:  # a timer of a world that was reset: nothing to do
                pass

    def stop(self):
        self.stopping.set()
        with self._wake:
            self._timers.clear()
            self._wake.notify_all()
