"""Does the client under test write its token into a log? (R11, in-process.) Standard library only.

A driver runs inside the client's process, so it can see every log record the client makes: this
watch attaches one handler to the root logger and to every logger that does not propagate to it
(project-x-py 3.3.0's own loggers print JSON to stdout and never reach the root), re-scanned as
the client creates loggers, and wraps ``threading.excepthook`` (a dying reconnect thread prints its
traceback, URL included, without a log record). A record *contains* a token when the token's text
is in its message, its arguments, its formatted traceback or its extra fields.

Levels: the root is set to INFO, as an application that logs at all does (and project-x-py's own
``setup_logging`` default); nothing is lowered to DEBUG. The client's own handlers are left as
they are, and a stderr handler keeps WARNING and above in the driver's log as before.

What it counts goes to the driver's ``counters.tokens_logged`` (0 when it watched and saw none);
each of the first five records with a token is reported as a ``token_logged`` event naming the
logger and level, never the token.
"""

import logging
import sys
import threading
import traceback


class TokenLogWatch(logging.Handler):
    def __init__(self, tokens, report):
        """``tokens``: a function returning the token strings the client holds now;
        ``report(logger, level, where)``: called for the first records that contain one."""
        super().__init__(level=logging.DEBUG)
        self.tokens = tokens
        self.report = report
        self.count = 0
        self._watched = set()
        self._lock = threading.Lock()

    def install(self):
        root = logging.getLogger()
        if root.level > logging.INFO or root.level == logging.NOTSET:
            root.setLevel(logging.INFO)
        if not any(isinstance(h, logging.StreamHandler) for h in root.handlers):
            keep = logging.StreamHandler(sys.stderr)  # adding a handler silences logging.lastResort
            keep.setLevel(logging.WARNING)
            root.addHandler(keep)
        root.addHandler(self)
        self.rescan()
        previous = threading.excepthook

        def excepthook(args):
            text = "".join(traceback.format_exception(args.exc_type, args.exc_value, args.exc_traceback))
            self._check(text, "threading.excepthook", "ERROR", "uncaught exception in a thread")
            previous(args)

        self._previous_hook = previous
        threading.excepthook = excepthook

    def uninstall(self):
        """Detach from every logger and restore the excepthook (an in-process client's run is over)."""
        logging.getLogger().removeHandler(self)
        for name in self._watched:
            logging.getLogger(name).removeHandler(self)
        if getattr(self, "_previous_hook", None) is not None:
            threading.excepthook = self._previous_hook

    def rescan(self):
        """Attach to loggers created since the last scan that do not reach the root."""
        for name, logger in list(logging.root.manager.loggerDict.items()):
            if isinstance(logger, logging.Logger) and not logger.propagate and name not in self._watched:
                self._watched.add(name)
                logger.addHandler(self)

    def emit(self, record):
        try:
            parts = [record.getMessage(), repr(record.args)]
            if record.exc_info:
                parts.append("".join(traceback.format_exception(*record.exc_info)))
            parts.extend(str(v) for k, v in vars(record).items() if k not in _STANDARD)
            self._check("\n".join(parts), record.name, record.levelname, "log record")
        except Exception:  # never let the watch break the client's logging
            self.handleError(record)

    def _check(self, text, logger, level, where):
        tokens = [t for t in self.tokens() if t and len(t) >= 16]
        if not any(t in text for t in tokens):
            return
        with self._lock:
            self.count += 1
            first = self.count <= 5
        if first:
            self.report(logger, level, where)


_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}
