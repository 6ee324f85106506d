"""The report, above the chapters: the one context templates read (context), the Jinja
environment (templates), and rendering to HTML, PDF and the summary email (render). Nothing
here computes a number; it shows what chapters computed. The formatting and chart theme it
shares with the chapters are in `reportgen.display`."""
