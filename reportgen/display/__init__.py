"""The report's toolkit, below the chapters: how numbers, money, dates and text are written
(`formatting`) and the chart theme with the helpers every chapter's charts share (`charts`).
It knows no chapter and renders nothing; `reportgen.report` (context, templates, rendering)
sits above the chapters and uses it too."""
