"""The race an erasure must win on PostgreSQL: a job that read a conversation's text just before the erasure must
not write a copy of it just after (console/index.py `hold`)."""

from __future__ import annotations

import threading
import time
from typing import Any, Callable, Sequence

from bot import erasure


def erase_while_held(
    monkeypatch: Any, owner: Any, name: str, work: Callable[[], Any], sender_ids: Sequence[str], *, before: bool = False
) -> None:
    """Runs `work` in a thread, holds it for a second at `owner.name` (just after that call returns, or just before
    it with `before`), erases `sender_ids` meanwhile, and waits for `work` to end."""
    reached = threading.Event()
    original = getattr(owner, name)

    def held(*args: Any, **kwargs: Any) -> Any:
        if before:
            reached.set()
            time.sleep(1.0)
            return original(*args, **kwargs)
        result = original(*args, **kwargs)
        reached.set()
        time.sleep(1.0)
        return result

    monkeypatch.setattr(owner, name, held)
    thread = threading.Thread(target=work)
    thread.start()
    assert reached.wait(30), f"{name} was never reached"
    erasure.forget(list(sender_ids))
    thread.join()
