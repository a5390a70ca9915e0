"""The pyqtgraph viewer: live signals with %MVC and quality, and review of stored sessions.

- :mod:`emgkit.viewer.stream` (no Qt): the live data path, blocks -> causal core -> ring
  buffers -> decimated frames, in a worker thread; sources and the recorder never wait.
- :mod:`emgkit.viewer.display` (no Qt, no ``acquisition``): views, amplitude scales, task
  colours, low-back words; what both modes share.
- :mod:`emgkit.viewer.session_data` (no Qt, no ``acquisition``): what review mode reads
  of a session file, and the analysis it shows.
- :mod:`emgkit.viewer.live_window`, :mod:`emgkit.viewer.review_window`: the two windows,
  on :mod:`emgkit.viewer.channels` (the stacked-channel plot; live traces drawn by
  :mod:`emgkit.viewer.rolling`, new pixel columns only) and :mod:`emgkit.viewer.common`
  (screenshot, shortcuts, help overlay).

Start it with ``emgkit view`` (``docs/viewer.md``). Importing this package does not import
Qt; the window modules do.
"""
