"""``vidmock listen``: a local webhook receiver that verifies, shows, records and answers by script.

From Python and pytest::

    from vidmock.listen import Receiver, running

    receiver = Receiver("whsec_my-secret", script=[500, 500, 200], now=runtime.clock.now)
    # in-process: httpx.ASGITransport(app=receiver.app); or on a real loopback socket:
    with running(receiver) as url:
        ...  # create a job with callback_url=url + "/hooks"
    receiver.summary()   # per event id: attempts, final verdict, statuses answered
"""

from .receiver import Receiver
from .record import Answer, Delivery, Verdict
from .script import ResponseScript, ScriptError, Step
from .serve import running

__all__ = ["Answer", "Delivery", "Receiver", "ResponseScript", "ScriptError", "Step", "Verdict", "running"]
