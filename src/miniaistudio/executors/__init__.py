"""Where node work runs: in this process now, on Celery workers later, behind one protocol
(:class:`miniaistudio.core.ports.Executor`)."""
