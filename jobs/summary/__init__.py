"""`duban summary`: the weekly report (周报) and the monthly metrics (月度复盘).

period   - the week or month a report covers (the calendar decides working days)
figures  - pure aggregation with pandas: records, flags, journal histories and a clock in, figures out
store    - each period's figures in state.db, so trends never depend on re-deriving history
chart    - the trend chart as a PNG (matplotlib, Agg), with a CJK font found on the machine
archive  - the .xlsx archived under reports/<year>-Q<quarter>/ (XlsxWriter, native charts)
baseline - a period duban did not see whole: what is open now, from when duban watches
job      - orchestration: read, figure, store, archive, route, render, queue, deliver
"""
